using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using SymGrad.Symbolic;

namespace SymGrad.Generators;

// [TorchFunction]: the method as a TorchSharp autograd function, forward and backward printed by the engine's TorchPrinter.
internal static partial class DifferentiableEmitter
{
    private const string TorchTensor = "global::TorchSharp.torch.Tensor";

    /// <summary>
    /// Appends <c>{Name}Function</c> (a <c>torch.autograd.SingleTensorFunction</c>: the value forward, each tensor
    /// variable's partial times the incoming gradient backward, keeping the inputs and the transcendental subterms both
    /// passes share), <c>{Name}(Tensor …)</c> and, for a one-tensor function, <c>{Name}Module()</c>.
    /// </summary>
    private static void AppendTorch(StringBuilder members, DifferentiatedMethod d, TorchInfo torch, string indent, List<DiagnosticInfo> diagnostics)
    {
        var m = d.Model;
        var scalars = new HashSet<string>(torch.Scalars, StringComparer.Ordinal);
        var parameters = m.Parameters.ToList();
        var tensors = parameters.Where(p => !scalars.Contains(p)).ToList();
        // Vectors (rank 1): tensors whose last axis is the vector's, all of one length n; the method's loops over them are
        // reductions along that axis.
        var vectors = parameters.Where((p, i) => m.Ranks[i] == 1).ToList();
        var reference = vectors.Count > 0 ? vectors[0] : tensors[0];
        var length = vectors.Count == 0 ? null : Enumerable.Range(0, int.MaxValue).Select(i => i == 0 ? "n" : "n" + i).First(n => !parameters.Contains(n));
        // A length converted to floating point (a mean's n) is the double n; as an int (a loop's count, an index's bound) it
        // stays the length, which the printer reads as n too.
        // The function refuses empty vectors and runs every index over [0, n): a guard that an index is inside a vector, or that
        // a vector is not empty, holds (it would build an always-true mask otherwise).
        bool IsLength(Expr x) => x.Kind == ExprKind.Length && vectors.Contains(x.LengthArray);
        Expr Lengths(Expr e) => length is null ? e : TorchPrinter.SplitSums(Graph.Rewrite(e, x =>
            x.Kind == ExprKind.ToFloat && IsLength(x.Args[0]) ? Expr.Var(length)
            : x.Kind == ExprKind.Less && x.Args[0].Kind == ExprKind.Index && IsLength(x.Args[1]) ? Expr.One
            : x.Kind == ExprKind.Greater && x.Args[1].Kind == ExprKind.Index && IsLength(x.Args[0]) ? Expr.One
            : x.Kind is ExprKind.Greater && IsLength(x.Args[0]) && x.Args[1].IsZero ? Expr.One
            : x.Kind is ExprKind.Less && IsLength(x.Args[1]) && x.Args[0].IsZero ? Expr.One
            : x.Kind == ExprKind.GreaterEqual && x.Args[0].Kind == ExprKind.Index && x.Args[1].IsZero ? Expr.One
            : x.Kind == ExprKind.LessEqual && x.Args[1].Kind == ExprKind.Index && x.Args[0].IsZero ? Expr.One
            : x));
        // The value and one partial per tensor variable (scalars are constants here).
        var wanted = d.Variables.Select((v, i) => (Name: m.Variables[i], Partial: Lengths(d.Gradient.Partials[i]))).Where(v => !scalars.Contains(v.Name)).ToList();
        TorchPrinter.Function function;
        try
        {
            var outputs = new List<(string, Expr)> { ("value", Lengths(d.Gradient.Function)) };
            outputs.AddRange(wanted.Select(w => ("d" + w.Name, w.Partial)));
            var program = CsePass.Build(outputs, parameters.Concat(new[] { "ctx", "vars", "grad", "saved", "scope", "result" }).Concat(length is null ? Array.Empty<string>() : new[] { length }), parameters, primitiveForms: false);
            function = TorchPrinter.Print(program, torch.Scalars, CSharpPrinter.Identifier(reference), vectors, length);
        }
        catch (NotSupportedException e)
        {
            // Placed on [TorchFunction] when reported (the model here carries no locations).
            diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.NoTorchFunction.Id, null, new[] { m.Name, e.Message }.ToEquatableArray()));
            return;
        }

        var name = m.Name + "Function";
        // The passes' own names, clear of the method's parameters (a parameter named ctx or grad is a user's right).
        string Own(string n)
        {
            while (parameters.Contains(n) || function.Forward.Concat(function.Backward).Any(l => l.Name == n)) n += "_";
            return n;
        }
        var (ctx, vars, grad, saved, scope) = (Own("ctx"), Own("vars"), Own("grad"), Own("saved"), Own("scope"));
        var i1 = indent + "    ";
        var i2 = i1 + "    ";
        var i3 = i2 + "    ";
        string Id(string p) => CSharpPrinter.Identifier(p);
        string Read(int at) => scalars.Contains(parameters[at])
            ? $"var {Id(parameters[at])} = (double){vars}[{at}];"
            // A number beside vectors gets an axis of 1 (a per-row value [b] against rows [b, n]; a 0-dim one stays one value).
            : length != null && m.Ranks[at] == 0 ? $"var {Id(parameters[at])} = (({TorchTensor}){vars}[{at}]).unsqueeze(-1);"
            : $"var {Id(parameters[at])} = ({TorchTensor}){vars}[{at}];";
        var sb = members;
        sb.Append(indent).Append("/// <summary>\n");
        sb.Append(indent).Append("/// ").Append(m.Name).Append(" as a TorchSharp autograd function: the value forward, its generated partials backward (")
            .Append(string.Join(", ", wanted.Select(w => "∂/∂" + w.Name))).Append("), keeping ")
            .Append(function.Saved.Count == 0 ? "only the inputs" : "the inputs and " + string.Join(", ", function.Saved)).Append(".\n");
        sb.Append(indent).Append("/// Call it through <c>").Append(m.Name).Append("(").Append(string.Join(", ", parameters.Select(p => (scalars.Contains(p) ? "double " : "Tensor ") + p))).Append(")</c>.\n");
        sb.Append(indent).Append("/// </summary>\n");
        sb.Append(indent).Append($"{m.Accessibility} sealed class {name} : global::TorchSharp.torch.autograd.SingleTensorFunction<{name}>\n");
        sb.Append(indent).Append("{\n");
        sb.Append(i1).Append("/// <inheritdoc />\n");
        sb.Append(i1).Append($"public override string Name => \"{m.TypeDisplayName}.{m.Name}\";\n\n");
        sb.Append(i1).Append("/// <inheritdoc />\n");
        sb.Append(i1).Append($"public override {TorchTensor} forward(global::TorchSharp.torch.autograd.AutogradContext {ctx}, params object[] {vars})\n");
        sb.Append(i1).Append("{\n");
        for (var i = 0; i < parameters.Count; i++) sb.Append(i2).Append(Read(i)).Append('\n');
        // Tensors of floating point (an integer tensor would compute in its own arithmetic, not the method's).
        foreach (var t in tensors)
            sb.Append(i2).Append($"if (!{Id(t)}.is_floating_point()) throw new global::System.ArgumentException($\"{m.Name}: {t} is a tensor of {{{Id(t)}.dtype}}; it takes floating-point tensors.\", \"{t}\");\n");
        if (length != null)
        {
            // Every vector at least one axis, not empty, and of one length (the method's loops run over it).
            foreach (var v in vectors)
                sb.Append(i2).Append($"if ({Id(v)}.dim() == 0 || {Id(v)}.size(-1) == 0) throw new global::System.ArgumentException($\"{m.Name}: {v} has no elements along a last axis (shape [{{string.Join(\", \", {Id(v)}.shape)}}]); it is a vector (or a batch of them).\", \"{v}\");\n");
            foreach (var v in vectors.Skip(1))
                sb.Append(i2).Append($"if ({Id(v)}.size(-1) != {Id(reference)}.size(-1)) throw new global::System.ArgumentException($\"{m.Name}: {v} has {{{Id(v)}.size(-1)}} elements along its last axis, {reference} {{{Id(reference)}.size(-1)}}.\", \"{v}\");\n");
            sb.Append(i2).Append($"var {length} = (double){Id(reference)}.size(-1);\n");
        }
        sb.Append(i2).Append($"using var {scope} = global::TorchSharp.torch.NewDisposeScope();\n");
        Locals(sb, i2, function.Forward, function.Saved.Concat(tensors.Select(Id)), function.Saved.Append(function.Value));
        var kept = tensors.Select(Id).Concat(function.Saved).ToList();
        sb.Append(i2).Append($"{ctx}.save_for_backward(new global::System.Collections.Generic.List<{TorchTensor}> {{ {string.Join(", ", kept)} }});\n");
        foreach (var s in torch.Scalars) sb.Append(i2).Append($"{ctx}.save_data(\"{s}\", {Id(s)});\n");
        // Kept intermediates outlive this scope: the function saves them after forward returns.
        foreach (var s in function.Saved) sb.Append(i2).Append(s).Append(".MoveToOuterDisposeScope();\n");
        var value = function.Value;
        if (tensors.Contains(value)) value += ".clone()";
        // A reduction keeps its axis (of 1) to broadcast against the vectors: the value drops it.
        if (length != null) value = "(" + value + ").squeeze(-1)";
        sb.Append(i2).Append($"return ({value}).MoveToOuterDisposeScope();\n");
        sb.Append(i1).Append("}\n\n");
        sb.Append(i1).Append("/// <inheritdoc />\n");
        sb.Append(i1).Append($"public override global::System.Collections.Generic.List<{TorchTensor}> backward(global::TorchSharp.torch.autograd.AutogradContext {ctx}, {TorchTensor} {grad})\n");
        sb.Append(i1).Append("{\n");
        sb.Append(i2).Append($"using var {scope} = global::TorchSharp.torch.NewDisposeScope();\n");
        sb.Append(i2).Append($"var {saved} = {ctx}.get_saved_variables();\n");
        for (var i = 0; i < kept.Count; i++) sb.Append(i2).Append($"var {kept[i]} = {saved}[{i}];\n");
        foreach (var s in torch.Scalars) sb.Append(i2).Append($"var {Id(s)} = (double){ctx}.get_data(\"{s}\");\n");
        var row = grad;
        if (length != null)
        {
            sb.Append(i2).Append($"var {length} = (double){Id(reference)}.size(-1);\n");
            // The incoming gradient has the value's shape: an axis of 1 again, to broadcast against the vectors.
            row = Own("gradRow");
            sb.Append(i2).Append($"var {row} = {grad}.unsqueeze(-1);\n");
        }
        Locals(sb, i2, function.Backward, kept, function.Partials);
        // One gradient per argument: a tensor variable's partial times the incoming gradient (summed back to its shape when
        // it was broadcast); null for the other tensors (no gradient) and the scalars (not tensors).
        var gradients = parameters.Select(p =>
        {
            var at = wanted.FindIndex(w => w.Name == p);
            if (at < 0) return "null!";
            var product = row + " * " + Wrapped(function.Partials[at]);
            if (tensors.Count == 1 && length == null) return $"({product}).MoveToOuterDisposeScope()";
            // A number beside vectors was given an axis of 1: its gradient, summed to that shape, drops it again.
            var drop = length != null && !vectors.Contains(p) ? ".squeeze(-1)" : "";
            return $"global::SymGrad.Torch.Broadcasting.SumTo({product}, {Id(p)}){drop}.MoveToOuterDisposeScope()";
        });
        sb.Append(i2).Append($"return new global::System.Collections.Generic.List<{TorchTensor}>\n");
        sb.Append(i2).Append("{\n");
        foreach (var g in gradients) sb.Append(i3).Append(g).Append(",\n");
        sb.Append(i2).Append("};\n");
        sb.Append(i1).Append("}\n");
        sb.Append(indent).Append("}\n\n");

        var signature = string.Join(", ", parameters.Select(p => (scalars.Contains(p) ? "double " : TorchTensor + " ") + Id(p)));
        sb.Append(indent).Append("/// <summary>").Append(m.Name).Append(" over tensors, element by element (broadcasting), differentiable by libtorch's autograd through ")
            .Append("<see cref=\"").Append(name).Append("\"/>.</summary>\n");
        sb.Append(indent).Append($"{m.Accessibility} static {TorchTensor} {m.Name}({signature}) => {name}.apply({string.Join(", ", parameters.Select(Id))});\n\n");
        if (tensors.Count == 1 && scalars.Count == 0 && length == null)
        {
            sb.Append(indent).Append("/// <summary>A module applying ").Append(m.Name).Append(" (for <c>torch.nn.Sequential</c>).</summary>\n");
            sb.Append(indent).Append($"{m.Accessibility} static global::SymGrad.Torch.FunctionModule {m.Name}Module() => new(\"{m.Name}\", {m.Name});\n\n");
        }
    }

    // The locals of a pass: an expression of several operations in its own dispose scope (its temporaries freed at once),
    // and each local disposed after the last line that reads it, unless it is kept or a result reads it (the pass's scope
    // frees those at its end). So a pass holds the few tensors still needed, not every intermediate.
    private static void Locals(StringBuilder sb, string indent, IReadOnlyList<(string Name, string Expression)> locals, IEnumerable<string> kept, IEnumerable<string> results)
    {
        var keep = new HashSet<string>(kept, StringComparer.Ordinal);
        keep.UnionWith(results.SelectMany(TorchPrinter.Words));
        var lastRead = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < locals.Count; i++)
            foreach (var w in TorchPrinter.Words(locals[i].Expression)) lastRead[w] = i;
        // The locals freed after each line, in declaration order.
        var freed = locals.Select(_ => new List<string>()).ToList();
        foreach (var (local, _) in locals)
            if (!keep.Contains(local) && lastRead.TryGetValue(local, out var last)) freed[last].Add(local);
        for (var i = 0; i < locals.Count; i++)
        {
            var (name, expression) = locals[i];
            var operations = Operation.Matches(expression).Count;
            sb.Append(indent).Append("var ").Append(name).Append(" = ")
                .Append(operations > 1 ? "global::SymGrad.Torch.TensorScope.Let(() => " + expression + ")" : expression).Append(";\n");
            foreach (var local in freed[i]) sb.Append(indent).Append(local).Append(".Dispose();\n");
        }
    }

    private static readonly System.Text.RegularExpressions.Regex Operation = new(@"\.\w+\(|\s[-+*/<>]=?\s|(^|\()-", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    // A partial as a factor of grad · …: parenthesised unless it is one name or call.
    private static string Wrapped(string partial) =>
        partial.All(c => char.IsLetterOrDigit(c) || c == '_' || c == '.' || c == '@') ? partial : "(" + partial + ")";
}
