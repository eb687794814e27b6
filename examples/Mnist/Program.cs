using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using SymGrad.Data;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Optimizers;
using SymGrad.Plotting;
using SymGrad.Tensors;
using SymGrad.Training;

// An MLP (784-128-10) and a small CNN (conv → pool → conv → pool → dense) on MNIST, trained on generated gradients.
//   dotnet run --project examples/Mnist -- --train-images train-images-idx3-ubyte --train-labels train-labels-idx1-ubyte
//                                          [--test-images … --test-labels …] [--epochs 3] [--limit 10000] [--loss-curve mnist-loss.png]
//                                          [--generated-backward]
// Without the files it says so and trains on a generated stand-in of the same shape, so it always runs.
// --generated-backward runs every dense, convolution and pooling layer's backward pass through the gradients SymGrad
// generated from their formulas (Functions/LayerFormulas.cs) instead of the hand-written kernels.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
var epochs = int.Parse(Option("--epochs") ?? "2", CultureInfo.InvariantCulture);
var limit = int.Parse(Option("--limit") ?? "0", CultureInfo.InvariantCulture);
var curve = Option("--loss-curve") ?? "mnist-loss.png";

Dataset train, test;
string? trainImages = Option("--train-images"), trainLabels = Option("--train-labels");
if (trainImages != null && trainLabels != null && File.Exists(trainImages) && File.Exists(trainLabels))
{
    try
    {
        train = IdxLoader.LoadMnist(trainImages, trainLabels);
        string? testImages = Option("--test-images"), testLabels = Option("--test-labels");
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
    Console.WriteLine(trainImages is null
        ? "No MNIST files given (--train-images, --train-labels): training on a generated stand-in of the same shape."
        : $"MNIST files not found ({trainImages}, {trainLabels}): training on a generated stand-in of the same shape.");
    (train, test) = StandIn(3000, seed: 2).Split(0.2f, seed: 3);
    Console.WriteLine($"Stand-in: {train.Count} training and {test.Count} test images, 28×28×1, 10 classes (a noisy stroke pattern per class).");
}
if (limit > 0 && train.Count > limit) train = train.Take(Dataset.Permutation(train.Count, 4).AsSpan(0, limit));

var mlp = new Network(new Flatten(), new Dense(784, 128, seed: 5), new Activation<Relu>(), new Dense(128, 10, seed: 6));
var cnn = new Network(
    new Conv2D(1, 8, kernel: 3, padding: 1, seed: 7), new Activation<Relu>(), new MaxPool2D(2),
    new Conv2D(8, 16, kernel: 3, padding: 1, seed: 8), new Activation<Relu>(), new MaxPool2D(2),
    new Flatten(), new Dense(16 * 7 * 7, 10, seed: 9));

if (Array.IndexOf(args, "--generated-backward") >= 0)
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

var histories = new System.Collections.Generic.List<(string, double[], double[])>();
foreach (var (name, network) in new[] { ("MLP", mlp), ("CNN", cnn) })
{
    Console.WriteLine();
    Console.WriteLine($"{name}:");
    Console.WriteLine(network.Summary(28, 28, 1));
    var progress = new ConsoleProgress(epochs);
    var clock = Stopwatch.StartNew();
    var history = Trainer.Fit(network, new SoftmaxCrossEntropy(), new Adam(0.001f), train, new TrainingOptions
    {
        Epochs = epochs,
        BatchSize = 64,
        Seed = 10,
        Metric = Metric.CategoricalAccuracy,
        Validation = test,
        OnBatch = progress.Batch,
        OnEpoch = progress.Epoch,
    });
    var seconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"{name}: test accuracy {history.Epochs[^1].ValidationAccuracy:P2}, {train.Count * history.Epochs.Count / seconds:F0} samples/s");
    histories.Add(($"{name} training", Epochs(history), Losses(history, validation: false)));
    histories.Add(($"{name} test", Epochs(history), Losses(history, validation: true)));
}
LossCurve.SavePng(histories, curve, "MNIST: softmax cross-entropy", "epoch");
Console.WriteLine($"Loss curves: {Path.GetFullPath(curve)}");
return 0;

static double[] Epochs(TrainingHistory h) => h.Epochs.ConvertAll(e => (double)e.Epoch).ToArray();
static double[] Losses(TrainingHistory h, bool validation) => h.Epochs.ConvertAll(e => (double)(validation ? e.ValidationLoss!.Value : e.TrainLoss)).ToArray();

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
    var x = new Tensor(n, 28, 28, 1);
    var y = new Tensor(n, 10);
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
