"""The recording's dominant beat: how a beat's shape compares with it, and a fallback.

The template of :func:`heartbeat.classify`'s ``adapt="template"``
(:mod:`heartbeat.classifier.template`) is the median of the beats the model calls N;
each beat is compared with it by :func:`shape_measures`.  On a recording whose ordinary
beat the model does not know (a wide QRS in an ICU lead, say) fewer than a fifth of the
beats may be called N, and then no such template is built: the steps that would say
"on time and of the dominant shape, so N" cannot run.  The recording still has a
dominant beat, found without the model: the beats that are **not premature** (previous
RR over local mean RR at least ``fallback_min_rr_ratio``; premature ventricular beats
of bigeminy or trigeminy are not) and that match the median of those beats in shape.
If that cluster holds at least ``fallback_min_share`` of the beats, its median is the
template (:func:`fallback_template`); :class:`RunningFallback` is the same from the past
only, for :class:`heartbeat.Stream`.  The fallback's values were fixed before it was
scored (docs/results.md, section 5, "A fallback template and sudden prematurity").
The same construction over the beats called V or F that come on time gives a
recording's **second normal shape** (:func:`second_template`: a bundle branch block
that comes and goes), whose beats are no more V than the template's.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from heartbeat.classifier.template import TemplateRule

__all__ = ["RunningFallback", "dominant_cluster", "fallback_template",
           "second_template", "shape_measures"]


def shape_measures(head: np.ndarray, template: np.ndarray, max_lag: int = 0,
                   shifted: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return each beat's Pearson correlation with `template` and its relative amplitude.

    Parameters
    ----------
    head : numpy.ndarray, shape (n, length)
        Beats starting at their R peak; the first ``len(template)`` samples count, and
        with `max_lag` the `max_lag` samples after them.
    template : numpy.ndarray, shape (window,)
        The dominant beat over the window.
    max_lag : int, default 0
        Largest shift in samples by which a beat is slid against the template, either
        way: the correlation is the highest over the shifts, so a beat whose peak was
        placed on another lobe of the same complex still matches.  A beat cut late is
        compared over the ``window - lag`` samples the two share; one cut early over
        the whole window (needs ``length >= window + max_lag``; fewer shifts are tried
        otherwise).
    shifted : numpy.ndarray of bool, shape (n,), optional
        The beats that may be slid (default: every beat); the others keep their
        unshifted correlation.

    Returns
    -------
    correlation, amplitude_ratio : numpy.ndarray of float64, shape (n,)
        The correlation over the window (0 for a flat beat or template) and the beat's
        peak-to-peak amplitude over the template's (inf for a flat template), both
        unshifted apart from the correlation's best shift.

    Examples
    --------
    A beat cut 2 samples early matches once shifts of 2 samples are allowed:

    >>> wave = np.sin(np.arange(40) / 5)
    >>> template, early = wave[2:32], wave[None, :]
    >>> [round(float(shape_measures(early, template, lag)[0][0]), 3) for lag in (0, 2)]
    [0.928, 1.0]
    """
    window = len(template)
    template = np.asarray(template, dtype=np.float64)
    head = np.asarray(head, dtype=np.float64)
    unshifted = correlation = _correlation(head[:, :window], template)
    for lag in range(1, min(max_lag, head.shape[1] - window) + 1):
        early = _correlation(head[:, lag : lag + window], template)
        late = _correlation(head[:, : window - lag], template[lag:])
        correlation = np.maximum(correlation, np.maximum(early, late))
    if shifted is not None:
        correlation = np.where(shifted, correlation, unshifted)
    span = np.ptp(template)
    amplitude = (np.ptp(head[:, :window], axis=1) / span if span > 0
                 else np.full(len(head), np.inf))
    return correlation, amplitude


