using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SymGrad.Symbolic;

namespace SymGrad.Generators;

/// <summary>
/// Roslyn → model: checks the method's shape, reads its body into the engine's expression graph and collects
/// diagnostics. Never throws for bad input: every problem becomes an <c>SG…</c> diagnostic on its syntax.
/// </summary>
internal static class DifferentiableParser
{
    public const string DifferentiableAttribute = "SymGrad.DifferentiableAttribute";
    public const string NoDiffAttribute = "SymGrad.NoDiffAttribute";
    public const string DerivativeOfAttribute = "SymGrad.DerivativeOfAttribute";

    public static MethodResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var method = (IMethodSymbol)context.TargetSymbol;
        // A local function has no type to add members to: said, not silently ignored.
        if (context.TargetNode is LocalFunctionStatementSyntax local)
            return new MethodResult(null, new[] { new DiagnosticInfo(DiagnosticDescriptors.NotAMethodOfAType.Id, LocationInfo.From(local.Identifier.GetLocation()),
                new[] { method.Name, "a local function" }.ToEquatableArray()) }.ToEquatableArray());
        var syntax = (MethodDeclarationSyntax)context.TargetNode;
        var attribute = context.Attributes[0];
        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
        var attributeLocation = (attributeSyntax is null ? null : LocationInfo.From(attributeSyntax)) ?? LocationInfo.From(syntax.Identifier.GetLocation());

        void Report(DiagnosticDescriptor d, Location? at, params string[] args) => ReportAt(d, LocationInfo.From(at), args);
        void ReportAt(DiagnosticDescriptor d, LocationInfo? at, params string[] args) =>
            diagnostics.Add(new DiagnosticInfo(d.Id, at, args.ToEquatableArray()));

        MethodResult Fail() => new(null, diagnostics.ToEquatableArray(), MethodKey.Of(method));

