using System;

namespace SymGrad.Functions;

/// <summary>
/// Per-element losses, differentiated at build time with respect to the prediction. The batch losses in
/// <c>SymGrad.Losses</c> average these and call their generated derivatives.
/// </summary>
public static partial class LossFunctions
{
    /// <summary>½(ŷ − y)²: the mean of it is the article's MSE, L = 1/(2n) Σ (yᵢ − ŷᵢ)².</summary>
    [Differentiable(nameof(prediction))]
    public static float SquaredError(float prediction, float target) => 0.5f * (prediction - target) * (prediction - target);

    /// <summary>−[y log p + (1 − y) log(1 − p)] for a probability p.</summary>
    [Differentiable(nameof(probability))]
    public static float BinaryCrossEntropy(float probability, float target) =>
        -(target * MathF.Log(probability) + (1f - target) * MathF.Log(1f - probability));

    /// <summary>
    /// Binary cross-entropy of σ(z) for a logit z, softplus(z) − y z, written so that neither branch overflows; its
    /// derivative is σ(z) − y (at z = 0 as well: each branch is smooth there).
    /// </summary>
    [Differentiable(nameof(logit))]
    public static float BinaryCrossEntropyWithLogits(float logit, float target) =>
        logit >= 0 ? logit * (1f - target) + MathF.Log(1f + MathF.Exp(-logit)) : MathF.Log(1f + MathF.Exp(logit)) - logit * target;

    // Softmax cross-entropy L(z) = log Σⱼ e^(zⱼ − m) + m − Σⱼ yⱼ zⱼ, for the class logits z and the shift m = maxⱼ zⱼ
    // (the loss does not depend on m). Its parts, differentiated here; SoftmaxCrossEntropy chains them.

    /// <summary>The log of the normaliser: log s.</summary>
    [Differentiable(nameof(sum))]
    public static float LogOfSum(float sum) => MathF.Log(sum);

    /// <summary>One term of the normaliser: e^u for a shifted logit u = z − m.</summary>
    [Differentiable(nameof(shifted))]
    public static float ExpTerm(float shifted) => MathF.Exp(shifted);

    /// <summary>The target's share: −y z (given the shifted logit z − m, it is −y (z − m), and its derivative the same −y).</summary>
    [Differentiable(nameof(logit))]
    public static float TargetTerm(float logit, float target) => -target * logit;
}
