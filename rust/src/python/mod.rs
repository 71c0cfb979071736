//! The pyo3 bindings: argument conversion, error mapping and GIL release; no numeric logic.
mod convert;
mod functions;
mod plan;
mod tensor;

pub use convert::{as_tensor, from_numpy};
pub use tensor::PyTensor;

use crate::error::Error;
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        match e {
            Error::Shape(m) | Error::Value(m) => PyValueError::new_err(m),
            Error::DType(m) => PyTypeError::new_err(m),
            Error::Index(m) => PyIndexError::new_err(m),
            Error::Memory(m) => pyo3::exceptions::PyMemoryError::new_err(m),
            Error::Device(m) => pyo3::exceptions::PyRuntimeError::new_err(m),
        }
    }
}

/// Tensors at least this large run with the GIL released.
const DETACH_MIN: usize = 1 << 15;

/// Runs engine work, releasing the GIL when the inputs are large. An allocation the machine
/// cannot give (storage::AllocRefused) becomes a MemoryError; any other panic goes on as a bug.
pub(crate) fn run<R: Send>(py: Python<'_>, work: usize, f: impl FnOnce() -> crate::Result<R> + Send) -> PyResult<R> {
    let guarded = move || std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let r = if work >= DETACH_MIN { py.detach(guarded) } else { guarded() };
    match r {
        Ok(r) => r.map_err(PyErr::from),
        Err(payload) => match payload.downcast::<crate::storage::AllocRefused>() {
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
    inputs: Vec<crate::Tensor>,
    f: impl Fn(&[crate::Tensor]) -> crate::Result<crate::Tensor> + Send + Sync + 'static,
) -> PyResult<PyTensor> {
    let work = inputs.iter().map(|t| t.numel()).max().unwrap_or(0);
    Ok(run(py, work, move || crate::plan::call1(name, inputs, f))?.into())
}

/// An op that writes its first input in place (through the tracer like `op`).
pub(crate) fn op_inplace(
    py: Python<'_>,
    name: &'static str,
    inputs: Vec<crate::Tensor>,
    f: impl Fn(&[crate::Tensor]) -> crate::Result<()> + Send + Sync + 'static,
) -> PyResult<()> {
    let work = inputs.iter().map(|t| t.numel()).max().unwrap_or(0);
    run(py, work, move || crate::plan::call0(name, inputs, f))
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // a refused allocation is reported as a MemoryError, not printed as a panic
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<crate::storage::AllocRefused>().is_none() {
            default_hook(info)
        }
    }));
    m.add_class::<PyTensor>()?;
    functions::register(m)?;
    plan::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
