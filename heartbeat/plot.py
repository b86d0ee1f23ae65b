"""Pictures of ECG records, beats, spectrograms and classifier results.

Needs matplotlib (the ``plot`` extra: ``pip install heartbeat[plot]``); it is imported
inside the functions, never by ``import heartbeat``.  Every function takes arrays or
result objects and returns a :class:`matplotlib.figure.Figure` drawn on the Agg
(PNG) canvas.  The figures are not registered with :mod:`matplotlib.pyplot`, so they
neither pop up windows nor pile up in pyplot's list of open figures; call
``fig.savefig(...)`` or pass ``path=`` to write a PNG (atomically: a temporary file in
the same folder, then a rename).

Public functions
----------------
plot_record              a stretch of ECG (10 s by default) with R peaks coloured by
                         AAMI class and the reference annotation symbols above it
plot_beat_context        a short view (1 s by default) centred on one beat
plot_spectrogram         one spectrogram image in dB
plot_window_comparison   ±2 s windows side by side with their spectrograms
plot_class_gallery       mean ± standard deviation beat of each class
plot_confusion_matrix    counts or normalised rates, one cell per (true, predicted)
plot_training_curves     loss, accuracy and macro-F1 per epoch (see TRAINING_HISTORY_KEYS)
reference_classes        the AAMI class of the reference beat each R peak matches
save_example_figures     the pictures above made from the shipped MIT-BIH excerpts
save_png                 write any Figure to a PNG file atomically

Colours: one fixed colour per AAMI class (:data:`CLASS_COLORS`, Okabe-Ito palette,
readable with the common colour-vision deficiencies); beats with no class are black.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from heartbeat._atomic import atomic_open
from heartbeat._validate import as_fs, as_seconds
from heartbeat.aami import CLASSES

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from heartbeat.metrics import ClassificationReport

__all__ = [
    "CLASS_COLORS",
    "TRAINING_HISTORY_KEYS",
    "plot_beat_context",
    "plot_class_gallery",
    "plot_confusion_matrix",
    "plot_record",
    "plot_spectrogram",
    "plot_training_curves",
    "plot_window_comparison",
    "reference_classes",
    "save_example_figures",
    "save_png",
]

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

TRAINING_HISTORY_KEYS: tuple[str, ...] = (
    "train_loss",
    "val_loss",
    "train_accuracy",
    "val_accuracy",
    "train_macro_f1",
    "val_macro_f1",
)
"""Per-epoch sequences :func:`plot_training_curves` reads (any subset of them)."""

_INSTALL_HINT = "heartbeat.plot needs matplotlib: pip install heartbeat[plot]"


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
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real):
        raise TypeError(f"dpi must be a number of dots per inch, got {dpi!r}")
    if not math.isfinite(dpi) or not 10 <= dpi <= 1200:
        raise ValueError(f"{dpi=} must be between 10 and 1200 dots per inch")
    return float(dpi)


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
    path = _check_png_path(path)
    dpi = _check_dpi(dpi)
    with atomic_open(path) as fh:
        fig.savefig(fh, format="png", dpi=dpi)
    return path


def _finish(fig: Figure, path: object, dpi: object) -> Figure:
    if path is not None:
        save_png(fig, path, dpi=dpi)  # type: ignore[arg-type]
    return fig


# --------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------


def _as_trace(x: object, name: str) -> np.ndarray:
    """1-D real float64 samples; NaN allowed (drawn as gaps)."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a 1-D numeric array, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, got shape {arr.shape}; pass one channel, e.g. {name}[:, 0]"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty: there is nothing to draw")
    return arr.astype(np.float64, copy=False)


def _as_seconds(value: object, name: str, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        op = ">" if positive else ">="
        raise ValueError(f"{name}={value!r} must be a finite number of seconds {op} 0")
    return value


def _as_sample_indices(x: object, name: str, n: int) -> np.ndarray:
    """Integer sample indices in [0, n), order kept."""
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D array of sample indices, got {x!r}")
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D sample indices, got shape {arr.shape}")
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
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
    """Class codes (int64) from codes or names; -1 = no class when allowed."""
    if isinstance(labels, (str, bytes)):
        raise TypeError(f"{name} must be an array of class codes or names, got {labels!r}")
    arr = np.asarray(labels)
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
    if arr.size and (arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer)):
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


