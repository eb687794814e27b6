using System;
using System.Collections.Generic;
using System.Linq;
using SymGrad.Symbolic;

namespace SymGrad.Symbolic.Tests;

/// <summary>
/// C#'s int arithmetic in the engine: truncating quotients and remainders, conversions to the floating-point type,
/// and printing that computes ints as int only where C# does (never an int product the engine introduced).
/// </summary>
public class IntegerArithmeticTests
{
    private static readonly Expr I = Expr.Index("i"), K = Expr.Index("k");
    private static readonly Expr N = Expr.Length("x");
    private static readonly Expr X = Expr.Var("x");

    /// <summary>The kinds these tests cover (with the differentiation rules, zero, checked below).</summary>
    public static readonly ExprKind[] IntegerKinds = { ExprKind.ToFloat, ExprKind.IntDiv, ExprKind.IntRem };

    [Theory]
    [InlineData(7, 2, 3, 1)]
    [InlineData(-7, 2, -3, -1)]
    [InlineData(7, -2, -3, 1)]
    [InlineData(-7, -3, 2, -1)]
    [InlineData(0, 5, 0, 0)]
    public void ConstantQuotientsAndRemainders_TruncateTowardZero_AsCSharpDoes(int a, int b, int quotient, int remainder)
    {
        Assert.Same(Expr.Const(quotient), Expr.IntDiv(Expr.Const(a), Expr.Const(b)));
        Assert.Same(Expr.Const(remainder), Expr.IntRem(Expr.Const(a), Expr.Const(b)));
        Assert.Equal(a / b, quotient);
        Assert.Equal(a % b, remainder);
    }

    [Fact]
    public void IntegerNodes_RefuseFloatingOperands_AndAZeroDivisorThrowsWhenRun()
    {
        Assert.Throws<ArgumentException>(() => Expr.IntDiv(X, Expr.Const(2)));
        Assert.Throws<ArgumentException>(() => Expr.ToFloat(X));
        // A zero divisor stays a division (algebra may make one: n / (k − k)) and throws when run, as C#'s does.
        Assert.Equal(ExprKind.IntDiv, Expr.IntDiv(I, Expr.Zero).Kind);
        Assert.Equal(ExprKind.IntRem, Expr.IntRem(I, Expr.Zero).Kind);
        var method = SymGrad.Tests.Shared.RoslynCompiler.CompileMethod(
            "public static double F(int i) => " + CSharpPrinter.Default.Print(Expr.ToFloat(Expr.IntDiv(I, Expr.Zero))) + ";\n", "F");
        var thrown = Assert.Throws<System.Reflection.TargetInvocationException>(() => method.Invoke(null, new object[] { 3 }));
        Assert.IsType<DivideByZeroException>(thrown.InnerException);
        Assert.Same(I, Expr.IntDiv(I, Expr.One));
        Assert.Same(Expr.Zero, Expr.IntRem(I, Expr.One));
    }

    [Fact]
    public void Conversions_DistributeOverSmallAffineForms_ButKeepIntProducts()
    {
        // (double)(2 * n + 1) = 2.0 * n + 1.0, so 1/(2n) cancels with a 2; i * i stays an int product, as C# wraps it.
        Assert.Same(Expr.Const(2) * Expr.ToFloat(N) + 1, Expr.ToFloat(Expr.Const(2) * N + 1));
        Assert.Equal(ExprKind.ToFloat, Expr.ToFloat(I * I).Kind);
        Assert.Equal(ExprKind.ToFloat, Expr.ToFloat(Expr.Const(1000) * I).Kind);
        Assert.Same(Expr.Const(3), Expr.ToFloat(Expr.Const(3)));
    }

