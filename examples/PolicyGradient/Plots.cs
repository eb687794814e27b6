using System.IO;

namespace SymGrad.Examples;

/// <summary>The return curve, drawn with ScottPlot (which SymGrad.Plotting brings in).</summary>
public static class Plots
{
    /// <summary>The return of every episode (faint) and its moving average.</summary>
    public static void Returns(double[] episode, double[] returns, double[] average, string path)
    {
        var plot = new ScottPlot.Plot();
        var raw = plot.Add.Scatter(episode, returns);
        raw.LegendText = "return";
        raw.MarkerSize = 0;
        raw.LineWidth = 1;
        raw.Color = ScottPlot.Colors.SteelBlue.WithAlpha(0.35);
        var smooth = plot.Add.Scatter(episode, average);
        smooth.LegendText = "moving average (20 episodes)";
        smooth.MarkerSize = 0;
        smooth.LineWidth = 2;
        smooth.Color = ScottPlot.Colors.DarkOrange;
        plot.Title("REINFORCE on cart-pole, generated ∇ log π");
        plot.XLabel("episode");
        plot.YLabel("return (steps balanced)");
        plot.Axes.SetLimitsY(0, 210);
        SymGrad.Plotting.LossCurve.ShowLegendBelow(plot);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        plot.SavePng(full, 800, 500);
    }
}
