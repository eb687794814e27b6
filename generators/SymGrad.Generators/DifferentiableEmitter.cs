using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using SymGrad.Symbolic;

namespace SymGrad.Generators;

/// <summary>What the emitter produced for one method: its source file, registry entry and warnings.</summary>
internal sealed record GeneratedMethod(
    string HintName,
    string Source,
    string RegistryEntry,
    EquatableArray<DiagnosticInfo> Diagnostics,
    string Key,
    EquatableArray<string> Callees);

/// <summary>
/// Differentiated method → text: prints the generated members (CSE'd programs) and the LaTeX derivation of what
/// <see cref="Differentiation"/> computed. Output is deterministic: members in a fixed order, invariant culture,
/// round-trip literals.
/// </summary>
internal static partial class DifferentiableEmitter
{
    public static GeneratedMethod Generate(MethodModel m, CancellationToken ct) =>
        m.Recurrence is { } r ? EmitRecurrent(m, r, ct) : Emit(Differentiation.Differentiate(m, ct));

    /// <summary>The printer of generated code for the method's target (<see cref="CSharpPrinter.For"/>).</summary>
    internal static CSharpPrinter Printer(MethodModel m) => CSharpPrinter.For(m.IsFloat, m.TargetOrModern.HasMathF, m.TargetOrModern.HasHypot);

    /// <summary>The printer of the doc comments' formulas: unqualified, and in the target's own terms (no MathF where it has none).</summary>
    internal static CSharpPrinter Readable(MethodModel m) =>
        !m.IsFloat ? CSharpPrinter.Default : m.TargetOrModern.HasMathF ? CSharpPrinter.Float : CSharpPrinter.FloatViaMathReadable;

