using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;

namespace SymGrad.Cli;

/// <summary>
/// <c>symgrad docs &lt;assembly&gt;</c>: reads the assembly's generated <c>SymGrad.Generated.DerivationRegistry</c> and
/// writes one Markdown page per type (KaTeX/MathJax <c>$$…$$</c> blocks) and an <c>index.html</c> that renders them.
/// </summary>
public static class DocsRunner
{
    private sealed record Entry(string Type, string Method, string Formula, List<(string Variable, string Latex)> Partials, List<string> Steps);

    /// <summary>Writes the pages; returns 1 with one line on <paramref name="error"/> when the assembly cannot be read.</summary>
    public static int Run(string assemblyPath, string outputDirectory, TextWriter output, TextWriter error)
    {
        var path = Path.GetFullPath(assemblyPath);
        if (!File.Exists(path))
        {
            error.WriteLine($"error: {assemblyPath}: no such file (build the project first and pass its .dll)");
            return 1;
        }
        List<Entry> entries;
        try
        {
            entries = Read(path);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException or InvalidOperationException or TargetInvocationException)
        {
            var hint = e is FileNotFoundException or FileLoadException
                ? " (symgrad docs looks for the assembly's dependencies beside it and in the NuGet package folder its .deps.json names: restore the project, or pass an application's output)"
                : "";
            error.WriteLine($"error: {assemblyPath}: {(e is TargetInvocationException t ? t.InnerException?.Message : e.Message)?.TrimEnd()}{hint}");
            return 1;
        }

        Directory.CreateDirectory(outputDirectory);
        var pages = new List<string>();
        foreach (var group in entries.GroupBy(e => e.Type).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            // A file name every file system takes: Gen<T> is Gen_T_ (as the generator names its files), kept apart from a
            // type already called that.
            var stem = new string(group.Key.Select(c => char.IsLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray());
            var file = stem + ".md";
            for (var k = 2; pages.Contains(file); k++) file = stem + "." + k.ToString(CultureInfo.InvariantCulture) + ".md";
            File.WriteAllText(Path.Combine(outputDirectory, file), Page(group.Key, group.OrderBy(e => e.Method, StringComparer.Ordinal)));
            pages.Add(file);
        }
        File.WriteAllText(Path.Combine(outputDirectory, "index.html"), Html(entries));
        var katex = WriteKatex(outputDirectory);
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, "wrote {0} derivation{1} of {2} type{3} to {4}: {5}, index.html, and KaTeX ({6} files in katex/) for it to render offline",
            entries.Count, entries.Count == 1 ? "" : "s", pages.Count, pages.Count == 1 ? "" : "s", outputDirectory, string.Join(", ", pages), katex));
        return 0;
    }

    /// <summary>Writes the KaTeX the tool carries (script, style sheet, fonts, licence) to katex/ under the folder; returns the file count.</summary>
    internal static int WriteKatex(string outputDirectory)
    {
        var assembly = typeof(DocsRunner).Assembly;
        var count = 0;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("katex/", StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal))
        {
            var target = Path.Combine(outputDirectory, name.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var source = assembly.GetManifestResourceStream(name)!;
            using var file = File.Create(target);
            source.CopyTo(file);
            count++;
        }
        return count;
    }

    private static List<Entry> Read(string path)
    {
        var context = new PluginContext(path);
        try
        {
            var assembly = context.LoadFromAssemblyPath(path);
            var registry = assembly.GetType("SymGrad.Generated.DerivationRegistry")
                ?? throw new InvalidOperationException("no SymGrad derivations in this assembly (does it reference SymGrad and have [Differentiable] methods?)");
            var all = (IEnumerable)registry.GetProperty("All", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            var entries = new List<Entry>();
            foreach (var info in all)
            {
                string Get(object o, string name) => (string)o.GetType().GetProperty(name)!.GetValue(o)!;
                var partials = ((IEnumerable)info.GetType().GetProperty("Partials")!.GetValue(info)!).Cast<object>()
                    .Select(p => (Get(p, "Variable"), Get(p, "Latex"))).ToList();
                var steps = ((IEnumerable)info.GetType().GetProperty("Steps")!.GetValue(info)!).Cast<string>().ToList();
                entries.Add(new Entry(Get(info, "Type"), Get(info, "Method"), Get(info, "Formula"), partials, steps));
            }
            return entries;
        }
        finally
        {
            context.Unload();
        }
    }

    private static string Page(string type, IEnumerable<Entry> entries)
    {
        var sb = new StringBuilder();
        sb.Append("# ").Append(type).Append("\n\nDerivations generated by SymGrad.\n");
        foreach (var e in entries)
        {
            sb.Append("\n## ").Append(e.Method).Append("\n\n$$\n").Append(e.Formula).Append("\n$$\n");
            foreach (var ((variable, latex), steps) in e.Partials.Zip(e.Steps))
            {
                sb.Append("\n### ∂f/∂").Append(variable).Append("\n\n$$\n").Append(latex).Append("\n$$\n");
                sb.Append("\n<details><summary>Step by step</summary>\n\n$$\n").Append(steps).Append("\n$$\n\n</details>\n");
            }
        }
        return sb.ToString();
    }

    private static string Html(IEnumerable<Entry> entries)
    {
        static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>SymGrad derivations</title>\n");
        sb.Append("<!-- Rendered by KaTeX from the katex/ folder symgrad docs wrote beside this page (no network needed). -->\n");
        sb.Append("<link rel=\"stylesheet\" href=\"katex/katex.min.css\">\n<script defer src=\"katex/katex.min.js\"></script>\n");
        sb.Append("<script>\ndocument.addEventListener('DOMContentLoaded', () => {\n  for (const el of document.querySelectorAll('.math')) {\n");
        sb.Append("    katex.render(el.textContent, el, { displayMode: true, throwOnError: false });\n  }\n});\n</script>\n");
        sb.Append("<style>body { font-family: sans-serif; max-width: 60em; margin: auto; } .math { overflow-x: auto; }</style>\n</head>\n<body>\n<h1>SymGrad derivations</h1>\n");
        foreach (var group in entries.GroupBy(e => e.Type).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.Append("<h2>").Append(Escape(group.Key)).Append("</h2>\n");
            foreach (var e in group.OrderBy(e => e.Method, StringComparer.Ordinal))
            {
                sb.Append("<h3>").Append(Escape(e.Method)).Append("</h3>\n<div class=\"math\">").Append(Escape(e.Formula)).Append("</div>\n");
                foreach (var ((_, latex), steps) in e.Partials.Zip(e.Steps))
                {
                    sb.Append("<div class=\"math\">").Append(Escape(latex)).Append("</div>\n");
                    sb.Append("<details><summary>Step by step</summary><div class=\"math\">").Append(Escape(steps)).Append("</div></details>\n");
                }
            }
        }
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>
    /// Loads the user's assembly with its own dependencies (its SymGrad.dll), collectibly: from beside it (an
    /// application's output), else from the NuGet package folder its .deps.json names (a class library's output holds
    /// only its own dll).
    /// </summary>
    private sealed class PluginContext : AssemblyLoadContext
    {
        private readonly AssemblyDependencyResolver _resolver;
        private readonly string _path;

        public PluginContext(string path) : base("symgrad-docs", isCollectible: true)
        {
            _resolver = new AssemblyDependencyResolver(path);
            _path = path;
        }

        protected override Assembly? Load(AssemblyName name)
        {
            var path = _resolver.ResolveAssemblyToPath(name) ?? FromPackages(_path, name.Name, PackageRoots());
            return path is null ? null : LoadFromAssemblyPath(path);
        }
    }

    /// <summary>The NuGet package folders: NUGET_PACKAGES, else ~/.nuget/packages.</summary>
    internal static IEnumerable<string> PackageRoots()
    {
        if (Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set) yield return set;
        yield return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    }

    /// <summary>
    /// The file of assembly <paramref name="name"/> in a package folder, as the .deps.json beside
    /// <paramref name="assemblyPath"/> lists it (library "SymGrad/1.2.0", path "symgrad/1.2.0", runtime asset
    /// "lib/netstandard2.0/SymGrad.dll"); null when it lists none or the file is not there.
    /// </summary>
    internal static string? FromPackages(string assemblyPath, string? name, IEnumerable<string> roots)
    {
        var deps = Path.ChangeExtension(assemblyPath, ".deps.json");
        if (name is null || !File.Exists(deps)) return null;
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(deps));
            if (!json.RootElement.TryGetProperty("targets", out var targets) || !json.RootElement.TryGetProperty("libraries", out var libraries)) return null;
            foreach (var target in targets.EnumerateObject())
            foreach (var library in target.Value.EnumerateObject())
            {
                if (!library.Value.TryGetProperty("runtime", out var runtime)) continue;
                foreach (var asset in runtime.EnumerateObject())
                {
                    if (!string.Equals(Path.GetFileNameWithoutExtension(asset.Name), name, StringComparison.OrdinalIgnoreCase)) continue;
                    if (!libraries.TryGetProperty(library.Name, out var info) || !info.TryGetProperty("path", out var packagePath)) continue;
                    foreach (var root in roots)
                    {
                        var file = Path.Combine(root, packagePath.GetString()!, asset.Name);
                        if (File.Exists(file)) return file;
                    }
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // A .deps.json that is not JSON: resolved as without one.
        }
        return null;
    }
}
