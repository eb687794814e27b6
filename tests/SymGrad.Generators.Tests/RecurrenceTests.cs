using System;
using System.Linq;
using Xunit;
using M = SymGrad.Generators.Tests.RecurrenceModel;

namespace SymGrad.Generators.Tests;

/// <summary>
/// Loops that carry state (backpropagation through time): each generated gradient returns the method's value, each
/// partial matches central differences of the method, the checkpointed sweep gives the same bits, and the recurrence
/// agrees with the same steps unrolled by hand.
/// </summary>
public class RecurrenceTests
{
    private static double[] Random(int n, int seed, double scale = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    // ∂f/∂θ against a central difference of the method at θ.
    private static void Matches(Func<double, double> f, double at, double partial, string name, double tolerance = 1e-6)
    {
        var h = 1e-6 * Math.Max(1, Math.Abs(at));
        var difference = (f(at + h) - f(at - h)) / (2 * h);
        Assert.True(Math.Abs(partial - difference) <= tolerance * (1 + Math.Abs(difference)), $"∂/∂{name} = {partial:R}, differences give {difference:R}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(200)]
    [InlineData(10_000)]
    public void Rnn_ValueIsTheMethods_AndPartialsMatchDifferences(int steps)
    {
        var x = Random(steps, steps);
        var y = Random(steps, steps + 1, 0.5);
        var (w, u, b) = (0.8, -0.6, 0.1);
        var value = M.RnnGradient(w, u, b, x, y, out var dw, out var du, out var db);
        var expected = M.Rnn(w, u, b, x, y);
        Assert.True(Math.Abs(value - expected) <= 1e-13 * Math.Abs(expected), $"{value:R} != {expected:R}");
        Matches(v => M.Rnn(v, u, b, x, y), w, dw, "w");
        Matches(v => M.Rnn(w, v, b, x, y), u, du, "u");
        Matches(v => M.Rnn(w, u, v, x, y), b, db, "b");
    }

    [Fact]
    public void Rnn_AgreesWithTheStepsUnrolledByHand()
    {
        var x = Random(4, 3);
        var y = Random(4, 4);
        var (w, u, b) = (1.3, 0.7, -0.2);
        var value = M.RnnGradient(w, u, b, x, y, out var dw, out var du, out var db);
        var unrolled = M.RnnUnrolled4Gradient(w, u, b, x[0], x[1], x[2], x[3], y[0], y[1], y[2], y[3], out var uw, out var uu, out var ub);
        Assert.Equal(unrolled, value, 14);
        Assert.Equal(uw, dw, 14);
        Assert.Equal(uu, du, 14);
        Assert.Equal(ub, db, 14);
    }

    [Fact]
    public void EmptyAndSingleSequences_GiveTheMethodsValue()
    {
        // No steps: the value after the loop reads the initial states (0/0 here, as the method computes it).
        var value = M.RnnGradient(0.5, 0.5, 0.5, ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty, out var dw, out _, out _);
        Assert.True(double.IsNaN(value) && double.IsNaN(M.Rnn(0.5, 0.5, 0.5, ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty)));
        Assert.Equal(0, dw);
        Assert.Equal(1, M.PowerGradient(3, 0, out var dx));
        Assert.Equal(0, dx);
        Assert.Equal(1, M.PowerGradient(3, -4, out dx));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(17)]
    public void Power_IsNXToTheNMinusOne(int n)
    {
        foreach (var x in new[] { -1.5, 0.0, 0.5, 2.0 })
        {
            Assert.Equal(M.Power(x, n), M.PowerGradient(x, n, out var dx));
            Assert.Equal(n == 0 ? 0 : n * Math.Pow(x, n - 1), dx, 12);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(12)]
    [InlineData(500)]
    public void Lstm_TwoCarriedVariables_MatchDifferences(int steps)
    {
        var x = Random(steps, 40 + steps);
        var p = Random(12, 41 + steps, 0.9);
        double F(double[] q) => M.Lstm(q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], x, 0.3);
        var g = new double[12];
        var value = M.LstmGradient(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], x, 0.3, g);
        Assert.Equal(F(p), value, 13);
        for (var i = 0; i < 12; i++)
        {
            var q = (double[])p.Clone();
            Matches(v => { q[i] = v; return F(q); }, p[i], g[i], "p" + i);
        }
    }

    [Fact]
    public void Gru_ArrayOfWeights_MatchesDifferences_AndAccumulates()
    {
        var x = Random(300, 50, 2);
        var y = Random(300, 51, 0.8);
        var p = Random(9, 52);
        var dp = new double[9];
        var value = M.GruGradient(p, x, y, dp);
        Assert.Equal(M.Gru(p, x, y), value, 10);
        for (var i = 0; i < 9; i++)
        {
            var q = (double[])p.Clone();
            Matches(v => { q[i] = v; return M.Gru(q, x, y); }, p[i], dp[i], "p" + i);
        }
        // The accumulating form adds the same gradient into what is there; an empty span is not wanted.
        var sum = Enumerable.Repeat(1.0, 9).ToArray();
        M.GruAccumulateGradient(p, x, y, sum);
        for (var i = 0; i < 9; i++) Assert.Equal(1 + dp[i], sum[i], 12);
        Assert.Equal(value, M.GruGradient(p, x, y, default));
        Assert.Throws<ArgumentException>(() => M.GruGradient(p, x, y, new double[8]));
    }

    [Fact]
    public void VectorInputs_InnerSumInsideTheStep_MatchDifferences()
    {
        const int steps = 40, width = 6;
        var x = new double[steps, width];
        var values = Random(steps * width, 60);
        for (var t = 0; t < steps; t++)
        for (var k = 0; k < width; k++) x[t, k] = values[t * width + k];
        var w = Random(width, 61, 0.5);
        var dw = new double[width];
        var value = M.VectorInputGradient(w, 0.9, 0.05, x, dw, out var da, out var db);
        Assert.Equal(M.VectorInput(w, 0.9, 0.05, x), value, 13);
        Matches(v => M.VectorInput(w, v, 0.05, x), 0.9, da, "a");
        Matches(v => M.VectorInput(w, 0.9, v, x), 0.05, db, "b");
        for (var k = 0; k < width; k++)
        {
            var q = (double[])w.Clone();
            Matches(v => { q[k] = v; return M.VectorInput(q, 0.9, 0.05, x); }, w[k], dw[k], "w" + k);
        }
    }

    [Fact]
    public void InitialStateAndWorkBeforeTheLoop_AreDifferentiatedToo()
    {
        var x = Random(50, 70);
        var dx = new double[50];
        var value = M.CenteredGradient(x, 0.7, 1.1, dx, out var dh0, out var da);
        Assert.Equal(M.Centered(x, 0.7, 1.1), value, 13);
        Matches(v => M.Centered(x, v, 1.1), 0.7, dh0, "h0");
        Matches(v => M.Centered(x, 0.7, v), 1.1, da, "a");
        for (var k = 0; k < 50; k += 7)
        {
            var q = (double[])x.Clone();
            Matches(v => { q[k] = v; return M.Centered(q, 0.7, 1.1); }, x[k], dx[k], "x" + k);
        }
    }

    [Fact]
    public void Spring_ThreeStatesFromCompoundAssignments_MatchDifferences()
    {
        var value = M.SpringGradient(4.0, 0.3, 2_000, 0.005, out var dk, out var dDamping);
        Assert.Equal(M.Spring(4.0, 0.3, 2_000, 0.005), value, 13);
        Matches(v => M.Spring(v, 0.3, 2_000, 0.005), 4.0, dk, "k");
        Matches(v => M.Spring(4.0, v, 2_000, 0.005), 0.3, dDamping, "damping");
    }

    [Fact]
    public void BranchesAndARunningMin_StepByTwoFromOne_MatchDifferences()
    {
        foreach (var n in new[] { 0, 1, 2, 9, 64 })
        {
            var x = Random(n, 80 + n);
            var value = M.BranchyGradient(0.6, 0.4, x, out var dw, out var dv);
            var expected = M.Branchy(0.6, 0.4, x);
            Assert.True(value == expected || Math.Abs(value - expected) <= 1e-13 * Math.Abs(expected), $"n = {n}: {value:R} != {expected:R}");
            if (n < 2) continue;
            Matches(v => M.Branchy(v, 0.4, x), 0.6, dw, "w");
            Matches(v => M.Branchy(0.6, v, x), 0.4, dv, "v");
        }
    }

    [Fact]
    public void TheInputSequence_CanBeAVariable()
    {
        var x = Random(30, 90);
        var dx = new double[30];
        var value = M.InputGradientGradient(x, 0.8, dx, out var dw);
        Assert.Equal(M.InputGradient(x, 0.8), value, 14);
        Matches(v => M.InputGradient(x, v), 0.8, dw, "w");
        for (var k = 0; k < 30; k++)
        {
            var q = (double[])x.Clone();
            Matches(v => { q[k] = v; return M.InputGradient(q, 0.8); }, x[k], dx[k], "x" + k);
        }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(10, 1)]
    [InlineData(10, 3)]
    [InlineData(10, 10)]
    [InlineData(10, 25)]
    [InlineData(1_000, 0)]
    [InlineData(1_000, 7)]
    [InlineData(10_000, 0)]
    public void Checkpointing_GivesTheSameBits(int steps, int segment)
    {
        var x = Random(steps, 100 + steps);
        var y = Random(steps, 101 + steps);
        var value = M.RnnGradient(0.9, 0.4, -0.1, x, y, out var dw, out var du, out var db);
        var again = M.RnnGradientCheckpointed(0.9, 0.4, -0.1, x, y, out var cw, out var cu, out var cb, segment);
        Assert.Equal(value, again);
        Assert.Equal(dw, cw);
        Assert.Equal(du, cu);
        Assert.Equal(db, cb);
        var p = Random(9, 102);
        var dp = new double[9];
        var cp = new double[9];
        Assert.Equal(M.GruGradient(p, x, y, dp), M.GruGradientCheckpointed(p, x, y, cp, segment));
        Assert.Equal(dp, cp);
    }

    [Fact]
    public void Checkpointing_KeepsMemoryToTheSquareRootOfTheSteps()
    {
        // Buffers come from the shared array pool: what a first call allocates is what the sweep holds. 300 001 steps
        // (the pool's bucket of 2^19 doubles, which no other test rents) for the full sweep; the checkpointed one holds
        // the checkpoints of two states and a segment's trajectory, 3 × 548 (buckets of 1 024) at most.
        const int steps = 300_001;
        var x = Random(steps, 7);
        var y = Random(steps, 8);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var value = M.RnnGradientCheckpointed(0.9, 0.4, -0.1, x, y, out var cw, out var cu, out var cb);
        var checkpointed = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(value, M.RnnGradient(0.9, 0.4, -0.1, x, y, out var dw, out var du, out var db));
        var full = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(full >= 8 * steps, $"the full sweep allocated {full} bytes");
        Assert.True(checkpointed <= 8 * 3 * 1024 + 4096, $"the checkpointed sweep allocated {checkpointed} bytes");
        Assert.Equal((dw, du, db), (cw, cu, cb));
        // Called again, each rents what it gave back: nothing is allocated. (The pool may be trimmed by a full collection
        // in between on a loaded machine, and the next call rents afresh: the steady state is asserted, within three calls.)
        var again = long.MaxValue;
        for (var attempt = 0; attempt < 3 && again >= 1024; attempt++)
        {
            before = GC.GetAllocatedBytesForCurrentThread();
            M.RnnGradient(0.9, 0.4, -0.1, x, y, out _, out _, out _);
            M.RnnGradientCheckpointed(0.9, 0.4, -0.1, x, y, out _, out _, out _);
            again = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.True(again < 1024, $"calls after the first allocated {again} bytes");
    }

    [Fact]
    public void PooledBuffers_StartDirty_AndTheGradientDoesNotDependOnIt()
    {
        // The trajectory and the adjoints of a wide vector network come from the pool (above 256 elements), holding
        // whatever the call before left there: a call on other data in between changes nothing.
        var first = Gradients(61);
        Gradients(62);
        Assert.Equal(first, Gradients(61));
        // (And the first is the gradient: its bias partials against differences.)
        var (W, U, x, b, v, y) = Data(61);
        for (var i = 0; i < 300; i += 97)
        {
            var k = i;
            Matches(z => { var q = (double[])b.Clone(); q[k] = z; return M.Elman(W, U, q, v, 0.2, x, y); }, b[i], first[300 * 300 + 300 * 2 + i], "b" + i);
        }

        (double[,] W, double[,] U, double[,] X, double[] B, double[] V, double[] Y) Data(int seed) =>
            (Matrix(300, 300, seed, 0.1), Matrix(300, 2, seed + 1), Matrix(3, 2, seed + 2), Random(300, seed + 3, 0.3), Random(300, seed + 4), Random(3, seed + 5));
        double[] Gradients(int seed)
        {
            var (W, U, x, b, v, y) = Data(seed);
            double[,] dW = new double[300, 300], dU = new double[300, 2];
            double[] db = new double[300], dv = new double[300];
            var value = M.ElmanGradient(W, U, b, v, 0.2, x, y, dW, dU, db, dv, out var dc);
            return dW.Cast<double>().Concat(dU.Cast<double>()).Concat(db).Concat(dv).Append(dc).Append(value).ToArray();
        }
    }

    [Theory]
    [InlineData(100, 1e-4)]
    [InlineData(100_000, 2e-3)] // float buffers from the pool (ArrayPool<float>), float sums over 10⁵ steps
    public void Float_MatchesTheDoubleCell(int steps, double tolerance)
    {
        var x = Random(steps, 110).Select(v => (float)v).ToArray();
        var y = Random(steps, 111).Select(v => (float)(v * 0.5)).ToArray();
        var value = M.RnnFGradient(0.8f, -0.6f, 0.1f, x, y, out var dw, out var du, out var db);
        Assert.Equal(M.RnnF(0.8f, -0.6f, 0.1f, x, y), value, (double)Math.Abs(value) * 1e-5);
        M.RnnGradient(0.8, -0.6, 0.1, x.Select(v => (double)v).ToArray(), y.Select(v => (double)v).ToArray(), out var ew, out var eu, out var eb);
        foreach (var (expected, actual) in new[] { (ew, dw), (eu, du), (eb, db) })
            Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)), $"float {actual}, double {expected}");
        // A call on other data in between (leaving the pooled float buffers dirty) changes nothing.
        M.RnnFGradient(-0.3f, 0.9f, 0.4f, y, x, out _, out _, out _);
        Assert.Equal(value, M.RnnFGradient(0.8f, -0.6f, 0.1f, x, y, out var dw2, out var du2, out var db2));
        Assert.Equal((dw, du, db), (dw2, du2, db2));
    }

