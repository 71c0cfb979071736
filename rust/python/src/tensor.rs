//! The Python `kerasish.Tensor` class.
use super::convert::{as_tensor, from_numpy};
use super::ToPy;
use kerasish_engine::autograd;
use kerasish_engine::dtype::DType;
use kerasish_engine::ops::{self, Binary, Compare, Index};
use kerasish_engine::tensor::Tensor;
use numpy::ndarray::{ArrayView, IxDyn, ShapeBuilder};
use numpy::PyArray;
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyEllipsis, PyList, PySlice, PyTuple};

// `dict`: a tensor carries Keras's `_keras_mask` attribute from layer to layer, as Keras's tensors do
#[pyclass(frozen, subclass, dict, name = "Tensor", module = "kerasish")]
pub struct PyTensor {
    pub t: Tensor,
}

impl From<Tensor> for PyTensor {
    fn from(t: Tensor) -> Self {
        PyTensor { t }
    }
}

pub(crate) fn axes_arg(axis: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<isize>>> {
    match axis {
        None => Ok(None),
        Some(a) if a.is_none() => Ok(None),
        Some(a) => {
            if let Ok(i) = a.extract::<isize>() {
                Ok(Some(vec![i]))
            } else {
                a.extract::<Vec<isize>>()
                    .map(Some)
                    .map_err(|_| PyTypeError::new_err(format!("axis must be None, an int or a tuple of ints, got {a}")))
            }
        }
    }
}

pub(crate) fn dtype_arg(dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DType>> {
    match dtype {
        None => Ok(None),
        Some(d) if d.is_none() => Ok(None),
        Some(d) => {
            let name: String = match d.extract::<String>() {
                Ok(s) => s,
                // NumPy dtypes and types such as np.float32 have a name
                Err(_) => match d.getattr("name").or_else(|_| d.getattr("__name__")) {
                    Ok(n) => n.extract()?,
                    Err(_) => return Err(PyTypeError::new_err(format!("dtype must be a string such as 'float32', got {d}"))),
                },
            };
            Ok(Some(DType::parse(&name).to_py()?))
        }
    }
}

/// A zero-copy NumPy view of the tensor's storage; the array's base keeps the tensor alive.
pub(crate) fn to_numpy<'py>(slf: &Bound<'py, PyTensor>) -> PyResult<Bound<'py, PyAny>> {
    if slf.get().t.device() != kerasish_engine::tensor::Device::Cpu {
        // a GPU tensor is read back into a new CPU tensor; the array is a view of that copy
        let host = slf.get().t.to_device(kerasish_engine::tensor::Device::Cpu).to_py()?;
        let b = Bound::new(slf.py(), PyTensor::from(host))?;
        return to_numpy(&b);
    }
    let t = &slf.get().t;
    let l = t.layout();
    if l.ndim() > 32 {
        return Err(PyValueError::new_err(format!(
            "a tensor of rank {} cannot be converted to NumPy (at most 32 dimensions)",
            l.ndim()
        )));
    }
    let guard = t.storage().read();
    let base = guard.as_ptr();
    drop(guard); // the buffer never moves or shrinks while the storage lives

    // ndarray takes non-negative strides from the element with the lowest address; an axis
    // with a negative stride is made from its last element and then inverted
    let empty = l.numel() == 0;
    let mut first = if empty { 0 } else { l.offset as isize };
    let mut flipped = Vec::new();
    let strides: Vec<usize> = l
        .strides
        .iter()
        .zip(&l.shape)
        .enumerate()
        .map(|(d, (&s, &n))| {
            if s < 0 && !empty {
                first += (n as isize - 1) * s;
                flipped.push(d);
            }
            s.unsigned_abs()
        })
        .collect();
    let shape = IxDyn(&l.shape).strides(IxDyn(&strides));
    let container = slf.clone().into_any();
    macro_rules! view {
        ($T:ty) => {{
            // SAFETY: ptr + layout address elements of the live storage (layouts are validated
            // when views are made; `first` is the lowest address the view reads); `container`
            // owns an Arc to that storage.
            let ptr = unsafe { (base as *const $T).add(first as usize) };
            let mut v = unsafe { ArrayView::<$T, _>::from_shape_ptr(shape, ptr) };
            for &d in &flipped {
                v.invert_axis(numpy::ndarray::Axis(d));
            }
            let a = unsafe { PyArray::borrow_from_array(&v, container) };
            a.into_any()
        }};
    }
    Ok(match t.dtype() {
        DType::F32 => view!(f32),
        DType::F64 => view!(f64),
        DType::I64 => view!(i64),
        DType::I32 => view!(i32),
        DType::I16 => view!(i16),
        DType::I8 => view!(i8),
        DType::U32 => view!(u32),
        DType::U16 => view!(u16),
        DType::U8 => view!(u8),
        DType::F16 => view!(half::f16),
        DType::BF16 => {
            super::convert::need_bfloat16(slf.py())?;
            view!(half::bf16)
        }
        DType::Bool => view!(bool),
    })
}

