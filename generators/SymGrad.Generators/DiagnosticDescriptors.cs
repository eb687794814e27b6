using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace SymGrad.Generators;

/// <summary>Every diagnostic the generator reports. Documented in docs/diagnostics.md; tracked in AnalyzerReleases.*.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "SymGrad";

    /// <summary>
    /// The repository the help links point into: RepositoryUrl of Directory.Build.props (a test holds the two equal).
    /// </summary>
    public const string RepositoryUrl = "https://github.com/symgrad/symgrad";

    /// <summary>The entry of <paramref name="id"/> in docs/diagnostics.md (GitHub's anchor for the heading <c>## SG0001</c>).</summary>
    public static string HelpLink(string id) => RepositoryUrl + "/blob/main/docs/diagnostics.md#" + id.ToLowerInvariant();

    public static readonly DiagnosticDescriptor MethodNotStatic = new(
        "SG0001", "Differentiable method must be static",
        "'{0}' must be static to be differentiated", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0001"));

    public static readonly DiagnosticDescriptor TypeNotPartial = new(
        "SG0002", "Containing type must be partial",
        "'{0}' must be declared partial so that SymGrad can add the derivative of '{1}' to it", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0002"));

    public static readonly DiagnosticDescriptor UnsupportedStatement = new(
        "SG0003", "Unsupported statement in a differentiable method",
        "{0} cannot be differentiated: {1}", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0003"));

    public static readonly DiagnosticDescriptor UnsupportedExpression = new(
        "SG0004", "Unsupported expression in a differentiable method",
        "'{0}' cannot be differentiated: {1}", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0004"));

    public static readonly DiagnosticDescriptor UnsupportedType = new(
        "SG0005", "Unsupported method signature",
        "'{0}' cannot be differentiated: {1}", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0005"));

    public static readonly DiagnosticDescriptor UnknownVariable = new(
        "SG0006", "Differentiation variable is not a parameter",
        "'{0}' is not a floating-point parameter of '{1}'", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0006"));

    public static readonly DiagnosticDescriptor DerivativeIsZero = new(
        "SG0007", "Derivative is identically zero",
        "The derivative of '{0}' with respect to '{1}' is identically zero", Category, DiagnosticSeverity.Warning, true, helpLinkUri: HelpLink("SG0007"));

    public static readonly DiagnosticDescriptor NonDifferentiablePoint = new(
        "SG0008", "Function is not differentiable everywhere",
        "'{0}' is not differentiable at {1}; SymGrad uses {2} there", Category, DiagnosticSeverity.Warning, true, helpLinkUri: HelpLink("SG0008"));

    public static readonly DiagnosticDescriptor Recursion = new(
        "SG0009", "Recursive differentiable method",
        "'{0}' calls itself; recursion cannot be differentiated symbolically", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0009"));

    public static readonly DiagnosticDescriptor NoVariables = new(
        "SG0010", "Nothing to differentiate",
        "'{0}' has no floating-point parameter to differentiate with respect to", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0010"));

    public static readonly DiagnosticDescriptor InvalidOrder = new(
        "SG0011", "Unsupported derivative order",
        "Order {0} is not supported; use 1 or 2", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0011"));

    public static readonly DiagnosticDescriptor AmbiguousOverload = new(
        "SG0012", "Overloaded differentiable methods",
        "'{0}' has another [Differentiable] overload of the same precision; give the methods distinct names", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0012"));

    public static readonly DiagnosticDescriptor InternalError = new(
        "SG0013", "SymGrad internal error",
        "SymGrad could not process '{0}': {1}; please report this with the method's source", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0013"));

    public static readonly DiagnosticDescriptor LoopBoundNotInt = new(
        "SG0014", "Loop bound is not an int",
        "The bound '{0}' is {1}; a loop runs a whole number of times, so its bound must be an int expression", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0014"));

    public static readonly DiagnosticDescriptor UnsupportedConversion = new(
        "SG0015", "Conversion SymGrad does not differentiate through",
        "'{0}' converts {1} to {2}, which {3}", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0015"));

    public static readonly DiagnosticDescriptor UnsupportedArithmetic = new(
        "SG0016", "C# arithmetic SymGrad does not differentiate",
        "'{0}': {1} is not supported in a differentiable method; {2}", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0016"));

    public static readonly DiagnosticDescriptor MissingReturn = new(
        "SG0017", "Not every path returns",
        "Every path of a differentiable method must end with 'return'; {0} does not", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0017"));

    public static readonly DiagnosticDescriptor UnsupportedLoopForm = new(
        "SG0018", "Loop form SymGrad does not differentiate",
        "'{0}': {1}; write 'for (var i = 0; i < count; i++)'", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0018"));

    public static readonly DiagnosticDescriptor UnsupportedLoopBody = new(
        "SG0019", "Loop that is not a sum or a max",
        "{0} in a differentiable loop: {1}", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0019"));

    public static readonly DiagnosticDescriptor UnknownName = new(
        "SG0020", "Unknown name in a differentiable method",
        "'{0}' is not a {1} of this method", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0020"));

    public static readonly DiagnosticDescriptor UnsupportedCall = new(
        "SG0021", "Call SymGrad cannot differentiate",
        "'{0}': {1}", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0021"));

    public static readonly DiagnosticDescriptor UnsupportedArrayAccess = new(
        "SG0022", "Unsupported use of an array or span",
        "'{0}': {1}", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0022"));

    public static readonly DiagnosticDescriptor DivisionByZero = new(
        "SG0023", "Division by the constant zero",
        "'{0}' divides by zero: the divisor is always 0", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0023"));

    public static readonly DiagnosticDescriptor UnsupportedParameter = new(
        "SG0024", "Unsupported parameter",
        "Parameter '{0}' must be {1}, not '{2}'", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0024"));

    public static readonly DiagnosticDescriptor IndexedSecondOrder = new(
        "SG0025", "No full Hessian for an indexed method",
        "'{0}' has array variables of rank 2 or more: it gets {0}HessianVectorProduct, but no full {0}Hessian", Category, DiagnosticSeverity.Warning, true, helpLinkUri: HelpLink("SG0025"));

    public static readonly DiagnosticDescriptor NotAMethodOfAType = new(
        "SG0026", "Not a method SymGrad can add members beside",
        "'{0}' is {1}; SymGrad differentiates static methods of partial, non-file-local types", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0026"));

    public static readonly DiagnosticDescriptor MemberNameTaken = new(
        "SG0027", "A generated member's name is taken",
        "'{0}' would be generated for '{1}', but {2}; rename one", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0027"));

    public static readonly DiagnosticDescriptor RecurrenceSecondOrder = new(
        "SG0028", "No second derivatives through a loop that carries state",
        "'{0}' has a loop that carries state (a recurrence): its gradient is generated (backpropagation through time), its second derivatives are not; use Order = 1", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0028"));

    public static readonly DiagnosticDescriptor NoTorchFunction = new(
        "SG0029", "No TorchSharp function for this method",
        "'{0}' has no TorchSharp function: {1}", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0029"));

    public static readonly DiagnosticDescriptor NeedsSpan = new(
        "SG0030", "Method needs Span<T>, which the target framework lacks",
        "'{0}' cannot be generated for this target framework: {1}", Category, DiagnosticSeverity.Error, true, helpLinkUri: HelpLink("SG0030"));

    public static readonly IReadOnlyList<DiagnosticDescriptor> All = new[]
    {
        MethodNotStatic, TypeNotPartial, UnsupportedStatement, UnsupportedExpression, UnsupportedType, UnknownVariable,
        DerivativeIsZero, NonDifferentiablePoint, Recursion, NoVariables, InvalidOrder, AmbiguousOverload, InternalError,
        LoopBoundNotInt, UnsupportedConversion, UnsupportedArithmetic, MissingReturn, UnsupportedLoopForm, UnsupportedLoopBody,
        UnknownName, UnsupportedCall, UnsupportedArrayAccess, DivisionByZero, UnsupportedParameter, IndexedSecondOrder,
        NotAMethodOfAType, MemberNameTaken, RecurrenceSecondOrder, NoTorchFunction, NeedsSpan,
    };

    private static readonly Dictionary<string, DiagnosticDescriptor> Index = All.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor ById(string id) => Index[id];
}
