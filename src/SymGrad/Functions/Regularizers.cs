using System;

namespace SymGrad.Functions;

/// <summary>The article's regularizers Ω(W), per weight; derivatives generated: sign(w) and 2w.</summary>
public static partial class Regularizers
{
    /// <summary>|w|; the L1 penalty is Σ |Wᵢⱼ|. Not differentiable at 0, where the derivative is 0 (sign(0)), as documented
    /// (SG0008 is silenced in SymGrad.csproj).</summary>
    [Differentiable]
    public static float L1(float w) => MathF.Abs(w);

    /// <summary>w²; the L2 penalty is Σ Wᵢⱼ².</summary>
    [Differentiable]
    public static float L2(float w) => w * w;
}
