using System;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace SymGrad.Tensors;

/// <summary>
/// Matrix products over row-major spans, the three shapes backpropagation needs: <c>C = A·B</c> (forward),
/// <c>C = Aᵀ·B</c> (weight gradients, ∂L/∂W = aᵀδ) and <c>C = A·Bᵀ</c> (input gradients, δWᵀ). Loops are ordered so
/// the innermost runs along contiguous rows, vectorised by <see cref="TensorPrimitives"/>, and blocked over the
/// shared dimension so a block of B stays in cache while the rows of A stream past. No allocation.
/// </summary>
public static class MatMul
{
    private const int BlockK = 128;

    /// <summary><c>C[m×n] (+)= A[m×k] · B[k×n]</c>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckSizes(a.Length, m * k, b.Length, k * n, c.Length, m * n);
        if (!accumulate) c.Slice(0, m * n).Clear();
        for (var k0 = 0; k0 < k; k0 += BlockK)
        {
            var k1 = Math.Min(k, k0 + BlockK);
            for (var i = 0; i < m; i++)
            {
                var row = c.Slice(i * n, n);
                for (var p = k0; p < k1; p++)
                {
                    var s = a[i * k + p];
                    if (s != 0f) TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), s, row, row);
                }
            }
        }
    }

    /// <summary><c>C[m×n] (+)= Aᵀ · B</c> with A stored [k×m] and B [k×n].</summary>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckSizes(a.Length, k * m, b.Length, k * n, c.Length, m * n);
        if (!accumulate) c.Slice(0, m * n).Clear();
        for (var p = 0; p < k; p++)
        {
            var bRow = b.Slice(p * n, n);
            for (var i = 0; i < m; i++)
            {
                var s = a[p * m + i];
                if (s != 0f)
                {
                    var row = c.Slice(i * n, n);
                    TensorPrimitives.MultiplyAdd(bRow, s, row, row);
                }
            }
        }
    }

    /// <summary><c>C[m×n] (+)= A · Bᵀ</c> with A stored [m×k] and B [n×k].</summary>
    public static void MultiplyTransposedB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate = false)
    {
        CheckSizes(a.Length, m * k, b.Length, n * k, c.Length, m * n);
        for (var i = 0; i < m; i++)
        {
            var aRow = a.Slice(i * k, k);
            for (var j = 0; j < n; j++)
            {
                var dot = TensorPrimitives.Dot(aRow, b.Slice(j * k, k));
                c[i * n + j] = accumulate ? c[i * n + j] + dot : dot;
            }
        }
    }

    private static void CheckSizes(int a, int needA, int b, int needB, int c, int needC)
    {
        if (a < needA) throw new ArgumentException($"A has {a} elements, needs {needA}.");
        if (b < needB) throw new ArgumentException($"B has {b} elements, needs {needB}.");
        if (c < needC) throw new ArgumentException($"C has {c} elements, needs {needC}.");
    }
}
