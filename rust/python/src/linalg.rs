//! The bindings of keras.ops.linalg's primitives (the engine's ops/decomp.rs): argument
//! conversion only; ops with several outputs go through the tracer as one op.
use super::convert::as_tensor;
use super::tensor::PyTensor;
use kerasish_engine::ops::decomp;
use kerasish_engine::tensor::Tensor;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Arc;

type T = PyResult<PyTensor>;

fn t(x: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    as_tensor(x, None)
}

/// One op with several outputs, through the tracer (recorded when a trace is open).
fn op_n(
    py: Python<'_>,
    name: &'static str,
    inputs: Vec<Tensor>,
    f: impl Fn(&[Tensor]) -> kerasish_engine::Result<Vec<Tensor>> + Send + Sync + 'static,
) -> PyResult<Vec<PyTensor>> {
    let work = inputs.iter().map(|t| t.numel()).max().unwrap_or(0);
    let outs = super::run(py, work, move || kerasish_engine::plan::call(name, inputs, Arc::new(f)))?;
    Ok(outs.into_iter().map(PyTensor::from).collect())
}

fn two(mut v: Vec<PyTensor>) -> (PyTensor, PyTensor) {
    let b = v.pop().expect("two outputs");
    let a = v.pop().expect("two outputs");
    (a, b)
}

/// (LU packed as LAPACK's getrf leaves it, int32 pivots).
#[pyfunction]
fn lu_factor(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<(PyTensor, PyTensor)> {
    Ok(two(op_n(py, "lu_factor", vec![t(x)?], |i| {
        let (lu, piv) = decomp::lu_factor(&i[0])?;
        Ok(vec![lu, piv])
    })?))
}

#[pyfunction]
fn det(py: Python<'_>, x: &Bound<'_, PyAny>) -> T {
    super::op(py, "det", vec![t(x)?], |i| decomp::det(&i[0]))
}

/// (sign, log|det|).
#[pyfunction]
fn slogdet(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<(PyTensor, PyTensor)> {
    Ok(two(op_n(py, "slogdet", vec![t(x)?], |i| {
        let (s, l) = decomp::slogdet(&i[0])?;
        Ok(vec![s, l])
    })?))
}

#[pyfunction]
fn solve(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> T {
    super::op(py, "solve", vec![t(a)?, t(b)?], |i| decomp::solve(&i[0], &i[1]))
}

#[pyfunction]
fn inv(py: Python<'_>, x: &Bound<'_, PyAny>) -> T {
    super::op(py, "inv", vec![t(x)?], |i| decomp::inv(&i[0]))
}

#[pyfunction]
#[pyo3(signature = (a, b, lower=false))]
fn solve_triangular(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>, lower: bool) -> T {
    super::op(py, "solve_triangular", vec![t(a)?, t(b)?], move |i| decomp::solve_triangular(&i[0], &i[1], lower))
}

#[pyfunction]
#[pyo3(signature = (x, upper=false))]
fn cholesky(py: Python<'_>, x: &Bound<'_, PyAny>, upper: bool) -> T {
    super::op(py, "cholesky", vec![t(x)?], move |i| decomp::cholesky(&i[0], upper))
}

/// (Q, R); mode "reduced" or "complete".
#[pyfunction]
#[pyo3(signature = (x, mode="reduced"))]
fn qr(py: Python<'_>, x: &Bound<'_, PyAny>, mode: &str) -> PyResult<(PyTensor, PyTensor)> {
    let complete = match mode {
        "reduced" => false,
        "complete" => true,
        _ => {
            return Err(PyValueError::new_err(format!(
                "`mode` argument value not supported. Expected one of {{'reduced', 'complete'}}. Received: mode={mode}"
            )))
        }
    };
    Ok(two(op_n(py, "qr", vec![t(x)?], move |i| {
        let (q, r) = decomp::qr(&i[0], complete)?;
        Ok(vec![q, r])
    })?))
}

/// [U, s, Vh], or [s] when not compute_uv.
#[pyfunction]
#[pyo3(signature = (x, full_matrices=true, compute_uv=true))]
fn svd(py: Python<'_>, x: &Bound<'_, PyAny>, full_matrices: bool, compute_uv: bool) -> PyResult<Vec<PyTensor>> {
    op_n(py, "svd", vec![t(x)?], move |i| decomp::svd(&i[0], full_matrices, compute_uv))
}

/// (eigenvalues ascending, eigenvectors as columns).
#[pyfunction]
fn eigh(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<(PyTensor, PyTensor)> {
    Ok(two(op_n(py, "eigh", vec![t(x)?], |i| {
        let (w, v) = decomp::eigh(&i[0])?;
        Ok(vec![w, v])
    })?))
}

/// (eigenvalues (..., N, 2), eigenvectors (..., N, N, 2) as columns): complex values as
/// (real, imaginary) pairs, which Python wraps as complex tensors.
#[pyfunction]
fn eig(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<(PyTensor, PyTensor)> {
    Ok(two(op_n(py, "eig", vec![t(x)?], |i| {
        let (w, v) = decomp::eig(&i[0])?;
        Ok(vec![w, v])
    })?))
}

#[pyfunction]
#[pyo3(signature = (x, rcond=None))]
fn pinv(py: Python<'_>, x: &Bound<'_, PyAny>, rcond: Option<f64>) -> T {
    super::op(py, "pinv", vec![t(x)?], move |i| decomp::pinv(&i[0], rcond))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    macro_rules! add {
        ($($f:ident),*) => { $(m.add_function(wrap_pyfunction!($f, m)?)?;)* };
    }
    add!(lu_factor, det, slogdet, solve, inv, solve_triangular, cholesky, qr, svd, eigh, eig, pinv);
    Ok(())
}
