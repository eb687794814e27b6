using System;
using SymGrad;
using SymGrad.Torch;

namespace TorchSharpModel;

/// <summary>The model's activation and loss, written as ordinary C# and differentiated by SymGrad at build time.</summary>
public static partial class Functions
{
    /// <summary>Swish (SiLU): x·σ(x), written out. SymGrad generates Swish(Tensor), SwishFunction and SwishModule().</summary>
    [Differentiable, TorchFunction]
    public static float Swish(float x) => x / (1f + MathF.Exp(-x));

    /// <summary>
    /// Binary focal loss on a logit z for a target y ∈ {0, 1}: the probability p = σ(z), and −(1 − p_t)^γ log p_t with p_t
    /// the probability of the true class, written for both classes at once. γ is a plain double (a scalar of the function).
    /// </summary>
    [Differentiable("z"), TorchFunction("gamma")]
    public static float FocalWithLogits(float z, float y, float gamma)
    {
        var p = 1f / (1f + MathF.Exp(-z));
        return -y * MathF.Pow(1f - p, gamma) * MathF.Log(p) - (1f - y) * MathF.Pow(p, gamma) * MathF.Log(1f - p);
    }
}
