using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using SymGrad.Symbolic.Plans;

namespace SymGrad.Symbolic;

/// <summary>
/// The lowering of gradients with indexed sums to plans (<see cref="Plans"/>). <see cref="Lower"/> builds the plan as
/// the formulas say it: the gradient of an array is a loop nest writing each element (<see cref="Assign"/> steps whose
/// values still hold their Σs). Passes then rewrite that plan: <see cref="Scatters"/> (a partial that would search for
/// its terms walks them instead), <see cref="Contractions"/> (float-view contractions become matrix-product kernel
/// calls, the loops kept as the fallback), <see cref="Vectors"/> (scatters along a float view's last axis take
/// Vector&lt;float&gt; lanes) and last <see cref="Place"/>: every Σ becomes a loop accumulating into a local, placed in
/// the outermost loop where all the indices it mentions are bound (so a normaliser Σⱼ e^zⱼ is computed once, before
/// the loop over k that uses it), and straight-line code is common-subexpression-eliminated. The instance holds what
/// the passes share: the arrays, the gradient outputs and the names taken.
/// </summary>
public sealed partial class IndexedCode
{
    private readonly NumericType _real;
    private readonly bool _useFloat;
    private List<Step> _steps = new();
    private readonly HashSet<string> _taken;
    private readonly Dictionary<Expr, Expr> _computed = new();
    private readonly Dictionary<Expr, HashSet<Expr>> _free = new();
    // int parameters (class labels, counts): index leaves bound for the whole method, never a loop's.
    private readonly HashSet<Expr> _data = new();
    private int _accumulators;

    // Every array the method reads or writes (inputs and gradient outputs), by name.
    private readonly Dictionary<string, ArrayInfo> _arrays = new(StringComparer.Ordinal);
    // Each array gradient's output: its variable, and its position among the gradient's variables.
    private readonly Dictionary<string, (Expr Variable, int Position)> _outputs = new(StringComparer.Ordinal);
    // Outputs whose solved partial searches for its terms (the scatter pass's candidates).
    private readonly HashSet<string> _searching = new(StringComparer.Ordinal);
    private Gradient? _gradient;
    private Gradient? _scatterGradient;
    private bool _accumulate;

    private IndexedCode(bool useFloat, IEnumerable<string> reserved)
    {
        _useFloat = useFloat;
        _real = useFloat ? NumericType.Float : NumericType.Double;
        _taken = new HashSet<string>(reserved, StringComparer.Ordinal);
    }

    /// <summary>
    /// A parameter of a generated method: its name, rank (0 for a scalar, −1 for int data) and, when not the default
    /// (<c>ReadOnlySpan&lt;T&gt;</c>, <c>T[,]</c>), its C# type and the type of its gradient.
    /// </summary>
    public sealed record ArrayParameter(string Name, int Rank, string? Type = null, string? GradientType = null)
    {
        /// <summary>Its C# type in a method of <paramref name="real"/> (<c>double</c>, <c>float</c>): the given one, or the default.</summary>
        public string TypeIn(string real) => Type ?? (Rank == 0 ? real : Rank == 1 ? "global::System.ReadOnlySpan<" + real + ">" : real + "[" + new string(',', Rank - 1) + "]");
    }

    // Inside Σ_{i<n} the count is positive: a guard n > 0 there (the derivative of a max over a possibly empty index, read at
    // its argmax) always holds and is dropped, so the argmax it guarded is computed once before the loop, not in every
    // iteration (a softmax cross-entropy's H·v was quadratic in n).
    private static Expr ImpliedGuards(Expr e) => Graph.Rewrite(e, n =>
    {
        if (n.Kind != ExprKind.Sum) return n;
        var nonEmpty = Expr.Compare(ExprKind.Greater, n.ArgArray[0], Expr.Zero);
        if (!Graph.PostOrder(n.ArgArray[1]).Contains(nonEmpty)) return n;
        return Expr.Sum(n.SumIndex, n.ArgArray[0], Graph.Rewrite(n.ArgArray[1], m => ReferenceEquals(m, nonEmpty) ? Expr.One : m));
    });

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

