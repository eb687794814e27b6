using System;
using System.Collections.Generic;
using System.Linq;
using SymGrad.Symbolic;
using SymGrad.Symbolic.Plans;
using Xunit;

namespace SymGrad.Symbolic.Tests;

/// <summary>
/// The lowering's plans, tested as plans: which loops, accumulators, kernel calls, scatters and vector loops a gradient
/// becomes, and where they sit, independently of how the C# printer spells them.
/// </summary>
public class LoweringPlanTests
{
    private static readonly Expr S = Expr.Index("s"), I = Expr.Index("i"), J = Expr.Index("j"), K = Expr.Index("k"), M = Expr.Index("m"), N = Expr.Index("n");

    // Every step of a block, depth first, with the steps inside loops, branches and vector loops.
    private static IEnumerable<Step> All(Block block)
    {
        foreach (var step in block.Steps)
        {
            yield return step;
            var inner = step switch
            {
                For f => new[] { f.Body },
                If c => c.Else is null ? new[] { c.Then } : new[] { c.Then, c.Else },
                VectorLoop v => new[] { new Block(v.Setup), v.Body, v.Remainder },
                _ => Array.Empty<Block>(),
            };
            foreach (var b in inner)
                foreach (var s in All(b))
                    yield return s;
        }
    }

    private static (Expr F, Expr[] Variables, IndexedCode.ArrayParameter[] Parameters) Dense()
    {
        // Σ_s Σ_j Δ[s,j] (b_j + Σ_i A[s,i] W[i,j]) over float matrix views.
        var z = Expr.Element("b", J) + Expr.Sum(I, Expr.Length("A", 1), Expr.Element("A", S, I) * Expr.Element("W", I, J));
        var f = Expr.Sum(S, Expr.Length("A", 0), Expr.Sum(J, Expr.Length("b"), Expr.Element("Delta", S, J) * z));
        var variables = new[] { Expr.Element("W", Expr.Index("p"), Expr.Index("q")), Expr.Element("A", Expr.Index("u"), Expr.Index("v")) };
        const string view = "global::SymGrad.ReadOnlyMatrix<float>", writable = "global::SymGrad.Matrix<float>";
        var parameters = new[]
        {
            new IndexedCode.ArrayParameter("W", 2, view, writable), new IndexedCode.ArrayParameter("b", 1),
            new IndexedCode.ArrayParameter("A", 2, view, writable), new IndexedCode.ArrayParameter("Delta", 2, view, writable),
        };
        return (f, variables, parameters);
    }

    [Fact]
    public void Plans_AreValues_AndPrintAsTheGeneratedMethod()
    {
        var (f, variables, parameters) = Dense();
        var a = IndexedCode.Plan(Differentiator.Gradient(f, variables), "G", useFloat: true, parameters: parameters, returnValue: false);
        var b = IndexedCode.Plan(Differentiator.Gradient(f, variables), "G", useFloat: true, parameters: parameters, returnValue: false);
        Assert.Equal(a.Body, b.Body);
        Assert.Equal(a.Body.GetHashCode(), b.Body.GetHashCode());
        var other = IndexedCode.Plan(Differentiator.Gradient(f, variables), "G", useFloat: false, parameters: parameters, returnValue: false);
        Assert.NotEqual(a.Body, other.Body);
        Assert.Equal(IndexedCode.PrintGradientMethod(Differentiator.Gradient(f, variables), "G", CSharpPrinter.Float, parameters: parameters, returnValue: false),
            PlanPrinter.Print(a, CSharpPrinter.Float));
    }

