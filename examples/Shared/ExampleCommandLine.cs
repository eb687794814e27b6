using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.IO;

namespace SymGrad.Examples;

/// <summary>
/// The command-line options the examples share, built on System.CommandLine: typed values read in the invariant
/// culture and checked when the command line is parsed, so that <c>--epochs foo</c> or <c>--epochs -1</c> is one line
/// naming the option and exit code 2 (a usage error), never an exception from the middle of a run. Linked into each
/// example project (examples/Shared).
/// </summary>
internal static class ExampleCommandLine
{
    /// <summary>The exit code of a command line that could not be used: a bad option value, a missing file.</summary>
    public const int UsageError = 2;

    /// <summary>A whole number option, at least <paramref name="minimum"/>.</summary>
    public static Option<int> Integer(string name, string description, int defaultValue, int minimum = 1)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue, HelpName = "n" };
        option.CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                result.AddError(System.Numerics.BigInteger.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
                    ? $"{name}: {text} is out of range (at most {int.MaxValue})."
                    : $"{name}: '{text}' is not a whole number.");
                return defaultValue;
            }
            if (value < minimum)
            {
                result.AddError($"{name}: {value} is less than {minimum}, the least it may be.");
                return defaultValue;
            }
            return value;
        };
        return option;
    }

    /// <summary>A finite number option greater than zero (a learning rate, a scale).</summary>
    public static Option<double> Positive(string name, string description, double defaultValue)
    {
        var option = new Option<double>(name) { Description = description, DefaultValueFactory = _ => defaultValue, HelpName = "x" };
        option.CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                result.AddError($"{name}: '{text}' is not a finite number (write it as 0.05 or 5e-2).");
                return defaultValue;
            }
            if (value <= 0)
            {
                result.AddError($"{name}: {value.ToString(CultureInfo.InvariantCulture)} is not greater than 0.");
                return defaultValue;
            }
            return value;
        };
        return option;
    }

    /// <summary>
    /// <c>--out</c>: the folder the example writes its plots and data to, the current folder by default. It is created
    /// when missing; a path that names a file is refused when the command line is parsed.
    /// </summary>
    public static Option<string> Out(string writes)
    {
        var option = new Option<string>("--out") { Description = $"Folder for {writes} (created if missing)", DefaultValueFactory = _ => ".", HelpName = "folder" };
        option.CustomParser = result =>
        {
            var path = result.Tokens[0].Value;
            if (path.Length == 0) result.AddError("--out: the folder name is empty.");
            else if (File.Exists(path)) result.AddError($"--out: {path} is a file, not a folder.");
            // Created and written to now, so that an unusable folder is refused before training, not after it.
            else if (Unwritable(path) is { } why) result.AddError($"--out: {path} cannot be written to ({why}).");
            return path;
        };
        return option;
    }

    private static string? Unwritable(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, ".write-test-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            File.WriteAllBytes(probe, Array.Empty<byte>());
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return e.Message.TrimEnd('.');
        }
    }

    /// <summary>
    /// An optional input file: a path that does not exist, or names a folder, is refused when the command line is parsed
    /// (never silently replaced by something else).
    /// </summary>
    public static Option<string?> ExistingFile(string name, string description)
    {
        var option = new Option<string?>(name) { Description = description, HelpName = "file" };
        option.CustomParser = result =>
        {
            var path = result.Tokens[0].Value;
            if (Directory.Exists(path)) result.AddError($"{name}: {path} is a folder, not a file.");
            else if (!File.Exists(path)) result.AddError($"{name}: {path} does not exist.");
            return path;
        };
        return option;
    }

    /// <summary>
    /// Parses <paramref name="args"/>. Returns null when the example should run with the values in
    /// <paramref name="parse"/>; otherwise the exit code to return at once: 0 after <c>--help</c> or <c>--version</c>
    /// printed what was asked, <see cref="UsageError"/> after one line per error on standard error.
    /// </summary>
    public static int? Parse(RootCommand command, string[] args, out ParseResult parse)
    {
        parse = command.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                Console.Error.WriteLine("error: " + error.Message.Replace("\r", " ").Replace("\n", " ").Trim());
            Console.Error.WriteLine("(see --help for the options)");
            return UsageError;
        }
        // No action of its own: the root command has none, so an action here is --help's or --version's.
        return parse.Action is null ? null : parse.Invoke();
    }

    /// <summary>
    /// Says, in a Debug build, that the figures it prints (samples per second, seconds) are not the real speed. Compiled
    /// into each example, so the example's own configuration decides.
    /// </summary>
    public static void PrintBuildNote()
    {
#if DEBUG
        Console.WriteLine("Debug build: figures are slow; run with -c Release for real throughput.");
#endif
    }
}
