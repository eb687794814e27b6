using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using SymGrad.Generators;
using SymGrad.Symbolic;
using SymGrad.Tests.Shared;
using static SymGrad.Symbolic.Tests.TestExpressions;

namespace SymGrad.Symbolic.Tests;

/// <summary>Properties over random expressions (CsCheck): gradients, simplification, printing.</summary>
public class GradientPropertyTests
{
    private static readonly Expr[] Xyz = { X, Y, Z };

    [Fact]
    public void EveryPartial_AgreesWithCentralDifferences_WhereSmooth()
    {
        var judged = 0;
        var unjudged = 0;
        Gen.Select(Smooth(4), Points).Sample((f, p) =>
        {
            var at = Point(Names, p);
            var value = Eval(f, at);
            if (!double.IsFinite(value) || Math.Abs(value) > 1e6) return true;
            var g = Differentiator.Gradient(f, Xyz);
            for (var i = 0; i < 3; i++)
            {
                var analytic = Eval(g.Partials[i], at);
                var numeric = CentralDifference(f, at, Names[i]);
                System.Threading.Interlocked.Increment(ref double.IsNaN(numeric) ? ref unjudged : ref judged);
                if (!Agree(analytic, numeric, Math.Abs(value)))
                    throw new Exception($"d/d{Names[i]} of {f} at ({string.Join(", ", p)}): symbolic {analytic}, finite difference {numeric}; partial {g.Partials[i]}");
            }
            return true;
        }, iter: 400);
        // Differences are too unstable to judge only at rare, very steep points.
        Assert.True(unjudged * 20 < judged, $"{unjudged} of {judged + unjudged} partials could not be judged by finite differences");
    }

    [Fact]
    public void Gradient_AgreesWithForwardMode()
    {
        Gen.Select(Any(3), Points, Points).Sample((f, p, v) =>
        {
            var at = Point(Names, p);
            var g = Differentiator.Gradient(f, Xyz);
            var direction = new Dictionary<Expr, Expr> { [X] = Expr.Const(v[0]), [Y] = Expr.Const(v[1]), [Z] = Expr.Const(v[2]) };
            var forward = Eval(Differentiator.Directional(f, direction), at);
            var reverse = Enumerable.Range(0, 3).Sum(i => Eval(g.Partials[i], at) * Eval(direction[Xyz[i]], at));
            if (!double.IsFinite(forward) && !double.IsFinite(reverse)) return true;
            return Math.Abs(forward - reverse) <= 1e-9 * (1 + Math.Abs(forward));
        }, iter: 300);
    }

    [Fact]
    public void Simplification_PreservesValue()
    {
        var judged = 0;
        var unjudged = 0;
        Gen.Select(Any(4), Points).Sample((f, p) =>
        {
            var at = Point(Names, p);
            var before = Eval(f, at);
            var after = Eval(new Simplifier().Simplify(f), at);
            if (!double.IsFinite(before)) return true;
            // At a jump (sign(u), u > v) whose argument is within rounding of it, rounding picks the side (an algebraic
            // zero such as 3σx − 3(σ/3 + σx) + σ evaluates to ±1e-17, simplified to exactly 0): no rewriting can
            // preserve that, so such points are not judged (seed 7-ow2s9VC6e1). Exactly 0 too: sign(σ(z) + (z − 1)σ(z)) at
            // z = 2e-43 is sign(0.5 − 0.5) = 0 as written and sign(zσ(z)) = 1 simplified (seed aYECIIjPe5q1).
            var atJump = Graph.PostOrder(f).Any(n =>
                (n.Kind == ExprKind.Sign || n.IsComparison) &&
                Math.Abs(Eval(n.Kind == ExprKind.Sign ? n.Args[0] : n.Args[0] - n.Args[1], at)) <= 1e-12);
            if (atJump)
            {
                System.Threading.Interlocked.Increment(ref unjudged);
                return true;
            }
            System.Threading.Interlocked.Increment(ref judged);
            return Math.Abs(before - after) <= 1e-9 * (1 + Math.Abs(before));
        }, iter: 500);
        // Algebraic zeros under a sign or comparison are common in random expressions (about one in fifteen on average, but
        // one draw of 500 in CI had one in five: the draws are unseeded and the expressions' sizes vary). The check is that
        // most points are judged, so that the property is tested at all.
        Assert.True(unjudged * 2 < judged, $"{unjudged} of {judged + unjudged} points were at a jump");
    }

