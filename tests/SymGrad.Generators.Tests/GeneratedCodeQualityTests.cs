using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SymGrad.Generators.Tests;

/// <summary>
/// Every member the generator writes for the test models (the article's formulas, C#'s semantics, math functions,
/// patterns, recurrences, indexed second order, tails), for the runtime's own activations, losses, regularizers and
/// layer formulas, and for the examples' models, read as a reviewer reads it: no local that nothing reads.
/// </summary>
public class GeneratedCodeQualityTests
{
    private static string Root => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));

    public static IEnumerable<object[]> Sources() =>
        Directory.GetFiles(Path.Combine(Root, "tests/SymGrad.Generators.Tests"), "*Model.cs")
            .Concat(Directory.GetFiles(Path.Combine(Root, "src/SymGrad/Functions"), "*.cs"))
            // The examples' models that are files of their own (Program.cs files are top-level programs).
            .Concat(new[] { "examples/LinearRegression/LinearRegressionModel.cs", "examples/Gan/GanModel.cs", "examples/PolicyGradient/Policy.cs" }.Select(f => Path.Combine(Root, f)))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetRelativePath(Root, f) });

    [Theory]
    [MemberData(nameof(Sources))]
    public void NoGeneratedMember_HasALocalThatIsNeverRead(string file)
    {
        var result = GeneratorHarness.Run(File.ReadAllText(Path.Combine(Root, file)));
        Assert.Empty(result.CompileDiagnostics);
        var generated = result.Output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) && !t.FilePath.EndsWith("DerivationRegistry.g.cs", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(generated);
        var unused = UnusedLocals(result.Output, generated);
        Assert.True(unused.Count == 0, $"{unused.Count} unused locals:\n" + string.Join("\n", unused.Take(40)));
        var copies = CopyLocals(result.Output, generated);
        Assert.True(copies.Count == 0, $"{copies.Count} locals that only copy another:\n" + string.Join("\n", copies.Take(40)));
    }

    /// <summary>
    /// "file: method: declarator" for each local declared as a copy of another local (<c>var adj0 = prod1;</c>) where
    /// neither is assigned again: the second name adds nothing (a copy kept before the original changes is needed).
    /// </summary>
    internal static List<string> CopyLocals(Compilation compilation, IEnumerable<SyntaxTree> trees) =>
        EachBody(compilation, trees, (model, body) =>
        {
            var written = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var node in body.DescendantNodes())
            {
                var target = node switch
                {
                    AssignmentExpressionSyntax a => a.Left,
                    PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } u => u.Operand,
                    PostfixUnaryExpressionSyntax u => u.Operand,
                    ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } arg => arg.Expression,
                    _ => null,
                };
                if (target != null && model.GetSymbolInfo(target).Symbol is ILocalSymbol local) written.Add(local);
            }
            // Copies under a name the generator chose (prefix and number: adj0, at2); a loop's state named as the
            // user named it (var hNext = tanh0) is for the reader stepping through.
            return body.DescendantNodes().OfType<VariableDeclaratorSyntax>().Where(d => Generated.IsMatch(d.Identifier.ValueText))
                .Where(declarator => declarator.Initializer?.Value is IdentifierNameSyntax source && model.GetSymbolInfo(source).Symbol is ILocalSymbol original &&
                    model.GetDeclaredSymbol(declarator) is ILocalSymbol copy && !written.Contains(original) && !written.Contains(copy));
        });

    // "file: method: declarator" for the declarators each method body's check picks.
    private static List<string> EachBody(Compilation compilation, IEnumerable<SyntaxTree> trees, Func<SemanticModel, SyntaxNode, IEnumerable<VariableDeclaratorSyntax>> check)
    {
        var found = new List<string>();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<BaseMethodDeclarationSyntax>())
            {
                var body = (SyntaxNode?)method.Body ?? method.ExpressionBody;
                if (body is null) continue;
                found.AddRange(check(model, body).Select(d => $"{Path.GetFileName(tree.FilePath)}: {Name(method)}: {d}"));
            }
        }
        return found;
    }

    /// <summary>"file: method: declarator" for each local of the trees' methods that no expression reads.</summary>
    internal static List<string> UnusedLocals(Compilation compilation, IEnumerable<SyntaxTree> trees) =>
        EachBody(compilation, trees, (model, body) =>
        {
            var reads = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var name in body.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                // A name on the left of a plain assignment is written, not read.
                if (name.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } a && a.Left == name) continue;
                if (model.GetSymbolInfo(name).Symbol is ILocalSymbol local) reads.Add(local);
            }
            return body.DescendantNodes().OfType<VariableDeclaratorSyntax>()
                .Where(declarator => model.GetDeclaredSymbol(declarator) is ILocalSymbol local && !reads.Contains(local));
        });

    [Fact]
    public void TheChecks_FindALocalNeverRead_AndACopyOfAnother()
    {
        var tree = CSharpSyntaxTree.ParseText("""
            static class C
            {
                static double F(double x, out double d)
                {
                    var a = x * 2;          // never read
                    var b = x;
                    var c = 0.0;            // written again before it is read
                    c = b + 1;
                    d = b;
                    var adj0 = b;           // a copy of b, neither written again
                    var at1 = c;            // a copy kept before c changes: needed
                    var hNext = b;          // the user's name for a state: kept for the reader
                    var z = 0.0;            // written again, never read
                    z = b + 1;
                    c = 2;
                    return adj0 + at1 + c + hNext;
                }
            }
            """, path: "C.g.cs");
        var compilation = CSharpCompilation.Create("C", new[] { tree }, Basic.Reference.Assemblies.Net100.References.All);
        Assert.Equal(new[] { "C.g.cs: F: a = x * 2", "C.g.cs: F: z = 0.0" }, UnusedLocals(compilation, new[] { tree }));
        Assert.Equal(new[] { "C.g.cs: F: adj0 = b" }, CopyLocals(compilation, new[] { tree }));
    }

    [Theory]
    [InlineData("tests/SymGrad.Generators.Tests/_snapshots/ArticleModel.Derivations.verified.tex")]
    [InlineData("tests/SymGrad.Tests/_snapshots/Runtime.Derivations.verified.tex")]
    public void DerivationSteps_NameTheDirectContribution_NotTheSamePartialOnBothSides(string snapshot)
    {
        // ∂f/∂x = ∂f/∂x|_{u₁} + ∂f/∂u₁ · ∂u₁/∂x: the function's own term is the partial with the intermediates held fixed.
        var lines = File.ReadAllLines(Path.Combine(Root, snapshot));
        var same = new System.Text.RegularExpressions.Regex(@"^\\frac\{\\partial f\}\{\\partial ([^}]+)\} &= \\frac\{\\partial f\}\{\\partial \1\} \+");
        Assert.DoesNotContain(lines, l => same.IsMatch(l));
        Assert.Contains(lines, l => l.Contains(@"\right|_{", StringComparison.Ordinal));
    }

    private static readonly System.Text.RegularExpressions.Regex Generated = new("^[a-z]+[0-9]+$");

    private static string Name(BaseMethodDeclarationSyntax m) => m is MethodDeclarationSyntax method ? method.Identifier.ValueText : m.Kind().ToString();
}