# --------------------------------------------------------------------------------------
# ECG records
# --------------------------------------------------------------------------------------


def _draw_record(
    ax: Axes,
    x: np.ndarray,
    fs: float,
    i0: int,
    i1: int,
    *,
    r_peaks: np.ndarray | None,
    labels: np.ndarray | None,
    annotations: tuple[np.ndarray, np.ndarray] | None,
    class_names: tuple[str, ...],
    unit: str,
    time_origin: int = 0,
) -> None:
    from matplotlib.lines import Line2D

    from heartbeat.aami import SYMBOL_TO_CLASS

    t = (np.arange(i0, i1) - time_origin) / fs
    seg = x[i0:i1]
    ax.plot(t, seg, color=_TRACE, linewidth=0.8)
    finite = seg[np.isfinite(seg)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    # headroom above the trace for the annotation symbols
    ax.set_ylim(lo - 0.08 * span, hi + (0.3 if annotations is not None else 0.12) * span)
    ax.set_xlim(t[0], t[-1] if t.size > 1 else t[0] + 1 / fs)
    handles: list[Any] = []
    if r_peaks is not None:
        inside = (r_peaks >= i0) & (r_peaks < i1)
        peaks = r_peaks[inside]
        codes = labels[inside] if labels is not None else np.full(peaks.size, -1)
        for code in sorted(set(codes.tolist())):
            sel = peaks[codes == code]
            ax.plot(
                (sel - time_origin) / fs, x[sel], linestyle="none", marker="o",
                markersize=6, markerfacecolor="none", markeredgewidth=1.6,
                color=_class_color(class_names, code), zorder=3,
            )
        if labels is None:
            handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="none",
                                  color=_UNLABELLED, label="R peak"))
        elif (codes < 0).any():
            handles.append(Line2D([], [], linestyle="none", marker="o",
                                  markerfacecolor="none", color=_UNLABELLED, label="no class"))
    if annotations is not None:
        sample, symbol = annotations
        inside = (sample >= i0) & (sample < i1)
        label_y = ax.get_xaxis_transform()  # x in data, y in axes fraction
        for s, sym in zip(sample[inside], symbol[inside], strict=True):
            cls = SYMBOL_TO_CLASS.get(str(sym))
            code = class_names.index(cls) if cls in class_names else -1
            color = _class_color(class_names, code) if cls is not None else "0.55"
            ax.text((s - time_origin) / fs, 0.97, str(sym), transform=label_y, ha="center",
                    va="top", fontsize=9, color=color, fontweight="bold" if cls else "normal")
    if labels is not None or annotations is not None:
        # the fixed colour key of every class, so pictures compare at a glance
        handles = [
            Line2D([], [], linestyle="none", marker="s", color=_class_color(class_names, i),
                   label=name)
            for i, name in enumerate(class_names)
        ] + handles
    if handles:
        notes = []
        if r_peaks is not None and (labels is not None or annotations is not None):
            notes.append("ring: R peak")
        if annotations is not None:
            notes.append("letter: reference")
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0),
                  fontsize=7, title="\n".join(notes) or None, title_fontsize=7,
                  frameon=False, handletextpad=0.3, borderaxespad=0.0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"ECG ({unit})" if unit else "ECG")
    ax.grid(True, color="0.9", linewidth=0.6)


