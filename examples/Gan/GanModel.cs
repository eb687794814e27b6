using System;
using SymGrad;

namespace SymGrad.Examples;

/// <summary>
/// A generator G and a discriminator D, both one-hidden-layer tanh networks on scalars, and their two losses as plain
/// methods over a minibatch. SymGrad generates <c>DiscriminatorLossGradient</c> and <c>GeneratorLossGradient</c>
/// (the gradients with respect to each network's own weights, the other network's weights held as data) at build time.
/// <para>G(z) = c2 + Σ_h a2[h]·tanh(a1[h]·z + c1[h]) and D(x) = σ(d2 + Σ_h v2[h]·tanh(v1[h]·x + d1[h])).</para>
/// </summary>
public static partial class GanModel
{
    /// <summary>
    /// −(1/m) Σ log D(real_i) − (1/m) Σ log(1 − D(fake_i)): the discriminator's binary cross-entropy, real samples
    /// labelled 1 and generated ones 0. Written with σ as it is in the textbook; the engine keeps log σ(u) and
    /// log(1 − σ(u)) finite (as −softplus(−u) and −softplus(u)) when D saturates.
    /// </summary>
    [Differentiable(nameof(v1), nameof(d1), nameof(v2), nameof(d2))]
    public static double DiscriminatorLoss(ReadOnlySpan<double> v1, ReadOnlySpan<double> d1, ReadOnlySpan<double> v2, double d2,
        ReadOnlySpan<double> real, ReadOnlySpan<double> fake)
    {
        var onReal = 0.0;
        for (var i = 0; i < real.Length; i++)
        {
            var u = d2;
            for (var h = 0; h < v1.Length; h++) u += v2[h] * Math.Tanh(v1[h] * real[i] + d1[h]);
            onReal -= Math.Log(1 / (1 + Math.Exp(-u)));
        }
        var onFake = 0.0;
        for (var i = 0; i < fake.Length; i++)
        {
            var u = d2;
            for (var h = 0; h < v1.Length; h++) u += v2[h] * Math.Tanh(v1[h] * fake[i] + d1[h]);
            onFake -= Math.Log(1 - 1 / (1 + Math.Exp(-u)));
        }
        return onReal / real.Length + onFake / fake.Length;
    }

    /// <summary>
    /// The non-saturating generator loss, −(1/m) Σ log D(G(z_i)): G is differentiated through D (whose weights are data
    /// here), so its gradient says which way to move each sample to look more real.
    /// </summary>
    [Differentiable(nameof(a1), nameof(c1), nameof(a2), nameof(c2))]
    public static double GeneratorLoss(ReadOnlySpan<double> a1, ReadOnlySpan<double> c1, ReadOnlySpan<double> a2, double c2,
        ReadOnlySpan<double> v1, ReadOnlySpan<double> d1, ReadOnlySpan<double> v2, double d2, ReadOnlySpan<double> z)
    {
        var s = 0.0;
        for (var i = 0; i < z.Length; i++)
        {
            var x = c2;
            for (var h = 0; h < a1.Length; h++) x += a2[h] * Math.Tanh(a1[h] * z[i] + c1[h]);
            var u = d2;
            for (var h = 0; h < v1.Length; h++) u += v2[h] * Math.Tanh(v1[h] * x + d1[h]);
            s -= Math.Log(1 / (1 + Math.Exp(-u)));
        }
        return s / z.Length;
    }

    /// <summary>G(z), to draw samples (no gradient needed).</summary>
    public static double Generate(ReadOnlySpan<double> a1, ReadOnlySpan<double> c1, ReadOnlySpan<double> a2, double c2, double z)
    {
        var x = c2;
        for (var h = 0; h < a1.Length; h++) x += a2[h] * Math.Tanh(a1[h] * z + c1[h]);
        return x;
    }
}
