using System;
using System.Collections.Generic;
using System.Linq;

namespace SymGrad.Symbolic;

/// <summary>The gradient of a function: one simplified partial per variable, and how they were derived.</summary>
public sealed class Gradient
{
    internal Gradient(Expr function, IReadOnlyList<Expr> variables, IReadOnlyList<Expr> partials, Derivation derivation)
    {
        Function = function;
        Variables = variables;
        Partials = partials;
        Derivation = derivation;
    }

    /// <summary>The function, after simplification (what the partials refer to).</summary>
    public Expr Function { get; }
    /// <summary>The variables, in the order asked for.</summary>
    public IReadOnlyList<Expr> Variables { get; }
    /// <summary>∂f/∂v for each variable.</summary>
    public IReadOnlyList<Expr> Partials { get; }
    /// <summary>The chain-rule steps and rewrites that produced the partials.</summary>
    public Derivation Derivation { get; }

    /// <summary>
    /// The outputs of a gradient program: <c>("value", f)</c> then each partial under the given name (by default
    /// <c>d</c> + variable name), ready for <see cref="CsePass.Build(IReadOnlyList{ValueTuple{string, Expr}})"/>.
    /// </summary>
    public List<(string Name, Expr Value)> Outputs(IReadOnlyList<string>? partialNames = null)
    {
        var outputs = new List<(string, Expr)> { ("value", Function) };
        for (var i = 0; i < Variables.Count; i++) outputs.Add((partialNames?[i] ?? "d" + Variables[i].Name, Partials[i]));
        return outputs;
    }

    /// <summary>The partial with respect to a variable.</summary>
    public Expr this[Expr variable]
    {
        get
        {
            for (var i = 0; i < Variables.Count; i++)
                if (ReferenceEquals(Variables[i], variable)) return Partials[i];
            throw new KeyNotFoundException($"'{variable}' is not a variable of this gradient.");
        }
    }
}

/// <summary>
/// Symbolic differentiation. The gradient is computed by reverse accumulation over the DAG: one sweep from the
/// output to the leaves gives every partial at once, each node's adjoint built once from its parents' adjoints
/// and the local derivative rules of <see cref="Operators"/> — so there is no expression swell, and the cost is
/// proportional to the size of the graph, not to the number of variables times it.
/// </summary>
public static class Differentiator
{
    /// <summary>Adjoint products of more factors than this are propagated as <see cref="ExprKind.Shared"/> nodes.</summary>
    public const int ShareThreshold = 3;

    /// <summary>Adjoint sums of more terms than this are propagated as <see cref="ExprKind.Shared"/> nodes.</summary>
    public const int ShareSumThreshold = 16;

    /// <summary>The gradient of <paramref name="f"/> with respect to <paramref name="variables"/>.</summary>
    public static Gradient Gradient(Expr f, IReadOnlyList<Expr> variables) => Gradient(f, variables, new Simplifier());

    /// <summary>The gradient, using (and warming) the given simplifier.</summary>
    public static Gradient Gradient(Expr f, IReadOnlyList<Expr> variables, Simplifier simplifier) => Gradient(f, variables, simplifier, scatter: false);

    /// <summary>
    /// The gradient with the Kronecker deltas on array variables' indices kept: ∂f/∂W[k] = Σ … [e = k] g instead of
    /// the sums solved for k. Code runs it as a scatter, dW[e] += g over the sums (each term visited once), where
    /// the solved form would search (max pooling: which window's argmax is k; strided pooling: which window holds k).
    /// </summary>
    public static Gradient ScatterGradient(Expr f, IReadOnlyList<Expr> variables) => Gradient(f, variables, new Simplifier(), scatter: true);

