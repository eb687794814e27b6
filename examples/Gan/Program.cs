using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using SymGrad.Examples;

// A GAN (Goodfellow et al. 2014) on one-dimensional data: a generator learns to turn noise z ~ N(0, 1) into samples of
// N(4, 1.25²), against a discriminator that learns to tell its samples from real ones. Both losses are plain
// methods (GanModel.cs); their gradients are generated at build time. Alternating Adam steps, one for D, one for G.
//   dotnet run --project examples/Gan [-- --iterations 4000] [--seed 1] [--out folder]   (--help lists the options)
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var iterationsOption = ExampleCommandLine.Integer("--iterations", "Training iterations, each one Adam step for the discriminator and one for the generator", 4000);
var seedOption = ExampleCommandLine.Integer("--seed", "Seed of the weights, the real samples and the noise", 1, minimum: 0);
var outOption = ExampleCommandLine.Out("gan.png");
var command = new RootCommand(
    "A one-dimensional GAN: a generator learns to turn N(0, 1) noise into samples of N(4, 1.25²) against a discriminator; " +
    "both losses are plain methods whose gradients SymGrad generates at build time.\n" +
    "Run: dotnet run --project examples/Gan [-- options]")
{
    iterationsOption, seedOption, outOption,
};
if (ExampleCommandLine.Parse(command, args, out var parse) is { } exit) return exit;
var iterations = parse.GetValue(iterationsOption);
var seed = parse.GetValue(seedOption);
var outFolder = parse.GetValue(outOption)!;
ExampleCommandLine.PrintBuildNote();
const double realMean = 4, realStd = 1.25;
const int hidden = 16, batch = 64;
const double rate = 0.002;         // Adam's step, decayed linearly to 0 so the duel settles instead of circling

// Each network's weights in one array (so one Adam steps it), viewed as the spans the losses take:
// [first-layer weights (H), first-layer biases (H), output weights (H), output bias (1)].
var random = new Random(seed);
var g = Init(random, hidden, firstLayer: 1.0);
var d = Init(random, hidden, firstLayer: 0.5);   // smaller: D's inputs are around 4, its tanh units should not start saturated
var dg = new double[g.Length];
var dd = new double[d.Length];
var adamG = new Adam(g.Length, rate, beta1: 0.5);
var adamD = new Adam(d.Length, rate, beta1: 0.5);

var data = new Random(seed + 1);   // real samples and noise
var real = new double[batch];
var fake = new double[batch];
var z = new double[batch];
var before = Sample(g, new Random(seed + 2), 10000);
var dLoss = new List<double>();
var gLoss = new List<double>();
var clock = Stopwatch.StartNew();
for (var it = 1; it <= iterations; it++)
{
    adamD.Rate = adamG.Rate = rate * (1 - (it - 1.0) / iterations);

    // Discriminator step: real samples labelled 1, the generator's labelled 0 (G's weights are data here).
    for (var i = 0; i < batch; i++)
    {
        real[i] = realMean + realStd * Gaussian(data);
        fake[i] = GanModel.Generate(W1(g), B1(g), W2(g), B2(g), Noise(data));
    }
    var ld = GanModel.DiscriminatorLossGradient(W1(d), B1(d), W2(d), B2(d), real, fake, W1(dd), B1(dd), W2(dd), out dd[^1]);
    adamD.Step(d, dd);

    // Generator step: −log D(G(z)) on fresh noise, differentiated through the discriminator just updated (D's weights
    // are data here).
    for (var i = 0; i < batch; i++) z[i] = Noise(data);
    var lg = GanModel.GeneratorLossGradient(W1(g), B1(g), W2(g), B2(g), W1(d), B1(d), W2(d), B2(d), z, W1(dg), B1(dg), W2(dg), out dg[^1]);
    adamG.Step(g, dg);

    dLoss.Add(ld);
    gLoss.Add(lg);
    if (it % 500 == 0)
    {
        var (m, s) = Moments(Sample(g, new Random(seed + 2), 2000));
        Console.WriteLine($"iteration {it,4}  D loss {dLoss.TakeLast(100).Average():F3}  G loss {gLoss.TakeLast(100).Average():F3}  generated mean {m:F2}, std {s:F2}");
    }
}
var seconds = clock.Elapsed.TotalSeconds;

// Compare 10 000 generated samples with 10 000 real ones: moments, and the Kolmogorov–Smirnov distance (the largest gap
// between the two empirical distribution functions; about 0.02 between two samples of the same distribution this size).
var generated = Sample(g, new Random(seed + 3), 10000);
var reference = Enumerable.Range(0, 10000).Select(_ => realMean + realStd * Gaussian(data)).ToArray();
var path = Path.Combine(outFolder, "gan.png");
Plots.Gan(dLoss.ToArray(), gLoss.ToArray(), reference, generated, realMean, realStd, path);
Console.WriteLine($"Plot: {Path.GetFullPath(path)}");
var (meanBefore, stdBefore) = Moments(before);
Console.WriteLine($"Before training: generated mean {meanBefore:F2}, std {stdBefore:F2}; Kolmogorov–Smirnov distance to real samples {KolmogorovSmirnov(before, reference):F3}");
var (mean, std) = Moments(generated);
Console.WriteLine($"After training:  generated mean {mean:F2}, std {std:F2}; Kolmogorov–Smirnov distance to real samples {KolmogorovSmirnov(generated, reference):F3}");
Console.WriteLine($"Generated mean {mean:F2}, std {std:F2} vs real N({realMean}, {realStd}²) mean {realMean:F2}, std {realStd:F2} ({iterations} iterations in {seconds:F1} s)");
return 0;

// The spans of a network's weights (or of its gradient) that the losses take.
static Span<double> W1(double[] p) => p.AsSpan(0, hidden);
static Span<double> B1(double[] p) => p.AsSpan(hidden, hidden);
static Span<double> W2(double[] p) => p.AsSpan(2 * hidden, hidden);
static double B2(double[] p) => p[^1];

// First-layer weights uniform in ±firstLayer, output weights in ±0.25, biases 0.
static double[] Init(Random r, int h, double firstLayer)
{
    var p = new double[3 * h + 1];
    for (var i = 0; i < h; i++)
    {
        p[i] = (r.NextDouble() * 2 - 1) * firstLayer;
        p[2 * h + i] = (r.NextDouble() * 2 - 1) * 0.25;
    }
    return p;
}

// The generator's input noise, z ~ N(0, 1).
static double Noise(Random r) => Gaussian(r);

static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

static double[] Sample(double[] g, Random r, int n) =>
    Enumerable.Range(0, n).Select(_ => GanModel.Generate(W1(g), B1(g), W2(g), B2(g), Noise(r))).ToArray();

static (double Mean, double Std) Moments(double[] x)
{
    var m = x.Average();
    return (m, Math.Sqrt(x.Select(v => (v - m) * (v - m)).Average()));
}

static double KolmogorovSmirnov(double[] a, double[] b)
{
    var (x, y) = (a.Order().ToArray(), b.Order().ToArray());
    double gap = 0;
    for (int i = 0, j = 0; i < x.Length && j < y.Length;)
    {
        var v = Math.Min(x[i], y[j]);
        while (i < x.Length && x[i] <= v) i++;
        while (j < y.Length && y[j] <= v) j++;
        gap = Math.Max(gap, Math.Abs((double)i / x.Length - (double)j / y.Length));
    }
    return gap;
}
