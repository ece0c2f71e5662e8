#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite with ctest:
# first the normal build, then the same suite under AddressSanitizer +
# UndefinedBehaviorSanitizer. Run as root (the tests mount FUSE devices).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build" RelWithDebInfo
(cd "$root/build" && ctest --output-on-failure --timeout 900)
# halt_on_error: a sanitizer finding fails the test that triggered it.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$root/scripts/build.sh" "$root/build-asan" Asan
(cd "$root/build-asan" && ctest --output-on-failure --timeout 900)
