using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using M = SymGrad.Generators.Tests.CSharpSemanticsModel;

namespace SymGrad.Generators.Tests;

/// <summary>
/// The generated members of <see cref="CSharpSemanticsModel"/> against the methods themselves: the value equals calling
/// the method, and every partial matches extrapolated central differences of the method (issue 13's defects).
/// </summary>
public class CSharpSemanticsTests
{
    private static readonly double[] Points = { -2.5, -0.75, 0.3, 1.7, 3.25 };

    private static void Agrees(Func<double, double> method, Func<double, (double Value, double Slope)> generated, string name)
    {
        foreach (var x in Points)
        {
            var (value, slope) = generated(x);
            var direct = method(x);
            Assert.True(Math.Abs(value - direct) <= 1e-12 * (1 + Math.Abs(direct)), $"{name}({x}) = {value}, the method gives {direct}");
            var reference = AgreementTests.Reference(a => method(a[0]), new[] { x }, 0) ?? throw new InvalidOperationException("differences did not settle");
            Assert.True(Math.Abs(slope - reference) <= 1e-8 * (1 + Math.Abs(reference)), $"{name}′({x}) = {slope}, differences give {reference}");
        }
    }

    [Fact]
    public void IntegerDivisionRemainderAndCasts_MeanWhatCSharpComputes()
    {
        Agrees(M.HalfTimesXPlusSquare, x => (M.HalfTimesXPlusSquareGradient(x, out var d), d), "1 / 2 * x + x * x");
        Agrees(M.SevenHalvesTimesX, x => (M.SevenHalvesTimesXGradient(x, out var d), d), "7 / 2 * x");
        Agrees(M.IntMinValue, x => (M.IntMinValueGradient(x, out var d), d), "-2147483648 * x + (-2147483648 / 2) * x * x");
        Assert.Equal(-2147483648.0 - 2147483648.0, M.IntMinValueDerivative(1.0));
        Agrees(M.OneOverConstN, x => (M.OneOverConstNGradient(x, out var d), d), "1 / N * x + x * x");
        Agrees(M.CastOfIntQuotient, x => (M.CastOfIntQuotientGradient(x, out var d), d), "(double)(K / 2) * x");
        Agrees(M.ConstDoubleFromInts, x => (M.ConstDoubleFromIntsGradient(x, out var d), d), "const double Q = 1 / 4");
        Agrees(M.Remainder, x => (M.RemainderGradient(x, out var d), d), "7 % 3 * x + -7 % 3 * x * x");
        Agrees(M.DoubleQuotientOfInts, x => (M.DoubleQuotientOfIntsGradient(x, out var d), d), "1.0 / 2 * x + x / 4");
        Agrees(M.IntCasts, x => (M.IntCastsGradient(x, out var d), d), "(int)2.9 * x");
        Agrees(M.SignAsInt, x => (M.SignAsIntGradient(x, out var d), d), "Math.Sign(x) / 2 * x");
        Assert.Equal(M.LaterConstantsAfterAnExtremeOne(0.5), M.LaterConstantsAfterAnExtremeOneGradient(0.5, out _));
        Assert.Equal(double.PositiveInfinity, M.LaterConstantsAfterAnExtremeOneGradient(0.5, out _));
        Assert.Equal(M.LaterConstantsAfterAnExtremeOne(0.001), M.LaterConstantsAfterAnExtremeOneGradient(0.001, out _));
        Agrees(M.ShiftedConstants, x => (M.ShiftedConstantsGradient(x, out var d), d), "(1L << 40) * x + (5 >> 1 | 4) * x * x");
        Agrees(M.CheckedDouble, x => (M.CheckedDoubleGradient(x, out var d), d), "checked(x * 2.0 + (3 * 4))");
        Assert.Equal(1099511627776.0 + 12.0 - 2147483647.0, M.ShiftedConstantsDerivative(1.0));
        // The values C# gives, spelled out: 1 / 2 is 0, 7 / 2 is 3, 7 % 3 is 1, −7 % 3 is −1, (int)−2.9 is −2.
        Assert.Equal(4.0, M.HalfTimesXPlusSquareDerivative(2.0));
        Assert.Equal(3.0, M.SevenHalvesTimesXDerivative(1.0));
        Assert.Equal(2.0, M.CastOfIntQuotientDerivative(0.5));
        Assert.Equal(1.0 - 2 * 1.5, M.RemainderDerivative(1.5));
        Assert.Equal(2.0 - 4 * 1.5, M.IntCastsDerivative(1.5));
    }

