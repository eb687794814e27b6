using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using SymGrad.Generated;
using SymGrad.Tests.Shared;

namespace SymGrad.Generators.Tests;

/// <summary>
/// docs/article-formulas.md: each formula of the article SymGrad grew out of, as the article writes it, beside the
/// derivation SymGrad generates for the method that computes it (the runtime's own functions and layer formulas, and
/// this project's <see cref="ArticleModel"/>). The page is built from the generated derivations and must equal the
/// file in docs/ (SYMGRAD_ACCEPT=1 rewrites it); CI renders every formula on it with KaTeX.
/// </summary>
public class ArticlePageTests
{
    private sealed record Entry(string Title, string Article, string Source, string Method, string Variables, string? Note = null);

    // The article's formulas, copied from it (../shared/seed), in its order; Source "runtime" is SymGrad's own
    // functions (src/SymGrad/Functions), "article" the methods of tests/SymGrad.Generators.Tests/ArticleModel.cs.
    private static readonly Entry[] Entries =
    {
        new("Gradient descent on the squared error (linear regression)", @"\frac{\partial L}{\partial w} = -\frac{1}{n}\sum_{i=1}^n(y_i-\hat{y}_i)x_i",
            "article", "BatchMse", "w,b", "The article's L = 1/(2n) Σ (y − ŷ)² with ŷ = wx + b, over a span of samples; the article writes ∂L/∂w, SymGrad gives ∂L/∂b beside it."),
        new("Sigmoid", @"\sigma'(x) = \sigma(x)(1-\sigma(x))", "runtime", "Sigmoid", "x"),
        new("tanh", @"\tanh'(x) = 1-\tanh^2(x)", "runtime", "Tanh", "x"),
        new("ReLU", @"\text{ReLU}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \leq 0 \end{cases}", "runtime", "Relu", "x"),
        new("Binary cross-entropy on a probability", @"\frac{\partial L}{\partial w} = -\frac{1}{n}\sum_{i=1}^n[\frac{y_i}{\hat{y}_i}\frac{\partial \hat{y}_i}{\partial w}-\frac{1-y_i}{1-\hat{y}_i}\frac{\partial \hat{y}_i}{\partial w}]",
            "runtime", "BinaryCrossEntropy", "probability", "Per sample, with respect to the probability ŷ; the chain rule through ŷ = σ(wx + b) is the next entry."),
        new("Binary cross-entropy of a logistic model", @"\frac{\partial L}{\partial w} = -\frac{1}{n}\sum_{i=1}^n[\frac{y_i}{\hat{y}_i}\frac{\partial \hat{y}_i}{\partial w}-\frac{1-y_i}{1-\hat{y}_i}\frac{\partial \hat{y}_i}{\partial w}]",
            "article", "LogisticLoss", "w", "ŷ = σ(wx + b): the article's bracket simplifies to (ŷ − y) x."),
        new("Binary cross-entropy on a logit", @"\frac{\partial L}{\partial z} = \sigma(z) - y", "runtime", "BinaryCrossEntropyWithLogits", "logit",
            "The runtime computes it piecewise for range; the derivation shows the one function."),
        new("Mean squared error", @"L=\frac{1}{2n}\sum_{i=1}^n(y_i-\hat{y}_i)^2", "runtime", "SquaredError", "prediction"),
        new("Softmax cross-entropy", @"\frac{\partial L}{\partial z_k} = \frac{e^{z_k}}{\sum_j e^{z_j}} - y_k", "article", "SoftmaxCrossEntropyOfLogits", "z",
            "The article names the loss; this is its gradient. The code subtracts max z inside exp; the derivation shows the mathematics."),
        new("Backpropagation: a dense layer's weights", @"\frac{\partial L}{\partial W^{(l)}}=a^{(l-1)}(\delta^{(l)})^T", "runtime", "DenseScore", "W",
            "Δ is δ, the upstream gradient, one row per sample s; A is a^{(l−1)}."),
        new("Backpropagation: the δ passed down", @"\delta^{(l)}=\frac{\partial L}{\partial a^{(l)}}f'(z^{(l)})", "runtime", "DenseScore", "A",
            "∂L/∂a^{(l−1)} = δ Wᵀ; times f′ of the layer below it gives that layer's δ."),
        new("Convolution: the kernel", @"\frac{\partial L}{\partial W_{i,j,k,l}} = \sum_{m,n}\frac{\partial L}{\partial Y_{m,n,k}}\cdot X_{m+i,n+j,l}", "runtime", "Conv2DScore", "W"),
        new("Convolution: the input", @"\frac{\partial L}{\partial X_{i,j,k}} = \sum_{m,n,l}W_{m,n,k,l}\cdot\frac{\partial L}{\partial Y_{i-m,j-n,l}}", "runtime", "Conv2DScore", "X",
            "The same sum with the kernel index written i − m: δ slid over the flipped kernel, a full convolution."),
        new("Max pooling", @"\frac{\partial L}{\partial X_i} = \begin{cases} \frac{\partial L}{\partial Y_j} & i=\arg\max_i X_i \\ 0 & \text{otherwise} \end{cases}", "runtime", "MaxPool2x2Score", "X"),
        new("Average pooling", @"\frac{\partial L}{\partial X_i} = \frac{1}{4}\frac{\partial L}{\partial Y_j}", "runtime", "AvgPool2x2Score", "X",
            "The article names average pooling; a 2×2 window passes a quarter of its gradient to each element."),
        new("L1 regularization", @"\frac{\partial \Omega}{\partial W_{ij}} = \text{sign}(W_{ij})", "runtime", "L1", "w"),
        new("L2 regularization", @"\frac{\partial \Omega}{\partial W_{ij}} = 2W_{ij}", "runtime", "L2", "w"),
    };

