using System;

namespace SymGrad.Examples;

/// <summary>Adam (Kingma and Ba 2015) on a flat span of double parameters: minimises, so pass −∇ to climb.</summary>
public sealed class Adam(int size, double rate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
{
    private readonly double[] _m = new double[size], _v = new double[size];
    private int _t;

    /// <summary>The step size, which may change during training (a schedule).</summary>
    public double Rate { get; set; } = rate;

    /// <summary>θ ← θ − rate·m̂ / (√v̂ + ε) with the bias-corrected moving averages of the gradient and its square.</summary>
    public void Step(Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        _t++;
        var c1 = 1 - Math.Pow(beta1, _t);
        var c2 = 1 - Math.Pow(beta2, _t);
        for (var i = 0; i < parameters.Length; i++)
        {
            _m[i] = beta1 * _m[i] + (1 - beta1) * gradient[i];
            _v[i] = beta2 * _v[i] + (1 - beta2) * gradient[i] * gradient[i];
            parameters[i] -= Rate * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + epsilon);
        }
    }
}
