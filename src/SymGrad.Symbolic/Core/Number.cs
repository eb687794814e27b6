using System;
using System.Globalization;

namespace SymGrad.Symbolic;

/// <summary>
/// A numeric constant: an exact rational <c>Numerator/Denominator</c> when the input was exact
/// (<c>2</c>, <c>0.5</c>, <c>1/3</c>), otherwise an inexact <see cref="double"/>.
/// Exact arithmetic that would overflow 64 bits falls back to doubles rather than failing.
/// </summary>
public readonly struct Number : IEquatable<Number>, IComparable<Number>
{
    private readonly long _num;
    private readonly long _den; // > 0 when exact; 0 marks an inexact value
    private readonly double _value;

    private Number(long num, long den)
    {
        _num = num;
        _den = den;
        _value = (double)num / den;
    }

    private Number(double value)
    {
        _num = 0;
        _den = 0;
        _value = value;
    }

    /// <summary>Zero.</summary>
    public static readonly Number Zero = new(0, 1);
    /// <summary>One.</summary>
    public static readonly Number One = new(1, 1);
    /// <summary>Minus one.</summary>
    public static readonly Number MinusOne = new(-1, 1);

    /// <summary>True when the value is an exact rational.</summary>
    public bool IsExact => _den != 0;
    /// <summary>Numerator of an exact value (0 for inexact values).</summary>
    public long Numerator => _num;
    /// <summary>Denominator of an exact value (0 for inexact values).</summary>
    public long Denominator => _den;
    /// <summary>The value as a double.</summary>
    public double Value => _value;

    /// <summary>True for an exact integer.</summary>
    public bool IsInteger => _den == 1;
    /// <summary>True when the value is exactly zero.</summary>
    public bool IsZero => IsExact ? _num == 0 : _value == 0.0;
    /// <summary>True when the value is exactly one.</summary>
    public bool IsOne => IsExact ? _num == 1 && _den == 1 : _value == 1.0;
    /// <summary>True when the value is exactly minus one.</summary>
    public bool IsMinusOne => IsExact ? _num == -1 && _den == 1 : _value == -1.0;
    /// <summary>True when the value is below zero.</summary>
    public bool IsNegative => IsExact ? _num < 0 : _value < 0;

    /// <summary>An exact rational, reduced to lowest terms.</summary>
    public static Number Rational(long numerator, long denominator)
    {
        if (denominator == 0) throw new DivideByZeroException("Rational with zero denominator.");
        if (denominator < 0)
        {
            if (numerator == long.MinValue || denominator == long.MinValue)
                return Inexact((double)numerator / denominator);
            numerator = -numerator;
            denominator = -denominator;
        }
        var g = Gcd(numerator, denominator);
        return new Number(numerator / g, denominator / g);
    }

    /// <summary>An exact integer.</summary>
    public static Number Integer(long value) => new(value, 1);

    /// <summary>An inexact double. Integral doubles of modest size are still inexact: they came from rounding.</summary>
    public static Number Inexact(double value) => new(value);

    /// <summary>
    /// The exact value of a decimal literal such as <c>0.5</c> or <c>2.5e-3</c> when it has at most 15
    /// significant digits (what a person types), an inexact double otherwise (what a program printed).
    /// </summary>
    public static Number ParseLiteral(string text)
    {
        var s = text.Trim();
        var value = double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
        var mantissa = s;
        var exponent = 0;
        var e = s.IndexOfAny(new[] { 'e', 'E' });
        if (e >= 0)
        {
            if (!int.TryParse(s.Substring(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent))
                return Inexact(value);
            mantissa = s.Substring(0, e);
        }
        var dot = mantissa.IndexOf('.');
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        if (dot >= 0) exponent -= mantissa.Length - dot - 1;
        digits = digits.TrimStart('0');
        while (digits.Length > 0 && digits[digits.Length - 1] == '0')
        {
            digits = digits.Substring(0, digits.Length - 1);
            exponent++;
        }
        if (digits.Length == 0) return Zero;
        if (digits.Length > 15 || exponent > 18 - digits.Length || exponent < -18) return Inexact(value);
        var n = long.Parse(digits, CultureInfo.InvariantCulture);
        return exponent >= 0 ? Integer(n * Pow10(exponent)) : Rational(n, Pow10(-exponent));
    }

    private static long Pow10(int k)
    {
        long r = 1;
        for (var i = 0; i < k; i++) r *= 10;
        return r;
    }

    private static long Gcd(long a, long b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        while (b != 0) (a, b) = (b, a % b);
        return a == 0 ? 1 : a;
    }

    /// <summary>Sum; exact when both are exact and the result fits.</summary>
    public static Number operator +(Number a, Number b)
    {
        if (a.IsExact && b.IsExact)
        {
            try
            {
                checked
                {
                    if (a._den == b._den) return Rational(a._num + b._num, a._den);
                    return Rational(a._num * b._den + b._num * a._den, a._den * b._den);
                }
            }
            catch (OverflowException) { }
        }
        return Inexact(a._value + b._value);
    }

    /// <summary>Product; exact when both are exact and the result fits.</summary>
    public static Number operator *(Number a, Number b)
    {
        if (a.IsExact && b.IsExact)
        {
            try
            {
                checked
                {
                    var g1 = Gcd(a._num, b._den);
                    var g2 = Gcd(b._num, a._den);
                    return Rational((a._num / g1) * (b._num / g2), (a._den / g2) * (b._den / g1));
                }
            }
            catch (OverflowException) { }
        }
        return Inexact(a._value * b._value);
    }

    /// <summary>Negation.</summary>
    public static Number operator -(Number a) => a.IsExact ? new Number(-a._num, a._den) : Inexact(-a._value);

    /// <summary>Difference.</summary>
    public static Number operator -(Number a, Number b) => a + -b;

    /// <summary>Reciprocal; inexact infinity for an inexact zero, an exception for an exact zero.</summary>
    public Number Reciprocal()
    {
        if (IsExact)
        {
            if (_num == 0) throw new DivideByZeroException("Reciprocal of exact zero.");
            return Rational(_den, _num);
        }
        return Inexact(1.0 / _value);
    }

    /// <summary>
    /// <c>this^exponent</c> when the result is representable: exact for an exact base and integer exponent
    /// (and perfect roots such as <c>4^(1/2)</c>), inexact when either side is inexact. Returns false when the
    /// exact result is irrational or too large, so the caller keeps the power symbolic.
    /// </summary>
    public bool TryPow(Number exponent, out Number result)
    {
        result = default;
        if (!IsExact || !exponent.IsExact)
        {
            result = Inexact(Math.Pow(_value, exponent._value));
            return true;
        }
        if (exponent.IsInteger)
        {
            var k = exponent._num;
            if (_num == 0 && k < 0) return false;
            if (Math.Abs(k) > 64) return false;
            var r = One;
            var b = k < 0 ? Reciprocal() : this;
            for (var i = 0; i < Math.Abs(k); i++)
            {
                r *= b;
                if (!r.IsExact) return false;
            }
            result = r;
            return true;
        }
        if (exponent._den == 2 && _num >= 0)
        {
            var sn = (long)Math.Round(Math.Sqrt(_num));
            var sd = (long)Math.Round(Math.Sqrt(_den));
            if (sn * sn == _num && sd * sd == _den)
                return Rational(sn, sd).TryPow(Integer(exponent._num), out result);
        }
        return false;
    }

    /// <inheritdoc />
    public bool Equals(Number other) =>
        IsExact == other.IsExact && (IsExact ? _num == other._num && _den == other._den : _value.Equals(other._value));

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Number n && Equals(n);

    /// <inheritdoc />
    public override int GetHashCode() => IsExact ? unchecked((int)(_num * 31 + _den)) : _value.GetHashCode() ^ 0x5bd1e995;

    /// <summary>Orders by value; exact before inexact at equal values.</summary>
    public int CompareTo(Number other)
    {
        var c = _value.CompareTo(other._value);
        if (c != 0) return c;
        c = other.IsExact.CompareTo(IsExact);
        if (c != 0) return c;
        return IsExact ? _num.CompareTo(other._num) : 0;
    }

    /// <summary>
    /// True when the exact value has a terminating decimal expansion (denominator 2^a 5^b).
    /// </summary>
    public bool HasTerminatingDecimal
    {
        get
        {
            if (!IsExact) return false;
            var d = _den;
            while (d % 2 == 0) d /= 2;
            while (d % 5 == 0) d /= 5;
            return d == 1;
        }
    }

    /// <summary>Round-trip, culture-invariant text of the double value (<c>0.5</c>, <c>2</c>, <c>1E-300</c>).</summary>
    public string ToRoundTripString() => FormatDouble(_value);

    internal static string FormatDouble(double v)
    {
        if (double.IsPositiveInfinity(v)) return "Infinity";
        if (double.IsNegativeInfinity(v)) return "-Infinity";
        if (double.IsNaN(v)) return "NaN";
        return v.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public override string ToString() =>
        IsExact
            ? _den == 1 ? _num.ToString(CultureInfo.InvariantCulture) : _num.ToString(CultureInfo.InvariantCulture) + "/" + _den.ToString(CultureInfo.InvariantCulture)
            : FormatDouble(_value);
}
