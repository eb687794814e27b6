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

    /// <summary>An Elman network with a hidden vector, scored by the mean squared error of a linear read-out each step.</summary>
    [Differentiable("W", "U", "b", "v", "c")]
    public static double ElmanVector(double[,] W, double[,] U, ReadOnlySpan<double> b, ReadOnlySpan<double> v, double c, double[,] x, ReadOnlySpan<double> y)
    {
        var h = new double[b.Length];
        var loss = 0.0;
        for (var t = 0; t < x.GetLength(0); t++)
        {
            var next = new double[b.Length];
            for (var i = 0; i < b.Length; i++)
            {
                var s = b[i];
                for (var j = 0; j < b.Length; j++) s += W[i, j] * h[j];
                for (var k = 0; k < x.GetLength(1); k++) s += U[i, k] * x[t, k];
                next[i] = Math.Tanh(s);
            }
            h = next;
            var prediction = c;
            for (var i = 0; i < b.Length; i++) prediction += v[i] * h[i];
            loss += (prediction - y[t]) * (prediction - y[t]);
        }
        return loss / x.GetLength(0);
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

    // The vector Elman network: hs holds h_0 … h_T (rows of H), the read-outs kept per step.
    public static double ElmanVector(double[,] W, double[,] U, ReadOnlySpan<double> b, ReadOnlySpan<double> v, double c, double[,] x, ReadOnlySpan<double> y,
        double[] hs, double[] outputs, double[] delta, double[] before, double[,] dW, double[,] dU, Span<double> db, Span<double> dv, out double dc)
    {
        int n = x.GetLength(0), hidden = b.Length, inputs = x.GetLength(1);
        Array.Clear(hs, 0, hidden);
        var loss = 0.0;
        for (var t = 0; t < n; t++)
        {
            int from = t * hidden, to = from + hidden;
            var o = c;
            for (var i = 0; i < hidden; i++)
            {
                var s = b[i];
                for (var j = 0; j < hidden; j++) s += W[i, j] * hs[from + j];
                for (var k = 0; k < inputs; k++) s += U[i, k] * x[t, k];
                var h = Math.Tanh(s);
                hs[to + i] = h;
                o += v[i] * h;
            }
            outputs[t] = o;
            loss += (o - y[t]) * (o - y[t]);
        }
        Array.Clear(dW);
        Array.Clear(dU);
        db.Clear();
        dv.Clear();
        dc = 0;
        Array.Clear(delta, 0, hidden);
        for (var t = n - 1; t >= 0; t--)
        {
            int from = t * hidden, to = from + hidden;
            var dOut = 2 * (outputs[t] - y[t]) / n;
            dc += dOut;
            for (var i = 0; i < hidden; i++)
            {
                var h = hs[to + i];
                dv[i] += dOut * h;
                var g = (delta[i] + dOut * v[i]) * (1 - h * h);
                db[i] += g;
                for (var j = 0; j < hidden; j++) dW[i, j] += g * hs[from + j];
                for (var k = 0; k < inputs; k++) dU[i, k] += g * x[t, k];
                before[i] = g;
            }
            for (var j = 0; j < hidden; j++)
            {
                var s = 0.0;
                for (var i = 0; i < hidden; i++) s += W[i, j] * before[i];
                delta[j] = s;
            }
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
    [Params("Elman", "LSTM", "Elman16")]
    public string Cell { get; set; } = "Elman";

    private const int Steps = 1_000;
    private double[] _x = Array.Empty<double>();
    private double[] _y = Array.Empty<double>();
    private readonly double[] _p = new Random(3).Let(r => Enumerable.Range(0, 12).Select(_ => r.NextDouble() - 0.5).ToArray());
    private readonly double[] _grad = new double[12];
    private double[] _tape = Array.Empty<double>();

    // The vector network: 16 hidden units, 4 inputs, 200 steps.
    private const int Hidden = 16, Inputs = 4, VectorSteps = 200;
    private readonly double[,] _w = new double[Hidden, Hidden], _u = new double[Hidden, Inputs], _xs = new double[VectorSteps, Inputs];
    private readonly double[] _b = new double[Hidden], _v = new double[Hidden];
    private readonly double[,] _dW = new double[Hidden, Hidden], _dU = new double[Hidden, Inputs];
    private readonly double[] _db = new double[Hidden], _dv = new double[Hidden];
    private readonly double[] _hs = new double[(VectorSteps + 1) * Hidden], _outputs = new double[VectorSteps], _delta = new double[Hidden], _before = new double[Hidden];

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(5);
        for (var i = 0; i < Hidden; i++)
        {
            for (var j = 0; j < Hidden; j++) _w[i, j] = (r.NextDouble() - 0.5) * 0.25;
            for (var k = 0; k < Inputs; k++) _u[i, k] = r.NextDouble() - 0.5;
            _b[i] = r.NextDouble() - 0.5;
            _v[i] = r.NextDouble() - 0.5;
        }
        for (var t = 0; t < VectorSteps; t++)
        for (var k = 0; k < Inputs; k++) _xs[t, k] = r.NextDouble() * 2 - 1;
        var random = new Random(1);
        _x = Enumerable.Range(0, Steps).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        _y = Enumerable.Range(0, Steps).Select(_ => random.NextDouble() - 0.5).ToArray();
        _tape = new double[7 * Steps + 1];
    }

    [Benchmark(Baseline = true)]
    public double HandWritten() => Cell == "Elman" ? HandWrittenBptt.Elman(0.8, -0.6, 0.1, _x, _y, _tape, out _, out _, out _)
        : Cell == "Elman16" ? HandWrittenBptt.ElmanVector(_w, _u, _b, _v, 0.1, _xs, _y.AsSpan(0, VectorSteps), _hs, _outputs, _delta, _before, _dW, _dU, _db, _dv, out _)
        : HandWrittenBptt.Lstm(_p, _x, 0.3, _tape, _grad);

    [Benchmark]
    public double Generated() => Cell == "Elman" ? RecurrentCells.ElmanGradient(0.8, -0.6, 0.1, _x, _y, out _, out _, out _)
        : Cell == "Elman16" ? RecurrentCells.ElmanVectorGradient(_w, _u, _b, _v, 0.1, _xs, _y.AsSpan(0, VectorSteps), _dW, _dU, _db, _dv, out _)
        : RecurrentCells.LstmGradient(_p[0], _p[1], _p[2], _p[3], _p[4], _p[5], _p[6], _p[7], _p[8], _p[9], _p[10], _p[11], _x, 0.3, _grad);

    [Benchmark]
    public double GeneratedCheckpointed() => Cell == "Elman" ? RecurrentCells.ElmanGradientCheckpointed(0.8, -0.6, 0.1, _x, _y, out _, out _, out _)
        : Cell == "Elman16" ? RecurrentCells.ElmanVectorGradientCheckpointed(_w, _u, _b, _v, 0.1, _xs, _y.AsSpan(0, VectorSteps), _dW, _dU, _db, _dv, out _)
        : RecurrentCells.LstmGradientCheckpointed(_p[0], _p[1], _p[2], _p[3], _p[4], _p[5], _p[6], _p[7], _p[8], _p[9], _p[10], _p[11], _x, 0.3,
            out _, out _, out _, out _, out _, out _, out _, out _, out _, out _, out _, out _);
}

internal static class Functional
{
    public static TResult Let<T, TResult>(this T value, Func<T, TResult> f) => f(value);
}
