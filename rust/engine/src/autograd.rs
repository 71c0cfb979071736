//! Define-by-run autograd. An op whose inputs require a gradient records a Node on its output:
//! the inputs and a gradient rule written with tensor ops. `backward` walks the recorded graph
//! once in reverse topological order and frees it as it goes (unless asked to keep it).
use crate::bail;
use crate::error::{fmt_shape, Result};
use crate::ops;
use crate::tensor::Tensor;
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// grad_rule(output gradient, inputs, output) -> one gradient (or None) per input.
pub type GradRule = Box<dyn Fn(&Tensor, &[Tensor], &Tensor) -> Result<Vec<Option<Tensor>>> + Send + Sync>;

pub struct Node {
    pub name: &'static str,
    pub inputs: Vec<Tensor>,
    pub rule: GradRule,
}

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Sets whether ops record gradients; returns the previous setting.
pub fn set_grad_enabled(on: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(on))
}

/// Restores the recording switch when dropped, even if the work in between failed.
struct GradModeGuard(bool);

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.0);
    }
}

/// Runs `f` with recording switched off.
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = GradModeGuard(set_grad_enabled(false));
    f()
}

/// Whether an op over these inputs must record a node.
pub fn needs_grad(inputs: &[&Tensor]) -> bool {
    is_grad_enabled() && inputs.iter().any(|t| t.requires_grad())
}

/// Attaches the gradient rule to a freshly computed output if any input requires a gradient.
pub fn record(
    name: &'static str,
    out: Tensor,
    inputs: &[&Tensor],
    rule: impl Fn(&Tensor, &[Tensor], &Tensor) -> Result<Vec<Option<Tensor>>> + Send + Sync + 'static,
) -> Tensor {
    if !needs_grad(inputs) {
        return out;
    }
    let mut out = out;
    let inner = match Arc::get_mut(&mut out.0) {
        Some(i) => i,
        None => return out, // shared already (an op that returned its input): nothing to attach
    };
    inner.from_op = true;
    inner.requires_grad = true.into();
    inner.node = std::sync::Mutex::new(Some(Arc::new(Node {
        name,
        inputs: inputs.iter().map(|t| (*t).clone()).collect(),
        rule: Box::new(rule),
    })));
    out
}

/// For a gradient rule that runs a kernel directly: `out` = L(g) for a map L linear in the
/// upstream gradient g, whose adjoint is `adjoint`. In an ordinary (unrecorded) sweep this does
/// nothing; in a differentiable one (`grads` with create_graph, as `jvp` runs) it records L so
/// the result is differentiable in g. Derivatives through the rule's other operands (second
/// derivatives of the op) are not recorded: `jvp` needs only linearity in g.
pub fn linear_in(
    name: &'static str,
    out: Tensor,
    g: &Tensor,
    adjoint: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static,
) -> Tensor {
    record(name, out, &[g], move |w, _, _| Ok(vec![Some(adjoint(w)?)]))
}

/// Keys are tensor addresses: a multiply spreads them well enough, and SipHash's cost showed in
/// small models' backward passes.
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64 >> 4).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type AddrBuild = BuildHasherDefault<AddrHasher>;

fn key(t: &Tensor) -> usize {
    Arc::as_ptr(&t.0) as usize
}

