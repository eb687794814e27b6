using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using SymGrad.Symbolic;

namespace SymGrad.Generators;

/// <summary>
/// Everything a method's members are printed from, computed once: its variables (free indices for array variables),
/// gradient, second derivatives and the value-form derivative where they apply, the names of generated parameters,
/// and the SG0007 warnings. <see cref="DifferentiableEmitter"/> only prints it.
/// </summary>
internal sealed record DifferentiatedMethod(
    MethodModel Model,
    IReadOnlyList<Expr> Variables,
    Gradient Gradient,
    IReadOnlyList<string> OutNames,
    Expr[,]? Hessian,
    IReadOnlyList<Expr>? HessianVectorProduct,
    (Expr Value, Expr Derivative)? DerivativeFromValue,
    Func<string, string> Fresh,
    IReadOnlyList<DiagnosticInfo> Diagnostics)
{
    /// <summary>
    /// An indexed method of order 2: the gradient of D = ∇f·v (whose partials are H·v; its value D), and the direction parameter named
    /// for each variable (v_w for a scalar w, v_x of x's shape for an array x).
    /// </summary>
    public (Gradient Product, IReadOnlyList<string> Directions)? IndexedHessianVectorProduct { get; init; }
}

/// <summary>The computing step between the model and the text: differentiation, second derivatives, names.</summary>
internal static class Differentiation
{
    public static DifferentiatedMethod Differentiate(MethodModel m, CancellationToken ct)
    {
        var variables = m.Ranks.Any(r => r > 0) ? IndexedVariables(m) : m.Variables.Select(Expr.Var).ToList();
        var gradient = Differentiator.Gradient(m.Body, variables);
        ct.ThrowIfCancellationRequested();

        // d<v> for each variable, with underscores while it collides with a parameter or another output.
        var reserved = m.Parameters.ToList();
        var outNames = new List<string>();
        foreach (var v in m.Variables)
        {
            var name = "d" + v;
            while (reserved.Contains(name) || outNames.Contains(name)) name += "_";
            outNames.Add(name);
        }
        string Fresh(string name)
        {
            while (reserved.Contains(name) || outNames.Contains(name)) name += "_";
            return name;
        }

        Expr[,]? hessian = null;
        IReadOnlyList<Expr>? hvp = null;
        (Gradient, IReadOnlyList<string>)? indexedHvp = null;
        if (m.Order == 2 && m.Ranks.Any(r => r > 0))
        {
            // H·v = ∇(∇f · v). The directional derivative D = ∇f·v is taken forward, d/dε f(x + εv) at ε = 0, so that v meets
            // the formula where x does (Σ_i s_i · Σ_j X_ij v_j, one pass over the data) rather than each partial (Σ_j v_j Σ_i …,
            // a pass per element); D's gradient, with the directions as data, is printed like any indexed gradient.
            var directions = m.Variables.Select(v => Fresh("v_" + v)).ToList();
            var epsilon = Expr.Var(Fresh("epsilon"));
            var scalarDirections = new Dictionary<string, string>(StringComparer.Ordinal);
            var arrayDirections = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < variables.Count; i++)
                (variables[i].Kind == ExprKind.Var ? scalarDirections : arrayDirections)[m.Variables[i]] = directions[i];
            var perturbed = Graph.Rewrite(m.Body, n =>
                n.Kind == ExprKind.Var && scalarDirections.TryGetValue(n.Name!, out var dv) ? Expr.Add(n, Expr.Mul(epsilon, Expr.Var(dv)))
                : n.Kind == ExprKind.Element && arrayDirections.TryGetValue(n.Name!, out var da) ? Expr.Add(n, Expr.Mul(epsilon, Expr.Element(da, n.Args.ToArray())))
                : n);
            var tangent = Differentiator.Gradient(perturbed, new[] { epsilon }).Partials[0];
            var directional = Graph.Rewrite(tangent, n => ReferenceEquals(n, epsilon) ? Expr.Zero : n);
            ct.ThrowIfCancellationRequested();
            // Its value is ∇f·v: the lowering reads the function its partials came from (a scatter re-derives the terms of
            // D; handed f, it would write ∇f), so the product returns the directional derivative it was printed from.
            var product = Differentiator.Gradient(directional, variables);
            ct.ThrowIfCancellationRequested();
            indexedHvp = (product, directions);
        }
        else if (m.Order == 2)
        {
            hessian = Differentiator.Hessian(gradient);
            ct.ThrowIfCancellationRequested();
            if (variables.Count > 1)
            {
                var vector = Fresh("vector");
                hvp = Differentiator.HessianVectorProduct(gradient, Enumerable.Range(0, variables.Count).Select(i => Expr.Var($"{vector}[{i}]")).ToList());
            }
        }

        // When f′ is a function of f alone (tanh′ = 1 − tanh², σ′ = σ(1 − σ)): f′ from the value y = f(x).
        (Expr, Expr)? fromValue = null;
        if (variables.Count == 1 && m.Parameters.Count == 1 && variables[0].Kind == ExprKind.Var)
        {
            var y = Expr.Var(m.Parameters[0] == "y" ? "value" : "y");
            if (DerivativeFromValue(gradient, y) is { } d) fromValue = (y, d);
        }

        // SG0007 for every variable whose partial is identically zero.
        var diagnostics = new List<DiagnosticInfo>();
        for (var i = 0; i < variables.Count; i++)
            if (gradient.Partials[i].IsZero)
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.DerivativeIsZero.Id, m.AttributeLocation, new[] { m.Name, m.Variables[i] }.ToEquatableArray()));

        return new DifferentiatedMethod(m, variables, gradient, outNames, hessian, hvp, fromValue, Fresh, diagnostics) { IndexedHessianVectorProduct = indexedHvp };
    }


    // Array variables as elements at free indices k, l, … (names no index of the body and no parameter uses).
    internal static List<Expr> IndexedVariables(MethodModel m)
    {
        var roots = m.Recurrence is { } r ? r.Roots.Prepend(m.Body) : new[] { m.Body };
        var taken = new HashSet<string>(Graph.PostOrder(roots).Where(n => n.Kind == ExprKind.Index).Select(n => n.Name!).Concat(m.Parameters), StringComparer.Ordinal);
        var parameterNames = m.Parameters.ToList();
        return m.Variables.Select(v =>
        {
            var rank = m.Ranks[parameterNames.IndexOf(v)];
            return rank == 0 ? Expr.Var(v) : Expr.FreeElement(v, rank, taken);
        }).ToList();
    }

    // The one partial with every occurrence of the function replaced by its value y, when that no longer needs the
    // variable: f′ = g(f).
    private static Expr? DerivativeFromValue(Gradient gradient, Expr y)
    {
        var f = gradient.Function;
        var partial = gradient.Partials[0];
        if (f.Kind is ExprKind.Var or ExprKind.Const || partial.IsConst || !Graph.PostOrder(partial).Contains(f)) return null;
        var rewritten = Graph.Rewrite(partial, n => ReferenceEquals(n, f) ? y : n);
        return Graph.Variables(rewritten).All(v => v == y.Name) ? rewritten : null;
    }
}
