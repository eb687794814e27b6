using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SymGrad.Generators.Tests;

/// <summary>Runs the generator in memory over C# source, the way the compiler does.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create("UserProject",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"File{i}.cs")),
            Basic.Reference.Assemblies.Net100.References.All.Append(MetadataReference.CreateFromFile(typeof(DifferentiableAttribute).Assembly.Location))
                .Concat(sources.Any(s => s.Contains("TorchFunction", StringComparison.Ordinal)) ? TorchReferences.Value : Array.Empty<MetadataReference>()),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    // A user of SymGrad.TorchSharp compiles against it and the managed TorchSharp bindings (no libtorch needed to compile).
    private static readonly Lazy<MetadataReference[]> TorchReferences = new(() => new MetadataReference[]
    {
        MetadataReference.CreateFromFile(typeof(SymGrad.Torch.TorchFunctionAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(global::TorchSharp.torch).Assembly.Location),
    });

    public static GeneratorDriver Driver() =>
        CSharpGeneratorDriver.Create(new[] { new DifferentiableGenerator().AsSourceGenerator() }, parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public sealed record Result(GeneratorDriverRunResult Run, Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics, ImmutableArray<Diagnostic> CompileDiagnostics)
    {
        public string Generated(string hintName) => Run.Results.Single().GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();

        /// <summary>The source text a diagnostic points at (generator diagnostics carry a path and span, not a tree).</summary>
        public string SpanText(Diagnostic d)
        {
            var path = d.Location.GetLineSpan().Path;
            var tree = Output.SyntaxTrees.Single(t => t.FilePath == path);
            return tree.GetText().ToString(d.Location.SourceSpan);
        }
    }

    public static Result Run(params string[] sources)
    {
        var compilation = Compilation(sources);
        var driver = Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var run = driver.GetRunResult();
        if (run.Results.Single().Exception is { } e) throw new InvalidOperationException("The generator threw", e);
        Dump(sources, run);
        return new Result(run, output, diagnostics, output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray());
    }

    // With SYMGRAD_DUMP_GENERATED=<folder>, every generated file is also written there, named by a hash of the sources
    // it came from and its hint name: two dumps (before and after a change to the lowering or the printers) compare
    // file by file, which is how "the generated code is unchanged" is checked (docs/design.md).
    private static void Dump(string[] sources, GeneratorDriverRunResult run)
    {
        if (Environment.GetEnvironmentVariable("SYMGRAD_DUMP_GENERATED") is not { Length: > 0 } folder) return;
        System.IO.Directory.CreateDirectory(folder);
        using var sha = System.Security.Cryptography.SHA256.Create();
        var key = Convert.ToHexString(sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(string.Join("\u0000", sources))))[..16];
        foreach (var s in run.Results.Single().GeneratedSources)
            System.IO.File.WriteAllText(System.IO.Path.Combine(folder, key + "_" + s.HintName), s.SourceText.ToString());
    }
}
