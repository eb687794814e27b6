using System;
using System.CommandLine;
using System.IO;
using System.Linq;

namespace SymGrad.Cli;

/// <summary>The <c>symgrad</c> command line: <c>symgrad diff "&lt;expr&gt;" --wrt w,b …</c>.</summary>
public static class SymgradCommand
{
    /// <summary>The root command with its subcommands.</summary>
    public static Command Create()
    {
        var expression = new Argument<string>("expression")
        {
            Description = "A C# expression, e.g. \"0.5 * (y - (w * x + b)) * (y - (w * x + b))\"",
        };
        var wrt = new Option<string?>("--wrt")
        {
            Description = "Comma-separated variables to differentiate with respect to (default: every variable)",
        };
        var format = new Option<string>("--format", "-f")
        {
            Description = "Output format",
            DefaultValueFactory = _ => "csharp",
        };
        format.AcceptOnlyFromAmong("csharp", "latex");
        var steps = new Option<bool>("--steps") { Description = "With latex: add the step-by-step chain-rule derivation" };
        var useFloat = new Option<bool>("--float") { Description = "With csharp: emit float code using MathF" };
        var stats = new Option<bool>("--stats") { Description = "Print operation counts of the primal and the gradient program, and the time taken" };
        var arrays = new Option<string?>("--arrays")
        {
            Description = "Comma-separated names read as arrays, rank 1 unless given (x,W:2), summed with Sym.Sum(x.Length, i => …)",
        };
        var name = new Option<string>("--name")
        {
            Description = "Name of the emitted C# method",
            DefaultValueFactory = _ => "F",
        };

        var diff = new Command("diff", "Differentiate an expression and print the gradient as C# or LaTeX")
        {
            expression, wrt, format, steps, useFloat, stats, name, arrays,
        };
        diff.SetAction(parse =>
        {
            var request = new DiffRequest(
                parse.GetValue(expression)!,
                parse.GetValue(wrt)?.Split(',').Select(s => s.Trim()).ToList(),
                parse.GetValue(format)!,
                parse.GetValue(steps),
                parse.GetValue(useFloat),
                parse.GetValue(stats),
                parse.GetValue(name)!,
                parse.GetValue(arrays)?.Split(',').Select(s => s.Trim()).ToList());
            return DiffRunner.Run(request, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        });

        var assembly = new Argument<string>("assembly") { Description = "A built assembly (.dll) whose [Differentiable] methods SymGrad generated" };
        var output = new Option<string>("--output", "-o") { Description = "Folder for the pages", DefaultValueFactory = _ => "derivations" };
        var docs = new Command("docs", "Write every derivation of an assembly as Markdown pages (one per type) and an HTML page that renders them")
        {
            assembly, output,
        };
        docs.SetAction(parse => DocsRunner.Run(parse.GetValue(assembly)!, parse.GetValue(output)!,
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        // Named symgrad, as the tool is installed (a RootCommand takes the assembly's name, SymGrad.Cli, for its usage line).
        var root = new Command("symgrad", "symgrad: symbolic derivatives of C# expressions, printed as C# or LaTeX") { diff, docs };
        root.Options.Add(new System.CommandLine.Help.HelpOption());
        root.Options.Add(new VersionOption());
        return root;
    }

    /// <summary>
    /// Runs the command line with the given writers (for tests and embedding). A command line the parser rejects (an
    /// unknown option, a format not offered) prints one line, as every other bad input does, not the whole help.
    /// </summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        // No response files: an expression may start with @ (@class * 2 is C#), which the parser would take for a file name.
        var parse = Create().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            error.WriteLine("error: " + parse.Errors[0].Message.Replace("\r", " ").Replace("\n", " ") + " (see symgrad --help)");
            return 1;
        }
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
