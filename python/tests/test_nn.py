"""Attention, layers, optimizers and a small GPT on the device."""
import numpy as np

import vgpu
from test_autograd import gradcheck


def attention_ref(qkv, n_head):
    b, t, c3 = qkv.shape
    c = c3 // 3
    hd = c // n_head
    q, k, v = (qkv[..., i * c:(i + 1) * c].reshape(b, t, n_head, hd).transpose(0, 2, 1, 3)
               for i in range(3))
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
    s = s + np.triu(np.full((t, t), -np.inf), 1)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return (p @ v).transpose(0, 2, 1, 3).reshape(b, t, c)


def test_attention_forward(dev, rng):
    qkv = rng.standard_normal((3, 5, 3 * 8))
    got = vgpu.causal_self_attention(vgpu.tensor(qkv, device=dev), 2).numpy()
    np.testing.assert_allclose(got, attention_ref(qkv, 2), rtol=1e-12, atol=1e-12)
    got32 = vgpu.causal_self_attention(vgpu.tensor(qkv.astype(np.float32), device=dev), 4)
    np.testing.assert_allclose(got32.numpy(), attention_ref(qkv, 4), rtol=1e-4, atol=1e-5)


def test_attention_gradient(dev, rng):
    gradcheck(dev, lambda x: vgpu.causal_self_attention(x, 2), rng.standard_normal((2, 3, 12)),
              tol=1e-6)


def test_linear_and_layernorm_modules(dev, rng):
    lin = vgpu.nn.Linear(4, 3, device=dev, rng=rng)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    w, b = lin.weight.numpy(), lin.bias.numpy()
    np.testing.assert_allclose(lin(vgpu.tensor(x, device=dev)).numpy(), x @ w.T + b, rtol=1e-5)
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    ln = vgpu.nn.LayerNorm(4, device=dev)
    out = ln(vgpu.tensor(x, device=dev)).numpy()
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-6)


def test_optimizers_match_their_formulas(dev, rng):
    p0 = rng.standard_normal(6)
    grads = [rng.standard_normal(6) for _ in range(3)]
    # AdamW
    p = vgpu.tensor(p0, device=dev, requires_grad=True)
    opt = vgpu.optim.AdamW([p], lr=0.1, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.05)
    want, m, v = p0.copy(), np.zeros(6), np.zeros(6)
    for t, g in enumerate(grads, 1):
        p.grad = vgpu.tensor(g, device=dev)
        opt.step()
        want *= 1 - 0.1 * 0.05
        m = 0.8 * m + 0.2 * g
        v = 0.9 * v + 0.1 * g * g
        want -= 0.1 * (m / (1 - 0.8 ** t)) / (np.sqrt(v / (1 - 0.9 ** t)) + 1e-6)
    np.testing.assert_allclose(p.numpy(), want, rtol=1e-13)
    # SGD with momentum
    p = vgpu.tensor(p0, device=dev, requires_grad=True)
    opt = vgpu.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    want, buf = p0.copy(), np.zeros(6)
    for g in grads:
        p.grad = vgpu.tensor(g, device=dev)
        opt.step()
        buf = 0.9 * buf + g + 0.01 * want
        want = want - 0.1 * buf
    np.testing.assert_allclose(p.numpy(), want, rtol=1e-13)


def test_gpt_loss_falls(dev):
    rng = np.random.default_rng(5)
    data = rng.integers(0, 8, 400)
    data = np.repeat(data, 2)  # every token is followed by itself: learnable
    model = vgpu.nn.GPT(vocab=8, block_size=16, n_layer=1, n_head=2, n_embd=16, device=dev)
    opt = vgpu.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    losses = []
    for step in range(30):
        starts = rng.integers(0, len(data) - 17, 4)
        x = np.stack([data[s:s + 16] for s in starts])
        y = np.stack([data[s + 1:s + 17] for s in starts])
        _, loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5]), losses
