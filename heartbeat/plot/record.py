"""Pictures of ECG records: a stretch of a lead, or a short view around one beat.

R peaks are drawn as rings in the colour of their class, reference annotations as
symbols above the trace; :func:`reference_classes` gives each detected peak the
class of the annotated beat it matches.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from heartbeat._validate import as_fs, as_seconds
from heartbeat.aami import CLASSES
from heartbeat.plot._figure import (
    _TRACE,
    _UNLABELLED,
    _as_annotations,
    _as_class_labels,
    _as_class_names,
    _as_sample_indices,
    _as_trace,
    _class_color,
    _figure_and_axes,
    _finish,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
    start_s = as_seconds(start_s, "start_s")
    duration_s = as_seconds(duration_s, "duration_s", positive=True)
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
    window_s = as_seconds(window_s, "window_s", positive=True)
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