    private static GeneratedMethod Emit(DifferentiatedMethod d)
    {
        var m = d.Model;
        if (m.Ranks.Any(r => r > 0)) return EmitIndexed(d);
        var printer = Printer(m);
        var readable = Readable(m);
        var t = printer.TypeName;
        var variables = d.Variables;
        var gradient = d.Gradient;
        var diagnostics = d.Diagnostics.ToList();
        var reserved = m.Parameters.ToList();
        var outNames = d.OutNames;
        var Fresh = d.Fresh;

        var parameters = string.Join(", ", m.Parameters.Select((p, i) => (m.Ranks[i] == SignatureReader.IntData ? "int" : t) + " " + CSharpPrinter.Identifier(p)));
        var arguments = string.Join(", ", m.Parameters.Select(CSharpPrinter.Identifier));
        var formula = readable.PrintSummary(gradient.Function);
        var members = new StringBuilder();
        var indent = new string(' ', 4 * m.ContainingTypes.Count);

        void Method(string summary, string signature, IEnumerable<string> body)
        {
            members.Append(indent).Append("/// <summary>").Append(Xml(summary)).Append("</summary>\n");
            members.Append(indent).Append(signature).Append('\n');
            members.Append(indent).Append("{\n");
            foreach (var line in body) members.Append(indent).Append("    ").Append(line).Append('\n');
            members.Append(indent).Append("}\n\n");
        }

        // Outputs with a sum (a loop over a constant count in a method of scalars) are lowered like indexed code: loops into
        // accumulators, not lambdas.
        IReadOnlyList<string> Body(IEnumerable<(string, Expr)> outputs)
        {
            var list = outputs.ToList();
            return Graph.PostOrder(list.Select(o => o.Item2)).Any(n => n.IsReduction)
                ? IndexedCode.ScalarStatements(list, printer, reserved.Concat(outNames), m.Parameters.Where((_, i) => m.Ranks[i] == SignatureReader.IntData))
                : printer.Statements(CsePass.Build(list, reserved.Concat(outNames)));
        }

        var k = variables.Count;
        if (k == 1)
        {
            Method($"The derivative of {m.Name} with respect to {m.Variables[0]}: {readable.PrintSummary(gradient.Partials[0])}.",
                $"{m.Accessibility} static {t} {m.Name}Derivative({parameters})",
                Body(new[] { ("derivative", gradient.Partials[0]) }));
            // When f′ is a function of f alone (tanh′ = 1 − tanh², σ′ = σ(1 − σ)), also f′ from the value y = f(x): a
            // backward pass that kept its outputs needs no second tanh or exp.
            if (d.DerivativeFromValue is ({ } y, { } fromValue))
                Method($"The derivative of {m.Name} from its value {y.Name} = {m.Name}({m.Parameters[0]}): {readable.PrintSummary(fromValue)}.",
                    $"{m.Accessibility} static {t} {m.Name}DerivativeFromValue({t} {CSharpPrinter.Identifier(y.Name!)})",
                    printer.Statements(CsePass.Build(new List<(string, Expr)> { ("derivative", fromValue) }, new[] { y.Name! })));
        }
        var outs = string.Join(", ", outNames.Select(n => "out " + t + " " + CSharpPrinter.Identifier(n)));
        Method($"{m.Name} = {formula}; returns it and writes each partial derivative ∂/∂v to the out parameter d<v>.",
            $"{m.Accessibility} static {t} {m.Name}Gradient({parameters}, {outs})",
            Body(gradient.Outputs(outNames)));
        var spans = m.TargetOrModern.HasSpan;
        if (k > 1 && spans)
        {
            var span = Fresh("gradient");
            Method($"{m.Name} = {formula}; returns it and writes the gradient ({string.Join(", ", m.Variables)}) into {span}.",
                $"{m.Accessibility} static {t} {m.Name}Gradient({parameters}, global::System.Span<{t}> {span})",
                GradientIntoSpan(m, arguments, outNames, span, Fresh("value")));
        }

        // One member per partial, for callers that differentiate through this method (the chain rule needs
        // ∂f/∂p as a function of its own) — up to MaxPartialMembers variables.
        var partialMembers = k > 1 && k <= DifferentiableParser.MaxPartialMembers;
        if (partialMembers)
            for (var i = 0; i < k; i++)
                Method($"∂{m.Name}/∂{m.Variables[i]}: {readable.PrintSummary(gradient.Partials[i])}.",
                    $"{m.Accessibility} static {t} {m.Name}Partial_{m.Variables[i]}({parameters})",
                    Body(new[] { ("partial", gradient.Partials[i]) }));

        if (m.Order == 2)
        {
            var hessian = d.Hessian!;
            // Second partials as functions, p before q in parameter order, for callers of order 2.
            if (partialMembers)
            {
                var parameterList = m.Parameters.ToList();
                var position = m.Variables.Select(v => parameterList.IndexOf(v)).ToList();
                for (var i = 0; i < k; i++)
                for (var j = 0; j < k; j++)
                {
                    if (position[i] > position[j]) continue;
                    Method($"∂²{m.Name}/∂{m.Variables[i]}∂{m.Variables[j]}: {readable.PrintSummary(hessian[i, j])}.",
                        $"{m.Accessibility} static {t} {m.Name}Partial_{m.Variables[i]}_{m.Variables[j]}({parameters})",
                        Body(new[] { ("partial", hessian[i, j]) }));
                }
            }
            if (k == 1)
            {
                Method($"The second derivative of {m.Name} with respect to {m.Variables[0]}: {readable.PrintSummary(hessian[0, 0])}.",
                    $"{m.Accessibility} static {t} {m.Name}SecondDerivative({parameters})",
                    Body(new[] { ("secondDerivative", hessian[0, 0]) }));
            }
            else if (spans)
            {
                var h = Fresh("hessian");
                var entries = new List<(string, Expr)> { ("value", gradient.Function) };
                var mirror = new List<string>();
                for (var i = 0; i < k; i++)
                for (var j = i; j < k; j++)
                {
                    entries.Add(($"{h}[{i * k + j}]", hessian[i, j]));
                    if (i != j) mirror.Add($"{h}[{j * k + i}] = {h}[{i * k + j}];");
                }
                var body = new List<string> { $"if ({h}.Length < {k * k}) throw new global::System.ArgumentException(\"The Hessian span needs {k * k} elements ({k}×{k}, row-major).\", nameof({h}));" };
                var statements = Body(entries);
                body.AddRange(statements.Take(statements.Count - 1));
                body.AddRange(mirror);
                body.Add(statements[statements.Count - 1]);
                Method($"{m.Name} = {formula}; returns it and writes the Hessian with respect to ({string.Join(", ", m.Variables)}) into {h}, row-major.",
                    $"{m.Accessibility} static {t} {m.Name}Hessian({parameters}, global::System.Span<{t}> {h})",
                    body);

                var vector = Fresh("vector");
                var product = Fresh("product");
                var hvp = d.HessianVectorProduct!;
                var hvpBody = new List<string>
                {
                    $"if ({vector}.Length < {k} || {product}.Length < {k}) throw new global::System.ArgumentException(\"The vector and product spans need {k} elements ({string.Join(", ", m.Variables)}).\");",
                };
                hvpBody.AddRange(Body(new[] { ("value", gradient.Function) }.Concat(hvp.Select((e, i) => ($"{product}[{i}]", e)))));
                Method($"{m.Name} = {formula}; returns it and writes the Hessian-vector product H·{vector} into {product}.",
                    $"{m.Accessibility} static {t} {m.Name}HessianVectorProduct({parameters}, global::System.ReadOnlySpan<{t}> {vector}, global::System.Span<{t}> {product})",
                    hvpBody);
            }
        }

        if (m.Torch is { } torch) AppendTorch(members, d, torch, indent, diagnostics);

        // One LaTeX memo for the formula, partials and steps: they share most subterms.
        // The derivation shows the mathematics (MathematicalForm): the code above keeps its stable forms.
        var shown = MathematicalForm.Of(gradient) ?? gradient;
        using var latexMemo = LatexPrinter.Memoize(shown.Function, m.IsFloat);
        return Finish(m, variables, shown, members, indent, diagnostics);
    }

