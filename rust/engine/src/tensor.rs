//! Tensor = shared storage + layout + dtype + device, plus the autograd fields.
use crate::autograd::Node;
use crate::dtype::DType;
use crate::error::Result;
use crate::layout::Layout;
use crate::storage::{Elem, Storage};
use crate::with_dtype;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

static DEFAULT_GPU: AtomicBool = AtomicBool::new(false);

/// The device new tensors are made on (`kerasish.config.set_device`, `with kerasish.device(...)`).
pub fn default_device() -> Device {
    if DEFAULT_GPU.load(Ordering::Relaxed) {
        Device::Gpu
    } else {
        Device::Cpu
    }
}

pub fn set_default_device(d: Device) {
    DEFAULT_GPU.store(d == Device::Gpu, Ordering::Relaxed);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Cpu,
    /// wgpu (feature `gpu`); without the feature no tensor is ever on it.
    Gpu,
}

impl Device {
    pub fn name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Gpu => "gpu",
        }
    }

    pub fn parse(name: &str) -> Result<Device> {
        match name {
            "cpu" => Ok(Device::Cpu),
            "gpu" | "wgpu" => Ok(Device::Gpu),
            _ => crate::bail!(Value, "unknown device '{name}'; valid devices are 'cpu' and 'gpu'"),
        }
    }
}

pub struct Inner {
    pub storage: Storage,
    pub layout: Layout,
    pub dtype: DType,
    pub device: Device,
    pub(crate) requires_grad: AtomicBool,
    /// The op that made this tensor, while its graph is alive (None for leaves).
    pub(crate) node: Mutex<Option<Arc<Node>>>,
    /// Made by an op that recorded a node (so not a leaf, even after the graph is freed).
    pub(crate) from_op: bool,
    pub(crate) grad: Mutex<Option<Tensor>>,
}

/// Dropping the last tensor of a long chain would free the graph by recursion (tensor -> node ->
/// input tensor -> node ...) and could overflow the stack; this frees it with a worklist instead.
impl Drop for Inner {
    fn drop(&mut self) {
        let first = self.node.get_mut().unwrap_or_else(|e| e.into_inner()).take();
        let mut stack: Vec<Arc<Node>> = first.into_iter().collect();
        while let Some(n) = stack.pop() {
            if let Ok(node) = Arc::try_unwrap(n) {
                for t in node.inputs {
                    if let Ok(mut inner) = Arc::try_unwrap(t.0) {
                        if let Some(next) = inner.node.get_mut().unwrap_or_else(|e| e.into_inner()).take() {
                            stack.push(next);
                        }
                    }
                }
            }
        }
    }
}

#[derive(Clone)]
pub struct Tensor(pub Arc<Inner>);

impl Tensor {
    pub fn from_parts(storage: Storage, layout: Layout, dtype: DType) -> Tensor {
        let device = storage.device();
        Tensor::from_parts_on(storage, layout, dtype, device)
    }

    fn from_parts_on(storage: Storage, layout: Layout, dtype: DType, device: Device) -> Tensor {
        Tensor(Arc::new(Inner {
            storage,
            layout,
            dtype,
            device,
            requires_grad: AtomicBool::new(false),
            node: Mutex::new(None),
            from_op: false,
            grad: Mutex::new(None),
        }))
    }

    /// A contiguous tensor owning `data`.
    pub fn from_vec<T: Elem>(data: Vec<T>, shape: &[usize], dtype: DType) -> Tensor {
        debug_assert_eq!(data.len(), shape.iter().product::<usize>());
        Tensor::from_parts(Storage::new(T::into_buffer(data, dtype)), Layout::contiguous(shape), dtype)
    }

    pub fn full(shape: &[usize], value: f64, dtype: DType) -> Tensor {
        let n = shape.iter().product();
        with_dtype!(dtype, T => {
            let mut v = crate::storage::alloc::<T>(n);
            v.resize(n, T::from_f64(value));
            Tensor::from_vec(v, shape, dtype)
        })
    }

    pub fn scalar(value: f64, dtype: DType) -> Tensor {
        Tensor::full(&[], value, dtype)
    }

    /// A view of the same storage with another layout (no autograd; ops wrap this).
    pub fn with_layout(&self, layout: Layout) -> Tensor {
        Tensor::from_parts_on(self.0.storage.clone(), layout, self.0.dtype, self.0.device)
    }

    pub fn shape(&self) -> &[usize] {
        &self.0.layout.shape
    }
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }
    pub fn ndim(&self) -> usize {
        self.0.layout.ndim()
    }
    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }
    pub fn device(&self) -> Device {
        self.0.device
    }
    pub fn storage(&self) -> &Storage {
        &self.0.storage
    }
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad.load(Ordering::Relaxed)
    }
    pub fn set_requires_grad(&self, on: bool) {
        self.0.requires_grad.store(on, Ordering::Relaxed)
    }
    pub fn is_leaf(&self) -> bool {
        !self.0.from_op
    }
    pub fn grad(&self) -> Option<Tensor> {
        self.0.grad.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub fn set_grad(&self, g: Option<Tensor>) {
        *self.0.grad.lock().unwrap_or_else(|e| e.into_inner()) = g;
    }
    pub fn same_storage(&self, other: &Tensor) -> bool {
        self.0.storage.same(&other.0.storage)
    }
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }

    /// Value of a one-element tensor as f64.
    pub fn item_f64(&self) -> Result<f64> {
        if self.numel() != 1 {
            crate::bail!(
                Value,
                "item(): only a tensor with one element can be converted to a Python scalar, got shape {}",
                crate::error::fmt_shape(self.shape())
            );
        }
        if self.device() == Device::Gpu {
            return self.to_device(Device::Cpu)?.item_f64();
        }
        let buf = self.0.storage.read();
        let off = self.0.layout.offset;
        Ok(crate::with_dtype!(self.dtype(), T => T::slice(&buf)[off].to_f64()))
    }
}

/// The error for a GPU request in a build without the `gpu` feature.
pub fn no_gpu() -> crate::Error {
    crate::Error::Device(
        "this build of kerasish has no GPU support (it was built without the cargo feature 'gpu'; rebuild with `maturin develop --release --features gpu`)".into(),
    )
}
