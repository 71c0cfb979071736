//! The batch loops of fit / evaluate / predict: rows copied from host arrays (by the shuffled
//! order) into a plan's input tensors, the plan replayed per batch, outputs written back into
//! host arrays. The bindings hand in the arrays and decide when to look for Ctrl-C; everything
//! else is here, so the loop is tested without Python.
use crate::dtype::DType;
use crate::error::Result;
use crate::plan::Plan;
use crate::storage::Elem;
use crate::tensor::{default_device, Device, Tensor};
use crate::{bail, with_dtype};

/// A C-contiguous host array the loop reads rows from or writes rows into (a NumPy array's
/// memory): its address, shape and dtype.
pub struct HostArray {
    ptr: usize,
    pub shape: Vec<usize>,
    pub dtype: DType,
}

impl HostArray {
    /// # Safety
    /// `ptr` addresses `shape.product()` elements of `dtype`, C-contiguous, that stay alive and
    /// that nothing else touches while the loop holds the HostArray (outputs are written).
    pub unsafe fn new(ptr: *mut u8, shape: Vec<usize>, dtype: DType) -> HostArray {
        HostArray { ptr: ptr as usize, shape, dtype }
    }

    fn row_len(&self) -> usize {
        self.shape[1..].iter().product()
    }

    fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(0)
    }

    /// Copies rows `rows` (in order) into the contiguous tensor `dst`.
    fn gather_rows(&self, dst: &Tensor, rows: &[usize]) {
        let row = self.row_len();
        with_dtype!(dst.dtype(), T => {
            // SAFETY: HostArray::new's contract; the array is only read here.
            let s: &[T] = unsafe { std::slice::from_raw_parts(self.ptr as *const T, self.rows() * row) };
            let mut g = dst.storage().write();
            let d = T::slice_mut(&mut g);
            for (j, &r) in rows.iter().enumerate() {
                d[j * row..(j + 1) * row].copy_from_slice(&s[r * row..(r + 1) * row]);
            }
        });
    }

    /// Writes a tensor (a GPU one is read back) into rows [lo, lo + n).
    fn scatter_rows(&self, src: &Tensor, lo: usize) -> Result<()> {
        let host = src.to_device(Device::Cpu)?;
        let row = self.row_len();
        with_dtype!(host.dtype(), T => {
            let v = host.to_vec::<T>();
            // SAFETY: HostArray::new's contract; rows are within bounds (checked in Batches::new).
            let d: &mut [T] = unsafe { std::slice::from_raw_parts_mut(self.ptr as *mut T, self.rows() * row) };
            d[lo * row..lo * row + v.len()].copy_from_slice(&v);
        });
        Ok(())
    }
}

/// Checks the arrays against a plan's inputs (count, dtype, row shape) and returns their rows.
pub fn check_sources(plan: &Plan, arrays: &[HostArray], batch_size: usize) -> Result<usize> {
    let sig = plan.input_signature();
    if arrays.len() != sig.len() {
        bail!(Value, "the plan takes {} arrays, got {}", sig.len(), arrays.len());
    }
    let mut n_rows = None;
    for (i, (a, (shape, dt))) in arrays.iter().zip(sig).enumerate() {
        if a.dtype != *dt {
            bail!(DType, "array {i}: expected an array of dtype {}, got {}", dt.name(), a.dtype.name());
        }
        if shape.first() != Some(&batch_size) || a.shape.len() != shape.len() || a.shape[1..] != shape[1..] {
            bail!(Value, "array {i} has shape {:?}; the plan was traced for batches of shape {:?}", a.shape, shape);
        }
        if *n_rows.get_or_insert(a.rows()) != a.rows() {
            bail!(Value, "the arrays have different numbers of rows");
        }
    }
    Ok(n_rows.unwrap_or(0))
}

