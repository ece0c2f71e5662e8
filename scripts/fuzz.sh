#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) and
# runs each for SECONDS (default 60) on a copy of the seed corpus. Exits
# non-zero when a target finds a crash; the input is kept in OUT/findings.
# usage: fuzz.sh [SECONDS] [OUT]   (OUT defaults to build/fuzz)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
out=${2:-$root/build/fuzz}
cc=${CLANG:-clang}
command -v "$cc" >/dev/null || { echo "fuzz.sh: clang is not installed (scripts/install-deps.sh)" >&2; exit 1; }
mkdir -p "$out/findings"
flags=(-g -O1 -std=c17 -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -I"$root/fsproto/include" -I"$root/fsproto")
src=("$root"/fsproto/*.c "$root/tests/fuzz/fuzz_check.c")
# fuzz_exec runs the kernels too, built as CMake builds them (gnu17,
# _GNU_SOURCE, no fused multiply-adds: kernels/CMakeLists.txt) with OpenBLAS
# (pthread flavour, as the daemon links it) and FFTW.
arch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
blas=/usr/lib/$arch/openblas-pthread
exec_flags=(-std=gnu17 -D_GNU_SOURCE -ffp-contract=off -I"$root/kernels" -I"/usr/include/$arch/openblas-pthread")
exec_libs=("$root"/kernels/*.c -L"$blas" -Wl,-rpath,"$blas" -lopenblas -lfftw3f -lm -lpthread)
status=0
for target in text binary exec; do
	extra=()
	[ "$target" = exec ] && extra=("${exec_flags[@]}" "${exec_libs[@]}")
	"$cc" "${flags[@]}" "${src[@]}" "$root/tests/fuzz/fuzz_$target.c" "${extra[@]}" -o "$out/fuzz_$target"
	corpus=$out/corpus_$target
	rm -rf "$corpus" && cp -r "$root/tests/fuzz/corpus/$target" "$corpus"
	echo "fuzz_$target: $seconds s"
	# -timeout: a command that runs for seconds on 64 KiB is a finding.
	if ! "$out/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=20 \
		-artifact_prefix="$out/findings/$target-" "$corpus" 2>"$out/fuzz_$target.log"; then
		status=1
		tail -n 40 "$out/fuzz_$target.log"
	fi
	grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$out/fuzz_$target.log" | sed "s/^/  /"
done
exit $status
