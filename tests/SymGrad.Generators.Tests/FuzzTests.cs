using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace SymGrad.Generators.Tests;

/// <summary>
/// Hundreds of random and malformed method bodies through the generator: it never throws, never reports an
/// internal error, and every well-formed method either gets code or an SG diagnostic inside the method.
/// </summary>
public class FuzzTests
{
    private static readonly string[] Seeds =
    {
        "=> 1.0 / (1.0 + Math.Exp(-x));",
        "=> Math.Tanh(w * x + b) * y;",
        "{ var yHat = w * x + b; return 0.5 * (y - yHat) * (y - yHat); }",
        "{ if (x > 0) return x * w; else return 0.01 * x; }",
        "=> x > 0 ? Math.Log(1 + x) : Math.Exp(x) - 1;",
        "{ var s = x * x + y * y; s += b; return Math.Sqrt(s + 1); }",
        "=> Math.Pow(w, 3) - Math.Max(x, y) + Math.Abs(b);",
        "=> Math.Sin(x) * Math.Cos(y) / (1 + w * w);",
        // Issue 15's forms: patterns, switch expressions, logical conditions, more functions, static fields.
        "=> x switch { < -1 => -w, > 1 and < 2 => x * x, _ when y > 0 => Math.Atan2(y, x), _ => Math.Floor(x) + b };",
        "=> x is > 0 and < 1 || !(y < 2) && w != b ? double.Hypot(x, y) : Math.CopySign(w, b) + Math.Cbrt(x);",
        "{ if (x > 0 && (y < 1 || !(w >= b))) return Math.Asinh(x) * double.ExpM1(y); return Math.Round(w) + Math.Clamp(b, -1, 1) * double.Epsilon; }",
    };

    // Indexed methods carry their own signatures (spans, arrays, matrices).
    private static readonly (string Signature, string Body)[] IndexedSeeds =
    {
        ("double w, double b, ReadOnlySpan<double> x, ReadOnlySpan<double> y", "{ var s = 0.0; for (var i = 0; i < x.Length; i++) { var r = y[i] - (w * x[i] + b); s += r * r; } return s / (2 * x.Length); }"),
        ("double[] z, double[] y", "=> Math.Log(Sym.Sum(z.Length, j => Math.Exp(z[j]))) - Sym.Sum(z.Length, j => y[j] * z[j]);"),
        ("double[,] W, ReadOnlySpan<double> a, ReadOnlySpan<double> c", "{ var l = 0.0; for (var j = 0; j < c.Length; j++) { var z = 0.0; for (var i = 0; i < a.Length; i++) z += W[j, i] * a[i]; l += c[j] * Math.Tanh(z); } return l; }"),
        ("ReadOnlySpan<double> X, ReadOnlySpan<double> K", "{ var s = 0.0; for (var m = 0; m < X.Length - K.Length + 1; m++) for (var i = 0; i < K.Length; i++) s += K[i] * X[m + i]; return s; }"),
        ("float w, ReadOnlySpan<float> x", "{ var s = 0f; for (var i = 0; i < x.Length; i++) s += Math.Abs(x[i] * w); return s; }"),
        ("double[,] X, double[,] G", "{ var s = 0.0; for (var m = 0; m < G.GetLength(0); m++) for (var n = 0; n < G.GetLength(1); n++) { var best = double.NegativeInfinity; for (var i = 0; i < 2; i++) for (var j = 0; j < 2; j++) best = Math.Max(best, X[2 * m + i, 2 * n + j]); s += G[m, n] * best; } return s; }"),
        ("double[] z, double[] y", "{ var shift = Sym.Max(z.Length, j => z[j]); return Math.Log(Sym.Sum(z.Length, j => Math.Exp(z[j] - shift))) + shift - Sym.Sum(z.Length, j => y[j] * z[j]); }"),
        ("ReadOnlySpan<double> z, int label", "{ var s = 0.0; for (var j = 0; j < z.Length; j++) s += Math.Exp(z[j]); return Math.Log(s) - z[label]; }"),
        ("ReadOnlySpan<double> x, double w, int n", "{ var s = 0.0; for (var i = 1; i <= x.Length - 2; i += 2) for (var j = 0; j < i; j++) s += w * x[i] * x[j] + Math.Pow(w, j % n); return s; }"),
    };

