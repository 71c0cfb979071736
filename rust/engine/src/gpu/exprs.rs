//! The WGSL expression of each elementwise op, matched on the op kinds (kinds.rs) (a new op without
//! a GPU expression does not compile with the feature on). Inputs are named a, b, c; helpers
//! (sigm, log1p_, ...) are in elementwise.wgsl.
use super::kernels::lit;
use crate::dtype::DType;
use crate::kinds::{Act, Binary, Compare, Unary};

const SELU_ALPHA: f64 = 1.6732632423543772;
const SELU_SCALE: f64 = 1.0507009873554805;

fn f(v: f64) -> String {
    lit(v, DType::F32)
}

/// f(a) for float32.
pub fn unary_fwd(op: Unary, p: f64) -> String {
    let p = f(p);
    match op {
        Unary::Neg => "-a".into(),
        Unary::Abs => "abs(a)".into(),
        Unary::Square => "a * a".into(),
        Unary::Sqrt => "sqrt(a)".into(),
        Unary::Exp => "exp(a)".into(),
        Unary::Log => "log(a)".into(),
        Unary::Log1p => "log1p_(a)".into(),
        Unary::Tanh => "tanh_(a)".into(),
        Unary::Sigmoid => "sigm(a)".into(),
        Unary::Relu => "relu_(a)".into(),
        Unary::LeakyRelu => format!("select({p} * a, a, a > 0.0)"),
        Unary::Elu => format!("select({p} * expm1_(a), a, a > 0.0)"),
        Unary::Selu => format!("{} * select({} * expm1_(a), a, a > 0.0)", f(SELU_SCALE), f(SELU_ALPHA)),
        Unary::Gelu => "gelu_t(a)".into(),
        Unary::GeluErf => "gelu_e(a)".into(),
        Unary::Softplus => "relu_(a) + log1p_(exp(-abs(a)))".into(),
        Unary::Silu => "a * sigm(a)".into(),
        Unary::Sin => "sin(a)".into(),
        Unary::Cos => "cos(a)".into(),
        Unary::Tan => "tan(a)".into(),
        Unary::Arcsin => "asin_(a)".into(),
        Unary::Arccos => "acos_(a)".into(),
        Unary::Arctan => "atan_(a)".into(),
        Unary::Sinh => "sinh_(a)".into(),
        Unary::Cosh => "cosh(a)".into(),
        Unary::Arcsinh => "asinh_(a)".into(),
        Unary::Arccosh => "acosh(a)".into(),
        Unary::Arctanh => "atanh_(a)".into(),
        Unary::Expm1 => "expm1_(a)".into(),
        Unary::Log2 => "log2(a)".into(),
        Unary::Log10 => format!("log(a) * {}", f(std::f64::consts::LOG10_E)),
        Unary::Floor => "floor(a)".into(),
        Unary::Ceil => "ceil(a)".into(),
        Unary::Round => "round(a)".into(),
        Unary::Trunc => "trunc(a)".into(),
        // NaN compares false both ways and passes through
        Unary::Sign => "select(select(a, -1.0, a < 0.0), 1.0, a > 0.0)".into(),
        Unary::Erf => "erf_(a)".into(),
    }
}

/// g * f'(x) from a = g, b = x, c = y (float32).
pub fn unary_bwd(op: Unary, p: f64) -> String {
    let p = f(p);
    match op {
        Unary::Neg => "-a".into(),
        Unary::Abs => "a * sign(b)".into(),
        Unary::Square => "a * 2.0 * b".into(),
        Unary::Sqrt => "a * (0.5 / c)".into(),
        Unary::Exp => "a * c".into(),
        Unary::Log => "a * (1.0 / b)".into(),
        Unary::Log1p => "a * (1.0 / (1.0 + b))".into(),
        Unary::Tanh => "a * (1.0 - c * c)".into(),
        Unary::Sigmoid => "a * (c * (1.0 - c))".into(),
        Unary::Relu => "select(0.0, a, b > 0.0)".into(),
        Unary::LeakyRelu => format!("a * select({p}, 1.0, b > 0.0)"),
        Unary::Elu => format!("a * select(c + {p}, 1.0, b > 0.0)"),
        Unary::Selu => format!("a * select(c + {}, {}, b > 0.0)", f(SELU_SCALE * SELU_ALPHA), f(SELU_SCALE)),
        Unary::Gelu => "a * gelu_t_d(b)".into(),
        Unary::GeluErf => "a * gelu_e_d(b)".into(),
        Unary::Softplus => "a * sigm(b)".into(),
        Unary::Silu => "a * silu_d(b)".into(),
        Unary::Sin => "a * cos(b)".into(),
        Unary::Cos => "-a * sin(b)".into(),
        Unary::Tan => "a * (1.0 + c * c)".into(),
        Unary::Arcsin => "a / sqrt(1.0 - b * b)".into(),
        Unary::Arccos => "-a / sqrt(1.0 - b * b)".into(),
        Unary::Arctan => "a / (1.0 + b * b)".into(),
        Unary::Sinh => "a * cosh(b)".into(),
        Unary::Cosh => "a * sinh_(b)".into(),
        Unary::Arcsinh => "a / sqrt(b * b + 1.0)".into(),
        Unary::Arccosh => "a / sqrt(b * b - 1.0)".into(),
        Unary::Arctanh => "a / (1.0 - b * b)".into(),
        Unary::Expm1 => "a * (c + 1.0)".into(),
        Unary::Log2 => format!("a / (b * {})", f(std::f64::consts::LN_2)),
        Unary::Log10 => format!("a / (b * {})", f(std::f64::consts::LN_10)),
        Unary::Floor | Unary::Ceil | Unary::Round | Unary::Trunc | Unary::Sign => "0.0 * a".into(),
        Unary::Erf => format!("a * {} * exp(-b * b)", f(std::f64::consts::FRAC_2_SQRT_PI)),
    }
}

