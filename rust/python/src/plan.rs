//! Traced steps for Python: open/close a trace, and `Plan`, which replays a step and runs the
//! engine's batch loops (`kerasish_engine::batches`) over NumPy arrays with the GIL released.
use super::tensor::PyTensor;
use super::ToPy;
use kerasish_engine::batches::{self, HostArray};
use kerasish_engine::dtype::DType;
use kerasish_engine::plan::{self, Plan};
use kerasish_engine::tensor::Tensor;
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// Opens a trace: the ops run from now on are recorded; `inputs` are the batch tensors.
#[pyfunction]
fn trace_begin(inputs: Vec<PyRef<'_, PyTensor>>) -> PyResult<()> {
    let ts: Vec<Tensor> = inputs.iter().map(|p| p.t.clone()).collect();
    plan::begin(&ts).to_py()
}

/// Closes the trace and returns its Plan (ValueError, naming why, if the step cannot be replayed).
#[pyfunction]
fn trace_end(outputs: Vec<PyRef<'_, PyTensor>>) -> PyResult<PyPlan> {
    let ts: Vec<Tensor> = outputs.iter().map(|p| p.t.clone()).collect();
    Ok(PyPlan(plan::end(&ts).to_py()?))
}

#[pyfunction]
fn trace_abort() {
    plan::abort()
}

#[pyfunction]
fn is_tracing() -> bool {
    plan::is_tracing()
}

/// Marks an open trace as not replayable, saying why (Python code that cannot be traced).
#[pyfunction]
fn trace_taint(why: &str) {
    plan::taint(why)
}

/// (bytes held by tensors now, the most held since the last reset_peak_memory) on `device`
/// ("cpu" or "gpu")
#[pyfunction]
#[pyo3(signature = (device="cpu"))]
fn memory_stats(device: &str) -> PyResult<(i64, i64)> {
    match device {
        "cpu" => Ok(kerasish_engine::storage::stats::get(false)),
        "gpu" => Ok(kerasish_engine::storage::stats::get(true)),
        _ => Err(pyo3::exceptions::PyValueError::new_err(format!("memory_stats: device must be 'cpu' or 'gpu', got {device:?}"))),
    }
}

#[pyfunction]
fn reset_peak_memory() {
    kerasish_engine::storage::stats::reset_peak()
}

/// A NumPy array as the engine's batch loops read (or write) it, checked against the dtype wanted.
fn array_ref(a: &Bound<'_, PyAny>, want: DType, what: &str) -> PyResult<HostArray> {
    macro_rules! try_as {
        ($t:ty) => {
            match a.cast::<PyArrayDyn<$t>>() {
                Ok(arr) => {
                    if !arr.is_c_contiguous() {
                        return Err(PyValueError::new_err(format!("{what}: the array must be C-contiguous")));
                    }
                    // SAFETY: the caller holds the array (a bound Python object) for the whole
                    // loop, and the GIL-free loop is the only code that touches its memory
                    return Ok(unsafe { HostArray::new(arr.data() as *mut u8, arr.shape().to_vec(), want) });
                }
                Err(_) => {
                    return Err(PyTypeError::new_err(format!(
                        "{what}: expected a NumPy array of dtype {}, got {}",
                        want.name(),
                        a.getattr("dtype").map(|d| d.to_string()).unwrap_or_else(|_| a.get_type().to_string())
                    )))
                }
            }
        };
    }
    match want {
        DType::F32 => try_as!(f32),
        DType::F64 => try_as!(f64),
        DType::I64 => try_as!(i64),
        DType::U8 => try_as!(u8),
        DType::U16 => try_as!(u16),
        DType::U32 => try_as!(u32),
        DType::I8 => try_as!(i8),
        DType::I16 => try_as!(i16),
        DType::I32 => try_as!(i32),
        DType::F16 => try_as!(half::f16),
        DType::BF16 => {
            super::convert::need_bfloat16(a.py())?;
            try_as!(half::bf16)
        }
        DType::Bool => try_as!(bool),
    }
}

/// The arrays as a plan's inputs (dtype checked here, shapes by the engine).
fn sources(plan: &Plan, arrays: &[Bound<'_, PyAny>], batch_size: usize) -> PyResult<Vec<HostArray>> {
    let sig = plan.input_signature();
    if arrays.len() != sig.len() {
        return Err(PyValueError::new_err(format!("the plan takes {} arrays, got {}", sig.len(), arrays.len())));
    }
    let srcs = arrays.iter().zip(sig).enumerate().map(|(i, (a, (_, dt)))| array_ref(a, *dt, &format!("array {i}")));
    let srcs = srcs.collect::<PyResult<Vec<_>>>()?;
    batches::check_sources(plan, &srcs, batch_size).to_py()?;
    Ok(srcs)
}

/// A random permutation of 0..n from the global generator (the order fit shuffles rows in).
#[pyfunction]
fn permutation<'py>(py: Python<'py>, n: usize) -> PyResult<Bound<'py, numpy::PyArray1<i64>>> {
    kerasish_engine::storage::check_size("permutation", &[n], DType::I64).to_py()?;
    Ok(numpy::PyArray1::from_vec(py, py.detach(|| batches::permutation(n))))
}

/// How often a loop that runs without the GIL looks for Ctrl-C.
const SIGNAL_EVERY: std::time::Duration = std::time::Duration::from_millis(20);

