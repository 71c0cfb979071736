//! Tensors to and from the safetensors format (the crate validates headers, offsets and sizes,
//! so a truncated or hostile file is an error, never a crash or a huge allocation).
use crate::bail;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use safetensors::{tensor::TensorView, Dtype, SafeTensors, View};
use std::borrow::Cow;
use std::collections::HashMap;

struct Bytes {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Bytes {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// A host tensor's elements as little-endian bytes, in row-major order.
pub(crate) fn le_bytes(t: &Tensor) -> Vec<u8> {
    macro_rules! bytes {
        ($t:ty) => {
            t.to_vec::<$t>().iter().flat_map(|x| x.to_le_bytes()).collect()
        };
    }
    match t.dtype() {
        DType::U8 | DType::Bool => t.to_vec::<u8>(),
        DType::F32 => bytes!(f32),
        DType::F64 => bytes!(f64),
        DType::I64 => bytes!(i64),
        DType::I32 => bytes!(i32),
        DType::I16 => bytes!(i16),
        DType::I8 => bytes!(i8),
        DType::U32 => bytes!(u32),
        DType::U16 => bytes!(u16),
        DType::F16 => bytes!(half::f16),
        DType::BF16 => bytes!(half::bf16),
    }
}

/// A host tensor of `dtype` and `shape` from little-endian bytes (as many as the shape needs).
/// bool bytes other than 0 and 1 are refused.
pub(crate) fn from_le_bytes(what: &str, d: &[u8], shape: &[usize], dtype: DType) -> Result<Tensor> {
    macro_rules! read {
        ($t:ty, $n:expr) => {
            Tensor::from_vec(
                d.chunks_exact($n).map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or([0; $n]))).collect::<Vec<$t>>(),
                shape,
                dtype,
            )
        };
    }
    Ok(match dtype {
        DType::F32 => read!(f32, 4),
        DType::F64 => read!(f64, 8),
        DType::I64 => read!(i64, 8),
        DType::I32 => read!(i32, 4),
        DType::I16 => read!(i16, 2),
        DType::I8 => read!(i8, 1),
        DType::U32 => read!(u32, 4),
        DType::U16 => read!(u16, 2),
        DType::F16 => read!(half::f16, 2),
        DType::BF16 => read!(half::bf16, 2),
        DType::U8 => Tensor::from_vec(d.to_vec(), shape, DType::U8),
        DType::Bool => {
            if d.iter().any(|&b| b > 1) {
                bail!(Value, "{what} holds bool values other than 0 and 1");
            }
            Tensor::from_vec(d.to_vec(), shape, DType::Bool)
        }
    })
}

fn st_dtype(dt: DType) -> Dtype {
    match dt {
        DType::U8 => Dtype::U8,
        DType::Bool => Dtype::BOOL,
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
        DType::I64 => Dtype::I64,
        DType::I32 => Dtype::I32,
        DType::I16 => Dtype::I16,
        DType::I8 => Dtype::I8,
        DType::U32 => Dtype::U32,
        DType::U16 => Dtype::U16,
        DType::F16 => Dtype::F16,
        DType::BF16 => Dtype::BF16,
    }
}

/// Serialises named tensors (and string metadata) into one safetensors buffer.
pub fn dumps(items: &[(String, Tensor)], metadata: Option<HashMap<String, String>>) -> Result<Vec<u8>> {
    let prepared: Vec<(String, Bytes)> = items
        .iter()
        .map(|(n, t)| {
            // GPU tensors are read back to be written
            let t = t.to_device(crate::tensor::Device::Cpu)?;
            Ok((n.clone(), Bytes { dtype: st_dtype(t.dtype()), shape: t.shape().to_vec(), data: le_bytes(&t) }))
        })
        .collect::<Result<_>>()?;
    safetensors::serialize(prepared.iter().map(|(n, b)| (n.as_str(), b)), metadata)
        .map_err(|e| Error::Value(format!("safetensors: cannot serialise: {e}")))
}

fn to_tensor(name: &str, v: &TensorView<'_>) -> Result<Tensor> {
    let dt = DType::ALL.into_iter().find(|&d| st_dtype(d) == v.dtype());
    let Some(dt) = dt else {
        bail!(
            DType,
            "safetensors: tensor '{name}' has dtype {:?}; supported: F64, F32, F16, BF16, I64, I32, I16, I8, U32, U16, U8, BOOL",
            v.dtype()
        )
    };
    from_le_bytes(&format!("safetensors: tensor '{name}'"), v.data(), v.shape(), dt)
}

/// Parses a safetensors buffer into named tensors and its metadata.
pub fn loads(buf: &[u8]) -> Result<(Vec<(String, Tensor)>, HashMap<String, String>)> {
    let st = SafeTensors::deserialize(buf).map_err(|e| Error::Value(format!("safetensors: invalid file: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(buf).map_err(|e| Error::Value(format!("safetensors: invalid header: {e}")))?;
    let mut out = Vec::new();
    for (name, view) in st.tensors() {
        let t = to_tensor(&name, &view)?;
        out.push((name, t));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((out, meta.metadata().clone().unwrap_or_default()))
}
