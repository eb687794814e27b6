using System.Linq;
using System;
using SymGrad.Tensors;

namespace SymGrad.Tests;

public class TensorTests
{
    [Fact]
    public void Views_ShareTheArray_AndIndexRowMajor()
    {
        var t = new DenseTensor(2, 3);
        t[1, 2] = 5;
        Assert.Equal(5, t.Span[5]);
        var view = t.Reshape(3, 2);
        Assert.Equal(5, view[2, 1]);
        view[0, 1] = 7;
        Assert.Equal(7, t[0, 1]);
        var row = t.Row(1);
        Assert.Equal(new[] { 3 }, row.Shape.ToArray());
        Assert.Equal(5, row[2]);
        Assert.Equal(new[] { 3, 1 }, t.Strides.ToArray());
        var rows = new DenseTensor(4, 2).Rows(1, 2);
        Assert.Equal(2, rows.Offset);
    }

    [Fact]
    public void BadShapesAndIndices_AreRefused_WithTheShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => new DenseTensor(2, 3).Reshape(4, 2));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
        Assert.Throws<IndexOutOfRangeException>(() => new DenseTensor(2, 3)[2, 0]);
        Assert.Throws<ArgumentException>(() => new DenseTensor(new float[5], 2, 3));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(17, 130, 33)]
    [InlineData(64, 300, 10)]
    [InlineData(9, 600, 40)]
    [InlineData(5, 0, 3)]
    [InlineData(23, 70, 50)]   // 8-row wide tiles, then 6, 4 and 1 rows; 32 + 16 + 2 columns
    [InlineData(16, 9, 8)]     // one vector wide: 8-row tiles
    [InlineData(6, 300, 64)]
    public void MatMul_AllThreeShapes_AgreeWithTheDefinition(int m, int k, int n)
    {
        var wide = MatMul.WideVectors;
        try
        {
            // Both tile families: sixteen lanes (where AVX-512 is there) and eight.
            foreach (var useWide in new[] { wide, false }.Distinct())
            {
                MatMul.WideVectors = useWide;
                CheckMatMul(m, k, n);
            }
        }
        finally
        {
            MatMul.WideVectors = wide;
        }
    }

    private static void CheckMatMul(int m, int k, int n)
    {
        var random = new Random(m * 1000 + k * 10 + n);
        var a = GradientCheck.Random(random, m, k);
        var b = GradientCheck.Random(random, k, n);
        var expected = new double[m * n];
        for (var i = 0; i < m; i++)
        for (var j = 0; j < n; j++)
        for (var p = 0; p < k; p++)
            expected[i * n + j] += (double)a[i, p] * b[p, j];

        var c = new DenseTensor(m, n);
        MatMul.Multiply(a.Span, b.Span, c.Span, m, k, n);
        AssertClose(expected, c, k);

        // Aᵀ·B with A stored transposed, and A·Bᵀ with B stored transposed.
        var at = Transpose(a);
        var bt = Transpose(b);
        var c2 = new DenseTensor(m, n);
        MatMul.MultiplyTransposedA(at.Span, b.Span, c2.Span, m, k, n);
        AssertClose(expected, c2, k);
        var c3 = new DenseTensor(m, n);
        MatMul.MultiplyTransposedB(a.Span, bt.Span, c3.Span, m, k, n);
        AssertClose(expected, c3, k);

        // accumulate adds to what is there.
        MatMul.Multiply(a.Span, b.Span, c.Span, m, k, n, accumulate: true);
        for (var i = 0; i < expected.Length; i++) expected[i] *= 2;
        AssertClose(expected, c, k);
    }

    [Theory]
    [InlineData(24, 26, 16, 8)]   // a 3×3 kernel over 8 channels: rows overlap by two thirds
    [InlineData(3, 26, 8, 1)]     // one channel: few rows, accumulated across the batch in registers
    [InlineData(1, 7, 16, 1)]
    [InlineData(4, 9, 24, 2)]
    [InlineData(7, 5, 9, 7)]      // stride = m: no overlap, the plain layout
    [InlineData(6, 0, 4, 2)]
    public void MatMul_SlidingWindowRows_AgreeWithTheCopiedRows(int m, int k, int n, int stride)
    {
        // A window that moves `stride` elements per row (im2col's rows without the copy) against the rows copied out.
        var random = new Random(m * 100 + k * 10 + n);
        var flat = GradientCheck.Random(random, 1, Math.Max(0, (k - 1) * stride + m) + 3).Span.ToArray();
        var window = flat.AsSpan(1, Math.Max(0, (k - 1) * stride + m));
        var copied = new DenseTensor(Math.Max(k, 1), m);
        for (var p = 0; p < k; p++) window.Slice(p * stride, m).CopyTo(copied.Span.Slice(p * m, m));
        var b = GradientCheck.Random(random, k, n);
        var expected = new DenseTensor(m, n);
        if (k > 0) MatMul.MultiplyTransposedA(copied.Span, b.Span, expected.Span, m, k, n);
        var c = new DenseTensor(m, n);
        c.Span.Fill(1);
        MatMul.MultiplyTransposedA(window, stride, b.Span, c.Span, m, k, n);
        AssertClose(expected.Span.ToArray().Select(x => (double)x).ToArray(), c, Math.Max(k, 1));
        // Batched: two images, the products added up; and A·B with A's k-value rows sliding (the transposed layout).
        if (k == 0) return;
        var length = window.Length;
        var two = new float[2 * length];
        window.CopyTo(two);
        window.CopyTo(two.AsSpan(length));
        var twoB = new float[2 * k * n];
        b.Span.CopyTo(twoB);
        b.Span.CopyTo(twoB.AsSpan(k * n));
        var images = new ReadOnlyTensor4<float>(two, 2, 1, 1, length).Slice(0, 0, 0, 1, 2);
        var blocksB = new ReadOnlyTensor4<float>(twoB, 2, 1, k, n).Slice(0, 0, 0, k, 2);
        var sum = new DenseTensor(m, n);
        MatMul.MultiplyTransposedA(images, stride, blocksB, sum.Span, m, k, n);
        for (var e = 0; e < sum.Length; e++) Assert.Equal(2 * c.Span[e], sum.Span[e], 1e-4f * k);
    }

    [Theory]
    [InlineData(3, 3, 26, 8, 1, 28, 3)]     // a one-channel 3×3 kernel: nine rows of C in registers
    [InlineData(3, 3, 26, 16, 1, 28, 2)]    // two vector columns
    [InlineData(2, 3, 5, 8, 1, 7, 1)]       // six rows, one image
    [InlineData(5, 2, 4, 8, 2, 9, 2)]       // ten rows, groups overlapping their neighbours' windows
    [InlineData(24, 3, 11, 16, 8, 104, 2)]  // an eight-channel kernel: 72 rows, group by group
    [InlineData(13, 1, 4, 8, 1, 20, 2)]     // one group of thirteen rows: two tiles of twelve, the second nearly empty
    [InlineData(3, 3, 5, 24, 1, 9, 2)]      // three vector columns: one at a time
    [InlineData(3, 3, 6, 5, 1, 8, 2)]       // columns not a whole vector
    [InlineData(3, 3, 0, 8, 1, 8, 2)]       // nothing summed
    public void MatMul_GroupedWindows_AgreeWithTheDefinition(int m, int groups, int k, int n, int stride, int groupStride, int batches)
    {
        // C[(g·m + i), j] (+)= Σ_t Σ_p A_t[p·stride + g·groupStride + i] B_t[p, j], checked against the sum itself.
        var random = new Random(m * 1000 + groups * 100 + k * 10 + n);
        var blockA = Math.Max(0, (k - 1) * stride + (groups - 1) * groupStride + m) + 5;
        var a = GradientCheck.Random(random, batches, blockA).Span.ToArray();
        var b = GradientCheck.Random(random, batches, Math.Max(k, 1) * n).Span.ToArray();
        foreach (var accumulate in new[] { false, true })
        {
            var c = GradientCheck.Random(random, groups * m, n).Span.ToArray();
            var expected = new double[c.Length];
            for (var e = 0; e < c.Length; e++) expected[e] = accumulate ? c[e] : 0;
            for (var t = 0; t < batches; t++)
            for (var g = 0; g < groups; g++)
            for (var i = 0; i < m; i++)
            for (var p = 0; p < k; p++)
            for (var j = 0; j < n; j++)
                expected[(g * m + i) * n + j] += (double)a[t * blockA + p * stride + g * groupStride + i] * b[t * Math.Max(k, 1) * n + p * n + j];
            var blocksA = new ReadOnlyTensor4<float>(a, batches, 1, 1, blockA).SliceRows(0, 0, 1, batches);
            var blocksB = new ReadOnlyTensor4<float>(b, batches, 1, Math.Max(k, 1), n).Slice(0, 0, 0, k, batches);
            MatMul.MultiplyTransposedA(blocksA, stride, groups, groupStride, blocksB, c, m, k, n, accumulate);
            for (var e = 0; e < c.Length; e++) Assert.True(Math.Abs(c[e] - expected[e]) <= 1e-4 * (1 + k * batches), $"C[{e}] = {c[e]}, expected {expected[e]} (accumulate {accumulate})");
        }
        // A block too short for the last group's window is refused before anything is read.
        if (k > 0)
            Assert.Throws<ArgumentException>(() => MatMul.MultiplyTransposedA(new ReadOnlyTensor4<float>(a, batches, 1, 1, blockA).SliceRows(0, 0, 1, batches), stride, groups + 2, groupStride + blockA,
                new ReadOnlyTensor4<float>(b, batches, 1, k, n).Slice(0, 0, 0, k, batches), new float[(groups + 2) * m * n], m, k, n));
    }

    [Fact]
    public void MatMul_WindowRowsOfA_Multiply_AndTheHelpersGeneratedCodeCalls()
    {
        // C_t = A_t·B with A_t's rows of k values starting every `stride` elements.
        const int m = 5, k = 6, n = 8, stride = 2;
        var random = new Random(3);
        var flat = GradientCheck.Random(random, 1, (m - 1) * stride + k).Span.ToArray();
        var b = GradientCheck.Random(random, k, n);
        var copied = new DenseTensor(m, k);
        for (var i = 0; i < m; i++) flat.AsSpan(i * stride, k).CopyTo(copied.Span.Slice(i * k, k));
        var expected = new DenseTensor(m, n);
        MatMul.Multiply(copied.Span, b.Span, expected.Span, m, k, n);
        var c = new float[m * n];
        MatMul.Multiply(new ReadOnlyTensor4<float>(flat, 1, 1, 1, flat.Length).Slice(0, 0, 0, 1, 1), stride, b.Span, new Tensor4<float>(c, 1, 1, 1, c.Length).Slice(0, 0, 0, 1, 1), m, k, n);
        AssertClose(expected.Span.ToArray().Select(x => (double)x).ToArray(), new DenseTensor(c, m, n), k);
        Assert.Throws<ArgumentException>(() => MatMul.MultiplyTransposedA(flat.AsSpan(0, 3), stride, b.Span, c, m, k, n));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.MultiplyTransposedA(flat, 0, b.Span, c, m, k, n));

        // The workspace grows and is reused; AddTo adds a run; a 3-index Slice takes axes 1 and 2 as one.
        var work = MatMul.Workspace(5000);
        Assert.Equal(5000, work.Length);
        work[4999] = 42;
        Assert.Equal(42, MatMul.Workspace(5000)[4999]);
        var target = new float[] { 1, 2, 3 };
        MatMul.AddTo(new float[] { 10, 20, 30 }, target);
        Assert.Equal(new float[] { 11, 22, 33 }, target);
        Assert.Throws<ArgumentException>(() => MatMul.AddTo(new float[2], target));
        var t = new float[2 * 3 * 4 * 5];
        for (var i = 0; i < t.Length; i++) t[i] = i;
        var view = new Tensor4<float>(t, 2, 3, 4, 5);
        Assert.Equal(60 + 5 * 7, view.Slice(1, 7, 2)[0]);
        Assert.Equal(10, view.Slice(1, 7, 2).Length);
        Assert.Equal(60 + 5 * 7, new ReadOnlyTensor4<float>(t, 2, 3, 4, 5).Slice(1, 7, 5)[0]);
        Assert.Throws<IndexOutOfRangeException>(() => new Tensor4<float>(t, 2, 3, 4, 5).Slice(1, 11, 2));
    }

    private static DenseTensor Transpose(DenseTensor a)
    {
        var t = new DenseTensor(a.Dim(1), a.Dim(0));
        for (var i = 0; i < a.Dim(0); i++)
        for (var j = 0; j < a.Dim(1); j++)
            t[j, i] = a[i, j];
        return t;
    }

    private static void AssertClose(double[] expected, DenseTensor actual, int k)
    {
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual.Span[i]) <= 1e-5 * k, $"element {i}: {actual.Span[i]} vs {expected[i]}");
    }
}
