using System;
using SymGrad.Layers;
using SymGrad.Tensors;
using SymGrad.Training;

namespace SymGrad.Tests;

/// <summary>Every layer's backward pass against finite differences, alone and in a whole network.</summary>
public class LayerTests
{
    private static void Check(Layer layer, DenseTensor input, int seed) =>
        GradientCheck.Layer(x => layer.Forward(x, training: false), layer.Backward,
            () => { foreach (var p in layer.Parameters) p.Gradient.Clear(); }, layer.Parameters, input, seed);

    [Fact]
    public void Dense_Backward_IsTheDeltaRule()
    {
        var random = new Random(1);
        var dense = new Dense(4, 3, seed: 2);
        GradientCheck.Random(random, 3).Span.CopyTo(dense.Bias.Value.Span);
        Check(dense, GradientCheck.Random(random, 5, 4), 3);

        // ∂L/∂W = aᵀδ for one sample, ∂L/∂b = δ.
        var a = GradientCheck.Random(random, 1, 4);
        var delta = GradientCheck.Random(random, 1, 3);
        dense.Weights.Gradient.Clear();
        dense.Bias.Gradient.Clear();
        dense.Forward(a, training: true);
        dense.Backward(delta);
        for (var i = 0; i < 4; i++)
        for (var j = 0; j < 3; j++)
            Assert.Equal(a[0, i] * delta[0, j], dense.Weights.Gradient[i, j], 6);
        Assert.Equal(delta.Span.ToArray(), dense.Bias.Gradient.Span.ToArray());
    }

