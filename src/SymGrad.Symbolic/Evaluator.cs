using System;
using System.Collections.Generic;

namespace SymGrad.Symbolic;

/// <summary>
/// Evaluates expressions in double precision, exactly as the emitted C# computes them
/// (comparisons give 1 or 0, the conditional evaluates only the chosen branch's value).
/// </summary>
public static class Evaluator
{
    /// <summary>
    /// Implementations of called functions (<see cref="ExprKind.Call"/>) by name, for evaluation; the emitted
    /// code calls the real methods instead.
    /// </summary>
    public static System.Collections.Concurrent.ConcurrentDictionary<string, Func<double[], double>> Functions { get; } = new(StringComparer.Ordinal);

    /// <summary>Registers a one-argument function for <see cref="Functions"/>.</summary>
    public static void Register(string name, Func<double, double> function) => Functions[name] = a => function(a[0]);

    /// <summary>Registers a two-argument function for <see cref="Functions"/>.</summary>
    public static void Register(string name, Func<double, double, double> function) => Functions[name] = a => function(a[0], a[1]);

    /// <summary>Evaluates one expression.</summary>
    /// <exception cref="KeyNotFoundException">A variable has no value.</exception>
    public static double Evaluate(Expr expr, IReadOnlyDictionary<string, double> variables) =>
        Evaluate(new[] { expr }, variables)[0];

    /// <summary>Evaluates several expressions sharing one memo.</summary>
    public static double[] Evaluate(IReadOnlyList<Expr> exprs, IReadOnlyDictionary<string, double> variables)
    {
        var values = new Dictionary<Expr, double>();
        foreach (var n in Graph.PostOrder(exprs)) values[n] = Node(n, values, variables);
        var result = new double[exprs.Count];
        for (var i = 0; i < result.Length; i++) result[i] = values[exprs[i]];
        return result;
    }

    private static double Node(Expr n, Dictionary<Expr, double> v, IReadOnlyDictionary<string, double> vars)
    {
        var a = n.ArgArray;
        switch (n.Kind)
        {
            case ExprKind.Const: return n.Value.Value;
            case ExprKind.Var:
                if (!vars.TryGetValue(n.Name!, out var x)) throw new KeyNotFoundException($"No value for variable '{n.Name}'.");
                return x;
            case ExprKind.Add:
            {
                var s = 0.0;
                foreach (var t in a) s += v[t];
                return s;
            }
            case ExprKind.Mul:
            {
                var p = 1.0;
                foreach (var f in a) p *= v[f];
                return p;
            }
            case ExprKind.Pow: return a[1].Kind == ExprKind.Const ? Power(v[a[0]], a[1]) : Math.Pow(v[a[0]], v[a[1]]);
            case ExprKind.Max: return Math.Max(v[a[0]], v[a[1]]);
            case ExprKind.Min: return Math.Min(v[a[0]], v[a[1]]);
            case ExprKind.If: return v[a[0]] != 0.0 ? v[a[1]] : v[a[2]];
            case ExprKind.Call:
                if (!Functions.TryGetValue(n.CallName, out var function)) throw new KeyNotFoundException($"No implementation registered for the function '{n.CallName}'.");
                var arguments = new double[a.Length];
                for (var i = 0; i < a.Length; i++) arguments[i] = v[a[i]];
                return function(arguments);
        }
        if (n.IsComparison) return Expr.EvaluateComparison(n.Kind, v[a[0]], v[a[1]]) ? 1.0 : 0.0;
        return Operators.Of(n.Kind).Unary!(v[a[0]]);
    }

    /// <summary>
    /// <c>b^e</c> as the C# printer emits it: integer powers by repeated multiplication, 1/2 as a square root,
    /// anything else through <see cref="Math.Pow"/>.
    /// </summary>
    internal static double Power(double b, Expr exponent)
    {
        var e = exponent.Value;
        if (exponent.Kind == ExprKind.Const && e.IsExact)
        {
            if (e.IsInteger && Math.Abs(e.Numerator) <= CSharpPrinter.MaxUnrolledPower)
            {
                var k = (int)Math.Abs(e.Numerator);
                var p = b;
                for (var i = 1; i < k; i++) p *= b;
                return e.Numerator < 0 ? 1.0 / p : p;
            }
            if (e.Denominator == 2 && e.Numerator == 1) return Math.Sqrt(b);
            if (e.Denominator == 2 && e.Numerator == -1) return 1.0 / Math.Sqrt(b);
        }
        return Math.Pow(b, e.Value);
    }
}
