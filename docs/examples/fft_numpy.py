#!/usr/bin/python3
"""FFTs on the device from Python, checked against numpy.fft: complex64
arrays in mem/ files through numpy.memmap (zero-copy), commands through
the text queue.

usage: fft_numpy.py [DEVICE]   (default /dev/vgpu0)
"""
import os
import sys

import numpy as np

dev = sys.argv[1] if len(sys.argv) > 1 else "/dev/vgpu0"
batch, n = 64, 1000  # 64 signals of 1000 samples
rows, cols = 48, 81  # one 48x81 image
rng = np.random.default_rng(7)


def buffer(name, shape):
    # mode="w+" creates the buffer with the right size
    return np.memmap(f"{dev}/mem/{name}", dtype=np.complex64, mode="w+", shape=shape)


sig = buffer("np_sig", (batch, n))
spec = buffer("np_spec", (batch, n))
img = buffer("np_img", (rows, cols))
sig[:] = rng.standard_normal((batch, n)) + 1j * rng.standard_normal((batch, n))
img[:] = rng.standard_normal((rows, cols)) + 1j * rng.standard_normal((rows, cols))
img0 = np.array(img)

lines = [
    # np.fft.fft over the last axis: one 1-D transform per row
    f"fft x=np_sig out=np_spec n={n} batch={batch}",
    # np.fft.ifft2, in place: numpy scales the inverse by 1/size
    f"fft x=np_img out=np_img n={cols} rows={rows} inverse=1 norm=n",
]
with open(f"{dev}/queue", "r+b", buffering=0) as queue:
    queue.write("".join(line + "\n" for line in lines).encode())
    replies = [queue.readline().decode().strip() for _ in lines]
print("\n".join(replies))
if not all(" ok " in r for r in replies):
    sys.exit(1)

# The completions have been read: the buffers hold the results.
# Relative to the size of the values; f32 gives about 1e-7 per step.
err1 = np.max(np.abs(spec - np.fft.fft(sig))) / np.sqrt(n)
err2 = np.max(np.abs(img - np.fft.ifft2(img0))) * np.sqrt(rows * cols)
print(f"fft:   max |device - numpy| / sqrt(n) = {err1:.1e}")
print(f"ifft2: max |device - numpy| * sqrt(size) = {err2:.1e}")
if err1 > 1e-5 or err2 > 1e-5:
    sys.exit("wrong result")
print("result ok")
for name in ("np_sig", "np_spec", "np_img"):
    os.unlink(f"{dev}/mem/{name}")
