using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Xunit;

namespace SymGrad.Generators.Tests;

/// <summary>Inputs that once crashed the generator or made it emit code that does not compile (issue 14).</summary>
public class RobustnessTests
{
    private const string Header = "using System;\nusing SymGrad;\n";

    [Theory]
    [InlineData("Math.Exp(a - b) + 1e-19 * Math.Exp(-b)")]
    [InlineData("Math.Exp(a - b) + 1e-300 * Math.Exp(-b)")]
    [InlineData("Math.Exp(a - b) + 1e-18 * Math.Exp(-b)")]
    public void TinyCoefficients_PrintAndCompile(string body)
    {
        // A second user trial: 1e-19 · e^{−b} beside e^{a − b} failed the build with SG0004 ("nested too deeply").
        var r = GeneratorHarness.Run(Header + "public static partial class M { [Differentiable] public static double F(double a, double b) => " + body + "; }");
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
    }

    [Fact]
    public void HintNames_ThatDifferOnlyInCase_OrSanitiseAlike_AreAllGenerated()
    {
        // Loss and loss in one type, types Model and model, C<T> beside C_T_: one hint name each, once the compiler
        // compares them ignoring case and SymGrad replaces < > by _ — every file dropped (CS8785) before.
        var r = GeneratorHarness.Run(Header + """
            public static partial class M
            {
                [Differentiable] public static double Loss(double x) => x * x;
                [Differentiable] public static double loss(double x) => x * x * x;
            }
            public static partial class Model { [Differentiable] public static double F(double x) => 2 * x; }
            public static partial class model { [Differentiable] public static double F(double x) => 3 * x; }
            public static partial class C<T> { [Differentiable] public static double F(double x) => 4 * x; }
            public static partial class C_T_ { [Differentiable] public static double F(double x) => 5 * x; }
            public static class Use
            {
                public static double All() => M.LossDerivative(1) + M.lossDerivative(1) + Model.FDerivative(1) + model.FDerivative(1)
                    + C<int>.FDerivative(1) + C_T_.FDerivative(1);
            }
            """);
        Assert.Empty(r.CompileDiagnostics);
        Assert.Empty(r.GeneratorDiagnostics);
        var hints = r.Run.Results.Single().GeneratedSources.Select(s => s.HintName).ToList();
        Assert.Equal(7, hints.Count);
        Assert.Equal(hints.Count, hints.Distinct(System.StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void KeywordNames_ForTypesMethodsAndParameters_AreEscapedInTheGeneratedCode()
    {
        // `partial class @class` was emitted as `partial class class` (CS0260 in the generated file).
        var r = GeneratorHarness.Run(Header + """
            namespace @namespace;
            public static partial class @class
            {
                public static partial class @struct { [Differentiable] public static double @return(double @in, double @out) => @in * @out; }
                [Differentiable] public static double @if(double @double) => Math.Sin(@double);
            }
            public static class Use
            {
                public static double All() => @class.@struct.@returnPartial_in(1, 2) + @class.@ifDerivative(1)
                    + @class.@struct.@returnGradient(1, 2, out var din, out var dout) + din + dout;
            }
            """);
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
        Assert.Equal(2, r.Run.Results.Single().GeneratedSources.Length - 1); // the two methods and the registry
    }

    [Fact]
    public void OutputsNamedAfterKeywords_AreEscaped_InEveryOverload()
    {
        // d + o is `do`, d + ouble `double`: `out double do` and `gradient[1] = do` did not compile (a user trial's LSTM
        // with an output-gate weight o). Plain scalar, span overload, and a recurrence's span overload.
        var r = GeneratorHarness.Run(Header + """
            public static partial class M
            {
                [Differentiable] public static double Plain(double a, double o, double ouble) => a * o * o + ouble;
                [Differentiable("o", "efault")] public static double Cell(double o, double efault, ReadOnlySpan<double> x)
                {
                    var h = 0.0;
                    for (var t = 0; t < x.Length; t++) h = Math.Tanh(o * h + efault * x[t]);
                    return h;
                }
                public static double Use(Span<double> g, double[] x) => PlainGradient(1, 2, 3, out var da, out var @do, out var @double) + da + @do + @double
                    + PlainGradient(1, 2, 3, g) + CellGradient(0.5, 0.25, x, out var dO, out var @default) + CellGradient(0.5, 0.25, x, g) + dO + @default;
            }
            """);
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
    }

    [Fact]
    public void ParametersNamedLikeTheSweepsLocals_DoNotCollide()
    {
        // The recurrence's generated locals (the trajectory, its pool array, the value, the step count, the adjoints)
        // named as parameters: they are renamed, and the gradient still equals differences of the method.
        var r = GeneratorHarness.Run(Header + """
            public static partial class M
            {
                [Differentiable("hTrajectoryRented", "value")]
                public static double Cell(double hTrajectoryRented, double value, ReadOnlySpan<double> steps, ReadOnlySpan<double> delta_h)
                {
                    var h = 0.0;
                    var loss = 0.0;
                    for (var t = 0; t < steps.Length; t++)
                    {
                        h = Math.Tanh(hTrajectoryRented * h + value * steps[t]);
                        loss += (h - delta_h[t]) * (h - delta_h[t]);
                    }
                    return loss;
                }
                public static double Value(double a, double b, double[] x, double[] y) => Cell(a, b, x, y);
                public static double Gradient(double a, double b, double[] x, double[] y, out double da, out double db) => CellGradient(a, b, x, y, out da, out db);
            }
            """);
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
        using var stream = new MemoryStream();
        Assert.True(r.Output.Emit(stream).Success);
        var type = Assembly.Load(stream.ToArray()).GetType("M")!;
        var x = Enumerable.Range(0, 400).Select(i => Math.Sin(i * 0.37)).ToArray();
        var y = Enumerable.Range(0, 400).Select(i => Math.Cos(i * 0.11) * 0.5).ToArray();
        double F(double a, double b) => (double)type.GetMethod("Value")!.Invoke(null, new object[] { a, b, x, y })!;
        var arguments = new object?[] { 0.7, -0.4, x, y, null, null };
        var value = (double)type.GetMethod("Gradient")!.Invoke(null, arguments)!;
        Assert.Equal(F(0.7, -0.4), value, 10);
        Assert.Equal((F(0.7 + 1e-6, -0.4) - F(0.7 - 1e-6, -0.4)) / 2e-6, (double)arguments[4]!, 5);
        Assert.Equal((F(0.7, -0.4 + 1e-6) - F(0.7, -0.4 - 1e-6)) / 2e-6, (double)arguments[5]!, 5);
    }

    [Fact]
    public void ANullVariableList_MeansEveryParameter()
    {
        var r = GeneratorHarness.Run(Header + "public static partial class M { [Differentiable(null)] public static double F(double x, double y) => x * y; public static double Use() => M.FPartial_x(1, 2) + M.FPartial_y(1, 2); }");
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
    }

    [Fact]
    public void ACallerOfAMethodWithErrors_IsNotGenerated_AndSaysWhy_Once()
    {
        // G has an error of its own; F calls G and H calls F. Before, F's and H's generated code called GDerivative,
        // which does not exist (CS0103 inside the generated files).
        var r = GeneratorHarness.Run(Header + """
            public static partial class M
            {
                [Differentiable] public static double G(double x) { var s = 0.0; while (s < 3) s += x; return s; }
                [Differentiable] public static double F(double x) => G(x) * x;
                [Differentiable] public static double H(double x) => F(x) + 1;
                [Differentiable] public static double Fine(double x) => x * x;
            }
            """);
        Assert.Empty(r.CompileDiagnostics);
        Assert.Single(r.GeneratorDiagnostics, d => d.Id == "SG0003");
        var cascaded = r.GeneratorDiagnostics.Where(d => d.Id == "SG0021").ToList();
        Assert.Equal(2, cascaded.Count);
        Assert.Contains(cascaded, d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).StartsWith("'M.G': it has errors of its own", System.StringComparison.Ordinal));
        Assert.Contains(cascaded, d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).StartsWith("'M.F': it has errors of its own", System.StringComparison.Ordinal));
        var hints = r.Run.Results.Single().GeneratedSources.Select(s => s.HintName).ToList();
        Assert.Contains("M.Fine.g.cs", hints);
        Assert.DoesNotContain("M.F.g.cs", hints);
        Assert.DoesNotContain("M.H.g.cs", hints);
    }

    [Theory]
    [InlineData("[Differentiable] public static double F(double x) => Math.Tanh(x);", new[] { "x" }, 1, false)]
    [InlineData("[Differentiable(Order = 2)] public static double F(double x, double y) => x * Math.Exp(y);", new[] { "x", "y" }, 2, false)]
    [InlineData("[Differentiable(Order = 2)] public static double F(double x) => x * x * x;", new[] { "x" }, 2, false)]
    [InlineData("[Differentiable] public static double F(ReadOnlySpan<double> v) { var s = 0.0; for (var i = 0; i < v.Length; i++) s += v[i] * v[i]; return s; }", new[] { "v" }, 1, true)]
    public void TheNamesCheckedForCollisions_AreTheMembersGenerated(string method, string[] variables, int order, bool indexed)
    {
        // SG0027 checks the names SignatureReader.GeneratedNames lists: they must be what the emitter writes.
        var r = GeneratorHarness.Run(Header + "public static partial class M { " + method + " }");
        var emitted = System.Text.RegularExpressions.Regex.Matches(r.Generated("M.F.g.cs"), @"static \S+ (F\w*)\(").Select(m => m.Groups[1].Value).Distinct().ToList();
        var listed = SignatureReader.GeneratedNames("F", variables, order, indexed, variables);
        Assert.Empty(emitted.Except(listed));
        // Every listed name is written, but the derivative from the value, which only some functions have.
        Assert.Empty(listed.Where(n => n != "FDerivativeFromValue").Except(emitted));
    }

    private static Type Load(GeneratorHarness.Result r, string type)
    {
        using var stream = new MemoryStream();
        var emitted = r.Output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Take(5)));
        return Assembly.Load(stream.ToArray()).GetType(type)!;
    }

    [Theory]
    [InlineData(DifferentiableParser.MaxPartialMembers - 1, true)] // with y: exactly the limit
    [InlineData(DifferentiableParser.MaxPartialMembers, false)]
    [InlineData(3000, false)]
    public void AWideMethod_GetsItsGradient_AndPartialMembersOnlyUpToTheLimit(int n, bool partials)
    {
        // e = Σ c_i w_i − y, f = e²: n partial members of n parameters each would be n² of generated code (3 000 weights:
        // hundreds of MB and minutes), and each partial's LaTeX repeats e (past 2 GB: an internal error).
        var source = new StringBuilder(Header + "public static partial class M\n{\n    [Differentiable] public static double F(");
        source.Append(string.Join(", ", Enumerable.Range(0, n).Select(i => $"double w{i}"))).Append(", double y)\n    {\n        var e = ");
        source.Append(string.Join(" + ", Enumerable.Range(0, n).Select(i => $"w{i} * {1 + i % 7}.5"))).Append(" - y;\n        return e * e;\n    }\n");
        source.Append("    [Differentiable] public static double G(double a, double b) => F(" + string.Join(", ", Enumerable.Range(0, n + 1).Select(i => i % 2 == 0 ? "a" : "b")) + ");\n}\n");
        var r = GeneratorHarness.Run(source.ToString());
        Assert.Empty(r.CompileDiagnostics);
        var generated = r.Generated("M.F.g.cs");
        Assert.Equal(partials, generated.Contains("FPartial_w0(", StringComparison.Ordinal));
        Assert.InRange(generated.Length, 0, 2000 * n + 400_000); // linear: the gradient, the out overload, the LaTeX within its budget
        if (n >= 1000) Assert.Contains("omitted: this method", generated, StringComparison.Ordinal);
        var refused = r.GeneratorDiagnostics.Where(d => d.Id == "SG0021").ToList();
        if (partials) Assert.Empty(refused);
        else Assert.Contains($"more than {DifferentiableParser.MaxPartialMembers}", Assert.Single(refused).GetMessage(System.Globalization.CultureInfo.InvariantCulture));

        // The names SG0027 checks are the members written.
        var variables = Enumerable.Range(0, n).Select(i => "w" + i).Append("y").ToList();
        var emitted = System.Text.RegularExpressions.Regex.Matches(generated, @"static \S+ (F\w*)\(").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Empty(emitted.Except(SignatureReader.GeneratedNames("F", variables, 1, false, variables)));

        // The gradient is the method's: value equal, partials 2 c_i e.
        var type = Load(r, "M");
        var at = Enumerable.Range(0, n + 1).Select(i => Math.Sin(i) * 0.01).ToArray();
        var gradient = type.GetMethods().Single(m => m.Name == "FGradient" && m.GetParameters().Length == 2 * (n + 1));
        var args = at.Cast<object?>().Concat(at.Select(_ => (object?)0.0)).ToArray();
        var value = (double)gradient.Invoke(null, args)!;
        var f = (double)type.GetMethod("F")!.Invoke(null, at.Cast<object?>().ToArray())!;
        Assert.Equal(f, value, 12);
        var e = Enumerable.Range(0, n).Sum(i => at[i] * (1 + i % 7 + 0.5)) - at[n];
        for (var i = 0; i < n; i += 97) Assert.Equal(2 * (1 + i % 7 + 0.5) * e, (double)args[n + 1 + i]!, 10);
        Assert.Equal(-2 * e, (double)args[2 * n + 1]!, 10);
    }

    [Fact]
    public void ALongChainOfLocals_Generates_AndComputesTheMethodsDerivative()
    {
        var source = new StringBuilder(Header + "public static partial class M\n{\n    [Differentiable] public static double F(double x)\n    {\n        double t = x;\n");
        for (var i = 0; i < 2000; i++) source.Append("        t = Math.Sin(t) + 0.001 * x;\n");
        var r = GeneratorHarness.Run(source.Append("        return t;\n    }\n}\n").ToString());
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
        var type = Load(r, "M");
        var f = type.GetMethod("F")!.CreateDelegate<Func<double, double>>();
        var derivative = type.GetMethod("FDerivative")!.CreateDelegate<Func<double, double>>();
        foreach (var x in new[] { -1.3, 0.2, 2.0 })
        {
            var h = 1e-6;
            var numeric = (f(x + h) - f(x - h)) / (2 * h);
            Assert.True(Math.Abs(derivative(x) - numeric) < 1e-6 * (1 + Math.Abs(numeric)), $"at {x}: {derivative(x)} vs {numeric}");
        }
    }

    [Fact]
    public void AChainOfConditionalStatements_GeneratesLinearCode_AndItsDerivation_IsBounded()
    {
        // t = t > c ? 0.5 t + sin x : 0.9 t − 0.3 x, 60 times (the issue's report had 2 t − x): the adjoint held both branches as separate piecewise terms and the
        // constants doubled them per step (n = 50: 75 s; 300 did not finish); the derivation printed the shared adjoints as
        // trees (n = 12: 3.7 MB of LaTeX).
        const int n = 60;
        var body = new System.Text.StringBuilder("var t = x;\n");
        // (Slopes below 1 on both branches: with t = 2t − x the adjoints are 2^k and the chain rule's sum cancels them in
        // any reverse mode — 2^59 − (2^59 − 1) is 0 in double.)
        for (var i = 0; i < n; i++) body.Append($"t = t > {(i % 7) * 0.25 - 0.5} ? t * 0.5 + Math.Sin(x) : t * 0.9 - 0.3 * x;\n");
        var source = Header + "public static partial class M { [Differentiable] public static double G(double x) {\n" + body + "return t; } }";
        var r = GeneratorHarness.Run(source);
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
        var generated = r.Generated("M.G.g.cs");
        Assert.InRange(generated.Length, 0, 2 * DifferentiableEmitter.MaxLatexChars + 100_000);
        var type = Load(r, "M");
        double G(double x) => (double)type.GetMethod("G")!.Invoke(null, new object[] { x })!;
        double D(double x) => (double)type.GetMethod("GDerivative")!.Invoke(null, new object[] { x })!;
        foreach (var x in new[] { -1.3, -0.2, 0.37, 1.1, 2.9 })
        {
            var h = 1e-7;
            var difference = (G(x + h) - G(x - h)) / (2 * h);
            Assert.True(Math.Abs(D(x) - difference) <= 1e-5 * (1 + Math.Abs(difference)), $"G′({x}) = {D(x)}, differences {difference}");
        }
    }

    [Fact]
    public void AMaxOverAnEmptySpan_IsMinusInfinity_WithAZeroGradient_NotAnIndexError()
    {
        var r = GeneratorHarness.Run(Header + """
            public static partial class M
            {
                [Differentiable("w")]
                public static double MaxRed(double[] x, double w)
                {
                    var best = double.NegativeInfinity;
                    for (var i = 0; i < x.Length; i++) best = Math.Max(best, x[i] * w);
                    return best;
                }
                public static double Call(double[] x, double w, out double dw) => MaxRedGradient(x, w, out dw);
            }
            """);
        Assert.Empty(r.CompileDiagnostics);
        var gradient = Load(r, "M").GetMethod("Call")!;
        var args = new object?[] { System.Array.Empty<double>(), 2.0, null };
        Assert.Equal(double.NegativeInfinity, (double)gradient.Invoke(null, args)!); // x[argmax] threw IndexOutOfRange
        Assert.Equal(0.0, (double)args[2]!);
        args = new object?[] { new[] { 1.0, 5.0, -3.0 }, 2.0, null };
        Assert.Equal(10.0, (double)gradient.Invoke(null, args)!);
        Assert.Equal(5.0, (double)args[2]!);
    }

    [Fact]
    public void ConstantsThatAbsorbTheInput_AreAddedInCsharpsOrder()
    {
        // (x + 16777217f) − 16777216f is 0 in float for |x| < 1 (x vanishes into 2^24); folding the constants gave x.
        var r = GeneratorHarness.Run(Header + """
            public static partial class M
            {
                [Differentiable] public static float F(float x) => (x + 16777217f) - 16777216f;
                [Differentiable] public static double G(double x) => 1e17 + x - 1e17 + 2 * x;
                [Differentiable] public static float H(float x) => x + 3f - 3f + 0.5f * x;
            }
            """);
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
        var type = Load(r, "M");
        foreach (var x in new[] { 0.3, -0.7, 5.0, 1234.5, 1e9 })
        {
            var args = new object?[] { (float)x, null };
            Assert.Equal(type.GetMethod("F")!.Invoke(null, new object?[] { (float)x }), type.GetMethod("FGradient")!.Invoke(null, args));
            args = new object?[] { x, null };
            Assert.Equal(type.GetMethod("G")!.Invoke(null, new object?[] { x }), type.GetMethod("GGradient")!.Invoke(null, args));
            args = new object?[] { (float)x, null };
            var h = (float)type.GetMethod("H")!.Invoke(null, new object?[] { (float)x })!;
            Assert.True(Math.Abs(h - (float)type.GetMethod("HGradient")!.Invoke(null, args)!) <= 1e-6 * Math.Max(1, Math.Abs(h)));
        }
    }
}
