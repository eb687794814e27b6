using System;
using SymGrad.Functions;
using SymGrad.Tensors;

namespace SymGrad.Layers;

/// <summary>
/// A scalar function and its derivative, as static members so a layer over it compiles to a direct, inlinable
/// call. The built-in ones forward to the runtime's <see cref="DifferentiableAttribute"/> functions and their
/// generated derivatives; a user's own is two lines over theirs.
/// </summary>
public interface IScalarFunction
{
    /// <summary>f(x).</summary>
    static abstract float Value(float x);
    /// <summary>f′(x).</summary>
    static abstract float Derivative(float x);

    /// <summary>True when <see cref="DerivativeFromValue"/> gives f′ from y = f(x) (the generated <c>{Name}DerivativeFromValue</c>).</summary>
    static virtual bool HasDerivativeFromValue => false;
    /// <summary>f′ as a function of the output y = f(x): a backward pass that kept its outputs evaluates no f again.</summary>
    static virtual float DerivativeFromValue(float y) => throw new NotSupportedException();
    /// <summary>True when <see cref="ApplyAll"/> computes f over a whole span (vectorised).</summary>
    static virtual bool HasApplyAll => false;
    /// <summary>y = f(x) for a whole span.</summary>
    static virtual void ApplyAll(ReadOnlySpan<float> x, Span<float> y) => throw new NotSupportedException();
}

/// <summary>σ, with the generated σ′ = σ(1 − σ), from the output y as y(1 − y); the forward pass vectorised.</summary>
public readonly struct Sigmoid : IScalarFunction
{
    /// <inheritdoc />
    public static float Value(float x) => Activations.Sigmoid(x);
    /// <inheritdoc />
    public static float Derivative(float x) => Activations.SigmoidDerivative(x);
    /// <inheritdoc />
    public static bool HasDerivativeFromValue => true;
    /// <inheritdoc />
    public static float DerivativeFromValue(float y) => Activations.SigmoidDerivativeFromValue(y);
    /// <inheritdoc />
    public static bool HasApplyAll => true;
    /// <inheritdoc />
    public static void ApplyAll(ReadOnlySpan<float> x, Span<float> y) => System.Numerics.Tensors.TensorPrimitives.Sigmoid(x, y);
}

/// <summary>tanh, with the generated tanh′ = 1 − tanh², from the output y as 1 − y²; the forward pass vectorised.</summary>
public readonly struct Tanh : IScalarFunction
{
    /// <inheritdoc />
    public static float Value(float x) => Activations.Tanh(x);
    /// <inheritdoc />
    public static float Derivative(float x) => Activations.TanhDerivative(x);
    /// <inheritdoc />
    public static bool HasDerivativeFromValue => true;
    /// <inheritdoc />
    public static float DerivativeFromValue(float y) => Activations.TanhDerivativeFromValue(y);
    /// <inheritdoc />
    public static bool HasApplyAll => true;
    /// <inheritdoc />
    public static void ApplyAll(ReadOnlySpan<float> x, Span<float> y) => System.Numerics.Tensors.TensorPrimitives.Tanh(x, y);
}

/// <summary>ReLU, with the generated derivative (0 at 0); the forward pass vectorised.</summary>
public readonly struct Relu : IScalarFunction
{
    /// <inheritdoc />
    public static float Value(float x) => Activations.Relu(x);
    /// <inheritdoc />
    public static float Derivative(float x) => Activations.ReluDerivative(x);
    /// <inheritdoc />
    public static bool HasApplyAll => true;
    /// <inheritdoc />
    public static void ApplyAll(ReadOnlySpan<float> x, Span<float> y) => System.Numerics.Tensors.TensorPrimitives.Max(x, 0f, y);
}

/// <summary>Leaky ReLU (slope 0.01 below 0), with the generated derivative.</summary>
public readonly struct LeakyRelu : IScalarFunction
{
    /// <inheritdoc />
    public static float Value(float x) => Activations.LeakyRelu(x);
    /// <inheritdoc />
    public static float Derivative(float x) => Activations.LeakyReluDerivative(x);
}

