"""The measures behind :func:`heartbeat.quality`, each per segment over its context window.

Every function here trusts its inputs (1-D finite float64 signal scaled to a largest
magnitude near 1, sorted peak indices); :mod:`heartbeat.signal_quality` validates and
combines.  All measures are unchanged when the signal is multiplied by a positive or
negative constant.  :func:`measures` returns them in the order of :data:`NAMES`:

``qrs_to_noise``
    Median peak-to-peak height of the QRS complexes (5-15 Hz band, within 50 ms of each
    detected beat) over the RMS of that band outside the QRS complexes (beyond 80 ms of
    every beat) within the segment itself.
``baseline``
    basSQI, ``1 - P(0-1 Hz) / P(0-40 Hz)`` of the context (Li, Mark & Clifford 2008).
``agreement``
    bSQI-like: the share of the beats found in the context by the robust detector or by
    a second, simpler one (:func:`slope_peaks`) that the other also found within 150 ms.
``kurtosis``
    kSQI: the kurtosis of the context (about 3 for Gaussian noise, 10 and more for a
    clean ECG, whose QRS complexes are rare large excursions).
``qrs_band``
    pSQI: ``P(5-15 Hz) / P(5-40 Hz)`` of the context, the QRS band's share.
``high_band``
    ``P(40-100 Hz) / P(5-15 Hz)`` of the context (muscle and electrode noise reach far
    above the QRS band); 0 when the sampling rate leaves no band above 40 Hz.
``template``
    Mean correlation of each beat's waveform (+-120 ms, baseline removed) in the context
    with the median of its four neighbours' waveforms: repeated beats look alike, noise
    does not.
"""

from __future__ import annotations

import numpy as np

from heartbeat._jit import resolve_backend
from heartbeat._quality_kernels import (
    BAND_POWERS,
    CENTRED_WINDOWS,
    MOVING_MEAN,
    PAIRWISE_BLOCK,
    QUIET_SQUARES,
    SEGMENT_COUNTS,
    SLOPE_CANDIDATES,
    SQUARED_SLOPE,
    SUPPRESS,
    TEMPLATE_CORRELATION,
    pairwise_plan,
)

NAMES = ("qrs_to_noise", "baseline", "agreement", "kurtosis", "qrs_band", "high_band",
         "template")

_QRS_HALF_S = 0.05  # QRS height window, each side of the peak
_QRS_MASK_S = 0.08  # samples this near a peak are not noise
_MATCH_S = 0.15  # detector agreement window
_BEAT_HALF_S = 0.12  # beat waveform for the template correlation, each side
_CHUNK = 256  # context windows transformed at a time (a few MB)


def moving_mean(x: np.ndarray, width: int, out: np.ndarray | None = None) -> np.ndarray:
    """Centred moving mean over `width` samples (shorter at the ends).

    `out` may be `x` itself: both kernels read a sample before they overwrite it.
    """
    out = np.empty(x.size) if out is None else out
    MOVING_MEAN.get(_backend())(x, max(1, int(width)), out)
    return out


def _backend() -> str:
    """Return the kernels' backend: Numba when it can compile, else the NumPy twins."""
    return resolve_backend("auto")


def band_pass(x: np.ndarray, fs: float) -> np.ndarray:
    """About 5-15 Hz: two 25 ms moving means minus two 120 ms ones (zero phase)."""
    short, long = round(0.025 * fs), round(0.12 * fs)
    low = moving_mean(x, short)
    moving_mean(low, short, out=low)  # the second passes in place: two arrays, not four
    high = moving_mean(x, long)
    moving_mean(high, long, out=high)
    low -= high
    return low


