using System;
using System.Collections.Generic;
using System.Linq;
using SymGrad.Symbolic;

namespace SymGrad.Symbolic.Tests;

/// <summary>
/// Indexed sums: the article's batch formulas differentiated as one indexed formula (not n scalar graphs), checked
/// against central differences on random data, through the indexed evaluator.
/// </summary>
public class IndexedSumTests
{
    private static readonly Expr I = Expr.Index("i"), J = Expr.Index("j"), K = Expr.Index("k"), K2 = Expr.Index("l");
    private static readonly Expr W = Expr.Var("w"), B = Expr.Var("b");

    private static double[] RandomArray(Random r, int n) => Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();

    private static double Central(Func<double> f, Action<double> set, double at)
    {
        const double h = 1e-6;
        set(at + h);
        var plus = f();
        set(at - h);
        var minus = f();
        set(at);
        return (plus - minus) / (2 * h);
    }

    private static void Close(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-6 * (1 + Math.Abs(expected)), $"{what}: finite difference {expected}, derivative {actual}");

    [Fact]
    public void Mse_OverNSamples_GivesTheArticlesBatchGradient()
    {
        var n = Expr.Length("x");
        var residual = Expr.Element("y", I) - (W * Expr.Element("x", I) + B);
        var loss = Expr.Sum(I, n, Expr.Pow(residual, 2)) / (2 * n);
        var g = Differentiator.Gradient(loss, new[] { W, B });

        // One indexed formula per partial: a single Σ over i, not n terms.
        Assert.Single(Graph.PostOrder(g.Partials[0]), e => e.Kind == ExprKind.Sum);
        var latex = LatexPrinter.PrintPartial("L", W, g.Partials[0]);
        Assert.Contains(@"\sum_{i=0}^{n - 1}", latex);
        Assert.Contains("x_{i}", latex);
        Assert.Contains(@"\frac{1}{n} \sum_{i=0}^{n - 1}", latex);

        var random = new Random(1);
        var arrays = new Dictionary<string, Array> { ["x"] = RandomArray(random, 7), ["y"] = RandomArray(random, 7) };
        var scalars = new Dictionary<string, double> { ["w"] = 0.3, ["b"] = -0.7 };
        foreach (var (v, partial) in new[] { ("w", g.Partials[0]), ("b", g.Partials[1]) })
        {
            var fd = Central(() => Evaluator.Evaluate(loss, scalars, arrays), x => scalars[v] = x, scalars[v]);
            Close(fd, Evaluator.Evaluate(partial, scalars, arrays), v);
        }
        // ∂L/∂w = −(1/n) Σ (y_i − ŷ_i) x_i, evaluated directly.
        var (xs, ys) = ((double[])arrays["x"], (double[])arrays["y"]);
        var article = -xs.Select((x, i) => (ys[i] - (0.3 * x - 0.7)) * x).Average();
        Close(article, Evaluator.Evaluate(g.Partials[0], scalars, arrays), "article's formula");
    }

    [Fact]
    public void L2AndL1_OverAWeightVector_AreTwoWAndSign()
    {
        var wk = Expr.Element("W", K);
        var l2 = Expr.Sum(I, Expr.Length("W"), Expr.Pow(Expr.Element("W", I), 2));
        Assert.Same(2 * wk, Differentiator.Gradient(l2, new[] { wk }).Partials[0]);
        var l1 = Expr.Sum(I, Expr.Length("W"), Expr.Abs(Expr.Element("W", I)));
        Assert.Same(Expr.Sign(wk), Differentiator.Gradient(l1, new[] { wk }).Partials[0]);
        Assert.Equal(@"\frac{\partial \Omega}{\partial W_{k}} = 2 W_{k}", LatexPrinter.PrintPartial(@"\Omega", wk, 2 * wk));
    }

    [Fact]
    public void SoftmaxCrossEntropy_GradientIsSoftmaxMinusTarget()
    {
        var n = Expr.Length("z");
        var zk = Expr.Element("z", K);
        var loss = Expr.Log(Expr.Sum(J, n, Expr.Exp(Expr.Element("z", J)))) - Expr.Sum(J, n, Expr.Element("y", J) * Expr.Element("z", J));
        var g = Differentiator.Gradient(loss, new[] { zk }).Partials[0];
        var random = new Random(2);
        var z = RandomArray(random, 5);
        var y = new double[] { 0, 0.25, 0, 0.75, 0 };
        var arrays = new Dictionary<string, Array> { ["z"] = z, ["y"] = y };
        var sum = z.Sum(Math.Exp);
        for (var k = 0; k < 5; k++)
        {
            var at = new Dictionary<string, int> { ["k"] = k };
            Close(Math.Exp(z[k]) / sum - y[k], Evaluator.Evaluate(g, new Dictionary<string, double>(), arrays, at), $"∂L/∂z_{k}");
        }
        // −y_k appears bare: the delta picked the one term of Σ y_j z_j that touches z_k.
        Assert.Contains(Expr.Element("y", K), Graph.PostOrder(g));
    }

    [Fact]
    public void LogSumExp_IsShiftedByTheLargestLogit_FiniteAtExtremes()
    {
        // log Σ e^{z_j} − Σ y_j z_j as written; the engine computes m + log Σ e^{z_j − m}, m = max_j z_j.
        var n = Expr.Length("z");
        var loss = Expr.Log(Expr.Sum(J, n, Expr.Exp(Expr.Element("z", J)))) - Expr.Sum(J, n, Expr.Element("y", J) * Expr.Element("z", J));
        var gradient = Differentiator.Gradient(loss, new[] { Expr.Element("z", K) });
        Assert.Contains(Graph.PostOrder(gradient.Function), e => e.Kind == ExprKind.MaxOver);
        var y = new double[] { 0, 0.25, 0, 0.75 };
        foreach (var z in new[] { new[] { 1000.0, -1000, 999, 0 }, new[] { -1000.0, -1001, -999.5, -1000 }, new[] { 1e-300, 0, -1e-300, 0 }, new[] { 3.0, 1, -2, 0.5 } })
        {
            var arrays = new Dictionary<string, Array> { ["z"] = z, ["y"] = y };
            var m = z.Max();
            var logSum = m + Math.Log(z.Sum(v => Math.Exp(v - m)));
            var value = Evaluator.Evaluate(gradient.Function, new Dictionary<string, double>(), arrays, new Dictionary<string, int>());
            Assert.True(double.IsFinite(value), $"loss at ({string.Join(", ", z)}): {value}");
            Close(logSum - z.Zip(y, (a, b) => a * b).Sum(), value, "loss");
            for (var k = 0; k < z.Length; k++)
            {
                var g = Evaluator.Evaluate(gradient.Partials[0], new Dictionary<string, double>(), arrays, new Dictionary<string, int> { ["k"] = k });
                Close(Math.Exp(z[k] - logSum) - y[k], g, $"∂L/∂z_{k} at ({string.Join(", ", z)})");
            }
        }
        // A sum of exponentials in scalars too: log(e^a + e^b) at a = 1000 is 1000 + log(1 + e^{b − 1000}).
        Expr a = Expr.Var("a"), b = Expr.Var("b");
        var scalar = Differentiator.Gradient(Expr.Log(Expr.Exp(a) + Expr.Exp(b)), new[] { a, b });
        var at = new Dictionary<string, double> { ["a"] = 1000, ["b"] = 999 };
        Close(1000 + Math.Log(1 + Math.Exp(-1)), Evaluator.Evaluate(scalar.Function, at), "log(e^a + e^b)");
        Close(1 / (1 + Math.Exp(-1)), Evaluator.Evaluate(scalar.Partials[0], at), "∂/∂a");
        // An already shifted sum is left as it is (no second shift).
        var shifted = Differentiator.Gradient(gradient.Function, new[] { Expr.Element("z", K) }).Function;
        Assert.Equal(1, Graph.PostOrder(shifted).Count(e => e.Kind == ExprKind.MaxOver));
    }

