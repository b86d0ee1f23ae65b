"""Pictures of classes: the mean beat of each class, and the confusion matrix."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from heartbeat._validate import as_array, as_choice, as_fs, check_finite, is_real_dtype
from heartbeat.aami import CLASSES
from heartbeat.plot._figure import (
    _as_class_labels,
    _as_class_names,
    _class_color,
    _figure_and_axes,
    _finish,
    _new_figure,
    _root_figure,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from heartbeat.metrics import ClassificationReport


def plot_class_gallery(
    x: object,
    y: object,
    *,
    fs: float = 125.0,
    class_names: Sequence[str] = CLASSES,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    dpi: float = 150,
) -> Figure:
    """Draw the mean beat of each class with a ±1 standard deviation band.

    Parameters
    ----------
    x : array_like, shape (n_beats, n_samples)
        Beats, e.g. the 187-sample Kachuee 2018 beats (``BeatSet.x``).
    y : array_like of int or str, shape (n_beats,)
        Class of each beat (codes into `class_names`, or the names themselves).
    fs : float, default 125
        Sampling frequency of the beats in Hz; the time axis is in ms from the first
        sample (the R peak, for Kachuee beats).
    class_names : sequence of str, default ("N", "S", "V", "F", "Q")
        One panel per class, in this order; a class without beats says so.
    title, path, dpi
        As in :func:`plot_record` (`title` is the figure's title).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per class, sharing both axes; each panel's title gives the number
        of beats.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If `x` or `y` has the wrong type.
    ValueError
        If `x` is not 2-D, holds NaN/inf or no beats, `y` does not match it, or a
        label is not a class.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((20, 187))
    >>> fig = plot_class_gallery(x, rng.integers(0, 5, 20))
    >>> len(fig.axes), fig.axes[0].get_xlabel()
    (5, 'time (ms)')
    """
    beats = as_array(x, "x", "an array of beats")
    if not is_real_dtype(beats.dtype):
        raise TypeError(f"x must hold real numbers, got dtype {beats.dtype}")
    if beats.ndim != 2 or beats.shape[0] == 0 or beats.shape[1] < 2:
        raise ValueError(f"x must be (n_beats, n_samples) with beats, got shape {beats.shape}")
    check_finite(beats, "x", "drop or repair those beats first")
    names = _as_class_names(class_names)
    codes = _as_class_labels(y, "y", names, allow_unlabelled=False)
    if codes.size != beats.shape[0]:
        raise ValueError(f"y has {codes.size} labels but x has {beats.shape[0]} beats")
    fs = as_fs(fs, "fs")
    t_ms = np.arange(beats.shape[1]) / fs * 1e3
    fig = _new_figure((2.6 * len(names) + 0.6, 3.2))
    axes = fig.subplots(1, len(names), sharex=True, sharey=True, squeeze=False)[0]
    for i, (ax, name) in enumerate(zip(axes, names, strict=True)):
        sel = beats[codes == i].astype(np.float64)
        color = _class_color(names, i)
        ax.set_title(f"{name}  (n = {sel.shape[0]:,})", color=color, loc="left")
        if sel.shape[0]:
            mean, std = sel.mean(axis=0), sel.std(axis=0)
            ax.fill_between(t_ms, mean - std, mean + std, color=color, alpha=0.25,
                            linewidth=0)
            ax.plot(t_ms, mean, color=color, linewidth=1.5)
        else:
            ax.text(0.5, 0.5, "no beats", transform=ax.transAxes, ha="center",
                    va="center", color="0.5")
        ax.set_xlabel("time (ms)")
        ax.grid(True, color="0.9", linewidth=0.6)
    axes[0].set_ylabel("amplitude (mean ± 1 SD)")
    if title:
        fig.suptitle(title)
    return _finish(fig, path, dpi)


def plot_confusion_matrix(
    cm: np.ndarray | ClassificationReport,
    class_names: Sequence[str] | None = None,
    *,
    normalize: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    path: str | os.PathLike | None = None,
    dpi: float = 150,
) -> Figure:
    r"""Draw a confusion matrix with the value written in each cell.

    Parameters
    ----------
    cm : array_like of int, shape (k, k), or ClassificationReport
        Counts with the true class on rows and the predicted class on columns
        (:func:`heartbeat.metrics.confusion_matrix`), or a report holding them.
    class_names : sequence of str, optional
        Names of the k classes; default the report's names, or AAMI ``N S V F Q`` for
        a 5 x 5 array, else ``0 .. k-1``.
    normalize : {None, "true", "pred", "all"}, default None
        None shows counts.  "true" divides each row by its total (the diagonal is
        then the sensitivity, Se), "pred" each column (the diagonal is +P), "all" the
        whole matrix; cells show percentages with the count below.  A row or column
        without items is left blank.
    title, ax, path, dpi
        As in :func:`plot_record`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If `cm` does not hold integer counts.
    ValueError
        If `cm` is not square, holds negative counts, does not match `class_names`,
        or `normalize` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_confusion_matrix(np.array([[50, 2], [5, 10]]), ["N", "V"],
    ...                             normalize="true")
    >>> [t.get_text() for t in fig.axes[0].texts][:2]
    ['96.2 %\n(50)', '3.8 %\n(2)']
    """
    from heartbeat.metrics import ClassificationReport

    if isinstance(cm, ClassificationReport):
        counts = cm.confusion
        names = cm.class_names if class_names is None else _as_class_names(class_names)
    else:
        counts = as_array(cm, "cm", "a (k, k) array of counts or a ClassificationReport")
        if not is_real_dtype(counts.dtype) or not np.issubdtype(counts.dtype, np.integer):
            raise TypeError(f"cm must hold integer counts, got dtype {counts.dtype}")
        if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
            raise ValueError(f"cm must be a square (k, k) matrix, got shape {counts.shape}")
        if (counts < 0).any():
            raise ValueError("cm holds negative counts")
        k = counts.shape[0]
        if class_names is None:
            names = CLASSES if k == len(CLASSES) else tuple(str(i) for i in range(k))
        else:
            names = _as_class_names(class_names)
    if len(names) != counts.shape[0]:
        raise ValueError(
            f"class_names has {len(names)} names for a {counts.shape[0]} x "
            f"{counts.shape[1]} matrix"
        )
    as_choice(normalize, "normalize", (None, "true", "pred", "all"))
    counts = counts.astype(np.int64)
    if normalize is None:
        values = counts.astype(np.float64)
    else:
        if normalize == "true":
            den = np.broadcast_to(counts.sum(axis=1, keepdims=True), counts.shape)
        elif normalize == "pred":
            den = np.broadcast_to(counts.sum(axis=0, keepdims=True), counts.shape)
        else:
            den = np.full(counts.shape, counts.sum())
        values = np.full(counts.shape, np.nan)
        np.divide(counts, den, out=values, where=den > 0)
    k = len(names)
    fig, ax = _figure_and_axes(ax, (1.0 * k + 2.2, 1.0 * k + 1.2))
    vmax = 1.0 if normalize else max(1.0, float(counts.max()))
    image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=vmax)
    for i in range(k):
        for j in range(k):
            v = values[i, j]
            if math.isnan(v):
                continue
            text = f"{counts[i, j]:,}" if normalize is None else (
                f"{100 * v:.1f} %\n({counts[i, j]:,})"
            )
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if v > 0.6 * vmax else "black")
    ax.set_xticks(range(k), labels=names)
    ax.set_yticks(range(k), labels=names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    label = {None: "items", "true": "fraction of the true class",
             "pred": "fraction of the predicted class", "all": "fraction of all items"}
    _root_figure(ax).colorbar(image, ax=ax, label=label[normalize], shrink=0.8)
    if title:
        ax.set_title(title, loc="left")
    return _finish(fig, path, dpi)
