using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace SymGrad.Symbolic;

/// <summary>
/// Prints expressions, partial derivatives and step-by-step derivations as LaTeX that KaTeX and MathJax
/// render: <c>\frac</c>, <c>\partial</c>, <c>\sigma</c>, <c>\tanh</c>, subscripts for <c>w1</c>/<c>w_1</c>,
/// Greek letters for their names, and parentheses exactly where precedence needs them.
/// </summary>
public static class LatexPrinter
{
    private const int Sum = 1, Product = 2, Power = 3, Atom = 4;

    private static readonly HashSet<string> Greek = new(StringComparer.Ordinal)
    {
        "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
        "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
        "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
    };

    /// <summary>Expressions larger than this many nodes written out (shared subterms repeated) print as a placeholder.</summary>
    public const long MaxPrintedSize = 4000;

    /// <summary>An expression; one too large to read when written out prints as a placeholder saying its size.</summary>
    public static string Print(Expr e)
    {
        using var scope = Memoize();
        var memo = _memo!;
        // (A node printed before as a subterm is in the memo as emitted: its lengths are named here as anywhere else.)
        if (memo.TryGetValue(e, out var done)) return SingleLength(e, done.Text);
        return WrittenSize(e) > MaxPrintedSize
            ? @"\text{(an expression of more than " + MaxPrintedSize.ToString(System.Globalization.CultureInfo.InvariantCulture) + " terms written out, too large to print)}"
            : SingleLength(e, Emit(e).Text);
    }

    // Graph.TreeSize capped just past MaxPrintedSize, remembered per node while the scope is open: the n partials of one
    // function share its graph, and measuring each from scratch was quadratic.
    [ThreadStatic] private static Dictionary<Expr, long>? _sizes;

    private static long WrittenSize(Expr root) => Graph.TreeSize(root, MaxPrintedSize + 1, _sizes ??= new Dictionary<Expr, long>());

    // Subterms already printed, while a memo scope is open on this thread (expressions are immutable and
    // interned, so a node prints the same every time; shared subterms print once).
    [ThreadStatic] private static Dictionary<Expr, (string Text, int Precedence)>? _memo;

    /// <summary>
    /// Opens a scope in which this thread remembers the LaTeX of every subterm it prints, until disposed: for
    /// printing several formulas and derivations of one function. Scopes nest; the outermost one clears the memo.
    /// </summary>
    public static IDisposable Memoize() => Memoize(null);

    /// <summary>
    /// As <see cref="Memoize()"/>, for the formulas of one function (<paramref name="document"/>): its array lengths are
    /// named once for all of them, so a partial that mentions only one of several lengths still names it n_{x}, not n.
    /// </summary>
    public static IDisposable Memoize(Expr? document) => Memoize(document, false);

    /// <summary>
    /// As <see cref="Memoize(Expr)"/>; with <paramref name="singlePrecision"/> (a float method) a constant that is a
    /// binary32 value prints as the shortest decimal that reads back as it (1e30f is 10^{30}, not 1.0000000150474662 · 10^{30}).
    /// </summary>
    public static IDisposable Memoize(Expr? document, bool singlePrecision) =>
        Memoize(document is null ? null : new[] { document }, singlePrecision);

    /// <summary>
    /// As <see cref="Memoize(Expr, bool)"/> for a function written as several formulas (a loop's initial values, its
    /// step and the value after it): the lengths any of them mentions are named once for all. With
    /// <paramref name="lengthsByName"/> every length prints as n_{x}, never as a bare n (a loop's formulas name their step
    /// count T = n_{x}, and an n would be defined nowhere).
    /// </summary>
    public static IDisposable Memoize(IReadOnlyList<Expr>? document, bool singlePrecision, bool lengthsByName = false)
    {
        if (_memo != null) return MemoScope.Inner;
        _memo = new Dictionary<Expr, (string, int)>();
        _document = document;
        _lengthsByName = lengthsByName;
        _single = singlePrecision;
        return MemoScope.Outer;
    }

    // The function whose formulas the open memo scope prints, if one was given, and whether it computes in float.
    [ThreadStatic] private static IReadOnlyList<Expr>? _document;
    [ThreadStatic] private static bool _single;
    [ThreadStatic] private static bool _lengthsByName;

    private sealed class MemoScope : IDisposable
    {
        public static readonly MemoScope Inner = new(false), Outer = new(true);
        private readonly bool _owner;
        private MemoScope(bool owner) => _owner = owner;
        public void Dispose()
        {
            if (!_owner) return;
            _memo = null;
            _sizes = null;
            _document = null;
            _single = false;
            _lengthsByName = false;
        }
    }

    private static string Text(Expr e) => Emit(e).Text;

    // With one array length in a formula (in every formula of the function being printed, when it is known), it is
    // the article's n; x.Length prints n_{x} otherwise, so two lengths never print as the same n.
    private static string SingleLength(Expr e, string text)
    {
        if (_lengthsByName || text.IndexOf("n_{", StringComparison.Ordinal) < 0) return text;
        Expr? single = null;
        foreach (var n in _document is null ? Graph.PostOrder(e) : Graph.PostOrder(_document))
        {
            if (n.Kind == ExprKind.Var && n.Name!.StartsWith("n", StringComparison.Ordinal)) return text;
            if (n.Kind != ExprKind.Length) continue;
            if (single != null && !ReferenceEquals(single, n)) return text;
            single = n;
        }
        return single is null ? text : text.Replace(Emit(single).Text, "n");
    }

    /// <summary><c>\frac{\partial f}{\partial w} = …</c>.</summary>
    public static string PrintPartial(string function, Expr variable, Expr partial) =>
        Partial(function, variable) + " = " + Print(partial);

    /// <summary>Every partial of a gradient, one equation per line.</summary>
    public static IReadOnlyList<string> PrintGradient(string function, Gradient gradient) =>
        gradient.Variables.Select((v, i) => PrintPartial(function, v, gradient.Partials[i])).ToList();

