//! Reductions over a contiguous [rows, k] block (along k) or [k, cols] block (along k).
//! Each row is folded in fixed pieces of GRAIN elements merged left to right, so the result is
//! the same whether the pieces ran on one thread or many.
use super::{GRAIN, PAR_MIN};
use rayon::prelude::*;

pub trait Reducer<T: Copy>: Sync {
    type Acc: Copy + Send + Sync;
    fn init(&self) -> Self::Acc;
    fn step(&self, acc: Self::Acc, x: T, i: usize) -> Self::Acc;
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// Folds a contiguous piece whose first element has index `i0`.
    fn piece(&self, xs: &[T], i0: usize) -> Self::Acc {
        xs.iter().enumerate().fold(self.init(), |a, (i, &x)| self.step(a, x, i0 + i))
    }
}

fn fold_row<T: Copy + Sync, R: Reducer<T>>(r: &R, row: &[T], par: bool) -> R::Acc {
    if row.len() <= GRAIN {
        return r.piece(row, 0);
    }
    let parts: Vec<R::Acc> = if par {
        row.par_chunks(GRAIN).enumerate().map(|(c, p)| r.piece(p, c * GRAIN)).collect()
    } else {
        row.chunks(GRAIN).enumerate().map(|(c, p)| r.piece(p, c * GRAIN)).collect()
    };
    parts.into_iter().fold(r.init(), |a, b| r.merge(a, b))
}

/// data is [rows, k] row-major; returns one value per row.
pub fn reduce_inner<T: Copy + Sync, R: Reducer<T>>(data: &[T], rows: usize, k: usize, r: &R) -> Vec<R::Acc> {
    if k == 0 {
        return vec![r.init(); rows];
    }
    let big = rows * k >= PAR_MIN;
    if big && rows >= 2 * rayon::current_num_threads() {
        data.par_chunks(k).map(|row| fold_row(r, row, false)).collect()
    } else {
        data.chunks(k).map(|row| fold_row(r, row, big)).collect()
    }
}

/// data is [k, cols] row-major; returns one value per column (folded down the k rows in order).
pub fn reduce_outer<T: Copy + Sync, R: Reducer<T>>(data: &[T], k: usize, cols: usize, r: &R) -> Vec<R::Acc> {
    let mut out = vec![r.init(); cols];
    if cols == 0 {
        return out;
    }
    let block = 512usize;
    let run = |(b, acc): (usize, &mut [R::Acc])| {
        let j0 = b * block;
        for i in 0..k {
            let row = &data[i * cols + j0..i * cols + j0 + acc.len()];
            for (a, &x) in acc.iter_mut().zip(row) {
                *a = r.step(*a, x, i);
            }
        }
    };
    if k * cols >= PAR_MIN {
        out.par_chunks_mut(block).enumerate().for_each(run);
    } else {
        out.chunks_mut(block).enumerate().for_each(run);
    }
    out
}

/// Sum in 16 independent lanes so the compiler can vectorise it.
pub struct Sum;

macro_rules! sum_impl {
    ($t:ty, $zero:expr, $add:expr) => {
        impl Reducer<$t> for Sum {
            type Acc = $t;
            fn init(&self) -> $t {
                $zero
            }
            fn step(&self, a: $t, x: $t, _: usize) -> $t {
                let add: fn($t, $t) -> $t = $add;
                add(a, x)
            }
            fn merge(&self, a: $t, b: $t) -> $t {
                let add: fn($t, $t) -> $t = $add;
                add(a, b)
            }
            fn piece(&self, xs: &[$t], _: usize) -> $t {
                let add: fn($t, $t) -> $t = $add;
                let mut lanes = [$zero; 16];
                let chunks = xs.chunks_exact(16);
                let rest = chunks.remainder();
                for c in chunks {
                    for l in 0..16 {
                        lanes[l] = add(lanes[l], c[l]);
                    }
                }
                let mut w = 8;
                while w > 0 {
                    for l in 0..w {
                        lanes[l] = add(lanes[l], lanes[l + w]);
                    }
                    w /= 2;
                }
                rest.iter().fold(lanes[0], |a, &x| add(a, x))
            }
        }
    };
}
sum_impl!(f32, 0.0, |a, b| a + b);
sum_impl!(f64, 0.0, |a, b| a + b);
sum_impl!(i64, 0, |a, b| a.wrapping_add(b));

/// Max (or min with `min: true`); NaN wins, as in NumPy. Acc = (value, index, seen anything).
pub struct Extreme {
    pub min: bool,
}

impl<T: Copy + PartialOrd + Default + Send + Sync> Reducer<T> for Extreme {
    type Acc = (T, usize, bool);
    fn init(&self) -> Self::Acc {
        (T::default(), 0, false)
    }
    #[inline]
    fn step(&self, a: Self::Acc, x: T, i: usize) -> Self::Acc {
        if !a.2 {
            return (x, i, true);
        }
        #[allow(clippy::eq_op)]
        let a_nan = a.0 != a.0;
        #[allow(clippy::eq_op)]
        let x_nan = x != x;
        let better = if self.min { x < a.0 } else { x > a.0 };
        if !a_nan && (x_nan || better) {
            (x, i, true)
        } else {
            a
        }
    }
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc {
        if !b.2 {
            a
        } else {
            self.step(a, b.0, b.1)
        }
    }
}
