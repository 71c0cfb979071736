//! Storage: one typed buffer shared by every view of it (Arc), behind a RwLock so that
//! optimizers can update parameters in place while views stay valid.
use crate::dtype::DType;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

#[derive(Debug)]
pub enum Buffer {
    Bool(Vec<u8>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F16(Vec<half::f16>),
    BF16(Vec<half::bf16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    /// Memory on a device (a GPU buffer): CPU kernels never see one; the device's backend
    /// reads it (gpu/ downcasts it to its buffer type).
    Device(Box<dyn DeviceMemory>),
}

/// A device's buffer as storage holds it: storage knows only its length; its backend knows the
/// rest.
pub trait DeviceMemory: std::fmt::Debug + Send + Sync + std::any::Any {
    /// Elements held.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs `$e` with `$v` bound to the Vec of whichever host variant `$b` is (`$dev` for a device
/// buffer).
macro_rules! each_host {
    ($b:expr, $v:ident => $e:expr, $dev:expr) => {
        match $b {
            Buffer::Bool($v) | Buffer::U8($v) => $e,
            Buffer::U16($v) => $e,
            Buffer::U32($v) => $e,
            Buffer::I8($v) => $e,
            Buffer::I16($v) => $e,
            Buffer::I32($v) => $e,
            Buffer::I64($v) => $e,
            Buffer::F16($v) => $e,
            Buffer::BF16($v) => $e,
            Buffer::F32($v) => $e,
            Buffer::F64($v) => $e,
            Buffer::Device(_) => $dev,
        }
    };
}

impl Buffer {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        match self {
            Buffer::Device(b) => b.len(),
            b => each_host!(b, v => v.len(), 0),
        }
    }

    pub fn as_ptr(&self) -> *const u8 {
        each_host!(self, v => v.as_ptr().cast::<u8>(), std::ptr::null())
    }
}

impl Buffer {
    fn capacity_bytes(&self) -> usize {
        // host memory only: GPU buffers are not counted (and never enter the host pool)
        each_host!(self, v => v.capacity() * std::mem::size_of_val(&v.first().copied().unwrap_or_default()), 0)
    }

    /// Frees the memory now, bypassing the pool.
    fn free(&mut self) {
        each_host!(self, v => drop(std::mem::take(v)), {})
    }

    fn take_all(&mut self) -> Buffer {
        match self {
            Buffer::Bool(v) => Buffer::Bool(std::mem::take(v)),
            Buffer::U8(v) => Buffer::U8(std::mem::take(v)),
            Buffer::U16(v) => Buffer::U16(std::mem::take(v)),
            Buffer::U32(v) => Buffer::U32(std::mem::take(v)),
            Buffer::I8(v) => Buffer::I8(std::mem::take(v)),
            Buffer::I16(v) => Buffer::I16(std::mem::take(v)),
            Buffer::I32(v) => Buffer::I32(std::mem::take(v)),
            Buffer::I64(v) => Buffer::I64(std::mem::take(v)),
            Buffer::F16(v) => Buffer::F16(std::mem::take(v)),
            Buffer::BF16(v) => Buffer::BF16(std::mem::take(v)),
            Buffer::F32(v) => Buffer::F32(std::mem::take(v)),
            Buffer::F64(v) => Buffer::F64(std::mem::take(v)),
            Buffer::Device(_) => Buffer::Bool(Vec::new()),
        }
    }
}

/// Large freed buffers are kept for reuse: a fresh allocation of tens of megabytes costs page
/// faults on every first touch, a reused one is warm. Bounded in count and bytes.
mod pool {
    use super::{Buffer, Elem};
    use std::sync::Mutex;

    pub const MIN_BYTES: usize = 1 << 20;
    const MAX_BYTES: usize = 512 << 20;
    const MAX_ENTRIES: usize = 32;
    static POOL: Mutex<Vec<Buffer>> = Mutex::new(Vec::new());

    pub fn give(b: &mut Buffer) {
        let bytes = b.capacity_bytes();
        if !(MIN_BYTES..=MAX_BYTES / 4).contains(&bytes) {
            return;
        }
        let kept = b.take_all();
        let mut evicted = Vec::new();
        {
            let mut p = POOL.lock().unwrap_or_else(|e| e.into_inner());
            let mut total: usize = p.iter().map(|x| x.capacity_bytes()).sum::<usize>() + bytes;
            while !p.is_empty() && (total > MAX_BYTES || p.len() >= MAX_ENTRIES) {
                let old = p.remove(0);
                total -= old.capacity_bytes();
                evicted.push(old);
            }
            p.push(kept);
        }
        for mut old in evicted {
            old.free();
        }
    }

    pub fn take<T: Elem>(n: usize) -> Option<Vec<T>> {
        let bytes = n * std::mem::size_of::<T>();
        if bytes < MIN_BYTES {
            return None;
        }
        let mut p = POOL.lock().unwrap_or_else(|e| e.into_inner());
        for i in (0..p.len()).rev() {
            let cap = p[i].capacity_bytes();
            if cap >= bytes && cap <= bytes + bytes / 4 {
                if let Some(mut v) = T::take_vec(&mut p[i]) {
                    p.remove(i);
                    v.clear();
                    return Some(v);
                }
            }
        }
        None
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        stats::sub(self.capacity_bytes());
        pool::give(self);
    }
}

/// Bytes held by tensors now and at most since the last reset, per device (the pools' idle
/// buffers are not counted; a GPU buffer counts its whole size class), for the memory report of
/// `fit`.
pub mod stats {
    use std::sync::atomic::{AtomicI64, Ordering};

    /// [cpu, gpu]
    static LIVE: [AtomicI64; 2] = [AtomicI64::new(0), AtomicI64::new(0)];
    static PEAK: [AtomicI64; 2] = [AtomicI64::new(0), AtomicI64::new(0)];

    fn add_on(d: usize, bytes: u64) {
        let now = LIVE[d].fetch_add(bytes as i64, Ordering::Relaxed) + bytes as i64;
        PEAK[d].fetch_max(now, Ordering::Relaxed);
    }

    pub(super) fn add(bytes: usize) {
        add_on(0, bytes as u64)
    }

    pub(super) fn sub(bytes: usize) {
        LIVE[0].fetch_sub(bytes as i64, Ordering::Relaxed);
    }

    /// A device buffer's bytes (the device's own counters; host memory is counted above).
    pub fn add_gpu(bytes: u64) {
        add_on(1, bytes)
    }

    pub fn sub_gpu(bytes: u64) {
        LIVE[1].fetch_sub(bytes as i64, Ordering::Relaxed);
    }

    /// (live bytes, peak bytes) on the CPU (`gpu` false) or the GPU.
    pub fn get(gpu: bool) -> (i64, i64) {
        let d = gpu as usize;
        (LIVE[d].load(Ordering::Relaxed).max(0), PEAK[d].load(Ordering::Relaxed).max(0))
    }

    /// Starts a new peak on both devices from what is live now.
    pub fn reset_peak() {
        for d in 0..2 {
            PEAK[d].store(LIVE[d].load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}

/// What the machine can give: requests are compared with it before any memory is touched
/// (reserving address space is no check: with overcommit it succeeds far past the RAM there is,
/// and the pages then fill memory as they are written).
pub mod budget {
    use std::sync::OnceLock;

    /// Requests below this are not compared with the machine's free memory (reading it costs
    /// microseconds); the cap, when set, applies to every request.
    pub const CHECK_MIN: usize = 64 << 20;

    /// `KERASISH_MAX_MEMORY` (bytes, or with a K/M/G/T suffix, powers of 1024): the most the
    /// tensors may hold together, on the CPU and the GPU. Read once, at the first request.
    pub fn cap() -> Option<u64> {
        static CAP: OnceLock<Option<u64>> = OnceLock::new();
        *CAP.get_or_init(|| std::env::var("KERASISH_MAX_MEMORY").ok().and_then(|v| parse_bytes(&v)))
    }

    pub fn parse_bytes(v: &str) -> Option<u64> {
        let v = v.trim();
        let (num, mul) = match v.char_indices().last()? {
            (i, c) if c.is_ascii_alphabetic() => {
                let m = match c.to_ascii_uppercase() {
                    'K' => 1u64 << 10,
                    'M' => 1 << 20,
                    'G' => 1 << 30,
                    'T' => 1 << 40,
                    _ => return None,
                };
                (&v[..i], m)
            }
            _ => (v, 1),
        };
        let x: f64 = num.trim().parse().ok()?;
        (x.is_finite() && x >= 0.0).then_some((x * mul as f64) as u64)
    }

    fn read_u64(path: &str) -> Option<u64> {
        std::fs::read_to_string(path).ok()?.trim().parse().ok()
    }

    /// Bytes this process can still be given: MemAvailable plus free swap, and no more than
    /// its cgroup's limit less its usage (v2, else v1). None where it cannot be read.
    pub fn available() -> Option<u64> {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let field = |name: &str| -> Option<u64> {
            let line = info.lines().find(|l| l.starts_with(name))?;
            Some(line[name.len()..].trim().trim_end_matches("kB").trim().parse::<u64>().ok()? * 1024)
        };
        let mut avail = field("MemAvailable:")?.saturating_add(field("SwapFree:").unwrap_or(0));
        let cg = match (read_u64("/sys/fs/cgroup/memory.max"), read_u64("/sys/fs/cgroup/memory.current")) {
            (Some(max), Some(cur)) => Some(max.saturating_sub(cur)),
            _ => match (
                read_u64("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
                read_u64("/sys/fs/cgroup/memory/memory.usage_in_bytes"),
            ) {
                (Some(max), Some(cur)) => Some(max.saturating_sub(cur)),
                _ => None,
            },
        };
        if let Some(c) = cg {
            avail = avail.min(c);
        }
        Some(avail)
    }

    /// Why `bytes` more cannot be held now (None when they can).
    pub fn refuse(bytes: usize) -> Option<String> {
        if let Some(why) = over_cap(bytes as u64) {
            return Some(why);
        }
        if bytes >= CHECK_MIN {
            match available() {
                Some(avail) if bytes as u64 > avail => {
                    return Some(format!("more than the {} of memory available", human(avail)))
                }
                Some(_) => {}
                // no /proc: ask the allocator once (and give it back)
                None => {
                    let mut probe: Vec<u8> = Vec::new();
                    if probe.try_reserve_exact(bytes).is_err() {
                        return Some("more than the allocator can reserve".into());
                    }
                }
            }
        }
        None
    }

    /// Why `bytes` more would pass `KERASISH_MAX_MEMORY` (None when no cap is set or they fit).
    /// Tensors on both devices count (on a CPU adapter GPU buffers are host memory too); GPU
    /// buffers are held to the cap only, as the device's own memory is not the host's.
    pub fn over_cap(bytes: u64) -> Option<String> {
        let cap = cap()?;
        let live = (super::stats::get(false).0.max(0) + super::stats::get(true).0.max(0)) as u64;
        (live.saturating_add(bytes) > cap)
            .then(|| format!("over the KERASISH_MAX_MEMORY cap of {} ({} already held by tensors)", human(cap), human(live)))
    }

    pub fn human(b: u64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        let mut x = b as f64;
        let mut u = 0;
        while x >= 1024.0 && u + 1 < units.len() {
            x /= 1024.0;
            u += 1;
        }
        if u == 0 {
            format!("{b} B")
        } else {
            format!("{x:.1} {}", units[u])
        }
    }
}

/// Checks, before any work, that a result of this shape can be held: its element count and
/// byte size must not overflow, and the bytes must fit in what the machine can give (and under
/// `KERASISH_MAX_MEMORY`), else a MemoryError naming the shape and the bytes. Returns the
/// element count.
pub fn check_size(op: &str, shape: &[usize], dtype: DType) -> crate::Result<usize> {
    let what = || format!("{op}: a result of shape {} and dtype {}", crate::error::fmt_shape(shape), dtype.name());
    if strided_bytes(shape, dtype.size()).is_none() {
        return Err(crate::Error::Memory(format!("{} is too large to allocate (its size overflows 64 bits)", what())));
    }
    // no overflow from here: the product with zero dims counted as 1 fits
    let n: usize = shape.iter().product();
    let bytes = n * dtype.size();
    check_bytes(bytes).map_err(|why| {
        crate::Error::Memory(format!("{} needs {} ({bytes} bytes), {why}", what(), budget::human(bytes as u64)))
    })?;
    Ok(n)
}

/// The element count of a shape that a view may have (no memory is needed for it, but the
/// count, and so every index into it, must not overflow).
pub fn check_numel(op: &str, shape: &[usize]) -> crate::Result<usize> {
    match strided_bytes(shape, 8) {
        Some(_) => Ok(shape.iter().product()),
        None => Err(crate::Error::Value(format!(
            "{op}: a tensor of shape {} has more elements than fit in 64 bits",
            crate::error::fmt_shape(shape)
        ))),
    }
}

/// The bytes of a shape with its zero dims counted as 1 (NumPy's rule, so that every stride of
/// the contiguous layout, even of an empty tensor, fits in an isize), or None when that overflows.
fn strided_bytes(shape: &[usize], elem: usize) -> Option<usize> {
    shape.iter().try_fold(elem, |a, &d| a.checked_mul(d.max(1))).filter(|&b| b <= isize::MAX as usize)
}

/// `Err(why)` when `bytes` more cannot be held now.
pub fn check_bytes(bytes: usize) -> std::result::Result<(), String> {
    match budget::refuse(bytes) {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// The panic payload of an allocation refused by [`alloc`]: the bindings turn it into a
/// MemoryError (ops check their result's size with [`check_size`] before any work; this is the
/// net under every kernel that sizes its buffer from a view, so none of them can fill memory).
#[derive(Debug)]
pub struct AllocRefused(pub String);

/// An empty Vec with room for `n` elements, warm from the pool when one fits.
pub fn alloc<T: Elem>(n: usize) -> Vec<T> {
    let bytes = n.checked_mul(std::mem::size_of::<T>()).filter(|&b| b <= isize::MAX as usize);
    match bytes {
        None => std::panic::panic_any(AllocRefused(format!("a buffer of {n} elements is too large to allocate"))),
        Some(b) if b >= budget::CHECK_MIN || budget::cap().is_some() => {
            if let Err(why) = check_bytes(b) {
                std::panic::panic_any(AllocRefused(format!(
                    "a buffer of {n} elements needs {} ({b} bytes), {why}",
                    budget::human(b as u64)
                )));
            }
        }
        _ => {}
    }
    pool::take(n).unwrap_or_else(|| Vec::with_capacity(n))
}

/// A Vec of `n` elements for a kernel that writes every one of them before anything reads them
/// (a GEMM with beta = 0, a pass that stores each output once): no zero-fill first.
pub fn alloc_for_overwrite<T: Elem>(n: usize) -> Vec<T> {
    let mut v = alloc::<T>(n);
    // SAFETY: the capacity holds n elements; every Elem is a plain number for which any bit
    // pattern is valid, and callers write all n before reading any.
    unsafe { v.set_len(n) };
    v
}

/// A Vec of `n` default (zero) elements, from the pool when one fits.
pub fn alloc_zeroed<T: Elem>(n: usize) -> Vec<T> {
    let mut v = alloc(n);
    v.resize(n, T::default());
    v
}

#[derive(Clone, Debug)]
pub struct Storage(pub Arc<RwLock<Buffer>>);

impl Storage {
    pub fn new(b: Buffer) -> Storage {
        stats::add(b.capacity_bytes());
        Storage(Arc::new(RwLock::new(b)))
    }
    pub fn read(&self) -> RwLockReadGuard<'_, Buffer> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }
    pub fn write(&self) -> RwLockWriteGuard<'_, Buffer> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
    /// The device the buffer lives on.
    pub fn device(&self) -> crate::tensor::Device {
        match &*self.read() {
            Buffer::Device(_) => crate::tensor::Device::Gpu,
            _ => crate::tensor::Device::Cpu,
        }
    }
    /// No other tensor or view holds this storage.
    pub fn is_unique(&self) -> bool {
        Arc::strong_count(&self.0) == 1
    }
    pub fn same(&self, other: &Storage) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A Rust element type that a Buffer can hold. u8 serves both bool and uint8; half's f16 and
/// bf16 hold float16 and bfloat16.
pub trait Elem: Copy + Send + Sync + 'static + PartialOrd + Default + std::fmt::Debug {
    fn slice(b: &Buffer) -> &[Self];
    fn slice_mut(b: &mut Buffer) -> &mut [Self];
    fn into_buffer(v: Vec<Self>, dtype: DType) -> Buffer;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    fn to_i64(self) -> i64;
    /// From an integer: integer types keep its low bits (wrap, as NumPy's astype does), floats
    /// round it to nearest.
    fn from_i64(v: i64) -> Self;
    /// Moves the Vec out of a buffer of this element type (None for another type).
    fn take_vec(b: &mut Buffer) -> Option<Vec<Self>>;
}

macro_rules! elem {
    ($t:ty, $($variant:ident)|+, $build:expr, $from:expr, $toi:expr, $tof:expr, $fromi:expr) => {
        impl Elem for $t {
            fn slice(b: &Buffer) -> &[$t] {
                match b { $(Buffer::$variant(v))|+ => v, _ => unreachable!("buffer dtype mismatch") }
            }
            fn slice_mut(b: &mut Buffer) -> &mut [$t] {
                match b { $(Buffer::$variant(v))|+ => v, _ => unreachable!("buffer dtype mismatch") }
            }
            fn into_buffer(v: Vec<$t>, dtype: DType) -> Buffer {
                let build: fn(Vec<$t>, DType) -> Buffer = $build;
                build(v, dtype)
            }
            fn to_f64(self) -> f64 {
                let tof: fn($t) -> f64 = $tof;
                tof(self)
            }
            fn from_f64(v: f64) -> $t {
                let from: fn(f64) -> $t = $from;
                from(v)
            }
            fn to_i64(self) -> i64 {
                let toi: fn($t) -> i64 = $toi;
                toi(self)
            }
            fn from_i64(v: i64) -> $t {
                let fromi: fn(i64) -> $t = $fromi;
                fromi(v)
            }
            fn take_vec(b: &mut Buffer) -> Option<Vec<$t>> {
                match b { $(Buffer::$variant(v))|+ => Some(std::mem::take(v)), _ => None }
            }
        }
    };
}

elem!(f32, F32, |v, _| Buffer::F32(v), |x| x as f32, |x| x as i64, |x| x as f64, |x| x as f32);
elem!(f64, F64, |v, _| Buffer::F64(v), |x| x, |x| x as i64, |x| x, |x| x as f64);
elem!(i64, I64, |v, _| Buffer::I64(v), |x| x as i64, |x| x, |x| x as f64, |x| x);
elem!(i32, I32, |v, _| Buffer::I32(v), |x| x as i32, |x| x as i64, |x| x as f64, |x| x as i32);
elem!(i16, I16, |v, _| Buffer::I16(v), |x| x as i16, |x| x as i64, |x| x as f64, |x| x as i16);
elem!(i8, I8, |v, _| Buffer::I8(v), |x| x as i8, |x| x as i64, |x| x as f64, |x| x as i8);
elem!(u32, U32, |v, _| Buffer::U32(v), |x| x as u32, |x| x as i64, |x| x as f64, |x| x as u32);
elem!(u16, U16, |v, _| Buffer::U16(v), |x| x as u16, |x| x as i64, |x| x as f64, |x| x as u16);
elem!(
    u8,
    Bool | U8,
    |v, d| if d == DType::Bool { Buffer::Bool(v) } else { Buffer::U8(v) },
    |x| x as u8,
    |x| x as i64,
    |x| x as f64,
    |x| x as u8
);
elem!(
    half::f16,
    F16,
    |v, _| Buffer::F16(v),
    half::f16::from_f64,
    |x| x.to_f64() as i64,
    |x| x.to_f64(),
    |x| half::f16::from_f64(x as f64)
);
elem!(half::bf16, BF16, |v, _| Buffer::BF16(v), half::bf16::from_f64, |x| x.to_f64() as i64, |x| x.to_f64(), |x| {
    half::bf16::from_f64(x as f64)
});

/// Runs `$body` with `$T` bound to the Rust type of `$dt`.
#[macro_export]
macro_rules! with_dtype {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            $crate::dtype::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::dtype::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::dtype::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::dtype::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::dtype::DType::I16 => {
                type $T = i16;
                $body
            }
            $crate::dtype::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::dtype::DType::U32 => {
                type $T = u32;
                $body
            }
            $crate::dtype::DType::U16 => {
                type $T = u16;
                $body
            }
            $crate::dtype::DType::Bool | $crate::dtype::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::dtype::DType::F16 => {
                type $T = half::f16;
                $body
            }
            $crate::dtype::DType::BF16 => {
                type $T = half::bf16;
                $body
            }
        }
    };
}

/// Runs `$body` with `$T` bound to f32 or f64; other dtypes are a bug of the caller
/// (ops cast to a float dtype before they get here).
#[macro_export]
macro_rules! with_float {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            $crate::dtype::DType::F64 => {
                type $T = f64;
                $body
            }
            _ => {
                type $T = f32;
                $body
            }
        }
    };
}
