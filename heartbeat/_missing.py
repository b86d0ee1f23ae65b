"""Missing samples: NaN in a signal, as the WFDB reader gives a record's invalid samples.

:func:`heartbeat.segment`, :func:`heartbeat.classify` and :class:`heartbeat.Stream`
refuse NaN by default (``missing="error"``, with a message that names the option).  With
``missing="unreadable"`` they read around the gaps instead: :func:`fill_missing`
fills each gap by a straight line between the valid samples either side, so that the
detector and the filters run on a finite signal, and returns where the gaps were; the
stretches of the quality index that hold a missing sample of the cut lead are then
unreadable (quality 0, ``Beats.unreadable``), so no beat found there is returned as a
beat (``segment``) or labelled (``classify``).  ``Stream`` does the same from the past
only (:mod:`heartbeat.stream`, "Missing samples").
"""

from __future__ import annotations

import itertools

import numpy as np

from heartbeat._validate import as_array, as_choice, is_real_dtype

MISSING: tuple[str, ...] = ("error", "unreadable")
"""What :func:`heartbeat.segment` and :func:`heartbeat.classify` do with NaN samples."""

SPLIT_GAP_S = 0.1
"""A gap this long can hide a whole QRS (about 0.1 s): :func:`heartbeat.classify`
treats the beats either side of it as the ends of two recordings (:func:`pieces`)."""


def fill_missing(signal: object, missing: object) -> tuple[object, np.ndarray | None]:
    """Return `signal` with its NaN samples filled, and where they were.

    Parameters
    ----------
    signal : array_like, shape (n,) or (n, n_leads)
        The signal as the caller passed it.
    missing : {"error", "unreadable"}
        ``"error"`` refuses NaN (a ValueError that names the option);
        ``"unreadable"`` fills each column's NaN samples by linear interpolation
        between the valid samples either side, held at the first or last valid value
        at the ends; a column without a valid sample becomes zeros (a flat lead).

    Returns
    -------
    signal : array_like
        `signal` itself when nothing is filled, else a float64 copy, filled.
    where : ndarray of bool or None
        True at the filled samples, the shape of `signal`; None when none was filled.
        Infinite values are not missing samples: they stay for the caller to refuse.

    Raises
    ------
    ValueError
        If `missing` is not one of :data:`MISSING`, or is ``"error"`` and `signal`
        holds NaN.
    """
    as_choice(missing, "missing", MISSING)
    try:
        arr = as_array(signal, "signal")
    except TypeError:
        return signal, None  # the caller's checks say what is wrong
    if arr.ndim not in (1, 2) or not is_real_dtype(arr.dtype) or arr.dtype.kind != "f":
        return signal, None
    if arr.size == 0 or not np.isnan(arr.min()):  # min propagates NaN: no temporary
        return signal, None
    where = np.isnan(arr)
    if missing == "error":
        raise ValueError(
            f"signal holds {int(where.sum())} NaN value(s) (missing samples, as a WFDB "
            "record's invalid ones); interpolate them, or pass missing='unreadable' "
            "(--missing unreadable on the command line) to read around them (their "
            "stretches are then reported unreadable)"
        )
    filled = arr.astype(np.float64)  # a copy: the caller's array is not changed
    columns = filled if filled.ndim == 2 else filled[:, None]
    for m in range(columns.shape[1]):
        column, gap = columns[:, m], np.isnan(columns[:, m])
        valid = np.flatnonzero(~gap)
        if valid.size == 0:
            column[:] = 0.0
        elif gap.any():
            column[gap] = np.interp(np.flatnonzero(gap), valid, column[valid])
    return filled, where


def pieces(r_peaks: np.ndarray, gaps: np.ndarray | None, fs: float) -> list[slice]:
    """Split the beats at `r_peaks` where an RR interval spans a gap.

    An interval between consecutive peaks that holds at least :data:`SPLIT_GAP_S` of
    missing samples (`gaps`, bool per sample, or per sample and lead of the leads the
    detector read: a sample is missing where every lead misses it) may hide a beat the
    detector could not see, so it is no RR interval: the
    beats either side end and start two pieces, each classified as a recording of its
    own (its RR intervals, record context and template).  Returns the slices of the
    beats of each piece, in order (one slice for all of them when `gaps` is None or no
    interval spans a gap).
    """
    n = len(r_peaks)
    if gaps is None or n < 2:
        return [slice(0, n)]
    if gaps.ndim == 2:
        gaps = gaps.all(axis=1)
    missing_before = np.concatenate([[0], np.cumsum(gaps, dtype=np.int64)])
    held = missing_before[r_peaks[1:]] - missing_before[r_peaks[:-1] + 1]
    cuts = np.flatnonzero(held >= max(1, round(SPLIT_GAP_S * fs))) + 1
    bounds = [0, *cuts.tolist(), n]
    return [slice(a, b) for a, b in itertools.pairwise(bounds)]
