using System;
using System.Collections.Generic;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using SymGrad.Layers;
using SymGrad.Tensors;

namespace SymGrad.Optimizers;

/// <summary>How the learning rate changes with the step count.</summary>
public abstract class LearningRateSchedule
{
    /// <summary>The rate at step <paramref name="step"/> (0-based) for the base rate α.</summary>
    public abstract float Rate(float baseRate, int step);

    /// <summary>α·γ^⌊step / every⌋.</summary>
    public static LearningRateSchedule StepDecay(int every, float gamma) => new Step(every, gamma);

    /// <summary>α·γ^step.</summary>
    public static LearningRateSchedule Exponential(float gamma) => new Exp(gamma);

    /// <summary>Cosine from α down to <paramref name="minimum"/> over <paramref name="steps"/> steps, then constant.</summary>
    public static LearningRateSchedule Cosine(int steps, float minimum = 0f) => new Cos(steps, minimum);

    private sealed class Step(int every, float gamma) : LearningRateSchedule
    {
        public override float Rate(float baseRate, int step) => baseRate * MathF.Pow(gamma, step / Math.Max(1, every));

        public override string ToString() => Invariant($"StepDecay({every}, {gamma:R})");
    }

    private sealed class Exp(float gamma) : LearningRateSchedule
    {
        public override float Rate(float baseRate, int step) => baseRate * MathF.Pow(gamma, step);

        public override string ToString() => Invariant($"Exponential({gamma:R})");
    }

    private sealed class Cos(int steps, float minimum) : LearningRateSchedule
    {
        public override float Rate(float baseRate, int step) =>
            step >= steps ? minimum : minimum + 0.5f * (baseRate - minimum) * (1f + MathF.Cos(MathF.PI * step / steps));

        public override string ToString() => Invariant($"Cosine({steps}, {minimum:R})");
    }

    private protected static string Invariant(FormattableString s) => FormattableString.Invariant(s);
}

/// <summary>
/// Updates parameters from their gradients. <see cref="Step"/> applies one update to every parameter with the
/// current learning rate (the base rate through the optional schedule) and counts the step.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<Parameter, DenseTensor[]> _state = new();

    /// <summary>An optimizer with base learning rate α.</summary>
    protected Optimizer(float learningRate, LearningRateSchedule? schedule)
    {
        if (!(learningRate > 0) || float.IsInfinity(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), "The learning rate must be a finite, positive number.");
        LearningRate = learningRate;
        Schedule = schedule;
    }

    /// <summary>The base learning rate α.</summary>
    public float LearningRate { get; }
    /// <summary>The schedule, if any.</summary>
    public LearningRateSchedule? Schedule { get; }
    /// <summary>Steps taken (the schedule's position; restored with the moments when training resumes).</summary>
    public int Steps { get; internal set; }
    /// <summary>The rate the next step uses.</summary>
    public float CurrentLearningRate => Schedule?.Rate(LearningRate, Steps) ?? LearningRate;

    /// <summary>One update of every parameter.</summary>
    public void Step(IReadOnlyList<Parameter> parameters)
    {
        var rate = CurrentLearningRate;
        Steps++;
        for (var i = 0; i < parameters.Count; i++) Update(parameters[i], rate, Steps);
    }

    /// <summary>
    /// The optimizer and its settings, <c>Adam(learning rate 0.001, β1 0.9, β2 0.999, ε 1E-08, Cosine(1000, 0))</c>: training
    /// checkpoints keep it, and a run resumes only with the same.
    /// </summary>
    public override string ToString() => FormattableString.Invariant($"{GetType().Name}(learning rate {LearningRate:R}{Settings()}{(Schedule is null ? "" : ", " + Schedule)})");

    /// <summary>The settings besides the learning rate and the schedule, each after ", " (none by default).</summary>
    protected virtual string Settings() => "";

    /// <summary>Updates one parameter; <paramref name="t"/> is the 1-based step number.</summary>
    protected abstract void Update(Parameter parameter, float rate, int t);

    /// <summary>The state tensors of <paramref name="parameter"/>, or null before its first update.</summary>
    internal DenseTensor[]? StateOf(Parameter parameter) => _state.TryGetValue(parameter, out var s) ? s : null;

    /// <summary>Replaces the state tensors of <paramref name="parameter"/> (a resumed run).</summary>
    internal void SetState(Parameter parameter, DenseTensor[] state) => _state[parameter] = state;

    /// <summary>
    /// Per-parameter state tensors (zero, parameter-shaped), created on first use. State kept here (moments, velocities)
    /// is what training checkpoints save with the step count, so a resumed run continues bit for bit.
    /// </summary>
    protected DenseTensor[] State(Parameter parameter, int count)
    {
        if (!_state.TryGetValue(parameter, out var s))
        {
            s = new DenseTensor[count];
            for (var i = 0; i < count; i++) s[i] = new DenseTensor(parameter.Value.Shape.ToArray());
            _state[parameter] = s;
        }
        return s;
    }
}

