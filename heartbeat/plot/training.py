"""Pictures of training: loss, accuracy and macro-F1 per epoch."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from heartbeat._validate import as_array, is_real_dtype
from heartbeat.plot._figure import _finish, _new_figure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

TRAINING_HISTORY_KEYS: tuple[str, ...] = (
    "train_loss",
    "val_loss",
    "train_accuracy",
    "val_accuracy",
    "train_macro_f1",
    "val_macro_f1",
)
"""Per-epoch sequences :func:`plot_training_curves` reads (any subset of them)."""


def _history_series(history: object) -> dict[str, np.ndarray]:
    if isinstance(history, Mapping):
        raw = {k: history[k] for k in TRAINING_HISTORY_KEYS if k in history}
        unknown = sorted(str(k) for k in history if k not in TRAINING_HISTORY_KEYS)
        if unknown and not raw:
            raise ValueError(
                f"history has none of the keys {TRAINING_HISTORY_KEYS} (got {unknown})"
            )
    else:
        raw = {k: getattr(history, k) for k in TRAINING_HISTORY_KEYS
               if getattr(history, k, None) is not None}
    series: dict[str, np.ndarray] = {}
    for key, values in raw.items():
        if values is None:
            continue
        arr = as_array(values, f"history[{key!r}]", "a sequence of numbers")
        if not is_real_dtype(arr.dtype):
            raise TypeError(f"history[{key!r}] must hold numbers, got dtype {arr.dtype}")
        if arr.ndim != 1:
            raise ValueError(
                f"history[{key!r}] must be 1-D (one value per epoch), got shape {arr.shape}"
            )
        if arr.size:
            series[key] = arr.astype(np.float64)
    if not series:
        raise ValueError(
            f"history holds no per-epoch values: give at least one of {TRAINING_HISTORY_KEYS}"
        )
    lengths = {len(v) for v in series.values()}
    if len(lengths) != 1:
        detail = ", ".join(f"{k}: {len(v)}" for k, v in series.items())
        raise ValueError(f"history series must have one value per epoch each ({detail})")
    return series


def plot_training_curves(
    history: Mapping[str, Sequence[float]] | object,
    *,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    dpi: float = 150,
) -> Figure:
    """Draw loss, accuracy and macro-F1 per epoch for training and validation.

    Parameters
    ----------
    history : mapping or object
        Per-epoch values under the names of :data:`TRAINING_HISTORY_KEYS`
        (``train_loss``, ``val_loss``, ``train_accuracy``, ``val_accuracy``,
        ``train_macro_f1``, ``val_macro_f1``), as a dict of lists or as attributes of
        an object (e.g. a dataclass).  Any subset is accepted, at least one; every
        series present holds one number per epoch (epoch 1 first), all of the same
        length; NaN marks an epoch without that value.  Other keys are ignored.
    title, path, dpi
        As in :func:`plot_record` (`title` is the figure's title).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per quantity present (loss, accuracy, macro-F1).  When
        ``val_macro_f1`` is given, a dotted line marks its best epoch (the one early
        stopping on macro-F1 keeps).

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If a series is not numeric.
    ValueError
        If no known series is present or their lengths differ.

    Examples
    --------
    >>> history = {"train_loss": [1.2, 0.8, 0.6], "val_loss": [1.1, 0.9, 0.95],
    ...            "val_macro_f1": [0.41, 0.55, 0.52]}
    >>> fig = plot_training_curves(history)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['loss', 'macro-F1']
    """
    series = _history_series(history)
    n_epochs = len(next(iter(series.values())))
    epochs = np.arange(1, n_epochs + 1)
    panels = [(q, label) for q, label in
              (("loss", "loss"), ("accuracy", "accuracy"), ("macro_f1", "macro-F1"))
              if f"train_{q}" in series or f"val_{q}" in series]
    fig = _new_figure((3.8 * len(panels) + 0.4, 3.2))
    axes = fig.subplots(1, len(panels), sharex=True, squeeze=False)[0]
    best = None
    if "val_macro_f1" in series and np.isfinite(series["val_macro_f1"]).any():
        best = int(np.nanargmax(series["val_macro_f1"])) + 1
    marker = "o" if n_epochs <= 30 else None
    for ax, (q, label) in zip(axes, panels, strict=True):
        for split, color, style in (("train", "#0072B2", "-"), ("val", "#D55E00", "--")):
            key = f"{split}_{q}"
            if key in series:
                ax.plot(epochs, series[key], style, color=color, marker=marker, markersize=3,
                        label="training" if split == "train" else "validation")
        if best is not None:
            ax.axvline(best, color="0.5", linestyle=":", linewidth=1,
                       label=f"best val. macro-F1 (epoch {best})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(True, color="0.9", linewidth=0.6)
        if ax is axes[0]:
            ax.legend(fontsize=7)
        if n_epochs <= 12:
            ax.set_xticks(epochs)
    if title:
        fig.suptitle(title)
    return _finish(fig, path, dpi)
