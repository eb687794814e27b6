using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using SymGrad.Tensors;

namespace SymGrad.Training;

/// <summary>
/// Parameters saved to and loaded from a versioned binary file. Layout (little-endian): the 8 bytes
/// <c>SGCKPT\r\n</c>, a format version (uint32, now 1), the parameter count (uint32), then per parameter its name
/// (uint16 byte count + UTF-8), rank (uint32), dimensions (int32 each) and values (float32 each), and last a CRC-32
/// of everything before it. Writes go to a temporary file beside the target, flushed to disk and then renamed over
/// it, so a crash mid-write leaves the previous checkpoint intact.
/// </summary>
public static class Checkpoint
{
    private static readonly byte[] Magic = "SGCKPT\r\n"u8.ToArray();

    /// <summary>The format version this code writes and reads.</summary>
    public const uint Version = 1;

    /// <summary>Saves the network's parameters to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, Network network)
    {
        WriteAtomically(path, Serialize(network));
    }

    /// <summary>Writes <paramref name="bytes"/> to a temporary file beside <paramref name="path"/>, flushed to disk, then renames it over the target.</summary>
    internal static void WriteAtomically(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            // A save that fails (disk full, the target a directory) leaves no half-written .tmp beside the target; one a
            // killed process left is overwritten by the next save.
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>The size in bytes of a checkpoint of <paramref name="network"/>.</summary>
    public static long SizeOf(Network network)
    {
        long size = Magic.Length + 4 + 4 + 4;
        foreach (var p in network.Parameters)
            size += 2 + Encoding.UTF8.GetByteCount(p.Name) + 4 + 4L * p.Value.Rank + 4L * p.Value.Length;
        return size;
    }

    /// <summary>The checkpoint's bytes (what <see cref="Save"/> writes).</summary>
    public static byte[] Serialize(Network network)
    {
        using var ms = new MemoryStream();
        ms.Write(Magic);
        WriteUInt32(ms, Version);
        WriteUInt32(ms, (uint)network.Parameters.Count);
        Span<byte> four = stackalloc byte[4];
        foreach (var p in network.Parameters)
        {
            var name = Encoding.UTF8.GetBytes(p.Name);
            if (name.Length > ushort.MaxValue) throw new InvalidOperationException($"Parameter name '{p.Name}' is too long.");
            BinaryPrimitives.WriteUInt16LittleEndian(four, (ushort)name.Length);
            ms.Write(four.Slice(0, 2));
            ms.Write(name);
            WriteUInt32(ms, (uint)p.Value.Rank);
            foreach (var d in p.Value.Shape) WriteUInt32(ms, (uint)d);
            foreach (var v in p.Value.Span)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, v);
                ms.Write(four);
            }
        }
        WriteUInt32(ms, System.IO.Hashing.Crc32.HashToUInt32(ms.GetBuffer().AsSpan(0, (int)ms.Length)));
        return ms.ToArray();
    }

    /// <summary>
    /// Loads parameters saved by <see cref="Save"/> (or the parameters of a training state that
    /// <see cref="TrainingOptions.LastCheckpointPath"/> wrote) into a network of the same architecture. Throws
    /// <see cref="InvalidDataException"/> naming the file and what is wrong (not a checkpoint, another version,
    /// truncated, corrupted, or saved from a different architecture); the network is left unchanged then.
    /// </summary>
    public static void Load(string path, Network network)
    {
        // At most one byte more than this network's checkpoint is read: a file over 2 GB, or /dev/zero, is refused from what
        // it holds instead of read until memory runs out.
        var expected = SizeOf(network);
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var buffer = new byte[expected + 1];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = stream.Read(buffer, read, buffer.Length - read)) > 0) read += n;
            bytes = read == buffer.Length ? buffer : buffer.AsSpan(0, read).ToArray();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"{path}: no such checkpoint.", path);
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            throw new InvalidDataException($"{path}: a directory, not a checkpoint.");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"{path}: cannot be read ({e.Message})", e);
        }
        // The whole training state (TrainingOptions.LastCheckpointPath) holds the parameters too: they are loaded from it.
        if (bytes.AsSpan().StartsWith("SGTRAIN\n"u8))
        {
            Deserialize(TrainingState.Read(path).Parameters, network, path);
            return;
        }
        if (bytes.Length > expected)
            throw new InvalidDataException(bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)
                ? $"{path}: not a SymGrad checkpoint (the file does not start with SGCKPT)."
                : $"{path}: longer than a checkpoint of this network ({expected} bytes): saved from a different architecture, or corrupted.");
        Deserialize(bytes, network, path);
    }

    /// <summary>Loads checkpoint bytes; <paramref name="source"/> names them in errors.</summary>
    public static void Deserialize(ReadOnlySpan<byte> bytes, Network network, string source = "checkpoint") => Read(bytes, network, source, apply: true);

    /// <summary>Throws what <see cref="Deserialize"/> would, changing nothing.</summary>
    internal static void Check(ReadOnlySpan<byte> bytes, Network network, string source) => Read(bytes, network, source, apply: false);

    private static void Read(ReadOnlySpan<byte> bytes, Network network, string source, bool apply)
    {
        var reader = new Reader(bytes, source);
        if (bytes.Length < Magic.Length || !bytes.Slice(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: not a SymGrad checkpoint (the file does not start with SGCKPT).");
        reader.Position = Magic.Length;
        var version = reader.UInt32("format version");
        if (bytes.Length < Magic.Length + 12)
            throw new InvalidDataException($"{source}: truncated: {bytes.Length} bytes, too short for a checkpoint.");
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(bytes.Length - 4));
        var actual = System.IO.Hashing.Crc32.HashToUInt32(bytes.Slice(0, bytes.Length - 4));
        // Another version only when the checksum says the bytes are as written: a flipped version byte is corruption.
        if (version != Version)
            throw new InvalidDataException(stored == actual
                ? $"{source}: checkpoint format version {version}; this SymGrad reads version {Version}."
                : $"{source}: corrupted (checksum mismatch: stored {stored:x8}, computed {actual:x8}).");
        var count = reader.UInt32("parameter count");
        if (count != network.Parameters.Count)
            throw new InvalidDataException(stored == actual
                ? $"{source}: holds {count} parameters; the network has {network.Parameters.Count} (a different architecture)."
                : $"{source}: corrupted or truncated (checksum mismatch).");
        // Read everything first: the network changes only if the whole file is good.
        var values = new List<float[]>();
        for (var i = 0; i < count; i++)
        {
            var p = network.Parameters[i];
            var nameLength = reader.UInt16($"name length of parameter {i}");
            // As the file has it, for comparison; in messages as a printable text of bounded length (a corrupted name can
            // hold line breaks and control characters).
            var name = Encoding.UTF8.GetString(reader.Bytes(nameLength, $"name of parameter {i}"));
            var shown = Printable(name);
            var rank = reader.UInt32($"rank of {shown}");
            if (rank > 16)
                throw new InvalidDataException(stored == actual
                    ? $"{source}: corrupted at offset {reader.Position - 4}: parameter {shown} has rank {rank}."
                    : $"{source}: corrupted or truncated (checksum mismatch).");
            var shape = new int[rank];
            for (var d = 0; d < rank; d++) shape[d] = (int)reader.UInt32($"shape of {shown}");
            if (name != p.Name || !p.Value.Shape.SequenceEqual(shape))
                throw new InvalidDataException(stored == actual
                    ? $"{source}: parameter {i} is {shown} {DenseTensor.Format(shape)} in the file but {p.Name} {p.Value.ShapeText} in the network (a different architecture)."
                    : $"{source}: corrupted or truncated (checksum mismatch).");
            var data = new float[p.Value.Length];
            var raw = reader.Bytes(4 * data.Length, $"values of {shown}");
            for (var k = 0; k < data.Length; k++) data[k] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(4 * k));
            values.Add(data);
        }
        if (reader.Position != bytes.Length - 4)
            throw new InvalidDataException(reader.Position > bytes.Length - 4
                ? $"{source}: truncated at offset {bytes.Length}."
                : $"{source}: {bytes.Length - 4 - reader.Position} unexpected bytes at offset {reader.Position}.");
        if (stored != actual) throw new InvalidDataException($"{source}: corrupted (checksum mismatch: stored {stored:x8}, computed {actual:x8}).");
        if (apply)
            for (var i = 0; i < values.Count; i++) values[i].CopyTo(network.Parameters[i].Value.Span);
    }

    private static void WriteUInt32(Stream s, uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        s.Write(b);
    }

    // At most 64 characters, control characters and unpaired surrogates as \uXXXX: a name read from a corrupted file
    // stays on one line of a message.
    private static string Printable(string name)
    {
        var sb = new StringBuilder();
        foreach (var c in name.Length > 64 ? name[..64] : name)
            if (char.IsControl(c) || char.IsSurrogate(c) || c == '\uFFFD') sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        return name.Length > 64 ? sb.Append('…').ToString() : sb.ToString();
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes, string source)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        public int Position;

        public ReadOnlySpan<byte> Bytes(int count, string what)
        {
            // The trailing four bytes are the checksum, not content.
            if (count < 0 || Position + count > _bytes.Length - 4)
                throw new InvalidDataException($"{source}: truncated at offset {Position}, reading the {what}.");
            var s = _bytes.Slice(Position, count);
            Position += count;
            return s;
        }

        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));
        public ushort UInt16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2, what));
    }
}
