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

    /// <summary>
    /// A static field (<c>static readonly double Alpha</c>) of type double, float or int that the name or member access
    /// denotes: read at run time, by its fully qualified name (<c>global::N.T.Alpha</c>), with its C# type; else null.
    /// </summary>
    (string Access, NumericType Type)? RuntimeConstant(ExpressionSyntax e);

    /// <summary>The value the compiler folds a constant expression to (<c>1L &lt;&lt; 40</c>), or null when it is not constant.</summary>
    object? FoldedConstant(ExpressionSyntax e);

    /// <summary>
    /// When the invocation calls a math function (<c>System.Math</c>, <c>MathF</c>, <c>double</c> or <c>float</c>; not a
    /// user's method named Exp), which of those types: "Math", "MathF", "double" or "float"; else null.
    /// </summary>
    string? MathClass(InvocationExpressionSyntax call);

    /// <summary>The function a non-Math call reaches, or why it cannot be differentiated through.</summary>
    CallResolution ResolveCall(InvocationExpressionSyntax call);

    /// <summary>Told of every call node read, with its syntax (for diagnostics placed on the call).</summary>
    void CallRead(Expr node, InvocationExpressionSyntax call);

    /// <summary>Told of every math function read, with the node it became (for SG0008 where the node reaches a value).</summary>
    void MathCallRead(Expr node, InvocationExpressionSyntax call);
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

    /// <summary>Every math function call read, with the node it became, in reading order.</summary>
    public List<(InvocationExpressionSyntax Call, Expr Node)> MathCalls { get; } = new();

    public void MathCallRead(Expr node, InvocationExpressionSyntax call) => MathCalls.Add((call, node));

    // A const field or local: its value as the compiler computed it (1 / 4 is the int 0, 1e-30f a binary32 number).
    public object? FoldedConstant(ExpressionSyntax e) => _semantic.GetConstantValue(e, _ct) is { HasValue: true } c ? c.Value : null;

    public (string Access, NumericType Type)? RuntimeConstant(ExpressionSyntax e)
    {
        if (_semantic.GetSymbolInfo(e, _ct).Symbol is not IFieldSymbol { IsStatic: true, IsConst: false } f) return null;
        NumericType? type = f.Type.SpecialType switch
        {
            SpecialType.System_Double => NumericType.Double,
            SpecialType.System_Single => NumericType.Float,
            SpecialType.System_Int32 => NumericType.Int,
            _ => null,
        };
        if (type is null) return null;
        return (f.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + f.Name, type.Value);
    }

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
            _mathClass[qualifier] = isMath = found.Length == 1 && found[0] is INamedTypeSymbol { ContainingNamespace: { } ns } type &&
                                             ns.ToDisplayString() == "System" && type.MetadataName == qualifier;
        }
        return isMath;
    }

    public string? MathClass(InvocationExpressionSyntax call)
    {
        if (IsSyntacticMath(call)) return ((MemberAccessExpressionSyntax)call.Expression).Expression.ToString();
        // A call with wrong arguments binds to no symbol but still names its Math candidates; an alias
        // (using M = System.Math) and using static System.Math bind to the same methods.
        var info = _semantic.GetSymbolInfo(call, _ct);
        return (info.Symbol ?? info.CandidateSymbols.FirstOrDefault()) is IMethodSymbol m ? SystemMath.Qualifier(m) : null;
    }

    private readonly HashSet<string> _differentiableCallees = new(StringComparer.Ordinal);

    /// <summary>The [Differentiable] methods the body calls (their keys): generated code calls their generated members.</summary>
    public IReadOnlyCollection<string> DifferentiableCallees => _differentiableCallees;

    /// <summary>The method a call binds to, if it binds.</summary>
    public IMethodSymbol? Callee(InvocationExpressionSyntax call) => _semantic.GetSymbolInfo(call, _ct).Symbol as IMethodSymbol;

    public CallResolution ResolveCall(InvocationExpressionSyntax call)
    {
        if (Callee(call) is not { } target)
        {
            // A method that exists but takes other arguments (a float-only [Differentiable] function called with a double)
            // says so, not that it is unknown.
            var candidates = _semantic.GetSymbolInfo(call, _ct).CandidateSymbols.OfType<IMethodSymbol>().ToList();
            return CallResolution.Refused(candidates.Count == 0
                ? "it is not a System.Math function or a [Differentiable] method"
                : "no overload of it takes these arguments: it takes " + string.Join(" or ", candidates.Select(c => "(" + string.Join(", ", c.Parameters.Select(p => p.Type.ToDisplayString())) + ")")));
        }
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
            // Another assembly's method: its generated members must be there (that assembly was built with the generator).
            if (!SymbolEqualityComparer.Default.Equals(target.ContainingAssembly, _method.ContainingAssembly) &&
                !calleeVariables.All(v => target.ContainingType.GetMembers(calleeVariables.Count == 1 ? target.Name + "Derivative" : target.Name + "Partial_" + v).Length > 0))
                return CallResolution.Refused($"'{target.ContainingType.Name}' in {target.ContainingAssembly.Name} has no generated partials for it (that assembly was built without SymGrad's generator)");
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
