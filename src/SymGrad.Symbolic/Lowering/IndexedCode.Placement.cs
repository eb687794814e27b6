using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using SymGrad.Symbolic.Plans;

namespace SymGrad.Symbolic;

public sealed partial class IndexedCode
{
    /// <summary>
    /// The placement pass, last: every Σ becomes a loop accumulating into a local (max and argmax a running max), in
    /// the outermost block where all its indices are bound; a conditional with sums in its branches an if statement;
    /// runs of <see cref="Assign"/> steps CSE'd straight-line code (<see cref="Straight"/>), a scatter's selecting
    /// index an int local. Steps with nothing to place (kernel calls, declarations) stay as they are.
    /// </summary>
    public Block Place(Block lowered)
    {
        // The argument checks come first, before anything is computed; then the buffers, each filled by its loop before
        // anything reads it.
        var steps = lowered.Steps.ToList();
        var next = steps.TakeWhile(s => s is Throw).Count();
        _steps = new List<Step>(steps.Take(next));
        for (; next + 1 < steps.Count && steps[next] is Plans.Buffer && steps[next + 1] is For fill; next += 2)
        {
            _steps.Add(steps[next]);
            Emit(new Step[] { fill }, new HashSet<Expr>());
        }
        Emit(steps.Skip(next).ToList(), new HashSet<Expr>());
        var placed = Block.Of(_steps);
        _steps = new List<Step>();
        return placed;
    }

