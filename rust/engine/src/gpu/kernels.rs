//! Launchers: each builds a kernel's WGSL (elementwise kernels are generated from an expression),
//! packs shapes, strides and offsets into a small i32 "meta" buffer, and dispatches. The op
//! GPU backend (backend.rs) calls these.
use super::{check_dtype, ctx, raw, wrap, Ctx};
use crate::dtype::DType;
use crate::error::{fmt_shape, Error, Result};
use crate::kinds::{ConvGeom, PoolGeom, Reduce};
use crate::layout::{coalesce, Layout};
use crate::tensor::{Device, Tensor};

const PRELUDE: &str = include_str!("elementwise.wgsl");
const REDUCE: &str = include_str!("reduce.wgsl");
const MATMUL: &str = include_str!("matmul.wgsl");
const SOFTMAX: &str = include_str!("softmax.wgsl");
const OPTIM: &str = include_str!("optim.wgsl");
const CONV: &str = include_str!("conv.wgsl");
const POOL: &str = include_str!("pool.wgsl");
const RANDOM: &str = include_str!("random.wgsl");
const INDEX: &str = include_str!("index.wgsl");

/// The WGSL element type of a dtype on the GPU.
pub fn wty(dt: DType) -> &'static str {
    match dt {
        DType::F16 | DType::BF16 | DType::F32 | DType::F64 => "f32",
        DType::I8 | DType::I16 | DType::I32 | DType::I64 => "i32",
        DType::Bool | DType::U8 | DType::U16 | DType::U32 => "u32",
    }
}

/// A WGSL expression for the constant `v` in dtype `dt`, exact (bit pattern).
pub fn lit(v: f64, dt: DType) -> String {
    match dt {
        DType::F16 | DType::BF16 | DType::F32 | DType::F64 => format!("bitcast<f32>({}u)", (v as f32).to_bits()),
        DType::I8 | DType::I16 | DType::I32 | DType::I64 => format!("i32({})", v as i32),
        DType::Bool => format!("{}u", (v != 0.0) as u32),
        DType::U8 | DType::U16 | DType::U32 => format!("{}u", v as u32),
    }
}

/// The tensor on the GPU: GPU tensors as they are, 0-d CPU scalars uploaded.
fn on_gpu(op: &str, t: &Tensor) -> Result<Tensor> {
    match t.device() {
        Device::Gpu => Ok(t.clone()),
        Device::Cpu if t.ndim() == 0 => {
            check_dtype(op, t.dtype())?;
            super::upload(t)
        }
        Device::Cpu => {
            crate::bail!(
                Device,
                "{op}: a cpu tensor of shape {} cannot be used with gpu tensors; move it with .to('gpu')",
                fmt_shape(t.shape())
            )
        }
    }
}

fn meta(c: &Ctx, v: &[i32]) -> Result<super::GpuBuf> {
    let words: Vec<u32> = v.iter().map(|&x| x as u32).collect();
    c.upload_words(if words.is_empty() { &[0] } else { &words })
}

fn i32_of(op: &str, v: isize) -> Result<i32> {
    i32::try_from(v).map_err(|_| Error::Memory(format!("{op}: tensor too large for the GPU kernels (index {v} beyond 32 bits)")))
}