    private static Gradient Gradient(Expr f, IReadOnlyList<Expr> variables, Simplifier simplifier, bool scatter)
    {
        foreach (var v in variables)
            if (!(v.Kind == ExprKind.Var || IsElementVariable(v)))
                throw new ArgumentException($"'{v}' is neither a variable nor an array element at free indices (W[k]).", nameof(variables));

        var log = new List<RuleApplication>();
        simplifier.Log = log;
        var function = simplifier.Simplify(f);
        var functionRules = log.ToList();
        log.Clear();

        var order = Graph.PostOrder(function);
        foreach (var n in order) simplifier.Free.Add(n);
        var wrt = new HashSet<Expr>(variables);
        // An array element variable W[k] stands for every element of W: each W[e] in the graph depends on it.
        var arrays = new HashSet<string>(variables.Where(v => v.Kind == ExprKind.Element).Select(v => v.Name!));
        var depends = Graph.DependsOn(new[] { function }, wrt, arrays);
        var elementTerms = variables.Select(_ => new List<Contribution>()).ToArray();

        var contributions = new Dictionary<Expr, List<Contribution>>();
        var adjoints = new Dictionary<Expr, Expr>();
        var steps = new List<DerivationStep>();
        contributions[function] = new List<Contribution>();
        adjoints[function] = Expr.One;

        for (var k = order.Count - 1; k >= 0; k--)
        {
            var node = order[k];
            if (!depends[node]) continue;
            Expr adjoint;
            if (ReferenceEquals(node, function)) adjoint = Expr.One;
            else
            {
                if (!contributions.TryGetValue(node, out var list) || list.Count == 0) continue;
                var raw = Expr.Add(list.Select(c => c.Term));
                log.Clear();
                adjoint = simplifier.Simplify(raw);
                steps.Add(new DerivationStep(node, list, raw, adjoint, log.ToList()));
            }
            adjoints[node] = adjoint;
            if (adjoint.IsZero) continue;
            // A long product is propagated whole, so the next products reference it instead of copying its
            // factors (a chain of n layers would otherwise give products of n factors). Sums never flatten into
            // products, and short products stay open to rules such as e^u·σ(−u) → σ(u).
            // A long sum likewise: c·(a + b + …) is distributed on construction, so each of its n users (the n weights
            // of one squared error) would copy it.
            var propagated = (adjoint.Kind == ExprKind.Mul && adjoint.ArgArray.Length > ShareThreshold)
                             || (adjoint.Kind == ExprKind.Add && adjoint.ArgArray.Length > ShareSumThreshold) ? Expr.Shared(adjoint) : adjoint;

            var args = node.ArgArray;
            var rule = Operators.Of(node.Kind).Rule;
            if (node.Kind is ExprKind.Sum or ExprKind.MaxOver)
            {
                // ∂/∂v Σ_i u_i = Σ_i ∂u_i/∂v: the body's gradient, in terms of i, summed; for an element variable
                // the Kronecker deltas in it pick out the terms that touch W[k]. ∂/∂v max_i u_i = ∂u_i/∂v at
                // i = argmax_i u_i (the first largest, as the runtime's max pooling breaks ties); the argmax is
                // piecewise constant.
                var inner = Gradient(args[1], variables, new Simplifier(), scatter);
                var at = node.Kind == ExprKind.MaxOver ? Expr.ArgMax(node.SumIndex, args[0], args[1]) : null;
                for (var v = 0; v < variables.Count; v++)
                {
                    if (inner.Partials[v].IsZero) continue;
                    // Over no elements the max is −∞, a constant: no argmax to read (x[argmax] threw on an empty span).
                    var local = simplifier.Simplify(at is null
                        ? SumOut(node.SumIndex, args[0], inner.Partials[v], variables, scatter)
                        : Expr.If(Expr.Compare(ExprKind.Greater, args[0], Expr.Zero), Expr.Substitute(inner.Partials[v], node.SumIndex, at), Expr.Zero));
                    if (local.IsZero) continue;
                    var c = new Contribution(node, rule, local, Expr.Mul(propagated, local));
                    if (variables[v].Kind == ExprKind.Element) elementTerms[v].Add(c);
                    else
                    {
                        if (!contributions.TryGetValue(variables[v], out var into)) contributions[variables[v]] = into = new List<Contribution>();
                        into.Add(c);
                    }
                }
                continue;
            }
            if (node.Kind == ExprKind.Element)
            {
                // ∂W[e]/∂W[k] = Π_d [e_d = k_d].
                for (var v = 0; v < variables.Count; v++)
                {
                    var target = variables[v];
                    if (target.Kind != ExprKind.Element || target.Name != node.Name || target.ArgArray.Length != args.Length) continue;
                    var delta = Expr.Mul(args.Select((e, d) => Expr.Compare(ExprKind.Equal, e, target.ArgArray[d])));
                    elementTerms[v].Add(new Contribution(node, rule, delta, Expr.Mul(propagated, delta)));
                }
                continue;
            }
            var productLocals = node.Kind == ExprKind.Mul ? ProductLocals(args, simplifier) : null;
            for (var i = 0; i < args.Length; i++)
            {
                var child = args[i];
                if (!depends[child]) continue;
                var local = simplifier.Simplify(productLocals?[i] ?? rule.Local(node, i));
                if (local.IsZero) continue;
                if (!contributions.TryGetValue(child, out var into)) contributions[child] = into = new List<Contribution>();
                into.Add(new Contribution(node, rule, local, Expr.Mul(propagated, local)));
            }
        }

        var partials = new List<Expr>();
        for (var v = 0; v < variables.Count; v++)
        {
            if (variables[v].Kind == ExprKind.Var)
            {
                partials.Add(adjoints.TryGetValue(variables[v], out var a) ? a : Expr.Zero);
                continue;
            }
            var list = elementTerms[v];
            if (list.Count == 0)
            {
                partials.Add(Expr.Zero);
                continue;
            }
            var raw = Expr.Add(list.Select(c => c.Term));
            log.Clear();
            var adjoint = simplifier.Simplify(raw);
            steps.Add(new DerivationStep(variables[v], list, raw, adjoint, log.ToList()));
            partials.Add(adjoint);
        }
        simplifier.Log = null;
        return new Gradient(function, variables.ToList(), partials, new Derivation(f, function, functionRules, steps));
    }

