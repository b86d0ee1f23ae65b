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
"""

# Overrides of forward/backward/config/init inherit the docstrings of Layer.
# ruff: noqa: D102

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from heartbeat.nn import kernels as K
from heartbeat.nn import winograd


class Layer:
    """Base class: no parameters, identity-free bookkeeping shared by all layers."""

    kind = "layer"

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.training = True
        self.backend = "numpy"

    # -- interface ------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """Return the layer output for `x` and cache what `backward` needs."""
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """Return the input gradient for `dout`; add parameter gradients to `grads`."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """Return the layer's architecture as a JSON-ready dict."""
        return {"type": self.kind}

    def init(self, rng: np.random.Generator, dtype: np.dtype) -> None:
        """Draw initial parameters from `rng` (no-op for parameter-free layers)."""

    # -- helpers --------------------------------------------------------------
    def children(self) -> list[Layer]:
        """Return directly contained layers (containers override this)."""
        return []

    def walk(self) -> Iterator[Layer]:
        """Yield this layer and all contained layers, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()

    def zero_grad(self) -> None:
        """Set all parameter gradients to zero."""
        for name, p in self.params.items():
            self.grads[name] = np.zeros_like(p)

    def _make_params(self, dtype: np.dtype, **shapes: tuple[int, ...]) -> None:
        for name, shape in shapes.items():
            self.params[name] = np.zeros(shape, dtype=dtype)
            self.grads[name] = np.zeros(shape, dtype=dtype)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "type")
        return f"{type(self).__name__}({args})"


def _glorot(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, fan_out: int,
            dtype: np.dtype) -> np.ndarray:
    # Glorot/Xavier uniform, the Keras default the Kachuee 2018 model was trained with
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


# ============================================================== convolution
class Conv1d(Layer):
    """1-D convolution (cross-correlation, like PyTorch and Keras).

    Weight ``w`` is (C_out, C_in, K), bias ``b`` is (C_out,).  ``padding="same"`` gives
    ``L_out = ceil(L / stride)`` (extra padding on the right, as Keras); ``"valid"``
    uses whole windows only.  ``activation="relu"`` fuses a ReLU into the layer.
    """

    kind = "conv1d"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: str = "same", dilation: int = 1,
                 activation: str | None = None) -> None:
        super().__init__()
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride = int(kernel_size), int(stride)
        self.padding, self.dilation = padding, int(dilation)
        self.activation = activation
        self.need_dx = True  # the model clears this for its first layer
        self.workspace: dict[str, np.ndarray] = {}  # arrays reused from call to call
        self._make_params(np.float32, w=(out_channels, in_channels, kernel_size),
                          b=(out_channels,))

    def config(self) -> dict[str, Any]:
        cfg = {"type": self.kind, "in_channels": self.in_channels,
               "out_channels": self.out_channels, "kernel_size": self.kernel_size,
               "stride": self.stride, "padding": self.padding, "dilation": self.dilation}
        if self.activation is not None:
            cfg["activation"] = self.activation
        return cfg

    def init(self, rng, dtype):
        fan_in = self.in_channels * self.kernel_size
        fan_out = self.out_channels * self.kernel_size
        self.params["w"] = _glorot(rng, self.params["w"].shape, fan_in, fan_out, dtype)
        self.params["b"] = np.zeros(self.out_channels, dtype=dtype)
        self.zero_grad()

    def forward(self, x, skip=None):
        """Return the output for `x`; `skip` (the output's shape) is added to it."""
        _n, c, length = x.shape  # (N, C_in, L)
        if c != self.in_channels:
            raise ValueError(f"Conv1d expects {self.in_channels} input channels, got x.shape="
                             f"{x.shape}")
        l_out, _ = K.conv_out_length(length, self.kernel_size, self.stride, self.dilation,
                                     self.padding)
        if l_out < 1:
            raise ValueError(f"Conv1d: input length {length} is shorter than the kernel span")
        want = (x.shape[0], self.out_channels, l_out)
        if skip is not None and skip.shape != want:
            raise ValueError(f"Residual: body maps to {want}, the skip connection is "
                             f"{skip.shape}; it needs equal shapes")
        x_nlc = np.ascontiguousarray(x.transpose(0, 2, 1))  # (N, L, C_in), free if NLC
        relu = self.activation == "relu"
        if winograd.applies(self.kernel_size, self.stride, self.dilation, c):
            out, cols = winograd.conv1d_forward(x_nlc, self.params["w"], self.params["b"],
                                                self.padding, relu, self.backend,
                                                self.workspace, keep=self.training)
        else:
            out, cols = K.conv1d_forward(x_nlc, self.params["w"], self.params["b"],
                                         self.stride, self.dilation, self.padding,
                                         self.backend, keep=self.training)
            if relu:
                np.maximum(out, 0, out=out)  # (N, L_out, C_out)
        if self.training:
            self.cache = (length, cols, out if relu else None)
        out = out.transpose(0, 2, 1)  # (N, C_out, L_out), channels-last memory
        if skip is None:
            return out
        if relu:  # the output is the ReLU gate of the backward pass: keep it
            return out + skip
        out += skip  # into this layer's own output array: no new one
        return out

    def backward(self, dout):
        length, cols, out = self.cache
        dout_nlc = dout.transpose(0, 2, 1)  # (N, L_out, C_out)
        if isinstance(cols, winograd.Cache):
            dx, dw, db = winograd.conv1d_backward(dout_nlc, out, cols, self.backend,
                                                  self.need_dx, self.workspace)
        else:
            dx, dw, db = self._im2col_backward(dout_nlc, length, cols, out)
        self.grads["w"] += dw
        self.grads["b"] += db
        if dx is None:
            return None
        return dx.transpose(0, 2, 1)  # (N, C_in, L)

    def _im2col_backward(self, dout_nlc, length, cols, out):
        if out is not None:
            dout_nlc = dout_nlc * (out > 0)  # ReLU gate, C-contiguous
        else:
            dout_nlc = np.ascontiguousarray(dout_nlc)
        return K.conv1d_backward(dout_nlc, cols, self.params["w"], length, self.stride,
                                 self.dilation, self.padding, self.backend,
                                 need_dx=self.need_dx)


# ============================================================== pooling, resampling
class _Pool1d(Layer):
    """Pooling over whole windows (``"valid"``): ``L_out = (L - K) // stride + 1``."""

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        super().__init__()
        self.kernel_size = int(kernel_size)
        self.stride = int(stride) if stride is not None else self.kernel_size

    def config(self):
        return {"type": self.kind, "kernel_size": self.kernel_size, "stride": self.stride}

    def _check_length(self, length: int) -> None:
        if length < self.kernel_size:
            raise ValueError(f"{type(self).__name__}: input length {length} < kernel_size "
                             f"{self.kernel_size}")


class MaxPool1d(_Pool1d):
    """Max-pool over whole windows (``"valid"``): ``L_out = (L - K) // stride + 1``.

    ``forward(x, relu=True)`` pools ``ReLU(x)`` in one pass (the maxima clamped at 0,
    the gradient gated by them): :class:`Sequential` uses it for a ReLU followed by a
    max-pool.
    """

    kind = "maxpool1d"

    def forward(self, x, relu=False):
        _n, _c, length = x.shape  # (N, C, L)
        self._check_length(length)
        x_nlc = np.ascontiguousarray(x.transpose(0, 2, 1))  # (N, L, C)
        out, argmax = K.maxpool1d_forward(x_nlc, self.kernel_size, self.stride, self.backend,
                                          need_argmax=self.training, relu=relu)
        if self.training:
            self.cache = (length, argmax, out if relu else None)
        return out.transpose(0, 2, 1)  # (N, C, L_out)

    def backward(self, dout):
        length, argmax, relu_out = self.cache
        dout_nlc = dout.transpose(0, 2, 1)  # (N, L_out, C)
        if relu_out is not None:  # ReLU gate: a window whose maximum was <= 0 gets none
            dout_nlc = dout_nlc * (relu_out > 0)
        dx = K.maxpool1d_backward(np.ascontiguousarray(dout_nlc), argmax, length,
                                  self.kernel_size, self.stride, self.backend)
        return dx.transpose(0, 2, 1)  # (N, C, L)


class AvgPool1d(_Pool1d):
    """Average-pool over whole windows: ``L_out = (L - K) // stride + 1``."""

    kind = "avgpool1d"

    def forward(self, x):
        length = x.shape[2]  # (N, C, L)
        self._check_length(length)
        l_out = (length - self.kernel_size) // self.stride + 1
        win = np.lib.stride_tricks.sliding_window_view(x, self.kernel_size, axis=2)
        out = win[:, :, : (l_out - 1) * self.stride + 1 : self.stride].mean(axis=-1)
        self.cache = length
        return out  # (N, C, L_out)

    def backward(self, dout):
        length = self.cache
        n, c, l_out = dout.shape
        dx = np.zeros((n, c, length), dtype=dout.dtype)  # (N, C, L)
        share = dout / self.kernel_size
        for k in range(self.kernel_size):
            dx[:, :, k : k + (l_out - 1) * self.stride + 1 : self.stride] += share
        return dx


class Upsample1d(Layer):
    """Nearest-neighbour upsampling: every sample repeated `scale` times."""

    kind = "upsample1d"

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = int(scale)

    def config(self):
        return {"type": self.kind, "scale": self.scale}

    def forward(self, x):
        return np.repeat(x, self.scale, axis=2)  # (N, C, L * scale)

    def backward(self, dout):
        n, c, length = dout.shape
        return dout.reshape(n, c, length // self.scale, self.scale).sum(axis=-1)  # (N, C, L)


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
        for layer, relu in self._steps():
            x = layer.forward(x, relu=True) if relu else layer.forward(x)
        return x

    def backward(self, dout):
        for layer, _ in reversed(self._steps()):
            dout = layer.backward(dout)
        return dout


class Residual(Sequential):
    """``body(x) + x``: the layers of the body plus an identity skip connection."""

    kind = "residual"

    def forward(self, x):
        steps = self._steps()
        if not steps:
            return x + x
        h = x
        for layer, relu in steps[:-1]:
            h = layer.forward(h, relu=True) if relu else layer.forward(h)
        last, relu = steps[-1]
        if isinstance(last, Conv1d):  # adds the skip into its own output array
            return last.forward(h, skip=x)
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
