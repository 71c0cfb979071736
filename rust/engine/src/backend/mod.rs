//! The one device interface. A `Backend` runs the primitive kernels (strided elementwise
//! map / zip / select, reductions, matmul, conv and pool families, gather / scatter, copy / cast
//! / fill, random draws, optimizer updates) for tensors on its device; the op table (ops/) holds
//! the shape and gradient rules, written once, and asks `for_inputs` which backend runs each
//! kernel. The CPU backend is cpu/backend.rs, the GPU one gpu/backend.rs (cargo feature `gpu`);
//! a build without the feature has no GPU backend and says so when one is asked for.
//!
//! Adding a primitive: its kind (kinds.rs) or method here, its kernel in each backend, its rule
//! in the op table. A primitive that a backend has no kernel for yet runs through the host
//! (`via_host`), with a one-time warning, never a silent wrong answer. Composite ops (written with
//! other ops) need no kernel and run on every device.
use crate::dtype::DType;
use crate::error::{fmt_shape, Result};
use crate::kinds::{Act, Binary, Compare, ConvGeom, GammaPart, PoolGeom, Reduce, Unary};
use crate::layout::Layout;
use crate::random::Seed;
use crate::tensor::{Device, Tensor};

/// One index array of advanced indexing: (the dim it indexes, the int64 index tensor, whether
/// every value is known to be in range so needs no bounds check).
pub type Adv = (usize, Tensor, bool);

/// Where advanced indexing reads: the broadcast index shape, the output shape, how many of the
/// non-indexed dims come before the broadcast dims in the output, those dims (`rest`) and the
/// row-major strides of the base.
pub struct IndexGeom<'a> {
    pub bshape: &'a [usize],
    pub out_shape: &'a [usize],
    pub split: usize,
    pub rest: &'a [usize],
    pub base_strides: &'a [isize],
}

/// The state an optimizer update writes in place: the variable first, then its slots.
pub enum Update {
    /// SGD: w -= lr*g, or with momentum (m = momentum*m - lr*g; w += m, or nesterov's form).
    Sgd { momentum: f64, nesterov: bool },
    /// Adam (amsgrad when a fourth state tensor, v_hat, is given).
    Adam { iterations: Tensor, beta_1: f64, beta_2: f64, epsilon: f64 },
}

pub trait Backend: Sync {
    fn device(&self) -> Device;

    // --- copy, cast, fill ---------------------------------------------------------------
    /// The values in another dtype (floats to ints truncate; anything to bool is `!= 0`).
    fn convert(&self, x: &Tensor, to: DType) -> Result<Tensor>;
    /// A contiguous tensor of x's values (x itself when it already is one).
    fn contiguous(&self, x: &Tensor) -> Result<Tensor>;
    /// A new contiguous tensor of x's values that shares nothing with x.
    fn copy(&self, x: &Tensor) -> Result<Tensor>;
    fn full(&self, shape: &[usize], value: f64, dtype: DType) -> Result<Tensor>;
    /// int64 0, 1, ..., n-1.
    fn iota(&self, n: usize) -> Result<Tensor>;
    /// Writes `src` (broadcast to dst's shape; on this device or a 0-d host scalar) into the
    /// elements dst's layout addresses.
    fn assign(&self, dst: &Tensor, src: &Tensor) -> Result<()>;

