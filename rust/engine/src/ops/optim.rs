//! Optimizer updates that write the variable and its slots in place, one pass over each
//! parameter (Keras 3's update rules; the loops are cpu/optim.rs and gpu/optim.wgsl). Step-dependent factors are read from the `iterations` and
//! learning-rate tensors when the update runs, so a traced step replays them correctly.
use crate::backend::{self, Update};
use crate::bail;
use crate::dtype::DType;
use crate::error::{fmt_shape, Result};
use crate::tensor::Tensor;

fn check(op: &str, var: &Tensor, others: &[(&str, &Tensor)]) -> Result<()> {
    if !matches!(var.dtype(), DType::F32 | DType::F64) {
        bail!(
            DType,
            "{op}: the variable must be float32 or float64, got {} (mixed precision keeps variables in float32)",
            var.dtype().name()
        );
    }
    for (name, t) in std::iter::once(&("variable", var)).chain(others) {
        if t.shape() != var.shape() || t.dtype() != var.dtype() {
            bail!(
                Value,
                "{op}: {name} has shape {} and dtype {}, the variable {} and {}",
                fmt_shape(t.shape()),
                t.dtype().name(),
                fmt_shape(var.shape()),
                var.dtype().name()
            );
        }
        if *name != "gradient" && t.layout().contiguous_range() != Some((0, t.numel())) {
            bail!(Value, "{op}: {name} must own contiguous storage (a variable, not a view)");
        }
    }
    let mut seen: Vec<&Tensor> = Vec::new();
    for (name, t) in others.iter().filter(|(n, _)| *n != "gradient") {
        if t.same_storage(var) || seen.iter().any(|s| s.same_storage(t)) {
            bail!(Value, "{op}: {name} shares memory with another state tensor");
        }
        seen.push(t);
    }
    Ok(())
}

/// The variable, its gradient and its slots must all be on one device.
fn same_device(op: &str, state: &[&Tensor], grad: &Tensor) -> Result<()> {
    let dev = state[0].device();
    if state.iter().any(|t| t.device() != dev) || grad.device() != dev {
        bail!(Device, "{op}: the variable, its gradient and its optimizer slots must all be on the same device");
    }
    Ok(())
}

/// SGD: `m = momentum*m - lr*g; w += m` (nesterov: `w += momentum*m - lr*g`), or `w -= lr*g`.
pub fn sgd_update(var: &Tensor, grad: &Tensor, m: Option<&Tensor>, lr: &Tensor, momentum: f64, nesterov: bool) -> Result<()> {
    let op = "sgd_update";
    let mut others = vec![("gradient", grad)];
    if let Some(m) = m {
        others.push(("momentum", m));
    }
    check(op, var, &others)?;
    let mut state = vec![var];
    state.extend(m);
    same_device(op, &state, grad)?;
    backend::of(var.device())?.update(&Update::Sgd { momentum, nesterov }, &state, grad, lr)
}

/// Adam: `m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= m * alpha / (sqrt(v) + eps)` with
/// `alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)`, t = iterations + 1 (amsgrad: v_hat = max(v_hat, v)).
#[allow(clippy::too_many_arguments)]
pub fn adam_update(
    var: &Tensor,
    grad: &Tensor,
    m: &Tensor,
    v: &Tensor,
    v_hat: Option<&Tensor>,
    lr: &Tensor,
    iterations: &Tensor,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
) -> Result<()> {
    let op = "adam_update";
    let mut others = vec![("gradient", grad), ("momentum", m), ("velocity", v)];
    if let Some(h) = v_hat {
        others.push(("velocity_hat", h));
    }
    check(op, var, &others)?;
    let mut state = vec![var, m, v];
    state.extend(v_hat);
    same_device(op, &state, grad)?;
    let kind = Update::Adam { iterations: iterations.clone(), beta_1, beta_2, epsilon };
    backend::of(var.device())?.update(&kind, &state, grad, lr)
}