def slope_peaks(band: np.ndarray, fs: float) -> np.ndarray:
    """Find beats a second way: maxima of the squared slope's 100 ms mean, 250 ms apart.

    A maximum counts when it passes 0.3 x the median of the 2 s block maxima within
    +-8 s; the largest maxima are taken first.
    """
    slope_sq = np.empty(band.size)
    SQUARED_SLOPE.get(_backend())(band, slope_sq)
    energy = moving_mean(slope_sq, round(0.1 * fs), out=slope_sq)
    block = max(1, round(2 * fs))
    # each block's maximum; a shorter last block counts as padded with zeros
    maxima = np.maximum.reduceat(energy, np.arange(0, energy.size, block))
    if energy.size % block:
        maxima[-1] = max(maxima[-1], 0.0)
    around = np.concatenate([np.full(4, np.nan), maxima, np.full(4, np.nan)])
    typical = nan_median_rows(np.lib.stride_tricks.sliding_window_view(around, 9))
    cand = np.empty(max(energy.size - 2, 0), dtype=np.int64)
    cand = cand[: SLOPE_CANDIDATES.get(_backend())(energy, typical, block, cand)]
    refractory = round(0.25 * fs)
    order = cand[np.argsort(-energy[cand], kind="stable")].astype(np.int64)
    kept = np.empty(order.size, dtype=np.int64)
    count = SUPPRESS.get(_backend())(order, energy.size, refractory, kept)
    return np.sort(kept[:count])


def nan_median_rows(rows: np.ndarray) -> np.ndarray:
    """``np.nanmedian(rows, axis=1)``, bit for bit, for rows holding a number each.

    NumPy takes the median of short rows through masked arrays, tens of microseconds
    of Python per call whatever the size; this is the same rule (sort, the middle
    value or the mean of the middle two as ``(low + high) / 2``) on plain arrays.
    A row of NaN only gives NaN (without NumPy's warning).
    """
    ordered = np.sort(rows, axis=1)  # NaN sort last
    count = rows.shape[1] - np.count_nonzero(np.isnan(rows), axis=1)
    high = count // 2
    low = np.where(count % 2 == 1, high, high - 1)
    r = np.arange(rows.shape[0])
    last = max(rows.shape[1] - 1, 0)
    with np.errstate(invalid="ignore"):
        out = (ordered[r, np.clip(low, 0, last)] + ordered[r, np.minimum(high, last)]) / 2
    out[count == 0] = np.nan
    return out


