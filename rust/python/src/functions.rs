//! Module-level functions of `kerasish._core`: creation, random numbers, autograd switches and
//! the op table. `kerasish.ops` (Python) normalises Keras-style arguments and calls these.
use super::convert::{as_tensor, from_numpy};
use super::op as call_op;
use super::tensor::{axes_arg, dtype_arg, PyTensor};
use super::ToPy;
use kerasish_engine::autograd;

use kerasish_engine::dtype::DType;
use kerasish_engine::ops::{self, Binary, Compare, Unary};
use kerasish_engine::random;
use kerasish_engine::tensor::Tensor;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

type T = PyResult<PyTensor>;

fn t(x: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    as_tensor(x, None)
}

/// Converts two operands, letting Python scalars follow the tensor's dtype.
fn pair(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<(Tensor, Tensor)> {
    if a.is_instance_of::<PyTensor>() || !b.is_instance_of::<PyTensor>() {
        let x = as_tensor(a, None)?;
        let y = as_tensor(b, Some(x.dtype()))?;
        Ok((x, y))
    } else {
        let y = as_tensor(b, None)?;
        let x = as_tensor(a, Some(y.dtype()))?;
        Ok((x, y))
    }
}

pub(crate) fn make_tensor(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    dtype: Option<DType>,
    requires_grad: bool,
) -> PyResult<Tensor> {
    let t = match data.cast::<PyTensor>() {
        // always a copy: tensor() never shares memory with its argument. Copying a broadcast
        // view makes all of it: the guarded runner turns a refused allocation into a MemoryError
        Ok(p) => {
            let src = p.get().t.clone();
            super::run(py, src.numel(), move || ops::copy(&src)?.try_convert(dtype.unwrap_or(src.dtype())))?
        }
        Err(_) => {
            let np = py.import("numpy")?;
            let typed = data.is_instance(&np.getattr("ndarray")?)? || data.is_instance(&np.getattr("generic")?)?;
            on_default(from_numpy(py, data, dtype, !typed)?).to_py()?
        }
    };
    if requires_grad {
        if !t.dtype().is_float() {
            return Err(PyTypeError::new_err(format!("only float tensors can require gradients, got {}", t.dtype().name())));
        }
        t.set_requires_grad(true);
    }
    Ok(t)
}

/// A new tensor moved to the default device (`set_device`, `with kerasish.device(...)`).
pub(crate) fn on_default(t: Tensor) -> kerasish_engine::Result<Tensor> {
    t.to_device(kerasish_engine::tensor::default_device())
}

#[pyfunction]
#[pyo3(signature = (data, dtype=None, requires_grad=false))]
fn tensor(py: Python<'_>, data: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>, requires_grad: bool) -> T {
    Ok(make_tensor(py, data, dtype_arg(dtype)?, requires_grad)?.into())
}

/// Converts without copying when given a tensor of the wanted dtype.
#[pyfunction]
#[pyo3(signature = (x, dtype=None))]
fn convert_to_tensor(x: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>) -> T {
    let want = dtype_arg(dtype)?;
    // Python scalars are made in the wanted dtype directly (0.1 as float64 stays exact)
    let tt = super::convert::as_tensor_in(x, want, want)?;
    match want {
        Some(d) if d != tt.dtype() => call_op(x.py(), "cast", vec![tt], move |i| ops::cast(&i[0], d)),
        _ => Ok(tt.into()),
    }
}

fn shape_arg(shape: &Bound<'_, PyAny>) -> PyResult<Vec<usize>> {
    let dims: Vec<i64> = match shape.extract::<i64>() {
        Ok(n) => vec![n],
        Err(_) => shape
            .extract::<Vec<i64>>()
            .map_err(|_| PyTypeError::new_err(format!("shape must be an int or a tuple of ints, got {shape}")))?,
    };
    if dims.iter().any(|&d| d < 0) {
        return Err(pyo3::exceptions::PyValueError::new_err(format!("negative dimensions are not allowed, got shape {shape}")));
    }
    Ok(dims.into_iter().map(|d| d as usize).collect())
}

/// A shape argument for a new tensor of this dtype, checked to fit in memory.
fn new_shape(op: &str, shape: &Bound<'_, PyAny>, dtype: DType) -> PyResult<Vec<usize>> {
    let s = shape_arg(shape)?;
    kerasish_engine::storage::check_size(op, &s, dtype).to_py()?;
    Ok(s)
}

#[pyfunction]
#[pyo3(signature = (shape, fill_value, dtype=None, device=None))]
fn full(shape: &Bound<'_, PyAny>, fill_value: f64, dtype: Option<&Bound<'_, PyAny>>, device: Option<&str>) -> T {
    let dt = dtype_arg(dtype)?.unwrap_or_else(super::convert::floatx);
    let dev = match device {
        Some(d) => kerasish_engine::tensor::Device::parse(d).to_py()?,
        None => kerasish_engine::tensor::default_device(),
    };
    Ok(Tensor::full_on(&new_shape("full", shape, dt)?, fill_value, dt, dev).to_py()?.into())
}

#[pyfunction]
#[pyo3(signature = (start, stop=None, step=None, dtype=None))]
fn arange(start: f64, stop: Option<f64>, step: Option<f64>, dtype: Option<&Bound<'_, PyAny>>) -> T {
    Ok(on_default(ops::arange(start, stop, step, dtype_arg(dtype)?).to_py()?).to_py()?.into())
}

/// The least upper bound of dtypes on Keras's promotion lattice (dtype.rs), by name.
#[pyfunction]
#[pyo3(signature = (*dtypes))]
fn promote_types(dtypes: Vec<Bound<'_, PyAny>>) -> PyResult<&'static str> {
    let mut out: Option<DType> = None;
    for d in &dtypes {
        let d = dtype_arg(Some(d))?.ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("promote_types: a dtype is None"))?;
        out = Some(out.map_or(d, |o| DType::promote(o, d)));
    }
    out.map(DType::name).ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("promote_types: needs at least one dtype"))
}

