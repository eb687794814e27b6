using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace SymGrad.Symbolic.Plans;

// The lowering's output: a typed, equatable plan of a generated method — locals, loops with their index and bounds,
// accumulations, stores and scatter-adds, guards, buffers, runtime kernel calls and vector loops — that the C# printer
// (PlanPrinter) only prints. Every value says its numeric type: engine expressions carry the method's floating type or
// int, integer bounds and offsets are IntValues (int by construction). Two plans built alike are equal.

/// <summary>A list compared element by element.</summary>
public sealed class Seq<T> : IReadOnlyList<T>, IEquatable<Seq<T>>
{
    private readonly T[] _items;

    public Seq(IEnumerable<T> items) => _items = items.ToArray();

    public static Seq<T> Empty { get; } = new(Array.Empty<T>());

    public T this[int index] => _items[index];

    public int Count => _items.Length;

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public bool Equals(Seq<T>? other) => other != null && _items.SequenceEqual(other._items);

    public override bool Equals(object? obj) => Equals(obj as Seq<T>);

    public override int GetHashCode() => _items.Aggregate(17, (h, x) => h * 31 + (x is null ? 0 : EqualityComparer<T>.Default.GetHashCode(x)));
}

/// <summary>Helpers for building sequences.</summary>
public static class Seq
{
    public static Seq<T> Of<T>(params T[] items) => new(items);

    public static Seq<T> ToSeq<T>(this IEnumerable<T> items) => new(items);
}

/// <summary>How an array is held: a span, a C# array (rank ≥ 2, or a gradient array), or a runtime view (<c>Matrix</c>, <c>Tensor4</c>).</summary>
public enum ArrayStorage
{
    Span,
    Array,
    View,
}

/// <summary>An array a plan reads or writes: its name, rank, storage and element type.</summary>
public sealed record ArrayInfo(string Name, int Rank, ArrayStorage Storage, NumericType Element)
{
    /// <summary>A float view (a runtime matrix or 4-D tensor): what the matrix-product kernels take.</summary>
    public bool IsFloatView => Storage == ArrayStorage.View && Element == NumericType.Float;
}

// ---- integer values: counts, bounds, offsets, lengths ----

/// <summary>An int: a constant, a local or loop index, an array length, an engine integer expression, a linear form, or arithmetic of these.</summary>
public abstract record IntValue
{
    public static IntValue Const(long value) => new IntConst(value);

    public static IntValue Local(string name) => new IntLocal(name);

    public static IntValue Of(Expr value) => new IntOf(value);

    public static IntValue operator +(IntValue a, IntValue b) => new IntBinary(IntOp.Add, a, b);

    public static IntValue operator -(IntValue a, IntValue b) => new IntBinary(IntOp.Subtract, a, b);

    public static IntValue operator *(IntValue a, IntValue b) => new IntBinary(IntOp.Multiply, a, b);

    public static IntValue operator /(IntValue a, IntValue b) => new IntBinary(IntOp.Divide, a, b);

    public static IntValue Max(IntValue a, IntValue b) => new IntBinary(IntOp.Max, a, b);

    public static IntValue Min(IntValue a, IntValue b) => new IntBinary(IntOp.Min, a, b);
}

public sealed record IntConst(long Value) : IntValue;

/// <summary>A local or a loop index, by name.</summary>
public sealed record IntLocal(string Name) : IntValue;

/// <summary>The length of an array's axis (<c>x.Length</c> for rank 1, else <c>x.GetLength(axis)</c>).</summary>
public sealed record IntLength(string Array, int Rank, int Axis) : IntValue;

/// <summary>
/// An engine expression of int type (indices, lengths, integer constants, C#'s int arithmetic); with
/// <paramref name="Ceiling"/>, a bound with fractional constants taken as its ceiling (i &lt; x is i &lt; ⌈x⌉).
/// </summary>
public sealed record IntOf(Expr Value, bool Ceiling = false) : IntValue;

/// <summary>An integer linear form over indices and lengths.</summary>
public sealed record IntLinear(Linear Form) : IntValue;

