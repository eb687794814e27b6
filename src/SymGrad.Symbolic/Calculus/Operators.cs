using System;
using System.Linq;
using System.Collections.Generic;

namespace SymGrad.Symbolic;

/// <summary>
/// One row per primitive operation: its names in C# and LaTeX, how to evaluate it and its derivative rule.
/// Printers, the evaluator and the differentiator all read this table, so an operation is described once.
/// </summary>
public sealed class OperatorInfo
{
    internal OperatorInfo(ExprKind kind, string name, string? csharpFunction, string? latexFunction,
        Func<double, double>? unary, DerivativeRule rule)
    {
        Kind = kind;
        Name = name;
        CSharpFunction = csharpFunction;
        LatexFunction = latexFunction;
        Unary = unary;
        Rule = rule;
    }

    /// <summary>The operation.</summary>
    public ExprKind Kind { get; }
    /// <summary>Short name (<c>tanh</c>, <c>mul</c>).</summary>
    public string Name { get; }
    /// <summary>The <c>System.Math</c> member for unary functions (<c>Tanh</c>); null for operators and σ.</summary>
    public string? CSharpFunction { get; }
    /// <summary>The LaTeX form of unary functions (<c>\tanh</c>, <c>\sigma</c>).</summary>
    public string? LatexFunction { get; }
    /// <summary>Numeric evaluation of unary functions.</summary>
    public Func<double, double>? Unary { get; }
    /// <summary>The derivative rule.</summary>
    public DerivativeRule Rule { get; }
}

/// <summary>
/// A derivative rule: the local partial derivative of a node with respect to one of its arguments,
/// expressed through the node itself where that is cheaper (<c>d tanh(u) = 1 − tanh(u)²</c>, <c>dσ = σ(1−σ)</c>).
/// </summary>
public sealed class DerivativeRule
{
    internal DerivativeRule(string name, string latex, Func<Expr, int, Expr> local)
    {
        Name = name;
        Latex = latex;
        Local = local;
    }

    /// <summary>Name recorded in derivation logs (<c>tanh rule</c>).</summary>
    public string Name { get; }
    /// <summary>The rule as a LaTeX statement.</summary>
    public string Latex { get; }
    /// <summary>∂node/∂args[i], in terms of the node and its arguments.</summary>
    public Func<Expr, int, Expr> Local { get; }
}

/// <summary>The operator table.</summary>
public static class Operators
{
    // The real cube root (netstandard2.0 has no Math.Cbrt).
    private static double CubeRoot(double x) => x < 0 ? -Math.Pow(-x, 1.0 / 3) : Math.Pow(x, 1.0 / 3);

    private static readonly Dictionary<ExprKind, OperatorInfo> Table = new();

