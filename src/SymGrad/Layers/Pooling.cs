using System;
using SymGrad.Tensors;

namespace SymGrad.Layers;

/// <summary>
/// Max pooling over NHWC images, per channel, windows of <see cref="Size"/>×<see cref="Size"/> every
/// <see cref="Stride"/>. Backward is the article's rule: ∂L/∂X_i = ∂L/∂Y_j for the i that was the window's
/// argmax, 0 elsewhere (ties go to the first position in the window, row by row).
/// </summary>
public sealed class MaxPool2D : Layer
{
    private readonly BufferCache _output = new(), _inputGradient = new();
    private int[] _argmax = Array.Empty<int>();
    private Tensor? _input;

    /// <summary>A pooling layer; the stride defaults to the window size.</summary>
    public MaxPool2D(int size, int? stride = null)
    {
        if (size <= 0 || stride <= 0) throw new ArgumentOutOfRangeException(nameof(size));
        Size = size;
        Stride = stride ?? size;
    }

    /// <summary>Window height and width.</summary>
    public int Size { get; }
    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> input) => Pooling.OutputShape(this, input, Size, Stride);

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training)
    {
        ExpectRank(input, 4);
        if (input.Dim(1) < Size || input.Dim(2) < Size) throw new ArgumentException($"{this}: input {input.ShapeText} is smaller than the window.");
        int batch = input.Dim(0), height = input.Dim(1), width = input.Dim(2), channels = input.Dim(3);
        int oh = (height - Size) / Stride + 1, ow = (width - Size) / Stride + 1;
        var output = _output.Get(stackalloc[] { batch, oh, ow, channels });
        if (_argmax.Length < output.Length) _argmax = new int[output.Length];
        var x = input.Span;
        var y = output.Span;
        for (var b = 0; b < batch; b++)
        for (var m = 0; m < oh; m++)
        for (var n = 0; n < ow; n++)
        for (var c = 0; c < channels; c++)
        {
            var best = float.NegativeInfinity;
            var at = -1;
            for (var i = 0; i < Size; i++)
            for (var j = 0; j < Size; j++)
            {
                var k = ((b * height + m * Stride + i) * width + n * Stride + j) * channels + c;
                if (x[k] > best || at < 0)
                {
                    best = x[k];
                    at = k;
                }
            }
            var o = ((b * oh + m) * ow + n) * channels + c;
            y[o] = best;
            _argmax[o] = at;
        }
        _input = input;
        return output;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"{this}: Backward before Forward.");
        var dx = _inputGradient.Get(input.Shape);
        dx.Clear();
        var d = dx.Span;
        var dy = outputGradient.Span;
        for (var o = 0; o < dy.Length; o++) d[_argmax[o]] += dy[o];
        return dx;
    }

    /// <inheritdoc />
    public override string ToString() => $"MaxPool2D({Size}×{Size}, stride {Stride})";
}

/// <summary>
/// Average pooling over NHWC images: Y = mean of each window; backward spreads ∂L/∂Y evenly, ∂L/∂X_i = Σ over the
/// windows containing i of ∂L/∂Y_j / (size²).
/// </summary>
public sealed class AvgPool2D : Layer
{
    private readonly BufferCache _output = new(), _inputGradient = new();
    private Tensor? _input;

    /// <summary>A pooling layer; the stride defaults to the window size.</summary>
    public AvgPool2D(int size, int? stride = null)
    {
        if (size <= 0 || stride <= 0) throw new ArgumentOutOfRangeException(nameof(size));
        Size = size;
        Stride = stride ?? size;
    }

    /// <summary>Window height and width.</summary>
    public int Size { get; }
    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> input) => Pooling.OutputShape(this, input, Size, Stride);

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training)
    {
        ExpectRank(input, 4);
        if (input.Dim(1) < Size || input.Dim(2) < Size) throw new ArgumentException($"{this}: input {input.ShapeText} is smaller than the window.");
        int batch = input.Dim(0), height = input.Dim(1), width = input.Dim(2), channels = input.Dim(3);
        int oh = (height - Size) / Stride + 1, ow = (width - Size) / Stride + 1;
        var output = _output.Get(stackalloc[] { batch, oh, ow, channels });
        var x = input.Span;
        var y = output.Span;
        var scale = 1f / (Size * Size);
        for (var b = 0; b < batch; b++)
        for (var m = 0; m < oh; m++)
        for (var n = 0; n < ow; n++)
        for (var c = 0; c < channels; c++)
        {
            var sum = 0f;
            for (var i = 0; i < Size; i++)
            for (var j = 0; j < Size; j++)
                sum += x[((b * height + m * Stride + i) * width + n * Stride + j) * channels + c];
            y[((b * oh + m) * ow + n) * channels + c] = sum * scale;
        }
        _input = input;
        return output;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"{this}: Backward before Forward.");
        int batch = input.Dim(0), height = input.Dim(1), width = input.Dim(2), channels = input.Dim(3);
        int oh = outputGradient.Dim(1), ow = outputGradient.Dim(2);
        var dx = _inputGradient.Get(input.Shape);
        dx.Clear();
        var d = dx.Span;
        var dy = outputGradient.Span;
        var scale = 1f / (Size * Size);
        for (var b = 0; b < batch; b++)
        for (var m = 0; m < oh; m++)
        for (var n = 0; n < ow; n++)
        for (var c = 0; c < channels; c++)
        {
            var g = dy[((b * oh + m) * ow + n) * channels + c] * scale;
            for (var i = 0; i < Size; i++)
            for (var j = 0; j < Size; j++)
                d[((b * height + m * Stride + i) * width + n * Stride + j) * channels + c] += g;
        }
        return dx;
    }

    /// <inheritdoc />
    public override string ToString() => $"AvgPool2D({Size}×{Size}, stride {Stride})";
}

internal static class Pooling
{
    public static int[] OutputShape(Layer layer, ReadOnlySpan<int> input, int size, int stride)
    {
        if (input.Length != 3) throw new ArgumentException($"{layer} expects samples [height, width, channels], got {Tensor.Format(input)}.");
        var h = (input[0] - size) / stride + 1;
        var w = (input[1] - size) / stride + 1;
        if (input[0] < size || input[1] < size) throw new ArgumentException($"{layer}: input {Tensor.Format(input)} is smaller than the window.");
        return new[] { h, w, input[2] };
    }
}