    [Fact]
    public void DenseLayer_DeltaRule()
    {
        // L = Σ_j c_j tanh(z_j), z_j = Σ_i W_ji a_i + b_j: ∂L/∂W_kl = δ_k a_l with δ_k = c_k (1 − tanh² z_k).
        var z = Expr.Sum(I, Expr.Length("a"), Expr.Element("W", J, I) * Expr.Element("a", I)) + Expr.Element("b", J);
        var loss = Expr.Sum(J, Expr.Length("b"), Expr.Element("c", J) * Expr.Tanh(z));
        var wkl = Expr.Element("W", K, K2);
        var bk = Expr.Element("b", K);
        var ak = Expr.Element("a", K);
        var g = Differentiator.Gradient(loss, new[] { wkl, bk, ak });
        var random = new Random(3);
        var weights = new double[3, 4];
        for (var r = 0; r < 3; r++)
        for (var c = 0; c < 4; c++)
            weights[r, c] = random.NextDouble() - 0.5;
        var arrays = new Dictionary<string, Array> { ["W"] = weights, ["a"] = RandomArray(random, 4), ["b"] = RandomArray(random, 3), ["c"] = RandomArray(random, 3) };
        var none = new Dictionary<string, double>();
        double L() => Evaluator.Evaluate(loss, none, arrays);
        for (var r = 0; r < 3; r++)
        for (var c = 0; c < 4; c++)
        {
            var (rr, cc) = (r, c);
            var fd = Central(L, v => weights[rr, cc] = v, weights[r, c]);
            Close(fd, Evaluator.Evaluate(g.Partials[0], none, arrays, new Dictionary<string, int> { ["k"] = r, ["l"] = c }), $"∂L/∂W[{r},{c}]");
        }
        var b = (double[])arrays["b"];
        var a = (double[])arrays["a"];
        for (var r = 0; r < 3; r++)
        {
            var rr = r;
            Close(Central(L, v => b[rr] = v, b[r]), Evaluator.Evaluate(g.Partials[1], none, arrays, new Dictionary<string, int> { ["k"] = r }), $"∂L/∂b[{r}]");
        }
        for (var c = 0; c < 4; c++)
        {
            var cc = c;
            Close(Central(L, v => a[cc] = v, a[c]), Evaluator.Evaluate(g.Partials[2], none, arrays, new Dictionary<string, int> { ["k"] = c }), $"∂L/∂a[{c}]");
        }
        // ∂L/∂W_kl is δ_k a_l: the sum over the outputs j collapsed (only z_k's own Σ_i is left).
        Assert.DoesNotContain(Graph.PostOrder(g.Partials[0]), e => e.Kind == ExprKind.Sum && e.Name == "j");
    }

    [Fact]
    public void Convolution1D_InputGradient_IsTheArticlesFullCorrelation()
    {
        // Y_m = Σ_i W_i X_{m+i} for m < n_X − n_W + 1, L = Σ_m c_m Y_m: ∂L/∂X_u = Σ_m c_m W_{u−m} [0 ≤ u − m < n_W].
        var outputs = Expr.Length("X") - Expr.Length("W") + 1;
        var y = Expr.Sum(I, Expr.Length("W"), Expr.Element("W", I) * Expr.Element("X", J + I));
        var loss = Expr.Sum(J, outputs, Expr.Element("c", J) * y);
        var g = Differentiator.Gradient(loss, new[] { Expr.Element("X", K), Expr.Element("W", K) });
        var random = new Random(4);
        var arrays = new Dictionary<string, Array> { ["X"] = RandomArray(random, 8), ["W"] = RandomArray(random, 3), ["c"] = RandomArray(random, 6) };
        var none = new Dictionary<string, double>();
        foreach (var (name, partial) in new[] { ("X", g.Partials[0]), ("W", g.Partials[1]) })
        {
            var values = (double[])arrays[name];
            for (var u = 0; u < values.Length; u++)
            {
                var uu = u;
                var fd = Central(() => Evaluator.Evaluate(loss, none, arrays), v => values[uu] = v, values[u]);
                Close(fd, Evaluator.Evaluate(partial, none, arrays, new Dictionary<string, int> { ["k"] = u }), $"∂L/∂{name}[{u}]");
            }
        }
    }

    [Fact]
    public void BinaryCrossEntropy_OverNSamples_IsSigmoidMinusY()
    {
        var n = Expr.Length("x");
        var p = 1 / (1 + Expr.Exp(-(W * Expr.Element("x", I) + B)));
        var y = Expr.Element("y", I);
        var loss = -Expr.Sum(I, n, y * Expr.Log(p) + (1 - y) * Expr.Log(1 - p)) / n;
        var g = Differentiator.Gradient(loss, new[] { W, B });
        Assert.Contains(@"\sigma", LatexPrinter.Print(g.Partials[0]));
        var random = new Random(5);
        var arrays = new Dictionary<string, Array> { ["x"] = RandomArray(random, 6), ["y"] = new double[] { 0, 1, 1, 0, 1, 0 } };
        var scalars = new Dictionary<string, double> { ["w"] = 0.8, ["b"] = 0.1 };
        foreach (var (v, partial) in new[] { ("w", g.Partials[0]), ("b", g.Partials[1]) })
            Close(Central(() => Evaluator.Evaluate(loss, scalars, arrays), x => scalars[v] = x, scalars[v]), Evaluator.Evaluate(partial, scalars, arrays), v);
    }

    [Fact]
    public void Substitute_LeavesAnInnerBinderOfTheSameNameAlone()
    {
        // e^(z_j − max_j z_j) at j = k: the max's own j is not the outer j (two Sym.Max/Sym.Sum lambdas both say j).
        var max = Expr.MaxOver(J, Expr.Length("z"), Expr.Element("z", J));
        var term = Expr.Exp(Expr.Element("z", J) - max);
        Assert.Same(Expr.Exp(Expr.Element("z", K) - max), Expr.Substitute(term, J, K));
        Assert.False(Expr.Mentions(max, J));
        Assert.True(Expr.Mentions(term, J));
        // The stable softmax cross-entropy's gradient is softmax − y (a capture made it 1/Σ − y off the argmax).
        var n = Expr.Length("z");
        var f = Expr.Log(Expr.Sum(J, n, term)) + max - Expr.Sum(J, n, Expr.Element("y", J) * Expr.Element("z", J));
        var g = Differentiator.Gradient(f, new[] { Expr.Element("z", K) }).Partials[0];
        var z = new[] { 0.3, -1.2, 2.0, 0.5 };
        var y = new[] { 0.1, 0.2, 0.3, 0.4 };
        var arrays = new Dictionary<string, Array> { ["z"] = z, ["y"] = y };
        var sum = z.Sum(v => Math.Exp(v - 2.0));
        for (var k = 0; k < 4; k++)
            Close(Math.Exp(z[k] - 2.0) / sum - y[k], Evaluator.Evaluate(g, new Dictionary<string, double>(), arrays, new Dictionary<string, int> { ["k"] = k }), $"∂L/∂z_{k}");
    }

