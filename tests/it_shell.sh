#!/bin/bash
# Runs the shell examples of docs/examples against a real daemon and checks
# what they print, as a user would see it.
set -euo pipefail
source "$(dirname "$0")/harness.sh"
: "${VGPUFS_DOCS:?docs directory}"
start_daemon --vram 256M

expect_output() { # SCRIPT: compares with the "# prints:" block of the script
	local script=$1 want got
	want=$(sed -n '/^# prints:$/,$p' "$script" | tail -n +2 | sed 's/^# //' |
		sed -E 's/^([0-9]+ ok [a-z]+) [0-9]+$/\1 N/')
	got=$(sh "$script" "$mnt" | sed -E 's/^([0-9]+ ok [a-z]+) [0-9]+$/\1 N/')
	[ "$got" = "$want" ] || { echo "got:"; echo "$got"; echo "want:"; echo "$want"; return 1; }
}

check "docs/examples/gemm.sh" sh "$VGPUFS_DOCS/examples/gemm.sh" "$mnt"
check "docs/examples/opencl/saxpy.sh" sh "$VGPUFS_DOCS/examples/opencl/saxpy.sh" "$mnt"
check "docs/examples/errors.sh" expect_output "$VGPUFS_DOCS/examples/errors.sh"
check "cat kernels/gemm documents the kernel" grep -q "^example: gemm a=A" "$mnt/kernels/gemm"
check "ls kernels lists the catalogue of info" bash -c "[ \"\$(ls '$mnt/kernels' | sort)\" = \"\$(sed -n 's/^kernels: //p' '$mnt/info' | tr ' ' '\n' | sort)\" ] && [ -f '$mnt/kernels/gemm' ]"
check "info is key: value lines" bash -c "grep -qx 'protocol: 1' '$mnt/info'"
check "shell '>' creates and sizes a buffer" bash -c "printf 'abcd' > '$mnt/mem/s' && [ \$(stat -c %s '$mnt/mem/s') = 4 ] && rm '$mnt/mem/s'"
# docs/kernels.md documents every kernel the daemon serves, with its example
docs_cover_kernels() {
	local k ex
	for k in $(ls "$mnt/kernels"); do
		grep -q "^## $k\$" "$VGPUFS_DOCS/kernels.md" || { echo "no section for $k"; return 1; }
		ex=$(sed -n 's/^example: //p' "$mnt/kernels/$k")
		grep -qF "$ex" "$VGPUFS_DOCS/kernels.md" || { echo "example of $k missing: $ex"; return 1; }
	done
}
check "docs/kernels.md covers every kernel" docs_cover_kernels
# The image pipeline: a 64x48 PGM with a bright 20x16 rectangle; its edges
# light up, flat regions stay 0.
image_pipeline() {
	local dir pgm out
	dir=$(mktemp -d)
	pgm=$dir/in.pgm out=$dir/out.pgm
	{
		printf 'P5\n64 48\n255\n'
		for y in $(seq 0 47); do
			for x in $(seq 0 63); do
				if [ $x -ge 20 ] && [ $x -lt 40 ] && [ $y -ge 16 ] && [ $y -lt 32 ]; then
					printf '\310'
				else
					printf '\024'
				fi
			done
		done
	} >"$pgm"
	sh "$VGPUFS_DOCS/examples/image_pipeline.sh" "$pgm" "$out" "$mnt" || return 1
	[ "$(head -c 13 "$out" | tr '\n' ' ')" = "P5 64 48 255 " ] || { echo "bad header"; return 1; }
	[ "$(stat -c %s "$out")" = $((13 + 64 * 48)) ] || { echo "bad size"; return 1; }
	# pixel (y, x) is byte 13 + y*64 + x of the file
	pixel() { od -An -tu1 -j $((13 + $1 * 64 + $2)) -N1 "$out" | tr -d ' '; }
	[ "$(pixel 2 2)" = 0 ] && [ "$(pixel 24 30)" = 0 ] || { echo "flat regions are not 0: $(pixel 2 2) $(pixel 24 30)"; return 1; }
	[ "$(pixel 24 20)" -gt 100 ] && [ "$(pixel 16 30)" -gt 100 ] || { echo "edges are dark: $(pixel 24 20) $(pixel 16 30)"; return 1; }
	[ -z "$(ls "$mnt/mem")" ] || { echo "buffers left behind"; return 1; }
	rm -r "$dir"
}
check "docs/examples/image_pipeline.sh" image_pipeline
# The metrics file is valid Prometheus exposition (promtool: install-deps.sh)
metrics_valid() {
	command -v promtool >/dev/null || { echo "promtool is not installed (scripts/install-deps.sh)"; return 1; }
	echo "gemm a=nothing b=x c=y m=1 n=1 k=1" > "$mnt/queue" # some counts
	promtool check metrics < "$mnt/metrics"
}
check "metrics pass promtool check metrics" metrics_valid
summary
