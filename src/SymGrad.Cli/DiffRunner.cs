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
public sealed record DiffRequest(string Expression, IReadOnlyList<string>? Wrt, string Format, bool Steps, bool Float, bool Stats, string Name);

/// <summary>Carries out <c>symgrad diff</c>.</summary>
public static class DiffRunner
{
    /// <summary>Writes the result to <paramref name="output"/>, or one line to <paramref name="error"/> and returns 1.</summary>
    public static int Run(DiffRequest request, TextWriter output, TextWriter error)
    {
        // Variables have the type the code is printed in, so constants and casts mean what C# makes of them there.
        var scope = new FrontEndScope { FloatingType = request.Float ? NumericType.Float : NumericType.Double };
        var parsed = ExpressionFrontEnd.ParseText(request.Expression, scope);
        if (!parsed.Success)
        {
            var e = parsed.Error!;
            error.WriteLine($"error: column {e.Start + 1}: {e.Message}");
            return 1;
        }
        var f = parsed.Value!;
        // Every variable the formula names, also one algebra cancels (√x / √x is 1 only where x ≥ 0; C# gives NaN elsewhere).
        var variables = scope.Variables.Concat(Graph.Variables(f)).Distinct().OrderBy(v => v, StringComparer.Ordinal).ToList();

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
        if (request.Format == "latex")
        {
            using var latexMemo = LatexPrinter.Memoize(gradient.Function, request.Float);
            foreach (var (v, p) in wrtVars.Zip(gradient.Partials, (v, p) => (v, p)))
                output.WriteLine(LatexPrinter.PrintPartial("f", v, p));
            if (request.Steps)
            {
                foreach (var v in wrtVars)
                {
                    output.WriteLine();
                    output.WriteLine($"% derivation of df/d{v.Name}");
                    output.WriteLine(LatexPrinter.PrintDerivation("f", gradient, v));
                }
            }
        }
        else
        {
            var printer = request.Float ? CSharpPrinter.Float : CSharpPrinter.Default;
            var summary = "f = " + printer.PrintSummary(gradient.Function) + "; returns f and writes each partial derivative to the out parameter d<variable>.";
            output.Write(printer.PrintMethod(program, request.Name, summary));
        }

        if (request.Stats)
        {
            var primal = CsePass.Build(new[] { ("value", gradient.Function) });
            var ratio = primal.OperationCount == 0 ? 0 : (double)program.OperationCount / primal.OperationCount;
            output.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{0} primal: {1} ops; gradient program (value + {2} partials): {3} ops ({4:0.00}x); {5} locals; time {6:0.0} ms",
                comment, primal.OperationCount, wrtVars.Count, program.OperationCount, ratio, program.Locals.Count, clock.Elapsed.TotalMilliseconds));
        }
        return 0;
    }

    private static bool IsIdentifier(string s) =>
        s.Length > 0 && (char.IsLetter(s[0]) || s[0] == '_') && s.All(c => char.IsLetterOrDigit(c) || c == '_');
}
