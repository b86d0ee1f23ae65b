"""Signal quality of an ECG, per short segment: ``heartbeat.quality(signal, fs)``.

:func:`quality` returns a :class:`SignalQuality`; its method ``at(samples)`` gives the
quality of the segment holding each sample (the one line that wires quality into a
beat pipeline: ``heartbeat.quality(x, fs).at(beats.r_peaks)``).

The index of each segment is the mean of three measures, each mapped to 0..1, taken
over a context window of `context_s` seconds centred on the segment (after the
signal-quality indices of Li, Mark & Clifford, Physiol Meas 29:15-32, 2008, and
Clifford et al., Physiol Meas 33:1419-1433, 2012):

``qrs_to_noise``
    The median peak-to-peak height of the QRS complexes found by
    :func:`heartbeat.detect_r_peaks` (band-passed 5-15 Hz, within 50 ms of each
    peak) over the RMS of the band-passed signal *outside* the QRS complexes (beyond
    80 ms of every peak) within the segment itself.  Mapped linearly from 3 (0) to
    12 (1); clean MIT-BIH ECG gives about 15-20.
``baseline``
    basSQI: ``1 - P(0-1 Hz) / P(0-40 Hz)`` of the mean-removed signal.  Mapped
    linearly from 0.4 (0) to 0.85 (1).
``agreement``
    bSQI-like: the share of the beats found in the window by
    :func:`heartbeat.detect_r_peaks` or by a second, simpler detector (maxima of
    the 100 ms mean of the squared slope above 0.3 of the local typical maximum,
    250 ms apart) that the other detector also found within 150 ms (1 when both
    find the same beats).

A segment whose signal is flat (at least 90 % of its sample-to-sample steps are
zero) or clipped (at least 5 % of its samples at one of the record's extreme values,
unless that extreme lies within a tenth of the range from the median: a baseline,
not a clipped excursion) gets 0, as does a segment with no beat in its context.
The thresholds were set from the literature's clean-ECG values and checked on the
MIT-BIH noise stress test (``benchmarks/nst.py``, results in docs/benchmarks.md);
they are not fitted to any test set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heartbeat._validate import as_fs, as_indices, as_positive, as_real, as_signal

__all__ = ["UNREADABLE_BELOW", "SignalQuality", "quality"]

UNREADABLE_BELOW = 0.35
"""The quality index below which a stretch counts as unreadable in
:func:`heartbeat.segment` and :func:`heartbeat.classify` (chosen by folds over the
MIT-BIH records so that clean recordings lose almost no beat: docs/benchmarks.md,
"Signal quality in segment and classify")."""

SEGMENT_S = 2.0
"""Default segment length of :func:`quality`, seconds."""

CONTEXT_S = 6.0
"""Default context window of :func:`quality`, seconds."""

_QRS_HALF_S = 0.05  # QRS height window, each side of the peak
_QRS_MASK_S = 0.08  # samples this near a peak are not noise
_MATCH_S = 0.15  # detector agreement window


@dataclass(frozen=True)
class SignalQuality:
    """The quality index of each segment of an ECG.

    Attributes
    ----------
    index : numpy.ndarray of float64, shape (n_segments,)
        Quality in 0..1 (module docstring): 1 = clean, 0 = unusable.
    starts : numpy.ndarray of int64, shape (n_segments,)
        First sample of each segment; a segment holds `segment_samples` samples
        (the last may be shorter).
    segment_samples : int
        Segment length in samples.
    n_samples : int
        Length of the signal.
    fs : float
        Sampling frequency in Hz.
    qrs_to_noise, baseline, agreement : numpy.ndarray of float64
        The three measures before mapping (NaN where a segment has no beat).
    """

    index: np.ndarray
    starts: np.ndarray
    segment_samples: int
    n_samples: int
    fs: float
    qrs_to_noise: np.ndarray
    baseline: np.ndarray
    agreement: np.ndarray

    def at(self, samples: object) -> np.ndarray:
        """Return the quality index of the segment that holds each sample.

        Parameters
        ----------
        samples : array_like of int
            Sample indices (e.g. ``beats.r_peaks``), each < ``self.n_samples``.

        Returns
        -------
        numpy.ndarray of float64
            One quality value per sample index.

        Raises
        ------
        ValueError
            If an index is negative or beyond the signal.

        Examples
        --------
        >>> import numpy as np
        >>> fs = 250.0
        >>> t = np.arange(int(20 * fs)) / fs
        >>> ecg = np.exp(-(((t % 0.8) - 0.4) ** 2) / (2 * 0.01**2))
        >>> q = quality(ecg, fs)
        >>> q.at([100, 4000]).round(2)
        array([1., 1.])
        """
        idx = as_indices(samples, "samples", self.n_samples, unique=False)
        return self.index[idx // self.segment_samples]

    def spans_below(self, threshold: float) -> np.ndarray:
        """Return the stretches whose quality index is below `threshold`.

        Parameters
        ----------
        threshold : float
            Quality index in [0, 1]; segments scoring below it are reported, and
            neighbouring ones are joined into one stretch.

        Returns
        -------
        numpy.ndarray of int64, shape (n_stretches, 2)
            ``[start, stop)`` sample indices of each stretch, in time order.

        Raises
        ------
        ValueError
            If `threshold` is not a number in [0, 1].

        Examples
        --------
        >>> import numpy as np
        >>> fs = 250.0
        >>> t = np.arange(int(20 * fs)) / fs
        >>> ecg = np.exp(-(((t % 0.8) - 0.4) ** 2) / (2 * 0.01**2))
        >>> ecg[2000:3000] = 0.0  # 4 s without signal
        >>> quality(ecg, fs).spans_below(0.25)
        array([[2000, 3000]])
        """
        threshold = as_real(threshold, "threshold", low=0.0, high=1.0)
        return _spans(self.index < threshold, self.starts, self.segment_samples,
                      self.n_samples)


def _spans(low: np.ndarray, starts: np.ndarray, seg: int, n: int) -> np.ndarray:
    """Join the runs of True in `low` (one per segment) into ``[start, stop)`` samples."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], low.astype(np.int8), [0]])))
    runs = edges.reshape(-1, 2)
    out = np.empty((runs.shape[0], 2), dtype=np.int64)
    out[:, 0] = starts[runs[:, 0]] if runs.size else 0
    out[:, 1] = np.minimum(runs[:, 1] * seg, n) if runs.size else 0
    return out


