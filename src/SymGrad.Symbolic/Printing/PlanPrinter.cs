using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using SymGrad.Symbolic.Plans;

namespace SymGrad.Symbolic;

/// <summary>
/// Prints a lowering plan as C#: one line per statement, four spaces per block. It decides nothing: every local,
/// loop, bound, guard and kernel call is in the plan; this class only spells them (engine expressions through
/// <see cref="CSharpPrinter"/>, which knows the arrays' ranks from the plan).
/// </summary>
public sealed class PlanPrinter
{
    private const string VectorType = "global::System.Numerics.Vector<float>";
    private const string VectorOps = "global::System.Numerics.Vector";

    private readonly CSharpPrinter _printer;
    private readonly Dictionary<string, int> _ranks = new(StringComparer.Ordinal);
    private readonly List<string> _lines = new();

    private PlanPrinter(CSharpPrinter printer, IEnumerable<ArrayInfo> arrays)
    {
        _printer = printer;
        foreach (var a in arrays) _ranks[a.Name] = a.Rank;
    }

    /// <summary>The method: summary, signature and body, each line after <paramref name="indent"/>.</summary>
    public static string Print(MethodPlan plan, CSharpPrinter printer, string indent = "")
    {
        var p = new PlanPrinter(printer, plan.Arrays);
        p.Steps(plan.Body, "");
        var body = string.Join("\n", p._lines.Select(l => indent + "    " + l));
        var doc = plan.Summary is null ? "" : indent + "/// <summary>" + plan.Summary.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;") + "</summary>\n";
        return $"{doc}{indent}{plan.Accessibility} static {plan.ReturnType} {plan.Name}({string.Join(", ", plan.Parameters)})\n{indent}{{\n{body}\n{indent}}}\n";
    }

    /// <summary>The lines of a block (no enclosing indent), for tests and tools.</summary>
    public static IReadOnlyList<string> Lines(Block block, CSharpPrinter printer, IEnumerable<ArrayInfo> arrays)
    {
        var p = new PlanPrinter(printer, arrays);
        p.Steps(block, "");
        return p._lines;
    }

    private int RankOf(string array) => _ranks.TryGetValue(array, out var rank) ? rank : 1;

    private string TypeName(NumericType t) => t switch
    {
        NumericType.Int => "int",
        NumericType.Long => "long",
        NumericType.Float => "float",
        _ => "double",
    };

    private void Steps(Block block, string indent)
    {
        foreach (var step in block.Steps) Step(step, indent);
    }

    private void Braced(Block block, string indent)
    {
        _lines.Add(indent + "{");
        Steps(block, indent + "    ");
        _lines.Add(indent + "}");
    }

