using System;
using SymGrad;

namespace SymGrad.Generators.Tests;

/// <summary>Hyperparameters read at run time: static fields (issue 15).</summary>
public static class Hyper
{
    public static readonly double Slope = 0.01;
    public static int Terms = 4;
    public static float Scale = 2f;
}

/// <summary>switch expressions, relational patterns, &amp;&amp; / || / ! conditions and static fields (issue 15).</summary>
public static partial class PatternsModel
{
    private static readonly double acc0 = 1.5;   // a field named like a generated local: read by its qualified name

    [Differentiable] public static double Switch(double x) => x switch { < -1 => -1, > 1 and < 2 => x * x, >= 2 => 4, _ => x };
    [Differentiable] public static double And(double x, double y) => x > 0 && y > 0 ? x * y : x + y;
    [Differentiable] public static double OrNot(double x, double y) { if (x is > 0 and < 1 || !(y < 2)) return x * y; return y; }
    [Differentiable] public static double ByLabel(double x, int label) => label switch { 0 => x, 1 or 2 => 2 * x, _ when x > 3 => 0, _ => x * x };
    [Differentiable] public static double NotPattern(double x) => x is not (>= 0 and <= 1) ? Math.Sin(x) : x;
    [Differentiable] public static double Leaky(double x) => x > 0 ? x : Hyper.Slope * x + acc0 * x * x;
    [Differentiable] public static double Series(double x) { var s = 0.0; for (var i = 0; i < Hyper.Terms; i++) s += Math.Pow(x, i) * acc0; return s; }
    [Differentiable] public static float Scaled(float x) => Hyper.Scale * x * x;
}
