//! 2-D convolution on NHWC data with (kh, kw, c, o) kernels, as im2col + GEMM tiled by images:
//! the patch matrices (oh*ow, kh*kw*c) of a tile of images live in a per-thread buffer that is
//! reused, and each tile is one GEMM.
//! The backward passes are GEMMs too: dX = col2im(dY @ W^T), dW = sum over images of cols^T @ dY.
//! Patch rows of at most 32 values (first layers: 3x3 on grey or RGB images) skip im2col and
//! GEMM: direct kernels compute each output pixel from its taps (forward and weight gradient).
use super::matmul::{GemmElem, Mat};
use rayon::prelude::*;

pub use crate::kinds::ConvGeom as Geom;

impl Geom {
    fn k(&self) -> usize {
        self.kh * self.kw * self.c
    }
    fn pixels(&self) -> usize {
        self.oh * self.ow
    }
    /// Input row/col of output (oy, ox) at kernel tap (ky, kx), if inside the image.
    #[inline]
    fn src(&self, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
        let iy = (oy * self.sh + ky * self.dh) as isize - self.pt as isize;
        let ix = (ox * self.sw + kx * self.dw) as isize - self.pl as isize;
        if iy < 0 || ix < 0 || iy >= self.h as isize || ix >= self.w as isize {
            None
        } else {
            Some((iy as usize, ix as usize))
        }
    }
}

/// The patch matrix of one image: row (oy, ox), columns (ky, kx, c).
fn im2col<T: Copy + Default>(x: &[T], g: &Geom, cols: &mut [T]) {
    let (c, k) = (g.c, g.k());
    let run = g.kw * c; // one kernel row's columns
    for oy in 0..g.oh {
        for ox in 0..g.ow {
            let row = &mut cols[(oy * g.ow + ox) * k..][..k];
            let ix0 = (ox * g.sw) as isize - g.pl as isize;
            // with no dilation, a kernel row inside the image reads kw * c contiguous inputs
            let whole_rows = g.dw == 1 && ix0 >= 0 && ix0 as usize + g.kw <= g.w;
            for ky in 0..g.kh {
                let iy = (oy * g.sh + ky * g.dh) as isize - g.pt as isize;
                let dst = &mut row[ky * run..][..run];
                if iy < 0 || iy >= g.h as isize {
                    dst.fill(T::default());
                } else if whole_rows {
                    dst.copy_from_slice(&x[(iy as usize * g.w + ix0 as usize) * c..][..run]);
                } else {
                    for kx in 0..g.kw {
                        let d = &mut dst[kx * c..][..c];
                        match g.src(oy, ox, ky, kx) {
                            Some((iy, ix)) => d.copy_from_slice(&x[(iy * g.w + ix) * c..][..c]),
                            None => d.fill(T::default()),
                        }
                    }
                }
            }
        }
    }
}

/// Adds a patch-matrix gradient back into one image's gradient.
fn col2im<T: Copy + std::ops::AddAssign>(cols: &[T], g: &Geom, dx: &mut [T]) {
    let (c, k) = (g.c, g.k());
    for oy in 0..g.oh {
        for ox in 0..g.ow {
            let row = &cols[(oy * g.ow + ox) * k..][..k];
            for ky in 0..g.kh {
                for kx in 0..g.kw {
                    if let Some((iy, ix)) = g.src(oy, ox, ky, kx) {
                        let src = &row[(ky * g.kw + kx) * c..][..c];
                        for (d, &s) in dx[(iy * g.w + ix) * c..][..c].iter_mut().zip(src) {
                            *d += s;
                        }
                    }
                }
            }
        }
    }
}

