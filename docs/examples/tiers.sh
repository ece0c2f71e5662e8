#!/bin/sh
# The RAM and disk tiers from the shell: a directory whose buffers live on
# disk (and so survive a restart of the daemon), a buffer moved between
# tiers, and a kernel that reads one tier and writes the other.
# usage: tiers.sh [DEVICE]   (default /dev/vgpu0; started with --disk)
set -eu
dev=${1:-/dev/vgpu0}
grep -q '^tiers: ram disk$' "$dev/info" || { echo "no disk tier" >&2; exit 1; }

# Everything created in mem/keep/ from now on is placed on disk.
mkdir "$dev/mem/keep"
setfattr -n user.vgpu.tier -v disk "$dev/mem/keep"
truncate -s 4M "$dev/mem/keep/weights"
getfattr --absolute-names -n user.vgpu.tier --only-values "$dev/mem/keep/weights"; echo

# A RAM buffer, filled by a kernel, then moved to disk (nobody has it open).
truncate -s 4M "$dev/mem/scratch"
exec 3<>"$dev/queue"
echo "fill buf=scratch value=3 n=1M" >&3
read -r reply <&3; echo "$reply"
setfattr -n user.vgpu.tier -v disk "$dev/mem/scratch"
getfattr --absolute-names -n user.vgpu.tier --only-values "$dev/mem/scratch"; echo

# Kernels work on either tier: disk in, disk out, back to RAM.
echo "axpy x=scratch y=keep/weights alpha=2 n=1M" >&3
read -r reply <&3; echo "$reply"
exec 3>&-
set -- $(od -An -tf4 -N8 "$dev/mem/keep/weights")
[ "$1" = 6 ] && [ "$2" = 6 ] || { echo "wrong result: $*" >&2; exit 1; }
setfattr -n user.vgpu.tier -v ram "$dev/mem/scratch"
grep '^vram_' "$dev/stats"
rm -r "$dev/mem/keep" "$dev/mem/scratch"
