using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using SymGrad.Symbolic;
using static SymGrad.Symbolic.Tests.TestExpressions;

namespace SymGrad.Symbolic.Tests;

/// <summary>Every derivative rule of the operator table, against central finite differences.</summary>
public class DerivativeRuleTests
{
    static DerivativeRuleTests()
    {
        Evaluator.Register("Cube", u => u * u * u);
        Evaluator.Register("CubeDerivative", u => 3 * u * u);
    }

    public static IEnumerable<object[]> Primitives() => PrimitivesTable.Keys.Select(k => new object[] { k });

    private static Expr Build(string name) => PrimitivesTable[name](X, Y);

    // Each primitive applied to inner functions of x and y (so the chain rule is exercised too).
    private static readonly Dictionary<string, Func<Expr, Expr, Expr>> PrimitivesTable = new()
    {
        ["add"] = (x, y) => x + y * y + 3,
        ["mul"] = (x, y) => x * y * Expr.Sin(x),
        ["pow-int"] = (x, y) => Expr.Pow(x + 2 * y, 3),
        ["pow-negative"] = (x, y) => Expr.Pow(2 + x * x, -2),
        ["pow-half"] = (x, y) => Expr.Sqrt(1 + x * x + y * y),
        ["pow-symbolic"] = (x, y) => Expr.Pow(2 + Expr.Sigmoid(x), y),
        ["exp"] = (x, y) => Expr.Exp(x * y),
        ["log"] = (x, y) => Expr.Log(1 + x * x + y * y),
        ["sin"] = (x, y) => Expr.Sin(x * y),
        ["cos"] = (x, y) => Expr.Cos(x - y),
        ["tanh"] = (x, y) => Expr.Tanh(x * y + x),
        ["sigmoid"] = (x, y) => Expr.Sigmoid(3 * x - y),
        ["softplus"] = (x, y) => Expr.Softplus(x * y - 1),
        ["abs"] = (x, y) => Expr.Abs(x - y),
        ["sign"] = (x, y) => Expr.Sign(x - y) * x,
        ["max"] = (x, y) => Expr.Max(x, y * y),
        ["min"] = (x, y) => Expr.Min(x, y * y),
        ["compare"] = (x, y) => Expr.Compare(ExprKind.Less, x, y) * y,
        ["shared"] = (x, y) => Expr.Shared(x * y + Expr.Sin(x)) * x,
        ["call"] = (x, y) => Expr.Call("Cube", x - y) * y,
        ["if"] = (x, y) => Expr.If(Expr.Compare(ExprKind.Greater, x, y), x * x, Expr.Sin(y)),
        ["atan"] = (x, y) => Expr.Inverse(ExprKind.Atan, x * y - 1),
        ["asin"] = (x, y) => Expr.Inverse(ExprKind.Asin, Expr.Tanh(x * y) * 0.9),
        ["acos"] = (x, y) => Expr.Inverse(ExprKind.Acos, Expr.Tanh(x - y) * 0.9),
        ["asinh"] = (x, y) => Expr.Inverse(ExprKind.Asinh, x * y - 3),
        ["acosh"] = (x, y) => Expr.Inverse(ExprKind.Acosh, x * x + y * y + 1.25),
        ["atanh"] = (x, y) => Expr.Inverse(ExprKind.Atanh, Expr.Tanh(x + y) * 0.9),
        // Steps of x − y (the sampler keeps away from integers and half-integers of x − y).
        ["floor"] = (x, y) => x * y + Expr.Step(ExprKind.Floor, x - y) * x,
        ["ceiling"] = (x, y) => Expr.Step(ExprKind.Ceiling, x - y) * y + x,
        ["truncate"] = (x, y) => Expr.Step(ExprKind.Truncate, x - y) + x * x,
        ["round"] = (x, y) => Expr.Step(ExprKind.Round, x - y) * (x + y),
        ["atan2"] = (x, y) => Expr.Atan2(y + 3, x * y),
        ["hypot"] = (x, y) => Expr.Hypot(x * y, y + 3),
        ["copysign"] = (x, y) => Expr.CopySign(x * x + y + 3, x - y) * y,
        ["fma"] = (x, y) => Expr.FusedMultiplyAdd(x * y, Expr.Sin(x), y * y),
        ["cbrt"] = (x, y) => Expr.Direct(ExprKind.Cbrt, x * y - 7),
        ["log2"] = (x, y) => Expr.Direct(ExprKind.Log2, x * x + y * y + 1),
        ["log10"] = (x, y) => Expr.Direct(ExprKind.Log10, x * x + 2 + y),
    };

