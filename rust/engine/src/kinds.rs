//! What the op table asks a backend to do, named: the kinds of elementwise ops, activations and
//! reductions, and the geometry of convolutions and pools. Shared by the op table and every
//! backend, so kernels never import the op layer. Each backend matches these enums exhaustively:
//! a new kind without a kernel on some device does not compile.
use crate::bail;
use crate::error::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unary {
    Neg,
    Abs,
    Square,
    Sqrt,
    Exp,
    Log,
    Log1p,
    Tanh,
    Sigmoid,
    Relu,
    LeakyRelu,
    Elu,
    Selu,
    /// the tanh approximation, Keras's default
    Gelu,
    GeluErf,
    Softplus,
    Silu,
    Sin,
    Cos,
    Tan,
    Arcsin,
    Arccos,
    Arctan,
    Sinh,
    Cosh,
    Arcsinh,
    Arccosh,
    Arctanh,
    Expm1,
    Log2,
    Log10,
    Floor,
    Ceil,
    /// half to even, as NumPy
    Round,
    Trunc,
    Sign,
    Erf,
}

/// (op, the name `kerasish._core.unary` takes); the op's name is the same except GeluErf's.
const UNARY_NAMES: [(Unary, &str); 37] = [
    (Unary::Neg, "negative"),
    (Unary::Abs, "abs"),
    (Unary::Square, "square"),
    (Unary::Sqrt, "sqrt"),
    (Unary::Exp, "exp"),
    (Unary::Log, "log"),
    (Unary::Log1p, "log1p"),
    (Unary::Tanh, "tanh"),
    (Unary::Sigmoid, "sigmoid"),
    (Unary::Relu, "relu"),
    (Unary::LeakyRelu, "leaky_relu"),
    (Unary::Elu, "elu"),
    (Unary::Selu, "selu"),
    (Unary::Gelu, "gelu"),
    (Unary::GeluErf, "gelu_erf"),
    (Unary::Softplus, "softplus"),
    (Unary::Silu, "silu"),
    (Unary::Sin, "sin"),
    (Unary::Cos, "cos"),
    (Unary::Tan, "tan"),
    (Unary::Arcsin, "arcsin"),
    (Unary::Arccos, "arccos"),
    (Unary::Arctan, "arctan"),
    (Unary::Sinh, "sinh"),
    (Unary::Cosh, "cosh"),
    (Unary::Arcsinh, "arcsinh"),
    (Unary::Arccosh, "arccosh"),
    (Unary::Arctanh, "arctanh"),
    (Unary::Expm1, "expm1"),
    (Unary::Log2, "log2"),
    (Unary::Log10, "log10"),
    (Unary::Floor, "floor"),
    (Unary::Ceil, "ceil"),
    (Unary::Round, "round"),
    (Unary::Trunc, "trunc"),
    (Unary::Sign, "sign"),
    (Unary::Erf, "erf"),
];

impl Unary {
    pub fn name(self) -> &'static str {
        match self {
            Unary::GeluErf => "gelu",
            op => UNARY_NAMES.iter().find(|(u, _)| *u == op).map_or("unary", |(_, n)| n),
        }
    }

    pub fn parse(name: &str) -> Result<Unary> {
        match UNARY_NAMES.iter().find(|(_, n)| *n == name) {
            Some((u, _)) => Ok(*u),
            None => bail!(Value, "unknown unary op '{name}'"),
        }
    }

    /// The ops that keep integer dtypes (the rest compute integers in float32, as Keras does).
    pub fn keeps_ints(self) -> bool {
        matches!(self, Unary::Neg | Unary::Abs | Unary::Square | Unary::Relu | Unary::Sign | Unary::Round | Unary::Trunc)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Maximum,
    Minimum,
    FloorDiv,
    Mod,
    /// integers and bools only (the op rule refuses floats)
    BitAnd,
    BitOr,
    BitXor,
    LeftShift,
    RightShift,
}

const BINARY_NAMES: [(Binary, &str); 14] = [
    (Binary::Add, "add"),
    (Binary::Sub, "subtract"),
    (Binary::Mul, "multiply"),
    (Binary::Div, "divide"),
    (Binary::Pow, "power"),
    (Binary::Maximum, "maximum"),
    (Binary::Minimum, "minimum"),
    (Binary::FloorDiv, "floor_divide"),
    (Binary::Mod, "mod"),
    (Binary::BitAnd, "bitwise_and"),
    (Binary::BitOr, "bitwise_or"),
    (Binary::BitXor, "bitwise_xor"),
    (Binary::LeftShift, "left_shift"),
    (Binary::RightShift, "right_shift"),
];

impl Binary {
    /// The bitwise ops, defined on integers and bools only.
    pub fn is_bitwise(self) -> bool {
        matches!(self, Binary::BitAnd | Binary::BitOr | Binary::BitXor | Binary::LeftShift | Binary::RightShift)
    }

    pub fn name(self) -> &'static str {
        BINARY_NAMES.iter().find(|(b, _)| *b == self).map_or("binary", |(_, n)| n)
    }

    pub fn parse(name: &str) -> Result<Binary> {
        match BINARY_NAMES.iter().find(|(_, n)| *n == name) {
            Some((b, _)) => Ok(*b),
            None => bail!(Value, "unknown binary op '{name}'"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Compare {
    pub fn parse(name: &str) -> Result<Compare> {
        Ok(match name {
            "equal" => Compare::Eq,
            "not_equal" => Compare::Ne,
            "less" => Compare::Lt,
            "less_equal" => Compare::Le,
            "greater" => Compare::Gt,
            "greater_equal" => Compare::Ge,
            _ => bail!(Value, "unknown comparison '{name}'"),
        })
    }
}

/// Activations whose derivative can be written from their output alone (fused into Dense and
/// Conv as their epilogue).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Linear,
    Relu,
    Sigmoid,
    Tanh,
}

impl Act {
    pub fn parse(op: &str, name: &str) -> Result<Act> {
        Ok(match name {
            "linear" => Act::Linear,
            "relu" => Act::Relu,
            "sigmoid" => Act::Sigmoid,
            "tanh" => Act::Tanh,
            _ => bail!(Value, "{op}: unknown activation '{name}'; valid: linear, relu, sigmoid, tanh"),
        })
    }
}

/// Reductions over axes a backend runs (mean, var, std, logsumexp are composed from them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduce {
    Sum,
    Max,
    Min,
    ArgMax,
    ArgMin,
}

/// A 2-D convolution of NHWC inputs (n, h, w, c) with a (kh, kw, c, o) kernel: strides,
/// dilations, padding before (top, left) and the output size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeom {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub kh: usize,
    pub kw: usize,
    pub o: usize,
    pub sh: usize,
    pub sw: usize,
    pub dh: usize,
    pub dw: usize,
    pub pt: usize,
    pub pl: usize,
    pub oh: usize,
    pub ow: usize,
}

/// A 2-D pool of NHWC inputs: window (ph, pw), strides, padding before and the output size.
#[derive(Clone, Copy, Debug)]
pub struct PoolGeom {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub ph: usize,
    pub pw: usize,
    pub sh: usize,
    pub sw: usize,
    pub pt: usize,
    pub pl: usize,
    pub oh: usize,
    pub ow: usize,
}

/// Which part of the regularized lower incomplete gamma function P(a, x) a kernel computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GammaPart {
    P,
    DpDa,
    DpDx,
}
