using System;

namespace SymGrad.Functions;

/// <summary>
/// The activation functions of the runtime, written as plain functions and differentiated at build time by
/// SymGrad's own generator: <c>SigmoidDerivative</c> is σ(x)(1 − σ(x)), <c>TanhDerivative</c> is 1 − tanh²(x),
/// <c>ReluDerivative</c> is 1 for x &gt; 0 and 0 otherwise (ReLU'(0) = 0), exactly as the article derives them.
/// No derivative in the runtime is written by hand.
/// </summary>
public static partial class Activations
{
    /// <summary>The logistic function σ(x) = 1 / (1 + e^−x).</summary>
    [Differentiable]
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>The hyperbolic tangent.</summary>
    [Differentiable]
    public static float Tanh(float x) => MathF.Tanh(x);

    /// <summary>max(x, 0), written as the article's piecewise definition.</summary>
    [Differentiable]
    public static float Relu(float x) => x > 0 ? x : 0;

    /// <summary>Leaky ReLU with slope 0.01 below zero.</summary>
    [Differentiable]
    public static float LeakyRelu(float x) => x > 0 ? x : 0.01f * x;

    /// <summary>log(1 + e^x), in a form that neither overflows nor loses precision for large |x|.</summary>
    [Differentiable]
    public static float Softplus(float x) => x > 0 ? x + MathF.Log(1f + MathF.Exp(-x)) : MathF.Log(1f + MathF.Exp(x));

    /// <summary>The identity (a linear output layer).</summary>
    [Differentiable]
    public static float Identity(float x) => x;
}
