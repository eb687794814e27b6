using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SymGrad.Training;

namespace SymGrad.Plotting;

/// <summary>Loss curves as PNG files.</summary>
public static class LossCurve
{
    /// <summary>Training (and, when recorded, validation) loss per epoch of a run.</summary>
    public static void SavePng(TrainingHistory history, string path, string title = "Loss", int width = 800, int height = 500)
    {
        if (history.Epochs.Count == 0) throw new ArgumentException("The run has no epochs to plot.", nameof(history));
        var series = new List<(string, double[], double[])>
        {
            ("training", history.Epochs.Select(e => (double)e.Epoch).ToArray(), history.Epochs.Select(e => (double)e.TrainLoss).ToArray()),
        };
        if (history.Epochs.All(e => e.ValidationLoss != null))
            series.Add(("validation", history.Epochs.Select(e => (double)e.Epoch).ToArray(), history.Epochs.Select(e => (double)e.ValidationLoss!.Value).ToArray()));
        SavePng(series, path, title, "epoch", width, height);
    }

    /// <summary>Any named series of (x, y) points, e.g. loss per iteration of gradient descent, or a predicted signal beside the true one.</summary>
    public static void SavePng(IReadOnlyList<(string Name, double[] X, double[] Y)> series, string path, string title = "Loss", string xLabel = "iteration", int width = 800, int height = 500,
        string yLabel = "loss")
    {
        if (series.Count == 0) throw new ArgumentException("Nothing to plot.", nameof(series));
        foreach (var (name, x, y) in series)
        {
            if (x.Length != y.Length) throw new ArgumentException($"Series '{name}' has {x.Length} x values and {y.Length} y values.");
            if (y.Any(v => !double.IsFinite(v))) throw new ArgumentException($"Series '{name}' has a value that is not finite.");
        }
        var plot = new ScottPlot.Plot();
        foreach (var (name, x, y) in series)
        {
            var line = plot.Add.Scatter(x, y);
            line.LegendText = name;
            line.MarkerSize = x.Length > 50 ? 0 : 4;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend();
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        plot.SavePng(full, width, height);
    }
}
