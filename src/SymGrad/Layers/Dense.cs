using System;
using System.Collections.Generic;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using SymGrad.Tensors;

namespace SymGrad.Layers;

/// <summary>
/// A fully connected layer, z = a·W + b for a batch of row vectors a, with W stored [inputs × outputs].
/// Backward is the article's δ rule: with δ = ∂L/∂z, ∂L/∂W = aᵀδ (summed over the batch), ∂L/∂b = Σ δ and
/// ∂L/∂a = δWᵀ.
/// </summary>
public sealed class Dense : Layer
{
    private readonly BufferCache _output = new(), _inputGradient = new();
    private DenseTensor? _input;

    /// <summary>A layer with weights drawn from a seeded Glorot-uniform distribution and zero biases.</summary>
    public Dense(int inputs, int outputs, int seed = 0)
    {
        if (inputs <= 0 || outputs <= 0) throw new ArgumentOutOfRangeException(nameof(inputs), "Sizes must be positive.");
        Inputs = inputs;
        Outputs = outputs;
        var w = new DenseTensor(inputs, outputs);
        var random = new Random(seed);
        var limit = MathF.Sqrt(6f / (inputs + outputs));
        foreach (ref var x in w.Span) x = (float)(random.NextDouble() * 2 - 1) * limit;
        Weights = new Parameter("W", w);
        Bias = new Parameter("b", new DenseTensor(outputs)) { IsWeight = false };
    }

    /// <summary>Input features.</summary>
    public int Inputs { get; }
    /// <summary>Output features.</summary>
    public int Outputs { get; }
    /// <summary>W, [inputs × outputs].</summary>
    public Parameter Weights { get; }
    /// <summary>b, [outputs].</summary>
    public Parameter Bias { get; }

    /// <summary>
    /// Run the backward pass through the generated gradient of <see cref="Functions.LayerFormulas.DenseScore"/>
    /// instead of the matrix kernels (same results; for comparison, see the benchmarks).
    /// </summary>
    public bool UseGeneratedBackward { get; set; }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _parameters ??= new[] { Weights, Bias };

    private Parameter[]? _parameters;

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> input)
    {
        if (input.Length != 1 || input[0] != Inputs) throw new ArgumentException($"{this} expects samples of shape [{Inputs}], got {DenseTensor.Format(input)}.");
        return new[] { Outputs };
    }

    /// <inheritdoc />
    public override DenseTensor Forward(DenseTensor input, bool training)
    {
        ExpectRank(input, 2);
        if (input.Dim(1) != Inputs) throw new ArgumentException($"{this} expects {Inputs} features, got {input.ShapeText}.");
        var batch = input.Dim(0);
        var output = _output.Get(batch, stackalloc[] { Outputs });
        MatMul.Multiply(input.Span, Weights.Value.Span, output.Span, batch, Inputs, Outputs);
        var bias = Bias.Value.Span;
        var o = output.Span;
        for (var i = 0; i < batch; i++)
        {
            var row = o.Slice(i * Outputs, Outputs);
            TensorPrimitives.Add(row, bias, row);
        }
        _input = input;
        return output;
    }

    /// <inheritdoc />
    public override DenseTensor Backward(DenseTensor outputGradient)
    {
        if (UseGeneratedBackward) return GeneratedBackward(outputGradient, inputGradient: true)!;
        var batch = AccumulateParameterGradients(outputGradient);
        // ∂L/∂a = δ Wᵀ
        var inputGradient = _inputGradient.Get(batch, stackalloc[] { Inputs });
        MatMul.MultiplyTransposedB(outputGradient.Span, Weights.Value.Span, inputGradient.Span, batch, Outputs, Inputs);
        return inputGradient;
    }

    /// <inheritdoc />
    public override void BackwardParametersOnly(DenseTensor outputGradient)
    {
        if (UseGeneratedBackward) GeneratedBackward(outputGradient, inputGradient: false);
        else AccumulateParameterGradients(outputGradient);
    }

    private DenseTensor? GeneratedBackward(DenseTensor outputGradient, bool inputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"{this}: Backward before Forward.");
        var batch = input.Dim(0);
        // The generated backward adds into its outputs: the parameter gradients accumulate, the input gradient starts
        // at zero; an empty view (the first layer's) is not computed.
        var dA = inputGradient ? _inputGradient.Get(batch, stackalloc[] { Inputs }) : null;
        dA?.Clear();
        Functions.LayerFormulas.DenseScoreAccumulateGradient(Weights.Value.AsReadOnlyMatrix(), Bias.Value.Span, input.AsReadOnlyMatrix(), outputGradient.AsReadOnlyMatrix(),
            Weights.Gradient.AsMatrix(), Bias.Gradient.Span, dA is null ? default : dA.AsMatrix());
        return dA;
    }

    private int AccumulateParameterGradients(DenseTensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"{this}: Backward before Forward.");
        var batch = input.Dim(0);
        var delta = outputGradient.Span;
        // ∂L/∂W += aᵀ δ
        MatMul.MultiplyTransposedA(input.Span, delta, Weights.Gradient.Span, Inputs, batch, Outputs, accumulate: true);
        // ∂L/∂b += Σ δ
        var db = Bias.Gradient.Span;
        for (var i = 0; i < batch; i++) TensorPrimitives.Add(db, delta.Slice(i * Outputs, Outputs), db);
        return batch;
    }

    /// <inheritdoc />
    public override string ToString() => $"Dense({Inputs} → {Outputs})";
}
