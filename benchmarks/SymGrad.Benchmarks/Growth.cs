using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SymGrad.Cli;
using SymGrad.Generators;
using SymGrad.Symbolic;
using SymGrad.Tests.Shared;

namespace SymGrad.Benchmarks;

/// <summary>
/// Whether the cost of differentiating grows linearly with the program: each shape (a network's loss, a long product,
/// a chain of locals, a log-sum-exp, a long sum) at a small and an eight-times larger size, through the stage a user
/// meets it in (the engine, the generator, the CLI); the figure is the time per unit at the large size over the time per
/// unit at the small one — about 1 when linear, 8 when quadratic. A ratio, never an absolute time, so it holds on any
/// machine; <c>--check</c> fails (exit 1) when a shape's ratio exceeds <see cref="Limit"/>.
/// </summary>
public static class Growth
{
    /// <summary>
    /// The largest growth of the time per unit, from one size to eight times it, that still counts as linear: quadratic
    /// work gives 8, n log n about 1.3, and caches and collections on a larger heap up to about 2.
    /// </summary>
    public const double Limit = 4.0;

    private sealed record Shape(string Name, string Unit, string Stage, int Small, Func<int, Action> Prepare, Func<int, (int Primal, int Gradient)>? Ops = null);

    private static readonly Shape[] Shapes =
    {
        new("10-h-1 network loss", "hidden unit", "engine", 100, h =>
        {
            var loss = new NetworkLoss(10, h);
            return () => loss.GradientProgram();
        }, h =>
        {
            var loss = new NetworkLoss(10, h);
            return (loss.PrimalProgram().OperationCount, loss.GradientProgram().OperationCount);
        }),
        new("product of sin(x_i)", "factor", "engine", 2000, n =>
        {
            var (f, vars) = Product(n);
            return () => CsePass.Build(Differentiator.Gradient(f, vars).Outputs());
        }, n =>
        {
            var (f, vars) = Product(n);
            return (CsePass.Build(new[] { ("value", f) }).OperationCount, CsePass.Build(Differentiator.Gradient(f, vars).Outputs()).OperationCount);
        }),
        new("t = Math.Sin(t) + 0.001 * x, n times", "statement", "generator", 500, n =>
        {
            var compilation = Compilation(Chain(n));
            return () => RunGenerator(compilation);
        }),
        new("t = t > c ? 0.5t + sin x : 0.9t - 0.3x, n times", "statement", "generator", 100, n =>
        {
            var compilation = Compilation(ConditionalChain(n));
            return () => RunGenerator(compilation);
        }),
        new("sum of w_i * x_i, squared error", "term", "generator", 2000, n =>
        {
            var compilation = Compilation(WideSum(n));
            return () => RunGenerator(compilation);
        }),
        new("log-sum-exp of n variables", "term", "CLI", 2000, n =>
        {
            var text = "Math.Log(" + string.Join(" + ", Enumerable.Range(0, n).Select(i => $"Math.Exp(x{i})")) + ")";
            return () =>
            {
                if (DiffRunner.Run(new DiffRequest(text, null, "csharp", false, false, false, "F"), TextWriter.Null, Console.Error) != 0)
                    throw new InvalidOperationException("symgrad diff failed on the log-sum-exp");
            };
        }),
    };

    private static (Expr F, Expr[] Variables) Product(int n)
    {
        var vars = Enumerable.Range(0, n).Select(i => Expr.Var("x" + i)).ToArray();
        return (Expr.Mul(vars.Select(Expr.Sin)), vars);
    }

    private static string Chain(int n)
    {
        var sb = new StringBuilder("using System;\nusing SymGrad;\npublic static partial class Chain\n{\n    [Differentiable]\n    public static double F(double x)\n    {\n        double t = x;\n");
        for (var i = 0; i < n; i++) sb.Append("        t = Math.Sin(t) + 0.001 * x;\n");
        return sb.Append("        return t;\n    }\n}\n").ToString();
    }

