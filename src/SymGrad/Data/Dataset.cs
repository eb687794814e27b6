using System;
using SymGrad.Tensors;

namespace SymGrad.Data;

/// <summary>Samples along the first axis of <see cref="Features"/> and of <see cref="Targets"/>.</summary>
public sealed class Dataset
{
    /// <summary>A dataset; both tensors must have the same number of samples.</summary>
    public Dataset(DenseTensor features, DenseTensor targets)
    {
        if (features.Rank < 2 || targets.Rank < 2) throw new ArgumentException("Features and targets need a sample axis and at least one more ([n, …]).");
        if (features.Dim(0) != targets.Dim(0))
            throw new ArgumentException($"{features.Dim(0)} feature rows but {targets.Dim(0)} target rows.");
        Features = features;
        Targets = targets;
    }

    /// <summary>[n, …] inputs.</summary>
    public DenseTensor Features { get; }
    /// <summary>[n, …] targets.</summary>
    public DenseTensor Targets { get; }
    /// <summary>The number of samples.</summary>
    public int Count => Features.Dim(0);

    /// <summary>Copies the samples at <paramref name="indices"/> into the first rows of the two batch tensors.</summary>
    public void CopyBatch(ReadOnlySpan<int> indices, DenseTensor features, DenseTensor targets)
    {
        int fs = Features.Length / Count, ts = Targets.Length / Count;
        var f = Features.Span;
        var t = Targets.Span;
        var bf = features.Span;
        var bt = targets.Span;
        for (var i = 0; i < indices.Length; i++)
        {
            f.Slice(indices[i] * fs, fs).CopyTo(bf.Slice(i * fs, fs));
            t.Slice(indices[i] * ts, ts).CopyTo(bt.Slice(i * ts, ts));
        }
    }

    /// <summary>
    /// Splits off the last <paramref name="fraction"/> of a seeded permutation as a second dataset (copies).
    /// </summary>
    public (Dataset First, Dataset Second) Split(float fraction, int seed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), "The fraction must be in (0, 1).");
        var order = Permutation(Count, seed);
        var second = Math.Max(1, (int)MathF.Round(Count * fraction));
        return (Take(order.AsSpan(0, Count - second)), Take(order.AsSpan(Count - second)));
    }

    /// <summary>The samples at <paramref name="indices"/>, as a new dataset.</summary>
    public Dataset Take(ReadOnlySpan<int> indices)
    {
        var fShape = Features.Shape.ToArray();
        var tShape = Targets.Shape.ToArray();
        fShape[0] = tShape[0] = indices.Length;
        var f = new DenseTensor(fShape);
        var t = new DenseTensor(tShape);
        CopyBatch(indices, f, t);
        return new Dataset(f, t);
    }

    /// <summary>A seeded Fisher–Yates permutation of 0 .. n − 1 (the same seed gives the same order).</summary>
    public static int[] Permutation(int n, int seed)
    {
        var order = new int[n];
        for (var i = 0; i < n; i++) order[i] = i;
        Shuffle(order, new Random(seed));
        return order;
    }

    /// <summary>Shuffles in place with the given generator.</summary>
    public static void Shuffle(Span<int> order, Random random)
    {
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
