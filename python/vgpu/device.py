"""The device: its properties, its streams (queue contexts) and its memory.

Commands are binary packets gathered in a stream's batch and written in
one write() when a result is needed (synchronize, reading a tensor) or the
batch is full: a loop of small operations costs no round trip per
operation. Completions are read at those points too; a failed command
raises DeviceError there, carrying the daemon's message (as an
asynchronous error of a GPU runtime surfaces at the next synchronization).
"""
import mmap
import os
import threading

from . import _proto

BATCH_PACKETS = 256  # a batch is written when it holds this many packets
UNREAD_LIMIT = 768  # below the daemon's 1024 unread completions per context


class DeviceError(RuntimeError):
    """A command failed on the device: errname ("EINVAL"), the daemon's message."""

    def __init__(self, errname, message, kernel=None):
        super().__init__(f"{errname}: {message}")
        self.errname = errname
        self.message = message
        self.kernel = kernel


class Stream:
    """One context of the queue: its commands run in order."""

    def __init__(self, device):
        self.device = device
        self._fd = os.open(os.path.join(device.path, "queue"), os.O_RDWR | os.O_CLOEXEC)
        self._batch = [_proto.MAGIC]
        self._batch_packets = 0
        self.submitted = 0  # packets handed to submit()
        self.completed = 0  # completion records read
        self._written = 0
        self._kernels = {}  # tag -> kernel name, for error messages
        self.last_kernel_time = None
        self._error = None
        self.writes = self.reads = 0  # system calls, for tests and tuning

    def submit(self, kernel, **args):
        """Queues one command; returns its sequence number in this stream."""
        spec = self.device.kernel_spec(kernel)
        self.submitted += 1
        self._batch.append(_proto.pack(spec, self.submitted, args))
        self._batch_packets += 1
        if self._batch_packets >= BATCH_PACKETS:
            self.flush()
        return self.submitted

    def flush(self):
        """Writes the batch (reading completions first when too many are unread)."""
        if not self._batch_packets and self._written:
            return
        # Only the oldest completions are read, as many as the batch needs
        # room for: draining all would idle the device until the next write.
        excess = self._written - self.completed + self._batch_packets - UNREAD_LIMIT
        if excess > 0:
            self._read(excess)
        data = memoryview(b"".join(self._batch))
        while data:
            n = os.write(self._fd, data)
            self.writes += 1
            data = data[n:]
        self._written += self._batch_packets
        self._batch = []
        self._batch_packets = 0

    def wait(self, seq):
        """Returns once command SEQ (and every one before it) has completed."""
        if seq > self._written:
            self.flush()
        if self.completed < seq:
            self._read(seq - self.completed)
        self._raise_pending()

    def synchronize(self):
        """Waits for every command submitted so far; raises the first failure."""
        self.wait(self.submitted)

    def _read(self, count):
        while count > 0:
            data = os.read(self._fd, _proto.COMPLETION_SIZE * count)
            self.reads += 1
            for tag, _seq, status, _kernel, t0, t1, msg in _proto.unpack_completions(data):
                self.completed += 1
                count -= 1
                self.last_kernel_time = (t1 - t0) / 1e9
                if status < 0 and self._error is None:
                    self._error = DeviceError(_proto.errname(status), msg)

    def _raise_pending(self):
        if self._error is not None:
            err, self._error = self._error, None
            raise err

    def close(self):
        if self._fd >= 0:
            try:
                self.synchronize()
            finally:
                os.close(self._fd)
                self._fd = -1


class _Slab:
    """One mem/ buffer mapped whole; blocks are carved out of it."""

    def __init__(self, device, size):
        self.name = f"vgpu-py-{os.getpid()}-{device._next_slab}"
        device._next_slab += 1
        self.path = os.path.join(device.path, "mem", self.name)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.ftruncate(fd, size)
            self.handle = os.fstat(fd).st_ino
            self.map = mmap.mmap(fd, size)
        except BaseException:
            os.close(fd)
            os.unlink(self.path)
            raise
        os.close(fd)
        self.size = size
        self.used = 0


