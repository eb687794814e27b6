using System.Linq;

namespace SymGrad.Generators.Tests;

/// <summary>
/// [TorchFunction]'s generated code compiles against the managed TorchSharp bindings and keeps what it says it keeps; every
/// method it cannot make a tensor function of is SG0029 on the attribute. (Run against libtorch: tests/SymGrad.TorchSharp.Tests.)
/// </summary>
public class TorchFunctionTests
{
    private const string Usings = "using System;\nusing SymGrad;\nusing SymGrad.Torch;\n";

    [Fact]
    public void AnActivation_BecomesAnAutogradFunction_KeepingItsSigmoid_AndAModule()
    {
        var r = GeneratorHarness.Run(Usings + @"
public static partial class Act
{
    [Differentiable, TorchFunction]
    public static float Gelu(float x) => 0.5f * x * (1f + MathF.Tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
}");
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
        var code = r.Generated("Act.Gelu.float.g.cs");
        Assert.Contains("public sealed class GeluFunction : global::TorchSharp.torch.autograd.SingleTensorFunction<GeluFunction>", code);
        Assert.Contains("public static global::TorchSharp.torch.Tensor Gelu(global::TorchSharp.torch.Tensor x) => GeluFunction.apply(x);", code);
        Assert.Contains("public static global::SymGrad.Torch.FunctionModule GeluModule() => new(\"Gelu\", Gelu);", code);
        // 0.5x(1 + tanh u) is x·σ(2u), one library kernel (not its stable form over exp: libtorch's σ is stable). The input
        // and σ, which both passes read, are kept; the cheap cube is recomputed backward, σ is not.
        var forward = code.Substring(0, code.IndexOf("backward(global::TorchSharp", System.StringComparison.Ordinal));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(forward, @"\.sigmoid\(\)"));
        var kept = code.Split('\n').Single(l => l.Contains("ctx.save_for_backward("));
        Assert.Matches(@"\{ x, sigma\d+ \}", kept);
        var backward = code.Substring(code.IndexOf("backward(global::TorchSharp", System.StringComparison.Ordinal));
        Assert.Contains("x.pow(3.0)", backward);
        Assert.DoesNotContain(".sigmoid()", backward);
        Assert.DoesNotContain(".tanh()", backward);
        // Three-address form: each intermediate freed after its last use.
        Assert.Matches(@"var tmp\d+ = tmp\d+ \+ tmp\d+;\s+tmp\d+\.Dispose\(\);", backward);
    }

    [Fact]
    public void ALoss_TakesScalarsAsDoubles_AndGivesTheTargetNoGradient()
    {
        var r = GeneratorHarness.Run(Usings + @"
public static partial class Loss
{
    [Differentiable(""p""), TorchFunction(""gamma"")]
    public static double Focal(double p, double y, double gamma) => -y * Math.Pow(1 - p, gamma) * Math.Log(p) - (1 - y) * Math.Pow(p, gamma) * Math.Log(1 - p);
}");
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
        var code = r.Generated("Loss.Focal.g.cs");
        Assert.Contains("Focal(global::TorchSharp.torch.Tensor p, global::TorchSharp.torch.Tensor y, double gamma) => FocalFunction.apply(p, y, gamma);", code);
        Assert.Contains("var gamma = (double)vars[2];", code);
        Assert.Contains("ctx.save_data(\"gamma\", gamma);", code);
        // One gradient per argument: p's summed back to its shape, none for y and gamma; no module (two tensors).
        Assert.Matches(@"global::SymGrad\.Torch\.Broadcasting\.SumTo\(grad \* \w+, p\)", code);
        Assert.Equal(2, code.Split('\n').Count(l => l.Trim() == "null!,"));
        Assert.DoesNotContain("FocalModule", code);
    }

    [Theory]
    [InlineData("public static double F(double[,] x) => x[0, 0];", "[Differentiable, TorchFunction]", "its parameter 'x' is neither a number nor a vector")]
    [InlineData("public static double F(double x, int n) => x * n;", "[Differentiable(\"x\"), TorchFunction]", "its parameter 'n' is neither a number nor a vector")]
    [InlineData("public static double F(ReadOnlySpan<double> x) { var s = 0.0; for (var i = 0; i < x.Length - 1; i++) s += x[i + 1] * x[i]; return s; }", "[Differentiable, TorchFunction]", "at another index than its loop's")]
    [InlineData("public static double F(ReadOnlySpan<double> x) => x[0];", "[Differentiable, TorchFunction]", "at another index than its loop's")]
    [InlineData("public static double F(ReadOnlySpan<double> x, double a) => a * x.Length;", "[Differentiable(\"a\"), TorchFunction(\"x\")]", "'x' is a vector; only a number can be a scalar")]
    [InlineData("public static double F(double x, double a) => a * x;", "[Differentiable(\"x\"), TorchFunction(\"b\")]", "'b' is not one of its parameters")]
    [InlineData("public static double F(double x, double a) => a * x;", "[Differentiable, TorchFunction(\"a\")]", "'a' is a scalar (a plain double) and a differentiation variable")]
    [InlineData("public static double F(double x) => x * x;", "[Differentiable(\"x\"), TorchFunction(\"x\")]", "'x' is a scalar (a plain double) and a differentiation variable")]
    [InlineData("public static double F(double x) => G(x) * x;\n    [Differentiable] public static double G(double x) => x * x;", "[Differentiable, TorchFunction]", "it calls 'G'; a call has no tensor form yet")]
    [InlineData("public static double F(double x) { var s = 0.0; for (var i = 0; i < 3; i++) s += x * i; return s; }", "[Differentiable, TorchFunction]", "it has a loop")]
    [InlineData("public static double F(double x) => x * x;", "[TorchFunction]", "it is not [Differentiable]; the tensor function is made from its generated derivatives")]
    [InlineData("public static float F(float x) => x * x;\n    [Differentiable, TorchFunction] public static double F(double x) => x * x;", "[Differentiable, TorchFunction]", "its overload 'M.F(float)' is a [TorchFunction] already")]
    public void WhatCannotBeATensorFunction_IsSG0029_OnTheAttribute(string method, string attributes, string reason)
    {
        var r = GeneratorHarness.Run(Usings + "public static partial class M\n{\n    " + attributes + "\n    " + method + "\n}");
        var d = Assert.Single(r.GeneratorDiagnostics, d => d.Id == "SG0029" && d.GetMessage().Contains(reason));
        Assert.StartsWith("'F' has no TorchSharp function: ", d.GetMessage());
        Assert.Contains(reason, d.GetMessage());
        Assert.StartsWith("TorchFunction", r.SpanText(d));
        Assert.Empty(r.CompileDiagnostics);
    }

    [Fact]
    public void ALossOverVectors_ReducesTheLastAxis()
    {
        var r = GeneratorHarness.Run(Usings + @"
public static partial class V
{
    [Differentiable(""p""), TorchFunction]
    public static float Mse(ReadOnlySpan<float> p, ReadOnlySpan<float> y)
    {
        var s = 0f;
        for (var i = 0; i < p.Length; i++) s += (p[i] - y[i]) * (p[i] - y[i]);
        return s / p.Length;
    }
}");
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
        var code = r.Generated("V.Mse.float.g.cs");
        Assert.Contains("public static global::TorchSharp.torch.Tensor Mse(global::TorchSharp.torch.Tensor p, global::TorchSharp.torch.Tensor y) => MseFunction.apply(p, y);", code);
        // One length for both vectors (checked), the loop a sum over the last axis kept as an axis of 1, the value without it.
        Assert.Contains("if (y.size(-1) != p.size(-1)) throw new global::System.ArgumentException(", code);
        Assert.Contains("var n = (double)p.size(-1);", code);
        Assert.Contains(".sum(-1, keepdim: true)", code);
        Assert.Contains(".squeeze(-1)).MoveToOuterDisposeScope();", code);
        // The incoming gradient gets the axis back to broadcast against the vectors; p's gradient has p's shape.
        Assert.Contains("var gradRow = grad.unsqueeze(-1);", code);
        Assert.Matches(@"Broadcasting\.SumTo\(gradRow \* \w+, p\)", code);
        Assert.DoesNotContain("MseModule", code);
    }

    [Fact]
    public void ParametersNamedLikeThePassesLocals_Compile()
    {
        // ctx, vars, grad, saved and scope are what the generated passes call their own locals: a user may use them.
        var r = GeneratorHarness.Run(Usings + @"
public static partial class M
{
    [Differentiable(""ctx"", ""vars"", ""grad"", ""saved"", ""tmp0""), TorchFunction(""scope"")]
    public static double F(double ctx, double vars, double grad, double saved, double scope, double tmp0) =>
        Math.Sin(ctx) * vars + Math.Exp(grad * saved) * scope + tmp0 * tmp0 * ctx;
}");
        Assert.Empty(r.GeneratorDiagnostics);
        Assert.Empty(r.CompileDiagnostics);
        Assert.Contains("AutogradContext ctx_, params object[] vars_", r.Generated("M.F.g.cs"));
    }

    [Fact]
    public void KeywordNames_AndComparisons_Compile()
    {
        var r = GeneratorHarness.Run(Usings + @"
public static partial class M
{
    [Differentiable, TorchFunction]
    public static double Clip(double @in, double @out) => @in > @out ? Math.Min(@in, 1.0) : Math.Abs(@out) * Math.Exp(-@in) + (@in == @out ? 1.0 : 0.0);
}");
        Assert.Empty(r.GeneratorDiagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assert.Empty(r.CompileDiagnostics);
    }
}
