using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SymGrad.Training;

namespace SymGrad.Plotting;

/// <summary>
/// Loss and accuracy curves as PNG files. The legend sits below the data area, so it never covers the last points;
/// an epoch axis has whole-number ticks only; a log axis labels its decades (0.01, 0.1, 1).
/// </summary>
public static class LossCurve
{
    /// <summary>Training (and, when recorded, validation) loss per epoch of a run.</summary>
    public static void SavePng(TrainingHistory history, string path, string title = "Loss", int width = 800, int height = 500) =>
        SavePng(new[] { ("", history) }, path, title, width, height);

    /// <summary>
    /// The loss per epoch of several runs on one plot (e.g. two networks on the same data): for each run its training
    /// loss, and its validation loss where every epoch recorded one, named "<c>{name} training</c>" and
    /// "<c>{name} validation</c>".
    /// </summary>
    public static void SavePng(IReadOnlyList<(string Name, TrainingHistory History)> runs, string path, string title = "Loss", int width = 800, int height = 500) =>
        Save(CreateLoss(runs, title), path, width, height);

    /// <summary>The plot <see cref="SavePng(IReadOnlyList{ValueTuple{string, TrainingHistory}}, string, string, int, int)"/> saves.</summary>
    public static ScottPlot.Plot CreateLoss(IReadOnlyList<(string Name, TrainingHistory History)> runs, string title = "Loss") =>
        Create(PerEpoch(runs, e => e.TrainLoss, e => e.ValidationLoss, "loss"), title, "epoch", "loss", integerX: true);

    /// <summary>
    /// Training and validation accuracy per epoch of a run, in percent. The run must have measured accuracy
    /// (<see cref="TrainingOptions.Metric"/> other than <see cref="Metric.None"/>).
    /// </summary>
    public static void SaveAccuracyPng(TrainingHistory history, string path, string title = "Accuracy", int width = 800, int height = 500) =>
        SaveAccuracyPng(new[] { ("", history) }, path, title, width, height);

    /// <summary>The accuracy per epoch of several runs on one plot, in percent, named as in <see cref="SavePng(IReadOnlyList{ValueTuple{string, TrainingHistory}}, string, string, int, int)"/>.</summary>
    public static void SaveAccuracyPng(IReadOnlyList<(string Name, TrainingHistory History)> runs, string path, string title = "Accuracy", int width = 800, int height = 500) =>
        Save(CreateAccuracy(runs, title), path, width, height);

    /// <summary>The plot <see cref="SaveAccuracyPng(IReadOnlyList{ValueTuple{string, TrainingHistory}}, string, string, int, int)"/> saves.</summary>
    public static ScottPlot.Plot CreateAccuracy(IReadOnlyList<(string Name, TrainingHistory History)> runs, string title = "Accuracy") =>
        Create(PerEpoch(runs, e => 100 * e.TrainAccuracy, e => 100 * e.ValidationAccuracy, "accuracy"), title, "epoch", "accuracy (%)", integerX: true);

    // One series per run and kind (training, validation): a kind is drawn when every epoch of the run has its figure.
    private static List<(string, double[], double[])> PerEpoch(IReadOnlyList<(string Name, TrainingHistory History)> runs,
        Func<EpochReport, float?> training, Func<EpochReport, float?> validation, string what)
    {
        if (runs.Count == 0) throw new ArgumentException("No runs to plot.", nameof(runs));
        var series = new List<(string, double[], double[])>();
        foreach (var (name, history) in runs)
        {
            var label = name.Length == 0 ? "" : name + " ";
            if (history.Epochs.Count == 0) throw new ArgumentException($"The run{(name.Length == 0 ? "" : " " + name)} has no epochs to plot.", nameof(runs));
            var epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
            foreach (var (kind, figure) in new[] { ("training", training), ("validation", validation) })
                if (history.Epochs.All(e => figure(e) != null))
                    series.Add((label + kind, epochs, history.Epochs.Select(e => (double)figure(e)!.Value).ToArray()));
        }
        if (series.Count == 0)
            throw new ArgumentException($"The runs recorded no {what} to plot{(what == "accuracy" ? " (train with TrainingOptions.Metric set)" : "")}.", nameof(runs));
        return series;
    }

