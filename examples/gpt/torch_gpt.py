"""The same GPT as vgpu.nn.GPT in PyTorch (CPU), on the same parameter
names: a reference for the device's results and speed (test-only)."""
import math

import torch
import torch.nn.functional as F


def params_from(state, dtype=torch.float32):
    """Leaf tensors that require gradients, from vgpu's state_dict()."""
    return {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in state.items()}


def forward(p, idx, targets, n_layer, n_head):
    b, t = idx.shape
    x = p["wte.weight"][idx] + p["wpe.weight"][torch.arange(t)]
    c = x.shape[-1]
    mask = torch.triu(torch.full((t, t), float("-inf"), dtype=x.dtype), 1)
    for i in range(n_layer):
        q = f"blocks.{i}."
        h = F.layer_norm(x, (c,), p[q + "ln_1.weight"], p[q + "ln_1.bias"], 1e-5)
        qkv = F.linear(h, p[q + "c_attn.weight"], p[q + "c_attn.bias"])
        qh, kh, vh = (z.view(b, t, n_head, c // n_head).transpose(1, 2) for z in qkv.split(c, -1))
        att = qh @ kh.transpose(-2, -1) / math.sqrt(c // n_head) + mask
        y = (att.softmax(-1) @ vh).transpose(1, 2).reshape(b, t, c)
        x = x + F.linear(y, p[q + "attn_proj.weight"], p[q + "attn_proj.bias"])
        h = F.layer_norm(x, (c,), p[q + "ln_2.weight"], p[q + "ln_2.bias"], 1e-5)
        h = F.gelu(F.linear(h, p[q + "c_fc.weight"], p[q + "c_fc.bias"]))
        x = x + F.linear(h, p[q + "mlp_proj.weight"], p[q + "mlp_proj.bias"])
    x = F.layer_norm(x, (c,), p["ln_f.weight"], p["ln_f.bias"], 1e-5)
    logits = F.linear(x, p["head.weight"])
    return F.cross_entropy(logits.reshape(b * t, -1), targets.reshape(-1))
