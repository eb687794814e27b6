using System;
using System.Threading.Tasks;

namespace SymGrad.Tensors;

/// <summary>
/// How many cores the kernels use. A kernel with enough work splits its output into parts along an axis whose elements
/// it computes independently (rows of a product, images of a batch, elements of an activation) and runs the parts on
/// the thread pool; each element is computed by the same operations in the same order whichever part it falls in, so
/// the results are the same bits on 1, 2 or 16 threads. Reductions keep one order: a product's shared dimension is
/// never split, a sum over the batch runs in batch order. No nested parallelism: a kernel called from a part runs on
/// that part's thread.
/// </summary>
public static class Threads
{
    // The limit set on this thread (0: every core); true while this thread runs a part.
    [ThreadStatic] private static int _limit;
    [ThreadStatic] private static bool _inPart;
    // Kernel calls this thread split into parts (for tests: that a run did use the cores).
    [ThreadStatic] internal static long SplitCalls;

    /// <summary>
    /// Multiply-adds (or element operations) below which a kernel stays on the calling thread: starting the parts costs
    /// a few microseconds, about what 64 K multiply-adds take on one core.
    /// </summary>
    public const long MinimumWork = 1 << 16;

    /// <summary>
    /// The most threads the kernels called on this thread use: 0 (the default) for every core
    /// (<see cref="Environment.ProcessorCount"/>), 1 for the calling thread only.
    /// </summary>
    public static int Limit
    {
        get => _limit;
        set => _limit = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "The thread limit is 0 (every core) or positive.");
    }

    /// <summary>The threads a kernel called here may use now: 1 inside a part, else the limit or the core count.</summary>
    public static int Available => _inPart ? 1 : _limit > 0 ? _limit : Environment.ProcessorCount;

    /// <summary>Sets <see cref="Limit"/> on this thread until the returned scope is disposed.</summary>
    public static IDisposable Use(int limit)
    {
        var previous = Limit;
        Limit = limit;
        return new Restore(previous);
    }

    private sealed class Restore(int previous) : IDisposable
    {
        public void Dispose() => _limit = previous;
    }

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) in parts, in parallel when
    /// <paramref name="work"/> is at least <see cref="MinimumWork"/> and more than one thread is available. Every part
    /// starts at a multiple of <paramref name="grain"/> and holds at least <paramref name="grain"/> items (the last runs to
    /// the end): whole tiles of a kernel, and no part so short that a vectorised loop takes its scalar path for it.
    /// </summary>
    internal static void For(int count, int grain, long work, Action<int, int> body)
    {
        if (count <= 0) return;
        var threads = work < MinimumWork ? 1 : Available;
        var parts = Math.Min(threads, count / grain);
        if (parts <= 1)
        {
            body(0, count);
            return;
        }
        var per = count / parts / grain * grain;
        SplitCalls++;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            var outer = _inPart;
            _inPart = true;
            try
            {
                body(part * per, part == parts - 1 ? count : (part + 1) * per);
            }
            finally
            {
                _inPart = outer;
            }
        });
    }

    /// <summary>A loop over aligned slices of up to three inputs and one output.</summary>
    internal delegate void Slices(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> d);

    /// <summary>
    /// <paramref name="body"/> over slices of <paramref name="a"/>, <paramref name="b"/>, <paramref name="c"/> and
    /// <paramref name="d"/> (each empty or of d's length) in parts of whole 1 024-element blocks: an element-wise loop on the
    /// cores, each element computed as on one thread. <paramref name="cost"/>: operations per element.
    /// </summary>
    internal static unsafe void Elementwise(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> d, int cost, Slices body)
    {
        var n = d.Length;
        if ((long)n * cost < MinimumWork || Available == 1 || n < 2048)
        {
            body(a, b, c, d);
            return;
        }
        fixed (float* pa = a, pb = b, pc = c, pd = d)
            InParts((IntPtr)pa, (IntPtr)pb, (IntPtr)pc, (IntPtr)pd, !a.IsEmpty, !b.IsEmpty, !c.IsEmpty, n, cost, body);
    }

    // (Separate, so that the one-thread path allocates no closure.)
    private static unsafe void InParts(IntPtr ap, IntPtr bp, IntPtr cp, IntPtr dp, bool hasA, bool hasB, bool hasC, int n, int cost, Slices body) =>
        For(n, 1024, (long)n * cost, (start, end) => body(
            hasA ? new ReadOnlySpan<float>((float*)ap + start, end - start) : default,
            hasB ? new ReadOnlySpan<float>((float*)bp + start, end - start) : default,
            hasC ? new ReadOnlySpan<float>((float*)cp + start, end - start) : default,
            new Span<float>((float*)dp + start, end - start)));

    /// <summary>A loop over images first … end − 1 of a batch, reading the whole input and writing the whole output.</summary>
    internal delegate void ImageLoop(ReadOnlySpan<float> input, Span<float> output, int first, int end);

    /// <summary>
    /// <paramref name="body"/> over the <paramref name="batch"/> images in parts on the cores: for a layer whose images
    /// write disjoint parts of the output, each in the order one thread would.
    /// </summary>
    internal static unsafe void Images(ReadOnlySpan<float> input, Span<float> output, int batch, long work, ImageLoop body)
    {
        if (batch < 2 || work < MinimumWork || Available == 1)
        {
            body(input, output, 0, batch);
            return;
        }
        fixed (float* pi = input, po = output)
            ImagesInParts((IntPtr)pi, (IntPtr)po, input.Length, output.Length, batch, work, body);
    }

    private static unsafe void ImagesInParts(IntPtr ip, IntPtr op, int inputLength, int outputLength, int batch, long work, ImageLoop body) =>
        For(batch, 1, work, (first, end) => body(new ReadOnlySpan<float>((float*)ip, inputLength), new Span<float>((float*)op, outputLength), first, end));
}
