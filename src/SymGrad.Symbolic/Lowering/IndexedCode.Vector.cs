using System.Collections.Generic;
using System.Linq;
using SymGrad.Symbolic.Plans;

namespace SymGrad.Symbolic;

// A scatter's innermost loop over the last axis of float views (a pooling window's channels) runs on Vector<float>:
// every read and write of the body is a run of that axis, so a vector of channels is one load or store. An index that
// selects (an argmax) cannot differ between lanes, so each of its values becomes its own add, masked by the condition
// that picks it: dX[2m + i, 2n + j, c] += [argmax = (i, j)] Δ[m, n, c] for the four (i, j) of a 2×2 window. The
// remaining channels (fewer than a vector) run the scalar loop.
public sealed partial class IndexedCode
{
    // Masked adds one scatter may become (a 4×4 window's argmax: sixteen).
    private const int MaxMaskedAdds = 16;

    // Arrays whose type the caller gave (and the gradient outputs): the ones vector loops read and write.
    private readonly HashSet<string> _declared = new(System.StringComparer.Ordinal);

    private sealed record ScatterAdd(string Array, Expr[] Indices, Expr Value);

    /// <summary>
    /// The vectorisation pass: a loop whose body only scatters into runs of float views' last axis (or a loop whose
    /// only step is such a loop) becomes a <see cref="VectorLoop"/>, its body kept as the remainder for the last lanes.
    /// </summary>
    public Block Vectors(Block plan) => Block.Of(plan.Steps.Select(step => step switch
    {
        For f when f.Body.Steps.Count == 1 && f.Body.Steps[0] is For only && TryVector(only, f) is { } v => v,
        For f when TryVector(f, null) is { } v => v,
        For f => f with { Body = Vectors(f.Body) },
        If c => c with { Then = Vectors(c.Then), Else = c.Else is null ? null : Vectors(c.Else) },
        _ => step,
    }));