/// A plan's input tensors, twice: while one batch runs, the next batch's rows are copied into
/// the other set on a second thread (copying rows picked at random from a large array waits on
/// memory; for a small model it was a quarter of the step). The step itself runs inside the
/// thread pool, so its parallel kernels start without waking threads from outside. Batches under
/// OVERLAP_MIN_BYTES run on the calling thread, one after the other: handing a tiny step to the
/// pool costs more than the step (XOR's 4-row steps took 2.5x as long).
pub struct Feed<'a> {
    plan: &'a Plan,
    srcs: Vec<HostArray>,
    sets: [Vec<Tensor>; 2],
    cur: usize,
    overlap: bool,
}

const OVERLAP_MIN_BYTES: usize = 1 << 16;

impl<'a> Feed<'a> {
    /// `srcs` checked with `check_sources`.
    pub fn new(plan: &'a Plan, srcs: Vec<HostArray>) -> Feed<'a> {
        let set = || plan.input_signature().iter().map(|(s, dt)| Tensor::full(s, 0.0, *dt)).collect();
        let bytes: usize = plan.input_signature().iter().map(|(s, dt)| s.iter().product::<usize>() * dt.size()).sum();
        Feed { plan, srcs, sets: [set(), set()], cur: 0, overlap: bytes >= OVERLAP_MIN_BYTES }
    }

    pub fn rows(&self) -> usize {
        self.srcs.first().map_or(0, |a| a.rows())
    }

    /// Copies `rows` of each array into the set the next step runs on.
    pub fn load(&self, rows: &[usize]) {
        load_into(&self.sets[self.cur], &self.srcs, rows);
    }

    /// Runs the plan on the loaded batch while `next` (if any) is copied into the other set.
    pub fn step(&mut self, next: Option<&[usize]>) -> Result<Vec<Tensor>> {
        let (cur, other) = (&self.sets[self.cur], &self.sets[1 - self.cur]);
        let (plan, srcs) = (self.plan, &self.srcs);
        let load_next = || {
            if let Some(rows) = next {
                load_into(other, srcs, rows);
            }
        };
        let result = if self.overlap {
            rayon::join(|| run_set(plan, cur), load_next).0
        } else {
            let r = run_set(plan, cur);
            load_next();
            r
        };
        self.cur = 1 - self.cur;
        result
    }
}

/// Runs the plan on a loaded set; on the GPU device each batch goes up once (the plan was traced
/// on GPU inputs).
fn run_set(plan: &Plan, set: &[Tensor]) -> Result<Vec<Tensor>> {
    let dev = default_device();
    if dev != Device::Cpu {
        let up = set.iter().map(|t| t.to_device(dev)).collect::<Result<Vec<_>>>()?;
        return plan.run(&up);
    }
    plan.run(set)
}

fn load_into(set: &[Tensor], srcs: &[HostArray], rows: &[usize]) {
    for (t, s) in set.iter().zip(srcs) {
        s.gather_rows(t, rows);
    }
}

/// A random permutation of 0..n from the global generator (the order fit shuffles rows in, in
/// the eager and the compiled paths alike).
pub fn permutation(n: usize) -> Vec<i64> {
    let mut v: Vec<i64> = (0..n as i64).collect();
    crate::random::with_rng(&crate::random::Seed::Global, |rng| {
        use rand::Rng;
        for i in (1..n).rev() {
            let j = ((rng.next_u64() as u128 * (i as u128 + 1)) >> 64) as usize; // uniform in 0..=i
            v.swap(i, j);
        }
    });
    v
}

/// One part of an epoch: `count` batches of `batch_size` rows through one plan (an epoch whose
/// rows do not divide into batches ends with a segment for the last, smaller batch).
pub struct Segment<'a> {
    pub feed: Feed<'a>,
    pub batch_size: usize,
    pub count: usize,
}

/// Checks that the segments' batches fit in their arrays.
pub fn check_segments(segs: &[Segment]) -> Result<()> {
    let need: usize = segs.iter().map(|s| s.batch_size * s.count).sum();
    let have = segs.first().map_or(0, |s| s.feed.rows());
    if need > have {
        bail!(Value, "run_epochs: the segments need {need} rows, the arrays have {have}");
    }
    Ok(())
}

