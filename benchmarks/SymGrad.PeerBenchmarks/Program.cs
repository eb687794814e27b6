using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using SymGrad.Data;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Optimizers;
using SymGrad.Tensors;
using SymGrad.Training;
using TorchSharp;
using static TorchSharp.torch;
using SymTensor = SymGrad.Tensors.DenseTensor;

namespace SymGrad.PeerBenchmarks;

/// <summary>
/// Training throughput of SymGrad against TorchSharp (libtorch) on identical models, data, batch sizes, initial weights
/// and optimizer (plain SGD), at two settings in one run: each library at its default threading (SymGrad every core,
/// libtorch its own default), and both held to one thread. Both are first trained side by side from the same weights
/// and must reach the same loss; then epochs are timed interleaved (so a noisy machine's drift hits both) and the
/// medians compared. Writes peers.md (the tables), peers.csv and peers.png (samples per second against model size).
/// Usage: <c>run.sh [--quick] [--only TEXT] [--out DIR]</c>; <c>run.sh --autograd</c> for <see cref="Autograd"/>. (see benchmarks/peers/run.sh, which makes libtorch loadable here first).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var quick = args.Contains("--quick");
        var outIndex = Array.IndexOf(args, "--out");
        var outDir = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : ".";
        Directory.CreateDirectory(outDir);
        int torchDefault;
        try
        {
            torchDefault = torch.get_num_threads();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException)
        {
            Console.Error.WriteLine("TorchSharp's native library did not load, so there is no peer to compare with: " + e.GetBaseException().Message);
            Console.Error.WriteLine("On Debian 12 run benchmarks/peers/torchsharp-compat/make-loadable.sh on the output folder (benchmarks/peers/run.sh does).");
            return 2;
        }

        var cases = new List<Case>
        {
            new("logistic regression 2-1", 1, Models.Logistic, quick ? 2_000 : 8_000),
            new("logistic regression 2-1", 32, Models.Logistic, quick ? 8_000 : 64_000),
            new("MLP 2-16-1", 1, Models.SmallMlp, quick ? 2_000 : 8_000),
            new("MLP 2-16-1", 32, Models.SmallMlp, quick ? 8_000 : 64_000),
            new("MLP 784-128-10", 64, Models.MnistMlp, quick ? 1_280 : 6_400),
            new("CNN 28×28 conv-pool-conv-pool-dense", 64, Models.Cnn, quick ? 256 : 1_280),
        };
        if (args.Contains("--autograd")) return Autograd.Run(outDir, quick);
        if (args.Contains("--autograd-time") || args.Contains("--autograd-memory")) return Autograd.Measure(quick);
        // --only TEXT: the cases whose name contains TEXT.
        var onlyIndex = Array.IndexOf(args, "--only");
        if (onlyIndex >= 0 && onlyIndex + 1 < args.Length) cases = cases.Where(c => c.Name.Contains(args[onlyIndex + 1], StringComparison.OrdinalIgnoreCase)).ToList();
        var rounds = quick ? 3 : 7;
        var settings = new[]
        {
            new Setting($"default threading (SymGrad {Environment.ProcessorCount} threads, libtorch {torchDefault})", 0, torchDefault),
            new Setting("one thread each", 1, 1),
        };
        var report = new List<string>
        {
            $"SymGrad against TorchSharp {typeof(torch).Assembly.GetName().Version} (libtorch, CPU), plain SGD; {Environment.ProcessorCount} cores, " +
            $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}",
        };
        void Say(string line)
        {
            Console.WriteLine(line);
            report.Add(line);
        }
        Console.WriteLine(report[0]);
        // Every case at both settings, their epochs interleaved round by round (drift and the JIT's warming hit all four).
        var results = cases.SelectMany(c => Measure(c, settings, rounds)).ToList();
        var failed = false;
        foreach (var setting in settings)
        {
            Say("");
            Say($"**{setting.Name}**");
            Say("");
            Say("| model | parameters | batch | loss after 1 epoch (SymGrad / TorchSharp) | SymGrad samples/s | TorchSharp samples/s | SymGrad ÷ TorchSharp |");
            Say("| --- | --- | --- | --- | --- | --- | --- |");
            foreach (var r in results.Where(r => r.Setting == setting))
            {
                var agree = Math.Abs(r.SymGradLoss - r.TorchLoss) <= 1e-3 * Math.Max(1, Math.Abs(r.TorchLoss));
                failed |= !agree;
                Say(string.Format(CultureInfo.InvariantCulture, "| {0} | {1} | {2} | {3:0.00000} / {4:0.00000}{5} | {6:0} | {7:0} | {8:0.00} |",
                    r.Case.Name, r.Parameters, r.Case.Batch, r.SymGradLoss, r.TorchLoss, agree ? "" : " (DIFFER)", r.SymGradRate, r.TorchRate, r.SymGradRate / r.TorchRate));
            }
        }
        File.WriteAllLines(Path.Combine(outDir, "peers.md"), report);
        WriteCsv(Path.Combine(outDir, "peers.csv"), results);
        Chart.Save(Path.Combine(outDir, "peers.png"), results, settings);
        Console.WriteLine();
        Console.WriteLine($"wrote peers.md, peers.csv and peers.png in {outDir}");
        return failed ? 1 : 0;
    }

    /// <summary>A threading setting: SymGrad's <see cref="Threads.Limit"/> (0: every core) and libtorch's thread count.</summary>
    public sealed record Setting(string Name, int SymGradThreads, int TorchThreads);

    public sealed record Case(string Name, int Batch, Func<Pair> Build, int Samples);

    public sealed record Result(Case Case, Setting Setting, int Parameters, float SymGradLoss, float TorchLoss, double SymGradRate, double TorchRate);

    /// <summary>The same model twice: SymGrad's network and a TorchSharp module holding the same initial weights.</summary>
    public sealed record Pair(Network Network, Loss Loss, nn.Module<torch.Tensor, torch.Tensor> Module, nn.Module<torch.Tensor, torch.Tensor, torch.Tensor> Criterion,
        Func<int, Dataset> Data, Func<SymTensor, torch.Tensor> ToTorchInput, float LearningRate);

    private static IEnumerable<Result> Measure(Case c, IReadOnlyList<Setting> settings, int rounds)
    {
        // Loss agreement: one epoch each from the same weights over the same batches in the same order.
        var check = c.Build();
        var data = check.Data(c.Samples);
        var torchData = Batches(check, data, c.Batch);
        var symLoss = SymGradEpoch(check, data, c.Batch);
        var torchLoss = TorchEpoch(check, torchData);
        DisposeAll(torchData);

        // Throughput: fresh pair, one warm-up epoch each at every setting, then epochs interleaved (library and setting
        // alternating, their order turning each round); medians.
        var pair = c.Build();
        data = pair.Data(c.Samples);
        torchData = Batches(pair, data, c.Batch);
        var times = settings.Select(_ => (Sym: new List<double>(), Torch: new List<double>())).ToArray();
        var runs = settings.Count * 2;
        for (var r = -1; r < rounds; r++)
        {
            for (var k = 0; k < runs; k++)
            {
                var which = (Math.Max(r, 0) + k) % runs;
                var (setting, symgrad) = (which / 2, which % 2 == 0);
                torch.set_num_threads(settings[setting].TorchThreads);
                using var limit = Threads.Use(settings[setting].SymGradThreads);
                var clock = Stopwatch.StartNew();
                if (symgrad) SymGradEpoch(pair, data, c.Batch);
                else TorchEpoch(pair, torchData);
                if (r >= 0) (symgrad ? times[setting].Sym : times[setting].Torch).Add(clock.Elapsed.TotalSeconds);
            }
        }
        DisposeAll(torchData);
        static double Median(List<double> l) => l.OrderBy(x => x).ElementAt(l.Count / 2);
        return settings.Select((setting, i) =>
            new Result(c, setting, pair.Network.ParameterCount, symLoss, torchLoss, c.Samples / Median(times[i].Sym), c.Samples / Median(times[i].Torch))).ToList();
    }

    private static float SymGradEpoch(Pair p, Dataset data, int batch) =>
        Trainer.Fit(p.Network, p.Loss, new Sgd(p.LearningRate), data, new TrainingOptions { Epochs = 1, BatchSize = batch, Shuffle = false }).Epochs[0].TrainLoss;

    // The dataset as TorchSharp batches, made once (as a DataLoader over tensors in memory would hand them out).
    private static List<(torch.Tensor X, torch.Tensor Y)> Batches(Pair p, Dataset data, int batch)
    {
        var list = new List<(torch.Tensor, torch.Tensor)>();
        for (var start = 0; start + batch <= data.Count; start += batch)
        {
            var part = data.Take(Enumerable.Range(start, batch).ToArray());
            var y = part.Targets;
            list.Add((p.ToTorchInput(part.Features), torch.tensor(y.Span.ToArray(), y.Shape.ToArray().Select(d => (long)d).ToArray())));
        }
        return list;
    }

    private static float TorchEpoch(Pair p, List<(torch.Tensor X, torch.Tensor Y)> batches)
    {
        var optimizer = torch.optim.SGD(p.Module.parameters(), p.LearningRate);
        var total = 0.0;
        foreach (var (x, y) in batches)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var loss = p.Criterion.forward(p.Module.forward(x), y);
            loss.backward();
            optimizer.step();
            total += loss.item<float>();
        }
        return (float)(total / batches.Count);
    }

    private static void DisposeAll(List<(torch.Tensor X, torch.Tensor Y)> batches)
    {
        foreach (var (x, y) in batches)
        {
            x.Dispose();
            y.Dispose();
        }
    }

    private static void WriteCsv(string path, List<Result> results)
    {
        using var w = new StreamWriter(path);
        w.WriteLine("setting,symgrad_threads,torch_threads,model,parameters,batch,symgrad_loss,torch_loss,symgrad_samples_per_s,torch_samples_per_s,ratio");
        foreach (var r in results)
            w.WriteLine(string.Format(CultureInfo.InvariantCulture, "\"{8}\",{9},{10},\"{0}\",{1},{2},{3},{4},{5:0},{6:0},{7:0.000}",
                r.Case.Name, r.Parameters, r.Case.Batch, r.SymGradLoss, r.TorchLoss, r.SymGradRate, r.TorchRate, r.SymGradRate / r.TorchRate,
                r.Setting.Name, r.Setting.SymGradThreads == 0 ? Environment.ProcessorCount : r.Setting.SymGradThreads, r.Setting.TorchThreads));
    }
}
