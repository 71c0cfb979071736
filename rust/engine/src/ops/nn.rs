//! Neural-network ops: softmax, log_softmax, logsumexp, the crossentropies, conv and pooling.
use super::fused::{bias_act_backward, check_bias, Act};
use super::{binary::*, index::*, reduce::*, shape::*, unary::*};
use crate::autograd::{linear_in, no_grad, record};
use crate::backend;
use crate::bail;
use crate::dtype::DType;
use crate::error::{fmt_shape, Result};
use crate::kinds::{ConvGeom, PoolGeom};
use crate::layout::norm_axis;
use crate::tensor::Tensor;

/// Keras's epsilon for clipping probabilities.
pub const EPSILON: f64 = 1e-7;

fn softmax_impl(x: &Tensor, axis: isize, log: bool) -> Result<Tensor> {
    let name = if log { "log_softmax" } else { "softmax" };
    if x.ndim() == 0 {
        bail!(Value, "{name}: needs at least a 1-D tensor");
    }
    let ax = norm_axis(name, axis, x.ndim())?;
    let last = x.ndim() - 1;
    if ax != last {
        let moved = swapaxes(x, ax as isize, last as isize)?;
        return swapaxes(&softmax_impl(&moved, -1, log)?, ax as isize, last as isize);
    }
    let (xf, out_dt) = super::float_compute(x)?;
    let out = backend::for_inputs(name, &[&xf])?.softmax_rows(&xf, log)?;
    let out = record(name, out, &[&xf], move |g, _, y| {
        let gx = if log {
            // d log_softmax: g - softmax * sum(g)
            sub(g, &mul(&exp(y)?, &sum(g, Some(&[-1]), true)?)?)?
        } else {
            // d softmax: y * (g - sum(g * y))
            mul(y, &sub(g, &sum(&mul(g, y)?, Some(&[-1]), true)?)?)?
        };
        Ok(vec![Some(gx)])
    });
    cast(&out, out_dt)
}

pub fn softmax(x: &Tensor, axis: isize) -> Result<Tensor> {
    softmax_impl(x, axis, false)
}

pub fn log_softmax(x: &Tensor, axis: isize) -> Result<Tensor> {
    softmax_impl(x, axis, true)
}

/// log(sum(exp(x))) over axes, computed around the maximum so it never overflows.
pub fn logsumexp(x: &Tensor, axes: Option<&[isize]>, keepdims: bool) -> Result<Tensor> {
    let (xf, out_dt) = super::float_compute(x)?;
    if out_dt != xf.dtype() {
        return cast(&logsumexp(&xf, axes, keepdims)?, out_dt);
    }
    let m = no_grad(|| -> Result<Tensor> {
        let m = max(&xf, axes, true)?;
        let finite = compare(Compare::Eq, &sub(&m, &m)?, &Tensor::scalar(0.0, m.dtype()))?;
        where_(&finite, &m, &Tensor::scalar(0.0, m.dtype()))
    })?;
    let s = log(&sum(&exp(&sub(&xf, &m)?)?, axes, true)?)?;
    let out = add(&s, &m)?;
    if keepdims {
        Ok(out)
    } else {
        let ax = crate::layout::norm_axes("logsumexp", axes, x.ndim())?;
        let keep: Vec<usize> = (0..x.ndim()).filter(|d| !ax.contains(d)).map(|d| x.shape()[d]).collect();
        reshape_to(&out, &keep)
    }
}

fn check_same_shape(op: &str, target: &Tensor, output: &Tensor) -> Result<()> {
    if target.shape() != output.shape() {
        bail!(
            Shape,
            "{op}: target and output must have the same shape, got {} and {}",
            fmt_shape(target.shape()),
            fmt_shape(output.shape())
        );
    }
    Ok(())
}

fn float_like(t: &Tensor, like: &Tensor) -> Result<Tensor> {
    cast(t, like.dtype())
}

/// Elementwise binary crossentropy (no reduction), as keras.ops.binary_crossentropy.
pub fn binary_crossentropy(target: &Tensor, output: &Tensor, from_logits: bool) -> Result<Tensor> {
    check_same_shape("binary_crossentropy", target, output)?;
    let x = cast(output, output.dtype().to_float())?;
    let t = float_like(target, &x)?;
    let one = Tensor::scalar(1.0, x.dtype());
    if from_logits {
        // max(x, 0) - x * t + log(1 + exp(-|x|))
        let zero = Tensor::scalar(0.0, x.dtype());
        add(&sub(&maximum(&x, &zero)?, &mul(&x, &t)?)?, &log1p(&exp(&neg(&abs(&x)?)?)?)?)
    } else {
        let p = clip(&x, &Tensor::scalar(EPSILON, x.dtype()), &Tensor::scalar(1.0 - EPSILON, x.dtype()))?;
        let a = mul(&t, &log(&p)?)?;
        let b = mul(&sub(&one, &t)?, &log(&sub(&one, &p)?)?)?;
        neg(&add(&a, &b)?)
    }
}

