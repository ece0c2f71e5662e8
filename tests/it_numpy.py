#!/usr/bin/python3
"""Runs the Python examples (numpy.memmap + text queue) against a real daemon."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

daemon = os.environ["VGPUFSD"]
docs = os.environ["VGPUFS_DOCS"]
mnt = tempfile.mkdtemp(prefix="vgpufs-numpy-")
out = tempfile.mkdtemp(prefix="vgpufs-numpy-out-")  # images the examples write
proc = subprocess.Popen([daemon, "--foreground", "--log-level", "warning", "--vram", "256M", mnt])
passed = failed = 0
try:
    for _ in range(500):
        if os.path.exists(os.path.join(mnt, "info")):
            break
        time.sleep(0.01)
    examples = (("gemm_numpy.py", "2 ok softmax", []), ("fft_numpy.py", "2 ok fft", []),
                # users' OpenCL C kernels (launch), results checked against numpy
                ("opencl/matmul.py", "2 ok launch", []),
                ("opencl/histogram.py", "1 ok launch", []),
                ("opencl/reduce.py", "1 ok launch", []),
                ("opencl/blur.py", "1 ok launch", [os.path.join(out, "b.pgm")]),
                ("opencl/raymarch.py", "1 ok launch", [os.path.join(out, "r.ppm")]))
    for example, completion, extra in examples:
        r = subprocess.run(["/usr/bin/python3", os.path.join(docs, "examples", example), mnt] + extra,
                           capture_output=True, text=True, timeout=120, cwd=out)
        print(r.stdout, r.stderr, sep="")
        images = all(os.path.exists(path) and os.path.getsize(path) > 1000 for path in extra)
        if r.returncode == 0 and "result ok" in r.stdout and completion in r.stdout and images:
            passed += 1
        else:
            failed += 1
    # the buffers are gone again
    if os.listdir(os.path.join(mnt, "mem")) == []:
        passed += 1
    else:
        failed += 1
finally:
    proc.terminate()
    proc.wait(timeout=30)
    # only if the daemon died badly: never leave a dead mount behind
    subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)
    os.rmdir(mnt)
    shutil.rmtree(out, ignore_errors=True)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