public enum IntOp
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Max,
    Min,
}

public sealed record IntBinary(IntOp Op, IntValue Left, IntValue Right) : IntValue;

/// <summary>⌈√value⌉ (a checkpointed sweep's default segment length).</summary>
public sealed record IntSqrtCeiling(IntValue Value) : IntValue;

/// <summary><c>condition ? then : otherwise</c></summary>
public sealed record IntChoose(Condition Condition, IntValue Then, IntValue Otherwise) : IntValue;

// ---- conditions ----

public abstract record Condition;

/// <summary>An engine condition (nonzero is true).</summary>
public sealed record Test(Expr Value) : Condition;

/// <summary>A comparison of two ints: <c>==</c>, <c>!=</c>, <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>.</summary>
public sealed record Compare(IntValue Left, string Op, IntValue Right) : Condition;

/// <summary>The caller asked for this gradient: a non-empty span or view, a non-null, non-empty array.</summary>
public sealed record Wanted(string Output, ArrayStorage Storage) : Condition;

/// <summary>A bool local.</summary>
public sealed record Flag(string Name) : Condition;

/// <summary><c>true</c> or <c>false</c>.</summary>
public sealed record BoolConst(bool Value) : Condition;

/// <summary>The negation of a condition.</summary>
public sealed record Not(Condition Operand) : Condition;

/// <summary>Hardware vectors are available (<c>Vector.IsHardwareAccelerated</c>).</summary>
public sealed record Accelerated : Condition;

public sealed record All(Seq<Condition> Parts) : Condition;

public sealed record Any(Seq<Condition> Parts) : Condition;

// ---- the runtime's kernels, described once ----

/// <summary>What a kernel parameter takes.</summary>
public enum KernelParameter
{
    /// <summary>Rows to read: a span or a view's slice of rows (<c>ReadOnlyRowBlocks</c>).</summary>
    ReadRows,
    /// <summary>Rows to write: a span or a view's slice of rows (<c>RowBlocks</c>).</summary>
    WriteRows,
    /// <summary>A count, stride or length.</summary>
    Int,
    /// <summary>The <c>accumulate:</c> flag.</summary>
    Accumulate,
}

/// <summary>
/// A method of the runtime's <c>SymGrad.Tensors.MatMul</c>: its name, its parameters' kinds and names (the names of the
/// runtime's own signature), the shapes it computes over, and whether it returns a span.
/// </summary>
public sealed record Kernel(string Method, Seq<KernelParameter> Parameters, Seq<string> Names, string Shapes, bool Returns = false)
{
    public const string Type = "global::SymGrad.Tensors.MatMul";

    private static Kernel Of(string method, string shapes, string signature)
    {
        // "a: rows, b: rows, c: out, m, k, n, accumulate" — kinds from the names' annotations.
        var parts = signature.Split(',').Select(p => p.Trim()).ToList();
        var kinds = parts.Select(p => p.EndsWith(": rows", StringComparison.Ordinal) ? KernelParameter.ReadRows
            : p.EndsWith(": out", StringComparison.Ordinal) ? KernelParameter.WriteRows
            : p == "accumulate" ? KernelParameter.Accumulate : KernelParameter.Int);
        return new Kernel(method, kinds.ToSeq(), parts.Select(p => p.Split(':')[0]).ToSeq(), shapes);
    }

