"""Around the multi-lead vote: the quality gate (each lead's index where it can matter).

:func:`heartbeat.detect.detect_r_peaks` on several leads counts a lead as absent in a
2 s stretch where its signal-quality index (:func:`heartbeat.quality`, on the lead's
own peaks) is below ``detect.MERGE_PRESENT`` while another lead's reaches it (Notes,
9).  The index costs about three times the detection, so :func:`gate_quality` takes
it only where the gate can change the vote: around the stretches where the leads'
peaks disagree.  Where every lead shows the same beats a gated lead could still move
a beat to another lead's peak (207 near 27:22, where lead 0's index drops to 0.0009
while both leads show the beat), so the disputed stretches are widened by a margin
checked on the 48 MIT-BIH records (``docs/benchmarks.md``): this is a shortcut that
keeps every merged beat there, not one that is exact by construction.

After the vote, :func:`lone_beats` puts back the typical lone peaks of a lead about as
clear as the clearest (a beat one lead shows that the other, as clear, does not).
"""

from __future__ import annotations

import numpy as np

from heartbeat import signal_quality as _sq
from heartbeat.signal_quality_features import nan_median_rows

__all__ = ["gate_quality", "gated_stretches", "lone_beats", "stretch_quality"]

# a stretch's index reads the signal this many stretches either side: its 6 s context
# (one) and the second detector's threshold, from the 2 s blocks 8 s either side (four)
INDEX_REACH = 5

Found = list[tuple[np.ndarray, np.ndarray]]  # each lead's (peaks, quality)


def _lengths(fs: float) -> tuple[int, int]:
    """Return the index's stretch and context lengths in samples."""
    seg = max(1, round(_sq.SEGMENT_S * fs))
    return seg, max(seg, round(_sq.CONTEXT_S * fs))


def stretch_quality(leads: list[np.ndarray], found: Found, fs: float) -> np.ndarray:
    """Each lead's quality index per stretch, shape (n_stretches, n_leads).

    Each lead is scored with its own peaks, in
    :data:`heartbeat.signal_quality.SEGMENT_S` stretches: the index of
    :func:`heartbeat.quality` for that lead, bit for bit.
    """
    seg, ctx = _lengths(fs)
    return np.stack([_sq.quality_on_peaks(v, fs, peaks, seg, ctx).index
                     for v, (peaks, _) in zip(leads, found, strict=True)], axis=1)


def gate_quality(leads: list[np.ndarray], found: Found, fs: float, tolerance: int,
                 pad: int) -> np.ndarray:
    """:func:`stretch_quality` where the gate can change the vote, 1 elsewhere.

    Parameters
    ----------
    leads : list of numpy.ndarray
        The leads, each 1-D finite float64 of the same length.
    found : list of (peaks, quality)
        Each lead's detections (sorted peaks).
    fs : float
        Sampling frequency in Hz.
    tolerance : int
        A peak is disputed when another lead has no peak closer than this (samples).
    pad : int
        The index is taken in the stretches within `pad` of a disputed one.

    Returns
    -------
    numpy.ndarray, shape (n_stretches, n_leads)
        Each lead's index in those stretches (each run of them scored on the signal
        :data:`INDEX_REACH` stretches around it), 1 (present) elsewhere.  Where they
        would take more than half the record (a lead of noise disputes nearly every
        stretch) the whole record is scored.
    """
    seg, ctx = _lengths(fs)
    n = leads[0].size
    need = gated_stretches(found, n, fs, tolerance, pad)
    cover = _widen(need, INDEX_REACH)
    if 2 * np.count_nonzero(cover) > need.size:
        return stretch_quality(leads, found, fs)
    out = np.ones((need.size, len(leads)))
    edges = np.flatnonzero(np.diff(np.concatenate([[0], cover.astype(np.int8), [0]])))
    for a, b in edges.reshape(-1, 2):
        lo, hi = a * seg, min(n, b * seg)
        keep = need[a:b]
        for m, (x, (peaks, _)) in enumerate(zip(leads, found, strict=True)):
            inside = peaks[np.searchsorted(peaks, lo):np.searchsorted(peaks, hi)] - lo
            index = _sq.quality_on_peaks(x[lo:hi], fs, inside, seg, ctx).index
            out[a:b, m][keep] = index[keep]
    return out


