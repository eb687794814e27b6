using System;

namespace SymGrad.Symbolic;

/// <summary>
/// What the engine counts as cheap: the one place its cost constants live, read by the simplifier (keep a rewrite
/// only when cheaper), CSE (what to name), the evaluator and the printers (which must compute as the cost model
/// assumes, so the evaluator's values and the generated code's agree bit for bit) and the lowering.
/// </summary>
public static class CostModel
{
    /// <summary>Integer powers up to this magnitude are repeated multiplications (x⁴ = x·x·x·x), not a pow call.</summary>
    public const int MaxUnrolledPower = 4;

    /// <summary>Reductions over a constant count up to this are written out term by term (a pooling window), not looped.</summary>
    public const int MaxUnrolledReduction = 4;

    /// <summary>Approximate operations to compute one node from its arguments.</summary>
    public static int OpCost(Expr n)
    {
        switch (n.Kind)
        {
            case ExprKind.Const:
            case ExprKind.Var:
            case ExprKind.Shared:
                return 0;
            case ExprKind.Add:
                return n.ArgArray.Length - 1;
            case ExprKind.Mul:
                return n.ArgArray.Length - 1;
            case ExprKind.Pow:
            {
                var e = n.ArgArray[1];
                if (e.Kind == ExprKind.Const && e.Value.IsInteger && Math.Abs(e.Value.Numerator) <= MaxUnrolledPower)
                    return (int)Math.Abs(e.Value.Numerator) - (e.Value.IsNegative ? 0 : 1);
                return 4;
            }
            case ExprKind.Call:
            case ExprKind.Exp:
            case ExprKind.Log:
            case ExprKind.Sin:
            case ExprKind.Cos:
            case ExprKind.Tanh:
            case ExprKind.Sigmoid:
            case ExprKind.Atan or ExprKind.Asin or ExprKind.Acos or ExprKind.Asinh or ExprKind.Acosh or ExprKind.Atanh:
            case ExprKind.Atan2 or ExprKind.Hypot or ExprKind.Cbrt or ExprKind.Log2 or ExprKind.Log10:
                return 4;
            case ExprKind.Softplus:
                return 6;
            default:
                return 1;
        }
    }
}
