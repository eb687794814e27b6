namespace SymGrad.Generators;

/// <summary>Names of the incremental pipeline steps, for caching tests.</summary>
public static class TrackingNames
{
    /// <summary>Attributed methods read into models.</summary>
    public const string Methods = nameof(Methods);
    /// <summary>Models of methods that can be differentiated, without their locations (what differentiation sees).</summary>
    public const string Cores = nameof(Cores);
    /// <summary>The generated code of each method.</summary>
    public const string Models = nameof(Models);
    /// <summary>Diagnostics of generation, located at their methods.</summary>
    public const string GenerationDiagnostics = nameof(GenerationDiagnostics);
    /// <summary>Diagnostics of every method.</summary>
    public const string Diagnostics = nameof(Diagnostics);
    /// <summary>All models, collected for the registry.</summary>
    public const string Registry = nameof(Registry);
}
