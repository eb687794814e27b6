using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using SymGrad.Examples;

// REINFORCE (Williams 1992) on cart-pole. The policy's log-probability log π(a|s) is a plain method (Policy.cs); its
// gradient ∇_w log π(a|s) is generated at build time, and the policy-gradient theorem does the rest:
//     ∇_w J ≈ mean over episodes of Σ_t (G_t − b_t) · ∇_w log π(a_t|s_t),
// with G_t the discounted return from step t on and b_t a baseline (the batch's mean of G_t at step t).
//   dotnet run --project examples/PolicyGradient [-- --episodes 600] [--rate 0.05] [--batch 5] [--seed 1] [--out folder]
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Contains("--help"))
{
    Console.WriteLine("usage: dotnet run --project examples/PolicyGradient [-- --episodes 600] [--rate 0.05] [--batch 5] [--seed 1] [--out folder]");
    return 0;
}
string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
double Number(string name, double fallback) => Option(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
var episodes = (int)Number("--episodes", 600);
var rate = Number("--rate", 0.05);
var batch = (int)Number("--batch", 5);          // episodes per policy update
var seed = (int)Number("--seed", 1);
var outFolder = Option("--out") ?? ".";
const double gamma = 0.99;                      // discount

var env = new CartPole(seed);
var random = new Random(seed + 1);              // the policy's dice
var w = new double[Policy.Actions * Features.Count];   // every preference 0: π starts uniform
var adam = new Adam(w.Length, rate);

// The generated gradient is the textbook one, (onehot(a) − π(·|s)) ⊗ s: check it once at a random point.
CheckGradient(new Random(seed + 2));

var clock = Stopwatch.StartNew();
var returns = new List<double>();
var gradient = new double[w.Length];
var dLogPi = new double[w.Length];
while (returns.Count < episodes)
{
    // Roll out a batch of episodes with the current policy, keeping every (features, action).
    var trajectories = new List<(double[] S, int A)[]>();
    for (var e = 0; e < batch && returns.Count < episodes; e++)
    {
        var steps = new List<(double[], int)>();
        env.Reset();
        var alive = true;
        while (alive && steps.Count < CartPole.MaxSteps)
        {
            var s = Features.Of(env);
            var a = Policy.Sample(w, s, random);
            steps.Add((s, a));
            alive = env.Step(a);
        }
        trajectories.Add(steps.ToArray());
        returns.Add(steps.Count);               // reward 1 per step survived
        if (returns.Count % 50 == 0)
            Console.WriteLine($"episode {returns.Count,4}  return {steps.Count,3}  average of the last 50 {returns.TakeLast(50).Average(),5:F1}");
    }

    // Discounted returns to go, G_t = Σ_{k≥t} γ^{k−t}·1, and the baseline b_t = their mean over the batch at step t.
    var togo = trajectories.Select(t =>
    {
        var g = new double[t.Length];
        for (var k = t.Length - 1; k >= 0; k--) g[k] = 1 + (k + 1 < t.Length ? gamma * g[k + 1] : 0);
        return g;
    }).ToArray();
    var baseline = new double[CartPole.MaxSteps];
    var counts = new int[CartPole.MaxSteps];
    foreach (var g in togo)
        for (var k = 0; k < g.Length; k++) { baseline[k] += g[k]; counts[k]++; }
    for (var k = 0; k < baseline.Length; k++) if (counts[k] > 0) baseline[k] /= counts[k];

    // ∇J ≈ (1/batch) Σ_episodes Σ_t (G_t − b_t)·∇ log π(a_t|s_t): each ∇ log π from the generated gradient.
    Array.Clear(gradient);
    for (var e = 0; e < trajectories.Count; e++)
        for (var k = 0; k < trajectories[e].Length; k++)
        {
            var (s, a) = trajectories[e][k];
            Policy.LogProbabilityGradient(w, s, a, dLogPi);
            var advantage = togo[e][k] - baseline[k];
            for (var i = 0; i < w.Length; i++) gradient[i] -= advantage * dLogPi[i] / trajectories.Count;   // −: Adam descends
        }
    adam.Step(w, gradient);
}
var seconds = clock.Elapsed.TotalSeconds;

// The trained policy, acting greedily (the likelier action) on 20 new episodes.
var greedy = new double[20];
for (var e = 0; e < greedy.Length; e++)
{
    env.Reset();
    var (steps, alive) = (0, true);
    while (alive && steps < CartPole.MaxSteps)
    {
        alive = env.Step(Policy.Greedy(w, Features.Of(env)));
        steps++;
    }
    greedy[e] = steps;
}

// The return of every episode and its moving average over 20 episodes.
var xs = Enumerable.Range(1, returns.Count).Select(i => (double)i).ToArray();
var average = xs.Select((_, i) => returns.Skip(Math.Max(0, i - 19)).Take(Math.Min(20, i + 1)).Average()).ToArray();
var path = Path.Combine(outFolder, "policy-gradient.png");
Plots.Returns(xs, returns.ToArray(), average, path);
Console.WriteLine($"Plot: {Path.GetFullPath(path)}");
Console.WriteLine($"Policy weights, (right − left) per feature x, ẋ, θ, θ̇, 1: [{string.Join(", ", Enumerable.Range(0, Features.Count).Select(j => (w[Features.Count + j] - w[j]).ToString("F2")))}]");
Console.WriteLine($"Greedy policy on 20 new episodes: average return {greedy.Average():F1}");
Console.WriteLine($"Average return: first 50 episodes {returns.Take(50).Average():F1}, last 50 {returns.TakeLast(50).Average():F1} (of {CartPole.MaxSteps}); {returns.Count} episodes in {seconds:F2} s");
return 0;

void CheckGradient(Random r)
{
    var wr = Enumerable.Range(0, w.Length).Select(_ => r.NextDouble() - 0.5).ToArray();
    var s = Enumerable.Range(0, Features.Count).Select(_ => r.NextDouble() - 0.5).ToArray();
    var generated = new double[w.Length];
    Policy.LogProbabilityGradient(wr, s, 1, generated);
    var difference = 0.0;
    for (var b = 0; b < Policy.Actions; b++)
    {
        var pi = Math.Exp(Policy.LogProbability(wr, s, b));
        for (var j = 0; j < s.Length; j++)
            difference = Math.Max(difference, Math.Abs(generated[b * s.Length + j] - ((b == 1 ? 1 : 0) - pi) * s[j]));
    }
    Console.WriteLine($"generated ∇_w log π(a|s) against (onehot(a) − π(·|s)) ⊗ s at a random point: largest difference {difference:G2}");
}

/// <summary>The policy's inputs: the cart-pole state and a constant 1 (so each action's preference has a bias).</summary>
static class Features
{
    public const int Count = 5;

    public static double[] Of(CartPole env)
    {
        var (x, xDot, theta, thetaDot) = env.State;
        return [x, xDot, theta, thetaDot, 1.0];
    }
}
