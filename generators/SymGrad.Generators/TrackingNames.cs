namespace SymGrad.Generators;

/// <summary>Names of the incremental pipeline steps, for caching tests.</summary>
public static class TrackingNames
{
    /// <summary>Attributed methods read into models.</summary>
    public const string Methods = nameof(Methods);
    /// <summary>Models of methods that can be differentiated.</summary>
    public const string Models = nameof(Models);
    /// <summary>Diagnostics of every method.</summary>
    public const string Diagnostics = nameof(Diagnostics);
    /// <summary>All models, collected for the registry.</summary>
    public const string Registry = nameof(Registry);
}