    private void Step(Step step, string indent)
    {
        switch (step)
        {
            case Declare d:
                _lines.Add(indent + "var " + d.Name + " = " + Value(d.Value, d.Type) + ";");
                break;
            case DeclareInt d:
                _lines.Add(indent + "var " + d.Name + " = " + Int(d.Value) + ";");
                break;
            case DeclareFlag d:
                _lines.Add(indent + "var " + d.Name + " = " + Condition(d.Value) + ";");
                break;
            case Plans.Buffer { Pool: null } b:
            {
                var (t, c) = (TypeName(b.Element), Int(b.Count));
                _lines.Add(indent + $"global::System.Span<{t}> {b.Name} = {c} <= 256 ? stackalloc {t}[{c}] : new {t}[{c}];");
                break;
            }
            case Plans.Buffer b:
            {
                // Rented above 256 elements: a gradient called once per batch allocates nothing after the first call.
                var (t, c) = (TypeName(b.Element), Int(b.Count));
                _lines.Add(indent + $"var {b.Pool} = {c} <= 256 ? null : global::System.Buffers.ArrayPool<{t}>.Shared.Rent({c});");
                _lines.Add(indent + $"global::System.Span<{t}> {b.Name} = {b.Pool} is null ? stackalloc {t}[{c}] : new global::System.Span<{t}>({b.Pool}, 0, {c});");
                break;
            }
            case Release r:
                _lines.Add(indent + $"if ({r.Pool} != null) global::System.Buffers.ArrayPool<{TypeName(r.Element)}>.Shared.Return({r.Pool});");
                break;
            case Straight s:
            {
                var heads = s.Stores.Select(Head).ToList();
                var integers = s.Stores.Select(x => x.Type == NumericType.Int).ToList();
                foreach (var line in _printer.Statements(s.Program, heads, integers, RankOf)) _lines.Add(indent + line);
                break;
            }
            case For f:
            {
                var i = CSharpPrinter.Identifier(f.Index);
                if (f.Descending)
                    _lines.Add(indent + $"for (var {i} = {Int(f.Upper - IntValue.Const(1))}; {i} >= {Int(f.Lower)}; {i}--)");
                else
                    _lines.Add(indent + $"for (var {i} = {Int(f.Lower)}; {i} < {Int(f.Upper)}; {(f.Stride is null ? i + "++" : i + " += " + Int(f.Stride))})");
                Braced(f.Body, indent);
                break;
            }
            case If c when c.OneLine:
            {
                var start = _lines.Count;
                Steps(c.Then, "");
                var then = string.Join(" ", _lines.Skip(start));
                _lines.RemoveRange(start, _lines.Count - start);
                _lines.Add(indent + "if (" + Condition(c.Condition) + ") " + then);
                break;
            }
            case If c:
                _lines.Add(indent + "if (" + Condition(c.Condition) + ")");
                Braced(c.Then, indent);
                if (c.Else != null)
                {
                    _lines.Add(indent + "else");
                    Braced(c.Else, indent);
                }
                break;
            case Throw t:
                _lines.Add(indent + $"if ({Condition(t.Condition)}) throw new global::System.ArgumentException(\"{t.Message}\", nameof({CSharpPrinter.Identifier(t.Parameter)}));");
                break;
            case Clear c:
            {
                var name = CSharpPrinter.Identifier(c.Array);
                _lines.Add(indent + c.Storage switch
                {
                    ArrayStorage.View => name + ".Span.Clear();",
                    ArrayStorage.Span => name + ".Clear();",
                    _ => "global::System.Array.Clear(" + name + ", 0, " + name + ".Length);",
                });
                break;
            }
            case Call c:
                _lines.Add(indent + (c.Result is null ? "" : "var " + c.Result + " = ") + Call(c.Kernel) + ";");
                break;
            case SetFlag f:
                _lines.Add(indent + f.Name + " = " + (f.Value ? "true" : "false") + ";");
                break;
            case AddInt a:
                _lines.Add(indent + a.Name + " += " + Int(a.Value) + ";");
                break;
            case Sequence q:
                Steps(q.Body, indent);
                break;
            case Copy c:
                _lines.Add(indent + c.Target + " = " + c.Source + ";");
                break;
            case Comment c:
                _lines.Add(indent + "// " + c.Text);
                break;
            case VectorLoop v:
                Vector(v, indent);
                break;
            case DeclareRow r:
                _lines.Add(indent + $"var {r.Name} = {CSharpPrinter.Identifier(r.Array)}.Slice({string.Join(", ", r.Args.Select(Int))});");
                break;
            case DeclareLanes l:
                _lines.Add(indent + $"var {l.Name} = {Lanes(l.Value)};");
                break;
            case DeclareMask m:
                _lines.Add(indent + $"var {m.Name} = {Mask(m.Value)};");
                break;
            case DeclareRun r:
                _lines.Add(indent + $"var {r.Name} = {Run(r.Run)};");
                break;
            case AddLanes a:
                _lines.Add(indent + $"(new {VectorType}({a.Run}) + {Lanes(a.Value)}).CopyTo({a.Run});");
                break;
            default:
                throw new InvalidOperationException("Unknown plan step " + step.GetType().Name + ".");
        }
    }

    private string Value(Expr e, NumericType type) =>
        type == NumericType.Int ? _printer.PrintInteger(e, RankOf) : e.Kind == ExprKind.Const ? _printer.Literal(e.Value) : _printer.Print(e, RankOf);

    private string Head(Store s)
    {
        var target = CSharpPrinter.Identifier(s.Name) + (s.Indices.Count == 0 ? "" : "[" + string.Join(", ", s.Indices.Select(Int)) + "]");
        return s.Kind switch
        {
            StoreKind.Return => "return",
            StoreKind.Declare => "var " + target + " =",
            StoreKind.Set => target + " =",
            _ => target + " +=",
        };
    }

    private string Call(KernelCall call) =>
        Kernel.Type + "." + call.Kernel.Method + "(" + string.Join(", ", call.Args.Select(Arg)) + ")";

    private string Arg(KernelArg a) => a switch
    {
        IntArg i => Int(i.Value),
        ViewArg { Method: null } v => CSharpPrinter.Identifier(v.Array) + ".Span" + (v.Args.Count == 0 ? "" : ".Slice(" + string.Join(", ", v.Args.Select(Int)) + ")"),
        ViewArg v => CSharpPrinter.Identifier(v.Array) + "." + v.Method + "(" + string.Join(", ", v.Args.Select(Int)) + ")",
        SpanArg s => s.Start is null ? CSharpPrinter.Identifier(s.Name) : CSharpPrinter.Identifier(s.Name) + ".Slice(" + Int(s.Start) + (s.Length is null ? "" : ", " + Int(s.Length)) + ")",
        AccumulateArg f => "accumulate: " + (f.Value ? "true" : "false"),
        _ => throw new InvalidOperationException("Unknown kernel argument."),
    };

