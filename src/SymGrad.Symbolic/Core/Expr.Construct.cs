using System;
using System.Collections.Generic;
using System.Linq;

namespace SymGrad.Symbolic;

// Light canonicalisation on construction: flatten, sort commutative arguments, fold constants, drop
// identities (x*1, x+0, x^1), combine like terms (2x + 3x → 5x) and like bases (x*x → x^2).
// Anything heavier is a named rule in the Simplifier.
//
// Zero policy: a symbolic zero annihilates a product (0 * f → 0) even though IEEE gives NaN for
// 0 * ∞; structural zeros come from derivatives of constants, where dropping the product is the intent.
public sealed partial class Expr
{
    /// <summary>Sum of the given terms.</summary>
    public static Expr Add(params Expr[] terms) => Add((IEnumerable<Expr>)terms);

    /// <summary>Sum of the given terms.</summary>
    public static Expr Add(IEnumerable<Expr> terms)
    {
        var constant = Number.Zero;
        var order = new List<Expr>();
        var coefficients = new Dictionary<Expr, Number>();

        void AddTerm(Expr t)
        {
            if (t.Kind == ExprKind.Add)
            {
                foreach (var a in t._args) AddTerm(a);
                return;
            }
            if (t.Kind == ExprKind.Const)
            {
                constant += t.Value;
                return;
            }
            var (c, rest) = SplitCoefficient(t);
            if (coefficients.TryGetValue(rest, out var old)) coefficients[rest] = old + c;
            else
            {
                coefficients[rest] = c;
                order.Add(rest);
            }
        }

        foreach (var t in terms) AddTerm(t);

        var result = new List<Expr>(order.Count + 1);
        foreach (var rest in order)
        {
            var c = coefficients[rest];
            if (c.IsZero) continue;
            result.Add(c.IsOne ? rest : Mul(Const(c), rest));
        }
        ExprOrder.Sort(result);
        if (!constant.IsZero || result.Count == 0) result.Insert(0, Const(constant));
        return result.Count == 1 ? result[0] : Intern(ExprKind.Add, result.ToArray());
    }

    /// <summary>Product of the given factors.</summary>
    public static Expr Mul(params Expr[] factors) => Mul((IEnumerable<Expr>)factors);

    /// <summary>Product of the given factors.</summary>
    public static Expr Mul(IEnumerable<Expr> factors)
    {
        var coefficient = Number.One;
        var order = new List<Expr>();
        var exponents = new Dictionary<Expr, List<Expr>>();

        void AddFactor(Expr f)
        {
            switch (f.Kind)
            {
                case ExprKind.Mul:
                    foreach (var a in f._args) AddFactor(a);
                    return;
                case ExprKind.Const:
                    coefficient *= f.Value;
                    return;
            }
            var (b, e) = f.Kind == ExprKind.Pow ? (f._args[0], f._args[1]) : (f, One);
            if (b.Kind == ExprKind.Add && e.Kind == ExprKind.Const && e.Value.IsInteger)
            {
                // (c·s)^k = c^k · s^k with s the primitive sum, so (y − x)·(x − y)/2 meets as −(x − y)²/2.
                var (content, primitive) = SplitContent(b);
                if (!content.IsOne && content.TryPow(e.Value, out var scale) && InCoefficientRange(scale) && InCoefficientRange(coefficient * scale))
                {
                    coefficient *= scale;
                    b = primitive;
                }
            }
            if (exponents.TryGetValue(b, out var list)) list.Add(e);
            else
            {
                exponents[b] = new List<Expr> { e };
                order.Add(b);
            }
        }

        foreach (var f in factors) AddFactor(f);
        if (coefficient.IsZero) return Const(coefficient.IsExact ? Number.Zero : coefficient);

        var result = new List<Expr>(order.Count);
        var regroup = false;
        foreach (var b in order)
        {
            var list = exponents[b];
            var p = list.Count == 1 ? (ReferenceEquals(list[0], One) ? b : Pow(b, list[0])) : Pow(b, Add(list));
            if (p.Kind == ExprKind.Const) coefficient *= p.Value;
            else
            {
                if (p.Kind == ExprKind.Mul) regroup = true;
                result.Add(p);
            }
        }
        if (regroup)
        {
            result.Insert(0, Const(coefficient));
            return Mul(result);
        }
        if (coefficient.IsZero) return Zero;
        if (result.Count == 0) return Const(coefficient);
        if (coefficient.IsOne && result.Count == 1) return result[0];
        if (result.Count == 1 && result[0].Kind == ExprKind.Add && result[0]._args.All(t => InCoefficientRange(coefficient * CoefficientOf(t))))
        {
            // c*(a + b) → c*a + c*b, so that −(y − x) reads x − y and like terms meet.
            var c = Const(coefficient);
            return Add(result[0]._args.Select(t => Mul(c, t)));
        }
        ExprOrder.Sort(result);
        if (!coefficient.IsOne) result.Insert(0, Const(coefficient));
        return Intern(ExprKind.Mul, result.ToArray());
    }