    // With an enclosing loop (a window's column n), its only step being this one, the runs are sliced from whole rows
    // found once outside it: a slice per row of the image instead of per window.
    private VectorLoop? TryVector(For loop, For? outer)
    {
        if (!_useFloat || loop.Body.Steps.Count == 0 || !loop.Body.Steps.All(t => t is Assign { Scatter: true }) || loop.Upper is not IntOf { Ceiling: false } loopCount) return null;
        if (outer != null && outer.Upper is not IntOf { Ceiling: false }) return null;
        var c = Expr.Index(loop.Index);
        var adds = new List<ScatterAdd>();
        foreach (Assign s in loop.Body.Steps)
        {
            if (ExpandSelects(new ScatterAdd(s.Target.Name, s.Target.Indices.Select(i => ((IntOf)i).Value).ToArray(), s.Value)) is not { } expanded) return null;
            adds.AddRange(expanded);
        }
        if (adds.Count > MaxMaskedAdds) return null;
        // Every element read or written is a run along c: c exactly its last index, nowhere else, a float view or span.
        bool Run(string array, IReadOnlyList<Expr> indices) =>
            indices.Count > 0 && ReferenceEquals(indices[indices.Count - 1], c) && indices.Take(indices.Count - 1).All(i => !Expr.Mentions(i, c) && IsAffine(i))
            && _declared.Contains(array) && _arrays.TryGetValue(array, out var info) && info.Element == NumericType.Float && info.Rank == indices.Count
            && (info.Storage == ArrayStorage.Span ? indices.Count == 1 : info.Storage == ArrayStorage.View && indices.Count is 2 or 4);
        // Every element written or read: (array, indices).
        var accesses = adds.Select(a => (Array: a.Array, Indices: (IReadOnlyList<Expr>)a.Indices))
            .Concat(adds.SelectMany(a => Graph.PostOrder(a.Value)).Where(n => n.Kind == ExprKind.Element).Select(n => (Array: n.Name!, Indices: (IReadOnlyList<Expr>)n.ArgArray)))
            .ToList();
        if (!accesses.All(x => Run(x.Array, x.Indices))) return null;
        // With an outer loop, every run is a 4-D view's whose image and row do not move with the outer index (its column does).
        var outerIndex = outer is null ? null : Expr.Index(outer.Index);
        if (outer != null && !accesses.All(x => x.Indices.Count == 4 && !Expr.Mentions(x.Indices[0], outerIndex!) && !Expr.Mentions(x.Indices[1], outerIndex!))) return null;

        _wholeRows = outer != null;
        _hoistedRows = new Dictionary<(string, Seq<IntValue>), string>();
        _hoistedValues = new Dictionary<(string, object), string>();
        _hoistedSteps = new List<Step>();
        _rowGroups = new Dictionary<RunGroupKey, (long Min, long Max)>();
        foreach (var x in accesses) GroupRow(x.Array, x.Indices);
        var names = new Dictionary<Expr, string>();
        var uses = new Dictionary<Expr, int>();
        foreach (var a in adds)
            foreach (var n in Graph.PostOrder(a.Value))
                foreach (var child in n.ArgArray)
                    uses[child] = uses.TryGetValue(child, out var u) ? u + 1 : 1;
        var body = new List<Step>();
        foreach (var a in adds)
        {
            if (Vector(a.Value, c, names, uses, body) is not { } value)
            {
                (_hoistedRows, _hoistedValues, _hoistedSteps, _rowGroups, _wholeRows) = (null, null, null, null, false);
                return null;
            }
            var target = Fresh("run");
            body.Add(new DeclareRun(target, HoistedRow(a.Array, a.Indices, c.Name!, counted: true)));
            body.Add(new AddLanes(target, value));
        }
        var countExpr = loopCount.Value;
        var count = IntValue.Of(countExpr);
        var counted = Hoist(count, "", "count");
        // A vector of lanes c … c + Count − 1 is read from a run only while the run is that long: an array whose last
        // axis is shorter than the loop's count (bad input) leaves every element to the scalar loop, whose indexers
        // report it, instead of a vector spilling into the next run.
        var runs = accesses.Where(x => !ReferenceEquals(Expr.Length(x.Array, x.Indices.Count - 1), countExpr))
            .Select(x => (IntValue)new IntLength(x.Array, x.Indices.Count, x.Indices.Count - 1)).Distinct().ToList();
        Condition? fits = runs.Count == 0 ? null : new Flag(HoistFlag(new All(runs.Select(length => (Condition)new Compare(count, "<=", length)).ToSeq()), "lanesFit"));
        var outerCounted = outer is null ? null : Hoist(outer.Upper, "", "count");
        var setup = _hoistedSteps.Concat(_hoistedRows.Select(kv => (Step)new DeclareRow(kv.Value, kv.Key.Item1, kv.Key.Item2))).ToSeq();
        (_hoistedRows, _hoistedValues, _hoistedSteps, _rowGroups, _wholeRows) = (null, null, null, null, false);
        // The runs are found once per loop (the row offsets do not depend on c), when there is a run to read.
        var positive = new Compare(count, ">", IntValue.Const(0));
        Condition guard = outer is null ? positive : new All(Seq.Of<Condition>(new Compare(outer.Upper, ">", IntValue.Const(0)), positive));
        return new VectorLoop(guard, setup, outer?.Index, outerCounted is null ? null : IntValue.Local(outerCounted), loop.Index, IntValue.Local(counted), fits,
            Block.Of(body), loop.Body);
    }

    // An index built from loop indices, lengths and integer constants (no data, no select).
    private static bool IsAffine(Expr e) => Graph.PostOrder(e).All(n => n.Kind is ExprKind.Index or ExprKind.Length or ExprKind.Add or ExprKind.Mul || n.Kind == ExprKind.Const && n.Value.IsInteger);

    // dX[…, e(If(g, a, b)), …] += v as dX[…, e(a), …] += [g] v and dX[…, e(b), …] += [¬g] v, until no index selects.
    private static List<ScatterAdd>? ExpandSelects(ScatterAdd add)
    {
        var work = new List<ScatterAdd> { add };
        for (var round = 0; round < MaxMaskedAdds; round++)
        {
            var next = new List<ScatterAdd>();
            var changed = false;
            foreach (var s in work)
            {
                // An If, or a comparison taken as 0 or 1 (a window of two's argmax).
                var select = s.Indices.SelectMany(i => Graph.PostOrder(i)).FirstOrDefault(n => n.Kind == ExprKind.If || n.IsComparison);
                if (select is null)
                {
                    next.Add(s);
                    continue;
                }
                changed = true;
                var (condition, whenTrue, whenFalse) = select.IsComparison ? (select, Expr.One, Expr.Zero) : (select.ArgArray[0], select.ArgArray[1], select.ArgArray[2]);
                foreach (var (branch, taken) in new[] { (whenTrue, true), (whenFalse, false) })
                {
                    Expr Put(Expr e) => Graph.Rewrite(e, n => ReferenceEquals(n, select) ? branch : n);
                    var value = Put(s.Value);
                    var masked = taken ? Expr.If(condition, value, Expr.Zero) : Expr.If(condition, Expr.Zero, value);
                    next.Add(new ScatterAdd(s.Array, s.Indices.Select(Put).ToArray(), masked));
                }
            }
            if (next.Count > MaxMaskedAdds) return null;
            work = next;
            if (!changed) return work;
        }
        return null;
    }