/// One whole epoch without Python: `reset` (no inputs), the rows shuffled when asked, each
/// segment's plan on its batches in order, then `results`, whose scalar outputs are returned.
/// `stop` is asked after each batch; when it says true the epoch ends there (None).
pub fn run_epoch(
    segs: &mut [Segment],
    reset: &Plan,
    results: &Plan,
    shuffle: bool,
    stop: &mut dyn FnMut() -> bool,
) -> Result<Option<Vec<f64>>> {
    let n_rows = segs.first().map_or(0, |s| s.feed.rows());
    reset.run(&[])?;
    let order: Vec<usize> =
        if shuffle { permutation(n_rows).into_iter().map(|r| r as usize).collect() } else { (0..n_rows).collect() };
    let mut pos = 0;
    for seg in segs.iter_mut() {
        let (bs, count) = (seg.batch_size, seg.count);
        if count > 0 {
            seg.feed.load(&order[pos..pos + bs]);
        }
        for j in 0..count {
            let next = (j + 1 < count).then(|| &order[pos + bs..pos + 2 * bs]);
            seg.feed.step(next)?;
            pos += bs;
            if stop() {
                return Ok(None);
            }
        }
    }
    Ok(Some(results.run(&[])?.iter().map(|t| t.item_f64()).collect::<Result<_>>()?))
}

/// `count` batches of `batch_size` rows from position `start`: batch j takes rows
/// `order[start + j*batch_size ..][..batch_size]` (the positions themselves without `order`);
/// each batch's outputs go into `outputs` (one array per plan output) at the batch's positions.
pub struct Batches<'a> {
    feed: Feed<'a>,
    order: Option<Vec<usize>>,
    start: usize,
    count: usize,
    batch_size: usize,
    outputs: Vec<HostArray>,
    next: usize,
}

impl<'a> Batches<'a> {
    pub fn new(
        plan: &'a Plan,
        srcs: Vec<HostArray>,
        order: Option<Vec<i64>>,
        start: usize,
        count: usize,
        batch_size: usize,
        outputs: Vec<HostArray>,
    ) -> Result<Batches<'a>> {
        let n_rows = check_sources(plan, &srcs, batch_size)?;
        let order = match order {
            Some(v) => {
                if v.len() != n_rows || v.iter().any(|&r| r < 0 || r as usize >= n_rows) {
                    bail!(Value, "run_batches: `order` must be a permutation of the rows");
                }
                Some(v.into_iter().map(|r| r as usize).collect())
            }
            None => None,
        };
        let end = count.checked_mul(batch_size).and_then(|n| n.checked_add(start)).unwrap_or(usize::MAX);
        if end > n_rows {
            bail!(
                Value,
                "run_batches: {count} batches of {batch_size} rows from row {start} need {end} rows, the arrays have {n_rows}"
            );
        }
        for (i, o) in outputs.iter().enumerate() {
            if o.rows() < end {
                bail!(Value, "run_batches: output {i} has too few rows");
            }
        }
        let feed = Feed::new(plan, srcs);
        let b = Batches { feed, order, start, count, batch_size, outputs, next: 0 };
        if count > 0 {
            b.feed.load(&b.rows_of(0));
        }
        Ok(b)
    }

    fn rows_of(&self, j: usize) -> Vec<usize> {
        let lo = self.start + j * self.batch_size;
        match &self.order {
            Some(o) => o[lo..lo + self.batch_size].to_vec(),
            None => (lo..lo + self.batch_size).collect(),
        }
    }

    /// Runs the next batch and writes its outputs; returns its index, or None when all ran.
    pub fn step(&mut self) -> Result<Option<usize>> {
        let j = self.next;
        if j >= self.count {
            return Ok(None);
        }
        let next = (j + 1 < self.count).then(|| self.rows_of(j + 1));
        let result = self.feed.step(next.as_deref())?;
        let lo = self.start + j * self.batch_size;
        for (i, (t, o)) in result.iter().zip(&self.outputs).enumerate() {
            if t.numel() != self.batch_size * o.row_len() || o.dtype != t.dtype() {
                bail!(Value, "run_batches: output {i} does not match the plan's output");
            }
            o.scatter_rows(t, lo)?;
        }
        self.next += 1;
        Ok(Some(j))
    }
}
