using Microsoft.CodeAnalysis;

namespace SymGrad.Generators;

/// <summary>
/// What names <c>System.Math</c> and <c>System.MathF</c>, in syntax and in symbols: the one test the front end, the
/// parser and the loop reader share.
/// </summary>
internal static class SystemMath
{
    /// <summary>
    /// A qualifier that names System.Math or System.MathF where the name is not shadowed. A bare <c>Math</c> or
    /// <c>MathF</c> is confirmed against the semantic model by the generator (a user's class named Math is not it).
    /// </summary>
    public static bool IsQualifier(string text) =>
        text is "Math" or "MathF" or "System.Math" or "System.MathF" or "global::System.Math" or "global::System.MathF";

    /// <summary>A qualifier spelled with its namespace, which no user type can shadow.</summary>
    public static bool IsFullyQualified(string text) => IsQualifier(text) && text.Contains("System.");

    /// <summary>True for MathF (float functions and constants).</summary>
    public static bool IsSinglePrecision(string qualifier) => qualifier.EndsWith("MathF", System.StringComparison.Ordinal);

    /// <summary>A method of System.Math or System.MathF.</summary>
    public static bool Is(IMethodSymbol m) => m.ContainingType?.ToDisplayString() is "System.Math" or "System.MathF";
}
