using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace SymGrad.Symbolic;

/// <summary>
/// Prints an element-wise program — its value and its partials, computed together — as TorchSharp tensor code for a
/// custom autograd function: a forward pass that computes the value and keeps what the backward pass needs, and a
/// backward pass that computes each partial from what was kept. Every variable is a tensor except the named scalars
/// (plain <c>double</c>s, constants of the function); arithmetic is the tensors' operators, functions their methods
/// (<c>x.exp()</c>, <c>x.tanh()</c>), a condition a <c>bool</c> tensor (<c>torch.where</c>, <c>masked_fill</c>).
/// What is kept: the inputs, and each subterm both passes need whose own work includes a transcendental function (exp,
/// log, tanh, σ, …) — recomputing it would cost the backward pass its most expensive work, keeping a cheap polynomial
/// subterm would cost memory for nothing. The rest of what the backward pass needs it recomputes from those.
/// </summary>
public static class TorchPrinter
{
    /// <summary>The two passes as C# statements and expressions.</summary>
    /// <param name="Forward">Locals of the forward pass in order, each a name and its tensor expression, before the value.</param>
    /// <param name="Value">The value, a tensor expression.</param>
    /// <param name="Saved">The locals the forward pass keeps for the backward pass (beside the inputs).</param>
    /// <param name="Backward">Locals of the backward pass, after the saved locals are read back.</param>
    /// <param name="Partials">Each partial, a tensor or scalar expression (the backward pass multiplies it by the incoming gradient).</param>
    public sealed record Function(IReadOnlyList<(string Name, string Expression)> Forward, string Value, IReadOnlyList<string> Saved,
        IReadOnlyList<(string Name, string Expression)> Backward, IReadOnlyList<string> Partials);

    /// <summary>
    /// Splits and prints <paramref name="program"/>, whose first output is the value and the rest the partials. Variables
    /// named in <paramref name="scalars"/> are doubles; every other one is a tensor, and <paramref name="reference"/> (one of
    /// them) gives the shape, dtype and device where a constant must become a tensor.
    /// </summary>
    /// <exception cref="NotSupportedException">The program is not element-wise (an index, a sum, a call of another method, int data).</exception>
    public static Function Print(ExprProgram program, IReadOnlyCollection<string> scalars, string reference) =>
        Print(program, scalars, reference, Array.Empty<string>(), null);

