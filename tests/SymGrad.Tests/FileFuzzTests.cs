using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using SymGrad.Data;
using SymGrad.Layers;
using SymGrad.Training;
using Xunit;

namespace SymGrad.Tests;

/// <summary>
/// Mutated files for every loader — IDX, CSV, checkpoints: bytes flipped, inserted, deleted, truncated, header fields
/// set to extremes, lines and fields replaced by degenerate text. Each case either loads or fails with
/// <see cref="InvalidDataException"/> whose message starts with the file's name (and, for CSV, a line number where the
/// problem is on a line); never another exception type, never a network changed by a checkpoint that failed.
/// <c>SYMGRAD_FILE_FUZZ_CASES</c> (default 3 000 per loader) and <c>SYMGRAD_FILE_FUZZ_SEED</c> run more or other cases.
/// </summary>
public class FileFuzzTests
{
    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("SYMGRAD_FILE_FUZZ_CASES"), out var n) ? n : 3000;
    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("SYMGRAD_FILE_FUZZ_SEED"), out var s) ? s : 1;

    private static byte[] MutateBytes(Random rng, byte[] original, int headerLength)
    {
        var bytes = new List<byte>(original);
        var edits = 1 + rng.Next(4);
        for (var e = 0; e < edits; e++)
        {
            switch (rng.Next(8))
            {
                case 0 when bytes.Count > 0: bytes[rng.Next(bytes.Count)] ^= (byte)(1 << rng.Next(8)); break; // one bit
                case 1 when bytes.Count > 0: bytes[rng.Next(Math.Min(bytes.Count, headerLength))] = (byte)rng.Next(256); break; // a header byte
                case 2 when bytes.Count > 0: bytes.RemoveAt(rng.Next(bytes.Count)); break; // one byte deleted
                case 3: bytes.Insert(rng.Next(bytes.Count + 1), (byte)rng.Next(256)); break; // one byte inserted
                case 4 when bytes.Count > 0:
                {
                    var at = rng.Next(bytes.Count); // a run deleted
                    bytes.RemoveRange(at, rng.Next(bytes.Count - at + 1));
                    break;
                }
                case 5: bytes.RemoveRange(rng.Next(bytes.Count + 1) is var keep ? keep : 0, bytes.Count - keep); break; // truncated
                case 6 when bytes.Count >= 4:
                {
                    // a 32-bit header field set to an extreme
                    var at = 4 * rng.Next(Math.Max(1, Math.Min(bytes.Count, headerLength) / 4));
                    var value = new[] { 0u, 1u, 2u, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu, 1u << 30, 65536u }[rng.Next(8)];
                    for (var b = 0; b < 4 && at + b < bytes.Count; b++) bytes[at + b] = (byte)(value >> (8 * (3 - b)));
                    break;
                }
                default: bytes.AddRange(Enumerable.Range(0, rng.Next(1, 64)).Select(_ => (byte)rng.Next(256))); break; // garbage appended
            }
        }
        return bytes.ToArray();
    }

    private static void AssertNamed(Exception e, string source, bool lineNumber = false)
    {
        Assert.True(e is InvalidDataException, $"{e.GetType().Name}: {e.Message}");
        Assert.StartsWith(source + ":", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        if (lineNumber && !e.Message.StartsWith(source + ": no data rows", StringComparison.Ordinal))
            Assert.Matches(new Regex("^" + Regex.Escape(source) + @":\d+: "), e.Message);
    }

    private static byte[] Idx(byte type, int[] shape, Random rng)
    {
        var size = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, _ => 8 };
        var count = shape.Aggregate(1, (a, b) => a * b);
        var bytes = new byte[4 + 4 * shape.Length + size * count];
        bytes[2] = type;
        bytes[3] = (byte)shape.Length;
        for (var d = 0; d < shape.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), shape[d]);
        rng.NextBytes(bytes.AsSpan(4 + 4 * shape.Length));
        return bytes;
    }

    [Fact]
    public void Idx_MutatedFiles_LoadOrFailNamingTheFile()
    {
        var rng = new Random(Seed);
        var loaded = 0;
        for (var c = 0; c < Cases; c++)
        {
            var type = new byte[] { 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E }[rng.Next(6)];
            var shape = Enumerable.Range(0, 1 + rng.Next(3)).Select(_ => 1 + rng.Next(5)).ToArray();
            var original = Idx(type, shape, rng);
            var bytes = MutateBytes(rng, original, 4 + 4 * shape.Length);
            try
            {
                var t = IdxLoader.Read(bytes, "fuzz.idx");
                Assert.Equal(t.Length * 1L, t.Shape.ToArray().Aggregate(1L, (a, b) => a * b));
                loaded++;
            }
            catch (Exception e) { AssertNamed(e, "fuzz.idx"); }
        }
        Assert.InRange(loaded, 1, Cases - 1); // both outcomes occur: the mutations are neither all fatal nor all harmless
    }

    [Fact]
    public void Idx_MutatedFilesOnDisk_NameThePath()
    {
        var dir = Directory.CreateTempSubdirectory("symgrad-idxfuzz").FullName;
        try
        {
            var rng = new Random(Seed + 1);
            for (var c = 0; c < Math.Max(20, Cases / 50); c++)
            {
                var path = Path.Combine(dir, $"case{c}.idx");
                File.WriteAllBytes(path, MutateBytes(rng, Idx(0x08, new[] { 1 + rng.Next(4), 3 }, rng), 12));
                try { IdxLoader.Read(path); }
                catch (Exception e) { AssertNamed(e, path); }
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    private static readonly string[] Degenerate =
    {
        "", ",", ",,", "\"", "NaN", "Infinity", "-∞", "1e999", "-1e-999", "0x10", "1,5", " 2 ", "\t", "١٢", "1e", "+", "--1", "3.4028235E+39",
        new string('9', 400), "\u0000", "\r", "\n\n", "\r\n", "a\u00A0b", "2147483648", "-1", "7", "0.5",
    };

    [Fact]
    public void Csv_MutatedFiles_LoadOrFailNamingTheFileAndLine()
    {
        var rng = new Random(Seed + 2);
        var loaded = 0;
        for (var c = 0; c < Cases; c++)
        {
            var rows = 1 + rng.Next(6);
            var columns = 2 + rng.Next(3);
            var lines = new List<string> { string.Join(",", Enumerable.Range(0, columns).Select(i => "c" + i)) };
            for (var r = 0; r < rows; r++)
                lines.Add(string.Join(",", Enumerable.Range(0, columns).Select(i => i == columns - 1
                    ? rng.Next(3).ToString(CultureInfo.InvariantCulture)
                    : (rng.NextDouble() * 10 - 5).ToString("R", CultureInfo.InvariantCulture))));
            var edits = 1 + rng.Next(3);
            for (var e = 0; e < edits && lines.Count > 0; e++)
            {
                var line = rng.Next(lines.Count);
                var fields = lines[line].Split(',').ToList();
                switch (rng.Next(6))
                {
                    case 0: fields[rng.Next(fields.Count)] = Degenerate[rng.Next(Degenerate.Length)]; break;
                    case 1: fields.RemoveAt(rng.Next(fields.Count)); break;
                    case 2: fields.Insert(rng.Next(fields.Count + 1), Degenerate[rng.Next(Degenerate.Length)]); break;
                    case 3: lines.RemoveAt(line); continue;
                    case 4: lines.Insert(line, Degenerate[rng.Next(Degenerate.Length)]); continue;
                    default: lines[line] = lines[line].Length == 0 ? "" : lines[line][..rng.Next(lines[line].Length)]; continue;
                }
                lines[line] = string.Join(",", fields);
            }
            var text = string.Join(rng.Next(2) == 0 ? "\n" : "\r\n", lines);
            var options = rng.Next(3) switch
            {
                0 => new CsvOptions(),
                1 => new CsvOptions { Classes = 3 },
                _ => new CsvOptions { HasHeader = rng.Next(2) == 0, TargetColumns = new[] { rng.Next(columns) } },
            };
            try
            {
                var d = CsvLoader.Read(new StringReader(text), "fuzz.csv", options);
                Assert.Equal(d.Features.Dim(0), d.Targets.Dim(0));
                Assert.All(d.Features.Span.ToArray(), v => Assert.True(float.IsFinite(v)));
                loaded++;
            }
            catch (ArgumentException e) when (e.Message.StartsWith("fuzz.csv: target column", StringComparison.Ordinal)
                                            || e.Message.StartsWith("fuzz.csv: every column", StringComparison.Ordinal))
            {
                // the options name a column the (mutated) file does not have: the caller's error, named as such
            }
            catch (Exception e) { AssertNamed(e, "fuzz.csv", lineNumber: !e.Message.StartsWith("fuzz.csv: no data", StringComparison.Ordinal)); }
        }
        Assert.InRange(loaded, 1, Cases - 1);
    }

    [Fact]
    public void EdgeFiles_FromATrial_FailEarly_NamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("symgrad-edges").FullName;
        try
        {
            // A 12-byte IDX file announcing 2 147 483 000 bytes: refused from its length, before the buffer is allocated.
            var idx = Path.Combine(dir, "huge-header.idx");
            File.WriteAllBytes(idx, new byte[] { 0, 0, 0x08, 1, 0x7F, 0xFF, 0xFD, 0x78, 1, 2, 3, 4 });
            var before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => IdxLoader.Read(idx));
            Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1 << 20);
            Assert.StartsWith(idx + ": offset 12: truncated", e.Message, StringComparison.Ordinal);

            // Directories are named as such, by every loader.
            Assert.Equal(dir + ": a directory, not an IDX file.", Assert.Throws<InvalidDataException>(() => IdxLoader.Read(dir)).Message);
            Assert.Equal(dir + ": a directory, not a CSV file.", Assert.Throws<InvalidDataException>(() => CsvLoader.Load(dir)).Message);
            var network = new Network(new Dense(2, 1, 1));
            Assert.Equal(dir + ": a directory, not a checkpoint.", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(dir, network)).Message);

            // Classes = int.MaxValue: an error naming the file, not an OverflowException.
            var csv = Path.Combine(dir, "classes.csv");
            File.WriteAllText(csv, "a,b\n1,0\n2,1\n");
            var wide = Assert.Throws<ArgumentException>(() => CsvLoader.Load(csv, new CsvOptions { Classes = int.MaxValue }));
            Assert.StartsWith(csv + ": ", wide.Message, StringComparison.Ordinal);

            // "1\0" is not the number 1 (the framework's parser accepts trailing NULs).
            File.WriteAllText(csv, "a,b\n1\0,0\n");
            Assert.StartsWith(csv + ":2: column 1:", Assert.Throws<InvalidDataException>(() => CsvLoader.Load(csv)).Message, StringComparison.Ordinal);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Checkpoint_MutatedFiles_AreRejectedNamingTheFile_AndLeaveTheNetworkUnchanged()
    {
        var rng = new Random(Seed + 3);
        var source = new Network(new Dense(3, 4, 1), new Activation<Tanh>(), new Dense(4, 2, 2));
        var original = Checkpoint.Serialize(source);
        var target = new Network(new Dense(3, 4, 5), new Activation<Tanh>(), new Dense(4, 2, 6));
        var before = target.Parameters.Select(p => p.Value.Span.ToArray()).ToList();
        var loaded = 0;
        for (var c = 0; c < Cases; c++)
        {
            var bytes = MutateBytes(rng, original, 40);
            try
            {
                Checkpoint.Deserialize(bytes, target, "fuzz.sgckpt");
                // Only the bytes as written load (a mutation that changes nothing, e.g. inserting then removing a byte).
                Assert.Equal(original, bytes);
                loaded++;
                for (var i = 0; i < before.Count; i++) before[i].CopyTo(target.Parameters[i].Value.Span);
            }
            catch (Exception e)
            {
                AssertNamed(e, "fuzz.sgckpt");
                for (var i = 0; i < before.Count; i++) Assert.Equal(before[i], target.Parameters[i].Value.Span.ToArray());
            }
        }
        Assert.True(loaded < Cases);
    }
}
