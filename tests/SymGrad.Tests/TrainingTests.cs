using System;
using System.Linq;
using System.IO;
using SymGrad.Data;
using SymGrad.Examples;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Optimizers;
using SymGrad.Tensors;
using SymGrad.Training;

namespace SymGrad.Tests;

public class LinearRegressionExampleTests
{
    [Fact]
    public void FollowsAnIndependentGradientDescentTrajectory_StepForStep()
    {
        var (x, y) = LinearRegressionModel.Data(100, seed: 42);
        // The article's hand-derived gradient, grad_w = −mean((y − (wx + b))x), grad_b = −mean(y − (wx + b)).
        double w = 0, b = 0;
        var steps = 0;
        LinearRegressionModel.Train(x, y, 0.01, 1000, (i, gw, gb) =>
        {
            double dw = 0, db = 0;
            for (var k = 0; k < x.Length; k++)
            {
                var r = y[k] - (w * x[k] + b);
                dw -= r * x[k];
                db -= r;
            }
            w -= 0.01 * dw / x.Length;
            b -= 0.01 * db / x.Length;
            Assert.Equal(w, gw, 12);
            Assert.Equal(b, gb, 12);
            steps++;
        });
        Assert.Equal(1000, steps);
        // Not yet at the optimum after 1000 steps: about w = 1.75, b = 3.15 on such data.
        Assert.InRange(w, 1.6, 1.95);
        Assert.InRange(b, 3.0, 3.3);
        var (ws, bs) = LinearRegressionModel.LeastSquares(x, y);
        Assert.True(Math.Abs(w - ws) > 0.1);
    }

    [Fact]
    public void RunLonger_ReachesTheLeastSquaresFit()
    {
        var (x, y) = LinearRegressionModel.Data(100, seed: 42);
        var (w, b) = LinearRegressionModel.Train(x, y, 0.01, 200_000);
        var (ws, bs) = LinearRegressionModel.LeastSquares(x, y);
        Assert.Equal(ws, w, 6);
        Assert.Equal(bs, b, 6);
        Assert.InRange(ws, 1.8, 2.2);
        Assert.InRange(bs, 2.8, 3.2);
    }

    [Fact]
    public void TheGeneratedGradient_IsTheArticlesFormula()
    {
        foreach (var (w, b, x, y) in new[] { (0.0, 0.0, 0.5, 4.0), (1.5, -2.0, 0.25, 3.0) })
        {
            LinearRegressionModel.SquaredErrorGradient(w, b, x, y, out var dw, out var db);
            Assert.Equal(-(y - (w * x + b)) * x, dw, 12);
            Assert.Equal(-(y - (w * x + b)), db, 12);
        }
        Assert.Contains(@"\frac{\partial f}{\partial w}", LinearRegressionModel.SquaredErrorDerivation.Steps_w);
    }
}

/// <summary>What examples/LinearRegression's --compare-rates and --compare-optimizers print and its README quotes.</summary>
public class LinearRegressionComparisonTests
{
    private static readonly (double[] X, double[] Y) Data = LinearRegressionModel.Data(100, seed: 42);

    [Fact]
    public void ARateAboveTwoOverTheLargestCurvature_Diverges_AndTheRatesBelowConverge()
    {
        var (x, y) = Data;
        var limit = LinearRegressionComparisons.StableRateLimit(x);
        Assert.InRange(limit, 1.0, 2.5);
        var diverged = LinearRegressionComparisons.GradientDescent(x, y, 2.5, 1000);
        Assert.NotNull(diverged.DivergedAt);
        Assert.Equal(diverged.DivergedAt, diverged.Loss.Length);   // the finite prefix, and nothing after it
        Assert.All(diverged.Loss, v => Assert.True(double.IsFinite(v)));
        var minimum = LinearRegressionModel.Loss(LinearRegressionModel.LeastSquares(x, y).W, LinearRegressionModel.LeastSquares(x, y).B, x, y);
        foreach (var rate in new[] { 0.1, 1.0 })
        {
            var run = LinearRegressionComparisons.GradientDescent(x, y, rate, 1000);
            Assert.Null(run.DivergedAt);
            Assert.NotNull(LinearRegressionComparisons.StepsToReach(run, minimum));
        }
    }

