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
from heartbeat.signal_quality_features import NAMES, measures

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
    measures : numpy.ndarray of float64, shape (n_segments, 7)
        The measures behind the index, one column per name of :attr:`measure_names`
        (:mod:`heartbeat.signal_quality_features`); NaN where a segment cannot be
        scored (flat, clipped, or no beat in its context).
    """

    index: np.ndarray
    starts: np.ndarray
    segment_samples: int
    n_samples: int
    fs: float
    measures: np.ndarray

    @property
    def measure_names(self) -> tuple[str, ...]:
        """Names of the columns of :attr:`measures`."""
        return NAMES

    @property
    def qrs_to_noise(self) -> np.ndarray:
        """QRS height over the noise between QRS complexes (column of :attr:`measures`)."""
        return self.measures[:, NAMES.index("qrs_to_noise")]

    @property
    def baseline(self) -> np.ndarray:
        """basSQI, 1 - P(0-1 Hz) / P(0-40 Hz) (column of :attr:`measures`)."""
        return self.measures[:, NAMES.index("baseline")]

    @property
    def agreement(self) -> np.ndarray:
        """Share of beats both detectors found (column of :attr:`measures`)."""
        return self.measures[:, NAMES.index("agreement")]

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
    values = np.full((starts.size, len(NAMES)), np.nan)
    index = np.zeros(starts.size)
    if n < 3:
        return SignalQuality(index, starts, seg, n, fs, values)
    if peaks is None:
        from heartbeat._jit import resolve_backend
        from heartbeat.detect import _detect

        peaks = _detect(x, fs, "robust", resolve_backend("auto"))
    # a power of two brings the largest magnitude near 1 (exact): no overflow in the
    # squares, and the measures, all ratios, do not change
    exponent = int(np.frexp(np.abs(x).max())[1])
    values, valid = measures(np.ldexp(x, -exponent), fs, seg, ctx, peaks)
    index[valid] = _combine(values[valid])
    return SignalQuality(index, starts, seg, n, fs, values)


def _combine(values: np.ndarray) -> np.ndarray:
    """Return the index of scorable segments from their measures (rows of `NAMES`)."""
    ratio, base, agree = values[:, 0], values[:, 1], values[:, 2]
    return (np.clip((ratio - 3.0) / 9.0, 0, 1) + np.clip((base - 0.4) / 0.45, 0, 1)
            + agree) / 3.0
