//! Special functions computed in float64 on the host: the regularized lower incomplete gamma
//! function P(a, x) and its two partial derivatives. P comes from its power series where
//! x < a + 1 and from Legendre's continued fraction for Q = 1 - P elsewhere (Numerical Recipes'
//! gser / gcf, to float64 precision); dP/da is the same computation run on dual numbers
//! (value, d/da), so it is exact to the series' own convergence; dP/dx is x^(a-1) e^-x / Γ(a).
use crate::kinds::GammaPart;
use std::ops::{Add, Div, Mul, Sub};

/// The value and first derivative with respect to a of a quantity of the algorithm.
#[derive(Clone, Copy, Debug)]
struct Dual(f64, f64);

impl Add for Dual {
    type Output = Dual;
    fn add(self, o: Dual) -> Dual {
        Dual(self.0 + o.0, self.1 + o.1)
    }
}
impl Sub for Dual {
    type Output = Dual;
    fn sub(self, o: Dual) -> Dual {
        Dual(self.0 - o.0, self.1 - o.1)
    }
}
impl Mul for Dual {
    type Output = Dual;
    fn mul(self, o: Dual) -> Dual {
        Dual(self.0 * o.0, self.1 * o.0 + self.0 * o.1)
    }
}
impl Div for Dual {
    type Output = Dual;
    fn div(self, o: Dual) -> Dual {
        Dual(self.0 / o.0, (self.1 * o.0 - self.0 * o.1) / (o.0 * o.0))
    }
}

impl Dual {
    fn c(v: f64) -> Dual {
        Dual(v, 0.0)
    }
    fn exp(self) -> Dual {
        let e = self.0.exp();
        Dual(e, e * self.1)
    }
    fn lgamma(self) -> Dual {
        Dual(libm::lgamma(self.0), digamma(self.0) * self.1)
    }
}

/// ψ(x) for x > 0: the recurrence up to x >= 10, then the asymptotic series to its x^-12 term
/// (the first term left out is below 1e-15 there).
pub fn digamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let r = 1.0 / (x * x);
    let tail =
        r * (1.0 / 12.0 - r * (1.0 / 120.0 - r * (1.0 / 252.0 - r * (1.0 / 240.0 - r * (1.0 / 132.0 - r * (691.0 / 32760.0))))));
    acc + x.ln() - 0.5 / x - tail
}

const EPS: f64 = 1e-16;
const MAX_ITER: usize = 100_000;
const FPMIN: f64 = 1e-300;

/// P(a, x) with its derivative in a, for a > 0 and 0 < x < inf.
fn p_dual(a: f64, x: f64) -> Dual {
    let a = Dual(a, 1.0);
    // log of the prefactor x^a e^-x / Γ(a)
    let lx = x.ln();
    let pre = (Dual(a.0 * lx, lx) - Dual::c(x) - a.lgamma()).exp();
    if x < a.0 + 1.0 {
        // P = pre * sum_n x^n / (a (a+1) ... (a+n))
        let mut ap = a;
        let mut del = Dual::c(1.0) / a;
        let mut sum = del;
        for _ in 0..MAX_ITER {
            ap = ap + Dual::c(1.0);
            del = del * Dual::c(x) / ap;
            sum = sum + del;
            if del.0.abs() < sum.0.abs() * EPS && del.1.abs() <= sum.1.abs() * EPS {
                break;
            }
        }
        sum * pre
    } else {
        // Q = pre * 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...)), by the modified Lentz method
        let tiny = |d: Dual| if d.0.abs() < FPMIN { Dual(FPMIN, d.1) } else { d };
        let mut b = Dual::c(x + 1.0) - a;
        let mut c = Dual::c(1.0 / FPMIN);
        let mut d = Dual::c(1.0) / b;
        let mut h = d;
        for i in 1..MAX_ITER {
            let i = i as f64;
            let an = Dual::c(-i) * (Dual::c(i) - a);
            b = b + Dual::c(2.0);
            d = Dual::c(1.0) / tiny(an * d + b);
            c = tiny(b + an / c);
            let del = d * c;
            h = h * del;
            if (del.0 - 1.0).abs() < EPS && del.1.abs() <= h.1.abs().max(f64::MIN_POSITIVE) * EPS {
                break;
            }
        }
        Dual::c(1.0) - pre * h
    }
}

/// One part of P(a, x) at one point, with JAX's values at the edges: NaN for a < 0, x < 0,
/// a = inf or any NaN; P(0, x > 0) = 1; P(a, 0) = 0; P(a, inf) = 1.
pub fn gammainc(part: GammaPart, a: f64, x: f64) -> f64 {
    if a.is_nan() || x.is_nan() || a < 0.0 || x < 0.0 || a.is_infinite() || (a == 0.0 && x == 0.0) {
        return f64::NAN;
    }
    match part {
        GammaPart::DpDx => {
            if a == 0.0 || x.is_infinite() {
                return 0.0;
            }
            if x == 0.0 {
                return if a < 1.0 {
                    f64::INFINITY
                } else if a == 1.0 {
                    1.0
                } else {
                    0.0
                };
            }
            ((a - 1.0) * x.ln() - x - libm::lgamma(a)).exp()
        }
        _ if a == 0.0 || x.is_infinite() => match part {
            GammaPart::P => 1.0,
            _ => 0.0,
        },
        _ if x == 0.0 => 0.0,
        GammaPart::P => p_dual(a, x).0,
        GammaPart::DpDa => p_dual(a, x).1,
    }
}