    [Theory]
    [MemberData(nameof(Primitives))]
    public void Rule_AgreesWithCentralDifferences(string primitive)
    {
        var f = Build(primitive);
        var g = Differentiator.Gradient(f, new[] { X, Y });
        Gen.Double[-2, 2].Array[2].Sample(p =>
        {
            var at = Point(new[] { "x", "y" }, p);
            // Stay away from kinks of the non-smooth primitives, where no derivative exists.
            var twice = 2 * (p[0] - p[1]);
            if (Math.Abs(p[0] - p[1]) < 1e-3 || Math.Abs(p[0] - p[1] * p[1]) < 1e-3 || Math.Abs(twice - Math.Round(twice)) < 1e-3) return true;
            var scale = Math.Abs(Eval(f, at));
            return new[] { "x", "y" }.Select((v, i) => Agree(Eval(g.Partials[i], at), CentralDifference(f, at, v), scale)).All(ok => ok);
        }, iter: 300);
    }

    [Fact]
    public void EveryKind_HasARuleThatIsTested()
    {
        var tested = PrimitivesTable.Values.SelectMany(b => Graph.PostOrder(b(X, Y))).Select(n => n.Kind).ToHashSet();
        tested.UnionWith(new[] { ExprKind.Const, ExprKind.Var });
        // Indexed kinds need arrays: IndexedSumTests checks them against finite differences (and that it covers them).
        tested.UnionWith(IndexedSumLatexTests.IndexedKinds);
        tested.UnionWith(IntegerArithmeticTests.IntegerKinds);
        // Comparisons share one rule (derivative 0); one of them is exercised.
        var missing = Enum.GetValues<ExprKind>().Where(k => !tested.Contains(k) && !(k >= ExprKind.Less && k <= ExprKind.NotEqual)).ToList();
        Assert.Empty(missing);
        Assert.All(Enum.GetValues<ExprKind>(), k => Assert.NotNull(Operators.Of(k).Rule));
    }

    [Theory]
    [InlineData("Math.Max(x, 0) - x * y + Math.Log(1 + Math.Exp(-Math.Abs(x)))")]
    [InlineData("Math.Max(0.0, x) + Math.Log(1.0 + Math.Exp(-Math.Abs(x))) - x * y")]
    [InlineData("2 * (Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)))) - 2 * x * y")]
    public void TheStableSoftplusWrittenByHand_IsSoftplus_SmoothAtZero(string source)
    {
        // Binary cross-entropy on a logit as people write it for range: max(z, 0) − z y + log(1 + e^−|z|). Smooth, with
        // derivative σ(z) − y everywhere; differentiated term by term, max's and |z|'s conventions at 0 gave −y there.
        var g = Differentiator.Gradient(Parse(source), new[] { X, Y });
        var scale = source.StartsWith("2", StringComparison.Ordinal) ? 2.0 : 1.0;
        Assert.Contains(Graph.PostOrder(g.Function), e => e.Kind == ExprKind.Softplus && ReferenceEquals(e.ArgArray[0], X));
        foreach (var (x, y) in new[] { (0.0, 0.3), (0.0, 1.0), (1e-9, 0.0), (-2.5, 0.7), (40.0, 1.0), (-800.0, 0.0) })
        {
            var at = Point(new[] { "x", "y" }, new[] { x, y });
            Assert.Equal(scale * (1 / (1 + Math.Exp(-x)) - y), Evaluator.Evaluate(g.Partials[0], at), 12);
            Assert.True(double.IsFinite(Evaluator.Evaluate(g.Function, at)));
        }
        // And it agrees with central differences of the function as written, at 0 too.
        var f = Parse(source);
        foreach (var x in new[] { 0.0, 0.5, -1.5 })
        {
            var at = Point(new[] { "x", "y" }, new[] { x, 0.25 });
            Assert.Equal(CentralDifference(f, at, "x"), Evaluator.Evaluate(g.Partials[0], at), 6);
        }
    }

