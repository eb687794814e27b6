using System;
using System.Collections.Generic;
using System.Linq;

namespace SymGrad.Symbolic;

/// <summary>
/// A straight-line program computing several named outputs (a value and its partials) over shared locals.
/// Built by <see cref="CsePass"/>; printed by <see cref="CSharpPrinter"/>.
/// </summary>
public sealed class ExprProgram
{
    internal ExprProgram(IReadOnlyList<string> parameters, IReadOnlyList<(string Name, Expr Value)> outputs,
        IReadOnlyList<(string Name, Expr Node)> locals, Dictionary<Expr, Expr[]> emitArgs, Dictionary<Expr, string> localNames,
        Dictionary<Expr, Expr>? guarded = null)
    {
        Guarded = guarded ?? new Dictionary<Expr, Expr>();
        Parameters = parameters;
        Outputs = outputs;
        Locals = locals;
        EmitArgs = emitArgs;
        LocalNames = localNames;
        NegatedOutputs = FindNegatedOutputs();
        OperationCount = CountOperations(out var transcendental);
        TranscendentalCount = transcendental;
    }

    /// <summary>
    /// Locals only a conditional's branch needs that read array elements, defined under that branch's conditions
    /// (<c>var exp0 = k &lt; n - 1 ? Math.Exp(…x[k + 1]…) : 0.0;</c>): computed once, and only where the guard holds.
    /// </summary>
    internal Dictionary<Expr, Expr> Guarded { get; }

    /// <summary>The expression a local is declared with: its node, or that node under its guard.</summary>
    internal Expr Definition(Expr local) => Guarded.TryGetValue(local, out var g) ? g : local;

    /// <summary>Free variables, sorted by name: the parameters of the emitted method.</summary>
    public IReadOnlyList<string> Parameters { get; }
    /// <summary>The outputs, in order.</summary>
    public IReadOnlyList<(string Name, Expr Value)> Outputs { get; }
    /// <summary>Locals in evaluation order.</summary>
    public IReadOnlyList<(string Name, Expr Node)> Locals { get; }
    /// <summary>Arithmetic operations and function calls the emitted code performs.</summary>
    public int OperationCount { get; }
    /// <summary>
    /// Calls of transcendental functions the emitted code makes (exp, log, the trigonometric and hyperbolic functions,
    /// a square root or power that is not a few multiplications; σ as one exp, softplus as an exp and a log): the
    /// expensive part of most gradients.
    /// </summary>
    public int TranscendentalCount { get; }

    /// <summary>
    /// Outputs (after the first, the returned one) that are the negation of an output written before them, by name:
    /// ∂f/∂y = −∂f/∂x when f depends on x − y is written <c>dy = -dx</c>.
    /// </summary>
    internal Dictionary<string, string> NegatedOutputs { get; }

