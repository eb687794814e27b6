using System;
using SymGrad;

namespace SymGrad.Generators.Tests;

/// <summary>
/// The activations, losses and regularizers of the article, written as a user would write them. Their
/// derivatives are generated at build time by the SymGrad generator this project references as an analyzer.
/// </summary>
public static partial class ArticleModel
{
    private const double Half = 0.5;

    [Differentiable]
    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    [Differentiable]
    public static double Tanh(double x) => Math.Tanh(x);

    [Differentiable]
    public static double Relu(double x) => x > 0 ? x : 0;

    [Differentiable]
    public static double ReluWithIf(double x)
    {
        if (x > 0) return x;
        return 0;
    }

    [Differentiable]
    public static double Softplus(double x) => Math.Log(1 + Math.Exp(x));

    [Differentiable(nameof(yHat))]
    public static double SquaredError(double yHat, double y) => Half * (y - yHat) * (y - yHat);

    [Differentiable(nameof(w), nameof(b))]
    public static double LinearRegressionLoss(double w, double b, double x, double y)
    {
        var yHat = w * x + b;
        return 0.5 * (y - yHat) * (y - yHat);
    }

    [Differentiable(nameof(w), nameof(b))]
    public static double LogisticLoss(double w, double b, double x, double y)
    {
        var p = 1.0 / (1.0 + Math.Exp(-(w * x + b)));
        return -(y * Math.Log(p) + (1 - y) * Math.Log(1 - p));
    }

    [Differentiable(nameof(z0), nameof(z1), nameof(z2))]
    public static double SoftmaxCrossEntropy(double z0, double z1, double z2, [NoDiff] double y0, [NoDiff] double y1, [NoDiff] double y2)
    {
        var m = Math.Max(z0, Math.Max(z1, z2));
        var sum = Math.Exp(z0 - m) + Math.Exp(z1 - m) + Math.Exp(z2 - m);
        var logSum = m + Math.Log(sum);
        return -(y0 * (z0 - logSum) + y1 * (z1 - logSum) + y2 * (z2 - logSum));
    }

    [Differentiable(nameof(w1), nameof(w2), nameof(w3))]
    public static double L1(double w1, double w2, double w3, double lambda) => lambda * (Math.Abs(w1) + Math.Abs(w2) + Math.Abs(w3));

    [Differentiable(nameof(w1), nameof(w2), nameof(w3))]
    public static double L2(double w1, double w2, double w3, double lambda) => lambda * (w1 * w1 + w2 * w2 + w3 * w3);

    [Differentiable(Order = 2)]
    public static double Rosenbrock(double a, double b) => (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a);

    [Differentiable]
    public static float SigmoidF(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>A user activation built on another differentiable method: the chain rule goes through SigmoidDerivative.</summary>
    [Differentiable]
    public static double Swish(double x) => x * Sigmoid(x);

    /// <summary>An opaque function (think: a lookup table or a native call) with a hand-written derivative.</summary>
    public static double Gelu(double x) => 0.5 * x * (1 + Math.Tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));

    [DerivativeOf(nameof(Gelu))]
    public static double GeluSlope(double x)
    {
        var u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
        var t = Math.Tanh(u);
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * 0.7978845608028654 * (1 + 3 * 0.044715 * x * x);
    }

    [Differentiable]
    public static double GeluSquared(double x) => Gelu(x) * Gelu(x);

    [Differentiable(nameof(w), nameof(b))]
    public static double Neuron(double w, double b, double x) => Tanh(w * x + b) + Swish(b);

    /// <summary>Calls a multi-parameter [Differentiable] method: the chain rule goes through its generated partials.</summary>
    [Differentiable(nameof(w), nameof(b))]
    public static double RidgeLoss(double w, double b, double x, double y, double lambda) =>
        LinearRegressionLoss(w, b, x * x, y) + lambda * w * w;

