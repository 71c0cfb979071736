//! Element types. Bool and uint8 are stored as bytes; bool values are 0 or 1.
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DType {
    Bool,
    U8,
    I64,
    F32,
    F64,
}

impl DType {
    pub const ALL: [DType; 5] = [DType::Bool, DType::U8, DType::I64, DType::F32, DType::F64];

    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I64 => "int64",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    pub fn parse(name: &str) -> Result<DType> {
        Ok(match name {
            "bool" => DType::Bool,
            "uint8" => DType::U8,
            "int64" | "int" => DType::I64,
            "float32" | "float" => DType::F32,
            "float64" | "double" => DType::F64,
            _ => {
                return Err(Error::DType(format!(
                    "unknown dtype '{name}'; valid dtypes are bool, uint8, int64, float32, float64"
                )))
            }
        })
    }

    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 => 1,
            DType::I64 | DType::F64 => 8,
            DType::F32 => 4,
        }
    }

    /// The dtype two operands are computed in: the larger of the two in the order
    /// bool < uint8 < int64 < float32 < float64 (float32 with int64 stays float32, as in Keras).
    pub fn promote(a: DType, b: DType) -> DType {
        a.max(b)
    }

    /// The float dtype an op such as exp computes in: floats keep theirs, others become float32.
    pub fn to_float(self) -> DType {
        if self.is_float() {
            self
        } else {
            DType::F32
        }
    }
}
