"""Layers of the CNN engine, each with its forward and backward pass side by side.

Every layer is an object with

* ``forward(x)``: returns ``out`` and caches what ``backward`` needs (in training mode);
* ``backward(dout)``: returns ``dx`` and *adds* parameter gradients into ``grads``;
* ``params`` / ``grads``: dicts with the same keys (empty for parameter-free layers);
* ``buffers``: state that is saved but not trained (batch-norm running statistics);
* ``config()``: the plain dict that :func:`layer_from_config` turns back into the layer.

Sequences are ``(N, C, L)`` (batch, channels, samples); vectors are ``(N, D)``.  The
convolution and pooling layers may return arrays whose *memory* is channels-last (a
transposed view): NumPy treats them like any other ``(N, C, L)`` array, and the next
convolution reads them without a copy.  Nothing here assumes a layer maps sequences to
sequences, so recurrent layers fit the same interface.

The interface is :class:`heartbeat.nn.base.Layer`.  Convolution, pooling and
resampling live in :mod:`heartbeat.nn.conv` (re-exported here), the recurrent layers in
:mod:`heartbeat.nn.lstm`.

Side channels
-------------
For speed, a few layers take more than ``forward(x)`` / ``backward(dout)``.  Each one
changes no result, only the work done; this is the full list.

``Conv1d(..., activation="relu")``
    The ReLU runs inside the convolution (in the Winograd output transform), and the
    layer's output is the gate of its backward pass.  Set by the architectures
    (:func:`heartbeat.nn.architectures.conv_spec`).
``Conv1d.forward(x, skip=s)``
    Adds `s` (the output's shape) to the output, in place when the layer has no ReLU.
    Set by :class:`Residual` when its body ends in a convolution: the skip connection
    then costs no new array.
``Residual.forward(x, pool=p)`` and ``Conv1d.forward(x, skip=s, pool=p)``
    In evaluation, a block ending in a Winograd convolution without ReLU, followed by
    a ReLU and the max-pool `p`, runs as one step: the output transform pools its rows
    while they are in cache (``winograd.OUTPUT_POOL``), so the block's full-length
    output is never written.  Set by ``Sequential.forward`` (``Residual.fuses_pool``).
``MaxPool1d.forward(x, relu=True)``
    Pools ``ReLU(x)`` in one pass (``max(ReLU(x)) = ReLU(max(x))``) and gates the
    gradient by the maxima.  Set by ``Sequential._steps``, which runs a :class:`ReLU`
    followed by a :class:`MaxPool1d` as that one step (in :class:`Residual` too).
``Conv1d.need_dx``
    False skips the input gradient.  Set by :class:`heartbeat.nn.Model` on its first
    layer when ``backward(..., input_grad=False)`` (training never needs it).
``Conv1d.workspace``
    A dict of scratch arrays the Winograd path reuses from call to call of the same
    shape, output and input gradient included: a returned array is valid until the
    layer's next call, and a layer must not run two passes at once (which
    :mod:`heartbeat.nn.threads` ensures for a model).
"""

# Overrides of forward/backward/config/init inherit the docstrings of Layer.
# ruff: noqa: D102

from __future__ import annotations

from typing import Any

import numpy as np

from heartbeat.nn.base import Layer as Layer  # re-exported: heartbeat.nn.layers.Layer
from heartbeat.nn.base import _glorot
from heartbeat.nn.conv import AvgPool1d as AvgPool1d
from heartbeat.nn.conv import Conv1d as Conv1d
from heartbeat.nn.conv import MaxPool1d as MaxPool1d
from heartbeat.nn.conv import Upsample1d as Upsample1d


# ============================================================== shape
class Flatten(Layer):
    """(N, C, L) -> (N, C * L), channel-major like PyTorch."""

    kind = "flatten"

    def forward(self, x):
        self.cache = x.shape
        return x.reshape(x.shape[0], -1)  # (N, C * L)

    def backward(self, dout):
        return dout.reshape(self.cache)  # (N, C, L)


# ============================================================== dense
class Dense(Layer):
    """Fully connected layer ``out = x @ w + b``; ``w`` is (D_in, D_out)."""

    kind = "dense"

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self._make_params(np.float32, w=(in_features, out_features), b=(out_features,))

    def config(self):
        return {"type": self.kind, "in_features": self.in_features,
                "out_features": self.out_features}

    def init(self, rng, dtype):
        shape = (self.in_features, self.out_features)
        self.params["w"] = _glorot(rng, shape, *shape, dtype)
        self.params["b"] = np.zeros(self.out_features, dtype=dtype)
        self.zero_grad()

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"Dense expects (N, {self.in_features}) input, got x.shape="
                             f"{x.shape}")
        self.cache = x  # (N, D_in)
        return x @ self.params["w"] + self.params["b"]  # (N, D_out)

    def backward(self, dout):
        x = self.cache
        self.grads["w"] += x.T @ dout  # (D_in, D_out)
        self.grads["b"] += dout.sum(axis=0)
        return dout @ self.params["w"].T  # (N, D_in)


