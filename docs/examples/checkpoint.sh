#!/bin/sh
# Keeping RAM-tier buffers across a restart of the daemon: vgpu checkpoint
# into a plain directory, numpy reading a buffer's copy, and vgpu restore
# (here after deleting the buffers, as a restart would).
# usage: checkpoint.sh DIR [DEVICE]   (DIR: absent or empty; default
# device /dev/vgpu0)
set -eu
dir=$1
export VGPU_DEVICE=${2:-/dev/vgpu0}
mem=$VGPU_DEVICE/mem

# A few buffers, one filled by a kernel.
mkdir "$mem/run1"
truncate -s 4M "$mem/run1/weights"
vgpu run "fill buf=run1/weights value=0.5 n=1M"
chmod 600 "$mem/run1/weights"

# Quiesce first: nothing may write to the buffers while they are copied.
# Only run1/ here (--from); without it, every RAM-tier buffer.
vgpu checkpoint --from run1 "$dir" # or all of mem/: vgpu checkpoint DIR
/usr/bin/python3 -c "import numpy, sys; print(numpy.fromfile(sys.argv[1], dtype=numpy.float32)[:3])" "$dir/mem/run1/weights"

rm -r "$mem/run1" # what a restart does to RAM-tier buffers
vgpu restore "$dir"
cmp "$mem/run1/weights" "$dir/mem/run1/weights"
stat -c '%a %n' "$mem/run1/weights"