    /// <summary>
    /// Methods over spans and arrays: the gradient as loops (<see cref="IndexedCode"/>), <c>out</c> parameters for
    /// scalar variables and spans (arrays for rank 2) for array variables, whose partial is one indexed formula in
    /// free indices k, l, ….
    /// </summary>
    private static GeneratedMethod EmitIndexed(DifferentiatedMethod d)
    {
        var m = d.Model;
        var printer = Printer(m);
        var readable = Readable(m);
        var parameters = IndexedParameters(m);
        var variables = d.Variables;
        var gradient = d.Gradient;
        var diagnostics = d.Diagnostics.ToList();

        var indent = new string(' ', 4 * m.ContainingTypes.Count);
        var t = printer.TypeName;
        var members = new StringBuilder();
        members.Append(IndexedCode.PrintGradientMethod(gradient, m.Name + "Gradient", printer, m.Accessibility, indent, parameters,
            $"{m.Name} = {readable.PrintSummary(gradient.Function)}; returns it and writes the gradient: d<v> for each variable v (a span, or an array, of the shape of v for array variables)."));
        members.Append('\n');
        // Without the value, adding into the outputs: a backward pass (a formula scored by an upstream gradient, whose value
        // nobody needs) accumulates parameter gradients.
        members.Append(IndexedCode.PrintGradientMethod(gradient, m.Name + "AccumulateGradient", printer, m.Accessibility, indent, parameters,
            $"Adds the gradient of {m.Name} into d<v> for each variable v (as {m.Name}Gradient writes it), without computing its value: what a backward pass does with parameter gradients.", accumulate: true));
        members.Append('\n');
        if (d.IndexedHessianVectorProduct is { } hvp) AppendSecondOrder(members, m, parameters, hvp.Product, hvp.Directions, printer, indent);
        if (m.Torch is { } torch) AppendTorch(members, d, torch, indent, diagnostics);

        // The derivation shows the mathematics (MathematicalForm): the code above keeps its stable forms.
        var shown = MathematicalForm.Of(gradient) ?? gradient;
        using var latexMemo = LatexPrinter.Memoize(shown.Function, m.IsFloat);
        return Finish(m, variables, shown, members, indent, diagnostics);
    }