/// Images whose patch matrices are stacked into one GEMM: bigger products run nearer the
/// machine's peak and pack the kernel matrix once per tile instead of once per image, as long as
/// the tile's patch matrices (at most about 2.5 MB) still sit in cache when the GEMM reads them.
/// Within that, the size that shares the tiles most evenly between two threads (a batch of 100
/// 14x14 images: 10 tiles of 10, where tiles of 8 left one thread 7 and the other 6). It depends
/// on the shapes alone, so the per-tile weight-gradient partials, summed in order, do not depend
/// on the number of threads.
fn tile_for<T>(g: &Geom) -> usize {
    let per_image = (g.pixels() * g.k() * std::mem::size_of::<T>()).max(1);
    let most = ((5 << 19) / per_image).clamp(1, 12);
    let least = (most * 2 / 3).max(1);
    let busier = |t: usize| g.n.div_ceil(t).div_ceil(2) * t;
    (least..=most).rev().min_by_key(|&t| busier(t)).unwrap_or(1)
}

/// A per-thread work buffer for patch matrices, not zeroed: im2col, or the GEMM that fills it,
/// writes every element a tile uses before it is read. (Not from the tensor pool: it is freed
/// to the allocator, and taking pool buffers would drain the pool.)
fn scratch<T: Copy>(n: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    // SAFETY: the capacity holds n elements of a plain number type (any bit pattern is valid);
    // callers write the elements they read.
    #[allow(clippy::uninit_vec)]
    unsafe {
        v.set_len(n)
    };
    v
}

fn threads_for(tiles: usize) -> usize {
    if tiles == 1 {
        rayon::current_num_threads()
    } else {
        1
    }
}

/// Patch rows up to this long go to the direct kernels: a GEMM with so short an inner dimension
/// spends its time packing (the first layer on grey images has 9).
const DIRECT_MAX_K: usize = 32;

/// y (n, oh, ow, o) = conv(x (n, h, w, c), w (kh*kw*c, o)); `epilogue` is applied to each
/// piece of y (whole rows of o channels) right after it is computed, while it is in cache.
pub fn forward<T: GemmElem + num_traits::Float, F: Fn(&mut [T]) + Sync>(x: &[T], w: &[T], g: &Geom, epilogue: F) -> Vec<T> {
    let (k, p, img) = (g.k(), g.pixels(), g.h * g.w * g.c);
    let mut y = crate::storage::alloc_for_overwrite::<T>(g.n * p * g.o);
    if y.is_empty() {
        return y;
    }
    if k <= DIRECT_MAX_K {
        y.par_chunks_mut(p * g.o).enumerate().for_each(|(i, yi)| {
            direct_forward(&x[i * img..][..img], w, g, yi);
            epilogue(yi);
        });
        return y;
    }
    let tile = tile_for::<T>(g);
    let t = threads_for(g.n.div_ceil(tile));
    y.par_chunks_mut(tile * p * g.o).enumerate().for_each_init(
        || scratch::<T>(tile * p * k),
        |cols, (ti, yt)| {
            let imgs = yt.len() / (p * g.o);
            for j in 0..imgs {
                im2col(&x[(ti * tile + j) * img..][..img], g, &mut cols[j * p * k..][..p * k]);
            }
            let a = Mat { data: &cols[..], offset: 0, rs: k as isize, cs: 1 };
            let b = Mat { data: w, offset: 0, rs: g.o as isize, cs: 1 };
            T::gemm(imgs * p, g.o, k, a, b, yt, g.o, false, t);
            epilogue(yt);
        },
    );
    y
}

/// dx (n, h, w, c) from dy (n, oh, ow, o) and w (kh*kw*c, o).
pub fn backward_input<T: GemmElem + std::ops::AddAssign>(dy: &[T], w: &[T], g: &Geom) -> Vec<T> {
    let (k, p, img) = (g.k(), g.pixels(), g.h * g.w * g.c);
    let mut dx = crate::storage::alloc_zeroed::<T>(g.n * img);
    if dx.is_empty() || p == 0 {
        return dx;
    }
    let tile = tile_for::<T>(g);
    let t = threads_for(g.n.div_ceil(tile));
    dx.par_chunks_mut(tile * img).enumerate().for_each_init(
        || scratch::<T>(tile * p * k),
        |dcols, (ti, dxt)| {
            let imgs = dxt.len() / img;
            let a = Mat { data: dy, offset: ti * tile * p * g.o, rs: g.o as isize, cs: 1 };
            let b = Mat { data: w, offset: 0, rs: 1, cs: g.o as isize }; // w^T
            T::gemm(imgs * p, k, g.o, a, b, dcols, k, false, t);
            for j in 0..imgs {
                col2im(&dcols[j * p * k..][..p * k], g, &mut dxt[j * img..][..img]);
            }
        },
    );
    dx
}

