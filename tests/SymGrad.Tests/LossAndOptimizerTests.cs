using System;
using System.Linq;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Optimizers;
using SymGrad.Tensors;
using SymGrad.Training;

namespace SymGrad.Tests;

public class LossTests
{
    private static void CheckGradient(Loss loss, DenseTensor prediction, DenseTensor target)
    {
        var g = loss.Gradient(prediction, target).Clone();
        for (var i = 0; i < prediction.Length; i++)
        {
            var saved = prediction.Span[i];
            const float h = 1e-3f;
            prediction.Span[i] = saved + h;
            var plus = (double)loss.Forward(prediction, target);
            prediction.Span[i] = saved - h;
            var minus = (double)loss.Forward(prediction, target);
            prediction.Span[i] = saved;
            var numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numeric - g.Span[i]) <= 1e-2 * Math.Max(1, Math.Abs(numeric)), $"{loss.GetType().Name}[{i}]: {g.Span[i]} vs {numeric}");
        }
    }

    [Fact]
    public void Losses_GradientsMatchFiniteDifferences()
    {
        var random = new Random(30);
        var prediction = GradientCheck.Random(random, 4, 3);
        var target = GradientCheck.Random(random, 4, 3);
        CheckGradient(new MeanSquaredError(), prediction, target);
        var labels = new DenseTensor(4, 3);
        for (var i = 0; i < 4; i++)
        for (var j = 0; j < 3; j++)
            labels[i, j] = (i + j) % 2;
        CheckGradient(new BinaryCrossEntropy(), prediction, labels);
        CheckGradient(new FunctionLoss(Functions.LossFunctions.SquaredError, Functions.LossFunctions.SquaredErrorDerivative), prediction, target);
        var oneHot = new DenseTensor(4, 3);
        for (var i = 0; i < 4; i++) oneHot[i, i % 3] = 1;
        CheckGradient(new SoftmaxCrossEntropy(), prediction, oneHot);
    }

    [Fact]
    public void Mse_IsTheArticlesHalfMean()
    {
        var p = new DenseTensor(new float[] { 1, 2, 4 }, 3, 1);
        var y = new DenseTensor(new float[] { 0, 2, 1 }, 3, 1);
        Assert.Equal((1 + 0 + 9) / (2.0 * 3), new MeanSquaredError().Forward(p, y), 6);
        Assert.Equal(new[] { 1 / 3f, 0, 1f }, new MeanSquaredError().Gradient(p, y).Span.ToArray());
    }

    [Fact]
    public void SoftmaxCrossEntropy_GradientIsSoftmaxMinusTarget_AndStaysFiniteAtExtremes()
    {
        var z = new DenseTensor(new float[] { 1000f, -1000f, 0f, 2f, 1f, 0.5f }, 2, 3);
        var y = new DenseTensor(new float[] { 0, 1, 0, 0.2f, 0.5f, 0.3f }, 2, 3);
        var loss = new SoftmaxCrossEntropy();
        var value = loss.Forward(z, y);
        Assert.True(float.IsFinite(value));
        Assert.Equal((2000 + (Math.Log(Math.Exp(2) + Math.Exp(1) + Math.Exp(0.5)) - (0.2 * 2 + 0.5 * 1 + 0.3 * 0.5))) / 2, value, 3);
        var g = loss.Gradient(z, y);
        for (var b = 0; b < 2; b++)
        {
            var max = Math.Max(z[b, 0], Math.Max(z[b, 1], z[b, 2]));
            var s = 0.0;
            for (var j = 0; j < 3; j++) s += Math.Exp(z[b, j] - max);
            for (var j = 0; j < 3; j++) Assert.Equal((Math.Exp(z[b, j] - max) / s - y[b, j]) / 2, g[b, j], 6);
        }
    }

    [Theory]
    [InlineData(new float[] { 1e6f, 1e6f, 0f }, new float[] { 1, 0, 0 })]
    [InlineData(new float[] { 3e38f, 3e38f, -3e38f }, new float[] { 1, 0, 0 })]
    [InlineData(new float[] { 2f, float.NegativeInfinity, 0.5f }, new float[] { 1, 0, 0 })]
    [InlineData(new float[] { float.NegativeInfinity, 1f, 1f, -3f }, new float[] { 0, 0.25f, 0.75f, 0 })]
    [InlineData(new float[] { -1e30f, -1e30f, -1e30f }, new float[] { 0, 1, 0 })]
    public void SoftmaxCrossEntropy_IsExactAtTheEdges_MaskedAndHugeLogits(float[] logits, float[] targets)
    {
        // The reference in double: Σⱼ yⱼ (m − zⱼ) + (Σy) log Σₖ e^(zₖ − m), terms of target 0 left out. Before: 0.6875 for
        // [1e6, 1e6, 0] (log 2 = 0.6931 rounded away against 1e6), 0 for [3e38, 3e38, −3e38], NaN with a masked logit.
        var z = new DenseTensor(logits, 1, logits.Length);
        var y = new DenseTensor(targets, 1, targets.Length);
        var loss = new SoftmaxCrossEntropy();
        var value = loss.Forward(z, y);
        var max = logits.Max(v => (double)v);
        var reference = targets.Sum(v => (double)v) * Math.Log(logits.Sum(v => Math.Exp(v - max)));
        for (var j = 0; j < logits.Length; j++)
            if (targets[j] != 0) reference += targets[j] * (max - logits[j]);
        Assert.True(float.IsFinite(value), $"{value}");
        Assert.True(Math.Abs(value - reference) <= 1e-6 * Math.Max(1, Math.Abs(reference)), $"{value} vs {reference}");
        var g = loss.Gradient(z, y);
        foreach (var v in g.Span.ToArray()) Assert.True(float.IsFinite(v));
    }

    [Fact]
    public void BinaryCrossEntropy_OnLogits_IsStable()
    {
        var z = new DenseTensor(new float[] { 200f, -200f, 0f }, 3, 1);
        var y = new DenseTensor(new float[] { 0f, 1f, 1f }, 3, 1);
        var loss = new BinaryCrossEntropy();
        Assert.Equal((200 + 200 + Math.Log(2)) / 3, loss.Forward(z, y), 3);
        Assert.Equal(new[] { 1 / 3f, -1 / 3f, -0.5f / 3 }, loss.Gradient(z, y).Span.ToArray());
    }

    [Fact]
    public void Regularizers_PenaltyAndGradient_SkipBiases()
    {
        var dense = new Dense(2, 1);
        new float[] { -2f, 3f }.CopyTo(dense.Weights.Value.Span);
        dense.Bias.Value[0] = 10f;
        var l1 = Regularizer.L1(0.5f);
        var l2 = Regularizer.L2(0.1f);
        Assert.Equal(0.5f * 5, l1.Penalty(dense.Parameters));
        Assert.Equal(0.1f * 13, l2.Penalty(dense.Parameters), 5);
        l2.AddGradient(dense.Parameters);
        Assert.Equal(new[] { 0.1f * -4, 0.1f * 6 }, dense.Weights.Gradient.Span.ToArray());
        Assert.Equal(0f, dense.Bias.Gradient[0]);
        l1.AddGradient(dense.Parameters);
        Assert.Equal(new[] { -0.4f - 0.5f, 0.6f + 0.5f }, dense.Weights.Gradient.Span.ToArray());
    }
}

