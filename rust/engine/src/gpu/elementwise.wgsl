// Helpers for the generated elementwise kernels (kernels.rs writes the bindings and `main`).
// WGSL lacks log1p, expm1, erf and a tanh that is safe for large inputs; these keep float32
// accuracy close to the CPU kernels.

// log1p and expm1 near 0 by series: GPU log and exp are only accurate to an absolute error
// near 1 (Vulkan allows 2^-21), which is a large relative error for small results.
fn log1p_(x: f32) -> f32 {
    if (abs(x) >= 0.5) { return log(1.0 + x); }
    // 2 atanh(s), s = x / (2 + x), |s| < 1/3
    let s = x / (2.0 + x);
    let s2 = s * s;
    return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 / 15.0)))))));
}

fn expm1_(x: f32) -> f32 {
    if (abs(x) >= 0.5) { return exp(x) - 1.0; }
    // Taylor to x^9 (the rest is below 1e-9 relative for |x| < 0.5)
    return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0 +
        x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x / 362880.0))))))));
}

// NaN by its bits: WGSL lets a compiler assume floats are never NaN, so x != x may fold away
fn isnan_(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// relu that lets NaN pass, as the CPU's
fn relu_(x: f32) -> f32 {
    return select(0.0, x, x > 0.0 || isnan_(x));
}

fn tanh_(x: f32) -> f32 {
    if (isnan_(x)) { return x; }
    return tanh(clamp(x, -15.0, 15.0));
}

fn sigm(x: f32) -> f32 {
    if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
    let e = exp(x);
    return e / (1.0 + e);
}

// erf from Numerical Recipes' erfc (Chebyshev fit, relative error below 1.2e-7)
fn erf_(x: f32) -> f32 {
    let z = abs(x);
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
        t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
        t * (-0.82215223 + t * 0.17087277)))))))));
    return select(r - 1.0, 1.0 - r, x >= 0.0);
}

fn gelu_t(x: f32) -> f32 {
    let k = 0.7978845608028654;
    return 0.5 * x * (1.0 + tanh_(k * (x + 0.044715 * x * x * x)));
}

fn gelu_t_d(x: f32) -> f32 {
    let k = 0.7978845608028654;
    let t = tanh_(k * (x + 0.044715 * x * x * x));
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3.0 * 0.044715 * x * x);
}

fn gelu_e(x: f32) -> f32 {
    return 0.5 * x * (1.0 + erf_(x * 0.7071067811865476));
}

fn gelu_e_d(x: f32) -> f32 {
    let cdf = 0.5 * (1.0 + erf_(x * 0.7071067811865476));
    return cdf + x * exp(-0.5 * x * x) * 0.3989422804014327;
}

fn silu_d(x: f32) -> f32 {
    let s = sigm(x);
    return s + x * s * (1.0 - s);
}

// x ** y as C's powf: negative bases with integer exponents, 0 ** y
fn pow_(x: f32, y: f32) -> f32 {
    if (y == 0.0) { return 1.0; }
    if (x == 0.0) { return select(bitcast<f32>(0x7f800000u), 0.0, y > 0.0); }
    if (x > 0.0) { return exp2(y * log2(x)); }
    if (y != round(y)) { return bitcast<f32>(0x7fc00000u); }
    let m = exp2(y * log2(-x));
    let odd = (abs(y) < 16777216.0) && (abs(y) % 2.0 == 1.0);
    return select(m, -m, odd);
}

// C's fmod, exact while the quotient is below 2^24 (WGSL's float % is a - b * trunc(a / b),
// which is off when a / b rounds up to an integer: 0.5 % 0.1 gave 0, fmod gives 0.099999994).
// The product b * q is split exactly into p + e (Dekker's two-product with Veltkamp's split;
// fma is not fused on every driver); a - p is exact (Sterbenz) and so is the last subtraction,
// whose result is representable. A residual of the wrong sign means the quotient was one too
// far from zero.
fn two_prod_err(x: f32, y: f32, p: f32) -> f32 {
    let cx = 4097.0 * x;
    let xh = cx - (cx - x);
    let xl = x - xh;
    let cy = 4097.0 * y;
    let yh = cy - (cy - y);
    let yl = y - yh;
    return ((xh * yh - p) + xh * yl + xl * yh) + xl * yl;
}
fn fmod_(a: f32, b: f32) -> f32 {
    let q = trunc(a / b);
    // past 2^24 the quotient is not exact anyway, and the split would overflow near f32's max
    if (abs(q) >= 16777216.0 || abs(b) > 1e30) { return a - b * q; }
    let p = b * q;
    var r = (a - p) - two_prod_err(b, q, p);
    if (r != 0.0 && (r < 0.0) != (a < 0.0)) { r = r + select(abs(b), -abs(b), a < 0.0); }
    return r;
}