    /// <summary>
    /// As above, for a method over vectors too: the <paramref name="arrays"/> (one-dimensional) are tensors whose last axis
    /// is the array's, every one of the same length, read in <paramref name="length"/> (a scalar variable the caller declares
    /// and put in place of the arrays' lengths). A loop over that length whose body reads elements at its own index is a
    /// reduction over the last axis (kept as an axis of 1, so that it broadcasts against the vectors), an element at the
    /// partial's free index is the whole tensor, and an index as a number is <c>torch.arange</c> along the last axis.
    /// </summary>
    public static Function Print(ExprProgram program, IReadOnlyCollection<string> scalars, string reference, IReadOnlyCollection<string> arrays, string? length)
    {
        // Only element-wise programs (and, over vectors, reductions along the last axis) have a tensor form: anything else is
        // refused whole, before a scalar subterm (printed as C#) could carry a loop or a call into the text. The value first,
        // so a call is named as the source wrote it.
        var vectors = new HashSet<string>(arrays, StringComparer.Ordinal);
        var roots = program.Outputs.Select(o => o.Value).ToList();
        foreach (var n in Graph.PostOrder(roots))
        {
            if (vectors.Count > 0 && n.Kind == ExprKind.Length && vectors.Contains(n.LengthArray)) continue;
            if (vectors.Count > 0 && n.Kind is ExprKind.Sum or ExprKind.MaxOver or ExprKind.ArgMax or ExprKind.Element or ExprKind.Index or ExprKind.ToFloat)
            {
                if (VectorProblem(n, vectors, length) is { } problem) throw new NotSupportedException(problem);
                continue;
            }
            if (n.Kind is ExprKind.Call or ExprKind.Sum or ExprKind.MaxOver or ExprKind.ArgMax or ExprKind.Element or ExprKind.Index or ExprKind.Length
                or ExprKind.ToFloat or ExprKind.IntDiv or ExprKind.IntRem)
                throw new NotSupportedException(Unsupported(n));
        }
        var scalarSet = new HashSet<string>(scalars, StringComparer.Ordinal);
        if (length != null) scalarSet.Add(length);
        var writer = new Writer(program, scalarSet, reference, length);
        var locals = program.Locals.Where(l => writer.IsTensor(l.Node)).ToList();
        var localSet = new HashSet<Expr>(locals.Select(l => l.Node));
        // The locals each node reads directly (through inline subterms, not through other locals).
        var reads = new Dictionary<Expr, List<Expr>>();
        List<Expr> Reads(Expr root)
        {
            if (reads.TryGetValue(root, out var known)) return known;
            var found = new List<Expr>();
            var seen = new HashSet<Expr>();
            var stack = new Stack<Expr>();
            foreach (var a in program.ArgsOf(root)) stack.Push(a);
            while (stack.Count > 0)
            {
                var n = stack.Pop();
                if (!seen.Add(n)) continue;
                if (localSet.Contains(n))
                {
                    found.Add(n);
                    continue;
                }
                foreach (var a in program.ArgsOf(n)) stack.Push(a);
            }
            reads[root] = found;
            return found;
        }
        List<Expr> ReadsOfOutput(Expr value) => localSet.Contains(value) ? new List<Expr> { value } : Reads(value);
        HashSet<Expr> Closure(IEnumerable<Expr> roots, Func<Expr, bool> stop)
        {
            var result = new HashSet<Expr>();
            var stack = new Stack<Expr>(roots);
            while (stack.Count > 0)
            {
                var n = stack.Pop();
                if (!result.Add(n) || stop(n)) continue;
                foreach (var r in Reads(n)) stack.Push(r);
            }
            return result;
        }

        var outputs = program.Outputs;
        var forward = Closure(ReadsOfOutput(outputs[0].Value), _ => false);
        var backwardAll = Closure(outputs.Skip(1).SelectMany(o => ReadsOfOutput(o.Value)), _ => false);
        // A local's own work: its subterms down to the locals it reads.
        bool Costly(Expr local)
        {
            var stack = new Stack<Expr>();
            stack.Push(local);
            var seen = new HashSet<Expr>();
            while (stack.Count > 0)
            {
                var n = stack.Pop();
                if (!seen.Add(n)) continue;
                if (Transcendental(n)) return true;
                foreach (var a in program.ArgsOf(n))
                    if (!localSet.Contains(a)) stack.Push(a);
            }
            return false;
        }
        var saved = new HashSet<Expr>(forward.Where(n => backwardAll.Contains(n) && Costly(n)));
        var backward = Closure(outputs.Skip(1).SelectMany(o => ReadsOfOutput(o.Value)), saved.Contains);

        // The backward pass first: the kept subterms it does not read after all (printing can rebuild a product around a
        // local) are not kept.
        foreach (var node in saved) writer.Declare(node);
        var backwardLines = new List<(string Name, string Expression)>();
        writer.Atomize(backwardLines);
        foreach (var (name, node) in locals.Where(l => backward.Contains(l.Node) && !saved.Contains(l.Node)))
        {
            Add(backwardLines, name, writer.Define(node));
            writer.Declare(node);
        }
        var partials = outputs.Skip(1).Select(o => writer.Emit(o.Value, 0).Text).ToList();
        var backwardKept = Used(backwardLines, partials);
        var savedNames = locals.Where(l => saved.Contains(l.Node) && backwardKept.Names.Contains(l.Name)).Select(l => l.Name).ToList();

        writer.Clear();
        var forwardLines = new List<(string Name, string Expression)>();
        writer.Atomize(forwardLines);
        foreach (var (name, node) in locals.Where(l => forward.Contains(l.Node)))
        {
            Add(forwardLines, name, writer.Define(node));
            writer.Declare(node);
        }
        var value = writer.Tensor(outputs[0].Value);
        var forwardKept = Used(forwardLines, savedNames.Append(value).ToList());
        return new Function(forwardKept.Lines, value, savedNames, backwardKept.Lines, partials);
    }

