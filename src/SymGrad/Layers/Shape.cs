using System;
using SymGrad.Tensors;

namespace SymGrad.Layers;

/// <summary>[batch, ..] → [batch, features]: a view, no copy.</summary>
public sealed class Flatten : Layer
{
    private Tensor? _input, _view, _gradientSource, _gradientView;

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> input) => new[] { Tensor.Count(input) };

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training)
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
    public override Tensor Backward(Tensor outputGradient)
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
/// scaled by 1/(1 − rate), so inference is the identity. Seeded: the same seed drops the same elements.
/// </summary>
public sealed class Dropout : Layer
{
    private readonly Random _random;
    private readonly BufferCache _output = new(), _mask = new(), _inputGradient = new();
    private Tensor? _lastMask;
    private bool _lastTraining;

    /// <summary>A dropout layer with drop probability <paramref name="rate"/> in [0, 1).</summary>
    public Dropout(float rate, int seed = 0)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentOutOfRangeException(nameof(rate), "The rate must be in [0, 1).");
        Rate = rate;
        _random = new Random(seed);
    }

    /// <summary>The probability of dropping an element.</summary>
    public float Rate { get; }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> input) => input.ToArray();

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, bool training)
    {
        _lastTraining = training && Rate > 0;
        if (!_lastTraining) return input;
        var mask = _mask.Get(input.Shape);
        var output = _output.Get(input.Shape);
        var keep = 1f / (1f - Rate);
        var m = mask.Span;
        var x = input.Span;
        var y = output.Span;
        for (var i = 0; i < m.Length; i++)
        {
            m[i] = _random.NextDouble() < Rate ? 0f : keep;
            y[i] = x[i] * m[i];
        }
        _lastMask = mask;
        return output;
    }

    /// <inheritdoc />
    public override Tensor Backward(Tensor outputGradient)
    {
        if (!_lastTraining) return outputGradient;
        var mask = _lastMask!;
        var result = _inputGradient.Get(mask.Shape);
        System.Numerics.Tensors.TensorPrimitives.Multiply(outputGradient.Span, mask.Span, result.Span);
        return result;
    }

    /// <inheritdoc />
    public override string ToString() => $"Dropout({Rate})";
}