#[pyfunction]
#[pyo3(signature = (n, m=None, k=0, dtype=None))]
fn eye(n: usize, m: Option<usize>, k: isize, dtype: Option<&Bound<'_, PyAny>>) -> T {
    Ok(on_default(ops::eye(n, m, k, dtype_arg(dtype)?.unwrap_or_else(super::convert::floatx)).to_py()?).to_py()?.into())
}

/// `seed=`: None (the global generator), an int, or a SeedGenerator.
fn seed_arg(seed: Option<&Bound<'_, PyAny>>) -> PyResult<random::Seed> {
    let Some(s) = seed.filter(|s| !s.is_none()) else { return Ok(random::Seed::Global) };
    if let Ok(g) = s.cast::<SeedGenerator>() {
        return Ok(g.get().0.clone());
    }
    match s.extract::<i64>() {
        Ok(v) => Ok(random::Seed::Fixed(v as u64)),
        Err(_) => Err(PyTypeError::new_err(format!("seed must be None, an int or a SeedGenerator, got {s}"))),
    }
}

/// keras.random.SeedGenerator: a random stream of its own; every draw moves it on (also when a
/// traced step replays the draw).
#[pyclass(frozen, module = "kerasish._core")]
pub struct SeedGenerator(random::Seed);

#[pymethods]
impl SeedGenerator {
    #[new]
    #[pyo3(signature = (seed=None))]
    fn new(seed: Option<i64>) -> Self {
        SeedGenerator(random::Seed::stream(seed.map(|s| s as u64)))
    }
}

#[pyfunction]
#[pyo3(signature = (shape, mean=0.0, stddev=1.0, dtype=None, seed=None))]
fn random_normal(
    py: Python<'_>,
    shape: &Bound<'_, PyAny>,
    mean: f64,
    stddev: f64,
    dtype: Option<&Bound<'_, PyAny>>,
    seed: Option<&Bound<'_, PyAny>>,
) -> T {
    let dt = dtype_arg(dtype)?.unwrap_or_else(super::convert::floatx);
    if !dt.is_float() {
        bail_py(format!("normal: dtype must be a float dtype, got {}", dt.name()))?;
    }
    let (s, sd) = (new_shape("normal", shape, DType::F64)?, seed_arg(seed)?);
    let dev = kerasish_engine::tensor::default_device();
    call_op(py, "random_normal", vec![], move |_| random::normal(&s, mean, stddev, dt, &sd).to_device(dev))
}

