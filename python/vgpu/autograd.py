"""Reverse-mode autodiff over device operations.

Each operation on tensors that require gradients records a node: its
inputs and a function giving their gradients from the output's, written
with device operations (so backward() runs on the device as well). The
graph is built as the program runs (define by run) and freed by backward().
"""
import contextlib
import threading

_state = threading.local()


def grad_enabled():
    return getattr(_state, "enabled", True)


@contextlib.contextmanager
def no_grad():
    """Operations in this block record nothing."""
    old = grad_enabled()
    _state.enabled = False
    try:
        yield
    finally:
        _state.enabled = old


@contextlib.contextmanager
def enable_grad():
    old = grad_enabled()
    _state.enabled = True
    try:
        yield
    finally:
        _state.enabled = old


class Node:
    __slots__ = ("inputs", "backward", "name")

    def __init__(self, inputs, backward, name):
        self.inputs = inputs
        self.backward = backward  # grad of output -> grads of inputs
        self.name = name


def record(out, inputs, backward, name):
    """Makes OUT a node of the graph when an input needs a gradient."""
    if grad_enabled() and any(t is not None and t.requires_grad for t in inputs):
        out.requires_grad = True
        out._node = Node(inputs, backward, name)
    return out


def backward(root, grad):
    """Accumulates d(root)/d(leaf) into each leaf's .grad."""
    order, seen = [], set()
    stack = [(root, False)]
    while stack:  # iterative topological sort: graphs can be deep
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        if t._node is not None:
            for i in t._node.inputs:
                if i is not None and i.requires_grad and id(i) not in seen:
                    stack.append((i, False))
    grads = {id(root): grad}
    with no_grad():
        for t in reversed(order):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            node = t._node
            if node is None:  # a leaf
                t.grad = g if t.grad is None else t.grad + g
                continue
            for i, gi in zip(node.inputs, node.backward(g)):
                if i is None or gi is None or not i.requires_grad:
                    continue
                prev = grads.get(id(i))
                grads[id(i)] = gi if prev is None else prev + gi
            t._node = None  # the graph is used once
