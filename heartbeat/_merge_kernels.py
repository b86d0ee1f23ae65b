"""The multi-lead vote of the R-peak detector: one source for both backends.

================  ==========================  ========================
kernel            Numba (``"numba"``)         NumPy twin (``"numpy"``)
================  ==========================  ========================
``MERGE_LEADS``   :func:`merge_leads`         :func:`merge_leads`
================  ==========================  ========================

:func:`merge_leads` joins the peaks that :mod:`heartbeat.detect` found on each lead
into one sequence.  Like :func:`heartbeat._detect_kernels.decide_beats` it is plain
Python on NumPy arrays that the ``"numba"`` backend compiles on first use (never at
import; :mod:`heartbeat._jit`); its work is per detected peak.
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
    weight: float,
    refractory: int,
    gap_rr: float,
    out: np.ndarray,
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
    weight : float
        A group is a beat when the locally clearest lead (highest local quality)
        shows it.  Otherwise the leads that show it must sum to at least `weight`
        times that lead's local quality, and the clearest lead must have skipped a
        beat there: its next peak comes `gap_rr` local RR intervals (median of the
        nearest, the shorter of the two leads') or more after the last beat kept,
        and this one lies at least `refractory` samples (an int) from both.
    refractory, gap_rr : int, float
        See `weight`.
    out : ndarray of int64, shape (n,)
        Receives the accepted beats, each at the position found on the locally
        clearest lead that shows it.

    Returns
    -------
    int
        Number of beats written to the start of `out`.

    Notes
    -----
    A flat or noisy lead shows few, unclear peaks: it neither adds its false peaks
    nor vetoes a clear lead's beats.  One function for the reason given in
    :func:`decide_beats`.
    """
    n = pos.shape[0]
    # each lead's peaks in order: their indices into pos, and where a group stands
    order = np.argsort(lead, kind="mergesort")
    starts = np.searchsorted(lead[order], np.arange(n_leads + 1))  # lead m: [m], [m + 1]
    cursor = starts[:n_leads].copy()  # per lead: its first peak not yet passed
    window = np.empty(2 * context)
    member = np.zeros(n_leads, dtype=np.int64)  # per lead: its peak in the group, or -1
    local = np.zeros(n_leads)
    count = 0
    i = 0
    while i < n:
        first = pos[i]
        end = i
        while end < n and pos[end] - first < tolerance:
            end += 1
        member[:] = -1
        for g in range(i, end):
            if member[lead[g]] < 0 or quality[g] > quality[member[lead[g]]]:
                member[lead[g]] = g
        clearest = 0
        for m in range(n_leads):
            while cursor[m] < starts[m + 1] and pos[order[cursor[m]]] < first:
                cursor[m] += 1
            lo = max(cursor[m] - context, starts[m])
            hi = min(cursor[m] + context, starts[m + 1])
            k = hi - lo
            local[m] = 0.0
            if k > 0:
                for a in range(k):
                    window[a] = quality[order[lo + a]]
                window[:k].sort()
                local[m] = 0.5 * (window[(k - 1) // 2] + window[k // 2])
            if local[m] > local[clearest]:
                clearest = m
        support = 0.0
        best = -1
        for m in range(n_leads):
            if member[m] >= 0:
                support += quality[member[m]]
                if best < 0 or local[m] > local[lead[best]]:
                    best = member[m]
        accept = member[clearest] >= 0
        if not accept and support >= weight * local[clearest] and count > 0:
            # only where the clearest lead skipped a beat (see `weight`)
            after = cursor[clearest]  # the clearest lead's next peak (past this group)
            rr = np.inf  # the shorter local RR of the clearest lead and of this one
            for m in (clearest, lead[best]):
                lo = max(cursor[m] - context, starts[m])
                hi = min(cursor[m] + context, starts[m + 1])
                k = hi - lo - 1
                if k > 0:
                    for a in range(k):
                        window[a] = pos[order[lo + a + 1]] - pos[order[lo + a]]
                    window[:k].sort()
                    rr = min(rr, 0.5 * (window[(k - 1) // 2] + window[k // 2]))
            if rr < np.inf and after < starts[clearest + 1]:
                nxt = pos[order[after]]
                accept = (
                    nxt - out[count - 1] >= gap_rr * rr
                    and pos[best] - out[count - 1] >= refractory
                    and nxt - pos[best] >= refractory
                )
        if accept:
            out[count] = pos[best]
            count += 1
        i = end
    return count


MERGE_LEADS = Kernel(numba_loop=merge_leads, numpy_twin=merge_leads)
