//! The engine on its own (no Python): layouts and broadcasting, autograd, plan replay, the batch
//! loop, and the backends (CPU always; the GPU where an adapter opens, e.g. lavapipe).
//! The one test binary of the engine (one link instead of one per file); its other modules:
//! decomp (the linear algebra primitives) and internals (functions of the engine one at a time).
mod decomp;
mod internals;

use kerasish_engine::backend;
use kerasish_engine::batches::HostArray;
use kerasish_engine::batches::{self, Batches};
use kerasish_engine::dtype::DType;
use kerasish_engine::kinds::Binary;
use kerasish_engine::layout::{broadcast_shapes, Layout};
use kerasish_engine::tensor::{Device, Tensor};
use kerasish_engine::{autograd, ops, plan};

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_device(Device::Cpu).unwrap().convert(DType::F32).to_vec()
}

#[test]
fn broadcasting_gives_numpys_shapes_and_zero_strides() {
    assert_eq!(broadcast_shapes("t", &[3, 1, 5], &[4, 1]).unwrap(), vec![3, 4, 5]);
    assert_eq!(broadcast_shapes("t", &[], &[2, 3]).unwrap(), vec![2, 3]);
    let err = broadcast_shapes("add", &[3], &[4]).unwrap_err().to_string();
    assert!(err.contains("add") && err.contains("(3,)") && err.contains("(4,)"), "{err}");
    let l = Layout::contiguous(&[3, 1]).broadcast_to("t", &[2, 3, 4]).unwrap();
    assert_eq!((l.shape, l.strides), (vec![2, 3, 4], vec![0, 1, 0]));
    let p = Layout::contiguous(&[2, 3]).permute(&[1, 0]);
    assert_eq!((p.shape, p.strides), (vec![3, 2], vec![1, 3]));
}

#[test]
fn views_and_mixed_dtypes_read_the_right_elements() {
    let x = Tensor::from_vec((0..6).map(|v| v as f32).collect::<Vec<f32>>(), &[2, 3], DType::F32);
    let t = ops::transpose(&x, None).unwrap();
    let y = ops::add(&t, &Tensor::from_vec(vec![10i64, 20], &[2], DType::I64)).unwrap();
    assert_eq!(y.dtype(), DType::F32);
    assert_eq!(f32s(&y), vec![10.0, 23.0, 11.0, 24.0, 12.0, 25.0]);
}

#[test]
fn autograd_sums_gradients_and_frees_the_graph() {
    let x = Tensor::from_vec(vec![1.0f64, -2.0, 3.0], &[3], DType::F64);
    x.set_requires_grad(true);
    // y = sum(x * x + 3x): dy/dx = 2x + 3
    let y = ops::sum(
        &ops::add(&ops::mul(&x, &x).unwrap(), &ops::mul(&x, &Tensor::scalar(3.0, DType::F64)).unwrap()).unwrap(),
        None,
        false,
    )
    .unwrap();
    autograd::backward(&y, None, false).unwrap();
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![5.0, -1.0, 9.0]);
    let again = autograd::backward(&y, None, false).unwrap_err().to_string();
    assert!(again.contains("backward"), "{again}");
}

#[test]
fn a_plan_replays_the_step_bit_for_bit() {
    let w = Tensor::from_vec(vec![0.5f32, -1.5, 2.0], &[3], DType::F32);
    let step = |x: &Tensor| -> Tensor {
        let xs = vec![x.clone(), w.clone()];
        let z = plan::call1("mul", xs, |i| ops::mul(&i[0], &i[1])).unwrap();
        plan::call1("tanh", vec![z], |i| ops::tanh(&i[0])).unwrap()
    };
    let x0 = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3], DType::F32);
    plan::begin(std::slice::from_ref(&x0)).unwrap();
    let traced = step(&x0);
    let p = plan::end(std::slice::from_ref(&traced)).unwrap();
    assert_eq!(p.op_names(), vec!["mul", "tanh"]);
    let x1 = Tensor::from_vec(vec![-0.25f32, 0.75, 1.25], &[3], DType::F32);
    let replayed = p.run(std::slice::from_ref(&x1)).unwrap();
    assert_eq!(f32s(&replayed[0]), f32s(&step(&x1)));
}

#[test]
fn the_batch_loop_feeds_rows_in_order_and_writes_outputs_back() {
    // a plan that doubles a batch of 2 rows of 3
    let x0 = Tensor::full(&[2, 3], 0.0, DType::F32);
    plan::begin(std::slice::from_ref(&x0)).unwrap();
    let y = plan::call1("mul", vec![x0.clone()], |i| ops::mul(&i[0], &Tensor::scalar(2.0, DType::F32))).unwrap();
    let p = plan::end(std::slice::from_ref(&y)).unwrap();
    let mut src: Vec<f32> = (0..18).map(|v| v as f32).collect();
    let mut dst = vec![0f32; 18];
    // SAFETY: both vectors outlive the loop and nothing else touches them meanwhile
    let (a, o) = unsafe {
        (
            HostArray::new(src.as_mut_ptr() as *mut u8, vec![6, 3], DType::F32),
            HostArray::new(dst.as_mut_ptr() as *mut u8, vec![6, 3], DType::F32),
        )
    };
    let order = vec![5i64, 4, 3, 2, 1, 0];
    let mut lp = Batches::new(&p, vec![a], Some(order), 0, 3, 2, vec![o]).unwrap();
    let mut ran = Vec::new();
    while let Some(j) = lp.step().unwrap() {
        ran.push(j);
    }
    drop(lp);
    assert_eq!(ran, vec![0, 1, 2]);
    // batch j takes rows order[2j..2j+2] and lands at positions 2j..2j+2
    let want: Vec<f32> = [5, 4, 3, 2, 1, 0].iter().flat_map(|&r| (0..3).map(move |c| 2.0 * (3 * r + c) as f32)).collect();
    assert_eq!(dst, want);
    // too many batches for the rows is an error before any work
    let a = unsafe { HostArray::new(src.as_mut_ptr() as *mut u8, vec![6, 3], DType::F32) };
    let err = Batches::new(&p, vec![a], None, 2, 3, 2, vec![]).err().unwrap().to_string();
    assert!(err.contains("need 8 rows"), "{err}");
}

