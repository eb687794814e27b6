using System.Globalization;
using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Text;
using CsCheck;
using SymGrad.Symbolic;
using SymGrad.Tests.Shared;
using static SymGrad.Symbolic.Tests.TestExpressions;

namespace SymGrad.Symbolic.Tests;

/// <summary>Emitted C# is compiled with Roslyn and run; it must agree with the engine's own evaluator.</summary>
public class CSharpEmissionTests
{
    private static readonly Expr[] Xyz = { X, Y, Z };

    private static ExprProgram GradientProgram(Expr f, IReadOnlyList<Expr> wrt)
    {
        return CsePass.Build(Differentiator.Gradient(f, wrt).Outputs());
    }

    /// <summary>Calls an emitted method with values for its parameters (sorted by name) and returns the value and outs.</summary>
    private static double[] Call(MethodInfo m, ExprProgram program, IReadOnlyDictionary<string, double> at, bool useFloat)
    {
        var args = new List<object?>();
        foreach (var p in program.Parameters) args.Add(useFloat ? (object)(float)at[p] : at[p]);
        for (var i = 1; i < program.Outputs.Count; i++) args.Add(null);
        var array = args.ToArray();
        var value = m.Invoke(null, array);
        var result = new List<double> { Convert.ToDouble(value) };
        for (var i = 1; i < program.Outputs.Count; i++) result.Add(Convert.ToDouble(array[program.Parameters.Count + i - 1]));
        return result.ToArray();
    }

    private static bool Close(double expected, double actual, double relative) =>
        (double.IsNaN(expected) && double.IsNaN(actual)) || expected.Equals(actual) ||
        Math.Abs(expected - actual) <= relative * (1 + Math.Abs(expected));

    [Fact]
    public void NegatedAndScaledSums_AreComputedOnce()
    {
        // f of x − y: ∂f/∂y = −∂f/∂x is computed once (dy = -dx, or both from one local), 4x − 4y beside x − y is
        // 4.0 * sum0, and the values agree with the evaluator.
        Expr x = Expr.Var("x"), y = Expr.Var("y");
        var u = x - y;
        var f = Expr.Sin(u) * (y - x) + 2 * u * u;
        var program = GradientProgram(f, new[] { x, y });
        var code = CSharpPrinter.Default.PrintMethod(program, "F");
        Assert.True(code.Contains("dy = -dx;", StringComparison.Ordinal) || System.Text.RegularExpressions.Regex.IsMatch(code, @"dx = -(\w+);\s+dy = \1;|dx = (\w+);\s+dy = -\2;"), code);
        Assert.Equal(1, CountOf(code, "Math.Cos("));
        Assert.Contains("4.0 * sum0", code);
        Assert.DoesNotContain("4.0 * x", code);
        var withoutSharing = CsePass.Build(new[] { ("value", f), ("dx", Differentiator.Derivative(f, x)) });
        Assert.True(program.OperationCount <= withoutSharing.OperationCount + 1, $"{program.OperationCount} vs {withoutSharing.OperationCount}");
        var type = RoslynCompiler.Compile("using System;\npublic static class Emitted\n{\n" + CSharpPrinter.Default.PrintMethod(program, "F", indent: "    ") + "}\n").GetType("Emitted")!;
        foreach (var (a, b) in new[] { (0.3, -1.2), (2.0, 2.5), (-0.7, 0.1) })
        {
            var at = new Dictionary<string, double> { ["x"] = a, ["y"] = b };
            var values = Call(type.GetMethod("F")!, program, at, useFloat: false);
            Assert.Equal(-values[1], values[2]);
            Assert.True(Close(Evaluator.Evaluate(Differentiator.Derivative(f, y), at), values[2], 1e-12));
        }
        // Not for a sum that is not the negation: ∂/∂x and ∂/∂y of x² + y² are written out.
        var both = CSharpPrinter.Default.PrintMethod(GradientProgram(x * x + y * y, new[] { x, y }), "G");
        Assert.DoesNotContain("= -d", both);
        // And the negated output alone: outputs (u, −u) as two partials.
        var negated = CsePass.Build(new[] { ("value", Expr.Exp(x)), ("a", x * y - y), ("b", y - x * y) });
        var negatedCode = CSharpPrinter.Default.PrintMethod(negated, "N");
        Assert.True(negatedCode.Contains("b = -a;", StringComparison.Ordinal) || System.Text.RegularExpressions.Regex.IsMatch(negatedCode, @"a = -(\w+);\s+b = \1;"), negatedCode);
        Assert.Equal(1, CountOf(negatedCode, "x * y"));
    }