/// out = expr(a, b, c) elementwise over `shape`. Inputs (GPU tensors or 0-d CPU scalars) are
/// broadcast to `shape` and read through their strides; their dtypes are used as they are, so
/// callers convert first. The expression names the inputs a, b, c and may use `idx` (the flat
/// output index, u32). With `dst`, the result is written in place into dst's layout.
pub fn map(op: &str, inputs: &[&Tensor], out_dt: DType, shape: &[usize], expr: &str, dst: Option<&Tensor>) -> Result<Tensor> {
    check_dtype(op, out_dt)?;
    for t in inputs {
        check_dtype(op, t.dtype())?;
    }
    let c = ctx()?;
    let ins: Vec<Tensor> = inputs.iter().map(|t| on_gpu(op, t)).collect::<Result<_>>()?;
    let n = crate::storage::check_size(op, shape, DType::F32)?;
    let out = match dst {
        Some(d) => d.clone(),
        None => wrap(c.alloc(n)?, shape, out_dt),
    };
    if n == 0 {
        return Ok(out);
    }
    let mut layouts: Vec<Layout> = vec![out.layout().clone()];
    for t in &ins {
        layouts.push(t.layout().broadcast_to(op, shape)?);
    }
    let strides: Vec<&[isize]> = layouts.iter().map(|l| l.strides.as_slice()).collect();
    let (cs, cst) = coalesce(shape, &strides);
    let nd = cs.len();
    let mut m: Vec<i32> = vec![i32_of(op, n as isize)?, nd as i32];
    for l in &layouts {
        m.push(i32_of(op, l.offset as isize)?);
    }
    for &d in &cs {
        m.push(i32_of(op, d as isize)?);
    }
    for s in &cst {
        for &x in s {
            m.push(i32_of(op, x)?);
        }
    }
    // the kernel
    let names = ["a", "b", "c"];
    let mut src = String::from(PRELUDE);
    src.push_str("\n@group(0) @binding(0) var<storage, read> mt: array<i32>;\n");
    src.push_str(&format!("@group(0) @binding(1) var<storage, read_write> o: array<{}>;\n", wty(out.dtype())));
    for (i, t) in ins.iter().enumerate() {
        src.push_str(&format!("@group(0) @binding({}) var<storage, read> i{i}: array<{}>;\n", i + 2, wty(t.dtype())));
    }
    let k = ins.len() + 1;
    // a grid-stride loop: few workgroups on CPU adapters, where each workgroup costs a task
    src.push_str(
        "@compute @workgroup_size(256)\nfn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {\n\
         let stride = nw.x * nw.y * 256u;\n  for (var i = gid.x + gid.y * nw.x * 256u; i < u32(mt[0]); i = i + stride) { item(i); }\n}\n\n\
         fn item(idx: u32) {\n  let nd = mt[1];\n  var rem = idx;\n",
    );
    for t in 0..k {
        src.push_str(&format!("  var p{t} = mt[{}];\n", 2 + t));
    }
    if nd == 1 {
        // one merged dim (contiguous or evenly strided operands): no index arithmetic per dim
        for t in 0..k {
            src.push_str(&format!("  p{t} = p{t} + i32(idx) * mt[{}];\n", 2 + k + t + 1));
        }
    } else {
        src.push_str("  for (var d = nd - 1; d >= 0; d = d - 1) {\n");
        src.push_str(&format!("    let s = u32(mt[{} + d]);\n    let j = i32(rem % s);\n    rem = rem / s;\n", 2 + k));
        for t in 0..k {
            src.push_str(&format!("    p{t} = p{t} + j * mt[{} + {} * nd + d];\n", 2 + k, t + 1));
        }
        src.push_str("  }\n");
    }
    for (i, name) in names.iter().enumerate().take(ins.len()) {
        src.push_str(&format!("  let {name} = i{i}[p{}];\n", i + 1));
    }
    src.push_str(&format!("  o[p0] = {expr};\n}}\n"));
    let p = c.pipeline(&src)?;
    let mb = meta(c, &m)?;
    let mut bufs = vec![mb.raw().clone(), raw(&out)?];
    for t in &ins {
        bufs.push(raw(t)?);
    }
    let refs: Vec<&wgpu::Buffer> = bufs.iter().collect();
    c.dispatch(&p, &refs, c.flat_grid(n));
    Ok(out)
}

/// A contiguous copy on the GPU (the tensor itself when already contiguous).
pub fn contiguous(x: &Tensor) -> Result<Tensor> {
    if x.is_contiguous() {
        return Ok(x.clone());
    }
    map("contiguous", &[x], x.dtype(), x.shape(), "a", None)
}

/// A contiguous copy in a new buffer.
pub fn copy(x: &Tensor) -> Result<Tensor> {
    map("copy", &[x], x.dtype(), x.shape(), "a", None)
}

/// 0, 1, ..., n-1 as int64 on the GPU.
pub fn iota(n: usize) -> Result<Tensor> {
    map("arange", &[], DType::I64, &[n], "i32(idx)", None)
}

/// A new GPU tensor filled with `v`.
pub fn full(shape: &[usize], v: f64, dt: DType) -> Result<Tensor> {
    map("full", &[], dt, shape, &lit(v, dt), None)
}

/// Conversion between GPU dtypes, as the CPU's: floats to integers truncate (saturating at
/// 32 bits, the GPU's int64), integers to narrower integers keep the low bits, to bool is != 0.
pub fn convert(x: &Tensor, to: DType) -> Result<Tensor> {
    if to == x.dtype() {
        return Ok(x.clone());
    }
    check_dtype("cast", to)?;
    let from = x.dtype();
    // the source as a 32-bit integer word (floats truncated, saturating)
    let int = if from.is_float() { "i32(clamp(a, -2147483648.0, 2147483520.0))" } else { "i32(a)" };
    let e = match to {
        DType::Bool => "select(0u, 1u, a != A0)".replace("A0", &lit(0.0, from)),
        DType::F32 => "f32(a)".into(),
        DType::I64 | DType::I32 => int.into(),
        DType::I16 => format!("(({int}) << 16u) >> 16u"),
        DType::I8 => format!("(({int}) << 24u) >> 24u"),
        DType::U32 if from.is_float() => "u32(i32(clamp(a, -2147483648.0, 2147483520.0)))".into(),
        DType::U32 => "u32(a)".into(),
        DType::U16 => format!("u32({int}) & 65535u"),
        DType::U8 => format!("u32({int}) & 255u"),
        DType::F16 | DType::BF16 | DType::F64 => unreachable!("checked above"),
    };
    map("cast", &[x], to, x.shape(), &e, None)
}