    // The generated methods' parameters: the method's, with their C# types where they are not the default (matrix views keep
    // their types: the gradient of a ReadOnlyMatrix<T> is written into a Matrix<T>).
    private static List<IndexedCode.ArrayParameter> IndexedParameters(MethodModel m) =>
        m.Parameters.Select((p, i) =>
        {
            var type = m.ParameterTypes[i];
            var element = m.IsFloat ? "float" : "double";
            if (type.StartsWith("global::SymGrad.ReadOnlyMatrix<", StringComparison.Ordinal) || type.StartsWith("global::SymGrad.Matrix<", StringComparison.Ordinal))
                return new IndexedCode.ArrayParameter(p, m.Ranks[i], "global::SymGrad.ReadOnlyMatrix<" + element + ">", "global::SymGrad.Matrix<" + element + ">");
            if (type.StartsWith("global::SymGrad.ReadOnlyTensor4<", StringComparison.Ordinal) || type.StartsWith("global::SymGrad.Tensor4<", StringComparison.Ordinal))
                return new IndexedCode.ArrayParameter(p, m.Ranks[i], "global::SymGrad.ReadOnlyTensor4<" + element + ">", "global::SymGrad.Tensor4<" + element + ">");
            if (m.Ranks[i] == SignatureReader.IntData) return new IndexedCode.ArrayParameter(p, SignatureReader.IntData, "int");
            return new IndexedCode.ArrayParameter(p, m.Ranks[i]);
        }).ToList();

