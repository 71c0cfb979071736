//! Traced steps. While a trace is open, every op the bindings run is also recorded: the op (a
//! closure over its non-tensor arguments), where its inputs come from (a plan input, an earlier
//! op's output, or a tensor from outside such as a weight) and the gradient mode it ran under.
//! `end` turns the record into a `Plan` that replays the same ops, in the same order, with no
//! Python: the same kernels on the same values, so a replay equals the eager step bit for bit.
//! Each intermediate is dropped right after its last use, so its buffer goes back to the pool
//! and the next step's op of the same size gets it again warm.
use crate::autograd;
use crate::bail;
use crate::error::{fmt_shape, Result};
use crate::tensor::Tensor;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

pub type OpFn = Arc<dyn Fn(&[Tensor]) -> Result<Vec<Tensor>> + Send + Sync>;

#[derive(Clone)]
enum Arg {
    Slot(usize),
    Const(Tensor),
}

struct Instr {
    name: &'static str,
    f: OpFn,
    args: Vec<Arg>,
    outs: Vec<usize>,
    grad: bool,
    /// Slots whose last use is this instruction (dropped after it runs).
    free: Vec<usize>,
}

/// A recorded step: run it with new input tensors of the traced shapes and dtypes.
pub struct Plan {
    inputs: Vec<(Vec<usize>, crate::dtype::DType)>,
    instrs: Vec<Instr>,
    n_slots: usize,
    outputs: Vec<Arg>,
}

struct Tracer {
    input_sig: Vec<(Vec<usize>, crate::dtype::DType)>,
    instrs: Vec<Instr>,
    /// Tensor identity (its Arc pointer) -> slot. Every slot's tensor is kept alive until the trace
    /// ends, so no pointer is reused for another tensor meanwhile.
    ids: HashMap<usize, usize>,
    keep: Vec<Tensor>,
    taint: Option<String>,
}

thread_local! {
    static TRACER: RefCell<Option<Tracer>> = const { RefCell::new(None) };
}

fn key(t: &Tensor) -> usize {
    Arc::as_ptr(&t.0) as usize
}

pub fn is_tracing() -> bool {
    TRACER.with(|t| t.borrow().is_some())
}

/// Opens a trace whose inputs are these tensors (the batch).
pub fn begin(inputs: &[Tensor]) -> Result<()> {
    TRACER.with(|cell| {
        let mut c = cell.borrow_mut();
        if c.is_some() {
            bail!(Value, "trace: a trace is already open");
        }
        let mut ids = HashMap::new();
        for (i, t) in inputs.iter().enumerate() {
            ids.insert(key(t), i);
        }
        *c = Some(Tracer {
            input_sig: inputs.iter().map(|t| (t.shape().to_vec(), t.dtype())).collect(),
            instrs: Vec::new(),
            ids,
            keep: inputs.to_vec(),
            taint: None,
        });
        Ok(())
    })
}

/// Marks the open trace as not replayable (Python read a value, so it may have branched on it).
pub fn taint(why: &str) {
    TRACER.with(|cell| {
        if let Some(t) = cell.borrow_mut().as_mut() {
            t.taint.get_or_insert_with(|| why.to_string());
        }
    })
}

/// Closes the trace without a plan.
pub fn abort() {
    TRACER.with(|cell| cell.borrow_mut().take());
}

/// Closes the trace; `outputs` are the tensors the plan returns.
pub fn end(outputs: &[Tensor]) -> Result<Plan> {
    let tr = TRACER.with(|cell| cell.borrow_mut().take());
    let Some(mut tr) = tr else { bail!(Value, "trace: no trace is open") };
    if let Some(why) = tr.taint.take() {
        bail!(Value, "the step cannot be traced: {why}");
    }
    let outputs: Vec<Arg> = outputs.iter().map(|t| arg_of(&tr.ids, t)).collect();
    let n_slots = tr.keep.len();
    // last use of each slot
    let mut last: Vec<Option<usize>> = vec![None; n_slots];
    for (i, ins) in tr.instrs.iter().enumerate() {
        for a in &ins.args {
            if let Arg::Slot(s) = a {
                last[*s] = Some(i);
            }
        }
        for &s in &ins.outs {
            last[s].get_or_insert(i); // an output nothing reads is dropped at once
        }
    }
    for a in &outputs {
        if let Arg::Slot(s) = a {
            last[*s] = None;
        }
    }
    for (s, l) in last.iter().enumerate() {
        if let Some(i) = l {
            tr.instrs[*i].free.push(s);
        }
    }
    Ok(Plan { inputs: tr.input_sig, instrs: tr.instrs, n_slots, outputs })
}

