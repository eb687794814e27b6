using System.Linq;
using System;
using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using SymGrad.Benchmarks;
using SymGrad.Tests.Shared;

// `-- report` prints the operation-count ratios (deterministic) and a single timing; anything else goes to
// BenchmarkDotNet (e.g. `-- --filter '*'`).
if (args.Length > 0 && args[0] == "report")
{
    Console.WriteLine("| network (inputs-hidden-1) | parameters | primal ops | gradient program ops | ratio | time (first run) |");
    Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
    foreach (var hidden in new[] { 4, 10, 20, 40 })
    {
        var loss = new NetworkLoss(10, hidden);
        var clock = Stopwatch.StartNew();
        var program = loss.GradientProgram();
        clock.Stop();
        var primal = loss.PrimalProgram();
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| 10-{0}-1 | {1} | {2} | {3} | {4:0.00}x | {5:0} ms |",
            hidden, loss.Parameters.Count, primal.OperationCount, program.OperationCount,
            (double)program.OperationCount / primal.OperationCount, clock.Elapsed.TotalMilliseconds));
    }
    return 0;
}
if (args.Length > 0 && args[0] == "scaling")
{
    // The engine on MLP-shaped losses of about 100, 1 000 and 10 000 parameters (10 inputs, one hidden tanh layer, a
    // logistic output): differentiate + simplify + CSE, its time and the gradient program's size against the primal's.
    var hiddens = args.Length > 1 ? args.Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : new[] { 9, 90, 900 };
    Console.WriteLine("| network | parameters | primal ops | gradient program ops | ratio | time (median of 3) | time per parameter |");
    Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
    foreach (var hidden in hiddens)
    {
        var loss = new NetworkLoss(10, hidden);
        var times = new System.Collections.Generic.List<double>();
        SymGrad.Symbolic.ExprProgram? program = null;
        for (var r = 0; r < 3; r++)
        {
            var clock = Stopwatch.StartNew();
            program = loss.GradientProgram();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        var primal = loss.PrimalProgram();
        var median = times.OrderBy(x => x).ElementAt(1);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| 10-{0}-1 | {1} | {2} | {3} | {4:0.00}x | {5:0.0} ms | {6:0.000} ms |",
            hidden, loss.Parameters.Count, primal.OperationCount, program!.OperationCount, (double)program.OperationCount / primal.OperationCount, median, median / loss.Parameters.Count));
    }
    return 0;
}
if (args.Length > 0 && args[0] == "growth")
{
    // `-- growth [--check] [--scale k] [--only name]`: each shape at a size and eight times it; --check exits 1 when one is not linear.
    var scaleAt = Array.IndexOf(args, "--scale");
    var scale = scaleAt > 0 && scaleAt + 1 < args.Length ? int.Parse(args[scaleAt + 1], CultureInfo.InvariantCulture) : 1;
    var onlyAt = Array.IndexOf(args, "--only");
    return Growth.Run(args.Contains("--check"), scale, onlyAt > 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1] : null);
}
if (args.Length > 0 && args[0] == "build")
{
    Console.WriteLine("| methods | generator | compile without generator | compile with generator (incl. generator) | generator per method | generator share of build |");
    Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
    foreach (var n in new[] { 10, 100, 1000 })
    {
        var (generator, without, with) = BuildCost.Measure(n, n >= 1000 ? 3 : 7);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1:0} ms | {2:0} ms | {3:0} ms | {4:0.00} ms | {5:0}% |",
            n, generator, without, with, generator / n, 100 * generator / with));
    }
    Console.WriteLine();
    Console.WriteLine("| methods | generator, first run | after editing one method | after an unrelated edit |");
    Console.WriteLine("| --- | --- | --- | --- |");
    foreach (var n in new[] { 10, 100, 1000 })
    {
        var (full, one, unrelated) = BuildCost.MeasureIncremental(n, n >= 1000 ? 3 : 7);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1:0.0} ms | {2:0.0} ms | {3:0.0} ms |", n, full, one, unrelated));
    }
    return 0;
}
if (args.Length > 0 && args[0] == "generate")
{
    // For profilers (dotnet-trace): the generator alone on 100 methods, repeatedly.
    var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
    var clock = Stopwatch.StartNew();
    for (var r = 0; r < rounds; r++) BuildCost.RunGenerator(100);
    if (args.Length > 2) BuildCost.WriteGenerated(100, args[2]);
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0:0.0} ms per run of the generator on 100 methods", clock.Elapsed.TotalMilliseconds / rounds));
    return 0;
}
if (args.Length > 0 && args[0] == "dx-parts")
{
    var r = new Random(1);
    SymGrad.Tensors.DenseTensor Rnd(params int[] shape) => RandomTensor(r, shape);
    int cin = 8, cout = 16, h = 13, batch = 64, ow = h - 2;
    var w = Rnd(3, 3, cin, cout); var b = Rnd(cout); var x = Rnd(batch, h, h, cin); var d = Rnd(batch, ow, ow, cout);
    var dx = new SymGrad.Tensors.DenseTensor(batch, h, h, cin);
    var pg = new float[batch * ow * ow * 72];
    static void StandaloneDx(SymGrad.ReadOnlyTensor4<float> W, ReadOnlySpan<float> b, SymGrad.ReadOnlyTensor4<float> X, SymGrad.ReadOnlyTensor4<float> Delta, SymGrad.Tensor4<float> dX)
    {
        dX.Span.Clear();
            if (X.GetLength(3) == W.GetLength(2) && Delta.GetLength(3) == W.GetLength(3) && b.Length == Delta.GetLength(3) && Delta.GetLength(1) + W.GetLength(0) - 1 <= X.GetLength(1) && Delta.GetLength(2) + W.GetLength(1) - 1 <= X.GetLength(2))
            {
                var run9 = W.GetLength(1) * W.GetLength(2);
                var kernelSize8 = W.GetLength(0) * run9;
                var firstRow5 = 0;
                var rows6 = (Delta.GetLength(1) - firstRow5) * Delta.GetLength(2);
                var imageEnd13 = global::System.Math.Min(X.GetLength(0), Delta.GetLength(0));
                if (rows6 > 0 && kernelSize8 > 0)
                {
                    // Products over chunks of images whose patch gradients fit a workspace of 256 Ki floats (one image when its
                    // rows are not all taken), each row's kernel-row runs then added back where they belong.
                    var chunk10 = global::System.Math.Max(1, 262144 / (rows6 * kernelSize8));
                    var patchGradients7 = global::SymGrad.Tensors.MatMul.Workspace(chunk10 * rows6 * kernelSize8);
                    for (var firstImage11 = 0; firstImage11 < imageEnd13; firstImage11 += chunk10)
                    {
                        var images12 = global::System.Math.Min(chunk10, imageEnd13 - firstImage11);
                        global::SymGrad.Tensors.MatMul.MultiplyTransposedB(Delta.Span.Slice((firstImage11 * Delta.GetLength(1) + firstRow5) * Delta.GetLength(2) * Delta.GetLength(3), images12 * rows6 * Delta.GetLength(3)), W.Span, patchGradients7, images12 * rows6, Delta.GetLength(3), kernelSize8, accumulate: false);
                        var offset14 = 0;
                        for (var k2 = firstImage11; k2 < firstImage11 + images12; k2++)
                            for (var m = firstRow5; m < Delta.GetLength(1); m++)
                                for (var n = 0; n < Delta.GetLength(2); n++)
                                    for (var kernelRow4 = 0; kernelRow4 < W.GetLength(0); kernelRow4++, offset14 += run9)
                                        global::SymGrad.Tensors.MatMul.AddTo(patchGradients7.Slice(offset14, run9), dX.Slice(k2, m + kernelRow4, n, W.GetLength(1)));
                    }
                }
            }
    }
    var actions = new (string, Action)[]
    {
        ("standalone dX block", () => StandaloneDx(w.AsReadOnlyTensor4(), b.Span, x.AsReadOnlyTensor4(), d.AsReadOnlyTensor4(), dx.AsTensor4())),
        ("generated dX", () => SymGrad.Functions.LayerFormulas.Conv2DScoreAccumulateGradient(w.AsReadOnlyTensor4(), b.Span, x.AsReadOnlyTensor4(), d.AsReadOnlyTensor4(), default, default, dx.AsTensor4())),
        ("clear", () => dx.Span.Clear()),
        ("one GEMM", () => SymGrad.Tensors.MatMul.MultiplyTransposedB(d.Span, w.Span, pg, batch * ow * ow, cout, 72)),
        ("col2im loop", () =>
        {
            var dxs = dx.Span;
            for (var s = 0; s < batch; s++)
                for (var m = 0; m < ow; m++)
                    for (var n = 0; n < ow; n++)
                        for (var i = 0; i < 3; i++)
                        {
                            var src = pg.AsSpan((((s * ow + m) * ow + n) * 3 + i) * 24, 24);
                            var dst = dxs.Slice(((s * h + m + i) * h + n) * cin, 24);
                            System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
                        }
        }),
        ("chunked GEMMs", () =>
        {
            var work = SymGrad.Tensors.MatMul.Workspace(30 * 121 * 72);
            for (var s0 = 0; s0 < batch; s0 += 30)
            {
                var images = Math.Min(30, batch - s0);
                SymGrad.Tensors.MatMul.MultiplyTransposedB(d.Span.Slice(s0 * 121 * 16, images * 121 * 16), w.Span, work, images * 121, 16, 72);
            }
        }),
        ("per-image GEMMs", () =>
        {
            var work = SymGrad.Tensors.MatMul.Workspace(30 * 121 * 72);
            for (var s0 = 0; s0 < batch; s0++)
                SymGrad.Tensors.MatMul.MultiplyTransposedB(d.Span.Slice(s0 * 121 * 16, 121 * 16), w.Span, work, 121, 16, 72);
        }),
        ("AddTo + views loop", () =>
        {
            var dxv = dx.AsTensor4();
            for (var s = 0; s < batch; s++)
                for (var m = 0; m < ow; m++)
                    for (var n = 0; n < ow; n++)
                        for (var i = 0; i < 3; i++)
                            SymGrad.Tensors.MatMul.AddTo(pg.AsSpan((((s * ow + m) * ow + n) * 3 + i) * 24, 24), dxv.Slice(s, m + i, n, 3));
        }),
    };
    PrintInterleavedMedians(actions, 300);
    return 0;
}
if (args.Length > 0 && args[0] == "bptt-quick")
{
    // Generated BPTT against hand-written for the same cells (Bptt.cs), interleaved: 21 rounds of 2 000 calls, medians.
    foreach (var cell in args.Length > 1 ? args.Skip(1).ToArray() : new[] { "Elman", "LSTM", "Elman16" })
    {
        var bench = new Bptt { Cell = cell };
        bench.Setup();
        var methods = new (string Name, Func<double> Run)[] { ("hand-written", bench.HandWritten), ("generated", bench.Generated), ("checkpointed", bench.GeneratedCheckpointed) };
        var times = methods.Select(_ => new System.Collections.Generic.List<double>()).ToArray();
        var sink = 0.0;
        for (var round = 0; round < 21; round++)
            for (var k = 0; k < methods.Length; k++)
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < 2_000; i++) sink += methods[k].Run();
                if (round >= 3) times[k].Add(clock.Elapsed.TotalMilliseconds * 1e3 / 2_000);
            }
        double Median(System.Collections.Generic.List<double> l) => l.OrderBy(x => x).ElementAt(l.Count / 2);
        var (h, g, c) = (Median(times[0]), Median(times[1]), Median(times[2]));
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}: hand-written {1:0.0} µs, generated {2:0.0} µs, checkpointed {3:0.0} µs; generated ÷ hand-written {4:0.00}, checkpointed ÷ hand-written {5:0.00}{6}",
            cell, h, g, c, g / h, c / h, sink == 0.123 ? " " : ""));
    }
    return 0;
}
if (args.Length > 0 && args[0] == "per-sample-quick")
{
    // The per-sample benchmark's methods as a timed harness: generated, hand-written and the node tape interleaved,
    // 21 rounds of 200 000 calls, medians (BenchmarkDotNet's job takes 20 minutes for all thirty).
    var functions = args.Length > 1 ? args.Skip(1).ToArray() : new[] { "sigmoid", "tanh", "softplus", "MSE", "logistic CE", "L1+L2 (16 weights)" };
    foreach (var function in functions)
    {
        var bench = new PerSampleGradients { Function = function };
        bench.Setup();
        var methods = new (string Name, Func<double> Run)[] { ("generated", bench.Generated), ("hand-written", bench.HandWrittenCode), ("node tape", bench.NodeTapeAD) };
        var times = methods.Select(_ => new System.Collections.Generic.List<double>()).ToArray();
        var sink = 0.0;
        for (var round = 0; round < 21; round++)
            for (var k = 0; k < methods.Length; k++)
            {
                var calls = k == 2 ? 20_000 : 200_000;
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < calls; i++) sink += methods[k].Run();
                if (round >= 3) times[k].Add(clock.Elapsed.TotalMilliseconds * 1e6 / calls);
            }
        double Median(System.Collections.Generic.List<double> l) => l.OrderBy(x => x).ElementAt(l.Count / 2);
        var (g, h, t) = (Median(times[0]), Median(times[1]), Median(times[2]));
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}: generated {1:0.0} ns, hand-written {2:0.0} ns, node tape {3:0} ns; generated ÷ hand-written {4:0.00}, node tape ÷ generated {5:0.0}{6}",
            function, g, h, t, g / h, t / g, sink == 0.123 ? "" : ""));
    }
    return 0;
}
if (args.Length > 0 && args[0] == "maxpool-parts")
{
    // Max-pool backward (2×2, stride 2, 26×26×16, batch 16) against floors written by hand: what the clear costs, the
    // kernel's scatter of a recorded argmax, and a lean vector loop finding the argmax again (adding, or storing where
    // the windows do not overlap).
    var r = new Random(1);
    int batch = 16, h = 26, ch = 16, oh = h / 2;
    var x = RandomTensor(r, new[] { batch, h, h, ch }); var d = RandomTensor(r, new[] { batch, oh, oh, ch }); var dx = new SymGrad.Tensors.DenseTensor(batch, h, h, ch);
    var pool = new SymGrad.Layers.MaxPool2D(2);
    pool.Forward(x, true);
    void Lean(bool store)
    {
        var X = x.Span; var D = d.Span; var DX = dx.Span;
        var w = System.Numerics.Vector<float>.Count;
        for (var s = 0; s < batch; s++)
            for (var m = 0; m < oh; m++)
            {
                var top = (s * h + 2 * m) * h * ch; var bottom = top + h * ch; var dRow = (s * oh + m) * oh * ch;
                for (var n = 0; n < oh; n++)
                    for (var c = 0; c < ch; c += w)
                    {
                        var o = 2 * n * ch + c;
                        var a = new System.Numerics.Vector<float>(X.Slice(top + o)); var b = new System.Numerics.Vector<float>(X.Slice(top + o + ch));
                        var e = new System.Numerics.Vector<float>(X.Slice(bottom + o)); var f = new System.Numerics.Vector<float>(X.Slice(bottom + o + ch));
                        var g = new System.Numerics.Vector<float>(D.Slice(dRow + n * ch + c));
                        var bAB = System.Numerics.Vector.GreaterThan(b, a); var bEF = System.Numerics.Vector.GreaterThan(f, e);
                        var lower = System.Numerics.Vector.GreaterThan(System.Numerics.Vector.Max(e, f), System.Numerics.Vector.Max(a, b));
                        var gTop = System.Numerics.Vector.ConditionalSelect(lower, System.Numerics.Vector<float>.Zero, g);
                        var gBottom = g - gTop;
                        var v0 = System.Numerics.Vector.ConditionalSelect(bAB, System.Numerics.Vector<float>.Zero, gTop); var v1 = gTop - v0;
                        var v2 = System.Numerics.Vector.ConditionalSelect(bEF, System.Numerics.Vector<float>.Zero, gBottom); var v3 = gBottom - v2;
                        if (store)
                        {
                            v0.CopyTo(DX.Slice(top + o)); v1.CopyTo(DX.Slice(top + o + ch)); v2.CopyTo(DX.Slice(bottom + o)); v3.CopyTo(DX.Slice(bottom + o + ch));
                        }
                        else
                        {
                            (new System.Numerics.Vector<float>(DX.Slice(top + o)) + v0).CopyTo(DX.Slice(top + o));
                            (new System.Numerics.Vector<float>(DX.Slice(top + o + ch)) + v1).CopyTo(DX.Slice(top + o + ch));
                            (new System.Numerics.Vector<float>(DX.Slice(bottom + o)) + v2).CopyTo(DX.Slice(bottom + o));
                            (new System.Numerics.Vector<float>(DX.Slice(bottom + o + ch)) + v3).CopyTo(DX.Slice(bottom + o + ch));
                        }
                    }
            }
    }
    var actions = new (string, Action)[]
    {
        ("clear", () => dx.Clear()),
        ("layer backward (clear + recorded argmax)", () => pool.Backward(d)),
        ("clear + generated", () => { dx.Clear(); SymGrad.Functions.LayerFormulas.MaxPool2x2ScoreAccumulateGradient(x.AsReadOnlyTensor4(), d.AsReadOnlyTensor4(), dx.AsTensor4()); }),
        ("clear + lean, adding", () => { dx.Clear(); Lean(false); }),

        ("lean, storing", () => Lean(true)),
    };
    PrintInterleavedMedians(actions, 300);
    return 0;
}
if (args.Length > 0 && args[0] == "dw-window")
{
    var r = new Random(1);
    SymGrad.Tensors.DenseTensor Rnd(params int[] shape) => RandomTensor(r, shape);
    int cin = 1, cout = 8, h = 28, batch = 64, ow = h - 2;
    var x = Rnd(batch, h, h, cin); var d = Rnd(batch, ow, ow, cout); var dw = new SymGrad.Tensors.DenseTensor(3, 3, cin, cout);
    var w = Rnd(3, 3, cin, cout); var b = Rnd(cout);
    var actions = new (string, Action)[]
    {
        ("window calls", () =>
        {
            var X = x.AsReadOnlyTensor4(); var D = d.AsReadOnlyTensor4(); var DW = dw.AsTensor4();
            for (var p = 0; p < 3; p++)
                for (var m = 0; m < ow; m++)
                    SymGrad.Tensors.MatMul.MultiplyTransposedA(X.Slice(0, m + p, 0, ow + 2, batch), cin, D.Slice(0, m, 0, ow, batch), DW.Slice(p, 0, 3 * cin), 3 * cin, ow, cout, accumulate: true);
        }),
        ("grouped calls", () =>
        {
            var X = x.AsReadOnlyTensor4(); var D = d.AsReadOnlyTensor4(); var DW = dw.AsTensor4();
            for (var m = 0; m < ow; m++)
                SymGrad.Tensors.MatMul.MultiplyTransposedA(X.SliceRows(0, m * h, 2 * h + ow + 2, batch), cin, 3, h * cin, D.Slice(0, m, 0, ow, batch), DW.Span, 3 * cin, ow, cout, accumulate: true);
        }),
        ("generated dW", () => SymGrad.Functions.LayerFormulas.Conv2DScoreAccumulateGradient(w.AsReadOnlyTensor4(), b.Span, x.AsReadOnlyTensor4(), d.AsReadOnlyTensor4(), dw.AsTensor4(), default, default)),
    };
    PrintInterleavedMedians(actions, 200);
    return 0;
}
if (args.Length > 0 && args[0] == "conv-split")
{
    // Where the generated convolution backward spends its time: ∂L/∂W alone, ∂L/∂X alone, against the kernels' two
    // matrix products alone (im2col and col2im not counted), at the shapes of `layer-backward`.
    var r = new Random(1);
    SymGrad.Tensors.DenseTensor Rnd(params int[] shape) => RandomTensor(r, shape);
    foreach (var (cin, cout, h, batch) in new[] { (8, 16, 28, 16), (1, 8, 28, 64), (8, 16, 13, 64) })
    {
        var w = Rnd(3, 3, cin, cout); var b = Rnd(cout); var x = Rnd(batch, h, h, cin); var d = Rnd(batch, h - 2, h - 2, cout);
        var dw = new SymGrad.Tensors.DenseTensor(3, 3, cin, cout); var db = new SymGrad.Tensors.DenseTensor(cout); var dx = new SymGrad.Tensors.DenseTensor(batch, h, h, cin);
        double Time(Action a) { for (var i = 0; i < 100; i++) a(); var c = Stopwatch.StartNew(); for (var i = 0; i < 100; i++) a(); return c.Elapsed.TotalMilliseconds / 100; }
        var tw = Time(() => SymGrad.Functions.LayerFormulas.Conv2DScoreAccumulateGradient(w.AsReadOnlyTensor4(), b.Span, x.AsReadOnlyTensor4(), d.AsReadOnlyTensor4(), dw.AsTensor4(), default, default));
        var tx = Time(() => SymGrad.Functions.LayerFormulas.Conv2DScoreAccumulateGradient(w.AsReadOnlyTensor4(), b.Span, x.AsReadOnlyTensor4(), d.AsReadOnlyTensor4(), default, default, dx.AsTensor4()));
        int rows = batch * (h - 2) * (h - 2), cols = 9 * cin;
        var patches = Rnd(rows, cols); var pg = new SymGrad.Tensors.DenseTensor(rows, cols);
        var kw = Time(() => SymGrad.Tensors.MatMul.MultiplyTransposedA(patches.Span, d.Span, dw.Span, cols, rows, cout, accumulate: true));
        var kx = Time(() => SymGrad.Tensors.MatMul.MultiplyTransposedB(d.Span, w.Span, pg.Span, rows, cout, cols));
        var layer = new SymGrad.Layers.Conv2D(cin, cout, 3, seed: 1);
        layer.Forward(x, true);
        var kAll = Time(() => layer.Backward(d));
        var kParams = Time(() => layer.BackwardParametersOnly(d));
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "conv {0}→{1} {2}×{2} batch {3}: generated dW {4:0.000} ms, dX {5:0.000} ms; kernel products dW {6:0.000} ms, patch gradient {7:0.000} ms; kernel layer backward {8:0.000} ms, parameters only {9:0.000} ms",
            cin, cout, h, batch, tw, tx, kw, kx, kAll, kParams));
    }
    return 0;
}
if (args.Length > 0 && args[0] is "dense-backward" or "layer-backward")
{
    // The runtime's dense and convolution backward passes: hand-tuned kernels against the gradients generated from
    // Functions/LayerFormulas (issue 5). Interleaved after a warm-up (so tiered JIT has finished with both: a method
    // called a few times still runs unoptimised code), then 41 rounds, medians.
    var r = new Random(1);
    double Median(System.Collections.Generic.List<double> l) => l.OrderBy(x => x).ElementAt(l.Count / 2);
    // withForward: time forward + backward (pooling: the generated mode records no argmax in its forward pass).
    (double Kernels, double Generated) Compare(SymGrad.Layers.Layer[] pair, SymGrad.Tensors.DenseTensor input, SymGrad.Tensors.DenseTensor delta, bool withForward = false, bool parametersOnly = false)
    {
        var times = new[] { new System.Collections.Generic.List<double>(), new System.Collections.Generic.List<double>() };
        // Warm-up: at least 20 rounds and half a second, so tiered compilation (which waits for a quiet 100 ms before
        // optimising what was called often) has replaced both sides' code before anything is timed.
        var warmUp = Stopwatch.StartNew();
        for (var round = 0; round < 20 || warmUp.ElapsedMilliseconds < 500; round++)
            for (var k = 0; k < 2; k++)
            {
                pair[k].Forward(input, true);
                if (parametersOnly) pair[k].BackwardParametersOnly(delta);
                else pair[k].Backward(delta);
            }
        for (var round = 0; round < 41; round++)
            for (var k = 0; k < 2; k++)
            {
                var which = (round + k) % 2;
                var clock = Stopwatch.StartNew();
                pair[which].Forward(input, true);
                if (!withForward) clock.Restart();
                if (parametersOnly) pair[which].BackwardParametersOnly(delta);
                else pair[which].Backward(delta);
                times[which].Add(clock.Elapsed.TotalMilliseconds);
            }
        return (Median(times[0]), Median(times[1]));
    }
    SymGrad.Tensors.DenseTensor Random(params int[] shape) => RandomTensor(r, shape);
    // `-- layer-backward epoch`: the whole-CNN epoch alone.
    var epochOnly = args.Length > 1 && args[1] == "epoch";
    if (!epochOnly)
    {
    var dense = Compare(new SymGrad.Layers.Layer[] { new SymGrad.Layers.Dense(784, 128, 2), new SymGrad.Layers.Dense(784, 128, 2) { UseGeneratedBackward = true } },
        Random(64, 784), Random(64, 128));
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "dense backward 784→128, batch 64: kernels {0:0.00} ms, generated {1:0.00} ms, generated ÷ kernels {2:0.00}",
        dense.Kernels, dense.Generated, dense.Generated / dense.Kernels));
    var conv = Compare(new SymGrad.Layers.Layer[] { new SymGrad.Layers.Conv2D(8, 16, 3, seed: 3), new SymGrad.Layers.Conv2D(8, 16, 3, seed: 3) { UseGeneratedBackward = true } },
        Random(16, 28, 28, 8), Random(16, 26, 26, 16));
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "conv backward 28×28×8 → 3×3×16, batch 16: kernels {0:0.00} ms, generated {1:0.00} ms, generated ÷ kernels {2:0.00}",
        conv.Kernels, conv.Generated, conv.Generated / conv.Kernels));
    foreach (var (name, make) in new (string, Func<SymGrad.Layers.Pool2D>)[] { ("max", () => new SymGrad.Layers.MaxPool2D(2)), ("average", () => new SymGrad.Layers.AvgPool2D(2)) })
    {
        var pools = new SymGrad.Layers.Layer[] { make(), make() };
        ((SymGrad.Layers.Pool2D)pools[1]).UseGeneratedBackward = true;
        var (input, delta) = (Random(16, 26, 26, 16), Random(16, 13, 13, 16));
        foreach (var withForward in new[] { false, true })
        {
            var pool = Compare(pools, input, delta, withForward);
            // The max-pool kernel's backward reads the argmax its forward pass recorded; the generated one finds it again
            // from the input (its forward records nothing): forward + backward is the like-for-like line.
            var note = name == "max" && !withForward ? " (kernel: argmax recorded by its forward; see forward + backward)" : "";
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} pooling 2×2 {1}, 26×26×16, batch 16: kernels {2:0.000} ms, generated {3:0.000} ms, generated ÷ kernels {4:0.00}{5}",
                name, withForward ? "forward + backward" : "backward", pool.Kernels, pool.Generated, pool.Generated / pool.Kernels, note));
        }
    }

    // The CNN's layers one by one at batch 64, forward + backward (the first convolution's parameters only).
    foreach (var (name, make, shape, parametersOnly) in new (string, Func<bool, SymGrad.Layers.Layer>, int[], bool)[]
             {
                 ("conv 1→8 (parameters only)", g => new SymGrad.Layers.Conv2D(1, 8, 3, seed: 2) { UseGeneratedBackward = g }, new[] { 64, 28, 28, 1 }, true),
                 ("max pool 26×26×8", g => new SymGrad.Layers.MaxPool2D(2) { UseGeneratedBackward = g }, new[] { 64, 26, 26, 8 }, false),
                 ("conv 8→16 on 13×13", g => new SymGrad.Layers.Conv2D(8, 16, 3, seed: 3) { UseGeneratedBackward = g }, new[] { 64, 13, 13, 8 }, false),
                 ("max pool 11×11×16", g => new SymGrad.Layers.MaxPool2D(2) { UseGeneratedBackward = g }, new[] { 64, 11, 11, 16 }, false),
                 ("dense 400→10", g => new SymGrad.Layers.Dense(400, 10, seed: 4) { UseGeneratedBackward = g }, new[] { 64, 400 }, false),
             })
    {
        var pair = new[] { make(false), make(true) };
        var input = Random(shape);
        var layer = Compare(pair, input, Random(pair[0].Forward(input, true).Shape.ToArray()), withForward: true, parametersOnly);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "CNN layer {0}, batch 64, forward + backward: kernels {1:0.000} ms, generated {2:0.000} ms, generated ÷ kernels {3:0.00}",
            name, layer.Kernels, layer.Generated, layer.Generated / layer.Kernels));
    }

    }

    // A whole CNN (valid convolutions, as the generated convolution backward covers) trained for an epoch: every
    // layer's backward generated against every layer's kernels.
    var data = TrainingBenchmarks.RandomImages(1280, 1);
    SymGrad.Training.Network Cnn(bool generated) => new(
        new SymGrad.Layers.Conv2D(1, 8, 3, seed: 2) { UseGeneratedBackward = generated }, new SymGrad.Layers.Activation<SymGrad.Layers.Relu>(), new SymGrad.Layers.MaxPool2D(2) { UseGeneratedBackward = generated },
        new SymGrad.Layers.Conv2D(8, 16, 3, seed: 3) { UseGeneratedBackward = generated }, new SymGrad.Layers.Activation<SymGrad.Layers.Relu>(), new SymGrad.Layers.MaxPool2D(2) { UseGeneratedBackward = generated },
        new SymGrad.Layers.Flatten(), new SymGrad.Layers.Dense(16 * 5 * 5, 10, seed: 4) { UseGeneratedBackward = generated });
    var networks = new[] { Cnn(false), Cnn(true) };
    var optimizers = new[] { new SymGrad.Optimizers.Adam(0.001f), new SymGrad.Optimizers.Adam(0.001f) };
    var epochTimes = new[] { new System.Collections.Generic.List<double>(), new System.Collections.Generic.List<double>() };
    for (var round = 0; round < 25; round++)
        for (var k = 0; k < 2; k++)
        {
            var which = (round + k) % 2;
            var clock = Stopwatch.StartNew();
            SymGrad.Training.Trainer.Fit(networks[which], new SymGrad.Losses.SoftmaxCrossEntropy(), optimizers[which], data, new SymGrad.Training.TrainingOptions { Epochs = 1, BatchSize = 64, Seed = 5 });
            if (round >= 2) epochTimes[which].Add(clock.Elapsed.TotalMilliseconds);
        }
    // Rounds side by side as well: the machine's speed drifts between minutes, a round's two epochs share it.
    var paired = epochTimes[1].Zip(epochTimes[0], (g, k) => g / k).ToList();
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "CNN epoch (1280 samples, batch 64), every backward generated: kernels {0:0} ms, generated {1:0} ms, generated ÷ kernels {2:0.00} (round by round: median {3:0.00}, {4:0.00}–{5:0.00})",
        Median(epochTimes[0]), Median(epochTimes[1]), Median(epochTimes[1]) / Median(epochTimes[0]), Median(paired), paired.Min(), paired.Max()));
    return 0;
}
if (args.Length > 0 && args[0] == "relu")
{
    var x = new SymGrad.Tensors.DenseTensor(64, 28, 28, 8);
    var r = new Random(1);
    foreach (ref var v in x.Span) v = (float)(r.NextDouble() - 0.5);
    SymGrad.Layers.Layer[] layers = { new SymGrad.Layers.Activation<SymGrad.Layers.Relu>(), new SymGrad.Layers.Activation<HandWrittenRelu>() };
    for (var round = 0; round < 5; round++)
        foreach (var l in layers)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 50; i++) l.Backward(l.Forward(x, true));
            Console.WriteLine($"{l}: {clock.Elapsed.TotalMilliseconds / 50:0.000} ms");
        }
    return 0;
}
if (args.Length > 0 && args[0] == "cnn-layers")
{
    // The peer benchmark's CNN (BENCHMARKS §2), one thread, batch 64: forward and backward time per layer, with the kernels
    // and with every layer's generated backward. 1 000 warm-up steps, then the mean of 500.
    using var one = SymGrad.Tensors.Threads.Use(1);
    var random = new Random(1);
    var x = new SymGrad.Tensors.DenseTensor(64, 28, 28, 1);
    foreach (ref var v in x.Span) v = (float)random.NextDouble();
    foreach (var generated in new[] { false, true })
    {
        SymGrad.Layers.Layer[] layers =
        {
            new SymGrad.Layers.Conv2D(1, 8, 3, seed: 19) { UseGeneratedBackward = generated }, new SymGrad.Layers.Activation<SymGrad.Layers.Relu>(),
            new SymGrad.Layers.MaxPool2D(2) { UseGeneratedBackward = generated }, new SymGrad.Layers.Conv2D(8, 16, 3, seed: 20) { UseGeneratedBackward = generated },
            new SymGrad.Layers.Activation<SymGrad.Layers.Relu>(), new SymGrad.Layers.MaxPool2D(2) { UseGeneratedBackward = generated },
            new SymGrad.Layers.Flatten(), new SymGrad.Layers.Dense(400, 10, seed: 21) { UseGeneratedBackward = generated },
        };
        var (forward, backward) = (new double[layers.Length], new double[layers.Length]);
        const int warm = 1000, measured = 500;
        for (var step = 0; step < warm + measured; step++)
        {
            var t = x;
            for (var i = 0; i < layers.Length; i++)
            {
                var clock = Stopwatch.StartNew();
                t = layers[i].Forward(t, true);
                if (step >= warm) forward[i] += clock.Elapsed.TotalMicroseconds;
            }
            var g = new SymGrad.Tensors.DenseTensor(t.Shape.ToArray());
            g.Fill(0.01f);
            for (var i = layers.Length - 1; i >= 0; i--)
            {
                var clock = Stopwatch.StartNew();
                if (i == 0) layers[i].BackwardParametersOnly(g);
                else g = layers[i].Backward(g);
                if (step >= warm) backward[i] += clock.Elapsed.TotalMicroseconds;
            }
        }
        Console.WriteLine(generated ? "generated backward:" : "kernels:");
        for (var i = 0; i < layers.Length; i++)
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0,-45} forward {1,7:0.0} µs   backward {2,7:0.0} µs", layers[i], forward[i] / measured, backward[i] / measured));
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "  total forward {0:0} µs, backward {1:0} µs", forward.Sum() / measured, backward.Sum() / measured));
    }
    return 0;
}
if (args.Length > 0 && args[0] == "threads")
{
    // Issue 17: the training epochs (generated gradients) on one thread and on every core, interleaved, 11 rounds,
    // medians; the parameters after the rounds are compared bit for bit.
    Console.WriteLine($"| model | samples per epoch | 1 thread | {Environment.ProcessorCount} threads | speed-up |");
    Console.WriteLine("| --- | --- | --- | --- | --- |");
    foreach (var (model, gradients) in new[] { ("MLP 784-128-10", "generated"), ("MLP 784-128-10", "hand-written"), ("CNN", "generated"), ("CNN", "hand-written") })
    {
        var benches = new[] { 1, 0 }.Select(_ => { var b = new TrainingBenchmarks { Model = model, Gradients = gradients }; b.Setup(); return b; }).ToArray();
        var times = new[] { new System.Collections.Generic.List<double>(), new System.Collections.Generic.List<double>() };
        for (var round = 0; round < 11; round++)
            for (var k = 0; k < 2; k++)
            {
                var which = (round + k) % 2;
                using var limit = SymGrad.Tensors.Threads.Use(which == 0 ? 1 : 0);
                var clock = Stopwatch.StartNew();
                benches[which].Epoch();
                times[which].Add(clock.Elapsed.TotalMilliseconds);
            }
        var samples = model == "CNN" ? TrainingBenchmarks.CnnSamples : TrainingBenchmarks.MlpSamples;
        double Median(System.Collections.Generic.List<double> l) => l.OrderBy(x => x).ElementAt(l.Count / 2);
        double one = Median(times[0]), all = Median(times[1]);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0}, {5} backward | {1} | {2:0} ms | {3:0} ms | {4:0.00}× |", model, samples, one, all, one / all, gradients));
    }
    return 0;
}
if (args.Length > 0 && args[0] == "epochs")
{
    // The training benchmarks as a timed harness: generated and hand-written epochs interleaved, 11 rounds, medians
    // and their ratio (interleaving keeps a noisy machine's drift out of the ratio).
    Console.WriteLine("| model | samples per epoch | generated | hand-written | generated ÷ hand-written | allocated per epoch (generated) |");
    Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
    foreach (var model in new[] { "MLP 784-128-10", "CNN" })
    {
        var benches = new[] { "generated", "hand-written" }.Select(g => { var b = new TrainingBenchmarks { Model = model, Gradients = g }; b.Setup(); return b; }).ToArray();
        var times = new[] { new System.Collections.Generic.List<double>(), new System.Collections.Generic.List<double>() };
        long allocated = 0;
        for (var round = 0; round < 11; round++)
            for (var k = 0; k < 2; k++)
            {
                var b = benches[(round + k) % 2];
                var before = GC.GetAllocatedBytesForCurrentThread();
                var clock = Stopwatch.StartNew();
                b.Epoch();
                times[(round + k) % 2].Add(clock.Elapsed.TotalMilliseconds);
                if ((round + k) % 2 == 0) allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            }
        var samples = model == "CNN" ? TrainingBenchmarks.CnnSamples : TrainingBenchmarks.MlpSamples;
        double Median(System.Collections.Generic.List<double> l) => l.OrderBy(x => x).ElementAt(l.Count / 2);
        double generated = Median(times[0]), hand = Median(times[1]);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1} | {2:0} ms ({3:0} samples/s) | {4:0} ms ({5:0} samples/s) | {6:0.00} | {7:0} KB |",
            model, samples, generated, samples / generated * 1000, hand, samples / hand * 1000, generated / hand, allocated / 1024.0));
    }
    return 0;
}
if (args.Length > 0 && args[0] == "stages")
{
    Stages.Run(100, 5); // warm-up
    Stages.Run(100, 20);
    return 0;
}
if (args.Length > 1 && args[0] == "compile")
{
    // Compiles the model source plus every .cs file of a folder (e.g. written by `generate N folder`): what the
    // generated code costs the compiler.
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0:0} ms to compile the model and {1}", BuildCost.CompileWith(100, args[1]), args[1]));
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(EngineBenchmarks).Assembly).Run(args);
return 0;

