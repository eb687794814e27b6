using Microsoft.CodeAnalysis;

namespace SymGrad.Generators;

/// <summary>
/// What names the math functions in syntax and in symbols: <c>System.Math</c> and <c>System.MathF</c>, and the
/// generic-math statics of <c>double</c> and <c>float</c> (<c>double.Hypot</c>, <c>float.Exp2</c>). The one test the
/// front end, the parser and the loop reader share.
/// </summary>
internal static class SystemMath
{
    /// <summary>
    /// A qualifier that names System.Math, System.MathF, double or float where the name is not shadowed. A bare
    /// <c>Math</c>, <c>MathF</c>, <c>Double</c> or <c>Single</c> is confirmed against the semantic model by the
    /// generator (a user's class named Math is not it).
    /// </summary>
    public static bool IsQualifier(string text) => IsMathClass(text) || IsNumberType(text);

    /// <summary>Math or MathF, however spelled.</summary>
    public static bool IsMathClass(string text) =>
        text is "Math" or "MathF" or "System.Math" or "System.MathF" or "global::System.Math" or "global::System.MathF";

    /// <summary>double or float, as a keyword or by its type name.</summary>
    public static bool IsNumberType(string text) =>
        text is "double" or "float" or "Double" or "Single" or "System.Double" or "System.Single" or "global::System.Double" or "global::System.Single";

    /// <summary>A qualifier no user type can shadow: a keyword, or spelled with its namespace.</summary>
    public static bool IsFullyQualified(string text) => text is "double" or "float" || (IsQualifier(text) && text.Contains("System."));

    /// <summary>True for MathF and float (float functions and constants).</summary>
    public static bool IsSinglePrecision(string qualifier) =>
        qualifier.EndsWith("MathF", System.StringComparison.Ordinal) || qualifier == "float" || qualifier.EndsWith("Single", System.StringComparison.Ordinal);

    /// <summary>A method of System.Math, System.MathF, double or float.</summary>
    public static bool Is(IMethodSymbol m) => Qualifier(m) != null;

    /// <summary>"Math", "MathF", "double" or "float" for a method of that type, else null.</summary>
    public static string? Qualifier(IMethodSymbol m) => m.ContainingType is { } t
        ? t.SpecialType switch
        {
            SpecialType.System_Double => "double",
            SpecialType.System_Single => "float",
            _ => t.ToDisplayString() is "System.Math" ? "Math" : t.ToDisplayString() is "System.MathF" ? "MathF" : null,
        }
        : null;
}
