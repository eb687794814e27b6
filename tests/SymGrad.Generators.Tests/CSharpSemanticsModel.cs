using System;
using SymGrad;

namespace SymGrad.Generators.Tests;

/// <summary>
/// Ordinary C# whose meaning depends on C#'s own rules (integer division, constant folding, conversions, int
/// overflow, binary32 constants): each method once gave a silently wrong value or derivative. Generated at build
/// time; CSharpSemanticsTests checks each generated member against the method itself.
/// </summary>
public static partial class CSharpSemanticsModel
{
    private const int N = 4;
    private const int K = 5;
    private const double Q = 1 / 4;          // 0 in C#: int division, then converted
    private const float Tiny = 1e-30f;
    private const float Huge = 1e30f;

    [Differentiable] public static double HalfTimesXPlusSquare(double x) => 1 / 2 * x + x * x;          // 1 / 2 is 0
    [Differentiable] public static double IntMinValue(double x) => -2147483648 * x + (-2147483648 / 2) * x * x; // int.MinValue, not a uint
    [Differentiable] public static double SevenHalvesTimesX(double x) => 7 / 2 * x;                        // 3x
    [Differentiable] public static double OneOverConstN(double x) => 1 / N * x + x * x;                    // 0·x + x²
    [Differentiable] public static double CastOfIntQuotient(double x) => (double)(K / 2) * x;              // 2x
    [Differentiable] public static double ConstDoubleFromInts(double x) => Q * x + x * x;                  // Q = 0
    [Differentiable] public static double Remainder(double x) => 7 % 3 * x + -7 % 3 * x * x;              // x − x²
    [Differentiable] public static double DoubleQuotientOfInts(double x) => 1.0 / 2 * x + x / 4;          // 0.75x
    [Differentiable] public static double IntCasts(double x) => (int)2.9 * x + (int)-2.9 * x * x;         // 2x − 2x²
    [Differentiable] public static double LaterConstantsAfterAnExtremeOne(double x) => 1e308 * x * 10 / 10;   // ∞ for |x| > 0.018, as C# computes it
    [Differentiable] public static double ShiftedConstants(double x) => (1L << 40) * x + (5 >> 1 | 4) * x * x + unchecked(int.MaxValue + 2) * x; // 2⁴⁰x + 6x² − (2³¹ − 1)x
    [Differentiable] public static double CheckedDouble(double x) => checked(x * 2.0 + (3 * 4));             // no int data: as written

    /// <summary>An else-if chain whose last branch falls through to the return after it.</summary>
    [Differentiable]
    public static double ElseIfChain(double x)
    {
        if (x < 0) return -x * x;
        else if (x < 1) return x;
        return Math.Sqrt(x);
    }

    /// <summary>Branches that only assign locals (no return inside): after the if, each local is one branch's value or the other's.</summary>
    [Differentiable]
    public static double BranchesAssign(double x)
    {
        var a = 0.0;
        var b = x;
        if (x > 0) a = x;
        else
        {
            var t = 3 * x;
            a = -t;
            b = t * t;
        }
        if (a > 1) b += a;
        return a * a + b;
    }

    /// <summary>A loop inside a branch without return, then code after it.</summary>
    [Differentiable]
    public static double GuardedSum(ReadOnlySpan<double> x)
    {
        var s = 1.0;
        if (x.Length > 2)
        {
            for (var i = 0; i < x.Length; i++) s += x[i] * x[i];
        }
        return Math.Log(s);
    }

    /// <summary>Sums written s = s + term and s = s - term.</summary>
    [Differentiable]
    public static double PlainAssignmentSums(ReadOnlySpan<double> x)
    {
        var s = 0.0;
        var t = 1.0;
        for (var i = 0; i < x.Length; i++)
        {
            s = s + x[i] * x[i];
            t = (0.5 * x[i]) + t;
            s = s - x[i] / 3;
        }
        return s * t;
    }

    /// <summary>Loops over a constant count in methods of scalars (first and second order).</summary>
    [Differentiable]
    public static double ConstantCountLoops(double x, double y)
    {
        var s = 0.0;
        for (var i = 0; i < 3; i++) s += x * i + Math.Sin(x * i);
        for (var j = 0; j < 10; j++) s += Math.Exp(0.1 * j * y) * x;
        if (x > 0)
        {
            for (var k = 0; k < 12; k++) s += y * k;
        }
        return s;
    }

