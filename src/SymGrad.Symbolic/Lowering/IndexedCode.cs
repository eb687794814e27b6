using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace SymGrad.Symbolic;

/// <summary>
/// C# for expressions with indexed sums: every Σ becomes a loop that accumulates into a local, placed in the
/// outermost loop where all the indices it mentions are bound (so a normaliser Σⱼ e^zⱼ is computed once, before the
/// loop over k that uses it), and the gradient with respect to an array is a loop writing each element into a
/// caller-provided span. Straight-line parts of every loop body are common-subexpression-eliminated.
/// </summary>
public sealed partial class IndexedCode
{
    private readonly CSharpPrinter _printer;
    private readonly List<string> _lines = new();
    private readonly HashSet<string> _taken;
    private readonly Dictionary<Expr, Expr> _computed = new();
    private readonly Dictionary<Expr, HashSet<Expr>> _free = new();
    private int _accumulators;

    private readonly Dictionary<string, int> _ranks = new(StringComparer.Ordinal);

    private IndexedCode(CSharpPrinter printer, IEnumerable<string> reserved)
    {
        _printer = printer;
        _taken = new HashSet<string>(reserved, StringComparer.Ordinal);
    }

    /// <summary>
    /// A parameter of a generated method: its name, rank (0 for a scalar) and, when not the default
    /// (<c>ReadOnlySpan&lt;T&gt;</c>, <c>T[,]</c>), its C# type and the type of its gradient.
    /// </summary>
    public sealed record ArrayParameter(string Name, int Rank, string? Type = null, string? GradientType = null);

    /// <summary>The arrays an expression reads (elements and lengths), by name, with their ranks.</summary>
    public static IReadOnlyList<ArrayParameter> Arrays(IEnumerable<Expr> roots)
    {
        var ranks = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in Graph.PostOrder(roots))
        {
            if (n.Kind == ExprKind.Element) Rank(n.Name!, n.ArgArray.Length);
            else if (n.Kind == ExprKind.Length) Rank(n.LengthArray, n.LengthAxis + 1);
        }
        return ranks.Select(kv => new ArrayParameter(kv.Key, kv.Value)).ToList();

