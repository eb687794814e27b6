using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using nietras.SeparatedValues;
using SymGrad.Tensors;

namespace SymGrad.Data;

/// <summary>How <see cref="CsvLoader"/> reads a file.</summary>
public sealed class CsvOptions
{
    /// <summary>The first line names the columns.</summary>
    public bool HasHeader { get; init; } = true;
    /// <summary>The field separator.</summary>
    public char Separator { get; init; } = ',';
    /// <summary>The target columns (0-based); by default the last column. Every other column is a feature.</summary>
    public int[]? TargetColumns { get; init; }
    /// <summary>
    /// When set, the single target column holds class numbers 0 .. <c>Classes − 1</c>, turned into one-hot rows of
    /// this width (for softmax cross-entropy).
    /// </summary>
    public int? Classes { get; init; }
    /// <summary>
    /// For <see cref="CsvLoader.LoadLabeled(string, CsvOptions?)"/>: the class names in index order. A label not among
    /// them is an error naming its line. Null: the labels found in the file, sorted (numerically when every label is a
    /// number, else ordinally).
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
}

/// <summary>A dataset read with class labels: the one-hot targets' class names in index order, and the column names.</summary>
public sealed record LabeledData(Dataset Data, IReadOnlyList<string> ClassNames, IReadOnlyList<string> FeatureNames);

/// <summary>
/// Reads CSV into a <see cref="Dataset"/> through an RFC 4180 parser (nietras' Sep): fields may be quoted, with the
/// separator, doubled quotes or line breaks inside (<c>"length, cm"</c>); spaces around fields are trimmed; numbers in
/// the invariant culture ('.' decimals); blank lines are skipped; \r\n, \n and \r end lines. Every problem is reported
/// as <see cref="InvalidDataException"/> naming the file, the line and the column: a field that is not a number, a row
/// with a different number of fields, a class out of range or unknown, or no data at all.
/// </summary>
public static class CsvLoader
{
    /// <summary>Loads <paramref name="path"/>: every field a number.</summary>
    public static Dataset Load(string path, CsvOptions? options = null)
    {
        using var reader = Open(path);
        return Read(reader, path, options);
    }

    /// <summary>
    /// Loads <paramref name="path"/> whose target column (the last, or the single one of
    /// <see cref="CsvOptions.TargetColumns"/>) holds class labels such as <c>setosa</c>: the targets are one-hot rows,
    /// in the order of <see cref="LabeledData.ClassNames"/>.
    /// </summary>
    public static LabeledData LoadLabeled(string path, CsvOptions? options = null)
    {
        using var reader = Open(path);
        return ReadLabeled(reader, path, options);
    }

