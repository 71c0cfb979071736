//! Python values -> tensors: tensors pass through, Python scalars become 0-d tensors with a
//! "weak" dtype that follows the other operand, anything else goes through numpy.asarray.
use super::PyTensor;
use super::ToPy;
use kerasish_engine::dtype::DType;
use kerasish_engine::tensor::Tensor;
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyBool, PyFloat, PyInt};

/// The default float dtype (`keras.config.floatx`): of Python floats and float lists, and of
/// the creation functions when no dtype is given.
static FLOATX: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(10); // float32

pub fn floatx() -> DType {
    DType::ALL[FLOATX.load(std::sync::atomic::Ordering::Relaxed)]
}

#[pyfunction]
pub fn set_floatx(dtype: &Bound<'_, PyAny>) -> PyResult<()> {
    let d = super::tensor::dtype_arg(Some(dtype))?.filter(|d| d.is_float());
    let d = d.ok_or_else(|| PyTypeError::new_err(format!("set_floatx: expected a float dtype, got {dtype}")))?;
    let i = DType::ALL.iter().position(|&x| x == d).unwrap_or(10);
    FLOATX.store(i, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// Makes sure NumPy knows the bfloat16 dtype (ml_dtypes registers it, as for JAX and Keras),
/// else a TypeError saying what is missing.
pub fn need_bfloat16(py: Python<'_>) -> PyResult<()> {
    py.import("ml_dtypes")
        .map(|_| ())
        .map_err(|_| PyTypeError::new_err("bfloat16 arrays need the ml_dtypes package (pip install ml_dtypes)"))
}

/// Copies a NumPy array into a new tensor, in its own dtype (uint64 becomes int64, the one
/// NumPy integer kerasish lacks); `python_data` applies the defaults for Python data (float64
/// -> float32).
pub fn from_numpy(py: Python<'_>, obj: &Bound<'_, PyAny>, dtype: Option<DType>, python_data: bool) -> PyResult<Tensor> {
    let np = py.import("numpy")?;
    let arr = np.call_method1("asarray", (obj,))?;
    let arr = arr.cast_into::<PyUntypedArray>().map_err(|_| PyTypeError::new_err("could not convert the data to an array"))?;
    let kind: String = arr.dtype().getattr("kind")?.extract()?;
    let size: usize = arr.dtype().getattr("itemsize")?.extract()?;
    let np_dtype_name: String = arr.dtype().getattr("name")?.extract()?;
    let natural = match (kind.as_str(), size) {
        ("b", _) => DType::Bool,
        ("u", 1) => DType::U8,
        ("u", 2) => DType::U16,
        ("u", 4) => DType::U32,
        ("i", 1) => DType::I8,
        ("i", 2) => DType::I16,
        ("i", 4) => DType::I32,
        ("i", _) | ("u", _) => DType::I64,
        ("f", 8) if !python_data => DType::F64,
        ("f", 8) => floatx(),
        ("f", 2) => DType::F16,
        ("f", _) => DType::F32,
        _ if np_dtype_name == "bfloat16" => DType::BF16,
        _ => {
            return Err(PyTypeError::new_err(format!(
                "cannot make a tensor from data of NumPy dtype {}; supported: bool, integers, floats",
                arr.dtype()
            )))
        }
    };
    let dt = dtype.unwrap_or(natural);
    // read float data at full precision; the conversion to `dt` below rounds once
    let natural = if kind == "f" && size == 8 { DType::F64 } else { natural };
    if natural == DType::BF16 {
        need_bfloat16(py)?;
    }
    let np_name = natural.name();
    // asarray with order "C" (ascontiguousarray would turn 0-d arrays into 1-d ones)
    let kwargs = [("dtype", np_name), ("order", "C")].into_py_dict(py)?;
    let arr = np.call_method("asarray", (arr,), Some(&kwargs))?;
    let shape: Vec<usize> = arr.getattr("shape")?.extract()?;
    macro_rules! read {
        ($T:ty, $S:ty) => {{
            let a = arr.cast::<PyArrayDyn<$T>>().map_err(PyErr::from)?;
            let ro = a.readonly();
            let s = ro.as_slice().map_err(|e| PyTypeError::new_err(e.to_string()))?;
            let v: Vec<$S> = s.iter().map(|&x| <$S>::from(x)).collect();
            Tensor::from_vec(v, &shape, natural)
        }};
    }
    let t = match natural {
        DType::Bool => read!(bool, u8),
        DType::U8 => read!(u8, u8),
        DType::U16 => read!(u16, u16),
        DType::U32 => read!(u32, u32),
        DType::I8 => read!(i8, i8),
        DType::I16 => read!(i16, i16),
        DType::I32 => read!(i32, i32),
        DType::I64 => read!(i64, i64),
        DType::F16 => read!(half::f16, half::f16),
        DType::BF16 => read!(half::bf16, half::bf16),
        DType::F32 => read!(f32, f32),
        DType::F64 => read!(f64, f64),
    };
    super::run(py, t.numel(), move || Ok(t.convert(dt)))
}

/// Converts an operand. `like` is the dtype of the other operand: Python scalars take it when
/// it can hold them (an int with a float tensor becomes that float; a float with an int tensor
/// becomes float32), as in Keras and JAX.
pub fn as_tensor(obj: &Bound<'_, PyAny>, like: Option<DType>) -> PyResult<Tensor> {
    as_tensor_in(obj, like, None)
}

/// As `as_tensor`; NumPy data and sequences are converted to `dtype` (when given) on the host,
/// before they go to the default device (float64 data can become float32 for the GPU).
pub fn as_tensor_in(obj: &Bound<'_, PyAny>, like: Option<DType>, dtype: Option<DType>) -> PyResult<Tensor> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(t.get().t.clone());
    }
    // exact Python scalars are weak; NumPy scalars (np.float64 subclasses float) keep their dtype
    if obj.is_exact_instance_of::<PyBool>() {
        let v: bool = obj.extract()?;
        let dt = like.unwrap_or(DType::Bool);
        return Ok(Tensor::scalar(v as u8 as f64, dt));
    }
    if obj.is_exact_instance_of::<PyInt>() {
        let dt = match like {
            Some(DType::Bool) | None => DType::I64,
            Some(d) => d,
        };
        return match obj.extract::<i64>() {
            Ok(v) if dt == DType::I64 => Ok(Tensor::from_vec(vec![v], &[], DType::I64)),
            Ok(v) => Ok(Tensor::scalar(v as f64, dt)),
            Err(_) => Ok(Tensor::scalar(obj.extract::<f64>()?, if dt.is_float() { dt } else { floatx() })),
        };
    }
    if obj.is_exact_instance_of::<PyFloat>() {
        let v: f64 = obj.extract()?;
        let dt = match like {
            Some(d) if d.is_float() => d,
            _ => floatx(),
        };
        return Ok(Tensor::scalar(v, dt));
    }
    let py = obj.py();
    let is_ndarray = obj.is_instance(&py.import("numpy")?.getattr("ndarray")?)?
        || obj.is_instance(&py.import("numpy")?.getattr("generic")?)?;
    super::functions::on_default(from_numpy(py, obj, dtype, !is_ndarray)?).to_py()
}