    /// <summary>
    /// Straight-line statements for scalar outputs that hold sums (a method of scalars with a loop over a constant
    /// count): outputs 1…n assigned (<c>dx = …;</c>, <c>hessian[3] = …;</c>), output 0 returned, every Σ a loop into an
    /// accumulator placed where it is needed, as CSharpPrinter.Statements lays out a program.
    /// </summary>
    public static IReadOnlyList<string> ScalarStatements(IReadOnlyList<(string Name, Expr Value)> outputs, CSharpPrinter printer, IEnumerable<string> reserved,
        IEnumerable<string>? integerParameters = null)
    {
        var real = printer.UseFloat ? NumericType.Float : NumericType.Double;
        var code = new IndexedCode(printer.UseFloat, reserved.Concat(outputs.Select(o => o.Name)));
        foreach (var p in integerParameters ?? Enumerable.Empty<string>()) code._data.Add(Expr.Index(p));
        var steps = outputs.Skip(1).Select(o => (Step)new Assign(new Store(StoreKind.Set, o.Name, Seq<IntValue>.Empty, real), Unroll(o.Value)))
            .Append(new Assign(Store.Return(real), Unroll(outputs[0].Value)));
        return PlanPrinter.Lines(code.Place(Block.Of(steps)), printer, Enumerable.Empty<ArrayInfo>());
    }

    /// <summary>The plan of <see cref="PrintGradientMethod"/>: what it prints, as typed steps.</summary>
    public static MethodPlan Plan(Gradient gradient, string methodName, bool useFloat, string accessibility = "public",
        IReadOnlyList<ArrayParameter>? parameters = null, string? summary = null, bool returnValue = true, bool accumulate = false)
    {
        var (plan, lowering) = Lower(gradient, methodName, useFloat, accessibility, parameters, summary, returnValue, accumulate);
        return plan with { Body = lowering.Place(lowering.Vectors(lowering.Contractions(lowering.Scatters(plan.Body)))) };
    }

