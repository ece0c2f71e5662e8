#!/bin/bash
# Installs into a temporary prefix and uses libvgpu from there as a user
# would: the examples of docs/libvgpu.md (which must show them verbatim)
# built with pkg-config, statically, and with CMake's find_package, then
# run against a real daemon; the installed vgpu tool too.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${VGPU_BUILD_DIR:?build directory}" "${VGPUFS_DOCS:?docs directory}"
# Sanitizer builds: the programs must load the sanitizer runtime first.
extra_cflags=${VGPU_EXTRA_CFLAGS:-}
examples=(vgpu_axpy vgpu_runtime_gemm vgpu_epoll vgpu_mlp vgpu_stats vgpu_saxpy_cl)

prefix=$(mktemp -d /tmp/vgpu-install-XXXXXX)
work=$(mktemp -d /tmp/vgpu-use-XXXXXX)
start_daemon --vram 64M
cleanup() { stop_daemon; rm -rf "$prefix" "$work"; }
trap cleanup EXIT
export VGPU_DEVICE=$mnt

cmake --install "$VGPU_BUILD_DIR" --prefix "$prefix" >/dev/null
lib=$(dirname "$(find "$prefix" -name libvgpu.so.0 | head -1)")
export PKG_CONFIG_PATH=$lib/pkgconfig

installed() {
	local f
	for f in "$lib/libvgpu.so.0" "$lib/libvgpu.so" "$lib/libvgpu.a" \
		"$prefix/include/vgpu/vgpu.h" "$prefix/include/vgpu/vgpu_runtime.h" \
		"$lib/pkgconfig/vgpu.pc" "$lib/cmake/vgpu/vgpuConfig.cmake" \
		"$lib/cmake/vgpu/vgpuConfigVersion.cmake" "$prefix/bin/vgpu" \
		"$prefix/bin/vgpufs-top" "$prefix/bin/vgpucc"; do
		[ -e "$f" ] || { echo "missing $f"; return 1; }
	done
}
check "cmake --install puts everything in place" installed
check "libvgpu.so has its SONAME" bash -c "objdump -p '$lib/libvgpu.so.0' | grep -q 'SONAME *libvgpu.so.0'"
check "only the API is exported" bash -c "! nm -D --defined-only '$lib/libvgpu.so.0' | grep -E ' T ' | grep -vE ' T vgpu(_|[A-Z])' && ! nm -D --defined-only '$lib/libvgpu.so.0' | grep -q vgpu_bin_"
check "the public headers need nothing of fsproto" bash -c "! grep -rn 'vgpufs/' '$prefix/include/vgpu'"
check "pkg-config --cflags --libs vgpu" bash -c "pkg-config --cflags --libs vgpu | grep -q -- '-lvgpu'"
check "pkg-config --modversion" bash -c "[ \"\$(pkg-config --modversion vgpu)\" = 0.1.0 ]"

in_docs() { # the example is in docs/libvgpu.md as it is
	python3 -c 'import sys; sys.exit(open(sys.argv[2]).read().find(open(sys.argv[1]).read()) < 0)' \
		"$VGPUFS_DOCS/examples/$1.c" "$VGPUFS_DOCS/libvgpu.md"
}
runs() { # PROGRAM: runs against the device, output kept for a look
	"$@" > "$work/out" 2>&1 || { cat "$work/out"; return 1; }
	# a rate over no time (inf, -nan) is a defect, not a number
	! grep -Eiw -- '-?(inf|nan)' "$work/out" || return 1
}
for ex in "${examples[@]}"; do
	src=$VGPUFS_DOCS/examples/$ex.c
	check "docs/libvgpu.md shows examples/$ex.c verbatim" in_docs "$ex"
	# shellcheck disable=SC2046,SC2086
	check "$ex: builds with pkg-config" cc -std=c17 -Wall -Wextra -Werror $extra_cflags \
		"$src" -o "$work/$ex" $(pkg-config --cflags --libs vgpu) -lm
	check "$ex: runs" runs env LD_LIBRARY_PATH="$lib" "$work/$ex"
	# shellcheck disable=SC2046,SC2086
	check "$ex: builds statically" cc -std=c17 -Wall -Wextra -Werror $extra_cflags \
		"$src" -o "$work/$ex-static" $(pkg-config --cflags vgpu) "$lib/libvgpu.a" -pthread -lm
	check "$ex: runs, static" runs "$work/$ex-static"
done
check "vgpu_axpy prints the result and the daemon's message" bash -c "LD_LIBRARY_PATH='$lib' '$work/vgpu_axpy' | diff - <(printf '%s\n' \
	'axpy: ok, y[1048575] = 2.09715e+06' \
	\"axpy n=N+1: EINVAL: axpy: buffer 'x' holds 4194304 bytes, needs 4194308 (n*4)\")"

check "vgpu_saxpy_cl prints the result and the daemon's message" bash -c "LD_LIBRARY_PATH='$lib' '$work/vgpu_saxpy_cl' | diff - <(printf '%s\n' \
	'saxpy: ok, y[1048575] = 2.09715e+06' \
	'x as a float: launch: x is a __global or __constant pointer: it takes a buffer, not floats')"

stats_rates() { # finite rates and its own context, however fast it ran
	local i
	for i in $(seq 10); do
		LD_LIBRARY_PATH="$lib" "$work/vgpu_stats" > "$work/out" || return 1
		grep -Pzq '^[0-9]+ commands/s, workers [0-9]+\.[0-9]% busy\ncontext [0-9]+: pid [0-9]+ \(vgpu_stats\), 1000 commands completed\n$' \
			"$work/out" || { echo "run $i:"; cat "$work/out"; return 1; }
	done
}
check "vgpu_stats prints finite rates and its own context, 10 runs" stats_rates

# find_package(vgpu) from a CMake project
mkdir -p "$work/cmake"
cat > "$work/cmake/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(use_vgpu C)
find_package(vgpu 0.1 REQUIRED)
add_executable(axpy $VGPUFS_DOCS/examples/vgpu_axpy.c)
target_link_libraries(axpy vgpu::vgpu)
add_executable(gemm_static $VGPUFS_DOCS/examples/vgpu_runtime_gemm.c)
target_link_libraries(gemm_static vgpu::vgpu_static m)
CMAKE
check "find_package(vgpu): configures" cmake -S "$work/cmake" -B "$work/cmake/build" \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$extra_cflags"
check "find_package(vgpu): builds" cmake --build "$work/cmake/build"
check "find_package(vgpu): vgpu::vgpu runs" runs "$work/cmake/build/axpy"
check "find_package(vgpu): vgpu::vgpu_static runs" runs "$work/cmake/build/gemm_static"
check "the installed vgpu tool runs" runs "$prefix/bin/vgpu" status
check "the installed vgpucc compiles" runs "$prefix/bin/vgpucc" -o "$work/saxpy.bin" "$VGPUFS_DOCS/../tests/cl/saxpy.cl"
check "the installed vgpufs-top runs" runs "$prefix/bin/vgpufs-top" -b -n 1
summary
