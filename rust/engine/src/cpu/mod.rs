//! CPU kernels. They read storage slices through layouts and return fresh contiguous Vecs.
//! Large work is split with rayon into fixed-size pieces, so results never depend on how many
//! threads ran or how fast they were.
/// The innermost loops over contiguous runs. Each is compiled twice, for the baseline CPU and
/// for AVX2+FMA, and picked at run time, so a wheel built for any x86-64 still runs 8 lanes wide.
#[macro_export]
macro_rules! multiversion {
    ($(fn $name:ident<$($g:ident),*>($($arg:ident: $ty:ty),*) $(-> $ret:ty)? where {$($w:tt)*} $body:block)*) => {$(
        #[inline]
        fn $name<$($g),*>($($arg: $ty),*) $(-> $ret)? where $($w)* {
            #[inline(always)]
            fn base<$($g),*>($($arg: $ty),*) $(-> $ret)? where $($w)* $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<$($g),*>($($arg: $ty),*) $(-> $ret)? where $($w)* { base($($arg),*) }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU has the features the function was compiled for.
                    return unsafe { avx2($($arg),*) };
                }
            }
            base($($arg),*)
        }
    )*};
}

pub mod backend;
pub mod binary;
pub mod conv;
pub mod decomp;
pub mod elementwise;
pub mod fused;
pub mod math;
pub mod matmul;
pub mod optim;
pub mod pool;
pub mod reduce;
pub mod sort;
pub mod special;
pub mod unary;

/// Below this many elements a kernel runs on the calling thread: splitting costs more than it gains.
pub const PAR_MIN: usize = 1 << 15;
/// Pieces of this many elements are what rayon hands out.
pub const GRAIN: usize = 1 << 14;

use crate::storage::Elem;
use crate::tensor::Tensor;

/// A float element type the kernels compute in.
pub trait FloatElem: Elem + num_traits::Float + Send + Sync + std::iter::Sum + math::FastExp {}
impl FloatElem for f32 {}
impl FloatElem for f64 {}

/// Runs `f` with the element slices of two tensors (one lock when they share storage).
pub(crate) fn read2<A: Elem, B: Elem, R>(a: &Tensor, b: &Tensor, f: impl FnOnce(&[A], &[B]) -> R) -> R {
    if a.same_storage(b) {
        let g = a.storage().read();
        f(A::slice(&g), B::slice(&g))
    } else {
        let ga = a.storage().read();
        let gb = b.storage().read();
        f(A::slice(&ga), B::slice(&gb))
    }
}

/// Runs `f` with the element slice of a tensor.
pub(crate) fn read1<A: Elem, R>(a: &Tensor, f: impl FnOnce(&[A]) -> R) -> R {
    let g = a.storage().read();
    f(A::slice(&g))
}
