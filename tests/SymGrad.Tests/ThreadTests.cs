using System;
using System.Collections.Generic;
using System.Linq;
using SymGrad.Data;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Optimizers;
using SymGrad.Tensors;
using SymGrad.Training;

namespace SymGrad.Tests;

/// <summary>Every core, and the same bits on any number of threads (issue 17).</summary>
public class ThreadTests
{
    private static float[] Random(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    [Theory]
    [InlineData(200, 300, 40)]
    [InlineData(97, 129, 37)]
    [InlineData(1000, 9, 16)]
    [InlineData(33, 784, 128)]
    public void MatrixProducts_AreTheSameBits_OnOneAndManyThreads(int m, int k, int n)
    {
        var a = Random(m * k, 1);
        var at = Random(k * m, 2);
        var b = Random(k * n, 3);
        var bt = Random(n * k, 4);
        var start = Random(m * n, 5);
        foreach (var accumulate in new[] { false, true })
        {
            float[] Run(int threads, Action<float[]> product)
            {
                var c = (float[])start.Clone();
                using (Threads.Use(threads)) product(c);
                return c;
            }
            var products = new Action<float[]>[]
            {
                c => MatMul.Multiply(a, b, c, m, k, n, accumulate),
                c => MatMul.MultiplyTransposedA(at, b, c, m, k, n, accumulate),
                c => MatMul.MultiplyTransposedB(a, bt, c, m, k, n, accumulate),
            };
            for (var p = 0; p < products.Length; p++)
            {
                var before = Threads.SplitCalls;
                var one = Run(1, products[p]);
                Assert.Equal(before, Threads.SplitCalls);
                var many = Run(4, products[p]);
                Assert.True(Threads.SplitCalls > before, $"product {p} ran on one thread");
                Assert.Equal(one, many);
                // And it is the product: one element against a double sum.
                var (i, j) = (m - 1, n / 2);
                var expected = accumulate ? start[i * n + j] : 0.0;
                for (var q = 0; q < k; q++)
                    expected += (p == 1 ? at[q * m + i] : a[i * k + q]) * (double)(p == 2 ? bt[j * k + q] : b[q * n + j]);
                Assert.Equal(expected, many[i * n + j], 3);
            }
        }
    }

    [Theory]
    [InlineData(10, 8, 3)]
    [InlineData(5000, 1024, 2)]
    [InlineData(2049, 1024, 2)]
    [InlineData(100_001, 8, 16)]
    public void Parts_CoverTheRangeOnce_StartAtMultiplesOfTheGrain_AndAreNeverShort(int count, int grain, int threads)
    {
        var parts = new List<(int Start, int End)>();
        using (Threads.Use(threads))
            Threads.For(count, grain, long.MaxValue, (start, end) => { lock (parts) parts.Add((start, end)); });
        parts.Sort();
        Assert.Equal(0, parts[0].Start);
        Assert.Equal(count, parts[^1].End);
        for (var i = 0; i < parts.Count; i++)
        {
            Assert.Equal(0, parts[i].Start % grain);
            if (i > 0) Assert.Equal(parts[i - 1].End, parts[i].Start);
            if (parts.Count > 1) Assert.True(parts[i].End - parts[i].Start >= grain);
        }
        Assert.True(parts.Count <= threads);
    }

    [Fact]
    public void InsideAPart_KernelsRunOnThatThread()
    {
        var nested = new List<int>();
        using (Threads.Use(4))
            Threads.For(64, 8, long.MaxValue, (_, _) => { lock (nested) nested.Add(Threads.Available); });
        Assert.True(nested.Count > 1);
        Assert.All(nested, available => Assert.Equal(1, available));
        using (Threads.Use(3)) Assert.Equal(3, Threads.Available);
        Assert.Throws<ArgumentOutOfRangeException>(() => Threads.Limit = -1);
        var data = new Dataset(new DenseTensor(4, 2), new DenseTensor(4, 1));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Trainer.Fit(new Network(new Dense(2, 1)), new MeanSquaredError(), new Sgd(0.1f), data, new TrainingOptions { Threads = -2 }));
        Assert.Contains("Threads", error.Message);
        // Fit restores the caller's limit when it returns.
        using (Threads.Use(3))
        {
            Trainer.Fit(new Network(new Dense(2, 1)), new MeanSquaredError(), new Sgd(0.1f), data, new TrainingOptions { Epochs = 1, Threads = 1 });
            Assert.Equal(3, Threads.Limit);
        }
    }

