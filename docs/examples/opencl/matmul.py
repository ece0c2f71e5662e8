#!/usr/bin/python3
"""The textbook tiled matrix multiply (matmul_tiled.cl: 16x16 tiles of A and
B in __local memory, barriers between the steps) launched from Python on
numpy.memmap buffers, checked against numpy.

usage: matmul.py [DEVICE]   (default /dev/vgpu0)
"""
import sys

import numpy as np

from device_files import Device

dev = Device(sys.argv[1] if len(sys.argv) > 1 else "/dev/vgpu0")
n = 256  # a multiple of the tile size
rng = np.random.default_rng(1)
a = dev.buffer("mm_a", (n, n), np.float32)
b = dev.buffer("mm_b", (n, n), np.float32)
c = dev.buffer("mm_c", (n, n), np.float32)
a[:] = rng.standard_normal((n, n), dtype=np.float32)
b[:] = rng.standard_normal((n, n), dtype=np.float32)
prog = dev.program("matmul_tiled.cl")
dev.run(f"build prog={prog}")  # compiles once; the launch finds it compiled
us = dev.run(f"launch prog={prog} kernel=matmul_tiled global={n},{n} local=16,16 "
             f"n={n} a=mm_a b=mm_b c=mm_c")
# The completion was read: c (the very pages the kernel wrote) holds C.
err = np.max(np.abs(c - a @ b))
print(f"{2 * n**3 / us / 1e3:.2f} GFLOP/s; max |device - numpy| = {err:.2e}")
dev.close()
if err > 1e-3:
    sys.exit("wrong result")
print("result ok")
