using System;
using System.Collections.Generic;
using SymGrad.Functions;
using SymGrad.Layers;
using SymGrad.Tensors;

namespace SymGrad.Losses;

/// <summary>
/// A loss over a batch: the mean over samples of each sample's loss (summed over its outputs), and its gradient
/// with respect to the predictions. The per-element functions and their derivatives are the generated ones in
/// <see cref="LossFunctions"/>.
/// </summary>
public abstract class Loss
{
    private readonly BufferCache _gradient = new();

    /// <summary>The mean loss of the batch.</summary>
    public abstract float Forward(DenseTensor prediction, DenseTensor target);

    /// <summary>Writes ∂(mean loss)/∂prediction into <paramref name="gradient"/> (same shape as the prediction).</summary>
    public abstract void Backward(DenseTensor prediction, DenseTensor target, DenseTensor gradient);

    /// <summary>∂(mean loss)/∂prediction in a buffer the loss keeps (valid until the next call).</summary>
    public DenseTensor Gradient(DenseTensor prediction, DenseTensor target)
    {
        var g = _gradient.Get(prediction.Shape);
        Backward(prediction, target, g);
        return g;
    }

    /// <summary>Throws unless prediction and target have the same shape.</summary>
    protected void CheckShapes(DenseTensor prediction, DenseTensor target)
    {
        if (!prediction.SameShape(target))
            throw new ArgumentException($"{GetType().Name}: prediction {prediction.ShapeText} and target {target.ShapeText} differ in shape.");
    }
}

/// <summary>A per-element loss ℓ(prediction, target) and ∂ℓ/∂prediction, for <see cref="ElementwiseLoss{TTerm}"/>.</summary>
public interface ILossTerm
{
    /// <summary>ℓ(p, y).</summary>
    float Value(float prediction, float target);
    /// <summary>∂ℓ/∂p.</summary>
    float Derivative(float prediction, float target);
}

/// <summary>
/// The mean over the batch of Σ ℓ(pᵢ, yᵢ) over each sample's outputs, and its gradient ∂ℓ/∂pᵢ / batch. The term is
/// a struct so the loops compile to direct, inlinable calls.
/// </summary>
public abstract class ElementwiseLoss<TTerm> : Loss where TTerm : struct, ILossTerm
{
    private readonly TTerm _term;

    /// <summary>A loss over <paramref name="term"/>.</summary>
    protected ElementwiseLoss(TTerm term) => _term = term;

    /// <inheritdoc />
    public override float Forward(DenseTensor prediction, DenseTensor target)
    {
        CheckShapes(prediction, target);
        var p = prediction.Span;
        var t = target.Span;
        var sum = 0.0;
        for (var i = 0; i < p.Length; i++) sum += _term.Value(p[i], t[i]);
        return (float)(sum / prediction.Dim(0));
    }

    /// <inheritdoc />
    public override void Backward(DenseTensor prediction, DenseTensor target, DenseTensor gradient)
    {
        CheckShapes(prediction, target);
        var p = prediction.Span;
        var t = target.Span;
        var g = gradient.Span;
        var scale = 1f / prediction.Dim(0);
        for (var i = 0; i < p.Length; i++) g[i] = _term.Derivative(p[i], t[i]) * scale;
    }
}

/// <summary>The article's MSE, L = 1/(2n) Σᵢ (yᵢ − ŷᵢ)² (summed over outputs); ∂L/∂ŷᵢ = (ŷᵢ − yᵢ)/n.</summary>
public sealed class MeanSquaredError() : ElementwiseLoss<MeanSquaredError.Term>(default)
{
    /// <summary>½(ŷ − y)² and its generated derivative.</summary>
    public readonly struct Term : ILossTerm
    {
        /// <inheritdoc />
        public float Value(float prediction, float target) => LossFunctions.SquaredError(prediction, target);
        /// <inheritdoc />
        public float Derivative(float prediction, float target) => LossFunctions.SquaredErrorDerivative(prediction, target);
    }
}

