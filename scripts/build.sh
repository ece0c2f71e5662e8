#!/usr/bin/env bash
# Configures and builds vgpufs. usage: build.sh [BUILD_DIR] [BUILD_TYPE] [TARGET...]
# (defaults: build, RelWithDebInfo, everything; BUILD_TYPE Asan = ASan +
# UBSan, Tsan = ThreadSanitizer).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
type=${2:-RelWithDebInfo}
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE="$type" >/dev/null
targets=("${@:3}")
cmake --build "$dir" -j"$(nproc)" ${targets[@]/#/--target=}