    [Fact]
    public void TheDerivation_ShowsTheAdjointRecurrence()
    {
        var steps = M.RnnDerivation.Steps_w;
        Assert.Contains(@"{\delta_{h}}_{t} &= {\delta_{h}}_{t + 1}\,\frac{\partial h_{t + 1}}{\partial h_{t}}", steps);
        Assert.Contains(@"\sum_{t=0}^{T - 1}", steps);
        Assert.Contains(@"h_{t + 1} = \tanh", M.RnnDerivation.Formula);
        // One carried variable: δ_t, as the article writes it.
        Assert.Contains(@"\delta_{i} &= \delta_{i + 1}\,\frac{\partial p_{i + 1}}{\partial p_{i}} = \delta_{i + 1} x", M.PowerDerivation.Steps_x);
        Assert.Equal(5 * Math.Pow(1.5, 4), M.PowerDerivative(1.5, 5), 12);
    }

    [Fact]
    public void TheDerivation_NamesTheStepCountT_Throughout()
    {
        // A mean over the steps divides by T, the count the formula defines (T = n_x), not by an n defined nowhere.
        Assert.StartsWith(@"f = \frac{\mathrm{loss}_{T}}{T},", M.RnnDerivation.Formula);
        Assert.Contains(@"{\delta_{\mathrm{loss}}}_{T} &= \frac{\partial f}{\partial \mathrm{loss}_{T}} = \frac{1}{T}", M.RnnDerivation.Steps_w);
        // The vector network's other lengths keep their names; the count is T everywhere, also in δ's last value.
        Assert.Contains(@"T = n_{x}", M.ElmanDerivation.Formula);
        Assert.DoesNotContain(@"\frac{1}{n}", M.ElmanDerivation.Steps_W);
        // Work before the loop over the same length: 1/T Σ_{i<T}, in every line (n and n_x mixed before).
        Assert.DoesNotContain("n_{x}", M.CenteredDerivation.Steps_a);
        Assert.Contains(@"\frac{1}{T} \sum_{i=0}^{T - 1} x_{i}", M.CenteredDerivation.Steps_a);
    }