# ============================================================== activations
class ReLU(Layer):
    """``max(x, 0)``."""

    kind = "relu"

    def forward(self, x):
        out = np.maximum(x, 0)
        self.cache = out
        return out

    def backward(self, dout):
        return dout * (self.cache > 0)  # 10 times faster than np.where here


class LeakyReLU(Layer):
    """``x`` where positive, ``slope * x`` elsewhere."""

    kind = "leaky_relu"

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = float(slope)

    def config(self):
        return {"type": self.kind, "slope": self.slope}

    def forward(self, x):
        self.cache = x > 0
        return np.where(self.cache, x, x * self.slope)

    def backward(self, dout):
        return np.where(self.cache, dout, dout * self.slope)


class Dropout(Layer):
    """Inverted dropout: in training, zero each value with probability `p`, scale by 1/(1-p).

    The mask comes from the layer's ``rng`` (a ``np.random.Generator`` set by the model
    builder from its seed); in evaluation mode the layer is the identity.
    """

    kind = "dropout"

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= float(p) < 1.0:
            raise ValueError(f"Dropout: p={p!r} must be in [0, 1)")
        self.p = float(p)
        self.rng = rng if rng is not None else np.random.default_rng(0)

    def config(self):
        return {"type": self.kind, "p": self.p}

    def forward(self, x):
        if not self.training or self.p == 0.0:
            self.cache = None
            return x
        keep = self.rng.random(x.shape) >= self.p
        self.cache = keep.astype(x.dtype) / np.asarray(1.0 - self.p, dtype=x.dtype)
        return x * self.cache

    def backward(self, dout):
        return dout if self.cache is None else dout * self.cache


class BatchNorm1d(Layer):
    """Batch normalisation per channel of (N, C, L) or per feature of (N, D).

    Training mode normalises with the batch statistics and updates running averages
    (``running = (1 - momentum) * running + momentum * batch``, unbiased variance, as
    PyTorch); evaluation mode uses the running averages.
    """

    kind = "batchnorm1d"

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.num_features = int(num_features)
        self.momentum, self.eps = float(momentum), float(eps)
        self._make_params(np.float32, gamma=(num_features,), beta=(num_features,))
        self.buffers = {"running_mean": np.zeros(num_features, np.float32),
                        "running_var": np.ones(num_features, np.float32)}

    def config(self):
        return {"type": self.kind, "num_features": self.num_features,
                "momentum": self.momentum, "eps": self.eps}

    def init(self, rng, dtype):
        self.params["gamma"] = np.ones(self.num_features, dtype=dtype)
        self.params["beta"] = np.zeros(self.num_features, dtype=dtype)
        self.buffers = {"running_mean": np.zeros(self.num_features, dtype),
                        "running_var": np.ones(self.num_features, dtype)}
        self.zero_grad()

    def _shape(self, x):
        # reduce over every axis but the channel axis 1; broadcast (C,) as (1, C[, 1])
        axes = (0,) if x.ndim == 2 else (0, 2)
        bshape = (1, -1) if x.ndim == 2 else (1, -1, 1)
        return axes, bshape

    def forward(self, x):
        axes, bshape = self._shape(x)
        gamma = self.params["gamma"].reshape(bshape)
        beta = self.params["beta"].reshape(bshape)
        if not self.training:
            mean = self.buffers["running_mean"].reshape(bshape)
            inv_std = 1.0 / np.sqrt(self.buffers["running_var"].reshape(bshape) + self.eps)
            xhat = (x - mean) * inv_std  # (N, C, L)
            self.cache = (xhat, inv_std, axes, bshape, False)
            return xhat * gamma + beta
        m = x.size // x.shape[1]
        mean = x.mean(axis=axes, keepdims=True)  # (1, C, 1)
        xc = x - mean
        var = (xc * xc).mean(axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat = xc * inv_std  # (N, C, L)
        mom = self.momentum
        unbiased = var.ravel() * (m / max(m - 1, 1))
        self.buffers["running_mean"] = ((1 - mom) * self.buffers["running_mean"]
                                        + mom * mean.ravel()).astype(x.dtype)
        self.buffers["running_var"] = ((1 - mom) * self.buffers["running_var"]
                                       + mom * unbiased).astype(x.dtype)
        self.cache = (xhat, inv_std, axes, bshape, True)
        return xhat * gamma + beta

    def backward(self, dout):
        xhat, inv_std, axes, bshape, batch_stats = self.cache
        self.grads["gamma"] += (dout * xhat).sum(axis=axes)
        self.grads["beta"] += dout.sum(axis=axes)
        dxhat = dout * self.params["gamma"].reshape(bshape)
        if not batch_stats:  # evaluation mode: a fixed affine map per channel
            return dxhat * inv_std
        # dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
        return inv_std * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                          - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))