    private static IReadOnlyList<DerivationInfo> Runtime()
    {
        var registry = typeof(DifferentiableAttribute).Assembly.GetType("SymGrad.Generated.DerivationRegistry")
            ?? throw new InvalidOperationException("The runtime has no derivation registry.");
        return (IReadOnlyList<DerivationInfo>)registry.GetProperty("All", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
    }

    internal static string Page()
    {
        var runtime = Runtime();
        DerivationInfo Find(Entry e) => e.Source == "runtime"
            ? runtime.Single(d => d.Method == e.Method && d.Type.StartsWith("SymGrad.Functions.", StringComparison.Ordinal))
            : DerivationRegistry.All.Single(d => d.Method == e.Method && d.Type.EndsWith(".ArticleModel", StringComparison.Ordinal));
        var sb = new StringBuilder();
        sb.Append("# The article's formulas, derived by SymGrad\n\n");
        sb.Append("Each formula of the article SymGrad grew out of (\"微积分在深度学习中的作用\"), as the article writes it, beside the\n");
        sb.Append("derivation SymGrad generates at build time for the C# method that computes it. The method's partial is the\n");
        sb.Append("generated `…Derivation.Partial_…` constant; its chain-rule steps are under each entry. Variables are the\n");
        sb.Append("method's parameters (Δ is the upstream gradient a layer formula is scored with), indices run from 0.\n\n");
        sb.Append("This page is generated: `ArticlePageTests` in tests/SymGrad.Generators.Tests rebuilds it from the generated\n");
        sb.Append("derivations and fails when it differs (`SYMGRAD_ACCEPT=1` rewrites it), and CI renders every formula with KaTeX.\n");
        foreach (var e in Entries)
        {
            var d = Find(e);
            var variables = e.Variables.Split(',');
            var at = variables.Select(v => d.Partials.Select(p => p.Variable).ToList().IndexOf(v)).ToList();
            if (at.Any(i => i < 0)) throw new InvalidOperationException($"{e.Method} has no partial for one of {e.Variables}.");
            sb.Append("\n## ").Append(e.Title).Append(" — ").Append(string.Join(", ", variables.Select(v => "∂/∂" + v))).Append("\n\n");
            sb.Append("The article:\n\n$$\n").Append(e.Article).Append("\n$$\n\n");
            sb.Append("SymGrad, `").Append(d.Type).Append('.').Append(d.Method).Append("`:\n\n$$\n").Append(d.Formula).Append("\n$$\n\n");
            foreach (var i in at) sb.Append("$$\n").Append(d.Partials[i].Latex).Append("\n$$\n\n");
            if (e.Note != null) sb.Append(e.Note).Append("\n\n");
            foreach (var i in at)
                sb.Append("<details><summary>Steps for ∂/∂").Append(d.Partials[i].Variable).Append("</summary>\n\n$$\n").Append(d.Steps[i]).Append("\n$$\n\n</details>\n");
        }
        return sb.ToString();
    }

    [Fact]
    public void ThePage_ListsEveryArticleFormula_BesideItsDerivation_AndIsUpToDate()
    {
        var page = Page();
        // Every formula the article derives is on it.
        foreach (var title in new[] { "Sigmoid", "tanh", "ReLU", "Mean squared error", "Binary cross-entropy", "Softmax cross-entropy", "Backpropagation", "Convolution", "Max pooling", "Average pooling", "L1", "L2", "Gradient descent" })
            Assert.Contains("\n## " + title, page, StringComparison.Ordinal);
        var path = Path.Combine(Root(), "docs", "article-formulas.md");
        var expected = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : null;
        if (expected == page) return;
        if (Environment.GetEnvironmentVariable(Snapshot.AcceptVariable) == "1")
        {
            File.WriteAllText(path, page);
            return;
        }
        File.WriteAllText(Path.ChangeExtension(path, ".received.md"), page);
        Assert.Fail($"{path} is out of date with the generated derivations: the page as generated is in article-formulas.received.md; rerun with {Snapshot.AcceptVariable}=1 to accept it.");
    }

    private static string Root([System.Runtime.CompilerServices.CallerFilePath] string file = "")
    {
        var dir = Path.GetDirectoryName(Snapshot.SourcePath(file));
        while (dir != null && !File.Exists(Path.Combine(dir, "SymGrad.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("SymGrad.sln not found above the tests.");
    }
}
