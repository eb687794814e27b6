using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Xunit;
using Xunit.Abstractions;
using static SymGrad.Generators.Tests.BigFloat;

namespace SymGrad.Generators.Tests;

/// <summary>
/// Relative accuracy in the tails: each generated member of <see cref="TailsModel"/> against the mathematics computed
/// in 320-bit <see cref="BigFloat"/>, at points where the forms a derivation shows (1 − tanh², 1 + tanh, log(1 + e^u),
/// 1 − σ) cancel to 0 in double. The bound is a few ulps of the result (64 for double, 16 for float), not of the
/// function's scale: softplus(−43) must be 2.1e-19 to 15 digits, not "0, within 1e-16 of it".
/// </summary>
public class TailAccuracyTests(ITestOutputHelper output)
{
    private const double DoubleTolerance = 64 * 1.1102230246251565e-16; // 64 half-ulps of 1
    private const double FloatTolerance = 16 * 5.9604645e-8;

    private static readonly double[] Points = new[] { 0.0, 1e-300, 1e-10, 0.25, 0.5, 1, 2, 3, 5, 8.5, 10, 15, 19.5, 20, 30, 37, 43, 60, 87, 90, 100, 354, 700, 710, 740 }
        .SelectMany(x => x == 0 ? new[] { x } : new[] { x, -x }).ToArray();

    private readonly Dictionary<string, double> _worst = new();

    private void Check(string what, double at, double actual, BigFloat exact, double tolerance = DoubleTolerance, double scale = 0)
    {
        var expected = exact.ToDouble();
        // Below the smallest normal double (2.2e-308) relative accuracy ends: a subnormal has fewer digits, and a factor
        // (Mish's x at −740) scales its spacing; there the bound is 1 024 subnormal spacings.
        var bound = tolerance * Math.Max(Math.Abs(expected), scale) + (Math.Abs(expected) < 2.2250738585072014e-308 ? 1024 : 4) * double.Epsilon;
        var error = Math.Abs(actual - expected);
        var relative = expected == 0 ? error : error / Math.Max(Math.Abs(expected), scale);
        if (Math.Abs(expected) >= 2.2250738585072014e-308) _worst[what] = Math.Max(_worst.TryGetValue(what, out var w) ? w : 0, relative);
        Assert.True(error <= bound,
            string.Create(CultureInfo.InvariantCulture, $"{what} at {at:R}: generated {actual:R}, exact {expected:R} (relative error {relative:E2})"));
    }

    private void CheckF(string what, float at, float actual, BigFloat exact, double conditioning = 1)
    {
        var expected = exact.ToSingle();
        var bound = FloatTolerance * conditioning * Math.Abs(expected) + (Math.Abs(expected) < 1.17549435e-38f ? 1024 : 4) * (double)float.Epsilon;
        var error = Math.Abs((double)actual - expected);
        if (Math.Abs(expected) >= 1.17549435e-38f) _worst[what] = Math.Max(_worst.TryGetValue(what, out var w) ? w : 0, error / Math.Abs(expected));
        Assert.True(error <= bound,
            string.Create(CultureInfo.InvariantCulture, $"{what} at {at:R}: generated {actual:R}, exact {expected:R}"));
    }