#[test]
fn permutations_repeat_with_the_seed() {
    kerasish_engine::random::set_seed(7);
    let a = batches::permutation(100);
    kerasish_engine::random::set_seed(7);
    assert_eq!(a, batches::permutation(100));
    let mut s = a.clone();
    s.sort();
    assert_eq!(s, (0..100).collect::<Vec<i64>>());
}

#[test]
fn the_cpu_conv_matches_a_direct_sum() {
    // 1 image 4x4x2, kernel 3x3x2x3, "valid": each output is a sum of 18 products
    let x: Vec<f64> = (0..32).map(|v| (v as f64 * 0.37).sin()).collect();
    let k: Vec<f64> = (0..54).map(|v| (v as f64 * 0.11).cos()).collect();
    let xt = Tensor::from_vec(x.clone(), &[1, 4, 4, 2], DType::F64);
    let kt = Tensor::from_vec(k.clone(), &[3, 3, 2, 3], DType::F64);
    let y = ops::conv(&xt, &kt, [1, 1], "valid", [1, 1]).unwrap();
    assert_eq!(y.shape(), &[1, 2, 2, 3]);
    let got: Vec<f64> = y.to_vec();
    for oy in 0..2 {
        for ox in 0..2 {
            for o in 0..3 {
                let mut s = 0.0;
                for ky in 0..3 {
                    for kx in 0..3 {
                        for c in 0..2 {
                            s += x[((oy + ky) * 4 + ox + kx) * 2 + c] * k[((ky * 3 + kx) * 2 + c) * 3 + o];
                        }
                    }
                }
                assert!((got[(oy * 2 + ox) * 3 + o] - s).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn the_device_rule_names_the_op_and_the_shapes() {
    let cpu = Tensor::full(&[2], 1.0, DType::F32);
    assert_eq!(backend::for_inputs("add", &[&cpu, &cpu]).unwrap().device(), Device::Cpu);
    if backend::open(Device::Gpu).is_err() {
        return;
    }
    let gpu = cpu.to_device(Device::Gpu).unwrap();
    let err = backend::for_inputs("add", &[&gpu, &cpu]).err().unwrap().to_string();
    assert!(err.contains("add") && err.contains("(2,)"), "{err}");
    // a 0-d host scalar mixes with GPU tensors
    assert_eq!(backend::for_inputs("add", &[&gpu, &Tensor::scalar(1.0, DType::F32)]).unwrap().device(), Device::Gpu);
}

/// The same primitive on both backends gives the same numbers (skipped without a GPU adapter).
#[test]
fn the_gpu_backend_matches_the_cpu_one() {
    if backend::open(Device::Gpu).is_err() {
        eprintln!("skipped: no GPU adapter");
        return;
    }
    let a = Tensor::from_vec((0..12).map(|v| v as f32 * 0.5 - 2.0).collect::<Vec<f32>>(), &[3, 4], DType::F32);
    let b = Tensor::from_vec(vec![1.5f32, -0.5, 2.0, 3.0], &[4], DType::F32);
    let (ag, bg) = (a.to_device(Device::Gpu).unwrap(), b.to_device(Device::Gpu).unwrap());
    for op in [Binary::Add, Binary::Mul, Binary::Maximum, Binary::FloorDiv] {
        let c = ops::binary(op, &a, &b).unwrap();
        let g = ops::binary(op, &ag, &bg).unwrap();
        assert_eq!(g.device(), Device::Gpu);
        assert_eq!(f32s(&g), f32s(&c), "{op:?}");
    }
    let mm_c = ops::matmul(&a, &ops::transpose(&a, None).unwrap()).unwrap();
    let mm_g = ops::matmul(&ag, &ops::transpose(&ag, None).unwrap()).unwrap();
    for (x, y) in f32s(&mm_g).iter().zip(f32s(&mm_c)) {
        assert!((x - y).abs() <= 1e-5 * y.abs().max(1.0), "{x} vs {y}");
    }
    let s = ops::sum(&ag, Some(&[0]), false).unwrap();
    assert_eq!(f32s(&s), f32s(&ops::sum(&a, Some(&[0]), false).unwrap()));
}

/// A primitive a device has no kernel for runs through the host and comes back on the device.
#[test]
fn via_host_runs_the_cpu_kernel_and_returns_to_the_device() {
    let dev = if backend::open(Device::Gpu).is_ok() { Device::Gpu } else { Device::Cpu };
    let x = Tensor::from_vec(vec![1.0f32, 4.0, 9.0], &[3], DType::F32).to_device(dev).unwrap();
    let y = backend::via_host("sqrt_test", dev, &[&x], |h| ops::sqrt(&h[0])).unwrap();
    assert_eq!(y.device(), dev);
    assert_eq!(f32s(&y), vec![1.0, 2.0, 3.0]);
}
