using System;
using System.Collections.Generic;
using System.Linq;

namespace SymGrad.PeerBenchmarks;

/// <summary>
/// Samples per second against model size (parameters), log–log: one colour per library, filled circles at default
/// threading and triangles at one thread.
/// </summary>
public static class Chart
{
    public static void Save(string path, IReadOnlyList<Program.Result> results, IReadOnlyList<Program.Setting> settings)
    {
        var plot = new ScottPlot.Plot();
        var shapes = new[] { ScottPlot.MarkerShape.FilledCircle, ScottPlot.MarkerShape.FilledTriangleUp };
        for (var s = 0; s < settings.Count; s++)
        {
            var setting = settings[s];
            var rows = results.Where(r => r.Setting == setting).ToList();
            var label = setting.SymGradThreads == 1 ? "one thread" : "default threading";
            foreach (var (name, rate, color) in new (string, Func<Program.Result, double>, ScottPlot.Color)[]
                     { ("SymGrad", r => r.SymGradRate, ScottPlot.Colors.C0), ("TorchSharp", r => r.TorchRate, ScottPlot.Colors.C1) })
            {
                var scatter = plot.Add.Scatter(rows.Select(r => Math.Log10(r.Parameters)).ToArray(), rows.Select(r => Math.Log10(rate(r))).ToArray(), color);
                scatter.LegendText = $"{name}, {label}";
                scatter.LineWidth = 0;
                scatter.MarkerSize = 9;
                scatter.MarkerShape = shapes[s % shapes.Length];
            }
        }
        foreach (var r in results.Where(r => r.Setting == settings[0]))
        {
            var text = plot.Add.Text(r.Case.Name.Split(' ')[0] + " " + r.Case.Name.Split(' ')[1] + ", batch " + r.Case.Batch, Math.Log10(r.Parameters),
                Math.Log10(results.Where(o => o.Case == r.Case).Max(o => Math.Max(o.SymGradRate, o.TorchRate))));
            text.LabelFontSize = 10;
            text.LabelOffsetY = -14;
        }
        static string Power(double v) => "1e" + v.ToString("0", System.Globalization.CultureInfo.InvariantCulture);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1) { LabelFormatter = Power };
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1) { LabelFormatter = Power };
        var xs = results.Select(r => Math.Log10(r.Parameters)).ToList();
        var ys = results.SelectMany(r => new[] { Math.Log10(r.SymGradRate), Math.Log10(r.TorchRate) }).ToList();
        plot.Axes.SetLimits(xs.Min() - 0.4, xs.Max() + 0.9, Math.Floor(ys.Min() - 0.2), Math.Ceiling(ys.Max() + 0.3));
        plot.Title($"Training throughput, SGD ({Environment.ProcessorCount} cores)");
        plot.XLabel("parameters");
        plot.YLabel("samples per second");
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        plot.SavePng(path, 900, 560);
    }

    /// <summary>
    /// Time and peak memory of each function at its largest size, generated backward against autograd of the composite:
    /// two charts, <paramref name="path"/>-time.png and <paramref name="path"/>-memory.png.
    /// </summary>
    public static void SaveAutograd(string path, IReadOnlyList<Autograd.Row> rows)
    {
        var largest = rows.Max(r => r.Elements);
        var functions = rows.Select(r => r.Function).Distinct().ToList();
        foreach (var (suffix, value, label) in new (string, Func<Autograd.Row, double>, string)[]
                 { ("time", r => r.Milliseconds, "forward + backward, ms"), ("memory", r => r.KeptMegabytes, "kept between forward and backward, MB") })
        {
            var plot = new ScottPlot.Plot();
            var series = new[] { ("generated (SymGrad)", ScottPlot.Colors.C0), ("autograd of the composite", ScottPlot.Colors.C1) };
            for (var s = 0; s < series.Length; s++)
            {
                var bars = functions.Select((f, i) => new ScottPlot.Bar
                {
                    Position = i * 3 + s,
                    Value = value(rows.Single(r => r.Function == f && r.Elements == largest && r.Method == series[s].Item1)),
                    FillColor = series[s].Item2,
                }).ToList();
                plot.Add.Bars(bars).LegendText = series[s].Item1;
            }
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(functions.Select((_, i) => i * 3 + 0.5).ToArray(), functions.ToArray());
            plot.YLabel(label);
            plot.Axes.Margins(bottom: 0);
            plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
            plot.Title($"{largest:0e0} float elements, CPU: {(suffix == "time" ? "time" : "memory the graph keeps")}");
            plot.SavePng(path + "-" + suffix + ".png", 800, 420);
        }
    }
}
