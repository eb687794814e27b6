using System;
using System.Collections.Generic;
using System.Linq;
using SymGrad.Layers;
using SymGrad.Tensors;

namespace SymGrad.Training;

/// <summary>A sequence of layers: forward runs them in order, backward in reverse (backpropagation).</summary>
public sealed class Network
{
    private readonly Layer[] _layers;
    private readonly Parameter[] _parameters;

    /// <summary>A network of the given layers; parameter names get the layer's position (<c>0.W</c>).</summary>
    public Network(params Layer[] layers)
    {
        if (layers is null || layers.Length == 0) throw new ArgumentException("A network needs at least one layer.", nameof(layers));
        _layers = layers.ToArray();
        var parameters = new List<Parameter>();
        var seen = new HashSet<Parameter>();
        for (var i = 0; i < _layers.Length; i++)
            foreach (var p in _layers[i].Parameters)
            {
                if (!seen.Add(p)) throw new ArgumentException($"Layer {i} ({_layers[i]}) shares a parameter with an earlier layer.", nameof(layers));
                if (!p.Name.Contains('.')) p.Name = $"{i}.{p.Name}";
                parameters.Add(p);
            }
        _parameters = parameters.ToArray();
        _firstTrainable = Array.FindIndex(_layers, l => l.Parameters.Count > 0);
    }

    private readonly int _firstTrainable;

    /// <summary>The layers.</summary>
    public IReadOnlyList<Layer> Layers => _layers;
    /// <summary>Every parameter, layer by layer.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;
    /// <summary>The number of trainable values.</summary>
    public int ParameterCount => _parameters.Sum(p => p.Value.Length);

    /// <summary>The output for a batch.</summary>
    public DenseTensor Forward(DenseTensor input, bool training = false)
    {
        var x = input;
        foreach (var layer in _layers) x = layer.Forward(x, training);
        return x;
    }

    /// <summary>Backpropagates ∂L/∂output through every layer (after <see cref="Forward"/>), accumulating parameter gradients.</summary>
    public DenseTensor Backward(DenseTensor outputGradient)
    {
        var g = outputGradient;
        for (var i = _layers.Length - 1; i >= 0; i--) g = _layers[i].Backward(g);
        return g;
    }

    /// <summary>
    /// Backpropagates for training: parameter gradients only, stopping at the first layer with parameters, whose
    /// input gradient (∂L/∂data) nobody needs.
    /// </summary>
    public void BackwardParameters(DenseTensor outputGradient)
    {
        var first = _firstTrainable;
        if (first < 0) return;
        var g = outputGradient;
        for (var i = _layers.Length - 1; i > first; i--) g = _layers[i].Backward(g);
        _layers[first].BackwardParametersOnly(g);
    }

    /// <summary>Sets every parameter gradient to zero.</summary>
    public void ZeroGradients()
    {
        foreach (var p in _parameters) p.Gradient.Clear();
    }

    /// <summary>Predictions for all samples (in batches of <paramref name="batchSize"/>), in a new tensor.</summary>
    public DenseTensor Predict(DenseTensor inputs, int batchSize = 256)
    {
        DenseTensor? result = null;
        var n = inputs.Dim(0);
        for (var start = 0; start < n; start += batchSize)
        {
            var count = Math.Min(batchSize, n - start);
            var output = Forward(inputs.Rows(start, count), training: false);
            if (result is null)
            {
                var shape = output.Shape.ToArray();
                shape[0] = n;
                result = new DenseTensor(shape);
            }
            output.Span.CopyTo(result.Rows(start, count).Span);
        }
        return result ?? throw new ArgumentException("No samples to predict.", nameof(inputs));
    }

    /// <summary>One line per layer with its output shape, for an input sample shape.</summary>
    public string Summary(params int[] sampleShape)
    {
        var lines = new List<string>();
        var shape = sampleShape;
        foreach (var layer in _layers)
        {
            shape = layer.OutputShape(shape);
            lines.Add($"{layer,-40} → {DenseTensor.Format(shape)}  ({layer.Parameters.Sum(p => p.Value.Length)} parameters)");
        }
        lines.Add($"{ParameterCount} parameters");
        return string.Join(Environment.NewLine, lines);
    }
}