    /// <summary>The LaTeX of a variable name: <c>w1</c> → <c>w_{1}</c>, <c>alpha</c> → <c>\alpha</c>, <c>yHat</c> → <c>\hat{y}</c>.</summary>
    public static string Symbol(string name)
    {
        // A static field read by its qualified access (global::N.T.Alpha): its own name (α for alpha).
        if (name.StartsWith("global::", StringComparison.Ordinal)) name = name.Substring(name.LastIndexOf('.') + 1);
        if (name.Length > 1 && name.EndsWith("'", StringComparison.Ordinal)) return Symbol(name.Substring(0, name.Length - 1)) + "'";
        var underscore = name.IndexOf('_');
        if (underscore > 0 && underscore < name.Length - 1)
            return Symbol(name.Substring(0, underscore)) + "_{" + Subscript(name.Substring(underscore + 1)) + "}";
        var digits = name.Length;
        while (digits > 0 && char.IsDigit(name[digits - 1])) digits--;
        if (digits > 0 && digits < name.Length)
            return Symbol(name.Substring(0, digits)) + "_{" + name.Substring(digits) + "}";
        if (name.Length > 3 && name.EndsWith("Hat", StringComparison.Ordinal)) return @"\hat{" + Symbol(name.Substring(0, name.Length - 3)) + "}";
        if (Greek.Contains(name)) return "\\" + name;
        if (name.Length == 1) return name;
        return @"\mathrm{" + name.Replace("_", @"\_") + "}";
    }

    private static string Subscript(string s) =>
        s.All(char.IsLetterOrDigit) && (s.Length == 1 || s.All(char.IsDigit)) ? s : Symbol(s);

    /// <summary><c>\frac{\partial f}{\partial x}</c>, with parentheses around a compound denominator.</summary>
    public static string Partial(string function, Expr of)
    {
        var inner = Emit(of);
        var d = of.Kind == ExprKind.Var || inner.Precedence >= Power ? inner.Text : @"\left(" + inner.Text + @"\right)";
        return @"\frac{\partial " + function + @"}{\partial " + d + "}";
    }

    /// <summary>
    /// The step-by-step derivation of ∂f/∂<paramref name="variable"/>: the rewrites of the function, names
    /// <c>u_1, u_2, …</c> for its longer intermediate terms, then for each node on the way from the output to the
    /// variable the chain-rule sum, the rule that fired and the simplified result. A LaTeX <c>aligned</c> block.
    /// </summary>
    public static string PrintDerivation(string function, Gradient gradient, Expr variable) => PrintDerivation(function, gradient, variable, long.MaxValue);

