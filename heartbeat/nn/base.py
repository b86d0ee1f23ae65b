"""The layer interface of the CNN engine: :class:`Layer`, and the weight initialiser.

Every layer is an object with

* ``forward(x)``: returns ``out`` and caches what ``backward`` needs (in training mode);
* ``backward(dout)``: returns ``dx`` and *adds* parameter gradients into ``grads``;
* ``params`` / ``grads``: dicts with the same keys (empty for parameter-free layers);
* ``buffers``: state that is saved but not trained (batch-norm running statistics);
* ``config()``: the plain dict that :func:`heartbeat.nn.layer_from_config` turns back
  into the layer.

The layers themselves live in :mod:`heartbeat.nn.layers` (dense, activations,
normalisation, containers), :mod:`heartbeat.nn.conv` (convolution, pooling,
resampling) and :mod:`heartbeat.nn.lstm`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np


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