    [Fact]
    public void Momentum_ReachesTheMinimum_BeforePlainGradientDescent_OnTheSameGradient()
    {
        var (x, y) = Data;
        var (ws, bs) = LinearRegressionModel.LeastSquares(x, y);
        var minimum = LinearRegressionModel.Loss(ws, bs, x, y);
        var sgd = LinearRegressionComparisons.WithOptimizer("SGD", new Sgd(0.01f), x, y, 1000);
        var momentum = LinearRegressionComparisons.WithOptimizer("momentum", new Momentum(0.01f, 0.9f), x, y, 1000);
        // The runtime's SGD (float) follows the double gradient descent of the example to float precision.
        var plain = LinearRegressionComparisons.GradientDescent(x, y, 0.01, 1000);
        Assert.Equal(plain.Loss[^1], sgd.Loss[^1], 4);
        Assert.Null(LinearRegressionComparisons.StepsToReach(sgd, minimum));
        Assert.InRange(LinearRegressionComparisons.StepsToReach(momentum, minimum) ?? int.MaxValue, 0, 400);
    }
}

public class TrainingTests
{
    /// <summary>Two interleaved spirals-like rings: not linearly separable.</summary>
    private static Dataset Rings(int n, int seed)
    {
        var random = new Random(seed);
        var x = new DenseTensor(n, 2);
        var y = new DenseTensor(n, 1);
        for (var i = 0; i < n; i++)
        {
            var label = i % 2;
            var radius = label == 0 ? random.NextDouble() * 0.8 : 1.3 + random.NextDouble() * 0.8;
            var angle = random.NextDouble() * 2 * Math.PI;
            x[i, 0] = (float)(radius * Math.Cos(angle));
            x[i, 1] = (float)(radius * Math.Sin(angle));
            y[i, 0] = label;
        }
        return new Dataset(x, y);
    }

    private static Network Mlp(int seed) => new(
        new Dense(2, 16, seed), new Activation<Tanh>(), new Dense(16, 16, seed + 1), new Activation<Relu>(), new Dense(16, 1, seed + 2));