    [Fact]
    public void FloatConstants_AreTheirBinary32Values_FromTheSmallestToTheLargest()
    {
        foreach (var x in new[] { 0.25f, 1f, 3.5f, 1000f })
        {
            var value = M.LogOfTinyMultipleGradient(x, out var slope);
            Assert.Equal(M.LogOfTinyMultiple(x), value, 5);
            Assert.True(float.IsFinite(value), $"log(x · 1e-30f) at {x} is {value}");
            Assert.Equal(1 / x, slope, 1e-6f * (1 / x));
            var huge = M.HugeConstantsGradient(x, out var hugeSlope);
            Assert.Equal(M.HugeConstants(x), huge, 1e-6f * Math.Abs(huge));
            Assert.Equal((M.HugeConstants(x * 1.001f) - M.HugeConstants(x * 0.999f)) / (x * 0.002f), hugeSlope, 1e-3f);
        }
        Agrees(M.FloatConstantInDouble, x => (M.FloatConstantInDoubleGradient(x, out var d), d), "x * 0.1f");
        Assert.Equal((double)0.1f, M.FloatConstantInDoubleDerivative(0));
    }

    private static void AgreesOnArray(Func<double[], double> method, Func<double[], double[], double> gradient, double[] at, string name, int checkedPartials = 6)
    {
        var d = new double[at.Length];
        var value = gradient(at, d);
        var direct = method(at);
        Assert.True(Math.Abs(value - direct) <= 1e-12 * (1 + Math.Abs(direct)), $"{name}: value {value}, the method gives {direct}");
        var random = new Random(3);
        foreach (var k in Enumerable.Range(0, checkedPartials).Select(_ => random.Next(at.Length)).Append(at.Length - 1))
        {
            var reference = AgreementTests.Reference(method, at, k) ?? throw new InvalidOperationException("differences did not settle");
            Assert.True(Math.Abs(d[k] - reference) <= 1e-7 * (1 + Math.Abs(reference)), $"{name} ∂/∂x[{k}] = {d[k]}, differences give {reference}");
        }
    }

    private static double[] Data(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
    }

    [Theory]
    [InlineData(7)]
    [InlineData(1000)]
    public void IntegerIndicesInWeights_AndIntLocals_MeanWhatCSharpComputes(int n)
    {
        var x = Data(n, n);
        AgreesOnArray(a => M.IndexQuotientWeights(a), (a, d) => M.IndexQuotientWeightsGradient(a, d), x, "(i / 2) x_i² + (i % 3) x_i");
        AgreesOnArray(a => M.IntLocals(a), (a, d) => M.IntLocalsGradient(a, d), x, "int half = n / 2");
        AgreesOnArray(a => M.IndexProductWeights(a), (a, d) => M.IndexProductWeightsGradient(a, d), x, "i * i * x_i");
        AgreesOnArray(a => M.MaxOrZero(a), (a, d) => M.MaxOrZeroGradient(a, d), x, "max(0, max_i x_i)");
        AgreesOnArray(a => M.PlainAssignmentSums(a), (a, d) => M.PlainAssignmentSumsGradient(a, d), x, "s = s + x_i²");
        AgreesOnArray(a => M.LongerAssignedSums(a), (a, d) => M.LongerAssignedSumsGradient(a, d), x, "s = x_i + s - x_i² + 1");
        AgreesOnArray(a => M.BranchNeedingNoArgmax(a, 0.1), (a, d) => M.BranchNeedingNoArgmaxGradient(a, 0.1, d), x, "if (m > w) { best = max(…) }");
        AgreesOnArray(a => M.GuardedSum(a), (a, d) => M.GuardedSumGradient(a, d), x, "if (n > 2) { for … s += x_i² }");
    }

    [Fact]
    public void Branches_ThatFallThrough_OrOnlyAssignLocals_MeanWhatCSharpComputes()
    {
        Agrees(M.ElseIfChain, x => (M.ElseIfChainGradient(x, out var d), d), "if … else if … return; return");
        Agrees(M.BranchesAssign, x => (M.BranchesAssignGradient(x, out var d), d), "if (x > 0) a = x; else { … }");
    }

