"""The multi-lead vote of the R-peak detector: one source for both backends.

================  ==========================  ========================
kernel            Numba (``"numba"``)         NumPy twin (``"numpy"``)
================  ==========================  ========================
``MERGE_LEADS``   :func:`merge_leads`         :func:`merge_leads`
================  ==========================  ========================

:func:`merge_leads` joins the peaks that :mod:`heartbeat.detect` found on each lead
into one sequence.  Like :func:`heartbeat._detect_kernels.decide_beats` it is plain
Python on NumPy arrays that the ``"numba"`` backend compiles on first use (never at
import; :mod:`heartbeat._jit`); its work is per detected peak.  It walks the peaks one
group (one beat's peaks) at a time and leaves each step to a helper of this module,
which the kernel lists (``Kernel(helpers=...)``): the NumPy backend calls them as
Python, the ``"numba"`` backend compiles them with the kernel.
"""

from __future__ import annotations

import numpy as np

from heartbeat._jit import Kernel


def merge_leads(
    pos: np.ndarray,
    lead: np.ndarray,
    quality: np.ndarray,
    n_leads: int,
    tolerance: int,
    context: int,
    vote: float,
    veto: float,
    weight: float,
    refractory: int,
    gap_rr: float,
    fit_rr: float,
    edge: int,
    n_samples: int,
    stretch_quality: np.ndarray,
    stretch: int,
    present: float,
    out: np.ndarray,
    veto_typical: float = 0.0,
) -> int:
    """Join the R peaks found on each lead into one sequence (a weighted vote).

    Parameters
    ----------
    pos, lead : ndarray of int64, shape (n,)
        The peaks of all leads sorted by position, and the lead (``< n_leads``) of each.
    quality : ndarray of float64, shape (n,)
        How clearly the lead shows each peak (> 0).
    n_leads : int
        Number of leads.
    tolerance : int
        Peaks of different leads closer than this many samples to a group's first
        peak are one beat.
    context : int
        A lead's local quality at a group is the median quality of its own peaks
        among the `context` nearest before and the `context` nearest after.
    vote : float
        A group is a beat when its vote reaches this: the sum over the leads that
        show it of their local quality times how typical the peak is for that lead
        (its quality over the lead's local quality, at most 1), over the sum of all
        leads' local qualities.  A lead that is clean here and shows nothing votes
        against; a weak peak of a clean lead (a T wave, a wide QRS's far end) carries
        little.
    veto : float
        A group the locally clearest lead shows needs only this vote, when that lead's
        peak there is typical: its quality at least `veto_typical` times the lead's
        local quality (0: any peak of the clearest lead).
    weight : float
        A group below `vote` is still a beat when the leads that show it sum to at
        least `weight` times the locally clearest lead's local quality, and that lead
        skipped a beat there: its next peak comes `gap_rr` RR intervals (the median
        of the last ``2 * context`` intervals kept) or more after the last beat kept,
        and this one lies at least `refractory` samples and `fit_rr` RR intervals from
        both (it fits the rhythm).
    refractory : int
        Of two beats closer than this many samples, the one with the higher vote
        stays.
    gap_rr, fit_rr : float
        See `weight`.
    edge, n_samples : int
        A beat within `edge` samples of either end of the record (`n_samples` long)
        is kept only when its vote reaches `vote`: neither `veto` nor `weight` applies.
        There the refinement window is cut off, a lead may place a peak on a QRS the
        record cuts in half, and another lead's silence is no evidence either way.
    stretch_quality : ndarray of float64, shape (n_stretches, n_leads)
        Each lead's signal-quality index (:func:`heartbeat.quality`) in each stretch
        of `stretch` samples.
    stretch : int
        Stretch length in samples (> 0).
    present : float
        In a stretch where some lead's index reaches this, a lead whose index is
        below it counts as absent at the groups that start there: no local quality,
        no peak, no vote either way.  Local quality cannot tell a regular rhythm from
        noise of the same height; the index can.  0 turns this off.
    out : ndarray of int64, shape (n,)
        Receives the accepted beats, each at the position found on the locally
        clearest lead that shows it.
    veto_typical : float, optional
        See `veto`.

    Returns
    -------
    int
        Number of beats written to the start of `out`.

    Notes
    -----
    A flat lead has no peaks and no say; a lead of noise shows few, weak peaks: it
    neither adds its false peaks nor vetoes a clear lead's beats.  The steps of one
    group are helpers of this module (:data:`MERGE_LEADS` lists them for Numba):
    :func:`_clearest_peaks`, :func:`_absent_leads`, :func:`_local_qualities`,
    :func:`_tally`, :func:`_fits_rhythm` and :func:`_keep`.
    """
    n = pos.shape[0]
    # each lead's peaks in order: their indices into pos, and where a group stands
    order = np.argsort(lead, kind="mergesort")
    starts = np.searchsorted(lead[order], np.arange(n_leads + 1))  # lead m: [m], [m + 1]
    cursor = starts[:n_leads].copy()  # per lead: its first peak not yet passed
    window = np.empty(2 * context)
    member = np.zeros(n_leads, dtype=np.int64)  # per lead: its peak in the group, or -1
    local = np.zeros(n_leads)
    absent = np.zeros(n_leads, dtype=np.bool_)
    count = 0
    last_vote = 0.0
    i = 0
    while i < n:
        first = pos[i]
        end = i
        while end < n and pos[end] - first < tolerance:
            end += 1
        _clearest_peaks(lead, quality, i, end, member)
        _absent_leads(stretch_quality, min(first // stretch, stretch_quality.shape[0] - 1),
                      present, absent)
        clearest = _local_qualities(pos, order, quality, starts, cursor, first, context,
                                    absent, window, member, local)
        support, score, best = _tally(lead, quality, member, local)
        if best < 0:  # only absent leads show it
            i = end
            continue
        cut = pos[best] < edge or pos[best] >= n_samples - edge
        vetoes = member[clearest] >= 0 and (
            veto_typical <= 0.0 or quality[member[clearest]] >= veto_typical * local[clearest])
        accept = score >= vote or (not cut and vetoes and score >= veto)
        if not accept and not cut and support >= weight * local[clearest] and count > 1:
            # only where the clearest lead skipped a beat (see `weight`)
            after = cursor[clearest]  # the clearest lead's next peak (past this group)
            if after < starts[clearest + 1]:
                accept = _fits_rhythm(out, count, pos[best], pos[order[after]], window,
                                      context, refractory, gap_rr, fit_rr)
        if accept:
            count, last_vote = _keep(out, count, pos[best], score, last_vote, refractory)
        i = end
    return count


def _median_of_first(window: np.ndarray, k: int) -> float:
    """Sort ``window[:k]`` in place and return its median (``k > 0``)."""
    window[:k].sort()
    return 0.5 * (window[(k - 1) // 2] + window[k // 2])


def _clearest_peaks(lead: np.ndarray, quality: np.ndarray, i: int, end: int,
                    member: np.ndarray) -> None:
    """Set ``member[m]`` to lead m's clearest peak among peaks ``i:end`` (-1: none)."""
    member[:] = -1
    for g in range(i, end):
        if member[lead[g]] < 0 or quality[g] > quality[member[lead[g]]]:
            member[lead[g]] = g


def _absent_leads(stretch_quality: np.ndarray, s: int, present: float,
                  absent: np.ndarray) -> None:
    """Mark the leads absent in stretch `s`: below `present` where another reaches it."""
    n_leads = absent.shape[0]
    top = 0.0
    for m in range(n_leads):
        top = max(top, stretch_quality[s, m])
    for m in range(n_leads):
        absent[m] = top >= present and stretch_quality[s, m] < present


def _local_qualities(pos: np.ndarray, order: np.ndarray, quality: np.ndarray,
                     starts: np.ndarray, cursor: np.ndarray, first: int, context: int,
                     absent: np.ndarray, window: np.ndarray, member: np.ndarray,
                     local: np.ndarray) -> int:
    """Fill ``local`` with each lead's local quality at a group starting at `first`.

    Moves each lead's `cursor` to its first peak at or after `first`; an absent lead
    gets no local quality and loses its member.  Returns the locally clearest lead.
    """
    clearest = 0
    for m in range(absent.shape[0]):
        while cursor[m] < starts[m + 1] and pos[order[cursor[m]]] < first:
            cursor[m] += 1
        lo = max(cursor[m] - context, starts[m])
        hi = min(cursor[m] + context, starts[m + 1])
        k = hi - lo
        local[m] = 0.0
        if absent[m]:
            member[m] = -1  # absent here: a lead of noise among readable leads
            continue
        if k > 0:
            for a in range(k):
                window[a] = quality[order[lo + a]]
            local[m] = _median_of_first(window, k)
        if local[m] > local[clearest]:
            clearest = m
    return clearest


def _tally(lead: np.ndarray, quality: np.ndarray, member: np.ndarray, local: np.ndarray
           ) -> tuple[float, float, int]:
    """Return a group's support, vote and best peak (-1 when no present lead shows it).

    The support is the sum of its peaks' qualities; the vote, the sum over the leads
    that show it of their peak's quality (at most their local quality) over the sum of
    all local qualities; the best peak is that of the locally clearest lead showing it.
    """
    support = 0.0
    total = 0.0
    score = 0.0
    best = -1
    for m in range(member.shape[0]):
        total += local[m]
        if member[m] >= 0:
            q = quality[member[m]]
            support += q
            score += min(q, local[m])
            if best < 0 or local[m] > local[lead[best]]:
                best = member[m]
    return support, (score / total if total > 0.0 else 0.0), best


def _fits_rhythm(out: np.ndarray, count: int, at: int, nxt: int, window: np.ndarray,
                 context: int, refractory: int, gap_rr: float, fit_rr: float) -> bool:
    """Return True when a beat at `at` fills a gap the clearest lead left before `nxt`.

    The rhythm is that of the ``count > 1`` beats kept so far in `out` (a noisy lead's
    own intervals say nothing): the median RR of the last ``2 * context``.  The gap from
    the last beat kept to `nxt` spans `gap_rr` RR or more, and `at` lies at least
    `refractory` samples and `fit_rr` RR from both.
    """
    k = min(count - 1, 2 * context)
    for a in range(k):
        window[a] = out[count - 1 - a] - out[count - 2 - a]
    rr = _median_of_first(window, k)
    apart = max(refractory, fit_rr * rr)
    return (nxt - out[count - 1] >= gap_rr * rr
            and at - out[count - 1] >= apart
            and nxt - at >= apart)


def _keep(out: np.ndarray, count: int, at: int, score: float, last_vote: float,
          refractory: int) -> tuple[int, float]:
    """Write the beat at `at` to `out`; return the new count and the last beat's vote.

    Of two beats closer than `refractory` samples the one with the higher vote stays.
    """
    if count > 0 and at - out[count - 1] < refractory:
        if score > last_vote:  # the clearer of two beats too close together
            out[count - 1] = at
            return count, score
        return count, last_vote
    out[count] = at
    return count + 1, score


MERGE_LEADS = Kernel(
    numba_loop=merge_leads, numpy_twin=merge_leads,
    helpers=(_median_of_first, _clearest_peaks, _absent_leads, _local_qualities, _tally,
             _fits_rhythm, _keep),
)
