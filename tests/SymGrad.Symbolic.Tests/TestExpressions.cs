using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using SymGrad.Generators;
using SymGrad.Symbolic;

namespace SymGrad.Symbolic.Tests;

/// <summary>Parsing, evaluation, finite differences and random expressions shared by the engine's tests.</summary>
internal static class TestExpressions
{
    public static readonly Expr X = Expr.Var("x");
    public static readonly Expr Y = Expr.Var("y");
    public static readonly Expr Z = Expr.Var("z");
    public static readonly string[] Names = { "x", "y", "z" };

    public static Expr Parse(string text)
    {
        var r = ExpressionFrontEnd.ParseText(text);
        if (!r.Success) throw new ArgumentException($"'{text}': {r.Error}");
        return r.Value!;
    }

    public static Dictionary<string, double> Point(IReadOnlyList<string> names, IReadOnlyList<double> values)
    {
        var d = new Dictionary<string, double>();
        for (var i = 0; i < names.Count; i++) d[names[i]] = values[i];
        return d;
    }

    public static double Eval(Expr e, IReadOnlyDictionary<string, double> at) => Evaluator.Evaluate(e, at);

    /// <summary>
    /// Central finite difference, Richardson-extrapolated (five-point stencil, error O(h⁴)) with a step scaled to
    /// the coordinate, taken at two step sizes. Where the two disagree the function is too steep at that point
    /// for differences to judge (cos(u^10) near a large u): NaN, which <see cref="Agree"/> accepts.
    /// </summary>
    public static double CentralDifference(Expr f, IReadOnlyDictionary<string, double> at, string variable)
    {
        var x = at[variable];
        double F(double t) => Eval(f, new Dictionary<string, double>(at) { [variable] = t });
        double Stencil(double h) => (8 * (F(x + h / 2) - F(x - h / 2)) - (F(x + h) - F(x - h))) / (6 * h);
        var scale = Math.Max(1.0, Math.Abs(x));
        var coarse = Stencil(1e-4 * scale);
        var fine = Stencil(1e-5 * scale);
        return Math.Abs(coarse - fine) <= 1e-7 * (1 + Math.Abs(fine)) ? fine : double.NaN;
    }

    /// <summary>True when the analytic and numerical derivatives agree to the accuracy a central difference has.</summary>
    public static bool Agree(double analytic, double numeric, double scale) =>
        double.IsNaN(numeric) || Math.Abs(analytic - numeric) <= 1e-5 * (1 + Math.Abs(analytic) + scale);

    public static readonly Gen<Expr> Leaf = Gen.Frequency(
        (4, Gen.OneOf(X, Y, Z)),
        (1, Gen.Int[-3, 3].Select(i => Expr.Const(i))),
        (1, Gen.OneOf(Expr.Const(0.5), Expr.Const(1.5), Expr.Const(0.25))));

    /// <summary>Random smooth expressions over x, y, z (every subterm differentiable on all of ℝ³).</summary>
    public static Gen<Expr> Smooth(int depth)
    {
        if (depth == 0) return Leaf;
        var sub = Smooth(depth - 1);
        return Gen.Frequency(
            (3, Leaf),
            (3, Gen.Select(sub, sub, (a, b) => a + b)),
            (3, Gen.Select(sub, sub, (a, b) => a * b)),
            (2, Gen.Select(sub, sub, (a, b) => a - b)),
            (1, Gen.Select(sub, sub, (a, b) => a / (1.0 + b * b))),
            (1, sub.Select(a => Expr.Exp(Expr.Tanh(a)))),
            (1, sub.Select(a => Expr.Log(1.0 + a * a))),
            (1, sub.Select(Expr.Sin)),
            (1, sub.Select(Expr.Cos)),
            (1, sub.Select(Expr.Tanh)),
            (1, sub.Select(Expr.Sigmoid)),
            (1, sub.Select(a => 1.0 / (1.0 + Expr.Exp(-a)))),
            (1, sub.Select(a => Expr.Sqrt(1.0 + a * a))),
            (1, Gen.Select(sub, Gen.Int[2, 3], (a, k) => Expr.Pow(a, k))),
            (1, Gen.Select(sub, sub, (a, b) => Expr.Pow(2.0 + Expr.Sigmoid(a), b))));
    }

    /// <summary>Random expressions that may also contain non-smooth and piecewise operations.</summary>
    public static Gen<Expr> Any(int depth)
    {
        if (depth == 0) return Leaf;
        var sub = Any(depth - 1);
        return Gen.Frequency(
            (6, Smooth(1)),
            (2, Gen.Select(sub, sub, (a, b) => a * b + b)),
            (1, sub.Select(Expr.Abs)),
            (1, sub.Select(Expr.Sign)),
            (1, Gen.Select(sub, sub, Expr.Max)),
            (1, Gen.Select(sub, sub, Expr.Min)),
            (1, Gen.Select(sub, sub, sub, (c, a, b) => Expr.If(Expr.Compare(ExprKind.Greater, c, Expr.Zero), a, b))),
            (1, Gen.Select(sub, sub, (a, b) => Expr.Compare(ExprKind.LessEqual, a, b) * a)));
    }

    public static readonly Gen<double[]> Points = Gen.Double[-1.5, 1.5].Array[3];
}
