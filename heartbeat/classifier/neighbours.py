"""Label-free self-training on one recording: a beat takes the class of its confident neighbours.

A network trained on other people is sure of many of a new person's beats and unsure
of some; the sure ones show what this person's normal and ventricular beats look
like.  :func:`move_by_neighbours` (the last step of ``adapt="template"``, on when
:attr:`~heartbeat.classifier.template.TemplateRule.neighbours_k` > 0) takes as
**references** the beats the adaptation calls N or V of which the network itself was
sure (its probability of that class at least ``neighbours_confidence``), and for each
other beat looks up its ``neighbours_k`` nearest references (Euclidean distance over
the first ``neighbours_window_s`` seconds after the R peak, amplitude included):

* a beat called N or S that comes early (previous RR below
  ``neighbours_max_rr_ratio`` x the local mean RR), unless it is itself a sure N,
  becomes V when at least ``neighbours_agree`` of its neighbours are V (a premature
  ventricular beat of this person's shape that the network or the template step
  called N, or called S);
* a beat called V of which the network was not sure becomes N when at least
  ``neighbours_agree`` of its neighbours are N.

Both look at the references as they stand before either moves a beat.  Nothing
happens in a recording with fewer than ``neighbours_agree`` V references or fewer
than ``neighbours_k`` N references.  S is not decided by shape (a supraventricular
beat has the normal shape), so no beat becomes S here.  No label is used.
"""

from __future__ import annotations

import numpy as np

from heartbeat.classifier.supraventricular import move_class

__all__ = ["MAX_REFERENCES", "is_on", "move_by_neighbours", "nearest_votes", "sure_beats",
           "vote", "window_samples"]

MAX_REFERENCES = 4000
"""Most references of one class (evenly spaced in time if there are more): bounds the
time and memory a day-long recording costs; a 30-minute MIT-BIH record never has more."""

_CHUNK_ENTRIES = 1 << 22  # distances held at once (32 MiB of float64)


