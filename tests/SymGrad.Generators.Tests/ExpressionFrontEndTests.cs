using System;
using System.Collections.Generic;
using SymGrad.Generators;
using SymGrad.Symbolic;

namespace SymGrad.Generators.Tests;

public class ExpressionFrontEndTests
{
    private static Expr Read(string text)
    {
        var r = ExpressionFrontEnd.ParseText(text);
        Assert.True(r.Success, r.Error?.ToString());
        return r.Value!;
    }

    private static readonly Expr X = Expr.Var("x");
    private static readonly Expr Y = Expr.Var("y");

    [Theory]
    [InlineData("x + y", "x + y")]
    [InlineData("x - y", "x - y")]
    [InlineData("-x", "-x")]
    [InlineData("+x", "x")]
    [InlineData("(x)", "x")]
    [InlineData("x * y", "x * y")]
    [InlineData("x / y", "x / y")]
    [InlineData("2.5e-1 * x", "0.25 * x")]
    [InlineData("1_000 * x", "1000.0 * x")]
    [InlineData("2d * x", "2.0 * x")]
    [InlineData("(double)x", "x")]
    [InlineData("Math.Exp(x)", "Math.Exp(x)")]
    [InlineData("System.Math.Exp(x)", "Math.Exp(x)")]
    [InlineData("Exp(x)", "Math.Exp(x)")]
    [InlineData("Math.Log(x)", "Math.Log(x)")]
    [InlineData("Math.Pow(x, y)", "Math.Pow(x, y)")]
    [InlineData("Math.Pow(x, 2)", "x * x")]
    [InlineData("Math.Sqrt(x)", "Math.Sqrt(x)")]
    [InlineData("Math.Tanh(x)", "Math.Tanh(x)")]
    [InlineData("Math.Sin(x)", "Math.Sin(x)")]
    [InlineData("Math.Cos(x)", "Math.Cos(x)")]
    [InlineData("Math.Abs(x)", "Math.Abs(x)")]
    [InlineData("Math.Sign(x)", "x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : x")]   // NaN-safe: Math.Sign throws on NaN
    [InlineData("Math.Sign(x) / 2 + x", "x + (double)(Math.Sign(x) / 2)")]
    [InlineData("1 / 2 * x + x", "x + (Math.Abs(x) < double.PositiveInfinity ? 0.0 : double.NaN)")]
    [InlineData("7 / 2 * x", "3.0 * x")]
    [InlineData("7 % 3 * x", "x")]
    [InlineData("-7 / 2 * x", "-3.0 * x")]
    [InlineData("-7 % 3 * x", "-x")]
    [InlineData("(double)(7 / 2) * x", "3.0 * x")]
    [InlineData("(int)2.9 * x", "2.0 * x")]
    [InlineData("1.0 / 2 * x", "0.5 * x")]
    [InlineData("0.5f * x", "0.5 * x")]
    [InlineData("0.1f * x", "0.10000000149011612 * x")]
    [InlineData("1e-30f * x", "1.0000000031710769E-30 * x")]
    [InlineData("Math.Max(3, 2) * x", "3.0 * x")]
    [InlineData("Math.Max(x, y)", "Math.Max(x, y)")]
    [InlineData("Math.Min(x, y)", "Math.Min(x, y)")]
    [InlineData("Math.PI * x", "Math.PI * x")]
    [InlineData("PI * x", "Math.PI * x")]
    [InlineData("Math.E", "Math.E")]
    [InlineData("MathF.PI", "3.1415927410125732")]
    [InlineData("x > 0 ? x : 0", "x > 0.0 ? x : 0.0")]
    [InlineData("x <= y ? x : y", "x <= y ? x : y")]
    [InlineData("(x == y) ? 1 : 2", "x == y ? 1 : 2")]
    public void Reads_CSharpExpressionSyntax(string input, string printed) =>
        Assert.Equal(printed, CSharpPrinter.Default.Print(Read(input)));

