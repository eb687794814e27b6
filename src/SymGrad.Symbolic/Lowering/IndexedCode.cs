using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using SymGrad.Symbolic.Plans;

namespace SymGrad.Symbolic;

/// <summary>
/// C# for expressions with indexed sums: every Σ becomes a loop that accumulates into a local, placed in the
/// outermost loop where all the indices it mentions are bound (so a normaliser Σⱼ e^zⱼ is computed once, before the
/// loop over k that uses it), and the gradient with respect to an array is a loop writing each element into a
/// caller-provided span. Straight-line parts of every loop body are common-subexpression-eliminated.
/// </summary>
public sealed partial class IndexedCode
{
    private readonly NumericType _real;
    private readonly bool _useFloat;
    private List<Step> _steps = new();
    private readonly HashSet<string> _taken;
    private readonly Dictionary<Expr, Expr> _computed = new();
    private readonly Dictionary<Expr, HashSet<Expr>> _free = new();
    private int _accumulators;

    // Every array the method reads or writes (inputs and gradient outputs), by name.
    private readonly Dictionary<string, ArrayInfo> _arrays = new(StringComparer.Ordinal);

    private IndexedCode(bool useFloat, IEnumerable<string> reserved)
    {
        _useFloat = useFloat;
        _real = useFloat ? NumericType.Float : NumericType.Double;
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

    // How a parameter of this C# type is held (the default: a span for rank 1, an array above).
    private static ArrayInfo Info(string name, int rank, string? type, NumericType real)
    {
        var storage = type is null ? (rank == 1 ? ArrayStorage.Span : ArrayStorage.Array)
            : type.Contains("Matrix<") || type.Contains("Tensor4<") ? ArrayStorage.View
            : type.Contains("Span<") ? ArrayStorage.Span : ArrayStorage.Array;
        var element = type is null ? real : type.Contains("<float>") || type.Contains("float[") ? NumericType.Float : NumericType.Double;
        return new ArrayInfo(name, rank, storage, element);
    }

    /// <summary>
    /// A method returning the function's value and writing its gradient: <c>out</c> parameters for scalar variables,
    /// spans (rank 1) or arrays (rank 2 and more) for array variables. Scalars come first (sorted), then arrays
    /// (sorted), then the gradient outputs in the order of the variables. With <paramref name="accumulate"/> the method
    /// returns nothing and adds the gradient into its outputs (<c>ref</c> for scalars), as a backward pass accumulates
    /// parameter gradients.
    /// </summary>
    public static string PrintGradientMethod(Gradient gradient, string methodName, CSharpPrinter printer, string accessibility = "public", string indent = "",
        IReadOnlyList<ArrayParameter>? parameters = null, string? summary = null, bool returnValue = true, bool accumulate = false) =>
        PlanPrinter.Print(Plan(gradient, methodName, printer.UseFloat, accessibility, parameters, summary, returnValue, accumulate), printer, indent);

    /// <summary>The plan of <see cref="PrintGradientMethod"/>: what it prints, as typed steps.</summary>
    public static MethodPlan Plan(Gradient gradient, string methodName, bool useFloat, string accessibility = "public",
        IReadOnlyList<ArrayParameter>? parameters = null, string? summary = null, bool returnValue = true, bool accumulate = false)
    {
        if (accumulate) returnValue = false;
        var real = useFloat ? NumericType.Float : NumericType.Double;
        var t = useFloat ? "float" : "double";
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
        var code = new IndexedCode(useFloat, reserved);
        foreach (var a in arrays) code._arrays[a.Name] = Info(a.Name, a.Rank, a.Type, real);
        foreach (var a in arrays.Where(a => a.Type != null)) code._declared.Add(a.Name);

        var signature = inputs.Select(a => (a.Type ?? (a.Rank == 0 ? t : a.Rank == 1 ? "global::System.ReadOnlySpan<" + t + ">" : t + "[" + new string(',', a.Rank - 1) + "]")) + " " + CSharpPrinter.Identifier(a.Name))
            .Concat(gradient.Variables.Select((v, i) => v.Kind == ExprKind.Var
                ? (accumulate ? "ref " : "out ") + t + " " + CSharpPrinter.Identifier(outputs[i])
                : GradientType(v) + " " + CSharpPrinter.Identifier(outputs[i])));

        // Checks first: every gradient array asked for has its variable's shape; an empty one (default, null) is not wanted.
        var steps = new List<Step>();
        for (var i = 0; i < gradient.Variables.Count; i++)
        {
            var v = gradient.Variables[i];
            if (v.Kind != ExprKind.Element) continue;
            var rank = v.ArgArray.Length;
            code._arrays[outputs[i]] = Info(outputs[i], rank, GradientType(v), real);
            code._declared.Add(outputs[i]);
            var checks = Enumerable.Range(0, rank).Select(d => (Condition)new Compare(new IntLength(outputs[i], rank, d), "!=", new IntLength(v.Name!, rank, d)));
            code._steps.Add(new Throw(new All(Seq.Of<Condition>(code.Wanted(outputs[i]), new Any(checks.ToSeq()))), $"{outputs[i]} must have the shape of {v.Name}.", outputs[i]));
        }

        string GradientType(Expr v) =>
            inputs.FirstOrDefault(a => a.Name == v.Name)?.GradientType
            ?? (v.ArgArray.Length == 1 ? "global::System.Span<" + t + ">" : t + "[" + new string(',', v.ArgArray.Length - 1) + "]");
        // Inner sums that would be recomputed in every iteration of a loop they do not depend on are computed once
        // into a buffer over their one index (z_j = Σ_i W_ji a_i for the δ-rule's Σ_j W_jk δ_j).
        var partialsOut = code.Materialize(gradient, returnValue);
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
                tasks.Add(new Assign(new Store(accumulate ? StoreKind.Add : StoreKind.Set, outputs[i], Seq<IntValue>.Empty, real), partialsOut[i]));
                continue;
            }
            var all = tasks;
            tasks = new List<Task>();
            if (searches[i] &&
                     Scatter(v, outputs[i], (scatterGradient ??= Differentiator.ScatterGradient(gradient.Function, gradient.Variables)).Partials[i]) is { } scatter)
            {
                // Each term visited once and added where it belongs, instead of a search per element.
                if (!accumulate) tasks.Add(new Do(new Clear(outputs[i], code._arrays[outputs[i]].Storage)));
                tasks.AddRange(scatter);
            }
            else
            {
                var loop = (Loop)code.ElementLoop(v, outputs[i], partialsOut[i], 0, accumulate);
                if (valueSum != null && valueAccumulator is null && v.ArgArray.Length == 1 && ReferenceEquals(loop.Count, valueSum.ArgArray[0]))
                {
                    valueAccumulator = code.Fresh("acc");
                    var target = new Store(StoreKind.Add, valueAccumulator, Seq<IntValue>.Empty, real);
                    var add = new Assign(target, Unroll(Expr.Substitute(valueSum.ArgArray[1], valueSum.SumIndex, loop.Index)));
                    all.Add(new Do(new Declare(valueAccumulator, real, Expr.Zero)));
                    all.Add(new IfWanted(code.Wanted(outputs[i]),
                        new List<Task> { new Loop(loop.Index, loop.Count, new List<Task> { add }.Concat(loop.Body).ToList()) },
                        new List<Task> { new Loop(valueSum.SumIndex, valueSum.ArgArray[0], new List<Task> { new Assign(target, Unroll(valueSum.ArgArray[1])) }) }));
                    tasks = all;
                    continue;
                }
                tasks.Add((Task?)code.BlockedContraction(v, outputs[i], partialsOut[i], loop, accumulate) ?? loop);
            }
            all.Add(new IfWanted(code.Wanted(outputs[i]), tasks));
            tasks = all;
        }
        if (valueAccumulator != null) function = Graph.Rewrite(function, n => ReferenceEquals(n, valueSum) ? Expr.Var(valueAccumulator) : n);
        if (returnValue) tasks.Add(new Assign(Store.Return(real), function));
        code.Emit(tasks, new HashSet<Expr>());

