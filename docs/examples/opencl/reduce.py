#!/usr/bin/python3
"""A parallel sum (reduce.cl: a tree in __local memory per work-group, one
partial sum a group), the partial sums added on the host, checked against
numpy.

usage: reduce.py [DEVICE]   (default /dev/vgpu0)
"""
import sys

import numpy as np

from device_files import Device

dev = Device(sys.argv[1] if len(sys.argv) > 1 else "/dev/vgpu0")
n, group = 1 << 20, 256
x = dev.buffer("red_in", (n,), np.float32)
partial = dev.buffer("red_partial", (n // group,), np.float32)
x[:] = np.random.default_rng(3).random(n, dtype=np.float32)
prog = dev.program("reduce.cl")
# scratch: the __local array of one group, given as a byte count
dev.run(f"launch prog={prog} kernel=reduce global={n} local={group} "
        f"in=red_in partial=red_partial scratch={group * 4} n={n}")
total = float(np.sum(partial, dtype=np.float64))
want = float(np.sum(x, dtype=np.float64))
print(f"sum of {n} floats: {total:.6f} (numpy: {want:.6f})")
dev.close()
if abs(total - want) > 1e-5 * want:
    sys.exit("wrong result")
print("result ok")
