"""Tensors: device buffers with a shape, strides and a dtype, and the
operations on them, each one command (or a few) of the device's catalogue.
Python only works out shapes and arguments; the numbers never pass
through it (but for tensor(), .numpy() and randn's host generator)."""
import os

import numpy as np

from . import autograd
from .device import Device

DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "bf16": np.uint16}
ITEMSIZE = {"f32": 4, "f64": 8, "i32": 4, "bf16": 2}
_NP_TO_DTYPE = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
                np.dtype(np.int32): "i32", np.dtype(np.int64): "i32"}

def default_device():
    """The device of functions not given one: the first opened, else
    $VGPU_DEVICE or /dev/vgpu0 opened now."""
    if Device.current is None:
        Device(os.environ.get("VGPU_DEVICE", "/dev/vgpu0"))
    return Device.current


def set_default_device(device):
    Device.current = device


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _dot(index, strides):
    n = 0
    for i, s in zip(index, strides):
        n += i * s
    return n


def _contiguous_strides(shape):
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= s
    return tuple(reversed(strides))


class _HostView(np.ndarray):
    """A numpy view of device memory that keeps its block alive."""

    def __array_finalize__(self, obj):
        self._vgpu_block = getattr(obj, "_vgpu_block", None)


class Tensor:
    __slots__ = ("device", "block", "offset", "shape", "strides", "dtype",
                 "requires_grad", "grad", "_node", "_packed", "__weakref__")

    def __init__(self, device, block, shape, dtype, strides=None, offset=0):
        self.device = device
        self.block = block
        self.shape = shape if type(shape) is tuple else tuple(int(s) for s in shape)
        if strides is None:
            self.strides = _contiguous_strides(self.shape)
            self._packed = True
        else:
            self.strides = tuple(strides)
            self._packed = None  # not known yet
        self.dtype = dtype
        self.offset = offset  # elements from the block's start
        self.requires_grad = False
        self.grad = None
        self._node = None

    # --- basics ---------------------------------------------------------
    @property
    def ndim(self):
        return len(self.shape)

    @property
    def itemsize(self):
        return ITEMSIZE[self.dtype]

    def numel(self):
        return _numel(self.shape)

    size = property(lambda self: self.numel())

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return f"vgpu.Tensor(shape={self.shape}, dtype={self.dtype})"

    def buf(self):
        """The buffer argument of a command: (handle, byte offset)."""
        return (self.block.slab.handle, self.block.offset + self.offset * self.itemsize)

    def is_contiguous(self):
        if self._packed is None:
            cs = _contiguous_strides(self.shape)
            self._packed = self.strides == cs or self.numel() <= 1 or all(
                st == c for st, c, s in zip(self.strides, cs, self.shape) if s != 1)
        return self._packed

    def numpy(self):
        """A zero-copy numpy view of the tensor's device memory, after
        every command of the stream has completed. It stays valid as
        long as it lives and shows later results after a synchronize()."""
        self.device.stream.synchronize()
        base = np.ndarray((self.block.size,), dtype=np.uint8, buffer=self.block.slab.map,
                          offset=self.block.offset)
        isz = self.itemsize
        arr = np.ndarray(self.shape, dtype=DTYPES[self.dtype], buffer=base,
                         offset=self.offset * isz,
                         strides=tuple(s * isz for s in self.strides)).view(_HostView)
        arr._vgpu_block = self.block
        return arr

    def item(self):
        return self.numpy().reshape(-1)[0].item()

    def tolist(self):
        return self.numpy().tolist()

    def __array__(self, dtype=None):
        a = np.array(self.numpy())
        return a.astype(dtype) if dtype is not None else a

    def backward(self, grad=None):
        if grad is None:
            if self.numel() != 1:
                raise RuntimeError("backward() without a gradient needs a single element")
            grad = full(self.shape, 1.0, dtype=self.dtype, device=self.device)
        autograd.backward(self, grad)

    def detach(self):
        return Tensor(self.device, self.block, self.shape, self.dtype, self.strides, self.offset)

    def requires_grad_(self, flag=True):
        self.requires_grad = flag
        return self

    def zero_grad(self):
        self.grad = None

    # --- views ------------------------------------------------------------
    def _view(self, shape, strides, offset):
        return Tensor(self.device, self.block, shape, self.dtype, strides, offset)

    def reshape(self, *shape):
        return reshape(self, *shape)

    view = reshape

    def transpose(self, d0=-2, d1=-1):
        return transpose(self, d0, d1)

    def permute(self, *dims):
        return permute(self, *dims)

    @property
    def T(self):
        return permute(self, *reversed(range(self.ndim)))

    def __getitem__(self, idx):
        return getitem(self, idx)

    def contiguous(self):
        return contiguous(self)

    def clone(self):
        return clone(self)

    def to(self, dtype):
        return cast(self, dtype)

    def flatten(self):
        return reshape(self, -1)

    # --- operators ----------------------------------------------------------
    def __add__(self, o): return add(self, o)
    def __radd__(self, o): return add(self, o)
    def __sub__(self, o): return sub(self, o)
    def __rsub__(self, o): return add(neg(self), o)
    def __mul__(self, o): return mul(self, o)
    def __rmul__(self, o): return mul(self, o)
    def __truediv__(self, o): return div(self, o)
    def __rtruediv__(self, o): return mul(recip(self), o)
    def __neg__(self): return neg(self)
    def __pow__(self, o): return pow(self, o)
    def __matmul__(self, o): return matmul(self, o)

    def sum(self, axis=None, keepdim=False): return sum(self, axis, keepdim)
    def mean(self, axis=None, keepdim=False): return mean(self, axis, keepdim)
    def max(self, axis=None, keepdim=False): return amax(self, axis, keepdim)
    def min(self, axis=None, keepdim=False): return amin(self, axis, keepdim)
    def argmax(self, axis=-1): return argmax(self, axis)
    def relu(self): return relu(self)
    def gelu(self): return gelu(self)
    def tanh(self): return tanh(self)
    def sigmoid(self): return sigmoid(self)
    def exp(self): return exp(self)
    def log(self): return log(self)
    def sqrt(self): return sqrt(self)
    def abs(self): return abs(self)
    def softmax(self, dim=-1): return softmax(self, dim)
    def log_softmax(self, dim=-1): return log_softmax(self, dim)

    # in place, for optimizers: no graph
    def fill_(self, value):
        _fill(self, value)
        return self

    def copy_(self, src):
        _copy_into(self, src)
        return self


