#!/usr/bin/env bash
# Builds the SymGrad.TorchSharp tests (libtorch through TorchSharp-cpu), makes libtorch's bridge loadable where the
# system libstdc++ lacks GLIBCXX_3.4.32 (Debian 12: benchmarks/peers/torchsharp-compat/README.md), and runs them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# --no-incremental: the generator is a project reference, and a changed generator of the same version does not always
# make the compiler run again over this project.
dotnet build -c Release "$here/SymGrad.TorchSharp.Tests.csproj" -v q -nologo --no-incremental
bin="$here/bin/Release/net10.0"
if ! strings /lib/x86_64-linux-gnu/libstdc++.so.6 2>/dev/null | grep -q GLIBCXX_3.4.32; then
  if ! command -v patchelf >/dev/null; then apt-get update -qq >/dev/null && apt-get install -y -qq patchelf >/dev/null; fi
  bash "$here/../../benchmarks/peers/torchsharp-compat/make-loadable.sh" "$bin"
fi
dotnet test -c Release "$here/SymGrad.TorchSharp.Tests.csproj" --no-build "$@"