    // Coefficients the canonical form may create by itself — a sum's content pulled out of a product, a coefficient
    // distributed over a sum — stay within 2^±60: (1 + 0.001x₀)⋯(1 + 0.001x₁₀₉) as 10^−330 · (1000 + x₀)⋯ printed 0.0
    // (the coefficient underflows double, the product of the primitive sums overflows it), and 10^−200 · (1 + 10^−200 y)
    // distributed lost its 10^−400 y. A coefficient the user wrote is kept whatever its size.
    private const double CoefficientRange = 1.152921504606847e18; // 2^60

    private static bool InCoefficientRange(Number c)
    {
        if (c.IsZero) return true;
        var v = Math.Abs(c.Value);
        return v <= CoefficientRange && v >= 1 / CoefficientRange;
    }

    private static Number CoefficientOf(Expr term) =>
        term.Kind == ExprKind.Const ? term.Value : term.Kind == ExprKind.Mul && term._args[0].Kind == ExprKind.Const ? term._args[0].Value : Number.One;

    /// <summary>Splits a term into its numeric coefficient and the rest: <c>3*x*y</c> → (3, x*y).</summary>
    public static (Number Coefficient, Expr Remainder) SplitCoefficient(Expr term)
    {
        if (term.Kind == ExprKind.Const) return (term.Value, One);
        if (term.Kind == ExprKind.Mul && term._args[0].Kind == ExprKind.Const)
        {
            var args = term._args;
            var rest = args.Length == 2 ? args[1] : Intern(ExprKind.Mul, args.Skip(1).ToArray());
            return (args[0].Value, rest);
        }
        return (Number.One, term);
    }

    /// <summary>
    /// Splits a sum into content and primitive part, <c>c·s</c>, where in <c>s</c> the term that sorts first
    /// (by its non-numeric part) has coefficient 1: <c>0.5y − 0.5x</c> → (−0.5, x − y).
    /// </summary>
    public static (Number Content, Expr Primitive) SplitContent(Expr sum)
    {
        if (sum.Kind != ExprKind.Add) return (Number.One, sum);
        // Once per sum: every product holding it as a factor (each of n partials e^{x_i} / Σ) asks again.
        var known = sum._content;
        if (known is null)
        {
            var (content, primitive) = ComputeContent(sum);
            sum._content = known = Tuple.Create(content, primitive);
        }
        return (known.Item1, known.Item2);
    }

    private static (Number Content, Expr Primitive) ComputeContent(Expr sum)
    {
        Expr? leadRest = null;
        var lead = Number.One;
        foreach (var t in sum._args)
        {
            if (t.Kind == ExprKind.Const) continue;
            var (c, rest) = SplitCoefficient(t);
            if (leadRest is null || ExprOrder.Compare(rest, leadRest) < 0)
            {
                leadRest = rest;
                lead = c;
            }
        }
        if (leadRest is null || lead.IsOne || lead.IsZero || !lead.IsExact) return (Number.One, sum);
        var inverse = Const(lead.Reciprocal());
        return (lead, Add(sum._args.Select(t => Mul(inverse, t))));
    }

    /// <summary><c>a − b</c>.</summary>
    public static Expr Sub(Expr a, Expr b) => Add(a, Neg(b));

