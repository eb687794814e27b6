using System;
using System.Collections.Generic;
using SymGrad.Tensors;

namespace SymGrad.Layers;

/// <summary>A trainable tensor and the gradient of the loss with respect to it (same shape).</summary>
public sealed class Parameter
{
    /// <summary>A parameter with a zero gradient.</summary>
    public Parameter(string name, DenseTensor value)
    {
        Name = name;
        Value = value;
        Gradient = new DenseTensor(value.Shape.ToArray());
    }

    /// <summary>Name, unique within a network once the network has prefixed it with the layer's position.</summary>
    public string Name { get; internal set; }
    /// <summary>The values.</summary>
    public DenseTensor Value { get; }
    /// <summary>∂L/∂value, accumulated by <see cref="Layer.Backward"/> until cleared.</summary>
    public DenseTensor Gradient { get; }
    /// <summary>False for biases: regularizers leave them alone.</summary>
    public bool IsWeight { get; init; } = true;

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Value.ShapeText}";
}

/// <summary>
/// A layer of a network: a forward pass over a batch (first axis) and the backward pass that, given ∂L/∂output,
/// returns ∂L/∂input and adds ∂L/∂parameter into each <see cref="Parameter.Gradient"/>. Layers keep their output
/// and gradient buffers between batches, so training allocates nothing once every batch size has been seen.
/// </summary>
public abstract class Layer
{
    /// <summary>The trainable parameters (none by default).</summary>
    public virtual IReadOnlyList<Parameter> Parameters => Array.Empty<Parameter>();

    /// <summary>The shape of one output sample for one input sample of shape <paramref name="input"/>.</summary>
    public abstract int[] OutputShape(ReadOnlySpan<int> input);

    /// <summary>The output for a batch; <paramref name="training"/> switches dropout and the like on.</summary>
    public abstract DenseTensor Forward(DenseTensor input, bool training);

    /// <summary>∂L/∂input for the batch of the last <see cref="Forward"/>, given ∂L/∂output.</summary>
    public abstract DenseTensor Backward(DenseTensor outputGradient);

    /// <summary>
    /// Like <see cref="Backward"/> for the first trainable layer of a network, whose input gradient nobody uses:
    /// accumulates the parameter gradients and may skip computing ∂L/∂input.
    /// </summary>
    public virtual void BackwardParametersOnly(DenseTensor outputGradient) => Backward(outputGradient);

    /// <summary>A short description: <c>Dense(784 → 128)</c>.</summary>
    public override string ToString() => GetType().Name;

    /// <summary>
    /// State besides the parameters that changes while training (dropout's random generator), as bytes: training
    /// checkpoints save it so that a resumed run draws what the uninterrupted run would have. Empty (the default) for a
    /// layer without such state; a layer that overrides it overrides <see cref="RestoreState"/> too.
    /// </summary>
    public virtual byte[] SaveState() => Array.Empty<byte>();

    /// <summary>Restores what <see cref="SaveState"/> returned; throws <see cref="ArgumentException"/> for bytes it cannot take.</summary>
    public virtual void RestoreState(ReadOnlySpan<byte> state)
    {
        if (state.Length != 0) throw new ArgumentException($"{this} keeps no state, but {state.Length} bytes were given.", nameof(state));
    }

    /// <summary>Throws unless <paramref name="t"/> has rank <paramref name="rank"/>.</summary>
    protected void ExpectRank(DenseTensor t, int rank)
    {
        if (t.Rank != rank) throw new ArgumentException($"{this} expects a rank-{rank} input, got {t.ShapeText}.");
    }
}

/// <summary>
/// Tensors reused across batches, one per batch shape: a layer asks for its output buffer each batch and gets the
/// same object back as long as the shape is the same (the last, smaller batch of an epoch has its own).
/// </summary>
public sealed class BufferCache
{
    private DenseTensor? _a, _b;

    /// <summary>A tensor of the given shape, the same object as last time for the same shape; not cleared.</summary>
    public DenseTensor Get(ReadOnlySpan<int> shape)
    {
        if (_a != null && _a.Shape.SequenceEqual(shape)) return _a;
        if (_b != null && _b.Shape.SequenceEqual(shape))
        {
            (_a, _b) = (_b, _a);
            return _a!;
        }
        _b = _a;
        _a = new DenseTensor(shape.ToArray());
        return _a;
    }

    /// <summary>A tensor of shape [batch, ..sample].</summary>
    public DenseTensor Get(int batch, ReadOnlySpan<int> sample)
    {
        Span<int> shape = stackalloc int[sample.Length + 1];
        shape[0] = batch;
        sample.CopyTo(shape.Slice(1));
        return Get(shape);
    }
}
