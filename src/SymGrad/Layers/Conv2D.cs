using System;
using System.Collections.Generic;
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
    private readonly BufferCache _output = new(), _inputGradient = new();
    private Tensor? _input;

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
        var w = new Tensor(kernel, kernel, inChannels, outChannels);
        var random = new Random(seed);
        var limit = MathF.Sqrt(6f / (kernel * kernel * inChannels));
        foreach (ref var x in w.Span) x = (float)(random.NextDouble() * 2 - 1) * limit;
        Weights = new Parameter("W", w);
        Bias = new Parameter("b", new Tensor(outChannels)) { IsWeight = false };
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

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _parameters ??= new[] { Weights, Bias };

    private Parameter[]? _parameters;

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> input)
    {
        if (input.Length != 3 || input[2] != InChannels)
            throw new ArgumentException($"{this} expects samples [height, width, {InChannels}], got {Tensor.Format(input)}.");
        var h = (input[0] + 2 * Padding - Kernel) / Stride + 1;
        var w = (input[1] + 2 * Padding - Kernel) / Stride + 1;
        if (h <= 0 || w <= 0) throw new ArgumentException($"{this}: input {Tensor.Format(input)} is smaller than the kernel.");
        return new[] { h, w, OutChannels };
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training)
    {
        ExpectRank(input, 4);
        var shape = OutputShape(input.Shape.Slice(1));
        int batch = input.Dim(0), height = input.Dim(1), width = input.Dim(2), oh = shape[0], ow = shape[1];
        var output = _output.Get(batch, shape);
        var x = input.Span;
        var y = output.Span;
        var w = Weights.Value.Span;
        var bias = Bias.Value.Span;
        int cin = InChannels, cout = OutChannels;
        for (var b = 0; b < batch; b++)
        for (var m = 0; m < oh; m++)
        for (var n = 0; n < ow; n++)
        {
            var row = y.Slice(((b * oh + m) * ow + n) * cout, cout);
            bias.CopyTo(row);
            for (var i = 0; i < Kernel; i++)
            {
                var u = m * Stride + i - Padding;
                if ((uint)u >= (uint)height) continue;
                for (var j = 0; j < Kernel; j++)
                {
                    var v = n * Stride + j - Padding;
                    if ((uint)v >= (uint)width) continue;
                    var xBase = ((b * height + u) * width + v) * cin;
                    var wBase = (i * Kernel + j) * cin * cout;
                    for (var l = 0; l < cin; l++)
                    {
                        var s = x[xBase + l];
                        if (s != 0f) TensorPrimitives.MultiplyAdd(w.Slice(wBase + l * cout, cout), s, row, row);
                    }
                }
            }
        }
        _input = input;
        return output;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"{this}: Backward before Forward.");
        int batch = input.Dim(0), height = input.Dim(1), width = input.Dim(2), oh = outputGradient.Dim(1), ow = outputGradient.Dim(2);
        var dx = _inputGradient.Get(input.Shape);
        dx.Clear();
        var x = input.Span;
        var dxs = dx.Span;
        var dy = outputGradient.Span;
        var w = Weights.Value.Span;
        var dw = Weights.Gradient.Span;
        var db = Bias.Gradient.Span;
        int cin = InChannels, cout = OutChannels;
        for (var b = 0; b < batch; b++)
        for (var m = 0; m < oh; m++)
        for (var n = 0; n < ow; n++)
        {
            var delta = dy.Slice(((b * oh + m) * ow + n) * cout, cout);
            TensorPrimitives.Add(db, delta, db);
            for (var i = 0; i < Kernel; i++)
            {
                var u = m * Stride + i - Padding;
                if ((uint)u >= (uint)height) continue;
                for (var j = 0; j < Kernel; j++)
                {
                    var v = n * Stride + j - Padding;
                    if ((uint)v >= (uint)width) continue;
                    var xBase = ((b * height + u) * width + v) * cin;
                    var wBase = (i * Kernel + j) * cin * cout;
                    for (var l = 0; l < cin; l++)
                    {
                        var dwRow = dw.Slice(wBase + l * cout, cout);
                        var s = x[xBase + l];
                        if (s != 0f) TensorPrimitives.MultiplyAdd(delta, s, dwRow, dwRow);
                        dxs[xBase + l] += TensorPrimitives.Dot(w.Slice(wBase + l * cout, cout), delta);
                    }
                }
            }
        }
        return dx;
    }

    /// <inheritdoc />
    public override string ToString() => $"Conv2D({InChannels} → {OutChannels}, {Kernel}×{Kernel}, stride {Stride}, padding {Padding})";
}
