//! One error type for the engine. The bindings map each kind to a Python exception
//! (Shape/Value -> ValueError, DType -> TypeError, Index -> IndexError, Device -> RuntimeError).
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Shapes that do not fit together; the message names the op and the shapes.
    Shape(String),
    /// A dtype the op cannot take.
    DType(String),
    /// An index out of range or of the wrong kind.
    Index(String),
    /// Any other bad argument value.
    Value(String),
    /// A result too large to allocate.
    Memory(String),
    /// Tensors on the wrong device, or a device that is missing.
    Device(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape(m) | Error::DType(m) | Error::Index(m) | Error::Value(m) | Error::Memory(m) | Error::Device(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for Error {}

/// Formats a shape the way NumPy prints it: (2, 3), (5,), ().
pub fn fmt_shape(shape: &[usize]) -> String {
    match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

#[macro_export]
macro_rules! bail {
    ($kind:ident, $($arg:tt)*) => { return Err($crate::error::Error::$kind(format!($($arg)*))) };
}
