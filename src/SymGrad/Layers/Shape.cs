using System;
using SymGrad.Tensors;

namespace SymGrad.Layers;

/// <summary>[batch, ..] → [batch, features]: a view, no copy.</summary>
public sealed class Flatten : Layer
{
    private DenseTensor? _input, _view, _gradientSource, _gradientView;

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> input) => new[] { DenseTensor.Count(input) };

    /// <inheritdoc />
    public override DenseTensor Forward(DenseTensor input, bool training)
    {
        // The previous layer hands back the same buffer for the same batch shape: so does this view.
        if (!ReferenceEquals(input, _input))
        {
            _input = input;
            _view = input.Reshape(input.Dim(0), input.Length / Math.Max(1, input.Dim(0)));
        }
        return _view!;
    }

    /// <inheritdoc />
    public override DenseTensor Backward(DenseTensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException("Flatten: Backward before Forward.");
        if (!ReferenceEquals(outputGradient, _gradientSource))
        {
            _gradientSource = outputGradient;
            _gradientView = outputGradient.Reshape(input.Shape.ToArray());
        }
        return _gradientView!;
    }
}

/// <summary>
/// Inverted dropout: while training, each element is zeroed with probability <see cref="Rate"/> and the rest are
/// scaled by 1/(1 − rate), so inference is the identity. Seeded: the same seed drops the same elements. The draws
/// come from a counter-based generator (SplitMix64 of the seed and the number of draws so far), so the layer's whole
/// random state is one number that training checkpoints save (<see cref="SaveState"/>).
/// </summary>
public sealed class Dropout : Layer
{
    private readonly ulong _seed;
    private ulong _draws;
    private readonly BufferCache _output = new(), _mask = new(), _inputGradient = new();
    private DenseTensor? _lastMask;
    private bool _lastTraining;

    /// <summary>A dropout layer with drop probability <paramref name="rate"/> in [0, 1).</summary>
    public Dropout(float rate, int seed = 0)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentOutOfRangeException(nameof(rate), "The rate must be in [0, 1).");
        Rate = rate;
        _seed = SplitMix((ulong)(uint)seed);
    }

    /// <summary>The probability of dropping an element.</summary>
    public float Rate { get; }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> input) => input.ToArray();

    /// <inheritdoc />
    public override DenseTensor Forward(DenseTensor input, bool training)
    {
        _lastTraining = training && Rate > 0;
        if (!_lastTraining) return input;
        var mask = _mask.Get(input.Shape);
        var output = _output.Get(input.Shape);
        var keep = 1f / (1f - Rate);
        // u < rate for u = z·2⁻⁵³ uniform in [0, 1), compared as integers: z < ⌈rate·2⁵³⌉.
        var threshold = (ulong)Math.Ceiling(Rate * (double)(1UL << 53));
        var m = mask.Span;
        var x = input.Span;
        var y = output.Span;
        var draws = _draws;
        for (var i = 0; i < m.Length; i++)
        {
            m[i] = SplitMix(_seed + ++draws * 0x9E3779B97F4A7C15UL) >> 11 < threshold ? 0f : keep;
            y[i] = x[i] * m[i];
        }
        _draws = draws;
        _lastMask = mask;
        return output;
    }

    private static ulong SplitMix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The number of draws so far (8 bytes, little-endian).</summary>
    public override byte[] SaveState()
    {
        var bytes = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, _draws);
        return bytes;
    }

    /// <inheritdoc />
    public override void RestoreState(ReadOnlySpan<byte> state)
    {
        if (state.Length != 8) throw new ArgumentException($"{this} keeps an 8-byte state, but {state.Length} bytes were given.", nameof(state));
        _draws = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(state);
    }

    /// <inheritdoc />
    public override DenseTensor Backward(DenseTensor outputGradient)
    {
        if (!_lastTraining) return outputGradient;
        var mask = _lastMask!;
        var result = _inputGradient.Get(mask.Shape);
        System.Numerics.Tensors.TensorPrimitives.Multiply(outputGradient.Span, mask.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"Dropout({Rate:R})");
}
