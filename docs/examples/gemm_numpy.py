#!/usr/bin/python3
"""A gemm on the device from Python: numpy.memmap on mem/ files for the
data (zero-copy: the daemon computes on the very pages numpy maps), and
the text queue for the command. No bindings needed.

usage: gemm_numpy.py [DEVICE]   (default /dev/vgpu0)
"""
import os
import sys

import numpy as np

dev = sys.argv[1] if len(sys.argv) > 1 else "/dev/vgpu0"
m, n, k = 300, 200, 100
rng = np.random.default_rng(7)

# mode="w+" creates the buffer with the right size.
a = np.memmap(f"{dev}/mem/np_a", dtype=np.float32, mode="w+", shape=(m, k))
b = np.memmap(f"{dev}/mem/np_b", dtype=np.float32, mode="w+", shape=(k, n))
c = np.memmap(f"{dev}/mem/np_c", dtype=np.float32, mode="w+", shape=(m, n))
a[:] = rng.standard_normal((m, k), dtype=np.float32)
b[:] = rng.standard_normal((k, n), dtype=np.float32)

with open(f"{dev}/queue", "r+b", buffering=0) as queue:
    queue.write(f"gemm a=np_a b=np_b c=np_c m={m} n={n} k={k}\n".encode())
    reply = queue.readline().decode().strip()  # waits for the completion
print(reply)
if " ok " not in reply:
    sys.exit(1)

# The completion has been read: c (the same pages) holds the result.
err = np.max(np.abs(c - a @ b))
print(f"max |device - numpy| = {err:.2e}")
if err > 1e-3:
    sys.exit("wrong result")
print("result ok")
for name in ("np_a", "np_b", "np_c"):
    os.unlink(f"{dev}/mem/{name}")
