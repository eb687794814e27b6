using System;
using System.Diagnostics;
using System.Linq;
using System.Text;

namespace SymGrad.Generators.Tests;

/// <summary>Pathological sizes through the generator: it answers (code or an SG diagnostic) in bounded time.</summary>
public class DeepNestingTests
{
    private static string Nested(string open, int depth)
    {
        var sb = new StringBuilder("=> ");
        for (var i = 0; i < depth; i++) sb.Append(open);
        sb.Append('x');
        sb.Append(')', depth).Append(';');
        return sb.ToString();
    }

    [Theory]
    [InlineData("Math.Tanh(", 10_000)]   // beyond what the C# parser takes: the compiler reports it
    [InlineData("(x + ", 10_000)]
    [InlineData("(w * ", 10_000)]
    [InlineData("Math.Exp(-", 3_000)]    // parsed, then refused by the generator before anything binds it
    [InlineData("Math.Tanh(", 1_500)]
    [InlineData("(x + ", 1_001)]
    [InlineData("Math.Tanh(", 900)]      // deep but allowed: code
    [InlineData("", 10_000)]             // a sum of ten thousand terms (not nesting): code
    public void TenThousandLevels_GetCodeOrADiagnosticInsideTheMethod_InBoundedTime(string open, int depth)
    {
        var body = open.Length == 0 ? "=> " + string.Join(" + ", Enumerable.Range(0, depth).Select(i => i % 2 == 0 ? "x * w" : "Math.Tanh(x)")) + ";" : Nested(open, depth);
        var source = "using System;\nusing SymGrad;\npublic static partial class Deep\n{\n    [Differentiable] public static double F(double x, double w) " + body + "\n}\n";
        // The generator alone: binding such a body is the compiler's business (and its own stack's).
        var compilation = GeneratorHarness.Compilation(source);
        var clock = Stopwatch.StartNew();
        var run = GeneratorHarness.Driver().RunGenerators(compilation).GetRunResult();
        clock.Stop();
        Assert.Null(run.Results.Single().Exception);
        // Not a speed target: a hang check with a generous bound (this is a few seconds on the CI machine).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"took {clock.Elapsed}");
        var generated = run.Results.Single().GeneratedSources.Any(s => s.HintName == "Deep.F.g.cs");
        var tree = compilation.SyntaxTrees.First();
        var compilerRejects = tree.GetDiagnostics().Any(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        var diagnostic = run.Diagnostics.Where(d => d.Id.StartsWith("SG", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(diagnostic, d => d.Id == "SG0013");
        if (compilerRejects)
        {
            // The C# parser gave up (the compiler says so): no cascade from the generator.
            Assert.Empty(diagnostic);
            Assert.False(generated);
            return;
        }
        var method = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().Single();
        var nested = open.Length > 0 && depth > DifferentiableParser.MaxNesting;
        if (nested)
        {
            var refusal = Assert.Single(diagnostic);
            Assert.Equal("SG0004", refusal.Id);
            Assert.Contains("nested too deeply", refusal.GetMessage());
            Assert.True(method.Span.Contains(refusal.Location.SourceSpan));
        }
        else Assert.True(generated, string.Join("; ", diagnostic));
    }

    [Theory]
    [InlineData("Math.Tanh(", 999)]
    [InlineData("(x + Math.Tanh(w * ", 499)]
    public void SecondDerivativesOfADeepNest_AreCodeOrARefusal_NeverAnInternalError(string open, int depth)
    {
        // Deep enough to pass the reader's limit, maybe too deep to differentiate twice: code, or SG0004 on the method.
        var body = "=> " + string.Concat(Enumerable.Repeat(open, depth)) + "x" + new string(')', depth * open.Count(c => c == '(')) + ";";
        var source = "using System;\nusing SymGrad;\npublic static partial class Deep\n{\n    [Differentiable(Order = 2)] public static double F(double x, double w) " + body + "\n}\n";
        var run = GeneratorHarness.Driver().RunGenerators(GeneratorHarness.Compilation(source)).GetRunResult();
        Assert.Null(run.Results.Single().Exception);
        var diagnostics = run.Diagnostics.Where(d => d.Id.StartsWith("SG", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(diagnostics, d => d.Id == "SG0013");
        var generated = run.Results.Single().GeneratedSources.Any(s => s.HintName == "Deep.F.g.cs");
        Assert.True(generated || diagnostics.Any(d => d.Id == "SG0004" && d.GetMessage().Contains("nested too deeply")), string.Join("; ", diagnostics));
    }
}
