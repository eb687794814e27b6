using System;
using SymGrad;

namespace SymGrad.Generators.Tests;

/// <summary>System.Math functions beyond the article's, as users write them (issue 15).</summary>
public static partial class MathFunctionsModel
{
    [Differentiable] public static double Atan(double x) => Math.Atan(2 * x) + x;
    [Differentiable] public static double Asin(double x) => Math.Asin(x * 0.5);
    [Differentiable] public static double Acos(double x) => Math.Acos(x * 0.5) * x;
    [Differentiable] public static double Asinh(double x) => Math.Asinh(x * x - 3);
    [Differentiable] public static double Acosh(double x) => Math.Acosh(x * x + 1.5);
    [Differentiable] public static double Atanh(double x) => Math.Atanh(Math.Tanh(x) * 0.9);
    [Differentiable] public static double Clamp(double x) => Math.Clamp(x * x, 0.25, 2.0) + x;
    [Differentiable] public static double Cbrt(double x) => Math.Cbrt(x - 1);
    [Differentiable] public static double Fma(double x, double y) => Math.FusedMultiplyAdd(x, y, x * x);
    [Differentiable(Order = 2)] public static double AtanSecond(double x) => Math.Atan(x);
    [Differentiable] public static float AtanF(float x) => MathF.Atan(x) + MathF.Asinh(x);
    [Differentiable] public static double Qualified(double x) => global::System.Math.Atan(x) + System.Math.Asin(x / 4);

    /// <summary>Inside a loop over a span: the indexed lowering (and its vectorizer) meets the new functions.</summary>
    [Differentiable("w")]
    public static double AtanLoss(ReadOnlySpan<double> x, double w)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++) s += Math.Atan(w * x[i]) + Math.Asinh(x[i] - w);
        return s;
    }

    public static double AtanLossCall(double[] x, double w, out double dw) => AtanLossGradient(x, w, out dw);
}

/// <summary>Step functions, two-argument functions and the double/float generic-math statics (issue 15).</summary>
public static partial class MoreMathModel
{
    [Differentiable] public static double Steps(double x) => x * x + Math.Floor(x) + Math.Ceiling(2 * x) + Math.Truncate(x) + Math.Round(x);
    [Differentiable] public static double Atan2(double x, double y) => Math.Atan2(y, x) + x;
    [Differentiable] public static double Hypot(double x, double y) => double.Hypot(x, y);
    [Differentiable] public static double CopySign(double x, double y) => Math.CopySign(x * x - 0.5, y) + y;
    [Differentiable] public static double Statics(double x) =>
        double.Exp2(x) + double.ExpM1(x) + double.LogP1(x) + double.Exp10(x / 4) + double.Log2P1(x) + Double.Log10P1(x) + double.Sin(x) +
        System.Double.Cbrt(x) + double.Pi * x + double.Atan(x);
    [Differentiable] public static float FloatStatics(float x, float y) => float.Hypot(x, y) + float.Atan2(y, x) + MathF.Floor(x) + Single.Tanh(x) + float.Pi * y;
    [Differentiable] public static double Epsilon(double x) => x * double.Epsilon + x * double.MaxValue * 1e-300;
}

/// <summary>NaN, the edges of the range, and functions .NET computes directly (issue 15, from a user trial).</summary>
public static partial class EdgesModel
{
    [Differentiable] public static double Abs(double x) => Math.Abs(x);
    [Differentiable] public static double Huber(double d) { const double delta = 1.0; return Math.Abs(d) <= delta ? 0.5 * d * d : delta * (Math.Abs(d) - 0.5 * delta); }
    [Differentiable] public static double Cbrt(double x) => Math.Cbrt(x);
    [Differentiable] public static double Logs(double x) => Math.Log10(x) + Math.Log2(x);
    [Differentiable] public static double LogBase(double x, double b) => Math.Log(x, b);
    [Differentiable] public static double Fma(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);
    [Differentiable] public static double Atan2(double y, double x) => Math.Atan2(y, x);
    [Differentiable(nameof(x))] public static double Powers(double x, int n) => Math.Pow(x, n) + Math.Pow(x, n - 1);
#pragma warning disable CS1718 // x != x on purpose: C#'s NaN test
    [Differentiable] public static double NotSelf(double x) => x != x ? 0 : x;
    [Differentiable] public static double Self(double x) => x == x && x <= x ? x : 0;
#pragma warning restore CS1718
    [Differentiable] public static double NaNPattern(double x) => x is double.NaN ? 0 : x is not double.NaN ? x * x : 1;
    [Differentiable] public static double NaNCalls(double x) => double.IsNaN(x) ? 0 : double.IsFinite(x) ? x * x : double.IsPositiveInfinity(x) ? 1 : 2;
}
