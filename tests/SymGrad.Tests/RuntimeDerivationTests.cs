using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Text;
using SymGrad.Tests.Shared;

namespace SymGrad.Tests;

/// <summary>
/// The runtime's own derivations (its activations, losses, regularizers and layer formulas, all generated at build
/// time) are documents of record like the article's: snapshot here, rendered by KaTeX in CI.
/// </summary>
public class RuntimeDerivationTests
{
    [Fact]
    public void EveryRuntimeDerivation_MatchesItsSnapshot()
    {
        var registry = typeof(Tensors.DenseTensor).Assembly.GetType("SymGrad.Generated.DerivationRegistry")
            ?? throw new InvalidOperationException("The runtime has no derivation registry: its generator did not run.");
        var all = (IReadOnlyList<DerivationInfo>)registry.GetProperty("All", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        var methods = all.Select(d => d.Method).ToHashSet();
        foreach (var m in new[] { "Sigmoid", "Tanh", "Relu", "Softplus", "SquaredError", "BinaryCrossEntropyWithLogits", "L1", "L2", "DenseScore", "Conv2DScore", "MaxPool2x2Score", "AvgPool2x2Score" })
            Assert.Contains(m, methods);

        var doc = new StringBuilder();
        foreach (var d in all.OrderBy(d => d.Type, StringComparer.Ordinal).ThenBy(d => d.Method, StringComparer.Ordinal))
        {
            doc.Append("% ").Append(d.Type).Append('.').Append(d.Method).Append('\n').Append(d.Formula).Append("\n\n");
            foreach (var p in d.Partials) doc.Append(p.Latex).Append("\n\n");
            foreach (var (p, steps) in d.Partials.Zip(d.Steps)) doc.Append("% steps for ").Append(p.Variable).Append('\n').Append(steps).Append("\n\n");
        }
        Snapshot.Verify("Runtime.Derivations", doc.ToString(), "tex");
    }
}