    // --- elementwise --------------------------------------------------------------------
    /// op(x) with parameter p (leaky_relu's slope, elu's alpha). x is float, or an integer for
    /// the ops that keep integer dtypes (`Unary::keeps_ints`).
    fn unary(&self, op: Unary, x: &Tensor, p: f64) -> Result<Tensor>;
    /// g * op'(x), from the input x and the output y, in one pass.
    fn unary_grad(&self, op: Unary, g: &Tensor, x: &Tensor, y: &Tensor, p: f64) -> Result<Tensor>;
    /// op(a, b) over `shape`; both already in the dtype the op computes in (float or int64).
    fn binary(&self, op: Binary, a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor>;
    /// A bool tensor over `shape`; both operands in one dtype.
    fn compare(&self, op: Compare, a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor>;
    /// a where c (bool) else b, over `shape`; a and b in one dtype.
    fn select(&self, c: &Tensor, a: &Tensor, b: &Tensor, shape: &[usize]) -> Result<Tensor>;
    /// act(z + bias), bias (c,) along the last axis.
    fn bias_act(&self, z: &Tensor, bias: Option<&Tensor>, act: Act) -> Result<Tensor>;
    /// g * act'(z) from the output y.
    fn bias_act_grad(&self, g: &Tensor, y: &Tensor, act: Act) -> Result<Tensor>;

    // --- reductions ---------------------------------------------------------------------
    /// The reduction over `axes` (sorted, distinct), reduced dims dropped. Sums of integers
    /// and bools come as int64, arg reductions as int64 indices (ties: the first).
    fn reduce(&self, x: &Tensor, axes: &[usize], kind: Reduce) -> Result<Tensor>;
    /// The positions that sort each row along the last axis, int64, stable (ties keep their
    /// order); NaN sorts after every number (first when descending).
    fn argsort(&self, x: &Tensor, descending: bool) -> Result<Tensor>;
    /// Running sums along the last axis, in x's dtype (float32, float64 or int64), added in order.
    fn cumsum(&self, x: &Tensor) -> Result<Tensor>;
    /// A part of P(a, x), the regularized lower incomplete gamma function, elementwise: a and x
    /// of one float dtype and shape (views allowed).
    fn gammainc(&self, part: GammaPart, a: &Tensor, x: &Tensor) -> Result<Tensor>;
    /// softmax (or log_softmax) of each row along the last axis of a float tensor.
    fn softmax_rows(&self, x: &Tensor, log: bool) -> Result<Tensor>;
    /// The crossentropy of each row of logits x against int64 labels (in range) in one pass:
    /// (loss per row, the log-probabilities its gradient needs). None: no fused kernel here, the
    /// op table composes it.
    fn sparse_ce_logits(&self, x: &Tensor, labels: &Tensor) -> Result<Option<(Tensor, Tensor)>> {
        let _ = (x, labels);
        Ok(None)
    }
    /// (softmax - one_hot(labels)) * g per row, from the log-probabilities.
    fn sparse_ce_logits_grad(&self, logp: &Tensor, labels: &Tensor, g: &Tensor) -> Result<Tensor> {
        let _ = (logp, labels, g);
        crate::bail!(Device, "sparse_categorical_crossentropy: the {} backend has no fused kernel", self.device().name())
    }

    // --- products -----------------------------------------------------------------------
    /// Batched a @ b: a and b in one dtype, read through layouts broadcast to (batch, m, k) and
    /// (batch, k, n).
    fn matmul(
        &self,
        a: &Tensor,
        la: &Layout,
        b: &Tensor,
        lb: &Layout,
        batch: &[usize],
        m: usize,
        n: usize,
        k: usize,
    ) -> Result<Tensor>;
    /// act(conv(x, k) + bias), x and k contiguous-able floats of one dtype.
    fn conv(&self, x: &Tensor, k: &Tensor, bias: Option<&Tensor>, act: Act, g: &ConvGeom) -> Result<Tensor>;
    /// The input gradient of a convolution from the output gradient.
    fn conv_grad_input(&self, gy: &Tensor, k: &Tensor, g: &ConvGeom) -> Result<Tensor>;
    /// The kernel gradient of a convolution from the input and the output gradient.
    fn conv_grad_weight(&self, x: &Tensor, gy: &Tensor, g: &ConvGeom) -> Result<Tensor>;

    // --- pools --------------------------------------------------------------------------
    /// Max pooling: the values, and whatever the backward needs besides x and y (None if
    /// nothing).
    fn max_pool(&self, x: &Tensor, g: &PoolGeom) -> Result<(Tensor, Option<Tensor>)>;
    fn max_pool_grad(&self, x: &Tensor, y: &Tensor, aux: Option<&Tensor>, gy: &Tensor, g: &PoolGeom) -> Result<Tensor>;
    fn avg_pool(&self, x: &Tensor, g: &PoolGeom) -> Result<Tensor>;
    fn avg_pool_grad(&self, gy: &Tensor, g: &PoolGeom) -> Result<Tensor>;

    // --- gather / scatter ---------------------------------------------------------------
    /// The flat positions in `base` that advanced indexing reads, bounds checked (IndexError).
    fn index_positions(&self, base: &Tensor, adv: &[Adv], geom: &IndexGeom) -> Result<Tensor>;
    /// out[i] = x.flat[idx[i]] (idx int64, in range).
    fn gather(&self, x: &Tensor, idx: &Tensor) -> Result<Tensor>;
    /// zeros(shape) with g[i] added at flat position idx[i], in a fixed order (floats; integers
    /// and bools keep the value of the last position naming an element).
    fn scatter_add(&self, g: &Tensor, idx: &Tensor, shape: &[usize]) -> Result<Tensor>;
    /// As scatter_add, but integers add up too (wrapping), as keras.ops.scatter does.
    fn scatter_sum(&self, g: &Tensor, idx: &Tensor, shape: &[usize]) -> Result<Tensor>;

    // --- optimizer updates and random draws ---------------------------------------------
    /// Writes `state` (the variable, then its slots: checked by the op table) in place from the
    /// gradient; lr (and Adam's iterations) are read from their tensors when the update runs.
    fn update(&self, kind: &Update, state: &[&Tensor], grad: &Tensor, lr: &Tensor) -> Result<()>;
    /// Uniform samples in [low, high) from the generator `seed`.
    fn uniform(&self, shape: &[usize], low: f64, high: f64, dtype: DType, seed: &Seed) -> Result<Tensor>;
}

/// The backend of a device.
pub fn of(device: Device) -> Result<&'static dyn Backend> {
    match device {
        Device::Cpu => Ok(&crate::cpu::backend::Cpu),
        #[cfg(feature = "gpu")]
        Device::Gpu => Ok(&crate::gpu::backend::Gpu),
        #[cfg(not(feature = "gpu"))]
        Device::Gpu => Err(crate::tensor::no_gpu()),
    }
}

/// The backend that runs an op on these inputs: the GPU's when any is on the GPU, and then every
/// CPU input must be a 0-d scalar (Python numbers; uploaded); else the CPU's.
pub fn for_inputs(op: &str, inputs: &[&Tensor]) -> Result<&'static dyn Backend> {
    if !inputs.iter().any(|t| t.device() == Device::Gpu) {
        return of(Device::Cpu);
    }
    if let Some(c) = inputs.iter().find(|t| t.device() == Device::Cpu && t.ndim() > 0) {
        crate::bail!(
            Device,
            "{op}: expected all tensors on the same device, got gpu and cpu (a cpu tensor of shape {}); move them with .to('gpu') or .to('cpu') (only 0-d cpu scalars mix with gpu tensors)",
            fmt_shape(c.shape())
        );
    }
    of(Device::Gpu)
}