    [Differentiable(Order = 2)]
    public static double SmoothAbs(double x) => Math.Sqrt(x * x + 1);

    /// <summary>Second derivatives through calls: needs the callees' second derivatives (they are Order = 2 too).</summary>
    [Differentiable(Order = 2)]
    public static double ThroughSecondOrderCalls(double x, double y) => SmoothAbs(Math.Tanh(x)) * y + 2 * Rosenbrock(x, y * y);

    // ---- Indexed sums over spans and arrays (issue 5) ----

    /// <summary>The article's batch MSE, L = 1/(2n) Σ (y_i − (w x_i + b))², as a loop over spans.</summary>
    [Differentiable(nameof(w), nameof(b))]
    public static double BatchMse(double w, double b, ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            var residual = y[i] - (w * x[i] + b);
            sum += residual * residual;
        }
        return sum / (2 * x.Length);
    }

    /// <summary>Softmax cross-entropy of logits z (gradient: softmax(z) − y), with Sym.Sum over arrays.</summary>
    [Differentiable(nameof(z))]
    public static double SoftmaxCrossEntropyOfLogits(double[] z, double[] y) =>
        Math.Log(Sym.Sum(z.Length, j => Math.Exp(z[j]))) - Sym.Sum(z.Length, j => y[j] * z[j]);

    /// <summary>
    /// The same loss computed stably: the log-sum-exp shifted by the largest logit (the loss does not depend on the
    /// shift, and neither does its gradient: the argmax terms cancel), so logits of 1000 neither overflow nor NaN.
    /// </summary>
    [Differentiable(nameof(z))]
    public static double StableSoftmaxCrossEntropyOfLogits(double[] z, double[] y)
    {
        var shift = Sym.Max(z.Length, j => z[j]);
        return Math.Log(Sym.Sum(z.Length, j => Math.Exp(z[j] - shift))) + shift - Sym.Sum(z.Length, j => y[j] * z[j]);
    }

    /// <summary>The L2 penalty Σ w_i² (gradient 2w).</summary>
    [Differentiable]
    public static double L2Penalty(double[] w) => Sym.Sum(w.Length, i => w[i] * w[i]);

    /// <summary>2×2 max pooling scored by G, as a loop: the gradient goes to each window's argmax (the article's rule).</summary>
    [Differentiable]
    public static double MaxPoolScore(double[,] X, double[,] G)
    {
        var score = 0.0;
        for (var m = 0; m < G.GetLength(0); m++)
            for (var n = 0; n < G.GetLength(1); n++)
            {
                var best = double.NegativeInfinity;
                for (var i = 0; i < 2; i++)
                    for (var j = 0; j < 2; j++)
                        best = Math.Max(best, X[2 * m + i, 2 * n + j]);
                score += G[m, n] * best;
            }
        return score;
    }

    /// <summary>The same with Sym.Max over arrays.</summary>
    [Differentiable(nameof(X))]
    public static double MaxPoolScoreSym(double[,] X, double[,] G) =>
        Sym.Sum(G.GetLength(0), m => Sym.Sum(G.GetLength(1), n => G[m, n] * Sym.Max(2, i => Sym.Max(2, j => X[2 * m + i, 2 * n + j]))));

    /// <summary>A dense tanh layer scored by c: L = Σ_j c_j tanh(Σ_i W_ji a_i + b_j); its gradient is the δ rule.</summary>
    [Differentiable(nameof(W), nameof(bias), nameof(a))]
    public static double DenseTanh(double[,] W, ReadOnlySpan<double> a, ReadOnlySpan<double> bias, ReadOnlySpan<double> c)
    {
        var loss = 0.0;
        for (var j = 0; j < bias.Length; j++)
        {
            var z = bias[j];
            for (var i = 0; i < a.Length; i++) z += W[j, i] * a[i];
            loss += c[j] * Math.Tanh(z);
        }
        return loss;
    }
}
