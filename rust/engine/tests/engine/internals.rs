//! The engine's internals one function at a time: dtype promotion, the size checks and the
//! memory cap, mixed-dtype views, the special functions, the CPU's exp, and the GPU's gather and
//! scatter against the CPU's.
use kerasish_engine::cpu::{math::exp_f32, special};
use kerasish_engine::dtype::DType::{self, *};
use kerasish_engine::layout::Layout;
use kerasish_engine::ops::{self, Compare, GammaPart};
use kerasish_engine::storage::{self, budget};
#[cfg(feature = "gpu")]
use kerasish_engine::tensor::Device;
use kerasish_engine::tensor::Tensor;

#[test]
fn promotion_follows_the_lattice() {
    let cases = [
        (U8, I8, I16),
        (U16, I8, I32),
        (U32, I32, I64),
        (U32, I8, I64),
        (Bool, U8, U8),
        (I64, F16, F16),
        (I64, BF16, BF16),
        (F16, BF16, F32),
        (U8, U16, U16),
        (I32, F32, F32),
        (F32, F64, F64),
        (Bool, Bool, Bool),
    ];
    for (a, b, want) in cases {
        assert_eq!(DType::promote(a, b), want, "{a:?} {b:?}");
        assert_eq!(DType::promote(b, a), want, "{b:?} {a:?}");
    }
    // a least upper bound: above both, and below every other common bound
    for a in DType::ALL {
        for b in DType::ALL {
            let p = DType::promote(a, b);
            assert!(a.below(p) && b.below(p));
            for c in DType::ALL {
                if a.below(c) && b.below(c) {
                    assert!(p.below(c), "{a:?} {b:?} -> {p:?}, not below {c:?}");
                }
            }
        }
    }
}

#[test]
fn memory_cap_parses_bytes_and_suffixes() {
    assert_eq!(budget::parse_bytes("1024"), Some(1024));
    assert_eq!(budget::parse_bytes("8G"), Some(8 << 30));
    assert_eq!(budget::parse_bytes(" 1.5m "), Some(3 << 19));
    assert_eq!(budget::parse_bytes("2T"), Some(2 << 40));
    assert_eq!(budget::parse_bytes("lots"), None);
    assert_eq!(budget::parse_bytes("-1G"), None);
    assert_eq!(budget::parse_bytes("5Q"), None);
}

#[test]
fn sizes_are_checked_with_numpys_rule() {
    // the count overflows
    assert!(matches!(storage::check_size("t", &[1 << 40, 1 << 40], F32), Err(kerasish_engine::Error::Memory(_))));
    // empty, but its strides would overflow: zero dims count as 1
    assert!(storage::check_numel("t", &[0, 1 << 62, 4]).is_err());
    assert_eq!(storage::check_numel("t", &[0, 1 << 20, 4]).ok(), Some(0));
    // more than the machine has
    let e = storage::check_size("t", &[1 << 45], F64).unwrap_err().to_string();
    assert!(e.contains("(35184372088832,)") && e.contains("281474976710656 bytes"), "{e}");
    assert_eq!(storage::check_size("t", &[3, 0, 5], F32).ok(), Some(0));
}

#[test]
fn refused_allocation_unwinds_with_its_payload() {
    let r = std::panic::catch_unwind(|| storage::alloc::<f64>(usize::MAX / 4));
    let payload = r.expect_err("an impossible buffer is refused");
    assert!(payload.downcast_ref::<storage::AllocRefused>().is_some());
}

