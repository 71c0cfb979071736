//! Matrix products through the gemm crate, which takes row and column strides, so transposed
//! and broadcast operands are read in place without copies.
use rayon::prelude::*;

/// One operand: its storage, the offset of element [0, 0] and its (row, column) strides.
#[derive(Clone, Copy)]
pub struct Mat<'a, T> {
    pub data: &'a [T],
    pub offset: usize,
    pub rs: isize,
    pub cs: isize,
}

pub trait GemmElem: crate::storage::Elem {
    /// out (m x n, row-major with row stride `ldo`) = a (m x k) @ b (k x n), or += with `acc`.
    #[allow(clippy::too_many_arguments)]
    fn gemm(m: usize, n: usize, k: usize, a: Mat<Self>, b: Mat<Self>, out: &mut [Self], ldo: usize, acc: bool, threads: usize);
    /// Inner product of two contiguous vectors.
    fn dot(a: &[Self], b: &[Self]) -> Self;
    fn add(a: Self, b: Self) -> Self;
}

macro_rules! float_gemm {
    ($t:ty) => {
        impl GemmElem for $t {
            fn dot(a: &[$t], b: &[$t]) -> $t {
                dot_lanes(a, b)
            }
            fn add(a: $t, b: $t) -> $t {
                a + b
            }
            fn gemm(m: usize, n: usize, k: usize, a: Mat<$t>, b: Mat<$t>, out: &mut [$t], ldo: usize, acc: bool, threads: usize) {
                if m == 0 || n == 0 {
                    return;
                }
                assert!(out.len() >= (m - 1) * ldo + n, "gemm: output buffer too small");
                if k == 0 {
                    if !acc {
                        out.chunks_mut(ldo).for_each(|r| r[..n].fill(0.0));
                    }
                    return;
                }
                let par = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
                // SAFETY: the pointers address m x k, k x n and m x n elements inside the slices
                // (the caller built the offsets and strides from valid layouts); out is exclusive.
                unsafe {
                    gemm::gemm(
                        m,
                        n,
                        k,
                        out.as_mut_ptr(),
                        1,
                        ldo as isize,
                        acc,
                        a.data.as_ptr().add(a.offset),
                        a.cs,
                        a.rs,
                        b.data.as_ptr().add(b.offset),
                        b.cs,
                        b.rs,
                        1.0,
                        1.0,
                        false,
                        false,
                        false,
                        par,
                    );
                }
            }
        }
    };
}
float_gemm!(f32);
float_gemm!(f64);

crate::multiversion! {
    fn dot_lanes<T>(a: &[T], b: &[T]) -> T where {T: num_traits::Float} {
        let mut acc = [T::zero(); 16];
        let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
        let (ra, rb) = (ca.remainder(), cb.remainder());
        for (x, y) in ca.zip(cb) {
            for l in 0..16 {
                acc[l] = acc[l] + x[l] * y[l];
            }
        }
        let mut s = ra.iter().zip(rb).fold(T::zero(), |s, (&x, &y)| s + x * y);
        for v in acc {
            s = s + v;
        }
        s
    }
}

impl GemmElem for i64 {
    fn dot(a: &[i64], b: &[i64]) -> i64 {
        a.iter().zip(b).fold(0i64, |s, (&x, &y)| s.wrapping_add(x.wrapping_mul(y)))
    }
    fn add(a: i64, b: i64) -> i64 {
        a.wrapping_add(b)
    }
    fn gemm(m: usize, n: usize, k: usize, a: Mat<i64>, b: Mat<i64>, out: &mut [i64], ldo: usize, acc: bool, _threads: usize) {
        let at = |i: usize, j: usize| a.data[(a.offset as isize + i as isize * a.rs + j as isize * a.cs) as usize];
        let bt = |i: usize, j: usize| b.data[(b.offset as isize + i as isize * b.rs + j as isize * b.cs) as usize];
        for i in 0..m {
            for j in 0..n {
                let v = (0..k).fold(0i64, |s, p| s.wrapping_add(at(i, p).wrapping_mul(bt(p, j))));
                out[i * ldo + j] = if acc { out[i * ldo + j].wrapping_add(v) } else { v };
            }
        }
    }
}

/// Batched product: `a_off[b]`, `b_off[b]` give each batch's [0, 0] offset.
pub fn batched<T: GemmElem>(m: usize, n: usize, k: usize, a: Mat<T>, b: Mat<T>, a_offs: &[usize], b_offs: &[usize]) -> Vec<T> {
    let batch = a_offs.len();
    let mut out = crate::storage::alloc_for_overwrite::<T>(batch * m * n);
    if m * n == 0 {
        return out;
    }
    if m == 1 && n == 1 && a.cs == 1 && b.rs == 1 {
        // inner products: fixed pieces summed in order, so threads do not change the result
        for (i, o) in out.iter_mut().enumerate() {
            let (x, y) = (&a.data[a_offs[i]..a_offs[i] + k], &b.data[b_offs[i]..b_offs[i] + k]);
            const PIECE: usize = 1 << 16;
            let parts: Vec<T> = if k >= 2 * PIECE {
                x.par_chunks(PIECE).zip(y.par_chunks(PIECE)).map(|(p, q)| T::dot(p, q)).collect()
            } else {
                vec![T::dot(x, y)]
            };
            *o = parts.into_iter().fold(T::default(), T::add);
        }
        return out;
    }
    let flops = m * n * k;
    let threads = rayon::current_num_threads();
    let one = |(i, o): (usize, &mut [T])| {
        let t = if batch == 1 && flops >= 1 << 20 { threads } else { 1 }; // smaller: waking a thread costs more
        T::gemm(m, n, k, Mat { offset: a_offs[i], ..a }, Mat { offset: b_offs[i], ..b }, o, n, false, t);
    };
    if batch > 1 && flops * batch >= 1 << 16 {
        out.par_chunks_mut(m * n).enumerate().for_each(one);
    } else {
        out.chunks_mut(m * n).enumerate().for_each(one);
    }
    out
}
