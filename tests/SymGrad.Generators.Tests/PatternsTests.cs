using System;
using M = SymGrad.Generators.Tests.PatternsModel;

namespace SymGrad.Generators.Tests;

/// <summary>Piecewise definitions written as C# patterns and logical conditions, and static fields read at run time.</summary>
public class PatternsTests
{
    private static void Agrees(Func<double, double> method, Func<double, (double Value, double Derivative)> generated, string name, double[] points, double[] kinks)
    {
        foreach (var x in points)
        {
            var (value, derivative) = generated(x);
            // The method's value (to rounding where the engine factors a constant out of a sum).
            var expected = method(x);
            Assert.True(value.Equals(expected) || Math.Abs(value - expected) <= 1e-15 * Math.Abs(expected), $"{name}({x}) = {value:R}, the method gives {expected:R}");
            // Central differences where no piece boundary is within h.
            const double h = 1e-6;
            if (double.IsNaN(expected) || Array.Exists(kinks, k => Math.Abs(x - k) < 2 * h)) continue;
            var difference = (method(x + h) - method(x - h)) / (2 * h);
            Assert.True(Math.Abs(derivative - difference) <= 1e-6 * (1 + Math.Abs(difference)), $"{name}′({x}) = {derivative:R}, differences give {difference:R}");
        }
    }

    private static readonly double[] Points = { -3, -1.0000001, -1, -0.5, 0, 0.5, 1, 1.5, 1.9999999, 2, 2.5, 3, 3.5, double.NaN };

    [Fact]
    public void SwitchExpressions_TakeTheFirstArmThatMatches()
    {
        Agrees(M.Switch, x => (M.SwitchGradient(x, out var d), d), "switch", Points, new[] { -1.0, 1, 2 });
        Agrees(M.NotPattern, x => (M.NotPatternGradient(x, out var d), d), "not pattern", Points, new[] { 0.0, 1 });
        foreach (var label in new[] { -1, 0, 1, 2, 3 })
            Agrees(x => M.ByLabel(x, label), x => (M.ByLabelGradient(x, label, out var d), d), $"label {label}", Points, new[] { 3.0 });
        Assert.Equal(2.0, M.ByLabelDerivative(5, 2));
    }

    [Fact]
    public void LogicalConditions_AreCSharps_NaNIncluded()
    {
        foreach (var y in new[] { -1.0, 0.5, 1.5, 2, 3, double.NaN })
        {
            Agrees(x => M.And(x, y), x => (M.AndGradient(x, y, out var dx, out _), dx), $"and(·, {y})", Points, new[] { 0.0 });
            Agrees(x => M.OrNot(x, y), x => (M.OrNotGradient(x, y, out var dx, out _), dx), $"or-not(·, {y})", Points, new[] { 0.0, 1 });
            // ∂/∂y: !(y < 2) holds for NaN, as C# evaluates it.
            foreach (var x in Points)
            {
                M.OrNotGradient(x, y, out _, out var dy);
                var taken = x is > 0 and < 1 || !(y < 2);
                Assert.Equal(taken ? x : 1, dy);
            }
        }
    }

    [Fact]
    public void StaticFields_AreReadAtRunTime()
    {
        Agrees(M.Leaky, x => (M.LeakyGradient(x, out var d), d), "leaky", Points, new[] { 0.0 });
        Agrees(M.Series, x => (M.SeriesGradient(x, out var d), d), "series", Points, Array.Empty<double>());
        var saved = Hyper.Terms;
        try
        {
            Hyper.Terms = 7;
            Agrees(M.Series, x => (M.SeriesGradient(x, out var d), d), "series, 7 terms", Points, Array.Empty<double>());
            Assert.Equal(1.5 * (1 + 2 * 2 + 3 * 4 + 4 * 8 + 5 * 16 + 6 * 32), M.SeriesDerivative(2), 10);
        }
        finally
        {
            Hyper.Terms = saved;
        }
        Assert.Equal(2 * Hyper.Scale * 3f, M.ScaledDerivative(3f));
    }
}
