using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
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
}

/// <summary>
/// Reads numeric CSV into a <see cref="Dataset"/> (invariant culture: '.' decimals). Every problem is reported as
/// <see cref="InvalidDataException"/> naming the file, the line and the column: a field that is not a number, a
/// row with a different number of fields, a class number out of range, or no data at all.
/// </summary>
public static class CsvLoader
{
    /// <summary>Loads <paramref name="path"/>.</summary>
    public static Dataset Load(string path, CsvOptions? options = null)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: a directory, not a CSV file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        using var reader = new StreamReader(path);
        return Read(reader, path, options);
    }

    /// <summary>Lines longer than this many characters are refused (a file without line breaks is not read into one string).</summary>
    public const int MaxLineLength = 1 << 24;

    // TextReader.ReadLine, but a line past MaxLineLength is an error naming it, instead of a string that grows with the
    // file (3 GB without a line break ran out of memory).
    private static string? ReadLine(TextReader reader, System.Text.StringBuilder sb, string source, int lineNumber)
    {
        sb.Clear();
        int c;
        while ((c = reader.Read()) >= 0)
        {
            if (c == '\n') return sb.ToString();
            if (c == '\r')
            {
                if (reader.Peek() == '\n') reader.Read();
                return sb.ToString();
            }
            if (sb.Length == MaxLineLength)
                throw new InvalidDataException($"{source}:{lineNumber}: a line longer than {MaxLineLength} characters (is the file CSV, with line breaks?).");
            sb.Append((char)c);
        }
        return sb.Length > 0 ? sb.ToString() : null;
    }

    /// <summary>Reads CSV text; <paramref name="source"/> names it in errors.</summary>
    public static Dataset Read(TextReader reader, string source, CsvOptions? options = null)
    {
        options ??= new CsvOptions();
        var rows = new List<float[]>();
        var rowLines = new List<int>(); // the file line of each row, for errors found after reading
        int? width = null;
        var firstDataLine = 0;
        var lineNumber = 0;
        string? line;
        var buffer = new System.Text.StringBuilder();
        while ((line = ReadLine(reader, buffer, source, lineNumber + 1)) != null)
        {
            lineNumber++;
            if (lineNumber == 1 && options.HasHeader)
            {
                width = line.Split(options.Separator).Length;
                continue;
            }
            if (line.Trim().Length == 0) continue;
            var fields = line.Split(options.Separator);
            if (width is null)
            {
                width = fields.Length;
                firstDataLine = lineNumber;
            }
            else if (fields.Length != width)
                throw new InvalidDataException($"{source}:{lineNumber}: {fields.Length} fields, expected {width} (as in line {(options.HasHeader ? 1 : firstDataLine)}).");
            var row = new float[fields.Length];
            for (var c = 0; c < fields.Length; c++)
            {
                var text = fields[c].Trim();
                // .NET's parser accepts trailing NUL characters ("1\0" reads as 1): a field holding one is not a number.
                if (text.IndexOf('\0') >= 0 || !float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out row[c]) || !float.IsFinite(row[c]))
                    throw new InvalidDataException($"{source}:{lineNumber}: column {c + 1}: '{text}' is not a finite number.");
            }
            rows.Add(row);
            rowLines.Add(lineNumber);
        }
        if (rows.Count == 0 || width is null) throw new InvalidDataException($"{source}: no data rows.");

        var targets = options.TargetColumns ?? new[] { width.Value - 1 };
        foreach (var t in targets)
            if (t < 0 || t >= width) throw new ArgumentException($"{source}: target column {t} is outside 0..{width - 1}.");
        var features = Enumerable.Range(0, width.Value).Where(c => !targets.Contains(c)).ToArray();
        if (features.Length == 0) throw new ArgumentException($"{source}: every column is a target; no features left.");
        if (options.Classes is { } k && (targets.Length != 1 || k < 2))
            throw new ArgumentException("Classes needs exactly one target column and at least two classes.");
        // One-hot rows of Classes floats each: refused before the allocation overflows (Classes = int.MaxValue).
        if (options.Classes is { } wide && (long)rows.Count * wide > Array.MaxLength)
            throw new ArgumentException($"{source}: {rows.Count} rows of {wide} classes are {(long)rows.Count * wide} one-hot values, more than a tensor holds.");

        var x = new Tensor(rows.Count, features.Length);
        var y = options.Classes is { } classes ? new Tensor(rows.Count, classes) : new Tensor(rows.Count, targets.Length);
        for (var r = 0; r < rows.Count; r++)
        {
            for (var c = 0; c < features.Length; c++) x[r, c] = rows[r][features[c]];
            if (options.Classes is { } n)
            {
                var label = rows[r][targets[0]];
                if (label != MathF.Floor(label) || label < 0 || label >= n)
                    throw new InvalidDataException($"{source}:{rowLines[r]}: column {targets[0] + 1}: class {label.ToString(CultureInfo.InvariantCulture)} is not one of 0..{n - 1}.");
                y[r, (int)label] = 1;
            }
            else
                for (var c = 0; c < targets.Length; c++) y[r, c] = rows[r][targets[c]];
        }
        return new Dataset(x, y);
    }
}