    [Fact]
    public void Printing_ComputesIntsAsIntsOnlyWhereCSharpDoes()
    {
        var p = CSharpPrinter.Default;
        // An engine-made product of lengths converts each length first: no int overflow above 46 340 elements.
        Assert.Equal("(double)x.Length * (double)x.Length", p.Print(Expr.ToFloat(N) * Expr.ToFloat(N)));
        Assert.Equal("(double)x.Length * (double)x.Length", p.Print(N * N));
        // A conversion the source wrote converts the int result: i * i wraps, i / 2 truncates.
        Assert.Equal("(double)(i * i)", p.Print(Expr.ToFloat(I * I)));
        Assert.Equal("(double)(i / 2) * x", p.Print(Expr.ToFloat(Expr.IntDiv(I, Expr.Const(2))) * X));
        Assert.Equal("(double)(i % 3)", p.Print(Expr.ToFloat(Expr.IntRem(I, Expr.Const(3)))));
        // The sign outside int arithmetic is floating-point (and NaN-safe, unlike Math.Sign) before it is divided by a length;
        // inside int arithmetic it is Math.Sign, an int.
        Assert.Equal("(x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : x) / (double)x.Length", p.Print(Expr.Sign(X) / Expr.ToFloat(N)));
        Assert.Equal("(x > 0f ? 1f : x < 0f ? -1f : x) / (float)x.Length", CSharpPrinter.Float.Print(Expr.Sign(X) / Expr.ToFloat(N)));
        Assert.Equal("x[Math.Sign(x) + i]", p.Print(Expr.Element("x", Expr.Sign(X) + I)));
        // Inside an index, int arithmetic.
        Assert.Equal("x[i / 2 + 1]", p.Print(Expr.Element("x", Expr.IntDiv(I, Expr.Const(2)) + 1)));
    }

    [Fact]
    public void Latex_ShowsQuotientsAsFloorsAndRemaindersAsMod()
    {
        Assert.Equal(@"\left\lfloor i / 2 \right\rfloor", LatexPrinter.Print(Expr.ToFloat(Expr.IntDiv(I, Expr.Const(2)))));
        Assert.Equal(@"\left\lfloor \left(i + 5\right) / 3 \right\rfloor", LatexPrinter.Print(Expr.ToFloat(Expr.IntDiv(I + 5, Expr.Const(3)))));
        Assert.Equal(@"\left(i \bmod 3\right) x", LatexPrinter.Print(X * Expr.ToFloat(Expr.IntRem(I, Expr.Const(3)))));
    }

    [Fact]
    public void IntegerWeights_DifferentiateAsConstants_AgainstFiniteDifferences()
    {
        // f = Σ_i (i / 2) x_i² + (i % 3) x_i / n: every rule of an integer node is zero, the weights are C#'s.
        var f = Expr.Sum(I, N, Expr.ToFloat(Expr.IntDiv(I, Expr.Const(2))) * Expr.Pow(Expr.Element("x", I), 2)
                               + Expr.ToFloat(Expr.IntRem(I, Expr.Const(3))) * Expr.Element("x", I) / Expr.ToFloat(N));
        var g = Differentiator.Gradient(f, new[] { Expr.Element("x", K) });
        var x = new[] { 0.3, -1.2, 0.7, 2.0, -0.4, 1.1, 0.9 };
        double F(double[] v) => Evaluator.Evaluate(f, new Dictionary<string, double>(), new Dictionary<string, Array> { ["x"] = v });
        double Direct(double[] v) => v.Select((t, i) => i / 2 * t * t + i % 3 * t / (double)v.Length).Sum();
        Assert.Equal(Direct(x), F(x), 12);
        for (var k = 0; k < x.Length; k++)
        {
            var slope = Evaluator.Evaluate(g.Partials[0], new Dictionary<string, double>(), new Dictionary<string, Array> { ["x"] = x }, new Dictionary<string, int> { ["k"] = k });
            var h = 1e-6;
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[k] += h;
            minus[k] -= h;
            Assert.Equal((Direct(plus) - Direct(minus)) / (2 * h), slope, 6);
        }
        Assert.All(IntegerKinds, kind => Assert.Same(Expr.Zero, Operators.Of(kind).Rule.Local(Expr.ToFloat(I * I), 0)));
    }
}