# ============================================================== containers
class Sequential(Layer):
    """Layers applied one after another."""

    kind = "sequential"

    def __init__(self, layers: list[Layer]) -> None:
        super().__init__()
        self.layers = list(layers)

    def children(self):
        return self.layers

    def config(self):
        return {"type": self.kind, "layers": [layer.config() for layer in self.layers]}

    def _steps(self) -> list[tuple[Layer, bool]]:
        # (layer, relu first?): a ReLU right before a max-pool runs inside the pool,
        # max(ReLU(x)) = ReLU(max(x)), saving a pass over the larger input both ways
        steps, skip = [], False
        for i, layer in enumerate(self.layers):
            after = self.layers[i + 1] if i + 1 < len(self.layers) else None
            if skip:
                skip = False
            elif type(layer) is ReLU and type(after) is MaxPool1d:
                steps.append((after, True))
                skip = True
            else:
                steps.append((layer, False))
        return steps

    def forward(self, x):
        steps = self._steps()
        i = 0
        while i < len(steps):
            layer, relu = steps[i]
            pool, pool_relu = steps[i + 1] if i + 1 < len(steps) else (None, False)
            if pool_relu and type(layer) is Residual and layer.fuses_pool(pool):
                x = layer.forward(x, pool=pool)  # the block, its ReLU and max-pool at once
                i += 2
                continue
            x = layer.forward(x, relu=True) if relu else layer.forward(x)
            i += 1
        return x

    def backward(self, dout):
        for layer, _ in reversed(self._steps()):
            dout = layer.backward(dout)
        return dout


class Residual(Sequential):
    """``body(x) + x``: the layers of the body plus an identity skip connection."""

    kind = "residual"

    def fuses_pool(self, pool: Layer) -> bool:
        """Return True if :meth:`forward` can take `pool`, the max-pool after the block."""
        steps = self._steps()
        return (bool(steps) and not pool.training and isinstance(steps[-1][0], Conv1d)
                and not steps[-1][1] and steps[-1][0].fuses_pool())

    def forward(self, x, pool=None):
        """Return ``body(x) + x``; with `pool` (see :meth:`fuses_pool`), its max-pooled ReLU."""
        steps = self._steps()
        if not steps:
            return x + x
        h = x
        for layer, relu in steps[:-1]:
            h = layer.forward(h, relu=True) if relu else layer.forward(h)
        last, relu = steps[-1]
        if isinstance(last, Conv1d):  # adds the skip into its own output array
            return last.forward(h, skip=x, pool=pool)
        out = last.forward(h, relu=True) if relu else last.forward(h)
        if out.shape != x.shape:
            raise ValueError(f"Residual: body maps {x.shape} to {out.shape}; the skip "
                             "connection needs equal shapes")
        return out + x

    def backward(self, dout):
        return super().backward(dout) + dout


LAYERS: dict[str, type[Layer]] = {
    cls.kind: cls
    for cls in (Conv1d, MaxPool1d, AvgPool1d, Upsample1d, Flatten, Dense, ReLU, LeakyReLU,
                Dropout, BatchNorm1d, Sequential, Residual)
}


def layer_from_config(cfg: dict[str, Any]) -> Layer:
    """Build an (uninitialised) layer from its :meth:`Layer.config` dict.

    Raises
    ------
    ValueError
        If the type is unknown or the options do not fit the layer.
    """
    if not isinstance(cfg, dict) or "type" not in cfg:
        raise ValueError(f"layer config must be a dict with a 'type' key, got {cfg!r}")
    kind = cfg["type"]
    if kind not in LAYERS:
        raise ValueError(f"unknown layer type {kind!r}; known: {', '.join(sorted(LAYERS))}")
    args = {k: v for k, v in cfg.items() if k != "type"}
    if kind in ("sequential", "residual"):
        return LAYERS[kind]([layer_from_config(c) for c in args.get("layers", [])])
    try:
        return LAYERS[kind](**args)
    except TypeError as exc:
        raise ValueError(f"bad options for layer {kind!r}: {args!r} ({exc})") from None
