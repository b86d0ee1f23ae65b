"""Robust R-peak detection: the default beat locator of :func:`heartbeat.segment`.

One public function, :func:`detect_r_peaks`.  The per-sample work (band-pass, slope,
envelope, candidate peaks) runs as two passes in :mod:`heartbeat._detect_stages`; the
per-candidate decision rule and the refinement of each peak in
:mod:`heartbeat._detect_kernels`.  Each is a Numba kernel beside its NumPy twin, with
identical results.
"""

from __future__ import annotations

import numpy as np

from heartbeat import _detect_bands as _bands
from heartbeat import _detect_kernels as _k
from heartbeat import _detect_stages as _s
from heartbeat import _merge_gate as _gate
from heartbeat import _merge_kernels
from heartbeat import signal_quality as _sq
from heartbeat._jit import BACKENDS, jit_enabled, resolve_backend
from heartbeat._validate import as_array, as_fs, as_signal, check_finite, is_real_dtype

__all__ = ["BACKENDS", "METHODS", "detect_r_peaks"]

METHODS: tuple[str, ...] = ("robust",)

# Filter and envelope lengths in seconds (see detect_r_peaks Notes).
# Band-pass = two passes of a 25 ms moving mean minus two passes of a 120 ms one: at
# 360 Hz it peaks near 7.6 Hz, -3 dB at 4.5 and 14.5 Hz, -26 dB at 1 Hz and at 60 Hz.
LOWPASS_S = 0.025
HIGHPASS_S = 0.12
SLOPE_S = 0.008  # slope = difference of the band-passed signal over +-8 ms
ENVELOPE_S = 0.1  # moving mean of the squared slope over 100 ms
FLOOR_BLOCK_S = 2.0  # the floor is a quantile of the envelope over blocks of 2 s:
FLOOR_QUANTILE = 0.5  # this one (the median)
# the decision rule's constants, in the kernel's order (_detect_kernels.PARAM_NAMES)
RULE = {
    "refractory_s": 0.22,
    "t_wave_s": 0.36,
    "t_wave_slope": 0.7,
    "threshold": 0.3125,
    "search_back_rr": 1.5,
    "search_back_threshold": 0.5,
    "rr_max_s": 3.0,
    "init_s": 8.0,
    "p_wave_s": 0.3,
    "p_wave_slope": 2.0,
    "p_wave_height": 1.3,
    "floor": 3.5,
    "floor_low": 2.0,
    "floor_low_s": 3.0,
    "search_back_floor": 1.5,
    "search_back_chain": 3.0,
    "slope_s": 0.075,
    "reset_s": 8.0,
    "floor_adapt": 0.5,
    "floor_min": 2.5,
    "qrs_quantile": 0.25,
    "floor_low_keep_s": 0.0,
    "init_quantile": -1.0,
    "init_floor_s": 8.0,
    "init_rhythm_tol": 0.2,
    "t_wave_rr": 0.0,
    "floor_low_on_time": 0.1,
}
PRESCREEN = 1.0  # candidates below the floor are ignored
SEARCH_S = 0.1  # the R peak is the largest |band-passed| value within +-100 ms
REFINE_S = 0.03  # ... refined to the raw signal's extremum of that sign within +-30 ms
# several leads (Notes, 9): peaks within MERGE_S are one beat; a lead's local quality is
# the median quality of its MERGE_CONTEXT peaks either side; a beat is kept when its
# vote reaches MERGE_VOTE, or MERGE_VETO when the locally clearest lead shows it ...
MERGE_S = 0.17
MERGE_CONTEXT = 16
MERGE_VOTE = 0.5
MERGE_VETO = 0.15
# ... and, with MERGE_VETO_TYPICAL > 0, shows a peak there of at least that x its local
# quality (0.4-0.8 dropped true beats over the record folds: kept at 0, off)
MERGE_VETO_TYPICAL = 0.0
MERGE_REFRACTORY_S = 0.25  # ... the higher vote of two beats closer than this stays;
MERGE_WEIGHT = 0.5  # a beat below the vote needs MERGE_WEIGHT x the clearest's quality,
MERGE_GAP_RR = 1.5  # a gap of this many RR intervals in the clearest lead,
MERGE_FIT_RR = 0.7  # and this many RR intervals (and MERGE_REFRACTORY_S) from both sides
# within SEARCH_S of either end of the record a beat needs the full MERGE_VOTE
# a lead whose quality index (heartbeat.quality, per 2 s stretch) is below MERGE_PRESENT
# counts as absent in a stretch where another lead's reaches it (chosen over the record
# folds by benchmarks/diagnose_merge.py --folds; signal_quality.UNREADABLE_BELOW's value)
MERGE_PRESENT = 0.002
# ... computed only where the gate can change the vote: within MERGE_DISPUTE_PAD
# stretches of one where a lead shows a peak no other lead shows within MERGE_S (the
# least that keeps the whole-record index's every merged beat on the 48 MIT-BIH
# records, both leads and each lead replaced by noise; docs/benchmarks.md)
MERGE_DISPUTE_PAD = 4
# after the vote, a lead's lone peak comes back when typical (MERGE_LONE_TYPICAL x its
# local quality) on a present lead nearly as clear as the clearest (MERGE_LONE_CLEAR x
# its local quality; 0 turns this off), 250 ms from every beat (chosen over the record
# folds by benchmarks/diagnose_merge.py --folds)
MERGE_LONE_CLEAR = 0.8
MERGE_LONE_TYPICAL = 0.8
QUALITY_CAP = 30.0  # a peak's quality (height over floor) counts up to this


