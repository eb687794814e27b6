using System;


namespace SymGrad.Torch.Tests;

/// <summary>Element-wise functions a user would write, as tensor functions: activations, losses, a conditional, two tensors.</summary>
public static partial class TorchModel
{
    /// <summary>GELU, tanh form.</summary>
    [Differentiable, TorchFunction]
    public static float Gelu(float x) => 0.5f * x * (1f + MathF.Tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));

    /// <summary>Mish: x · tanh(softplus x), softplus written out.</summary>
    [Differentiable, TorchFunction]
    public static float Mish(float x) => x * MathF.Tanh(MathF.Log(1f + MathF.Exp(x)));

    /// <summary>Binary focal loss of a probability p against a target y, focusing γ.</summary>
    [Differentiable("p"), TorchFunction("gamma")]
    public static float Focal(float p, float y, float gamma) =>
        -y * MathF.Pow(1f - p, gamma) * MathF.Log(p) - (1f - y) * MathF.Pow(p, gamma) * MathF.Log(1f - p);

    /// <summary>log-cosh of the error, cosh written out.</summary>
    [Differentiable("p"), TorchFunction]
    public static float LogCosh(float p, float y) => MathF.Log((MathF.Exp(p - y) + MathF.Exp(y - p)) / 2f);

    /// <summary>Leaky ReLU as a conditional.</summary>
    [Differentiable, TorchFunction]
    public static float Leaky(float x) => x > 0f ? x : 0.01f * x;

    /// <summary>C#'s int rules in a formula: 1 / 2 is 0, 3 / 2 is 1, 7 % 4 is 3.</summary>
    [Differentiable, TorchFunction]
    public static double IntRules(double x) => 1 / 2 * x + 3 / 2 * x * x + 7 % 4 * Math.Sin(x);

    /// <summary>Two tensors, both differentiated, a max and a square root.</summary>
    [Differentiable, TorchFunction]
    public static double Smooth(double a, double b) => Math.Max(a, b) + Math.Sqrt(a * a + 1) * Math.Exp(-b);
}

/// <summary>Losses over vectors: the loops are reductions along the last axis of the tensors.</summary>
public static partial class VectorModel
{
    /// <summary>The mean log-cosh error of a prediction vector against a target vector.</summary>
    [Differentiable("p"), TorchFunction]
    public static float MeanLogCosh(ReadOnlySpan<float> p, ReadOnlySpan<float> y)
    {
        var s = 0f;
        for (var i = 0; i < p.Length; i++) s += MathF.Log((MathF.Exp(p[i] - y[i]) + MathF.Exp(y[i] - p[i])) / 2f);
        return s / p.Length;
    }

    /// <summary>Softmax cross-entropy of logits z against a probability vector y (SymGrad computes the log-sum-exp stably).</summary>
    [Differentiable("z"), TorchFunction]
    public static double SoftmaxCrossEntropy(ReadOnlySpan<double> z, ReadOnlySpan<double> y)
    {
        var s = 0.0;
        for (var i = 0; i < z.Length; i++) s += Math.Exp(z[i]);
        var loss = 0.0;
        for (var i = 0; i < z.Length; i++) loss += y[i] * (Math.Log(s) - z[i]);
        return loss;
    }

    /// <summary>A temperature-scaled log-sum-exp: a number and a vector, both differentiated.</summary>
    [Differentiable, TorchFunction]
    public static double SoftMax(double t, ReadOnlySpan<double> x)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++) s += Math.Exp(x[i] / t);
        return t * Math.Log(s);
    }
}
