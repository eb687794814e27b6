using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SymGrad.Optimizers;
using SymGrad.Tensors;

namespace SymGrad.Training;

/// <summary>
/// Everything a training run needs to continue where it stopped, at a batch boundary: the parameters, the optimizer's
/// state tensors and step count (the schedule's position), the epoch and batch, the running sums of the epoch, the
/// early-stopping bookkeeping (best loss, epochs since, the best parameters), the shuffle's position, each layer's
/// random state and the history so far. <see cref="Trainer.Fit"/> writes it to
/// <see cref="TrainingOptions.LastCheckpointPath"/> and resumes from <see cref="TrainingOptions.ResumeFrom"/>.
/// </summary>
/// <remarks>
/// File layout: the 8 bytes <c>SGTRAIN\n</c>, a format version (uint32, now 1), the body (little-endian, as
/// <see cref="BinaryWriter"/> writes it; the parameters as an embedded <see cref="Checkpoint"/>), and a CRC-32 of
/// everything before it. Written atomically like <see cref="Checkpoint.Save"/>.
/// </remarks>
internal sealed class TrainingState
{
    private static readonly byte[] Magic = "SGTRAIN\n"u8.ToArray();
    public const uint Version = 1;

    // What the run must match to continue bit for bit.
    public string Optimizer = "";
    public string OptimizerSettings = "";
    public string[] Layers = Array.Empty<string>();
    public int Seed, BatchSize, Samples;
    public bool Shuffle;
    // Where the run stands: Epoch is the epoch in progress (1-based), Batch the batches of it done; after an epoch's
    // end, Epoch is the next one and Batch 0. ShuffledEpoch: the epochs whose shuffle was drawn.
    public int Epoch = 1, Batch, ShuffledEpoch, Step;
    public double LossSum;
    public int Correct;
    public float Best = float.PositiveInfinity;
    public int SinceBest, BestEpoch;
    public bool StoppedEarly;
    public double ElapsedSeconds;
    public List<EpochReport> History = new();
    public byte[] Parameters = Array.Empty<byte>();
    public byte[]? BestParameters;
    public int OptimizerSteps;
    public float[][][] OptimizerState = Array.Empty<float[][]>(); // per parameter, per state tensor
    public byte[][] LayerState = Array.Empty<byte[]>();

    /// <summary>The state of <paramref name="network"/> and <paramref name="optimizer"/> with these loop figures.</summary>
    public void Capture(Network network, Optimizer optimizer)
    {
        Optimizer = optimizer.GetType().FullName!;
        OptimizerSettings = optimizer.ToString();
        Layers = network.Layers.Select(l => l.ToString() ?? "").ToArray();
        Parameters = Checkpoint.Serialize(network);
        OptimizerSteps = optimizer.Steps;
        OptimizerState = network.Parameters.Select(p => optimizer.StateOf(p)?.Select(t => t.Span.ToArray()).ToArray() ?? Array.Empty<float[]>()).ToArray();
        LayerState = network.Layers.Select(l => l.SaveState()).ToArray();
    }

    public byte[] Serialize()
    {
        using var ms = new MemoryStream();
        ms.Write(Magic);
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            w.Write(Optimizer);
            w.Write(OptimizerSettings);
            w.Write(Layers.Length);
            foreach (var l in Layers) w.Write(l);
            w.Write(Seed);
            w.Write(BatchSize);
            w.Write(Samples);
            w.Write(Shuffle);
            w.Write(Epoch);
            w.Write(Batch);
            w.Write(ShuffledEpoch);
            w.Write(Step);
            w.Write(LossSum);
            w.Write(Correct);
            w.Write(Best);
            w.Write(SinceBest);
            w.Write(BestEpoch);
            w.Write(StoppedEarly);
            w.Write(ElapsedSeconds);
            w.Write(History.Count);
            foreach (var r in History)
            {
                w.Write(r.Epoch);
                w.Write(r.TrainLoss);
                WriteOptional(w, r.TrainAccuracy);
                WriteOptional(w, r.ValidationLoss);
                WriteOptional(w, r.ValidationAccuracy);
                w.Write(r.LearningRate);
                w.Write(r.Elapsed.Ticks);
            }
            WriteBytes(w, Parameters);
            w.Write(BestParameters != null);
            if (BestParameters != null) WriteBytes(w, BestParameters);
            w.Write(OptimizerSteps);
            w.Write(OptimizerState.Length);
            foreach (var tensors in OptimizerState)
            {
                w.Write(tensors.Length);
                foreach (var t in tensors)
                {
                    w.Write(t.Length);
                    foreach (var v in t) w.Write(v);
                }
            }
            w.Write(LayerState.Length);
            foreach (var l in LayerState) WriteBytes(w, l);
        }
        var crc = System.IO.Hashing.Crc32.HashToUInt32(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        Span<byte> crcBytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(crcBytes, crc);
        ms.Write(crcBytes);
        return ms.ToArray();
    }

