"""Causal self-attention over a packed q|k|v tensor: the heads are strided
views of it, handed to gemm_batched as they are (leading dimension 3C), so
no head is ever copied out. Each product is one gemm_batched a head, over
the batch (gemm_batched's C matrices of one command may not interleave, as
heads side by side in a row would). The softmax's gradient is one
softmax_backward command."""
import math

from . import autograd
from .tensor import contiguous, empty


def _at(t, elements):
    h, off = t.buf()
    return (h, off + elements * t.itemsize)


def _gemm_batch(dev, dtype, batch, a, b, c, m, n, k, sa, sb, sc, lda, ldb, ldc,
                transa=0, transb=0, alpha=1.0):
    dev.stream.submit("gemm_batched", a=a, b=b, c=c, m=m, n=n, k=k, batch=batch,
                      stride_a=sa, stride_b=sb, stride_c=sc, lda=lda, ldb=ldb, ldc=ldc,
                      transa=transa, transb=transb, alpha=alpha, dtype=dtype)


def causal_self_attention(qkv, n_head):
    """softmax(q k^T / sqrt(hd) + causal mask) v for each head.

    QKV is (B, T, 3C): q, k and v side by side, each C = n_head * hd wide,
    heads consecutive within them (as GPT-2's c_attn makes them). Returns
    (B, T, C), the heads side by side again."""
    qkv = contiguous(qkv)
    bsz, t, c3 = qkv.shape
    c = c3 // 3
    if c3 != 3 * c or c % n_head:
        raise ValueError(f"causal_self_attention: width {c3} is not 3 * a multiple of {n_head}")
    hd = c // n_head
    dev, dt = qkv.device, qkv.dtype
    scale = 1.0 / math.sqrt(hd)
    tt, sq, sp = t * t, t * c3, n_head * t * t  # batch strides: scores, qkv, probabilities
    with autograd.no_grad():
        p = empty((bsz, n_head, t, t), dt, dev)
        for h in range(n_head):  # scores = q k^T * scale
            _gemm_batch(dev, dt, bsz, _at(qkv, h * hd), _at(qkv, c + h * hd), _at(p, h * tt),
                        t, t, hd, sq, sq, sp, c3, c3, t, transb=1, alpha=scale)
        # the softmax of each row over its causal part (the rest 0)
        dev.stream.submit("softmax", x=p.buf(), out=p.buf(), rows=bsz * n_head * t, cols=t,
                          causal=1, dtype=dt)
        y = empty((bsz, t, c), dt, dev)
        for h in range(n_head):  # y = p v, written into the head's columns of (B, T, C)
            _gemm_batch(dev, dt, bsz, _at(p, h * tt), _at(qkv, 2 * c + h * hd), _at(y, h * hd),
                        t, hd, t, sp, sq, t * c, t, c3, c)

    def back(gy):
        gy = contiguous(gy)
        gqkv = empty(qkv.shape, dt, dev)
        gp = empty(p.shape, dt, dev)
        for h in range(n_head):
            o = h * hd
            # dv = p^T dy ; dp = dy v^T
            _gemm_batch(dev, dt, bsz, _at(p, h * tt), _at(gy, o), _at(gqkv, 2 * c + o),
                        t, hd, t, sp, t * c, sq, t, c, c3, transa=1)
            _gemm_batch(dev, dt, bsz, _at(gy, o), _at(qkv, 2 * c + o), _at(gp, h * tt),
                        t, t, hd, t * c, sq, sp, c, c3, t, transb=1)
        # the softmax's backward; masked entries have p = 0, and so get 0
        gs = empty(p.shape, dt, dev)
        dev.stream.submit("softmax_backward", y=p.buf(), grad=gp.buf(), out=gs.buf(),
                          rows=bsz * n_head * t, cols=t, dtype=dt)
        for h in range(n_head):
            o = h * hd
            # dq = ds k * scale ; dk = ds^T q * scale
            _gemm_batch(dev, dt, bsz, _at(gs, h * tt), _at(qkv, c + o), _at(gqkv, o),
                        t, hd, t, sp, sq, sq, t, c3, c3, alpha=scale)
            _gemm_batch(dev, dt, bsz, _at(gs, h * tt), _at(qkv, o), _at(gqkv, c + o),
                        t, hd, t, sp, sq, sq, t, c3, c3, transa=1, alpha=scale)
        return (gqkv,)
    return autograd.record(y, (qkv,), back, "causal_self_attention")

