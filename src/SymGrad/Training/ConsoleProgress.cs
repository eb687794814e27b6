using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;

namespace SymGrad.Training;

/// <summary>
/// A progress display for <see cref="Trainer.Fit"/>: on a terminal, a bar for the current epoch redrawn in place
/// at most ten times a second; always, one line per epoch with its figures. Wire it up with
/// <c>new TrainingOptions { OnBatch = progress.Batch, OnEpoch = progress.Epoch }</c>.
/// </summary>
public sealed class ConsoleProgress
{
    private readonly TextWriter _out;
    private readonly int _epochs;
    private readonly bool _interactive;
    private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    private bool _barShown;

    /// <summary>A display for a run of <paramref name="epochs"/> epochs on standard output.</summary>
    public ConsoleProgress(int epochs) : this(Console.Out, epochs, !Console.IsOutputRedirected)
    {
    }

    /// <summary>A display on any writer; <paramref name="interactive"/> draws the in-place bar.</summary>
    public ConsoleProgress(TextWriter output, int epochs, bool interactive)
    {
        _out = output;
        _epochs = epochs;
        _interactive = interactive;
    }

    /// <summary>For <see cref="TrainingOptions.OnBatch"/>.</summary>
    public void Batch(int epoch, int batch, int batches)
    {
        if (!_interactive || (_barShown && batch < batches && _sinceDraw.ElapsedMilliseconds < 100)) return;
        _sinceDraw.Restart();
        const int width = 30;
        var filled = (int)((long)width * batch / batches);
        _out.Write(string.Create(CultureInfo.InvariantCulture,
            $"\repoch {epoch}/{_epochs} [{new string('#', filled)}{new string('.', width - filled)}] {batch}/{batches}"));
        _barShown = true;
    }

    /// <summary>For <see cref="TrainingOptions.OnEpoch"/>.</summary>
    public void Epoch(EpochReport report)
    {
        if (_barShown)
        {
            _out.Write('\r' + new string(' ', 60) + '\r');
            _barShown = false;
        }
        _out.WriteLine(Format(report, _epochs));
    }

    /// <summary>One epoch as a line: <c>epoch 3/10  loss 0.1234  accuracy 97.10%  validation loss 0.2  …</c>.</summary>
    public static string Format(EpochReport r, int epochs)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"epoch {r.Epoch}/{epochs}  loss {r.TrainLoss:0.0000}");
        if (r.TrainAccuracy is { } a) sb.Append(CultureInfo.InvariantCulture, $"  accuracy {100 * a:0.00}%");
        if (r.ValidationLoss is { } vl) sb.Append(CultureInfo.InvariantCulture, $"  validation loss {vl:0.0000}");
        if (r.ValidationAccuracy is { } va) sb.Append(CultureInfo.InvariantCulture, $"  validation accuracy {100 * va:0.00}%");
        sb.Append(CultureInfo.InvariantCulture, $"  ({r.Elapsed.TotalSeconds:0.0} s)");
        return sb.ToString();
    }
}