public class OptimizerTests
{
    private static Parameter Param(float value, float gradient)
    {
        var p = new Parameter("p", new DenseTensor(new[] { value }, 1));
        p.Gradient[0] = gradient;
        return p;
    }

    [Fact]
    public void Sgd_IsThetaMinusAlphaGradient()
    {
        var p = Param(1f, 0.5f);
        new Sgd(0.1f).Step(new[] { p });
        Assert.Equal(1f - 0.1f * 0.5f, p.Value[0]);
    }

    [Fact]
    public void Momentum_FollowsItsFormula()
    {
        var p = Param(1f, 0.5f);
        var opt = new Momentum(0.1f, 0.9f);
        double theta = 1, v = 0;
        foreach (var g in new[] { 0.5, -0.25, 1.0 })
        {
            p.Gradient[0] = (float)g;
            opt.Step(new[] { p });
            v = 0.9 * v + g;
            theta -= 0.1 * v;
            Assert.Equal(theta, p.Value[0], 5);
        }
    }

    [Fact]
    public void Adam_FollowsItsFormula()
    {
        var p = Param(1f, 0f);
        var opt = new Adam(0.01f);
        double theta = 1, m = 0, v = 0;
        var t = 0;
        foreach (var g in new[] { 0.5, -0.25, 1.0, 0.1 })
        {
            t++;
            p.Gradient[0] = (float)g;
            opt.Step(new[] { p });
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            theta -= 0.01 * (m / (1 - Math.Pow(0.9, t))) / (Math.Sqrt(v / (1 - Math.Pow(0.999, t))) + 1e-8);
            Assert.Equal(theta, p.Value[0], 5);
        }
    }

    [Fact]
    public void Schedules()
    {
        Assert.Equal(0.1f * 0.5f * 0.5f, LearningRateSchedule.StepDecay(10, 0.5f).Rate(0.1f, 25), 6);
        Assert.Equal(0.1f * MathF.Pow(0.9f, 3), LearningRateSchedule.Exponential(0.9f).Rate(0.1f, 3), 6);
        var cosine = LearningRateSchedule.Cosine(100, 0.01f);
        Assert.Equal(0.1f, cosine.Rate(0.1f, 0), 6);
        Assert.Equal(0.055f, cosine.Rate(0.1f, 50), 5);
        Assert.Equal(0.01f, cosine.Rate(0.1f, 100), 6);
        var sgd = new Sgd(0.1f, LearningRateSchedule.StepDecay(1, 0.5f));
        var p = Param(0f, 1f);
        sgd.Step(new[] { p });
        sgd.Step(new[] { p });
        Assert.Equal(-0.1f - 0.05f, p.Value[0], 6);
    }

    [Fact]
    public void BadHyperparameters_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Momentum(0.1f, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(0.1f, epsilon: 0));
    }
}

/// <summary>A user's regularizer: Ω(w) = log(1 + w²), differentiated at build time in this test project.</summary>
public static partial class UserPenalty
{
    [Differentiable]
    public static float LogPenalty(float w) => MathF.Log(1f + w * w);
}

public class UserRegularizerTests
{
    [Fact]
    public void CustomRegularizer_UsesTheGeneratedDerivative()
    {
        var dense = new Dense(2, 1);
        new float[] { -2f, 0.5f }.CopyTo(dense.Weights.Value.Span);
        var r = Regularizer.Custom("log", 0.1f, UserPenalty.LogPenalty, UserPenalty.LogPenaltyDerivative);
        Assert.Equal(0.1 * (Math.Log(5) + Math.Log(1.25)), r.Penalty(dense.Parameters), 5);
        r.AddGradient(dense.Parameters);
        Assert.Equal(0.1f * 2 * -2f / 5f, dense.Weights.Gradient[0], 6);
        Assert.Equal(0.1f * 2 * 0.5f / 1.25f, dense.Weights.Gradient[1], 6);
    }
}
