#!/bin/sh
# Your own OpenCL C kernel from the shell: copy the source into mem/, launch
# it on the queue, read the result with od.
# usage: saxpy.sh [DEVICE]   (default /dev/vgpu0)
set -eu
dev=${1:-/dev/vgpu0}
here=$(dirname "$0")
n=8
cp "$here/saxpy.cl" "$dev/mem/saxpy.cl"        # a program is a buffer
truncate -s $((n * 4)) "$dev/mem/sx" "$dev/mem/sy" # n floats each

exec 3<>"$dev/queue" # one context: commands run in order
echo "fill buf=sx value=1.5 n=$n" >&3
echo "fill buf=sy value=10 n=$n" >&3
echo "launch prog=saxpy.cl kernel=saxpy global=$n a=2 x=sx y=sy" >&3
for i in 1 2 3; do
	read -r reply <&3 # e.g. "3 ok launch 812"
	echo "$reply"
	case $reply in *" err "*) exit 1 ;; esac
done
exec 3>&-

set -- $(od -v -An -tf4 "$dev/mem/sy") # -v: every line, no "*"
echo "y = $*"
for v in "$@"; do
	[ "$v" = 13 ] || { echo "wrong result: $v, want 13" >&2; exit 1; }
done
echo "result ok: every element is 2*1.5+10 = 13"
rm "$dev/mem/saxpy.cl" "$dev/mem/sx" "$dev/mem/sy"
