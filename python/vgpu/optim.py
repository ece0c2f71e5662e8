"""Optimizers: one fused device command per parameter tensor and step
(the adamw and sgd kernels)."""
from . import autograd
from .tensor import zeros


class Optimizer:
    def __init__(self, params):
        self.params = [p for p in params if p.requires_grad]

    def zero_grad(self):
        for p in self.params:
            p.grad = None


class SGD(Optimizer):
    """PyTorch's SGD: momentum without dampening, L2 weight decay."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.buf = [zeros(p.shape, p.dtype, p.device) for p in self.params]

    def step(self):
        with autograd.no_grad():
            for p, b in zip(self.params, self.buf):
                if p.grad is None:
                    continue
                g = p.grad.contiguous()
                p.device.stream.submit("sgd", param=p.buf(), grad=g.buf(), buf=b.buf(),
                                       n=p.numel(), lr=self.lr, momentum=self.momentum,
                                       weight_decay=self.weight_decay, dtype=p.dtype)


class AdamW(Optimizer):
    """PyTorch's AdamW (decoupled weight decay, bias-corrected moments)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.m = [zeros(p.shape, p.dtype, p.device) for p in self.params]
        self.v = [zeros(p.shape, p.dtype, p.device) for p in self.params]
        self.t = 0

    def step(self):
        self.t += 1
        with autograd.no_grad():
            for p, m, v in zip(self.params, self.m, self.v):
                if p.grad is None:
                    continue
                g = p.grad.contiguous()
                p.device.stream.submit("adamw", param=p.buf(), grad=g.buf(), m=m.buf(),
                                       v=v.buf(), n=p.numel(), lr=self.lr, beta1=self.betas[0],
                                       beta2=self.betas[1], eps=self.eps,
                                       weight_decay=self.weight_decay, step=self.t,
                                       dtype=p.dtype)