    private static readonly string[] Statements =
    {
        "for (var i = 0; i < 3; i++) x += 1;", "while (x > 1) x /= 2;", "x = 1;", "throw new Exception();",
        "switch (1) { default: break; }", "var q = Helper(x);", "Console.WriteLine(x);", "return;", "var z;",
    };

    private static readonly string[] Operators = { "+", "-", "*", "/", "%", "&&", "<<", "==", "??", "^" };

    private static string Mutate(string body, Random r)
    {
        switch (r.Next(9))
        {
            case 0: // delete a character run
            {
                var i = r.Next(body.Length);
                return body.Remove(i, Math.Min(r.Next(1, 4), body.Length - i));
            }
            case 1: // swap an operator
            {
                var ops = body.Select((c, i) => (c, i)).Where(p => "+-*/".Contains(p.c)).ToList();
                if (ops.Count == 0) return body;
                var (_, at) = ops[r.Next(ops.Count)];
                return body.Remove(at, 1).Insert(at, Operators[r.Next(Operators.Length)]);
            }
            case 2: // insert an unsupported statement
            {
                var block = body.StartsWith("=>", StringComparison.Ordinal) ? "{ return " + body.Substring(2).TrimEnd(';') + "; }" : body;
                return block.Insert(1, " " + Statements[r.Next(Statements.Length)] + " ");
            }
            case 3: // unknown identifier
                return body.Replace("x", r.Next(2) == 0 ? "unknown" : "Math.Nope(x)");
            case 4: // huge or odd literals
                return body.Replace("1", new[] { "1e309", "123456789012345678901234567890", "0x1F", "1_0", "1.5m", "'c'" }[r.Next(6)]);
            case 5: // deep nesting
            {
                var depth = r.Next(50, 1200);
                var sb = new StringBuilder("=> ");
                for (var i = 0; i < depth; i++) sb.Append(r.Next(2) == 0 ? "Math.Tanh(" : "(x + ");
                sb.Append('x');
                sb.Append(')', depth).Append(';');
                return sb.ToString();
            }
            case 6: // long sums
                return "=> " + string.Join(" + ", Enumerable.Range(0, r.Next(100, 400)).Select(i => i % 3 == 0 ? "x * w" : i % 3 == 1 ? "Math.Exp(b)" : "y")) + ";";
            case 7: // nonsense
                return new string(Enumerable.Range(0, r.Next(1, 30)).Select(_ => "xwby+-*/(){};=>?:.0123 MathExp"[r.Next(30)]).ToArray());
            default:
                return Mutate(Mutate(body, r), r);
        }
    }

    private static readonly string[] Signatures =
    {
        "double w, double b, double x, double y", "double x", "float x, float y", "double x, int n", "decimal x", "string s",
        "double x, params double[] rest", "ref double x", "",
    };

