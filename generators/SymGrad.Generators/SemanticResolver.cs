using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SymGrad.Symbolic;

namespace SymGrad.Generators;

/// <summary>A call the front end asked about: the function to call, or why it cannot be differentiated through.</summary>
public readonly struct CallResolution
{
    private CallResolution(CallTarget? target, string? rejection)
    {
        Target = target;
        Rejection = rejection;
    }

    /// <summary>The function (its generated name and partial derivatives), when the call is supported.</summary>
    public CallTarget? Target { get; }
    /// <summary>Why the call is refused, when it is.</summary>
    public string? Rejection { get; }

    /// <summary>A supported call.</summary>
    public static CallResolution To(CallTarget target) => new(target, null);
    /// <summary>A refused call, and why.</summary>
    public static CallResolution Refused(string why) => new(null, why);
}

/// <summary>
/// What the names in a method body refer to, as the compiler binds them. The generator answers from the semantic
/// model (<see cref="SemanticResolver"/>); the CLI has none (every unknown name is a variable, calls by name).
/// </summary>
public interface ISymbolResolver
{
    /// <summary>The C# constant a name or member access denotes (a boxed int, long, float or double), or null.</summary>
    object? ConstantValue(ExpressionSyntax e);

    /// <summary>The value the compiler folds a constant expression to (<c>1L &lt;&lt; 40</c>), or null when it is not constant.</summary>
    object? FoldedConstant(ExpressionSyntax e);

    /// <summary>True when the invocation calls <c>System.Math</c>/<c>MathF</c> (not a user's method named Exp).</summary>
    bool IsMathCall(InvocationExpressionSyntax call);

    /// <summary>The function a non-Math call reaches, or why it cannot be differentiated through.</summary>
    CallResolution ResolveCall(InvocationExpressionSyntax call);

    /// <summary>Told of every call node read, with its syntax (for diagnostics placed on the call).</summary>
    void CallRead(Expr node, InvocationExpressionSyntax call);
}

/// <summary>The generator's <see cref="ISymbolResolver"/>: one method's semantic model.</summary>
internal sealed class SemanticResolver : ISymbolResolver
{
    private readonly SemanticModel _semantic;
    private readonly IMethodSymbol _method;
    private readonly int _position;
    private readonly CancellationToken _ct;
    private readonly Dictionary<string, bool> _mathClass = new(StringComparer.Ordinal);

    public SemanticResolver(SemanticModel semantic, IMethodSymbol method, int position, CancellationToken ct)
    {
        _semantic = semantic;
        _method = method;
        _position = position;
        _ct = ct;
    }

    /// <summary>The syntax of every call node read, first one first.</summary>
    public Dictionary<Expr, InvocationExpressionSyntax> CallSites { get; } = new();

    public void CallRead(Expr node, InvocationExpressionSyntax call)
    {
        if (!CallSites.ContainsKey(node)) CallSites[node] = call;
    }

    // A const field or local: its value as the compiler computed it (1 / 4 is the int 0, 1e-30f a binary32 number).
    public object? FoldedConstant(ExpressionSyntax e) => _semantic.GetConstantValue(e, _ct) is { HasValue: true } c ? c.Value : null;

    public object? ConstantValue(ExpressionSyntax e) =>
        _semantic.GetSymbolInfo(e, _ct).Symbol switch
        {
            IFieldSymbol { IsConst: true } f => f.ConstantValue,
            ILocalSymbol { IsConst: true } l => l.ConstantValue,
            _ => null,
        };

    /// <summary>
    /// <c>Math.Exp(u)</c> recognised from syntax once <c>Math</c> is known to name System.Math here: binding every call
    /// in the body would cost more than the rest of the generator together.
    /// </summary>
    public bool IsSyntacticMath(InvocationExpressionSyntax call)
    {
        if (call.Expression is not MemberAccessExpressionSyntax access) return false;
        var qualifier = access.Expression.ToString();
        if (!SystemMath.IsQualifier(qualifier)) return false;
        if (SystemMath.IsFullyQualified(qualifier)) return true;
        if (!_mathClass.TryGetValue(qualifier, out var isMath))
        {
            var found = _semantic.LookupNamespacesAndTypes(_position, null, qualifier);
            _mathClass[qualifier] = isMath = found.Length == 1 && found[0].ToDisplayString() == "System." + qualifier;
        }
        return isMath;
    }