    /// <summary>Products of more non-constant factors than this get their local derivatives from prefix and suffix products.</summary>
    public const int PrefixProductThreshold = 5;

    // ∂(c·f₀·f₁⋯f₍ₘ₋₁₎)/∂fₖ = c·(f₀⋯fₖ₋₁)·(fₖ₊₁⋯f₍ₘ₋₁₎): the prefix and suffix products, each one multiplication from
    // the last and kept whole (Shared), so the m locals cost about 3m multiplications instead of m² — a product of
    // 4 000 factors is 12 000 operations, not 16 million. Null for short products (the plain product rule).
    // The simplifier leaves the prefix and suffix products as built (their factors are simplified already).
    private static Expr?[]? ProductLocals(Expr[] args, Simplifier simplifier)
    {
        if (PrefixProducts(args) is not { } prefix) return null;
        // A product's only constant is its coefficient, first: factor k is args[start + k].
        var start = args.Length - prefix.Length;
        var coefficient = start == 1 ? args[0] : Expr.One;
        var m = prefix.Length;
        var suffix = new Expr[m];
        suffix[m - 1] = Expr.One;
        for (var k = m - 2; k >= 0; k--) suffix[k] = Whole(Expr.Mul(args[start + k + 1], suffix[k + 1]));
        foreach (var p in prefix.Concat(suffix)) simplifier.Keep(p);
        var locals = new Expr?[args.Length];
        for (var k = 0; k < m; k++) locals[start + k] = Expr.Mul(coefficient, prefix[k], suffix[k]);
        return locals;
    }

    /// <summary>
    /// For a product of more than <see cref="PrefixProductThreshold"/> non-constant factors f₀…f₍ₘ₋₁₎ (its
    /// arguments, coefficient first if any): the prefix products 1, f₀, f₀f₁, …, f₀⋯f₍ₘ₋₂₎, each kept whole; else null.
    /// The gradient's local derivatives use them, and code computes the product itself as the last one times f₍ₘ₋₁₎.
    /// </summary>
    private static Expr Whole(Expr product) => product.Kind == ExprKind.Mul ? Expr.Shared(product) : product;

    /// <param name="args">The product's arguments.</param>
    /// <param name="exists">When given, the chain stops (null) at the first prefix of two or more factors it rejects.</param>
    internal static Expr[]? PrefixProducts(Expr[] args, Func<Expr, bool>? exists = null)
    {
        var start = args.Length > 0 && args[0].Kind == ExprKind.Const ? 1 : 0;
        var m = args.Length - start;
        if (m <= PrefixProductThreshold) return null;
        var prefix = new Expr[m];
        prefix[0] = Expr.One;
        for (var k = 1; k < m; k++)
        {
            prefix[k] = Whole(Expr.Mul(prefix[k - 1], args[start + k - 1]));
            if (k >= 2 && exists is not null && !exists(prefix[k])) return null;
        }
        return prefix;
    }

