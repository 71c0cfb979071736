//! The linear algebra primitives (ops/decomp.rs over faer) on their own: reconstructions,
//! LAPACK's pivots, singular and empty inputs, non-finite values, and recorded gradients.
use kerasish_engine::dtype::DType;
use kerasish_engine::ops::{self, decomp};
use kerasish_engine::tensor::Tensor;

fn t(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape, DType::F64)
}

fn vals(x: &Tensor) -> Vec<f64> {
    x.convert(DType::F64).to_vec()
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}

fn err<R>(r: kerasish_engine::Result<R>) -> String {
    match r {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected an error"),
    }
}

const A: [f64; 9] = [2.0, 1.0, 1.0, 4.0, -6.0, 0.0, -2.0, 7.0, 2.0];

/// det of a 3 x 3 row-major matrix by cofactor expansion.
fn det3(a: &[f64]) -> f64 {
    a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6])
}

#[test]
fn lu_factor_reconstructs_with_lapack_pivots() {
    // column 1 has a tie after the first step (|4| twice): LAPACK keeps the first row
    let (lu, piv) = decomp::lu_factor(&t(&A, &[3, 3])).unwrap();
    assert_eq!(piv.dtype(), DType::I32);
    let piv = piv.to_vec::<i32>();
    assert_eq!(piv[1], 1, "{piv:?}");
    let lu = vals(&lu);
    // P A from the swaps, L U from the packed factors
    let mut pa = A.to_vec();
    for (i, &p) in piv.iter().enumerate() {
        for c in 0..3 {
            pa.swap(i * 3 + c, p as usize * 3 + c);
        }
    }
    let mut prod = vec![0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            for k in 0..3 {
                let l = if k < i {
                    lu[i * 3 + k]
                } else if k == i {
                    1.0
                } else {
                    0.0
                };
                let u = if k <= j { lu[k * 3 + j] } else { 0.0 };
                prod[i * 3 + j] += l * u;
            }
        }
    }
    close(&prod, &pa, 1e-12);
    close(&vals(&decomp::det(&t(&A, &[3, 3])).unwrap()), &[det3(&A)], 1e-12);
}

#[test]
fn solve_inverts_and_qr_svd_reconstruct() {
    let a = t(&A, &[3, 3]);
    let b = t(&[1.0, 2.0, 3.0], &[3]);
    let x = decomp::solve(&a, &b).unwrap();
    close(&vals(&ops::matmul(&a, &x).unwrap()), &[1.0, 2.0, 3.0], 1e-12);
    let (q, r) = decomp::qr(&a, false).unwrap();
    close(&vals(&ops::matmul(&q, &r).unwrap()), &A, 1e-12);
    let usv = decomp::svd(&a, false, true).unwrap();
    let us = ops::mul(&usv[0], &ops::expand_dims(&usv[1], 0).unwrap()).unwrap();
    close(&vals(&ops::matmul(&us, &usv[2]).unwrap()), &A, 1e-12);
}

#[test]
fn singular_empty_and_non_finite_inputs_give_values() {
    let z = t(&[0.0; 16], &[4, 4]);
    assert_eq!(vals(&decomp::det(&z).unwrap()), vec![0.0]);
    let (s, l) = decomp::slogdet(&z).unwrap();
    assert_eq!((vals(&s), vals(&l)), (vec![0.0], vec![f64::NEG_INFINITY]));
    assert_eq!(vals(&decomp::det(&t(&[], &[0, 0])).unwrap()), vec![1.0]);
    let e = decomp::svd(&t(&[], &[2, 0, 3]), true, true).unwrap();
    assert_eq!((e[0].shape(), e[1].shape(), e[2].shape()), (&[2, 0, 0][..], &[2, 0][..], &[2, 3, 3][..]));
    let nan = t(&[f64::NAN, 1.0, 1.0, 1.0], &[2, 2]);
    assert!(vals(&decomp::svd(&nan, false, false).unwrap()[0]).iter().all(|v| v.is_nan()));
    assert!(vals(&decomp::eigh(&nan).unwrap().0).iter().all(|v| v.is_nan()));
    assert!(vals(&decomp::cholesky(&t(&[1.0, 2.0, 2.0, 1.0], &[2, 2]), false).unwrap()).iter().all(|v| v.is_nan()));
}

#[test]
fn shape_errors_name_the_shapes() {
    let e = err(decomp::det(&t(&[0.0; 6], &[2, 3])));
    assert!(e.contains("square") && e.contains("(2, 3)"), "{e}");
    let e = err(decomp::solve(&t(&[0.0; 4], &[2, 2]), &t(&[0.0; 15], &[3, 5])));
    assert!(e.contains("(2, 2)") && e.contains("(3, 5)"), "{e}");
    let e = err(decomp::qr(&t(&[0.0; 3], &[3]), false));
    assert!(e.contains("rank >= 2"), "{e}");
}

#[test]
fn gradients_are_recorded() {
    let a = t(&A, &[3, 3]);
    a.set_requires_grad(true);
    let d = decomp::det(&a).unwrap();
    kerasish_engine::autograd::backward(&d, None, false).unwrap();
    // d det / dA = the cofactor matrix = det(A) A^-T
    let inv = decomp::inv(&t(&A, &[3, 3])).unwrap();
    let want: Vec<f64> = vals(&ops::swapaxes(&inv, 0, 1).unwrap()).iter().map(|v| det3(&A) * v).collect();
    close(&vals(&a.grad().unwrap()), &want, 1e-10);
}
