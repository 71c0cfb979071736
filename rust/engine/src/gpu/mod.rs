//! The GPU device: WGSL compute shaders run through wgpu (feature `gpu`).
//!
//! One global context (instance, adapter, device, queue) made on first use; compute pipelines
//! cached by their generated WGSL source; storage buffers pooled by power-of-two size class (as
//! burn's cubecl does). Every GPU element is 4 bytes: float32 as f32, int64 as i32 (values must
//! fit in 32 bits), bool and uint8 as u32. WGSL has no 64-bit floats, so float64 stays on the CPU.
//!
//! Data crosses between host and device only in `upload` / `download`: `.to()`, `.numpy()`,
//! `.item()`, printing, 0-d CPU scalars an op mixes with GPU tensors, CPU index arrays that index
//! a GPU tensor, and three small read-backs that check values before work starts (the extremes
//! of GPU index tensors and of sparse labels; a GPU boolean mask, whose values give the result's
//! shape). Kernels are recorded into a shared command encoder and submitted in batches (`Batch`).
pub mod backend;
pub mod exprs;
pub mod kernels;

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::storage::{Buffer, Storage};
use crate::tensor::Tensor;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

pub struct Ctx {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    max_binding: u64,
    pub max_groups: u32,
    pipelines: Mutex<HashMap<String, wgpu::ComputePipeline>>,
    pool: Mutex<Pool>,
    batch: Mutex<Batch>,
}

/// Kernels recorded but not yet submitted: one command buffer carries many dispatches (a submit
/// per kernel costs more than a small kernel). Buffers freed meanwhile wait in `held` until the
/// submit: the pool must not hand one out (and `write_buffer` must not fill it) while recorded
/// work still reads it, because queued writes land before the next submit's commands run.
#[derive(Default)]
struct Batch {
    enc: Option<wgpu::CommandEncoder>,
    dispatches: usize,
    held: Vec<(u64, wgpu::Buffer)>,
    held_bytes: u64,
}

/// A batch is submitted after this many dispatches or this many bytes of freed buffers held.
const BATCH_DISPATCHES: usize = 128;
const BATCH_HELD_BYTES: u64 = 256 << 20;

#[derive(Default)]
struct Pool {
    free: HashMap<u64, Vec<wgpu::Buffer>>,
    bytes: u64,
}

/// Idle pooled bytes kept at most; beyond this freed buffers are released.
const POOL_MAX_BYTES: u64 = 1 << 30;
/// Smallest size class in bytes.
const MIN_CLASS: u64 = 256;

static CTX: OnceLock<std::result::Result<Ctx, String>> = OnceLock::new();

pub fn backends() -> wgpu::Backends {
    wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12
}

fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends();
    wgpu::Instance::new(desc)
}

fn device_type(t: wgpu::DeviceType) -> &'static str {
    match t {
        wgpu::DeviceType::DiscreteGpu => "discrete",
        wgpu::DeviceType::IntegratedGpu => "integrated",
        wgpu::DeviceType::VirtualGpu => "virtual",
        wgpu::DeviceType::Cpu => "cpu",
        wgpu::DeviceType::Other => "other",
    }
}

/// The adapters wgpu finds: (name, backend, device type).
pub fn adapters() -> Vec<(String, String, String)> {
    let found = std::panic::catch_unwind(|| pollster::block_on(instance().enumerate_adapters(backends())));
    found
        .unwrap_or_default()
        .into_iter()
        .map(|a| {
            let i = a.get_info();
            (i.name.clone(), format!("{:?}", i.backend).to_lowercase(), device_type(i.device_type).to_string())
        })
        .collect()
}

fn init() -> std::result::Result<Ctx, String> {
    let inst = instance();
    let opts = wgpu::RequestAdapterOptions { power_preference: wgpu::PowerPreference::HighPerformance, ..Default::default() };
    let adapter = pollster::block_on(inst.request_adapter(&opts)).map_err(|e| {
        format!("no GPU adapter found ({e}); kerasish looks for Vulkan, Metal or DX12 (on Linux without a GPU, install Mesa's lavapipe: apt-get install mesa-vulkan-drivers libvulkan1)")
    })?;
    let limits = adapter.limits();
    let desc = wgpu::DeviceDescriptor {
        label: Some("kerasish"),
        required_features: wgpu::Features::empty(),
        required_limits: limits.clone(),
        memory_hints: wgpu::MemoryHints::Performance,
        ..Default::default()
    };
    let (device, queue) =
        pollster::block_on(adapter.request_device(&desc)).map_err(|e| format!("the GPU adapter refused a device: {e}"))?;
    // a validation error the scopes below do not catch must not panic inside wgpu
    device.on_uncaptured_error(std::sync::Arc::new(|e: wgpu::Error| eprintln!("kerasish: GPU error: {e}")));
    Ok(Ctx {
        device,
        queue,
        info: adapter.get_info(),
        max_binding: limits.max_storage_buffer_binding_size.min(limits.max_buffer_size),
        max_groups: limits.max_compute_workgroups_per_dimension,
        pipelines: Mutex::new(HashMap::new()),
        pool: Mutex::new(Pool::default()),
        batch: Mutex::new(Batch::default()),
    })
}

