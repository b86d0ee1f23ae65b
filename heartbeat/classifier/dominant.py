"""The recording's dominant beat when the model calls too few beats N: the fallback template.

The template of :func:`heartbeat.classify`'s ``adapt="template"``
(:mod:`heartbeat.classifier.template`) is the median of the beats the model calls N.
On a recording whose ordinary beat the model does not know (a wide QRS in an ICU lead,
say) fewer than a fifth of the beats may be called N, and then no template is built:
the steps that would say "on time and of the dominant shape, so N" cannot run.  The
recording still has a dominant beat, found without the model: the beats that are
**not premature** (previous RR over local mean RR at least ``min_rr_ratio``; premature
ventricular beats of bigeminy or trigeminy are not) and that match the median of those
beats in shape.  If that cluster is at least ``min_share`` of the beats, its median is
the template (:func:`fallback_template`); :class:`RunningFallback` is the same from the
past only, for :class:`heartbeat.Stream`.  The fallback's values were fixed before it
was scored (docs/results.md, section 5, "A fallback template and sudden prematurity").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

__all__ = ["RunningFallback", "fallback_template"]


def fallback_template(head: np.ndarray, rr_ratio: np.ndarray,
                      similar: Callable[[np.ndarray, np.ndarray], np.ndarray], *,
                      min_rr_ratio: float, min_share: float, min_beats: int
                      ) -> np.ndarray | None:
    """Return the median of the dominant cluster of beats that are not premature.

    Parameters
    ----------
    head : numpy.ndarray, shape (n, window)
        The beats' first samples after the R peak.
    rr_ratio : numpy.ndarray, shape (n,)
        Each beat's previous RR over its local mean RR.
    similar : callable
        ``similar(head, template)`` gives True for each beat that matches `template` in
        shape (the V/F step's test: :func:`heartbeat.classifier.template.matches`).
    min_rr_ratio : float
        Least `rr_ratio` of a candidate (a beat that is not premature).
    min_share : float
        Least share of all `n` beats the cluster must hold.
    min_beats : int
        Fewest beats the cluster must hold.

    Returns
    -------
    numpy.ndarray of float64, shape (window,) or None
        The median of the candidates that match the candidates' median; None if the
        candidates or that cluster are too few.

    Examples
    --------
    Ten beats of one shape on time and two premature beats of another:

    >>> head = np.r_[np.tile(np.sin(np.linspace(0, 3, 30)), (10, 1)),
    ...              np.tile(np.cos(np.linspace(0, 3, 30)), (2, 1))]
    >>> ratio = np.r_[np.ones(10), 0.7, 0.7]
    >>> same = lambda h, t: np.corrcoef(np.vstack([t, h]))[0, 1:] > 0.8
    >>> t = fallback_template(head, ratio, same, min_rr_ratio=0.9, min_share=0.5,
    ...                       min_beats=10)
    >>> bool(np.allclose(t, head[0]))
    True
    """
    head = np.asarray(head, dtype=np.float64)
    need = max(min_beats, min_share * len(head))
    candidates = np.asarray(rr_ratio) >= min_rr_ratio
    if np.count_nonzero(candidates) < need:
        return None
    cluster = candidates & similar(head, np.median(head[candidates], axis=0))
    if np.count_nonzero(cluster) < need:
        return None
    return np.median(head[cluster], axis=0)


class RunningFallback:
    """:func:`fallback_template` from the past only: over the last `size` beats seen.

    Parameters
    ----------
    size : int
        How many of the last beats (of any class) are kept; the share is of these.
    """

    def __init__(self, size: int) -> None:
        self.heads: deque[np.ndarray] = deque(maxlen=size)
        self.ratios: deque[float] = deque(maxlen=size)

    def add(self, heads: np.ndarray, rr_ratio: np.ndarray) -> None:
        """Take in the next beats' heads (n, window) and previous-RR ratios (n,)."""
        self.heads.extend(heads)
        self.ratios.extend(np.asarray(rr_ratio, dtype=np.float64).tolist())

    def template(self, similar: Callable[[np.ndarray, np.ndarray], np.ndarray], *,
                 min_rr_ratio: float, min_share: float, min_beats: int
                 ) -> np.ndarray | None:
        """Return the fallback template of the beats kept (None: too few, or none kept)."""
        if not self.heads:
            return None
        return fallback_template(np.stack(self.heads), np.array(self.ratios), similar,
                                 min_rr_ratio=min_rr_ratio, min_share=min_share,
                                 min_beats=min_beats)
