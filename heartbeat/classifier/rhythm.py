"""How irregular a recording's rhythm is around each beat, from its RR intervals alone.

The S step of ``adapt="template"`` (:mod:`heartbeat.classifier.template`) calls a beat
of normal shape supraventricular when it comes early; in an irregular rhythm (atrial
fibrillation) ordinary beats come early too, so the step is held back there; and in a
smooth swing of the rate (sinus arrhythmia) a beat comes early against the local mean
without its interval shortening at once (:func:`sudden_ratio`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["on_time_supraventricular", "rhythm_irregularity", "sudden_ratio"]


def rhythm_irregularity(prev_rr: np.ndarray, before: int, after: int) -> np.ndarray:
    """How irregular the rhythm is around each beat, from its RR intervals alone.

    Parameters
    ----------
    prev_rr : numpy.ndarray, shape (n,)
        Each beat's previous RR interval, in beat order (column 0 of
        :func:`heartbeat.context.rr_features`; any unit).
    before, after : int
        The window of beat ``i``: the intervals of beats ``i - before .. i + after``,
        clipped at the ends of `prev_rr`.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        The median absolute difference of successive intervals in the window over
        their mean (0 where the window holds fewer than two intervals).  A median, so
        that an isolated premature beat in a regular rhythm (a short interval, then a
        pause) leaves it low; in atrial fibrillation most differences are large.

    Examples
    --------
    A regular rhythm with one premature beat, then an irregular one:

    >>> regular = np.r_[np.ones(5), 0.6, 1.4, np.ones(5)]
    >>> float(rhythm_irregularity(regular, 4, 4).max())
    0.0
    >>> rhythm_irregularity(np.array([1.0, 0.7, 1.3, 0.8, 1.2, 0.9]), 2, 2).round(2)
    array([0.45, 0.53, 0.45, 0.46, 0.38, 0.36])
    """
    r = np.asarray(prev_rr, dtype=np.float64)
    n = len(r)
    if n == 0 or before + after == 0:
        return np.zeros(n)
    padded = np.full(n + before + after, np.nan)
    padded[before: before + n] = r
    windows = np.lib.stride_tricks.sliding_window_view(padded, before + after + 1)
    steps = np.sort(np.abs(np.diff(windows, axis=1)), axis=1)  # NaN (outside) last
    valid = np.count_nonzero(~np.isnan(steps), axis=1)
    low = np.maximum(valid - 1, 0) // 2
    lower = np.take_along_axis(steps, low[:, None], axis=1)[:, 0]
    upper = np.take_along_axis(steps, (valid // 2)[:, None], axis=1)[:, 0]
    median = np.where(valid > 0, (lower + np.where(valid % 2 == 0, upper, lower)) / 2, 0.0)
    count = np.count_nonzero(~np.isnan(windows), axis=1)
    mean = np.nansum(windows, axis=1) / np.maximum(count, 1)
    return np.divide(median, mean, out=np.zeros(n), where=(valid > 0) & (mean > 0))


def sudden_ratio(prev_rr: np.ndarray) -> np.ndarray:
    """Each beat's previous RR interval over the previous RR interval of the beat before.

    Parameters
    ----------
    prev_rr : numpy.ndarray, shape (n,)
        Each beat's previous RR interval, in beat order (column 0 of
        :func:`heartbeat.context.rr_features`; any unit).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        ``prev_rr[i] / prev_rr[i - 1]``: well below 1 for a premature beat (its interval
        shortens at once), near 1 in a smooth swing of the rate; 1 for the first beat
        and where the interval before is 0.

    Examples
    --------
    A slow swing, then one premature beat and its pause:

    >>> sudden_ratio(np.array([1.0, 0.96, 0.92, 0.9, 0.6, 1.3])).round(2)
    array([1.  , 0.96, 0.96, 0.98, 0.67, 2.17])
    """
    r = np.asarray(prev_rr, dtype=np.float64)
    out = np.ones(len(r))
    if len(r) > 1:
        np.divide(r[1:], r[:-1], out=out[1:], where=r[:-1] > 0)
    return out


def on_time_supraventricular(called: np.ndarray, rr_ratio: np.ndarray, min_ratio: float, *,
                             supra: int, first_is_start: bool = False,
                             previous_is_s: bool = False, local_mean: np.ndarray | None = None,
                             min_local: float = 0.0) -> np.ndarray:
    """Return the beats called S that come on time and do not continue a run of S.

    Every beat of the AAMI S class is premature, so a beat called S whose previous RR
    over the local mean RR is at least `min_ratio` is an N beat the model misread,
    unless the beat before it is called S too (the later beats of a run of
    supraventricular tachycardia are on time against a local mean that shortened with
    them).

    Parameters
    ----------
    called : numpy.ndarray of int, shape (n,)
        Each beat's most probable class, in beat order.
    rr_ratio : numpy.ndarray, shape (n,)
        Previous RR over local mean RR.
    min_ratio : float
        ``TemplateRule.s_on_time_ratio`` (``inf``: no beat is returned).
    supra : int
        The code of S in `called`.
    first_is_start : bool, default False
        True if the first beat is the recording's first (it has no previous RR): it is
        left alone.
    previous_is_s : bool, default False
        Whether the beat before the first one was called S (a stream's earlier beat).
    local_mean : numpy.ndarray, shape (n,), optional
        Each beat's local mean RR over the recording's mean RR (column 2 of
        :func:`heartbeat.context.rr_features`); with `min_local`, a beat below it (in a
        fast stretch) is not returned.
    min_local : float, default 0.0
        ``TemplateRule.s_on_time_local_min`` (0: not checked).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)

    Examples
    --------
    A run of three S beats on time, then an isolated one:

    >>> called = np.array([0, 1, 1, 1, 0, 1, 0])
    >>> ratio = np.array([1.0, 0.7, 0.95, 1.0, 1.0, 0.98, 1.0])
    >>> on_time_supraventricular(called, ratio, 0.9, supra=1).nonzero()[0].tolist()
    [5]
    """
    called = np.asarray(called)
    is_s = called == supra
    before_s = np.r_[previous_is_s, is_s[:-1]] if len(called) else is_s
    out = is_s & (np.asarray(rr_ratio) >= min_ratio) & ~before_s
    if min_local > 0 and local_mean is not None:
        out &= np.asarray(local_mean) >= min_local
    if first_is_start and len(out):
        out[0] = False
    return out
