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
zero) or clipped (at least 5 % of its samples at the record's extreme values) gets
0, as does a segment with no beat in its context.  The thresholds were set from
the literature's clean-ECG values and checked on the MIT-BIH noise stress test
(``benchmarks/nst.py``, results in docs/benchmarks.md); they are not fitted to any
test set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heartbeat._validate import as_fs, as_indices, as_positive, as_signal

__all__ = ["SignalQuality", "quality"]

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


def _baseline_ratio(x: np.ndarray, fs: float) -> float:
    """basSQI: 1 - P(0-1 Hz) / P(0-40 Hz) of the mean-removed window."""
    power = np.abs(np.fft.rfft(x - x.mean())) ** 2
    f = np.fft.rfftfreq(x.size, 1.0 / fs)
    total = power[f <= 40.0].sum()
    return 1.0 - power[f <= 1.0].sum() / total if total > 0 else 0.0


def _unusable(seg: np.ndarray, lowest: float, highest: float) -> bool:
    """Flat (>= 90 % zero steps) or clipped (>= 5 % of samples at the record's extremes)."""
    if seg.size < 2:
        return True
    flat = np.count_nonzero(np.diff(seg) == 0) >= 0.9 * (seg.size - 1)
    clipped = np.count_nonzero((seg == lowest) | (seg == highest)) >= 0.05 * seg.size
    return bool(flat or (clipped and highest > lowest))


def quality(signal: object, fs: float, *, segment_s: float = 2.0,
                   context_s: float = 6.0) -> SignalQuality:
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
    from heartbeat.detect import detect_r_peaks

    x = as_signal(signal, "signal")
    fs = as_fs(fs)
    seg = max(1, round(as_positive(segment_s, "segment_s", "seconds") * fs))
    ctx = max(seg, round(as_positive(context_s, "context_s", "seconds") * fs))
    n = x.size
    starts = np.arange(0, n, seg, dtype=np.int64)
    ratio = np.full(starts.size, np.nan)
    base = np.full(starts.size, np.nan)
    agree = np.zeros(starts.size)
    index = np.zeros(starts.size)
    if n < 3:
        return SignalQuality(index, starts, seg, n, fs, ratio, base, agree)
    peaks = detect_r_peaks(x, fs)
    band = _band_pass(x - np.median(x), fs)
    second = _slope_peaks(band, fs)
    # matched over the whole record, so a beat near a window's edge is not orphaned
    tol = _MATCH_S * fs
    ok_first, ok_second = _matched(peaks, second, tol), _matched(second, peaks, tol)
    half, mask_half = round(_QRS_HALF_S * fs), round(_QRS_MASK_S * fs)
    lowest, highest = float(x.min()), float(x.max())
    for k, s in enumerate(starts.tolist()):
        e = min(n, s + seg)
        a = max(0, min(s + seg // 2 - ctx // 2, n - ctx))
        b = min(n, a + ctx)
        inside = (peaks >= a) & (peaks < b)
        beats = peaks[inside]
        base[k] = _baseline_ratio(x[a:b], fs)
        if beats.size == 0 or _unusable(x[s:e], lowest, highest):
            continue
        heights = [np.ptp(band[max(0, p - half): p + half + 1]) for p in beats.tolist()]
        quiet = np.ones(e - s, dtype=bool)
        for p in peaks[(peaks >= s - mask_half) & (peaks < e + mask_half)].tolist():
            quiet[max(0, p - mask_half - s): max(0, p + mask_half + 1 - s)] = False
        noise = np.sqrt(np.mean(band[s:e][quiet] ** 2)) if quiet.any() else 0.0
        ratio[k] = float(np.median(heights)) / noise if noise > 0 else np.inf
        inside_second = (second >= a) & (second < b)
        both = np.count_nonzero(ok_first[inside]) + np.count_nonzero(ok_second[inside_second])
        agree[k] = both / (beats.size + np.count_nonzero(inside_second))
        index[k] = (np.clip((ratio[k] - 3.0) / 9.0, 0, 1)
                    + np.clip((base[k] - 0.4) / 0.45, 0, 1) + agree[k]) / 3.0
    return SignalQuality(index, starts, seg, n, fs, ratio, base, agree)

