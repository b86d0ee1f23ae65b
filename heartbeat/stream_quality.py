"""The stream's signal quality: one stretch of :func:`heartbeat.quality`, bit for bit.

At each detection instant with new beats, :class:`heartbeat.Stream` needs the quality
index of the one 2 s stretch that holds them, within the 6 s before the instant.
``_quality(x, ...)`` (:mod:`heartbeat.signal_quality`) scores every stretch of `x`
with the measures of :func:`heartbeat.signal_quality_features.measures`; most of its
cost is the fixed price of many small NumPy passes, paid again for each stretch it
does not need (three FFTs of the same 6 s window, for one).  :func:`stretch_index`
takes the same steps for one stretch only and returns the very same number.

Most passes are written again here, leaner (no ``sliding_window_view``, ``np.clip``,
``np.gradient`` or ``np.add.at``, one backend resolution per call) but with the same
arithmetic in the same order; where the offline call's rounding depends on its block
of stretches (band powers summed over a block of windows, the logistic model's BLAS
product over the valid rows) that block's shape is reproduced.  The constants, the
flat/clipped rule and the model are imported, not copied.  A change to
:mod:`heartbeat.signal_quality_features` must be made here too:
``tests/test_stream_quality.py`` compares the bits with ``_quality`` on real records,
noise, flat and clipped signal, three segment/context shapes and both backends, and
fails otherwise.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from heartbeat._jit import resolve_backend
from heartbeat._quality_kernels import _BEATS_PER_BLOCK, MOVING_MEAN, SUPPRESS, median_of_four
from heartbeat.signal_quality import _combine, _quality
from heartbeat.signal_quality_features import (
    _BEAT_HALF_S,
    _CHUNK,
    _MATCH_S,
    _QRS_HALF_S,
    _QRS_MASK_S,
    NAMES,
    unusable,
)

__all__ = ["stretch_index"]

_BANDS = {"low": (0.0, 1.0 + 1e-9), "total": (0.0, 40.0 + 1e-9), "qrs": (5.0, 15.0),
          "wide": (5.0, 40.0), "high": (40.0, 100.0)}  # as window_measures'


@lru_cache(maxsize=16)
def _band_masks(width: int, fs: float) -> dict[str, np.ndarray]:
    """Return the rfft bins of each band of ``window_measures``."""
    f = np.fft.rfftfreq(width, 1.0 / fs)
    return {name: (f >= lo) & (f < hi) for name, (lo, hi) in _BANDS.items()}


def _ratio(num: float, den: float, empty: float) -> float:
    """``num / den``, `empty` where `den` is 0 (as ``signal_quality_features._ratio``)."""
    return num / den if den > 0 else empty


def _window(x: np.ndarray, a: int, width: int, fs: float, rows: int) -> tuple[float, ...]:
    """``window_measures(x, a_k, width, fs)`` for the window at `a`: base, kurt, qrs, high.

    The offline call takes `rows` windows at a time.  A row's mean, FFT and moments
    do not depend on its block, but a band's power, summed over the second axis of
    a block of two rows or more, is added in order (NumPy walks the columns), where
    one row's is summed pairwise: ``np.cumsum(...)[-1]`` adds in that order.
    """
    w = x[a : a + width]
    w = w - w.mean()
    power = np.abs(np.fft.rfft(w)) ** 2
    p = {name: power[mask].sum() if rows == 1 else np.cumsum(power[mask])[-1]
         for name, mask in _band_masks(width, fs).items()}
    w2 = w * w
    m2 = np.mean(w2)
    m4 = np.mean(w2 * w2)
    return (_ratio(p["total"] - p["low"], p["total"], 1.0), _ratio(m4, m2 * m2, 3.0),
            _ratio(p["qrs"], p["wide"], 1.0), _ratio(p["high"], p["qrs"], 0.0))


def _qrs_heights(band: np.ndarray, peaks: np.ndarray, half: int) -> np.ndarray:
    """``qrs_heights(band, peaks, half)``: ``nanmax`` is ``fmax.reduce`` on floats."""
    edge = np.full(half, np.nan)
    around = np.concatenate([edge, band, edge])[peaks[:, None] + np.arange(2 * half + 1)]
    return np.fmax.reduce(around, axis=1) - np.fmin.reduce(around, axis=1)


class _Passes:
    """The measures' per-signal passes with one backend resolution (same bits)."""

    def __init__(self, fs: float) -> None:
        self.fs = fs
        backend = resolve_backend("auto")
        self.moving = MOVING_MEAN.get(backend)
        self.suppress = SUPPRESS.get(backend)

    def mean(self, x: np.ndarray, width: int) -> np.ndarray:
        """``moving_mean(x, width)``."""
        out = np.empty(x.size)
        self.moving(x, max(1, int(width)), out)
        return out

    def band_pass(self, x: np.ndarray) -> np.ndarray:
        """``band_pass(x, fs)``."""
        short, long = round(0.025 * self.fs), round(0.12 * self.fs)
        return (self.mean(self.mean(x, short), short)
                - self.mean(self.mean(x, long), long))

    def slope_peaks(self, band: np.ndarray) -> np.ndarray:
        """``slope_peaks(band, fs)``: the same steps, without NumPy's wrappers' cost."""
        fs = self.fs
        slope = np.empty(band.size)  # np.gradient with unit spacing
        slope[1:-1] = (band[2:] - band[:-2]) / 2.0
        slope[0] = band[1] - band[0]
        slope[-1] = band[-1] - band[-2]
        energy = self.mean(slope**2, round(0.1 * fs))
        block = max(1, round(2 * fs))
        n_blocks = -(-energy.size // block)
        padded = np.zeros(n_blocks * block)
        padded[: energy.size] = energy
        maxima = padded.reshape(n_blocks, block).max(axis=1).tolist()
        typical = np.array([_middle(sorted(maxima[max(0, i - 4) : i + 5]))
                            for i in range(n_blocks)])
        cand = np.flatnonzero((energy[1:-1] > energy[:-2])
                              & (energy[1:-1] >= energy[2:])) + 1
        cand = cand[energy[cand] > 0.3 * typical[cand // block]]
        order = cand[np.argsort(-energy[cand], kind="stable")].astype(np.int64)
        kept = np.empty(order.size, dtype=np.int64)
        count = self.suppress(order, energy.size, round(0.25 * fs), kept)
        return np.sort(kept[:count])

    def template_correlation(self, x: np.ndarray, peaks: np.ndarray) -> np.ndarray:
        """``template_correlation(x, peaks, fs)`` for at most its block of beats (4096)."""
        if peaks.size < 2:
            return np.zeros(peaks.size)
        half = max(1, round(_BEAT_HALF_S * self.fs))
        y = x - self.mean(x, round(0.6 * self.fs))
        padded = np.concatenate([np.full(half, y[0]), y, np.full(half, y[-1])])
        waves = padded[peaks[:, None] + np.arange(2 * half + 1)]
        waves = waves - waves.mean(axis=1, keepdims=True)
        k = np.arange(peaks.size)
        last = peaks.size - 1
        w = waves[k]
        around = np.minimum(np.maximum(k + np.array([[-2], [-1], [1], [2]]), 0), last)
        template = median_of_four(waves[around])
        template -= template.mean(axis=1, keepdims=True)
        num = np.sum(w * template, axis=1)
        den = np.sqrt(np.sum(w**2, axis=1) * np.sum(template**2, axis=1))
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _middle(ordered: list[float]) -> float:
    """Median of sorted values as ``nan_median_rows`` takes it: ``(low + high) / 2``."""
    high = len(ordered) // 2
    low = high if len(ordered) % 2 else high - 1
    return (ordered[low] + ordered[high]) / 2


def _matched(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """``signal_quality_features._matched``: beats of `a` with one of `b` within `tol`."""
    if a.size == 0 or b.size == 0:
        return np.zeros(a.size, dtype=bool)
    j = np.minimum(np.maximum(np.searchsorted(b, a), 1), max(1, b.size - 1))
    left = np.abs(b[np.minimum(j - 1, b.size - 1)] - a)
    right = np.abs(b[np.minimum(j, b.size - 1)] - a)
    return np.minimum(left, right) <= tol


def _noise_rms(band: np.ndarray, peaks: np.ndarray, start: int, end: int,
               mask_half: int) -> float:
    """``noise_rms(band, peaks, starts, mask_half)`` of the segment ``[start, end)``."""
    n = band.size
    edges = (np.bincount(np.maximum(0, peaks - mask_half), minlength=n + 1)
             - np.bincount(np.minimum(n, peaks + mask_half + 1), minlength=n + 1))
    quiet = np.cumsum(edges[:-1]) == 0
    count = int(np.count_nonzero(quiet[start:end]))
    # reduceat over [start, end): the very slice and call of the offline pass
    power = np.add.reduceat(np.where(quiet, band, 0.0) ** 2,
                            [start] if end == n else [start, end])[0]
    return np.sqrt(power / max(count, 1))


@lru_cache(maxsize=16)
def _layout(n: int, seg: int, ctx: int) -> tuple[np.ndarray, ...]:
    """Each segment's start and end, and its context window's ``[a, b)`` (as measures)."""
    starts = np.arange(0, n, seg, dtype=np.int64)
    ends = np.minimum(starts + seg, n)
    a = np.maximum(0, np.minimum(starts + seg // 2 - ctx // 2, n - ctx))
    b = np.minimum(n, a + ctx)
    for array in (starts, ends, a, b):
        array.flags.writeable = False
    return starts, ends, a, b


def _median(x: np.ndarray) -> float:
    """``np.median(x)`` of a 1-D finite array (the same two values, the same mean)."""
    half = x.size // 2
    if x.size % 2:
        return np.partition(x, half)[half]
    part = np.partition(x, [half - 1, half])
    return (part[half - 1] + part[half]) / 2.0


def stretch_index(x: np.ndarray, fs: float, seg: int, ctx: int, peaks: np.ndarray,
                  row: int) -> float:
    """``_quality(x, fs, seg, ctx, peaks).index[row]``, computed for that stretch only.

    Parameters
    ----------
    x : numpy.ndarray, shape (n,)
        One lead, finite float64.
    fs : float
        Sampling frequency in Hz.
    seg, ctx : int
        Segment and context lengths in samples (``ctx >= seg``).
    peaks : numpy.ndarray of int64
        The robust detector's beats in `x`, sorted.
    row : int
        The segment (``x[row * seg : (row + 1) * seg]``), ``0 <= row * seg < n``.

    Returns
    -------
    float
        The segment's quality index, equal bit for bit to the offline function's.
    """
    n = x.size
    if n < 3:
        return 0.0
    if peaks.size > _BEATS_PER_BLOCK:  # the template twin's block: hours, not 6 s
        return float(_quality(x, fs, seg, ctx, peaks).index[row])
    exponent = int(np.frexp(np.abs(x).max())[1])
    x = np.ldexp(x, -exponent)
    starts, ends, a, b = _layout(n, seg, ctx)
    middle = _median(x)
    first_lo, first_hi = np.searchsorted(peaks, a), np.searchsorted(peaks, b)
    valid = (first_hi > first_lo) & ~unusable(x, starts, ends, middle)
    if not valid[row]:
        return 0.0
    lo, hi, start, end = int(first_lo[row]), int(first_hi[row]), int(starts[row]), int(ends[row])
    passes = _Passes(fs)
    band = passes.band_pass(x - middle)
    second = passes.slope_peaks(band)
    tol = _MATCH_S * fs
    ok_first, ok_second = _matched(peaks, second, tol), _matched(second, peaks, tol)
    second_lo, second_hi = np.searchsorted(second, [a[row], b[row]])
    block = min(_CHUNK, starts.size - row // _CHUNK * _CHUNK)  # window_measures' block
    base, kurt, qrs, high = _window(x, int(a[row]), int(b[0] - a[0]), fs, block)
    heights = _qrs_heights(band, peaks[lo:hi], round(_QRS_HALF_S * fs))
    noise = _noise_rms(band, peaks, start, end, round(_QRS_MASK_S * fs))
    height = _middle(np.sort(heights).tolist())
    ratio = height / noise if noise > 0 else np.inf
    both = int(ok_first[lo:hi].sum()) + int(ok_second[second_lo:second_hi].sum())
    agree = both / max(hi - lo + second_hi - second_lo, 1)
    total = np.concatenate([[0.0], np.cumsum(passes.template_correlation(x, peaks))])
    template = (total[hi] - total[lo]) / (hi - lo)
    values = np.array([ratio, base, agree, kurt, qrs, high, template])
    # the logistic model on as many rows as the offline call has valid segments: the
    # BLAS product's rounding can depend on that count
    rows = np.repeat(values[None, : len(NAMES)], int(valid.sum()), axis=0)
    return float(_combine(rows)[int(valid[:row].sum())])
