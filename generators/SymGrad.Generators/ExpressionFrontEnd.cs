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
    public FrontEndError(int start, int length, string message) : this(start, length, message, null, Array.Empty<string>())
    {
    }

    /// <summary>Creates an error that has a diagnostic of its own (<c>SG0014</c>…), with that diagnostic's arguments.</summary>
    public FrontEndError(int start, int length, string message, string? diagnosticId, IReadOnlyList<string> arguments)
    {
        Start = start;
        Length = length;
        Message = message;
        DiagnosticId = diagnosticId;
        Arguments = arguments;
    }

    /// <summary>The specific diagnostic for this error, or null for the general SG0004.</summary>
    public string? DiagnosticId { get; }
    /// <summary>The arguments of <see cref="DiagnosticId"/>'s message.</summary>
    public IReadOnlyList<string> Arguments { get; }

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

/// <summary>
/// A value read from C# with the C# type it has there and, for a compile-time constant, the value C# gives it
/// (<c>1 / 2</c> is the <c>int</c> 0; <c>1e-30f</c> the binary32 number nearest 10⁻³⁰).
/// </summary>
internal readonly struct TypedExpr
{
    public TypedExpr(Expr value, NumericType type, object? constant = null)
    {
        Value = value;
        Type = type;
        Constant = constant;
    }

    public Expr Value { get; }
    public NumericType Type { get; }
    /// <summary>The C# constant (a boxed int, long, float or double), or null when the value is not a constant.</summary>
    public object? Constant { get; }

    public bool IsInteger => Type is NumericType.Int or NumericType.Long;
    public bool IsZeroConstant => Constant is int i ? i == 0 : Constant is long l ? l == 0 : Constant is float f ? f == 0 : Constant is double d && d == 0;
}

/// <summary>What identifiers mean while reading an expression.</summary>
public sealed class FrontEndScope
{
    private readonly Dictionary<string, TypedExpr> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _arrays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _forbidden = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ArrayValue> _arrayValues = new(StringComparer.Ordinal);

    /// <summary>
    /// An array local (<c>var h = new double[n]</c>): its length and its elements as one expression in a free index,
    /// element <paramref name="Index"/> = <paramref name="Element"/> (0 until a loop writes them; a state's own elements
    /// h[i] inside a loop that carries it).
    /// </summary>
    internal sealed record ArrayValue(Expr Length, Expr Index, Expr Element);

    /// <summary>Binds an array local to its value.</summary>
    internal FrontEndScope BindArrayValue(string name, ArrayValue value)
    {
        _arrayValues[name] = value;
        return this;
    }

    private readonly Dictionary<string, Expr> _writtenAt = new(StringComparer.Ordinal);

    /// <summary>Marks an array local as written in this iteration at <paramref name="position"/>: only that element is read again.</summary>
    internal void WrittenAt(string name, Expr position) => _writtenAt[name] = position;

    /// <summary>The position an array local was written at in this iteration, if it was.</summary>
    internal bool TryWrittenAt(string name, out Expr position) => _writtenAt.TryGetValue(name, out position!);

    /// <summary>The value of an array local, when <paramref name="name"/> is one.</summary>
    internal bool TryArrayValue(string name, out ArrayValue value) => _arrayValues.TryGetValue(name, out value!);

    /// <summary>The array locals' names.</summary>
    internal IEnumerable<string> ArrayValueNames => _arrayValues.Keys;

    /// <summary>When true, any unknown identifier is a free variable (the CLI); otherwise it is an error.</summary>
    public bool UnknownIdentifiersAreVariables { get; set; } = true;

    /// <summary>
    /// The floating-point type the method computes in (<see cref="NumericType.Double"/> or <see cref="NumericType.Float"/>):
    /// its parameters, variables and the values of its float and double arithmetic.
    /// </summary>
    public NumericType FloatingType { get; set; } = NumericType.Double;

    /// <summary>Binds an identifier (a parameter or local of the floating-point type) to an expression.</summary>
    public FrontEndScope Bind(string name, Expr value) => Bind(name, new TypedExpr(value, FloatingType));

    internal FrontEndScope Bind(string name, TypedExpr value)
    {
        _names[name] = value;
        return this;
    }

    /// <summary>Binds a loop or <c>Sym.Sum</c> variable: an <c>int</c> index.</summary>
    public FrontEndScope BindIndex(string name, Expr index)
    {
        if (index.Kind != ExprKind.Index) throw new ArgumentException($"'{index}' is not an index.", nameof(index));
        return Bind(name, new TypedExpr(index, NumericType.Int));
    }

    /// <summary>Binds a loop variable that runs over an int expression of an index (i = a + s·i′ of a loop from a by s).</summary>
    public FrontEndScope BindIndexExpression(string name, Expr position)
    {
        if (!position.IsIntegerValued) throw new ArgumentException($"'{position}' is not an int expression.", nameof(position));
        return Bind(name, new TypedExpr(position, NumericType.Int));
    }

    /// <summary>
    /// What names and calls refer to (<c>const</c> fields, System.Math, other [Differentiable] methods), from the
    /// semantic model; without one (the CLI) calls are Math functions by name and there are no named constants.
    /// </summary>
    public ISymbolResolver? Resolver { get; set; }

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

    /// <summary>The C# type of a bound name, or null.</summary>
    public NumericType? TypeOf(string name) => _names.TryGetValue(name, out var t) ? t.Type : null;

    /// <summary>True when <paramref name="name"/> is an index bound in this scope (a loop or Sym.Sum variable).</summary>
    public bool IsIndex(string name) => _names.TryGetValue(name, out var e) && e.Value.Kind == ExprKind.Index;

    /// <summary>The names bound to indices, for choosing fresh ones.</summary>
    public IEnumerable<string> Indices => _names.Values.Where(e => e.IsInteger)
        .SelectMany(e => Graph.PostOrder(e.Value).Where(n => n.Kind == ExprKind.Index)).Select(n => n.Name!).Distinct();

    internal bool TryArray(string name, out int rank)
    {
        if (_arrayValues.ContainsKey(name))
        {
            rank = 1;
            return true;
        }
        return _arrays.TryGetValue(name, out rank);
    }

    internal string? Forbidden(string name) => _forbidden.TryGetValue(name, out var reason) ? reason : null;

    /// <summary>A copy whose bindings can change without affecting this scope (a branch of an <c>if</c>).</summary>
    public FrontEndScope Clone()
    {
        var copy = new FrontEndScope
        {
            UnknownIdentifiersAreVariables = UnknownIdentifiersAreVariables,
            FloatingType = FloatingType,
            Resolver = Resolver,
        };
        foreach (var kv in _names) copy._names[kv.Key] = kv.Value;
        foreach (var kv in _arrays) copy._arrays[kv.Key] = kv.Value;
        foreach (var kv in _forbidden) copy._forbidden[kv.Key] = kv.Value;
        foreach (var kv in _arrayValues) copy._arrayValues[kv.Key] = kv.Value;
        foreach (var kv in _writtenAt) copy._writtenAt[kv.Key] = kv.Value;
        return copy;
    }

    internal bool TryResolve(string name, out TypedExpr value) => _names.TryGetValue(name, out value);

    private readonly List<string> _variables = new();

    /// <summary>
    /// The unknown identifiers read as variables (with <see cref="UnknownIdentifiersAreVariables"/>), in the order first
    /// read: the formula's variables even where algebra cancels them (√x / √x is 1, for x ≥ 0).
    /// </summary>
    public IReadOnlyList<string> Variables => _variables;

    internal void ReadVariable(string name)
    {
        if (!_variables.Contains(name)) _variables.Add(name);
    }

    /// <summary>
    /// After an <c>if</c> whose branches only change locals: each local of this scope that a branch changed is the one
    /// branch's value or the other's, by the condition (locals declared inside a branch end with it).
    /// </summary>
    internal void Merge(Expr condition, FrontEndScope whenTrue, FrontEndScope whenFalse)
    {
        // An array local changed by a branch: element by element, one branch's or the other's (same length).
        foreach (var name in _arrayValues.Keys.ToList())
        {
            var (t, f) = (whenTrue._arrayValues[name], whenFalse._arrayValues[name]);
            if (t.Equals(f)) _arrayValues[name] = t;
            else if (!ReferenceEquals(t.Length, f.Length)) throw new InvalidOperationException($"The branches give '{name}' different lengths.");
            else _arrayValues[name] = t with { Element = Expr.If(condition, t.Element, Expr.Substitute(f.Element, f.Index, t.Index)) };
        }
        foreach (var name in _names.Keys.ToList())
        {
            var (t, f) = (whenTrue._names[name], whenFalse._names[name]);
            if (ReferenceEquals(t.Value, f.Value)) _names[name] = t;
            else _names[name] = new TypedExpr(Expr.If(condition, t.Value, f.Value), t.Type);
        }
    }
}