    [Fact]
    public void FloatViewContractions_AreKernelCalls_UnderShapeChecks_WithTheLoopsAsFallback()
    {
        var (f, variables, parameters) = Dense();
        var plan = IndexedCode.Plan(Differentiator.Gradient(f, variables), "G", useFloat: true, parameters: parameters, returnValue: false);
        var guarded = All(plan.Body).OfType<If>().Where(c => c.Else != null && All(c.Then).OfType<Call>().Any()).ToList();
        Assert.Equal(2, guarded.Count);
        // ∂/∂W = Aᵀ·Δ: one product into the whole of dW; ∂/∂A = Δ·Wᵀ per block of rows.
        var calls = guarded.SelectMany(c => All(c.Then)).OfType<Call>().Select(c => c.Kernel).ToList();
        Assert.Contains(calls, c => c.Kernel == Kernel.MultiplyTransposedA && c.Args[2] is ViewArg { Array: "dW" } && c.Args[6] is AccumulateArg { Value: true });
        Assert.Contains(calls, c => c.Kernel == Kernel.MultiplyTransposedB && c.Args[2] is ViewArg { Array: "dA" });
        // Writing (not adding) starts from zero; the fallback is the element loop.
        foreach (var c in guarded)
        {
            Assert.IsType<Clear>(c.Then.Steps[0]);
            Assert.IsType<All>(c.Condition);
            Assert.IsType<For>(Assert.Single(c.Else!.Steps));
        }
        // Double code has no kernel to call: loops only.
        var doubles = IndexedCode.Plan(Differentiator.Gradient(f, variables), "G", useFloat: false, parameters: parameters, returnValue: false);
        Assert.Empty(All(doubles.Body).OfType<Call>());
    }

    [Fact]
    public void TheContractionPass_ReplacesTheElementLoops_AndKeepsThemAsTheFallback()
    {
        var (f, variables, parameters) = Dense();
        var (lowered, lowering) = IndexedCode.Lower(Differentiator.Gradient(f, variables), "G", useFloat: true, parameters: parameters, returnValue: false);
        // As the formulas say it: loops over each gradient's elements assigning its whole partial, Σs inside, no kernels.
        Assert.Empty(All(lowered.Body).OfType<Call>());
        Assert.Empty(All(lowered.Body).OfType<Straight>());
        var nests = lowered.Body.Steps.OfType<If>().Where(c => c.Condition is Wanted).Select(c => Assert.IsType<For>(Assert.Single(c.Then.Steps))).ToList();
        Assert.Equal(2, nests.Count);
        Assert.All(nests.Select(n => All(n.Body).OfType<Assign>().Single()), a => Assert.Contains(Graph.PostOrder(a.Value), e => e.Kind == ExprKind.Sum));

        var contracted = lowering.Contractions(lowered.Body);
        var dW = contracted.Steps.OfType<If>().Single(c => c.Condition is Wanted { Output: "dW" });
        var kernels = Assert.IsType<If>(Assert.Single(dW.Then.Steps));
        Assert.Equal(nests[0], Assert.Single(kernels.Else!.Steps));
        Assert.Contains(All(kernels.Then).OfType<Call>(), c => c.Kernel.Kernel == Kernel.MultiplyTransposedA);
        var dA = contracted.Steps.OfType<If>().Single(c => c.Condition is Wanted { Output: "dA" });
        Assert.Equal(nests[1], Assert.IsType<If>(Assert.Single(dA.Then.Steps)).Else!.Steps.Single());
        // The other passes leave it; placement turns the fallback's Σs into accumulator loops and its stores into code.
        var placed = lowering.Place(lowering.Vectors(lowering.Scatters(contracted)));
        Assert.Empty(All(placed).OfType<Assign>());
        Assert.NotEmpty(All(placed).OfType<Straight>());
        Assert.Equal(2, All(placed).OfType<Call>().Count());
    }

    [Fact]
    public void TheScatterPass_WalksTheTerms_OfAPartialThatWouldSearch()
    {
        var f = Expr.Sum(M, Expr.Length("G", 0), Expr.Sum(N, Expr.Length("G", 1),
            Expr.Element("G", M, N) * Expr.MaxOver(I, Expr.Const(2), Expr.MaxOver(J, Expr.Const(2), Expr.Element("X", 2 * M + I, 2 * N + J)))));
        var (lowered, lowering) = IndexedCode.Lower(Differentiator.Gradient(f, new[] { Expr.Element("X", Expr.Index("u"), Expr.Index("v")) }), "G", useFloat: false, returnValue: false);
        Assert.DoesNotContain(All(lowered.Body), s => s is Assign { Scatter: true });
        var scattered = lowering.Scatters(lowered.Body);
        var wanted = scattered.Steps.OfType<If>().Single(c => c.Condition is Wanted { Output: "dX" });
        Assert.IsType<Clear>(wanted.Then.Steps[0]);
        var add = Assert.Single(All(wanted.Then).OfType<Assign>());
        Assert.True(add.Scatter);
        Assert.Equal(StoreKind.Add, add.Target.Kind);
        // Its positions are the window's argmax (selects), its loops the windows'.
        Assert.All(add.Target.Indices, i => Assert.Contains(Graph.PostOrder(((IntOf)i).Value), e => e.Kind == ExprKind.If || e.IsComparison));
        Assert.Equal(new[] { "m", "n" }, All(wanted.Then).OfType<For>().Select(x => x.Index));
    }

