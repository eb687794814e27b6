using System;
using System.Collections.Generic;
using System.Linq;
using SymGrad.Symbolic.Plans;

namespace SymGrad.Symbolic;

public sealed partial class IndexedCode
{
    // Locals a loop updates, by name, and the index of that loop: what they read varies with it (see Free).
    private Dictionary<string, Expr> _varying = new(StringComparer.Ordinal);

    /// <summary>
    /// The gradient of a method whose value is <paramref name="result"/> after the loop <paramref name="recurrence"/>
    /// (a carried state): backpropagation through time. The forward loop runs the steps, keeping the states the reverse
    /// sweep reads (the trajectory s_0 … s_T, one buffer per state, T + 1 values); the value is computed; then the
    /// adjoints δ_T = ∂result/∂s_T and, for t = T − 1 down to 0, δ_t = δ_{t+1} · ∂s_{t+1}/∂s_t, each step adding
    /// δ_{t+1} · ∂s_{t+1}/∂θ into the gradient of every variable θ; last, δ_0 · ∂s_0/∂θ. A step's derivatives are those of
    /// Φ_t = Σ_j δ_{t+1,j} · Next_j(s_t): one symbolic gradient, with Next_j read back from the trajectory where the
    /// derivative holds it (tanh′ = 1 − s_{t+1}², σ′ = s_{t+1}(1 − s_{t+1}), as a hand-written BPTT does).
    /// With <paramref name="segment"/>, the name of an int parameter, the trajectory is kept only every <c>segment</c>
    /// steps (a checkpoint; 0 or less takes ⌈√T⌉) and each segment is run again before its reverse sweep: memory
    /// O(T/segment + segment) instead of O(T), for one more forward pass.
    /// The signature and outputs are <see cref="Plan"/>'s: the parameters, then d&lt;v&gt; per variable.
    /// </summary>
    public static MethodPlan RecurrentPlan(Recurrence recurrence, Expr result, IReadOnlyList<Expr> variables, string methodName, bool useFloat,
        string accessibility, IReadOnlyList<ArrayParameter> parameters, string? summary, bool accumulate = false, string? segment = null)
    {
        var real = useFloat ? NumericType.Float : NumericType.Double;
        // In the simplifier's forms, as the derivatives hold them (1/(1 + e^−z) is σ(z)): the sweep finds the step's values
        // in its derivatives only as the same nodes.
        (recurrence, result) = recurrence.Simplified(result);
        var t = recurrence.Index;
        var states = recurrence.StateVariables;
        var roots = recurrence.Roots.Append(result).ToList();
        var indexNames = Graph.PostOrder(roots).Where(n => n.Kind == ExprKind.Index).Select(n => n.Name!);
        var extraParameters = segment is null ? parameters : parameters.Append(new ArrayParameter(segment, -1, "int")).ToList();
        var arrays = recurrence.Arrays;
        var (code, outputs, signature) = Begin(variables, roots, extraParameters, useFloat, accumulate, recurrence.States.Concat(arrays.Select(a => a.Name)).Concat(indexNames).Append(recurrence.Index.Name!));
        if (segment != null) signature.RemoveAt(parameters.Count);
        if (segment != null) signature.Add("int " + CSharpPrinter.Identifier(segment) + " = 0");
        string Unique(string name)
        {
            while (!code._taken.Add(name)) name += "_";
            return name;
        }
        // Every buffer rented from the shared pool (above 256 elements) and given back before the method returns: a
        // trajectory is O(T), and allocating it per call is what separated a generated BPTT from one that keeps its tape.
        var pooled = new List<Plans.Buffer>();
        Plans.Buffer Pooled(string name, NumericType element, IntValue count)
        {
            var buffer = new Plans.Buffer(name, element, count, Unique(name + "Rented"));
            pooled.Add(buffer);
            return buffer;
        }

        // The reverse sweep's step: the derivatives of Φ_t = Σ_j δ_j · Next_j with respect to the states (the adjoints
        // before the step) and the variables (added to their gradients), the states and their next values read from
        // where the sweep keeps them.
        var adjoints = recurrence.States.Select(s => Unique("delta_" + s)).ToList();
        // A state array's adjoint is a buffer δ_a[k] (and the next one, δ′_a), its elements the variables a[k] at a free k.
        var arrayAdjoints = arrays.Select(a => Unique("delta_" + a.Name)).ToList();
        var arrayAdjointsBefore = arrays.Select(a => Unique("delta_" + a.Name + "Before")).ToList();
        var taken = new HashSet<string>(code._taken, StringComparer.Ordinal);
        var arrayElements = arrays.Select(a => Expr.FreeElement(a.Name, 1, taken)).ToList();
        foreach (var e in arrayElements) code._taken.Add(e.ArgArray[0].Name!);
        Expr Weighted(IReadOnlyList<Expr> scalars, Func<ArrayState, Expr> element) => recurrence.Weighted(adjoints, arrayAdjoints, scalars, element);
        var stateCount = states.Count + arrays.Count;
        // Reads of a state array a[e] in the rows of its trajectory: row r holds the state after r steps.
        var arrayTrajectories = arrays.Select(a => Unique(a.Name + "Trajectory")).ToList();
        var arrayNames = new HashSet<string>(arrays.Select(a => a.Name), StringComparer.Ordinal);
        // A state array's new element e (its step at index e, wherever a formula computes it) read from the row after `row`,
        // for the first `upTo` arrays.
        Expr NewRows(Expr e, Expr row, int upTo)
        {
            for (var k = 0; k < upTo; k++)
            {
                var (a, trajectory) = (arrays[k], arrayTrajectories[k]);
                e = Instances(e, a.Next, a.Index, at => Expr.Element(trajectory, Expr.Add(Expr.Mul(Expr.Add(row, Expr.One), a.Length), at)));
            }
            return e;
        }
        // For state arrays, two stages as a hand-written BPTT has them: with N_a[e] standing for the step's new elements,
        // the adjoint of each new element, ∂Φ/∂N_a[k], times its activation's derivative from the stored value when the step
        // is F(u) (tanh: 1 − N², σ: N(1 − N)) gives ū_a[k], a buffer; then the gradient of Φ_U = Σ_j δ_j·Next_j (the new
        // elements as data) + Σ_i ū_a[i]·u_a(i): the adjoint of h is Wᵀū, dW is ū hᵀ, one product per element. (One
        // stage when a state array's step reads another's new elements.)
        var newRows = arrays.Select(a => Unique(a.Name + "New")).ToList();
        var activations = arrays.Select(a => Unique("delta_" + a.Name + "Activation")).ToList();
        var activationValues = new List<Expr>();
        Expr phi;
        var twoStages = arrays.Count > 0 && arrays.All(a => arrays.Where(b => !ReferenceEquals(a, b)).All(b => ReferenceEquals(Instances(a.Next, b.Next, b.Index, _ => Expr.Var("probe")), a.Next)));
        if (twoStages)
        {
            Expr Placeholders(Expr e)
            {
                for (var k = 0; k < arrays.Count; k++) e = Instances(e, arrays[k].Next, arrays[k].Index, at => Expr.Element(newRows[k], at));
                return e;
            }
            var scalarSteps = recurrence.Next.Select(Placeholders).ToList();
            var newElements = arrays.Select((a, k) => Expr.Element(newRows[k], arrayElements[k].ArgArray[0])).ToList();
            var phiNew = Weighted(scalarSteps, a => Expr.Element(newRows[arrays.ToList().IndexOf(a)], a.Index));
            var adjointOfNew = Differentiator.Gradient(phiNew, newElements);
            var inner = new List<Expr>();
            for (var k = 0; k < arrays.Count; k++)
            {
                var (stepped0, y) = (arrays[k].Next, newElements[k]);
                var (argument, slope) = stepped0.Kind switch
                {
                    ExprKind.Tanh => (stepped0.ArgArray[0], Expr.Sub(Expr.One, Expr.Mul(y, y))),
                    ExprKind.Sigmoid => (stepped0.ArgArray[0], Expr.Mul(y, Expr.Sub(Expr.One, y))),
                    _ => (stepped0, Expr.One),
                };
                activationValues.Add(Unroll(ImpliedGuards(Expr.Mul(adjointOfNew.Partials[k], slope))));
                inner.Add(Expr.Sum(arrays[k].Index, arrays[k].Length, Expr.Mul(Expr.Element(activations[k], arrays[k].Index), argument)));
            }
            phi = Expr.Add(adjoints.Select((a, j) => Expr.Mul(Expr.Var(a), scalarSteps[j])).Concat(inner).ToList());
        }
        else phi = Weighted(recurrence.Next, a => a.Next);
        var step = Differentiator.Gradient(phi, states.Concat(arrayElements).Concat(variables).ToList());
        var sweepValues = step.Partials.Select(p => Unroll(ImpliedGuards(p))).ToList();
        var sweepAll = sweepValues.Concat(activationValues).ToList();
        Expr ReadArrays(Expr e, Expr row) => arrays.Count == 0 ? e : Graph.Rewrite(e, n =>
        {
            if (n.Kind != ExprKind.Element || !arrayNames.Contains(n.Name!)) return n;
            var k = arrays.Select(a => a.Name).ToList().IndexOf(n.Name!);
            return Expr.Element(arrayTrajectories[k], Expr.Add(Expr.Mul(row, arrays[k].Length), n.ArgArray[0]));
        });

        // Which states the sweep reads (so which trajectories are kept): their value before a step, or the step's value.
        var trajectories = recurrence.States.Select(s => Unique(s + "Trajectory")).ToList();
        var stepped = new Dictionary<Expr, int>();
        for (var j = 0; j < states.Count; j++)
            if (!recurrence.Next[j].IsConst && !stepped.ContainsKey(recurrence.Next[j])) stepped[recurrence.Next[j]] = j;
        var used = Graph.PostOrder(sweepAll);
        var kept = Enumerable.Range(0, states.Count).Where(j => used.Contains(states[j]) || used.Contains(recurrence.Next[j]) && stepped[recurrence.Next[j]] == j).ToList();

        // What else the sweep would compute again that the forward step computes anyway (a gate's exp, a tanh, a sum over
        // the step's inputs): kept per step as a hand-written BPTT keeps its gates, when the sweep reads it. Only values of
        // one step (no index of an inner sum free in them) that vary with it.
        var varying = new HashSet<Expr>(states) { t };
        var candidates = Graph.PostOrder(recurrence.Next).Where(n => (n.IsReduction || CostModel.OpCost(n) >= 4) && n.Kind != ExprKind.Pow &&
            !stepped.ContainsKey(n) && code.Free(n).All(i => ReferenceEquals(i, t)) &&
            Graph.PostOrder(n).Any(x => varying.Contains(x) || x.Kind == ExprKind.Element && arrayNames.Contains(x.Name!))).ToList();
        // The candidates the sweep reads, outermost first (a kept sum's terms are not kept too), not looking inside what it
        // reads back from the trajectories.
        var candidateSet = new HashSet<Expr>(candidates);
        var readBack = new HashSet<Expr>(kept.Select(j => states[j]).Concat(kept.Where(j => stepped.TryGetValue(recurrence.Next[j], out var o) && o == j).Select(j => recurrence.Next[j])));
        var visited = new HashSet<Expr>();
        var reached = new HashSet<Expr>();
        var pending = new Stack<Expr>(sweepAll);
        while (pending.Count > 0)
        {
            var e = pending.Pop();
            if (!visited.Add(e) || readBack.Contains(e)) continue;
            if (candidateSet.Contains(e)) { reached.Add(e); continue; }
            foreach (var a in e.ArgArray) pending.Push(a);
        }
        var saved = candidates.Where(reached.Contains).ToList();
        var tapes = saved.Select((_, k) => Unique("saved" + k.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();

        var steps = new List<Step>(code._steps);
        code._steps = new List<Step>();
        var forward = new List<Step>();
        if (!accumulate)
            for (var i = 0; i < variables.Count; i++)
                forward.Add(variables[i].Kind == ExprKind.Var
                    ? new Assign(new Store(StoreKind.Set, outputs[i], Seq<IntValue>.Empty, real), Expr.Zero)
                    : new If(code.Wanted(outputs[i]), Block.Of(new Step[] { new Clear(outputs[i], code._arrays[outputs[i]].Storage) }), OneLine: true));

        var count = Unique("steps");
        var countValue = IntValue.Local(count);
        steps.Add(new DeclareInt(count, IntValue.Max(IntValue.Of(recurrence.Count), IntValue.Const(0))));
        var index = t.Name!;

        Expr offset = Expr.Zero;
        // Rows of a state array's trajectory (and elements of its checkpoints) at a position: row·length + index.
        IntValue RowElement(int k, Expr row) => IntValue.Of(Expr.Add(Expr.Mul(row, arrays[k].Length), arrays[k].Index));
        Step ArrayLoop(int k, Store target, Expr value) => new For(arrays[k].Index.Name!, IntValue.Const(0), IntValue.Of(arrays[k].Length), Block.Of(new Step[] { new Assign(target, value) }));
        // One step forward, from the states in their locals to the next ones (all computed before any is replaced).
        var next = recurrence.States.Select(s => Unique(s + "Next")).ToList();
        Block Advance(Func<int, Store?> keep, Expr? tapeAt)
        {
            var body = new List<Step>();
            var row = Expr.Sub(t, offset);
            // Each state array's next row first, from the row before (which stays: the sweep reads both); then the scalar
            // states, which read the new rows where they use the step's new elements (a read-out of h after h = next).
            for (var k = 0; k < arrays.Count; k++)
                body.Add(new For(arrays[k].Index.Name!, IntValue.Const(0), IntValue.Of(arrays[k].Length), Block.Of(new Step[]
                {
                    new Assign(new Store(StoreKind.Set, arrayTrajectories[k], Seq.Of(IntValue.Of(Expr.Add(Expr.Mul(Expr.Add(row, Expr.One), arrays[k].Length), arrays[k].Index))), real),
                        Unroll(ReadArrays(NewRows(arrays[k].Next, row, k), row))),
                })));
            // (After the rows are written: a sum over a new row is computed there, not hoisted above the loops that write it.)
            var scalars = new List<Step>();
            for (var j = 0; j < states.Count; j++) scalars.Add(new Assign(new Store(StoreKind.Declare, next[j], Seq<IntValue>.Empty, real), Unroll(ReadArrays(NewRows(recurrence.Next[j], row, arrays.Count), row))));
            foreach (var j in kept)
                if (keep(j) is { } store) scalars.Add(new Assign(store, Expr.Var(next[j])));
            if (tapeAt != null)
                for (var k = 0; k < saved.Count; k++) scalars.Add(new Assign(new Store(StoreKind.Set, tapes[k], Seq.Of(IntValue.Of(tapeAt)), real), Unroll(ReadArrays(NewRows(saved[k], row, arrays.Count), row))));
            for (var j = 0; j < states.Count; j++) scalars.Add(new Copy(CSharpPrinter.Identifier(recurrence.States[j]), next[j]));
            if (arrays.Count == 0) body.AddRange(scalars);
            else body.Add(new Sequence(Block.Of(scalars)));
            return Block.Of(body);
        }
        for (var j = 0; j < states.Count; j++)
            forward.Add(new Assign(new Store(StoreKind.Declare, recurrence.States[j], Seq<IntValue>.Empty, real), Unroll(recurrence.Initial[j])));
        var arrayCheckpoints = arrays.Select(a => Unique(a.Name + "Checkpoints")).ToList();

        // Where the sweep reads s_t and s_{t+1}: the whole trajectory, or a segment's (run again from its checkpoint, at t − start).
        string? segmentIndex = null;
        IntValue? segmentsValue = null, start = null, end = null;
        var rerun = new List<Step>();
        if (segment is null)
        {
            foreach (var j in kept)
            {
                forward.Add(Pooled(trajectories[j], real, countValue + IntValue.Const(1)));
                forward.Add(new Assign(new Store(StoreKind.Set, trajectories[j], Seq.Of(IntValue.Of(Expr.Zero)), real), states[j]));
            }
            foreach (var tape in tapes) forward.Add(Pooled(tape, real, countValue));
            for (var k = 0; k < arrays.Count; k++)
            {
                forward.Add(Pooled(arrayTrajectories[k], real, (countValue + IntValue.Const(1)) * IntValue.Of(arrays[k].Length)));
                forward.Add(ArrayLoop(k, new Store(StoreKind.Set, arrayTrajectories[k], Seq.Of(RowElement(k, Expr.Zero)), real), Unroll(arrays[k].Initial)));
            }
            forward.Add(new For(index, IntValue.Const(0), countValue,
                Advance(j => new Store(StoreKind.Set, trajectories[j], Seq.Of(IntValue.Of(Expr.Add(t, Expr.One))), real), t)));
        }
        else
        {
            // Segments of S steps (S = segment, or ⌈√T⌉ when it is not positive); checkpoint c holds the states at step c·S.
            var segmentLength = Unique("segmentLength");
            var segments = Unique("segments");
            segmentIndex = Unique("segment");
            var segmentStart = Unique("segmentStart");
            var checkpoints = recurrence.States.Select(x => Unique(x + "Checkpoints")).ToList();
            var given = IntValue.Local(CSharpPrinter.Identifier(segment));
            var length = IntValue.Local(segmentLength);
            // (Never longer than the loop: a segment of int.MaxValue steps would be a buffer of that many.)
            forward.Insert(0, new DeclareInt(segmentLength, new IntChoose(new Compare(given, ">", IntValue.Const(0)), IntValue.Min(given, IntValue.Max(IntValue.Const(1), countValue)),
                IntValue.Max(IntValue.Const(1), new IntSqrtCeiling(countValue)))));
            forward.Insert(1, new DeclareInt(segments, (countValue + length - IntValue.Const(1)) / length));
            segmentsValue = IntValue.Local(segments);
            code._data.Add(Expr.Index(segmentStart));
            // Every state is checkpointed (one the sweep does not read may still be what a kept one is computed from).
            var all = Enumerable.Range(0, states.Count).ToList();
            foreach (var j in all) forward.Add(Pooled(checkpoints[j], real, segmentsValue));
            start = IntValue.Local(segmentIndex) * length;
            end = IntValue.Min(countValue, start + length);
            // The forward pass writes the segment's trajectory and kept values as the rerun does (into the same buffers, each
            // segment over the last): the same program, so the rerun computes the states again bit for bit.
            foreach (var j in kept) forward.Add(Pooled(trajectories[j], real, length + IntValue.Const(1)));
            foreach (var tape in tapes) forward.Add(Pooled(tape, real, length));
            // A state array lives in row 0 of its segment trajectory at each segment's start (the initial value, then the last
            // row of the segment before, copied back), checkpointed from there.
            for (var k = 0; k < arrays.Count; k++)
            {
                forward.Add(Pooled(arrayTrajectories[k], real, (length + IntValue.Const(1)) * IntValue.Of(arrays[k].Length)));
                forward.Add(Pooled(arrayCheckpoints[k], real, segmentsValue * IntValue.Of(arrays[k].Length)));
                forward.Add(ArrayLoop(k, new Store(StoreKind.Set, arrayTrajectories[k], Seq.Of(RowElement(k, Expr.Zero)), real), Unroll(arrays[k].Initial)));
            }
            offset = Expr.Index(segmentStart);
            var segmentRow = Expr.Index(segmentIndex);
            var lastRow = Unique("lastRow");
            code._data.Add(Expr.Index(lastRow));
            Block Segment(bool restore) => Block.Of(
                new Step[] { new DeclareInt(segmentStart, start) }
                .Concat(all.Select(j => (Step)(restore
                    ? new Assign(new Store(StoreKind.Set, recurrence.States[j], Seq<IntValue>.Empty, real), Expr.Element(checkpoints[j], Expr.Index(segmentIndex!)))
                    : new Assign(new Store(StoreKind.Set, checkpoints[j], Seq.Of(IntValue.Of(Expr.Index(segmentIndex!))), real), states[j]))))
                .Concat(kept.Select(j => (Step)new Assign(new Store(StoreKind.Set, trajectories[j], Seq.Of(IntValue.Of(Expr.Zero)), real), states[j])))
                .Concat(Enumerable.Range(0, arrays.Count).Select(k => restore
                    ? ArrayLoop(k, new Store(StoreKind.Set, arrayTrajectories[k], Seq.Of(RowElement(k, Expr.Zero)), real), Expr.Element(arrayCheckpoints[k], Expr.Add(Expr.Mul(segmentRow, arrays[k].Length), arrays[k].Index)))
                    : ArrayLoop(k, new Store(StoreKind.Set, arrayCheckpoints[k], Seq.Of(RowElement(k, segmentRow)), real), Expr.Element(arrayTrajectories[k], arrays[k].Index))))
                .Append(new For(index, start, end,
                    Advance(j => new Store(StoreKind.Set, trajectories[j], Seq.Of(IntValue.Of(Expr.Sub(Expr.Add(t, Expr.One), offset))), real), Expr.Sub(t, offset))))
                .Concat(restore || arrays.Count == 0 ? Enumerable.Empty<Step>() : new Step[] { new DeclareInt(lastRow, end - start) }.Concat(Enumerable.Range(0, arrays.Count).Select(k =>
                    ArrayLoop(k, new Store(StoreKind.Set, arrayTrajectories[k], Seq.Of(RowElement(k, Expr.Zero)), real),
                        Expr.Element(arrayTrajectories[k], Expr.Add(Expr.Mul(Expr.Index(lastRow), arrays[k].Length), arrays[k].Index)))))));
            forward.Add(new For(segmentIndex, IntValue.Const(0), segmentsValue, Segment(restore: false)));
            // The sweep, segment by segment from the last: the states from its checkpoint, the segment run again, then the
            // reverse steps over it.
            rerun.AddRange(Segment(restore: true).Steps);
        }

        // The sweep's step: the new adjoints, then each variable's share, then the adjoints replaced.
        var map = new Dictionary<Expr, Expr>();
        foreach (var j in kept)
        {
            if (stepped.TryGetValue(recurrence.Next[j], out var owner) && owner == j) map[recurrence.Next[j]] = Expr.Element(trajectories[j], Expr.Sub(Expr.Add(t, Expr.One), offset));
            map[states[j]] = Expr.Element(trajectories[j], Expr.Sub(t, offset));
        }
        for (var k = 0; k < saved.Count; k++) map[saved[k]] = Expr.Element(tapes[k], Expr.Sub(t, offset));
        for (var k = 0; k < arrays.Count; k++)
            map[Expr.Element(newRows[k], arrayElements[k].ArgArray[0])] = Expr.Element(arrayTrajectories[k], Expr.Add(Expr.Mul(Expr.Add(Expr.Sub(t, offset), Expr.One), arrays[k].Length), arrayElements[k].ArgArray[0]));
        var memo = new Dictionary<Expr, Expr>();
        Expr Swept(Expr v)
        {
            // The new elements' placeholders at any position: the row after t.
            var rows = Graph.Rewrite(v, n => n.Kind == ExprKind.Element && newRows.IndexOf(n.Name!) is var k && k >= 0
                ? Expr.Element(arrayTrajectories[k], Expr.Add(Expr.Mul(Expr.Add(Expr.Sub(t, offset), Expr.One), arrays[k].Length), n.ArgArray[0])) : n);
            return ReadArrays(NewRows(Graph.ReplaceTopDown(rows, map, memo), Expr.Sub(t, offset), arrays.Count), Expr.Sub(t, offset));
        }
        var swept = sweepValues.Select(Swept).ToList();
        var activationsSwept = activationValues.Select(Swept).ToList();
        var newAdjoints = recurrence.States.Select(x => Unique("delta_" + x + "Before")).ToList();
        var stepBody = new List<Step>();
        for (var k = 0; k < activationsSwept.Count; k++) stepBody.Add(AdjointLoop(k, activations[k], activationsSwept[k]));
        for (var j = 0; j < states.Count; j++) stepBody.Add(new Assign(new Store(StoreKind.Declare, newAdjoints[j], Seq<IntValue>.Empty, real), swept[j]));
        // A state array's adjoint element by element (into the second buffer: every element reads the whole adjoint before it).
        Step AdjointLoop(int k, string target, Expr value)
        {
            var i = arrayElements[k].ArgArray[0];
            return new For(i.Name!, IntValue.Const(0), IntValue.Of(arrays[k].Length), Block.Of(new Step[] { new Assign(new Store(StoreKind.Set, target, Seq.Of(IntValue.Of(i)), real), value) }));
        }
        for (var k = 0; k < arrays.Count; k++) stepBody.Add(AdjointLoop(k, arrayAdjointsBefore[k], swept[states.Count + k]));
        stepBody.AddRange(code.Contributions(variables, outputs, swept.Skip(stateCount).ToList()));
        for (var j = 0; j < states.Count; j++) stepBody.Add(new Copy(adjoints[j], newAdjoints[j]));
        for (var k = 0; k < arrays.Count; k++) stepBody.Add(AdjointLoop(k, arrayAdjoints[k], Expr.Element(arrayAdjointsBefore[k], arrayElements[k].ArgArray[0])));
        // (What reads the activations' adjoints is placed after the loops that write them, not hoisted above.)
        if (activationsSwept.Count > 0)
            stepBody = stepBody.Take(activationsSwept.Count).Append(new Sequence(Block.Of(stepBody.Skip(activationsSwept.Count)))).ToList();
        var reverse = new For(index, start ?? IntValue.Const(0), end ?? countValue, Block.Of(stepBody), Descending: true);

        // The value and the adjoints of the final states; the variables' share of the value.
        var value = accumulate ? null : Unique("value");
        var atEnd = Differentiator.Gradient(result, states.Concat(arrayElements).Concat(variables).ToList());
        // The final states: the locals, and each state array's last row (T; row 0 of the last segment when checkpointed).
        var finalRow = segment is null ? Expr.Index(count) : Expr.Zero;
        code._data.Add(Expr.Index(count));
        Expr AtEnd(Expr e) => Unroll(ImpliedGuards(ReadArrays(e, finalRow)));
        var finish = new List<Step>();
        if (value != null) finish.Add(new Assign(new Store(StoreKind.Declare, value, Seq<IntValue>.Empty, real), AtEnd(result)));
        for (var j = 0; j < states.Count; j++)
            finish.Add(new Assign(new Store(StoreKind.Declare, adjoints[j], Seq<IntValue>.Empty, real), AtEnd(atEnd.Partials[j])));
        for (var k = 0; k < arrays.Count; k++)
        {
            finish.Add(Pooled(arrayAdjoints[k], real, IntValue.Of(arrays[k].Length)));
            finish.Add(Pooled(arrayAdjointsBefore[k], real, IntValue.Of(arrays[k].Length)));
            if (twoStages) finish.Add(Pooled(activations[k], real, IntValue.Of(arrays[k].Length)));
            finish.Add(AdjointLoop(k, arrayAdjoints[k], AtEnd(atEnd.Partials[states.Count + k])));
        }
        finish.AddRange(code.Contributions(variables, outputs, atEnd.Partials.Skip(stateCount).Select(AtEnd).ToList()));

        // After the sweep the adjoints are δ_0: the initial values' share, the gradient of Ψ = Σ_j δ_0j · Initial_j.
        var psi = Weighted(recurrence.Initial, a => a.Initial);
        var last = code.Contributions(variables, outputs, Differentiator.Gradient(psi, variables.ToList()).Partials.Select(p => Unroll(ImpliedGuards(p))).ToList());

        // Placed phase by phase, each after what the phases before it wrote: a sum a phase computes once (free of t and of
        // the locals its loops update) is computed where that phase starts.
        var none = new Dictionary<string, Expr>(StringComparer.Ordinal);
        var statesVary = recurrence.States.ToDictionary(x => x, _ => t, StringComparer.Ordinal);
        var bothVary = recurrence.States.Concat(adjoints).Concat(arrayAdjoints).Concat(arrayAdjointsBefore).Concat(activations).ToDictionary(x => x, _ => t, StringComparer.Ordinal);
        steps.AddRange(code.PlacedWith(forward.Where(x => x is not For), none));
        steps.AddRange(code.PlacedWith(forward.Where(x => x is For), statesVary));
        steps.AddRange(code.PlacedWith(finish, none));
        if (segment is null) steps.AddRange(code.PlacedWith(new Step[] { reverse }, bothVary));
        else
        {
            steps.AddRange(code.PlacedWith(new Step[] { new For(segmentIndex!, IntValue.Const(0), segmentsValue!, Block.Of(rerun.Append(reverse)), Descending: true) }, bothVary));
        }
        steps.AddRange(code.PlacedWith(last, none));
        steps.AddRange(pooled.Select(b => new Release(b.Pool!, b.Element)));
        if (value != null) steps.AddRange(code.PlacedWith(new Step[] { new Assign(Store.Return(real), Expr.Var(value)) }, none));
        return new MethodPlan(accessibility, accumulate ? "void" : useFloat ? "float" : "double", methodName, signature.ToSeq(), summary, Block.Of(steps), code._arrays.Values.ToSeq());
    }

    /// <summary>
    /// Replaces, top-down, each instance of <paramref name="pattern"/> at some value of its free <paramref name="index"/>
    /// (the pattern with the index replaced by e, node for node) by <paramref name="replacement"/>(e).
    /// </summary>
    private static Expr Instances(Expr root, Expr pattern, Expr index, Func<Expr, Expr> replacement)
    {
        var memo = new Dictionary<Expr, Expr>();
        Expr Walk(Expr n)
        {
            if (memo.TryGetValue(n, out var done)) return done;
            Expr? bound = null;
            var result = Match(pattern, n, ref bound) && bound != null ? replacement(bound)
                : n.ArgArray.Length == 0 ? n
                : n.ArgArray.Select(Walk).ToArray() is var args && args.Where((a, i) => !ReferenceEquals(a, n.ArgArray[i])).Any() ? n.WithArgs(args) : n;
            memo[n] = result;
            return result;
        }
        bool Match(Expr p, Expr n, ref Expr? bound)
        {
            if (ReferenceEquals(p, index))
            {
                if (bound is null) bound = n;
                return ReferenceEquals(bound, n);
            }
            if (!Expr.Mentions(p, index)) return ReferenceEquals(p, n);
            if (p.Kind != n.Kind || p.Name != n.Name || p.ArgArray.Length != n.ArgArray.Length || p.Kind == ExprKind.Const) return false;
            for (var i = 0; i < p.ArgArray.Length; i++)
                if (!Match(p.ArgArray[i], n.ArgArray[i], ref bound)) return false;
            return true;
        }
        return Walk(root);
    }

    // for k₀ … for kₙ: out[k₀, …, kₙ] += partial, each loop over the range its guards allow (adding 0 elsewhere is nothing):
    // dW[l, m] += l < n ? (m < n ? ū_l h_m : 0) : 0 runs l and m below n, with no test per element.
    private List<Step> AddingLoop(Expr variable, string output, Expr partial, int axis)
    {
        var index = variable.ArgArray[axis];
        var (lower, upper, body) = Tighten(index, partial);
        var steps = new List<Step>();
        // Bounds the guards tightened are computed once, before the loop.
        IntValue Once(IntValue bound, string prefix)
        {
            var name = Fresh(prefix);
            steps.Add(new DeclareInt(name, bound));
            return IntValue.Local(name);
        }
        var start = lower.Count == 0 ? IntValue.Const(0) : Once(lower.Aggregate(IntValue.Const(0), (a, b) => IntValue.Max(a, IntegerBound(b))), "from");
        var end = upper.Aggregate(IntValue.Of(Expr.Length(variable.Name!, axis)), (a, b) => IntValue.Min(a, IntegerBound(b)));
        if (upper.Count > 0) end = Once(end, "to");
        var inner = axis == variable.ArgArray.Length - 1
            ? new List<Step> { new Assign(new Store(StoreKind.Add, output, variable.ArgArray.Select(IntValue.Of).ToSeq(), _real), body) }
            : AddingLoop(variable, output, body, axis + 1);
        steps.Add(new For(index.Name!, start, end, Block.Of(inner)));
        return steps;
    }

    // A phase placed with these locals varying with a loop's index (see Free).
    private IReadOnlyList<Step> PlacedWith(IEnumerable<Step> phase, IReadOnlyDictionary<string, Expr> varying)
    {
        _varying = new Dictionary<string, Expr>(varying.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
        _free.Clear();
        var placed = Place(Block.Of(phase));
        _varying = new Dictionary<string, Expr>(StringComparer.Ordinal);
        _free.Clear();
        return placed.Steps;
    }

    // Each variable's share of a gradient: added to its output (a scalar), or to each element of its array when the
    // caller wants that gradient.
    private List<Step> Contributions(IReadOnlyList<Expr> variables, IReadOnlyList<string> outputs, IReadOnlyList<Expr> partials)
    {
        var steps = new List<Step>();
        for (var i = 0; i < variables.Count; i++)
        {
            if (partials[i].IsZero) continue;
            var v = variables[i];
            if (v.Kind == ExprKind.Var) steps.Add(new Assign(new Store(StoreKind.Add, outputs[i], Seq<IntValue>.Empty, _real), partials[i]));
            else steps.Add(new If(Wanted(outputs[i]), Block.Of(AddingLoop(v, outputs[i], partials[i], 0))));
        }
        return steps;
    }
}
