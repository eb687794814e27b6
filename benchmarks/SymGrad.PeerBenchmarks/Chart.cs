using System;
using System.Collections.Generic;
using System.Linq;

namespace SymGrad.PeerBenchmarks;

/// <summary>Samples per second against model size (parameters), one series per library, log–log.</summary>
public static class Chart
{
    public static void Save(string path, IReadOnlyList<Program.Result> results)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (name, rate, color) in new (string, Func<Program.Result, double>, ScottPlot.Color)[]
                 { ("SymGrad", r => r.SymGradRate, ScottPlot.Colors.C0), ("TorchSharp", r => r.TorchRate, ScottPlot.Colors.C1) })
        {
            var points = results.Select(r => (X: Math.Log10(r.Parameters), Y: Math.Log10(rate(r)), Label: r.Case.Name + ", batch " + r.Case.Batch)).ToList();
            var scatter = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray(), color);
            scatter.LegendText = name;
            scatter.LineWidth = 0;
            scatter.MarkerSize = 9;
        }
        foreach (var r in results)
        {
            var label = plot.Add.Text(r.Case.Name.Split(' ')[0] + " " + r.Case.Name.Split(' ')[1] + ", batch " + r.Case.Batch, Math.Log10(r.Parameters), Math.Log10(Math.Max(r.SymGradRate, r.TorchRate)));
            label.LabelFontSize = 10;
            label.LabelOffsetY = -14;
        }
        static string Power(double v) => "1e" + v.ToString("0", System.Globalization.CultureInfo.InvariantCulture);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1) { LabelFormatter = Power };
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1) { LabelFormatter = Power };
        var xs = results.Select(r => Math.Log10(r.Parameters)).ToList();
        var ys = results.SelectMany(r => new[] { Math.Log10(r.SymGradRate), Math.Log10(r.TorchRate) }).ToList();
        plot.Axes.SetLimits(xs.Min() - 0.4, xs.Max() + 0.9, Math.Floor(ys.Min() - 0.2), Math.Ceiling(ys.Max() + 0.3));
        plot.Title("Training throughput, one thread, SGD");
        plot.XLabel("parameters");
        plot.YLabel("samples per second");
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        plot.SavePng(path, 900, 560);
    }
}