    /// <summary>Reads a state file; every problem is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static TrainingState Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"{path}: no such training checkpoint.", path);
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            throw new InvalidDataException($"{path}: a directory, not a training checkpoint.");
        }
        return Deserialize(bytes, path);
    }

    public static TrainingState Deserialize(byte[] bytes, string source)
    {
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException(bytes.AsSpan().StartsWith("SGCKPT\r\n"u8)
                ? $"{source}: holds parameters only (TrainingOptions.CheckpointPath, the best epoch's); a run resumes from the file TrainingOptions.LastCheckpointPath writes."
                : $"{source}: not a SymGrad training checkpoint (the file does not start with SGTRAIN).");
        if (bytes.Length < Magic.Length + 8) throw new InvalidDataException($"{source}: truncated: {bytes.Length} bytes.");
        var stored = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4));
        var actual = System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4));
        if (stored != actual) throw new InvalidDataException($"{source}: corrupted or truncated (checksum mismatch: stored {stored:x8}, computed {actual:x8}).");
        using var r = new BinaryReader(new MemoryStream(bytes, Magic.Length, bytes.Length - 4 - Magic.Length), Encoding.UTF8);
        try
        {
            var version = r.ReadUInt32();
            if (version != Version) throw new InvalidDataException($"{source}: training checkpoint format version {version}; this SymGrad reads version {Version}.");
            var optimizer = r.ReadString();
            var settings = r.ReadString();
            var layers = new string[Count(r, source, "layers")];
            for (var l = 0; l < layers.Length; l++) layers[l] = r.ReadString();
            var s = new TrainingState
            {
                Optimizer = optimizer,
                OptimizerSettings = settings,
                Layers = layers,
                Seed = r.ReadInt32(),
                BatchSize = r.ReadInt32(),
                Samples = r.ReadInt32(),
                Shuffle = r.ReadBoolean(),
                Epoch = r.ReadInt32(),
                Batch = r.ReadInt32(),
                ShuffledEpoch = r.ReadInt32(),
                Step = r.ReadInt32(),
                LossSum = r.ReadDouble(),
                Correct = r.ReadInt32(),
                Best = r.ReadSingle(),
                SinceBest = r.ReadInt32(),
                BestEpoch = r.ReadInt32(),
                StoppedEarly = r.ReadBoolean(),
                ElapsedSeconds = r.ReadDouble(),
            };
            var reports = Count(r, source, "history");
            for (var i = 0; i < reports; i++)
                s.History.Add(new EpochReport(r.ReadInt32(), r.ReadSingle(), ReadOptional(r), ReadOptional(r), ReadOptional(r), r.ReadSingle(), TimeSpan.FromTicks(r.ReadInt64())));
            s.Parameters = ReadBytes(r, source);
            s.BestParameters = r.ReadBoolean() ? ReadBytes(r, source) : null;
            s.OptimizerSteps = r.ReadInt32();
            s.OptimizerState = new float[Count(r, source, "optimizer state")][][];
            for (var p = 0; p < s.OptimizerState.Length; p++)
            {
                var tensors = s.OptimizerState[p] = new float[Count(r, source, "optimizer state")][];
                for (var k = 0; k < tensors.Length; k++)
                {
                    var t = tensors[k] = new float[Count(r, source, "optimizer state")];
                    for (var i = 0; i < t.Length; i++) t[i] = r.ReadSingle();
                }
            }
            s.LayerState = new byte[Count(r, source, "layer state")][];
            for (var l = 0; l < s.LayerState.Length; l++) s.LayerState[l] = ReadBytes(r, source);
            if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException($"{source}: {r.BaseStream.Length - r.BaseStream.Position} unexpected bytes before the checksum.");
            return s;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{source}: truncated at offset {Magic.Length + r.BaseStream.Position}.");
        }
    }

    /// <summary>
    /// Puts the saved parameters, optimizer state and layer states into <paramref name="network"/> and
    /// <paramref name="optimizer"/> after checking that they fit; on an error nothing is changed.
    /// </summary>
    public void Restore(Network network, Optimizer optimizer, string source)
    {
        var kind = optimizer.GetType().FullName!;
        if (kind != Optimizer)
            throw new InvalidDataException($"{source}: saved with optimizer {Optimizer}; this run uses {kind}.");
        if (optimizer.ToString() != OptimizerSettings)
            throw new InvalidDataException($"{source}: saved with {OptimizerSettings}; this run has {optimizer} (a run resumes with the optimizer it began with).");
        var layers = network.Layers.Select(l => l.ToString() ?? "").ToArray();
        if (layers.Length != Layers.Length)
            throw new InvalidDataException($"{source}: saved from a network of {Layers.Length} layers ({string.Join(", ", Layers)}); this one has {layers.Length} ({string.Join(", ", layers)}): a different architecture.");
        for (var l = 0; l < layers.Length; l++)
            if (layers[l] != Layers[l])
                throw new InvalidDataException($"{source}: layer {l} is {Layers[l]} in the file but {layers[l]} in this network (a run resumes with the network it began with).");
        if (OptimizerState.Length != network.Parameters.Count || LayerState.Length != network.Layers.Count)
            throw new InvalidDataException($"{source}: saved from a network of {OptimizerState.Length} parameter tensors in {LayerState.Length} layers; this one has {network.Parameters.Count} in {network.Layers.Count} (a different architecture).");
        for (var p = 0; p < OptimizerState.Length; p++)
            foreach (var t in OptimizerState[p])
                if (t.Length != network.Parameters[p].Value.Length)
                    throw new InvalidDataException($"{source}: the optimizer state of {network.Parameters[p].Name} holds {t.Length} values; the parameter has {network.Parameters[p].Value.Length}.");
        if (BestParameters != null) Checkpoint.Check(BestParameters, network, source + " (best parameters)");
        Checkpoint.Deserialize(Parameters, network, source);
        optimizer.Steps = OptimizerSteps;
        for (var p = 0; p < OptimizerState.Length; p++)
        {
            if (OptimizerState[p].Length == 0) continue;
            var parameter = network.Parameters[p];
            optimizer.SetState(parameter, OptimizerState[p].Select(values =>
            {
                var t = new DenseTensor(parameter.Value.Shape.ToArray());
                values.CopyTo(t.Span);
                return t;
            }).ToArray());
        }
        for (var l = 0; l < LayerState.Length; l++)
        {
            try
            {
                network.Layers[l].RestoreState(LayerState[l]);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{source}: the state of layer {l} ({network.Layers[l]}) does not fit: {e.Message}", e);
            }
        }
    }

    private static int Count(BinaryReader r, string source, string what)
    {
        var n = r.ReadInt32();
        // Every counted item takes at least one byte of what is left: a corrupted count is refused before allocating.
        if (n < 0 || n > r.BaseStream.Length - r.BaseStream.Position)
            throw new InvalidDataException($"{source}: corrupted at offset {Magic.Length + r.BaseStream.Position - 4}: {n} entries of {what}.");
        return n;
    }

    private static void WriteBytes(BinaryWriter w, byte[] bytes)
    {
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static byte[] ReadBytes(BinaryReader r, string source)
    {
        var n = Count(r, source, "bytes");
        return r.ReadBytes(n);
    }

    private static void WriteOptional(BinaryWriter w, float? v)
    {
        w.Write(v.HasValue);
        w.Write(v ?? 0f);
    }

    private static float? ReadOptional(BinaryReader r)
    {
        var has = r.ReadBoolean();
        var v = r.ReadSingle();
        return has ? v : null;
    }
}
