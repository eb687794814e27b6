using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using SymGrad.Tensors;

namespace SymGrad.Layers;

/// <summary>
/// 2-D convolution (cross-correlation, as in deep-learning libraries) over NHWC images:
/// Y[m, n, k] = b[k] + Σ_{i,j,l} W[i, j, l, k] · X[m·s + i − p, n·s + j − p, l] with stride s and zero padding p.
/// The kernel is stored [height, width, in channels, out channels] so the innermost loop runs along out channels.
/// Backward follows the article: ∂L/∂W[i,j,l,k] = Σ_{m,n} ∂L/∂Y[m,n,k] · X[m·s+i−p, n·s+j−p, l] and
/// ∂L/∂X[u,v,l] = Σ W[i,j,l,k] · ∂L/∂Y[m,n,k] over the (m, n, i, j) with m·s+i−p = u, n·s+j−p = v.
/// </summary>
public sealed class Conv2D : Layer
{
    private readonly BufferCache _output = new(), _inputGradient = new(), _patches = new(), _patchGradient = new(), _padded = new(), _paddedGradient = new();
    private DenseTensor? _input, _lastPatches;

    /// <summary>A convolution with He-uniform initial weights (seeded) and zero biases.</summary>
    public Conv2D(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, int seed = 0)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0)
            throw new ArgumentOutOfRangeException(nameof(kernel), "Channels, kernel and stride must be positive, padding not negative.");
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        var w = new DenseTensor(kernel, kernel, inChannels, outChannels);
        var random = new Random(seed);
        var limit = MathF.Sqrt(6f / (kernel * kernel * inChannels));
        foreach (ref var x in w.Span) x = (float)(random.NextDouble() * 2 - 1) * limit;
        Weights = new Parameter("W", w);
        Bias = new Parameter("b", new DenseTensor(outChannels)) { IsWeight = false };
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Output channels (filters).</summary>
    public int OutChannels { get; }
    /// <summary>Kernel height and width.</summary>
    public int Kernel { get; }
    /// <summary>Stride.</summary>
    public int Stride { get; }
    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; }
    /// <summary>W, [kernel, kernel, in, out].</summary>
    public Parameter Weights { get; }
    /// <summary>b, [out].</summary>
    public Parameter Bias { get; }

    /// <summary>
    /// Run the backward pass through the gradient generated from <see cref="Functions.LayerFormulas.Conv2DScore"/>
    /// (stride 1; <see cref="Functions.LayerFormulas.Conv2DStridedScore"/> for other strides, a scatter of each Δ over its
    /// window) instead of im2col and the matrix kernels: same results, for comparison. With padding the formula runs on
    /// a zero-padded copy of the input, and the input gradient is the padded one's interior.
    /// </summary>
    public bool UseGeneratedBackward
    {
        get => _generated;
        set => _generated = value;
    }

    private bool _generated;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _parameters ??= new[] { Weights, Bias };

    private Parameter[]? _parameters;

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> input)
    {
        if (input.Length != 3 || input[2] != InChannels)
            throw new ArgumentException($"{this} expects samples [height, width, {InChannels}], got {DenseTensor.Format(input)}.");
        var h = (input[0] + 2 * Padding - Kernel) / Stride + 1;
        var w = (input[1] + 2 * Padding - Kernel) / Stride + 1;
        if (h <= 0 || w <= 0) throw new ArgumentException($"{this}: input {DenseTensor.Format(input)} is smaller than the kernel.");
        return new[] { h, w, OutChannels };
    }

    /// <inheritdoc />
    public override DenseTensor Forward(DenseTensor input, bool training)
    {
        ExpectRank(input, 4);
        if (input.Dim(3) != InChannels) throw new ArgumentException($"{this} expects {InChannels} channels, got {input.ShapeText}.");
        int batch = input.Dim(0), oh = OutSize(input.Dim(1)), ow = OutSize(input.Dim(2));
        if (oh <= 0 || ow <= 0) throw new ArgumentException($"{this}: input {input.ShapeText} is smaller than the kernel.");
        int rows = batch * oh * ow, cols = Kernel * Kernel * InChannels;
        var output = _output.Get(stackalloc[] { batch, oh, ow, OutChannels });
        // Every row starts as the bias and the product adds into it (a few channels per row: one call per row would cost
        // more than the row's additions).
        RepeatRows(Bias.Value.Span, output.Span);
        _input = input;
        if (Windowed)
        {
            // A small window (a one-channel 3×3 kernel's nine terms): convolved directly, no patches to copy.
            MatMul.Convolve(input.Span, batch, input.Dim(1), input.Dim(2), InChannels, Weights.Value.Span, Kernel, OutChannels, output.Span, accumulate: true);
            _lastPatches = null;
            return output;
        }
        // im2col: one row per output position holding its receptive field (zeros where the padding is), so the
        // convolution is one matrix product with W viewed as [kernel·kernel·in × out].
        var patches = _patches.Get(stackalloc[] { rows, cols });
        Patches(input, patches.Span, oh, ow, gather: true);
        MatMul.Multiply(patches.Span, Weights.Value.Span, output.Span, rows, cols, OutChannels, accumulate: true);
        _lastPatches = patches;
        return output;
    }

    /// <inheritdoc />
    public override DenseTensor Backward(DenseTensor outputGradient) => Backward(outputGradient, inputGradient: true)!;

    /// <inheritdoc />
    public override void BackwardParametersOnly(DenseTensor outputGradient) => Backward(outputGradient, inputGradient: false);

    private DenseTensor? Backward(DenseTensor outputGradient, bool inputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"{this}: Backward before Forward.");
        if (_generated)
        {
            // The generated backward adds into its outputs: parameter gradients accumulate, the input gradient starts at zero.
            // (The first layer's input gradient is not wanted: an empty view, not computed.)
            // With padding, the formula's X is the input inside a border of zeros and its gradient the border's interior.
            var x = Padding == 0 ? input : Padded(input, _padded.Get(stackalloc[] { input.Dim(0), input.Dim(1) + 2 * Padding, input.Dim(2) + 2 * Padding, input.Dim(3) }), toPadded: true);
            var generatedInputGradient = inputGradient ? (Padding == 0 ? _inputGradient : _paddedGradient).Get(x.Shape) : null;
            generatedInputGradient?.Clear();
            if (Stride == 1)
                Functions.LayerFormulas.Conv2DScoreAccumulateGradient(Weights.Value.AsReadOnlyTensor4(), Bias.Value.Span, x.AsReadOnlyTensor4(), outputGradient.AsReadOnlyTensor4(),
                    Weights.Gradient.AsTensor4(), Bias.Gradient.Span, generatedInputGradient is null ? default : generatedInputGradient.AsTensor4());
            else
                Functions.LayerFormulas.Conv2DStridedScoreAccumulateGradient(Weights.Value.AsReadOnlyTensor4(), Bias.Value.Span, x.AsReadOnlyTensor4(), outputGradient.AsReadOnlyTensor4(),
                    Stride, Weights.Gradient.AsTensor4(), Bias.Gradient.Span, generatedInputGradient is null ? default : generatedInputGradient.AsTensor4());
            if (generatedInputGradient is null || Padding == 0) return generatedInputGradient;
            return Padded(_inputGradient.Get(input.Shape), generatedInputGradient, toPadded: false);
        }
        if (Windowed) return WindowedBackward(input, outputGradient, inputGradient);
        var patches = _lastPatches!;
        int oh = outputGradient.Dim(1), ow = outputGradient.Dim(2);
        int rows = patches.Dim(0), cols = patches.Dim(1);
        var dy = outputGradient.Span;
        // ∂L/∂W[i,j,l,k] = Σ_{m,n} ∂L/∂Y[m,n,k] · X[m·s+i−p, n·s+j−p, l]: patchesᵀ · ∂L/∂Y.
        MatMul.MultiplyTransposedA(patches.Span, dy, Weights.Gradient.Span, cols, rows, OutChannels, accumulate: true);
        MatMul.AddRows(dy, Bias.Gradient.Span);
        if (!inputGradient) return null;
        // ∂L/∂X: ∂L/∂Y · Wᵀ gives the gradient of every patch entry; each goes back to the input element it
        // copied (col2im), summing where receptive fields overlap.
        var patchGradient = _patchGradient.Get(stackalloc[] { rows, cols });
        MatMul.MultiplyTransposedB(dy, Weights.Value.Span, patchGradient.Span, rows, OutChannels, cols);
        var dx = _inputGradient.Get(input.Shape);
        dx.Clear();
        Patches(dx, patchGradient.Span, oh, ow, gather: false);
        return dx;
    }

    // Stride 1, no padding and a small window: the forward pass convolves directly and the backward pass reads the input's
    // windows in place (no patches either way).
    private bool Windowed => Stride == 1 && Padding == 0 && MatMul.DirectConvolution(Kernel, InChannels, OutChannels);

    private DenseTensor? WindowedBackward(DenseTensor input, DenseTensor outputGradient, bool inputGradient)
    {
        int batch = input.Dim(0), height = input.Dim(1), width = input.Dim(2), oh = outputGradient.Dim(1), ow = outputGradient.Dim(2);
        var x = input.AsReadOnlyTensor4();
        var dy = outputGradient.AsReadOnlyTensor4();
        // ∂L/∂W[i,j,l,k] = Σ_{s,m,n} X[s, m+i, n+j, l] ∂L/∂Y[s,m,n,k]: per output row m, the windows along X's rows m … m+K−1
        // against ∂L/∂Y's row, every kernel row at once.
        for (var m = 0; m < oh; m++)
            MatMul.MultiplyTransposedA(x.SliceRows(0, m * width, (Kernel - 1) * width + ow + Kernel - 1, batch), InChannels, Kernel, width * InChannels,
                dy.Slice(0, m, 0, ow, batch), Weights.Gradient.Span, Kernel * InChannels, ow, OutChannels, accumulate: true);
        MatMul.AddRows(outputGradient.Span, Bias.Gradient.Span);
        if (!inputGradient) return null;
        var dx = _inputGradient.Get(input.Shape);
        dx.Clear();
        MatMul.TransposedConvolution(outputGradient.Span, oh, ow, OutChannels, Weights.Value.Span, Kernel, Kernel, dx.Span, height, width, InChannels, 0, batch, 0, oh);
        return dx;
    }

    private int OutSize(int size) => (size + 2 * Padding - Kernel) / Stride + 1;

    // Copies the image rows of `plain` into the interior of `padded` (its border cleared), or back out of it; returns the
    // tensor written.
    private DenseTensor Padded(DenseTensor plain, DenseTensor padded, bool toPadded)
    {
        if (toPadded) padded.Clear();
        int batch = plain.Dim(0), height = plain.Dim(1), run = plain.Dim(2) * plain.Dim(3);
        var inner = plain.Span;
        var outer = padded.Span;
        for (var s = 0; s < batch; s++)
            for (var r = 0; r < height; r++)
            {
                var at = ((s * padded.Dim(1) + r + Padding) * padded.Dim(2) + Padding) * padded.Dim(3);
                var plainRow = inner.Slice((s * height + r) * run, run);
                if (toPadded) plainRow.CopyTo(outer.Slice(at, run));
                else outer.Slice(at, run).CopyTo(plainRow);
            }
        return toPadded ? padded : plain;
    }

    // target = row, row, row, …: the row copied in, then the filled part copied after itself, doubling.
    private static void RepeatRows(ReadOnlySpan<float> row, Span<float> target)
    {
        if (target.IsEmpty) return;
        row.CopyTo(target);
        for (var filled = row.Length; filled < target.Length; filled *= 2)
            target.Slice(0, Math.Min(filled, target.Length - filled)).CopyTo(target.Slice(filled));
    }

    // im2col (gather: each patch row copies its receptive field, zeros in the padding) and its adjoint col2im
    // (scatter: each patch entry adds back into the image element it came from): the same walk, both directions.
    // Images in parts on the cores (each image's patches and its gradient its own: the same bits on any number of threads).
    private unsafe void Patches(DenseTensor image, Span<float> patches, int oh, int ow, bool gather)
    {
        int batch = image.Dim(0), perImage = oh * ow * Kernel * Kernel * InChannels;
        var x = image.Span;
        if (batch < 2 || (long)batch * perImage < Threads.MinimumWork || Threads.Available == 1)
        {
            Patches(image, x, patches, 0, batch, oh, ow, gather);
            return;
        }
        fixed (float* px = x, pp = patches)
            PatchesInParts(image, (IntPtr)px, x.Length, (IntPtr)pp, patches.Length, oh, ow, gather, (long)batch * perImage);
    }

    // (Separate, so that the one-thread path allocates no closure.)
    private unsafe void PatchesInParts(DenseTensor image, IntPtr xp, int xLength, IntPtr patchesp, int patchesLength, int oh, int ow, bool gather, long work) =>
        Threads.For(image.Dim(0), 1, work, (first, end) =>
            Patches(image, new Span<float>((float*)xp, xLength), new Span<float>((float*)patchesp, patchesLength), first, end, oh, ow, gather));

    private void Patches(DenseTensor image, Span<float> x, Span<float> patches, int first, int end, int oh, int ow, bool gather)
    {
        int height = image.Dim(1), width = image.Dim(2), cin = InChannels, cols = Kernel * Kernel * cin;
        if (Padding == 0 && Kernel * cin <= 16)
        {
            ShortRuns(x, patches, first, end, oh, ow, height, width, gather);
            return;
        }
        for (var b = first; b < end; b++)
        for (var m = 0; m < oh; m++)
        for (var n = 0; n < ow; n++)
        {
            var row = patches.Slice(((b * oh + m) * ow + n) * cols, cols);
            for (var i = 0; i < Kernel; i++)
            {
                var u = m * Stride + i - Padding;
                var v0 = n * Stride - Padding;
                // A kernel row inside the image is one contiguous run of Kernel·in values in both: one copy or add.
                if ((uint)u < (uint)height && v0 >= 0 && v0 + Kernel <= width)
                {
                    var run = row.Slice(i * Kernel * cin, Kernel * cin);
                    var source = x.Slice(((b * height + u) * width + v0) * cin, Kernel * cin);
                    if (gather) source.CopyTo(run);
                    else TensorPrimitives.Add(source, run, source);
                    continue;
                }
                for (var j = 0; j < Kernel; j++)
                {
                    var v = n * Stride + j - Padding;
                    var entry = row.Slice((i * Kernel + j) * cin, cin);
                    var inside = (uint)u < (uint)height && (uint)v < (uint)width;
                    if (gather)
                    {
                        if (inside) x.Slice(((b * height + u) * width + v) * cin, cin).CopyTo(entry);
                        else entry.Clear();
                    }
                    else if (inside)
                    {
                        var target = x.Slice(((b * height + u) * width + v) * cin, cin);
                        TensorPrimitives.Add(target, entry, target);
                    }
                }
            }
        }
    }

    // Patches without padding whose kernel rows are short runs (a one-channel 3×3 kernel's three values): element by
    // element, without a slice or a call per run (they cost more than the run). Every window is inside the image.
    private void ShortRuns(Span<float> x, Span<float> patches, int first, int end, int oh, int ow, int height, int width, bool gather)
    {
        int cin = InChannels, run = Kernel * cin, cols = Kernel * run;
        if (end <= first) return;
        // The last window's last element and the last patch row's end are inside the spans: nothing below reads past them.
        _ = x[(((end - 1) * height + (oh - 1) * Stride + Kernel - 1) * width + (ow - 1) * Stride) * cin + run - 1];
        _ = patches[((end - 1) * oh * ow + oh * ow) * cols - 1];
        ref var image = ref MemoryMarshal.GetReference(x);
        ref var rows = ref MemoryMarshal.GetReference(patches);
        for (var b = first; b < end; b++)
        for (var m = 0; m < oh; m++)
        for (var n = 0; n < ow; n++)
        {
            var row = ((b * oh + m) * ow + n) * cols;
            for (var i = 0; i < Kernel; i++)
            {
                var source = ((b * height + m * Stride + i) * width + n * Stride) * cin;
                var target = row + i * run;
                if (gather)
                    for (var t = 0; t < run; t++) Unsafe.Add(ref rows, target + t) = Unsafe.Add(ref image, source + t);
                else
                    for (var t = 0; t < run; t++) Unsafe.Add(ref image, source + t) += Unsafe.Add(ref rows, target + t);
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"Conv2D({InChannels} → {OutChannels}, {Kernel}×{Kernel}, stride {Stride}, padding {Padding})";
}
