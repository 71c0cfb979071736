//! The GPU backend: the primitives of `backend::Backend` as WGSL kernels (kernels.rs launches
//! them; exprs.rs holds each elementwise op's expression). float64 is not held on the GPU (a
//! TypeError naming the op); pools are float32 only.
use super::{exprs, kernels as k};
use crate::backend::{Adv, Backend, IndexGeom, Update};
use crate::bail;
use crate::dtype::DType;
use crate::error::{fmt_shape, Error, Result};
use crate::kinds::{Act, Binary, Compare, ConvGeom, GammaPart, PoolGeom, Reduce, Unary};
use crate::layout::Layout;
use crate::random::Seed;
use crate::tensor::{Device, Tensor};

pub struct Gpu;

/// A 2-D view of a contiguous GPU tensor's elements (no copy).
fn view2(t: &Tensor, rows: usize, cols: usize) -> Result<Tensor> {
    let t = k::contiguous(t)?;
    let offset = t.layout().offset;
    Ok(t.with_layout(Layout { shape: vec![rows, cols], strides: vec![cols as isize, 1], offset }))
}

/// The transpose of a 2-D view.
fn t2(t: &Tensor) -> Tensor {
    t.with_layout(t.layout().permute(&[1, 0]))
}

/// a (m, k) @ b (k, n) with the tiled kernel, both read through their strides.
fn mm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (m, kk, n) = (a.shape()[0], a.shape()[1], b.shape()[1]);
    k::matmul(a, a.layout(), b, b.layout(), &[], m, n, kk, a.dtype())
}

/// Checks that a hyperparameter tensor has one element (the kernels read it there).
fn scalar_shape(op: &str, name: &str, t: &Tensor) -> Result<()> {
    if t.numel() != 1 {
        bail!(Value, "{op}: {name} must be a scalar tensor, got shape {}", fmt_shape(t.shape()));
    }
    if t.device() == Device::Cpu && t.ndim() > 0 {
        bail!(Device, "{op}: {name} is a cpu tensor of shape {} and the variable is on the gpu", fmt_shape(t.shape()));
    }
    Ok(())
}

impl Backend for Gpu {
    fn device(&self) -> Device {
        Device::Gpu
    }

    fn convert(&self, x: &Tensor, to: DType) -> Result<Tensor> {
        k::convert(x, to)
    }

    fn contiguous(&self, x: &Tensor) -> Result<Tensor> {
        k::contiguous(x)
    }

    fn copy(&self, x: &Tensor) -> Result<Tensor> {
        k::copy(x)
    }

    fn full(&self, shape: &[usize], value: f64, dtype: DType) -> Result<Tensor> {
        k::full(shape, value, dtype)
    }

    fn iota(&self, n: usize) -> Result<Tensor> {
        k::iota(n)
    }

    /// A host value goes up into a GPU destination (loading weights), as torch's copy_.
    fn assign(&self, dst: &Tensor, src: &Tensor) -> Result<()> {
        let src = if src.ndim() > 0 { src.to_device(Device::Gpu)? } else { src.clone() };
        k::assign(dst, &src)
    }

    fn unary(&self, op: Unary, x: &Tensor, p: f64) -> Result<Tensor> {
        let e = if x.dtype().is_float() { exprs::unary_fwd(op, p) } else { exprs::unary_int(op, x.dtype()) };
        k::map(op.name(), &[x], x.dtype(), x.shape(), &e, None)
    }

    fn unary_grad(&self, op: Unary, g: &Tensor, x: &Tensor, y: &Tensor, p: f64) -> Result<Tensor> {
        k::map(op.name(), &[g, x, y], g.dtype(), g.shape(), &exprs::unary_bwd(op, p), None)
    }

