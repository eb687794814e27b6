using System;
using System.Collections.Generic;
using System.Linq;

namespace SymGrad.Symbolic;

/// <summary>One application of a named rewrite rule, as recorded for derivation logs.</summary>
public sealed class RuleApplication
{
    internal RuleApplication(string rule, Expr before, Expr after)
    {
        Rule = rule;
        Before = before;
        After = after;
    }

    /// <summary>The rule's name (<c>expand</c>, <c>logistic</c>).</summary>
    public string Rule { get; }
    /// <summary>The subterm the rule fired on.</summary>
    public Expr Before { get; }
    /// <summary>What it became.</summary>
    public Expr After { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Rule}: {Before} => {After}";
}

/// <summary>A named rewrite rule. <see cref="Apply"/> returns null when it does not match.</summary>
public sealed class SimplificationRule
{
    internal SimplificationRule(string name, string description, bool onlyWhenCheaper, Func<Expr, Expr?> apply)
    {
        Name = name;
        Description = description;
        OnlyWhenCheaper = onlyWhenCheaper;
        Apply = apply;
    }

    /// <summary>The rule's name.</summary>
    public string Name { get; }
    /// <summary>What it does.</summary>
    public string Description { get; }
    /// <summary>True when the result is kept only if it costs fewer operations than the input.</summary>
    public bool OnlyWhenCheaper { get; }
    /// <summary>Rewrites one node (whose arguments are already simplified), or returns null.</summary>
    public Func<Expr, Expr?> Apply { get; }
}

/// <summary>
/// Bottom-up simplification by a table of named rules on top of the constructors' canonical form.
/// Results are memoised, so simplifying many expressions that share nodes costs each node once.
/// Nodes in <see cref="Free"/> (typically the primal function's own nodes, which the gradient program computes
/// anyway) cost nothing when rules compare costs.
/// </summary>
public sealed class Simplifier
{
    private readonly Dictionary<Expr, Expr> _memo = new();

    /// <summary>The rules, in the order they are tried on each node.</summary>
    public static IReadOnlyList<SimplificationRule> Rules { get; } = new[]
    {
        new SimplificationRule("logistic", @"\frac{1}{1 + e^{-u}} \to \sigma(u)", false, Logistic),
        new SimplificationRule("logistic product", @"e^{u} \sigma(-u) \to \sigma(u)", false, LogisticProduct),
        new SimplificationRule("logistic symmetry", @"a\,\sigma(-u) + b\,\sigma(u) \to a\,(1 - \sigma(u)) + b\,\sigma(u)", true, LogisticSymmetry),
        new SimplificationRule("softplus", @"\log(1 + e^{u}) \to \operatorname{softplus}(u),\; \log \sigma(u) \to -\operatorname{softplus}(-u)", false, StableLog),
        new SimplificationRule("softplus", @"\max(u, 0) + \operatorname{softplus}(-|u|) \to \operatorname{softplus}(u)", false, StableSoftplusSum),
        new SimplificationRule("log-sum-exp", @"\log \sum_j e^{u_j} \to m + \log \sum_j e^{u_j - m},\; m = \max_j u_j", false, e => e.Kind == ExprKind.Log ? LogSumExp(e.ArgArray[0]) : null),
        new SimplificationRule("piecewise product", @"[c]\,a \cdot b \to [c]\,(a b)", false, PiecewiseProduct),
        new SimplificationRule("piecewise quotient", @"\left(a + [c]\,x\right) d \to a d + [c]\,(x d)", false, PiecewiseQuotient),
        new SimplificationRule("piecewise sum", @"[c]\,a + [c]\,b \to [c]\,(a + b),\; [c]\,a + [\neg c]\,b \to \begin{cases} a & c \\ b & \neg c \end{cases}", false, PiecewiseSum),
        new SimplificationRule("expand", @"a (b + c) \to a b + a c", true, e => e.Kind == ExprKind.Mul && MayCancel(e) ? Expand(e, 256) : null),
        new SimplificationRule("factor", @"a b + a c \to a (b + c)", true, Factor),
        new SimplificationRule("sum of terms", @"\sum_i (a + b_i) \to n a + \sum_i b_i", true, SumOfTerms),
    };

    // Σ_i (a + b_i) = n·a + Σ_i b_i for the terms a free of i: kept only when cheaper, which is when something cancels
    // (Σ_i (mean − x_i) with mean = Σ_i x_i / n is n·mean − Σ_i x_i = 0).
    private static Expr? SumOfTerms(Expr e)
    {
        if (e.Kind != ExprKind.Sum || e.ArgArray[1].Kind != ExprKind.Add) return null;
        var index = e.SumIndex;
        var terms = e.ArgArray[1].ArgArray;
        var free = terms.Where(t => !Expr.Mentions(t, index)).ToList();
        if (free.Count == 0) return null;
        return Expr.Add(Expr.Mul(Expr.ToFloat(e.ArgArray[0]), Expr.Add(free)), Expr.Sum(index, e.ArgArray[0], Expr.Add(terms.Where(t => Expr.Mentions(t, index)).ToList())));
    }

