using System;
using System.Collections.Generic;
using System.Linq;

namespace SymGrad.Symbolic;

/// <summary>
/// A loop that carries state from one iteration to the next (an RNN cell, a running product, an integrator):
/// s ← <see cref="Initial"/>; for t = 0 … <see cref="Count"/> − 1: s ← <see cref="Next"/>(s, t); what follows reads the
/// final s. Each state is a scalar named <see cref="States"/>[j]: in <see cref="Next"/>, <c>Var(name)</c> is its value
/// before the step (s_t); after the loop, its final value (s_T). <see cref="Initial"/> reads neither. Its gradient is
/// backpropagation through time (<see cref="IndexedCode.RecurrentPlan"/>).
/// </summary>
public sealed class Recurrence : IEquatable<Recurrence>
{
    public Recurrence(Expr index, Expr count, IReadOnlyList<string> states, IReadOnlyList<Expr> initial, IReadOnlyList<Expr> next, IReadOnlyList<ArrayState>? arrays = null)
    {
        if (index.Kind != ExprKind.Index) throw new ArgumentException($"'{index}' is not an index.", nameof(index));
        if (states.Count + (arrays?.Count ?? 0) == 0 || initial.Count != states.Count || next.Count != states.Count)
            throw new ArgumentException("A recurrence needs one initial value and one step per state.");
        Index = index;
        Count = count;
        States = states.ToArray();
        Initial = initial.ToArray();
        Next = next.ToArray();
        Arrays = arrays?.ToArray() ?? Array.Empty<ArrayState>();
    }

    /// <summary>The states held in arrays (a hidden vector h[i]).</summary>
    public IReadOnlyList<ArrayState> Arrays { get; }

    /// <summary>The step's index t (an <see cref="ExprKind.Index"/>), 0 … Count − 1.</summary>
    public Expr Index { get; }

    /// <summary>The number of steps (an int expression; none when it is ≤ 0).</summary>
    public Expr Count { get; }

    /// <summary>The carried locals' names.</summary>
    public IReadOnlyList<string> States { get; }

    /// <summary>Each state's value before the first step.</summary>
    public IReadOnlyList<Expr> Initial { get; }

    /// <summary>Each state's value after a step, from the states before it (<c>Var(name)</c>) and t.</summary>
    public IReadOnlyList<Expr> Next { get; }

    /// <summary>The states as the expressions that stand for them.</summary>
    public IReadOnlyList<Expr> StateVariables => States.Select(Expr.Var).ToList();

    /// <summary>Every expression the recurrence computes with: initial values and steps.</summary>
    public IEnumerable<Expr> Roots => Initial.Concat(Next).Concat(Arrays.SelectMany(a => new[] { a.Length, a.Initial, a.Next }));

    /// <summary>
    /// Σ_j δ_j · scalar_j + Σ_a Σ_i δ_a[i] · element(a)(i): the states' values (each step's, or the initial ones) weighted by
    /// adjoints, Var(<paramref name="adjoints"/>[j]) for a scalar state and Element(<paramref name="arrayAdjoints"/>[a], i) for
    /// a state array — the function whose gradient is one step of the reverse sweep.
    /// </summary>
    public Expr Weighted(IReadOnlyList<string> adjoints, IReadOnlyList<string> arrayAdjoints, IReadOnlyList<Expr> scalars, Func<ArrayState, Expr> element) =>
        Expr.Add(adjoints.Select((a, j) => Expr.Mul(Expr.Var(a), scalars[j]))
            .Concat(Arrays.Select((a, k) => Expr.Sum(a.Index, a.Length, Expr.Mul(Expr.Element(arrayAdjoints[k], a.Index), element(a))))).ToList());

    /// <summary>The recurrence and the value after it with every expression simplified (one simplifier, so shared nodes stay shared).</summary>
    public (Recurrence Recurrence, Expr Result) Simplified(Expr result)
    {
        var simplifier = new Simplifier();
        var arrays = Arrays.Select(a => new ArrayState(a.Name, a.Length, a.Index, simplifier.Simplify(a.Initial), simplifier.Simplify(a.Next))).ToList();
        return (new Recurrence(Index, Count, States, Initial.Select(simplifier.Simplify).ToList(), Next.Select(simplifier.Simplify).ToList(), arrays), simplifier.Simplify(result));
    }

    public bool Equals(Recurrence? other) =>
        other != null && ReferenceEquals(Index, other.Index) && ReferenceEquals(Count, other.Count) && States.SequenceEqual(other.States, StringComparer.Ordinal) &&
        Initial.SequenceEqual(other.Initial) && Next.SequenceEqual(other.Next) && Arrays.SequenceEqual(other.Arrays);

    public override bool Equals(object? obj) => Equals(obj as Recurrence);

    public override int GetHashCode() => Next.Aggregate(Index.GetHashCode() * 31 + Count.GetHashCode(), (h, e) => h * 31 + e.GetHashCode());
}

/// <summary>
/// A state held in an array of <see cref="Length"/> elements: element <see cref="Index"/> (an <see cref="ExprKind.Index"/>
/// free in <see cref="Initial"/> and <see cref="Next"/>) before the first step and after each. In the steps and after the
/// loop, <c>Element(Name, e)</c> reads the state's element e (before the step, and at the end).
/// </summary>
public sealed record ArrayState(string Name, Expr Length, Expr Index, Expr Initial, Expr Next);

