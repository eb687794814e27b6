using System.Linq;
using System;
using System.IO;
using SymGrad;
using SymGrad.Cli;

namespace SymGrad.Cli.Tests;

public static partial class Activations
{
    [Differentiable]
    public static double Tanh(double x) => Math.Tanh(x);

    [Differentiable(nameof(w))]
    public static double Loss(double w, double x, double y) => 0.5 * (w * x - y) * (w * x - y);
}

/// <summary>A generic type: its page's file name must be one every file system takes (no '&lt;').</summary>
public static partial class Scaled<T>
{
    [Differentiable] public static double Twice(double x) => 2 * x * x;
}

public class DocsCommandTests
{
    [Fact]
    public void Docs_WritesAMarkdownPagePerType_AndAnHtmlPage()
    {
        var dir = Path.Combine(Path.GetTempPath(), "symgrad-docs-" + Guid.NewGuid().ToString("N"));
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var exit = SymgradCommand.Run(new[] { "docs", typeof(Activations).Assembly.Location, "--output", dir }, output, error);
            Assert.Equal("", error.ToString());
            Assert.Equal(0, exit);
            var page = File.ReadAllText(Path.Combine(dir, "SymGrad.Cli.Tests.Activations.md"));
            Assert.Contains("## Tanh", page);
            Assert.Contains("$$\n\\frac{\\partial f}{\\partial x} = 1 - \\tanh^{2}\\left(x\\right)\n$$", page);
            Assert.Contains("## Loss", page);
            Assert.Contains("\\begin{aligned}", page);
            // Scaled<T>'s page: named as the generator names its files, nothing Windows refuses in a file name.
            Assert.True(File.Exists(Path.Combine(dir, "SymGrad.Cli.Tests.Scaled_T_.md")), string.Join(", ", Directory.GetFiles(dir).Select(Path.GetFileName)));
            Assert.All(Directory.GetFiles(dir), f => Assert.Equal(-1, Path.GetFileName(f).IndexOfAny("<>:\"/\\|?*".ToCharArray())));
            Assert.Contains("Scaled<T>", File.ReadAllText(Path.Combine(dir, "SymGrad.Cli.Tests.Scaled_T_.md")));
            var html = File.ReadAllText(Path.Combine(dir, "index.html"));
            Assert.Contains("katex.render", html);
            Assert.Contains("\\frac{\\partial f}{\\partial w}", html);
            // The page renders offline: the KaTeX it loads is written beside it, with every WOFF2 font its style sheet
            // names, and KaTeX's licence.
            Assert.Contains("src=\"katex/katex.min.js\"", html);
            Assert.Contains("href=\"katex/katex.min.css\"", html);
            Assert.Contains("katex", File.ReadAllText(Path.Combine(dir, "katex", "katex.min.js")));
            Assert.Contains("MIT License", File.ReadAllText(Path.Combine(dir, "katex", "LICENSE")));
            var css = File.ReadAllText(Path.Combine(dir, "katex", "katex.min.css"));
            var fonts = System.Text.RegularExpressions.Regex.Matches(css, @"url\((fonts/[^)]+\.woff2)\)").Select(m => m.Groups[1].Value).Distinct().ToList();
            Assert.True(fonts.Count >= 15, $"{fonts.Count} fonts named");
            Assert.All(fonts, f => Assert.True(new FileInfo(Path.Combine(dir, "katex", f)).Length > 1000, f));
            Assert.Contains("KaTeX (", output.ToString());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Docs_OfAClassLibrarysOutput_FindsSymGradInThePackageFolder()
    {
        // A library's bin holds its own dll and .deps.json; SymGrad.dll is in the NuGet package folder the deps name.
        var dir = Directory.CreateTempSubdirectory("symgrad-docs-lib-").FullName;
        try
        {
            var bin = Directory.CreateDirectory(Path.Combine(dir, "bin")).FullName;
            var library = Path.Combine(bin, Path.GetFileName(typeof(Activations).Assembly.Location));
            File.Copy(typeof(Activations).Assembly.Location, library);
            File.WriteAllText(Path.ChangeExtension(library, ".deps.json"), """
                {
                  "runtimeTarget": { "name": ".NETStandard,Version=v2.0/" },
                  "targets": { ".NETStandard,Version=v2.0/": { "SymGrad/9.9.9": { "runtime": { "lib/netstandard2.0/SymGrad.dll": {} } } } },
                  "libraries": { "SymGrad/9.9.9": { "type": "package", "serviceable": true, "path": "symgrad/9.9.9" } }
                }
                """);
            var packages = Path.Combine(dir, "packages");
            var asset = Path.Combine(packages, "symgrad", "9.9.9", "lib", "netstandard2.0", "SymGrad.dll");
            Assert.Null(DocsRunner.FromPackages(library, "SymGrad", new[] { packages }));
            Directory.CreateDirectory(Path.GetDirectoryName(asset)!);
            File.Copy(typeof(SymGrad.DifferentiableAttribute).Assembly.Location, asset);
            Assert.Equal(asset, DocsRunner.FromPackages(library, "SymGrad", new[] { Path.Combine(dir, "elsewhere"), packages }));
            Assert.Equal(asset, DocsRunner.FromPackages(library, "symgrad", new[] { packages }));
            Assert.Null(DocsRunner.FromPackages(library, "Other", new[] { packages }));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("missing.dll", "no such file")]
    public void Docs_BadInput_IsOneClearLine(string path, string message)
    {
        var error = new StringWriter();
        Assert.Equal(1, SymgradCommand.Run(new[] { "docs", path }, new StringWriter(), error));
        Assert.StartsWith("error: missing.dll: " + message, error.ToString());
    }

    [Fact]
    public void Docs_OnAnAssemblyWithoutDerivations_SaysSo()
    {
        var error = new StringWriter();
        Assert.Equal(1, SymgradCommand.Run(new[] { "docs", typeof(SymgradCommand).Assembly.Location }, new StringWriter(), error));
        Assert.Contains("no SymGrad derivations in this assembly", error.ToString());
    }
}