    [Fact]
    public void Mlp_SeparatesANonLinearTwoClassSet()
    {
        var (train, test) = Rings(600, 1).Split(0.25f, seed: 2);
        var network = Mlp(3);
        var history = Trainer.Fit(network, new BinaryCrossEntropy(), new Adam(0.01f), train,
            new TrainingOptions { Epochs = 60, BatchSize = 32, Seed = 4, Metric = Metric.BinaryAccuracy, Validation = test });
        var (_, accuracy) = Trainer.Evaluate(network, new BinaryCrossEntropy(), test, Metric.BinaryAccuracy);
        Assert.True(accuracy >= 0.97f, $"test accuracy {accuracy}");
        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss / 4);
    }

    [Fact]
    public void SameSeed_SameRun_BitForBit()
    {
        byte[] Run()
        {
            var network = Mlp(5);
            Trainer.Fit(network, new BinaryCrossEntropy(), new Momentum(0.05f), Rings(200, 6),
                new TrainingOptions { Epochs = 3, BatchSize = 16, Seed = 7, Regularizer = Regularizer.L2(1e-3f) });
            return Checkpoint.Serialize(network);
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Cnn_TrainsOnSmallGeneratedImages()
    {
        // 8×8 images of a vertical or a horizontal bar, at random positions, with noise.
        var random = new Random(8);
        const int n = 240;
        var x = new DenseTensor(n, 8, 8, 1);
        var y = new DenseTensor(n, 2);
        for (var i = 0; i < n; i++)
        {
            var vertical = i % 2 == 0;
            var at = random.Next(1, 7);
            for (var r = 0; r < 8; r++)
            for (var c = 0; c < 8; c++)
                x[i, r, c, 0] = (float)(random.NextDouble() * 0.3) + ((vertical ? c : r) == at ? 1f : 0f);
            y[i, vertical ? 0 : 1] = 1;
        }
        var network = new Network(
            new Conv2D(1, 4, kernel: 3, padding: 1, seed: 9), new Activation<Relu>(), new MaxPool2D(2),
            new Flatten(), new Dense(4 * 4 * 4, 2, seed: 10));
        var data = new Dataset(x, y);
        var before = Trainer.Evaluate(network, new SoftmaxCrossEntropy(), data, Metric.CategoricalAccuracy);
        Trainer.Fit(network, new SoftmaxCrossEntropy(), new Adam(0.01f), data, new TrainingOptions { Epochs = 15, BatchSize = 16, Seed = 11 });
        var after = Trainer.Evaluate(network, new SoftmaxCrossEntropy(), data, Metric.CategoricalAccuracy);
        Assert.True(after.Loss < before.Loss / 3, $"loss {before.Loss} → {after.Loss}");
        Assert.True(after.Accuracy >= 0.95f, $"accuracy {after.Accuracy}");
    }

    [Fact]
    public void EarlyStopping_StopsAndRestoresTheBestParameters()
    {
        var (train, validation) = Rings(200, 12).Split(0.5f, seed: 13);
        var network = Mlp(14);
        // A learning rate this large makes the validation loss wander: the run must stop and keep the best.
        var history = Trainer.Fit(network, new BinaryCrossEntropy(), new Sgd(2f), train,
            new TrainingOptions { Epochs = 200, BatchSize = 8, Seed = 15, Validation = validation, Patience = 3 });
        Assert.True(history.StoppedEarly);
        var best = history.Epochs[history.BestEpoch - 1].ValidationLoss!.Value;
        foreach (var e in history.Epochs) Assert.True(e.ValidationLoss >= best);
        Assert.Equal(best, Trainer.Evaluate(network, new BinaryCrossEntropy(), validation).Loss, 4);
    }

    [Fact]
    public void NonFiniteGradient_StopsTraining_NamingStepLayerAndParameter()
    {
        var x = new DenseTensor(new float[] { 1f, float.NaN }, 2, 1);
        var y = new DenseTensor(new float[] { 0f, 0f }, 2, 1);
        var network = new Network(new Dense(1, 1));
        var e = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(network, new MeanSquaredError(), new Sgd(0.1f), new Dataset(x, y), new TrainingOptions { BatchSize = 1, Shuffle = false }));
        Assert.Contains("step 2", e.Message);
    }

    [Fact]
    public void TrainingLoop_AllocatesNothingPerBatch_OnceWarm()
    {
        var data = Rings(512, 16);
        var network = Mlp(17);
        var loss = new BinaryCrossEntropy();
        var optimizer = new Adam(0.01f);
        Trainer.Fit(network, loss, optimizer, data, new TrainingOptions { Epochs = 1, BatchSize = 32 }); // warm
        (long Bytes, long Splits) Allocated(int epochs, int threads)
        {
            var (before, splits) = (GC.GetAllocatedBytesForCurrentThread(), Threads.SplitCalls);
            Trainer.Fit(network, loss, optimizer, data, new TrainingOptions { Epochs = epochs, BatchSize = 32, Threads = threads });
            return (GC.GetAllocatedBytesForCurrentThread() - before, Threads.SplitCalls - splits);
        }
        var one = Allocated(1, threads: 1);
        var eleven = Allocated(11, threads: 1);
        // Ten more epochs of 16 batches each: a few hundred bytes per epoch for its report, nothing per batch.
        Assert.True(eleven.Bytes - one.Bytes < 10 * 1024, $"10 epochs allocated {eleven.Bytes - one.Bytes} bytes");
    }

    [Fact]
    public void CnnTraining_AllocatesNothingPerBatch_OnceWarm()
    {
        var random = new Random(18);
        var x = GradientCheck.Random(random, 96, 8, 8, 2);
        var y = new DenseTensor(96, 3);
        for (var i = 0; i < 96; i++) y[i, i % 3] = 1;
        var data = new Dataset(x, y);
        var network = new Network(new Conv2D(2, 4, 3, padding: 1, seed: 19), new Activation<Relu>(), new MaxPool2D(2),
            new Conv2D(4, 4, 3, seed: 20), new AvgPool2D(2), new Flatten(), new Dropout(0.2f), new Dense(4, 3, seed: 21));
        var loss = new SoftmaxCrossEntropy();
        var optimizer = new Momentum(0.01f);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 16, Threads = 1 };
        Trainer.Fit(network, loss, optimizer, data, options);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Trainer.Fit(network, loss, optimizer, data, new TrainingOptions { Epochs = 1, BatchSize = 16, Threads = 1 });
        var one = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        Trainer.Fit(network, loss, optimizer, data, new TrainingOptions { Epochs = 6, BatchSize = 16, Threads = 1 });
        var six = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(six - one < 5 * 1024, $"5 epochs of 6 batches allocated {six - one} bytes");
    }
}

