#!/usr/bin/python3
"""A byte histogram with atomics (histogram.cl: each work-group counts into
__local bins with atomic_inc, then adds them to the global bins with
atomic_add), checked against numpy.bincount.

usage: histogram.py [DEVICE]   (default /dev/vgpu0)
"""
import sys

import numpy as np

from device_files import Device

dev = Device(sys.argv[1] if len(sys.argv) > 1 else "/dev/vgpu0")
n = 1 << 20
data = dev.buffer("hist_data", (n,), np.uint8)
bins = dev.buffer("hist_bins", (256,), np.uint32)
# skewed on purpose: many work-items hit the same bins at once
data[:] = np.random.default_rng(2).binomial(255, 0.3, n).astype(np.uint8)
bins[:] = 0
prog = dev.program("histogram.cl")
dev.run(f"launch prog={prog} kernel=histogram global=4096 local=256 "
        f"data=hist_data n={n} bins=hist_bins")
want = np.bincount(data, minlength=256)
wrong = np.count_nonzero(bins != want)
print(f"{n} bytes counted; {wrong} bins differ from numpy's")
dev.close()
if wrong:
    sys.exit("wrong result")
print("result ok")
