using System;

namespace SymGrad;

/// <summary>
/// Helpers for writing indexed formulas that SymGrad differentiates. They run as written (the method stays ordinary
/// C#), and the generator reads them as indexed sums: <c>Sym.Sum(x.Length, i =&gt; x[i] * x[i])</c> is Σᵢ xᵢ².
/// The generated gradient runs the sum as a loop, with no delegate.
/// </summary>
public static class Sym
{
    /// <summary>Σ_{i=0}^{count−1} term(i).</summary>
    public static double Sum(int count, Func<int, double> term)
    {
#if NET
        ArgumentNullException.ThrowIfNull(term);
#else
        if (term is null) throw new ArgumentNullException(nameof(term));
#endif
        var sum = 0.0;
        for (var i = 0; i < count; i++) sum += term(i);
        return sum;
    }

    /// <summary>max_{i=0}^{count−1} term(i) (−∞ for no terms; NaN if any term is NaN, as Math.Max).</summary>
    public static double Max(int count, Func<int, double> term)
    {
#if NET
        ArgumentNullException.ThrowIfNull(term);
#else
        if (term is null) throw new ArgumentNullException(nameof(term));
#endif
        var max = double.NegativeInfinity;
        for (var i = 0; i < count; i++) max = Math.Max(max, term(i));
        return max;
    }

    /// <summary>max_{i=0}^{count−1} term(i), in single precision.</summary>
    public static float Max(int count, Func<int, float> term)
    {
#if NET
        ArgumentNullException.ThrowIfNull(term);
#else
        if (term is null) throw new ArgumentNullException(nameof(term));
#endif
        var max = float.NegativeInfinity;
        for (var i = 0; i < count; i++) max = Math.Max(max, term(i)); // the float overload (MathF is not in netstandard2.0)
        return max;
    }

    /// <summary>Σ_{i=0}^{count−1} term(i), in single precision.</summary>
    public static float Sum(int count, Func<int, float> term)
    {
#if NET
        ArgumentNullException.ThrowIfNull(term);
#else
        if (term is null) throw new ArgumentNullException(nameof(term));
#endif
        var sum = 0f;
        for (var i = 0; i < count; i++) sum += term(i);
        return sum;
    }
}
