using System;
using System.Collections.Generic;

namespace SymGrad.Symbolic;

/// <summary>
/// The canonical total order on expressions used to sort the arguments of commutative operations.
/// It is structural (kind, then constant value or variable name, then arguments), so it does not depend on
/// the order in which nodes were created: <c>x + y</c> and <c>y + x</c> intern to the same node in any run.
/// </summary>
public sealed class ExprOrder : IComparer<Expr>
{
    /// <summary>The single instance.</summary>
    public static readonly ExprOrder Instance = new();

    /// <inheritdoc />
    int IComparer<Expr>.Compare(Expr? x, Expr? y) => Compare(x!, y!);

    /// <summary>Negative, zero or positive as <paramref name="a"/> sorts before, with or after <paramref name="b"/>.</summary>
    public static int Compare(Expr a, Expr b)
    {
        if (ReferenceEquals(a, b)) return 0;
        // Powers sort by their base so that x, x^2 and y come out as x, x^2, y.
        var ba = a.Kind == ExprKind.Pow ? a.ArgArray[0] : a;
        var bb = b.Kind == ExprKind.Pow ? b.ArgArray[0] : b;
        if (!ReferenceEquals(ba, bb) && (ba != a || bb != b)) return Compare(ba, bb);
        if (a.Kind != b.Kind) return a.Kind.CompareTo(b.Kind);
        switch (a.Kind)
        {
            case ExprKind.Const:
                return a.Value.CompareTo(b.Value);
            case ExprKind.Var:
                return string.CompareOrdinal(a.Name, b.Name);
        }
        var xa = a.ArgArray;
        var xb = b.ArgArray;
        if (xa.Length != xb.Length) return xa.Length.CompareTo(xb.Length);
        for (var i = 0; i < xa.Length; i++)
        {
            var c = Compare(xa[i], xb[i]);
            if (c != 0) return c;
        }
        return 0;
    }

    internal static void Sort(List<Expr> items) => items.Sort(Instance);

    internal static void Sort(Expr[] items) => Array.Sort(items, Instance);
}
