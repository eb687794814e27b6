using System.Collections.Generic;

namespace SymGrad;

/// <summary>One partial derivative of a generated derivation: the variable and ∂f/∂variable as LaTeX.</summary>
/// <param name="Variable">The parameter name.</param>
/// <param name="Latex">The partial derivative, as LaTeX (<c>\frac{\partial f}{\partial w} = …</c>).</param>
public sealed record PartialDerivation(string Variable, string Latex);

/// <summary>
/// What the generator derived for one <see cref="DifferentiableAttribute"/> method: its formula, partials and
/// step-by-step derivation as LaTeX. Each assembly's generated <c>SymGrad.Generated.DerivationRegistry.All</c>
/// lists them for tools and docs.
/// </summary>
/// <param name="Type">The containing type's full name.</param>
/// <param name="Method">The method name.</param>
/// <param name="Formula">The function as LaTeX.</param>
/// <param name="Partials">Each partial derivative.</param>
/// <param name="Steps">The chain-rule derivation of each partial, as LaTeX <c>aligned</c> blocks, in variable order.</param>
public sealed record DerivationInfo(string Type, string Method, string Formula, IReadOnlyList<PartialDerivation> Partials, IReadOnlyList<string> Steps);
