using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using SymGrad.Symbolic.Plans;

namespace SymGrad.Symbolic;

// Gradients that are contractions of float views (matrices, 4-D tensors) become loop nests around matrix products:
// C[…, r, c] = Σ A[…, r, t] B[…, t, c] over the views' last two axes, each block a contiguous run of rows handed to the
// runtime's blocked FMA kernels, the remaining indices (batch, kernel offsets) as loops whose bounds come from the
// guards. The dense layer's ∂L/∂W = Aᵀ·Δ is one product; the convolution's ∂L/∂W is one small product per (s, m, i, j)
// (a row of output positions against a row of input pixels) and its ∂L/∂X one per (s, u, i, j) after the sum over
// output columns is re-indexed by the kernel column (n = v − j), so no im2col buffer is needed.
public sealed partial class IndexedCode
{
    // Kernel steps under a shape condition (none: always, with no fallback).
    private sealed record Blocked(Condition? Condition, Block Body);

    /// <summary>
    /// The contraction pass: an output's loop nest over its elements whose partial is a contraction of float views
    /// becomes matrix-product kernel calls under shape checks, the loop nest kept as the fallback.
    /// </summary>
    public Block Contractions(Block plan) => Block.Of(plan.Steps.Select(step =>
    {
        if (step is not If { Condition: Wanted wanted, Else: null } c || c.Then.Steps.Count != 1 || c.Then.Steps[0] is not For nest ||
            !_outputs.TryGetValue(wanted.Output, out var output)) return step;
        // The nest's innermost step: one store of the whole partial into the element.
        Step inner = nest;
        while (inner is For f && f.Body.Steps.Count == 1) inner = f.Body.Steps[0];
        if (inner is not Assign { Scatter: false } assign || assign.Target.Name != wanted.Output) return step;
        if (BlockedContraction(output.Variable, wanted.Output, assign.Value, assign.Target.Kind == StoreKind.Add) is not { } blocked) return step;
        return c with
        {
            Then = blocked.Condition is null ? blocked.Body : Block.Of(new Step[] { new If(blocked.Condition, blocked.Body, Block.Of(new Step[] { nest })) }),
        };
    }));

    // A view operand: its array, rank and the linear form of each axis.
    private sealed record Operand(string Name, int Rank, Linear[] Axes);

