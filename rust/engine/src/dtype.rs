//! Element dtypes: Keras 3's set (bool, the unsigned and signed integers, float16, bfloat16,
//! float32, float64) and Keras's promotion lattice.
//!
//! Every dtype is stored as itself. Kernels that only move, pick or compare elements (copies,
//! indexing, gathers, where, max/min/argmax, sort, max pooling) run on every dtype; arithmetic
//! kernels run in a few *compute* dtypes, and an op on a narrower dtype casts to its compute
//! dtype and back (`compute()`): integers compute in int64 (so int8 + int8 wraps exactly as
//! int8 arithmetic does, the cast back keeping the low bits), float16 and bfloat16 in float32
//! (rounded back to nearest even, as XLA's CPU backend does).
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    U8,
    U16,
    U32,
    I8,
    I16,
    I32,
    I64,
    F16,
    BF16,
    F32,
    F64,
}

/// The valid names, for error messages.
pub const NAMES: &str = "bool, uint8, uint16, uint32, int8, int16, int32, int64, float16, bfloat16, float32, float64";

impl DType {
    pub const ALL: [DType; 12] = [
        DType::Bool,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    pub fn parse(name: &str) -> Result<DType> {
        Ok(match name {
            "bool" | "bool_" => DType::Bool,
            "uint8" => DType::U8,
            "uint16" => DType::U16,
            "uint32" => DType::U32,
            "int8" => DType::I8,
            "int16" => DType::I16,
            "int32" => DType::I32,
            "int64" | "int" => DType::I64,
            "float16" | "half" => DType::F16,
            "bfloat16" => DType::BF16,
            "float32" | "float" => DType::F32,
            "float64" | "double" => DType::F64,
            _ => return Err(Error::DType(format!("unknown dtype '{name}'; valid dtypes are {NAMES}"))),
        })
    }

    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    /// An integer dtype (bool is not one).
    pub fn is_int(self) -> bool {
        !self.is_float() && self != DType::Bool
    }

    pub fn is_unsigned(self) -> bool {
        matches!(self, DType::U8 | DType::U16 | DType::U32)
    }

    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::U16 | DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::U32 | DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    /// The dtype arithmetic kernels run in for this dtype: int64 for every integer (and bool),
    /// float32 for float16 and bfloat16, float32 and float64 themselves.
    pub fn compute(self) -> DType {
        match self {
            DType::F16 | DType::BF16 | DType::F32 => DType::F32,
            DType::F64 => DType::F64,
            _ => DType::I64,
        }
    }

    /// The dtype two operands are computed in: their least upper bound on Keras's type
    /// promotion lattice (keras/src/backend/common/dtypes.py, adapted from JAX's):
    ///
    /// ```text
    /// bool -> uint8 -> uint16 -> uint32 -> int64
    ///           \        \         \
    /// bool -> int8 -> int16  -> int32  -> int64 -> {bfloat16, float16} -> float32 -> float64
    /// ```
    /// (uint8 -> int16, uint16 -> int32, uint32 -> int64; every integer below every float, so
    /// int64 with float16 is float16, and float16 with bfloat16 is float32). Unlike Keras on
    /// JAX, which maps int64 and float64 results to their 32-bit forms, kerasish keeps them (as
    /// Keras on TensorFlow does for int64): they are real dtypes here.
    pub fn promote(a: DType, b: DType) -> DType {
        if a == b {
            return a;
        }
        // the first dtype above both, in an order that extends the lattice
        *DType::ALL.iter().filter(|&&c| a.below(c) && b.below(c)).min_by_key(|c| c.rank()).unwrap_or(&DType::F64)
    }

    /// Whether `self` is at or below `c` on the lattice.
    pub fn below(self, c: DType) -> bool {
        use DType::*;
        if self == c {
            return true;
        }
        match self {
            Bool => true,
            U8 => matches!(c, U16 | U32 | I16 | I32 | I64) || c.is_float(),
            U16 => matches!(c, U32 | I32 | I64) || c.is_float(),
            U32 => c == I64 || c.is_float(),
            I8 => matches!(c, I16 | I32 | I64) || c.is_float(),
            I16 => matches!(c, I32 | I64) || c.is_float(),
            I32 => c == I64 || c.is_float(),
            I64 => c.is_float(),
            F16 | BF16 => matches!(c, F32 | F64),
            F32 => c == F64,
            F64 => false,
        }
    }

    /// A linear extension of the lattice: a least upper bound is the lowest common bound.
    fn rank(self) -> u8 {
        use DType::*;
        match self {
            Bool => 0,
            U8 | I8 => 1,
            U16 | I16 => 2,
            U32 | I32 => 3,
            I64 => 4,
            F16 | BF16 => 5,
            F32 => 6,
            F64 => 7,
        }
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