# --- creation ---------------------------------------------------------------
def _dev(device):
    return device if device is not None else default_device()


def empty(shape, dtype="f32", device=None):
    if isinstance(shape, int):
        shape = (shape,)
    dev = _dev(device)
    block = dev.allocator.allocate(_numel(shape) * ITEMSIZE[dtype])
    return Tensor(dev, block, shape, dtype)


def _fill(t, value):
    if t.dtype not in ("f32", "f64"):
        raise NotImplementedError(f"fill of {t.dtype}")
    if not t.is_contiguous():
        raise ValueError("fill_ of a non-contiguous view")
    if t.numel():
        t.device.stream.submit("fill", buf=t.buf(), value=value, n=t.numel(), dtype=t.dtype)


def full(shape, value, dtype="f32", device=None, requires_grad=False):
    t = empty(shape, dtype, device)
    _fill(t, value)
    t.requires_grad = requires_grad
    return t


def zeros(shape, dtype="f32", device=None, requires_grad=False):
    return full(shape, 0.0, dtype, device, requires_grad)


def ones(shape, dtype="f32", device=None, requires_grad=False):
    return full(shape, 1.0, dtype, device, requires_grad)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A device tensor holding a copy of DATA (array-like). int64 becomes
    i32 (the device's index type), when the values fit."""
    arr = np.asarray(data)
    if dtype is None:
        dtype = _NP_TO_DTYPE.get(arr.dtype, "f32")
    if dtype == "i32" and arr.dtype.kind in "iu" and arr.size and (
            arr.max() > 2**31 - 1 or arr.min() < -2**31):
        raise OverflowError("values beyond i32")
    t = empty(arr.shape, dtype, device)
    stream = t.device.stream
    if t.block.free_seq > stream.completed:  # a reused block: earlier commands first
        stream.wait(t.block.free_seq)
    host = np.ndarray(arr.shape, DTYPES[dtype], buffer=t.block.slab.map, offset=t.block.offset)
    host[...] = arr
    t.requires_grad = requires_grad
    return t


def randn(*shape, dtype="f32", device=None, requires_grad=False, generator=None):
    """Normal samples, drawn on the host (numpy) and copied in."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    rng = generator if generator is not None else np.random.default_rng()
    return tensor(rng.standard_normal(shape), dtype, device, requires_grad)


def _ones_vector(dev, n, dtype):
    """A cached vector of at least N ones (operand of broadcasts and sums)."""
    cache = dev.__dict__.setdefault("_ones", {})
    t = cache.get(dtype)
    if t is None or t.numel() < n:
        t = cache[dtype] = full((max(n, 1024),), 1.0, dtype, dev)
    return t


# --- views --------------------------------------------------------------------
def reshape(t, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = list(shape)
    if -1 in shape:
        i = shape.index(-1)
        rest = _numel(shape[:i] + shape[i + 1:])
        shape[i] = t.numel() // rest if rest else 0
    shape = tuple(shape)
    if _numel(shape) != t.numel():
        raise ValueError(f"cannot reshape {t.shape} to {shape}")
    src = t if t.is_contiguous() else contiguous(t)
    out = src._view(shape, None, src.offset)
    old = t.shape
    return autograd.record(out, (t,), lambda g: (reshape(g, old),), "reshape")


def permute(t, *dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    dims = tuple(d % t.ndim for d in dims)
    out = t._view(tuple(t.shape[d] for d in dims), tuple(t.strides[d] for d in dims), t.offset)
    inv = tuple(np.argsort(dims))
    return autograd.record(out, (t,), lambda g: (permute(g, *inv),), "permute")


def transpose(t, d0=-2, d1=-1):
    dims = list(range(t.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return permute(t, *dims)


def getitem(t, idx):
    """Basic indexing (ints, slices with positive steps, None, ...): a view."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    if Ellipsis in idx:
        i = idx.index(Ellipsis)
        fill_n = t.ndim - (len(idx) - 1 - idx.count(None))
        idx = idx[:i] + (slice(None),) * fill_n + idx[i + 1:]
    shape, strides, offset, d = [], [], t.offset, 0
    for x in idx:
        if x is None:
            shape.append(1)
            strides.append(0)
            continue
        if isinstance(x, (int, np.integer)):
            n = t.shape[d]
            x = int(x) + n if x < 0 else int(x)
            if not 0 <= x < n:
                raise IndexError(f"index {x} out of range for size {n}")
            offset += x * t.strides[d]
        elif isinstance(x, slice):
            start, stop, step = x.indices(t.shape[d])
            if step <= 0:
                raise NotImplementedError("negative steps")
            shape.append(max(0, (stop - start + step - 1) // step))
            strides.append(t.strides[d] * step)
            offset += start * t.strides[d]
        else:
            raise NotImplementedError(f"index of type {type(x).__name__}")
        d += 1
    shape += t.shape[d:]
    strides += t.strides[d:]
    out = t._view(tuple(shape), tuple(strides), offset)
    src_shape = t.shape

    def back(g):
        full_g = zeros(src_shape, g.dtype, g.device)
        _copy_into(getitem(full_g, idx), g)
        return (full_g,)
    return autograd.record(out, (t,), back, "getitem")


def _copy_runs(dst, src):
    """copy commands moving SRC (any strides) into DST (contiguous)."""
    # the innermost dims that are contiguous in src form one run
    run, k = 1, src.ndim
    while k > 0 and (src.strides[k - 1] == run or src.shape[k - 1] == 1):
        run *= src.shape[k - 1]
        k -= 1
    outer = src.shape[:k]
    count = _numel(outer)
    if count > 65536:
        raise NotImplementedError(f"a copy of {count} pieces: make it contiguous otherwise")
    stream, isz = src.device.stream, src.itemsize
    h, base = src.buf()
    dh, dbase = dst.buf()
    for i, index in enumerate(np.ndindex(*outer)):
        off = _dot(index, src.strides) * isz
        stream.submit("copy", src=(h, base + off), dst=(dh, dbase + i * run * isz),
                      bytes=run * isz)


def contiguous(t):
    """The tensor itself when contiguous, else a packed copy: a transpose
    of the last two dimensions is the transpose kernel (a command a
    matrix), anything else copies contiguous runs."""
    if t.is_contiguous():
        return t
    out = empty(t.shape, t.dtype, t.device)
    if t.numel():
        _strided_copy(out, t)
    return autograd.record(out, (t,), lambda g: (g,), "contiguous")


def _strided_copy(out, t):
    nd = t.ndim
    if nd >= 2 and t.strides[-2] == 1 and t.strides[-1] == t.shape[-2]:
        r, c = t.shape[-2], t.shape[-1]  # stored as c x r matrices
        batch = t.shape[:-2]
        bstrides = t.strides[:-2]
        stream, isz = t.device.stream, t.itemsize
        h, base = t.buf()
        oh, obase = out.buf()
        if _numel(batch) <= 4096:
            for i, index in enumerate(np.ndindex(*batch)):
                off = _dot(index, bstrides) * isz
                stream.submit("transpose", x=(h, base + off), out=(oh, obase + i * r * c * isz),
                              rows=c, cols=r, dtype=t.dtype)
            return
    _copy_runs(out, t)


def _copy_into(dst, src):
    """dst[...] = src (same shape); dst may be a view."""
    if tuple(dst.shape) != tuple(src.shape):
        src = _expand(src, dst.shape)
    if dst.is_contiguous():
        if src.is_contiguous():
            if src.numel():
                dst.device.stream.submit("copy", src=src.buf(), dst=dst.buf(),
                                         bytes=src.numel() * src.itemsize)
        else:
            _strided_copy(dst, src)
        return
    src = contiguous(src)
    # a strided destination: copy runs of dst from the packed source
    run, k = 1, dst.ndim
    while k > 0 and (dst.strides[k - 1] == run or dst.shape[k - 1] == 1):
        run *= dst.shape[k - 1]
        k -= 1
    stream, isz = dst.device.stream, dst.itemsize
    h, base = src.buf()
    dh, dbase = dst.buf()
    for i, index in enumerate(np.ndindex(*dst.shape[:k])):
        off = _dot(index, dst.strides) * isz
        stream.submit("copy", src=(h, base + i * run * isz), dst=(dh, dbase + off),
                      bytes=run * isz)


def clone(t):
    out = empty(t.shape, t.dtype, t.device)
    _copy_into(out, t)
    return autograd.record(out, (t,), lambda g: (g,), "clone")


def cast(t, dtype):
    if dtype == t.dtype:
        return t
    t = contiguous(t)
    out = empty(t.shape, dtype, t.device)
    if t.numel():
        t.device.stream.submit("cast", x=t.buf(), out=out.buf(), n=t.numel(),
                               **{"from": t.dtype, "to": dtype})
    return autograd.record(out, (t,), lambda g: (cast(g, t.dtype),), "cast")


# --- broadcasting ------------------------------------------------------------------
def broadcast_shapes(a, b):
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"shapes {a} and {b} do not broadcast")
        out.append(y if x == 1 else x)
    return tuple(out)


def _groups(flags, shape):
    """Merges adjacent dims of the same kind: [(size, flag)], size-1 dims dropped."""
    groups = []
    for s, f in zip(shape, flags):
        if s == 1:
            continue
        if groups and groups[-1][1] == f:
            groups[-1][0] *= s
        else:
            groups.append([s, f])
    return groups


def _expand(x, shape):
    """X broadcast to SHAPE, materialised: one gemm_batched per group of
    broadcast dims (ones(R,1) @ row(1,C) is the row repeated R times)."""
    shape = tuple(shape)
    xs = (1,) * (len(shape) - x.ndim) + tuple(x.shape)
    if xs == shape:
        return contiguous(x).reshape(shape)
    if x.dtype not in ("f32", "f64"):
        raise NotImplementedError(f"broadcast of {x.dtype}")
    cur = contiguous(x)
    groups = _groups([xs[d] == 1 for d in range(len(shape))], shape)
    while any(b for _, b in groups):
        i = max(j for j, (_, b) in enumerate(groups) if b)
        p = _numel([s if not b else 1 for s, b in groups[:i]])
        r = groups[i][0]
        c = _numel([s for s, _ in groups[i + 1:]])
        out = empty((p * r * c,), x.dtype, x.device)
        ones_v = _ones_vector(x.device, r, x.dtype)
        x.device.stream.submit("gemm_batched", a=ones_v.buf(), b=cur.buf(), c=out.buf(),
                               m=r, n=c, k=1, batch=p, stride_a=0, stride_b=c,
                               stride_c=r * c, dtype=x.dtype)
        groups[i][1] = False
        cur = out
    out = cur.reshape(shape)
    src_shape = x.shape
    return autograd.record(out, (x,), lambda g: (_reduce_to(g, src_shape),), "expand")


def _reduce_to(g, shape):
    """Sums G over the dims that broadcasting added to SHAPE."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                     if s == 1 and g.shape[lead + i] != 1)
    return reshape(sum(g, axes, keepdim=False), shape)


def _is_row_of(small, shape):
    """Whether SMALL broadcast to SHAPE repeats it along leading dims only."""
    small = (1,) * (len(shape) - len(small)) + tuple(small)
    k = 0
    while k < len(shape) and small[k] == 1:
        k += 1
    return small[k:] == tuple(shape[k:])


# --- elementwise ------------------------------------------------------------------------
def _as_tensor(x, like):
    if isinstance(x, Tensor):
        return x
    return tensor(np.asarray(x, dtype=DTYPES[like.dtype]), like.dtype, like.device)


def _binary_kernel(kernel, a, b):
    """OUT = A op B with numpy broadcasting; B may be a Python number."""
    if not isinstance(b, Tensor) and np.ndim(b) == 0:
        a = contiguous(a)
        out = empty(a.shape, a.dtype, a.device)
        if a.numel():
            a.device.stream.submit(kernel, a=a.buf(), bscalar=float(b), out=out.buf(),
                                   n=a.numel(), dtype=a.dtype)
        return out
    b = _as_tensor(b, a)
    if a.dtype != b.dtype:
        raise TypeError(f"{kernel}: {a.dtype} and {b.dtype}")
    shape = broadcast_shapes(a.shape, b.shape)
    a = contiguous(a)
    b = contiguous(b)
    if tuple(a.shape) != shape:
        if kernel in ("add", "mul", "max", "min") and tuple(b.shape) == shape and \
                _is_row_of(a.shape, shape):
            a, b = b, a
        else:
            a = _expand(a, shape)
    out = empty(shape, a.dtype, a.device)
    n = out.numel()
    if not n:
        return out
    extra = {}
    if tuple(b.shape) != shape:
        if _is_row_of(b.shape, shape) and b.numel():
            extra["rows"] = n // b.numel()
        else:
            b = _expand(b, shape)
    a.device.stream.submit(kernel, a=a.buf(), b=b.buf(), out=out.buf(), n=n,
                           dtype=a.dtype, **extra)
    return out


def _unary_kernel(kernel, x):
    x = contiguous(x)
    out = empty(x.shape, x.dtype, x.device)
    if x.numel():
        x.device.stream.submit(kernel, x=x.buf(), out=out.buf(), n=x.numel(), dtype=x.dtype)
    return out


def _tensors(*xs):
    return tuple(x if isinstance(x, Tensor) else None for x in xs)


def add(a, b):
    if not isinstance(a, Tensor):
        a, b = b, a
    out = _binary_kernel("add", a, b)
    sa, sb = a.shape, getattr(b, "shape", ())
    return autograd.record(out, _tensors(a, b),
                           lambda g: (_reduce_to(g, sa), _reduce_to(g, sb)), "add")


def sub(a, b):
    if not isinstance(a, Tensor):
        return add(neg(b), a)
    out = _binary_kernel("sub", a, b)
    sa, sb = a.shape, getattr(b, "shape", ())
    return autograd.record(out, _tensors(a, b),
                           lambda g: (_reduce_to(g, sa), _reduce_to(neg(g), sb)), "sub")


def mul(a, b):
    if not isinstance(a, Tensor):
        a, b = b, a
    out = _binary_kernel("mul", a, b)

    def back(g):
        if not isinstance(b, Tensor):
            return (mul(g, b), None)
        return (_reduce_to(mul(g, b), a.shape), _reduce_to(mul(g, a), b.shape))
    return autograd.record(out, _tensors(a, b), back, "mul")


def div(a, b):
    if not isinstance(a, Tensor):
        return mul(recip(b), a)
    out = _binary_kernel("div", a, b)

    def back(g):
        if not isinstance(b, Tensor):
            return (mul(g, 1.0 / b), None)
        ga = div(g, b)  # d(a/b)/db = -(a/b)/b
        return (_reduce_to(ga, a.shape), _reduce_to(neg(mul(ga, out)), b.shape))
    return autograd.record(out, _tensors(a, b), back, "div")


def maximum(a, b):
    return _binary_kernel("max", a, b)


def minimum(a, b):
    return _binary_kernel("min", a, b)


def pow(a, b):
    out = _binary_kernel("pow", a, b)
    if isinstance(b, Tensor):
        return out  # a gradient for scalar exponents only
    return autograd.record(out, (a,), lambda g: (mul(g, mul(_binary_kernel("pow", a, b - 1), b)),),
                           "pow")


def neg(x):
    out = _unary_kernel("neg", x)
    return autograd.record(out, (x,), lambda g: (neg(g),), "neg")


def recip(x):
    out = _unary_kernel("recip", x)
    return autograd.record(out, (x,), lambda g: (neg(mul(g, mul(out, out))),), "recip")


def exp(x):
    out = _unary_kernel("exp", x)
    return autograd.record(out, (x,), lambda g: (mul(g, out),), "exp")


def log(x):
    out = _unary_kernel("log", x)
    return autograd.record(out, (x,), lambda g: (div(g, x),), "log")


def sqrt(x):
    out = _unary_kernel("sqrt", x)
    return autograd.record(out, (x,), lambda g: (div(mul(g, 0.5), out),), "sqrt")


def abs(x):
    return _unary_kernel("abs", x)


def _step(x):
    """1 where X > 0, else 0 (exact for every normal number): min(relu(x)/tiny, 1)."""
    big = 1.0 / np.finfo(DTYPES[x.dtype]).tiny
    return _binary_kernel("min", _binary_kernel("mul", _unary_kernel("relu", x), big), 1.0)


def relu(x):
    out = _unary_kernel("relu", x)
    return autograd.record(out, (x,), lambda g: (mul(g, _step(x)),), "relu")


def sigmoid(x):
    out = _unary_kernel("sigmoid", x)
    return autograd.record(out, (x,), lambda g: (mul(g, mul(out, add(neg(out), 1.0))),),
                           "sigmoid")


def tanh(x):
    out = _unary_kernel("tanh", x)
    return autograd.record(out, (x,), lambda g: (mul(g, add(neg(mul(out, out)), 1.0)),), "tanh")


def gelu(x):
    out = _unary_kernel("gelu", x)

    def back(g):
        gx = empty(x.shape, x.dtype, x.device)
        xc, gc = contiguous(x), contiguous(g)
        if gx.numel():
            x.device.stream.submit("gelu_backward", x=xc.buf(), grad=gc.buf(), out=gx.buf(),
                                   n=x.numel(), dtype=x.dtype)
        return (gx,)
    return autograd.record(out, (x,), back, "gelu")


# --- reductions ------------------------------------------------------------------------
def _axes(t, axis):
    if axis is None:
        return tuple(range(t.ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted({a % t.ndim for a in axis}))


def _reduce(kernel, x, axes):
    """Reduces contiguous X over AXES, innermost group of reduced dims first:
    the row kernel when the group is innermost, the column kernel when it
    is outermost (but float sums), else a gemm_batched with a vector of
    ones (scaled by 1/R for mean)."""
    cur = contiguous(x)
    groups = _groups([d in axes for d in range(x.ndim)], x.shape)
    out_dtype = "i32" if kernel in ("argmax", "argmin") else x.dtype
    if not any(r for _, r in groups):
        return clone(cur) if kernel in ("sum", "mean") else cur
    while any(r for _, r in groups):
        i = max(j for j, (_, r) in enumerate(groups) if r)
        p = _numel([s for s, _ in groups[:i]])
        r = groups[i][0]
        c = _numel([s for s, _ in groups[i + 1:]])
        out = empty((p * c,), out_dtype, x.device)
        stream = x.device.stream
        # Columns (c > 1) of floats are summed by a gemm with ones, as
        # PyTorch sums a bias's gradient: the `sum` kernel's compensated
        # double sums cost 7% of a GPT's training step for no gain here.
        float_sum = kernel in ("sum", "mean") and x.dtype in ("f32", "f64")
        if c == 1 or (p == 1 and not float_sum):
            stream.submit(kernel, x=cur.buf(), out=out.buf(), rows=p if c == 1 else r,
                          cols=r if c == 1 else c, axis=1 if c == 1 else 0, dtype=x.dtype)
        elif float_sum:
            ones_v = _ones_vector(x.device, r, x.dtype)
            stream.submit("gemm_batched", a=ones_v.buf(), b=cur.buf(), c=out.buf(), m=1, n=c,
                          k=r, batch=p, stride_a=0, stride_b=r * c, stride_c=c,
                          alpha=1.0 / r if kernel == "mean" else 1.0, dtype=x.dtype)
        else:
            raise NotImplementedError(f"{kernel} over inner axes of {x.shape}")
        del groups[i]
        cur = out
    return cur


def _reduced_shape(shape, axes, keepdim):
    if keepdim:
        return tuple(1 if d in axes else s for d, s in enumerate(shape))
    return tuple(s for d, s in enumerate(shape) if d not in axes)


def sum(x, axis=None, keepdim=False):
    axes = _axes(x, axis)
    out = _reduce("sum", x, axes).reshape(_reduced_shape(x.shape, axes, keepdim))
    kshape, shape = _reduced_shape(x.shape, axes, True), x.shape
    return autograd.record(out, (x,), lambda g: (_expand(reshape(g, kshape), shape),), "sum")


def mean(x, axis=None, keepdim=False):
    axes = _axes(x, axis)
    out = _reduce("mean", x, axes).reshape(_reduced_shape(x.shape, axes, keepdim))
    kshape, shape = _reduced_shape(x.shape, axes, True), x.shape
    count = _numel([x.shape[a] for a in axes])
    return autograd.record(out, (x,),
                           lambda g: (_expand(mul(reshape(g, kshape), 1.0 / count), shape),),
                           "mean")


def amax(x, axis=None, keepdim=False):
    axes = _axes(x, axis)
    return _reduce("amax", x, axes).reshape(_reduced_shape(x.shape, axes, keepdim))


def amin(x, axis=None, keepdim=False):
    axes = _axes(x, axis)
    return _reduce("amin", x, axes).reshape(_reduced_shape(x.shape, axes, keepdim))


def argmax(x, axis=-1):
    axes = _axes(x, axis)
    return _reduce("argmax", x, axes).reshape(_reduced_shape(x.shape, axes, False))


def argmin(x, axis=-1):
    axes = _axes(x, axis)
    return _reduce("argmin", x, axes).reshape(_reduced_shape(x.shape, axes, False))


# --- rows: softmax, layernorm --------------------------------------------------------------
def _rowwise(kernel, x, dim, **extra):
    if dim % x.ndim != x.ndim - 1:
        y = _rowwise(kernel, contiguous(transpose(x, dim, -1)), -1, **extra)
        return transpose(y, dim, -1)
    x = contiguous(x)
    out = empty(x.shape, x.dtype, x.device)
    cols = x.shape[-1] if x.ndim else 1
    if x.numel():
        x.device.stream.submit(kernel, x=x.buf(), out=out.buf(), rows=x.numel() // cols,
                               cols=cols, dtype=x.dtype, **extra)
    return out


def _softmax_backward(y, g, dim, log):
    """The softmax_backward kernel over rows along DIM (y: the forward output)."""
    if dim % y.ndim != y.ndim - 1:
        yt, gt = contiguous(transpose(y, dim, -1)), contiguous(transpose(g, dim, -1))
        return transpose(_softmax_backward(yt, gt, -1, log), dim, -1)
    y, g = contiguous(y), contiguous(g)
    out = empty(y.shape, y.dtype, y.device)
    cols = y.shape[-1]
    if y.numel():
        y.device.stream.submit("softmax_backward", y=y.buf(), grad=g.buf(), out=out.buf(),
                               rows=y.numel() // cols, cols=cols, log=int(log), dtype=y.dtype)
    return out


def softmax(x, dim=-1):
    with autograd.no_grad():
        out = _rowwise("softmax", x, dim)
    return autograd.record(out, (x,), lambda g: (_softmax_backward(out, g, dim, False),),
                           "softmax")


def log_softmax(x, dim=-1):
    with autograd.no_grad():
        out = _rowwise("log_softmax", x, dim)
    return autograd.record(out, (x,), lambda g: (_softmax_backward(out, g, dim, True),),
                           "log_softmax")


def layernorm(x, weight=None, bias=None, eps=1e-5):
    """Normalises over the last dimension; WEIGHT and BIAS hold one value a column."""
    x = contiguous(x)
    cols = x.shape[-1]
    out = empty(x.shape, x.dtype, x.device)
    args = {}
    if weight is not None:
        args["gamma"] = contiguous(weight).buf()
    if bias is not None:
        args["beta"] = contiguous(bias).buf()
    if x.numel():
        x.device.stream.submit("layernorm", x=x.buf(), out=out.buf(), rows=x.numel() // cols,
                               cols=cols, eps=eps, dtype=x.dtype, **args)

    def back(g):
        g = contiguous(g)
        gx = empty(x.shape, x.dtype, x.device)
        extra = {"gamma": contiguous(weight).buf()} if weight is not None else {}
        if x.numel():
            x.device.stream.submit("layernorm_backward", x=x.buf(), grad=g.buf(), out=gx.buf(),
                                   rows=x.numel() // cols, cols=cols, eps=eps, dtype=x.dtype,
                                   **extra)
        lead = tuple(range(x.ndim - 1))
        gw = sum(mul(g, layernorm(x, eps=eps)), lead) if weight is not None else None
        gb = sum(g, lead) if bias is not None else None
        return (gx, gw, gb)
    return autograd.record(out, (x, weight, bias), back, "layernorm")


# --- matmul ----------------------------------------------------------------------------------
def _mat_operand(t):
    """(tensor, trans, ld) for the last two dims of T as gemm takes them."""
    r, c = t.shape[-2], t.shape[-1]
    s0, s1 = t.strides[-2], t.strides[-1]
    if (s1 == 1 or c == 1) and (s0 >= c or r == 1):
        return t, 0, c if r == 1 else s0
    if (s0 == 1 or r == 1) and (s1 >= r or c == 1):
        return t, 1, r if c == 1 else s1
    t = contiguous(t)
    return t, 0, c


def _batch_stride(t, batch_shape):
    """One stride for T's batch dims broadcast to BATCH_SHAPE, or None."""
    bs = (1,) * (len(batch_shape) - (t.ndim - 2)) + tuple(t.shape[:-2])
    st = (0,) * (len(batch_shape) - (t.ndim - 2)) + tuple(t.strides[:-2])
    dims = [(s, stride) for s, stride, want in zip(bs, st, batch_shape) if want != 1]
    if all(s == 1 for s, _ in dims):
        return 0
    if any(s == 1 for s, _ in dims):
        return None  # partly broadcast
    stride = dims[-1][1]
    expect = stride
    for s, sd in reversed(dims):
        if sd != expect:
            return None
        expect = sd * s
    return stride


def matmul(a, b):
    """A @ B as numpy: 2-D is one gemm, a batch one gemm_batched (strided
    and transposed views are passed as they are, with leading dims)."""
    squeeze = []
    if a.ndim == 1:
        a = reshape(a, 1, a.shape[0])
        squeeze.append(-2)
    if b.ndim == 1:
        b = reshape(b, b.shape[0], 1)
        squeeze.append(-1)
    m, k = a.shape[-2:]
    k2, n = b.shape[-2:]
    if k != k2:
        raise ValueError(f"matmul: {a.shape} @ {b.shape}")
    with autograd.no_grad():
        out = _matmul_raw(a, b)
    ra, rb = a, b

    def back(g):
        ga = _reduce_to(matmul(g, transpose(rb, -1, -2)), ra.shape) if ra.requires_grad else None
        gb = _matrix_grad(ra, rb, g) if rb.requires_grad else None
        return (ga, gb)
    out = autograd.record(out, (a, b), back, "matmul")
    for d in squeeze:
        out = reshape(out, out.shape[:d] + out.shape[d + 1:] if d == -2 else out.shape[:-1])
    return out


def _matrix_grad(a, b, g):
    """The gradient of B in A @ B given G, the output's. A batch times one
    matrix (a Linear layer's x @ W.T) is one gemm over the batch's rows, not
    a gemm a batch entry and their sum; and where B is a transposed matrix
    (W.T) the product is formed transposed, so that the gradient is
    W's own layout and nothing copies it before the optimizer reads it."""
    if b.ndim != 2 or a.ndim < 2 or not a.is_contiguous():
        return _reduce_to(matmul(transpose(a, -1, -2), g), b.shape)
    a2 = reshape(a, -1, a.shape[-1])
    g2 = reshape(g, -1, g.shape[-1])
    if b.strides == (1, b.shape[0]) and b.shape[0] > 1:  # B = W.T, W contiguous
        return transpose(matmul(transpose(g2, -1, -2), a2), -1, -2)
    return matmul(transpose(a2, -1, -2), g2)


def _matmul_raw(a, b):
    m, k = a.shape[-2:]
    n = b.shape[-1]
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    dev, dtype = a.device, a.dtype
    if a.dtype != b.dtype:
        raise TypeError(f"matmul: {a.dtype} @ {b.dtype}")
    # gemm on bf16 inputs writes f32 results
    out_dtype = "f32" if dtype == "bf16" else dtype
    if b.ndim == 2 and a.ndim > 2 and a.is_contiguous():
        a = reshape(a, -1, k)  # one gemm for a batch times one matrix
        batch, m_out, m = batch, m, a.shape[0]
    else:
        m_out = m
    out = empty(batch + (m_out, n), out_dtype, dev)
    if not out.numel():
        return out
    if k == 0:
        return zeros(out.shape, out_dtype, dev)
    a, ta, lda = _mat_operand(a)
    b, tb, ldb = _mat_operand(b)
    args = dict(m=m, n=n, k=k, transa=ta, transb=tb, lda=lda, ldb=ldb, dtype=dtype)
    if a.ndim == 2 and b.ndim == 2:
        dev.stream.submit("gemm", a=a.buf(), b=b.buf(), c=out.buf(), **args)
        return out
    sa, sb = _batch_stride(a, batch), _batch_stride(b, batch)
    if sa is None:
        a, ta, lda = _mat_operand(_expand(a, batch + a.shape[-2:]))
        sa = _batch_stride(a, batch)
    if sb is None:
        b, tb, ldb = _mat_operand(_expand(b, batch + b.shape[-2:]))
        sb = _batch_stride(b, batch)
    args.update(transa=ta, transb=tb, lda=lda, ldb=ldb)
    dev.stream.submit("gemm_batched", a=a.buf(), b=b.buf(), c=out.buf(), batch=_numel(batch),
                      stride_a=sa, stride_b=sb, stride_c=m * n, **args)
    return out


# --- convolution and pooling (forward) -------------------------------------------------------------------
def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """NCHW convolution as PyTorch's (no gradient yet)."""
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
    x, weight = contiguous(x), contiguous(weight)
    n, c, h, w = x.shape
    k, _, kh, kw = weight.shape
    p = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    q = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = empty((n, k, p, q), x.dtype, x.device)
    extra = {"bias": contiguous(bias).buf()} if bias is not None else {}
    x.device.stream.submit("conv2d", x=x.buf(), weight=weight.buf(), out=out.buf(), n=n, c=c,
                           h=h, w=w, k=k, kh=kh, kw=kw, stride_h=sh, stride_w=sw, pad_h=ph,
                           pad_w=pw, dilation_h=dh, dilation_w=dw, groups=groups,
                           dtype=x.dtype, **extra)
    return out


def _pool(kernel, x, kernel_size, stride, padding):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    (kh, kw), (ph, pw) = pair(kernel_size), pair(padding)
    sh, sw = pair(stride) if stride is not None else (kh, kw)
    x = contiguous(x)
    n, c, h, w = x.shape
    p, q = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    out = empty((n, c, p, q), x.dtype, x.device)
    x.device.stream.submit(kernel, x=x.buf(), out=out.buf(), n=n, c=c, h=h, w=w, kh=kh, kw=kw,
                           stride_h=sh, stride_w=sw, pad_h=ph, pad_w=pw, dtype=x.dtype)
    return out


def maxpool2d(x, kernel_size, stride=None, padding=0):
    return _pool("maxpool2d", x, kernel_size, stride, padding)


def avgpool2d(x, kernel_size, stride=None, padding=0):
    return _pool("avgpool2d", x, kernel_size, stride, padding)


# --- embeddings and losses ---------------------------------------------------------------------
def _indices(idx, like):
    """IDX as a contiguous i32 tensor on LIKE's device."""
    if not isinstance(idx, Tensor):
        idx = tensor(np.asarray(idx), "i32", like.device)
    if idx.dtype != "i32":
        raise TypeError(f"indices must be i32, not {idx.dtype}")
    return contiguous(idx)


def embedding(idx, weight):
    """Rows of WEIGHT (vocab, dim) picked by the integer tensor IDX: shape
    idx.shape + (dim,). One embedding command; its gradient one
    embedding_backward (a scatter-add)."""
    idx = _indices(idx, weight)
    weight = contiguous(weight)
    vocab, dim = weight.shape
    n = idx.numel()
    out = empty(tuple(idx.shape) + (dim,), weight.dtype, weight.device)
    if n:
        weight.device.stream.submit("embedding", table=weight.buf(), idx=idx.buf(),
                                    out=out.buf(), n=n, dim=dim, vocab=vocab,
                                    dtype=weight.dtype)

    def back(g):
        gw = empty(weight.shape, weight.dtype, weight.device)
        g = contiguous(g)
        weight.device.stream.submit("embedding_backward", out=gw.buf(), idx=idx.buf(),
                                    grad=g.buf(), n=n, dim=dim, vocab=vocab,
                                    dtype=weight.dtype)
        return (gw,)
    return autograd.record(out, (weight,), back, "embedding")


def cross_entropy(logits, target, reduction="mean"):
    """Cross-entropy of LOGITS (..., classes) against integer class
    indices TARGET (...): the cross_entropy kernel gives each row's loss
    (reduction='none'), then a mean or sum; the gradient is one
    cross_entropy_backward."""
    classes = logits.shape[-1]
    x = contiguous(logits).reshape(-1, classes)
    t = _indices(target, logits)
    rows = x.shape[0]
    if t.numel() != rows:
        raise ValueError(f"cross_entropy: {t.numel()} targets for {rows} rows")
    loss = empty((rows,), x.dtype, x.device)
    if rows:
        x.device.stream.submit("cross_entropy", x=x.buf(), target=t.buf(), out=loss.buf(),
                               rows=rows, cols=classes, dtype=x.dtype)

    def back(g):
        gx = empty(x.shape, x.dtype, x.device)
        g = contiguous(g)
        x.device.stream.submit("cross_entropy_backward", x=x.buf(), target=t.buf(),
                               grad=g.buf(), out=gx.buf(), rows=rows, cols=classes,
                               dtype=x.dtype)
        return (gx,)
    loss = autograd.record(loss, (x,), back, "cross_entropy")
    if reduction == "none":
        return loss.reshape(logits.shape[:-1])
    return mean(loss) if reduction == "mean" else sum(loss)