    /// <summary>C (+)= A·B.</summary>
    public static readonly Kernel Multiply = Of("Multiply", "C[m×n] (+)= A[m×k] · B[k×n]", "a: rows, b: rows, c: out, m, k, n, accumulate");
    /// <summary>C (+)= Aᵀ·B.</summary>
    public static readonly Kernel MultiplyTransposedA = Of("MultiplyTransposedA", "C[m×n] (+)= A[k×m]ᵀ · B[k×n]", "a: rows, b: rows, c: out, m, k, n, accumulate");
    /// <summary>C (+)= Aᵀ·B with A's rows <c>aRowStride</c> apart (a sliding window).</summary>
    public static readonly Kernel MultiplyTransposedAStrided = Of("MultiplyTransposedA", "C[m×n] (+)= A[k×m, rows aRowStride apart]ᵀ · B[k×n]",
        "a: rows, aRowStride, b: rows, c: out, m, k, n, accumulate");
    /// <summary>C (+)= Aᵀ·B for <c>groups</c> windows <c>groupStride</c> apart, with A's rows <c>aRowStride</c> apart.</summary>
    public static readonly Kernel MultiplyTransposedAGrouped = Of("MultiplyTransposedA", "C[groups·m×n] (+)= A_g[k×m, rows aRowStride apart]ᵀ · B[k×n], A_g groupStride apart",
        "a: rows, aRowStride, groups, groupStride, b: rows, c: out, m, k, n, accumulate");
    /// <summary>C (+)= A·Bᵀ.</summary>
    public static readonly Kernel MultiplyTransposedB = Of("MultiplyTransposedB", "C[m×n] (+)= A[m×k] · B[n×k]ᵀ", "a: rows, b: rows, c: out, m, k, n, accumulate");
    /// <summary>sum += each row of rows.</summary>
    public static readonly Kernel AddRows = Of("AddRows", "sum[n] += Σ_r rows[r×n]", "rows: rows, sum: out");
    /// <summary>target += source.</summary>
    public static readonly Kernel AddTo = Of("AddTo", "target[n] += source[n]", "source: rows, target: out");
    /// <summary>A convolution's ∂L/∂X: V += D ⋆ K transposed, for a range of images and of D's rows.</summary>
    public static readonly Kernel TransposedConvolution = Of("TransposedConvolution", "V[s, m+i, n+j, l] += Σ_t D[s, m, n, t] · K[i, j, l, t]",
        "d: rows, dRows, dCols, channels, k: rows, kRows, kCols, v: out, vRows, vCols, vChannels, firstImage, imageEnd, firstRow, rowEnd");
    /// <summary>A per-thread scratch span of the given length.</summary>
    public static readonly Kernel Workspace = new("Workspace", Seq.Of(KernelParameter.Int), Seq.Of("length"), "span[length]", Returns: true);
}

/// <summary>An argument of a kernel call.</summary>
public abstract record KernelArg;

public sealed record IntArg(IntValue Value) : KernelArg;

/// <summary>A view's rows: <c>x.Slice(args)</c> or <c>x.SliceRows(args)</c> (<paramref name="Method"/>); with no method its <c>x.Span</c>, sliced when there are args.</summary>
public sealed record ViewArg(string Array, string? Method, Seq<IntValue> Args) : KernelArg;

/// <summary>A span local, whole or sliced: <c>work</c>, <c>work.Slice(start, length)</c>.</summary>
public sealed record SpanArg(string Name, IntValue? Start = null, IntValue? Length = null) : KernelArg;

public sealed record AccumulateArg(bool Value) : KernelArg;

/// <summary>A call of a kernel, its arguments checked against the kernel's parameters.</summary>
public sealed record KernelCall
{
    public KernelCall(Kernel kernel, params KernelArg[] args)
    {
        if (args.Length != kernel.Parameters.Count) throw new ArgumentException($"{kernel.Method} takes {kernel.Parameters.Count} arguments, not {args.Length}.");
        for (var i = 0; i < args.Length; i++)
        {
            var ok = kernel.Parameters[i] switch
            {
                KernelParameter.Int => args[i] is IntArg,
                KernelParameter.Accumulate => args[i] is AccumulateArg,
                _ => args[i] is ViewArg or SpanArg,
            };
            if (!ok) throw new ArgumentException($"Argument '{kernel.Names[i]}' of {kernel.Method} must be {kernel.Parameters[i]}.");
        }
        Kernel = kernel;
        Args = args.ToSeq();
    }

    public Kernel Kernel { get; }

    public Seq<KernelArg> Args { get; }
}

// ---- statements ----

public abstract record Step;

/// <summary>A sequence of steps.</summary>
public sealed record Block(Seq<Step> Steps)
{
    public static Block Of(IEnumerable<Step> steps) => new(steps.ToSeq());
}

