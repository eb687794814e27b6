using System;
using SymGrad;

namespace SymGrad.Examples;

/// <summary>
/// A softmax policy, linear in the state features: the preference for action a is z_a = Σ_j w[a·F + j]·s_j and
/// π(a|s) = e^{z_a} / Σ_b e^{z_b}. Its log-probability is a plain method; SymGrad generates
/// <c>LogProbabilityGradient(w, s, action, dw)</c>, ∇_w log π(action|s) = (onehot(action) − π(·|s)) ⊗ s, at build time.
/// </summary>
public static partial class Policy
{
    /// <summary>Two actions: push the cart left (0) or right (1).</summary>
    public const int Actions = 2;

    /// <summary>log π(action|s) = z_action − log Σ_b e^{z_b}, for weights w laid out row by row (one row per action).</summary>
    [Differentiable(nameof(w))]
    public static double LogProbability(ReadOnlySpan<double> w, ReadOnlySpan<double> s, int action)
    {
        var norm = 0.0;
        for (var b = 0; b < Actions; b++)
        {
            var z = 0.0;
            for (var j = 0; j < s.Length; j++) z += w[b * s.Length + j] * s[j];
            norm += Math.Exp(z);
        }
        var chosen = 0.0;
        for (var j = 0; j < s.Length; j++) chosen += w[action * s.Length + j] * s[j];
        return chosen - Math.Log(norm);
    }

    /// <summary>Samples an action from π(·|s): the probabilities are the same method's values, e^{log π}.</summary>
    public static int Sample(ReadOnlySpan<double> w, ReadOnlySpan<double> s, Random random)
    {
        var u = random.NextDouble();
        for (var a = 0; a < Actions - 1; a++)
        {
            u -= Math.Exp(LogProbability(w, s, a));
            if (u < 0) return a;
        }
        return Actions - 1;
    }

    /// <summary>The likelier action.</summary>
    public static int Greedy(ReadOnlySpan<double> w, ReadOnlySpan<double> s)
    {
        var best = 0;
        for (var a = 1; a < Actions; a++)
            if (LogProbability(w, s, a) > LogProbability(w, s, best)) best = a;
        return best;
    }
}
