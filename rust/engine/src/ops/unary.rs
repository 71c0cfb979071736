//! Elementwise unary ops. One table row per op: name, forward f(x), and the derivative
//! dy/dx written from the input x, the output y and the op's parameter p.
use super::{c, read1, FloatElem};
use crate::autograd::record;
use crate::cpu::elementwise::{map1, map3};
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;
use crate::with_float;

/// The tanh approximation of GELU that Keras uses by default.
#[inline(always)]
fn gelu_tanh<T: FloatElem>(x: T) -> (T, T) {
    let k: T = c(0.7978845608028654); // sqrt(2 / pi)
    let inner = k * (x + c::<T>(0.044715) * x * x * x);
    let t = inner.tanh();
    let y = c::<T>(0.5) * x * (T::one() + t);
    let dy =
        c::<T>(0.5) * (T::one() + t) + c::<T>(0.5) * x * (T::one() - t * t) * k * (T::one() + c::<T>(3.0 * 0.044715) * x * x);
    (y, dy)
}

#[inline(always)]
fn gelu_erf<T: FloatElem>(x: T) -> (T, T) {
    let xf = crate::storage::Elem::to_f64(x);
    let cdf = 0.5 * (1.0 + libm::erf(xf / std::f64::consts::SQRT_2));
    let pdf = (-0.5 * xf * xf).exp() / (2.0 * std::f64::consts::PI).sqrt();
    (c(xf * cdf), c(cdf + xf * pdf))
}

#[inline(always)]
pub(crate) fn sig<T: FloatElem>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).fast_exp())
    } else {
        let e = x.fast_exp();
        e / (T::one() + e)
    }
}

const SELU_ALPHA: f64 = 1.6732632423543772;
const SELU_SCALE: f64 = 1.0507009873554805;

macro_rules! unary_table {
    ($( $name:ident $str:literal : |$x:ident, $p:ident| $f:expr , |$dx:ident, $dy:ident, $dp:ident| $df:expr ; )*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Unary { $($name),* }

        impl Unary {
            pub fn name(self) -> &'static str {
                match self { $(Unary::$name => $str),* }
            }

            #[allow(unused_variables)]
            fn forward<T: FloatElem>(self, x: &[T], l: &crate::layout::Layout, p: f64) -> Vec<T> {
                match self { $(Unary::$name => { let $p: T = c(p); map1(x, l, |$x: T| -> T { $f }) })* }
            }

            /// g * dy/dx, fused in one pass.
            #[allow(unused_variables)]
            fn backward<T: FloatElem>(self, g: &Tensor, x: &Tensor, y: &Tensor, p: f64) -> Vec<T> {
                let (gv, xv, yv) = (g.contiguous_data(), x.contiguous_data(), y.contiguous_data());
                let gl = crate::layout::Layout::contiguous(g.shape());
                let (gg, xg, yg) = (gv.storage().read(), xv.storage().read(), yv.storage().read());
                let (gs, xs, ys) = (
                    &T::slice(&gg)[gl.offset..], &T::slice(&xg)[xv.layout().offset..], &T::slice(&yg)[yv.layout().offset..],
                );
                match self { $(Unary::$name => { let $dp: T = c(p); map3(gs, &gl, xs, &gl, ys, &gl, |g: T, $dx: T, $dy: T| -> T { g * { $df } }) })* }
            }
        }
    };
}

unary_table! {
    //  name        f(x)                                                d/dx from (x, y, p)
    Neg "negative": |x, p| -x,                                          |x, y, p| -T::one();
    Abs "abs":      |x, p| x.abs(),                                     |x, y, p| if x > T::zero() { T::one() } else if x < T::zero() { -T::one() } else { T::zero() };
    Square "square": |x, p| x * x,                                      |x, y, p| c::<T>(2.0) * x;
    Sqrt "sqrt":    |x, p| x.sqrt(),                                    |x, y, p| c::<T>(0.5) / y;
    Exp "exp":      |x, p| x.fast_exp(),                                     |x, y, p| y;
    Log "log":      |x, p| x.ln(),                                      |x, y, p| T::one() / x;
    Log1p "log1p":  |x, p| x.ln_1p(),                                   |x, y, p| T::one() / (T::one() + x);
    Tanh "tanh":    |x, p| x.tanh(),                                    |x, y, p| T::one() - y * y;
    Sigmoid "sigmoid": |x, p| sig(x),                               |x, y, p| y * (T::one() - y);
    Relu "relu":    |x, p| if x > T::zero() || x.is_nan() { x } else { T::zero() },  |x, y, p| if x > T::zero() { T::one() } else { T::zero() };
    LeakyRelu "leaky_relu": |x, p| if x > T::zero() { x } else { p * x }, |x, y, p| if x > T::zero() { T::one() } else { p };
    Elu "elu":      |x, p| if x > T::zero() { x } else { p * x.exp_m1() }, |x, y, p| if x > T::zero() { T::one() } else { y + p };
    Selu "selu":    |x, p| c::<T>(SELU_SCALE) * if x > T::zero() { x } else { c::<T>(SELU_ALPHA) * x.exp_m1() },
                    |x, y, p| if x > T::zero() { c::<T>(SELU_SCALE) } else { y + c::<T>(SELU_SCALE * SELU_ALPHA) };
    Gelu "gelu":    |x, p| gelu_tanh(x).0,                              |x, y, p| gelu_tanh(x).1;
    GeluErf "gelu": |x, p| gelu_erf(x).0,                               |x, y, p| gelu_erf(x).1;
    Softplus "softplus": |x, p| x.max(T::zero()) + (-x.abs()).exp().ln_1p(), |x, y, p| sig(x);
    Silu "silu":    |x, p| x * sig(x),                              |x, y, p| { let s = sig(x); s + x * s * (T::one() - s) };
}