/// Categorical crossentropy along `axis` (the class axis is reduced).
pub fn categorical_crossentropy(target: &Tensor, output: &Tensor, from_logits: bool, axis: isize) -> Result<Tensor> {
    check_same_shape("categorical_crossentropy", target, output)?;
    if output.ndim() == 0 {
        bail!(Value, "categorical_crossentropy: output must have at least one dimension");
    }
    let x = cast(output, output.dtype().to_float())?;
    let t = float_like(target, &x)?;
    let logp = if from_logits {
        log_softmax(&x, axis)?
    } else {
        let p = div(&x, &sum(&x, Some(&[axis]), true)?)?;
        log(&clip(&p, &Tensor::scalar(EPSILON, x.dtype()), &Tensor::scalar(1.0 - EPSILON, x.dtype()))?)?
    };
    neg(&sum(&mul(&t, &logp)?, Some(&[axis]), false)?)
}

/// Sparse categorical crossentropy: integer labels index the class axis of `output`.
pub fn sparse_categorical_crossentropy(target: &Tensor, output: &Tensor, from_logits: bool, axis: isize) -> Result<Tensor> {
    if output.ndim() == 0 {
        bail!(Value, "sparse_categorical_crossentropy: output must have at least one dimension");
    }
    let ax = norm_axis("sparse_categorical_crossentropy", axis, output.ndim())?;
    let mut expect = output.shape().to_vec();
    let classes = expect.remove(ax);
    // labels of shape (..., 1) are accepted too, as Keras does
    let target = if target.ndim() == output.ndim() && target.shape()[target.ndim() - 1] == 1 {
        squeeze(target, Some(&[-1]))?
    } else {
        target.clone()
    };
    if target.shape() != expect.as_slice() {
        bail!(
            Shape,
            "sparse_categorical_crossentropy: labels of shape {} do not fit output of shape {} (expected labels of shape {})",
            fmt_shape(target.shape()),
            fmt_shape(output.shape()),
            fmt_shape(&expect)
        );
    }
    let labels = target.try_convert(DType::I64)?;
    let bad = if labels.device() == crate::tensor::Device::Cpu {
        labels.to_vec::<i64>().into_iter().find(|&l| l < 0 || l as usize >= classes)
    } else {
        // on the GPU the range check reads back two numbers (the smallest and largest label)
        let all = (labels.numel() > 0).then(|| -> Result<(i64, i64)> {
            Ok((min(&labels, None, false)?.item_f64()? as i64, max(&labels, None, false)?.item_f64()? as i64))
        });
        match all.transpose()? {
            Some((lo, _)) if lo < 0 => Some(lo),
            Some((_, hi)) if hi as usize >= classes => Some(hi),
            _ => None,
        }
    };
    if let Some(bad) = bad {
        bail!(
            Value,
            "sparse_categorical_crossentropy: label {bad} is out of range for {classes} classes (valid: 0 to {})",
            classes as i64 - 1
        );
    }
    let (x, out_dt) = super::float_compute(output)?;
    // a backend's one-pass kernel when it has one; else the composed ops below
    if from_logits && ax == x.ndim() - 1 {
        let be = backend::for_inputs("sparse_categorical_crossentropy", &[&x, &labels])?;
        if let Some((loss, logp)) = be.sparse_ce_logits(&x, &labels)? {
            let loss = record("sparse_categorical_crossentropy", loss, &[&x], move |g, _, _| {
                let gx = be.sparse_ce_logits_grad(&logp, &labels, g)?;
                // (softmax - one_hot) scaled by each row's g: the adjoint sums a row against it
                let (logp, labels) = (logp.clone(), labels.clone());
                Ok(vec![Some(linear_in("sparse_categorical_crossentropy", gx, g, move |w| {
                    let d = sub(&exp(&logp)?, &one_hot(&labels, classes, logp.dtype())?)?;
                    sum(&mul(w, &d)?, Some(&[-1]), false)
                }))])
            });
            return cast(&loss, out_dt);
        }
    }
    let x = cast(&x, out_dt)?;
    let oh = one_hot(&labels, classes, x.dtype())?;
    // move the class axis from last to `ax`
    let nd = x.ndim() as isize;
    let mut perm: Vec<isize> = (0..nd - 1).collect();
    perm.insert(ax, nd - 1);
    let oh = transpose(&oh, Some(&perm))?;
    categorical_crossentropy(&oh, &x, from_logits, ax as isize)
}