    [Fact]
    public void RandomAndMalformedBodies_NeverCrashTheGenerator()
    {
        // Fast in CI (16 batches of 20 methods); longer on demand: SYMGRAD_FUZZ_BATCHES=500 (and SYMGRAD_FUZZ_SEED for
        // another sequence) run the same checks on ten thousand methods.
        var batches = int.TryParse(Environment.GetEnvironmentVariable("SYMGRAD_FUZZ_BATCHES"), out var b) && b > 0 ? b : 16;
        var random = new Random(int.TryParse(Environment.GetEnvironmentVariable("SYMGRAD_FUZZ_SEED"), out var seed) ? seed : 20261128);
        var cases = 0;
        for (var batch = 0; batch < batches; batch++)
        {
            var sb = new StringBuilder("using System;\nusing SymGrad;\npublic static partial class Fuzz\n{\n");
            var methods = new List<string>();
            for (var k = 0; k < 20; k++, cases++)
            {
                string body, signature;
                if (random.Next(4) == 0)
                {
                    var (indexedSignature, indexedBody) = IndexedSeeds[random.Next(IndexedSeeds.Length)];
                    signature = indexedSignature;
                    body = random.Next(3) == 0 ? indexedBody : Mutate(indexedBody, random);
                }
                else
                {
                    body = Mutate(Seeds[random.Next(Seeds.Length)], random);
                    signature = random.Next(4) == 0 ? Signatures[random.Next(Signatures.Length)] : "double w, double b, double x, double y";
                }
                var type = signature.StartsWith("float", StringComparison.Ordinal) ? "float" : "double";
                var name = "M" + k;
                // Names that collide: one differing from an earlier method's only in case (their files' hint names
                // collide for the compiler), or the name of a member the generator writes for an earlier method.
                var collision = random.Next(10);
                if (collision == 0 && k > 0) name = "m" + (k - 1);
                else if (collision == 1 && methods.Count > 0)
                    name = methods[random.Next(methods.Count)] + new[] { "Derivative", "Gradient", "Partial_x", "Derivation" }[random.Next(4)];
                methods.Add(name);
                // Some of them of order 2 (Hessians; for indexed methods, Hessian-vector products).
                sb.Append(random.Next(5) == 0 ? "    [Differentiable(Order = 2)] public static " : "    [Differentiable] public static ").Append(type).Append(' ').Append(name).Append('(').Append(signature).Append(") ").Append(body).Append('\n');
            }
            sb.Append("}\n");
            // A type whose name differs from Fuzz only in case, and a generic one beside its sanitised name.
            if (random.Next(3) == 0) sb.Append("public static partial class fuzz { [Differentiable] public static double M0(double x) => x * x; }\n");
            if (random.Next(3) == 0) sb.Append("public static partial class C<T> { [Differentiable] public static double M1(double x) => 2 * x; }\n")
                                     .Append("public static partial class C_T_ { [Differentiable] public static double M1(double x) => 3 * x; }\n");
            var source = sb.ToString();

            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = GeneratorHarness.Run(source);
            // No hang: a batch of twenty methods (generator and compile) in well under a minute; a hang check, not a speed target.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"batch {batch} took {clock.Elapsed}");
            Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Id == "SG0013" && !d.GetMessage().Contains("nested too deeply"));
            var tree = result.Output.SyntaxTrees.First(t => t.FilePath == "File0.cs");
            var root = tree.GetRoot();
            var generated = result.Run.Results.Single().GeneratedSources.Select(s => s.HintName).ToHashSet();
            foreach (var method in root.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>())
            {
                var name = method.Identifier.ValueText;
                var owner = (method.Parent as Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax)?.Identifier.ValueText;
                if (!methods.Contains(name) && owner == "Fuzz") continue;
                if (method.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error)) continue; // half-written: no cascade required
                if (method.AttributeLists.Count == 0) continue; // its attribute was swallowed by a broken neighbour
                // Hint names: Type.Method[.float][.k for the k-th of names equal but for case].g.cs (C<T> is C_T_).
                // A broken neighbour can leave a type nested in Fuzz (Fuzz.C_T_.M1.g.cs).
                var part = (owner == "C" ? "C_T_" : owner) + "." + name + ".";
                var hasCode = generated.Any(h => h.StartsWith(part, StringComparison.Ordinal) || h.Contains("." + part, StringComparison.Ordinal));
                var hasDiagnostic = result.GeneratorDiagnostics.Any(d => d.Id.StartsWith("SG", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error && method.FullSpan.Contains(d.Location.SourceSpan));
                Assert.True(hasCode || hasDiagnostic, $"{owner}.{name} got neither code nor an SG error:\n{method}\n{string.Join("\n", result.GeneratorDiagnostics)}\ngenerated: {string.Join(", ", generated)}");
            }
            // Generated code compiles wherever the user's code does (a failure names the method it was generated from).
            var broken = result.CompileDiagnostics.FirstOrDefault(d => d.Location.SourceTree?.FilePath.Contains(".g.cs", StringComparison.Ordinal) == true);
            if (broken != null)
            {
                var file = System.IO.Path.GetFileName(broken.Location.SourceTree!.FilePath);
                var from = root.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>()
                    .FirstOrDefault(m => file.Contains("." + m.Identifier.ValueText + ".", StringComparison.Ordinal));
                Assert.Fail($"{broken}\nfrom: {from}");
            }
        }
        Assert.Equal(batches * 20, cases);
    }
}
