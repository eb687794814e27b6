using System;

namespace SymGrad.Functions;

/// <summary>The article's regularizers Ω(W), per weight; derivatives generated: sign(w) and 2w.</summary>
public static partial class Regularizers
{
    /// <summary>|w|; the L1 penalty is Σ |Wᵢⱼ|. Not differentiable at 0, where the derivative is 0 (sign(0)), as documented:
    /// the generator's SG0008 warning about it is silenced here.</summary>
#pragma warning disable SG0008 // |w| at 0: the derivative 0 there is the convention wanted.
    [Differentiable]
    public static float L1(float w) => MathF.Abs(w);
#pragma warning restore SG0008

    /// <summary>w²; the L2 penalty is Σ Wᵢⱼ².</summary>
    [Differentiable]
    public static float L2(float w) => w * w;
}