    private Dictionary<string, string> FindNegatedOutputs()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var written = new Dictionary<Expr, string>();
        foreach (var (name, value) in Outputs.Skip(1))
        {
            if (value.Kind is ExprKind.Add or ExprKind.Mul && !LocalNames.ContainsKey(value) && written.TryGetValue(Expr.Neg(value), out var negated))
                result[name] = negated;
            else written[value] = name;
        }
        return result;
    }

    internal Dictionary<Expr, Expr[]> EmitArgs { get; }
    internal Dictionary<Expr, string> LocalNames { get; }

    /// <summary>The operands a node is emitted with (after pairing of shared sub-sums and sub-products).</summary>
    internal Expr[] ArgsOf(Expr n) => EmitArgs.TryGetValue(n, out var a) ? a : n.ArgArray;

    private int CountOperations(out int transcendental)
    {
        // Every node emitted once (locals and inline subterms of outputs alike) costs its own operations.
        var seen = new HashSet<Expr>();
        var stack = new Stack<(Expr Node, Expr? Parent)>();
        var total = 0;
        foreach (var o in Outputs)
            if (NegatedOutputs.ContainsKey(o.Name)) total++; // -dx
            else stack.Push((o.Value, null));
        transcendental = 0;
        while (stack.Count > 0)
        {
            var (n, parent) = stack.Pop();
            if (LocalNames.ContainsKey(n) && !seen.Add(n)) continue;
            if (!LocalNames.ContainsKey(n) && !seen.Add(n) && n.Kind is ExprKind.Const or ExprKind.Var) continue;
            total += EmittedCost(n, parent);
            transcendental += Transcendentals(n);
            foreach (var a in ArgsOf(n)) stack.Push((a, n));
        }
        return total;
    }

    private static int Transcendentals(Expr n) => n.Kind switch
    {
        ExprKind.Exp or ExprKind.Log or ExprKind.Sin or ExprKind.Cos or ExprKind.Tanh or ExprKind.Sigmoid => 1,
        ExprKind.Atan or ExprKind.Asin or ExprKind.Acos or ExprKind.Asinh or ExprKind.Acosh or ExprKind.Atanh => 1,
        ExprKind.Atan2 or ExprKind.Hypot or ExprKind.Cbrt or ExprKind.Log2 or ExprKind.Log10 => 1,
        ExprKind.Softplus => 2,
        // x², x⁻³ print as products; x^½ is Sqrt, any other exponent Pow.
        ExprKind.Pow => n.ArgArray[1] is { Kind: ExprKind.Const } e && e.Value.IsInteger && Math.Abs(e.Value.Numerator) <= CostModel.MaxUnrolledPower ? 0 : 1,
        _ => 0,
    };

    private int EmittedCost(Expr n, Expr? parent)
    {
        var args = ArgsOf(n);
        switch (n.Kind)
        {
            case ExprKind.Const:
            case ExprKind.Var:
                return 0;
            case ExprKind.Add:
                return args.Length - 1;
            case ExprKind.Mul:
            {
                var (c, num, den) = TermLayout.Fraction(args, LocalNames.ContainsKey);
                var ops = Math.Max(0, num.Count - 1) + (den.Count > 0 ? den.Count : 0);
                if (c.IsMinusOne) ops += parent is { Kind: ExprKind.Add } ? 0 : 1;
                else if (!c.IsOne) ops += 1;
                // A denominator's own power (b² in a / b² is b·b); a denominator b is computed where b is.
                foreach (var d in den) ops += d.Kind == ExprKind.Pow ? Simplifier.OpCost(d) : 0;
                return ops;
            }
            case ExprKind.Pow when parent is { Kind: ExprKind.Mul } && !LocalNames.ContainsKey(n)
                                   && args[1].Kind == ExprKind.Const && args[1].Value.IsNegative:
                return 0; // printed as the product's denominator, whose division the product counted
            case ExprKind.Sigmoid:
                return 4; // 1 / (1 + exp(-x))
            case ExprKind.Softplus:
                return 6; // max(x, 0) + log(1 + exp(-|x|))
            default:
                return Simplifier.OpCost(n);
        }
    }
}

/// <summary>
/// Common-subexpression elimination over a set of outputs computed together. Interning already makes equal
/// subterms one node; this pass also finds sub-sums and sub-products shared between flat n-ary nodes
/// (the adjoint <c>a·b·c</c> inside <c>a·b·c·x₁</c>, <c>a·b·c·x₂</c>, …) by repeatedly pairing the most
/// frequent operand pair, then gives every node used more than once a local.
/// </summary>
public static class CsePass
{
    /// <summary>Builds the program for the named outputs.</summary>
    public static ExprProgram Build(IReadOnlyList<(string Name, Expr Value)> outputs) => Build(outputs, Array.Empty<string>());

    /// <summary>Builds the program; locals avoid the <paramref name="reserved"/> names (e.g. unused parameters).</summary>
    public static ExprProgram Build(IReadOnlyList<(string Name, Expr Value)> outputs, IEnumerable<string> reserved) => Build(outputs, reserved, null);

