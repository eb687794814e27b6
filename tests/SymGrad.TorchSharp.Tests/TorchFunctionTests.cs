using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace SymGrad.Torch.Tests;

/// <summary>
/// The generated TorchSharp functions against libtorch's own autograd of the same composite written with tensor
/// operations (float, 1e-6), and against the method itself: the value is the method's, element by element, and the
/// gradient its generated partials.
/// </summary>
public class TorchFunctionTests
{
    private const int N = 4096;

    private static Tensor Uniform(long seed, double low, double high, params long[] shape)
    {
        var g = new Generator((ulong)seed);
        return rand(shape, generator: g) * (high - low) + low;
    }

    // Value and gradient of f through the generated function and through autograd of the composite, from the same inputs
    // and upstream gradient; checks that they agree to 1e-6 (relative to the magnitude, at least 1).
    private static (float[] Value, float[][] Gradients) Compare(Func<Tensor[], Tensor> generated, Func<Tensor[], Tensor> composite, Tensor[] inputs, bool[] differentiated)
    {
        using var scope = NewDisposeScope();
        var upstream = Uniform(99, -1, 1, inputs.Select(i => i.shape).OrderByDescending(s => s.Length).First());
        (float[] Value, float[][] Gradients) Run(Func<Tensor[], Tensor> f)
        {
            var leaves = inputs.Select((x, i) => x.detach().clone().requires_grad_(differentiated[i])).ToArray();
            var y = f(leaves);
            y.backward(new[] { upstream });
            return (y.detach().data<float>().ToArray(), leaves.Select((l, i) => differentiated[i] ? l.grad!.data<float>().ToArray() : Array.Empty<float>()).ToArray());
        }
        var ours = Run(generated);
        var theirs = Run(composite);
        AssertClose(theirs.Value, ours.Value, "value");
        for (var i = 0; i < inputs.Length; i++) AssertClose(theirs.Gradients[i], ours.Gradients[i], $"gradient {i}");
        return ours;
    }

