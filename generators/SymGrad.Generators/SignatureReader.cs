using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SymGrad.Generators;

/// <summary>What the method's declaration says: its containing types, precision, parameter ranks, variables and order.</summary>
internal sealed record Signature(
    List<TypeDeclarationInfo> Types,
    bool IsFloat,
    List<int> Ranks,
    List<string> ParameterNames,
    List<string> Variables,
    int Order);

/// <summary>
/// Reads and checks a [Differentiable] method's declaration (static, partial containing types, one precision by
/// value, variables that are parameters, a supported order), reporting every problem on its syntax.
/// </summary>
internal static class SignatureReader
{
    /// <summary>The rank recorded for an <c>int</c> parameter: integer data, bound as an integer leaf.</summary>
    public const int IntData = -1;

    public static Signature Read(IMethodSymbol method, MethodDeclarationSyntax syntax, AttributeData attribute, LocationInfo? attributeLocation, List<DiagnosticInfo> diagnostics)
    {
        if (!method.IsStatic) Report(diagnostics, DiagnosticDescriptors.MethodNotStatic, syntax.Identifier.GetLocation(), method.Name);
        var overloads = method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>()
            .Count(m => m.ReturnType.SpecialType == method.ReturnType.SpecialType &&
                        m.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == DifferentiableParser.DifferentiableAttribute));
        if (overloads > 1) Report(diagnostics, DiagnosticDescriptors.AmbiguousOverload, syntax.Identifier.GetLocation(), method.Name);

        var types = new List<TypeDeclarationInfo>();
        for (var t = syntax.Parent as TypeDeclarationSyntax; t != null; t = t.Parent as TypeDeclarationSyntax)
        {
            if (!t.Modifiers.Any(SyntaxKind.PartialKeyword))
                Report(diagnostics, DiagnosticDescriptors.TypeNotPartial, t.Identifier.GetLocation(), t.Identifier.ValueText, method.Name);
            types.Insert(0, new TypeDeclarationInfo(Keyword(t), t.Identifier.ValueText, t.TypeParameterList?.ToString() ?? ""));
        }
        // A file-local type cannot be extended from the generated file (a partial declaration there is another type).
        for (var type = method.ContainingType; type != null; type = type.ContainingType)
            if (type.IsFileLocal)
            {
                Report(diagnostics, DiagnosticDescriptors.NotAMethodOfAType, syntax.Identifier.GetLocation(), method.Name, $"a method of the file-local type '{type.Name}'");
                break;
            }

        // Types: all double or all float, by value.
        var returnType = method.ReturnType.SpecialType;
        var isFloat = returnType == SpecialType.System_Single;
        if (returnType is not (SpecialType.System_Double or SpecialType.System_Single) && !method.IsGenericMethod)
            Report(diagnostics, DiagnosticDescriptors.UnsupportedType, syntax.ReturnType.GetLocation(), method.Name, $"it must return double or float, not '{method.ReturnType.ToDisplayString()}'");
        if (method.IsGenericMethod)
            Report(diagnostics, DiagnosticDescriptors.UnsupportedType, syntax.TypeParameterList?.GetLocation() ?? syntax.Identifier.GetLocation(), method.Name, "it is generic; differentiate a method of double or float");
        var expected = isFloat ? SpecialType.System_Single : SpecialType.System_Double;
        // Scalars (rank 0), or arrays of the same precision: ReadOnlySpan<T>, Span<T>, T[] (rank 1), T[,] (rank 2, …).
        var ranks = new List<int>();
        for (var i = 0; i < method.Parameters.Length; i++)
        {
            var p = method.Parameters[i];
            var location = syntax.ParameterList.Parameters[i].GetLocation();
            var rank = ArrayRank(p.Type, expected);
            // An int parameter is data (a class label, a count, a position): read, indexed by, never differentiated.
            var isInt = p.Type.SpecialType == SpecialType.System_Int32;
            ranks.Add(isInt ? IntData : Math.Max(rank, 0));
            if (p.RefKind != RefKind.None)
                Report(diagnostics, DiagnosticDescriptors.UnsupportedParameter, location, p.Name, "passed by value", p.RefKind.ToString().ToLowerInvariant());
            else if (rank < 0 && !isInt && returnType is SpecialType.System_Double or SpecialType.System_Single)
                Report(diagnostics, DiagnosticDescriptors.UnsupportedParameter, location, p.Name, $"{(isFloat ? "float" : "double")} like the return type (or a span or array of it), or int data", p.Type.ToDisplayString());
        }