/// Writes src (broadcast) into dst's elements in place.
pub fn assign(dst: &Tensor, src: &Tensor) -> Result<()> {
    let s = if src.device() == Device::Gpu && src.same_storage(dst) {
        map("assign", &[src], src.dtype(), src.shape(), "a", None)?
    } else {
        src.clone()
    };
    let s = if s.device() == Device::Gpu { convert(&s, dst.dtype())? } else { s.convert(dst.dtype()) };
    map("assign", &[&s], dst.dtype(), dst.shape(), "a", Some(dst))?;
    Ok(())
}

/// Reduces x over `axes` (sorted, unique) into a contiguous tensor of the kept dims. One
/// workgroup per output element; each thread folds a fixed stride of the reduced elements and
/// the workgroup merges them in a fixed tree, so results repeat exactly.
pub fn reduce(op: &str, x: &Tensor, axes: &[usize], kind: Reduce) -> Result<Tensor> {
    check_dtype(op, x.dtype())?;
    let c = ctx()?;
    let nd = x.ndim();
    let kept: Vec<usize> = (0..nd).filter(|d| !axes.contains(d)).collect();
    let out_shape: Vec<usize> = kept.iter().map(|&d| x.shape()[d]).collect();
    let m: usize = out_shape.iter().product();
    let k: usize = axes.iter().map(|&d| x.shape()[d]).product();
    let out_dt = if matches!(kind, Reduce::ArgMax | Reduce::ArgMin) { DType::I64 } else { x.dtype() };
    let out = wrap(c.alloc(m)?, &out_shape, out_dt);
    if m == 0 {
        return Ok(out);
    }
    let l = x.layout();
    let ks: Vec<usize> = kept.iter().map(|&d| l.shape[d]).collect();
    let kst: Vec<isize> = kept.iter().map(|&d| l.strides[d]).collect();
    let rs: Vec<usize> = axes.iter().map(|&d| l.shape[d]).collect();
    let rst: Vec<isize> = axes.iter().map(|&d| l.strides[d]).collect();
    let (ks, kst) = coalesce(&ks, &[&kst]);
    let (rs, rst) = coalesce(&rs, &[&rst]);
    let mut mt =
        vec![i32_of(op, m as isize)?, i32_of(op, k as isize)?, ks.len() as i32, rs.len() as i32, i32_of(op, l.offset as isize)?];
    for (sh, st) in [(&ks, &kst[0]), (&rs, &rst[0])] {
        for &d in sh.iter() {
            mt.push(i32_of(op, d as isize)?);
        }
        for &s in st.iter() {
            mt.push(i32_of(op, s)?);
        }
    }
    let t = wty(x.dtype());
    let (lo, hi) = match wty(x.dtype()) {
        "f32" => ("bitcast<f32>(0xff800000u)", "bitcast<f32>(0x7f800000u)"),
        "i32" => ("i32(-2147483648)", "i32(2147483647)"),
        _ => ("0u", "4294967295u"),
    };
    let (init, better) = match kind {
        Reduce::Sum => (lit(0.0, x.dtype()), ""),
        Reduce::Max | Reduce::ArgMax => (lo.to_string(), ">"),
        Reduce::Min | Reduce::ArgMin => (hi.to_string(), "<"),
    };
    let src = REDUCE
        .replace("{T}", t)
        .replace("{TO}", wty(out_dt))
        .replace("{INIT}", &init)
        .replace("{SUM}", if kind == Reduce::Sum { "true" } else { "false" })
        .replace("{BETTER}", if better.is_empty() { ">" } else { better })
        .replace("{ARG}", if matches!(kind, Reduce::ArgMax | Reduce::ArgMin) { "true" } else { "false" })
        .replace("{ISNAN}", if x.dtype().is_float() { "(bitcast<u32>(y) & 0x7fffffffu) > 0x7f800000u" } else { "false" });
    let p = c.pipeline(&src)?;
    let mb = meta(c, &mt)?;
    let bufs = [mb.raw().clone(), raw(&out)?, raw(x)?];
    let refs: Vec<&wgpu::Buffer> = bufs.iter().collect();
    c.dispatch(&p, &refs, c.grid(m));
    Ok(out)
}

