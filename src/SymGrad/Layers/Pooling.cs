using System;
using System.Numerics;
using SymGrad.Tensors;

namespace SymGrad.Layers;

/// <summary>
/// Pooling over NHWC images, per channel, windows of <see cref="Size"/>×<see cref="Size"/> every
/// <see cref="Stride"/>: the shapes, buffers and checks; subclasses pool one batch and route its gradient back.
/// </summary>
public abstract class Pool2D : Layer
{
    private readonly BufferCache _output = new(), _inputGradient = new();
    private DenseTensor? _input;

    /// <summary>A pooling layer; the stride defaults to the window size.</summary>
    protected Pool2D(int size, int? stride)
    {
        if (size <= 0 || stride <= 0) throw new ArgumentOutOfRangeException(nameof(size), "Size and stride must be positive.");
        Size = size;
        Stride = stride ?? size;
    }

    /// <summary>Window height and width.</summary>
    public int Size { get; }
    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <summary>
    /// Run the backward pass through the gradient SymGrad generates from the layer's formula
    /// (<see cref="Functions.LayerFormulas.MaxPool2x2Score"/>, <see cref="Functions.LayerFormulas.AvgPool2x2Score"/>: 2×2
    /// windows, stride 2) instead of the hand-written kernel: same results, for comparison.
    /// </summary>
    public bool UseGeneratedBackward
    {
        get => _generated;
        set
        {
            if (value && (Size != 2 || Stride != 2)) throw new NotSupportedException("The generated pooling backward covers 2×2 windows with stride 2.");
            _generated = value;
        }
    }

    private bool _generated;

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> input)
    {
        if (input.Length != 3) throw new ArgumentException($"{this} expects samples [height, width, channels], got {DenseTensor.Format(input)}.");
        if (input[0] < Size || input[1] < Size) throw new ArgumentException($"{this}: input {DenseTensor.Format(input)} is smaller than the window.");
        return new[] { (input[0] - Size) / Stride + 1, (input[1] - Size) / Stride + 1, input[2] };
    }

    /// <inheritdoc />
    public override DenseTensor Forward(DenseTensor input, bool training)
    {
        ExpectRank(input, 4);
        if (input.Dim(1) < Size || input.Dim(2) < Size) throw new ArgumentException($"{this}: input {input.ShapeText} is smaller than the window.");
        int oh = (input.Dim(1) - Size) / Stride + 1, ow = (input.Dim(2) - Size) / Stride + 1;
        var output = _output.Get(stackalloc[] { input.Dim(0), oh, ow, input.Dim(3) });
        Pool(input, output);
        _input = input;
        return output;
    }

    /// <inheritdoc />
    public override DenseTensor Backward(DenseTensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"{this}: Backward before Forward.");
        var dx = _inputGradient.Get(input.Shape);
        dx.Clear();
        if (_generated) GeneratedByImages(input, outputGradient, dx);
        else Unpool(outputGradient, dx);
        return dx;
    }

    // The generated gradient called on parts of the batch on the cores: an image's windows write only into that image,
    // so each part's images get the same additions in the same order as on one thread.
    private unsafe void GeneratedByImages(DenseTensor input, DenseTensor outputGradient, DenseTensor inputGradient)
    {
        var batch = input.Dim(0);
        if (batch < 2 || input.Length < Threads.MinimumWork || Threads.Available == 1)
        {
            GeneratedUnpool(input.AsReadOnlyTensor4(), outputGradient.AsReadOnlyTensor4(), inputGradient.AsTensor4());
            return;
        }
        fixed (float* px = input.Span, pdy = outputGradient.Span, pdx = inputGradient.Span)
            GeneratedInParts((IntPtr)px, (IntPtr)pdy, (IntPtr)pdx, batch, input.Dim(1), input.Dim(2), input.Dim(3), outputGradient.Dim(1), outputGradient.Dim(2));
    }

    // (Separate, so that the one-thread path allocates no closure.)
    private unsafe void GeneratedInParts(IntPtr xp, IntPtr dyp, IntPtr dxp, int batch, int height, int width, int channels, int oh, int ow) =>
        Threads.For(batch, 1, (long)batch * height * width * channels, (first, end) =>
        {
            int inImage = height * width * channels, outImage = oh * ow * channels, images = end - first;
            GeneratedUnpool(new ReadOnlyTensor4<float>(new ReadOnlySpan<float>((float*)xp + first * inImage, images * inImage), images, height, width, channels),
                new ReadOnlyTensor4<float>(new ReadOnlySpan<float>((float*)dyp + first * outImage, images * outImage), images, oh, ow, channels),
                new Tensor4<float>(new Span<float>((float*)dxp + first * inImage, images * inImage), images, height, width, channels));
        });

    // The shapes of the call in progress, for the image loops the subclasses hand to the cores (delegates made once).
    private protected int _oh, _ow, _channels, _height, _width;

    private protected void Shapes(DenseTensor input, DenseTensor output) =>
        (_oh, _ow, _channels, _height, _width) = (output.Dim(1), output.Dim(2), output.Dim(3), input.Dim(1), input.Dim(2));

    /// <summary>Adds ∂L/∂input into the cleared <paramref name="inputGradient"/> through the generated gradient.</summary>
    private protected abstract void GeneratedUnpool(ReadOnlyTensor4<float> input, ReadOnlyTensor4<float> outputGradient, Tensor4<float> inputGradient);

    /// <summary>Fills <paramref name="output"/> [batch, oh, ow, channels] from <paramref name="input"/>.</summary>
    protected abstract void Pool(DenseTensor input, DenseTensor output);

    /// <summary>Adds ∂L/∂input for ∂L/∂output into the cleared <paramref name="inputGradient"/>.</summary>
    protected abstract void Unpool(DenseTensor outputGradient, DenseTensor inputGradient);

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name}({Size}×{Size}, stride {Stride})";
}

