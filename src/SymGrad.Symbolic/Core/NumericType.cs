namespace SymGrad.Symbolic;

/// <summary>The C# numeric types a differentiable body computes with.</summary>
public enum NumericType
{
    /// <summary><c>int</c>: indices, lengths, counts; C#'s truncating, wrapping integer arithmetic.</summary>
    Int,
    /// <summary><c>long</c>: constants only.</summary>
    Long,
    /// <summary><c>float</c> (binary32).</summary>
    Float,
    /// <summary><c>double</c> (binary64).</summary>
    Double,
}