    /// <summary>Nodes whose cost is already paid (the primal graph).</summary>
    public HashSet<Expr> Free { get; } = new();

    /// <summary>
    /// Simplifies for reading as mathematics (<see cref="MathematicalForm"/>): the log-sum-exp rule, which shifts by the
    /// maximum for range, does not fire.
    /// </summary>
    public bool Mathematical { get; set; }

    /// <summary>When set, every rule application is appended here.</summary>
    public List<RuleApplication>? Log { get; set; }

    /// <summary>Simplifies an expression.</summary>
    public Expr Simplify(Expr e) => Graph.Rewrite(e, Step, _memo);

    /// <summary>Leaves <paramref name="e"/> (and so everything below it) as it is in every later simplification.</summary>
    internal void Keep(Expr e) => _memo[e] = e;

    private Expr Step(Expr e)
    {
        for (var round = 0; round < 8; round++)
        {
            var changed = false;
            foreach (var rule in Rules)
            {
                if (Mathematical && rule.Name == "log-sum-exp") continue;
                var r = rule.Apply(e);
                if (r is null || ReferenceEquals(r, e)) continue;
                if (rule.OnlyWhenCheaper && Cost(r) >= Cost(e)) continue;
                Log?.Add(new RuleApplication(rule.Name, e, r));
                // A rule may build new subterms (If(c, a·b, 0) from [c]·a·b): they get simplified too, so that
                // e^u·σ(−u) inside the branch still becomes σ(u).
                e = r.ArgArray.Length == 0 ? r : r.WithArgs(r.ArgArray.Select(Simplify).ToArray());
                changed = true;
                break;
            }
            if (!changed) break;
        }
        return e;
    }