public class CheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "symgrad-ckpt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Network Net(int seed) => new(new Dense(3, 4, seed), new Activation<Tanh>(), new Dense(4, 2, seed + 1));

    [Fact]
    public void SaveLoad_RoundTrips()
    {
        var path = Path.Combine(_dir, "model.sgckpt");
        var a = Net(1);
        Checkpoint.Save(path, a);
        var b = Net(2);
        Assert.NotEqual(a.Parameters[0].Value.Span.ToArray(), b.Parameters[0].Value.Span.ToArray());
        Checkpoint.Load(path, b);
        for (var i = 0; i < a.Parameters.Count; i++) Assert.Equal(a.Parameters[i].Value.Span.ToArray(), b.Parameters[i].Value.Span.ToArray());
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void TruncatedCorruptedForeignOrOtherArchitecture_IsRejected_AndLeavesTheNetworkUnchanged()
    {
        var bytes = Checkpoint.Serialize(Net(1));
        var target = Net(2);
        var original = target.Parameters[0].Value.Span.ToArray();
        void Rejected(byte[] data, string expected)
        {
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Deserialize(data, target, "m.sgckpt"));
            Assert.Contains("m.sgckpt", e.Message);
            Assert.Contains(expected, e.Message);
            Assert.Equal(original, target.Parameters[0].Value.Span.ToArray());
        }
        Rejected(bytes.AsSpan(0, bytes.Length / 2).ToArray(), "truncated");
        Rejected(bytes.AsSpan(0, 10).ToArray(), "truncated");
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length - 20] ^= 0x40;
        Rejected(flipped, "checksum");
        Rejected("PK\u0003\u0004 not a checkpoint at all"u8.ToArray(), "not a SymGrad checkpoint");
        // A later version, written as such (its checksum holds), is named; a flipped version byte is corruption, not
        // "format version 26".
        var future = (byte[])bytes.Clone();
        future[8] = 9;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(future.AsSpan(future.Length - 4),
            System.IO.Hashing.Crc32.HashToUInt32(future.AsSpan(0, future.Length - 4)));
        Rejected(future, "version 9");
        var flippedVersion = (byte[])bytes.Clone();
        flippedVersion[8] ^= 0x18;
        Rejected(flippedVersion, "corrupted (checksum mismatch");
        var other = Checkpoint.Serialize(new Network(new Dense(3, 5, 1), new Dense(5, 2, 1)));
        Rejected(other, "different architecture");
    }

    [Fact]
    public void Load_ReadsNoMoreThanTheNetworksCheckpoint_AndAFailedSaveLeavesNoTemporary()
    {
        var target = Net(2);
        var original = target.Parameters[0].Value.Span.ToArray();
        // A file longer than this network's checkpoint: refused from its first bytes, not read whole.
        Directory.CreateDirectory(_dir);
        var big = Path.Combine(_dir, "big.sgckpt");
        using (var f = new FileStream(big, FileMode.Create))
        {
            f.Write(Checkpoint.Serialize(new Network(new Dense(3, 400, 1), new Dense(400, 2, 1))));
            f.SetLength(64L << 20);
        }
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(big, target));
        Assert.Contains(big, e.Message);
        Assert.Contains("longer than a checkpoint of this network", e.Message);
        // A device that never ends: refused as not a checkpoint after SizeOf + 1 bytes.
        if (File.Exists("/dev/zero"))
        {
            e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load("/dev/zero", target));
            Assert.Contains("/dev/zero: not a SymGrad checkpoint", e.Message);
        }
        Assert.Equal(original, target.Parameters[0].Value.Span.ToArray());
        Assert.Equal(Checkpoint.Serialize(target).LongLength, Checkpoint.SizeOf(target));

        // The target is a directory: the move fails, and the .tmp beside it is gone.
        var blocked = Path.Combine(_dir, "blocked.sgckpt");
        Directory.CreateDirectory(blocked);
        Directory.CreateDirectory(Path.Combine(blocked, "inside"));
        Assert.ThrowsAny<IOException>(() => Checkpoint.Save(blocked, target));
        Assert.False(File.Exists(blocked + ".tmp"));
    }

    [Fact]
    public void TrainingThatDiverges_StopsNamingTheStep_AndTheLastGoodCheckpointStillLoads()
    {
        var path = Path.Combine(_dir, "run.sgckpt");
        var r = new Random(4);
        DenseTensor Samples(int n, bool poisoned)
        {
            var t = new DenseTensor(n, 3);
            foreach (ref var v in t.Span) v = (float)(r.NextDouble() - 0.5);
            if (poisoned) t.Span[3 * (n / 2)] = float.PositiveInfinity;
            return t;
        }
        DenseTensor Targets(int n)
        {
            var t = new DenseTensor(n, 2);
            foreach (ref var v in t.Span) v = (float)r.NextDouble();
            return t;
        }
        var network = Net(5);
        var options = new TrainingOptions { Epochs = 3, BatchSize = 8, Shuffle = false, CheckpointPath = path };
        Trainer.Fit(network, new MeanSquaredError(), new Sgd(0.05f), new Dataset(Samples(32, false), Targets(32)), options);
        var good = network.Parameters.Select(p => p.Value.Span.ToArray()).ToList();
        Assert.True(File.Exists(path));

        // The same run continued on data with an ∞ in its third batch: stopped there, the checkpoint untouched.
        var e = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(network, new MeanSquaredError(), new Sgd(0.05f), new Dataset(Samples(32, true), Targets(32)), options));
        Assert.Contains("step 3", e.Message);
        Assert.Contains(path, e.Message);
        var restored = Net(6);
        Checkpoint.Load(path, restored);
        for (var i = 0; i < good.Count; i++) Assert.Equal(good[i], restored.Parameters[i].Value.Span.ToArray());
        Assert.All(restored.Parameters, p => Assert.True(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(p.Value.Span) < 1e6f));
    }

    [Fact]
    public void AWriteInterruptedMidway_LeavesThePreviousCheckpointLoadable()
    {
        var path = Path.Combine(_dir, "model.sgckpt");
        var saved = Net(3);
        Checkpoint.Save(path, saved);
        // A crash mid-write leaves a partial temporary file; the checkpoint itself is untouched.
        var partial = Checkpoint.Serialize(Net(4));
        File.WriteAllBytes(path + ".tmp", partial.AsSpan(0, partial.Length / 3).ToArray());
        var loaded = Net(5);
        Checkpoint.Load(path, loaded);
        Assert.Equal(saved.Parameters[2].Value.Span.ToArray(), loaded.Parameters[2].Value.Span.ToArray());
        // The next save replaces both.
        Checkpoint.Save(path, Net(4));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void MissingFile_SaysSo()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(Path.Combine(_dir, "none.sgckpt"), Net(1)));
        Assert.Contains("none.sgckpt", e.Message);
    }
}

