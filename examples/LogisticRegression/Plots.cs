using System;
using System.IO;
using System.Linq;
using SymGrad.Plotting;

namespace SymGrad.Examples;

/// <summary>The logistic regression's figure, drawn with ScottPlot through SymGrad.Plotting.</summary>
public static class Plots
{
    /// <summary>
    /// Two panels: the mean cross-entropy per epoch, and the two classes with the decision boundary w1·x1 + w2·x2 + b = 0
    /// (where σ(w·x + b) = ½).
    /// </summary>
    public static void Fit(double[] loss, double[] x1, double[] x2, double[] y, (double W1, double W2, double B) model, string path)
    {
        var epochs = Enumerable.Range(0, loss.Length).Select(i => (double)i).ToArray();
        var curve = LossCurve.Create(new[] { ("cross-entropy", epochs, loss) }, "Mean cross-entropy per epoch", "epoch", "loss", integerX: true);

        var data = new ScottPlot.Plot();
        foreach (var (label, color) in new[] { (0.0, ScottPlot.Colors.SteelBlue), (1.0, ScottPlot.Colors.DarkOrange) })
        {
            var members = Enumerable.Range(0, y.Length).Where(i => y[i] == label).ToArray();
            var points = data.Add.ScatterPoints(members.Select(i => x1[i]).ToArray(), members.Select(i => x2[i]).ToArray());
            points.LegendText = $"class {label} ({members.Length} points)";
            points.Color = color;
            points.MarkerSize = 4;
        }
        // The boundary across the data's x1 range (a vertical line when w2 is 0).
        double lo = x1.Min(), hi = x1.Max();
        var boundary = model.W2 != 0
            ? data.Add.Line(lo, -(model.W1 * lo + model.B) / model.W2, hi, -(model.W1 * hi + model.B) / model.W2)
            : data.Add.Line(-model.B / model.W1, x2.Min(), -model.B / model.W1, x2.Max());
        boundary.LegendText = "decision boundary, σ(w·x + b) = ½";
        boundary.LineColor = ScottPlot.Colors.Black;
        boundary.LineWidth = 2;
        boundary.MarkerSize = 0;
        // The data's extent: the boundary line is drawn across it, not the other way round.
        data.Axes.SetLimits(lo - 0.5, hi + 0.5, x2.Min() - 0.5, x2.Max() + 0.5);
        data.Title("Two Gaussian classes and the learned boundary");
        data.XLabel("x1");
        data.YLabel("x2");
        LossCurve.ShowLegendBelow(data);

        // A new Multiplot holds one empty plot already: start it from the first panel instead.
        var figure = new ScottPlot.Multiplot(curve);
        figure.Subplots.Add(data);
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        ScottPlot.IMultiplotExtensions.SavePng(figure, full, 1300, 560);
    }
}