/// <summary>
/// Binary cross-entropy of σ(z) for logits z (the network's last layer is linear): stable for any z, and its
/// gradient σ(z) − y never saturates the way a separate sigmoid layer followed by log would.
/// </summary>
public sealed class BinaryCrossEntropy() : ElementwiseLoss<BinaryCrossEntropy.Term>(default)
{
    /// <summary>Cross-entropy on a logit and its generated derivative.</summary>
    public readonly struct Term : ILossTerm
    {
        /// <summary>The loss of a logit (the prediction is a logit here) against a target in [0, 1].</summary>
        public float Value(float prediction, float target) => LossFunctions.BinaryCrossEntropyWithLogits(prediction, target);
        /// <summary>∂loss/∂logit, σ(logit) − target.</summary>
        public float Derivative(float prediction, float target) => LossFunctions.BinaryCrossEntropyWithLogitsDerivative(prediction, target);
    }
}

/// <summary>
/// Softmax cross-entropy of class logits z against target probabilities y (one-hot or not), per sample
/// L = Σⱼ yⱼ (log Σₖ e^zₖ − zⱼ), computed with the max shift m so no exponential overflows:
/// L = (Σy) log s + Σⱼ yⱼ (m − zⱼ) with s = Σₖ e^(zₖ − m). Backward chains the generated derivatives of its parts,
/// ∂L/∂zⱼ = (Σy) · log′(s) · exp′(zⱼ − m) − yⱼ, which is softmax(z)ⱼ − yⱼ when y sums to one.
/// </summary>
public sealed class SoftmaxCrossEntropy : Loss
{
    /// <inheritdoc />
    public override float Forward(DenseTensor prediction, DenseTensor target)
    {
        CheckShapes(prediction, target);
        var (batch, classes) = (prediction.Dim(0), prediction.Length / prediction.Dim(0));
        var zs = prediction.Span;
        var ys = target.Span;
        var total = 0.0;
        for (var b = 0; b < batch; b++)
        {
            var z = zs.Slice(b * classes, classes);
            var y = ys.Slice(b * classes, classes);
            var (m, s, ySum) = Normaliser(z, y);
            // (Σy) log s + Σⱼ yⱼ (m − zⱼ): each target logit is taken against the shift before anything is added (m + log s
            // − zⱼ rounded log 2 away at logits of 1e6 in float, and overflowed at 3e38), and a class whose target is 0
            // adds nothing (a masked logit, −∞, would add 0 · ∞ = NaN).
            var loss = ySum * LossFunctions.LogOfSum(s);
            for (var j = 0; j < classes; j++)
                if (y[j] != 0) loss += LossFunctions.TargetTerm(z[j] - m, y[j]);
            total += loss;
        }
        return (float)(total / batch);
    }

    /// <inheritdoc />
    public override void Backward(DenseTensor prediction, DenseTensor target, DenseTensor gradient)
    {
        CheckShapes(prediction, target);
        var (batch, classes) = (prediction.Dim(0), prediction.Length / prediction.Dim(0));
        var zs = prediction.Span;
        var ys = target.Span;
        var gs = gradient.Span;
        var scale = 1f / batch;
        for (var b = 0; b < batch; b++)
        {
            var z = zs.Slice(b * classes, classes);
            var y = ys.Slice(b * classes, classes);
            var g = gs.Slice(b * classes, classes);
            var (m, s, ySum) = Normaliser(z, y);
            var outer = ySum * LossFunctions.LogOfSumDerivative(s);
            for (var j = 0; j < classes; j++)
                g[j] = (outer * LossFunctions.ExpTermDerivative(z[j] - m) + LossFunctions.TargetTermDerivative(z[j], y[j])) * scale;
        }
    }

