using System.Collections.Generic;
using System.Linq;
using System.Text;
using SymGrad.Symbolic;
using SymGrad.Tests.Shared;
using static SymGrad.Symbolic.Tests.TestExpressions;

namespace SymGrad.Symbolic.Tests;

/// <summary>
/// The formulas of the article this project grew out of, derived by the engine. Each snapshot holds the
/// function, every partial and the step-by-step derivation as LaTeX; CI renders every snapshot with KaTeX.
/// </summary>
public class ArticleFormulaTests
{
    public static IEnumerable<object[]> Formulas() => Article.Select(f => new object[] { f.Key });

    private static readonly Dictionary<string, (string Source, string[] Wrt)> Article = new()
    {
        ["Sigmoid"] = ("1.0 / (1.0 + Math.Exp(-x))", new[] { "x" }),
        ["Tanh"] = ("Math.Tanh(x)", new[] { "x" }),
        ["Relu"] = ("x > 0 ? x : 0", new[] { "x" }),
        ["MseOneSample"] = ("0.5 * (y - yHat) * (y - yHat)", new[] { "yHat" }),
        ["LinearRegressionLoss"] = ("0.5 * (y - (w * x + b)) * (y - (w * x + b))", new[] { "w", "b" }),
        ["BinaryCrossEntropyOfLogistic"] = ("-(y * Math.Log(1.0 / (1.0 + Math.Exp(-(w * x + b)))) + (1 - y) * Math.Log(1 - 1.0 / (1.0 + Math.Exp(-(w * x + b)))))", new[] { "w", "b" }),
        ["L1"] = ("lambda * (Math.Abs(w1) + Math.Abs(w2) + Math.Abs(w3))", new[] { "w1", "w2", "w3" }),
        ["L2"] = ("lambda * (w1 * w1 + w2 * w2 + w3 * w3)", new[] { "w1", "w2", "w3" }),
    };

    internal static string Document(string source, IReadOnlyList<string> wrt)
    {
        var f = Parse(source);
        var vars = wrt.Select(Expr.Var).ToList();
        var g = Differentiator.Gradient(f, vars);
        var sb = new StringBuilder();
        sb.Append("% ").Append(source).Append('\n');
        sb.Append("f = ").Append(LatexPrinter.Print(g.Function)).Append("\n\n");
        foreach (var line in LatexPrinter.PrintGradient("f", g)) sb.Append(line).Append("\n\n");
        foreach (var v in vars)
        {
            sb.Append("% derivation of df/d").Append(v.Name).Append('\n');
            sb.Append(LatexPrinter.PrintDerivation("f", g, v)).Append("\n\n");
        }
        return sb.ToString();
    }

    [Theory]
    [MemberData(nameof(Formulas))]
    public void Derivation_MatchesSnapshot(string name)
    {
        var (source, wrt) = Article[name];
        Snapshot.Verify("Article." + name, Document(source, wrt), "tex");
    }

    [Fact]
    public void LogisticCrossEntropy_Gradient_IsSigmaMinusYTimesX()
    {
        var (source, _) = Article["BinaryCrossEntropyOfLogistic"];
        var w = Expr.Var("w");
        var g = Differentiator.Gradient(Parse(source), new[] { w, Expr.Var("b") });
        var z = Parse("w * x + b");
        var expected = (Expr.Sigmoid(z) - Expr.Var("y")) * Expr.Var("x");
        Assert.Same(expected, g.Partials[0]);
        Assert.Same(Expr.Sigmoid(z) - Expr.Var("y"), g.Partials[1]);
        Assert.Equal(@"\left(\sigma\left(b + w x\right) - y\right) x", LatexPrinter.Print(g.Partials[0]));
    }

    [Fact]
    public void LinearRegression_Gradient_IsMinusResidualTimesX()
    {
        var g = Differentiator.Gradient(Parse("0.5 * (y - (w * x + b)) * (y - (w * x + b))"), new[] { Expr.Var("w"), Expr.Var("b") });
        var residual = Parse("y - (w * x + b)");
        Assert.Same(Expr.Neg(residual * Expr.Var("x")), g.Partials[0]);
        Assert.Same(Expr.Neg(residual), g.Partials[1]);
    }

    [Fact]
    public void Regularizers_Derivatives_AreSignAndTwoW()
    {
        var l1 = Differentiator.Gradient(Parse(Article["L1"].Source), new[] { Expr.Var("w1") });
        Assert.Same(Expr.Var("lambda") * Expr.Sign(Expr.Var("w1")), l1.Partials[0]);
        var l2 = Differentiator.Gradient(Parse(Article["L2"].Source), new[] { Expr.Var("w1") });
        Assert.Same(2 * Expr.Var("lambda") * Expr.Var("w1"), l2.Partials[0]);
    }
}
