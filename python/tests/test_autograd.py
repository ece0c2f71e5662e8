"""Gradients of every operation that has one, against central finite
differences of the same device operations, in f64."""
import numpy as np
import pytest

import vgpu


def gradcheck(dev, fn, *arrays, eps=1e-6, tol=1e-6):
    """fn(*tensors) -> tensor; checks d sum(fn * w)/d input for a fixed random w."""
    rng = np.random.default_rng(99)
    with vgpu.no_grad():
        out_shape = fn(*[vgpu.tensor(a, device=dev) for a in arrays]).shape
    w = rng.standard_normal(out_shape)
    wt = vgpu.tensor(w, device=dev)

    def value(arrs):
        with vgpu.no_grad():
            return float((fn(*[vgpu.tensor(a, device=dev) for a in arrs]) * wt).sum().item())

    xs = [vgpu.tensor(a, device=dev, requires_grad=True) for a in arrays]
    (fn(*xs) * wt).sum().backward()
    for i, a in enumerate(arrays):
        num = np.zeros_like(a)
        for j in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][j] += eps
            minus[i][j] -= eps
            num[j] = (value(plus) - value(minus)) / (2 * eps)
        assert xs[i].grad is not None, f"no gradient for input {i}"
        got = xs[i].grad.numpy()
        assert got.shape == a.shape
        np.testing.assert_allclose(got, num, rtol=tol, atol=tol, err_msg=f"input {i}")


def r(rng, *shape):
    return rng.standard_normal(shape)


@pytest.mark.parametrize("sa,sb", [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)),
                                   ((2, 1), (2, 3)), ((2, 3, 1), (1, 4))])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_binary(dev, rng, op, sa, sb):
    f = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
         "mul": lambda a, b: a * b, "div": lambda a, b: a / b}[op]
    gradcheck(dev, f, r(rng, *sa), r(rng, *sb) + 3)


def test_scalar_operands(dev, rng):
    gradcheck(dev, lambda a: (2 - a) * 3 / 4 + 1 / (a + 5), r(rng, 5))
    gradcheck(dev, lambda a: a ** 3, r(rng, 5))


@pytest.mark.parametrize("name", ["relu", "gelu", "tanh", "exp", "sigmoid", "neg", "recip",
                                  "log", "sqrt"])
def test_unary(dev, rng, name):
    a = r(rng, 3, 4)
    if name in ("log", "sqrt", "recip"):
        a = np.abs(a) + 0.5
    if name == "relu":
        a[np.abs(a) < 1e-3] = 0.5  # away from the kink
    gradcheck(dev, getattr(vgpu, name), a)


@pytest.mark.parametrize("axis", [None, 0, 1, 2, (0, 2)])
def test_sum_mean(dev, rng, axis):
    gradcheck(dev, lambda a: a.sum(axis), r(rng, 2, 3, 4))
    gradcheck(dev, lambda a: a.mean(axis, keepdim=True), r(rng, 2, 3, 4))


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 2)), ((2, 3, 4), (4, 2)),
                                   ((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 2)), ((4,), (4, 3))])
def test_matmul(dev, rng, sa, sb):
    gradcheck(dev, lambda a, b: a @ b, r(rng, *sa), r(rng, *sb))


def test_matmul_of_transposed_views(dev, rng):
    gradcheck(dev, lambda a, b: a.T @ b.transpose(0, 1), r(rng, 4, 3), r(rng, 2, 4))


def test_linear_weight_gradient(dev, rng):
    """x @ W.T over a batch (a Linear layer): W's gradient is right and
    comes in W's own layout, ready for the optimizer without a copy."""
    gradcheck(dev, lambda x, w: x @ w.T, r(rng, 2, 3, 4), r(rng, 5, 4))
    x = vgpu.tensor(r(rng, 2, 3, 4), device=dev)
    w = vgpu.tensor(r(rng, 5, 4), device=dev, requires_grad=True)
    g = r(rng, 2, 3, 5)
    (x @ w.T).backward(vgpu.tensor(g, device=dev))
    assert w.grad.is_contiguous()
    want = np.einsum("btj,bti->ji", g, x.numpy())
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-10)


@pytest.mark.parametrize("dim", [-1, 0])
def test_softmax(dev, rng, dim):
    gradcheck(dev, lambda a: a.softmax(dim), r(rng, 3, 5))
    gradcheck(dev, lambda a: a.log_softmax(dim), r(rng, 3, 5))


def test_layernorm(dev, rng):
    gradcheck(dev, lambda x, g, b: vgpu.layernorm(x, g, b), r(rng, 2, 3, 5), r(rng, 5),
              r(rng, 5), tol=1e-5)
    gradcheck(dev, lambda x: vgpu.layernorm(x), r(rng, 4, 6), tol=1e-5)


def test_views(dev, rng):
    gradcheck(dev, lambda a: a.reshape(4, 3).T * 2, r(rng, 2, 6))
    gradcheck(dev, lambda a: a.permute(2, 0, 1).contiguous(), r(rng, 2, 3, 4))
    gradcheck(dev, lambda a: a[1:, ::2] * 3, r(rng, 3, 5))


def test_cross_entropy(dev, rng):
    target = np.array([2, 0, 4, 4])
    gradcheck(dev, lambda z: vgpu.cross_entropy(z, target), r(rng, 4, 5))
    gradcheck(dev, lambda z: vgpu.cross_entropy(z, target.reshape(2, 2), reduction="sum"),
              r(rng, 2, 2, 5))
    z = r(rng, 4, 5)
    want = -np.mean(z[np.arange(4), target] - np.log(np.exp(z).sum(1)))
    assert abs(vgpu.cross_entropy(vgpu.tensor(z, device=dev), target).item() - want) < 1e-12


def test_embedding(dev, rng):
    idx = np.array([[3, 0, 3], [1, 3, 2]])  # row 3 three times: gradients add up
    gradcheck(dev, lambda w: vgpu.embedding(idx, w) * 2, r(rng, 5, 4))
    w = r(rng, 5, 4)
    got = vgpu.embedding(vgpu.tensor(idx, device=dev), vgpu.tensor(w, device=dev))
    np.testing.assert_array_equal(got.numpy(), w[idx])


def test_accumulation_and_no_grad(dev, rng):
    a = vgpu.tensor(r(rng, 3), device=dev, requires_grad=True)
    (a * a + a).sum().backward()  # a used twice: gradients add up
    np.testing.assert_allclose(a.grad.numpy(), 2 * a.numpy() + 1)
    with vgpu.no_grad():
        b = a * 2
    assert not b.requires_grad and b._node is None
    c = a.detach() * 2
    assert not c.requires_grad
