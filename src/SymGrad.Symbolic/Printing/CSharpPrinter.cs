using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace SymGrad.Symbolic;

/// <summary>
/// Prints expressions and programs as C#: <c>double</c> with <c>Math</c>, or <c>float</c> with <c>MathF</c>;
/// integer powers as multiplications; round-trip, culture-invariant literals; minimal parentheses that keep
/// the evaluation order of the program.
/// </summary>
public sealed class CSharpPrinter
{
    /// <summary>Double precision, <c>Math</c>.</summary>
    public static readonly CSharpPrinter Default = new(false, "Math");
    /// <summary>Single precision, <c>MathF</c>.</summary>
    public static readonly CSharpPrinter Float = new(true, "MathF");
    /// <summary>Double precision, <c>global::System.Math</c>: for generated files, immune to user types named Math.</summary>
    public static readonly CSharpPrinter DefaultQualified = new(false, "global::System.Math");
    /// <summary>Single precision, <c>global::System.MathF</c>.</summary>
    public static readonly CSharpPrinter FloatQualified = new(true, "global::System.MathF");
    /// <summary>
    /// Single precision through <c>global::System.Math</c>, each call's double result cast to float
    /// (<c>(float)global::System.Math.Exp(x)</c>): for targets without <c>MathF</c> (netstandard2.0, .NET Framework).
    /// </summary>
    public static readonly CSharpPrinter FloatViaMath = new(true, "global::System.Math", castCalls: true);

    /// <summary>
    /// The printer of generated code for a target: <c>global::System.Math</c> for double; <c>MathF</c> for float where the
    /// target has it, else <c>Math</c> with casts; <c>double.Hypot</c> (.NET 7) where the target has it, else
    /// <c>Math.Sqrt(a * a + b * b)</c>.
    /// </summary>
    public static CSharpPrinter For(bool useFloat, bool hasMathF, bool hasHypot) => (useFloat, hasMathF, hasHypot) switch
    {
        (false, _, true) => DefaultQualified,
        (false, _, false) => DefaultWithoutHypot,
        (true, true, true) => FloatQualified,
        (true, true, false) => FloatWithoutHypot,
        (true, false, true) => FloatViaMath,
        (true, false, false) => FloatViaMathWithoutHypot,
    };

    /// <summary>Single precision through <c>Math</c> with casts, unqualified: formulas in doc comments for targets without MathF.</summary>
    public static readonly CSharpPrinter FloatViaMathReadable = new(true, "Math", castCalls: true);

    private static readonly CSharpPrinter DefaultWithoutHypot = new(false, "global::System.Math", hasHypot: false);
    private static readonly CSharpPrinter FloatWithoutHypot = new(true, "global::System.MathF", hasHypot: false);
    private static readonly CSharpPrinter FloatViaMathWithoutHypot = new(true, "global::System.Math", castCalls: true, hasHypot: false);