def gated_stretches(found: Found, n_samples: int, fs: float, tolerance: int,
                    pad: int) -> np.ndarray:
    """Where :func:`gate_quality` takes the index: one bool per stretch.

    The stretches within `pad` of one holding a peak that another lead lacks (no
    peak of its own closer than `tolerance` samples).
    """
    seg = _lengths(fs)[0]
    return _widen(_disputed(found, seg, -(-n_samples // seg), tolerance), pad)


def _disputed(found: Found, seg: int, n_stretches: int, tolerance: int) -> np.ndarray:
    """Stretches of `seg` samples holding a peak that another lead lacks.

    A lead lacks a peak when none of its own lies closer than `tolerance` samples.
    """
    out = np.zeros(n_stretches, dtype=bool)
    for m, (peaks, _) in enumerate(found):
        for other, (theirs, _) in enumerate(found):
            if other == m or peaks.size == 0:
                continue
            lone = peaks
            if theirs.size:
                j = np.searchsorted(theirs, peaks)
                gap = np.minimum(np.abs(theirs[np.maximum(j - 1, 0)] - peaks),
                                 np.abs(theirs[np.minimum(j, theirs.size - 1)] - peaks))
                lone = peaks[gap >= tolerance]
            out[np.minimum(lone // seg, n_stretches - 1)] = True
    return out


def _widen(mask: np.ndarray, k: int) -> np.ndarray:
    """`mask` with each True spread to the `k` entries either side."""
    out = mask.copy()
    for step in range(1, min(k, mask.size - 1) + 1):
        out[step:] |= mask[:-step]
        out[:-step] |= mask[step:]
    return out


def lone_beats(found: Found, merged: np.ndarray, stretch_quality: np.ndarray | None,
               present: float, fs: float, n_samples: int, settings: tuple) -> np.ndarray:
    """Return `merged` with the typical lone peaks of a nearly clearest lead put back.

    A lead's peak the vote dropped is kept when no merged beat lies within
    `refractory` samples of it, it is at least `typical` times its lead's local
    quality (the median quality of its `context` peaks either side, as the vote
    takes it), that lead's local quality is at least `clear` times the clearest
    present lead's, its lead is present there (the gate's rule on
    `stretch_quality`, per stretch of the index) and it lies `edge` samples or more
    from either end.  Of such peaks closer than `refractory` to the previous one
    only the first stays.  `settings` is ``(context, refractory, edge, clear,
    typical)``.
    """
    context, refractory, edge, clear, typical = settings
    if merged.size == 0:
        return merged
    seg = _lengths(fs)[0]
    extra = []
    for m, (peaks, quality) in enumerate(found):
        j = np.searchsorted(merged, peaks)
        gap = np.minimum(np.abs(merged[np.maximum(j - 1, 0)] - peaks),
                         np.abs(merged[np.minimum(j, merged.size - 1)] - peaks))
        free = np.flatnonzero((gap >= refractory) & (peaks >= edge)
                              & (peaks < n_samples - edge))
        if free.size == 0:
            continue
        at = peaks[free]
        local = np.stack([_local_quality(p, q, at, context) for p, q in found], axis=1)
        if stretch_quality is not None:
            sqi = stretch_quality[np.minimum(at // seg, stretch_quality.shape[0] - 1)]
            local *= ~((sqi.max(axis=1, keepdims=True) >= present) & (sqi < present))
        ok = ((quality[free] >= typical * local[:, m]) & (local[:, m] > 0)
              & (local[:, m] >= clear * local.max(axis=1)))
        extra.append(at[ok])
    extra = np.unique(np.concatenate(extra)) if extra else np.empty(0, np.int64)
    if extra.size == 0:
        return merged
    first = np.concatenate([[True], np.diff(extra) >= refractory])
    return np.union1d(merged, extra[first])


def _local_quality(peaks: np.ndarray, quality: np.ndarray, at: np.ndarray,
                   context: int) -> np.ndarray:
    """Return the median quality of a lead's `context` peaks either side of each `at`.

    As :func:`heartbeat._merge_kernels.merge_leads` takes a lead's local quality: the
    peaks ``[c - context, c + context)`` around the first one at or after the
    position; 0 for a lead without peaks.
    """
    if peaks.size == 0:
        return np.zeros(at.size)
    c = np.searchsorted(peaks, at)
    lo = np.maximum(c - context, 0)
    hi = np.minimum(c + context, peaks.size)
    idx = lo[:, None] + np.arange(2 * context)
    rows = np.where(idx < hi[:, None], quality[np.minimum(idx, peaks.size - 1)], np.nan)
    return np.nan_to_num(nan_median_rows(rows), nan=0.0)