def _record_inputs(
    signal: object, fs: float, r_peaks: object, labels: object, annotations: object,
    class_names: object,
) -> tuple[np.ndarray, float, np.ndarray | None, np.ndarray | None, Any, tuple[str, ...]]:
    x = _as_trace(signal, "signal")
    fs = as_fs(fs, "fs")
    names = _as_class_names(class_names)
    peaks = None if r_peaks is None else _as_sample_indices(r_peaks, "r_peaks", x.size)
    codes = None
    if labels is not None:
        if peaks is None:
            raise ValueError("labels need r_peaks: pass the R peak of each labelled beat")
        codes = _as_class_labels(labels, "labels", names, allow_unlabelled=True)
        if codes.size != peaks.size:
            raise ValueError(
                f"labels has {codes.size} entries but r_peaks has {peaks.size}; "
                "give one class per R peak"
            )
    ann = None if annotations is None else _as_annotations(annotations)
    return x, fs, peaks, codes, ann, names


def plot_record(
    signal: object,
    fs: float,
    *,
    r_peaks: object = None,
    labels: object = None,
    annotations: object = None,
    start_s: float = 0.0,
    duration_s: float = 10.0,
    class_names: Sequence[str] = CLASSES,
    unit: str = "mV",
    title: str | None = None,
    ax: Axes | None = None,
    path: str | os.PathLike | None = None,
    dpi: float = 150,
) -> Figure:
    """Draw a stretch of one ECG lead with its R peaks, classes and reference labels.

    Parameters
    ----------
    signal : array_like, shape (n_samples,)
        One ECG lead (NaN samples are drawn as gaps).
    fs : float
        Sampling frequency in Hz.
    r_peaks : array_like of int, optional
        Sample indices of detected R peaks, drawn as rings on the trace.
    labels : array_like, optional
        Class of each R peak: codes ``0 .. len(class_names) - 1`` (-1 = no class) or
        names from `class_names`; the rings take the class colour
        (:data:`CLASS_COLORS`).  Needs `r_peaks`.
    annotations : Annotations or (samples, symbols), optional
        Reference annotations (e.g. ``load_example("100").annotations``): each symbol
        is written above the trace at its time, beats in their AAMI class colour,
        other annotations (rhythm ``+``, noise ``~``) in grey.
    start_s : float, default 0
        Start of the view, seconds from the first sample.
    duration_s : float, default 10
        Length of the view in seconds (cut at the end of the signal).
    class_names : sequence of str, default ("N", "S", "V", "F", "Q")
        Names of the class codes in `labels`.
    unit : str, default "mV"
        Unit of the samples, for the axis label.
    title : str, optional
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new 12 x 3.5 inch figure.
    path : str or path-like, optional
        Also save the figure there as PNG (see :func:`save_png`).
    dpi : float, default 150
        Resolution of the saved PNG.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the drawing (that of `ax` when given).

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If an array has the wrong type.
    ValueError
        If `signal` is not 1-D or empty, `fs` <= 0, an index lies outside the signal,
        `labels` does not match `r_peaks`, or the view starts after the signal ends.

    Examples
    --------
    >>> from heartbeat import load_example
    >>> ex = load_example("100")
    >>> fig = plot_record(ex.signal[:, 0], ex.fs, annotations=ex.annotations)
    >>> [float(v) for v in fig.axes[0].get_xlim()]  # seconds
    [0.0, 9.997222222222222]
    """
    x, fs, peaks, codes, ann, names = _record_inputs(
        signal, fs, r_peaks, labels, annotations, class_names
    )
    start_s = _as_seconds(start_s, "start_s", positive=False)
    duration_s = _as_seconds(duration_s, "duration_s", positive=True)
    i0 = math.floor(start_s * fs)
    if i0 >= x.size:
        raise ValueError(
            f"{start_s=} lies after the end of the signal ({x.size / fs:g} s long)"
        )
    i1 = min(x.size, i0 + max(2, math.ceil(duration_s * fs)))
    fig, ax = _figure_and_axes(ax, (12, 3.5))
    _draw_record(ax, x, fs, i0, i1, r_peaks=peaks, labels=codes, annotations=ann,
                 class_names=names, unit=unit)
    if title:
        ax.set_title(title, loc="left")
    return _finish(fig, path, dpi)


