using System;
using Xunit;
using M = SymGrad.Generators.Tests.MathFunctionsModel;

namespace SymGrad.Generators.Tests;

/// <summary>Each function's generated value is the method's; its derivative matches central differences of the method.</summary>
public class MathFunctionsTests
{
    private static void Agrees(Func<double, double> method, Func<double, (double Value, double Derivative)> generated, string name, params double[] points)
    {
        foreach (var x in points)
        {
            var (value, derivative) = generated(x);
            var expected = method(x);
            Assert.True(Math.Abs(value - expected) <= 1e-14 * (1 + Math.Abs(expected)), $"{name}({x}) = {value:R}, the method gives {expected:R}");
            const double h = 1e-6;
            var difference = (method(x + h) - method(x - h)) / (2 * h);
            Assert.True(Math.Abs(derivative - difference) <= 1e-6 * (1 + Math.Abs(difference)), $"{name}′({x}) = {derivative:R}, differences give {difference:R}");
        }
    }

    [Fact]
    public void InverseTrigonometricAndHyperbolic_AreDifferentiated()
    {
        double[] points = { -1.5, -0.7, -0.1, 0.0, 0.3, 1.1, 1.9 };
        Agrees(M.Atan, x => (M.AtanGradient(x, out var d), d), "atan", points);
        Agrees(M.Asin, x => (M.AsinGradient(x, out var d), d), "asin", points);
        Agrees(M.Acos, x => (M.AcosGradient(x, out var d), d), "acos", points);
        Agrees(M.Asinh, x => (M.AsinhGradient(x, out var d), d), "asinh", points);
        Agrees(M.Acosh, x => (M.AcoshGradient(x, out var d), d), "acosh", points);
        Agrees(M.Atanh, x => (M.AtanhGradient(x, out var d), d), "atanh", points);
        Agrees(M.Qualified, x => (M.QualifiedGradient(x, out var d), d), "global::System.Math", points);
        // Second order: atan″ = −2x/(1 + x²)².
        foreach (var x in points) Assert.Equal(-2 * x / ((1 + x * x) * (1 + x * x)), M.AtanSecondSecondDerivative(x), 14);
        foreach (var x in new[] { -2f, -0.5f, 0f, 0.75f, 3f })
            Assert.Equal(1 / (1 + x * x) + 1 / MathF.Sqrt(x * x + 1), M.AtanFDerivative(x), 5);
    }

    [Fact]
    public void InsideALoopOverASpan_TheGradientIsTheMethods()
    {
        var x = new double[100_001];
        for (var i = 0; i < x.Length; i++) x[i] = Math.Sin(i) * 3;
        foreach (var w in new[] { -1.3, 0.2, 2.5 })
        {
            var value = M.AtanLossCall(x, w, out var dw);
            Assert.Equal(M.AtanLoss(x, w), value, 9);
            var h = 1e-6;
            var difference = (M.AtanLoss(x, w + h) - M.AtanLoss(x, w - h)) / (2 * h);
            Assert.True(Math.Abs(dw - difference) <= 1e-6 * (1 + Math.Abs(difference)), $"dw at {w}: {dw:R}, differences {difference:R}");
        }
    }

    [Fact]
    public void ClampCbrtAndFusedMultiplyAdd_MeanWhatCSharpComputes()
    {
        // Clamp: away from the bounds (the derivative jumps there).
        Agrees(M.Clamp, x => (M.ClampGradient(x, out var d), d), "clamp", -2.0, -1.0, -0.3, 0.2, 0.9, 1.2, 3.0);
        Assert.Equal(1.0, M.ClampDerivative(0.2));        // x² = 0.04 < 0.25: the bound, slope 0 + 1
        Assert.Equal(1.0 + 2 * 0.9, M.ClampDerivative(0.9), 14);
        // Cbrt of negative arguments (Math.Pow(x, 1/3) would be NaN there).
        Agrees(M.Cbrt, x => (M.CbrtGradient(x, out var d), d), "cbrt", -7.0, -2.5, 0.5, 1.7, 9.0);
        Assert.Equal(-2.0, M.CbrtGradient(-7.0, out _), 14);
        Agrees(x => M.Fma(x, 3), x => (M.FmaGradient(x, 3, out var dx, out _), dx), "fma", -2.0, 0.5, 4.0);
    }

