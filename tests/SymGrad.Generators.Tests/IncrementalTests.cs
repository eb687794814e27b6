using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SymGrad.Generators.Tests;

/// <summary>The pipeline caches: unrelated edits regenerate nothing, editing one method regenerates only it.</summary>
public class IncrementalTests
{
    private const string A = "using System;\nusing SymGrad;\nnamespace N;\npublic static partial class Acts\n{\n    [Differentiable] public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));\n}\n";
    private const string B = "using System;\nusing SymGrad;\nnamespace N;\npublic static partial class Losses\n{\n    [Differentiable(nameof(w))] public static double Loss(double w, double x) => (w * x - 1) * (w * x - 1);\n}\n";

    private static readonly string[] Steps = { TrackingNames.MethodResults, TrackingNames.MethodDiagnostics, TrackingNames.LocationFreeModels, TrackingNames.GeneratedMethods, TrackingNames.AllGeneratedMethods };

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorDriver driver, string step) =>
        driver.GetRunResult().Results.Single().TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    [Fact]
    public void UnrelatedEdit_LeavesEveryStepCachedOrUnchanged()
    {
        var compilation = GeneratorHarness.Compilation(A, B);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("public class Unrelated { public int X => 1; }", GeneratorHarness.ParseOptions, path: "Other.cs"));
        driver = driver.RunGenerators(edited);
        foreach (var step in Steps)
            Assert.All(Reasons(driver, step), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
    }

    [Fact]
    public void EditingOneMethod_RegeneratesOnlyThatMethod()
    {
        var compilation = GeneratorHarness.Compilation(A, B);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var oldTree = compilation.SyntaxTrees.Single(t => t.FilePath == "File1.cs");
        var newTree = oldTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(B.Replace("w * x - 1", "w * x - 2")));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(oldTree, newTree));

        var models = driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.GeneratedMethods].SelectMany(s => s.Outputs).ToList();
        Assert.Single(models, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(models, o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        var modified = (GeneratedMethod)models.Single(o => o.Reason == IncrementalStepRunReason.Modified).Value;
        Assert.Equal("N.Losses.Loss.g.cs", modified.HintName);
    }

    [Fact]
    public void ALineAddedAboveAMethod_RegeneratesNothing_AndItsDiagnosticsMoveWithIt()
    {
        // The attribute moves down a line: the method's location changes, what it differentiates to does not.
        const string zero = "using SymGrad;\nnamespace N;\npublic static partial class Z\n{\n    [Differentiable(nameof(w))] public static double F(double w, double x) => x * x;\n}\n";
        var compilation = GeneratorHarness.Compilation(A, zero);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var firstLine = driver.GetRunResult().Diagnostics.Single(d => d.Id == "SG0007").Location.GetLineSpan().StartLinePosition.Line;
        var oldTree = compilation.SyntaxTrees.Single(t => t.FilePath == "File1.cs");
        var newTree = oldTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("// a comment\n" + zero));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(oldTree, newTree));
        Assert.All(Reasons(driver, TrackingNames.GeneratedMethods), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        var moved = driver.GetRunResult().Diagnostics.Single(d => d.Id == "SG0007").Location.GetLineSpan().StartLinePosition.Line;
        Assert.Equal(firstLine + 1, moved);
    }

    [Fact]
    public void ReformattingAMethod_ChangesNoModel()
    {
        var compilation = GeneratorHarness.Compilation(A, B);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var oldTree = compilation.SyntaxTrees.Single(t => t.FilePath == "File0.cs");
        var newTree = oldTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(A.Replace("1.0 / (1.0 + Math.Exp(-x))", "1.0 / ( 1.0 + Math.Exp( -x ) )")));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(oldTree, newTree));
        // The method is re-read (its syntax changed) but reads to an equal model, so nothing downstream reruns.
        Assert.All(Reasons(driver, TrackingNames.GeneratedMethods), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
    }

    [Fact]
    public void PipelineModels_HoldNoSymbolsSyntaxOrCompilations()
    {
        var forbidden = new[] { typeof(ISymbol), typeof(SyntaxNode), typeof(Compilation), typeof(SemanticModel), typeof(Location), typeof(SyntaxTree) };
        var seen = new HashSet<Type>();
        void Walk(Type t)
        {
            if (!seen.Add(t) || t.IsPrimitive || t == typeof(string)) return;
            Assert.DoesNotContain(forbidden, f => f.IsAssignableFrom(t));
            if (t.Namespace?.StartsWith("SymGrad.Symbolic", StringComparison.Ordinal) == true) return; // engine values are allowed
            foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance)) Walk(p.PropertyType);
            foreach (var g in t.GetGenericArguments()) Walk(g);
        }
        Walk(typeof(MethodResult));
        Walk(typeof(GeneratedMethod));
    }

    [Fact]
    public void EquivalentSources_GiveEqualModels()
    {
        var one = GeneratorHarness.Run(A.Replace("1.0 / (1.0 + Math.Exp(-x))", "1 / (Math.Exp(-x) + 1)"));
        var two = GeneratorHarness.Run(A);
        var model = (GeneratorHarness.Result r) => r.Run.Results.Single().TrackedSteps[TrackingNames.MethodResults].Single().Outputs.Single().Value;
        Assert.Equal(model(two), model(one));
    }

    [Theory]
    [InlineData("=> Math.Tanh(w * x;")]             // a parenthesis not yet closed
    [InlineData("=> (w * x - 1) * (w * ;")]         // an operand not yet typed
    [InlineData("{ var r = w * x - 1 return r * r; }")] // a missing semicolon
    [InlineData("=> w * x +;")]                      // an operator without its operand
    public void AMethodBeingTyped_GetsNoGeneratorErrors_AndFixingItRegeneratesIt(string halfWritten)
    {
        // In the editor, between keystrokes: the compiler reports the syntax error; the generator adds no cascade of SG
        // errors for the broken method, still generates its neighbours, and regenerates the method once it is fixed.
        string Source(string body) =>
            "using System;\nusing SymGrad;\nnamespace N;\npublic static partial class Losses\n{\n    [Differentiable(nameof(w))] public static double Loss(double w, double x) " + body + "\n}\n";
        var compilation = GeneratorHarness.Compilation(A, Source(halfWritten));
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var run = driver.GetRunResult();
        Assert.Contains(compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error && d.Id.StartsWith("CS", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Diagnostics, d => d.Id.StartsWith("SG", StringComparison.Ordinal));
        var hints = run.Results.Single().GeneratedSources.Select(g => g.HintName).ToList();
        Assert.Contains("N.Acts.Sigmoid.g.cs", hints);
        Assert.DoesNotContain("N.Losses.Loss.g.cs", hints);

        var oldTree = compilation.SyntaxTrees.Single(t => t.FilePath == "File1.cs");
        var fixedTree = oldTree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Source("{ var r = w * x - 1; return r * r; }")));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(oldTree, fixedTree));
        run = driver.GetRunResult();
        Assert.Empty(run.Diagnostics);
        Assert.Contains("N.Losses.Loss.g.cs", run.Results.Single().GeneratedSources.Select(g => g.HintName));
        Assert.Contains("LossDerivative", run.Results.Single().GeneratedSources.Single(g => g.HintName == "N.Losses.Loss.g.cs").SourceText.ToString());
    }
}
