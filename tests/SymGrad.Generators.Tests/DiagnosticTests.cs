using System.Linq;
using Microsoft.CodeAnalysis;

namespace SymGrad.Generators.Tests;

/// <summary>Every SG diagnostic, triggered on the exact syntax it should point at.</summary>
public class DiagnosticTests
{
    private const string Header = "using System;\nusing SymGrad;\n";

    private static (Diagnostic Diagnostic, string SpanText) First(string id, string source)
    {
        var result = GeneratorHarness.Run(Header + source);
        var matching = result.GeneratorDiagnostics.Where(d => d.Id == id).ToList();
        Assert.True(matching.Count >= 1, $"expected {id}, got: {string.Join("; ", result.GeneratorDiagnostics)}");
        // Each method reports its own problem once (two overloads report SG0012 each, on their own name).
        Assert.Equal(matching.Count, matching.Select(d => d.Location.SourceSpan).Distinct().Count());
        return (matching[0], result.SpanText(matching[0]));
    }

    [Theory]
    [InlineData("SG0001", "public static partial class M { [Differentiable] public double F(double x) => x * x; }", "F")]
    [InlineData("SG0002", "public static class M { [Differentiable] public static double F(double x) => x * x; }", "M")]
    [InlineData("SG0002", "public partial class Outer { public class Inner { [Differentiable] public static double F(double x) => x; } }", "Inner")]
    [InlineData("SG0003", "public static partial class M { [Differentiable] public static double F(double x) { var s = 0.0; while (s < 3) s += x; return s; } }", "while (s < 3) s += x;")]
    [InlineData("SG0018", "public static partial class M { [Differentiable] public static double F(double x) { var s = 0.0; for (var i = 0; i != 3; i++) s += x; return s; } }", "i != 3")]
    [InlineData("SG0019", "public static partial class M { [Differentiable] public static double F(double x) { var s = 1.0; for (var i = 0; i < 3; i++) { s *= x; if (s > 2) break; } return s; } }", "break;")]
    [InlineData("SG0018", "public static partial class M { [Differentiable] public static double F(double x) { var s = 0.0; for (var i = 0; i < 3; i += 0) s += x; return s; } }", "for (var i = 0; i < 3; i += 0) s += x;")]
    [InlineData("SG0018", "public static partial class M { [Differentiable] public static double F(double x) { var s = 0.0; for (var i = 9; i < 3; i--) s += x; return s; } }", "for (var i = 9; i < 3; i--) s += x;")]
    [InlineData("SG0014", "public static partial class M { [Differentiable] public static double F(double x) { var s = 0.0; for (var i = 0.5; i < 3; i++) s += x; return s; } }", "0.5")]
    [InlineData("SG0019", "public static partial class M { [Differentiable] public static double F(double x) { var a = 0.0; for (var j = 0; j < 2; j++) { var s = 1.0; for (var i = 0; i < 3; i++) s += s * x; a += s; } return a; } }", "for (var i = 0; i < 3; i++) s += s * x;")]
    [InlineData("SG0022", "public static partial class M { [Differentiable] public static double F(double x, System.ReadOnlySpan<double> v) => v[0, 1] * x; }", "[0, 1]")]
    [InlineData("SG0003", "public static partial class M { [Differentiable] public static double F(double x) { var a = new double[3]; a[0] = x; return a[0]; } }", "a[0] = x")]
    [InlineData("SG0019", "public static partial class M { [Differentiable] public static double F(double x) { var a = new double[3]; for (var i = 0; i < 2; i++) a[i] = x; return a[0]; } }", "a[i] = x")]
    [InlineData("SG0019", "public static partial class M { [Differentiable] public static double F(double x) { var h = new double[2]; for (var t = 0; t < 3; t++) for (var i = 0; i < 2; i++) h[i] = System.Math.Tanh(x * h[1 - i]); return h[0]; } }", "for (var i = 0; i < 2; i++) h[i] = System.Math.Tanh(x * h[1 - i]);")]
    [InlineData("SG0003", "public static partial class M { [Differentiable] public static double F(double x) { var a = new double[2]; var b = new double[2]; b = a; for (var i = 0; i < 2; i++) a[i] = x; return b[0]; } }", "a[i] = x")]
    [InlineData("SG0003", "public static partial class M { [Differentiable] public static double F(double x) { var a = new double[2]; var b = new double[3]; a.CopyTo(b); return b[0] + x; } }", "a.CopyTo(b)")]
    [InlineData("SG0022", "public static partial class M { [Differentiable] public static double F(double x) { var a = new float[2]; return x; } }", "new float[2]")]
    [InlineData("SG0019", "public static partial class M { [Differentiable] public static double F(double x) { var h = new double[2]; var next = new double[2]; for (var t = 0; t < 3; t++) { for (var i = 0; i < 2; i++) next[i] = System.Math.Tanh(x * h[1 - i]); h = next; } return h[0]; } }", "h = next")]
    [InlineData("SG0019", "public static partial class M { [Differentiable] public static double F(double x) { var h = 0.0; for (var t = 0; t < 5; t++) { h = System.Math.Tanh(x * h + 1); t += 1; } return h; } }", "t += 1")]
    [InlineData("SG0019", "public static partial class M { [Differentiable] public static double F(double x) { var a = new double[3]; var s = 0.0; for (var i = 0; i < 3; i++) { a[i] = x * i; s += a[0]; } return s; } }", "a[0]")]
    [InlineData("SG0028", "public static partial class M { [Differentiable(Order = 2)] public static double F(double x) { var p = 1.0; for (var i = 0; i < 3; i++) p *= x; return p; } }", "Differentiable(Order = 2)")]
    [InlineData("SG0019", "public static partial class M { [Differentiable] public static double F(double x) { var s = 0.0; for (var i = 0; i < 3; i++) { s += x; s = System.Math.Max(s, x * i); } return s; } }", "s = System.Math.Max(s, x * i)")]
    [InlineData("SG0019", "public static partial class M { [Differentiable] public static double F(double x) { var s = 1.0; for (var i = 0; i < 3; i++) s *= x; for (var i = 0; i < 3; i++) s = System.Math.Max(s, s * x); return s; } }", "for (var i = 0; i < 3; i++) s = System.Math.Max(s, s * x);")]
    [InlineData("SG0021", "public static partial class M { [Differentiable] public static double F(double x) => SymGrad.Sym.Sum(3, i => { return x; }); }", "i => { return x; }")]
    [InlineData("SG0025", "public static partial class M { [Differentiable(Order = 2)] public static double F(double x, double[,] v) => v[0, 0] * x; }", "Differentiable(Order = 2)")]
    [InlineData("SG0003", "public static partial class M { [Differentiable] public static double F(double x) { x = x * 2; return x; } }", "x = x * 2")]
    [InlineData("SG0017", "public static partial class M { [Differentiable] public static double F(double x) { if (x > 0) return x; } }", "if (x > 0) return x;")]
    [InlineData("SG0021", "public static partial class M { static double G(double x) => x; [Differentiable] public static double F(double x) => G(x) + 1; }", "G")]
    [InlineData("SG0021", "public static partial class M { static double G(double x, double y) => x; [DerivativeOf(nameof(G))] static double D(double x) => 1; [Differentiable] public static double F(double x) => G(x, x); }", "G")]
    [InlineData("SG0016", "public static partial class M { [Differentiable] public static double F(double x) => x % 2; }", "x % 2")]
    [InlineData("SG0016", "public static partial class M { [Differentiable] public static double F(double x, System.ReadOnlySpan<double> v) { long n = v.Length; return x * (n * n); } }", "v.Length")]
    [InlineData("SG0016", "public static partial class M { [Differentiable] public static double F(double x, System.ReadOnlySpan<double> v) { var c = 0; for (var i = 0; i < v.Length; i++) c += 1; return x * c; } }", "c += 1")]
    [InlineData("SG0016", "public static partial class M { [Differentiable] public static double F(double x) => x * 2m; }", "2m")]
    [InlineData("SG0016", "public static partial class M { [Differentiable] public static double F(double x, double[] v) => SymGrad.Sym.Sum(v.Length, i => x * (1.5f * i / v.Length)); }", "1.5f * i / v.Length")]
    [InlineData("SG0016", "public static partial class M { [Differentiable] public static double F(double x, double[] v) => SymGrad.Sym.Sum(v.Length, i => x * MathF.Exp(i)); }", "MathF.Exp(i)")]
    [InlineData("SG0014", "public static partial class M { [Differentiable] public static double F(double x) { var n = 2.5; var s = 0.0; for (var i = 0; i < n; i++) s += x * x; return s; } }", "n")]
    [InlineData("SG0014", "public static partial class M { [Differentiable] public static double F(double x, double[] v) => SymGrad.Sym.Sum(v.Length * 0.5, i => v[i] * x); }", "v.Length * 0.5")]
    [InlineData("SG0015", "public static partial class M { [Differentiable] public static double F(double x) => x * (int)x; }", "(int)x")]
    [InlineData("SG0015", "public static partial class M { [Differentiable] public static double F(double x, System.ReadOnlySpan<double> v) { var s = 0.0; for (var i = 0; i < v.Length; i++) s += x * ((float)i / 3); return s; } }", "(float)i")]
    [InlineData("SG0021", "public static partial class M { [Differentiable(nameof(a))] public static double G(double a, double b) => a * b; [Differentiable] public static double F(double x) => G(x, x); }", "G(x, x)")]
    [InlineData("SG0021", "public static partial class M { [Differentiable] public static double G(double a) => a * a; [Differentiable(Order = 2)] public static double F(double x) => G(x) + 1; }", "G(x)")]
    [InlineData("SG0021", "public static partial class M { [Differentiable] public static double G(double a) => a * a * a; [Differentiable(Order = 2)] public static double F(System.ReadOnlySpan<double> x) { var s = 0.0; for (var i = 0; i < x.Length; i++) s += G(x[i]); return s; } }", "G(x[i])")]
    [InlineData("SG0021", "public static partial class M { [Differentiable] public static double G(double a, double b) => a * b; [Differentiable] public static double F(double x) => G(x, b: x); }", "b: x")]
    [InlineData("SG0020", "public static partial class M { [Differentiable] public static double F(double x) => x + q; }", "q")]
    // `Math` that is not System.Math is not mistaken for it.
    [InlineData("SG0021", "public static partial class M { static class Math { public static double Exp(double x) => x; } [Differentiable] public static double F(double x) => Math.Exp(x); }", "Math.Exp")]
    [InlineData("SG0024", "public static partial class M { [Differentiable] public static double F(double x, long n) => x * n; }", "long n")]
    [InlineData("SG0006", "public static partial class M { [Differentiable(nameof(n))] public static double F(double x, int n) => x * n; }", "Differentiable(nameof(n))")]
    [InlineData("SG0005", "public static partial class M { [Differentiable] public static int F(int x) => x; }", "int")]
    [InlineData("SG0024", "public static partial class M { [Differentiable] public static double F(ref double x) => x; }", "ref double x")]
    [InlineData("SG0006", "public static partial class M { [Differentiable(\"q\")] public static double F(double x) => x; }", "Differentiable(\"q\")")]
    [InlineData("SG0007", "public static partial class M { [Differentiable(nameof(x))] public static double F(double x, double y) => y * y; }", "Differentiable(nameof(x))")]
    [InlineData("SG0008", "public static partial class M { [Differentiable] public static double F(double x) => Math.Abs(x) + 1; }", "Math.Abs(x)")]
    [InlineData("SG0008", "public static partial class M { [Differentiable] public static double F(double x) => Math.Max(x, 0); }", "Math.Max(x, 0)")]
    [InlineData("SG0009", "public static partial class M { [Differentiable] public static double F(double x) => x > 1 ? F(x / 2) : x; }", "F(x / 2)")]
    [InlineData("SG0010", "public static partial class M { [Differentiable] public static double F([NoDiff] double x) => x; }", "F")]
    [InlineData("SG0011", "public static partial class M { [Differentiable(Order = 3)] public static double F(double x) => x; }", "Differentiable(Order = 3)")]
    [InlineData("SG0012", "public static partial class M { [Differentiable] public static double F(double x) => x; [Differentiable] public static double F(double x, double y) => x * y; }", "F")]
    [InlineData("SG0004", "public static partial class M { [Differentiable] public static double F(double x) => x switch { < 0 => 0, > 0 => x }; }", "> 0 => x")]
    [InlineData("SG0004", "public static partial class M { [Differentiable] public static double F(double x) => x is double d ? d * x : x; }", "double d")]
    [InlineData("SG0004", "public static partial class M { [Differentiable] public static double F(double x) => x is > 0 and var y ? x : 0; }", "var y")]
    [InlineData("SG0004", "public static partial class M { [Differentiable] public static double F(double x) => x switch { > 0 and var q => q, _ => 0 }; }", "var q")]
    [InlineData("SG0004", "public static partial class M { [Differentiable] public static double F(double x) => x is double ? x : 0; }", "x is double")]
    [InlineData("SG0016", "public static partial class M { [Differentiable] public static double F(double x, System.ReadOnlySpan<double> v) => x * checked(v.Length * v.Length); }", "checked(v.Length * v.Length)")]
    // (float)Math.Exp(x) alone is the float function (netstandard2.0's idiom, NetStandardTests); a double result used in
    // double arithmetic before the cast is not.
    [InlineData("SG0016", "public static partial class M { [Differentiable] public static float F(float x) => (float)(Math.Exp(x) * 2); }", "Math.Exp(x)")]
    [InlineData("SG0016", "public static partial class M { [Differentiable] public static float F(float x) => (float)((double)x * x); }", "(double)x * x")]
    [InlineData("SG0016", "public static partial class M { [Differentiable] public static float F(System.ReadOnlySpan<float> x) { double s = 0; for (var i = 0; i < x.Length; i++) s += x[i] * x[i]; return (float)s; } }", "s += x[i] * x[i]")]
    [InlineData("SG0005", "public static partial class M { [Differentiable] public static T F<T>(T x) => x; }", "<T>")]
    [InlineData("SG0026", "public static partial class M { public static double G(double y) { [Differentiable] static double Local(double x) => x * x; return Local(y); } }", "Local")]
    [InlineData("SG0026", "file static partial class M { [Differentiable] public static double F(double x) => x * x; }", "F")]
    [InlineData("SG0027", "public static partial class M { [Differentiable] public static double F(double x) => x * x; public static double FGradient(double x, out double d) { d = 2 * x; return x * x; } }", "Differentiable")]
    [InlineData("SG0027", "public static partial class M { [Differentiable] public static double F(double x) => x * x; [Differentiable] public static double FDerivative(double x) => 2 * x; }", "Differentiable")]
    [InlineData("SG0027", "public static partial class M { [Differentiable(Order = 2)] public static double F(double x, double y, double x_y) => x * y * x_y; }", "Differentiable(Order = 2)")]
    [InlineData("SG0004", "public static partial class M { [Differentiable] public static double F(double x) => Math.Log(x, 1) * x; }", "Math.Log(x, 1)")]
    [InlineData("SG0004", "public static partial class M { [Differentiable] public static double F(double x) => Math.Min(x, double.MaxValue) + x * double.NaN * 0; }", "x * double.NaN * 0")]
    [InlineData("SG0023", "public static partial class M { [Differentiable] public static double F(double x) => x / (2 - 2); }", "(2 - 2)")]
    [InlineData("SG0022", "public static partial class M { [Differentiable] public static double F(double x, double[,] w) => x * w.Length; }", "w.Length")]
    [InlineData("SG0003", "public static partial class M { [Differentiable] public static double F(double x) { double s; s = x; return s; } }", "s")]
    public void Diagnostic_IsReportedOnTheOffendingSyntax(string id, string source, string span)
    {
        var (d, text) = First(id, source);
        Assert.Equal(span, text);
        Assert.Equal(DiagnosticDescriptors.ById(id).DefaultSeverity, d.Severity);
    }