    /// <summary>
    /// The gradient of an array variable written by matrix-product calls, when its partial is Σ…Σ [guards] A[…]·B[…]
    /// over float views (or Σ…Σ A[…] for a vector: rows added up), with shape checks falling back to the loops.
    /// </summary>
    private Blocked? BlockedContraction(Expr variable, string output, Expr partial, bool accumulate)
    {
        if (!_useFloat) return null;
        foreach (var n in Graph.PostOrder(partial))
            if (n.Kind == ExprKind.Index || n.Kind == ExprKind.Sum) _taken.Add(n.Name!);
        var conjuncts = new List<Expr>();
        var reductions = new List<(Expr Index, Expr Count)>();
        var body = partial;
        while (true)
        {
            if (body.Kind == ExprKind.If && body.ArgArray[2].IsZero && Graph.Conjuncts(body.ArgArray[0]) is { } cs)
            {
                conjuncts.AddRange(cs);
                body = body.ArgArray[1];
            }
            else if (body.Kind == ExprKind.Sum)
            {
                reductions.Add((body.SumIndex, body.ArgArray[0]));
                body = body.ArgArray[1];
            }
            else break;
        }
        var factors = body.Kind == ExprKind.Mul ? body.ArgArray : new[] { body };
        var operands = new List<Operand>();
        foreach (var f in factors)
        {
            if (f.Kind != ExprKind.Element || !_arrays.TryGetValue(f.Name!, out var info) || !info.IsFloatView) return null;
            var axes = f.ArgArray.Select(Linear.Parse).ToArray();
            if (axes.Any(a => a is null)) return null;
            operands.Add(new Operand(f.Name!, f.ArgArray.Length, axes!));
        }
        var rank = variable.ArgArray.Length;
        if (!(rank == 1 && operands.Count == 1 || rank >= 2 && operands.Count == 2 && _arrays[output].IsFloatView)) return null;

        // Every index's range and every guard as a linear form that must be ≥ 0.
        var constraints = new List<Linear>();
        for (var d = 0; d < rank; d++)
        {
            constraints.Add(Linear.Of(variable.ArgArray[d]));
            constraints.Add(Linear.Of(Expr.Length(variable.Name!, d)).Plus(Linear.Of(variable.ArgArray[d]), -1).Shift(-1));
        }
        foreach (var (index, count) in reductions)
        {
            if (Linear.Parse(count) is not { } n) return null;
            constraints.Add(Linear.Of(index));
            constraints.Add(n.Plus(Linear.Of(index), -1).Shift(-1));
        }
        foreach (var c in conjuncts)
        {
            if (Linear.Parse(c.ArgArray[0]) is not { } l || Linear.Parse(c.ArgArray[1]) is not { } r) return null;
            switch (c.Kind)
            {
                case ExprKind.Less: constraints.Add(r.Plus(l, -1).Shift(-1)); break;
                case ExprKind.LessEqual: constraints.Add(r.Plus(l, -1)); break;
                case ExprKind.Greater: constraints.Add(l.Plus(r, -1).Shift(-1)); break;
                case ExprKind.GreaterEqual: constraints.Add(l.Plus(r, -1)); break;
                default: return null;
            }
        }
        var order = variable.ArgArray.Concat(reductions.Select(r => r.Index)).ToList();
        var outAxes = variable.ArgArray.Select(Linear.Of).ToArray();
        var target = new Operand(output, rank, outAxes);

        if (operands.Count == 1) return Finish(RowSum(variable, target, operands[0], constraints, order));
        if (ProductPlan(variable, target, operands, constraints, order, reductions) is { } plan) return Finish(plan);
        if (TransposedConvolution(variable, output, operands, constraints, reductions) is { } scatter) return Finish(scatter);
        // ∂L/∂X of a convolution reads Δ[…, n, ·] and W[…, v − n, …]: with n = v − j the output row v and Δ's row run together.
        var row = variable.ArgArray[rank - 2];
        foreach (var (n, _) in reductions)
        {
            if (!operands.Any(o => o.Axes.Any(a => a.Coefficient(row) == 1 && a.Coefficient(n) == -1))) continue;
            var j = Expr.Index(FreshIndex(n.Name!));
            var by = Linear.Of(row).Plus(Linear.Of(j), -1);
            var renamed = operands.Select(o => o with { Axes = o.Axes.Select(a => a.Substitute(n, by)).ToArray() }).ToList();
            var reindexed = constraints.Select(c => c.Substitute(n, by)).ToList();
            var newOrder = order.Select(v => ReferenceEquals(v, n) ? j : v).ToList();
            if (ProductPlan(variable, target, renamed, reindexed, newOrder, reductions) is { } p) return Finish(p);
        }
        return null;

        // The products accumulate; writing (not adding) starts from zero.
        Blocked? Finish(Blocked? b) => b is null || accumulate ? b : b with { Body = Block.Of(b.Body.Steps.Prepend(new Clear(output, _arrays[output].Storage))) };
    }

    private string FreshIndex(string near)
    {
        var name = near + "Offset";
        var k = 0;
        while (!_taken.Add(name)) name = near + "Offset" + (++k).ToString(CultureInfo.InvariantCulture);
        return name;
    }