    // Each step a conditional on the carried value (2^n terms before the piecewise sum merged [c]a + [¬c]b).
    private static string ConditionalChain(int n)
    {
        var sb = new StringBuilder("using System;\nusing SymGrad;\npublic static partial class Branches\n{\n    [Differentiable]\n    public static double F(double x)\n    {\n        double t = x;\n");
        for (var i = 0; i < n; i++)
            sb.Append("        t = t > ").Append(((i % 7) * 0.25 - 0.5).ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(" ? t * 0.5 + Math.Sin(x) : t * 0.9 - 0.3 * x;\n");
        return sb.Append("        return t;\n    }\n}\n").ToString();
    }

    private static string WideSum(int n)
    {
        var sb = new StringBuilder("using System;\nusing SymGrad;\npublic static partial class Wide\n{\n    [Differentiable]\n    public static double F(");
        sb.Append(string.Join(", ", Enumerable.Range(0, n).Select(i => $"double w{i}")));
        sb.Append(", double y)\n    {\n        var e = ");
        sb.Append(string.Join(" + ", Enumerable.Range(0, n).Select(i => $"w{i} * {1 + i % 7}.5")));
        return sb.Append(" - y;\n        return e * e;\n    }\n}\n").ToString();
    }

    private static CSharpCompilation Compilation(string source) =>
        CSharpCompilation.Create("Growth", new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)) },
            Basic.Reference.Assemblies.Net100.References.All.Append(MetadataReference.CreateFromFile(typeof(DifferentiableAttribute).Assembly.Location)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    private static void RunGenerator(CSharpCompilation compilation)
    {
        var run = CSharpGeneratorDriver.Create(new DifferentiableGenerator()).RunGenerators(compilation).GetRunResult();
        var result = run.Results.Single();
        if (result.Exception is { } e) throw new InvalidOperationException("the generator threw", e);
        if (result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error) || result.GeneratedSources.Length == 0)
            throw new InvalidOperationException("the generator refused the program: " + string.Join("; ", result.Diagnostics));
    }

    // The fastest of a few runs: what the work costs without the collections and interruptions that make single runs of
    // a shared machine vary by 2× (a median still let a 40 ms run against a 150 ms one decide a ratio).
    private static double FastestMs(Action run, int repeats)
    {
        var best = double.MaxValue;
        for (var r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            run();
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }
        return best;
    }

    /// <summary>Prints the table; with <paramref name="check"/>, returns 1 when a shape grows faster than <see cref="Limit"/>.</summary>
    public static int Run(bool check, int scale, string? only = null)
    {
        Console.WriteLine("| shape | stage | sizes | time, small (fastest of 5) | time, 8× (fastest of 3) | time per unit, 8× / small | gradient ops / primal ops, 8× |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        var failed = new List<string>();
        foreach (var shape in Shapes.Where(s => only is null || s.Name.Contains(only)))
        {
            var small = shape.Small * scale;
            var large = 8 * small;
            // A first run at the small size warms the JIT for both.
            var runSmall = shape.Prepare(small);
            runSmall();
            var tSmall = FastestMs(runSmall, 5);
            var tLarge = FastestMs(shape.Prepare(large), 3);
            var growth = tLarge / large / (tSmall / small);
            var ops = shape.Ops is null ? "" : shape.Ops(large) is var (p, g) ? string.Format(CultureInfo.InvariantCulture, "{0} / {1} = {2:0.00}×", g, p, (double)g / p) : "";
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1} | {2} and {3} {4}s | {5:0.0} ms | {6:0.0} ms | {7:0.00} | {8} |",
                shape.Name, shape.Stage, small, large, shape.Unit, tSmall, tLarge, growth, ops));
            if (growth > Limit) failed.Add($"{shape.Name}: time per {shape.Unit} grew {growth:0.00}× from {small} to {large}");
        }
        if (failed.Count == 0) return 0;
        foreach (var f in failed) Console.WriteLine((check ? "error: " : "warning: ") + f + $" (limit {Limit}×: not linear)");
        return check ? 1 : 0;
    }
}