    /// <summary>True for <c>W[k, …]</c> with every index a free <see cref="ExprKind.Index"/>: all of W as a variable.</summary>
    public static bool IsElementVariable(Expr v) =>
        v.Kind == ExprKind.Element && v.ArgArray.All(i => i.Kind == ExprKind.Index) && v.ArgArray.Distinct().Count() == v.ArgArray.Length;

    /// <summary>
    /// Σ_{index &lt; count} term, with Kronecker deltas [e(index) = k] resolved: where e is the index plus terms free
    /// of it, the sum collapses to the term at index = k − c, guarded by 0 ≤ k − c &lt; count unless that holds by
    /// construction (k runs over an axis of length count).
    /// </summary>
    internal static Expr SumOut(Expr index, Expr count, Expr term, IReadOnlyList<Expr> variables, bool scatter = false)
    {
        // Scatter form: a delta that would solve the index in terms of a variable's own index k stays.
        var variableIndices = scatter ? new HashSet<Expr>(variables.Where(v => v.Kind == ExprKind.Element).SelectMany(v => v.ArgArray)) : null;
        var terms = term.Kind == ExprKind.Add ? term.ArgArray : new[] { term };
        var kept = new List<Expr>();
        var resolved = new List<Expr>();
        foreach (var t in terms)
        {
            if (Delta(t, index) is { } found && (variableIndices is null || !variableIndices.Any(k => Expr.Mentions(found.Solution, k))))
            {
                var (rest, solution) = found;
                var guard = Expr.One;
                if (!CoversAxis(solution, count, variables))
                {
                    // A free index of a variable is never negative; anything else is checked both ways.
                    var free = solution.Kind == ExprKind.Index && variables.Any(v => v.Kind == ExprKind.Element && v.ArgArray.Contains(solution));
                    guard = Expr.Compare(ExprKind.Less, solution, count);
                    if (!free) guard = Expr.Mul(Expr.Compare(ExprKind.GreaterEqual, solution, Expr.Zero), guard);
                }
                var value = Expr.Substitute(rest, index, solution);
                resolved.Add(guard.IsOne ? value : Expr.If(guard, value, Expr.Zero));
            }
            else kept.Add(t);
        }
        if (kept.Count > 0) resolved.Add(Expr.Sum(index, count, Expr.Add(kept)));
        return Expr.Add(resolved);
    }

    // A term [e(i) = k]·rest (a product with a comparison factor, or If([e(i) = k], rest, 0), possibly inside
    // guards If(c, ·, 0) free of i) where e(i) is i plus terms free of i and k is free of i: the rest (with its
    // guards) and the i that satisfies it, k − (e(i) − i).
    private static (Expr Remainder, Expr Solution)? Delta(Expr t, Expr index)
    {
        (Expr, Expr)? Solve(Expr condition, Expr rest)
        {
            if (condition.Kind != ExprKind.Equal) return null;
            Expr a = condition.ArgArray[0], b = condition.ArgArray[1];
            if (Expr.Mentions(b, index)) (a, b) = (b, a);
            if (!Expr.Mentions(a, index) || Expr.Mentions(b, index)) return null;
            var offset = Expr.Sub(a, index);
            if (Expr.Mentions(offset, index)) return null;
            return (rest, Expr.Sub(b, offset));
        }
        switch (t.Kind)
        {
            case ExprKind.Equal:
                return Solve(t, Expr.One);
            case ExprKind.If when t.ArgArray[2].IsZero:
            {
                if (Solve(t.ArgArray[0], t.ArgArray[1]) is { } direct) return direct;
                // One equality of a conjunction solves the index; the others stay as the guard.
                if (Graph.Conjuncts(t.ArgArray[0]) is { Count: > 1 } conjuncts)
                    foreach (var c in conjuncts)
                        if (Solve(c, Expr.One) is { } solved)
                        {
                            var others = conjuncts.Where(o => !ReferenceEquals(o, c)).ToList();
                            return (Expr.If(Expr.Mul(others), t.ArgArray[1], Expr.Zero), solved.Item2);
                        }
                // A guard that mentions the index is substituted with the rest: Σ_i [g(i)] [i = s] x_i = [g(s)] x_s.
                if (Delta(t.ArgArray[1], index) is not { } inner) return null;
                return (Expr.If(t.ArgArray[0], inner.Remainder, Expr.Zero), inner.Solution);
            }
            case ExprKind.Mul:
                foreach (var f in t.ArgArray)
                {
                    var others = Expr.Mul(t.ArgArray.Where(g => !ReferenceEquals(g, f)));
                    if (Solve(f, others) is { } found) return found;
                    if (f.Kind == ExprKind.If && Delta(f, index) is { } nested) return (Expr.Mul(nested.Remainder, others), nested.Solution);
                }
                return null;
            default:
                return null;
        }
    }

