using System;
using System.IO;
using System.Linq;
using SymGrad.Data;
using SymGrad.Tensors;

namespace SymGrad.Tests;

public class DataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("symgrad-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private string File(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Csv_ReadsFeaturesAndTargets()
    {
        var path = File("d.csv", "x1,x2,y\n1,2.5,0\n-3e-1, 4 ,1\n\n5,6,1\n");
        var data = CsvLoader.Load(path);
        Assert.Equal(3, data.Count);
        Assert.Equal(new[] { 1f, 2.5f, -0.3f, 4f, 5f, 6f }, data.Features.Span.ToArray());
        Assert.Equal(new[] { 0f, 1f, 1f }, data.Targets.Span.ToArray());

        var oneHot = CsvLoader.Load(File("c.csv", "2,0.5\n0,1.5\n"), new CsvOptions { HasHeader = false, TargetColumns = new[] { 0 }, Classes = 3 });
        Assert.Equal(new[] { 0f, 0f, 1f, 1f, 0f, 0f }, oneHot.Targets.Span.ToArray());
        Assert.Equal(new[] { 0.5f, 1.5f }, oneHot.Features.Span.ToArray());
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,x\n", "bad.csv:3: column 2: 'x' is not a finite number")]
    [InlineData("a,b\n1,2\n3\n", "bad.csv:3: 1 fields, expected 2 (as in line 1)")]
    [InlineData("a,b\n", "bad.csv: no data rows")]
    [InlineData("a,b\n1,NaN\n", "bad.csv:2: column 2: 'NaN' is not a finite number")]
    public void Csv_BadData_NamesFileLineAndColumn(string text, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => CsvLoader.Load(File("bad.csv", text)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Csv_ClassOutOfRange_IsReported()
    {
        // The file's line (header and blank lines counted), not the data row: line 5 here is the second row.
        var e = Assert.Throws<InvalidDataException>(() => CsvLoader.Load(File("k.csv", "x,y\n1,0\n\n\r\n2,3\n"), new CsvOptions { Classes = 3 }));
        Assert.Contains("k.csv:5: column 2: class 3 is not one of 0..2", e.Message);
    }

    [Fact]
    public void Csv_WithoutLineBreaks_IsRefusedAtTheLimit_NotReadIntoOneString()
    {
        // A reader that never ends a line: the loader stops after MaxLineLength characters, naming the line.
        var endless = new EndlessReader();
        var e = Assert.Throws<InvalidDataException>(() => CsvLoader.Read(endless, "huge.csv"));
        Assert.Contains("huge.csv:1: a line longer than", e.Message);
        Assert.InRange(endless.Served, CsvLoader.MaxLineLength, CsvLoader.MaxLineLength + 4096); // read in blocks of 4096 at most
        // \r\n, \r and \n all end lines, and a last line without one is read.
        var d = CsvLoader.Read(new StringReader("a,b\r\n1,2\r3,4\n5,6"), "mixed.csv");
        Assert.Equal(3, d.Count);
    }

    [Fact]
    public void Csv_QuotedFields_PerRfc4180_AndTheirLineNumbers()
    {
        // Quoted header names with the separator inside, doubled quotes, a line break inside a quoted field, spaces
        // around fields, CRLF line ends.
        var text = "\"length, cm\",\"width \"\"w\"\"\",y\r\n\"1.5\", 2 ,0\r\n3,\"4\",1\r\n\"a note\r\non two lines\",5,1\r\n";
        var e = Assert.Throws<InvalidDataException>(() => CsvLoader.Read(new StringReader(text), "quoted.csv"));
        // The bad field starts on line 4 (its row spans lines 4 and 5).
        Assert.Contains("quoted.csv:4: column 1: 'a note\\u000d\\u000aon two lines' is not a finite number", e.Message);
        var d = CsvLoader.Read(new StringReader(text[..text.IndexOf("\"a note", StringComparison.Ordinal)] + "7,8,0\r\n"), "quoted.csv");
        Assert.Equal(new[] { 1.5f, 2f, 3f, 4f, 7f, 8f }, d.Features.Span.ToArray());
        Assert.Equal(new[] { 0f, 1f, 0f }, d.Targets.Span.ToArray());
        // A row after a multi-line field is numbered by the file's lines.
        var after = "a,b\n\"1\n\",2\n3,x\n";
        Assert.Contains("after.csv:4: column 2: 'x'", Assert.Throws<InvalidDataException>(() => CsvLoader.Read(new StringReader(after), "after.csv")).Message);
    }

    [Fact]
    public void Csv_StringClassLabels_MapToIndices_InSortedOrder_OrAsGiven()
    {
        var path = File("iris.csv", "sepal length,\"petal, width\",species\n5.1,0.2,setosa\n7.0,1.4,versicolor\n6.3,2.5,virginica\n4.9,0.2, setosa \n");
        var labeled = CsvLoader.LoadLabeled(path);
        Assert.Equal(new[] { "setosa", "versicolor", "virginica" }, labeled.ClassNames);
        Assert.Equal(new[] { "sepal length", "petal, width" }, labeled.FeatureNames);
        Assert.Equal(new[] { 1f, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0 }, labeled.Data.Targets.Span.ToArray());
        Assert.Equal(new[] { 5.1f, 0.2f, 7.0f, 1.4f, 6.3f, 2.5f, 4.9f, 0.2f }, labeled.Data.Features.Span.ToArray());

        // Given names fix the order; a label outside them is an error naming the line.
        var given = CsvLoader.LoadLabeled(path, new CsvOptions { ClassNames = new[] { "virginica", "versicolor", "setosa" } });
        Assert.Equal(new[] { 0f, 0, 1 }, given.Data.Targets.Row(0).Span.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => CsvLoader.LoadLabeled(path, new CsvOptions { ClassNames = new[] { "setosa", "versicolor" } }));
        Assert.Contains("iris.csv:4: column 3: 'virginica' is not one of the classes setosa, versicolor", e.Message);
        // Numeric labels sort as numbers (10 after 9), and Load without labels says how to read names.
        var numeric = CsvLoader.LoadLabeled(File("n.csv", "x,k\n1,10\n2,9\n3,10\n"));
        Assert.Equal(new[] { "9", "10" }, numeric.ClassNames);
        Assert.Contains("LoadLabeled", Assert.Throws<InvalidDataException>(() => CsvLoader.Load(path)).Message);
        Assert.Contains("one class only", Assert.Throws<InvalidDataException>(() => CsvLoader.LoadLabeled(File("one.csv", "x,k\n1,a\n2,a\n"))).Message);
    }

    [Fact]
    public void Csv_AFileOf300000Rows_LoadsEveryRow_AndAnUnterminatedQuoteIsNamed()
    {
        var sb = new System.Text.StringBuilder("a,\"b, quoted\",label\n");
        for (var i = 0; i < 300_000; i++) sb.Append(i).Append(",\"").Append(i % 7 * 0.5).Append("\",").Append(i % 2 == 0 ? "even" : "odd").Append('\n');
        var labeled = CsvLoader.ReadLabeled(new StringReader(sb.ToString()), "big.csv");
        Assert.Equal(300_000, labeled.Data.Count);
        Assert.Equal(new[] { "even", "odd" }, labeled.ClassNames);
        Assert.Equal(new[] { 299_999f, 299_999 % 7 * 0.5f }, labeled.Data.Features.Row(299_999).Span.ToArray());
        Assert.Equal(new[] { 0f, 1f }, labeled.Data.Targets.Row(299_999).Span.ToArray());

        // A quote that never closes swallows the rest of the file into one field: named by the line it starts on.
        var e = Assert.Throws<InvalidDataException>(() => CsvLoader.Read(new StringReader("a,b\n1,2\n\"3,4\n5,6\n"), "open.csv"));
        Assert.StartsWith("open.csv:3: ", e.Message, StringComparison.Ordinal);
    }

    private sealed class EndlessReader : TextReader
    {
        public long Served;
        public override int Peek() => '1';
        public override int Read()
        {
            Served++;
            return '1';
        }
    }

    [Fact]
    public void Idx_RoundTrips_AndLoadsMnist()
    {
        var images = new DenseTensor(3, 2, 2);
        for (var i = 0; i < images.Length; i++) images.Span[i] = i * 20;
        var labels = new DenseTensor(new float[] { 7, 0, 9 }, 3);
        var imagesPath = File("images.idx3-ubyte", IdxLoader.WriteBytes(images));
        var labelsPath = File("labels.idx1-ubyte", IdxLoader.WriteBytes(labels));
        Assert.Equal(images.Span.ToArray(), IdxLoader.Read(imagesPath).Span.ToArray());
        var mnist = IdxLoader.LoadMnist(imagesPath, labelsPath);
        Assert.Equal(new[] { 3, 2, 2, 1 }, mnist.Features.Shape.ToArray());
        Assert.Equal(220f / 255f, mnist.Features[2, 1, 1, 0], 6);
        Assert.Equal(1f, mnist.Targets[0, 7]);
        Assert.Equal(1f, mnist.Targets[2, 9]);
    }

    // The bytes gzip-compressed, as MNIST is distributed (train-images-idx3-ubyte.gz).
    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal)) gzip.Write(bytes);
        return output.ToArray();
    }

    [Fact]
    public void Idx_GzipFiles_ReadAsTheFilesTheyCompress()
    {
        var images = new DenseTensor(3, 2, 2);
        for (var i = 0; i < images.Length; i++) images.Span[i] = i * 20;
        var labels = new DenseTensor(new float[] { 7, 0, 9 }, 3);
        var imagesPath = File("images.idx3-ubyte.gz", Gzip(IdxLoader.WriteBytes(images)));
        var labelsPath = File("labels.idx1-ubyte.gz", Gzip(IdxLoader.WriteBytes(labels)));
        Assert.Equal(0x1f, System.IO.File.ReadAllBytes(imagesPath)[0]);
        Assert.Equal(images.Span.ToArray(), IdxLoader.Read(imagesPath).Span.ToArray());
        var mnist = IdxLoader.LoadMnist(imagesPath, labelsPath);
        Assert.Equal(new[] { 3, 2, 2, 1 }, mnist.Features.Shape.ToArray());
        Assert.Equal(1f, mnist.Targets[2, 9]);
        // Recognised by its first bytes, not its name; a plain file named .gz is read as it is.
        Assert.Equal(images.Span.ToArray(), IdxLoader.Read(File("compressed.idx", Gzip(IdxLoader.WriteBytes(images)))).Span.ToArray());
        Assert.Equal(images.Span.ToArray(), IdxLoader.Read(File("plain.gz", IdxLoader.WriteBytes(images))).Span.ToArray());
    }

    [Fact]
    public void Idx_CorruptGzipFiles_NameTheFile()
    {
        var good = Gzip(IdxLoader.WriteBytes(new DenseTensor(50, 7)));
        // The magic bytes, then a deflate block of a type that does not exist.
        var corrupt = File("corrupt.idx.gz", new byte[] { 0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff });
        var e = Assert.Throws<InvalidDataException>(() => IdxLoader.Read(corrupt));
        Assert.StartsWith(corrupt + ": not a valid gzip file", e.Message, StringComparison.Ordinal);
        // Cut short: either the compressed stream or the IDX data it holds is incomplete, and the file is named.
        var cut = File("cut.idx.gz", good.AsSpan(0, good.Length / 2).ToArray());
        Assert.StartsWith(cut, Assert.Throws<InvalidDataException>(() => IdxLoader.Read(cut)).Message, StringComparison.Ordinal);
        // Valid gzip around data that is not IDX: offsets count the decompressed bytes, and say so.
        var text = File("text.gz", Gzip(System.Text.Encoding.ASCII.GetBytes("not an idx file")));
        Assert.Equal(text + " (decompressed): offset 0: not an IDX file (it starts with 0x6e 0x6f, not two zero bytes).",
            Assert.Throws<InvalidDataException>(() => IdxLoader.Read(text)).Message);
        var longer = IdxLoader.WriteBytes(new DenseTensor(2, 3)).Concat(new byte[] { 1, 2 }).ToArray();
        Assert.Contains("(decompressed): offset 18: the data goes on after the 6 values of shape [2, 3]",
            Assert.Throws<InvalidDataException>(() => IdxLoader.Read(File("longer.gz", Gzip(longer)))).Message);
    }

    [Fact]
    public void Idx_GzipHeaderAnnouncingGigabytes_IsRefused_WithoutAllocatingThem()
    {
        // 2 147 483 000 values announced, 4 present: the buffer grows with the data, so the refusal costs little.
        var path = File("huge-header.idx.gz", Gzip(new byte[] { 0, 0, 0x08, 1, 0x7F, 0xFF, 0xFD, 0x78, 1, 2, 3, 4 }));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => IdxLoader.Read(path));
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 8 << 20);
        Assert.StartsWith(path + " (decompressed): offset 12: truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Idx_ADevice_IsRefusedFromItsHeader_NotReadWhole()
    {
        // /dev/zero never ends; it starts with four zero bytes, which are not an IDX header (type 0x00).
        if (!System.IO.File.Exists("/dev/zero")) return;
        var e = Assert.Throws<InvalidDataException>(() => IdxLoader.Read("/dev/zero"));
        Assert.Contains("/dev/zero: offset 2: unknown IDX value type 0x00", e.Message);
    }

    [Fact]
    public void Idx_BadFiles_NameFileAndOffset()
    {
        var good = IdxLoader.WriteBytes(new DenseTensor(2, 3));
        void Bad(byte[] bytes, string expected)
        {
            var e = Assert.Throws<InvalidDataException>(() => IdxLoader.Read(File("x.idx", bytes)));
            Assert.Contains(expected, e.Message);
            Assert.Contains("x.idx", e.Message);
        }
        Bad(good.AsSpan(0, good.Length - 1).ToArray(), "truncated: shape [2, 3] needs 6 bytes of values from offset 12, the file has 5");
        Bad(new byte[] { 0x50, 0x4B, 3, 4, 0, 0 }, "offset 0: not an IDX file");
        var type = (byte[])good.Clone();
        type[2] = 0x42;
        Bad(type, "offset 2: unknown IDX value type 0x42");
        Bad(good.AsSpan(0, 6).ToArray(), "truncated in the header");
        var extra = new byte[good.Length + 2];
        good.CopyTo(extra, 0);
        Bad(extra, "offset 18: 2 bytes after the values");
        // 64 dimensions of 2 (2⁶⁴ values, which wraps a long) and [2³⁰, 2³⁰, 16]: the header, not an OverflowException.
        var wraps = new byte[4 + 4 * 64];
        wraps[2] = 0x08;
        wraps[3] = 64;
        for (var d = 0; d < 64; d++) wraps[4 + 4 * d + 3] = 2;
        Bad(wraps, "hold more than 2147483647 values");
        var huge = new byte[4 + 12];
        huge[2] = 0x08;
        huge[3] = 3;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(huge.AsSpan(4), 1 << 30);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(huge.AsSpan(8), 1 << 30);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(huge.AsSpan(12), 16);
        Bad(huge, "offset 8: the dimensions up to 1");

        var labels = File("l.idx", IdxLoader.WriteBytes(new DenseTensor(new float[] { 1, 12 }, 2)));
        var images = File("i.idx", IdxLoader.WriteBytes(new DenseTensor(2, 2, 2)));
        var e = Assert.Throws<InvalidDataException>(() => IdxLoader.LoadMnist(images, labels));
        Assert.Contains("l.idx: offset 9: label 12 is not a digit", e.Message);
        var fewer = File("f.idx", IdxLoader.WriteBytes(new DenseTensor(new float[] { 1 }, 1)));
        Assert.Contains("1 labels for the 2 images", Assert.Throws<InvalidDataException>(() => IdxLoader.LoadMnist(images, fewer)).Message);
    }
}