    // The locals some later local or one of the results reads (one nothing reads is dropped, last first, so that a chain of
    // them goes), and every local name read.
    private static (List<(string Name, string Expression)> Lines, HashSet<string> Names) Used(List<(string Name, string Expression)> lines, IReadOnlyList<string> results)
    {
        var words = new HashSet<string>(results.SelectMany(Words), StringComparer.Ordinal);
        var keep = new bool[lines.Count];
        for (var i = lines.Count - 1; i >= 0; i--)
        {
            if (!words.Contains(lines[i].Name)) continue;
            keep[i] = true;
            words.UnionWith(Words(lines[i].Expression));
        }
        return (lines.Where((_, i) => keep[i]).ToList(), words);
    }

    /// <summary>The identifiers an expression reads (not member names after a dot).</summary>
    public static IEnumerable<string> Words(string expression) =>
        Word.Matches(expression).Cast<System.Text.RegularExpressions.Match>().Select(m => m.Value);

    private static readonly System.Text.RegularExpressions.Regex Word = new(@"(?<![\w@.])\w+", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// <paramref name="e"/> with every sum of a sum split into sums of its terms, each of which takes the factors and guards
    /// free of its index out (<see cref="Expr.Sum"/>): Σᵢ (yᵢ·g(k) + hᵢ) = g(k)·Σᵢ yᵢ + Σᵢ hᵢ, so that no loop's body reads the
    /// free index of a partial (softmax cross-entropy's ∂/∂z_k has such terms) and each loop is one reduction.
    /// </summary>
    public static Expr SplitSums(Expr e) => Graph.Rewrite(e, n =>
        n.Kind == ExprKind.Sum && n.ArgArray[1].Kind == ExprKind.Add
            ? Expr.Add(n.ArgArray[1].ArgArray.Select(t => Expr.Sum(Expr.Index(n.Name!), n.ArgArray[0], t)).ToList())
            : n);

    // What a vector method's node may not be: an element at another index than a loop's own or the free one, a loop over
    // another count than the vectors' length, a loop whose body reads another index than its own.
    private static string? VectorProblem(Expr n, HashSet<string> vectors, string? length)
    {
        switch (n.Kind)
        {
            case ExprKind.Element:
                if (!vectors.Contains(n.Name!) || n.ArgArray.Length != 1 || n.ArgArray[0].Kind is not (ExprKind.Index or ExprKind.ArgMax))
                    return $"it reads {n.Name}[{string.Join(", ", n.ArgArray.Select(a => CSharpPrinter.Default.PrintInteger(a)))}], at another index than its loop's; a tensor function reads vectors element by element";
                return null;
            case ExprKind.ToFloat:
                return n.ArgArray[0].Kind == ExprKind.Index ? null : "it computes with int data; only element-wise arithmetic has a tensor form";
            case ExprKind.Index:
                return null;
            default:
                var count = n.ArgArray[0];
                if (!(count.Kind == ExprKind.Var && count.Name == length || count.Kind == ExprKind.Length && vectors.Contains(count.LengthArray)))
                    return "it has a loop over another count than its vectors' length; a tensor function's loops are reductions over a whole vector";
                var free = FreeIndices(n.ArgArray[1]);
                free.Remove(n.Name!);
                return free.Count == 0 ? null : $"a loop's body reads the index '{free.First()}' of another loop; a tensor function's loops are reductions over one vector at a time";
        }
    }

    // The indices an expression reads that no loop inside it binds (a loop's index is free in its body only).
    private static HashSet<string> FreeIndices(Expr e)
    {
        var memo = new Dictionary<Expr, HashSet<string>>();
        HashSet<string> Free(Expr n)
        {
            if (memo.TryGetValue(n, out var known)) return known;
            System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
            var result = new HashSet<string>(StringComparer.Ordinal);
            if (n.Kind == ExprKind.Index) result.Add(n.Name!);
            else if (n.Kind is ExprKind.Sum or ExprKind.MaxOver or ExprKind.ArgMax)
            {
                result.UnionWith(Free(n.ArgArray[0]));
                result.UnionWith(Free(n.ArgArray[1]).Where(i => i != n.Name));
            }
            else
                foreach (var a in n.ArgArray) result.UnionWith(Free(a));
            memo[n] = result;
            return result;
        }
        return new HashSet<string>(Free(e), StringComparer.Ordinal);
    }

    private static string Unsupported(Expr n) => n.Kind switch
    {
        ExprKind.Call => $"it calls '{n.CallName}'; a call has no tensor form yet (write what it computes into this method)",
        ExprKind.Sum or ExprKind.MaxOver or ExprKind.ArgMax or ExprKind.Index => "it has a loop; only element-wise methods (every parameter a number, no loops) have a tensor form yet",
        ExprKind.Element or ExprKind.Length => "it reads arrays; only element-wise methods (every parameter a number) have a tensor form yet",
        _ => $"its '{n.Kind}' has no tensor form",
    };

    // A function whose result is worth keeping rather than recomputing.
    private static bool Transcendental(Expr n) => n.Kind is ExprKind.Exp or ExprKind.Log or ExprKind.Sin or ExprKind.Cos or ExprKind.Tanh or ExprKind.Sigmoid
        or ExprKind.Softplus or ExprKind.Atan or ExprKind.Asin or ExprKind.Acos or ExprKind.Asinh or ExprKind.Acosh or ExprKind.Atanh or ExprKind.Atan2
        or ExprKind.Log2 or ExprKind.Log10 or ExprKind.Cbrt or ExprKind.Hypot
        || n.Kind == ExprKind.Pow && !(n.ArgArray[1].Kind == ExprKind.Const && n.ArgArray[1].Value.IsInteger);

    private static readonly System.Text.RegularExpressions.Regex Identifier = new(@"^@?\w+$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    // A local's definition into the pass's lines: a definition its own last hoisted line computes names that line instead.
    private static void Add(List<(string Name, string Expression)> lines, string name, string definition)
    {
        if (lines.Count > 0 && lines[lines.Count - 1].Name == definition)
            lines[lines.Count - 1] = (name, lines[lines.Count - 1].Expression);
        else
            lines.Add((name, definition));
    }

    private const int Conditional = 1, Relational = 3, Additive = 4, Multiplicative = 5, Unary = 6, Primary = 7;

    private sealed class Writer(ExprProgram program, HashSet<string> scalars, string reference, string? length)
    {
        private static readonly CSharpPrinter Scalar = CSharpPrinter.DefaultQualified;
        private readonly HashSet<Expr> _declared = new();
        private readonly Dictionary<Expr, bool> _tensor = new();
        // Three-address form: every operation on tensors inside a line becomes a line of its own (tmp0 = a * b), so the pass
        // can free each intermediate after its last use instead of holding a whole expression's until the pass ends.
        private List<(string Name, string Expression)>? _lines;
        private int _temporaries;
        private HashSet<string>? _taken;

        public void Declare(Expr n) => _declared.Add(n);

        public void Clear() => _declared.Clear();

        public void Atomize(List<(string Name, string Expression)> lines) => _lines = lines;

        // A number computed in C#: the vectors' lengths read as the length variable (a tensor has no Length).
        private Expr Lengths(Expr n) => length is null ? n : Graph.Rewrite(n, x => x.Kind == ExprKind.Length ? Expr.Var(length) : x);

        // A tensor operation's text as a line of its own, read back by name.
        private string Hoist(string text)
        {
            // A name is read as it is (a line `var t = x;` would alias x, and freeing t would free x).
            if (_lines is null || Identifier.IsMatch(text)) return text;
            _taken ??= new HashSet<string>(program.LocalNames.Values.Concat(scalars).Concat(program.Parameters), StringComparer.Ordinal);
            string name;
            do name = "tmp" + _temporaries++;
            while (_taken.Contains(name));
            _lines.Add((name, text));
            return name;
        }

        // Depends on a tensor variable.
        public bool IsTensor(Expr n)
        {
            if (_tensor.TryGetValue(n, out var known)) return known;
            var result = n.Kind switch
            {
                ExprKind.Var => !scalars.Contains(n.Name!),
                // A vector's element is the vector; an index, arange along the last axis.
                ExprKind.Element or ExprKind.Index => true,
                _ => n.ArgArray.Any(IsTensor),
            };
            _tensor[n] = result;
            return result;
        }

        public string Define(Expr n) => n.IsComparison || Graph.Logical(n) != null ? Condition(n) : EmitNode(n, 0).Text;

        // As a tensor even when it is a constant or a scalar (an output, a branch that must be one).
        public string Tensor(Expr n) =>
            IsTensor(n) ? Emit(n, 0).Text : "global::TorchSharp.torch.full_like(" + reference + ", " + Emit(n, 0).Text + ")";

        private string At(Expr n, int required) => Emit(n, required).Text;

        public (string Text, int Precedence) Emit(Expr n, int required)
        {
            System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
            if (_declared.Contains(n) && program.LocalNames.TryGetValue(n, out var local))
            {
                if (!(n.IsComparison || Graph.Logical(n) != null)) return (local, Primary);
                var asNumber = "(" + local + ").to_type(" + reference + ".dtype)";
                return (asNumber, Primary);
            }
            if (n.Kind == ExprKind.Length) return EmitNode(n, required);
            var (text, precedence) = IsTensor(n) ? EmitNode(n, required) : (Scalar.Print(Lengths(n)), Additive);
            if (!IsTensor(n) && n.Kind is ExprKind.Const or ExprKind.Var) precedence = Primary;
            if (IsTensor(n) && _lines != null && n.Kind is not (ExprKind.Var or ExprKind.Shared))
                (text, precedence) = (Hoist(text), Primary);
            return precedence < required ? ("(" + text + ")", Primary) : (text, precedence);
        }

        private (string Text, int Precedence) EmitNode(Expr n, int required)
        {
            var args = program.ArgsOf(n);
            switch (n.Kind)
            {
                case ExprKind.Var:
                    return (CSharpPrinter.Identifier(n.Name!), Primary);
                case ExprKind.Element when args[0].Kind == ExprKind.ArgMax:
                    // The element at a loop's argmax: gathered along the last axis.
                    return (CSharpPrinter.Identifier(n.Name!) + ".gather(-1, " + At(args[0], 0) + ")", Primary);
                case ExprKind.Element:
                    return (CSharpPrinter.Identifier(n.Name!), Primary);
                case ExprKind.Length:
                    return (length ?? throw new NotSupportedException(Unsupported(n)), Primary);
                case ExprKind.Index:
                    return ("global::TorchSharp.torch.arange(" + reference + ".size(-1), device: " + reference + ".device)", Primary);
                case ExprKind.ToFloat:
                    return (At(args[0], Primary) + ".to_type(" + reference + ".dtype)", Primary);
                case ExprKind.Sum:
                    return (At(args[1], Primary) + ".sum(-1, keepdim: true)", Primary);
                case ExprKind.MaxOver:
                    return (At(args[1], Primary) + ".amax(new long[] { -1 }, keepdim: true)", Primary);
                case ExprKind.ArgMax:
                    return (At(args[1], Primary) + ".argmax(-1, keepdim: true)", Primary);
                case ExprKind.Shared:
                    return Emit(args[0], required);
                case ExprKind.Add:
                    return (Sum(args), Additive);
                case ExprKind.Mul:
                    return Product(args);
                case ExprKind.Pow:
                    return Power(args[0], args[1]);
                case ExprKind.If:
                    return (Select(args[0], args[1], args[2]), Primary);
                case ExprKind.Max:
                case ExprKind.Min:
                {
                    if (IsTensor(args[0]) && IsTensor(args[1]))
                        return ("global::TorchSharp.torch." + (n.Kind == ExprKind.Max ? "maximum(" : "minimum(") + At(args[0], 0) + ", " + At(args[1], 0) + ")", Primary);
                    var (tensor, scalar) = IsTensor(args[0]) ? (args[0], args[1]) : (args[1], args[0]);
                    return (At(tensor, Primary) + (n.Kind == ExprKind.Max ? ".clamp_min(" : ".clamp_max(") + At(scalar, 0) + ")", Primary);
                }
                case ExprKind.Atan2:
                case ExprKind.Hypot:
                case ExprKind.CopySign:
                    return ("global::TorchSharp.torch." + (n.Kind == ExprKind.Atan2 ? "atan2(" : n.Kind == ExprKind.Hypot ? "hypot(" : "copysign(") + Tensor(args[0]) + ", " + Tensor(args[1]) + ")", Primary);
                case ExprKind.FusedMultiplyAdd:
                    return (At(args[0], Multiplicative) + " * " + At(args[1], Multiplicative + 1) + " + " + At(args[2], Additive + 1), Additive);
                case ExprKind.Softplus:
                    return (At(args[0], Primary) + ".softplus(1.0, 20.0)", Primary);
                case ExprKind.Cbrt:
                {
                    var u = At(args[0], Primary);
                    return (u + ".sign() * " + u + ".abs().pow(1.0 / 3.0)", Multiplicative);
                }
                case ExprKind.Round:
                    return (At(args[0], Primary) + ".round(0)", Primary);
            }
            if (n.IsComparison || Graph.Logical(n) != null)
                return ("(" + Condition(n) + ").to_type(" + reference + ".dtype)", Primary);
            var method = n.Kind switch
            {
                ExprKind.Exp => "exp",
                ExprKind.Log => "log",
                ExprKind.Sin => "sin",
                ExprKind.Cos => "cos",
                ExprKind.Tanh => "tanh",
                ExprKind.Sigmoid => "sigmoid",
                ExprKind.Abs => "abs",
                ExprKind.Sign => "sign",
                ExprKind.Atan => "atan",
                ExprKind.Asin => "asin",
                ExprKind.Acos => "acos",
                ExprKind.Asinh => "asinh",
                ExprKind.Acosh => "acosh",
                ExprKind.Atanh => "atanh",
                ExprKind.Floor => "floor",
                ExprKind.Ceiling => "ceil",
                ExprKind.Truncate => "trunc",
                ExprKind.Log2 => "log2",
                ExprKind.Log10 => "log10",
                _ => throw new NotSupportedException(Unsupported(n)),
            };
            return (At(args[0], Primary) + "." + method + "()", Primary);
        }


        private string Sum(Expr[] args)
        {
            var sb = new StringBuilder();
            var first = true;
            var tensors = 0;
            foreach (var t in TermLayout.Terms(args, a => _declared.Contains(a)))
            {
                // In three-address form each addition of a tensor is its own line (the last one is the caller's).
                if (tensors > 0 && _lines != null && IsTensor(t.Original)) sb = new StringBuilder(Hoist(sb.ToString()));
                if (IsTensor(t.Original)) tensors++;
                if (first) sb.Append(At(t.Original, Additive));
                else if (t.Negative) sb.Append(" - ").Append(At(t.Magnitude, Additive + 1));
                else sb.Append(" + ").Append(At(t.Original, Additive + 1));
                first = false;
            }
            return sb.ToString();
        }

        private (string Text, int Precedence) Product(Expr[] args)
        {
            var (c, num, den) = TermLayout.Fraction(args, a => _declared.Contains(a));
            var magnitude = c.IsNegative ? -c : c;
            var parts = new List<string>();
            if (!magnitude.IsOne || num.Count == 0) parts.Add(Scalar.Literal(magnitude));
            // Scalar factors first (one double), then the tensors, one multiplication at a time in three-address form.
            foreach (var f in num.Where(f => !IsTensor(f))) parts.Add(At(f, parts.Count == 0 ? Multiplicative : Multiplicative + 1));
            var text = string.Join(" * ", parts);
            var tensors = 0;
            foreach (var f in num.Where(IsTensor))
            {
                if (tensors > 0 && _lines != null) text = Hoist(text);
                text = text.Length == 0 ? At(f, Multiplicative) : text + " * " + At(f, Multiplicative + 1);
                tensors++;
            }
            var precedence = parts.Count + tensors == 1 && den.Count == 0 ? Primary : Multiplicative;
            foreach (var d in den)
            {
                if (_lines != null && tensors > 0 && text.Contains(' ')) text = Hoist(text);
                text += " / " + At(d, Multiplicative + 1);
                precedence = Multiplicative;
            }
            if (c.IsNegative)
            {
                text = "-" + (precedence < Primary ? "(" + text + ")" : text);
                precedence = Unary;
            }
            return (text, precedence);
        }

        private (string Text, int Precedence) Power(Expr b, Expr e)
        {
            if (!IsTensor(b))
                // A constant or scalar base: b^e = e^(e·ln b).
                return ("(" + At(e, Multiplicative) + " * global::System.Math.Log(" + At(b, 0) + ")).exp()", Primary);
            var receiver = At(b, Primary);
            if (e.Kind == ExprKind.Const && e.Value.IsExact)
            {
                var k = e.Value;
                if (k.IsInteger && k.Numerator == 2) return (receiver + ".square()", Primary);
                if (k.IsInteger && k.Numerator == -1) return (receiver + ".reciprocal()", Primary);
                if (k.Denominator == 2 && k.Numerator == 1) return (receiver + ".sqrt()", Primary);
                if (k.Denominator == 2 && k.Numerator == -1) return (receiver + ".rsqrt()", Primary);
            }
            return (receiver + ".pow(" + At(e, 0) + ")", Primary);
        }

        // condition ? a : b, element by element.
        private string Select(Expr condition, Expr a, Expr b)
        {
            if (!IsTensor(condition))
            {
                // A branch that is a local is a new handle on it (alias), so that freeing the local later frees nothing this
                // result still holds.
                string Branch(Expr x) => Tensor(x) is var text && Identifier.IsMatch(text) ? text + ".alias()" : text;
                return "(" + Scalar.PrintCondition(Lengths(condition)) + " ? " + Branch(a) + " : " + Branch(b) + ")";
            }
            var c = Condition(condition);
            if (IsTensor(a) && IsTensor(b)) return "global::TorchSharp.torch.where(" + c + ", " + At(a, 0) + ", " + At(b, 0) + ")";
            if (IsTensor(b)) return At(b, Primary) + ".masked_fill(" + c + ", " + At(a, 0) + ")";
            if (IsTensor(a)) return At(a, Primary) + ".masked_fill((" + c + ").logical_not(), " + At(b, 0) + ")";
            return Tensor(b) + ".masked_fill(" + c + ", " + At(a, 0) + ")";
        }

        // A bool tensor.
        public string Condition(Expr c)
        {
            if (_declared.Contains(c) && program.LocalNames.TryGetValue(c, out var local)) return local;
            if (c.IsComparison)
            {
                var (x, y) = (c.ArgArray[0], c.ArgArray[1]);
                // u != u is the NaN test, u == u its negation.
                if (ReferenceEquals(x, y)) return At(x, Primary) + (c.Kind == ExprKind.NotEqual ? ".isnan()" : ".isnan().logical_not()");
                var op = c.Kind switch
                {
                    ExprKind.Less => " < ",
                    ExprKind.LessEqual => " <= ",
                    ExprKind.Greater => " > ",
                    ExprKind.GreaterEqual => " >= ",
                    ExprKind.Equal => ".eq(",
                    _ => ".ne(",
                };
                // == and != on tensors are the methods (the operators would read as reference comparisons).
                if (op.StartsWith(".", StringComparison.Ordinal)) return Tensor(IsTensor(x) ? x : y) + op + At(IsTensor(x) ? y : x, 0) + ")";
                return At(x, Relational + 1) + op + At(y, Relational + 1);
            }
            if (Graph.Logical(c) is { } logical)
            {
                var (op, left, right) = logical;
                string Operand(Expr e) => IsTensor(e) ? "(" + Condition(e) + ")" : "global::TorchSharp.torch.full_like(" + reference + ", " + Scalar.PrintCondition(Lengths(e)) + " ? 1.0 : 0.0).to_type(global::TorchSharp.torch.ScalarType.Bool)";
                return op switch
                {
                    "!" => Operand(left) + ".logical_not()",
                    "&&" => Operand(left) + ".logical_and(" + Operand(right!) + ")",
                    _ => Operand(left) + ".logical_or(" + Operand(right!) + ")",
                };
            }
            return Tensor(c) + ".ne(0.0)";
        }
    }
}
