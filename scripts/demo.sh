#!/usr/bin/env bash
# Installs dependencies, builds, mounts a vgpufs device and runs a demo job
# on it: two buffers filled, a 1024x1024 f32 gemm, the result read back and
# checked. The device stays mounted afterwards.
# usage: demo.sh [MOUNTPOINT]   (default /dev/vgpu0; run as root)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mnt=${1:-/dev/vgpu0}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build" RelWithDebInfo
if grep -qs " $mnt fuse.vgpufs " /proc/self/mountinfo; then
	echo "vgpufsd already serves $mnt"
else
	"$root/build/daemon/vgpufsd" "$mnt" # daemonizes once the mount is live
fi
echo "--- device $mnt"
cat "$mnt/info"
echo "--- demo: docs/examples/gemm.sh"
sh "$root/docs/examples/gemm.sh" "$mnt"
echo "---"
echo "vgpufsd is running on $mnt. Stop it with: pkill -TERM -x vgpufsd  (or: umount $mnt)"
echo "Watch it with: $root/build/tools/vgpufs-top/vgpufs-top $mnt"
