using System;
using System.Collections.Generic;
using System.Linq;

namespace SymGrad.Symbolic;

/// <summary>
/// How sums and products are laid out for printing, shared by the C# and LaTeX printers: which terms are
/// subtracted, which factors go below a fraction bar, and in what order they are read.
/// </summary>
internal static class TermLayout
{
    /// <summary>A term of a sum: subtracted when <see cref="Negative"/>, with <see cref="Magnitude"/> its absolute value.</summary>
    internal readonly struct SignedTerm
    {
        public SignedTerm(Expr original, bool negative, Expr magnitude)
        {
            Original = original;
            Negative = negative;
            Magnitude = magnitude;
        }

        public Expr Original { get; }
        public bool Negative { get; }
        public Expr Magnitude { get; }
    }

    /// <summary>
    /// The terms of a sum in reading order: added terms before subtracted ones, the constant last
    /// (<c>w x + b - y + 1</c>), each with its sign pulled out unless <paramref name="opaque"/> says the term is
    /// referred to by name.
    /// </summary>
    public static List<SignedTerm> Terms(IReadOnlyList<Expr> args, Func<Expr, bool>? opaque = null)
    {
        var positive = new List<SignedTerm>();
        var negative = new List<SignedTerm>();
        SignedTerm? constant = null;
        foreach (var t in args)
        {
            var s = opaque != null && opaque(t) ? new SignedTerm(t, false, t) : Split(t);
            if (t.Kind == ExprKind.Const) constant = s;
            else if (s.Negative) negative.Add(s);
            else positive.Add(s);
        }
        // Reading order: added terms, a positive constant, subtracted terms, a negative constant (1 − σ, x − y − 1).
        if (constant is { Negative: false } p) positive.Add(p);
        positive.AddRange(negative);
        if (constant is { Negative: true } n) positive.Add(n);
        return positive;
    }

    /// <summary>Pulls a negative coefficient out of a term: <c>-3*x</c> → (true, 3*x).</summary>
    public static SignedTerm Split(Expr t)
    {
        if (t.Kind == ExprKind.Const && t.Value.IsNegative) return new SignedTerm(t, true, Expr.Const(-t.Value));
        if (t.Kind == ExprKind.Mul && t.ArgArray[0].Kind == ExprKind.Const && t.ArgArray[0].Value.IsNegative)
        {
            // c·(a + b), a sum shared at a scale (CsePass.ShareScaledSums), keeps its sum whole: the canonical product would
            // distribute c over it again.
            if (t.ArgArray.Length == 2 && t.ArgArray[1].Kind == ExprKind.Add)
            {
                var magnitude = -t.ArgArray[0].Value;
                return new SignedTerm(t, true, magnitude.IsOne ? t.ArgArray[1] : Expr.Intern(ExprKind.Mul, Expr.Const(magnitude), t.ArgArray[1]));
            }
            return new SignedTerm(t, true, Expr.Mul(t.ArgArray.Skip(1).Prepend(Expr.Const(-t.ArgArray[0].Value))));
        }
        return new SignedTerm(t, false, t);
    }

    /// <summary>
    /// A product split into coefficient, numerator factors and denominator factors (negative powers, with the
    /// exponent's sign flipped), factors in reading order: functions, then parenthesised sums, then the rest.
    /// </summary>
    public static (Number Coefficient, List<Expr> Numerator, List<Expr> Denominator) Fraction(IReadOnlyList<Expr> factors, Func<Expr, bool>? opaque = null)
    {
        var coefficient = Number.One;
        var num = new List<Expr>();
        var den = new List<Expr>();
        foreach (var f in factors)
        {
            if (f.Kind == ExprKind.Const)
            {
                coefficient *= f.Value;
                continue;
            }
            if (f.Kind == ExprKind.Pow && f.ArgArray[1].Kind == ExprKind.Const && f.ArgArray[1].Value.IsNegative)
                den.Add(Expr.Pow(f.ArgArray[0], Expr.Const(-f.ArgArray[1].Value)));
            else num.Add(f);
        }
        if (coefficient.IsNegative)
        {
            // −σ·(σ − 1) reads better as σ·(1 − σ): absorb the sign into a sum.
            // (Only where the negation is a sum again: a sum with an inexact term, 1e-19·e^{−b}, is kept whole by −1·(…), and
            // printing that product absorbed its sign back into the sum without end: SG0004 on a plain formula.)
            var i = num.FindIndex(f => f.Kind == ExprKind.Add && (opaque == null || !opaque(f)) && Expr.Neg(f).Kind == ExprKind.Add);
            if (i >= 0)
            {
                num[i] = Expr.Neg(num[i]);
                coefficient = -coefficient;
            }
        }
        return (coefficient, ReadingOrder(num), ReadingOrder(den));
    }

    private static List<Expr> ReadingOrder(List<Expr> factors) =>
        factors.Select((f, i) => (f, i)).OrderBy(p => Rank(p.f)).ThenBy(p => p.i).Select(p => p.f).ToList();

    private static int Rank(Expr f) => f.Kind switch
    {
        ExprKind.Var => 3,
        ExprKind.Pow when f.ArgArray[0].Kind == ExprKind.Var => 3,
        ExprKind.Add => 2,
        ExprKind.Pow when f.ArgArray[0].Kind == ExprKind.Add => 2,
        _ => 1,
    };
}
