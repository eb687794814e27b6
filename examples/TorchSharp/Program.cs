using System;
using System.CommandLine;
using SymGrad.Examples;
using SymGrad.Torch;
using TorchSharpModel;
using TorchSharp;
using static TorchSharp.torch;

// Two interleaved spirals, classified by a TorchSharp MLP whose activation (Swish) and loss (a focal loss on logits) are
// [Differentiable] methods: their forward and backward passes are the tensor code SymGrad generated from the C# above,
// run by libtorch on the CPU, or on a CUDA GPU where a CUDA build of libtorch is referenced.
var epochsOption = ExampleCommandLine.Integer("--epochs", "Full-batch Adam steps", 300);
var command = new RootCommand(
    "Two spirals classified by a TorchSharp MLP whose Swish activation and focal loss are [Differentiable, TorchFunction] " +
    "methods, run by libtorch.\n" +
    "Run: bash examples/TorchSharp/run.sh [options]")
{
    epochsOption,
};
if (ExampleCommandLine.Parse(command, args, out var parse) is { } exit) return exit;
var epochs = parse.GetValue(epochsOption);
var device = cuda.is_available() ? CUDA : CPU;
manual_seed(1);

const int perClass = 500;
var (x, y) = Spirals(perClass);
x = x.to(device);
y = y.to(device);

var model = nn.Sequential(
    ("fc1", nn.Linear(2, 64)), ("swish1", Functions.SwishModule()),
    ("fc2", nn.Linear(64, 64)), ("swish2", Functions.SwishModule()),
    ("out", nn.Linear(64, 1))).to(device);
var loss = new LossModule("focal", (z, target) => Functions.FocalWithLogits(z, target, 2.0));
var optimizer = optim.Adam(model.parameters(), 0.01);

Console.WriteLine($"Two spirals, {2 * perClass} points, MLP 2-64-64-1 with the generated Swish, focal loss (γ = 2), Adam, on {device.type}");
double first = 0, last = 0;
for (var epoch = 1; epoch <= epochs; epoch++)
{
    using var scope = NewDisposeScope();
    optimizer.zero_grad();
    var value = loss.forward(model.forward(x), y);
    value.backward();
    optimizer.step();
    last = value.item<float>();
    if (epoch == 1) first = last;
    if (epoch == 1 || epoch % 50 == 0) Console.WriteLine($"epoch {epoch,4}: loss {last:0.00000}");
}
using (no_grad())
{
    var predicted = (model.forward(x) > 0).to_type(ScalarType.Float32);
    var accuracy = (predicted == y).to_type(ScalarType.Float32).mean().item<float>();
    Console.WriteLine($"Accuracy on the training spirals: {accuracy:P1}; loss {first:0.0000} → {last:0.0000}");
}

return 0;

// Points on two spirals (one per class), with a little noise; targets [n, 1].
static (Tensor X, Tensor Y) Spirals(int n)
{
    var t = linspace(0.25, 3 * Math.PI, n);
    var noise = 0.15;
    var a = stack(new[] { t * t.cos(), t * t.sin() }, 1) / 3 + randn(n, 2) * noise;
    var b = stack(new[] { -t * t.cos(), -t * t.sin() }, 1) / 3 + randn(n, 2) * noise;
    var labels = cat(new[] { zeros(n, 1), ones(n, 1) }, 0);
    return (cat(new[] { a, b }, 0), labels);
}