#[pyfunction]
#[pyo3(signature = (shape, minval=0.0, maxval=1.0, dtype=None, seed=None))]
fn random_uniform(
    py: Python<'_>,
    shape: &Bound<'_, PyAny>,
    minval: f64,
    maxval: f64,
    dtype: Option<&Bound<'_, PyAny>>,
    seed: Option<&Bound<'_, PyAny>>,
) -> T {
    let dt = dtype_arg(dtype)?.unwrap_or_else(super::convert::floatx);
    if !dt.is_float() {
        bail_py(format!("uniform: dtype must be a float dtype, got {}", dt.name()))?;
    }
    let (s, sd) = (new_shape("uniform", shape, DType::F64)?, seed_arg(seed)?);
    let dev = kerasish_engine::tensor::default_device();
    call_op(py, "random_uniform", vec![], move |_| random::uniform_on(&s, minval, maxval, dt, &sd, dev))
}

#[pyfunction]
#[pyo3(signature = (shape, minval, maxval, dtype=None, seed=None))]
fn random_randint(
    py: Python<'_>,
    shape: &Bound<'_, PyAny>,
    minval: i64,
    maxval: i64,
    dtype: Option<&Bound<'_, PyAny>>,
    seed: Option<&Bound<'_, PyAny>>,
) -> T {
    if maxval <= minval {
        bail_py(format!("randint: maxval ({maxval}) must be greater than minval ({minval})"))?;
    }
    let dt = dtype_arg(dtype)?.unwrap_or(DType::I64);
    let (s, sd) = (new_shape("randint", shape, DType::I64)?, seed_arg(seed)?);
    let dev = kerasish_engine::tensor::default_device();
    call_op(py, "random_randint", vec![], move |_| random::randint(&s, minval, maxval, &sd).convert(dt).to_device(dev))
}

fn bail_py(msg: String) -> PyResult<()> {
    Err(pyo3::exceptions::PyValueError::new_err(msg))
}

#[pyfunction]
fn set_seed(seed: i64) {
    random::set_seed(seed as u64);
}

#[pyfunction]
fn set_grad_enabled(on: bool) -> bool {
    autograd::set_grad_enabled(on)
}

#[pyfunction]
fn is_grad_enabled() -> bool {
    autograd::is_grad_enabled()
}

#[pyfunction]
#[pyo3(signature = (op, x, param=0.0))]
fn unary(py: Python<'_>, op: &str, x: &Bound<'_, PyAny>, param: f64) -> T {
    let u = Unary::parse(op).to_py()?;
    call_op(py, "unary", vec![t(x)?], move |i| ops::unary(u, &i[0], param))
}

#[pyfunction]
fn binary(py: Python<'_>, op: &str, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> T {
    let o = Binary::parse(op).to_py()?;
    let (x, y) = pair(a, b)?;
    call_op(py, "binary", vec![x, y], move |i| ops::binary(o, &i[0], &i[1]))
}

#[pyfunction]
fn compare(py: Python<'_>, op: &str, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> T {
    let c = Compare::parse(op).to_py()?;
    let (x, y) = pair(a, b)?;
    call_op(py, "compare", vec![x, y], move |i| ops::compare(c, &i[0], &i[1]))
}

#[pyfunction]
#[pyo3(name = "where")]
fn where_(py: Python<'_>, cond: &Bound<'_, PyAny>, x1: &Bound<'_, PyAny>, x2: &Bound<'_, PyAny>) -> T {
    let c = t(cond)?;
    let (a, b) = pair(x1, x2)?;
    call_op(py, "where", vec![c, a, b], |i| ops::where_(&i[0], &i[1], &i[2]))
}

