using System;
using System.Globalization;
using System.Text;

namespace SymGrad.Tensors;

/// <summary>
/// A dense, row-major tensor of <see cref="float"/> over contiguous memory: a shape, and a window
/// (<see cref="Offset"/>, <see cref="Length"/>) of a backing array. Views (<see cref="Reshape"/>,
/// <see cref="Row"/>) share the array, so taking one copies nothing. The layouts SymGrad uses: [batch, features]
/// for dense data and [batch, height, width, channels] (NHWC) for images.
/// </summary>
public sealed class DenseTensor
{
    private readonly int[] _shape;
    private readonly int[] _strides;

    /// <summary>A zero tensor of the given shape.</summary>
    public DenseTensor(params int[] shape) : this(new float[Count(shape)], 0, shape)
    {
    }

    /// <summary>A tensor over <paramref name="data"/> (not copied), whose length must match the shape; no shape means a vector.</summary>
    public DenseTensor(float[] data, params int[] shape) : this(data, 0, Validate(data, shape))
    {
    }

    // No shape: a vector of all the data.
    private static int[] Validate(float[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (shape.Length == 0) return new[] { data.Length };
        if (data.Length != Count(shape))
            throw new ArgumentException($"{data.Length} values do not fill shape {Format(shape)} ({Count(shape)} values).", nameof(data));
        return shape;
    }

    private DenseTensor(float[] data, int offset, int[] shape)
    {
        var length = Count(shape);
        if (offset < 0 || offset + length > data.Length) throw new ArgumentOutOfRangeException(nameof(offset));
        Data = data;
        Offset = offset;
        Length = length;
        _shape = (int[])shape.Clone();
        _strides = new int[shape.Length];
        var stride = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            _strides[i] = stride;
            stride *= shape[i];
        }
    }

    /// <summary>The backing array; this tensor is <c>Data[Offset .. Offset + Length]</c>.</summary>
    public float[] Data { get; }
    /// <summary>Where this tensor starts in <see cref="Data"/>.</summary>
    public int Offset { get; }
    /// <summary>The number of elements.</summary>
    public int Length { get; }
    /// <summary>The shape (a copy is not made: do not modify).</summary>
    public ReadOnlySpan<int> Shape => _shape;
    /// <summary>Elements between consecutive indices along each axis (row-major).</summary>
    public ReadOnlySpan<int> Strides => _strides;
    /// <summary>The number of axes.</summary>
    public int Rank => _shape.Length;
    /// <summary>The elements.</summary>
    public Span<float> Span => Data.AsSpan(Offset, Length);

    /// <summary>The size of an axis.</summary>
    public int Dim(int axis) => _shape[axis];

    /// <summary>An element of a rank-1 tensor (or the flat element of any tensor).</summary>
    public ref float this[int i] => ref Data[Offset + Check(i, Length)];

    /// <summary>An element of a rank-2 tensor.</summary>
    public ref float this[int i, int j] => ref Data[Offset + Check(i, _shape[0]) * _strides[0] + Check(j, _shape[1])];

    /// <summary>An element of a rank-4 tensor.</summary>
    public ref float this[int i, int j, int k, int l] =>
        ref Data[Offset + Check(i, _shape[0]) * _strides[0] + Check(j, _shape[1]) * _strides[1] + Check(k, _shape[2]) * _strides[2] + Check(l, _shape[3])];

    /// <summary>The same elements under another shape with as many elements (a view).</summary>
    public DenseTensor Reshape(params int[] shape)
    {
        if (Count(shape) != Length) throw new ArgumentException($"Cannot view {Format(_shape)} as {Format(shape)}.", nameof(shape));
        return new DenseTensor(Data, Offset, shape);
    }

    /// <summary>Entries <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> − 1 along the first axis (a view).</summary>
    public DenseTensor Rows(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > _shape[0]) throw new ArgumentOutOfRangeException(nameof(count));
        var shape = (int[])_shape.Clone();
        shape[0] = count;
        return new DenseTensor(Data, Offset + start * _strides[0], shape);
    }

    /// <summary>Entry <paramref name="index"/> along the first axis, without that axis (a view).</summary>
    public DenseTensor Row(int index)
    {
        Check(index, _shape[0]);
        var shape = new int[_shape.Length - 1];
        Array.Copy(_shape, 1, shape, 0, shape.Length);
        return new DenseTensor(Data, Offset + index * _strides[0], shape);
    }

    /// <summary>A rank-2 tensor as a read-only matrix view (no copy), for indexed <c>[Differentiable]</c> methods.</summary>
    public ReadOnlyMatrix<float> AsReadOnlyMatrix() => Rank == 2 ? new(Span, _shape[0], _shape[1]) : throw new InvalidOperationException($"A {ShapeText} tensor is not a matrix.");

    /// <summary>A rank-2 tensor as a writable matrix view (no copy).</summary>
    public Matrix<float> AsMatrix() => Rank == 2 ? new(Span, _shape[0], _shape[1]) : throw new InvalidOperationException($"A {ShapeText} tensor is not a matrix.");

    /// <summary>A rank-4 tensor as a read-only 4-D view (no copy).</summary>
    public ReadOnlyTensor4<float> AsReadOnlyTensor4() => Rank == 4 ? new(Span, _shape[0], _shape[1], _shape[2], _shape[3]) : throw new InvalidOperationException($"A {ShapeText} tensor is not 4-D.");

    /// <summary>A rank-4 tensor as a writable 4-D view (no copy).</summary>
    public Tensor4<float> AsTensor4() => Rank == 4 ? new(Span, _shape[0], _shape[1], _shape[2], _shape[3]) : throw new InvalidOperationException($"A {ShapeText} tensor is not 4-D.");

    /// <summary>A copy with its own array.</summary>
    public DenseTensor Clone() => new(Span.ToArray(), _shape);

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public void Fill(float value) => Span.Fill(value);

    /// <summary>Sets every element to zero.</summary>
    public void Clear() => Span.Clear();

    /// <summary>True when both shapes are equal.</summary>
    public bool SameShape(DenseTensor other) => Shape.SequenceEqual(other.Shape);

    /// <summary>The shape as text: <c>[64, 28, 28, 1]</c>.</summary>
    public string ShapeText => Format(_shape);

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder("DenseTensor").Append(ShapeText).Append(" {");
        var span = Span;
        for (var i = 0; i < Math.Min(span.Length, 8); i++) sb.Append(i == 0 ? " " : ", ").Append(span[i].ToString("R", CultureInfo.InvariantCulture));
        return sb.Append(span.Length > 8 ? ", … }" : " }").ToString();
    }

    /// <summary>The number of elements of a shape.</summary>
    public static int Count(ReadOnlySpan<int> shape)
    {
        var n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException("Dimensions must not be negative.", nameof(shape));
            n = checked(n * d);
        }
        return n;
    }

    /// <summary>A shape as text.</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("[");
        for (var i = 0; i < shape.Length; i++) sb.Append(i == 0 ? "" : ", ").Append(shape[i].ToString(CultureInfo.InvariantCulture));
        return sb.Append(']').ToString();
    }

    // As an array would (CA2201 reserves the type for the runtime's arrays; a tensor's indexer stands in for one).
#pragma warning disable CA2201
    private static int Check(int i, int n) => (uint)i < (uint)n ? i : throw new IndexOutOfRangeException($"Index {i} is outside 0..{n - 1}.");
#pragma warning restore CA2201
}
