//! The CPU backend: the primitives of `backend::Backend` on host memory, through the kernels of
//! this directory (strided walkers, reducers, gemm, conv, pools, optimizer loops).
use super::elementwise::{map1, map2, map3};
use super::fused::{epilogue, owns_whole_buffer, per_act, scale_by_df};
use super::reduce::{reduce_inner, reduce_outer, Extreme, Reducer, Sum};
use super::{conv, matmul, pool, read1, read2};
use crate::backend::{Adv, Backend, IndexGeom, Update};
use crate::dtype::DType;
use crate::error::Result;
use crate::kinds::{Act, Binary, Compare, ConvGeom, GammaPart, PoolGeom, Reduce, Unary};
use crate::layout::{numel, Layout};
use crate::random::Seed;
use crate::storage::{Elem, Storage};
use crate::tensor::{Device, Tensor};
use crate::{bail, with_dtype, with_float};

pub struct Cpu;

/// Host element access and conversion (the CPU backend's; `try_convert` works on any device).
impl Tensor {
    /// The elements in row-major order, as a fresh Vec.
    pub fn to_vec<T: Elem>(&self) -> Vec<T> {
        let buf = self.storage().read();
        let data = T::slice(&buf);
        match self.layout().contiguous_range() {
            Some((a, b)) => data[a..b].to_vec(),
            None => map1(data, self.layout(), |x| x),
        }
    }

    /// Runs `f` on the elements as one contiguous slice, copying only if the layout needs it.
    pub fn with_contiguous<T: Elem, R>(&self, f: impl FnOnce(&[T]) -> R) -> R {
        let buf = self.storage().read();
        let data = T::slice(&buf);
        match self.layout().contiguous_range() {
            Some((a, b)) => f(&data[a..b]),
            None => {
                let v = map1(data, self.layout(), |x| x);
                drop(buf);
                f(&v)
            }
        }
    }

    /// Same data in row-major contiguous order: self if already so, else a copy (no autograd).
    pub fn contiguous_data(&self) -> Tensor {
        if self.is_contiguous() {
            return self.clone();
        }
        with_dtype!(self.dtype(), T => Tensor::from_vec(self.to_vec::<T>(), self.shape(), self.dtype()))
    }

    /// Converts to another dtype (no autograd; ops::cast wraps it). Anything to bool is `!= 0`;
    /// to a float rounds to nearest; floats to integers truncate toward zero (saturating at
    /// int64's range, NaN to 0) and integers to narrower integers keep the low bits, as NumPy's
    /// astype does.
    pub fn convert(&self, to: DType) -> Tensor {
        if to == self.dtype() {
            return self.clone();
        }
        let buf = self.storage().read();
        let l = self.layout();
        let shape = l.shape.clone();
        with_dtype!(self.dtype(), S => {
            let src = <S as Elem>::slice(&buf);
            if to == DType::Bool {
                Tensor::from_vec(map1(src, l, |x| (x.to_f64() != 0.0) as u8), &shape, to)
            } else if to.is_float() {
                with_dtype!(to, T => Tensor::from_vec(map1(src, l, |x| T::from_f64(x.to_f64())), &shape, to))
            } else {
                with_dtype!(to, T => Tensor::from_vec(map1(src, l, |x| T::from_i64(x.to_i64())), &shape, to))
            }
        })
    }
}

/// Runs a reducer over `axes` (sorted, unique). Output shape = the kept dims.
fn run<T: Elem, R: Reducer<T>>(x: &Tensor, axes: &[usize], r: &R) -> (Vec<R::Acc>, Vec<usize>) {
    let nd = x.ndim();
    let kept: Vec<usize> = (0..nd).filter(|d| !axes.contains(d)).collect();
    let out_shape: Vec<usize> = kept.iter().map(|&d| x.shape()[d]).collect();
    let m = numel(&out_shape);
    let k: usize = axes.iter().map(|&d| x.shape()[d]).product();
    let trailing = axes.iter().enumerate().all(|(i, &a)| a == nd - axes.len() + i);
    let leading = axes.iter().enumerate().all(|(i, &a)| a == i);
    if leading && !trailing && x.is_contiguous() {
        let v = x.with_contiguous(|s: &[T]| reduce_outer(s, k, m, r));
        return (v, out_shape);
    }
    let src = if trailing {
        x.clone()
    } else {
        let perm: Vec<usize> = kept.iter().chain(axes.iter()).copied().collect();
        x.with_layout(x.layout().permute(&perm))
    };
    let v = src.with_contiguous(|s: &[T]| reduce_inner(s, m, k, r));
    (v, out_shape)
}

