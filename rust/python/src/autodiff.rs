//! Gradients written in Python: `keras.ops.custom_gradient` attaches a Python function as the
//! gradient rule of a value computed without recording. The rule runs inside the engine's
//! backward sweep, under the GIL; an exception it raises is kept and re-raised as itself.
use super::tensor::PyTensor;
use crate::convert::as_tensor;
use kerasish_engine::error::{fmt_shape, Error};
use kerasish_engine::{autograd, plan, Tensor};
use pyo3::prelude::*;
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// The Python exception a gradient function raised, until the sweep's error reaches Python.
    static PENDING: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// The exception a Python gradient rule raised during the engine call that just failed, if any.
pub(crate) fn take_pending() -> Option<PyErr> {
    PENDING.with(|p| p.borrow_mut().take())
}

fn keep(e: PyErr) -> Error {
    let msg = format!("custom_gradient: the gradient function raised {e}");
    PENDING.with(|p| *p.borrow_mut() = Some(e));
    Error::Value(msg)
}

/// `value`, as a new tensor whose gradient with respect to `inputs` is `grad_fn(upstream)`: one
/// tensor (one input) or a sequence with one gradient or None per input.
#[pyfunction]
fn attach_gradient(value: &Bound<'_, PyAny>, inputs: Vec<Bound<'_, PyAny>>, grad_fn: Py<PyAny>) -> PyResult<PyTensor> {
    // the function runs Python on the values of this call: a replayed plan would feed it stale ones
    plan::taint("a custom_gradient function runs Python in the backward pass");
    let value = as_tensor(value, None)?;
    let inputs = inputs.iter().map(|x| as_tensor(x, None)).collect::<PyResult<Vec<Tensor>>>()?;
    let refs: Vec<&Tensor> = inputs.iter().collect();
    let f = Arc::new(grad_fn);
    let out = value.with_layout(value.layout().clone());
    let n = inputs.len();
    Ok(autograd::record("custom_gradient", out, &refs, move |g, inp, _| {
        Python::attach(|py| -> PyResult<Vec<Option<Tensor>>> {
            let r = f.call1(py, (PyTensor::from(g.clone()),))?;
            let r = r.bind(py);
            let items: Vec<Bound<'_, PyAny>> =
                if n == 1 && !(r.is_instance_of::<pyo3::types::PyTuple>() || r.is_instance_of::<pyo3::types::PyList>()) {
                    vec![r.clone()]
                } else {
                    r.try_iter()?.collect::<PyResult<_>>()?
                };
            if items.len() != n {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "custom_gradient: the gradient function returned {} gradients for {n} inputs",
                    items.len()
                )));
            }
            items
                .iter()
                .zip(inp)
                .map(|(gi, x)| {
                    if gi.is_none() {
                        return Ok(None);
                    }
                    let gt = as_tensor(gi, Some(x.dtype()))?;
                    if gt.shape() != x.shape() {
                        return Err(pyo3::exceptions::PyValueError::new_err(format!(
                            "custom_gradient: the gradient function returned shape {} for an input of shape {}",
                            fmt_shape(gt.shape()),
                            fmt_shape(x.shape())
                        )));
                    }
                    Ok(Some(gt))
                })
                .collect()
        })
        .map_err(keep)
    })
    .into())
}

/// J v for outputs already computed from `inputs` (leaves that require a gradient): see
/// autograd::jvp.
#[pyfunction]
fn jvp(
    py: Python<'_>,
    outputs: Vec<Bound<'_, PyAny>>,
    inputs: Vec<Bound<'_, PyAny>>,
    tangents: Vec<Bound<'_, PyAny>>,
) -> PyResult<Vec<PyTensor>> {
    plan::taint("jvp runs two backward passes of its own");
    let conv = |v: &[Bound<'_, PyAny>]| v.iter().map(|x| as_tensor(x, None)).collect::<PyResult<Vec<Tensor>>>();
    let (outs, ins) = (conv(&outputs)?, conv(&inputs)?);
    let tans = tangents.iter().zip(&ins).map(|(v, x)| as_tensor(v, Some(x.dtype()))).collect::<PyResult<Vec<Tensor>>>()?;
    let r = super::run(py, usize::MAX, move || autograd::jvp(&outs, &ins, &tans))?;
    Ok(r.into_iter().map(PyTensor::from).collect())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(attach_gradient, m)?)?;
    m.add_function(wrap_pyfunction!(jvp, m)?)?;
    Ok(())
}
