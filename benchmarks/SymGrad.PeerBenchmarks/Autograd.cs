using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using SymGrad.Torch;
using static TorchSharp.torch;

namespace SymGrad.PeerBenchmarks;

/// <summary>The benchmark's functions, as a user writes them: element-wise methods, generated as TorchSharp functions.</summary>
public static partial class Elementwise
{
    /// <summary>GELU, tanh form.</summary>
    [Differentiable, TorchFunction]
    public static float Gelu(float x) => 0.5f * x * (1f + MathF.Tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));

    /// <summary>Mish, x · tanh(log(1 + eˣ)).</summary>
    [Differentiable, TorchFunction]
    public static float Mish(float x) => x * MathF.Tanh(MathF.Log(1f + MathF.Exp(x)));

    /// <summary>Binary focal loss of a probability p against a target y, focusing γ.</summary>
    [Differentiable("p"), TorchFunction("gamma")]
    public static float Focal(float p, float y, float gamma) =>
        -y * MathF.Pow(1f - p, gamma) * MathF.Log(p) - (1f - y) * MathF.Pow(p, gamma) * MathF.Log(1f - p);

    /// <summary>log-cosh of the error.</summary>
    [Differentiable("p"), TorchFunction]
    public static float LogCosh(float p, float y) => MathF.Log((MathF.Exp(p - y) + MathF.Exp(y - p)) / 2f);
}

/// <summary>
/// Generated backward against libtorch's autograd of the same composite (issue 17): forward + backward of GELU, Mish, a
/// focal loss and a log-cosh loss over 10⁶ and 10⁷ float elements, at libtorch's default threading. Time: medians of
/// interleaved rounds. Memory: the process's peak resident memory during one forward + backward above what it held
/// before (Linux: the peak is reset through /proc/self/clear_refs first), which is what the autograd graph keeps alive
/// between the passes plus the passes' temporaries. Usage: <c>run.sh --autograd [--quick] [--out DIR]</c>.
/// </summary>
public static class Autograd
{
    private sealed record Case(string Name, string Composite, Func<Tensor, Tensor, Tensor> Generated, Func<Tensor, Tensor, Tensor> Autograd, Func<Tensor, Tensor, Tensor>? Native, double Low, double High);