    private const int Conditional = 1, Equality = 2, Relational = 3, Additive = 4, Multiplicative = 5, Unary = 6, Primary = 7;

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };

    private readonly string _mathClass;

    private readonly bool _castCalls;
    private readonly bool _hasHypot;

    private CSharpPrinter(bool useFloat, string mathClass, bool castCalls = false, bool hasHypot = true)
    {
        UseFloat = useFloat;
        _mathClass = mathClass;
        _castCalls = castCalls;
        _hasHypot = hasHypot;
    }

    /// <summary><c>Math.f(arguments)</c>, cast to float when this printer computes float through <c>Math</c>.</summary>
    private (string Text, int Precedence) MathCall(string function, params string[] arguments)
    {
        var call = MathClass + "." + function + "(" + string.Join(", ", arguments) + ")";
        return _castCalls ? ("(float)" + call, Unary) : (call, Primary);
    }

    private string MathCallText(string function, params string[] arguments) => MathCall(function, arguments).Text;

    /// <summary>True for <c>float</c>/<c>MathF</c>.</summary>
    public bool UseFloat { get; }

    /// <summary>The numeric type keyword.</summary>
    public string TypeName => UseFloat ? "float" : "double";

    private string MathClass => _mathClass;

    /// <summary>A C# identifier for a variable name (keywords get <c>@</c>).</summary>
    public static string Identifier(string name) => Keywords.Contains(name) ? "@" + name : name;
    // (A name starting global:: is a static field read by its qualified access, printed as it is.)

    /// <summary>One expression, with no locals (shared subterms are written out each time).</summary>
    public string Print(Expr e) => new Writer(this, null).Emit(e, 0).Text;

    /// <summary>One expression over arrays of the given ranks (a length of a rank-2 array prints as GetLength(axis)).</summary>
    public string Print(Expr e, Func<string, int>? rankOf) => new Writer(this, null, rankOf).Emit(e, 0).Text;

    /// <summary>An integer expression (an index, a count): integer constants print as <c>int</c> literals.</summary>
    public string PrintInteger(Expr e) => new Writer(this, null).Integer(e);

    /// <summary>An integer expression over arrays of the given ranks.</summary>
    public string PrintInteger(Expr e, Func<string, int>? rankOf) => new Writer(this, null, rankOf).Integer(e);

    /// <summary>
    /// One expression for documentation (XML summaries): like <see cref="Print(Expr)"/>, but an expression too large to
    /// read when written out becomes a short description.
    /// </summary>
    public string PrintSummary(Expr e) =>
        Graph.TreeSize(e, LatexPrinter.MaxPrintedSize + 1) > LatexPrinter.MaxPrintedSize
            ? "(an expression of " + Graph.Size(e).ToString(CultureInfo.InvariantCulture) + " distinct subterms)"
            : Print(e);

    /// <summary>
    /// A static method computing the program: parameters are the free variables sorted by name, the first output
    /// is returned and every other output is written to an <c>out</c> parameter of its name.
    /// </summary>
    public string PrintMethod(ExprProgram program, string methodName, string? summary = null, string accessibility = "public", string indent = "")
    {
        var sb = new StringBuilder();
        var t = TypeName;
        if (summary != null)
        {
            sb.Append(indent).Append("/// <summary>").Append(EscapeXml(summary)).Append("</summary>\n");
        }
        var parameters = program.Parameters.Select(p => t + " " + Identifier(p))
            .Concat(program.Outputs.Skip(1).Select(o => "out " + t + " " + Identifier(o.Name)));
        sb.Append(indent).Append(accessibility).Append(" static ").Append(t).Append(' ').Append(methodName)
            .Append('(').Append(string.Join(", ", parameters)).Append(")\n");
        sb.Append(indent).Append("{\n");
        foreach (var line in Statements(program))
            sb.Append(indent).Append("    ").Append(line).Append('\n');
        sb.Append(indent).Append("}\n");
        return sb.ToString();
    }

    /// <summary>
    /// The method body: <c>var</c> locals, assignments to outputs 1…n, then <c>return</c> of output 0.
    /// </summary>
    public IReadOnlyList<string> Statements(ExprProgram program)
    {
        var w = new Writer(this, program);
        var lines = new List<string>();
        foreach (var (name, node) in program.Locals)
        {
            lines.Add("var " + name + " = " + w.Define(program.Definition(node)) + ";");
            w.Defined(node);
        }
        // An output that is the negation of one written before it (∂f/∂y = −∂f/∂x when f depends on x − y) is written
        // as that: dy = -dx.
        foreach (var (name, value) in program.Outputs.Skip(1))
            lines.Add(Identifier(name) + " = " + (program.NegatedOutputs.TryGetValue(name, out var negated) ? "-" + Identifier(negated) : w.Emit(value, 0).Text) + ";");
        if (program.Outputs.Count > 0) lines.Add("return " + w.Emit(program.Outputs[0].Value, 0).Text + ";");
        return DropUnused(lines, program.Locals.Select(l => l.Name).ToList());
    }

    // A local no later line reads (the printer wrote its node in another form, 1 / 0.0 inside x / 0.0) would be CS0219, an
    // error under TreatWarningsAsErrors: dropped, last first, so that a chain of them goes.
    // Lines are read once for the words in them (was a scan of every later line per local: quadratic in the program).
    private static List<string> DropUnused(List<string> lines, IReadOnlyList<string> names)
    {
        var count = names.Count;
        var local = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++) local[names[i]] = i;
        // readers[i]: the later lines that read local i; reads[j]: the locals line j reads (each once).
        var readers = new int[count];
        var reads = new List<int>[lines.Count];
        for (var j = 0; j < lines.Count; j++)
        {
            var read = new HashSet<int>();
            foreach (System.Text.RegularExpressions.Match word in Word.Matches(lines[j]))
                if (local.TryGetValue(word.Value, out var i) && i < j && read.Add(i)) readers[i]++;
            reads[j] = read.ToList();
        }
        var keep = new bool[lines.Count];
        for (var j = 0; j < lines.Count; j++) keep[j] = true;
        for (var i = count - 1; i >= 0; i--)
        {
            if (readers[i] > 0 || names[i].Length == 0) continue;
            keep[i] = false;
            foreach (var r in reads[i]) readers[r]--;
        }
        return lines.Where((_, j) => keep[j]).ToList();
    }

    private static readonly System.Text.RegularExpressions.Regex Word = new(@"(?<![\w@])\w+", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// Straight-line statements for a program whose outputs are written with the given statement heads, one per
    /// output (<c>"acc0 +="</c>, <c>"dW[k] ="</c>, <c>"return"</c>): <c>var</c> locals, then <c>head value;</c>.
    /// </summary>
    public IReadOnlyList<string> Statements(ExprProgram program, IReadOnlyList<string> heads) => Statements(program, heads, null);

    /// <summary>
    /// As <see cref="Statements(ExprProgram, IReadOnlyList{string})"/>, with the outputs flagged in
    /// <paramref name="integers"/> printed as int arithmetic (an index computed into a local).
    /// </summary>
    public IReadOnlyList<string> Statements(ExprProgram program, IReadOnlyList<string> heads, IReadOnlyList<bool>? integers) =>
        Statements(program, heads, integers, null);

    /// <summary>As above, over arrays of the given ranks (a length of a rank-2 array prints as GetLength(axis)).</summary>
    public IReadOnlyList<string> Statements(ExprProgram program, IReadOnlyList<string> heads, IReadOnlyList<bool>? integers, Func<string, int>? rankOf)
    {
        if (heads.Count != program.Outputs.Count) throw new ArgumentException("One statement head per output.", nameof(heads));
        // An output declared as a new local (`var at2 =`) whose value the program names already is that local, under the
        // output's name: no `var at2 = sum4;`.
        var renamed = new Dictionary<Expr, string>();
        var w = new Writer(this, program, rankOf, renamed);
        var skip = new bool[heads.Count];
        var declaredHere = new HashSet<Expr>(program.Locals.Select(l => l.Node));
        for (var i = 0; i < heads.Count; i++)
        {
            var value = program.Outputs[i].Value;
            var head = heads[i];
            if (!head.StartsWith("var ", StringComparison.Ordinal) || !head.EndsWith(" =", StringComparison.Ordinal) || !declaredHere.Contains(value) || renamed.ContainsKey(value)) continue;
            if ((integers != null && integers[i]) != w.IntegerData(value) || Writer.IsBoolean(value)) continue;
            renamed[value] = head.Substring(4, head.Length - 6);
            skip[i] = true;
        }
        var lines = new List<string>();
        var names = new List<string>();
        foreach (var (name, node) in program.Locals)
        {
            var shown = renamed.TryGetValue(node, out var r) ? r : name;
            names.Add(shown);
            lines.Add("var " + shown + " = " + w.Define(program.Definition(node)) + ";");
            w.Defined(node);
        }
        for (var i = 0; i < heads.Count; i++)
            if (!skip[i])
                lines.Add(heads[i] + " " + (integers != null && integers[i] ? w.Integer(program.Outputs[i].Value) : w.Emit(program.Outputs[i].Value, 0).Text) + ";");
        // (A local under an output's name is read by the code after these lines: never dropped.)
        return DropUnused(lines, names.Select(n => renamed.ContainsValue(n) ? "" : n).ToList());
    }

    /// <summary>A condition (nonzero means true) as a C# bool expression: a comparison as itself, else <c>e != 0</c>.</summary>
    public string PrintCondition(Expr c) => new Writer(this, null).Condition(c);

    /// <summary>A condition over arrays of the given ranks.</summary>
    public string PrintCondition(Expr c, Func<string, int>? rankOf) => new Writer(this, null, rankOf).Condition(c);

    /// <summary>A literal of the printer's type.</summary>
    public string Literal(Number n) => LiteralWithPrecedence(n).Text;

    private (string Text, int Precedence) LiteralWithPrecedence(Number n)
    {
        var v = n.Value;
        string text;
        if (!n.IsExact)
        {
            if (v == Math.PI) return _castCalls ? ("(float)" + MathClass + ".PI", Unary) : (MathClass + ".PI", Primary);
            if (v == Math.E) return _castCalls ? ("(float)" + MathClass + ".E", Unary) : (MathClass + ".E", Primary);
            if (double.IsNaN(v)) return (TypeName + ".NaN", Primary);
            if (double.IsPositiveInfinity(v)) return (TypeName + ".PositiveInfinity", Primary);
            if (double.IsNegativeInfinity(v)) return (TypeName + ".NegativeInfinity", Primary);
        }
        else if (!n.HasTerminatingDecimal)
        {
            return ("(" + Literal(Number.Integer(n.Numerator)) + " / " + Literal(Number.Integer(n.Denominator)) + ")", Primary);
        }
        if (UseFloat)
        {
            // A double beyond float's range is ±∞ as a float: C# has no literal for that.
            if (float.IsInfinity((float)v)) return (TypeName + (v > 0 ? ".PositiveInfinity" : ".NegativeInfinity"), Primary);
            text = ((float)v).ToString("R", CultureInfo.InvariantCulture);
            if (text.IndexOf('E') >= 0 && text.IndexOf('.') < 0) text = text.Replace("E", ".0E");
            text += "f";
        }
        else
        {
            text = Number.FormatDouble(v);
            if (text.IndexOf('.') < 0 && text.IndexOf('E') < 0) text += ".0";
        }
        return (text, v < 0 ? Unary : Primary);
    }

    private static string EscapeXml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private sealed class Writer
    {
        private readonly CSharpPrinter _p;
        private readonly ExprProgram? _program;

        // The rank of each array (1 when unknown): x.Length counts every element of a multi-dimensional array.
        private readonly Func<string, int>? _rankOf;

        public Writer(CSharpPrinter p, ExprProgram? program, Func<string, int>? rankOf = null, Dictionary<Expr, string>? renamed = null)
        {
            _p = p;
            _program = program;
            _rankOf = rankOf;
            _renamed = renamed;
        }

        // Locals printed under another name than the program's (an output declared as a local of its own).
        private readonly Dictionary<Expr, string>? _renamed;

        private Expr[] ArgsOf(Expr n) => _program?.ArgsOf(n) ?? n.ArgArray;

        // Only locals already declared may be referred to: printing can build new nodes (a negated term, a
        // denominator) that happen to equal a local declared further down.
        private readonly HashSet<Expr> _declared = new();

        public void Defined(Expr local) => _declared.Add(local);

        private bool TryLocal(Expr n, out string name)
        {
            name = "";
            if (_program == null || !_declared.Contains(n)) return false;
            if (_renamed != null && _renamed.TryGetValue(n, out name!)) return true;
            return _program.LocalNames.TryGetValue(n, out name!);
        }

        // A comparison local is a bool: `var cond0 = x > 0.0;`, read as `cond0 ? … : …`; an integer-valued one an int.
        // So is a logical one (x > 0 && y > 0).
        public string Define(Expr n) => IsBoolean(n) ? ConditionText(n) : IntegerData(n) ? Integer(n) : EmitNode(n, 0).Text;

        public static bool IsBoolean(Expr n) => n.IsComparison || Graph.Logical(n) != null;

        private string Cast => "(" + _p.TypeName + ")";

        // Integer data: indices, lengths, argmaxes, int quotients and remainders, and arithmetic over them. Printed as
        // int inside indices and conversions (where C# computes them as int), converted at each leaf anywhere else,
        // so arithmetic the engine introduces (n · n in a variance's gradient) never overflows or truncates as int.
        private readonly Dictionary<Expr, bool> _data = new();

        public bool IntegerData(Expr n)
        {
            if (_data.TryGetValue(n, out var known)) return known;
            var result = Expr.InvolvesIntegerData(n);
            _data[n] = result;
            return result;
        }

        public (string Text, int Precedence) Emit(Expr n, int required)
        {
            if (TryLocal(n, out var local))
            {
                // An int local (an index expression) meets floating-point arithmetic converted, never in an int product.
                if (_integer == 0 && IntegerData(n)) return Unary < required ? ("(" + Cast + local + ")", Primary) : (Cast + local, Unary);
                // A floating-point local holding an int's value (Math.Sign) read back as the int C# computes with.
                if (_integer > 0 && n.IsIntegerValued && !IntegerData(n) && !Integral(n)) return Unary < required ? ("((int)" + local + ")", Primary) : ("(int)" + local, Unary);
                if (!IsBoolean(n)) return (local, Primary);
                var asNumber = local + Indicator;
                return Conditional < required ? ("(" + asNumber + ")", Primary) : (asNumber, Conditional);
            }
            var (text, prec) = EmitNode(n, required);
            return prec < required ? ("(" + text + ")", Primary) : (text, prec);
        }

        private string At(Expr n, int required) => Emit(n, required).Text;

        // Above zero while printing an array index.
        private int _integer;

        public string Integer(Expr e)
        {
            _integer++;
            var text = At(e, 0);
            _integer--;
            return text;
        }

        // A comparison's value, 1 or 0, as integer literals: `c ? 1 : 0` compiles to a branch-free set-and-convert,
        // where `c ? 1.0 : 0.0` is a branch the processor mispredicts on data like ReLU inputs (both are exact). It
        // is an int only inside arithmetic with the function's floating-point values, except int ÷ int, which
        // Product avoids.
        private const string Indicator = " ? 1 : 0";

        // Integer-valued: indices, lengths, comparisons (1 or 0), argmax, and sums, products and selections of them.
        private readonly Dictionary<Expr, bool> _integral = new();

        private bool Integral(Expr n)
        {
            if (_integral.TryGetValue(n, out var known)) return known;
            var result = n.Kind switch
            {
                ExprKind.Const => n.Value.IsInteger,
                ExprKind.Index or ExprKind.Length or ExprKind.ArgMax or ExprKind.IntDiv or ExprKind.IntRem => true,
                ExprKind.If => Integral(n.ArgArray[1]) && Integral(n.ArgArray[2]),
                ExprKind.Add or ExprKind.Mul => n.ArgArray.All(Integral),
                _ => n.IsComparison,
            };
            _integral[n] = result;
            return result;
        }

        private (string Text, int Precedence) EmitNode(Expr n, int required)
        {
            System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
            // Integer arithmetic of constants and comparisons prints as int, converted where it meets floats; arithmetic of
            // integer data outside an index is floating-point over converted leaves.
            if (_integer == 0 && n.Kind is ExprKind.Add or ExprKind.Mul or ExprKind.If && Integral(n) && !IntegerData(n))
            {
                _integer++;
                try
                {
                    return EmitNode(n, required);
                }
                finally
                {
                    _integer--;
                }
            }
            var args = ArgsOf(n);
            var math = _p.MathClass;
            if (_integer == 0 && n.Kind is ExprKind.Index or ExprKind.Length or ExprKind.ArgMax or ExprKind.IntDiv or ExprKind.IntRem)
                return (Cast + Converted(n), Unary);
            switch (n.Kind)
            {
                case ExprKind.ToFloat:
                    return (Cast + Converted(args[0]), Unary);
                case ExprKind.IntDiv when args[1].IsZero:
                case ExprKind.IntRem when args[1].IsZero:
                    // C# refuses a constant zero divisor; the source's (zero only by algebra) throws at run time, so does this.
                    return ("(true ? throw new global::System.DivideByZeroException() : 0)", Primary);
                case ExprKind.IntDiv:
                case ExprKind.IntRem:
                    return (At(args[0], Multiplicative) + (n.Kind == ExprKind.IntDiv ? " / " : " % ") + At(args[1], Multiplicative + 1), Multiplicative);
                case ExprKind.Sign:
                {
                    // In int arithmetic (the source's Math.Sign(x) / 2) it is Math.Sign, an int. Anywhere else (|u|′ = sign u)
                    // it is written out: Math.Sign throws on NaN, where the method's |NaN| is NaN and so is its slope.
                    var saved = _integer;
                    _integer = 0;
                    var u = At(args[0], Relational + 1);
                    _integer = saved;
                    if (saved > 0) return (math + ".Sign(" + At(args[0], 0) + ")", Primary);
                    var zero = _p.Literal(Number.Zero);
                    return (u + " > " + zero + " ? " + _p.Literal(Number.One) + " : " + u + " < " + zero + " ? " + _p.Literal(Number.MinusOne) + " : " + u, Conditional);
                }
                case ExprKind.Const when _integer > 0 && n.Value.IsInteger:
                    return n.Value.IsNegative ? ("-" + (-n.Value.Numerator).ToString(CultureInfo.InvariantCulture), Unary) : (n.Value.Numerator.ToString(CultureInfo.InvariantCulture), Primary);
                case ExprKind.Const:
                    return _p.LiteralWithPrecedence(n.Value);
                case ExprKind.Var:
                case ExprKind.Index:
                    return (Identifier(n.Name!), Primary);
                case ExprKind.Element:
                {
                    // Indices are ints: their constants print as integer literals (2 * m + i, not 2.0 * m + i).
                    _integer++;
                    var indices = string.Join(", ", args.Select(a => At(a, 0)));
                    _integer--;
                    return (Identifier(n.Name!) + "[" + indices + "]", Primary);
                }
                case ExprKind.Length:
                    return (n.LengthAxis == 0 && (_rankOf?.Invoke(n.LengthArray) ?? 1) <= 1
                        ? Identifier(n.LengthArray) + ".Length"
                        : Identifier(n.LengthArray) + ".GetLength(" + n.LengthAxis.ToString(CultureInfo.InvariantCulture) + ")", Primary);
                case ExprKind.Sum:
                    // As an expression, the runtime's Sym.Sum(count, i => body) form (readable; generated code
                    // runs sums as loops instead).
                    return ("Sym.Sum(" + Integer(args[0]) + ", " + Identifier(n.Name!) + " => " + At(args[1], 0) + ")", Primary);
                case ExprKind.MaxOver:
                case ExprKind.ArgMax:
                    return ((n.Kind == ExprKind.MaxOver ? "Sym.Max(" : "Sym.ArgMax(") + Integer(args[0]) + ", " + Identifier(n.Name!) + " => " + At(args[1], 0) + ")", Primary);
                case ExprKind.Add:
                    return (Sum(args), Additive);
                case ExprKind.Mul:
                    return Product(args);
                case ExprKind.Pow:
                    return Power(args[0], args[1]);
                case ExprKind.Sigmoid:
                {
                    var negated = TryLocal(args[0], out var name) ? "-" + name : At(Expr.Neg(args[0]), 0);
                    return (_p.Literal(Number.One) + " / (" + _p.Literal(Number.One) + " + " + _p.MathCallText("Exp", negated) + ")", Multiplicative);
                }
                case ExprKind.Softplus:
                {
                    // max(u, 0) + log(1 + e^−|u|): no overflow for large u, no log(1) = 0 swallowing small e^u early.
                    var u = At(args[0], 0);
                    var one = _p.Literal(Number.One);
                    return (_p.MathCallText("Max", u, _p.Literal(Number.Zero)) + " + " + _p.MathCallText("Log", one + " + " + _p.MathCallText("Exp", "-" + _p.MathCallText("Abs", u))), Additive);
                }
                case ExprKind.Max:
                case ExprKind.Min:
                case ExprKind.Atan2:
                case ExprKind.CopySign:
                    return _p.MathCall(Operators.Of(n.Kind).CSharpFunction!, At(args[0], 0), At(args[1], 0));
                case ExprKind.FusedMultiplyAdd:
                    return _p.MathCall("FusedMultiplyAdd", At(args[0], 0), At(args[1], 0), At(args[2], 0));
                case ExprKind.Hypot:
                {
                    // Hypot is a member of double and float (the generic-math statics, .NET 7), not of Math. Before that,
                    // √(a² + b²) as written (it overflows where hypot does not, as the source's own expression did).
                    if (_p._hasHypot) return (_p.TypeName + ".Hypot(" + At(args[0], 0) + ", " + At(args[1], 0) + ")", Primary);
                    string Square(Expr u) { var t = At(u, Multiplicative); return t + " * " + t; }
                    return _p.MathCall("Sqrt", Square(args[0]) + " + " + Square(args[1]));
                }
                case ExprKind.Shared:
                    return Emit(args[0], required);
                case ExprKind.Call:
                {
                    var sb = new StringBuilder(n.CallName).Append('(');
                    for (var i = 0; i < args.Length; i++) sb.Append(i == 0 ? "" : ", ").Append(At(args[i], 0));
                    return (sb.Append(')').ToString(), Primary);
                }
                case ExprKind.If:
                    return (Condition(args[0]) + " ? " + At(args[1], Conditional + 1) + " : " + At(args[2], Conditional), Conditional);
            }
            if (n.IsComparison)
                return (Condition(n) + Indicator, Conditional);
            return _p.MathCall(Operators.Of(n.Kind).CSharpFunction!, At(args[0], 0));
        }

        // An integer expression as the operand of a cast: int arithmetic, parenthesised unless primary.
        private string Converted(Expr e)
        {
            _integer++;
            var (text, precedence) = Emit(e, 0);
            _integer--;
            return precedence < Primary ? "(" + text + ")" : text;
        }

        public string Condition(Expr c) => IsBoolean(c) && TryLocal(c, out var local) ? local : ConditionText(c);

        private string ConditionText(Expr c)
        {
            if (c.IsComparison) return Comparison(c);
            // a && b, a || b and !a, as the front end reads them: If(a, b, 0), If(a, 1, b), If(a, 0, 1).
            if (Graph.Logical(c) is { } logical)
            {
                var (op, left, right) = logical;
                if (op == "!") return "!(" + Condition(left) + ")";
                string Operand(Expr x) => Graph.Logical(x) is { Op: var inner } && inner != "!" && inner != op ? "(" + Condition(x) + ")" : Condition(x);
                return Operand(left) + " " + op + " " + Operand(right!);
            }
            return At(c, Equality + 1) + " != " + _p.Literal(Number.Zero);
        }

        private string Comparison(Expr c)
        {
            // u != u is C#'s NaN test, u == u (u <= u, u >= u) its negation: written as IsNaN (x != x draws warning CS1718).
            if (ReferenceEquals(c.ArgArray[0], c.ArgArray[1]))
            {
                var test = _p.TypeName + ".IsNaN(" + At(c.ArgArray[0], 0) + ")";
                return c.Kind == ExprKind.NotEqual ? test : "!" + test;
            }
            var op = Operators.Of(c.Kind).Name;
            var prec = c.Kind is ExprKind.Equal or ExprKind.NotEqual ? Equality : Relational;
            var a = ArgsOf(c);
            // Integer data compares as int (k < b.Length); a floating-point
            // value only ever meets integer data through ToFloat.
            var ints = IntegerData(a[0]) || IntegerData(a[1]);
            if (ints) _integer++;
            var text = At(a[0], prec) + " " + op + " " + At(a[1], prec + 1);
            if (ints) _integer--;
            return text;
        }

        private string Sum(Expr[] args)
        {
            var sb = new StringBuilder();
            var first = true;
            foreach (var t in TermLayout.Terms(args, a => TryLocal(a, out _)))
            {
                if (first) sb.Append(At(t.Original, Additive));
                else if (t.Negative) sb.Append(" - ").Append(At(t.Magnitude, Additive + 1));
                else sb.Append(" + ").Append(At(t.Original, Additive + 1));
                first = false;
            }
            return sb.ToString();
        }

        private (string Text, int Precedence) Product(Expr[] args)
        {
            var (c, num, den) = TermLayout.Fraction(args, a => TryLocal(a, out _));
            var negative = c.IsNegative;
            var magnitude = negative ? -c : c;
            var parts = new List<string>();
            // Comparisons print as ints; a quotient of nothing but comparisons gets a floating-point factor.
            var integerQuotient = den.Count > 0 && num.All(Integral) && den.All(Integral);
            if (!magnitude.IsOne || num.Count == 0 || integerQuotient) parts.Add(Emit(Expr.Const(magnitude), 0).Text);
            for (var i = 0; i < num.Count; i++) parts.Add(At(num[i], parts.Count == 0 ? Multiplicative : Multiplicative + 1));
            var text = string.Join(" * ", parts);
            var prec = parts.Count == 1 && den.Count == 0 ? Emit(num.Count == 1 && magnitude.IsOne ? num[0] : Expr.Const(magnitude), 0).Precedence : Multiplicative;
            if (den.Count > 0)
            {
                var d = den.Count == 1 ? At(den[0], Multiplicative + 1) : "(" + string.Join(" * ", den.Select((f, i) => At(f, i == 0 ? Multiplicative : Multiplicative + 1))) + ")";
                text = text + " / " + d;
                prec = Multiplicative;
            }
            if (negative)
            {
                // "--x" would be a decrement: a factor that prints with its own sign gets parentheses.
                if ((prec < Unary && parts.Count == 1 && den.Count == 0) || text.StartsWith("-", StringComparison.Ordinal)) text = "(" + text + ")";
                text = "-" + text;
                prec = parts.Count == 1 && den.Count == 0 ? Unary : Multiplicative;
            }
            return (text, prec);
        }

        private (string Text, int Precedence) Power(Expr b, Expr e)
        {
            var one = _p.Literal(Number.One);
            if (e.Kind == ExprKind.Const && e.Value.IsExact)
            {
                var k = e.Value;
                if (k.IsInteger && Math.Abs(k.Numerator) <= CostModel.MaxUnrolledPower)
                {
                    var count = (int)Math.Abs(k.Numerator);
                    var factors = string.Join(" * ", Enumerable.Range(0, count).Select(i => At(b, i == 0 ? Multiplicative : Multiplicative + 1)));
                    if (!k.IsNegative) return (factors, count == 1 ? Emit(b, 0).Precedence : Multiplicative);
                    return (one + " / " + (count == 1 ? At(b, Multiplicative + 1) : "(" + factors + ")"), Multiplicative);
                }
                if (k.Denominator == 2 && Math.Abs(k.Numerator) == 1)
                {
                    var sqrt = _p.MathCall("Sqrt", At(b, 0));
                    return k.IsNegative ? (one + " / " + (sqrt.Precedence < Primary ? "(" + sqrt.Text + ")" : sqrt.Text), Multiplicative) : sqrt;
                }
            }
            return _p.MathCall("Pow", At(b, 0), At(e, 0));
        }
    }
}