fn node_of(t: &Tensor) -> Option<Arc<Node>> {
    t.0.node.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Reverse-mode sweep from `root`. Leaf tensors that require a gradient accumulate it in `.grad`.
pub fn backward(root: &Tensor, gradient: Option<&Tensor>, retain_graph: bool) -> Result<()> {
    if !root.requires_grad() {
        bail!(Value, "backward: the tensor does not require a gradient (create its inputs with requires_grad=True)");
    }
    let seed = seed_of("backward", root, gradient)?;
    let order = topo(root)?;
    no_grad(|| sweep(order, root, seed, retain_graph, None))
}

/// The gradient a sweep from `root` starts with: the one given (checked), or 1 for a scalar.
fn seed_of(op: &str, root: &Tensor, gradient: Option<&Tensor>) -> Result<Tensor> {
    Ok(match gradient {
        Some(g) => {
            if g.shape() != root.shape() {
                bail!(
                    Shape,
                    "{op}: gradient of shape {} does not match the tensor's shape {}",
                    fmt_shape(g.shape()),
                    fmt_shape(root.shape())
                );
            }
            if g.device() != root.device() {
                bail!(Device, "{op}: the gradient is on {} and the tensor on {}", g.device().name(), root.device().name());
            }
            g.try_convert(root.dtype())?
        }
        None => {
            if root.numel() != 1 {
                bail!(
                    Value,
                    "{op}: a gradient can be implied only for a scalar output; got shape {}, pass gradient=",
                    fmt_shape(root.shape())
                );
            }
            Tensor::full_on(root.shape(), 1.0, root.dtype(), root.device())?
        }
    })
}

/// The graph behind `root` in topological order (inputs first), by iterative depth-first search
/// (deep graphs must not overflow the stack).
fn topo(root: &Tensor) -> Result<Vec<Tensor>> {
    let mut order: Vec<Tensor> = Vec::new();
    let mut seen: HashSet<usize, AddrBuild> = HashSet::default();
    let mut stack: Vec<(Tensor, bool)> = vec![(root.clone(), false)];
    while let Some((t, expanded)) = stack.pop() {
        if expanded {
            order.push(t);
            continue;
        }
        if !seen.insert(key(&t)) {
            continue;
        }
        let node = node_of(&t);
        if node.is_none() && !t.is_leaf() {
            bail!(
                Value,
                "backward: the graph through this tensor was already freed by an earlier backward(); \
                 recompute the forward pass, or call backward(retain_graph=True) the first time"
            );
        }
        stack.push((t.clone(), true));
        if let Some(node) = node {
            for inp in &node.inputs {
                if inp.requires_grad() && !seen.contains(&key(inp)) {
                    stack.push((inp.clone(), false));
                }
            }
        }
    }
    Ok(order)
}

/// Where `grads` collects: the tensors asked for (key -> position), the tensors from which one
/// of them can be reached (the only ones visited), the gradients found, and whether the sweep
/// must stay differentiable in its seed.
struct Collect {
    wrt: HashMap<usize, usize, AddrBuild>,
    reach: HashSet<usize, AddrBuild>,
    found: Vec<Option<Tensor>>,
    differentiable: bool,
}

/// Reverse-mode sweep in topological `order` from `root`. Without `collect`, leaves accumulate
/// their gradients in `.grad`; with it, the gradients of the tensors asked for are returned in
/// `collect.found` and nothing is written to `.grad`.
fn sweep(order: Vec<Tensor>, root: &Tensor, seed: Tensor, retain_graph: bool, mut collect: Option<&mut Collect>) -> Result<()> {
    let mut grads: HashMap<usize, Tensor, AddrBuild> = HashMap::default();
    grads.insert(key(root), seed);
    // by value: each tensor of the graph is let go as soon as its gradient has been passed on, so
    // activations and gradients are freed during the sweep instead of all at its end
    for t in order.into_iter().rev() {
        let t = &t;
        let Some(g) = grads.remove(&key(t)) else { continue };
        if let Some(c) = collect.as_deref_mut() {
            if let Some(&i) = c.wrt.get(&key(t)) {
                c.found[i] = Some(g.clone());
            }
        }
        let node = if retain_graph { node_of(t) } else { t.0.node.lock().unwrap_or_else(|e| e.into_inner()).take() };
        let Some(node) = node else {
            if collect.is_some() {
                continue;
            }
            // a leaf: accumulate into .grad
            let acc = match t.grad() {
                Some(old) => ops::add(&old, &g)?,
                None => g,
            };
            t.set_grad(Some(acc));
            continue;
        };
        let in_grads = (node.rule)(&g, &node.inputs, t)?;
        for (inp, ig) in node.inputs.iter().zip(in_grads) {
            let Some(ig) = ig else { continue };
            if !inp.requires_grad() {
                continue;
            }
            if let Some(c) = collect.as_deref() {
                if !c.reach.contains(&key(inp)) {
                    continue;
                }
                if c.differentiable && g.requires_grad() && !ig.requires_grad() {
                    bail!(
                        Value,
                        "jvp: the gradient rule of {} runs a kernel whose result is not differentiable yet; \
                         this function cannot be differentiated forward",
                        node.name
                    );
                }
            }
            if ig.shape() != inp.shape() {
                bail!(
                    Shape,
                    "backward of {}: gradient shape {} does not match input shape {} (engine bug)",
                    node.name,
                    fmt_shape(ig.shape()),
                    fmt_shape(inp.shape())
                );
            }
            // a 0-d cpu scalar used with gpu tensors gets its (one-element) gradient back on the cpu
            let ig = if ig.device() != inp.device() && inp.ndim() == 0 { ig.to_device(inp.device())? } else { ig };
            if ig.device() != inp.device() {
                bail!(
                    Device,
                    "backward of {}: a gradient on {} for a tensor on {} (engine bug)",
                    node.name,
                    ig.device().name(),
                    inp.device().name()
                );
            }
            let ig = ig.try_convert(inp.dtype())?;
            let k = key(inp);
            let acc = match grads.remove(&k) {
                Some(old) => ops::add(&old, &ig)?,
                None => ig,
            };
            grads.insert(k, acc);
        }
    }
    Ok(())
}

/// The gradients of `root` (seeded with `gradient`, or 1 for a scalar) with respect to each of
/// `wrt`, returned (None where `root` does not depend on one) without touching `.grad`, the graph
/// kept. Only the part of the graph from which some `wrt` is reached is visited. With
/// `create_graph` the gradient rules run with recording on, so the results are differentiable in
/// the seed (the first half of `jvp`).
pub fn grads(root: &Tensor, gradient: Option<&Tensor>, wrt: &[Tensor], create_graph: bool) -> Result<Vec<Option<Tensor>>> {
    let mut c = Collect {
        wrt: wrt.iter().enumerate().map(|(i, t)| (key(t), i)).collect(),
        reach: HashSet::default(),
        found: vec![None; wrt.len()],
        differentiable: create_graph,
    };
    if !root.requires_grad() {
        return Ok(c.found);
    }
    let seed = seed_of("grads", root, gradient)?;
    let order = topo(root)?;
    for t in &order {
        let reaches =
            c.wrt.contains_key(&key(t)) || node_of(t).is_some_and(|n| n.inputs.iter().any(|i| c.reach.contains(&key(i))));
        if reaches {
            c.reach.insert(key(t));
        }
    }
    if create_graph {
        let _guard = GradModeGuard(set_grad_enabled(true));
        sweep(order, root, seed, true, Some(&mut c))?;
    } else {
        no_grad(|| sweep(order, root, seed, true, Some(&mut c)))?;
    }
    Ok(c.found)
}

/// Forward-mode derivatives by two reverse sweeps: for outputs y = f(x) already computed from
/// `inputs` (leaves that require a gradient), J v for the `tangents` v, one per output. The first
/// sweep computes J^T u for a stand-in cotangent u with recording on (it is linear in u); the
/// second differentiates <J^T u, v> with respect to u, which is J v. Exact, at the cost of two
/// backward passes; a gradient rule that is not differentiable in its seed is an error naming it.
pub fn jvp(outputs: &[Tensor], inputs: &[Tensor], tangents: &[Tensor]) -> Result<Vec<Tensor>> {
    if inputs.len() != tangents.len() {
        bail!(Value, "jvp: {} primals but {} tangents", inputs.len(), tangents.len());
    }
    for (x, v) in inputs.iter().zip(tangents) {
        if x.shape() != v.shape() {
            bail!(Shape, "jvp: a tangent of shape {} for a primal of shape {}", fmt_shape(v.shape()), fmt_shape(x.shape()));
        }
    }
    let zeros = |y: &Tensor| -> Result<Tensor> {
        let u = Tensor::full_on(y.shape(), 0.0, us_dtype(y), y.device())?;
        u.set_requires_grad(true);
        Ok(u)
    };
    let us: Vec<Tensor> = outputs.iter().map(zeros).collect::<Result<_>>()?;
    // s1 = sum_i <y_i, u_i>: its gradient in x is J^T u
    let mut s1: Option<Tensor> = None;
    for (y, u) in outputs.iter().zip(&us) {
        if !y.requires_grad() {
            continue;
        }
        let term = ops::sum(&ops::mul(y, u)?, None, false)?;
        s1 = Some(match s1 {
            Some(s) => ops::add(&s, &term)?,
            None => term,
        });
    }
    let zero_like = |y: &Tensor| Tensor::full_on(y.shape(), 0.0, us_dtype(y), y.device());
    let Some(s1) = s1 else { return outputs.iter().map(zero_like).collect() };
    let jtu = grads(&s1, None, inputs, true)?;
    let mut s2: Option<Tensor> = None;
    for (g, v) in jtu.iter().zip(tangents) {
        let Some(g) = g else { continue };
        let term = ops::sum(&ops::mul(g, &v.try_convert(g.dtype())?)?, None, false)?;
        s2 = Some(match s2 {
            Some(s) => ops::add(&s, &term)?,
            None => term,
        });
    }
    let Some(s2) = s2 else { return outputs.iter().map(zero_like).collect() };
    let jv = grads(&s2, None, &us, false)?;
    outputs
        .iter()
        .zip(jv)
        .map(|(y, d)| match d {
            Some(d) => Ok(d),
            None => zero_like(y),
        })
        .collect()
}

fn us_dtype(y: &Tensor) -> crate::dtype::DType {
    if y.dtype().is_float() {
        y.dtype()
    } else {
        crate::dtype::DType::F32
    }
}