fn arg_of(ids: &HashMap<usize, usize>, t: &Tensor) -> Arg {
    match ids.get(&key(t)) {
        Some(&s) => Arg::Slot(s),
        None => Arg::Const(t.clone()),
    }
}

/// Runs one op now and, when a trace is open, records it. The bindings send every op through here.
pub fn call(name: &'static str, inputs: Vec<Tensor>, f: OpFn) -> Result<Vec<Tensor>> {
    let outs = f(&inputs)?;
    TRACER.with(|cell| {
        let mut c = cell.borrow_mut();
        let Some(tr) = c.as_mut() else { return };
        let args: Vec<Arg> = inputs.iter().map(|t| arg_of(&tr.ids, t)).collect();
        let mut slots = Vec::with_capacity(outs.len());
        for o in &outs {
            let s = tr.keep.len();
            // an op that hands back one of its inputs (a no-op cast): the output is a new slot
            // all the same, so that the replay binds whatever the op returns then
            tr.ids.insert(key(o), s);
            tr.keep.push(o.clone());
            slots.push(s);
        }
        tr.instrs.push(Instr { name, f, args, outs: slots, grad: autograd::is_grad_enabled(), free: Vec::new() });
    });
    Ok(outs)
}

/// One op with one output.
pub fn call1(
    name: &'static str,
    inputs: Vec<Tensor>,
    f: impl Fn(&[Tensor]) -> Result<Tensor> + Send + Sync + 'static,
) -> Result<Tensor> {
    let mut v = call(name, inputs, Arc::new(move |i| Ok(vec![f(i)?])))?;
    Ok(v.pop().expect("one output"))
}

/// An op that changes its inputs in place and returns nothing.
pub fn call0(name: &'static str, inputs: Vec<Tensor>, f: impl Fn(&[Tensor]) -> Result<()> + Send + Sync + 'static) -> Result<()> {
    call(name, inputs, Arc::new(move |i| f(i).map(|_| Vec::new())))?;
    Ok(())
}

impl Plan {
    pub fn input_signature(&self) -> &[(Vec<usize>, crate::dtype::DType)] {
        &self.inputs
    }

    pub fn len(&self) -> usize {
        self.instrs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instrs.is_empty()
    }

    /// Op names in order (for inspection and tests).
    pub fn op_names(&self) -> Vec<&'static str> {
        self.instrs.iter().map(|i| i.name).collect()
    }

    /// Replays the step on new inputs; returns the traced outputs.
    pub fn run(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        if inputs.len() != self.inputs.len() {
            bail!(Value, "plan: expected {} inputs, got {}", self.inputs.len(), inputs.len());
        }
        for (i, (t, (shape, dt))) in inputs.iter().zip(&self.inputs).enumerate() {
            if t.shape() != shape.as_slice() || t.dtype() != *dt {
                bail!(
                    Shape,
                    "plan: input {i} has shape {} and dtype {}, the plan was traced for shape {} and dtype {}",
                    fmt_shape(t.shape()),
                    t.dtype().name(),
                    fmt_shape(shape),
                    dt.name()
                );
            }
        }
        let mut slots: Vec<Option<Tensor>> = vec![None; self.n_slots];
        for (i, t) in inputs.iter().enumerate() {
            slots[i] = Some(t.clone());
        }
        let prev = autograd::is_grad_enabled();
        let result = (|| {
            for ins in &self.instrs {
                let mut args = Vec::with_capacity(ins.args.len());
                for a in &ins.args {
                    args.push(match a {
                        Arg::Const(t) => t.clone(),
                        Arg::Slot(s) => match &slots[*s] {
                            Some(t) => t.clone(),
                            None => bail!(Value, "plan: {} reads a value that was already freed (engine bug)", ins.name),
                        },
                    });
                }
                autograd::set_grad_enabled(ins.grad);
                let outs = (ins.f)(&args)?;
                drop(args);
                if outs.len() != ins.outs.len() {
                    bail!(Value, "plan: {} returned {} outputs, traced {}", ins.name, outs.len(), ins.outs.len());
                }
                for (s, t) in ins.outs.iter().zip(outs) {
                    slots[*s] = Some(t);
                }
                for s in &ins.free {
                    slots[*s] = None;
                }
            }
            Ok(())
        })();
        // the step's kernels start on the GPU now, not when later kernels fill the batch
        crate::backend::flush();
        autograd::set_grad_enabled(prev);
        result?;
        self.outputs
            .iter()
            .map(|a| match a {
                Arg::Const(t) => Ok(t.clone()),
                Arg::Slot(s) => slots[*s].clone().ok_or_else(|| crate::Error::Value("plan: output missing".into())),
            })
            .collect()
    }
}
