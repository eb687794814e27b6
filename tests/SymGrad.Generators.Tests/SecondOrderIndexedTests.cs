using System;
using System.Linq;
using M = SymGrad.Generators.Tests.SecondOrderIndexedModel;

namespace SymGrad.Generators.Tests;

/// <summary>H·v of indexed methods against differences of their gradients, and the full Hessian against its formula.</summary>
public class SecondOrderIndexedTests
{
    private static (double[,] X, double[] y) Data(int n, int d, int seed)
    {
        var r = new Random(seed);
        var X = new double[n, d];
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++) X[i, j] = r.NextDouble() * 2 - 1;
            y[i] = r.Next(2) * 2 - 1;
        }
        return (X, y);
    }

    [Fact]
    public void LogisticHessianVectorProduct_IsTheDifferenceOfGradientsAlongV()
    {
        var (X, y) = Data(50, 4, 3);
        var w = new[] { 0.3, -0.7, 1.1, 0.05 };
        const double b = -0.2;
        var (vw, vb) = (new[] { 1.0, -2.0, 0.5, 0.25 }, 0.75);
        var hw = new double[4];
        var value = M.LogisticHessianVectorProduct(w, b, X, y, vw, vb, hw, out var hb);
        const double h = 1e-5;
        var (gp, gm) = (new double[4], new double[4]);
        M.LogisticGradient(w.Zip(vw, (a, v) => a + h * v).ToArray(), b + h * vb, X, y, gp, out var gbp);
        M.LogisticGradient(w.Zip(vw, (a, v) => a - h * v).ToArray(), b - h * vb, X, y, gm, out var gbm);
        for (var k = 0; k < 4; k++) Assert.Equal((gp[k] - gm[k]) / (2 * h), hw[k], 8);
        Assert.Equal((gbp - gbm) / (2 * h), hb, 8);
        // It returns the directional derivative ∇f·v.
        var g = new double[4];
        M.LogisticGradient(w, b, X, y, g, out var gb);
        Assert.Equal(g.Zip(vw, (a, v) => a * v).Sum() + gb * vb, value, 12);
    }

    [Fact]
    public void LogisticHessian_IsXTransposeSX_OverN()
    {
        var (X, y) = Data(30, 3, 5);
        var w = new[] { 0.4, -0.3, 0.9 };
        const double b = 0.1;
        var H = new double[16];
        M.LogisticHessian(w, b, X, y, H);
        var expected = new double[4, 4];
        for (var i = 0; i < 30; i++)
        {
            var z = b + w[0] * X[i, 0] + w[1] * X[i, 1] + w[2] * X[i, 2];
            var s = 1 / (1 + Math.Exp(-y[i] * z));
            var row = new[] { X[i, 0], X[i, 1], X[i, 2], 1.0 };   // w, then b
            for (var p = 0; p < 4; p++)
                for (var q = 0; q < 4; q++) expected[p, q] += s * (1 - s) * row[p] * row[q] / 30;
        }
        for (var p = 0; p < 4; p++)
            for (var q = 0; q < 4; q++) Assert.Equal(expected[p, q], H[p * 4 + q], 13);
        Assert.Throws<ArgumentException>(() => M.LogisticHessian(w, b, X, y, new double[15]));
        // It returns f, as the scalar methods' Hessian does; a longer span is fine.
        var gradient = new double[3];
        Assert.Equal(M.LogisticGradient(w, b, X, y, gradient, out _), M.LogisticHessian(w, b, X, y, new double[20]), 15);
        Assert.Equal(0.0, M.LogisticHessianVectorProduct(w, b, X, y, new double[3], 0, new double[3], out _), 14);   // ∇f·0
        // A direction of the wrong shape is refused like an output of the wrong shape.
        var e = Assert.Throws<ArgumentException>(() => M.LogisticHessianVectorProduct(w, b, X, y, new double[2], 0, new double[3], out _));
        Assert.Equal("v_w", e.ParamName);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(100_000)]
    public void ACalledActivation_AndNeighbours_HaveTheirSecondDerivatives(int n)
    {
        var x = Enumerable.Range(0, n).Select(i => Math.Sin(i * 0.7) * 1.5).ToArray();
        var v = Enumerable.Range(0, n).Select(i => Math.Cos(i * 1.3)).ToArray();
        const double a = 0.8, va = -0.4;
        var hx = new double[n];
        M.CoupledHessianVectorProduct(x, a, v, va, hx, out var ha);
        const double h = 1e-5;
        var (gp, gm) = (new double[n], new double[n]);
        M.CoupledGradient(x.Zip(v, (p, q) => p + h * q).ToArray(), a + h * va, gp, out var gap);
        M.CoupledGradient(x.Zip(v, (p, q) => p - h * q).ToArray(), a - h * va, gm, out var gam);
        for (var k = 0; k < n; k += Math.Max(1, n / 50)) Assert.Equal((gp[k] - gm[k]) / (2 * h), hx[k], 6);
        Assert.Equal((gap - gam) / (2 * h), ha, 4);
        if (n > 10) return;
        // The full Hessian is symmetric, and its columns are the products with unit vectors.
        var size = n + 1;
        var H = new double[size * size];
        M.CoupledHessian(x, a, H);
        for (var p = 0; p < size; p++)
            for (var q = 0; q < size; q++) Assert.Equal(H[p * size + q], H[q * size + p], 12);
        var hv = H.Chunk(size).Select(row => row.Take(n).Zip(v, (e, u) => e * u).Sum() + row[n] * va).ToArray();
        for (var k = 0; k < n; k++) Assert.Equal(hv[k], hx[k], 12);
        Assert.Equal(hv[n], ha, 12);
    }

    [Fact]
    public void AMatrixVariable_GetsTheProduct()
    {
        var W = new double[,] { { 0.1, -0.2, 0.3 }, { 0.5, 0.0, -0.4 } };
        var x = new[] { 1.0, 2.0, -1.5 };
        var V = new double[,] { { 1, 0, -1 }, { 0.5, 2, 0.25 } };
        var HV = new double[2, 3];
        M.FrobeniusHessianVectorProduct(W, x, V, HV);
        // f = Σ_i exp(W_i·x): H·V has rows exp(W_i·x) (V_i·x) x.
        for (var i = 0; i < 2; i++)
        {
            var r = W[i, 0] * x[0] + W[i, 1] * x[1] + W[i, 2] * x[2];
            var vr = V[i, 0] * x[0] + V[i, 1] * x[1] + V[i, 2] * x[2];
            for (var j = 0; j < 3; j++) Assert.Equal(Math.Exp(r) * vr * x[j], HV[i, j], 12);
        }
        // A missing or misshapen direction is an ArgumentException, not a NullReferenceException.
        Assert.Throws<ArgumentException>(() => M.FrobeniusHessianVectorProduct(W, x, null!, HV));
        Assert.Throws<ArgumentException>(() => M.FrobeniusHessianVectorProduct(W, x, new double[2, 2], HV));
        var generated = GeneratorHarness.Run("using System; using SymGrad; public static partial class M { [Differentiable(nameof(W), Order = 2)] public static double F(double[,] W) => W[0, 0] * W[0, 0]; }");
        Assert.Contains(generated.GeneratorDiagnostics, d => d.Id == "SG0025" && d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Warning);
        Assert.Empty(generated.CompileDiagnostics);
    }

    [Fact]
    public void FloatMethods_GetFloatSecondOrder()
    {
        var x = new[] { 1f, -2f, 0.5f };
        var H = new float[16];
        M.SquaredNormFHessian(x, 2f, H);
        // f = c Σ x³: ∂²/∂x_k² = 6 c x_k, ∂²/∂x_k∂c = 3 x_k², ∂²/∂c² = 0.
        for (var k = 0; k < 3; k++)
        {
            Assert.Equal(12f * x[k], H[k * 4 + k], 4);
            Assert.Equal(3f * x[k] * x[k], H[k * 4 + 3], 4);
            Assert.Equal(3f * x[k] * x[k], H[3 * 4 + k], 4);
        }
        Assert.Equal(0f, H[15]);
    }

    [Fact]
    public void SoftmaxCrossEntropy_HessianIsDiagPMinusPPTransposed()
    {
        var z = new[] { 1.5, -0.5, 3.0, 0.25 };
        var y = new[] { 0.1, 0.2, 0.3, 0.4 };
        var v = new[] { 1.0, -1.0, 0.5, 2.0 };
        var (hz, hy) = (new double[4], new double[4]);
        M.SoftmaxCrossEntropyHessianVectorProduct(z, y, v, new double[4], hz, hy);
        var max = z.Max();
        var p = z.Select(t => Math.Exp(t - max)).ToArray();
        var total = p.Sum();
        for (var k = 0; k < 4; k++) p[k] /= total;
        var pv = p.Zip(v, (a, b) => a * b).Sum();
        // (diag(p) − p pᵀ) v = p ∘ v − p (p·v); the y-block is −v (∂²f/∂y∂z = −I).
        for (var k = 0; k < 4; k++) Assert.Equal(p[k] * v[k] - p[k] * pv, hz[k], 13);
        for (var k = 0; k < 4; k++) Assert.Equal(-v[k], hy[k], 13);
        var H = new double[64];
        M.SoftmaxCrossEntropyHessian(z, y, H);
        for (var a = 0; a < 4; a++)
            for (var b = 0; b < 4; b++)
            {
                Assert.Equal((a == b ? p[a] : 0) - p[a] * p[b], H[a * 8 + b], 13);
                Assert.Equal(a == b ? -1 : 0, H[a * 8 + 4 + b], 13);
            }
    }

    private delegate void Gradient(double[] x, double[] g);

    // Every column of the Hessian against central differences of the generated gradient, and symmetric.
    private static void HessianMatchesDifferencesOfTheGradient(Gradient gradient, Func<double[], double[], double> hessian, double[] x, string name)
    {
        var n = x.Length;
        var H = new double[n * n];
        hessian(x, H);
        const double h = 1e-5;
        var (up, down) = (new double[n], new double[n]);
        for (var j = 0; j < n; j++)
        {
            var keep = x[j];
            x[j] = keep + h;
            gradient(x, up);
            x[j] = keep - h;
            gradient(x, down);
            x[j] = keep;
            for (var i = 0; i < n; i++)
            {
                var expected = (up[i] - down[i]) / (2 * h);
                Assert.True(Math.Abs(H[i * n + j] - expected) <= 1e-5 * (1 + Math.Abs(expected)), $"{name}: H[{i},{j}] = {H[i * n + j]}, differences of the gradient give {expected}");
                Assert.Equal(H[i * n + j], H[j * n + i], 9);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    public void StridesShiftedStartsAndFlatMatrices_HaveTheirHessians(int n)
    {
        var x = Enumerable.Range(0, n).Select(i => Math.Sin(1.7 * i + 0.4) * 1.3).ToArray();
        HessianMatchesDifferencesOfTheGradient((p, g) => M.StridedGradient(p, g), (p, H) => M.StridedHessian(p, H), x, "strided");
        HessianMatchesDifferencesOfTheGradient((p, g) => M.RosenbrockGradient(p, g), (p, H) => M.RosenbrockHessian(p, H), x, "Rosenbrock");
        HessianMatchesDifferencesOfTheGradient((p, g) => M.PairsGradient(p, g), (p, H) => M.PairsHessian(p, H), x, "pairs");
        // The extended Rosenbrock at (−1.2, 1, −1.2, 1): the first row is 1330, 480, 0, 0.
        var R = new double[16];
        M.RosenbrockHessian(new[] { -1.2, 1, -1.2, 1 }, R);
        Assert.Equal(new[] { 1330.0, 480, 0, 0 }, R.Take(4).Select(v => Math.Round(v, 9)));
        // u and v flattened into one vector, r = 2.
        var uv = Enumerable.Range(0, 2 * (2 * n)).Select(i => Math.Cos(0.9 * i) * 0.8).ToArray();
        var m = 2 * n;
        HessianMatchesDifferencesOfTheGradient(
            (p, g) => M.FactorisationGradient(p.AsSpan(0, m), p.AsSpan(m), 2, g.AsSpan(0, m), g.AsSpan(m)),
            (p, H) => M.FactorisationHessian(p.AsSpan(0, m), p.AsSpan(m), 2, H), uv, "factorisation");
    }

    [Fact]
    public void TheStableFormsArgmax_IsSearchedOnce_NotInEveryIteration()
    {
        // H·v of a max-shifted log-sum-exp reads the argmax of the shift; inside Σ_j its guard (count > 0) always holds, so
        // the search runs once before the loops (it ran in every iteration: quadratic in the number of logits).
        var r = GeneratorHarness.Run("using System; using SymGrad; public static partial class F { [Differentiable(nameof(z), Order = 2)] " +
            "public static double Sce(ReadOnlySpan<double> z, int label) { var s = 0.0; for (var j = 0; j < z.Length; j++) s += Math.Exp(z[j]); return Math.Log(s) - z[label]; } }");
        Assert.Empty(r.CompileDiagnostics);
        var text = r.Generated("F.Sce.g.cs");
        var product = text.Substring(text.IndexOf("SceHessianVectorProduct(", StringComparison.Ordinal));
        product = product.Substring(0, product.IndexOf("public static", StringComparison.Ordinal));
        Assert.Equal(1, product.Split("var candidate").Length - 1);
        var search = product.IndexOf("var candidate", StringComparison.Ordinal);
        Assert.True(search < product.IndexOf("for (var k", StringComparison.Ordinal));
    }
}
