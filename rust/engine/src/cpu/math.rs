//! Branch-free elementwise math that the compiler can vectorise (libm's expf is a scalar call).

/// e^x for f32 (Cephes' polynomial, within 2 ulp), with inf, 0, NaN and subnormal results right.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const ROUND: f32 = 12_582_912.0; // 1.5 * 2^23: adding it rounds to an integer
    let xc = x.clamp(-104.0, 89.0);
    let t = xc * LOG2E + ROUND;
    let n = t - ROUND;
    let ni = (t.to_bits() as i32).wrapping_sub(0x4B40_0000);
    let r = xc - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5.000_000_1e-1;
    let y = p * r * r + r + 1.0;
    // 2^n in two factors so that subnormal results (n < -126) come out right
    let n1 = ni >> 1;
    let n2 = ni - n1;
    let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
    let v = y * s1 * s2;
    let v = if x > 88.722_84 { f32::INFINITY } else { v };
    let v = if x < -103.972_08 { 0.0 } else { v };
    if x.is_nan() {
        x
    } else {
        v
    }
}

/// A select done with bit masks, so the compiler cannot turn it into a branch (a branch on
/// random data mispredicts half the time).
pub trait BitSelect: Copy {
    fn pick(c: bool, a: Self, b: Self) -> Self;
}

impl BitSelect for f32 {
    #[inline(always)]
    fn pick(c: bool, a: f32, b: f32) -> f32 {
        let m = (c as u32).wrapping_neg();
        f32::from_bits((a.to_bits() & m) | (b.to_bits() & !m))
    }
}

impl BitSelect for f64 {
    #[inline(always)]
    fn pick(c: bool, a: f64, b: f64) -> f64 {
        let m = (c as u64).wrapping_neg();
        f64::from_bits((a.to_bits() & m) | (b.to_bits() & !m))
    }
}

/// Exponential that takes the vectorisable path for f32.
pub trait FastExp: Copy {
    fn fast_exp(self) -> Self;
}

impl FastExp for f32 {
    #[inline(always)]
    fn fast_exp(self) -> f32 {
        exp_f32(self)
    }
}

impl FastExp for f64 {
    #[inline(always)]
    fn fast_exp(self) -> f64 {
        self.exp()
    }
}

/// Softmax (or log-softmax) of each contiguous row of length n, vectorised in 8 lanes.
pub fn softmax_rows<T: super::FloatElem>(x: &[T], n: usize, log: bool) -> Vec<T> {
    use rayon::prelude::*;
    let mut out = crate::storage::alloc_zeroed::<T>(x.len());
    if n == 0 {
        return out;
    }
    let row = |(src, dst): (&[T], &mut [T])| softmax_row(src, dst, log);
    if x.len() >= super::PAR_MIN {
        x.par_chunks(n).zip(out.par_chunks_mut(n)).for_each(row);
    } else {
        x.chunks(n).zip(out.chunks_mut(n)).for_each(row);
    }
    out
}

crate::multiversion! {
    fn softmax_row<T>(src: &[T], dst: &mut [T], log: bool) where {T: super::FloatElem} {
        const L: usize = 8;
        let mut m = [T::neg_infinity(); L];
        let chunks = src.chunks_exact(L);
        let rest = chunks.remainder();
        for c in chunks {
            for l in 0..L {
                m[l] = if c[l] > m[l] { c[l] } else { m[l] };
            }
        }
        let mut mx = rest.iter().fold(T::neg_infinity(), |a, &b| if b > a { b } else { a });
        for v in m {
            mx = if v > mx { v } else { mx };
        }
        // a row of -inf (or +inf) would give NaN around a non-finite max
        let mx = if mx.is_finite() { mx } else { T::zero() };
        let mut s = [T::zero(); L];
        let mut dchunks = dst.chunks_exact_mut(L);
        for (d, c) in (&mut dchunks).zip(src.chunks_exact(L)) {
            for l in 0..L {
                d[l] = (c[l] - mx).fast_exp();
                s[l] = s[l] + d[l];
            }
        }
        let mut sum = T::zero();
        for (d, &c) in dchunks.into_remainder().iter_mut().zip(rest) {
            *d = (c - mx).fast_exp();
            sum = sum + *d;
        }
        for v in s {
            sum = sum + v;
        }
        if log {
            let ls = sum.ln() + mx;
            for (d, &c) in dst.iter_mut().zip(src) {
                *d = c - ls;
            }
        } else {
            let inv = T::one() / sum;
            for d in dst.iter_mut() {
                *d = *d * inv;
            }
        }
    }
}