/// Batched matmul: a is [batch.., m, k], b is [batch.., k, n] as broadcast layouts (any strides);
/// the result is a contiguous [batch.., m, n]. 64x64 output tiles per workgroup of 16x16 threads
/// (4x4 each), the k loop staged through workgroup memory 16 deep.
pub fn matmul(
    a: &Tensor,
    la: &Layout,
    b: &Tensor,
    lb: &Layout,
    batch: &[usize],
    m: usize,
    n: usize,
    k: usize,
    dt: DType,
) -> Result<Tensor> {
    check_dtype("matmul", dt)?;
    let c = ctx()?;
    let nb: usize = batch.iter().product();
    let mut shape = batch.to_vec();
    shape.extend([m, n]);
    let out = wrap(c.alloc(nb * m * n)?, &shape, dt);
    if nb * m * n == 0 {
        return Ok(out);
    }
    if k == 0 {
        return map("matmul", &[], dt, &shape, &lit(0.0, dt), Some(&out));
    }
    let bd = batch.len();
    let p = c.pipeline(&matmul_source(dt))?;
    let (ra, rb) = (raw(a)?, raw(b)?);
    let ro = raw(&out)?;
    let maxz = c.max_groups.max(1) as usize;
    let mut z0 = 0;
    while z0 < nb {
        let nz = (nb - z0).min(maxz);
        let mut mt = vec![
            i32_of("matmul", m as isize)?,
            i32_of("matmul", n as isize)?,
            i32_of("matmul", k as isize)?,
            bd as i32,
            i32_of("matmul", la.strides[bd])?,
            i32_of("matmul", la.strides[bd + 1])?,
            i32_of("matmul", lb.strides[bd])?,
            i32_of("matmul", lb.strides[bd + 1])?,
            i32_of("matmul", la.offset as isize)?,
            i32_of("matmul", lb.offset as isize)?,
            z0 as i32,
        ];
        for &d in batch {
            mt.push(i32_of("matmul", d as isize)?);
        }
        for d in 0..bd {
            mt.push(i32_of("matmul", la.strides[d])?);
        }
        for d in 0..bd {
            mt.push(i32_of("matmul", lb.strides[d])?);
        }
        let mb = meta(c, &mt)?;
        c.dispatch(&p, &[mb.raw(), &ro, &ra, &rb], (n.div_ceil(64) as u32, m.div_ceil(64) as u32, nz as u32));
        z0 += nz;
    }
    Ok(out)
}

/// The matmul kernel with its 4x4 register block written out.
fn matmul_source(dt: DType) -> String {
    let (t, zero) = (wty(dt), lit(0.0, dt));
    let mut decl = String::new();
    let mut fma = String::new();
    let mut store = String::new();
    for i in 0..4 {
        for j in 0..4 {
            decl.push_str(&format!("    var c{i}{j}: {t} = {zero};\n"));
            store.push_str(&format!(
                "    if (row0 + ty + {r}u < m && col0 + tx + {cc}u < n) {{ o[obase + (row0 + ty + {r}u) * n + col0 + tx + {cc}u] = c{i}{j}; }}\n",
                r = 16 * i,
                cc = 16 * j
            ));
        }
    }
    for i in 0..4 {
        fma.push_str(&format!("            let a{i} = As[kk * 64u + ty + {}u];\n", 16 * i));
        fma.push_str(&format!("            let b{i} = Bs[kk * 64u + tx + {}u];\n", 16 * i));
    }
    for i in 0..4 {
        for j in 0..4 {
            fma.push_str(&format!("            c{i}{j} = c{i}{j} + a{i} * b{j};\n"));
        }
    }
    MATMUL.replace("{T}", t).replace("{ZERO}", &zero).replace("{DECL}", &decl).replace("{FMA}", &fma).replace("{STORE}", &store)
}

/// Softmax (or log-softmax) over the last axis of a contiguous float32 tensor; one workgroup per row.
pub fn softmax_rows(x: &Tensor, log: bool) -> Result<Tensor> {
    check_dtype("softmax", x.dtype())?;
    let c = ctx()?;
    let x = contiguous(x)?;
    let n = *x.shape().last().unwrap_or(&1);
    let rows = x.numel().checked_div(n).unwrap_or(0);
    let out = wrap(c.alloc(x.numel())?, x.shape(), x.dtype());
    if rows == 0 {
        return Ok(out);
    }
    let p = c.pipeline(&SOFTMAX.replace("{LOG}", if log { "true" } else { "false" }))?;
    let mb = meta(
        c,
        &[i32_of("softmax", rows as isize)?, i32_of("softmax", n as isize)?, i32_of("softmax", x.layout().offset as isize)?],
    )?;
    let bufs = [mb.raw().clone(), raw(&out)?, raw(&x)?];
    let refs: Vec<&wgpu::Buffer> = bufs.iter().collect();
    c.dispatch(&p, &refs, c.grid(rows));
    Ok(out)
}

