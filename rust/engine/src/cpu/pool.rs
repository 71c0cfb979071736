//! 2-D max and average pooling on NHWC data. Max pooling keeps the flat input index of each
//! window's maximum, so its backward pass is a scatter.
use rayon::prelude::*;

pub use crate::kinds::PoolGeom;

impl PoolGeom {
    /// The window of output (oy, ox), clipped to the image: rows y0..y1, cols x0..x1.
    #[inline]
    fn window(&self, oy: usize, ox: usize) -> (usize, usize, usize, usize) {
        let y0 = (oy * self.sh) as isize - self.pt as isize;
        let x0 = (ox * self.sw) as isize - self.pl as isize;
        let y1 = (y0 + self.ph as isize).min(self.h as isize);
        let x1 = (x0 + self.pw as isize).min(self.w as isize);
        (y0.max(0) as usize, y1.max(0) as usize, x0.max(0) as usize, x1.max(0) as usize)
    }
}

/// Max pooling. NaN wins, as in NumPy. Each window is scanned pixel by pixel with all channels of a
/// pixel compared at once (selects the compiler vectorises); no indices are kept: the backward
/// pass finds each maximum again, which costs less than writing an index per output.
pub fn max_pool<T: crate::storage::Elem>(x: &[T], g: &PoolGeom) -> Vec<T> {
    let (img_in, img_out) = (g.h * g.w * g.c, g.oh * g.ow * g.c);
    // every window holds at least one pixel, so every output is stored
    let mut vals = crate::storage::alloc_for_overwrite::<T>(g.n * img_out);
    if img_out == 0 {
        return vals;
    }
    vals.par_chunks_mut(img_out).enumerate().for_each(|(i, v)| max_pool_image(&x[i * img_in..(i + 1) * img_in], g, v));
    vals
}

// One image; the whole window loop is compiled per CPU level, so the per-pixel work inlines.
crate::multiversion! {
    fn max_pool_image<T>(xi: &[T], g: &PoolGeom, v: &mut [T]) where {T: Copy + PartialOrd} {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (y0, y1, x0, x1) = g.window(oy, ox);
                let ov = &mut v[(oy * g.ow + ox) * g.c..][..g.c];
                let mut first = true;
                for yy in y0..y1 {
                    for xx in x0..x1 {
                        let src = &xi[(yy * g.w + xx) * g.c..][..g.c];
                        if first {
                            ov.copy_from_slice(src);
                            first = false;
                            continue;
                        }
                        max_into(ov, src);
                    }
                }
            }
        }
    }
}

/// o = max(o, src) elementwise; NaN stays once seen and a NaN value replaces a number.
#[inline(always)]
fn max_into<T: Copy + PartialOrd>(o: &mut [T], src: &[T]) {
    for (o, &val) in o.iter_mut().zip(src) {
        let cur = *o;
        #[allow(clippy::eq_op)]
        let take = (val > cur) | ((val != val) & (cur == cur));
        *o = if take { val } else { cur };
    }
}

/// dst (+)= g where src equals the pooled maximum m and no earlier element of the window took it;
/// `set` stores instead of adding (windows that do not overlap write each element once).
#[inline(always)]
fn route_grad<T: num_traits::Float + crate::cpu::math::BitSelect>(
    dst: &mut [T],
    src: &[T],
    m: &[T],
    g: &[T],
    done: &mut [bool],
    set: bool,
) {
    let n = dst.len();
    let (src, m, g, done) = (&src[..n], &m[..n], &g[..n], &mut done[..n]);
    for ch in 0..n {
        let (a, mx) = (src[ch], m[ch]);
        let hit = !done[ch] & ((a == mx) | (a.is_nan() & mx.is_nan()));
        let v = T::pick(hit, g[ch], T::zero());
        dst[ch] = if set { v } else { dst[ch] + v };
        done[ch] |= hit;
    }
}