/// Whole epochs without Python (`batches::run_epoch` each): per epoch `reset`, the rows shuffled
/// when asked, each segment's plan on its batches (`(plan, batch_size, count)`, in order), then
/// `results`, whose scalar outputs are returned, one list per epoch. Ctrl-C is checked between
/// batches.
#[pyfunction]
fn run_epochs(
    py: Python<'_>,
    segments: Vec<(PyRef<'_, PyPlan>, usize, usize)>,
    reset: PyRef<'_, PyPlan>,
    results: PyRef<'_, PyPlan>,
    arrays: Vec<Bound<'_, PyAny>>,
    shuffle: bool,
    epochs: usize,
) -> PyResult<Vec<Vec<f64>>> {
    let mut segs = Vec::new();
    for (plan, batch_size, count) in &segments {
        let feed = batches::Feed::new(&plan.0, sources(&plan.0, &arrays, *batch_size)?);
        segs.push(batches::Segment { feed, batch_size: *batch_size, count: *count });
    }
    batches::check_segments(&segs).to_py()?;
    let (reset, results) = (&reset.0, &results.0);
    let mut out = Vec::with_capacity(epochs);
    // Ctrl-C: the signal flag is read between batches (taking the GIL for it at most every
    // SIGNAL_EVERY), so an interrupt stops the loop at a batch boundary within ~100 ms
    let mut last_check = std::time::Instant::now();
    let mut interrupted: Option<PyErr> = None;
    for _ in 0..epochs {
        let mut stop = || {
            if last_check.elapsed() < SIGNAL_EVERY {
                return false;
            }
            last_check = std::time::Instant::now();
            interrupted = Python::attach(|py| py.check_signals()).err();
            interrupted.is_some()
        };
        let values = super::run(py, usize::MAX, || batches::run_epoch(&mut segs, reset, results, shuffle, &mut stop))?;
        if let Some(e) = interrupted.take() {
            return Err(e);
        }
        out.extend(values);
        py.check_signals()?;
    }
    Ok(out)
}

#[pyclass(frozen, name = "Plan", module = "kerasish._core")]
pub struct PyPlan(Plan);

#[pymethods]
impl PyPlan {
    /// Replays the step once on these inputs; returns the traced outputs.
    fn __call__(&self, py: Python<'_>, inputs: Vec<PyRef<'_, PyTensor>>) -> PyResult<Vec<PyTensor>> {
        let ts: Vec<Tensor> = inputs.iter().map(|p| p.t.clone()).collect();
        let outs = super::run(py, usize::MAX, || self.0.run(&ts))?;
        Ok(outs.into_iter().map(PyTensor::from).collect())
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    /// The recorded ops' names, in order.
    fn op_names(&self) -> Vec<&'static str> {
        self.0.op_names()
    }

    /// Runs the step on `count` batches of `batch_size` rows from position `start`: batch j takes
    /// rows `order[start + j*batch_size ..][..batch_size]` (positions themselves without `order`),
    /// copied straight from the arrays into the plan's input tensors. `outputs` (arrays, one per
    /// plan output) receive each batch's outputs at the batch's positions. After each batch
    /// `on_batch(j)` is called if given (a true result stops the loop) and Ctrl-C is checked, so
    /// the loop stops at a batch boundary. Returns how many batches ran.
    #[pyo3(signature = (arrays, order, start, count, batch_size, outputs=None, on_batch=None))]
    #[allow(clippy::too_many_arguments)]
    fn run_batches(
        &self,
        py: Python<'_>,
        arrays: Vec<Bound<'_, PyAny>>,
        order: Option<Bound<'_, PyAny>>,
        start: usize,
        count: usize,
        batch_size: usize,
        outputs: Option<Vec<Bound<'_, PyAny>>>,
        on_batch: Option<Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        let srcs = sources(&self.0, &arrays, batch_size)?;
        let order: Option<Vec<i64>> = match order.filter(|o| !o.is_none()) {
            Some(o) => {
                let arr = o
                    .cast::<numpy::PyArray1<i64>>()
                    .map_err(|_| PyTypeError::new_err("run_batches: `order` must be a 1-d int64 NumPy array"))?;
                Some(arr.readonly().as_slice()?.to_vec())
            }
            None => None,
        };
        let mut outs = Vec::new();
        for (i, o) in outputs.iter().flatten().enumerate() {
            let dt = super::tensor::dtype_arg(Some(&o.getattr("dtype")?))?.unwrap_or(DType::F32);
            outs.push(array_ref(o, dt, &format!("run_batches: output {i}"))?);
        }
        let mut loop_ = py.detach(|| batches::Batches::new(&self.0, srcs, order, start, count, batch_size, outs)).to_py()?;
        let mut done = 0;
        while let Some(j) = super::run(py, usize::MAX, || loop_.step())? {
            done += 1;
            py.check_signals()?;
            if let Some(f) = &on_batch {
                if f.call1((j,))?.is_truthy()? {
                    break;
                }
            }
        }
        Ok(done)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPlan>()?;
    m.add_function(wrap_pyfunction!(trace_begin, m)?)?;
    m.add_function(wrap_pyfunction!(run_epochs, m)?)?;
    m.add_function(wrap_pyfunction!(permutation, m)?)?;
    m.add_function(wrap_pyfunction!(trace_end, m)?)?;
    m.add_function(wrap_pyfunction!(trace_abort, m)?)?;
    m.add_function(wrap_pyfunction!(trace_taint, m)?)?;
    m.add_function(wrap_pyfunction!(is_tracing, m)?)?;
    m.add_function(wrap_pyfunction!(memory_stats, m)?)?;
    m.add_function(wrap_pyfunction!(reset_peak_memory, m)?)?;
    Ok(())
}