    [Fact]
    public void TheDerivation_PrimesTheAdjoint_WhenAParameterIsNamedDelta()
    {
        // ∂f/∂delta = Σ_t δ′_{t+1} (1 − h²_{t+1}): the adjoint is δ′, the parameter δ; before, the derivative of the weighted
        // step with respect to the parameter also took the adjoint's share (an extra Σ h_{t+1}).
        var xs = new[] { 0.3, -0.2, 0.5, 0.1 };
        var partial = M.NamedDeltaDerivative(0.4, xs);
        Matches(d => M.NamedDelta(d, xs), 0.4, partial, "delta");
        Assert.Contains("\\delta'", M.NamedDeltaDerivation.Partial_delta);
        Assert.EndsWith(@"= \sum_{t=0}^{T - 1} \delta'_{t + 1} \left(1 - h_{t + 1}^{2}\right)", M.NamedDeltaDerivation.Partial_delta);
        Assert.Contains(@"T = n_{\mathrm{xs}}", M.NamedDeltaDerivation.Formula);
    }

    private static double[,] Matrix(int rows, int columns, int seed, double scale = 1)
    {
        var values = Random(rows * columns, seed, scale);
        var m = new double[rows, columns];
        for (var i = 0; i < rows; i++)
        for (var j = 0; j < columns; j++) m[i, j] = values[i * columns + j];
        return m;
    }