    public bool IsMathCall(InvocationExpressionSyntax call)
    {
        if (IsSyntacticMath(call)) return true;
        // A call with wrong arguments binds to no symbol but still names its Math candidates.
        var info = _semantic.GetSymbolInfo(call, _ct);
        return (info.Symbol ?? info.CandidateSymbols.FirstOrDefault()) is IMethodSymbol m && SystemMath.Is(m);
    }

    private readonly HashSet<string> _differentiableCallees = new(StringComparer.Ordinal);

    /// <summary>The [Differentiable] methods the body calls (their keys): generated code calls their generated members.</summary>
    public IReadOnlyCollection<string> DifferentiableCallees => _differentiableCallees;

    /// <summary>The method a call binds to, if it binds.</summary>
    public IMethodSymbol? Callee(InvocationExpressionSyntax call) => _semantic.GetSymbolInfo(call, _ct).Symbol as IMethodSymbol;

    public CallResolution ResolveCall(InvocationExpressionSyntax call)
    {
        if (Callee(call) is not { } target) return CallResolution.Refused("it is not a System.Math function or a [Differentiable] method");
        var precision = _method.ReturnType.SpecialType;
        bool SamePrecision(IMethodSymbol m) => m.IsStatic && !m.IsGenericMethod && m.Parameters.Length >= 1 && m.ReturnType.SpecialType == precision &&
                                               m.Parameters.All(p => p.Type.SpecialType == precision && p.RefKind == RefKind.None && !p.IsParams);
        bool Scalar(IMethodSymbol m) => SamePrecision(m) && m.Parameters.Length == 1;
        string Name(IMethodSymbol m) => SymbolEqualityComparer.Default.Equals(m.ContainingType, _method.ContainingType)
            ? m.Name
            : m.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + m.Name;

        if (target.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == DifferentiableParser.DifferentiableAttribute) is { } calleeAttribute)
        {
            if (!SamePrecision(target))
                return CallResolution.Refused($"only static [Differentiable] methods whose parameters and result are all {(precision == SpecialType.System_Single ? "float" : "double")}, passed by value, can be called");
            var calleeNames = DifferentiableParser.AttributeVariables(calleeAttribute);
            var calleeVariables = calleeNames.Count > 0 ? calleeNames : DifferentiableParser.DefaultVariables(target);
            var calleeOrder = DifferentiableParser.Order(calleeAttribute);
            if (calleeVariables.Count > DifferentiableParser.MaxPartialMembers)
                return CallResolution.Refused($"it has {calleeVariables.Count} differentiable parameters, and a [Differentiable] method with more than " +
                                              $"{DifferentiableParser.MaxPartialMembers} gets no per-parameter partial members for the chain rule to call");
            _differentiableCallees.Add(MethodKey.Of(target));
            return CallResolution.To(CallTarget.Generated(Name(target), target.Parameters.Select(p => p.Name).ToList(), new HashSet<string>(calleeVariables), calleeOrder == 2));
        }
        // A function the engine cannot see into, with a [DerivativeOf(nameof(F))] method beside it.
        var derivative = target.ContainingType.GetMembers().OfType<IMethodSymbol>().FirstOrDefault(m =>
            m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == DifferentiableParser.DerivativeOfAttribute &&
                                       a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value as string == target.Name));
        if (derivative != null)
            return Scalar(target) && Scalar(derivative)
                ? CallResolution.To(CallTarget.Scalar(Name(target), Name(derivative)))
                : CallResolution.Refused($"it and its [DerivativeOf] method '{derivative.Name}' must both be static one-parameter methods of the same precision");
        return CallResolution.Refused("it is neither [Differentiable] nor given a [DerivativeOf] method, so SymGrad cannot differentiate through it");
    }
}
