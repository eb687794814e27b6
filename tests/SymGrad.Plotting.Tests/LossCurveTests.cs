using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using SymGrad.Data;
using SymGrad.Layers;
using SymGrad.Losses;
using SymGrad.Optimizers;
using SymGrad.Plotting;
using SymGrad.Tensors;
using SymGrad.Training;

namespace SymGrad.Plotting.Tests;

public class LossCurveTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("symgrad-plot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    [Fact]
    public void ATrainingRun_IsSavedAsAPng_OfTheRequestedSize()
    {
        var x = new DenseTensor(new float[] { 0, 1, 2, 3 }, 4, 1);
        var y = new DenseTensor(new float[] { 1, 3, 5, 7 }, 4, 1);
        var data = new Dataset(x, y);
        var history = Trainer.Fit(new Network(new Dense(1, 1)), new MeanSquaredError(), new Sgd(0.05f), data,
            new TrainingOptions { Epochs = 20, BatchSize = 2, Validation = data });
        var path = Path.Combine(_dir, "sub", "loss.png");
        LossCurve.SavePng(history, path, width: 640, height: 360);
        Assert.Equal((640, 360), PngSize(path));
        Assert.True(new FileInfo(path).Length > 2000);
    }

    [Fact]
    public void BadSeries_AreRefused_BeforeAnythingIsWritten()
    {
        var path = Path.Combine(_dir, "bad.png");
        Assert.Throws<ArgumentException>(() => LossCurve.SavePng(new[] { ("a", new double[] { 1, 2 }, new double[] { 1 }) }, path));
        Assert.Throws<ArgumentException>(() => LossCurve.SavePng(new[] { ("a", new double[] { 1 }, new double[] { double.NaN }) }, path));
        Assert.Throws<ArgumentException>(() => LossCurve.SavePng(new TrainingHistory(), path));
        Assert.False(File.Exists(path));
    }

    // Three epochs of a one-logit classifier, with accuracy measured on training and validation data.
    private static TrainingHistory Classifier(int epochs = 3)
    {
        var x = new DenseTensor(new float[] { -2, -1, -0.5f, 0.5f, 1, 2, -1.5f, 1.5f }, 8, 1);
        var y = new DenseTensor(new float[] { 0, 0, 0, 1, 1, 1, 0, 1 }, 8, 1);
        var data = new Dataset(x, y);
        return Trainer.Fit(new Network(new Dense(1, 1, seed: 3)), new BinaryCrossEntropy(), new Sgd(0.5f), data,
            new TrainingOptions { Epochs = epochs, BatchSize = 4, Validation = data, Metric = Metric.BinaryAccuracy });
    }

    [Fact]
    public void Accuracy_IsSavedAsAPng_InPercent_ForTrainingAndValidation()
    {
        var history = Classifier();
        var path = Path.Combine(_dir, "accuracy.png");
        LossCurve.SaveAccuracyPng(history, path, "Accuracy of a classifier");
        Assert.Equal((800, 500), PngSize(path));
        Assert.True(new FileInfo(path).Length > 2000);

        var plot = LossCurve.CreateAccuracy(new[] { ("net", history) });
        var lines = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToArray();
        Assert.Equal(new[] { "net training", "net validation" }, lines.Select(l => l.LegendText));
        var expected = history.Epochs.Select(e => 100 * (double)e.TrainAccuracy!.Value).ToArray();
        Assert.Equal(expected, lines[0].Data.GetScatterPoints().Select(p => p.Y));
        Assert.Contains(expected, v => v > 1);   // percent, not a fraction
    }

    [Fact]
    public void Accuracy_OfARunThatMeasuredNone_IsRefused_SayingWhy()
    {
        var x = new DenseTensor(new float[] { 0, 1 }, 2, 1);
        var history = Trainer.Fit(new Network(new Dense(1, 1)), new MeanSquaredError(), new Sgd(0.1f), new Dataset(x, x), new TrainingOptions { Epochs = 2 });
        var path = Path.Combine(_dir, "none.png");
        var e = Assert.Throws<ArgumentException>(() => LossCurve.SaveAccuracyPng(history, path));
        Assert.Contains("TrainingOptions.Metric", e.Message);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData(0.95, 2.05, 10, new double[] { 1, 2 })]
    [InlineData(0.9, 3.1, 10, new double[] { 1, 2, 3 })]
    [InlineData(0.5, 1.5, 5, new double[] { 1 })]
    [InlineData(0, 100, 5, new double[] { 0, 50, 100 })]
    [InlineData(-3.2, 3.2, 4, new double[] { -2, 0, 2 })]
    [InlineData(1.2, 1.8, 4, new double[0])]
    public void IntegerTicks_AreWholeNumbers_AtMostTheCountAsked(double min, double max, int count, double[] expected) =>
        Assert.Equal(expected, AxisTicks.WholeNumbers(min, max, count));

    [Fact]
    public void AnEpochAxis_IsDrawnWithWholeNumberTicks()
    {
        // Two epochs leave ScottPlot's own ticks at 1, 1.2, …, or 0.95, 1.05 with its margins.
        var plot = LossCurve.CreateLoss(new[] { ("net", Classifier(epochs: 2)) });
        plot.GetImage(800, 500);
        var ticks = plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).ToArray();
        Assert.Equal(new[] { 1.0, 2.0 }, ticks.Select(t => t.Position));
        Assert.Equal(new[] { "1", "2" }, ticks.Select(t => t.Label));
    }

    [Fact]
    public void TheLegend_IsOutsideTheDataArea()
    {
        var plot = LossCurve.Create(new[] { ("a", new double[] { 1, 2 }, new double[] { 3, 1 }), ("b", new double[] { 1, 2 }, new double[] { 2, 4 }) }, "t", "x", "y");
        Assert.False(plot.Legend.IsVisible);   // not drawn over the data
        Assert.Contains(plot.Axes.GetPanels(), p => p is ScottPlot.Panels.LegendPanel { Edge: ScottPlot.Edge.Bottom });
    }

    [Fact]
    public void ALogAxis_LabelsDecades_AndRefusesValuesItCannotShow()
    {
        Assert.Equal(new[] { (-3.0, 0.001), (-2.0, 0.01), (-1.0, 0.1), (0.0, 1.0) }, AxisTicks.Log(-3.2, 0.5, 10));
        // Within one decade: 1, 2 and 5 times its powers of ten.
        Assert.Equal(new[] { 0.2, 0.5, 1.0 }, AxisTicks.Log(Math.Log10(0.15), Math.Log10(1.2), 10).Select(t => Math.Round(t.Value, 12)));
        Assert.Equal(new[] { "0.001", "0.5", "20", "1e+06", "1e-05" }, new[] { 0.001, 0.5, 20, 1e6, 1e-5 }.Select(AxisTicks.LogLabel));

        var path = Path.Combine(_dir, "log.png");
        LossCurve.SavePng(new[] { ("loss", new double[] { 0, 1, 2, 3 }, new double[] { 10, 1, 0.1, 0.01 }) }, path, logY: true);
        Assert.True(new FileInfo(path).Length > 2000);
        var e = Assert.Throws<ArgumentException>(() => LossCurve.SavePng(new[] { ("zero", new double[] { 0, 1 }, new double[] { 1, 0 }) }, path, logY: true));
        Assert.Contains("'zero' has a value that is not positive", e.Message);
    }

    [Fact]
    public void SeriesErrors_NameTheSeries()
    {
        var path = Path.Combine(_dir, "bad.png");
        Assert.Contains("'short' has 2 x values and 1 y values", Assert.Throws<ArgumentException>(() => LossCurve.SavePng(new[] { ("short", new double[] { 1, 2 }, new double[] { 1 }) }, path)).Message);
        Assert.Contains("'inf' has a value that is not finite", Assert.Throws<ArgumentException>(() => LossCurve.SavePng(new[] { ("inf", new double[] { double.PositiveInfinity }, new double[] { 1 }) }, path)).Message);
        Assert.Contains("'none' has no points", Assert.Throws<ArgumentException>(() => LossCurve.SavePng(new[] { ("none", new double[0], new double[0]) }, path)).Message);
        Assert.Throws<ArgumentException>(() => LossCurve.SavePng(Array.Empty<(string, double[], double[])>(), path));
        Assert.False(File.Exists(path));
    }
}
