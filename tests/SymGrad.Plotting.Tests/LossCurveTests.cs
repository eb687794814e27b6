using System;
using System.Buffers.Binary;
using System.IO;
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
        var x = new Tensor(new float[] { 0, 1, 2, 3 }, 4, 1);
        var y = new Tensor(new float[] { 1, 3, 5, 7 }, 4, 1);
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
}
