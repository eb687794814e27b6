using System.Linq;
using Xunit;

namespace SymGrad.Generators.Tests;

/// <summary>Inputs that once crashed the generator or made it emit code that does not compile (issue 14).</summary>
public class RobustnessTests
{
    private const string Header = "using System;\nusing SymGrad;\n";

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
}