    [Fact]
    public void AbsoluteValue_OfANegation_IsTheSameNode()
    {
        // |−u| = |u| as one node for every u: exactly one of u and −u counts as leading negative. The case CsCheck
        // found (seed bwITbB-fNYq1): 3y|s| − |s| and |s| − 3y|s| both started, in the sum's order, with a negative term.
        var s = Expr.Abs(Expr.Sqrt(Z * Z + 1));
        var u = 3 * Y * s - s;
        Assert.Same(Expr.Abs(u), Expr.Abs(Expr.Neg(u)));
        Gen.Select(Any(4), Any(3)).Sample((a, b) =>
        {
            foreach (var v in new[] { a, a - b, Expr.Mul(Expr.Const(-2), a) + b })
            {
                var negated = Expr.Neg(v);
                if (negated == v) continue;
                if (!ReferenceEquals(Expr.Abs(v), Expr.Abs(negated))) throw new Exception($"|{v}| is {Expr.Abs(v)}, |{negated}| is {Expr.Abs(negated)}");
                if (Expr.LeadsNegative(v) == Expr.LeadsNegative(negated) && v.Kind is ExprKind.Add or ExprKind.Mul or ExprKind.Const)
                    throw new Exception($"{v} and {negated} both {(Expr.LeadsNegative(v) ? "lead" : "do not lead")} negative");
            }
            return true;
        }, iter: 500);
    }

    [Fact]
    public void PrintingAsCSharp_ThenReparsing_IsTheIdentity()
    {
        Gen.Select(Any(4), Points).Sample((f, p) =>
        {
            var text = CSharpPrinter.Default.Print(f);
            var back = ExpressionFrontEnd.ParseText(text);
            if (!back.Success) throw new Exception($"'{text}' does not parse: {back.Error}");
            if (!Graph.PostOrder(f).Any(n => n.Kind is ExprKind.Sigmoid or ExprKind.Sign))
            {
                if (!ReferenceEquals(back.Value, f)) throw new Exception($"{f} printed as '{text}' reads back as {back.Value}");
                return true;
            }
            // σ has no C# function: it prints as its definition 1/(1 + e^−x), which reads back as that quotient (and sign(u)
            // as u > 0 ? 1 : u < 0 ? −1 : u, which Math.Sign is not for NaN)
            // (and the canonical form around it may differ), so here the text must denote the same function.
            var at = Point(Names, p);
            var expected = Eval(f, at);
            var actual = Eval(back.Value!, at);
            return !double.IsFinite(expected) || Math.Abs(expected - actual) <= 1e-12 * (1 + Math.Abs(expected));
        }, iter: 500);
    }

    [Fact]
    public void Hessian_AgreesWithDifferencesOfTheGradient()
    {
        Gen.Select(Smooth(3), Points).Sample((f, p) =>
        {
            var at = Point(Names, p);
            if (!double.IsFinite(Eval(f, at))) return true;
            var g = Differentiator.Gradient(f, Xyz);
            var h = Differentiator.Hessian(f, Xyz);
            for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
            {
                var analytic = Eval(h[i, j], at);
                var numeric = CentralDifference(g.Partials[i], at, Names[j]);
                if (!Agree(analytic, numeric, Math.Abs(Eval(g.Partials[i], at))))
                    throw new Exception($"H[{i},{j}] of {f}: {analytic} vs {numeric}");
            }
            return true;
        }, iter: 150);
    }

    [Fact]
    public void HessianVectorProduct_EqualsHessianTimesVector()
    {
        var v = new[] { Expr.Var("v0"), Expr.Var("v1"), Expr.Var("v2") };
        Gen.Select(Smooth(3), Points, Points).Sample((f, p, q) =>
        {
            var at = Point(Names.Concat(new[] { "v0", "v1", "v2" }).ToList(), p.Concat(q).ToList());
            var h = Differentiator.Hessian(f, Xyz);
            var hv = Differentiator.HessianVectorProduct(f, Xyz, v);
            for (var i = 0; i < 3; i++)
            {
                var expected = Enumerable.Range(0, 3).Sum(j => Eval(h[i, j], at) * q[j]);
                var actual = Eval(hv[i], at);
                if (!double.IsFinite(expected)) continue;
                if (Math.Abs(expected - actual) > 1e-8 * (1 + Math.Abs(expected))) return false;
            }
            return true;
        }, iter: 150);
    }

