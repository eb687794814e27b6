using System;
using System.Collections.Generic;

namespace SymGrad.Symbolic;

/// <summary>
/// An immutable, interned expression node. Structurally equal nodes are the same object, so equality is
/// reference equality and a graph built twice shares all its nodes. Create nodes through the static
/// factories and operators, which apply light canonicalisation (see <c>Expr.Construct.cs</c>).
/// </summary>
public sealed partial class Expr : IComparable<Expr>
{
    private static readonly Expr[] NoArgs = Array.Empty<Expr>();
    private readonly Expr[] _args;
    private readonly int _hash;
    // Derived once per node (nodes are immutable and shared, and both cost the length of a sum): −e, and whether e
    // leads negative (0 not known yet, 1 no, 2 yes). Races only compute the same value twice.
    private Expr? _negated;
    private byte _leadsNegative;
    private Tuple<Number, Expr>? _content; // SplitContent of a sum

    private Expr(ExprKind kind, Expr[] args, string? name, Number value, CallTarget? target)
    {
        Kind = kind;
        Target = target;
        _args = args;
        Name = name;
        Value = value;
        _hash = ComputeHash(kind, args, name, value);
        var h = 0;
        foreach (var a in args) if (a.Height > h) h = a.Height;
        Height = args.Length == 0 ? 0 : h + 1;
    }

    /// <summary>The operation.</summary>
    public ExprKind Kind { get; }
    /// <summary>The operands (empty for constants and variables).</summary>
    public IReadOnlyList<Expr> Args => _args;
    /// <summary>The variable name, for <see cref="ExprKind.Var"/>.</summary>
    public string? Name { get; }
    /// <summary>The function called, for <see cref="ExprKind.Call"/> (whose <see cref="Name"/> is its key).</summary>
    public CallTarget? Target { get; }
    /// <summary>The constant, for <see cref="ExprKind.Const"/>.</summary>
    public Number Value { get; }
    /// <summary>Length of the longest path to a leaf.</summary>
    public int Height { get; }

    /// <summary>True for <see cref="ExprKind.Const"/>.</summary>
    public bool IsConst => Kind == ExprKind.Const;
    /// <summary>True for the exact or inexact constant zero.</summary>
    public bool IsZero => Kind == ExprKind.Const && Value.IsZero;
    /// <summary>True for the constant one.</summary>
    public bool IsOne => Kind == ExprKind.Const && Value.IsOne;
    /// <summary>True for comparisons (whose value is 0 or 1).</summary>
    public bool IsComparison => Kind >= ExprKind.Less && Kind <= ExprKind.NotEqual;

    internal Expr[] ArgArray => _args;

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <inheritdoc />
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    /// <summary>The canonical structural order (see <see cref="ExprOrder"/>).</summary>
    public int CompareTo(Expr? other) => other is null ? 1 : ExprOrder.Compare(this, other);

    /// <summary>Readable, C#-like text for debugging.</summary>
    public override string ToString() => CSharpPrinter.Default.Print(this);

    // ---- interning ---------------------------------------------------------------------------------

    private static int ComputeHash(ExprKind kind, Expr[] args, string? name, Number value)
    {
        unchecked
        {
            var h = (int)2166136261 ^ (int)kind * 16777619;
            if (name != null) foreach (var c in name) h = (h ^ c) * 16777619;
            if (kind == ExprKind.Const) h = (h ^ value.GetHashCode()) * 16777619;
            foreach (var a in args) h = (h ^ a._hash) * 16777619;
            return h;
        }
    }

    private static bool ShallowEquals(Expr e, ExprKind kind, Expr[] args, string? name, Number value)
    {
        if (e.Kind != kind || e._args.Length != args.Length) return false;
        if (kind == ExprKind.Const) return e.Value.Equals(value);
        if (!string.Equals(e.Name, name, StringComparison.Ordinal)) return false;
        if (kind is ExprKind.Var or ExprKind.Index or ExprKind.Length) return true;
        for (var i = 0; i < args.Length; i++)
            if (!ReferenceEquals(e._args[i], args[i])) return false;
        return true;
    }

    /// <summary>
    /// The intern table holds nodes weakly: a node no longer referenced by anyone (a finished compilation
    /// in a long-lived compiler server) can be collected, and its slot is purged on a later growth.
    /// </summary>
    private static class InternTable
    {
        private static readonly object Gate = new();
        private static readonly Dictionary<int, List<WeakReference<Expr>>> Buckets = new();
        private static int _count;
        private static int _purgeAt = 1 << 16;

