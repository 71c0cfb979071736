//! Traced steps for Python: open/close a trace, and `Plan`, which replays a step and runs the
//! batch loop of fit/evaluate/predict in Rust with the GIL released.
use super::tensor::PyTensor;
use crate::dtype::DType;
use crate::plan::{self, Plan};
use crate::storage::Elem;
use crate::tensor::Tensor;
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// Opens a trace: the ops run from now on are recorded; `inputs` are the batch tensors.
#[pyfunction]
fn trace_begin(inputs: Vec<PyRef<'_, PyTensor>>) -> PyResult<()> {
    let ts: Vec<Tensor> = inputs.iter().map(|p| p.t.clone()).collect();
    Ok(plan::begin(&ts)?)
}

/// Closes the trace and returns its Plan (ValueError, naming why, if the step cannot be replayed).
#[pyfunction]
fn trace_end(outputs: Vec<PyRef<'_, PyTensor>>) -> PyResult<PyPlan> {
    let ts: Vec<Tensor> = outputs.iter().map(|p| p.t.clone()).collect();
    Ok(PyPlan(plan::end(&ts)?))
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
        "cpu" => Ok(crate::storage::stats::get(false)),
        "gpu" => Ok(crate::storage::stats::get(true)),
        _ => Err(pyo3::exceptions::PyValueError::new_err(format!("memory_stats: device must be 'cpu' or 'gpu', got {device:?}"))),
    }
}

#[pyfunction]
fn reset_peak_memory() {
    crate::storage::stats::reset_peak()
}

/// A NumPy array's elements, checked against the dtype a plan wants.
struct ArrayRef {
    ptr: usize,
    shape: Vec<usize>,
}

