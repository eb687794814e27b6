using System;
using System.Globalization;
using SymGrad;

// Logistic regression on two Gaussian classes: the cross-entropy of σ(w·x + b) is written as a plain method and its
// gradient, (σ(w·x + b) − y)·x, is generated at build time. Full-batch gradient descent, then accuracy.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var random = new Random(7);
const int n = 400;
var x1 = new double[n];
var x2 = new double[n];
var y = new double[n];
for (var i = 0; i < n; i++)
{
    y[i] = i % 2;
    var (cx, cy) = y[i] == 1 ? (1.5, 1.0) : (-1.0, -1.0);
    x1[i] = cx + Gaussian(random);
    x2[i] = cy + Gaussian(random);
}

Console.WriteLine("∂L/∂w1 for one sample, generated:");
Console.WriteLine("  " + Logistic.CrossEntropyDerivation.Partial_w1);
double w1 = 0, w2 = 0, b = 0;
const double rate = 0.5;
for (var epoch = 0; epoch <= 300; epoch++)
{
    double loss = 0, g1 = 0, g2 = 0, gb = 0;
    for (var i = 0; i < n; i++)
    {
        loss += Logistic.CrossEntropyGradient(w1, w2, b, x1[i], x2[i], y[i], out var d1, out var d2, out var db);
        g1 += d1;
        g2 += d2;
        gb += db;
    }
    if (epoch % 50 == 0) Console.WriteLine($"epoch {epoch,3}  loss {loss / n:F4}  accuracy {Accuracy():P1}");
    w1 -= rate * g1 / n;
    w2 -= rate * g2 / n;
    b -= rate * gb / n;
}
Console.WriteLine($"Decision boundary: {w1:F2}·x1 {(w2 < 0 ? "−" : "+")} {Math.Abs(w2):F2}·x2 {(b < 0 ? "−" : "+")} {Math.Abs(b):F2} = 0, accuracy {Accuracy():P1}");

double Accuracy()
{
    var correct = 0;
    for (var i = 0; i < n; i++)
        if ((w1 * x1[i] + w2 * x2[i] + b > 0) == (y[i] == 1)) correct++;
    return (double)correct / n;
}

static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

public static partial class Logistic
{
    /// <summary>The article's binary cross-entropy of p = σ(w·x + b) for one sample.</summary>
    [Differentiable(nameof(w1), nameof(w2), nameof(b))]
    public static double CrossEntropy(double w1, double w2, double b, double x1, double x2, double y)
    {
        var p = 1.0 / (1.0 + Math.Exp(-(w1 * x1 + w2 * x2 + b)));
        return -(y * Math.Log(p) + (1 - y) * Math.Log(1 - p));
    }
}
