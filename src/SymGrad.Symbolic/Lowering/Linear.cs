using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace SymGrad.Symbolic.Plans;

/// <summary>An integer linear form Σ cᵢ·aᵢ + constant over indices and array lengths.</summary>
public sealed class Linear : IEquatable<Linear>
{
    private Linear(SortedDictionary<Expr, long> terms, long constant)
    {
        Terms = terms;
        Constant = constant;
    }

    public SortedDictionary<Expr, long> Terms { get; }
    public long Constant { get; }

    public static Linear Number(long c) => new(new SortedDictionary<Expr, long>(), c);

    public static Linear Of(Expr atom) => new(new SortedDictionary<Expr, long> { [atom] = 1 }, 0);

    public static Linear? Parse(Expr e)
    {
        switch (e.Kind)
        {
            case ExprKind.Const when e.Value.IsInteger: return new Linear(new SortedDictionary<Expr, long>(), e.Value.Numerator);
            case ExprKind.Index:
            case ExprKind.Length: return Of(e);
            case ExprKind.Add:
                var sum = new Linear(new SortedDictionary<Expr, long>(), 0);
                foreach (var a in e.ArgArray)
                {
                    if (Parse(a) is not { } p) return null;
                    sum = sum.Plus(p, 1);
                }
                return sum;
            case ExprKind.Mul when e.ArgArray.Length == 2 && e.ArgArray[0].Kind == ExprKind.Const && e.ArgArray[0].Value.IsInteger:
                return Parse(e.ArgArray[1])?.Scale(e.ArgArray[0].Value.Numerator);
            default: return null;
        }
    }

    public bool IsZero => Constant == 0 && Terms.Count == 0;

    /// <summary>True when the printed form starts with a minus: no positive term, and a negative term or constant.</summary>
    public bool LeadsNegative => Terms.Values.All(c => c < 0) && (Terms.Count > 0 || Constant < 0);

    public long Coefficient(Expr atom) => Terms.TryGetValue(atom, out var c) ? c : 0;

    public bool IsExactly(Expr atom) => Constant == 0 && Terms.Count == 1 && Coefficient(atom) == 1;

    public Linear Plus(Linear other, long factor)
    {
        var terms = new SortedDictionary<Expr, long>(Terms);
        foreach (var kv in other.Terms)
        {
            var c = (terms.TryGetValue(kv.Key, out var x) ? x : 0) + factor * kv.Value;
            if (c == 0) terms.Remove(kv.Key);
            else terms[kv.Key] = c;
        }
        return new Linear(terms, Constant + factor * other.Constant);
    }

    public Linear Shift(long by) => new(Terms, Constant + by);

    public Linear Scale(long by) => new Linear(new SortedDictionary<Expr, long>(), 0).Plus(this, by);

    public Linear Substitute(Expr atom, Linear by)
    {
        var c = Coefficient(atom);
        return c == 0 ? this : Plus(Of(atom), -c).Plus(by, c);
    }

    // Positive terms first, then negative ones, then the constant: k3 - W.GetLength(0) + 1.
    public string Print(Func<Expr, string> atom)
    {
        var parts = new List<string>();
        foreach (var kv in Terms.Where(kv => kv.Value > 0).Concat(Terms.Where(kv => kv.Value < 0)))
        {
            var magnitude = Math.Abs(kv.Value);
            var text = magnitude == 1 ? atom(kv.Key) : magnitude.ToString(CultureInfo.InvariantCulture) + " * " + atom(kv.Key);
            parts.Add(parts.Count == 0 ? (kv.Value < 0 ? "-" + text : text) : (kv.Value < 0 ? "- " : "+ ") + text);
        }
        if (Constant != 0 || parts.Count == 0)
        {
            var magnitude = Math.Abs(Constant).ToString(CultureInfo.InvariantCulture);
            parts.Add(parts.Count == 0 ? Constant.ToString(CultureInfo.InvariantCulture) : (Constant < 0 ? "- " : "+ ") + magnitude);
        }
        return string.Join(" ", parts);
    }

    public bool Equals(Linear? other) =>
        other != null && Constant == other.Constant && Terms.Count == other.Terms.Count && Terms.All(kv => other.Coefficient(kv.Key) == kv.Value);

    public override bool Equals(object? obj) => Equals(obj as Linear);

    public override int GetHashCode() => Terms.Aggregate((int)Constant, (h, kv) => h * 31 + kv.Key.GetHashCode() ^ kv.Value.GetHashCode());
}