    /// <summary>
    /// Builds the program with these <paramref name="parameters"/> (and any other variable the outputs read, sorted
    /// after them): a variable algebra cancelled stays a parameter.
    /// </summary>
    public static ExprProgram Build(IReadOnlyList<(string Name, Expr Value)> outputs, IEnumerable<string> reserved, IReadOnlyList<string>? parameters) =>
        Build(outputs, reserved, parameters, primitiveForms: true);

    /// <summary>
    /// As above; with <paramref name="primitiveForms"/> false, σ and softplus stay functions instead of their stable forms
    /// over exp (tensor code: the library's kernels are stable already and one kernel beats seven).
    /// </summary>
    public static ExprProgram Build(IReadOnlyList<(string Name, Expr Value)> outputs, IEnumerable<string> reserved, IReadOnlyList<string>? parameters, bool primitiveForms)
    {
        outputs = Simplifier.CodeForms(outputs, primitiveForms);
        var roots = outputs.Select(o => o.Value).ToList();
        var read = Graph.Variables(roots.ToArray());
        if (parameters is not null)
        {
            var given = new HashSet<string>(parameters, StringComparer.Ordinal);
            read = parameters.Concat(read.Where(v => !given.Contains(v))).ToList();
        }
        parameters = read;
        reserved = reserved.Concat(parameters);
        var emitArgs = PairSharedOperands(roots);
        ReusePrefixProducts(roots, emitArgs);
        ShareScaledSums(roots, emitArgs);

        Expr[] ArgsOf(Expr n) => emitArgs.TryGetValue(n, out var a) ? a : n.ArgArray;

        // Post-order over the emission graph, counting uses.
        var uses = new Dictionary<Expr, int>();
        var order = new List<Expr>();
        var visited = new HashSet<Expr>();
        var stack = new Stack<(Expr Node, int Next)>();
        foreach (var root in roots)
        {
            uses[root] = uses.TryGetValue(root, out var u) ? u + 1 : 1;
            if (!visited.Add(root)) continue;
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                var args = ArgsOf(node);
                if (next < args.Length)
                {
                    stack.Push((node, next + 1));
                    var child = args[next];
                    var weight = UnrolledUses(node, child);
                    uses[child] = uses.TryGetValue(child, out var c) ? c + weight : weight;
                    if (visited.Add(child)) stack.Push((child, 0));
                }
                else order.Add(node);
            }
        }

        // −u is written out at each use rather than named (IsCheapLeafTerm): u is then read once per use, so it is named
        // when that is twice (log-sum-exp's max in three exponents was written out three times). Parents first.
        var outputRoots = new HashSet<Expr>(roots);
        for (var k = order.Count - 1; k >= 0; k--)
        {
            var n = order[k];
            if (uses[n] >= 2 && !outputRoots.Contains(n) && IsCheapLeafTerm(n, ArgsOf(n)))
            {
                var child = ArgsOf(n)[1];
                uses[child] += uses[n] - 1;
            }
        }

