"""A second band for the R-peak detector: QRS whose energy lies above the usual band.

The detector's band-pass (:mod:`heartbeat.detect`, Notes 1) keeps about 4.5-14.5 Hz,
where the QRS of most leads holds its energy.  On some leads it does not: a QRS can be
a short burst of oscillation near the sampling rate's Nyquist frequency (an ICU lead
II at 250 Hz, small and negative, beside large smooth P and T waves).  The band-pass
cancels the burst, the envelope barely rises above its floor at the QRS, and the
decision rule keeps one beat in ten.

The *high band* makes such a burst a QRS-shaped bump: the signal minus two passes of
a :data:`HIGH_SPLIT_S` moving mean (what lies above ~15 Hz), rectified, smoothed by
the same two passes (demodulated to the QRS's time scale).  The detector then runs
unchanged on that bump signal.  It is linear in amplitude and ignores offset and
polarity, as the standard path does.

It is not always better: muscle noise is broadband and strong above 20 Hz, and
there the high band's floor rises with it.  So a lead is detected in the standard
band first and the high band is only computed when the standard band's beats barely
clear their floor (median quality, the envelope over its floor, below
:data:`TRY_BELOW`); the high band's beats replace them when their median quality is
:data:`GAIN` times as high (and, with a :data:`COUNT_RATIO` above 0, when they are at
least that many times as many; shipped 0: the record folds did not reward a guard).
The choice is per lead (per column of the signal).  The constants were chosen by
cross-validation over MIT-BIH records, clean and under the noise stress test's noises
(``benchmarks/tune_bands.py``).

Everything here is NumPy (moving means from cumulative sums); the compiled stages run
inside the detection it calls, so both backends give the same bits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from heartbeat._detect_kernels import moving_mean
from heartbeat._detect_stages import centring

HIGH_SPLIT_S = 0.025  # the high band is what two passes of this moving mean remove
TRY_BELOW = 4.0  # the high band is computed when the standard beats' median quality is below
GAIN = 1.25  # and chosen when its own beats' median quality is this many times as high
COUNT_RATIO = 0.0  # and it finds at least this many times as many beats (0: no count test)
CENTRE_S = 0.1  # a high-band beat is the bump's maximum within +- this time of its peak

LeadDetection = tuple[np.ndarray, np.ndarray]  # sorted peaks and each one's quality


def high_band(x: np.ndarray, fs: float) -> np.ndarray:
    """Return the demodulated high band of one lead: a bump at each high-frequency burst.

    Parameters
    ----------
    x : ndarray of float64, shape (n,)
        One lead, finite.
    fs : float
        Its sampling frequency in Hz.

    Returns
    -------
    ndarray of float64, shape (n,)
        ``mm(mm(|y - mm(mm(y))|))``, ``mm`` a centred moving mean of
        :data:`HIGH_SPLIT_S` (odd, at least 3 samples), ``y`` the lead centred and
        scaled as the detector's input (:func:`heartbeat._detect_stages.centring`).
    """
    n = max(3, round(HIGH_SPLIT_S * fs) | 1)
    # conditioned as the detector conditions its input (a constant lead gives exact
    # zeros, not the rounding residue of its large value)
    conditioned = centring(x) if x.size else None
    if conditioned is None:
        return np.zeros(x.size)
    x, shift, scale = conditioned
    centred = (x - shift) * scale
    high = centred - moving_mean(moving_mean(centred, n), n)
    np.abs(high, out=high)
    return moving_mean(moving_mean(high, n), n)


def centre_on_bumps(found: LeadDetection, bump: np.ndarray, fs: float) -> LeadDetection:
    """Move each peak to the largest `bump` value within +-:data:`CENTRE_S` of it.

    The detector's refinement (Notes, 8) looks for the band-passed signal's largest
    magnitude, which on a bump can be a side lobe; the bump's maximum is the centre of
    the burst's energy.  Peaks that meet keep the quality of the first.
    """
    peaks, quality = found
    if peaks.size == 0:
        return found
    half = max(1, round(CENTRE_S * fs))
    padded = np.concatenate([np.full(half, -np.inf), bump, np.full(half, -np.inf)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    moved = peaks + np.argmax(windows[peaks], axis=1) - half
    centred, first = np.unique(moved, return_index=True)
    return centred, quality[first]


def median_quality(found: LeadDetection) -> float:
    """Return the median quality of a lead's peaks; 0 when it has none."""
    return float(np.median(found[1])) if found[1].size else 0.0


def prefer_high(standard: float, high: float, n_standard: int = 0, n_high: int = 0) -> bool:
    """Whether the high band's median quality `high` beats the standard band's clearly.

    `n_standard` and `n_high` are the beats each band found: the high band must also
    find :data:`COUNT_RATIO` times as many (a few high-quality beats must not replace
    a run of low ones; with the defaults, or a ratio of 0, only the qualities count).
    """
    return (standard < TRY_BELOW and high >= GAIN * standard
            and n_high >= COUNT_RATIO * n_standard)


def detect_high(
    x: np.ndarray, fs: float, backend: str,
    detect_one: Callable[[np.ndarray, float, str], LeadDetection],
) -> LeadDetection:
    """Detect one lead in the high band: `detect_one` on :func:`high_band`, centred."""
    bump = high_band(x, fs)
    return centre_on_bumps(detect_one(bump, fs, backend), bump, fs)


def detect_lead(
    x: np.ndarray, fs: float, backend: str,
    detect_one: Callable[[np.ndarray, float, str], LeadDetection],
) -> LeadDetection:
    """Detect one lead in the standard band, or in the high band when it is clearly better.

    Parameters
    ----------
    x : ndarray of float64, shape (n,)
        One lead, finite, C-contiguous (not modified).
    fs : float
        Sampling frequency in Hz.
    backend : str
        Resolved backend, passed on to `detect_one`.
    detect_one : callable
        The detector on one lead, ``detect_one(x, fs, backend) -> (peaks, quality)``
        (:func:`heartbeat.detect._detect_lead`).

    Returns
    -------
    tuple of ndarray
        The chosen band's sorted peaks (int64) and their qualities.
    """
    standard = detect_one(x, fs, backend)
    q_standard = median_quality(standard)
    if x.size < 3 or q_standard >= TRY_BELOW:
        return standard
    high = detect_high(x, fs, backend, detect_one)
    chosen = prefer_high(q_standard, median_quality(high), standard[0].size, high[0].size)
    return high if chosen else standard
