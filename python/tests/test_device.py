import os

import numpy as np
import pytest

import vgpu


def test_properties(dev, mount):
    with open(os.path.join(mount, "info")) as f:
        info = f.read()
    assert f"workers: {dev.workers}\n" in info and dev.workers >= 1
    assert dev.tiers == ["ram"]
    assert dev.capacities["ram"] == 512 << 20
    assert {"gemm", "softmax", "layernorm", "conv2d"} <= set(dev.kernels)
    spec = dev.kernel_spec("gemm")
    assert spec.id == 5 and spec.args["transb"][0] == 8


def test_device_error_carries_the_daemons_message(dev):
    a = vgpu.zeros((4,), device=dev)
    # beyond the buffer: the daemon's extent check refuses it
    dev.stream.submit("fill", buf=a.buf(), value=1.0, n=1 << 40)
    with pytest.raises(vgpu.DeviceError) as e:
        dev.synchronize()
    assert e.value.errname == "EINVAL"
    assert "fill: buffer" in e.value.message and "needs" in e.value.message
    # the stream goes on
    assert (a + 1).numpy().tolist() == [1, 1, 1, 1]


def test_unknown_kernel(dev):
    with pytest.raises(vgpu.DeviceError) as e:
        dev.stream.submit("no_such_kernel")
    assert e.value.errname == "ENOSYS"


def test_small_ops_are_batched(dev):
    """A loop of small operations whose results are not read writes its
    commands in batches, and reads completions only at the end."""
    x = vgpu.ones((16,), device=dev)
    dev.synchronize()
    writes0, reads0 = dev.stream.writes, dev.stream.reads
    for _ in range(500):
        x = x * 1.001 + 0.5
    assert dev.stream.writes - writes0 <= 1000 // vgpu.device.BATCH_PACKETS + 1
    assert dev.stream.reads == reads0
    want = np.ones(16, np.float32)
    for _ in range(500):
        want = want * np.float32(1.001) + np.float32(0.5)
    np.testing.assert_allclose(x.numpy(), want, rtol=1e-5)


def test_many_commands_without_reading(dev):
    """More commands than the daemon keeps unread completions for: the
    stream reads completions in between instead of blocking forever."""
    x = vgpu.zeros((4,), device=dev)
    s, fewest = dev.stream, None
    for i in range(3000):
        x.fill_(2.0)
        if i >= 1024:
            unread = s._written - s.completed
            fewest = unread if fewest is None else min(fewest, unread)
    # only the oldest completions were read, to make room: the device
    # keeps a queue of work and never runs dry while Python packs a batch
    assert fewest >= vgpu.device.UNREAD_LIMIT - vgpu.device.BATCH_PACKETS
    assert x.numpy().tolist() == [2, 2, 2, 2]


def test_numpy_is_a_view_of_device_memory(dev):
    t = vgpu.zeros((3, 4), device=dev)
    host = t.numpy()
    host[1, 2] = 5.0  # written through the mapping: the device sees it
    s = t.sum(1)
    assert s.numpy().tolist() == [0, 5, 0]
    t.fill_(1.0)
    dev.synchronize()
    assert host[0, 0] == 1.0  # the same pages
    assert isinstance(host, np.ndarray)


def test_second_stream_runs_independently(dev):
    s = dev.new_stream()
    a = vgpu.ones((8,), device=dev)
    dev.synchronize()
    s.submit("scal", x=a.buf(), n=8, alpha=3.0)
    s.synchronize()
    assert a.numpy().tolist() == [3.0] * 8


def test_kernel_failure_raises_with_the_daemons_message(dev):
    """An index out of range fails the command on the device (ERANGE); the
    error surfaces at the next synchronization, the stream goes on."""
    w = vgpu.zeros((4, 2), device=dev)
    out = vgpu.embedding([1, 7], w)
    with pytest.raises(vgpu.DeviceError) as e:
        out.numpy()
    assert e.value.errname == "ERANGE"
    assert e.value.message.startswith("embedding: ")
    assert vgpu.embedding([3], w + 1).numpy().tolist() == [[1, 1]]


def test_garbage_collection_inside_an_allocation(dev, monkeypatch):
    """The cycle collector may run inside the allocator (autograd's closures
    make cycles) and free tensors there, whose blocks go back to the same
    allocator: no deadlock. Here it runs where allocate() makes a new slab."""
    import gc
    import threading

    make_slab = vgpu.device._Slab

    def collecting_slab(*args):
        gc.collect()  # as the collector may, at any allocation
        return make_slab(*args)

    def allocate_with_garbage_around():
        a = vgpu.ones((8,), device=dev)
        cycle = [a]
        cycle.append(cycle)  # only the collector frees it
        del a, cycle
        dev.allocator.allocate(vgpu.device.Allocator.SLAB + 4096)  # a new slab

    monkeypatch.setattr(vgpu.device, "_Slab", collecting_slab)
    worker = threading.Thread(target=allocate_with_garbage_around, daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "the allocator deadlocked"
