using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SymGrad.Tensors;

/// <summary>
/// Matrix products over row-major spans, the three shapes backpropagation needs: <c>C = A·B</c> (forward),
/// <c>C = Aᵀ·B</c> (weight gradients, ∂L/∂W = aᵀδ) and <c>C = A·Bᵀ</c> (input gradients, δWᵀ). The shared dimension
/// is cut into blocks of 256 so a block of B stays in cache; within a block one register-blocked kernel computes a
/// 4-row × 2-vector tile of C at a time, its eight accumulators in registers, with fused multiply-adds on
/// <see cref="Vector{T}"/>; rows and columns that do not fill a tile take narrower tiles (4 × 1 vector, 1 × 1 vector,
/// scalar); with AVX-512, an 8-row × 2-vector tile of sixteen lanes first. No allocation (A·Bᵀ transposes B into a
/// per-thread scratch buffer).
/// </summary>
public static class MatMul
{
    [ThreadStatic] private static float[]? _scratch, _workspace;
    // Sixteen-lane AVX-512 tiles where the processor has them (Vector<float> stays at eight lanes by default); a switch
    // so tests run the eight-lane tiles too.
    internal static bool WideVectors = Vector512.IsHardwareAccelerated;

    /// <summary><c>C[m×n] (+)= A[m×k] · B[k×n]</c>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckSizes(a.Length, m * k, b.Length, k * n, c.Length, m * n);
        Rows(a, k, 1, b, c, m, k, n, accumulate);
    }

    /// <summary><c>C[m×n] (+)= Aᵀ · B</c> with A stored [k×m] and B [k×n].</summary>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckSizes(a.Length, k * m, b.Length, k * n, c.Length, m * n);
        if (m < ReductionRows && SharedChunk(k, (long)m * n) is > 0 and var per) SharedInChunks(a, b, c, m, k, n, per, accumulate);
        else Rows(a, 1, m, b, c, m, k, n, accumulate);
    }

    /// <summary><c>C[m×n] (+)= A · Bᵀ</c> with A stored [m×k] and B [n×k].</summary>
    public static void MultiplyTransposedB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckSizes(a.Length, m * k, b.Length, n * k, c.Length, m * n);
        Rows(a, k, 1, Transposed(b, k, n), c, m, k, n, accumulate);
    }

    // Bᵀ [k×n] of B [n×k], in a per-thread scratch buffer.
    private static ReadOnlySpan<float> Transposed(ReadOnlySpan<float> b, int k, int n)
    {
        if (b.Length < n * k) throw new ArgumentException($"B has {b.Length} elements, needs {n * k}.");
        if (_scratch is null || _scratch.Length < k * n) _scratch = new float[Math.Max(k * n, 1024)];
        var bt = _scratch.AsSpan(0, k * n);
        // In 16 × 16 tiles, so the rows read and the rows written both stay in cache.
        ref var source = ref MemoryMarshal.GetReference(b);
        ref var target = ref MemoryMarshal.GetReference(bt);
        const int tile = 16;
        for (var j0 = 0; j0 < n; j0 += tile)
        {
            var j1 = Math.Min(n, j0 + tile);
            for (var p0 = 0; p0 < k; p0 += tile)
            {
                var p1 = Math.Min(k, p0 + tile);
                for (var j = j0; j < j1; j++)
                for (var p = p0; p < p1; p++)
                    Unsafe.Add(ref target, p * n + j) = Unsafe.Add(ref source, j * k + p);
            }
        }
        return bt;
    }

    /// <summary><c>C_t[m×n] (+)= A_t[m×k] · B[k×n]</c> for every block t of a batch (one B for all).</summary>
    public static void Multiply(ReadOnlyRowBlocks<float> a, ReadOnlySpan<float> b, RowBlocks<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckBatches(a.Batches, c.Batches);
        for (var t = 0; t < a.Batches; t++) Multiply(a[t], b, c[t], m, k, n, accumulate);
    }

    /// <summary>
    /// <c>C_t[m×n] (+)= A_t · Bᵀ</c> for every block t of a batch, B stored [n×k] and transposed once for the whole batch.
    /// </summary>
    public static void MultiplyTransposedB(ReadOnlyRowBlocks<float> a, ReadOnlySpan<float> b, RowBlocks<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckBatches(a.Batches, c.Batches);
        if (a.Batches == 0) return;
        var bt = Transposed(b, k, n);
        for (var t = 0; t < a.Batches; t++)
        {
            CheckSizes(a[t].Length, m * k, bt.Length, k * n, c[t].Length, m * n);
            Kernel(a[t], k, 1, bt, c[t], m, k, n, accumulate);
        }
    }

    /// <summary><c>C[m×n] (+)= Σ_t A_tᵀ · B_t</c> over the blocks of a batch, A_t stored [k×m] and B_t [k×n].</summary>
    public static void MultiplyTransposedA(ReadOnlyRowBlocks<float> a, ReadOnlyRowBlocks<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckBatches(a.Batches, b.Batches);
        if (a.Batches == 0 && !accumulate) c.Slice(0, m * n).Clear();
        for (var t = 0; t < a.Batches; t++)
        {
            CheckSizes(a[t].Length, k * m, b[t].Length, k * n, c.Length, m * n);
            Kernel(a[t], 1, m, b[t], c, m, k, n, accumulate || t > 0);
        }
    }

    /// <summary>
    /// <c>C[m×n] (+)= Aᵀ · B</c> where A's k rows of m values start every <paramref name="aRowStride"/> elements (rows may
    /// overlap: a window sliding along an image row, as im2col would copy it) and B is [k×n].
    /// </summary>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, int aRowStride, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        if (aRowStride <= 0) throw new ArgumentOutOfRangeException(nameof(aRowStride), "The row stride must be positive.");
        CheckSizes(a.Length, k == 0 ? 0 : (k - 1) * aRowStride + m, b.Length, k * n, c.Length, m * n);
        Kernel(a, 1, aRowStride, b, c, m, k, n, accumulate);
    }

    /// <summary>
    /// <c>C[m×n] (+)= Σ_t A_tᵀ · B_t</c> where A_t's k rows of m values start every <paramref name="aRowStride"/> elements
    /// (rows may overlap: a window sliding along an image row, as im2col would copy it) and B_t is [k×n].
    /// </summary>
    public static void MultiplyTransposedA(ReadOnlyRowBlocks<float> a, int aRowStride, ReadOnlyRowBlocks<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckBatches(a.Batches, b.Batches);
        if (aRowStride <= 0) throw new ArgumentOutOfRangeException(nameof(aRowStride), "The row stride must be positive.");
        if (a.Batches == 0 && !accumulate) c.Slice(0, m * n).Clear();
        var needA = k == 0 ? 0 : (k - 1) * aRowStride + m;
        // Every block of a batch has the same length: one check covers them all.
        if (a.Batches > 0) CheckSizes(a.BlockLength, needA, b.BlockLength, k * n, c.Length, m * n);
        if (FewRows(a, aRowStride, b, c, m, k, n, accumulate)) return;
        for (var t = 0; t < a.Batches; t++) Kernel(a[t], 1, aRowStride, b[t], c, m, k, n, accumulate || t > 0);
    }

    /// <summary>
    /// <c>C[(g·m + i)×n] (+)= Σ_t Σ_p A_t[p·aRowStride + g·groupStride + i] · B_t[p×n]</c> for <paramref name="groups"/>
    /// groups of m rows of C: the windowed product above for several windows at once, each group's A shifted by
    /// <paramref name="groupStride"/> (a convolution's kernel rows, one image row apart), so B (Δ) is read once for all
    /// kernel rows instead of once per row. When B's rows are whole vectors, C stays in register tiles across the whole
    /// batch (a one-channel 3×3 kernel's nine rows of C in one tile).
    /// </summary>
    public static void MultiplyTransposedA(ReadOnlyRowBlocks<float> a, int aRowStride, int groups, int groupStride, ReadOnlyRowBlocks<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckBatches(a.Batches, b.Batches);
        if (aRowStride <= 0) throw new ArgumentOutOfRangeException(nameof(aRowStride), "The row stride must be positive.");
        if (groups <= 0) throw new ArgumentOutOfRangeException(nameof(groups), "There must be at least one group.");
        if (groupStride < 0) throw new ArgumentOutOfRangeException(nameof(groupStride), "The group stride must not be negative.");
        if (a.Batches == 0 && !accumulate) c.Slice(0, groups * m * n).Clear();
        var needA = k == 0 ? 0 : (k - 1) * aRowStride + (groups - 1) * groupStride + m;
        if (a.Batches > 0) CheckSizes(a.BlockLength, needA, b.BlockLength, k * n, c.Length, groups * m * n);
        if (a.Batches == 0) return;
        if (BlockChunk(a.Batches, (long)groups * m * k * n, (long)groups * m * n) is > 0 and var per)
            GroupedInChunks(a, aRowStride, groups, groupStride, b, c, m, k, n, per, accumulate);
        else Grouped(a, aRowStride, groups, groupStride, b, c, m, k, n, accumulate);
    }

    // The grouped product over every block of a (and b), on this thread. Sizes checked by the caller.
    private static void Grouped(ReadOnlyRowBlocks<float> a, int aRowStride, int groups, int groupStride, ReadOnlyRowBlocks<float> b, Span<float> c, int m, int k, int n, bool accumulate)
    {
        if (GroupRows(a, aRowStride, groups, groupStride, b, c, m, k, n, accumulate)) return;
        for (var g = 0; g < groups; g++)
        {
            var cg = c.Slice(g * m * n, m * n);
            var ag = new ReadOnlyRowBlocks<float>(a.Span.Slice(g * groupStride), a.Stride, a.Batches, a.BlockLength - g * groupStride);
            if (FewRows(ag, aRowStride, b, cg, m, k, n, accumulate)) continue;
            for (var t = 0; t < a.Batches; t++) Kernel(ag[t], 1, aRowStride, b[t], cg, m, k, n, accumulate || t > 0);
        }
    }

    // The grouped Aᵀ·B with C in register tiles that live across the whole batch: twelve independent sums (6 rows × 2
    // vectors, or 12 rows × 1 vector when C's rows are one vector wide), enough to hide a fused multiply-add's latency,
    // and C loaded and stored once per call instead of once per image. Sizes checked by the caller.
    private static bool GroupRows(ReadOnlyRowBlocks<float> a, int aRowStride, int groups, int groupStride, ReadOnlyRowBlocks<float> b, Span<float> c, int m, int k, int n, bool accumulate)
    {
        var w = Vector<float>.Count;
        var rows = groups * m;
        if (rows < 5 || rows > 512 || m < 1 || n % w != 0 || k == 0) return false;
        // A's offset for each row of C.
        Span<int> at = stackalloc int[rows];
        for (var r = 0; r < rows; r++) at[r] = r / m * groupStride + r % m;
        if (n % (2 * w) == 0)
            for (var first = 0; first < rows; first += 6) Tile6x2(a, aRowStride, b, c, at, first, Math.Min(6, rows - first), k, n, accumulate);
        else
            for (var first = 0; first < rows; first += 12) Tile12x1(a, aRowStride, b, c, at, first, Math.Min(12, rows - first), k, n, accumulate);
        return true;
    }

    // Rows first … first + count − 1 of C, two vectors at a time; accumulators past the last row repeat its reads and are
    // never stored. Both tiles are compiled optimised at once: a layer's backward calls them a few dozen times per batch,
    // so tiered compilation ran the first batches on unoptimised code (a short benchmark timed a 1.4× slower layer).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile6x2(ReadOnlyRowBlocks<float> a, int aRowStride, ReadOnlyRowBlocks<float> b, Span<float> c, ReadOnlySpan<int> at, int first, int count, int k, int n, bool accumulate)
    {
        var w = Vector<float>.Count;
        int Row(int r) => first + Math.Min(r, count - 1);
        int o0 = at[Row(0)], o1 = at[Row(1)], o2 = at[Row(2)], o3 = at[Row(3)], o4 = at[Row(4)], o5 = at[Row(5)];
        ref var c0 = ref MemoryMarshal.GetReference(c);
        for (var j = 0; j < n; j += 2 * w)
        {
            Vector<float> s00 = default, s01 = default, s10 = default, s11 = default, s20 = default, s21 = default,
                s30 = default, s31 = default, s40 = default, s41 = default, s50 = default, s51 = default;
            if (accumulate)
            {
                s00 = Load(ref c0, Row(0) * n + j); s01 = Load(ref c0, Row(0) * n + j + w);
                s10 = Load(ref c0, Row(1) * n + j); s11 = Load(ref c0, Row(1) * n + j + w);
                s20 = Load(ref c0, Row(2) * n + j); s21 = Load(ref c0, Row(2) * n + j + w);
                s30 = Load(ref c0, Row(3) * n + j); s31 = Load(ref c0, Row(3) * n + j + w);
                s40 = Load(ref c0, Row(4) * n + j); s41 = Load(ref c0, Row(4) * n + j + w);
                s50 = Load(ref c0, Row(5) * n + j); s51 = Load(ref c0, Row(5) * n + j + w);
            }
            for (var t = 0; t < a.Batches; t++)
            {
                ref var ap = ref MemoryMarshal.GetReference(a[t]);
                ref var bp = ref Unsafe.Add(ref MemoryMarshal.GetReference(b[t]), j);
                for (var p = 0; p < k; p++, ap = ref Unsafe.Add(ref ap, aRowStride), bp = ref Unsafe.Add(ref bp, n))
                {
                    var b0 = Load(ref bp, 0);
                    var b1 = Load(ref bp, w);
                    var x = new Vector<float>(Unsafe.Add(ref ap, o0));
                    s00 = Vector.FusedMultiplyAdd(x, b0, s00); s01 = Vector.FusedMultiplyAdd(x, b1, s01);
                    x = new Vector<float>(Unsafe.Add(ref ap, o1));
                    s10 = Vector.FusedMultiplyAdd(x, b0, s10); s11 = Vector.FusedMultiplyAdd(x, b1, s11);
                    x = new Vector<float>(Unsafe.Add(ref ap, o2));
                    s20 = Vector.FusedMultiplyAdd(x, b0, s20); s21 = Vector.FusedMultiplyAdd(x, b1, s21);
                    x = new Vector<float>(Unsafe.Add(ref ap, o3));
                    s30 = Vector.FusedMultiplyAdd(x, b0, s30); s31 = Vector.FusedMultiplyAdd(x, b1, s31);
                    x = new Vector<float>(Unsafe.Add(ref ap, o4));
                    s40 = Vector.FusedMultiplyAdd(x, b0, s40); s41 = Vector.FusedMultiplyAdd(x, b1, s41);
                    x = new Vector<float>(Unsafe.Add(ref ap, o5));
                    s50 = Vector.FusedMultiplyAdd(x, b0, s50); s51 = Vector.FusedMultiplyAdd(x, b1, s51);
                }
            }
            Store(s00, ref c0, Row(0) * n + j); Store(s01, ref c0, Row(0) * n + j + w);
            if (count > 1) { Store(s10, ref c0, Row(1) * n + j); Store(s11, ref c0, Row(1) * n + j + w); }
            if (count > 2) { Store(s20, ref c0, Row(2) * n + j); Store(s21, ref c0, Row(2) * n + j + w); }
            if (count > 3) { Store(s30, ref c0, Row(3) * n + j); Store(s31, ref c0, Row(3) * n + j + w); }
            if (count > 4) { Store(s40, ref c0, Row(4) * n + j); Store(s41, ref c0, Row(4) * n + j + w); }
            if (count > 5) { Store(s50, ref c0, Row(5) * n + j); Store(s51, ref c0, Row(5) * n + j + w); }
        }
    }

    // Rows first … first + count − 1 of C, one vector at a time (C's rows one vector wide: a one-channel kernel's nine).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile12x1(ReadOnlyRowBlocks<float> a, int aRowStride, ReadOnlyRowBlocks<float> b, Span<float> c, ReadOnlySpan<int> at, int first, int count, int k, int n, bool accumulate)
    {
        var w = Vector<float>.Count;
        int Row(int r) => first + Math.Min(r, count - 1);
        int o0 = at[Row(0)], o1 = at[Row(1)], o2 = at[Row(2)], o3 = at[Row(3)], o4 = at[Row(4)], o5 = at[Row(5)],
            o6 = at[Row(6)], o7 = at[Row(7)], o8 = at[Row(8)], o9 = at[Row(9)], o10 = at[Row(10)], o11 = at[Row(11)];
        ref var c0 = ref MemoryMarshal.GetReference(c);
        for (var j = 0; j < n; j += w)
        {
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default,
                s6 = default, s7 = default, s8 = default, s9 = default, s10 = default, s11 = default;
            if (accumulate)
            {
                s0 = Load(ref c0, Row(0) * n + j); s1 = Load(ref c0, Row(1) * n + j); s2 = Load(ref c0, Row(2) * n + j);
                s3 = Load(ref c0, Row(3) * n + j); s4 = Load(ref c0, Row(4) * n + j); s5 = Load(ref c0, Row(5) * n + j);
                s6 = Load(ref c0, Row(6) * n + j); s7 = Load(ref c0, Row(7) * n + j); s8 = Load(ref c0, Row(8) * n + j);
                s9 = Load(ref c0, Row(9) * n + j); s10 = Load(ref c0, Row(10) * n + j); s11 = Load(ref c0, Row(11) * n + j);
            }
            for (var t = 0; t < a.Batches; t++)
            {
                ref var ap = ref MemoryMarshal.GetReference(a[t]);
                ref var bp = ref Unsafe.Add(ref MemoryMarshal.GetReference(b[t]), j);
                for (var p = 0; p < k; p++, ap = ref Unsafe.Add(ref ap, aRowStride), bp = ref Unsafe.Add(ref bp, n))
                {
                    var bv = Load(ref bp, 0);
                    s0 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o0)), bv, s0);
                    s1 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o1)), bv, s1);
                    s2 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o2)), bv, s2);
                    s3 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o3)), bv, s3);
                    s4 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o4)), bv, s4);
                    s5 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o5)), bv, s5);
                    s6 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o6)), bv, s6);
                    s7 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o7)), bv, s7);
                    s8 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o8)), bv, s8);
                    s9 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o9)), bv, s9);
                    s10 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o10)), bv, s10);
                    s11 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref ap, o11)), bv, s11);
                }
            }
            Store(s0, ref c0, Row(0) * n + j);
            if (count > 1) Store(s1, ref c0, Row(1) * n + j);
            if (count > 2) Store(s2, ref c0, Row(2) * n + j);
            if (count > 3) Store(s3, ref c0, Row(3) * n + j);
            if (count > 4) Store(s4, ref c0, Row(4) * n + j);
            if (count > 5) Store(s5, ref c0, Row(5) * n + j);
            if (count > 6) Store(s6, ref c0, Row(6) * n + j);
            if (count > 7) Store(s7, ref c0, Row(7) * n + j);
            if (count > 8) Store(s8, ref c0, Row(8) * n + j);
            if (count > 9) Store(s9, ref c0, Row(9) * n + j);
            if (count > 10) Store(s10, ref c0, Row(10) * n + j);
            if (count > 11) Store(s11, ref c0, Row(11) * n + j);
        }
    }

    // C[m×n] (+)= Σ_t A_tᵀ·B_t for at most four rows of C (a one-channel convolution's kernel row): the rows' accumulators
    // stay in registers across every block of the batch, instead of one small product per block. Sizes checked by the caller.
    private static bool FewRows(ReadOnlyRowBlocks<float> a, int aColumnStride, ReadOnlyRowBlocks<float> b, Span<float> c, int m, int k, int n, bool accumulate)
    {
        var w = Vector<float>.Count;
        if (m < 1 || m > 4 || n % w != 0 || a.Batches < 2 || k == 0) return false;
        // Rows past m repeat the last one (read, never stored), so every read stays inside A.
        int r1 = Math.Min(1, m - 1), r2 = Math.Min(2, m - 1), r3 = Math.Min(3, m - 1);
        ref var c0 = ref MemoryMarshal.GetReference(c);
        for (var j = 0; j < n; j += w)
        {
            Vector<float> s0 = Vector<float>.Zero, s1 = Vector<float>.Zero, s2 = Vector<float>.Zero, s3 = Vector<float>.Zero;
            if (accumulate)
            {
                s0 = Load(ref c0, j);
                s1 = Load(ref c0, r1 * n + j);
                s2 = Load(ref c0, r2 * n + j);
                s3 = Load(ref c0, r3 * n + j);
            }
            for (var t = 0; t < a.Batches; t++)
            {
                ref var at = ref MemoryMarshal.GetReference(a[t]);
                ref var bt = ref MemoryMarshal.GetReference(b[t]);
                for (var p = 0; p < k; p++)
                {
                    var bv = Load(ref bt, p * n + j);
                    var ap = p * aColumnStride;
                    s0 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref at, ap)), bv, s0);
                    s1 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref at, ap + r1)), bv, s1);
                    s2 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref at, ap + r2)), bv, s2);
                    s3 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref at, ap + r3)), bv, s3);
                }
            }
            // Stored last row first, so a repeated row ends with row m − 1's own sum.
            Store(s3, ref c0, r3 * n + j);
            Store(s2, ref c0, r2 * n + j);
            Store(s1, ref c0, r1 * n + j);
            Store(s0, ref c0, j);
        }
        return true;
    }

    /// <summary>
    /// <c>C_t[m×n] (+)= A_t · B</c> for every block t of a batch, where A_t's m rows of k values start every
    /// <paramref name="aRowStride"/> elements (rows may overlap: a sliding window) and B is [k×n].
    /// </summary>
    public static void Multiply(ReadOnlyRowBlocks<float> a, int aRowStride, ReadOnlySpan<float> b, RowBlocks<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckBatches(a.Batches, c.Batches);
        if (aRowStride <= 0) throw new ArgumentOutOfRangeException(nameof(aRowStride), "The row stride must be positive.");
        var needA = m == 0 ? 0 : (m - 1) * aRowStride + k;
        for (var t = 0; t < a.Batches; t++)
        {
            CheckSizes(a[t].Length, needA, b.Length, k * n, c[t].Length, m * n);
            Kernel(a[t], aRowStride, 1, b, c[t], m, k, n, accumulate);
        }
    }

    private static void CheckBatches(int a, int c)
    {
        if (a != c) throw new ArgumentException($"A has {a} blocks, C {c}.");
    }

    /// <summary>
    /// A per-thread buffer of at least <paramref name="length"/> floats for generated code (a product it scatters, e.g. a
    /// transposed convolution's patch gradients): reused, so no allocation once it is large enough; valid until the next
    /// call on the same thread. Its contents are undefined.
    /// </summary>
    public static Span<float> Workspace(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (_workspace is null || _workspace.Length < length) _workspace = new float[Math.Max(length, 1024)];
        return _workspace.AsSpan(0, length);
    }

    /// <summary>
    /// <c>V[s, m + i, n + j, l] += Σ_t D[s, m, n, t] · K[i, j, l, t]</c> for the images <paramref name="firstImage"/> ≤ s &lt;
    /// <paramref name="imageEnd"/> and the rows <paramref name="firstRow"/> ≤ m &lt; <paramref name="rowEnd"/> of D
    /// [·, dRows, dCols, channels], with K [kRows, kCols, vChannels, channels] and V [·, vRows, vCols, vChannels]: a
    /// convolution's ∂L/∂X (a transposed convolution) as im2col's adjoint. Per chunk of images one product
    /// G = D · K_flatᵀ (every output position against the whole kernel, in a per-thread workspace of about 256 Ki floats),
    /// then each row of G added back where its (i, j, l) block belongs, a run of kCols · vChannels values per (m, n, i).
    /// The images run in parts on the cores; each element of V receives the same additions in the same order in any part.
    /// The caller checks that the windows fit: <c>rowEnd + kRows − 1 ≤ vRows</c>, <c>dCols + kCols − 1 ≤ vCols</c>.
    /// </summary>
    public static void TransposedConvolution(ReadOnlySpan<float> d, int dRows, int dCols, int channels, ReadOnlySpan<float> k, int kRows, int kCols,
        Span<float> v, int vRows, int vCols, int vChannels, int firstImage, int imageEnd, int firstRow, int rowEnd)
    {
        if (firstImage < 0 || firstRow < 0 || rowEnd > dRows || rowEnd + kRows - 1 > vRows || dCols + kCols - 1 > vCols)
            throw new ArgumentException("The kernel's windows do not fit the output.");
        int run = kCols * vChannels, width = kRows * run, rows = (rowEnd - firstRow) * dCols;
        if (imageEnd <= firstImage || rows <= 0 || width <= 0) return;
        CheckSizes(d.Length, imageEnd * dRows * dCols * channels, k.Length, width * channels, v.Length, imageEnd * vRows * vCols * vChannels);
        var work = (long)(imageEnd - firstImage) * rows * width * channels;
        if (imageEnd - firstImage < 2 || work < Threads.MinimumWork || Threads.Available == 1)
            TransposedConvolutionImages(d, dRows, dCols, channels, k, kRows, kCols, v, vRows, vCols, vChannels, firstImage, imageEnd, firstRow, rowEnd);
        else
            unsafe
            {
                fixed (float* pd = d, pk = k, pv = v)
                    TransposedConvolutionInParts((IntPtr)pd, d.Length, dRows, dCols, channels, (IntPtr)pk, k.Length, kRows, kCols, (IntPtr)pv, v.Length, vRows, vCols, vChannels,
                        firstImage, imageEnd, firstRow, rowEnd, work);
            }
    }

    // (Separate, so that the one-thread path allocates no closure.)
    private static unsafe void TransposedConvolutionInParts(IntPtr dp, int dLength, int dRows, int dCols, int channels, IntPtr kp, int kLength, int kRows, int kCols,
        IntPtr vp, int vLength, int vRows, int vCols, int vChannels, int firstImage, int imageEnd, int firstRow, int rowEnd, long work) =>
        Threads.For(imageEnd - firstImage, 1, work, (first, end) => TransposedConvolutionImages(new ReadOnlySpan<float>((float*)dp, dLength), dRows, dCols, channels,
            new ReadOnlySpan<float>((float*)kp, kLength), kRows, kCols, new Span<float>((float*)vp, vLength), vRows, vCols, vChannels, firstImage + first, firstImage + end, firstRow, rowEnd));

    private static void TransposedConvolutionImages(ReadOnlySpan<float> d, int dRows, int dCols, int channels, ReadOnlySpan<float> k, int kRows, int kCols,
        Span<float> v, int vRows, int vCols, int vChannels, int firstImage, int imageEnd, int firstRow, int rowEnd)
    {
        int run = kCols * vChannels, width = kRows * run, rows = (rowEnd - firstRow) * dCols;
        // Consecutive images' rows are consecutive in D when every row of each is taken; otherwise one image at a time.
        var chunk = firstRow == 0 && rowEnd == dRows ? Math.Max(1, 262144 / (rows * width)) : 1;
        var patchGradients = Workspace(Math.Min(chunk, imageEnd - firstImage) * rows * width);
        var kernel = k.Slice(0, width * channels);
        for (var first = firstImage; first < imageEnd; first += chunk)
        {
            var images = Math.Min(chunk, imageEnd - first);
            MultiplyTransposedB(d.Slice((first * dRows + firstRow) * dCols * channels, images * rows * channels), kernel, patchGradients.Slice(0, images * rows * width),
                images * rows, channels, width);
            var offset = 0;
            for (var s = first; s < first + images; s++)
                for (var m = firstRow; m < rowEnd; m++)
                    for (var n = 0; n < dCols; n++)
                        for (var i = 0; i < kRows; i++, offset += run)
                            AddTo(patchGradients.Slice(offset, run), v.Slice(((s * vRows + m + i) * vCols + n) * vChannels, run));
        }
    }

    /// <summary><c>target[i] += source[i]</c> (the lengths must agree): a run of a product added back where it belongs.</summary>
    public static void AddTo(ReadOnlySpan<float> source, Span<float> target)
    {
        if (source.Length != target.Length) throw new ArgumentException($"The source has {source.Length} elements, the target {target.Length}.");
        System.Numerics.Tensors.TensorPrimitives.Add(target, source, target);
    }

    /// <summary><c>sum[j] += Σ_i rows[i, j]</c>: the rows of a row-major block (its length a multiple of sum's) added into <paramref name="sum"/> (bias gradients).</summary>
    public static void AddRows(ReadOnlySpan<float> rows, Span<float> sum)
    {
        var n = sum.Length;
        if (n == 0) return;
        if (rows.Length % n != 0) throw new ArgumentException($"The block has {rows.Length} elements, not a multiple of {n}.");
        var w = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && n % w == 0 && n <= 4 * w)
        {
            // Short rows (a convolution's few channels): each vector of columns summed in a register down all the rows, the
            // same additions in the same order as row by row.
            ref var r0 = ref MemoryMarshal.GetReference(rows);
            ref var s0 = ref MemoryMarshal.GetReference(sum);
            for (var j = 0; j < n; j += w)
            {
                var total = Load(ref s0, j);
                for (var offset = j; offset < rows.Length; offset += n) total += Load(ref r0, offset);
                Store(total, ref s0, j);
            }
            return;
        }
        for (var offset = 0; offset < rows.Length; offset += n) System.Numerics.Tensors.TensorPrimitives.Add(sum, rows.Slice(offset, n), sum);
    }

    /// <summary>
    /// <c>Y[s, m, n, :] (+)= Σ_{i,j,l} X[s, m + i, n + j, l] · W[i, j, l, :]</c>: a stride-1, unpadded convolution of X
    /// [batch, height, width, channels] with W [kernel, kernel, channels, outChannels], computed directly (no im2col),
    /// for when a kernel window holds few terms (<see cref="DirectConvolution"/>): eight output positions at a time, each
    /// a chain of fused multiply-adds over the window's terms in (i, j, l) order. Images in parts on the cores.
    /// </summary>
    public static void Convolve(ReadOnlySpan<float> x, int batch, int height, int width, int channels, ReadOnlySpan<float> w, int kernel, int outChannels, Span<float> y, bool accumulate)
    {
        if (!DirectConvolution(kernel, channels, outChannels)) throw new ArgumentException("The direct convolution takes a window of at most 32 terms and out channels in whole vectors.");
        int oh = height - kernel + 1, ow = width - kernel + 1;
        if (batch <= 0 || oh <= 0 || ow <= 0) return;
        CheckSizes(x.Length, batch * height * width * channels, w.Length, kernel * kernel * channels * outChannels, y.Length, batch * oh * ow * outChannels);
        var work = (long)batch * oh * ow * kernel * kernel * channels * outChannels;
        if (batch < 2 || work < Threads.MinimumWork || Threads.Available == 1)
            ConvolveImages(x, height, width, channels, w, kernel, outChannels, y, 0, batch, accumulate);
        else
            unsafe
            {
                fixed (float* px = x, pw = w, py = y)
                    ConvolveInParts((IntPtr)px, x.Length, height, width, channels, (IntPtr)pw, w.Length, kernel, outChannels, (IntPtr)py, y.Length, batch, accumulate, work);
            }
    }

    /// <summary>Whether <see cref="Convolve"/> takes these sizes: at most 32 terms per window, out channels in whole vectors.</summary>
    public static bool DirectConvolution(int kernel, int channels, int outChannels) =>
        Vector.IsHardwareAccelerated && kernel > 0 && channels > 0 && kernel * kernel * channels <= 32 && outChannels > 0 && outChannels % Vector<float>.Count == 0;

    // (Separate, so that the one-thread path allocates no closure.)
    private static unsafe void ConvolveInParts(IntPtr xp, int xLength, int height, int width, int channels, IntPtr wp, int wLength, int kernel, int outChannels,
        IntPtr yp, int yLength, int batch, bool accumulate, long work) =>
        Threads.For(batch, 1, work, (first, end) => ConvolveImages(new ReadOnlySpan<float>((float*)xp, xLength), height, width, channels,
            new ReadOnlySpan<float>((float*)wp, wLength), kernel, outChannels, new Span<float>((float*)yp, yLength), first, end, accumulate));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ConvolveImages(ReadOnlySpan<float> x, int height, int width, int channels, ReadOnlySpan<float> w, int kernel, int outChannels, Span<float> y,
        int first, int end, bool accumulate)
    {
        int oh = height - kernel + 1, ow = width - kernel + 1, terms = kernel * kernel * channels, lanes = Vector<float>.Count;
        // The window's terms as offsets from its corner.
        Span<int> at = stackalloc int[terms];
        for (var i = 0; i < kernel; i++)
            for (var j = 0; j < kernel; j++)
                for (var l = 0; l < channels; l++) at[(i * kernel + j) * channels + l] = (i * width + j) * channels + l;
        ref var x0 = ref MemoryMarshal.GetReference(x);
        ref var w0 = ref MemoryMarshal.GetReference(w);
        ref var y0 = ref MemoryMarshal.GetReference(y);
        for (var s = first; s < end; s++)
            for (var m = 0; m < oh; m++)
                for (var v = 0; v < outChannels; v += lanes)
                {
                    var n = 0;
                    for (; n + 8 <= ow; n += 8)
                    {
                        var corner = ((s * height + m) * width + n) * channels;
                        var output = ((s * oh + m) * ow + n) * outChannels + v;
                        Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                        if (accumulate)
                        {
                            a0 = Load(ref y0, output); a1 = Load(ref y0, output + outChannels); a2 = Load(ref y0, output + 2 * outChannels);
                            a3 = Load(ref y0, output + 3 * outChannels); a4 = Load(ref y0, output + 4 * outChannels); a5 = Load(ref y0, output + 5 * outChannels);
                            a6 = Load(ref y0, output + 6 * outChannels); a7 = Load(ref y0, output + 7 * outChannels);
                        }
                        for (var t = 0; t < terms; t++)
                        {
                            var weights = Load(ref w0, t * outChannels + v);
                            ref var p = ref Unsafe.Add(ref x0, corner + at[t]);
                            a0 = Vector.FusedMultiplyAdd(new Vector<float>(p), weights, a0);
                            a1 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref p, channels)), weights, a1);
                            a2 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref p, 2 * channels)), weights, a2);
                            a3 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref p, 3 * channels)), weights, a3);
                            a4 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref p, 4 * channels)), weights, a4);
                            a5 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref p, 5 * channels)), weights, a5);
                            a6 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref p, 6 * channels)), weights, a6);
                            a7 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref p, 7 * channels)), weights, a7);
                        }
                        Store(a0, ref y0, output); Store(a1, ref y0, output + outChannels); Store(a2, ref y0, output + 2 * outChannels);
                        Store(a3, ref y0, output + 3 * outChannels); Store(a4, ref y0, output + 4 * outChannels); Store(a5, ref y0, output + 5 * outChannels);
                        Store(a6, ref y0, output + 6 * outChannels); Store(a7, ref y0, output + 7 * outChannels);
                    }
                    for (; n < ow; n++)
                    {
                        var corner = ((s * height + m) * width + n) * channels;
                        var output = ((s * oh + m) * ow + n) * outChannels + v;
                        var a = accumulate ? Load(ref y0, output) : default;
                        for (var t = 0; t < terms; t++)
                            a = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref x0, corner + at[t])), Load(ref w0, t * outChannels + v), a);
                        Store(a, ref y0, output);
                    }
                }
    }

    // ---- Reductions in fixed chunks ----
    // A product whose C has few rows (a one-channel convolution's nine kernel weights against a batch-long shared
    // dimension) cannot be split by rows. Its shared dimension (or its blocks) is cut into chunks whose size follows from
    // the shapes alone, never from the thread count: each chunk's product goes to its own partial C, the chunks run in
    // parts on the cores, and the partials are added into C in chunk order. One thread computes the same chunks one by one,
    // so the bits are the same on 1, 2 or 16 threads.

    // Fewer rows of C than this: the shared dimension is split instead of the rows.
    private const int ReductionRows = 32;
    // At most this many chunks, each of at least Threads.MinimumWork multiply-adds, partials of at most PartialLimit floats.
    private const int MaxChunks = 32;
    private const long PartialLimit = 1 << 14;

    [ThreadStatic] private static float[]? _partials;

    // Shared rows per chunk, or 0 when the product stays whole (too little work, or partials too large).
    private static int SharedChunk(int k, long cells)
    {
        if (cells == 0 || cells > PartialLimit) return 0;
        var per = Math.Max((Threads.MinimumWork + cells - 1) / cells, (k + MaxChunks - 1) / MaxChunks);
        return per >= k ? 0 : (int)per;
    }

    // Blocks per chunk for a product over blocks of a batch (each block workPerBlock multiply-adds), or 0.
    private static int BlockChunk(int blocks, long workPerBlock, long cells)
    {
        if (cells == 0 || cells > PartialLimit || workPerBlock == 0) return 0;
        var per = Math.Max((Threads.MinimumWork + workPerBlock - 1) / workPerBlock, (blocks + MaxChunks - 1) / MaxChunks);
        return per >= blocks ? 0 : (int)per;
    }

    private static Span<float> Partials(int length)
    {
        if (_partials is null || _partials.Length < length) _partials = new float[Math.Max(length, 1024)];
        return _partials.AsSpan(0, length);
    }

    // C (+)= Σ partials, in chunk order.
    private static void AddPartials(ReadOnlySpan<float> partials, int chunks, Span<float> c, int cells, bool accumulate)
    {
        var target = c.Slice(0, cells);
        if (!accumulate) partials.Slice(0, cells).CopyTo(target);
        for (var chunk = accumulate ? 0 : 1; chunk < chunks; chunk++)
            System.Numerics.Tensors.TensorPrimitives.Add(target, partials.Slice(chunk * cells, cells), target);
    }

    // Aᵀ·B (A [k×m], B [k×n]) with k in chunks of `per` rows.
    private static unsafe void SharedInChunks(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, int per, bool accumulate)
    {
        var chunks = (k + per - 1) / per;
        var cells = m * n;
        var partials = Partials(chunks * cells);
        if ((long)m * k * n < Threads.MinimumWork || Threads.Available == 1)
            for (var chunk = 0; chunk < chunks; chunk++) SharedChunkProduct(a, b, partials, m, k, n, per, chunk);
        else
            fixed (float* pa = a, pb = b, pp = partials)
                SharedChunksInParts((IntPtr)pa, a.Length, (IntPtr)pb, b.Length, (IntPtr)pp, partials.Length, m, k, n, per, chunks);
        AddPartials(partials, chunks, c, cells, accumulate);
    }

    private static void SharedChunkProduct(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> partials, int m, int k, int n, int per, int chunk)
    {
        var first = chunk * per;
        var rows = Math.Min(per, k - first);
        Kernel(a.Slice(first * m), 1, m, b.Slice(first * n), partials.Slice(chunk * m * n, m * n), m, rows, n, accumulate: false);
    }

    // (Separate, so that the one-thread path allocates no closure.)
    private static unsafe void SharedChunksInParts(IntPtr ap, int aLength, IntPtr bp, int bLength, IntPtr pp, int pLength, int m, int k, int n, int per, int chunks) =>
        Threads.For(chunks, 1, (long)m * k * n, (first, end) =>
        {
            for (var chunk = first; chunk < end; chunk++)
                SharedChunkProduct(new ReadOnlySpan<float>((float*)ap, aLength), new ReadOnlySpan<float>((float*)bp, bLength), new Span<float>((float*)pp, pLength), m, k, n, per, chunk);
        });

    // The grouped Aᵀ·B with the batch's blocks in chunks of `per`.
    private static unsafe void GroupedInChunks(ReadOnlyRowBlocks<float> a, int aRowStride, int groups, int groupStride, ReadOnlyRowBlocks<float> b, Span<float> c, int m, int k, int n, int per, bool accumulate)
    {
        var chunks = (a.Batches + per - 1) / per;
        var cells = groups * m * n;
        var partials = Partials(chunks * cells);
        if ((long)a.Batches * groups * m * k * n < Threads.MinimumWork || Threads.Available == 1)
            for (var chunk = 0; chunk < chunks; chunk++) GroupedChunkProduct(a, aRowStride, groups, groupStride, b, partials, m, k, n, per, chunk);
        else
            fixed (float* pa = a.Span, pb = b.Span, pp = partials)
                GroupedChunksInParts((IntPtr)pa, a.Span.Length, a.Stride, a.BlockLength, (IntPtr)pb, b.Span.Length, b.Stride, b.BlockLength, a.Batches,
                    aRowStride, groups, groupStride, (IntPtr)pp, partials.Length, m, k, n, per, chunks);
        AddPartials(partials, chunks, c, cells, accumulate);
    }

    private static void GroupedChunkProduct(ReadOnlyRowBlocks<float> a, int aRowStride, int groups, int groupStride, ReadOnlyRowBlocks<float> b, Span<float> partials, int m, int k, int n, int per, int chunk)
    {
        var first = chunk * per;
        var blocks = Math.Min(per, a.Batches - first);
        Grouped(Blocks(a, first, blocks), aRowStride, groups, groupStride, Blocks(b, first, blocks), partials.Slice(chunk * groups * m * n, groups * m * n), m, k, n, accumulate: false);
    }

    // Blocks first … first + count − 1 of a batch.
    private static ReadOnlyRowBlocks<float> Blocks(ReadOnlyRowBlocks<float> x, int first, int count) =>
        new(x.Span.Slice(first * x.Stride, (count - 1) * x.Stride + x.BlockLength), x.Stride, count, x.BlockLength);

    private static unsafe void GroupedChunksInParts(IntPtr ap, int aLength, int aStride, int aBlock, IntPtr bp, int bLength, int bStride, int bBlock, int batches,
        int aRowStride, int groups, int groupStride, IntPtr pp, int pLength, int m, int k, int n, int per, int chunks) =>
        Threads.For(chunks, 1, (long)batches * groups * m * k * n, (first, end) =>
        {
            var a = new ReadOnlyRowBlocks<float>(new ReadOnlySpan<float>((float*)ap, aLength), aStride, batches, aBlock);
            var b = new ReadOnlyRowBlocks<float>(new ReadOnlySpan<float>((float*)bp, bLength), bStride, batches, bBlock);
            for (var chunk = first; chunk < end; chunk++)
                GroupedChunkProduct(a, aRowStride, groups, groupStride, b, new Span<float>((float*)pp, pLength), m, k, n, per, chunk);
        });

    // Blocks of the shared dimension: a block of B (BlockK rows) stays in cache while every tile of C runs over it.
    private const int BlockK = 256;

    // Rows of C in parts on the cores (Threads.For), each part the kernel on its rows. Every tile (and the scalar tail)
    // computes an element as the same chain of fused multiply-adds over the shared dimension in order, which is never
    // split: the same bits on any number of threads. Parts start at multiples of 8 rows, whole tiles.
    private const int RowGrain = 8;

    private static unsafe void Rows(ReadOnlySpan<float> a, int rowStride, int colStride, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate)
    {
        var work = (long)m * k * n;
        if (m < 2 * RowGrain || work < Threads.MinimumWork || Threads.Available == 1)
        {
            Kernel(a, rowStride, colStride, b, c, m, k, n, accumulate);
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
            RowsInParts((IntPtr)pa, a.Length, rowStride, colStride, (IntPtr)pb, b.Length, (IntPtr)pc, m, k, n, accumulate, work);
    }

    // (Separate, so that the one-thread path allocates no closure.)
    private static unsafe void RowsInParts(IntPtr ap, int aLength, int rowStride, int colStride, IntPtr bp, int bLength, IntPtr cp, int m, int k, int n, bool accumulate, long work) =>
        Threads.For(m, RowGrain, work, (first, end) =>
        {
            var offset = first * rowStride;
            Kernel(new ReadOnlySpan<float>((float*)ap + offset, aLength - offset), rowStride, colStride, new ReadOnlySpan<float>((float*)bp, bLength),
                new Span<float>((float*)cp + first * n, (end - first) * n), end - first, k, n, accumulate);
        });

    // C[i, j] (+)= Σ_p A(i, p) B[p, j] with A(i, p) = a[i·rowStride + p·colStride].
    private static void Kernel(ReadOnlySpan<float> a, int rowStride, int colStride, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate)
    {
        ref var a0 = ref MemoryMarshal.GetReference(a);
        ref var b0 = ref MemoryMarshal.GetReference(b);
        ref var c0 = ref MemoryMarshal.GetReference(c);
        if (k == 0)
        {
            if (!accumulate) c.Slice(0, m * n).Clear();
            return;
        }
        for (var k0 = 0; k0 < k; k0 += BlockK)
            Block(ref Unsafe.Add(ref a0, k0 * colStride), rowStride, colStride, ref Unsafe.Add(ref b0, k0 * n), ref c0, m, Math.Min(BlockK, k - k0), n, accumulate || k0 > 0);
    }

    private static void Block(ref float a0, int rowStride, int colStride, ref float b0, ref float c0, int m, int k, int n, bool accumulate)
    {
        var w = Vector<float>.Count;
        var i = 0;
        // One vector wide (a convolution's channels): eight rows at a time keep more accumulators busy per load of B.
        if (n == w)
            for (; i + 8 <= m; i += 8) Tile8x1(ref a0, rowStride, colStride, ref b0, ref c0, i, 0, k, n, accumulate);
        // With AVX-512, sixteen-lane vectors: eight rows × two of them (sixteen of the thirty-two registers).
        if (WideVectors && n >= 32)
            for (; i + 8 <= m; i += 8)
            {
                var j = 0;
                for (; j + 32 <= n; j += 32) Tile8x2Wide(ref a0, rowStride, colStride, ref b0, ref c0, i, j, k, n, accumulate);
                for (; j + w <= n; j += w)
                {
                    Tile4x1(ref a0, rowStride, colStride, ref b0, ref c0, i, j, k, n, accumulate);
                    Tile4x1(ref a0, rowStride, colStride, ref b0, ref c0, i + 4, j, k, n, accumulate);
                }
                for (; j < n; j++)
                    for (var r = 0; r < 8; r++) Scalar(ref a0, rowStride, colStride, ref b0, ref c0, i + r, j, k, n, accumulate);
            }
        // Six rows × two vectors: twelve accumulators, two loads of B and six broadcasts of A per step of the shared
        // dimension (of sixteen vector registers), so each loaded vector of B feeds six fused multiply-adds.
        if (n >= 2 * w)
            for (; i + 6 <= m; i += 6)
            {
                var j = 0;
                for (; j + 2 * w <= n; j += 2 * w) Tile6x2(ref a0, rowStride, colStride, ref b0, ref c0, i, j, k, n, accumulate);
                for (; j + w <= n; j += w)
                {
                    Tile4x1(ref a0, rowStride, colStride, ref b0, ref c0, i, j, k, n, accumulate);
                    Tile1x1(ref a0, rowStride, colStride, ref b0, ref c0, i + 4, j, k, n, accumulate);
                    Tile1x1(ref a0, rowStride, colStride, ref b0, ref c0, i + 5, j, k, n, accumulate);
                }
                for (; j < n; j++)
                    for (var r = 0; r < 6; r++) Scalar(ref a0, rowStride, colStride, ref b0, ref c0, i + r, j, k, n, accumulate);
            }
        for (; i + 4 <= m; i += 4)
        {
            var j = 0;
            for (; j + 2 * w <= n; j += 2 * w) Tile4x2(ref a0, rowStride, colStride, ref b0, ref c0, i, j, k, n, accumulate);
            for (; j + w <= n; j += w) Tile4x1(ref a0, rowStride, colStride, ref b0, ref c0, i, j, k, n, accumulate);
            for (; j < n; j++)
                for (var r = 0; r < 4; r++) Scalar(ref a0, rowStride, colStride, ref b0, ref c0, i + r, j, k, n, accumulate);
        }
        for (; i < m; i++)
        {
            var j = 0;
            for (; j + w <= n; j += w) Tile1x1(ref a0, rowStride, colStride, ref b0, ref c0, i, j, k, n, accumulate);
            for (; j < n; j++) Scalar(ref a0, rowStride, colStride, ref b0, ref c0, i, j, k, n, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x2(ref float a, int rs, int cs, ref float b, ref float c, int i, int j, int k, int n, bool accumulate)
    {
        var w = Vector<float>.Count;
        Vector<float> c00, c01, c10, c11, c20, c21, c30, c31;
        if (accumulate)
        {
            c00 = Load(ref c, i * n + j); c01 = Load(ref c, i * n + j + w);
            c10 = Load(ref c, (i + 1) * n + j); c11 = Load(ref c, (i + 1) * n + j + w);
            c20 = Load(ref c, (i + 2) * n + j); c21 = Load(ref c, (i + 2) * n + j + w);
            c30 = Load(ref c, (i + 3) * n + j); c31 = Load(ref c, (i + 3) * n + j + w);
        }
        else c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = Vector<float>.Zero;
        var ai = i * rs;
        for (var p = 0; p < k; p++)
        {
            var b0 = Load(ref b, p * n + j);
            var b1 = Load(ref b, p * n + j + w);
            var ap = ai + p * cs;
            var x0 = new Vector<float>(Unsafe.Add(ref a, ap));
            var x1 = new Vector<float>(Unsafe.Add(ref a, ap + rs));
            var x2 = new Vector<float>(Unsafe.Add(ref a, ap + 2 * rs));
            var x3 = new Vector<float>(Unsafe.Add(ref a, ap + 3 * rs));
            c00 = Vector.FusedMultiplyAdd(x0, b0, c00); c01 = Vector.FusedMultiplyAdd(x0, b1, c01);
            c10 = Vector.FusedMultiplyAdd(x1, b0, c10); c11 = Vector.FusedMultiplyAdd(x1, b1, c11);
            c20 = Vector.FusedMultiplyAdd(x2, b0, c20); c21 = Vector.FusedMultiplyAdd(x2, b1, c21);
            c30 = Vector.FusedMultiplyAdd(x3, b0, c30); c31 = Vector.FusedMultiplyAdd(x3, b1, c31);
        }
        Store(c00, ref c, i * n + j); Store(c01, ref c, i * n + j + w);
        Store(c10, ref c, (i + 1) * n + j); Store(c11, ref c, (i + 1) * n + j + w);
        Store(c20, ref c, (i + 2) * n + j); Store(c21, ref c, (i + 2) * n + j + w);
        Store(c30, ref c, (i + 3) * n + j); Store(c31, ref c, (i + 3) * n + j + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile8x2Wide(ref float a, int rs, int cs, ref float b, ref float c, int i, int j, int k, int n, bool accumulate)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        ref var ci = ref Unsafe.Add(ref c, i * n + j);
        if (accumulate)
        {
            c00 = Vector512.LoadUnsafe(ref ci); c01 = Vector512.LoadUnsafe(ref ci, 16);
            c10 = Vector512.LoadUnsafe(ref ci, (nuint)n); c11 = Vector512.LoadUnsafe(ref ci, (nuint)n + 16);
            c20 = Vector512.LoadUnsafe(ref ci, (nuint)(2 * n)); c21 = Vector512.LoadUnsafe(ref ci, (nuint)(2 * n) + 16);
            c30 = Vector512.LoadUnsafe(ref ci, (nuint)(3 * n)); c31 = Vector512.LoadUnsafe(ref ci, (nuint)(3 * n) + 16);
            c40 = Vector512.LoadUnsafe(ref ci, (nuint)(4 * n)); c41 = Vector512.LoadUnsafe(ref ci, (nuint)(4 * n) + 16);
            c50 = Vector512.LoadUnsafe(ref ci, (nuint)(5 * n)); c51 = Vector512.LoadUnsafe(ref ci, (nuint)(5 * n) + 16);
            c60 = Vector512.LoadUnsafe(ref ci, (nuint)(6 * n)); c61 = Vector512.LoadUnsafe(ref ci, (nuint)(6 * n) + 16);
            c70 = Vector512.LoadUnsafe(ref ci, (nuint)(7 * n)); c71 = Vector512.LoadUnsafe(ref ci, (nuint)(7 * n) + 16);
        }
        else c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = Vector512<float>.Zero;
        ref var ai = ref Unsafe.Add(ref a, i * rs);
        ref var bj = ref Unsafe.Add(ref b, j);
        for (var p = 0; p < k; p++)
        {
            var b0 = Vector512.LoadUnsafe(ref bj);
            var b1 = Vector512.LoadUnsafe(ref bj, 16);
            var x = Vector512.Create(ai);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref ai, rs));
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref ai, 2 * rs));
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref ai, 3 * rs));
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref ai, 4 * rs));
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref ai, 5 * rs));
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref ai, 6 * rs));
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref ai, 7 * rs));
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            ai = ref Unsafe.Add(ref ai, cs);
            bj = ref Unsafe.Add(ref bj, n);
        }
        c00.StoreUnsafe(ref ci); c01.StoreUnsafe(ref ci, 16);
        c10.StoreUnsafe(ref ci, (nuint)n); c11.StoreUnsafe(ref ci, (nuint)n + 16);
        c20.StoreUnsafe(ref ci, (nuint)(2 * n)); c21.StoreUnsafe(ref ci, (nuint)(2 * n) + 16);
        c30.StoreUnsafe(ref ci, (nuint)(3 * n)); c31.StoreUnsafe(ref ci, (nuint)(3 * n) + 16);
        c40.StoreUnsafe(ref ci, (nuint)(4 * n)); c41.StoreUnsafe(ref ci, (nuint)(4 * n) + 16);
        c50.StoreUnsafe(ref ci, (nuint)(5 * n)); c51.StoreUnsafe(ref ci, (nuint)(5 * n) + 16);
        c60.StoreUnsafe(ref ci, (nuint)(6 * n)); c61.StoreUnsafe(ref ci, (nuint)(6 * n) + 16);
        c70.StoreUnsafe(ref ci, (nuint)(7 * n)); c71.StoreUnsafe(ref ci, (nuint)(7 * n) + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile6x2(ref float a, int rs, int cs, ref float b, ref float c, int i, int j, int k, int n, bool accumulate)
    {
        var w = Vector<float>.Count;
        Vector<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate)
        {
            c00 = Load(ref c, i * n + j); c01 = Load(ref c, i * n + j + w);
            c10 = Load(ref c, (i + 1) * n + j); c11 = Load(ref c, (i + 1) * n + j + w);
            c20 = Load(ref c, (i + 2) * n + j); c21 = Load(ref c, (i + 2) * n + j + w);
            c30 = Load(ref c, (i + 3) * n + j); c31 = Load(ref c, (i + 3) * n + j + w);
            c40 = Load(ref c, (i + 4) * n + j); c41 = Load(ref c, (i + 4) * n + j + w);
            c50 = Load(ref c, (i + 5) * n + j); c51 = Load(ref c, (i + 5) * n + j + w);
        }
        else c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector<float>.Zero;
        ref var ai = ref Unsafe.Add(ref a, i * rs);
        ref var bj = ref Unsafe.Add(ref b, j);
        for (var p = 0; p < k; p++)
        {
            var b0 = Vector.LoadUnsafe(ref bj);
            var b1 = Vector.LoadUnsafe(ref Unsafe.Add(ref bj, w));
            var x = new Vector<float>(ai);
            c00 = Vector.FusedMultiplyAdd(x, b0, c00); c01 = Vector.FusedMultiplyAdd(x, b1, c01);
            x = new Vector<float>(Unsafe.Add(ref ai, rs));
            c10 = Vector.FusedMultiplyAdd(x, b0, c10); c11 = Vector.FusedMultiplyAdd(x, b1, c11);
            x = new Vector<float>(Unsafe.Add(ref ai, 2 * rs));
            c20 = Vector.FusedMultiplyAdd(x, b0, c20); c21 = Vector.FusedMultiplyAdd(x, b1, c21);
            x = new Vector<float>(Unsafe.Add(ref ai, 3 * rs));
            c30 = Vector.FusedMultiplyAdd(x, b0, c30); c31 = Vector.FusedMultiplyAdd(x, b1, c31);
            x = new Vector<float>(Unsafe.Add(ref ai, 4 * rs));
            c40 = Vector.FusedMultiplyAdd(x, b0, c40); c41 = Vector.FusedMultiplyAdd(x, b1, c41);
            x = new Vector<float>(Unsafe.Add(ref ai, 5 * rs));
            c50 = Vector.FusedMultiplyAdd(x, b0, c50); c51 = Vector.FusedMultiplyAdd(x, b1, c51);
            ai = ref Unsafe.Add(ref ai, cs);
            bj = ref Unsafe.Add(ref bj, n);
        }
        Store(c00, ref c, i * n + j); Store(c01, ref c, i * n + j + w);
        Store(c10, ref c, (i + 1) * n + j); Store(c11, ref c, (i + 1) * n + j + w);
        Store(c20, ref c, (i + 2) * n + j); Store(c21, ref c, (i + 2) * n + j + w);
        Store(c30, ref c, (i + 3) * n + j); Store(c31, ref c, (i + 3) * n + j + w);
        Store(c40, ref c, (i + 4) * n + j); Store(c41, ref c, (i + 4) * n + j + w);
        Store(c50, ref c, (i + 5) * n + j); Store(c51, ref c, (i + 5) * n + j + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile8x1(ref float a, int rs, int cs, ref float b, ref float c, int i, int j, int k, int n, bool accumulate)
    {
        Vector<float> c0, c1, c2, c3, c4, c5, c6, c7;
        if (accumulate)
        {
            c0 = Load(ref c, i * n + j); c1 = Load(ref c, (i + 1) * n + j); c2 = Load(ref c, (i + 2) * n + j); c3 = Load(ref c, (i + 3) * n + j);
            c4 = Load(ref c, (i + 4) * n + j); c5 = Load(ref c, (i + 5) * n + j); c6 = Load(ref c, (i + 6) * n + j); c7 = Load(ref c, (i + 7) * n + j);
        }
        else c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = Vector<float>.Zero;
        var ai = i * rs;
        for (var p = 0; p < k; p++)
        {
            var bv = Load(ref b, p * n + j);
            var ap = ai + p * cs;
            c0 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap)), bv, c0);
            c1 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap + rs)), bv, c1);
            c2 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap + 2 * rs)), bv, c2);
            c3 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap + 3 * rs)), bv, c3);
            c4 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap + 4 * rs)), bv, c4);
            c5 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap + 5 * rs)), bv, c5);
            c6 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap + 6 * rs)), bv, c6);
            c7 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap + 7 * rs)), bv, c7);
        }
        Store(c0, ref c, i * n + j); Store(c1, ref c, (i + 1) * n + j); Store(c2, ref c, (i + 2) * n + j); Store(c3, ref c, (i + 3) * n + j);
        Store(c4, ref c, (i + 4) * n + j); Store(c5, ref c, (i + 5) * n + j); Store(c6, ref c, (i + 6) * n + j); Store(c7, ref c, (i + 7) * n + j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x1(ref float a, int rs, int cs, ref float b, ref float c, int i, int j, int k, int n, bool accumulate)
    {
        Vector<float> c0, c1, c2, c3;
        if (accumulate)
        {
            c0 = Load(ref c, i * n + j); c1 = Load(ref c, (i + 1) * n + j);
            c2 = Load(ref c, (i + 2) * n + j); c3 = Load(ref c, (i + 3) * n + j);
        }
        else c0 = c1 = c2 = c3 = Vector<float>.Zero;
        var ai = i * rs;
        for (var p = 0; p < k; p++)
        {
            var bv = Load(ref b, p * n + j);
            var ap = ai + p * cs;
            c0 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap)), bv, c0);
            c1 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap + rs)), bv, c1);
            c2 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap + 2 * rs)), bv, c2);
            c3 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ap + 3 * rs)), bv, c3);
        }
        Store(c0, ref c, i * n + j); Store(c1, ref c, (i + 1) * n + j);
        Store(c2, ref c, (i + 2) * n + j); Store(c3, ref c, (i + 3) * n + j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile1x1(ref float a, int rs, int cs, ref float b, ref float c, int i, int j, int k, int n, bool accumulate)
    {
        var acc = accumulate ? Load(ref c, i * n + j) : Vector<float>.Zero;
        var ai = i * rs;
        for (var p = 0; p < k; p++) acc = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref a, ai + p * cs)), Load(ref b, p * n + j), acc);
        Store(acc, ref c, i * n + j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scalar(ref float a, int rs, int cs, ref float b, ref float c, int i, int j, int k, int n, bool accumulate)
    {
        var acc = accumulate ? Unsafe.Add(ref c, i * n + j) : 0f;
        var ai = i * rs;
        for (var p = 0; p < k; p++) acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, ai + p * cs), Unsafe.Add(ref b, p * n + j), acc);
        Unsafe.Add(ref c, i * n + j) = acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float s, int offset) => Vector.LoadUnsafe(ref s, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> v, ref float s, int offset) => v.StoreUnsafe(ref s, (nuint)offset);

    private static void CheckSizes(int a, int needA, int b, int needB, int c, int needC)
    {
        if (a < needA) throw new ArgumentException($"A has {a} elements, needs {needA}.");
        if (b < needB) throw new ArgumentException($"B has {b} elements, needs {needB}.");
        if (c < needC) throw new ArgumentException($"C has {c} elements, needs {needC}.");
    }
}