    /// <summary>
    /// The plan as the formulas say it, before any pass: loops over each array gradient's elements assigning its
    /// partial (Σs inside), and the lowering whose passes rewrite it.
    /// </summary>
    public static (MethodPlan Plan, IndexedCode Lowering) Lower(Gradient gradient, string methodName, bool useFloat, string accessibility = "public",
        IReadOnlyList<ArrayParameter>? parameters = null, string? summary = null, bool returnValue = true, bool accumulate = false)
    {
        if (accumulate) returnValue = false;
        var real = useFloat ? NumericType.Float : NumericType.Double;
        var t = useFloat ? "float" : "double";
        var roots = new[] { gradient.Function }.Concat(gradient.Partials).ToList();
        var (code, outputs, signature) = Begin(gradient.Variables, roots, parameters, useFloat, accumulate, Enumerable.Empty<string>());
        code._gradient = gradient;
        // Inner sums that would be recomputed in every iteration of a loop they do not depend on are computed once
        // into a buffer over their one index (z_j = Σ_i W_ji a_i for the δ-rule's Σ_j W_jk δ_j).
        var partialsOut = code.Materialize(gradient, returnValue).Select(ImpliedGuards).ToList();
        var searches = partialsOut.Select(Searches).ToList();
        partialsOut = partialsOut.Select(Unroll).ToList();
        var function = partialsOut[partialsOut.Count - 1];

        var steps = code._steps;
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
                steps.Add(new Assign(new Store(accumulate ? StoreKind.Add : StoreKind.Set, outputs[i], Seq<IntValue>.Empty, real), partialsOut[i]));
                continue;
            }
            var loop = code.ElementLoop(v, outputs[i], partialsOut[i], 0, accumulate);
            // A partial that searches is the scatter pass's to rewrite; the value is not added up in its loop.
            if (searches[i]) code._searching.Add(outputs[i]);
            else if (valueSum != null && valueAccumulator is null && v.ArgArray.Length == 1 && ReferenceEquals(Expr.Length(v.Name!, 0), valueSum.ArgArray[0]))
            {
                valueAccumulator = code.Fresh("acc");
                var target = new Store(StoreKind.Add, valueAccumulator, Seq<IntValue>.Empty, real);
                var add = new Assign(target, Unroll(Expr.Substitute(valueSum.ArgArray[1], valueSum.SumIndex, v.ArgArray[0])));
                steps.Add(new Declare(valueAccumulator, real, Expr.Zero));
                var both = loop with { Body = Block.Of(loop.Body.Steps.Prepend(add)) };
                var valueOnly = new For(valueSum.SumIndex.Name!, IntValue.Const(0), IntValue.Of(valueSum.ArgArray[0]), Block.Of(new Step[] { new Assign(target, Unroll(valueSum.ArgArray[1])) }));
                steps.Add(new If(code.Wanted(outputs[i]), Block.Of(new Step[] { both }), Block.Of(new Step[] { valueOnly })));
                continue;
            }
            steps.Add(new If(code.Wanted(outputs[i]), Block.Of(new Step[] { loop })));
        }
        if (valueAccumulator != null) function = Graph.Rewrite(function, n => ReferenceEquals(n, valueSum) ? Expr.Var(valueAccumulator) : n);
        if (returnValue) steps.Add(new Assign(Store.Return(real), function));

        var plan = new MethodPlan(accessibility, returnValue ? t : "void", methodName, signature.ToSeq(), summary, Block.Of(steps), code._arrays.Values.ToSeq());
        code._steps = new List<Step>();
        return (plan, code);
    }

    /// <summary>
    /// What every gradient method starts with: the outputs' names (d&lt;v&gt;, with underscores added while one collides
    /// with a parameter or another output), the lowering with the arrays registered and every name taken, the
    /// signature (the parameters, then an output per variable: <c>out</c> (<c>ref</c> when accumulating) for a scalar,
    /// a span or array for an array variable) and the checks that each gradient array asked for has its variable's shape.
    /// </summary>
    private static (IndexedCode Code, List<string> Outputs, List<string> Signature) Begin(IReadOnlyList<Expr> variables, IReadOnlyList<Expr> roots,
        IReadOnlyList<ArrayParameter>? parameters, bool useFloat, bool accumulate, IEnumerable<string> reservedToo)
    {
        var real = useFloat ? NumericType.Float : NumericType.Double;
        var t = useFloat ? "float" : "double";
        // The caller's parameters (name and rank, 0 for a scalar) in its order, or those the formulas use.
        var scalars = parameters?.Where(p => p.Rank == 0).Select(p => p.Name).ToList() ?? Graph.Variables(roots.ToArray()).ToList();
        var arrays = parameters?.Where(p => p.Rank > 0).ToList() ?? Arrays(roots).ToList();
        var inputs = parameters ?? scalars.Select(s => new ArrayParameter(s, 0)).Concat(arrays).ToList();
        var outputs = new List<string>();
        foreach (var v in variables)
        {
            var name = "d" + v.Name;
            while (inputs.Any(a => a.Name == name) || outputs.Contains(name)) name += "_";
            outputs.Add(name);
        }
        var reserved = scalars.Concat(arrays.Select(a => a.Name)).Concat(outputs).Concat(inputs.Where(p => p.Rank < 0).Select(p => p.Name))
            .Concat(variables.Where(v => v.Kind == ExprKind.Element).SelectMany(v => v.ArgArray.Select(i => i.Name!))).Concat(reservedToo).ToList();
        var code = new IndexedCode(useFloat, reserved) { _accumulate = accumulate };
        foreach (var p in inputs.Where(p => p.Rank < 0)) code._data.Add(Expr.Index(p.Name));
        foreach (var a in arrays) code._arrays[a.Name] = Info(a.Name, a.Rank, a.Type, real);
        foreach (var a in arrays.Where(a => a.Type != null)) code._declared.Add(a.Name);

        var signature = inputs.Select(a => a.TypeIn(t) + " " + CSharpPrinter.Identifier(a.Name))
            .Concat(variables.Select((v, i) => v.Kind == ExprKind.Var
                ? (accumulate ? "ref " : "out ") + t + " " + CSharpPrinter.Identifier(outputs[i])
                : GradientType(v) + " " + CSharpPrinter.Identifier(outputs[i]))).ToList();

        // Checks first: every gradient array asked for has its variable's shape; an empty one (default, null) is not wanted.
        for (var i = 0; i < variables.Count; i++)
        {
            var v = variables[i];
            if (v.Kind != ExprKind.Element) continue;
            var rank = v.ArgArray.Length;
            code._arrays[outputs[i]] = Info(outputs[i], rank, GradientType(v), real);
            code._declared.Add(outputs[i]);
            code._outputs[outputs[i]] = (v, i);
            var checks = Enumerable.Range(0, rank).Select(d => (Condition)new Compare(new IntLength(outputs[i], rank, d), "!=", new IntLength(v.Name!, rank, d)));
            code._steps.Add(new Throw(new All(Seq.Of<Condition>(code.Wanted(outputs[i]), new Any(checks.ToSeq()))), $"{outputs[i]} must have the shape of {v.Name}.", outputs[i]));
        }
        return (code, outputs, signature);

        string GradientType(Expr v) =>
            inputs.FirstOrDefault(a => a.Name == v.Name)?.GradientType
            ?? (v.ArgArray.Length == 1 ? "global::System.Span<" + t + ">" : t + "[" + new string(',', v.ArgArray.Length - 1) + "]");
    }

    // True when the caller wants this gradient: not an empty span or view, not a null or empty array.
    private Condition Wanted(string output) => new Wanted(output, _arrays[output].Storage);

    // for k₀ … for kₙ: out[k₀, …, kₙ] (+)= partial.
    private For ElementLoop(Expr variable, string output, Expr partial, int axis, bool accumulate)
    {
        var index = variable.ArgArray[axis].Name!;
        var count = IntValue.Of(Expr.Length(variable.Name!, axis));
        if (axis == variable.ArgArray.Length - 1)
        {
            var target = new Store(accumulate ? StoreKind.Add : StoreKind.Set, output, variable.ArgArray.Select(IntValue.Of).ToSeq(), _real);
            return new For(index, IntValue.Const(0), count, Block.Of(new Step[] { new Assign(target, partial) }));
        }
        return new For(index, IntValue.Const(0), count, Block.Of(new Step[] { ElementLoop(variable, output, partial, axis + 1, accumulate) }));
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
        // Pointwise values of j alone inside such a sum in an array variable's partial (the dense layer's
        // c_j (1 − tanh²(z_j)) in ∂f/∂a_p = Σ_j W_{j,p} c_j (1 − tanh²(z_j))): the loop over p would compute them for every
        // p, n_a · n_b transcendental calls where one per j is the work. Computed once per j into a buffer, like the sums.
        var pointwise = new List<Expr>();
        var buffered = new HashSet<Expr>(chosen);
        var covered = new HashSet<Expr>();
        for (var r = 0; r < gradient.Variables.Count; r++)
        {
            if (gradient.Variables[r].Kind != ExprKind.Element) continue;
            foreach (var binding in Graph.PostOrder(roots[r]).Where(n => n.Kind == ExprKind.Sum && Free(n.ArgArray[0]).Count == 0))
                foreach (var v in EveryIteration(binding.ArgArray[1]))
                {
                    if (covered.Contains(v) || buffered.Contains(v) || !Pointwise(v, binding.SumIndex, buffered)) continue;
                    counts[v] = binding.ArgArray[0];
                    pointwise.Add(v);
                    covered.UnionWith(Graph.PostOrder(v));
                }
        }
        chosen.AddRange(pointwise);
        if (chosen.Count == 0) return roots;

        var map = new Dictionary<Expr, Expr>();
        var memo = new Dictionary<Expr, Expr>();
        var buffers = new Dictionary<Expr, (string Name, Expr Index, Expr Count)>();
        Expr Swap(Expr e) => Graph.ReplaceTopDown(e, map, memo);
        foreach (var s in chosen)
        {
            var index = Free(s).Single();
            var name = Fresh("tmp");
            var count = IntValue.Of(counts[s]);
            // (A count that can be negative, b.Length − 1 of an empty b, sizes an empty buffer: stackalloc of a negative
            // size ends the process.)
            _steps.Add(new Plans.Buffer(name, _real, NeverNegative(counts[s]) ? count : IntValue.Max(count, IntValue.Const(0))));
            memo.Clear();
            _steps.Add(new For(index.Name!, IntValue.Const(0), count, Block.Of(new Step[] { new Assign(new Store(StoreKind.Set, name, Seq.Of(IntValue.Of(index)), _real), Swap(s)) })));
            map[s] = Expr.Element(name, index);
            buffers[s] = (name, index, counts[s]);
        }
        // The same value at another index (Σ_i W_{k,i} a_i in ∂f/∂W_{k,l} is tmp[k] where tmp[j] holds Σ_i W_{j,i} a_i):
        // read from the buffer where the index is within it, computed as before elsewhere.
        var indices = buffers.Values.Select(b => b.Index).Distinct().ToList();
        var elsewhere = new Dictionary<Expr, (string Name, Expr At, Expr Count)>();
        foreach (var n in Graph.PostOrder(roots))
        {
            if (map.ContainsKey(n) || n.Kind is ExprKind.Element or ExprKind.Index or ExprKind.Var or ExprKind.Const) continue;
            var free = Free(n);
            if (free.Count != 1) continue;
            var at = free.First();
            foreach (var j in indices)
            {
                if (ReferenceEquals(at, j) || !buffers.TryGetValue(Expr.Substitute(n, at, j), out var buffer) || !ReferenceEquals(buffer.Index, j)) continue;
                elsewhere[n] = (buffer.Name, at, buffer.Count);
                break;
            }
        }
        memo.Clear();
        var swapped = roots.Select(Swap).ToList();
        if (elsewhere.Count == 0) return swapped;
        // An index is within the buffer where it runs over an axis of that length (∂f/∂b_m, m < n_b, reads tmp[m]) or a
        // guard around the use says so (k < n_b ∧ …); elsewhere the buffer is read under that test.
        var ranges = new Dictionary<Expr, Expr>();
        foreach (var v in gradient.Variables.Where(v => v.Kind == ExprKind.Element))
            for (var axis = 0; axis < v.ArgArray.Length; axis++)
                ranges[v.ArgArray[axis]] = Expr.Length(v.Name!, axis);
        var guardSets = new List<HashSet<Expr>> { new() };
        var done = new Dictionary<(Expr, int), Expr>();
        Expr Read(Expr e, int guards)
        {
            if (done.TryGetValue((e, guards), out var known)) return known;
            Expr result;
            if (elsewhere.TryGetValue(e, out var b))
            {
                var within = Expr.Compare(ExprKind.Less, b.At, b.Count);
                var element = Expr.Element(b.Name, b.At);
                result = ranges.TryGetValue(b.At, out var length) && ReferenceEquals(length, b.Count) || guardSets[guards].Contains(within)
                    ? element
                    : Expr.If(within, element, e);
            }
            else if (e.ArgArray.Length == 0) result = e;
            else if (e.Kind == ExprKind.If && Graph.Conjuncts(e.ArgArray[0]) is { Count: > 0 } known2)
            {
                var inner = new HashSet<Expr>(guardSets[guards]);
                inner.UnionWith(known2);
                var id = guardSets.FindIndex(g => g.SetEquals(inner));
                if (id < 0) { id = guardSets.Count; guardSets.Add(inner); }
                result = e.WithArgs(new[] { Read(e.ArgArray[0], guards), Read(e.ArgArray[1], id), Read(e.ArgArray[2], guards) });
            }
            else
            {
                var args = e.ArgArray.Select(a => Read(a, guards)).ToArray();
                result = args.Where((a, i) => !ReferenceEquals(a, e.ArgArray[i])).Any() ? e.WithArgs(args) : e;
            }
            done[(e, guards)] = result;
            return result;
        }
        return swapped.Select(r => Read(r, 0)).ToList();
    }

    private static bool NeverNegative(Expr count) => count.Kind switch
    {
        ExprKind.Length => true,
        ExprKind.Const => !count.Value.IsNegative,
        ExprKind.Mul or ExprKind.Add => count.ArgArray.All(NeverNegative),
        _ => false,
    };

    // The nodes of a sum's body evaluated on every iteration, outermost first, not descending into a conditional's
    // branches (what they read may be guarded) nor into nested sums, nor below a node returned.
    private IEnumerable<Expr> EveryIteration(Expr body)
    {
        var stack = new Stack<Expr>();
        stack.Push(body);
        var seen = new HashSet<Expr>();
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            yield return n;
            if (n.IsReduction) continue;
            if (n.Kind == ExprKind.If) { stack.Push(n.ArgArray[0]); continue; }
            foreach (var a in n.ArgArray) stack.Push(a);
        }
    }

    // Worth a buffer over index j: a function of j alone with a transcendental call in it, reading arrays only at j itself
    // or at fixed positions (always in range where the sum reads them), no integer division (it could throw).
    private bool Pointwise(Expr n, Expr j, HashSet<Expr> buffered)
    {
        if (n.Kind is ExprKind.Element or ExprKind.Index or ExprKind.Var or ExprKind.Const || n.IsReduction) return false;
        var free = Free(n);
        if (free.Count != 1 || !free.Contains(j)) return false;
        // (A sum buffered already reads as tmp[j]: not looked into.)
        var nodes = new List<Expr>();
        var visited = new HashSet<Expr>();
        var stack = new Stack<Expr>();
        stack.Push(n);
        while (stack.Count > 0)
        {
            var x = stack.Pop();
            if (!visited.Add(x)) continue;
            nodes.Add(x);
            if (buffered.Contains(x)) continue;
            if (x.IsReduction) return false;
            foreach (var a in x.ArgArray) stack.Push(a);
        }
        nodes.RemoveAll(buffered.Contains);
        if (nodes.Any(x => x.Kind is ExprKind.IntDiv or ExprKind.IntRem or ExprKind.If)) return false;
        if (!nodes.Any(x => x.Kind is ExprKind.Exp or ExprKind.Log or ExprKind.Tanh or ExprKind.Sigmoid or ExprKind.Softplus or ExprKind.Sin or ExprKind.Cos)) return false;
        return nodes.Where(x => x.Kind == ExprKind.Element).All(e => e.ArgArray.All(i => ReferenceEquals(i, j) || Free(i).Count == 0 && !Graph.PostOrder(i).Any(y => y.Kind is ExprKind.Var or ExprKind.Element)));
    }

}
