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

    private static DerivationInfo Find(string method)
    {
        var registry = typeof(Tensors.DenseTensor).Assembly.GetType("SymGrad.Generated.DerivationRegistry")!;
        var all = (IReadOnlyList<DerivationInfo>)registry.GetProperty("All", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        return all.Single(d => d.Method == method);
    }

    private static string PartialOf(string method, string variable) => Find(method).Partials.Single(p => p.Variable == variable).Latex;

    [Fact]
    public void TheArticlesFormulas_ReadAsTheArticleWritesThem()
    {
        // Activations: σ(1 − σ), 1 − tanh², ReLU's step, the leaky ReLU's 0.01 (not 1/100), softplus′ = σ (its code
        // branches on the sign; the mathematics is one function).
        Assert.EndsWith(@"= \sigma\left(x\right) \left(1 - \sigma\left(x\right)\right)", PartialOf("Sigmoid", "x"));
        Assert.EndsWith(@"= 1 - \tanh^{2}\left(x\right)", PartialOf("Tanh", "x"));
        Assert.EndsWith(@"= \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}", PartialOf("Relu", "x"));
        Assert.EndsWith(@"= \begin{cases} 1 & x > 0 \\ 0.01 & x \le 0 \end{cases}", PartialOf("LeakyRelu", "x"));
        Assert.Equal(@"f = \operatorname{softplus}\left(x\right)", Find("Softplus").Formula);
        Assert.EndsWith(@"= \sigma\left(x\right)", PartialOf("Softplus", "x"));
        Assert.Contains("as mathematics: the cases are one function", Find("Softplus").Steps[0]);
        // Losses: ŷ − y for the squared error, its power-rule step factored (½ · 2(ŷ − y)); σ(z) − y on a logit.
        Assert.EndsWith(@"= \mathrm{prediction} - \mathrm{target}", PartialOf("SquaredError", "prediction"));
        Assert.Contains(@"\frac{1}{2} \cdot 2 \left(\mathrm{prediction} - \mathrm{target}\right) && \text{(power rule)}", Find("SquaredError").Steps[0]);
        Assert.EndsWith(@"= \sigma\left(\mathrm{logit}\right) - \mathrm{target}", PartialOf("BinaryCrossEntropyWithLogits", "logit"));
        // Regularizers: sign(w) and 2w.
        Assert.EndsWith(@"= \operatorname{sign}\left(w\right)", PartialOf("L1", "w"));
        Assert.EndsWith(@"= 2 w", PartialOf("L2", "w"));
    }

    [Fact]
    public void TheLayersBackwardPasses_ReadAsTheArticleWritesThem()
    {
        // Dense: ∂L/∂W = Aᵀδ, ∂L/∂b = Σ δ, ∂L/∂A = δWᵀ, in indices.
        Assert.Contains(@"\sum_{s=0}^{n_{A} - 1} A_{s,k} \Delta_{s,l}", PartialOf("DenseScore", "W"));
        Assert.EndsWith(@"= \sum_{j=0}^{n_{b} - 1} \Delta_{k,j} W_{l,j}", PartialOf("DenseScore", "A"));
        // Convolution: ∂L/∂X is δ slid over the flipped kernel (W at q − m, r − n), the kernel's range under the sums,
        // and each partial names its own indices (X_{p,q,r,t}, not X_{k_2,k_3,k_4,k_5} beside W's and b's).
        var dx = PartialOf("Conv2DScore", "X");
        Assert.StartsWith(@"\frac{\partial f}{\partial X_{p,q,r,t}}", dx);
        Assert.Contains(@"\sum_{\substack{m=0 \\ 0 \le q - m < n_{W}}}", dx);
        Assert.Contains(@"\Delta_{p,m,n,k} W_{q - m,r - n,t,k}", dx);
        Assert.Contains("the kernel W flipped: a full convolution", Find("Conv2DScore").Steps.Last());
        Assert.StartsWith(@"\frac{\partial f}{\partial b_{p}}", PartialOf("Conv2DScore", "b"));
        // Max pooling: the gradient goes to the window's maximum, one argmax over the window's two axes (was an argmax
        // inside an argmax); average pooling: a quarter to each of the window's four.
        var pool = PartialOf("MaxPool2x2Score", "X");
        Assert.Contains(@"\left(l, p\right) = \left(2 m, 2 n\right) + \operatorname*{argmax}_{i < 2,\, j < 2} X_{k,2 m + i,2 n + j,q}", pool);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(pool, "argmax"));
        Assert.Contains("the gradient goes to each maximum's position", Find("MaxPool2x2Score").Steps[0]);
        Assert.Contains(@"\sum_{\substack{m=0 \\ 0 \le l - 2 m < 2}}", PartialOf("AvgPool2x2Score", "X"));
        // No free index is named k_0…: every partial's indices are letters.
        foreach (var d in new[] { "DenseScore", "Conv2DScore", "Conv2DStridedScore", "MaxPool2x2Score", "AvgPool2x2Score" }.Select(Find))
            foreach (var p in d.Partials) Assert.DoesNotContain("k_{", p.Latex, StringComparison.Ordinal);
    }
}