def plot_beat_context(
    signal: object,
    fs: float,
    beat: int,
    *,
    window_s: float = 1.0,
    r_peaks: object = None,
    labels: object = None,
    annotations: object = None,
    class_names: Sequence[str] = CLASSES,
    unit: str = "mV",
    title: str | None = None,
    ax: Axes | None = None,
    path: str | os.PathLike | None = None,
    dpi: float = 150,
) -> Figure:
    """Draw a short view centred on one beat, time measured from that beat.

    Parameters
    ----------
    signal : array_like, shape (n_samples,)
        One ECG lead.
    fs : float
        Sampling frequency in Hz.
    beat : int
        Sample index of the beat to centre on (e.g. an abnormal beat's annotation).
    window_s : float, default 1.0
        Width of the view in seconds (cut at the ends of the signal).
    r_peaks, labels, annotations, class_names, unit, title, ax, path, dpi
        As in :func:`plot_record`.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; the x axis reads seconds relative to `beat`, which is marked by a
        dotted vertical line.

    Raises
    ------
    ImportError, TypeError, ValueError
        As :func:`plot_record`, and if `beat` lies outside the signal.

    Examples
    --------
    >>> from heartbeat import load_example
    >>> ex = load_example("208")
    >>> v = int(ex.annotations.sample[ex.annotations.symbol == "V"][1])
    >>> fig = plot_beat_context(ex.signal[:, 0], ex.fs, v, annotations=ex.annotations)
    >>> [round(float(v), 2) for v in fig.axes[0].get_xlim()]
    [-0.5, 0.5]
    """
    x, fs, peaks, codes, ann, names = _record_inputs(
        signal, fs, r_peaks, labels, annotations, class_names
    )
    if isinstance(beat, bool) or not isinstance(beat, (numbers.Integral, np.integer)):
        raise TypeError(f"beat must be an integer sample index, got {beat!r}")
    if not 0 <= beat < x.size:
        raise ValueError(f"{beat=} lies outside the signal (0..{x.size - 1})")
    window_s = _as_seconds(window_s, "window_s", positive=True)
    half = max(1, round(window_s * fs / 2))
    i0, i1 = max(0, int(beat) - half), min(x.size, int(beat) + half + 1)
    fig, ax = _figure_and_axes(ax, (5, 3.5))
    _draw_record(ax, x, fs, i0, i1, r_peaks=peaks, labels=codes, annotations=ann,
                 class_names=names, unit=unit, time_origin=int(beat))
    ax.axvline(0.0, color="0.5", linestyle=":", linewidth=1)
    ax.set_xlabel("time from the beat (s)")
    if title:
        ax.set_title(title, loc="left")
    return _finish(fig, path, dpi)


# --------------------------------------------------------------------------------------
# spectrograms
# --------------------------------------------------------------------------------------


def _spectrogram_inputs(f: object, t: object, S: object) -> tuple[np.ndarray, ...]:
    f_arr = _as_trace(f, "f")
    t_arr = _as_trace(t, "t")
    S_arr = np.asarray(S)
    if S_arr.dtype == bool or not (
        np.issubdtype(S_arr.dtype, np.integer) or np.issubdtype(S_arr.dtype, np.floating)
    ):
        raise TypeError(f"S must hold real power values, got dtype {S_arr.dtype}")
    if S_arr.shape != (f_arr.size, t_arr.size):
        raise ValueError(
            f"S must have shape (len(f), len(t)) = ({f_arr.size}, {t_arr.size}), "
            f"got {S_arr.shape}; pass one window's spectrogram, e.g. S[0]"
        )
    return f_arr, t_arr, S_arr.astype(np.float64, copy=False)


def _draw_spectrogram(
    ax: Axes, f: np.ndarray, t: np.ndarray, Z: np.ndarray, *, fmax_hz: float | None,
    vmin: float | None, vmax: float | None,
) -> Any:
    mesh = ax.pcolormesh(t, f, Z, shading="nearest", cmap="magma", vmin=vmin, vmax=vmax,
                         rasterized=True)
    ax.set_ylim(f[0], min(float(f[-1]), fmax_hz) if fmax_hz else float(f[-1]))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    return mesh