/// Resolves "valid" / "same" padding for one spatial dim: (output size, padding before).
pub fn pad_geometry(op: &str, padding: &str, n: usize, k: usize, s: usize, d: usize) -> Result<(usize, usize)> {
    let too_big = || {
        crate::error::Error::Value(format!("{op}: a window of {k} with dilation {d} and stride {s} over {n} overflows 64 bits"))
    };
    if k == 0 || s == 0 || d == 0 {
        bail!(Value, "{op}: window size {k}, stride {s} and dilation {d} must be positive");
    }
    let span = d.checked_mul(k - 1).and_then(|x| x.checked_add(1)).ok_or_else(too_big)?;
    match padding {
        "valid" => Ok((if n >= span { (n - span) / s + 1 } else { 0 }, 0)),
        "same" => {
            let out = n.div_ceil(s);
            let total =
                ((out.max(1) - 1).checked_mul(s).and_then(|x| x.checked_add(span)).ok_or_else(too_big)?).saturating_sub(n);
            Ok((out, total / 2))
        }
        other => bail!(Value, "{op}: padding must be 'valid' or 'same', got '{other}'"),
    }
}

/// The checks conv and conv_transpose share: NHWC inputs and a 4-D kernel whose axis `in_axis`
/// holds the inputs' channels (`layout` names the kernel's axes in messages), positive strides and
/// dilation, a non-empty window.
fn check_conv_args(
    op: &str,
    inputs: &Tensor,
    kernel: &Tensor,
    in_axis: usize,
    layout: &str,
    strides: [usize; 2],
    dilation: [usize; 2],
) -> Result<()> {
    let (xs, ks) = (inputs.shape(), kernel.shape());
    if xs.len() != 4 || ks.len() != 4 {
        bail!(
            Shape,
            "{op}: expected inputs (batch, height, width, channels) and kernel {layout}, got {} and {}",
            fmt_shape(xs),
            fmt_shape(ks)
        );
    }
    if xs[3] != ks[in_axis] {
        bail!(
            Shape,
            "{op}: inputs {} have {} channels but kernel {} {layout} expects {}",
            fmt_shape(xs),
            xs[3],
            fmt_shape(ks),
            ks[in_axis]
        );
    }
    if strides.contains(&0) || dilation.contains(&0) {
        bail!(Value, "{op}: strides {strides:?} and dilation_rate {dilation:?} must be positive");
    }
    if ks[0] == 0 || ks[1] == 0 {
        bail!(Shape, "{op}: kernel {} has an empty window", fmt_shape(ks));
    }
    Ok(())
}

/// 2-D convolution of NHWC inputs with a (kh, kw, in, out) kernel; 1-D inputs (N, W, C) with a
/// (kw, in, out) kernel go through the same code with a height of 1.
pub fn conv(inputs: &Tensor, kernel: &Tensor, strides: [usize; 2], padding: &str, dilation: [usize; 2]) -> Result<Tensor> {
    conv_bias_act(inputs, kernel, None, Act::Linear, strides, padding, dilation)
}

