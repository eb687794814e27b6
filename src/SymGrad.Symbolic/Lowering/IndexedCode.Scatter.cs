using System.Collections.Generic;
using System.Linq;
using SymGrad.Symbolic.Plans;

namespace SymGrad.Symbolic;

// Gradients run as scatters: when the solved form ∂f/∂W[k] would search for the terms that touch W[k] (which window's
// argmax is k, which strided window holds k), the code walks the terms instead, each once, and adds each into the
// element it touches: for m, n: dX[2m + argmax, 2n + argmax′] += G[m, n]. The Kronecker deltas of the scatter form
// (Differentiator.ScatterGradient) name those elements.
public sealed partial class IndexedCode
{
    /// <summary>
    /// The scatter pass: the loops of an output whose solved partial searches for its terms (which window's argmax is
    /// k) become a walk over the terms, each added into the element it touches, after the output is cleared.
    /// </summary>
    public Block Scatters(Block plan) => Block.Of(plan.Steps.Select(step =>
    {
        if (step is not If { Condition: Wanted wanted, Else: null } c || !_searching.Contains(wanted.Output)) return step;
        var (variable, position) = _outputs[wanted.Output];
        _scatterGradient ??= Differentiator.ScatterGradient(_gradient!.Function, _gradient.Variables);
        if (Scatter(variable, wanted.Output, _scatterGradient.Partials[position]) is not { } scatter) return step;
        var clear = _accumulate ? Enumerable.Empty<Step>() : new Step[] { new Clear(wanted.Output, _arrays[wanted.Output].Storage) };
        return c with { Then = Block.Of(clear.Concat(scatter)) };
    }));

    /// <summary>
    /// True when the solved partial has a sum whose index a guard ties to others in a way no loop bound can express
    /// (an equality, a multiple of the index): computing it would visit every term for every element.
    /// </summary>
    private static bool Searches(Expr partial)
    {
        foreach (var n in Graph.PostOrder(partial))
        {
            if (n.Kind != ExprKind.Sum) continue;
            var index = n.SumIndex;
            var (_, _, body) = Tighten(index, n.ArgArray[1]);
            for (var inner = body; inner.Kind == ExprKind.If && inner.ArgArray[2].IsZero; inner = inner.ArgArray[1])
                if (Expr.Mentions(inner.ArgArray[0], index)) return true;
            if (Graph.PostOrder(body).Any(c => c.Kind == ExprKind.Equal && Expr.Mentions(c, index))) return true;
        }
        return false;
    }

    /// <summary>The steps that add a scatter-form partial into the output, or null when it is not of that form.</summary>
    private List<Step>? Scatter(Expr variable, string output, Expr partial)
    {
        var ks = variable.ArgArray;
        bool MentionsK(Expr e) => ks.Any(k => Expr.Mentions(e, k));

        // [e = k_d] with e free of every k: (axis, e).
        (int Axis, Expr At)? Delta(Expr c)
        {
            if (c.Kind != ExprKind.Equal) return null;
            foreach (var (k, e) in new[] { (c.ArgArray[0], c.ArgArray[1]), (c.ArgArray[1], c.ArgArray[0]) })
            {
                var axis = System.Array.IndexOf(ks, k);
                if (axis >= 0 && !MentionsK(e)) return (axis, e);
            }
            return null;
        }

        // The term once every delta is known: dW[e…] += coefficient.
        List<Step>? Add(List<Expr> coefficient, Dictionary<int, Expr> deltas) =>
            deltas.Count != ks.Length ? null
                : new List<Step> { new Assign(new Store(StoreKind.Add, output, Enumerable.Range(0, ks.Length).Select(a => IntValue.Of(deltas[a])).ToSeq(), _real), Expr.Mul(coefficient), Scatter: true) };

        List<Step>? Walk(Expr p, List<Expr> coefficient, Dictionary<int, Expr> deltas)
        {
            if (!MentionsK(p)) return Add(coefficient.Append(p).ToList(), deltas);
            switch (p.Kind)
            {
                case ExprKind.Add:
                {
                    var all = new List<Step>();
                    foreach (var term in p.ArgArray)
                    {
                        if (Walk(term, coefficient, deltas) is not { } tasks) return null;
                        all.AddRange(tasks);
                    }
                    return all;
                }
                case ExprKind.Sum:
                    return MentionsK(p.ArgArray[0]) || Walk(p.ArgArray[1], coefficient, deltas) is not { } body
                        ? null
                        : new List<Step> { new For(p.SumIndex.Name!, IntValue.Const(0), IntValue.Of(p.ArgArray[0]), Block.Of(body)) };
                case ExprKind.If when p.ArgArray[2].IsZero:
                {
                    if (Graph.Conjuncts(p.ArgArray[0]) is not { } conjuncts) return null;
                    var found = new Dictionary<int, Expr>(deltas);
                    var guards = new List<Expr>();
                    foreach (var c in conjuncts)
                    {
                        if (Delta(c) is { } d)
                        {
                            if (found.ContainsKey(d.Axis)) return null;
                            found[d.Axis] = d.At;
                        }
                        else if (MentionsK(c)) return null;
                        else guards.Add(c);
                    }
                    if (Walk(p.ArgArray[1], coefficient, found) is not { } inner) return null;
                    return guards.Count == 0 ? inner : new List<Step> { new If(new Test(Expr.Mul(guards)), Block.Of(inner)) };
                }
                case ExprKind.Equal:
                case ExprKind.Mul:
                {
                    var factors = p.Kind == ExprKind.Mul ? p.ArgArray : new[] { p };
                    var found = new Dictionary<int, Expr>(deltas);
                    var scale = new List<Expr>(coefficient);
                    Expr? rest = null;
                    foreach (var f in factors)
                    {
                        if (!MentionsK(f)) scale.Add(f);
                        else if (Delta(f) is { } d)
                        {
                            if (found.ContainsKey(d.Axis)) return null;
                            found[d.Axis] = d.At;
                        }
                        else if (rest is null) rest = f;
                        else return null;
                    }
                    return rest != null ? Walk(rest, scale, found) : Add(scale, found);
                }
                default:
                    return null;
            }
        }
        // A small window's terms written out: four adds, not a loop of two in a loop of two.
        partial = Unroll(partial);
        return MentionsK(partial) ? Walk(partial, new List<Expr>(), new Dictionary<int, Expr>()) : null;
    }
}