    private void Report()
    {
        foreach (var (what, w) in _worst.OrderBy(p => p.Key, StringComparer.Ordinal))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what,-28} worst relative error {w:E2} (results in the normal range)"));
    }

    [Fact]
    public void Softplus_ValueAndDerivative_AreRelativelyExact_InBothTails()
    {
        foreach (var x in Points)
        {
            var value = TailsModel.SoftplusGradient(x, out var dx);
            Check("softplus", x, value, Softplus(x));
            Check("softplus′", x, dx, Sigmoid(x));
            Check("softplus′ (Derivative)", x, TailsModel.SoftplusDerivative(x), Sigmoid(x));
        }
        // The logistic loss at z = 43 with y = 1 (issue 14's example): 2.1e-19, not 0.
        Assert.True(TailsModel.LogisticLossGradient(43, 1, out _) > 2e-19);
        // Float: e^90 overflows float, σ(−90) = 8.2e-40 is a float subnormal.
        foreach (var x in Points.Where(p => Math.Abs(p) < 100).Select(p => (float)p))
        {
            var value = TailsModel.SoftplusFGradient(x, out var dx);
            CheckF("float softplus", x, value, Softplus((double)x));
            CheckF("float softplus′", x, dx, Sigmoid((double)x));
        }
        Report();
    }

    [Fact]
    public void LogisticLoss_IsRelativelyExact_AndItsGradientExactToTheRoundingOfSigmaMinusY()
    {
        foreach (var z in Points)
            foreach (var y in new[] { 0.0, 1.0, 0.25 })
            {
                var value = TailsModel.LogisticLossGradient(z, y, out var dz);
                BigFloat by = y;
                Check("logistic loss", z, value, by * Softplus(-(BigFloat)z) + (One - by) * Softplus(z));
                // σ(z) − y: a difference of the model and the data, exact to the rounding of its terms.
                Check("logistic loss ∂z", z, dz, Sigmoid(z) - by, scale: Math.Abs(Sigmoid(z).ToDouble()) + y);
            }
        Report();
    }

    [Fact]
    public void Sigmoid_FirstAndSecondDerivatives_AreRelativelyExact_InBothTails_AndAtZero()
    {
        foreach (var x in Points)
        {
            BigFloat bx = x;
            var exact = Sigmoid(bx) * Sigmoid(-bx);
            Check("σ′ (Derivative)", x, TailsModel.SigmoidDerivative(x), exact);
            var value = TailsModel.SigmoidGradient(x, out var dx);
            Check("σ", x, value, Sigmoid(bx));
            Check("σ′ (Gradient)", x, dx, exact);
            // σ″ = σ′(1 − 2σ) = −σ(x)σ(−x)·tanh(x/2): 1 − 2σ cancels near 0 and for x → ∞.
            Check("σ″", x, TailsModel.SigmoidSecondDerivative(x), -exact * Tanh(bx * 0.5));
        }
        Report();
    }

    [Fact]
    public void Tanh_FirstAndSecondDerivatives_AreRelativelyExact_WhereOneMinusTanhSquaredIsZero()
    {
        foreach (var x in Points)
        {
            BigFloat bx = x;
            var sech2 = Sech2(bx);
            var second = -Two * Tanh(bx) * sech2;
            Check("tanh′ (Derivative)", x, TailsModel.TanhDerivative(x), sech2);
            var value = TailsModel.TanhGradient(x, out var dx);
            Check("tanh", x, value, Tanh(bx));
            Check("tanh′ (Gradient)", x, dx, sech2);
            Check("tanh″", x, TailsModel.TanhSecondDerivative(x), second);
        }
        foreach (var x in Points.Where(p => Math.Abs(p) < 100).Select(p => (float)p))
        {
            BigFloat bx = (double)x;
            CheckF("float tanh′", x, TailsModel.TanhFDerivative(x), Sech2(bx));
            CheckF("float tanh″", x, TailsModel.TanhFSecondDerivative(x), -Two * Tanh(bx) * Sech2(bx));
        }
        Report();
    }

    // GELU (tanh form): u = C(x + A x³); GELU = ½x(1 + tanh u) = x σ(2u); GELU′ = σ(2u) + ½x sech²(u) u′;
    // GELU″ = sech²(u) u′ + ½x sech²(u)(u″ − 2 tanh(u) u′²).
    private static (BigFloat Value, BigFloat First, BigFloat Second) GeluExact(BigFloat x, BigFloat c, BigFloat a)
    {
        BigFloat three = 3.0;
        var u = c * (x + a * x * x * x);
        var du = c * (One + three * a * x * x);
        var ddu = 6.0 * (c * a) * x;
        var s = Sech2(u);
        var half = (BigFloat)0.5;
        return (x * Sigmoid(Two * u), Sigmoid(Two * u) + half * x * s * du, s * du + half * x * s * (ddu - Two * Tanh(u) * du * du));
    }

    [Fact]
    public void Gelu_ValueAndDerivatives_AreRelativelyExact_InBothTails()
    {
        foreach (var x in Points.Where(p => Math.Abs(p) <= 20))
        {
            var (value, first, second) = GeluExact(x, TailsModel.C, TailsModel.A);
            var generated = TailsModel.GeluGradient(x, out var dx);
            // e^−2u moves by 2|u| ulps for each ulp of u, which C# rounds as it computes it: the bound scales with 1 + 2|u|.
            var u = TailsModel.C * (x + TailsModel.A * x * x * x);
            var tolerance = DoubleTolerance * (1 + 2 * Math.Abs(u));
            // The value is the method's to rounding where it does not cancel; where ½x(1 + tanh u) cancels to 0 the
            // generated x·σ(2u) keeps the digits.
            Check("GELU", x, generated, value, tolerance);
            Check("GELU′ (Gradient)", x, dx, first, tolerance);
            Check("GELU′ (Derivative)", x, TailsModel.GeluDerivative(x), first, tolerance);
            Check("GELU″", x, TailsModel.GeluSecondDerivative(x), second, tolerance);
        }
        Assert.True(TailsModel.GeluSecondDerivative(8.5) < -2e-22, "GELU″(8.5) = −2.9e-22, issue 14's example");
        foreach (var x in Points.Where(p => Math.Abs(p) <= 10).Select(p => (float)p))
        {
            var (value, first, second) = GeluExact((double)x, (double)0.7978846f, (double)0.044715f);
            var u = 0.7978846f * (x + 0.044715f * x * x * x);
            CheckF("float GELU′", x, TailsModel.GeluFDerivative(x), first, 1 + 2 * Math.Abs(u));
            CheckF("float GELU″", x, TailsModel.GeluFSecondDerivative(x), second, 1 + 2 * Math.Abs(u));
        }
        Report();
    }

    [Fact]
    public void Mish_ValueAndDerivative_AreRelativelyExact_InBothTails()
    {
        foreach (var x in Points)
        {
            BigFloat bx = x;
            var sp = Softplus(bx);
            var t = Tanh(sp);
            var value = TailsModel.MishGradient(x, out var dx);
            Check("Mish", x, value, bx * t);
            Check("Mish′", x, dx, t + bx * Sech2(sp) * Sigmoid(bx));
        }
        foreach (var x in Points.Where(p => Math.Abs(p) < 100).Select(p => (float)p))
        {
            BigFloat bx = (double)x;
            var sp = Softplus(bx);
            var t = Tanh(sp);
            var value = TailsModel.MishFGradient(x, out var dx);
            CheckF("float Mish", x, value, bx * t);
            CheckF("float Mish′", x, dx, t + bx * Sech2(sp) * Sigmoid(bx));
        }
        Report();
    }

    [Fact]
    public void Reference_AgreesWithDouble_WhereDoubleIsExact()
    {
        // The reference itself: against Math where Math is correctly rounded to within an ulp or two.
        foreach (var x in new[] { -700.0, -20, -1, -1e-8, 1e-300, 0.5, 1, 3, 20, 700 })
        {
            Assert.Equal(Math.Exp(x), Exp(x).ToDouble(), 1e-15 * Math.Exp(x));
            Assert.Equal(Math.Tanh(x), Tanh(x).ToDouble(), 1e-15 * Math.Abs(Math.Tanh(x)));
            if (x > 0) Assert.Equal(Math.Log(x), Log(x).ToDouble(), 1e-15 * Math.Abs(Math.Log(x)) + 1e-300);
        }
        Assert.Equal(Math.Exp(-43), Softplus(-43.0).ToDouble(), 1e-15 * Math.Exp(-43)); // log1p(t) = t − t²/2 + …
        Assert.Equal(1 / Math.Cosh(30) / Math.Cosh(30), Sech2(30.0).ToDouble(), 1e-14 * 3.5e-26);
    }
}
