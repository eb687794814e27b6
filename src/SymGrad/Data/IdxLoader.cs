using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using SymGrad.Tensors;

namespace SymGrad.Data;

/// <summary>
/// The IDX format of MNIST: two zero bytes, a type byte (0x08 unsigned byte, 0x09 signed byte, 0x0B int16,
/// 0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions, each dimension as a big-endian int32, then
/// the values, big-endian; plain or gzip-compressed. Bad files raise <see cref="InvalidDataException"/> naming the
/// file and the byte offset.
/// </summary>
public static class IdxLoader
{
    /// <summary>
    /// Reads an IDX file into a tensor of its shape (values as float, unscaled). A gzip-compressed file (as MNIST is
    /// distributed, <c>train-images-idx3-ubyte.gz</c>) is recognised by its first two bytes, 0x1f 0x8b, whatever its
    /// name, and decompressed as it is read; errors in its contents give offsets in the decompressed data.
    /// </summary>
    public static DenseTensor Read(string path)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: a directory, not an IDX file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (!IsGzip(stream)) return Read(stream, path, path, stream.CanSeek ? stream.Length : null);
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        return Read(gzip, path, $"{path} (decompressed)", null);
    }

    // True when the stream starts with gzip's magic bytes; a seekable stream is left at its start either way (a stream
    // that cannot seek, such as a device, is read as IDX: its first bytes are then gone, so it is not looked at).
    private static bool IsGzip(Stream stream)
    {
        if (!stream.CanSeek) return false;
        var magic = new byte[2];
        var got = ReadUpTo(stream, magic, 0, 2, "");
        stream.Position = 0;
        return got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    // The header first, then exactly the bytes it announces (and one more, to see whether the data goes on): a device
    // such as /dev/zero or a file of many gigabytes is refused from its header, never read whole. length is the size of
    // the data when known (a regular file), null for a decompressed stream; file names the file for decompression
    // errors, source names the data in every other error.
    private static DenseTensor Read(Stream stream, string file, string source, long? length)
    {
        var head = new byte[4];
        var (size, rank) = Prefix(head.AsSpan(0, ReadUpTo(stream, head, 0, 4, file)), source);
        var header = new byte[4 + 4 * rank];
        head.CopyTo(header, 0);
        var (shape, count) = Dimensions(header.AsSpan(0, 4 + ReadUpTo(stream, header, 4, header.Length - 4, file)), rank, source);
        var total = header.Length + count * size;
        if (total > Array.MaxLength - 1)
            throw new InvalidDataException($"{source}: offset 4: the header announces {count} values ({count * size} bytes), more than SymGrad reads into one array.");
        // A regular file shorter than its header announces is refused before the buffer is allocated (a 12-byte file
        // announcing 2 GB allocated them, then reported the truncation).
        if (length is { } known)
        {
            if (known < total)
                throw new InvalidDataException($"{source}: offset {known}: truncated: shape {DenseTensor.Format(shape)} needs {count * size} bytes of values from offset {header.Length}, the file has {known - header.Length}.");
            var bytes = new byte[total + 1];
            header.CopyTo(bytes, 0);
            var got = header.Length + ReadUpTo(stream, bytes, header.Length, bytes.Length - header.Length, file);
            if (got > total) throw new InvalidDataException($"{source}: offset {total}: {known - total} bytes after the values.");
            return Read(bytes.AsSpan(0, got), source);
        }
        // Data of unknown length (decompressed) is read in pieces into a buffer that grows with what arrives, so a header
        // that announces gigabytes over a short stream costs what the stream holds, not what the header claims.
        using var values = new MemoryStream();
        values.Write(header);
        var piece = new byte[1 << 20];
        while (values.Length <= total)
        {
            var n = ReadUpTo(stream, piece, 0, Math.Min(piece.Length, total + 1 - values.Length), file);
            if (n == 0) break;
            values.Write(piece, 0, n);
        }
        if (values.Length > total)
            throw new InvalidDataException($"{source}: offset {total}: the data goes on after the {count} values of shape {DenseTensor.Format(shape)} its header announces.");
        return Read(values.GetBuffer().AsSpan(0, (int)values.Length), source);
    }

    // Reads until count bytes or the end; the number read. A decompression error (a corrupt gzip file) is reported with
    // the file's name.
    private static int ReadUpTo(Stream stream, byte[] buffer, int offset, long count, string file)
    {
        var done = 0;
        while (done < count)
        {
            int n;
            try
            {
                n = stream.Read(buffer, offset + done, (int)Math.Min(count - done, 1 << 20));
            }
            catch (InvalidDataException e) when (stream is GZipStream)
            {
                throw new InvalidDataException($"{file}: not a valid gzip file: {e.Message}", e);
            }
            if (n == 0) break;
            done += n;
        }
        return done;
    }

    // The first four bytes — two zeros, the value type, the rank — checked: the bytes per value and the rank.
    private static (int Size, int Rank) Prefix(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 4) throw new InvalidDataException($"{source}: offset 0: truncated: {bytes.Length} bytes, an IDX header needs at least 4.");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"{source}: offset 0: not an IDX file (it starts with 0x{bytes[0]:x2} 0x{bytes[1]:x2}, not two zero bytes).");
        var type = bytes[2];
        var size = type switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            0x0E => 8,
            _ => throw new InvalidDataException($"{source}: offset 2: unknown IDX value type 0x{type:x2}."),
        };
        int rank = bytes[3];
        if (rank == 0) throw new InvalidDataException($"{source}: offset 3: zero dimensions.");
        return (size, rank);
    }

    // The dimensions and the number of values, checked: dimensions are positive and their product fits a tensor (64
    // dimensions of 2 is 2⁶⁴, which would wrap).
    private static (int[] Shape, long Count) Dimensions(ReadOnlySpan<byte> bytes, int rank, string source)
    {
        if (bytes.Length < 4 + 4 * rank) throw new InvalidDataException($"{source}: offset {bytes.Length}: truncated in the header ({rank} dimensions need {4 + 4 * rank} bytes).");
        var shape = new int[rank];
        long count = 1;
        for (var d = 0; d < rank; d++)
        {
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.Slice(4 + 4 * d));
            if (shape[d] <= 0) throw new InvalidDataException($"{source}: offset {4 + 4 * d}: dimension {d} is {shape[d]}.");
            count *= shape[d];
            if (count > int.MaxValue)
                throw new InvalidDataException($"{source}: offset {4 + 4 * d}: the dimensions up to {d} ({DenseTensor.Format(shape.AsSpan(0, d + 1))}) hold more than {int.MaxValue} values, more than a tensor holds.");
        }
        return (shape, count);
    }

    /// <summary>Reads IDX bytes; <paramref name="source"/> names them in errors.</summary>
    public static DenseTensor Read(ReadOnlySpan<byte> bytes, string source)
    {
        var (size, rank) = Prefix(bytes, source);
        var type = bytes[2];
        var (shape, count) = Dimensions(bytes, rank, source);
        var start = 4 + 4 * rank;
        var expected = count * size;
        if (bytes.Length - start < expected)
            throw new InvalidDataException($"{source}: offset {bytes.Length}: truncated: shape {DenseTensor.Format(shape)} needs {expected} bytes of values from offset {start}, the file has {bytes.Length - start}.");
        if (bytes.Length - start > expected)
            throw new InvalidDataException($"{source}: offset {start + expected}: {bytes.Length - start - expected} bytes after the values.");
        var data = new float[count];
        var values = bytes.Slice(start);
        for (var i = 0; i < data.Length; i++)
            data[i] = type switch
            {
                0x08 => values[i],
                0x09 => (sbyte)values[i],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(values.Slice(2 * i)),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(values.Slice(4 * i)),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(values.Slice(4 * i)),
                _ => (float)BinaryPrimitives.ReadDoubleBigEndian(values.Slice(8 * i)),
            };
        return new DenseTensor(data, shape);
    }

    /// <summary>Writes a tensor as IDX unsigned bytes (values rounded and clamped to 0..255), e.g. for test files.</summary>
    public static byte[] WriteBytes(DenseTensor t)
    {
        var bytes = new byte[4 + 4 * t.Rank + t.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)t.Rank;
        for (var d = 0; d < t.Rank; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), t.Dim(d));
        var span = t.Span;
        for (var i = 0; i < span.Length; i++) bytes[4 + 4 * t.Rank + i] = (byte)Math.Clamp(MathF.Round(span[i]), 0, 255);
        return bytes;
    }

    /// <summary>
    /// MNIST: images [n, rows, cols] of bytes and labels [n] of 0..9 become a dataset of images [n, rows, cols, 1]
    /// scaled to [0, 1] and one-hot labels [n, 10].
    /// </summary>
    public static Dataset LoadMnist(string imagesPath, string labelsPath)
    {
        var images = Read(imagesPath);
        var labels = Read(labelsPath);
        if (images.Rank != 3) throw new InvalidDataException($"{imagesPath}: MNIST images have 3 dimensions [n, rows, cols], this file has {images.ShapeText}.");
        if (labels.Rank != 1) throw new InvalidDataException($"{labelsPath}: MNIST labels have 1 dimension [n], this file has {labels.ShapeText}.");
        if (labels.Dim(0) != images.Dim(0))
            throw new InvalidDataException($"{labelsPath}: {labels.Dim(0)} labels for the {images.Dim(0)} images of {imagesPath}.");
        var n = images.Dim(0);
        var x = images.Reshape(n, images.Dim(1), images.Dim(2), 1);
        foreach (ref var v in x.Span) v /= 255f;
        var y = new DenseTensor(n, 10);
        for (var i = 0; i < n; i++)
        {
            var label = labels[i];
            if (label < 0 || label > 9 || label != MathF.Floor(label))
                throw new InvalidDataException($"{labelsPath}: offset {8 + i}: label {label} is not a digit 0..9.");
            y[i, (int)label] = 1;
        }
        return new Dataset(x, y);
    }
}
