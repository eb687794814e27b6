using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SymGrad.Generators;

namespace SymGrad.Benchmarks;

/// <summary>
/// What the generator adds to a build: a project of N attributed methods (activations and losses in the
/// article's style), compiled with and without the generator, in memory with the same Roslyn the SDK uses.
/// </summary>
public static class BuildCost
{
    private static readonly string[] Bodies =
    {
        "=> 1.0 / (1.0 + Math.Exp(-(a * x + b)));",
        "=> Math.Tanh(a * x + b) * y;",
        "{ var yHat = a * x + b; return 0.5 * (y - yHat) * (y - yHat); }",
        "{ var p = 1.0 / (1.0 + Math.Exp(-(a * x + b))); return -(y * Math.Log(p) + (1 - y) * Math.Log(1 - p)); }",
        "=> a * x + b > 0 ? a * x + b : 0.01 * (a * x + b);",
        "=> Math.Log(1 + Math.Exp(a * x)) + b * b;",
    };

    public static string Source(int methods)
    {
        var sb = new StringBuilder("using System;\nusing SymGrad;\nnamespace Bench;\npublic static partial class Model\n{\n");
        for (var i = 0; i < methods; i++)
            sb.Append($"    [Differentiable(nameof(a), nameof(b))] public static double F{i}(double a, double b, double x, double y) {Bodies[i % Bodies.Length]}\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    private static CSharpCompilation Compilation(string source) =>
        CSharpCompilation.Create("Bench", new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)) },
            Basic.Reference.Assemblies.Net100.References.All.Append(MetadataReference.CreateFromFile(typeof(DifferentiableAttribute).Assembly.Location)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release));

    private static double Median(IEnumerable<double> xs)
    {
        var a = xs.OrderBy(x => x).ToArray();
        return a[a.Length / 2];
    }

    /// <summary>Runs the generator once over a project of <paramref name="methods"/> methods.</summary>
    public static void RunGenerator(int methods)
    {
        var driver = CSharpGeneratorDriver.Create(new DifferentiableGenerator());
        driver.RunGeneratorsAndUpdateCompilation(Compilation(Source(methods)), out _, out var diagnostics);
        if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) throw new InvalidOperationException(string.Join("\n", diagnostics));
    }

    /// <summary>Writes the generated sources for a project of <paramref name="methods"/> methods to a folder.</summary>
    public static void WriteGenerated(int methods, string folder)
    {
        Directory.CreateDirectory(folder);
        var result = CSharpGeneratorDriver.Create(new DifferentiableGenerator()).RunGenerators(Compilation(Source(methods))).GetRunResult();
        foreach (var s in result.Results.SelectMany(r => r.GeneratedSources))
            File.WriteAllText(Path.Combine(folder, s.HintName), s.SourceText.ToString());
    }

    /// <summary>Median time (ms) to compile and emit the model with the C# files of a folder added.</summary>
    public static double CompileWith(int methods, string folder)
    {
        var extra = Directory.GetFiles(folder, "*.cs").OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), new CSharpParseOptions(LanguageVersion.Latest), f)).ToList();
        var times = new List<double>();
        for (var r = 0; r <= 7; r++)
        {
            var clock = Stopwatch.StartNew();
            var compilation = Compilation(Source(methods)).AddSyntaxTrees(extra.Select(t => CSharpSyntaxTree.ParseText(t.GetText(), (CSharpParseOptions)t.Options, t.FilePath)));
            using var ms = new MemoryStream();
            var result = compilation.Emit(ms);
            if (!result.Success) throw new InvalidOperationException(string.Join("\n", result.Diagnostics.Take(5)));
            if (r > 0) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Median(times);
    }

    /// <summary>
    /// An editor's loop: the generator driver kept between runs over a project of <paramref name="methods"/> methods,
    /// then one method's body edited (its derivative must be generated again, the others come from the cache), then a
    /// comment added elsewhere (nothing to regenerate). Medians in milliseconds.
    /// </summary>
    public static (double Full, double EditOne, double Unrelated) MeasureIncremental(int methods, int runs = 7)
    {
        var source = Source(methods);
        var edited = source.Replace("public static double F0(double a, double b, double x, double y) => 1.0 / (1.0 + Math.Exp(-(a * x + b)));",
            "public static double F0(double a, double b, double x, double y) => 1.0 / (1.0 + Math.Exp(-(a * x - b)));");
        if (edited == source) throw new InvalidOperationException("The edit did not apply.");
        var commented = edited.Replace("namespace Bench;", "namespace Bench; // an unrelated edit");
        var (full, one, unrelated) = (new List<double>(), new List<double>(), new List<double>());
        for (var r = 0; r <= runs; r++)
        {
            var compilation = Compilation(source);
            GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new DifferentiableGenerator().AsSourceGenerator() },
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: false));
            var clock = Stopwatch.StartNew();
            driver = driver.RunGenerators(compilation);
            var t0 = clock.Elapsed.TotalMilliseconds;
            var tree = compilation.SyntaxTrees.Single();
            var second = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(edited)));
            clock.Restart();
            driver = driver.RunGenerators(second);
            var t1 = clock.Elapsed.TotalMilliseconds;
            var third = second.ReplaceSyntaxTree(second.SyntaxTrees.Single(), second.SyntaxTrees.Single().WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(commented)));
            clock.Restart();
            driver = driver.RunGenerators(third);
            var t2 = clock.Elapsed.TotalMilliseconds;
            if (r == 0) continue;
            full.Add(t0);
            one.Add(t1);
            unrelated.Add(t2);
        }
        return (Median(full), Median(one), Median(unrelated));
    }

    /// <summary>Median times over <paramref name="runs"/> fresh runs (after one warm-up), in milliseconds.</summary>
    public static (double Generator, double CompileWithout, double CompileWith) Measure(int methods, int runs = 7)
    {
        var source = Source(methods);
        var gen = new List<double>();
        var without = new List<double>();
        var with = new List<double>();
        for (var r = 0; r <= runs; r++)
        {
            var clock = Stopwatch.StartNew();
            using (var ms = new MemoryStream()) Compilation(source).Emit(ms);
            var plain = clock.Elapsed.TotalMilliseconds;

            clock.Restart();
            var driver = CSharpGeneratorDriver.Create(new DifferentiableGenerator());
            driver.RunGeneratorsAndUpdateCompilation(Compilation(source), out var output, out var diagnostics);
            var generator = clock.Elapsed.TotalMilliseconds;
            using (var ms = new MemoryStream())
            {
                var result = output.Emit(ms);
                if (!result.Success) throw new InvalidOperationException(string.Join("\n", result.Diagnostics.Take(5)));
            }
            var total = clock.Elapsed.TotalMilliseconds;
            if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) throw new InvalidOperationException(string.Join("\n", diagnostics));
            if (r == 0) continue; // warm-up
            gen.Add(generator);
            without.Add(plain);
            with.Add(total);
        }
        return (Median(gen), Median(without), Median(with));
    }
}
