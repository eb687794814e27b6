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
if (args.Length > 0 && args[0] == "generate")
{
    // For profilers (dotnet-trace): the generator alone on 100 methods, repeatedly.
    var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
    var clock = Stopwatch.StartNew();
    for (var r = 0; r < rounds; r++) BuildCost.RunGenerator(100);
    if (args.Length > 2) BuildCost.WriteGenerated(100, args[2]);
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0:0.0} ms per run of the generator on 100 methods", clock.Elapsed.TotalMilliseconds / rounds));
    return 0;
}
if (args.Length > 0 && args[0] == "stages")
{
    Stages.Run(100, 5); // warm-up
    Stages.Run(100, 20);
    return 0;
}
if (args.Length > 1 && args[0] == "compile")
{
    // Compiles the model source plus every .cs file of a folder (e.g. written by `generate N folder`): what the
    // generated code costs the compiler.
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0:0} ms to compile the model and {1}", BuildCost.CompileWith(100, args[1]), args[1]));
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(EngineBenchmarks).Assembly).Run(args);
return 0;