    // Order 2 of an indexed method: {Name}HessianVectorProduct (the gradient of ∇f·v, printed like any indexed gradient) and,
    // where every variable is a scalar or one-dimensional, {Name}Hessian: column j is H·e_j, for j over the variables'
    // elements in order (spans element by element), so the matrix is symmetric up to rounding.
    private static void AppendSecondOrder(StringBuilder members, MethodModel m, IReadOnlyList<IndexedCode.ArrayParameter> parameters, Gradient product,
        IReadOnlyList<string> directions, CSharpPrinter printer, string indent)
    {
        var t = printer.TypeName;
        var variables = m.Variables.Select(v => parameters.First(p => p.Name == v)).ToList();
        var withDirections = parameters.Concat(variables.Select((p, i) => new IndexedCode.ArrayParameter(directions[i], p.Rank, p.Type))).ToList();
        var text = IndexedCode.PrintGradientMethod(product, m.Name + "HessianVectorProduct", printer, m.Accessibility, indent, withDirections,
            $"Writes the Hessian of {m.Name} times the direction ({string.Join(", ", directions)}, one per variable and of its shape) into d<v> for each variable v, and returns the directional derivative ∇{m.Name}·v = {(m.IsFloat ? CSharpPrinter.Float : CSharpPrinter.Default).PrintSummary(product.Function)}.");
        // The directions are checked like the outputs: each has its variable's shape.
        var checks = variables.Select((p, i) => (p, direction: CSharpPrinter.Identifier(directions[i]))).Where(x => x.p.Rank > 0).Select(x =>
        {
            var name = CSharpPrinter.Identifier(x.p.Name);
            var differs = x.p.Rank == 1 && x.p.Type is null
                ? $"{x.direction}.Length != {name}.Length"
                : (x.p.Type is null ? $"{x.direction} is null || " : "") + string.Join(" || ", Enumerable.Range(0, x.p.Rank).Select(a => $"{x.direction}.GetLength({a}) != {name}.GetLength({a})"));
            return $"{indent}    if ({differs}) throw new global::System.ArgumentException(\"{directions[variables.IndexOf(x.p)]} must have the shape of {x.p.Name}.\", nameof({x.direction}));\n";
        }).ToList();
        var open = text.IndexOf(indent + "{\n", StringComparison.Ordinal);
        members.Append(open < 0 ? text : text.Insert(open + indent.Length + 2, string.Concat(checks)));
        members.Append('\n');
        if (variables.Any(p => p.Rank > 1 || p.Type != null)) return;

        // Sizes and offsets of the variables in the flattened vector of all their elements; locals named apart from the parameters.
        var names = new HashSet<string>(parameters.Select(p => p.Name), StringComparer.Ordinal);
        string Unique(string name)
        {
            while (!names.Add(name)) name += "_";
            return name;
        }
        var (hessian, count, direction, column, row, col) = (Unique("hessian"), Unique("size"), Unique("direction"), Unique("column"), Unique("i"), Unique("j"));
        var size = variables.Select(p => p.Rank == 0 ? "1" : CSharpPrinter.Identifier(p.Name) + ".Length").ToList();
        var offset = "0";
        var offsets = new List<string>();
        for (var i = 0; i < variables.Count; i++)
        {
            offsets.Add(offset);
            offset = offset == "0" ? size[i] : offset + " + " + size[i];
        }
        var lines = new List<string>
        {
            $"var {count} = {offset};",
            $"if ({hessian}.Length < {count} * {count}) throw new global::System.ArgumentException($\"The Hessian needs {{{count}}} × {{{count}}} elements (the variables' elements in order, row-major).\", nameof({hessian}));",
            $"var {direction} = new {t}[{count}];",
            $"var {column} = new {t}[{count}];",
            $"for (var {col} = 0; {col} < {count}; {col}++)",
            "{",
            $"    {direction}[{col}] = 1;",
        };
        var arguments = parameters.Select(p => CSharpPrinter.Identifier(p.Name)).ToList();
        for (var i = 0; i < variables.Count; i++)
            arguments.Add(variables[i].Rank == 0 ? $"{direction}[{offsets[i]}]" : $"new global::System.ReadOnlySpan<{t}>({direction}, {offsets[i]}, {size[i]})");
        for (var i = 0; i < variables.Count; i++)
            arguments.Add(variables[i].Rank == 0 ? $"out {column}[{offsets[i]}]" : $"new global::System.Span<{t}>({column}, {offsets[i]}, {size[i]})");
        lines.Add($"    {m.Name}HessianVectorProduct({string.Join(", ", arguments)});");
        lines.Add($"    {direction}[{col}] = 0;");
        lines.Add($"    for (var {row} = 0; {row} < {count}; {row}++) {hessian}[{row} * {count} + {col}] = {column}[{row}];");
        lines.Add("}");
        // The value, as the scalar methods' Hessian returns it: the gradient method with no array gradient wanted.
        var valueArguments = parameters.Select(p => CSharpPrinter.Identifier(p.Name)).Concat(variables.Select(p => p.Rank == 0 ? "out _" : "default"));
        lines.Add($"return {m.Name}Gradient({string.Join(", ", valueArguments)});");
        var signature = string.Join(", ", parameters.Select(p => p.TypeIn(t) + " " + CSharpPrinter.Identifier(p.Name)));
        members.Append(indent).Append($"/// <summary>Returns {m.Name} and writes its Hessian, row-major over the variables' elements in order ({string.Join(", ", m.Variables)}): column j is {m.Name}HessianVectorProduct of the j-th unit vector (n products for n elements: for short spans).</summary>\n");
        members.Append(indent).Append($"{m.Accessibility} static {t} {m.Name}Hessian({signature}, global::System.Span<{t}> {hessian})\n");
        members.Append(indent).Append("{\n");
        foreach (var line in lines) members.Append(indent).Append("    ").Append(line).Append('\n');
        members.Append(indent).Append("}\n\n");
    }