    [Fact]
    public void EmittedGradients_Compile_AndAgreeWithTheEvaluator()
    {
        Any(3).Array[40].Sample(functions =>
        {
            var programs = functions.Select(f => GradientProgram(f, Xyz)).ToList();
            var source = new StringBuilder("using System;\npublic static class Emitted\n{\n");
            for (var i = 0; i < programs.Count; i++) source.Append(CSharpPrinter.Default.PrintMethod(programs[i], "M" + i, indent: "    "));
            source.Append("}\n");
            var type = RoslynCompiler.Compile(source.ToString()).GetType("Emitted")!;
            var random = new Random(7);
            for (var i = 0; i < programs.Count; i++)
            {
                var m = type.GetMethod("M" + i)!;
                for (var k = 0; k < 5; k++)
                {
                    var at = Point(Names, new[] { random.NextDouble() * 3 - 1.5, random.NextDouble() * 3 - 1.5, random.NextDouble() * 3 - 1.5 });
                    var expected = Evaluator.Evaluate(programs[i].Outputs.Select(o => o.Value).ToList(), at);
                    var actual = Call(m, programs[i], at, false);
                    for (var j = 0; j < expected.Length; j++)
                        if (!Close(expected[j], actual[j], 1e-9))
                            throw new Exception($"output {programs[i].Outputs[j].Name} of {functions[i]}: evaluator {expected[j]}, emitted {actual[j]}\n{CSharpPrinter.Default.PrintMethod(programs[i], "M")}");
                }
            }
        }, iter: 5);
    }

    [Fact]
    public void TanhDerivatives_AreComputedAsSechSquared_ExactInTheTails_AloneWithOneExp_AndBesideTheValue()
    {
        Expr x = Expr.Var("x"), w = Expr.Var("w");
        var derivative = Differentiator.Derivative(Expr.Tanh(w * x), w);
        var second = Differentiator.Derivative(derivative, w);
        Assert.Equal(@"\left(1 - \tanh^{2}\left(w x\right)\right) x", LatexPrinter.Print(derivative));
        var alone = CsePass.Build(new[] { ("derivative", derivative) });
        var code = CSharpPrinter.Default.PrintMethod(alone, "D");
        Assert.DoesNotContain("Math.Tanh", code);
        Assert.Equal(1, CountOf(code, "Math.Exp("));
        // With the value and the second derivative: tanh for the value, one exp for every sech² — no 1 − t·t.
        var all = CsePass.Build(new[] { ("value", Expr.Tanh(w * x)), ("derivative", derivative), ("second", second) });
        var allCode = CSharpPrinter.Default.PrintMethod(all, "B");
        Assert.Equal(1, CountOf(allCode, "Math.Tanh("));
        Assert.Equal(1, CountOf(allCode, "Math.Exp("));
        Assert.DoesNotContain("1.0 - tanh0 * tanh0", allCode);
        // Exact where 1 − tanh² cancels: sech²(30) = 3.5e-26 (not 0), ∂²/∂w² = −2 tanh sech² likewise, and equal to
        // rounding elsewhere (1/cosh² is exact to a few ulps everywhere).
        var type = RoslynCompiler.Compile("using System;\npublic static class Emitted\n{\n" + CSharpPrinter.Default.PrintMethod(alone, "D", indent: "    ")
                                          + CSharpPrinter.Default.PrintMethod(all, "B", indent: "    ") + "}\n").GetType("Emitted")!;
        double D(double at) => (double)type.GetMethod("D")!.Invoke(null, alone.Parameters.Select(p => (object)(p == "w" ? at : 1.0)).ToArray())!;
        (double Value, double First, double Second) B(double at)
        {
            var args = all.Parameters.Select(p => (object)(p == "w" ? at : 1.0)).Concat(new object[] { 0.0, 0.0 }).ToArray();
            var value = (double)type.GetMethod("B")!.Invoke(null, args)!;
            return (value, (double)args[^2], (double)args[^1]);
        }
        foreach (var at in new[] { 0.0, 1e-300, 0.5, -3.0, 10.0, 19.5, 30.0, -300.0, 354.0 })
        {
            var sech2 = 1 / Math.Cosh(at) / Math.Cosh(at);
            Assert.True(Math.Abs(D(at) - sech2) <= 1e-14 * sech2, $"sech²({at}): {D(at):r}, exact {sech2:r}");
            var (value, first, secondValue) = B(at);
            Assert.Equal(Math.Tanh(at), value);
            Assert.True(Math.Abs(first - sech2) <= 1e-14 * sech2, $"first({at}): {first:r}, exact {sech2:r}");
            var exact2 = -2 * Math.Tanh(at) * sech2;
            Assert.True(Math.Abs(secondValue - exact2) <= 1e-14 * Math.Abs(exact2), $"second({at}): {secondValue:r}, exact {exact2:r}");
        }
    }

