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

    // One stack per thread, reused: a comparison is the hottest operation of construction and CSE, and most end
    // after a node or two.
    [ThreadStatic] private static Stack<(Expr, Expr)>? _pending;

    /// <summary>
    /// Nodes up to this height are ordered structurally only; deeper ones come after them, by height first. Formulas
    /// people write are far shallower, so their order is the structural one; the order stays total (lexicographic in
    /// (height above this, structure)), and comparing two deep nodes of different heights takes one step.
    /// </summary>
    public const int DeepHeight = 64;

    /// <summary>Negative, zero or positive as <paramref name="a"/> sorts before, with or after <paramref name="b"/>.</summary>
    public static int Compare(Expr a, Expr b)
    {
        if (ReferenceEquals(a, b)) return 0;
        // Lexicographic over (kind, payload, arity, arguments…), walked with an explicit stack so that comparing
        // two very deep graphs cannot overflow the call stack.
        var pending = _pending ??= new Stack<(Expr, Expr)>();
        pending.Clear();
        pending.Push((a, b));
        while (pending.Count > 0)
        {
            var (x, y) = pending.Pop();
            if (ReferenceEquals(x, y)) continue;
            // Nodes deeper than DeepHeight sort after all others, by height: two chains of locals (t = sin(t) + x,
            // n times) would otherwise be walked down to where they differ, n levels, at each comparison.
            var hx = x.Height > DeepHeight ? x.Height : 0;
            var hy = y.Height > DeepHeight ? y.Height : 0;
            if (hx != hy) return hx.CompareTo(hy);
            // Powers sort by their base so that x, x^2 and y come out as x, x^2, y.
            var bx = x.Kind == ExprKind.Pow ? x.ArgArray[0] : x;
            var by = y.Kind == ExprKind.Pow ? y.ArgArray[0] : y;
            if (!ReferenceEquals(bx, by) && (!ReferenceEquals(bx, x) || !ReferenceEquals(by, y)))
            {
                pending.Push((bx, by));
                continue;
            }
            if (x.Kind != y.Kind) return x.Kind.CompareTo(y.Kind);
            int c;
            switch (x.Kind)
            {
                case ExprKind.Const:
                    c = x.Value.CompareTo(y.Value);
                    if (c != 0) return c;
                    continue;
                case ExprKind.Var:
                case ExprKind.Index:
                case ExprKind.Length:
                    c = string.CompareOrdinal(x.Name, y.Name);
                    if (c != 0) return c;
                    continue;
                case ExprKind.Element:
                case ExprKind.Sum:
                case ExprKind.MaxOver:
                case ExprKind.ArgMax:
                case ExprKind.Call:
                    c = string.CompareOrdinal(x.Name, y.Name);
                    if (c != 0) return c;
                    break;
            }
            var xa = x.ArgArray;
            var ya = y.ArgArray;
            if (xa.Length != ya.Length) return xa.Length.CompareTo(ya.Length);
            for (var i = xa.Length - 1; i >= 0; i--) pending.Push((xa[i], ya[i]));
        }
        return 0;
    }

    internal static void Sort(List<Expr> items) => items.Sort(Instance);

    internal static void Sort(Expr[] items) => Array.Sort(items, Instance);
}
