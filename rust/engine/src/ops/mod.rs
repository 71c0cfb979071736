//! The op table: each op's shape and dtype rule, the backend primitive it runs (asked of
//! `backend::for_inputs`, the one device rule) and its gradient rule, together in one function,
//! written once for every device. Gradient rules and composite ops are written with the same
//! tensor ops. No kernel and no device code lives here.
//!
//! | file        | ops |
//! |-------------|-----|
//! | unary.rs    | neg abs square sqrt exp log log1p tanh sigmoid relu leaky_relu elu selu gelu softplus silu, |
//! |             | sin cos tan arcsin arccos arctan sinh cosh arcsinh arccosh arctanh expm1 log2 log10 floor ceil round trunc sign |
//! | creation.rs | arange eye |
//! | binary.rs   | add subtract multiply divide power maximum minimum floor_divide mod, comparisons, where, clip |
//! | reduce.rs   | sum mean max min argmax argmin var std |
//! | shape.rs    | cast reshape transpose broadcast_to expand_dims squeeze concatenate stack split sum_to |
//! | index.rs    | basic and advanced indexing, take, gather, one_hot |
//! | linalg.rs   | matmul dot |
//! | scan.rs     | argsort cumsum |
//! | decomp.rs   | lu_factor slogdet det solve inv solve_triangular cholesky qr svd eigh pinv (faer, on the host) |
//! | nn.rs       | softmax log_softmax logsumexp crossentropies conv max_pool average_pool |
//! | fused.rs    | bias_act (bias + activation in one pass, as Dense and Conv end) |
//! | optim.rs    | sgd_update adam_update (in place, one pass per parameter) |
pub mod binary;
pub mod creation;
pub mod decomp;
pub mod fused;
pub mod index;
pub mod linalg;
pub mod nn;
pub mod optim;
pub mod reduce;
pub mod scan;
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
pub use scan::*;
pub use shape::*;
pub use unary::*;

use crate::dtype::DType;
use crate::tensor::Tensor;

/// For an op that computes in floats: x cast (recorded) to the dtype its kernels run in
/// (float32 for integers, bool, float16 and bfloat16; float64 itself), and the dtype to give
/// the result back in (`cast(&r, out)`: float16 and bfloat16 are rounded back, others stay).
pub(crate) fn float_compute(x: &Tensor) -> crate::error::Result<(Tensor, DType)> {
    let out = x.dtype().to_float();
    Ok((cast(x, out.compute())?, out))
}

/// zeros on the device of `like`.
pub(crate) fn zeros_on(shape: &[usize], dtype: DType, like: &Tensor) -> crate::error::Result<Tensor> {
    Tensor::full_on(shape, 0.0, dtype, like.device())
}

/// A contiguous copy (x itself when contiguous) on x's device, no autograd.
pub(crate) fn contiguous_copy(x: &Tensor) -> crate::error::Result<Tensor> {
    crate::backend::of(x.device())?.contiguous(x)
}

/// A new contiguous tensor of x's values on x's device, sharing nothing with x (no autograd).
pub fn copy(x: &Tensor) -> crate::error::Result<Tensor> {
    crate::backend::of(x.device())?.copy(x)
}

/// Writes `src` (broadcast to dst's shape) into the elements `dst`'s layout addresses, in place.
/// Assigning is an explicit write into a tensor that lives somewhere (as torch's copy_): a cpu
/// value goes up into a gpu destination (loading weights), a gpu value comes down into a cpu one
/// (a metric made outside the gpu scope, updated from a model on the gpu).
pub fn assign(dst: &Tensor, src: &Tensor) -> crate::error::Result<()> {
    crate::backend::of(dst.device())?.assign(dst, src)
}