    [Theory]
    [InlineData("0 * x + y")]
    [InlineData("x * 0.0 + y")]
    [InlineData("0 / x + y")]
    public void ALiteralZeroFactor_KeepsIeeeSemantics_ForNaNAndInfinity(string source)
    {
        // docs/numerics.md: 0 · x is 0 for finite x and NaN for NaN or ±∞ (0 / x: NaN at x = 0 too), as C# computes it.
        var f = Read(source);
        var g = Differentiator.Gradient(f, new[] { X, Expr.Var("y") });
        double At(Expr e, double x) => Evaluator.Evaluate(e, new Dictionary<string, double> { ["x"] = x, ["y"] = 2 });
        Assert.Equal(2.0, At(g.Function, 3));
        Assert.True(double.IsNaN(At(g.Function, double.NaN)));
        Assert.True(double.IsNaN(At(g.Function, double.PositiveInfinity)) == !source.StartsWith("0 /", System.StringComparison.Ordinal));
        if (source.StartsWith("0 /", System.StringComparison.Ordinal)) Assert.True(double.IsNaN(At(g.Function, 0)));
        // The derivatives are those of 0 and of y, wherever x is finite.
        Assert.Equal(0.0, At(g.Partials[0], 3));
        Assert.Equal(1.0, At(g.Partials[1], 3));
        // And the printed C# computes it so.
        Assert.Contains("double.NaN", CSharpPrinter.Default.Print(g.Function));
    }

    [Fact]
    public void Reads_ComposedFunctionsIntoTheEngine()
    {
        Assert.Same(Expr.Sigmoid(X), new Simplifier().Simplify(Read("1.0 / (1.0 + Math.Exp(-x))")));
        Assert.Same(Expr.Mul(Expr.Half, Expr.Pow(X - Y, 2)), Read("0.5 * (x - y) * (x - y)"));
        Assert.Same(Expr.Direct(ExprKind.Log10, X), Read("Math.Log10(x)"));
        // .NET's Math.Log(a, newBase): NaN at newBase = 1, and at newBase 0 or +∞ unless a = 1.
        var log = Read("Math.Log(x, y)");
        foreach (var (x, y) in new[] { (8.0, 1.0), (8.0, 0.0), (8.0, double.PositiveInfinity), (1.0, 0.0), (1.0, double.PositiveInfinity), (8.0, 2.0), (0.5, 0.25) })
            Assert.Equal(Math.Log(x, y), Evaluator.Evaluate(log, new Dictionary<string, double> { ["x"] = x, ["y"] = y }), 14);
        Assert.Same(Expr.Log(X) / Expr.Log(Expr.Const(2)), Read("Math.Log(x, 2)"));
    }

    [Theory]
    [InlineData("w * x +", 7, "syntax error")]
    [InlineData("(x", 2, "syntax error")]
    [InlineData("x + * y", 4, "'* y' cannot be differentiated")]
    [InlineData("foo(x)", 0, "'foo': it is not a function SymGrad knows")]
    [InlineData("x + Math.Foo(x)", 4, "'Math.Foo': it is not a function SymGrad knows")]
    [InlineData("Math.Exp(x, y)", 0, "takes 1 argument, not 2")]
    [InlineData("x % y", 0, "the operator '%' on floating-point values is not supported")]
    [InlineData("(float)x", 0, "to float inside a double method")]
    [InlineData("MathF.Exp(x)", 0, "float arithmetic inside a double method")]
    [InlineData("(float)(int)x", 7, "truncates")]
    [InlineData("(int)x", 0, "truncates")]
    [InlineData("5u * x", 0, "UInt32")]
    [InlineData("1m * x", 0, "Decimal")]
    [InlineData("x++", 0, "'x++' cannot be differentiated")]
    [InlineData("x & y ? x : y", 0, "a condition must be a comparison")]
    [InlineData("x / 0", 4, "'x / 0' divides by zero")]
    [InlineData("\"text\"", 0, "is not supported")]
    [InlineData("1e400 * x", 0, "outside the range")]
    [InlineData("", 0, "empty")]
    public void Rejects_UnsupportedInput_WithItsPosition(string input, int start, string message)
    {
        var r = ExpressionFrontEnd.ParseText(input);
        Assert.False(r.Success);
        Assert.Equal(start, r.Error!.Start);
        Assert.Contains(message, r.Error.Message);
    }

    [Fact]
    public void Scope_BindsNames_AndRejectsUnknownOnesWhenClosed()
    {
        var scope = new FrontEndScope { UnknownIdentifiersAreVariables = false }.Bind("yHat", X * 2);
        Assert.Same(X * 2 + 1, ExpressionFrontEnd.ParseText("yHat + 1", scope).Value);
        var r = ExpressionFrontEnd.ParseText("yHat + q", scope);
        Assert.False(r.Success);
        Assert.Equal(7, r.Error!.Start);
        Assert.Contains("'q' is not a parameter, local or constant", r.Error.Message);
    }
}
