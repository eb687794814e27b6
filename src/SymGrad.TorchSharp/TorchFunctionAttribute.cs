using System;

namespace SymGrad.Torch;

/// <summary>
/// Beside <c>[Differentiable]</c> on an element-wise method (every parameter a <c>float</c>, a <c>double</c>, or a vector of
/// them whose loops are reductions over its length — the tensors' last axis, leading axes a batch): SymGrad
/// also generates the method as a TorchSharp autograd function — <c>{Name}Function</c>, a
/// <c>torch.autograd.SingleTensorFunction</c> whose forward computes the value over tensors element by element and whose
/// backward multiplies the incoming gradient by the generated partials — with <c>{Name}(Tensor …)</c> to call it and, for
/// a function of one tensor, <c>{Name}Module()</c> for <c>torch.nn.Sequential</c>. Parameters are tensors (broadcast
/// against each other) except the ones named here, which stay <c>double</c> constants (a loss's γ); gradients are
/// returned for the differentiation variables only (a target tensor gets none, even when it requires one). The forward pass keeps the inputs and the transcendental subterms the
/// backward pass needs (a tanh, an exp), nothing else.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class TorchFunctionAttribute : Attribute
{
    /// <summary>A function whose parameters are all tensors but the named <paramref name="scalars"/>.</summary>
    public TorchFunctionAttribute(params string[] scalars) => Scalars = scalars;

    /// <summary>The parameters passed as plain <c>double</c>s.</summary>
    public string[] Scalars { get; }
}
