"""Each operation against numpy on the real device."""
import numpy as np
import pytest

import vgpu

F32 = dict(rtol=1e-5, atol=1e-6)


def t(dev, a):
    return vgpu.tensor(a, device=dev)


def r(rng, *shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("sa,sb", [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)),
                                   ((3, 1), (3, 4)), ((3, 4), (3, 1)), ((2, 3, 4), (3, 1)),
                                   ((2, 1, 4), (1, 3, 1)), ((3, 4), ())])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_binary_broadcast(dev, rng, op, sa, sb):
    a, b = r(rng, *sa), np.asarray(r(rng, *sb) + 3, np.float32)
    fn = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}[op]
    pyop = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y,
            "mul": lambda x, y: x * y, "div": lambda x, y: x / y}[op]
    got = pyop(t(dev, a), t(dev, b)).numpy()
    np.testing.assert_allclose(got, fn(a, b), **F32)
    assert got.shape == np.broadcast_shapes(a.shape, b.shape)


def test_scalars(dev, rng):
    a = r(rng, 5)
    x = t(dev, a)
    np.testing.assert_allclose((2 * x + 1).numpy(), 2 * a + 1, **F32)
    np.testing.assert_allclose((1 - x).numpy(), 1 - a, **F32)
    np.testing.assert_allclose((1 / (x + 5)).numpy(), 1 / (a + 5), **F32)
    np.testing.assert_allclose((x ** 2).numpy(), a ** 2, **F32)


@pytest.mark.parametrize("name,ref", [
    ("relu", lambda a: np.maximum(a, 0)), ("tanh", np.tanh), ("exp", np.exp),
    ("sigmoid", lambda a: 1 / (1 + np.exp(-a))), ("abs", np.abs),
    ("log", lambda a: np.log(np.abs(a) + 1)), ("sqrt", lambda a: np.sqrt(np.abs(a) + 1))])
def test_unary(dev, rng, name, ref):
    a = r(rng, 4, 5)
    if name in ("log", "sqrt"):
        x, want = t(dev, np.abs(a) + 1), ref(a)
    else:
        x, want = t(dev, a), ref(a)
    np.testing.assert_allclose(getattr(vgpu, name)(x).numpy(), want, rtol=1e-5, atol=1e-6)