/// Gradient of max pooling: each output gradient goes to the first element of its window that
/// equals the pooled maximum. When windows tile the image without overlap or padding (the usual
/// pool_size == strides), each input element is written once and nothing is zeroed first.
pub fn max_pool_backward<T: num_traits::Float + crate::storage::Elem + crate::cpu::math::BitSelect>(
    x: &[T],
    y: &[T],
    dy: &[T],
    g: &PoolGeom,
) -> Vec<T> {
    let (img_in, img_out) = (g.h * g.w * g.c, g.oh * g.ow * g.c);
    let tiled = g.sh == g.ph && g.sw == g.pw && g.pt == 0 && g.pl == 0 && g.oh * g.ph <= g.h && g.ow * g.pw <= g.w;
    let mut dx = if tiled {
        crate::storage::alloc_for_overwrite::<T>(g.n * img_in)
    } else {
        crate::storage::alloc_zeroed::<T>(g.n * img_in)
    };
    if img_in == 0 {
        return dx;
    }
    dx.par_chunks_mut(img_in).enumerate().for_each_init(
        || vec![false; g.c],
        |done, (i, d)| {
            if tiled {
                // the rows and columns no window covers (valid padding's remainder)
                for yy in 0..g.h {
                    let x_lo = if yy < g.oh * g.ph { g.ow * g.pw } else { 0 };
                    d[(yy * g.w + x_lo) * g.c..(yy + 1) * g.w * g.c].fill(T::zero());
                }
            }
            let o = i * img_out;
            max_pool_backward_image(&x[i * img_in..(i + 1) * img_in], &y[o..o + img_out], &dy[o..o + img_out], g, d, done, tiled);
        },
    );
    dx
}

crate::multiversion! {
    fn max_pool_backward_image<T>(xi: &[T], yi: &[T], dyi: &[T], g: &PoolGeom, d: &mut [T], done: &mut [bool], tiled: bool) where {T: num_traits::Float + crate::cpu::math::BitSelect} {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (y0, y1, x0, x1) = g.window(oy, ox);
                let o = (oy * g.ow + ox) * g.c;
                let (yv, gv) = (&yi[o..o + g.c], &dyi[o..o + g.c]);
                done.iter_mut().for_each(|f| *f = false);
                for yy in y0..y1 {
                    for xx in x0..x1 {
                        let j = (yy * g.w + xx) * g.c;
                        let (src, dst) = (&xi[j..j + g.c], &mut d[j..j + g.c]);
                        route_grad(dst, src, yv, gv, done, tiled);
                    }
                }
            }
        }
    }
}

/// Average pooling over the part of each window inside the image (padding is not counted).
pub fn avg_pool<T: num_traits::Float + Default + Send + Sync>(x: &[T], g: &PoolGeom) -> Vec<T> {
    let (img_in, img_out) = (g.h * g.w * g.c, g.oh * g.ow * g.c);
    let mut out = vec![T::default(); g.n * img_out];
    out.par_chunks_mut(img_out.max(1)).enumerate().for_each(|(i, v)| {
        let xi = &x[i * img_in..];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (y0, y1, x0, x1) = g.window(oy, ox);
                let cnt = T::from(((y1 - y0) * (x1 - x0)).max(1)).unwrap_or_else(T::one);
                let o = &mut v[(oy * g.ow + ox) * g.c..][..g.c];
                o.fill(T::zero());
                for yy in y0..y1 {
                    for xx in x0..x1 {
                        for (d, &s) in o.iter_mut().zip(&xi[(yy * g.w + xx) * g.c..][..g.c]) {
                            *d = *d + s;
                        }
                    }
                }
                o.iter_mut().for_each(|d| *d = *d / cnt);
            }
        }
    });
    out
}

/// Gradient of average pooling: each output gradient spread evenly over its window.
pub fn avg_pool_backward<T: num_traits::Float + Default + Send + Sync>(dy: &[T], g: &PoolGeom) -> Vec<T> {
    let (img_in, img_out) = (g.h * g.w * g.c, g.oh * g.ow * g.c);
    let mut dx = vec![T::default(); g.n * img_in];
    dx.par_chunks_mut(img_in.max(1)).enumerate().for_each(|(i, d)| {
        let dyi = &dy[i * img_out..];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (y0, y1, x0, x1) = g.window(oy, ox);
                let cnt = T::from(((y1 - y0) * (x1 - x0)).max(1)).unwrap_or_else(T::one);
                let src = &dyi[(oy * g.ow + ox) * g.c..][..g.c];
                for yy in y0..y1 {
                    for xx in x0..x1 {
                        for (t, &s) in d[(yy * g.w + xx) * g.c..][..g.c].iter_mut().zip(src) {
                            *t = *t + s / cnt;
                        }
                    }
                }
            }
        }
    });
    dx
}