    // C[…, row, col] (+)= Σ A·B with the shared index t on the last two axes of both operands.
    private Blocked? ProductPlan(Expr variable, Operand target, List<Operand> operands, List<Linear> constraints, List<Expr> order, List<(Expr Index, Expr Count)> reductions)
    {
        var rank = variable.ArgArray.Length;
        Expr row = variable.ArgArray[rank - 2], col = variable.ArgArray[rank - 1];
        foreach (var (a, b) in new[] { (operands[0], operands[1]), (operands[1], operands[0]) })
            foreach (var (t, _) in reductions)
            {
                if (!order.Contains(t)) continue;
                var inner = new[] { row, col, t };
                bool Exactly(Linear l, Expr v) => l.IsExactly(v);
                bool RunsAlong(Linear l, Expr v) => l.Coefficient(v) == 1 && inner.All(u => ReferenceEquals(u, v) || l.Coefficient(u) == 0);
                bool LeadingFree(Operand o) => o.Axes.Take(o.Rank - 2).All(x => inner.All(u => x.Coefficient(u) == 0));
                if (a.Rank < 2 || b.Rank < 2 || !LeadingFree(a) || !LeadingFree(b) || !LeadingFree(target)) continue;
                Linear aLast = a.Axes[a.Rank - 1], aRow = a.Axes[a.Rank - 2], bLast = b.Axes[b.Rank - 1], bRow = b.Axes[b.Rank - 2];
                bool aTransposed, bTransposed;
                if (Exactly(aLast, t) && RunsAlong(aRow, row)) aTransposed = false;
                else if (Exactly(aLast, row) && RunsAlong(aRow, t)) aTransposed = true;
                else continue;
                if (Exactly(bLast, col) && RunsAlong(bRow, t)) bTransposed = false;
                else if (Exactly(bLast, t) && RunsAlong(bRow, col)) bTransposed = true;
                else continue;
                if (aTransposed && bTransposed) continue;

                var checks = new List<Condition>();
                var cols = Len(variable.Name!, rank, rank - 1);
                // The column index covers the output's last axis: B's last axis when B runs along it.
                if (!Covered(col, cols, checks, constraints, variable, rank - 1)) continue;
                if (!bTransposed) checks.Add(Equal(Len(b.Name, b.Rank, b.Rank - 1), cols));
                // The shared index: its count, equal to the last axis of each operand it runs along.
                var tBounds = constraints.Where(c => c.Coefficient(t) != 0).ToList();
                if (tBounds.Any(c => c.Terms.Keys.Any(k => k.Kind == ExprKind.Index && !ReferenceEquals(k, t)))) continue;
                var tUpper = tBounds.Where(c => c.Coefficient(t) == -1).Select(c => c.Plus(Linear.Of(t), 1).Shift(1)).ToList();
                if (tBounds.Count(c => c.Coefficient(t) == 1 && c.IsExactly(t)) != 1 || tUpper.Count + 1 != tBounds.Count || tUpper.Count == 0) continue;
                var lastAlongT = !aTransposed ? a : bTransposed ? b : null;
                IntValue shared;
                if (lastAlongT != null)
                {
                    shared = Len(lastAlongT.Name, lastAlongT.Rank, lastAlongT.Rank - 1);
                    if (!aTransposed && bTransposed) checks.Add(Equal(Len(b.Name, b.Rank, b.Rank - 1), shared));
                    checks.AddRange(tUpper.Select(u => Equal(new IntLinear(u), shared)));
                }
                else shared = tUpper.Select(u => (IntValue)new IntLinear(u)).Aggregate(IntValue.Min);
                // The row index: the whole axis when A runs along it (Aᵀ), else a range from its guards per block.
                IntValue rowStart, rowCount;
                var rowBounds = constraints.Where(c => c.Coefficient(row) != 0).ToList();
                if (rowBounds.Any(c => c.Coefficient(t) != 0 || c.Coefficient(col) != 0)) continue;
                var outer = order.Where(v => !inner.Contains(v)).ToList();
                var rows = Len(variable.Name!, rank, rank - 2);
                if (aTransposed)
                {
                    if (!Covered(row, rows, checks, constraints, variable, rank - 2)) continue;
                    checks.Add(Equal(Len(a.Name, a.Rank, a.Rank - 1), rows));
                    (rowStart, rowCount) = (IntValue.Const(0), rows);
                }
                else
                {
                    if (Bounds(row, rowBounds) is not var (lo, hi)) continue;
                    (rowStart, rowCount) = (lo, hi);
                }
                // An index that picks the image of a batch (axis 0) is one call over the whole batch: in A and C alone
                // (∂L/∂X: B, the kernel block, is shared and transposed once) or in A and B alone (∂L/∂W: the products
                // of every image add into the same C). The calls are a batch-size fewer.
                Expr? batch = null;
                (IntValue Lower, IntValue Upper) batchRange = default;
                var (carrier, other) = aTransposed ? (b, target) : (target, b);
                if (a.Rank == 4 && carrier.Rank == 4 && !(aTransposed && bTransposed))
                    foreach (var v in outer)
                    {
                        if (!a.Axes[0].IsExactly(v) || !carrier.Axes[0].IsExactly(v) || other.Axes.Any(x => x.Coefficient(v) != 0) ||
                            a.Axes.Skip(1).Concat(carrier.Axes.Skip(1)).Any(x => x.Coefficient(v) != 0)) continue;
                        var own = constraints.Where(c => c.Coefficient(v) != 0).ToList();
                        if (own.Any(c => c.Terms.Keys.Any(k => k.Kind == ExprKind.Index && !ReferenceEquals(k, v))) || Bounds(v, own) is not { } range) continue;
                        (batch, batchRange) = (v, range);
                        break;
                    }
                // ∂L/∂W of a convolution reads A[…, t + q, row] with q the output's axis before the row (a kernel column): for
                // every q at once A is a window sliding one row (A's last axis) per t over Q·rows values, as im2col would copy
                // it, and C the Q·rows rows from q = 0. The calls are Q times fewer and Q times larger.
                // An outer index that is exactly the output's axis `targetAxis`, moves A's axis `aAxis` by one and appears
                // nowhere else, covering the output's axis (its checks added).
                Expr? Sliding(int targetAxis, int aAxis, params Expr?[] taken)
                {
                    foreach (var v in outer)
                    {
                        if (taken.Any(x => ReferenceEquals(x, v)) || !target.Axes[targetAxis].IsExactly(v) || a.Axes[aAxis].Coefficient(v) != 1) continue;
                        if (target.Axes.Where((_, d) => d != targetAxis).Any(x => x.Coefficient(v) != 0) || a.Axes.Where((_, d) => d != aAxis).Any(x => x.Coefficient(v) != 0) ||
                            b.Axes.Any(x => x.Coefficient(v) != 0)) continue;
                        var own = new List<Condition>();
                        if (!Covered(v, Len(variable.Name!, rank, targetAxis), own, constraints, variable, targetAxis)) continue;
                        checks.AddRange(own);
                        return v;
                    }
                    return null;
                }
                var window = aTransposed && rank == 4 && a.Rank == 4 ? Sliding(rank - 3, a.Rank - 2, batch) : null;
                // And when the output's first axis p (a kernel row) moves A one image row (A's axis before the window's), every
                // kernel row is a group of the same product, one image row apart: one call for all of them, so Δ's rows are
                // read once per output row instead of once per kernel row, and few rows of C (one input channel) stay in
                // registers across the batch.
                var group = window != null && batch != null ? Sliding(0, 1, batch, window) : null;
                // The block spans image rows: a window wider than a row would run into the next one unchecked.
                if (group != null) checks.Add(new Compare(shared + Len(variable.Name!, rank, rank - 3) - IntValue.Const(1), "<=", Len(a.Name, a.Rank, 2)));
                // Every other constraint bounds its innermost outer index. Products that add into a block of C (Aᵀ·B) loop
                // over the summed indices outside the output's: the rows of B they read (Δ's, shared by every kernel row)
                // stay in cache across the blocks of C, which are small.
                var loopOrder = outer.Where(v => !ReferenceEquals(v, batch) && !ReferenceEquals(v, window) && !ReferenceEquals(v, group)).ToList();
                if (aTransposed) loopOrder = loopOrder.OrderBy(v => variable.ArgArray.Contains(v) ? 1 : 0).ToList();
                var loops = Nest(loopOrder,
                    constraints.Where(c => inner.All(u => c.Coefficient(u) == 0) && (batch is null || c.Coefficient(batch) == 0) && (window is null || c.Coefficient(window) == 0) && (group is null || c.Coefficient(group) == 0)).ToList(), checks);
                if (loops is null) continue;

                var lines = new List<Step>();
                IntValue? batches = null;
                var (left, right, output) = (a, b, target);
                if (batch != null)
                {
                    var (first, end) = (Fresh("batchFirst"), Fresh("batchEnd"));
                    lines.Add(new DeclareInt(first, batchRange.Lower!));
                    lines.Add(new DeclareInt(end, batchRange.Upper!));
                    var at = Linear.Of(Expr.Index(first));
                    Operand Batched(Operand o) => o with { Axes = o.Axes.Select(x => x.Substitute(batch, at)).ToArray() };
                    (left, right, output) = (Batched(a), Batched(b), Batched(target));
                    batches = IntValue.Local(end) - IntValue.Local(first);
                }
                var one = IntValue.Const(1);
                var innermost = new List<Step>();
                if (group != null)
                {
                    var windows = Len(variable.Name!, rank, rank - 3);
                    var groups = Len(variable.Name!, rank, 0);
                    var imageRow = Len(a.Name, a.Rank, 2);
                    var atZero = left with { Axes = left.Axes.Select(x => x.Substitute(window!, Linear.Number(0)).Substitute(group, Linear.Number(0)).Substitute(t, Linear.Number(0))).ToArray() };
                    var (rowOf, column) = (atZero.Axes[1], atZero.Axes[2]);
                    var first = rowOf.IsZero ? new IntLinear(column) : column.IsZero ? new IntLinear(rowOf) * imageRow : new IntLinear(rowOf) * imageRow + new IntLinear(column);
                    var lastA = Len(a.Name, a.Rank, a.Rank - 1);
                    innermost.Add(new Call(new KernelCall(Kernel.MultiplyTransposedAGrouped,
                        new ViewArg(a.Name, "SliceRows", Seq.Of(new IntLinear(atZero.Axes[0]), first, (groups - one) * imageRow + shared + windows - one, batches!)),
                        new IntArg(lastA), new IntArg(groups), new IntArg(imageRow * lastA), Rows(right, t, IntValue.Const(0), shared, batches),
                        new ViewArg(output.Name, null, Seq<IntValue>.Empty), new IntArg(windows * rows), new IntArg(shared), new IntArg(cols), new AccumulateArg(true))));
                }
                else if (window != null)
                {
                    var windows = Len(variable.Name!, rank, rank - 3);
                    var atZero = left with { Axes = left.Axes.Select(x => x.Substitute(window, Linear.Number(0))).ToArray() };
                    innermost.Add(new Call(new KernelCall(Kernel.MultiplyTransposedAStrided,
                        Rows(atZero, t, IntValue.Const(0), shared + windows - one, batches), new IntArg(Len(a.Name, a.Rank, a.Rank - 1)), Rows(right, t, IntValue.Const(0), shared, batches),
                        new ViewArg(output.Name, "Slice", Seq.Of<IntValue>(new IntLinear(output.Axes[0]), IntValue.Const(0), windows * rows)),
                        new IntArg(windows * rows), new IntArg(shared), new IntArg(cols), new AccumulateArg(true))));
                }
                else if (aTransposed)
                    innermost.Add(new Call(new KernelCall(Kernel.MultiplyTransposedA,
                        Rows(left, t, IntValue.Const(0), shared, batches), Rows(right, t, IntValue.Const(0), shared, batches), Rows(output, row, IntValue.Const(0), rows),
                        new IntArg(rows), new IntArg(shared), new IntArg(cols), new AccumulateArg(true))));
                else
                {
                    var (start, end) = (Fresh("first"), Fresh("end"));
                    var count = IntValue.Local(end) - IntValue.Local(start);
                    innermost.Add(new DeclareInt(start, rowStart));
                    innermost.Add(new DeclareInt(end, rowCount));
                    var call = new KernelCall(bTransposed ? Kernel.MultiplyTransposedB : Kernel.Multiply,
                        Rows(left, row, IntValue.Local(start), count, batches), Rows(right, bTransposed ? col : t, IntValue.Const(0), bTransposed ? cols : shared),
                        Rows(output, row, IntValue.Local(start), count, batches), new IntArg(count), new IntArg(shared), new IntArg(cols), new AccumulateArg(true));
                    innermost.Add(new If(new Compare(IntValue.Local(start), "<", IntValue.Local(end)), Block.Of(new Step[] { new Call(call) }), OneLine: true));
                }
                lines.AddRange(LoopNest(loops, innermost));
                return new Blocked(Conjunction(checks), Block.Of(lines));
            }
        return null;
    }