    /// <summary><c>−a</c>.</summary>
    public static Expr Neg(Expr a) => a._negated ??= Mul(MinusOne, a);

    /// <summary><c>a / b</c>, as <c>a * b^-1</c>.</summary>
    public static Expr Div(Expr a, Expr b) => Mul(a, Pow(b, MinusOne));

    /// <summary><c>base ^ exponent</c>.</summary>
    public static Expr Pow(Expr @base, Expr exponent)
    {
        if (exponent.Kind == ExprKind.Const)
        {
            var k = exponent.Value;
            if (k.IsZero) return One;
            if (k.IsOne) return @base;
            if (@base.Kind == ExprKind.Const && @base.Value.TryPow(k, out var folded)) return Const(folded);
            if (k.IsInteger)
            {
                if (@base.Kind == ExprKind.Pow)
                    return Pow(@base._args[0], Mul(@base._args[1], exponent));
                if (@base.Kind == ExprKind.Mul)
                    return Mul(@base._args.Select(f => Pow(f, exponent)));
            }
            if (@base.IsZero && !k.IsNegative) return Zero;
        }
        if (@base.IsOne) return One;
        return Intern(ExprKind.Pow, @base, exponent);
    }

    /// <summary><c>base ^ exponent</c>.</summary>
    public static Expr Pow(Expr @base, double exponent) => Pow(@base, Const(exponent));

    /// <summary>Square root, as <c>x^(1/2)</c>.</summary>
    public static Expr Sqrt(Expr a) => Pow(a, Half);

    /// <summary><c>e^a</c>.</summary>
    public static Expr Exp(Expr a)
    {
        if (a.IsZero) return One;
        if (IsInexactConst(a)) return Const(Number.Inexact(Math.Exp(a.Value.Value)));
        return Intern(ExprKind.Exp, a);
    }

    /// <summary>Natural logarithm.</summary>
    public static Expr Log(Expr a)
    {
        if (a.IsOne) return Zero;
        if (a.Kind == ExprKind.Exp) return a._args[0];
        if (IsInexactConst(a)) return Const(Number.Inexact(Math.Log(a.Value.Value)));
        return Intern(ExprKind.Log, a);
    }

    /// <summary>Sine.</summary>
    public static Expr Sin(Expr a) => a.IsZero ? Zero : IsInexactConst(a) ? Const(Number.Inexact(Math.Sin(a.Value.Value))) : Intern(ExprKind.Sin, a);

    /// <summary>Cosine.</summary>
    public static Expr Cos(Expr a) => a.IsZero ? One : IsInexactConst(a) ? Const(Number.Inexact(Math.Cos(a.Value.Value))) : Intern(ExprKind.Cos, a);

    /// <summary>An inverse trigonometric or hyperbolic function (<see cref="ExprKind.Atan"/> … <see cref="ExprKind.Atanh"/>).</summary>
    public static Expr Inverse(ExprKind kind, Expr a)
    {
        if (kind is not (ExprKind.Atan or ExprKind.Asin or ExprKind.Acos or ExprKind.Asinh or ExprKind.Acosh or ExprKind.Atanh))
            throw new ArgumentOutOfRangeException(nameof(kind));
        if (a.IsZero && kind is ExprKind.Atan or ExprKind.Asin or ExprKind.Asinh or ExprKind.Atanh) return Zero;
        if (IsInexactConst(a)) return Const(Number.Inexact(Operators.Of(kind).Unary!(a.Value.Value)));
        return Intern(kind, a);
    }

    /// <summary>A step function (<see cref="ExprKind.Floor"/>, <see cref="ExprKind.Ceiling"/>, <see cref="ExprKind.Truncate"/>, <see cref="ExprKind.Round"/>).</summary>
    public static Expr Step(ExprKind kind, Expr a)
    {
        if (kind is not (ExprKind.Floor or ExprKind.Ceiling or ExprKind.Truncate or ExprKind.Round))
            throw new ArgumentOutOfRangeException(nameof(kind));
        // A constant rounds to the double C# computes (Math.Round(2.5) is 2): exact when the argument was.
        if (a.Kind == ExprKind.Const)
        {
            var r = Operators.Of(kind).Unary!(a.Value.Value);
            return Const(a.Value.IsExact && Math.Abs(r) < 1e15 ? Number.Rational((long)r, 1) : Number.Inexact(r));
        }
        // A step of a step, or of an integer (an index, a length), is that integer.
        if (a.Kind is ExprKind.Floor or ExprKind.Ceiling or ExprKind.Truncate or ExprKind.Round or ExprKind.ToFloat) return a;
        return Intern(kind, a);
    }

