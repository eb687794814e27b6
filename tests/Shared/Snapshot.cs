using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Xunit;

namespace SymGrad.Tests.Shared;

/// <summary>
/// Verify-style snapshots: <c>_snapshots/{name}.verified.{ext}</c> beside the test file is the accepted text;
/// on a mismatch the actual text is written to <c>{name}.received.{ext}</c> and the test fails. Set the
/// environment variable <c>SYMGRAD_ACCEPT=1</c> to accept received text deliberately.
/// </summary>
public static class Snapshot
{
    public const string AcceptVariable = "SYMGRAD_ACCEPT";

    public static void Verify(string name, string actual, string extension = "txt", [CallerFilePath] string testFile = "")
    {
        var directory = Path.Combine(Path.GetDirectoryName(SourcePath(testFile))!, "_snapshots");
        Directory.CreateDirectory(directory);
        var verified = Path.Combine(directory, $"{name}.verified.{extension}");
        var received = Path.Combine(directory, $"{name}.received.{extension}");
        actual = actual.Replace("\r\n", "\n");
        var accept = Environment.GetEnvironmentVariable(AcceptVariable) == "1";
        var expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        if (accept)
        {
            File.WriteAllText(verified, actual);
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"No snapshot {verified}. Received text written to {received}; review it and rerun with {AcceptVariable}=1 to accept."
            : $"Snapshot {verified} differs from the received text written to {received}.\n--- verified ---\n{expected}\n--- received ---\n{actual}");
    }

    /// <summary>
    /// The real path of a test source file. Continuous-integration builds map the repository root to <c>/_/</c>
    /// in <see cref="CallerFilePathAttribute"/> values; the test project records the real root at build time.
    /// </summary>
    public static string SourcePath(string callerFilePath)
    {
        if (File.Exists(callerFilePath)) return callerFilePath;
        var root = typeof(Snapshot).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "SymGrad.RepositoryRoot")?.Value;
        if (root is null) throw new InvalidOperationException($"Test source {callerFilePath} not found and no SymGrad.RepositoryRoot metadata to map it.");
        var relative = callerFilePath.StartsWith("/_/", StringComparison.Ordinal) ? callerFilePath.Substring(3) : callerFilePath.TrimStart('/');
        var mapped = Path.Combine(root, relative);
        if (!File.Exists(mapped)) throw new InvalidOperationException($"Test source {callerFilePath} not found (looked for {mapped}).");
        return mapped;
    }
}
