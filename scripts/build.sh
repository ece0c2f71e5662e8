#!/usr/bin/env bash
# Configures and builds vgpufs. usage: build.sh [BUILD_DIR] [BUILD_TYPE]
# (defaults: build, RelWithDebInfo; BUILD_TYPE Asan = ASan + UBSan).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
type=${2:-RelWithDebInfo}
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE="$type" >/dev/null
cmake --build "$dir" -j"$(nproc)"