    /// <summary>Operation count of the nodes reachable from <paramref name="e"/> that are not <see cref="Free"/>.</summary>
    public int Cost(Expr e)
    {
        var seen = new HashSet<Expr>();
        var stack = new Stack<Expr>();
        stack.Push(e);
        var cost = 0;
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n) || Free.Contains(n)) continue;
            cost += OpCost(n);
            if (n.Kind == ExprKind.Shared) continue; // paid for where it is computed
            foreach (var a in n.ArgArray) stack.Push(a);
        }
        return cost;
    }

    /// <summary>Approximate operations to compute one node from its arguments (<see cref="CostModel.OpCost"/>).</summary>
    public static int OpCost(Expr n) => CostModel.OpCost(n);

    // ---- code forms ----------------------------------------------------------------------------
    // The rewrites of emitted code only (CSE applies them to what it is about to name; derivations never show them),
    // here beside the rules so every optional rewrite has one home; the canonical forms every node is built in are
    // the constructors' (Core/Expr.Construct.cs).
    // Forms more exact (and no more costly) to compute than the ones derivations show:
    // - r·tanh²(u) − r, in any sum that holds both terms (1 − tanh², tanh² − 1, c − c·tanh², as the tanh rule and the
    //   expansion of its products leave them), as −r·sech²(u) with sech²(u) = 4e/(1 + e)², e = e^−2|u|: 1 − tanh²
    //   cancels to 0 from |u| ≈ 19 on (7.6 in float) where sech² keeps its relative accuracy (sech²(30) = 3.5e-26,
    //   GELU″(8.5) = −2.9e-22, not 0). Likewise r(1 ± tanh u) as 2r·σ(±2u) through the same e (1 + tanh u cancels for
    //   u → −∞: GELU's 0.5x(1 + tanh u)). Where tanh(u) is needed nowhere else this is one exp instead of a tanh (about
    //   2× faster); where it is, one exp beside it.
    // - r·σ(u) − r as −r·σ(−u) (σ′ = σ(1 − σ) is 0 from u ≈ 37 on, σ(u)σ(−u) is not); σ(u) as (u ≥ 0 ? 1 : e)/(1 + e)
    //   with e = e^−|u|, one e for σ(u) and σ(−u).
    // - softplus(u) as max(u, 0) + log1p(e^−|u|), log1p in Goldberg's form (below).
    // With primitives false (tensor code, whose σ, softplus and tanh are library kernels already computed stably) only the
    // sums are rewritten: σ and softplus stay functions.
    internal static IReadOnlyList<(string Name, Expr Value)> CodeForms(IReadOnlyList<(string Name, Expr Value)> outputs, bool primitives = true)
    {
        var memo = new Dictionary<Expr, Expr>();
        var rewritten = outputs.Select(o => (o.Name, Value: Graph.Rewrite(o.Value, n => CodeForm(n, primitives), memo))).ToList();
        if (!primitives) return rewritten;
        // Collected from the rewritten graph: the pairs above make σ(−u) of their own.
        var sigmoids = new HashSet<Expr>(Graph.PostOrder(rewritten.Select(o => o.Value).ToList()).Where(n => n.Kind == ExprKind.Sigmoid));
        if (sigmoids.Count == 0) return rewritten;
        // Every σ(u) as (u ≥ 0 ? 1 : e)/(1 + e), e = e^−|u|: 1 / (1 + e^−u) is 0 once e^−u overflows (u < −709.8 in double,
        // −88.7 in float) where σ(u) = e^u is still a subnormal number that a factor can bring back into range
        // (Mish′(−710) = −3.2e-306). σ(u) beside σ(−u) (σ′ = σ(u)σ(−u) once 1 − σ(u) is σ(−u)) share one e and one
        // condition, so that their product meets as e/(1 + e)².
        var forms = new Dictionary<Expr, Expr>();
        foreach (var sg in sigmoids)
        {
            if (forms.ContainsKey(sg)) continue;
            var u = sg.ArgArray[0];
            var e = Expr.Exp(Expr.Neg(Expr.Abs(u)));
            forms[sg] = SigmoidThrough(u, e, 1);
            var negated = Expr.Sigmoid(Expr.Neg(u));
            if (sigmoids.Contains(negated)) forms[negated] = SigmoidThrough(u, e, -1);
        }
        var memo2 = new Dictionary<Expr, Expr>();
        return rewritten.Select(o => (o.Name, Graph.Rewrite(o.Value, n => forms.TryGetValue(n, out var r) ? r : SigmoidProduct(n), memo2))).ToList();
    }

    // σ(u)σ(−u) as built above, (u ≥ 0 ? 1 : e)(u ≥ 0 ? e : 1)/(1 + e)², is e/(1 + e)² on both sides of 0.
    private static Expr SigmoidProduct(Expr n)
    {
        if (n.Kind != ExprKind.Mul) return n;
        var factors = n.ArgArray;
        for (var i = 0; i < factors.Length; i++)
        {
            if (factors[i] is not { Kind: ExprKind.If } a || !a.ArgArray[1].IsOne) continue;
            var (condition, e) = (a.ArgArray[0], a.ArgArray[2]);
            var j = Array.FindIndex(factors, f => f.Kind == ExprKind.If && ReferenceEquals(f.ArgArray[0], condition) && ReferenceEquals(f.ArgArray[1], e) && f.ArgArray[2].IsOne);
            if (j < 0) continue;
            var rest = new List<Expr>(factors.Length - 1) { e };
            for (var k = 0; k < factors.Length; k++) if (k != i && k != j) rest.Add(factors[k]);
            return Expr.Mul(rest);
        }
        return n;
    }

    private static Expr CodeForm(Expr n, bool primitives)
    {
        if (n.Kind == ExprKind.Softplus && primitives)
        {
            // In nodes, not text, so CSE shares e^−|u| and the logarithm between softplus(u) and softplus(−u)
            // (|−u| = |u|): a stable cross-entropy costs one exp and one log, as the unstable one.
            var u = n.ArgArray[0];
            return Expr.Add(Expr.Max(u, Expr.Zero), Log1p(Expr.Exp(Expr.Neg(Expr.Abs(u)))));
        }
        return n.Kind == ExprKind.Add ? TailPairs(n, primitives) : n;
    }

    // In a sum, each term r·tanh²(u) whose negated cofactor −r is also a term: the pair as −r·sech²(u); then each
    // term r·tanh(u) beside r or −r: r(1 + tanh u) = 2r·σ(2u), r(tanh u − 1) = −2r·σ(−2u); then each r·σ(u) beside −r:
    // −r·σ(−u) (1 − σ(u) is 0 from u ≈ 37 on, σ(−u) is not), or beside −r/2: (r/2)·tanh(u/2) (σ(u) − ½ has no digits left
    // near u = 0: σ″(1e-300) = −1.25e-301, not 0).
    private static Expr TailPairs(Expr sum, bool primitives)
    {
        var terms = sum.ArgArray;
        List<Expr>? result = null;
        var used = new bool[terms.Length];
        // Each term's position, built at the first candidate: a sum of n terms costs O(n), not O(n²).
        Dictionary<Expr, int>? positions = null;
        // The position of an unused term other than i equal to partner, or −1.
        int Find(Expr partner, int i)
        {
            if (positions is null)
            {
                positions = new Dictionary<Expr, int>(terms.Length);
                for (var t = 0; t < terms.Length; t++) if (!positions.ContainsKey(terms[t])) positions[terms[t]] = t;
            }
            return positions.TryGetValue(partner, out var at) && at != i && !used[at] ? at : -1;
        }
        void Take(int i, int j, Expr replacement)
        {
            used[i] = used[j] = true;
            (result ??= new List<Expr>()).Add(replacement);
        }
        static bool IsTanh(Expr e) => e.Kind == ExprKind.Tanh;
        static bool IsTanhSquare(Expr e) =>
            e.Kind == ExprKind.Pow && e.ArgArray[0].Kind == ExprKind.Tanh && e.ArgArray[1].Kind == ExprKind.Const && e.ArgArray[1].Value.Value == 2;
        static bool IsSigmoid(Expr e) => e.Kind == ExprKind.Sigmoid;

        for (var i = 0; i < terms.Length; i++)
        {
            if (used[i] || Cofactor(terms[i], IsTanhSquare) is not var (r, square)) continue;
            if (Find(Expr.Neg(r), i) is var j && j >= 0) Take(i, j, Expr.Neg(Expr.Mul(r, Sech2(square.ArgArray[0].ArgArray[0]))));
        }
        for (var i = 0; i < terms.Length; i++)
        {
            if (used[i] || Cofactor(terms[i], IsTanh) is not var (r, tanh)) continue;
            if (Find(r, i) is var j && j >= 0) Take(i, j, Expr.Mul(Expr.Const(2), r, Sigmoid2(tanh.ArgArray[0], 1, primitives)));
            else if ((j = Find(Expr.Neg(r), i)) >= 0) Take(i, j, Expr.Mul(Expr.Const(-2), r, Sigmoid2(tanh.ArgArray[0], -1, primitives)));
        }
        for (var i = 0; i < terms.Length; i++)
        {
            if (used[i] || Cofactor(terms[i], IsSigmoid) is not var (r, sigmoid)) continue;
            var u = sigmoid.ArgArray[0];
            if (Find(Expr.Neg(r), i) is var j && j >= 0) Take(i, j, Expr.Neg(Expr.Mul(r, Expr.Sigmoid(Expr.Neg(u)))));
            else if ((j = Find(Expr.Mul(Expr.Const(Number.Rational(-1, 2)), r), i)) >= 0) Take(i, j, Expr.Mul(Expr.Half, r, Expr.Tanh(Expr.Mul(Expr.Half, u))));
        }
        if (result is null) return sum;
        for (var i = 0; i < terms.Length; i++) if (!used[i]) result.Add(terms[i]);
        return Expr.Add(result);
    }

    // term = cofactor · factor, with factor the first factor of the term (or the term itself) that matches?
    private static (Expr Cofactor, Expr Factor)? Cofactor(Expr term, Func<Expr, bool> matches)
    {
        if (matches(term)) return (Expr.One, term);
        if (term.Kind != ExprKind.Mul) return null;
        var k = Array.FindIndex(term.ArgArray, f => matches(f));
        if (k < 0) return null;
        var rest = new List<Expr>(term.ArgArray.Length - 1);
        for (var i = 0; i < term.ArgArray.Length; i++) if (i != k) rest.Add(term.ArgArray[i]);
        return (Expr.Mul(rest), term.ArgArray[k]);
    }

    // sech²(u) = 4e/(1 + e)², e = e^−2|u| ∈ (0, 1]: no overflow, no cancellation.
    private static Expr Sech2(Expr u)
    {
        var e = TanhExp(u);
        return Expr.Mul(Expr.Const(4), e, Expr.Pow(OnePlus(e), Expr.Const(-2)));
    }

    // σ(2u) (sign 1) or σ(−2u) (sign −1) through the same e = e^−2|u| as sech²(u); without primitives the function itself.
    private static Expr Sigmoid2(Expr u, int sign, bool primitives) =>
        primitives ? SigmoidThrough(u, TanhExp(u), sign) : Expr.Sigmoid(Expr.Mul(Expr.Const(2 * sign), u));

    // σ(±ku) given e = e^−k|u|: (u ≥ 0 ? 1 : e)/(1 + e) for +, (u ≥ 0 ? e : 1)/(1 + e) for −; exact for every u.
    private static Expr SigmoidThrough(Expr u, Expr e, int sign)
    {
        var nonNegative = Expr.Compare(ExprKind.GreaterEqual, u, Expr.Zero);
        return Expr.Mul(sign == 1 ? Expr.If(nonNegative, Expr.One, e) : Expr.If(nonNegative, e, Expr.One), Expr.Pow(OnePlus(e), Expr.MinusOne));
    }

    // 1 + e as one node for sech², σ and log1p alike (Shared: log1p needs (1 + e) − 1 kept as written).
    private static Expr OnePlus(Expr e) => Expr.Shared(Expr.Add(Expr.One, e));

    private static Expr TanhExp(Expr u) => Expr.Exp(Expr.Mul(Expr.Const(-2), Expr.Abs(u)));

    // log(1 + t) with relative accuracy for small t, where log(1 + t) as written loses the digits of t that 1 + t
    // rounds away (all of them below 2^−53: softplus(−43) = log(1 + e^−43) would be 0, not 2.1e-19). Goldberg's
    // form: w = 1 + t; w == 1 ? t : log(w) · t / (w − 1) — the rounding of w cancels between log(w) and w − 1, so the
    // result is within a few ulps of log1p(t) for every t > −1 (What Every Computer Scientist Should Know About
    // Floating-Point Arithmetic, Theorem 4). w is Shared so that w − 1 stays as written instead of folding to t.
    internal static Expr Log1p(Expr t)
    {
        var w = OnePlus(t);
        return Expr.If(Expr.Compare(ExprKind.Equal, w, Expr.One), t,
            Expr.Mul(Expr.Log(w), t, Expr.Pow(Expr.Add(w, Expr.MinusOne), Expr.MinusOne)));
    }

    /// <summary>log(1 + t) with relative accuracy for small t (<see cref="Log1p(Expr)"/>'s form, in doubles).</summary>
    public static double Log1p(double t)
    {
        var w = 1.0 + t;
        return w == 1.0 ? t : Math.Log(w) * t / (w - 1.0);
    }

    // ---- rules ----------------------------------------------------------------------------------

    // (1 + e^u)^-1 → σ(−u)
    private static Expr? Logistic(Expr e)
    {
        if (e.Kind != ExprKind.Pow || !ReferenceEquals(e.ArgArray[1], Expr.MinusOne)) return null;
        var b = e.ArgArray[0];
        if (b.Kind != ExprKind.Add || b.ArgArray.Length != 2 || !b.ArgArray[0].IsOne || b.ArgArray[1].Kind != ExprKind.Exp) return null;
        return Expr.Sigmoid(Expr.Neg(b.ArgArray[1].ArgArray[0]));
    }

    // Logarithms that overflow or lose everything when computed as written, in their stable forms:
    // log(1 + e^u) → softplus(u); log σ(u) = −log(1 + e^−u) → −softplus(−u); log(1 − σ(u)) = log σ(−u) → −softplus(u).
    private static Expr? StableLog(Expr e)
    {
        if (e.Kind != ExprKind.Log) return null;
        var a = e.ArgArray[0];
        if (a.Kind == ExprKind.Sigmoid) return Expr.Neg(Expr.Softplus(Expr.Neg(a.ArgArray[0])));
        if (a.Kind != ExprKind.Add || a.ArgArray.Length != 2 || !a.ArgArray[0].IsOne) return null;
        var rest = a.ArgArray[1];
        if (rest.Kind == ExprKind.Exp) return Expr.Softplus(rest.ArgArray[0]);
        if (rest.Kind == ExprKind.Mul && rest.ArgArray.Length == 2 && rest.ArgArray[0].Kind == ExprKind.Const && rest.ArgArray[0].Value.IsMinusOne && rest.ArgArray[1].Kind == ExprKind.Sigmoid)
            return Expr.Neg(Expr.Softplus(rest.ArgArray[1].ArgArray[0]));
        return null;
    }

    // max(u, 0) + log(1 + e^−|u|), the stable softplus written by hand (the usual binary cross-entropy on a logit), is
    // softplus(u): one smooth function whose derivative at u = 0 is σ(0) = ½. Differentiated as written, max's and |u|'s
    // conventions at 0 (1 or 0, and sign(0) = 0) would give 0 or 1 there. (The log term is softplus(−|u|) by then.)
    private static Expr? StableSoftplusSum(Expr e)
    {
        if (e.Kind != ExprKind.Add) return null;
        static (Number C, Expr Core) Scaled(Expr t) =>
            t.Kind == ExprKind.Mul && t.ArgArray.Length == 2 && t.ArgArray[0].Kind == ExprKind.Const ? (t.ArgArray[0].Value, t.ArgArray[1]) : (Number.One, t);
        var terms = e.ArgArray;
        for (var i = 0; i < terms.Length; i++)
        {
            var (c, max) = Scaled(terms[i]);
            if (max.Kind != ExprKind.Max) continue;
            var u = max.ArgArray[0].IsZero ? max.ArgArray[1] : max.ArgArray[1].IsZero ? max.ArgArray[0] : null;
            if (u is null) continue;
            var tail = Expr.Softplus(Expr.Neg(Expr.Abs(u)));
            for (var j = 0; j < terms.Length; j++)
            {
                var (d, other) = Scaled(terms[j]);
                if (j == i || !ReferenceEquals(other, tail) || !d.Equals(c)) continue;
                var rest = terms.Where((_, k) => k != i && k != j).ToList();
                rest.Add(Expr.Mul(Expr.Const(c), Expr.Softplus(u)));
                return Expr.Add(rest);
            }
        }
        return null;
    }

    // log Σ_j e^{u_j} overflows once some u_j > 709 and is −∞ once every u_j < −745: shifted by the largest, as
    // m + log Σ_j e^{u_j − m} with m = max_j u_j, it is finite for all finite u (the largest term is e^0 = 1). Written
    // for an indexed sum (m a max over the index) and for a sum of exponentials (m a chain of max). A sum already
    // shifted (its exponent holds a max) is left alone, so the rule does not apply twice.
    private static Expr? LogSumExp(Expr a)
    {
        static bool Shifted(Expr u) => Graph.PostOrder(u).Any(n => n.Kind is ExprKind.MaxOver or ExprKind.Max);
        if (a.Kind == ExprKind.Sum && a.ArgArray[1].Kind == ExprKind.Exp && !Shifted(a.ArgArray[1].ArgArray[0]))
        {
            var (index, count, u) = (a.SumIndex, a.ArgArray[0], a.ArgArray[1].ArgArray[0]);
            var m = Expr.MaxOver(index, count, u);
            if (m.Kind != ExprKind.MaxOver) return null;
            return Expr.Add(m, Expr.Log(Expr.Sum(index, count, Expr.Exp(Expr.Sub(u, m)))));
        }
        if (a.Kind == ExprKind.Add && a.ArgArray.Length >= 2 && a.ArgArray.All(t => t.Kind == ExprKind.Exp && !Shifted(t.ArgArray[0])))
        {
            var exponents = a.ArgArray.Select(t => t.ArgArray[0]).ToList();
            var m = BalancedMax(exponents, 0, exponents.Count);
            return Expr.Add(m, Expr.Log(Expr.Add(exponents.Select(u => Expr.Exp(Expr.Sub(u, m))))));
        }
        return null;
    }

    // max(u₀, …, u₍ₙ₋₁₎) as a balanced tree of binary max: log₂ n deep, where a chain n deep would have the printer and
    // the compiler recurse n levels (log-sum-exp of 5 000 terms ran out of stack).
    private static Expr BalancedMax(IReadOnlyList<Expr> items, int start, int count) =>
        count == 1 ? items[start] : Expr.Max(BalancedMax(items, start, count / 2), BalancedMax(items, start + count / 2, count - count / 2));

    // (a + [c] x) · d with d a denominator: the factor goes into the branch, where it may cancel ([c] (−S) / S = −[c], which
    // a sibling [c] then meets: a shifted softmax's argmax terms). Only two-term sums, so nothing grows.
    private static Expr? PiecewiseQuotient(Expr e)
    {
        if (e.Kind != ExprKind.Mul || e.ArgArray.Length != 2) return null;
        var (sum, d) = e.ArgArray[0].Kind == ExprKind.Add ? (e.ArgArray[0], e.ArgArray[1]) : (e.ArgArray[1], e.ArgArray[0]);
        if (sum.Kind != ExprKind.Add || sum.ArgArray.Length != 2 || !IsDenominator(d)) return null;
        var branch = sum.ArgArray.FirstOrDefault(t => t.Kind == ExprKind.If && t.ArgArray[2].IsZero);
        if (branch is null) return null;
        var other = sum.ArgArray[0] == branch ? sum.ArgArray[1] : sum.ArgArray[0];
        return Expr.Add(Expr.Mul(other, d), Expr.If(branch.ArgArray[0], Expr.Mul(branch.ArgArray[1], d), Expr.Zero));
    }

    // A sum holding both σ(−u) and σ(u) (the gradient of a cross-entropy in its stable form, −y σ(−z) + (1 − y) σ(z)):
    // σ(−u) = 1 − σ(u) lets the terms meet and cancel (to σ(z) − y); kept only when the result is cheaper.
    private static Expr? LogisticSymmetry(Expr e)
    {
        if (e.Kind != ExprKind.Add) return null;
        var sigmas = new HashSet<Expr>(e.ArgArray.SelectMany(t => t.Kind == ExprKind.Mul ? t.ArgArray : new[] { t }).Where(f => f.Kind == ExprKind.Sigmoid));
        foreach (var s in sigmas)
        {
            if (!Expr.LeadsNegative(s.ArgArray[0])) continue;
            var positive = Expr.Sigmoid(Expr.Neg(s.ArgArray[0]));
            if (!sigmas.Contains(positive)) continue;
            var complement = Expr.Sub(Expr.One, positive);
            var met = Expr.Add(e.ArgArray.Select(t =>
            {
                // σ(−u) is a factor of the term (that is where it was found): replacing it there is enough, and
                // costs the term's length instead of its whole graph.
                var replaced = ReferenceEquals(t, s) ? complement
                    : t.Kind == ExprKind.Mul && Array.IndexOf(t.ArgArray, s) >= 0 ? Expr.Mul(t.ArgArray.Select(f => ReferenceEquals(f, s) ? complement : f))
                    : t;
                return Expand(replaced, 64) ?? replaced;
            }));
            // What the terms still share comes back out: (σ(z) − y) x, not σ(z) x − x y.
            return Factor(met) ?? met;
        }
        return null;
    }

    // e^u · σ(−u) = e^u / (1 + e^u) → σ(u)
    private static Expr? LogisticProduct(Expr e)
    {
        if (e.Kind != ExprKind.Mul) return null;
        var args = e.ArgArray;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].Kind != ExprKind.Exp) continue;
            var target = Expr.Sigmoid(Expr.Neg(args[i].ArgArray[0]));
            var j = Array.IndexOf(args, target);
            if (j < 0) continue;
            return Expr.Mul(args.Where((_, k) => k != i && k != j).Append(Expr.Sigmoid(args[i].ArgArray[0])));
        }
        return null;
    }

    private static bool IsPiecewiseWithZero(Expr f, out int zeroBranch)
    {
        zeroBranch = 0;
        if (f.IsComparison)
        {
            zeroBranch = 2;
            return true;
        }
        if (f.Kind != ExprKind.If) return false;
        if (f.ArgArray[2].IsZero) zeroBranch = 2;
        else if (f.ArgArray[1].IsZero) zeroBranch = 1;
        return zeroBranch != 0;
    }

    // A comparison c is the piecewise [c ? 1 : 0].
    private static (Expr Condition, Expr WhenTrue, Expr WhenFalse) AsPiecewise(Expr f) =>
        f.IsComparison ? (f, Expr.One, Expr.Zero) : (f.ArgArray[0], f.ArgArray[1], f.ArgArray[2]);

    // If(c, a, 0) * b → If(c, a*b, 0): the zero branch costs nothing at run time.
    private static Expr? PiecewiseProduct(Expr e)
    {
        if (e.Kind != ExprKind.Mul) return null;
        var args = e.ArgArray;
        for (var i = 0; i < args.Length; i++)
        {
            if (!IsPiecewiseWithZero(args[i], out var zero)) continue;
            var others = args.Where((_, j) => j != i).ToList();
            var (c, t, f) = AsPiecewise(args[i]);
            // A constant not into a branch that is piecewise itself: it would travel down a chain of nested
            // conditionals (c₀ ? 0 : c₁ ? 0 : … : 3), a copy of the chain per term — quadratic in the chain. (Other
            // factors go in: a factor infinite where the branch is not taken must stay inside it, or 0 · ∞ is NaN.)
            if (others.All(o => o.Kind == ExprKind.Const) && IsPiecewiseWithZero(zero == 2 ? t : f, out _)) continue;
            return zero == 2 ? Expr.If(c, Expr.Mul(others.Append(t)), Expr.Zero) : Expr.If(c, Expr.Zero, Expr.Mul(others.Append(f)));
        }
        return null;
    }

    // If(c, a, 0) + If(c, b, 0) → If(c, a + b, 0)
    private static Expr? PiecewiseSum(Expr e)
    {
        if (e.Kind != ExprKind.Add) return null;
        var groups = new Dictionary<(Expr, int), List<int>>();
        var args = e.ArgArray;
        for (var i = 0; i < args.Length; i++)
        {
            if (!IsPiecewiseWithZero(args[i], out var zero)) continue;
            var key = (AsPiecewise(args[i]).Condition, zero);
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = new List<int>();
            list.Add(i);
        }
        foreach (var kv in groups)
        {
            if (kv.Value.Count < 2) continue;
            var (c, zero) = kv.Key;
            var sum = Expr.Add(kv.Value.Select(i => zero == 2 ? AsPiecewise(args[i]).WhenTrue : AsPiecewise(args[i]).WhenFalse));
            var merged = zero == 2 ? Expr.If(c, sum, Expr.Zero) : Expr.If(c, Expr.Zero, sum);
            var rest = args.Where((_, j) => !kv.Value.Contains(j)).Append(merged);
            return Expr.Add(rest);
        }
        // [c] a + [¬c] b → (c ? a : b): one piecewise node instead of two. Without it the adjoint of a chain of n
        // conditionals (t = t > c ? f(t) : g(t)) held both branches as separate terms at each step, and constants
        // distributed into them doubled the graph per step (n = 50 took 75 s to generate).
        foreach (var kv in groups)
        {
            var (c, zero) = kv.Key;
            if (zero != 2 || !groups.TryGetValue((c, 1), out var other)) continue;
            var (i, j) = (kv.Value[0], other[0]);
            var merged = Expr.If(c, AsPiecewise(args[i]).WhenTrue, AsPiecewise(args[j]).WhenFalse);
            return Expr.Add(args.Where((_, k) => k != i && k != j).Append(merged));
        }
        return null;
    }

    // Expanding pays off when a denominator can cancel (σ(1−σ)·(a/σ + b/(1−σ))); elsewhere it only grows terms.
    private static bool MayCancel(Expr mul)
    {
        var hasSum = false;
        var hasDenominator = false;
        foreach (var f in mul.ArgArray)
        {
            if (IsDenominator(f)) hasDenominator = true;
            if (f.Kind != ExprKind.Add) continue;
            hasSum = true;
            foreach (var t in f.ArgArray)
            {
                if (IsDenominator(t)) hasDenominator = true;
                else if (t.Kind == ExprKind.Mul)
                    foreach (var g in t.ArgArray)
                        if (IsDenominator(g)) hasDenominator = true;
            }
        }
        return hasSum && hasDenominator;
    }

    private static bool IsDenominator(Expr f) =>
        f.Kind == ExprKind.Pow && f.ArgArray[1].Kind == ExprKind.Const && f.ArgArray[1].Value.IsNegative;

    /// <summary>
    /// Distributes products over sums, recursively, into at most <paramref name="maxTerms"/> terms; null when
    /// larger. One sum factor is distributed at a time and each partial product is rebuilt canonically, so a
    /// factor that cancels against a denominator (<c>(1−σ)·a/(1−σ)</c>) cancels before it would be expanded;
    /// where several sums could go first, the cheapest outcome wins. Does not look inside functions.
    /// </summary>
    public static Expr? Expand(Expr e, int maxTerms)
    {
        var budget = 64;
        var terms = ExpandTerms(e, maxTerms, ref budget);
        return terms is null ? null : Expr.Add(terms);
    }

    private static List<Expr>? ExpandTerms(Expr e, int maxTerms, ref int budget)
    {
        if (--budget < 0) return null;
        switch (e.Kind)
        {
            case ExprKind.Add:
            {
                var all = new List<Expr>();
                foreach (var t in e.ArgArray)
                {
                    var sub = ExpandTerms(t, maxTerms, ref budget);
                    if (sub is null) return null;
                    all.AddRange(sub);
                    if (all.Count > maxTerms) return null;
                }
                return all;
            }
            case ExprKind.Mul:
            {
                List<Expr>? best = null;
                var bestCost = int.MaxValue;
                var args = e.ArgArray;
                var tried = 0;
                for (var i = 0; i < args.Length && tried < 3; i++)
                {
                    if (args[i].Kind != ExprKind.Add) continue;
                    tried++;
                    var others = args.Where((_, j) => j != i).ToArray();
                    var terms = new List<Expr>();
                    foreach (var t in args[i].ArgArray)
                    {
                        var sub = ExpandTerms(Expr.Mul(others.Append(t)), maxTerms, ref budget);
                        if (sub is null) return best;
                        terms.AddRange(sub);
                        if (terms.Count > maxTerms) return best;
                    }
                    var cost = TreeCost(Expr.Add(terms));
                    if (cost < bestCost)
                    {
                        best = terms;
                        bestCost = cost;
                    }
                }
                return best ?? new List<Expr> { e };
            }
            default:
                return new List<Expr> { e };
        }
    }

    // The cost of an expansion: its sums, products and powers, each other node an atom counted once and not entered —
    // every choice of expansion holds the same atoms, and entering them would cost the size of the whole graph below
    // (a sum of two terms over a network's output, re-measured for each of its units, was quadratic in the network).
    private static int TreeCost(Expr e)
    {
        var total = 0;
        var seen = new HashSet<Expr>();
        var stack = new Stack<Expr>();
        stack.Push(e);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            total += OpCost(n);
            if (n.Kind is ExprKind.Add or ExprKind.Mul or ExprKind.Pow)
                foreach (var a in n.ArgArray) stack.Push(a);
        }
        return total;
    }

    // a*b + a*c → a*(b + c), for every factor common to all terms.
    private static Expr? Factor(Expr e)
    {
        if (e.Kind != ExprKind.Add) return null;
        var args = e.ArgArray;
        if (args[0].Kind == ExprKind.Const) return null;
        List<Expr>? common = null;
        foreach (var t in args)
        {
            var factors = Factors(t);
            common = common is null ? factors : common.Where(factors.Contains).ToList();
            if (common.Count == 0) return null;
        }
        var divisor = Expr.Mul(common!);
        var inverse = Expr.Pow(divisor, Expr.MinusOne);
        var quotients = args.Select(t => Expr.Mul(t, inverse)).ToList();
        return Expr.Mul(divisor, Expr.Add(quotients));
    }

    private static List<Expr> Factors(Expr t)
    {
        var (_, rest) = Expr.SplitCoefficient(t);
        return rest.Kind == ExprKind.Mul ? rest.ArgArray.ToList() : new List<Expr> { rest };
    }
}