    /// <summary>
    /// The derivation, cut with a note where its lines pass <paramref name="maxChars"/> characters: each line is bounded
    /// (<see cref="MaxPrintedSize"/> terms), but an adjoint shared along a chain of conditionals prints as a tree that
    /// doubles per step, and 64 steps of such lines ran to megabytes.
    /// </summary>
    public static string PrintDerivation(string function, Gradient gradient, Expr variable, long maxChars)
    {
        using var scope = Memoize();
        var d = gradient.Derivation;
        var steps = d.StepsFor(variable);
        if (steps.Count > MaxDerivationSteps)
        {
            // A derivation nobody would read is not worth its quadratic size in generated code and docs.
            var result = steps[steps.Count - 1].Result;
            return @"\begin{aligned}" + "\n" + Partial(function, variable) + " &= " + Print(result) +
                   @" && \text{(" + steps.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " chain-rule steps; derivation omitted)}\n" + @"\end{aligned}";
        }
        var lines = new List<string> { function + " &= " + Print(d.Input) };
        // The function as the code computes it (its rewrites), then as mathematics (MathematicalForm) when that differs.
        var mathematics = d.FunctionRewrites.FirstOrDefault(r => r.Rule.StartsWith(MathematicalForm.NotePrefix, StringComparison.Ordinal));
        var code = mathematics is null ? d.FunctionRewrites : d.FunctionRewrites.TakeWhile(r => !ReferenceEquals(r, mathematics)).ToList();
        if (mathematics != null && code.Count > 0 && !ReferenceEquals(mathematics.Before, d.Input))
            lines.Add(@"&= " + Print(mathematics.Before) + Because(string.Join(", ", code.Select(r => r.Rule).Distinct())));
        if (mathematics != null)
            lines.Add(@"&= " + Print(d.Function) + Because(string.Join(", ", d.FunctionRewrites.SkipWhile(r => !ReferenceEquals(r, mathematics)).Select(r => r.Rule).Distinct())));
        else if (d.FunctionRewrites.Count > 0)
            lines.Add(@"&= " + Print(d.Function) + Because(string.Join(", ", d.FunctionRewrites.Select(r => r.Rule).Distinct())));

        // Intermediate terms too long to repeat in every fraction get names, innermost first, each defined
        // through the names before it; later lines refer to them by name.
        var names = new Dictionary<Expr, Expr>();
        var named = steps.Select(s => s.Node).Concat(steps.SelectMany(s => s.Contributions.Select(c => c.Parent)))
            .Where(n => n.Kind != ExprKind.Var && !ReferenceEquals(n, d.Function) && Print(n).Length > 12)
            .Distinct().OrderBy(n => n.Height).ThenBy(n => n, ExprOrder.Instance).ToList();
        var memo = new Dictionary<Expr, Expr>();
        Expr Named(Expr e)
        {
            if (names.TryGetValue(e, out var v)) return v;
            if (memo.TryGetValue(e, out var done)) return done;
            var result = e.ArgArray.Length == 0 ? e : e.WithArgs(e.ArgArray.Select(Named).ToArray());
            memo[e] = result;
            return result;
        }
        // u₁, u₂, … unless the function has names of that form itself (a parameter u_1, an array u): then v₁, … .
        var used = new HashSet<string>(Graph.PostOrder(new[] { d.Input, d.Function, variable })
            .Where(n => n.Name != null || n.Kind == ExprKind.Length).Select(n => n.Kind == ExprKind.Length ? n.LengthArray : n.Name!), StringComparer.Ordinal);
        var prefix = new[] { "u", "v", "g", "h" }.FirstOrDefault(p => !used.Any(t => t == p || t.StartsWith(p + "_", StringComparison.Ordinal) ||
            (t.Length > p.Length && t.StartsWith(p, StringComparison.Ordinal) && t.Substring(p.Length).All(char.IsDigit)))) ?? "u'";
        foreach (var n in named)
        {
            var definition = Print(Named(n));
            names[n] = Expr.Var(prefix + "_" + (names.Count + 1));
            memo.Clear();
            lines.Add(Print(names[n]) + " &= " + definition);
        }
        string Ref(Expr n) => ReferenceEquals(n, d.Function) ? function : names.TryGetValue(n, out var s) ? Print(s) : Wrap(n);
        string D(string of, Expr by) => @"\frac{\partial " + of + @"}{\partial " + Ref(by) + "}";

        var adjoints = d.Steps.ToDictionary(s => s.Node, s => s.Result);
        adjoints[d.Function] = Expr.One;
        long written = lines.Sum(l => (long)l.Length);
        for (var k = 0; k < steps.Count; k++)
        {
            var step = steps[k];
            if (written > maxChars)
            {
                lines.Add(@"&\;\text{(the remaining " + (steps.Count - k).ToString(System.Globalization.CultureInfo.InvariantCulture) +
                          " chain-rule steps omitted: the derivation passes " + maxChars.ToString(System.Globalization.CultureInfo.InvariantCulture) + " characters)}");
                break;
            }
            var before = lines.Count;
            // The function's own contribution beside others through intermediates is ∂f/∂x with those held fixed,
            // written so (∂f/∂x = ∂f/∂x|_{u₁} + ∂f/∂u₁ · ∂u₁/∂x, not ∂f/∂x on both sides).
            string Held() => string.Join(", ", step.Contributions.Where(o => !ReferenceEquals(o.Parent, d.Function)).Select(o => Ref(o.Parent)).Distinct());
            var generic = string.Join(" + ", step.Contributions.Select(c =>
                ReferenceEquals(c.Parent, d.Function)
                    ? (step.Contributions.Count > 1 ? @"\left." + D(function, step.Node) + @"\right|_{" + Held() + "}" : D(function, step.Node))
                    : D(function, c.Parent) + @" \cdot " + D(Ref(c.Parent), step.Node)));
            var instantiated = string.Concat(step.Contributions.Select((c, i) =>
            {
                var outer = adjoints.TryGetValue(c.Parent, out var a) ? a : Expr.One;
                var term = outer.IsOne ? Wrap(Named(c.Local), Sum) : Wrap(Named(outer), Product) + @" \cdot " + Wrap(Named(c.Local), Product);
                // A subtracted term reads a − b, not a + −b.
                return i == 0 ? term : term.StartsWith("-", StringComparison.Ordinal) ? " - " + term.Substring(1) : " + " + term;
            }));
            var rules = string.Join(", ", step.Contributions.Select(c => c.Rule.Name).Distinct());
            if (ReferenceEquals(step.Node, variable) && FlippedKernel(variable, step.Result) is { } kernel)
                rules += "; the kernel " + kernel + " flipped: a full convolution";
            else if (ReferenceEquals(step.Node, variable) && variable.Kind == ExprKind.Element && Graph.PostOrder(step.Result).Any(n => n.Kind == ExprKind.ArgMax))
                rules += "; the gradient goes to each maximum's position";
            var direct = step.Contributions.Count == 1 && ReferenceEquals(step.Contributions[0].Parent, d.Function);
            lines.Add(D(function, step.Node) + " &= " + (direct ? "" : generic + " = ") + instantiated + Because(rules));
            // The variable's own line is printed in full; intermediate ones through the names.
            var result = Print(step.Node == variable ? step.Result : Named(step.Result));
            if (step.Rewrites.Count > 0)
                lines.Add("&= " + result + Because(string.Join(", ", step.Rewrites.Select(r => r.Rule).Distinct())));
            // (Compared as the block prints them, its lengths named: n_{x} and n are the same length.)
            else if (SingleLength(d.Function, result) != SingleLength(d.Function, instantiated))
                lines.Add("&= " + result);
            for (var i = before; i < lines.Count; i++) written += lines[i].Length;
        }
        return SingleLength(d.Function, @"\begin{aligned}" + "\n" + string.Join(@" \\" + "\n", lines) + "\n" + @"\end{aligned}");
    }

    // The convolution's input gradient reads another array at (free index − bound index), W_{p − m, …}: the kernel
    // flipped and slid over the upstream gradient, the article's full convolution. The array's name, if so.
    private static string? FlippedKernel(Expr variable, Expr result)
    {
        if (variable.Kind != ExprKind.Element) return null;
        var free = new HashSet<Expr>(variable.ArgArray);
        static bool Subtracted(Expr t) => t.Kind == ExprKind.Mul && t.ArgArray[0].Kind == ExprKind.Const && t.ArgArray[0].Value.IsNegative && t.ArgArray.Any(f => f.Kind == ExprKind.Index);
        var kernel = Graph.PostOrder(result).FirstOrDefault(n => n.Kind == ExprKind.Element && n.Name != variable.Name &&
            n.ArgArray.Any(ix => ix.Kind == ExprKind.Add && ix.ArgArray.Any(free.Contains) && ix.ArgArray.Any(Subtracted)));
        return kernel?.Name;
    }

    /// <summary>Derivations longer than this many chain-rule steps print only their result.</summary>
    public const int MaxDerivationSteps = 64;