    private Dictionary<(string Array, Seq<IntValue> Args), string>? _hoistedRows;
    private Dictionary<(string Name, object Value), string>? _hoistedValues;
    private List<Step>? _hoistedSteps;
    private bool _wholeRows;
    private Dictionary<RunGroupKey, (long Min, long Max)>? _rowGroups;

    // A 4-D view's runs at (a, b, e + k) for a few constants k (the columns of a window) are one slice of adjacent runs.
    // A run of a 4-D view at (a, b, rest + k): the adjacent runs of one (a, b, rest) are one slice.
    private readonly record struct RunGroupKey(string Array, Expr A, Expr B, Expr Rest);

    private static (RunGroupKey Key, long Offset) RowKey(string array, IReadOnlyList<Expr> indices)
    {
        var column = indices[2];
        if (column.Kind == ExprKind.Const && column.Value.IsInteger) return (new RunGroupKey(array, indices[0], indices[1], Expr.Zero), column.Value.Numerator);
        if (column.Kind == ExprKind.Add && column.ArgArray.FirstOrDefault(t => t.Kind == ExprKind.Const && t.Value.IsInteger) is { } constant)
            return (new RunGroupKey(array, indices[0], indices[1], Expr.Add(column.ArgArray.Where(t => !ReferenceEquals(t, constant)))), constant.Value.Numerator);
        return (new RunGroupKey(array, indices[0], indices[1], column), 0);
    }

    private void GroupRow(string array, IReadOnlyList<Expr> indices)
    {
        if (indices.Count != 4 || _rowGroups is null) return;
        var (key, k) = RowKey(array, indices);
        _rowGroups[key] = _rowGroups.TryGetValue(key, out var g) ? (System.Math.Min(g.Min, k), System.Math.Max(g.Max, k)) : (k, k);
    }

    // A local holding the run (declared before the vector loop), sliced at c (and, for a run inside a slice of adjacent
    // runs, at its offset).
    private RunSlice HoistedRow(string array, IReadOnlyList<Expr> indices, string c, bool counted = false)
    {
        if (indices.Count == 1 || _hoistedRows is null) return new RunSlice(array, null, c, counted);
        Seq<IntValue> row;
        IntValue? offset = null;
        var (key, k) = indices.Count == 4 ? RowKey(array, indices) : default;
        if (indices.Count == 4 && _wholeRows)
        {
            // The whole row at (a, b); the run at its column.
            row = Seq.Of(Count(indices[0]), Count(indices[1]), IntValue.Const(0), new IntLength(array, 4, 2));
            var column = Replace(indices[2]);
            if (!column.IsZero) offset = IntValue.Of(column) * IntValue.Local(Hoist(new IntLength(array, 4, 3), array, "Stride"));
        }
        else if (indices.Count == 4 && _rowGroups != null && _rowGroups.TryGetValue(key, out var group))
        {
            var start = Count(Expr.Add(key.Rest, Expr.Const(group.Min)));
            row = Seq.Of(Count(key.A), Count(key.B), start, IntValue.Const(group.Max - group.Min + 1));
            var before = k - group.Min;
            if (before > 0)
            {
                var stride = IntValue.Local(Hoist(new IntLength(array, 4, 3), array, "Stride"));
                offset = before == 1 ? stride : IntValue.Const(before) * stride;
            }
        }
        else row = indices.Take(indices.Count - 1).Select(Count).Append(IntValue.Const(1)).ToSeq();
        if (!_hoistedRows.TryGetValue((array, row), out var local)) _hoistedRows[(array, row)] = local = Fresh(CSharpPrinter.Identifier(array).TrimStart('@') + "Row");
        return new RunSlice(local, offset, c, counted);
    }