    private void Emit(IReadOnlyList<Step> tasks, HashSet<Expr> scope)
    {
        // Sums whose indices are all bound here, innermost first, each computed once as an accumulator loop; its
        // local is in scope until this block ends.
        var computedHere = new List<Expr>();
        var roots = Roots(tasks).ToList();
        // Only sums every evaluation needs: one inside a branch of a conditional is computed in that branch (its
        // guard may be what keeps its indices in range).
        var here = Unconditional(roots).Where(n => n.IsReduction && !_computed.ContainsKey(n) && Free(n).IsSubsetOf(scope)).ToList();
        foreach (var sum in here)
        {
            if (_computed.ContainsKey(sum)) continue;
            // Sums over the same range with plain bodies (the squared error's Σ x_i r_i, Σ r_i and Σ r_i² for ∂/∂w, ∂/∂b
            // and the value) run as one loop, their bodies CSE'd together: the residual r_i once, not once per sum.
            if (!_lazy.ContainsKey(sum) && Fusable(sum, scope))
            {
                var group = here.Where(o => !_computed.ContainsKey(o) && !_lazy.ContainsKey(o) && o.Kind == ExprKind.Sum && o.Name == sum.Name &&
                                            ReferenceEquals(o.ArgArray[0], sum.ArgArray[0]) && Fusable(o, scope)).ToList();
                if (group.Count > 1)
                {
                    var names = EmitFusedSums(group, scope);
                    for (var g = 0; g < group.Count; g++)
                    {
                        _computed[group[g]] = Expr.Var(names[g]);
                        computedHere.Add(group[g]);
                    }
                    continue;
                }
            }
            if (_lazy.TryGetValue(sum, out var slot))
            {
                // Computed the first time it is needed, into the local declared where its indices are bound.
                var once = Nested(() =>
                {
                    var value = EmitReduction(sum, scope);
                    _steps.Add(new Copy(slot.Value, value));
                    _steps.Add(new SetFlag(slot.Flag, true));
                });
                _steps.Add(new If(new Not(new Flag(slot.Flag)), once));
                _used.Add(slot.Flag);
                _computed[sum] = Expr.Var(slot.Value);
            }
            else _computed[sum] = Expr.Var(EmitReduction(sum, scope));
            computedHere.Add(sum);
        }
        // A sum (max, argmax) whose indices are bound here but that only a branch inside a loop needs (the argmax of a
        // running max that started above −∞: [k = argmax] where max > 0) would be computed again in every iteration of
        // that loop: it gets a local and a flag here and is computed once, the first time a branch needs it.
        var lazyHere = new List<Expr>();
        foreach (var sum in Graph.PostOrder(InLoops(tasks, false)).Where(n => n.IsReduction && !_computed.ContainsKey(n) && !_lazy.ContainsKey(n) && Free(n).IsSubsetOf(scope)))
        {
            // A placeholder: declared below only if some branch does need it.
            var (value, flag) = (Fresh("lazy"), Fresh("have"));
            _steps.Add(new PendingSlot(value, flag, sum.Kind == ExprKind.ArgMax ? NumericType.Int : _real));
            _lazy[sum] = (value, flag);
            lazyHere.Add(sum);
        }

        // Straight-line assignments, CSE'd together; loops in order. A conditional with sums in its branches becomes an
        // if statement computing a temporary first.
        var pending = new List<Assign>();
        foreach (var task in tasks)
        {
            if (task is Assign a)
            {
                // An index that selects (an argmax) becomes a local, common subexpressions shared with the value.
                var at = new List<IntValue>();
                foreach (var position in a.Target.Indices)
                {
                    var index = ((IntOf)position).Value;
                    if (!Graph.PostOrder(index).Any(x => x.Kind is ExprKind.If or ExprKind.Element || x.IsComparison || x.IsReduction))
                    {
                        at.Add(Count(index));
                        continue;
                    }
                    var name = Fresh("at");
                    pending.Add(new Assign(new Store(StoreKind.Declare, name, Seq<IntValue>.Empty, NumericType.Int), Lift(index, scope, computedHere)));
                    at.Add(IntValue.Local(name));
                }
                pending.Add(new Assign(a.Target with { Indices = at.ToSeq() }, Lift(a.Value, scope, computedHere)));
                continue;
            }
            Flush(pending);
            switch (task)
            {
                case If { Condition: Test guard } c:
                    // A guarded body's sums are placed inside the guard (it may be what keeps their reads in range).
                    _steps.Add(new If(new Test(Replace(guard.Value)), Nested(() => Emit(c.Then.Steps, scope)), c.Else is null ? null : Nested(() => Emit(c.Else.Steps, scope)), c.OneLine));
                    break;
                case If c:
                    _steps.Add(c with { Then = Nested(() => Emit(c.Then.Steps, scope)), Else = c.Else is null ? null : Nested(() => Emit(c.Else.Steps, scope)) });
                    break;
                case Sequence sequence:
                    _steps.Add(sequence with { Body = Nested(() => Emit(sequence.Body.Steps, scope)) });
                    break;
                case For loop when Invariants(loop, scope) is { } hoisted:
                {
                    // What every iteration computes alike, computed once before the loop (when it runs at all).
                    var once = Nested(() =>
                    {
                        Emit(hoisted.Before, scope);
                        var inner = Nested(() => Emit(hoisted.Loop.Body.Steps, new HashSet<Expr>(scope) { Expr.Index(loop.Index) }));
                        _steps.Add(hoisted.Loop with { Body = inner });
                    });
                    _steps.Add(new If(new Compare(loop.Lower, "<", loop.Upper), once));
                    break;
                }
                case For loop:
                {
                    var body = Nested(() => Emit(loop.Body.Steps, new HashSet<Expr>(scope) { Expr.Index(loop.Index) }));
                    _steps.Add(loop with { Body = body });
                    break;
                }
                case VectorLoop vector:
                {
                    var inner = new HashSet<Expr>(scope) { Expr.Index(vector.Index) };
                    if (vector.OuterIndex != null) inner.Add(Expr.Index(vector.OuterIndex));
                    _steps.Add(vector with { Remainder = Nested(() => Emit(vector.Remainder.Steps, inner)) });
                    break;
                }
                default:
                    _steps.Add(task);
                    break;
            }
        }
        Flush(pending);
        foreach (var sum in computedHere) _computed.Remove(sum);
        foreach (var sum in lazyHere) _lazy.Remove(sum);
        if (lazyHere.Count > 0)
            _steps = _steps.SelectMany(step => step is PendingSlot p
                ? _used.Contains(p.Flag) ? new Step[] { new Declare(p.Value, p.Type, Expr.Zero), new DeclareFlag(p.Flag, new BoolConst(false)) } : Array.Empty<Step>()
                : new[] { step }).ToList();
    }

