using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using SymGrad.Generators;
using SymGrad.Symbolic;

namespace SymGrad.Benchmarks;

/// <summary>Where the emitter's time goes: each stage timed over N methods of the build-cost project.</summary>
public static class Stages
{
    private static readonly string[] Bodies =
    {
        "1.0 / (1.0 + Math.Exp(-(a * x + b)))",
        "Math.Tanh(a * x + b) * y",
        "0.5 * (y - (a * x + b)) * (y - (a * x + b))",
        "-(y * Math.Log(1.0 / (1.0 + Math.Exp(-(a * x + b)))) + (1 - y) * Math.Log(1 - 1.0 / (1.0 + Math.Exp(-(a * x + b)))))",
        "a * x + b > 0 ? a * x + b : 0.01 * (a * x + b)",
        "Math.Log(1 + Math.Exp(a * x)) + b * b",
    };

    public static void Run(int methods, int rounds)
    {
        var times = new Dictionary<string, double>();
        var clock = new Stopwatch();
        void Time(string stage, Action a)
        {
            clock.Restart();
            a();
            times[stage] = (times.TryGetValue(stage, out var t) ? t : 0) + clock.Elapsed.TotalMilliseconds;
        }
        var bodies = Bodies.Select(b => ExpressionFrontEnd.ParseText(b).Value!).ToList();
        var variables = new[] { Expr.Var("a"), Expr.Var("b") };
        for (var r = 0; r < rounds; r++)
        for (var i = 0; i < methods; i++)
        {
            var body = bodies[i % bodies.Count];
            Gradient g = null!;
            Time("gradient", () => g = Differentiator.Gradient(body, variables));
            Time("C# gradient program", () => CSharpPrinter.DefaultQualified.Statements(CsePass.Build(g.Outputs(), new[] { "a", "b", "x", "y" })));
            Time("C# partial members", () =>
            {
                foreach (var p in g.Partials) CSharpPrinter.DefaultQualified.Statements(CsePass.Build(new[] { ("partial", p) }, new[] { "a", "b", "x", "y" }));
            });
            Time("C# summaries", () =>
            {
                CSharpPrinter.Default.PrintSummary(g.Function);
                foreach (var p in g.Partials) CSharpPrinter.Default.PrintSummary(p);
            });
            Time("LaTeX formula and partials", () =>
            {
                using var memo = LatexPrinter.Memoize();
                LatexPrinter.Print(g.Function);
                foreach (var v in variables) LatexPrinter.PrintPartial("f", v, g[v]);
                Time("LaTeX steps", () =>
                {
                    foreach (var v in variables) LatexPrinter.PrintDerivation("f", g, v);
                });
            });
        }
        var total = times.Where(kv => kv.Key != "LaTeX steps").Sum(kv => kv.Value);
        foreach (var kv in times)
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-28} {1,8:0.000} ms per method {2,5:0}%", kv.Key, kv.Value / (methods * rounds), 100 * kv.Value / total));
    }
}