    fn binary(&self, op: Binary, a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor> {
        let dt = a.dtype();
        let e = if dt == DType::I64 { exprs::binary_int(op) } else { exprs::binary_float(op) };
        k::map(op.name(), &[a, b], dt, shape, &e, None)
    }

    fn compare(&self, op: Compare, a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor> {
        k::map("compare", &[a, b], DType::Bool, shape, &exprs::compare(op, a.dtype().is_float()), None)
    }

    fn select(&self, c: &Tensor, a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor> {
        k::map("where", &[c, a, b], a.dtype(), shape, "select(c, b, a != 0u)", None)
    }

    fn bias_act(&self, z: &Tensor, bias: Option<&Tensor>, act: Act) -> Result<Tensor> {
        match bias {
            Some(b) => k::map("bias_act", &[z, b], z.dtype(), z.shape(), &exprs::act_fwd(act, "(a + b)"), None),
            None => k::map("bias_act", &[z], z.dtype(), z.shape(), &exprs::act_fwd(act, "a"), None),
        }
    }

    fn bias_act_grad(&self, g: &Tensor, y: &Tensor, act: Act) -> Result<Tensor> {
        k::map("bias_act", &[g, y], y.dtype(), y.shape(), &exprs::act_bwd(act), None)
    }

    fn reduce(&self, x: &Tensor, axes: &[usize], kind: Reduce) -> Result<Tensor> {
        let op = match kind {
            Reduce::Sum => "sum",
            Reduce::Max => "max",
            Reduce::Min => "min",
            Reduce::ArgMax => "argmax",
            Reduce::ArgMin => "argmin",
        };
        if kind == Reduce::Sum && !x.dtype().is_float() {
            return k::reduce(op, &k::convert(x, DType::I64)?, axes, kind);
        }
        k::reduce(op, x, axes, kind)
    }

    /// No GPU sort yet: through the host (a one-time warning says so).
    fn argsort(&self, x: &Tensor, descending: bool) -> Result<Tensor> {
        crate::backend::via_host("argsort", Device::Gpu, &[x], |h| crate::backend::of(Device::Cpu)?.argsort(&h[0], descending))
    }

    /// No GPU scan yet: through the host (a one-time warning says so).
    fn cumsum(&self, x: &Tensor) -> Result<Tensor> {
        crate::backend::via_host("cumsum", Device::Gpu, &[x], |h| crate::backend::of(Device::Cpu)?.cumsum(&h[0]))
    }

    /// No GPU kernel (a series with a data-dependent length): through the host.
    fn gammainc(&self, part: GammaPart, a: &Tensor, x: &Tensor) -> Result<Tensor> {
        crate::backend::via_host("gammainc", Device::Gpu, &[a, x], |h| {
            crate::backend::of(Device::Cpu)?.gammainc(part, &h[0], &h[1])
        })
    }

    fn softmax_rows(&self, x: &Tensor, log: bool) -> Result<Tensor> {
        k::softmax_rows(x, log)
    }

    fn matmul(
        &self,
        a: &Tensor,
        la: &Layout,
        b: &Tensor,
        lb: &Layout,
        batch: &[usize],
        m: usize,
        n: usize,
        kk: usize,
    ) -> Result<Tensor> {
        k::matmul(a, la, b, lb, batch, m, n, kk, a.dtype())
    }

    /// im2col + the tiled matmul, then bias and activation as one more pass (the CPU kernels
    /// fuse them into the conv tiles).
    fn conv(&self, x: &Tensor, kernel: &Tensor, bias: Option<&Tensor>, act: Act, g: &ConvGeom) -> Result<Tensor> {
        let (p, kk) = (g.n * g.oh * g.ow, g.kh * g.kw * g.c);
        let y = mm(&view2(&k::im2col(x, g)?, p, kk)?, &view2(kernel, kk, g.o)?)?;
        let y = y.with_layout(Layout::contiguous(&[g.n, g.oh, g.ow, g.o]));
        if bias.is_none() && act == Act::Linear {
            return Ok(y);
        }
        self.bias_act(&y, bias, act)
    }

    /// A matmul with the kernel's transpose, then col2im.
    fn conv_grad_input(&self, gy: &Tensor, kernel: &Tensor, g: &ConvGeom) -> Result<Tensor> {
        let (p, kk) = (g.n * g.oh * g.ow, g.kh * g.kw * g.c);
        let dcols = mm(&view2(gy, p, g.o)?, &t2(&view2(kernel, kk, g.o)?))?;
        k::col2im(&dcols, g)
    }

    /// The columns (made again, not kept) transposed times the output gradient.
    fn conv_grad_weight(&self, x: &Tensor, gy: &Tensor, g: &ConvGeom) -> Result<Tensor> {
        let (p, kk) = (g.n * g.oh * g.ow, g.kh * g.kw * g.c);
        let gw = mm(&t2(&view2(&k::im2col(x, g)?, p, kk)?), &view2(gy, p, g.o)?)?;
        Ok(gw.with_layout(Layout::contiguous(&[g.kh, g.kw, g.c, g.o])))
    }

    /// Keeps the flat input index of each maximum for the backward scatter.
    fn max_pool(&self, x: &Tensor, g: &PoolGeom) -> Result<(Tensor, Option<Tensor>)> {
        if x.dtype() != DType::F32 {
            bail!(DType, "max_pool: on the GPU the input must be float32, got {}", x.dtype().name());
        }
        let (v, idx) = k::max_pool(x, g)?;
        Ok((v, Some(idx)))
    }

    fn max_pool_grad(&self, _x: &Tensor, _y: &Tensor, aux: Option<&Tensor>, gy: &Tensor, g: &PoolGeom) -> Result<Tensor> {
        let idx = aux.ok_or_else(|| Error::Device("max_pool: engine bug: no indices".into()))?;
        k::max_pool_backward(gy, idx, g)
    }

    fn avg_pool(&self, x: &Tensor, g: &PoolGeom) -> Result<Tensor> {
        k::avg_pool(x, g)
    }

    fn avg_pool_grad(&self, gy: &Tensor, g: &PoolGeom) -> Result<Tensor> {
        k::avg_pool_backward(gy, g)
    }

    /// Bounds checked (host index tensors on the host, GPU ones by one read-back of their
    /// extremes), then the flat positions built on the GPU. Host index arrays are uploaded; 0-d
    /// ones only shift the positions by a constant.
    fn index_positions(&self, base: &Tensor, adv: &[Adv], geom: &IndexGeom) -> Result<Tensor> {
        let (bshape, out_shape, split, rest, bs) = (geom.bshape, geom.out_shape, geom.split, geom.rest, geom.base_strides);
        let shape = base.shape();
        if base.numel() > i32::MAX as usize {
            bail!(
                Memory,
                "index: a gpu tensor of {} elements is too large to index with arrays (positions are 32-bit)",
                base.numel()
            );
        }
        let out_of_bounds =
            |v: i64, d: usize| Error::Index(format!("index {v} is out of bounds for axis {d} with size {}", shape[d]));
        // NumPy reads no index values when the broadcast index is empty
        let checked = bshape.iter().product::<usize>() > 0;
        let nbd = bshape.len();
        let mut c0 = 0i64;
        let mut terms: Vec<(Tensor, usize, usize)> = Vec::new();
        let mut on_gpu: Vec<(usize, Tensor)> = Vec::new();
        for (d, t, in_range) in adv {
            let n = shape[*d] as i64;
            let t = if t.device() == Device::Cpu {
                let vals: Vec<i64> = t.to_vec();
                if checked && !in_range {
                    if let Some(&v) = vals.iter().find(|&&v| v < -n || v >= n) {
                        return Err(out_of_bounds(v, *d));
                    }
                }
                if t.ndim() == 0 {
                    if checked {
                        c0 += (if vals[0] < 0 { vals[0] + n } else { vals[0] }) * bs[*d] as i64;
                    }
                    continue;
                }
                t.to_device(Device::Gpu)?
            } else {
                if checked && !in_range {
                    on_gpu.push((*d, t.clone()));
                }
                t.clone()
            };
            let lb = t.layout().broadcast_to("index", bshape)?;
            let mut strides = vec![0isize; out_shape.len()];
            strides[split..split + nbd].copy_from_slice(&lb.strides);
            terms.push((
                t.with_layout(Layout { shape: out_shape.to_vec(), strides, offset: lb.offset }),
                shape[*d],
                bs[*d] as usize,
            ));
        }
        if !on_gpu.is_empty() {
            let ts: Vec<&Tensor> = on_gpu.iter().map(|(_, t)| t).collect();
            for ((d, _), (lo, hi)) in on_gpu.iter().zip(k::min_max(&ts)?) {
                let n = shape[*d] as i64;
                if lo < -n {
                    return Err(out_of_bounds(lo, *d));
                }
                if hi >= n {
                    return Err(out_of_bounds(hi, *d));
                }
            }
        }
        // the row-major stride in base of each output dim that is not an advanced one
        let mut rest_strides = vec![0usize; out_shape.len()];
        for (j, &d) in rest.iter().enumerate() {
            let at = if j < split { j } else { j + nbd };
            rest_strides[at] = bs[d] as usize;
        }
        k::flat_index(out_shape, &rest_strides, c0, &terms)
    }

    fn gather(&self, x: &Tensor, idx: &Tensor) -> Result<Tensor> {
        k::gather(x, idx)
    }

    fn scatter_add(&self, g: &Tensor, idx: &Tensor, shape: &[usize]) -> Result<Tensor> {
        k::scatter_add(g, idx, shape)
    }

    /// Floats on the GPU; integer sums through the host (the GPU scatter keeps the last value).
    fn scatter_sum(&self, g: &Tensor, idx: &Tensor, shape: &[usize]) -> Result<Tensor> {
        if g.dtype().is_float() {
            return k::scatter_add(g, idx, shape);
        }
        crate::backend::via_host("scatter_sum of integers", Device::Gpu, &[g, idx], |h| {
            crate::backend::of(Device::Cpu)?.scatter_sum(&h[0], &h[1], shape)
        })
    }

    fn update(&self, kind: &Update, state: &[&Tensor], grad: &Tensor, lr: &Tensor) -> Result<()> {
        match kind {
            Update::Sgd { momentum, nesterov } => {
                scalar_shape("sgd_update", "learning_rate", lr)?;
                let code = match (state.len() > 1, nesterov) {
                    (false, _) => 0,
                    (true, false) => 1,
                    (true, true) => 2,
                };
                k::optim(state, grad, code, lr, None, &[*momentum as f32])
            }
            Update::Adam { iterations, beta_1, beta_2, epsilon } => {
                scalar_shape("adam_update", "learning_rate", lr)?;
                scalar_shape("adam_update", "iterations", iterations)?;
                let code = if state.len() == 4 { 4 } else { 3 };
                let params =
                    [beta_1.ln() as f32, beta_2.ln() as f32, (1.0 - beta_1) as f32, (1.0 - beta_2) as f32, *epsilon as f32];
                k::optim(state, grad, code, lr, Some(iterations), &params)
            }
        }
    }

    /// float32 is drawn on the GPU from the same stream position the CPU would use (the
    /// generator moves on by as many draws), so nothing crosses; other dtypes are drawn on the
    /// host and uploaded.
    fn uniform(&self, shape: &[usize], low: f64, high: f64, dtype: DType, seed: &Seed) -> Result<Tensor> {
        if dtype == DType::F32 {
            let n = crate::storage::check_size("uniform", shape, DType::F32)?;
            let (key, pos) = crate::random::with_rng(seed, |r| {
                let pos = r.get_word_pos();
                // rand_chacha's key words are the seed bytes read little-endian
                let seed = r.get_seed();
                let key: [u32; 8] =
                    std::array::from_fn(|i| u32::from_le_bytes([seed[4 * i], seed[4 * i + 1], seed[4 * i + 2], seed[4 * i + 3]]));
                if pos % 2 == 0 {
                    r.set_word_pos(pos + 2 * n as u128);
                }
                (key, pos)
            });
            if pos % 2 == 0 {
                return k::uniform(shape, &key, pos, low, high);
            }
        }
        crate::random::uniform(shape, low, high, dtype, seed).to_device(Device::Gpu)
    }
}