    static Operators()
    {
        static Expr Arg(Expr n, int i) => n.ArgArray[i];
        static Expr Others(Expr n, int i)
        {
            var rest = new List<Expr>(n.ArgArray.Length - 1);
            for (var j = 0; j < n.ArgArray.Length; j++) if (j != i) rest.Add(n.ArgArray[j]);
            return Expr.Mul(rest);
        }
        static Expr Zero(Expr n, int i) => Expr.Zero;

        Add(ExprKind.Const, "const", null, null, null, new("constant", @"\frac{d}{du} c = 0", Zero));
        Add(ExprKind.Var, "var", null, null, null, new("variable", @"\frac{\partial x}{\partial x} = 1", Zero));
        Add(ExprKind.Add, "add", null, null, null, new("sum rule", @"\frac{\partial}{\partial u_i} \sum_j u_j = 1", (n, i) => Expr.One));
        Add(ExprKind.Mul, "mul", null, null, null, new("product rule", @"\frac{\partial}{\partial u_i} \prod_j u_j = \prod_{j \ne i} u_j", Others));
        Add(ExprKind.Pow, "pow", "Pow", null, null, new("power rule",
            @"\frac{\partial u^{v}}{\partial u} = v u^{v-1},\; \frac{\partial u^{v}}{\partial v} = u^{v} \log u",
            (n, i) => i == 0
                ? PowerRule(Arg(n, 0), Arg(n, 1))
                : Expr.Mul(n, Expr.Log(Arg(n, 0)))));
        // v·u^(v−1); where an exponent of int data is 0 (Math.Pow(w, i) at i = 0 in a polynomial, Math.Pow(x, n − 1) at n = 1)
        // the term is 0, not 0·0^−1 = NaN at u = 0. (Not for an exponent that may be a variable: the guard's own derivative
        // would be wrong at v = 0.)
        static Expr PowerRule(Expr u, Expr v)
        {
            var rule = Expr.Mul(v, Expr.Pow(u, Expr.Sub(v, Expr.One)));
            var data = v.Kind != ExprKind.Const && !Graph.PostOrder(v).Any(n => n.Kind is ExprKind.Var or ExprKind.Element);
            return data ? Expr.If(Expr.Compare(ExprKind.Equal, v, Expr.Zero), Expr.Zero, rule) : rule;
        }
        Add(ExprKind.Exp, "exp", "Exp", @"\exp", Math.Exp, new("exp rule", @"\frac{d}{du} e^{u} = e^{u}", (n, i) => n));
        Add(ExprKind.Log, "log", "Log", @"\log", Math.Log, new("log rule", @"\frac{d}{du} \log u = \frac{1}{u}", (n, i) => Expr.Pow(Arg(n, 0), Expr.MinusOne)));
        Add(ExprKind.Sin, "sin", "Sin", @"\sin", Math.Sin, new("sin rule", @"\frac{d}{du} \sin u = \cos u", (n, i) => Expr.Cos(Arg(n, 0))));
        Add(ExprKind.Cos, "cos", "Cos", @"\cos", Math.Cos, new("cos rule", @"\frac{d}{du} \cos u = -\sin u", (n, i) => Expr.Neg(Expr.Sin(Arg(n, 0)))));
        Add(ExprKind.Tanh, "tanh", "Tanh", @"\tanh", Math.Tanh, new("tanh rule", @"\frac{d}{du} \tanh u = 1 - \tanh^{2} u", (n, i) => Expr.Sub(Expr.One, Expr.Pow(n, 2))));
        Add(ExprKind.Sigmoid, "sigmoid", null, @"\sigma", x => 1.0 / (1.0 + Math.Exp(-x)),
            new("sigmoid rule", @"\frac{d}{du} \sigma(u) = \sigma(u)\left(1 - \sigma(u)\right)", (n, i) => Expr.Mul(n, Expr.Sub(Expr.One, n))));
        Add(ExprKind.Softplus, "softplus", null, @"\operatorname{softplus}", Expr.StableSoftplus,
            new("softplus rule", @"\frac{d}{du} \operatorname{softplus}(u) = \sigma(u)", (n, i) => Expr.Sigmoid(Arg(n, 0))));
        // Inverse trigonometric and hyperbolic functions; (u − 1)(u + 1) and (1 − u)(1 + u) rather than u² − 1 and 1 − u²,
        // which cancel near |u| = 1.
        static Expr Square(Expr u) => Expr.Pow(u, Expr.Const(2));
        var minusHalf = Expr.Const(Number.Rational(-1, 2));
        Add(ExprKind.Atan, "atan", "Atan", @"\arctan", Math.Atan,
            new("arctan rule", @"\frac{d}{du} \arctan u = \frac{1}{1 + u^{2}}", (n, i) => Expr.Pow(Expr.Add(Expr.One, Square(Arg(n, 0))), Expr.MinusOne)));
        Add(ExprKind.Asin, "asin", "Asin", @"\arcsin", Math.Asin,
            new("arcsin rule", @"\frac{d}{du} \arcsin u = \frac{1}{\sqrt{1 - u^{2}}}", (n, i) =>
                Expr.Mul(Expr.Pow(Expr.Sub(Expr.One, Arg(n, 0)), minusHalf), Expr.Pow(Expr.Add(Expr.One, Arg(n, 0)), minusHalf))));
        Add(ExprKind.Acos, "acos", "Acos", @"\arccos", Math.Acos,
            new("arccos rule", @"\frac{d}{du} \arccos u = -\frac{1}{\sqrt{1 - u^{2}}}", (n, i) =>
                Expr.Neg(Expr.Mul(Expr.Pow(Expr.Sub(Expr.One, Arg(n, 0)), minusHalf), Expr.Pow(Expr.Add(Expr.One, Arg(n, 0)), minusHalf)))));
        Add(ExprKind.Asinh, "asinh", "Asinh", @"\operatorname{arsinh}", x => double.IsInfinity(x) ? x : Math.Sign(x) * Math.Log(Math.Abs(x) + Math.Sqrt(x * x + 1)),
            new("arsinh rule", @"\frac{d}{du} \operatorname{arsinh} u = \frac{1}{\sqrt{u^{2} + 1}}", (n, i) => Expr.Pow(Expr.Add(Square(Arg(n, 0)), Expr.One), minusHalf)));
        Add(ExprKind.Acosh, "acosh", "Acosh", @"\operatorname{arcosh}", x => x < 1 ? double.NaN : Math.Log(x + Math.Sqrt(x - 1) * Math.Sqrt(x + 1)),
            new("arcosh rule", @"\frac{d}{du} \operatorname{arcosh} u = \frac{1}{\sqrt{u - 1}\,\sqrt{u + 1}}", (n, i) =>
                Expr.Mul(Expr.Pow(Expr.Sub(Arg(n, 0), Expr.One), minusHalf), Expr.Pow(Expr.Add(Arg(n, 0), Expr.One), minusHalf))));
        Add(ExprKind.Atanh, "atanh", "Atanh", @"\operatorname{artanh}", x => 0.5 * Math.Log((1 + x) / (1 - x)),
            new("artanh rule", @"\frac{d}{du} \operatorname{artanh} u = \frac{1}{1 - u^{2}}", (n, i) =>
                Expr.Mul(Expr.Pow(Expr.Sub(Expr.One, Arg(n, 0)), Expr.MinusOne), Expr.Pow(Expr.Add(Expr.One, Arg(n, 0)), Expr.MinusOne))));
        // Step functions: constant between their jumps, derivative 0 (the jumps have none).
        foreach (var (kind, name, function, evaluate) in new (ExprKind, string, string, Func<double, double>)[]
                 {
                     (ExprKind.Floor, "floor", "Floor", Math.Floor), (ExprKind.Ceiling, "ceiling", "Ceiling", Math.Ceiling),
                     (ExprKind.Truncate, "truncate", "Truncate", Math.Truncate), (ExprKind.Round, "round", "Round", Math.Round),
                 })
            Add(kind, name, function, @"\operatorname{" + name + "}", evaluate, new("step rule", @"\frac{d}{du} \lfloor u \rfloor = 0", Zero));
        Add(ExprKind.Atan2, "atan2", "Atan2", @"\operatorname{atan2}", null, new("atan2 rule",
            @"\frac{\partial \operatorname{atan2}(y, x)}{\partial y} = \frac{x}{x^{2} + y^{2}},\; \frac{\partial \operatorname{atan2}(y, x)}{\partial x} = -\frac{y}{x^{2} + y^{2}}",
            // x/(x² + y²) as (x/h)/h with h = hypot(x, y): no overflow of x² + y² at 1e300, no underflow at 1e-300.
            (n, i) =>
            {
                var h = Expr.Hypot(Arg(n, 0), Arg(n, 1));
                var ratio = Expr.Shared(Expr.Mul(Arg(n, 1 - i), Expr.Pow(h, Expr.MinusOne)));
                var partial = Expr.Mul(ratio, Expr.Pow(h, Expr.MinusOne));
                return i == 0 ? partial : Expr.Neg(partial);
            }));
        Add(ExprKind.Hypot, "hypot", "Hypot", @"\operatorname{hypot}", null, new("hypot rule",
            @"\frac{\partial}{\partial x} \sqrt{x^{2} + y^{2}} = \frac{x}{\sqrt{x^{2} + y^{2}}}",
            (n, i) => Expr.Mul(Arg(n, i), Expr.Pow(n, Expr.MinusOne))));
        Add(ExprKind.CopySign, "copysign", "CopySign", @"\operatorname{copysign}", null, new("copysign rule",
            @"\frac{\partial \operatorname{copysign}(x, y)}{\partial x} = \operatorname{sign}(x) \operatorname{copysign}(1, y),\; \frac{\partial \operatorname{copysign}(x, y)}{\partial y} = 0",
            (n, i) => i == 0 ? Expr.Mul(Expr.Sign(Arg(n, 0)), Expr.CopySign(Expr.One, Arg(n, 1))) : Expr.Zero));
        Add(ExprKind.FusedMultiplyAdd, "fma", "FusedMultiplyAdd", null, null, new("fused multiply-add rule",
            @"\frac{\partial (a b + c)}{\partial a} = b,\; \frac{\partial (a b + c)}{\partial b} = a,\; \frac{\partial (a b + c)}{\partial c} = 1",
            (n, i) => i == 0 ? Arg(n, 1) : i == 1 ? Arg(n, 0) : Expr.One));
        Add(ExprKind.Cbrt, "cbrt", "Cbrt", @"\sqrt[3]", CubeRoot, new("cube root rule", @"\frac{d}{du} \sqrt[3]{u} = \frac{1}{3 \sqrt[3]{u}^{2}}",
            (n, i) => Expr.Mul(Expr.Const(Number.Rational(1, 3)), Expr.Pow(n, Expr.Const(-2)))));
        Add(ExprKind.Log2, "log2", "Log2", @"\log_{2}", x => Math.Log(x) / Math.Log(2), new("log rule", @"\frac{d}{du} \log_{2} u = \frac{1}{u \log 2}",
            (n, i) => Expr.Pow(Expr.Mul(Arg(n, 0), Expr.Log(Expr.Const(2))), Expr.MinusOne)));
        Add(ExprKind.Log10, "log10", "Log10", @"\log_{10}", Math.Log10, new("log rule", @"\frac{d}{du} \log_{10} u = \frac{1}{u \log 10}",
            (n, i) => Expr.Pow(Expr.Mul(Arg(n, 0), Expr.Log(Expr.Const(10))), Expr.MinusOne)));
        // |x|'(0) = 0: sign(0) is 0.
        Add(ExprKind.Abs, "abs", "Abs", null, Math.Abs, new("abs rule", @"\frac{d}{du} \lvert u \rvert = \operatorname{sign}(u)", (n, i) => Expr.Sign(Arg(n, 0))));
        Add(ExprKind.Sign, "sign", "Sign", @"\operatorname{sign}", x => double.IsNaN(x) ? x : Math.Sign(x), new("sign rule", @"\frac{d}{du} \operatorname{sign}(u) = 0", Zero));
        // Ties: the derivative flows to the first argument in canonical order, in which constants come first,
        // so max(x, 0) has derivative 0 at x = 0 (ReLU'(0) = 0, as in the article).
        Add(ExprKind.Max, "max", "Max", @"\max", null, new("max rule",
            @"\frac{\partial \max(a,b)}{\partial a} = [a \ge b],\; \frac{\partial \max(a,b)}{\partial b} = [a < b]",
            (n, i) => i == 0
                ? Expr.If(Expr.Compare(ExprKind.GreaterEqual, Arg(n, 0), Arg(n, 1)), Expr.One, Expr.Zero)
                : Expr.If(Expr.Compare(ExprKind.Less, Arg(n, 0), Arg(n, 1)), Expr.One, Expr.Zero)));
        Add(ExprKind.Min, "min", "Min", @"\min", null, new("min rule",
            @"\frac{\partial \min(a,b)}{\partial a} = [a \le b],\; \frac{\partial \min(a,b)}{\partial b} = [a > b]",
            (n, i) => i == 0
                ? Expr.If(Expr.Compare(ExprKind.LessEqual, Arg(n, 0), Arg(n, 1)), Expr.One, Expr.Zero)
                : Expr.If(Expr.Compare(ExprKind.Greater, Arg(n, 0), Arg(n, 1)), Expr.One, Expr.Zero)));
        foreach (var (k, name) in new[] { (ExprKind.Less, "<"), (ExprKind.LessEqual, "<="), (ExprKind.Greater, ">"), (ExprKind.GreaterEqual, ">="), (ExprKind.Equal, "=="), (ExprKind.NotEqual, "!=") })
            Add(k, name, null, null, null, new("comparison", @"\frac{d}{du} [u < v] = 0", Zero));
        Add(ExprKind.If, "if", null, null, null, new("piecewise rule",
            @"\frac{\partial}{\partial a} \begin{cases} a & c \\ b & \neg c \end{cases} = [c]",
            (n, i) => i switch
            {
                0 => Expr.Zero,
                1 => Expr.If(Arg(n, 0), Expr.One, Expr.Zero),
                _ => Expr.If(Arg(n, 0), Expr.Zero, Expr.One),
            }));
        AddShared();
        AddIndexed();
        Add(ExprKind.Call, "call", null, null, null, new("chain rule through a call",
            @"\frac{\partial}{\partial u_i} g(u_1, \dots, u_n) = \partial_i g(u_1, \dots, u_n)",
            (n, i) => n.Target!.Partials[i] is { } partial
                ? Expr.Call(partial, n.ArgArray)
                : throw new NotDifferentiableException(n, i)));
    }

