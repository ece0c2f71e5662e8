#!/usr/bin/python3
"""Renders raymarch.cl's scene on the device into a PPM image, and checks it
against the same ray march in numpy (float32: a few pixels on the
silhouettes may differ by rounding).

usage: raymarch.py [DEVICE [OUT.ppm]]   (default /dev/vgpu0, render.ppm)
"""
import sys

import numpy as np

from device_files import Device

f32 = np.float32


def normalize(v):
    return v / np.sqrt(np.sum(v * v, axis=-1, keepdims=True))


def scene(p):
    sphere = np.sqrt(np.sum((p - np.array([0, 1, 0], f32)) ** 2, axis=-1)) - f32(1)
    return np.minimum(sphere, p[..., 1])


def reference(w, h):
    py, px = np.mgrid[0:h, 0:w].astype(f32)
    d = np.stack([(px - f32(0.5) * w) / h, (f32(0.5) * h - py) / h, np.ones_like(px)], -1)
    d = normalize(d)
    eye = np.array([0, 1, -4], f32)
    t = np.zeros((h, w), f32)
    hit = np.zeros((h, w), bool)
    live = np.ones((h, w), bool)
    for _ in range(96):
        live &= t < 20
        dist = scene(eye + d * t[..., None])
        newly = live & (dist < f32(1e-3))
        hit |= newly
        live &= ~newly
        t = np.where(live, t + dist, t)
    c = np.array([0.5, 0.7, 1.0], f32) * (f32(1) - f32(0.5) * d[..., 1:2])
    p = eye + d * t[..., None]
    e = f32(1e-3)
    grad = [scene(p + de) - scene(p - de) for de in np.eye(3, dtype=f32) * e]
    n = normalize(np.stack(grad, -1))
    light = normalize(np.array([-0.5, 0.8, -0.6], f32))
    diffuse = np.maximum(np.sum(n * light, -1), 0)[..., None]
    check = (np.floor(p[..., 0]).astype(np.int32) + np.floor(p[..., 2]).astype(np.int32)) & 1
    floor_albedo = np.where(check[..., None] == 1, f32(0.9), f32(0.2)) * np.ones(3, f32)
    albedo = np.where((p[..., 1] < f32(2e-3))[..., None], floor_albedo,
                      np.array([0.9, 0.3, 0.2], f32))
    c = np.where(hit[..., None], albedo * (f32(0.15) + f32(0.85) * diffuse), c)
    return (f32(255) * np.clip(c, 0, 1)).astype(np.uint8)


args = sys.argv[1:]
dev = Device(args[0] if args else "/dev/vgpu0")
out_path = args[1] if len(args) > 1 else "render.ppm"
w, h = 320, 240
rgb = dev.buffer("ray_rgb", (h, w, 3), np.uint8)
prog = dev.program("raymarch.cl")
dev.run(f"launch prog={prog} kernel=raymarch global={w},{h} rgb=ray_rgb w={w} h={h}")
with open(out_path, "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (w, h) + rgb.tobytes())
off = np.count_nonzero(np.abs(rgb.astype(int) - reference(w, h)).max(-1) > 2)
print(f"rendered {w}x{h} into {out_path}; {off} pixels differ from numpy's by more than 2")
dev.close()
if off > w * h // 100:
    sys.exit("wrong result")
print("result ok")
