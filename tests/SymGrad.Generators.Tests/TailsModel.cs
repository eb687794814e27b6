using System;
using SymGrad;

namespace SymGrad.Generators.Tests;

/// <summary>
/// Activations and losses written as users write them, whose generated members the tail-accuracy suite checks
/// against <see cref="BigFloat"/> references where the textbook forms lose every digit (1 − tanh², 1 + tanh, log(1 + e^u)).
/// </summary>
public static partial class TailsModel
{
    public const double C = 0.7978845608028654, A = 0.044715;

    [Differentiable]
    public static double Softplus(double x) => Math.Log(1 + Math.Exp(x));

    [Differentiable(nameof(z))]
    public static double LogisticLoss(double z, double y)
    {
        var p = 1 / (1 + Math.Exp(-z));
        return -(y * Math.Log(p) + (1 - y) * Math.Log(1 - p));
    }

    [Differentiable(Order = 2)]
    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Differentiable(Order = 2)]
    public static double Tanh(double x) => Math.Tanh(x);

    [Differentiable(Order = 2)]
    public static double Gelu(double x) => 0.5 * x * (1 + Math.Tanh(C * (x + A * x * x * x)));

    [Differentiable]
    public static double Mish(double x) => x * Math.Tanh(Math.Log(1 + Math.Exp(x)));

    [Differentiable]
    public static float SoftplusF(float x) => MathF.Log(1 + MathF.Exp(x));

    [Differentiable(Order = 2)]
    public static float TanhF(float x) => MathF.Tanh(x);

    [Differentiable]
    public static float MishF(float x) => x * MathF.Tanh(MathF.Log(1 + MathF.Exp(x)));

    [Differentiable(Order = 2)]
    public static float GeluF(float x) => 0.5f * x * (1 + MathF.Tanh(0.7978846f * (x + 0.044715f * x * x * x)));
}