    private static StreamReader Open(string path)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: a directory, not a CSV file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        return new StreamReader(path);
    }

    /// <summary>
    /// Lines longer than this many characters are refused (a file without line breaks is not read into one string);
    /// a quoted field's own line breaks count as breaks.
    /// </summary>
    public const int MaxLineLength = 1 << 23;

    /// <summary>Reads CSV text; <paramref name="source"/> names it in errors.</summary>
    public static Dataset Read(TextReader reader, string source, CsvOptions? options = null) =>
        Parse(reader, source, options ?? new CsvOptions(), labeled: false).Data;

    /// <summary>Reads labeled CSV text (see <see cref="LoadLabeled"/>); <paramref name="source"/> names it in errors.</summary>
    public static LabeledData ReadLabeled(TextReader reader, string source, CsvOptions? options = null) =>
        Parse(reader, source, options ?? new CsvOptions(), labeled: true);

    private static LabeledData Parse(TextReader text, string source, CsvOptions options, bool labeled)
    {
        if (options.Classes != null && labeled) throw new ArgumentException("Classes is for class numbers; labeled data takes ClassNames (or finds the labels).");
        // Numbers are parsed as rows arrive (a million rows are a million float arrays, not five million strings); in
        // labeled data the label column is kept as text.
        var rows = new List<float[]>();
        var labels = new List<string>();
        var labelColumn = -1;
        var rowLines = new List<int>(); // the file line each row starts on, for errors found after reading
        string[]? header = null;
        int? width = null;
        int firstDataLine = 0, headerLine = 0;
        var limited = new LineLimitedReader(text, source);
        try
        {
            using (var reader = Sep.New(options.Separator).Reader(o => o with
                   {
                       HasHeader = false,
                       Unescape = true,
                       Trim = SepTrim.All,
                       DisableColCountCheck = true,
                       DisableFastFloat = true,
                       CultureInfo = CultureInfo.InvariantCulture,
                   }).From(limited))
            {
                foreach (var row in reader)
                {
                    // The file's first row starts on line 1 (Sep 0.17.1 reports 2 for it: its later rows are right).
                    var line = row.RowIndex == 0 ? 1 : row.LineNumberFrom;
                    if (row.ColCount == 1 && row.Span.Trim().Length == 0) continue;
                    if (header is null && options.HasHeader)
                    {
                        header = new string[row.ColCount];
                        for (var c = 0; c < header.Length; c++) header[c] = row[c].ToString();
                        headerLine = line;
                        width = header.Length;
                        continue;
                    }
                    if (width is null)
                    {
                        width = row.ColCount;
                        firstDataLine = line;
                    }
                    else if (row.ColCount != width)
                        throw new InvalidDataException($"{source}:{line}: {row.ColCount} fields, expected {width} (as in line {(header != null ? headerLine : firstDataLine)}).");
                    if (labeled && labelColumn < 0) labelColumn = options.TargetColumns is [var t] ? t : width.Value - 1;
                    var values = new float[row.ColCount];
                    for (var c = 0; c < values.Length; c++)
                        if (c == labelColumn) labels.Add(row[c].ToString());
                        else values[c] = Number(row[c].Span, source, line, c, labeled);
                    rows.Add(values);
                    rowLines.Add(line);
                }
            }
        }
        catch (NotSupportedException e)
        {
            // The parser's own limit on a row (16 Mi characters): a quoted field whose closing quote never comes.
            throw new InvalidDataException($"{source}:{rowLines.LastOrDefault(1)}: a row longer than the parser holds after this line (an unterminated quote?): {e.Message}", e);
        }
        if (rows.Count == 0 || width is null) throw new InvalidDataException($"{source}: no data rows.");

        var targets = options.TargetColumns ?? new[] { width.Value - 1 };
        foreach (var t in targets)
            if (t < 0 || t >= width) throw new ArgumentException($"{source}: target column {t} is outside 0..{width - 1}.");
        var features = Enumerable.Range(0, width.Value).Where(c => !targets.Contains(c)).ToArray();
        if (features.Length == 0) throw new ArgumentException($"{source}: every column is a target; no features left.");
        if (options.Classes is { } k && (targets.Length != 1 || k < 2))
            throw new ArgumentException("Classes needs exactly one target column and at least two classes.");
        if (labeled && targets.Length != 1) throw new ArgumentException("Labeled data has exactly one target column.");

        string[]? classNames = null;
        Dictionary<string, int>? classIndex = null;
        if (labeled)
        {
            classNames = options.ClassNames?.ToArray() ?? SortedLabels(labels.Distinct(StringComparer.Ordinal).ToArray());
            classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < classNames.Length; i++)
                if (!classIndex.TryAdd(classNames[i], i)) throw new ArgumentException($"ClassNames holds '{classNames[i]}' twice.");
            if (classNames.Length < 2) throw new InvalidDataException($"{source}: one class only ('{classNames.FirstOrDefault()}'): a classifier needs two or more.");
        }
        var width1 = options.Classes ?? classNames?.Length;
        // One-hot rows of that many floats each: refused before the allocation overflows (Classes = int.MaxValue).
        if (width1 is { } wide && (long)rows.Count * wide > Array.MaxLength)
            throw new ArgumentException($"{source}: {rows.Count} rows of {wide} classes are {(long)rows.Count * wide} one-hot values, more than a tensor holds.");

        var x = new DenseTensor(rows.Count, features.Length);
        var y = width1 is { } classes ? new DenseTensor(rows.Count, classes) : new DenseTensor(rows.Count, targets.Length);
        for (var r = 0; r < rows.Count; r++)
        {
            for (var c = 0; c < features.Length; c++) x[r, c] = rows[r][features[c]];
            if (classIndex != null)
            {
                var label = labels[r];
                if (!classIndex.TryGetValue(label, out var index))
                    throw new InvalidDataException($"{source}:{rowLines[r]}: column {targets[0] + 1}: '{Shown(label)}' is not one of the classes {string.Join(", ", classNames!.Take(10))}{(classNames!.Length > 10 ? ", …" : "")}.");
                y[r, index] = 1;
            }
            else if (options.Classes is { } n)
            {
                var label = rows[r][targets[0]];
                if (label != MathF.Floor(label) || label < 0 || label >= n)
                    throw new InvalidDataException($"{source}:{rowLines[r]}: column {targets[0] + 1}: class {label.ToString(CultureInfo.InvariantCulture)} is not one of 0..{n - 1}.");
                y[r, (int)label] = 1;
            }
            else
                for (var c = 0; c < targets.Length; c++) y[r, c] = rows[r][targets[c]];
        }
        var names = features.Select(c => header?[c] ?? $"column {c + 1}").ToArray();
        return new LabeledData(new Dataset(x, y), classNames ?? Array.Empty<string>(), names);
    }

    private static float Number(ReadOnlySpan<char> text, string source, int line, int column, bool labeled)
    {
        // .NET's parser accepts trailing NUL characters ("1\0" reads as 1): a field holding one is not a number.
        if (text.IndexOf('\0') < 0 && float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v)) return v;
        throw new InvalidDataException($"{source}:{line}: column {column + 1}: '{Shown(text.ToString())}' is not a finite number"
            + (labeled ? "." : " (for class labels such as names, load with CsvLoader.LoadLabeled)."));
    }

    // At most 64 characters of a field, control characters as \uXXXX: a message stays on one line.
    private static string Shown(string field)
    {
        var sb = new StringBuilder();
        foreach (var c in field.Length > 64 ? field[..64] : field)
            if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        return field.Length > 64 ? sb.Append('…').ToString() : sb.ToString();
    }

    private static string[] SortedLabels(string[] labels)
    {
        var numbers = new double[labels.Length];
        var numeric = true;
        for (var i = 0; i < labels.Length && numeric; i++)
            numeric = double.TryParse(labels[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]);
        if (numeric) Array.Sort(numbers, labels);
        else Array.Sort(labels, StringComparer.Ordinal);
        return labels;
    }

    // Hands the text to the parser, refusing a line longer than MaxLineLength characters (a file without line breaks is
    // not read into one growing buffer: 3 GB without a break ran out of memory).
    private sealed class LineLimitedReader(TextReader inner, string source) : TextReader
    {
        private int _sinceBreak;
        private int _line = 1;
        private bool _afterCr;

        public override int Read(Span<char> buffer)
        {
            var n = inner.Read(buffer.Length > 4096 ? buffer[..4096] : buffer);
            for (var i = 0; i < n; i++)
            {
                var c = buffer[i];
                if (c == '\n' || c == '\r')
                {
                    if (!(c == '\n' && _afterCr)) _line++;
                    _afterCr = c == '\r';
                    _sinceBreak = 0;
                    continue;
                }
                _afterCr = false;
                if (++_sinceBreak > MaxLineLength)
                    throw new InvalidDataException($"{source}:{_line}: a line longer than {MaxLineLength} characters (is the file CSV, with line breaks?).");
            }
            return n;
        }

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

        public override int Read() => throw new NotSupportedException();

        public override int Peek() => -1;
    }
}