    [Theory]
    [InlineData("Math.Log(1 + Math.Exp(x))", "softplus(x)")]
    [InlineData("Math.Log(1.0 / (1.0 + Math.Exp(-x)))", "-softplus(-x)")]
    [InlineData("Math.Log(1 - 1.0 / (1.0 + Math.Exp(-x)))", "-softplus(x)")]
    public void LogarithmsThatOverflow_BecomeSoftplus_FiniteAtExtremes(string source, string stable)
    {
        var f = Differentiator.Gradient(Parse(source), new[] { X });
        var form = stable switch { "softplus(x)" => Expr.Softplus(X), "-softplus(-x)" => Expr.Neg(Expr.Softplus(Expr.Neg(X))), _ => Expr.Neg(Expr.Softplus(X)) };
        Assert.Same(form, f.Function);
        foreach (var x in new[] { 1e3, -1e3, 1e-300, -1e-300, 0.0, 745.0, -745.0 })
        {
            // The exact value: log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|) (itself exact to rounding for every x).
            double Softplus(double u) => Math.Max(u, 0) + Math.Log(1 + Math.Exp(-Math.Abs(u)));
            var expected = stable switch { "softplus(x)" => Softplus(x), "-softplus(-x)" => -Softplus(-x), _ => -Softplus(x) };
            var at = Point(new[] { "x" }, new[] { x });
            var value = Evaluator.Evaluate(f.Function, at);
            Assert.True(double.IsFinite(value) && Math.Abs(value - expected) <= 1e-15 * (1 + Math.Abs(expected)), $"{source} at {x}: {value}");
            var slope = Evaluator.Evaluate(f.Partials[0], at);
            Assert.True(double.IsFinite(slope) && slope >= -1 && slope <= 1, $"{source}′ at {x}: {slope}");
        }
        // Printed so that C# computes it without overflow.
        var code = CSharpPrinter.Default.Print(f.Function);
        Assert.Contains("Math.Max(", code);
        Assert.Contains("Math.Exp(-Math.Abs(", code);
        Assert.Contains(@"\operatorname{softplus}", LatexPrinter.Print(f.Function));
    }

    [Fact]
    public void Tanh_Derivative_IsOneMinusTanhSquared()
    {
        var d = Differentiator.Derivative(Expr.Tanh(X), X);
        Assert.Same(1 - Expr.Pow(Expr.Tanh(X), 2), d);
    }

    [Fact]
    public void Sigmoid_Derivative_IsSigmaTimesOneMinusSigma()
    {
        var d = Differentiator.Derivative(Parse("1.0 / (1.0 + Math.Exp(-x))"), X);
        var s = Expr.Sigmoid(X);
        Assert.Equal(Evaluator.Evaluate(s * (1 - s), Point(new[] { "x" }, new[] { 0.7 })), Evaluator.Evaluate(d, Point(new[] { "x" }, new[] { 0.7 })), 15);
        Assert.Contains(s, Graph.PostOrder(d));
        Assert.Equal(@"\sigma\left(x\right) \left(1 - \sigma\left(x\right)\right)", LatexPrinter.Print(d));
    }

    [Theory]
    [InlineData("x > 0 ? x : 0")]
    [InlineData("Math.Max(x, 0)")]
    [InlineData("Math.Max(0, x)")]
    public void Relu_DerivativeAtZero_IsZero(string relu)
    {
        var d = Differentiator.Derivative(Parse(relu), X);
        Assert.Equal(0.0, Evaluator.Evaluate(d, Point(new[] { "x" }, new[] { 0.0 })));
        Assert.Equal(1.0, Evaluator.Evaluate(d, Point(new[] { "x" }, new[] { 1e-9 })));
        Assert.Equal(0.0, Evaluator.Evaluate(d, Point(new[] { "x" }, new[] { -1e-9 })));
    }

