using System;
using SymGrad.Layers;
using SymGrad.Tensors;
using SymGrad.Training;

namespace SymGrad.Tests;

/// <summary>
/// Finite-difference checks of backward passes. The loss is L = Σ cᵢ yᵢ with fixed random weights c, so ∂L/∂y = c
/// and every output element is exercised; central differences are taken in double around float parameters.
/// </summary>
internal static class GradientCheck
{
    public static DenseTensor Random(Random random, params int[] shape)
    {
        var t = new DenseTensor(shape);
        foreach (ref var v in t.Span) v = (float)(random.NextDouble() * 2 - 1);
        return t;
    }

    /// <summary>Checks ∂L/∂input and ∂L/∂every parameter of a layer (or network) at a random point.</summary>
    public static void Layer(Func<DenseTensor, DenseTensor> forward, Func<DenseTensor, DenseTensor> backward, Action zeroGradients,
        System.Collections.Generic.IReadOnlyList<Parameter> parameters, DenseTensor input, int seed, double tolerance = 2e-2)
    {
        var random = new Random(seed);
        var output = forward(input);
        var c = Random(random, output.Shape.ToArray());
        double L() => Dot(forward(input), c);

        zeroGradients();
        forward(input);
        var inputGradient = backward(c).Clone();
        var parameterGradients = new DenseTensor[parameters.Count];
        for (var i = 0; i < parameters.Count; i++) parameterGradients[i] = parameters[i].Gradient.Clone();

        Compare(input, inputGradient, L, "input", tolerance);
        for (var i = 0; i < parameters.Count; i++) Compare(parameters[i].Value, parameterGradients[i], L, parameters[i].Name, tolerance);
    }

    public static void Network(Network network, DenseTensor input, int seed, double tolerance = 2e-2) =>
        Layer(x => network.Forward(x, training: false), network.Backward, network.ZeroGradients, network.Parameters, input, seed, tolerance);

    private static void Compare(DenseTensor point, DenseTensor analytic, Func<double> loss, string what, double tolerance)
    {
        var values = point.Span;
        for (var i = 0; i < values.Length; i++)
        {
            var saved = values[i];
            const float h = 1e-3f;
            point.Span[i] = saved + h;
            var plus = loss();
            point.Span[i] = saved - h;
            var minus = loss();
            point.Span[i] = saved;
            var numeric = (plus - minus) / (2 * h);
            var a = analytic.Span[i];
            Assert.True(Math.Abs(numeric - a) <= tolerance * Math.Max(1, Math.Abs(numeric)),
                $"∂L/∂{what}[{i}]: backward {a}, finite difference {numeric}");
        }
    }

    public static double Dot(DenseTensor a, DenseTensor b)
    {
        var s = 0.0;
        var x = a.Span;
        var y = b.Span;
        for (var i = 0; i < x.Length; i++) s += (double)x[i] * y[i];
        return s;
    }
}