/// The global context, made on first use; an error names what is missing.
pub fn ctx() -> Result<&'static Ctx> {
    let r =
        CTX.get_or_init(|| std::panic::catch_unwind(init).unwrap_or_else(|_| Err("wgpu panicked while opening the GPU".into())));
    r.as_ref().map_err(|m| Error::Device(m.clone()))
}

/// A GPU storage buffer: `len` elements of 4 bytes in a buffer of size class `class`.
pub struct GpuBuf {
    buf: Option<wgpu::Buffer>,
    pub len: usize,
    class: u64,
}

impl std::fmt::Debug for GpuBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuBuf({} elements)", self.len)
    }
}

impl crate::storage::DeviceMemory for GpuBuf {
    fn len(&self) -> usize {
        self.len
    }
}

/// The GPU buffer a device tensor's storage holds.
fn gpu_buf(m: &dyn crate::storage::DeviceMemory) -> Result<&GpuBuf> {
    (m as &dyn std::any::Any).downcast_ref::<GpuBuf>().ok_or_else(|| Error::Device("engine bug: not a GPU buffer".into()))
}

impl GpuBuf {
    pub fn raw(&self) -> &wgpu::Buffer {
        self.buf.as_ref().expect("a live GpuBuf always holds its buffer")
    }
}

impl Drop for GpuBuf {
    fn drop(&mut self) {
        let (Some(b), Some(Ok(c))) = (self.buf.take(), CTX.get()) else { return };
        crate::storage::stats::sub_gpu(self.class);
        let mut batch = c.batch.lock().unwrap_or_else(|e| e.into_inner());
        if batch.enc.is_some() {
            batch.held_bytes += self.class;
            batch.held.push((self.class, b));
        } else {
            drop(batch);
            c.give(self.class, b);
        }
    }
}

impl Ctx {
    /// Returns an idle buffer to the pool (or releases it when the pool is full).
    fn give(&self, class: u64, b: wgpu::Buffer) {
        let mut p = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if p.bytes + class <= POOL_MAX_BYTES {
            p.bytes += class;
            p.free.entry(class).or_default().push(b);
        }
    }

    /// Submits the recorded kernels (and `last`, a copy to read back, when given); the buffers
    /// freed while they were recorded go back to the pool.
    fn submit(&self, last: Option<wgpu::CommandEncoder>) {
        let (enc, held) = {
            let mut b = self.batch.lock().unwrap_or_else(|e| e.into_inner());
            b.dispatches = 0;
            b.held_bytes = 0;
            (b.enc.take(), std::mem::take(&mut b.held))
        };
        let cmds: Vec<wgpu::CommandBuffer> = enc.into_iter().chain(last).map(|e| e.finish()).collect();
        if !cmds.is_empty() {
            self.queue.submit(cmds);
        }
        for (class, buf) in held {
            self.give(class, buf);
        }
    }

    /// Sends every recorded kernel to the GPU now (they run in order after earlier work).
    pub fn flush(&self) {
        self.submit(None);
    }

