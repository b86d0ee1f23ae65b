"""Refined peaks a refractory time apart: which of two close peaks of one lead stays.

The decision rule (:mod:`heartbeat._decide_kernels`) never accepts two candidates
closer than its refractory time, but the refinement then moves each peak (up to 130 ms:
:func:`heartbeat._detect_kernels.refine`), and the high band's centring moves its peaks
again, so two peaks can end up a few tens of milliseconds apart: two beats where the
heart gave at most one.  :func:`heartbeat.detect._one_lead` thins them with
:func:`keep_refractory`, on the measures :func:`measures` gives for the criterion
``heartbeat.detect.REFRACTORY_KEEP`` (chosen over record folds,
``benchmarks/refractory_pairs.py``; docs/benchmarks.md, "Refined peaks keep the
refractory time").  NumPy alone, for both backends: only close pairs are visited.
"""

from __future__ import annotations

import numpy as np

from heartbeat._detect_stages import band_pass

CRITERIA = ("none", "quality", "magnitude", "both")


def keep_refractory(peaks: np.ndarray, gap: int, measures: tuple[np.ndarray, ...]) -> np.ndarray:
    """Return which sorted `peaks` to keep so that no two kept lie closer than `gap`.

    The refinement moves each accepted candidate by up to ``half_search + half_refine``
    samples, so two candidates the decision rule kept a refractory time apart can end
    up closer.  Walking in time order, a peak closer than `gap` samples to the last one
    kept replaces it when it is higher on every one of `measures` (arrays aligned with
    `peaks`), is dropped when it is not higher on any, and both stay otherwise.  Plain
    NumPy for both backends: only the close pairs are visited.

    Returns a boolean mask over `peaks` (two close peaks that disagree on the measures
    both stay, so a kept pair can still be closer than `gap`).
    """
    keep = np.ones(peaks.size, dtype=bool)
    last = -1  # the peak kept when the one before the current peak was dropped
    for i in (np.flatnonzero(np.diff(peaks) < gap) + 1).tolist():
        prev = i - 1 if keep[i - 1] else last
        higher = [m[i] > m[prev] for m in measures]
        if peaks[i] - peaks[prev] >= gap or (any(higher) and not all(higher)):
            last = i
        elif all(higher):
            keep[prev] = False
            last = i
        else:
            keep[i] = False
            last = prev
    return keep


def measures(
    x: np.ndarray, peaks: np.ndarray, quality: np.ndarray, gap: int, keep: str, n_lp: int,
    n_hp: int,
) -> tuple[np.ndarray, ...]:
    """Return the measures :func:`keep_refractory` compares for the criterion `keep`.

    ``"quality"``: the peaks' qualities; ``"magnitude"``: the band-passed magnitude
    (Notes, 1) at each peak that has another within `gap` (0 elsewhere: never compared);
    ``"both"``: the two.  `n_lp` and `n_hp` are the band-pass's window lengths
    (:func:`heartbeat.detect._windows`).
    """
    if keep == "quality":
        return (quality,)
    close = np.flatnonzero(np.diff(peaks) < gap)
    at = np.unique(np.concatenate([close, close + 1]))
    magnitude = np.zeros(peaks.size)
    magnitude[at] = band_magnitude(x, peaks[at], n_lp, n_hp)
    return (magnitude,) if keep == "magnitude" else (quality, magnitude)


def band_magnitude(x: np.ndarray, at: np.ndarray, n_lp: int, n_hp: int) -> np.ndarray:
    """``|band-passed x|`` at the samples `at`, each from the stretch that determines it.

    The band-pass (Notes, 1) at a sample depends on ``2 (n_hp // 2)`` samples either
    side (edge-padded at the ends), so a stretch that wide gives its value.
    """
    reach = 2 * (n_hp // 2)
    out = np.empty(at.size)
    for j, p in enumerate(at.tolist()):
        lo, hi = max(0, p - reach), min(x.size, p + reach + 1)
        stretch = np.ascontiguousarray(x[lo:hi])
        bp = np.empty(stretch.size)
        band_pass(stretch, 0.0, 1.0, n_lp, n_hp, bp, np.empty(stretch.size))
        out[j] = abs(bp[p - lo])
    return out