    // ---- vector loops ----

    private void Vector(VectorLoop v, string indent)
    {
        var setup = indent + "    ";
        var inner = v.OuterIndex is null ? setup : setup + "    ";
        _lines.Add(indent + "if (" + Condition(v.Guard) + ")");
        _lines.Add(indent + "{");
        foreach (var s in v.Setup) Step(s, setup);
        if (v.OuterIndex != null)
        {
            var n = CSharpPrinter.Identifier(v.OuterIndex);
            _lines.Add(setup + $"for (var {n} = 0; {n} < {Int(v.OuterCount!)}; {n}++)");
            _lines.Add(setup + "{");
        }
        var c = CSharpPrinter.Identifier(v.Index);
        _lines.Add(inner + $"var {c} = 0;");
        _lines.Add(inner + "// Vector<float>.Count elements of the last axis at a time (an argmax's positions as masked adds), then the rest one by one.");
        var fits = v.Fits is null ? "" : Condition(v.Fits) + " && ";
        _lines.Add(inner + $"for (; {VectorOps}.IsHardwareAccelerated && {fits}{c} <= {Int(v.Count)} - {VectorType}.Count; {c} += {VectorType}.Count)");
        Braced(v.Body, inner);
        _lines.Add(inner + $"for (; {c} < {Int(v.Count)}; {c}++)");
        Braced(v.Remainder, inner);
        if (v.OuterIndex != null) _lines.Add(setup + "}");
        _lines.Add(indent + "}");
    }

    private string Run(RunSlice r)
    {
        var at = r.Offset is null ? CSharpPrinter.Identifier(r.Index) : Int(r.Offset) + " + " + CSharpPrinter.Identifier(r.Index);
        return CSharpPrinter.Identifier(r.Source) + ".Slice(" + at + (r.Counted ? ", " + VectorType + ".Count)" : ")");
    }

    private string Lanes(Lanes l) => l switch
    {
        LanesConst c => c.Value.IsZero ? VectorType + ".Zero" : c.Value.Equals(Number.One) ? VectorType + ".One" : $"new {VectorType}({_printer.Literal(c.Value)})",
        LanesLoad r => $"new {VectorType}({Run(r.Run)})",
        LanesOp { Kind: ExprKind.Add or ExprKind.Mul } o => "(" + string.Join(o.Kind == ExprKind.Add ? " + " : " * ", o.Args.Select(Lanes)) + ")",
        LanesOp o => o.Args.Skip(1).Select(Lanes).Aggregate(Lanes(o.Args[0]), (x, y) => $"{VectorOps}.{(o.Kind == ExprKind.Max ? "Max" : "Min")}({x}, {y})"),
        LanesSelect s => $"{VectorOps}.ConditionalSelect({Mask(s.Mask)}, {Lanes(s.Then)}, {Lanes(s.Else)})",
        LanesLocal n => n.Name,
        _ => throw new InvalidOperationException("Unknown lanes."),
    };

    private string Mask(Mask m) => m switch
    {
        MaskCompare c => c.Kind switch
        {
            ExprKind.Greater => $"{VectorOps}.GreaterThan({Lanes(c.Left)}, {Lanes(c.Right)})",
            ExprKind.GreaterEqual => $"{VectorOps}.GreaterThanOrEqual({Lanes(c.Left)}, {Lanes(c.Right)})",
            ExprKind.Less => $"{VectorOps}.LessThan({Lanes(c.Left)}, {Lanes(c.Right)})",
            ExprKind.LessEqual => $"{VectorOps}.LessThanOrEqual({Lanes(c.Left)}, {Lanes(c.Right)})",
            ExprKind.Equal => $"{VectorOps}.Equals({Lanes(c.Left)}, {Lanes(c.Right)})",
            _ => $"~{VectorOps}.Equals({Lanes(c.Left)}, {Lanes(c.Right)})",
        },
        MaskAnd a => "(" + string.Join(" & ", a.Parts.Select(Mask)) + ")",
        MaskLocal n => n.Name,
        _ => throw new InvalidOperationException("Unknown mask."),
    };

    // ---- conditions ----