    [Differentiable(Order = 2)]
    public static double ConstantCountLoopsSecondOrder(double x, double y)
    {
        var s = 0.0;
        for (var j = 0; j < 7; j++) s += Math.Exp(0.1 * j * y) * x * x;
        return s;
    }

    [Differentiable] public static float ConstantCountLoopFloat(float x) { var s = 0f; for (var i = 0; i < 9; i++) s += MathF.Cos(x * i); return s; }

    /// <summary>Math.Log(a, newBase) as .NET computes it: NaN at newBase = 1.</summary>
    [Differentiable] public static double LogToABase(double x, double b) => Math.Log(x * x + 1, b) + Math.Log(x + 3, 2);

    /// <summary>A float compared with double constants: C# compares in double.</summary>
    [Differentiable] public static float ComparedWithDoubles(float x) => x > 0.1 ? (0.3 >= x ? x * 2 : x * 5) : x <= -0.7 ? x * 3 : x * x;

    /// <summary>Longer sums written with plain assignment.</summary>
    [Differentiable]
    public static double LongerAssignedSums(ReadOnlySpan<double> x)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++) s = x[i] + s - x[i] * x[i] + 1;
        return s * s;
    }

    /// <summary>A running max whose argmax only a branch needs, and a branch that does not need it.</summary>
    [Differentiable]
    public static double BranchNeedingNoArgmax(ReadOnlySpan<double> x, [NoDiff] double w)
    {
        var m = 0.0;
        for (var i = 0; i < x.Length; i++) m += x[i];
        if (m > w)
        {
            var best = 0.0;
            for (var i = 0; i < x.Length; i++) best = Math.Max(best, x[i] - m);
            return best;
        }
        return m * w;
    }

    /// <summary>A running max that starts at 0, not −∞: max(0, maxᵢ xᵢ).</summary>
    [Differentiable]
    public static double MaxOrZero(ReadOnlySpan<double> x)
    {
        var best = 0.0;
        for (var i = 0; i < x.Length; i++) best = Math.Max(best, x[i]);
        return best;
    }

    /// <summary>An int constant converted to float as C# converts it: 16777217 is 16777216f, so this is x.</summary>
    [Differentiable] public static float RoundedIntConstant(float x) => x * 16777217 - x * 16777216 + x;

    /// <summary>An integer loop index in a weight: (i / 2) is 0, 0, 1, 1, 2, …</summary>
    [Differentiable]
    public static double IndexQuotientWeights(ReadOnlySpan<double> x)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++) s += (i / 2) * x[i] * x[i] + (i % 3) * x[i];
        return s;
    }

    /// <summary>The mean absolute error over spans: Σ|p − t| / n, with n an int converted by C#.</summary>
    [Differentiable(nameof(p))]
    public static double MeanAbsoluteError(ReadOnlySpan<double> p, ReadOnlySpan<double> t)
    {
        var sum = 0.0;
        for (var i = 0; i < p.Length; i++) sum += Math.Abs(p[i] - t[i]);
        return sum / p.Length;
    }

    /// <summary>The same with the conversion written out.</summary>
    [Differentiable(nameof(p))]
    public static double MeanAbsoluteErrorCast(ReadOnlySpan<double> p, ReadOnlySpan<double> t)
    {
        var sum = 0.0;
        for (var i = 0; i < p.Length; i++) sum += Math.Abs(p[i] - t[i]);
        return sum / (double)p.Length;
    }

    /// <summary>A variance: its gradient once computed x.Length * x.Length as an int, which overflows above 46 340.</summary>
    [Differentiable]
    public static double Variance(ReadOnlySpan<double> x)
    {
        var sum = 0.0;
        var sumSq = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            sum += x[i];
            sumSq += x[i] * x[i];
        }
        var mean = sum / x.Length;
        return sumSq / x.Length - mean * mean;
    }

    /// <summary>Int locals: a half-length, an int quotient assigned and reassigned.</summary>
    [Differentiable]
    public static double IntLocals(ReadOnlySpan<double> x)
    {
        int half = x.Length / 2;
        var third = x.Length / 3;
        third /= 2;
        double s = 0;
        for (var i = 0; i < half; i++) s += x[i] * third;
        return s / half;
    }

    /// <summary>A product of two ints in a weight: C# computes i * i as an int (and wraps above 46 340).</summary>
    [Differentiable]
    public static double IndexProductWeights(ReadOnlySpan<double> x)
    {
        var s = 0.0;
        for (var i = 0; i < x.Length; i++) s += i * i * x[i];
        return s;
    }

    /// <summary>Tiny and huge float constants: the binary32 values, not decimals (1e-30f once became 0).</summary>
    [Differentiable] public static float LogOfTinyMultiple(float x) => MathF.Log(x * Tiny);
    [Differentiable] public static float HugeConstants(float x) => x * Huge * 1e-30f + MathF.Min(x, float.MaxValue) * 2f;

    /// <summary>A float constant in double arithmetic is its binary32 value (0.1f is 0.100000001490116…).</summary>
    [Differentiable] public static double FloatConstantInDouble(double x) => x * 0.1f + x * x * Tiny * 1e30;

    /// <summary>Constants far from 1 multiply in C#'s order: (x · 1e30f) · 1e30f, not x · ∞.</summary>
    [Differentiable] public static float FloatBig(float x) => x * Huge * Huge;
    [Differentiable] public static double TinyThenLarge(double x) => x * double.Epsilon * 1e300 + x * 1e-200 * 1e-200 * 1e300;

    /// <summary>Lengths of a two-dimensional array, converted: a mean over rows and columns.</summary>
    [Differentiable]
    public static double MatrixMean(double[,] a)
    {
        double s = 0;
        for (var i = 0; i < a.GetLength(0); i++)
            for (var j = 0; j < a.GetLength(1); j++)
                s += a[i, j] * a[i, j] * (double)a.GetLength(1);
        int rows = a.GetLength(0);
        return s / a.GetLength(0) / a.GetLength(1) + s / (rows * a.GetLength(1)) + s / (a.GetLength(1) / 2 + 1);
    }

    /// <summary>A data span named like the gradient of another: the outputs are dx_ and ddx.</summary>
    [Differentiable]
    public static double SpanNamedDx(ReadOnlySpan<double> x, ReadOnlySpan<double> dx)
    {
        double s = 0;
        for (var i = 0; i < x.Length; i++) s += x[i] * dx[i] + dx[i] * dx[i];
        return s;
    }

    /// <summary>Index-weighted nested sums (from a user trial: SG0013 on each).</summary>
    [Differentiable]
    public static double LinearInnerSum(ReadOnlySpan<double> w, ReadOnlySpan<double> x)
    {
        var loss = 0.0;
        for (var i = 0; i < w.Length; i++)
        {
            var pred = 0.0;
            for (var j = 0; j < x.Length; j++) pred += w[i] * x[j];
            loss += pred * (w.Length - i);
        }
        return loss;
    }

    [Differentiable]
    public static double RowWeightedLoss(double[,] w, ReadOnlySpan<double> x, [NoDiff] ReadOnlySpan<double> y)
    {
        var loss = 0.0;
        int rows = w.GetLength(0);
        int cols = w.GetLength(1);
        for (var i = 0; i < rows; i++)
        {
            var pred = 0.0;
            for (var j = 0; j < cols; j++) pred += w[i, j] * x[j] * (j + 1) / cols;
            var e = pred - y[i];
            loss += e * e * (rows - i) / (rows * cols);
        }
        return loss;
    }

    /// <summary>The source's int n * n (wraps) beside the engine's n² from dividing by n twice: never one local.</summary>
    [Differentiable(nameof(x), nameof(y))]
    public static double IntSquareBesideLengthSquared(double x, double y, ReadOnlySpan<double> v)
    {
        double s = v.Length * v.Length % 7 * y;
        for (var i = 0; i < v.Length; i++) s += 4.5 * (x * i / v.Length);
        return s / v.Length;
    }

    /// <summary>Math.Sign is an int: Math.Sign(x) / 2 is an int quotient.</summary>
    [Differentiable] public static double SignAsInt(double x) => Math.Sign(x) / 2 * x + Math.Sign(x) * x;
}
