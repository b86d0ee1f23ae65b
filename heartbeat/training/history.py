"""What a training run records: :class:`History` (returned) and the run state (checkpointed)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["History"]


@dataclass(frozen=True)
class History:
    """Per-epoch figures of a :func:`fit` run (epoch 1 first).

    The field names are those :func:`heartbeat.plot.plot_training_curves` reads, so
    ``plot_training_curves(history)`` draws the curves.

    Attributes
    ----------
    train_loss, train_accuracy, train_macro_f1 : tuple of float
        Mean loss, accuracy and macro-F1 of the training batches of each epoch, as
        seen while training (training mode, weights changing during the epoch, on
        the batches the sampler drew: class-balanced by default).
    val_loss, val_accuracy, val_macro_f1 : tuple of float
        The same on the validation set after each epoch (evaluation mode, unweighted
        loss); empty tuples without a validation set.
    beats_per_s : tuple of float
        Training beats per second of each epoch (forward, backward and update).
    epoch_time_s : tuple of float
        Wall time of each epoch including validation and checkpoint, in seconds.
    best_epoch : int or None
        Epoch (1-based) with the highest validation macro-F1 (the first on ties);
        None without a validation set.
    stopped_early : bool
        True when early stopping ended the run before `epochs`.
    restored_best : bool
        True when the model holds the weights of `best_epoch` rather than those of
        the last epoch (early stopping restores them).
    """

    train_loss: tuple[float, ...] = ()
    train_accuracy: tuple[float, ...] = ()
    train_macro_f1: tuple[float, ...] = ()
    val_loss: tuple[float, ...] = ()
    val_accuracy: tuple[float, ...] = ()
    val_macro_f1: tuple[float, ...] = ()
    beats_per_s: tuple[float, ...] = ()
    epoch_time_s: tuple[float, ...] = ()
    best_epoch: int | None = None
    stopped_early: bool = False
    restored_best: bool = False

    @property
    def n_epochs(self) -> int:
        """Number of epochs trained."""
        return len(self.train_loss)

    @property
    def total_time_s(self) -> float:
        """Summed wall time of the epochs, in seconds."""
        return float(sum(self.epoch_time_s))

    def to_dict(self) -> dict[str, Any]:
        """Return the history as a JSON-ready dict of lists and scalars."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


_SERIES = ("train_loss", "train_accuracy", "train_macro_f1", "val_loss", "val_accuracy",
           "val_macro_f1", "beats_per_s", "epoch_time_s")


@dataclass
class _State:
    """Everything a resumed run needs besides the model and optimiser arrays."""

    epoch: int = 0
    series: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in _SERIES})
    best_f1: float = -math.inf
    best_epoch: int | None = None
    best_arrays: dict[str, np.ndarray] | None = None
    wait: int = 0
    done: bool = False
    stopped_early: bool = False
    restored_best: bool = False

    def history(self) -> History:
        """Return the run so far as a :class:`History` (plain floats, tuples)."""
        s = self.series
        return History(**{k: tuple(float(v) for v in s[k]) for k in _SERIES},
                       best_epoch=self.best_epoch, stopped_early=self.stopped_early,
                       restored_best=self.restored_best)
