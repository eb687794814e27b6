using SymGrad.Symbolic;
using static SymGrad.Symbolic.Tests.TestExpressions;

namespace SymGrad.Symbolic.Tests;

public class CanonicalFormTests
{
    [Fact]
    public void StructurallyEqualNodes_AreOneObject()
    {
        Assert.Same(Expr.Var("x"), Expr.Var("x"));
        Assert.Same(Parse("w * x + b"), Parse("b + x * w"));
        Assert.Same(Expr.Exp(X + Y), Expr.Exp(Y + X));
        Assert.NotSame(Parse("x - y"), Parse("y - x"));
    }

    [Theory]
    [InlineData("x + 0", "x")]
    [InlineData("x * 1", "x")]
    [InlineData("Math.Pow(x, 1)", "x")]
    [InlineData("x * x", "x * x")]
    [InlineData("x * x * x", "x * x * x")]
    [InlineData("2 * x + 3 * x", "5.0 * x")]
    [InlineData("x - x", "0.0")]
    [InlineData("x / x", "1.0")]
    [InlineData("(x + y) - (y + x)", "0.0")]
    [InlineData("2 * 3 + 1", "7.0")]
    [InlineData("0.5 * 2", "1.0")]
    [InlineData("1.0 / 3.0 * 3", "1.0")]
    [InlineData("0.1 + 0.2", "0.3")]
    [InlineData("Math.Pow(Math.Pow(x, 2), 3) / x", "Math.Pow(x, 5.0)")]
    [InlineData("-(y - x)", "x - y")]
    [InlineData("0.5 * (y - x) * (y - x)", "0.5 * ((x - y) * (x - y))")]
    [InlineData("(y - x) * (x - y)", "-((x - y) * (x - y))")]
    [InlineData("Math.Exp(0)", "1.0")]
    [InlineData("Math.Log(Math.Exp(x + 1))", "x + 1.0")]
    [InlineData("Math.Sqrt(4)", "2.0")]
    [InlineData("Math.Max(x, x)", "x")]
    [InlineData("Math.Max(3, 2)", "3.0")]
    [InlineData("x > 0 ? y : y", "y")]
    [InlineData("1 < 2 ? x : y", "x")]
    [InlineData("Math.Abs(Math.Exp(x))", "Math.Exp(x)")]
    [InlineData("x * 0", "Math.Abs(x) < double.PositiveInfinity ? 0.0 : double.NaN")] // a literal zero keeps IEEE semantics (docs/numerics.md)
    [InlineData("(x - x) * y", "0.0")]                                            // an algebraic zero folds
    public void Construction_Canonicalises(string input, string expected) =>
        Assert.Equal(expected, CSharpPrinter.Default.Print(Parse(input)));

    [Fact]
    public void ExactDecimals_StayExactRationals()
    {
        var half = Parse("0.5");
        Assert.True(half.Value.IsExact);
        Assert.Equal(1, half.Value.Numerator);
        Assert.Equal(2, half.Value.Denominator);
        var third = Parse("1.0 / 3.0");
        Assert.Equal(Number.Rational(1, 3), third.Value);
    }

    [Fact]
    public void LongDecimals_AreInexactDoubles()
    {
        var c = Parse("0.30000000000000004");
        Assert.False(c.Value.IsExact);
        Assert.Equal(0.30000000000000004, c.Value.Value);
    }

    [Fact]
    public void ExactArithmetic_FallsBackToDoublesOnOverflow()
    {
        var big = Number.Rational(long.MaxValue / 2, 3);
        var sum = big + Number.Rational(1, 7);
        Assert.False(sum.IsExact);
        Assert.Equal(big.Value + 1.0 / 7, sum.Value, 6);
    }

    [Fact]
    public void Ordering_IsIndependentOfConstructionOrder()
    {
        var a = Expr.Add(Expr.Var("q9"), Expr.Var("a1"), Expr.Exp(Expr.Var("m")));
        var b = Expr.Add(Expr.Exp(Expr.Var("m")), Expr.Var("a1"), Expr.Var("q9"));
        Assert.Same(a, b);
        Assert.Equal(new[] { "a1", "q9" }, new[] { a.Args[0].Name, a.Args[1].Name });
    }

    [Fact]
    public void DeepGraphs_DoNotOverflowTheStack()
    {
        Expr Chain(Expr start, int depth)
        {
            var e = start;
            for (var i = 0; i < depth; i++) e = Expr.Tanh(e) + Expr.Const(1);
            return e;
        }
        var deep = Chain(X, 20000);
        Assert.Equal(2 * 20000 + 2, Graph.PostOrder(deep).Count); // tanh and sum per level, x and 1
        Assert.True(ExprOrder.Compare(deep, Chain(Y, 20000)) < 0);
        Assert.True(double.IsFinite(Evaluator.Evaluate(deep, Point(new[] { "x" }, new[] { 0.3 }))));

        var chain = Chain(X, 200);
        var g = Differentiator.Gradient(chain, new[] { X });
        var at = Point(new[] { "x" }, new[] { 0.3 });
        Assert.True(Agree(Evaluator.Evaluate(g.Partials[0], at), CentralDifference(chain, at, "x"), 1));
    }
}
