using System;
using System.Collections.Generic;
using System.Linq;

namespace SymGrad.Symbolic;

/// <summary>
/// The function as mathematics, for derivations: the forms that code computes for range and accuracy taken back out.
/// <list type="bullet">
/// <item>A shift by a maximum that cancels, log Σ e^{u_j − m} + m with m = max_j u_j (the simplifier's log-sum-exp rule,
/// or written by hand with <c>Math.Max</c>), is the plain log Σ e^{u_j}; its partials e^{u_k}/Σ e^{u_j}.</item>
/// <item>A piecewise function whose cases are one function (softplus written as x + log(1 + e^{−x}) for x &gt; 0 and
/// log(1 + e^{x}) otherwise; binary cross-entropy on a logit) is that function, once.</item>
/// </list>
/// Both are checked, not assumed: the function with the shift replaced by a free variable must give one value for
/// several values of it at every sample point (finite and equal to 1e-12), and the two cases must be the same
/// expression once softplus(u) = softplus(−u) + u and σ(u) = 1 − σ(−u) are turned one way and both are simplified.
/// The generated code keeps the stable forms; only the printed mathematics changes, with a note saying so.
/// </summary>
public static class MathematicalForm
{
    /// <summary>Functions larger than this many nodes are printed as they are (the checks evaluate the function).</summary>
    public const int MaxNodes = 400;

    /// <summary>
    /// The gradient of <paramref name="gradient"/>'s function in its mathematical form, derived from that form, with a
    /// derivation whose first line is the function as the code computes it and whose second names what was taken out;
    /// null when the function has no stable form to take out.
    /// </summary>
    public static Gradient? Of(Gradient gradient)
    {
        if (gradient is null) throw new ArgumentNullException(nameof(gradient));
        var function = gradient.Function;
        var (shown, notes) = Rewrite(function);
        if (ReferenceEquals(shown, function)) return null;
        Gradient mathematics;
        try
        {
            mathematics = Differentiator.Gradient(shown, gradient.Variables, new Simplifier { Mathematical = true });
        }
        catch (ArgumentException)
        {
            return null;
        }
        var note = new RuleApplication(NotePrefix + string.Join("; ", notes) + "; the code computes the stable form", function, mathematics.Function);
        var rewrites = gradient.Derivation.FunctionRewrites.ToList();
        rewrites.Add(note);
        rewrites.AddRange(mathematics.Derivation.FunctionRewrites);
        return new Gradient(mathematics.Function, mathematics.Variables, mathematics.Partials,
            new Derivation(gradient.Derivation.Input, mathematics.Function, rewrites, mathematics.Derivation.Steps));
    }

