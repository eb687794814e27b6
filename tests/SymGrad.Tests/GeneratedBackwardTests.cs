using System.Linq;
using System;
using SymGrad.Layers;
using SymGrad.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

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

        var dW = new DenseTensor(5, 3);
        var db = new float[3];
        var dA = new DenseTensor(4, 5);
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

    [Theory]
    [InlineData(2, 6, 5, 2, 3)]
    [InlineData(7, 40, 40, 8, 16)]   // the input gradient's products over several chunks of images (the workspace holds three)
    [InlineData(3, 9, 12, 1, 8)]     // one input channel: every kernel row's ∂L/∂W in one grouped product, nine rows in registers
    [InlineData(2, 6, 5, 2, 3, 1)]   // padding: the formula on a zero-padded copy, the input gradient its interior
    [InlineData(3, 9, 12, 1, 8, 2)]
    [InlineData(2, 7, 8, 2, 3, 0, 2)]   // strides: the strided formula's scatter (issue 15)
    [InlineData(2, 9, 10, 3, 4, 1, 2)]
    [InlineData(1, 11, 9, 2, 2, 2, 3)]
    public void GeneratedConvolutionBackward_AgreesWithIm2ColAndTheKernels(int batch, int height, int width, int cin, int cout, int padding = 0, int stride = 1)
    {
        DenseTensor x = null!, delta = null!;
        DenseTensor[] Run(bool generated)
        {
            var conv = new Conv2D(cin, cout, kernel: 3, stride: stride, padding: padding, seed: 38) { UseGeneratedBackward = generated };
            var r = new Random(40);
            foreach (ref var v in conv.Bias.Value.Span) v = (float)r.NextDouble();
            x = GradientCheck.Random(r, batch, height, width, cin);
            var y = conv.Forward(x, training: true);
            delta = GradientCheck.Random(r, y.Shape.ToArray());
            var dx = conv.Backward(delta).Clone();
            return new[] { dx, conv.Weights.Gradient.Clone(), conv.Bias.Gradient.Clone() };
        }
        var kernels = Run(false);
        var generated = Run(true);
        // ∂L/∂W in double, the reference for both (each sums batch·height·width float products in its own order).
        var dw = new double[3, 3, cin, cout];
        for (var s = 0; s < batch; s++)
        for (var m = 0; m < (height + 2 * padding - 3) / stride + 1; m++)
        for (var n = 0; n < (width + 2 * padding - 3) / stride + 1; n++)
        for (var i = 0; i < 3; i++)
        for (var j = 0; j < 3; j++)
        for (var l = 0; l < cin; l++)
        for (var k = 0; k < cout; k++)
        {
            int u = m * stride + i - padding, v = n * stride + j - padding;
            if (u >= 0 && u < height && v >= 0 && v < width) dw[i, j, l, k] += (double)x[s, u, v, l] * delta[s, m, n, k];
        }
        var at = 0;
        foreach (var expected in dw)
        {
            Assert.True(Math.Abs(expected - kernels[1].Span[at]) <= 1e-5 * (1 + Math.Abs(expected)) * Math.Sqrt(batch * height * width), $"kernels ∂L/∂W[{at}]: {kernels[1].Span[at]}, exact {expected}");
            Assert.True(Math.Abs(expected - generated[1].Span[at]) <= 1e-5 * (1 + Math.Abs(expected)) * Math.Sqrt(batch * height * width), $"generated ∂L/∂W[{at}]: {generated[1].Span[at]}, exact {expected}");
            at++;
        }
        foreach (var t in new[] { 0, 2 })
            for (var i = 0; i < kernels[t].Length; i++) Assert.Equal(kernels[t].Span[i], generated[t].Span[i], 4);
        Assert.Equal(x.Shape.ToArray(), generated[0].Shape.ToArray());
    }

    [Fact]
    public void GeneratedConvolutionGradient_WithΔWiderThanTheImageAllows_Throws_InsteadOfReadingTheNextRow()
    {
        // Δ is 4 wide where a 5-wide image and a 3-wide kernel give 3 columns (and 2 of the 4 rows high, so a block of
        // rows would still end inside X): the score's X[s, m + i, n + j, l] is
        // outside X. The gradient's grouped product (a block spanning image rows) would read the next row's first
        // column instead; it must not be taken, and the loops' indexers say where the index is out of range.
        var r = new Random(5);
        var (w, b, x, delta) = (GradientCheck.Random(r, 3, 3, 1, 8), GradientCheck.Random(r, 8), GradientCheck.Random(r, 2, 6, 5, 1), GradientCheck.Random(r, 2, 2, 4, 8));
        Assert.Throws<IndexOutOfRangeException>(() => SymGrad.Functions.LayerFormulas.Conv2DScore(w.AsReadOnlyTensor4(), b.Span, x.AsReadOnlyTensor4(), delta.AsReadOnlyTensor4()));
        var gw = new DenseTensor(3, 3, 1, 8);
        Assert.Throws<IndexOutOfRangeException>(() => SymGrad.Functions.LayerFormulas.Conv2DScoreAccumulateGradient(w.AsReadOnlyTensor4(), b.Span, x.AsReadOnlyTensor4(), delta.AsReadOnlyTensor4(), gw.AsTensor4(), default, default));
    }

    [Theory]
    [InlineData(2, 6, 5, 2, 3, 3, 3, 3, 4, 3, 3)]   // shapes as the layer makes them: row-block products
    [InlineData(1, 7, 4, 3, 2, 2, 4, 3, 3, 2, 5)]   // W wider than b, Δ wider than W and smaller than the valid output: loops
    [InlineData(3, 4, 4, 1, 4, 4, 2, 2, 1, 1, 2)]   // kernel as large as the image
    public void GeneratedConvolutionGradient_IsTheScoresExactDerivative(int batch, int height, int width, int cin, int kh, int kw, int wOut, int bias, int dh, int dw, int dc)
    {
        // Σ Δ·conv is linear in W, in b and in X, so its derivative along a one-hot direction is the score at that
        // direction: an exact reference for every entry of the gradient, whichever path (products or loops) it took.
        var r = new Random(height * 31 + wOut);
        var w = GradientCheck.Random(r, kh, kw, cin, wOut);
        var b = GradientCheck.Random(r, bias);
        var x = GradientCheck.Random(r, batch, height, width, cin);
        var delta = GradientCheck.Random(r, batch, dh, dw, dc);
        var (gw, gb, gx) = (new DenseTensor(w.Shape.ToArray()), new DenseTensor(b.Shape.ToArray()), new DenseTensor(x.Shape.ToArray()));
        // Accumulating onto ones (what a backward pass does) adds exactly the gradient; writing replaces what was there.
        foreach (var g in new[] { gw, gb, gx }) g.Span.Fill(1);
        SymGrad.Functions.LayerFormulas.Conv2DScoreAccumulateGradient(w.AsReadOnlyTensor4(), b.Span, x.AsReadOnlyTensor4(), delta.AsReadOnlyTensor4(), gw.AsTensor4(), gb.Span, gx.AsTensor4());
        foreach (var g in new[] { gw, gb, gx }) TensorPrimitives.Add(g.Span, -1f, g.Span);
        var (ww, wb, wx) = (new DenseTensor(w.Shape.ToArray()), new DenseTensor(b.Shape.ToArray()), new DenseTensor(x.Shape.ToArray()));
        foreach (var g in new[] { ww, wb, wx }) g.Span.Fill(7);
        SymGrad.Functions.LayerFormulas.Conv2DScoreGradient(w.AsReadOnlyTensor4(), b.Span, x.AsReadOnlyTensor4(), delta.AsReadOnlyTensor4(), ww.AsTensor4(), wb.Span, wx.AsTensor4());

        float Score(DenseTensor ww, DenseTensor bb, DenseTensor xx) => SymGrad.Functions.LayerFormulas.Conv2DScore(ww.AsReadOnlyTensor4(), bb.Span, xx.AsReadOnlyTensor4(), delta.AsReadOnlyTensor4());
        var (zeroW, zeroB, zeroX) = (new DenseTensor(w.Shape.ToArray()), new DenseTensor(b.Shape.ToArray()), new DenseTensor(x.Shape.ToArray()));
        foreach (var (value, gradient, reference) in new (DenseTensor, DenseTensor, Func<DenseTensor, float>)[]
                 { (w, gw, e => Score(e, zeroB, x)), (b, gb, e => Score(zeroW, e, zeroX)), (x, gx, e => Score(w, zeroB, e)) })
        {
            var direction = new DenseTensor(value.Shape.ToArray());
            for (var i = 0; i < value.Length; i++)
            {
                direction.Span.Clear();
                direction.Span[i] = 1;
                Assert.Equal(reference(direction), gradient.Span[i], 4);
            }
        }
        for (var i = 0; i < gw.Length; i++) Assert.Equal(gw.Span[i], ww.Span[i], 4);
        for (var i = 0; i < gb.Length; i++) Assert.Equal(gb.Span[i], wb.Span[i], 4);
        for (var i = 0; i < gx.Length; i++) Assert.Equal(gx.Span[i], wx.Span[i], 4);

        // An empty (default) output is a gradient not wanted: skipped, the others unchanged.
        var (sw, sb) = (new DenseTensor(w.Shape.ToArray()), new DenseTensor(b.Shape.ToArray()));
        SymGrad.Functions.LayerFormulas.Conv2DScoreAccumulateGradient(w.AsReadOnlyTensor4(), b.Span, x.AsReadOnlyTensor4(), delta.AsReadOnlyTensor4(), sw.AsTensor4(), sb.Span, default);
        for (var i = 0; i < gw.Length; i++) Assert.Equal(gw.Span[i], sw.Span[i], 4);
        for (var i = 0; i < gb.Length; i++) Assert.Equal(gb.Span[i], sb.Span[i], 4);
        Assert.Throws<ArgumentException>(() => SymGrad.Functions.LayerFormulas.Conv2DScoreAccumulateGradient(w.AsReadOnlyTensor4(), b.Span, x.AsReadOnlyTensor4(), delta.AsReadOnlyTensor4(),
            sw.AsTensor4(), sb.Span, new DenseTensor(1, 1, 1, 1).AsTensor4()));
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 3)]
    [InlineData(false, 19)]   // vectors of channels, then a scalar tail
    [InlineData(true, 19)]
    public void GeneratedPoolingBackward_AgreesWithTheKernels_TiesIncluded(bool average, int channels)
    {
        DenseTensor[] Run(bool generated)
        {
            Pool2D pool = average ? new AvgPool2D(2) : new MaxPool2D(2);
            pool.UseGeneratedBackward = generated;
            var r = new Random(41);
            // Odd sizes (a last row and column no window covers) and ReLU-like zeros (ties inside windows).
            var x = GradientCheck.Random(r, 2, 7, 6, channels);
            foreach (ref var v in x.Span) v = MathF.Max(0, v);
            var y = pool.Forward(x, training: true).Clone();
            var delta = GradientCheck.Random(r, y.Shape.ToArray());
            return new[] { y, pool.Backward(delta).Clone() };
        }
        var kernels = Run(false);
        var generated = Run(true);
        for (var t = 0; t < 2; t++)
            for (var i = 0; i < kernels[t].Length; i++) Assert.Equal(kernels[t].Span[i], generated[t].Span[i]);
        Assert.Throws<NotSupportedException>(() => new MaxPool2D(3) { UseGeneratedBackward = true });
        Assert.Throws<NotSupportedException>(() => new AvgPool2D(2, stride: 1) { UseGeneratedBackward = true });
    }

    [Fact]
    public void GeneratedPoolingGradients_WithΔWiderThanX_Throw_InsteadOfReadingTheNextPosition()
    {
        // Δ with 16 channels over an X of 8: the score's X[…, c] is outside X from c = 8. A vector of channels read from
        // X's run at c = 8 would take the next position's channels instead; the vector loop is skipped for such shapes
        // and the scalar loop's indexers report the index.
        var r = new Random(9);
        var x = GradientCheck.Random(r, 2, 4, 4, 8);
        var delta = GradientCheck.Random(r, 2, 2, 2, 16);
        var dx = new DenseTensor(x.Shape.ToArray());
        Assert.Throws<IndexOutOfRangeException>(() => SymGrad.Functions.LayerFormulas.MaxPool2x2Score(x.AsReadOnlyTensor4(), delta.AsReadOnlyTensor4()));
        Assert.Throws<IndexOutOfRangeException>(() => SymGrad.Functions.LayerFormulas.MaxPool2x2ScoreAccumulateGradient(x.AsReadOnlyTensor4(), delta.AsReadOnlyTensor4(), dx.AsTensor4()));
        Assert.Throws<IndexOutOfRangeException>(() => SymGrad.Functions.LayerFormulas.AvgPool2x2ScoreAccumulateGradient(x.AsReadOnlyTensor4(), delta.AsReadOnlyTensor4(), dx.AsTensor4()));
    }

    [Fact]
    public void GeneratedMaxPoolBackward_VectorLanesAndScalarTail_AgreeOnNaNSignedZerosAndTies()
    {
        // Channel k runs in a vector, channel w + k in the scalar tail (w = Vector<float>.Count): the same windows in both
        // must send Δ to the same place, bit for bit, whatever the values (NaN, ±0, ±∞, ties).
        var w = System.Numerics.Vector<float>.Count;
        var channels = 2 * w - 1;
        var special = new[] { float.NaN, 0f, -0f, 1f, 1f, 2f, float.PositiveInfinity, float.NegativeInfinity, -1f };
        var r = new Random(8);
        var x = new DenseTensor(3, 6, 6, channels);
        var delta = new DenseTensor(3, 3, 3, channels);
        for (var at = 0; at < x.Length; at += channels)
            for (var k = 0; k < w - 1; k++) x.Span[at + k] = x.Span[at + w + k] = special[r.Next(special.Length)];
        for (var at = 0; at < delta.Length; at += channels)
            for (var k = 0; k < w - 1; k++) delta.Span[at + k] = delta.Span[at + w + k] = (float)r.NextDouble();
        var dx = new DenseTensor(x.Shape.ToArray());
        SymGrad.Functions.LayerFormulas.MaxPool2x2ScoreAccumulateGradient(x.AsReadOnlyTensor4(), delta.AsReadOnlyTensor4(), dx.AsTensor4());
        var sent = 0;
        for (var at = 0; at < dx.Length; at += channels)
            for (var k = 0; k < w - 1; k++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(dx.Span[at + w + k]), BitConverter.SingleToInt32Bits(dx.Span[at + k]));
                if (dx.Span[at + k] != 0) sent++;
            }
        // Every window sent its Δ somewhere (27 windows per lane).
        Assert.Equal(27 * (w - 1), sent);
    }

    [Fact]
    public void SmallCnn_WithEveryBackwardGenerated_TrainsLikeTheKernels()
    {
        var random = new Random(42);
        var x = GradientCheck.Random(random, 24, 8, 8, 1);
        var labels = new DenseTensor(24, 3);
        for (var i = 0; i < 24; i++) labels.Span[i * 3 + i % 3] = 1;
        float[] Train(bool generated, int epochs = 3)
        {
            var conv1 = new Conv2D(1, 4, 3, seed: 43) { UseGeneratedBackward = generated };
            var pool1 = new MaxPool2D(2) { UseGeneratedBackward = generated };
            var conv2 = new Conv2D(4, 6, 2, seed: 44) { UseGeneratedBackward = generated };
            var pool2 = new AvgPool2D(2) { UseGeneratedBackward = generated };
            var dense = new Dense(6, 3, seed: 45) { UseGeneratedBackward = generated };
            var network = new SymGrad.Training.Network(conv1, new Activation<Relu>(), pool1, conv2, new Activation<Relu>(), pool2, new Flatten(), dense);
            SymGrad.Training.Trainer.Fit(network, new SymGrad.Losses.SoftmaxCrossEntropy(), new SymGrad.Optimizers.Sgd(0.05f), new SymGrad.Data.Dataset(x, labels),
                new SymGrad.Training.TrainingOptions { Epochs = epochs, BatchSize = 8, Seed = 46 });
            return network.Parameters.SelectMany(p => p.Value.Span.ToArray()).ToArray();
        }
        var kernels = Train(false);
        var generated = Train(true);
        for (var i = 0; i < kernels.Length; i++) Assert.Equal(kernels[i], generated[i], 4);
        // Every layer learned something (so the comparison is not of untouched weights).
        var initial = Train(false, epochs: 1);
        Assert.True(kernels.Zip(initial).Count(p => p.First != p.Second) > kernels.Length / 2);
    }

    [Fact]
    public void MatrixViews_CheckTheirShape()
    {
        Assert.Throws<ArgumentException>(() => new ReadOnlyMatrix<float>(new float[5], 2, 3));
        var m = new Matrix<float>(new float[6], 2, 3);
        m[1, 2] = 4;
        Assert.Equal(4, m.Span[5]);
        Assert.Throws<IndexOutOfRangeException>(() => new ReadOnlyMatrix<float>(new float[6], 2, 3)[2, 0]);
        // Row blocks (what generated products read) are checked like the indexer, not just against the span.
        var data = new float[2 * 3 * 4 * 5];
        Assert.Equal(10, new ReadOnlyTensor4<float>(data, 2, 3, 4, 5).Slice(0, 0, 2, 2).Length);
        Assert.Throws<IndexOutOfRangeException>(() => new ReadOnlyTensor4<float>(data, 2, 3, 4, 5).Slice(0, 1, 3, 2).Length);
        Assert.Throws<IndexOutOfRangeException>(() => new ReadOnlyTensor4<float>(data, 2, 3, 4, 5).Slice(0, 3, 0, 1).Length);
        Assert.Throws<IndexOutOfRangeException>(() => new Matrix<float>(new float[6], 2, 3).Slice(1, 2).Length);
        // Batched blocks: the same rows of consecutive images, every one of them checked.
        var blocks = new ReadOnlyTensor4<float>(data, 2, 3, 4, 5).Slice(0, 1, 1, 2, batches: 2);
        Assert.Equal((2, 60, 10), (blocks.Batches, blocks.Stride, blocks[1].Length));
        Assert.Equal(data.AsSpan(((1 * 3 + 1) * 4 + 1) * 5, 10).ToArray(), blocks[1].ToArray());
        Assert.Throws<IndexOutOfRangeException>(() => new ReadOnlyTensor4<float>(data, 2, 3, 4, 5).Slice(1, 1, 1, 2, batches: 2).Batches);
    }
}