    [Fact]
    public void Activations_Backward()
    {
        var random = new Random(4);
        var input = GradientCheck.Random(random, 3, 5);
        input.Span[0] = 0.3f; // keep away from ReLU's kink for finite differences
        Check(new Activation<Sigmoid>(), input, 5);
        Check(new Activation<Tanh>(), input, 6);
        // Tanh and σ run forward over the whole span and backward from their kept outputs (1 − y², y(1 − y)): the same
        // as f′(x) from the input.
        foreach (var layer in new Layer[] { new Activation<Tanh>(), new Activation<Sigmoid>() })
        {
            var y = layer.Forward(input, training: true);
            var dy = GradientCheck.Random(new Random(7), input.Shape.ToArray());
            var dx = layer.Backward(dy);
            for (var i = 0; i < input.Length; i++)
            {
                var (value, derivative) = layer is Activation<Tanh>
                    ? (Functions.Activations.Tanh(input.Span[i]), Functions.Activations.TanhDerivative(input.Span[i]))
                    : (Functions.Activations.Sigmoid(input.Span[i]), Functions.Activations.SigmoidDerivative(input.Span[i]));
                Assert.Equal(value, y.Span[i], 5);
                Assert.Equal(dy.Span[i] * derivative, dx.Span[i], 5);
            }
        }
        Check(new Activation<Softplus>(), input, 7);
        foreach (ref var v in input.Span) if (MathF.Abs(v) < 0.05f) v = 0.5f;
        Check(new Activation<Relu>(), input, 8);
        Check(new Activation<LeakyRelu>(), input, 9);
        Check(new FunctionActivation(x => x * Functions.Activations.Sigmoid(x), x => Functions.Activations.Sigmoid(x) + x * Functions.Activations.SigmoidDerivative(x)), input, 10);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    public void Conv2D_Backward_MatchesTheArticlesFormulas(int stride, int padding)
    {
        var random = new Random(11 + stride + padding);
        var conv = new Conv2D(2, 3, kernel: 3, stride: stride, padding: padding, seed: 12);
        GradientCheck.Random(random, 3).Span.CopyTo(conv.Bias.Value.Span);
        Check(conv, GradientCheck.Random(random, 2, 6, 5, 2), 13);
    }

    [Theory]
    [InlineData(2, 2, 2, 1, 3, 3)]
    [InlineData(1, 8, 3, 3, 7, 21)]    // a small window: convolved directly, eight positions at a time and a tail of three
    [InlineData(2, 16, 3, 2, 6, 10)]   // two vectors of out channels
    [InlineData(3, 8, 3, 2, 5, 9)]     // 27 terms: still direct
    [InlineData(4, 8, 3, 2, 5, 9)]     // 36 terms: im2col
    public void Conv2D_Forward_IsTheIndexFormula(int cin, int cout, int kernel, int batch, int height, int width)
    {
        var random = new Random(14);
        var conv = new Conv2D(cin, cout, kernel: kernel, seed: 15);
        GradientCheck.Random(random, cout).Span.CopyTo(conv.Bias.Value.Span);
        var x = GradientCheck.Random(random, batch, height, width, cin);
        var y = conv.Forward(x, training: false);
        for (var s = 0; s < batch; s++)
        for (var m = 0; m < height - kernel + 1; m++)
        for (var n = 0; n < width - kernel + 1; n++)
        for (var k = 0; k < cout; k++)
        {
            var expected = (double)conv.Bias.Value[k];
            for (var i = 0; i < kernel; i++)
            for (var j = 0; j < kernel; j++)
            for (var l = 0; l < cin; l++)
                expected += conv.Weights.Value[i, j, l, k] * x[s, m + i, n + j, l];
            Assert.True(Math.Abs(expected - y[s, m, n, k]) < 1e-5, $"Y[{s},{m},{n},{k}] = {y[s, m, n, k]}, the sum is {expected}");
        }
        if (cout == 8 && cin == 1) Check(conv, x, 16);
    }

    [Fact]
    public void Pooling_Backward()
    {
        var random = new Random(16);
        var input = GradientCheck.Random(random, 2, 4, 6, 3);
        Check(new AvgPool2D(2), input, 17);
        Check(new AvgPool2D(3, stride: 1), input, 18);
        // Max pooling: distinct values 0.05 apart, so no perturbation changes a window's arg-max.
        var distinct = new DenseTensor(2, 4, 6, 3);
        var order = SymGrad.Data.Dataset.Permutation(distinct.Length, 19);
        for (var i = 0; i < order.Length; i++) distinct.Span[i] = order[i] * 0.05f - 3f;
        Check(new MaxPool2D(2), distinct, 19);
        Check(new MaxPool2D(3, stride: 2), distinct, 20);

        // Max pooling routes the gradient to the arg-max only.
        var pool = new MaxPool2D(2);
        var x = new DenseTensor(new float[] { 1, 5, 3, 2 }, 1, 2, 2, 1);
        pool.Forward(x, training: true);
        var dx = pool.Backward(new DenseTensor(new float[] { 7 }, 1, 1, 1, 1));
        Assert.Equal(new float[] { 0, 7, 0, 0 }, dx.Span.ToArray());
    }

    [Theory]
    [InlineData(2, 2, 19)] // two vectors of channels and a scalar tail
    [InlineData(3, 2, 8)]
    [InlineData(2, 1, 16)]
    public void MaxPooling_TakesTheFirstLargest_LaneByLane_AsTheScalarRule(int size, int stride, int channels)
    {
        // Ties (values on a coarse grid) and NaN: a later element wins only when it is greater, in every lane.
        var random = new Random(size * 100 + channels);
        var x = new DenseTensor(2, 7, 8, channels);
        foreach (ref var v in x.Span) v = random.Next(5) == 0 ? float.NaN : random.Next(4);
        var pool = new MaxPool2D(size, stride);
        var y = pool.Forward(x, training: true);
        var delta = GradientCheck.Random(random, y.Shape.ToArray());
        var dx = pool.Backward(delta);
        var expected = new float[x.Length];
        for (var b = 0; b < y.Dim(0); b++)
        for (var m = 0; m < y.Dim(1); m++)
        for (var n = 0; n < y.Dim(2); n++)
        for (var c = 0; c < channels; c++)
        {
            var (best, at) = (float.NaN, -1);
            for (var i = 0; i < size; i++)
            for (var j = 0; j < size; j++)
            {
                var index = ((b * x.Dim(1) + m * stride + i) * x.Dim(2) + n * stride + j) * channels + c;
                if (at < 0 || x.Span[index] > best) (best, at) = (x.Span[index], index);
            }
            Assert.Equal(best, y[b, m, n, c]);
            expected[at] += delta[b, m, n, c];
        }
        Assert.Equal(expected, dx.Span.ToArray());
    }

    [Fact]
    public void Dropout_DropsWhileTraining_AndIsTheIdentityOtherwise()
    {
        var dropout = new Dropout(0.5f, seed: 20);
        var x = new DenseTensor(1, 1000);
        x.Fill(1f);
        Assert.Same(x, dropout.Forward(x, training: false));
        var y = dropout.Forward(x, training: true);
        var kept = 0;
        foreach (var v in y.Span)
        {
            Assert.True(v == 0f || v == 2f);
            if (v != 0) kept++;
        }
        Assert.InRange(kept, 400, 600);
        var g = new DenseTensor(1, 1000);
        g.Fill(3f);
        var dx = dropout.Backward(g);
        for (var i = 0; i < 1000; i++) Assert.Equal(y.Span[i] * 3f, dx.Span[i]);
    }

    [Fact]
    public void WholeNetwork_ConvPoolDense_BackwardMatchesFiniteDifferences()
    {
        var random = new Random(21);
        var network = new Network(
            new Conv2D(1, 2, kernel: 3, padding: 1, seed: 22),
            new Activation<Tanh>(),
            new AvgPool2D(2),
            new Flatten(),
            new Dense(2 * 3 * 3, 4, seed: 23),
            new Activation<Sigmoid>(),
            new Dense(4, 2, seed: 24));
        GradientCheck.Network(network, GradientCheck.Random(random, 2, 6, 6, 1), 25);
    }
}
