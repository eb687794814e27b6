using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis.CSharp;
using SymGrad.Generators.Tests.CrossType;

namespace SymGrad.Generators.Tests;

/// <summary>Calls to other types' and other assemblies' [Differentiable] methods: the chain rule calls their generated members.</summary>
public class CrossTypeTests
{
    [Fact]
    public void AChainThroughThreeTypes_HasTheMethodsValue_AndItsDifferences()
    {
        foreach (var (w, b, x, y) in new[] { (0.5, -0.2, 1.5, 0.3), (-1.2, 0.7, -0.4, -1.0), (2.0, 0.1, 0.9, 2.2) })
        {
            var value = Objectives.ChainGradient(w, b, x, y, out var dw, out var db);
            Assert.Equal(Objectives.Chain(w, b, x, y), value, 14);
            const double h = 1e-6;
            Assert.Equal((Objectives.Chain(w + h, b, x, y) - Objectives.Chain(w - h, b, x, y)) / (2 * h), dw, 7);
            Assert.Equal((Objectives.Chain(w, b + h, x, y) - Objectives.Chain(w, b - h, x, y)) / (2 * h), db, 7);
        }
        // The middle of the chain on its own, and the generic class's method.
        Assert.Equal(Acts.SwishDerivative(0.5 * 1.5 - 0.2) * 1.5, Layer.UnitPartial_w(0.5, 1.5, -0.2), 15);
        Assert.Equal(4.0, Gen<int>.CubeDerivative(-2.0), 15);
    }

    [Fact]
    public void TheRuntimesSigmoid_IsCalledThroughItsGeneratedDerivative()
    {
        // −[y log σ(z) + (1 − y) log(1 − σ(z))] has ∂/∂z = σ(z) − y.
        foreach (var (z, y) in new[] { (0.5f, 1f), (-2f, 0f), (1.5f, 0.25f) })
        {
            var value = Objectives.RuntimeGradient(z, y, out var dz, out _);
            Assert.Equal(Objectives.Runtime(z, y), value, 6);
            Assert.Equal(1 / (1 + MathF.Exp(-z)) - y, dz, 6);
        }
    }

    private const string Library = """
        using System;
        using SymGrad;
        namespace Lib;
        public static partial class Acts
        {
            [Differentiable] public static double Swish(double x) => x / (1 + Math.Exp(-x));
            [Differentiable] public static double Bilinear(double x, double y) => x * y + Math.Sin(x);
        }
        """;

    private const string User = """
        using SymGrad;
        namespace App;
        public static partial class Loss
        {
            [Differentiable] public static double F(double x, double y) => Lib.Acts.Swish(x) * y + Lib.Acts.Bilinear(y, x);
        }
        """;

    // The library compiled (with or without the generator) to an image the user's compilation references.
    private static (MetadataReference Reference, byte[] Image) Compile(string source, bool generate)
    {
        var compilation = CSharpCompilation.Create("Lib", new[] { CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions) },
            GeneratorHarness.Compilation().References, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Compilation output = compilation;
        if (generate) GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out output, out _);
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Take(5)));
        return (MetadataReference.CreateFromImage(stream.ToArray()), stream.ToArray());
    }

    private static GeneratorHarness.Result RunWith(MetadataReference library)
    {
        var compilation = GeneratorHarness.Compilation(User).AddReferences(library);
        var driver = GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GeneratorHarness.Result(driver.GetRunResult(), output, diagnostics,
            output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray());
    }

    [Fact]
    public void AnotherAssemblysMethods_AreCalledThroughTheirGeneratedPartials()
    {
        var (reference, image) = Compile(Library, generate: true);
        var r = RunWith(reference);
        Assert.Empty(r.CompileDiagnostics);
        Assert.DoesNotContain(r.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        using var stream = new MemoryStream();
        Assert.True(r.Output.Emit(stream).Success);
        var context = new System.Runtime.Loader.AssemblyLoadContext("cross-assembly", isCollectible: true);
        try
        {
            var lib = context.LoadFromStream(new MemoryStream(image));
            context.Resolving += (_, name) => name.Name == "Lib" ? lib : null;
            var loss = context.LoadFromStream(new MemoryStream(stream.ToArray())).GetType("App.Loss")!;
            double F(double x, double y) => (double)loss.GetMethod("F")!.Invoke(null, new object[] { x, y })!;
            foreach (var (x, y) in new[] { (0.5, 1.5), (-1.2, 0.3), (2.0, -0.7) })
            {
                var args = new object[] { x, y, 0.0, 0.0 };
                var value = (double)loss.GetMethod("FGradient", new[] { typeof(double), typeof(double), typeof(double).MakeByRefType(), typeof(double).MakeByRefType() })!.Invoke(null, args)!;
                Assert.Equal(F(x, y), value, 14);
                const double h = 1e-6;
                Assert.Equal((F(x + h, y) - F(x - h, y)) / (2 * h), (double)args[2], 7);
                Assert.Equal((F(x, y + h) - F(x, y - h)) / (2 * h), (double)args[3], 7);
            }
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void AnAssemblyBuiltWithoutTheGenerator_IsRefusedOnTheCall()
    {
        var r = RunWith(Compile(Library, generate: false).Reference);
        var d = Assert.Single(r.GeneratorDiagnostics, d => d.Id == "SG0021");
        Assert.Equal("Lib.Acts.Swish", r.SpanText(d));
        Assert.Contains("built without SymGrad's generator", d.GetMessage());
        Assert.Empty(r.CompileDiagnostics);
    }
}