/// In-place optimizer updates over contiguous float32 state (variable first) and a gradient.
/// `kind`: 0 SGD, 1 SGD with momentum, 2 Nesterov, 3 Adam, 4 AMSGrad; `params` its constants
/// (SGD: momentum; Adam: ln b1, ln b2, 1 - b1, 1 - b2, eps). The learning rate and (Adam) the
/// iteration count are read by the kernel from their tensors (0-d CPU scalars are uploaded), so
/// an update never waits for the GPU.
pub fn optim(
    state: &[&Tensor],
    grad: &Tensor,
    kind: u32,
    lr: &Tensor,
    iterations: Option<&Tensor>,
    params: &[f32],
) -> Result<()> {
    let op = "optimizer update";
    let c = ctx()?;
    let g = contiguous(grad)?;
    let n = g.numel();
    if n == 0 {
        return Ok(());
    }
    let lr = on_gpu(op, &lr.try_convert(DType::F32)?)?;
    let it = match iterations {
        Some(t) => Some(on_gpu(op, &t.try_convert(DType::F32)?)?),
        None => None,
    };
    let mut mt = vec![
        i32_of(op, n as isize)?,
        i32_of(op, g.layout().offset as isize)?,
        kind as i32,
        i32_of(op, lr.layout().offset as isize)?,
        i32_of(op, it.as_ref().map(|t| t.layout().offset).unwrap_or(0) as isize)?,
    ];
    mt.extend(params.iter().map(|p| p.to_bits() as i32));
    let nstate = state.len();
    let mut src = String::from(PRELUDE);
    src.push_str("\n@group(0) @binding(0) var<storage, read> mt: array<i32>;\n");
    src.push_str("@group(0) @binding(1) var<storage, read> g: array<f32>;\n");
    src.push_str("@group(0) @binding(2) var<storage, read> lrb: array<f32>;\n");
    let mut next = 3;
    if it.is_some() {
        src.push_str("@group(0) @binding(3) var<storage, read> itb: array<f32>;\nfn step_count() -> f32 { return itb[u32(mt[4])] + 1.0; }\n");
        next = 4;
    } else {
        src.push_str("fn step_count() -> f32 { return 1.0; }\n");
    }
    for i in 0..4 {
        if i < nstate {
            src.push_str(&format!("@group(0) @binding({}) var<storage, read_write> s{i}: array<f32>;\n", next + i));
        } else {
            // unused slots are private stand-ins so the shared body compiles for every kind
            src.push_str(&format!("var<private> s{i}: array<f32, 1>;\n"));
        }
    }
    src.push_str(&OPTIM.replace("{ADAM}", if kind >= 3 { "true" } else { "false" }));
    let p = c.pipeline(&src)?;
    let mb = meta(c, &mt)?;
    let mut bufs = vec![mb.raw().clone(), raw(&g)?, raw(&lr)?];
    if let Some(t) = &it {
        bufs.push(raw(t)?);
    }
    for t in state {
        bufs.push(raw(t)?);
    }
    let refs: Vec<&wgpu::Buffer> = bufs.iter().collect();
    c.dispatch(&p, &refs, c.flat_grid(n));
    Ok(())
}

/// A stride along a dim with one output position (or a dilation with one tap) never multiplies
/// a nonzero index: clamped so that huge values fit the kernels' 32-bit arithmetic.
fn clamp_step(step: usize, positions: usize, extent: usize) -> usize {
    if positions <= 1 {
        step.min(extent + 1)
    } else {
        step
    }
}

fn conv_meta(g: &ConvGeom, off: usize) -> Result<Vec<i32>> {
    let (sh, sw) = (clamp_step(g.sh, g.oh, g.h + g.pt), clamp_step(g.sw, g.ow, g.w + g.pl));
    let (dh, dw) = (clamp_step(g.dh, g.kh, 0), clamp_step(g.dw, g.kw, 0));
    [g.n, g.h, g.w, g.c, g.kh, g.kw, sh, sw, dh, dw, g.pt, g.pl, g.oh, g.ow, off]
        .iter()
        .map(|&v| i32_of("conv", v as isize))
        .collect()
}

/// im2col of a float32 NHWC tensor: [n*oh*ow, kh*kw*c] (zeros where the taps fall in the padding).
pub fn im2col(x: &Tensor, g: &ConvGeom) -> Result<Tensor> {
    let c = ctx()?;
    let x = contiguous(x)?;
    let (p, k) = (g.n * g.oh * g.ow, g.kh * g.kw * g.c);
    let total = crate::storage::check_size("conv", &[p, k], DType::F32)?;
    i32_of("conv", total as isize)?;
    let out = wrap(c.alloc(total)?, &[p, k], DType::F32);
    if total == 0 {
        return Ok(out);
    }
    let pl = c.pipeline(&CONV.replace("{IM2COL}", "true"))?;
    let mb = meta(c, &conv_meta(g, x.layout().offset)?)?;
    let bufs = [mb.raw().clone(), raw(&out)?, raw(&x)?];
    let refs: Vec<&wgpu::Buffer> = bufs.iter().collect();
    c.dispatch(&pl, &refs, c.flat_grid(total));
    Ok(out)
}

/// col2im: the input gradient [n, h, w, c] from column gradients [n*oh*ow, kh*kw*c].
pub fn col2im(cols: &Tensor, g: &ConvGeom) -> Result<Tensor> {
    let c = ctx()?;
    let cols = contiguous(cols)?;
    let total = g.n * g.h * g.w * g.c;
    i32_of("conv", (g.n * g.oh * g.ow * g.kh * g.kw * g.c) as isize)?;
    let out = wrap(c.alloc(total)?, &[g.n, g.h, g.w, g.c], DType::F32);
    if total == 0 {
        return Ok(out);
    }
    let pl = c.pipeline(&CONV.replace("{IM2COL}", "false"))?;
    let mb = meta(c, &conv_meta(g, cols.layout().offset)?)?;
    let bufs = [mb.raw().clone(), raw(&out)?, raw(&cols)?];
    let refs: Vec<&wgpu::Buffer> = bufs.iter().collect();
    c.dispatch(&pl, &refs, c.flat_grid(total));
    Ok(out)
}