    // The derivation as LaTeX constants and a registry entry, then the source file.
    private static GeneratedMethod Finish(MethodModel m, IReadOnlyList<Expr> variables, Gradient gradient, StringBuilder members, string indent, List<DiagnosticInfo> diagnostics)
    {
        // Each piece is bounded (LatexPrinter.MaxPrintedSize, MaxDerivationSteps), but n partials of a formula as long as n
        // are not: past MaxLatexChars for the method the rest are a note, so the text stays linear in the program
        // (4 000 weights of one squared error wrote over 2 GB) and the assembly's strings within the compiler's limit.
        var left = MaxLatexChars;
        string Within(Func<string> print, Func<string> omitted)
        {
            if (left <= 0) return omitted();
            var text = print();
            left -= text.Length;
            return text;
        }
        var latexFormula = Within(() => LatexPrinter.Print(gradient.Function), () => Omitted);
        // Each array variable's partial printed with its own free indices (MathematicalForm.ForVariable).
        var shown = variables.Select((_, i) => left > 0 ? MathematicalForm.ForVariable(gradient, i) : (Variable: variables[i], Gradient: gradient)).ToList();
        var partials = shown.Select(s => Within(() => LatexPrinter.PrintPartial("f", s.Variable, s.Gradient[s.Variable]),
            () => LatexPrinter.Partial("f", s.Variable) + " = " + Omitted)).ToList();
        var steps = shown.Select(s => Within(() => LatexPrinter.PrintDerivation("f", s.Gradient, s.Variable, left),
            () => @"\begin{aligned}" + "\n" + LatexPrinter.Partial("f", s.Variable) + " &= " + Omitted + "\n" + @"\end{aligned}")).ToList();
        AppendDerivation(members, m, indent, latexFormula, partials, steps);
        return new GeneratedMethod(HintName(m), Wrap(m, members.ToString()), RegistryEntry(m, variables, latexFormula, partials, steps), diagnostics.ToEquatableArray(), m.Key, m.Callees);
    }

    /// <summary>LaTeX a method's derivation may take (formula, partials and steps together) before the rest is omitted.</summary>
    internal const int MaxLatexChars = 200_000;

    private static readonly string Omitted = @"\text{(omitted: this method's derivation passes " +
        MaxLatexChars.ToString(System.Globalization.CultureInfo.InvariantCulture) + " characters)}";

    private static void AppendDerivation(StringBuilder members, MethodModel m, string indent, string latexFormula, IReadOnlyList<string> partials, IReadOnlyList<string> steps)
    {
        members.Append(indent).Append($"/// <summary>The derivation of <see cref=\"{m.Name}({m.CrefParameters})\"/> as LaTeX (KaTeX/MathJax).</summary>\n");
        members.Append(indent).Append($"{m.Accessibility} static class {m.Name}Derivation\n");
        members.Append(indent).Append("{\n");
        members.Append(indent).Append("    /// <summary>The function.</summary>\n");
        members.Append(indent).Append("    public const string Formula = ").Append(Verbatim("f = " + latexFormula)).Append(";\n");
        for (var i = 0; i < m.Variables.Count; i++)
        {
            members.Append(indent).Append($"    /// <summary>∂f/∂{m.Variables[i]}.</summary>\n");
            members.Append(indent).Append($"    public const string Partial_{m.Variables[i]} = ").Append(Verbatim(partials[i])).Append(";\n");
            members.Append(indent).Append($"    /// <summary>The step-by-step derivation of ∂f/∂{m.Variables[i]}.</summary>\n");
            members.Append(indent).Append($"    public const string Steps_{m.Variables[i]} = ").Append(Verbatim(steps[i])).Append(";\n");
        }
        members.Append(indent).Append("}\n");
    }

    private static string RegistryEntry(MethodModel m, IReadOnlyList<Expr> variables, string latexFormula, IReadOnlyList<string> partials, IReadOnlyList<string> steps) =>
        $"new global::SymGrad.DerivationInfo({Verbatim(m.TypeDisplayName)}, {Verbatim(m.Name)}, {Verbatim("f = " + latexFormula)}, " +
        $"new global::SymGrad.PartialDerivation[] {{ {string.Join(", ", variables.Select((v, i) => $"new global::SymGrad.PartialDerivation({Verbatim(m.Variables[i])}, {Verbatim(partials[i])})"))} }}, " +
        $"new string[] {{ {string.Join(", ", steps.Select(Verbatim))} }})";

    public static string HintName(MethodModel m)
    {
        var type = new string(m.TypeDisplayName.Select(c => char.IsLetterOrDigit(c) || c == '.' || c == '_' ? c : '_').ToArray());
        return $"{type}.{m.Name}{(m.IsFloat ? ".float" : "")}.g.cs";
    }

