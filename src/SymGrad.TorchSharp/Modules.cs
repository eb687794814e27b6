using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace SymGrad.Torch;

/// <summary>
/// A module that applies a function of one tensor: <c>Activations.GeluModule()</c> (generated for a
/// <c>[TorchFunction]</c> method) in a <c>torch.nn.Sequential</c>. It has no parameters.
/// </summary>
public sealed class FunctionModule : nn.Module<Tensor, Tensor>
{
    private readonly Func<Tensor, Tensor> _function;

    /// <summary>A module named <paramref name="name"/> applying <paramref name="function"/>.</summary>
    public FunctionModule(string name, Func<Tensor, Tensor> function) : base(name) =>
        _function = function ?? throw new ArgumentNullException(nameof(function));

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => _function(input);
}

/// <summary>How a loss module reduces its element-wise values.</summary>
public enum Reduction
{
    /// <summary>The mean over every element.</summary>
    Mean,
    /// <summary>The sum over every element.</summary>
    Sum,
    /// <summary>The element-wise values themselves.</summary>
    None,
}

/// <summary>
/// A loss module over an element-wise function of the prediction and the target — a generated
/// <c>Focal(Tensor p, Tensor y, double gamma)</c> as <c>new LossModule("focal", (p, y) =&gt; Losses.Focal(p, y, 2.0))</c>
/// — reduced to its mean (the default), its sum, or not at all.
/// </summary>
public sealed class LossModule : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Func<Tensor, Tensor, Tensor> _function;
    private readonly Reduction _reduction;

    /// <summary>A loss named <paramref name="name"/>.</summary>
    public LossModule(string name, Func<Tensor, Tensor, Tensor> function, Reduction reduction = Reduction.Mean) : base(name)
    {
        _function = function ?? throw new ArgumentNullException(nameof(function));
        _reduction = reduction;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor prediction, Tensor target)
    {
        var values = _function(prediction, target);
        return _reduction switch
        {
            Reduction.Mean => values.mean(),
            Reduction.Sum => values.sum(),
            _ => values,
        };
    }
}

/// <summary>Broadcasting's adjoint, for generated backward passes.</summary>
public static class Broadcasting
{
    /// <summary>
    /// <paramref name="gradient"/> brought to <paramref name="input"/>'s shape: an input broadcast against larger ones in the
    /// forward pass (a per-channel α against a batch) receives the sum over the dimensions it was repeated along, and a
    /// gradient with an axis of 1 where the input has more (a partial equal for every element of a vector) is repeated
    /// along it first. The gradient itself when the shapes agree.
    /// </summary>
    public static Tensor SumTo(Tensor gradient, Tensor input)
    {
        var shape = input.shape;
        var g = gradient;
        if (g.shape.AsSpan().SequenceEqual(shape)) return g;
        // First up to the shape both broadcast to: a partial that is the same for every element of a vector (reduced to an
        // axis of 1) is that value for each of them.
        var rank = Math.Max(g.dim(), shape.Length);
        var both = new long[rank];
        for (var d = 0; d < rank; d++)
        {
            long a = d - (rank - g.dim()) >= 0 ? g.shape[d - (rank - g.dim())] : 1, b = d - (rank - shape.Length) >= 0 ? shape[d - (rank - shape.Length)] : 1;
            both[d] = a == 1 ? b : a;
        }
        if (!g.shape.AsSpan().SequenceEqual(both)) g = g.expand(both);
        // Leading dimensions the input does not have, then the dimensions where it has 1.
        var extra = g.dim() - shape.Length;
        if (extra > 0) g = g.sum(Enumerable.Range(0, (int)extra).Select(d => (long)d).ToArray());
        for (var d = 0; d < shape.Length; d++)
            if (shape[d] == 1 && g.shape[d] != 1) g = g.sum(dim: d, keepdim: true);
        return g;
    }
}

/// <summary>For generated code: one tensor expression evaluated in its own dispose scope.</summary>
public static class TensorScope
{
    /// <summary>
    /// Evaluates <paramref name="expression"/> and disposes every tensor it created on the way but its result, which moves
    /// to the enclosing scope: an expression's temporaries are freed as soon as it is computed, not when the pass ends.
    /// </summary>
    public static Tensor Let(Func<Tensor> expression)
    {
        using var scope = NewDisposeScope();
        return expression().MoveToOuterDisposeScope();
    }
}
