"""Layers with parameters, and a small GPT built from them.

Parameters are device tensors that require gradients; weights are drawn on
the host with numpy at construction (as PyTorch's default initialisations)
and can be set from arrays with load_state_dict(), e.g. to start from the
same weights as another implementation."""
import math

import numpy as np

from .attention import causal_self_attention
from .tensor import Tensor, cross_entropy, embedding, gelu, layernorm, tensor


class Module:
    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def named_parameters(self, prefix=""):
        out = []
        for name, v in vars(self).items():
            if isinstance(v, Tensor) and v.requires_grad:
                out.append((prefix + name, v))
            elif isinstance(v, Module):
                out += v.named_parameters(f"{prefix}{name}.")
            elif isinstance(v, (list, tuple)):
                for i, m in enumerate(v):
                    if isinstance(m, Module):
                        out += m.named_parameters(f"{prefix}{name}.{i}.")
        return out

    def state_dict(self):
        return {name: np.array(p.numpy()) for name, p in self.named_parameters()}

    def load_state_dict(self, arrays):
        """Copies numpy ARRAYS (name -> array, named as named_parameters()) in."""
        for name, p in self.named_parameters():
            a = np.asarray(arrays[name])
            if a.shape != p.shape:
                raise ValueError(f"{name}: shape {a.shape}, want {p.shape}")
            p.numpy()[...] = a

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def __call__(self, *args, **kw):
        return self.forward(*args, **kw)


def _param(array, dtype, device):
    return tensor(array, dtype, device, requires_grad=True)


class Linear(Module):
    """y = x W^T + b, W of shape (out, in) as PyTorch's (gemm reads W^T in place)."""

    def __init__(self, n_in, n_out, bias=True, dtype="f32", device=None, rng=None):
        rng = rng or np.random.default_rng()
        bound = 1 / math.sqrt(n_in)
        self.weight = _param(rng.uniform(-bound, bound, (n_out, n_in)), dtype, device)
        self.bias = _param(rng.uniform(-bound, bound, n_out), dtype, device) if bias else None

    def forward(self, x):
        y = x @ self.weight.T
        return y + self.bias if self.bias is not None else y


class Embedding(Module):
    def __init__(self, num, dim, dtype="f32", device=None, rng=None):
        rng = rng or np.random.default_rng()
        self.weight = _param(rng.standard_normal((num, dim)), dtype, device)

    def forward(self, idx):
        return embedding(idx, self.weight)


class LayerNorm(Module):
    def __init__(self, dim, eps=1e-5, dtype="f32", device=None):
        self.weight = _param(np.ones(dim), dtype, device)
        self.bias = _param(np.zeros(dim), dtype, device)
        self.eps = eps

    def forward(self, x):
        return layernorm(x, self.weight, self.bias, self.eps)


class Block(Module):
    """A GPT-2 block: x + attn(ln_1(x)), then + mlp(ln_2(x)) (gelu, 4x wide)."""

    def __init__(self, n_embd, n_head, dtype="f32", device=None, rng=None):
        kw = dict(dtype=dtype, device=device)
        self.n_head = n_head
        self.ln_1 = LayerNorm(n_embd, **kw)
        self.c_attn = Linear(n_embd, 3 * n_embd, rng=rng, **kw)
        self.attn_proj = Linear(n_embd, n_embd, rng=rng, **kw)
        self.ln_2 = LayerNorm(n_embd, **kw)
        self.c_fc = Linear(n_embd, 4 * n_embd, rng=rng, **kw)
        self.mlp_proj = Linear(4 * n_embd, n_embd, rng=rng, **kw)

    def forward(self, x):
        x = x + self.attn_proj(causal_self_attention(self.c_attn(self.ln_1(x)), self.n_head))
        return x + self.mlp_proj(gelu(self.c_fc(self.ln_2(x))))


class GPT(Module):
    """A small GPT: token and position embeddings, blocks, a final
    layernorm and a linear head to the vocabulary."""

    def __init__(self, vocab, block_size, n_layer=2, n_head=2, n_embd=64, dtype="f32",
                 device=None, seed=0):
        rng = np.random.default_rng(seed)
        kw = dict(dtype=dtype, device=device)
        self.block_size = block_size
        self.wte = Embedding(vocab, n_embd, rng=rng, **kw)
        self.wpe = Embedding(block_size, n_embd, rng=rng, **kw)
        self.blocks = [Block(n_embd, n_head, rng=rng, **kw) for _ in range(n_layer)]
        self.ln_f = LayerNorm(n_embd, **kw)
        self.head = Linear(n_embd, vocab, bias=False, rng=rng, **kw)
        self._pos = {}

    def forward(self, idx, targets=None):
        """IDX (B, T) token ids (numpy or i32 tensor): logits (B, T, vocab),
        and the mean cross-entropy against TARGETS when given."""
        idx = idx if isinstance(idx, Tensor) else tensor(np.asarray(idx), "i32",
                                                          self.wte.weight.device)
        b, t = idx.shape
        if t not in self._pos:
            self._pos[t] = tensor(np.arange(t), "i32", idx.device)
        x = self.wte(idx) + self.wpe(self._pos[t])
        for blk in self.blocks:
            x = blk(x)
        logits = self.head(self.ln_f(x))
        if targets is None:
            return logits
        return logits, cross_entropy(logits, targets)
