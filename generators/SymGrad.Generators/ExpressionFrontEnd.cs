using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SymGrad.Symbolic;

namespace SymGrad.Generators;

/// <summary>Why an expression could not be read, and where (offsets into the parsed text or syntax tree).</summary>
public sealed class FrontEndError : IEquatable<FrontEndError>
{
    /// <summary>Creates an error.</summary>
    public FrontEndError(int start, int length, string message)
    {
        Start = start;
        Length = length;
        Message = message;
    }

    /// <summary>Offset of the offending syntax.</summary>
    public int Start { get; }
    /// <summary>Length of the offending syntax.</summary>
    public int Length { get; }
    /// <summary>What is wrong, in one sentence.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public bool Equals(FrontEndError? other) => other != null && Start == other.Start && Length == other.Length && Message == other.Message;
    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FrontEndError);
    /// <inheritdoc />
    public override int GetHashCode() => Start * 31 + Message.GetHashCode();
    /// <inheritdoc />
    public override string ToString() => $"{Start}+{Length}: {Message}";
}

/// <summary>Either an expression or the first error met.</summary>
public readonly struct FrontEndResult
{
    private FrontEndResult(Expr? value, FrontEndError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The expression, when reading succeeded.</summary>
    public Expr? Value { get; }
    /// <summary>The error, when it failed.</summary>
    public FrontEndError? Error { get; }
    /// <summary>True when <see cref="Value"/> is set.</summary>
    public bool Success => Value != null;

    internal static FrontEndResult Ok(Expr e) => new(e, null);
    internal static FrontEndResult Fail(FrontEndError e) => new(null, e);
}

/// <summary>What identifiers mean while reading an expression.</summary>
public sealed class FrontEndScope
{
    private readonly Dictionary<string, Expr> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _arrays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _forbidden = new(StringComparer.Ordinal);

    /// <summary>When true, any unknown identifier is a free variable (the CLI); otherwise it is an error.</summary>
    public bool UnknownIdentifiersAreVariables { get; set; } = true;

    /// <summary>Binds an identifier (a parameter, a local, a constant) to an expression.</summary>
    public FrontEndScope Bind(string name, Expr value)
    {
        _names[name] = value;
        return this;
    }

    /// <summary>
    /// Consulted for identifiers and member accesses that are not bound (e.g. <c>const</c> fields, through the
    /// semantic model); returns null when the syntax is not a constant.
    /// </summary>
    public Func<ExpressionSyntax, Expr?>? ResolveConstant { get; set; }

    /// <summary>
    /// Decides whether an invocation is a call to <c>System.Math</c>/<c>MathF</c> (default: by its name).
    /// The generator answers from the semantic model so that a user method named <c>Exp</c> is not mistaken.
    /// </summary>
    public Func<InvocationExpressionSyntax, bool>? IsMathCall { get; set; }

    /// <summary>
    /// For a call that is not a Math function: the function to call (its name in generated code and its partial
    /// derivatives), or null to reject the call, optionally saying why in <see cref="CallRejection"/>.
    /// </summary>
    public Func<InvocationExpressionSyntax, CallTarget?>? ResolveCall { get; set; }

    /// <summary>Told of every call node read, with the syntax it came from (for diagnostics on the call).</summary>
    public Action<Expr, InvocationExpressionSyntax>? CallRead { get; set; }

    /// <summary>Why <see cref="ResolveCall"/> refused the last call it was asked about, if it knows.</summary>
    public string? CallRejection { get; set; }

    /// <summary>Declares an array parameter (a span or array of rank <paramref name="rank"/>): <c>x[i]</c>, <c>x.Length</c>.</summary>
    public FrontEndScope BindArray(string name, int rank)
    {
        _arrays[name] = rank;
        return this;
    }

    /// <summary>Makes reading <paramref name="name"/> an error with <paramref name="reason"/> (an accumulator inside its loop).</summary>
    public FrontEndScope Forbid(string name, string reason)
    {
        _forbidden[name] = reason;
        return this;
    }

    /// <summary>True when the name is bound in this scope.</summary>
    public bool IsBound(string name) => _names.ContainsKey(name);

    /// <summary>True when <paramref name="name"/> is an index bound in this scope (a loop or Sym.Sum variable).</summary>
    public bool IsIndex(string name) => _names.TryGetValue(name, out var e) && e.Kind == ExprKind.Index;

    /// <summary>The names bound to indices, for choosing fresh ones.</summary>
    public IEnumerable<string> Indices => _names.Values.Where(e => e.Kind == ExprKind.Index).Select(e => e.Name!);

    internal bool TryArray(string name, out int rank) => _arrays.TryGetValue(name, out rank);

    internal string? Forbidden(string name) => _forbidden.TryGetValue(name, out var reason) ? reason : null;

    /// <summary>A copy whose bindings can change without affecting this scope (a branch of an <c>if</c>).</summary>
    public FrontEndScope Clone()
    {
        var copy = new FrontEndScope
        {
            UnknownIdentifiersAreVariables = UnknownIdentifiersAreVariables,
            ResolveConstant = ResolveConstant,
            IsMathCall = IsMathCall,
            ResolveCall = ResolveCall,
            CallRead = CallRead,
        };
        foreach (var kv in _names) copy._names[kv.Key] = kv.Value;
        foreach (var kv in _arrays) copy._arrays[kv.Key] = kv.Value;
        foreach (var kv in _forbidden) copy._forbidden[kv.Key] = kv.Value;
        return copy;
    }

    internal bool TryResolve(string name, out Expr value) => _names.TryGetValue(name, out value!);
}

/// <summary>
/// Reads C# expression syntax into the engine's expression graph. One implementation serves the
/// <c>symgrad</c> CLI (from text) and the source generator (from method bodies):
/// <c>+ - * /</c>, unary minus, parentheses, numeric literals, <c>Math.*</c>/<c>MathF.*</c> functions and
/// constants (also without the prefix), casts to floating-point types, and <c>?:</c> with comparisons.
/// </summary>
public static class ExpressionFrontEnd
{
    private static readonly Dictionary<string, (int Arity, Func<Expr[], Expr> Build)> Functions = new(StringComparer.Ordinal)
    {
        ["Exp"] = (1, a => Expr.Exp(a[0])),
        ["Log"] = (1, a => Expr.Log(a[0])),
        ["Log10"] = (1, a => Expr.Div(Expr.Log(a[0]), Expr.Log(Expr.Const(10)))),
        ["Log2"] = (1, a => Expr.Div(Expr.Log(a[0]), Expr.Log(Expr.Const(2)))),
        ["Pow"] = (2, a => Expr.Pow(a[0], a[1])),
        ["Sqrt"] = (1, a => Expr.Sqrt(a[0])),
        ["Tanh"] = (1, a => Expr.Tanh(a[0])),
        ["Sinh"] = (1, a => Expr.Mul(Expr.Half, Expr.Sub(Expr.Exp(a[0]), Expr.Exp(Expr.Neg(a[0]))))),
        ["Cosh"] = (1, a => Expr.Mul(Expr.Half, Expr.Add(Expr.Exp(a[0]), Expr.Exp(Expr.Neg(a[0]))))),
        ["Sin"] = (1, a => Expr.Sin(a[0])),
        ["Cos"] = (1, a => Expr.Cos(a[0])),
        ["Tan"] = (1, a => Expr.Div(Expr.Sin(a[0]), Expr.Cos(a[0]))),
        ["Abs"] = (1, a => Expr.Abs(a[0])),
        ["Sign"] = (1, a => Expr.Sign(a[0])),
        ["Max"] = (2, a => Expr.Max(a[0], a[1])),
        ["Min"] = (2, a => Expr.Min(a[0], a[1])),
    };

    private static readonly HashSet<string> MathClasses = new(StringComparer.Ordinal) { "Math", "MathF", "System.Math", "System.MathF" };

    /// <summary>The functions understood, by name.</summary>
    public static IEnumerable<string> FunctionNames => Functions.Keys.OrderBy(k => k, StringComparer.Ordinal);

    /// <summary>Parses and reads a C# expression given as text; every unknown identifier is a variable.</summary>
    public static FrontEndResult ParseText(string text) => ParseText(text, new FrontEndScope());

    /// <summary>Parses and reads a C# expression given as text.</summary>
    public static FrontEndResult ParseText(string text, FrontEndScope scope)
    {
        if (string.IsNullOrWhiteSpace(text)) return FrontEndResult.Fail(new FrontEndError(0, 0, "the expression is empty"));
        var syntax = SyntaxFactory.ParseExpression(text);
        var error = syntax.GetDiagnostics().FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        if (error != null)
        {
            var span = error.Location.SourceSpan;
            return FrontEndResult.Fail(new FrontEndError(span.Start, span.Length, "syntax error: " + error.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return Read(syntax, scope);
    }

    /// <summary>Reads an expression syntax node.</summary>
    public static FrontEndResult Read(ExpressionSyntax syntax, FrontEndScope scope)
    {
        try
        {
            return FrontEndResult.Ok(new Reader(scope).Read(syntax));
        }
        catch (ReadException e)
        {
            return FrontEndResult.Fail(e.Error);
        }
    }

    /// <summary>Reads the condition of an <c>if</c> or <c>?:</c>: a comparison.</summary>
    public static FrontEndResult ReadCondition(ExpressionSyntax syntax, FrontEndScope scope)
    {
        try
        {
            return FrontEndResult.Ok(new Reader(scope).Condition(syntax));
        }
        catch (ReadException e)
        {
            return FrontEndResult.Fail(e.Error);
        }
    }

    /// <summary>An index for a loop or lambda variable named <paramref name="name"/>, distinct from the indices already bound.</summary>
    public static Expr FreshIndex(FrontEndScope scope, string name)
    {
        var taken = new HashSet<string>(scope.Indices, StringComparer.Ordinal);
        var candidate = name;
        for (var k = 1; taken.Contains(candidate); k++) candidate = name + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Expr.Index(candidate);
    }

    private sealed class ReadException : Exception
    {
        public ReadException(SyntaxNode node, string message) : base(message) =>
            Error = new FrontEndError(node.SpanStart, node.Span.Length, message);

        public FrontEndError Error { get; }
    }

    private sealed class Reader
    {
        private readonly FrontEndScope _scope;

        public Reader(FrontEndScope scope) => _scope = scope;

        public Expr Read(ExpressionSyntax s)
        {
            if (!TrySufficientStack()) throw new ReadException(s, "the expression is nested too deeply to differentiate");
            switch (s)
            {
                case ParenthesizedExpressionSyntax p:
                    return Read(p.Expression);
                case LiteralExpressionSyntax l when l.IsKind(SyntaxKind.NumericLiteralExpression):
                    return Literal(l);
                case IdentifierNameSyntax id:
                    return Identifier(id);
                case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryMinusExpression):
                    return Expr.Neg(Read(u.Operand));
                case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryPlusExpression):
                    return Read(u.Operand);
                case BinaryExpressionSyntax b:
                    return Binary(b);
                case ConditionalExpressionSyntax c:
                    return Expr.If(Condition(c.Condition), Read(c.WhenTrue), Read(c.WhenFalse));
                case InvocationExpressionSyntax call:
                    return Invocation(call);
                case ElementAccessExpressionSyntax element:
                    return Element(element);
                case MemberAccessExpressionSyntax m when m.Expression is IdentifierNameSyntax arrayName && _scope.TryArray(arrayName.Identifier.ValueText, out var lengthRank):
                    if (m.Name.Identifier.ValueText != "Length") throw new ReadException(m, $"'{m}' is not supported; use {arrayName}.Length");
                    if (lengthRank != 1) throw new ReadException(m, $"'{m}' counts every element of a {lengthRank}-dimensional array; use {arrayName}.GetLength(axis)");
                    return Expr.Length(arrayName.Identifier.ValueText);
                case MemberAccessExpressionSyntax m:
                    if (!MathClasses.Contains(m.Expression.ToString()) && _scope.ResolveConstant?.Invoke(m) is { } member) return member;
                    return MemberConstant(m, m.Name.Identifier.ValueText, MathClasses.Contains(m.Expression.ToString()));
                case CastExpressionSyntax cast when IsFloatingType(cast.Type):
                    return Read(cast.Expression);
                case CheckedExpressionSyntax ch:
                    return Read(ch.Expression);
            }
            throw new ReadException(s, $"'{Describe(s)}' is not supported in a differentiable expression");
        }

        private static bool TrySufficientStack()
        {
            try
            {
                System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
                return true;
            }
            catch (InsufficientExecutionStackException)
            {
                return false;
            }
        }

        private static string Describe(SyntaxNode s)
        {
            var text = s.ToString();
            return text.Length > 40 ? text.Substring(0, 37) + "..." : text;
        }

        private static bool IsFloatingType(TypeSyntax t) =>
            t is PredefinedTypeSyntax p && (p.Keyword.IsKind(SyntaxKind.DoubleKeyword) || p.Keyword.IsKind(SyntaxKind.FloatKeyword));

        private static Expr Literal(LiteralExpressionSyntax l)
        {
            var text = l.Token.Text.Replace("_", "");
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || text.StartsWith("0b", StringComparison.OrdinalIgnoreCase))
                return Expr.Const(Convert.ToDouble(l.Token.Value, System.Globalization.CultureInfo.InvariantCulture));
            text = text.TrimEnd('d', 'D', 'f', 'F', 'm', 'M', 'u', 'U', 'l', 'L');
            try
            {
                var n = Number.ParseLiteral(text);
                if (double.IsInfinity(n.Value)) throw new ReadException(l, $"the literal '{l.Token.Text}' is out of range");
                return Expr.Const(n);
            }
            catch (FormatException)
            {
                throw new ReadException(l, $"'{l.Token.Text}' is not a number");
            }
            catch (OverflowException)
            {
                throw new ReadException(l, $"the literal '{l.Token.Text}' is out of range");
            }
        }

        private Expr Element(ElementAccessExpressionSyntax e)
        {
            if (e.Expression is not IdentifierNameSyntax array || !_scope.TryArray(array.Identifier.ValueText, out var rank))
                throw new ReadException(e.Expression, $"'{e.Expression}' is not an array or span parameter of this method");
            var args = e.ArgumentList.Arguments;
            if (args.Count != rank) throw new ReadException(e.ArgumentList, $"'{array}' has {rank} dimension{(rank == 1 ? "" : "s")}, indexed here with {args.Count}");
            return Expr.Element(array.Identifier.ValueText, args.Select(a => Read(a.Expression)).ToArray());
        }

        // Sym.Sum(count, i => term) and Sym.Max(count, i => term): Σ or max over a fresh index bound in the lambda's body.
        private Expr SymReduction(InvocationExpressionSyntax call, string kind)
        {
            var args = call.ArgumentList.Arguments;
            if (args.Count != 2) throw new ReadException(call, $"Sym.{kind} takes a count and a lambda, Sym.{kind}(n, i => …)");
            if (args[1].Expression is not SimpleLambdaExpressionSyntax { ExpressionBody: { } body } lambda)
                throw new ReadException(args[1], $"the term of Sym.{kind} must be an expression lambda, i => …");
            var count = Read(args[0].Expression);
            var index = FreshIndex(_scope, lambda.Parameter.Identifier.ValueText);
            var inner = _scope.Clone().Bind(lambda.Parameter.Identifier.ValueText, index);
            var term = new Reader(inner).Read(body);
            return kind == "Sum" ? Expr.Sum(index, count, term) : Expr.MaxOver(index, count, term);
        }

        private Expr Identifier(IdentifierNameSyntax id)
        {
            var name = id.Identifier.ValueText;
            if (_scope.Forbidden(name) is { } reason) throw new ReadException(id, reason);
            if (_scope.TryResolve(name, out var bound)) return bound;
            if (_scope.ResolveConstant?.Invoke(id) is { } constant) return constant;
            if (name is "PI" or "E") return MemberConstant(id, name, true);
            if (_scope.UnknownIdentifiersAreVariables) return Expr.Var(name);
            throw new ReadException(id, $"'{name}' is not a parameter, local or constant of this method");
        }

        private static Expr MemberConstant(ExpressionSyntax s, string name, bool isMath)
        {
            if (isMath && name == "PI") return Expr.Pi;
            if (isMath && name == "E") return Expr.E;
            if (isMath && name == "Tau") return Expr.Mul(Expr.Const(2), Expr.Pi);
            throw new ReadException(s, $"'{s}' is not supported in a differentiable expression");
        }

        private Expr Binary(BinaryExpressionSyntax b)
        {
            switch (b.Kind())
            {
                case SyntaxKind.AddExpression:
                case SyntaxKind.SubtractExpression:
                case SyntaxKind.MultiplyExpression:
                case SyntaxKind.DivideExpression:
                    return Chain(b);
            }
            if (ComparisonKind(b) is { } k) return Expr.Compare(k, Read(b.Left), Read(b.Right));
            throw new ReadException(b, $"the operator '{b.OperatorToken.Text}' is not supported in a differentiable expression");
        }

        // a + b − c + … (or a · b / c · …) parses as a left-leaning chain as deep as it is long: read along the chain,
        // not down it, so a sum of ten thousand terms costs no stack.
        private Expr Chain(BinaryExpressionSyntax b)
        {
            var additive = b.IsKind(SyntaxKind.AddExpression) || b.IsKind(SyntaxKind.SubtractExpression);
            bool Link(ExpressionSyntax e) => e is BinaryExpressionSyntax x &&
                (additive ? x.IsKind(SyntaxKind.AddExpression) || x.IsKind(SyntaxKind.SubtractExpression) : x.IsKind(SyntaxKind.MultiplyExpression) || x.IsKind(SyntaxKind.DivideExpression));
            var links = new List<BinaryExpressionSyntax>();
            ExpressionSyntax leftmost = b;
            while (Link(leftmost))
            {
                var x = (BinaryExpressionSyntax)leftmost;
                links.Add(x);
                leftmost = x.Left;
            }
            links.Reverse();
            var operands = new List<Expr> { Read(leftmost) };
            var literalZero = !additive && ZeroLiteral(leftmost);
            foreach (var x in links)
            {
                if (!additive && ZeroLiteral(x.Right)) literalZero = true;
                var right = Read(x.Right);
                switch (x.Kind())
                {
                    case SyntaxKind.SubtractExpression: right = Expr.Neg(right); break;
                    case SyntaxKind.DivideExpression:
                        if (right.IsZero) throw new ReadException(x.Right, "division by the constant zero");
                        right = Expr.Pow(right, Expr.MinusOne);
                        break;
                }
                operands.Add(right);
            }
            if (additive) return Expr.Add(operands);
            // A literal zero factor of something that depends on the inputs (0 * x, 0 / x) keeps IEEE semantics instead of
            // folding away: 0 where every such factor is finite, NaN where one is NaN or ±∞ (0 · ∞ and 0 / 0 are NaN).
            // Zeros that algebra produces (x − x) still fold: docs/numerics.md.
            if (literalZero && operands.Any(o => o.Kind != ExprKind.Const))
            {
                var finite = operands.Where(o => o.Kind != ExprKind.Const)
                    .Select(o => Expr.Compare(ExprKind.Less, Expr.Abs(o), Expr.Const(double.PositiveInfinity))).ToList();
                return Expr.If(Expr.Mul(finite), Expr.Zero, Expr.Const(double.NaN));
            }
            return Expr.Mul(operands);
        }

        // 0, 0.0, 0f, -0.0, (0) as written: a zero in the source, not one that algebra made.
        private static bool ZeroLiteral(ExpressionSyntax e)
        {
            while (true)
            {
                switch (e)
                {
                    case ParenthesizedExpressionSyntax p: e = p.Expression; continue;
                    case CastExpressionSyntax c: e = c.Expression; continue;
                    case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryMinusExpression) || u.IsKind(SyntaxKind.UnaryPlusExpression): e = u.Operand; continue;
                    case LiteralExpressionSyntax l when l.IsKind(SyntaxKind.NumericLiteralExpression):
                        return l.Token.Value switch { int i => i == 0, long n => n == 0, double d => d == 0, float f => f == 0, decimal m => m == 0, _ => false };
                    default: return false;
                }
            }
        }

        private static ExprKind? ComparisonKind(BinaryExpressionSyntax b) => b.Kind() switch
        {
            SyntaxKind.LessThanExpression => ExprKind.Less,
            SyntaxKind.LessThanOrEqualExpression => ExprKind.LessEqual,
            SyntaxKind.GreaterThanExpression => ExprKind.Greater,
            SyntaxKind.GreaterThanOrEqualExpression => ExprKind.GreaterEqual,
            SyntaxKind.EqualsExpression => ExprKind.Equal,
            SyntaxKind.NotEqualsExpression => ExprKind.NotEqual,
            _ => null,
        };

        public Expr Condition(ExpressionSyntax c)
        {
            while (c is ParenthesizedExpressionSyntax p) c = p.Expression;
            if (c is BinaryExpressionSyntax b && ComparisonKind(b) is { } k) return Expr.Compare(k, Read(b.Left), Read(b.Right));
            throw new ReadException(c, "the condition must be a comparison such as 'x > 0'");
        }

        private Expr Invocation(InvocationExpressionSyntax call)
        {
            if (call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Sum" or "Max" } sym && sym.Expression.ToString() is "Sym" or "SymGrad.Sym" or "global::SymGrad.Sym")
                return SymReduction(call, sym.Name.Identifier.ValueText);
            if (call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetLength", Expression: IdentifierNameSyntax arrayName } && _scope.TryArray(arrayName.Identifier.ValueText, out var rank))
            {
                var a = call.ArgumentList.Arguments;
                if (a.Count != 1 || a[0].Expression is not LiteralExpressionSyntax { Token.Value: int axis } || axis < 0 || axis >= rank)
                    throw new ReadException(call.ArgumentList, $"GetLength takes a constant axis 0..{rank - 1}");
                return Expr.Length(arrayName.Identifier.ValueText, axis);
            }
            string name;
            switch (call.Expression)
            {
                case IdentifierNameSyntax id:
                    name = id.Identifier.ValueText;
                    break;
                case MemberAccessExpressionSyntax m when MathClasses.Contains(m.Expression.ToString()):
                    name = m.Name.Identifier.ValueText;
                    break;
                default:
                    throw new ReadException(call.Expression, $"unknown function '{call.Expression}'");
            }
            if (_scope.IsMathCall != null && !_scope.IsMathCall(call))
            {
                _scope.CallRejection = null;
                if (_scope.ResolveCall?.Invoke(call) is { } function)
                {
                    var arguments = call.ArgumentList.Arguments;
                    if (arguments.Count != function.Arity)
                        throw new ReadException(call, $"'{call.Expression}' takes {function.Arity} argument{(function.Arity == 1 ? "" : "s")}, not {arguments.Count}");
                    foreach (var a in arguments)
                        if (!a.RefKindKeyword.IsKind(SyntaxKind.None) || a.NameColon != null)
                            throw new ReadException(a, "arguments must be plain expressions in parameter order");
                    var node = Expr.Call(function, arguments.Select(a => Read(a.Expression)).ToArray());
                    _scope.CallRead?.Invoke(node, call);
                    return node;
                }
                throw new ReadException(call.Expression, _scope.CallRejection ??
                    $"calls to '{call.Expression}' are not supported; use System.Math functions or [Differentiable] methods");
            }
            if (!Functions.TryGetValue(name, out var f))
            {
                if (name == "Log" && call.ArgumentList.Arguments.Count == 2)
                    return Expr.Div(Expr.Log(Read(call.ArgumentList.Arguments[0].Expression)), Expr.Log(Read(call.ArgumentList.Arguments[1].Expression)));
                throw new ReadException(call.Expression, $"unknown function '{call.Expression}'");
            }
            var args = call.ArgumentList.Arguments;
            if (name == "Log" && args.Count == 2)
                return Expr.Div(Expr.Log(Read(args[0].Expression)), Expr.Log(Read(args[1].Expression)));
            if (args.Count != f.Arity)
                throw new ReadException(call, $"'{call.Expression}' takes {f.Arity} argument{(f.Arity == 1 ? "" : "s")}, not {args.Count}");
            foreach (var a in args)
                if (!a.RefKindKeyword.IsKind(SyntaxKind.None) || a.NameColon != null)
                    throw new ReadException(a, "arguments must be plain expressions");
            return f.Build(args.Select(a => Read(a.Expression)).ToArray());
        }
    }
}
