using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using SymGrad.Symbolic;

namespace SymGrad.Generators;

internal static partial class DifferentiableEmitter
{
    /// <summary>
    /// A method with a loop that carries state: {Name}Gradient (backpropagation through time, the trajectory kept),
    /// {Name}AccumulateGradient (the same, adding into the outputs, no value) and {Name}GradientCheckpointed (states kept
    /// every S steps, each segment run again for its sweep: O(√T) memory for one more forward pass), and the derivation
    /// as the recurrence of the adjoints δ_t = δ_{t+1} · ∂s_{t+1}/∂s_t.
    /// </summary>
    private static GeneratedMethod EmitRecurrent(MethodModel m, Recurrence r, CancellationToken ct)
    {
        var printer = Printer(m);
        var readable = Readable(m);
        var parameters = IndexedParameters(m);
        var variables = Differentiation.IndexedVariables(m);
        var indent = new string(' ', 4 * m.ContainingTypes.Count);
        var states = string.Join(", ", r.States.Concat(r.Arrays.Select(a => a.Name)));
        var formula = readable.PrintSummary(m.Body);

        // SG0007 for a variable the loop, its initial values and the value after it never read.
        var diagnostics = new List<DiagnosticInfo>();
        var read = new HashSet<string>(Graph.PostOrder(r.Roots.Prepend(m.Body)).Where(n => n.Kind is ExprKind.Var or ExprKind.Element).Select(n => n.Name!), StringComparer.Ordinal);
        foreach (var v in m.Variables.Where(v => !read.Contains(v)))
            diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.DerivativeIsZero.Id, m.AttributeLocation, new[] { m.Name, v }.ToEquatableArray()));

        var members = new StringBuilder();
        members.Append(PlanPrinter.Print(IndexedCode.RecurrentPlan(r, m.Body, variables, m.Name + "Gradient", m.IsFloat, m.Accessibility, parameters,
            $"{m.Name} = {formula} after a loop that carries {states} from step to step; returns it and writes the gradient (backpropagation through time, " +
            "keeping the trajectory: memory proportional to the number of steps): d<v> for each variable v (a span, or an array, of the shape of v for array variables)."), printer, indent));
        members.Append('\n');
        ct.ThrowIfCancellationRequested();
        // One scalar variable: also {Name}Derivative; several: the gradient into a span, as for methods without a loop.
        var k = variables.Count;
        if (k == 1 && variables[0].Kind == ExprKind.Var)
        {
            var t = printer.TypeName;
            var signature = string.Join(", ", parameters.Select(p => p.TypeIn(t) + " " + CSharpPrinter.Identifier(p.Name)));
            var derivative = "derivative";
            while (m.Parameters.Contains(derivative)) derivative += "_";
            members.Append(indent).Append($"/// <summary>The derivative of {Xml(m.Name)} with respect to {m.Variables[0]} (from {Xml(m.Name)}Gradient).</summary>\n");
            members.Append(indent).Append($"{m.Accessibility} static {t} {m.Name}Derivative({signature})\n");
            members.Append(indent).Append("{\n");
            members.Append(indent).Append($"    {m.Name}Gradient({string.Join(", ", parameters.Select(p => CSharpPrinter.Identifier(p.Name)))}, out var {derivative});\n");
            members.Append(indent).Append($"    return {derivative};\n");
            members.Append(indent).Append("}\n\n");
        }
        if (k > 1 && variables.All(v => v.Kind == ExprKind.Var))
        {
            var t = printer.TypeName;
            var span = "gradient";
            while (m.Parameters.Contains(span)) span += "_";
            var value = "value";
            while (m.Parameters.Contains(value)) value += "_";
            var signature = string.Join(", ", parameters.Select(p => p.TypeIn(t) + " " + CSharpPrinter.Identifier(p.Name)));
            var outs = m.Variables.Select(v => { var o = "d" + v; while (m.Parameters.Contains(o) || o == span || o == value) o += "_"; return o; }).ToList();
            members.Append(indent).Append($"/// <summary>{Xml(m.Name)}Gradient with the gradient ({string.Join(", ", m.Variables)}) written into {span}.</summary>\n");
            members.Append(indent).Append($"{m.Accessibility} static {t} {m.Name}Gradient({signature}, global::System.Span<{t}> {span})\n");
            members.Append(indent).Append("{\n");
            foreach (var line in GradientIntoSpan(m, string.Join(", ", parameters.Select(p => CSharpPrinter.Identifier(p.Name))), outs, span, value))
                members.Append(indent).Append("    ").Append(line).Append('\n');
            members.Append(indent).Append("}\n\n");
        }
        members.Append(PlanPrinter.Print(IndexedCode.RecurrentPlan(r, m.Body, variables, m.Name + "AccumulateGradient", m.IsFloat, m.Accessibility, parameters,
            $"Adds the gradient of {m.Name} into d<v> for each variable v (as {m.Name}Gradient writes it), without returning its value: what a backward pass does with parameter gradients.",
            accumulate: true), printer, indent));
        members.Append('\n');
        ct.ThrowIfCancellationRequested();
        var segment = "segment";
        while (m.Parameters.Contains(segment) || m.Variables.Any(v => "d" + v == segment)) segment += "_";
        members.Append(PlanPrinter.Print(IndexedCode.RecurrentPlan(r, m.Body, variables, m.Name + "GradientCheckpointed", m.IsFloat, m.Accessibility, parameters,
            $"{m.Name}Gradient for long loops: keeps the states only every {segment} steps (checkpoints; ⌈√steps⌉ when {segment} is 0 or less) and runs each segment " +
            $"again before its reverse sweep, so memory grows with steps/{segment} + {segment} instead of steps, for one more forward pass. Same value and gradient.",
            segment: segment), printer, indent));
        members.Append('\n');
        ct.ThrowIfCancellationRequested();

        // The loop's formulas and the value after it are one document: a length named n_x in one is n_x in all.
        // Lengths by name (T = n_{x}: a bare n would be defined nowhere).
        using var latexMemo = LatexPrinter.Memoize(r.Roots.Append(m.Body).Append(r.Count).ToList(), m.IsFloat, lengthsByName: true);
        var (latexFormula, partials, steps) = RecurrenceDerivation(r, m.Body, variables);
        AppendDerivation(members, m, indent, latexFormula, partials, steps);
        return new GeneratedMethod(HintName(m), Wrap(m, members.ToString()), RegistryEntry(m, variables, latexFormula, partials, steps), diagnostics.ToEquatableArray(), m.Key, m.Callees);
    }

    /// <summary>
    /// The derivation of a recurrence in the article's notation: the states as sequences (h_t), the steps s_{t+1} = F(s_t),
    /// the adjoints δ_t = ∂f/∂s_t from δ_T = ∂f/∂s_T back through δ_t = δ_{t+1} · ∂s_{t+1}/∂s_t, and each partial as the value's
    /// direct share, the steps' shares Σ_t δ_{t+1} · ∂s_{t+1}/∂θ and the initial values' share δ_0 · ∂s_0/∂θ.
    /// </summary>
    private static (string Formula, List<string> Partials, List<string> Steps) RecurrenceDerivation(Recurrence r, Expr result, IReadOnlyList<Expr> variables)
    {
        (r, result) = r.Simplified(result);
        var t = r.Index;
        var taken = new HashSet<string>(Graph.PostOrder(r.Roots.Prepend(result)).Where(n => n.Kind is ExprKind.Index or ExprKind.Var or ExprKind.Element).Select(n => n.Name!), StringComparer.Ordinal);
        var last = Expr.Index(taken.Contains("T") ? "T_" : "T");
        // The loop's count, wherever a formula mentions it (a mean over the steps divides by it), is T: loss_T / T, not
        // loss_T / n beside T = n_x.
        Expr Steps(Expr e) => Graph.Rewrite(e, n => ReferenceEquals(n, r.Count) ? last : n);
        var states = r.StateVariables;
        var arrays = r.Arrays;
        var single = r.States.Count + arrays.Count == 1;
        // The adjoints' names, primed while a parameter or local has the name (a parameter `delta` is not the adjoint).
        string Adjoint(string name)
        {
            while (!taken.Add(name)) name += "'";
            return name;
        }
        var deltas = r.States.Select(s => Adjoint(single ? "delta" : "delta_" + s)).ToList();
        var arrayDeltas = arrays.Select(a => Adjoint(single ? "delta" : "delta_" + a.Name)).ToList();
        var arrayNames = arrays.Select(a => a.Name).ToList();
        var arrayElements = arrays.Select(a => Expr.FreeElement(a.Name, 1, taken)).ToList();
        Expr State(int j, Expr at) => Expr.Element(r.States[j], at);
        Expr Delta(int j, Expr at) => Expr.Element(deltas[j], at);
        // A state array's element e after `at` steps: h_{at,e}.
        Expr ArrayAt(Expr e, Expr position) => arrays.Count == 0 ? e : Graph.Rewrite(e, n =>
            n.Kind == ExprKind.Element && n.Args.Count == 1 && arrayNames.Contains(n.Name!) ? Expr.Element(n.Name!, position, n.Args[0]) : n);
        Expr At(Expr e, Expr position, Expr? nextPosition)
        {
            var map = new Dictionary<Expr, Expr>();
            for (var j = 0; j < states.Count; j++)
            {
                if (nextPosition != null && !r.Next[j].IsConst) map[r.Next[j]] = State(j, nextPosition);
                map[states[j]] = State(j, position);
            }
            if (nextPosition != null)
                foreach (var a in arrays) map[a.Next] = Expr.Element(a.Name, nextPosition, a.Index);
            return Steps(ArrayAt(Graph.ReplaceTopDown(e, map), position));
        }
        var next = Expr.Add(t, Expr.One);

        var lines = new List<string>();
        for (var j = 0; j < states.Count; j++) lines.Add(LatexPrinter.Print(State(j, Expr.Zero)) + " = " + LatexPrinter.Print(Steps(r.Initial[j])));
        foreach (var a in arrays) lines.Add(LatexPrinter.Print(Expr.Element(a.Name, Expr.Zero, a.Index)) + " = " + LatexPrinter.Print(Steps(a.Initial)));
        for (var j = 0; j < states.Count; j++) lines.Add(LatexPrinter.Print(State(j, next)) + " = " + LatexPrinter.Print(At(r.Next[j], t, null)));
        foreach (var a in arrays) lines.Add(LatexPrinter.Print(Expr.Element(a.Name, next, a.Index)) + " = " + LatexPrinter.Print(At(a.Next, t, null)));
        var formula = LatexPrinter.Print(At(result, last, null)) + @",\quad " + string.Join(@",\quad ", lines) + @",\quad " +
            LatexPrinter.Print(t) + " = 0, \\dots, " + LatexPrinter.Print(last) + " - 1,\\quad " + LatexPrinter.Print(last) + " = " + LatexPrinter.Print(r.Count);

        Expr Weighted(IReadOnlyList<Expr> scalars, Func<ArrayState, Expr> element) => r.Weighted(deltas, arrayDeltas, scalars, element);
        var wrt = states.Concat(arrayElements).ToList();
        var stateCount = wrt.Count;
        var step = Differentiator.Gradient(Weighted(r.Next, a => a.Next), wrt.Concat(variables).ToList());
        var atEnd = Differentiator.Gradient(result, wrt.Concat(variables).ToList());
        var atStart = Differentiator.Gradient(Weighted(r.Initial, a => a.Initial), variables.ToList());
        Expr Deltas(Expr e, Expr position) => Graph.Rewrite(e, n =>
            n.Kind == ExprKind.Var && deltas.IndexOf(n.Name!) is var j && j >= 0 ? Delta(j, position)
            : n.Kind == ExprKind.Element && n.Args.Count == 1 && arrayDeltas.Contains(n.Name!) ? Expr.Element(n.Name!, position, n.Args[0])
            : n);
        // The states as the derivation writes them: s_{at} for a scalar, h_{at,k} for a state array's element k.
        string StatePrinted(int j, Expr at) => j < states.Count ? LatexPrinter.Print(State(j, at)) : LatexPrinter.Print(Expr.Element(arrays[j - states.Count].Name, at, arrayElements[j - states.Count].Args[0]));
        string DeltaPrinted(int j, Expr at) => j < states.Count ? LatexPrinter.Print(Delta(j, at)) : LatexPrinter.Print(Expr.Element(arrayDeltas[j - states.Count], at, arrayElements[j - states.Count].Args[0]));
        Expr StepOf(int j) => j < states.Count ? r.Next[j] : arrays[j - states.Count].Next;
        // The chain rule's terms for the step: Σ over what a state feeds (an array's elements summed over its index).
        string Chain(Expr of, Func<string, string> denominator) => string.Join(" + ", Enumerable.Range(0, stateCount).Where(i => !Differentiator.Derivative(StepOf(i), of).IsZero)
            .Select(i => i < states.Count
                ? LatexPrinter.Print(Delta(i, next)) + @"\,\frac{\partial " + LatexPrinter.Print(State(i, next)) + @"}{\partial " + denominator("") + "}"
                : @"\sum_{" + LatexPrinter.Print(arrays[i - states.Count].Index) + "} " + LatexPrinter.Print(Expr.Element(arrayDeltas[i - states.Count], next, arrays[i - states.Count].Index)) +
                  @"\,\frac{\partial " + LatexPrinter.Print(Expr.Element(arrays[i - states.Count].Name, next, arrays[i - states.Count].Index)) + @"}{\partial " + denominator("") + "}"));

        // δ_T, then the recurrence δ_t = Σ_j δ_{t+1,j} ∂s_{t+1,j}/∂s_t.
        var adjointLines = new List<string>();
        for (var j = 0; j < stateCount; j++)
            adjointLines.Add(DeltaPrinted(j, last) + @" &= \frac{\partial f}{\partial " + StatePrinted(j, last) + "} = " + LatexPrinter.Print(At(atEnd.Partials[j], last, null)));
        for (var j = 0; j < stateCount; j++)
        {
            var chain = Chain(wrt[j], _ => StatePrinted(j, t));
            adjointLines.Add(DeltaPrinted(j, t) + " &= " + (chain.Length == 0 ? "0" : chain) + " = " + LatexPrinter.Print(Deltas(At(step.Partials[j], t, next), next)));
        }

        var partials = new List<string>();
        var derivations = new List<string>();
        for (var i = 0; i < variables.Count; i++)
        {
            var v = variables[i];
            var direct = At(atEnd.Partials[stateCount + i], last, null);
            var perStep = Deltas(At(step.Partials[stateCount + i], t, next), next);
            var initial = Deltas(Steps(atStart.Partials[i]), Expr.Zero);
            var total = Expr.Add(direct, Expr.Sum(t, last, perStep), initial);
            partials.Add(LatexPrinter.PrintPartial("f", v, total));
            // ∂f/∂θ = its direct share (the value after the loop reading θ) + the steps' shares + the initial values' share,
            // each written only where it is not identically 0.
            var terms = new List<string>();
            if (!direct.IsZero) terms.Add(@"\left.\frac{\partial f}{\partial " + Denominator(v) + @"}\right|_{\text{direct}}");
            var chain = Chain(v, _ => Denominator(v));
            if (chain.Length > 0)
                terms.Add(@"\sum_{" + LatexPrinter.Print(t) + "=0}^{" + LatexPrinter.Print(last) + " - 1} " + (chain.Contains(" + ") ? @"\left(" + chain + @"\right)" : chain));
            terms.AddRange(Enumerable.Range(0, states.Count).Where(j => !Differentiator.Derivative(r.Initial[j], v).IsZero)
                .Select(j => LatexPrinter.Print(Delta(j, Expr.Zero)) + @"\,\frac{\partial " + LatexPrinter.Print(State(j, Expr.Zero)) + @"}{\partial " + Denominator(v) + "}"));
            terms.AddRange(Enumerable.Range(0, arrays.Count).Where(k => !Differentiator.Derivative(arrays[k].Initial, v).IsZero)
                .Select(k => @"\sum_{" + LatexPrinter.Print(arrays[k].Index) + "} " + LatexPrinter.Print(Expr.Element(arrayDeltas[k], Expr.Zero, arrays[k].Index)) + @"\,\frac{\partial " +
                    LatexPrinter.Print(Expr.Element(arrays[k].Name, Expr.Zero, arrays[k].Index)) + @"}{\partial " + Denominator(v) + "}"));
            var rule = LatexPrinter.Partial("f", v) + " &= " + (terms.Count == 0 ? "0" : string.Join(" + ", terms));
            derivations.Add(@"\begin{aligned}" + "\n" + string.Join(@" \\" + "\n", adjointLines.Append(rule).Append(" &= " + LatexPrinter.Print(total))) + "\n" + @"\end{aligned}");
        }
        return (formula, partials, derivations);

        static string Denominator(Expr v)
        {
            var text = LatexPrinter.Partial("f", v);
            var at = text.IndexOf(@"{\partial ", text.IndexOf('}') + 1, StringComparison.Ordinal);
            return text.Substring(at + @"{\partial ".Length, text.Length - at - @"{\partial ".Length - 1);
        }
    }
}