    [Fact]
    public void Abs_DerivativeAtZero_IsZero()
    {
        var d = Differentiator.Derivative(Expr.Abs(X), X);
        Assert.Equal(0.0, Evaluator.Evaluate(d, Point(new[] { "x" }, new[] { 0.0 })));
        Assert.Equal(-1.0, Evaluator.Evaluate(d, Point(new[] { "x" }, new[] { -2.0 })));
    }

    [Fact]
    public void MaxTie_GoesToTheFirstArgumentInCanonicalOrder()
    {
        var f = Expr.Max(X, Y);
        var g = Differentiator.Gradient(f, new[] { X, Y });
        var tie = Point(new[] { "x", "y" }, new[] { 1.0, 1.0 });
        Assert.Equal(1.0, Evaluator.Evaluate(g.Partials[0], tie));
        Assert.Equal(0.0, Evaluator.Evaluate(g.Partials[1], tie));
        // The subgradients at a tie still add up to one, as for max's true directional derivative along (1, 1).
    }
}

public class CallTests
{
    [Fact]
    public void Call_DifferentiatesThroughTheNamedDerivative()
    {
        Evaluator.Register("Cube", u => u * u * u);
        Evaluator.Register("CubeDerivative", u => 3 * u * u);
        var x = Expr.Var("x");
        var f = Expr.Call("Cube", Expr.Sin(x)) * x;
        var d = Differentiator.Derivative(f, x);
        var derivativeCall = Assert.Single(Graph.PostOrder(d), n => n.Kind == ExprKind.Call && n.CallName == "CubeDerivative");
        Assert.Same(Expr.Sin(x), derivativeCall.Args[0]);
        foreach (var v in new[] { -1.3, 0.2, 2.0 })
        {
            var at = TestExpressions.Point(new[] { "x" }, new[] { v });
            Assert.True(TestExpressions.Agree(Evaluator.Evaluate(d, at), TestExpressions.CentralDifference(f, at, "x"), 1));
        }
        Assert.Equal("Cube(Math.Sin(x)) * x", CSharpPrinter.Default.Print(f));
        Assert.Equal(@"\mathrm{Cube}'\left(\sin\left(x\right)\right)", LatexPrinter.Print(derivativeCall));
    }

    private static readonly CallTarget Hypot = CallTarget.Generated("Hypot", new[] { "a", "b" }, new[] { "a", "b" }, secondOrder: true);

    private static void RegisterHypot()
    {
        Evaluator.Register("Hypot", (a, b) => Math.Sqrt(a * a + b * b));
        Evaluator.Register("HypotPartial_a", (a, b) => a / Math.Sqrt(a * a + b * b));
        Evaluator.Register("HypotPartial_b", (a, b) => b / Math.Sqrt(a * a + b * b));
        Evaluator.Register("HypotPartial_a_a", (a, b) => b * b / Math.Pow(a * a + b * b, 1.5));
        Evaluator.Register("HypotPartial_a_b", (a, b) => -a * b / Math.Pow(a * a + b * b, 1.5));
        Evaluator.Register("HypotPartial_b_b", (a, b) => a * a / Math.Pow(a * a + b * b, 1.5));
    }

    [Fact]
    public void Call_WithSeveralArguments_ChainsThroughEachPartial()
    {
        RegisterHypot();
        Expr x = Expr.Var("x"), y = Expr.Var("y");
        var f = Expr.Call(Hypot, Expr.Sin(x), x * y) + y;
        var gradient = Differentiator.Gradient(f, new[] { x, y });
        var names = Graph.PostOrder(gradient.Partials).Where(n => n.Kind == ExprKind.Call).Select(n => n.CallName).ToHashSet();
        Assert.Subset(names, new HashSet<string> { "HypotPartial_a", "HypotPartial_b" });
        foreach (var (vx, vy) in new[] { (-1.3, 0.4), (0.2, -2.0), (2.0, 1.1) })
        {
            var at = TestExpressions.Point(new[] { "x", "y" }, new[] { vx, vy });
            var values = Evaluator.Evaluate(gradient.Partials, at);
            Assert.True(TestExpressions.Agree(values[0], TestExpressions.CentralDifference(f, at, "x"), 1));
            Assert.True(TestExpressions.Agree(values[1], TestExpressions.CentralDifference(f, at, "y"), 1));
        }
        Assert.Equal("y + Hypot(Math.Sin(x), x * y)", CSharpPrinter.Default.Print(f));
        Assert.Contains(@"\partial_{a} \mathrm{Hypot}\left(\sin\left(x\right), x y\right)", LatexPrinter.Print(gradient.Partials[0]));
    }

