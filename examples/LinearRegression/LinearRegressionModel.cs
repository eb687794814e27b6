using System;
using System.Collections.Generic;
using SymGrad;

namespace SymGrad.Examples;

/// <summary>
/// The article's linear-regression example: data y = 2x + 3 + 0.5·noise, the loss L = 1/(2n) Σ (yᵢ − (w xᵢ + b))²,
/// and gradient descent from w = b = 0. The per-sample loss is an attributed method; its gradient
/// <see cref="SquaredErrorGradient(double, double, double, double, out double, out double)"/> is generated at build
/// time, and the mean over the samples is ∂L/∂w, ∂L/∂b.
/// </summary>
public static partial class LinearRegressionModel
{
    /// <summary>½(y − (w x + b))² for one sample; its mean over the data is the article's loss.</summary>
    [Differentiable(nameof(w), nameof(b))]
    public static double SquaredError(double w, double b, double x, double y)
    {
        var yHat = w * x + b;
        return 0.5 * (y - yHat) * (y - yHat);
    }

    /// <summary>
    /// n points x ~ U[0, 1), y = 2x + 3 + 0.5·ε with ε ~ N(0, 1) (Box–Muller), from a seeded generator: the same
    /// seed gives the same data on every machine.
    /// </summary>
    public static (double[] X, double[] Y) Data(int n = 100, int seed = 42)
    {
        var random = new Random(seed);
        var x = new double[n];
        var y = new double[n];
        for (var i = 0; i < n; i++) x[i] = random.NextDouble();
        for (var i = 0; i < n; i++)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            var noise = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            y[i] = 2 * x[i] + 3 + noise * 0.5;
        }
        return (x, y);
    }

    /// <summary>L(w, b) = mean of the per-sample loss.</summary>
    public static double Loss(double w, double b, double[] x, double[] y)
    {
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++) sum += SquaredError(w, b, x[i], y[i]);
        return sum / x.Length;
    }

    /// <summary>(∂L/∂w, ∂L/∂b): the mean of the generated per-sample gradients.</summary>
    public static (double Dw, double Db) Gradient(double w, double b, double[] x, double[] y)
    {
        double dw = 0, db = 0;
        for (var i = 0; i < x.Length; i++)
        {
            SquaredErrorGradient(w, b, x[i], y[i], out var gw, out var gb);
            dw += gw;
            db += gb;
        }
        return (dw / x.Length, db / x.Length);
    }

    /// <summary>
    /// Gradient descent θ ← θ − α∇L from w = b = 0, as in the article; <paramref name="onStep"/> sees every step's
    /// (iteration, w, b) after the update. Returns the final (w, b).
    /// </summary>
    public static (double W, double B) Train(double[] x, double[] y, double learningRate = 0.01, int iterations = 1000, Action<int, double, double>? onStep = null)
    {
        double w = 0, b = 0;
        for (var i = 0; i < iterations; i++)
        {
            var (dw, db) = Gradient(w, b, x, y);
            w -= learningRate * dw;
            b -= learningRate * db;
            onStep?.Invoke(i, w, b);
        }
        return (w, b);
    }

    /// <summary>The closed-form least-squares fit (w*, b*) that gradient descent approaches.</summary>
    public static (double W, double B) LeastSquares(double[] x, double[] y)
    {
        double mx = 0, my = 0;
        for (var i = 0; i < x.Length; i++)
        {
            mx += x[i];
            my += y[i];
        }
        mx /= x.Length;
        my /= x.Length;
        double sxy = 0, sxx = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        var w = sxy / sxx;
        return (w, my - w * mx);
    }
}