def _correlation(head: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of `head` with `template` (0 where one is flat)."""
    centred = head - head.mean(axis=1, keepdims=True)
    t = template - template.mean()
    norms = np.sqrt(np.einsum("ij,ij->i", centred, centred)) * np.sqrt(t @ t)
    return np.divide(centred @ t, norms, out=np.zeros(len(head)), where=norms > 0)


def fallback_template(head: np.ndarray, rr_ratio: np.ndarray, rule: TemplateRule, *,
                      min_beats: int) -> np.ndarray | None:
    """Return the median of the dominant cluster of beats that are not premature.

    Parameters
    ----------
    head : numpy.ndarray, shape (n, window)
        The beats' first samples after the R peak.
    rr_ratio : numpy.ndarray, shape (n,)
        Each beat's previous RR over its local mean RR.
    rule : TemplateRule
        ``fallback_min_rr_ratio`` (least `rr_ratio` of a candidate),
        ``fallback_min_share`` (least share of the `n` beats the cluster holds; inf: no
        fallback), and the V/F step's shape test (``min_correlation``,
        ``max_amplitude_ratio``) by which a candidate matches the candidates' median.
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

    >>> from heartbeat.classifier.template import TemplateRule
    >>> head = np.r_[np.tile(np.sin(np.linspace(0, 3, 30)), (10, 1)),
    ...              np.tile(np.cos(np.linspace(0, 3, 30)), (2, 1))]
    >>> ratio = np.r_[np.ones(10), 0.7, 0.7]
    >>> t = fallback_template(head, ratio, TemplateRule(), min_beats=10)
    >>> bool(np.allclose(t, head[0]))
    True
    """
    need = max(min_beats, rule.fallback_min_share * len(head))
    candidates = np.asarray(rr_ratio) >= rule.fallback_min_rr_ratio
    cluster = dominant_cluster(head, candidates, rule, need=need)
    return None if cluster is None else np.median(np.asarray(head, np.float64)[cluster], axis=0)


def dominant_cluster(head: np.ndarray, candidates: np.ndarray, rule: TemplateRule, *,
                     need: float) -> np.ndarray | None:
    """Return the candidates that match the candidates' median, if they are `need` or more.

    The match is the V/F step's shape test of `rule` (``min_correlation``,
    ``max_amplitude_ratio``); None if the candidates or the cluster are fewer than
    `need` (a count; ``inf``: always None).
    """
    if not np.isfinite(need) or np.count_nonzero(candidates) < need:
        return None
    head = np.asarray(head, dtype=np.float64)
    correlation, amplitude = shape_measures(head, np.median(head[candidates], axis=0))
    with np.errstate(divide="ignore"):
        cluster = (candidates & (correlation >= rule.min_correlation)
                   & (amplitude <= rule.max_amplitude_ratio)
                   & (amplitude >= 1 / rule.max_amplitude_ratio))
    return cluster if np.count_nonzero(cluster) >= need else None


def second_template(head: np.ndarray, prev_rr: np.ndarray, rr_ratio: np.ndarray,
                    pool: np.ndarray, called_normal: np.ndarray, rule: TemplateRule, *,
                    min_beats: int, n_beats: int | None = None) -> np.ndarray | None:
    """Return the recording's **second normal shape**: beats called V or F that come on time.

    A recording may have two normal shapes (a bundle branch block that comes and goes
    with the heart rate): the beats of the second come on time, as sinus beats do, and
    a model may call them V.  The candidates are the beats in `pool` (called V or F and
    not matching the template) that are not premature (`rr_ratio` at least
    ``rule.fallback_min_rr_ratio``); their cluster (:func:`dominant_cluster`) must hold
    ``rule.second_min_share`` of the `n_beats` beats and at least `min_beats`, and its
    median previous RR must be at least ``rule.second_min_rr_ratio`` times that of the
    beats `called_normal` (a ventricular rhythm is faster than the sinus rhythm).

    Parameters
    ----------
    head : numpy.ndarray, shape (n, window)
        The beats' first samples after the R peak.
    prev_rr, rr_ratio : numpy.ndarray, shape (n,)
        Each beat's previous RR (any unit) and its previous RR over the local mean RR.
    pool, called_normal : numpy.ndarray of bool, shape (n,)
        The beats called V or F that do not match the template; the beats called N.
    rule : TemplateRule
        ``second_min_share`` (``inf``: never a second template), ``second_min_rr_ratio``
        and the shape test of :func:`dominant_cluster`.
    min_beats : int
        Fewest beats the cluster must hold.
    n_beats : int, optional
        The beats the share is of (default: ``len(head)``).

    Returns
    -------
    numpy.ndarray of float64, shape (window,) or None
        The cluster's median; None if there is no such cluster.

    Examples
    --------
    Twenty narrow beats and twelve wide ones, all on time and at one rate:

    >>> from heartbeat.classifier.template import TemplateRule
    >>> t = np.linspace(0, 3, 30)
    >>> head = np.r_[np.tile(np.sin(t), (20, 1)), np.tile(np.sin(t / 2), (12, 1))]
    >>> wide = np.r_[np.zeros(20, bool), np.ones(12, bool)]
    >>> second = second_template(head, np.ones(32), np.ones(32), wide, ~wide,
    ...                          TemplateRule(second_min_share=0.3), min_beats=10)
    >>> bool(np.allclose(second, head[-1]))
    True
    """
    n_beats = len(head) if n_beats is None else n_beats
    need = max(min_beats, rule.second_min_share * n_beats)
    candidates = np.asarray(pool) & (np.asarray(rr_ratio) >= rule.fallback_min_rr_ratio)
    cluster = dominant_cluster(head, candidates, rule, need=need)
    if cluster is None or not np.any(called_normal):
        return None
    prev_rr = np.asarray(prev_rr, dtype=np.float64)
    if np.median(prev_rr[cluster]) < rule.second_min_rr_ratio * np.median(prev_rr[called_normal]):
        return None
    return np.median(np.asarray(head, dtype=np.float64)[cluster], axis=0)


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

    def template(self, rule: TemplateRule, *, min_beats: int) -> np.ndarray | None:
        """Return the fallback template of the beats kept (None: too few, or none kept)."""
        if not self.heads:
            return None
        return fallback_template(np.stack(self.heads), np.array(self.ratios), rule,
                                 min_beats=min_beats)
