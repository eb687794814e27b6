using System;

namespace SymGrad.Examples;

/// <summary>
/// The classic cart-pole (Barto, Sutton and Anderson 1983, with the constants of OpenAI Gym's CartPole-v0): a pole
/// hinged on a cart that is pushed left or right with 10 N; Euler steps of 0.02 s. Reward 1 per step while the pole
/// stays within 12° of upright and the cart within 2.4 m of the centre; episodes end there or after 200 steps.
/// </summary>
public sealed class CartPole(int seed)
{
    private const double Gravity = 9.8, CartMass = 1.0, PoleMass = 0.1, TotalMass = CartMass + PoleMass;
    private const double HalfLength = 0.5, PoleMassLength = PoleMass * HalfLength, Force = 10.0, Tau = 0.02;
    private const double AngleLimit = 12 * Math.PI / 180, PositionLimit = 2.4;

    /// <summary>The longest episode.</summary>
    public const int MaxSteps = 200;

    private readonly Random _random = new(seed);
    private double _x, _xDot, _theta, _thetaDot;

    /// <summary>Position, velocity, pole angle, angular velocity.</summary>
    public (double X, double XDot, double Theta, double ThetaDot) State => (_x, _xDot, _theta, _thetaDot);

    /// <summary>Starts an episode near upright: each state variable uniform in [−0.05, 0.05].</summary>
    public void Reset()
    {
        _x = Uniform();
        _xDot = Uniform();
        _theta = Uniform();
        _thetaDot = Uniform();
    }

    /// <summary>One Euler step with action 0 (push left) or 1 (push right); true while the episode goes on.</summary>
    public bool Step(int action)
    {
        var force = action == 1 ? Force : -Force;
        var cos = Math.Cos(_theta);
        var sin = Math.Sin(_theta);
        var temp = (force + PoleMassLength * _thetaDot * _thetaDot * sin) / TotalMass;
        var thetaAcc = (Gravity * sin - cos * temp) / (HalfLength * (4.0 / 3.0 - PoleMass * cos * cos / TotalMass));
        var xAcc = temp - PoleMassLength * thetaAcc * cos / TotalMass;
        _x += Tau * _xDot;
        _xDot += Tau * xAcc;
        _theta += Tau * _thetaDot;
        _thetaDot += Tau * thetaAcc;
        return Math.Abs(_x) <= PositionLimit && Math.Abs(_theta) <= AngleLimit;
    }

    private double Uniform() => _random.NextDouble() * 0.1 - 0.05;
}
