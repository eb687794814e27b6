using System;
using M = SymGrad.Generators.Tests.IntegerDataModel;

namespace SymGrad.Generators.Tests;

/// <summary>int parameters as data and general loops: the generated value is the method's, each partial its differences.</summary>
public class IntegerDataTests
{
    private delegate double SpanFunction(ReadOnlySpan<double> x);

    // Every element's partial against central differences of the method (all of them, or a sample of a long span).
    private static void GradientMatches(SpanFunction f, double[] x, double[] gradient, int samples = int.MaxValue)
    {
        var step = Math.Max(1, x.Length / Math.Max(1, Math.Min(samples, x.Length)));
        for (var k = 0; k < x.Length; k += step)
        {
            var keep = x[k];
            const double h = 1e-6;
            x[k] = keep + h;
            var up = f(x);
            x[k] = keep - h;
            var down = f(x);
            x[k] = keep;
            var difference = (up - down) / (2 * h);
            Assert.True(Math.Abs(gradient[k] - difference) <= 1e-6 * (1 + Math.Abs(difference)), $"∂/∂x[{k}] = {gradient[k]:R}, differences give {difference:R}");
        }
    }

    [Theory]
    [InlineData(5, 0)]
    [InlineData(5, 4)]
    [InlineData(100_000, 77_777)]
    public void SparseCrossEntropy_IsSoftmaxMinusOneHot(int n, int label)
    {
        var random = new Random(n + label);
        var z = new double[n];
        for (var i = 0; i < n; i++) z[i] = random.NextDouble() * 20 - 10;
        var dz = new double[n];
        var value = M.SparseCrossEntropyGradient(z, label, dz);
        Assert.Equal(M.SparseCrossEntropy(z, label), value, 9);
        var max = double.NegativeInfinity;
        foreach (var v in z) max = Math.Max(max, v);
        var sum = 0.0;
        foreach (var v in z) sum += Math.Exp(v - max);
        for (var k = 0; k < n; k++) Assert.Equal(Math.Exp(z[k] - max) / sum - (k == label ? 1 : 0), dz[k], 12);
        GradientMatches(x => M.SparseCrossEntropy(x, label), z, dz, samples: 50);
        // A label out of range throws as the method does.
        Assert.Throws<IndexOutOfRangeException>(() => M.SparseCrossEntropyGradient(z, n, dz));
        // The float version keeps large logits finite (a max shift).
        var zf = new float[] { 1000f, -3f, 999f };
        var dzf = new float[3];
        var loss = M.SparseCrossEntropyFGradient(zf, 2, dzf);
        Assert.Equal(M.SparseCrossEntropyF(zf, 2), loss, 5);
        Assert.Equal(1 / (1 + MathF.Exp(1)) - 1, dzf[2], 5);   // softmax of 999 beside 1000 is σ(−1)
    }

    [Fact]
    public void IntArithmeticOnIntData_IsCSharps()
    {
        foreach (var n in new[] { 0, 1, 3, 7, -5 })
            foreach (var x in new[] { -1.5, 0.25, 2.0 })
            {
                var value = M.ScaledGradient(x, n, out var dx);
                Assert.Equal(M.Scaled(x, n), value, 14);
                const double h = 1e-6;
                Assert.Equal((M.Scaled(x + h, n) - M.Scaled(x - h, n)) / (2 * h), dx, 6);
            }
        // n / 2 truncates: with n = 3 the second term is 1·x, the first 1.5x.
        Assert.Equal(1.5 + 1 + 0.25, M.ScaledDerivative(0, 3), 14);
    }

    [Fact]
    public void APolynomialWithTheLoopIndexAsExponent_IsFiniteAtZero()
    {
        foreach (var n in new[] { 0, 1, 2, 6 })
            foreach (var w in new[] { -0.7, 0.0, 0.5, 1.3 })
            {
                var value = M.PolynomialGradient(w, n, out var dw);
                Assert.Equal(M.Polynomial(w, n), value, 14);
                var expected = 0.0;
                for (var i = 1; i < n; i++) expected += i * Math.Pow(w, i - 1) / (i + 1);
                Assert.Equal(expected, dw, 13);
            }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(10)]
    public void StridedAndTriangularLoops_RunAsCSharpRunsThem(int n)
    {
        var x = new double[n];
        for (var i = 0; i < n; i++) x[i] = Math.Cos(i + 0.3) * 2;
        foreach (var w in new[] { -0.4, 1.7 })
        {
            var dx = new double[n];
            var value = M.StridedGradient(x, w, dx, out var dw);
            Assert.Equal(M.Strided(x, w), value, 13);
            GradientMatches(v => M.Strided(v, w), x, dx);
            const double h = 1e-6;
            Assert.Equal((M.Strided(x, w + h) - M.Strided(x, w - h)) / (2 * h), dw, 6);

            var ds = new double[n];
            Assert.Equal(M.NamedStep(x, w), M.NamedStepGradient(x, w, ds, out _), 13);
            GradientMatches(v => M.NamedStep(v, w), x, ds);

            var dt = new double[n];
            value = M.TriangularGradient(x, w, dt, out var dwt);
            Assert.Equal(M.Triangular(x, w), value, 12);
            GradientMatches(v => M.Triangular(v, w), x, dt);
            Assert.Equal((M.Triangular(x, w + h) - M.Triangular(x, w - h)) / (2 * h), dwt, 6);
        }
    }

    [Fact]
    public void PositionsFromIntData_AndAnIntLoopBound()
    {
        var z = new double[] { 0.5, -1.25, 2.0, 0.75, -0.3, 1.1 };
        foreach (var (label, offset) in new[] { (0, 0), (3, 2), (5, 4), (4, 6) })
        {
            var dz = new double[z.Length];
            var value = M.PositionsGradient(z, 0.8, label, offset, dz, out var dw);
            Assert.Equal(M.Positions(z, 0.8, label, offset), value, 14);
            GradientMatches(v => M.Positions(v, 0.8, label, offset), z, dz);
            const double h = 1e-6;
            Assert.Equal((M.Positions(z, 0.8 + h, label, offset) - M.Positions(z, 0.8 - h, label, offset)) / (2 * h), dw, 6);
        }
    }
}