    // V[s, m + i, n + j, l] (+)= Σ_t D[s, m, n, t] K[i, j, l, t] — a convolution's ∂L/∂X, a transposed convolution — as
    // im2col's adjoint: per image one product G = D_s · K_flatᵀ (every output position against the whole kernel, in a
    // per-thread workspace), then each row of G added back where its (i, j, l) block belongs, a run of K₁·K₂ values per
    // (m, i, n). One wide product per image instead of many narrow ones per kernel offset.
    private Blocked? TransposedConvolution(Expr variable, string output, List<Operand> operands, List<Linear> constraints, List<(Expr Index, Expr Count)> reductions)
    {
        if (variable.ArgArray.Length != 4 || operands.Count != 2 || operands.Any(o => o.Rank != 4)) return null;
        var o = variable.ArgArray;
        foreach (var (d, k) in new[] { (operands[0], operands[1]), (operands[1], operands[0]) })
        {
            // D[s, m, n, t]: the batch index, two reductions and the shared one; K[s₁ − m, s₂ − n, l, t].
            if (!d.Axes[0].IsExactly(o[0]) || !k.Axes[2].IsExactly(o[3])) continue;
            var red = reductions.Select(r => r.Index).ToList();
            Expr? m = red.FirstOrDefault(r => d.Axes[1].IsExactly(r)), n = red.FirstOrDefault(r => d.Axes[2].IsExactly(r)), t = red.FirstOrDefault(r => d.Axes[3].IsExactly(r));
            if (m is null || n is null || t is null || ReferenceEquals(m, n) || !k.Axes[3].IsExactly(t) || red.Count != 3) continue;
            bool Offset(Linear l, Expr output, Expr reduction) => l.Constant == 0 && l.Terms.Count == 2 && l.Coefficient(output) == 1 && l.Coefficient(reduction) == -1;
            if (!Offset(k.Axes[0], o[1], m) || !Offset(k.Axes[1], o[2], n)) continue;

            var (vName, dName, kName) = (variable.Name!, d.Name, k.Name);
            IntValue V(int axis) => Len(vName, 4, axis);
            IntValue D(int axis) => Len(dName, 4, axis);
            IntValue K(int axis) => Len(kName, 4, axis);
            // The runs of (j, l) are contiguous in V's rows when l spans V's last axis and K's third.
            var checks = new List<Condition> { Equal(V(3), K(2)), Equal(D(3), K(3)) };
            var batch = new List<Linear>();
            var mBounds = new List<Linear>();
            foreach (var c in constraints)
            {
                var indices = c.Terms.Keys.Where(x => x.Kind == ExprKind.Index).ToList();
                bool Only(params Expr[] xs) => indices.All(x => xs.Any(y => ReferenceEquals(x, y)));
                Linear Upper(Expr x) => c.Plus(Linear.Of(x), 1).Shift(1);
                // c is x ≥ 0 or x < the length of one of the named axes.
                bool Range(Expr x, params (string Array, int Axis)[] axes) => Only(x) && (c.IsExactly(x) || c.Coefficient(x) == -1 && axes.Any(a => Upper(x).IsExactly(Expr.Length(a.Array, a.Axis))));
                if (indices.Count == 0) checks.Add(new Compare(new IntLinear(c), ">=", IntValue.Const(0)));
                else if (Only(o[0])) batch.Add(c);
                else if (Only(m)) mBounds.Add(c);
                // n and t run over D's axes, l over V's and K's; the kernel offsets s₁ − m, s₂ − n over K's; the output rows
                // and columns over V's, which the scatter stays inside by the checks below.
                else if (Range(n, (dName, 2)) || Range(o[3], (vName, 3), (kName, 2)) || Range(o[1], (vName, 1)) || Range(o[2], (vName, 2)) || Only(t) && c.IsExactly(t)) { }
                else if (Only(t) && c.Coefficient(t) == -1) checks.Add(Equal(new IntLinear(Upper(t)), D(3)));
                else if (Only(o[1], m) && (c.Equals(k.Axes[0]) || c.Equals(Linear.Of(Expr.Length(kName, 0)).Plus(k.Axes[0], -1).Shift(-1)))) { }
                else if (Only(o[2], n) && (c.Equals(k.Axes[1]) || c.Equals(Linear.Of(Expr.Length(kName, 1)).Plus(k.Axes[1], -1).Shift(-1)))) { }
                else return null;
            }
            if (Bounds(o[0], batch) is not var (sLo, sHi) || Bounds(m, mBounds) is not var (mLo, mHi)) continue;
            var one = IntValue.Const(1);
            checks.Add(new Compare(mHi + K(0) - one, "<=", V(1)));
            checks.Add(new Compare(D(2) + K(1) - one, "<=", V(2)));
            // The runtime's kernel: per chunk of images one product, each row added back; the images on the cores.
            var call = new KernelCall(Kernel.TransposedConvolution,
                new ViewArg(dName, null, Seq<IntValue>.Empty), new IntArg(D(1)), new IntArg(D(2)), new IntArg(D(3)),
                new ViewArg(kName, null, Seq<IntValue>.Empty), new IntArg(K(0)), new IntArg(K(1)),
                new ViewArg(output, null, Seq<IntValue>.Empty), new IntArg(V(1)), new IntArg(V(2)), new IntArg(V(3)),
                new IntArg(sLo), new IntArg(sHi), new IntArg(mLo), new IntArg(mHi));
            var lines = new List<Step> { new Call(call) };
            return new Blocked(Conjunction(checks), Block.Of(lines));
        }
        return null;
    }

