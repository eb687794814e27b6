using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
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
    /// <summary>
    /// When set, the best parameters so far are saved here (atomically) after each improving epoch, in the
    /// <see cref="Checkpoint"/> format (parameters only: <see cref="Checkpoint.Load"/> reads them for inference).
    /// </summary>
    public string? CheckpointPath { get; init; }
    /// <summary>
    /// When set, the whole training state (parameters, the optimizer's moments and step count, the epoch, the
    /// early-stopping bookkeeping, the shuffle's and dropout's random state, the history) is saved here atomically after
    /// every epoch, and when the run is cancelled, after the last finished batch: <see cref="ResumeFrom"/> continues from it.
    /// </summary>
    public string? LastCheckpointPath { get; init; }
    /// <summary>
    /// A file <see cref="LastCheckpointPath"/> wrote: the run continues from it, and ends after <see cref="Epochs"/>
    /// epochs in all, counting those before it. The network and optimizer must be built as before and the seed, batch
    /// size, shuffle and training set the same; the parameters are then the same bits as an uninterrupted run's.
    /// It may be the same path as <see cref="LastCheckpointPath"/>.
    /// </summary>
    public string? ResumeFrom { get; init; }
    /// <summary>Called after every epoch (e.g. to print progress).</summary>
    public Action<EpochReport>? OnEpoch { get; init; }
    /// <summary>Called after every batch with the epoch's progress so far, for progress displays.</summary>
    public Action<BatchReport>? OnBatch { get; init; }
    /// <summary>
    /// The most threads the layers' and the optimizer's kernels use: 1 for the calling thread only; 0 (the default) for
    /// the limit set on the calling thread with <see cref="Tensors.Threads.Use"/>, every core unless one was set. The parameters after training are the same bits for any value (see <see cref="Tensors.Threads"/>).
    /// </summary>
    public int Threads { get; init; }
}

/// <summary>One epoch's figures; <c>LearningRate</c> is the rate its last step used.</summary>
public sealed record EpochReport(int Epoch, float TrainLoss, float? TrainAccuracy, float? ValidationLoss, float? ValidationAccuracy, float LearningRate, TimeSpan Elapsed);

/// <summary>
/// Progress within an epoch after a batch: <paramref name="Samples"/> of <paramref name="SamplesInEpoch"/> seen,
/// their mean loss so far, the learning rate of the last step and the time since the epoch (or its resumed part) began.
/// </summary>
public sealed record BatchReport(int Epoch, int Batch, int Batches, int Samples, int SamplesInEpoch, float RunningLoss, float LearningRate, TimeSpan EpochElapsed)
{
    /// <summary>Samples per second in this epoch so far.</summary>
    public double SamplesPerSecond => EpochElapsed.TotalSeconds > 0 ? SamplesTimed / EpochElapsed.TotalSeconds : 0;

    /// <summary>The samples <see cref="EpochElapsed"/> covers (fewer than <see cref="Samples"/> in a resumed epoch).</summary>
    public int SamplesTimed { get; init; } = Samples;

    /// <summary>The time the rest of the epoch will take at the current rate (null before there is a rate).</summary>
    public TimeSpan? Remaining => SamplesPerSecond > 0 ? TimeSpan.FromSeconds((SamplesInEpoch - Samples) / SamplesPerSecond) : null;
}

/// <summary>What a training run did.</summary>
public sealed class TrainingHistory
{
    /// <summary>Every epoch, in order.</summary>
    public List<EpochReport> Epochs { get; } = new();
    /// <summary>The epoch whose parameters the network holds at the end (the best, with early stopping).</summary>
    public int BestEpoch { get; internal set; }
    /// <summary>True when early stopping ended the run.</summary>
    public bool StoppedEarly { get; internal set; }

    private static readonly string[] Columns = ["epoch", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "learning_rate", "elapsed_seconds"];

