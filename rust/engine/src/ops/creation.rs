//! Tensors made from numbers: arange, eye (on the host; the caller moves them to a device).
use crate::bail;
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

/// NumPy's arange: [start, stop) by step. The dtype defaults to int64 when all three are
/// integers, float32 otherwise.
pub fn arange(start: f64, stop: Option<f64>, step: Option<f64>, dtype: Option<DType>) -> Result<Tensor> {
    let (a, b) = match stop {
        Some(s) => (start, s),
        None => (0.0, start),
    };
    let st = step.unwrap_or(1.0);
    if st == 0.0 {
        bail!(Value, "arange: step cannot be zero");
    }
    let span = ((b - a) / st).ceil().max(0.0);
    let all_int = [a, b, st].iter().all(|v| v.fract() == 0.0);
    let dt = dtype.unwrap_or(if all_int { DType::I64 } else { DType::F32 });
    if !span.is_finite() || span > 1e15 {
        bail!(Memory, "arange: {span} elements are too many to allocate");
    }
    let n = span as usize;
    crate::storage::check_size("arange", &[n], DType::F64)?;
    let v: Vec<f64> = (0..n).map(|i| a + i as f64 * st).collect();
    Ok(Tensor::from_vec(v, &[n], DType::F64).convert(dt))
}

/// An n x m matrix with ones on diagonal k.
pub fn eye(n: usize, m: Option<usize>, k: isize, dtype: DType) -> Result<Tensor> {
    let m = m.unwrap_or(n);
    crate::storage::check_size("eye", &[n, m], DType::F64)?;
    let mut v = vec![0f64; n * m];
    for i in 0..n {
        let j = i as isize + k;
        if j >= 0 && (j as usize) < m {
            v[i * m + j as usize] = 1.0;
        }
    }
    Ok(Tensor::from_vec(v, &[n, m], DType::F64).convert(dtype))
}
