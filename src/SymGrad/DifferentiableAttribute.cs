using System;

namespace SymGrad;

/// <summary>
/// Marks a static method of a <c>partial</c> type for build-time differentiation. The SymGrad source generator
/// emits, into the same type, <c>{Name}Derivative</c> (one variable) or <c>{Name}Gradient</c> (several), a
/// <c>Span</c> overload for optimizers, Hessian members for <see cref="Order"/> 2, and a nested
/// <c>{Name}Derivation</c> class with the LaTeX formula, partials and step-by-step derivation.
/// </summary>
/// <example>
/// <code>
/// [Differentiable(nameof(w), nameof(b))]
/// public static double SquaredError(double w, double b, double x, double y) => 0.5 * (y - (w * x + b)) * (y - (w * x + b));
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class DifferentiableAttribute : Attribute
{
    /// <summary>Differentiate with respect to every floating-point parameter not marked <see cref="NoDiffAttribute"/>.</summary>
    public DifferentiableAttribute() => Variables = Array.Empty<string>();

    /// <summary>Differentiate with respect to the named parameters only (use <c>nameof</c>).</summary>
    public DifferentiableAttribute(params string[] variables) => Variables = variables;

    /// <summary>The parameters to differentiate with respect to; empty means all.</summary>
    public string[] Variables { get; }

    /// <summary>1 for first derivatives (the default); 2 adds the Hessian and the Hessian-vector product.</summary>
    public int Order { get; set; } = 1;
}

/// <summary>Marks a parameter of a <see cref="DifferentiableAttribute"/> method as held constant (data, not a variable).</summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class NoDiffAttribute : Attribute
{
}

/// <summary>
/// Supplies the derivative of a function the engine cannot see into: put it on a static method
/// <c>double FSlope(double u)</c> to declare it the derivative of <c>double F(double u)</c> in the same type;
/// <see cref="DifferentiableAttribute"/> methods that call <c>F</c> then use it in the chain rule.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class DerivativeOfAttribute : Attribute
{
    /// <summary>Declares this method the derivative of <paramref name="function"/> (use <c>nameof</c>).</summary>
    public DerivativeOfAttribute(string function) => Function = function;

    /// <summary>The name of the function this method is the derivative of.</summary>
    public string Function { get; }
}