def nearest_votes(asked: np.ndarray, references: np.ndarray, is_v: np.ndarray, k: int
                  ) -> np.ndarray:
    """Return, for each asked beat, how many of its `k` nearest references are V.

    Parameters
    ----------
    asked, references : numpy.ndarray, shape (m, window) and (r, window)
        The first samples after the R peak of the beats that vote and of the
        references (`k` or more of them); distance is Euclidean.
    is_v : numpy.ndarray of bool, shape (r,)
        Which references are V (the others are N).
    k : int
        Neighbours per asked beat.

    Returns
    -------
    numpy.ndarray of int64, shape (m,)
    """
    ref = np.asarray(references, dtype=np.float64)
    ref_sq = np.einsum("ij,ij->i", ref, ref)
    votes = np.empty(len(asked), dtype=np.int64)
    step = max(1, _CHUNK_ENTRIES // max(1, len(ref)))
    for lo in range(0, len(asked), step):
        rows = np.asarray(asked[lo:lo + step], dtype=np.float64)
        # squared distances up to the row's own norm, which does not change the order
        dist = ref_sq[None, :] - 2.0 * (rows @ ref.T)
        nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
        votes[lo:lo + step] = is_v[nearest].sum(axis=1)
    return votes


def sure_beats(called: np.ndarray, proba: np.ndarray, rule, classes: tuple[str, ...]
               ) -> tuple[np.ndarray, np.ndarray]:
    """Return (sure N, sure V) of the beats `called` (class indices; `classes` hold N, V).

    A beat is a sure N (V) when it is called N (V) and its network probability of that
    class is at least ``rule.neighbours_confidence``.
    """
    n_idx, v_idx = classes.index("N"), classes.index("V")
    proba = np.asarray(proba, dtype=np.float64)
    return ((called == n_idx) & (proba[:, n_idx] >= rule.neighbours_confidence),
            (called == v_idx) & (proba[:, v_idx] >= rule.neighbours_confidence))


def window_samples(rule, fs_out: float) -> int:
    """Return how many samples after the R peak the neighbours step compares."""
    return max(2, round(rule.neighbours_window_s * fs_out))


def vote(out: np.ndarray, heads: np.ndarray, rr_ratio: np.ndarray, sure: tuple,
         references: np.ndarray, is_v: np.ndarray, rule, classes: tuple[str, ...]
         ) -> np.ndarray:
    """Move the beats of `out` that their nearest references outvote (a copy).

    `heads` are the beats' first :func:`window_samples`, `sure` their
    :func:`sure_beats`, `references` / `is_v` the references' heads and classes.
    Nothing moves with fewer than ``neighbours_agree`` V or ``neighbours_k`` N
    references.
    """
    result = np.array(out, dtype=np.float64, copy=True)
    k, agree = rule.neighbours_k, rule.neighbours_agree
    if np.count_nonzero(is_v) < agree or np.count_nonzero(~is_v) < k:
        return result
    n_idx, v_idx = classes.index("N"), classes.index("V")
    s_idx = classes.index("S") if "S" in classes else -1
    called = result.argmax(axis=1)
    sure_n, sure_v = sure
    early = np.asarray(rr_ratio) < rule.neighbours_max_rr_ratio
    to_v = np.flatnonzero((((called == n_idx) & ~sure_n) | (called == s_idx)) & early)
    to_n = np.flatnonzero((called == v_idx) & ~sure_v)
    gain = to_v[nearest_votes(heads[to_v], references, is_v, k) >= agree]
    lose = to_n[k - nearest_votes(heads[to_n], references, is_v, k) >= agree]
    for rows, dst in ((gain, v_idx), (lose, n_idx)):
        for src in np.unique(called[rows]):
            move_class(result, rows[called[rows] == src], int(src), dst)
    return result


def is_on(rule, classes: tuple[str, ...]) -> bool:
    """Return True if `rule` has the step on and `classes` hold N and V."""
    return rule.neighbours_k > 0 and "N" in classes and "V" in classes


def _spread(rows: np.ndarray) -> np.ndarray:
    """At most :data:`MAX_REFERENCES` of `rows`, evenly spaced."""
    if len(rows) <= MAX_REFERENCES:
        return rows
    return rows[np.linspace(0, len(rows) - 1, MAX_REFERENCES).round().astype(np.int64)]


def move_by_neighbours(out: np.ndarray, proba: np.ndarray, waveforms: np.ndarray,
                       rr_ratio: np.ndarray, rule, *, classes: tuple[str, ...],
                       fs_out: float) -> np.ndarray:
    """Move beats to the class (N or V) of their confident neighbours in the recording.

    Parameters
    ----------
    out : numpy.ndarray, shape (n, n_classes)
        The adapted probabilities so far (rows of one recording, in time order).
    proba : numpy.ndarray, shape (n, n_classes)
        The network's own probabilities of the same beats (which beats it was sure of).
    waveforms : numpy.ndarray, shape (n, length)
        The beats from their R peak, at `fs_out` Hz.
    rr_ratio : numpy.ndarray, shape (n,)
        Each beat's previous RR over its local mean RR.
    rule : TemplateRule
        Its ``neighbours_k`` (0: nothing changes), ``neighbours_agree``,
        ``neighbours_confidence``, ``neighbours_window_s`` and
        ``neighbours_max_rr_ratio``.
    classes : tuple of str
        The model's class names (without ``"N"`` or ``"V"`` nothing changes).
    fs_out : float
        Sampling frequency of `waveforms` in Hz.

    Returns
    -------
    numpy.ndarray, shape (n, n_classes)
        A copy of `out` in which each moved beat's probability of the class it was
        called has gone to its new class (N or V), which is then its most probable.

    Examples
    --------
    Twelve sure N beats, six sure V beats of another shape, and one beat of the V
    shape that the network called N without being sure:

    >>> from heartbeat.classifier.template_rule import TemplateRule
    >>> t = np.linspace(0, 1, 187)
    >>> normal, wide = np.exp(-((t - 0.1) / 0.02) ** 2), np.exp(-((t - 0.15) / 0.06) ** 2)
    >>> waves = np.vstack([np.tile(normal, (12, 1)), np.tile(wide, (7, 1))])
    >>> proba = np.tile([0.95, 0.02, 0.01, 0.01, 0.01], (19, 1))
    >>> proba[12:18] = [0.02, 0.01, 0.95, 0.01, 0.01]
    >>> proba[18] = [0.6, 0.1, 0.3, 0.0, 0.0]
    >>> early = np.r_[np.ones(12), np.full(7, 0.7)]  # previous RR over local mean RR
    >>> moved = move_by_neighbours(proba, proba, waves, early, TemplateRule(neighbours_k=7),
    ...                            classes=("N", "S", "V", "F", "Q"), fs_out=125.0)
    >>> moved.argmax(axis=1)[[0, 12, 18]].tolist()
    [0, 2, 2]
    """
    if not is_on(rule, classes) or len(out) <= rule.neighbours_k:
        return np.array(out, dtype=np.float64, copy=True)
    called = np.asarray(out).argmax(axis=1)
    sure = sure_beats(called, proba, rule, classes)
    ref_v, ref_n = _spread(np.flatnonzero(sure[1])), _spread(np.flatnonzero(sure[0]))
    heads = np.asarray(waveforms)[:, :window_samples(rule, fs_out)]
    is_v = np.r_[np.ones(len(ref_v), bool), np.zeros(len(ref_n), bool)]
    return vote(out, heads, rr_ratio, sure, heads[np.concatenate([ref_v, ref_n])], is_v,
                rule, classes)
