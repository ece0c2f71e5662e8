"""vgpu: tensors with autodiff on a vgpufs device (docs/python.md)."""
from . import nn, optim
from .attention import causal_self_attention
from .autograd import enable_grad, no_grad
from .device import Device, DeviceError, Stream
from .tensor import (Tensor, abs, add, amax, amin, argmax, argmin, avgpool2d, broadcast_shapes,
                     cast, clone, contiguous, conv2d, cross_entropy, default_device, div, embedding,
                     empty,
                     exp, full, gelu, layernorm, log, log_softmax, matmul, maximum, maxpool2d,
                     mean, minimum, mul, neg, ones, permute, pow, randn, recip, relu,
                     reshape, set_default_device, sigmoid, softmax, sqrt, sub, sum, tanh, tensor,
                     transpose, zeros)

__version__ = "0.1.0"
