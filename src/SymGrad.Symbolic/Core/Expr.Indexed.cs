using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace SymGrad.Symbolic;

// Indexed expressions: arrays, their elements and lengths, and sums over a bound index. A sum whose body does not
// involve its index is count × body; factors of the body that do not involve the index move out of the sum, so
// 1/(2n) Σ (…)² reads as in the article and costs one multiplication, not n.
public sealed partial class Expr
{
    /// <summary>An index named <paramref name="name"/> (a C# identifier), bound by a <see cref="Sum"/> or free.</summary>
    public static Expr Index(string name)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("Index name must not be empty.", nameof(name));
        return InternTable.GetOrAdd(ExprKind.Index, NoArgs, name, default);
    }

    /// <summary>The element of <paramref name="array"/> at the given indices, one per axis: <c>x[i]</c>, <c>W[j, i]</c>.</summary>
    public static Expr Element(string array, params Expr[] indices)
    {
        if (string.IsNullOrEmpty(array) || array.IndexOf('.') >= 0) throw new ArgumentException("Invalid array name.", nameof(array));
        if (indices.Length == 0) throw new ArgumentException("An element needs at least one index.", nameof(indices));
        foreach (var i in indices)
            if (i is null) throw new ArgumentNullException(nameof(indices));
        return InternTable.GetOrAdd(ExprKind.Element, (Expr[])indices.Clone(), array, default);
    }

    /// <summary>The length of axis <paramref name="axis"/> of <paramref name="array"/>.</summary>
    public static Expr Length(string array, int axis = 0)
    {
        if (string.IsNullOrEmpty(array) || array.IndexOf('.') >= 0) throw new ArgumentException("Invalid array name.", nameof(array));
        if (axis < 0) throw new ArgumentOutOfRangeException(nameof(axis));
        return InternTable.GetOrAdd(ExprKind.Length, NoArgs, array + "." + axis.ToString(CultureInfo.InvariantCulture), default);
    }

    /// <summary>For a <see cref="ExprKind.Length"/>: the array.</summary>
    public string LengthArray => Name!.Substring(0, Name!.IndexOf('.'));

    /// <summary>For a <see cref="ExprKind.Length"/>: the axis.</summary>
    public int LengthAxis => int.Parse(Name!.Substring(Name!.IndexOf('.') + 1), CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>Σ_{index=0}^{count−1} body</c>. Factors of the body free of the index are taken out of the sum; a body free
    /// of it entirely gives count × body.
    /// </summary>
    public static Expr Sum(Expr index, Expr count, Expr body)
    {
        if (index.Kind != ExprKind.Index) throw new ArgumentException($"'{index}' is not an index.", nameof(index));
        if (body.IsZero) return Zero;
        if (!Mentions(body, index)) return Mul(ToFloat(count), body);
        // A guard free of the index holds for every term: Σ_j [c] x_j = [c] Σ_j x_j (so an outer sum can resolve it),
        // also from inside a chain of guards If(a, If(c, x, 0), 0).
        if (body.Kind == ExprKind.If && body._args[2].IsZero)
        {
            var guards = new List<Expr>();
            var inner = body;
            while (inner.Kind == ExprKind.If && inner._args[2].IsZero)
            {
                guards.Add(inner._args[0]);
                inner = inner._args[1];
            }
            var free = guards.Where(g => !Mentions(g, index)).ToList();
            if (free.Count > 0)
            {
                var kept = guards.Where(g => Mentions(g, index)).Reverse().Aggregate(inner, (x, g) => If(g, x, Zero));
                return Enumerable.Reverse(free).Aggregate(Sum(index, count, kept), (x, g) => If(g, x, Zero));
            }
        }
        if (body.Kind == ExprKind.Add)
        {
            // Σ (2a_i + 2b_i) = 2 Σ (a_i + b_i).
            var (content, primitive) = SplitContent(body);
            if (!content.IsOne) return Mul(Const(content), Sum(index, count, primitive));
        }
        if (body.Kind == ExprKind.Mul)
        {
            var outside = body._args.Where(f => !Mentions(f, index)).ToList();
            if (outside.Count > 0)
            {
                var inside = Mul(body._args.Where(f => Mentions(f, index)));
                return Mul(outside.Append(Sum(index, count, inside)));
            }
        }
        return InternTable.GetOrAdd(ExprKind.Sum, new[] { count, body }, index.Name, default);
    }

    /// <summary>For a <see cref="ExprKind.Sum"/> (or another reduction): its bound index.</summary>
    public Expr SumIndex => Index(Name!);

    /// <summary>True for the nodes that bind an index: Σ, max and argmax over it.</summary>
    public bool IsReduction => Kind is ExprKind.Sum or ExprKind.MaxOver or ExprKind.ArgMax;

    /// <summary>
    /// The same reduction (Σ, max or argmax) over <paramref name="index"/> instead of its own: every occurrence of its index
    /// in the body is its own (an outer one of the same name is shadowed), so renaming them all is exact.
    /// </summary>
    public static Expr Reindexed(Expr reduction, Expr index)
    {
        if (!reduction.IsReduction) throw new ArgumentException($"'{reduction}' is not a reduction.", nameof(reduction));
        var body = Substitute(reduction._args[1], reduction.SumIndex, index);
        return reduction.Kind switch
        {
            ExprKind.Sum => Sum(index, reduction._args[0], body),
            ExprKind.MaxOver => MaxOver(index, reduction._args[0], body),
            _ => ArgMax(index, reduction._args[0], body),
        };
    }

    /// <summary>
    /// An element of an array variable at free indices named apart from <paramref name="taken"/> (k, l, m, p, q, r, then
    /// k0, k1, …): the x_k of ∂f/∂x_k. The names chosen are added to <paramref name="taken"/>.
    /// </summary>
    public static Expr FreeElement(string array, int rank, ISet<string> taken)
    {
        var indices = new Expr[rank];
        for (var a = 0; a < rank; a++)
            indices[a] = Index(new[] { "k", "l", "m", "p", "q", "r" }.Concat(Enumerable.Range(0, 100).Select(i => "k" + i.ToString(CultureInfo.InvariantCulture))).First(taken.Add));
        return Element(array, indices);
    }

    /// <summary>
    /// <c>max_{index=0}^{count−1} body</c> (count ≥ 1). Its derivative is the body's at the argmax (the max-pooling rule:
    /// the gradient goes to the window's largest element).
    /// </summary>
    public static Expr MaxOver(Expr index, Expr count, Expr body)
    {
        if (index.Kind != ExprKind.Index) throw new ArgumentException($"'{index}' is not an index.", nameof(index));
        if (!Mentions(body, index)) return body;
        return InternTable.GetOrAdd(ExprKind.MaxOver, new[] { count, body }, index.Name, default);
    }

    /// <summary>The first index below <paramref name="count"/> at which <paramref name="body"/> is largest (0 when none is: all NaN or −∞).</summary>
    public static Expr ArgMax(Expr index, Expr count, Expr body)
    {
        if (index.Kind != ExprKind.Index) throw new ArgumentException($"'{index}' is not an index.", nameof(index));
        if (!Mentions(body, index)) return Zero;
        return InternTable.GetOrAdd(ExprKind.ArgMax, new[] { count, body }, index.Name, default);
    }

    /// <summary>
    /// True when <paramref name="e"/> contains the index <paramref name="index"/> free: not only inside a sum, max or
    /// argmax that binds an index of that name itself.
    /// </summary>
    public static bool Mentions(Expr e, Expr index)
    {
        if (ReferenceEquals(e, index)) return true;
        if (e._args.Length == 0) return false;
        var seen = new HashSet<Expr>();
        var stack = new Stack<Expr>();
        stack.Push(e);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (ReferenceEquals(n, index)) return true;
            // A binder of the same name: only its count can refer to the outer index.
            var args = n.IsReduction && n.Name == index.Name ? new[] { n._args[0] } : n._args;
            foreach (var a in args)
                if (a._args.Length > 0 ? seen.Add(a) : ReferenceEquals(a, index)) stack.Push(a);
        }
        return false;
    }

    /// <summary>
    /// <paramref name="e"/> with every free occurrence of the index <paramref name="index"/> replaced by <paramref name="by"/>.
    /// A sum, max or argmax inside <paramref name="e"/> that binds an index of the same name (two loops both called j)
    /// keeps its own: Σ_j e^(z_j − max_j z_j) at j = k is e^(z_k − max_j z_j), not e^(z_k − z_k).
    /// </summary>
    public static Expr Substitute(Expr e, Expr index, Expr by)
    {
        if (!Mentions(e, index)) return e;
        // Binders of the name, and binders of a name free in what replaces it (Σ_j W[i, j] with i := j would capture it),
        // step aside under fresh names; the first take the name back (their bodies were not touched).
        var free = new HashSet<string>(Graph.PostOrder(by).Where(n => n.Kind == ExprKind.Index).Select(n => n.Name!));
        bool Clashes(Expr n) => n.IsReduction && (n.Name == index.Name || free.Contains(n.Name!));
        if (!Graph.PostOrder(e).Any(Clashes)) return Graph.Rewrite(e, n => ReferenceEquals(n, index) ? by : n);
        var taken = new HashSet<string>(Graph.PostOrder(new[] { e, by }).Where(n => n.Kind == ExprKind.Index || n.IsReduction).Select(n => n.Name!));
        var original = new Dictionary<string, Expr>();
        var protectedForm = Graph.Rewrite(e, n =>
        {
            if (!Clashes(n)) return n;
            var k = 1;
            while (taken.Contains(n.Name + k.ToString(CultureInfo.InvariantCulture))) k++;
            var fresh = Index(n.Name + k.ToString(CultureInfo.InvariantCulture));
            taken.Add(fresh.Name!);
            if (n.Name == index.Name) original[fresh.Name!] = index;
            return Rebind(n, n.SumIndex, fresh);
        });
        var substituted = Graph.Rewrite(protectedForm, n => ReferenceEquals(n, index) ? by : n);
        return Graph.Rewrite(substituted, n => n.IsReduction && original.TryGetValue(n.Name!, out var name) ? Rebind(n, n.SumIndex, name) : n);
    }

    // The reduction n over `to` instead of its index `from`.
    private static Expr Rebind(Expr n, Expr from, Expr to)
    {
        var body = Graph.Rewrite(n._args[1], x => ReferenceEquals(x, from) ? to : x);
        return n.Kind switch
        {
            ExprKind.Sum => Sum(to, n._args[0], body),
            ExprKind.MaxOver => MaxOver(to, n._args[0], body),
            _ => ArgMax(to, n._args[0], body),
        };
    }

}
