"""Optimisers: SGD with momentum and Adam.

Both have step learning-rate decay, L2 weight decay, gradient clipping by global norm
and a savable state of plain arrays.
"""

from __future__ import annotations

import numpy as np


def clip_grad_norm(grads: list[np.ndarray], max_norm: float) -> float:
    """Scale `grads` in place so that their global L2 norm is at most `max_norm`.

    Returns the norm before clipping.

    Examples
    --------
    >>> g = [np.array([3.0]), np.array([4.0])]
    >>> clip_grad_norm(g, 1.0)
    5.0
    >>> [round(float(x[0]), 6) for x in g]
    [0.6, 0.8]
    """
    norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads)))
    if norm > max_norm > 0:
        scale = max_norm / (norm + 1e-12)
        for g in grads:
            g *= scale
    return norm


class Optimizer:
    """Shared logic: learning-rate schedule, weight decay, clipping, state.

    Parameters
    ----------
    params : list of ndarray
        The model's parameters (``model.params()``), updated in place.
    lr : float
        Base learning rate.
    weight_decay : float
        L2 penalty ``weight_decay / 2 * ||w||^2`` added to the loss of every
        parameter with two or more dimensions (weights, not biases or batch-norm).
    lr_decay, decay_every : float, int
        The learning rate is ``lr * lr_decay ** (t // decay_every)`` at step ``t``
        (counted from 0).
    clip_norm : float, optional
        Clip the global gradient norm to this value before each step.
    """

    def __init__(self, params: list[np.ndarray], lr: float, weight_decay: float = 0.0,
                 lr_decay: float = 1.0, decay_every: int = 10_000,
                 clip_norm: float | None = None) -> None:
        if not lr > 0:
            raise ValueError(f"{lr=} must be > 0")
        if weight_decay < 0:
            raise ValueError(f"{weight_decay=} must be >= 0")
        if not 0 < lr_decay <= 1:
            raise ValueError(f"{lr_decay=} must be in (0, 1]")
        if int(decay_every) < 1:
            raise ValueError(f"{decay_every=} must be >= 1")
        if clip_norm is not None and not clip_norm > 0:
            raise ValueError(f"{clip_norm=} must be > 0 or None")
        self.params = list(params)
        self.base_lr, self.weight_decay = float(lr), float(weight_decay)
        self.lr_decay, self.decay_every = float(lr_decay), int(decay_every)
        self.clip_norm = clip_norm
        self.t = 0

    @property
    def lr(self) -> float:
        """Learning rate of the next step."""
        return self.base_lr * self.lr_decay ** (self.t // self.decay_every)

    def _prepare(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        if len(grads) != len(self.params):
            raise ValueError(f"got {len(grads)} gradients for {len(self.params)} parameters")
        if self.clip_norm is not None:
            clip_grad_norm(grads, self.clip_norm)
        if self.weight_decay:
            grads = [g + self.weight_decay * p if p.ndim > 1 else g
                     for p, g in zip(self.params, grads, strict=True)]
        return grads

    def _slots(self) -> dict[str, list[np.ndarray]]:
        return {}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Return the optimiser state as plain arrays (``t`` and the moment buffers)."""
        state = {"t": np.array(self.t, dtype=np.int64)}
        for slot, arrays in self._slots().items():
            for i, a in enumerate(arrays):
                state[f"{slot}.{i}"] = a.copy()
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore a :meth:`state_dict`; raise ValueError when it does not fit."""
        slots = self._slots()
        expected = {"t"} | {f"{s}.{i}" for s, arrs in slots.items() for i in range(len(arrs))}
        if set(state) != expected:
            raise ValueError(f"optimiser state keys differ: missing "
                             f"{sorted(expected - set(state))}, extra "
                             f"{sorted(set(state) - expected)}")
        for slot, arrays in slots.items():
            for i, a in enumerate(arrays):
                src = np.asarray(state[f"{slot}.{i}"])
                if src.shape != a.shape:
                    raise ValueError(f"optimiser state {slot}.{i} has shape {src.shape}, "
                                     f"expected {a.shape}")
                a[...] = src
        self.t = int(state["t"])


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum.

    ``v = momentum * v + g``; ``p -= lr * v``.

    Examples
    --------
    >>> p = [np.array([1.0])]
    >>> opt = SGD(p, lr=0.1, momentum=0.0)
    >>> opt.step([np.array([2.0])])
    >>> p[0].tolist()
    [0.8]
    """

    def __init__(self, params, lr=0.01, momentum=0.9, **kwargs) -> None:
        super().__init__(params, lr, **kwargs)
        if not 0 <= momentum < 1:
            raise ValueError(f"{momentum=} must be in [0, 1)")
        self.momentum = float(momentum)
        self.velocity = [np.zeros_like(p) for p in self.params]

    def _slots(self):
        return {"velocity": self.velocity}

    def step(self, grads: list[np.ndarray]) -> None:
        """Update the parameters in place from `grads` (same order as the params)."""
        lr = self.lr
        for p, g, v in zip(self.params, self._prepare(grads), self.velocity, strict=True):
            v *= self.momentum
            v += g
            p -= np.asarray(lr, p.dtype) * v
        self.t += 1


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction.

    Kachuee et al. 2018 train with ``lr=1e-3, beta1=0.9, beta2=0.999`` and decay the
    learning rate by 0.75 every 10,000 iterations: ``Adam(params, lr_decay=0.75)``.

    Examples
    --------
    >>> p = [np.array([1.0])]
    >>> opt = Adam(p, lr=0.1)
    >>> opt.step([np.array([5.0])])
    >>> round(float(p[0][0]), 6)  # the first step moves by lr whatever the gradient
    0.9
    """

    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, **kwargs) -> None:
        super().__init__(params, lr, **kwargs)
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"{beta1=} and {beta2=} must be in [0, 1)")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]

    def _slots(self):
        return {"m": self.m, "v": self.v}

    def step(self, grads: list[np.ndarray]) -> None:
        """Update the parameters in place from `grads` (same order as the params)."""
        grads = self._prepare(grads)
        t = self.t + 1
        b1, b2 = self.beta1, self.beta2
        step = self.lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p -= np.asarray(step, p.dtype) * m / (np.sqrt(v) + np.asarray(self.eps, p.dtype))
        self.t = t