    // Every element of a matrix variable against central differences of the method.
    private static void MatrixMatches(Func<double[,], double> f, double[,] at, double[,] gradient, string name)
    {
        for (var i = 0; i < at.GetLength(0); i++)
        for (var j = 0; j < at.GetLength(1); j++)
        {
            var q = (double[,])at.Clone();
            var (r, c) = (i, j);
            Matches(v => { q[r, c] = v; return f(q); }, at[i, j], gradient[i, j], $"{name}[{i},{j}]");
        }
    }

    [Theory]
    [InlineData(1, 3, 2)]
    [InlineData(25, 5, 3)]
    [InlineData(300, 8, 2)]
    public void VectorState_Elman_MatchesDifferences_ForEveryWeight(int steps, int hidden, int inputs)
    {
        var (W, U, x) = (Matrix(hidden, hidden, 1, 0.6), Matrix(hidden, inputs, 2), Matrix(steps, inputs, 3));
        var (b, v, y) = (Random(hidden, 4, 0.3), Random(hidden, 5), Random(steps, 6));
        var (dW, dU, db, dv) = (new double[hidden, hidden], new double[hidden, inputs], new double[hidden], new double[hidden]);
        var value = M.ElmanGradient(W, U, b, v, 0.2, x, y, dW, dU, db, dv, out var dc);
        Assert.Equal(M.Elman(W, U, b, v, 0.2, x, y), value, 12);
        MatrixMatches(w => M.Elman(w, U, b, v, 0.2, x, y), W, dW, "W");
        MatrixMatches(u => M.Elman(W, u, b, v, 0.2, x, y), U, dU, "U");
        for (var i = 0; i < hidden; i++)
        {
            var (qb, qv) = ((double[])b.Clone(), (double[])v.Clone());
            var k = i;
            Matches(z => { qb[k] = z; return M.Elman(W, U, qb, v, 0.2, x, y); }, b[i], db[i], "b" + i);
            Matches(z => { qv[k] = z; return M.Elman(W, U, b, qv, 0.2, x, y); }, v[i], dv[i], "v" + i);
        }
        Matches(z => M.Elman(W, U, b, v, z, x, y), 0.2, dc, "c");
    }