/// <summary>Softplus, with the generated derivative σ(x).</summary>
public readonly struct Softplus : IScalarFunction
{
    /// <inheritdoc />
    public static float Value(float x) => Activations.Softplus(x);
    /// <inheritdoc />
    public static float Derivative(float x) => Activations.SoftplusDerivative(x);
}

/// <summary>
/// An elementwise activation layer: y = f(x), ∂L/∂x = ∂L/∂y · f′(x). Subclasses supply the two loops; this class
/// keeps the buffers and the input.
/// </summary>
public abstract class ElementwiseActivation : Layer
{
    private readonly BufferCache _output = new(), _inputGradient = new();
    private DenseTensor? _input, _outputKept;
    // The two loops as delegates made once (a training step allocates nothing).
    private Threads.Slices? _apply, _applyDerivative;

    /// <summary>y = f(x) elementwise.</summary>
    protected abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>dx = dy · f′(x) elementwise (<paramref name="y"/> = f(x), kept from the forward pass).</summary>
    protected abstract void ApplyDerivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> input) => input.ToArray();

    /// <inheritdoc />
    public override DenseTensor Forward(DenseTensor input, bool training)
    {
        var output = _output.Get(input.Shape);
        // On the cores for large tensors (each element as on one thread: the same bits).
        Threads.Elementwise(input.Span, default, default, output.Span, 8, _apply ??= (x, _, _, y) => Apply(x, y));
        _input = input;
        _outputKept = output;
        return output;
    }

    /// <inheritdoc />
    public override DenseTensor Backward(DenseTensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException($"{this}: Backward before Forward.");
        var result = _inputGradient.Get(input.Shape);
        Threads.Elementwise(input.Span, _outputKept!.Span, outputGradient.Span, result.Span, 8, _applyDerivative ??= ApplyDerivative);
        return result;
    }
}

/// <summary>An activation over a static <see cref="IScalarFunction"/> (built in, or a user's struct over their generated derivative).</summary>
public sealed class Activation<TFunction> : ElementwiseActivation where TFunction : IScalarFunction
{
    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        if (TFunction.HasApplyAll)
        {
            TFunction.ApplyAll(x, y);
            return;
        }
        for (var i = 0; i < x.Length; i++) y[i] = TFunction.Value(x[i]);
    }

    /// <inheritdoc />
    protected override void ApplyDerivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        // (TFunction is a struct: the JIT specialises this per function and drops the branch not taken.)
        if (TFunction.HasDerivativeFromValue)
            for (var i = 0; i < y.Length; i++) dx[i] = dy[i] * TFunction.DerivativeFromValue(y[i]);
        else
            for (var i = 0; i < x.Length; i++) dx[i] = dy[i] * TFunction.Derivative(x[i]);
    }

    /// <inheritdoc />
    public override string ToString() => typeof(TFunction).Name;
}

/// <summary>
/// An activation from any function and its derivative, e.g. a user's <c>[Differentiable] float Swish(float x)</c>
/// and the generated <c>SwishDerivative</c>: <c>new FunctionActivation(Model.Swish, Model.SwishDerivative)</c>.
/// </summary>
public sealed class FunctionActivation : ElementwiseActivation
{
    private readonly Func<float, float> _value, _derivative;
    private readonly string _name;

    /// <summary>An activation from f and f′.</summary>
    public FunctionActivation(Func<float, float> value, Func<float, float> derivative, string? name = null)
    {
        _value = value ?? throw new ArgumentNullException(nameof(value));
        _derivative = derivative ?? throw new ArgumentNullException(nameof(derivative));
        _name = name ?? value.Method.Name;
    }

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        for (var i = 0; i < x.Length; i++) y[i] = _value(x[i]);
    }

    /// <inheritdoc />
    protected override void ApplyDerivative(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (var i = 0; i < x.Length; i++) dx[i] = dy[i] * _derivative(x[i]);
    }

    /// <inheritdoc />
    public override string ToString() => _name;
}