    [Fact]
    public void KernelCalls_CheckTheirArguments_AgainstTheKernelTable()
    {
        var rows = new ViewArg("A", "Slice", Seq.Of(IntValue.Const(0), IntValue.Const(1)));
        var n = new IntArg(IntValue.Const(1));
        Assert.Throws<ArgumentException>(() => new KernelCall(Kernel.Multiply, rows, rows, rows, n, n));
        Assert.Throws<ArgumentException>(() => new KernelCall(Kernel.Multiply, rows, n, rows, n, n, n, new AccumulateArg(true)));
        var call = new KernelCall(Kernel.Multiply, rows, rows, rows, n, n, n, new AccumulateArg(false));
        Assert.Equal(7, call.Args.Count);
    }

    [Fact]
    public void ANormaliser_IsAccumulatedOnce_BeforeTheLoopThatUsesIt()
    {
        // f = log Σ_j e^{z_j} − z_0: ∂f/∂z_k = e^{z_k − max} / Σ_j e^{z_j − max} − [k = 0]. The max and the sum have no
        // free index: each is one loop into a local before the element loop over k, which only reads them.
        var f = Expr.Log(Expr.Sum(J, Expr.Length("z"), Expr.Exp(Expr.Element("z", J)))) - Expr.Element("z", Expr.Zero);
        var plan = IndexedCode.Plan(Differentiator.Gradient(f, new[] { Expr.Element("z", K) }), "G", useFloat: false, returnValue: false);
        var steps = plan.Body.Steps.ToList();
        var wanted = steps.OfType<If>().Single(c => c.Condition is Wanted { Output: "dz" });
        var before = steps.Take(steps.IndexOf(wanted)).ToList();
        var reductions = before.OfType<For>().ToList();
        Assert.Equal(new[] { "j", "j" }, reductions.Select(r => r.Index));
        var locals = before.OfType<Declare>().Select(d => d.Name).ToList();
        Assert.Equal(2, locals.Count);
        Assert.Contains(All(reductions[1].Body).OfType<Straight>().SelectMany(x => x.Stores), x => x.Kind == StoreKind.Add && x.Name == locals[1]);
        var loop = Assert.IsType<For>(Assert.Single(wanted.Then.Steps));
        Assert.Equal("k", loop.Index);
        Assert.Empty(All(loop.Body).OfType<For>());
        var store = Assert.Single(All(loop.Body).OfType<Straight>().SelectMany(x => x.Stores));
        Assert.Equal((StoreKind.Set, "dz", 1), (store.Kind, store.Name, store.Indices.Count));
        var value = All(loop.Body).OfType<Straight>().Single().Program.Outputs.Single().Value;
        Assert.All(locals, l => Assert.Contains(Expr.Var(l), Graph.PostOrder(value)));
    }

    [Fact]
    public void ASumOnlyABranchInsideALoopNeeds_IsComputedOnce_NotPerIteration()
    {
        // max(0, max_i x_i): ∂/∂x_k = [max > 0]·[k = argmax_i x_i]. The argmax has no free index but only the branch
        // inside the loop over k needs it: it is computed the first time the branch runs, into a local declared before
        // the loop (a flag says whether it has been), not searched again for every k (quadratic).
        var f = Expr.Max(Expr.Zero, Expr.MaxOver(I, Expr.Length("x"), Expr.Element("x", I)));
        var plan = IndexedCode.Plan(Differentiator.Gradient(f, new[] { Expr.Element("x", K) }), "G", useFloat: false, returnValue: false);
        var wanted = plan.Body.Steps.OfType<If>().Single(c => c.Condition is Wanted);
        var slot = plan.Body.Steps.OfType<DeclareFlag>().Single();
        Assert.Equal(new BoolConst(false), slot.Value);
        var loop = Assert.IsType<For>(Assert.Single(wanted.Then.Steps));
        // Inside the loop over k, the only loop over i is under "if (!have)", which sets the flag.
        var once = All(loop.Body).OfType<If>().Single(c => c.Condition is Not { Operand: Flag { Name: var n } } && n == slot.Name);
        Assert.Contains(new SetFlag(slot.Name, true), once.Then.Steps);
        Assert.Equal(All(loop.Body).OfType<For>().Count(), All(once.Then).OfType<For>().Count());
        Assert.NotEmpty(All(once.Then).OfType<For>());
    }

