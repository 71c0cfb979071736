//! Row kernels along the last axis: a stable argsort and running sums. Rows are independent,
//! so large inputs split across threads by rows, with the same result on any thread count.
use rayon::prelude::*;
use std::cmp::Ordering;

/// NumPy's order: NaN after every number (x != x only for NaN), NaNs equal to each other.
#[inline]
fn total<T: PartialOrd>(a: &T, b: &T) -> Ordering {
    #[allow(clippy::eq_op)]
    a.partial_cmp(b).unwrap_or_else(|| (a != a).cmp(&(b != b)))
}

/// For each row of n elements, the positions that sort it (ties keep their order: stable).
/// Descending reverses the order of values, not of ties (so lower positions still come first).
pub fn argsort_rows<T: PartialOrd + Copy + Send + Sync>(x: &[T], n: usize, descending: bool) -> Vec<i64> {
    let mut out = vec![0i64; x.len()];
    if n == 0 {
        return out;
    }
    let row = |(src, dst): (&[T], &mut [i64])| {
        let mut idx: Vec<usize> = (0..n).collect();
        if descending {
            idx.sort_by(|&i, &j| total(&src[j], &src[i]));
        } else {
            idx.sort_by(|&i, &j| total(&src[i], &src[j]));
        }
        for (d, i) in dst.iter_mut().zip(idx) {
            *d = i as i64;
        }
    };
    if x.len() >= super::PAR_MIN {
        x.par_chunks(n).zip(out.par_chunks_mut(n)).for_each(row);
    } else {
        x.chunks(n).zip(out.chunks_mut(n)).for_each(row);
    }
    out
}

/// Running sums of each row of n elements, added in order (as NumPy's cumsum).
pub fn cumsum_rows<T: Copy + Default + std::ops::Add<Output = T> + Send + Sync>(x: &[T], n: usize) -> Vec<T> {
    let mut out = vec![T::default(); x.len()];
    if n == 0 {
        return out;
    }
    let row = |(src, dst): (&[T], &mut [T])| {
        let mut acc = T::default();
        for (d, &v) in dst.iter_mut().zip(src) {
            acc = acc + v;
            *d = acc;
        }
    };
    if x.len() >= super::PAR_MIN {
        x.par_chunks(n).zip(out.par_chunks_mut(n)).for_each(row);
    } else {
        x.chunks(n).zip(out.chunks_mut(n)).for_each(row);
    }
    out
}