/// <summary>
/// Max pooling. Backward is the article's rule: ∂L/∂X_i = ∂L/∂Y_j for the i that was the window's argmax, 0
/// elsewhere (ties go to the first position in the window, row by row).
/// </summary>
public sealed class MaxPool2D(int size, int? stride = null) : Pool2D(size, stride)
{
    private int[] _argmax = Array.Empty<int>();

    /// <inheritdoc />
    protected override void Pool(DenseTensor input, DenseTensor output)
    {
        // The generated backward finds each window's argmax from the input itself: nothing to record then.
        var record = !UseGeneratedBackward;
        if (record && _argmax.Length < output.Length) _argmax = new int[output.Length];
        // Images in parts on the cores (each image's windows its own); the shapes in fields, the loop a delegate made once.
        Shapes(input, output);
        _record = record;
        Threads.Images(input.Span, output.Span, output.Dim(0), (long)output.Length * Size * Size, _pool ??= Pool);
    }

    private int _perImage;
    private bool _record;
    private Threads.ImageLoop? _pool, _unpool;

    private void Pool(ReadOnlySpan<float> x, Span<float> y, int first, int end)
    {
        var (oh, ow, channels, height, width, record) = (_oh, _ow, _channels, _height, _width, _record);
        // A window position's channels are one contiguous row: the window is Size² rows, compared channel by channel.
        for (var bi = first; bi < end; bi++)
        for (var m = 0; m < oh; m++)
        for (var n = 0; n < ow; n++)
        {
            var outOffset = ((bi * oh + m) * ow + n) * channels;
            var best = y.Slice(outOffset, channels);
            var at = record ? _argmax.AsSpan(outOffset, channels) : Span<int>.Empty;
            var corner = ((bi * height + m * Stride) * width + n * Stride) * channels;
            // Whole vectors of channels first (the same comparisons lane by lane), then the rest one by one.
            var vectors = Vector.IsHardwareAccelerated ? channels / Vector<float>.Count * Vector<float>.Count : 0;
            if (vectors > 0) PoolLanes(x, best, at, corner, width, channels, vectors);
            if (vectors == channels) continue;
            for (var i = 0; i < Size; i++)
            for (var j = 0; j < Size; j++)
            {
                var inOffset = ((bi * height + m * Stride + i) * width + n * Stride + j) * channels;
                var row = x.Slice(inOffset, channels);
                if (i == 0 && j == 0)
                {
                    // The window's first element is taken as it is (ties and NaN keep it).
                    row.Slice(vectors).CopyTo(best.Slice(vectors));
                    if (record)
                        for (var c = vectors; c < channels; c++) at[c] = inOffset + c;
                    continue;
                }
                for (var c = vectors; c < channels; c++)
                {
                    if (!(row[c] > best[c])) continue;
                    best[c] = row[c];
                    if (record) at[c] = inOffset + c;
                }
            }
        }
    }

    // Channels 0 … vectors − 1 of one window, Vector<float>.Count at a time: a lane takes a later element only when it is
    // greater (ties and NaN keep the earlier one, as the scalar loop does), and its argmax with it.
    private void PoolLanes(ReadOnlySpan<float> x, Span<float> best, Span<int> at, int first, int width, int channels, int vectors)
    {
        var w = Vector<float>.Count;
        var record = !at.IsEmpty;
        for (var c = 0; c < vectors; c += w)
        {
            var max = new Vector<float>(x.Slice(first + c));
            var arg = new Vector<int>(first + c) + Lanes;
            for (var i = 0; i < Size; i++)
            for (var j = 0; j < Size; j++)
            {
                if (i == 0 && j == 0) continue;
                var offset = first + (i * width + j) * channels + c;
                var v = new Vector<float>(x.Slice(offset));
                var greater = Vector.GreaterThan(v, max);
                max = Vector.ConditionalSelect(greater, v, max);
                if (record) arg = Vector.ConditionalSelect(greater, new Vector<int>(offset) + Lanes, arg);
            }
            max.CopyTo(best.Slice(c));
            if (record) arg.CopyTo(at.Slice(c));
        }
    }