    [Fact]
    public void ArgmaxScatter_StoresItsPositionsAsInts()
    {
        // Max pooling: ∂/∂X is a scatter to each window's argmax; the positions are int stores, the values floating.
        var f = Expr.Sum(M, Expr.Length("G", 0), Expr.Sum(N, Expr.Length("G", 1),
            Expr.Element("G", M, N) * Expr.MaxOver(I, Expr.Const(2), Expr.MaxOver(J, Expr.Const(2), Expr.Element("X", 2 * M + I, 2 * N + J)))));
        var plan = IndexedCode.Plan(Differentiator.Gradient(f, new[] { Expr.Element("X", Expr.Index("u"), Expr.Index("v")) }), "G", useFloat: false, returnValue: false);
        var stores = All(plan.Body).OfType<Straight>().SelectMany(s => s.Stores).ToList();
        var positions = stores.Where(s => s.Kind == StoreKind.Declare).ToList();
        Assert.Equal(2, positions.Count);
        Assert.All(positions, p => Assert.Equal(NumericType.Int, p.Type));
        var add = Assert.Single(stores, s => s.Kind == StoreKind.Add && s.Name == "dX");
        Assert.Equal(NumericType.Double, add.Type);
        Assert.Equal(positions.Select(p => (IntValue)new IntLocal(p.Name)), add.Indices);
        Assert.Contains(All(plan.Body), s => s is Clear { Array: "dX", Storage: ArrayStorage.Array });
        Assert.Empty(All(plan.Body).OfType<VectorLoop>());
    }

    [Fact]
    public void ChannelScatterOverFloatViews_IsAVectorLoop_WithTheScalarLoopForTheRest()
    {
        // Average pooling over the last axis of 4-D float views: dX[s, 2m + i, 2n + j, c] += G[s, m, n, c] / 4.
        Expr c = Expr.Index("c");
        var window = Expr.Sum(I, Expr.Const(2), Expr.Sum(J, Expr.Const(2), Expr.Element("X", S, 2 * M + I, 2 * N + J, c))) / 4;
        var f = Expr.Sum(S, Expr.Length("G", 0), Expr.Sum(M, Expr.Length("G", 1), Expr.Sum(N, Expr.Length("G", 2), Expr.Sum(c, Expr.Length("G", 3),
            Expr.Element("G", S, M, N, c) * window))));
        const string view = "global::SymGrad.ReadOnlyTensor4<float>", writable = "global::SymGrad.Tensor4<float>";
        var parameters = new[] { new IndexedCode.ArrayParameter("G", 4, view, writable), new IndexedCode.ArrayParameter("X", 4, view, writable) };
        var variable = Expr.Element("X", Expr.Index("a"), Expr.Index("u"), Expr.Index("v"), Expr.Index("w"));
        var plan = IndexedCode.Plan(Differentiator.Gradient(f, new[] { variable }), "G", useFloat: true, parameters: parameters, returnValue: false);
        var vector = Assert.Single(All(plan.Body).OfType<VectorLoop>());
        Assert.Equal("c", vector.Index);
        Assert.Equal(4, vector.Body.Steps.OfType<AddLanes>().Count());
        Assert.All(vector.Body.Steps.OfType<DeclareRun>(), r => Assert.True(r.Run.Counted));
        Assert.Contains(All(vector.Remainder).OfType<Straight>().SelectMany(s => s.Stores), s => s.Kind == StoreKind.Add && s.Name == "dX");
        // The same in double has no vector loop.
        var doubles = IndexedCode.Plan(Differentiator.Gradient(f, new[] { variable }), "G", useFloat: false, returnValue: false);
        Assert.Empty(All(doubles.Body).OfType<VectorLoop>());
    }
}