    [Fact]
    public void ReverseSweep_CostsOneSweepNotOnePerVariable()
    {
        // f = Σ_i tanh(w_i x) with 200 weights: the gradient graph grows linearly, not quadratically.
        var x = Expr.Var("x");
        var ws = Enumerable.Range(0, 200).Select(i => Expr.Var("w" + i)).ToArray();
        var f = Expr.Add(ws.Select(w => Expr.Tanh(w * x)));
        var g = Differentiator.Gradient(f, ws);
        var program = CsePass.Build(new[] { ("f", f) }.Concat(ws.Select((w, i) => ("d" + w.Name, g.Partials[i]))).ToList());
        var primal = CsePass.Build(new[] { ("f", f) });
        Assert.InRange((double)program.OperationCount / primal.OperationCount, 1.0, 3.0);
    }
}

public class NetworkLossTests
{
    [Fact]
    public void NetworkGradient_AgreesWithFiniteDifferences_AndCostsAtMostThreeTimesThePrimal()
    {
        var network = new NetworkLoss(3, 5);
        var (loss, parameters) = (network.Loss, network.Parameters.ToArray());
        var g = Differentiator.Gradient(loss, parameters);
        var random = new Random(3);
        var at = Graph.Variables(loss).ToDictionary(n => n, n => n == "y" ? 1.0 : random.NextDouble() * 2 - 1);
        for (var i = 0; i < parameters.Length; i++)
            Assert.True(Agree(Eval(g.Partials[i], at), CentralDifference(loss, at, parameters[i].Name!), 1),
                $"d/d{parameters[i].Name}: {Eval(g.Partials[i], at)} vs {CentralDifference(loss, at, parameters[i].Name!)}");

        Assert.InRange((double)network.GradientProgram().OperationCount / network.PrimalProgram().OperationCount, 1.0, 3.0);
        // The output layer's adjoint is the familiar σ(o) − y, not a quotient of exponentials.
        Assert.Contains(g.Partials[^1], Graph.PostOrder(g.Partials[^1]).Where(n => n.Kind == ExprKind.Add));
        Assert.Contains(Graph.PostOrder(g.Partials[^1]), n => n.Kind == ExprKind.Sigmoid);
        Assert.DoesNotContain(Graph.PostOrder(g.Partials[^1]), n => n.Kind == ExprKind.Exp);
    }
}

/// <summary>
/// The gradient program stays within 3× the primal's operations on the shapes that used to grow quadratically, and its
/// values are the method's derivatives (compiled and run against central differences of the primal).
/// </summary>
public class LinearCostTests
{
    private static (Expr F, Expr[] Variables) Product(int n, bool sines)
    {
        var xs = Enumerable.Range(0, n).Select(i => Expr.Var("x" + i)).ToArray();
        return (Expr.Mul(sines ? xs.Select(Expr.Sin) : xs), xs);
    }

    private static double Ratio(Expr f, Expr[] variables) =>
        (double)CsePass.Build(Differentiator.Gradient(f, variables).Outputs()).OperationCount / CsePass.Build(new[] { ("value", f) }).OperationCount;

    [Theory]
    [InlineData(6, false)]
    [InlineData(50, false)]
    [InlineData(2000, false)]
    [InlineData(7, true)]
    [InlineData(2000, true)]
    public void ProductGradient_IsPrefixAndSuffixProducts_WithinThreeTimesThePrimal(int n, bool sines)
    {
        var (f, xs) = Product(n, sines);
        Assert.InRange(Ratio(f, xs), 1.0, 3.0);
    }

