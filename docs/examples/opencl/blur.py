#!/usr/bin/python3
"""Blurs a PGM image (P5, 8-bit) with blur.cl and writes the result as a
PGM; without an input it makes a test pattern. Checked against the same
filter in numpy (integer arithmetic: the results are equal).

usage: blur.py [DEVICE [OUT.pgm [IN.pgm]]]   (default /dev/vgpu0, blurred.pgm, a pattern)
"""
import sys

import numpy as np

from device_files import Device


def read_pgm(path):
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval; comments skipped
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P5" or int(fields[3]) > 255:
        sys.exit(f"{path}: not an 8-bit binary PGM")
    w, h = int(fields[1]), int(fields[2])
    return np.frombuffer(data, np.uint8, w * h, pos + 1).reshape(h, w)


def pattern(h=240, w=320):
    y, x = np.mgrid[0:h, 0:w]
    return (((x // 16 + y // 16) % 2) * 200 + 30).astype(np.uint8)


def reference(img):
    k = np.array([1, 4, 6, 4, 1], np.uint32)
    p = np.pad(img.astype(np.uint32), 2, mode="edge")
    h, w = img.shape
    acc = np.zeros((h, w), np.uint32)
    for dy in range(5):
        for dx in range(5):
            acc += k[dy] * k[dx] * p[dy:dy + h, dx:dx + w]
    return ((acc + 128) // 256).astype(np.uint8)


args = sys.argv[1:]
dev = Device(args[0] if args else "/dev/vgpu0")
out_path = args[1] if len(args) > 1 else "blurred.pgm"
img = read_pgm(args[2]) if len(args) > 2 else pattern()
h, w = img.shape
src = dev.buffer("blur_in", (h, w), np.uint8)
dst = dev.buffer("blur_out", (h, w), np.uint8)
src[:] = img
prog = dev.program("blur.cl")
dev.run(f"launch prog={prog} kernel=blur global={w},{h} in=blur_in out=blur_out w={w} h={h}")
with open(out_path, "wb") as f:
    f.write(b"P5\n%d %d\n255\n" % (w, h) + dst.tobytes())
wrong = np.count_nonzero(dst != reference(img))
print(f"{w}x{h} blurred into {out_path}; {wrong} pixels differ from numpy's")
dev.close()
if wrong:
    sys.exit("wrong result")
print("result ok")
