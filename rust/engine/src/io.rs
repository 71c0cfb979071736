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

fn le_bytes(t: &Tensor) -> (Dtype, Vec<u8>) {
    match t.dtype() {
        DType::F32 => (Dtype::F32, t.to_vec::<f32>().iter().flat_map(|x| x.to_le_bytes()).collect()),
        DType::F64 => (Dtype::F64, t.to_vec::<f64>().iter().flat_map(|x| x.to_le_bytes()).collect()),
        DType::I64 => (Dtype::I64, t.to_vec::<i64>().iter().flat_map(|x| x.to_le_bytes()).collect()),
        DType::I32 => (Dtype::I32, t.to_vec::<i32>().iter().flat_map(|x| x.to_le_bytes()).collect()),
        DType::I16 => (Dtype::I16, t.to_vec::<i16>().iter().flat_map(|x| x.to_le_bytes()).collect()),
        DType::I8 => (Dtype::I8, t.to_vec::<i8>().iter().flat_map(|x| x.to_le_bytes()).collect()),
        DType::U32 => (Dtype::U32, t.to_vec::<u32>().iter().flat_map(|x| x.to_le_bytes()).collect()),
        DType::U16 => (Dtype::U16, t.to_vec::<u16>().iter().flat_map(|x| x.to_le_bytes()).collect()),
        DType::F16 => (Dtype::F16, t.to_vec::<half::f16>().iter().flat_map(|x| x.to_le_bytes()).collect()),
        DType::BF16 => (Dtype::BF16, t.to_vec::<half::bf16>().iter().flat_map(|x| x.to_le_bytes()).collect()),
        DType::U8 => (Dtype::U8, t.to_vec::<u8>()),
        DType::Bool => (Dtype::BOOL, t.to_vec::<u8>()),
    }
}

/// Serialises named tensors (and string metadata) into one safetensors buffer.
pub fn dumps(items: &[(String, Tensor)], metadata: Option<HashMap<String, String>>) -> Result<Vec<u8>> {
    let prepared: Vec<(String, Bytes)> = items
        .iter()
        .map(|(n, t)| {
            // GPU tensors are read back to be written
            let t = t.to_device(crate::tensor::Device::Cpu)?;
            let (dtype, data) = le_bytes(&t);
            Ok((n.clone(), Bytes { dtype, shape: t.shape().to_vec(), data }))
        })
        .collect::<Result<_>>()?;
    safetensors::serialize(prepared.iter().map(|(n, b)| (n.as_str(), b)), metadata)
        .map_err(|e| Error::Value(format!("safetensors: cannot serialise: {e}")))
}

fn to_tensor(name: &str, v: &TensorView<'_>) -> Result<Tensor> {
    let shape = v.shape().to_vec();
    let d = v.data();
    macro_rules! read {
        ($t:ty, $n:expr, $dt:expr) => {
            Tensor::from_vec(
                d.chunks_exact($n).map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or([0; $n]))).collect::<Vec<$t>>(),
                &shape,
                $dt,
            )
        };
    }
    Ok(match v.dtype() {
        Dtype::F32 => read!(f32, 4, DType::F32),
        Dtype::F64 => read!(f64, 8, DType::F64),
        Dtype::I64 => read!(i64, 8, DType::I64),
        Dtype::I32 => read!(i32, 4, DType::I32),
        Dtype::I16 => read!(i16, 2, DType::I16),
        Dtype::I8 => read!(i8, 1, DType::I8),
        Dtype::U32 => read!(u32, 4, DType::U32),
        Dtype::U16 => read!(u16, 2, DType::U16),
        Dtype::F16 => read!(half::f16, 2, DType::F16),
        Dtype::BF16 => read!(half::bf16, 2, DType::BF16),
        Dtype::U8 => Tensor::from_vec(d.to_vec(), &shape, DType::U8),
        Dtype::BOOL => {
            if d.iter().any(|&b| b > 1) {
                bail!(Value, "safetensors: tensor '{name}' holds bool values other than 0 and 1");
            }
            Tensor::from_vec(d.to_vec(), &shape, DType::Bool)
        }
        other => bail!(DType, "safetensors: tensor '{name}' has dtype {other:?}; supported: F64, F32, F16, BF16, I64, I32, I16, I8, U32, U16, U8, BOOL"),
    })
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
