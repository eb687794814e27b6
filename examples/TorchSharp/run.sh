#!/usr/bin/env bash
# Builds the example, makes libtorch's bridge loadable where the system libstdc++ lacks GLIBCXX_3.4.32 (Debian 12:
# benchmarks/peers/torchsharp-compat/README.md), and runs it. Arguments go to the program (--epochs N).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dotnet build -c Release "$here/TorchSharpModel.csproj" -v q -nologo >/dev/null
bin="$here/bin/Release/net10.0"
if ! strings /lib/x86_64-linux-gnu/libstdc++.so.6 2>/dev/null | grep -q GLIBCXX_3.4.32; then
  if ! command -v patchelf >/dev/null; then apt-get update -qq >/dev/null && apt-get install -y -qq patchelf >/dev/null; fi
  bash "$here/../../benchmarks/peers/torchsharp-compat/make-loadable.sh" "$bin" >/dev/null
fi
dotnet "$bin/TorchSharpModel.dll" "$@"
