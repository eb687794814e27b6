using System;

namespace SymGrad.Generators.Tests;

/// <summary>Loops that carry state, as users write them: RNN cells, running products, an integrator, gated cells.</summary>
public static partial class RecurrenceModel
{
    /// <summary>An Elman cell with one hidden unit, scored by the mean squared error of its states against targets.</summary>
    [Differentiable("w", "u", "b")]
    public static double Rnn(double w, double u, double b, ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double h = 0, loss = 0;
        for (int t = 0; t < x.Length; t++)
        {
            h = Math.Tanh(w * h + u * x[t] + b);
            loss += (h - y[t]) * (h - y[t]);
        }
        return loss / x.Length;
    }

    /// <summary>The same cell in float.</summary>
    [Differentiable("w", "u", "b")]
    public static float RnnF(float w, float u, float b, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        float h = 0, loss = 0;
        for (int t = 0; t < x.Length; t++)
        {
            h = MathF.Tanh(w * h + u * x[t] + b);
            loss += (h - y[t]) * (h - y[t]);
        }
        return loss / x.Length;
    }

    /// <summary><see cref="Rnn"/> unrolled by hand over four steps: what the recurrence must agree with.</summary>
    [Differentiable("w", "u", "b")]
    public static double RnnUnrolled4(double w, double u, double b, double x0, double x1, double x2, double x3, double y0, double y1, double y2, double y3)
    {
        var h1 = Math.Tanh(w * 0 + u * x0 + b);
        var h2 = Math.Tanh(w * h1 + u * x1 + b);
        var h3 = Math.Tanh(w * h2 + u * x2 + b);
        var h4 = Math.Tanh(w * h3 + u * x3 + b);
        return ((h1 - y0) * (h1 - y0) + (h2 - y1) * (h2 - y1) + (h3 - y2) * (h3 - y2) + (h4 - y3) * (h4 - y3)) / 4;
    }

    /// <summary>xⁿ by repeated multiplication (an int count as data).</summary>
    [Differentiable]
    public static double Power(double x, int n)
    {
        var p = 1.0;
        for (var i = 0; i < n; i++) p *= x;
        return p;
    }

    /// <summary>A scalar LSTM cell: two carried variables (h, c), four gates.</summary>
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

    /// <summary>A scalar GRU cell whose weights are one span variable (read at constant positions).</summary>
    [Differentiable("p")]
    public static double Gru(ReadOnlySpan<double> p, ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var h = 0.0;
        var loss = 0.0;
        for (var t = 0; t < x.Length; t++)
        {
            var z = 1 / (1 + Math.Exp(-(p[0] * x[t] + p[1] * h + p[2])));
            var r = 1 / (1 + Math.Exp(-(p[3] * x[t] + p[4] * h + p[5])));
            var candidate = Math.Tanh(p[6] * x[t] + p[7] * (r * h) + p[8]);
            h = (1 - z) * h + z * candidate;
            loss += Math.Abs(h - y[t]) < 1 ? 0.5 * (h - y[t]) * (h - y[t]) : Math.Abs(h - y[t]) - 0.5;
        }
        return loss;
    }

    /// <summary>A cell over vector inputs x[t, k] with a weight span: an inner sum inside each step.</summary>
    [Differentiable("w", "a", "b")]
    public static double VectorInput(ReadOnlySpan<double> w, double a, double b, double[,] x)
    {
        var h = 0.5;
        for (var t = 0; t < x.GetLength(0); t++)
        {
            var s = b;
            for (var k = 0; k < w.Length; k++) s += w[k] * x[t, k];
            h = Math.Tanh(a * h + s);
        }
        return h * h;
    }

    /// <summary>A state that starts from the parameters, a mean computed before the loop, and the value read after it.</summary>
    [Differentiable("x", "h0", "a")]
    public static double Centered(ReadOnlySpan<double> x, double h0, double a)
    {
        var mean = 0.0;
        for (var i = 0; i < x.Length; i++) mean += x[i];
        mean /= x.Length;
        var h = h0 * h0;
        for (var t = 0; t < x.Length; t++) h = Math.Sin(a * h + x[t] - mean);
        return h + mean * a;
    }

