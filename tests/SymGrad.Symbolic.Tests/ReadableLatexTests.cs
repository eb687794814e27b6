using System.Linq;
using System.Text.RegularExpressions;
using SymGrad.Symbolic;
using Xunit;
using static SymGrad.Symbolic.Tests.TestExpressions;

namespace SymGrad.Symbolic.Tests;

/// <summary>Numbers and sums in derivations as one writes them by hand, and code that writes a shared value once.</summary>
public class ReadableLatexTests
{
    [Theory]
    [InlineData("0.01 * x", "0.01 x")] // the leaky ReLU's slope, not \frac{1}{100}
    [InlineData("0.044715 * x", "0.044715 x")]
    [InlineData("0.5 * x", @"\frac{1}{2} x")] // halves, quarters and eighths stay fractions
    [InlineData("0.375 * x", @"\frac{3}{8} x")]
    [InlineData("x / 3", @"\frac{1}{3} x")] // thirds have no decimal
    [InlineData("1e-12 * x", @"1 \times 10^{-12} x")] // not 0.000000000001
    [InlineData("2.5e-7 * x", @"2.5 \times 10^{-7} x")]
    [InlineData("-0.3 * x", "-0.3 x")]
    public void ExactDecimals_PrintAsDecimals(string source, string latex) => Assert.Equal(latex, LatexPrinter.Print(Parse(source)));

    [Theory]
    [InlineData("2 * b + 2 * w * x - 2 * y", @"2 \left(b + w x - y\right)")] // the power rule's ½ · 2(ŷ − y)
    [InlineData("-4 * x - 2 * y", @"-2 \left(y + 2 x\right)")]
    [InlineData("0.25 * x + 0.25", @"\frac{1}{4} \left(x + 1\right)")]
    [InlineData("0.3 - 4 * x - 2 * y", @"0.3 - 4 x - 2 y")] // no common factor but a tenth: left alone
    [InlineData("2 * x + 3 * y", @"2 x + 3 y")]
    public void SumsWithACommonFactor_PrintFactored(string source, string latex) => Assert.Equal(latex, LatexPrinter.Print(Parse(source)));

    [Theory]
    [InlineData("a - x * (y - 1)", @"a + \left(1 - y\right) x")] // added with the complement, not subtracted
    [InlineData("-x * (y - 1)", @"\left(1 - y\right) x")]
    [InlineData("a - x * (y + 1)", @"a - \left(y + 1\right) x")] // no complement to take
    [InlineData("(y - 1) / (p - 1)", @"\frac{1 - y}{1 - p}")] // binary cross-entropy's (1 − y)/(1 − ŷ)
    [InlineData("(y - 1) / p", @"\frac{y - 1}{p}")]
    public void ASubtractedProductWithAComplement_IsAdded(string source, string latex) => Assert.Equal(latex, LatexPrinter.Print(Parse(source)));

    [Fact]
    public void ANegatedSum_TakesTheSignIntoItsBodysComplement()
    {
        // −Σ_j w_j (t_j² − 1), the dense layer's ∂f/∂a as the engine keeps it, reads Σ_j w_j (1 − t_j²).
        var j = Expr.Index("j");
        var body = Expr.Element("w", j) * (Expr.Pow(Expr.Element("t", j), Expr.Const(2)) - Expr.One);
        var e = Expr.Neg(Expr.Sum(j, Expr.Length("w"), body));
        Assert.Equal(@"\sum_{j=0}^{n - 1} w_{j} \left(1 - t_{j}^{2}\right)", LatexPrinter.Print(e));
    }

    [Fact]
    public void ASumAndItsNegation_WithAConstantTerm_ShareOneLocal()
    {
        // x − 2y + 1 and 2y − x − 1: one sum, the other its negation (the constant term used to keep them apart).
        var f = Parse("Math.Sin(x - 2 * y + 1) * (2 * y - x - 1)");
        var g = Differentiator.Gradient(f, new[] { X, Y });
        var program = CsePass.Build(g.Outputs());
        var code = string.Join("\n", CSharpPrinter.Default.Statements(program));
        Assert.Single(Regex.Matches(code, @"2\.0 \* y"));
        Assert.Matches(@"var sum\d+ = -sum\d+;", code);
        // And the program computes what the expressions say.
        var at = Point(new[] { "x", "y" }, new[] { 0.3, -1.1 });
        var values = Evaluator.Evaluate(g.Outputs().Select(o => o.Value).ToList(), at);
        Assert.Equal(Eval(f, at), values[0], 14);
        Assert.Equal(CentralDifference(f, at, "x"), values[1], 6);
        Assert.Equal(CentralDifference(f, at, "y"), values[2], 6);
    }

    [Fact]
    public void ALogSumExpsMaximum_IsComputedOnce()
    {
        // −max appears in each exponent; the max itself is one local (it was written out in all three).
        var g = Differentiator.Gradient(Parse("Math.Log(Math.Exp(a) + Math.Exp(b) + Math.Exp(c)) - a"), new[] { "a", "b", "c" }.Select(Expr.Var).ToList());
        var code = string.Join("\n", CSharpPrinter.Default.Statements(CsePass.Build(g.Outputs())));
        Assert.Equal(2, Regex.Matches(code, @"Math\.Max\(").Count); // max(a, max(b, c)): two calls, once
    }
}