fn array_ref(a: &Bound<'_, PyAny>, want: DType, what: &str) -> PyResult<ArrayRef> {
    macro_rules! try_as {
        ($t:ty) => {
            match a.cast::<PyArrayDyn<$t>>() {
                Ok(arr) => {
                    if !arr.is_c_contiguous() {
                        return Err(PyValueError::new_err(format!("{what}: the array must be C-contiguous")));
                    }
                    return Ok(ArrayRef { ptr: arr.data() as usize, shape: arr.shape().to_vec() });
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
        DType::Bool => try_as!(bool),
    }
}

/// Copies rows `rows` of `src` (row-major, `row` elements per row) into `dst`, in order.
fn gather_rows(dst: &Tensor, src: &ArrayRef, rows: &[usize]) {
    let row: usize = src.shape[1..].iter().product();
    let total = src.shape[0] * row;
    crate::with_dtype!(dst.dtype(), T => {
        // SAFETY: the caller holds the array (alive, C-contiguous, of this dtype and `total`
        // elements) for the whole call; it is only read.
        let s: &[T] = unsafe { std::slice::from_raw_parts(src.ptr as *const T, total) };
        let mut g = dst.storage().write();
        let d = T::slice_mut(&mut g);
        for (j, &r) in rows.iter().enumerate() {
            d[j * row..(j + 1) * row].copy_from_slice(&s[r * row..(r + 1) * row]);
        }
    });
}

/// Copies a contiguous tensor into rows [lo, lo + n) of an output array.
fn scatter_rows(src: &Tensor, dst: &ArrayRef, lo: usize) -> crate::Result<()> {
    // a GPU output (loss, metrics, predictions) is read back here
    let host = src.to_device(crate::tensor::Device::Cpu)?;
    let src = &host;
    let row: usize = dst.shape[1..].iter().product();
    let total = dst.shape[0] * row;
    crate::with_dtype!(src.dtype(), T => {
        let v = src.to_vec::<T>();
        // SAFETY: the caller holds the output array (alive, C-contiguous, writeable, this dtype)
        // and nothing else writes it during the call; rows are within its bounds (checked).
        let d: &mut [T] = unsafe { std::slice::from_raw_parts_mut(dst.ptr as *mut T, total) };
        d[lo * row..lo * row + v.len()].copy_from_slice(&v);
    });
    Ok(())
}

/// Checks the arrays against a plan's inputs (dtype, row shape); returns them and their row count.
fn sources(plan: &Plan, arrays: &[Bound<'_, PyAny>], batch_size: usize) -> PyResult<(Vec<ArrayRef>, usize)> {
    let sig = plan.input_signature();
    if arrays.len() != sig.len() {
        return Err(PyValueError::new_err(format!("the plan takes {} arrays, got {}", sig.len(), arrays.len())));
    }
    let mut srcs = Vec::new();
    let mut n_rows = None;
    for (i, (a, (shape, dt))) in arrays.iter().zip(sig).enumerate() {
        let r = array_ref(a, *dt, &format!("array {i}"))?;
        if shape.first() != Some(&batch_size) || r.shape.len() != shape.len() || r.shape[1..] != shape[1..] {
            return Err(PyValueError::new_err(format!(
                "array {i} has shape {:?}; the plan was traced for batches of shape {:?}",
                r.shape, shape
            )));
        }
        if *n_rows.get_or_insert(r.shape[0]) != r.shape[0] {
            return Err(PyValueError::new_err("the arrays have different numbers of rows"));
        }
        srcs.push(r);
    }
    Ok((srcs, n_rows.unwrap_or(0)))
}

/// A plan's input tensors, twice: while one batch runs, the next batch's rows are copied into
/// the other set on a second thread (copying rows picked at random from a large array waits on
/// memory; for a small model it was a quarter of the step). The step itself runs inside the
/// thread pool, so its parallel kernels start without waking threads from outside. Batches under
/// OVERLAP_MIN_BYTES run on the calling thread, one after the other: handing a tiny step to the
/// pool costs more than the step (XOR's 4-row steps took 2.5x as long).
struct Feed<'a> {
    plan: &'a Plan,
    srcs: Vec<ArrayRef>,
    sets: [Vec<Tensor>; 2],
    cur: usize,
    overlap: bool,
}

const OVERLAP_MIN_BYTES: usize = 1 << 16;

impl<'a> Feed<'a> {
    fn new(plan: &'a Plan, srcs: Vec<ArrayRef>) -> Feed<'a> {
        let set = || plan.input_signature().iter().map(|(s, dt)| Tensor::full(s, 0.0, *dt)).collect();
        let bytes: usize = plan.input_signature().iter().map(|(s, dt)| s.iter().product::<usize>() * dt.size()).sum();
        Feed { plan, srcs, sets: [set(), set()], cur: 0, overlap: bytes >= OVERLAP_MIN_BYTES }
    }

    /// Copies `rows` of each array into the set the next step runs on.
    fn load(&self, rows: &[usize]) {
        load_into(&self.sets[self.cur], &self.srcs, rows);
    }

    /// Runs the plan on the loaded batch while `next` (if any) is copied into the other set.
    fn step(&mut self, next: Option<&[usize]>) -> crate::Result<Vec<Tensor>> {
        let (cur, other) = (&self.sets[self.cur], &self.sets[1 - self.cur]);
        let (plan, srcs) = (self.plan, &self.srcs);
        let load_next = || {
            if let Some(rows) = next {
                load_into(other, srcs, rows);
            }
        };
        let result = if self.overlap {
            rayon::join(|| run_set(plan, cur), load_next).0
        } else {
            let r = run_set(plan, cur);
            load_next();
            r
        };
        self.cur = 1 - self.cur;
        result
    }
}

/// Runs the plan on a loaded set; on the GPU device each batch goes up once (the plan was traced
/// on GPU inputs).
fn run_set(plan: &Plan, set: &[Tensor]) -> crate::Result<Vec<Tensor>> {
    let dev = crate::tensor::default_device();
    if dev != crate::tensor::Device::Cpu {
        let up = set.iter().map(|t| t.to_device(dev)).collect::<crate::Result<Vec<_>>>()?;
        return plan.run(&up);
    }
    plan.run(set)
}

fn load_into(set: &[Tensor], srcs: &[ArrayRef], rows: &[usize]) {
    for (t, s) in set.iter().zip(srcs) {
        gather_rows(t, s, rows);
    }
}

/// A random permutation of 0..n from the global generator (the order fit shuffles rows in).
#[pyfunction]
fn permutation<'py>(py: Python<'py>, n: usize) -> PyResult<Bound<'py, numpy::PyArray1<i64>>> {
    crate::storage::check_size("permutation", &[n], DType::I64)?;
    Ok(numpy::PyArray1::from_vec(py, py.detach(|| perm(n))))
}

fn perm(n: usize) -> Vec<i64> {
    let mut v: Vec<i64> = (0..n as i64).collect();
    crate::random::with_rng(&crate::random::Seed::Global, |rng| {
        use rand::Rng;
        for i in (1..n).rev() {
            let j = ((rng.next_u64() as u128 * (i as u128 + 1)) >> 64) as usize; // uniform in 0..=i
            v.swap(i, j);
        }
    });
    v
}

/// How often a loop that runs without the GIL looks for Ctrl-C.
const SIGNAL_EVERY: std::time::Duration = std::time::Duration::from_millis(20);

/// Whole epochs without Python: per epoch `reset` (no inputs), the rows shuffled when asked,
/// each segment's plan on its batches (`(plan, batch_size, count)`, in order), then `results`,
/// whose scalar outputs are returned, one list per epoch. Ctrl-C is checked between batches.
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
    let mut n_total = 0;
    for (plan, bs, count) in &segments {
        let (srcs, n) = sources(&plan.0, &arrays, *bs)?;
        n_total += bs * count;
        if n_total > n {
            return Err(PyValueError::new_err(format!("run_epochs: the segments need {n_total} rows, the arrays have {n}")));
        }
        segs.push((Feed::new(&plan.0, srcs), *bs, *count));
    }
    let n_rows = segs.first().map(|s| s.0.srcs.first().map_or(0, |a| a.shape[0])).unwrap_or(0);
    let (reset, results) = (&reset.0, &results.0);
    let mut out = Vec::with_capacity(epochs);
    // Ctrl-C: the signal flag is read between batches (taking the GIL for it at most every
    // SIGNAL_EVERY), so an interrupt stops the loop at a batch boundary within ~100 ms
    let mut last_check = std::time::Instant::now();
    let mut interrupted: Option<PyErr> = None;
    for _ in 0..epochs {
        let values = super::run(py, usize::MAX, || -> crate::Result<Vec<f64>> {
            reset.run(&[])?;
            let order: Vec<usize> =
                if shuffle { perm(n_rows).into_iter().map(|r| r as usize).collect() } else { (0..n_rows).collect() };
            let mut pos = 0;
            for (feed, bs, count) in segs.iter_mut() {
                let bs = *bs;
                if *count > 0 {
                    feed.load(&order[pos..pos + bs]);
                }
                for j in 0..*count {
                    let next = (j + 1 < *count).then(|| &order[pos + bs..pos + 2 * bs]);
                    feed.step(next)?;
                    pos += bs;
                    if last_check.elapsed() >= SIGNAL_EVERY {
                        last_check = std::time::Instant::now();
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            interrupted = Some(e);
                            return Ok(Vec::new());
                        }
                    }
                }
            }
            results.run(&[])?.iter().map(|t| t.item_f64()).collect()
        })?;
        if let Some(e) = interrupted {
            return Err(e);
        }
        out.push(values);
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
        let (srcs, n_rows) = sources(&self.0, &arrays, batch_size)?;
        let order: Option<Vec<usize>> = match order.filter(|o| !o.is_none()) {
            Some(o) => {
                let arr = o
                    .cast::<numpy::PyArray1<i64>>()
                    .map_err(|_| PyTypeError::new_err("run_batches: `order` must be a 1-d int64 NumPy array"))?;
                let v: Vec<i64> = arr.readonly().as_slice()?.to_vec();
                if v.len() != n_rows || v.iter().any(|&r| r < 0 || r as usize >= n_rows) {
                    return Err(PyValueError::new_err("run_batches: `order` must be a permutation of the rows"));
                }
                Some(v.into_iter().map(|r| r as usize).collect())
            }
            None => None,
        };
        let end = start + count * batch_size;
        if end > n_rows {
            return Err(PyValueError::new_err(format!(
                "run_batches: {count} batches of {batch_size} rows from row {start} need {end} rows, the arrays have {n_rows}"
            )));
        }
        let outs: Vec<ArrayRef> = match &outputs {
            Some(os) => {
                let mut v = Vec::new();
                for (i, o) in os.iter().enumerate() {
                    let dt = super::tensor::dtype_arg(Some(&o.getattr("dtype")?))?.unwrap_or(DType::F32);
                    let r = array_ref(o, dt, &format!("run_batches: output {i}"))?;
                    if r.shape.first().copied().unwrap_or(0) < end {
                        return Err(PyValueError::new_err(format!("run_batches: output {i} has too few rows")));
                    }
                    v.push(r);
                }
                v
            }
            None => Vec::new(),
        };
        let rows_of = |j: usize| -> Vec<usize> {
            let lo = start + j * batch_size;
            match &order {
                Some(o) => o[lo..lo + batch_size].to_vec(),
                None => (lo..lo + batch_size).collect(),
            }
        };
        let mut feed = Feed::new(&self.0, srcs);
        if count > 0 {
            let first = rows_of(0);
            py.detach(|| feed.load(&first));
        }
        let mut done = 0;
        for j in 0..count {
            let lo = start + j * batch_size;
            let next = (j + 1 < count).then(|| rows_of(j + 1));
            let result = super::run(py, usize::MAX, || feed.step(next.as_deref()))?;
            for (i, (t, o)) in result.iter().zip(&outs).enumerate() {
                let row: usize = o.shape[1..].iter().product();
                if t.numel() != batch_size * row
                    || super::tensor::dtype_arg(Some(&outputs.as_ref().unwrap()[i].getattr("dtype")?))?.unwrap_or(DType::F32)
                        != t.dtype()
                {
                    return Err(PyValueError::new_err(format!("run_batches: output {i} does not match the plan's output")));
                }
                scatter_rows(t, o, lo)?;
            }
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