    /// <summary><c>Math.Atan2(y, x)</c>.</summary>
    public static Expr Atan2(Expr y, Expr x)
    {
        if (y.Kind == ExprKind.Const && x.Kind == ExprKind.Const)
            return y.IsZero && y.Value.IsExact && x.Value.IsExact && !x.Value.IsNegative ? Zero : Const(Number.Inexact(Math.Atan2(y.Value.Value, x.Value.Value)));
        return Intern(ExprKind.Atan2, y, x);
    }

    /// <summary>
    /// <c>double.Hypot(x, y)</c> = √(x² + y²) without overflow; symmetric, so its arguments are put in canonical order.
    /// Constants are not folded: the generated code calls .NET's Hypot, whose rounding this library cannot reproduce.
    /// </summary>
    public static Expr Hypot(Expr x, Expr y)
    {
        if (x.IsZero && x.Value.IsExact) return Abs(y);
        if (y.IsZero && y.Value.IsExact) return Abs(x);
        if (ExprOrder.Compare(x, y) > 0) (x, y) = (y, x);
        return Intern(ExprKind.Hypot, x, y);
    }

    /// <summary><c>Math.FusedMultiplyAdd(a, b, c)</c>: a·b + c rounded once.</summary>
    public static Expr FusedMultiplyAdd(Expr a, Expr b, Expr c)
    {
        if (a.IsZero && a.Value.IsExact || b.IsZero && b.Value.IsExact) return c;
        return Intern(ExprKind.FusedMultiplyAdd, a, b, c);
    }

    /// <summary>
    /// A function .NET computes directly (<see cref="ExprKind.Cbrt"/>, <see cref="ExprKind.Log2"/>,
    /// <see cref="ExprKind.Log10"/>): the generated code calls it, so its value is the method's to the last bit.
    /// </summary>
    public static Expr Direct(ExprKind kind, Expr a)
    {
        if (kind is not (ExprKind.Cbrt or ExprKind.Log2 or ExprKind.Log10)) throw new ArgumentOutOfRangeException(nameof(kind));
        if (IsInexactConst(a) || kind == ExprKind.Cbrt && a.IsZero) return Const(Number.Inexact(Operators.Of(kind).Unary!(a.Value.Value)));
        return Intern(kind, a);
    }

    /// <summary><c>Math.CopySign(x, y)</c>: |x| with the sign bit of y.</summary>
    public static Expr CopySign(Expr x, Expr y)
    {
        if (x.Kind == ExprKind.Const && y.Kind == ExprKind.Const) return Const(Number.Inexact(CopySignOf(x.Value.Value, y.Value.Value)));
        return Intern(ExprKind.CopySign, x, y);
    }

    /// <summary><c>Math.CopySign</c> (netstandard2.0 lacks it): the magnitude of x, the sign bit of y.</summary>
    public static double CopySignOf(double x, double y)
    {
        var magnitude = BitConverter.DoubleToInt64Bits(x) & long.MaxValue;
        var sign = BitConverter.DoubleToInt64Bits(y) & long.MinValue;
        return BitConverter.Int64BitsToDouble(magnitude | sign);
    }

    /// <summary>Hyperbolic tangent.</summary>
    public static Expr Tanh(Expr a) => a.IsZero ? Zero : IsInexactConst(a) ? Const(Number.Inexact(Math.Tanh(a.Value.Value))) : Intern(ExprKind.Tanh, a);

    /// <summary>The logistic function σ(a) = 1 / (1 + e^−a).</summary>
    public static Expr Sigmoid(Expr a) =>
        a.IsZero ? Half : IsInexactConst(a) ? Const(Number.Inexact(1.0 / (1.0 + Math.Exp(-a.Value.Value)))) : Intern(ExprKind.Sigmoid, a);

