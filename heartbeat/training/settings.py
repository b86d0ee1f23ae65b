"""The checked options of one training run, handed from :func:`fit` to the loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np


class TrainData(NamedTuple):
    """Checked training or validation arrays in the model's dtype."""

    x: np.ndarray  # (n, L) or (n, C, L), C-contiguous, finite
    y: np.ndarray  # (n,) int64 codes 0 .. n_classes - 1
    extra: np.ndarray | None  # (n, k) for a model with extra_inputs=k, else None


@dataclass(frozen=True)
class FitSettings:
    """Options of :func:`heartbeat.training.fit` after checking, in resolved form.

    ``upsample`` is the per-class target count (None: off), ``class_weights`` the
    loss weight of each class (None: equal), ``trainable_layers`` the number of last
    parameterised layers that train (None: all) and ``checkpoint`` the checkpoint
    file (None: none), ``augment`` the batch augmenter (None: off).
    """

    epochs: int = 10
    batch_size: int = 128
    sampler: str = "balanced"
    upsample: int | None = None
    class_weights: tuple[float, ...] | None = None
    early_stopping: int | None = None
    trainable_layers: int | None = None
    checkpoint: Path | None = None
    resume: bool = False
    seed: int = 0
    quiet: bool = False
    callback: Callable[[int, Any, Any], None] | None = None
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None
