//! The pyo3 bindings that build `kerasish._core`: argument conversion, error mapping, GIL release and
//! the Python classes; no numeric logic (that is the engine crate, `kerasish_engine`).
mod autodiff;
mod convert;
mod functions;
mod linalg;
mod plan;
mod tensor;

pub use convert::{as_tensor, from_numpy};
pub use tensor::PyTensor;

use kerasish_engine::error::Error;
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;

/// An engine error as the Python exception it maps to (`.to_py()` on an engine result does it).
pub(crate) fn py_err(e: Error) -> PyErr {
    if let Some(raised) = autodiff::take_pending() {
        return raised;
    }
    {
        match e {
            Error::Shape(m) | Error::Value(m) => PyValueError::new_err(m),
            Error::DType(m) => PyTypeError::new_err(m),
            Error::Index(m) => PyIndexError::new_err(m),
            Error::Memory(m) => pyo3::exceptions::PyMemoryError::new_err(m),
            Error::Device(m) => pyo3::exceptions::PyRuntimeError::new_err(m),
        }
    }
}

/// `.to_py()`: an engine result as a Python one (the orphan rule keeps `?` from converting it).
pub(crate) trait ToPy<T> {
    fn to_py(self) -> PyResult<T>;
}

impl<T> ToPy<T> for kerasish_engine::Result<T> {
    fn to_py(self) -> PyResult<T> {
        self.map_err(py_err)
    }
}

/// Tensors at least this large run with the GIL released.
const DETACH_MIN: usize = 1 << 15;

/// Runs engine work, releasing the GIL when the inputs are large. An allocation the machine
/// cannot give (storage::AllocRefused) becomes a MemoryError; any other panic goes on as a bug.
pub(crate) fn run<R: Send>(py: Python<'_>, work: usize, f: impl FnOnce() -> kerasish_engine::Result<R> + Send) -> PyResult<R> {
    let guarded = move || std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let r = if work >= DETACH_MIN { py.detach(guarded) } else { guarded() };
    match r {
        Ok(r) => r.to_py(),
        Err(payload) => match payload.downcast::<kerasish_engine::storage::AllocRefused>() {
            Ok(refused) => Err(pyo3::exceptions::PyMemoryError::new_err(refused.0)),
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}

/// Runs one op for Python through the tracer (recorded when a trace is open), releasing the GIL
/// when the inputs are large. `f` gets the input tensors and computes the output.
pub(crate) fn op(
    py: Python<'_>,
    name: &'static str,
    inputs: Vec<kerasish_engine::Tensor>,
    f: impl Fn(&[kerasish_engine::Tensor]) -> kerasish_engine::Result<kerasish_engine::Tensor> + Send + Sync + 'static,
) -> PyResult<PyTensor> {
    let work = inputs.iter().map(|t| t.numel()).max().unwrap_or(0);
    Ok(run(py, work, move || kerasish_engine::plan::call1(name, inputs, f))?.into())
}

/// An op that writes its first input in place (through the tracer like `op`).
pub(crate) fn op_inplace(
    py: Python<'_>,
    name: &'static str,
    inputs: Vec<kerasish_engine::Tensor>,
    f: impl Fn(&[kerasish_engine::Tensor]) -> kerasish_engine::Result<()> + Send + Sync + 'static,
) -> PyResult<()> {
    let work = inputs.iter().map(|t| t.numel()).max().unwrap_or(0);
    run(py, work, move || kerasish_engine::plan::call0(name, inputs, f))
}

/// mimalloc: the engine allocates an output (and autograd nodes) per op; glibc's malloc/free
/// was a third of a small model's step time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // a refused allocation is reported as a MemoryError, not printed as a panic
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<kerasish_engine::storage::AllocRefused>().is_none() {
            default_hook(info)
        }
    }));
    m.add_class::<PyTensor>()?;
    functions::register(m)?;
    linalg::register(m)?;
    autodiff::register(m)?;
    plan::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