    /// A buffer for `n` 4-byte elements (contents undefined), from the pool when one is free.
    pub fn alloc(&self, n: usize) -> Result<GpuBuf> {
        let bytes = (n as u64).saturating_mul(4);
        let class = bytes.max(MIN_CLASS).checked_next_power_of_two().unwrap_or(u64::MAX);
        if class > self.max_binding {
            return Err(Error::Memory(format!(
                "a GPU buffer of {n} elements needs {bytes} bytes; this GPU ({}) binds at most {} bytes per buffer",
                self.info.name, self.max_binding
            )));
        }
        if let Some(why) = crate::storage::budget::over_cap(class) {
            return Err(Error::Memory(format!("a GPU buffer of {n} elements needs {bytes} bytes, {why}")));
        }
        let pooled = {
            let mut p = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            let b = p.free.get_mut(&class).and_then(|v| v.pop());
            if b.is_some() {
                p.bytes -= class;
            }
            b
        };
        let buf = pooled.unwrap_or_else(|| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: class,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        });
        crate::storage::stats::add_gpu(class);
        Ok(GpuBuf { buf: Some(buf), len: n, class })
    }

    /// A buffer holding these 4-byte words.
    pub fn upload_words(&self, words: &[u32]) -> Result<GpuBuf> {
        let b = self.alloc(words.len())?;
        if !words.is_empty() {
            self.queue.write_buffer(b.raw(), 0, bytemuck::cast_slice(words));
        }
        Ok(b)
    }

    /// Reads `n` words starting at word `offset`; waits for the queue.
    pub fn download_words(&self, b: &GpuBuf, offset: usize, n: usize) -> Result<Vec<u32>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let size = n as u64 * 4;
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("kerasish download"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(b.raw(), offset as u64 * 4, &staging, 0, size);
        self.submit(Some(enc));
        let (tx, rx) = std::sync::mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Device(format!("waiting for the GPU failed: {e}")))?;
        match rx.recv() {
            Ok(Ok(())) => {}
            _ => return Err(Error::Device("reading a GPU buffer back failed".into())),
        }
        let out = {
            let view = staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| Error::Device(format!("reading a GPU buffer back failed: {e}")))?;
            bytemuck::cast_slice::<u8, u32>(&view).to_vec()
        };
        staging.unmap();
        Ok(out)
    }

    /// The compute pipeline of this WGSL source (entry `main`), compiled once.
    pub fn pipeline(&self, src: &str) -> Result<wgpu::ComputePipeline> {
        if let Some(p) = self.pipelines.lock().unwrap_or_else(|e| e.into_inner()).get(src) {
            return Ok(p.clone());
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor { label: None, source: wgpu::ShaderSource::Wgsl(src.into()) });
        let p = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: None,
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Device(format!("a GPU kernel failed to compile (engine bug): {e}")));
        }
        self.pipelines.lock().unwrap_or_else(|e| e.into_inner()).insert(src.to_string(), p.clone());
        Ok(p)
    }

    /// Runs `pipeline` once with the buffers bound at 0, 1, 2, ... and `groups` workgroups.
    pub fn dispatch(&self, p: &wgpu::ComputePipeline, bufs: &[&wgpu::Buffer], groups: (u32, u32, u32)) {
        if groups.0 == 0 || groups.1 == 0 || groups.2 == 0 {
            return;
        }
        let layout = p.get_bind_group_layout(0);
        let entries: Vec<wgpu::BindGroupEntry> = bufs
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() })
            .collect();
        let bg = self.device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &layout, entries: &entries });
        let full = {
            let mut b = self.batch.lock().unwrap_or_else(|e| e.into_inner());
            let enc = b.enc.get_or_insert_with(|| self.device.create_command_encoder(&Default::default()));
            {
                let mut pass = enc.begin_compute_pass(&Default::default());
                pass.set_pipeline(p);
                pass.set_bind_group(0, &bg, &[]);
                pass.dispatch_workgroups(groups.0, groups.1, groups.2);
            }
            b.dispatches += 1;
            b.dispatches >= BATCH_DISPATCHES || b.held_bytes >= BATCH_HELD_BYTES
        };
        if full {
            self.flush();
        }
    }

    /// Workgroups of 256 for a grid-stride kernel over `n` items: one item per invocation on a
    /// GPU (up to 4096 workgroups), a few workgroups on a CPU adapter (lavapipe runs each
    /// workgroup as a task, and tens of thousands of them cost more than the work).
    pub fn flat_grid(&self, n: usize) -> (u32, u32, u32) {
        let cap = if self.info.device_type == wgpu::DeviceType::Cpu { 32 } else { 4096 };
        if n == 0 {
            return (0, 1, 1);
        }
        (n.div_ceil(256).min(cap) as u32, 1, 1)
    }

    /// Workgroups (x, y) covering `n` items: x at most the device limit, y the rest.
    pub fn grid(&self, n: usize) -> (u32, u32, u32) {
        if n == 0 {
            return (0, 1, 1);
        }
        let maxx = self.max_groups.max(1) as usize;
        let x = n.min(maxx);
        (x as u32, n.div_ceil(x) as u32, 1)
    }
}

/// Submits the recorded GPU kernels, if the GPU was opened.
pub fn flush() {
    if let Some(Ok(c)) = CTX.get() {
        c.flush();
    }
}