    private static (float Max, float Sum, float TargetSum) Normaliser(ReadOnlySpan<float> z, ReadOnlySpan<float> y)
    {
        var m = float.NegativeInfinity;
        foreach (var v in z) m = MathF.Max(m, v);
        var s = 0f;
        foreach (var v in z) s += LossFunctions.ExpTerm(v - m);
        var ySum = 0f;
        foreach (var v in y) ySum += v;
        return (m, s, ySum);
    }
}

/// <summary>
/// A loss from a per-element function and its derivative with respect to the prediction, e.g. a user's
/// <c>[Differentiable(nameof(prediction))] float Huber(float prediction, float target)</c> and the generated
/// <c>HuberDerivative</c>: <c>new FunctionLoss(Model.Huber, Model.HuberDerivative)</c>. Mean over the batch.
/// </summary>
public sealed class FunctionLoss(Func<float, float, float> value, Func<float, float, float> derivative)
    : ElementwiseLoss<FunctionLoss.Term>(new Term(value ?? throw new ArgumentNullException(nameof(value)), derivative ?? throw new ArgumentNullException(nameof(derivative))))
{
    /// <summary>The two delegates as a term.</summary>
    public readonly struct Term(Func<float, float, float> value, Func<float, float, float> derivative) : ILossTerm
    {
        /// <inheritdoc />
        public float Value(float prediction, float target) => value(prediction, target);
        /// <inheritdoc />
        public float Derivative(float prediction, float target) => derivative(prediction, target);
    }
}

/// <summary>
/// A penalty λ Σ Ω(w) over the weights (not the biases) of a network, added to the loss; its gradient λ Ω′(w) is
/// added to each weight's gradient. Ω and Ω′ are the generated <see cref="Regularizers"/>.
/// </summary>
public sealed class Regularizer
{
    private readonly Func<float, float> _omega, _derivative;

    private Regularizer(string name, float lambda, Func<float, float> omega, Func<float, float> derivative)
    {
        if (!(lambda >= 0) || float.IsInfinity(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), "λ must be a finite, non-negative number.");
        Name = name;
        Lambda = lambda;
        _omega = omega;
        _derivative = derivative;
    }

    /// <summary>L1: Ω = Σ |w|, ∂Ω/∂w = sign(w).</summary>
    public static Regularizer L1(float lambda) => new("L1", lambda, Regularizers.L1, Regularizers.L1Derivative);

    /// <summary>L2: Ω = Σ w², ∂Ω/∂w = 2w.</summary>
    public static Regularizer L2(float lambda) => new("L2", lambda, Regularizers.L2, Regularizers.L2Derivative);

    /// <summary>A user's Ω, e.g. a <c>[Differentiable]</c> method and its generated derivative.</summary>
    public static Regularizer Custom(string name, float lambda, Func<float, float> omega, Func<float, float> derivative) => new(name, lambda, omega, derivative);

    /// <summary>Name (<c>L2</c>).</summary>
    public string Name { get; }
    /// <summary>The weight λ.</summary>
    public float Lambda { get; }

    /// <summary>λ Σ Ω(w) over the weights.</summary>
    public float Penalty(IReadOnlyList<Parameter> parameters)
    {
        var sum = 0.0;
        for (var k = 0; k < parameters.Count; k++)
        {
            var p = parameters[k];
            if (!p.IsWeight) continue;
            foreach (var w in p.Value.Span) sum += _omega(w);
        }
        return (float)(Lambda * sum);
    }

    /// <summary>Adds λ Ω′(w) to each weight's gradient.</summary>
    public void AddGradient(IReadOnlyList<Parameter> parameters)
    {
        for (var k = 0; k < parameters.Count; k++)
        {
            var p = parameters[k];
            if (!p.IsWeight) continue;
            var w = p.Value.Span;
            var g = p.Gradient.Span;
            for (var i = 0; i < w.Length; i++) g[i] += Lambda * _derivative(w[i]);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}(λ = {Lambda})";
}