    [Fact]
    public void VectorState_OneHiddenUnit_IsTheScalarCell()
    {
        // h ← tanh(w h + u x_t + b) with the read-out h itself: the scalar Rnn, written with a span state.
        var x = Random(50, 11);
        var y = Random(50, 12);
        var (W, U) = (new[,] { { 0.8 } }, new[,] { { -0.6 } });
        var xs = new double[50, 1];
        for (var t = 0; t < 50; t++) xs[t, 0] = x[t];
        var (dW, dU, db, dv) = (new double[1, 1], new double[1, 1], new double[1], new double[1]);
        var value = M.ElmanGradient(W, U, new[] { 0.1 }, new[] { 1.0 }, 0, xs, y, dW, dU, db, dv, out _);
        var scalar = M.RnnGradient(0.8, -0.6, 0.1, x, y, out var dw, out var du, out var dbs);
        Assert.Equal(scalar, value, 14);
        Assert.Equal(dw, dW[0, 0], 13);
        Assert.Equal(du, dU[0, 0], 13);
        Assert.Equal(dbs, db[0], 13);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(100)]
    public void VectorState_Checkpointing_GivesTheSameBits(int segment)
    {
        var (W, U, x) = (Matrix(6, 6, 21, 0.5), Matrix(6, 2, 22), Matrix(150, 2, 23));
        var (b, v, y) = (Random(6, 24), Random(6, 25), Random(150, 26));
        var (dW, dU, db, dv) = (new double[6, 6], new double[6, 2], new double[6], new double[6]);
        var (cW, cU, cb, cv) = (new double[6, 6], new double[6, 2], new double[6], new double[6]);
        Assert.Equal(M.ElmanGradient(W, U, b, v, 0.1, x, y, dW, dU, db, dv, out var dc),
            M.ElmanGradientCheckpointed(W, U, b, v, 0.1, x, y, cW, cU, cb, cv, out var cc, segment));
        Assert.Equal(dW, cW);
        Assert.Equal(dU, cU);
        Assert.Equal(db, cb);
        Assert.Equal(dv, cv);
        Assert.Equal(dc, cc);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(40)]
    public void VectorState_FromParameters_CopiedWithCopyTo_ReadAfterTheLoop(int steps)
    {
        var x = Random(steps, 30);
        var h0 = Random(5, 31);
        var dh0 = new double[5];
        var value = M.DecayGradient(h0, 0.7, x, dh0, out var da);
        Assert.Equal(M.Decay(h0, 0.7, x), value, 13);
        Matches(z => M.Decay(h0, z, x), 0.7, da, "a");
        for (var i = 0; i < 5; i++)
        {
            var q = (double[])h0.Clone();
            var k = i;
            Matches(z => { q[k] = z; return M.Decay(q, 0.7, x); }, h0[i], dh0[i], "h0_" + i);
        }
        var checkpointed = new double[5];
        Assert.Equal(value, M.DecayGradientCheckpointed(h0, 0.7, x, checkpointed, out var ca, 2));
        Assert.Equal(dh0, checkpointed);
        Assert.Equal(da, ca);
    }