    [Fact]
    public void Sum_Canonicalises_ConstantFactorsOutAndIndexFreeBodies()
    {
        var n = Expr.Length("x");
        Assert.Same(Expr.ToFloat(n) * W, Expr.Sum(I, n, W));
        Assert.Same(W * Expr.Sum(I, n, Expr.Element("x", I)), Expr.Sum(I, n, W * Expr.Element("x", I)));
        Assert.Same(Expr.Zero, Expr.Sum(I, n, Expr.Zero));
        Assert.Throws<ArgumentException>(() => Expr.Sum(W, n, W));
    }
}

/// <summary>The LaTeX of the indexed examples: snapshots of record, rendered by KaTeX in CI.</summary>
public class IndexedSumLatexTests
{
    private static readonly Expr I = Expr.Index("i"), J = Expr.Index("j"), K = Expr.Index("k"), L = Expr.Index("l");

    public static TheoryData<string> Names => new() { "Mse", "L2", "L1", "SoftmaxCrossEntropy", "Dense", "Convolution1D", "BinaryCrossEntropy", "MaxPooling" };

    public static readonly ExprKind[] IndexedKinds = { ExprKind.Index, ExprKind.Element, ExprKind.Length, ExprKind.Sum, ExprKind.MaxOver, ExprKind.ArgMax };

    [Fact]
    public void TheExamples_ExerciseEveryIndexedKind()
    {
        var names = new[] { "Mse", "L2", "L1", "SoftmaxCrossEntropy", "Dense", "Convolution1D", "BinaryCrossEntropy", "MaxPooling" };
        Assert.Equal(names.Length, Names.Count);
        var kinds = names.Select(Example).SelectMany(e => Graph.PostOrder(new[] { e.F }.Concat(Differentiator.Gradient(e.F, e.Variables).Partials))).Select(e => e.Kind).ToHashSet();
        Assert.Superset(IndexedKinds.ToHashSet(), kinds);
    }

    internal static (Expr F, Expr[] Variables) ExampleFor(string name) => Example(name);

    /// <summary>Random data of the right shapes for an example.</summary>
    internal static (Dictionary<string, double> Scalars, Dictionary<string, Array> Arrays) DataFor(string name, Random r)
    {
        double[] V(int n) => Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
        var scalars = new Dictionary<string, double> { ["w"] = r.NextDouble() - 0.5, ["b"] = r.NextDouble() - 0.5 };
        var arrays = new Dictionary<string, Array>();
        switch (name)
        {
            case "Mse":
            case "BinaryCrossEntropy":
                arrays["x"] = V(9);
                arrays["y"] = name == "Mse" ? V(9) : V(9).Select(v => v > 0 ? 1.0 : 0.0).ToArray();
                break;
            case "L1":
            case "L2":
                arrays["W"] = V(6);
                break;
            case "SoftmaxCrossEntropy":
                arrays["z"] = V(5);
                arrays["y"] = new[] { 0.1, 0.2, 0.3, 0.4, 0.0 };
                break;
            case "Dense":
            {
                var w = new double[3, 4];
                for (var i = 0; i < 3; i++)
                for (var j = 0; j < 4; j++)
                    w[i, j] = r.NextDouble() - 0.5;
                arrays["W"] = w;
                arrays["a"] = V(4);
                arrays["b"] = V(3);
                arrays["c"] = V(3);
                break;
            }
            case "MaxPooling":
            {
                var x = new double[4, 6];
                var g = new double[2, 3];
                for (var i = 0; i < 4; i++)
                for (var j = 0; j < 6; j++)
                    x[i, j] = r.NextDouble();
                for (var i = 0; i < 2; i++)
                for (var j = 0; j < 3; j++)
                    g[i, j] = r.NextDouble() + 0.5;
                arrays["X"] = x;
                arrays["G"] = g;
                break;
            }
            default:
                arrays["X"] = V(8);
                arrays["W"] = V(3);
                arrays["c"] = V(6);
                break;
        }
        return (scalars, arrays);
    }

