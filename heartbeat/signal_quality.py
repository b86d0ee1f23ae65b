"""Signal quality of an ECG, per short segment: ``heartbeat.quality(signal, fs)``.

:func:`quality` returns a :class:`SignalQuality`; its method ``at(samples)`` gives the
quality of the segment holding each sample (the one line that wires quality into a
beat pipeline: ``heartbeat.quality(x, fs).at(beats.r_peaks)``).

Scale and meaning.  The index of a segment is a probability in 0..1: that of a
logistic model, given seven measures of the segment's context window (`context_s`
seconds centred on it), that the segment is noise-free ECG rather than ECG under the
noise of the MIT-BIH Noise Stress Test (electrode motion, baseline wander or muscle
noise at 12, 6 or 0 dB SNR), the two counted as equally likely.  Clean MIT-BIH
segments (lead 0, the first 5 minutes of the 48 records) score a median 0.90, a tenth
of them below 0.43; segments under noise at 0 dB a median 0.03 (electrode-motion
model), 0.02 (baseline wander) and 0.003 (muscle noise) (``benchmarks/quality_scale.py``,
with the current detector); a segment that is flat,
clipped or holds no beat in its context scores exactly 0.
Values near 1 do not certify a diagnosis-grade signal, and values in the middle are
common on clean recordings with odd morphology (many ectopic beats, low QRS): the
index ranks segments; :data:`UNREADABLE_BELOW` (0.002) marks the ones the model is
almost sure hold noise.

The measures (:mod:`heartbeat.signal_quality_features`, after the signal-quality
indices of Li, Mark & Clifford, Physiol Meas 29:15-32, 2008, and Clifford et al.,
Physiol Meas 33:1419-1433, 2012): ``qrs_to_noise`` (QRS height over the noise between
the QRS complexes), ``baseline`` (basSQI), ``agreement`` (of the robust detector and a
simpler one), ``kurtosis`` (kSQI), ``qrs_band`` (pSQI), ``high_band`` (power above
40 Hz over the QRS band's) and ``template`` (how alike neighbouring beats are).  The
model's inputs (:func:`_inputs`) are the logarithms of the four ratios, clipped, and
the three shares as they are; its eight constants (:data:`_INTERCEPT`,
:data:`_WEIGHTS`) were fitted on all 48 MIT-BIH records with the first half of each
noise record, by the rule and protocol written down before scoring in
docs/benchmarks.md ("Signal quality: the protocol over records"); held out by
records and noise, the model's AUC at 6 dB is 0.918 (em model), 0.965 (bw) and
0.955 (ma) (``benchmarks/quality_auc.py``).

A segment is flat when at least 90 % of its sample-to-sample steps are zero, and
clipped when at least 5 % of its samples sit at one of the record's extreme values
(unless that extreme lies within a tenth of the range from the median: a baseline,
not a clipped excursion).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heartbeat._validate import as_fs, as_indices, as_positive, as_real, as_signal
from heartbeat.signal_quality_features import NAMES, measures

__all__ = ["UNREADABLE_BELOW", "SignalQuality", "quality"]

UNREADABLE_BELOW = 0.002
"""The quality index below which a stretch counts as unreadable in
:func:`heartbeat.segment` and :func:`heartbeat.classify`: where the index's model is
99.8 % sure the stretch carries noise (chosen by folds over the MIT-BIH records so
that clean recordings lose almost no beat: docs/benchmarks.md, "Signal quality in
segment and classify")."""

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
        array([0.99, 0.99])
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
        Window centred on each segment over which the measures are taken (a few
        beats).  The index's model was fitted with 2 s segments in 6 s contexts;
        other lengths are allowed but were not validated.

    Returns
    -------
    SignalQuality
        The index per segment (module docstring) and the seven measures behind it.

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


def quality_on_peaks(x: np.ndarray, fs: float, peaks: np.ndarray, seg: int,
                     ctx: int) -> SignalQuality:
    """:func:`quality` of one lead whose robust-detector peaks are already known.

    The package's internal entry (not exported, no checks): :mod:`heartbeat.detect`
    and :func:`heartbeat.segment` have detected the lead already.

    Parameters
    ----------
    x : numpy.ndarray, shape (n,)
        One lead, finite float64.
    fs : float
        Sampling frequency in Hz (> 0).
    peaks : numpy.ndarray of int64
        Sorted beats in `x`: the robust detector's on `x`, or the ones to score it on
        (e.g. the beats found on several leads together).
    seg, ctx : int
        Segment and context lengths in samples (``ctx >= seg >= 1``).

    Returns
    -------
    SignalQuality
        As :func:`quality` returns it; the same index bit for bit when `peaks` are
        ``detect_r_peaks(x, fs)``.
    """
    return _quality(x, fs, seg, ctx, peaks)


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
    # a product by a normal power of two rounds as ldexp does, in a fifth of the time
    scaled = x * 2.0**-exponent if abs(exponent) < 1000 else np.ldexp(x, -exponent)
    values, valid = measures(scaled, fs, seg, ctx, peaks)
    index[valid] = _combine(values[valid])
    return SignalQuality(index, starts, seg, n, fs, values)


_INTERCEPT = -14.779105936124141
_WEIGHTS = (0.7695524078794818, 5.669763073771401, 4.798106936281965,
            0.6298000112919376, 2.7923002536366246, 0.19754996781763184,
            1.865111054337372)
"""The logistic model of the index, one weight per column of :func:`_inputs` (module
docstring; fitted by ``benchmarks/quality_auc.py choose``)."""


def _inputs(values: np.ndarray) -> np.ndarray:
    """Return the logistic model's inputs from the measures (rows of `NAMES`).

    The ratios enter as logarithms, clipped to ranges clean and noisy ECG both lie in,
    so that no single measure can push the index to an extreme on its own.
    """
    ratio, base, agree, kurt, qrs, high, template = values.T
    return np.stack([np.log(np.clip(ratio, 0.5, 200.0)), base, agree,
                     np.log(np.clip(kurt, 1.0, 200.0)), qrs,
                     np.log10(np.clip(high, 1e-4, 10.0)), template], axis=1)


def _combine(values: np.ndarray) -> np.ndarray:
    """Return the index of scorable segments from their measures (rows of `NAMES`)."""
    return 1.0 / (1.0 + np.exp(-(_INTERCEPT + _inputs(values) @ np.asarray(_WEIGHTS))))