    [Fact]
    public void ArrayLocal_WithoutALoopCarryingState_IsItsElementsFormula()
    {
        var (W, v, x) = (Matrix(4, 3, 40), Random(4, 41), Random(3, 42));
        var dW = new double[4, 3];
        var dv = new double[4];
        var value = M.HiddenLayerGradient(W, v, x, dW, dv);
        Assert.Equal(M.HiddenLayer(W, v, x), value, 14);
        MatrixMatches(w => M.HiddenLayer(w, v, x), W, dW, "W");
        for (var i = 0; i < 4; i++)
        {
            var q = (double[])v.Clone();
            var k = i;
            Matches(z => { q[k] = z; return M.HiddenLayer(W, q, x); }, v[i], dv[i], "v" + i);
        }
    }

    [Fact]
    public void NeighbourReads_StayInRange_AndEmptyArraysSizeNoNegativeBuffer()
    {
        // x[k + 1] was computed into a local before the test k < n − 1 that guards it: IndexOutOfRange for every x.
        foreach (var n in new[] { 1, 2, 5 })
        {
            var x = Random(n, 50 + n);
            var dx = new double[n];
            Assert.Equal(M.NeighbourDifferences(x), M.NeighbourDifferencesGradient(x, dx), 14);
            for (var i = 0; i < n; i++)
            {
                var q = (double[])x.Clone();
                var k = i;
                Matches(z => { q[k] = z; return M.NeighbourDifferences(q); }, x[i], dx[i], "x" + i);
            }
        }
        // b empty: buffers of b.Length − 1 elements were stackalloc'd at −1 (the process ended).
        var dWEmpty = new double[0, 2];
        Assert.Equal(0.0, M.NeighbourProductsGradient(new double[0, 2], new[] { 0.3, -0.4 }, ReadOnlySpan<double>.Empty, dWEmpty, new double[2]));
        var (W, a, b) = (Matrix(4, 3, 60), Random(3, 61), Random(4, 62));
        var dW = new double[4, 3];
        var da = new double[3];
        Assert.Equal(M.NeighbourProducts(W, a, b), M.NeighbourProductsGradient(W, a, b, dW, da), 13);
        MatrixMatches(w => M.NeighbourProducts(w, a, b), W, dW, "W");
        for (var i = 0; i < 3; i++)
        {
            var q = (double[])a.Clone();
            var k = i;
            Matches(z => { q[k] = z; return M.NeighbourProducts(W, q, b); }, a[i], da[i], "a" + i);
        }
    }