    /// <summary>
    /// The <paramref name="i"/>-th variable as a derivation names it, with the gradient to print it from: an array
    /// variable's free indices are named for its own partial (k, l, p, q, r, t apart from the function's names), not
    /// apart from every other variable's as the code's single sweep needs (the convolution's ∂f/∂X_{k₂,k₃,k₄,k₅}).
    /// </summary>
    public static (Expr Variable, Gradient Gradient) ForVariable(Gradient gradient, int i)
    {
        if (gradient is null) throw new ArgumentNullException(nameof(gradient));
        var v = gradient.Variables[i];
        if (v.Kind != ExprKind.Element) return (v, gradient);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in Graph.PostOrder(gradient.Function))
        {
            if (n.Name != null) taken.Add(n.Name);
            if (n.Kind == ExprKind.Length) taken.Add(n.LengthArray);
        }
        var names = new[] { "k", "l", "p", "q", "r", "t" }.Where(n => !taken.Contains(n))
            .Concat(Enumerable.Range(0, 100).Select(k => "k" + k.ToString(System.Globalization.CultureInfo.InvariantCulture)).Where(n => !taken.Contains(n)));
        var fresh = Expr.Element(v.Name!, names.Take(v.ArgArray.Length).Select(Expr.Index).ToArray());
        if (ReferenceEquals(fresh, v)) return (v, gradient);
        var own = Differentiator.Gradient(gradient.Function, new[] { fresh }, new Simplifier { Mathematical = true });
        var rewrites = gradient.Derivation.FunctionRewrites.Concat(own.Derivation.FunctionRewrites).ToList();
        return (fresh, new Gradient(own.Function, own.Variables, own.Partials, new Derivation(gradient.Derivation.Input, own.Function, rewrites, own.Derivation.Steps)));
    }

    /// <summary>The function with its stable forms taken out, and a note per kind of form taken out; the same node when none is.</summary>
    public static (Expr Function, IReadOnlyList<string> Notes) Rewrite(Expr function)
    {
        if (function is null) throw new ArgumentNullException(nameof(function));
        var notes = new List<string>();
        var nodes = Graph.PostOrder(function);
        if (nodes.Count > MaxNodes) return (function, notes);
        var f = function;
        // Shifts: each m subtracted inside an exponential, outermost first.
        var shifts = nodes.Where(n => n.Kind == ExprKind.Exp && n.ArgArray[0].Kind == ExprKind.Add)
            .SelectMany(n => n.ArgArray[0].ArgArray)
            .Where(t => t.Kind == ExprKind.Mul && t.ArgArray.Length == 2 && t.ArgArray[0].Kind == ExprKind.Const && t.ArgArray[0].Value.Equals(Number.MinusOne)
                        && t.ArgArray[1].Kind is ExprKind.Max or ExprKind.MaxOver)
            .Select(t => t.ArgArray[1]).Distinct().OrderByDescending(m => m.Height).ToList();
        var simplifier = new Simplifier { Mathematical = true };
        // (Sample points only where there is a shift to check: most functions have none.)
        var samples = shifts.Count == 0 ? new List<Sample>() : Samples(nodes);
        foreach (var m in samples.Count == 0 ? new List<Expr>() : shifts)
        {
            var shift = Expr.Var("shift\u2032");
            var g = Graph.ReplaceTopDown(f, new Dictionary<Expr, Expr> { [m] = shift });
            if (ReferenceEquals(g, f) || Decides(g, shift) || !Invariant(g, shift, samples)) continue;
            f = simplifier.Simplify(Graph.Substitute(g, new Dictionary<Expr, Expr> { [shift] = Expr.Zero }));
            if (!notes.Contains(ShiftNote)) notes.Add(ShiftNote);
        }

        // Cases that are one function: the smaller case for the whole. Equal as written in one canonical form (the
        // identities softplus(u) = softplus(−u) + u and σ(u) = 1 − σ(−u) turned one way), not merely at sample points:
        // cases apart only beyond them (a max(0, x − 50) in one) are not one function.
        var merged = false;
        var canonical = new Dictionary<Expr, Expr>();
        f = Graph.Rewrite(f, n =>
        {
            if (n.Kind != ExprKind.If || !ReferenceEquals(Canonical(n.ArgArray[1], simplifier, canonical), Canonical(n.ArgArray[2], simplifier, canonical))) return n;
            merged = true;
            var (a, b) = (n.ArgArray[1], n.ArgArray[2]);
            return Graph.TreeSize(a) < Graph.TreeSize(b) ? a : b;
        });
        if (merged)
        {
            f = simplifier.Simplify(f);
            notes.Add("the cases are one function");
        }
        return (notes.Count == 0 ? function : f, notes);
    }

    /// <summary>How the derivation's note on the mathematical form begins (its rule name).</summary>
    public const string NotePrefix = "as mathematics: ";

    private const string ShiftNote = "without the shift by the maximum inside exp";

    private sealed class Sample
    {
        public Dictionary<string, double> Scalars { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Array> Arrays { get; } = new(StringComparer.Ordinal);
    }

    // Fixed points (the derivation text is deterministic): scalars in [−2, 2], arrays of length 3 on every axis.
    private static List<Sample> Samples(List<Expr> nodes)
    {
        var random = new Random(20261201);
        var scalars = nodes.Where(n => n.Kind == ExprKind.Var).Select(n => n.Name!).Distinct().ToList();
        // A variable that indexes an array (z[label]) takes an index's values.
        var indexing = new HashSet<string>(nodes.Where(n => n.Kind == ExprKind.Element).SelectMany(n => n.ArgArray)
            .SelectMany(Graph.PostOrder).Where(n => n.Kind == ExprKind.Var).Select(n => n.Name!), StringComparer.Ordinal);
        var arrays = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            if (n.Kind == ExprKind.Element) arrays[n.Name!] = n.ArgArray.Length;
            else if (n.Kind == ExprKind.Length && !arrays.ContainsKey(n.LengthArray)) arrays[n.LengthArray] = n.LengthAxis + 1;
            else if (n.Kind is ExprKind.Call) return new List<Sample>();
        }
        var samples = new List<Sample>();
        for (var k = 0; k < 5; k++)
        {
            var s = new Sample();
            foreach (var v in scalars) s.Scalars[v] = indexing.Contains(v) ? random.Next(3) : Math.Round(4 * random.NextDouble() - 2, 3);
            foreach (var a in arrays)
            {
                var array = Array.CreateInstance(typeof(double), Enumerable.Repeat(3, a.Value).ToArray());
                var at = new int[a.Value];
                for (var i = 0; i < array.Length; i++)
                {
                    var r = i;
                    for (var d = a.Value - 1; d >= 0; d--) { at[d] = r % 3; r /= 3; }
                    array.SetValue(Math.Round(4 * random.NextDouble() - 2, 3), at);
                }
                s.Arrays[a.Key] = array;
            }
            samples.Add(s);
        }
        return samples;
    }

    private static double? Value(Expr e, Sample s)
    {
        try
        {
            var v = Evaluator.Evaluate(e, s.Scalars, s.Arrays);
            return double.IsNaN(v) || double.IsInfinity(v) ? null : v;
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or NotSupportedException)
        {
            return null;
        }
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) <= 1e-12 * Math.Max(1, Math.Max(Math.Abs(a), Math.Abs(b)));

    // The shift decides something (a guard a − m > −60 ? e^{a − m} : 0, a max or |·| of it): then the function is not
    // one smooth expression in it, and agreeing at sample points proves nothing.
    private static bool Decides(Expr g, Expr shift)
    {
        var mentions = new Dictionary<Expr, bool>();
        bool Mentions(Expr n) => Graph.Reaches(n, x => ReferenceEquals(x, shift), mentions);
        return Graph.PostOrder(g).Any(n =>
            n.Kind == ExprKind.If ? Mentions(n.ArgArray[0]) :
            (n.IsComparison || n.Kind is ExprKind.Max or ExprKind.Min or ExprKind.Abs or ExprKind.Sign or ExprKind.Floor or ExprKind.Ceiling) && Mentions(n));
    }

    private static bool Invariant(Expr g, Expr shift, List<Sample> samples)
    {
        foreach (var s in samples)
        {
            double? first = null;
            // Shifts far out too: a term 1e-40·e^{−m} is within 1e-12 of nothing near 0, and 10^{68} at m = −250.
            foreach (var at in new[] { 0.0, 1.75, -2.5, 31.5, -47.25, 250.5, -250.25 })
            {
                s.Scalars[shift.Name!] = at;
                var v = Value(g, s);
                if (v is null || (first is { } f && !Close(f, v.Value))) { s.Scalars.Remove(shift.Name!); return false; }
                first ??= v;
            }
            s.Scalars.Remove(shift.Name!);
        }
        return true;
    }

    // The identities turned one way, then products of sums multiplied out (softplus(−z) − (t − 1) z and softplus(z) − t z
    // meet as softplus(z) − t z).
    private static Expr Canonical(Expr e, Simplifier simplifier, Dictionary<Expr, Expr> memo)
    {
        var turned = Graph.Rewrite(e, n =>
        {
            if (n.Kind is not (ExprKind.Softplus or ExprKind.Sigmoid)) return n;
            var u = n.ArgArray[0];
            var negated = Expr.Neg(u);
            if (ExprOrder.Compare(negated, u) >= 0) return n;
            return n.Kind == ExprKind.Softplus ? Expr.Add(Expr.Softplus(negated), u) : Expr.Add(Expr.One, Expr.Neg(Expr.Sigmoid(negated)));
        }, memo);
        var simplified = simplifier.Simplify(turned);
        return Simplifier.Expand(simplified, 64) ?? simplified;
    }
}