/// act(conv(inputs, kernel) + bias), as Conv layers end, in one op: the kernels apply the bias
/// and activation to each piece of output while it is in cache, and the raw convolution is never
/// kept (the gradient needs only the activated output).
pub fn conv_bias_act(
    inputs: &Tensor,
    kernel: &Tensor,
    bias: Option<&Tensor>,
    act: Act,
    strides: [usize; 2],
    padding: &str,
    dilation: [usize; 2],
) -> Result<Tensor> {
    if inputs.ndim() == 3 && kernel.ndim() == 3 {
        let x = expand_dims(inputs, 1)?;
        let k = expand_dims(kernel, 0)?;
        let y = conv_bias_act(&x, &k, bias, act, [1, strides[1]], padding, [1, dilation[1]])?;
        return squeeze(&y, Some(&[1]));
    }
    check_conv_args("conv", inputs, kernel, 2, "(kh, kw, in, out)", strides, dilation)?;
    let (xs, ks) = (inputs.shape(), kernel.shape());
    let (oh, pt) = pad_geometry("conv", padding, xs[1], ks[0], strides[0], dilation[0])?;
    let (ow, pl) = pad_geometry("conv", padding, xs[2], ks[1], strides[1], dilation[1])?;
    let g = ConvGeom {
        n: xs[0],
        h: xs[1],
        w: xs[2],
        c: xs[3],
        kh: ks[0],
        kw: ks[1],
        o: ks[3],
        sh: strides[0],
        sw: strides[1],
        dh: dilation[0],
        dw: dilation[1],
        pt,
        pl,
        oh,
        ow,
    };
    let dt = DType::promote(inputs.dtype(), kernel.dtype()).to_float();
    if dt.compute() != dt {
        // float16 / bfloat16: in float32, rounded back
        let c = dt.compute();
        let b = bias.map(|b| cast(b, c)).transpose()?;
        let y = conv_bias_act(&cast(inputs, c)?, &cast(kernel, c)?, b.as_ref(), act, strides, padding, dilation)?;
        return cast(&y, dt);
    }
    check_bias("conv", bias, g.o, dt)?;
    crate::storage::check_size("conv", &[g.n, oh, ow, g.o], dt)?;
    let inputs_rec: Vec<&Tensor> = [inputs, kernel].into_iter().chain(bias).collect();
    let be = backend::for_inputs("conv", &inputs_rec)?;
    let (x, k) = (inputs.try_convert(dt)?, kernel.try_convert(dt)?);
    let out = be.conv(&x, &k, bias, act, &g)?;
    Ok(record("conv", out, &inputs_rec, move |gy, inp, y| {
        let want_bias = matches!(inp.get(2), Some(b) if b.requires_grad());
        let (gy, gb) = if bias_free(act, inp.len()) { (gy.clone(), None) } else { bias_act_backward(gy, y, act, want_bias)? };
        // each is linear in gy; the adjoints are the forward convolution with the other operand
        let gx = if inp[0].requires_grad() {
            let k = k.clone();
            Some(linear_in("conv", be.conv_grad_input(&gy, &k, &g)?, &gy, move |w| be.conv(w, &k, None, Act::Linear, &g)))
        } else {
            None
        };
        let gk = if inp[1].requires_grad() {
            let x = x.clone();
            Some(linear_in("conv", be.conv_grad_weight(&x, &gy, &g)?, &gy, move |w| be.conv(&x, w, None, Act::Linear, &g)))
        } else {
            None
        };
        let mut grads = vec![gx, gk];
        if inp.len() == 3 {
            grads.push(gb);
        }
        Ok(grads)
    }))
}

/// The transpose of `conv` (the gradient of a convolution with respect to its input): NHWC
/// inputs (batch, oh, ow, in) and a (kh, kw, out, in) kernel give (batch, h, w, out), where an
/// input pixel (oy, ox) adds its kernel-weighted value at (oy*sh + ky*dh - pt, ox*sw + kx*dw - pl).
/// `out_size` and `pad_before` are explicit: the framework's padding rules (Keras's "valid" /
/// "same" with output_padding) are resolved by the caller. 1-D inputs (batch, w, in) with a
/// (kw, out, in) kernel go through a height of 1. Forward and gradients are the conv kernels
/// with the roles of input and output swapped, on both devices.
pub fn conv_transpose(
    inputs: &Tensor,
    kernel: &Tensor,
    strides: [usize; 2],
    out_size: [usize; 2],
    pad_before: [usize; 2],
    dilation: [usize; 2],
) -> Result<Tensor> {
    if inputs.ndim() == 3 && kernel.ndim() == 3 {
        let (x, k) = (expand_dims(inputs, 1)?, expand_dims(kernel, 0)?);
        let y = conv_transpose(&x, &k, [1, strides[1]], [1, out_size[1]], [0, pad_before[1]], [1, dilation[1]])?;
        return squeeze(&y, Some(&[1]));
    }
    check_conv_args("conv_transpose", inputs, kernel, 3, "(kh, kw, out, in)", strides, dilation)?;
    let (xs, ks) = (inputs.shape(), kernel.shape());
    for i in 0..2 {
        if pad_before[i] > (ks[i] - 1).saturating_mul(dilation[i]) {
            bail!(
                Value,
                "conv_transpose: padding before {} exceeds the dilated window ({} taps, dilation {})",
                pad_before[i],
                ks[i],
                dilation[i]
            );
        }
    }
    let g = ConvGeom {
        n: xs[0],
        h: out_size[0],
        w: out_size[1],
        c: ks[2],
        kh: ks[0],
        kw: ks[1],
        o: ks[3],
        sh: strides[0],
        sw: strides[1],
        dh: dilation[0],
        dw: dilation[1],
        pt: pad_before[0],
        pl: pad_before[1],
        oh: xs[1],
        ow: xs[2],
    };
    let dt = DType::promote(inputs.dtype(), kernel.dtype()).to_float();
    if dt.compute() != dt {
        let c = dt.compute();
        let y = conv_transpose(&cast(inputs, c)?, &cast(kernel, c)?, strides, out_size, pad_before, dilation)?;
        return cast(&y, dt);
    }
    crate::storage::check_size("conv_transpose", &[g.n, g.h, g.w, g.c], dt)?;
    let be = backend::for_inputs("conv_transpose", &[inputs, kernel])?;
    let (x, k) = (inputs.try_convert(dt)?, kernel.try_convert(dt)?);
    let out = be.conv_grad_input(&x, &k, &g)?;
    Ok(record("conv_transpose", out, &[inputs, kernel], move |gz, inp, _| {
        let gx = if inp[0].requires_grad() {
            let k = k.clone();
            Some(linear_in("conv_transpose", be.conv(gz, &k, None, Act::Linear, &g)?, gz, move |w| be.conv_grad_input(w, &k, &g)))
        } else {
            None
        };
        let gk = if inp[1].requires_grad() {
            let x = x.clone();
            Some(linear_in("conv_transpose", be.conv_grad_weight(gz, &x, &g)?, gz, move |w| be.conv_grad_input(&x, w, &g)))
        } else {
            None
        };
        Ok(vec![gx, gk])
    }))
}

