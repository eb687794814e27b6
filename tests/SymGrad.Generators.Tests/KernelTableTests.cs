using System.Linq;
using SymGrad.Symbolic.Plans;
using Xunit;

namespace SymGrad.Generators.Tests;

/// <summary>The lowering's kernel table describes the runtime's MatMul as it is: a method per entry, same parameters.</summary>
public class KernelTableTests
{
    public static TheoryData<string> Kernels() => new()
    {
        nameof(Kernel.Multiply), nameof(Kernel.MultiplyTransposedA), nameof(Kernel.MultiplyTransposedAStrided), nameof(Kernel.MultiplyTransposedAGrouped),
        nameof(Kernel.MultiplyTransposedB), nameof(Kernel.AddRows), nameof(Kernel.AddTo), nameof(Kernel.Workspace), nameof(Kernel.TransposedConvolution),
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EveryKernel_IsAMethodOfTheRuntime_WithItsParameters(string entry)
    {
        var kernel = (Kernel)typeof(Kernel).GetField(entry)!.GetValue(null)!;
        var matMul = typeof(SymGrad.Tensors.MatMul);
        Assert.Equal(Kernel.Type, "global::" + matMul.FullName);
        // Some overload of that name takes exactly these parameters, by name and kind.
        var match = matMul.GetMethods().Where(m => m.IsStatic && m.IsPublic && m.Name == kernel.Method).FirstOrDefault(m =>
        {
            var ps = m.GetParameters();
            return ps.Length == kernel.Parameters.Count && ps.Select((p, i) => p.Name == kernel.Names[i] && Fits(p.ParameterType, kernel.Parameters[i])).All(x => x);
        });
        Assert.True(match != null, $"{entry}: no MatMul.{kernel.Method}({string.Join(", ", kernel.Names)}) with those kinds");
        Assert.Equal(kernel.Returns, match!.ReturnType != typeof(void));
    }

    private static bool Fits(System.Type t, KernelParameter kind) => kind switch
    {
        KernelParameter.Int => t == typeof(int),
        KernelParameter.Accumulate => t == typeof(bool),
        KernelParameter.ReadRows => t == typeof(System.ReadOnlySpan<float>) || t.Name.StartsWith("ReadOnlyRowBlocks", System.StringComparison.Ordinal),
        _ => t == typeof(System.Span<float>) || t.Name.StartsWith("RowBlocks", System.StringComparison.Ordinal),
    };
}