    [Theory]
    [InlineData(9, 50176, 8)] // a one-channel 3×3 convolution's weight gradient on 64 images of 28×28
    [InlineData(3, 100_000, 16)]
    [InlineData(20, 4099, 5)]
    public void FewRowProducts_SplitTheSharedDimension_InChunksFixedByTheShapes(int m, int k, int n)
    {
        // Aᵀ·B with too few rows of C to split: chunks of the shared dimension, partials added in chunk order.
        var a = Random(k * m, 1);
        var b = Random(k * n, 2);
        var start = Random(m * n, 3);
        foreach (var accumulate in new[] { false, true })
        {
            (float[] C, long Splits) Run(int threads)
            {
                var c = (float[])start.Clone();
                var before = Threads.SplitCalls;
                using (Threads.Use(threads)) MatMul.MultiplyTransposedA(a, b, c, m, k, n, accumulate);
                return (c, Threads.SplitCalls - before);
            }
            var one = Run(1);
            Assert.Equal(0, one.Splits);
            foreach (var threads in new[] { 2, 3, 16 })
            {
                var many = Run(threads);
                Assert.True(many.Splits > 0, $"{threads} threads: ran on one");
                Assert.Equal(one.C, many.C);
            }
            for (var (i, j) = (0, 0); i < m; i += Math.Max(1, m / 3), j = (j + 3) % n)
            {
                var expected = accumulate ? start[i * n + j] : 0.0;
                for (var q = 0; q < k; q++) expected += a[q * m + i] * (double)b[q * n + j];
                Assert.True(Math.Abs(expected - one.C[i * n + j]) < 1e-5 * k, $"C[{i},{j}] = {one.C[i * n + j]}, the double sum is {expected}");
            }
        }
    }

    [Fact]
    public void GroupedWindowProducts_SplitTheBatch_InChunksFixedByTheShapes()
    {
        // A convolution's weight gradient as the generated backward computes it: per output row, the windows of X's rows
        // (3 kernel rows one image row apart) against Δ's rows, summed over 64 images.
        int images = 64, height = 28, width = 28, channels = 2, filters = 8, kernel = 3, oh = height - kernel + 1, ow = width - kernel + 1;
        var x = Random(images * height * width * channels, 4);
        var delta = Random(images * oh * ow * filters, 5);
        var start = Random(kernel * kernel * channels * filters, 6);
        (float[] C, long Splits) Run(int threads)
        {
            var dw = (float[])start.Clone();
            var before = Threads.SplitCalls;
            using (Threads.Use(threads))
            {
                var xs = new ReadOnlyTensor4<float>(x, images, height, width, channels);
                var ds = new ReadOnlyTensor4<float>(delta, images, oh, ow, filters);
                for (var m = 0; m < oh; m++)
                    MatMul.MultiplyTransposedA(xs.SliceRows(0, m * width, (kernel - 1) * width + ow + kernel - 1, images), channels, kernel, width * channels,
                        ds.Slice(0, m, 0, ow, images), dw, kernel * channels, ow, filters, accumulate: true);
            }
            return (dw, Threads.SplitCalls - before);
        }
        var one = Run(1);
        var many = Run(3);
        Assert.Equal(0, one.Splits);
        Assert.True(many.Splits > 0);
        Assert.Equal(one.C, many.C);
        // dW[i, j, l, f] = start + Σ_{s,m,n} X[s, m+i, n+j, l] Δ[s, m, n, f]
        foreach (var (i, j, l, f) in new[] { (0, 0, 0, 0), (2, 1, 1, 7), (1, 2, 0, 3) })
        {
            var expected = (double)start[((i * kernel + j) * channels + l) * filters + f];
            for (var s = 0; s < images; s++)
                for (var m = 0; m < oh; m++)
                    for (var n = 0; n < ow; n++)
                        expected += x[((s * height + m + i) * width + n + j) * channels + l] * (double)delta[((s * oh + m) * ow + n) * filters + f];
            Assert.Equal(expected, one.C[((i * kernel + j) * channels + l) * filters + f], 2);
        }
    }