// Python's float divmod (floor division and a remainder with the divisor's sign), from fmod as
// the CPU's and NumPy's
fn fdivmod(a: f32, b: f32) -> vec2<f32> {
    if (b == 0.0) { return vec2<f32>(a / b, a - b * trunc(a / b)); }
    var m = fmod_(a, b);
    var d = (a - m) / b;
    if (m != 0.0) {
        if ((b < 0.0) != (m < 0.0)) { m = m + b; d = d - 1.0; }
    } else {
        m = select(0.0, -0.0, b < 0.0);
    }
    var fd = 0.0;
    if (d != 0.0) {
        fd = floor(d);
        if (d - fd > 0.5) { fd = fd + 1.0; }
    } else {
        fd = select(0.0, -0.0, (a < 0.0) != (b < 0.0));
    }
    return vec2<f32>(fd, m);
}

fn ipow(x: i32, y: i32) -> i32 {
    var r = 1;
    var b = x;
    var e = u32(max(y, 0));
    loop {
        if (e == 0u) { break; }
        if ((e & 1u) == 1u) { r = r * b; }
        b = b * b;
        e = e >> 1u;
    }
    return r;
}

fn ifloordiv(a: i32, b: i32) -> i32 {
    if (b == 0) { return 0; }
    let q = a / b;
    return q - select(0, 1, (a % b != 0) && ((a < 0) != (b < 0)));
}

fn imod(a: i32, b: i32) -> i32 {
    if (b == 0) { return 0; }
    let r = a % b;
    return select(r, r + b, r != 0 && ((r < 0) != (b < 0)));
}

// Inverse trigonometric and hyperbolic functions: GPU asin/acos/atan/sinh/asinh are only
// accurate to about 1e-4 on some drivers (lavapipe), so they are built here from atan_ (Cephes'
// atanf: range reduction to |x| <= tan(pi/8) and a degree-9 odd polynomial, ~1e-7 relative) and
// from expm1_ / log1p_ where the textbook formulas cancel near 0.
fn atan_(x: f32) -> f32 {
    if (isnan_(x)) { return x; }
    let a = abs(x);
    var y = 0.0;
    var t = a;
    if (a > 2.414213562373095) {
        y = 1.5707963267948966;
        t = -1.0 / a;
    } else if (a > 0.41421356237309503) {
        y = 0.7853981633974483;
        t = (a - 1.0) / (a + 1.0);
    }
    let z = t * t;
    y = y + ((((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * t + t);
    return select(y, -y, x < 0.0);
}

fn asin_(x: f32) -> f32 {
    // |x| > 1: sqrt of a negative number is NaN
    return atan_(x / sqrt((1.0 - x) * (1.0 + x)));
}

fn acos_(x: f32) -> f32 {
    return 2.0 * atan_(sqrt((1.0 - x) / (1.0 + x)));
}

fn sinh_(x: f32) -> f32 {
    let a = abs(x);
    let e = expm1_(a);
    // e^a - e^-a = e + e / (e + 1) with e = e^a - 1 (no cancellation near 0)
    let s = select(0.5 * (e + e / (e + 1.0)), 0.5 * exp(a), a > 20.0);
    return select(s, -s, x < 0.0);
}

fn asinh_(x: f32) -> f32 {
    let a = abs(x);
    // log(a + sqrt(a^2 + 1)) = log1p(a + a^2 / (1 + sqrt(1 + a^2))); log(2a) once a^2 would overflow
    let s = select(log1p_(a + a * a / (1.0 + sqrt(1.0 + a * a))), log(a) + 0.6931471805599453, a > 1.0e4);
    return select(s, -s, x < 0.0);
}

fn atanh_(x: f32) -> f32 {
    return 0.5 * log1p_(2.0 * x / (1.0 - x));
}