    private static void AddIndexed()
    {
        static Expr Zero(Expr n, int i) => Expr.Zero;
        Add(ExprKind.Index, "index", null, null, null, new("index", @"\frac{\partial i}{\partial x} = 0", Zero));
        // An element's derivative with respect to an element of the same array is a Kronecker delta; the
        // differentiator introduces it (∂x_i/∂x_k = [i = k]), so as a node of a graph it is a leaf.
        Add(ExprKind.Element, "element", null, null, null, new("Kronecker delta", @"\frac{\partial x_{i}}{\partial x_{k}} = \delta_{ik}", Zero));
        Add(ExprKind.Length, "length", null, null, null, new("length", @"\frac{\partial n}{\partial x} = 0", Zero));
        Add(ExprKind.Sum, "sum", null, null, null, new("sum rule over an index",
            @"\frac{\partial}{\partial x} \sum_{i} u_{i} = \sum_{i} \frac{\partial u_{i}}{\partial x}",
            (n, i) => throw new InvalidOperationException("Sums are differentiated term by term by the Differentiator, not through a local rule.")));
        Add(ExprKind.MaxOver, "max", null, null, null, new("max rule over an index (the argmax takes the gradient)",
            @"\frac{\partial}{\partial x} \max_{i} u_{i} = \frac{\partial u_{i^{*}}}{\partial x},\ i^{*} = \operatorname*{argmax}_{i} u_{i}",
            (n, i) => throw new InvalidOperationException("A max over an index is differentiated at its argmax by the Differentiator, not through a local rule.")));
        Add(ExprKind.ArgMax, "argmax", null, null, null, new("argmax is piecewise constant", @"\frac{\partial}{\partial x} \operatorname*{argmax}_{i} u_{i} = 0", Zero));
        // Integers (C# int arithmetic) do not depend on the variables: every rule is zero.
        Add(ExprKind.ToFloat, "tofloat", null, null, x => x, new("integer", @"\frac{\partial n}{\partial x} = 0", Zero));
        Add(ExprKind.IntDiv, "intdiv", null, null, null, new("integer", @"\frac{\partial}{\partial x} \left\lfloor a / b \right\rfloor = 0", Zero));
        Add(ExprKind.IntRem, "intrem", null, null, null, new("integer", @"\frac{\partial}{\partial x} (a \bmod b) = 0", Zero));
    }

