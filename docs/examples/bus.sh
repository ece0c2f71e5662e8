#!/bin/sh
# The virtual bus from the shell: on a device started with
#   vgpufsd --disk DIR --bus custom:bw=100M/s,lat=1ms MOUNTPOINT
# each timed step below moves a 32 MiB buffer over the modelled link, and
# so takes at least 1 ms + 32 MiB / (100 MiB/s) = 0.321 s.
# usage: bus.sh [DEVICE]   (default /dev/vgpu0)
set -eu
dev=${1:-/dev/vgpu0}
grep -q '^bus: custom$' "$dev/info" || { echo "start with --bus custom:..." >&2; exit 1; }
grep -q '^tiers: ram disk$' "$dev/info" || { echo "no disk tier" >&2; exit 1; }
now() { date +%s.%N; }
took() { awk -v a="$2" -v b="$(now)" -v w="$1" 'BEGIN { printf "%-8s %.3f s\n", w, b - a }'; }

truncate -s 32M "$dev/mem/x"      # opened to write: counted as sent to the device
t=$(now); setfattr -n user.vgpu.tier -v disk "$dev/mem/x";      took to-disk: "$t"
t=$(now); setfattr -n user.vgpu.tier -v ram "$dev/mem/x";       took to-ram: "$t"
# an open to read brings it to the host
t=$(now); cat "$dev/mem/x" >/dev/null;                          took read: "$t"

grep '^bus_' "$dev/stats"
rm "$dev/mem/x"
