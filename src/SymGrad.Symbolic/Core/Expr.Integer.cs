using System;
using System.Linq;

namespace SymGrad.Symbolic;

// Integer arithmetic as C# does it. Indices, lengths and C# int expressions are integer-valued; they take part in
// floating-point arithmetic only through ToFloat, the conversion C# applies, so int division truncates and int
// products wrap exactly where the source's do, and nothing the engine builds multiplies two ints.
public sealed partial class Expr
{
    /// <summary>
    /// The integer-valued <paramref name="e"/> converted to the floating-point type (C#'s implicit or explicit
    /// conversion of an <c>int</c>). A constant is its own conversion.
    /// </summary>
    public static Expr ToFloat(Expr e)
    {
        if (e is null) throw new ArgumentNullException(nameof(e));
        if (e.Kind == ExprKind.Const) return e;
        if (!e.IsIntegerValued) throw new ArgumentException($"'{e}' is not integer-valued; only integers are converted.", nameof(e));
        // Even a lone index or length is wrapped: n · n built by the engine (floating-point) must stay a different node from
        // the source's int product x.Length * x.Length, or one CSE local would serve both.
        // Affine forms with small constants convert term by term, so 1 / (2 * x.Length) reads as 1/(2n) and cancels
        // with a 2: (double)(2 * n + 1) = 2.0 * n + 1.0 wherever the int form does not wrap, which needs a count above
        // 2³¹ / MaxDistributedFactor (docs/numerics.md). Products of two ints (i * i) stay int arithmetic, as C# wraps them.
        if (e.Kind == ExprKind.Add && e._args.All(SmallAffineTerm))
            return Add(e._args.Select(ToFloat).ToArray());
        if (e.Kind == ExprKind.Mul && SmallAffineTerm(e))
            return Mul(e._args[0], ToFloat(e._args[1]));
        return Intern(ExprKind.ToFloat, e);
    }

    // A small constant, or a small constant times one integer (not a product of two: 3 * i * i and i * i wrap as C# wraps
    // them, and their sum with another term may wrap again).
    private static bool SmallAffineTerm(Expr t) =>
        t.IsConst ? Math.Abs(t.Value.Value) <= MaxDistributedTerm
        : t.Kind == ExprKind.Mul ? t._args.Length == 2 && t._args[0].IsConst && Math.Abs(t._args[0].Value.Value) <= MaxDistributedFactor && AffineAtom(t._args[1])
        : AffineAtom(t);

    // One integer no larger than a count: an index, a length, or a quotient or remainder of such a term.
    private static bool AffineAtom(Expr a) =>
        a.Kind is ExprKind.Index or ExprKind.Length || a.Kind is ExprKind.IntDiv or ExprKind.IntRem && SmallAffineTerm(a._args[0]);

    /// <summary>The largest constant factor <see cref="ToFloat"/> moves out of an int product.</summary>
    public const int MaxDistributedFactor = 64;

    /// <summary>The largest constant term <see cref="ToFloat"/> moves out of an int sum.</summary>
    public const int MaxDistributedTerm = 1 << 20;

    /// <summary>C# <c>int</c> division <c>a / b</c> (truncating toward zero) of two integer-valued expressions.</summary>
    public static Expr IntDiv(Expr a, Expr b)
    {
        RequireIntegers(a, b);
        // A divisor that algebra made zero (n / (k − k) once k is substituted) stays a division: it throws at run time, as C# does.
        if (b.IsZero) return Intern(ExprKind.IntDiv, a, b);
        if (a.IsConst && b.IsConst) return Const(a.Value.Numerator / b.Value.Numerator);
        if (b.IsOne || a.IsZero) return a;
        return Intern(ExprKind.IntDiv, a, b);
    }

    /// <summary>C# <c>int</c> remainder <c>a % b</c> (the sign of <paramref name="a"/>) of two integer-valued expressions.</summary>
    public static Expr IntRem(Expr a, Expr b)
    {
        RequireIntegers(a, b);
        if (b.IsZero) return Intern(ExprKind.IntRem, a, b);
        if (a.IsConst && b.IsConst) return Const(a.Value.Numerator % b.Value.Numerator);
        if (a.IsZero || b.IsConst && (b.Value.IsOne || b.Value.IsMinusOne)) return Zero;
        return Intern(ExprKind.IntRem, a, b);
    }

    private static void RequireIntegers(Expr a, Expr b)
    {
        if (a is null) throw new ArgumentNullException(nameof(a));
        if (b is null) throw new ArgumentNullException(nameof(b));
        if (!a.IsIntegerValued) throw new ArgumentException($"'{a}' is not integer-valued.", nameof(a));
        if (!b.IsIntegerValued) throw new ArgumentException($"'{b}' is not integer-valued.", nameof(b));
    }

    /// <summary>
    /// True for integer data: an index, a length, an argmax, an int quotient or remainder, or int arithmetic over one
    /// (not a sign or a comparison, whose 0 and ±1 the floating-point arithmetic takes as they are). Integer data is
    /// what C# computes in int, and what must be converted before it meets floating-point values.
    /// </summary>
    public static bool InvolvesIntegerData(Expr e) => e.IsIntegerValued && HasDataLeaf(e);

    // Along integer-valued structure only (IsIntegerValued has been checked): not into a sign's or comparison's arguments.
    private static bool HasDataLeaf(Expr e) => e.Kind switch
    {
        ExprKind.Index or ExprKind.Length or ExprKind.ArgMax or ExprKind.IntDiv or ExprKind.IntRem => true,
        ExprKind.Add or ExprKind.Mul => e._args.Any(HasDataLeaf),
        ExprKind.Pow => HasDataLeaf(e._args[0]),
        ExprKind.If => HasDataLeaf(e._args[1]) || HasDataLeaf(e._args[2]),
        _ => false,
    };

    /// <summary>
    /// True for values C# computes as <c>int</c>: integer constants, indices, lengths, argmaxes, <c>int</c> quotients
    /// and remainders, <c>Math.Sign</c>, comparisons (1 or 0), and sums, products, powers and selections of them.
    /// </summary>
    public bool IsIntegerValued
    {
        get
        {
            switch (Kind)
            {
                case ExprKind.Const: return Value.IsInteger;
                case ExprKind.Index:
                case ExprKind.Length:
                case ExprKind.ArgMax:
                case ExprKind.IntDiv:
                case ExprKind.IntRem:
                case ExprKind.Sign:
                    return true;
                case ExprKind.Add:
                case ExprKind.Mul:
                    foreach (var a in _args) if (!a.IsIntegerValued) return false;
                    return true;
                case ExprKind.Pow:
                    return _args[1].IsConst && _args[1].Value.IsInteger && !_args[1].Value.IsNegative && _args[0].IsIntegerValued;
                case ExprKind.If:
                    return _args[1].IsIntegerValued && _args[2].IsIntegerValued;
                default:
                    return IsComparison;
            }
        }
    }
}
