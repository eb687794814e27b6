using System;
using System.Collections.Generic;
using System.Text;

namespace SymGrad.Symbolic;

/// <summary>
/// A function the engine calls but does not see into (a user's <c>[Differentiable]</c> or <c>[DerivativeOf]</c>
/// method): its name in generated code, its LaTeX label, and for each argument the function that is its partial
/// derivative there (null where none exists, e.g. a parameter that is not differentiable, or a second
/// derivative nobody generated). Partials are targets themselves, so second derivatives chain the same way.
/// Two targets with the same name, label and partials are interchangeable; <see cref="Key"/> says so.
/// </summary>
public sealed class CallTarget
{
    /// <summary>A target; <paramref name="partials"/> has one entry per argument.</summary>
    public CallTarget(string name, string latex, IReadOnlyList<CallTarget?> partials)
    {
        if (string.IsNullOrEmpty(name) || name.IndexOfAny(Reserved) >= 0) throw new ArgumentException("Invalid function name.", nameof(name));
        if (latex is null || latex.IndexOfAny(Reserved) >= 0) throw new ArgumentException("Invalid LaTeX label.", nameof(latex));
        if (partials is null || partials.Count == 0) throw new ArgumentException("A function takes at least one argument.", nameof(partials));
        Name = name;
        Latex = latex;
        Partials = partials;
        var key = new StringBuilder(name).Append(Open).Append(latex);
        foreach (var p in partials) key.Append(Separator).Append(p?.Key ?? "").Append(Close);
        Key = key.ToString();
    }

    private const char Open = '\u0001', Separator = '\u0002', Close = '\u0003';
    private static readonly char[] Reserved = { Open, Separator, Close, '\n' };

    /// <summary>The C# member access that calls it (<c>Sigmoid</c>, <c>global::N.Acts.Huber</c>).</summary>
    public string Name { get; }
    /// <summary>How LaTeX shows it before its parenthesised arguments (<c>\mathrm{Huber}</c>, <c>\mathrm{Cube}'</c>).</summary>
    public string Latex { get; }
    /// <summary>∂/∂argument i, one per argument; null where no such function exists.</summary>
    public IReadOnlyList<CallTarget?> Partials { get; }
    /// <summary>The number of arguments.</summary>
    public int Arity => Partials.Count;
    /// <summary>A string identifying the whole target (name, label and every partial, recursively).</summary>
    public string Key { get; }

    /// <summary>The LaTeX label of a function called <paramref name="name"/>: <c>\mathrm{last segment}</c>.</summary>
    public static string Label(string name)
    {
        var last = name.Substring(name.LastIndexOf('.') + 1);
        var sb = new StringBuilder(@"\mathrm{");
        foreach (var c in last)
        {
            if (c == '_') sb.Append(@"\_");
            else if (char.IsLetterOrDigit(c)) sb.Append(c);
        }
        return sb.Append('}').ToString();
    }

    /// <summary>
    /// A one-argument function with derivative <paramref name="derivative"/> (by default <c>{name}Derivative</c>)
    /// and, when given, second derivative <paramref name="secondDerivative"/>.
    /// </summary>
    public static CallTarget Scalar(string name, string? derivative = null, string? secondDerivative = null)
    {
        var label = Label(name);
        var second = secondDerivative is null ? null : new CallTarget(secondDerivative, label + "''", new CallTarget?[] { null });
        var first = new CallTarget(derivative ?? name + "Derivative", label + "'", new[] { second });
        return new CallTarget(name, label, new[] { first });
    }

    /// <summary>
    /// A function of several arguments whose partials follow the generator's names: with one differentiable
    /// parameter, <c>{name}Derivative</c> (and <c>{name}SecondDerivative</c>); with several, <c>{name}Partial_{p}</c>
    /// (and <c>{name}Partial_{p}_{q}</c>, p before q in parameter order). Parameters not in
    /// <paramref name="variables"/> have no partial; second partials exist when <paramref name="secondOrder"/>.
    /// </summary>
    public static CallTarget Generated(string name, IReadOnlyList<string> parameters, ICollection<string> variables, bool secondOrder)
    {
        var label = Label(name);
        var single = variables.Count == 1;
        string Symbol(string p) => @"\partial_{" + LatexPrinter.Symbol(p) + "}";
        var partials = new CallTarget?[parameters.Count];
        for (var i = 0; i < parameters.Count; i++)
        {
            if (!variables.Contains(parameters[i])) continue;
            var seconds = new CallTarget?[parameters.Count];
            if (secondOrder)
                for (var j = 0; j < parameters.Count; j++)
                {
                    if (!variables.Contains(parameters[j])) continue;
                    var (a, b) = i <= j ? (i, j) : (j, i);
                    seconds[j] = new CallTarget(
                        single ? name + "SecondDerivative" : $"{name}Partial_{parameters[a]}_{parameters[b]}",
                        single && parameters.Count == 1 ? label + "''" : Symbol(parameters[a]) + Symbol(parameters[b]) + " " + label,
                        new CallTarget?[parameters.Count]);
                }
            partials[i] = new CallTarget(
                single ? name + "Derivative" : $"{name}Partial_{parameters[i]}",
                single && parameters.Count == 1 ? label + "'" : Symbol(parameters[i]) + " " + label,
                seconds);
        }
        return new CallTarget(name, label, partials);
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
