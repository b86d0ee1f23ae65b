"""What every picture shares: matplotlib on first use, figures, colours, checks, PNG.

matplotlib is imported inside the functions (:func:`_new_figure`, :func:`_check_ax`,
:func:`save_png`), never when :mod:`heartbeat.plot` is imported.  The input checks
here are those specific to drawing (traces may hold NaN gaps, sample indices keep
their order because labels pair with them, -1 marks a peak without class); the
generic ones come from :mod:`heartbeat._validate`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from heartbeat._atomic import atomic_open
from heartbeat._validate import as_array, as_real, is_real_dtype

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CLASS_COLORS: dict[str, str] = {
    "N": "#0072B2",  # blue
    "S": "#E69F00",  # orange
    "V": "#D55E00",  # vermillion
    "F": "#CC79A7",  # reddish purple
    "Q": "#009E73",  # bluish green
}
"""Fixed colour of each AAMI class in every picture."""

_UNLABELLED = "black"
_TRACE = "0.2"
_OTHER_COLORS = ("#56B4E9", "#F0E442", "#000000", "#999999")

_INSTALL_HINT = "heartbeat.plot needs matplotlib: pip install 'heartbeat-ecg[plot]'"


# --------------------------------------------------------------------------------------
# matplotlib access and saving
# --------------------------------------------------------------------------------------


def _new_figure(figsize: tuple[float, float]) -> Figure:
    """Return a Figure on its own Agg canvas (no pyplot, no global backend change)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _check_ax(ax: object) -> Axes:
    try:
        from matplotlib.axes import Axes
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def _figure_and_axes(ax: object, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is None:
        fig = _new_figure(figsize)
        return fig, fig.add_subplot()
    ax = _check_ax(ax)
    return _root_figure(ax), ax


def _root_figure(ax: Axes) -> Figure:
    fig = ax.get_figure()
    return getattr(fig, "figure", fig)  # a SubFigure's .figure is the root Figure


def _check_png_path(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name ending in .png, got {path!r}")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"path={str(path)!r} must end in .png (the figure is saved as PNG)")
    if not path.parent.is_dir():
        raise ValueError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist")
    return path


def _check_dpi(dpi: object) -> float:
    return as_real(dpi, "dpi", low=10, high=1200, unit="dots per inch")


def save_png(fig: Figure, path: str | os.PathLike, *, dpi: float = 150) -> Path:
    r"""Write a figure to a PNG file atomically and return the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to save (any Figure, not only this module's).
    path : str or path-like
        Output file; must end in ``.png`` and its folder must exist.  An existing file
        is replaced only once the new one is complete.
    dpi : float, default 150
        Resolution in dots per inch (10 to 1200).

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    TypeError
        If `fig` is not a Figure or `dpi` is not a number.
    ValueError
        If `path` does not end in ``.png``, its folder is missing, or `dpi` is out of
        range.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from heartbeat.plot import plot_record
    >>> fig = plot_record(np.sin(np.arange(3600) / 20), 360.0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = save_png(fig, pathlib.Path(d) / "sine.png")
    ...     out.read_bytes()[:4]
    b'\x89PNG'
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    return _write_png(fig, _check_png_path(path), _check_dpi(dpi))


def _write_png(fig: Figure, path: Path, dpi: float) -> Path:
    """Save `fig` as PNG at `path` atomically (arguments already checked)."""
    with atomic_open(path) as fh:
        fig.savefig(fh, format="png", dpi=dpi)
    return path


def _finish(fig: Figure, path: object, dpi: object) -> Figure:
    """Save a figure just drawn by a plot function when `path` is given; return it."""
    if path is not None:
        _write_png(fig, _check_png_path(path), _check_dpi(dpi))
    return fig


# --------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------


def _as_trace(x: object, name: str) -> np.ndarray:
    """1-D real float64 samples; NaN allowed (drawn as gaps), unlike `as_signal`."""
    arr = as_array(x, name, "a 1-D numeric array")
    if not is_real_dtype(arr.dtype):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, got shape {arr.shape}; pass one channel, e.g. {name}[:, 0]"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty: there is nothing to draw")
    return arr.astype(np.float64, copy=False)


def _as_sample_indices(x: object, name: str, n: int) -> np.ndarray:
    """Integer sample indices in [0, n), order kept (labels pair with them).

    Unlike `as_indices`, which sorts, drops duplicates and accepts integral floats.
    """
    arr = as_array(x, name, "a 1-D array of sample indices")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D sample indices, got shape {arr.shape}")
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if not is_real_dtype(arr.dtype) or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer sample indices, got dtype {arr.dtype}")
    bad = (arr < 0) | (arr >= n)
    if bad.any():
        raise ValueError(
            f"{name} holds sample index {int(arr[bad][0])} outside the signal (0..{n - 1})"
        )
    return arr.astype(np.int64, copy=False)


def _as_class_names(class_names: object) -> tuple[str, ...]:
    if isinstance(class_names, (str, bytes)) or not isinstance(class_names, Iterable):
        raise TypeError(f"class_names must be a sequence of str, got {class_names!r}")
    names = tuple(class_names)
    if not names or not all(isinstance(c, str) for c in names) or len(set(names)) != len(names):
        raise ValueError(f"class_names must be unique non-empty str, got {names!r}")
    return names


def _as_class_labels(
    labels: object, name: str, class_names: tuple[str, ...], *, allow_unlabelled: bool
) -> np.ndarray:
    """Class codes (int64) from codes or names; -1 = no class when allowed.

    Unlike `as_labels`, which has no code for "no class".
    """
    arr = as_array(labels, name, "an array of class codes or names")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind in "US":
        arr = arr.astype(str)
        unknown = ~np.isin(arr, class_names)
        if unknown.any():
            bad = str(arr[unknown][0])
            raise ValueError(f"{name} holds {bad!r}, not one of {class_names}")
        lookup = {c: i for i, c in enumerate(class_names)}
        return np.array([lookup[s] for s in arr], dtype=np.int64)
    if arr.size and (not is_real_dtype(arr.dtype) or not np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name} must hold integer class codes or class names, got {arr.dtype}")
    arr = arr.astype(np.int64)
    low = -1 if allow_unlabelled else 0
    bad = (arr < low) | (arr >= len(class_names))
    if bad.any():
        raise ValueError(
            f"{name} holds class code {int(arr[bad][0])}, outside {low}..{len(class_names) - 1}"
            + (" (-1 = no class)" if allow_unlabelled else "")
        )
    return arr


def _class_color(names: tuple[str, ...], code: int) -> str:
    if code < 0:
        return _UNLABELLED
    name = names[code]
    if name in CLASS_COLORS:
        return CLASS_COLORS[name]
    return _OTHER_COLORS[code % len(_OTHER_COLORS)]


def _as_annotations(annotations: object) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(annotations, "sample") and hasattr(annotations, "symbol"):
        sample, symbol = annotations.sample, annotations.symbol  # type: ignore[attr-defined]
    elif isinstance(annotations, (tuple, list)) and len(annotations) == 2:
        sample, symbol = annotations
    else:
        raise TypeError(
            "annotations must have .sample and .symbol (heartbeat.read_annotations) or be a "
            f"(samples, symbols) pair, got {type(annotations).__name__}"
        )
    sample = _as_sample_indices(sample, "annotations.sample", np.iinfo(np.int64).max)
    symbol = np.asarray(symbol, dtype=str)
    if symbol.shape != sample.shape:
        raise ValueError(
            f"annotations hold {sample.size} samples but {symbol.size} symbols; they must pair up"
        )
    return sample, symbol
