using System;
using System.IO;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SymGrad.Generators.Tests;

/// <summary>
/// A netstandard2.0 project at C# 7.3 (Unity, .NET Framework libraries): no MathF, no Span, no file-scoped namespaces,
/// no #nullable. Its scalar [Differentiable] methods generate code that compiles there, against the SymGrad package's
/// netstandard2.0 slice, and computes what the methods compute.
/// </summary>
public class NetStandardTests
{
    private static readonly Lazy<MetadataReference[]> NetStandard = new(() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "netstandard2.0-ref"), "*.dll")
            .Select(f => (MetadataReference)MetadataReference.CreateFromFile(f)).ToArray());

    private static string Root => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));

    // The package's netstandard2.0 SymGrad.dll: the files the project compiles for that target, compiled for it here.
    private static readonly Lazy<byte[]> Attributes = new(() =>
    {
        var files = new[] { "src/SymGrad/DifferentiableAttribute.cs", "src/SymGrad/DerivationInfo.cs", "src/SymGrad/Sym.cs", "generators/SymGrad.Generators/IsExternalInit.cs" };
        var compilation = CSharpCompilation.Create("SymGrad",
            files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(Path.Combine(Root, f)), new CSharpParseOptions(LanguageVersion.Latest), path: f)),
            NetStandard.Value, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var ms = new MemoryStream();
        var result = compilation.Emit(ms);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return ms.ToArray();
    });

    private const string Source = """
        using System;
        using SymGrad;

        namespace Legacy
        {
            public static partial class Model
            {
                [Differentiable(nameof(w), nameof(b))]
                public static double Logistic(double w, double b, double x, double y)
                {
                    double p = 1.0 / (1.0 + Math.Exp(-(w * x + b)));
                    return -(y * Math.Log(p) + (1 - y) * Math.Log(1 - p));
                }

                [Differentiable]
                public static double Curve(double x) => Math.Sin(x) * Math.Exp(-x * x / 2) + Math.Atan2(x, 2.0) + Math.Sqrt(x * x + 1);

                [Differentiable(Order = 2)]
                public static double Bowl(double a, double b) => a * a * b + Math.Cosh(b) + Math.Pow(a, 2.5);

                [Differentiable]
                public static float Soft(float x, float y) => x * x * y + 3f * x - y / (1f + x * x);
            }
        }
        """;

    private static (GeneratorHarness.Result Result, CSharpCompilation Input) Run(string source)
    {
        var parse = new CSharpParseOptions(LanguageVersion.CSharp7_3);
        var compilation = CSharpCompilation.Create("LegacyProject", new[] { CSharpSyntaxTree.ParseText(source, parse, path: "Model.cs") },
            NetStandard.Value.Append(MetadataReference.CreateFromImage(Attributes.Value)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var driver = CSharpGeneratorDriver.Create(new[] { new DifferentiableGenerator().AsSourceGenerator() }, parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var run = driver.GetRunResult();
        Assert.Null(run.Results.Single().Exception);
        return (new GeneratorHarness.Result(run, output, diagnostics,
            output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray()), compilation);
    }

    [Fact]
    public void ScalarMethods_GenerateCodeThatCompilesAtCSharp73_AndComputesWhatTheMethodsCompute()
    {
        var (result, _) = Run(Source);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileDiagnostics);
        var generated = result.Run.Results.Single().GeneratedSources.Select(s => s.SourceText.ToString()).ToList();
        Assert.All(generated, text =>
        {
            Assert.DoesNotContain("#nullable", text);
            Assert.DoesNotContain("MathF", text); // in the code and in the doc comments' formulas
            Assert.DoesNotContain("Span<", text);
            // A block namespace (file-scoped ones are C# 10).
            Assert.Contains(text.Contains("class DerivationRegistry", StringComparison.Ordinal) ? "namespace SymGrad.Generated\n{" : "namespace Legacy\n{", text);
        });

        using var ms = new MemoryStream();
        var emit = result.Output.Emit(ms);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        var context = new Context(Attributes.Value);
        try
        {
            var model = context.LoadFromStream(new MemoryStream(ms.ToArray())).GetType("Legacy.Model")!;
            double Call(string name, params object[] args) => Convert.ToDouble(model.GetMethod(name, args.Select(a => a.GetType()).ToArray())!.Invoke(null, args));

            // Each partial is the central difference of the method itself.
            foreach (var (w, b, x, y) in new[] { (0.3, -0.2, 1.5, 1.0), (-1.2, 0.7, -0.4, 0.0) })
            {
                var gradient = model.GetMethod("LogisticGradient")!;
                var args = new object[] { w, b, x, y, 0.0, 0.0 };
                var value = (double)gradient.Invoke(null, args)!;
                Assert.Equal(Call("Logistic", w, b, x, y), value, 12);
                const double h = 1e-6;
                Assert.Equal((Call("Logistic", w + h, b, x, y) - Call("Logistic", w - h, b, x, y)) / (2 * h), (double)args[4], 6);
                Assert.Equal((Call("Logistic", w, b + h, x, y) - Call("Logistic", w, b - h, x, y)) / (2 * h), (double)args[5], 6);
            }
            foreach (var x in new[] { -2.0, 0.1, 1.7 })
            {
                const double h = 1e-6;
                Assert.Equal((Call("Curve", x + h) - Call("Curve", x - h)) / (2 * h), Call("CurveDerivative", x), 6);
                // Order 2 without Span: the second partials as functions.
                var (a, b) = (x + 3, 0.5 * x);
                Assert.Equal((Call("BowlPartial_a", a + h, b) - Call("BowlPartial_a", a - h, b)) / (2 * h), Call("BowlPartial_a_a", a, b), 5);
                Assert.Equal((Call("BowlPartial_a", a, b + h) - Call("BowlPartial_a", a, b - h)) / (2 * h), Call("BowlPartial_a_b", a, b), 5);
            }
            // Float, through Math with casts: the partials of the float method against differences in double.
            var soft = model.GetMethod("SoftGradient")!;
            var softArgs = new object[] { 0.8f, -1.3f, 0f, 0f };
            var softValue = (float)soft.Invoke(null, softArgs)!;
            Assert.Equal(Call("Soft", 0.8f, -1.3f), softValue, 5);
            Assert.Equal(2 * 0.8 * -1.3 + 3 + -1.3 * 2 * 0.8 / Math.Pow(1 + 0.64, 2), (float)softArgs[2], 4);
            Assert.Equal(0.64 - 1 / 1.64, (float)softArgs[3], 4);
            // The registry of derivations, for symgrad docs, works there too.
            var registry = context.Assemblies.Single(a => a.GetName().Name == "LegacyProject").GetType("SymGrad.Generated.DerivationRegistry")!;
            var all = (System.Collections.IEnumerable)registry.GetProperty("All")!.GetValue(null)!;
            Assert.Equal(4, all.Cast<object>().Count());
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void FloatMethods_CallMathWithCasts_AsNetStandardCodeMust_AndTheGeneratedCodeComputesTheSame()
    {
        var source = """
            using System;
            using SymGrad;

            public static partial class F
            {
                [Differentiable]
                public static float G(float x) => (float)Math.Tanh(x) * x + (float)Math.Exp(-x * x) + (float)(Math.Sqrt(x * x + 1f)) - (float)Math.Pow(x, 3f);
            }
            """;
        var (result, _) = Run(source);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Empty(result.CompileDiagnostics);
        var text = result.Run.Results.Single().GeneratedSources.Single(s => s.HintName.Contains(".G.", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("(float)global::System.Math.Tanh(", text);
        Assert.DoesNotContain("MathF", text); // the doc comments' formulas too: (float)Math.Tanh(x)
        Assert.Contains("(float)Math.Tanh(x)", text);
        using var ms = new MemoryStream();
        Assert.True(result.Output.Emit(ms).Success);
        var context = new Context(Attributes.Value);
        try
        {
            var type = context.LoadFromStream(new MemoryStream(ms.ToArray())).GetType("F")!;
            float G(float x) => (float)type.GetMethod("G")!.Invoke(null, new object[] { x })!;
            foreach (var x in new[] { -1.7f, -0.3f, 0.05f, 0.9f, 2.2f })
            {
                var args = new object[] { x, 0f };
                // The value: the method's own calls, printed back as written (the sum's terms may add in another order: a
                // few ulps).
                var value = (float)type.GetMethod("GGradient")!.Invoke(null, args)!;
                Assert.True(Math.Abs(G(x) - value) <= 4e-7 * Math.Abs(G(x)) + 1e-7, $"{G(x)} vs {value}");
                var exact = (1 - Math.Pow(Math.Tanh(x), 2)) * x + Math.Tanh(x) - 2 * x * Math.Exp(-x * x) + x / Math.Sqrt(x * x + 1) - 3 * x * x;
                Assert.Equal(exact, (float)args[1], 4);
            }
        }
        finally
        {
            context.Unload();
        }

        // On a modern target the same method reads the same way and prints MathF.
        var modern = GeneratorHarness.Run(source);
        Assert.Empty(modern.GeneratorDiagnostics);
        Assert.Empty(modern.CompileDiagnostics);
        Assert.Contains("global::System.MathF.Tanh(", modern.Generated("F.G.float.g.cs"));
        // A double argument is still double arithmetic in a float method: refused.
        var mixed = GeneratorHarness.Run(source.Replace("Math.Exp(-x * x)", "Math.Exp(-x * 0.5)", StringComparison.Ordinal));
        Assert.Contains(mixed.GeneratorDiagnostics, d => d.Id == "SG0016");
    }

    [Fact]
    public void IndexedMethods_WithoutSpan_AreRefusedWithSG0030()
    {
        var (result, _) = Run("""
            using SymGrad;

            public static partial class Losses
            {
                [Differentiable(nameof(w))]
                public static double SumSquares(double[] w)
                {
                    double s = 0;
                    for (int i = 0; i < w.Length; i++) s += w[i] * w[i];
                    return s;
                }
            }
            """);
        var d = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("SG0030", d.Id);
        Assert.Contains("Span<T>", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(result.CompileDiagnostics);
    }

    private sealed class Context(byte[] symGrad) : AssemblyLoadContext("netstandard-test", isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName name) =>
            name.Name == "SymGrad" ? LoadFromStream(new MemoryStream(symGrad)) : null;
    }
}

/// <summary>
/// The runtime's tensor beside the two other libraries a SymGrad user imports: System.Numerics.Tensors (its static
/// <c>Tensor</c> class) and TorchSharp (<c>torch.Tensor</c>). Ours is <c>DenseTensor</c>: both usings compile (CS0104 was
/// the error when it was called Tensor).
/// </summary>
public class TensorNameTests
{
    private static System.Collections.Immutable.ImmutableArray<Diagnostic> Compile(string source) =>
        CSharpCompilation.Create("User", new[] { CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions) },
                Basic.Reference.Assemblies.Net100.References.All.Concat(new[]
                {
                    MetadataReference.CreateFromFile(typeof(SymGrad.Tensors.DenseTensor).Assembly.Location),
                    MetadataReference.CreateFromFile(typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.Location),
                    MetadataReference.CreateFromFile(typeof(global::TorchSharp.torch).Assembly.Location),
                }),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary))
            .GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();

    [Fact]
    public void WithSystemNumericsTensors_BothNamesResolve()
    {
        Assert.Empty(Compile("""
            using System.Numerics.Tensors;
            using SymGrad.Tensors;

            public static class UserCode
            {
                public static float Total(DenseTensor t) => TensorPrimitives.Sum(t.Span);
                public static Tensor<float> Copy(DenseTensor t) => Tensor.Create(t.Span.ToArray(), new nint[] { t.Length });
            }
            """));
    }

    [Fact]
    public void WithTorchSharp_BothNamesResolve()
    {
        Assert.Empty(Compile("""
            using SymGrad.Tensors;
            using static TorchSharp.torch;

            public static class UserCode
            {
                public static Tensor ToTorch(DenseTensor t) => tensor(t.Span.ToArray());
            }
            """));
    }
}
