using System;
using SymGrad;

namespace SymGrad.Generators.Tests;

/// <summary>int parameters as data, and loops beyond 0…n−1 by one (issue 15).</summary>
public static partial class IntegerDataModel
{
    /// <summary>Sparse softmax cross-entropy: log Σ e^{z_j} − z[label], no one-hot vector.</summary>
    [Differentiable(nameof(z))]
    public static double SparseCrossEntropy(ReadOnlySpan<double> z, int label)
    {
        var s = 0.0;
        for (var j = 0; j < z.Length; j++) s += Math.Exp(z[j]);
        return Math.Log(s) - z[label];
    }

    [Differentiable(nameof(z))]
    public static float SparseCrossEntropyF(ReadOnlySpan<float> z, int label)
    {
        var m = float.NegativeInfinity;
        for (var j = 0; j < z.Length; j++) m = MathF.Max(m, z[j]);
        var s = 0f;
        for (var j = 0; j < z.Length; j++) s += MathF.Exp(z[j] - m);
        return m + MathF.Log(s) - z[label];
    }

    /// <summary>C#'s int arithmetic on int data: n / 2 truncates, x * n / 2 does not.</summary>
    [Differentiable] public static double Scaled(double x, int n) => x * n / 2 + n / 2 * x + x / (n + 1) + (double)(n % 3) * x * x;

    /// <summary>A polynomial Σ w^i / (i + 1) with the loop index as exponent; its derivative at w = 0 is 1/2 (not NaN).</summary>
    [Differentiable] public static double Polynomial(double w, int n)
    {
        var s = 0.0;
        for (var i = 0; i < n; i++) s += Math.Pow(w, i) / (i + 1);
        return s;
    }

    /// <summary>Steps other than one, starts other than 0, and &lt;=.</summary>
    [Differentiable]
    public static double Strided(ReadOnlySpan<double> x, double w)
    {
        var s = 0.0;
        for (var i = 1; i < x.Length; i += 2) s += w * x[i] * x[i - 1];
        for (var i = 0; i <= x.Length - 3; i = i + 3) s += x[i] * x[i + 2];
        return s;
    }

    private const int Step = 3;

    /// <summary>A named constant step.</summary>
    [Differentiable]
    public static double NamedStep(ReadOnlySpan<double> x, double w) { var s = 0.0; for (var i = 1; i < x.Length; i += Step) s += w * x[i] * x[i]; return s; }

    /// <summary>A triangular double loop: Σ_{i} Σ_{j&lt;i} w x_i x_j.</summary>
    [Differentiable]
    public static double Triangular(ReadOnlySpan<double> x, double w)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++)
            for (var j = 0; j < i; j++) s += w * x[i] * x[j];
        return s;
    }

    /// <summary>Positions computed from int data, and an int parameter as a loop bound.</summary>
    [Differentiable(nameof(z), nameof(w))]
    public static double Positions(ReadOnlySpan<double> z, double w, int label, int offset)
    {
        var s = z[(int)(label + offset) % z.Length] * z[label / 2];
        for (var i = 0; i < offset; i++) s += w * i * z[i];
        return s;
    }
}