    [Fact]
    public void SigmoidDerivative_IsOneExpOverOnePlusItSquared_ExactInBothTails()
    {
        Expr x = Expr.Var("x");
        var derivative = Differentiator.Derivative(Expr.Sigmoid(x), x);
        Assert.Equal(@"\sigma\left(x\right) \left(1 - \sigma\left(x\right)\right)", LatexPrinter.Print(derivative));
        var program = CsePass.Build(new[] { ("value", Expr.Sigmoid(x)), ("derivative", derivative) });
        var code = CSharpPrinter.Default.PrintMethod(program, "S");
        // σ(1 − σ) as σ(x)σ(−x) = e/(1 + e)², e = e^−|x|: one exp for the value and the derivative, no 1 − σ.
        Assert.Equal(1, CountOf(code, "Math.Exp("));
        Assert.DoesNotContain("1.0 - ", code);
        var type = RoslynCompiler.Compile("using System;\npublic static class Emitted\n{\n" + CSharpPrinter.Default.PrintMethod(program, "S", indent: "    ") + "}\n").GetType("Emitted")!;
        foreach (var at in new[] { 0.0, 1e-300, 0.5, -3.0, 40.0, -40.0, 300.0, -740.0 })
        {
            var args = new object[] { at, 0.0 };
            var value = (double)type.GetMethod("S")!.Invoke(null, args)!;
            var e = Math.Exp(-Math.Abs(at));
            var exact = e / ((1 + e) * (1 + e));
            Assert.True(Math.Abs((double)args[1] - exact) <= 1e-15 * exact, $"σ′({at}): {(double)args[1]:r}, exact {exact:r}");
            var sigma = at >= 0 ? 1 / (1 + e) : e / (1 + e);
            Assert.True(Math.Abs(value - sigma) <= 1e-15 * sigma, $"σ({at}): {value:r}, exact {sigma:r}");
        }
    }