impl Backend for Cpu {
    fn device(&self) -> Device {
        Device::Cpu
    }

    fn convert(&self, x: &Tensor, to: DType) -> Result<Tensor> {
        Ok(x.convert(to))
    }

    fn contiguous(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.contiguous_data())
    }

    fn copy(&self, x: &Tensor) -> Result<Tensor> {
        let buf = with_dtype!(x.dtype(), E => E::into_buffer(x.to_vec::<E>(), x.dtype()));
        Ok(Tensor::from_parts(Storage::new(buf), Layout::contiguous(x.shape()), x.dtype()))
    }

    fn full(&self, shape: &[usize], value: f64, dtype: DType) -> Result<Tensor> {
        Ok(Tensor::full(shape, value, dtype))
    }

    fn iota(&self, n: usize) -> Result<Tensor> {
        Ok(Tensor::from_vec((0..n as i64).collect::<Vec<i64>>(), &[n], DType::I64))
    }

    fn assign(&self, dst: &Tensor, src: &Tensor) -> Result<()> {
        let src = src.to_device(Device::Cpu)?.convert(dst.dtype());
        let ls = src.layout().broadcast_to("assign", dst.shape())?;
        with_dtype!(dst.dtype(), T => {
            let vals: Vec<T> = read1(&src, |s: &[T]| map1(s, &ls, |x| x));
            let mut g = dst.storage().write();
            let d = T::slice_mut(&mut g);
            let mut it = vals.into_iter();
            crate::layout::for_each_offset(dst.layout(), |o| d[o] = it.next().unwrap_or_default());
        });
        Ok(())
    }

    fn unary(&self, op: Unary, x: &Tensor, p: f64) -> Result<Tensor> {
        let dt = x.dtype();
        if !dt.is_float() {
            return Ok(super::unary::int_unary(op, x));
        }
        Ok(with_float!(dt, T => {
            let v: Vec<T> = read1(x, |s: &[T]| op.forward(s, x.layout(), p));
            Tensor::from_vec(v, x.shape(), dt)
        }))
    }

    fn unary_grad(&self, op: Unary, g: &Tensor, x: &Tensor, y: &Tensor, p: f64) -> Result<Tensor> {
        let dt = g.dtype();
        Ok(with_float!(dt, T => Tensor::from_vec(op.backward::<T>(g, x, y, p), g.shape(), dt)))
    }

    fn binary(&self, op: Binary, a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor> {
        let (la, lb) = (a.layout().broadcast_to(op.name(), shape)?, b.layout().broadcast_to(op.name(), shape)?);
        let dt = a.dtype();
        Ok(match dt {
            DType::I64 => Tensor::from_vec(read2(a, b, |x: &[i64], y: &[i64]| op.int(x, &la, y, &lb)), shape, dt),
            _ => with_float!(dt, T => Tensor::from_vec(read2(a, b, |x: &[T], y: &[T]| op.float(x, &la, y, &lb)), shape, dt)),
        })
    }

    fn gammainc(&self, part: GammaPart, a: &Tensor, x: &Tensor) -> Result<Tensor> {
        let dt = a.dtype();
        Ok(with_float!(dt, T => {
            let v = read2(a, x, |p: &[T], q: &[T]| {
                map2(p, a.layout(), q, x.layout(), |p, q| {
                    T::from_f64(super::special::gammainc(part, p.to_f64(), q.to_f64()))
                })
            });
            Tensor::from_vec(v, a.shape(), dt)
        }))
    }

    fn compare(&self, op: Compare, a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor> {
        let (la, lb) = (a.layout().broadcast_to("compare", shape)?, b.layout().broadcast_to("compare", shape)?);
        let v = with_dtype!(a.dtype(), T => read2(a, b, |x: &[T], y: &[T]| match op {
            Compare::Eq => map2(x, &la, y, &lb, |p, q| (p == q) as u8),
            Compare::Ne => map2(x, &la, y, &lb, |p, q| (p != q) as u8),
            Compare::Lt => map2(x, &la, y, &lb, |p, q| (p < q) as u8),
            Compare::Le => map2(x, &la, y, &lb, |p, q| (p <= q) as u8),
            Compare::Gt => map2(x, &la, y, &lb, |p, q| (p > q) as u8),
            Compare::Ge => map2(x, &la, y, &lb, |p, q| (p >= q) as u8),
        }));
        Ok(Tensor::from_vec(v, shape, DType::Bool))
    }

    fn select(&self, c: &Tensor, a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor> {
        let (lc, la, lb) = (
            c.layout().broadcast_to("where", shape)?,
            a.layout().broadcast_to("where", shape)?,
            b.layout().broadcast_to("where", shape)?,
        );
        let dt = a.dtype();
        Ok(with_dtype!(dt, T => {
            let gc = c.storage().read();
            let v = read2(a, b, |xa: &[T], xb: &[T]| map3(u8::slice(&gc), &lc, xa, &la, xb, &lb, |m, p, q| if m != 0 { p } else { q }));
            Tensor::from_vec(v, shape, dt)
        }))
    }

    fn bias_act(&self, z: &Tensor, bias: Option<&Tensor>, act: Act) -> Result<Tensor> {
        // the strided walker: bias is broadcast along the rows (stride 0), runs are vectorised and
        // large tensors split across threads
        Ok(with_float!(z.dtype(), T => {
            let v = match bias {
                Some(b) => {
                    let lb = b.layout().broadcast_to("bias_act", z.shape())?;
                    read2(z, b, |zs: &[T], bs: &[T]| per_act!(act, A => map2(zs, z.layout(), bs, &lb, |x, bj| A.f(x + bj))))
                }
                None => read1(z, |zs: &[T]| per_act!(act, A => map1(zs, z.layout(), |x| A.f(x)))),
            };
            Tensor::from_vec(v, z.shape(), z.dtype())
        }))
    }

    fn bias_act_grad(&self, g: &Tensor, y: &Tensor, act: Act) -> Result<Tensor> {
        if owns_whole_buffer(g) && y.is_contiguous() && g.dtype() == y.dtype() && g.shape() == y.shape() {
            // nothing else can see g (the sweep passes each gradient on once): dz takes its memory
            with_float!(y.dtype(), T => {
                let mut gb = g.storage().write();
                y.with_contiguous(|ys: &[T]| scale_by_df(T::slice_mut(&mut gb), ys, act));
            });
            return Ok(g.clone());
        }
        Ok(with_float!(y.dtype(), T => {
            let v = read2(g, y, |gs: &[T], ys: &[T]| per_act!(act, A => map2(gs, g.layout(), ys, y.layout(), |gi, yi| gi * A.df(yi))));
            Tensor::from_vec(v, y.shape(), y.dtype())
        }))
    }

    fn reduce(&self, x: &Tensor, axes: &[usize], kind: Reduce) -> Result<Tensor> {
        let dt = x.dtype();
        Ok(match kind {
            Reduce::Sum => {
                let dt = if dt.is_float() { dt } else { DType::I64 };
                let xc = x.convert(dt);
                match dt {
                    DType::F32 => {
                        let (v, s) = run::<f32, _>(&xc, axes, &Sum);
                        Tensor::from_vec(v, &s, dt)
                    }
                    DType::F64 => {
                        let (v, s) = run::<f64, _>(&xc, axes, &Sum);
                        Tensor::from_vec(v, &s, dt)
                    }
                    _ => {
                        let (v, s) = run::<i64, _>(&xc, axes, &Sum);
                        Tensor::from_vec(v, &s, dt)
                    }
                }
            }
            Reduce::Max | Reduce::Min | Reduce::ArgMax | Reduce::ArgMin => {
                let r = Extreme { min: matches!(kind, Reduce::Min | Reduce::ArgMin) };
                with_dtype!(dt, T => {
                    let (v, s) = run::<T, _>(x, axes, &r);
                    if matches!(kind, Reduce::Max | Reduce::Min) {
                        Tensor::from_vec(v.into_iter().map(|a| a.0).collect::<Vec<T>>(), &s, dt)
                    } else {
                        Tensor::from_vec(v.into_iter().map(|a| a.1 as i64).collect::<Vec<i64>>(), &s, DType::I64)
                    }
                })
            }
        })
    }

    fn argsort(&self, x: &Tensor, descending: bool) -> Result<Tensor> {
        let n = x.shape().last().copied().unwrap_or(1);
        let v = with_dtype!(x.dtype(), T => x.with_contiguous(|s: &[T]| super::sort::argsort_rows(s, n, descending)));
        Ok(Tensor::from_vec(v, x.shape(), DType::I64))
    }

    fn cumsum(&self, x: &Tensor) -> Result<Tensor> {
        let (dt, n) = (x.dtype(), x.shape().last().copied().unwrap_or(1));
        Ok(match dt {
            DType::I64 => Tensor::from_vec(x.with_contiguous(|s: &[i64]| super::sort::cumsum_rows(s, n)), x.shape(), dt),
            _ => {
                with_float!(dt, T => Tensor::from_vec(x.with_contiguous(|s: &[T]| super::sort::cumsum_rows(s, n)), x.shape(), dt))
            }
        })
    }

    fn softmax_rows(&self, x: &Tensor, log: bool) -> Result<Tensor> {
        let (dt, n) = (x.dtype(), x.shape()[x.ndim() - 1]);
        Ok(
            with_float!(dt, T => Tensor::from_vec(x.with_contiguous(|s: &[T]| super::math::softmax_rows(s, n, log)), x.shape(), dt)),
        )
    }

    /// Each row's log_softmax (the softmax row kernel), the label's entry taken.
    fn sparse_ce_logits(&self, x: &Tensor, labels: &Tensor) -> Result<Option<(Tensor, Tensor)>> {
        let (dt, classes) = (x.dtype(), x.shape()[x.ndim() - 1]);
        let lead = &x.shape()[..x.ndim() - 1];
        let labels: Vec<i64> = labels.to_vec();
        Ok(Some(with_float!(dt, T => {
            let lp = x.with_contiguous(|s: &[T]| super::math::softmax_rows(s, classes, true));
            let loss: Vec<T> = labels.iter().enumerate().map(|(r, &l)| -lp[r * classes + l as usize]).collect();
            (Tensor::from_vec(loss, lead, dt), Tensor::from_vec(lp, x.shape(), dt))
        })))
    }

    /// (softmax - one_hot) * g in one pass, from the log-probabilities.
    fn sparse_ce_logits_grad(&self, logp: &Tensor, labels: &Tensor, g: &Tensor) -> Result<Tensor> {
        use super::math::FastExp;
        use num_traits::{One, Zero};
        let (dt, classes) = (logp.dtype(), logp.shape()[logp.ndim() - 1]);
        let labels: Vec<i64> = labels.to_vec();
        Ok(with_float!(dt, T => {
            let v = logp.with_contiguous(|lp: &[T]| g.with_contiguous(|gv: &[T]| {
                let mut dx = crate::storage::alloc_for_overwrite::<T>(lp.len());
                if classes > 0 {
                    for (r, (d, p)) in dx.chunks_mut(classes).zip(lp.chunks(classes)).enumerate() {
                        for (j, (d, &p)) in d.iter_mut().zip(p).enumerate() {
                            let hit = if j as i64 == labels[r] { T::one() } else { T::zero() };
                            *d = (p.fast_exp() - hit) * gv[r];
                        }
                    }
                }
                dx
            }));
            Tensor::from_vec(v, logp.shape(), dt)
        }))
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
        k: usize,
    ) -> Result<Tensor> {
        let nbatch: usize = batch.iter().product();
        let offsets = |l: &Layout| -> Vec<usize> {
            let bl = Layout { shape: batch.to_vec(), strides: l.strides[..batch.len()].to_vec(), offset: l.offset };
            let mut v = Vec::with_capacity(nbatch);
            crate::layout::for_each_offset(&bl, |o| v.push(o)); // no batch dims: one offset
            v
        };
        let (oa, ob) = (offsets(la), offsets(lb));
        let nd = batch.len();
        let mut shape = batch.to_vec();
        shape.extend([m, n]);
        let dt = a.dtype();
        macro_rules! go {
            ($T:ty) => {{
                let v = read2(a, b, |x: &[$T], y: &[$T]| {
                    let ma = matmul::Mat { data: x, offset: 0, rs: la.strides[nd], cs: la.strides[nd + 1] };
                    let mb = matmul::Mat { data: y, offset: 0, rs: lb.strides[nd], cs: lb.strides[nd + 1] };
                    matmul::batched(m, n, k, ma, mb, &oa, &ob)
                });
                Tensor::from_vec(v, &shape, dt)
            }};
        }
        Ok(match dt {
            DType::F32 => go!(f32),
            DType::F64 => go!(f64),
            _ => go!(i64),
        })
    }

    fn conv(&self, x: &Tensor, k: &Tensor, bias: Option<&Tensor>, act: Act, g: &ConvGeom) -> Result<Tensor> {
        let dt = x.dtype();
        let (x, k) = (x.contiguous_data(), k.contiguous_data());
        Ok(with_float!(dt, T => {
            let v = x.with_contiguous(|xv: &[T]| k.with_contiguous(|kv: &[T]| {
                let run = |b: Option<&[T]>| match epilogue(g.o, b, act) {
                    Some(f) => conv::forward(xv, kv, g, f),
                    None => conv::forward(xv, kv, g, |_: &mut [T]| {}),
                };
                match bias {
                    Some(b) => b.with_contiguous(|bv: &[T]| run(Some(bv))),
                    None => run(None),
                }
            }));
            Tensor::from_vec(v, &[g.n, g.oh, g.ow, g.o], dt)
        }))
    }

    fn conv_grad_input(&self, gy: &Tensor, k: &Tensor, g: &ConvGeom) -> Result<Tensor> {
        let dt = gy.dtype();
        let (gy, k) = (gy.contiguous_data(), k.contiguous_data());
        Ok(with_float!(dt, T => {
            let v = gy.with_contiguous(|d: &[T]| k.with_contiguous(|kv: &[T]| conv::backward_input(d, kv, g)));
            Tensor::from_vec(v, &[g.n, g.h, g.w, g.c], dt)
        }))
    }

    fn conv_grad_weight(&self, x: &Tensor, gy: &Tensor, g: &ConvGeom) -> Result<Tensor> {
        let dt = gy.dtype();
        let (x, gy) = (x.contiguous_data(), gy.contiguous_data());
        Ok(with_float!(dt, T => {
            let v = x.with_contiguous(|xv: &[T]| gy.with_contiguous(|d: &[T]| conv::backward_weight(xv, d, g)));
            Tensor::from_vec(v, &[g.kh, g.kw, g.c, g.o], dt)
        }))
    }

    /// Max pooling keeps no indices: the backward finds each window's maximum again.
    fn max_pool(&self, x: &Tensor, g: &PoolGeom) -> Result<(Tensor, Option<Tensor>)> {
        let xc = x.contiguous_data();
        let shape = [g.n, g.oh, g.ow, g.c];
        Ok((
            with_dtype!(x.dtype(), T => Tensor::from_vec(xc.with_contiguous(|s: &[T]| pool::max_pool(s, g)), &shape, x.dtype())),
            None,
        ))
    }

    fn max_pool_grad(&self, x: &Tensor, y: &Tensor, _aux: Option<&Tensor>, gy: &Tensor, g: &PoolGeom) -> Result<Tensor> {
        let dt = gy.dtype();
        let xc = x.contiguous_data();
        Ok(with_float!(dt, T => {
            let v = xc.with_contiguous(|xs: &[T]| y.with_contiguous(|ys: &[T]| gy.with_contiguous(|d: &[T]| pool::max_pool_backward(xs, ys, d, g))));
            Tensor::from_vec(v, &[g.n, g.h, g.w, g.c], dt)
        }))
    }

    fn avg_pool(&self, x: &Tensor, g: &PoolGeom) -> Result<Tensor> {
        let dt = x.dtype();
        Ok(with_float!(dt, T => Tensor::from_vec(x.with_contiguous(|s: &[T]| pool::avg_pool(s, g)), &[g.n, g.oh, g.ow, g.c], dt)))
    }

    fn avg_pool_grad(&self, gy: &Tensor, g: &PoolGeom) -> Result<Tensor> {
        let dt = gy.dtype();
        Ok(
            with_float!(dt, T => Tensor::from_vec(gy.with_contiguous(|s: &[T]| pool::avg_pool_backward(s, g)), &[g.n, g.h, g.w, g.c], dt)),
        )
    }

    fn index_positions(&self, base: &Tensor, adv: &[Adv], geom: &IndexGeom) -> Result<Tensor> {
        let shape = base.shape();
        let (bshape, bs, rest, split) = (geom.bshape, geom.base_strides, geom.rest, geom.split);
        // flat position contributed by each index array, bounds checked
        let mut contrib: Vec<Vec<i64>> = Vec::new();
        for (d, t, in_range) in adv {
            let n = shape[*d] as i64;
            let lb = t.layout().broadcast_to("index", bshape)?;
            let vals: Vec<i64> = read1(t, |s: &[i64]| map1(s, &lb, |v| v));
            let mut c = Vec::with_capacity(vals.len());
            for v in vals {
                let j = if v < 0 { v + n } else { v };
                if !in_range && (j < 0 || j >= n) {
                    bail!(Index, "index {v} is out of bounds for axis {d} with size {n}");
                }
                c.push(j * bs[*d] as i64);
            }
            contrib.push(c);
        }
        let nb: usize = bshape.iter().product();
        let adv_flat: Vec<i64> = (0..nb).map(|i| contrib.iter().map(|c| c[i]).sum()).collect();
        // walk the output in row-major order
        let (rest_before, rest_after) = (&rest[..split], &rest[split..]);
        let n_before: usize = rest_before.iter().map(|&d| shape[d]).product();
        let n_after: usize = rest_after.iter().map(|&d| shape[d]).product();
        let offs = |dims: &[usize], mut r: usize| -> i64 {
            let mut o = 0i64;
            for &d in dims.iter().rev() {
                o += (r % shape[d]) as i64 * bs[d] as i64;
                r /= shape[d];
            }
            o
        };
        let after_offs: Vec<i64> = (0..n_after).map(|r| offs(rest_after, r)).collect();
        let mut idx = Vec::with_capacity(n_before * nb * n_after);
        for rb in 0..n_before {
            let ob = offs(rest_before, rb);
            for &a in &adv_flat {
                for &oa in &after_offs {
                    idx.push(ob + a + oa);
                }
            }
        }
        Ok(Tensor::from_vec(idx, geom.out_shape, DType::I64))
    }

    fn gather(&self, x: &Tensor, idx: &Tensor) -> Result<Tensor> {
        let xc = x.contiguous_data();
        let ids: Vec<i64> = idx.to_vec();
        Ok(with_dtype!(x.dtype(), T => {
            let v: Vec<T> = xc.with_contiguous(|s: &[T]| ids.iter().map(|&i| s[i as usize]).collect());
            Tensor::from_vec(v, idx.shape(), x.dtype())
        }))
    }

    /// Floats summed in float64 in position order; other dtypes keep the last value.
    fn scatter_add(&self, g: &Tensor, idx: &Tensor, shape: &[usize]) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        let ids: Vec<i64> = idx.to_vec();
        Ok(with_dtype!(g.dtype(), T => {
            let gv: Vec<T> = g.to_vec();
            let mut acc = vec![T::default(); n];
            if g.dtype().is_float() {
                let mut f = vec![0f64; n];
                for (&i, &v) in ids.iter().zip(&gv) { f[i as usize] += v.to_f64(); }
                for (a, v) in acc.iter_mut().zip(f) { *a = T::from_f64(v); }
            } else {
                for (&i, &v) in ids.iter().zip(&gv) { acc[i as usize] = v; }
            }
            Tensor::from_vec(acc, shape, g.dtype())
        }))
    }

    fn scatter_sum(&self, g: &Tensor, idx: &Tensor, shape: &[usize]) -> Result<Tensor> {
        if g.dtype().is_float() {
            return self.scatter_add(g, idx, shape);
        }
        let g = g.convert(DType::I64);
        let (n, ids, gv) = (shape.iter().product::<usize>(), idx.to_vec::<i64>(), g.to_vec::<i64>());
        let mut acc = vec![0i64; n];
        for (&i, &v) in ids.iter().zip(&gv) {
            acc[i as usize] = acc[i as usize].wrapping_add(v);
        }
        Ok(Tensor::from_vec(acc, shape, DType::I64))
    }

    fn update(&self, kind: &Update, state: &[&Tensor], grad: &Tensor, lr: &Tensor) -> Result<()> {
        super::optim::update(kind, state, grad, lr)
    }

    fn uniform(&self, shape: &[usize], low: f64, high: f64, dtype: DType, seed: &Seed) -> Result<Tensor> {
        Ok(crate::random::uniform(shape, low, high, dtype, seed))
    }
}
