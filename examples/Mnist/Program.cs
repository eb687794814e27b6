using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using SymGrad.Data;
using SymGrad.Examples;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Optimizers;
using SymGrad.Plotting;
using SymGrad.Tensors;
using SymGrad.Training;

// An MLP (784-128-10) and a small CNN (conv → pool → conv → pool → dense) on MNIST, trained on generated gradients.
// Without the IDX files it says so and trains on a generated stand-in of the same shape, so it always runs; a file
// named but missing is an error, never a reason to fall back. Ctrl-C stops after the current batch, saves the whole
// training state and prints the command that resumes it (--resume). --generated-backward runs every dense, convolution
// and pooling layer's backward pass through the gradients SymGrad generated from their formulas
// (Functions/LayerFormulas.cs) instead of the hand-written kernels.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var trainImagesOption = ExampleCommandLine.ExistingFile("--train-images", "MNIST training images, IDX (train-images-idx3-ubyte, or its .gz)");
var trainLabelsOption = ExampleCommandLine.ExistingFile("--train-labels", "MNIST training labels, IDX (train-labels-idx1-ubyte, or its .gz)");
var testImagesOption = ExampleCommandLine.ExistingFile("--test-images", "MNIST test images, IDX (t10k-images-idx3-ubyte, or its .gz); without them 1/7 of the training set is held out");
var testLabelsOption = ExampleCommandLine.ExistingFile("--test-labels", "MNIST test labels, IDX (t10k-labels-idx1-ubyte, or its .gz)");
var epochsOption = ExampleCommandLine.Integer("--epochs", "Epochs of each network (with --resume: in all, counting those already done)", 2);
var limitOption = ExampleCommandLine.Integer("--limit", "Train on this many images of the training set, drawn at random (0: all)", 0, minimum: 0);
var outOption = ExampleCommandLine.Out("the plots and the training histories");
var curveOption = new Option<string>("--loss-curve")
{
    Description = "File name of the loss plot, in the --out folder",
    DefaultValueFactory = _ => "mnist-loss.png",
    HelpName = "file",
};
var checkpointOption = new Option<string?>("--checkpoint-dir")
{
    Description = "Folder for the training state (mnist-mlp.last.sgtrain, …) and best parameters (mnist-mlp.best.sgckpt, …) [default: the --out folder]",
    HelpName = "folder",
};
var resumeOption = new Option<bool>("--resume") { Description = "Continue the run whose state is in --checkpoint-dir (after Ctrl-C, or with a larger --epochs)" };
var generatedOption = new Option<bool>("--generated-backward") { Description = "Run every layer's backward pass on the gradients SymGrad generated from the layer formulas" };
var command = new RootCommand(
    "An MLP (784-128-10) and a small CNN trained on MNIST with SymGrad's generated gradients. Without the IDX files it trains " +
    "on a generated stand-in of the same shape. Ctrl-C saves the training state; --resume continues it.\n" +
    "Run: dotnet run -c Release --project examples/Mnist [-- options]")
{
    trainImagesOption, trainLabelsOption, testImagesOption, testLabelsOption, epochsOption, limitOption, outOption, curveOption,
    checkpointOption, resumeOption, generatedOption,
};
// The files come in pairs, and test files only with training files.
command.Validators.Add(result =>
{
    void Pair(Option<string?> a, Option<string?> b)
    {
        if ((result.GetResult(a) is null) != (result.GetResult(b) is null))
            result.AddError($"{(result.GetResult(a) is null ? b.Name : a.Name)} was given without {(result.GetResult(a) is null ? a.Name : b.Name)}: give both.");
    }
    Pair(trainImagesOption, trainLabelsOption);
    Pair(testImagesOption, testLabelsOption);
    if (result.GetResult(testImagesOption) != null && result.GetResult(trainImagesOption) is null)
        result.AddError("--test-images and --test-labels need --train-images and --train-labels.");
});
if (ExampleCommandLine.Parse(command, args, out var parse) is { } exit) return exit;
var epochs = parse.GetValue(epochsOption);
var limit = parse.GetValue(limitOption);
var outFolder = parse.GetValue(outOption)!;
var checkpointFolder = parse.GetValue(checkpointOption) ?? outFolder;
var resume = parse.GetValue(resumeOption);
ExampleCommandLine.PrintBuildNote();

// The files each network's training writes, checked before the data is loaded: --resume needs a state to resume.
string[] keys = ["mlp", "cnn"];
string LastState(string key) => Path.Combine(checkpointFolder, $"mnist-{key}.last.sgtrain");
string BestParameters(string key) => Path.Combine(checkpointFolder, $"mnist-{key}.best.sgckpt");
if (resume && keys.All(k => !File.Exists(LastState(k))))
{
    Console.Error.WriteLine($"error: --resume: there is no saved state to resume: neither {LastState("mlp")} nor {LastState("cnn")} exists " +
        "(a run writes them after every epoch and on Ctrl-C; --checkpoint-dir says where).");
    return ExampleCommandLine.UsageError;
}

