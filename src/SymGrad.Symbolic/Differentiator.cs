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

    /// <summary>The gradient of <paramref name="f"/> with respect to <paramref name="variables"/>.</summary>
    public static Gradient Gradient(Expr f, IReadOnlyList<Expr> variables) => Gradient(f, variables, new Simplifier());

    /// <summary>The gradient, using (and warming) the given simplifier.</summary>
    public static Gradient Gradient(Expr f, IReadOnlyList<Expr> variables, Simplifier simplifier)
    {
        foreach (var v in variables)
            if (v.Kind != ExprKind.Var) throw new ArgumentException($"'{v}' is not a variable.", nameof(variables));

        var log = new List<RuleApplication>();
        simplifier.Log = log;
        var function = simplifier.Simplify(f);
        var functionRules = log.ToList();
        log.Clear();

        var order = Graph.PostOrder(function);
        foreach (var n in order) simplifier.Free.Add(n);
        var wrt = new HashSet<Expr>(variables);
        var depends = Graph.DependsOn(new[] { function }, wrt);

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
            var propagated = adjoint.Kind == ExprKind.Mul && adjoint.ArgArray.Length > ShareThreshold ? Expr.Shared(adjoint) : adjoint;

            var args = node.ArgArray;
            var rule = Operators.Of(node.Kind).Rule;
            for (var i = 0; i < args.Length; i++)
            {
                var child = args[i];
                if (!depends[child]) continue;
                var local = simplifier.Simplify(rule.Local(node, i));
                if (local.IsZero) continue;
                if (!contributions.TryGetValue(child, out var into)) contributions[child] = into = new List<Contribution>();
                into.Add(new Contribution(node, rule, local, Expr.Mul(propagated, local)));
            }
        }

        simplifier.Log = null;
        var partials = variables.Select(v => adjoints.TryGetValue(v, out var a) ? a : Expr.Zero).ToList();
        return new Gradient(function, variables.ToList(), partials, new Derivation(f, function, functionRules, steps));
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
