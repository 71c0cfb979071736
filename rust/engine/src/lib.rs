//! kerasish's engine: tensors (storage + layout), the op table, define-by-run autograd, traced
//! plans and the kernels of each device. No Python here: the bindings crate (rust/python) builds
//! `kerasish._core` on top of it.
pub mod autograd;
pub mod backend;
pub mod batches;
pub mod cpu;
pub mod dtype;
pub mod error;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod io;
pub mod kinds;
pub mod layout;
pub mod ops;
pub mod plan;
pub mod random;
pub mod storage;
pub mod tensor;

pub use error::{Error, Result};
pub use tensor::Tensor;
