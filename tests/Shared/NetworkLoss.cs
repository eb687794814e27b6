using System.Collections.Generic;
using System.Linq;
using SymGrad.Symbolic;

namespace SymGrad.Tests.Shared;

/// <summary>
/// The loss of a one-hidden-layer network written as one expression: tanh hidden units, a logistic output and
/// binary cross-entropy, L = −(y log σ(o) + (1 − y) log(1 − σ(o))), o = Σ_j v_j tanh(Σ_i W_ji x_i + b_j) + c.
/// Parameters: W (hidden × inputs), b (hidden), v (hidden), c.
/// </summary>
public sealed class NetworkLoss
{
    public NetworkLoss(int inputs, int hidden)
    {
        var x = Enumerable.Range(0, inputs).Select(i => Expr.Var("x" + i)).ToArray();
        var parameters = new List<Expr>();
        var units = new List<Expr>();
        for (var j = 0; j < hidden; j++)
        {
            var w = Enumerable.Range(0, inputs).Select(i => Expr.Var($"W{j}_{i}")).ToArray();
            var b = Expr.Var("b" + j);
            parameters.AddRange(w);
            parameters.Add(b);
            var pre = Expr.Add(w.Select((wi, i) => wi * x[i]).Append(b));
            var v = Expr.Var("v" + j);
            parameters.Add(v);
            units.Add(v * Expr.Tanh(pre));
        }
        var c = Expr.Var("c");
        parameters.Add(c);
        var o = Expr.Add(units.Append(c));
        var y = Expr.Var("y");
        // Written the way a user would: σ spelled out, so the engine has to recognise it.
        var p = 1.0 / (1.0 + Expr.Exp(-o));
        Loss = -(y * Expr.Log(p) + (1 - y) * Expr.Log(1 - p));
        Parameters = parameters;
    }

    public Expr Loss { get; }
    public IReadOnlyList<Expr> Parameters { get; }

    /// <summary>Differentiate, simplify and CSE: the whole job behind one generated gradient method.</summary>
    public ExprProgram GradientProgram()
    {
        return CsePass.Build(Differentiator.Gradient(Loss, Parameters).Outputs());
    }

    public ExprProgram PrimalProgram() => CsePass.Build(new[] { ("value", new Simplifier().Simplify(Loss)) });
}