/// A promoted operand is read with the converted tensor's layout, not the view's.
#[test]
fn mixed_dtype_views_read_the_converted_operand() {
    let x = Tensor::from_vec((0u8..6).collect(), &[2, 3], U8);
    let one = Tensor::scalar(1.0, F32);
    let t = x.with_layout(x.layout().permute(&[1, 0]));
    assert_eq!(ops::mul(&t, &one).unwrap().to_vec::<f32>(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    // an offset slice (row 1) and a 0-d offset view
    let row = x.with_layout(Layout { shape: vec![1, 3], strides: vec![3, 1], offset: 3 });
    assert_eq!(ops::div(&row, &one).unwrap().to_vec::<f32>(), vec![3.0, 4.0, 5.0]);
    let b = Tensor::from_vec(vec![1u8, 1, 1], &[3], Bool);
    let el = b.with_layout(Layout { shape: vec![], strides: vec![], offset: 1 });
    let zero = Tensor::scalar(0.0, I64);
    assert_eq!(ops::add(&el, &zero).unwrap().to_vec::<i64>(), vec![1]);
    assert_eq!(ops::compare(Compare::Lt, &t, &Tensor::scalar(2.5, F32)).unwrap().to_vec::<u8>(), vec![1, 0, 1, 0, 1, 0]);
}

#[test]
fn special_functions_hit_known_values() {
    use special::{digamma, gammainc};
    // P(1, x) = 1 - e^-x; P(2, x) = 1 - (1 + x) e^-x
    for &x in &[0.1, 0.5, 1.0, 2.0, 3.0, 10.0] {
        assert!((gammainc(GammaPart::P, 1.0, x) - (1.0 - (-x).exp())).abs() < 1e-15);
        assert!((gammainc(GammaPart::P, 2.0, x) - (1.0 - (1.0 + x) * (-x).exp())).abs() < 1e-15);
    }
    // dP/da at (3, 2) to 40 digits from mpmath.diff of mpmath.gammainc(regularized=True)
    assert!((gammainc(GammaPart::DpDa, 3.0, 2.0) - -0.231_848_672_043_989_6).abs() < 1e-15); // mpmath
    assert!((digamma(1.0) + 0.577_215_664_901_532_9).abs() < 1e-14);
}

#[test]
fn exp_matches_std() {
    let mut worst = 0f64;
    let mut x = -110.0f32;
    while x < 90.0 {
        let (a, b) = (exp_f32(x) as f64, (x as f64).exp());
        if b > 1.2e-38 && b < 3.4e38 {
            worst = worst.max(((a - b) / b).abs());
        }
        x += 0.001_3;
    }
    assert!(worst < 3e-7, "worst relative error {worst}");
    assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
    assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
    assert!(exp_f32(f32::NAN).is_nan());
    assert_eq!(exp_f32(0.0), 1.0);
}

/// Whether a GPU adapter opens (lavapipe counts); the GPU tests say so and return when not.
#[cfg(feature = "gpu")]
fn gpu_or_skip() -> bool {
    match kerasish_engine::gpu::ctx() {
        Ok(_) => true,
        Err(e) => {
            eprintln!("skipped, no GPU: {e}");
            false
        }
    }
}

/// The GPU scatter equals the CPU's for every GPU dtype: floats add up over repeated targets,
/// integers and bools keep the value at the last position, untouched targets are 0. (From
/// Python only float gradients reach the scatter.)
#[cfg(feature = "gpu")]
#[test]
fn gpu_scatter_add_matches_cpu_for_every_dtype() {
    if !gpu_or_skip() {
        return;
    }
    let idx = Tensor::from_vec(vec![3i64, 0, 3, 5, 3, 0, 1], &[7], I64);
    let cases: [(DType, Vec<f64>); 4] = [
        (F32, vec![1.5, -2.0, 4.0, 7.0, 0.25, 3.0, 9.0]),
        (I64, vec![10.0, -20.0, 30.0, 40.0, 50.0, 60.0, 70.0]),
        (U8, vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]),
        (Bool, vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]),
    ];
    for (dt, vals) in cases {
        let g = Tensor::from_vec(vals, &[7], F64).convert(dt);
        let cpu = ops::scatter_add_flat(&g, &idx, &[2, 3]).unwrap();
        let on_gpu =
            ops::scatter_add_flat(&g.to_device(Device::Gpu).unwrap(), &idx.to_device(Device::Gpu).unwrap(), &[2, 3]).unwrap();
        assert_eq!(on_gpu.device(), Device::Gpu);
        let back = on_gpu.to_device(Device::Cpu).unwrap();
        assert_eq!(back.dtype(), dt);
        assert_eq!(back.shape(), &[2, 3]);
        assert_eq!(back.convert(F64).to_vec::<f64>(), cpu.convert(F64).to_vec::<f64>(), "{dt:?}");
    }
    // the last position wins for integers, not the first or the largest value
    let g = Tensor::from_vec(vec![10i64, -20, 30, 40, 50, 60, 70], &[7], I64).to_device(Device::Gpu).unwrap();
    let out = ops::scatter_add_flat(&g, &idx.to_device(Device::Gpu).unwrap(), &[6]).unwrap().to_device(Device::Cpu).unwrap();
    assert_eq!(out.to_vec::<i64>(), vec![60, 70, 0, 50, 0, 40]);
}

/// gather reads through the layout of a strided view, without a copy.
#[cfg(feature = "gpu")]
#[test]
fn gpu_gather_reads_strided_views() {
    if !gpu_or_skip() {
        return;
    }
    let x = Tensor::from_vec((0..24).map(|v| v as f32).collect::<Vec<f32>>(), &[4, 6], F32);
    let l = Layout { shape: vec![3, 2], strides: vec![-6, 3], offset: 19 }; // x[3:0:-1, 1::3]
    let idx = Tensor::from_vec(vec![5i64, 0, 2, 2], &[2, 2], I64);
    let cpu = ops::gather_flat(&x.with_layout(l.clone()), &idx).unwrap();
    let xg = x.to_device(Device::Gpu).unwrap().with_layout(l);
    let g = ops::gather_flat(&xg, &idx.to_device(Device::Gpu).unwrap()).unwrap().to_device(Device::Cpu).unwrap();
    assert_eq!(g.to_vec::<f32>(), cpu.to_vec::<f32>());
    assert_eq!(cpu.to_vec::<f32>(), vec![10.0, 19.0, 13.0, 13.0]);
}