    [Theory]
    [InlineData(120, 1e-3)]
    [InlineData(40, 1e-10)]
    public void ProductsOfManySmallSlopes_KeepTheirValueAndGradient(int n, double slope)
    {
        // (1 + c·x₀)⋯(1 + c·xₙ₋₁): the content c of each factor pulled out made one coefficient cⁿ (10^−360, printed 0.0)
        // and a product of (1/c + xᵢ) that overflows: value and every partial came out 0.
        var xs = Enumerable.Range(0, n).Select(i => Expr.Var("x" + i.ToString("D3", CultureInfo.InvariantCulture))).ToList();
        var f = Expr.Mul(xs.Select(x => Expr.Add(Expr.One, Expr.Mul(Expr.Const(slope), x))));
        var program = GradientProgram(f, xs);
        var method = RoslynCompiler.Compile("using System;\npublic static class Emitted\n{\n" + CSharpPrinter.Default.PrintMethod(program, "G", indent: "    ") + "}\n").GetType("Emitted")!.GetMethod("G")!;
        var at = xs.ToDictionary(x => x.Name!, x => 0.0);
        at["x001"] = 1 / slope; // one factor 2: the value 2, ∂/∂x₀ = 2c, ∂/∂x₁ = c
        var result = Call(method, program, at, useFloat: false);
        Assert.Equal(2.0, result[0], 12);
        Assert.Equal(2 * slope, result[1], slope * 1e-12);
        Assert.Equal(slope, result[2], slope * 1e-12);
        Assert.All(result.Skip(3), d => Assert.Equal(2 * slope, d, slope * 1e-12));
    }

    [Fact]
    public void DistributingATinyCoefficient_KeepsTheProductOfTwoTinyConstants()
    {
        // ∂/∂x (1 + 1e-200 x)(1 + 1e-200 y) = 1e-200 (1 + 1e-200 y): distributed, 1e-400 y underflowed to 0.
        Expr x = Expr.Var("x"), y = Expr.Var("y");
        var c = Expr.Const(Number.Inexact(1e-200));
        var f = Expr.Mul(Expr.Add(Expr.One, Expr.Mul(c, x)), Expr.Add(Expr.One, Expr.Mul(c, y)));
        var program = GradientProgram(f, new[] { x, y });
        var method = RoslynCompiler.Compile("using System;\npublic static class Emitted\n{\n" + CSharpPrinter.Default.PrintMethod(program, "G", indent: "    ") + "}\n").GetType("Emitted")!.GetMethod("G")!;
        var result = Call(method, program, new Dictionary<string, double> { ["x"] = 0, ["y"] = 1e200 }, useFloat: false);
        Assert.Equal(2.0, result[0], 14);
        Assert.Equal(2e-200, result[1], 1e-214);
        Assert.Equal(1e-200, result[2], 1e-214);
    }

