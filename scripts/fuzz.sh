#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) and
# runs each for SECONDS (default 60) on a copy of the seed corpus. Exits
# non-zero when a target finds a crash; the input is kept in OUT/findings.
# usage: fuzz.sh [SECONDS] [OUT]   (OUT defaults to build/fuzz)
# ONLY="exec cl_pp": build and run only these targets (a long run by hand).
# ring, kernel_sig, ir_read and jit run a third of SECONDS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
out=${2:-$root/build/fuzz}
cc=${CLANG:-clang}
command -v "$cc" >/dev/null || { echo "fuzz.sh: clang is not installed (scripts/install-deps.sh)" >&2; exit 1; }
mkdir -p "$out/findings"
status=0

# fuzz TARGET LIB SEED_DIR...: builds fuzz_TARGET from LIB/*.c (headers in
# LIB/include), the array EXTRA (more sources, flags, libraries) and the
# target, and runs it on a copy of the seeds.
fuzz() {
	local target=$1 lib=$2
	shift 2
	if [[ -n ${ONLY:-} && " $ONLY " != *" $target "* ]]; then return; fi
	"$cc" -g -O1 -std=c17 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I"$root/$lib/include" -I"$root/$lib" \
		"$root/$lib"/*.c "${extra[@]}" "$root/tests/fuzz/fuzz_$target.c" -o "$out/fuzz_$target"
	local corpus=$out/corpus_$target
	rm -rf "$corpus" && mkdir -p "$corpus"
	for seeds in "$@"; do cp -r "$seeds"/. "$corpus"; done
	echo "fuzz_$target: $seconds s"
	# -timeout: a command that runs for seconds on 64 KiB is a finding.
	if ! "$out/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=20 \
		-artifact_prefix="$out/findings/$target-" "$corpus" 2>"$out/fuzz_$target.log"; then
		status=1
		tail -n 40 "$out/fuzz_$target.log"
	fi
	grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$out/fuzz_$target.log" | sed "s/^/  /"
}

extra=("$root/tests/fuzz/fuzz_check.c")
for target in text binary; do
	fuzz "$target" fsproto "$root/tests/fuzz/corpus/$target"
done
# The ring consumer (daemon/ring/ring_take.c): packets taken from a hostile
# submission ring. Small and fast: a third of the time.
extra=("$root/tests/fuzz/fuzz_check.c" "$root/daemon/ring/ring_take.c" -I"$root/daemon")
seconds=$(((seconds + 2) / 3)) fuzz ring fsproto "$root/tests/fuzz/corpus/ring"
# Kernel signatures as libvgpu reads them from a program's buffer
# (vgpufs/kernel_sig.h): one line of text, fast; a third of the time.
extra=("$root/tests/fuzz/fuzz_check.c")
seconds=$(((seconds + 2) / 3)) fuzz kernel_sig fsproto "$root/tests/fuzz/corpus/kernel_sig"
extra=("$root/tests/fuzz/fuzz_check.c")
# fuzz_exec runs the kernels too, built as CMake builds them (gnu17,
# _GNU_SOURCE, no fused multiply-adds: kernels/CMakeLists.txt) with OpenBLAS
# (pthread flavour, as the daemon links it) and FFTW.
# The kernels keep edge coverage but not comparison tracing: tracing every
# compare of their arithmetic loops made executions ~6x slower and guides
# nothing (their branches are what edge coverage sees).
arch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
blas=/usr/lib/$arch/openblas-pthread
kflags=(-std=gnu17 -D_GNU_SOURCE -ffp-contract=off -I"$root/fsproto/include" -I"$root/kernels/include"
	-I"$root/kernels" -I"/usr/include/$arch/openblas-pthread")
kobj=$out/kernels-obj
rm -rf "$kobj" && mkdir -p "$kobj"
(cd "$kobj" && "$cc" -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	-fno-sanitize-coverage=trace-cmp "${kflags[@]}" -c "$root"/kernels/*.c)
extra+=("${kflags[@]}" "$kobj"/*.o -L"$blas" -Wl,-rpath,"$blas" -lopenblas -lfftw3f -lm -lpthread)
fuzz exec fsproto "$root/tests/fuzz/corpus/exec"
# The OpenCL C front end (preprocessor and lexer; and the parser and the
# type checker too), seeded with the test kernels.
extra=()
fuzz cl_pp compiler "$root/tests/cl" "$root/tests/fuzz/corpus/cl_pp"
fuzz cl_parse compiler "$root/tests/cl" "$root/tests/fuzz/corpus/cl_pp"
# The IR reader and verifier, seeded with the test kernels' binary IR
# (tests/fuzz/corpus/ir_read). Small inputs run fast: a third of the time.
seconds=$((seconds / 3 > 0 ? seconds / 3 : 1)) fuzz ir_read compiler "$root/tests/fuzz/corpus/ir_read"
# The code generator (jit/, LLVM 19) on what the verifier passes, each
# kernel run once on small buffers (tests/fuzz/fuzz_jit.c): LLVM compiles
# every input, so few run; seeded like ir_read, a third of the time.
llvm_config=${LLVM_CONFIG:-/usr/lib/llvm-19/bin/llvm-config}
llvm_lib=$("$llvm_config" --libdir)
extra=(-D_GNU_SOURCE "$root"/jit/*.c -I"$root/jit/include" -I"$root/jit" -isystem "$("$llvm_config" --includedir)"
	-L"$llvm_lib" -Wl,-rpath,"$llvm_lib" -lLLVM-19 -lm -lpthread)
seconds=$((seconds / 3 > 0 ? seconds / 3 : 1)) fuzz jit compiler "$root/tests/fuzz/corpus/ir_read"
exit $status