/// <summary>
/// Reads C# expression syntax into the engine's expression graph with C#'s meaning: every subexpression has its C#
/// type; <c>int</c> arithmetic truncates (<c>1 / 2</c> is 0) and stays integer data until C# converts it; constants
/// are folded as the compiler folds them; a <c>float</c> constant is its binary32 value. One implementation serves
/// the <c>symgrad</c> CLI (from text) and the source generator (from method bodies): <c>+ - * / %</c>, unary minus,
/// parentheses, numeric literals, <c>Math.*</c>/<c>MathF.*</c> functions and constants (also without the prefix),
/// numeric casts, and <c>?:</c> with comparisons.
/// </summary>
public static class ExpressionFrontEnd
{
    private static readonly Dictionary<string, (int Arity, Func<Expr[], Expr> Build)> Functions = new(StringComparer.Ordinal)
    {
        ["Exp"] = (1, a => Expr.Exp(a[0])),
        ["Log"] = (1, a => Expr.Log(a[0])),
        ["Log10"] = (1, a => Expr.Direct(ExprKind.Log10, a[0])),
        ["Log2"] = (1, a => Expr.Direct(ExprKind.Log2, a[0])),
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
        ["Atan"] = (1, a => Expr.Inverse(ExprKind.Atan, a[0])),
        ["Asin"] = (1, a => Expr.Inverse(ExprKind.Asin, a[0])),
        ["Acos"] = (1, a => Expr.Inverse(ExprKind.Acos, a[0])),
        ["Asinh"] = (1, a => Expr.Inverse(ExprKind.Asinh, a[0])),
        ["Acosh"] = (1, a => Expr.Inverse(ExprKind.Acosh, a[0])),
        ["Atanh"] = (1, a => Expr.Inverse(ExprKind.Atanh, a[0])),
        // Math.Clamp(value, min, max) as C# computes it: value < min ? min : value > max ? max : value.
        ["Clamp"] = (3, a => Expr.If(Expr.Compare(ExprKind.Less, a[0], a[1]), a[1], Expr.If(Expr.Compare(ExprKind.Greater, a[0], a[2]), a[2], a[0]))),
        // Math.Cbrt, Log2 and Log10 are .NET's own (exact at 27, 8 and 1000, where Pow(x, 1/3) and Log(x)/Log(b) are not).
        ["Cbrt"] = (1, a => Expr.Direct(ExprKind.Cbrt, a[0])),
        // a·b + c rounded once, as FusedMultiplyAdd computes it.
        ["FusedMultiplyAdd"] = (3, a => Expr.FusedMultiplyAdd(a[0], a[1], a[2])),
        // Step functions: derivative 0 between the steps.
        ["Floor"] = (1, a => Expr.Step(ExprKind.Floor, a[0])),
        ["Ceiling"] = (1, a => Expr.Step(ExprKind.Ceiling, a[0])),
        ["Truncate"] = (1, a => Expr.Step(ExprKind.Truncate, a[0])),
        ["Round"] = (1, a => Expr.Step(ExprKind.Round, a[0])),
        ["Atan2"] = (2, a => Expr.Atan2(a[0], a[1])),
        ["CopySign"] = (2, a => Expr.CopySign(a[0], a[1])),
        // The generic-math statics of double and float. .NET computes ExpM1 as Exp(x) − 1, LogP1 as Log(x + 1), Exp2 and
        // Exp10 as Pow(2 or 10, x): the same here, so the value is the method's (not the accurate expm1 and log1p).
        ["Hypot"] = (2, a => Expr.Hypot(a[0], a[1])),
        ["Exp2"] = (1, a => Expr.Pow(Expr.Const(2), a[0])),
        ["Exp10"] = (1, a => Expr.Pow(Expr.Const(10), a[0])),
        ["ExpM1"] = (1, a => Expr.Sub(Expr.Exp(a[0]), Expr.One)),
        ["LogP1"] = (1, a => Expr.Log(Expr.Add(a[0], Expr.One))),
        ["Log2P1"] = (1, a => Expr.Div(Expr.Log(Expr.Add(a[0], Expr.One)), Expr.Log(Expr.Const(2)))),
        ["Log10P1"] = (1, a => Expr.Div(Expr.Log(Expr.Add(a[0], Expr.One)), Expr.Log(Expr.Const(10)))),
    };


    /// <summary>The functions understood, by name.</summary>
    public static IEnumerable<string> FunctionNames => Functions.Keys.OrderBy(k => k, StringComparer.Ordinal);

    /// <summary>Parses and reads a C# expression given as text; every unknown identifier is a variable.</summary>
    public static FrontEndResult ParseText(string text) => ParseText(text, new FrontEndScope());