def _moving_mean(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving mean over `width` samples (shorter at the ends)."""
    width = max(1, int(width))
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(x.size)
    lo = np.clip(i - width // 2, 0, x.size)
    hi = np.clip(i - width // 2 + width, 0, x.size)
    return (c[hi] - c[lo]) / (hi - lo)


def _band_pass(x: np.ndarray, fs: float) -> np.ndarray:
    """About 5-15 Hz: two 25 ms moving means minus two 120 ms ones (zero phase)."""
    short, long = round(0.025 * fs), round(0.12 * fs)
    return (_moving_mean(_moving_mean(x, short), short)
            - _moving_mean(_moving_mean(x, long), long))


def _slope_peaks(band: np.ndarray, fs: float) -> np.ndarray:
    """Find beats a second way: maxima of the squared slope's 100 ms mean, 250 ms apart.

    A maximum counts when it passes 0.3 x the median of the 2 s block maxima within
    +-8 s; the largest maxima are taken first.
    """
    energy = _moving_mean(np.gradient(band) ** 2, round(0.1 * fs))
    block = max(1, round(2 * fs))
    n_blocks = -(-energy.size // block)
    padded = np.zeros(n_blocks * block)
    padded[: energy.size] = energy
    maxima = padded.reshape(n_blocks, block).max(axis=1)
    typical = np.array([np.median(maxima[max(0, b - 4): b + 5]) for b in range(n_blocks)])
    threshold = 0.3 * typical[np.arange(energy.size) // block]
    cand = np.flatnonzero((energy[1:-1] > energy[:-2]) & (energy[1:-1] >= energy[2:])) + 1
    cand = cand[energy[cand] > threshold[cand]]
    refractory = round(0.25 * fs)
    taken = np.zeros(energy.size, dtype=bool)
    kept = []
    for p in cand[np.argsort(-energy[cand], kind="stable")]:
        if not taken[max(0, p - refractory): p + refractory + 1].any():
            taken[p] = True
            kept.append(p)
    return np.sort(np.asarray(kept, dtype=np.int64))


def _matched(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """Mask of the beats of `a` with a beat of `b` within `tol` samples (both sorted)."""
    if a.size == 0 or b.size == 0:
        return np.zeros(a.size, dtype=bool)
    j = np.clip(np.searchsorted(b, a), 1, max(1, b.size - 1))
    left = np.abs(b[np.minimum(j - 1, b.size - 1)] - a)
    right = np.abs(b[np.minimum(j, b.size - 1)] - a)
    return np.minimum(left, right) <= tol


def _baseline_ratios(x: np.ndarray, a: np.ndarray, width: int, fs: float) -> np.ndarray:
    """Return basSQI, 1 - P(0-1 Hz) / P(0-40 Hz), of each window ``x[a_k : a_k + width]``."""
    out = np.empty(a.size)
    f = np.fft.rfftfreq(width, 1.0 / fs)
    views = np.lib.stride_tricks.sliding_window_view(x, width)
    for lo in range(0, a.size, 256):  # a few MB at a time
        w = views[a[lo:lo + 256]]
        power = np.abs(np.fft.rfft(w - w.mean(axis=1, keepdims=True), axis=1)) ** 2
        total = power[:, f <= 40.0].sum(axis=1)
        low = power[:, f <= 1.0].sum(axis=1)
        out[lo:lo + 256] = np.where(total > 0, 1.0 - low / np.where(total > 0, total, 1), 0)
    return out


def _qrs_heights(band: np.ndarray, peaks: np.ndarray, half: int) -> np.ndarray:
    """Peak-to-peak height of `band` within `half` samples of each peak."""
    edge = np.full(half, np.nan)
    views = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([edge, band, edge]), 2 * half + 1)[peaks]
    return np.nanmax(views, axis=1) - np.nanmin(views, axis=1)


def _noise_rms(band: np.ndarray, peaks: np.ndarray, starts: np.ndarray, mask_half: int
               ) -> np.ndarray:
    """RMS of `band` per segment over the samples farther than `mask_half` from a peak."""
    n = band.size
    edges = np.zeros(n + 1, dtype=np.int64)
    np.add.at(edges, np.maximum(0, peaks - mask_half), 1)
    np.add.at(edges, np.minimum(n, peaks + mask_half + 1), -1)
    quiet = np.cumsum(edges[:-1]) == 0
    count = np.add.reduceat(quiet.astype(np.int64), starts)
    power = np.add.reduceat(np.where(quiet, band, 0.0) ** 2, starts)
    return np.sqrt(power / np.maximum(count, 1))


def _clip_levels(x: np.ndarray) -> tuple[float, float]:
    """Return the record's extreme values where they can be clipping, else -inf / +inf.

    An extreme within a tenth of the range from the median is the baseline itself
    (a synthetic ECG resting on exactly 0 between beats), not a clipped excursion.
    """
    lowest, highest, middle = float(x.min()), float(x.max()), float(np.median(x))
    near = 0.1 * (highest - lowest)
    return (lowest if middle - lowest > near else -np.inf,
            highest if highest - middle > near else np.inf)


def _unusable(x: np.ndarray, starts: np.ndarray, ends: np.ndarray, lowest: float,
              highest: float) -> np.ndarray:
    """Flat (>= 90 % zero steps) or clipped (>= 5 % of samples at the clip levels)."""
    zero_steps = np.concatenate([[0], np.cumsum(np.diff(x) == 0)])
    at_level = np.concatenate([[0], np.cumsum((x == lowest) | (x == highest))])
    size = ends - starts
    flat = zero_steps[np.maximum(ends - 1, starts)] - zero_steps[starts] >= 0.9 * (size - 1)
    clipped = at_level[ends] - at_level[starts] >= 0.05 * size
    return (size < 2) | flat | clipped


def quality(signal: object, fs: float, *, segment_s: float = SEGMENT_S,
            context_s: float = CONTEXT_S) -> SignalQuality:
    """Return the quality index of each `segment_s` segment of a single-lead ECG.

    Parameters
    ----------
    signal : array_like, shape (n_samples,)
        One ECG lead, any unit and polarity, finite values.
    fs : float
        Sampling frequency in Hz.
    segment_s : float, default 2.0
        Segment length (the resolution of the result) in seconds.
    context_s : float, default 6.0
        Window centred on each segment over which the QRS height, the baseline and
        the detector agreement are measured (a few beats).

    Returns
    -------
    SignalQuality
        The index per segment (module docstring) and its three measures.

    Raises
    ------
    TypeError
        If `signal` is not a real numeric array or `fs` not a number.
    ValueError
        If `signal` is not 1-D or holds NaN/inf, or `fs`, `segment_s` or `context_s`
        is not > 0.
    """
    x = as_signal(signal, "signal")
    fs = as_fs(fs)
    seg = max(1, round(as_positive(segment_s, "segment_s", "seconds") * fs))
    ctx = max(seg, round(as_positive(context_s, "context_s", "seconds") * fs))
    return _quality(x, fs, seg, ctx)


def _quality(x: np.ndarray, fs: float, seg: int, ctx: int,
             peaks: np.ndarray | None = None) -> SignalQuality:
    """:func:`quality` on checked inputs, in samples; `peaks`: ``detect_r_peaks(x, fs)``.

    A caller that has already run the robust detector on `x` passes its peaks, so
    they are not found twice; `x` is 1-D, finite, float64.
    """
    n = x.size
    starts = np.arange(0, n, seg, dtype=np.int64)
    ratio = np.full(starts.size, np.nan)
    base = np.full(starts.size, np.nan)
    agree = np.zeros(starts.size)
    index = np.zeros(starts.size)
    if n < 3:
        return SignalQuality(index, starts, seg, n, fs, ratio, base, agree)
    if peaks is None:
        from heartbeat._jit import resolve_backend
        from heartbeat.detect import _detect

        peaks = _detect(x, fs, "robust", resolve_backend("auto"))
    # a power of two brings the largest magnitude near 1 (exact): no overflow in the
    # squares below, and the index, made of ratios, does not change
    exponent = int(np.frexp(np.abs(x).max())[1])
    x = np.ldexp(x, -exponent)
    band = _band_pass(x - np.median(x), fs)
    second = _slope_peaks(band, fs)
    # matched over the whole record, so a beat near a window's edge is not orphaned
    tol = _MATCH_S * fs
    ok_first, ok_second = _matched(peaks, second, tol), _matched(second, peaks, tol)
    # each segment [s, e) and its context [a, b) (all contexts hold min(n, ctx) samples)
    ends = np.minimum(starts + seg, n)
    a = np.maximum(0, np.minimum(starts + seg // 2 - ctx // 2, n - ctx))
    b = np.minimum(n, a + ctx)
    base = _baseline_ratios(x, a, b[0] - a[0], fs)
    first_lo, first_hi = np.searchsorted(peaks, a), np.searchsorted(peaks, b)
    second_lo, second_hi = np.searchsorted(second, a), np.searchsorted(second, b)
    n_first, n_second = first_hi - first_lo, second_hi - second_lo
    valid = (n_first > 0) & ~_unusable(x, starts, ends, *_clip_levels(x))
    heights = _qrs_heights(band, peaks, round(_QRS_HALF_S * fs))
    noise = _noise_rms(band, peaks, starts, round(_QRS_MASK_S * fs))
    for k in np.flatnonzero(valid).tolist():
        height = float(np.median(heights[first_lo[k]:first_hi[k]]))
        ratio[k] = height / noise[k] if noise[k] > 0 else np.inf
    first_ok = np.concatenate([[0], np.cumsum(ok_first)])
    second_ok = np.concatenate([[0], np.cumsum(ok_second)])
    both = (first_ok[first_hi] - first_ok[first_lo]) + (second_ok[second_hi]
                                                         - second_ok[second_lo])
    agree[valid] = both[valid] / (n_first + n_second)[valid]
    index[valid] = (np.clip((ratio[valid] - 3.0) / 9.0, 0, 1)
                    + np.clip((base[valid] - 0.4) / 0.45, 0, 1) + agree[valid]) / 3.0
    return SignalQuality(index, starts, seg, n, fs, ratio, base, agree)