    [Fact]
    public void Call_SecondDerivatives_ChainThroughTheSecondPartials()
    {
        RegisterHypot();
        Expr x = Expr.Var("x"), y = Expr.Var("y");
        var f = Expr.Call(Hypot, x * x, y - x);
        var gradient = Differentiator.Gradient(f, new[] { x, y });
        var hessian = Differentiator.Hessian(gradient);
        foreach (var (vx, vy) in new[] { (-1.3, 0.4), (0.7, -2.0) })
        {
            var at = TestExpressions.Point(new[] { "x", "y" }, new[] { vx, vy });
            for (var i = 0; i < 2; i++)
            for (var j = 0; j < 2; j++)
                Assert.True(TestExpressions.Agree(Evaluator.Evaluate(hessian[i, j], at),
                    TestExpressions.CentralDifference(gradient.Partials[i], at, j == 0 ? "x" : "y"), 1), $"H[{i},{j}]");
        }
    }

    [Fact]
    public void Call_WithoutAPartialForADependentArgument_IsRefused()
    {
        var firstOnly = CallTarget.Generated("G", new[] { "a", "b" }, new[] { "a" }, secondOrder: false);
        Expr x = Expr.Var("x"), y = Expr.Var("y");
        // The argument at b does not depend on x: fine.
        Assert.NotNull(Differentiator.Gradient(Expr.Call(firstOnly, x, y), new[] { x }));
        var e = Assert.Throws<NotDifferentiableException>(() => Differentiator.Gradient(Expr.Call(firstOnly, y, x), new[] { x }));
        Assert.Equal(1, e.Argument);
        // First order only: its partials have no partials of their own.
        Assert.Throws<NotDifferentiableException>(() => Differentiator.Hessian(Differentiator.Gradient(Expr.Call(firstOnly, x, y), new[] { x })));
    }
}

/// <summary>docs/numerics.md, "Zeros": what the engine folds (algebraic zeros), and that IEEE rules hold everywhere else.</summary>
public class NumericsPolicyTests
{
    private static readonly Expr W = Expr.Var("w");

    private static Dictionary<string, double> At(double x, double w) => new() { ["x"] = x, ["w"] = w };

    [Fact]
    public void ExactZeros_Annihilate_SoANaNMultipliedByThemDoesNotPropagate()
    {
        // Built through the engine (not read from C#, where a literal 0 * x keeps IEEE semantics): 0·x + w, (x − x)·w + w
        // and (x / x)·w are w, w and w — their values and partials ignore a NaN x.
        foreach (var f in new[] { 0 * X + W, (X - X) * W + W, (X / X) * W })
        {
            Assert.Same(W, f);
            var g = Differentiator.Gradient(f, new[] { X, W });
            Assert.Equal(0.0, Evaluator.Evaluate(g.Partials[0], At(double.NaN, 2)));
            Assert.Equal(1.0, Evaluator.Evaluate(g.Partials[1], At(double.NaN, 2)));
            Assert.Equal(2.0, Evaluator.Evaluate(g.Function, At(double.NaN, 2)));
        }
    }

    [Fact]
    public void Elsewhere_NaNAndInfinity_PropagateByIeeeRules()
    {
        var g = Differentiator.Gradient(X * W, new[] { X, W });
        Assert.True(double.IsNaN(Evaluator.Evaluate(g.Function, At(double.NaN, 2))));
        Assert.Equal(2.0, Evaluator.Evaluate(g.Partials[0], At(double.NaN, 2)));
        Assert.True(double.IsNaN(Evaluator.Evaluate(g.Partials[1], At(double.NaN, 2))));
        // ∞·0 is NaN when the zero is a value, not an exact zero of the formula.
        Assert.True(double.IsNaN(Evaluator.Evaluate(g.Function, At(double.PositiveInfinity, 0))));
        // And in printed C#: the product stays a product.
        Assert.Contains("*", CSharpPrinter.Default.Print(g.Function));
    }
}