    /// <summary>Euler steps of a spring: position and velocity carried, the stiffness and damping differentiated.</summary>
    [Differentiable("k", "damping")]
    public static double Spring(double k, double damping, int steps, double dt)
    {
        double position = 1, velocity = 0, energy = 0;
        for (var t = 0; t < steps; t++)
        {
            var acceleration = -k * position - damping * velocity;
            position += dt * velocity;
            velocity += dt * acceleration;
            energy += dt * position * position;
        }
        return energy + 0.5 * velocity * velocity;
    }

    /// <summary>Branches inside the step (an if statement changing the state), and a running min.</summary>
    [Differentiable("w", "v")]
    public static double Branchy(double w, double v, ReadOnlySpan<double> x)
    {
        var h = 0.0;
        var low = double.PositiveInfinity;
        for (var t = 1; t <= x.Length - 1; t += 2)
        {
            if (x[t] > 0) h = Math.Tanh(w * h + x[t]);
            else h = 0.5 * h + v * x[t - 1];
            low = Math.Min(low, h * v);
        }
        return h + low;
    }

    /// <summary>The gradient with respect to the input sequence itself (read at the step's index).</summary>
    [Differentiable("x", "w")]
    public static double InputGradient(ReadOnlySpan<double> x, double w)
    {
        var h = 0.0;
        for (var t = 0; t < x.Length; t++) h = Math.Tanh(w * h + x[t] * x[t]);
        return h;
    }

    /// <summary>An Elman network with a hidden vector h (a span state): h ← tanh(W h + U x_t + b), a linear read-out scored each step.</summary>
    [Differentiable("W", "U", "b", "v", "c")]
    public static double Elman(double[,] W, double[,] U, ReadOnlySpan<double> b, ReadOnlySpan<double> v, double c, double[,] x, ReadOnlySpan<double> y)
    {
        var hidden = b.Length;
        var h = new double[hidden];
        var loss = 0.0;
        for (var t = 0; t < x.GetLength(0); t++)
        {
            var next = new double[hidden];
            for (var i = 0; i < hidden; i++)
            {
                var s = b[i];
                for (var j = 0; j < hidden; j++) s += W[i, j] * h[j];
                for (var k = 0; k < x.GetLength(1); k++) s += U[i, k] * x[t, k];
                next[i] = Math.Tanh(s);
            }
            h = next;
            var output = c;
            for (var i = 0; i < hidden; i++) output += v[i] * h[i];
            loss += (output - y[t]) * (output - y[t]);
        }
        return loss / x.GetLength(0);
    }

    /// <summary>A hidden vector started from a parameter span, copied with CopyTo, read after the loop.</summary>
    [Differentiable("h0", "a")]
    public static double Decay(ReadOnlySpan<double> h0, double a, ReadOnlySpan<double> x)
    {
        Span<double> h = stackalloc double[h0.Length];
        for (var i = 0; i < h.Length; i++) h[i] = h0[i] * h0[i];
        for (var t = 0; t < x.Length; t++)
        {
            var next = new double[h0.Length];
            for (var i = 0; i < h.Length; i++) next[i] = Math.Sin(a * h[(i + 1) % h.Length] + x[t]);
            next.CopyTo(h);
        }
        var total = 0.0;
        for (var i = 0; i < h.Length; i++) total += h[i] * (i + 1);
        return total;
    }

    /// <summary>A hidden layer held in an array local (no loop carrying state): its elements are read as formulas.</summary>
    [Differentiable("W", "v")]
    public static double HiddenLayer(double[,] W, ReadOnlySpan<double> v, ReadOnlySpan<double> x)
    {
        var a = new double[v.Length];
        for (var j = 0; j < v.Length; j++)
        {
            var s = 0.0;
            for (var k = 0; k < x.Length; k++) s += W[j, k] * x[k];
            a[j] = Math.Tanh(s);
        }
        var y = 0.0;
        for (var j = 0; j < v.Length; j++) y += v[j] * a[j];
        return y * y;
    }