impl Unary {
    /// The op `kerasish._core.unary` names (GELU's exact form is "gelu_erf").
    pub fn parse(name: &str) -> Result<Unary> {
        Ok(match name {
            "negative" => Unary::Neg,
            "abs" => Unary::Abs,
            "square" => Unary::Square,
            "sqrt" => Unary::Sqrt,
            "exp" => Unary::Exp,
            "log" => Unary::Log,
            "log1p" => Unary::Log1p,
            "tanh" => Unary::Tanh,
            "sigmoid" => Unary::Sigmoid,
            "relu" => Unary::Relu,
            "leaky_relu" => Unary::LeakyRelu,
            "elu" => Unary::Elu,
            "selu" => Unary::Selu,
            "gelu" => Unary::Gelu,
            "gelu_erf" => Unary::GeluErf,
            "softplus" => Unary::Softplus,
            "silu" => Unary::Silu,
            _ => crate::bail!(Value, "unknown unary op '{name}'"),
        })
    }
}

/// Applies a unary op. Integer and bool inputs compute in float32 (as Keras does), except
/// negative / abs / square / relu, which keep integer dtypes.
pub fn unary(op: Unary, x: &Tensor, p: f64) -> Result<Tensor> {
    #[cfg(feature = "gpu")]
    let gpu = x.device() == crate::tensor::Device::Gpu;
    if !x.dtype().is_float() {
        if matches!(op, Unary::Neg | Unary::Abs | Unary::Square | Unary::Relu) && x.dtype() != DType::Bool {
            #[cfg(feature = "gpu")]
            if gpu {
                return crate::gpu::kernels::map(
                    op.name(),
                    &[x],
                    x.dtype(),
                    x.shape(),
                    &crate::gpu::exprs::unary_int(op, x.dtype()),
                    None,
                );
            }
            return Ok(int_unary(op, x));
        }
        return unary(op, &x.try_convert(DType::F32)?, p);
    }
    let dt = x.dtype();
    #[cfg(feature = "gpu")]
    if gpu {
        let out = crate::gpu::kernels::map(op.name(), &[x], dt, x.shape(), &crate::gpu::exprs::unary_fwd(op, p), None)?;
        return Ok(record(op.name(), out, &[x], move |g, inp, y| {
            let e = crate::gpu::exprs::unary_bwd(op, p);
            Ok(vec![Some(crate::gpu::kernels::map(op.name(), &[g, &inp[0], y], dt, g.shape(), &e, None)?)])
        }));
    }
    let out = with_float!(dt, T => {
        let v: Vec<T> = read1(x, |s: &[T]| op.forward(s, x.layout(), p));
        Tensor::from_vec(v, x.shape(), dt)
    });
    Ok(record(op.name(), out, &[x], move |g, inp, y| {
        let v = with_float!(dt, T => Tensor::from_vec(op.backward::<T>(g, &inp[0], y, p), g.shape(), dt));
        Ok(vec![Some(v)])
    }))
}

fn int_unary(op: Unary, x: &Tensor) -> Tensor {
    let l = x.layout();
    match x.dtype() {
        DType::I64 => {
            let v = read1(x, |s: &[i64]| match op {
                Unary::Neg => map1(s, l, |a: i64| a.wrapping_neg()),
                Unary::Abs => map1(s, l, |a: i64| a.wrapping_abs()),
                Unary::Square => map1(s, l, |a: i64| a.wrapping_mul(a)),
                _ => map1(s, l, |a: i64| a.max(0)),
            });
            Tensor::from_vec(v, x.shape(), DType::I64)
        }
        dt => {
            let v = read1(x, |s: &[u8]| match op {
                Unary::Neg => map1(s, l, |a: u8| a.wrapping_neg()),
                Unary::Square => map1(s, l, |a: u8| a.wrapping_mul(a)),
                _ => map1(s, l, |a: u8| a),
            });
            Tensor::from_vec(v, x.shape(), dt)
        }
    }
}

macro_rules! unary_fns {
    ($($f:ident => $op:ident),*) => {
        $(pub fn $f(x: &Tensor) -> Result<Tensor> { unary(Unary::$op, x, 0.0) })*
    };
}
unary_fns!(neg => Neg, abs => Abs, square => Square, sqrt => Sqrt, exp => Exp, log => Log, log1p => Log1p,
           tanh => Tanh, sigmoid => Sigmoid, relu => Relu, selu => Selu, softplus => Softplus, silu => Silu);

pub fn leaky_relu(x: &Tensor, negative_slope: f64) -> Result<Tensor> {
    unary(Unary::LeakyRelu, x, negative_slope)
}
pub fn elu(x: &Tensor, alpha: f64) -> Result<Tensor> {
    unary(Unary::Elu, x, alpha)
}
pub fn gelu(x: &Tensor, approximate: bool) -> Result<Tensor> {
    unary(if approximate { Unary::Gelu } else { Unary::GeluErf }, x, 0.0)
}