    // g[c] (+)= Σ A[…, t, c]: consecutive rows added into the gradient vector.
    private Blocked? RowSum(Expr variable, Operand target, Operand a, List<Linear> constraints, List<Expr> order)
    {
        var col = variable.ArgArray[0];
        if (a.Rank < 2 || !a.Axes[a.Rank - 1].IsExactly(col) || a.Axes.Take(a.Rank - 1).Any(x => x.Coefficient(col) != 0)) return null;
        var cols = Len(variable.Name!, 1, 0);
        var checks = new List<Condition> { Equal(Len(a.Name, a.Rank, a.Rank - 1), cols) };
        if (!Covered(col, cols, checks, constraints, variable, 0)) return null;
        var rowAxis = a.Axes[a.Rank - 2];
        foreach (var t in order.Where(v => rowAxis.Coefficient(v) == 1 && !ReferenceEquals(v, col)))
        {
            var inner = new[] { col, t };
            if (a.Axes.Take(a.Rank - 2).Any(x => x.Coefficient(t) != 0)) continue;
            var tBounds = constraints.Where(c => c.Coefficient(t) != 0).ToList();
            if (tBounds.Any(c => c.Coefficient(col) != 0) || Bounds(t, tBounds) is not var (lo, hi)) continue;
            var loops = Nest(order.Where(v => !inner.Contains(v)).ToList(), constraints.Where(c => inner.All(u => c.Coefficient(u) == 0)).ToList(), checks);
            if (loops is null) continue;
            var (start, end) = (Fresh("first"), Fresh("end"));
            var call = new KernelCall(Kernel.AddRows, Rows(a, t, IntValue.Local(start), IntValue.Local(end) - IntValue.Local(start)), new SpanArg(target.Name));
            var innermost = new List<Step>
            {
                new DeclareInt(start, lo),
                new DeclareInt(end, hi),
                new If(new Compare(IntValue.Local(start), "<", IntValue.Local(end)), Block.Of(new Step[] { new Call(call) }), OneLine: true),
            };
            return new Blocked(Conjunction(checks), Block.Of(LoopNest(loops, innermost)));
        }
        return null;
    }

