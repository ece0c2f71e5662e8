#!/usr/bin/python3
"""Trains a small char-level GPT on corpus.txt on a vgpufs device, and
optionally the same model from the same weights with PyTorch on the CPU
(--torch): losses side by side, and tokens/s of each.

usage: train.py [--device DIR] [--steps N] [--torch] [--sample N]
                [--load FILE] [--save FILE] ...
"""
import argparse
import os
import sys
import time

# Debian's PyTorch calls OpenBLAS (pthread build) inside its own threads:
# OpenBLAS's pool on top of them oversubscribes the cores (10x slower
# here). Set before numpy loads OpenBLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import vgpu  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load_corpus():
    with open(os.path.join(HERE, "corpus.txt")) as f:
        text = f.read()
    chars = sorted(set(text))
    return text, chars, np.array([chars.index(ch) for ch in text], dtype=np.int64)


def batches(data, block, batch, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        starts = rng.integers(0, len(data) - block - 1, batch)
        yield (np.stack([data[s:s + block] for s in starts]),
               np.stack([data[s + 1:s + block + 1] for s in starts]))


def save_weights(model, path):
    """The weights as a plain file: numpy's .npz, one array a parameter."""
    np.savez(path, **model.state_dict())


def load_weights(model, path):
    with np.load(path) as f:
        model.load_state_dict({name: f[name] for name in f.files})


def train_vgpu(args, data, vocab, dev, dtype="f32"):
    model = vgpu.nn.GPT(vocab, args.block, args.layers, args.heads, args.embd, dtype=dtype,
                        device=dev, seed=args.seed)
    if getattr(args, "load", None):
        load_weights(model, args.load)
    init = model.state_dict()
    opt = vgpu.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    losses = []
    t0 = time.perf_counter()
    for x, y in batches(data, args.block, args.batch, args.steps, args.seed):
        _, loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss)  # read at the end: no round trip per step
    losses = [loss.item() for loss in losses]
    dt = time.perf_counter() - t0
    return model, init, losses, args.steps * args.batch * args.block / dt


def train_torch(args, data, init, dtype="f32"):
    import torch

    import torch_gpt
    torch.set_num_threads(args.threads)
    p = torch_gpt.params_from(init, torch.float64 if dtype == "f64" else torch.float32)
    opt = torch.optim.AdamW(p.values(), lr=args.lr, weight_decay=args.weight_decay)
    losses = []
    t0 = time.perf_counter()
    for x, y in batches(data, args.block, args.batch, args.steps, args.seed):
        loss = torch_gpt.forward(p, torch.tensor(x), torch.tensor(y), args.layers, args.heads)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    dt = time.perf_counter() - t0
    return losses, args.steps * args.batch * args.block / dt


def sample(model, chars, prompt, n, dev):
    """Greedy: the device picks each next character (argmax)."""
    ids = [chars.index(ch) for ch in prompt]
    with vgpu.no_grad():
        for _ in range(n):
            ctx = np.array([ids[-model.block_size:]])
            logits = model(ctx)
            ids.append(int(logits[0, -1].argmax().item()))
    return "".join(chars[i] for i in ids)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default=os.environ.get("VGPU_DEVICE", "/dev/vgpu0"))
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--block", type=int, default=32)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--embd", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=0, help="characters to generate after")
    ap.add_argument("--torch", action="store_true", help="also train with PyTorch (CPU)")
    ap.add_argument("--load", metavar="FILE", help="start from these weights (.npz of --save)")
    ap.add_argument("--save", metavar="FILE", help="save the trained weights here (.npz)")
    ap.add_argument("--threads", type=int, default=0,
                    help="PyTorch's threads (default: the device's workers)")
    return ap.parse_args(argv)


def main():
    args = parse_args()
    text, chars, data = load_corpus()
    dev = vgpu.Device(args.device)
    if not args.threads:
        args.threads = dev.workers
    model, init, losses, tps = train_vgpu(args, data, len(chars), dev)
    if losses:
        print(f"vgpu: loss {losses[0]:.4f} -> {losses[-1]:.4f} in {args.steps} steps, "
              f"{tps:.0f} tokens/s ({dev.workers} workers)")
    if args.torch:
        tlosses, ttps = train_torch(args, data, init)
        diff = max(abs(a - b) for a, b in zip(losses, tlosses))
        print(f"torch: loss {tlosses[0]:.4f} -> {tlosses[-1]:.4f}, {ttps:.0f} tokens/s "
              f"({args.threads} threads); max |loss difference| {diff:.2e}")
    if args.save:
        save_weights(model, args.save)
        print(f"weights saved to {args.save}")
    if args.sample:
        print(sample(model, chars, "Shall I ", args.sample, dev))
    dev.close()


if __name__ == "__main__":
    main()