def plot_spectrogram(
    f: object,
    t: object,
    S: object,
    *,
    db: bool = True,
    fmax_hz: float | None = None,
    unit: str = "mV",
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    path: str | os.PathLike | None = None,
    dpi: float = 150,
) -> Figure:
    """Draw one spectrogram image with a colour bar.

    Parameters
    ----------
    f : array_like, shape (n_freqs,)
        Frequencies in Hz (``SpectrogramResult.f``).
    t : array_like, shape (n_frames,)
        Frame-centre times in seconds (``SpectrogramResult.t``).
    S : array_like, shape (n_freqs, n_frames)
        Power of one window (``SpectrogramResult.Sxx`` of a single signal).
    db : bool, default True
        Show ``10 log10(S)`` (:func:`heartbeat.features.log_power`, floored at
        -120 dB); False shows `S` as given (e.g. an already logged image).
    fmax_hz : float, optional
        Highest frequency shown (default: all, up to Nyquist).
    unit : str, default "mV"
        Unit of the signal, for the colour-bar label (power in unit²/Hz).
    vmin, vmax : float, optional
        Colour limits, to compare several images on one scale.
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
        If an array is not real numeric.
    ValueError
        If the shapes do not agree, or `db` is set and `S` holds negative or
        non-finite power.

    Examples
    --------
    >>> from heartbeat.features import spectrogram
    >>> x = np.sin(2 * np.pi * 10 * np.arange(1440) / 360.0)
    >>> f, t, S = spectrogram(x, 360.0)
    >>> fig = plot_spectrogram(f, t, S, fmax_hz=60)
    >>> [float(v) for v in fig.axes[0].get_ylim()]
    [0.0, 60.0]
    """
    f_arr, t_arr, S_arr = _spectrogram_inputs(f, t, S)
    if db:
        from heartbeat.features import log_power

        S_arr = log_power(S_arr)
    fig, ax = _figure_and_axes(ax, (6, 3.5))
    mesh = _draw_spectrogram(ax, f_arr, t_arr, S_arr, fmax_hz=fmax_hz, vmin=vmin, vmax=vmax)
    label = f"power (dB re 1 {unit}²/Hz)" if db else "value"
    _root_figure(ax).colorbar(mesh, ax=ax, label=label)
    if title:
        ax.set_title(title, loc="left")
    return _finish(fig, path, dpi)


