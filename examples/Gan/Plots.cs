using System;
using System.IO;
using System.Linq;
using ScottPlot;   // the Multiplot extension methods

namespace SymGrad.Examples;

/// <summary>The GAN's figure, drawn with ScottPlot (which SymGrad.Plotting brings in).</summary>
public static class Plots
{
    /// <summary>Two panels: the losses per iteration, and histograms of real and generated samples over the target density.</summary>
    public static void Gan(double[] dLoss, double[] gLoss, double[] real, double[] generated, double mean, double std, string path)
    {
        var multiplot = new ScottPlot.Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();

        // Left: the raw losses (faint) and their moving averages; at the equilibrium D(x) = ½ everywhere, so the
        // discriminator's loss is 2·log 2 and the generator's log 2.
        var losses = multiplot.GetPlot(0);
        var iteration = Enumerable.Range(1, dLoss.Length).Select(i => (double)i).ToArray();
        foreach (var (name, values, color) in new[] { ("discriminator", dLoss, ScottPlot.Colors.SteelBlue), ("generator", gLoss, ScottPlot.Colors.DarkOrange) })
        {
            var raw = losses.Add.Scatter(iteration, values);
            raw.MarkerSize = 0;
            raw.Color = color.WithAlpha(0.25);
            var smooth = losses.Add.Scatter(iteration, MovingAverage(values, 100));
            smooth.MarkerSize = 0;
            smooth.LineWidth = 2;
            smooth.Color = color;
            smooth.LegendText = $"{name} (moving average)";
        }
        var dEquilibrium = losses.Add.HorizontalLine(2 * Math.Log(2));
        dEquilibrium.LinePattern = ScottPlot.LinePattern.Dashed;
        dEquilibrium.Color = ScottPlot.Colors.SteelBlue;
        dEquilibrium.LegendText = "2·log 2";
        var gEquilibrium = losses.Add.HorizontalLine(Math.Log(2));
        gEquilibrium.LinePattern = ScottPlot.LinePattern.Dashed;
        gEquilibrium.Color = ScottPlot.Colors.DarkOrange;
        gEquilibrium.LegendText = "log 2";
        losses.Title("GAN losses");
        losses.XLabel("iteration");
        losses.YLabel("loss");
        SymGrad.Plotting.LossCurve.ShowLegendBelow(losses);

        // Right: histograms (as densities) of the real and the generated samples, and the real density.
        var samples = multiplot.GetPlot(1);
        double lo = mean - 4.5 * std, hi = mean + 4.5 * std;
        const int bins = 60;
        var width = (hi - lo) / bins;
        var centres = Enumerable.Range(0, bins).Select(b => lo + (b + 0.5) * width).ToArray();
        foreach (var (name, values, color) in new[] { ("real", real, ScottPlot.Colors.SteelBlue), ("generated", generated, ScottPlot.Colors.DarkOrange) })
        {
            var density = new double[bins];
            foreach (var v in values)
            {
                var b = (int)Math.Floor((v - lo) / width);
                if (b >= 0 && b < bins) density[b] += 1 / (values.Length * width);
            }
            var histogram = samples.Add.Scatter(centres, density);
            histogram.ConnectStyle = ScottPlot.ConnectStyle.StepVertical;
            histogram.MarkerSize = 0;
            histogram.LineWidth = 2;
            histogram.Color = color;
            histogram.FillY = true;
            histogram.FillYColor = color.WithAlpha(0.2);
            histogram.LegendText = $"{name} samples";
        }
        var xs = Enumerable.Range(0, 400).Select(i => lo + i * (hi - lo) / 399).ToArray();
        var pdf = samples.Add.Scatter(xs, xs.Select(x => Math.Exp(-0.5 * (x - mean) * (x - mean) / (std * std)) / (std * Math.Sqrt(2 * Math.PI))).ToArray());
        pdf.MarkerSize = 0;
        pdf.LineWidth = 1.5f;
        pdf.LinePattern = ScottPlot.LinePattern.Dashed;
        pdf.Color = ScottPlot.Colors.Black;
        pdf.LegendText = $"N({mean}, {std}²)";
        samples.Title("Real and generated samples");
        samples.XLabel("x");
        samples.YLabel("density");
        SymGrad.Plotting.LossCurve.ShowLegendBelow(samples);

        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        multiplot.SavePng(full, 1400, 550);
    }

    private static double[] MovingAverage(double[] values, int window)
    {
        var result = new double[values.Length];
        var sum = 0.0;
        for (var i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
