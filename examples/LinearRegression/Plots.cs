using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;   // the Multiplot extension methods
using SymGrad.Plotting;

namespace SymGrad.Examples;

/// <summary>The linear regression's figures, drawn with ScottPlot through SymGrad.Plotting.</summary>
public static class Plots
{
    /// <summary>
    /// Two panels: the loss per iteration of the run, and the data with the fitted line, the least-squares line and the
    /// line the data was drawn from (without the fitted line when <paramref name="fitted"/> is null: a diverged run).
    /// </summary>
    public static void Fit(double[] loss, double rate, double[] x, double[] y, (double W, double B)? fitted, (double W, double B) leastSquares, string path)
    {
        var iterations = Enumerable.Range(0, loss.Length).Select(i => (double)i).ToArray();
        var curve = LossCurve.Create(new[] { ($"gradient descent, α = {rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}", iterations, loss) },
            "Loss L(w, b) per iteration", "iteration", "loss L = 1/(2n) Σ (y − (w·x + b))²");

        var data = new ScottPlot.Plot();
        var points = data.Add.ScatterPoints(x, y);
        points.LegendText = $"data ({x.Length} points)";
        points.MarkerSize = 5;
        points.Color = ScottPlot.Colors.Gray;
        var lines = new List<(string, (double, double), ScottPlot.Color, ScottPlot.LinePattern)>
        {
            ($"least squares: y = {F2(leastSquares.W)}x + {F2(leastSquares.B)}", leastSquares, ScottPlot.Colors.SteelBlue, ScottPlot.LinePattern.Dashed),
            ("true line: y = 2x + 3", (2.0, 3.0), ScottPlot.Colors.Black, ScottPlot.LinePattern.Dotted),
        };
        if (fitted is { } f) lines.Insert(0, ($"gradient descent: y = {F2(f.W)}x + {F2(f.B)}", f, ScottPlot.Colors.DarkOrange, ScottPlot.LinePattern.Solid));
        foreach (var (name, (w, b), color, pattern) in lines)
        {
            var line = data.Add.Line(0, b, 1, w + b);
            line.LegendText = name;
            line.LineColor = color;
            line.LineWidth = 2;
            line.LinePattern = pattern;
            line.MarkerSize = 0;
        }
        data.Title("Data and fitted lines");
        data.XLabel("x");
        data.YLabel("y");
        LossCurve.ShowLegendBelow(data);

        // A new Multiplot holds one empty plot already: start it from the first panel instead.
        var figure = new ScottPlot.Multiplot(curve);
        figure.Subplots.Add(data);
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Save(figure, path, 1400, 560);

        static string F2(double v) => v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Loss per iteration of several runs on a log axis. A diverged run is drawn up to its last finite loss and its
    /// name says where it diverged; the axis stops at 10⁴ × the first loss so the converging runs stay readable.
    /// </summary>
    public static void Runs(IReadOnlyList<LinearRegressionComparisons.Run> runs, string title, string path)
    {
        var series = runs.Where(r => r.Loss.Length > 0)
            .Select(r => (r.DivergedAt is { } k ? $"{r.Name}: diverged (loss not finite from iteration {k})" : r.Name,
                Enumerable.Range(0, r.Loss.Length).Select(i => (double)i).ToArray(), r.Loss))
            .ToArray();
        var plot = LossCurve.Create(series, title, "iteration", "loss", logY: true);
        var finite = runs.Where(r => r.DivergedAt is null).SelectMany(r => r.Loss).ToArray();
        if (runs.Any(r => r.DivergedAt != null) && finite.Length > 0)
            plot.Axes.SetLimitsY(Math.Log10(finite.Min()) - 0.3, Math.Log10(finite.Max()) + 4);
        LossCurve.Save(plot, path, 900, 560);
    }

    private static void Save(ScottPlot.Multiplot figure, string path, int width, int height)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        figure.SavePng(full, width, height);
    }
}
