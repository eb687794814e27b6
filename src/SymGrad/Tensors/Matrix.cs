using System;

namespace SymGrad;

/// <summary>
/// A read-only row-major matrix view over a span (no copy): what a <c>[Differentiable]</c> method takes for a 2-D
/// argument stored flat, as the runtime's tensors are. Indexed <c>W[row, column]</c>; <see cref="GetLength"/> as on
/// arrays, so a method body reads the same over a view or a <c>T[,]</c>.
/// </summary>
public readonly ref struct ReadOnlyMatrix<T>
{
    private readonly ReadOnlySpan<T> _span;

    /// <summary>A <paramref name="rows"/> × <paramref name="columns"/> view of the first rows·columns elements.</summary>
    public ReadOnlyMatrix(ReadOnlySpan<T> span, int rows, int columns)
    {
        _span = span.Slice(0, ViewShape.Count(span.Length, rows, columns));
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Rows.</summary>
    public int Rows { get; }
    /// <summary>Columns.</summary>
    public int Columns { get; }
    /// <summary>The elements, row by row.</summary>
    public ReadOnlySpan<T> Span => _span;

    /// <summary>The element at (row, column).</summary>
    public T this[int row, int column] => _span[Index(row, column, Rows, Columns)];

    /// <summary>Rows for axis 0, columns for axis 1.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int GetLength(int axis) => axis switch { 0 => Rows, 1 => Columns, _ => throw new ArgumentOutOfRangeException(nameof(axis)) };

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1, contiguous: a block generated code hands to <see cref="Tensors.MatMul"/>.</summary>
    public ReadOnlySpan<T> Slice(int start, int count) => _span.Slice(ViewShape.RowBlock(start, count, Rows, Columns), count * Columns);

    // Inlined into generated loops: the throw lives in a separate method so the check stays two compares.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static int Index(int row, int column, int rows, int columns)
    {
        if ((uint)row >= (uint)rows || (uint)column >= (uint)columns) ViewShape.Outside(row, column, rows, columns);
        return row * columns + column;
    }
}

/// <summary>A writable row-major matrix view over a span: where generated code writes a 2-D gradient.</summary>
public readonly ref struct Matrix<T>
{
    private readonly Span<T> _span;

    /// <summary>A <paramref name="rows"/> × <paramref name="columns"/> view of the first rows·columns elements.</summary>
    public Matrix(Span<T> span, int rows, int columns)
    {
        _span = span.Slice(0, ViewShape.Count(span.Length, rows, columns));
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Rows.</summary>
    public int Rows { get; }
    /// <summary>Columns.</summary>
    public int Columns { get; }
    /// <summary>The elements, row by row.</summary>
    public Span<T> Span => _span;

    /// <summary>The element at (row, column).</summary>
    public ref T this[int row, int column] => ref _span[ReadOnlyMatrix<T>.Index(row, column, Rows, Columns)];

    /// <summary>Rows for axis 0, columns for axis 1.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int GetLength(int axis) => axis switch { 0 => Rows, 1 => Columns, _ => throw new ArgumentOutOfRangeException(nameof(axis)) };

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1, contiguous.</summary>
    public Span<T> Slice(int start, int count) => _span.Slice(ViewShape.RowBlock(start, count, Rows, Columns), count * Columns);

    /// <summary>The same view, read-only.</summary>
    public static implicit operator ReadOnlyMatrix<T>(Matrix<T> m) => new(m._span, m.Rows, m.Columns);
}

/// <summary>
/// A read-only row-major 4-D view over a span (no copy), e.g. NHWC images or a [kh, kw, in, out] kernel, for indexed
/// <c>[Differentiable]</c> methods: indexed <c>X[b, h, w, c]</c>, sized by <see cref="GetLength"/>.
/// </summary>
public readonly ref struct ReadOnlyTensor4<T>
{
    private readonly ReadOnlySpan<T> _span;
    private readonly int _d0, _d1, _d2, _d3;

    /// <summary>A d0 × d1 × d2 × d3 view of the first d0·d1·d2·d3 elements.</summary>
    public ReadOnlyTensor4(ReadOnlySpan<T> span, int d0, int d1, int d2, int d3)
    {
        _span = span.Slice(0, ViewShape.Count(span.Length, d0, d1, d2, d3));
        (_d0, _d1, _d2, _d3) = (d0, d1, d2, d3);
    }

    /// <summary>The elements, row-major.</summary>
    public ReadOnlySpan<T> Span => _span;

    /// <summary>The element at (a, b, c, d).</summary>
    public T this[int a, int b, int c, int d] => _span[Tensor4<T>.Index(a, b, c, d, _d0, _d1, _d2, _d3)];

    /// <summary>The size of an axis.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int GetLength(int axis) => axis switch { 0 => _d0, 1 => _d1, 2 => _d2, 3 => _d3, _ => throw new ArgumentOutOfRangeException(nameof(axis)) };

    /// <summary>
    /// Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 of the [d1·d2 × d3] matrix at
    /// [a] (axes 1 and 2 taken as one), contiguous: e.g. every output position of one image.
    /// </summary>
    public ReadOnlySpan<T> Slice(int a, int start, int count) => _span.Slice(ViewShape.RowBlock(a, 0, start, count, _d0, 1, _d1 * _d2, _d3), count * _d3);

    /// <summary>
    /// Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 of the matrix at [a, b] (axes 2 and 3),
    /// contiguous: a block generated code hands to <see cref="Tensors.MatMul"/>.
    /// </summary>
    public ReadOnlySpan<T> Slice(int a, int b, int start, int count) => _span.Slice(ViewShape.RowBlock(a, b, start, count, _d0, _d1, _d2, _d3), count * _d3);

    /// <summary>
    /// The same rows of the [d1·d2 × d3] matrices at [a], [a + 1], … (axes 1 and 2 taken as one) for
    /// <paramref name="batches"/> images: a block spanning several image rows, e.g. every kernel row's window at once.
    /// </summary>
    public ReadOnlyRowBlocks<T> SliceRows(int a, int start, int count, int batches) => Blocks(a, 0, start, count, batches, 1, _d1 * _d2);

    /// <summary>The same rows of the matrices at [a, b], [a + 1, b], … for <paramref name="batches"/> values of the first axis.</summary>
    public ReadOnlyRowBlocks<T> Slice(int a, int b, int start, int count, int batches) => Blocks(a, b, start, count, batches, _d1, _d2);

    // Rows of the [rows × d3] matrix at [a, b] (axis 0 split as d0 × matrices × rows), for batches values of a, each block
    // checked like an indexer.
    private ReadOnlyRowBlocks<T> Blocks(int a, int b, int start, int count, int batches, int matrices, int rows)
    {
        if (batches <= 0) return new ReadOnlyRowBlocks<T>(ReadOnlySpan<T>.Empty, 0, 0, count * _d3);
        var first = ViewShape.RowBlock(a, b, start, count, _d0, matrices, rows, _d3);
        ViewShape.RowBlock(a + batches - 1, b, start, count, _d0, matrices, rows, _d3);
        var stride = _d1 * _d2 * _d3;
        return new ReadOnlyRowBlocks<T>(_span.Slice(first, (batches - 1) * stride + count * _d3), stride, batches, count * _d3);
    }
}

/// <summary>A writable row-major 4-D view over a span: where generated code writes a 4-D gradient.</summary>
public readonly ref struct Tensor4<T>
{
    private readonly Span<T> _span;
    private readonly int _d0, _d1, _d2, _d3;

    /// <summary>A d0 × d1 × d2 × d3 view of the first d0·d1·d2·d3 elements.</summary>
    public Tensor4(Span<T> span, int d0, int d1, int d2, int d3)
    {
        _span = span.Slice(0, ViewShape.Count(span.Length, d0, d1, d2, d3));
        (_d0, _d1, _d2, _d3) = (d0, d1, d2, d3);
    }

    /// <summary>The elements, row-major.</summary>
    public Span<T> Span => _span;

    /// <summary>The element at (a, b, c, d).</summary>
    public ref T this[int a, int b, int c, int d] => ref _span[Index(a, b, c, d, _d0, _d1, _d2, _d3)];

    /// <summary>The size of an axis.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int GetLength(int axis) => axis switch { 0 => _d0, 1 => _d1, 2 => _d2, 3 => _d3, _ => throw new ArgumentOutOfRangeException(nameof(axis)) };

    /// <summary>
    /// Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 of the [d1·d2 × d3] matrix at
    /// [a] (axes 1 and 2 taken as one), contiguous: e.g. a kernel's whole row of columns × channels × filters.
    /// </summary>
    public Span<T> Slice(int a, int start, int count) => _span.Slice(ViewShape.RowBlock(a, 0, start, count, _d0, 1, _d1 * _d2, _d3), count * _d3);

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> − 1 of the matrix at [a, b], contiguous.</summary>
    public Span<T> Slice(int a, int b, int start, int count) => _span.Slice(ViewShape.RowBlock(a, b, start, count, _d0, _d1, _d2, _d3), count * _d3);

    /// <summary>The same rows of the matrices at [a, b], [a + 1, b], … for <paramref name="batches"/> values of the first axis.</summary>
    public RowBlocks<T> Slice(int a, int b, int start, int count, int batches)
    {
        if (batches <= 0) return new RowBlocks<T>(Span<T>.Empty, 0, 0, count * _d3);
        var first = ViewShape.RowBlock(a, b, start, count, _d0, _d1, _d2, _d3);
        ViewShape.RowBlock(a + batches - 1, b, start, count, _d0, _d1, _d2, _d3);
        var stride = _d1 * _d2 * _d3;
        return new RowBlocks<T>(_span.Slice(first, (batches - 1) * stride + count * _d3), stride, batches, count * _d3);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static int Index(int a, int b, int c, int d, int d0, int d1, int d2, int d3)
    {
        if ((uint)a >= (uint)d0 || (uint)b >= (uint)d1 || (uint)c >= (uint)d2 || (uint)d >= (uint)d3) ViewShape.Outside(a, b, c, d, d0, d1, d2, d3);
        return ((a * d1 + b) * d2 + c) * d3 + d;
    }
}

/// <summary>
/// Equal blocks of contiguous rows, one per batch, <see cref="Stride"/> elements apart (the same rows of each image
/// of a batch): what generated code hands to <see cref="Tensors.MatMul"/> as one call for the whole batch.
/// </summary>
public readonly ref struct ReadOnlyRowBlocks<T>
{
    internal ReadOnlyRowBlocks(ReadOnlySpan<T> span, int stride, int batches, int blockLength)
    {
        Span = span;
        (Stride, Batches, BlockLength) = (stride, batches, blockLength);
    }

    /// <summary>From the first block's first element to the last block's last.</summary>
    public ReadOnlySpan<T> Span { get; }
    /// <summary>Elements from one block's start to the next.</summary>
    public int Stride { get; }
    /// <summary>Blocks.</summary>
    public int Batches { get; }
    /// <summary>Elements in a block.</summary>
    public int BlockLength { get; }
    /// <summary>Block <paramref name="t"/>.</summary>
    public ReadOnlySpan<T> this[int t] => Span.Slice(t * Stride, BlockLength);
}

/// <summary>Writable <see cref="ReadOnlyRowBlocks{T}"/>.</summary>
public readonly ref struct RowBlocks<T>
{
    internal RowBlocks(Span<T> span, int stride, int batches, int blockLength)
    {
        Span = span;
        (Stride, Batches, BlockLength) = (stride, batches, blockLength);
    }

    /// <summary>From the first block's first element to the last block's last.</summary>
    public Span<T> Span { get; }
    /// <summary>Elements from one block's start to the next.</summary>
    public int Stride { get; }
    /// <summary>Blocks.</summary>
    public int Batches { get; }
    /// <summary>Elements in a block.</summary>
    public int BlockLength { get; }
    /// <summary>Block <paramref name="t"/>.</summary>
    public Span<T> this[int t] => Span.Slice(t * Stride, BlockLength);
}

/// <summary>The shape checks the views share.</summary>
internal static class ViewShape
{
    /// <summary>The element count of a shape, which a span of <paramref name="available"/> elements must hold.</summary>
    public static int Count(int available, params int[] shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"Dimensions must not be negative: {string.Join("×", shape)}.");
            count *= d;
        }
        if (count > available)
            throw new ArgumentException($"A {string.Join("×", shape)} {(shape.Length == 2 ? "matrix" : "tensor")} needs {count} elements; the span has {available}.");
        return (int)count;
    }

    // Out of range is IndexOutOfRangeException, as for the arrays these views stand in for: generated code indexing a view
    // fails as the method indexing an array would (CA2201 reserves the type for the runtime's own arrays).
#pragma warning disable CA2201
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Outside(int row, int column, int rows, int columns) =>
        throw new IndexOutOfRangeException($"({row}, {column}) is outside {rows}×{columns}.");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Outside(int a, int b, int c, int d, int d0, int d1, int d2, int d3) =>
        throw new IndexOutOfRangeException($"({a}, {b}, {c}, {d}) is outside {d0}×{d1}×{d2}×{d3}.");

    /// <summary>The offset of rows [start, start + count) of a rows × columns matrix, checked like an indexer.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int RowBlock(int start, int count, int rows, int columns)
    {
        // Inlined where generated code slices (once per run it adds): the checks stay, the message is built elsewhere.
        if (start < 0 || count < 0 || start > rows - count) OutsideRows(start, count, rows, columns);
        return start * columns;
    }

    /// <summary>The offset of rows [start, start + count) of the matrix at [a, b] of a d0×d1×d2×d3 tensor.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int RowBlock(int a, int b, int start, int count, int d0, int d1, int d2, int d3)
    {
        if ((uint)a >= (uint)d0 || (uint)b >= (uint)d1 || start < 0 || count < 0 || start > d2 - count) OutsideRows(a, b, start, count, d0, d1, d2, d3);
        return ((a * d1 + b) * d2 + start) * d3;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void OutsideRows(int start, int count, int rows, int columns) =>
        throw new IndexOutOfRangeException($"Rows {start} to {start + count - 1} are outside {rows}×{columns}.");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void OutsideRows(int a, int b, int start, int count, int d0, int d1, int d2, int d3) =>
        throw new IndexOutOfRangeException($"({a}, {b}, {start}…{start + count - 1}, ·) is outside {d0}×{d1}×{d2}×{d3}.");
#pragma warning restore CA2201
}