    /// <summary>
    /// Loop-invariant code motion for a loop whose body assigns element by element (an array gradient's loop, a reverse
    /// sweep's loop over an adjoint): the largest subexpressions of its values that no iteration changes — free of the
    /// loop's index, reading nothing the loop writes, real-valued and worth a local — found where every iteration
    /// evaluates them or under conditions that are themselves invariant (a value under c ? … : 0 is computed as
    /// c ? value : 0 before the loop). Returns those locals' assignments and the loop reading them, or null.
    /// </summary>
    private (List<Step> Before, For Loop)? Invariants(For loop, HashSet<Expr> scope)
    {
        if (loop.Stride != null || loop.Body.Steps.Count == 0 || !loop.Body.Steps.All(s => s is Assign)) return null;
        // (The walk recurses along the values' height: deep chains are left as they are.)
        if (loop.Body.Steps.Cast<Assign>().Any(a => a.Value.Height > MaxInvariantHeight)) return null;
        var index = Expr.Index(loop.Index);
        var written = new HashSet<string>(loop.Body.Steps.Cast<Assign>().Select(a => a.Target.Name), StringComparer.Ordinal);
        var found = new Dictionary<Expr, Expr?>();   // node → its guard (null: none); a node seen under two guards is left alone
        var conflicting = new HashSet<Expr>();
        // Whether a node reads what the loop writes, and its cost, once per node (bottom-up, remembered).
        var readsWritten = new Dictionary<Expr, bool>();
        var cost = new Dictionary<Expr, int>();
        bool ReadsWritten(Expr n)
        {
            if (readsWritten.TryGetValue(n, out var known)) return known;
            var result = n.Kind is ExprKind.Var or ExprKind.Element && written.Contains(n.Name!) || n.ArgArray.Any(ReadsWritten);
            readsWritten[n] = result;
            return result;
        }
        int Cost(Expr n)
        {
            if (cost.TryGetValue(n, out var known)) return known;
            var result = Math.Min(1000, CostModel.OpCost(n) + n.ArgArray.Sum(Cost));
            cost[n] = result;
            return result;
        }
        bool Invariant(Expr n) => !Free(n).Contains(index) && !ReadsWritten(n) && Free(n).IsSubsetOf(scope);
        bool Worth(Expr n) => n.ArgArray.Length > 0 && !n.IsComparison && !n.IsIntegerValued && n.Kind is not (ExprKind.Element or ExprKind.Length or ExprKind.ToFloat) &&
            Cost(n) >= 2;
        var visited = new HashSet<(Expr, Expr?)>();
        void Walk(Expr n, Expr? guard)
        {
            if (!visited.Add((n, guard))) return;
            if (Worth(n) && Invariant(n))
            {
                if (found.TryGetValue(n, out var g) && !Equals(g, guard)) conflicting.Add(n);
                else found[n] = guard;
                return;
            }
            if (n.IsReduction) return;
            if (n.Kind == ExprKind.If)
            {
                var condition = n.ArgArray[0];
                Walk(condition, guard);
                Expr? holds = null;
                if (Invariant(condition)) holds = condition;
                // A range guard i < e (i ≤ e) of a loop from 0 holds at i = 0 when e > 0 (e ≥ 0): what it guards is computed
                // before the loop under that, exactly when the first iteration computes it.
                else if (condition.Kind is ExprKind.Less or ExprKind.LessEqual && ReferenceEquals(condition.ArgArray[0], index) && loop.Lower is IntConst { Value: 0 } &&
                    condition.ArgArray[1].IsIntegerValued && Invariant(condition.ArgArray[1]))
                    holds = Expr.Compare(condition.Kind == ExprKind.Less ? ExprKind.Greater : ExprKind.GreaterEqual, condition.ArgArray[1], Expr.Zero);
                if (holds != null) Walk(n.ArgArray[1], guard is null ? holds : Expr.If(guard, holds, Expr.Zero));
                return;
            }
            foreach (var a in n.ArgArray) Walk(a, guard);
        }
        foreach (var a in loop.Body.Steps.Cast<Assign>()) Walk(Replace(a.Value), null);
        // Named in the canonical order of what they stand for, with names that sort as they were made: a product of two of
        // them multiplies in the same order in every method that hoists them (a checkpointed sweep gives the same bits).
        var hoist = found.Where(kv => !conflicting.Contains(kv.Key)).OrderBy(kv => kv.Key, ExprOrder.Instance).ToList();
        if (hoist.Count == 0) return null;
        var before = new List<Step>();
        var map = new Dictionary<Expr, Expr>();
        foreach (var kv in hoist)
        {
            var (node, guard) = (kv.Key, kv.Value);
            string name;
            do name = "invariant" + (_invariants++).ToString("D3", CultureInfo.InvariantCulture);
            while (!_taken.Add(name));
            before.Add(new Assign(new Store(StoreKind.Declare, name, Seq<IntValue>.Empty, _real), guard is null ? node : Expr.If(guard, node, Expr.Zero)));
            map[node] = Expr.Var(name);
        }
        var memo = new Dictionary<Expr, Expr>();
        var body = loop.Body.Steps.Cast<Assign>().Select(a => (Step)(a with { Value = Graph.ReplaceTopDown(Replace(a.Value), map, memo) })).ToList();
        return (before, loop with { Body = Block.Of(body) });
    }

