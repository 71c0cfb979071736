//! kerasish's engine: tensors (storage + layout), CPU kernels, define-by-run autograd, and the
//! Python bindings that build `kerasish._core`.
pub mod autograd;
pub mod cpu;
pub mod dtype;
pub mod io;
pub mod error;
pub mod layout;
pub mod ops;
pub mod plan;
pub mod python;
pub mod random;
pub mod storage;
pub mod tensor;

pub use error::{Error, Result};
pub use tensor::Tensor;