public class ConsoleProgressTests
{
    private static readonly EpochReport Report = new(2, 0.12345f, 0.971f, 0.2f, null, 0.01f, TimeSpan.FromSeconds(1.25));

    private static BatchReport Batch(int batch, int batches, double seconds) =>
        new(2, batch, batches, 25 * batch, 25 * batches, 0.5f / batch, 0.01f, TimeSpan.FromSeconds(seconds));

    [Fact]
    public void Redirected_PrintsOneLinePerEpoch_WithTheLearningRate_AndNoBar()
    {
        var output = new System.IO.StringWriter();
        var progress = new ConsoleProgress(output, 5, interactive: false);
        for (var b = 1; b <= 10; b++) progress.Batch(Batch(b, 10, b));
        progress.Epoch(Report);
        Assert.Equal("epoch 2/5  loss 0.1235  accuracy 97.10%  validation loss 0.2000  lr 0.01  (1.3 s)" + Environment.NewLine, output.ToString());
    }

    [Fact]
    public void Interactive_DrawsTheBarWithRate_ThenClearsItForTheEpochLine()
    {
        var output = new System.IO.StringWriter();
        var progress = new ConsoleProgress(output, 5, interactive: true);
        progress.Batch(Batch(1, 4, 0.5)); // 25 samples in 0.5 s: 50 samples/s; under a second in, no ETA yet
        progress.Batch(Batch(4, 4, 2)); // the last batch is always drawn, without an ETA
        progress.Epoch(Report);
        var text = output.ToString();
        Assert.StartsWith("\repoch 2/5 [#######.......................] 1/4  loss 0.5000  50 samples/s", text);
        Assert.Contains("\repoch 2/5 [##############################] 4/4  loss 0.1250  50 samples/s", text);
        Assert.DoesNotContain("ETA", text);
        Assert.EndsWith("\repoch 2/5  loss 0.1235  accuracy 97.10%  validation loss 0.2000  lr 0.01  (1.3 s)" + Environment.NewLine, text);
    }

    [Fact]
    public void Eta_IsTheRestOfTheEpochAtTheRateSoFar()
    {
        var r = new BatchReport(1, 100, 1000, 6400, 64000, 1f, 0.1f, TimeSpan.FromSeconds(10));
        Assert.Equal(640, r.SamplesPerSecond, 9);
        Assert.Equal(TimeSpan.FromSeconds(90), r.Remaining);
        Assert.Contains("ETA 1:30", ConsoleProgress.Bar(r, 3));
        Assert.DoesNotContain("ETA", ConsoleProgress.Bar(r with { EpochElapsed = TimeSpan.FromSeconds(0.9) }, 3)); // too early to say
        Assert.Contains("ETA 2:30:00", ConsoleProgress.Bar(r with { EpochElapsed = TimeSpan.FromSeconds(1000) }, 3)); // 6.4/s: 57600/6.4 = 9000 s
    }
}
