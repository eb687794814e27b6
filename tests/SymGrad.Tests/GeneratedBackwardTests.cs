using System;
using SymGrad.Layers;
using SymGrad.Tensors;

namespace SymGrad.Tests;

/// <summary>
/// Layer backward passes written as indexed formulas: a layer's output scored by the upstream gradient Δ,
/// L = Σ Δ ⊙ layer(…), has exactly the layer's backward pass as its gradient. Generated at build time.
/// </summary>
public static partial class LayerFormulas
{
    /// <summary>A dense batch Z = A·W + b (W stored [in × out], as the runtime stores it), scored by Δ.</summary>
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
}

public class GeneratedBackwardTests
{
    [Fact]
    public void GeneratedDenseBackward_AgreesWithTheRuntimeKernels()
    {
        var random = new Random(31);
        var dense = new Dense(5, 3, seed: 32);
        GradientCheck.Random(random, 3).Span.CopyTo(dense.Bias.Value.Span);
        var input = GradientCheck.Random(random, 4, 5);
        var delta = GradientCheck.Random(random, 4, 3);
        dense.Forward(input, training: true);
        var inputGradient = dense.Backward(delta);

        var dW = new Tensor(5, 3);
        var db = new float[3];
        var dA = new Tensor(4, 5);
        LayerFormulas.DenseScoreGradient(dense.Weights.Value.AsReadOnlyMatrix(), dense.Bias.Value.Span, input.AsReadOnlyMatrix(), delta.AsReadOnlyMatrix(),
            dW.AsMatrix(), db, dA.AsMatrix());

        for (var i = 0; i < dW.Length; i++) Assert.Equal(dense.Weights.Gradient.Span[i], dW.Span[i], 5);
        for (var i = 0; i < 3; i++) Assert.Equal(dense.Bias.Gradient.Span[i], db[i], 5);
        for (var i = 0; i < dA.Length; i++) Assert.Equal(inputGradient.Span[i], dA.Span[i], 5);
    }

    [Fact]
    public void MatrixViews_CheckTheirShape()
    {
        Assert.Throws<ArgumentException>(() => new ReadOnlyMatrix<float>(new float[5], 2, 3));
        var m = new Matrix<float>(new float[6], 2, 3);
        m[1, 2] = 4;
        Assert.Equal(4, m.Span[5]);
        Assert.Throws<IndexOutOfRangeException>(() => new ReadOnlyMatrix<float>(new float[6], 2, 3)[2, 0]);
    }
}
