//! CPU kernels. They read storage slices through layouts and return fresh contiguous Vecs.
//! Large work is split with rayon into fixed-size pieces, so results never depend on how many
//! threads ran or how fast they were.
pub mod elementwise;
pub mod reduce;
pub mod matmul;
pub mod conv;
pub mod pool;

/// Below this many elements a kernel runs on the calling thread: splitting costs more than it gains.
pub const PAR_MIN: usize = 1 << 15;
/// Pieces of this many elements are what rayon hands out.
pub const GRAIN: usize = 1 << 14;