    /// <summary>softplus(a) = log(1 + e^a), evaluated stably (max(a, 0) + log(1 + e^−|a|)).</summary>
    public static Expr Softplus(Expr a) =>
        IsInexactConst(a) ? Const(Number.Inexact(StableSoftplus(a.Value.Value))) : Intern(ExprKind.Softplus, a);

    /// <summary>log(1 + eˣ) without overflow and with relative accuracy in the tails: max(x, 0) + log1p(e^−|x|).</summary>
    public static double StableSoftplus(double x) => double.IsNaN(x) ? x : Math.Max(x, 0) + Simplifier.Log1p(Math.Exp(-Math.Abs(x)));

    /// <summary>Absolute value.</summary>
    public static Expr Abs(Expr a)
    {
        if (a.Kind == ExprKind.Const) return Const(a.Value.IsNegative ? -a.Value : a.Value);
        if (a.Kind is ExprKind.Abs or ExprKind.Exp or ExprKind.Sigmoid or ExprKind.Softplus or ExprKind.Hypot) return a;
        // |u²| = u² (and any even power, a square root): never negative, so no kink to take the derivative through.
        if (a.Kind == ExprKind.Pow && a._args[1].Kind == ExprKind.Const && a._args[1].Value is var p && p.IsExact &&
            (p.IsInteger && p.Numerator % 2 == 0 || p.Denominator == 2)) return a;
        // |−u| = |u|: one node for both, so code computing e^−|u| for u and −u computes it once.
        if (LeadsNegative(a))
        {
            var negated = Neg(a);
            return LeadsNegative(negated) ? Intern(ExprKind.Abs, negated) : Abs(negated);
        }
        return Intern(ExprKind.Abs, a);
    }

    /// <summary>
    /// −u written as such: a negative coefficient in front, or a sum whose leading term has one — the term whose part
    /// without its coefficient comes first, so that of u and −u (the same parts, every sign flipped) exactly one leads
    /// negative. (A sum's own order compares coefficients too: both u and −u could start with a negative term.)
    /// </summary>
    internal static bool LeadsNegative(Expr e)
    {
        if (e.Kind == ExprKind.Mul) return e._args[0].Kind == ExprKind.Const && e._args[0].Value.IsNegative;
        if (e.Kind == ExprKind.Const) return e.Value.IsNegative;
        if (e.Kind != ExprKind.Add) return false;
        if (e._leadsNegative == 0) e._leadsNegative = SumLeadsNegative(e) ? (byte)2 : (byte)1;
        return e._leadsNegative == 2;
    }

    private static bool SumLeadsNegative(Expr e)
    {
        Expr? leading = null, leadingPart = null;
        foreach (var term in e._args)
        {
            var part = term.Kind == ExprKind.Const ? One
                : term.Kind == ExprKind.Mul && term._args[0].Kind == ExprKind.Const ? (term._args.Length == 2 ? term._args[1] : Intern(ExprKind.Mul, term._args.Skip(1).ToArray()))
                : term;
            if (leadingPart is null || ExprOrder.Compare(part, leadingPart) < 0) (leading, leadingPart) = (term, part);
        }
        return leading is not null && LeadsNegative(leading);
    }

    /// <summary>Sign (−1, 0, 1; 0 at 0).</summary>
    public static Expr Sign(Expr a)
    {
        if (a.Kind == ExprKind.Const)
            return a.Value.IsZero ? Zero : a.Value.IsNegative ? MinusOne : double.IsNaN(a.Value.Value) ? a : One;
        if (a.Kind is ExprKind.Exp or ExprKind.Sigmoid) return One;
        if (a.Kind == ExprKind.Sign) return a;
        return Intern(ExprKind.Sign, a);
    }

    /// <summary>Maximum.</summary>
    public static Expr Max(Expr a, Expr b) => MinMax(ExprKind.Max, a, b);

    /// <summary>Minimum.</summary>
    public static Expr Min(Expr a, Expr b) => MinMax(ExprKind.Min, a, b);

