"""Beat detection scored against reference annotations: Se, +P and F1.

Detections are matched one-to-one to reference beats within a tolerance window
(:func:`match_peaks`); :func:`detection_scores` counts the matches as a
:class:`DetectionScore`, and :func:`sum_scores` adds the counts of several records.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from heartbeat._validate import as_fs, as_indices, as_int, as_positive

__all__ = ["DetectionScore", "detection_scores", "match_peaks", "sum_scores"]


@dataclass(frozen=True)
class DetectionScore:
    """Beat-by-beat detection counts and the figures derived from them.

    Attributes
    ----------
    tp : int
        Reference beats matched by a detection (true positives).
    fn : int
        Reference beats left unmatched (missed beats, false negatives).
    fp : int
        Detections left unmatched (false positives).

    Notes
    -----
    Scores add up: ``a + b`` (or :func:`sum_scores`) sums the counts, which gives the
    *gross* figures over several records (each beat weighs the same), not the mean
    of per-record percentages.
    """

    tp: int
    fn: int
    fp: int

    def __post_init__(self) -> None:
        for name in ("tp", "fn", "fp"):
            object.__setattr__(self, name, as_int(getattr(self, name), name, minimum=0))

    @property
    def se(self) -> float:
        """Sensitivity ``tp / (tp + fn)``; NaN when there are no reference beats."""
        total = self.tp + self.fn
        return self.tp / total if total else math.nan

    @property
    def ppv(self) -> float:
        """Positive predictivity (+P) ``tp / (tp + fp)``; NaN when nothing was detected."""
        total = self.tp + self.fp
        return self.tp / total if total else math.nan

    @property
    def f1(self) -> float:
        """Harmonic mean of `se` and `ppv`: ``2 tp / (2 tp + fn + fp)``; NaN if all are 0."""
        total = 2 * self.tp + self.fn + self.fp
        return 2 * self.tp / total if total else math.nan

    def __add__(self, other: object) -> DetectionScore:
        if not isinstance(other, DetectionScore):
            return NotImplemented
        return DetectionScore(self.tp + other.tp, self.fn + other.fn, self.fp + other.fp)

    def __radd__(self, other: object) -> DetectionScore:
        # lets the built-in sum() start from 0
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented


def sum_scores(scores: Iterable[DetectionScore]) -> DetectionScore:
    """Add detection scores of several records into gross counts.

    Parameters
    ----------
    scores : iterable of DetectionScore
        Per-record scores.

    Returns
    -------
    DetectionScore
        Summed ``tp``, ``fn`` and ``fp`` (all zero for an empty iterable).

    Raises
    ------
    TypeError
        If an item is not a :class:`DetectionScore`.

    Examples
    --------
    >>> total = sum_scores([DetectionScore(90, 10, 0), DetectionScore(10, 0, 10)])
    >>> total, round(total.se, 3), round(total.ppv, 3)
    (DetectionScore(tp=100, fn=10, fp=10), 0.909, 0.909)
    """
    total = DetectionScore(0, 0, 0)
    for i, score in enumerate(scores):
        if not isinstance(score, DetectionScore):
            raise TypeError(f"scores[{i}] must be a DetectionScore, got {type(score).__name__}")
        total = total + score
    return total


def detection_scores(
    reference: object, detected: object, fs: float, tolerance_s: float = 0.15
) -> DetectionScore:
    """Score detected beats against reference beats with one-to-one matching.

    Parameters
    ----------
    reference : array_like of int
        Sample indices of the reference (annotated) beats.
    detected : array_like of int
        Sample indices of the detected beats, at the same sampling frequency.
    fs : float
        Sampling frequency in Hz of both index arrays.
    tolerance_s : float, default 0.15
        Largest distance in seconds between a reference beat and the detection that
        matches it (inclusive: ``|d - r| <= tolerance_s * fs``).

    Returns
    -------
    DetectionScore
        ``tp`` matched pairs, ``fn`` unmatched reference beats, ``fp`` unmatched
        detections; ``se``, ``ppv`` and ``f1`` follow from them.

    Raises
    ------
    TypeError
        If an index array is not numeric, or `fs` / `tolerance_s` is not a number.
    ValueError
        If an index array is not 1-D, holds negative or fractional indices, or if
        `fs` or `tolerance_s` is not > 0.

    Notes
    -----
    Matching rule (greedy by time, one-to-one): reference beats are taken in time
    order; each is matched to the *nearest still unmatched* detection within the
    tolerance window (on a tie, the earlier detection).  Each reference beat and each
    detection is matched at most once, so two detections near one beat give one TP
    and one FP, and one detection between two beats gives one TP and one FN.  Input
    order does not matter (both arrays are sorted first).

    Examples
    --------
    >>> s = detection_scores([100, 500, 900], [102, 480, 485, 2000], fs=100.0)
    >>> s
    DetectionScore(tp=2, fn=1, fp=2)
    >>> round(s.se, 4), s.ppv
    (0.6667, 0.5)
    """
    ref = np.sort(as_indices(reference, "reference", unique=False))
    det = np.sort(as_indices(detected, "detected", unique=False))
    fs = as_fs(fs, "fs")
    tolerance_s = as_positive(tolerance_s, "tolerance_s", "seconds")
    tp = len(match_peaks(det, ref, tolerance_s * fs)[0])
    return DetectionScore(tp, int(ref.size) - tp, int(det.size) - tp)


def match_peaks(
    detected: np.ndarray, reference: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Match sorted detections one-to-one to sorted reference beats.

    Reference beats are taken in time order; each takes the nearest still unmatched
    detection within `tolerance` samples (ties go to the earlier detection; the edge of
    the window counts as inside). This is the rule :func:`detection_scores` counts
    with; inputs are trusted (sorted integer sample indices).

    Parameters
    ----------
    detected, reference : numpy.ndarray of int
        Sorted sample indices.
    tolerance : float
        Largest distance of a match, in samples.

    Returns
    -------
    det_idx, ref_idx : numpy.ndarray of int64
        Indices into `detected` and `reference` of the matched pairs, in detection order.

    Examples
    --------
    >>> match_peaks(np.array([10, 52, 300]), np.array([12, 50, 100]), 5)
    (array([0, 1]), array([0, 1]))
    """
    lo = np.searchsorted(detected, reference - tolerance, side="left")
    hi = np.searchsorted(detected, reference + tolerance, side="right")
    used = np.zeros(len(detected), dtype=bool)
    det_idx: list[int] = []
    ref_idx: list[int] = []
    for i in np.flatnonzero(hi > lo):  # reference beats with a detection in reach
        cand = np.arange(lo[i], hi[i])
        cand = cand[~used[cand]]
        if cand.size:
            k = int(cand[np.argmin(np.abs(detected[cand] - reference[i]))])
            used[k] = True
            det_idx.append(k)
            ref_idx.append(int(i))
    order = np.argsort(det_idx, kind="stable")
    return np.asarray(det_idx, dtype=np.int64)[order], np.asarray(ref_idx, np.int64)[order]
