using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SymGrad.Tests.Shared;

/// <summary>Compiles C# source in memory against the .NET 10 reference assemblies and loads it.</summary>
public static class RoslynCompiler
{
    public static Assembly Compile(string source, string assemblyName = "Emitted")
    {
        // With SYMGRAD_DUMP_GENERATED=<folder>, every compiled source is written there, named by its hash (GeneratorHarness).
        if (Environment.GetEnvironmentVariable("SYMGRAD_DUMP_GENERATED") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            using var sha = System.Security.Cryptography.SHA256.Create();
            var key = Convert.ToHexString(sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(source)))[..16];
            File.WriteAllText(Path.Combine(folder, "compiled_" + key + ".cs"), source);
        }
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest));
        var compilation = CSharpCompilation.Create(
            assemblyName + Guid.NewGuid().ToString("N"),
            new[] { tree },
            Basic.Reference.Assemblies.Net100.References.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        var errors = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        if (!result.Success || errors.Count > 0)
            throw new InvalidOperationException("Emitted code does not compile cleanly:\n" +
                string.Join("\n", errors.Select(d => d.ToString())) + "\n--- source ---\n" + source);
        return Assembly.Load(stream.ToArray());
    }

    /// <summary>Compiles a single static method into <c>static class Emitted</c> and returns it.</summary>
    public static MethodInfo CompileMethod(string methodSource, string methodName)
    {
        var source = "using System;\npublic static class Emitted\n{\n" + methodSource + "}\n";
        var asm = Compile(source);
        return asm.GetType("Emitted")!.GetMethod(methodName)!;
    }
}