    private static readonly Case[] Cases =
    {
        new("GELU (tanh form)", "0.5x(1 + tanh(0.79788456(x + 0.044715x³)))", (x, _) => Elementwise.Gelu(x),
            (x, _) => 0.5f * x * (1f + (0.7978845608028654f * (x + 0.044715f * x.pow(3))).tanh()),
            (x, _) => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh), -6, 6),
        new("Mish", "x · tanh(softplus x)", (x, _) => Elementwise.Mish(x), (x, _) => x * nn.functional.softplus(x).tanh(), (x, _) => nn.functional.mish(x), -8, 8),
        new("focal loss (γ = 2)", "−y(1−p)^γ log p − (1−y)p^γ log(1−p)", (p, y) => Elementwise.Focal(p, y, 2.0),
            (p, y) => -y * (1 - p).pow(2.0) * p.log() - (1 - y) * p.pow(2.0) * (1 - p).log(), null, 0.01, 0.99),
        new("log-cosh loss", "log cosh(p − y)", (p, y) => Elementwise.LogCosh(p, y), (p, y) => (p - y).cosh().log(), null, -4, 4),
    };

    public sealed record Row(string Function, string Composite, long Elements, string Method, double Milliseconds, double PeakMegabytes, double KeptMegabytes);

    /// <summary>
    /// Runs the two measurements in child processes with the allocator each needs, then writes the tables and charts.
    /// Time: glibc's heap only (<c>MALLOC_MMAP_MAX_=0</c>, never trimmed), so that once warm no pass pays for fresh pages
    /// (on this virtual machine a page fault costs as much as the arithmetic on the page: with the default allocator the
    /// same passes took 3–15× longer, in an order that changed from run to run). Memory: every tensor in its own mapping
    /// (<c>MALLOC_MMAP_THRESHOLD_=65536</c>), returned when freed, so resident memory is live tensors and its peak the
    /// passes' peak.
    /// </summary>
    public static int Run(string outDir, bool quick)
    {
        var times = Child("--autograd-time", quick, ("MALLOC_MMAP_MAX_", "0"), ("MALLOC_TRIM_THRESHOLD_", "4294967295"));
        var peaks = Child("--autograd-memory", quick, ("MALLOC_MMAP_THRESHOLD_", "65536"));
        var rows = times.Select(t => peaks.Single(p => p.Function == t.Function && p.Elements == t.Elements && p.Method == t.Method) is var m
            ? t with { PeakMegabytes = m.PeakMegabytes, KeptMegabytes = m.KeptMegabytes } : t).ToList();
        Write(outDir, rows);
        return 0;
    }

    private static List<Row> Child(string mode, bool quick, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(Autograd).Assembly.Location);
        start.ArgumentList.Add(mode);
        if (quick) start.ArgumentList.Add("--quick");
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var rows = new List<Row>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            Console.WriteLine(line);
            if (!line.StartsWith("ROW|", StringComparison.Ordinal)) continue;
            var f = line.Split('|');
            rows.Add(new Row(f[1], f[2], long.Parse(f[3], CultureInfo.InvariantCulture), f[4], double.Parse(f[5], CultureInfo.InvariantCulture),
                double.Parse(f[6], CultureInfo.InvariantCulture), double.Parse(f[7], CultureInfo.InvariantCulture)));
        }
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{mode} exited with {process.ExitCode}.");
        return rows;
    }

    /// <summary>One measurement (<c>--autograd-time</c> or <c>--autograd-memory</c>), printed as ROW| lines.</summary>
    public static int Measure(bool quick)
    {
        var sizes = quick ? new long[] { 1_000_000 } : new long[] { 1_000_000, 10_000_000 };
        var rounds = quick ? 3 : 7;
        Console.WriteLine($"Generated backward against autograd of the composite, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version} (libtorch, CPU), {get_num_threads()} threads; {Environment.ProcessorCount} cores");
        foreach (var c in Cases)
        foreach (var n in sizes)
        {
            using var outer = NewDisposeScope();
            var x = (rand(n, generator: new Generator(1)) * (c.High - c.Low) + c.Low).detach();
            var y = c.Name.StartsWith("focal", StringComparison.Ordinal) ? (rand(n, generator: new Generator(2)) > 0.5).to_type(ScalarType.Float32) : rand(n, generator: new Generator(2)) * 8 - 4;
            var upstream = ones(n);
            var methods = new List<(string Name, Func<Tensor, Tensor, Tensor> F)> { ("generated (SymGrad)", c.Generated), ("autograd of the composite", c.Autograd) };
            if (c.Native is { } native) methods.Add(("libtorch's own kernel", native));
            // One pass: the input's gradient, the time, the peak memory above the start and what the graph keeps between the
            // passes (the value and the saved tensors: resident memory after the forward pass, above the start).
            (double Ms, double Mb, double Kept, float[] Grad) Pass(Func<Tensor, Tensor, Tensor> f)
            {
                using var scope = NewDisposeScope();
                var leaf = x.clone().requires_grad_(true);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var before = Memory.Resident();
                Memory.ResetPeak();
                var clock = Stopwatch.StartNew();
                var value = f(leaf, y);
                clock.Stop();
                var kept = Memory.Resident();
                clock.Start();
                value.backward(new[] { upstream });
                var ms = clock.Elapsed.TotalMilliseconds;
                var peak = Memory.Peak();
                return (ms, (peak - before) / 1048576.0, (kept - before) / 1048576.0, leaf.grad!.data<float>().Take(1000).ToArray());
            }
            // The gradients agree (the same function); then warm-up and interleaved rounds.
            var reference = Pass(methods[1].F).Grad;
            foreach (var m in methods)
            {
                var g = Pass(m.F).Grad;
                for (var i = 0; i < g.Length; i++)
                    if (Math.Abs(g[i] - reference[i]) > 1e-4 * Math.Max(1, Math.Abs(reference[i]))) throw new InvalidOperationException($"{c.Name}, {m.Name}: gradient {g[i]} against {reference[i]} at {i}");
            }
            for (var warm = 0; warm < 3; warm++)
                foreach (var m in methods) Pass(m.F);
            var times = methods.Select(_ => new List<double>()).ToArray();
            var memory = methods.Select(_ => new List<double>()).ToArray();
            var keptMemory = methods.Select(_ => new List<double>()).ToArray();
            for (var r = 0; r < rounds; r++)
                for (var k = 0; k < methods.Count; k++)
                {
                    var which = (r + k) % methods.Count;
                    var (ms, mb, keptMb, _) = Pass(methods[which].F);
                    times[which].Add(ms);
                    memory[which].Add(mb);
                    keptMemory[which].Add(keptMb);
                }
            for (var k = 0; k < methods.Count; k++)
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "ROW|{0}|{1}|{2}|{3}|{4:0.000}|{5:0.0}|{6:0.0}", c.Name, c.Composite, n, methods[k].Name,
                    Median(times[k]), Median(memory[k]), Median(keptMemory[k])));
        }
        return 0;
    }

    private static double Median(List<double> l) => l.OrderBy(v => v).ElementAt(l.Count / 2);

    private static void Write(string outDir, List<Row> rows)
    {
        var md = new List<string>
        {
            $"Generated backward (SymGrad.TorchSharp) against libtorch's autograd of the same composite; TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, CPU, {get_num_threads()} threads, {Environment.ProcessorCount} cores.",
            "Time: forward + backward, median of interleaved rounds (heap allocator, warm). Peak: resident memory above the start during the two passes, every tensor in its own mapping (saved tensors, temporaries, gradient).",
            "",
            "| function | elements | generated: time | autograd: time | generated ÷ autograd | kept between the passes: generated / autograd | peak: generated / autograd | libtorch's own kernel: time, kept, peak |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        };
        foreach (var g in rows.GroupBy(r => (r.Function, r.Elements)))
        {
            var gen = g.Single(r => r.Method.StartsWith("generated", StringComparison.Ordinal));
            var auto = g.Single(r => r.Method.StartsWith("autograd", StringComparison.Ordinal));
            var native = g.SingleOrDefault(r => r.Method.StartsWith("libtorch", StringComparison.Ordinal));
            md.Add(string.Format(CultureInfo.InvariantCulture, "| {0} | {1:0e0} | {2:0.0} ms | {3:0.0} ms | {4:0.00} | {5:0} / {6:0} MB | {7:0} / {8:0} MB | {9} |",
                g.Key.Function, g.Key.Elements, gen.Milliseconds, auto.Milliseconds, gen.Milliseconds / auto.Milliseconds, gen.KeptMegabytes, auto.KeptMegabytes, gen.PeakMegabytes, auto.PeakMegabytes,
                native is null ? "—" : string.Format(CultureInfo.InvariantCulture, "{0:0.0} ms, {1:0} MB, {2:0} MB", native.Milliseconds, native.KeptMegabytes, native.PeakMegabytes)));
        }
        File.WriteAllLines(Path.Combine(outDir, "autograd.md"), md);
        using (var w = new StreamWriter(Path.Combine(outDir, "autograd.csv")))
        {
            w.WriteLine("function,elements,method,milliseconds,kept_mb,peak_mb");
            foreach (var r in rows)
                w.WriteLine(string.Format(CultureInfo.InvariantCulture, "\"{0}\",{1},\"{2}\",{3:0.000},{4:0.0},{5:0.0}", r.Function, r.Elements, r.Method, r.Milliseconds, r.KeptMegabytes, r.PeakMegabytes));
        }
        Chart.SaveAutograd(Path.Combine(outDir, "autograd"), rows);
        Console.WriteLine();
        foreach (var line in md) Console.WriteLine(line);
        Console.WriteLine($"wrote autograd.md, autograd.csv, autograd-time.png and autograd-memory.png in {outDir}");
    }
}

/// <summary>The process's resident memory (Linux /proc), and its peak since the last reset.</summary>
internal static class Memory
{
    public static long Resident() => Status("VmRSS:");

    public static long Peak() => Status("VmHWM:");

    /// <summary>Resets the peak to the current resident size (writing 5 to /proc/self/clear_refs).</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static long Status(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line.Substring(key.Length).Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException("No " + key + " in /proc/self/status.");
    }
}
