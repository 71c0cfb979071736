//! The CPU's unary kernels: one table row per op, its forward f(x) and the derivative dy/dx
//! written from the input x, the output y and the op's parameter p (fused into one pass with
//! the incoming gradient in backward).
use super::elementwise::{map1, map3};
use super::{read1, FloatElem};
use crate::dtype::DType;
use crate::kinds::Unary;
use crate::tensor::Tensor;

#[inline(always)]
pub(crate) fn c<T: num_traits::Float>(v: f64) -> T {
    T::from(v).unwrap_or_else(T::nan)
}

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
    ($( $name:ident : |$x:ident, $p:ident| $f:expr , |$dx:ident, $dy:ident, $dp:ident| $df:expr ; )*) => {
        impl Unary {
            #[allow(unused_variables)]
            pub(crate) fn forward<T: FloatElem>(self, x: &[T], l: &crate::layout::Layout, p: f64) -> Vec<T> {
                match self { $(Unary::$name => { let $p: T = c(p); map1(x, l, |$x: T| -> T { $f }) })* }
            }

            /// g * dy/dx, fused in one pass.
            #[allow(unused_variables)]
            pub(crate) fn backward<T: FloatElem>(self, g: &Tensor, x: &Tensor, y: &Tensor, p: f64) -> Vec<T> {
                // contiguous tensors may start at an offset (a gradient that is a slice of a
                // stacked or concatenated one): each is read from its own
                let (gv, xv, yv) = (g.contiguous_data(), x.contiguous_data(), y.contiguous_data());
                let gl = crate::layout::Layout::contiguous(g.shape());
                let (gg, xg, yg) = (gv.storage().read(), xv.storage().read(), yv.storage().read());
                let (gs, xs, ys) = (
                    &T::slice(&gg)[gv.layout().offset..], &T::slice(&xg)[xv.layout().offset..], &T::slice(&yg)[yv.layout().offset..],
                );
                match self { $(Unary::$name => { let $dp: T = c(p); map3(gs, &gl, xs, &gl, ys, &gl, |g: T, $dx: T, $dy: T| -> T { g * { $df } }) })* }
            }
        }
    };
}