    // 0, 1, 2, … in the lanes.
    private static readonly Vector<int> Lanes = LaneNumbers();

    private static Vector<int> LaneNumbers()
    {
        Span<int> lanes = stackalloc int[Vector<int>.Count];
        for (var i = 0; i < lanes.Length; i++) lanes[i] = i;
        return new Vector<int>(lanes);
    }

    /// <inheritdoc />
    protected override void Unpool(DenseTensor outputGradient, DenseTensor inputGradient)
    {
        // Each image's windows point into that image: images in parts on the cores, each in its own order.
        _perImage = outputGradient.Length / Math.Max(1, outputGradient.Dim(0));
        Threads.Images(outputGradient.Span, inputGradient.Span, outputGradient.Dim(0), outputGradient.Length, _unpool ??= Unpool);
    }

    private void Unpool(ReadOnlySpan<float> dy, Span<float> d, int first, int end)
    {
        for (var o = first * _perImage; o < end * _perImage; o++) d[_argmax[o]] += dy[o];
    }

    /// <inheritdoc />
    private protected override void GeneratedUnpool(ReadOnlyTensor4<float> input, ReadOnlyTensor4<float> outputGradient, Tensor4<float> inputGradient) =>
        Functions.LayerFormulas.MaxPool2x2ScoreAccumulateGradient(input, outputGradient, inputGradient);
}

/// <summary>
/// Average pooling: Y = mean of each window; backward spreads ∂L/∂Y evenly, ∂L/∂X_i = Σ over the windows
/// containing i of ∂L/∂Y_j / (size²).
/// </summary>
public sealed class AvgPool2D(int size, int? stride = null) : Pool2D(size, stride)
{
    /// <inheritdoc />
    protected override void Pool(DenseTensor input, DenseTensor output)
    {
        // Images in parts on the cores (each image's windows its own); the shapes in fields, the loops delegates made once.
        Shapes(input, output);
        Threads.Images(input.Span, output.Span, output.Dim(0), (long)output.Length * Size * Size, _pool ??= Pool);
    }

    private Threads.ImageLoop? _pool, _unpool;

    private void Pool(ReadOnlySpan<float> x, Span<float> y, int first, int end)
    {
        var (oh, ow, channels, height, width) = (_oh, _ow, _channels, _height, _width);
        var scale = 1f / (Size * Size);
        for (var bi = first; bi < end; bi++)
        for (var m = 0; m < oh; m++)
        for (var n = 0; n < ow; n++)
        {
            var mean = y.Slice(((bi * oh + m) * ow + n) * channels, channels);
            mean.Clear();
            for (var i = 0; i < Size; i++)
            for (var j = 0; j < Size; j++)
                System.Numerics.Tensors.TensorPrimitives.Add(mean, x.Slice(((bi * height + m * Stride + i) * width + n * Stride + j) * channels, channels), mean);
            System.Numerics.Tensors.TensorPrimitives.Multiply(mean, scale, mean);
        }
    }

    /// <inheritdoc />
    protected override void Unpool(DenseTensor outputGradient, DenseTensor inputGradient)
    {
        Shapes(inputGradient, outputGradient);
        Threads.Images(outputGradient.Span, inputGradient.Span, outputGradient.Dim(0), (long)outputGradient.Length * Size * Size, _unpool ??= Unpool);
    }

    private void Unpool(ReadOnlySpan<float> dy, Span<float> d, int first, int end)
    {
        var (oh, ow, channels, height, width) = (_oh, _ow, _channels, _height, _width);
        var scale = 1f / (Size * Size);
        for (var b = first; b < end; b++)
        for (var m = 0; m < oh; m++)
        for (var n = 0; n < ow; n++)
        for (var c = 0; c < channels; c++)
        {
            var g = dy[((b * oh + m) * ow + n) * channels + c] * scale;
            for (var i = 0; i < Size; i++)
            for (var j = 0; j < Size; j++)
                d[((b * height + m * Stride + i) * width + n * Stride + j) * channels + c] += g;
        }
    }

    /// <inheritdoc />
    private protected override void GeneratedUnpool(ReadOnlyTensor4<float> input, ReadOnlyTensor4<float> outputGradient, Tensor4<float> inputGradient) =>
        Functions.LayerFormulas.AvgPool2x2ScoreAccumulateGradient(input, outputGradient, inputGradient);
}
