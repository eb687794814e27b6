using System.Collections.Generic;
using System.Linq;

namespace SymGrad.Symbolic;

// A scatter's innermost loop over the last axis of float views (a pooling window's channels) runs on Vector<float>:
// every read and write of the body is a run of that axis, so a vector of channels is one load or store. An index that
// selects (an argmax) cannot differ between lanes, so each of its values becomes its own add, masked by the condition
// that picks it: dX[2m + i, 2n + j, c] += [argmax = (i, j)] Δ[m, n, c] for the four (i, j) of a 2×2 window. The
// remaining channels (fewer than a vector) run the scalar loop.
public sealed partial class IndexedCode
{
    private const string VectorType = "global::System.Numerics.Vector<float>";
    private const string VectorOps = "global::System.Numerics.Vector";
    // Masked adds one scatter may become (a 4×4 window's argmax: sixteen).
    private const int MaxMaskedAdds = 16;

    private readonly Dictionary<string, string> _types = new(System.StringComparer.Ordinal);

    // With an enclosing loop (a window's column n), its only task being this one, the runs are sliced from whole rows
    // found once outside it: a slice per row of the image instead of per window.
    private bool TryEmitVectorLoop(Loop loop, HashSet<Expr> scope, string indent, Loop? outer = null)
    {
        if (!_printer.UseFloat || loop.Body.Count == 0 || !loop.Body.All(t => t is ScatterAdd)) return false;
        var c = loop.Index;
        var adds = new List<ScatterAdd>();
        foreach (ScatterAdd s in loop.Body)
        {
            if (ExpandSelects(s) is not { } expanded) return false;
            adds.AddRange(expanded);
        }
        if (adds.Count > MaxMaskedAdds) return false;
        // Every element read or written is a run along c: c exactly its last index, nowhere else, a float view or span.
        bool Run(string array, IReadOnlyList<Expr> indices) =>
            indices.Count > 0 && ReferenceEquals(indices[indices.Count - 1], c) && indices.Take(indices.Count - 1).All(i => !Expr.Mentions(i, c) && IsAffine(i))
            && _types.TryGetValue(array, out var type) && type is { } tt && (tt.Contains("Tensor4<float>") || tt.Contains("Matrix<float>") || tt.Contains("Span<float>"))
            && (indices.Count == 1) == (tt.Contains("Span<float>")) && (indices.Count != 2 || tt.Contains("Matrix<float>")) && (indices.Count != 4 || tt.Contains("Tensor4<float>"));
        // Every element written or read: (array, indices).
        var accesses = adds.Select(a => (Array: a.Array, Indices: (IReadOnlyList<Expr>)a.Indices))
            .Concat(adds.SelectMany(a => Graph.PostOrder(a.Value)).Where(n => n.Kind == ExprKind.Element).Select(n => (Array: n.Name!, Indices: (IReadOnlyList<Expr>)n.ArgArray)))
            .ToList();
        if (!accesses.All(x => Run(x.Array, x.Indices))) return false;
        // With an outer loop, every run is a 4-D view's whose image and row do not move with the outer index (its column does).
        if (outer != null && !accesses.All(x => x.Indices.Count == 4 && !Expr.Mentions(x.Indices[0], outer.Index) && !Expr.Mentions(x.Indices[1], outer.Index))) return false;

        _wholeRows = outer != null;
        _hoistedRows = new Dictionary<string, string>(System.StringComparer.Ordinal);
        _hoistedValues = new Dictionary<(string, string), string>();
        _rowGroups = new Dictionary<RunGroupKey, (long Min, long Max)>();
        foreach (var x in accesses) GroupRow(x.Array, x.Indices);
        var names = new Dictionary<Expr, string>();
        var uses = new Dictionary<Expr, int>();
        foreach (var a in adds)
            foreach (var n in Graph.PostOrder(a.Value))
                foreach (var child in n.ArgArray)
                    uses[child] = uses.TryGetValue(child, out var u) ? u + 1 : 1;
        var ci = CSharpPrinter.Identifier(c.Name!);
        var inner = outer is null ? indent + "    " : indent + "        ";
        var body = new List<string>();
        foreach (var a in adds)
        {
            if (Vector(a.Value, c, names, uses, body, inner + "    ") is not { } value)
            {
                (_hoistedRows, _hoistedValues, _rowGroups, _wholeRows) = (null, null, null, false);
                return false;
            }
            var target = Fresh("run");
            body.Add($"{inner}    var {target} = {HoistedRow(a.Array, a.Indices, ci, VectorType + ".Count")};");
            body.Add($"{inner}    (new {VectorType}({target}) + {value}).CopyTo({target});");
        }
        var count = PrintCount(loop.Count);
        var counted = Hoist(count, "", "count");
        // A vector of lanes c … c + Count − 1 is read from a run only while the run is that long: an array whose last
        // axis is shorter than the loop's count (bad input) leaves every element to the scalar loop, whose indexers
        // report it, instead of a vector spilling into the next run.
        var runs = accesses.Select(x => Dim(x.Array, x.Indices.Count, x.Indices.Count - 1)).Where(length => length != count).Distinct().ToList();
        var fits = runs.Count == 0 ? "" : Hoist(string.Join(" && ", runs.Select(length => $"{count} <= {length}")), "", "lanesFit") + " && ";
        var outerCounted = outer is null ? "" : Hoist(PrintCount(outer.Count), "", "count");
        var rows = _hoistedValues.Select(kv => new KeyValuePair<string, string>(kv.Key.Expression, kv.Value)).Concat(_hoistedRows).ToList();
        (_hoistedRows, _hoistedValues, _rowGroups, _wholeRows) = (null, null, null, false);
        // The runs are found once per loop (the row offsets do not depend on c), when there is a run to read.
        if (outer is null) _lines.Add(indent + $"if ({count} > 0)");
        else _lines.Add(indent + $"if ({PrintCount(outer.Count)} > 0 && {count} > 0)");
        _lines.Add(indent + "{");
        var rowIndent = outer is null ? inner : indent + "    ";
        foreach (var kv in rows) _lines.Add(rowIndent + $"var {kv.Value} = {kv.Key};");
        if (outer != null)
        {
            var n = CSharpPrinter.Identifier(outer.Index.Name!);
            _lines.Add(rowIndent + $"for (var {n} = 0; {n} < {outerCounted}; {n}++)");
            _lines.Add(rowIndent + "{");
            scope = new HashSet<Expr>(scope) { outer.Index };
        }
        _lines.Add(inner + $"var {ci} = 0;");
        _lines.Add(inner + "// Vector<float>.Count elements of the last axis at a time (an argmax's positions as masked adds), then the rest one by one.");
        _lines.Add(inner + $"for (; {VectorOps}.IsHardwareAccelerated && {fits}{ci} <= {counted} - {VectorType}.Count; {ci} += {VectorType}.Count)");
        _lines.Add(inner + "{");
        _lines.AddRange(body);
        _lines.Add(inner + "}");
        _lines.Add(inner + $"for (; {ci} < {counted}; {ci}++)");
        _lines.Add(inner + "{");
        Emit(loop.Body, new HashSet<Expr>(scope) { c }, inner + "    ");
        _lines.Add(inner + "}");
        if (outer != null) _lines.Add(rowIndent + "}");
        _lines.Add(indent + "}");
        return true;
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

    private Dictionary<string, string>? _hoistedRows;
    private Dictionary<(string Name, string Expression), string>? _hoistedValues;
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
    private string HoistedRow(string array, IReadOnlyList<Expr> indices, string c, string? count = null)
    {
        var tail = count is null ? ")" : ", " + count + ")";
        if (indices.Count == 1 || _hoistedRows is null) return Row(array, indices) + ".Slice(" + c + tail;
        string row;
        var offset = "";
        var (key, k) = indices.Count == 4 ? RowKey(array, indices) : default;
        if (indices.Count == 4 && _wholeRows)
        {
            // The whole row at (a, b); the run at its column.
            row = $"{CSharpPrinter.Identifier(array)}.Slice({PrintCount(indices[0])}, {PrintCount(indices[1])}, 0, {Dim(array, 4, 2)})";
            var column = PrintCount(indices[2]);
            if (column != "0") offset = (column.Contains(" + ") || column.Contains(" - ") ? "(" + column + ")" : column) + " * " + Hoist(Dim(array, 4, 3), array, "Stride") + " + ";
        }
        else if (indices.Count == 4 && _rowGroups != null && _rowGroups.TryGetValue(key, out var group))
        {
            var start = PrintCount(Expr.Add(key.Rest, Expr.Const(group.Min)));
            var runs = (group.Max - group.Min + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            row = $"{CSharpPrinter.Identifier(array)}.Slice({PrintCount(key.A)}, {PrintCount(key.B)}, {start}, {runs})";
            var before = k - group.Min;
            if (before > 0) offset = (before == 1 ? "" : before.ToString(System.Globalization.CultureInfo.InvariantCulture) + " * ") + Hoist(Dim(array, 4, 3), array, "Stride") + " + ";
        }
        else row = Row(array, indices);
        if (!_hoistedRows.TryGetValue(row, out var local)) _hoistedRows[row] = local = Fresh(CSharpPrinter.Identifier(array).TrimStart('@') + "Row");
        return local + ".Slice(" + offset + c + tail;
    }

    // A local for a value read before the vector loop (a view's row stride): the loop's stores through spans could, for
    // all the JIT knows, change a view's fields, so a field read in the loop is read again after every store.
    private string Hoist(string expression, string array, string what)
    {
        if (_hoistedValues is null) return expression;
        var name = CSharpPrinter.Identifier(array).TrimStart('@') + what;
        if (!_hoistedValues.TryGetValue((name, expression), out var local)) _hoistedValues[(name, expression)] = local = Fresh(name);
        return local;
    }

    // The run of an array's last axis at the other indices: a row of a view, or the span itself.
    private string Row(string array, IReadOnlyList<Expr> indices)
    {
        var name = CSharpPrinter.Identifier(array);
        var lead = indices.Take(indices.Count - 1).Select(PrintCount).ToList();
        return indices.Count switch
        {
            1 => name,
            2 => $"{name}.Slice({lead[0]}, 1)",
            _ => $"{name}.Slice({string.Join(", ", lead)}, 1)",
        };
    }

    // A vector expression for e over lanes c … c + Count − 1 (locals for shared nodes), or null when e has an operation
    // with no lane-wise form.
    private string? Vector(Expr e, Expr c, Dictionary<Expr, string> names, Dictionary<Expr, int> uses, List<string> lines, string indent)
    {
        if (names.TryGetValue(e, out var known)) return known;
        string? text;
        var ci = CSharpPrinter.Identifier(c.Name!);
        switch (e.Kind)
        {
            case ExprKind.Const:
                return e.IsZero ? VectorType + ".Zero" : e.Value.Equals(Number.One) ? VectorType + ".One" : $"new {VectorType}({_printer.Literal(e.Value)})";
            case ExprKind.Element:
                text = $"new {VectorType}({HoistedRow(e.Name!, e.ArgArray, ci)})";
                break;
            case ExprKind.Add:
            case ExprKind.Mul:
            {
                var parts = new List<string>();
                foreach (var a in e.ArgArray)
                {
                    var p = a.IsComparison ? Mask(a, c, names, uses, lines, indent) is { } m ? $"{VectorOps}.ConditionalSelect({m}, {VectorType}.One, {VectorType}.Zero)" : null
                        : Vector(a, c, names, uses, lines, indent);
                    if (p is null) return null;
                    parts.Add(p);
                }
                text = "(" + string.Join(e.Kind == ExprKind.Add ? " + " : " * ", parts) + ")";
                break;
            }
            case ExprKind.Max:
            case ExprKind.Min:
            {
                var parts = new List<string>();
                foreach (var a in e.ArgArray)
                {
                    if (Vector(a, c, names, uses, lines, indent) is not { } p) return null;
                    parts.Add(p);
                }
                // Vector.Max and Min follow IEEE 754 maximum/minimum like MathF.Max and Min: NaN wins, +0 above −0.
                var f = e.Kind == ExprKind.Max ? "Max" : "Min";
                text = parts.Skip(1).Aggregate(parts[0], (x, y) => $"{VectorOps}.{f}({x}, {y})");
                break;
            }
            case ExprKind.If:
            {
                if (Mask(e.ArgArray[0], c, names, uses, lines, indent) is not { } m || Vector(e.ArgArray[1], c, names, uses, lines, indent) is not { } a ||
                    Vector(e.ArgArray[2], c, names, uses, lines, indent) is not { } b) return null;
                text = $"{VectorOps}.ConditionalSelect({m}, {a}, {b})";
                break;
            }
            default:
                return null;
        }
        if (!uses.TryGetValue(e, out var count) || count < 2) return text;
        var name = Fresh("lanes");
        lines.Add($"{indent}var {name} = {text};");
        names[e] = name;
        return name;
    }

    // A lane mask (Vector<int>, all ones where true) for a condition: comparisons and their conjunctions.
    private string? Mask(Expr e, Expr c, Dictionary<Expr, string> names, Dictionary<Expr, int> uses, List<string> lines, string indent)
    {
        if (names.TryGetValue(e, out var known)) return known;
        string text;
        if (e.IsComparison)
        {
            if (Vector(e.ArgArray[0], c, names, uses, lines, indent) is not { } a || Vector(e.ArgArray[1], c, names, uses, lines, indent) is not { } b) return null;
            text = e.Kind switch
            {
                ExprKind.Greater => $"{VectorOps}.GreaterThan({a}, {b})",
                ExprKind.GreaterEqual => $"{VectorOps}.GreaterThanOrEqual({a}, {b})",
                ExprKind.Less => $"{VectorOps}.LessThan({a}, {b})",
                ExprKind.LessEqual => $"{VectorOps}.LessThanOrEqual({a}, {b})",
                ExprKind.Equal => $"{VectorOps}.Equals({a}, {b})",
                _ => $"~{VectorOps}.Equals({a}, {b})",
            };
        }
        else if (Graph.Conjuncts(e) is { Count: > 1 } parts)
        {
            var masks = new List<string>();
            foreach (var p in parts)
            {
                if (Mask(p, c, names, uses, lines, indent) is not { } m) return null;
                masks.Add(m);
            }
            text = "(" + string.Join(" & ", masks) + ")";
        }
        else return null;
        if (!uses.TryGetValue(e, out var count) || count < 2) return text;
        var name = Fresh("mask");
        lines.Add($"{indent}var {name} = {text};");
        names[e] = name;
        return name;
    }
}
