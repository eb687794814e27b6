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
/// Random methods mixing int and floating-point arithmetic as C# users write it (int constants and const fields,
/// int quotients and remainders, casts, lengths up to 10⁶, loop indices in weights, float constants from 1e-38f to
/// 3e38f), through the generator: the generated value must equal the method's own (the C# computation, run directly)
/// and every partial must match extrapolated central differences of the method itself.
/// </summary>
public class TypedArithmeticPropertyTests(ITestOutputHelper output)
{
    private static readonly int[] Lengths = { 1, 2, 7, 64, 1000, 100_000, 1_000_000 };

    // Non-negative int expressions (so quotients by them plus one never divide by zero).
    private static string Int(Random r, int depth, bool inLoop)
    {
        string[] leaves = inLoop ? new[] { "i", "i", "v.Length", "3", "N", "(K / 2)", "(7 % 4)" } : new[] { "v.Length", "3", "N", "(K / 2)", "(7 % 4)", "(int)2.75" };
        if (depth == 0 || r.NextDouble() < 0.3) return leaves[r.Next(leaves.Length)];
        string A() => Int(r, depth - 1, inLoop);
        return r.Next(6) switch
        {
            0 => $"({A()} + {A()})",
            1 => $"({A()} * {1 + r.Next(5)})",
            2 => $"({A()} / {1 + r.Next(4)})",
            3 => $"({A()} % {1 + r.Next(5)})",
            4 => inLoop ? "(i * i)" : "(v.Length * v.Length)",
            _ => $"({A()} / N)",
        };
    }

    // Floating-point expressions, smooth in x and y.
    private static string Float(Random r, int depth, bool inLoop)
    {
        string[] leaves = inLoop
            ? new[] { "x", "y", "v[i]", "0.5", "(double)1.5f", "(Tiny * 1e30)", "(x * v[i])" }
            : new[] { "x", "y", "0.5", "2.25", "(double)1.5f", "(Tiny * 1e30)", "(Huge * 1e-38)", "(1 / 2 * x)" };
        if (depth == 0 || r.NextDouble() < 0.25) return leaves[r.Next(leaves.Length)];
        string A() => Float(r, depth - 1, inLoop);
        string I() => Int(r, 2, inLoop);
        return r.Next(11) switch
        {
            0 => $"({A()} + {A()})",
            1 => $"({A()} - {A()})",
            2 => $"({A()} * {A()})",
            3 => $"({A()} / (1.5 + {A()} * {A()}))",
            4 => $"Math.Tanh({A()})",
            5 => $"({A()} * {I()})",
            6 => $"({A()} / ({I()} + 1))",
            7 => $"((double)({I()}) * {A()})",
            8 => $"({I()} / ({I()} + 1) * {A()})",
            9 => $"({A()} * ({I()} % 3 + 1.0) / 3)",
            _ => $"({A()} * {I()} / v.Length)",
        };
    }

    private static string Body(Random r)
    {
        var loop = r.Next(3) > 0
            ? $"        for (var i = 0; i < {(r.Next(3) == 0 ? "v.Length / 2" : "v.Length")}; i++) s += {Float(r, 3, true)};\n"
            : "";
        var tail = r.Next(3) switch { 0 => "s", 1 => "s / v.Length", _ => $"s * {Float(r, 2, false)}" };
        return $"        double s = {Float(r, 3, false)};\n{loop}        return {tail};\n";
    }

