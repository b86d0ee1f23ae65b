"""Beats and segment(): the seven steps chained over a whole record, vectorised.

:func:`segment` cuts one ECG lead into fixed-length heartbeats and returns them as
:class:`Beats`; its result equals the step-by-step chain of
:mod:`heartbeat.pipeline.steps` exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from heartbeat._missing import fill_missing
from heartbeat._validate import as_fs, as_indices, as_int, as_positive, as_real, as_signal
from heartbeat.pipeline.steps import (
    FLAT_RTOL,
    FS_OUT,
    LENGTH,
    PERIOD_FACTOR,
    THRESHOLD,
    WINDOW_S,
    _crop_length,
    _local_maxima,
    _window_width,
)
from heartbeat.resample import _resample_poly, _resample_ratio

__all__ = ["Beats", "segment"]

Detector = str | Callable[[np.ndarray, float], object]


# ----------------------------------------------------------------------------- results
@dataclasses.dataclass(frozen=True, eq=False)
class Beats:
    """Fixed-length heartbeats cut from one ECG lead, with where they came from.

    Attributes
    ----------
    waveforms : ndarray of float32, shape (n_beats, length)
        One beat per row, starting at its R peak, in [0, 1] (the amplitude of its
        10 s window scaled to [0, 1]); zero from ``crop_length`` on.
    r_peaks : ndarray of int64, shape (n_beats,)
        Sorted, unique R-peak sample indices into the *input* signal (at `fs`).
    window : ndarray of int64, shape (n_beats,)
        Index of the 10 s window (at `fs_out`) each beat was cut from.
    period_s : ndarray of float64, shape (n_beats,)
        The nominal heartbeat period T of the beat's window, in seconds.
    crop_length : ndarray of int64, shape (n_beats,)
        Samples of each row taken from the signal; the rest is zero padding.
    fs : float
        Sampling frequency of the input signal in Hz.
    fs_out : float
        Sampling frequency of `waveforms` in Hz (125 unless asked otherwise).
    length : int
        Samples per beat (187).
    window_s : float
        Window duration in seconds (10).
    detector : str
        Where the R peaks came from: ``"kachuee2018"``, a detection method such as
        ``"robust"``, ``"r_peaks"`` (given by the caller) or a callable's name.
    lead : int
        The column of a several-lead signal the beats were cut from (0 for one lead).
    quality : ndarray of float64, shape (n_beats,)
        Signal quality of the stretch holding each R peak, in [0, 1]: the index of
        :func:`heartbeat.quality` (1 = clean, 0 = unusable) of the 2 s segment
        that holds the peak; with several leads, that of the best lead there (the
        detector reads them all).  NaN where it was not measured
        (``segment(..., quality=False)``, or R peaks given by the caller).
    unreadable : ndarray of int64, shape (n_stretches, 2)
        ``[start, stop)`` sample indices (at `fs`) of the stretches whose quality is
        below the threshold `segment` was given; no beat is returned from them
        (``heartbeat.classify`` returns them as unclassified).  Empty when quality
        was not measured.
    """

    waveforms: np.ndarray
    r_peaks: np.ndarray
    window: np.ndarray
    period_s: np.ndarray
    crop_length: np.ndarray
    fs: float
    fs_out: float = FS_OUT
    length: int = LENGTH
    window_s: float = WINDOW_S
    detector: str = "kachuee2018"
    lead: int = 0
    quality: np.ndarray | None = None
    unreadable: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.quality is None:
            object.__setattr__(self, "quality", np.full(len(self), np.nan))
        if self.unreadable is None:
            object.__setattr__(self, "unreadable", np.zeros((0, 2), dtype=np.int64))

    def __len__(self) -> int:
        return int(self.r_peaks.shape[0])

    def __repr__(self) -> str:
        return (
            f"Beats(n_beats={len(self)}, length={self.length}, fs={self.fs}, "
            f"fs_out={self.fs_out}, detector={self.detector!r})"
        )


# ------------------------------------------------------------------------- the pipeline
def _group_median(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of `values` per group (NaN for an empty group), as ``np.median`` does it."""
    out = np.full(n_groups, np.nan)
    if values.size == 0:
        return out
    order = np.lexsort((values, groups))
    v = values[order]
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    has = counts > 0
    c, s = counts[has], starts[has]
    out[has] = (v[s + (c - 1) // 2] + v[s + c // 2]) / 2
    return out


def _peaks_from(
    detector: Detector, x: np.ndarray, fs: float, leads: np.ndarray | None = None,
    gaps: np.ndarray | None = None,
) -> tuple[np.ndarray | None, str]:
    """R peaks (at `fs`) from a named or callable detector; None for the paper's rule.

    `x` is the lead the beats are cut from; the robust detector uses all of `leads`
    (n_samples, n_leads) when given, the others `x` alone.  `gaps` (bool, like `leads`)
    marks their filled missing samples, for the robust detector's vote.
    """
    if callable(detector):
        name = getattr(detector, "__qualname__", None) or type(detector).__name__
        return as_indices(detector(x, fs), "detector output", x.size), str(name)
    if not isinstance(detector, str):
        raise TypeError(
            f"detector must be a name such as 'kachuee2018' or a function "
            f"f(signal, fs) -> peak indices, got {detector!r}"
        )
    if detector == "kachuee2018":
        return None, detector
    from heartbeat._jit import resolve_backend
    from heartbeat.detect import METHODS, _detect

    if detector not in METHODS:
        raise ValueError(
            f"detector={detector!r} is unknown; choose one of "
            f"{('kachuee2018', *METHODS)} or pass a function"
        )
    # segment() checked the signal and fs: the detector's private entry trusts them
    if leads is None:
        return _detect(x, fs, detector, resolve_backend("auto")), detector
    return _detect(leads, fs, detector, resolve_backend("auto"), gaps), detector


def _lead_of(signal: object, lead: object) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Check `signal` and `lead`: the lead to cut, all leads (None for 1-D) and `lead`."""
    try:
        two_d = np.ndim(signal) >= 2
    except ValueError:  # ragged: as_signal says so
        two_d = False
    if not two_d:
        return as_signal(signal, "signal"), None, as_int(lead, "lead", minimum=0, maximum=0)
    from heartbeat.detect import as_leads

    leads = as_leads(signal, "signal")
    lead = as_int(lead, "lead", minimum=0, maximum=leads.shape[1] - 1)
    return np.ascontiguousarray(leads[:, lead]), leads, lead


def _empty(fs: float, fs_out: float, length: int, window_s: float, name: str, lead: int,
           spans: np.ndarray) -> Beats:
    return _frozen(
        np.zeros((0, length), dtype=np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64),
        np.zeros(0), np.zeros(0, np.int64), fs, fs_out, length, window_s, name, lead,
        np.zeros(0), spans,
    )


def _frozen(*args: object) -> Beats:
    beats = Beats(*args)  # type: ignore[arg-type]
    for f in ("waveforms", "r_peaks", "window", "period_s", "crop_length", "quality",
              "unreadable"):
        getattr(beats, f).setflags(write=False)
    return beats


def _min_quality(quality: object, off_by_default: bool) -> float | None:
    """Return the quality a beat needs under `quality` (None: quality not measured).

    `quality` None is the default: off when `off_by_default`, else the shipped threshold.
    """
    from heartbeat.signal_quality import UNREADABLE_BELOW

    if quality is None:
        return None if off_by_default else UNREADABLE_BELOW
    if quality is True or quality is False:
        return UNREADABLE_BELOW if quality else None
    return as_real(quality, "quality", low=0.0, high=1.0)


def _quality_at(x: np.ndarray, leads: np.ndarray | None, fs: float, p: np.ndarray,
                min_quality: float | None, peaks: np.ndarray | None,
                gaps: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Quality of the stretch of each peak `p` and the unreadable stretches.

    A stretch is unreadable when its quality is below `min_quality` (None: the quality
    is not measured, NaN) or when it holds a sample that `gaps` (bool, like `x`; None:
    none) marks missing: such a stretch has quality 0 whatever the threshold.  With
    several `leads` (None: `x` alone) a stretch is as good as its best lead.  `peaks`
    are the robust detector's peaks when already found (else None).
    """
    if min_quality is None and gaps is None:
        return np.full(p.size, np.nan), np.zeros((0, 2), dtype=np.int64)
    from heartbeat.signal_quality import CONTEXT_S, SEGMENT_S, _quality, _spans

    seg = max(1, round(SEGMENT_S * fs))
    starts = np.arange(0, x.size, seg, dtype=np.int64)
    if min_quality is None:
        index = np.full(starts.size, np.nan)
    else:
        ctx = max(seg, round(CONTEXT_S * fs))
        columns = [x] if leads is None else [np.ascontiguousarray(c) for c in leads.T]
        index = np.max([_quality(c, fs, seg, ctx, peaks).index for c in columns], axis=0)
    below = index < (-np.inf if min_quality is None else min_quality)
    if gaps is not None:
        in_gap = np.logical_or.reduceat(gaps, starts)
        index[in_gap] = 0.0
        below |= in_gap
    return index[p // seg], _spans(below, starts, seg, x.size)


def _lead_gaps(gaps: np.ndarray | None, lead: int
               ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Return every lead's gaps and the cut lead's, from `gaps` (like the signal, or None).

    Every lead's are for the detector's vote (None for one lead); the cut lead's make
    its stretches unreadable (None when it has none).
    """
    if gaps is None:
        return None, None
    cut = gaps if gaps.ndim == 1 else gaps[:, lead]
    return (gaps if gaps.ndim == 2 else None), (cut if cut.any() else None)


def _in_spans(samples: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Return whether each sample lies in one of the sorted ``[start, stop)`` `spans`."""
    if len(spans) == 0:
        return np.zeros(len(samples), dtype=bool)
    at = np.searchsorted(spans[:, 0], samples, side="right") - 1
    return (at >= 0) & (samples < spans[np.maximum(at, 0), 1])


def segment(
    signal: object,
    fs: float,
    *,
    detector: Detector = "robust",
    r_peaks: object = None,
    window_s: float = WINDOW_S,
    threshold: float = THRESHOLD,
    fs_out: float = FS_OUT,
    length: int = LENGTH,
    lead: int = 0,
    quality: bool | float | None = None,
    missing: str = "error",
) -> Beats:
    """Cut one ECG lead into fixed-length heartbeats, following Kachuee et al. (2018).

    Parameters
    ----------
    signal : array_like, shape (n,) or (n, n_leads)
        One ECG lead, or several sampled together (one per column); finite values,
        any unit and offset.  With several leads the beats are cut from column
        `lead`, and the robust detector finds the R peaks on all of them.
    fs : float
        Its sampling frequency in Hz.
    detector : str or callable, default "robust"
        Where the R peaks come from.  ``"robust"`` (the default) calls
        :func:`heartbeat.detect.detect_r_peaks` on the whole signal at `fs`: it finds
        99.8 % of the annotated MIT-BIH beats, where the paper's rule finds about half
        (``docs/benchmarks.md``).  ``"kachuee2018"``: the paper's literal rule (steps
        3-4, per window, at `fs_out`).  A callable ``f(signal, fs)`` returning sample
        indices at `fs` is used the same way.  Ignored when `r_peaks` is given.
    r_peaks : array_like of int, optional
        Your own R-peak sample indices into `signal` (at `fs`), e.g. annotations.
        Sorted and made unique; each one yields a beat (see Notes).
    window_s : float, default 10.0
        Window duration in seconds (step 1).
    threshold : float, default 0.9
        Threshold on the normalised maxima (step 4, paper's rule only).
    fs_out : float, default 125.0
        Rate of the beats in Hz; the signal is resampled to it first.
    length : int, default 187
        Samples per beat (step 7).
    lead : int, default 0
        The column of a several-lead `signal` to cut the beats from (and the one a
        ``"kachuee2018"`` or callable detector sees); ``Beats.lead`` records it.
    quality : bool or float, optional
        Signal quality.  The quality index of :func:`heartbeat.quality` is measured
        on the leads the detector reads (with several leads and the robust detector,
        on each, and a stretch is as good as its best lead); stretches scoring
        below a threshold are unreadable: they are reported (``Beats.unreadable``)
        and the peaks found in them are not returned as beats.  True: the threshold
        :data:`heartbeat.signal_quality.UNREADABLE_BELOW` (0.002), which loses almost
        no beat of a clean recording (docs/benchmarks.md, "Signal quality in segment
        and classify"); a number in [0, 1] is the threshold itself (0 measures the
        quality and keeps every beat); False measures nothing (``Beats.quality`` is
        NaN).  Default: True when the robust detector finds the peaks, False when
        `r_peaks` are given (each given peak yields a beat) or with
        ``detector="kachuee2018"`` (the paper's rule, as published).
    missing : {"error", "unreadable"}, default "error"
        What NaN samples mean (:func:`heartbeat.read_record` gives a WFDB record's
        invalid samples as NaN).  ``"error"``: a ValueError.  ``"unreadable"``: gaps
        in the signal; each is filled by a straight line for the detector and the
        filters, and every quality stretch (2 s) holding a missing sample of column
        `lead` is unreadable (quality 0: in ``Beats.unreadable``, no beat returned
        from it), whether `quality` is measured or not.  The beats keep one time line:
        ``BeatClassifier.predict`` of them takes RR intervals across a gap, where
        :func:`heartbeat.classify` splits the recording.

    Returns
    -------
    Beats
        ``waveforms`` (float32, (n_beats, `length`)), the R peaks at `fs`, the window
        and period T of each beat, the quality of each beat's stretch, the unreadable
        stretches and the settings used.  Zero beats (arrays of the right shapes and
        dtypes) for a flat or too short signal.

    Raises
    ------
    TypeError
        If `signal` is not a real numeric array, `fs` / `window_s` / `fs_out` /
        `threshold` / `quality` is not a number (or a bool), `length` is not an
        integer, `detector` is neither a name nor a callable, or `r_peaks` does not
        hold numbers.
    ValueError
        If `signal` is empty, not 1-D or 2-D or holds inf, or NaN with
        ``missing="error"``, `missing` is unknown, `lead` is not one of
        its columns; `fs`, `fs_out` or `window_s` is not finite and > 0;
        `threshold` or a numeric `quality` is outside [0, 1]; `length` < 1; the
        detector is unknown; or `r_peaks` (or a detector's output) holds indices
        outside the signal or fractional values.
    ImportError
        If a detector other than ``"kachuee2018"`` is named and :mod:`heartbeat.detect`
        cannot be imported.

    See Also
    --------
    heartbeat.detect.detect_r_peaks : the robust detector.

    Notes
    -----
    The steps are those of the paper (see the module and each step's Notes).  Where
    the paper is silent or where this function departs from it:

    * Resampling.  The signal is divided by ``max(abs(signal))`` (so no finite input
      can overflow), centred on its mean and resampled to `fs_out` with
      :func:`heartbeat.resample.resample_poly` (SciPy's default polyphase filter).
      Centring keeps the zero padding at the record's ends from pulling the first and
      last samples towards 0; after step 2 neither changes more than rounding.  A
      non-rational `fs` uses the nearest ratio with a denominator <= 2000, and
      `fs_out` in the result is the exact rate ``fs * up / down``.
    * Windows.  All 10 s windows are used, including a shorter last one.  A window
      whose range is at most ``FLAT_RTOL * max(abs(signal))`` (1e-9) counts as flat:
      it normalises to zeros and holds no candidates.
    * R peaks (paper's rule).  Maxima at a window's first or last sample do not
      exist (no neighbour within the window).  The peaks are mapped back to `fs` by
      rounding ``i * fs / fs_out`` half up; below 125 Hz two peaks can round to the
      same input sample, and only the first is kept.
    * R peaks (given or detected).  Each index is mapped to `fs_out` by rounding
      half up, which fixes its window; T of a window is the median interval of the
      given peaks inside it (computed at `fs`, converted to `fs_out` samples).
    * Several leads (not in the paper).  The robust detector joins the peaks of all
      columns (:func:`heartbeat.detect.detect_r_peaks`, Notes 9); everything else,
      scaling and resampling included, uses column `lead` alone.
    * Windows with a single peak, where the paper's median is undefined, take the
      median R-R interval of all consecutive peaks of the signal.  With fewer than two
      peaks in the whole signal there are no beats.
    * Unreadable stretches (not in the paper).  The peaks found in them are dropped
      before step 5, so they change neither the beats returned nor the period T of
      their windows.  A recording without such a stretch gives the same beats as
      with ``quality=False``.
    * Borders.  A crop (``round(1.2 T)`` samples from the R peak) reaching past its
      window's end is truncated there, then zero-padded, so every peak yields a beat;
      beyond `length` samples it is cut.  Values stay within [0, 1] and are exactly 0
      from ``crop_length`` on.

    The result equals running :func:`windows`, :func:`normalize`,
    :func:`local_maxima`, :func:`r_peak_candidates`, :func:`median_rr`,
    :func:`crop` and :func:`pad` window by window on the scaled, centred, resampled
    signal (with ``normalize(..., atol=FLAT_RTOL)``), bit for bit; the work is
    vectorised across windows.  It is invariant to
    ``a * signal + b`` with ``a > 0`` up to float rounding (see the tests).

    Examples
    --------
    >>> import numpy as np
    >>> fs = 360.0
    >>> t = np.arange(int(30 * fs)) / fs
    >>> ecg = np.exp(-(((t % 0.8) - 0.3) ** 2) / (2 * 0.01**2))  # a beat every 0.8 s
    >>> beats = segment(ecg, fs)
    >>> len(beats), beats.waveforms.shape[1], float(beats.period_s[0])
    (38, 187, 0.8)
    >>> int(beats.crop_length[0])  # 1.2 * 0.8 s at 125 Hz
    120
    """
    signal, gaps = fill_missing(signal, missing)
    return _segment(signal, fs, detector=detector, r_peaks=r_peaks, window_s=window_s,
                    threshold=threshold, fs_out=fs_out, length=length, lead=lead,
                    quality=quality, withhold=True, gaps=gaps)


def _segment(signal: object, fs: float, *, detector: Detector, r_peaks: object,
             window_s: float, threshold: float, fs_out: float, length: int, lead: int,
             quality: bool | float | None, withhold: bool,
             gaps: np.ndarray | None = None) -> Beats:
    """:func:`segment`; `withhold` False keeps the beats of unreadable stretches.

    ``heartbeat.classify`` keeps them, to return them unclassified with their reason.
    `gaps` (the shape of `signal`, or None) marks the samples
    :func:`heartbeat._missing.fill_missing` filled: their stretches are unreadable.
    """
    x, leads, lead = _lead_of(signal, lead)
    every_gap, gaps = _lead_gaps(gaps, lead)
    if x.size == 0:
        raise ValueError("signal is empty; pass at least one sample")
    fs = as_fs(fs, "fs")
    fs_out_nominal = as_fs(fs_out, "fs_out")
    window_s = as_positive(window_s, "window_s")
    threshold = as_real(threshold, "threshold", low=0.0, high=1.0)
    length = as_int(length, "length", minimum=1)
    # the paper's literal rule stays as published unless quality is asked for
    min_quality = _min_quality(quality, r_peaks is not None or detector == "kachuee2018")
    up, down = _resample_ratio(fs, fs_out_nominal)
    fs_out = fs * up / down
    width = _window_width(window_s, fs_out)

    if r_peaks is not None:
        given, name = as_indices(r_peaks, "r_peaks", x.size), "r_peaks"
    else:
        given, name = _peaks_from(detector, x, fs, leads, every_gap)
    # signal quality of each peak's stretch; the peaks of unreadable ones are dropped
    # (the robust detector reads every lead; the other detectors the lead `x` alone).
    # Known peaks are measured now, before the resampled copies exist (less memory).
    robust = r_peaks is None and isinstance(detector, str) and detector == "robust"
    measured = None if given is None else _quality_at(
        x, leads if robust else None, fs, given, min_quality, given if robust else None, gaps)

    # (0) resample the scaled, centred signal; (1) windows; (2) their min and range
    scale = float(np.abs(x).max())
    xs = x / scale if scale > 0 else x
    y = _resample_poly(xs - xs.mean(), up, down)
    n_out = y.size
    starts = np.arange(0, n_out, width)
    lo = np.minimum.reduceat(y, starts)
    span = np.maximum.reduceat(y, starts) - lo
    flat = span <= FLAT_RTOL  # the scaled signal's largest magnitude is 1
    safe_span = np.where(flat, 1.0, span)

    if given is None:
        # (3) local maxima per window, (4) normalised value >= threshold
        m = _local_maxima(y, width)
        w = m // width
        m, w = m[~flat[w]], w[~flat[w]]
        q = m[(y[m] - lo[w]) / safe_span[w] >= threshold]
        # back to the input rate, half up; keep the first of peaks that coincide there
        p = np.minimum((2 * down * q + up) // (2 * up), x.size - 1)
        first = np.concatenate([[True], np.diff(p) > 0]) if p.size else np.zeros(0, bool)
        p, q = p[first], q[first]
    else:
        p = given
        q = np.minimum((2 * up * p + down) // (2 * down), n_out - 1)
    beat_quality, spans = measured if measured is not None else _quality_at(
        x, None, fs, p, min_quality, None, gaps)  # the paper's rule: its own peaks
    if withhold and len(spans):
        readable = ~_in_spans(p, spans)
        p, q, beat_quality = p[readable], q[readable], beat_quality[readable]
    if p.size < 2:
        return _empty(fs, fs_out, length, window_s, name, lead, spans)
    # R-R intervals in samples at fs_out (paper's rule) or at fs (converted below)
    rr = np.diff(q if given is None else p).astype(np.float64)

    # (5) T per window: median R-R within the window, else of the whole signal
    w = q // width
    same = w[1:] == w[:-1]
    period = _group_median(rr[same], w[1:][same], starts.size)
    period[np.isnan(period)] = np.median(rr)
    if given is not None:
        period = period * up / down
    # (6) crop 1.2 T from each R peak within its window, (7) pad to `length`
    t = period[w]
    stop = np.minimum((w + 1) * width, n_out)
    n_crop = np.minimum(np.minimum(_crop_length(t, PERIOD_FACTOR), stop - q), length)
    j = np.arange(length)
    idx = np.minimum(q[:, None] + j, n_out - 1)  # (n_beats, length)
    values = (y[idx] - lo[w][:, None]) / safe_span[w][:, None]
    keep = (j < n_crop[:, None]) & ~flat[w][:, None]
    waveforms = np.where(keep, values, 0.0).astype(np.float32)
    return _frozen(
        waveforms, p.astype(np.int64), w.astype(np.int64), t / fs_out,
        n_crop.astype(np.int64), fs, fs_out, length, window_s, name, lead,
        beat_quality.astype(np.float64), spans,
    )
