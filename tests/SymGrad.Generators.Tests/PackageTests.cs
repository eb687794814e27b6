using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace SymGrad.Generators.Tests;

/// <summary>How a user meets SymGrad: a fresh console project referencing the packed package from a folder feed.</summary>
public class PackageTests
{
    private static string PackageCache =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static (int Exit, string Output) Dotnet(string arguments, string workingDirectory)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        // Build servers would outlive the test; the MSBuild node of the outer `dotnet test` must not be reused.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5))) process.Kill(true);
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void PackedPackage_GeneratesAndRunsAGradient_InAFreshProject()
    {
        var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        var work = Path.Combine(Path.GetTempPath(), "symgrad-package-" + Guid.NewGuid().ToString("N"));
        var feed = Path.Combine(work, "feed");
        var app = Path.Combine(work, "app");
        Directory.CreateDirectory(app);
        try
        {
            var version = "0.0.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
            var pack = Dotnet($"pack \"{Path.Combine(root, "src/SymGrad/SymGrad.csproj")}\" -c Release -o \"{feed}\" -p:Version={version} --nologo", root);
            Assert.True(pack.Exit == 0, pack.Output);
            // The licence is in the package's metadata (a user's tooling reads it there).
            using (var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"SymGrad.{version}.nupkg")))
            {
                var nuspec = package.GetEntry("SymGrad.nuspec")!;
                using var reader = new StreamReader(nuspec.Open());
                var metadata = reader.ReadToEnd();
                Assert.Contains("<license type=\"expression\">MIT</license>", metadata);
                Assert.Contains("Copyright (c) 2026 SymGrad contributors", metadata);
                Assert.Contains($"<repository type=\"git\" url=\"{DiagnosticDescriptors.RepositoryUrl}\"", metadata);
                // The readme NuGet shows: an install line, and links that resolve outside the repository.
                using var readme = new StreamReader(package.GetEntry("README.md")!.Open());
                var text = readme.ReadToEnd();
                Assert.Contains("dotnet add package SymGrad", text);
                Assert.DoesNotMatch(@"\]\((?!https?://)", text);
            }
            // The symbols: a .snupkg whose portable PDB maps the sources to the repository at the built commit (SourceLink).
            using (var symbols = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"SymGrad.{version}.snupkg")))
            {
                using var pdb = new MemoryStream();
                using (var entry = symbols.GetEntry("lib/net10.0/SymGrad.pdb")!.Open()) entry.CopyTo(pdb);
                pdb.Position = 0;
                using var provider = System.Reflection.Metadata.MetadataReaderProvider.FromPortablePdbStream(pdb);
                var reader = provider.GetMetadataReader();
                var sourceLinkKind = new Guid("CC110556-A091-4D38-9FEC-25AB9A351A6A");
                string? sourceLink = null;
                foreach (var handle in reader.CustomDebugInformation)
                {
                    var info = reader.GetCustomDebugInformation(handle);
                    if (reader.GetGuid(info.Kind) == sourceLinkKind) sourceLink = System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(info.Value));
                }
                Assert.NotNull(sourceLink);
                Assert.Contains(DiagnosticDescriptors.RepositoryUrl.Replace("https://github.com/", "https://raw.githubusercontent.com/", StringComparison.Ordinal) + "/", sourceLink);
            }

            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <RestorePackagesPath>{Path.Combine(work, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="SymGrad" Version="{version}" />
                    <ProjectReference Include="../legacy/Legacy.csproj" />
                  </ItemGroup>
                </Project>
                """);
            // SymGrad from the folder feed; its dependencies (System.Numerics.Tensors, …) from this machine's package
            // cache, which the repository's own restore filled: no network needed.
            File.WriteAllText(Path.Combine(work, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="cache" value="{PackageCache}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(work, "Directory.Packages.props"), "<Project />");
            // A netstandard2.0 library at its default C# 7.3 (as Unity and .NET Framework projects are): no MathF, so float
            // code calls Math and casts; the package's netstandard2.0 slice carries the attributes.
            var legacy = Path.Combine(work, "legacy");
            Directory.CreateDirectory(legacy);
            File.WriteAllText(Path.Combine(legacy, "Legacy.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>netstandard2.0</TargetFramework>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <RestorePackagesPath>{Path.Combine(work, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="SymGrad" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(legacy, "Curves.cs"), """
                using System;
                using SymGrad;

                namespace Legacy
                {
                    public static partial class Curves
                    {
                        [Differentiable]
                        public static float Bump(float x) { return (float)Math.Exp(-x * x); }

                        [Differentiable]
                        public static double Wave(double t, double k) { return Math.Sin(k * t) / k; }
                    }
                }
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using SymGrad;

                var value = Model.SquaredErrorGradient(2.0, 3.0, 1.5, 10.0, out var dw, out var db);
                Console.WriteLine(FormattableString.Invariant($"{value} {dw} {db} {Model.SigmoidDerivative(0.0)}"));
                Console.WriteLine(Model.SquaredErrorDerivation.Partial_w);
                Console.WriteLine(FormattableString.Invariant($"{Legacy.Curves.BumpDerivative(1f):R} {Legacy.Curves.WaveGradient(2.0, 0.5, out var dt, out var dk):R} {dt:R} {dk:R}"));

                public static partial class Model
                {
                    [Differentiable]
                    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

                    [Differentiable(nameof(w), nameof(b))]
                    public static double SquaredError(double w, double b, double x, double y)
                    {
                        var yHat = w * x + b;
                        return 0.5 * (y - yHat) * (y - yHat);
                    }
                }
                """);

            var run = Dotnet("run --nologo", app);
            Assert.True(run.Exit == 0, run.Output);
            var lines = run.Output.Trim().Split('\n');
            // residual = 10 − (2·1.5 + 3) = 4: value 8, ∂w = −4·1.5, ∂b = −4; σ'(0) = 1/4.
            Assert.Contains("8 -6 -4 0.25", lines);
            Assert.Contains(@"\frac{\partial f}{\partial w} = \left(b + w x - y\right) x", run.Output);
            // The netstandard2.0 library's generated members: d/dx e^(−x²) at 1 is −2/e; sin(kt)/k at t = 2, k = 0.5 with
            // ∂t = cos(kt), ∂k = t·cos(kt)/k − sin(kt)/k².
            var legacyLine = lines.Single(l => l.Split(' ').Length == 4 && !l.StartsWith("8 ", StringComparison.Ordinal)).Split(' ').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(-2 / Math.E, legacyLine[0], 6);
            Assert.Equal(Math.Sin(1) / 0.5, legacyLine[1], 12);
            Assert.Equal(Math.Cos(1), legacyLine[2], 12);
            Assert.Equal(2 * Math.Cos(1) / 0.5 - Math.Sin(1) / 0.25, legacyLine[3], 12);
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
    }
}
