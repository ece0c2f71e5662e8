#!/bin/sh
# Vectors twice the size of the RAM tier, on the disk tier: the kernels
# stream them through the staging memory (--staging) in windows instead of
# needing them in RAM, and stats count what was staged. Inputs that the
# host's page cache still holds (here: just written) run mapped instead,
# which is faster still; data that only the disk holds is streamed.
# usage: out_of_core.sh [DEVICE]   (started with --disk and --vram 64M)
set -eu
dev=${1:-/dev/vgpu0}
grep -q '^tiers: ram disk$' "$dev/info" || { echo "no disk tier" >&2; exit 1; }

mkdir "$dev/mem/big"
setfattr -n user.vgpu.tier -v disk "$dev/mem/big"
truncate -s 128M "$dev/mem/big/x" "$dev/mem/big/y"
truncate -s 4 "$dev/mem/total"

exec 3<>"$dev/queue"
for line in "fill buf=big/x value=1 n=32M" \
	"fill buf=big/y value=2 n=32M" \
	"axpy x=big/x y=big/y alpha=3 n=32M" \
	"sum x=big/y out=total rows=1 cols=32M axis=1"; do
	echo "$line" >&3
	read -r reply <&3
	echo "$reply"
	case $reply in *" ok "*) ;; *) exit 1 ;; esac
done
exec 3>&-

# 32Mi elements of 3*1 + 2
od -An -tf4 "$dev/mem/total" | awk '{ exit !($1 == 5 * 33554432) }' ||
	{ echo "wrong sum" >&2; exit 1; }
grep -E '^(staging|ooc)_' "$dev/stats"
rm -r "$dev/mem/big" "$dev/mem/total"