Dataset train, test;
string? trainImages = parse.GetValue(trainImagesOption), trainLabels = parse.GetValue(trainLabelsOption);
var real = trainImages != null;
if (trainImages != null && trainLabels != null)
{
    try
    {
        train = IdxLoader.LoadMnist(trainImages, trainLabels);
        string? testImages = parse.GetValue(testImagesOption), testLabels = parse.GetValue(testLabelsOption);
        if (testImages != null && testLabels != null) test = IdxLoader.LoadMnist(testImages, testLabels);
        else (train, test) = train.Split(1f / 7, seed: 1);
    }
    catch (InvalidDataException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
    Console.WriteLine($"MNIST: {train.Count} training and {test.Count} test images from {trainImages}.");
}
else
{
    Console.WriteLine("No MNIST files given (--train-images, --train-labels): training on a generated stand-in of the same shape.");
    (train, test) = StandIn(3000, seed: 2).Split(0.2f, seed: 3);
    Console.WriteLine($"Stand-in: {train.Count} training and {test.Count} test images, 28×28×1, 10 classes (a noisy stroke pattern per class).");
}
if (limit > 0 && train.Count > limit) train = train.Take(Dataset.Permutation(train.Count, 4).AsSpan(0, limit));
// Plot titles say what the data is: "MNIST" only for the real files.
var dataName = real ? "MNIST" : "Synthetic stand-in data";

var mlp = new Network(new Flatten(), new Dense(784, 128, seed: 5), new Activation<Relu>(), new Dense(128, 10, seed: 6));
var cnn = new Network(
    new Conv2D(1, 8, kernel: 3, padding: 1, seed: 7), new Activation<Relu>(), new MaxPool2D(2),
    new Conv2D(8, 16, kernel: 3, padding: 1, seed: 8), new Activation<Relu>(), new MaxPool2D(2),
    new Flatten(), new Dense(16 * 7 * 7, 10, seed: 9));
if (parse.GetValue(generatedOption))
{
    foreach (var layer in mlp.Layers.Concat(cnn.Layers))
        switch (layer)
        {
            case Dense dense: dense.UseGeneratedBackward = true; break;
            case Conv2D conv: conv.UseGeneratedBackward = true; break;
            case Pool2D pool: pool.UseGeneratedBackward = true; break;
        }
    Console.WriteLine("Every layer's backward pass runs on generated gradients (--generated-backward).");
}

var runs = new[] { ("MLP", "mlp", mlp), ("CNN", "cnn", cnn) };
if (!resume)
    foreach (var file in keys.SelectMany(k => new[] { LastState(k), BestParameters(k) }).Where(File.Exists))
    {
        // A fresh run starts both networks from the beginning: an earlier run's files would otherwise be resumed by a later
        // --resume, or reported as this run's best parameters, as if they belonged to it.
        File.Delete(file);
        Console.WriteLine($"Starting afresh: removed the earlier run's {file} (--resume continues a run instead).");
    }

// Ctrl-C: the first press stops training after the current batch (the state is saved and the run can be resumed); a
// second one ends the process at once.
using var stop = new CancellationTokenSource();
var presses = 0;
Console.CancelKeyPress += (_, e) =>
{
    if (Interlocked.Increment(ref presses) > 1) return;
    e.Cancel = true;
    stop.Cancel();
    Console.Error.WriteLine();
    Console.Error.WriteLine("Ctrl-C: stopping after the current batch and saving the training state (press it again to quit at once).");
};

var histories = new List<(string, TrainingHistory)>();
foreach (var (name, key, network) in runs)
{
    Console.WriteLine();
    Console.WriteLine($"{name}:");
    Console.WriteLine(network.Summary(28, 28, 1));
    var resumeFrom = resume && File.Exists(LastState(key)) ? LastState(key) : null;
    if (resume) Console.WriteLine(resumeFrom != null ? $"Resuming from {resumeFrom}." : $"No saved state for the {name} ({LastState(key)}): it starts from the beginning.");
    var progress = new ConsoleProgress(epochs);
    // Samples trained in this process (a resumed epoch counts only its rest), for the throughput.
    long samples = 0;
    var (epochSeen, timed) = (0, 0);
    var clock = Stopwatch.StartNew();
    TrainingHistory history;
    try
    {
        history = Trainer.Fit(network, new SoftmaxCrossEntropy(), new Adam(0.001f), train, new TrainingOptions
        {
            Epochs = epochs,
            BatchSize = 64,
            Seed = 10,
            Metric = Metric.CategoricalAccuracy,
            Validation = test,
            LastCheckpointPath = LastState(key),
            CheckpointPath = BestParameters(key),
            ResumeFrom = resumeFrom,
            OnBatch = r =>
            {
                if (r.Epoch != epochSeen) (samples, epochSeen) = (samples + timed, r.Epoch);
                timed = r.SamplesTimed;
                progress.Batch(r);
            },
            OnEpoch = progress.Epoch,
        }, stop.Token);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine();
        Console.WriteLine($"Stopped during the {name}'s training. Its training state is saved in {Path.GetFullPath(LastState(key))}" +
            (File.Exists(BestParameters(key)) ? $", its best parameters so far in {Path.GetFullPath(BestParameters(key))}." : "."));
        Console.WriteLine($"The {name}'s history and the plots are written when the run finishes. To resume:");
        Console.WriteLine("  " + ResumeCommand());
        Console.WriteLine($"  (this build directly: {DirectCommand()})");
        return 130;
    }
    catch (InvalidDataException e)
    {
        // A saved state that does not fit this run (other data, --limit or network): named, never ignored.
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
    var seconds = clock.Elapsed.TotalSeconds;
    samples += timed;
    var accuracy = history.Epochs[^1].ValidationAccuracy!.Value;
    Console.WriteLine(samples > 0
        ? $"{name}: test accuracy {100 * accuracy:F2}%, {samples / seconds:F0} samples/s"
        : $"{name}: test accuracy {100 * accuracy:F2}% (its {history.Epochs.Count} epochs were done before; nothing left to train)");
    var historyPath = Path.Combine(outFolder, $"mnist-{key}-history.csv");
    history.Save(historyPath);
    Console.WriteLine($"History: {Path.GetFullPath(historyPath)}");
    histories.Add((name, history));
}

var curve = Path.Combine(outFolder, parse.GetValue(curveOption)!);
LossCurve.SavePng(histories, curve, $"{dataName}: softmax cross-entropy per epoch");
var accuracyPlot = Path.Combine(outFolder, "mnist-accuracy.png");
LossCurve.SaveAccuracyPng(histories, accuracyPlot, $"{dataName}: accuracy per epoch (validation = test images)");
Console.WriteLine($"Loss curves: {Path.GetFullPath(curve)}");
Console.WriteLine($"Accuracy: {Path.GetFullPath(accuracyPlot)}");
Console.WriteLine($"Training state: {Path.GetFullPath(checkpointFolder)} (mnist-mlp.last.sgtrain, mnist-cnn.last.sgtrain; best parameters mnist-*.best.sgckpt)");
return 0;

// The command line that resumes this run: the same options and --resume, through dotnet run from the repository root.
string ResumeCommand()
{
#if DEBUG
    const string configuration = "";
#else
    const string configuration = "-c Release ";
#endif
    return $"dotnet run {configuration}--project examples/Mnist -- {ArgumentsWithResume()}";
}

// The same for this very build: the executable (or dotnet and the assembly) this process was started as.
string DirectCommand()
{
    var assembly = Environment.GetCommandLineArgs()[0];
    var host = Environment.ProcessPath ?? "dotnet";
    var start = Path.GetFileNameWithoutExtension(host) == "dotnet" ? $"{Quote(host)} {Quote(assembly)}" : Quote(host);
    return $"{start} {ArgumentsWithResume()}";
}

string ArgumentsWithResume() => string.Join(" ", args.Select(Quote).Concat(args.Contains("--resume") ? [] : ["--resume"]));

// An argument as a POSIX shell reads it back: bare when it holds only safe characters, else in single quotes.
static string Quote(string argument) =>
    argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c))
        ? argument
        : "'" + argument.Replace("'", "'\\''") + "'";

