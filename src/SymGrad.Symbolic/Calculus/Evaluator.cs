using System;
using System.Collections.Generic;
using System.Linq;

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

    // √(x² + y²) scaled by the larger magnitude, so that no intermediate overflows (within an ulp of .NET's double.Hypot).
    private static double Hypotenuse(double x, double y)
    {
        if (double.IsInfinity(x) || double.IsInfinity(y)) return double.PositiveInfinity;
        if (double.IsNaN(x) || double.IsNaN(y)) return double.NaN;
        var (big, small) = (Math.Max(Math.Abs(x), Math.Abs(y)), Math.Min(Math.Abs(x), Math.Abs(y)));
        if (big == 0) return 0;
        var r = small / big;
        return big * Math.Sqrt(1 + r * r);
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
            case ExprKind.Atan2: return Math.Atan2(v[a[0]], v[a[1]]);
            case ExprKind.Hypot: return Hypotenuse(v[a[0]], v[a[1]]);
            case ExprKind.CopySign: return Expr.CopySignOf(v[a[0]], v[a[1]]);
            case ExprKind.FusedMultiplyAdd: return v[a[0]] * v[a[1]] + v[a[2]];
            case ExprKind.If: return v[a[0]] != 0.0 ? v[a[1]] : v[a[2]];
            // C#'s int quotient truncates toward zero; its remainder has the dividend's sign (as double % does).
            case ExprKind.IntDiv: return Math.Truncate(v[a[0]] / v[a[1]]);
            case ExprKind.IntRem: return v[a[0]] % v[a[1]];
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
    /// Evaluates an expression with arrays (<c>double[]</c>, <c>double[,]</c>, …) and indexed sums; free indices
    /// (the k of ∂L/∂W_k) take their values from <paramref name="indices"/>. Sums run their index from 0 to count − 1.
    /// </summary>
    public static double Evaluate(Expr expr, IReadOnlyDictionary<string, double> scalars, IReadOnlyDictionary<string, Array> arrays,
        IReadOnlyDictionary<string, int>? indices = null)
    {
        var bound = new Dictionary<string, int>(StringComparer.Ordinal);
        if (indices != null) foreach (var kv in indices) bound[kv.Key] = kv.Value;
        return Indexed(expr, scalars, arrays, bound, new Dictionary<Expr, double>());
    }

    // Recursive, memoised per binding of the indices (a sum's body gets a fresh memo each iteration).
    private static double Indexed(Expr n, IReadOnlyDictionary<string, double> scalars, IReadOnlyDictionary<string, Array> arrays,
        Dictionary<string, int> bound, Dictionary<Expr, double> memo)
    {
        if (memo.TryGetValue(n, out var known)) return known;
        double Arg(int i) => Indexed(n.ArgArray[i], scalars, arrays, bound, memo);
        double value;
        switch (n.Kind)
        {
            case ExprKind.Index:
                if (!bound.TryGetValue(n.Name!, out var iv)) throw new KeyNotFoundException($"No value for index '{n.Name}'.");
                value = iv;
                break;
            case ExprKind.Length:
                if (!arrays.TryGetValue(n.LengthArray, out var sized)) throw new KeyNotFoundException($"No array '{n.LengthArray}'.");
                value = sized.GetLength(n.LengthAxis);
                break;
            case ExprKind.Element:
            {
                if (!arrays.TryGetValue(n.Name!, out var array)) throw new KeyNotFoundException($"No array '{n.Name}'.");
                var at = new int[n.ArgArray.Length];
                for (var d = 0; d < at.Length; d++)
                {
                    var x = Arg(d);
                    if (x != Math.Floor(x)) throw new InvalidOperationException($"Index {x} of '{n.Name}' is not an integer.");
                    at[d] = (int)x;
                }
                value = Convert.ToDouble(array.GetValue(at), System.Globalization.CultureInfo.InvariantCulture);
                break;
            }
            case ExprKind.Sum:
            case ExprKind.MaxOver:
            case ExprKind.ArgMax:
            {
                var count = (int)Arg(0);
                var index = n.Name!;
                bound.TryGetValue(index, out var outer);
                var hadOuter = bound.ContainsKey(index);
                // Values that do not involve the index carry into every iteration; the rest start afresh.
                var invariant = memo.Where(kv => !Expr.Mentions(kv.Key, n.SumIndex)).ToList();
                // Σ adds the terms; max keeps the largest (NaN wins, as Math.Max); argmax the first index of a strictly larger term.
                var sum = 0.0;
                var max = double.NegativeInfinity;
                var best = double.NegativeInfinity;
                var at = 0;
                for (var i = 0; i < count; i++)
                {
                    bound[index] = i;
                    var iteration = new Dictionary<Expr, double>();
                    foreach (var kv in invariant) iteration[kv.Key] = kv.Value;
                    var term = Indexed(n.ArgArray[1], scalars, arrays, bound, iteration);
                    sum += term;
                    max = Math.Max(max, term);
                    if (term > best)
                    {
                        best = term;
                        at = i;
                    }
                }
                if (hadOuter) bound[index] = outer;
                else bound.Remove(index);
                value = n.Kind == ExprKind.Sum ? sum : n.Kind == ExprKind.ArgMax ? at : max;
                break;
            }
            case ExprKind.If:
                value = Arg(0) != 0.0 ? Arg(1) : Arg(2);
                break;
            case ExprKind.Var:
                if (!scalars.TryGetValue(n.Name!, out var sv)) throw new KeyNotFoundException($"No value for variable '{n.Name}'.");
                value = sv;
                break;
            default:
            {
                // Everything else as the flat evaluator does, over the argument values.
                var args = new Dictionary<Expr, double>();
                foreach (var a in n.ArgArray) args[a] = Indexed(a, scalars, arrays, bound, memo);
                value = Node(n, args, scalars);
                break;
            }
        }
        memo[n] = value;
        return value;
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
            if (e.IsInteger && Math.Abs(e.Numerator) <= CostModel.MaxUnrolledPower)
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
