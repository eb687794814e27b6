using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using SymGrad.Data;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Optimizers;
using SymGrad.Tensors;

namespace SymGrad.Training;

/// <summary>What to measure besides the loss.</summary>
public enum Metric
{
    /// <summary>The loss only.</summary>
    None,
    /// <summary>One logit per sample: correct when (logit &gt; 0) = (target &gt; 0.5).</summary>
    BinaryAccuracy,
    /// <summary>Class logits per sample: correct when the arg-max of the logits is the arg-max of the target.</summary>
    CategoricalAccuracy,
}

/// <summary>How <see cref="Trainer.Fit"/> trains.</summary>
public sealed class TrainingOptions
{
    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Samples per gradient step; the last batch of an epoch may be smaller.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Seed of the per-epoch shuffle: the same seed gives the same run, bit for bit.</summary>
    public int Seed { get; init; }
    /// <summary>Shuffle the training set every epoch.</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Evaluated after every epoch when given.</summary>
    public Dataset? Validation { get; init; }
    /// <summary>Accuracy to report besides the loss.</summary>
    public Metric Metric { get; init; }
    /// <summary>A penalty λΩ(W) added to the loss, and its gradient to the weights.</summary>
    public Regularizer? Regularizer { get; init; }
    /// <summary>
    /// Stop when the monitored loss (validation when given, else training) has not improved by more than
    /// <see cref="MinDelta"/> for this many epochs, and restore the best parameters. Null: never stop early.
    /// </summary>
    public int? Patience { get; init; }
    /// <summary>The least decrease that counts as an improvement.</summary>
    public float MinDelta { get; init; }
    /// <summary>When set, the best parameters so far are saved here (atomically) after each improving epoch.</summary>
    public string? CheckpointPath { get; init; }
    /// <summary>Called after every epoch (e.g. to print progress).</summary>
    public Action<EpochReport>? OnEpoch { get; init; }
    /// <summary>Called after every batch with (epoch, batch, batches in the epoch), for progress displays.</summary>
    public Action<int, int, int>? OnBatch { get; init; }
    /// <summary>
    /// The most threads the layers' and the optimizer's kernels use: 1 for the calling thread only; 0 (the default) for
    /// the limit set on the calling thread with <see cref="Tensors.Threads.Use"/>, every core unless one was set. The parameters after training are the same bits for any value (see <see cref="Tensors.Threads"/>).
    /// </summary>
    public int Threads { get; init; }
}

/// <summary>One epoch's figures.</summary>
public sealed record EpochReport(int Epoch, float TrainLoss, float? TrainAccuracy, float? ValidationLoss, float? ValidationAccuracy, float LearningRate, TimeSpan Elapsed);

/// <summary>What a training run did.</summary>
public sealed class TrainingHistory
{
    /// <summary>Every epoch, in order.</summary>
    public List<EpochReport> Epochs { get; } = new();
    /// <summary>The epoch whose parameters the network holds at the end (the best, with early stopping).</summary>
    public int BestEpoch { get; internal set; }
    /// <summary>True when early stopping ended the run.</summary>
    public bool StoppedEarly { get; internal set; }
}