    [Fact]
    public void LoopsOverAConstantCount_InMethodsOfScalars_CompileAndAgree()
    {
        Agrees(x => M.ConstantCountLoops(x, 0.7), x => (M.ConstantCountLoopsGradient(x, 0.7, out var dx, out _), dx), "constant-count loops (x)");
        Agrees(y => M.ConstantCountLoops(1.3, y), y => (M.ConstantCountLoopsGradient(1.3, y, out _, out var dy), dy), "constant-count loops (y)");
        Agrees(x => M.ConstantCountLoops(x, 0.7), x => (M.ConstantCountLoops(x, 0.7), M.ConstantCountLoopsPartial_x(x, 0.7)), "∂/∂x member");
        // Second order: the Hessian's entries against differences of the generated first partials.
        var h = new double[4];
        foreach (var (x, y) in new[] { (0.4, -0.3), (-1.2, 0.8) })
        {
            M.ConstantCountLoopsSecondOrderHessian(x, y, h);
            const double e = 1e-5;
            var dxx = (M.ConstantCountLoopsSecondOrderPartial_x(x + e, y) - M.ConstantCountLoopsSecondOrderPartial_x(x - e, y)) / (2 * e);
            var dxy = (M.ConstantCountLoopsSecondOrderPartial_x(x, y + e) - M.ConstantCountLoopsSecondOrderPartial_x(x, y - e)) / (2 * e);
            Assert.Equal(dxx, h[0], 5);
            Assert.Equal(dxy, h[1], 5);
            Assert.Equal(h[1], h[2]);
        }
        foreach (var x in new[] { 0.3f, -2f })
            Assert.Equal(M.ConstantCountLoopFloat(x), M.ConstantCountLoopFloatGradient(x, out _), 5);
    }

    [Fact]
    public void LogarithmsToABase_AreDotNetsMathLog()
    {
        Agrees(x => M.LogToABase(x, 3.5), x => (M.LogToABaseGradient(x, 3.5, out var dx, out _), dx), "Math.Log(x² + 1, b)");
        Agrees(b => M.LogToABase(0.7, b + 4), b => (M.LogToABaseGradient(0.7, b + 4, out _, out var db), db), "∂/∂b");
        Assert.True(double.IsNaN(M.LogToABase(0.7, 1)));
        Assert.True(double.IsNaN(M.LogToABaseGradient(0.7, 1, out _, out _)));
    }