    /// <summary>
    /// Any named series of (x, y) points, e.g. loss per iteration of gradient descent, or a predicted signal beside the
    /// true one. <paramref name="integerX"/> puts ticks on whole numbers only (epochs); <paramref name="logY"/> draws y on
    /// a logarithmic axis (every y must then be positive). Every value must be finite: plot the finite prefix of a
    /// diverged run, and say so in its name.
    /// </summary>
    public static void SavePng(IReadOnlyList<(string Name, double[] X, double[] Y)> series, string path, string title = "Loss", string xLabel = "iteration", int width = 800, int height = 500,
        string yLabel = "loss", bool integerX = false, bool logY = false) =>
        Save(Create(series, title, xLabel, yLabel, integerX, logY), path, width, height);

    /// <summary>Saves a plot as PNG, creating the folder it goes in.</summary>
    public static void Save(ScottPlot.Plot plot, string path, int width = 800, int height = 500)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        plot.SavePng(full, width, height);
    }

    /// <summary>The plot <see cref="SavePng(IReadOnlyList{ValueTuple{string, double[], double[]}}, string, string, string, int, int, string, bool, bool)"/> saves, for drawing it elsewhere (or testing it).</summary>
    public static ScottPlot.Plot Create(IReadOnlyList<(string Name, double[] X, double[] Y)> series, string title, string xLabel, string yLabel, bool integerX = false, bool logY = false)
    {
        if (series.Count == 0) throw new ArgumentException("Nothing to plot.", nameof(series));
        foreach (var (name, x, y) in series)
        {
            if (x.Length != y.Length) throw new ArgumentException($"Series '{name}' has {x.Length} x values and {y.Length} y values.", nameof(series));
            if (x.Length == 0) throw new ArgumentException($"Series '{name}' has no points.", nameof(series));
            if (x.Concat(y).Any(v => !double.IsFinite(v))) throw new ArgumentException($"Series '{name}' has a value that is not finite.", nameof(series));
            if (logY && y.Any(v => v <= 0)) throw new ArgumentException($"Series '{name}' has a value that is not positive, which a log axis cannot show.", nameof(series));
        }
        var plot = new ScottPlot.Plot();
        foreach (var (name, x, y) in series)
        {
            var line = plot.Add.Scatter(x, logY ? y.Select(Math.Log10).ToArray() : y);
            line.LegendText = name;
            line.MarkerSize = x.Length > 50 ? 0 : 4;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(logY ? yLabel + " (log scale)" : yLabel);
        if (integerX) plot.Axes.Bottom.TickGenerator = new IntegerTickGenerator();
        if (logY) plot.Axes.Left.TickGenerator = new LogTickGenerator();
        ShowLegendBelow(plot);
        return plot;
    }

    /// <summary>
    /// The legend in a row below the data area (outside it, so it never covers a curve's last points). A plot of one
    /// unnamed series has none.
    /// </summary>
    public static void ShowLegendBelow(ScottPlot.Plot plot)
    {
        if (plot.Legend.GetItems().All(i => string.IsNullOrEmpty(i.LabelText))) return;
        plot.ShowLegend(ScottPlot.Edge.Bottom);
        plot.Legend.Orientation = ScottPlot.Orientation.Horizontal;
    }
}