    private static void AddShared() =>
        Add(ExprKind.Shared, "shared", null, null, x => x, new("shared subterm", @"\frac{d}{du} u = 1", (n, i) => Expr.One));

    private static void Add(ExprKind kind, string name, string? cs, string? latex, Func<double, double>? unary, DerivativeRule rule) =>
        Table[kind] = new OperatorInfo(kind, name, cs, latex, unary, rule);

    /// <summary>The row for an operation.</summary>
    public static OperatorInfo Of(ExprKind kind) => Table[kind];

    /// <summary>All rows, in kind order.</summary>
    public static IEnumerable<OperatorInfo> All
    {
        get
        {
            foreach (ExprKind k in Enum.GetValues(typeof(ExprKind))) yield return Table[k];
        }
    }
}

/// <summary>
/// Differentiation reached a call whose function has no derivative with respect to an argument that depends
/// on a variable (a parameter the callee does not differentiate, or a second derivative nobody generated).
/// Front ends check for this first and report it on the call.
/// </summary>
public sealed class NotDifferentiableException : InvalidOperationException
{
    internal NotDifferentiableException(Expr call, int argument)
        : base($"'{call.CallName}' has no derivative with respect to its argument {argument + 1}.")
    {
        Call = call;
        Argument = argument;
    }

    /// <summary>The call node.</summary>
    public Expr Call { get; }
    /// <summary>The argument's index.</summary>
    public int Argument { get; }
}