    private static Expr MinMax(ExprKind kind, Expr a, Expr b)
    {
        if (ReferenceEquals(a, b)) return a;
        // max(−∞, y) = y and min(+∞, y) = y for every y (NaN included): a running max started at −∞.
        var identity = kind == ExprKind.Max ? double.NegativeInfinity : double.PositiveInfinity;
        if (a.Kind == ExprKind.Const && a.Value.Value == identity) return b;
        if (b.Kind == ExprKind.Const && b.Value.Value == identity) return a;
        if (a.Kind == ExprKind.Const && b.Kind == ExprKind.Const)
        {
            var aFirst = kind == ExprKind.Max ? a.Value.Value >= b.Value.Value : a.Value.Value <= b.Value.Value;
            return aFirst ? a : b;
        }
        if (ExprOrder.Compare(a, b) > 0) (a, b) = (b, a);
        return Intern(kind, a, b);
    }

    /// <summary>A comparison node (<see cref="ExprKind.Less"/> … <see cref="ExprKind.NotEqual"/>), 1 when true, 0 when false.</summary>
    public static Expr Compare(ExprKind kind, Expr a, Expr b)
    {
        if (kind < ExprKind.Less || kind > ExprKind.NotEqual) throw new ArgumentOutOfRangeException(nameof(kind));
        if (a.Kind == ExprKind.Const && b.Kind == ExprKind.Const)
            return EvaluateComparison(kind, a.Value.Value, b.Value.Value) ? One : Zero;
        // u < u and u > u never hold; u == u, u <= u and u >= u hold (and u != u fails) except for NaN, so they fold only for
        // integer data, which is never NaN: x != x is C#'s NaN test.
        if (ReferenceEquals(a, b) && (kind is ExprKind.Less or ExprKind.Greater || InvolvesIntegerData(a)))
            return kind is ExprKind.LessEqual or ExprKind.GreaterEqual or ExprKind.Equal ? One : Zero;
        // u <= u and u >= u are u == u: "u is not NaN", one node.
        if (ReferenceEquals(a, b) && kind is ExprKind.LessEqual or ExprKind.GreaterEqual) kind = ExprKind.Equal;
        if (kind is ExprKind.Equal or ExprKind.NotEqual && ExprOrder.Compare(a, b) > 0) (a, b) = (b, a);
        return Intern(kind, a, b);
    }