    /// <summary>
    /// Neighbouring units multiplied (a second user trial): the products run to b.Length − 1, so buffers sized so are
    /// −1 long for an empty b, and the gradient reads h at k + 1 only where k + 1 is in range.
    /// </summary>
    [Differentiable("W", "a")]
    public static double NeighbourProducts(double[,] W, ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var h = new double[b.Length];
        for (var j = 0; j < b.Length; j++)
        {
            var z = b[j];
            for (var i = 0; i < a.Length; i++) z += W[j, i] * a[i];
            h[j] = Math.Tanh(z);
        }
        var s = 0.0;
        for (var j = 0; j < b.Length - 1; j++) s += h[j] * h[j + 1];
        return s;
    }

    /// <summary>A neighbour read: x[k + 1] in the gradient only under k &lt; n − 1.</summary>
    [Differentiable("x")]
    public static double NeighbourDifferences(ReadOnlySpan<double> x)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length - 1; i++) s += Math.Tanh(x[i + 1] - x[i]);
        return s;
    }

    /// <summary>Elements read back in the iteration that writes them (a[i] after a[i] = …), no recurrence.</summary>
    [Differentiable("w")]
    public static double WrittenThenRead(double w, ReadOnlySpan<double> v)
    {
        var a = new double[v.Length];
        var b = new double[v.Length];
        for (var i = 0; i < v.Length; i++)
        {
            a[i] = w * v[i];
            b[i] = a[i] * a[i];
        }
        var s = 0.0;
        for (var i = 0; i < v.Length; i++) s += b[i];
        return s;
    }

    /// <summary>A vector state read back in the step that writes it, into a loss added up in the same loop.</summary>
    [Differentiable("w")]
    public static double ReadBackInStep(double w, ReadOnlySpan<double> x)
    {
        var h = new double[3];
        var loss = 0.0;
        for (var t = 0; t < x.Length; t++)
        {
            var next = new double[3];
            for (var i = 0; i < 3; i++)
            {
                next[i] = Math.Tanh(w * h[(i + 1) % 3] + x[t] * (i + 1));
                loss += next[i] * next[i];
            }
            h = next;
        }
        return loss;
    }

    /// <summary>Loop indices named like the generated code's locals.</summary>
    [Differentiable("w")]
    public static double NamedLikeLocals(double w, int n)
    {
        var h = 1.0;
        for (var segmentLength = 0; segmentLength < n; segmentLength++) h = h * w + 0.1;
        var g = h;
        return g * g;
    }

    /// <summary>A vector LSTM-like cell: two carried arrays, the hidden one computed from the cell's new elements.</summary>
    [Differentiable("wf", "wg", "u")]
    public static double VectorLstm(double[,] wf, double[,] wg, ReadOnlySpan<double> u, ReadOnlySpan<double> x)
    {
        var n = u.Length;
        var h = new double[n];
        var c = new double[n];
        for (var t = 0; t < x.Length; t++)
        {
            var cn = new double[n];
            var hn = new double[n];
            for (var i = 0; i < n; i++)
            {
                var zf = u[i] * x[t];
                var zg = x[t];
                for (var j = 0; j < n; j++)
                {
                    zf += wf[i, j] * h[j];
                    zg += wg[i, j] * h[j];
                }
                var f = 1 / (1 + Math.Exp(-zf));
                cn[i] = f * c[i] + (1 - f) * Math.Tanh(zg);
                hn[i] = Math.Tanh(cn[i]);
            }
            c = cn;
            h = hn;
        }
        var s = 0.0;
        for (var i = 0; i < n; i++) s += h[i] * (i + 1) + c[i];
        return s;
    }

    // A parameter named as the adjoint (a user trial): its derivation wrote ∂/∂δ of the adjoint itself into ∂f/∂delta.
    [Differentiable("delta")]
    public static double NamedDelta(double delta, ReadOnlySpan<double> xs)
    {
        var h = 0.0;
        for (var t = 0; t < xs.Length; t++) h = Math.Tanh(h + xs[t] + delta);
        return h;
    }
}