def _odd(n_s: float, fs: float) -> int:
    """Window length in samples for `n_s` seconds: odd and at least 1."""
    n = round(n_s * fs)
    return max(1, n | 1)


def _windows(fs: float) -> tuple[int, int, int, int]:
    """Band-pass, slope and envelope lengths in samples, from the constants at call time.

    ``(n_lp, n_hp, k, n_env)``: the two band-pass moving means (odd, the high-pass one
    longer), the slope's half-span and the envelope's moving mean (odd).
    """
    n_lp = _odd(LOWPASS_S, fs)
    n_hp = max(_odd(HIGHPASS_S, fs), n_lp + 2)
    return n_lp, n_hp, max(1, round(SLOPE_S * fs)), _odd(ENVELOPE_S, fs)


def _floor_step(fs: float) -> int:
    """Grid step of the floor's medians: the envelope is smooth, 10 ms suffices."""
    return max(1, round(0.01 * fs))


def _block_floor(sub: np.ndarray, centres: np.ndarray, fs: float) -> np.ndarray:
    """Return the envelope's FLOOR_QUANTILE in the ~2-s block around each candidate.

    `sub` is the squared envelope on the :func:`_floor_step` grid (``energy_sq[::step]``);
    the quantile is taken of it per block, then square-rooted.
    """
    step = _floor_step(fs)
    per = max(1, round(FLOOR_BLOCK_S * fs / step))  # grid points per block
    block = per * step  # samples per block
    n_full = max(1, sub.size // per)
    medians = np.empty(n_full)
    if n_full > 1:
        medians[: n_full - 1] = _row_quantiles(sub[: (n_full - 1) * per].reshape(-1, per))
    medians[-1] = _row_quantiles(sub[(n_full - 1) * per :].reshape(1, -1))[0]  # + remainder
    np.sqrt(np.maximum(medians, 0.0), out=medians)
    return medians[np.minimum(centres // block, n_full - 1)]


def _row_quantiles(rows: np.ndarray) -> np.ndarray:
    """Return ``np.quantile(rows, FLOOR_QUANTILE, axis=1)`` for the median, ~10x faster.

    ``np.quantile``'s argument handling costs ten times the partition on the stream's
    few blocks.  For FLOOR_QUANTILE 0.5 (the median) this takes the same order
    statistics with one ``np.partition`` (for an even count: at the upper middle, the
    lower middle being the largest value before it, which costs less than a partition
    at both) and interpolates as ``np.quantile``'s ``_lerp`` does (an even count:
    ``hi - (hi - lo) * 0.5``; an odd one: ``mid + 0.0``),
    so the values are the same bits up to the sign of a zero tied with another, which
    ``np.maximum(medians, 0.0)`` in :func:`_block_floor` makes +0 either way
    (``tests/test_detect.py`` holds the two to each other).  Another quantile is left
    to ``np.quantile``.
    """
    if FLOOR_QUANTILE != 0.5:
        return np.quantile(rows, FLOOR_QUANTILE, axis=1)
    n = rows.shape[1]
    mid = (n - 1) // 2
    if n % 2:
        return np.partition(rows, mid, axis=1)[:, mid] + 0.0
    part = np.partition(rows, mid + 1, axis=1)
    low, high = part[:, : mid + 1].max(axis=1), part[:, mid + 1]
    return high - (high - low) * 0.5


def as_leads(signal: object, name: str = "signal") -> np.ndarray:
    """Return `signal` as a finite float64 array of shape (n,) or (n, n_leads).

    Raises
    ------
    TypeError
        If `signal` is not a real numeric array.
    ValueError
        If it is not 1-D or 2-D with at least one lead, or holds NaN or inf.
    """
    arr = as_array(signal, name, "a 1-D or 2-D numeric array")
    if arr.ndim == 1:
        return as_signal(arr, name)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 1-D (one lead) or 2-D (n_samples, n_leads), got shape "
            f"{arr.shape}"
        )
    if not is_real_dtype(arr.dtype):
        raise TypeError(
            f"{name} must hold real numbers (integer or float dtype), got dtype {arr.dtype}"
        )
    if arr.shape[1] == 0:
        raise ValueError(
            f"{name} has shape {arr.shape}: no leads; pass (n_samples, n_leads) with "
            "n_leads >= 1"
        )
    arr = arr.astype(np.float64, copy=False)
    check_finite(arr, name)
    return arr


def detect_r_peaks(
    signal: object, fs: float, *, method: str = "robust", backend: str = "auto"
) -> np.ndarray:
    """Locate the R peaks of an ECG, from one lead or several recorded together.

    Parameters
    ----------
    signal : array_like, shape (n_samples,) or (n_samples, n_leads)
        One ECG lead, or several leads sampled together (one per column), in any unit
        and polarity, finite values only.  Several leads are detected one by one and
        joined (Notes, 9).
    fs : float
        Sampling frequency of `signal` in Hz (tested from 100 to 1000 Hz).
    method : {"robust"}
        Detection method.  ``"robust"`` (the default) is described in Notes.  The
        paper's literal peak rule lives in :func:`heartbeat.segment` as
        ``detector="kachuee2018"``.
    backend : {"auto", "numba", "numpy"}
        ``"numba"`` compiles the sequential decision kernel on first use;
        ``"numpy"`` runs the same source as plain Python; ``"auto"`` takes Numba when
        it is installed and its JIT is not disabled (``NUMBA_DISABLE_JIT``).  Both give
        identical results.

    Returns
    -------
    ndarray of int64
        Sorted, unique sample indices of the R peaks in `signal` (rows of a 2-D
        `signal`).

    Raises
    ------
    TypeError
        If `signal` is not a real numeric array or `fs` is not a number.
    ValueError
        If `signal` is not 1-D or 2-D, has no column, holds NaN/inf, if `fs` <= 0,
        or if `method` or
        `backend` is unknown.
    ImportError
        If ``backend="numba"`` and Numba is not installed.

    Notes
    -----
    The design follows Pan & Tompkins (1985) and Hamilton & Tompkins (1986); the
    departures are listed here.  Durations are in seconds and scale with `fs`; the
    constants live in :data:`RULE` and the module's ``*_S`` names.

    1. Band-pass: two passes of a 25 ms centred moving mean minus two passes of a
       120 ms one (zero phase; -3 dB at about 4.5 and 14.5 Hz), computed from
       cumulative sums, so no SciPy filter is needed and both backends share it bit
       for bit.  The signal is first centred on a median and scaled by a power of
       two to a peak magnitude in [0.5, 1), so no amplitude can overflow or underflow.
    2. Envelope: the square root of the 100 ms mean of the squared slope (the
       band-passed signal's difference over +-8 ms).  It is linear in amplitude, so
       a PVC ten times a normal beat's energy is only ~3 times its height.
    3. Candidates: local maxima of the envelope above the median of the envelope in
       their ~2 s block ("floor").  Hamilton's levels, from the last 8 QRS and 8
       noise peak heights: the noise level is their median, the QRS level their
       lower quartile (a median needs 4 QRS of a new, smaller shape, after a bundle
       branch block ends or beside large PVCs, before it follows them, and the first
       ones fall under the threshold); a candidate is a QRS above
       ``noise + 0.3125 (qrs - noise)`` *and* above 3.5 x floor, or 2 x floor within
       3 s of two QRS that beat 3.5 x floor, or 2 x floor when it comes on time
       (its interval, and the last QRS's own, within 10 % of the mean RR:
       ``floor_low_on_time``, chosen on record folds, ``docs/benchmarks.md``, "the
       low floor for a beat on time").  The floor keeps noise-only stretches
       silent (pure noise rarely has an envelope peak 3.5 times its own median).
       On a lead whose QRS barely rise above their floor (interference, small beats
       beside large ones) the floor factors (3.5, 2 and the 1.5 of Note 6) shrink
       in proportion, the 3.5 to ``min(3.5, max(2.5, 0.5 r))`` where r is the
       median height over floor of the last 8 QRS: a clean lead (r >= 7) keeps
       them.  ``floor_low_keep_s`` (0: off) would keep the low
       factor for that long after two such QRS came within 3 s of each other; it
       was searched and not adopted (``docs/benchmarks.md``).  The QRS level starts
       from the maxima of each second of the first 8 s, one per slot;
       ``init_quantile`` >= 0 would start every slot at that quantile of them (0.5:
       right for a recording that starts inside a 2:1 AV block, whose seconds
       without a QRS hold P waves), searched for short recordings and not adopted
       (``docs/benchmarks.md``, "short recordings").  The floor ratios start empty
       (the full 3.5) unless the first 8 s beat as a rhythm: the candidates reaching
       half the median per-second maximum, each the highest within 220 ms, come at
       intervals of which 90 % (5 or more) lie within 20 % of their median (0.25-2 s).
       Then the ratios start from the per-second maxima over their floors, for the
       first 8 s or until a restart (Note 7), so a short recording of small QRS is
       found from its start; noise, an irregular rhythm, or T or P waves as high as
       half the QRS start as before (``init_floor_s``, ``init_rhythm_tol``).
    4. Refractory 220 ms.  Within 360 ms of a QRS, a candidate with less than 0.7 of
       that QRS's slope (largest absolute slope within +-75 ms) is its T wave.
    5. P waves: an accepted candidate yields to a larger one within 300 ms that is
       twice as steep, 1.3 times as high, or nearer the expected RR interval (the
       mean of the last 8, each capped at 3 s).
    6. Search-back after 1.5 mean RR intervals without a QRS takes the largest
       skipped candidate above half the threshold and 1.5 x floor, at most 3 in a
       row, and only after two QRS that beat 3.5 x floor (a rhythm to go on).
    7. After 8 s without a QRS the levels restart: the QRS level from the largest
       candidate above 3.5 x floor in the last 2 s, the noise level from zero.  A
       loud artefact (or a pause) therefore never leaves the detector deaf for good.
    8. The returned index is the largest absolute band-passed value within 100 ms of
       the envelope peak, moved to the raw signal's extremum of the same sign within
       30 ms.  An inverted signal therefore gives exactly the same indices, as does
       a scaling by a power of two; other scalings and offsets change only
       borderline decisions.
    9. Several leads: each lead is detected alone, and each peak carries its
       quality (its envelope over the floor, capped at 30).  Peaks of different
       leads within 170 ms are one beat.  Each lead's local quality L is the median
       quality of its 16 peaks either side; a beat's vote is the sum, over the
       leads showing it, of ``min(quality, L)``, over the sum of every lead's L (a
       lead that is clean here and shows nothing votes against).  A beat is kept
       when its vote reaches 0.5, or 0.15 when the locally clearest lead (highest
       L) shows it; of two kept beats closer than 250 ms the one with the higher
       vote stays.  A beat below that is still kept when its leads reach half the
       clearest lead's L and that lead skipped a beat there: its next peak comes
       1.5 RR intervals (median of the last 32 kept) or more after the last beat
       kept, and this one lies 250 ms and 0.7 RR intervals or more from both.  The
       index is the one found on the clearest lead showing the beat.  Within
       100 ms of either end of the record a beat needs the vote of 0.5 (a QRS the
       record cuts off is often seen by one lead alone).  Each lead's signal-quality
       index (:func:`heartbeat.quality`, per 2 s stretch, on its own peaks) is taken
       first: in a stretch where some lead's index reaches 0.002, a lead below it is
       absent (no L, no peak, no vote), so a lead of noise with a heart rate's worth
       of peaks cannot outvote a weak ECG lead; the index is taken only within 8 s
       of a stretch where one lead shows a peak another lacks
       (:mod:`heartbeat._merge_gate`).  After the vote a lead's peak 250 ms or more
       from every beat is put back when it is at least 0.8 of its lead's L and that
       lead, present there, has at least 0.8 of the clearest present lead's L (a
       beat one lead shows, on a lead about as clear as the other).  A flat lead
       changes nothing; a lead of noise adds few beats.  How this compares with the
       better lead alone, record by record: ``docs/benchmarks.md``.
    10. A lead whose beats barely clear their floor (median quality below 4) is
        detected again on its high band (:mod:`heartbeat._detect_bands`: what lies
        above ~15 Hz, rectified and smoothed back to the QRS's scale), and those beats
        are kept when their median quality is 1.25 times as high: a QRS that is a burst
        of oscillation near Nyquist, which the band-pass of Note 1 cancels.

    Time is linear in the length of `signal` (each candidate is revisited at most
    a bounded number of times).  Signals shorter than 3 samples, constant signals and
    pure noise give no or few peaks.  Benchmarks on MIT-BIH: ``docs/benchmarks.md``.

    Examples
    --------
    >>> import numpy as np
    >>> from heartbeat.detect import detect_r_peaks
    >>> fs = 360.0
    >>> t = np.arange(int(10 * fs)) / fs
    >>> ecg = np.exp(-(((t % 0.8) - 0.4) ** 2) / (2 * 0.01**2))  # a beat every 0.8 s
    >>> peaks = detect_r_peaks(ecg, fs)
    >>> np.diff(peaks)[:3]
    array([288, 288, 288])
    """
    x = as_leads(signal, "signal")
    fs = as_fs(fs, "fs")
    if method not in METHODS:
        raise ValueError(f"{method=} is not a detection method; choose one of {METHODS}")
    return _detect(x, fs, method, resolve_backend(backend))


def _detect(x: np.ndarray, fs: float, method: str, backend: str,
            gaps: np.ndarray | None = None) -> np.ndarray:
    """:func:`detect_r_peaks` on checked inputs.

    `x` is a finite float64 array, 1-D (one lead) or 2-D (samples x leads), `fs` > 0,
    `method` one of :data:`METHODS` and `backend` already resolved (``"numba"`` or
    ``"numpy"``, :func:`heartbeat._jit.resolve_backend`).  `x` is not modified.
    `gaps` (bool, the shape of a 2-D `x`) marks samples that were missing and are
    filled: in the vote of several leads a lead counts as absent in each quality
    stretch where it has one (:func:`heartbeat._missing.fill_missing`).
    """
    if x.ndim == 1:
        return _bands.detect_lead(x, fs, backend, _detect_lead)[0]
    if x.shape[1] == 1:
        return _bands.detect_lead(np.ascontiguousarray(x[:, 0]), fs, backend, _detect_lead)[0]
    leads = [np.ascontiguousarray(x[:, m]) for m in range(x.shape[1])]
    found = [_bands.detect_lead(v, fs, backend, _detect_lead) for v in leads]
    sqi = None
    if MERGE_PRESENT > 0:
        sqi = _gate.gate_quality(leads, found, fs, max(1, round(MERGE_S * fs)),
                                 MERGE_DISPUTE_PAD)
        if gaps is not None and gaps.any():
            starts = np.arange(0, x.shape[0], _gate._lengths(fs)[0])
            sqi[np.logical_or.reduceat(gaps, starts, axis=0)] = 0.0
    return _merge(found, fs, backend, x.shape[0], sqi)


def _merge(
    found: list[tuple[np.ndarray, np.ndarray]], fs: float, backend: str, n_samples: int,
    stretch_quality: np.ndarray | None = None,
) -> np.ndarray:
    """Join the (peaks, quality) pairs of several leads of `n_samples` into one sequence.

    `stretch_quality` is :func:`heartbeat._merge_gate.gate_quality`'s (or
    :func:`~heartbeat._merge_gate.stretch_quality`'s); without it every lead is present.
    The vote (:data:`heartbeat._merge_kernels.MERGE_LEADS`) is followed by
    :func:`heartbeat._merge_gate.lone_beats` unless ``MERGE_LONE_CLEAR`` is 0.
    """
    present = MERGE_PRESENT
    if stretch_quality is None:
        stretch_quality, present = np.ones((1, len(found))), 0.0
    pos = np.concatenate([peaks for peaks, _ in found])
    lead = np.concatenate([np.full(peaks.size, m, np.int64) for m, (peaks, _) in enumerate(found)])
    quality = np.concatenate([q for _, q in found])
    order = np.argsort(pos, kind="stable")
    out = np.empty(pos.size, dtype=np.int64)
    count = _merge_kernels.MERGE_LEADS.get(backend)(
        pos[order], lead[order], quality[order], len(found),
        max(1, round(MERGE_S * fs)), MERGE_CONTEXT, MERGE_VOTE, MERGE_VETO, MERGE_WEIGHT,
        round(MERGE_REFRACTORY_S * fs), MERGE_GAP_RR, MERGE_FIT_RR,
        max(1, round(SEARCH_S * fs)), n_samples, stretch_quality,
        max(1, round(_sq.SEGMENT_S * fs)), present, out, MERGE_VETO_TYPICAL,
    )
    merged = out[:count].copy()
    if MERGE_LONE_CLEAR <= 0:
        return merged
    settings = (MERGE_CONTEXT, round(MERGE_REFRACTORY_S * fs), max(1, round(SEARCH_S * fs)),
                MERGE_LONE_CLEAR, MERGE_LONE_TYPICAL)
    return _gate.lone_beats(found, merged, stretch_quality if present > 0 else None,
                            present, fs, n_samples, settings)


def _detect_lead(x: np.ndarray, fs: float, backend: str) -> tuple[np.ndarray, np.ndarray]:
    """Detect on one lead: the sorted unique peaks and each one's quality.

    A peak's quality is its envelope height over the floor (Notes, 3), the weight of
    its vote in :func:`heartbeat._merge_kernels.merge_leads`.
    """
    stages = _lead_stages(x, fs, backend)
    if stages is None:
        return np.empty(0, dtype=np.int64), np.empty(0)
    x, shift, scale, bp, slope_sq, sub, cand, energy, loops = stages
    accepted, quality = _decide(cand, energy, sub, slope_sq, fs, backend)
    half_search = max(1, round(SEARCH_S * fs))
    half_refine = max(1, round(REFINE_S * fs))
    refined = _k.REFINE.get(loops)(x, shift, scale, bp, cand[accepted], half_search,
                                   half_refine)
    peaks, first = np.unique(refined, return_index=True)
    return peaks, quality[first]


def _lead_stages(x: np.ndarray, fs: float, backend: str) -> tuple | None:
    """Run the per-sample stages of one lead; None when it has no candidate.

    Returns the signal with the `shift` and `scale` that centre it
    (:func:`heartbeat._detect_stages.centring`), its band-passed form, the squared
    slope, the squared envelope on the floor's grid (:func:`_floor_step`), the
    candidates (the envelope's local maxima) with their squared envelope, and the
    backend of the per-sample loops.
    """
    if x.size < 3:
        return None
    conditioned = _s.centring(x)
    if conditioned is None:
        return None
    x, shift, scale = conditioned
    # the per-sample loops: Numba's or NumPy's twins, the same bits either way (with
    # NUMBA_DISABLE_JIT an explicit "numba" would run them as slow Python: take
    # NumPy's then; the per-candidate rule still runs as asked)
    loops = backend if jit_enabled() else "numpy"
    n_lp, n_hp, k, n_env = _windows(fs)
    # the two passes' loops need windows of 3 samples or more (fs >= ~60 Hz)
    stages = loops if min(n_lp, n_env) >= 3 else "numpy"
    bp = np.empty(x.size)
    slope_sq = np.empty(x.size)  # first the band-pass's scratch space
    _s.BAND_PASS.get(stages)(x, shift, scale, n_lp, n_hp, bp, slope_sq)
    step = _floor_step(fs)
    sub = np.empty(-(-x.size // step))
    capacity = x.size // 16 + 64  # an ECG has far fewer envelope maxima; else retry
    while True:
        cand = np.empty(capacity, dtype=np.int64)
        energy = np.empty(capacity)
        n_cand = _s.ENVELOPE.get(stages)(bp, k, n_env, step, slope_sq, sub, cand, energy)
        if n_cand <= capacity:
            break
        capacity = n_cand
    if n_cand == 0:
        return None
    return x, shift, scale, bp, slope_sq, sub, cand[:n_cand], energy[:n_cand], loops


def _decide(
    cand: np.ndarray, energy: np.ndarray, sub: np.ndarray, slope_sq: np.ndarray, fs: float,
    backend: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the decision rule on one lead's candidates (`energy`: their squared envelope).

    Returns the indices into `cand` of the accepted QRS and each one's quality.
    """
    height, floor = _heights(cand, energy, sub, fs)
    return _decide_heights(cand, height, floor, slope_sq, fs, backend)


def _heights(
    cand: np.ndarray, energy: np.ndarray, sub: np.ndarray, fs: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's envelope height and the floor of its block (Notes, 3)."""
    floor = _block_floor(sub, cand, fs)
    return np.sqrt(np.maximum(energy, 0.0)), floor  # sums can leave -1e-17


def _decide_heights(
    cand: np.ndarray, height: np.ndarray, floor: np.ndarray, slope_sq: np.ndarray, fs: float,
    backend: str,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_decide` given the candidates' heights and floors (:func:`_heights`)."""
    keep = np.flatnonzero(height > PRESCREEN * floor)
    out = np.empty(keep.size, dtype=np.int64)
    params = np.array([RULE[name] for name in _k.PARAM_NAMES], dtype=np.float64)
    count = _k.DECIDE_BEATS.get(backend)(
        cand[keep], height[keep], floor[keep], slope_sq, fs, params, out
    )
    accepted = keep[np.searchsorted(cand[keep], out[:count])]  # cand is sorted, unique
    # capped: a flat or clipped stretch has a tiny floor and would seem very clear
    quality = np.minimum(height[accepted], QUALITY_CAP * floor[accepted]) / np.maximum(
        floor[accepted], np.finfo(float).tiny
    )
    return accepted, quality