/// <summary>Tick positions that do not depend on ScottPlot: whole numbers for counts (epochs), decades for log axes.</summary>
public static class AxisTicks
{
    /// <summary>
    /// Whole-number positions in [<paramref name="min"/>, <paramref name="max"/>], at most <paramref name="maxCount"/> of
    /// them, spaced 1, 2 or 5 times a power of ten (the smallest such step that fits): epochs 1..3 get 1, 2, 3, never
    /// 0.95, 1.05. Empty when the range holds no whole number.
    /// </summary>
    public static double[] WholeNumbers(double min, double max, int maxCount)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || min > max) return Array.Empty<double>();
        maxCount = Math.Max(1, maxCount);
        foreach (var step in Steps())
        {
            var first = Math.Ceiling(min / step);
            var last = Math.Floor(max / step);
            if (last - first + 1 <= maxCount)
                return last < first ? Array.Empty<double>() : Enumerable.Range(0, (int)(last - first + 1)).Select(k => (first + k) * step).ToArray();
        }
        return Array.Empty<double>();
    }

    /// <summary>
    /// Positions on a log₁₀ axis whose visible range is [<paramref name="minExponent"/>, <paramref name="maxExponent"/>]
    /// (log₁₀ of the values), as (position, value): every decade, or every 2nd, 5th, 10th… when there are more than
    /// <paramref name="maxCount"/>; within less than about one decade, also 2× and 5× each power of ten.
    /// </summary>
    public static (double Position, double Value)[] Log(double minExponent, double maxExponent, int maxCount)
    {
        var decades = WholeNumbers(minExponent, maxExponent, maxCount);
        if (decades.Length >= 2) return decades.Select(k => (k, Math.Pow(10, k))).ToArray();
        var ticks = new List<(double, double)>();
        for (var k = Math.Floor(minExponent); k <= Math.Ceiling(maxExponent); k++)
            foreach (var m in new[] { 1.0, 2.0, 5.0 })
            {
                var position = k + Math.Log10(m);
                if (position >= minExponent && position <= maxExponent) ticks.Add((position, m * Math.Pow(10, k)));
            }
        return ticks.ToArray();
    }

    /// <summary>A value at a log tick as text: 0.001, 0.5, 20, 1e+06 (invariant culture, no trailing digits).</summary>
    public static string LogLabel(double value) =>
        value is >= 1e-4 and < 1e5
            ? value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)
            : value.ToString("0e+00", System.Globalization.CultureInfo.InvariantCulture);

    // 1, 2, 5, 10, 20, 50, … up to 10¹⁸ (no axis of this library's plots counts further).
    private static IEnumerable<double> Steps()
    {
        for (var p = 1.0; p <= 1e18; p *= 10)
        {
            yield return p;
            yield return 2 * p;
            yield return 5 * p;
        }
    }
}

/// <summary>A ScottPlot tick generator with <see cref="AxisTicks.WholeNumbers"/> positions, about one per 60 pixels.</summary>
public sealed class IntegerTickGenerator : ScottPlot.ITickGenerator
{
    /// <inheritdoc />
    public ScottPlot.Tick[] Ticks { get; set; } = Array.Empty<ScottPlot.Tick>();

    /// <inheritdoc />
    public int MaxTickCount { get; set; } = 1000;

    /// <inheritdoc />
    public void Regenerate(ScottPlot.CoordinateRange range, ScottPlot.Edge edge, ScottPlot.PixelLength size, ScottPlot.Paint paint, ScottPlot.LabelStyle labelStyle)
    {
        var count = Math.Min(MaxTickCount, Math.Max(2, (int)(size.Length / 60)));
        Ticks = AxisTicks.WholeNumbers(range.Min, range.Max, count)
            .Select(v => ScottPlot.Tick.Major(v, v.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
    }
}

/// <summary>
/// A ScottPlot tick generator for an axis that shows log₁₀ of the data: <see cref="AxisTicks.Log"/> positions labelled
/// with the values, and minor ticks at 2…9 × each power of ten.
/// </summary>
public sealed class LogTickGenerator : ScottPlot.ITickGenerator
{
    /// <inheritdoc />
    public ScottPlot.Tick[] Ticks { get; set; } = Array.Empty<ScottPlot.Tick>();

    /// <inheritdoc />
    public int MaxTickCount { get; set; } = 1000;

    /// <inheritdoc />
    public void Regenerate(ScottPlot.CoordinateRange range, ScottPlot.Edge edge, ScottPlot.PixelLength size, ScottPlot.Paint paint, ScottPlot.LabelStyle labelStyle)
    {
        var count = Math.Min(MaxTickCount, Math.Max(2, (int)(size.Length / 40)));
        var major = AxisTicks.Log(range.Min, range.Max, count);
        var ticks = major.Select(t => ScottPlot.Tick.Major(t.Position, AxisTicks.LogLabel(t.Value))).ToList();
        // Minor ticks between decades only when the majors are every decade (10^k, 10^(k+1)).
        if (major.Length >= 2 && major[1].Position - major[0].Position == 1)
            for (var k = Math.Floor(range.Min); k <= range.Max; k++)
                for (var m = 2; m <= 9; m++)
                {
                    var position = k + Math.Log10(m);
                    if (position >= range.Min && position <= range.Max) ticks.Add(ScottPlot.Tick.Minor(position));
                }
        Ticks = ticks.ToArray();
    }
}
