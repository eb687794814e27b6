using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using SymGrad.Symbolic;

namespace SymGrad.Generators;

/// <summary>Where a diagnostic goes, without holding a syntax tree.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Location? location) =>
        location is null || location.SourceTree is null
            ? null
            : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public static LocationInfo? From(SyntaxNode node) => From(node.GetLocation());

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    /// <summary>
    /// The location in the current tree of that path (from <paramref name="trees"/>) when it still holds the span: a
    /// location in a syntax tree is what <c>#pragma warning disable</c> is matched against (one by path alone never is).
    /// </summary>
    public Location ToLocation(SourceTrees trees) =>
        trees.ByPath(FilePath) is { } tree && tree.Length >= Span.End ? Location.Create(tree, Span) : ToLocation();
}

/// <summary>A compilation's syntax trees by file path, indexed on first use (most reports have no diagnostic).</summary>
internal sealed class SourceTrees(Compilation compilation)
{
    private System.Collections.Generic.Dictionary<string, SyntaxTree>? _byPath;

    public SyntaxTree? ByPath(string path)
    {
        if (_byPath is null)
        {
            _byPath = new System.Collections.Generic.Dictionary<string, SyntaxTree>(System.StringComparer.Ordinal);
            foreach (var tree in compilation.SyntaxTrees)
                if (!_byPath.ContainsKey(tree.FilePath)) _byPath[tree.FilePath] = tree;
        }
        return _byPath.TryGetValue(path, out var found) ? found : null;
    }
}

/// <summary>A diagnostic to report, as plain data.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public Diagnostic ToDiagnostic(SourceTrees trees) =>
        Diagnostic.Create(DiagnosticDescriptors.ById(Id), Location?.ToLocation(trees), System.Linq.Enumerable.ToArray<object>(Arguments));
}

/// <summary>A containing type declaration, outermost first: <c>partial class Model&lt;T&gt;</c>.</summary>
internal sealed record TypeDeclarationInfo(string Keyword, string Name, string TypeParameters);

/// <summary>
/// One <c>[Differentiable]</c> method as the emitter needs it: names, types and the body as an expression of the
/// engine (interned, so structurally equal bodies compare equal and the pipeline caches); with a loop that carries state,
/// that loop (<see cref="Recurrence"/>) and the body as the value after it.
/// </summary>
internal sealed record MethodModel(
    string? Namespace,
    EquatableArray<TypeDeclarationInfo> ContainingTypes,
    string TypeDisplayName,
    string Name,
    string Accessibility,
    bool IsFloat,
    EquatableArray<string> Parameters,
    EquatableArray<int> Ranks,
    string CrefParameters,
    EquatableArray<string> ParameterTypes,
    EquatableArray<string> Variables,
    int Order,
    Expr Body,
    EquatableArray<string> Callees,
    LocationInfo? AttributeLocation,
    Recurrence? Recurrence = null,
    TorchInfo? Torch = null,
    TargetInfo? Target = null)
{
    /// <summary>What the project compiles against (null: a modern .NET with C# 10 or later).</summary>
    public TargetInfo TargetOrModern => Target ?? TargetInfo.Modern;

    /// <summary>The method's identity among the generator's methods (<see cref="MethodKey"/>).</summary>
    public string Key => MethodKey.Of(TypeDisplayName, Name, IsFloat);
}

/// <summary>
/// What the user's project compiles against, as far as generated code depends on it: <c>System.MathF</c> (.NET Core 2.0,
/// netstandard2.1; without it float code calls <c>Math</c> and casts), <c>double.Hypot</c> (.NET 7; without it
/// <c>Math.Sqrt(a * a + b * b)</c>), <c>System.Span&lt;T&gt;</c> (without it the span
/// overloads are left out and indexed methods refused, SG0030) and the C# version (below 10 a block namespace, below 8
/// no <c>#nullable</c>): netstandard2.0 and .NET Framework projects at C# 7.3 get code they compile.
/// </summary>
internal sealed record TargetInfo(bool HasMathF, bool HasSpan, int LanguageVersion, bool HasHypot = true)
{
    public static readonly TargetInfo Modern = new(true, true, (int)Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp10);

    public bool FileScopedNamespace => LanguageVersion >= (int)Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp10;

    public bool NullableDirective => LanguageVersion >= (int)Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp8;

    public static TargetInfo Of(Microsoft.CodeAnalysis.Compilation compilation, Microsoft.CodeAnalysis.ParseOptions? options)
    {
        var version = options is Microsoft.CodeAnalysis.CSharp.CSharpParseOptions csharp ? (int)csharp.LanguageVersion : (int)Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp10;
        return new TargetInfo(
            compilation.GetTypeByMetadataName("System.MathF") != null,
            compilation.GetTypeByMetadataName("System.Span`1") != null,
            version,
            compilation.GetSpecialType(Microsoft.CodeAnalysis.SpecialType.System_Double).GetMembers("Hypot").Length > 0);
    }
}

/// <summary>
/// A method marked <c>[TorchFunction]</c> (the SymGrad.TorchSharp package): its parameters named as plain doubles (the rest
/// are tensors), and where the attribute is.
/// </summary>
internal sealed record TorchInfo(EquatableArray<string> Scalars, LocationInfo? Location);

/// <summary>
/// The parser's result for one method: a model when it can be differentiated, and diagnostics; the method's key
/// either way, so that callers of a method with errors are not generated against members it lacks.
/// </summary>
internal sealed record MethodResult(MethodModel? Model, EquatableArray<DiagnosticInfo> Diagnostics, string? Key = null);

/// <summary>Identifies a [Differentiable] method: its type, name and precision (float and double overloads differ).</summary>
internal static class MethodKey
{
    public static string Of(string typeDisplayName, string name, bool isFloat) => typeDisplayName + "." + name + (isFloat ? ":float" : ":double");

    public static string Of(Microsoft.CodeAnalysis.IMethodSymbol m) =>
        Of(m.ContainingType.ToDisplayString(), m.Name, m.ReturnType.SpecialType == Microsoft.CodeAnalysis.SpecialType.System_Single);
}