fn pool_run(src: &Tensor, extra: Option<&Tensor>, g: &PoolGeom, fwd: bool, max: bool) -> Result<(Tensor, Option<Tensor>)> {
    check_dtype("pool", src.dtype())?;
    let c = ctx()?;
    let src = contiguous(src)?;
    let shape = if fwd { [g.n, g.oh, g.ow, g.c] } else { [g.n, g.h, g.w, g.c] };
    let total: usize = shape.iter().product();
    i32_of("pool", (g.n * g.h * g.w * g.c).max(total) as isize)?;
    let out = wrap(c.alloc(total)?, &shape, DType::F32);
    let idx = if fwd && max { Some(wrap(c.alloc(total)?, &shape, DType::I64)) } else { None };
    if total == 0 {
        return Ok((out, idx));
    }
    let (extra_decl, store, back) = match (fwd, max) {
        (true, true) => ("@group(0) @binding(3) var<storage, read_write> oi: array<i32>;", "oi[e] = bi;", ""),
        (true, false) => ("", "", ""),
        (false, true) => {
            ("@group(0) @binding(3) var<storage, read> xi: array<i32>;", "", "if (xi[oe] == e) { acc = acc + x[off + oe]; }")
        }
        (false, false) => ("", "", "acc = acc + x[off + oe] / count(oy, ox);"),
    };
    let text = POOL
        .replace("{EXTRA}", extra_decl)
        .replace("{STORE_INDEX}", store)
        .replace("{BACK}", back)
        .replace("{FWD}", if fwd { "true" } else { "false" })
        .replace("{MAX}", if max { "true" } else { "false" });
    let p = c.pipeline(&text)?;
    let (sh, sw) = (clamp_step(g.sh, g.oh, g.h + g.pt), clamp_step(g.sw, g.ow, g.w + g.pl));
    let mt: Vec<i32> = [g.n, g.h, g.w, g.c, g.ph, g.pw, sh, sw, g.pt, g.pl, g.oh, g.ow, src.layout().offset]
        .iter()
        .map(|&v| i32_of("pool", v as isize))
        .collect::<Result<_>>()?;
    let mb = meta(c, &mt)?;
    let mut bufs = vec![mb.raw().clone(), raw(&out)?, raw(&src)?];
    if let Some(i) = &idx {
        bufs.push(raw(i)?);
    }
    if let Some(e) = extra {
        let e = contiguous(e)?;
        if e.layout().offset != 0 {
            return Err(Error::Device("pool: engine bug: index tensor with an offset".into()));
        }
        bufs.push(raw(&e)?);
    }
    let refs: Vec<&wgpu::Buffer> = bufs.iter().collect();
    c.dispatch(&p, &refs, c.flat_grid(total));
    Ok((out, idx))
}

/// Max pooling: (values, flat input index of each maximum).
pub fn max_pool(x: &Tensor, g: &PoolGeom) -> Result<(Tensor, Tensor)> {
    let (v, i) = pool_run(x, None, g, true, true)?;
    Ok((v, i.ok_or_else(|| Error::Device("max_pool: engine bug: no indices".into()))?))
}

pub fn max_pool_backward(gy: &Tensor, idx: &Tensor, g: &PoolGeom) -> Result<Tensor> {
    Ok(pool_run(gy, Some(idx), g, false, true)?.0)
}

pub fn avg_pool(x: &Tensor, g: &PoolGeom) -> Result<Tensor> {
    Ok(pool_run(x, None, g, true, false)?.0)
}

pub fn avg_pool_backward(gy: &Tensor, g: &PoolGeom) -> Result<Tensor> {
    Ok(pool_run(gy, None, g, false, false)?.0)
}

/// Uniform float32 samples in [low, high) drawn on the GPU from the ChaCha8 stream with this key,
/// starting at word `pos` (even): the numbers the CPU generator gives at that position (bit for
/// bit when low = 0 and high = 1; otherwise low + (high - low) u is rounded in float32, where the
/// CPU rounds it from float64).
pub fn uniform(shape: &[usize], key: &[u32; 8], pos: u128, low: f64, high: f64) -> Result<Tensor> {
    let c = ctx()?;
    let n = crate::storage::check_size("uniform", shape, DType::F32)?;
    let out = wrap(c.alloc(n)?, shape, DType::F32);
    let draw = (pos / 2) as u64; // the first draw's index in the stream of u64 draws
    let (block, skip) = (draw / 8, (draw % 8) as u32);
    let blocks = (n as u64 + skip as u64).div_ceil(8);
    if n == 0 {
        return Ok(out);
    }
    let unit = low == 0.0 && high == 1.0;
    let mut m = vec![n as u32, block as u32, (block >> 32) as u32, skip];
    m.extend_from_slice(key);
    m.extend([(low as f32).to_bits(), (high as f32).to_bits(), unit as u32]);
    let mb = c.upload_words(&m)?;
    let p = c.pipeline(RANDOM)?;
    let bufs = [mb.raw().clone(), raw(&out)?];
    let refs: Vec<&wgpu::Buffer> = bufs.iter().collect();
    c.dispatch(&p, &refs, c.grid(blocks.div_ceil(64) as usize));
    Ok(out)
}

