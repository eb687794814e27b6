using System;
using System.Numerics;

namespace SymGrad.Generators.Tests;

/// <summary>
/// An extended-precision reference for the tail-accuracy suite: M · 2^E with a 320-bit mantissa and an unbounded
/// exponent, so e^−800 or 1 − tanh²(300) are computed to ~290 bits where double has none left. Operations truncate
/// (the error, 2^−320 relative per operation, is far below the 2^−53 the references are compared at); exp and log are
/// argument reduction plus Taylor series and Newton's method. Slow (microseconds per operation) and meant for a few
/// thousand reference values, not for anything else.
/// </summary>
public readonly struct BigFloat : IComparable<BigFloat>
{
    private const int Bits = 320;
    private readonly BigInteger _m;
    private readonly int _e;

    private BigFloat(BigInteger m, int e)
    {
        var length = (int)BigInteger.Abs(m).GetBitLength();
        if (length > Bits)
        {
            m >>= length - Bits; // arithmetic shift: rounds toward −∞, within 2^−320 of the value
            e += length - Bits;
        }
        _m = m;
        _e = m.IsZero ? 0 : e;
    }

    public static readonly BigFloat Zero = new(BigInteger.Zero, 0);
    public static readonly BigFloat One = new(BigInteger.One, 0);
    public static readonly BigFloat Two = new(new BigInteger(2), 0);

    public int Sign => _m.Sign;

    /// <summary>The exact value of a double (a finite one).</summary>
    public static BigFloat FromDouble(double d)
    {
        if (!double.IsFinite(d)) throw new ArgumentOutOfRangeException(nameof(d), d, "a finite double");
        if (d == 0) return Zero;
        var bits = BitConverter.DoubleToInt64Bits(d);
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (exponent == 0) exponent = 1; else mantissa |= 1L << 52;
        var m = new BigInteger(mantissa);
        return new BigFloat(d < 0 ? -m : m, exponent - 1075);
    }

    public static implicit operator BigFloat(double d) => FromDouble(d);

    /// <summary>The nearest double (to within one rounding of a 64-bit truncation): 0 or ±∞ outside double's range.</summary>
    public double ToDouble()
    {
        if (_m.IsZero) return 0;
        var magnitude = BigInteger.Abs(_m);
        var shift = (int)magnitude.GetBitLength() - 64;
        var top = shift > 0 ? magnitude >> shift : magnitude << -shift;
        var value = Math.ScaleB((double)(ulong)top, _e + shift);
        return _m.Sign < 0 ? -value : value;
    }

    /// <summary>The nearest float.</summary>
    public float ToSingle() => (float)ToDouble();

    public static BigFloat operator -(BigFloat a) => new(-a._m, a._e);

    public static BigFloat operator +(BigFloat a, BigFloat b)
    {
        if (a._m.IsZero) return b;
        if (b._m.IsZero) return a;
        if (a._e < b._e) (a, b) = (b, a);
        // b is the one with the smaller exponent; far below a's last bit it only decides the truncation.
        var gap = a._e - b._e;
        var aTop = a._e + (int)BigInteger.Abs(a._m).GetBitLength();
        var bTop = b._e + (int)BigInteger.Abs(b._m).GetBitLength();
        if (aTop - bTop > Bits + 64) return a;
        if (bTop - aTop > Bits + 64) return b;
        return new BigFloat((a._m << gap) + b._m, b._e);
    }

    public static BigFloat operator -(BigFloat a, BigFloat b) => a + -b;

    public static BigFloat operator *(BigFloat a, BigFloat b) => new(a._m * b._m, a._e + b._e);

    public static BigFloat operator /(BigFloat a, BigFloat b)
    {
        if (b._m.IsZero) throw new DivideByZeroException();
        var shift = Bits + 2 + (int)BigInteger.Abs(b._m).GetBitLength() - (int)BigInteger.Abs(a._m).GetBitLength();
        if (shift < 0) shift = 0;
        return new BigFloat((a._m << shift) / b._m, a._e - b._e - shift);
    }

    public static bool operator <(BigFloat a, BigFloat b) => (a - b).Sign < 0;
    public static bool operator >(BigFloat a, BigFloat b) => (a - b).Sign > 0;
    public int CompareTo(BigFloat other) => (this - other).Sign;

    public static BigFloat Abs(BigFloat a) => a.Sign < 0 ? -a : a;
    public static BigFloat Max(BigFloat a, BigFloat b) => a < b ? b : a;

    private BigFloat ScaleB(int n) => new(_m, _e + n);

    // ln 2 = Σ_{k ≥ 1} 1 / (k 2^k).
    private static readonly BigFloat Ln2 = ComputeLn2();

    private static BigFloat ComputeLn2()
    {
        var sum = Zero;
        for (var k = 1; k <= Bits + 16; k++) sum += One / new BigFloat(new BigInteger(k), k);
        return sum;
    }

    /// <summary>e^x for |x| below 10⁶ (no overflow: the exponent is an int).</summary>
    public static BigFloat Exp(BigFloat x)
    {
        var approx = x.ToDouble();
        if (Math.Abs(approx) > 1e6) throw new ArgumentOutOfRangeException(nameof(x), approx, "|x| ≤ 10⁶");
        var n = (int)Math.Round(approx / Math.Log(2));
        const int halvings = 24;
        var r = (x - Ln2 * new BigFloat(new BigInteger(n), 0)).ScaleB(-halvings);
        // Taylor series of e^r, |r| ≤ 2^−25: each term 25 bits smaller than the last.
        var sum = One;
        var term = One;
        for (var k = 1; k < 40; k++)
        {
            term = term * r / new BigFloat(new BigInteger(k), 0);
            sum += term;
            if (term.Sign == 0 || term._e + (int)BigInteger.Abs(term._m).GetBitLength() < -Bits - 8) break;
        }
        for (var i = 0; i < halvings; i++) sum *= sum;
        return sum.ScaleB(n);
    }

    /// <summary>e^x − 1 with relative accuracy for small x.</summary>
    public static BigFloat Expm1(BigFloat x)
    {
        if (x.Sign == 0 || Math.Abs(x.ToDouble()) >= 1e-6) return Exp(x) - One;
        var sum = Zero;
        var term = One;
        for (var k = 1; k < 80; k++)
        {
            term = term * x / new BigFloat(new BigInteger(k), 0);
            sum += term;
        }
        return sum;
    }

    /// <summary>The natural logarithm of a positive value.</summary>
    public static BigFloat Log(BigFloat x)
    {
        if (x.Sign <= 0) throw new ArgumentOutOfRangeException(nameof(x), x.ToDouble(), "a positive value");
        // x = m · 2^k with m in [1, 2).
        var k = x._e + (int)x._m.GetBitLength() - 1;
        var m = x.ScaleB(-k);
        BigFloat y = Math.Log(m.ToDouble());
        for (var i = 0; i < 5; i++)
        {
            var e = Exp(y);
            y += Two * (m - e) / (m + e);
        }
        return y + Ln2 * new BigFloat(new BigInteger(k), 0);
    }

    /// <summary>log(1 + x) with relative accuracy for small x (x &gt; −1).</summary>
    public static BigFloat Log1p(BigFloat x)
    {
        if (x.Sign == 0 || Math.Abs(x.ToDouble()) >= 1e-6) return Log(One + x);
        var sum = Zero;
        var power = One;
        for (var k = 1; k < 80; k++)
        {
            power *= x;
            var term = power / new BigFloat(new BigInteger(k), 0);
            sum = k % 2 == 1 ? sum + term : sum - term;
        }
        return sum;
    }

    /// <summary>σ(x) = 1 / (1 + e^−x).</summary>
    public static BigFloat Sigmoid(BigFloat x) => One / (One + Exp(-x));

    /// <summary>log(1 + e^x).</summary>
    public static BigFloat Softplus(BigFloat x) => x.Sign > 0 ? x + Log1p(Exp(-x)) : Log1p(Exp(x));

    /// <summary>tanh x = −expm1(−2x) / (2 + expm1(−2x)), exact near 0 and in the tails.</summary>
    public static BigFloat Tanh(BigFloat x)
    {
        var m = Expm1(-Two * x);
        return -m / (Two + m);
    }

    /// <summary>sech² x = 4e / (1 + e)², e = e^−2|x|.</summary>
    public static BigFloat Sech2(BigFloat x)
    {
        var e = Exp(-Two * Abs(x));
        var d = One + e;
        return new BigFloat(new BigInteger(4), 0) * e / (d * d);
    }

    public override string ToString() => ToDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
