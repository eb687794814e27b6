#!/usr/bin/env bash
# SymGrad against TorchSharp (issue 6): builds benchmarks/SymGrad.PeerBenchmarks (not part of SymGrad.sln: TorchSharp-cpu
# brings libtorch, about 1.2 GB to restore), makes libtorch's bridge loadable on Debian 12 (torchsharp-compat/README.md),
# and runs it. Usage: bash benchmarks/peers/run.sh [--quick] [--out DIR]   (default DIR: benchmarks/peers/results)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project="$here/../SymGrad.PeerBenchmarks"
dotnet build -c Release "$project" -v q -nologo
bin="$project/bin/Release/net10.0"
# libtorch's bridge asks for a GCC 13 libstdc++ symbol Debian 12 lacks: patch the output folder when that is so.
if ! strings /lib/x86_64-linux-gnu/libstdc++.so.6 2>/dev/null | grep -q GLIBCXX_3.4.32; then
  if ! command -v patchelf >/dev/null; then apt-get update -qq >/dev/null && apt-get install -y -qq patchelf >/dev/null; fi
  bash "$here/torchsharp-compat/make-loadable.sh" "$bin"
fi
args=("$@")
[[ " ${args[*]} " == *" --out "* ]] || args+=(--out "$here/results")
dotnet "$bin/SymGrad.PeerBenchmarks.dll" "${args[@]}"
