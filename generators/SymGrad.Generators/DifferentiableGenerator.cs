using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SymGrad.Generators;

/// <summary>
/// The incremental generator: <c>[Differentiable]</c> methods in, gradient code and LaTeX derivations out.
/// Pipeline wiring only; <see cref="DifferentiableParser"/> reads, <see cref="DifferentiableEmitter"/> writes.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class DifferentiableGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var methods = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                DifferentiableParser.DifferentiableAttribute,
                static (node, _) => node is MethodDeclarationSyntax or LocalFunctionStatementSyntax,
                static (ctx, ct) => Guard(() => DifferentiableParser.Parse(ctx, ct), ((IMethodSymbol)ctx.TargetSymbol).Name, ctx.TargetNode))
            .WithTrackingName(TrackingNames.MethodResults);

        // Diagnostics are kept as plain data (cached with the parse) and placed back into the current syntax trees only
        // when reported, so that #pragma warning disable SG… around a method silences them.
        var diagnostics = methods.Select(static (r, _) => r.Diagnostics).WithTrackingName(TrackingNames.MethodDiagnostics);
        context.RegisterSourceOutput(diagnostics.Combine(context.CompilationProvider), static (spc, pair) =>
        {
            var trees = new SourceTrees(pair.Right);
            foreach (var d in pair.Left) spc.ReportDiagnostic(d.ToDiagnostic(trees));
        });

        // Differentiation, the expensive step, sees the model without its location: a line added above a method moves
        // its attribute but changes nothing to generate, so the step stays cached. Its diagnostics (SG0007, SG0013)
        // get their location afterwards, from the parse results, in a cheap step.
        var generated = methods
            .Where(static r => r.Model != null)
            .Select(static (r, _) => r.Model! with { AttributeLocation = null, Torch = r.Model.Torch is { } torch ? torch with { Location = null } : null })
            .WithTrackingName(TrackingNames.LocationFreeModels)
            .Select(static (m, ct) => Generate(m, ct))
            .WithTrackingName(TrackingNames.GeneratedMethods);
        // Hint names must differ even ignoring case (a file system may): Loss and loss in one type, types Model and model,
        // C<T> beside C_T_ would otherwise be one name and the compiler would drop every generated file (CS8785). The
        // later of two equal names (in ordinal order, then by source) gets a number.
        // Methods that generate nothing (an SG error of their own), by key: a method calling one is not generated either
        // (its code would call members that do not exist, CS0103 inside the generated file); it gets one SG0021 instead.
        var failedKeys = methods.Where(static r => r.Model is null && r.Key != null).Select(static (r, _) => r.Key!).Collect()
            .WithTrackingName(TrackingNames.FailedMethods);
        var withFailures = generated.Collect().Combine(failedKeys);
        context.RegisterSourceOutput(withFailures, static (spc, pair) =>
        {
            var (list, failedParse) = pair;
            var cascaded = Cascaded(list, failedParse);
            var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { RegistryHintName };
            foreach (var g in list.Where(g => g.Source.Length > 0 && !cascaded.ContainsKey(g.Key)).OrderBy(g => g.HintName, StringComparer.Ordinal).ThenBy(g => g.Source, StringComparer.Ordinal))
            {
                var hint = g.HintName;
                for (var k = 2; !used.Add(hint); k++) hint = g.HintName.Substring(0, g.HintName.Length - ".g.cs".Length) + "." + k.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".g.cs";
                spc.AddSource(hint, g.Source);
            }
        });
        var locations = methods
            .Where(static r => r.Model != null)
            .Select(static (r, _) => (Hint: DifferentiableEmitter.HintName(r.Model!), r.Model!.AttributeLocation, TorchLocation: r.Model.Torch?.Location))
            .Collect();
        context.RegisterSourceOutput(withFailures.Combine(locations).WithTrackingName(TrackingNames.GeneratedMethodDiagnostics).Combine(context.CompilationProvider), static (spc, pair) =>
        {
            var (((methods, failedParse), locations), compilation) = pair;
            var cascaded = Cascaded(methods, failedParse);
            if (methods.All(g => g.Diagnostics.Count == 0) && cascaded.Count == 0) return;
            var at = locations.GroupBy(l => l.Hint).ToDictionary(g => g.Key, g => g.First());
            var trees = new SourceTrees(compilation);
            foreach (var g in methods)
            {
                var found = at.TryGetValue(g.HintName, out var l);
                var location = found ? l.AttributeLocation : null;
                // SG0029 belongs on [TorchFunction], the rest on [Differentiable].
                var torchLocation = found ? l.TorchLocation ?? location : location;
                foreach (var d in g.Diagnostics)
                    spc.ReportDiagnostic((d.Location is null ? d with { Location = d.Id == DiagnosticDescriptors.NoTorchFunction.Id ? torchLocation : location } : d).ToDiagnostic(trees));
                if (cascaded.TryGetValue(g.Key, out var callee))
                    spc.ReportDiagnostic(new DiagnosticInfo(DiagnosticDescriptors.UnsupportedCall.Id, location,
                        new[] { Short(callee), "it has errors of its own (reported on it), so nothing is generated for this method until they are fixed" }.ToEquatableArray()).ToDiagnostic(trees));
            }
        });

        // [TorchFunction] without [Differentiable]: said, not silently ignored.
        var lonely = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                DifferentiableParser.TorchFunctionAttribute,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, ct) => ctx.TargetSymbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == DifferentiableParser.DifferentiableAttribute)
                    ? null
                    : new DiagnosticInfo(DiagnosticDescriptors.NoTorchFunction.Id, LocationInfo.From(ctx.Attributes[0].ApplicationSyntaxReference?.GetSyntax(ct)?.GetLocation()),
                        new[] { ctx.TargetSymbol.Name, "it is not [Differentiable]; the tensor function is made from its generated derivatives, so mark it [Differentiable] too" }.ToEquatableArray()))
            .Where(static d => d != null);
        context.RegisterSourceOutput(lonely.Combine(context.CompilationProvider), static (spc, pair) => spc.ReportDiagnostic(pair.Left!.ToDiagnostic(new SourceTrees(pair.Right))));

        var all = generated.Collect().WithTrackingName(TrackingNames.AllGeneratedMethods);
        var languageVersion = context.ParseOptionsProvider.Select(static (o, _) =>
            o is CSharpParseOptions csharp ? (int)csharp.LanguageVersion : (int)LanguageVersion.CSharp10);
        context.RegisterSourceOutput(all.Combine(languageVersion), static (spc, pair) =>
        {
            var ok = pair.Left.Where(g => g.Source.Length > 0).ToList();
            if (ok.Count > 0) spc.AddSource(RegistryHintName, DifferentiableEmitter.Registry(ok, pair.Right));
        });
    }

    private const string RegistryHintName = "SymGrad.DerivationRegistry.g.cs";

    // The generated methods that call (directly or through others) a method that generates nothing: key → that callee.
    private static Dictionary<string, string> Cascaded(IReadOnlyList<GeneratedMethod> methods, IEnumerable<string> failedParse)
    {
        var failed = new HashSet<string>(failedParse, StringComparer.Ordinal);
        foreach (var g in methods) if (g.Source.Length == 0) failed.Add(g.Key);
        var cascaded = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var g in methods)
                if (g.Source.Length > 0 && !cascaded.ContainsKey(g.Key) && g.Callees.FirstOrDefault(failed.Contains) is { } callee)
                {
                    cascaded[g.Key] = callee;
                    failed.Add(g.Key);
                    changed = true;
                }
        }
        return cascaded;
    }

    // Type.Method of a key (without the precision).
    private static string Short(string key) => key.Substring(0, key.LastIndexOf(':'));

    private static GeneratedMethod Generate(MethodModel model, System.Threading.CancellationToken ct)
    {
        try
        {
            return DifferentiableEmitter.Generate(model, ct);
        }
        catch (InsufficientExecutionStackException)
        {
            // A formula nested deeply enough to pass the reader's limit can still be too deep to differentiate twice
            // (second derivatives of a 999-fold tanh): a clear refusal, not an internal error.
            var d = new DiagnosticInfo(DiagnosticDescriptors.UnsupportedExpression.Id, model.AttributeLocation, new[]
                { model.Name, $"its expressions are nested too deeply to differentiate{(model.Order == 2 ? " twice" : "")}; split them into locals" }.ToEquatableArray());
            return new GeneratedMethod(DifferentiableEmitter.HintName(model), "", "", new[] { d }.ToEquatableArray(), model.Key, model.Callees);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var d = new DiagnosticInfo(DiagnosticDescriptors.InternalError.Id, model.AttributeLocation, new[] { model.Name, e.GetType().Name + ": " + e.Message }.ToEquatableArray());
            return new GeneratedMethod(DifferentiableEmitter.HintName(model), "", "", new[] { d }.ToEquatableArray(), model.Key, model.Callees);
        }
    }

    // A generator exception is a compiler warning and silently no output: turn it into a diagnostic instead.
    private static MethodResult Guard(Func<MethodResult> parse, string name, SyntaxNode node)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var at = LocationInfo.From(node is MethodDeclarationSyntax m ? m.Identifier.GetLocation() : node.GetLocation());
            return new MethodResult(null, new[] { new DiagnosticInfo(DiagnosticDescriptors.InternalError.Id, at, new[] { name, e.GetType().Name + ": " + e.Message }.ToEquatableArray()) }.ToEquatableArray());
        }
    }
}
