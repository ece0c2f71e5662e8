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
summary