fn parse_index(py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Vec<Index>> {
    let items: Vec<Bound<'_, PyAny>> = if let Ok(t) = key.cast::<PyTuple>() { t.iter().collect() } else { vec![key.clone()] };
    let mut out = Vec::with_capacity(items.len());
    for it in items {
        if it.is_none() {
            out.push(Index::NewAxis);
        } else if it.is_instance_of::<PyEllipsis>() {
            out.push(Index::Ellipsis);
        } else if let Ok(s) = it.cast::<PySlice>() {
            let get = |name: &str| -> PyResult<Option<isize>> {
                let v = s.getattr(name)?;
                if v.is_none() {
                    Ok(None)
                } else {
                    v.extract::<isize>().map(Some).map_err(|_| PyIndexError::new_err("slice indices must be integers or None"))
                }
            };
            out.push(Index::Slice(get("start")?, get("stop")?, get("step")?));
        } else if it.cast::<pyo3::types::PyBool>().is_err() && it.extract::<isize>().is_ok() && !it.is_instance_of::<PyTensor>() {
            out.push(Index::Int(it.extract()?));
        } else if it.is_instance_of::<pyo3::types::PyBool>() {
            return Err(PyIndexError::new_err("a Python bool is not a valid index; use a boolean tensor as a mask"));
        } else if it.is_instance_of::<PyTensor>() || it.is_instance_of::<PyList>() || it.hasattr("__array__")? {
            let t = match it.cast::<PyTensor>() {
                Ok(p) => p.get().t.clone(),
                Err(_) => from_numpy(py, &it, None, false)?,
            };
            if t.dtype().is_float() {
                return Err(PyIndexError::new_err(format!(
                    "arrays used as indices must be of integer or boolean type, got {}",
                    t.dtype().name()
                )));
            }
            if t.ndim() == 0 && t.dtype() != DType::Bool {
                out.push(Index::Int(t.item_f64().to_py()? as isize));
            } else {
                out.push(Index::Array(t));
            }
        } else {
            return Err(PyIndexError::new_err(format!(
                "only integers, slices (`:`), ellipsis (`...`), None and integer or boolean arrays are valid indices, got {}",
                it.get_type().name()?
            )));
        }
    }
    Ok(out)
}

/// `other` as a tensor, or None when it is complex data (a kerasish complex tensor, which sets
/// `__kerasish_defer__`, a Python complex, a complex array): kerasish/_complex.py computes those.
/// The check runs only when the conversion fails, so real operands pay nothing for it.
fn operand(other: &Bound<'_, PyAny>, like: DType) -> PyResult<Option<Tensor>> {
    match as_tensor(other, Some(like)) {
        Ok(t) => Ok(Some(t)),
        Err(e) => {
            let cx = other.py().import("kerasish._complex")?;
            if cx.call_method1("is_complex", (other,))?.is_truthy()? {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// The complex op `name` (a keras.ops name) on this tensor and complex `other`, in operator order.
fn complex_binary(py: Python<'_>, name: &str, a: &Tensor, other: &Bound<'_, PyAny>, reflected: bool) -> PyResult<Py<PyAny>> {
    let a = PyTensor::from(a.clone()).into_pyobject(py)?.into_any();
    let (x, y) = if reflected { (other.clone(), a) } else { (a, other.clone()) };
    Ok(py.import("kerasish._complex")?.call_method1("binary", (name, x, y))?.unbind())
}

fn binop(py: Python<'_>, a: &Tensor, other: &Bound<'_, PyAny>, op: Binary, reflected: bool) -> PyResult<Py<PyAny>> {
    let Some(b) = operand(other, a.dtype())? else { return complex_binary(py, op.name(), a, other, reflected) };
    let (x, y) = if reflected { (b, a.clone()) } else { (a.clone(), b) };
    let out = super::op(py, "binary", vec![x, y], move |i| ops::binary(op, &i[0], &i[1]))?;
    Ok(out.into_pyobject(py)?.into_any().unbind())
}

fn matmul_op(py: Python<'_>, a: &Tensor, other: &Bound<'_, PyAny>, reflected: bool) -> PyResult<Py<PyAny>> {
    let Some(b) = operand(other, a.dtype())? else { return complex_binary(py, "matmul", a, other, reflected) };
    let (x, y) = if reflected { (b, a.clone()) } else { (a.clone(), b) };
    let out = super::op(py, "matmul", vec![x, y], |i| ops::matmul(&i[0], &i[1]))?;
    Ok(out.into_pyobject(py)?.into_any().unbind())
}

#[pymethods]
impl PyTensor {
    /// Makes NumPy defer to Tensor's reflected operators (`ndarray + tensor` gives a Tensor).
    #[classattr]
    #[allow(non_upper_case_globals)]
    const __array_priority__: f64 = 1000.0;

    #[new]
    #[pyo3(signature = (data, dtype=None, requires_grad=false))]
    fn py_new(py: Python<'_>, data: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>, requires_grad: bool) -> PyResult<Self> {
        let t = super::functions::make_tensor(py, data, dtype_arg(dtype)?, requires_grad)?;
        Ok(t.into())
    }

    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.t.shape())
    }
    #[getter]
    fn ndim(&self) -> usize {
        self.t.ndim()
    }
    #[getter]
    fn size(&self) -> usize {
        self.t.numel()
    }
    #[getter]
    fn dtype(&self) -> &'static str {
        self.t.dtype().name()
    }
    #[getter]
    fn device(&self) -> &'static str {
        self.t.device().name()
    }
    #[getter]
    fn requires_grad(&self) -> bool {
        self.t.requires_grad()
    }
    #[setter]
    fn set_requires_grad(&self, on: bool) -> PyResult<()> {
        if on && !self.t.dtype().is_float() {
            return Err(PyTypeError::new_err(format!(
                "only float tensors can require gradients, this one is {}",
                self.t.dtype().name()
            )));
        }
        if !on && !self.t.is_leaf() {
            return Err(PyRuntimeError::new_err("requires_grad can only be switched off on leaf tensors; use detach()"));
        }
        self.t.set_requires_grad(on);
        Ok(())
    }
    #[getter]
    fn is_leaf(&self) -> bool {
        self.t.is_leaf()
    }
    #[getter]
    fn grad(&self, py: Python<'_>) -> PyResult<Option<PyTensor>> {
        if self.t.grad().is_none() {
            return Ok(None);
        }
        super::op(py, "grad", vec![self.t.clone()], |i| {
            i[0].grad().ok_or_else(|| {
                kerasish_engine::Error::Value("the traced step read a gradient that this step did not compute".into())
            })
        })
        .map(Some)
    }
    #[setter]
    fn set_grad(&self, py: Python<'_>, g: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        match g.filter(|g| !g.is_none()) {
            None => super::op_inplace(py, "clear_grad", vec![self.t.clone()], |i| {
                i[0].set_grad(None);
                Ok(())
            })?,
            Some(g) => {
                let gt = as_tensor(g, Some(self.t.dtype()))?;
                if gt.shape() != self.t.shape() {
                    return Err(PyValueError::new_err(format!(
                        "grad of shape {} does not match the tensor's shape {}",
                        kerasish_engine::error::fmt_shape(gt.shape()),
                        kerasish_engine::error::fmt_shape(self.t.shape())
                    )));
                }
                kerasish_engine::plan::taint("a gradient was set from Python");
                let gt = gt.to_device(self.t.device()).to_py()?;
                self.t.set_grad(Some(gt.try_convert(self.t.dtype()).to_py()?));
            }
        }
        Ok(())
    }
    #[getter(T)]
    fn t_prop(&self, py: Python<'_>) -> PyResult<PyTensor> {
        super::op(py, "transpose", vec![self.t.clone()], |i| ops::transpose(&i[0], None))
    }

    fn numpy<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        kerasish_engine::plan::taint("a tensor was converted to NumPy");
        to_numpy(slf)
    }

    #[pyo3(signature = (dtype=None, copy=None))]
    fn __array__<'py>(
        slf: &Bound<'py, Self>,
        dtype: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        kerasish_engine::plan::taint("a tensor was converted to NumPy");
        let a = to_numpy(slf)?;
        let a = match dtype {
            Some(d) if !d.is_none() => a.call_method1("astype", (d,))?,
            _ => a,
        };
        if copy == Some(true) {
            a.call_method0("copy")
        } else {
            Ok(a)
        }
    }

    fn item<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        kerasish_engine::plan::taint("a tensor's value was read with item()");
        let v = self.t.item_f64().to_py()?;
        Ok(match self.t.dtype() {
            d if d.is_float() => v.into_pyobject(py)?.into_any(),
            DType::Bool => pyo3::types::PyBool::new(py, v != 0.0).to_owned().into_any(),
            DType::I64 => {
                let x: Vec<i64> = self.t.to_device(kerasish_engine::tensor::Device::Cpu).to_py()?.to_vec();
                x[0].into_pyobject(py)?.into_any()
            }
            // every other integer is exact in a float64
            _ => (v as i64).into_pyobject(py)?.into_any(),
        })
    }

    fn tolist<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        kerasish_engine::plan::taint("a tensor was converted to a list");
        to_numpy(slf)?.call_method0("tolist")
    }

    fn __len__(&self) -> PyResult<usize> {
        self.t.shape().first().copied().ok_or_else(|| PyTypeError::new_err("len() of a 0-d tensor"))
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let a = to_numpy(slf)?;
        let s: String = py
            .import("numpy")?
            .call_method("array2string", (a,), Some(&[("separator", ", "), ("prefix", "Tensor(")].into_py_dict(py)?))?
            .extract()?;
        let t = &slf.get().t;
        let mut extra = format!(", dtype={}", t.dtype().name());
        if t.device() != kerasish_engine::tensor::Device::Cpu {
            extra.push_str(&format!(", device={}", t.device().name()));
        }
        if t.requires_grad() {
            extra.push_str(", requires_grad=True");
        }
        Ok(format!("Tensor({s}{extra})"))
    }

    fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(to_numpy(slf)?.str()?.to_string())
    }

    fn __bool__(&self) -> PyResult<bool> {
        kerasish_engine::plan::taint("a tensor's value was used as a Python bool (`if tensor:`)");
        if self.t.numel() != 1 {
            return Err(PyValueError::new_err(format!(
                "the truth value of a tensor with {} elements is ambiguous; use .any() or .all()",
                self.t.numel()
            )));
        }
        Ok(self.t.item_f64().to_py()? != 0.0)
    }
    fn __float__(&self) -> PyResult<f64> {
        kerasish_engine::plan::taint("a tensor's value was read with float()");
        self.t.item_f64().to_py()
    }
    fn __int__(&self) -> PyResult<i64> {
        kerasish_engine::plan::taint("a tensor's value was read with int()");
        Ok(self.t.try_convert(DType::I64).to_py()?.item_f64().to_py()? as i64)
    }
    fn __index__(&self) -> PyResult<i64> {
        if self.t.dtype() != DType::I64 && self.t.dtype() != DType::U8 {
            return Err(PyTypeError::new_err("only integer tensors can be used as an index"));
        }
        self.__int__()
    }
    fn __hash__(slf: &Bound<'_, Self>) -> isize {
        slf.as_ptr() as isize
    }

    fn astype(&self, dtype: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        let dt = dtype_arg(Some(dtype))?.unwrap_or(self.t.dtype());
        super::op(dtype.py(), "cast", vec![self.t.clone()], move |i| ops::cast(&i[0], dt))
    }

    /// The tensor on `device` ("cpu" or "gpu"): self when already there, else a copy (a new
    /// leaf that keeps requires_grad). Data crosses between host and device only here and when
    /// values are read (numpy, item, printing).
    fn to(&self, py: Python<'_>, device: &str) -> PyResult<PyTensor> {
        kerasish_engine::plan::taint("a tensor was moved between devices with .to()");
        let d = kerasish_engine::tensor::Device::parse(device).to_py()?;
        let t = self.t.clone();
        let out = super::run(py, t.numel(), move || t.to_device(d))?;
        if out.same_storage(&self.t) {
            return Ok(self.t.clone().into());
        }
        if self.t.requires_grad() {
            out.set_requires_grad(true);
        }
        Ok(out.into())
    }

    #[pyo3(signature = (*shape))]
    fn reshape(&self, py: Python<'_>, shape: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        let s: Vec<isize> = if shape.len() == 1 && shape.get_item(0)?.extract::<isize>().is_err() {
            shape.get_item(0)?.extract()?
        } else {
            shape.extract()?
        };
        super::op(py, "reshape", vec![self.t.clone()], move |i| ops::reshape(&i[0], &s))
    }

    #[pyo3(signature = (*axes))]
    fn transpose(&self, py: Python<'_>, axes: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        let a: Option<Vec<isize>> = if axes.is_empty() {
            None
        } else if axes.len() == 1 && axes.get_item(0)?.extract::<isize>().is_err() {
            axes.get_item(0)?.extract()?
        } else {
            Some(axes.extract()?)
        };
        super::op(py, "transpose", vec![self.t.clone()], move |i| ops::transpose(&i[0], a.as_deref()))
    }

    fn flatten(&self, py: Python<'_>) -> PyResult<PyTensor> {
        super::op(py, "reshape", vec![self.t.clone()], |i| ops::reshape(&i[0], &[-1]))
    }

    /// NumPy's np.sum(t) passes dtype= and out= too: dtype casts the result, out is refused.
    #[pyo3(signature = (axis=None, keepdims=false, dtype=None, out=None))]
    fn sum(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        dtype: Option<&Bound<'_, PyAny>>,
        out: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        reduce_method(py, &self.t, axis, keepdims, dtype, out, ops::sum)
    }
    /// NumPy's np.mean(t) passes dtype= and out= too: dtype casts the result, out is refused.
    #[pyo3(signature = (axis=None, keepdims=false, dtype=None, out=None))]
    fn mean(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        dtype: Option<&Bound<'_, PyAny>>,
        out: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        reduce_method(py, &self.t, axis, keepdims, dtype, out, ops::mean)
    }
    /// NumPy's np.max(t) passes dtype= and out= too: dtype casts the result, out is refused.
    #[pyo3(signature = (axis=None, keepdims=false, dtype=None, out=None))]
    fn max(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        dtype: Option<&Bound<'_, PyAny>>,
        out: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        reduce_method(py, &self.t, axis, keepdims, dtype, out, ops::max)
    }
    /// NumPy's np.min(t) passes dtype= and out= too: dtype casts the result, out is refused.
    #[pyo3(signature = (axis=None, keepdims=false, dtype=None, out=None))]
    fn min(
        &self,
        py: Python<'_>,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        dtype: Option<&Bound<'_, PyAny>>,
        out: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        reduce_method(py, &self.t, axis, keepdims, dtype, out, ops::min)
    }
    #[pyo3(signature = (axis=None, keepdims=false))]
    fn argmax(&self, py: Python<'_>, axis: Option<isize>, keepdims: bool) -> PyResult<PyTensor> {
        super::op(py, "argmax", vec![self.t.clone()], move |i| ops::argmax(&i[0], axis, keepdims))
    }
    #[pyo3(signature = (axis=None, keepdims=false))]
    fn argmin(&self, py: Python<'_>, axis: Option<isize>, keepdims: bool) -> PyResult<PyTensor> {
        super::op(py, "argmin", vec![self.t.clone()], move |i| ops::argmin(&i[0], axis, keepdims))
    }

    #[pyo3(signature = (gradient=None, retain_graph=false))]
    fn backward(&self, py: Python<'_>, gradient: Option<&Bound<'_, PyAny>>, retain_graph: bool) -> PyResult<()> {
        let g = match gradient {
            Some(g) if !g.is_none() => Some(as_tensor(g, Some(self.t.dtype()))?),
            _ => None,
        };
        let mut inputs = vec![self.t.clone()];
        inputs.extend(g);
        let work = usize::MAX; // always without the GIL
        super::run(py, work, move || {
            kerasish_engine::plan::call0("backward", inputs, move |i| autograd::backward(&i[0], i.get(1), retain_graph))
        })
    }

    /// The same data, cut off from the graph.
    fn detach(&self, py: Python<'_>) -> PyResult<PyTensor> {
        super::op(py, "detach", vec![self.t.clone()], |i| Ok(i[0].with_layout(i[0].layout().clone())))
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        let items = parse_index(py, key)?;
        if items.iter().any(|it| matches!(it, kerasish_engine::ops::Index::Array(_))) {
            // the index array is data the trace would freeze, and a boolean mask's result shape
            // depends on values
            kerasish_engine::plan::taint("a tensor was indexed with an array (use ops.take / take_along_axis)");
        }
        super::op(py, "index", vec![self.t.clone()], move |i| ops::index(&i[0], &items))
    }

    fn __add__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::Add, false)
    }
    fn __radd__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::Add, true)
    }
    fn __sub__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::Sub, false)
    }
    fn __rsub__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::Sub, true)
    }
    fn __mul__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::Mul, false)
    }
    fn __rmul__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::Mul, true)
    }
    fn __truediv__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::Div, false)
    }
    fn __rtruediv__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::Div, true)
    }
    fn __floordiv__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::FloorDiv, false)
    }
    fn __rfloordiv__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::FloorDiv, true)
    }
    fn __mod__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::Mod, false)
    }
    fn __rmod__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(py, &self.t, o, Binary::Mod, true)
    }
    fn __pow__(&self, py: Python<'_>, o: &Bound<'_, PyAny>, modulo: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        if modulo.is_some_and(|m| !m.is_none()) {
            return Err(PyTypeError::new_err("pow() with a modulus is not supported for tensors"));
        }
        binop(py, &self.t, o, Binary::Pow, false)
    }
    fn __rpow__(&self, py: Python<'_>, o: &Bound<'_, PyAny>, modulo: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let _ = modulo;
        binop(py, &self.t, o, Binary::Pow, true)
    }
    fn __matmul__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        matmul_op(py, &self.t, o, false)
    }
    fn __rmatmul__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        matmul_op(py, &self.t, o, true)
    }
    fn __neg__(&self, py: Python<'_>) -> PyResult<PyTensor> {
        super::op(py, "negative", vec![self.t.clone()], |i| ops::neg(&i[0]))
    }
    fn __pos__(&self) -> PyTensor {
        self.t.clone().into()
    }
    fn __abs__(&self, py: Python<'_>) -> PyResult<PyTensor> {
        super::op(py, "abs", vec![self.t.clone()], |i| ops::abs(&i[0]))
    }

    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: pyo3::basic::CompareOp) -> PyResult<PyTensor> {
        let b = as_tensor(other, Some(self.t.dtype()))?;
        let c = match op {
            pyo3::basic::CompareOp::Eq => Compare::Eq,
            pyo3::basic::CompareOp::Ne => Compare::Ne,
            pyo3::basic::CompareOp::Lt => Compare::Lt,
            pyo3::basic::CompareOp::Le => Compare::Le,
            pyo3::basic::CompareOp::Gt => Compare::Gt,
            pyo3::basic::CompareOp::Ge => Compare::Ge,
        };
        super::op(other.py(), "compare", vec![self.t.clone(), b], move |i| ops::compare(c, &i[0], &i[1]))
    }

    // In-place updates write into the storage (every view sees them), as in the course's
    // hand-written gradient descent: `with no_grad(): w -= lr * w.grad`. The operators `+=`,
    // `-=`, `*=`, `/=` are installed by kerasish/_tensor.py, which rebinds instead inside a
    // layer's call (Keras's tensors are values); pyo3's in-place slots can only return self.
    fn _inplace(&self, op: &str, o: &Bound<'_, PyAny>) -> PyResult<()> {
        let op = match op {
            "add" => Binary::Add,
            "subtract" => Binary::Sub,
            "multiply" => Binary::Mul,
            "divide" => Binary::Div,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "in-place update: unknown operation {op:?}; valid ones are 'add', 'subtract', 'multiply', 'divide'"
                )))
            }
        };
        inplace(&self.t, o, op)
    }

    /// Writes `value` (broadcast to this shape) into this tensor's elements, in place.
    fn assign(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let t = &self.t;
        check_inplace(t)?;
        let v = as_tensor(value, Some(t.dtype()))?;
        super::op_inplace(value.py(), "assign", vec![t.clone(), v], |i| ops::assign(&i[0], &i[1]))
    }
}