        return new MethodPlan(accessibility, returnValue ? t : "void", methodName, signature.ToSeq(), summary, Block.Of(code._steps), code._arrays.Values.ToSeq());
    }

    // True when the caller wants this gradient: not an empty span or view, not a null or empty array.
    private Condition Wanted(string output) => new Wanted(output, _arrays[output].Storage);

    private Task ElementLoop(Expr variable, string output, Expr partial, int axis, bool accumulate)
    {
        var index = variable.ArgArray[axis];
        var count = Expr.Length(variable.Name!, axis);
        if (axis == variable.ArgArray.Length - 1)
        {
            var target = new Store(accumulate ? StoreKind.Add : StoreKind.Set, output, variable.ArgArray.Select(IntValue.Of).ToSeq(), _real);
            return new Loop(index, count, new List<Task> { new Assign(target, partial) });
        }
        return new Loop(index, count, new List<Task> { ElementLoop(variable, output, partial, axis + 1, accumulate) });
    }

    // The steps a nested block adds.
    private Block Nested(System.Action build)
    {
        var outer = _steps;
        _steps = new List<Step>();
        build();
        var block = Block.Of(_steps);
        _steps = outer;
        return block;
    }

    /// <summary>
    /// Finds sums S with one free index j, inside a sum over j whose count is known up front, that an array
    /// variable's partial (computed in a loop over its own indices) or several outputs use; computes each into a
    /// buffer tmp[j] before anything else, and returns the partials and then the function with S read as tmp[j].
    /// </summary>
    private List<Expr> Materialize(Gradient gradient, bool withFunction)
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
            var count = IntValue.Of(Replace(counts[s]));
            _steps.Add(new Plans.Buffer(name, _real, count));
            memo.Clear();
            var body = Nested(() => Emit(new List<Task> { new Assign(new Store(StoreKind.Set, name, Seq.Of(IntValue.Of(index)), _real), Swap(s)) }, new HashSet<Expr> { index }));
            _steps.Add(new For(index.Name!, IntValue.Const(0), count, body));
            map[s] = Expr.Element(name, index);
        }
        memo.Clear();
        return roots.Select(Swap).ToList();
    }

    private abstract record Task;
    private sealed record Assign(Store Target, Expr Value) : Task;
    private sealed record Loop(Expr Index, Expr Count, List<Task> Body) : Task;
    // A step ready as it is (a declaration, clearing an output).
    private sealed record Do(Step Step) : Task;

    private void Emit(List<Task> tasks, HashSet<Expr> scope)
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
                _computed[sum] = Expr.Var(EmitMaxLoop(sum, scope));
                continue;
            }
            var name = Fresh("acc");
            _steps.Add(new Declare(name, _real, Expr.Zero));
            var index = sum.SumIndex;
            // Guards that bound the index (k − i ≥ 0, k − i < n) become the loop's bounds instead of tests in its body.
            var (lower, upper, body) = Tighten(index, sum.ArgArray[1]);
            var start = lower.Count == 0 ? IntValue.Const(0) : lower.Aggregate(IntValue.Const(0), (a, b) => IntValue.Max(a, IntegerBound(b)));
            var end = upper.Aggregate(Count(sum.ArgArray[0]), (a, b) => IntValue.Min(a, IntegerBound(b)));
            var inner = new HashSet<Expr>(scope) { index };
            var loopBody = Nested(() => Emit(new List<Task> { new Assign(new Store(StoreKind.Add, name, Seq<IntValue>.Empty, _real), body) }, inner));
            _steps.Add(new For(index.Name!, start, end, loopBody));
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
                pending.Add(new Assign(a.Target, Lift(a.Value, scope, computedHere)));
                continue;
            }
            if (task is ScatterAdd scatter)
            {
                // An index that selects (an argmax) becomes a local, common subexpressions shared with the value.
                var at = new List<IntValue>();
                foreach (var index in scatter.Indices)
                {
                    if (!Graph.PostOrder(index).Any(x => x.Kind is ExprKind.If or ExprKind.Element || x.IsComparison || x.IsReduction))
                    {
                        at.Add(Count(index));
                        continue;
                    }
                    var name = Fresh("at");
                    pending.Add(new Assign(new Store(StoreKind.Declare, name, Seq<IntValue>.Empty, NumericType.Int), Lift(index, scope, computedHere)));
                    at.Add(IntValue.Local(name));
                }
                pending.Add(new Assign(new Store(StoreKind.Add, scatter.Array, at.ToSeq(), _real), Lift(scatter.Value, scope, computedHere)));
                continue;
            }
            Flush(pending);
            switch (task)
            {
                case Do d:
                    _steps.Add(d.Step);
                    break;
                case IfWanted wanted:
                {
                    var then = Nested(() => Emit(wanted.Body, scope));
                    var otherwise = wanted.Else is null ? null : Nested(() => Emit(wanted.Else, scope));
                    _steps.Add(new If(wanted.Condition, then, otherwise));
                    break;
                }
                case When guarded:
                {
                    var condition = new Test(Replace(guarded.Condition));
                    _steps.Add(new If(condition, Nested(() => Emit(guarded.Body, scope))));
                    break;
                }
                case Blocked blocked:
                    // Matrix-product calls when the shapes allow them, else the loops.
                    if (blocked.Condition is null) _steps.AddRange(blocked.Body.Steps);
                    else _steps.Add(new If(blocked.Condition, blocked.Body, Nested(() => Emit(new List<Task> { blocked.Fallback }, scope))));
                    break;
                default:
                {
                    var loop = (Loop)task;
                    if (loop.Body.Count == 1 && loop.Body[0] is Loop only && TryEmitVectorLoop(only, scope, loop)) continue;
                    if (TryEmitVectorLoop(loop, scope)) continue;
                    var count = Count(loop.Count);
                    var body = Nested(() => Emit(loop.Body, new HashSet<Expr>(scope) { loop.Index }));
                    _steps.Add(new For(loop.Index.Name!, IntValue.Const(0), count, body));
                    break;
                }
            }
        }
        Flush(pending);
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
    private string EmitMaxLoop(Expr reduction, HashSet<Expr> scope)
    {
        var i = reduction.SumIndex.Name!;
        var inner = new HashSet<Expr>(scope) { reduction.SumIndex };
        var lowest = Expr.Const(Number.Inexact(double.NegativeInfinity));
        if (reduction.Kind == ExprKind.MaxOver)
        {
            var max = Fresh("max");
            _steps.Add(new Declare(max, _real, lowest));
            var count = Count(reduction.ArgArray[0]);
            var body = Nested(() => Emit(new List<Task> { new Assign(new Store(StoreKind.Set, max, Seq<IntValue>.Empty, _real), Expr.Max(Expr.Var(max), reduction.ArgArray[1])) }, inner));
            _steps.Add(new For(i, IntValue.Const(0), count, body));
            return max;
        }
        var (arg, best, candidate) = (Fresh("arg"), Fresh("best"), Fresh("candidate"));
        _steps.Add(new DeclareInt(arg, IntValue.Const(0)));
        _steps.Add(new Declare(best, _real, lowest));
        var n = Count(reduction.ArgArray[0]);
        var loop = Nested(() =>
        {
            Emit(new List<Task> { new Assign(new Store(StoreKind.Declare, candidate, Seq<IntValue>.Empty, _real), reduction.ArgArray[1]) }, inner);
            _steps.Add(new If(new Test(Expr.Compare(ExprKind.Greater, Expr.Var(candidate), Expr.Var(best))),
                Block.Of(new Step[] { new Copy(best, candidate), new Copy(arg, CSharpPrinter.Identifier(i)) })));
        });
        _steps.Add(new For(i, IntValue.Const(0), n, loop));
        return arg;
    }

    // Bounds are i ≥ x or i < x, both the same as against ⌈x⌉ when x is fractional.
    private IntValue IntegerBound(Expr e) =>
        Graph.PostOrder(e).Any(n => n.Kind == ExprKind.Const && !n.Value.IsInteger) ? new IntOf(Replace(e), Ceiling: true) : Count(e);

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
    private Expr Lift(Expr value, HashSet<Expr> scope, List<Expr> computedHere)
    {
        value = Replace(value);
        var conditional = Unconditional(new[] { value })
            .FirstOrDefault(n => n.Kind == ExprKind.If && (ContainsSum(n.ArgArray[1]) || ContainsSum(n.ArgArray[2])));
        if (conditional is null) return value;
        var name = Fresh("sel");
        _steps.Add(new Declare(name, _real, Expr.Zero));
        var target = new Store(StoreKind.Set, name, Seq<IntValue>.Empty, _real);
        var condition = new Test(Replace(conditional.ArgArray[0]));
        var then = Nested(() => Emit(new List<Task> { new Assign(target, conditional.ArgArray[1]) }, scope));
        var otherwise = conditional.ArgArray[2].IsZero ? null : Nested(() => Emit(new List<Task> { new Assign(target, conditional.ArgArray[2]) }, scope));
        _steps.Add(new If(condition, then, otherwise));
        _computed[conditional] = Expr.Var(name);
        computedHere.Add(conditional);
        return Lift(value, scope, computedHere);
    }

    private static bool ContainsSum(Expr e) => e.IsReduction || Graph.PostOrder(e).Any(n => n.IsReduction);

    private void Flush(List<Assign> pending)
    {
        if (pending.Count == 0) return;
        var outputs = pending.Select((a, i) => ("out" + i.ToString(CultureInfo.InvariantCulture), Replace(a.Value))).ToList();
        // Every sum must have become a loop by now; a Σ left in straight-line code would be a lambda per call.
        if (Graph.PostOrder(outputs.Select(o => o.Item2)).FirstOrDefault(n => n.IsReduction) is { } left)
            throw new InvalidOperationException($"The sum over '{left.Name}' could not be placed in a loop.");
        var program = CsePass.Build(outputs, _taken);
        foreach (var (name, _) in program.Locals) _taken.Add(name);
        _steps.Add(new Straight(program, pending.Select(a => a.Target).ToSeq()));
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


    // A count or bound: an int.
    private IntValue Count(Expr e) => IntValue.Of(Replace(e));

    // Computed sums become their accumulators (matched before their arguments are rewritten).
    private Expr Replace(Expr e)
    {
        if (_computed.Count == 0) return e;
        var memo = new Dictionary<Expr, Expr>();
        Expr Walk(Expr n)
        {
            if (_computed.TryGetValue(n, out var v)) return v;
            if (n.ArgArray.Length == 0) return n;
            if (memo.TryGetValue(n, out var done)) return done;
            var args = n.ArgArray.Select(Walk).ToArray();
            var result = args.Where((a, i) => !ReferenceEquals(a, n.ArgArray[i])).Any() ? n.WithArgs(args) : n;
            memo[n] = result;
            return result;
        }
        return Walk(e);
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
