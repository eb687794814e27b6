using System;
using System.Collections.Generic;
using SymGrad.Layers;
using SymGrad.Optimizers;
using SymGrad.Tensors;

namespace SymGrad.Examples;

/// <summary>
/// The article's §4.1 on the linear regression: how the learning rate decides whether gradient descent converges, and
/// how momentum and Adam change the path. Every run steps on the generated gradient
/// (<see cref="LinearRegressionModel.Gradient"/>), from w = b = 0.
/// </summary>
public static class LinearRegressionComparisons
{
    /// <summary>
    /// A run: the loss L(w, b) after each step, up to the last finite one; <paramref name="DivergedAt"/> is the first
    /// step (0-based) whose loss was not finite, or null when every loss was.
    /// </summary>
    public sealed record Run(string Name, double[] Loss, int? DivergedAt, double W, double B);

    /// <summary>Plain gradient descent θ ← θ − α∇L with rate <paramref name="rate"/>.</summary>
    public static Run GradientDescent(double[] x, double[] y, double rate, int iterations)
    {
        var losses = new List<double>();
        int? diverged = null;
        var (w, b) = LinearRegressionModel.Train(x, y, rate, iterations, (i, w, b) =>
        {
            var loss = LinearRegressionModel.Loss(w, b, x, y);
            if (diverged is null && !double.IsFinite(loss)) diverged = i;
            if (diverged is null) losses.Add(loss);
        });
        return new Run($"α = {rate}", losses.ToArray(), diverged, w, b);
    }

    /// <summary>
    /// The runtime's optimizer (<see cref="Sgd"/>, <see cref="Momentum"/>, <see cref="Adam"/>) stepping (w, b) held as
    /// one parameter tensor, its gradient set from the generated one each step. The optimizers work in float, so the
    /// figures agree with <see cref="GradientDescent"/> to float precision.
    /// </summary>
    public static Run WithOptimizer(string name, Optimizer optimizer, double[] x, double[] y, int iterations)
    {
        var theta = new Parameter("θ", new DenseTensor(new float[] { 0, 0 }, 2));
        var losses = new List<double>(iterations);
        int? diverged = null;
        for (var i = 0; i < iterations; i++)
        {
            var (dw, db) = LinearRegressionModel.Gradient(theta.Value[0], theta.Value[1], x, y);
            theta.Gradient[0] = (float)dw;
            theta.Gradient[1] = (float)db;
            optimizer.Step(new[] { theta });
            var loss = LinearRegressionModel.Loss(theta.Value[0], theta.Value[1], x, y);
            if (!double.IsFinite(loss))
            {
                diverged = i;
                break;
            }
            losses.Add(loss);
        }
        return new Run(name, losses.ToArray(), diverged, theta.Value[0], theta.Value[1]);
    }

    /// <summary>
    /// The largest learning rate for which gradient descent on this loss converges, 2/λ_max: the loss is quadratic in
    /// (w, b) with the constant Hessian [[mean x², mean x], [mean x, 1]], and a step multiplies the error along the
    /// Hessian's top eigenvector by 1 − αλ_max, which grows when α &gt; 2/λ_max.
    /// </summary>
    public static double StableRateLimit(double[] x)
    {
        double m1 = 0, m2 = 0;
        foreach (var v in x)
        {
            m1 += v / x.Length;
            m2 += v * v / x.Length;
        }
        var top = (m2 + 1) / 2 + Math.Sqrt((m2 - 1) * (m2 - 1) / 4 + m1 * m1);
        return 2 / top;
    }

    /// <summary>The first step (0-based) after which the loss stays within <paramref name="tolerance"/> (relative) of <paramref name="target"/>, or null.</summary>
    public static int? StepsToReach(Run run, double target, double tolerance = 0.01)
    {
        if (run.DivergedAt != null) return null;
        int? first = null;
        for (var i = 0; i < run.Loss.Length; i++)
            if (Math.Abs(run.Loss[i] - target) <= tolerance * target) first ??= i;
            else first = null;
        return first;
    }
}