    private static IntValue Len(string array, int rank, int axis) => new IntLength(array, rank, axis);

    private static Condition Equal(IntValue a, IntValue b) => new Compare(a, "==", b);

    // The checks, each once, as one condition (none: always).
    private static Condition? Conjunction(List<Condition> checks) => checks.Count == 0 ? null : new All(checks.Distinct().ToSeq());

    // for loops over the outer indices around the innermost steps.
    private static List<Step> LoopNest(List<(Expr Index, IntValue Lower, IntValue Upper)> loops, List<Step> innermost)
    {
        var steps = innermost;
        for (var k = loops.Count - 1; k >= 0; k--)
            steps = new List<Step> { new For(loops[k].Index.Name!, loops[k].Lower, loops[k].Upper, Block.Of(steps)) };
        return steps;
    }

    // An output index that must range over its whole axis: only its own range and upper guards free of other indices
    // (each becomes a check that the axis fits under it).
    private static bool Covered(Expr index, IntValue length, List<Condition> checks, List<Linear> constraints, Expr variable, int axis)
    {
        foreach (var c in constraints.Where(c => c.Coefficient(index) != 0))
        {
            if (c.Terms.Keys.Any(k => k.Kind == ExprKind.Index && !ReferenceEquals(k, index))) return false;
            if (c.IsExactly(index)) continue;
            if (c.Coefficient(index) != -1) return false;
            var upper = c.Plus(Linear.Of(index), 1).Shift(1);
            if (upper.IsExactly(Expr.Length(variable.Name!, axis))) continue;
            checks.Add(new Compare(length, "<=", new IntLinear(upper)));
        }
        return true;
    }

