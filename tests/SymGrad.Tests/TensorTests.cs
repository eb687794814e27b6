using System.Linq;
using System;
using SymGrad.Tensors;

namespace SymGrad.Tests;

public class TensorTests
{
    [Fact]
    public void Views_ShareTheArray_AndIndexRowMajor()
    {
        var t = new Tensor(2, 3);
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
        var rows = new Tensor(4, 2).Rows(1, 2);
        Assert.Equal(2, rows.Offset);
    }

    [Fact]
    public void BadShapesAndIndices_AreRefused_WithTheShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => new Tensor(2, 3).Reshape(4, 2));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
        Assert.Throws<IndexOutOfRangeException>(() => new Tensor(2, 3)[2, 0]);
        Assert.Throws<ArgumentException>(() => new Tensor(new float[5], 2, 3));
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

        var c = new Tensor(m, n);
        MatMul.Multiply(a.Span, b.Span, c.Span, m, k, n);
        AssertClose(expected, c, k);

        // Aᵀ·B with A stored transposed, and A·Bᵀ with B stored transposed.
        var at = Transpose(a);
        var bt = Transpose(b);
        var c2 = new Tensor(m, n);
        MatMul.MultiplyTransposedA(at.Span, b.Span, c2.Span, m, k, n);
        AssertClose(expected, c2, k);
        var c3 = new Tensor(m, n);
        MatMul.MultiplyTransposedB(a.Span, bt.Span, c3.Span, m, k, n);
        AssertClose(expected, c3, k);

        // accumulate adds to what is there.
        MatMul.Multiply(a.Span, b.Span, c.Span, m, k, n, accumulate: true);
        for (var i = 0; i < expected.Length; i++) expected[i] *= 2;
        AssertClose(expected, c, k);
    }

    private static Tensor Transpose(Tensor a)
    {
        var t = new Tensor(a.Dim(1), a.Dim(0));
        for (var i = 0; i < a.Dim(0); i++)
        for (var j = 0; j < a.Dim(1); j++)
            t[j, i] = a[i, j];
        return t;
    }

    private static void AssertClose(double[] expected, Tensor actual, int k)
    {
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual.Span[i]) <= 1e-5 * k, $"element {i}: {actual.Span[i]} vs {expected[i]}");
    }
}