        // Variables: the attribute's names, or every parameter not marked [NoDiff].
        var named = DifferentiableParser.AttributeVariables(attribute);
        var order = DifferentiableParser.Order(attribute);
        if (order is not (1 or 2)) ReportAt(diagnostics, DiagnosticDescriptors.InvalidOrder, attributeLocation, order.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var parameterNames = method.Parameters.Select(p => p.Name).ToList();
        List<string> variables;
        if (named.Count > 0)
        {
            variables = new List<string>();
            foreach (var v in named)
            {
                if (!parameterNames.Contains(v) || ranks[parameterNames.IndexOf(v)] == IntData) ReportAt(diagnostics, DiagnosticDescriptors.UnknownVariable, attributeLocation, v, method.Name);
                else if (!variables.Contains(v)) variables.Add(v);
            }
        }
        else
        {
            variables = DifferentiableParser.DefaultVariables(method);
            if (variables.Count == 0) Report(diagnostics, DiagnosticDescriptors.NoVariables, syntax.Identifier.GetLocation(), method.Name);
        }
        // The members SymGrad adds must not be taken: by a member of the user's (FGradient written by hand, a
        // [Differentiable] FDerivative beside F) or by one another (Order = 2 on F(x, y, x_y): two FPartial_x_y).
        var indexed = ranks.Any(r => r > 0);
        var generated = GeneratedNames(method.Name, variables, order, indexed, parameterNames);
        foreach (var name in generated.Distinct())
        {
            if (generated.Count(n => n == name) > 1)
                ReportAt(diagnostics, DiagnosticDescriptors.MemberNameTaken, attributeLocation, name, method.Name, "two of its generated members would have that name");
            else if (method.ContainingType.GetMembers(name).FirstOrDefault() is { } taken)
                ReportAt(diagnostics, DiagnosticDescriptors.MemberNameTaken, attributeLocation, name, method.Name, $"'{method.ContainingType.Name}' already has a {Kind(taken)} of that name");
        }

        // Second order of an indexed method: H·v always, the full Hessian where every variable is a scalar or one-dimensional.
        if (order == 2 && ranks.Any(r => r > 0) && variables.Any(v => parameterNames.IndexOf(v) is var i && i >= 0 && ranks[i] > 1))
            ReportAt(diagnostics, DiagnosticDescriptors.IndexedSecondOrder, attributeLocation, method.Name);
        return new Signature(types, isFloat, ranks, parameterNames, variables, order);
    }

    private static string Kind(ISymbol s) => s switch
    {
        IMethodSymbol => "method",
        IPropertySymbol => "property",
        IFieldSymbol => "field",
        INamedTypeSymbol => "nested type",
        _ => "member",
    };

    /// <summary>The members the emitter adds for a method (DifferentiableEmitter names them the same way).</summary>
    internal static List<string> GeneratedNames(string name, IReadOnlyList<string> variables, int order, bool indexed, IReadOnlyList<string> parameters)
    {
        if (indexed)
            return order == 2
                ? new List<string> { name + "Gradient", name + "AccumulateGradient", name + "HessianVectorProduct", name + "Hessian" }
                : new List<string> { name + "Gradient", name + "AccumulateGradient" };
        var names = new List<string> { name + "Gradient" };
        var k = variables.Count;
        if (k == 1) names.AddRange(new[] { name + "Derivative", name + "DerivativeFromValue" });
        var partials = k > 1 && k <= DifferentiableParser.MaxPartialMembers;
        if (partials) names.AddRange(variables.Select(v => name + "Partial_" + v));
        if (order == 2)
        {
            if (k == 1) names.Add(name + "SecondDerivative");
            else
            {
                names.Add(name + "Hessian");
                names.Add(name + "HessianVectorProduct");
                var position = variables.Select(v => parameters.ToList().IndexOf(v)).ToList();
                if (partials)
                    for (var i = 0; i < k; i++)
                    for (var j = 0; j < k; j++)
                        if (position[i] <= position[j]) names.Add(name + "Partial_" + variables[i] + "_" + variables[j]);
            }
        }
        return names;
    }

    private static void Report(List<DiagnosticInfo> diagnostics, DiagnosticDescriptor d, Location? at, params string[] args) =>
        ReportAt(diagnostics, d, LocationInfo.From(at), args);

    private static void ReportAt(List<DiagnosticInfo> diagnostics, DiagnosticDescriptor d, LocationInfo? at, params string[] args) =>
        diagnostics.Add(new DiagnosticInfo(d.Id, at, args.ToEquatableArray()));

    // 0 for the scalar type itself, the rank for spans (1) and arrays of it, −1 for anything else.
    private static int ArrayRank(ITypeSymbol type, SpecialType scalar)
    {
        if (type.SpecialType == scalar) return 0;
        if (type is IArrayTypeSymbol array && array.ElementType.SpecialType == scalar) return array.Rank;
        if (type is INamedTypeSymbol { IsGenericType: true } span && span.TypeArguments.Length == 1 && span.TypeArguments[0].SpecialType == scalar)
        {
            var generic = span.ConstructedFrom.ToDisplayString();
            if (generic is "System.ReadOnlySpan<T>" or "System.Span<T>") return 1;
            if (generic is "SymGrad.ReadOnlyMatrix<T>" or "SymGrad.Matrix<T>") return 2;
            if (generic is "SymGrad.ReadOnlyTensor4<T>" or "SymGrad.Tensor4<T>") return 4;
        }
        return -1;
    }

    private static string Keyword(TypeDeclarationSyntax t) => t switch
    {
        RecordDeclarationSyntax r => r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record",
        _ => t.Keyword.ValueText,
    };
}
