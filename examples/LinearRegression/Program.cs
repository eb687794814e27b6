using System;
using System.Globalization;
using SymGrad.Examples;

// The article's linear regression, with the gradient generated from the attributed loss in LinearRegressionModel.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var (x, y) = LinearRegressionModel.Data(n: 100, seed: 42);

Console.WriteLine("Data: 100 points, y = 2x + 3 + 0.5·noise. Loss L = 1/(2n) Σ (y − (w·x + b))².");
Console.WriteLine("Generated gradient of one sample's loss (LinearRegressionModel.SquaredErrorGradient), in LaTeX:");
Console.WriteLine("  " + LinearRegressionModel.SquaredErrorDerivation.Partial_w);
Console.WriteLine("  " + LinearRegressionModel.SquaredErrorDerivation.Partial_b);
Console.WriteLine("Step by step, ∂/∂w:");
Console.WriteLine(LinearRegressionModel.SquaredErrorDerivation.Steps_w);
Console.WriteLine("Step by step, ∂/∂b:");
Console.WriteLine(LinearRegressionModel.SquaredErrorDerivation.Steps_b);
Console.WriteLine();

var (w, b) = LinearRegressionModel.Train(x, y, learningRate: 0.01, iterations: 1000, onStep: (i, w, b) =>
{
    if (i % 100 == 0) Console.WriteLine($"Iter {i}, Loss: {LinearRegressionModel.Loss(w, b, x, y):F4}");
});
Console.WriteLine($"Final model: y = {w:F2}*x + {b:F2}");
var (ws, bs) = LinearRegressionModel.LeastSquares(x, y);
Console.WriteLine($"(Least squares, which gradient descent approaches with more iterations: y = {ws:F2}*x + {bs:F2})");
