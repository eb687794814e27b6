using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SymGrad.Cli;
using SymGrad.Tests.Shared;

namespace SymGrad.Cli.Tests;

/// <summary>
/// Random, malformed, huge and degenerate expressions through <c>symgrad diff</c>: it never throws, an error is one line
/// starting <c>error: </c>, and every C# it prints compiles (warnings as errors) — in batches, one assembly each.
/// SYMGRAD_CLI_FUZZ_CASES sets the number of cases (default 300; the check ran 10 000), SYMGRAD_CLI_FUZZ_SEED the seed.
/// </summary>
public class CliFuzzTests
{
    private static readonly string[] Seeds =
    {
        "0.5 * (y - (w * x + b)) * (y - (w * x + b))",
        "1 / (1 + Math.Exp(-x))",
        "Math.Tanh(w * x + b) * y",
        "x > 0 ? x : 0.01 * x",
        "Math.Log(1 + Math.Exp(a)) - y * a",
        "Math.Pow(w, 3) - Math.Max(x, y) + Math.Abs(b)",
        "Math.Sin(x) * Math.Cos(y) / (1 + w * w)",
        "Math.Sqrt(x * x + y * y) + Math.Log(x, 2)",
        "(x + 16777217f) - 16777216f",
        "1 / 2 * x + 7 / 2 * y",
        "Math.Min(x, 3.5e38) * 3e38 * x",
    };

    private static readonly string[] Atoms = { "x", "y", "w", "0", "1", "2.5", "1e308", "1e-320", "3.5e38f", "double.NaN", "Math", "class", "@class", "x1", "Math.PI", "(int)x", "-x" };
    private static readonly string[] Functions = { "Math.Exp", "Math.Log", "Math.Sqrt", "Math.Tanh", "Math.Abs", "Math.Sin", "Math.Atan2", "MathF.Exp", "Foo" };
    private static readonly string[] Operators = { "+", "-", "*", "/", "%", "<", "==", "&&", "<<", "??", "^", "," };

    private static string Expression(Random r, int depth)
    {
        if (depth <= 0 || r.Next(4) == 0) return Atoms[r.Next(Atoms.Length)];
        return r.Next(5) switch
        {
            0 => Functions[r.Next(Functions.Length)] + "(" + Expression(r, depth - 1) + ")",
            1 => "(" + Expression(r, depth - 1) + ")",
            2 => Expression(r, depth - 1) + " > " + Expression(r, depth - 1) + " ? " + Expression(r, depth - 1) + " : " + Expression(r, depth - 1),
            _ => Expression(r, depth - 1) + " " + Operators[r.Next(Operators.Length)] + " " + Expression(r, depth - 1),
        };
    }

    private static string Case(Random r)
    {
        var seed = Seeds[r.Next(Seeds.Length)];
        switch (r.Next(10))
        {
            case 0: // deep nesting around the limit
            {
                var depth = r.Next(900, 1100);
                var open = r.Next(2) == 0 ? "(" : "Math.Exp(";
                return string.Concat(Enumerable.Repeat(open, depth)) + "x" + new string(')', depth);
            }
            case 1: // long sums, products and log-sum-exps
            {
                var n = r.Next(100, 3000);
                var op = r.Next(3);
                var terms = Enumerable.Range(0, n).Select(i => op == 2 ? $"Math.Exp(x{i})" : $"x{i}");
                var joined = string.Join(op == 1 ? " * " : " + ", terms);
                return op == 2 ? "Math.Log(" + joined + ")" : joined;
            }
            case 2: // delete a run of characters
            {
                var i = r.Next(seed.Length);
                return seed.Remove(i, Math.Min(r.Next(1, 5), seed.Length - i));
            }
            case 3: // degenerate text
                return new[] { "", " ", "x +", "()", "Math.", ")", "x)(", "\u0000", "x\ny", "1e999999", "--x", "x++", "new int[3]", "$\"{x}\"", "x => x" }[r.Next(15)];
            case 4: // a random tree
                return Expression(r, r.Next(2, 7));
            case 5: // huge and tiny constants
                return seed.Replace("0.5", new[] { "1e308", "4.9e-324", "3.4028235e38f", "1e-45f", "float.MaxValue", "1e400" }[r.Next(6)]);
            default: // a seed with a random subtree spliced in
            {
                var i = seed.IndexOf('x');
                return i < 0 ? seed : seed.Substring(0, i) + "(" + Expression(r, 3) + ")" + seed.Substring(i + 1);
            }
        }
    }

    [Fact]
    public void RandomAndDegenerateExpressions_NeverCrash_ErrorInOneLine_AndEveryPrintedMethodCompiles()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("SYMGRAD_CLI_FUZZ_CASES"), out var c) ? c : 300;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("SYMGRAD_CLI_FUZZ_SEED"), out var s) ? s : 8;
        var r = new Random(seed);
        var batch = new StringBuilder();
        var batched = 0;
        var printed = 0;
        void Compile()
        {
            if (batched == 0) return;
            RoslynCompiler.Compile("using System;\npublic static class Emitted\n{\n" + batch + "}\n");
            batch.Clear();
            batched = 0;
        }
        for (var k = 0; k < cases; k++)
        {
            var expression = Case(r);
            var args = new List<string> { "diff", expression, "--name", "F" + k };
            var latex = r.Next(6) == 0;
            if (latex) args.AddRange(new[] { "-f", "latex" });
            else if (r.Next(3) == 0) args.Add("--float");
            if (r.Next(4) == 0) args.Add("--stats");
            var output = new StringWriter();
            var error = new StringWriter();
            int exit;
            try
            {
                exit = SymgradCommand.Run(args.ToArray(), output, error);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"case {k} threw {e.GetType().Name}: {e.Message}\n{Shorten(expression)}");
            }
            var err = error.ToString();
            if (exit != 0)
            {
                var lines = err.TrimEnd('\n', '\r').Split('\n');
                Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal),
                    $"case {k}: exit {exit}, error output:\n{Shorten(err)}\nfor {Shorten(expression)}");
                continue;
            }
            Assert.Equal("", err);
            printed++;
            if (latex) continue;
            batch.Append(output.ToString().Replace("//", "\n//")).Append('\n');
            if (++batched == 20) Compile();
        }
        Compile();
        Assert.True(printed > cases / 10, $"only {printed} of {cases} cases printed code");
    }

    private static string Shorten(string s) => s.Length > 300 ? s.Substring(0, 300) + $"… ({s.Length} characters)" : s;
}