/// A plain convolution: no bias and no activation, so the output gradient passes as it is.
fn bias_free(act: Act, n_inputs: usize) -> bool {
    act == Act::Linear && n_inputs == 2
}

fn pool_geom(op: &str, x: &Tensor, pool_size: [usize; 2], strides: [usize; 2], padding: &str) -> Result<PoolGeom> {
    if x.ndim() != 4 {
        bail!(Shape, "{op}: expected inputs (batch, height, width, channels), got {}", fmt_shape(x.shape()));
    }
    if pool_size.contains(&0) || strides.contains(&0) {
        bail!(Value, "{op}: pool_size {pool_size:?} and strides {strides:?} must be positive");
    }
    let s = x.shape();
    let (oh, pt) = pad_geometry(op, padding, s[1], pool_size[0], strides[0], 1)?;
    let (ow, pl) = pad_geometry(op, padding, s[2], pool_size[1], strides[1], 1)?;
    Ok(PoolGeom {
        n: s[0],
        h: s[1],
        w: s[2],
        c: s[3],
        ph: pool_size[0],
        pw: pool_size[1],
        sh: strides[0],
        sw: strides[1],
        pt,
        pl,
        oh,
        ow,
    })
}

/// Applies a 4-D pool to 3-D (N, W, C) inputs through a height of 1.
fn pool_1d(
    x: &Tensor,
    pool_size: [usize; 2],
    strides: [usize; 2],
    padding: &str,
    f: fn(&Tensor, [usize; 2], [usize; 2], &str) -> Result<Tensor>,
) -> Result<Tensor> {
    let y = f(&expand_dims(x, 1)?, [1, pool_size[1]], [1, strides[1]], padding)?;
    squeeze(&y, Some(&[1]))
}

pub fn max_pool(x: &Tensor, pool_size: [usize; 2], strides: [usize; 2], padding: &str) -> Result<Tensor> {
    if x.ndim() == 3 {
        return pool_1d(x, pool_size, strides, padding, max_pool);
    }
    let g = pool_geom("max_pool", x, pool_size, strides, padding)?;
    if x.dtype().is_float() && x.dtype().compute() != x.dtype() {
        return cast(&max_pool(&cast(x, x.dtype().compute())?, pool_size, strides, padding)?, x.dtype());
    }
    let be = backend::for_inputs("max_pool", &[x])?;
    let (out, aux) = be.max_pool(x, &g)?;
    if !x.dtype().is_float() {
        return Ok(out);
    }
    Ok(record("max_pool", out, &[x], move |gy, inp, y| Ok(vec![Some(be.max_pool_grad(&inp[0], y, aux.as_ref(), gy, &g)?)])))
}

pub fn average_pool(x: &Tensor, pool_size: [usize; 2], strides: [usize; 2], padding: &str) -> Result<Tensor> {
    if x.ndim() == 3 {
        return pool_1d(x, pool_size, strides, padding, average_pool);
    }
    let g = pool_geom("average_pool", x, pool_size, strides, padding)?;
    let (xf, out_dt) = super::float_compute(x)?;
    let be = backend::for_inputs("average_pool", &[&xf])?;
    let out = be.avg_pool(&xf, &g)?;
    cast(
        &record("average_pool", out, &[&xf], move |gy, _, _| {
            Ok(vec![Some(linear_in("average_pool", be.avg_pool_grad(gy, &g)?, gy, move |w| be.avg_pool(w, &g)))])
        }),
        out_dt,
    )
}
