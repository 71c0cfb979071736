//! Fused layer epilogues: `bias_act(z, bias, act)` = act(z + bias) in one pass over z (bias along
//! the last axis, as Dense and Conv add it), and its backward in one pass plus the bias sum.
use super::{reduce::sum, FloatElem};
use crate::autograd::record;
use crate::bail;
use crate::cpu::{GRAIN, PAR_MIN};
use crate::error::{fmt_shape, Result};
use crate::tensor::Tensor;
use num_traits::{One, Zero};
use rayon::prelude::*;

/// Activations whose derivative can be written from their output alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Linear,
    Relu,
    Sigmoid,
    Tanh,
}

impl Act {
    pub fn parse(name: &str) -> Result<Act> {
        Ok(match name {
            "linear" => Act::Linear,
            "relu" => Act::Relu,
            "sigmoid" => Act::Sigmoid,
            "tanh" => Act::Tanh,
            _ => bail!(Value, "bias_act: unknown activation '{name}'; valid: linear, relu, sigmoid, tanh"),
        })
    }

    #[inline(always)]
    fn f<T: FloatElem>(self, x: T) -> T {
        match self {
            Act::Linear => x,
            Act::Relu => if x > T::zero() || x.is_nan() { x } else { T::zero() },
            Act::Sigmoid => super::unary::sig(x),
            Act::Tanh => x.tanh(),
        }
    }

    /// d act / dz from the output y.
    #[inline(always)]
    fn df<T: FloatElem>(self, y: T) -> T {
        match self {
            Act::Linear => T::one(),
            Act::Relu => if y > T::zero() { T::one() } else { T::zero() },
            Act::Sigmoid => y * (T::one() - y),
            Act::Tanh => T::one() - y * y,
        }
    }
}

/// `out[i] = f(a[i], b[i % c])` over contiguous rows of length c, in parallel pieces of whole rows.
fn rows_map<T: FloatElem>(a: &[T], b: &[T], c: usize, f: impl Fn(T, T) -> T + Sync) -> Vec<T> {
    let mut out = crate::storage::alloc_zeroed::<T>(a.len());
    let rows_per = (GRAIN / c.max(1)).max(1);
    let body = |(oc, ac): (&mut [T], &[T])| {
        for (orow, arow) in oc.chunks_mut(c).zip(ac.chunks(c)) {
            for j in 0..c {
                orow[j] = f(arow[j], b[j]);
            }
        }
    };
    if a.len() >= PAR_MIN {
        out.par_chunks_mut(rows_per * c).zip(a.par_chunks(rows_per * c)).for_each(body);
    } else {
        out.chunks_mut(rows_per * c).zip(a.chunks(rows_per * c)).for_each(body);
    }
    out
}

/// act(z + bias): bias has shape (c,) with c = z's last dim (None: no bias).
pub fn bias_act(z: &Tensor, bias: Option<&Tensor>, act: Act) -> Result<Tensor> {
    if !z.dtype().is_float() || z.ndim() == 0 {
        bail!(Value, "bias_act: z must be a float tensor of at least 1 dim, got {} of shape {}", z.dtype().name(), fmt_shape(z.shape()));
    }
    let c_dim = z.shape()[z.ndim() - 1];
    if let Some(b) = bias {
        if b.shape() != [c_dim] || b.dtype() != z.dtype() {
            bail!(
                Shape,
                "bias_act: bias of shape {} and dtype {} does not match z's last dim {c_dim} and dtype {}",
                fmt_shape(b.shape()),
                b.dtype().name(),
                z.dtype().name()
            );
        }
    }
    let out = crate::with_float!(z.dtype(), T => {
        let zc = z.contiguous_data();
        let bv: Vec<T> = match bias { Some(b) => b.to_vec(), None => vec![T::zero(); c_dim] };
        let v = zc.with_contiguous(|zs: &[T]| rows_map(zs, &bv, c_dim, |x, bj| act.f(x + bj)));
        Tensor::from_vec(v, z.shape(), z.dtype())
    });
    let inputs: Vec<&Tensor> = std::iter::once(z).chain(bias).collect();
    Ok(record("bias_act", out, &inputs, move |g, inp, y| {
        let dz = crate::with_float!(y.dtype(), T => {
            let ones = vec![T::one(); c_dim];
            let gv: Vec<T> = g.to_vec();
            let v = y.with_contiguous(|ys: &[T]| {
                let mut v = rows_map(ys, &ones, c_dim, |yi, _| act.df(yi));
                for (d, gi) in v.iter_mut().zip(&gv) {
                    *d = *d * *gi;
                }
                v
            });
            Tensor::from_vec(v, y.shape(), y.dtype())
        });
        let lead: Vec<isize> = (0..dz.ndim() as isize - 1).collect();
        let gb = match inp.get(1) {
            Some(b) if b.requires_grad() => Some(sum(&dz, Some(&lead), false)?),
            _ => None,
        };
        Ok(vec![Some(dz), gb])
    }))
}