#[pyfunction]
fn clip(py: Python<'_>, x: &Bound<'_, PyAny>, x_min: &Bound<'_, PyAny>, x_max: &Bound<'_, PyAny>) -> T {
    let xt = t(x)?;
    let lo = as_tensor(x_min, Some(xt.dtype()))?;
    let hi = as_tensor(x_max, Some(xt.dtype()))?;
    call_op(py, "clip", vec![xt, lo, hi], |i| ops::clip(&i[0], &i[1], &i[2]))
}

#[pyfunction]
#[pyo3(signature = (op, x, axis=None, keepdims=false))]
fn reduce(py: Python<'_>, op: &str, x: &Bound<'_, PyAny>, axis: Option<&Bound<'_, PyAny>>, keepdims: bool) -> T {
    let f = ops::reduction(op).to_py()?;
    let a = axes_arg(axis)?;
    call_op(py, "reduce", vec![t(x)?], move |i| f(&i[0], a.as_deref(), keepdims))
}

#[pyfunction]
#[pyo3(signature = (x, axis=None, keepdims=false))]
fn argmax(py: Python<'_>, x: &Bound<'_, PyAny>, axis: Option<isize>, keepdims: bool) -> T {
    call_op(py, "argmax", vec![t(x)?], move |i| ops::argmax(&i[0], axis, keepdims))
}

#[pyfunction]
#[pyo3(signature = (x, axis=None, keepdims=false))]
fn argmin(py: Python<'_>, x: &Bound<'_, PyAny>, axis: Option<isize>, keepdims: bool) -> T {
    call_op(py, "argmin", vec![t(x)?], move |i| ops::argmin(&i[0], axis, keepdims))
}

