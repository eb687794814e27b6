using System;
using System.Globalization;
using System.Linq;
using SymGrad;
using SymGrad.Data;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Optimizers;
using SymGrad.Tensors;
using SymGrad.Training;

// A user-defined activation (Swish) and loss (pseudo-Huber), written as plain methods: SymGrad generates their
// derivatives at build time and the network trains on them, with no derivative code written here.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
Console.WriteLine("Swish'(x), generated:       " + Custom.SwishDerivation.Partial_x);
Console.WriteLine("∂PseudoHuber/∂prediction: " + Custom.PseudoHuberDerivation.Partial_prediction);

// Fit y = sin(3x) on [−1, 1].
var random = new Random(3);
const int n = 256;
var x = new Tensor(n, 1);
var y = new Tensor(n, 1);
for (var i = 0; i < n; i++)
{
    x[i, 0] = (float)(random.NextDouble() * 2 - 1);
    y[i, 0] = MathF.Sin(3 * x[i, 0]);
}
var network = new Network(
    new Dense(1, 32, seed: 1),
    new FunctionActivation(Custom.Swish, Custom.SwishDerivative),
    new Dense(32, 32, seed: 2),
    new FunctionActivation(Custom.Swish, Custom.SwishDerivative),
    new Dense(32, 1, seed: 3));
var loss = new FunctionLoss(Custom.PseudoHuber, Custom.PseudoHuberDerivative);
var history = Trainer.Fit(network, loss, new Adam(0.01f), new Dataset(x, y), new TrainingOptions
{
    Epochs = 200,
    BatchSize = 32,
    Seed = 4,
    OnEpoch = r => { if (r.Epoch % 40 == 0) Console.WriteLine(ConsoleProgress.Format(r, 200)); },
});
var mse = Trainer.Evaluate(network, new MeanSquaredError(), new Dataset(x, y)).Loss;
Console.WriteLine($"after {history.Epochs.Count} epochs: pseudo-Huber {history.Epochs[^1].TrainLoss:F5}, half mean squared error {mse:F5}");
foreach (var v in new[] { -0.8f, 0f, 0.5f })
{
    var p = network.Predict(new Tensor(new[] { v }, 1, 1))[0, 0];
    Console.WriteLine($"  f({v,4}) = {p:F3}   sin(3·{v}) = {MathF.Sin(3 * v):F3}");
}

// Calls across types and int labels: a loss in another class calls Custom.Swish through its generated derivative, and a
// softmax cross-entropy takes its class label as an int (no one-hot vector).
var logits = new[] { 2.0, -1.0, 0.5 };
var dz = new double[3];
var crossEntropy = Classification.SparseCrossEntropyGradient(logits, 2, dz);
Console.WriteLine($"sparse cross-entropy, label 2: {crossEntropy:F4}; ∂/∂z = softmax − one-hot = [{string.Join(", ", dz.Select(d => d.ToString("F4")))}]");
var unit = Classification.UnitGradient(0.5f, -0.1f, 1.2f, 0.3f, out var dw, out var db);
Console.WriteLine($"(Swish(w·x + b) − y)² with another class's Swish: {unit:F4}, ∂/∂w = {dw:F4}, ∂/∂b = {db:F4}");
Console.WriteLine("∂/∂w, generated: " + Classification.UnitDerivation.Partial_w);

/// <summary>Losses that call other types' differentiable methods, and one with an int label.</summary>
public static partial class Classification
{
    /// <summary>log Σ e^{z_j} − z[label]: its gradient is softmax(z) − onehot(label).</summary>
    [Differentiable(nameof(z))]
    public static double SparseCrossEntropy(ReadOnlySpan<double> z, int label)
    {
        var s = 0.0;
        for (var j = 0; j < z.Length; j++) s += Math.Exp(z[j]);
        return Math.Log(s) - z[label];
    }

    /// <summary>A squared error through Custom.Swish (another class): the chain rule calls Custom.SwishDerivative.</summary>
    [Differentiable(nameof(w), nameof(b))]
    public static float Unit(float w, float b, float x, float y)
    {
        var e = Custom.Swish(w * x + b) - y;
        return e * e;
    }
}

public static partial class Custom
{
    /// <summary>Swish, x·σ(x).</summary>
    [Differentiable]
    public static float Swish(float x) => x / (1f + MathF.Exp(-x));

    /// <summary>Pseudo-Huber loss: quadratic near 0, linear far out.</summary>
    [Differentiable(nameof(prediction))]
    public static float PseudoHuber(float prediction, float target) =>
        MathF.Sqrt(1f + (prediction - target) * (prediction - target)) - 1f;
}
