//! The CPU's binary kernels: each op on floats and on int64 (Python's floor semantics), over two
//! strided, broadcast operands.
use super::elementwise::map2;
use crate::kinds::Binary;
use crate::layout::Layout;
use crate::storage::Elem;
use num_traits::Float;

impl Binary {
    pub(crate) fn float<T: Float + Elem>(self, a: &[T], la: &Layout, b: &[T], lb: &Layout) -> Vec<T> {
        match self {
            Binary::Add => map2(a, la, b, lb, |x, y| x + y),
            Binary::Sub => map2(a, la, b, lb, |x, y| x - y),
            Binary::Mul => map2(a, la, b, lb, |x, y| x * y),
            Binary::Div => map2(a, la, b, lb, |x, y| x / y),
            Binary::Pow => map2(a, la, b, lb, |x, y| x.powf(y)),
            // NaN propagates, as in NumPy's maximum/minimum
            Binary::Maximum => map2(a, la, b, lb, |x, y| if x >= y || x.is_nan() { x } else { y }),
            Binary::Minimum => map2(a, la, b, lb, |x, y| if x <= y || x.is_nan() { x } else { y }),
            Binary::FloorDiv => map2(a, la, b, lb, |x, y| divmod(x, y).0),
            Binary::Mod => map2(a, la, b, lb, |x, y| divmod(x, y).1),
            // refused for floats by the op rule (ops/binary.rs) before any kernel runs
            Binary::BitAnd | Binary::BitOr | Binary::BitXor | Binary::LeftShift | Binary::RightShift => {
                map2(a, la, b, lb, |_, _| T::nan())
            }
        }
    }

    pub(crate) fn int(self, a: &[i64], la: &Layout, b: &[i64], lb: &Layout) -> Vec<i64> {
        match self {
            Binary::Add => map2(a, la, b, lb, |x, y| x.wrapping_add(y)),
            Binary::Sub => map2(a, la, b, lb, |x, y| x.wrapping_sub(y)),
            Binary::Mul => map2(a, la, b, lb, |x, y| x.wrapping_mul(y)),
            Binary::Pow => map2(a, la, b, lb, |x, y| x.wrapping_pow(y.clamp(0, u32::MAX as i64) as u32)),
            Binary::Maximum => map2(a, la, b, lb, |x, y| x.max(y)),
            Binary::Minimum => map2(a, la, b, lb, |x, y| x.min(y)),
            // Python's floor semantics; division by zero gives 0, as NumPy does
            Binary::FloorDiv | Binary::Div => map2(a, la, b, lb, |x, y| {
                if y == 0 {
                    0
                } else {
                    x.wrapping_div(y) - ((x.wrapping_rem(y) != 0) && ((x < 0) != (y < 0))) as i64
                }
            }),
            Binary::Mod => map2(a, la, b, lb, |x, y| {
                if y == 0 {
                    0
                } else {
                    let r = x.wrapping_rem(y);
                    if r != 0 && ((r < 0) != (y < 0)) {
                        r + y
                    } else {
                        r
                    }
                }
            }),
            Binary::BitAnd => map2(a, la, b, lb, |x, y| x & y),
            Binary::BitOr => map2(a, la, b, lb, |x, y| x | y),
            Binary::BitXor => map2(a, la, b, lb, |x, y| x ^ y),
            // shifts past the width give 0 (left) or the sign (right), as NumPy's do; narrower
            // integers computed here keep their low bits, so their own width applies too
            Binary::LeftShift => map2(a, la, b, lb, |x, y| if (0..64).contains(&y) { x << y } else { 0 }),
            Binary::RightShift => map2(a, la, b, lb, |x, y| x >> y.clamp(0, 63)),
        }
    }
}

/// Python's (and NumPy's) float divmod: floor division computed from fmod, so that
/// 1.0 // 0.1 == 9.0 and the remainder has the divisor's sign.
#[inline(always)]
fn divmod<T: Float>(a: T, b: T) -> (T, T) {
    if b == T::zero() {
        return (a / b, a % b);
    }
    let mut m = a % b;
    let mut div = (a - m) / b;
    if m != T::zero() {
        if (b < T::zero()) != (m < T::zero()) {
            m = m + b;
            div = div - T::one();
        }
    } else {
        m = T::zero().copysign(b);
    }
    let fd = if div != T::zero() {
        let f = div.floor();
        if div - f > T::from(0.5).unwrap_or_else(T::one) {
            f + T::one()
        } else {
            f
        }
    } else {
        T::zero().copysign(a / b)
    };
    (fd, m)
}