/// dw (kh*kw*c, o) from x (n, h, w, c) and dy (n, oh, ow, o): one partial per tile of images,
/// summed in order, so the result does not depend on the number of threads.
pub fn backward_weight<T: GemmElem + num_traits::Float + std::ops::AddAssign>(x: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    let (k, p, img) = (g.k(), g.pixels(), g.h * g.w * g.c);
    if k <= DIRECT_MAX_K {
        let tile = tile_for::<T>(g);
        let parts: Vec<Vec<T>> = (0..g.n.div_ceil(tile))
            .into_par_iter()
            .map(|ti| {
                let mut dw = vec![T::zero(); k * g.o];
                for i in ti * tile..((ti + 1) * tile).min(g.n) {
                    direct_weight(&x[i * img..][..img], &dy[i * p * g.o..][..p * g.o], g, &mut dw);
                }
                dw
            })
            .collect();
        return sum_parts(parts, k * g.o);
    }
    let tile = tile_for::<T>(g);
    let tiles: Vec<usize> = (0..g.n.div_ceil(tile)).collect();
    let t = threads_for(tiles.len());
    let parts: Vec<Vec<T>> = tiles
        .par_iter()
        .map_init(
            || scratch::<T>(tile * p * k),
            |cols, &ti| {
                let imgs = tile.min(g.n - ti * tile);
                for j in 0..imgs {
                    im2col(&x[(ti * tile + j) * img..][..img], g, &mut cols[j * p * k..][..p * k]);
                }
                let mut dw = vec![T::default(); k * g.o];
                let a = Mat { data: &cols[..], offset: 0, rs: 1, cs: k as isize }; // cols^T
                let b = Mat { data: dy, offset: ti * tile * p * g.o, rs: g.o as isize, cs: 1 };
                T::gemm(k, g.o, imgs * p, a, b, &mut dw, g.o, false, t);
                dw
            },
        )
        .collect();
    sum_parts(parts, k * g.o)
}

/// The partial weight gradients summed in order (so the result does not depend on threads).
fn sum_parts<T: Copy + Default + std::ops::AddAssign>(parts: Vec<Vec<T>>, len: usize) -> Vec<T> {
    let mut dw = vec![T::default(); len];
    for part in parts {
        for (d, s) in dw.iter_mut().zip(part) {
            *d += s;
        }
    }
    dw
}

/// The taps of each output pixel that fall inside the image, as (patch column of the tap's first
/// channel, input offset of its pixel). Pixels whose window lies wholly inside share one list
/// shifted by the pixel's position, so only the border computes its own.
struct Taps {
    inner: Vec<(usize, usize)>,
    tp: Vec<(usize, usize)>,
}

impl Taps {
    fn new(g: &Geom) -> Taps {
        let mut inner = Vec::with_capacity(g.kh * g.kw);
        for ky in 0..g.kh {
            for kx in 0..g.kw {
                inner.push(((ky * g.kw + kx) * g.c, (ky * g.dh * g.w + kx * g.dw) * g.c));
            }
        }
        Taps { inner, tp: Vec::with_capacity(g.kh * g.kw) }
    }

