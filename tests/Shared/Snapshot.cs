using System;
using System.IO;
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
        var directory = Path.Combine(Path.GetDirectoryName(testFile)!, "_snapshots");
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
}
