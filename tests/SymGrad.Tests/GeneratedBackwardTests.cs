using System.Linq;
using System;
using SymGrad.Layers;
using SymGrad.Tensors;

namespace SymGrad.Tests;

/// <summary>
/// The runtime's dense layer written as an indexed formula scored by the upstream gradient (Functions/LayerFormulas):
/// its generated gradient is the layer's backward pass, and must agree with the hand-tuned kernels.
/// </summary>
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
        SymGrad.Functions.LayerFormulas.DenseScoreGradient(dense.Weights.Value.AsReadOnlyMatrix(), dense.Bias.Value.Span, input.AsReadOnlyMatrix(), delta.AsReadOnlyMatrix(),
            dW.AsMatrix(), db, dA.AsMatrix());

        for (var i = 0; i < dW.Length; i++) Assert.Equal(dense.Weights.Gradient.Span[i], dW.Span[i], 5);
        for (var i = 0; i < 3; i++) Assert.Equal(dense.Bias.Gradient.Span[i], db[i], 5);
        for (var i = 0; i < dA.Length; i++) Assert.Equal(inputGradient.Span[i], dA.Span[i], 5);
    }

    [Fact]
    public void DenseLayer_SwitchedToTheGeneratedBackward_TrainsIdentically()
    {
        var random = new Random(33);
        var x = GradientCheck.Random(random, 32, 6);
        var y = GradientCheck.Random(random, 32, 2);
        float[] Train(bool generated)
        {
            var layers = new[] { new Dense(6, 8, seed: 34), new Dense(8, 2, seed: 35) };
            foreach (var l in layers) l.UseGeneratedBackward = generated;
            var network = new SymGrad.Training.Network(layers[0], new Activation<Tanh>(), layers[1]);
            SymGrad.Training.Trainer.Fit(network, new SymGrad.Losses.MeanSquaredError(), new SymGrad.Optimizers.Sgd(0.1f), new SymGrad.Data.Dataset(x, y),
                new SymGrad.Training.TrainingOptions { Epochs = 5, BatchSize = 8, Seed = 36 });
            return network.Parameters.SelectMany(p => p.Value.Span.ToArray()).ToArray();
        }
        var kernels = Train(false);
        var generated = Train(true);
        for (var i = 0; i < kernels.Length; i++) Assert.Equal(kernels[i], generated[i], 4);
    }

    [Fact]
    public void GeneratedConvolutionBackward_AgreesWithIm2ColAndTheKernels()
    {
        Tensor[] Run(bool generated)
        {
            var conv = new Conv2D(2, 3, kernel: 3, seed: 38) { UseGeneratedBackward = generated };
            var r = new Random(40);
            foreach (ref var v in conv.Bias.Value.Span) v = (float)r.NextDouble();
            var x = GradientCheck.Random(r, 2, 6, 5, 2);
            var y = conv.Forward(x, training: true);
            var delta = GradientCheck.Random(r, y.Shape.ToArray());
            var dx = conv.Backward(delta).Clone();
            return new[] { dx, conv.Weights.Gradient.Clone(), conv.Bias.Gradient.Clone() };
        }
        var kernels = Run(false);
        var generated = Run(true);
        for (var t = 0; t < 3; t++)
            for (var i = 0; i < kernels[t].Length; i++) Assert.Equal(kernels[t].Span[i], generated[t].Span[i], 4);
        Assert.Throws<NotSupportedException>(() => new Conv2D(1, 1, 3, stride: 2) { UseGeneratedBackward = true });
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