unary_table! {
    //  op          f(x)                                                d/dx from (x, y, p)
    Neg: |x, p| -x,                                          |x, y, p| -T::one();
    Abs:      |x, p| x.abs(),                                     |x, y, p| if x > T::zero() { T::one() } else if x < T::zero() { -T::one() } else { T::zero() };
    Square: |x, p| x * x,                                      |x, y, p| c::<T>(2.0) * x;
    Sqrt:    |x, p| x.sqrt(),                                    |x, y, p| c::<T>(0.5) / y;
    Exp:      |x, p| x.fast_exp(),                                     |x, y, p| y;
    Log:      |x, p| x.ln(),                                      |x, y, p| T::one() / x;
    Log1p:  |x, p| x.ln_1p(),                                   |x, y, p| T::one() / (T::one() + x);
    Tanh:    |x, p| x.tanh(),                                    |x, y, p| T::one() - y * y;
    Sigmoid: |x, p| sig(x),                               |x, y, p| y * (T::one() - y);
    Relu:    |x, p| if x > T::zero() || x.is_nan() { x } else { T::zero() },  |x, y, p| if x > T::zero() { T::one() } else { T::zero() };
    LeakyRelu: |x, p| if x > T::zero() { x } else { p * x }, |x, y, p| if x > T::zero() { T::one() } else { p };
    Elu:      |x, p| if x > T::zero() { x } else { p * x.exp_m1() }, |x, y, p| if x > T::zero() { T::one() } else { y + p };
    Selu:    |x, p| c::<T>(SELU_SCALE) * if x > T::zero() { x } else { c::<T>(SELU_ALPHA) * x.exp_m1() },
                    |x, y, p| if x > T::zero() { c::<T>(SELU_SCALE) } else { y + c::<T>(SELU_SCALE * SELU_ALPHA) };
    Gelu:    |x, p| gelu_tanh(x).0,                              |x, y, p| gelu_tanh(x).1;
    GeluErf: |x, p| gelu_erf(x).0,                               |x, y, p| gelu_erf(x).1;
    Softplus: |x, p| x.max(T::zero()) + (-x.abs()).exp().ln_1p(), |x, y, p| sig(x);
    Silu:    |x, p| x * sig(x),                              |x, y, p| { let s = sig(x); s + x * s * (T::one() - s) };
    Sin:     |x, p| x.sin(),                                   |x, y, p| x.cos();
    Cos:     |x, p| x.cos(),                                   |x, y, p| -x.sin();
    Tan:     |x, p| x.tan(),                                   |x, y, p| T::one() + y * y;
    Arcsin:  |x, p| x.asin(),                                  |x, y, p| T::one() / (T::one() - x * x).sqrt();
    Arccos:  |x, p| x.acos(),                                  |x, y, p| -T::one() / (T::one() - x * x).sqrt();
    Arctan:  |x, p| x.atan(),                                  |x, y, p| T::one() / (T::one() + x * x);
    Sinh:    |x, p| x.sinh(),                                  |x, y, p| x.cosh();
    Cosh:    |x, p| x.cosh(),                                  |x, y, p| x.sinh();
    Arcsinh: |x, p| x.asinh(),                                 |x, y, p| T::one() / (x * x + T::one()).sqrt();
    Arccosh: |x, p| x.acosh(),                                 |x, y, p| T::one() / (x * x - T::one()).sqrt();
    Arctanh: |x, p| x.atanh(),                                 |x, y, p| T::one() / (T::one() - x * x);
    Expm1:   |x, p| x.exp_m1(),                                |x, y, p| y + T::one();
    Log2:    |x, p| x.log2(),                                  |x, y, p| T::one() / (x * c::<T>(std::f64::consts::LN_2));
    Log10:   |x, p| x.log10(),                                 |x, y, p| T::one() / (x * c::<T>(std::f64::consts::LN_10));
    Floor:   |x, p| x.floor(),                                 |x, y, p| T::zero();
    Ceil:    |x, p| x.ceil(),                                  |x, y, p| T::zero();
    Round:   |x, p| round_half_even(x),                        |x, y, p| T::zero();
    Trunc:   |x, p| x.trunc(),                                 |x, y, p| T::zero();
    Sign:    |x, p| if x > T::zero() { T::one() } else if x < T::zero() { -T::one() } else { x }, |x, y, p| T::zero();
    Erf:     |x, p| c::<T>(libm::erf(crate::storage::Elem::to_f64(x))), |x, y, p| c::<T>(std::f64::consts::FRAC_2_SQRT_PI) * (-x * x).exp();
}

/// NumPy's round: to the nearest integer, halves to the even one.
#[inline(always)]
fn round_half_even<T: FloatElem>(x: T) -> T {
    let r = x.round();
    if (x - x.trunc()).abs() == c::<T>(0.5) {
        c::<T>(2.0) * (x * c::<T>(0.5)).round()
    } else {
        r
    }
}

/// negative / abs / square / relu on integers (wrapping, as NumPy's).
pub(crate) fn int_unary(op: Unary, x: &Tensor) -> Tensor {
    let l = x.layout();
    match x.dtype() {
        DType::I64 => {
            let v = read1(x, |s: &[i64]| match op {
                Unary::Neg => map1(s, l, |a: i64| a.wrapping_neg()),
                Unary::Abs => map1(s, l, |a: i64| a.wrapping_abs()),
                Unary::Square => map1(s, l, |a: i64| a.wrapping_mul(a)),
                Unary::Sign => map1(s, l, |a: i64| a.signum()),
                Unary::Round | Unary::Trunc => map1(s, l, |a: i64| a),
                _ => map1(s, l, |a: i64| a.max(0)),
            });
            Tensor::from_vec(v, x.shape(), DType::I64)
        }
        dt => {
            let v = read1(x, |s: &[u8]| match op {
                Unary::Neg => map1(s, l, |a: u8| a.wrapping_neg()),
                Unary::Square => map1(s, l, |a: u8| a.wrapping_mul(a)),
                Unary::Sign => map1(s, l, |a: u8| a.min(1)),
                _ => map1(s, l, |a: u8| a),
            });
            Tensor::from_vec(v, x.shape(), dt)
        }
    }
}
