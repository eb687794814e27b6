#!/usr/bin/env bash
# What the generator costs a real `dotnet build`: a project of N [Differentiable] methods (the same methods as the
# in-memory `-- build` benchmark) referencing the packed SymGrad package, built R times with the generator and
# R times with it excluded (ExcludeAssets="analyzers"), each a full recompile (--no-incremental). The generator's
# own time comes from the compiler (-p:ReportAnalyzer=true). Two modes: the shared compiler server (the SDK's
# default; warm after the first build) and a fresh compiler process per build (UseSharedCompilation=false, as on
# machines that disable the server: the generator's code is jitted on every build).
# Usage: bash benchmarks/build-cost/run.sh [methods=100] [runs=5]
set -euo pipefail
methods=${1:-100}
runs=${2:-5}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet pack "$repo/src/SymGrad" -c Release -o "$work/feed" >/dev/null
version=$(ls "$work/feed" | sed -n 's/^SymGrad\.\(.*\)\.nupkg$/\1/p')
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources><add key="feed" value="$work/feed" /></packageSources>
  <config><add key="globalPackagesFolder" value="$work/packages" /></config>
</configuration>
XML
python3 - "$work" "$methods" <<'PY'
import sys
work, n = sys.argv[1], int(sys.argv[2])
bodies = ["=> 1.0 / (1.0 + Math.Exp(-(a * x + b)));",
          "=> Math.Tanh(a * x + b) * y;",
          "{ var yHat = a * x + b; return 0.5 * (y - yHat) * (y - yHat); }",
          "{ var p = 1.0 / (1.0 + Math.Exp(-(a * x + b))); return -(y * Math.Log(p) + (1 - y) * Math.Log(1 - p)); }",
          "=> a * x + b > 0 ? a * x + b : 0.01 * (a * x + b);",
          "=> Math.Log(1 + Math.Exp(a * x)) + b * b;"]
src = "using System;\nusing SymGrad;\nnamespace Bench;\npublic static partial class Model\n{\n"
for i in range(n):
    src += f"    [Differentiable(nameof(a), nameof(b))] public static double F{i}(double a, double b, double x, double y) {bodies[i % len(bodies)]}\n"
src += "}\n"
import os
for v in ["with", "without"]:
    os.makedirs(f"{work}/{v}", exist_ok=True)
    open(f"{work}/{v}/Model.cs", "w").write(src)
PY
for v in with without; do
  exclude=$([ $v = without ] && echo 'ExcludeAssets="analyzers"' || true)
  cat > "$work/$v/Bench.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>disable</ImplicitUsings></PropertyGroup>
  <ItemGroup><PackageReference Include="SymGrad" Version="$version" $exclude /></ItemGroup>
</Project>
XML
  (cd "$work/$v" && dotnet restore >/dev/null)
done

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
measure() { # mode (true|false)
  local shared=$1 gen=() with=() without=()
  for v in with without; do (cd "$work/$v" && UseSharedCompilation=$shared dotnet build --no-restore >/dev/null); done # warm-up
  for ((r = 0; r < runs; r++)); do
    out=$(cd "$work/with" && UseSharedCompilation=$shared dotnet build --no-restore --no-incremental -p:ReportAnalyzer=true -v:d 2>&1)
    gen+=("$(grep -E '^\s+[0-9.]+\s+[0-9<]+\s+SymGrad.Generators.DifferentiableGenerator$' <<<"$out" | awk '{ print $1 }')")
    with+=("$(grep -oE 'Time Elapsed [0-9:.]+' <<<"$out" | awk -F: '{ print $NF + 60 * $(NF-1) }')")
    out=$(cd "$work/without" && UseSharedCompilation=$shared dotnet build --no-restore --no-incremental 2>&1)
    without+=("$(grep -oE 'Time Elapsed [0-9:.]+' <<<"$out" | awk -F: '{ print $NF + 60 * $(NF-1) }')")
  done
  g=$(printf '%s\n' "${gen[@]}" | median); w=$(printf '%s\n' "${with[@]}" | median); o=$(printf '%s\n' "${without[@]}" | median)
  awk -v m="$methods" -v g="$g" -v w="$w" -v o="$o" -v mode="$2" 'BEGIN {
    printf "| %s | %d | %.0f ms | %.2f ms | %.2f s | %.2f s | %.1f%% |\n", mode, m, 1000 * g, 1000 * g / m, w, o, 100 * g / w }'
}
echo "| compiler | methods | generator | per method | build with generator | build without | generator share of build |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
measure true "shared server (default)"
measure false "fresh process per build"
