using System;
using System.Collections.Generic;
using System.Linq;

namespace SymGrad.Symbolic;

/// <summary>Walks over expression DAGs without recursion, so very deep graphs do not overflow the stack.</summary>
public static class Graph
{
    /// <summary>Every node reachable from the roots once, children before parents.</summary>
    public static List<Expr> PostOrder(IEnumerable<Expr> roots)
    {
        var order = new List<Expr>();
        var seen = new HashSet<Expr>();
        var stack = new Stack<(Expr Node, int Next)>();
        foreach (var root in roots)
        {
            if (!seen.Add(root)) continue;
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                var args = node.ArgArray;
                if (next < args.Length)
                {
                    stack.Push((node, next + 1));
                    var child = args[next];
                    if (seen.Add(child)) stack.Push((child, 0));
                }
                else order.Add(node);
            }
        }
        return order;
    }

    /// <summary>Every node reachable from the root once, children before parents.</summary>
    public static List<Expr> PostOrder(Expr root) => PostOrder(new[] { root });

    /// <summary>The free variables of the expressions, sorted by name (ordinal).</summary>
    public static List<string> Variables(params Expr[] roots)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var n in PostOrder(roots))
            if (n.Kind == ExprKind.Var) names.Add(n.Name!);
        return new List<string>(names);
    }

    /// <summary>
    /// Number of nodes the expression has when written out as a tree (shared subterms counted every time they
    /// occur), or <paramref name="cap"/> if that is smaller: what a printer without locals would write.
    /// </summary>
    public static long TreeSize(Expr root, long cap = long.MaxValue) => TreeSize(root, cap, new Dictionary<Expr, long>());

    /// <summary>
    /// As <see cref="TreeSize(Expr, long)"/>, reusing and filling <paramref name="sizes"/> (sizes under this
    /// <paramref name="cap"/>): nodes measured before are not walked again, so measuring n expressions that share a graph
    /// costs the graph once.
    /// </summary>
    public static long TreeSize(Expr root, long cap, Dictionary<Expr, long> sizes)
    {
        if (sizes.TryGetValue(root, out var known)) return known;
        var stack = new Stack<(Expr Node, bool Expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (n, expanded) = stack.Pop();
            if (sizes.ContainsKey(n)) continue;
            if (!expanded)
            {
                stack.Push((n, true));
                foreach (var a in n.ArgArray)
                    if (!sizes.ContainsKey(a)) stack.Push((a, false));
                continue;
            }
            long s = 1;
            foreach (var a in n.ArgArray) s = Math.Min(cap, s + sizes[a]);
            sizes[n] = s;
        }
        return sizes[root];
    }

    /// <summary>Number of distinct nodes (the DAG size).</summary>
    public static int Size(params Expr[] roots) => PostOrder(roots).Count;

    /// <summary>
    /// For each node reachable from the roots, whether it depends on any of the given variables.
    /// </summary>
    public static Dictionary<Expr, bool> DependsOn(IEnumerable<Expr> roots, ISet<Expr> variables) => DependsOn(roots, variables, null);

    /// <summary>As above; an element of an array in <paramref name="arrays"/> depends on the variables too.</summary>
    public static Dictionary<Expr, bool> DependsOn(IEnumerable<Expr> roots, ISet<Expr> variables, ISet<string>? arrays)
    {
        var result = new Dictionary<Expr, bool>();
        foreach (var n in PostOrder(roots))
        {
            var d = (n.Kind == ExprKind.Var && variables.Contains(n)) || (n.Kind == ExprKind.Element && arrays != null && arrays.Contains(n.Name!));
            if (!d)
                foreach (var a in n.ArgArray)
                    if (result[a]) { d = true; break; }
            result[n] = d;
        }
        return result;
    }

    /// <summary>
    /// Replaces, top-down, each node that <paramref name="map"/> holds by its value: a node is matched before its
    /// arguments are rewritten (a sum computed into an accumulator is replaced whole, even when a sum inside it is
    /// computed too). Shared nodes are rewritten once per <paramref name="memo"/>.
    /// </summary>
    public static Expr ReplaceTopDown(Expr root, IReadOnlyDictionary<Expr, Expr> map, Dictionary<Expr, Expr>? memo = null)
    {
        memo ??= new Dictionary<Expr, Expr>();
        Expr Walk(Expr n)
        {
            if (map.TryGetValue(n, out var v)) return v;
            if (n.ArgArray.Length == 0) return n;
            if (memo.TryGetValue(n, out var done)) return done;
            var args = n.ArgArray.Select(Walk).ToArray();
            var result = args.Where((a, i) => !ReferenceEquals(a, n.ArgArray[i])).Any() ? n.WithArgs(args) : n;
            memo[n] = result;
            return result;
        }
        return Walk(root);
    }

    /// <summary>
    /// Rebuilds the graph bottom-up, replacing each node by <paramref name="rewrite"/> of the node rebuilt over
    /// its rewritten arguments. Shared nodes are rewritten once.
    /// </summary>
    public static Expr Rewrite(Expr root, System.Func<Expr, Expr> rewrite, Dictionary<Expr, Expr>? memo = null)
    {
        memo ??= new Dictionary<Expr, Expr>();
        if (memo.TryGetValue(root, out var done)) return done;
        // Post-order that does not descend into nodes already rewritten, so repeated calls that share a memo
        // (one per adjoint in a reverse sweep) cost only their new nodes.
        var stack = new Stack<(Expr Node, int Next)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (n, next) = stack.Pop();
            var args = n.ArgArray;
            if (next < args.Length)
            {
                stack.Push((n, next + 1));
                if (!memo.ContainsKey(args[next])) stack.Push((args[next], 0));
                continue;
            }
            if (memo.ContainsKey(n)) continue;
            Expr rebuilt = n;
            if (args.Length > 0)
            {
                var changed = false;
                var newArgs = new Expr[args.Length];
                for (var i = 0; i < args.Length; i++)
                {
                    newArgs[i] = memo[args[i]];
                    changed |= !ReferenceEquals(newArgs[i], args[i]);
                }
                if (changed) rebuilt = n.WithArgs(newArgs);
            }
            memo[n] = rewrite(rebuilt);
        }
        return memo[root];
    }

    /// <summary>
    /// Whether <paramref name="root"/> or a node below it satisfies <paramref name="at"/>, remembered per node in
    /// <paramref name="memo"/> (children first, an explicit stack: linear over graphs that share a memo, any depth).
    /// </summary>
    internal static bool Reaches(Expr root, System.Func<Expr, bool> at, Dictionary<Expr, bool> memo)
    {
        if (memo.TryGetValue(root, out var known)) return known;
        var stack = new Stack<(Expr Node, bool Expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (n, expanded) = stack.Pop();
            if (memo.ContainsKey(n)) continue;
            if (!expanded)
            {
                stack.Push((n, true));
                foreach (var a in n.ArgArray)
                    if (!memo.ContainsKey(a)) stack.Push((a, false));
                continue;
            }
            memo[n] = at(n) || n.ArgArray.Any(a => memo[a]);
        }
        return memo[root];
    }

    /// <summary>Replaces variables (by node) with expressions.</summary>
    public static Expr Substitute(Expr root, IReadOnlyDictionary<Expr, Expr> replacements) =>
        Rewrite(root, n => replacements.TryGetValue(n, out var r) ? r : n);

    /// <summary>
    /// A condition built of comparisons by C#'s logical operators, as the front end reads them: If(a, b, 0) is a ∧ b
    /// ("&amp;&amp;"), If(a, 1, b) is a ∨ b ("||"), If(a, 0, 1) is ¬a ("!", no right operand); null for anything else.
    /// </summary>
    public static (string Op, Expr Left, Expr? Right)? Logical(Expr c)
    {
        if (c.Kind != ExprKind.If || !IsCondition(c.ArgArray[0])) return null;
        var (a, b, d) = (c.ArgArray[0], c.ArgArray[1], c.ArgArray[2]);
        if (d.IsZero && IsCondition(b)) return ("&&", a, b);
        if (b.IsConst && b.Value.IsOne && IsCondition(d)) return ("||", a, d);
        if (b.IsZero && d.IsConst && d.Value.IsOne) return ("!", a, null);
        return null;
    }

    // A comparison, or a logical combination of comparisons.
    private static bool IsCondition(Expr c) => c.IsComparison || Logical(c) != null;

    /// <summary>
    /// The comparisons a condition is the conjunction of: a comparison, a product of conjunctions, or If(c, d, 0);
    /// null for anything else.
    /// </summary>
    internal static List<Expr>? Conjuncts(Expr c)
    {
        if (c.IsComparison) return new List<Expr> { c };
        var parts = c.Kind == ExprKind.Mul ? c.ArgArray : c.Kind == ExprKind.If && c.ArgArray[2].IsZero ? new[] { c.ArgArray[0], c.ArgArray[1] } : null;
        if (parts is null) return null;
        var all = new List<Expr>();
        foreach (var p in parts)
        {
            if (Conjuncts(p) is not { } inner) return null;
            all.AddRange(inner);
        }
        return all;
    }
}