    internal static bool EvaluateComparison(ExprKind kind, double a, double b) => kind switch
    {
        ExprKind.Less => a < b,
        ExprKind.LessEqual => a <= b,
        ExprKind.Greater => a > b,
        ExprKind.GreaterEqual => a >= b,
        ExprKind.Equal => a == b,
        ExprKind.NotEqual => a != b,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary><c>condition ? whenTrue : whenFalse</c>; the condition is true when nonzero.</summary>
    public static Expr If(Expr condition, Expr whenTrue, Expr whenFalse)
    {
        if (condition.Kind == ExprKind.Const) return condition.Value.IsZero ? whenFalse : whenTrue;
        if (ReferenceEquals(whenTrue, whenFalse)) return whenTrue;
        // A comparison already is 1 or 0.
        if (condition.IsComparison && whenTrue.IsOne && whenFalse.IsZero) return condition;
        return Intern(ExprKind.If, condition, whenTrue, whenFalse);
    }

    /// <summary>Wraps a compound subterm so canonicalisation keeps it whole (see <see cref="ExprKind.Shared"/>).</summary>
    public static Expr Shared(Expr a) =>
        a.Kind is ExprKind.Const or ExprKind.Var or ExprKind.Shared ? a : Intern(ExprKind.Shared, a);

    /// <summary>
    /// A call <c>name(argument)</c> to a scalar function the engine treats as opaque; its derivative is
    /// <c>{name}Derivative(argument)</c>. <paramref name="name"/> is a C# member access (<c>Sigmoid</c>,
    /// <c>global::N.Acts.Sigmoid</c>).
    /// </summary>
    public static Expr Call(string name, Expr argument) => Call(CallTarget.Scalar(name), argument);

    /// <summary>
    /// A call <c>name(argument)</c> whose derivative is the function <paramref name="derivative"/> (a user's
    /// <c>[DerivativeOf]</c> method); with null, <c>{name}Derivative</c>.
    /// </summary>
    public static Expr Call(string name, string? derivative, Expr argument) => Call(CallTarget.Scalar(name, derivative), argument);

    /// <summary>A call to <paramref name="target"/> with one argument per parameter.</summary>
    public static Expr Call(CallTarget target, params Expr[] arguments) => Call(target, (IReadOnlyList<Expr>)arguments);

    /// <summary>A call to <paramref name="target"/> with one argument per parameter.</summary>
    public static Expr Call(CallTarget target, IReadOnlyList<Expr> arguments)
    {
        if (target is null) throw new ArgumentNullException(nameof(target));
        if (arguments.Count != target.Arity)
            throw new ArgumentException($"'{target.Name}' takes {target.Arity} argument(s), not {arguments.Count}.", nameof(arguments));
        var args = new Expr[arguments.Count];
        for (var i = 0; i < args.Length; i++) args[i] = arguments[i] ?? throw new ArgumentNullException(nameof(arguments));
        return InternTable.GetOrAdd(ExprKind.Call, args, target.Key, default, target);
    }

    /// <summary>For a <see cref="ExprKind.Call"/>: the function called.</summary>
    public string CallName => Target!.Name;

    /// <summary>Rebuilds a node of the same kind over new arguments (through the canonicalising factories).</summary>
    public Expr WithArgs(IReadOnlyList<Expr> args)
    {
        switch (Kind)
        {
            case ExprKind.Const:
            case ExprKind.Var:
            case ExprKind.Index:
            case ExprKind.Length:
                return this;
            case ExprKind.Element: return Element(Name!, args.ToArray());
            case ExprKind.Sum: return Sum(Index(Name!), args[0], args[1]);
            case ExprKind.MaxOver: return MaxOver(Index(Name!), args[0], args[1]);
            case ExprKind.ArgMax: return ArgMax(Index(Name!), args[0], args[1]);
            case ExprKind.Add: return Add(args);
            case ExprKind.Mul: return Mul(args);
            case ExprKind.Pow: return Pow(args[0], args[1]);
            case ExprKind.Exp: return Exp(args[0]);
            case ExprKind.Log: return Log(args[0]);
            case ExprKind.Sin: return Sin(args[0]);
            case ExprKind.Cos: return Cos(args[0]);
            case ExprKind.Tanh: return Tanh(args[0]);
            case ExprKind.Sigmoid: return Sigmoid(args[0]);
            case ExprKind.Softplus: return Softplus(args[0]);
            case ExprKind.Abs: return Abs(args[0]);
            case ExprKind.Sign: return Sign(args[0]);
            case ExprKind.Max: return Max(args[0], args[1]);
            case ExprKind.Min: return Min(args[0], args[1]);
            case ExprKind.If: return If(args[0], args[1], args[2]);
            case ExprKind.Shared: return Shared(args[0]);
            case ExprKind.Call: return Call(Target!, args);
            case ExprKind.ToFloat: return ToFloat(args[0]);
            case ExprKind.IntDiv: return IntDiv(args[0], args[1]);
            case ExprKind.IntRem: return IntRem(args[0], args[1]);
            case ExprKind.Atan or ExprKind.Asin or ExprKind.Acos or ExprKind.Asinh or ExprKind.Acosh or ExprKind.Atanh: return Inverse(Kind, args[0]);
            case ExprKind.Floor or ExprKind.Ceiling or ExprKind.Truncate or ExprKind.Round: return Step(Kind, args[0]);
            case ExprKind.Atan2: return Atan2(args[0], args[1]);
            case ExprKind.Hypot: return Hypot(args[0], args[1]);
            case ExprKind.CopySign: return CopySign(args[0], args[1]);
            case ExprKind.FusedMultiplyAdd: return FusedMultiplyAdd(args[0], args[1], args[2]);
            case ExprKind.Cbrt or ExprKind.Log2 or ExprKind.Log10: return Direct(Kind, args[0]);
            default: return Compare(Kind, args[0], args[1]);
        }
    }

    private static bool IsInexactConst(Expr a) => a.Kind == ExprKind.Const && !a.Value.IsExact;
}