    // True when the solution is a free index k of an element variable whose axis has exactly `count` entries.
    private static bool CoversAxis(Expr solution, Expr count, IReadOnlyList<Expr> variables)
    {
        if (solution.Kind != ExprKind.Index || count.Kind != ExprKind.Length) return false;
        foreach (var v in variables)
        {
            if (v.Kind != ExprKind.Element) continue;
            for (var d = 0; d < v.ArgArray.Length; d++)
                if (ReferenceEquals(v.ArgArray[d], solution) && ReferenceEquals(count, Expr.Length(v.Name!, d))) return true;
        }
        return false;
    }

    /// <summary>The derivative of <paramref name="f"/> with respect to one variable.</summary>
    public static Expr Derivative(Expr f, Expr variable) => Gradient(f, new[] { variable }).Partials[0];

    /// <summary>
    /// Forward mode: the directional derivative Σ_v (∂f/∂v)·direction[v], propagated from the leaves up in one
    /// pass. Variables missing from <paramref name="direction"/> are held constant.
    /// </summary>
    public static Expr Directional(Expr f, IReadOnlyDictionary<Expr, Expr> direction)
    {
        var tangents = new Dictionary<Expr, Expr>();
        var simplifier = new Simplifier();
        // Differentiate the simplified function, as Gradient does, so that both modes see the same nodes and
        // make the same choices at non-smooth points (max/min ties follow canonical argument order).
        f = simplifier.Simplify(f);
        foreach (var n in Graph.PostOrder(f))
        {
            if (n.Kind == ExprKind.Var)
            {
                tangents[n] = direction.TryGetValue(n, out var d) ? d : Expr.Zero;
                continue;
            }
            var args = n.ArgArray;
            var rule = Operators.Of(n.Kind).Rule;
            var terms = new List<Expr>();
            for (var i = 0; i < args.Length; i++)
            {
                var t = tangents[args[i]];
                if (t.IsZero) continue;
                terms.Add(Expr.Mul(rule.Local(n, i), t));
            }
            tangents[n] = terms.Count == 0 ? Expr.Zero : simplifier.Simplify(Expr.Add(terms));
        }
        return tangents[f];
    }

    /// <summary>
    /// The Hessian: entry (i, j) is ∂²f/∂v_i∂v_j, obtained by differentiating each partial of the gradient
    /// graph again. The matrix is symmetric; the lower triangle reuses the upper triangle's nodes.
    /// </summary>
    public static Expr[,] Hessian(Expr f, IReadOnlyList<Expr> variables) => Hessian(Gradient(f, variables));

    /// <summary>The Hessian from a gradient already computed (its partials differentiated once more).</summary>
    public static Expr[,] Hessian(Gradient gradient)
    {
        var simplifier = new Simplifier();
        var variables = gradient.Variables;
        var n = variables.Count;
        var h = new Expr[n, n];
        for (var i = 0; i < n; i++)
        {
            var second = Gradient(gradient.Partials[i], variables.Skip(i).ToList(), simplifier);
            for (var j = i; j < n; j++) h[i, j] = h[j, i] = second.Partials[j - i];
        }
        return h;
    }

    /// <summary>
    /// The Hessian-vector product H·v in one extra reverse sweep: the gradient of (∇f · v) with v held constant.
    /// </summary>
    public static IReadOnlyList<Expr> HessianVectorProduct(Expr f, IReadOnlyList<Expr> variables, IReadOnlyList<Expr> vector) =>
        HessianVectorProduct(Gradient(f, variables), vector);

    /// <summary>The Hessian-vector product from a gradient already computed.</summary>
    public static IReadOnlyList<Expr> HessianVectorProduct(Gradient gradient, IReadOnlyList<Expr> vector)
    {
        if (vector.Count != gradient.Variables.Count) throw new ArgumentException("The vector must have one entry per variable.", nameof(vector));
        var dot = Expr.Add(gradient.Partials.Select((p, i) => Expr.Mul(p, vector[i])));
        return Gradient(dot, gradient.Variables, new Simplifier()).Partials;
    }
}
