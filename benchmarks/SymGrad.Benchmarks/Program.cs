using System;
using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using SymGrad.Benchmarks;
using SymGrad.Tests.Shared;

// `-- report` prints the operation-count ratios (deterministic) and a single timing; anything else goes to
// BenchmarkDotNet (e.g. `-- --filter '*'`).
if (args.Length > 0 && args[0] == "report")
{
    Console.WriteLine("| network (inputs-hidden-1) | parameters | primal ops | gradient program ops | ratio | time (first run) |");
    Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
    foreach (var hidden in new[] { 4, 10, 20, 40 })
    {
        var loss = new NetworkLoss(10, hidden);
        var clock = Stopwatch.StartNew();
        var program = loss.GradientProgram();
        clock.Stop();
        var primal = loss.PrimalProgram();
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| 10-{0}-1 | {1} | {2} | {3} | {4:0.00}x | {5:0} ms |",
            hidden, loss.Parameters.Count, primal.OperationCount, program.OperationCount,
            (double)program.OperationCount / primal.OperationCount, clock.Elapsed.TotalMilliseconds));
    }
    return 0;
}
if (args.Length > 0 && args[0] == "build")
{
    Console.WriteLine("| methods | generator | compile without generator | compile with generator (incl. generator) | generator per method | generator share of build |");
    Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
    foreach (var n in new[] { 10, 100, 1000 })
    {
        var (generator, without, with) = BuildCost.Measure(n, n >= 1000 ? 3 : 7);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1:0} ms | {2:0} ms | {3:0} ms | {4:0.00} ms | {5:0}% |",
            n, generator, without, with, generator / n, 100 * generator / with));
    }
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(EngineBenchmarks).Assembly).Run(args);
return 0;