    // f(x, y): the generated value is the method's, each partial matches central differences of the method.
    private static void Agrees2(Func<double, double, double> method, Func<double, double, (double Value, double Dx, double Dy)> generated, string name, params (double X, double Y)[] points)
    {
        foreach (var (x, y) in points)
        {
            var (value, dx, dy) = generated(x, y);
            var expected = method(x, y);
            Assert.True(value == expected || Math.Abs(value - expected) <= 1e-15 * Math.Abs(expected), $"{name}({x}, {y}) = {value:R}, the method gives {expected:R}");
            var h = 1e-6 * (1 + Math.Max(Math.Abs(x), Math.Abs(y)));
            var ex = (method(x + h, y) - method(x - h, y)) / (2 * h);
            var ey = (method(x, y + h) - method(x, y - h)) / (2 * h);
            Assert.True(Math.Abs(dx - ex) <= 1e-6 * (1 + Math.Abs(ex)), $"∂{name}/∂x({x}, {y}) = {dx:R}, differences give {ex:R}");
            Assert.True(Math.Abs(dy - ey) <= 1e-6 * (1 + Math.Abs(ey)), $"∂{name}/∂y({x}, {y}) = {dy:R}, differences give {ey:R}");
        }
    }

    [Fact]
    public void StepFunctions_HaveTheMethodsValue_AndDerivativeZero()
    {
        // Away from the steps: the derivative is x²'s; at the steps (2.5 rounds to 2, −2.5 to −2: ties to even) the value is the method's.
        Agrees(MoreMathModel.Steps, x => (MoreMathModel.StepsGradient(x, out var d), d), "steps", -2.3, -0.6, 0.3, 1.7, 3.1);
        foreach (var x in new[] { -2.5, -1.0, -0.5, 0.0, 0.5, 1.5, 2.5, 3.0, 1e300, -4503599627370497.0 })
        {
            Assert.Equal(MoreMathModel.Steps(x), MoreMathModel.StepsGradient(x, out var d));
            Assert.Equal(2 * x, d);
        }
    }

    [Fact]
    public void Atan2HypotAndCopySign_AreDifferentiatedInBothArguments()
    {
        (double, double)[] points = { (1.0, 2.0), (-1.5, 0.5), (-1.5, -0.5), (0.3, -2.0), (2.0, 1e-3) };
        Agrees2(MoreMathModel.Atan2, (x, y) => (MoreMathModel.Atan2Gradient(x, y, out var dx, out var dy), dx, dy), "atan2", points);
        Agrees2(MoreMathModel.Hypot, (x, y) => (MoreMathModel.HypotGradient(x, y, out var dx, out var dy), dx, dy), "hypot", points);
        Agrees2(MoreMathModel.CopySign, (x, y) => (MoreMathModel.CopySignGradient(x, y, out var dx, out var dy), dx, dy), "copysign", points);
        // Hypot is .NET's (no overflow where x² + y² would): the value at 1e200 is finite and its partials are x/h, y/h.
        var big = MoreMathModel.HypotGradient(3e200, 4e200, out var bx, out var by);
        Assert.Equal(double.Hypot(3e200, 4e200), big);
        Assert.Equal(0.6, bx, 15);
        Assert.Equal(0.8, by, 15);
        // CopySign takes the sign bit: −0.0 is negative.
        Assert.Equal(MoreMathModel.CopySign(3, -0.0), MoreMathModel.CopySignGradient(3, -0.0, out var cx, out _));
        Assert.Equal(-6.0, cx);
    }

    [Fact]
    public void DoubleAndFloatStatics_AreTheMathFunctions()
    {
        // ExpM1 and LogP1 are .NET's (Exp(x) − 1, Log(x + 1)): the generated value is the method's, to rounding.
        Agrees(MoreMathModel.Statics, x => (MoreMathModel.StaticsGradient(x, out var d), d), "statics", 0.1, 0.7, 1.3, 2.9);
        Assert.Equal(double.Epsilon + double.MaxValue * 1e-300, MoreMathModel.EpsilonDerivative(1.0));
        foreach (var (x, y) in new[] { (1f, 2f), (-1.5f, 0.5f), (0.25f, -3f) })
        {
            var value = MoreMathModel.FloatStaticsGradient(x, y, out var dx, out var dy);
            // The same float operations, summed in another order: within a few ulps.
            Assert.True(Math.Abs(value - MoreMathModel.FloatStatics(x, y)) <= 4e-7 * Math.Abs(value), $"{value} against {MoreMathModel.FloatStatics(x, y)}");
            var r2 = x * x + y * y;
            var (ex, ey) = (x / MathF.Sqrt(r2) - y / r2 + (1 - MathF.Tanh(x) * MathF.Tanh(x)), y / MathF.Sqrt(r2) + x / r2 + MathF.PI);
            Assert.True(Math.Abs(dx - ex) <= 1e-6 * (1 + Math.Abs(ex)) && Math.Abs(dy - ey) <= 1e-6 * (1 + Math.Abs(ey)), $"({dx}, {dy}) against ({ex}, {ey})");
        }
    }

