using System;
using SymGrad;
using Alias = System.Math;
using static System.Math;

namespace SymGrad.Generators.Tests.CrossType;

// Calls across types (issue 15): a [Differentiable] method calls those of other classes, of a generic class, and of
// another assembly (SymGrad's own Activations), through a chain of three; System.Math through an alias and using static.

/// <summary>Activations, written with using static System.Math.</summary>
public static partial class Acts
{
    [Differentiable] public static double Swish(double x) => x / (1 + Exp(-x));
    [Differentiable] public static double Scaled(double x, double a) => a * Tanh(x / a);
}

/// <summary>A generic class: its [Differentiable] methods are called as Gen&lt;int&gt;.Cube.</summary>
public static partial class Gen<T>
{
    [Differentiable] public static double Cube(double x) => x * x * x / 3;
}

/// <summary>The middle of the chain: calls Acts.</summary>
public static partial class Layer
{
    [Differentiable] public static double Unit(double w, double x, double b) => Acts.Swish(w * x + b);
}

/// <summary>Objectives calling other types' activations (and, through Layer, Acts).</summary>
public static partial class Objectives
{
    [Differentiable("w", "b")]
    public static double Chain(double w, double b, double x, double y)
    {
        var p = Layer.Unit(w, x, b);
        return (p - y) * (p - y) + Alias.Abs(w) * 0.01 + SymGrad.Generators.Tests.CrossType.Acts.Scaled(b, 2.0) + Gen<int>.Cube(w);
    }

    /// <summary>SymGrad's own σ, from the runtime assembly (float): its attribute is read from metadata.</summary>
    [Differentiable] public static float Runtime(float z, float y) => -(y * MathF.Log(SymGrad.Functions.Activations.Sigmoid(z)) + (1 - y) * MathF.Log(1 - SymGrad.Functions.Activations.Sigmoid(z)));
}