        var taken = new HashSet<string>(parameters.Concat(reserved), StringComparer.Ordinal);
        foreach (var o in outputs) taken.Add(o.Name);
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        var locals = new List<(string, Expr)>();
        var localNames = new Dictionary<Expr, string>();
        var outputSet = new HashSet<Expr>(roots);
        // Locals are computed before anything else, whatever the conditions: a value only a conditional's branch needs that
        // reads an array element or divides ints (x[k + 1] under k < n − 1) stays in its branch, where the guard keeps it in
        // range. (It was hoisted, and the gradient threw IndexOutOfRange for every x.)
        HashSet<Expr>? always = null;
        Dictionary<Expr, List<(Expr Condition, bool Branch)>?>? contexts = null;
        var guarded = new Dictionary<Expr, Expr>();
        // (Memoised: a walk per node was quadratic in a chain of 16 000 prefix products.)
        var throws = new Dictionary<Expr, bool>();
        bool MayThrow(Expr n) => Graph.Reaches(n, x => x.Kind is ExprKind.Element or ExprKind.IntDiv or ExprKind.IntRem, throws);
        foreach (var n in order)
        {
            if (n.Kind is ExprKind.Const or ExprKind.Var or ExprKind.Index or ExprKind.Length or ExprKind.Element) continue;
            if (uses[n] < 2) continue;
            if (MayThrow(n) && !(always ??= Unconditional(roots, ArgsOf)).Contains(n))
            {
                // Named all the same where every use sits under one chain of conditions that cannot throw themselves: the
                // local is defined under them (and is read only under them).
                contexts ??= GuardContexts(roots, ArgsOf);
                if (IsIntegerData(n) || !contexts.TryGetValue(n, out var context) || context is null || context.Count == 0 || context.Any(c => MayThrow(c.Condition))) continue;
                var definition = n;
                for (var k = context.Count - 1; k >= 0; k--)
                    definition = context[k].Branch ? Expr.If(context[k].Condition, definition, Expr.Zero) : Expr.If(context[k].Condition, Expr.Zero, definition);
                guarded[n] = definition;
            }
            if (IsCheapLeafTerm(n, ArgsOf(n)) && !outputSet.Contains(n)) continue;
            // A shared adjoint whose product is a local already reads as that local (no `var adj0 = prod1;`).
            if (n.Kind == ExprKind.Shared && localNames.ContainsKey(ArgsOf(n)[0])) continue;
            var name = FreshName(Prefix(n), taken, counters);
            localNames[n] = name;
            locals.Add((name, n));
        }
        return new ExprProgram(parameters, outputs, locals, emitArgs, localNames, guarded);
    }

    private static bool IsIntegerData(Expr n) => n.IsComparison || Graph.Logical(n) != null || n.IsIntegerValued;

    // For each node, the conditions (and which branch) on the way to it from the outputs when that is one chain for every
    // way to it; null when two ways differ.
    private static Dictionary<Expr, List<(Expr Condition, bool Branch)>?> GuardContexts(IReadOnlyList<Expr> roots, Func<Expr, Expr[]> argsOf)
    {
        var result = new Dictionary<Expr, List<(Expr Condition, bool Branch)>?>();
        var stack = new Stack<(Expr Node, List<(Expr Condition, bool Branch)>? Context)>();
        foreach (var r in roots) stack.Push((r, new List<(Expr, bool)>()));
        while (stack.Count > 0)
        {
            var (n, context) = stack.Pop();
            if (result.TryGetValue(n, out var known))
            {
                if (known is null) continue;
                if (context != null && known.Count == context.Count && known.SequenceEqual(context)) continue;
                context = null; // a second, different way: no single guard
            }
            result[n] = context;
            var args = argsOf(n);
            if (n.Kind == ExprKind.If && context != null)
            {
                stack.Push((args[0], context));
                stack.Push((args[1], new List<(Expr, bool)>(context) { (args[0], true) }));
                stack.Push((args[2], new List<(Expr, bool)>(context) { (args[0], false) }));
                continue;
            }
            foreach (var a in args) stack.Push((a, context));
        }
        return result;
    }

    // The nodes every evaluation of the outputs computes: not inside a conditional's branches (its condition, yes).
    private static HashSet<Expr> Unconditional(IReadOnlyList<Expr> roots, Func<Expr, Expr[]> argsOf)
    {
        var seen = new HashSet<Expr>();
        var stack = new Stack<Expr>(roots);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            if (n.Kind == ExprKind.If)
            {
                stack.Push(argsOf(n)[0]);
                continue;
            }
            foreach (var a in argsOf(n)) stack.Push(a);
        }
        return seen;
    }

    // x^2 printed as x * x reads its base twice: a compound base must then be a local.
    private static int UnrolledUses(Expr parent, Expr child)
    {
        // softplus(u) is printed as max(u, 0) + log(1 + e^−|u|): u twice.
        if (parent.Kind == ExprKind.Softplus) return 2;
        // sign(u) is printed as u > 0 ? 1 : u < 0 ? −1 : u (NaN-safe, unlike Math.Sign): u three times.
        if (parent.Kind == ExprKind.Sign) return 3;
        if (parent.Kind != ExprKind.Pow || !ReferenceEquals(parent.ArgArray[0], child)) return 1;
        var e = parent.ArgArray[1];
        if (e.Kind == ExprKind.Const && e.Value.IsInteger && Math.Abs(e.Value.Numerator) >= 2 && Math.Abs(e.Value.Numerator) <= CostModel.MaxUnrolledPower)
            return (int)Math.Abs(e.Value.Numerator);
        return 1;
    }

    // −u is as cheap to write again as to name, and inside a sum it is a subtraction.
    private static bool IsCheapLeafTerm(Expr n, Expr[] args) =>
        n.Kind == ExprKind.Mul && args.Length == 2 && args[0].Kind == ExprKind.Const && args[0].Value.IsMinusOne;

    private static string Prefix(Expr n) => n.Kind switch
    {
        ExprKind.Add => "sum",
        ExprKind.Mul => "prod",
        ExprKind.Pow when n.ArgArray[1].Kind == ExprKind.Const && n.ArgArray[1].Value.Equals(Number.Rational(1, 2)) => "sqrt",
        ExprKind.Pow when n.ArgArray[1].Kind == ExprKind.Const && n.ArgArray[1].Value.IsMinusOne => "inv",
        ExprKind.Pow when n.ArgArray[1].Kind == ExprKind.Const && n.ArgArray[1].Value.Equals(Number.Integer(2)) => "sq",
        ExprKind.Pow => "pow",
        ExprKind.Sigmoid => "sigma",
        ExprKind.Softplus => "softplus",
        ExprKind.If when Graph.Logical(n) != null => "cond",
        ExprKind.If => "sel",
        ExprKind.Shared when n.ArgArray[0].Kind == ExprKind.Add && n.ArgArray[0].ArgArray[0].IsOne => "sum", // log1p's 1 + t
        ExprKind.Shared => "adj",
        ExprKind.Call => "call",
        _ when n.IsComparison => "cond",
        _ => Operators.Of(n.Kind).Name,
    };

    private static string FreshName(string prefix, HashSet<string> taken, Dictionary<string, int> counters)
    {
        counters.TryGetValue(prefix, out var k);
        string name;
        do name = prefix + k++;
        while (taken.Contains(name));
        counters[prefix] = k;
        taken.Add(name);
        return name;
    }

    /// <summary>
    /// Re-pair: while some pair of operands occurs together in two or more sums (or products), at least one of
    /// them with three or more operands, replace the pair by the node of their sum (product) everywhere.
    /// </summary>
    private static Dictionary<Expr, Expr[]> PairSharedOperands(IReadOnlyList<Expr> roots)
    {
        var lists = new Dictionary<Expr, List<Expr>>();
        var signFlips = new Dictionary<Expr, Expr?>();
        var result = new Dictionary<Expr, Expr[]>();
        foreach (var n in Graph.PostOrder(roots))
        {
            if (n.Kind is not (ExprKind.Add or ExprKind.Mul)) continue;
            var operands = n.ArgArray.Where(a => a.Kind != ExprKind.Const).ToList();
            if (n.Kind == ExprKind.Mul && n.ArgArray[0].Kind == ExprKind.Const && n.ArgArray[0].Value.IsNegative)
            {
                // −x·(y − σ) is emitted as x·(σ − y), sharing σ − y with wherever it appears on its own.
                var i = operands.FindIndex(a => a.Kind == ExprKind.Add);
                if (i >= 0)
                {
                    operands[i] = Expr.Neg(operands[i]);
                    var magnitude = -n.ArgArray[0].Value;
                    if (!magnitude.IsOne) signFlips[n] = Expr.Const(magnitude);
                    else signFlips[n] = null;
                }
            }
            // A sum of hundreds of terms (a wide layer's output) has no pair worth its n² bookkeeping.
            if (operands.Count >= 2 && operands.Count <= MaxPairedOperands) lists[n] = operands;
        }

        var pairs = new Dictionary<(ExprKind, Expr, Expr), HashSet<Expr>>();
        // A pair can be chosen when two or more owners hold it and one of them holds more than the pair (three
        // operands, or a constant beside them): the candidates stay ranked (most owners first, then the canonical
        // order), and each round re-ranks only the pairs of the owners it changed — scanning every pair each round
        // was quadratic in the program.
        var openOwners = new Dictionary<(ExprKind, Expr, Expr), int>();
        var ranked = new SortedSet<(int Owners, (ExprKind, Expr, Expr) Key)>(Comparer<(int Owners, (ExprKind, Expr, Expr) Key)>.Create((p, q) =>
            p.Owners != q.Owners ? q.Owners.CompareTo(p.Owners) : CompareKeys(p.Key, q.Key)));
        var rankedOwners = new Dictionary<(ExprKind, Expr, Expr), int>();
        var touched = new HashSet<(ExprKind, Expr, Expr)>();
        void Count(Expr owner, List<Expr> operands, bool add)
        {
            var open = operands.Count >= 3 || owner.ArgArray.Length > operands.Count;
            for (var i = 0; i < operands.Count; i++)
            for (var j = i + 1; j < operands.Count; j++)
            {
                var key = Key(owner.Kind, operands[i], operands[j]);
                if (!pairs.TryGetValue(key, out var set))
                {
                    if (!add) continue;
                    pairs[key] = set = new HashSet<Expr>();
                }
                if (add ? set.Add(owner) : set.Remove(owner))
                {
                    if (open) openOwners[key] = (openOwners.TryGetValue(key, out var k) ? k : 0) + (add ? 1 : -1);
                    touched.Add(key);
                }
            }
        }
        void Rank()
        {
            foreach (var key in touched)
            {
                var owners = pairs[key].Count;
                var wanted = owners >= 2 && openOwners.TryGetValue(key, out var open) && open > 0 ? owners : 0;
                var had = rankedOwners.TryGetValue(key, out var old) ? old : 0;
                if (wanted == had) continue; // an owner's other pairs, taken out and put back as they were
                if (had > 0)
                {
                    ranked.Remove((had, key));
                    rankedOwners.Remove(key);
                }
                if (wanted > 0)
                {
                    ranked.Add((wanted, key));
                    rankedOwners[key] = wanted;
                }
            }
            // A new set, not Clear(): clearing costs the largest capacity the set ever had (every pair, after the
            // first ranking), each round.
            touched = new HashSet<(ExprKind, Expr, Expr)>();
        }
        foreach (var kv in lists) Count(kv.Key, kv.Value, true);
        Rank();

        var budget = 4 * lists.Count + 16;
        while (budget-- > 0 && ranked.Count > 0)
        {
            var chosen = ranked.Min.Key;
            var (kind, x, y) = chosen;
            var pair = kind == ExprKind.Add ? Expr.Add(x, y) : Expr.Mul(x, y);
            foreach (var owner in pairs[chosen].ToList())
            {
                var operands = lists[owner];
                if (ReferenceEquals(owner, pair)) continue;
                Count(owner, operands, false);
                operands.Remove(x);
                operands.Remove(y);
                operands.Add(pair);
                Count(owner, operands, true);
            }
            if (!lists.ContainsKey(pair) && pair.Kind == kind && pair.ArgArray.Length == 2)
            {
                lists[pair] = new List<Expr> { x, y };
                Count(pair, lists[pair], true);
            }
            Rank();
        }

        foreach (var kv in lists)
        {
            var owner = kv.Key;
            var original = owner.ArgArray.Where(a => a.Kind != ExprKind.Const).ToList();
            var flipped = signFlips.TryGetValue(owner, out var flippedCoefficient);
            if (!flipped && original.Count == kv.Value.Count && original.SequenceEqual(kv.Value)) continue;
            var constant = flipped
                ? (flippedCoefficient is null ? Enumerable.Empty<Expr>() : new[] { flippedCoefficient })
                : owner.ArgArray.Where(a => a.Kind == ExprKind.Const);
            result[owner] = constant.Concat(kv.Value).ToArray();
        }
        return result;
    }

    private const int MaxPairedOperands = 32;

    /// <summary>
    /// Scale-canonical sharing: a sum whose terms include c times each term of another sum of the program
    /// (4x − 4y beside x − y) is emitted with c·(that sum) in their place, so the sum is computed once (4.0 * sum0).
    /// </summary>
    private static void ShareScaledSums(IReadOnlyList<Expr> roots, Dictionary<Expr, Expr[]> emitArgs)
    {
        Expr[] ArgsOf(Expr n) => emitArgs.TryGetValue(n, out var a) ? a : n.ArgArray;
        var sums = new List<Expr>();
        var seen = new HashSet<Expr>();
        var stack = new Stack<Expr>(roots);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            if (n.Kind == ExprKind.Add) sums.Add(n);
            foreach (var a in ArgsOf(n)) stack.Push(a);
        }
        if (sums.Count < 2) return;
        // A constant term c is c times the core 1: 2x − 2 beside x − 1 is 2·(x − 1) too.
        static (Number Coefficient, Expr Core) Split(Expr t) =>
            t.Kind == ExprKind.Const && t.Value.IsExact ? (t.Value, Expr.One)
            : t.Kind == ExprKind.Mul && t.ArgArray[0].Kind == ExprKind.Const && t.ArgArray[0].Value.IsExact
                ? (t.ArgArray[0].Value, t.ArgArray.Length == 2 ? t.ArgArray[1] : Expr.Mul(t.ArgArray.Skip(1)))
                : (Number.One, t);
        // The sums that can be shared: a few terms, no inexact constant; each indexed by its rarest core (the one fewest
        // of them hold), so that a sum looks only at the few that could fit it: chains of thousands of statements whose
        // sums all hold x stay linear.
        var shareable = new List<(Expr Sum, (Number, Expr)[] Terms)>();
        var holders = new Dictionary<Expr, int>();
        foreach (var s in sums)
        {
            var args = ArgsOf(s);
            if (args.Length is < 2 or > MaxScaledSumTerms || args.Any(a => a.Kind == ExprKind.Const && !a.Value.IsExact)) continue;
            var terms = args.Select(Split).ToArray();
            shareable.Add((s, terms));
            foreach (var c in terms.Select(t => t.Item2).Distinct()) holders[c] = holders.TryGetValue(c, out var k) ? k + 1 : 1;
        }
        var candidates = new Dictionary<Expr, List<(Expr Sum, (Number, Expr)[] Terms)>>();
        foreach (var (s, terms) in shareable)
        {
            var key = terms.Select((t, i) => (t.Item2, holders[t.Item2], i)).OrderBy(c => c.Item2).ThenBy(c => c.i).First();
            // The verification below matches terms[0]'s coefficient first: the key's term goes first.
            var ordered = terms.Skip(key.i).Take(1).Concat(terms.Where((_, i) => i != key.i)).ToArray();
            if (!candidates.TryGetValue(key.Item1, out var list)) candidates[key.Item1] = list = new();
            list.Add((s, ordered));
        }
        foreach (var t in sums)
        {
            var args = ArgsOf(t);
            if (args.Length < 2 || args.Length > MaxPairedOperands) continue;
            var split = args.Select(Split).ToArray();
            var cores = new Dictionary<Expr, (Number Coefficient, int Index)>();
            for (var i = 0; i < split.Length; i++)
                if (!cores.ContainsKey(split[i].Item2)) cores[split[i].Item2] = (split[i].Item1, i);
            (Expr Sum, Number Scale, int[] Used)? best = null;
            foreach (var entry in cores)
            {
                var (core0, c0) = (entry.Key, entry.Value.Coefficient);
                if (!candidates.TryGetValue(core0, out var list)) continue;
                var examined = 0;
                foreach (var (s, terms) in list)
                {
                    // A core held by many sums is no sum's rarest unless all of them hold it: bounded all the same.
                    if (++examined > MaxScaledCandidates) break;
                    if (ReferenceEquals(s, t) || terms.Length > args.Length || (best is { } b && b.Used.Length >= terms.Length)) continue;
                    var scale = c0 * terms[0].Item1.Reciprocal();
                    var used = new int[terms.Length];
                    var ok = true;
                    for (var k = 0; k < terms.Length && ok; k++)
                    {
                        ok = cores.TryGetValue(terms[k].Item2, out var at) && (at.Coefficient * terms[k].Item1.Reciprocal()).Equals(scale);
                        used[k] = ok ? at.Index : -1;
                    }
                    // Part of the sum (the other has fewer terms), or the whole sum a multiple of one with smaller
                    // coefficients (then the earlier in the canonical order): each rewrite points to a sum with fewer terms
                    // or a smaller one, so none leads back (4x − 4y is 4·(x − y); y − x is −(x − y), not also the reverse).
                    if (ok && (terms.Length < args.Length || (!scale.IsOne && Smaller(terms, s, split, t)))) best = (s, scale, used);
                }
            }
            if (best is not { } chosen) continue;
            var scaled = chosen.Scale.IsOne ? chosen.Sum : Expr.Intern(ExprKind.Mul, Expr.Const(chosen.Scale), chosen.Sum);
            var rest = args.Where((_, i) => Array.IndexOf(chosen.Used, i) < 0).ToList();
            if (rest.Count == 0 && chosen.Scale.IsOne) continue;
            emitArgs[t] = new[] { scaled }.Concat(rest).ToArray();
        }
    }

    private const int MaxScaledSumTerms = 8;
    private const int MaxScaledCandidates = 16;

    private static bool Smaller((Number Coefficient, Expr Core)[] a, Expr sa, (Number Coefficient, Expr Core)[] b, Expr sb)
    {
        static double Weight((Number Coefficient, Expr Core)[] terms) => terms.Sum(t => Math.Abs(t.Coefficient.Value));
        var (wa, wb) = (Weight(a), Weight(b));
        return wa != wb ? wa < wb : ExprOrder.Compare(sa, sb) < 0;
    }

    // A long product whose gradient built prefix products (Differentiator.PrefixProducts) is computed as the last
    // prefix times the last factor: one multiplication instead of m − 1 more.
    private static void ReusePrefixProducts(IReadOnlyList<Expr> roots, Dictionary<Expr, Expr[]> emitArgs)
    {
        var nodes = Graph.PostOrder(roots);
        HashSet<Expr>? present = null;
        foreach (var n in nodes)
        {
            if (n.Kind != ExprKind.Mul || n.ArgArray.Length <= Differentiator.PrefixProductThreshold) continue;
            present ??= new HashSet<Expr>(nodes);
            if (Differentiator.PrefixProducts(n.ArgArray, present.Contains) is not { } prefix) continue;
            var last = prefix[prefix.Length - 1];
            var args = n.ArgArray;
            emitArgs[n] = args[0].Kind == ExprKind.Const ? new[] { args[0], last, args[args.Length - 1] } : new[] { last, args[args.Length - 1] };
        }
    }

    private static (ExprKind, Expr, Expr) Key(ExprKind kind, Expr a, Expr b) =>
        ExprOrder.Compare(a, b) <= 0 ? (kind, a, b) : (kind, b, a);

    private static int CompareKeys((ExprKind, Expr, Expr) p, (ExprKind, Expr, Expr) q)
    {
        var c = p.Item1.CompareTo(q.Item1);
        if (c != 0) return c;
        c = ExprOrder.Compare(p.Item2, q.Item2);
        return c != 0 ? c : ExprOrder.Compare(p.Item3, q.Item3);
    }
}