    private static (Expr F, Expr[] Variables) Example(string name)
    {
        Expr w = Expr.Var("w"), b = Expr.Var("b");
        switch (name)
        {
            case "Mse":
            {
                var n = Expr.Length("x");
                return (Expr.Sum(I, n, Expr.Pow(Expr.Element("y", I) - (w * Expr.Element("x", I) + b), 2)) / (2 * n), new[] { w, b });
            }
            case "L2": return (Expr.Sum(I, Expr.Length("W"), Expr.Pow(Expr.Element("W", I), 2)), new[] { Expr.Element("W", K) });
            case "L1": return (Expr.Sum(I, Expr.Length("W"), Expr.Abs(Expr.Element("W", I))), new[] { Expr.Element("W", K) });
            case "SoftmaxCrossEntropy":
            {
                var n = Expr.Length("z");
                return (Expr.Log(Expr.Sum(J, n, Expr.Exp(Expr.Element("z", J)))) - Expr.Sum(J, n, Expr.Element("y", J) * Expr.Element("z", J)), new[] { Expr.Element("z", K) });
            }
            case "Dense":
            {
                var z = Expr.Sum(I, Expr.Length("a"), Expr.Element("W", J, I) * Expr.Element("a", I)) + Expr.Element("b", J);
                return (Expr.Sum(J, Expr.Length("b"), Expr.Element("c", J) * Expr.Tanh(z)), new[] { Expr.Element("W", K, L), Expr.Element("b", K), Expr.Element("a", K) });
            }
            case "MaxPooling":
            {
                // Y[m,n] = max_{i,j<2} X[2m+i, 2n+j], scored by G: the gradient goes to each window's argmax.
                Expr m = Expr.Index("m"), n = Expr.Index("n");
                var y = Expr.MaxOver(I, Expr.Const(2), Expr.MaxOver(J, Expr.Const(2), Expr.Element("X", 2 * m + I, 2 * n + J)));
                return (Expr.Sum(m, Expr.Length("G", 0), Expr.Sum(n, Expr.Length("G", 1), Expr.Element("G", m, n) * y)), new[] { Expr.Element("X", K, L) });
            }
            case "Convolution1D":
            {
                var y = Expr.Sum(I, Expr.Length("W"), Expr.Element("W", I) * Expr.Element("X", J + I));
                return (Expr.Sum(J, Expr.Length("X") - Expr.Length("W") + 1, Expr.Element("c", J) * y), new[] { Expr.Element("X", K), Expr.Element("W", K) });
            }
            default:
            {
                var n = Expr.Length("x");
                var p = 1 / (1 + Expr.Exp(-(w * Expr.Element("x", I) + b)));
                var y = Expr.Element("y", I);
                return (-Expr.Sum(I, n, y * Expr.Log(p) + (1 - y) * Expr.Log(1 - p)) / n, new[] { w, b });
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Partials_MatchSnapshot(string name)
    {
        var (f, variables) = Example(name);
        var g = Differentiator.Gradient(f, variables);
        using var document = LatexPrinter.Memoize(g.Function);
        var text = "% " + name + "\nL = " + LatexPrinter.Print(g.Function) + "\n\n" + string.Join("\n\n", variables.Select((v, i) => LatexPrinter.PrintPartial("L", v, g.Partials[i]))) + "\n";
        SymGrad.Tests.Shared.Snapshot.Verify("Indexed." + name, text, "tex");
    }
}

public class DerivationNotationTests
{
    private static readonly Expr I = Expr.Index("i"), K = Expr.Index("k");

    [Fact]
    public void Sums_RunFromZero_LikeTheirSubscriptsAndGuards()
    {
        var f = Expr.Sum(I, Expr.Length("x"), Expr.Pow(Expr.Element("x", I), 2));
        Assert.Equal(@"\sum_{i=0}^{n - 1} x_{i}^{2}", LatexPrinter.Print(f));
        Assert.Equal(@"\max_{i=0}^{1} x_{i}", LatexPrinter.Print(Expr.MaxOver(I, Expr.Const(2), Expr.Element("x", I))));
    }

    [Fact]
    public void TwoLengths_NeverPrintAsTheSameN_InAnyFormulaOfTheFunction()
    {
        // f = Σ_j b_j Σ_i a_i: ∂f/∂b_k mentions only n_a, but f has two lengths, so it is n_a there too.
        var j = Expr.Index("j");
        var f = Expr.Sum(j, Expr.Length("b"), Expr.Element("b", j) * Expr.Sum(I, Expr.Length("a"), Expr.Element("a", I)));
        var g = Differentiator.Gradient(f, new[] { Expr.Element("b", K) });
        Assert.Equal(@"\sum_{i=0}^{n - 1} a_{i}", LatexPrinter.Print(g.Partials[0]));
        using (LatexPrinter.Memoize(g.Function))
            Assert.Equal(@"\sum_{i=0}^{n_{a} - 1} a_{i}", LatexPrinter.Print(g.Partials[0]));
    }

    [Fact]
    public void AnIdenticallyZeroSum_SimplifiesAway()
    {
        // The variance (1/n) Σ_i (x_i − mean)², mean = Σ_i x_i / n: ∂/∂x_k = 2/n (x_k − mean) − 2/n² Σ_i (x_i − mean), whose
        // last sum is n·mean − Σ_i x_i = 0; the partial keeps only the sum inside the mean.
        var n = Expr.ToFloat(Expr.Length("x"));
        var mean = Expr.Sum(I, Expr.Length("x"), Expr.Element("x", I)) / n;
        var f = Expr.Sum(I, Expr.Length("x"), Expr.Pow(Expr.Element("x", I) - mean, 2)) / n;
        var g = Differentiator.Gradient(f, new[] { Expr.Element("x", K) });
        Assert.Single(Graph.PostOrder(g.Partials[0]), e => e.Kind == ExprKind.Sum);
        var x = new[] { 0.5, -1.25, 2.0, 0.75, -0.3 };
        double F(double[] v) => v.Select(t => (t - v.Average()) * (t - v.Average())).Sum() / v.Length;
        for (var k = 0; k < x.Length; k++)
        {
            var slope = Evaluator.Evaluate(g.Partials[0], new Dictionary<string, double>(), new Dictionary<string, Array> { ["x"] = x }, new Dictionary<string, int> { ["k"] = k });
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[k] += 1e-6;
            minus[k] -= 1e-6;
            Assert.Equal((F(plus) - F(minus)) / 2e-6, slope, 6);
        }
    }

    [Fact]
    public void FloatConstants_PrintAsTheShortestDecimalOfTheirBinary32Value_InAFloatDocument()
    {
        var f = Expr.Const((double)1e30f) * Expr.Var("x");
        Assert.Equal(@"1.0000000150474662 \times 10^{30} x", LatexPrinter.Print(f));
        using (LatexPrinter.Memoize(f, singlePrecision: true))
            Assert.Equal(@"1 \times 10^{30} x", LatexPrinter.Print(f));
    }

    [Fact]
    public void APiecewisePartial_PrintsAsOneCasesBlock()
    {
        // The leaky ReLU's derivative: [x > 0] + {0 if x > 0, 0.01 otherwise} reads {1 if x > 0, 0.01 otherwise}, as the article writes it.
        var x = Expr.Var("x");
        var f = Expr.If(Expr.Compare(ExprKind.Greater, x, Expr.Zero), x, Expr.Const(Number.Rational(1, 100)) * x);
        var g = Differentiator.Gradient(f, new[] { x });
        Assert.Equal(@"\begin{cases} 1 & x > 0 \\ 0.01 & x \le 0 \end{cases}", LatexPrinter.Print(g.Partials[0]));
        // A term that is not piecewise stays outside the block.
        Assert.StartsWith(@"x + \begin{cases}", LatexPrinter.Print(x + Expr.If(Expr.Compare(ExprKind.Greater, x, Expr.Zero), x, Expr.Zero)));
    }

    [Fact]
    public void AnInnerSum_NeverReusesTheOuterSumsIndex()
    {
        // The layer norm's Σ_i (mean − x_i)² with mean = Σ_i x_i / n: the outer index is primed.
        var n = Expr.ToFloat(Expr.Length("x"));
        var mean = Expr.Sum(I, Expr.Length("x"), Expr.Element("x", I)) / n;
        var f = Expr.Sum(I, Expr.Length("x"), Expr.Pow(mean - Expr.Element("x", I), 2));
        var latex = LatexPrinter.Print(f);
        Assert.Contains(@"\sum_{i'=0}^{n - 1}", latex);
        Assert.Contains(@"x_{i'}", latex);
        Assert.Contains(@"\sum_{i=0}^{n - 1} x_{i}", latex);
    }
}

/// <summary>The indexed gradients as C#: loops compiled with Roslyn and run against the indexed evaluator.</summary>
public class IndexedCodeTests
{
    public static TheoryData<string> Names => IndexedSumLatexTests.Names;

    [Theory]
    [MemberData(nameof(Names))]
    public void GeneratedLoops_Compile_AndAgreeWithTheEvaluator(string name)
    {
        var (f, variables) = IndexedSumLatexTests.ExampleFor(name);
        var g = Differentiator.Gradient(f, variables);
        var method = IndexedCode.PrintGradientMethod(g, "Gradient", CSharpPrinter.Default, indent: "    ");
        var roots = new[] { g.Function }.Concat(g.Partials).ToList();
        var scalars = Graph.Variables(roots.ToArray()).ToList();
        var arrays = IndexedCode.Arrays(roots);
        // A wrapper that takes arrays, since spans cannot cross reflection.
        var call = string.Join(", ", scalars.Select((_, i) => $"s[{i}]")
            .Concat(arrays.Select((a, i) => a.Rank == 1 ? $"(double[])a[{i}]" : $"(double[,])a[{i}]"))
            .Concat(variables.Select((v, i) => v.Kind == ExprKind.Var ? $"out so[{i}]" : v.ArgArray.Length == 1 ? $"(double[])ao[{i}]" : $"(double[,])ao[{i}]")));
        var source = "using System;\npublic static class Emitted\n{\n" + method +
                     "    public static double Run(double[] s, Array[] a, double[] so, Array[] ao) => Gradient(" + call + ");\n}\n";
        var type = SymGrad.Tests.Shared.RoslynCompiler.Compile(source).GetType("Emitted")!;

        var random = new Random(name.Length);
        var values = IndexedSumLatexTests.DataFor(name, random);
        var scalarValues = scalars.Select(s => values.Scalars[s]).ToArray();
        var arrayValues = arrays.Select(a => values.Arrays[a.Name]).ToArray();
        var scalarOut = new double[variables.Length];
        var arrayOut = variables.Select(v => v.Kind == ExprKind.Var ? null! : (Array)Array.CreateInstance(typeof(double), v.ArgArray.Select((_, d) => values.Arrays[v.Name!].GetLength(d)).ToArray())).ToArray();
        double value;
        try
        {
            value = (double)type.GetMethod("Run")!.Invoke(null, new object[] { scalarValues, arrayValues, scalarOut, arrayOut })!;
        }
        catch (System.Reflection.TargetInvocationException e)
        {
            throw new Exception(e.InnerException!.Message + "\n" + method, e.InnerException);
        }

        Assert.Equal(Evaluator.Evaluate(g.Function, values.Scalars, values.Arrays), value, 10);
        for (var v = 0; v < variables.Length; v++)
        {
            if (variables[v].Kind == ExprKind.Var)
            {
                Assert.Equal(Evaluator.Evaluate(g.Partials[v], values.Scalars, values.Arrays), scalarOut[v], 10);
                continue;
            }
            var output = arrayOut[v];
            var indexNames = variables[v].ArgArray.Select(i => i.Name!).ToArray();
            foreach (var at in Positions(output))
            {
                var bound = indexNames.Select((n, d) => (n, at[d])).ToDictionary(p => p.n, p => p.Item2);
                Assert.Equal(Evaluator.Evaluate(g.Partials[v], values.Scalars, values.Arrays, bound), (double)output.GetValue(at)!, 10);
            }
        }
        // Loops, not a delegate per element.
        Assert.DoesNotContain("Sym.Sum", method);
        Assert.Contains("for (var", method);
    }

    internal static IEnumerable<int[]> Positions(Array a)
    {
        var total = a.Length;
        for (var flat = 0; flat < total; flat++)
        {
            var at = new int[a.Rank];
            var rest = flat;
            for (var d = a.Rank - 1; d >= 0; d--)
            {
                at[d] = rest % a.GetLength(d);
                rest /= a.GetLength(d);
            }
            yield return at;
        }
    }

    [Fact]
    public void L2_ValueIsAddedUpInTheGradientsLoop()
    {
        var (f, variables) = IndexedSumLatexTests.ExampleFor("L2");
        var method = IndexedCode.PrintGradientMethod(Differentiator.Gradient(f, variables), "G", CSharpPrinter.Default);
        // One pass over W computes both (as written by hand), and a second loop only when dW is not wanted.
        Assert.Matches(@"for \(var k = 0; k < W\.Length; k\+\+\)\s*\{\s*acc\d+ \+= W\[k\] \* W\[k\];\s*dW\[k\] = 2\.0 \* W\[k\];", method);
    }

    [Fact]
    public void Softmax_NormaliserIsComputedOnce_BeforeTheLoopOverK()
    {
        var (f, variables) = IndexedSumLatexTests.ExampleFor("SoftmaxCrossEntropy");
        var method = IndexedCode.PrintGradientMethod(Differentiator.Gradient(f, variables), "G", CSharpPrinter.Default);
        var normaliser = method.IndexOf("+= Math.Exp(z[j] - ", StringComparison.Ordinal);
        var outputLoop = method.IndexOf("for (var k = 0;", StringComparison.Ordinal);
        Assert.True(normaliser >= 0 && outputLoop > normaliser, method);
    }
}

/// <summary>The article's 2-D convolution and average pooling as index expressions, differentiated and checked.</summary>
public class ConvolutionIndexTests
{
    private static readonly Expr M = Expr.Index("m"), N = Expr.Index("n"), I = Expr.Index("i"), J = Expr.Index("j"), L = Expr.Index("l"), K = Expr.Index("k");
    private static readonly Expr U = Expr.Index("u"), V = Expr.Index("v"), C = Expr.Index("c"), D = Expr.Index("d");

    private static double Central(Func<double> f, Array a, int[] at)
    {
        var saved = (double)a.GetValue(at)!;
        a.SetValue(saved + 1e-6, at);
        var plus = f();
        a.SetValue(saved - 1e-6, at);
        var minus = f();
        a.SetValue(saved, at);
        return (plus - minus) / 2e-6;
    }

    private static double[,,] Random3(Random r, int a, int b, int c)
    {
        var t = new double[a, b, c];
        for (var x = 0; x < a; x++)
        for (var y = 0; y < b; y++)
        for (var z = 0; z < c; z++)
            t[x, y, z] = r.NextDouble() * 2 - 1;
        return t;
    }

    [Fact]
    public void Conv2D_WeightAndInputGradients_AreTheArticlesFormulas()
    {
        // Y[m,n,k] = Σ_{i,j,l} W[i,j,l,k] X[m+i, n+j, l]; L = Σ_{m,n,k} G[m,n,k] Y[m,n,k] (G plays ∂L/∂Y).
        var outH = Expr.Length("X", 0) - Expr.Length("W", 0) + 1;
        var outW = Expr.Length("X", 1) - Expr.Length("W", 1) + 1;
        var y = Expr.Sum(I, Expr.Length("W", 0), Expr.Sum(J, Expr.Length("W", 1), Expr.Sum(L, Expr.Length("W", 2),
            Expr.Element("W", I, J, L, K) * Expr.Element("X", M + I, N + J, L))));
        var loss = Expr.Sum(M, outH, Expr.Sum(N, outW, Expr.Sum(K, Expr.Length("W", 3), Expr.Element("G", M, N, K) * y)));
        var wVar = Expr.Element("W", U, V, C, D);
        var xVar = Expr.Element("X", U, V, C);
        var g = Differentiator.Gradient(loss, new[] { wVar, xVar });

        var random = new Random(21);
        var w = new double[2, 2, 2, 3];
        foreach (var at in Positions(w)) w.SetValue(random.NextDouble() - 0.5, at);
        var x = Random3(random, 4, 5, 2);
        var gy = Random3(random, 3, 4, 3);
        var arrays = new Dictionary<string, Array> { ["W"] = w, ["X"] = x, ["G"] = gy };
        var none = new Dictionary<string, double>();
        double F() => Evaluator.Evaluate(loss, none, arrays);
        foreach (var at in Positions(w))
        {
            var bound = new Dictionary<string, int> { ["u"] = at[0], ["v"] = at[1], ["c"] = at[2], ["d"] = at[3] };
            Assert.Equal(Central(F, w, at), Evaluator.Evaluate(g.Partials[0], none, arrays, bound), 6);
        }
        foreach (var at in Positions(x))
        {
            var bound = new Dictionary<string, int> { ["u"] = at[0], ["v"] = at[1], ["c"] = at[2] };
            Assert.Equal(Central(F, x, at), Evaluator.Evaluate(g.Partials[1], none, arrays, bound), 6);
        }
        // ∂L/∂W_{u,v,c,d} = Σ_{m,n} G_{m,n,d} X_{m+u, n+v, c}: no delta or guard left in it.
        Assert.DoesNotContain(Graph.PostOrder(g.Partials[0]), e => e.Kind is ExprKind.If or ExprKind.Equal);
    }

    [Fact]
    public void AveragePooling_SpreadsTheGradientEvenly()
    {
        // Y[m,n] = ¼ Σ_{i,j<2} X[2m+i, 2n+j]; L = Σ G[m,n] Y[m,n]: ∂L/∂X[u,v] = ¼ G[⌊u/2⌋, ⌊v/2⌋].
        var y = Expr.Sum(I, Expr.Const(2), Expr.Sum(J, Expr.Const(2), Expr.Element("X", 2 * M + I, 2 * N + J))) / 4;
        var loss = Expr.Sum(M, Expr.Length("G", 0), Expr.Sum(N, Expr.Length("G", 1), Expr.Element("G", M, N) * y));
        var g = Differentiator.Gradient(loss, new[] { Expr.Element("X", U, V) }).Partials[0];
        var random = new Random(22);
        var gy = new double[2, 3];
        foreach (var at in Positions(gy)) gy.SetValue(random.NextDouble(), at);
        var x = new double[4, 6];
        foreach (var at in Positions(x)) x.SetValue(random.NextDouble() - 0.5, at);
        var arrays = new Dictionary<string, Array> { ["X"] = x, ["G"] = gy };
        var none = new Dictionary<string, double>();
        for (var u = 0; u < 4; u++)
        for (var v = 0; v < 6; v++)
        {
            var derivative = Evaluator.Evaluate(g, none, arrays, new Dictionary<string, int> { ["u"] = u, ["v"] = v });
            Assert.Equal(gy[u / 2, v / 2] / 4, derivative, 12);
            Assert.Equal(Central(() => Evaluator.Evaluate(loss, none, arrays), x, new[] { u, v }), derivative, 6);
        }
    }

    [Fact]
    public void MaxPooling_SendsTheGradientToTheArgmax()
    {
        // Y[m,n] = max_{i,j<2} X[2m+i, 2n+j]; L = Σ G[m,n] Y[m,n]: ∂L/∂X[u,v] = G[m,n] where (u,v) is its window's
        // argmax, 0 elsewhere (the article's rule).
        var y = Expr.MaxOver(I, Expr.Const(2), Expr.MaxOver(J, Expr.Const(2), Expr.Element("X", 2 * M + I, 2 * N + J)));
        var loss = Expr.Sum(M, Expr.Length("G", 0), Expr.Sum(N, Expr.Length("G", 1), Expr.Element("G", M, N) * y));
        var g = Differentiator.Gradient(loss, new[] { Expr.Element("X", U, V) }).Partials[0];
        Assert.Contains(Graph.PostOrder(g), e => e.Kind == ExprKind.ArgMax);
        var random = new Random(23);
        var gy = new double[2, 3];
        foreach (var at in Positions(gy)) gy.SetValue(random.NextDouble() + 0.5, at);
        var x = new double[4, 6];
        foreach (var at in Positions(x)) x.SetValue(random.NextDouble(), at);
        var arrays = new Dictionary<string, Array> { ["X"] = x, ["G"] = gy };
        var none = new Dictionary<string, double>();
        var winners = 0;
        foreach (var at in Positions(x))
        {
            var derivative = Evaluator.Evaluate(g, none, arrays, new Dictionary<string, int> { ["u"] = at[0], ["v"] = at[1] });
            Assert.Equal(Central(() => Evaluator.Evaluate(loss, none, arrays), x, at), derivative, 6);
            if (derivative != 0) winners++;
        }
        Assert.Equal(6, winners);
        // A tie goes to the window's first element, row by row, as MaxPool2D breaks it.
        x[0, 0] = x[0, 1] = x[1, 0] = x[1, 1] = 2;
        double At(int u, int v) => Evaluator.Evaluate(g, none, arrays, new Dictionary<string, int> { ["u"] = u, ["v"] = v });
        Assert.Equal(gy[0, 0], At(0, 0));
        Assert.Equal(0, At(0, 1) + At(1, 0) + At(1, 1));
    }

    private static IEnumerable<int[]> Positions(Array a) => IndexedCodeTests.Positions(a);
}

public class MaterializationTests
{
    [Fact]
    public void DenseInputGradient_ComputesEachPreActivationOnce()
    {
        var (f, variables) = IndexedSumLatexTests.ExampleFor("Dense");
        var method = IndexedCode.PrintGradientMethod(Differentiator.Gradient(f, variables), "G", CSharpPrinter.Default);
        // z_j = Σ_i W_ji a_i goes into a buffer once; the loops over j (value, ∂L/∂a_k) read it instead of re-summing
        // (without the buffer, ∂L/∂a_k would cost n_a·n_b·n_a).
        Assert.Contains("stackalloc double[", method);
        var perJ = System.Text.RegularExpressions.Regex.Matches(method, @"\+= W\[j, i\] \* a\[i\];").Count;
        Assert.True(perJ == 1, method);
    }
}

public class ContractionTests
{
    [Fact]
    public void MatrixViewContractions_BecomeMatrixProducts_WithTheLoopAsFallback()
    {
        // Σ_s Σ_j Δ[s,j] (b_j + Σ_i A[s,i] W[i,j]) over float matrix views: ∂/∂W is Aᵀ·Δ, ∂/∂A is Δ·Wᵀ.
        Expr s = Expr.Index("s"), j = Expr.Index("j"), i = Expr.Index("i");
        var z = Expr.Element("b", j) + Expr.Sum(i, Expr.Length("A", 1), Expr.Element("A", s, i) * Expr.Element("W", i, j));
        var f = Expr.Sum(s, Expr.Length("A", 0), Expr.Sum(j, Expr.Length("b"), Expr.Element("Delta", s, j) * z));
        var variables = new[] { Expr.Element("W", Expr.Index("k"), Expr.Index("l")), Expr.Element("A", Expr.Index("p"), Expr.Index("q")) };
        const string view = "global::SymGrad.ReadOnlyMatrix<float>", writable = "global::SymGrad.Matrix<float>";
        var parameters = new[]
        {
            new IndexedCode.ArrayParameter("W", 2, view, writable), new IndexedCode.ArrayParameter("b", 1),
            new IndexedCode.ArrayParameter("A", 2, view, writable), new IndexedCode.ArrayParameter("Delta", 2, view, writable),
        };
        var method = IndexedCode.PrintGradientMethod(Differentiator.Gradient(f, variables), "G", CSharpPrinter.Float, parameters: parameters, returnValue: false);
        Assert.Contains("MatMul.MultiplyTransposedA(A.Slice(0, A.GetLength(0)), Delta.Slice(0, A.GetLength(0)), dW.Slice(0, W.GetLength(0)), W.GetLength(0), A.GetLength(0), W.GetLength(1), accumulate: true);", method);
        Assert.Matches(@"MatMul\.MultiplyTransposedB\(Delta\.Slice\(first\d+, end\d+ - first\d+\), W\.Slice\(0, A\.GetLength\(1\)\), dA\.Slice\(first\d+, end\d+ - first\d+\)", method);
        Assert.Contains("else", method);
        // Double code has no kernel to call: loops only.
        var doubles = IndexedCode.PrintGradientMethod(Differentiator.Gradient(f, variables), "G", CSharpPrinter.Default);
        Assert.DoesNotContain("MatMul", doubles);
    }

    private static string ConvolutionGradientMethod(bool kernelInLast)
    {
        // Σ Δ[s,m,n,k] (b_k + Σ_{i,j,l} W[i,j,l,k] X[s,m+i,n+j,l]) over 4-D float views (or W[i,j,k,l]: filters before channels).
        Expr s = Expr.Index("s"), m = Expr.Index("m"), n = Expr.Index("n"), k = Expr.Index("k"), i = Expr.Index("i"), j = Expr.Index("j"), l = Expr.Index("l");
        var w = kernelInLast ? Expr.Element("W", i, j, l, k) : Expr.Element("W", i, j, k, l);
        var y = Expr.Element("b", k) + Expr.Sum(i, Expr.Length("W", 0), Expr.Sum(j, Expr.Length("W", 1), Expr.Sum(l, Expr.Length("W", kernelInLast ? 2 : 3),
            w * Expr.Element("X", s, m + i, n + j, l))));
        var f = Expr.Sum(s, Expr.Length("Delta", 0), Expr.Sum(m, Expr.Length("Delta", 1), Expr.Sum(n, Expr.Length("Delta", 2),
            Expr.Sum(k, Expr.Length("b"), Expr.Element("Delta", s, m, n, k) * y))));
        Expr Var(string name, params string[] idx) => Expr.Element(name, idx.Select(Expr.Index).ToArray());
        var variables = new[] { kernelInLast ? Var("W", "p", "q", "r", "o") : Var("W", "p", "q", "o", "r"), Expr.Element("b", Expr.Index("o")), Var("X", "a", "u", "v", "c") };
        const string view = "global::SymGrad.ReadOnlyTensor4<float>", writable = "global::SymGrad.Tensor4<float>";
        var parameters = new[]
        {
            new IndexedCode.ArrayParameter("W", 4, view, writable), new IndexedCode.ArrayParameter("b", 1, "global::System.ReadOnlySpan<float>", "global::System.Span<float>"),
            new IndexedCode.ArrayParameter("X", 4, view, writable), new IndexedCode.ArrayParameter("Delta", 4, view, writable),
        };
        return IndexedCode.PrintGradientMethod(Differentiator.Gradient(f, variables), "G", CSharpPrinter.Float, parameters: parameters, returnValue: false);
    }

    [Fact]
    public void ConvolutionGradients_BecomeFewWideProducts()
    {
        var method = ConvolutionGradientMethod(kernelInLast: true);
        // ∂/∂W[p] = Σ_{s,m} window(X[s, m+p])ᵀ · Δ[s, m]: X's rows n + q for every kernel column q are one window sliding a
        // row (X's channels) per n, and every kernel row p the same window one image row further on, so one batched,
        // grouped product per output row m fills the whole of dW (rows (p, q, l) in order); the window must fit a row.
        Assert.Matches(@"MatMul\.MultiplyTransposedA\(X\.SliceRows\(batchFirst\d+, m \* X\.GetLength\(2\), \(W\.GetLength\(0\) - 1\) \* X\.GetLength\(2\) \+ Delta\.GetLength\(2\) \+ W\.GetLength\(1\) - 1, batchEnd\d+ - batchFirst\d+\), X\.GetLength\(3\), W\.GetLength\(0\), X\.GetLength\(2\) \* X\.GetLength\(3\), Delta\.Slice\(batchFirst\d+, m, 0, Delta\.GetLength\(2\), batchEnd\d+ - batchFirst\d+\), dW\.Span, W\.GetLength\(1\) \* W\.GetLength\(2\)", method);
        Assert.Contains("Delta.GetLength(2) + W.GetLength(1) - 1 <= X.GetLength(2)", method);
        Assert.DoesNotContain("for (var p", method.Substring(0, method.IndexOf("MultiplyTransposedA", StringComparison.Ordinal)));
        Assert.DoesNotContain("for (var q", method.Substring(0, method.IndexOf("MultiplyTransposedA", StringComparison.Ordinal)));
        // ∂/∂b: rows of Δ added up.
        Assert.Matches(@"MatMul\.AddRows\(Delta\.Slice\(s, m, first\d+, end\d+ - first\d+\), db\)", method);
        // ∂/∂X, a transposed convolution: the runtime's kernel (per chunk of images one product of Δ's rows with the whole
        // kernel, each kernel row's run added back into ∂X's rows m + i; the images on the cores), over every image both
        // arrays have and every row of Δ.
        Assert.Contains("MatMul.TransposedConvolution(Delta.Span, Delta.GetLength(1), Delta.GetLength(2), Delta.GetLength(3), W.Span, W.GetLength(0), W.GetLength(1), dX.Span, X.GetLength(1), X.GetLength(2), X.GetLength(3), 0, global::System.Math.Min(X.GetLength(0), Delta.GetLength(0)), 0, Delta.GetLength(1));", method);
        Assert.Contains("Delta.GetLength(1) + W.GetLength(0) - 1 <= X.GetLength(1)", method);
        Assert.DoesNotContain("new float[", method);
    }

    [Fact]
    public void ConvolutionInputGradient_WithFiltersBeforeChannels_ReindexesTheColumnSum()
    {
        // W[i, j, k, l]: the transposed-convolution plan needs channels third; the re-indexed row-block products take it.
        var method = ConvolutionGradientMethod(kernelInLast: false);
        // ∂/∂X: the sum over output columns re-indexed by the kernel column, so Δ's rows and X's rows run together,
        // one call for the whole batch (the image index a only picks the block of Δ and of ∂X; W's block is shared).
        Assert.Matches(@"MatMul\.Multiply\(Delta\.Slice\(batchFirst\d+, m, first\d+ - nOffset, end\d+ - first\d+, batchEnd\d+ - batchFirst\d+\), W\.Slice\(u - m, nOffset, 0, Delta\.GetLength\(3\)\), dX\.Slice\(batchFirst\d+, u, first\d+, end\d+ - first\d+, batchEnd\d+ - batchFirst\d+\)", method);
        Assert.DoesNotContain("Workspace", method);
    }
}

public class ScatterTests
{
    private static readonly Expr I = Expr.Index("i"), J = Expr.Index("j"), M = Expr.Index("m"), N = Expr.Index("n"), U = Expr.Index("u"), V = Expr.Index("v");

    private static Expr Scored(Expr window) => Expr.Sum(M, Expr.Length("G", 0), Expr.Sum(N, Expr.Length("G", 1), Expr.Element("G", M, N) * window));

    [Fact]
    public void MaxPooling_RunsAsAScatterToEachWindowsArgmax()
    {
        // Solved, ∂L/∂X[u,v] asks which window's argmax (u, v) is: a search over every window per element. The code
        // walks the windows instead and adds G[m,n] at each one's argmax, as the runtime's kernel does.
        var f = Scored(Expr.MaxOver(I, Expr.Const(2), Expr.MaxOver(J, Expr.Const(2), Expr.Element("X", 2 * M + I, 2 * N + J))));
        var method = IndexedCode.PrintGradientMethod(Differentiator.Gradient(f, new[] { Expr.Element("X", U, V) }), "G", CSharpPrinter.Default, returnValue: false);
        // The 2×2 window's argmax is written out as selects (no loop of two, no branch), an int index.
        Assert.Matches(@"var at\d+ = [^;]*\? 1 : 0[^;]*;", method);
        Assert.Matches(@"dX\[at\d+, at\d+\] \+= G\[m, n\];", method);
        Assert.DoesNotContain("for (var u", method);
        Assert.Contains("global::System.Array.Clear(dX, 0, dX.Length);", method);
    }

    [Fact]
    public void StridedAveragePooling_RunsAsAScatter_WhileUnitStrideGuardsStayLoopBounds()
    {
        var f = Scored(Expr.Sum(I, Expr.Const(2), Expr.Sum(J, Expr.Const(2), Expr.Element("X", 2 * M + I, 2 * N + J))) / 4);
        var method = IndexedCode.PrintGradientMethod(Differentiator.Gradient(f, new[] { Expr.Element("X", U, V) }), "G", CSharpPrinter.Default, returnValue: false);
        // Each of the window's four elements gets a quarter (the 2×2 window written out).
        foreach (var at in new[] { "2 * m, 2 * n", "2 * m, 2 * n + 1", "2 * m + 1, 2 * n", "2 * m + 1, 2 * n + 1" })
            Assert.Matches(@"dX\[" + System.Text.RegularExpressions.Regex.Escape(at) + @"\] \+= prod\d+;", method);
        Assert.Contains("= 0.25 * G[m, n];", method);
        // A 1-D convolution's input gradient has unit-stride guards (0 ≤ u − m < n_W): those become loop bounds, gathered.
        var (conv, variables) = IndexedSumLatexTests.ExampleFor("Convolution1D");
        var gathered = IndexedCode.PrintGradientMethod(Differentiator.Gradient(conv, variables), "C", CSharpPrinter.Default);
        Assert.DoesNotMatch(@"d[XW]\[[^\]]*\] \+=", gathered);
        Assert.Contains("dX[k] =", gathered);
    }

    [Fact]
    public void ScatterGradient_KeepsTheDeltasOnTheVariablesIndices()
    {
        var f = Scored(Expr.Sum(I, Expr.Const(2), Expr.Element("X", 2 * M + I, N)));
        var solved = Differentiator.Gradient(f, new[] { Expr.Element("X", U, V) }).Partials[0];
        var scatter = Differentiator.ScatterGradient(f, new[] { Expr.Element("X", U, V) }).Partials[0];
        Assert.DoesNotContain(Graph.PostOrder(solved), e => e.Kind == ExprKind.Equal);
        Assert.Contains(Graph.PostOrder(scatter), e => e.Kind == ExprKind.Equal && e.ArgArray.Contains(U));
        // Both are the same function of (u, v).
        var random = new Random(5);
        var x = new double[6, 3];
        var g = new double[3, 3];
        foreach (var at in IndexedCodeTests.Positions(g)) g.SetValue(random.NextDouble(), at);
        var arrays = new Dictionary<string, Array> { ["X"] = x, ["G"] = g };
        foreach (var at in IndexedCodeTests.Positions(x))
        {
            var bound = new Dictionary<string, int> { ["u"] = at[0], ["v"] = at[1] };
            Assert.Equal(Evaluator.Evaluate(solved, new Dictionary<string, double>(), arrays, bound), Evaluator.Evaluate(scatter, new Dictionary<string, double>(), arrays, bound), 12);
        }
    }
}

public class VectorScatterTests
{
    internal static string MaxPoolGradient(bool floatViews, bool transposed = false)
    {
        // Σ Δ[s,m,n,c] max_{i,j<2} X[s, 2m+i, 2n+j, c] over NHWC views: the scatter's innermost loop runs over channels.
        // Transposed, Δ[s,m,n,c] pools X[s, 2n+i, 2m+j, c]: the window's rows move with n, the loop around the channels'.
        Expr s = Expr.Index("s"), m = Expr.Index("m"), n = Expr.Index("n"), c = Expr.Index("c"), i = Expr.Index("i"), j = Expr.Index("j");
        var (rowOf, columnOf) = transposed ? (n, m) : (m, n);
        var window = Expr.MaxOver(i, Expr.Const(2), Expr.MaxOver(j, Expr.Const(2), Expr.Element("X", s, 2 * rowOf + i, 2 * columnOf + j, c)));
        var f = Expr.Sum(s, Expr.Length("Delta", 0), Expr.Sum(m, Expr.Length("Delta", 1), Expr.Sum(n, Expr.Length("Delta", 2),
            Expr.Sum(c, Expr.Length("Delta", 3), Expr.Element("Delta", s, m, n, c) * window))));
        var variables = new[] { Expr.Element("X", Expr.Index("a"), Expr.Index("u"), Expr.Index("v"), Expr.Index("l")) };
        const string view = "global::SymGrad.ReadOnlyTensor4<float>", writable = "global::SymGrad.Tensor4<float>";
        var parameters = floatViews
            ? new[] { new IndexedCode.ArrayParameter("X", 4, view, writable), new IndexedCode.ArrayParameter("Delta", 4, view, writable) }
            : null;
        return IndexedCode.PrintGradientMethod(Differentiator.Gradient(f, variables), "G", floatViews ? CSharpPrinter.Float : CSharpPrinter.Default, parameters: parameters, returnValue: false);
    }

    [Fact]
    public void MaxPooling_OverChannelRuns_BecomesMaskedVectorAdds_WithAScalarTail()
    {
        var method = MaxPoolGradient(floatViews: true);
        Assert.Matches(@"var (count\d+) = Delta\.GetLength\(3\);[\s\S]*Vector\.IsHardwareAccelerated && lanesFit\d+ && c <= \1 - global::System\.Numerics\.Vector<float>\.Count", method);
        // Vectors only where every run is as long as the loop (Δ with more channels than X goes to the scalar loop).
        Assert.Matches(@"var lanesFit\d+ = Delta\.GetLength\(3\) <= dX\.GetLength\(3\) && Delta\.GetLength\(3\) <= X\.GetLength\(3\);", method);
        // The window's two rows of X and of dX and Δ's row, each sliced whole once per output row m (outside the loop
        // over windows n); the four positions are masked adds of Δ's run into the runs at columns 2n and 2n + 1.
        foreach (var row in new[] { "2 * m", "2 * m + 1" })
        {
            Assert.Matches(@"var dXRow\d+ = dX\.Slice\(s, " + System.Text.RegularExpressions.Regex.Escape(row) + @", 0, dX\.GetLength\(2\)\);", method);
            Assert.Matches(@"var XRow\d+ = X\.Slice\(s, " + System.Text.RegularExpressions.Regex.Escape(row) + @", 0, X\.GetLength\(2\)\);", method);
        }
        Assert.True(method.IndexOf("var XRow", StringComparison.Ordinal) < method.IndexOf("for (var n = 0", StringComparison.Ordinal), "rows are sliced outside the loop over windows");
        Assert.Matches(@"var run\d+ = dXRow\d+\.Slice\(2 \* n \* dXStride\d+ \+ c, global::System\.Numerics\.Vector<float>\.Count\);", method);
        Assert.Matches(@"var run\d+ = dXRow\d+\.Slice\(\(2 \* n \+ 1\) \* dXStride\d+ \+ c, global::System\.Numerics\.Vector<float>\.Count\);", method);
        Assert.Matches(@"new global::System\.Numerics\.Vector<float>\(DeltaRow\d+\.Slice\(n \* DeltaStride\d+ \+ c\)\)", method);
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(method, @"var run\d+ = ").Count);
        // Row strides and counts are locals read before the loops (a field read inside them would be read again after
        // every store).
        Assert.Matches(@"var dXStride\d+ = dX\.GetLength\(3\);", method);
        Assert.Matches(@"for \(var n = 0; n < count\d+; n\+\+\)", method);
        // When the window's rows move with the loop around the channels', the rows are found once per window instead,
        // each one slice of its two adjacent column runs.
        var transposed = MaxPoolGradient(floatViews: true, transposed: true);
        foreach (var row in new[] { "2 * n", "2 * n + 1" })
            Assert.Matches(@"var XRow\d+ = X\.Slice\(s, " + System.Text.RegularExpressions.Regex.Escape(row) + @", 2 \* m, 2\);", transposed);
        Assert.Matches(@"new global::System\.Numerics\.Vector<float>\(XRow\d+\.Slice\(XStride\d+ \+ c\)\)", transposed);
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(transposed, @"var run\d+ = ").Count);
        Assert.Contains("ConditionalSelect(", method);
        Assert.Contains("Vector.GreaterThan(", method);
        // The scalar tail keeps the argmax as an index.
        Assert.Matches(@"dX\[s, at\d+, at\d+, c\] \+= Delta\[s, m, n, c\];", method);
        // Double arrays: no vectors.
        Assert.DoesNotContain("Vector", MaxPoolGradient(floatViews: false));
    }
}