type ReduceFn = fn(&Tensor, Option<&[isize]>, bool) -> kerasish_engine::Result<Tensor>;

fn reduce_method(
    py: Python<'_>,
    t: &Tensor,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    dtype: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyAny>>,
    f: ReduceFn,
) -> PyResult<PyTensor> {
    if out.is_some_and(|o| !o.is_none()) {
        return Err(PyTypeError::new_err("out= is not supported: tensors are not written in place by reductions"));
    }
    let a = axes_arg(axis)?;
    let r = super::op(py, "reduce", vec![t.clone()], move |i| f(&i[0], a.as_deref(), keepdims))?;
    match dtype_arg(dtype)? {
        Some(d) => super::op(py, "cast", vec![r.t], move |i| ops::cast(&i[0], d)),
        None => Ok(r),
    }
}

fn check_inplace(t: &Tensor) -> PyResult<()> {
    if autograd::is_grad_enabled() && t.requires_grad() {
        return Err(PyRuntimeError::new_err(
            "a tensor that requires a gradient cannot be changed in place while gradients are recorded; \
             wrap the update in `with kerasish.no_grad():`",
        ));
    }
    Ok(())
}

fn inplace(t: &Tensor, o: &Bound<'_, PyAny>, op: Binary) -> PyResult<()> {
    check_inplace(t)?;
    let b = as_tensor(o, Some(t.dtype()))?;
    let r = autograd::no_grad(|| super::op(o.py(), "binary", vec![t.clone(), b], move |i| ops::binary(op, &i[0], &i[1])))?.t;
    if r.shape() != t.shape() {
        return Err(PyValueError::new_err(format!(
            "in-place {}: result of shape {} does not fit the tensor's shape {}",
            op.name(),
            kerasish_engine::error::fmt_shape(r.shape()),
            kerasish_engine::error::fmt_shape(t.shape())
        )));
    }
    if !t.dtype().is_float() && r.dtype().is_float() {
        return Err(PyTypeError::new_err(format!(
            "in-place {}: cannot store a {} result in a {} tensor",
            op.name(),
            r.dtype().name(),
            t.dtype().name()
        )));
    }
    super::op_inplace(o.py(), "assign", vec![t.clone(), r], |i| ops::assign(&i[0], &i[1]))
}