def test_gelu(dev, rng):
    from math import erf
    a = r(rng, 50)
    want = np.array([v / 2 * (1 + erf(v / np.sqrt(2))) for v in a.astype(np.float64)])
    np.testing.assert_allclose(vgpu.gelu(t(dev, a)).numpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [None, 0, 1, 2, (0, 1), (1, 2), (0, 2), -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean(dev, rng, axis, keepdim):
    a = r(rng, 3, 4, 5)
    x = t(dev, a)
    np.testing.assert_allclose(x.sum(axis, keepdim).numpy(), a.sum(axis, keepdims=keepdim),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.mean(axis, keepdim).numpy(), a.mean(axis, keepdims=keepdim),
                               rtol=1e-5, atol=1e-6)


def test_max_argmax(dev, rng):
    a = r(rng, 6, 7)
    x = t(dev, a)
    np.testing.assert_array_equal(x.max(1).numpy(), a.max(1))
    np.testing.assert_array_equal(x.min(0).numpy(), a.min(0))
    np.testing.assert_array_equal(x.argmax(-1).numpy(), a.argmax(-1))


@pytest.mark.parametrize("sa,sb", [((5, 3), (3, 4)), ((2, 5, 3), (3, 4)), ((2, 5, 3), (2, 3, 4)),
                                   ((5, 3), (2, 3, 4)), ((2, 1, 5, 3), (1, 3, 3, 4)),
                                   ((3,), (3, 4)), ((5, 3), (3,))])
def test_matmul(dev, rng, sa, sb):
    a, b = r(rng, *sa), r(rng, *sb)
    np.testing.assert_allclose((t(dev, a) @ t(dev, b)).numpy(), a @ b, rtol=1e-5, atol=1e-5)


def test_matmul_of_views(dev, rng):
    """Transposed and sliced operands go to gemm as they are (transa, lda)."""
    a, b = r(rng, 3, 5), r(rng, 4, 6)
    x, y = t(dev, a), t(dev, b)
    np.testing.assert_allclose((x.T @ y[1:4, 2:5]).numpy(), a.T @ b[1:4, 2:5], rtol=1e-5,
                               atol=1e-5)
    c = r(rng, 2, 3, 4)
    z = t(dev, c)
    np.testing.assert_allclose((z @ z.transpose(1, 2)).numpy(), c @ c.transpose(0, 2, 1),
                               rtol=1e-5, atol=1e-5)


def test_f64(dev, rng):
    a, b = r(rng, 4, 3, dtype=np.float64), r(rng, 3, 2, dtype=np.float64)
    x = t(dev, a)
    assert x.dtype == "f64"
    np.testing.assert_allclose((x @ t(dev, b)).numpy(), a @ b, rtol=1e-12)
    np.testing.assert_allclose(x.softmax().numpy().sum(-1), np.ones(4), rtol=1e-12)


def test_softmax_layernorm(dev, rng):
    a = r(rng, 2, 3, 8)
    x = t(dev, a)
    e = np.exp(a - a.max(-1, keepdims=True))
    np.testing.assert_allclose(x.softmax().numpy(), e / e.sum(-1, keepdims=True), **F32)
    np.testing.assert_allclose(x.log_softmax().numpy(),
                               np.log(e / e.sum(-1, keepdims=True)), rtol=1e-5, atol=1e-5)
    e1 = np.exp(a - a.max(1, keepdims=True))
    np.testing.assert_allclose(x.softmax(1).numpy(), e1 / e1.sum(1, keepdims=True), **F32)
    g, b = r(rng, 8), r(rng, 8)
    mu, var = a.mean(-1, keepdims=True), a.var(-1, keepdims=True)
    np.testing.assert_allclose(vgpu.layernorm(x, t(dev, g), t(dev, b)).numpy(),
                               (a - mu) / np.sqrt(var + 1e-5) * g + b, rtol=1e-4, atol=1e-5)


def test_views(dev, rng):
    a = r(rng, 4, 6)
    x = t(dev, a)
    v = x[1:3, ::2]
    assert v.block is x.block  # no copy
    np.testing.assert_array_equal(v.numpy(), a[1:3, ::2])
    np.testing.assert_array_equal(v.contiguous().numpy(), a[1:3, ::2])
    np.testing.assert_array_equal(x.reshape(3, 8).numpy(), a.reshape(3, 8))
    assert x.reshape(3, 8).block is x.block
    np.testing.assert_array_equal(x.T.contiguous().numpy(), a.T)
    np.testing.assert_array_equal(x[2].numpy(), a[2])
    np.testing.assert_array_equal(x[..., None].numpy(), a[..., None])
    b = r(rng, 2, 3, 4, 5)
    y = t(dev, b)
    np.testing.assert_array_equal(y.permute(0, 2, 1, 3).contiguous().numpy(),
                                  b.transpose(0, 2, 1, 3))
    np.testing.assert_array_equal(y.permute(3, 1, 2, 0).contiguous().numpy(),
                                  b.transpose(3, 1, 2, 0))


def test_conv_pool(dev, rng):
    x, w, bias = r(rng, 2, 3, 6, 6), r(rng, 4, 3, 3, 3), r(rng, 4)
    got = vgpu.conv2d(t(dev, x), t(dev, w), t(dev, bias), padding=1).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    want = np.zeros((2, 4, 6, 6), np.float32)
    for i in range(6):
        for j in range(6):
            want[:, :, i, j] = np.einsum("nchw,kchw->nk", xp[:, :, i:i + 3, j:j + 3], w)
    np.testing.assert_allclose(got, want + bias[None, :, None, None], rtol=1e-4, atol=1e-4)
    mp = vgpu.maxpool2d(t(dev, x), 2).numpy()
    np.testing.assert_array_equal(mp, x.reshape(2, 3, 3, 2, 3, 2).max((3, 5)))


def test_creation(dev, rng):
    assert vgpu.zeros((2, 3), device=dev).numpy().tolist() == [[0] * 3] * 2
    assert vgpu.ones(4, device=dev, dtype="f64").numpy().dtype == np.float64
    x = vgpu.randn(100, 100, device=dev, generator=rng)
    assert abs(float(x.numpy().mean())) < 0.05
    i = vgpu.tensor(np.array([1, 2, 3]), device=dev)
    assert i.dtype == "i32" and i.numpy().tolist() == [1, 2, 3]
    assert vgpu.tensor([1.5, 2.5], device=dev).to("f64").numpy().tolist() == [1.5, 2.5]


def test_freed_memory_is_reused_in_order(dev, rng):
    """A block freed while a queued command still reads it is reused only
    by later commands (same stream), and host writes wait for them."""
    a = r(rng, 1000)
    x = t(dev, a)
    y = x * 2.0
    del x  # its block goes back to the pool, the mul may not have run
    z = t(dev, np.zeros(1000, np.float32))  # may reuse it: waits first
    np.testing.assert_array_equal(y.numpy(), a * 2)
    assert not z.numpy().any()


def test_bf16_matmul(dev, rng):
    """bf16 inputs (cast on the device), f32 result: as f32 on the rounded inputs."""
    a, b = r(rng, 5, 8), r(rng, 8, 3)
    x, y = t(dev, a).to("bf16"), t(dev, b).to("bf16")
    assert x.dtype == "bf16" and x.numpy().dtype == np.uint16  # raw bf16 bits
    got = x @ y.T.contiguous().T  # a transposed operand too
    assert got.dtype == "f32"
    xr, yr = x.to("f32").numpy(), y.to("f32").numpy()
    np.testing.assert_allclose(got.numpy(), xr @ yr, rtol=1e-6, atol=1e-6)
    assert np.abs(xr - a).max() > 0  # the rounding happened
