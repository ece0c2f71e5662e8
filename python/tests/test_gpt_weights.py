"""examples/gpt/train.py saves its trained weights to a plain file and a
fresh model loaded from it computes the same loss."""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "gpt"))
import train  # noqa: E402
import vgpu  # noqa: E402


def test_weights_saved_and_loaded(dev, tmp_path):
    args = argparse.Namespace(steps=3, batch=2, block=8, layers=1, heads=2, embd=16, lr=3e-3,
                              weight_decay=0.0, seed=1)
    _, chars, data = train.load_corpus()
    model, _, _, _ = train.train_vgpu(args, data, len(chars), dev)
    path = os.path.join(tmp_path, "weights.npz")
    train.save_weights(model, path)
    x, y = next(train.batches(data, 8, 2, 1, seed=5))
    with vgpu.no_grad():
        want = model(x, y)[1].item()
        fresh = vgpu.nn.GPT(len(chars), 8, 1, 2, 16, device=dev, seed=99)
        assert fresh(x, y)[1].item() != want  # other weights, another loss
        train.load_weights(fresh, path)
        assert fresh(x, y)[1].item() == want
        args.load, args.steps = path, 1  # and train.py --load starts from them
        again, init, _, _ = train.train_vgpu(args, data, len(chars), dev)
        assert all((init[k] == v).all() for k, v in model.state_dict().items())