/// <summary><c>var name = value;</c> for a value of the given type.</summary>
public sealed record Declare(string Name, NumericType Type, Expr Value) : Step;

/// <summary><c>var name = value;</c> for an int.</summary>
public sealed record DeclareInt(string Name, IntValue Value) : Step;

/// <summary><c>var name = condition;</c></summary>
public sealed record DeclareFlag(string Name, Condition Value) : Step;

/// <summary>
/// A scratch span of <paramref name="Count"/> elements: on the stack when small, else on the heap — or, with
/// <paramref name="Pool"/> (the name of the array local), rented from the shared array pool and given back by a
/// <see cref="Release"/> of the same name before the method returns. Its elements start undefined then: whoever reads
/// one writes it first.
/// </summary>
public sealed record Buffer(string Name, NumericType Element, IntValue Count, string? Pool = null) : Step;

/// <summary>Gives a pooled <see cref="Buffer"/>'s array back to the shared pool (when it was rented, not on the stack).</summary>
public sealed record Release(string Pool, NumericType Element) : Step;

/// <summary>Where a straight-line value goes.</summary>
public enum StoreKind
{
    /// <summary><c>return value;</c></summary>
    Return,
    /// <summary><c>var name = value;</c></summary>
    Declare,
    /// <summary><c>name = value;</c> or <c>name[indices] = value;</c></summary>
    Set,
    /// <summary><c>name += value;</c> or <c>name[indices] += value;</c></summary>
    Add,
}

/// <summary>A store of one output of a straight-line program, of the given type.</summary>
public sealed record Store(StoreKind Kind, string Name, Seq<IntValue> Indices, NumericType Type)
{
    public static Store Return(NumericType type) => new(StoreKind.Return, "", Seq<IntValue>.Empty, type);
}

/// <summary>
/// Before placement: a store of a value that may still hold Σs and whose positions may select (an argmax), as the
/// lowering first writes it; <paramref name="Scatter"/> when it adds a term where it belongs (a scatter) rather than
/// an element's whole partial. The placement pass turns runs of these into <see cref="Straight"/> code.
/// </summary>
public sealed record Assign(Store Target, Expr Value, bool Scatter = false) : Step;

/// <summary>Straight-line code: the program's shared locals, then one store per output.</summary>
public sealed record Straight(ExprProgram Program, Seq<Store> Stores) : Step
{
    public bool Equals(Straight? other) =>
        other != null && Stores.Equals(other.Stores) && Program.Locals.SequenceEqual(other.Program.Locals) && Program.Outputs.SequenceEqual(other.Program.Outputs);

    public override int GetHashCode() => Stores.GetHashCode() * 31 + Program.Outputs.Count;
}

/// <summary>
/// <c>for (var index = lower; index &lt; upper; index++)</c>, or <c>index += stride</c>; <paramref name="Descending"/>, the same
/// indices from the last down (<c>for (var index = upper - 1; index &gt;= lower; index--)</c>: a reverse sweep).
/// </summary>
public sealed record For(string Index, IntValue Lower, IntValue Upper, Block Body, IntValue? Stride = null, bool Descending = false) : Step;

/// <summary><c>name += value;</c> for an int local.</summary>
public sealed record AddInt(string Name, IntValue Value) : Step;

/// <summary>An if statement; <paramref name="OneLine"/> prints a single step without braces.</summary>
public sealed record If(Condition Condition, Block Then, Block? Else = null, bool OneLine = false) : Step;

/// <summary><c>if (condition) throw new ArgumentException(message, nameof(parameter));</c></summary>
public sealed record Throw(Condition Condition, string Message, string Parameter) : Step;

/// <summary>Zeroes an output (before products or scatters add into it).</summary>
public sealed record Clear(string Array, ArrayStorage Storage) : Step;

/// <summary>A kernel call; with <paramref name="Result"/>, <c>var result = call;</c>.</summary>
public sealed record Call(KernelCall Kernel, string? Result = null) : Step;

/// <summary><c>target = source;</c> between locals of one type.</summary>
public sealed record Copy(string Target, string Source) : Step;