/// The devices this build can use: "cpu", then one entry per GPU adapter wgpu finds
/// ("gpu:<i> <adapter name> (<backend>, <device type>)").
pub fn list_devices() -> Vec<String> {
    #[allow(unused_mut)]
    let mut v = vec!["cpu".to_string()];
    #[cfg(feature = "gpu")]
    for (i, (name, backend, kind)) in crate::gpu::adapters().into_iter().enumerate() {
        v.push(format!("gpu:{i} {name} ({backend}, {kind})"));
    }
    v
}

/// Whether the build has the GPU feature, and if so the adapter the GPU device runs on (or why
/// there is none).
pub fn gpu_info() -> (bool, String) {
    #[cfg(feature = "gpu")]
    {
        match crate::gpu::ctx() {
            Ok(c) => (true, format!("{} ({:?}, {:?})", c.info.name, c.info.backend, c.info.device_type)),
            Err(e) => (true, e.to_string()),
        }
    }
    #[cfg(not(feature = "gpu"))]
    {
        (false, crate::tensor::no_gpu().to_string())
    }
}

/// Opens a device for use now (the GPU: its adapter and context; an error names what is missing).
pub fn open(device: Device) -> Result<()> {
    match device {
        Device::Cpu => Ok(()),
        #[cfg(feature = "gpu")]
        Device::Gpu => crate::gpu::ctx().map(|_| ()),
        #[cfg(not(feature = "gpu"))]
        Device::Gpu => Err(crate::tensor::no_gpu()),
    }
}

/// Sets the device new tensors are made on: "cpu", "gpu" (opened now) or "auto" (the GPU when
/// one opens, else the CPU). Returns the device chosen.
pub fn set_default_device(name: &str) -> Result<Device> {
    let d = match name {
        "auto" => {
            if open(Device::Gpu).is_ok() {
                Device::Gpu
            } else {
                Device::Cpu
            }
        }
        _ => {
            let d = Device::parse(name)?;
            open(d)?;
            d
        }
    };
    crate::tensor::set_default_device(d);
    Ok(d)
}

/// Starts the kernels recorded for a device now (the GPU batches them), without waiting.
pub fn flush() {
    #[cfg(feature = "gpu")]
    crate::gpu::flush();
}

/// Runs a primitive that `device` has no kernel for on the host: the inputs go down, the CPU
/// kernel runs, the result goes back up. Warns once per primitive (on stderr) that it is slow.
pub fn via_host(
    op: &'static str,
    device: Device,
    inputs: &[&Tensor],
    f: impl FnOnce(&[Tensor]) -> Result<Tensor>,
) -> Result<Tensor> {
    static WARNED: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    {
        let mut w = WARNED.lock().unwrap_or_else(|e| e.into_inner());
        if !w.contains(&op) {
            w.push(op);
            eprintln!(
                "kerasish: {op} has no {} kernel yet; it runs on the host (its inputs are copied down and its result back up)",
                device.name()
            );
        }
    }
    let host = inputs.iter().map(|t| t.to_device(Device::Cpu)).collect::<Result<Vec<_>>>()?;
    f(&host)?.to_device(device)
}

/// Device-aware conversions and construction (tensor.rs holds the data structure only).
impl Tensor {
    /// `convert` on the tensor's device (float64 on the GPU is an error naming the op).
    pub fn try_convert(&self, to: DType) -> Result<Tensor> {
        if to == self.dtype() {
            return Ok(self.clone());
        }
        of(self.device())?.convert(self, to)
    }

    /// A tensor filled with `value` on `device`.
    pub fn full_on(shape: &[usize], value: f64, dtype: DType, device: Device) -> Result<Tensor> {
        of(device)?.full(shape, value, dtype)
    }

    /// The same values on `device` (self when already there; no autograd). The only place data
    /// crosses between host and device.
    pub fn to_device(&self, device: Device) -> Result<Tensor> {
        match (self.device(), device) {
            (a, b) if a == b => Ok(self.clone()),
            #[cfg(feature = "gpu")]
            (Device::Cpu, Device::Gpu) => crate::gpu::upload(self),
            #[cfg(feature = "gpu")]
            (Device::Gpu, Device::Cpu) => crate::gpu::download(self),
            _ => Err(crate::tensor::no_gpu()),
        }
    }
}
