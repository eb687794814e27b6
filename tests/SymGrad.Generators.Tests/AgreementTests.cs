using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace SymGrad.Generators.Tests;

/// <summary>
/// The agreement suite: hundreds of random smooth methods through the generator, their generated gradients compiled
/// and run against Richardson-extrapolated central differences of the methods themselves, at random points. The worst
/// cases are reported (test output) and must stay within the stated tolerance.
/// </summary>
public class AgreementTests(ITestOutputHelper output)
{
    // |generated − reference| ≤ Tolerance · (1 + |reference|); the reference has settled to 1e-9.
    private const double Tolerance = 1e-8;

    private static readonly string[] Leaves = { "x", "y", "w", "x", "y", "w", "0.5", "2.0", "1.5", "-0.7" };

    // Smooth everywhere on the reals (denominators ≥ 1, logarithms of ≥ 1, bases of symbolic powers in (0.2, 2.2)).
    private static string Random(Random r, int depth)
    {
        if (depth == 0 || r.NextDouble() < 0.25) return Leaves[r.Next(Leaves.Length)];
        string A() => Random(r, depth - 1);
        return r.Next(15) switch
        {
            0 => $"({A()} + {A()})",
            1 => $"({A()} - {A()})",
            2 => $"({A()} * {A()})",
            3 => Quotient(A(), A()),
            4 => $"Math.Exp(Math.Tanh({A()}))",
            5 => LogSquare(A()),
            6 => $"Math.Tanh({A()})",
            7 => $"Math.Sin({A()})",
            8 => $"Math.Cos({A()})",
            9 => $"Math.Sqrt(2 + {Square(A())})",
            10 => $"1.0 / (1.0 + Math.Exp(-({A()})))",
            11 => $"Math.Log(1 + Math.Exp({A()}))",
            12 => $"Math.Pow({A()}, 3)",
            13 => $"Math.Pow(1.2 + Math.Tanh({A()}), {A()})",
            _ => $"Math.Log(1.0 / (1.0 + Math.Exp(-({A()}))))",
        };
    }

    private static string Square(string a) => $"({a}) * ({a})";
    private static string Quotient(string a, string b) => $"({a}) / (1.5 + {Square(b)})";
    private static string LogSquare(string a) => $"Math.Log(1 + {Square(a)})";

    // (f(v + h) − f(v − h)) / 2h extrapolated from h and h/2 (error O(h⁴) plus rounding), with h halved until two
    // successive extrapolations agree to 1e-9; null when they never do (a function oscillating faster than any h tried
    // resolves: the reference, not the gradient, is then in doubt).
    internal static double? Reference(Func<double[], double> f, double[] at, int i)
    {
        double Central(double h)
        {
            var plus = (double[])at.Clone();
            var minus = (double[])at.Clone();
            plus[i] += h;
            minus[i] -= h;
            return (f(plus) - f(minus)) / (2 * h);
        }
        var h = 1e-2 * Math.Max(1, Math.Abs(at[i]));
        var previous = (4 * Central(h / 2) - Central(h)) / 3;
        for (var level = 0; level < 8; level++)
        {
            h /= 2;
            var next = (4 * Central(h / 2) - Central(h)) / 3;
            if (Math.Abs(next - previous) <= 1e-9 * (1 + Math.Abs(next))) return next;
            previous = next;
        }
        return null;
    }

    [Fact]
    public void GeneratedGradients_AgreeWithExtrapolatedDifferences_WorstCasesReported()
    {
        // Fast in CI; SYMGRAD_AGREEMENT_METHODS=3000 (and SYMGRAD_AGREEMENT_SEED for other methods) for a longer run.
        var count = int.TryParse(Environment.GetEnvironmentVariable("SYMGRAD_AGREEMENT_METHODS"), out var n) && n > 0 ? n : 300;
        var random = new Random(int.TryParse(Environment.GetEnvironmentVariable("SYMGRAD_AGREEMENT_SEED"), out var seed) ? seed : 20261129);
        var bodies = Enumerable.Range(0, count).Select(_ => Random(random, 4)).ToList();
        var source = new StringBuilder("using System;\nusing SymGrad;\nnamespace Agreement;\npublic static partial class Random\n{\n");
        for (var k = 0; k < count; k++)
            source.Append("    [Differentiable] public static double M").Append(k).Append("(double x, double y, double w) => ").Append(bodies[k]).Append(";\n");
        source.Append("}\n");

        var result = GeneratorHarness.Run(source.ToString());
        Assert.Empty(result.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(result.CompileDiagnostics);
        using var stream = new MemoryStream();
        var emitted = result.Output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Take(5)));
        var type = Assembly.Load(stream.ToArray()).GetType("Agreement.Random")!;

        var cases = new List<(double Error, int Method, string Variable, double[] At, double Generated, double Reference)>();
        var points = new Random(5);
        var unresolved = 0;
        for (var k = 0; k < count; k++)
        {
            var f = type.GetMethod("M" + k)!.CreateDelegate<Func<double, double, double, double>>();
            var gradient = type.GetMethods().Single(m => m.Name == "M" + k + "Gradient" && m.GetParameters().Length == 6 && m.GetParameters()[3].IsOut);
            for (var trial = 0; trial < 3; trial++)
            {
                var at = new[] { points.NextDouble() * 4 - 2, points.NextDouble() * 4 - 2, points.NextDouble() * 4 - 2 };
                var args = new object[] { at[0], at[1], at[2], 0.0, 0.0, 0.0 };
                var value = (double)gradient.Invoke(null, args)!;
                // The value too (rearranged by simplification and stable forms: equal to rounding).
                var direct = f(at[0], at[1], at[2]);
                Assert.True(Math.Abs(value - direct) <= 1e-12 * (1 + Math.Abs(direct)), $"M{k}{(at[0], at[1], at[2])}: {value} vs {direct}");
                for (var i = 0; i < 3; i++)
                {
                    if (Reference(p => f(p[0], p[1], p[2]), at, i) is not { } reference)
                    {
                        unresolved++;
                        continue;
                    }
                    var generated = (double)args[3 + i];
                    var error = Math.Abs(generated - reference) / (1 + Math.Abs(reference));
                    cases.Add((double.IsNaN(error) ? double.PositiveInfinity : error, k, "xyw"[i].ToString(), at, generated, reference));
                }
            }
        }

        var worst = cases.OrderByDescending(c => c.Error).Take(5).ToList();
        output.WriteLine($"{cases.Count} partials of {count} random methods at 3 points each ({unresolved} more where the differences never settled); tolerance {Tolerance:g} relative to 1 + |reference|. Worst:");
        // The reference must settle nearly everywhere, or the suite would be testing nothing.
        Assert.True(unresolved <= cases.Count / 100, $"{unresolved} of {cases.Count + unresolved} references never settled");
        foreach (var c in worst)
            output.WriteLine($"  {c.Error:e2}  M{c.Method} ∂/∂{c.Variable} at ({string.Join(", ", c.At.Select(v => v.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)))}): generated {c.Generated:r}, reference {c.Reference:r}  — {bodies[c.Method]}");
        Assert.True(worst[0].Error <= Tolerance, $"worst relative error {worst[0].Error:e2} at M{worst[0].Method} ∂/∂{worst[0].Variable}: {bodies[worst[0].Method]}");
    }
}