    // A local for a value read before the vector loop (a view's row stride): the loop's stores through spans could, for
    // all the JIT knows, change a view's fields, so a field read in the loop is read again after every store.
    private string Hoist(IntValue value, string array, string what) =>
        Hoisted(CSharpPrinter.Identifier(array).TrimStart('@') + what, value, local => new DeclareInt(local, value));

    private string HoistFlag(Condition value, string what) => Hoisted(what, value, local => new DeclareFlag(local, value));

    // The local holding this value (declared once, before the vector loop).
    private string Hoisted(string name, object value, System.Func<string, Step> declare)
    {
        if (!_hoistedValues!.TryGetValue((name, value), out var local))
        {
            _hoistedValues[(name, value)] = local = Fresh(name);
            _hoistedSteps!.Add(declare(local));
        }
        return local;
    }

    // Lanes for e over c … c + Count − 1 (locals for shared nodes), or null when e has an operation with no lane-wise form.
    private Lanes? Vector(Expr e, Expr c, Dictionary<Expr, string> names, Dictionary<Expr, int> uses, List<Step> lines)
    {
        if (names.TryGetValue(e, out var known)) return new LanesLocal(known);
        Lanes value;
        switch (e.Kind)
        {
            case ExprKind.Const:
                return new LanesConst(e.Value);
            case ExprKind.Element:
                value = new LanesLoad(HoistedRow(e.Name!, e.ArgArray, c.Name!));
                break;
            case ExprKind.Add:
            case ExprKind.Mul:
            {
                var parts = new List<Lanes>();
                foreach (var a in e.ArgArray)
                {
                    var p = a.IsComparison ? Mask(a, c, names, uses, lines) is { } m ? new LanesSelect(m, new LanesConst(Number.One), new LanesConst(Number.Zero)) : null
                        : Vector(a, c, names, uses, lines);
                    if (p is null) return null;
                    parts.Add(p);
                }
                value = new LanesOp(e.Kind, parts.ToSeq());
                break;
            }
            case ExprKind.Max:
            case ExprKind.Min:
            {
                // Vector.Max and Min follow IEEE 754 maximum/minimum like MathF.Max and Min: NaN wins, +0 above −0.
                var parts = new List<Lanes>();
                foreach (var a in e.ArgArray)
                {
                    if (Vector(a, c, names, uses, lines) is not { } p) return null;
                    parts.Add(p);
                }
                value = new LanesOp(e.Kind, parts.ToSeq());
                break;
            }
            case ExprKind.If:
            {
                if (Mask(e.ArgArray[0], c, names, uses, lines) is not { } m || Vector(e.ArgArray[1], c, names, uses, lines) is not { } a ||
                    Vector(e.ArgArray[2], c, names, uses, lines) is not { } b) return null;
                value = new LanesSelect(m, a, b);
                break;
            }
            default:
                return null;
        }
        if (!uses.TryGetValue(e, out var count) || count < 2) return value;
        var name = Fresh("lanes");
        lines.Add(new DeclareLanes(name, value));
        names[e] = name;
        return new LanesLocal(name);
    }

    // A lane mask for a condition: comparisons and their conjunctions.
    private Mask? Mask(Expr e, Expr c, Dictionary<Expr, string> names, Dictionary<Expr, int> uses, List<Step> lines)
    {
        if (names.TryGetValue(e, out var known)) return new MaskLocal(known);
        Mask value;
        if (e.IsComparison)
        {
            if (Vector(e.ArgArray[0], c, names, uses, lines) is not { } a || Vector(e.ArgArray[1], c, names, uses, lines) is not { } b) return null;
            value = new MaskCompare(e.Kind, a, b);
        }
        else if (Graph.Conjuncts(e) is { Count: > 1 } parts)
        {
            var masks = new List<Mask>();
            foreach (var p in parts)
            {
                if (Mask(p, c, names, uses, lines) is not { } m) return null;
                masks.Add(m);
            }
            value = new MaskAnd(masks.ToSeq());
        }
        else return null;
        if (!uses.TryGetValue(e, out var count) || count < 2) return value;
        var name = Fresh("mask");
        lines.Add(new DeclareMask(name, value));
        names[e] = name;
        return new MaskLocal(name);
    }
}
