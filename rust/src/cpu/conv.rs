//! 2-D convolution on NHWC data with (kh, kw, c, o) kernels, as im2col + GEMM tiled by image:
//! each image's patch matrix (oh*ow, kh*kw*c) lives in a per-thread buffer that is reused.
//! The backward passes are GEMMs too: dX = col2im(dY @ W^T), dW = sum over images of cols^T @ dY.
use super::matmul::{GemmElem, Mat};
use rayon::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geom {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub kh: usize,
    pub kw: usize,
    pub o: usize,
    pub sh: usize,
    pub sw: usize,
    pub dh: usize,
    pub dw: usize,
    pub pt: usize,
    pub pl: usize,
    pub oh: usize,
    pub ow: usize,
}

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
    for oy in 0..g.oh {
        for ox in 0..g.ow {
            let row = &mut cols[(oy * g.ow + ox) * k..][..k];
            for ky in 0..g.kh {
                for kx in 0..g.kw {
                    let dst = &mut row[(ky * g.kw + kx) * c..][..c];
                    match g.src(oy, ox, ky, kx) {
                        // one channel (the first layer on grey images): a plain store, not a memcpy call
                        Some((iy, ix)) if c == 1 => dst[0] = x[iy * g.w + ix],
                        Some((iy, ix)) => dst.copy_from_slice(&x[(iy * g.w + ix) * c..][..c]),
                        None => dst.fill(T::default()),
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

fn threads_for(g: &Geom) -> usize {
    if g.n == 1 { rayon::current_num_threads() } else { 1 }
}

/// y (n, oh, ow, o) = conv(x (n, h, w, c), w (kh*kw*c, o)).
pub fn forward<T: GemmElem>(x: &[T], w: &[T], g: &Geom) -> Vec<T> {
    let (k, p, img) = (g.k(), g.pixels(), g.h * g.w * g.c);
    let mut y = crate::storage::alloc_zeroed::<T>(g.n * p * g.o);
    if y.is_empty() {
        return y;
    }
    let t = threads_for(g);
    y.par_chunks_mut(p * g.o).enumerate().for_each_init(
        || vec![T::default(); p * k],
        |cols, (i, yi)| {
            im2col(&x[i * img..][..img], g, cols);
            let a = Mat { data: &cols[..], offset: 0, rs: k as isize, cs: 1 };
            let b = Mat { data: w, offset: 0, rs: g.o as isize, cs: 1 };
            T::gemm(p, g.o, k, a, b, yi, g.o, false, t);
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
    let t = threads_for(g);
    dx.par_chunks_mut(img).enumerate().for_each_init(
        || vec![T::default(); p * k],
        |dcols, (i, dxi)| {
            let a = Mat { data: dy, offset: i * p * g.o, rs: g.o as isize, cs: 1 };
            let b = Mat { data: w, offset: 0, rs: 1, cs: g.o as isize }; // w^T
            T::gemm(p, k, g.o, a, b, dcols, k, false, t);
            col2im(dcols, g, dxi);
        },
    );
    dx
}

/// Images per partial weight gradient; partials are summed in order, so the result does not
/// depend on the number of threads.
const IMAGES_PER_PART: usize = 4;

/// dw (kh*kw*c, o) from x (n, h, w, c) and dy (n, oh, ow, o).
pub fn backward_weight<T: GemmElem + std::ops::AddAssign>(x: &[T], dy: &[T], g: &Geom) -> Vec<T> {
    let (k, p, img) = (g.k(), g.pixels(), g.h * g.w * g.c);
    let groups: Vec<usize> = (0..g.n.div_ceil(IMAGES_PER_PART)).collect();
    let t = if groups.len() == 1 { rayon::current_num_threads() } else { 1 };
    let parts: Vec<Vec<T>> = groups
        .par_iter()
        .map(|&gi| {
            let mut cols = vec![T::default(); p * k];
            let mut dw = vec![T::default(); k * g.o];
            for i in gi * IMAGES_PER_PART..((gi + 1) * IMAGES_PER_PART).min(g.n) {
                im2col(&x[i * img..][..img], g, &mut cols);
                let a = Mat { data: &cols[..], offset: 0, rs: 1, cs: k as isize }; // cols^T
                let b = Mat { data: dy, offset: i * p * g.o, rs: g.o as isize, cs: 1 };
                T::gemm(k, g.o, p, a, b, &mut dw, g.o, true, t);
            }
            dw
        })
        .collect();
    let mut dw = vec![T::default(); k * g.o];
    for part in parts {
        for (d, s) in dw.iter_mut().zip(part) {
            *d += s;
        }
    }
    dw
}