/// The kernel of one `//== name` section of index.wgsl.
fn index_section(name: &str) -> Result<&'static str> {
    let tag = format!("//== {name}\n");
    let start =
        INDEX.find(&tag).ok_or_else(|| Error::Device(format!("engine bug: no kernel '{name}' in index.wgsl")))? + tag.len();
    let rest = &INDEX[start..];
    Ok(&rest[..rest.find("//== ").unwrap_or(rest.len())])
}

/// The flat positions advanced indexing gathers, as a contiguous int64 tensor of `out_shape`:
/// c0 + sum over output dims r of coord_r * rest[r], plus, for each (t, n, s) in `terms` (an
/// int64 GPU tensor whose layout spans `out_shape`, broadcast strides allowed), the wrapped
/// value (t < 0 ? t + n : t) * s. Bounds are the caller's to check first. Up to three terms per
/// pass; later passes add into the result in place.
pub fn flat_index(out_shape: &[usize], rest: &[usize], c0: i64, terms: &[(Tensor, usize, usize)]) -> Result<Tensor> {
    let op = "index";
    let c = ctx()?;
    let count = crate::storage::check_size(op, out_shape, DType::I64)?;
    let out = wrap(c.alloc(count)?, out_shape, DType::I64);
    if count == 0 {
        return Ok(out);
    }
    let zero = vec![0usize; out_shape.len()];
    let mut first = true;
    let mut k0 = 0;
    while first || k0 < terms.len() {
        let pass = &terms[k0..(k0 + 3).min(terms.len())];
        let rest_s: Vec<isize> = if first { rest } else { &zero[..] }.iter().map(|&s| s as isize).collect();
        let mut strides: Vec<&[isize]> = vec![&rest_s];
        for (t, _, _) in pass {
            if t.device() != Device::Gpu || t.dtype() != DType::I64 || t.shape() != out_shape {
                return Err(Error::Device("index: engine bug: an index term is not an int64 gpu tensor over the output".into()));
            }
            strides.push(&t.layout().strides);
        }
        let (cs, cst) = coalesce(out_shape, &strides);
        let nd = cs.len();
        let mut mt = vec![i32_of(op, count as isize)?, nd as i32, i32_of(op, if first { c0 as isize } else { 0 })?];
        for &d in &cs {
            mt.push(i32_of(op, d as isize)?);
        }
        for &s in &cst[0] {
            mt.push(i32_of(op, s)?);
        }
        let (mut decl, mut init, mut step, mut sum) = (String::new(), String::new(), String::new(), String::new());
        for (k, (t, n, s)) in pass.iter().enumerate() {
            mt.extend([i32_of(op, t.layout().offset as isize)?, i32_of(op, *n as isize)?, i32_of(op, *s as isize)?]);
            for &st in &cst[k + 1] {
                mt.push(i32_of(op, st)?);
            }
            decl.push_str(&format!("@group(0) @binding({}) var<storage, read> t{k}: array<i32>;\n", k + 2));
            init.push_str(&format!("    let b{k} = tb + {k} * (3 + nd);\n    var p{k} = mt[b{k}];\n"));
            step.push_str(&format!("        p{k} = p{k} + j * mt[b{k} + 3 + d];\n"));
            sum.push_str(&format!(
                "    let v{k} = t{k}[p{k}];\n    acc = acc + select(v{k}, v{k} + mt[b{k} + 1], v{k} < 0) * mt[b{k} + 2];\n"
            ));
        }
        let src = index_section("flat_index")?
            .replace("{DECL}", &decl)
            .replace("{INIT}", &init)
            .replace("{STEP}", &step)
            .replace("{TERMS}", &sum)
            .replace("{ACC}", if first { "false" } else { "true" });
        let p = c.pipeline(&src)?;
        let mb = meta(c, &mt)?;
        let mut bufs = vec![mb.raw().clone(), raw(&out)?];
        for (t, _, _) in pass {
            bufs.push(raw(t)?);
        }
        let refs: Vec<&wgpu::Buffer> = bufs.iter().collect();
        c.dispatch(&p, &refs, c.flat_grid(count));
        first = false;
        k0 += pass.len().max(1);
    }
    Ok(out)
}

/// out[i] = x at row-major position idx[i] (x read through its layout, no copy); idx is an
/// int64 GPU tensor of positions already checked to be in range.
pub fn gather(x: &Tensor, idx: &Tensor) -> Result<Tensor> {
    let op = "gather";
    check_dtype(op, x.dtype())?;
    let c = ctx()?;
    let idx = contiguous(&on_gpu(op, idx)?)?;
    let m = idx.numel();
    let out = wrap(c.alloc(m)?, idx.shape(), x.dtype());
    if m == 0 {
        return Ok(out);
    }
    let l = x.layout();
    let (cs, cst) = coalesce(&l.shape, &[&l.strides]);
    let mut mt = vec![
        i32_of(op, m as isize)?,
        cs.len() as i32,
        i32_of(op, l.offset as isize)?,
        i32_of(op, idx.layout().offset as isize)?,
        i32_of(op, x.numel() as isize)?,
    ];
    for &d in &cs {
        mt.push(i32_of(op, d as isize)?);
    }
    for &s in &cst[0] {
        mt.push(i32_of(op, s)?);
    }
    let p = c.pipeline(&index_section("gather")?.replace("{T}", wty(x.dtype())))?;
    let mb = meta(c, &mt)?;
    let bufs = [mb.raw().clone(), raw(&out)?, raw(x)?, raw(&idx)?];
    let refs: Vec<&wgpu::Buffer> = bufs.iter().collect();
    c.dispatch(&p, &refs, c.flat_grid(m));
    Ok(out)
}

