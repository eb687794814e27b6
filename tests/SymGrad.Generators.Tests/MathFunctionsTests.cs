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
}