    private static string Wrap(MethodModel m, string members)
    {
        var sb = new StringBuilder();
        sb.Append("// <auto-generated/>\n");
        sb.Append("// Generated by SymGrad from ").Append(m.TypeDisplayName).Append('.').Append(m.Name).Append(". Do not edit.\n");
        var target = m.TargetOrModern;
        if (target.NullableDirective) sb.Append("#nullable enable\n");
        sb.Append('\n');
        // Before C# 10 the namespace is a block, its contents indented once more (C# 7.3 for netstandard2.0 and .NET
        // Framework projects).
        var block = m.Namespace != null && !target.FileScopedNamespace;
        if (m.Namespace != null) sb.Append("namespace ").Append(m.Namespace).Append(block ? "\n{\n" : ";\n\n");
        var outer = block ? "    " : "";
        for (var i = 0; i < m.ContainingTypes.Count; i++)
        {
            var type = m.ContainingTypes[i];
            var pad = outer + new string(' ', 4 * i);
            sb.Append(pad).Append("partial ").Append(type.Keyword).Append(' ').Append(CSharpPrinter.Identifier(type.Name)).Append(type.TypeParameters).Append('\n');
            sb.Append(pad).Append("{\n");
        }
        var text = members.TrimEnd('\n');
        if (block) text = string.Join("\n", text.Split('\n').Select(l => l.Length == 0 ? l : outer + l));
        sb.Append(text).Append('\n');
        for (var i = m.ContainingTypes.Count - 1; i >= 0; i--) sb.Append(outer).Append(new string(' ', 4 * i)).Append("}\n");
        if (block) sb.Append("}\n");
        return sb.ToString();
    }

    public static string Registry(IEnumerable<GeneratedMethod> methods, int languageVersion)
    {
        var sb = new StringBuilder();
        sb.Append("// <auto-generated/>\n");
        var target = TargetInfo.Modern with { LanguageVersion = languageVersion };
        if (target.NullableDirective) sb.Append("#nullable enable\n");
        sb.Append('\n');
        // (The entries' verbatim strings span lines: the class is not indented inside a block namespace, which C# allows.)
        sb.Append(target.FileScopedNamespace ? "namespace SymGrad.Generated;\n\n" : "namespace SymGrad.Generated\n{\n");
        sb.Append("/// <summary>Every derivation SymGrad generated in this assembly, for tools and docs.</summary>\n");
        sb.Append("internal static class DerivationRegistry\n{\n");
        sb.Append("    /// <summary>The derivations, ordered by type and method name.</summary>\n");
        sb.Append("    public static global::System.Collections.Generic.IReadOnlyList<global::SymGrad.DerivationInfo> All { get; } = new global::SymGrad.DerivationInfo[]\n    {\n");
        foreach (var m in methods.OrderBy(m => m.HintName, StringComparer.Ordinal))
            sb.Append("        ").Append(m.RegistryEntry).Append(",\n");
        sb.Append("    };\n}\n");
        if (!target.FileScopedNamespace) sb.Append("}\n");
        return sb.ToString();
    }

    private static string Verbatim(string s) => "@\"" + s.Replace("\"", "\"\"") + "\"";

    private static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>
    /// The body of {Name}Gradient(…, Span&lt;T&gt; gradient): it calls the out overload (one copy of the gradient program to
    /// read, compile and JIT) and copies each partial into the span. Outputs named after keywords (d + o) print as @do.
    /// </summary>
    private static IEnumerable<string> GradientIntoSpan(MethodModel m, string arguments, IReadOnlyList<string> outs, string span, string value)
    {
        yield return $"if ({span}.Length < {outs.Count}) throw new global::System.ArgumentException(\"The gradient span needs {outs.Count} elements ({string.Join(", ", m.Variables)}).\", nameof({span}));";
        yield return $"var {value} = {m.Name}Gradient({arguments}, {string.Join(", ", outs.Select(o => "out var " + CSharpPrinter.Identifier(o)))});";
        for (var i = 0; i < outs.Count; i++) yield return $"{span}[{i}] = {CSharpPrinter.Identifier(outs[i])};";
        yield return $"return {value};";
    }
}
