#!/bin/sh
# A 1024x1024 f32 matrix multiply on the device with nothing but the shell:
# buffers are files, commands are lines, completions are lines.
# usage: gemm.sh [DEVICE]   (default /dev/vgpu0)
set -eu
dev=${1:-/dev/vgpu0}
n=1024
for m in A B C; do
	truncate -s $((n * n * 4)) "$dev/mem/$m" # allocate n*n f32
done

exec 3<>"$dev/queue" # one context: commands run in order
echo "fill buf=A value=1 n=$((n * n))" >&3
echo "fill buf=B value=2 n=$((n * n))" >&3
echo "gemm a=A b=B c=C m=$n n=$n k=$n" >&3
for i in 1 2 3; do
	read -r reply <&3 # e.g. "3 ok gemm 5821"
	echo "$reply"
	case $reply in *" err "*) exit 1 ;; esac
done
exec 3>&-

# Every element of C is the sum of 1024 products 1*2.
set -- $(od -An -tf4 -N16 "$dev/mem/C")
echo "C[0,0..3] = $*"
for v in "$@"; do
	[ "$v" = 2048 ] || { echo "wrong result: $v, want 2048" >&2; exit 1; }
done
echo "result ok: every element is 2048"
rm "$dev/mem/A" "$dev/mem/B" "$dev/mem/C"
