"""examples/gpt/train.py's GPT against the same model in PyTorch, from the
same initial weights, on the same batches, with the same AdamW."""
import argparse
import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # python3-torch: scripts/install-deps.sh installs it
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "gpt"))
import train  # noqa: E402


@pytest.mark.parametrize("dtype,tol", [
    # f64 on both sides: the sums' orders differ (OpenBLAS tiles, compensated
    # reductions), ~1e-16 relative a step; 30 steps of AdamW amplify that
    # little (measured: ~1e-15)
    ("f64", 1e-10),
    # f32: rounding ~6e-8 a result, through 2 layers and 30 steps of AdamW
    # (measured: 5e-7 at most)
    ("f32", 2e-5),
])
def test_losses_match_pytorch_and_fall(dev, dtype, tol):
    torch.set_num_threads(1)
    args = argparse.Namespace(steps=30, batch=4, block=16, layers=2, heads=2, embd=32, lr=3e-3,
                              weight_decay=0.01, seed=3, threads=1)
    _, chars, data = train.load_corpus()
    _, init, losses, _ = train.train_vgpu(args, data, len(chars), dev, dtype)
    tlosses, _ = train.train_torch(args, data, init, dtype)
    diff = np.abs(np.array(losses) - np.array(tlosses))
    assert diff.max() < tol * max(losses), (losses, tlosses)
    assert np.mean(losses[-5:]) < 0.85 * losses[0], losses  # from 3.9 to about 3.0