    private static void AssertClose(float[] expected, float[] actual, string what, double tolerance = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(expected[i] - actual[i]) / Math.Max(1, Math.Abs(expected[i]));
            Assert.True(error <= tolerance, $"{what}[{i}]: generated {actual[i]}, autograd of the composite {expected[i]}");
        }
    }

    [Fact]
    public void Gelu_MatchesAutogradOfTheComposite_AndTheMethod()
    {
        var x = Uniform(1, -6, 6, N);
        var (value, gradients) = Compare(t => TorchModel.Gelu(t[0]),
            t => 0.5f * t[0] * (1f + (0.7978845608028654f * (t[0] + 0.044715f * t[0].pow(3))).tanh()), new[] { x }, new[] { true });
        var xs = x.data<float>().ToArray();
        var upstream = Uniform(99, -1, 1, N).data<float>().ToArray();
        for (var i = 0; i < N; i++)
        {
            Assert.True(Math.Abs(TorchModel.Gelu(xs[i]) - value[i]) <= 1e-6 * Math.Max(1, Math.Abs(value[i])), $"Gelu({xs[i]})");
            Assert.True(Math.Abs(TorchModel.GeluDerivative(xs[i]) * upstream[i] - gradients[0][i]) <= 1e-5, $"Gelu'({xs[i]})");
        }
    }

    [Fact]
    public void Mish_MatchesAutogradOfTheComposite()
    {
        var x = Uniform(2, -8, 8, N);
        Compare(t => TorchModel.Mish(t[0]), t => t[0] * nn.functional.softplus(t[0]).tanh(), new[] { x }, new[] { true });
    }

    [Fact]
    public void FocalLoss_MatchesAutogradOfTheComposite_WithAScalarFocusing()
    {
        var p = Uniform(3, 0.01, 0.99, N);
        var y = (Uniform(4, 0, 1, N) > 0.5).to_type(ScalarType.Float32);
        foreach (var gamma in new[] { 0.0, 1.0, 2.0, 2.5 })
            Compare(t => TorchModel.Focal(t[0], t[1], gamma),
                t => -t[1] * (1 - t[0]).pow(gamma) * t[0].log() - (1 - t[1]) * t[0].pow(gamma) * (1 - t[0]).log(), new[] { p, y }, new[] { true, false });
    }

    [Fact]
    public void LogCosh_MatchesAutogradOfTheComposite_AndGivesTheTargetNoGradient()
    {
        var p = Uniform(5, -4, 4, N);
        var y = Uniform(6, -4, 4, N);
        Compare(t => TorchModel.LogCosh(t[0], t[1]), t => (t[0] - t[1]).cosh().log(), new[] { p, y }, new[] { true, false });
        // A target that asks for a gradient gets none from the function (it is not a differentiation variable).
        var target = y.clone().requires_grad_(true);
        var pred = p.clone().requires_grad_(true);
        TorchModel.LogCosh(pred, target).sum().backward();
        Assert.NotNull(pred.grad);
        Assert.True(target.grad is null || target.grad.IsInvalid);
    }

    [Fact]
    public void Conditional_IsTheBranchTakenElementByElement()
    {
        var x = Uniform(7, -3, 3, N);
        Compare(t => TorchModel.Leaky(t[0]), t => nn.functional.leaky_relu(t[0], 0.01), new[] { x }, new[] { true });
    }

    [Fact]
    public void TwoTensors_Broadcast_AndEachGetsItsGradientSummedToItsShape()
    {
        // a [64, 32] against b [32]: b's gradient sums over the rows it was repeated along.
        var a = Uniform(8, -2, 2, 64, 32).to_type(ScalarType.Float64);
        var b = Uniform(9, -2, 2, 32).to_type(ScalarType.Float64);
        using var scope = NewDisposeScope();
        var (a1, b1) = (a.clone().requires_grad_(true), b.clone().requires_grad_(true));
        TorchModel.Smooth(a1, b1).sum().backward();
        var (a2, b2) = (a.clone().requires_grad_(true), b.clone().requires_grad_(true));
        (maximum(a2, b2) + (a2.square() + 1).sqrt() * (-b2).exp()).sum().backward();
        Assert.Equal(new long[] { 32 }, b1.grad!.shape);
        Assert.True((a1.grad! - a2.grad!).abs().max().item<double>() < 1e-12);
        Assert.True((b1.grad! - b2.grad!).abs().max().item<double>() < 1e-12);
        // And it is the method: the value at one element, the partials against the generated scalar gradient.
        var (ai, bi) = (a[3, 5].item<double>(), b[5].item<double>());
        Assert.Equal(TorchModel.Smooth(ai, bi), TorchModel.Smooth(a, b)[3, 5].item<double>(), 12);
    }

    [Fact]
    public void ModuleInASequential_Trains()
    {
        // A small regression through the generated GELU module: the loss falls.
        var model = nn.Sequential(("fc1", nn.Linear(4, 16)), ("gelu", TorchModel.GeluModule()), ("fc2", nn.Linear(16, 1)));
        var x = Uniform(10, -1, 1, 256, 4);
        var y = (x * tensor(new float[] { 1, -2, 3, 0.5f })).sum(1, keepdim: true).sin();
        var optimizer = optim.Adam(model.parameters(), 0.01);
        float first = 0, last = 0;
        for (var step = 0; step < 200; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), y);
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < 0.2 * first, $"loss {first} → {last}");
        using var check = NewDisposeScope();
        Assert.True((TorchModel.GeluModule().forward(x) - TorchModel.Gelu(x)).abs().max().item<float>() == 0);
    }

    [Fact]
    public void LossModule_ReducesTheElementwiseLoss()
    {
        var p = Uniform(11, 0.05, 0.95, 100);
        var y = (Uniform(12, 0, 1, 100) > 0.5).to_type(ScalarType.Float32);
        using var scope = NewDisposeScope();
        var loss = new LossModule("focal", (a, b) => TorchModel.Focal(a, b, 2.0));
        Assert.Equal(TorchModel.Focal(p, y, 2.0).mean().item<float>(), loss.forward(p, y).item<float>(), 6);
        Assert.Equal(TorchModel.Focal(p, y, 2.0).sum().item<float>(), new LossModule("focal", (a, b) => TorchModel.Focal(a, b, 2.0), Reduction.Sum).forward(p, y).item<float>(), 4);
    }
}