    [Theory]
    [InlineData(0, 40, 0, 12)]
    [InlineData(3, 37, 2, 9)]
    public void TransposedConvolution_IsTheSumItStandsFor_OnAnyNumberOfThreads(int firstImage, int imageEnd, int firstRow, int rowEnd)
    {
        // V[s, m + i, n + j, l] += Σ_t D[s, m, n, t] K[i, j, l, t] over the given images and rows of D.
        int dRows = 12, dCols = 11, channels = 6, kRows = 3, kCols = 2, vChannels = 5, vRows = dRows + kRows - 1, vCols = dCols + kCols - 1, batch = 40;
        var d = Random(batch * dRows * dCols * channels, 7);
        var k = Random(kRows * kCols * vChannels * channels, 8);
        var start = Random(batch * vRows * vCols * vChannels, 9);
        (float[] V, long Splits) Run(int threads)
        {
            var v = (float[])start.Clone();
            var before = Threads.SplitCalls;
            using (Threads.Use(threads))
                MatMul.TransposedConvolution(d, dRows, dCols, channels, k, kRows, kCols, v, vRows, vCols, vChannels, firstImage, imageEnd, firstRow, rowEnd);
            return (v, Threads.SplitCalls - before);
        }
        var one = Run(1);
        var many = Run(4);
        Assert.Equal(0, one.Splits);
        Assert.True(many.Splits > 0);
        Assert.Equal(one.V, many.V);
        var expected = start.Select(v => (double)v).ToArray();
        for (var s = firstImage; s < imageEnd; s++)
            for (var m = firstRow; m < rowEnd; m++)
                for (var n = 0; n < dCols; n++)
                    for (var i = 0; i < kRows; i++)
                        for (var j = 0; j < kCols; j++)
                            for (var l = 0; l < vChannels; l++)
                                for (var t = 0; t < channels; t++)
                                    expected[((s * vRows + m + i) * vCols + n + j) * vChannels + l] += d[((s * dRows + m) * dCols + n) * channels + t] * (double)k[((i * kCols + j) * vChannels + l) * channels + t];
        for (var e = 0; e < expected.Length; e++) Assert.True(Math.Abs(expected[e] - one.V[e]) < 1e-4, $"V[{e}] = {one.V[e]}, expected {expected[e]}");
        Assert.Throws<ArgumentException>(() => MatMul.TransposedConvolution(d, dRows, dCols, channels, k, kRows, kCols, new float[start.Length], vRows - 1, vCols, vChannels, 0, 1, 0, dRows));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnEpoch_GivesTheSameParameters_OnOneAndManyThreads(bool generatedBackward)
    {
        // A CNN (convolutions, both poolings, activations, a dense layer, Adam) large enough that every kernel splits.
        var random = new Random(7);
        var x = GradientCheck.Random(random, 64, 14, 14, 2);
        var labels = new DenseTensor(64, 4);
        for (var i = 0; i < 64; i++) labels.Span[i * 4 + i % 4] = 1;
        (float[] Parameters, long Splits) Train(int threads)
        {
            // Every layer's backward generated or every one the kernels': both split.
            var g = generatedBackward;
            var network = new Network(new Conv2D(2, 16, 3, seed: 1) { UseGeneratedBackward = g }, new Activation<Tanh>(), new MaxPool2D(2) { UseGeneratedBackward = g },
                new Conv2D(16, 24, 3, padding: 1, seed: 2) { UseGeneratedBackward = g }, new Activation<Relu>(), new AvgPool2D(2) { UseGeneratedBackward = g }, new Flatten(),
                new Dense(24 * 3 * 3, 64, seed: 3) { UseGeneratedBackward = g }, new Activation<Sigmoid>(), new Dense(64, 4, seed: 4) { UseGeneratedBackward = g });
            var before = Threads.SplitCalls;
            Trainer.Fit(network, new SoftmaxCrossEntropy(), new Adam(0.01f), new Dataset(x, labels),
                new TrainingOptions { Epochs = 1, BatchSize = 32, Seed = 9, Threads = threads });
            return (network.Parameters.SelectMany(p => p.Value.Span.ToArray()).ToArray(), Threads.SplitCalls - before);
        }
        var one = Train(1);
        var two = Train(2);
        var many = Train(5);
        Assert.Equal(0, one.Splits);
        Assert.True(many.Splits > 10, $"{many.Splits} kernel calls split");
        Assert.Equal(one.Parameters, two.Parameters);
        Assert.Equal(one.Parameters, many.Parameters);
        // On several threads a training step allocates only the thread pool's bookkeeping for each kernel call that
        // splits (about 2 KB on the calling thread: Parallel.For's), nothing that grows with the data.
        var network = new Network(new Conv2D(2, 16, 3, seed: 1), new Activation<Tanh>(), new MaxPool2D(2), new Flatten(), new Dense(16 * 6 * 6, 4, seed: 3));
        (long Bytes, long Splits) Allocated(int epochs)
        {
            var (before, splits) = (GC.GetAllocatedBytesForCurrentThread(), Threads.SplitCalls);
            Trainer.Fit(network, new SoftmaxCrossEntropy(), new Adam(0.01f), new Dataset(x, labels), new TrainingOptions { Epochs = epochs, BatchSize = 32, Seed = 9, Threads = 4 });
            return (GC.GetAllocatedBytesForCurrentThread() - before, Threads.SplitCalls - splits);
        }
        Allocated(1);
        var (oneBytes, oneSplits) = Allocated(1);
        var (fourBytes, fourSplits) = Allocated(4);
        var (bytes, splitCalls) = (fourBytes - oneBytes, fourSplits - oneSplits);
        Assert.True(splitCalls > 0);
        Assert.True(bytes < 4096 + splitCalls * 4096, $"three epochs, {splitCalls} calls split, {bytes} bytes");
        // Trained: the parameters moved from where they started.
        var untouched = new Network(new Conv2D(2, 16, 3, seed: 1)).Parameters[0].Value.Span.ToArray();
        Assert.NotEqual(untouched, one.Parameters.Take(untouched.Length).ToArray());
    }
}
