//! kerasish's engine: tensors (storage + layout), CPU kernels, define-by-run autograd, and the
//! Python bindings that build `kerasish._core`.
pub mod autograd;
pub mod cpu;
pub mod dtype;
pub mod error;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod io;
pub mod layout;
pub mod ops;
pub mod plan;
pub mod python;
pub mod random;
pub mod storage;
pub mod tensor;

pub use error::{Error, Result};
pub use tensor::Tensor;

/// mimalloc: the engine allocates an output (and autograd nodes) per op; glibc's malloc/free
/// was a third of a small model's step time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