    private int _invariants;

    // Values taller than this are not searched for loop invariants.
    private const int MaxInvariantHeight = 200;

    // Where a lazily computed sum's local and flag go, if a branch uses them.
    private sealed record PendingSlot(string Value, string Flag, NumericType Type) : Step;

    // The flags of lazily computed sums some branch used.
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    // Sums waiting to be computed once, the first time they are needed: their local and its flag.
    private readonly Dictionary<Expr, (string Value, string Flag)> _lazy = new();

    // The expressions evaluated inside loops of these steps (in any branch).
    private static IEnumerable<Expr> InLoops(IEnumerable<Step> steps, bool inLoop)
    {
        foreach (var step in steps)
        {
            switch (step)
            {
                case Assign a when inLoop:
                    foreach (var i in a.Target.Indices.OfType<IntOf>()) yield return i.Value;
                    yield return a.Value;
                    break;
                case If c:
                    if (inLoop && c.Condition is Test t) yield return t.Value;
                    foreach (var e in InLoops(c.Then.Steps, inLoop).Concat(c.Else is null ? Enumerable.Empty<Expr>() : InLoops(c.Else.Steps, inLoop))) yield return e;
                    break;
                case For f:
                    foreach (var e in InLoops(f.Body.Steps, true)) yield return e;
                    break;
                case VectorLoop v:
                    foreach (var e in InLoops(v.Remainder.Steps, true)) yield return e;
                    break;
            }
        }
    }

    // One reduction computed into a new local (a sum's accumulator, a running max, an argmax); its name.
    private string EmitReduction(Expr sum, HashSet<Expr> scope)
    {
        sum = Unshadowed(sum, scope);
        if (sum.Kind != ExprKind.Sum) return EmitMaxLoop(sum, scope);
        var name = Fresh("acc");
        _steps.Add(new Declare(name, _real, Expr.Zero));
        var index = sum.SumIndex;
        // Guards that bound the index (k − i ≥ 0, k − i < n) become the loop's bounds instead of tests in its body.
        var (lower, upper, body) = Tighten(index, sum.ArgArray[1]);
        var start = lower.Count == 0 ? IntValue.Const(0) : lower.Aggregate(IntValue.Const(0), (a, b) => IntValue.Max(a, IntegerBound(b)));
        var end = upper.Aggregate(Count(sum.ArgArray[0]), (a, b) => IntValue.Min(a, IntegerBound(b)));
        var inner = new HashSet<Expr>(scope) { index };
        var loopBody = Nested(() => Emit(new Step[] { new Assign(new Store(StoreKind.Add, name, Seq<IntValue>.Empty, _real), body) }, inner));
        _steps.Add(new For(index.Name!, start, end, loopBody));
        return name;
    }

    // A sum that can share its loop: no index of its own already bound, no reduction inside, no guard that would bound its
    // index (those become loop bounds of their own).
    private bool Fusable(Expr sum, HashSet<Expr> scope)
    {
        if (sum.Kind != ExprKind.Sum || scope.Contains(sum.SumIndex)) return false;
        var body = sum.ArgArray[1];
        if (Graph.PostOrder(body).Any(n => n.IsReduction)) return false;
        var (lower, upper, _) = Tighten(sum.SumIndex, body);
        return lower.Count == 0 && upper.Count == 0;
    }

    // Sums over one index and count as one loop adding into an accumulator each; their names.
    private List<string> EmitFusedSums(IReadOnlyList<Expr> sums, HashSet<Expr> scope)
    {
        var names = new List<string>();
        foreach (var _ in sums)
        {
            var name = Fresh("acc");
            _steps.Add(new Declare(name, _real, Expr.Zero));
            names.Add(name);
        }
        var index = sums[0].SumIndex;
        var inner = new HashSet<Expr>(scope) { index };
        var loopBody = Nested(() => Emit(sums.Select((s, k) => (Step)new Assign(new Store(StoreKind.Add, names[k], Seq<IntValue>.Empty, _real), s.ArgArray[1])).ToList(), inner));
        _steps.Add(new For(index.Name!, IntValue.Const(0), Count(sums[0].ArgArray[0]), loopBody));
        return names;
    }