        // Half-written code (the editor between keystrokes): the compiler already reports the syntax errors; reporting
        // what they break as well would be a cascade. Nothing is generated until the method parses again.
        if (syntax.ContainsDiagnostics && syntax.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error)) return Fail();

        var (types, isFloat, ranks, parameterNames, variables, order) = SignatureReader.Read(method, syntax, attribute, attributeLocation, diagnostics);

        if (diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error)) return Fail();

        // Body. Nesting deeper than anything written by hand is refused before the compiler's binder sees it (binding a
        // call inside it recurses once per level, and a stack overflow in a generator takes the compiler down with it).
        var bodySyntax = (SyntaxNode?)syntax.Body ?? syntax.ExpressionBody;
        if (bodySyntax != null && DeepestNesting(bodySyntax) is { } tooDeep)
        {
            Report(DiagnosticDescriptors.UnsupportedExpression, tooDeep.GetLocation(), Shorten(tooDeep.ToString()),
                $"it is nested too deeply (more than {MaxNesting} levels of parentheses, calls or unary operators)");
            return Fail();
        }
        var semantic = context.SemanticModel;
        var resolver = new SemanticResolver(semantic, method, syntax.SpanStart, cancellationToken);
        foreach (var call in bodySyntax?.DescendantNodes().OfType<InvocationExpressionSyntax>() ?? Enumerable.Empty<InvocationExpressionSyntax>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (resolver.IsSyntacticMath(call)) continue;
            var target = resolver.Callee(call);
            if (target != null && SymbolEqualityComparer.Default.Equals(target.OriginalDefinition, method.OriginalDefinition))
            {
                Report(DiagnosticDescriptors.Recursion, call.GetLocation(), method.Name);
                return Fail();
            }
        }

        var scope = new FrontEndScope { UnknownIdentifiersAreVariables = false, FloatingType = isFloat ? NumericType.Float : NumericType.Double, Resolver = resolver };
        for (var i = 0; i < method.Parameters.Length; i++)
        {
            if (ranks[i] == SignatureReader.IntData) scope.Bind(method.Parameters[i].Name, new TypedExpr(Expr.Index(method.Parameters[i].Name), NumericType.Int));
            else if (ranks[i] == 0) scope.Bind(method.Parameters[i].Name, Expr.Var(method.Parameters[i].Name));
            else scope.BindArray(method.Parameters[i].Name, ranks[i]);
        }

        Expr body;
        var reader = new BodyReader(parameterNames, syntax.SyntaxTree, cancellationToken);
        try
        {
            body = syntax.ExpressionBody != null
                ? Expect(ExpressionFrontEnd.Read(syntax.ExpressionBody.Expression, scope), syntax.SyntaxTree)
                : syntax.Body != null
                    ? reader.ReadBlock(syntax.Body.Statements.ToList(), 0, scope, syntax.Body)
                    : throw new BodyException(DiagnosticDescriptors.UnsupportedStatement, syntax.Identifier.GetLocation(), new[] { $"'{method.Name}'", method.PartialImplementationPart != null
                        ? "this declaration of the partial method has no body; put [Differentiable] on the one that has"
                        : "it has no body" });
        }
        catch (BodyException e)
        {
            var at = LocationInfo.From(e.At);
            // A call refused as an error (Math.Abs of an int index) is not also warned about as non-differentiable.
            diagnostics.RemoveAll(d => d.Id == DiagnosticDescriptors.NonDifferentiablePoint.Id && at != null && d.Location is { } w && w.FilePath == at.FilePath && w.Span.Contains(at.Span));
            diagnostics.Add(new DiagnosticInfo(e.Descriptor.Id, at, e.Arguments.ToEquatableArray()));
            return Fail();
        }

        // A loop that carries state: its steps and initial values are computed with as much as the value after it.
        var recurrence = reader.Recurrence;
        var everything = recurrence is null ? body : Expr.Add(recurrence.Roots.Prepend(body).ToList());
        if (recurrence != null)
        {
            if (order == 2)
            {
                ReportAt(DiagnosticDescriptors.RecurrenceSecondOrder, attributeLocation, method.Name);
                return Fail();
            }
            // Its members: the gradient, the accumulating gradient and the checkpointed gradient, whatever the parameters.
            foreach (var name in new[] { method.Name + "AccumulateGradient", method.Name + "GradientCheckpointed" })
                if (method.ContainingType.GetMembers(name).Any())
                {
                    ReportAt(DiagnosticDescriptors.MemberNameTaken, attributeLocation, name, method.Name, $"'{method.ContainingType.Name}' already has a member of that name");
                    return Fail();
                }
        }

        WarnWhereNotDifferentiable(everything, resolver, Report);

        if (CalleeProblem(everything, variables, order, resolver, recurrence?.States) is { } problem)
        {
            ReportAt(DiagnosticDescriptors.UnsupportedCall, LocationInfo.From(problem.At ?? syntax.Identifier.GetLocation()), Shorten(problem.At?.SourceTree?.GetText().ToString(problem.At.SourceSpan) ?? method.Name), problem.Message);
            return Fail();
        }

        var torch = Torch(method, ranks, variables, recurrence, cancellationToken, ReportAt);
        if (torch is { Location: null }) return Fail();

        var compiledFor = TargetInfo.Of(semantic.Compilation, syntax.SyntaxTree.Options);
        if (!compiledFor.HasSpan && (ranks.Any(r => r > 0) || recurrence != null))
        {
            ReportAt(DiagnosticDescriptors.NeedsSpan, attributeLocation, method.Name,
                "methods over arrays or spans, and loops that carry state, are generated with Span<T> (.NET Core 2.1 and later, .NET Standard 2.1, or the System.Memory package); methods of scalars are generated for any target");
            return Fail();
        }

        var model = new MethodModel(
            method.ContainingNamespace.IsGlobalNamespace ? null : method.ContainingNamespace.ToDisplayString(),
            types.ToEquatableArray(),
            method.ContainingType.ToDisplayString(),
            method.Name,
            Accessibility(method),
            isFloat,
            parameterNames.ToEquatableArray(),
            ranks.ToEquatableArray(),
            string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString().Replace("*", "").Replace('<', '{').Replace('>', '}'))),
            method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)).ToEquatableArray(),
            variables.ToEquatableArray(),
            order,
            body,
            resolver.DifferentiableCallees.OrderBy(k => k, StringComparer.Ordinal).ToEquatableArray(),
            attributeLocation,
            recurrence,
            torch,
            compiledFor);
        return new MethodResult(model, diagnostics.ToEquatableArray(), model.Key);
    }

    public const string TorchFunctionAttribute = "SymGrad.Torch.TorchFunctionAttribute";

    /// <summary>
    /// <c>[TorchFunction("gamma", …)]</c> beside <c>[Differentiable]</c>: a TorchSharp autograd function of the method, its
    /// scalar parameters tensors but for the named ones (doubles). Null without the attribute; a result with no location
    /// when it is refused (SG0029, reported).
    /// </summary>
    private static TorchInfo? Torch(IMethodSymbol method, IReadOnlyList<int> ranks, IReadOnlyList<string> variables, Recurrence? recurrence,
        CancellationToken cancellationToken, Action<DiagnosticDescriptor, LocationInfo?, string[]> report)
    {
        var attribute = method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == TorchFunctionAttribute);
        if (attribute is null) return null;
        var at = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is { } node ? LocationInfo.From(node) : null;
        TorchInfo Refuse(string why)
        {
            report(DiagnosticDescriptors.NoTorchFunction, at, new[] { method.Name, why });
            return new TorchInfo(default, null);
        }
        var scalars = attribute.ConstructorArguments.SelectMany(a => a.Kind == TypedConstantKind.Array ? a.Values : ImmutableArray.Create(a))
            .Select(v => v.Value as string).Where(v => v != null).Select(v => v!).ToList();
        var names = method.Parameters.Select(p => p.Name).ToList();
        if (ranks.Any(r => r != 0 && r != 1))
            return Refuse($"its parameter '{names[ranks.ToList().FindIndex(r => r != 0 && r != 1)]}' is neither a number nor a vector; a tensor function is made of an element-wise method (numbers, and vectors it reduces along their last axis)");
        if (recurrence != null) return Refuse("it has a loop that carries state; a tensor function is made of an element-wise method");
        foreach (var s in scalars)
        {
            if (!names.Contains(s)) return Refuse($"'{s}' is not one of its parameters");
            if (ranks[names.IndexOf(s)] != 0) return Refuse($"'{s}' is a vector; only a number can be a scalar (a plain double)");
            if (variables.Contains(s)) return Refuse($"'{s}' is a scalar (a plain double) and a differentiation variable; a tensor function gives gradients for tensors only: leave it out of one of the two lists");
        }
        if (scalars.Count == names.Count) return Refuse("every parameter is a scalar; at least one must be a tensor");
        // One tensor function per name: tensors carry their own precision, so float and double overloads would be one function twice.
        var first = method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>()
            .Where(o => o.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == TorchFunctionAttribute))
            .OrderBy(o => o.Locations.FirstOrDefault()?.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(o => o.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0)
            .First();
        if (!SymbolEqualityComparer.Default.Equals(first, method))
            return Refuse($"its overload '{first.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)}' is a [TorchFunction] already; a tensor carries its own precision, so one tensor function serves both: keep the attribute on one");
        return new TorchInfo(scalars.ToEquatableArray(), at ?? LocationInfo.From(method.Locations.FirstOrDefault()));
    }

    /// <summary>
    /// Every call the derivatives pass through needs the callee's partials there (and for order 2, its second partials):
    /// the first call that lacks them, reported on the call before the engine would stop at the missing function.
    /// </summary>
    private static (Location? At, string Message)? CalleeProblem(Expr body, IReadOnlyList<string> variables, int order, SemanticResolver resolver, IReadOnlyList<string>? states = null)
    {
        if (resolver.CallSites.Count == 0) return null;
        // A scalar variable is its Var; an array variable, any element of it (x[i], x[2 * i + 1]). A carried state may
        // depend on any of them.
        var wrt = new HashSet<Expr>(variables.Concat(states ?? Array.Empty<string>()).Select(Expr.Var));
        var calls = Graph.PostOrder(body).Where(n => n.Kind == ExprKind.Call).ToList();
        var depends = Graph.DependsOn(calls, wrt, new HashSet<string>(variables, StringComparer.Ordinal));
        foreach (var call in calls)
        {
            if (!depends[call]) continue;
            resolver.CallSites.TryGetValue(call, out var callSyntax);
            var target = call.Target!;
            var calleeSymbol = callSyntax is null ? null : resolver.Callee(callSyntax);
            string Parameter(int i) => calleeSymbol != null && i < calleeSymbol.Parameters.Length ? calleeSymbol.Parameters[i].Name : $"#{i + 1}";
            for (var i = 0; i < target.Arity; i++)
            {
                if (!depends[call.Args[i]]) continue;
                if (target.Partials[i] is not { } partial)
                    return (callSyntax?.GetLocation(), $"'{target.Name}' is not differentiated with respect to its parameter '{Parameter(i)}', but the argument passed there depends on {string.Join(", ", variables)}; add it to the callee's [Differentiable] variables or pass a value that does not depend on them");
                if (order != 2) continue;
                for (var j = 0; j < target.Arity; j++)
                    if (depends[call.Args[j]] && partial.Partials[j] is null)
                        return (callSyntax?.GetLocation(), $"second derivatives through '{target.Name}' need its second derivatives; mark it [Differentiable(Order = 2)]");
            }
        }
        return null;
    }

    /// <summary>The variables of a method without named ones: every parameter not marked [NoDiff].</summary>
    internal static List<string> DefaultVariables(IMethodSymbol m) =>
        m.Parameters.Where(p => p.Type.SpecialType != SpecialType.System_Int32 && !p.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == NoDiffAttribute)).Select(p => p.Name).ToList();

    /// <summary>The attribute's Order (1 unless given).</summary>
    internal static int Order(AttributeData attribute) => attribute.NamedArguments.FirstOrDefault(a => a.Key == "Order").Value.Value as int? ?? 1;

    private static string Accessibility(IMethodSymbol m) => m.DeclaredAccessibility switch
    {
        Microsoft.CodeAnalysis.Accessibility.Public => "public",
        Microsoft.CodeAnalysis.Accessibility.Internal => "internal",
        Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
        Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
        Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
        _ => "private",
    };

    internal static List<string> AttributeVariables(AttributeData attribute)
    {
        var names = new List<string>();
        foreach (var arg in attribute.ConstructorArguments)
        {
            // [Differentiable(null)]: no names, as [Differentiable()] (C# passes a null params array).
            if (arg.IsNull) continue;
            if (arg.Kind == TypedConstantKind.Array) names.AddRange(arg.Values.Select(v => v.Value as string).Where(v => v != null)!);
            else if (arg.Value is string s) names.Add(s);
        }
        return names;
    }


    /// <summary>
    /// SG0008 on each call of a function with kinks or steps (Abs, Max, Min, Floor, …) whose value reaches the result:
    /// not where it only decides a condition (<c>Math.Abs(d) &lt;= delta ? … : …</c>, Huber's test), which is never
    /// differentiated, nor where algebra removed it.
    /// </summary>
    private static void WarnWhereNotDifferentiable(Expr body, SemanticResolver resolver, Action<DiagnosticDescriptor, Location?, string[]> report)
    {
        if (resolver.MathCalls.Count == 0) return;
        var values = ValueNodes(body);
        var reported = new HashSet<InvocationExpressionSyntax>();
        HashSet<Expr>? mathematical = null;
        foreach (var (call, node) in resolver.MathCalls)
        {
            if (reported.Contains(call)) continue;
            var name = call.Expression switch
            {
                MemberAccessExpressionSyntax m => m.Name.Identifier.ValueText,
                IdentifierNameSyntax id => id.Identifier.ValueText,
                _ => "",
            };
            // The node the call became must still be that function (|x²| is x², max(x, x) is x: nothing to warn about).
            var kept = node.Kind is ExprKind.Abs or ExprKind.Max or ExprKind.Min or ExprKind.Floor or ExprKind.Ceiling or ExprKind.Truncate or ExprKind.Round or ExprKind.CopySign or ExprKind.Sign;
            if (NonDifferentiable(name) is not { } at || !kept || !values.Contains(node) || OnlyDecides(call)) continue;
            // Nor where the function is smooth all the same: a stable form the simplifier reads as one function (max(z, 0) +
            // log(1 + e^−|z|) is softplus(z)) or a shift by the maximum that cancels (log-sum-exp written by hand).
            mathematical ??= MathematicalNodes(body);
            if (!mathematical.Contains(node)) continue;
            reported.Add(call);
            report(DiagnosticDescriptors.NonDifferentiablePoint, call.GetLocation(), new[] { call.Expression.ToString(), at.At, at.Convention });
        }
    }

    // The nodes of the function as mathematics (simplified, stable forms taken out: MathematicalForm).
    private static HashSet<Expr> MathematicalNodes(Expr body) =>
        new(Graph.PostOrder(MathematicalForm.Rewrite(new Simplifier().Simplify(body)).Function));

    // The nodes of a body whose values flow into its value: not conditions, comparisons, indices or integer data.
    private static HashSet<Expr> ValueNodes(Expr body)
    {
        var seen = new HashSet<Expr>();
        var stack = new Stack<Expr>();
        stack.Push(body);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n) || n.IsComparison || n.Kind is ExprKind.ArgMax or ExprKind.Sign or ExprKind.Floor or ExprKind.Ceiling or ExprKind.Truncate or ExprKind.Round)
                continue;
            var args = n.Args;
            switch (n.Kind)
            {
                case ExprKind.If:
                    stack.Push(args[1]);
                    stack.Push(args[2]);
                    break;
                case ExprKind.Element:
                    break;
                case ExprKind.Sum:
                case ExprKind.MaxOver:
                    stack.Push(args[1]);
                    break;
                default:
                    foreach (var a in args) stack.Push(a);
                    break;
            }
        }
        return seen;
    }

    // A call written inside a comparison or a condition (of ?:, if, while): its value decides a branch, never a result.
    private static bool OnlyDecides(SyntaxNode call)
    {
        for (var child = call; child.Parent is { } parent && parent is not StatementSyntax; child = parent)
        {
            switch (parent)
            {
                case BinaryExpressionSyntax b when b.Kind() is SyntaxKind.LessThanExpression or SyntaxKind.LessThanOrEqualExpression or SyntaxKind.GreaterThanExpression
                    or SyntaxKind.GreaterThanOrEqualExpression or SyntaxKind.EqualsExpression or SyntaxKind.NotEqualsExpression:
                case IsPatternExpressionSyntax:
                    return true;
                case ConditionalExpressionSyntax c when c.Condition == child:
                    return true;
            }
        }
        return call.Parent is { } p && p.AncestorsAndSelf().FirstOrDefault(a => a is StatementSyntax) switch
        {
            IfStatementSyntax i => i.Condition.Span.Contains(call.Span),
            WhileStatementSyntax w => w.Condition.Span.Contains(call.Span),
            ForStatementSyntax f => f.Condition?.Span.Contains(call.Span) == true,
            _ => false,
        };
    }

    private static (string At, string Convention)? NonDifferentiable(string name) => name switch
    {
        "Abs" => ("0", "the derivative 0"),
        "Max" or "Min" => ("ties", "the derivative of the first argument in canonical order (constants first)"),
        "Floor" or "Ceiling" or "Truncate" => ("integers and has derivative 0 between them", "0"),
        "Round" => ("half-integers and has derivative 0 between them", "0"),
        "CopySign" => ("x = 0 and its derivative in y is 0", "the derivative 0"),
        "Sign" => ("0 and has derivative 0 elsewhere", "0"),
        _ => null,
    };

    private static Expr Expect(FrontEndResult r, SyntaxTree tree)
    {
        if (r.Success) return r.Value!;
        throw Failure(r.Error!, tree);
    }

    private static void Expect(FrontEndError? error, SyntaxTree tree)
    {
        if (error != null) throw Failure(error, tree);
    }

    private static BodyException Failure(FrontEndError e, SyntaxTree tree)
    {
        var at = Location.Create(tree, new Microsoft.CodeAnalysis.Text.TextSpan(e.Start, e.Length));
        return e.DiagnosticId is { } id
            ? new BodyException(DiagnosticDescriptors.ById(id), at, e.Message, e.Arguments.ToArray())
            : new BodyException(DiagnosticDescriptors.UnsupportedExpression, at, new[] { Shorten(tree.GetText().ToString(new Microsoft.CodeAnalysis.Text.TextSpan(e.Start, e.Length))), e.Message });
    }

    private sealed class BodyException : Exception
    {
        // Every descriptor takes its own arguments; the message is for debugging.
        public BodyException(DiagnosticDescriptor descriptor, Location at, string message, params string[] arguments) : base(message)
        {
            Descriptor = descriptor;
            At = at;
            Arguments = arguments;
        }

        // The descriptor's message with these arguments.
        public BodyException(DiagnosticDescriptor descriptor, Location at, params string[] arguments)
            : this(descriptor, at, string.Format(System.Globalization.CultureInfo.InvariantCulture, descriptor.MessageFormat.ToString(System.Globalization.CultureInfo.InvariantCulture), arguments), arguments)
        {
        }

        public DiagnosticDescriptor Descriptor { get; }
        public Location At { get; }
        public string[] Arguments { get; }
    }

    /// <summary>
    /// Reads a block: local declarations and assignments to locals (rebinding them, as in SSA), <c>if</c>/<c>else</c>
    /// whose branches return, and a final <c>return</c>.
    /// </summary>
    private sealed class BodyReader
    {
        private readonly HashSet<string> _parameters;
        private readonly SyntaxTree _tree;
        private readonly CancellationToken _ct;

        public BodyReader(IEnumerable<string> parameters, SyntaxTree tree, CancellationToken ct)
        {
            _parameters = new HashSet<string>(parameters, StringComparer.Ordinal);
            _tree = tree;
            _ct = ct;
        }

        // SG0003: what the statement is, and why it cannot be differentiated.
        private static BodyException Unsupported(SyntaxNode at, string what, string why) =>
            new(DiagnosticDescriptors.UnsupportedStatement, at.GetLocation(), new[] { what, why });

        private static BodyException LoopForm(ForStatementSyntax loop, SyntaxNode at, string problem) =>
            new(DiagnosticDescriptors.UnsupportedLoopForm, at.GetLocation(), new[] { LoopHeader(loop), problem });

        private static BodyException LoopBody(SyntaxNode at, string what, string why) =>
            new(DiagnosticDescriptors.UnsupportedLoopBody, at.GetLocation(), new[] { what, why });

        // for (…; …; …), without the body.
        private static string LoopHeader(ForStatementSyntax loop) =>
            Shorten(loop.ToString().Substring(0, loop.CloseParenToken.Span.End - loop.SpanStart));

        /// <summary>
        /// The value the statements return. A path that reaches their end goes on with <paramref name="continuation"/>
        /// (what follows the <c>if</c> it is a branch of); with <paramref name="effectsOnly"/> the statements only change
        /// locals (a branch of an <c>if</c> without <c>return</c>) and nothing is returned.
        /// </summary>
        public Expr ReadBlock(IReadOnlyList<StatementSyntax> statements, int start, FrontEndScope scope, SyntaxNode owner,
            IReadOnlyList<StatementSyntax>? continuation = null, bool effectsOnly = false)
        {
            for (var i = start; i < statements.Count; i++)
            {
                _ct.ThrowIfCancellationRequested();
                var s = statements[i];
                switch (s)
                {
                    case LocalDeclarationStatementSyntax local:
                        foreach (var v in local.Declaration.Variables)
                        {
                            if (v.Initializer is null) throw Unsupported(v, $"The local '{v.Identifier.ValueText}'", "it must be initialised where it is declared");
                            if (DeclareArray(v, scope)) continue;
                            Expect(ExpressionFrontEnd.BindLocal(v.Identifier.ValueText, local.Declaration.Type, v.Initializer.Value, scope), _tree);
                        }
                        break;
                    case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: ElementAccessExpressionSyntax } assignment }:
                        throw Unsupported(assignment, $"'{Shorten(assignment.ToString())}'", "array elements are written in a loop over the array, every element once: for (var i = 0; i < a.Length; i++) a[i] = …");
                    case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax assignment }:
                        Assign(assignment, scope);
                        break;
                    case ReturnStatementSyntax ret:
                        if (ret.Expression is null) throw Unsupported(ret, "'return;'", "it must return a value");
                        return Expect(ExpressionFrontEnd.Read(ret.Expression, scope), _tree);
                    case BlockSyntax block:
                        return ReadBlock(block.Statements.Concat(statements.Skip(i + 1)).ToList(), 0, scope, block, continuation, effectsOnly);
                    case IfStatementSyntax branch:
                    {
                        var condition = Expect(ExpressionFrontEnd.ReadCondition(branch.Condition, scope), _tree);
                        if (!branch.DescendantNodes().OfType<ReturnStatementSyntax>().Any())
                        {
                            // Neither branch returns: each changes locals, and after the if a changed local is the one
                            // branch's value or the other's (read once, however many ifs follow).
                            var whenTrueScope = scope.Clone();
                            ReadBranch(branch.Statement, whenTrueScope, null, effectsOnly: true);
                            var whenFalseScope = scope.Clone();
                            if (branch.Else != null) ReadBranch(branch.Else.Statement, whenFalseScope, null, effectsOnly: true);
                            scope.Merge(condition, whenTrueScope, whenFalseScope);
                            break;
                        }
                        // A branch that ends without returning goes on with what follows the if.
                        var rest = statements.Skip(i + 1).Concat(continuation ?? Array.Empty<StatementSyntax>()).ToList();
                        var whenTrue = ReadBranch(branch.Statement, scope.Clone(), rest);
                        var whenFalse = branch.Else != null
                            ? ReadBranch(branch.Else.Statement, scope.Clone(), rest)
                            : ReadBlock(statements, i + 1, scope.Clone(), owner, continuation);
                        return Expr.If(condition, whenTrue, whenFalse);
                    }
                    case ForStatementSyntax loop when IsRecurrence(loop, scope):
                        ReadRecurrence(loop, scope);
                        break;
                    case ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call } when CopyTo(call) is { } copy:
                        Copy(call, copy.Source, copy.Target, scope);
                        break;
                    case ForStatementSyntax loop:
                        foreach (var kv in ReadLoop(loop, scope))
                        {
                            if (kv.Value.Elements is { } elements) scope.BindArrayValue(kv.Key, elements);
                            else scope.Bind(kv.Key, Accumulate(Expect(ExpressionFrontEnd.Read(SyntaxFactory.IdentifierName(kv.Key), scope), _tree), kv.Value));
                        }
                        break;
                    case EmptyStatementSyntax:
                        break;
                    default:
                        throw Unsupported(s, Capitalised(Describe(s)), "use local declarations, if/else, return and 'for' loops that add into a local");
                }
            }
            if (effectsOnly) return Expr.Zero;
            if (continuation is { Count: > 0 }) return ReadBlock(continuation, 0, scope, owner);
            var last = statements.Count > 0 ? statements[statements.Count - 1] : owner;
            throw new BodyException(DiagnosticDescriptors.MissingReturn, last.GetLocation(), new[] { last is StatementSyntax st ? Describe(st) : "the method" });
        }

        // What a loop did to an outer local: added Σ term (acc += term) or took max(acc, max term) (acc = Math.Max(acc, term)).
        // (Or, with Elements, what the loop wrote into an array local: its elements, one per iteration.)
        private readonly record struct Accumulation(Expr Term, bool IsMax, FrontEndScope.ArrayValue? Elements = null);

        private static Expr Accumulate(Expr current, Accumulation a) => a.IsMax ? Expr.Max(current, a.Term) : current + a.Term;

        // for (var i = a; i < e; i += s): the loop variable's name, the index that counts its steps (0 … count − 1), the count,
        // and the value the variable has at each step (a + s·index).
        private (string Name, Expr Index, Expr Count, Expr Position) Header(ForStatementSyntax loop, FrontEndScope scope)
        {
            if (loop.Declaration is not { Variables.Count: 1 } declaration || loop.Initializers.Count != 0 ||
                declaration.Variables[0].Initializer?.Value is not { } initial)
                throw LoopForm(loop, loop, "a differentiable loop declares one index and starts it at an int, for (var i = start; …)");
            var name = declaration.Variables[0].Identifier.ValueText;
            if (loop.Condition is not BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LessThanExpression or (int)SyntaxKind.LessThanOrEqualExpression, Left: IdentifierNameSyntax bound } condition ||
                bound.Identifier.ValueText != name)
                throw LoopForm(loop, loop.Condition ?? (SyntaxNode)loop, $"the condition must be '{name} < end' or '{name} <= end'");
            if (loop.Incrementors.Count != 1 || Step(loop.Incrementors[0], name, scope.Resolver) is not { } step)
                throw LoopForm(loop, loop, $"the loop must step up by a positive int constant, {name}++ or {name} += 2");
            if (declaration.Type is not (IdentifierNameSyntax { IsVar: true } or PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.IntKeyword }))
                throw LoopForm(loop, declaration.Type, $"the index '{name}' must be an int");
            var start = Expect(ExpressionFrontEnd.ReadCount(initial, scope), _tree);
            var end = Expect(ExpressionFrontEnd.ReadCount(condition.Right, scope), _tree);
            // for (i = a; i < e; i += s) runs ⌈(e − a)/s⌉ times (none when e ≤ a: the int quotient is then ≤ 0) with
            // i = a + s·i′: a sum over i′ from 0, whose count is e itself for the usual i = 0, i < e, i++.
            var span = Expr.Sub(condition.IsKind(SyntaxKind.LessThanOrEqualExpression) ? Expr.Add(end, Expr.One) : end, start);
            var count = step == 1 ? span : Expr.IntDiv(Expr.Add(span, Expr.Const(step - 1)), Expr.Const(step));
            var index = ExpressionFrontEnd.FreshIndex(scope, name);
            var position = Expr.Add(start, Expr.Mul(Expr.Const(step), index));
            return (name, index, count, position);
        }

        // Array locals that are one array under two names (after h = next): not written again.
        private readonly HashSet<string> _aliased = new(StringComparer.Ordinal);

        // var h = new double[n]; double[] h = new double[n]; Span<double> h = stackalloc double[n]: an array local of zeros.
        private bool DeclareArray(VariableDeclaratorSyntax v, FrontEndScope scope)
        {
            var (type, at) = v.Initializer?.Value switch
            {
                ArrayCreationExpressionSyntax { Initializer: null } c => (c.Type, (SyntaxNode)c),
                StackAllocArrayCreationExpressionSyntax { Initializer: null, Type: ArrayTypeSyntax t } c => (t, c),
                _ => ((ArrayTypeSyntax?)null, (SyntaxNode?)null),
            };
            if (type is null || at is null) return false;
            var real = scope.FloatingType == NumericType.Float ? SyntaxKind.FloatKeyword : SyntaxKind.DoubleKeyword;
            if (type.RankSpecifiers.Count != 1 || type.RankSpecifiers[0].Sizes.Count != 1 || type.ElementType is not PredefinedTypeSyntax { Keyword: var keyword } || !keyword.IsKind(real))
                throw new BodyException(DiagnosticDescriptors.UnsupportedArrayAccess, at.GetLocation(), new[] { Shorten(at.ToString()),
                    $"an array local has one dimension and the method's type: new {(real == SyntaxKind.FloatKeyword ? "float" : "double")}[n]" });
            var length = Expect(ExpressionFrontEnd.ReadCount(type.RankSpecifiers[0].Sizes[0], scope), _tree);
            scope.BindArrayValue(v.Identifier.ValueText, new FrontEndScope.ArrayValue(length, Expr.Index("i"), Expr.Zero));
            return true;
        }

        // source.CopyTo(target) between two array locals: the names.
        private static (string Source, string Target)? CopyTo(InvocationExpressionSyntax call) =>
            call is { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "CopyTo", Expression: IdentifierNameSyntax source }, ArgumentList.Arguments: { Count: 1 } args } &&
            args[0].Expression is IdentifierNameSyntax target
                ? (source.Identifier.ValueText, target.Identifier.ValueText)
                : null;

        // target gets source's elements (arrays of one length).
        private static void Copy(InvocationExpressionSyntax call, string source, string target, FrontEndScope scope)
        {
            if (!scope.TryArrayValue(source, out var value) || !scope.TryArrayValue(target, out var current))
                throw Unsupported(call, $"'{Shorten(call.ToString())}'", "CopyTo is read between two array locals (var a = new double[n])");
            if (!ReferenceEquals(value.Length, current.Length))
                throw Unsupported(call, $"'{Shorten(call.ToString())}'", $"'{source}' and '{target}' must be declared with one length to copy one into the other");
            scope.BindArrayValue(target, value);
        }

        /// <summary>The loop that carries state, when the body has one (read by <see cref="ReadRecurrence"/>).</summary>
        public Recurrence? Recurrence { get; private set; }

        // The outer locals a loop assigns (not its own locals), in the order first assigned.
        private List<string> Assigned(ForStatementSyntax loop, FrontEndScope scope)
        {
            var inside = new HashSet<string>(loop.Statement.DescendantNodesAndSelf().OfType<VariableDeclaratorSyntax>().Select(d => d.Identifier.ValueText), StringComparer.Ordinal);
            return loop.Statement.DescendantNodesAndSelf()
                .Select(n => n switch
                {
                    AssignmentExpressionSyntax { Left: IdentifierNameSyntax id } => (Name: id.Identifier.ValueText, At: n.SpanStart),
                    InvocationExpressionSyntax call when CopyTo(call) is { } copy => (Name: copy.Target, At: n.SpanStart),
                    _ => (Name: (string?)null, At: 0),
                })
                .Where(x => x.Name != null && (scope.IsBound(x.Name) || scope.TryArrayValue(x.Name, out _)) && !_parameters.Contains(x.Name) && !inside.Contains(x.Name))
                .OrderBy(x => x.At).Select(x => x.Name).Distinct().ToList()!;
        }

        /// <summary>
        /// True when the loop carries state: an outer local it assigns is read in it other than as its own accumulator
        /// (h = Math.Tanh(w * h + x[t]), p *= x), or assigned other than by adding into it or taking a running max.
        /// </summary>
        private bool IsRecurrence(ForStatementSyntax loop, FrontEndScope scope)
        {
            foreach (var local in Assigned(loop, scope))
            {
                var own = new HashSet<SyntaxNode>();
                foreach (var a in loop.Statement.DescendantNodesAndSelf().OfType<AssignmentExpressionSyntax>())
                {
                    if (a.Left is not IdentifierNameSyntax id || id.Identifier.ValueText != local) continue;
                    own.Add(a.Left);
                    if (a.Kind() is SyntaxKind.AddAssignmentExpression or SyntaxKind.SubtractAssignmentExpression) continue;
                    if (a.IsKind(SyntaxKind.SimpleAssignmentExpression) && OwnOccurrence(a.Right, local) is { } occurrence)
                    {
                        own.Add(occurrence);
                        continue;
                    }
                    return true;
                }
                if (loop.Statement.DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == local && !own.Contains(n) &&
                    !(n.Parent is MemberAccessExpressionSyntax m && m.Name == n)))
                    return true;
            }
            return false;
        }

        /// <summary>
        /// A loop that carries state at the top level of the body: each outer local it assigns is a state s_j, its value
        /// before the loop the initial value, the body read once with the states as the values of the step before (Var(s_j))
        /// into what a step makes of them. After the loop, each state is its final value (Var(s_j) again, now s_T).
        /// </summary>
        private void ReadRecurrence(ForStatementSyntax loop, FrontEndScope scope)
        {
            const string what = "A loop that carries state from one step to the next";
            if (loop.Parent is not BlockSyntax { Parent: BaseMethodDeclarationSyntax })
                throw LoopBody(loop, what, loop.Ancestors().Any(a => a is ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax or ForEachStatementSyntax)
                    ? "such a loop (a recurrence) is differentiated at the top level of the method's body, not inside another loop"
                    : "such a loop (a recurrence) is differentiated at the top level of the method's body, not inside an if or a block");
            if (Recurrence != null)
                throw LoopBody(loop, what, "one such loop (a recurrence) per method is differentiated; this is the second: put the steps of both in one loop, or split the method");
            var exit = loop.Statement.DescendantNodesAndSelf().FirstOrDefault(n => n is BreakStatementSyntax or ContinueStatementSyntax or ReturnStatementSyntax or GotoStatementSyntax or ThrowStatementSyntax or YieldStatementSyntax);
            if (exit != null)
                throw LoopBody(exit, $"'{Shorten(exit.ToString())}'", "a loop that carries state runs all its steps: an early exit (break, continue, return, goto, throw) is not differentiated; make the step a no-op instead, h = t < stop ? next : h");
            var (name, index, count, position) = Header(loop, scope);
            // The loop runs over its index: a step that changes it (t += 1) is not a step of this loop.
            var changesIndex = loop.Statement.DescendantNodesAndSelf().FirstOrDefault(n =>
                n is AssignmentExpressionSyntax { Left: IdentifierNameSyntax id } && id.Identifier.ValueText == name ||
                n is PostfixUnaryExpressionSyntax { Operand: IdentifierNameSyntax p } && p.Identifier.ValueText == name ||
                n is PrefixUnaryExpressionSyntax { Operand: IdentifierNameSyntax q } && q.Identifier.ValueText == name && n.Kind() is SyntaxKind.PreIncrementExpression or SyntaxKind.PreDecrementExpression);
            if (changesIndex != null)
                throw LoopBody(changesIndex, $"'{Shorten(changesIndex.ToString())}'", $"the loop's index '{name}' is changed in its body; a loop that carries state runs every step from its header");
            // h = next with next declared before the loop: from the second step on, h and next are one array, written in place.
            var declaredInside = new HashSet<string>(loop.Statement.DescendantNodesAndSelf().OfType<VariableDeclaratorSyntax>().Select(d => d.Identifier.ValueText), StringComparer.Ordinal);
            foreach (var a in loop.Statement.DescendantNodesAndSelf().OfType<AssignmentExpressionSyntax>())
                if (a.Left is IdentifierNameSyntax target && scope.TryArrayValue(target.Identifier.ValueText, out _) && a.Right is IdentifierNameSyntax source &&
                    scope.TryArrayValue(source.Identifier.ValueText, out _) && !declaredInside.Contains(source.Identifier.ValueText))
                    throw LoopBody(a, $"'{Shorten(a.ToString())}'", $"'{source.Identifier.ValueText}' is declared before the loop, so from the second step on '{target.Identifier.ValueText}' and '{source.Identifier.ValueText}' are one array written in place; declare it in the step (var {source.Identifier.ValueText} = new double[n]) or copy it ({source.Identifier.ValueText}.CopyTo({target.Identifier.ValueText}))");
            var assigned = Assigned(loop, scope);
            // Scalar states (locals) and state arrays (array locals: h = next, next.CopyTo(h)).
            var states = assigned.Where(n => !scope.TryArrayValue(n, out _)).ToList();
            var arrayStates = assigned.Where(n => scope.TryArrayValue(n, out _)).ToList();
            var types = new List<NumericType>();
            var initial = new List<Expr>();
            foreach (var state in states)
            {
                var at = loop.Statement.DescendantNodesAndSelf().OfType<AssignmentExpressionSyntax>().First(a => a.Left is IdentifierNameSyntax id && id.Identifier.ValueText == state);
                var type = scope.TypeOf(state) ?? scope.FloatingType;
                if (type is NumericType.Int or NumericType.Long)
                    throw new BodyException(DiagnosticDescriptors.UnsupportedArithmetic, at.GetLocation(), $"'{at}': an int carried through a loop is not supported",
                        at.ToString(), $"the int '{state}' carried from one step to the next", "carry a double or float local; use the loop index for counting");
                if (type is NumericType.Double && scope.FloatingType == NumericType.Float)
                    throw new BodyException(DiagnosticDescriptors.UnsupportedArithmetic, at.GetLocation(), new[]
                        { at.ToString(), $"the double '{state}' carried through a loop in a float method", "carry a float local, or make the method double" });
                types.Add(type);
                initial.Add(Expect(ExpressionFrontEnd.Read(SyntaxFactory.IdentifierName(state), scope), _tree));
            }
            var inner = ReferenceEquals(position, index) ? scope.Clone().BindIndex(name, index) : scope.Clone().BindIndexExpression(name, position);
            for (var j = 0; j < states.Count; j++) inner.Bind(states[j], new TypedExpr(Expr.Var(states[j]), types[j]));
            // In the step a state array's elements are the state's (h[j] is Element(h, j)); after it, what the step made of them.
            var arrayInitial = new List<FrontEndScope.ArrayValue>();
            foreach (var array in arrayStates)
            {
                scope.TryArrayValue(array, out var value);
                arrayInitial.Add(value);
                var i = Expr.Index("i");
                inner.BindArrayValue(array, new FrontEndScope.ArrayValue(value.Length, i, Expr.Element(array, i)));
            }
            var body = loop.Statement is BlockSyntax block ? block.Statements.ToList() : new List<StatementSyntax> { loop.Statement };
            ReadBlock(body, 0, inner, loop.Statement, null, effectsOnly: true);
            var next = states.Select(state => Expect(ExpressionFrontEnd.Read(SyntaxFactory.IdentifierName(state), inner), _tree)).ToList();
            var arrays = new List<ArrayState>();
            for (var k = 0; k < arrayStates.Count; k++)
            {
                inner.TryArrayValue(arrayStates[k], out var stepped);
                var start = arrayInitial[k];
                if (!ReferenceEquals(stepped.Length, start.Length))
                    throw LoopBody(loop, what, $"the state '{arrayStates[k]}' must keep its length from step to step: declare the next state as new double[{arrayStates[k]}.Length]");
                arrays.Add(new ArrayState(arrayStates[k], start.Length, stepped.Index, Expr.Substitute(start.Element, start.Index, stepped.Index), stepped.Element));
            }
            Recurrence = new Recurrence(index, count, states, initial, next, arrays);
            for (var j = 0; j < states.Count; j++) scope.Bind(states[j], new TypedExpr(Expr.Var(states[j]), types[j]));
            foreach (var a in arrays) scope.BindArrayValue(a.Name, new FrontEndScope.ArrayValue(a.Length, a.Index, Expr.Element(a.Name, a.Index)));
        }

        /// <summary>
        /// <c>for (var i = 0; i &lt; n; i++) { locals…; acc += term; }</c>: a sum over i of what the body adds to each
        /// local declared before the loop (an indexed Σ, not n copies); <c>acc = Math.Max(acc, term)</c> is a max over i
        /// (max pooling). Returns local → Σ added or max taken. Nested loops nest them; reading an accumulator inside
        /// its own loop otherwise (a recurrence, not a reduction) is an error.
        /// </summary>
        private Dictionary<string, Accumulation> ReadLoop(ForStatementSyntax loop, FrontEndScope scope)
        {
            var (name, index, count, position) = Header(loop, scope);
            var body = loop.Statement is BlockSyntax block ? block.Statements.ToList() : new List<StatementSyntax> { loop.Statement };
            var inner = ReferenceEquals(position, index) ? scope.Clone().BindIndex(name, index) : scope.Clone().BindIndexExpression(name, position);
            var declared = new HashSet<string>(StringComparer.Ordinal);
            var added = new Dictionary<string, Expr>(StringComparer.Ordinal);
            // Accumulators are the outer locals the body (or a nested loop) assigns; they cannot be read inside.
            foreach (var a in loop.Statement.DescendantNodesAndSelf().OfType<AssignmentExpressionSyntax>())
                if (a.Left is IdentifierNameSyntax target && scope.IsBound(target.Identifier.ValueText) && !_parameters.Contains(target.Identifier.ValueText) &&
                    !loop.Statement.DescendantNodes().OfType<VariableDeclaratorSyntax>().Any(d => d.Identifier.ValueText == target.Identifier.ValueText))
                    inner.Forbid(target.Identifier.ValueText, $"this loop accumulates it, so a term cannot read it (that is a recurrence, not a sum); add terms that do not read it ({target.Identifier.ValueText} += term) or take a running max, {target.Identifier.ValueText} = Math.Max({target.Identifier.ValueText}, term) (a running min is not supported yet)");

            var maxed = new HashSet<string>(StringComparer.Ordinal);
            var written = new Dictionary<string, FrontEndScope.ArrayValue>(StringComparer.Ordinal);
            void Add(SyntaxNode at, string local, Expr term, bool isMax)
            {
                if (added.ContainsKey(local) && maxed.Contains(local) != isMax)
                    throw LoopBody(at, $"'{local}'", "it is both added to and maximised; use one accumulator for each");
                if (isMax) maxed.Add(local);
                added[local] = !added.TryGetValue(local, out var so) ? term : isMax ? Expr.Max(so, term) : so + term;
            }
            foreach (var statement in body)
            {
                _ct.ThrowIfCancellationRequested();
                switch (statement)
                {
                    case LocalDeclarationStatementSyntax local:
                        foreach (var v in local.Declaration.Variables)
                        {
                            if (v.Initializer is null) throw Unsupported(v, $"The local '{v.Identifier.ValueText}'", "it must be initialised where it is declared");
                            if (!DeclareArray(v, inner)) Expect(ExpressionFrontEnd.BindLocal(v.Identifier.ValueText, local.Declaration.Type, v.Initializer.Value, inner), _tree);
                            declared.Add(v.Identifier.ValueText);
                        }
                        break;
                    case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: ElementAccessExpressionSyntax element } a }:
                    {
                        // a[i] = value in the loop over i: the array local's elements (read after the loop, not in it).
                        var array = element.Expression is IdentifierNameSyntax id ? id.Identifier.ValueText : "";
                        if (!inner.TryArrayValue(array, out var current) || declared.Contains(array))
                            throw Unsupported(a, $"'{Shorten(a.ToString())}'", "only an array local declared before the loop (var a = new double[n]) is written, element by element in a loop over it");
                        if (_aliased.Contains(array))
                            throw Unsupported(a, $"'{Shorten(a.ToString())}'", $"'{array}' is one array with another local after an assignment between them; write a new array (var next = new double[n]) instead");
                        if (!a.IsKind(SyntaxKind.SimpleAssignmentExpression) || element.ArgumentList.Arguments.Count != 1 ||
                            element.ArgumentList.Arguments[0].Expression is not IdentifierNameSyntax { } at || at.Identifier.ValueText != name ||
                            !ReferenceEquals(position, index) || !ReferenceEquals(count, current.Length) || written.ContainsKey(array))
                            throw LoopBody(a, $"'{Shorten(a.ToString())}'", $"an array local is written once per element, in a loop over it from 0 by 1: for (var {name} = 0; {name} < {array}.Length; {name}++) {array}[{name}] = …");
                        written[array] = new FrontEndScope.ArrayValue(current.Length, index, Expect(ExpressionFrontEnd.Read(a.Right, inner), _tree));
                        // Read again in this iteration, a[i] is the value just written; another element would depend on the order of the writes.
                        inner.BindArrayValue(array, written[array]);
                        inner.WrittenAt(array, position);
                        break;
                    }
                    case ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call } when CopyTo(call) is { } copy:
                        if (!declared.Contains(copy.Target)) throw LoopBody(call, $"'{Shorten(call.ToString())}'", "a loop that copies into an array declared before it carries state: it is differentiated at the top level of the method's body");
                        Copy(call, copy.Source, copy.Target, inner);
                        break;
                    case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax a } when a.Left is IdentifierNameSyntax target && declared.Contains(target.Identifier.ValueText):
                        Assign(a, inner);
                        break;
                    case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax a } when a.Left is IdentifierNameSyntax target && scope.IsBound(target.Identifier.ValueText):
                    {
                        var local = target.Identifier.ValueText;
                        if (_parameters.Contains(local)) throw Unsupported(a, $"'{Shorten(a.ToString())}'", $"it assigns the parameter '{local}'; declare a local instead");
                        if (scope.TypeOf(local) is NumericType.Double && scope.FloatingType == NumericType.Float)
                            throw new BodyException(DiagnosticDescriptors.UnsupportedArithmetic, a.GetLocation(), new[]
                                { a.ToString(), $"the double '{local}' accumulated in a float method", "accumulate a float local, or make the method double" });
                        if (scope.TypeOf(local) is NumericType.Int or NumericType.Long)
                            throw new BodyException(DiagnosticDescriptors.UnsupportedArithmetic, a.GetLocation(), $"'{a}': an int accumulated in a loop is not supported",
                                a.ToString(), $"the int '{local}' accumulated in a loop", "accumulate a double or float local");
                        if (a.IsKind(SyntaxKind.SimpleAssignmentExpression) && MaxOf(a.Right, local) is { } other)
                        {
                            Add(a, local, Expect(ExpressionFrontEnd.Read(other, inner), _tree), isMax: true);
                            break;
                        }
                        // s = s + term, s = term + s, s = s - term: the same sums as += and -=.
                        if (a.IsKind(SyntaxKind.SimpleAssignmentExpression) && SumOf(a.Right, local) is { } addends)
                        {
                            var sumOfTerms = Expr.Add(addends.Select(t =>
                            {
                                var read = Expect(ExpressionFrontEnd.Read(t.Term, inner), _tree);
                                return t.Negated ? -read : read;
                            }).ToList());
                            Add(a, local, sumOfTerms, isMax: false);
                            break;
                        }
                        var term = Expect(ExpressionFrontEnd.Read(a.Right, inner), _tree);
                        if (a.IsKind(SyntaxKind.AddAssignmentExpression)) Add(a, local, term, isMax: false);
                        else if (a.IsKind(SyntaxKind.SubtractAssignmentExpression)) Add(a, local, -term, isMax: false);
                        else throw LoopBody(a, $"'{Shorten(a.ToString())}'", $"a loop may only add to '{local}' (+= or -=), which makes it a sum, or take {local} = Math.Max({local}, …), a max");
                        break;
                    }
                    case ForStatementSyntax nested when IsRecurrence(nested, inner):
                        throw LoopBody(nested, "A loop that carries state from one step to the next", "such a loop (a recurrence) is differentiated at the top level of the method's body, not inside another loop");
                    case ForStatementSyntax nested:
                        foreach (var kv in ReadLoop(nested, inner))
                        {
                            // A local of this body reduced by the nested loop is just updated; an outer one accumulates.
                            if (kv.Value.Elements is { } elements)
                            {
                                if (!declared.Contains(kv.Key))
                                    throw LoopBody(nested, $"Writing '{kv.Key}' in a nested loop", $"an array local is written in the loop over its elements, not inside another loop (in a loop that carries state, write the next state into an array declared in the step: var next = new double[n]; …; {kv.Key} = next)");
                                inner.BindArrayValue(kv.Key, elements);
                            }
                            else if (declared.Contains(kv.Key)) inner.Bind(kv.Key, Accumulate(Expect(ExpressionFrontEnd.Read(SyntaxFactory.IdentifierName(kv.Key), inner), _tree), kv.Value));
                            else Add(nested, kv.Key, kv.Value.Term, kv.Value.IsMax);
                        }
                        break;
                    case EmptyStatementSyntax:
                        break;
                    default:
                        throw LoopBody(statement, Capitalised(Describe(statement)), "use locals and += into a local declared before the loop");
                }
            }
            var result = added.ToDictionary(kv => kv.Key,
                kv => maxed.Contains(kv.Key) ? new Accumulation(Expr.MaxOver(index, count, kv.Value), true) : new Accumulation(Expr.Sum(index, count, kv.Value), false),
                StringComparer.Ordinal);
            foreach (var kv in written) result[kv.Key] = new Accumulation(Expr.Zero, false, kv.Value);
            return result;
        }

        // acc + a − b + … (the accumulator once, added, anywhere in a chain of + and −): the other terms and their signs.
        private static List<(ExpressionSyntax Term, bool Negated)>? SumOf(ExpressionSyntax right, string local) => SumWithOwn(right, local)?.Terms;

        // The accumulator's own occurrence in acc + a − b + … (or Math.Max(acc, term)): the read that makes it a sum (a max), not a recurrence.
        private static ExpressionSyntax? OwnOccurrence(ExpressionSyntax right, string local)
        {
            if (SumWithOwn(right, local) is { } sum) return sum.Own;
            if (MaxOf(right, local) is null) return null;
            var args = ((InvocationExpressionSyntax)right).ArgumentList.Arguments;
            return args[0].Expression is IdentifierNameSyntax id && id.Identifier.ValueText == local ? args[0].Expression : args[1].Expression;
        }

        private static (List<(ExpressionSyntax Term, bool Negated)> Terms, ExpressionSyntax Own)? SumWithOwn(ExpressionSyntax right, string local)
        {
            var terms = new List<(ExpressionSyntax Term, bool Negated)>();
            void Flatten(ExpressionSyntax e, bool negated)
            {
                while (e is ParenthesizedExpressionSyntax p) e = p.Expression;
                if (e is BinaryExpressionSyntax b && (b.IsKind(SyntaxKind.AddExpression) || b.IsKind(SyntaxKind.SubtractExpression)))
                {
                    Flatten(b.Left, negated);
                    Flatten(b.Right, b.IsKind(SyntaxKind.SubtractExpression) ? !negated : negated);
                }
                else terms.Add((e, negated));
            }
            Flatten(right, false);
            var own = terms.Where(t => t.Term is IdentifierNameSyntax id && id.Identifier.ValueText == local).ToList();
            if (own.Count != 1 || own[0].Negated || terms.Count < 2) return null;
            terms.Remove(own[0]);
            return (terms, own[0].Term);
        }

        // acc = Math.Max(acc, term) (or MathF.Max, either order): the term.
        private static ExpressionSyntax? MaxOf(ExpressionSyntax right, string local)
        {
            if (right is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Max" } member, ArgumentList.Arguments: { Count: 2 } args } ||
                !SystemMath.IsQualifier(member.Expression.ToString()))
                return null;
            bool Is(ExpressionSyntax e) => e is IdentifierNameSyntax id && id.Identifier.ValueText == local;
            return Is(args[0].Expression) ? args[1].Expression : Is(args[1].Expression) ? args[0].Expression : null;
        }

        // i++, ++i, i += s, i = i + s with s a positive int constant: s.
        // (A named constant step, i += Config.Step, is the int the compiler folds it to.)
        private static int? Step(ExpressionSyntax e, string name, ISymbolResolver? resolver)
        {
            if (IsIncrement(e, name)) return 1;
            bool Is(ExpressionSyntax x) => x is IdentifierNameSyntax id && id.Identifier.ValueText == name;
            var (target, by) = e switch
            {
                AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.AddAssignmentExpression } a => (a.Left, a.Right),
                AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Right: BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } sum } a
                    when Is(sum.Left) => (a.Left, sum.Right),
                _ => ((ExpressionSyntax?)null, (ExpressionSyntax?)null),
            };
            var value = by is null ? null : by is LiteralExpressionSyntax { Token.Value: int literal } ? literal : resolver?.FoldedConstant(by);
            return target != null && Is(target) && value is int s && s > 0 ? s : null;
        }

        private static bool IsIncrement(ExpressionSyntax e, string name) => e switch
        {
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression, Operand: IdentifierNameSyntax id } => id.Identifier.ValueText == name,
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression, Operand: IdentifierNameSyntax id } => id.Identifier.ValueText == name,
            AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.AddAssignmentExpression, Left: IdentifierNameSyntax id, Right: LiteralExpressionSyntax { Token.Value: 1 } } => id.Identifier.ValueText == name,
            _ => false,
        };

        private Expr ReadBranch(StatementSyntax statement, FrontEndScope scope, IReadOnlyList<StatementSyntax>? continuation, bool effectsOnly = false) =>
            statement is BlockSyntax block
                ? ReadBlock(block.Statements.ToList(), 0, scope, block, continuation, effectsOnly)
                : ReadBlock(new[] { statement }, 0, scope, statement, continuation, effectsOnly);

        private void Assign(AssignmentExpressionSyntax a, FrontEndScope scope)
        {
            if (a.Left is not IdentifierNameSyntax id)
                throw Unsupported(a, $"'{Shorten(a.ToString())}'", $"only locals can be assigned, not '{a.Left}'");
            var name = id.Identifier.ValueText;
            if (_parameters.Contains(name))
                throw Unsupported(a, $"'{Shorten(a.ToString())}'", $"it assigns the parameter '{name}'; declare a local instead");
            if (scope.TryArrayValue(name, out _))
            {
                // h = next: the array local is that array (one array under two names from here: neither is written again).
                if (!a.IsKind(SyntaxKind.SimpleAssignmentExpression) || a.Right is not IdentifierNameSyntax source || !scope.TryArrayValue(source.Identifier.ValueText, out var value))
                    throw Unsupported(a, $"'{Shorten(a.ToString())}'", $"an array local is given another array local ({name} = next) or written element by element");
                scope.BindArrayValue(name, value);
                _aliased.Add(name);
                _aliased.Add(source.Identifier.ValueText);
                return;
            }
            if (!scope.IsBound(name)) throw new BodyException(DiagnosticDescriptors.UnknownName, id.GetLocation(), new[] { name, "local" });
            if (a.Kind() is not (SyntaxKind.SimpleAssignmentExpression or SyntaxKind.AddAssignmentExpression or SyntaxKind.SubtractAssignmentExpression
                or SyntaxKind.MultiplyAssignmentExpression or SyntaxKind.DivideAssignmentExpression or SyntaxKind.ModuloAssignmentExpression))
                throw Unsupported(a, $"'{Shorten(a.ToString())}'", $"the operator '{a.OperatorToken.Text}' is not supported");
            Expect(ExpressionFrontEnd.Assign(name, a.Kind(), a.Right, a, scope), _tree);
        }

        private static string Capitalised(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s.Substring(1);

        private static string Describe(StatementSyntax s) => s switch
        {
            ForStatementSyntax => "a 'for' loop",
            ForEachStatementSyntax => "a 'foreach' loop",
            WhileStatementSyntax => "a 'while' loop",
            DoStatementSyntax => "a 'do' loop",
            SwitchStatementSyntax => "a 'switch' statement",
            TryStatementSyntax => "a 'try' statement",
            ThrowStatementSyntax => "a 'throw' statement",
            ExpressionStatementSyntax e => $"the statement '{Shorten(e.ToString())}'",
            _ => $"the statement '{Shorten(s.ToString())}'",
        };
    }

    // Source text for a message: one line, at most 40 characters.
    private static string Shorten(string text)
    {
        text = text.Replace("\r", " ").Replace("\n", " ");
        return text.Length > 40 ? text.Substring(0, 37) + "..." : text;
    }

    /// <summary>
    /// Methods with up to this many variables also get one <c>{Name}Partial_{v}</c> member per variable (and per pair at
    /// order 2); with more, n members of n parameters each would be n² of generated code, so there is only the gradient.
    /// </summary>
    internal const int MaxPartialMembers = 64;

    /// <summary>Levels of nesting a body may have (binary operator chains such as long sums do not count).</summary>
    internal const int MaxNesting = 1000;

    // The first node nested more than MaxNesting levels deep, walked without recursion: parentheses, calls, element
    // accesses, unary and conditional operators each add a level; a binary operator does not (the compiler binds long
    // chains of them without recursing, and a sum of many terms is ordinary code).
    private static SyntaxNode? DeepestNesting(SyntaxNode body)
    {
        var depth = new Dictionary<SyntaxNode, int> { [body] = 0 };
        foreach (var node in body.DescendantNodes())
        {
            var d = node.Parent is { } parent && depth.TryGetValue(parent, out var p) ? p : 0;
            if (node is ParenthesizedExpressionSyntax or InvocationExpressionSyntax or ElementAccessExpressionSyntax or PrefixUnaryExpressionSyntax
                or ConditionalExpressionSyntax or CastExpressionSyntax or LambdaExpressionSyntax) d++;
            if (d > MaxNesting) return node;
            depth[node] = d;
        }
        return null;
    }
}