/// <summary>Gradient descent, the article's θ ← θ − α∇L.</summary>
public sealed class Sgd(float learningRate, LearningRateSchedule? schedule = null) : Optimizer(learningRate, schedule)
{
    /// <inheritdoc />
    protected override void Update(Parameter parameter, float rate, int t)
    {
        var theta = parameter.Value.Span;
        TensorPrimitives.MultiplyAdd(parameter.Gradient.Span, -rate, theta, theta);
    }
}

/// <summary>Momentum: v ← βv + ∇L, θ ← θ − αv.</summary>
public sealed class Momentum(float learningRate, float beta = 0.9f, LearningRateSchedule? schedule = null) : Optimizer(learningRate, schedule)
{
    /// <summary>β.</summary>
    public float Beta { get; } = beta is >= 0 and < 1 ? beta : throw new ArgumentOutOfRangeException(nameof(beta), "β must be in [0, 1).");

    /// <inheritdoc />
    protected override string Settings() => FormattableString.Invariant($", β {Beta:R}");

    /// <inheritdoc />
    protected override void Update(Parameter parameter, float rate, int t)
    {
        var v = State(parameter, 1)[0].Span;
        var g = parameter.Gradient.Span;
        var theta = parameter.Value.Span;
        TensorPrimitives.MultiplyAdd(v, Beta, g, v);
        TensorPrimitives.MultiplyAdd(v, -rate, theta, theta);
    }
}

/// <summary>
/// Adam: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − α m̂ / (√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).
/// </summary>
public sealed class Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, LearningRateSchedule? schedule = null)
    : Optimizer(learningRate, schedule)
{
    /// <summary>β₁.</summary>
    public float Beta1 { get; } = beta1 is >= 0 and < 1 ? beta1 : throw new ArgumentOutOfRangeException(nameof(beta1));
    /// <summary>β₂.</summary>
    public float Beta2 { get; } = beta2 is >= 0 and < 1 ? beta2 : throw new ArgumentOutOfRangeException(nameof(beta2));
    /// <summary>ε.</summary>
    public float Epsilon { get; } = epsilon > 0 ? epsilon : throw new ArgumentOutOfRangeException(nameof(epsilon));

    /// <inheritdoc />
    protected override string Settings() => FormattableString.Invariant($", β1 {Beta1:R}, β2 {Beta2:R}, ε {Epsilon:R}");

    /// <inheritdoc />
    protected override void Update(Parameter parameter, float rate, int t)
    {
        var state = State(parameter, 2);
        var m = state[0].Span;
        var v = state[1].Span;
        var g = parameter.Gradient.Span;
        var theta = parameter.Value.Span;
        var c1 = 1f / (1f - MathF.Pow(Beta1, t));
        var c2 = 1f / (1f - MathF.Pow(Beta2, t));
        // Element by element, in parts on the cores for large parameters (the same bits on any number of threads).
        if ((long)theta.Length * 12 < Threads.MinimumWork || Threads.Available == 1) Step(m, v, g, theta, rate, c1, c2, 0, theta.Length);
        else StepInParts(m, v, g, theta, rate, c1, c2);
    }

    private unsafe void StepInParts(Span<float> m, Span<float> v, ReadOnlySpan<float> g, Span<float> theta, float rate, float c1, float c2)
    {
        fixed (float* pm = m, pv = v, pg = g, pt = theta)
        {
            var (mp, vp, gp, tp, n) = ((IntPtr)pm, (IntPtr)pv, (IntPtr)pg, (IntPtr)pt, theta.Length);
            Threads.For(n, 1024, (long)n * 12, (first, end) =>
                Step(new Span<float>((float*)mp, n), new Span<float>((float*)vp, n), new ReadOnlySpan<float>((float*)gp, n), new Span<float>((float*)tp, n), rate, c1, c2, first, end));
        }
    }

    private void Step(Span<float> m, Span<float> v, ReadOnlySpan<float> g, Span<float> theta, float rate, float c1, float c2, int first, int end)
    {
        for (var i = first; i < end; i++)
        {
            m[i] = Beta1 * m[i] + (1f - Beta1) * g[i];
            v[i] = Beta2 * v[i] + (1f - Beta2) * g[i] * g[i];
            theta[i] -= rate * (m[i] * c1) / (MathF.Sqrt(v[i] * c2) + Epsilon);
        }
    }
}
