using System;
using System.Linq;
using BenchmarkDotNet.Attributes;
using SymGrad;

namespace SymGrad.Benchmarks;

/// <summary>Recurrent cells as a user writes them (issue 16): their BPTT gradients are generated.</summary>
public static partial class RecurrentCells
{
    /// <summary>An Elman cell with one hidden unit, scored by the mean squared error of its states.</summary>
    [Differentiable("w", "u", "b")]
    public static double Elman(double w, double u, double b, ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double h = 0, loss = 0;
        for (var t = 0; t < x.Length; t++)
        {
            h = Math.Tanh(w * h + u * x[t] + b);
            loss += (h - y[t]) * (h - y[t]);
        }
        return loss / x.Length;
    }

    /// <summary>A scalar LSTM cell (h and c carried), scored by the squared error of its last state.</summary>
    [Differentiable]
    public static double Lstm(double wf, double uf, double bf, double wi, double ui, double bi, double wg, double ug, double bg, double wo, double uo, double bo,
        [NoDiff] ReadOnlySpan<double> x, [NoDiff] double target)
    {
        double h = 0, c = 0;
        for (var t = 0; t < x.Length; t++)
        {
            var f = 1 / (1 + Math.Exp(-(wf * h + uf * x[t] + bf)));
            var i = 1 / (1 + Math.Exp(-(wi * h + ui * x[t] + bi)));
            var g = Math.Tanh(wg * h + ug * x[t] + bg);
            var o = 1 / (1 + Math.Exp(-(wo * h + uo * x[t] + bo)));
            c = f * c + i * g;
            h = o * Math.Tanh(c);
        }
        return (h - target) * (h - target);
    }
}

/// <summary>The same cells' gradients written by hand, as a BPTT is usually written: the forward pass keeps what the backward reads.</summary>
public static class HandWrittenBptt
{
    public static double Elman(double w, double u, double b, ReadOnlySpan<double> x, ReadOnlySpan<double> y, double[] hs, out double dw, out double du, out double db)
    {
        var n = x.Length;
        hs[0] = 0;
        var loss = 0.0;
        for (var t = 0; t < n; t++)
        {
            var h = Math.Tanh(w * hs[t] + u * x[t] + b);
            hs[t + 1] = h;
            loss += (h - y[t]) * (h - y[t]);
        }
        dw = du = db = 0;
        var dh = 0.0;
        for (var t = n - 1; t >= 0; t--)
        {
            dh += 2 * (hs[t + 1] - y[t]) / n;
            var da = dh * (1 - hs[t + 1] * hs[t + 1]);
            dw += da * hs[t];
            du += da * x[t];
            db += da;
            dh = da * w;
        }
        return loss / n;
    }

    // Per step: h, c, the gates f, i, g, o and tanh(c), 7 values.
    public static double Lstm(ReadOnlySpan<double> p, ReadOnlySpan<double> x, double target, double[] tape, Span<double> grad)
    {
        double wf = p[0], uf = p[1], bf = p[2], wi = p[3], ui = p[4], bi = p[5], wg = p[6], ug = p[7], bg = p[8], wo = p[9], uo = p[10], bo = p[11];
        double h = 0, c = 0;
        var n = x.Length;
        for (var t = 0; t < n; t++)
        {
            var f = 1 / (1 + Math.Exp(-(wf * h + uf * x[t] + bf)));
            var i = 1 / (1 + Math.Exp(-(wi * h + ui * x[t] + bi)));
            var g = Math.Tanh(wg * h + ug * x[t] + bg);
            var o = 1 / (1 + Math.Exp(-(wo * h + uo * x[t] + bo)));
            var k = 7 * t;
            tape[k] = h;
            tape[k + 1] = c;
            c = f * c + i * g;
            var tc = Math.Tanh(c);
            h = o * tc;
            tape[k + 2] = f;
            tape[k + 3] = i;
            tape[k + 4] = g;
            tape[k + 5] = o;
            tape[k + 6] = tc;
        }
        grad.Clear();
        var dh = 2 * (h - target);
        var dc = 0.0;
        for (var t = n - 1; t >= 0; t--)
        {
            var k = 7 * t;
            double hp = tape[k], cp = tape[k + 1], f = tape[k + 2], i = tape[k + 3], g = tape[k + 4], o = tape[k + 5], tc = tape[k + 6];
            dc += dh * o * (1 - tc * tc);
            var dzf = dc * cp * f * (1 - f);
            var dzi = dc * g * i * (1 - i);
            var dzg = dc * i * (1 - g * g);
            var dzo = dh * tc * o * (1 - o);
            grad[0] += dzf * hp; grad[1] += dzf * x[t]; grad[2] += dzf;
            grad[3] += dzi * hp; grad[4] += dzi * x[t]; grad[5] += dzi;
            grad[6] += dzg * hp; grad[7] += dzg * x[t]; grad[8] += dzg;
            grad[9] += dzo * hp; grad[10] += dzo * x[t]; grad[11] += dzo;
            dh = dzf * wf + dzi * wi + dzg * wg + dzo * wo;
            dc *= f;
        }
        return (h - target) * (h - target);
    }
}

/// <summary>
/// Generated BPTT against hand-written BPTT for the same cells over 1 000 steps (issue 16's target: within 10%).
/// The hand-written versions reuse their buffers between calls; the generated ones allocate their trajectory per call
/// (one array of T + 1 doubles per state the sweep reads), as a caller of {Name}Gradient gets it.
/// </summary>
[MemoryDiagnoser]
public class Bptt
{
    [Params("Elman", "LSTM")]
    public string Cell { get; set; } = "Elman";

    private const int Steps = 1_000;
    private double[] _x = Array.Empty<double>();
    private double[] _y = Array.Empty<double>();
    private readonly double[] _p = new Random(3).Let(r => Enumerable.Range(0, 12).Select(_ => r.NextDouble() - 0.5).ToArray());
    private readonly double[] _grad = new double[12];
    private double[] _tape = Array.Empty<double>();

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _x = Enumerable.Range(0, Steps).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        _y = Enumerable.Range(0, Steps).Select(_ => random.NextDouble() - 0.5).ToArray();
        _tape = new double[7 * Steps + 1];
    }

    [Benchmark(Baseline = true)]
    public double HandWritten() => Cell == "Elman"
        ? HandWrittenBptt.Elman(0.8, -0.6, 0.1, _x, _y, _tape, out _, out _, out _)
        : HandWrittenBptt.Lstm(_p, _x, 0.3, _tape, _grad);

    [Benchmark]
    public double Generated() => Cell == "Elman"
        ? RecurrentCells.ElmanGradient(0.8, -0.6, 0.1, _x, _y, out _, out _, out _)
        : RecurrentCells.LstmGradient(_p[0], _p[1], _p[2], _p[3], _p[4], _p[5], _p[6], _p[7], _p[8], _p[9], _p[10], _p[11], _x, 0.3, _grad);

    [Benchmark]
    public double GeneratedCheckpointed() => Cell == "Elman"
        ? RecurrentCells.ElmanGradientCheckpointed(0.8, -0.6, 0.1, _x, _y, out _, out _, out _)
        : RecurrentCells.LstmGradientCheckpointed(_p[0], _p[1], _p[2], _p[3], _p[4], _p[5], _p[6], _p[7], _p[8], _p[9], _p[10], _p[11], _x, 0.3,
            out _, out _, out _, out _, out _, out _, out _, out _, out _, out _, out _, out _);
}

internal static class Functional
{
    public static TResult Let<T, TResult>(this T value, Func<T, TResult> f) => f(value);
}
