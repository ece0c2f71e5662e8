"""Starts the real daemon on a temporary mount point for the session (as
tests/harness.c does: root, --foreground), and opens one Device on it."""
import os
import subprocess
import sys
import tempfile
import time

# PyTorch (test_gpt_torch.py) runs OpenBLAS inside its own threads: no
# OpenBLAS pool on top (set before numpy loads OpenBLAS).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import vgpu  # noqa: E402


def _daemon_path():
    path = os.environ.get("VGPUFSD")
    if path:
        return path
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "build", "daemon", "vgpufsd")


@pytest.fixture(scope="session")
def mount():
    mnt = tempfile.mkdtemp(prefix="vgpufs-py-")
    proc = subprocess.Popen([_daemon_path(), "--foreground", "--log-level", "warning",
                             "--vram", "512M", mnt])
    try:
        for _ in range(1000):
            if proc.poll() is not None:
                pytest.fail(f"vgpufsd exited early ({proc.returncode})")
            if os.path.exists(os.path.join(mnt, "info")):
                break
            time.sleep(0.01)
        else:
            pytest.fail("vgpufsd did not come up")
        yield mnt
    finally:
        proc.terminate()
        rc = proc.wait(timeout=30)
        # only if the daemon died badly: never leave a dead mount behind
        subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)
        os.rmdir(mnt)
    # a clean stop exits 0 (a sanitizer's finding does not)
    assert rc == 0, f"vgpufsd exited {rc}"


@pytest.fixture(scope="session")
def dev(mount):
    d = vgpu.Device(mount)
    yield d
    d.close()
    assert os.listdir(os.path.join(mount, "mem")) == [], "close() leaves no buffer behind"


@pytest.fixture
def rng():
    return __import__("numpy").random.default_rng(1234)