    [Fact]
    public void ElementsReadInTheIterationThatWritesThem_AreTheValuesWritten()
    {
        var v = Random(6, 50);
        var value = M.WrittenThenReadGradient(0.7, v, out var dw);
        Assert.Equal(M.WrittenThenRead(0.7, v), value, 14);
        Assert.NotEqual(0, value);
        Matches(z => M.WrittenThenRead(z, v), 0.7, dw, "w");
        var x = Random(20, 51);
        value = M.ReadBackInStepGradient(0.9, x, out dw);
        Assert.Equal(M.ReadBackInStep(0.9, x), value, 13);
        Matches(z => M.ReadBackInStep(z, x), 0.9, dw, "w");
    }

    [Fact]
    public void LoopIndexNamedLikeAGeneratedLocal_Compiles_AndSegmentsAreBounded()
    {
        Assert.Equal(M.NamedLikeLocals(0.9, 12), M.NamedLikeLocalsGradient(0.9, 12, out var dw), 14);
        Matches(z => M.NamedLikeLocals(z, 12), 0.9, dw, "w");
        Assert.Equal(M.NamedLikeLocals(0.9, 12), M.NamedLikeLocalsGradientCheckpointed(0.9, 12, out var cw, 5));
        Assert.Equal(dw, cw);
        // A segment longer than the loop is the loop: no buffer of int.MaxValue elements.
        var x = Random(10, 52);
        var y = Random(10, 53);
        var expected = M.RnnGradient(0.5, 0.5, 0.5, x, y, out var ew, out _, out _);
        Assert.Equal(expected, M.RnnGradientCheckpointed(0.5, 0.5, 0.5, x, y, out var mw, out _, out _, int.MaxValue));
        Assert.Equal(ew, mw);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(30)]
    public void TwoCarriedArrays_OneReadingTheOthersNewElements_MatchDifferences(int steps)
    {
        var (wf, wg) = (Matrix(4, 4, 60, 0.7), Matrix(4, 4, 61, 0.7));
        var (u, x) = (Random(4, 62), Random(steps, 63));
        var (dwf, dwg, du) = (new double[4, 4], new double[4, 4], new double[4]);
        var value = M.VectorLstmGradient(wf, wg, u, x, dwf, dwg, du);
        Assert.Equal(M.VectorLstm(wf, wg, u, x), value, 13);
        MatrixMatches(w => M.VectorLstm(w, wg, u, x), wf, dwf, "wf");
        MatrixMatches(w => M.VectorLstm(wf, w, u, x), wg, dwg, "wg");
        for (var i = 0; i < 4; i++)
        {
            var q = (double[])u.Clone();
            var k = i;
            Matches(z => { q[k] = z; return M.VectorLstm(wf, wg, q, x); }, u[i], du[i], "u" + i);
        }
        var (cf, cg, cu) = (new double[4, 4], new double[4, 4], new double[4]);
        Assert.Equal(value, M.VectorLstmGradientCheckpointed(wf, wg, u, x, cf, cg, cu, 4));
        Assert.Equal(dwf, cf);
        Assert.Equal(du, cu);
    }
}

