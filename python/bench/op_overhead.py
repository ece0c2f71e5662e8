#!/usr/bin/python3
"""Per-operation overhead of small operations from Python, against the
device's own round trip (one nop written and its completion read, on the
binary queue).

usage: op_overhead.py [DEVICE]   (default $VGPU_DEVICE or /dev/vgpu0)
Prints medians of several repetitions (the machine may be shared: noisy).
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import vgpu  # noqa: E402
from vgpu import _proto  # noqa: E402


def round_trip(dev, kernel="nop", n=500, **args):
    """Seconds for one command: write its packet, read its completion."""
    spec = dev.kernel_spec(kernel)
    fd = os.open(os.path.join(dev.path, "queue"), os.O_RDWR)
    os.write(fd, _proto.MAGIC)
    pkt = _proto.pack(spec, 1, args)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        os.write(fd, pkt)
        os.read(fd, _proto.COMPLETION_SIZE)
        times.append(time.perf_counter() - t0)
    os.close(fd)
    return statistics.median(times)


def per_op(dev, n=2000, sync_each=False):
    """Seconds per `x = x * 1.0001 + 0.5`-style small op (16 floats), in a
    loop, results read once at the end (or after every op)."""
    x = vgpu.ones((16,), device=dev)
    dev.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        x = x * 1.0001
        if sync_each:
            dev.synchronize()
    dev.synchronize()
    return (time.perf_counter() - t0) / n


def main():
    dev = vgpu.Device(sys.argv[1] if len(sys.argv) > 1 else
                      os.environ.get("VGPU_DEVICE", "/dev/vgpu0"))
    x, out = vgpu.ones((16,), device=dev), vgpu.empty((16,), device=dev)
    dev.synchronize()
    rt = statistics.median(round_trip(dev) for _ in range(5))
    rt_mul = statistics.median(round_trip(dev, "mul", a=x.buf(), bscalar=1.0001, out=out.buf(),
                                          n=16, dtype="f32") for _ in range(5))
    batched = statistics.median(per_op(dev) for _ in range(5))
    synced = statistics.median(per_op(dev, 500, True) for _ in range(5))
    print(f"device round trip, nop:              {rt * 1e6:.1f} us")
    print(f"device round trip, mul of 16 floats: {rt_mul * 1e6:.1f} us")
    print(f"Python x * 1.0001, batched:          {batched * 1e6:.1f} us a op "
          f"({batched / rt:.2f}x the nop round trip)")
    print(f"Python x * 1.0001, synchronized:     {synced * 1e6:.1f} us a op "
          f"({synced / rt_mul:.2f}x the mul round trip)")
    dev.close()


if __name__ == "__main__":
    main()