/// <summary>Training stopped because a loss or gradient was not finite.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>Mini-batch training: forward, loss, backward, optimizer step; per-epoch metrics and early stopping.</summary>
public static class Trainer
{
    /// <summary>Trains <paramref name="network"/> on <paramref name="train"/>.</summary>
    public static TrainingHistory Fit(Network network, Loss loss, Optimizer optimizer, Dataset train, TrainingOptions? options = null)
    {
        options ??= new TrainingOptions();
        if (options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be positive.");
        if (options.Epochs < 0) throw new ArgumentOutOfRangeException(nameof(options), "Epochs must not be negative.");
        if (options.Threads < 0) throw new ArgumentOutOfRangeException(nameof(options), "Threads is 0 (every core) or positive.");
        // (0 keeps the limit the caller set on this thread with Threads.Use, every core by default.)
        using var threads = Tensors.Threads.Use(options.Threads > 0 ? options.Threads : Tensors.Threads.Limit);
        var history = new TrainingHistory();
        var random = new Random(options.Seed);
        var order = new int[train.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var batchX = new BufferCache();
        var batchY = new BufferCache();
        var sampleX = train.Features.Shape.Slice(1).ToArray();
        var sampleY = train.Targets.Shape.Slice(1).ToArray();
        var best = float.PositiveInfinity;
        byte[]? bestParameters = null;
        var sinceBest = 0;
        var step = 0;
        var clock = Stopwatch.StartNew();
        var batches = (train.Count + options.BatchSize - 1) / options.BatchSize;

        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            if (options.Shuffle) Dataset.Shuffle(order, random);
            var lossSum = 0.0;
            var correct = 0;
            for (var b = 0; b < batches; b++)
            {
                var start = b * options.BatchSize;
                var count = Math.Min(options.BatchSize, train.Count - start);
                var x = batchX.Get(count, sampleX);
                var y = batchY.Get(count, sampleY);
                train.CopyBatch(order.AsSpan(start, count), x, y);

                var prediction = network.Forward(x, training: true);
                var value = loss.Forward(prediction, y);
                if (options.Regularizer != null) value += options.Regularizer.Penalty(network.Parameters);
                step++;
                if (!float.IsFinite(value))
                    throw new TrainingDivergedException($"Training diverged at epoch {epoch}, step {step}: the loss is {value}." + Kept(options));
                network.ZeroGradients();
                network.BackwardParameters(loss.Gradient(prediction, y));
                options.Regularizer?.AddGradient(network.Parameters);
                CheckGradients(network, epoch, step, options);
                optimizer.Step(network.Parameters);

                lossSum += (double)value * count;
                correct += Correct(prediction, y, options.Metric);
                options.OnBatch?.Invoke(epoch, b + 1, batches);
            }

            float? validationLoss = null, validationAccuracy = null;
            if (options.Validation is { } validation)
                (validationLoss, validationAccuracy) = Evaluate(network, loss, validation, options.Metric, options.BatchSize);
            var report = new EpochReport(epoch, (float)(lossSum / train.Count),
                options.Metric == Metric.None ? null : (float)correct / train.Count,
                validationLoss, validationAccuracy, optimizer.CurrentLearningRate, clock.Elapsed);
            history.Epochs.Add(report);

            var monitored = validationLoss ?? report.TrainLoss;
            if (monitored < best - options.MinDelta)
            {
                best = monitored;
                sinceBest = 0;
                history.BestEpoch = epoch;
                if (options.Patience != null) bestParameters = Checkpoint.Serialize(network);
                if (options.CheckpointPath != null) Checkpoint.Save(options.CheckpointPath, network);
            }
            else sinceBest++;
            options.OnEpoch?.Invoke(report);
            if (options.Patience is { } patience && sinceBest >= patience)
            {
                history.StoppedEarly = true;
                break;
            }
        }
        if (bestParameters != null && history.BestEpoch != history.Epochs.Count) Checkpoint.Deserialize(bestParameters, network, "best parameters");
        else if (options.Patience is null) history.BestEpoch = history.Epochs.Count;
        return history;
    }

    /// <summary>Mean loss and (with a metric) accuracy of the network on a dataset, in inference mode.</summary>
    public static (float Loss, float? Accuracy) Evaluate(Network network, Loss loss, Dataset data, Metric metric = Metric.None, int batchSize = 256)
    {
        var total = 0.0;
        var correct = 0;
        for (var start = 0; start < data.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, data.Count - start);
            var x = data.Features.Rows(start, count);
            var y = data.Targets.Rows(start, count);
            var prediction = network.Forward(x, training: false);
            total += (double)loss.Forward(prediction, y) * count;
            correct += Correct(prediction, y, metric);
        }
        return ((float)(total / data.Count), metric == Metric.None ? null : (float)correct / data.Count);
    }

    /// <summary>How many samples of a batch the prediction gets right under <paramref name="metric"/>.</summary>
    public static int Correct(Tensor prediction, Tensor target, Metric metric)
    {
        if (metric == Metric.None) return 0;
        var batch = prediction.Dim(0);
        var width = prediction.Length / batch;
        var p = prediction.Span;
        var t = target.Span;
        var correct = 0;
        for (var i = 0; i < batch; i++)
        {
            var pr = p.Slice(i * width, width);
            var tr = t.Slice(i * width, width);
            if (metric == Metric.BinaryAccuracy)
            {
                for (var j = 0; j < width; j++)
                    if (pr[j] > 0 == tr[j] > 0.5f) correct++;
            }
            else if (ArgMax(pr) == ArgMax(tr)) correct++;
        }
        return metric == Metric.BinaryAccuracy ? correct / width : correct;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    private static void CheckGradients(Network network, int epoch, int step, TrainingOptions options)
    {
        for (var l = 0; l < network.Layers.Count; l++)
        {
            var parameters = network.Layers[l].Parameters;
            for (var k = 0; k < parameters.Count; k++)
            {
                var p = parameters[k];
                var g = p.Gradient.Span;
                // One vectorised pass (the largest magnitude is NaN or ∞ exactly when some entry is); the entry is found
                // only when there is one.
                if (g.Length == 0 || float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(g))) continue;
                for (var i = 0; i < g.Length; i++)
                    if (!float.IsFinite(g[i]))
                        throw new TrainingDivergedException(
                            $"Training diverged at epoch {epoch}, step {step}: the gradient of parameter {p.Name} of layer {l} ({network.Layers[l]}) is {g[i]} at index {i}." + Kept(options));
            }
        }
    }

    private static string Kept(TrainingOptions options) =>
        options.CheckpointPath != null && File.Exists(options.CheckpointPath)
            ? $" The last good parameters are in {options.CheckpointPath}."
            : "";
}