    [Fact]
    public void FloatsComparedWithDoubleConstants_TakeTheBranchCSharpTakes()
    {
        // At 0.1f (0.10000000149…) C# finds x > 0.1 true; at the float just below 0.1, false; 0.3f (0.30000001192…) is not ≤ 0.3.
        var below = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(0.1f) - 1);
        foreach (var x in new[] { 0.1f, below, 0.3f, 0.29999998f, -0.7f, -0.70000005f, 2f, -2f, 0f })
        {
            var value = M.ComparedWithDoublesGradient(x, out _);
            Assert.Equal(M.ComparedWithDoubles(x), value);
        }
    }

    [Fact]
    public void IntConstants_EnterFloatArithmetic_AsCSharpRoundsThem()
    {
        // x * 16777217 − x * 16777216 + x: C# converts 16777217 to 16777216f, so the method is x.
        foreach (var x in new[] { 0.5f, -3f, 1e-3f })
        {
            var value = M.RoundedIntConstantGradient(x, out var slope);
            Assert.Equal(M.RoundedIntConstant(x), value);
            Assert.Equal(1f, slope);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(50_000)]
    [InlineData(1_000_000)]
    public void MeansOverLengths_DivideAsDoubles_AndNeverOverflow(int n)
    {
        var p = Data(n, 1);
        var t = Data(n, 2);
        AgreesOnArray(a => M.MeanAbsoluteError(a, t), (a, d) => M.MeanAbsoluteErrorGradient(a, t, d), p, "Σ|p − t| / p.Length");
        AgreesOnArray(a => M.MeanAbsoluteErrorCast(a, t), (a, d) => M.MeanAbsoluteErrorCastGradient(a, t, d), p, "Σ|p − t| / (double)p.Length");
        // A variance over more elements than 46 340 (whose square overflows an int).
        AgreesOnArray(a => M.Variance(a), (a, d) => M.VarianceGradient(a, d), p, "variance");
        var dp = new double[n];
        M.MeanAbsoluteErrorGradient(p, t, dp);
        Assert.All(dp, (g, i) => Assert.Equal(Math.Sign(p[i] - t[i]) / (double)n, g));
    }

    [Fact]
    public void IntSquaresOfIndices_WrapAsCSharpWraps()
    {
        // i * i is an int in C#: past 46 340 it wraps, and the generated gradient computes the same (wrapped) weights.
        var x = Data(50_000, 4);
        var d = new double[x.Length];
        M.IndexProductWeightsGradient(x, d);
        Assert.Equal((double)unchecked(46_341 * 46_341), d[46_341]);
        Assert.True(d[46_341] < 0);
    }

    [Fact]
    public void ConstantsFarFromOne_MultiplyInCSharpsOrder()
    {
        // C# computes (x · 1e30f) · 1e30f: finite for x ≤ 1e-30, and 0 at 0 (x · ∞ would be NaN there).
        foreach (var x in new[] { 0f, 1e-40f, 1e-31f })
        {
            Assert.Equal(M.FloatBig(x), M.FloatBigGradient(x, out _));
            Assert.True(float.IsFinite(M.FloatBigGradient(x, out _)));
        }
        // x · ε · 1e300 is 0 for small x in C# (x · ε underflows first); x · 1e-200 · 1e-200 · 1e300 is x · 1e-100, not 0.
        foreach (var x in new[] { 0.0, 0.3, 1.5, 1e100, 1e200 })
            Assert.Equal(M.TinyThenLarge(x), M.TinyThenLargeGradient(x, out _));
        Assert.True(M.TinyThenLargeDerivative(1.0) > 0);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(300, 400)]
    public void TheLengthsOfATwoDimensionalArray_AreConvertedAsCSharpConvertsThem(int rows, int columns)
    {
        var r = new Random(rows);
        var a = new double[rows, columns];
        for (var i = 0; i < rows; i++) for (var j = 0; j < columns; j++) a[i, j] = r.NextDouble() * 2 - 1;
        var d = new double[rows, columns];
        var direct = M.MatrixMean(a);
        Assert.Equal(direct, M.MatrixMeanGradient(a, d), 1e-12 * Math.Abs(direct));
        // f = c · Σ a² with c = columns · (2 / (rows · columns) + 1 / (columns / 2 + 1)): ∂f/∂a_ij = 2 c a_ij.
        var c = columns * (2.0 / (rows * columns) + 1.0 / (columns / 2 + 1));
        for (var i = 0; i < rows; i += Math.Max(1, rows / 7))
            for (var j = 0; j < columns; j += Math.Max(1, columns / 7))
                Assert.Equal(2 * c * a[i, j], d[i, j], 1e-9);
    }

    [Fact]
    public void ADataSpanNamedLikeAGradient_DoesNotCollideWithTheOutputs()
    {
        var x = Data(50, 7);
        var dx = Data(50, 8);
        var gx = new double[50];
        var gdx = new double[50];
        Assert.Equal(M.SpanNamedDx(x, dx), M.SpanNamedDxGradient(x, dx, gx, gdx), 12);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(dx[i], gx[i], 12);
            Assert.Equal(x[i] + 2 * dx[i], gdx[i], 12);
        }
    }

    [Theory]
    [InlineData("x * ((float)i / 3)", "(float)i")]
    [InlineData("x * (float)(i / 2)", "(float)(i / 2)")]
    public void AnIntRoundedToFloatInADoubleMethod_IsRefused(string term, string at)
    {
        var source = "using System;\nusing SymGrad;\npublic static partial class M\n{\n    [Differentiable]\n    public static double F(ReadOnlySpan<double> v, double x)\n    {\n" +
                     "        double s = 0;\n        for (var i = 0; i < v.Length; i++) s += " + term + ";\n        return s;\n    }\n}\n";
        var result = GeneratorHarness.Run(source);
        var d = Assert.Single(result.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(at, result.SpanText(d));
        Assert.Contains("to float inside a double method", d.GetMessage());
    }

    [Fact]
    public void AnIntOverloadOfMathAbs_IsRefused_WithoutANonDifferentiableWarningBesideIt()
    {
        var source = "using System;\nusing SymGrad;\npublic static partial class M\n{\n    [Differentiable]\n    public static double F(ReadOnlySpan<double> v)\n    {\n" +
                     "        double s = 0;\n        for (var i = 0; i < v.Length; i++) s += v[i] * Math.Abs(i - 5);\n        return s;\n    }\n}\n";
        var result = GeneratorHarness.Run(source);
        var d = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal("Math.Abs(i - 5)", result.SpanText(d));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 4)]
    [InlineData(40, 30)]
    public void IndexWeightedNestedSums_MatchTheMethods(int rows, int cols)
    {
        var r = new Random(rows * 31 + cols);
        var w1 = Data(rows, rows + 1);
        var x = Data(cols, cols + 2);
        var g1 = new double[rows];
        var gx = new double[cols];
        Assert.Equal(M.LinearInnerSum(w1, x), M.LinearInnerSumGradient(w1, x, g1, gx), 1e-10);
        // ∂/∂w_i = (n − i) Σ_j x_j; ∂/∂x_j = Σ_i w_i (n − i).
        for (var i = 0; i < rows; i++) Assert.Equal((rows - i) * x.Sum(), g1[i], 1e-10);
        for (var j = 0; j < cols; j++) Assert.Equal(Enumerable.Range(0, rows).Sum(i => w1[i] * (rows - i)), gx[j], 1e-10);

        var w = new double[rows, cols];
        for (var i = 0; i < rows; i++) for (var j = 0; j < cols; j++) w[i, j] = r.NextDouble() * 2 - 1;
        var y = Data(rows, 5);
        var dw = new double[rows, cols];
        var dx = new double[cols];
        var value = M.RowWeightedLossGradient(w, x, y, dw, dx);
        Assert.Equal(M.RowWeightedLoss(w, x, y), value, 1e-12 * (1 + Math.Abs(value)));
        for (var j = 0; j < cols; j += Math.Max(1, cols / 5))
        {
            var reference = AgreementTests.Reference(a => { var xs = (double[])x.Clone(); xs[j] = a[0]; return M.RowWeightedLoss(w, xs, y); }, new[] { x[j] }, 0)!.Value;
            Assert.True(Math.Abs(dx[j] - reference) <= 1e-8 * (1 + Math.Abs(reference)), $"∂/∂x[{j}] = {dx[j]}, differences {reference}");
            var i = j % rows;
            var rw = AgreementTests.Reference(a => { var ws = (double[,])w.Clone(); ws[i, j] = a[0]; return M.RowWeightedLoss(ws, x, y); }, new[] { w[i, j] }, 0)!.Value;
            Assert.True(Math.Abs(dw[i, j] - rw) <= 1e-8 * (1 + Math.Abs(rw)), $"∂/∂w[{i},{j}] = {dw[i, j]}, differences {rw}");
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(100_000)]
    public void TheSourcesIntSquare_AndTheEnginesLengthSquared_StayApart(int n)
    {
        var v = new double[n];
        var value = M.IntSquareBesideLengthSquaredGradient(1.25, -0.5, v, out var dx, out var dy);
        Assert.Equal(M.IntSquareBesideLengthSquared(1.25, -0.5, v), value, 1e-9 * (1 + Math.Abs(value)));
        // ∂/∂x = 4.5 Σ_i i / n² = 4.5 (n − 1) / (2n); ∂/∂y = (n·n mod 7, in wrapping int arithmetic) / n.
        Assert.Equal(4.5 * (n - 1) / (2.0 * n), dx, 1e-12);
        Assert.Equal(unchecked(n * n) % 7 / (double)n, dy, 1e-15);
    }

    [Fact]
    public void AFloatingPointLoopBound_IsRefused_WithADiagnosticOnTheBound()
    {
        var result = GeneratorHarness.Run("""
            using SymGrad;
            public static partial class M
            {
                [Differentiable]
                public static double Repeat(double x)
                {
                    var n = 2.5;
                    var s = 0.0;
                    for (var i = 0; i < n; i++) s += x * x;
                    return s;
                }
            }
            """);
        var d = Assert.Single(result.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Equal("n", result.SpanText(d));
        Assert.Contains("must be an int expression", d.GetMessage());
    }

    [Theory]
    [InlineData("float", "MathF.Log(x * 1e-30f)")]
    [InlineData("float", "x * 1e30f * 1e-30f")]
    [InlineData("float", "x * float.MaxValue / float.MaxValue")]
    [InlineData("double", "x * 1e-300 * 1e300")]
    public void ConstantsAtTheRangeLimits_GiveNoDiagnostic(string type, string body)
    {
        // Once a decimal overflow (SG0013) or a false "identically zero" warning (SG0008).
        var result = GeneratorHarness.Run($"using System;\nusing SymGrad;\npublic static partial class M\n{{\n    [Differentiable] public static {type} F({type} x) => {body};\n}}\n");
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileDiagnostics);
    }
}