    [Theory]
    [InlineData("public static partial class M { [Differentiable] public static double F(double x) => x + q; }", "'q' is not a parameter, local or constant of this method")]
    [InlineData("public static partial class M { [Differentiable] public static double F(double x) => x * x; public static int FDerivative; }", "'FDerivative' would be generated for 'F', but 'M' already has a field of that name; rename one")]
    [InlineData("public static partial class M { [Differentiable] public static double F(double x, long n) => x * n; }", "Parameter 'n' must be double like the return type (or a span or array of it), or int data, not 'long'")]
    [InlineData("public static partial class M { [Differentiable] public static double F(double x) { var s = 0.0; for (var i = 3; i > 0; i--) s += x; return s; } }", "'for (var i = 3; i > 0; i--)': the condition must be 'i < end' or 'i <= end'; write 'for (var i = 0; i < count; i++)'")]
    [InlineData("public static partial class M { [Differentiable] public static double F(double x) { var s = 1.0; for (var i = 0; i < 3; i++) { s *= x; if (s > 2) break; } return s; } }", "'break;' in a differentiable loop: a loop that carries state runs all its steps: an early exit (break, continue, return, goto, throw) is not differentiated; make the step a no-op instead, h = t < stop ? next : h")]
    [InlineData("public static partial class M { static double G(double x) => x; [Differentiable] public static double F(double x) => G(x) + 1; }", "'G': it is neither [Differentiable] nor given a [DerivativeOf] method, so SymGrad cannot differentiate through it")]
    [InlineData("public static partial class M { [Differentiable] public static double F(double x) => x / 0; }", "'x / 0' divides by zero: the divisor is always 0")]
    [InlineData("public static partial class M { [Differentiable] public static double F(double x) { if (x > 0) return x; } }", "Every path of a differentiable method must end with 'return'; the statement 'if (x > 0) return x;' does not")]
    [InlineData("public static partial class M { [Differentiable] public static extern double F(double x); }", "'F' cannot be differentiated: it has no body")]
    [InlineData("public static partial class M { [Differentiable] public static partial double F(double x); public static partial double F(double x) => x; }", "'F' cannot be differentiated: this declaration of the partial method has no body; put [Differentiable] on the one that has")]
    [InlineData("public static partial class M { [Differentiable] public static float G(float x) => x * x; [Differentiable] public static double F(double x) => G(x) + 1; }", "'G': no overload of it takes these arguments: it takes (float)")]
    public void Messages_NameTheConstruct_AndTheReason(string source, string message)
    {
        var r = GeneratorHarness.Run(Header + source);
        var d = Assert.Single(r.GeneratorDiagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal(message, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ErrorsProduceNoCode_WarningsDo()
    {
        var error = GeneratorHarness.Run(Header + "public static partial class M { [Differentiable] public static double F(double x) { while (x > 1) x /= 2; return x; } }");
        Assert.DoesNotContain(error.Run.Results.Single().GeneratedSources, s => s.HintName.StartsWith("M.", System.StringComparison.Ordinal));
        Assert.Empty(error.CompileDiagnostics);

        var warning = GeneratorHarness.Run(Header + "public static partial class M { [Differentiable] public static double F(double x) => Math.Abs(x); }");
        Assert.Contains(warning.Run.Results.Single().GeneratedSources, s => s.HintName == "M.F.g.cs");
        Assert.Empty(warning.CompileDiagnostics);
    }

    // SG0008 where a kink or a step reaches the result; not where the call only decides a branch (issue 15: Huber, hard
    // sigmoid and pinball needed a #pragma), nor where algebra removed it.
    [Theory]
    [InlineData("[Differentiable] public static double F(double x, double d) => Math.Abs(x) <= d ? 0.5 * x * x : d * x;", null)]
    [InlineData("[Differentiable] public static double F(double x) { if (Math.Abs(x - 1) > 2) return x; return x * x; }", null)]
    [InlineData("[Differentiable] public static double F(double x) => Math.Max(x, 1) is > 2 and < 3 ? x : 2 * x;", null)]
    [InlineData("[Differentiable] public static double F(double x) => Math.Abs(x * x) + 1;", null)]
    [InlineData("[Differentiable] public static double F(double x) => Math.Abs(x) <= 1 ? x * x : Math.Abs(x);", "Math.Abs(x)@2")]
    [InlineData("[Differentiable] public static double F(double x) => x + Math.Floor(x);", "Math.Floor(x)")]
    [InlineData("[Differentiable] public static double F(double x) => x + Math.Round(3 * x);", "Math.Round(3 * x)")]
    [InlineData("[Differentiable] public static double F(double x, double y) => Math.CopySign(x, y);", "Math.CopySign(x, y)")]
    [InlineData("[Differentiable] public static float F(float x) => float.Max(x, 0);", "float.Max(x, 0)")]
    [InlineData("[Differentiable] public static double F(double x) => Math.Sign(x) * x * x;", "Math.Sign(x)")]
    // Smooth functions written in stable forms: binary cross-entropy on a logit (softplus), a log-sum-exp shifted by hand.
    [InlineData("[Differentiable] public static double F(double z, double y) => Math.Max(z, 0) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z)));", null)]
    [InlineData("[Differentiable] public static double F(double a, double b) => Math.Log(Math.Exp(a - Math.Max(a, b)) + Math.Exp(b - Math.Max(a, b))) + Math.Max(a, b) - a;", null)]
    [InlineData("[Differentiable] public static double F(double a, double b) => Math.Exp(a - Math.Max(a, b));", "Math.Max(a, b)")]
    public void NonDifferentiablePoint_IsReported_WhereItReachesAValue(string method, string? expected)
    {
        var result = GeneratorHarness.Run(Header + "public static partial class M { " + method + " }");
        Assert.Empty(result.CompileDiagnostics);
        var warnings = result.GeneratorDiagnostics.Where(d => d.Id == "SG0008").ToList();
        if (expected is null)
        {
            Assert.Empty(warnings);
            return;
        }
        var (text, occurrence) = expected.Contains('@') ? (expected.Split('@')[0], int.Parse(expected.Split('@')[1])) : (expected, 1);
        var w = Assert.Single(warnings);
        Assert.Equal(text, result.SpanText(w));
        // The occurrence meant: Huber's value branch, not its test.
        var source = Header + "public static partial class M { " + method + " }";
        var at = -1;
        for (var k = 0; k < occurrence; k++) at = source.IndexOf(text, at + 1, System.StringComparison.Ordinal);
        Assert.Equal(at, w.Location.SourceSpan.Start);
    }

    [Theory]
    [InlineData("SG0008", "[Differentiable] public static double F(double x) => Math.Abs(x) + 1;")]
    [InlineData("SG0007", "[Differentiable(nameof(x))] public static double F(double x, double y) => y * y;")]
    public void PragmaWarningDisable_AroundTheMethod_SuppressesTheWarning_AndOnlyThere(string id, string method)
    {
        // A method inside #pragma warning disable … restore: its warning is reported suppressed (the build does not show
        // it); the same method outside the region is reported as before.
        var source = Header + "public static partial class M\n{\n#pragma warning disable " + id + "\n    " + method + "\n#pragma warning restore " + id +
                     "\n}\npublic static partial class N\n{\n    " + method + "\n}\n";
        var result = GeneratorHarness.Run(source);
        var reported = result.GeneratorDiagnostics.Where(d => d.Id == id).ToList();
        Assert.Equal(2, reported.Count);
        Assert.Single(reported, d => d.IsSuppressed);
        var suppressed = reported.Single(d => d.IsSuppressed);
        var shown = reported.Single(d => !d.IsSuppressed);
        Assert.True(suppressed.Location.GetLineSpan().StartLinePosition.Line < shown.Location.GetLineSpan().StartLinePosition.Line, "the suppressed one is M's, the first");
        Assert.True(suppressed.Location.IsInSource, "a location in the syntax tree, which #pragma is matched against");
    }

    [Fact]
    public void EveryDescriptor_IsDocumented_AndTracked()
    {
        var root = System.IO.Path.GetFullPath(System.IO.Path.Combine(System.AppContext.BaseDirectory, "../../../../.."));
        var docs = System.IO.File.ReadAllText(System.IO.Path.Combine(root, "docs/diagnostics.md"));
        var releases = System.IO.File.ReadAllText(System.IO.Path.Combine(root, "generators/SymGrad.Generators/AnalyzerReleases.Unshipped.md"));
        var headings = docs.Split('\n').Where(l => l.StartsWith("## ", System.StringComparison.Ordinal)).Select(l => l[3..].Trim()).ToHashSet();
        var props = System.IO.File.ReadAllText(System.IO.Path.Combine(root, "Directory.Build.props"));
        Assert.Contains($"<RepositoryUrl>{DiagnosticDescriptors.RepositoryUrl}</RepositoryUrl>", props);
        foreach (var d in DiagnosticDescriptors.All)
        {
            Assert.Contains(d.Id, headings);
            Assert.Contains(d.Id + " |", releases);
            // The link is GitHub's anchor of that heading in the repository's docs/diagnostics.md.
            Assert.Equal($"{DiagnosticDescriptors.RepositoryUrl}/blob/main/docs/diagnostics.md#{d.Id.ToLowerInvariant()}", d.HelpLinkUri);
        }
    }

    [Fact]
    public void ReportedDiagnostics_CarryTheirHelpLink()
    {
        var result = GeneratorHarness.Run("""
            using SymGrad;
            public static class NotPartial
            {
                [Differentiable] public static double F(double x) => x * x;
            }
            """);
        var d = Assert.Single(result.GeneratorDiagnostics, d => d.Id == "SG0002");
        Assert.Equal(DiagnosticDescriptors.HelpLink("SG0002"), d.Descriptor.HelpLinkUri);
        Assert.EndsWith("docs/diagnostics.md#sg0002", d.Descriptor.HelpLinkUri, System.StringComparison.Ordinal);
    }
}