    [Fact]
    public void ComparisonValues_PrintAsIntegerIndicators_ButNeverAsAnIntegerQuotient()
    {
        Expr x = Expr.Var("x"), y = Expr.Var("y");
        var indicator = Expr.Compare(ExprKind.Greater, x, Expr.Zero);
        // ReLU′: branch-free `x > 0.0 ? 1 : 0`, not `x > 0.0 ? 1.0 : 0.0`.
        Assert.Equal("x > 0.0 ? 1 : 0", CSharpPrinter.Default.Print(indicator));
        Assert.Equal("x > 0f ? 1 : 0", CSharpPrinter.Float.Print(indicator));
        // [x > 0] / [y > 0] must not be int division.
        var quotient = Expr.Div(indicator, Expr.Compare(ExprKind.Greater, y, Expr.Zero));
        var text = CSharpPrinter.Default.Print(quotient);
        Assert.StartsWith("1.0 * ", text);
        var program = CsePass.Build(new[] { ("value", quotient), ("relu", indicator * y) });
        var type = RoslynCompiler.Compile("using System;\npublic static class Emitted\n{\n" + CSharpPrinter.Default.PrintMethod(program, "M", indent: "    ") + "}\n").GetType("Emitted")!;
        foreach (var (vx, vy) in new[] { (1.0, 2.0), (-1.0, 2.0), (0.5, -3.0) })
        {
            var at = Point(Names, new[] { vx, vy, 0.0 });
            var expected = Evaluator.Evaluate(program.Outputs.Select(o => o.Value).ToList(), at);
            var actual = Call(type.GetMethod("M")!, program, at, false);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void FloatCode_UsesMathF_Compiles_AndAgreesToSinglePrecision()
    {
        Smooth(3).Array[30].Sample(functions =>
        {
            var programs = functions.Select(f => GradientProgram(f, Xyz)).ToList();
            var source = new StringBuilder("using System;\npublic static class Emitted\n{\n");
            for (var i = 0; i < programs.Count; i++) source.Append(CSharpPrinter.Float.PrintMethod(programs[i], "M" + i, indent: "    "));
            source.Append("}\n");
            var text = source.ToString();
            Assert.DoesNotContain("Math.", text.Replace("MathF.", ""));
            var type = RoslynCompiler.Compile(text).GetType("Emitted")!;
            var at = Point(Names, new[] { 0.25, -0.5, 0.75 });
            for (var i = 0; i < programs.Count; i++)
            {
                var expected = Evaluator.Evaluate(programs[i].Outputs.Select(o => o.Value).ToList(), at);
                var actual = Call(type.GetMethod("M" + i)!, programs[i], at, true);
                for (var j = 0; j < expected.Length; j++)
                    if (double.IsFinite(expected[j]) && Math.Abs(expected[j]) < 1e4 && !Close(expected[j], actual[j], 1e-3))
                        throw new Exception($"float output {j} of {functions[i]}: {expected[j]} vs {actual[j]}");
            }
        }, iter: 2);
    }

    [Fact]
    public void Literals_AreRoundTrip_AndCultureInvariant()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal("0.1", CSharpPrinter.Default.Literal(Number.ParseLiteral("0.1")));
            Assert.Equal("2.0", CSharpPrinter.Default.Literal(Number.Integer(2)));
            Assert.Equal("(1.0 / 3.0)", CSharpPrinter.Default.Literal(Number.Rational(1, 3)));
            Assert.Equal("0.30000000000000004", CSharpPrinter.Default.Literal(Number.Inexact(0.1 + 0.2)));
            Assert.Equal("1E-300", CSharpPrinter.Default.Literal(Number.Inexact(1e-300)));
            Assert.Equal("0.1f", CSharpPrinter.Float.Literal(Number.ParseLiteral("0.1")));
            Assert.Equal("Math.PI", CSharpPrinter.Default.Literal(Expr.Pi.Value));
            Assert.Equal("MathF.PI", CSharpPrinter.Float.Literal(Expr.Pi.Value));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void IntegerPowers_AreMultiplications_AndSharedSubterms_AreLocals()
    {
        var f = Parse("Math.Pow(Math.Tanh(w * x + b), 3) + Math.Tanh(w * x + b) * y");
        var program = GradientProgram(f, new[] { Expr.Var("w"), Expr.Var("b") });
        var text = CSharpPrinter.Default.PrintMethod(program, "F");
        Assert.DoesNotContain("Math.Pow", text);
        // tanh(w x + b) is computed once, for the value and both partials.
        Assert.Equal(1, CountOf(text, "Math.Tanh("));
        Assert.Contains("var tanh0 = Math.Tanh(", text);
    }

    [Fact]
    public void EmittedCode_IsDeterministic()
    {
        var f = Parse("Math.Log(1 + Math.Exp(w1 * x1 + w2 * x2 + b)) - y * (w1 * x1 + w2 * x2 + b)");
        var wrt = new[] { Expr.Var("w1"), Expr.Var("w2"), Expr.Var("b") };
        var a = CSharpPrinter.Default.PrintMethod(GradientProgram(f, wrt), "F");
        var b = CSharpPrinter.Default.PrintMethod(GradientProgram(Parse("-y * (b + w2 * x2 + x1 * w1) + Math.Log(Math.Exp(x2 * w2 + w1 * x1 + b) + 1)"), wrt), "F");
        Assert.Equal(a, b);
        Snapshot.Verify("LogisticLossGradient", a, "cs");
    }

    private static int CountOf(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
