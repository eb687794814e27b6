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
        var data = new Dataset(new Tensor(4, 2), new Tensor(4, 1));
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

    [Fact]
    public void AnEpoch_GivesTheSameParameters_OnOneAndManyThreads()
    {
        // A CNN (convolutions, both poolings, activations, a dense layer, Adam) large enough that every kernel splits.
        var random = new Random(7);
        var x = GradientCheck.Random(random, 64, 14, 14, 2);
        var labels = new Tensor(64, 4);
        for (var i = 0; i < 64; i++) labels.Span[i * 4 + i % 4] = 1;
        (float[] Parameters, long Splits) Train(int threads)
        {
            var network = new Network(new Conv2D(2, 16, 3, seed: 1), new Activation<Tanh>(), new MaxPool2D(2), new Conv2D(16, 24, 3, padding: 1, seed: 2),
                new Activation<Relu>(), new AvgPool2D(2), new Flatten(), new Dense(24 * 3 * 3, 64, seed: 3), new Activation<Sigmoid>(), new Dense(64, 4, seed: 4));
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