    // The position where the nesting first exceeds the limit, or null.
    private static int? TooDeep(string text)
    {
        var depth = 0;
        var unary = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '(' or '[') depth++;
            else if (c is ')' or ']') depth = Math.Max(0, depth - 1);
            // A run of prefix operators (- - - x, !!!x) nests as deeply as parentheses do.
            if (c is '-' or '+' or '!' or '~') unary++;
            else if (!char.IsWhiteSpace(c)) unary = 0;
            if (depth + unary > DifferentiableParser.MaxNesting) return i;
        }
        return null;
    }

    /// <summary>Parses and reads a C# expression given as text.</summary>
    public static FrontEndResult ParseText(string text, FrontEndScope scope)
    {
        if (string.IsNullOrWhiteSpace(text)) return FrontEndResult.Fail(new FrontEndError(0, 0, "the expression is empty"));
        // Roslyn's parser recurses once per level of nesting: 30 000 parentheses overflow its stack (the process dies).
        if (TooDeep(text) is { } deep)
            return FrontEndResult.Fail(new FrontEndError(deep, 1, $"the expression is nested more than {DifferentiableParser.MaxNesting} levels deep (parentheses, brackets or unary operators)"));
        var syntax = SyntaxFactory.ParseExpression(text);
        var error = syntax.GetDiagnostics().FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        if (error != null)
        {
            var span = error.Location.SourceSpan;
            return FrontEndResult.Fail(new FrontEndError(span.Start, span.Length, "syntax error: " + error.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return Read(syntax, scope);
    }

    /// <summary>Reads an expression syntax node as a value of the scope's floating-point type (converting an int as C# would).</summary>
    public static FrontEndResult Read(ExpressionSyntax syntax, FrontEndScope scope) => Run(() => new Reader(scope).Read(syntax));

    /// <summary>Reads the condition of an <c>if</c> or <c>?:</c>: a comparison.</summary>
    public static FrontEndResult ReadCondition(ExpressionSyntax syntax, FrontEndScope scope) => Run(() => new Reader(scope).Condition(syntax));

    /// <summary>Reads a count (a loop bound): an <c>int</c> expression.</summary>
    public static FrontEndResult ReadCount(ExpressionSyntax syntax, FrontEndScope scope) =>
        Run(() => new Reader(scope).Count(syntax));

    /// <summary>
    /// Reads a local's initialiser and binds the local with C#'s meaning: its declared type (<c>var</c>: the
    /// initialiser's), the initialiser converted to it, and its value when that is a constant.
    /// </summary>
    public static FrontEndError? BindLocal(string name, TypeSyntax declared, ExpressionSyntax initializer, FrontEndScope scope)
    {
        try
        {
            var reader = new Reader(scope);
            var value = reader.Typed(initializer);
            scope.Bind(name, reader.ConvertTo(value, reader.DeclaredType(declared, value), initializer));
            return null;
        }
        catch (ReadException e)
        {
            return e.Error;
        }
    }

    /// <summary>
    /// Reads <c>name = right</c>, <c>name += right</c> (and <c>-= *= /=</c>) on a bound local and rebinds it, with C#'s
    /// arithmetic for the local's type.
    /// </summary>
    public static FrontEndError? Assign(string name, SyntaxKind assignment, ExpressionSyntax right, SyntaxNode at, FrontEndScope scope)
    {
        try
        {
            var reader = new Reader(scope);
            if (!scope.TryResolve(name, out var current)) throw new ReadException(at, DiagnosticDescriptors.UnknownName, name, "local");
            var value = reader.Typed(right);
            var op = assignment switch
            {
                SyntaxKind.SimpleAssignmentExpression => (SyntaxKind?)null,
                SyntaxKind.AddAssignmentExpression => SyntaxKind.AddExpression,
                SyntaxKind.SubtractAssignmentExpression => SyntaxKind.SubtractExpression,
                SyntaxKind.MultiplyAssignmentExpression => SyntaxKind.MultiplyExpression,
                SyntaxKind.DivideAssignmentExpression => SyntaxKind.DivideExpression,
                SyntaxKind.ModuloAssignmentExpression => SyntaxKind.ModuloExpression,
                _ => throw new ReadException(at, DiagnosticDescriptors.UnsupportedExpression, Describe(at), "the assignment operator is not supported"),
            };
            if (op is { } binary) value = reader.Combine(binary, current, value, at, right);
            // Compound assignment converts back to the local's type; an int local given a floating-point value would be truncated.
            if (current.IsInteger && !value.IsInteger)
                throw new ReadException(at, DiagnosticDescriptors.UnsupportedConversion, Describe(at), "a floating-point value", $"the int '{name}'", "truncates it: its derivative is zero almost everywhere");
            scope.Bind(name, reader.ConvertTo(value, current.Type, right));
            return null;
        }
        catch (ReadException e)
        {
            return e.Error;
        }
    }

    private static FrontEndResult Run(Func<Expr> read)
    {
        try
        {
            return FrontEndResult.Ok(read());
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

    /// <summary>
    /// A <c>float</c> constant for float arithmetic: the decimal it prints as when that decimal rounds back to it
    /// (0.1f reads as 1/10, and float code prints it as 0.1f again), else its exact binary32 value (1e-30f, 3.4e38f).
    /// </summary>
    internal static Expr FloatConstant(float f)
    {
        if (float.IsNaN(f) || float.IsInfinity(f)) return Expr.Const((double)f);
        var n = Number.ParseLiteral(f.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        return n.IsExact && (float)n.Value == f ? Expr.Const(n) : Expr.Const(Number.Inexact(f));
    }

    private sealed class ReadException : Exception
    {
        // A problem with a diagnostic of its own: the message is the descriptor's, with these arguments.
        public ReadException(SyntaxNode node, DiagnosticDescriptor descriptor, params string[] arguments)
            : base(string.Format(System.Globalization.CultureInfo.InvariantCulture, descriptor.MessageFormat.ToString(System.Globalization.CultureInfo.InvariantCulture), arguments)) =>
            Error = new FrontEndError(node.SpanStart, node.Span.Length, Message, descriptor.Id, arguments);

        public FrontEndError Error { get; }
    }

    private static string Describe(SyntaxNode s)
    {
        var text = s.ToString();
        return text.Length > 40 ? text.Substring(0, 37) + "..." : text;
    }

    private static ReadException LongArithmetic(SyntaxNode at) =>
        new(at, DiagnosticDescriptors.UnsupportedArithmetic, Describe(at), "long arithmetic", "compute with int (or convert to double)");

    private sealed class Reader
    {
        private readonly FrontEndScope _scope;

        public Reader(FrontEndScope scope) => _scope = scope;

        private NumericType Floating => _scope.FloatingType;

        /// <summary>A value of the floating-point type.</summary>
        public Expr Read(ExpressionSyntax s) => Floated(Typed(s), s);

        /// <summary>An int value (an index, a count).</summary>
        public Expr Integer(ExpressionSyntax s, string requirement)
        {
            var t = Typed(s);
            if (t.Type != NumericType.Int) throw new ReadException(s, DiagnosticDescriptors.UnsupportedExpression, Describe(s), $"{requirement}; it is {Name(t.Type)}");
            return t.Value;
        }

        /// <summary>A loop bound or a count: an int value (SG0014 otherwise).</summary>
        public Expr Count(ExpressionSyntax s)
        {
            var t = Typed(s);
            if (t.Type != NumericType.Int) throw new ReadException(s, DiagnosticDescriptors.LoopBoundNotInt, Describe(s), Name(t.Type));
            return t.Value;
        }

        public TypedExpr Typed(ExpressionSyntax s)
        {
            if (!TrySufficientStack()) throw new ReadException(s, DiagnosticDescriptors.UnsupportedExpression, Describe(s), "it is nested too deeply");
            switch (s)
            {
                case ParenthesizedExpressionSyntax p:
                    return Typed(p.Expression);
                case LiteralExpressionSyntax l when l.IsKind(SyntaxKind.NumericLiteralExpression):
                    return Literal(l);
                case IdentifierNameSyntax id:
                    return Identifier(id);
                // -2147483648 is int.MinValue in C#, though the literal alone is a uint.
                case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryMinusExpression) && u.Operand is LiteralExpressionSyntax minValue
                                                        && minValue.Token.Value is uint magnitude && magnitude == 2147483648u:
                    return new TypedExpr(Expr.Const(int.MinValue), NumericType.Int, int.MinValue);
                case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryMinusExpression):
                    return Negate(Typed(u.Operand), u);
                case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.UnaryPlusExpression):
                    return Typed(u.Operand);
                case BinaryExpressionSyntax b:
                    return Binary(b);
                case SwitchExpressionSyntax sw:
                    return Switch(sw);
                case ConditionalExpressionSyntax c:
                {
                    var condition = Condition(c.Condition);
                    var whenTrue = Typed(c.WhenTrue);
                    var whenFalse = Typed(c.WhenFalse);
                    if (whenTrue.Type == NumericType.Int && whenFalse.Type == NumericType.Int)
                        return new TypedExpr(Expr.If(condition, whenTrue.Value, whenFalse.Value), NumericType.Int);
                    return new TypedExpr(Expr.If(condition, Floated(whenTrue, c.WhenTrue), Floated(whenFalse, c.WhenFalse)), Promote(whenTrue.Type, whenFalse.Type));
                }
                case InvocationExpressionSyntax call:
                    return Invocation(call);
                case ElementAccessExpressionSyntax element:
                    return new TypedExpr(Element(element), Floating);
                case MemberAccessExpressionSyntax m when m.Expression is IdentifierNameSyntax arrayName && _scope.TryArray(arrayName.Identifier.ValueText, out var lengthRank):
                    if (m.Name.Identifier.ValueText != "Length") throw new ReadException(m, DiagnosticDescriptors.UnsupportedArrayAccess, m.ToString(), $"only {arrayName}.Length is read from an array");
                    if (lengthRank != 1) throw new ReadException(m, DiagnosticDescriptors.UnsupportedArrayAccess, m.ToString(), $"it counts every element of a {lengthRank}-dimensional array; use {arrayName}.GetLength(axis)");
                    return new TypedExpr(_scope.TryArrayValue(arrayName.Identifier.ValueText, out var local) ? local.Length : Expr.Length(arrayName.Identifier.ValueText), NumericType.Int);
                case MemberAccessExpressionSyntax m:
                    // Math.PI stays π (so derivations show it); double.MaxValue, double.Epsilon and the like are their values.
                    if (!(SystemMath.IsMathClass(m.Expression.ToString()) || SystemMath.IsNumberType(m.Expression.ToString()) && m.Name.Identifier.ValueText is "Pi" or "E" or "Tau") &&
                        _scope.Resolver?.ConstantValue(m) is { } member) return FromConstant(member, m);
                    if (_scope.Resolver?.RuntimeConstant(m) is { } staticField) return RuntimeConstant(staticField);
                    return MemberConstant(m, m.Name.Identifier.ValueText, SystemMath.IsQualifier(m.Expression.ToString()) ? m.Expression.ToString() : null);
                case CastExpressionSyntax cast:
                    return Cast(cast);
                case CheckedExpressionSyntax ch:
                {
                    // unchecked is what the generated code computes; checked int arithmetic throws where it would wrap.
                    var inner = Typed(ch.Expression);
                    if (ch.IsKind(SyntaxKind.CheckedExpression) && _scope.Resolver?.FoldedConstant(ch) is null &&
                        Graph.PostOrder(inner.Value).Any(n => n.Kind is ExprKind.Add or ExprKind.Mul or ExprKind.Pow && Expr.InvolvesIntegerData(n)))
                        throw new ReadException(ch, DiagnosticDescriptors.UnsupportedArithmetic, Describe(ch), "checked int arithmetic",
                            "the generated code cannot throw where it overflows; remove 'checked' or compute in double");
                    return inner;
                }
            }
            throw new ReadException(s, DiagnosticDescriptors.UnsupportedExpression, Describe(s), "this kind of expression is not supported");
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


        private static string Name(NumericType t) => t switch
        {
            NumericType.Int => "an int",
            NumericType.Long => "a long",
            NumericType.Float => "a float",
            _ => "a double",
        };

        // C#'s binary numeric promotion over the types modelled here.
        private static NumericType Promote(NumericType a, NumericType b) => (NumericType)Math.Max((int)a, (int)b);

        // ---- conversions ------------------------------------------------------------------------------

        /// <summary>The value as the floating-point type computes with it: an int converted where C# converts it.</summary>
        public Expr Floated(TypedExpr t, SyntaxNode at)
        {
            switch (t.Constant)
            {
                // An int or long constant is converted as C# converts it: rounded to float (16777217 is 16777216f) or to
                // double (past 2⁵³).
                case int i: return Floating == NumericType.Float ? FloatConstant(i) : Expr.Const(i);
                case long l: return Floating == NumericType.Float ? FloatConstant(l) : (long)(double)l == l ? Expr.Const(l) : Expr.Const((double)l);
                // A float constant in double arithmetic is its binary32 value exactly (0.1f is 0.100000001490116…).
                case float f: return Floating == NumericType.Float ? t.Value : Expr.Const((double)f);
                case double: return t.Value;
            }
            if (t.Type == NumericType.Long) throw LongArithmetic(at);
            return t.Type == NumericType.Int ? Converted(t.Value) : t.Value;
        }

        // int → floating: integer data (indices, lengths, int quotients) is converted where C# converts it; the 0, 1 and ±1
        // of comparisons and Math.Sign are the values the engine already computes with; a selection converts its branches.
        private static Expr Converted(Expr e) =>
            !Expr.InvolvesIntegerData(e) ? e
            : e.Kind == ExprKind.If ? Expr.If(e.Args[0], Converted(e.Args[1]), Converted(e.Args[2]))
            : Expr.ToFloat(e);

        /// <summary>The value converted to <paramref name="target"/>, as an assignment or cast converts it.</summary>
        public TypedExpr ConvertTo(TypedExpr t, NumericType target, SyntaxNode at)
        {
            if (t.Type == target) return t;
            if (t.Constant is { } c) return FromConstant(ConvertConstant(c, target), at);
            switch (target)
            {
                case NumericType.Int:
                case NumericType.Long:
                    if (t.IsInteger) throw LongArithmetic(at);
                    throw new ReadException(at, DiagnosticDescriptors.UnsupportedConversion, Describe(at), Name(t.Type), target == NumericType.Int ? "int" : "long", "truncates it: its derivative is zero almost everywhere");
                case NumericType.Float when Floating == NumericType.Double:
                    throw new ReadException(at, DiagnosticDescriptors.UnsupportedConversion, Describe(at), Name(t.Type), "float inside a double method", "rounds it to float precision; compute in one precision");
                default:
                    return new TypedExpr(Floated(t, at), target);
            }
        }

        private static object ConvertConstant(object c, NumericType target) => target switch
        {
            NumericType.Int => c switch { int i => i, long l => unchecked((int)l), float f => (int)f, double d => (int)d, _ => c },
            NumericType.Long => c switch { int i => (long)i, long l => l, float f => (long)f, double d => (long)d, _ => c },
            NumericType.Float => c switch { int i => (float)i, long l => (float)l, float f => f, double d => (float)d, _ => c },
            _ => c switch { int i => (double)i, long l => (double)l, float f => (double)f, double d => d, _ => c },
        };

        /// <summary>A constant as C# holds it: int, long, float (binary32) or double.</summary>
        private TypedExpr FromConstant(object c, SyntaxNode at) => c switch
        {
            int i => new TypedExpr(Expr.Const(i), NumericType.Int, i),
            long l => new TypedExpr(Expr.Const(l), NumericType.Long, l),
            float f => new TypedExpr(FloatConstant(f), NumericType.Float, f),
            double d => new TypedExpr(Expr.Const(d), NumericType.Double, d),
            short or byte or sbyte or ushort or char => FromConstant(Convert.ToInt32(c, System.Globalization.CultureInfo.InvariantCulture), at),
            _ => throw new ReadException(at, DiagnosticDescriptors.UnsupportedArithmetic, Describe(at), "a " + c.GetType().Name + " constant", "SymGrad computes with int, float and double"),
        };

        public NumericType DeclaredType(TypeSyntax declared, TypedExpr initializer)
        {
            if (declared.IsVar) return initializer.Type;
            if (declared is PredefinedTypeSyntax p)
            {
                switch (p.Keyword.Kind())
                {
                    case SyntaxKind.IntKeyword: return NumericType.Int;
                    case SyntaxKind.LongKeyword: return NumericType.Long;
                    case SyntaxKind.FloatKeyword: return NumericType.Float;
                    case SyntaxKind.DoubleKeyword: return NumericType.Double;
                }
            }
            throw new ReadException(declared, DiagnosticDescriptors.UnsupportedExpression, declared.ToString(), "locals of this type are not supported; use double, float or int");
        }

        // ---- leaves -------------------------------------------------------------------------------------

        private TypedExpr Literal(LiteralExpressionSyntax l)
        {
            switch (l.Token.Value)
            {
                case int i: return new TypedExpr(Expr.Const(i), NumericType.Int, i);
                case long n: return new TypedExpr(Expr.Const(n), NumericType.Long, n);
                case float f:
                    if (float.IsInfinity(f)) throw new ReadException(l, DiagnosticDescriptors.UnsupportedExpression, l.Token.Text, "the literal is out of range");
                    return new TypedExpr(FloatConstant(f), NumericType.Float, f);
                case double d:
                {
                    if (double.IsInfinity(d)) throw new ReadException(l, DiagnosticDescriptors.UnsupportedExpression, l.Token.Text, "the literal is out of range");
                    // As written when it is a short decimal (0.1 is 1/10, exact in derivations); otherwise its binary64 value.
                    var text = l.Token.Text.Replace("_", "").TrimEnd('d', 'D');
                    Number n;
                    try
                    {
                        n = Number.ParseLiteral(text);
                    }
                    catch (Exception e) when (e is FormatException or OverflowException)
                    {
                        n = Number.Inexact(d);
                    }
                    return new TypedExpr(Expr.Const(n.Value == d ? n : Number.Inexact(d)), NumericType.Double, d);
                }
                default:
                    throw new ReadException(l, DiagnosticDescriptors.UnsupportedArithmetic, l.Token.Text, "a " + (l.Token.Value?.GetType().Name ?? "value") + " literal", "SymGrad computes with int, float and double");
            }
        }

        private TypedExpr Identifier(IdentifierNameSyntax id)
        {
            var name = id.Identifier.ValueText;
            if (_scope.Forbidden(name) is { } reason) throw new ReadException(id, DiagnosticDescriptors.UnsupportedLoopBody, $"'{name}'", reason);
            if (_scope.TryResolve(name, out var bound)) return bound;
            if (_scope.TryArray(name, out var rank))
                throw new ReadException(id, DiagnosticDescriptors.UnsupportedArrayAccess, name, $"'{name}' is an array: read its elements ({name}[i]{(rank > 1 ? ", …" : "")}) or its length, not the array as a number");
            if (_scope.Resolver?.ConstantValue(id) is { } constant) return FromConstant(constant, id);
            if (_scope.Resolver?.RuntimeConstant(id) is { } field) return RuntimeConstant(field);
            if (name is "PI" or "E") return MemberConstant(id, name, "Math");
            if (_scope.UnknownIdentifiersAreVariables)
            {
                // Math and MathF name the functions in the code printed from the formula: not a variable.
                if (SystemMath.IsMathClass(name))
                    throw new ReadException(id, DiagnosticDescriptors.UnsupportedExpression, name, "Math and MathF name the math functions; call one, or name the variable otherwise");
                _scope.ReadVariable(name);
                return new TypedExpr(Expr.Var(name), Floating);
            }
            throw new ReadException(id, DiagnosticDescriptors.UnknownName, name, "parameter, local or constant");
        }

        // A static field read at run time: a leaf named by its qualified access, a variable of no derivative (an index
        // for an int, which is data).
        private static TypedExpr RuntimeConstant((string Access, NumericType Type) field) =>
            field.Type == NumericType.Int ? new TypedExpr(Expr.Index(field.Access), NumericType.Int) : new TypedExpr(Expr.Var(field.Access), field.Type);

        // Math.PI is the double π; MathF.PI the float nearest it (3.14159274…), which a double method sees as that.
        private static TypedExpr MemberConstant(ExpressionSyntax s, string name, string? mathClass)
        {
            var isFloat = mathClass != null && SystemMath.IsSinglePrecision(mathClass);
            (Expr Value, double Constant)? c = mathClass is null ? null : name switch
            {
                "PI" or "Pi" => (Expr.Pi, Math.PI),
                "E" => (Expr.E, Math.E),
                "Tau" => (Expr.Mul(Expr.Const(2), Expr.Pi), 2 * Math.PI),
                _ => null,
            };
            if (c is null) throw new ReadException(s, DiagnosticDescriptors.UnsupportedExpression, Describe(s), "this member is not supported");
            return isFloat
                ? new TypedExpr(c.Value.Value, NumericType.Float, (float)c.Value.Constant)
                : new TypedExpr(c.Value.Value, NumericType.Double, c.Value.Constant);
        }

        private Expr Element(ElementAccessExpressionSyntax e)
        {
            if (e.Expression is not IdentifierNameSyntax array || !_scope.TryArray(array.Identifier.ValueText, out var rank))
                throw new ReadException(e.Expression, DiagnosticDescriptors.UnsupportedArrayAccess, Describe(e.Expression), "it is not an array or span parameter of this method");
            var args = e.ArgumentList.Arguments;
            if (args.Count != rank) throw new ReadException(e.ArgumentList, DiagnosticDescriptors.UnsupportedArrayAccess, Describe(e), $"'{array}' has {rank} dimension{(rank == 1 ? "" : "s")}, indexed here with {args.Count}");
            var indices = args.Select(a => Integer(a.Expression, "an index must be an int expression")).ToArray();
            // An array local's element: its value at that index (in the loop that writes it, only the element just written).
            if (_scope.TryWrittenAt(array.Identifier.ValueText, out var at) && !ReferenceEquals(indices[0], at))
                throw new ReadException(e, DiagnosticDescriptors.UnsupportedLoopBody, $"'{Describe(e)}'",
                    $"this loop writes '{array}' element by element, so another element than the one just written ({array}[{e.ArgumentList.Arguments[0]}]) would depend on the order of the writes; read it after the loop");
            if (_scope.TryArrayValue(array.Identifier.ValueText, out var local)) return Expr.Substitute(local.Element, local.Index, indices[0]);
            return Expr.Element(array.Identifier.ValueText, indices);
        }

        // ---- operators ----------------------------------------------------------------------------------

        private TypedExpr Negate(TypedExpr t, SyntaxNode at) => t.Constant switch
        {
            int i => FromConstant(unchecked(-i), at),
            long l => FromConstant(unchecked(-l), at),
            float f => FromConstant(-f, at),
            double d => new TypedExpr(Expr.Neg(t.Value), NumericType.Double, -d),
            _ => t.Type == NumericType.Long ? throw LongArithmetic(at) : new TypedExpr(Expr.Neg(t.Value), t.Type),
        };

        private TypedExpr Cast(CastExpressionSyntax cast)
        {
            var target = cast.Type is PredefinedTypeSyntax p ? p.Keyword.Kind() switch
            {
                SyntaxKind.IntKeyword => NumericType.Int,
                SyntaxKind.LongKeyword => NumericType.Long,
                SyntaxKind.FloatKeyword => NumericType.Float,
                SyntaxKind.DoubleKeyword => NumericType.Double,
                _ => (NumericType?)null,
            } : null;
            if (target is null) throw new ReadException(cast, DiagnosticDescriptors.UnsupportedArithmetic, Describe(cast), $"a cast to '{cast.Type}'", "SymGrad computes with int, float and double");
            // (float)Math.Exp(x) of a float x in a float method: the float function, as code for targets without MathF
            // (netstandard2.0, .NET Framework) has to write it. Its arguments are float (exact in double), so it is
            // MathF.Exp(x) to within float rounding; generated code for such targets prints it back as written.
            var operand = cast.Expression;
            while (operand is ParenthesizedExpressionSyntax inner) operand = inner.Expression;
            if (target == NumericType.Float && Floating == NumericType.Float && operand is InvocationExpressionSyntax call)
            {
                var saved = _doubleMathAsFloat;
                _doubleMathAsFloat = call;
                try
                {
                    return ConvertTo(Typed(cast.Expression), target.Value, cast);
                }
                finally
                {
                    _doubleMathAsFloat = saved;
                }
            }
            return ConvertTo(Typed(cast.Expression), target.Value, cast);
        }

        // The System.Math call whose double result is cast straight to float (see Cast), while it is read.
        private InvocationExpressionSyntax? _doubleMathAsFloat;

        private TypedExpr Binary(BinaryExpressionSyntax b)
        {
            switch (b.Kind())
            {
                case SyntaxKind.AddExpression:
                case SyntaxKind.SubtractExpression:
                case SyntaxKind.MultiplyExpression:
                case SyntaxKind.DivideExpression:
                case SyntaxKind.ModuloExpression:
                    return Chain(b);
            }
            if (ComparisonKind(b) is { } k) return new TypedExpr(Compare(k, b.Left, b.Right), Floating);
            // Shifts and bitwise operators of constants, as the compiler folds them (1L << 40).
            if (_scope.Resolver?.FoldedConstant(b) is { } folded && folded is int or long) return FromConstant(folded, b);
            throw new ReadException(b, DiagnosticDescriptors.UnsupportedExpression, Describe(b), $"the operator '{b.OperatorToken.Text}' is not supported");
        }

        // a + b − c + … (or a · b / c · …) parses as a left-leaning chain as deep as it is long: read along the chain,
        // not down it, so a sum of ten thousand terms costs no stack. Each link is C#'s operator on the running value:
        // int with int stays int (1 / 2 is 0), constants fold as the compiler folds them, and once the value is
        // floating-point the rest of the chain is one flat sum or product.
        private TypedExpr Chain(BinaryExpressionSyntax b)
        {
            var additive = b.IsKind(SyntaxKind.AddExpression) || b.IsKind(SyntaxKind.SubtractExpression);
            bool Link(ExpressionSyntax e) => e is BinaryExpressionSyntax x &&
                (additive ? x.IsKind(SyntaxKind.AddExpression) || x.IsKind(SyntaxKind.SubtractExpression)
                          : x.IsKind(SyntaxKind.MultiplyExpression) || x.IsKind(SyntaxKind.DivideExpression) || x.IsKind(SyntaxKind.ModuloExpression));
            var links = new List<BinaryExpressionSyntax>();
            ExpressionSyntax leftmost = b;
            while (Link(leftmost))
            {
                var x = (BinaryExpressionSyntax)leftmost;
                links.Add(x);
                leftmost = x.Left;
            }
            links.Reverse();
            var value = Typed(leftmost);
            List<Expr>? operands = null;
            var scale = 1.0;
            var hot = false;
            var literalZero = false;
            var type = value.Type;
            foreach (var x in links)
            {
                var right = Typed(x.Right);
                if (operands is null)
                {
                    if (value.Constant != null && right.Constant != null || value.IsInteger && right.IsInteger)
                    {
                        value = Combine(x.Kind(), value, right, x, x.Right);
                        continue;
                    }
                    operands = new List<Expr> { Floated(value, x.Left) };
                    literalZero = !additive && value.IsZeroConstant;
                    type = value.Type;
                    scale = operands[0].IsConst ? operands[0].Value.Value : 1;
                    hot = additive ? operands[0].IsConst && Absorbing(operands[0].Value.Value, Promote(type, NumericType.Float)) : Extreme(scale);
                }
                var operand = FloatingOperand(x.Kind(), right, x, x.Right);
                if (additive)
                {
                    // C# adds left to right: (x + 16777217f) − 16777216f is 0 for |x| < 1 in float (x vanishes into the
                    // first constant), not x. A constant past the type's last exact integer is not folded across what
                    // came before it, and nothing after it is reordered: the sum so far is kept whole, as C# computes it.
                    if (hot || operand.IsConst && Absorbing(operand.Value.Value, Promote(Promote(type, right.Type), NumericType.Float)))
                    {
                        if (operands.Any(o => !o.IsConst)) operands = new List<Expr> { Expr.Shared(Expr.Add(operands)) };
                        hot = true;
                    }
                }
                if (!additive && operand.IsConst && !operand.IsZero)
                {
                    // C# multiplies left to right: (x · 1e30f) · 1e30f is finite for small x, x · (1e30f · 1e30f) is ∞ · x.
                    // Constants far from 1 are not folded across what came before them, which is kept whole instead.
                    // Once the running product has met such a constant, every later constant multiplies it in C#'s order
                    // too: 1e308 * x * 10 / 10 overflows for |x| > 0.018, folding 10 / 10 first would not.
                    var v = operand.Value.Value;
                    if (hot || Extreme(v) || Extreme(scale * v))
                    {
                        if (operands.Any(o => !o.IsConst)) operands = new List<Expr> { Expr.Shared(Expr.Mul(operands)) };
                        scale = 1;
                        hot = true;
                    }
                    scale *= v;
                }
                operands.Add(operand);
                if (!additive && right.IsZeroConstant) literalZero = true;
                type = Promote(type, right.Type);
            }
            if (operands is null) return value;
            type = Promote(type, NumericType.Float);
            MixedPrecision(type, b);
            if (additive) return new TypedExpr(Expr.Add(operands), type);
            // A constant zero factor of something that depends on the inputs (0 * x, 0 / x, 1 / 2 * x) keeps IEEE
            // semantics instead of folding away: 0 where every such factor is finite, NaN where one is NaN or ±∞
            // (0 · ∞ and 0 / 0 are NaN). Zeros that algebra produces (x − x) still fold: docs/numerics.md.
            // A constant NaN or ±∞ factor beside the zero makes the product NaN whatever the inputs (x * double.NaN * 0).
            if (literalZero && operands.Any(o => o.Kind == ExprKind.Const && !o.Value.IsExact && (double.IsNaN(o.Value.Value) || double.IsInfinity(o.Value.Value))))
                throw new ReadException(b, DiagnosticDescriptors.UnsupportedExpression, Describe(b), "a product of 0 and NaN or ∞ is NaN for every value");
            if (literalZero && operands.Any(o => o.Kind != ExprKind.Const))
            {
                var finite = operands.Where(o => o.Kind != ExprKind.Const)
                    .Select(o => Expr.Compare(ExprKind.Less, Expr.Abs(o), Expr.Const(double.PositiveInfinity))).ToList();
                return new TypedExpr(Expr.If(Expr.Mul(finite), Expr.Zero, Expr.Const(double.NaN)), type);
            }
            return new TypedExpr(Expr.Mul(operands), type);
        }

        // float arithmetic that is not a constant (1.5f * i, MathF.Exp(i)) rounds every step to binary32; a double method's
        // generated code would compute it in double.
        // And double arithmetic inside a float method ((double)x * x, Math.Exp(x)) computes in binary64 what the generated float
        // code would compute in binary32 (a sum of 10⁶ squares accumulated in double differs by 4e-4).
        private void MixedPrecision(NumericType type, SyntaxNode at)
        {
            if (type == NumericType.Float && Floating == NumericType.Double)
                throw new ReadException(at, DiagnosticDescriptors.UnsupportedArithmetic, Describe(at), "float arithmetic inside a double method",
                    "write its constants as doubles (1.5, not 1.5f) or make the method float");
            // (The CLI reads a formula in the precision it is asked for: no C# method to be faithful to.)
            if (type == NumericType.Double && Floating == NumericType.Float && _scope.Resolver != null)
                throw new ReadException(at, DiagnosticDescriptors.UnsupportedArithmetic, Describe(at), "double arithmetic inside a float method",
                    "compute in float (MathF functions, constants such as 0.5f) or make the method double");
        }

        // A constant at or past 2^24 (float) or 2^53 (double): integers are no longer all exact there, and any |x| < 1
        // added to it is lost entirely.
        private static bool Absorbing(double v, NumericType type) =>
            !double.IsNaN(v) && Math.Abs(v) >= (type == NumericType.Float ? 16777216.0 : 9007199254740992.0);

        // Far enough from 1 that a product with it could leave the range of the floating type for inputs of ordinary
        // size (beyond the square root of the type's largest value, or below that of its smallest normal one).
        private bool Extreme(double v)
        {
            var limit = Floating == NumericType.Float ? 1e18 : 1e150;
            return double.IsInfinity(v) || Math.Abs(v) > limit || v != 0 && Math.Abs(v) < 1 / limit;
        }

        // The right operand of a floating-point link, as a term or factor of the flat sum or product.
        private Expr FloatingOperand(SyntaxKind op, TypedExpr right, SyntaxNode at, SyntaxNode rightSyntax)
        {
            var r = Floated(right, rightSyntax);
            switch (op)
            {
                case SyntaxKind.SubtractExpression:
                    return Expr.Neg(r);
                case SyntaxKind.DivideExpression:
                    if (r.IsZero) throw new ReadException(rightSyntax, DiagnosticDescriptors.DivisionByZero, Describe(at));
                    return Expr.Pow(r, Expr.MinusOne);
                case SyntaxKind.ModuloExpression:
                    throw new ReadException(at, DiagnosticDescriptors.UnsupportedArithmetic, Describe(at), "the operator '%' on floating-point values", "use it on int values");
                default:
                    return r;
            }
        }

        /// <summary>C#'s binary operator on two typed values: constants folded, int arithmetic as int, else floating-point.</summary>
        public TypedExpr Combine(SyntaxKind op, TypedExpr a, TypedExpr b, SyntaxNode at, SyntaxNode rightSyntax)
        {
            var type = Promote(a.Type, b.Type);
            if (a.Constant != null && b.Constant != null) return Fold(op, a, b, type, at, rightSyntax);
            if (type == NumericType.Long) throw LongArithmetic(at);
            if (type == NumericType.Int)
            {
                if (op is SyntaxKind.DivideExpression or SyntaxKind.ModuloExpression && b.IsZeroConstant)
                    throw new ReadException(rightSyntax, DiagnosticDescriptors.DivisionByZero, Describe(at));
                return new TypedExpr(op switch
                {
                    SyntaxKind.AddExpression => Expr.Add(a.Value, b.Value),
                    SyntaxKind.SubtractExpression => Expr.Add(a.Value, Expr.Neg(b.Value)),
                    SyntaxKind.MultiplyExpression => Expr.Mul(a.Value, b.Value),
                    SyntaxKind.DivideExpression => Expr.IntDiv(a.Value, b.Value),
                    _ => Expr.IntRem(a.Value, b.Value),
                }, NumericType.Int);
            }
            MixedPrecision(type, at);
            var left = Floated(a, at);
            var right = FloatingOperand(op, b, at, rightSyntax);
            return new TypedExpr(op is SyntaxKind.AddExpression or SyntaxKind.SubtractExpression ? Expr.Add(left, right) : Expr.Mul(left, right), type);
        }

        // Constant folding as the compiler does it: int and long wrap and truncate, float rounds to binary32 after each
        // operation; double constants keep the engine's exact form (0.1 · 3 is 3/10, readable in derivations) beside
        // the value C# computes (0.30000000000000004), which later conversions and casts use.
        private TypedExpr Fold(SyntaxKind op, TypedExpr a, TypedExpr b, NumericType type, SyntaxNode at, SyntaxNode rightSyntax)
        {
            var ca = ConvertConstant(a.Constant!, type);
            var cb = ConvertConstant(b.Constant!, type);
            var zeroDivisor = op is SyntaxKind.DivideExpression or SyntaxKind.ModuloExpression && b.IsZeroConstant;
            if (zeroDivisor) throw new ReadException(rightSyntax, DiagnosticDescriptors.DivisionByZero, Describe(at));
            switch (type)
            {
                case NumericType.Int:
                case NumericType.Long:
                {
                    // In 64 bits, then wrapped to 32 for int: the same bits as C#'s unchecked int arithmetic.
                    long x = Convert.ToInt64(ca, System.Globalization.CultureInfo.InvariantCulture), y = Convert.ToInt64(cb, System.Globalization.CultureInfo.InvariantCulture);
                    var r = unchecked(op switch
                    {
                        SyntaxKind.AddExpression => x + y,
                        SyntaxKind.SubtractExpression => x - y,
                        SyntaxKind.MultiplyExpression => x * y,
                        SyntaxKind.DivideExpression => y == -1 ? -x : x / y,
                        _ => y == -1 ? 0 : x % y,
                    });
                    return type == NumericType.Int ? FromConstant(unchecked((int)r), at) : FromConstant(r, at);
                }
                case NumericType.Float:
                {
                    float x = (float)ca, y = (float)cb;
                    return FromConstant(op switch
                    {
                        SyntaxKind.AddExpression => x + y,
                        SyntaxKind.SubtractExpression => x - y,
                        SyntaxKind.MultiplyExpression => x * y,
                        SyntaxKind.DivideExpression => x / y,
                        _ => x % y,
                    }, at);
                }
                default:
                {
                    double x = (double)ca, y = (double)cb;
                    var value = op switch
                    {
                        SyntaxKind.AddExpression => x + y,
                        SyntaxKind.SubtractExpression => x - y,
                        SyntaxKind.MultiplyExpression => x * y,
                        SyntaxKind.DivideExpression => x / y,
                        _ => x % y,
                    };
                    Expr DoubleValue(TypedExpr t, object c) => t.Type == NumericType.Double ? t.Value : Expr.Const((double)c);
                    var ea = DoubleValue(a, ca);
                    var eb = DoubleValue(b, cb);
                    var exact = op switch
                    {
                        SyntaxKind.AddExpression => Expr.Add(ea, eb),
                        SyntaxKind.SubtractExpression => Expr.Sub(ea, eb),
                        SyntaxKind.MultiplyExpression => Expr.Mul(ea, eb),
                        SyntaxKind.DivideExpression => Expr.Div(ea, eb),
                        _ => Expr.Const(value),
                    };
                    // Exact arithmetic stands in for C#'s only while the two agree to rounding (not past the range of double).
                    var agrees = exact.Kind == ExprKind.Const && (exact.Value.Value == value || Math.Abs(exact.Value.Value - value) <= 1e-15 * Math.Abs(value));
                    return new TypedExpr(agrees ? exact : Expr.Const(value), NumericType.Double, value);
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

        // Ints compare as ints (i == k); anything else as floating-point values.
        private Expr Compare(ExprKind kind, ExpressionSyntax left, ExpressionSyntax right) => Compare(kind, Typed(left), left, Typed(right), right);

        private Expr Compare(ExprKind kind, TypedExpr a, ExpressionSyntax left, TypedExpr b, ExpressionSyntax right)
        {
            if (a.Type == NumericType.Int && b.Type == NumericType.Int) return Expr.Compare(kind, a.Value, b.Value);
            // In a float method, x > 0.1 compares in double (C# widens x): against a double constant no float equals, the
            // same as comparing with the float on the right side of it (x > 0.1 is x > 0.099999994f, x < 0.1 is x < 0.1f).
            if (Floating == NumericType.Float && _scope.Resolver != null)
            {
                if (b.Constant is double cb && (float)cb != cb && !double.IsNaN(cb)) return AgainstDouble(kind, Floated(a, left), cb);
                if (a.Constant is double ca && (float)ca != ca && !double.IsNaN(ca)) return AgainstDouble(Mirrored(kind), Floated(b, right), ca);
            }
            return Expr.Compare(kind, Floated(a, left), Floated(b, right));
        }

        // u OP c for a float u and a double c between two floats lo < c < hi: u > c and u ≥ c are u > lo, u < c and u ≤ c
        // are u < hi, u = c never holds and u ≠ c always does.
        private static Expr AgainstDouble(ExprKind kind, Expr u, double c)
        {
            var f = (float)c;
            float lo, hi;
            if (f < c) (lo, hi) = (f, NextFloat(f, up: true));
            else (lo, hi) = (NextFloat(f, up: false), f);
            return kind switch
            {
                ExprKind.Greater or ExprKind.GreaterEqual => Expr.Compare(ExprKind.Greater, u, FloatConstant(lo)),
                ExprKind.Less or ExprKind.LessEqual => Expr.Compare(ExprKind.Less, u, FloatConstant(hi)),
                ExprKind.Equal => Expr.Zero,
                _ => Expr.One,
            };
        }

        private static ExprKind Mirrored(ExprKind kind) => kind switch
        {
            ExprKind.Greater => ExprKind.Less,
            ExprKind.GreaterEqual => ExprKind.LessEqual,
            ExprKind.Less => ExprKind.Greater,
            ExprKind.LessEqual => ExprKind.GreaterEqual,
            _ => kind,
        };

        // The float next to f, up or down (f finite).
        private static float NextFloat(float f, bool up)
        {
            if (f == 0) return up ? float.Epsilon : -float.Epsilon;
            var bits = BitConverter.ToInt32(BitConverter.GetBytes(f), 0);
            bits += (f > 0) == up ? 1 : -1;
            return BitConverter.ToSingle(BitConverter.GetBytes(bits), 0);
        }

        /// <summary>
        /// A condition as a 0/1 value: comparisons, <c>&amp;&amp;</c> (If(a, b, 0)), <c>||</c> (If(a, 1, b)), <c>!</c> and
        /// <c>is</c> patterns (relational, constant, <c>and</c>/<c>or</c>/<c>not</c>), each operand evaluated as C# does.
        /// </summary>
        public Expr Condition(ExpressionSyntax c)
        {
            while (c is ParenthesizedExpressionSyntax p) c = p.Expression;
            switch (c)
            {
                case BinaryExpressionSyntax b when ComparisonKind(b) is { } k:
                    return Compare(k, b.Left, b.Right);
                case BinaryExpressionSyntax b when b.IsKind(SyntaxKind.LogicalAndExpression):
                    return Expr.If(Condition(b.Left), Condition(b.Right), Expr.Zero);
                case BinaryExpressionSyntax b when b.IsKind(SyntaxKind.LogicalOrExpression):
                    return Expr.If(Condition(b.Left), Expr.One, Condition(b.Right));
                case PrefixUnaryExpressionSyntax u when u.IsKind(SyntaxKind.LogicalNotExpression):
                    return Not(Condition(u.Operand));
                case IsPatternExpressionSyntax isPattern:
                    return Pattern(Typed(isPattern.Expression), isPattern.Expression, isPattern.Pattern);
                case BinaryExpressionSyntax b when b.IsKind(SyntaxKind.IsExpression):
                    throw new ReadException(c, DiagnosticDescriptors.UnsupportedExpression, Describe(c), "a type test ('is double') is not a condition SymGrad differentiates; compare values, or use a pattern such as 'x is > 0'");
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "IsNaN" or "IsInfinity" or "IsFinite" or "IsPositiveInfinity" or "IsNegativeInfinity" } test } call
                    when SystemMath.IsNumberType(test.Expression.ToString()) && call.ArgumentList.Arguments.Count == 1 && (_scope.Resolver is null || _scope.Resolver.MathClass(call) != null):
                {
                    var argument = call.ArgumentList.Arguments[0].Expression;
                    var u = Floated(Typed(argument), argument);
                    var infinity = Expr.Const(Number.Inexact(double.PositiveInfinity));
                    return test.Name.Identifier.ValueText switch
                    {
                        "IsNaN" => Expr.Compare(ExprKind.NotEqual, u, u),
                        "IsInfinity" => Expr.Compare(ExprKind.Equal, Expr.Abs(u), infinity),
                        "IsFinite" => Expr.Compare(ExprKind.Less, Expr.Abs(u), infinity),
                        "IsPositiveInfinity" => Expr.Compare(ExprKind.Equal, u, infinity),
                        _ => Expr.Compare(ExprKind.Equal, u, Expr.Const(Number.Inexact(double.NegativeInfinity))),
                    };
                }
                case LiteralExpressionSyntax l when l.IsKind(SyntaxKind.TrueLiteralExpression):
                    return Expr.One;
                case LiteralExpressionSyntax l when l.IsKind(SyntaxKind.FalseLiteralExpression):
                    return Expr.Zero;
            }
            throw new ReadException(c, DiagnosticDescriptors.UnsupportedExpression, Describe(c), "a condition must be a comparison such as 'x > 0', comparisons joined by &&, || and !, an 'is' pattern, or double.IsNaN, IsFinite, IsInfinity, IsPositiveInfinity or IsNegativeInfinity");
        }

        // ¬c: == and != swap exactly; an ordering does not (¬(x < 0) holds for NaN, x ≥ 0 does not), so it stays If(c, 0, 1).
        private static Expr Not(Expr c) => c.Kind switch
        {
            ExprKind.Equal => Expr.Compare(ExprKind.NotEqual, c.Args[0], c.Args[1]),
            ExprKind.NotEqual => Expr.Compare(ExprKind.Equal, c.Args[0], c.Args[1]),
            _ when c.IsConst => c.IsZero ? Expr.One : Expr.Zero,
            _ => Expr.If(c, Expr.Zero, Expr.One),
        };

        // value is pattern: > c, <= c, a constant (== c), and/or/not, parentheses, the discard.
        private Expr Pattern(TypedExpr value, ExpressionSyntax valueSyntax, PatternSyntax pattern)
        {
            switch (pattern)
            {
                case ParenthesizedPatternSyntax p:
                    return Pattern(value, valueSyntax, p.Pattern);
                case RelationalPatternSyntax r:
                {
                    var kind = r.OperatorToken.Kind() switch
                    {
                        SyntaxKind.LessThanToken => ExprKind.Less,
                        SyntaxKind.LessThanEqualsToken => ExprKind.LessEqual,
                        SyntaxKind.GreaterThanToken => ExprKind.Greater,
                        _ => ExprKind.GreaterEqual,
                    };
                    return Compare(kind, value, valueSyntax, Typed(r.Expression), r.Expression);
                }
                case ConstantPatternSyntax constant when constant.Expression is not LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression }:
                {
                    // x is double.NaN tests double.IsNaN(x) (== never holds for NaN): x != x.
                    var c = Typed(constant.Expression);
                    if (c.Constant is double d && double.IsNaN(d) || c.Constant is float f && float.IsNaN(f))
                        return Expr.Compare(ExprKind.NotEqual, Floated(value, valueSyntax), Floated(value, valueSyntax));
                    return Compare(ExprKind.Equal, value, valueSyntax, c, constant.Expression);
                }
                case BinaryPatternSyntax b when b.IsKind(SyntaxKind.AndPattern):
                    return Expr.If(Pattern(value, valueSyntax, b.Left), Pattern(value, valueSyntax, b.Right), Expr.Zero);
                case BinaryPatternSyntax b:
                    return Expr.If(Pattern(value, valueSyntax, b.Left), Expr.One, Pattern(value, valueSyntax, b.Right));
                case UnaryPatternSyntax u:
                    return Not(Pattern(value, valueSyntax, u.Pattern));
                case DiscardPatternSyntax:
                    return Expr.One;
            }
            throw new ReadException(pattern, DiagnosticDescriptors.UnsupportedExpression, Describe(pattern),
                "patterns may compare (> 0, <= 1, a constant) and combine with and, or and not; patterns that test types or declare variables are not supported");
        }

        // e switch { pattern [when c] => value, …, _ => value }: nested piecewise definitions, the first arm that matches.
        private TypedExpr Switch(SwitchExpressionSyntax s)
        {
            var arms = s.Arms;
            if (arms.Count == 0 || arms[arms.Count - 1] is not { Pattern: DiscardPatternSyntax, WhenClause: null })
                throw new ReadException(arms.Count == 0 ? s : arms[arms.Count - 1], DiagnosticDescriptors.UnsupportedExpression, Describe(s),
                    "a switch expression must end with a discard arm '_ => …' (C# throws when no arm matches, which has no derivative)");
            var value = Typed(s.GoverningExpression);
            // Patterns first: one that declares a variable is refused on the pattern, not on the arm that reads it.
            var matches = arms.Select(a => Pattern(value, s.GoverningExpression, a.Pattern)).ToList();
            var results = arms.Select(a => Typed(a.Expression)).ToList();
            var integer = results.All(r => r.Type == NumericType.Int);
            var type = integer ? NumericType.Int : results.Select(r => r.Type).Aggregate(Promote);
            Expr Value(int i) => integer ? results[i].Value : Floated(results[i], arms[i].Expression);
            var result = Value(arms.Count - 1);
            for (var i = arms.Count - 2; i >= 0; i--)
            {
                var match = matches[i];
                if (arms[i].WhenClause is { } when) match = Expr.If(match, Condition(when.Condition), Expr.Zero);
                result = Expr.If(match, Value(i), result);
            }
            return new TypedExpr(result, type);
        }

        // ---- calls --------------------------------------------------------------------------------------

        // Sym.Sum(count, i => term) and Sym.Max(count, i => term): Σ or max over a fresh index bound in the lambda's body.
        private Expr SymReduction(InvocationExpressionSyntax call, string kind)
        {
            var args = call.ArgumentList.Arguments;
            if (args.Count != 2) throw new ReadException(call, DiagnosticDescriptors.UnsupportedCall, Describe(call), $"Sym.{kind} takes a count and a lambda, Sym.{kind}(n, i => …)");
            if (args[1].Expression is not SimpleLambdaExpressionSyntax { ExpressionBody: { } body } lambda)
                throw new ReadException(args[1], DiagnosticDescriptors.UnsupportedCall, Describe(args[1]), $"the term of Sym.{kind} must be an expression lambda, i => …");
            var count = Count(args[0].Expression);
            var index = FreshIndex(_scope, lambda.Parameter.Identifier.ValueText);
            var inner = _scope.Clone().BindIndex(lambda.Parameter.Identifier.ValueText, index);
            var term = new Reader(inner).Read(body);
            return kind == "Sum" ? Expr.Sum(index, count, term) : Expr.MaxOver(index, count, term);
        }

        private TypedExpr Invocation(InvocationExpressionSyntax call)
        {
            if (call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Sum" or "Max" } sym && sym.Expression.ToString() is "Sym" or "SymGrad.Sym" or "global::SymGrad.Sym")
                return new TypedExpr(SymReduction(call, sym.Name.Identifier.ValueText), Floating);
            if (call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetLength", Expression: IdentifierNameSyntax arrayName } && _scope.TryArray(arrayName.Identifier.ValueText, out var rank))
            {
                var a = call.ArgumentList.Arguments;
                if (a.Count != 1 || a[0].Expression is not LiteralExpressionSyntax { Token.Value: int axis } || axis < 0 || axis >= rank)
                    throw new ReadException(call.ArgumentList, DiagnosticDescriptors.UnsupportedArrayAccess, Describe(call), $"GetLength takes a constant axis 0..{rank - 1}");
                return new TypedExpr(_scope.TryArrayValue(arrayName.Identifier.ValueText, out var local) ? local.Length : Expr.Length(arrayName.Identifier.ValueText, axis), NumericType.Int);
            }
            string name;
            string? mathClass = null;
            switch (call.Expression)
            {
                case IdentifierNameSyntax id:
                    name = id.Identifier.ValueText;
                    break;
                case MemberAccessExpressionSyntax m when SystemMath.IsQualifier(m.Expression.ToString()):
                    name = m.Name.Identifier.ValueText;
                    mathClass = m.Expression.ToString();
                    break;
                // Another type's method (Activations.Swish(x), a generic type's, an alias of Math): the semantic model says which.
                case MemberAccessExpressionSyntax m when _scope.Resolver != null:
                    name = m.Name.Identifier.ValueText;
                    break;
                default:
                    throw new ReadException(call.Expression, DiagnosticDescriptors.UnsupportedCall, Describe(call.Expression), "it is not a function SymGrad knows");
            }
            if (_scope.Resolver is { } resolver)
            {
                if (resolver.MathClass(call) is { } bound) mathClass ??= bound;
                else
                {
                    var resolution = resolver.ResolveCall(call);
                    if (resolution.Target is { } function)
                    {
                        var arguments = call.ArgumentList.Arguments;
                        if (arguments.Count != function.Arity)
                            throw new ReadException(call, DiagnosticDescriptors.UnsupportedCall, Describe(call.Expression), $"it takes {function.Arity} argument{(function.Arity == 1 ? "" : "s")}, not {arguments.Count}");
                        foreach (var a in arguments)
                            if (!a.RefKindKeyword.IsKind(SyntaxKind.None) || a.NameColon != null)
                                throw new ReadException(a, DiagnosticDescriptors.UnsupportedCall, Describe(a), "arguments must be plain expressions in parameter order");
                        var node = Expr.Call(function, arguments.Select(a => Read(a.Expression)).ToArray());
                        resolver.CallRead(node, call);
                        return new TypedExpr(node, Floating);
                    }
                    throw new ReadException(call.Expression, DiagnosticDescriptors.UnsupportedCall, Describe(call.Expression), resolution.Rejection ??
                        "it is not a System.Math function or a [Differentiable] method");
                }
            }
            var args = call.ArgumentList.Arguments;
            List<TypedExpr>? typed = null;
            if (name == "Log" && args.Count == 2)
            {
                // .NET's Math.Log(a, newBase): NaN for newBase 1 (and 0 or +∞ unless a is 1), else log a / log newBase.
                var (a, newBase) = (Read(args[0].Expression), Read(args[1].Expression));
                if (newBase.Kind == ExprKind.Const && newBase.Value.Value is var b && (b == 1 || b == 0 || double.IsPositiveInfinity(b)))
                    throw new ReadException(call, DiagnosticDescriptors.UnsupportedExpression, Describe(call), $"a logarithm to base {b.ToString(System.Globalization.CultureInfo.InvariantCulture)} is NaN for every value{(b == 1 ? "" : " but 1")}");
                var quotient = Expr.Div(Expr.Log(a), Expr.Log(newBase));
                if (newBase.Kind == ExprKind.Const) return Result(quotient);
                // As .NET: NaN for newBase 1, and for newBase 0 or +∞ unless a is 1.
                var nan = Expr.Const(double.NaN);
                var degenerate = Expr.If(Expr.Compare(ExprKind.NotEqual, a, Expr.One),
                    Expr.If(Expr.Compare(ExprKind.Equal, newBase, Expr.Zero), Expr.One, Expr.Compare(ExprKind.Equal, newBase, Expr.Const(Number.Inexact(double.PositiveInfinity)))), Expr.Zero);
                return Result(Expr.If(Expr.Compare(ExprKind.Equal, newBase, Expr.One), nan, Expr.If(degenerate, nan, quotient)));
            }
            if (name == "Round" && args.Count > 1)
                throw new ReadException(call, DiagnosticDescriptors.UnsupportedCall, Describe(call.Expression), "rounding to digits or with a MidpointRounding mode is not supported; Round(x) rounds to the nearest integer, ties to even");
            if (!Functions.TryGetValue(name, out var f)) throw new ReadException(call.Expression, DiagnosticDescriptors.UnsupportedCall, Describe(call.Expression), "it is not a function SymGrad knows");
            if (args.Count != f.Arity)
                throw new ReadException(call, DiagnosticDescriptors.UnsupportedCall, Describe(call.Expression), $"it takes {f.Arity} argument{(f.Arity == 1 ? "" : "s")}, not {args.Count}");
            foreach (var a in args)
                if (!a.RefKindKeyword.IsKind(SyntaxKind.None) || a.NameColon != null)
                    throw new ReadException(a, DiagnosticDescriptors.UnsupportedCall, Describe(a), "arguments must be plain expressions");
            typed = args.Select(a => Typed(a.Expression)).ToList();
            // Math.Abs, Max and Min of ints are the int overloads: folded when constant, else integer data the engine keeps to indices.
            if (name is "Abs" or "Max" or "Min" && typed.All(t => t.IsInteger) && typed.Any(t => t.Type == NumericType.Long || Expr.InvolvesIntegerData(t.Value)))
            {
                if (typed.All(t => t.Constant is int and not int.MinValue) && typed.Select(t => (int)t.Constant!).ToList() is var v)
                    return FromConstant(name == "Abs" ? Math.Abs(v[0]) : name == "Max" ? Math.Max(v[0], v[1]) : Math.Min(v[0], v[1]), call);
                throw new ReadException(call, DiagnosticDescriptors.UnsupportedArithmetic, Describe(call), $"{call.Expression} of int indices or lengths", "as a loop bound, pass arrays of one length (or the count as a span's length); in a value, convert an argument to double");
            }
            var value = f.Build(typed.Select((t, i) => Floated(t, args[i].Expression)).ToArray());
            _scope.Resolver?.MathCallRead(value, call);
            // Math.Sign returns an int (so Math.Sign(x) / 2 is an int quotient).
            if (name == "Sign") return value.Kind == ExprKind.Const ? FromConstant((int)value.Value.Value, call) : new TypedExpr(value, NumericType.Int);
            return Result(value);

            TypedExpr Result(Expr e)
            {
                var type = mathClass is null ? Floating : SystemMath.IsSinglePrecision(mathClass) ? NumericType.Float : NumericType.Double;
                // Math.F of float arguments, cast to float at once: the float function (see Cast).
                if (type == NumericType.Double && ReferenceEquals(call, _doubleMathAsFloat) && typed != null && typed.All(t => t.Type != NumericType.Double)) type = NumericType.Float;
                if (e.Kind != ExprKind.Const) MixedPrecision(type, call);
                return new TypedExpr(e, type);
            }
        }
    }
}
