//! Random numbers. One global generator (ChaCha8, seeded by set_seed or from the OS), or a
//! fresh one when an op is given its own seed, so a seed always gives the same numbers, or a
//! `SeedGenerator`'s own stream (keras.random.SeedGenerator), which moves on with every draw.
use crate::dtype::DType;
use crate::tensor::Tensor;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::{Arc, Mutex};

static GLOBAL: Mutex<Option<ChaCha8Rng>> = Mutex::new(None);

pub fn set_seed(seed: u64) {
    *GLOBAL.lock().unwrap_or_else(|e| e.into_inner()) = Some(ChaCha8Rng::seed_from_u64(seed));
}

/// Where an op's random numbers come from.
#[derive(Clone)]
pub enum Seed {
    /// The global generator.
    Global,
    /// A fresh generator for this seed: the same numbers every time.
    Fixed(u64),
    /// A generator of its own that moves on with every draw.
    Stream(Arc<Mutex<ChaCha8Rng>>),
}

impl Seed {
    pub fn from_option(seed: Option<u64>) -> Seed {
        seed.map_or(Seed::Global, Seed::Fixed)
    }

    /// A new stream: from `seed`, or from the global generator when None.
    pub fn stream(seed: Option<u64>) -> Seed {
        let rng = match seed {
            Some(s) => ChaCha8Rng::seed_from_u64(s),
            None => with_rng(&Seed::Global, |g| ChaCha8Rng::seed_from_u64(g.next_u64())),
        };
        Seed::Stream(Arc::new(Mutex::new(rng)))
    }
}

/// Runs `f` with the generator `seed` names.
pub fn with_rng<R>(seed: &Seed, f: impl FnOnce(&mut ChaCha8Rng) -> R) -> R {
    match seed {
        Seed::Fixed(s) => f(&mut ChaCha8Rng::seed_from_u64(*s)),
        Seed::Stream(g) => f(&mut g.lock().unwrap_or_else(|e| e.into_inner())),
        Seed::Global => {
            let mut g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
            let rng = g.get_or_insert_with(|| ChaCha8Rng::from_rng(&mut rand::rng()));
            f(rng)
        }
    }
}

/// Uniform in [0, 1) with 53 random bits.
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform samples on `device` (the GPU draws float32 there, from the same stream position).
pub fn uniform_on(
    shape: &[usize],
    low: f64,
    high: f64,
    dtype: DType,
    seed: &Seed,
    device: crate::tensor::Device,
) -> crate::Result<Tensor> {
    crate::backend::of(device)?.uniform(shape, low, high, dtype, seed)
}

pub fn uniform(shape: &[usize], low: f64, high: f64, dtype: DType, seed: &Seed) -> Tensor {
    let n = shape.iter().product();
    let v: Vec<f64> = with_rng(seed, |r| (0..n).map(|_| low + (high - low) * unit(r)).collect());
    Tensor::from_vec(v, shape, DType::F64).convert(dtype)
}

/// Normal samples by the Box-Muller transform.
pub fn normal(shape: &[usize], mean: f64, stddev: f64, dtype: DType, seed: &Seed) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = with_rng(seed, |r| {
        let mut out = Vec::with_capacity(n + 1);
        while out.len() < n {
            let u1 = 1.0 - unit(r); // (0, 1]
            let u2 = unit(r);
            let rad = (-2.0 * u1.ln()).sqrt();
            let th = 2.0 * std::f64::consts::PI * u2;
            out.push(mean + stddev * rad * th.cos());
            out.push(mean + stddev * rad * th.sin());
        }
        out.truncate(n);
        out
    });
    Tensor::from_vec(v, shape, DType::F64).convert(dtype)
}

/// Integers uniform in [low, high).
pub fn randint(shape: &[usize], low: i64, high: i64, seed: &Seed) -> Tensor {
    let n = shape.iter().product();
    let span = (high - low) as u64;
    let v: Vec<i64> = with_rng(seed, |r| (0..n).map(|_| low + ((unit(r) * span as f64) as u64).min(span - 1) as i64).collect());
    Tensor::from_vec(v, shape, DType::I64)
}