    private static string Because(string rule) => @" && \text{(" + rule + ")}";

    private static string Wrap(Expr e) => Wrap(e, Power);

    private static string Wrap(Expr e, int required)
    {
        var (t, p) = Emit(e);
        return p < required ? @"\left(" + t + @"\right)" : t;
    }

    private static (string Text, int Precedence) Emit(Expr e)
    {
        var memo = _memo;
        if (memo is null) return EmitNode(e);
        if (memo.TryGetValue(e, out var done)) return done;
        var printed = EmitNode(e);
        memo[e] = printed;
        return printed;
    }

    private static (string Text, int Precedence) EmitNode(Expr e)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        var a = e.ArgArray;
        switch (e.Kind)
        {
            case ExprKind.Const:
                return Literal(e.Value);
            case ExprKind.Var:
            case ExprKind.Index:
                return (Symbol(e.Name!), Atom);
            case ExprKind.Element:
            {
                var symbol = Symbol(e.Name!);
                if (symbol.IndexOf('_') >= 0) symbol = "{" + symbol + "}";
                return (symbol + "_{" + string.Join(",", a.Select(Text)) + "}", Atom);
            }
            case ExprKind.Length:
                return (e.LengthAxis == 0 ? "n_{" + Symbol(e.LengthArray) + "}" : "n_{" + Symbol(e.LengthArray) + "," + (e.LengthAxis + 1).ToString(CultureInfo.InvariantCulture) + "}", Atom);
            case ExprKind.Sum:
            case ExprKind.MaxOver:
            case ExprKind.ArgMax:
                return Reduction(e);
            case ExprKind.Add when PiecewiseTerm(a) is { } piecewise:
                return Emit(piecewise);
            case ExprKind.Add when CommonFactor(a) is { } factored:
            {
                var magnitude = factored.Factor.IsNegative ? -factored.Factor : factored.Factor;
                var text = Literal(magnitude).Text + @" \left(" + Text(factored.Remainder) + @"\right)";
                return factored.Factor.IsNegative ? ("-" + text, Sum) : (text, Product);
            }
            case ExprKind.Add:
            {
                var sb = new StringBuilder();
                var first = true;
                foreach (var t in TermLayout.Terms(a))
                {
                    // −σ (σ − 1) x reads σ (1 − σ) x, added: the complement written as the article writes it.
                    if (t.Negative && Complemented(t.Magnitude) is { } added)
                        sb.Append(first ? "" : " + ").Append(Wrap(added, Product));
                    else if (first) sb.Append(Wrap(t.Original, Sum));
                    else sb.Append(t.Negative ? " - " : " + ").Append(Wrap(t.Negative ? t.Magnitude : t.Original, Product));
                    first = false;
                }
                return (sb.ToString(), Sum);
            }
            case ExprKind.Mul:
                return ProductOf(Unshared(a));
            case ExprKind.Pow:
                return PowerOf(a[0], a[1]);
            case ExprKind.Exp:
                return a[0].Kind is ExprKind.Var or ExprKind.Const or ExprKind.Element || (a[0].Kind == ExprKind.Mul && a[0].ArgArray.Length == 2 && a[0].ArgArray[1].Kind == ExprKind.Var)
                    ? ("e^{" + Text(a[0]) + "}", Power)
                    : (@"\exp\left(" + Text(a[0]) + @"\right)", Atom);
            case ExprKind.Abs:
                return (@"\left|" + Text(a[0]) + @"\right|", Atom);
            case ExprKind.Max:
            case ExprKind.Min:
            case ExprKind.Atan2:
            case ExprKind.CopySign:
                return (Operators.Of(e.Kind).LatexFunction + @"\left(" + Text(a[0]) + ", " + Text(a[1]) + @"\right)", Atom);
            case ExprKind.Hypot:
                return (@"\sqrt{" + Text(Expr.Add(Expr.Pow(a[0], Expr.Const(2)), Expr.Pow(a[1], Expr.Const(2)))) + "}", Atom);
            case ExprKind.FusedMultiplyAdd:
                return (Text(Expr.Add(Expr.Mul(a[0], a[1]), a[2])), Sum);
            case ExprKind.Cbrt:
                return (@"\sqrt[3]{" + Text(a[0]) + "}", Atom);
            case ExprKind.Floor:
                return (@"\left\lfloor " + Text(a[0]) + @" \right\rfloor", Atom);
            case ExprKind.Ceiling:
                return (@"\left\lceil " + Text(a[0]) + @" \right\rceil", Atom);
            case ExprKind.Shared:
            case ExprKind.ToFloat:
                return Emit(a[0]);
            case ExprKind.IntDiv:
                // C# truncates toward zero: the floor where both operands are never negative (indices, lengths), else trunc.
                return NeverNegative(a[0]) && NeverNegative(a[1])
                    ? (@"\left\lfloor " + Wrap(a[0], Product) + " / " + Wrap(a[1], Power) + @" \right\rfloor", Atom)
                    : (@"\operatorname{trunc}\left(" + Wrap(a[0], Product) + " / " + Wrap(a[1], Power) + @"\right)", Atom);
            case ExprKind.IntRem:
                // Parenthesised inside a product: x_i (i mod 3), not x_i i mod 3.
                return (Wrap(a[0], Power) + @" \bmod " + Wrap(a[1], Power), Sum);
            case ExprKind.Call:
                return (e.Target!.Latex + @"\left(" + string.Join(", ", a.Select(Print)) + @"\right)", Atom);
            case ExprKind.If:
            {
                // A guard made of several comparisons (0 ≤ k − j and k − j < n) reads as one condition, else "otherwise";
                // nested guards with zero elsewhere, If(c, If(d, v, 0), 0), read as one case.
                var value = a[1];
                var all = Graph.Conjuncts(a[0]);
                while (all != null && a[2].IsZero && value.Kind == ExprKind.If && value.ArgArray[2].IsZero && Graph.Conjuncts(value.ArgArray[0]) is { } more)
                {
                    all.AddRange(more);
                    value = value.ArgArray[1];
                }
                if (all != null && all.Count > 1 && !ReferenceEquals(value, a[1]))
                    return (@"\begin{cases} " + Text(value) + " & " + Conditions(all) + @" \\ 0 & \text{otherwise} \end{cases}", Atom);
                if (all != null && all.Count > 1)
                    return (@"\begin{cases} " + Text(a[1]) + " & " + Conditions(all) + @" \\ " + Text(a[2]) + @" & \text{otherwise} \end{cases}", Atom);
                return (@"\begin{cases} " + Text(a[1]) + " & " + Condition(a[0], false) + @" \\ " + Text(a[2]) + " & " + Condition(a[0], true) + @" \end{cases}", Atom);
            }
        }
        if (e.IsComparison)
            return (@"\begin{cases} 1 & " + Condition(e, false) + @" \\ 0 & " + Condition(e, true) + @" \end{cases}", Atom);
        return (Operators.Of(e.Kind).LatexFunction + @"\left(" + Text(a[0]) + @"\right)", Atom);
    }

    // −p for a product p holding a factor u − c (c > 0, u's terms added), with that factor written c − u; null otherwise.
    private static bool IsComplementable(Expr f) =>
        f.Kind == ExprKind.Add && f.ArgArray.Count(t => t.Kind == ExprKind.Const && t.Value.IsNegative) == 1 &&
        f.ArgArray.All(t => t.Kind == ExprKind.Const || !TermLayout.Split(t).Negative) && Expr.Neg(f).Kind == ExprKind.Add;

    private static Expr? Complemented(Expr p)
    {
        if (p.Kind == ExprKind.Add) return IsComplementable(p) ? Expr.Neg(p) : null;
        if (p.Kind != ExprKind.Mul) return null;
        var factors = p.ArgArray;
        var at = Array.FindIndex(factors, IsComplementable);
        if (at < 0) return null;
        return Expr.Intern(ExprKind.Mul, factors.Select((f, i) => i == at ? Expr.Neg(f) : f).ToArray());
    }

    // Σ_{i=0}^{n−1}: indices run from 0, as in the subscripts and guards (0 ≤ k − j < n) and in C#. An index already
    // bound by a reduction inside the body (a mean Σ_i x_i / n inside Σ_i (…)²) gets a fresh name for the outer one.
    private static (string Text, int Precedence) Reduction(Expr e, Expr? shownBody = null)
    {
        var a = e.ArgArray;
        var index = e.SumIndex;
        var body = shownBody ?? a[1];
        var inner = Graph.PostOrder(body).Where(n => n.IsReduction).Select(n => n.Name).ToList();
        if (inner.Contains(index.Name))
        {
            // Primed (i′): no C# identifier has a prime, so the name cannot be any other index or variable of the formula.
            var name = index.Name + "'";
            while (inner.Contains(name)) name += "'";
            index = Expr.Index(name);
            body = Expr.Substitute(body, e.SumIndex, index);
        }
        var op = e.Kind switch { ExprKind.Sum => @"\sum", ExprKind.MaxOver => @"\max", _ => @"\operatorname*{argmax}" };
        // A sum of terms guarded by conditions on its own index (the convolution's 0 ≤ p − m < n_W: only the kernel's
        // elements) takes them under the Σ, as one writes a sum over a subset, not as cases inside it.
        var guards = new List<Expr>();
        while (e.Kind == ExprKind.Sum && body.Kind == ExprKind.If && body.ArgArray[2].IsZero &&
               Graph.Conjuncts(body.ArgArray[0]) is { } conjuncts && conjuncts.All(c => Expr.Mentions(c, index)))
        {
            guards.AddRange(conjuncts);
            body = body.ArgArray[1];
        }
        var from = Symbol(index.Name!) + "=0";
        if (guards.Count > 0) from = @"\substack{" + from + @" \\ " + Conditions(guards) + "}";
        return (op + "_{" + from + "}^{" + Text(Expr.Add(a[0], Expr.MinusOne)) + "} " + Wrap(body, Product), Product);
    }

    // A sum of piecewise terms on one condition (a comparison is [c]: 1 or 0) reads as one cases block: the leaky
    // ReLU's [x > 0] + {0 if x > 0, 1/100 otherwise} is {1 if x > 0, 1/100 otherwise}. Display only: x ≤ 0 is read
    // as the complement of x > 0, which the printed conditions say anyway.
    private static Expr? PiecewiseTerm(Expr[] terms)
    {
        var pieces = new List<(Expr Condition, Expr WhenTrue, Expr WhenFalse)>();
        foreach (var t in terms)
        {
            if (t.Kind == ExprKind.If) pieces.Add(Oriented(t.ArgArray[0], t.ArgArray[1], t.ArgArray[2]));
            else if (t.IsComparison) pieces.Add(Oriented(t, Expr.One, Expr.Zero));
            else return null;
        }
        if (pieces.Count < 2 || pieces.Any(p => !ReferenceEquals(p.Condition, pieces[0].Condition))) return null;
        var merged = Expr.If(pieces[0].Condition, Expr.Add(pieces.Select(p => p.WhenTrue).ToList()), Expr.Add(pieces.Select(p => p.WhenFalse).ToList()));
        return merged.Kind == ExprKind.Add ? null : merged;
    }

    // A sum whose exact coefficients share a factor reads factored, as one writes it by hand: ½ · 2(b + wx − y), not
    // ½ · (2b + 2wx − 2y). Display only; the code keeps the canonical sum.
    private static (Number Factor, Expr Remainder)? CommonFactor(Expr[] terms)
    {
        long numerators = 0, denominators = 1;
        var negative = true;
        foreach (var t in terms)
        {
            var c = t.Kind == ExprKind.Const ? t.Value : t.Kind == ExprKind.Mul && t.ArgArray[0].Kind == ExprKind.Const ? t.ArgArray[0].Value : Number.One;
            if (!c.IsExact || c.Numerator == long.MinValue) return null;
            negative &= c.IsNegative;
            numerators = Gcd(numerators, Math.Abs(c.Numerator));
            denominators = Lcm(denominators, c.Denominator);
            if (denominators <= 0) return null;
        }
        // Integers with a common divisor, or one magnitude throughout (½ x + ½ → ½ (x + 1)); 0.3 − 4x is not 0.1 (3 − 40x).
        if (denominators == 1 ? numerators == 1 : !SameMagnitude(terms)) return null;
        // All subtracted: −2(x + y), not 2(−x − y).
        var factor = Number.Rational(negative ? -numerators : numerators, denominators);
        var inverse = Expr.Const(Number.Rational(negative ? -denominators : denominators, numerators));
        var rest = Expr.Add(terms.Select(t => Expr.Mul(inverse, t)).ToList());
        return rest.Kind == ExprKind.Add ? (factor, rest) : null;
    }

    private static bool SameMagnitude(Expr[] terms)
    {
        Number Magnitude(Expr t)
        {
            var c = t.Kind == ExprKind.Const ? t.Value : t.Kind == ExprKind.Mul && t.ArgArray[0].Kind == ExprKind.Const ? t.ArgArray[0].Value : Number.One;
            return c.IsNegative ? -c : c;
        }
        var first = Magnitude(terms[0]);
        return terms.All(t => Magnitude(t).Equals(first));
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    private static long Lcm(long a, long b)
    {
        var g = Gcd(a, b);
        try { return checked(a / g * b); }
        catch (OverflowException) { return -1; }
    }

    // c ? t : f with c as >, ≥ or = (x ≤ 0 ? t : f is x > 0 ? f : t).
    private static (Expr, Expr, Expr) Oriented(Expr c, Expr whenTrue, Expr whenFalse) => c.Kind switch
    {
        ExprKind.LessEqual => (Expr.Compare(ExprKind.Greater, c.ArgArray[0], c.ArgArray[1]), whenFalse, whenTrue),
        ExprKind.Less => (Expr.Compare(ExprKind.GreaterEqual, c.ArgArray[0], c.ArgArray[1]), whenFalse, whenTrue),
        ExprKind.NotEqual => (Expr.Compare(ExprKind.Equal, c.ArgArray[0], c.ArgArray[1]), whenFalse, whenTrue),
        _ => (c, whenTrue, whenFalse),
    };

    private static bool NeverNegative(Expr e) => e.Kind switch
    {
        ExprKind.Index or ExprKind.Length or ExprKind.ArgMax => true,
        ExprKind.Const => !e.Value.IsNegative,
        ExprKind.Add or ExprKind.Mul or ExprKind.IntDiv or ExprKind.IntRem => e.ArgArray.All(NeverNegative),
        ExprKind.Pow => NeverNegative(e.ArgArray[0]),
        _ => false,
    };

    // Comparisons joined by ∧; a lower and an upper bound on the same term read as one chain, 0 ≤ u < n.
    private static string Conditions(List<Expr> all)
    {
        var parts = new List<string>();
        var used = new HashSet<Expr>();
        foreach (var lower in all)
        {
            if (lower.Kind != ExprKind.GreaterEqual || used.Contains(lower)) continue;
            var upper = all.FirstOrDefault(u => u.Kind is ExprKind.Less or ExprKind.LessEqual && ReferenceEquals(u.ArgArray[0], lower.ArgArray[0]) && !used.Contains(u));
            if (upper is null) continue;
            used.Add(lower);
            used.Add(upper);
            parts.Add(Text(lower.ArgArray[1]) + @" \le " + Text(lower.ArgArray[0]) + (upper.Kind == ExprKind.Less ? " < " : @" \le ") + Text(upper.ArgArray[1]));
        }
        parts.AddRange(JointArgMax(all, used));
        parts.AddRange(all.Where(c => !used.Contains(c)).Select(c => Condition(c, false)));
        return string.Join(@" \wedge ", parts);
    }

    // Max pooling's "the gradient goes to the window's maximum": the max rule over two indices leaves one condition per
    // axis, the second holding the first's argmax inside its own (o₁ + argmax_i max_j B = l ∧ o₂ + argmax_{j′} B[i := that
    // argmax, j := j′] = p). Read together they are one: (l, p) = (o₁, o₂) + argmax_{i, j} B.
    private static IEnumerable<string> JointArgMax(List<Expr> all, HashSet<Expr> used)
    {
        static (Expr Offset, Expr ArgMax, Expr Target)? Split(Expr c)
        {
            if (c.Kind != ExprKind.Equal) return null;
            foreach (var (side, target) in new[] { (c.ArgArray[0], c.ArgArray[1]), (c.ArgArray[1], c.ArgArray[0]) })
            {
                var terms = side.Kind == ExprKind.Add ? side.ArgArray : new[] { side };
                var argmax = terms.Where(t => t.Kind == ExprKind.ArgMax).ToList();
                if (argmax.Count != 1) continue;
                return (Expr.Add(terms.Where(t => !ReferenceEquals(t, argmax[0])).ToList()), argmax[0], target);
            }
            return null;
        }
        foreach (var first in all)
        {
            if (used.Contains(first) || Split(first) is not { } outer || outer.ArgMax.ArgArray[1].Kind != ExprKind.MaxOver) continue;
            var inner = outer.ArgMax.ArgArray[1];
            var (i, j) = (outer.ArgMax.SumIndex, inner.SumIndex);
            var atMax = Expr.Substitute(inner.ArgArray[1], i, outer.ArgMax);
            foreach (var second in all)
            {
                if (ReferenceEquals(second, first) || used.Contains(second) || Split(second) is not { } next) continue;
                var other = next.ArgMax;
                if (!ReferenceEquals(other.ArgArray[0], inner.ArgArray[0]) || !ReferenceEquals(Expr.Substitute(atMax, j, other.SumIndex), other.ArgArray[1])) continue;
                used.Add(first);
                used.Add(second);
                string Range(Expr index, Expr count) => Symbol(index.Name!) + " < " + Text(count);
                yield return @"\left(" + Text(outer.Target) + ", " + Text(next.Target) + @"\right) = \left(" + Text(outer.Offset) + ", " + Text(next.Offset) + @"\right) + " +
                             @"\operatorname*{argmax}_{" + Range(i, outer.ArgMax.ArgArray[0]) + @",\, " + Range(j, inner.ArgArray[0]) + "} " + Wrap(inner.ArgArray[1], Product);
                break;
            }
        }
    }

    private static string Condition(Expr c, bool negated)
    {
        if (!c.IsComparison && Graph.Logical(c) is { } logical)
        {
            var (connective, left, right) = logical;
            // ¬(a ∧ b) = ¬a ∨ ¬b and ¬(a ∨ b) = ¬a ∧ ¬b; ¬¬a = a.
            if (connective == "!") return Condition(left, !negated);
            string Operand(Expr x) => Graph.Logical(x) is { Op: var inner } && inner != "!" ? @"\left(" + Condition(x, negated) + @"\right)" : Condition(x, negated);
            var and = connective == "&&" != negated;
            return Operand(left) + (and ? @" \wedge " : @" \vee ") + Operand(right!);
        }
        if (!c.IsComparison) return negated ? Text(c) + " = 0" : Text(c) + @" \ne 0";
        var kind = c.Kind;
        if (negated)
            kind = kind switch
            {
                ExprKind.Less => ExprKind.GreaterEqual,
                ExprKind.LessEqual => ExprKind.Greater,
                ExprKind.Greater => ExprKind.LessEqual,
                ExprKind.GreaterEqual => ExprKind.Less,
                ExprKind.Equal => ExprKind.NotEqual,
                _ => ExprKind.Equal,
            };
        var op = kind switch
        {
            ExprKind.Less => "<",
            ExprKind.LessEqual => @"\le",
            ExprKind.Greater => ">",
            ExprKind.GreaterEqual => @"\ge",
            ExprKind.Equal => "=",
            _ => @"\ne",
        };
        return Text(c.ArgArray[0]) + " " + op + " " + Text(c.ArgArray[1]);
    }

    private static (string Text, int Precedence) Literal(Number n)
    {
        if (!n.IsExact)
        {
            var v = n.Value;
            if (v == Math.PI) return (@"\pi", Atom);
            if (v == Math.E) return ("e", Atom);
            if (double.IsNaN(v)) return (@"\mathrm{NaN}", Atom);
            if (double.IsInfinity(v)) return (v > 0 ? @"\infty" : @"-\infty", v > 0 ? Atom : Sum);
            var s = _single && (double)(float)v == v
                ? Math.Abs((float)v).ToString("R", CultureInfo.InvariantCulture)
                : Number.FormatDouble(Math.Abs(v));
            var e = s.IndexOf('E');
            if (e >= 0) s = s.Substring(0, e) + @" \times 10^{" + int.Parse(s.Substring(e + 1), CultureInfo.InvariantCulture) + "}";
            return v < 0 ? ("-" + s, Sum) : (s, e >= 0 ? Product : Atom);
        }
        if (n.IsInteger) return (n.Numerator.ToString(CultureInfo.InvariantCulture), n.IsNegative ? Sum : Atom);
        if (Decimal(n) is { } digits) return n.IsNegative ? ("-" + digits, Sum) : (digits, digits.IndexOf(@"\times", StringComparison.Ordinal) >= 0 ? Product : Atom);
        var frac = @"\frac{" + Math.Abs(n.Numerator).ToString(CultureInfo.InvariantCulture) + "}{" + n.Denominator.ToString(CultureInfo.InvariantCulture) + "}";
        return n.IsNegative ? ("-" + frac, Sum) : (frac, Atom);
    }

    // A fraction whose denominator is a power of ten times a power of two (a decimal literal: 0.01, 0.044715, a float
    // constant 0.099999994) prints as the decimal it is; halves, quarters and eighths stay fractions (½ (y − ŷ)²).
    private static string? Decimal(Number n)
    {
        var d = n.Denominator;
        int twos = 0, fives = 0;
        while (d % 2 == 0) { d /= 2; twos++; }
        while (d % 5 == 0) { d /= 5; fives++; }
        if (d != 1 || (fives == 0 && twos <= 3)) return null;
        var places = Math.Max(twos, fives);
        if (places > 18) return null;
        var scaled = System.Numerics.BigInteger.Abs(n.Numerator) * System.Numerics.BigInteger.Pow(2, places - twos) * System.Numerics.BigInteger.Pow(5, places - fives);
        var raw = scaled.ToString(CultureInfo.InvariantCulture);
        if (raw.Length + 4 <= places)
        {
            // Four zeros or more after the point (1e-12): scientific, as a double prints it.
            var significant = raw.TrimEnd('0');
            var exponent = raw.Length - places - 1;
            var mantissa = significant.Length == 1 ? significant : significant.Substring(0, 1) + "." + significant.Substring(1);
            return mantissa + @" \times 10^{" + exponent.ToString(CultureInfo.InvariantCulture) + "}";
        }
        var text = raw.PadLeft(places + 1, '0');
        var whole = text.Substring(0, text.Length - places);
        var fraction = text.Substring(text.Length - places).TrimEnd('0');
        return fraction.Length == 0 ? whole : whole + "." + fraction;
    }

    // Products kept whole for code (a long product's prefix and suffix products) read as one product; one with a
    // constant stays as written (1e30 · 1e30 · x is sealed so that it overflows as C# does).
    private static bool Opens(Expr f) => f.Kind == ExprKind.Shared && f.ArgArray[0].Kind == ExprKind.Mul && f.ArgArray[0].ArgArray[0].Kind != ExprKind.Const;

    private static IReadOnlyList<Expr> Unshared(Expr[] args)
    {
        if (!args.Any(Opens)) return args;
        var factors = new List<Expr>();
        var pending = new Stack<Expr>(args.Reverse());
        while (pending.Count > 0)
        {
            var f = pending.Pop();
            if (Opens(f))
                for (var i = f.ArgArray[0].ArgArray.Length - 1; i >= 0; i--) pending.Push(f.ArgArray[0].ArgArray[i]);
            else factors.Add(f);
        }
        var flat = Expr.Mul(factors);
        return flat.Kind == ExprKind.Mul ? flat.ArgArray : new[] { flat };
    }

    private static (string Text, int Precedence) ProductOf(IReadOnlyList<Expr> args)
    {
        var (c, num, den) = TermLayout.Fraction(args);
        // −Σ_j W_{j,p} c_j (tanh² − 1) reads Σ_j W_{j,p} c_j (1 − tanh²): the sign taken into the body's complement.
        if (c.Equals(Number.MinusOne) && den.Count == 0 && num.Count == 1 && num[0].Kind == ExprKind.Sum && Complemented(num[0].ArgArray[1]) is { } body)
            return Reduction(num[0], body);
        // A Σ factor goes last, so that nothing after it reads as part of its body; with a denominator it stays out
        // of the fraction, as in the article: \frac{1}{n} \sum_{i=1}^{n} …
        var sums = num.Where(f => f.Kind == ExprKind.Sum).ToList();
        if (sums.Count > 0 && (den.Count > 0 || num.Count > sums.Count))
        {
            var rest = ProductOf(new[] { Expr.Const(c) }.Concat(num.Where(f => f.Kind != ExprKind.Sum)).Concat(den.Select(d => Expr.Pow(d, Expr.MinusOne))).ToList());
            var restText = rest.Text == "1" ? "" : rest.Text == "-1" ? "-" : rest.Text;
            var sumText = Juxtapose(sums.Select(f => Wrap(f, Product)).ToList());
            return (restText.Length == 0 || restText == "-" ? restText + sumText : restText + " " + sumText, restText.StartsWith("-", StringComparison.Ordinal) ? Sum : Product);
        }
        // (t − 1)/(p − 1) reads (1 − t)/(1 − p), as the article writes binary cross-entropy's (1 − y)/(1 − ŷ): a numerator and a
        // denominator factor that are both u − c are written with their complements.
        if (den.Count > 0 && num.FindIndex(IsComplementable) is var top0 and >= 0 && den.FindIndex(IsComplementable) is var bottom0 and >= 0)
        {
            num = num.Select((f, i) => i == top0 ? Expr.Neg(f) : f).ToList();
            den = den.Select((f, i) => i == bottom0 ? Expr.Neg(f) : f).ToList();
        }
        var sign = c.IsNegative ? "-" : "";
        var magnitude = c.IsNegative ? -c : c;
        var inFraction = den.Count > 0;
        var top = Juxtapose(num.Select(f => inFraction && num.Count == 1 && magnitude.IsOne ? Text(f) : Wrap(f, Product)).ToList());
        if (inFraction)
        {
            var bottom = Juxtapose(den.Select(f => den.Count == 1 && magnitude.IsInteger ? Text(f) : Wrap(f, Product)).ToList());
            if (magnitude.IsExact)
            {
                var p = Number.Integer(magnitude.Numerator);
                if (!p.IsOne || top.Length == 0) top = Juxtapose(new[] { Literal(p).Text, top }.Where(s => s.Length > 0).ToList());
                if (magnitude.Denominator != 1) bottom = Juxtapose(new List<string> { magnitude.Denominator.ToString(CultureInfo.InvariantCulture), bottom });
            }
            else top = Juxtapose(new[] { Literal(magnitude).Text, top }.Where(s => s.Length > 0).ToList());
            return (sign + @"\frac{" + top + "}{" + bottom + "}", sign.Length > 0 ? Sum : Product);
        }
        if (!magnitude.IsOne) top = Juxtapose(new List<string> { Literal(magnitude).Text, top });
        if (sign.Length > 0 && top.StartsWith("-", StringComparison.Ordinal)) top = @"\left(" + top + @"\right)";
        return (sign + top, sign.Length > 0 ? Sum : Product);
    }

    private static string Juxtapose(IReadOnlyList<string> parts)
    {
        var sb = new StringBuilder();
        foreach (var p in parts)
        {
            if (p.Length == 0) continue;
            if (sb.Length > 0) sb.Append(char.IsDigit(p[0]) || p[0] == '-' ? @" \cdot " : " ");
            sb.Append(p);
        }
        return sb.ToString();
    }

    private static (string Text, int Precedence) PowerOf(Expr b, Expr e)
    {
        if (e.Kind == ExprKind.Const && e.Value.IsExact && e.Value.Denominator == 2 && e.Value.Numerator == 1)
            return (@"\sqrt{" + Text(b) + "}", Atom);
        if (e.Kind == ExprKind.Const && e.Value.IsNegative)
            return (@"\frac{1}{" + Text(Expr.Pow(b, Expr.Const(-e.Value))) + "}", Product);
        var exponent = "^{" + Text(e) + "}";
        if (b.Kind is ExprKind.Tanh or ExprKind.Sin or ExprKind.Cos or ExprKind.Log or ExprKind.Sigmoid && e.Kind == ExprKind.Const)
            return (Operators.Of(b.Kind).LatexFunction + exponent + @"\left(" + Text(b.ArgArray[0]) + @"\right)", Power);
        return (Wrap(b, Atom) + exponent, Power);
    }
}