    private string Condition(Condition c) => c switch
    {
        Test t => _printer.PrintCondition(t.Value, RankOf),
        Compare x => Int(x.Left) + " " + x.Op + " " + Int(x.Right),
        Wanted w => w.Storage switch
        {
            ArrayStorage.View => "!" + CSharpPrinter.Identifier(w.Output) + ".Span.IsEmpty",
            ArrayStorage.Span => "!" + CSharpPrinter.Identifier(w.Output) + ".IsEmpty",
            _ => CSharpPrinter.Identifier(w.Output) + " != null && " + CSharpPrinter.Identifier(w.Output) + ".Length != 0",
        },
        Flag f => f.Name,
        BoolConst b => b.Value ? "true" : "false",
        Not { Operand: Flag f } => "!" + f.Name,
        Not n => "!(" + Condition(n.Operand) + ")",
        Accelerated => VectorOps + ".IsHardwareAccelerated",
        All a => string.Join(" && ", a.Parts.Select(p => p is Any ? "(" + Condition(p) + ")" : Condition(p))),
        Any a => string.Join(" || ", a.Parts.Select(p => p is All ? "(" + Condition(p) + ")" : Condition(p))),
        _ => throw new InvalidOperationException("Unknown condition."),
    };

    // ---- ints ----

    private string Dim(string array, int rank, int axis) =>
        rank == 1 ? CSharpPrinter.Identifier(array) + ".Length" : CSharpPrinter.Identifier(array) + ".GetLength(" + axis.ToString(CultureInfo.InvariantCulture) + ")";

    private string Linear(Linear l) => l.Print(atom => atom.Kind == ExprKind.Index
        ? CSharpPrinter.Identifier(atom.Name!)
        : _ranks.TryGetValue(atom.LengthArray, out var r) ? Dim(atom.LengthArray, r, atom.LengthAxis) : Dim(atom.LengthArray, atom.LengthAxis + 1, atom.LengthAxis));

    private string Int(IntValue v) => v switch
    {
        IntConst c => c.Value.ToString(CultureInfo.InvariantCulture),
        IntLocal l => CSharpPrinter.Identifier(l.Name),
        IntLength l => Dim(l.Array, l.Rank, l.Axis),
        IntOf { Ceiling: true } o => "(int)global::System.Math.Ceiling(" + _printer.Print(o.Value, RankOf) + ")",
        IntOf o => _printer.PrintInteger(o.Value, RankOf),
        IntLinear l => Linear(l.Form),
        IntChoose c => Condition(c.Condition) + " ? " + Int(c.Then) + " : " + Int(c.Otherwise),
        IntSqrtCeiling r => "(int)global::System.Math.Ceiling(global::System.Math.Sqrt(" + Int(r.Value) + "))",
        IntBinary { Op: IntOp.Max or IntOp.Min } b => $"global::System.Math.{b.Op}({Int(b.Left)}, {Int(b.Right)})",
        IntBinary b => Operand(b.Left, Precedence(b), false) + " " + Symbol(b.Op) + " " + Operand(b.Right, Precedence(b), b.Op is IntOp.Subtract or IntOp.Divide || IsInverse(b.Right)),
        _ => throw new InvalidOperationException("Unknown int value."),
    };

    private static string Symbol(IntOp op) => op switch { IntOp.Add => "+", IntOp.Subtract => "-", IntOp.Multiply => "*", _ => "/" };

    // A right operand whose own operation does not associate with the left: a − b, a / b.
    private static bool IsInverse(IntValue v) => v is IntBinary { Op: IntOp.Subtract or IntOp.Divide };

    private string Operand(IntValue v, int precedence, bool strict)
    {
        var text = Int(v);
        var own = Precedence(v);
        return own < precedence || strict && own == precedence ? "(" + text + ")" : text;
    }

    // 1 additive, 2 multiplicative, 3 an atom (a name, a call, a constant).
    private static int Precedence(IntValue v) => v switch
    {
        IntBinary { Op: IntOp.Add or IntOp.Subtract } => 1,
        IntBinary { Op: IntOp.Multiply or IntOp.Divide } => 2,
        IntConst c when c.Value < 0 => 1,
        IntChoose => 0,
        IntLinear l => l.Form.Terms.Count + (l.Form.Constant != 0 ? 1 : 0) > 1 ? 1 : l.Form.Terms.Values.Any(c => c != 1 && c != -1) ? 2 : l.Form.Constant < 0 || l.Form.Terms.Values.Any(c => c < 0) ? 1 : 3,
        IntOf o => o.Ceiling ? 3 : o.Value.Kind switch
        {
            ExprKind.Add => 1,
            ExprKind.Mul or ExprKind.IntDiv or ExprKind.IntRem => 2,
            ExprKind.Const => o.Value.Value.IsNegative ? 1 : 3,
            _ => 3,
        },
        _ => 3,
    };
}