#[pyfunction]
fn matmul(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> T {
    let (x, y) = pair(a, b)?;
    call_op(py, "matmul", vec![x, y], |i| ops::matmul(&i[0], &i[1]))
}

#[pyfunction]
fn dot(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> T {
    let (x, y) = pair(a, b)?;
    call_op(py, "dot", vec![x, y], |i| ops::dot(&i[0], &i[1]))
}

#[pyfunction]
#[pyo3(signature = (x, axes=None))]
fn transpose(py: Python<'_>, x: &Bound<'_, PyAny>, axes: Option<Vec<isize>>) -> T {
    call_op(py, "transpose", vec![t(x)?], move |i| ops::transpose(&i[0], axes.as_deref()))
}

#[pyfunction]
fn reshape(py: Python<'_>, x: &Bound<'_, PyAny>, shape: &Bound<'_, PyAny>) -> T {
    let s: Vec<isize> = match shape.extract::<isize>() {
        Ok(n) => vec![n],
        Err(_) => shape
            .extract()
            .map_err(|_| PyTypeError::new_err(format!("reshape: new shape must be an int or a tuple of ints, got {shape}")))?,
    };
    call_op(py, "reshape", vec![t(x)?], move |i| ops::reshape(&i[0], &s))
}

#[pyfunction]
fn expand_dims(py: Python<'_>, x: &Bound<'_, PyAny>, axis: isize) -> T {
    call_op(py, "expand_dims", vec![t(x)?], move |i| ops::expand_dims(&i[0], axis))
}

#[pyfunction]
#[pyo3(signature = (x, axis=None))]
fn squeeze(py: Python<'_>, x: &Bound<'_, PyAny>, axis: Option<&Bound<'_, PyAny>>) -> T {
    let a = axes_arg(axis)?;
    call_op(py, "squeeze", vec![t(x)?], move |i| ops::squeeze(&i[0], a.as_deref()))
}

#[pyfunction]
fn broadcast_to(py: Python<'_>, x: &Bound<'_, PyAny>, shape: &Bound<'_, PyAny>) -> T {
    let s = shape_arg(shape)?;
    call_op(py, "broadcast_to", vec![t(x)?], move |i| ops::broadcast_to(&i[0], &s))
}

fn tensor_list(xs: &Bound<'_, PyAny>) -> PyResult<Vec<Tensor>> {
    let mut out = Vec::new();
    for x in xs.try_iter()? {
        out.push(t(&x?)?);
    }
    Ok(out)
}

#[pyfunction]
#[pyo3(signature = (xs, axis=0))]
fn concatenate(py: Python<'_>, xs: &Bound<'_, PyAny>, axis: isize) -> T {
    call_op(py, "concatenate", tensor_list(xs)?, move |i| ops::concatenate(i, axis))
}

#[pyfunction]
#[pyo3(signature = (xs, axis=0))]
fn stack(py: Python<'_>, xs: &Bound<'_, PyAny>, axis: isize) -> T {
    call_op(py, "stack", tensor_list(xs)?, move |i| ops::stack(i, axis))
}

#[pyfunction]
#[pyo3(signature = (x, indices_or_sections, axis=0))]
fn split(py: Python<'_>, x: &Bound<'_, PyAny>, indices_or_sections: &Bound<'_, PyAny>, axis: isize) -> PyResult<Vec<PyTensor>> {
    let xt = t(x)?;
    let (k, p): (Option<usize>, Option<Vec<usize>>) =
        match indices_or_sections.extract::<usize>() {
            Ok(k) => (Some(k), None),
            Err(_) => (
                None,
                Some(indices_or_sections.extract().map_err(|_| {
                    PyTypeError::new_err("split: indices_or_sections must be an int or a list of non-negative ints")
                })?),
            ),
        };
    let parts = super::run(py, 0, move || {
        kerasish_engine::plan::call(
            "split",
            vec![xt],
            std::sync::Arc::new(move |i: &[Tensor]| ops::split(&i[0], k, p.as_deref(), axis)),
        )
    })?;
    Ok(parts.into_iter().map(PyTensor::from).collect())
}

#[pyfunction]
#[pyo3(signature = (x, num_classes, dtype=None))]
fn one_hot(py: Python<'_>, x: &Bound<'_, PyAny>, num_classes: usize, dtype: Option<&Bound<'_, PyAny>>) -> T {
    let dt = dtype_arg(dtype)?.unwrap_or_else(super::convert::floatx);
    call_op(py, "one_hot", vec![t(x)?], move |i| ops::one_hot(&i[0], num_classes, dt))
}

#[pyfunction]
#[pyo3(signature = (x, indices, axis=None))]
fn take(py: Python<'_>, x: &Bound<'_, PyAny>, indices: &Bound<'_, PyAny>, axis: Option<isize>) -> T {
    call_op(py, "take", vec![t(x)?, t(indices)?], move |i| ops::take(&i[0], &i[1], axis))
}

#[pyfunction]
fn take_along_axis(py: Python<'_>, x: &Bound<'_, PyAny>, indices: &Bound<'_, PyAny>, axis: isize) -> T {
    call_op(py, "take_along_axis", vec![t(x)?, t(indices)?], move |i| ops::take_along_axis(&i[0], &i[1], axis))
}

/// zeros(shape) with values added at flat positions (checked); `last`: each element takes the
/// last value written to it (integers).
#[pyfunction]
#[pyo3(signature = (values, positions, shape, last=false))]
fn scatter_add(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    positions: &Bound<'_, PyAny>,
    shape: &Bound<'_, PyAny>,
    last: bool,
) -> T {
    let shape = shape_arg(shape)?;
    call_op(py, "scatter_add", vec![t(values)?, t(positions)?], move |i| ops::scatter_add(&i[0], &i[1], &shape, last))
}

/// The int64 positions that sort x along `axis` (stable).
#[pyfunction]
#[pyo3(signature = (x, axis=-1, descending=false))]
fn argsort(py: Python<'_>, x: &Bound<'_, PyAny>, axis: isize, descending: bool) -> T {
    call_op(py, "argsort", vec![t(x)?], move |i| ops::argsort(&i[0], axis, descending))
}

#[pyfunction]
fn cumsum(py: Python<'_>, x: &Bound<'_, PyAny>, axis: isize) -> T {
    call_op(py, "cumsum", vec![t(x)?], move |i| ops::cumsum(&i[0], axis))
}

#[pyfunction]
#[pyo3(signature = (x, axis=-1))]
fn softmax(py: Python<'_>, x: &Bound<'_, PyAny>, axis: isize) -> T {
    call_op(py, "softmax", vec![t(x)?], move |i| ops::softmax(&i[0], axis))
}

#[pyfunction]
#[pyo3(signature = (x, axis=-1))]
fn log_softmax(py: Python<'_>, x: &Bound<'_, PyAny>, axis: isize) -> T {
    call_op(py, "log_softmax", vec![t(x)?], move |i| ops::log_softmax(&i[0], axis))
}

#[pyfunction]
#[pyo3(signature = (target, output, from_logits=false))]
fn binary_crossentropy(py: Python<'_>, target: &Bound<'_, PyAny>, output: &Bound<'_, PyAny>, from_logits: bool) -> T {
    call_op(py, "binary_crossentropy", vec![t(target)?, t(output)?], move |i| ops::binary_crossentropy(&i[0], &i[1], from_logits))
}

#[pyfunction]
#[pyo3(signature = (target, output, from_logits=false, axis=-1))]
fn categorical_crossentropy(
    py: Python<'_>,
    target: &Bound<'_, PyAny>,
    output: &Bound<'_, PyAny>,
    from_logits: bool,
    axis: isize,
) -> T {
    call_op(py, "categorical_crossentropy", vec![t(target)?, t(output)?], move |i| {
        ops::categorical_crossentropy(&i[0], &i[1], from_logits, axis)
    })
}

#[pyfunction]
#[pyo3(signature = (target, output, from_logits=false, axis=-1))]
fn sparse_categorical_crossentropy(
    py: Python<'_>,
    target: &Bound<'_, PyAny>,
    output: &Bound<'_, PyAny>,
    from_logits: bool,
    axis: isize,
) -> T {
    call_op(py, "sparse_categorical_crossentropy", vec![t(target)?, t(output)?], move |i| {
        ops::sparse_categorical_crossentropy(&i[0], &i[1], from_logits, axis)
    })
}

/// act(conv(inputs, kernel) + bias) in one op (bias None and activation "linear": the plain conv).
#[pyfunction]
#[pyo3(signature = (inputs, kernel, strides, padding, dilation_rate, bias=None, activation="linear"))]
#[allow(clippy::too_many_arguments)]
fn conv(
    py: Python<'_>,
    inputs: &Bound<'_, PyAny>,
    kernel: &Bound<'_, PyAny>,
    strides: [usize; 2],
    padding: &str,
    dilation_rate: [usize; 2],
    bias: Option<&Bound<'_, PyAny>>,
    activation: &str,
) -> T {
    let act = ops::Act::parse("conv", activation).to_py()?;
    let padding = padding.to_string();
    let mut args = vec![t(inputs)?, t(kernel)?];
    if let Some(b) = bias.filter(|b| !b.is_none()) {
        args.push(t(b)?);
    }
    call_op(py, "conv", args, move |i| ops::conv_bias_act(&i[0], &i[1], i.get(2), act, strides, &padding, dilation_rate))
}

/// The transpose of conv with explicit geometry (output size and padding before; the Keras padding
/// rules are resolved in Python).
#[pyfunction]
fn conv_transpose(
    py: Python<'_>,
    inputs: &Bound<'_, PyAny>,
    kernel: &Bound<'_, PyAny>,
    strides: [usize; 2],
    out_size: [usize; 2],
    pad_before: [usize; 2],
    dilation_rate: [usize; 2],
) -> T {
    call_op(py, "conv_transpose", vec![t(inputs)?, t(kernel)?], move |i| {
        ops::conv_transpose(&i[0], &i[1], strides, out_size, pad_before, dilation_rate)
    })
}

/// The same bytes as another dtype (keras.ops.view); see ops::bitcast.
#[pyfunction]
fn bitcast(py: Python<'_>, x: &Bound<'_, PyAny>, dtype: &Bound<'_, PyAny>) -> T {
    let Some(dt) = dtype_arg(Some(dtype))? else {
        return Err(pyo3::exceptions::PyTypeError::new_err("view: dtype must name a dtype"));
    };
    call_op(py, "bitcast", vec![t(x)?], move |i| ops::bitcast(&i[0], dt))
}

#[pyfunction]
fn gammainc(py: Python<'_>, a: &Bound<'_, PyAny>, x: &Bound<'_, PyAny>) -> T {
    call_op(py, "gammainc", vec![t(a)?, t(x)?], |i| ops::gammainc(&i[0], &i[1]))
}

#[pyfunction]
fn max_pool(py: Python<'_>, inputs: &Bound<'_, PyAny>, pool_size: [usize; 2], strides: [usize; 2], padding: &str) -> T {
    let padding = padding.to_string();
    call_op(py, "max_pool", vec![t(inputs)?], move |i| ops::max_pool(&i[0], pool_size, strides, &padding))
}

#[pyfunction]
fn average_pool(py: Python<'_>, inputs: &Bound<'_, PyAny>, pool_size: [usize; 2], strides: [usize; 2], padding: &str) -> T {
    let padding = padding.to_string();
    call_op(py, "average_pool", vec![t(inputs)?], move |i| ops::average_pool(&i[0], pool_size, strides, &padding))
}

/// act(z + bias) in one pass (bias along the last axis; act: linear, relu, sigmoid, tanh).
#[pyfunction]
#[pyo3(signature = (z, bias, activation))]
fn bias_act(py: Python<'_>, z: &Bound<'_, PyAny>, bias: Option<&Bound<'_, PyAny>>, activation: &str) -> T {
    let act = ops::Act::parse("bias_act", activation).to_py()?;
    let mut inputs = vec![t(z)?];
    if let Some(b) = bias.filter(|b| !b.is_none()) {
        inputs.push(t(b)?);
    }
    call_op(py, "bias_act", inputs, move |i| ops::bias_act(&i[0], i.get(1), act))
}

/// SGD's update of a variable in place (see ops::sgd_update); `lr` is a 0-d tensor.
#[pyfunction]
#[pyo3(signature = (variable, gradient, momentum, learning_rate, momentum_factor=0.0, nesterov=false))]
fn sgd_update(
    py: Python<'_>,
    variable: PyRef<'_, PyTensor>,
    gradient: PyRef<'_, PyTensor>,
    momentum: Option<PyRef<'_, PyTensor>>,
    learning_rate: PyRef<'_, PyTensor>,
    momentum_factor: f64,
    nesterov: bool,
) -> PyResult<()> {
    let mut inputs = vec![variable.t.clone(), gradient.t.clone(), learning_rate.t.clone()];
    inputs.extend(momentum.map(|m| m.t.clone()));
    super::op_inplace(py, "sgd_update", inputs, move |i| {
        ops::sgd_update(&i[0], &i[1], i.get(3), &i[2], momentum_factor, nesterov)
    })
}

/// Adam's update of a variable and its slots in place (see ops::adam_update).
#[pyfunction]
#[pyo3(signature = (variable, gradient, momentum, velocity, velocity_hat, learning_rate, iterations, beta_1, beta_2, epsilon))]
#[allow(clippy::too_many_arguments)]
fn adam_update(
    py: Python<'_>,
    variable: PyRef<'_, PyTensor>,
    gradient: PyRef<'_, PyTensor>,
    momentum: PyRef<'_, PyTensor>,
    velocity: PyRef<'_, PyTensor>,
    velocity_hat: Option<PyRef<'_, PyTensor>>,
    learning_rate: PyRef<'_, PyTensor>,
    iterations: PyRef<'_, PyTensor>,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
) -> PyResult<()> {
    let mut inputs = vec![
        variable.t.clone(),
        gradient.t.clone(),
        momentum.t.clone(),
        velocity.t.clone(),
        learning_rate.t.clone(),
        iterations.t.clone(),
    ];
    inputs.extend(velocity_hat.map(|m| m.t.clone()));
    super::op_inplace(py, "adam_update", inputs, move |i| {
        ops::adam_update(&i[0], &i[1], &i[2], &i[3], i.get(6), &i[4], &i[5], beta_1, beta_2, epsilon)
    })
}

/// Serialises {name: tensor} (and {str: str} metadata) to safetensors bytes.
#[pyfunction]
#[pyo3(signature = (tensors, metadata=None))]
fn safetensors_dumps<'py>(
    py: Python<'py>,
    tensors: Vec<(String, PyRef<'py, PyTensor>)>,
    metadata: Option<std::collections::HashMap<String, String>>,
) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let items: Vec<(String, Tensor)> = tensors.into_iter().map(|(n, t)| (n, t.t.clone())).collect();
    let bytes = super::run(py, usize::MAX, || kerasish_engine::io::dumps(&items, metadata))?;
    Ok(pyo3::types::PyBytes::new(py, &bytes))
}

/// Parses safetensors bytes: ([(name, tensor)] sorted by name, metadata dict).
#[pyfunction]
fn safetensors_loads(
    py: Python<'_>,
    data: &[u8],
) -> PyResult<(Vec<(String, PyTensor)>, std::collections::HashMap<String, String>)> {
    let (items, meta) = super::run(py, usize::MAX, || kerasish_engine::io::loads(data))?;
    Ok((items.into_iter().map(|(n, t)| (n, PyTensor::from(t))).collect(), meta))
}

/// How many threads the kernels use (rayon's pool).
#[pyfunction]
fn num_threads() -> usize {
    rayon::current_num_threads()
}

/// The devices this build can use: "cpu", then one entry per GPU adapter wgpu finds
/// ("gpu:<i> <adapter name> (<backend>, <device type>)").
#[pyfunction]
fn list_devices() -> Vec<String> {
    kerasish_engine::backend::list_devices()
}

/// Whether the build has the GPU feature, and if so the adapter the GPU device runs on (or why
/// there is none): (built_with_gpu, adapter name or error message).
#[pyfunction]
fn gpu_info() -> (bool, String) {
    kerasish_engine::backend::gpu_info()
}

/// Sets the device new tensors are made on and returns its name. "gpu" opens the GPU now (an
/// error names what is missing); "cpu" always works; "auto" takes the GPU when there is one and
/// falls back to the CPU otherwise.
#[pyfunction]
fn set_device(name: &str) -> PyResult<&'static str> {
    Ok(kerasish_engine::backend::set_default_device(name).to_py()?.name())
}