/// negative / abs / square / relu on int64 (i32 on the GPU) and uint8 (u32 holding 0..255).
pub fn unary_int(op: Unary, dt: DType) -> String {
    match (dt, op) {
        (DType::I64, Unary::Neg) => "-a".into(),
        (DType::I64, Unary::Abs) => "abs(a)".into(),
        (DType::I64, Unary::Square) => "a * a".into(),
        (DType::I64, Unary::Sign) => "sign(a)".into(),
        (DType::I64, Unary::Round | Unary::Trunc) => "a".into(),
        (DType::I64, _) => "max(a, 0)".into(),
        (_, Unary::Sign) => "min(a, 1u)".into(),
        (_, Unary::Neg) => "(0u - a) & 255u".into(),
        (_, Unary::Square) => "(a * a) & 255u".into(),
        _ => "a".into(),
    }
}

pub fn binary_float(op: Binary) -> String {
    match op {
        Binary::Add => "a + b",
        Binary::Sub => "a - b",
        Binary::Mul => "a * b",
        Binary::Div => "a / b",
        Binary::Pow => "pow_(a, b)",
        // NaN propagates, as in NumPy
        Binary::Maximum => "select(select(b, a, a >= b), a + b, isnan_(a) || isnan_(b))",
        Binary::Minimum => "select(select(b, a, a <= b), a + b, isnan_(a) || isnan_(b))",
        Binary::FloorDiv => "fdivmod(a, b).x",
        Binary::Mod => "fdivmod(a, b).y",
        // refused for floats by the op rule before any kernel runs
        Binary::BitAnd | Binary::BitOr | Binary::BitXor | Binary::LeftShift | Binary::RightShift => "a - a",
    }
    .into()
}

/// int64 ops (32-bit on the GPU: they wrap at 32 bits).
pub fn binary_int(op: Binary) -> String {
    match op {
        Binary::Add => "a + b",
        Binary::Sub => "a - b",
        Binary::Mul => "a * b",
        Binary::Pow => "ipow(a, b)",
        Binary::Maximum => "max(a, b)",
        Binary::Minimum => "min(a, b)",
        Binary::FloorDiv | Binary::Div => "ifloordiv(a, b)",
        Binary::Mod => "imod(a, b)",
        Binary::BitAnd => "a & b",
        Binary::BitOr => "a | b",
        Binary::BitXor => "a ^ b",
        // the GPU's integers are 32-bit words
        Binary::LeftShift => "select(0, a << u32(clamp(b, 0, 31)), b >= 0 && b < 32)",
        Binary::RightShift => "a >> u32(clamp(b, 0, 31))",
    }
    .into()
}

/// a op b as 0/1; for floats a NaN operand makes every comparison false but `!=` (IEEE), tested
/// by its bits.
pub fn compare(op: Compare, float: bool) -> String {
    let o = match op {
        Compare::Eq => "==",
        Compare::Ne => "!=",
        Compare::Lt => "<",
        Compare::Le => "<=",
        Compare::Gt => ">",
        Compare::Ge => ">=",
    };
    match (float, op) {
        (false, _) => format!("select(0u, 1u, a {o} b)"),
        (true, Compare::Ne) => "select(0u, 1u, a != b || isnan_(a) || isnan_(b))".into(),
        (true, _) => format!("select(0u, 1u, !(isnan_(a) || isnan_(b)) && a {o} b)"),
    }
}

/// act(v) for bias_act's forward.
pub fn act_fwd(act: Act, v: &str) -> String {
    match act {
        Act::Linear => v.to_string(),
        Act::Relu => format!("relu_({v})"),
        Act::Sigmoid => format!("sigm({v})"),
        Act::Tanh => format!("tanh_({v})"),
    }
}

/// g * act'(from y) with a = g, b = y.
pub fn act_bwd(act: Act) -> String {
    match act {
        Act::Linear => "a".into(),
        Act::Relu => "select(0.0, a, b > 0.0)".into(),
        Act::Sigmoid => "a * (b * (1.0 - b))".into(),
        Act::Tanh => "a * (1.0 - b * b)".into(),
    }
}