class Block:
    """Device memory owned by one storage: a range of a slab."""

    __slots__ = ("slab", "offset", "size", "allocator", "free_seq", "__weakref__")

    def __init__(self, slab, offset, size, allocator):
        self.slab, self.offset, self.size, self.allocator = slab, offset, size, allocator
        self.free_seq = 0  # the stream's last command that may use it

    def __del__(self):
        if self.allocator is not None:
            self.allocator.release(self)


class Allocator:
    """A caching allocator, as GPU runtimes have: creating a mem/ file per
    tensor would cost several file-system calls each; instead blocks of
    a few big buffers are reused. A freed block is reused by later commands
    of the same stream only (they run after every command that used it)."""

    SLAB = 64 << 20
    ALIGN = 256

    def __init__(self, device):
        self.device = device
        self._free = {}  # rounded size -> [Block]
        self._slabs = []
        # reentrant: a garbage collection inside allocate() may free
        # tensors (autograd closures make cycles), which releases blocks
        self._lock = threading.RLock()

    @staticmethod
    def _round(n):
        if n <= Allocator.ALIGN:
            return Allocator.ALIGN
        if n <= 1 << 20:
            return 1 << (n - 1).bit_length()
        return (n + (1 << 20) - 1) & ~((1 << 20) - 1)

    def allocate(self, nbytes):
        size = self._round(max(nbytes, 1))
        with self._lock:
            free = self._free.get(size)
            if free:
                block = free.pop()
                block.allocator = self
                return block
            slab = next((s for s in self._slabs if s.size - s.used >= size), None)
            if slab is None:
                slab = _Slab(self.device, max(self.SLAB, size))
                self._slabs.append(slab)
            block = Block(slab, slab.used, size, self)
            slab.used += size
            return block

    def release(self, block):
        block.free_seq = self.device.stream.submitted
        fresh = Block(block.slab, block.offset, block.size, None)
        fresh.free_seq = block.free_seq
        with self._lock:
            self._free.setdefault(block.size, []).append(fresh)

    def close(self):
        for s in self._slabs:
            try:
                s.map.close()
            except BufferError:
                pass  # a numpy view outlives the device: the mapping stays
            try:
                os.unlink(s.path)
            except FileNotFoundError:
                pass
        self._slabs = []
        self._free = {}


class Device:
    """An opened vgpufs device (default /dev/vgpu0). The first one opened is
    the default device of functions not given one, until it is closed."""

    current = None

    def __init__(self, path="/dev/vgpu0"):
        self.path = path
        self.info = self._read_info()
        self.workers = int(self.info.get("workers", "0"))
        self.tiers = self.info.get("tiers", "").split()
        self.capacities = {t: int(self.info[f"tier.{t}.capacity"]) for t in self.tiers
                           if f"tier.{t}.capacity" in self.info}
        self.kernels = self.info.get("kernels", "").split()
        self._specs = {}
        self._next_slab = 0
        self.allocator = Allocator(self)
        self.stream = Stream(self)  # the current stream
        self._streams = [self.stream]
        if Device.current is None:
            Device.current = self

    def _read_info(self):
        with open(os.path.join(self.path, "info")) as f:
            return dict(line.rstrip("\n").split(": ", 1) for line in f if ": " in line)

    def kernel_spec(self, name):
        spec = self._specs.get(name)
        if spec is None:
            if name not in self.kernels:
                raise DeviceError("ENOSYS", f"the device has no kernel '{name}'")
            with open(os.path.join(self.path, "kernels", name)) as f:
                spec = self._specs[name] = _proto.KernelSpec.parse(f.read())
        return spec

    def has_dtype(self, kernel, dtype):
        return kernel in self.kernels and dtype in self.kernel_spec(kernel).dtypes

    def new_stream(self):
        s = Stream(self)
        self._streams.append(s)
        return s

    def synchronize(self):
        """Waits for every command of every stream; raises the first failure."""
        for s in self._streams:
            s.synchronize()

    @property
    def last_kernel_time(self):
        """Seconds the device spent on the last completed command of the current stream."""
        return self.stream.last_kernel_time

    def close(self):
        if Device.current is self:
            Device.current = None
        try:
            for s in self._streams:
                s.close()
        finally:
            self.allocator.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