def _matched(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """Mask of the beats of `a` with a beat of `b` within `tol` samples (both sorted)."""
    if a.size == 0 or b.size == 0:
        return np.zeros(a.size, dtype=bool)
    j = np.clip(np.searchsorted(b, a), 1, max(1, b.size - 1))
    left = np.abs(b[np.minimum(j - 1, b.size - 1)] - a)
    right = np.abs(b[np.minimum(j, b.size - 1)] - a)
    return np.minimum(left, right) <= tol


def window_measures(x: np.ndarray, a: np.ndarray, width: int, fs: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return basSQI, kurtosis, pSQI and the high-band ratio of each ``x[a_k : a_k + width]``.

    One FFT per window serves the three band ratios; a band with no power gives the
    value of a clean window (1, 3, 1, 0), so an all-zero window is left to the flat rule.
    """
    base, kurt, qrs, high = (np.empty(a.size) for _ in range(4))
    f = np.fft.rfftfreq(width, 1.0 / fs)
    # the bins of the bands low, total, qrs, wide and high (f increases: one run each)
    masks = [(f >= lo) & (f < hi) for lo, hi in ((0.0, 1.0 + 1e-9), (0.0, 40.0 + 1e-9),
                                                (5.0, 15.0), (5.0, 40.0), (40.0, 100.0))]
    bins = np.array([(np.argmax(m), np.argmax(m) + np.count_nonzero(m)) for m in masks],
                    dtype=np.int64).T
    centred = CENTRED_WINDOWS.get(_backend())
    starts = a.astype(np.int64)
    plan = pairwise_plan(width)
    for lo in range(0, a.size, _CHUNK):
        rows = starts[lo:lo + _CHUNK]
        w, moments = np.empty((rows.size, width)), np.empty((rows.size, 2))
        centred(x, rows, width, w, moments, *plan)
        power = np.empty((rows.size, len(masks)))
        # NumPy sums a single row's band pairwise, more rows in order: the twin for one
        BAND_POWERS.get(_backend() if rows.size > 1 else "numpy")(
            np.abs(np.fft.rfft(w, axis=1)), bins[0], bins[1], power)
        p = dict(zip(("low", "total", "qrs", "wide", "high"), power.T, strict=True))
        m2, m4 = moments[:, 0], moments[:, 1]
        part = slice(lo, lo + _CHUNK)
        base[part] = _ratio(p["total"] - p["low"], p["total"], 1.0)
        kurt[part] = _ratio(m4, m2**2, 3.0)
        qrs[part] = _ratio(p["qrs"], p["wide"], 1.0)
        high[part] = _ratio(p["high"], p["qrs"], 0.0)
    return base, kurt, qrs, high


def _ratio(num: np.ndarray, den: np.ndarray, empty: float) -> np.ndarray:
    """``num / den``, `empty` where `den` is 0."""
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), empty)


def qrs_heights(band: np.ndarray, peaks: np.ndarray, half: int) -> np.ndarray:
    """Peak-to-peak height of `band` within `half` samples of each peak."""
    edge = np.full(half, np.nan)
    views = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([edge, band, edge]), 2 * half + 1)[peaks]
    return np.nanmax(views, axis=1) - np.nanmin(views, axis=1)


def noise_rms(band: np.ndarray, peaks: np.ndarray, starts: np.ndarray, mask_half: int
              ) -> np.ndarray:
    """RMS of `band` per segment over the samples farther than `mask_half` from a peak."""
    squares, count = np.empty(band.size), np.empty(starts.size, dtype=np.int64)
    QUIET_SQUARES.get(_backend())(band, peaks.astype(np.int64), mask_half,
                                  starts.astype(np.int64), squares, count)
    power = np.add.reduceat(squares, starts)
    return np.sqrt(power / np.maximum(count, 1))


def template_correlation(x: np.ndarray, peaks: np.ndarray, fs: float) -> np.ndarray:
    """Correlation of each beat's waveform with the median of its 4 neighbours' waveforms.

    Waveforms are +-120 ms of `x` minus its 600 ms moving mean; beats at the record's
    ends borrow their missing neighbours from the nearest beats
    (:func:`heartbeat._quality_kernels.template_correlation_twin`).
    """
    if peaks.size < 2:
        return np.zeros(peaks.size)
    half = max(1, round(_BEAT_HALF_S * fs))
    y = moving_mean(x, round(0.6 * fs))
    np.subtract(x, y, out=y)
    out = np.empty(peaks.size)
    # NumPy sums longer waveforms in more than one block: those take the twin
    backend = _backend() if 2 * half + 1 <= PAIRWISE_BLOCK else "numpy"
    TEMPLATE_CORRELATION.get(backend)(y, peaks.astype(np.int64), half, out)
    return out


def clip_levels(x: np.ndarray, middle: float | None = None) -> tuple[float, float]:
    """Return the record's extreme values where they can be clipping, else -inf / +inf.

    An extreme within a tenth of the range from the median is the baseline itself
    (a synthetic ECG resting on exactly 0 between beats), not a clipped excursion.
    `middle` is ``np.median(x)`` when the caller has it already.
    """
    if middle is None:
        middle = np.median(x)
    lowest, highest, middle = float(x.min()), float(x.max()), float(middle)
    near = 0.1 * (highest - lowest)
    return (lowest if middle - lowest > near else -np.inf,
            highest if highest - middle > near else np.inf)


def unusable(x: np.ndarray, starts: np.ndarray, ends: np.ndarray,
             middle: float | None = None) -> np.ndarray:
    """Flat (>= 90 % zero steps) or clipped (>= 5 % of samples at the clip levels).

    `middle` is ``np.median(x)`` when the caller has it already.
    """
    lowest, highest = clip_levels(x, middle)
    zero_steps = np.empty(starts.size, dtype=np.int64)
    at_level = np.empty(starts.size, dtype=np.int64)
    SEGMENT_COUNTS.get(_backend())(x, starts.astype(np.int64), ends.astype(np.int64),
                                   lowest, highest, zero_steps, at_level)
    size = ends - starts
    flat = zero_steps >= 0.9 * (size - 1)
    clipped = at_level >= 0.05 * size
    return (size < 2) | flat | clipped


def _window_median(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Median of ``values[lo_k:hi_k]`` per k (NaN where empty)."""
    width = int(np.max(hi - lo, initial=0))
    if width == 0:
        return np.full(lo.size, np.nan)
    padded = np.concatenate([values, np.full(width, np.nan)])
    rows = padded[lo[:, None] + np.arange(width)]
    rows[np.arange(width) >= (hi - lo)[:, None]] = np.nan
    out = np.full(lo.size, np.nan)
    some = hi > lo
    out[some] = nan_median_rows(rows[some])
    return out


def _window_mean(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mean of ``values[lo_k:hi_k]`` per k (NaN where empty)."""
    total = np.concatenate([[0.0], np.cumsum(values)])
    count = hi - lo
    return np.where(count > 0, (total[hi] - total[lo]) / np.maximum(count, 1), np.nan)


def measures(x: np.ndarray, fs: float, seg: int, ctx: int, peaks: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Return the measures of :data:`NAMES` per segment, and which segments can be scored.

    Parameters
    ----------
    x : numpy.ndarray, shape (n,)
        The signal, n >= 3, scaled so its largest magnitude is about 1.
    fs : float
        Sampling frequency in Hz.
    seg, ctx : int
        Segment and context lengths in samples (``ctx >= seg``).
    peaks : numpy.ndarray of int64
        The robust detector's beats in `x`, sorted.

    Returns
    -------
    values : numpy.ndarray, shape (n_segments, len(NAMES))
        The measures (NaN in the rows that cannot be scored).
    valid : numpy.ndarray of bool, shape (n_segments,)
        False where the segment is flat or clipped or its context holds no beat.
    """
    n = x.size
    starts = np.arange(0, n, seg, dtype=np.int64)
    ends = np.minimum(starts + seg, n)
    # each segment's context [a, b): centred on it, all of min(n, ctx) samples
    a = np.maximum(0, np.minimum(starts + seg // 2 - ctx // 2, n - ctx))
    b = np.minimum(n, a + ctx)
    middle = np.median(x)
    band = band_pass(x - middle, fs)
    second = slope_peaks(band, fs)
    tol = _MATCH_S * fs  # matched over the whole record: no beat orphaned at an edge
    ok_first, ok_second = _matched(peaks, second, tol), _matched(second, peaks, tol)
    first_lo, first_hi = np.searchsorted(peaks, a), np.searchsorted(peaks, b)
    second_lo, second_hi = np.searchsorted(second, a), np.searchsorted(second, b)
    n_first, n_second = first_hi - first_lo, second_hi - second_lo
    valid = (n_first > 0) & ~unusable(x, starts, ends, middle)

    values = np.full((starts.size, len(NAMES)), np.nan)
    base, kurt, qrs, high = window_measures(x, a, int(b[0] - a[0]), fs)
    heights = qrs_heights(band, peaks, round(_QRS_HALF_S * fs))
    noise = noise_rms(band, peaks, starts, round(_QRS_MASK_S * fs))
    height = _window_median(heights, first_lo, first_hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(noise > 0, height / np.where(noise > 0, noise, 1.0), np.inf)
    first_ok = np.concatenate([[0], np.cumsum(ok_first)])
    second_ok = np.concatenate([[0], np.cumsum(ok_second)])
    both = (first_ok[first_hi] - first_ok[first_lo]) + (second_ok[second_hi]
                                                         - second_ok[second_lo])
    agree = both / np.maximum(n_first + n_second, 1)
    template = _window_mean(template_correlation(x, peaks, fs), first_lo, first_hi)
    for column, value in enumerate((ratio, base, agree, kurt, qrs, high, template)):
        values[valid, column] = value[valid]
    return values, valid