#[pyfunction]
fn get_device() -> &'static str {
    kerasish_engine::tensor::default_device().name()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    macro_rules! add {
        ($($f:ident),*) => { $(m.add_function(wrap_pyfunction!($f, m)?)?;)* };
    }
    m.add_function(wrap_pyfunction!(super::convert::set_floatx, m)?)?;
    add!(
        tensor,
        convert_to_tensor,
        full,
        promote_types,
        arange,
        eye,
        random_normal,
        random_uniform,
        random_randint,
        set_seed,
        set_grad_enabled,
        is_grad_enabled,
        unary,
        binary,
        compare,
        where_,
        clip,
        reduce,
        argmax,
        argmin,
        matmul,
        dot,
        transpose,
        reshape,
        expand_dims,
        squeeze,
        broadcast_to,
        concatenate,
        stack,
        split,
        one_hot,
        take,
        take_along_axis,
        softmax,
        argsort,
        cumsum,
        scatter_add,
        log_softmax,
        binary_crossentropy,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        conv,
        conv_transpose,
        bitcast,
        gammainc,
        max_pool,
        average_pool,
        num_threads,
        safetensors_dumps,
        safetensors_loads,
        sgd_update,
        adam_update,
        bias_act,
        list_devices,
        gpu_info,
        set_device,
        get_device
    );
    m.add_class::<SeedGenerator>()?;
    Ok(())
}
