#!/usr/bin/python3
"""A gemm and a softmax on the device from Python: numpy.memmap on mem/
files for the data (zero-copy: the daemon computes on the very pages numpy
maps), and the text queue for the commands. No bindings needed.

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
p = np.memmap(f"{dev}/mem/np_p", dtype=np.float32, mode="w+", shape=(m, n))
a[:] = rng.standard_normal((m, k), dtype=np.float32)
b[:] = rng.standard_normal((k, n), dtype=np.float32)

with open(f"{dev}/queue", "r+b", buffering=0) as queue:
    # One context: the softmax runs after the gemm, on its result.
    queue.write(f"gemm a=np_a b=np_b c=np_c m={m} n={n} k={k}\n"
                f"softmax x=np_c out=np_p rows={m} cols={n}\n".encode())
    replies = [queue.readline().decode().strip() for _ in range(2)]
print("\n".join(replies))
if any(" ok " not in r for r in replies):
    sys.exit(1)

# The completion has been read: c (the same pages) holds the result.
ref = a @ b
err = np.max(np.abs(c - ref))
print(f"gemm: max |device - numpy| = {err:.2e}")
e = np.exp(ref - ref.max(axis=1, keepdims=True))
ref_p = e / e.sum(axis=1, keepdims=True)
perr = np.max(np.abs(p - ref_p))
print(f"softmax: max |device - numpy| = {perr:.2e}")
if err > 1e-3 or perr > 1e-5:
    sys.exit("wrong result")
print("result ok")
for name in ("np_a", "np_b", "np_c", "np_p"):
    os.unlink(f"{dev}/mem/{name}")