/// The GPU buffer of a GPU tensor's storage (a clone of the handle).
pub(crate) fn raw(t: &Tensor) -> Result<wgpu::Buffer> {
    match &*t.storage().read() {
        Buffer::Device(b) => Ok(gpu_buf(&**b)?.raw().clone()),
        _ => Err(Error::Device("engine bug: expected a GPU tensor".into())),
    }
}

/// Checks that a dtype can live on the GPU.
pub fn check_dtype(op: &str, dt: DType) -> Result<()> {
    match dt {
        DType::F64 => crate::bail!(
            DType,
            "{op}: float64 is not supported on the GPU (WGSL has no 64-bit floats); cast to float32 first, or keep the tensor on the CPU"
        ),
        DType::F16 | DType::BF16 => crate::bail!(
            DType,
            "{op}: {} is not supported on the GPU (the GPU holds bool, the integers up to 32 bits and float32); cast to float32 first, or keep the tensor on the CPU",
            dt.name()
        ),
        _ => Ok(()),
    }
}

/// A new contiguous GPU tensor over a buffer.
pub(crate) fn wrap(buf: GpuBuf, shape: &[usize], dtype: DType) -> Tensor {
    Tensor::from_parts(Storage::new(Buffer::Device(Box::new(buf))), Layout::contiguous(shape), dtype)
}

/// Copies a CPU tensor to the GPU (contiguous).
pub fn upload(t: &Tensor) -> Result<Tensor> {
    check_dtype("to('gpu')", t.dtype())?;
    let c = ctx()?;
    let words: Vec<u32> = match t.dtype() {
        DType::F32 => t.to_vec::<f32>().into_iter().map(f32::to_bits).collect(),
        DType::I64 => {
            let v = t.to_vec::<i64>();
            if let Some(bad) = v.iter().find(|&&x| x < i32::MIN as i64 || x > i32::MAX as i64) {
                crate::bail!(Value, "to('gpu'): the GPU holds int64 tensors as 32-bit integers; the value {bad} does not fit");
            }
            v.into_iter().map(|x| x as i32 as u32).collect()
        }
        DType::I32 => t.to_vec::<i32>().into_iter().map(|x| x as u32).collect(),
        DType::I16 => t.to_vec::<i16>().into_iter().map(|x| x as i32 as u32).collect(),
        DType::I8 => t.to_vec::<i8>().into_iter().map(|x| x as i32 as u32).collect(),
        DType::U32 => t.to_vec::<u32>(),
        DType::U16 => t.to_vec::<u16>().into_iter().map(u32::from).collect(),
        DType::Bool | DType::U8 => t.to_vec::<u8>().into_iter().map(u32::from).collect(),
        DType::F16 | DType::BF16 | DType::F64 => unreachable!("checked above"),
    };
    Ok(wrap(c.upload_words(&words)?, t.shape(), t.dtype()))
}

/// Copies a GPU tensor to a new contiguous CPU tensor.
pub fn download(t: &Tensor) -> Result<Tensor> {
    let c = ctx()?;
    let src = kernels::contiguous(t)?;
    let words = {
        let g = src.storage().read();
        let Buffer::Device(b) = &*g else { return Err(Error::Device("engine bug: expected a GPU tensor".into())) };
        let b = gpu_buf(&**b)?;
        c.download_words(b, src.layout().offset, src.numel())?
    };
    let shape = t.shape();
    Ok(match t.dtype() {
        DType::F32 => Tensor::from_vec(words.into_iter().map(f32::from_bits).collect::<Vec<f32>>(), shape, DType::F32),
        DType::I64 => Tensor::from_vec(words.into_iter().map(|w| w as i32 as i64).collect::<Vec<i64>>(), shape, DType::I64),
        DType::I32 => Tensor::from_vec(words.into_iter().map(|w| w as i32).collect::<Vec<i32>>(), shape, DType::I32),
        DType::I16 => Tensor::from_vec(words.into_iter().map(|w| w as i16).collect::<Vec<i16>>(), shape, DType::I16),
        DType::I8 => Tensor::from_vec(words.into_iter().map(|w| w as i8).collect::<Vec<i8>>(), shape, DType::I8),
        DType::U32 => Tensor::from_vec(words, shape, DType::U32),
        DType::U16 => Tensor::from_vec(words.into_iter().map(|w| w as u16).collect::<Vec<u16>>(), shape, DType::U16),
        dt => Tensor::from_vec(words.into_iter().map(|w| w as u8).collect::<Vec<u8>>(), shape, dt),
    })
}