    // A reduction whose index is a loop variable already bound around it (an argmax over j needed inside a loop over j,
    // as in a Hessian-vector product of a max-shifted log-sum-exp) runs over a fresh name: C# does not let a nested loop
    // declare j again.
    private Expr Unshadowed(Expr reduction, HashSet<Expr> scope)
    {
        var index = reduction.SumIndex;
        if (!scope.Contains(index)) return reduction;
        Expr fresh;
        var k = 1;
        do fresh = Expr.Index(index.Name + k++.ToString(CultureInfo.InvariantCulture));
        while (scope.Contains(fresh) || _taken.Contains(fresh.Name!) || Graph.PostOrder(reduction).Contains(fresh));
        return Expr.Reindexed(reduction, fresh);
    }

    // Reductions over a small constant count (a pooling window) are written out: no loop of two iterations, and an
    // argmax becomes selects (ties to the first) that compile without branches.
    internal static Expr Unroll(Expr e) => Graph.Rewrite(e, n =>
    {
        if (!n.IsReduction || n.ArgArray[0].Kind != ExprKind.Const || !n.ArgArray[0].Value.IsInteger) return n;
        var count = n.ArgArray[0].Value.Numerator;
        if (count < 1 || count > CostModel.MaxUnrolledReduction) return n;
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
            var body = Nested(() => Emit(new Step[] { new Assign(new Store(StoreKind.Set, max, Seq<IntValue>.Empty, _real), Expr.Max(Expr.Var(max), reduction.ArgArray[1])) }, inner));
            _steps.Add(new For(i, IntValue.Const(0), count, body));
            return max;
        }
        var (arg, best, candidate) = (Fresh("arg"), Fresh("best"), Fresh("candidate"));
        _steps.Add(new DeclareInt(arg, IntValue.Const(0)));
        _steps.Add(new Declare(best, _real, lowest));
        var n = Count(reduction.ArgArray[0]);
        var loop = Nested(() =>
        {
            Emit(new Step[] { new Assign(new Store(StoreKind.Declare, candidate, Seq<IntValue>.Empty, _real), reduction.ArgArray[1]) }, inner);
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
        var then = Nested(() => Emit(new Step[] { new Assign(target, conditional.ArgArray[1]) }, scope));
        var otherwise = conditional.ArgArray[2].IsZero ? null : Nested(() => Emit(new Step[] { new Assign(target, conditional.ArgArray[2]) }, scope));
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

    // The expressions a block evaluates whatever happens: values, store positions and loop counts; a guard's condition
    // but not its body; both branches of a choice between outputs; nothing of a kernel block (its fallback loops place
    // their own sums).
    private static IEnumerable<Expr> Roots(IEnumerable<Step> steps)
    {
        foreach (var step in steps)
        {
            switch (step)
            {
                case Assign a:
                    foreach (var i in a.Target.Indices.OfType<IntOf>()) yield return i.Value;
                    yield return a.Value;
                    break;
                case If { Condition: Test t }:
                    yield return t.Value;
                    break;
                case If { Condition: Plans.Wanted } c:
                    foreach (var r in Roots(c.Then.Steps).Concat(c.Else is null ? Enumerable.Empty<Expr>() : Roots(c.Else.Steps))) yield return r;
                    break;
                case For f:
                    if (f.Upper is IntOf count) yield return count.Value;
                    foreach (var r in Roots(f.Body.Steps)) yield return r;
                    break;
                case VectorLoop v:
                    foreach (var r in Roots(v.Remainder.Steps)) yield return r;
                    break;
            }
        }
    }

    // A count or bound: an int.
    private IntValue Count(Expr e) => IntValue.Of(Replace(e));

    // Computed sums become their accumulators (matched before their arguments are rewritten).
    private Expr Replace(Expr e) => _computed.Count == 0 ? e : Graph.ReplaceTopDown(e, _computed);

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
        // int parameters and static int fields (named global::…) are data, bound for the whole method.
        if (n.Kind == ExprKind.Index && !_data.Contains(n) && !n.Name!.StartsWith("global::", StringComparison.Ordinal)) result.Add(n);
        // A local that a loop updates (a carried state, an adjoint) varies with that loop's index.
        if (n.Kind is ExprKind.Var or ExprKind.Element && _varying.Count > 0 && _varying.TryGetValue(n.Name!, out var loopIndex)) result.Add(loopIndex);
        foreach (var a in n.ArgArray) result.UnionWith(Free(a));
        if (n.IsReduction) result.Remove(n.SumIndex);
        _free[n] = result;
        return result;
    }
}