    [Fact]
    public void NaN_GivesNaN_NeverAnException()
    {
        Assert.True(double.IsNaN(EdgesModel.AbsGradient(double.NaN, out var d)) && double.IsNaN(d));
        Assert.True(double.IsNaN(EdgesModel.HuberGradient(double.NaN, out d)));
        Assert.True(double.IsNaN(EdgesModel.CbrtGradient(double.NaN, out d)));
        Assert.Equal(1.0, EdgesModel.AbsDerivative(2.5));
        Assert.Equal(-1.0, EdgesModel.AbsDerivative(-2.5));
        Assert.Equal(0.0, EdgesModel.AbsDerivative(0.0));
        Assert.Equal(-1.0, EdgesModel.HuberDerivative(-3));
    }

    [Fact]
    public void NaNTests_AreCSharps()
    {
        foreach (var x in new[] { double.NaN, -2.0, 0.0, 3.0, double.PositiveInfinity, double.NegativeInfinity })
        {
            Assert.Equal(EdgesModel.NotSelf(x), EdgesModel.NotSelfGradient(x, out _));
            Assert.Equal(EdgesModel.Self(x), EdgesModel.SelfGradient(x, out _));
            Assert.Equal(EdgesModel.NaNPattern(x), EdgesModel.NaNPatternGradient(x, out _));
            Assert.Equal(EdgesModel.NaNCalls(x), EdgesModel.NaNCallsGradient(x, out var d));
            if (double.IsFinite(x)) Assert.Equal(2 * x, d);
        }
    }

    [Fact]
    public void DirectFunctions_AreDotNets_ToTheLastBit()
    {
        foreach (var x in new[] { 1e-300, 0.001, 8.0, 27.0, 1000.0, 1e300, -27.0 })
        {
            Assert.Equal(EdgesModel.Cbrt(x), EdgesModel.CbrtGradient(x, out var d));
            Assert.Equal(1 / (3 * Math.Cbrt(x) * Math.Cbrt(x)), d, 12);
            if (x > 0) Assert.Equal(EdgesModel.Logs(x), EdgesModel.LogsGradient(x, out _));
        }
        Assert.Equal(double.PositiveInfinity, EdgesModel.CbrtDerivative(0));
        Assert.Equal(3.0 + Math.Log2(1000), EdgesModel.LogsGradient(1000, out _));
        // Math.Log(a, newBase) is NaN for newBase 0 or +∞ (a ≠ 1) and for newBase 1, as .NET has it.
        foreach (var b in new[] { 0.0, double.PositiveInfinity, 1.0, 2.0, 0.5 })
            Assert.Equal(EdgesModel.LogBase(8, b), EdgesModel.LogBaseGradient(8, b, out _, out _));
        // FusedMultiplyAdd rounds once: 0.1·10 − 1 is 2⁻⁵⁴ fused, 0 unfused.
        Assert.Equal(Math.FusedMultiplyAdd(0.1, 10, -1), EdgesModel.FmaGradient(0.1, 10, -1, out var da, out var db, out var dc));
        Assert.Equal((10.0, 0.1, 1.0), (da, db, dc));
        Assert.Equal(double.NegativeInfinity, EdgesModel.FmaGradient(1e300, 1e300, double.NegativeInfinity, out _, out _, out _));
    }

    [Fact]
    public void Atan2Partials_NeitherOverflowNorUnderflow()
    {
        foreach (var s in new[] { 1e-300, 1e-150, 1.0, 1e150, 1e300 })
        {
            EdgesModel.Atan2Gradient(s, s, out var dy, out var dx);
            Assert.Equal(0.5 / s, dy, 1e-15 / s);
            Assert.Equal(-0.5 / s, dx, 1e-15 / s);
        }
    }

    [Fact]
    public void PowersOfIntData_AreFiniteAtZero()
    {
        foreach (var n in new[] { 0, 1, 2, 3 })
        {
            EdgesModel.PowersGradient(0, n, out var dx);
            // d/dx (x^n + x^(n−1)) at 0: 1 where n or n − 1 is 1, else 0 (n = 0: x^−1 has a pole, −∞ from its −1·0^−2).
            var expected = n == 0 ? double.NegativeInfinity : (n == 1 ? 1 : 0) + (n == 2 ? 1 : 0);
            Assert.Equal(expected, dx);
        }
    }
}