    // The loop nest over the outer indices in order, each bounded by the constraints whose innermost index it is.
    private static List<(Expr Index, IntValue Lower, IntValue Upper)>? Nest(List<Expr> outer, List<Linear> constraints, List<Condition> checks)
    {
        var loops = new List<(Expr, IntValue, IntValue)>();
        var used = new HashSet<Linear>();
        for (var depth = 0; depth < outer.Count; depth++)
        {
            var v = outer[depth];
            var mine = constraints.Where(c => c.Coefficient(v) != 0 && outer.Skip(depth + 1).All(w => c.Coefficient(w) == 0)).ToList();
            if (Bounds(v, mine) is not var (lo, hi)) return null;
            used.UnionWith(mine);
            loops.Add((v, lo, hi));
        }
        foreach (var c in constraints.Where(c => !used.Contains(c)))
        {
            if (c.Terms.Keys.Any(k => k.Kind == ExprKind.Index)) return null;
            checks.Add(new Compare(new IntLinear(c), ">=", IntValue.Const(0)));
        }
        return loops;
    }

    // The lower and exclusive upper bound of an index from constraints ±index + rest ≥ 0 (null without both).
    private static (IntValue Lower, IntValue Upper)? Bounds(Expr index, List<Linear> constraints)
    {
        var lower = new List<IntValue>();
        var upper = new List<IntValue>();
        foreach (var c in constraints)
        {
            var a = c.Coefficient(index);
            var rest = c.Plus(Linear.Of(index), -a);
            if (a == 1) lower.Add(new IntLinear(rest.Scale(-1)));
            else if (a == -1) upper.Add(new IntLinear(rest.Shift(1)));
            else return null;
        }
        if (lower.Count == 0 || upper.Count == 0) return null;
        return (lower.Distinct().Aggregate(IntValue.Max), upper.Distinct().Aggregate(IntValue.Min));
    }

    // The contiguous rows of an operand along `along` (its second-to-last axis) from `start`, `count` of them.
    // With `batches`, the same rows for that many consecutive values of axis 0 (a RowBlocks).
    private static ViewArg Rows(Operand o, Expr along, IntValue start, IntValue count, IntValue? batches = null)
    {
        var axis = o.Axes[o.Rank - 2];
        var first = axis.Coefficient(along) == 0 ? new IntLinear(axis) : Join(axis.Plus(Linear.Of(along), -1), start);
        var args = o.Axes.Take(o.Rank - 2).Select(x => (IntValue)new IntLinear(x)).Append(first).Append(count);
        if (batches != null) args = args.Append(batches);
        return new ViewArg(o.Name, "Slice", args.ToSeq());

        static IntValue Join(Linear rest, IntValue start) =>
            rest.IsZero ? start : start is IntConst { Value: 0 } ? new IntLinear(rest) : rest.LeadsNegative ? start - new IntLinear(rest.Scale(-1)) : new IntLinear(rest) + start;
    }
}
