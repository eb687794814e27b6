using BenchmarkDotNet.Attributes;
using SymGrad.Symbolic;
using SymGrad.Tests.Shared;

namespace SymGrad.Benchmarks;

/// <summary>Full gradient (differentiate + simplify + CSE) of a network loss written as one expression.</summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private NetworkLoss _loss = null!;

    [Params(4, 10, 20)]
    public int Hidden { get; set; }

    [GlobalSetup]
    public void Setup() => _loss = new NetworkLoss(10, Hidden);

    [Benchmark]
    public int FullGradient() => _loss.GradientProgram().OperationCount;

    [Benchmark]
    public int GradientAndCSharp() => CSharpPrinter.Default.PrintMethod(_loss.GradientProgram(), "Gradient").Length;
}