    [Fact]
    public void RandomIntAndFloatingMethods_GeneratedValuesEqualTheMethods_PartialsMatchTheirDifferences()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("SYMGRAD_TYPED_METHODS"), out var n) && n > 0 ? n : 120;
        var random = new Random(int.TryParse(Environment.GetEnvironmentVariable("SYMGRAD_TYPED_SEED"), out var seed) ? seed : 20261130);
        var bodies = Enumerable.Range(0, count).Select(_ => Body(random)).ToList();
        var source = new StringBuilder("using System;\nusing SymGrad;\nnamespace Typed;\npublic static partial class Random\n{\n")
            .Append("    private const int N = 4;\n    private const int K = 5;\n    private const float Tiny = 1e-30f;\n    private const float Huge = 3e38f;\n");
        for (var k = 0; k < count; k++)
        {
            source.Append("    [Differentiable(nameof(x), nameof(y))]\n    public static double M").Append(k).Append("(double x, double y, double[] v)\n    {\n").Append(bodies[k]).Append("    }\n");
            source.Append("    public static double[] G").Append(k).Append("(double x, double y, double[] v) { var value = M").Append(k)
                .Append("Gradient(x, y, v, out var dx, out var dy); return new[] { value, dx, dy }; }\n");
        }
        source.Append("}\n");

        var result = GeneratorHarness.Run(source.ToString());
        // Warnings (a partial identically zero) are expected of random methods; errors are not.
        var errors = result.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(5).Select(d => d + " in " + result.SpanText(d))));
        Assert.Empty(result.CompileDiagnostics);
        using var stream = new MemoryStream();
        var emitted = result.Output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Take(5)));
        var type = Assembly.Load(stream.ToArray()).GetType("Typed.Random")!;

        var points = new Random(11);
        var worst = (Error: 0.0, Method: -1, What: "");
        var checkedPartials = 0;
        for (var k = 0; k < count; k++)
        {
            var method = type.GetMethod("M" + k)!.CreateDelegate<Func<double, double, double[], double>>();
            var gradient = type.GetMethod("G" + k)!.CreateDelegate<Func<double, double, double[], double[]>>();
            var length = Lengths[points.Next(Lengths.Length)];
            var v = Enumerable.Range(0, length).Select(_ => points.NextDouble() * 2 - 1).ToArray();
            var at = new[] { points.NextDouble() * 3 - 1.5, points.NextDouble() * 3 - 1.5 };
            // A method that throws (an int quotient by a wrapped i * i % 2 + 1 = 0) has a gradient that throws the same.
            double direct;
            try
            {
                direct = method(at[0], at[1], v);
            }
            catch (ArithmeticException e)
            {
                Assert.Throws(e.GetType(), () => gradient(at[0], at[1], v));
                continue;
            }
            var g = gradient(at[0], at[1], v);
            // The same computation up to the order of rounding (the engine sums and factors in its own order).
            // (Both NaN, or the same infinity, where a wrapped int divisor is 0: nothing to difference.)
            if (g[0].Equals(direct) && !double.IsFinite(direct)) continue;
            var valueError = Math.Abs(g[0] - direct) / (1 + Math.Abs(direct));
            Assert.True(valueError <= 1e-9, $"M{k} (n = {length}) at ({at[0]}, {at[1]}): generated {g[0]:r}, the method {direct:r}\n{bodies[k]}");
            for (var p = 0; p < 2; p++)
            {
                // A method that adds n terms into a value of size |f| rounds each step by about ε·|f|: past the slope's
                // size over the smallest step the differences take (10⁻⁵), its own rounding hides its slope from them
                // (n·y added to −7e14: every y ± h rounds to the same sum), and there is nothing to compare with.
                if (2.2e-16 * (1 + length) * Math.Abs(direct) / 1e-5 > 1e-3 * (1 + Math.Abs(g[1 + p]))) continue;
                if (AgreementTests.Reference(a => method(a[0], a[1], v), at, p) is not { } reference) continue;
                checkedPartials++;
                // Differences of a large value lose digits to rounding (about ε·|f|/h, h ≥ 10⁻⁵): the tolerance allows for it.
                var error = Math.Abs(g[1 + p] - reference) / (1 + Math.Abs(reference) + 1e-3 * Math.Abs(direct));
                if (error > worst.Error) worst = (error, k, $"∂/∂{"xy"[p]} (n = {length}): generated {g[1 + p]:r}, differences {reference:r}");
            }
        }
        output.WriteLine($"{checkedPartials} partials of {count} methods; worst relative error {worst.Error:e2}" + (worst.Method >= 0 ? $" at M{worst.Method} {worst.What}\n{bodies[worst.Method]}" : ""));
        Assert.True(checkedPartials >= count, "the differences settled for too few partials");
        Assert.True(worst.Error <= 1e-7, $"M{worst.Method} {worst.What}\n{(worst.Method >= 0 ? bodies[worst.Method] : "")}");
    }
}
