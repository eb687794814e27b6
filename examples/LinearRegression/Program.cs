using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using SymGrad.Examples;
using SymGrad.Optimizers;

// The article's linear regression, with the gradient generated from the attributed loss in LinearRegressionModel.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var outOption = ExampleCommandLine.Out("linear-regression.png and the comparison plots");
var rateOption = ExampleCommandLine.Positive("--rate", "Learning rate α of the main run", 0.01);
var iterationsOption = ExampleCommandLine.Integer("--iterations", "Gradient-descent steps of the main run and of each comparison", 1000);
var compareRates = new Option<bool>("--compare-rates")
{
    Description = "Also run gradient descent with α = 0.001, 0.01, 0.1, 1 and 2.5 (which diverges) and plot their losses (linear-regression-rates.png)",
};
var compareOptimizers = new Option<bool>("--compare-optimizers")
{
    Description = "Also train with the runtime's SGD, momentum and Adam and plot their losses (linear-regression-optimizers.png)",
};
var command = new RootCommand(
    "The article's linear regression: gradient descent on 100 points of y = 2x + 3 + 0.5·noise with the gradient SymGrad " +
    "generated from the loss at build time; prints the derivation and the fit, and plots both.\n" +
    "Run: dotnet run --project examples/LinearRegression [-- options]")
{
    outOption, rateOption, iterationsOption, compareRates, compareOptimizers,
};
if (ExampleCommandLine.Parse(command, args, out var parse) is { } exit) return exit;
var outFolder = parse.GetValue(outOption)!;
var rate = parse.GetValue(rateOption);
var iterations = parse.GetValue(iterationsOption);

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

var losses = new double[iterations];
var (w, b) = LinearRegressionModel.Train(x, y, learningRate: rate, iterations: iterations, onStep: (i, w, b) =>
{
    losses[i] = LinearRegressionModel.Loss(w, b, x, y);
    if (i % 100 == 0) Console.WriteLine($"Iter {i}, Loss: {losses[i]:F4}");
});
Console.WriteLine($"Final model: y = {Coefficient(w)}*x + {Coefficient(b)}");
var (ws, bs) = LinearRegressionModel.LeastSquares(x, y);
Console.WriteLine($"(Least squares, which gradient descent approaches with more iterations: y = {ws:F2}*x + {bs:F2})");
var finite = losses.TakeWhile(double.IsFinite).ToArray();
if (finite.Length < losses.Length) Console.WriteLine($"The loss stopped being finite at iteration {finite.Length}: α = {rate} is too large for this data (see --compare-rates).");
var figure = Path.Combine(outFolder, "linear-regression.png");
if (finite.Length > 0)
{
    // A diverged run's line is off the chart: the data panel then shows the least-squares and true lines only.
    Plots.Fit(finite, rate, x, y, finite.Length == losses.Length ? (w, b) : null, (ws, bs), figure);
    Console.WriteLine($"Plot: {Path.GetFullPath(figure)}");
}
else Console.WriteLine($"No plot: the loss was not finite from the first step, so there is nothing to draw ({figure} not written).");

var minimum = LinearRegressionModel.Loss(ws, bs, x, y);
if (parse.GetValue(compareRates))
{
    Console.WriteLine();
    Console.WriteLine($"Learning rates (gradient descent, {iterations} iterations; the least-squares loss is {minimum:F4}):");
    var runs = new[] { 0.001, 0.01, 0.1, 1.0, 2.5 }.Select(r => LinearRegressionComparisons.GradientDescent(x, y, r, iterations)).ToArray();
    Report(runs);
    Console.WriteLine($"  (On this loss gradient descent converges exactly when α < 2/λ_max = {LinearRegressionComparisons.StableRateLimit(x):F3}, λ_max the largest eigenvalue of its Hessian.)");
    var path = Path.Combine(outFolder, "linear-regression-rates.png");
    Plots.Runs(runs, "Gradient descent with different learning rates α", path);
    Console.WriteLine($"Plot: {Path.GetFullPath(path)}");
}
if (parse.GetValue(compareOptimizers))
{
    Console.WriteLine();
    Console.WriteLine($"Optimizers (SymGrad.Optimizers, α = 0.01, {iterations} iterations, the same generated gradient; the least-squares loss is {minimum:F4}):");
    var runs = new[]
    {
        LinearRegressionComparisons.WithOptimizer("SGD, α = 0.01", new Sgd(0.01f), x, y, iterations),
        LinearRegressionComparisons.WithOptimizer("momentum, α = 0.01, β = 0.9", new Momentum(0.01f, 0.9f), x, y, iterations),
        LinearRegressionComparisons.WithOptimizer("Adam, α = 0.01", new Adam(0.01f), x, y, iterations),
    };
    Report(runs);
    var path = Path.Combine(outFolder, "linear-regression-optimizers.png");
    Plots.Runs(runs, "SGD, momentum and Adam on the same generated gradient", path);
    Console.WriteLine($"Plot: {Path.GetFullPath(path)}");
}
return 0;

// One line per run: the final loss and line, or where it diverged; and when it came within 1% of the least-squares loss.
void Report(LinearRegressionComparisons.Run[] runs)
{
    foreach (var run in runs)
    {
        if (run.DivergedAt is { } k)
        {
            Console.WriteLine(k == 0
                ? $"  {run.Name,-30} diverged: the loss is not finite from the first iteration"
                : $"  {run.Name,-30} diverged: the loss is {run.Loss[^1]:G3} at iteration {k - 1} and not finite from iteration {k}");
            continue;
        }
        var reached = LinearRegressionComparisons.StepsToReach(run, minimum);
        Console.WriteLine($"  {run.Name,-30} final loss {run.Loss[^1]:F4}, y = {Coefficient(run.W)}*x + {Coefficient(run.B)}; " +
            (reached is { } n ? $"within 1% of the least-squares loss from iteration {n}" : "not within 1% of the least-squares loss"));
    }
}

// Two decimals as README quotes them; a diverging run's coefficients (10¹⁰⁰ and beyond) in three significant digits.
static string Coefficient(double v) => Math.Abs(v) < 1e6 ? v.ToString("F2", CultureInfo.InvariantCulture) : v.ToString("G3", CultureInfo.InvariantCulture);
