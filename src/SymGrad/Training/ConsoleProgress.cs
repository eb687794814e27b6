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
    public void Batch(BatchReport r)
    {
        if (!_interactive || (_barShown && r.Batch < r.Batches && _sinceDraw.ElapsedMilliseconds < 100)) return;
        _sinceDraw.Restart();
        var line = Bar(r, _epochs);
        // Pads over a longer line drawn before (the figures change width).
        _out.Write("\r" + line + (line.Length < _lastBar ? new string(' ', _lastBar - line.Length) : ""));
        _lastBar = line.Length;
        _barShown = true;
    }

    private int _lastBar;

    /// <summary>
    /// The in-place bar: <c>epoch 2/10 [##########....................] 157/469  loss 0.3012  5,210 samples/s  ETA 0:07</c>
    /// (the ETA is the rest of the epoch at the rate so far, shown once the epoch has run a second).
    /// </summary>
    public static string Bar(BatchReport r, int epochs)
    {
        const int width = 30;
        var filled = (int)((long)width * r.Batch / r.Batches);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"epoch {r.Epoch}/{epochs} [{new string('#', filled)}{new string('.', width - filled)}] {r.Batch}/{r.Batches}");
        sb.Append(CultureInfo.InvariantCulture, $"  loss {r.RunningLoss:0.0000}");
        if (r.SamplesPerSecond > 0) sb.Append(CultureInfo.InvariantCulture, $"  {r.SamplesPerSecond:#,0} samples/s");
        // An estimate from the first batch alone (warm-up, the first shapes allocated) is no estimate: from a second on.
        if (r.Remaining is { } left && r.Batch < r.Batches && r.EpochElapsed >= TimeSpan.FromSeconds(1)) sb.Append("  ETA ").Append(Duration(left));
        return sb.ToString();
    }

    private static string Duration(TimeSpan t) =>
        t.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:00}");

    /// <summary>For <see cref="TrainingOptions.OnEpoch"/>.</summary>
    public void Epoch(EpochReport report)
    {
        if (_barShown)
        {
            _out.Write('\r' + new string(' ', _lastBar) + '\r');
            _barShown = false;
        }
        _out.WriteLine(Format(report, _epochs));
    }

    /// <summary>One epoch as a line: <c>epoch 3/10  loss 0.1234  accuracy 97.10%  validation loss 0.2000  lr 0.001  (4.2 s)</c>.</summary>
    public static string Format(EpochReport r, int epochs)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"epoch {r.Epoch}/{epochs}  loss {r.TrainLoss:0.0000}");
        if (r.TrainAccuracy is { } a) sb.Append(CultureInfo.InvariantCulture, $"  accuracy {100 * a:0.00}%");
        if (r.ValidationLoss is { } vl) sb.Append(CultureInfo.InvariantCulture, $"  validation loss {vl:0.0000}");
        if (r.ValidationAccuracy is { } va) sb.Append(CultureInfo.InvariantCulture, $"  validation accuracy {100 * va:0.00}%");
        sb.Append(CultureInfo.InvariantCulture, $"  lr {r.LearningRate:G4}");
        sb.Append(CultureInfo.InvariantCulture, $"  ({r.Elapsed.TotalSeconds:0.0} s)");
        return sb.ToString();
    }
}