// Ten classes, each a fixed random stroke (a short random walk) drawn thick at a random offset, plus noise.
static Dataset StandIn(int n, int seed)
{
    var random = new Random(seed);
    var strokes = new (int R, int C)[10][];
    for (var k = 0; k < 10; k++)
    {
        var walk = new (int, int)[40];
        int r = 14, c = 14;
        for (var s = 0; s < walk.Length; s++)
        {
            r = Math.Clamp(r + random.Next(-1, 2) * 2, 4, 23);
            c = Math.Clamp(c + random.Next(-1, 2) * 2, 4, 23);
            walk[s] = (r, c);
        }
        strokes[k] = walk;
    }
    var x = new DenseTensor(n, 28, 28, 1);
    var y = new DenseTensor(n, 10);
    for (var i = 0; i < n; i++)
    {
        var k = i % 10;
        int dr = random.Next(-2, 3), dc = random.Next(-2, 3);
        foreach (var (r, c) in strokes[k])
        for (var a = -1; a <= 1; a++)
        for (var b = -1; b <= 1; b++)
            x[i, Math.Clamp(r + dr + a, 0, 27), Math.Clamp(c + dc + b, 0, 27), 0] = 1f;
        foreach (ref var v in x.Row(i).Span) v = Math.Clamp(v + (float)(random.NextDouble() * 0.4 - 0.2), 0f, 1f);
        y[i, k] = 1;
    }
    return new Dataset(x, y);
}