/// zeros(shape) with g[i] added at flat position idx[i], deterministically (no float atomics):
/// a histogram of the targets (integer atomics), an exclusive scan of it into bucket offsets
/// (tiles of 1024 in parallel, then the tile totals), the positions filled into their buckets
/// (the counts run back down as cursors), then per target its bucket sorted and g summed over
/// it in ascending position order, so results repeat bit for bit. Integer and bool dtypes keep the
/// value at the last position, as the CPU does. Nothing is read back.
pub fn scatter_add(g: &Tensor, idx: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let op = "scatter_add";
    check_dtype(op, g.dtype())?;
    let c = ctx()?;
    let n = crate::storage::check_size(op, shape, DType::F32)?;
    i32_of(op, n as isize)?;
    let g = contiguous(&on_gpu(op, g)?)?;
    let idx = contiguous(&on_gpu(op, idx)?)?;
    let m = idx.numel();
    if g.numel() != m || idx.dtype() != DType::I64 {
        return Err(Error::Device("scatter_add: engine bug: the gradient and the int64 positions differ in size".into()));
    }
    if n == 0 || m == 0 {
        return full(shape, 0.0, g.dtype());
    }
    let (mi, ni) = (i32_of(op, m as isize)?, n as i32);
    let ioff = i32_of(op, idx.layout().offset as isize)?;
    let cnt = full(&[n], 0.0, DType::I64)?;
    let offs = c.alloc(n)?;
    let perm = c.alloc(m)?;
    let out = wrap(c.alloc(n)?, shape, g.dtype());
    let (rc, ri) = (raw(&cnt)?, raw(&idx)?);
    let fill_mt = meta(c, &[mi, ioff, ni])?;
    c.dispatch(&c.pipeline(index_section("scatter_count")?)?, &[fill_mt.raw(), &rc, &ri], c.flat_grid(m));
    // bucket offsets: an exclusive scan of the counts, by tiles of 1024, then the tile totals
    let tiles = n.div_ceil(1024);
    let tsum = c.alloc(tiles)?;
    let n_mt = meta(c, &[ni])?;
    let t_mt = meta(c, &[tiles as i32])?;
    let scan = index_section("wg_scan")?;
    c.dispatch(
        &c.pipeline(&format!("{}{scan}", index_section("scan_tiles")?))?,
        &[n_mt.raw(), &rc, offs.raw(), tsum.raw()],
        c.grid(tiles),
    );
    c.dispatch(&c.pipeline(&format!("{}{scan}", index_section("scan_totals")?))?, &[t_mt.raw(), tsum.raw()], (1, 1, 1));
    c.dispatch(
        &c.pipeline(index_section("scatter_fill")?)?,
        &[fill_mt.raw(), &rc, offs.raw(), tsum.raw(), perm.raw(), &ri],
        c.flat_grid(m),
    );
    let src = index_section("scatter_sum")?
        .replace("{T}", wty(g.dtype()))
        .replace("{SUM}", if g.dtype().is_float() { "true" } else { "false" });
    let sum_mt = meta(c, &[ni, i32_of(op, g.layout().offset as isize)?, mi])?;
    c.dispatch(&c.pipeline(&src)?, &[sum_mt.raw(), &raw(&out)?, offs.raw(), tsum.raw(), perm.raw(), &raw(&g)?], c.flat_grid(n));
    Ok(out)
}

/// The smallest and largest value of each non-empty int64 GPU tensor, read back in one download
/// (advanced indexing's bounds check).
pub fn min_max(ts: &[&Tensor]) -> Result<Vec<(i64, i64)>> {
    let c = ctx()?;
    let packed = wrap(c.alloc(2 * ts.len())?, &[2 * ts.len()], DType::I64);
    for (k, t) in ts.iter().enumerate() {
        let axes: Vec<usize> = (0..t.ndim()).collect();
        let lo = reduce("index", t, &axes, Reduce::Min)?;
        let hi = reduce("index", t, &axes, Reduce::Max)?;
        let dst = packed.with_layout(Layout { shape: vec![2], strides: vec![1], offset: 2 * k });
        map("index", &[&lo, &hi], DType::I64, &[2], "select(b, a, idx == 0u)", Some(&dst))?;
    }
    let v = super::download(&packed)?.to_vec::<i64>();
    Ok(v.chunks(2).map(|p| (p[0], p[1])).collect())
}
