//! The op table. Each op's shape rule, forward kernel call and gradient rule sit together in
//! one function; gradient rules are written with the same tensor ops.
//!
//! | file        | ops |
//! |-------------|-----|
//! | unary.rs    | neg abs square sqrt exp log log1p tanh sigmoid relu leaky_relu elu selu gelu softplus silu |
//! | creation.rs | arange eye |
//! | binary.rs   | add subtract multiply divide power maximum minimum floor_divide mod, comparisons, where, clip |
//! | reduce.rs   | sum mean max min argmax argmin var std |
//! | shape.rs    | cast reshape transpose broadcast_to expand_dims squeeze concatenate stack split sum_to |
//! | index.rs    | basic and advanced indexing, take, gather, one_hot |
//! | linalg.rs   | matmul dot |
//! | nn.rs       | softmax log_softmax logsumexp crossentropies conv max_pool average_pool |
//! | fused.rs    | bias_act (bias + activation in one pass, as Dense and Conv end) |
//! | optim.rs    | sgd_update adam_update (in place, one pass per parameter) |
pub mod binary;
pub mod creation;
pub mod fused;
pub mod index;
pub mod linalg;
pub mod nn;
pub mod optim;
pub mod reduce;
pub mod shape;
pub mod unary;

pub use binary::*;
pub use creation::*;
pub use fused::*;
pub use index::*;
pub use linalg::*;
pub use nn::*;
pub use optim::*;
pub use reduce::*;
pub use shape::*;
pub use unary::*;

use crate::dtype::DType;
use crate::storage::Elem;
use crate::tensor::Tensor;
use num_traits::Float;

/// A float constant in the kernel's element type.
#[inline(always)]
pub(crate) fn c<T: Float>(v: f64) -> T {
    T::from(v).unwrap_or_else(T::nan)
}

/// A float element type the kernels compute in.
pub trait FloatElem: Elem + Float + Send + Sync + std::iter::Sum + crate::cpu::math::FastExp {}
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

/// zeros on the device of `like`.
pub(crate) fn zeros_on(shape: &[usize], dtype: DType, like: &Tensor) -> crate::error::Result<Tensor> {
    Tensor::full_on(shape, 0.0, dtype, like.device())
}

/// A contiguous copy (x itself when contiguous) on x's device, no autograd.
pub(crate) fn contiguous_copy(x: &Tensor) -> crate::error::Result<Tensor> {
    #[cfg(feature = "gpu")]
    if x.device() == crate::tensor::Device::Gpu {
        return crate::gpu::kernels::contiguous(x);
    }
    Ok(x.contiguous_data())
}

/// Writes `src` (broadcast to dst's shape) into the elements `dst`'s layout addresses, in place.
pub fn assign(dst: &Tensor, src: &Tensor) -> crate::error::Result<()> {
    // assigning is an explicit write into a tensor that lives somewhere (as torch's copy_): a cpu
    // value goes up into a gpu destination (loading weights), a gpu value comes down into a cpu
    // one (a metric made outside the gpu scope, updated from a model on the gpu)
    #[cfg(feature = "gpu")]
    if dst.device() == crate::tensor::Device::Gpu {
        let src = if src.ndim() > 0 { src.to_device(crate::tensor::Device::Gpu)? } else { src.clone() };
        return crate::gpu::kernels::assign(dst, &src);
    }
    let src = src.to_device(crate::tensor::Device::Cpu)?.convert(dst.dtype());
    let ls = src.layout().broadcast_to("assign", dst.shape())?;
    crate::with_dtype!(dst.dtype(), T => {
        let vals: Vec<T> = read1(&src, |s: &[T]| crate::cpu::elementwise::map1(s, &ls, |x| x));
        let mut g = dst.storage().write();
        let d = T::slice_mut(&mut g);
        let mut it = vals.into_iter();
        crate::layout::for_each_offset(dst.layout(), |o| d[o] = it.next().unwrap_or_default());
    });
    Ok(())
}
