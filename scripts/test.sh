#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite with ctest:
# first the normal build, then the same suite under AddressSanitizer +
# UndefinedBehaviorSanitizer, then the scheduler's and the lifecycle's
# tests under ThreadSanitizer. Run as root (the tests mount FUSE devices).
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
# ThreadSanitizer: the daemon under test reports on its stderr and exits 66
# at the end, which the tests' teardown counts as a failure. libLLVM is not
# instrumented: tests/tsan.supp says why its calls are left out.
export TSAN_OPTIONS="exitcode=66 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp"
"$root/scripts/build.sh" "$root/build-tsan" Tsan vgpufsd vgpucc it_queue it_lifecycle it_trace it_ooc it_ring it_launch
# setarch -R: no address randomization. GCC 12's TSan aborts ("unexpected
# memory mapping") when vm.mmap_rnd_bits is above 28, the default of some
# newer kernels; without randomization any setting works.
(cd "$root/build-tsan" && setarch "$(uname -m)" -R \
	ctest --output-on-failure --timeout 900 -R '^(it_queue|it_lifecycle|it_trace|it_ooc|it_ring|it_launch)$')