    /// (input offset the tap offsets are relative to, the taps) of output (oy, ox).
    #[inline]
    fn of(&mut self, g: &Geom, oy: usize, ox: usize) -> (usize, &[(usize, usize)]) {
        let iy0 = (oy * g.sh) as isize - g.pt as isize;
        let ix0 = (ox * g.sw) as isize - g.pl as isize;
        if iy0 >= 0 && ix0 >= 0 && iy0 as usize + (g.kh - 1) * g.dh < g.h && ix0 as usize + (g.kw - 1) * g.dw < g.w {
            return ((iy0 as usize * g.w + ix0 as usize) * g.c, &self.inner);
        }
        self.tp.clear();
        for ky in 0..g.kh {
            for kx in 0..g.kw {
                if let Some((iy, ix)) = g.src(oy, ox, ky, kx) {
                    self.tp.push(((ky * g.kw + kx) * g.c, (iy * g.w + ix) * g.c));
                }
            }
        }
        (0, &self.tp)
    }
}

/// Output channels handled together by the direct kernels: four 8-lane registers.
const LANES: usize = 32;

// One image's output by the definition, output channels in blocks of LANES kept in registers.
// Compiled per CPU level as a whole, so the per-pixel work inlines.
crate::multiversion! {
    fn direct_forward<T>(x: &[T], w: &[T], g: &Geom, y: &mut [T]) where {T: num_traits::Float} {
        let mut taps = Taps::new(g);
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (base, tp) = taps.of(g, oy, ox);
                let yr = &mut y[(oy * g.ow + ox) * g.o..][..g.o];
                direct_pixel(&x[base..], w, g.c, g.o, tp, yr);
            }
        }
    }
}

#[inline(always)]
fn direct_pixel<T: num_traits::Float>(x: &[T], w: &[T], c: usize, o: usize, tp: &[(usize, usize)], yr: &mut [T]) {
    let mut oc = 0;
    while oc + LANES <= o {
        // a fixed-size block, so the accumulators live in registers
        let mut acc = [T::zero(); LANES];
        for &(col, off) in tp {
            for ci in 0..c {
                let xv = x[off + ci];
                let wr: &[T; LANES] = w[(col + ci) * o + oc..][..LANES].try_into().expect("LANES");
                for l in 0..LANES {
                    acc[l] = acc[l] + xv * wr[l];
                }
            }
        }
        yr[oc..oc + LANES].copy_from_slice(&acc);
        oc += LANES;
    }
    if oc < o {
        let rest = &mut yr[oc..o];
        rest.fill(T::zero());
        for &(col, off) in tp {
            for ci in 0..c {
                let xv = x[off + ci];
                for (d, &wv) in rest.iter_mut().zip(&w[(col + ci) * o + oc..(col + ci + 1) * o]) {
                    *d = *d + xv * wv;
                }
            }
        }
    }
}

// dw += one image's weight gradient by the definition: each output pixel's gradient row times
// the inputs under its taps.
crate::multiversion! {
    fn direct_weight<T>(x: &[T], dy: &[T], g: &Geom, dw: &mut [T]) where {T: num_traits::Float} {
        let mut taps = Taps::new(g);
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (base, tp) = taps.of(g, oy, ox);
                let gr = &dy[(oy * g.ow + ox) * g.o..][..g.o];
                direct_pixel_weight(&x[base..], gr, g.c, tp, dw);
            }
        }
    }
}

#[inline(always)]
fn direct_pixel_weight<T: num_traits::Float>(x: &[T], gr: &[T], c: usize, tp: &[(usize, usize)], dw: &mut [T]) {
    let o = gr.len();
    let mut oc = 0;
    while oc + LANES <= o {
        let gv: &[T; LANES] = gr[oc..oc + LANES].try_into().expect("LANES");
        for &(col, off) in tp {
            for ci in 0..c {
                let xv = x[off + ci];
                let d: &mut [T; LANES] = (&mut dw[(col + ci) * o + oc..][..LANES]).try_into().expect("LANES");
                for l in 0..LANES {
                    d[l] = d[l] + xv * gv[l];
                }
            }
        }
        oc += LANES;
    }
    if oc < o {
        for &(col, off) in tp {
            for ci in 0..c {
                let xv = x[off + ci];
                for (d, &gv) in dw[(col + ci) * o + oc..(col + ci + 1) * o].iter_mut().zip(&gr[oc..]) {
                    *d = *d + xv * gv;
                }
            }
        }
    }
}
