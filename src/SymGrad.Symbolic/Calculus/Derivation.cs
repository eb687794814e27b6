using System.Collections.Generic;
using System.Linq;

namespace SymGrad.Symbolic;

/// <summary>One chain-rule contribution to a node's adjoint: ∂f/∂parent · ∂parent/∂node.</summary>
public sealed class Contribution
{
    internal Contribution(Expr parent, DerivativeRule rule, Expr local, Expr term)
    {
        Parent = parent;
        Rule = rule;
        Local = local;
        Term = term;
    }

    /// <summary>The node whose derivative rule fired.</summary>
    public Expr Parent { get; }
    /// <summary>The rule.</summary>
    public DerivativeRule Rule { get; }
    /// <summary>∂parent/∂node.</summary>
    public Expr Local { get; }
    /// <summary>∂f/∂parent · ∂parent/∂node.</summary>
    public Expr Term { get; }
}

/// <summary>The adjoint ∂f/∂node: the sum of its contributions, then simplified.</summary>
public sealed class DerivationStep
{
    internal DerivationStep(Expr node, IReadOnlyList<Contribution> contributions, Expr raw, Expr result, IReadOnlyList<RuleApplication> rewrites)
    {
        Node = node;
        Contributions = contributions;
        Raw = raw;
        Result = result;
        Rewrites = rewrites;
    }

    /// <summary>The node differentiated with respect to.</summary>
    public Expr Node { get; }
    /// <summary>The chain-rule terms.</summary>
    public IReadOnlyList<Contribution> Contributions { get; }
    /// <summary>Their sum, before simplification.</summary>
    public Expr Raw { get; }
    /// <summary>After simplification.</summary>
    public Expr Result { get; }
    /// <summary>The simplification rules that fired.</summary>
    public IReadOnlyList<RuleApplication> Rewrites { get; }
}

/// <summary>
/// The record of a differentiation: how the input was rewritten, then the adjoint of every node on a path from
/// the output to a variable, in the order the reverse sweep computed them.
/// </summary>
public sealed class Derivation
{
    internal Derivation(Expr input, Expr function, IReadOnlyList<RuleApplication> functionRewrites, IReadOnlyList<DerivationStep> steps)
    {
        Input = input;
        Function = function;
        FunctionRewrites = functionRewrites;
        Steps = steps;
    }

    /// <summary>The function as given.</summary>
    public Expr Input { get; }
    /// <summary>The function after simplification.</summary>
    public Expr Function { get; }
    /// <summary>Rules that rewrote the input (e.g. <c>logistic</c>).</summary>
    public IReadOnlyList<RuleApplication> FunctionRewrites { get; }
    /// <summary>All adjoint steps, output first.</summary>
    public IReadOnlyList<DerivationStep> Steps { get; }

    /// <summary>The steps that lead from the output to <paramref name="variable"/>, output first.</summary>
    public IReadOnlyList<DerivationStep> StepsFor(Expr variable)
    {
        var byNode = Steps.ToDictionary(s => s.Node);
        var needed = new HashSet<Expr>();
        var stack = new Stack<Expr>();
        stack.Push(variable);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!needed.Add(n) || !byNode.TryGetValue(n, out var step)) continue;
            foreach (var c in step.Contributions) stack.Push(c.Parent);
        }
        return Steps.Where(s => needed.Contains(s.Node)).ToList();
    }
}
