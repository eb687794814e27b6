using System;
using SymGrad;

namespace SymGrad.Generators.Tests;

/// <summary>Second derivatives of methods over spans and arrays: Hessian-vector products and short Hessians (issue 15).</summary>
public static partial class SecondOrderIndexedModel
{
    /// <summary>Mean logistic loss of a linear model: H = Xᵀ diag(σ(1 − σ)) X / n (with the bias as a column of ones).</summary>
    [Differentiable(nameof(w), nameof(b), Order = 2)]
    public static double Logistic(ReadOnlySpan<double> w, double b, double[,] X, ReadOnlySpan<double> y)
    {
        var s = 0.0;
        for (var i = 0; i < y.Length; i++)
        {
            var z = b;
            for (var j = 0; j < w.Length; j++) z += w[j] * X[i, j];
            s += Math.Log(1 + Math.Exp(-y[i] * z));
        }
        return s / y.Length;
    }

    /// <summary>A scalar activation of order 2, called from a span method (its second derivative carries the chain rule).</summary>
    [Differentiable(Order = 2)] public static double Act(double u) => Math.Log(1 + Math.Exp(u)) + 0.1 * u * u * u;

    [Differentiable(Order = 2)]
    public static double Coupled(ReadOnlySpan<double> x, double a)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++) s += Act(a * x[i]) + x[i] * x[i] * x[i] * x[i] / 12;
        for (var i = 1; i < x.Length; i++) s += Math.Sin(x[i] - x[i - 1]);
        return s;
    }

    /// <summary>A matrix variable: H·v only (SG0025 says there is no full Hessian).</summary>
#pragma warning disable SG0025
    [Differentiable(nameof(W), Order = 2)]
    public static double Frobenius(double[,] W, ReadOnlySpan<double> x)
    {
        var s = 0.0;
        for (var i = 0; i < W.GetLength(0); i++)
        {
            var r = 0.0;
            for (var j = 0; j < W.GetLength(1); j++) r += W[i, j] * x[j];
            s += Math.Exp(r);
        }
        return s;
    }
#pragma warning restore SG0025

    /// <summary>Softmax cross-entropy through Sym.Sum (both sums over j; the stable form's argmax over j meets a loop over j).</summary>
    [Differentiable(Order = 2)]
    public static double SoftmaxCrossEntropy(double[] z, double[] y) => Math.Log(Sym.Sum(z.Length, j => Math.Exp(z[j]))) - Sym.Sum(z.Length, j => y[j] * z[j]);

    // Subscripts other than x[i] (strides, shifted starts, flat matrices): the product's scatter must be of ∇f·v's terms.
    [Differentiable(Order = 2)]
    public static double Strided(ReadOnlySpan<double> x) { var s = 0.0; for (var i = 0; i < x.Length; i += 2) s += x[i] * x[i] * x[i]; return s; }

    [Differentiable(Order = 2)]
    public static double Rosenbrock(ReadOnlySpan<double> x)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length - 1; i += 2) s += 100 * (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) + (1 - x[i]) * (1 - x[i]);
        return s;
    }

    [Differentiable(Order = 2)]
    public static double Pairs(ReadOnlySpan<double> x)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++)
            for (var j = i + 1; j < x.Length; j++) s += 1 / ((x[i] - x[j]) * (x[i] - x[j]) + 1) + x[i] * x[j] * x[2 * (j / 2)];
        return s;
    }

    [Differentiable(nameof(u), nameof(v), Order = 2)]
    public static double Factorisation(ReadOnlySpan<double> u, ReadOnlySpan<double> v, int r)
    {
        var s = 0.0;
        for (var i = 0; i < u.Length / r; i++)
            for (var j = 0; j < v.Length / r; j++)
            {
                var e = (double)(i - j);
                for (var k = 0; k < r; k++) e += u[i * r + k] * v[j * r + k];
                s += e * e;
            }
        return s;
    }

    [Differentiable(Order = 2)]
    public static float SquaredNormF(ReadOnlySpan<float> x, float c)
    {
        var s = 0f;
        for (var i = 0; i < x.Length; i++) s += c * x[i] * x[i] * x[i];
        return s;
    }
}
