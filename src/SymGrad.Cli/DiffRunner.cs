using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using SymGrad.Generators;
using SymGrad.Symbolic;

namespace SymGrad.Cli;

/// <summary>What <c>symgrad diff</c> was asked to do.</summary>
public sealed record DiffRequest(string Expression, IReadOnlyList<string>? Wrt, string Format, bool Steps, bool SinglePrecision, bool Stats, string Name,
    IReadOnlyList<string>? Arrays = null);

/// <summary>Carries out <c>symgrad diff</c>.</summary>
public static class DiffRunner
{
    /// <summary>Writes the result to <paramref name="output"/>, or one line to <paramref name="error"/> and returns 1.</summary>
    public static int Run(DiffRequest request, TextWriter output, TextWriter error)
    {
        // Variables have the type the code is printed in, so constants and casts mean what C# makes of them there.
        var scope = new FrontEndScope { FloatingType = request.SinglePrecision ? NumericType.Float : NumericType.Double };
        // --arrays x,W:2: names read as arrays (rank 1 unless given), indexed in Sym.Sum(x.Length, i => …) terms.
        var arrays = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var spec in request.Arrays ?? Array.Empty<string>())
        {
            var parts = spec.Split(':');
            var rank = 1;
            if (parts.Length > 2 || !IsIdentifier(parts[0]) || parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out rank) || rank is < 1 or > 4))
            {
                error.WriteLine($"error: --arrays: '{spec}' is not an array name with an optional rank 1 to 4 (x, or W:2)");
                return 1;
            }
            if (arrays.ContainsKey(parts[0]))
            {
                error.WriteLine($"error: --arrays: '{parts[0]}' is named twice");
                return 1;
            }
            arrays[parts[0]] = rank;
            scope.BindArray(parts[0], rank);
        }
        var parsed = ExpressionFrontEnd.ParseText(request.Expression, scope);
        if (!parsed.Success)
        {
            var e = parsed.Error!;
            error.WriteLine($"error: column {e.Start + 1}: {e.Message}");
            return 1;
        }
        var f = parsed.Value!;
        foreach (var array in arrays.Keys)
            if (!Graph.PostOrder(f).Any(n => n.Kind == ExprKind.Element ? n.Name == array : n.Kind == ExprKind.Length && n.LengthArray == array))
            {
                error.WriteLine($"error: --arrays: '{array}' does not occur in the expression");
                return 1;
            }
        // Every variable the formula names, also one algebra cancels (√x / √x is 1 only where x ≥ 0; C# gives NaN elsewhere).
        var scalars = scope.Variables.Concat(Graph.Variables(f)).Distinct().OrderBy(v => v, StringComparer.Ordinal).ToList();
        var variables = scalars.Concat(arrays.Keys).ToList();

        List<string> wrt;
        if (request.Wrt is null) wrt = variables;
        else
        {
            wrt = new List<string>();
            foreach (var v in request.Wrt)
            {
                if (v.Length == 0)
                {
                    error.WriteLine("error: --wrt: empty variable name");
                    return 1;
                }
                if (!variables.Contains(v))
                {
                    var known = variables.Count == 0 ? "it has no variables" : "its variables are " + string.Join(", ", variables);
                    error.WriteLine($"error: --wrt: '{v}' does not occur in the expression ({known})");
                    return 1;
                }
                if (!wrt.Contains(v)) wrt.Add(v);
            }
        }
        if (!IsIdentifier(request.Name))
        {
            error.WriteLine($"error: --name: '{request.Name}' is not a C# identifier");
            return 1;
        }
        if (Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(request.Name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None || request.Name is "Math" or "MathF")
        {
            error.WriteLine($"error: --name: '{request.Name}' is {(request.Name.StartsWith("Math", StringComparison.Ordinal) ? "the math functions' class" : "a C# keyword")}; choose another name");
            return 1;
        }
        if (request.Steps && request.Format != "latex")
        {
            error.WriteLine("error: --steps: the derivation steps are LaTeX; add --format latex");
            return 1;
        }

        // A Sym.Sum index named like a variable (i * Sym.Sum(n, i => …)) is renamed: the printed method's loop would
        // otherwise redeclare the parameter.
        f = Graph.Rewrite(f, n =>
        {
            if (!n.IsReduction || !variables.Contains(n.SumIndex.Name!)) return n;
            var k = 1;
            Expr fresh;
            do fresh = Expr.Index(n.SumIndex.Name + k++.ToString(CultureInfo.InvariantCulture));
            while (variables.Contains(fresh.Name!) || Graph.PostOrder(n).Contains(fresh));
            return Expr.Reindexed(n, fresh);
        });
        if (arrays.Count > 0) return RunIndexed(request, f, scalars, arrays, wrt, output, error);

        var clock = Stopwatch.StartNew();
        var wrtVars = wrt.Select(Expr.Var).ToList();
        var gradient = Differentiator.Gradient(f, wrtVars);
        var taken = new HashSet<string>(variables, StringComparer.Ordinal);
        var names = new List<string>();
        foreach (var v in wrt)
        {
            var name = "d" + v;
            while (!taken.Add(name)) name += "_";
            names.Add(name);
        }
        var program = CsePass.Build(gradient.Outputs(names), Array.Empty<string>(), variables);
        clock.Stop();

        var comment = request.Format == "latex" ? "%" : "//";
        if (request.Format == "latex") PrintLatex(gradient, request, output);
        else
        {
            var printer = request.SinglePrecision ? CSharpPrinter.Float : CSharpPrinter.Default;
            var summary = "f = " + printer.PrintSummary(gradient.Function) + "; returns f and writes each partial derivative to the out parameter d<variable>.";
            output.Write(printer.PrintMethod(program, request.Name, summary));
        }

        if (request.Stats)
        {
            var primal = CsePass.Build(new[] { ("value", gradient.Function) });
            var ratio = primal.OperationCount == 0 ? 0 : (double)program.OperationCount / primal.OperationCount;
            output.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{0} primal: {1} ops, {2} transcendental calls; gradient program (value + {3} partials): {4} ops ({5:0.00}x), {6} transcendental calls; {7} locals; time {8:0.0} ms",
                comment, primal.OperationCount, primal.TranscendentalCount, wrtVars.Count, program.OperationCount, ratio, program.TranscendentalCount,
                program.Locals.Count, clock.Elapsed.TotalMilliseconds));
        }
        return 0;
    }

    // With arrays: array variables are elements at free indices (∂f/∂x_k), the C# is a method with loops writing spans.
    private static int RunIndexed(DiffRequest request, Expr f, List<string> scalars, SortedDictionary<string, int> arrays, List<string> wrt, TextWriter output, TextWriter error)
    {
        var taken = new HashSet<string>(Graph.PostOrder(f).Where(n => n.Kind == ExprKind.Index).Select(n => n.Name!).Concat(scalars).Concat(arrays.Keys), StringComparer.Ordinal);
        var wrtVars = wrt.Select(v => arrays.TryGetValue(v, out var rank) ? Expr.FreeElement(v, rank, taken) : Expr.Var(v)).ToList();
        var clock = Stopwatch.StartNew();
        var gradient = Differentiator.Gradient(f, wrtVars);
        clock.Stop();
        if (request.Format == "latex") PrintLatex(gradient, request, output);
        else
        {
            var printer = request.SinglePrecision ? CSharpPrinter.Float : CSharpPrinter.Default;
            var parameters = scalars.Select(s => new IndexedCode.ArrayParameter(s, 0)).Concat(arrays.Select(a => new IndexedCode.ArrayParameter(a.Key, a.Value))).ToList();
            var summary = "f = " + printer.PrintSummary(gradient.Function) + "; returns f and writes ∂f/∂v to d<v> (out for a scalar, a span or array of the shape of an array).";
            output.Write(IndexedCode.PrintGradientMethod(gradient, request.Name, printer, parameters: parameters, summary: summary));
        }
        if (request.Stats)
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} {1} partials of an indexed expression; time {2:0.0} ms",
                request.Format == "latex" ? "%" : "//", wrtVars.Count, clock.Elapsed.TotalMilliseconds));
        return 0;
    }

    // Each partial, and with --steps each derivation (an array variable as its element, df/dx_k).
    private static void PrintLatex(Gradient gradient, DiffRequest request, TextWriter output)
    {
        // The mathematics: stable forms the code keeps (a shift by the maximum, cases that are one function) taken out.
        gradient = MathematicalForm.Of(gradient) ?? gradient;
        using var latexMemo = LatexPrinter.Memoize(gradient.Function, request.SinglePrecision);
        // Each array variable with its own free indices (MathematicalForm.ForVariable).
        var shown = gradient.Variables.Select((_, i) => MathematicalForm.ForVariable(gradient, i)).ToList();
        foreach (var (v, g) in shown)
            output.WriteLine(LatexPrinter.PrintPartial("f", v, g[v]));
        if (!request.Steps) return;
        foreach (var (v, g) in shown)
        {
            output.WriteLine();
            output.WriteLine($"% derivation of df/d{(v.Kind == ExprKind.Var ? v.Name : v.Name + "_" + string.Join(",", v.Args.Select(i => i.Name)))}");
            output.WriteLine(LatexPrinter.PrintDerivation("f", g, v));
        }
    }

    private static bool IsIdentifier(string s) =>
        s.Length > 0 && (char.IsLetter(s[0]) || s[0] == '_') && s.All(c => char.IsLetterOrDigit(c) || c == '_');
}