        public static Expr GetOrAdd(ExprKind kind, Expr[] args, string? name, Number value, CallTarget? target = null)
        {
            var hash = ComputeHash(kind, args, name, value);
            lock (Gate)
            {
                if (Buckets.TryGetValue(hash, out var bucket))
                {
                    foreach (var w in bucket)
                        if (w.TryGetTarget(out var existing) && ShallowEquals(existing, kind, args, name, value))
                            return existing;
                }
                else
                {
                    bucket = new List<WeakReference<Expr>>(1);
                    Buckets[hash] = bucket;
                }
                var node = new Expr(kind, args, name, value, target);
                bucket.Add(new WeakReference<Expr>(node));
                if (++_count >= _purgeAt) Purge();
                return node;
            }
        }

        private static void Purge()
        {
            var empty = new List<int>();
            var live = 0;
            foreach (var kv in Buckets)
            {
                kv.Value.RemoveAll(w => !w.TryGetTarget(out _));
                if (kv.Value.Count == 0) empty.Add(kv.Key);
                live += kv.Value.Count;
            }
            foreach (var k in empty) Buckets.Remove(k);
            _count = live;
            _purgeAt = Math.Max(1 << 16, live * 2);
        }

    }

    internal static Expr Intern(ExprKind kind, params Expr[] args) => InternTable.GetOrAdd(kind, args, null, default);

    // ---- leaves ------------------------------------------------------------------------------------

    /// <summary>The constant 0.</summary>
    public static readonly Expr Zero = Const(Number.Zero);
    /// <summary>The constant 1.</summary>
    public static readonly Expr One = Const(Number.One);
    /// <summary>The constant −1.</summary>
    public static readonly Expr MinusOne = Const(Number.MinusOne);
    /// <summary>The constant 1/2.</summary>
    public static readonly Expr Half = Const(Number.Rational(1, 2));

    /// <summary>A constant node.</summary>
    public static Expr Const(Number value) => InternTable.GetOrAdd(ExprKind.Const, NoArgs, null, value);

    /// <summary>An exact integer constant.</summary>
    public static Expr Const(long value) => Const(Number.Integer(value));

    /// <summary>
    /// A constant from a double, taken as the exact decimal a person would write for it
    /// (<c>0.1</c> is exactly 1/10) when its shortest round-trip text has at most 15 significant digits.
    /// </summary>
    public static Expr Const(double value) =>
        double.IsNaN(value) || double.IsInfinity(value)
            ? Const(Number.Inexact(value))
            : Const(Number.ParseLiteral(Number.FormatDouble(value)));

    /// <summary>A free variable. Names are C# identifiers.</summary>
    public static Expr Var(string name)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("Variable name must not be empty.", nameof(name));
        return InternTable.GetOrAdd(ExprKind.Var, NoArgs, name, default);
    }

    /// <summary>π, kept as an inexact constant that printers show as <c>Math.PI</c> / <c>\pi</c>.</summary>
    public static readonly Expr Pi = Const(Number.Inexact(Math.PI));
    /// <summary>Euler's number, kept as an inexact constant that printers show as <c>Math.E</c> / <c>e</c>.</summary>
    public static readonly Expr E = Const(Number.Inexact(Math.E));

    // ---- operators ---------------------------------------------------------------------------------

    /// <summary>Sum.</summary>
    public static Expr operator +(Expr a, Expr b) => Add(a, b);
    /// <summary>Sum.</summary>
    public static Expr operator +(Expr a, double b) => Add(a, Const(b));
    /// <summary>Sum.</summary>
    public static Expr operator +(double a, Expr b) => Add(Const(a), b);
    /// <summary>Difference.</summary>
    public static Expr operator -(Expr a, Expr b) => Sub(a, b);
    /// <summary>Difference.</summary>
    public static Expr operator -(Expr a, double b) => Sub(a, Const(b));
    /// <summary>Difference.</summary>
    public static Expr operator -(double a, Expr b) => Sub(Const(a), b);
    /// <summary>Product.</summary>
    public static Expr operator *(Expr a, Expr b) => Mul(a, b);
    /// <summary>Product.</summary>
    public static Expr operator *(Expr a, double b) => Mul(a, Const(b));
    /// <summary>Product.</summary>
    public static Expr operator *(double a, Expr b) => Mul(Const(a), b);
    /// <summary>Quotient.</summary>
    public static Expr operator /(Expr a, Expr b) => Div(a, b);
    /// <summary>Quotient.</summary>
    public static Expr operator /(Expr a, double b) => Div(a, Const(b));
    /// <summary>Quotient.</summary>
    public static Expr operator /(double a, Expr b) => Div(Const(a), b);
    /// <summary>Negation.</summary>
    public static Expr operator -(Expr a) => Neg(a);
}
