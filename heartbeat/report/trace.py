"""What the report page draws, computed once in Python: the trace, heart rate, stretches.

The ECG is stored in the page at :data:`TRACE_FS` (125 Hz, the rate the classifier
reads) as 16-bit integers in base64: resampled with the polyphase filter of
:mod:`heartbeat.resample` (no aliasing), then quantised over the signal's own range
(65,000 steps; a 10 mV range gives 0.15 µV per step).  A 30-minute record is 225,000
samples, 450 kB as bytes and 600 kB as base64; the page's script draws the min and
max of each pixel column when zoomed out and the samples themselves when zoomed in.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from heartbeat.resample import _resample_poly, resample_ratio

__all__ = ["TRACE_FS", "Trace", "heart_rate", "invalid_stretches", "trace"]

TRACE_FS = 125.0
"""Sampling rate of the trace stored in the page, Hz."""

GAP = -32768
"""Stored value of a sample that is not a number (drawn as a gap)."""

_LEVELS = 65000  # quantisation steps over the signal's range (GAP stays free)


@dataclass(frozen=True)
class Trace:
    """The ECG as the page stores it.

    Attributes
    ----------
    fs : float
        Rate of the stored samples, Hz.
    data : str
        Base64 of the little-endian int16 samples; :data:`GAP` marks invalid ones.
    offset, step : float
        A stored value ``v`` is the signal value ``offset + step * v``.
    n : int
        Number of stored samples.
    """

    fs: float
    data: str
    offset: float
    step: float
    n: int


def trace(signal: np.ndarray, fs: float) -> Trace:
    """Return the page's copy of `signal` (at `fs` Hz): at most 125 Hz, 16 bits.

    Non-finite samples are bridged by linear interpolation for the resampling and
    stored as :data:`GAP` (with the resampled samples they touch).
    """
    x = np.asarray(signal, dtype=np.float64)
    bad = ~np.isfinite(x)
    if bad.all():
        return Trace(TRACE_FS, "", 0.0, 1.0, 0)
    if bad.any():
        idx = np.arange(x.size)
        x = x.copy()
        x[bad] = np.interp(idx[bad], idx[~bad], x[~bad])
    out_fs = float(fs)
    if fs > TRACE_FS:
        up, down = resample_ratio(fs, TRACE_FS)
        x = _resample_poly(x, up, down)
        out_fs = fs * up / down
        bad = _gaps_at(bad, x.size, fs, out_fs)
    lo, hi = float(x.min()), float(x.max())
    step = (hi - lo) / _LEVELS if hi > lo else 1.0
    mid = (lo + hi) / 2
    values = np.clip(np.round((x - mid) / step), -_LEVELS // 2, _LEVELS // 2)
    stored = values.astype("<i2")
    stored[bad] = GAP
    return Trace(out_fs, base64.b64encode(stored.tobytes()).decode("ascii"), mid, step,
                 int(stored.size))


def _gaps_at(bad: np.ndarray, n_out: int, fs: float, out_fs: float) -> np.ndarray:
    """Mark each output sample whose time falls within one input sample of a bad one."""
    if not bad.any():
        return np.zeros(n_out, dtype=bool)
    src = np.round(np.arange(n_out) * (fs / out_fs)).astype(np.int64)
    src = np.clip(src, 0, bad.size - 1)
    near = bad.copy()
    near[1:] |= bad[:-1]
    near[:-1] |= bad[1:]
    return near[src]


def invalid_stretches(signal: np.ndarray, fs: float, min_s: float = 0.0
                      ) -> list[tuple[float, float]]:
    """Return the (start_s, end_s) of each run of non-finite samples in `signal`."""
    bad = ~np.isfinite(np.asarray(signal, dtype=np.float64))
    if not bad.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], bad.view(np.int8), [0]])))
    runs = edges.reshape(-1, 2)
    return [(a / fs, b / fs) for a, b in runs if (b - a) / fs >= min_s]


def heart_rate(r_peaks_s: np.ndarray, window: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Return the times (s) and the heart rate (bpm) over time from R-peak times.

    Each RR interval gives ``60 / RR`` at its midpoint; intervals outside 0.25-3 s
    (a missed or a double detection) are left out, and the rest are smoothed by a
    running median over `window` intervals so that a single ectopic beat does not
    dominate the curve.
    """
    t = np.asarray(r_peaks_s, dtype=np.float64)
    if t.size < 2:
        return np.empty(0), np.empty(0)
    rr = np.diff(t)
    mid = t[:-1] + rr / 2
    ok = (rr >= 0.25) & (rr <= 3.0)
    mid, bpm = mid[ok], 60.0 / rr[ok]
    if bpm.size >= window:
        pad = window // 2
        padded = np.pad(bpm, pad, mode="edge")
        windows = np.lib.stride_tricks.sliding_window_view(padded, window)
        bpm = np.median(windows, axis=1)
    return mid, bpm