    /// <summary>
    /// The epochs as CSV (RFC 4180, invariant culture, values that read back to the same floats): a header
    /// <c>epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,elapsed_seconds</c> and one
    /// row per epoch, an empty field where a figure was not measured.
    /// </summary>
    public string ToCsv()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(string.Join(",", Columns)).Append("\r\n");
        foreach (var r in Epochs)
            sb.Append(string.Join(",", r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.TrainLoss), F(r.TrainAccuracy), F(r.ValidationLoss),
                F(r.ValidationAccuracy), F(r.LearningRate), r.Elapsed.TotalSeconds.ToString("R", CultureInfo.InvariantCulture))).Append("\r\n");
        return sb.ToString();
    }

    /// <summary>
    /// The run as JSON: <c>{"bestEpoch":…,"stoppedEarly":…,"epochs":[{"epoch":1,"trainLoss":…,…}]}</c>, null where a
    /// figure was not measured.
    /// </summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(ms, new System.Text.Json.JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("bestEpoch", BestEpoch);
            w.WriteBoolean("stoppedEarly", StoppedEarly);
            w.WriteStartArray("epochs");
            foreach (var r in Epochs)
            {
                w.WriteStartObject();
                w.WriteNumber("epoch", r.Epoch);
                Number(w, "trainLoss", r.TrainLoss);
                Number(w, "trainAccuracy", r.TrainAccuracy);
                Number(w, "validationLoss", r.ValidationLoss);
                Number(w, "validationAccuracy", r.ValidationAccuracy);
                Number(w, "learningRate", r.LearningRate);
                w.WriteNumber("elapsedSeconds", r.Elapsed.TotalSeconds);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/> (or <see cref="ToJson"/> when it ends in <c>.json</c>).</summary>
    public void Save(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ToJson() : ToCsv());
    }

    private static string F(float? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";

    // JSON has no NaN or ∞: such a figure (a diverged epoch) is written as a string, as System.Text.Json's named
    // floating-point literals are.
    private static void Number(System.Text.Json.Utf8JsonWriter w, string name, float? v)
    {
        if (v is not { } x) w.WriteNull(name);
        else if (float.IsFinite(x)) w.WriteNumber(name, x);
        else w.WriteString(name, x.ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>Training stopped because a loss or gradient was not finite.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>Mini-batch training: forward, loss, backward, optimizer step; per-epoch metrics and early stopping.</summary>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="network"/> on <paramref name="train"/>. Cancelling <paramref name="cancellationToken"/> stops
    /// the run before the next batch: the state is saved to <see cref="TrainingOptions.LastCheckpointPath"/> when set
    /// (<see cref="TrainingOptions.ResumeFrom"/> continues from there) and <see cref="OperationCanceledException"/> is thrown.
    /// </summary>
    public static TrainingHistory Fit(Network network, Loss loss, Optimizer optimizer, Dataset train, TrainingOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TrainingOptions();
        if (options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be positive.");
        if (options.Epochs < 0) throw new ArgumentOutOfRangeException(nameof(options), "Epochs must not be negative.");
        if (options.Threads < 0) throw new ArgumentOutOfRangeException(nameof(options), "Threads is 0 (every core) or positive.");
        // (0 keeps the limit the caller set on this thread with Threads.Use, every core by default.)
        using var threads = Tensors.Threads.Use(options.Threads > 0 ? options.Threads : Tensors.Threads.Limit);
        var state = options.ResumeFrom is { } resume ? Resumed(resume, network, optimizer, train, options) : new TrainingState();
        state.Seed = options.Seed;
        state.BatchSize = options.BatchSize;
        state.Samples = train.Count;
        state.Shuffle = options.Shuffle;
        var history = new TrainingHistory { BestEpoch = state.BestEpoch, StoppedEarly = state.StoppedEarly };
        history.Epochs.AddRange(state.History);
        state.History = history.Epochs;

        // The shuffle draws from one generator run after run: a resumed run replays the draws made before it.
        var random = new Random(options.Seed);
        var order = new int[train.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        if (options.Shuffle)
            for (var e = 0; e < state.ShuffledEpoch; e++) Dataset.Shuffle(order, random);
        var batchX = new BufferCache();
        var batchY = new BufferCache();
        var sampleX = train.Features.Shape.Slice(1).ToArray();
        var sampleY = train.Targets.Shape.Slice(1).ToArray();
        var clock = Stopwatch.StartNew();
        var before = TimeSpan.FromSeconds(state.ElapsedSeconds);
        var batches = (train.Count + options.BatchSize - 1) / options.BatchSize;

        for (; state.Epoch <= options.Epochs && !state.StoppedEarly; state.Epoch++)
        {
            var epoch = state.Epoch;
            if (options.Shuffle && state.ShuffledEpoch < epoch)
            {
                Dataset.Shuffle(order, random);
                state.ShuffledEpoch = epoch;
            }
            var epochClock = Stopwatch.StartNew();
            var firstBatch = state.Batch;
            // The rate the epoch's last step used (CurrentLearningRate after it is the next step's).
            var epochRate = optimizer.CurrentLearningRate;
            for (var b = state.Batch; b < batches; b++)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    state.Batch = b;
                    state.ElapsedSeconds = (before + clock.Elapsed).TotalSeconds;
                    if (options.LastCheckpointPath != null) Save(options.LastCheckpointPath, state, network, optimizer);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                var start = b * options.BatchSize;
                var count = Math.Min(options.BatchSize, train.Count - start);
                var x = batchX.Get(count, sampleX);
                var y = batchY.Get(count, sampleY);
                train.CopyBatch(order.AsSpan(start, count), x, y);

                var prediction = network.Forward(x, training: true);
                var value = loss.Forward(prediction, y);
                if (options.Regularizer != null) value += options.Regularizer.Penalty(network.Parameters);
                state.Step++;
                if (!float.IsFinite(value))
                    throw new TrainingDivergedException($"Training diverged at epoch {epoch}, step {state.Step}: the loss is {value}." + Kept(options));
                network.ZeroGradients();
                network.BackwardParameters(loss.Gradient(prediction, y));
                options.Regularizer?.AddGradient(network.Parameters);
                CheckGradients(network, epoch, state.Step, options);
                var rate = epochRate = optimizer.CurrentLearningRate;
                optimizer.Step(network.Parameters);

                state.LossSum += (double)value * count;
                state.Correct += Correct(prediction, y, options.Metric);
                if (options.OnBatch is { } onBatch)
                {
                    var seen = start + count;
                    onBatch(new BatchReport(epoch, b + 1, batches, seen, train.Count, (float)(state.LossSum / seen), rate, epochClock.Elapsed)
                    {
                        SamplesTimed = seen - firstBatch * options.BatchSize,
                    });
                }
            }

            float? validationLoss = null, validationAccuracy = null;
            if (options.Validation is { } validation)
                (validationLoss, validationAccuracy) = Evaluate(network, loss, validation, options.Metric, options.BatchSize);
            var report = new EpochReport(epoch, (float)(state.LossSum / train.Count),
                options.Metric == Metric.None ? null : (float)state.Correct / train.Count,
                validationLoss, validationAccuracy, epochRate, before + clock.Elapsed);
            history.Epochs.Add(report);
            state.Batch = 0;
            state.LossSum = 0;
            state.Correct = 0;

            var monitored = validationLoss ?? report.TrainLoss;
            if (monitored < state.Best - options.MinDelta)
            {
                state.Best = monitored;
                state.SinceBest = 0;
                state.BestEpoch = history.BestEpoch = epoch;
                if (options.Patience != null) state.BestParameters = Checkpoint.Serialize(network);
                if (options.CheckpointPath != null) Checkpoint.Save(options.CheckpointPath, network);
            }
            else state.SinceBest++;
            if (options.Patience is { } patience && state.SinceBest >= patience) state.StoppedEarly = history.StoppedEarly = true;
            if (options.LastCheckpointPath != null)
            {
                state.Epoch++;
                state.ElapsedSeconds = (before + clock.Elapsed).TotalSeconds;
                Save(options.LastCheckpointPath, state, network, optimizer);
                state.Epoch--;
            }
            options.OnEpoch?.Invoke(report);
        }
        if (state.BestParameters != null && history.BestEpoch != history.Epochs.Count) Checkpoint.Deserialize(state.BestParameters, network, "best parameters");
        else if (options.Patience is null) history.BestEpoch = history.Epochs.Count;
        return history;
    }

    private static void Save(string path, TrainingState state, Network network, Optimizer optimizer)
    {
        state.Capture(network, optimizer);
        Checkpoint.WriteAtomically(path, state.Serialize());
    }

    private static TrainingState Resumed(string path, Network network, Optimizer optimizer, Dataset train, TrainingOptions options)
    {
        var state = TrainingState.Read(path);
        void Same<T>(string what, T saved, T now)
        {
            if (!EqualityComparer<T>.Default.Equals(saved, now))
                throw new InvalidDataException($"{path}: saved from a run with {what} {saved}; this run has {now} (a run resumes with the options and data it began with).");
        }
        Same("seed", state.Seed, options.Seed);
        Same("batch size", state.BatchSize, options.BatchSize);
        Same("shuffle", state.Shuffle, options.Shuffle);
        Same("training samples", state.Samples, train.Count);
        state.Restore(network, optimizer, path);
        return state;
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
    public static int Correct(DenseTensor prediction, DenseTensor target, Metric metric)
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