/// <summary><c>name = true;</c> (or false) for a bool local.</summary>
public sealed record SetFlag(string Name, bool Value) : Step;

/// <summary>
/// Steps placed on their own, after the steps before them (a sum they need is computed here, not hoisted above what wrote
/// its data: a read-out of a state array's new row), printed inline.
/// </summary>
public sealed record Sequence(Block Body) : Step;

/// <summary>A comment line.</summary>
public sealed record Comment(string Text) : Step;

/// <summary>A generated method: signature and body.</summary>
public sealed record MethodPlan(string Accessibility, string ReturnType, string Name, Seq<string> Parameters, string? Summary, Block Body, Seq<ArrayInfo> Arrays);

// ---- vector loops: Vector<float> lanes along an array's last axis ----

/// <summary>The lanes c … c + Count − 1 of a float value.</summary>
public abstract record Lanes;

/// <summary>Every lane the same constant.</summary>
public sealed record LanesConst(Number Value) : Lanes;

/// <summary>The lanes read from a run.</summary>
public sealed record LanesLoad(RunSlice Run) : Lanes;

/// <summary>Lane-wise <see cref="ExprKind.Add"/>, <see cref="ExprKind.Mul"/>, <see cref="ExprKind.Max"/> or <see cref="ExprKind.Min"/>.</summary>
public sealed record LanesOp(ExprKind Kind, Seq<Lanes> Args) : Lanes;

/// <summary>Lane-wise choice: <paramref name="Then"/> where the mask is set, else <paramref name="Else"/>.</summary>
public sealed record LanesSelect(Mask Mask, Lanes Then, Lanes Else) : Lanes;

/// <summary>A lanes local.</summary>
public sealed record LanesLocal(string Name) : Lanes;

/// <summary>A lane mask (all ones where true).</summary>
public abstract record Mask;

/// <summary>A lane-wise comparison (a comparison kind).</summary>
public sealed record MaskCompare(ExprKind Kind, Lanes Left, Lanes Right) : Mask;

public sealed record MaskAnd(Seq<Mask> Parts) : Mask;

public sealed record MaskLocal(string Name) : Mask;

/// <summary>
/// A run of an array's last axis at lane index <paramref name="Index"/>: <c>source.Slice(offset + index)</c>, with
/// <paramref name="Counted"/> <c>.Slice(offset + index, Vector&lt;float&gt;.Count)</c>; the source a row local, or a span.
/// </summary>
public sealed record RunSlice(string Source, IntValue? Offset, string Index, bool Counted);

/// <summary><c>var name = array.Slice(args);</c>: the row of a view that runs are sliced from.</summary>
public sealed record DeclareRow(string Name, string Array, Seq<IntValue> Args) : Step;

/// <summary><c>var name = lanes;</c></summary>
public sealed record DeclareLanes(string Name, Lanes Value) : Step;

/// <summary><c>var name = mask;</c></summary>
public sealed record DeclareMask(string Name, Mask Value) : Step;

/// <summary><c>var name = run;</c></summary>
public sealed record DeclareRun(string Name, RunSlice Run) : Step;

/// <summary>Adds lanes into a run local: <c>(new Vector&lt;float&gt;(run) + value).CopyTo(run);</c></summary>
public sealed record AddLanes(string Run, Lanes Value) : Step;

/// <summary>
/// A loop over the last axis taking <c>Vector&lt;float&gt;.Count</c> lanes at a time while hardware vectors exist and
/// the runs fit (<paramref name="Fits"/>), then the rest one by one (<paramref name="Remainder"/>), under
/// <paramref name="Guard"/> with <paramref name="Setup"/> (rows and values read once) before it; with
/// <paramref name="OuterIndex"/>, inside a loop over it up to <paramref name="OuterCount"/>.
/// </summary>
public sealed record VectorLoop(Condition Guard, Seq<Step> Setup, string? OuterIndex, IntValue? OuterCount, string Index, IntValue Count, Condition? Fits,
    Block Body, Block Remainder) : Step;
