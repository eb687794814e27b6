using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using SymGrad.Data;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Optimizers;
using SymGrad.Tensors;
using SymGrad.Training;

namespace SymGrad.Tests;

/// <summary>Resuming, cancelling, progress reports and the exported history of <see cref="Trainer.Fit"/>.</summary>
public class ResumeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "symgrad-resume-" + Guid.NewGuid().ToString("N"));

    public ResumeTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    // Everything that carries state from batch to batch: dropout's generator, Adam's moments, a schedule on the step
    // count, the shuffle, early stopping's best parameters, and a last batch smaller than the others (50 = 3·16 + 2).
    private static Network Net() =>
        new(new Dense(4, 8, seed: 1), new Activation<Relu>(), new Dropout(0.3f, seed: 2), new Dense(8, 3, seed: 3));

    private static Adam NewAdam() => new(0.01f, schedule: LearningRateSchedule.Cosine(12, 0.001f));

    private static (Dataset Train, Dataset Validation) Data()
    {
        var r = new Random(7);
        Dataset Make(int n)
        {
            var x = new DenseTensor(n, 4);
            var y = new DenseTensor(n, 3);
            for (var i = 0; i < n; i++)
            {
                var s = 0f;
                for (var j = 0; j < 4; j++) s += x[i, j] = (float)(r.NextDouble() * 2 - 1);
                y[i, s < -0.3f ? 0 : s < 0.3f ? 1 : 2] = 1;
            }
            return new Dataset(x, y);
        }
        return (Make(50), Make(20));
    }

    private TrainingOptions Options(int epochs, Dataset validation, string? last = null, string? resume = null, Action<BatchReport>? onBatch = null) => new()
    {
        Epochs = epochs,
        BatchSize = 16,
        Seed = 11,
        Validation = validation,
        Metric = Metric.CategoricalAccuracy,
        Patience = 100,
        Regularizer = Regularizer.L2(1e-3f),
        CheckpointPath = Path.Combine(_dir, "best.sgckpt"),
        LastCheckpointPath = last,
        ResumeFrom = resume,
        OnBatch = onBatch,
    };

    private static void AssertSameRun(Network expected, Optimizer expectedOptimizer, TrainingHistory expectedHistory,
        Network actual, Optimizer actualOptimizer, TrainingHistory actualHistory)
    {
        for (var i = 0; i < expected.Parameters.Count; i++)
            Assert.Equal(expected.Parameters[i].Value.Span.ToArray(), actual.Parameters[i].Value.Span.ToArray());
        Assert.Equal(expectedOptimizer.Steps, actualOptimizer.Steps);
        Assert.Equal(expectedOptimizer.CurrentLearningRate, actualOptimizer.CurrentLearningRate);
        Assert.Equal(expectedHistory.BestEpoch, actualHistory.BestEpoch);
        Assert.Equal(
            expectedHistory.Epochs.Select(e => e with { Elapsed = default }),
            actualHistory.Epochs.Select(e => e with { Elapsed = default }));
    }

    [Fact]
    public void TwoEpochs_ThenResume_ThenTwoMore_IsFourEpochs_BitForBit()
    {
        var (train, validation) = Data();
        var whole = Net();
        var wholeAdam = NewAdam();
        var wholeHistory = Trainer.Fit(whole, new SoftmaxCrossEntropy(), wholeAdam, train, Options(4, validation));

        var last = Path.Combine(_dir, "last.sgtrain");
        var first = Net();
        Trainer.Fit(first, new SoftmaxCrossEntropy(), NewAdam(), train, Options(2, validation, last: last));
        // A new process, in effect: the network and optimizer built afresh, everything else from the file.
        var resumed = Net();
        var resumedAdam = NewAdam();
        var resumedHistory = Trainer.Fit(resumed, new SoftmaxCrossEntropy(), resumedAdam, train, Options(4, validation, last: last, resume: last));

        Assert.Equal(4, resumedHistory.Epochs.Count);
        AssertSameRun(whole, wholeAdam, wholeHistory, resumed, resumedAdam, resumedHistory);
        // Without the optimizer's moments, the schedule's step or dropout's generator the runs part: the test can fail.
        var fresh = Net();
        Trainer.Fit(fresh, new SoftmaxCrossEntropy(), NewAdam(), train, Options(2, validation));
        Trainer.Fit(fresh, new SoftmaxCrossEntropy(), NewAdam(), train, Options(2, validation));
        Assert.NotEqual(whole.Parameters[0].Value.Span.ToArray(), fresh.Parameters[0].Value.Span.ToArray());
    }

    [Fact]
    public void CancelledMidEpoch_SavesTheState_AndTheResumedRunEndsAsAnUninterruptedOne()
    {
        var (train, validation) = Data();
        var whole = Net();
        var wholeAdam = NewAdam();
        var wholeHistory = Trainer.Fit(whole, new SoftmaxCrossEntropy(), wholeAdam, train, Options(4, validation));

        var last = Path.Combine(_dir, "last.sgtrain");
        using var cancel = new CancellationTokenSource();
        var seen = new List<(int, int)>();
        var interrupted = Net();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Fit(interrupted, new SoftmaxCrossEntropy(), NewAdam(), train,
            Options(4, validation, last: last, onBatch: r =>
            {
                seen.Add((r.Epoch, r.Batch));
                if (r.Epoch == 3 && r.Batch == 2) cancel.Cancel();
            }), cancel.Token));
        Assert.Equal((3, 2), seen[^1]);

        var resumed = Net();
        var resumedAdam = NewAdam();
        var resumedSeen = new List<(int, int)>();
        var resumedHistory = Trainer.Fit(resumed, new SoftmaxCrossEntropy(), resumedAdam, train,
            Options(4, validation, last: last, resume: last, onBatch: r => resumedSeen.Add((r.Epoch, r.Batch))));
        Assert.Equal((3, 3), resumedSeen[0]); // the batch after the last one done
        AssertSameRun(whole, wholeAdam, wholeHistory, resumed, resumedAdam, resumedHistory);
    }

    [Fact]
    public void AFinishedRun_ResumedWithMoreEpochs_Continues_AndWithAsMany_ChangesNothing()
    {
        var (train, validation) = Data();
        var last = Path.Combine(_dir, "last.sgtrain");
        var net = Net();
        Trainer.Fit(net, new SoftmaxCrossEntropy(), NewAdam(), train, Options(3, validation, last: last));
        var again = Net();
        var history = Trainer.Fit(again, new SoftmaxCrossEntropy(), NewAdam(), train, Options(3, validation, resume: last));
        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(net.Parameters[2].Value.Span.ToArray(), again.Parameters[2].Value.Span.ToArray());
    }

    [Fact]
    public void ResumingWithOtherOptions_OrFromAnotherFile_SaysWhatDiffers_AndChangesNothing()
    {
        var (train, validation) = Data();
        var last = Path.Combine(_dir, "last.sgtrain");
        Trainer.Fit(Net(), new SoftmaxCrossEntropy(), NewAdam(), train, Options(1, validation, last: last));
        var net = Net();
        var before = net.Parameters[0].Value.Span.ToArray();

        var e = Assert.Throws<InvalidDataException>(() => Trainer.Fit(net, new SoftmaxCrossEntropy(), NewAdam(), train,
            new TrainingOptions { Epochs = 2, BatchSize = 8, Seed = 11, ResumeFrom = last }));
        Assert.Contains(last, e.Message);
        Assert.Contains("batch size 16", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Trainer.Fit(net, new SoftmaxCrossEntropy(), new Sgd(0.1f), train, Options(2, validation, resume: last)));
        Assert.Contains("optimizer SymGrad.Optimizers.Adam", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Trainer.Fit(new Network(new Dense(4, 3, seed: 1)), new SoftmaxCrossEntropy(), NewAdam(), train, Options(2, validation, resume: last)));
        Assert.Contains("different architecture", e.Message);
        // The best-parameters file is not a training state, and a flipped byte is corruption.
        e = Assert.Throws<InvalidDataException>(() => Trainer.Fit(net, new SoftmaxCrossEntropy(), NewAdam(), train, Options(2, validation, resume: Path.Combine(_dir, "best.sgckpt"))));
        Assert.Contains("LastCheckpointPath", e.Message);
        var bytes = File.ReadAllBytes(last);
        bytes[bytes.Length / 2] ^= 0x10;
        var corrupted = Path.Combine(_dir, "corrupted.sgtrain");
        File.WriteAllBytes(corrupted, bytes);
        e = Assert.Throws<InvalidDataException>(() => Trainer.Fit(net, new SoftmaxCrossEntropy(), NewAdam(), train, Options(2, validation, resume: corrupted)));
        Assert.Contains("corrupted", e.Message);
        File.WriteAllBytes(corrupted, File.ReadAllBytes(last).AsSpan(0, 40).ToArray());
        Assert.Throws<InvalidDataException>(() => Trainer.Fit(net, new SoftmaxCrossEntropy(), NewAdam(), train, Options(2, validation, resume: corrupted)));
        Assert.Throws<FileNotFoundException>(() => Trainer.Fit(net, new SoftmaxCrossEntropy(), NewAdam(), train, Options(2, validation, resume: Path.Combine(_dir, "none"))));

        Assert.Equal(before, net.Parameters[0].Value.Span.ToArray());
    }

    [Fact]
    public void ResumingWithOtherHyperparameters_IsRefused_NamingThem()
    {
        var (train, validation) = Data();
        var last = Path.Combine(_dir, "last.sgtrain");
        Trainer.Fit(Net(), new SoftmaxCrossEntropy(), NewAdam(), train, Options(1, validation, last: last));

        var e = Assert.Throws<InvalidDataException>(() => Trainer.Fit(Net(), new SoftmaxCrossEntropy(), new Adam(0.02f, schedule: LearningRateSchedule.Cosine(12, 0.001f)), train, Options(2, validation, resume: last)));
        Assert.Contains("learning rate 0.01", e.Message);
        Assert.Contains("learning rate 0.02", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Trainer.Fit(Net(), new SoftmaxCrossEntropy(), new Adam(0.01f), train, Options(2, validation, resume: last)));
        Assert.Contains("Cosine(12, 0.001)", e.Message);
        var otherDropout = new Network(new Dense(4, 8, seed: 1), new Activation<Relu>(), new Dropout(0.1f, seed: 2), new Dense(8, 3, seed: 3));
        e = Assert.Throws<InvalidDataException>(() => Trainer.Fit(otherDropout, new SoftmaxCrossEntropy(), NewAdam(), train, Options(2, validation, resume: last)));
        Assert.Contains("layer 2 is Dropout(0.3) in the file but Dropout(0.1) in this network", e.Message);
    }

    [Fact]
    public void TheLastState_LoadsAsParameters_ForInference()
    {
        var (train, validation) = Data();
        var last = Path.Combine(_dir, "last.sgtrain");
        var trained = Net();
        Trainer.Fit(trained, new SoftmaxCrossEntropy(), NewAdam(), train, new TrainingOptions { Epochs = 2, BatchSize = 16, Seed = 11, Validation = validation, LastCheckpointPath = last });
        var loaded = Net();
        Checkpoint.Load(last, loaded);
        for (var i = 0; i < trained.Parameters.Count; i++)
            Assert.Equal(trained.Parameters[i].Value.Span.ToArray(), loaded.Parameters[i].Value.Span.ToArray());
    }

    [Fact]
    public void EpochLearningRate_IsTheRateItsLastStepUsed()
    {
        var (train, _) = Data();
        var reports = new List<BatchReport>();
        // 4 batches an epoch, the rate halving every 4 steps: epoch 1 trains at 0.1 throughout, epoch 2 at 0.05.
        var history = Trainer.Fit(Net(), new SoftmaxCrossEntropy(), new Sgd(0.1f, LearningRateSchedule.StepDecay(4, 0.5f)), train,
            new TrainingOptions { Epochs = 2, BatchSize = 16, OnBatch = reports.Add });
        Assert.Equal(new[] { 0.1f, 0.05f }, history.Epochs.Select(e => e.LearningRate));
        Assert.Equal(reports[3].LearningRate, history.Epochs[0].LearningRate);
        Assert.Equal(reports[7].LearningRate, history.Epochs[1].LearningRate);
    }

    [Fact]
    public void BatchReports_CountSamples_AndCarryTheRunningLoss()
    {
        var (train, validation) = Data();
        var reports = new List<BatchReport>();
        var history = Trainer.Fit(Net(), new SoftmaxCrossEntropy(), NewAdam(), train, Options(2, validation, onBatch: reports.Add));
        Assert.Equal(8, reports.Count);
        Assert.Equal(new[] { 16, 32, 48, 50 }, reports.Take(4).Select(r => r.Samples));
        Assert.All(reports, r => Assert.Equal(50, r.SamplesInEpoch));
        // The last batch's running loss is the epoch's loss (before the penalty's share differs: both include it).
        Assert.Equal(history.Epochs[0].TrainLoss, reports[3].RunningLoss, 5);
        Assert.Equal(history.Epochs[1].TrainLoss, reports[7].RunningLoss, 5);
        // The learning rate each batch stepped with: the cosine schedule from 0.01 down.
        Assert.Equal(0.01f, reports[0].LearningRate);
        Assert.True(reports[7].LearningRate < reports[1].LearningRate);
    }

    [Fact]
    public void History_AsCsvAndJson_ReadsBackToTheSameFigures()
    {
        var (train, validation) = Data();
        var history = Trainer.Fit(Net(), new SoftmaxCrossEntropy(), NewAdam(), train, Options(3, validation));
        var csv = Path.Combine(_dir, "out", "history.csv");
        var json = Path.Combine(_dir, "out", "history.json");
        history.Save(csv);
        history.Save(json);

        var lines = File.ReadAllLines(csv);
        Assert.Equal("epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,elapsed_seconds", lines[0]);
        Assert.Equal(4, lines.Length);
        for (var i = 0; i < 3; i++)
        {
            var f = lines[i + 1].Split(',');
            var e = history.Epochs[i];
            Assert.Equal(e.Epoch, int.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(e.TrainLoss, float.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(e.ValidationAccuracy, float.Parse(f[4], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(e.LearningRate, float.Parse(f[5], System.Globalization.CultureInfo.InvariantCulture));
        }

        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        var epochs = doc.RootElement.GetProperty("epochs");
        Assert.Equal(3, epochs.GetArrayLength());
        Assert.Equal(history.BestEpoch, doc.RootElement.GetProperty("bestEpoch").GetInt32());
        Assert.Equal(history.Epochs[2].ValidationLoss, epochs[2].GetProperty("validationLoss").GetSingle());
        Assert.Equal(history.Epochs[1].TrainAccuracy, epochs[1].GetProperty("trainAccuracy").GetSingle());

        // Without validation, its columns are empty and its JSON figures null.
        var plain = Trainer.Fit(Net(), new SoftmaxCrossEntropy(), NewAdam(), train, new TrainingOptions { Epochs = 1, BatchSize = 16 });
        Assert.EndsWith(",,,", string.Join(",", plain.ToCsv().Split("\r\n")[1].Split(',').Take(5)));
        using var plainDoc = System.Text.Json.JsonDocument.Parse(plain.ToJson());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, plainDoc.RootElement.GetProperty("epochs")[0].GetProperty("validationLoss").ValueKind);
    }

    [Fact]
    public void Dropout_StateRoundTrips_AndDrawsContinueWhereTheyStopped()
    {
        var a = new Dropout(0.5f, seed: 3);
        var b = new Dropout(0.5f, seed: 3);
        var x = new DenseTensor(4, 64);
        x.Span.Fill(1f);
        a.Forward(x, training: true);
        b.RestoreState(a.SaveState());
        var fromA = a.Forward(x, training: true).Span.ToArray();
        var fromB = b.Forward(x, training: true).Span.ToArray();
        Assert.Equal(fromA, fromB);
        // …and the second draw differs from the first (the state moved on), with about half dropped.
        var first = new Dropout(0.5f, seed: 3).Forward(x, training: true).Span.ToArray();
        Assert.NotEqual(first, fromA);
        Assert.InRange(fromA.Count(v => v == 0), 96, 160);
        Assert.Throws<ArgumentException>(() => b.RestoreState(new byte[3]));
        Assert.Throws<ArgumentException>(() => new Dense(2, 2).RestoreState(new byte[1]));
    }
}