    [Fact]
    public void ProductGradient_CompiledAndRun_MatchesFiniteDifferences_AlsoWithAZeroFactor()
    {
        var (f, xs) = Product(9, sines: true);
        var g = Differentiator.Gradient(f, xs);
        var program = CsePass.Build(g.Outputs());
        var method = RoslynCompiler.CompileMethod(CSharpPrinter.Default.PrintMethod(program, "F"), "F");
        var random = new Random(11);
        foreach (var zero in new[] { -1, 0, 4, 8 })
        {
            var at = xs.Select((x, i) => i == zero ? 0.0 : random.NextDouble() * 2 + 0.1).ToArray();
            var args = at.Cast<object?>().Concat(xs.Select(_ => (object?)0.0)).ToArray();
            var value = (double)method.Invoke(null, args)!;
            var point = xs.Select((x, i) => (x.Name!, at[i])).ToDictionary(p => p.Item1, p => p.Item2);
            Assert.Equal(TestExpressions.Eval(f, point), value, 12);
            for (var i = 0; i < xs.Length; i++)
            {
                var partial = (double)args[xs.Length + i]!;
                Assert.True(TestExpressions.Agree(partial, TestExpressions.CentralDifference(f, point, xs[i].Name!), 1),
                    $"zero at {zero}, d/dx{i}: {partial} vs {TestExpressions.CentralDifference(f, point, xs[i].Name!)}");
            }
        }
    }

    [Fact]
    public void ChainThroughLocals_AndLogSumExp_StayLinear()
    {
        // t = sin(t) + 0.001 x, 3 000 times, as the front end builds it from 3 000 statements.
        var x = Expr.Var("x");
        var t = x;
        for (var i = 0; i < 3000; i++) t = Expr.Sin(t) + 0.001 * x;
        Assert.InRange(Ratio(t, new[] { x }), 1.0, 3.0);

        var xs = Enumerable.Range(0, 3000).Select(i => Expr.Var("x" + i)).ToArray();
        var lse = Expr.Log(Expr.Add(xs.Select(Expr.Exp)));
        Assert.InRange(Ratio(lse, xs), 1.0, 2.0);
        // Its max shift is a balanced tree, not a chain 3 000 deep for the printer and the compiler.
        var simplified = Differentiator.Gradient(lse, xs).Function;
        Assert.InRange(simplified.Height, 1, 20);
    }

    [Fact]
    public void WideSquaredError_PartialsShareTheSum()
    {
        // e = Σ c_i w_i − y, f = e²: each ∂f/∂w_i = 2 c_i e reads e, instead of a copy of it with 2 c_i distributed in.
        var ws = Enumerable.Range(0, 2000).Select(i => Expr.Var("w" + i)).ToArray();
        var e = Expr.Add(ws.Select((w, i) => (1.5 + i % 7) * w)) - Expr.Var("y");
        var g = Differentiator.Gradient(e * e, ws);
        Assert.InRange(Graph.Size(g.Partials.ToArray()), 2000, 12000);
        Assert.InRange(Ratio(e * e, ws), 1.0, 3.0);
    }

    [Fact]
    public void DeepNodes_OrderByHeight_AndTheOrderStaysTotal()
    {
        var x = Expr.Var("x");
        var chain = new List<Expr>();
        var t = x;
        for (var i = 0; i < 300; i++)
        {
            t = Expr.Sin(t) + 0.001 * x;
            chain.Add(t);
        }
        var shuffled = chain.OrderBy(_ => Guid.NewGuid()).Concat(new[] { x, Expr.Var("y"), Expr.Exp(x) }).ToList();
        shuffled.Sort(ExprOrder.Instance);
        for (var i = 0; i + 1 < shuffled.Count; i++)
        {
            Assert.True(ExprOrder.Compare(shuffled[i], shuffled[i + 1]) < 0);
            Assert.True(ExprOrder.Compare(shuffled[i + 1], shuffled[i]) > 0);
        }
        // Shallow nodes keep the structural order; deep ones follow, by height.
        var deep = shuffled.Where(n => n.Height > ExprOrder.DeepHeight).ToList();
        Assert.Equal(deep.OrderBy(n => n.Height), deep);
        Assert.True(shuffled.IndexOf(deep[0]) > shuffled.IndexOf(Expr.Var("y")));
    }
}
