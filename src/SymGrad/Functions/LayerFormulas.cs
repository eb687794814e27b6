using System;

namespace SymGrad.Functions;

/// <summary>
/// Layers written as indexed formulas scored by the upstream gradient Δ: the gradient of L = Σ Δ ⊙ layer(…) with
/// respect to the layer's inputs and parameters is exactly its backward pass, and SymGrad generates it at build time
/// (<c>DenseScoreGradient</c>). <see cref="Layers.Dense"/>, <see cref="Layers.Conv2D"/> and the pooling layers can run
/// their backward passes through them instead of their hand-tuned kernels (<c>UseGeneratedBackward</c>).
/// </summary>
public static partial class LayerFormulas
{
    /// <summary>Σ_s Σ_j Δ_sj (b_j + Σ_i A_si W_ij): a dense batch Z = A·W + b (W stored [in × out]) scored by Δ.</summary>
    [Differentiable(nameof(W), nameof(b), nameof(A))]
    public static float DenseScore(ReadOnlyMatrix<float> W, ReadOnlySpan<float> b, ReadOnlyMatrix<float> A, ReadOnlyMatrix<float> Delta)
    {
        var score = 0f;
        for (var s = 0; s < A.GetLength(0); s++)
            for (var j = 0; j < b.Length; j++)
            {
                var z = b[j];
                for (var i = 0; i < A.GetLength(1); i++) z += A[s, i] * W[i, j];
                score += Delta[s, j] * z;
            }
        return score;
    }

    /// <summary>
    /// Σ Δ[s,m,n,k] (b_k + Σ_{i,j,l} W[i,j,l,k] X[s, m+i, n+j, l]): a stride-1, unpadded NHWC convolution scored by Δ
    /// (the kernel stored [height, width, in, out], as <see cref="Layers.Conv2D"/> stores it).
    /// </summary>
    [Differentiable(nameof(W), nameof(b), nameof(X))]
    public static float Conv2DScore(ReadOnlyTensor4<float> W, ReadOnlySpan<float> b, ReadOnlyTensor4<float> X, ReadOnlyTensor4<float> Delta)
    {
        var score = 0f;
        for (var s = 0; s < Delta.GetLength(0); s++)
            for (var m = 0; m < Delta.GetLength(1); m++)
                for (var n = 0; n < Delta.GetLength(2); n++)
                    for (var k = 0; k < b.Length; k++)
                    {
                        var y = b[k];
                        for (var i = 0; i < W.GetLength(0); i++)
                            for (var j = 0; j < W.GetLength(1); j++)
                                for (var l = 0; l < W.GetLength(2); l++)
                                    y += W[i, j, l, k] * X[s, m + i, n + j, l];
                        score += Delta[s, m, n, k] * y;
                    }
        return score;
    }

    /// <summary>
    /// <see cref="Conv2DScore"/> with a stride: Σ Δ[s,m,n,k] (b_k + Σ_{i,j,l} W[i,j,l,k] X[s, m·stride+i, n·stride+j, l]). Its
    /// generated gradient scatters each Δ back over the window it came from (the stride is int data, read at run time).
    /// </summary>
    [Differentiable(nameof(W), nameof(b), nameof(X))]
    public static float Conv2DStridedScore(ReadOnlyTensor4<float> W, ReadOnlySpan<float> b, ReadOnlyTensor4<float> X, ReadOnlyTensor4<float> Delta, int stride)
    {
        var score = 0f;
        for (var s = 0; s < Delta.GetLength(0); s++)
            for (var m = 0; m < Delta.GetLength(1); m++)
                for (var n = 0; n < Delta.GetLength(2); n++)
                    for (var k = 0; k < b.Length; k++)
                    {
                        var y = b[k];
                        for (var i = 0; i < W.GetLength(0); i++)
                            for (var j = 0; j < W.GetLength(1); j++)
                                for (var l = 0; l < W.GetLength(2); l++)
                                    y += W[i, j, l, k] * X[s, m * stride + i, n * stride + j, l];
                        score += Delta[s, m, n, k] * y;
                    }
        return score;
    }

    /// <summary>
    /// Σ Δ[s,m,n,c] max_{i,j&lt;2} X[s, 2m+i, 2n+j, c]: 2×2 max pooling with stride 2 scored by Δ. Its gradient sends
    /// each Δ to its window's argmax (the first largest, row by row, as <see cref="Layers.MaxPool2D"/> breaks ties).
    /// </summary>
#pragma warning disable SG0008 // ties: the first largest takes Δ, as MaxPool2D's kernel does.
    [Differentiable(nameof(X))]
    public static float MaxPool2x2Score(ReadOnlyTensor4<float> X, ReadOnlyTensor4<float> Delta)
    {
        var score = 0f;
        for (var s = 0; s < Delta.GetLength(0); s++)
            for (var m = 0; m < Delta.GetLength(1); m++)
                for (var n = 0; n < Delta.GetLength(2); n++)
                    for (var c = 0; c < Delta.GetLength(3); c++)
                    {
                        var best = float.NegativeInfinity;
                        for (var i = 0; i < 2; i++)
                            for (var j = 0; j < 2; j++)
                                best = MathF.Max(best, X[s, 2 * m + i, 2 * n + j, c]);
                        score += Delta[s, m, n, c] * best;
                    }
        return score;
    }

#pragma warning restore SG0008

    /// <summary>Σ Δ[s,m,n,c] ¼ Σ_{i,j&lt;2} X[s, 2m+i, 2n+j, c]: 2×2 average pooling with stride 2 scored by Δ.</summary>
    [Differentiable(nameof(X))]
    public static float AvgPool2x2Score(ReadOnlyTensor4<float> X, ReadOnlyTensor4<float> Delta)
    {
        var score = 0f;
        for (var s = 0; s < Delta.GetLength(0); s++)
            for (var m = 0; m < Delta.GetLength(1); m++)
                for (var n = 0; n < Delta.GetLength(2); n++)
                    for (var c = 0; c < Delta.GetLength(3); c++)
                    {
                        var sum = 0f;
                        for (var i = 0; i < 2; i++)
                            for (var j = 0; j < 2; j++)
                                sum += X[s, 2 * m + i, 2 * n + j, c];
                        score += Delta[s, m, n, c] * sum / 4;
                    }
        return score;
    }
}
