"""Pictures of spectrograms: one image, or ±2 s windows side by side with theirs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from heartbeat._validate import as_array, as_fs, as_positive, check_finite, is_real_dtype
from heartbeat.plot._figure import (
    _TRACE,
    _as_trace,
    _figure_and_axes,
    _finish,
    _new_figure,
    _root_figure,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _spectrogram_inputs(f: object, t: object, S: object) -> tuple[np.ndarray, ...]:
    f_arr = _as_trace(f, "f")
    t_arr = _as_trace(t, "t")
    S_arr = as_array(S, "S", "an array of power values")
    if not is_real_dtype(S_arr.dtype):
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
        Show ``10 log10(S)`` (:func:`heartbeat.windows.log_power`, floored at
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
    >>> import numpy as np
    >>> from heartbeat.windows import spectrogram
    >>> x = np.sin(2 * np.pi * 10 * np.arange(1440) / 360.0)
    >>> f, t, S = spectrogram(x, 360.0)
    >>> fig = plot_spectrogram(f, t, S, fmax_hz=60)
    >>> [float(v) for v in fig.axes[0].get_ylim()]
    [0.0, 60.0]
    """
    f_arr, t_arr, S_arr = _spectrogram_inputs(f, t, S)
    if db:
        from heartbeat.windows import log_power

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
        :func:`heartbeat.windows.spectrogram` with its ECG defaults (64-sample Hann
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
    >>> import numpy as np
    >>> from heartbeat import load_example
    >>> x = load_example("208").signal[:, 0]
    >>> fig = plot_window_comparison(np.stack([x[2280:3720], x[9280:10720]]), 360.0,
    ...                              titles=["beat at 8.3 s", "beat at 27.8 s"])
    >>> len(fig.axes)  # 2 traces, 2 spectrograms, 1 colour bar
    5
    """
    from heartbeat.windows import log_power, spectrogram

    w = as_array(windows, "windows", "an array of windows")
    if not is_real_dtype(w.dtype):
        raise TypeError(f"windows must hold real numbers, got dtype {w.dtype}")
    if w.ndim == 1:
        w = w[np.newaxis]
    if w.ndim != 2 or w.shape[0] == 0:
        raise ValueError(f"windows must be (k, n_samples) with k >= 1, got shape {w.shape}")
    check_finite(w, "windows")
    w = w.astype(np.float64)
    fs = as_fs(fs, "fs")
    k, n = w.shape
    titles = [f"window {i + 1}" for i in range(k)] if titles is None else [str(s) for s in titles]
    if len(titles) != k:
        raise ValueError(f"titles has {len(titles)} entries for {k} windows")
    dynamic_range_db = as_positive(dynamic_range_db, "dynamic_range_db", "dB")
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