// Pieces of one pass timed in turn, round after round (a noisy machine's drift hits all of them alike), the first 50
// rounds as warm-up; the median of each.
static void PrintInterleavedMedians((string Name, Action Run)[] actions, int rounds)
{
    var times = actions.Select(_ => new System.Collections.Generic.List<double>()).ToArray();
    // Warm-up: at least 50 rounds and half a second, so tiered compilation has optimised every action's code.
    var warmUp = Stopwatch.StartNew();
    for (var round = 0; round < 50 || warmUp.ElapsedMilliseconds < 500; round++)
        foreach (var action in actions) action.Run();
    for (var round = 0; round < rounds; round++)
        for (var k = 0; k < actions.Length; k++)
        {
            var clock = Stopwatch.StartNew();
            actions[k].Run();
            times[k].Add(clock.Elapsed.TotalMilliseconds);
        }
    for (var k = 0; k < actions.Length; k++) Console.WriteLine($"{actions[k].Name}: {times[k].OrderBy(t => t).ElementAt(times[k].Count / 2):0.000} ms");
}

// A tensor of uniform values in [−0.5, 0.5).
static SymGrad.Tensors.DenseTensor RandomTensor(Random random, int[] shape)
{
    var t = new SymGrad.Tensors.DenseTensor(shape);
    foreach (ref var v in t.Span) v = (float)(random.NextDouble() - 0.5);
    return t;
}
