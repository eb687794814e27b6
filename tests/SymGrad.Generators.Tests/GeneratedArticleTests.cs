using System;
using System.Linq;
using System.Text;
using SymGrad.Generated;
using SymGrad.Tests.Shared;

namespace SymGrad.Generators.Tests;

/// <summary>
/// The members the generator emitted for <see cref="ArticleModel"/> at build time, run and checked against
/// central finite differences of the original methods.
/// </summary>
public class GeneratedArticleTests
{
    private static readonly double[] Points = { -3.0, -1.2, -0.4, 0.3, 0.9, 2.5 };

    private static double Difference(Func<double[], double> f, double[] at, int i)
    {
        var h = 1e-6 * Math.Max(1, Math.Abs(at[i]));
        var plus = (double[])at.Clone();
        var minus = (double[])at.Clone();
        plus[i] += h;
        minus[i] -= h;
        return (f(plus) - f(minus)) / (2 * h);
    }

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-6 * (1 + Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    [Fact]
    public void ScalarActivations_Derivatives_MatchFiniteDifferences()
    {
        foreach (var x in Points)
        {
            AssertClose(Difference(a => ArticleModel.Sigmoid(a[0]), new[] { x }, 0), ArticleModel.SigmoidDerivative(x), $"sigmoid'({x})");
            AssertClose(Difference(a => ArticleModel.Tanh(a[0]), new[] { x }, 0), ArticleModel.TanhDerivative(x), $"tanh'({x})");
            AssertClose(Difference(a => ArticleModel.Softplus(a[0]), new[] { x }, 0), ArticleModel.SoftplusDerivative(x), $"softplus'({x})");
            AssertClose(Difference(a => ArticleModel.Relu(a[0]), new[] { x }, 0), ArticleModel.ReluDerivative(x), $"relu'({x})");
            AssertClose(Difference(a => ArticleModel.ReluWithIf(a[0]), new[] { x }, 0), ArticleModel.ReluWithIfDerivative(x), $"relu'({x}) with if");
            var s = ArticleModel.Sigmoid(x);
            AssertClose(s * (1 - s), ArticleModel.SigmoidDerivative(x), "σ(1−σ)");
            AssertClose(1 - Math.Tanh(x) * Math.Tanh(x), ArticleModel.TanhDerivative(x), "1 − tanh²");
            var value = ArticleModel.SigmoidGradient(x, out var dx);
            Assert.Equal(ArticleModel.Sigmoid(x), value, 15);
            Assert.Equal(ArticleModel.SigmoidDerivative(x), dx, 15);
            // From the value y = f(x), as a backward pass that kept its outputs computes it: y(1 − y), 1 − y².
            Assert.Equal(ArticleModel.SigmoidDerivative(x), ArticleModel.SigmoidDerivativeFromValue(s), 14);
            Assert.Equal(ArticleModel.TanhDerivative(x), ArticleModel.TanhDerivativeFromValue(ArticleModel.Tanh(x)), 14);
        }
        // ReLU′ = [x > 0] is not a function of ReLU(x) in the engine's terms; softplus′ = σ(x) is not one of softplus(x).
        Assert.Null(typeof(ArticleModel).GetMethod("ReluDerivativeFromValue"));
        Assert.Null(typeof(ArticleModel).GetMethod("SoftplusDerivativeFromValue"));
    }

    [Fact]
    public void CallsToDifferentiableMethods_UseTheCalleesGeneratedDerivative()
    {
        foreach (var x in Points)
        {
            AssertClose(Difference(a => ArticleModel.Swish(a[0]), new[] { x }, 0), ArticleModel.SwishDerivative(x), $"swish'({x})");
            ArticleModel.NeuronGradient(0.7, x, 1.3, out var dw, out var db);
            Func<double[], double> neuron = a => ArticleModel.Neuron(a[0], a[1], 1.3);
            AssertClose(Difference(neuron, new[] { 0.7, x }, 0), dw, "neuron ∂w");
            AssertClose(Difference(neuron, new[] { 0.7, x }, 1), db, "neuron ∂b");
        }
        foreach (var x in Points)
            AssertClose(Difference(a => ArticleModel.GeluSquared(a[0]), new[] { x }, 0), ArticleModel.GeluSquaredDerivative(x), $"(gelu²)'({x}) through [DerivativeOf]");
        // The [DerivativeOf] method appears as the derivative it is.
        Assert.Contains(@"\mathrm{Gelu}'\left(x\right)", ArticleModel.GeluSquaredDerivation.Partial_x);
        // Not inlined: the derivation names the callee and its derivative.
        Assert.Contains(@"\mathrm{Sigmoid}'\left(x\right)", ArticleModel.SwishDerivation.Partial_x);
    }

    [Fact]
    public void CallsToMultiParameterMethods_UseTheCalleesGeneratedPartials()
    {
        var random = new Random(5);
        for (var k = 0; k < 10; k++)
        {
            double w = random.NextDouble() * 4 - 2, b = random.NextDouble() * 4 - 2, x = random.NextDouble() * 2 - 1, y = random.NextDouble() * 4 - 2;
            var value = ArticleModel.RidgeLossGradient(w, b, x, y, 0.3, out var dw, out var db);
            Assert.Equal(ArticleModel.RidgeLoss(w, b, x, y, 0.3), value, 12);
            Func<double[], double> f = a => ArticleModel.RidgeLoss(a[0], a[1], x, y, 0.3);
            AssertClose(Difference(f, new[] { w, b }, 0), dw, "ridge ∂w");
            AssertClose(Difference(f, new[] { w, b }, 1), db, "ridge ∂b");
            // The callee's partial members are functions in their own right.
            Func<double[], double> loss = a => ArticleModel.LinearRegressionLoss(a[0], a[1], x, y);
            AssertClose(Difference(loss, new[] { w, b }, 0), ArticleModel.LinearRegressionLossPartial_w(w, b, x, y), "partial w");
            AssertClose(Difference(loss, new[] { w, b }, 1), ArticleModel.LinearRegressionLossPartial_b(w, b, x, y), "partial b");
        }
        Assert.Contains(@"\partial_{w} \mathrm{LinearRegressionLoss}\left(", ArticleModel.RidgeLossDerivation.Partial_w);
    }

    [Fact]
    public void SecondDerivativesThroughCalls_UseTheCalleesSecondDerivatives()
    {
        var random = new Random(6);
        Span<double> hessian = stackalloc double[4];
        for (var k = 0; k < 10; k++)
        {
            double x = random.NextDouble() * 3 - 1.5, y = random.NextDouble() * 3 - 1.5;
            ArticleModel.ThroughSecondOrderCallsHessian(x, y, hessian);
            // Each Hessian row is the derivative of the generated gradient.
            Func<double[], double> dx = a => { ArticleModel.ThroughSecondOrderCallsGradient(a[0], a[1], out var gx, out _); return gx; };
            Func<double[], double> dy = a => { ArticleModel.ThroughSecondOrderCallsGradient(a[0], a[1], out _, out var gy); return gy; };
            AssertClose(Difference(dx, new[] { x, y }, 0), hessian[0], "∂²/∂x²");
            AssertClose(Difference(dx, new[] { x, y }, 1), hessian[1], "∂²/∂x∂y");
            AssertClose(Difference(dy, new[] { x, y }, 0), hessian[2], "∂²/∂y∂x");
            AssertClose(Difference(dy, new[] { x, y }, 1), hessian[3], "∂²/∂y²");
            AssertClose(Difference(a => ArticleModel.SmoothAbsDerivative(a[0]), new[] { x }, 0), ArticleModel.SmoothAbsSecondDerivative(x), "smoothabs''");
            AssertClose(Difference(a => ArticleModel.RosenbrockPartial_a(a[0], y), new[] { x }, 0), ArticleModel.RosenbrockPartial_a_a(x, y), "rosenbrock ∂aa");
            AssertClose(Difference(a => ArticleModel.RosenbrockPartial_a(x, a[0]), new[] { y }, 0), ArticleModel.RosenbrockPartial_a_b(x, y), "rosenbrock ∂ab");
        }
    }

    private static double[] RandomVector(Random r, int n) => Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();

    [Fact]
    public void IndexedMethods_GeneratedLoops_MatchFiniteDifferences()
    {
        var random = new Random(12);
        var x = RandomVector(random, 9);
        var y = RandomVector(random, 9);
        var value = ArticleModel.BatchMseGradient(0.4, -0.2, x, y, out var dw, out var db);
        Assert.Equal(ArticleModel.BatchMse(0.4, -0.2, x, y), value, 12);
        AssertClose(Difference(a => ArticleModel.BatchMse(a[0], a[1], x, y), new[] { 0.4, -0.2 }, 0), dw, "batch mse ∂w");
        AssertClose(Difference(a => ArticleModel.BatchMse(a[0], a[1], x, y), new[] { 0.4, -0.2 }, 1), db, "batch mse ∂b");
        // The article's formula: ∂L/∂w = −(1/n) Σ (y_i − ŷ_i) x_i.
        Assert.Equal(-x.Select((xi, i) => (y[i] - (0.4 * xi - 0.2)) * xi).Average(), dw, 12);

        var z = RandomVector(random, 5);
        var target = new[] { 0.1, 0.2, 0.3, 0.4, 0.0 };
        var dz = new double[5];
        ArticleModel.SoftmaxCrossEntropyOfLogitsGradient(z, target, dz);
        var normaliser = z.Sum(Math.Exp);
        for (var k = 0; k < 5; k++) Assert.Equal(Math.Exp(z[k]) / normaliser - target[k], dz[k], 12);

        // Shifted by the largest logit: the same gradient, and finite at logits of ±1000 where e^z overflows.
        var stable = new double[5];
        ArticleModel.StableSoftmaxCrossEntropyOfLogitsGradient(z, target, stable);
        for (var k = 0; k < 5; k++) Assert.Equal(dz[k], stable[k], 12);
        var huge = new[] { 1000.0, 999.0, -1000.0, 998.0, 0.0 };
        Assert.True(double.IsFinite(ArticleModel.StableSoftmaxCrossEntropyOfLogitsGradient(huge, target, stable)));
        var shifted = huge.Select(v => Math.Exp(v - 1000)).ToArray();
        for (var k = 0; k < 5; k++) Assert.Equal(shifted[k] / shifted.Sum() - target[k], stable[k], 12);
        // Written without the shift, the engine shifts it itself (log Σ e^z → m + log Σ e^{z − m}): finite and equal.
        Assert.True(double.IsFinite(ArticleModel.SoftmaxCrossEntropyOfLogitsGradient(huge, target, dz)));
        for (var k = 0; k < 5; k++) Assert.Equal(stable[k], dz[k], 12);

        var w = RandomVector(random, 6);
        var dwv = new double[6];
        var penalty = ArticleModel.L2PenaltyGradient(w, dwv);
        Assert.Equal(w.Select(v => 2 * v).ToArray(), dwv);
        // The value is added up in the gradient's loop; without a gradient wanted, in a loop of its own.
        Assert.Equal(w.Sum(v => v * v), penalty, 12);
        Assert.Equal(penalty, ArticleModel.L2PenaltyGradient(w, Span<double>.Empty), 12);

        var W = new double[3, 4];
        for (var r = 0; r < 3; r++)
        for (var c = 0; c < 4; c++)
            W[r, c] = random.NextDouble() - 0.5;
        var a = RandomVector(random, 4);
        var bias = RandomVector(random, 3);
        var score = RandomVector(random, 3);
        var dW = new double[3, 4];
        var dbias = new double[3];
        var da = new double[4];
        ArticleModel.DenseTanhGradient(W, a, bias, score, dW, dbias, da);
        double Loss() => ArticleModel.DenseTanh(W, a, bias, score);
        for (var r = 0; r < 3; r++)
        for (var c = 0; c < 4; c++)
        {
            var saved = W[r, c];
            W[r, c] = saved + 1e-6;
            var plus = Loss();
            W[r, c] = saved - 1e-6;
            var minus = Loss();
            W[r, c] = saved;
            AssertClose((plus - minus) / 2e-6, dW[r, c], $"dense ∂W[{r},{c}]");
        }
        for (var r = 0; r < 3; r++) AssertClose(Difference(v => { var b2 = (double[])bias.Clone(); b2[r] = v[0]; return ArticleModel.DenseTanh(W, a, b2, score); }, new[] { bias[r] }, 0), dbias[r], $"dense ∂b[{r}]");
        for (var c = 0; c < 4; c++) AssertClose(Difference(v => { var a2 = (double[])a.Clone(); a2[c] = v[0]; return ArticleModel.DenseTanh(W, a2, bias, score); }, new[] { a[c] }, 0), da[c], $"dense ∂a[{c}]");

        // AccumulateGradient adds into its outputs (ref for scalars): twice from a start value is start + 2·gradient.
        double accW = 1, accB = -1;
        ArticleModel.BatchMseAccumulateGradient(0.4, -0.2, x, y, ref accW, ref accB);
        ArticleModel.BatchMseAccumulateGradient(0.4, -0.2, x, y, ref accW, ref accB);
        Assert.Equal(1 + 2 * dw, accW, 12);
        Assert.Equal(-1 + 2 * db, accB, 12);
        var (accWm, accBias, accA) = (new double[3, 4], Enumerable.Repeat(0.5, 3).ToArray(), new double[4]);
        ArticleModel.DenseTanhAccumulateGradient(W, a, bias, score, accWm, accBias, accA);
        ArticleModel.DenseTanhAccumulateGradient(W, a, bias, score, accWm, accBias, accA);
        for (var r = 0; r < 3; r++)
        {
            Assert.Equal(0.5 + 2 * dbias[r], accBias[r], 12);
            for (var c = 0; c < 4; c++) Assert.Equal(2 * dW[r, c], accWm[r, c], 12);
        }
        for (var c = 0; c < 4; c++) Assert.Equal(2 * da[c], accA[c], 12);

        // Max pooling (a loop with Math.Max, and Sym.Max): the gradient is G at each window's argmax, 0 elsewhere.
        var X = new double[4, 6];
        var G = new double[2, 3];
        for (var r = 0; r < 4; r++)
        for (var c = 0; c < 6; c++)
            X[r, c] = random.NextDouble();
        for (var r = 0; r < 2; r++)
        for (var c = 0; c < 3; c++)
            G[r, c] = random.NextDouble() + 0.5;
        var (dX, dG, dXs) = (new double[4, 6], new double[2, 3], new double[4, 6]);
        Assert.Equal(ArticleModel.MaxPoolScore(X, G), ArticleModel.MaxPoolScoreGradient(X, G, dX, dG), 12);
        ArticleModel.MaxPoolScoreSymGradient(X, G, dXs);
        for (var r = 0; r < 4; r++)
        for (var c = 0; c < 6; c++)
        {
            var saved = X[r, c];
            X[r, c] = saved + 1e-6;
            var plus = ArticleModel.MaxPoolScore(X, G);
            X[r, c] = saved - 1e-6;
            var minus = ArticleModel.MaxPoolScore(X, G);
            X[r, c] = saved;
            AssertClose((plus - minus) / 2e-6, dX[r, c], $"max pool ∂X[{r},{c}]");
            Assert.Equal(dX[r, c], dXs[r, c]);
            var isArgmax = Enumerable.Range(0, 2).SelectMany(i => Enumerable.Range(0, 2).Select(j => X[r / 2 * 2 + i, c / 2 * 2 + j])).Max() == X[r, c];
            Assert.Equal(isArgmax ? G[r / 2, c / 2] : 0, dX[r, c]);
        }
        // ∂/∂G is each window's max.
        for (var r = 0; r < 2; r++)
        for (var c = 0; c < 3; c++)
            Assert.Equal(Math.Max(Math.Max(X[2 * r, 2 * c], X[2 * r, 2 * c + 1]), Math.Max(X[2 * r + 1, 2 * c], X[2 * r + 1, 2 * c + 1])), dG[r, c]);

        // A gradient span of the wrong length is refused, naming it.
        Assert.Contains("dz", Assert.Throws<ArgumentException>(() => ArticleModel.SoftmaxCrossEntropyOfLogitsGradient(z, target, new double[4])).Message);
        Assert.Contains(@"\sum_{i=0}^{n - 1}", ArticleModel.BatchMseDerivation.Partial_w);
    }

    [Fact]
    public void Relu_DerivativeAtZero_IsZero_AsInTheArticle()
    {
        Assert.Equal(0.0, ArticleModel.ReluDerivative(0.0));
        Assert.Equal(0.0, ArticleModel.ReluWithIfDerivative(0.0));
        Assert.Equal(1.0, ArticleModel.ReluDerivative(1e-12));
    }

    [Fact]
    public void Losses_Gradients_MatchFiniteDifferences()
    {
        var random = new Random(11);
        for (var k = 0; k < 20; k++)
        {
            double R() => random.NextDouble() * 4 - 2;
            var (w, b, x, y) = (R(), R(), R(), R());
            ArticleModel.LinearRegressionLossGradient(w, b, x, y, out var dw, out var db);
            Func<double[], double> lin = a => ArticleModel.LinearRegressionLoss(a[0], a[1], x, y);
            AssertClose(Difference(lin, new[] { w, b }, 0), dw, "linear regression ∂w");
            AssertClose(Difference(lin, new[] { w, b }, 1), db, "linear regression ∂b");
            AssertClose(-(y - (w * x + b)) * x, dw, "−(y − ŷ)x");

            var label = random.Next(2);
            ArticleModel.LogisticLossGradient(w, b, x, label, out dw, out db);
            Func<double[], double> log = a => ArticleModel.LogisticLoss(a[0], a[1], x, label);
            AssertClose(Difference(log, new[] { w, b }, 0), dw, "logistic ∂w");
            AssertClose(Difference(log, new[] { w, b }, 1), db, "logistic ∂b");
            AssertClose((ArticleModel.Sigmoid(w * x + b) - label) * x, dw, "(σ − y)x");

            AssertClose(Difference(a => ArticleModel.SquaredError(a[0], y), new[] { w }, 0), ArticleModel.SquaredErrorDerivative(w, y), "MSE");

            var z = new[] { R(), R(), R() };
            var t = new double[3];
            t[random.Next(3)] = 1;
            ArticleModel.SoftmaxCrossEntropyGradient(z[0], z[1], z[2], t[0], t[1], t[2], out var d0, out var d1, out var d2);
            var softmax = z.Select(Math.Exp).ToArray();
            var total = softmax.Sum();
            var grads = new[] { d0, d1, d2 };
            for (var j = 0; j < 3; j++)
            {
                AssertClose(Difference(a => ArticleModel.SoftmaxCrossEntropy(a[0], a[1], a[2], t[0], t[1], t[2]), z, j), grads[j], $"softmax CE ∂z{j}");
                AssertClose(softmax[j] / total - t[j], grads[j], $"softmax(z)_{j} − y_{j}");
            }
        }
    }

    [Fact]
    public void Regularizers_Gradients_AreLambdaSignAndTwoLambdaW()
    {
        ArticleModel.L1Gradient(0.5, -2, 0, 0.1, out var a, out var b, out var c);
        Assert.Equal(new[] { 0.1, -0.1, 0.0 }, new[] { a, b, c });
        ArticleModel.L2Gradient(0.5, -2, 0, 0.1, out a, out b, out c);
        Assert.Equal(new[] { 0.1, -0.4, 0.0 }, new[] { a, b, c }.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void SpanOverload_WritesTheSameGradient_AndRejectsAShortSpan()
    {
        Span<double> g = stackalloc double[2];
        var value = ArticleModel.LogisticLossGradient(0.3, -0.2, 1.5, 1, g);
        var expected = ArticleModel.LogisticLossGradient(0.3, -0.2, 1.5, 1, out var dw, out var db);
        Assert.Equal(expected, value);
        Assert.Equal(dw, g[0]);
        Assert.Equal(db, g[1]);
        var e = Assert.Throws<ArgumentException>(() => ArticleModel.LogisticLossGradient(0.3, -0.2, 1.5, 1, new double[1]));
        Assert.Contains("2 elements (w, b)", e.Message);
    }

    [Fact]
    public void OrderTwo_Hessian_AndHessianVectorProduct_MatchDifferencesOfTheGradient()
    {
        var (a, b) = (-1.2, 1.0);
        Span<double> h = stackalloc double[4];
        ArticleModel.RosenbrockHessian(a, b, h);
        double Grad(int i, double x, double y)
        {
            ArticleModel.RosenbrockGradient(x, y, out var da, out var db);
            return i == 0 ? da : db;
        }
        for (var i = 0; i < 2; i++)
        {
            AssertClose(Difference(p => Grad(i, p[0], p[1]), new[] { a, b }, 0), h[i * 2], $"H[{i},0]");
            AssertClose(Difference(p => Grad(i, p[0], p[1]), new[] { a, b }, 1), h[i * 2 + 1], $"H[{i},1]");
        }
        Assert.Equal(h[1], h[2]);
        Span<double> hv = stackalloc double[2];
        ArticleModel.RosenbrockHessianVectorProduct(a, b, new[] { 0.5, -2.0 }, hv);
        AssertClose(h[0] * 0.5 + h[1] * -2.0, hv[0], "Hv[0]");
        AssertClose(h[2] * 0.5 + h[3] * -2.0, hv[1], "Hv[1]");
    }

    [Fact]
    public void FloatMethods_GetFloatCode()
    {
        float d = ArticleModel.SigmoidFDerivative(0.25f);
        var s = ArticleModel.SigmoidF(0.25f);
        Assert.Equal(s * (1 - s), d, 6);
        Assert.Equal(typeof(float), typeof(ArticleModel).GetMethod(nameof(ArticleModel.SigmoidFDerivative))!.ReturnType);
    }

    [Fact]
    public void Registry_ListsEveryDerivation_AndItsLatexIsTheDocumentOfRecord()
    {
        var all = DerivationRegistry.All;
        var names = all.Select(d => d.Method).ToList();
        foreach (var m in new[] { "Sigmoid", "Tanh", "Relu", "SquaredError", "LinearRegressionLoss", "LogisticLoss", "SoftmaxCrossEntropy", "L1", "L2" })
            Assert.Contains(m, names);
        Assert.Equal(ArticleModel.LogisticLossDerivation.Partial_w, all.Single(d => d.Method == "LogisticLoss" && d.Type.EndsWith(".ArticleModel", StringComparison.Ordinal)).Partials[0].Latex);
        Assert.Equal(@"\frac{\partial f}{\partial w} = \left(\sigma\left(b + w x\right) - y\right) x", ArticleModel.LogisticLossDerivation.Partial_w);

        var doc = new StringBuilder();
        foreach (var d in all)
        {
            doc.Append("% ").Append(d.Type).Append('.').Append(d.Method).Append('\n').Append(d.Formula).Append("\n\n");
            foreach (var p in d.Partials) doc.Append(p.Latex).Append("\n\n");
            foreach (var (p, steps) in d.Partials.Zip(d.Steps)) doc.Append("% steps for ").Append(p.Variable).Append('\n').Append(steps).Append("\n\n");
        }
        Snapshot.Verify("ArticleModel.Derivations", doc.ToString(), "tex");
    }

    private static double Softplus(double u) => Math.Max(u, 0) + Math.Log(1 + Math.Exp(-Math.Abs(u)));
    private static double Sigma(double u) => u >= 0 ? 1 / (1 + Math.Exp(-u)) : Math.Exp(u) / (1 + Math.Exp(u));

    [Theory]
    [InlineData(1000.0, 0.0)]
    [InlineData(1000.0, 1.0)]
    [InlineData(-1000.0, 0.0)]
    [InlineData(-1000.0, 1.0)]
    [InlineData(1e-300, 1.0)]
    [InlineData(-1e-300, 0.0)]
    [InlineData(0.0, 1.0)]
    [InlineData(40.0, 0.0)]
    public void LogisticLoss_WrittenWithLogOfSigma_StaysFiniteAndExact_AtExtremeLogits(double z, double y)
    {
        // −[y log σ(z) + (1 − y) log(1 − σ(z))] as the article writes it: log σ(z) = −softplus(−z) and
        // log(1 − σ(z)) = −softplus(z), so the generated value is y·softplus(−z) + (1 − y)·softplus(z), never log 0.
        var value = ArticleModel.LogisticLossGradient(1.0, 0.0, z, y, out var dw, out var db);
        var exact = y * Softplus(-z) + (1 - y) * Softplus(z);
        Assert.True(double.IsFinite(value) && Math.Abs(value - exact) <= 1e-12 * (1 + Math.Abs(exact)), $"loss at z = {z}, y = {y}: {value}, exact {exact}");
        // ∂L/∂b = σ(z) − y, ∂L/∂w = (σ(z) − y)·x (here x = z).
        Assert.True(Math.Abs(db - (Sigma(z) - y)) <= 1e-12, $"∂L/∂b at z = {z}: {db}");
        Assert.True(double.IsFinite(dw) && Math.Abs(dw - (Sigma(z) - y) * z) <= 1e-12 * (1 + Math.Abs(z)), $"∂L/∂w at z = {z}: {dw}");
        // The source as written overflows to ∞ (log 0) at the large logits: the stable form is what makes the difference.
        if (z >= 1000 && y == 0 || z <= -1000 && y == 1) Assert.False(double.IsFinite(ArticleModel.LogisticLoss(1.0, 0.0, z, y)));
    }

    [Theory]
    [InlineData(1000.0)]
    [InlineData(-1000.0)]
    [InlineData(1e-300)]
    [InlineData(-1e-300)]
    [InlineData(0.0)]
    public void SoftplusDerivative_IsSigma_FiniteEverywhere(double x) =>
        Assert.Equal(Sigma(x), ArticleModel.SoftplusDerivative(x), 15);
}
