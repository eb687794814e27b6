using System;
using System.Globalization;
using System.IO;
using System.Linq;
using SymGrad.Cli;
using SymGrad.Tests.Shared;

namespace SymGrad.Cli.Tests;

public class DiffCommandTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = SymgradCommand.Run(args, output, error);
        return (exit, output.ToString().Replace("\r\n", "\n"), error.ToString().Replace("\r\n", "\n"));
    }

    [Fact]
    public void Diff_CSharp_PrintsACompilableMethod_ThatComputesValueAndPartials()
    {
        var (exit, text, err) = Run("diff", "0.5 * (y - (w * x + b)) * (y - (w * x + b))", "--wrt", "w,b");
        Assert.Equal(0, exit);
        Assert.Equal("", err);
        Assert.Contains("public static double F(double b, double w, double x, double y, out double dw, out double db)", text);
        var m = RoslynCompiler.CompileMethod(text, "F");
        var args = new object?[] { 3.0, 2.0, 1.5, 10.0, null, null }; // b, w, x, y
        var value = (double)m.Invoke(null, args)!;
        var residual = 10.0 - (2.0 * 1.5 + 3.0);
        Assert.Equal(0.5 * residual * residual, value, 12);
        Assert.Equal(-residual * 1.5, (double)args[4]!, 12);
        Assert.Equal(-residual, (double)args[5]!, 12);
    }

    [Fact]
    public void Diff_Float_EmitsMathFCode()
    {
        var (exit, text, _) = Run("diff", "Math.Tanh(w * x)", "--wrt", "w", "--float", "--name", "Act");
        Assert.Equal(0, exit);
        Assert.Contains("public static float Act(float w, float x, out float dw)", text);
        Assert.Contains("MathF.Tanh", text);
        var m = RoslynCompiler.CompileMethod(text, "Act");
        var args = new object?[] { 0.5f, 2f, null };
        m.Invoke(null, args);
        Assert.Equal(2 * (1 - Math.Pow(Math.Tanh(1.0), 2)), (float)args[2]!, 5);
    }

    [Fact]
    public void Diff_WithoutWrt_DifferentiatesWithRespectToEveryVariable()
    {
        var (exit, text, _) = Run("diff", "x * y", "--format", "latex");
        Assert.Equal(0, exit);
        Assert.Equal("\\frac{\\partial f}{\\partial x} = y\n\\frac{\\partial f}{\\partial y} = x\n", text);
    }

    [Fact]
    public void Diff_Latex_WithSteps_PrintsTheDerivation()
    {
        var (exit, text, _) = Run("diff", "1.0 / (1.0 + Math.Exp(-x))", "--format", "latex", "--steps");
        Assert.Equal(0, exit);
        Snapshot.Verify("Diff.Sigmoid.Steps", text, "tex");
    }

    [Fact]
    public void Diff_Stats_ReportsOperationCounts()
    {
        var (exit, text, _) = Run("diff", "Math.Tanh(w * x + b)", "--wrt", "w,b", "--stats");
        Assert.Equal(0, exit);
        var line = text.Split('\n').Single(l => l.StartsWith("// primal:", StringComparison.Ordinal));
        // tanh for the value, e^(−2|u|) for 1 − tanh² (stable where tanh rounds to ±1: docs/numerics.md).
        Assert.Matches(@"^// primal: \d+ ops, 1 transcendental calls; gradient program \(value \+ 2 partials\): \d+ ops \(\d+\.\d\dx\), 2 transcendental calls; \d+ locals; time \d+\.\d ms$", line);
    }

    [Theory]
    // σ and σ′ = σ(1 − σ) from one exponential; sin·eˣ and its derivative: sin, cos and one exp; log and its
    // derivative: one log; x^2.5 and 2.5·x^1.5: two powers today (x^1.5 · x would be one: issue 19).
    [InlineData("1.0 / (1.0 + Math.Exp(-x))", 1, 1)]
    [InlineData("Math.Sin(x) * Math.Exp(x)", 2, 3)]
    [InlineData("Math.Log(x * x + 1)", 1, 1)]
    [InlineData("Math.Pow(x, 2.5) + x * x * x", 1, 2)]
    public void Diff_Stats_CountsTranscendentalCalls(string expression, int primal, int gradient)
    {
        var (exit, text, _) = Run("diff", expression, "--stats");
        Assert.Equal(0, exit);
        var line = text.Split('\n').Single(l => l.StartsWith("// primal:", StringComparison.Ordinal));
        Assert.Contains($", {primal} transcendental calls; gradient", line);
        Assert.Contains($"), {gradient} transcendental calls;", line);
    }

    [Theory]
    // The article's functions, value and gradient together, against what one would write by hand: σ from one exp (σ′ =
    // σ(1 − σ)); binary cross-entropy on a logit, stable, from one exp and one log (its gradient σ(z) − y reuses the exp);
    // the same on σ(z) written out; log-sum-exp of three (softmax cross-entropy) from three exps and one log; softplus from
    // one exp and one log; MSE, ReLU, L1 and L2 with none. (tanh is two by design: e^(−2|u|) for a 1 − tanh² that does not
    // cancel, docs/numerics.md.)
    [InlineData("1.0 / (1.0 + Math.Exp(-x))", 1)]
    [InlineData("Math.Max(z, 0) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z)))", 2)]
    [InlineData("-(y * Math.Log(1.0 / (1.0 + Math.Exp(-z))) + (1 - y) * Math.Log(1 - 1.0 / (1.0 + Math.Exp(-z))))", 2)]
    [InlineData("Math.Log(Math.Exp(a) + Math.Exp(b) + Math.Exp(c)) - a", 4)]
    [InlineData("Math.Log(1 + Math.Exp(x))", 2)]
    [InlineData("0.5 * (y - (w * x + b)) * (y - (w * x + b))", 0)]
    [InlineData("x > 0 ? x : 0", 0)]
    [InlineData("0.01 * (Math.Abs(a) + Math.Abs(b)) + 0.5 * (a * a + b * b)", 0)]
    public void Diff_ArticleFunctions_CallNoMoreTranscendentalsThanAHandWrittenGradient(string expression, int byHand)
    {
        var (exit, text, _) = Run("diff", expression, "--stats");
        Assert.Equal(0, exit);
        var line = text.Split('\n').Single(l => l.StartsWith("// primal:", StringComparison.Ordinal));
        var count = int.Parse(System.Text.RegularExpressions.Regex.Match(line, @"\), (\d+) transcendental calls;").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(count <= byHand, $"{count} transcendental calls, {byHand} by hand: {line}");
    }

    [Fact]
    public void Diff_ADenseLayer_DoesTheWorkOfAHandWrittenBackwardPass()
    {
        // f = Σ_j c_j tanh(b_j + Σ_i W_{j,i} a_i). By hand: z = W a + b once, g_j = c_j (1 − tanh² z_j) once per unit, then
        // ∂W = g aᵀ, ∂b = g, ∂a = Wᵀ g. The generated code had W a three times over (once per partial) and an exp per
        // (p, j) pair in ∂a.
        var (exit, text, _) = Run("diff", "Sym.Sum(b.Length, j => Math.Tanh(b[j] + Sym.Sum(a.Length, i => W[j, i] * a[i])) * c[j])",
            "--arrays", "W:2,a,b,c", "--wrt", "W,b,a");
        Assert.Equal(0, exit);
        text = Code(text);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, @"\+= W\[\w+, i\] \* a\[i\];")); // W a, once
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, @"Math\.Exp\(")); // (1 − tanh²) once per unit
        // The value's tanh, once per unit: written in each branch of the test whether ∂b is wanted (one branch runs).
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(text, @"Math\.Tanh\(").Count);
        Assert.Contains("if (!db.IsEmpty)", text);
        // The exp is in a loop of its own over j, not inside the loops over W's or a's elements.
        var lines = text.Split('\n');
        var exp = Array.FindIndex(lines, l => l.Contains("Math.Exp(", StringComparison.Ordinal));
        var loop = Array.FindLastIndex(lines, exp, l => l.TrimStart().StartsWith("for (", StringComparison.Ordinal));
        Assert.Contains("for (var j = 0; j < b.Length; j++)", lines[loop]);
        Assert.DoesNotContain(lines.Take(loop), l => l.TrimStart().StartsWith("for (var k", StringComparison.Ordinal) || l.TrimStart().StartsWith("for (var p", StringComparison.Ordinal));
    }

    [Fact]
    public void Diff_ANeighbourRead_StaysUnderItsGuard_AndIsComputedOnce()
    {
        // x[k + 1] exists only for k < n − 1: a local that reads it is defined under that test (it was computed before it,
        // IndexOutOfRange), and once (not written out at each of its three uses).
        var (exit, text, _) = Run("diff", "Sym.Sum(x.Length - 1, i => Math.Tanh(x[i + 1] - x[i]))", "--arrays", "x");
        Assert.Equal(0, exit);
        text = Code(text);
        var exps = System.Text.RegularExpressions.Regex.Matches(text, @"Math\.Exp\(");
        Assert.Equal(2, exps.Count); // one per neighbour, k + 1 and k − 1
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(text, @"= [^;]* \? Math\.Exp\(").Count);
    }

    // The method's statements, without its summary comment (which restates the formula).
    private static string Code(string text) => string.Join("\n", text.Split('\n').Where(l => !l.TrimStart().StartsWith("///", StringComparison.Ordinal)));

    [Fact]
    public void Diff_AMeanSquaredError_OverArrays_IsOneLoop()
    {
        // ∂/∂w, ∂/∂b and the value of (1/n) Σ (w x_i + b − y_i)²: one pass over the data, the residual computed once per
        // sample (was three loops, each computing it).
        var (exit, text, _) = Run("diff", "Sym.Sum(x.Length, i => (w * x[i] + b - y[i]) * (w * x[i] + b - y[i])) / x.Length", "--arrays", "x,y", "--wrt", "w,b");
        Assert.Equal(0, exit);
        text = Code(text);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, @"for \(var i = 0; i < x\.Length; i\+\+\)"));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, @"x\[i\] \* w"));
    }

    [Theory]
    [InlineData(new[] { "diff", "w * x +" }, "error: column 8: syntax error")]
    [InlineData(new[] { "diff", "x + foo(x)" }, "error: column 5: 'foo': it is not a function SymGrad knows")]
    [InlineData(new[] { "diff", "x * y", "--wrt", "q" }, "error: --wrt: 'q' does not occur in the expression (its variables are x, y)")]
    [InlineData(new[] { "diff", "x * y", "--wrt", "x,,y" }, "error: --wrt: empty variable name")]
    [InlineData(new[] { "diff", "x", "--name", "1bad" }, "error: --name: '1bad' is not a C# identifier")]
    [InlineData(new[] { "diff", "x", "--name", "class" }, "error: --name: 'class' is a C# keyword")]
    [InlineData(new[] { "diff", "x", "--name", "Math" }, "error: --name: 'Math' is the math functions' class")]
    [InlineData(new[] { "diff", "x * x", "--steps" }, "error: --steps: the derivation steps are LaTeX")]
    [InlineData(new[] { "diff", "Math * Math.Exp(x)" }, "error: column 1: 'Math' cannot be differentiated: Math and MathF name the math functions")]
    [InlineData(new[] { "diff", "x[0]", "--arrays", "x:7" }, "error: --arrays: 'x:7' is not an array name with an optional rank 1 to 4")]
    [InlineData(new[] { "diff", "x[0]", "--arrays", "x,x" }, "error: --arrays: 'x' is named twice")]
    [InlineData(new[] { "diff", "x[0] * w", "--arrays", "x", "--wrt", "y" }, "error: --wrt: 'y' does not occur in the expression (its variables are w, x)")]
    [InlineData(new[] { "diff", "x[0, 1] * w", "--arrays", "x" }, "error: column 2: 'x[0, 1]': 'x' has 1 dim")]
    [InlineData(new[] { "diff", "z * 2", "--arrays", "z" }, "error: column 1: 'z': 'z' is an array: read its elements")]
    [InlineData(new[] { "diff", "x[0]", "--arrays", "x,q" }, "error: --arrays: 'q' does not occur in the expression")]
    public void BadInput_PrintsOneClearLine_AndFails(string[] args, string expected)
    {
        var (exit, text, err) = Run(args);
        Assert.NotEqual(0, exit);
        Assert.Equal("", text);
        var lines = err.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith(expected, lines[0]);
    }

    [Fact]
    public void AVariableAlgebraCancels_StaysAParameter()
    {
        // √x / √x is 1 where x ≥ 0 and NaN elsewhere in C#: the method still takes x (and its derivative is 0).
        var (exit, text, _) = Run(new[] { "diff", "Math.Sqrt(x) / Math.Sqrt(x)" });
        Assert.Equal(0, exit);
        Assert.Contains("(double x, out double dx)", text);
    }

    [Theory]
    [InlineData("diff", "x", "--format", "pdf")]
    [InlineData("diff", "x", "--frobnicate")]
    public void AnUnknownFormatOrOption_IsOneLine(params string[] args)
    {
        var (exit, text, err) = Run(args);
        Assert.NotEqual(0, exit);
        Assert.Equal("", text);
        var lines = err.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(args[^1], lines[0]);
    }

    [Fact]
    public void DeepNesting_IsOneLine_NotAStackOverflow()
    {
        // 30 000 parentheses once overflowed the stack inside Roslyn's parser (exit 134); so would as many minus signs.
        foreach (var expression in new[] { new string('(', 30000) + "x" + new string(')', 30000), new string('-', 30000) + "x" })
        {
            var (exit, _, err) = Run("diff", expression);
            Assert.NotEqual(0, exit);
            Assert.Contains("nested more than 1000 levels", err);
        }
        // Deep but within the limit still works.
        var (ok, output, _) = Run("diff", new string('(', 500) + "x * x" + new string(')', 500));
        Assert.Equal(0, ok);
        Assert.Contains("dx = ", output);
    }

    [Fact]
    public void AnExpressionStartingWithAt_IsAnExpression_NotAResponseFile()
    {
        // "@class * 2" read as the response file 'class * 2' ("Response file not found").
        var (exit, text, err) = Run("diff", "@class * 2");
        Assert.Equal(0, exit);
        Assert.Equal("", err);
        Assert.Contains("double @class", text);
        Assert.Equal(2.0, (double)RoslynCompiler.CompileMethod(text, "F").Invoke(null, new object?[] { 3.0, null })! / 3.0);
    }

    [Fact]
    public void NestedConditionals_StayLinear_AndComputeTheBranchesDerivative()
    {
        // x > 799 ? x * 0 : x > 798 ? x * 1 : … : x — 1 000 levels took 13.7 s and 1 GB (504 494 ops, 168× the primal):
        // each branch's constant travelled down the chain of conditions before it, one copy of the chain per branch.
        const int n = 800;
        var expression = string.Concat(Enumerable.Range(0, n).Select(i => $"x > {n - 1 - i} ? x * {i} : ")) + "x";
        var (exit, text, err) = Run("diff", expression, "--stats");
        Assert.Equal(0, exit);
        Assert.Equal("", err);
        var ratio = double.Parse(System.Text.RegularExpressions.Regex.Match(text, @"\(([0-9.]+)x\)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ratio, 1.0, 4.0);
        var m = RoslynCompiler.CompileMethod(text[..text.LastIndexOf("// primal", StringComparison.Ordinal)], "F");
        foreach (var (x, slope) in new[] { (500.5, 299.0), (799.5, 0.0), (0.5, 799.0), (-3.0, 1.0) })
        {
            var args = new object?[] { x, null };
            var value = (double)m.Invoke(null, args)!;
            Assert.Equal(slope * x, value, 9);
            Assert.Equal(slope, (double)args[1]!);
        }
    }

    [Fact]
    public void LargeInputs_ProductAndLogSumExp_PrintLinearCode_ThatComputesTheirGradient()
    {
        // A product of 3 000 factors printed 189 MB (n² multiplications); log-sum-exp of 5 000 terms shifted by a chain
        // of 5 000 nested Math.Max and ran the printer out of stack.
        var product = string.Join(" * ", Enumerable.Range(0, 3000).Select(i => $"x{i}"));
        var (exit, text, err) = Run("diff", product, "--stats");
        Assert.Equal(0, exit);
        Assert.Equal("", err);
        Assert.InRange(text.Length, 0, 1_000_000);
        var ratio = double.Parse(System.Text.RegularExpressions.Regex.Match(text, @"\(([0-9.]+)x\)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ratio, 1.0, 3.0);

        var lse = "Math.Log(" + string.Join(" + ", Enumerable.Range(0, 5000).Select(i => $"Math.Exp(x{i})")) + ")";
        (exit, text, err) = Run("diff", lse);
        Assert.Equal(0, exit);
        Assert.Equal("", err);
        var m = RoslynCompiler.CompileMethod(text, "F");
        var at = Enumerable.Range(0, 5000).Select(i => 800.0 + Math.Sin(i)).ToArray(); // e^800 overflows: the shift must hold
        // The parameters are sorted by name (x0, x1, x10, …), the out parameters too.
        var names = Enumerable.Range(0, 5000).Select(i => "x" + i).OrderBy(n => n, StringComparer.Ordinal).ToList();
        var args = names.Select(n => (object?)at[int.Parse(n[1..])]).Concat(at.Select(_ => (object?)null)).ToArray();
        var value = (double)m.Invoke(null, args)!;
        var max = at.Max();
        var sum = at.Sum(a => Math.Exp(a - max));
        Assert.Equal(max + Math.Log(sum), value, 9);
        var k = names.IndexOf("x17");
        Assert.Equal(Math.Exp(at[17] - max) / sum, (double)args[5000 + k]!, 12);
    }

    [Fact]
    public void Arrays_GiveALoopMethod_ThatComputesTheIndexedGradient()
    {
        // Softmax cross-entropy against a target distribution: ∂/∂z_k = softmax(z)_k − y_k.
        var (exit, text, err) = Run("diff", "Math.Log(Sym.Sum(z.Length, j => Math.Exp(z[j]))) - Sym.Sum(z.Length, j => y[j] * z[j])", "--arrays", "z,y", "--wrt", "z");
        Assert.Equal(0, exit);
        Assert.Equal("", err);
        Assert.Contains("public static double F(global::System.ReadOnlySpan<double> y, global::System.ReadOnlySpan<double> z, global::System.Span<double> dz)", text);
        var call = RoslynCompiler.CompileMethod(text + "public static double Call(double[] y, double[] z, double[] dz) => F(y, z, dz);\n", "Call");
        var z = new[] { 1000.0, 999.0, -3.0, 0.5 };
        var y = new[] { 0.25, 0.25, 0.5, 0.0 };
        var dz = new double[4];
        var value = (double)call.Invoke(null, new object[] { y, z, dz })!;
        var max = z.Max();
        var sum = z.Sum(v => Math.Exp(v - max));
        Assert.Equal(max + Math.Log(sum) - y.Zip(z, (a, b) => a * b).Sum(), value, 9);
        for (var k = 0; k < 4; k++) Assert.Equal(Math.Exp(z[k] - max) / sum - y[k], dz[k], 12);

        // Rank 2 with a scalar: ∂/∂W_kl = 2 λ W_kl, ∂/∂λ = Σ W² = 15.25.
        (exit, text, err) = Run("diff", "lambda * Sym.Sum(W.GetLength(0), i => Sym.Sum(W.GetLength(1), j => W[i, j] * W[i, j]))", "--arrays", "W:2");
        Assert.Equal(0, exit);
        var m = RoslynCompiler.CompileMethod(text, "F");
        var w = new double[,] { { 1, -2, 0.5 }, { 3, 0, -1 } };
        var dw = new double[2, 3];
        var args = new object?[] { 0.1, w, null, dw };   // scalars, arrays, then the outputs in the variables' order
        Assert.Equal(0.1 * 15.25, (double)m.Invoke(null, args)!, 12);
        Assert.Equal(15.25, (double)args[2]!, 12);
        Assert.Equal(2 * 0.1 * -2, dw[0, 1], 12);

        // A Sym.Sum index named like a variable is renamed in the printed loop (i is also a parameter).
        (exit, text, _) = Run("diff", "i * Sym.Sum(z.Length, i => z[i] * z[i])", "--arrays", "z");
        Assert.Equal(0, exit);
        var renamed = RoslynCompiler.CompileMethod(text + "public static double Call(double i, double[] z, double[] dz) => F(i, z, out _, dz);\n", "Call");
        var dzs = new double[2];
        Assert.Equal(1.5 * 13, (double)renamed.Invoke(null, new object[] { 1.5, new[] { 2.0, 3.0 }, dzs })!, 12);
        Assert.Equal(1.5 * 2 * 3, dzs[1], 12);

        (exit, text, _) = Run("diff", "Sym.Sum(x.Length, i => w * x[i] * x[i])", "--arrays", "x", "-f", "latex");
        Assert.Equal(0, exit);
        Assert.Contains(@"\frac{\partial f}{\partial x_{k}} = 2 x_{k} w", text);
    }

    [Fact]
    public void Help_NamesTheToolAsItIsInstalled()
    {
        // symgrad, not the assembly's name (SymGrad.Cli), in the usage lines of the root and of each command.
        var (exit, text, _) = Run("--help");
        Assert.Equal(0, exit);
        Assert.Contains("Usage:\n  symgrad [command] [options]", text);
        Assert.Contains("diff <expression>", text);
        (exit, text, _) = Run("diff", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("Usage:\n  symgrad diff <expression> [options]", text);
        Assert.Contains("--arrays", text);
    }
}