        void Rank(string name, int rank)
        {
            if (ranks.TryGetValue(name, out var r) && r != rank && r >= rank) return;
            ranks[name] = Math.Max(rank, r);
        }
    }

    /// <summary>
    /// A method returning the function's value and writing its gradient: <c>out</c> parameters for scalar variables,
    /// spans (rank 1) or arrays (rank 2 and more) for array variables. Scalars come first (sorted), then arrays
    /// (sorted), then the gradient outputs in the order of the variables. With <paramref name="accumulate"/> the method
    /// returns nothing and adds the gradient into its outputs (<c>ref</c> for scalars), as a backward pass accumulates
    /// parameter gradients.
    /// </summary>
    public static string PrintGradientMethod(Gradient gradient, string methodName, CSharpPrinter printer, string accessibility = "public", string indent = "",
        IReadOnlyList<ArrayParameter>? parameters = null, string? summary = null, bool returnValue = true, bool accumulate = false)
    {
        if (accumulate) returnValue = false;
        var t = printer.TypeName;
        var roots = new[] { gradient.Function }.Concat(gradient.Partials).ToList();
        // The caller's parameters (name and rank, 0 for a scalar) in its order, or those the formulas use.
        var scalars = parameters?.Where(p => p.Rank == 0).Select(p => p.Name).ToList() ?? Graph.Variables(roots.ToArray()).ToList();
        var arrays = parameters?.Where(p => p.Rank > 0).ToList() ?? Arrays(roots).ToList();
        var inputs = parameters ?? scalars.Select(s => new ArrayParameter(s, 0)).Concat(arrays).ToList();
        // d<v>, with underscores added while it collides with a parameter or another output (a span named dx beside x).
        var outputs = new List<string>();
        foreach (var v in gradient.Variables)
        {
            var name = "d" + v.Name;
            while (inputs.Any(a => a.Name == name) || outputs.Contains(name)) name += "_";
            outputs.Add(name);
        }
        var reserved = scalars.Concat(arrays.Select(a => a.Name)).Concat(outputs)
            .Concat(gradient.Variables.Where(v => v.Kind == ExprKind.Element).SelectMany(v => v.ArgArray.Select(i => i.Name!))).ToList();
        var code = new IndexedCode(printer, reserved);
        foreach (var a in arrays) code._ranks[a.Name] = a.Rank;
        foreach (var a in inputs.Where(a => a.Type != null)) code._types[a.Name] = a.Type!;

        var signature = inputs.Select(a => (a.Type ?? (a.Rank == 0 ? t : a.Rank == 1 ? "global::System.ReadOnlySpan<" + t + ">" : t + "[" + new string(',', a.Rank - 1) + "]")) + " " + CSharpPrinter.Identifier(a.Name))
            .Concat(gradient.Variables.Select((v, i) => v.Kind == ExprKind.Var
                ? (accumulate ? "ref " : "out ") + t + " " + CSharpPrinter.Identifier(outputs[i])
                : GradientType(v) + " " + CSharpPrinter.Identifier(outputs[i])));

        // Checks first: every gradient array asked for has its variable's shape; an empty one (default, null) is not wanted.
        for (var i = 0; i < gradient.Variables.Count; i++)
        {
            var v = gradient.Variables[i];
            if (v.Kind != ExprKind.Element) continue;
            var checks = Enumerable.Range(0, v.ArgArray.Length).Select(d => Dim(outputs[i], v.ArgArray.Length, d) + " != " + Dim(v.Name!, v.ArgArray.Length, d));
            code._lines.Add($"if ({Wanted(outputs[i], GradientType(v))} && ({string.Join(" || ", checks)})) throw new global::System.ArgumentException(\"{outputs[i]} must have the shape of {v.Name}.\", nameof({outputs[i]}));");
        }

        // Inner sums that would be recomputed in every iteration of a loop they do not depend on are computed once
        // into a buffer over their one index (z_j = Σ_i W_ji a_i for the δ-rule's Σ_j W_jk δ_j).
        string GradientType(Expr v) =>
            inputs.FirstOrDefault(a => a.Name == v.Name)?.GradientType
            ?? (v.ArgArray.Length == 1 ? "global::System.Span<" + t + ">" : t + "[" + new string(',', v.ArgArray.Length - 1) + "]");
        for (var i = 0; i < gradient.Variables.Count; i++)
            if (gradient.Variables[i].Kind == ExprKind.Element) code._types[outputs[i]] = GradientType(gradient.Variables[i]);
        var partialsOut = code.Materialize(gradient, t, returnValue);
        var searches = partialsOut.Select(Searches).ToList();
        partialsOut = partialsOut.Select(Unroll).ToList();
        var function = partialsOut[partialsOut.Count - 1];

        var tasks = new List<Task>();
        Gradient? scatterGradient = null;
        // The value's one sum, if a vector's gradient loop runs over the same count, is added up in that loop (one pass
        // over the data instead of two, as one writes it by hand).
        // (A product of two sums, Σ_j x_j · Σ_i w_i (n − i), has no one sum to fuse.)
        var valueSum = returnValue ? (function.Kind == ExprKind.Sum ? function
            : function.Kind == ExprKind.Mul && function.ArgArray.Count(f => f.Kind == ExprKind.Sum) == 1 ? function.ArgArray.Single(f => f.Kind == ExprKind.Sum) : null) : null;
        if (valueSum != null && !ReferenceEquals(valueSum, function) && function.ArgArray.Any(f => !ReferenceEquals(f, valueSum) && ContainsSum(f))) valueSum = null;
        if (valueSum != null && partialsOut.Take(gradient.Variables.Count).Any(p => Graph.PostOrder(p).Contains(valueSum))) valueSum = null;
        string? valueAccumulator = null;
        for (var i = 0; i < gradient.Variables.Count; i++)
        {
            var v = gradient.Variables[i];
            if (v.Kind == ExprKind.Var)
            {
                tasks.Add(new Assign(CSharpPrinter.Identifier(outputs[i]) + (accumulate ? " +=" : " ="), partialsOut[i]));
                continue;
            }
            var all = tasks;
            tasks = new List<Task>();
            if (searches[i] &&
                     Scatter(v, outputs[i], (scatterGradient ??= Differentiator.ScatterGradient(gradient.Function, gradient.Variables)).Partials[i]) is { } scatter)
            {
                // Each term visited once and added where it belongs, instead of a search per element.
                if (!accumulate) tasks.Add(new Line(ClearOutput(outputs[i], GradientType(v))));
                tasks.AddRange(scatter);
            }
            else
            {
                var loop = (Loop)ElementLoop(v, outputs[i], partialsOut[i], 0, accumulate);
                if (valueSum != null && valueAccumulator is null && v.ArgArray.Length == 1 && ReferenceEquals(loop.Count, valueSum.ArgArray[0]))
                {
                    valueAccumulator = code.Fresh("acc");
                    var add = new Assign(valueAccumulator + " +=", Unroll(Expr.Substitute(valueSum.ArgArray[1], valueSum.SumIndex, loop.Index)));
                    all.Add(new Line("var " + valueAccumulator + " = " + printer.Literal(Number.Zero) + ";"));
                    all.Add(new IfWanted(Wanted(outputs[i], GradientType(v)),
                        new List<Task> { new Loop(loop.Index, loop.Count, new List<Task> { add }.Concat(loop.Body).ToList()) },
                        new List<Task> { new Loop(valueSum.SumIndex, valueSum.ArgArray[0], new List<Task> { new Assign(valueAccumulator + " +=", Unroll(valueSum.ArgArray[1])) }) }));
                    tasks = all;
                    continue;
                }
                tasks.Add((Task?)code.BlockedContraction(v, outputs[i], partialsOut[i], loop, inputs, accumulate) ?? loop);
            }
            all.Add(new IfWanted(Wanted(outputs[i], GradientType(v)), tasks));
            tasks = all;
        }
        if (valueAccumulator != null) function = Graph.Rewrite(function, n => ReferenceEquals(n, valueSum) ? Expr.Var(valueAccumulator) : n);
        if (returnValue) tasks.Add(new Assign("return", function));
        code.Emit(tasks, new HashSet<Expr>(), "");

        var body = string.Join("\n", code._lines.Select(l => indent + "    " + l));
        var doc = summary is null ? "" : indent + "/// <summary>" + summary.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;") + "</summary>\n";
        return $"{doc}{indent}{accessibility} static {(returnValue ? t : "void")} {methodName}({string.Join(", ", signature)})\n{indent}{{\n{body}\n{indent}}}\n";
    }

    // True when the caller wants this gradient: not an empty span or view, not a null or empty array.
    private static string Wanted(string output, string gradientType)
    {
        var name = CSharpPrinter.Identifier(output);
        if (gradientType.Contains("Matrix<") || gradientType.Contains("Tensor4<")) return "!" + name + ".Span.IsEmpty";
        if (gradientType.Contains("Span<")) return "!" + name + ".IsEmpty";
        return name + " != null && " + name + ".Length != 0";
    }

    /// <summary>C# for the length of axis <paramref name="axis"/> of an array of rank <paramref name="rank"/>.</summary>
    private static string Dim(string array, int rank, int axis) =>
        rank == 1 ? CSharpPrinter.Identifier(array) + ".Length" : CSharpPrinter.Identifier(array) + ".GetLength(" + axis.ToString(CultureInfo.InvariantCulture) + ")";

    private static Task ElementLoop(Expr variable, string output, Expr partial, int axis, bool accumulate)
    {
        var index = variable.ArgArray[axis];
        var count = Expr.Length(variable.Name!, axis);
        if (axis == variable.ArgArray.Length - 1)
        {
            var target = CSharpPrinter.Identifier(output) + "[" + string.Join(", ", variable.ArgArray.Select(i => CSharpPrinter.Identifier(i.Name!))) + (accumulate ? "] +=" : "] =");
            return new Loop(index, count, new List<Task> { new Assign(target, partial) });
        }
        return new Loop(index, count, new List<Task> { ElementLoop(variable, output, partial, axis + 1, accumulate) });
    }

    /// <summary>
    /// Finds sums S with one free index j, inside a sum over j whose count is known up front, that an array
    /// variable's partial (computed in a loop over its own indices) or several outputs use; computes each into a
    /// buffer tmp[j] before anything else, and returns the partials and then the function with S read as tmp[j].
    /// </summary>
    private List<Expr> Materialize(Gradient gradient, string t, bool withFunction)
    {
        var roots = gradient.Partials.Concat(new[] { withFunction ? gradient.Function : Expr.Zero }).ToList();
        var inArrayPartial = new HashSet<Expr>();
        var rootsUsing = new Dictionary<Expr, int>();
        var counts = new Dictionary<Expr, Expr>();
        for (var r = 0; r < roots.Count; r++)
        {
            var arrayPartial = r < gradient.Variables.Count && gradient.Variables[r].Kind == ExprKind.Element;
            var seen = new HashSet<Expr>();
            foreach (var binding in Graph.PostOrder(roots[r]).Where(n => n.Kind == ExprKind.Sum && Free(n.ArgArray[0]).Count == 0))
                foreach (var s in Graph.PostOrder(binding.ArgArray[1]))
                {
                    if (s.Kind != ExprKind.Sum || Free(s).Count != 1 || !Free(s).Contains(binding.SumIndex)) continue;
                    counts[s] = binding.ArgArray[0];
                    if (arrayPartial) inArrayPartial.Add(s);
                    if (seen.Add(s)) rootsUsing[s] = rootsUsing.TryGetValue(s, out var c) ? c + 1 : 1;
                }
        }
        var chosen = Graph.PostOrder(counts.Keys.ToList()).Where(s => counts.ContainsKey(s) && (inArrayPartial.Contains(s) || rootsUsing[s] > 1)).ToList();
        if (chosen.Count == 0) return roots;

        var map = new Dictionary<Expr, Expr>();
        var memo = new Dictionary<Expr, Expr>();
        Expr Swap(Expr e)
        {
            if (map.TryGetValue(e, out var m)) return m;
            if (e.ArgArray.Length == 0) return e;
            if (memo.TryGetValue(e, out var done)) return done;
            var args = e.ArgArray.Select(Swap).ToArray();
            var result = args.Where((a, i) => !ReferenceEquals(a, e.ArgArray[i])).Any() ? e.WithArgs(args) : e;
            memo[e] = result;
            return result;
        }
        foreach (var s in chosen)
        {
            var index = Free(s).Single();
            var name = Fresh("tmp");
            var count = PrintCount(counts[s]);
            var i = CSharpPrinter.Identifier(index.Name!);
            _lines.Add($"global::System.Span<{t}> {name} = {count} <= 256 ? stackalloc {t}[{count}] : new {t}[{count}];");
            _lines.Add($"for (var {i} = 0; {i} < {count}; {i}++)");
            _lines.Add("{");
            memo.Clear();
            Emit(new List<Task> { new Assign(name + "[" + i + "] =", Swap(s)) }, new HashSet<Expr> { index }, "    ");
            _lines.Add("}");
            map[s] = Expr.Element(name, index);
        }
        memo.Clear();
        return roots.Select(Swap).ToList();
    }

    private abstract record Task;
    // Integer: the value is an index (a scatter's argmax position), printed as int arithmetic.
    private sealed record Assign(string Head, Expr Value, bool Integer = false) : Task;
    private sealed record Loop(Expr Index, Expr Count, List<Task> Body) : Task;

    private void Emit(List<Task> tasks, HashSet<Expr> scope, string indent)
    {
        // Sums whose indices are all bound here, innermost first, each computed once as an accumulator loop; its
        // local is in scope until this block ends.
        var computedHere = new List<Expr>();
        var roots = Roots(tasks).ToList();
        // Only sums every evaluation needs: one inside a branch of a conditional is computed in that branch (its
        // guard may be what keeps its indices in range).
        foreach (var sum in Unconditional(roots).Where(n => n.IsReduction && !_computed.ContainsKey(n) && Free(n).IsSubsetOf(scope)).ToList())
        {
            if (_computed.ContainsKey(sum)) continue;
            if (sum.Kind != ExprKind.Sum)
            {
                computedHere.Add(sum);
                _computed[sum] = Expr.Var(EmitMaxLoop(sum, scope, indent));
                continue;
            }
            var name = Fresh("acc");
            _lines.Add(indent + "var " + name + " = " + _printer.Literal(Number.Zero) + ";");
            var index = sum.SumIndex;
            var i = CSharpPrinter.Identifier(index.Name!);
            // Guards that bound the index (k − i ≥ 0, k − i < n) become the loop's bounds instead of tests in its body.
            var (lower, upper, body) = Tighten(index, sum.ArgArray[1]);
            var start = lower.Count == 0 ? "0" : lower.Aggregate("0", (a, b) => $"global::System.Math.Max({a}, {IntegerText(b)})");
            var end = upper.Aggregate(PrintCount(sum.ArgArray[0]), (a, b) => $"global::System.Math.Min({a}, {IntegerText(b)})");
            _lines.Add(indent + $"for (var {i} = {start}; {i} < {end}; {i}++)");
            _lines.Add(indent + "{");
            var inner = new HashSet<Expr>(scope) { index };
            Emit(new List<Task> { new Assign(name + " +=", body) }, inner, indent + "    ");
            _lines.Add(indent + "}");
            _computed[sum] = Expr.Var(name);
            computedHere.Add(sum);
        }

        // Straight-line assignments, CSE'd together; loops in order. A conditional with sums in its branches becomes an
        // if statement computing a temporary first.
        var pending = new List<Assign>();
        foreach (var task in tasks)
        {
            if (task is Assign a)
            {
                pending.Add(new Assign(a.Head, Lift(a.Value, scope, indent, computedHere), a.Integer));
                continue;
            }
            if (task is ScatterAdd scatter)
            {
                // An index that selects (an argmax) becomes a local, common subexpressions shared with the value.
                var at = new List<string>();
                foreach (var index in scatter.Indices)
                {
                    if (!Graph.PostOrder(index).Any(x => x.Kind is ExprKind.If or ExprKind.Element || x.IsComparison || x.IsReduction))
                    {
                        at.Add(PrintCount(index));
                        continue;
                    }
                    var name = Fresh("at");
                    pending.Add(new Assign("var " + name + " =", Lift(index, scope, indent, computedHere), Integer: true));
                    at.Add(name);
                }
                pending.Add(new Assign(CSharpPrinter.Identifier(scatter.Array) + "[" + string.Join(", ", at) + "] +=", Lift(scatter.Value, scope, indent, computedHere)));
                continue;
            }
            Flush(pending, indent);
            if (task is Line line)
            {
                _lines.Add(indent + line.Text);
                continue;
            }
            if (task is IfWanted wanted)
            {
                _lines.Add(indent + "if (" + wanted.Condition + ")");
                _lines.Add(indent + "{");
                Emit(wanted.Body, scope, indent + "    ");
                _lines.Add(indent + "}");
                if (wanted.Else != null)
                {
                    _lines.Add(indent + "else");
                    _lines.Add(indent + "{");
                    Emit(wanted.Else, scope, indent + "    ");
                    _lines.Add(indent + "}");
                }
                continue;
            }
            if (task is When when)
            {
                _lines.Add(indent + "if (" + _printer.PrintCondition(Replace(when.Condition), RankOf) + ")");
                _lines.Add(indent + "{");
                Emit(when.Body, scope, indent + "    ");
                _lines.Add(indent + "}");
                continue;
            }
            if (task is Blocked blocked)
            {
                // Matrix-product calls when the shapes allow them, else the loops.
                if (blocked.Condition.Length == 0)
                {
                    _lines.AddRange(blocked.Body.Select(l => indent + l));
                    continue;
                }
                _lines.Add(indent + "if (" + blocked.Condition + ")");
                _lines.Add(indent + "{");
                _lines.AddRange(blocked.Body.Select(l => indent + "    " + l));
                _lines.Add(indent + "}");
                _lines.Add(indent + "else");
                _lines.Add(indent + "{");
                Emit(new List<Task> { blocked.Fallback }, scope, indent + "    ");
                _lines.Add(indent + "}");
                continue;
            }
            var loop = (Loop)task;
            if (loop.Body.Count == 1 && loop.Body[0] is Loop only && TryEmitVectorLoop(only, scope, indent, loop)) continue;
            if (TryEmitVectorLoop(loop, scope, indent)) continue;
            var k = CSharpPrinter.Identifier(loop.Index.Name!);
            _lines.Add(indent + $"for (var {k} = 0; {k} < {PrintCount(loop.Count)}; {k}++)");
            _lines.Add(indent + "{");
            Emit(loop.Body, new HashSet<Expr>(scope) { loop.Index }, indent + "    ");
            _lines.Add(indent + "}");
        }
        Flush(pending, indent);
        foreach (var sum in computedHere) _computed.Remove(sum);
    }

    // Reductions over a small constant count (a pooling window) are written out: no loop of two iterations, and an
    // argmax becomes selects (ties to the first) that compile without branches.
    private const int UnrollLimit = 4;

    internal static Expr Unroll(Expr e) => Graph.Rewrite(e, n =>
    {
        if (!n.IsReduction || n.ArgArray[0].Kind != ExprKind.Const || !n.ArgArray[0].Value.IsInteger) return n;
        var count = n.ArgArray[0].Value.Numerator;
        if (count < 1 || count > UnrollLimit) return n;
        var terms = Enumerable.Range(0, (int)count).Select(k => Expr.Substitute(n.ArgArray[1], n.SumIndex, Expr.Const(k))).ToList();
        switch (n.Kind)
        {
            case ExprKind.Sum:
                return Expr.Add(terms);
            case ExprKind.MaxOver:
                return terms.Skip(1).Aggregate(terms[0], Expr.Max);
            default:
            {
                Expr arg = Expr.Zero, best = terms[0];
                for (var k = 1; k < terms.Count; k++)
                {
                    var better = Expr.Compare(ExprKind.Greater, terms[k], best);
                    arg = Expr.If(better, Expr.Const(k), arg);
                    best = Expr.If(better, terms[k], best);
                }
                return arg;
            }
        }
    });

    // max_i u_i as a running Math.Max (NaN propagates); argmax_i u_i as the first index of a strictly larger u_i.
    // Guards stay in the body: skipping an iteration is not the same as taking 0 into a max.
    private string EmitMaxLoop(Expr reduction, HashSet<Expr> scope, string indent)
    {
        var i = CSharpPrinter.Identifier(reduction.SumIndex.Name!);
        var inner = new HashSet<Expr>(scope) { reduction.SumIndex };
        var lowest = _printer.Literal(Number.Inexact(double.NegativeInfinity));
        if (reduction.Kind == ExprKind.MaxOver)
        {
            var max = Fresh("max");
            _lines.Add(indent + $"var {max} = {lowest};");
            _lines.Add(indent + $"for (var {i} = 0; {i} < {PrintCount(reduction.ArgArray[0])}; {i}++)");
            _lines.Add(indent + "{");
            Emit(new List<Task> { new Assign(max + " =", Expr.Max(Expr.Var(max), reduction.ArgArray[1])) }, inner, indent + "    ");
            _lines.Add(indent + "}");
            return max;
        }
        var (arg, best, candidate) = (Fresh("arg"), Fresh("best"), Fresh("candidate"));
        _lines.Add(indent + $"var {arg} = 0;");
        _lines.Add(indent + $"var {best} = {lowest};");
        _lines.Add(indent + $"for (var {i} = 0; {i} < {PrintCount(reduction.ArgArray[0])}; {i}++)");
        _lines.Add(indent + "{");
        Emit(new List<Task> { new Assign("var " + candidate + " =", reduction.ArgArray[1]) }, inner, indent + "    ");
        _lines.Add(indent + $"    if ({candidate} > {best})");
        _lines.Add(indent + "    {");
        _lines.Add(indent + $"        {best} = {candidate};");
        _lines.Add(indent + $"        {arg} = {i};");
        _lines.Add(indent + "    }");
        _lines.Add(indent + "}");
        return arg;
    }

    // Bounds are i ≥ x or i < x, both the same as against ⌈x⌉ when x is fractional.
    private string IntegerText(Expr e) =>
        Graph.PostOrder(e).Any(n => n.Kind == ExprKind.Const && !n.Value.IsInteger) ? "(int)global::System.Math.Ceiling(" + Print(e) + ")" : PrintCount(e);

    /// <summary>
    /// The guards of a sum's body (a chain of If(c, ·, 0)) that bound its index, i ± rest compared with 0, turned into
    /// loop bounds: lower bounds (i ≥ L) and exclusive upper bounds (i &lt; U); the body keeps the other guards.
    /// </summary>
    private static (List<Expr> Lower, List<Expr> Upper, Expr Body) Tighten(Expr index, Expr body)
    {
        var lower = new List<Expr>();
        var upper = new List<Expr>();
        var residual = new List<Expr>();
        var inner = body;
        while (inner.Kind == ExprKind.If && inner.ArgArray[2].IsZero && Graph.Conjuncts(inner.ArgArray[0]) is { } conjuncts)
        {
            foreach (var c in conjuncts)
            {
                // c is d OP 0 with d = L − R = ±i + rest.
                var d = Expr.Sub(c.ArgArray[0], c.ArgArray[1]);
                var rest = Expr.Sub(d, index);
                var sign = 1;
                if (Expr.Mentions(rest, index))
                {
                    rest = Expr.Add(d, index);
                    sign = -1;
                    if (Expr.Mentions(rest, index)) { residual.Add(c); continue; }
                }
                // sign·i + rest OP 0.
                switch (c.Kind, sign)
                {
                    case (ExprKind.Less, 1): upper.Add(Expr.Neg(rest)); break;                     // i < −rest
                    case (ExprKind.LessEqual, 1): upper.Add(Expr.Sub(Expr.One, rest)); break;      // i ≤ −rest
                    case (ExprKind.Greater, 1): lower.Add(Expr.Sub(Expr.One, rest)); break;        // i > −rest
                    case (ExprKind.GreaterEqual, 1): lower.Add(Expr.Neg(rest)); break;             // i ≥ −rest
                    case (ExprKind.Less, -1): lower.Add(Expr.Add(rest, Expr.One)); break;          // i > rest
                    case (ExprKind.LessEqual, -1): lower.Add(rest); break;                         // i ≥ rest
                    case (ExprKind.Greater, -1): upper.Add(rest); break;                           // i < rest
                    case (ExprKind.GreaterEqual, -1): upper.Add(Expr.Add(rest, Expr.One)); break;  // i ≤ rest
                    default: residual.Add(c); break;
                }
            }
            inner = inner.ArgArray[1];
        }
        var rebuilt = Enumerable.Reverse(residual).Aggregate(inner, (x, g) => Expr.If(g, x, Expr.Zero));
        return (lower, upper, rebuilt);
    }

    // Post-order of the nodes evaluated whatever the conditions: not descending into the branches of an If.
    private static List<Expr> Unconditional(IEnumerable<Expr> roots)
    {
        var order = new List<Expr>();
        var seen = new HashSet<Expr>();
        void Visit(Expr n)
        {
            if (!seen.Add(n)) return;
            var args = n.Kind == ExprKind.If ? new[] { n.ArgArray[0] } : n.ArgArray;
            foreach (var a in args) Visit(a);
            order.Add(n);
        }
        foreach (var r in roots) Visit(r);
        return order;
    }

    // Replaces each conditional whose branches contain sums (outermost first) by a temporary assigned in an if
    // statement, each branch emitted (with its own loops) only when taken.
    private Expr Lift(Expr value, HashSet<Expr> scope, string indent, List<Expr> computedHere)
    {
        value = Replace(value);
        var conditional = Unconditional(new[] { value })
            .FirstOrDefault(n => n.Kind == ExprKind.If && (ContainsSum(n.ArgArray[1]) || ContainsSum(n.ArgArray[2])));
        if (conditional is null) return value;
        var name = Fresh("sel");
        _lines.Add(indent + "var " + name + " = " + _printer.Literal(Number.Zero) + ";");
        _lines.Add(indent + "if (" + _printer.PrintCondition(Replace(conditional.ArgArray[0]), RankOf) + ")");
        _lines.Add(indent + "{");
        Emit(new List<Task> { new Assign(name + " =", conditional.ArgArray[1]) }, scope, indent + "    ");
        _lines.Add(indent + "}");
        if (!conditional.ArgArray[2].IsZero)
        {
            _lines.Add(indent + "else");
            _lines.Add(indent + "{");
            Emit(new List<Task> { new Assign(name + " =", conditional.ArgArray[2]) }, scope, indent + "    ");
            _lines.Add(indent + "}");
        }
        _computed[conditional] = Expr.Var(name);
        computedHere.Add(conditional);
        return Lift(value, scope, indent, computedHere);
    }

    private static bool ContainsSum(Expr e) => e.IsReduction || Graph.PostOrder(e).Any(n => n.IsReduction);

    private void Flush(List<Assign> pending, string indent)
    {
        if (pending.Count == 0) return;
        var outputs = pending.Select((a, i) => ("out" + i.ToString(CultureInfo.InvariantCulture), Replace(a.Value))).ToList();
        // Every sum must have become a loop by now; a Σ left in straight-line code would be a lambda per call.
        if (Graph.PostOrder(outputs.Select(o => o.Item2)).FirstOrDefault(n => n.IsReduction) is { } left)
            throw new InvalidOperationException($"The sum over '{left.Name}' could not be placed in a loop.");
        var program = CsePass.Build(outputs, _taken);
        foreach (var (name, _) in program.Locals) _taken.Add(name);
        foreach (var line in _printer.Statements(program, pending.Select(a => a.Head).ToList(), pending.Select(a => a.Integer).ToList(), RankOf)) _lines.Add(indent + line);
        pending.Clear();
    }

    private IEnumerable<Expr> Roots(List<Task> tasks)
    {
        foreach (var t in tasks)
        {
            if (t is Assign a) yield return a.Value;
            else if (t is ScatterAdd s)
            {
                foreach (var i in s.Indices) yield return i;
                yield return s.Value;
            }
            // A guarded body's sums stay inside the guard (it may be what keeps their reads in range).
            else if (t is When w) yield return w.Condition;
            else if (t is IfWanted i)
                foreach (var r in Roots(i.Body).Concat(i.Else is null ? Enumerable.Empty<Expr>() : Roots(i.Else))) yield return r;
            else if (t is Loop l)
            {
                yield return l.Count;
                foreach (var r in Roots(l.Body)) yield return r;
            }
        }
    }

    private string Print(Expr e) => _printer.Print(Replace(e), RankOf);

    private int RankOf(string array) => _ranks.TryGetValue(array, out var rank) ? rank : 1;

    // A count or bound: integer literals, no float constants in a loop condition.
    private string PrintCount(Expr e) => _printer.PrintInteger(Replace(e), RankOf);

    // Computed sums become their accumulators (matched before their arguments are rewritten); the length of an axis
    // of a multi-dimensional array or matrix view (where .Length counts every element, or is absent) is its GetLength.
    private Expr Replace(Expr e)
    {
        var memo = new Dictionary<(Expr, bool), Expr>();
        // Inside a conversion (int arithmetic), a length stays integer data.
        Expr Walk(Expr n, bool integer)
        {
            if (_computed.TryGetValue(n, out var v)) return v;
            if (n.Kind == ExprKind.Length)
            {
                // Inside int arithmetic a length stays itself (the printer knows the ranks); elsewhere a named dimension.
                if (integer || !_ranks.TryGetValue(n.LengthArray, out var rank) || rank <= 1) return n;
                return Expr.Var(Dim(n.LengthArray, rank, n.LengthAxis));
            }
            if (n.ArgArray.Length == 0) return n;
            if (memo.TryGetValue((n, integer), out var done)) return done;
            var inner = integer || n.Kind is ExprKind.ToFloat or ExprKind.IntDiv or ExprKind.IntRem;
            var args = n.ArgArray.Select(a => Walk(a, inner)).ToArray();
            var result = args.Where((a, i) => !ReferenceEquals(a, n.ArgArray[i])).Any() ? n.WithArgs(args) : n;
            memo[(n, integer)] = result;
            return result;
        }
        return Walk(e, false);
    }

    private string Fresh(string prefix)
    {
        string name;
        do name = prefix + (_accumulators++).ToString(CultureInfo.InvariantCulture);
        while (!_taken.Add(name));
        return name;
    }

    // The indices a node mentions that no sum inside it binds.
    private HashSet<Expr> Free(Expr n)
    {
        if (_free.TryGetValue(n, out var known)) return known;
        var result = new HashSet<Expr>();
        if (n.Kind == ExprKind.Index) result.Add(n);
        foreach (var a in n.ArgArray) result.UnionWith(Free(a));
        if (n.IsReduction) result.Remove(n.SumIndex);
        _free[n] = result;
        return result;
    }
}
