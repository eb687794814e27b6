namespace SymGrad.Symbolic;

/// <summary>
/// The primitive operations of the expression graph. Everything else (subtraction, division, negation,
/// square root, ReLU, …) is built from these, so there are few derivative rules to get right.
/// The declaration order is the canonical order of kinds when sorting commutative arguments.
/// </summary>
public enum ExprKind
{
    /// <summary>A numeric constant (<see cref="Number"/>).</summary>
    Const,
    /// <summary>A named free variable.</summary>
    Var,
    /// <summary>n-ary sum; at most one constant argument, first.</summary>
    Add,
    /// <summary>n-ary product; at most one constant coefficient, first.</summary>
    Mul,
    /// <summary><c>base ^ exponent</c>.</summary>
    Pow,
    /// <summary><c>e^x</c>.</summary>
    Exp,
    /// <summary>Natural logarithm.</summary>
    Log,
    /// <summary>Sine.</summary>
    Sin,
    /// <summary>Cosine.</summary>
    Cos,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
    /// <summary>The logistic function <c>σ(x) = 1/(1+e^{-x})</c>, first-class so that σ' = σ(1−σ) reuses σ.</summary>
    Sigmoid,
    /// <summary>Absolute value.</summary>
    Abs,
    /// <summary>Sign: −1, 0 or 1.</summary>
    Sign,
    /// <summary>Maximum of two arguments.</summary>
    Max,
    /// <summary>Minimum of two arguments.</summary>
    Min,
    /// <summary><c>a &lt; b</c>, 1 when true, 0 when false.</summary>
    Less,
    /// <summary><c>a &lt;= b</c>.</summary>
    LessEqual,
    /// <summary><c>a &gt; b</c>.</summary>
    Greater,
    /// <summary><c>a &gt;= b</c>.</summary>
    GreaterEqual,
    /// <summary><c>a == b</c>.</summary>
    Equal,
    /// <summary><c>a != b</c>.</summary>
    NotEqual,
    /// <summary><c>condition ? whenTrue : whenFalse</c>: the piecewise node (condition nonzero means true).</summary>
    If,
    /// <summary>
    /// A subterm kept whole: sums and products do not merge its contents into their own, so it is computed once
    /// and reused. The reverse sweep wraps large adjoints in it so that a chain of n layers yields n small
    /// products instead of products of n factors. Evaluates to its argument; its derivative rule is the identity.
    /// </summary>
    Shared,
    /// <summary>
    /// A call to a named scalar function the engine cannot see into (another generated method, a custom
    /// function). Its derivative is a call to <c>{Name}Derivative</c> with the same argument.
    /// </summary>
    Call,
    /// <summary>A bound index (<c>i</c> of a sum), or a free index naming an element of a gradient (<c>k</c> of ∂L/∂w_k).</summary>
    Index,
    /// <summary>An element of an array, <c>x[i]</c> or <c>W[j, i]</c>: the array's name and one index expression per axis.</summary>
    Element,
    /// <summary>The length of one axis of an array (<c>x.Length</c>, printed <c>n</c> in LaTeX).</summary>
    Length,
    /// <summary>
    /// <c>Σ_{i=0}^{count−1} body</c>: an indexed sum over a bound <see cref="Index"/> (the node's name); arguments are
    /// the count and the body.
    /// </summary>
    Sum,
    /// <summary>max over an index of a body (name = the index; args: count, body).</summary>
    MaxOver,
    /// <summary>The first index at which a body is largest (name = the index; args: count, body): an integer, piecewise constant.</summary>
    ArgMax,
    /// <summary>
    /// softplus(u) = log(1 + eᵘ), which the simplifier puts in place of that form (and of log σ(u) = −softplus(−u)):
    /// computed as max(u, 0) + log(1 + e^−|u|), finite for every finite u.
    /// </summary>
    Softplus,
    /// <summary>
    /// An integer-valued expression (an index, a length, C# <c>int</c> arithmetic) converted to the floating-point
    /// type where C# converts it: the boundary between integer arithmetic, which wraps and truncates as C#'s does,
    /// and floating-point arithmetic. Its derivative is zero: an integer does not depend on the variables.
    /// </summary>
    ToFloat,
    /// <summary>C# <c>int</c> division: the quotient truncated toward zero (<c>7 / 2</c> is 3, <c>-7 / 2</c> is −3).</summary>
    IntDiv,
    /// <summary>C# <c>int</c> remainder: <c>a − b·(a / b)</c> with truncating division (<c>-7 % 3</c> is −1).</summary>
    IntRem,
    /// <summary>Arctangent (<c>Math.Atan</c>).</summary>
    Atan,
    /// <summary>Arcsine (<c>Math.Asin</c>), defined on [−1, 1].</summary>
    Asin,
    /// <summary>Arccosine (<c>Math.Acos</c>), defined on [−1, 1].</summary>
    Acos,
    /// <summary>Inverse hyperbolic sine (<c>Math.Asinh</c>).</summary>
    Asinh,
    /// <summary>Inverse hyperbolic cosine (<c>Math.Acosh</c>), defined from 1.</summary>
    Acosh,
    /// <summary>Inverse hyperbolic tangent (<c>Math.Atanh</c>), defined on (−1, 1).</summary>
    Atanh,
    /// <summary>The largest integer not above the argument (<c>Math.Floor</c>): a step function, derivative 0.</summary>
    Floor,
    /// <summary>The smallest integer not below the argument (<c>Math.Ceiling</c>): a step function, derivative 0.</summary>
    Ceiling,
    /// <summary>The argument rounded toward zero (<c>Math.Truncate</c>): a step function, derivative 0.</summary>
    Truncate,
    /// <summary>The nearest integer, ties to even (<c>Math.Round</c>): a step function, derivative 0.</summary>
    Round,
    /// <summary><c>Math.Atan2(y, x)</c>: the angle of the point (x, y), arguments in that order.</summary>
    Atan2,
    /// <summary><c>double.Hypot(x, y)</c> = √(x² + y²), computed without overflow or underflow.</summary>
    Hypot,
    /// <summary><c>Math.CopySign(x, y)</c>: |x| with the sign of y (the sign bit: −0.0 counts as negative).</summary>
    CopySign,
    /// <summary><c>Math.FusedMultiplyAdd(a, b, c)</c>: a·b + c with one rounding.</summary>
    FusedMultiplyAdd,
    /// <summary><c>Math.Cbrt</c>: the real cube root (negative for negative arguments).</summary>
    Cbrt,
    /// <summary><c>Math.Log2</c> (exact at powers of two, as .NET computes it).</summary>
    Log2,
    /// <summary><c>Math.Log10</c> (exact at powers of ten, as .NET computes it).</summary>
    Log10,
}
