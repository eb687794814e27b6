namespace SymGrad.Generators;

/// <summary>Names of the incremental pipeline steps, each for what it holds (asserted on by the caching tests).</summary>
public static class TrackingNames
{
    /// <summary>Each attributed method read: its model (or none) and its diagnostics (<c>MethodResult</c>).</summary>
    public const string MethodResults = nameof(MethodResults);
    /// <summary>The diagnostics of each method read.</summary>
    public const string MethodDiagnostics = nameof(MethodDiagnostics);
    /// <summary>The models that can be differentiated, without their locations (what differentiation sees).</summary>
    public const string LocationFreeModels = nameof(LocationFreeModels);
    /// <summary>Each method's generated source and generation diagnostics (<c>GeneratedMethod</c>).</summary>
    public const string GeneratedMethods = nameof(GeneratedMethods);
    /// <summary>The generated methods collected with their attributes' locations, for their diagnostics.</summary>
    public const string GeneratedMethodDiagnostics = nameof(GeneratedMethodDiagnostics);
    /// <summary>All generated methods, collected for the derivation registry.</summary>
    public const string AllGeneratedMethods = nameof(AllGeneratedMethods);

    /// <summary>The keys of the methods whose parse failed (an SG error): their callers are not generated.</summary>
    public const string FailedMethods = nameof(FailedMethods);
}
