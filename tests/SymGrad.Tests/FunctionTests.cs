using System;
using System.Linq;
using SymGrad.Tensors;
using SymGrad.Functions;

namespace SymGrad.Tests;

/// <summary>The runtime's generated derivatives against finite differences (in double, around the float functions).</summary>
public class FunctionTests
{
    private static readonly float[] Points = { -30f, -4.5f, -1.3f, -0.2f, 0.05f, 0.7f, 2.5f, 30f };

    public static TheoryData<string> Activations => new() { "Sigmoid", "Tanh", "Relu", "LeakyRelu", "Softplus", "Identity" };

    private static (Func<float, float> F, Func<float, float> D) Activation(string name) => name switch
    {
        "Sigmoid" => (Functions.Activations.Sigmoid, Functions.Activations.SigmoidDerivative),
        "Tanh" => (Functions.Activations.Tanh, Functions.Activations.TanhDerivative),
        "Relu" => (Functions.Activations.Relu, Functions.Activations.ReluDerivative),
        "LeakyRelu" => (Functions.Activations.LeakyRelu, Functions.Activations.LeakyReluDerivative),
        "Softplus" => (Functions.Activations.Softplus, Functions.Activations.SoftplusDerivative),
        _ => (Functions.Activations.Identity, Functions.Activations.IdentityDerivative),
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void ActivationDerivatives_MatchFiniteDifferences(string name)
    {
        var (f, d) = Activation(name);
        foreach (var x in Points) AssertDerivative(f, d(x), x, name);
    }

    [Fact]
    public void ArticleForms_SigmoidTanhRelu()
    {
        foreach (var x in Points)
        {
            var s = Functions.Activations.Sigmoid(x);
            Assert.Equal(s * (1 - s), Functions.Activations.SigmoidDerivative(x), 6);
            // tanh′ = 1 − tanh² = sech², computed without the cancellation 1 − tanh² suffers in float: relative to the exact value.
            var sech2 = 1 / (Math.Cosh(x) * Math.Cosh(x));
            Assert.True(Math.Abs(Functions.Activations.TanhDerivative(x) - sech2) <= 2e-6 * sech2 + 1e-38, $"tanh′({x}) = {Functions.Activations.TanhDerivative(x)}, exact {sech2}");
        }
        Assert.Equal(0f, Functions.Activations.ReluDerivative(0f));
        Assert.Equal(1f, Functions.Activations.ReluDerivative(1e-6f));
        // Softplus neither overflows nor loses its slope at the extremes.
        Assert.Equal(1000f, Functions.Activations.Softplus(1000f));
        Assert.Equal(1f, Functions.Activations.SoftplusDerivative(1000f));
        Assert.Equal(0f, Functions.Activations.SoftplusDerivative(-1000f));
    }

    [Fact]
    public void LossFunctionDerivatives_MatchFiniteDifferences()
    {
        foreach (var y in new[] { 0f, 0.3f, 1f })
        foreach (var z in Points)
        {
            if (Math.Abs(z) < 20) AssertDerivative(p => LossFunctions.SquaredError(p, y), LossFunctions.SquaredErrorDerivative(z, y), z, "squared error");
            AssertDerivative(p => LossFunctions.BinaryCrossEntropyWithLogits(p, y), LossFunctions.BinaryCrossEntropyWithLogitsDerivative(z, y), z, "bce(logits)");
            // σ(z) − y, at z = 0 too.
            Assert.Equal(1 / (1 + Math.Exp(-z)) - y, LossFunctions.BinaryCrossEntropyWithLogitsDerivative(z, y), 5);
        }
        Assert.Equal(0.5f - 1f, LossFunctions.BinaryCrossEntropyWithLogitsDerivative(0f, 1f));
        Assert.True(float.IsFinite(LossFunctions.BinaryCrossEntropyWithLogits(1000f, 0f)));
        Assert.True(float.IsFinite(LossFunctions.BinaryCrossEntropyWithLogits(-1000f, 1f)));
        foreach (var p in new[] { 0.1f, 0.5f, 0.9f })
            AssertDerivative(q => LossFunctions.BinaryCrossEntropy(q, 0.3f), LossFunctions.BinaryCrossEntropyDerivative(p, 0.3f), p, "bce", 1e-4);
    }

    [Fact]
    public void RegularizerDerivatives_AreSignAndTwoW()
    {
        foreach (var w in Points)
        {
            Assert.Equal(MathF.Sign(w), Regularizers.L1Derivative(w));
            Assert.Equal(2 * w, Regularizers.L2Derivative(w));
        }
        Assert.Equal(0f, Regularizers.L1Derivative(0f));
    }

    private static void AssertDerivative(Func<float, float> f, float analytic, float x, string what, double h = 1e-3)
    {
        var numeric = ((double)f((float)(x + h)) - f((float)(x - h))) / (2 * h);
        if (what.Contains("Relu") && Math.Abs(x) < h) return;
        Assert.True(Math.Abs(numeric - analytic) <= 2e-2 * Math.Max(1, Math.Abs(numeric)), $"{what}'({x}) = {analytic}, finite difference {numeric}");
    }

    [Theory]
    [InlineData(1000f)]
    [InlineData(-1000f)]
    [InlineData(1e-30f)]
    [InlineData(-1e-30f)]
    [InlineData(0f)]
    public void LogitLosses_AtExtremeLogits_AreFinite_WithFiniteExactGradients(float logit)
    {
        // Softmax cross-entropy over three classes with logits (logit, −logit, 0) and a one-hot target on the first:
        // the loss is log Σ e^z − z₀ (finite), the gradient softmax − y (every entry in [−1, 1]).
        var z = new DenseTensor(new[] { logit, -logit, 0f }, 1, 3);
        var y = new DenseTensor(new[] { 1f, 0f, 0f }, 1, 3);
        var loss = new SymGrad.Losses.SoftmaxCrossEntropy();
        var value = loss.Forward(z, y);
        double[] zs = { logit, -logit, 0 };
        var m = zs.Max();
        var logSum = m + Math.Log(zs.Sum(v => Math.Exp(v - m)));
        Assert.True(float.IsFinite(value) && Math.Abs(value - (logSum - logit)) <= 1e-4 * (1 + Math.Abs(logSum - logit)), $"softmax CE at {logit}: {value}");
        var g = loss.Gradient(z, y).Span.ToArray();
        for (var k = 0; k < 3; k++)
            Assert.True(float.IsFinite(g[k]) && Math.Abs(g[k] - (Math.Exp(zs[k] - logSum) - (k == 0 ? 1 : 0))) <= 1e-5, $"∂/∂z{k} at {logit}: {g[k]}");
        // Binary cross-entropy on the logit, both targets: softplus forms, gradient σ(z) − y.
        foreach (var target in new[] { 0f, 1f })
        {
            var b = LossFunctions.BinaryCrossEntropyWithLogits(logit, target);
            var exact = (1 - target) * Math.Max(logit, 0) + target * Math.Max(-logit, 0) + Math.Log(1 + Math.Exp(-Math.Abs(logit)));
            Assert.True(float.IsFinite(b) && Math.Abs(b - exact) <= 1e-4 * (1 + exact), $"BCE({logit}, {target}) = {b}, exact {exact}");
            var d = LossFunctions.BinaryCrossEntropyWithLogitsDerivative(logit, target);
            Assert.True(float.IsFinite(d) && Math.Abs(d - (1 / (1 + Math.Exp(-(double)logit)) - target)) <= 1e-6, $"BCE′({logit}, {target}) = {d}");
        }
    }
}