def plot_window_comparison(
    windows: object,
    fs: float,
    *,
    titles: Sequence[str] | None = None,
    fmax_hz: float = 60.0,
    dynamic_range_db: float = 60.0,
    unit: str = "mV",
    path: str | os.PathLike | None = None,
    dpi: float = 150,
) -> Figure:
    """Draw beat-centred windows side by side, each above its spectrogram.

    All spectrograms share one colour scale (the loudest pixel down to
    `dynamic_range_db` below it), so their brightness compares directly.

    Parameters
    ----------
    windows : array_like, shape (k, n_samples)
        Windows of raw ECG centred on a beat, e.g. rows of
        :attr:`heartbeat.datasets.WindowSet.x` (±2 s = 1,440 samples at 360 Hz).
    fs : float
        Sampling frequency in Hz.
    titles : sequence of str, optional
        Title of each column (e.g. "normal", "abnormal").
    fmax_hz : float, default 60
        Highest frequency shown (the QRS energy lies below ~40 Hz).
    dynamic_range_db : float, default 60
        Span of the shared colour scale in dB, > 0.
    unit, path, dpi
        As in :func:`plot_record`.

    Returns
    -------
    matplotlib.figure.Figure
        Two rows (signal, spectrogram) and one column per window; time is measured
        from the window's centre.  Spectrograms come from
        :func:`heartbeat.features.spectrogram` with its ECG defaults (64-sample Hann
        segments, 48 overlapping).

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError
        If `windows` is not real numeric.
    ValueError
        If `windows` is not 2-D, is empty, holds NaN/inf or is shorter than one
        spectrogram segment, or `titles` does not match it.

    Examples
    --------
    >>> from heartbeat import load_example
    >>> x = load_example("208").signal[:, 0]
    >>> fig = plot_window_comparison(np.stack([x[2280:3720], x[9280:10720]]), 360.0,
    ...                              titles=["beat at 8.3 s", "beat at 27.8 s"])
    >>> len(fig.axes)  # 2 traces, 2 spectrograms, 1 colour bar
    5
    """
    from heartbeat.features import log_power, spectrogram

    w = np.asarray(windows)
    if w.dtype == bool or not (
        np.issubdtype(w.dtype, np.integer) or np.issubdtype(w.dtype, np.floating)
    ):
        raise TypeError(f"windows must hold real numbers, got dtype {w.dtype}")
    if w.ndim == 1:
        w = w[np.newaxis]
    if w.ndim != 2 or w.shape[0] == 0:
        raise ValueError(f"windows must be (k, n_samples) with k >= 1, got shape {w.shape}")
    if not np.isfinite(w).all():
        raise ValueError("windows hold NaN or infinite values")
    w = w.astype(np.float64)
    fs = as_fs(fs, "fs")
    k, n = w.shape
    titles = [f"window {i + 1}" for i in range(k)] if titles is None else [str(s) for s in titles]
    if len(titles) != k:
        raise ValueError(f"titles has {len(titles)} entries for {k} windows")
    if isinstance(dynamic_range_db, bool) or not isinstance(dynamic_range_db, numbers.Real) or (
        not math.isfinite(dynamic_range_db) or dynamic_range_db <= 0
    ):
        raise ValueError(f"{dynamic_range_db=} must be a finite number of dB > 0")
    f, t, S = spectrogram(w, fs)  # raises if a window is shorter than one segment
    Z = log_power(S)
    vmax = float(Z[:, f <= fmax_hz].max())
    vmin = vmax - float(dynamic_range_db)
    centre_s = (n // 2) / fs
    fig = _new_figure((4.2 * k + 1.2, 5.5))
    axes = fig.subplots(2, k, squeeze=False, sharex=True)
    lo, hi = float(w.min()), float(w.max())
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    tw = np.arange(n) / fs - centre_s
    mesh = None
    for j in range(k):
        top, bottom = axes[0, j], axes[1, j]
        top.plot(tw, w[j], color=_TRACE, linewidth=0.8)
        top.axvline(0.0, color="0.5", linestyle=":", linewidth=1)
        top.set_ylim(lo - pad, hi + pad)
        top.set_title(titles[j], loc="left")
        top.grid(True, color="0.9", linewidth=0.6)
        if j == 0:
            top.set_ylabel(f"ECG ({unit})" if unit else "ECG")
        mesh = _draw_spectrogram(bottom, f, t - centre_s, Z[j], fmax_hz=fmax_hz,
                                 vmin=vmin, vmax=vmax)
        bottom.set_xlabel("time from the window centre (s)")
        if j:
            bottom.set_ylabel("")
    fig.colorbar(mesh, ax=axes[1, :].tolist(), label=f"power (dB re 1 {unit}²/Hz)")
    return _finish(fig, path, dpi)


# --------------------------------------------------------------------------------------
# beats and classifier results
# --------------------------------------------------------------------------------------


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
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((20, 187))
    >>> fig = plot_class_gallery(x, rng.integers(0, 5, 20))
    >>> len(fig.axes), fig.axes[0].get_xlabel()
    (5, 'time (ms)')
    """
    beats = np.asarray(x)
    if beats.dtype == bool or not (
        np.issubdtype(beats.dtype, np.integer) or np.issubdtype(beats.dtype, np.floating)
    ):
        raise TypeError(f"x must hold real numbers, got dtype {beats.dtype}")
    if beats.ndim != 2 or beats.shape[0] == 0 or beats.shape[1] < 2:
        raise ValueError(f"x must be (n_beats, n_samples) with beats, got shape {beats.shape}")
    if not np.isfinite(beats).all():
        raise ValueError("x holds NaN or infinite values")
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
        counts = np.asarray(cm)
        if counts.dtype == bool or not np.issubdtype(counts.dtype, np.integer):
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
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"{normalize=} must be None, 'true', 'pred' or 'all'")
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
        if isinstance(values, (str, bytes)):
            raise TypeError(f"history[{key!r}] must be a sequence of numbers, got {values!r}")
        arr = np.asarray(values)
        if arr.dtype == bool or not (
            np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
        ):
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


# --------------------------------------------------------------------------------------
# the shipped examples
# --------------------------------------------------------------------------------------


def reference_classes(
    r_peaks: object, sample: object, symbol: object, fs: float, tolerance_s: float = 0.15,
) -> np.ndarray:
    """Return the AAMI class code of the reference beat each R peak matches.

    A peak takes the class of the nearest annotated beat (non-beat annotations such
    as rhythm ``+`` are skipped) when that beat lies within `tolerance_s`; the codes
    colour the rings of :func:`plot_record` (``labels=``).

    Parameters
    ----------
    r_peaks : array_like of int, shape (n_peaks,)
        Sample indices of the detected R peaks (any order; the output keeps it).
    sample : array_like of int, shape (n_annotations,)
        Sample index of each reference annotation.
    symbol : array_like of str, shape (n_annotations,)
        WFDB symbol of each annotation (``N``, ``V``, ``+``, ...).
    fs : float
        Sampling frequency in Hz.
    tolerance_s : float, default 0.15
        Largest distance between a peak and its reference beat, seconds.

    Returns
    -------
    numpy.ndarray of int64, shape (n_peaks,)
        Code into :data:`heartbeat.aami.CLASSES` of each peak's reference beat, -1
        where no reference beat lies within the tolerance.

    Raises
    ------
    TypeError
        If an index array does not hold integers, or `fs` or `tolerance_s` is not a
        number.
    ValueError
        If an index is negative, `sample` and `symbol` differ in length, `fs` <= 0 or
        `tolerance_s` < 0.

    Examples
    --------
    >>> reference_classes([98, 290, 460], [100, 200, 300], ["N", "+", "V"], fs=100.0)
    array([ 0,  2, -1])
    """
    top = np.iinfo(np.int64).max
    peaks = _as_sample_indices(r_peaks, "r_peaks", top)
    sample, symbol = _as_annotations((sample, symbol))
    return _reference_classes(peaks, sample, symbol, as_fs(fs),
                              as_seconds(tolerance_s, "tolerance_s"))


def _reference_classes(
    r_peaks: np.ndarray, sample: np.ndarray, symbol: np.ndarray, fs: float,
    tolerance_s: float = 0.15,
) -> np.ndarray:
    """AAMI code of the nearest reference beat within the tolerance of each peak (-1: none)."""
    from heartbeat.aami import class_codes

    codes = class_codes(symbol).astype(np.int64)
    beats = codes >= 0
    ref, ref_codes = sample[beats], codes[beats]
    order = np.argsort(ref, kind="stable")
    ref, ref_codes = ref[order], ref_codes[order]
    out = np.full(r_peaks.size, -1, dtype=np.int64)
    if ref.size == 0:
        return out
    right = np.clip(np.searchsorted(ref, r_peaks), 0, ref.size - 1)
    left = np.clip(right - 1, 0, ref.size - 1)
    nearest = np.where(np.abs(ref[left] - r_peaks) <= np.abs(ref[right] - r_peaks), left, right)
    close = np.abs(ref[nearest] - r_peaks) <= tolerance_s * fs
    out[close] = ref_codes[nearest[close]]
    return out


def _first_beat(
    sample: np.ndarray, symbol: np.ndarray, n: int, half: int, code: int, *, clean: bool
) -> int:
    """First beat of AAMI class `code` with a full ±half window (only that class in it)."""
    from heartbeat.aami import class_codes

    codes = class_codes(symbol)
    beat = codes >= 0
    s, c = sample[beat], codes[beat]
    for i in np.flatnonzero((s - half >= 0) & (s + half <= n) & (c == code)):
        if not clean or (c[np.abs(s - s[i]) <= half] == code).all():
            return int(s[i])
    raise ValueError(f"no beat of class {CLASSES[code]} with a full ±{half}-sample window")


def save_example_figures(out_dir: str | os.PathLike, *, dpi: float = 150) -> list[Path]:
    """Draw the standard pictures of the shipped MIT-BIH excerpts into a folder.

    Makes, from lead MLII of records 100 and 208 (``load_example``), with R peaks
    from :func:`heartbeat.detect.detect_r_peaks` coloured by the AAMI class of the
    reference beat they match (within 150 ms; black when none):

    * ``record100_10s.png``: the first 10 s of record 100 (normal sinus rhythm);
    * ``record208_10s.png``: 10 s of record 208 around its first ventricular beat;
    * ``record208_beat_1s.png``: 1 s centred on that ventricular (V) beat;
    * ``windows_normal_vs_v.png``: ±2 s around the first beat of record 100 whose
      window holds only normal beats, beside ±2 s around that V beat of record 208,
      with their spectrograms on one colour scale.

    Parameters
    ----------
    out_dir : str or path-like
        Folder to write into (created if missing).
    dpi : float, default 150
        Resolution of the PNG files.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order above.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    from heartbeat.detect import detect_r_peaks
    from heartbeat.examples import load_example

    _new_figure((1, 1))  # fail early, with the install hint, if matplotlib is missing
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    views: dict[str, tuple[np.ndarray, float, np.ndarray, np.ndarray, Any]] = {}
    for name in ("100", "208"):
        ex = load_example(name)
        x = ex.signal[:, 0]
        peaks = detect_r_peaks(x, ex.fs)
        ann = ex.annotations
        codes = _reference_classes(peaks, ann.sample, ann.symbol, ex.fs)
        views[name] = (x, ex.fs, peaks, codes, ann)
    x, fs, peaks, codes, ann = views["100"]
    written.append(save_png(plot_record(
        x, fs, r_peaks=peaks, labels=codes, annotations=ann, duration_s=10.0,
        title="MIT-BIH record 100, lead MLII: first 10 s (R peaks coloured by reference class)",
    ), out / "record100_10s.png", dpi=dpi))
    x, fs, peaks, codes, ann = views["208"]
    half = round(2.0 * fs)
    abnormal = _first_beat(ann.sample, ann.symbol, x.size, half, 2, clean=False)
    start_s = max(0.0, abnormal / fs - 3.0)
    written.append(save_png(plot_record(
        x, fs, r_peaks=peaks, labels=codes, annotations=ann, start_s=start_s,
        duration_s=10.0,
        title=f"MIT-BIH record 208, lead MLII: {start_s:.1f}-{start_s + 10:.1f} s",
    ), out / "record208_10s.png", dpi=dpi))
    written.append(save_png(plot_beat_context(
        x, fs, abnormal, window_s=1.0, r_peaks=peaks, labels=codes, annotations=ann,
        title=f"Record 208: 1 s around the V beat at {abnormal / fs:.2f} s",
    ), out / "record208_beat_1s.png", dpi=dpi))
    x100, _, _, _, ann100 = views["100"]
    normal = _first_beat(ann100.sample, ann100.symbol, x100.size, half, 0, clean=True)
    windows = np.stack([x100[normal - half : normal + half], x[abnormal - half : abnormal + half]])
    written.append(save_png(plot_window_comparison(
        windows, fs, titles=[f"record 100: normal beat at {normal / fs:.2f} s",
                             f"record 208: V beat at {abnormal / fs:.2f} s"],
    ), out / "windows_normal_vs_v.png", dpi=dpi))
    return written
