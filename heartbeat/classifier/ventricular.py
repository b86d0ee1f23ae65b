"""The recording's own ventricular beats: the V template of ``adapt="template"``.

The template adaptation (:mod:`heartbeat.classifier.template`) takes V and F from beats
that look like the recording's dominant beat.  A recording's ectopic beats can resemble
its normal ones over the compared window; its *other* ectopic beats, those the model
calls V and that do not match the template, say what its V beats look like.  Their
median is the **V template** (:func:`ventricular_template`); a beat closer to it than
to the template keeps V (:func:`own_ventricular`), and an early beat of its shape
becomes V (:func:`gain_ventricular`).  Both were judged on patient folds within MIT-BIH
DS1 and confirmed on folds within all 48 records (docs/results.md, section 5): the first
is on by default ("A beat of the recording's own ventricular shape keeps V"), the second
off ("An early beat of the recording's own ventricular shape becomes V": not adopted).
The last step needs no V template: a beat called S whose shape is unlike the template
becomes V (:func:`move_unlike_supraventricular`); it is off ("A beat called S unlike
the recording's N beats becomes V": two rules, not adopted).  Nor does the guard of
the V/F step: a beat the network is sure is V keeps V whatever its shape
(:func:`sure_ventricular`; on, "The network's sure V beats keep V").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from heartbeat.classifier.dominant import shape_measures
from heartbeat.classifier.supraventricular import move_class
from heartbeat.classifier.template_rule import TemplateRule

if TYPE_CHECKING:
    from heartbeat.classifier.template import TemplateFeatures

__all__ = ["MIN_V_TEMPLATE_BEATS", "gain_ventricular", "gains_ventricular",
           "move_unlike_supraventricular", "needs_v_template", "own_ventricular",
           "sure_ventricular", "ventricular_template"]

MIN_V_TEMPLATE_BEATS = 5
"""Fewest beats called V (not matching the template) that make a V template."""


def needs_v_template(rule: TemplateRule) -> bool:
    """Return True if `rule` has one of the V template's steps on (else none is measured)."""
    return bool(np.isfinite(rule.v_keep_min_correlation)
                or np.isfinite(rule.v_gain_min_correlation))


def ventricular_template(heads: np.ndarray, pool: np.ndarray, window: int
                         ) -> np.ndarray | None:
    """Return the recording's **V template**, or None when it has too few V beats.

    The median over the first `window` samples of the beats in `pool` (those called V
    that do not match the template), when there are at least
    :data:`MIN_V_TEMPLATE_BEATS` of them.
    """
    if np.count_nonzero(pool) < MIN_V_TEMPLATE_BEATS:
        return None
    return np.median(np.asarray(heads[pool, :window], dtype=np.float64), axis=0)


def own_ventricular(heads: np.ndarray, called_v: np.ndarray, hit: np.ndarray,
                    features: TemplateFeatures, rule: TemplateRule, *, max_lag: int = 0,
                    v_template: np.ndarray | None) -> np.ndarray:
    """Return the beats called V that match the template but have the recording's V shape.

    A beat called V that matches the template is returned True if its correlation
    with the V template (:func:`ventricular_template`; measured as
    :func:`~heartbeat.classifier.template.compare_with_template` measures it) is at least
    ``rule.v_keep_min_correlation`` and above its correlation with the template: the
    V/F step then leaves it V (:attr:`TemplateRule.v_keep_min_correlation`).

    Parameters
    ----------
    heads : numpy.ndarray, shape (n, length)
        The beats from their R peak, at least ``len(v_template) + max_lag`` samples.
    called_v, hit : numpy.ndarray of bool, shape (n,)
        The beats the model calls V; those that match the template
        (:func:`~heartbeat.classifier.template.matches`).
    features : TemplateFeatures
        The beats measured against the template (their correlations and RR ratios).
    rule : TemplateRule
        Its ``v_keep_min_correlation`` (``inf``: nothing is returned True) and
        ``lag_min_rr_ratio``.
    max_lag : int, default 0
        The largest shift in samples (:meth:`TemplateRule.samples`).
    v_template : numpy.ndarray, shape (window,) or None
        The V template (None: nothing is returned True).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    keep = np.zeros(len(hit), dtype=bool)
    asked = np.flatnonzero(called_v & hit)
    if v_template is None or not np.isfinite(rule.v_keep_min_correlation) or not len(asked):
        return keep
    correlation = _v_measures(heads[asked], v_template, features.rr_ratio[asked], rule,
                              max_lag)[0]
    keep[asked] = ((correlation >= rule.v_keep_min_correlation)
                   & (correlation > features.correlation[asked]))
    return keep


def sure_ventricular(proba: np.ndarray, rr_ratio: np.ndarray, rule: TemplateRule, *,
                     classes: tuple[str, ...]) -> np.ndarray:
    """Return the beats the network is sure are V: the V/F step leaves them V.

    A beat whose network probability of V is at least ``rule.v_sure_confidence`` and
    whose previous RR over the local mean RR is below ``rule.v_sure_max_rr_ratio``
    (:attr:`TemplateRule.v_sure_confidence`): the template compares only the first
    quarter second after the R peak, the network the whole beat, its recording's
    context and its rhythm.

    Parameters
    ----------
    proba : numpy.ndarray, shape (n, n_classes)
        The network's probabilities.
    rr_ratio : numpy.ndarray, shape (n,)
        Each beat's previous RR over its local mean RR.
    rule : TemplateRule
        Its ``v_sure_confidence`` (``inf``: nothing is returned True) and
        ``v_sure_max_rr_ratio``.
    classes : tuple of str
        The model's class names (without ``"V"`` nothing is returned True).

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    if not np.isfinite(rule.v_sure_confidence) or "V" not in classes:
        return np.zeros(len(proba), dtype=bool)
    return ((np.asarray(proba)[:, classes.index("V")] >= rule.v_sure_confidence)
            & (np.asarray(rr_ratio) < rule.v_sure_max_rr_ratio))


def gain_ventricular(proba: np.ndarray, heads: np.ndarray, features: TemplateFeatures,
                     rule: TemplateRule, *, classes: tuple[str, ...], max_lag: int = 0,
                     v_template: np.ndarray | None) -> np.ndarray:
    """Make V each early beat called N or S that has the recording's V shape.

    The beats :func:`gains_ventricular` returns get their N and S probability moved to
    V (:attr:`TemplateRule.v_gain_min_correlation`; ``inf`` or no V template: a copy).

    Parameters
    ----------
    proba : numpy.ndarray, shape (n, n_classes)
        Probabilities after the V/F step; not changed.
    heads, features, rule, max_lag, v_template
        As for :func:`gains_ventricular`.
    classes : tuple of str
        The model's class names; without ``"N"``, ``"S"`` or ``"V"``, a copy.

    Returns
    -------
    numpy.ndarray, shape (n, n_classes)
    """
    out = np.array(proba, dtype=np.float64, copy=True)
    if not {"N", "S", "V"} <= set(classes) or not len(out):
        return out
    normal, supra, ventricular = (classes.index(c) for c in ("N", "S", "V"))
    rows = gains_ventricular(out.argmax(axis=1), heads, features, rule, normal=normal,
                             supra=supra, max_lag=max_lag, v_template=v_template)
    out[rows, ventricular] += out[rows, normal] + out[rows, supra]
    out[rows, normal] = out[rows, supra] = 0.0
    return out


def gains_ventricular(called: np.ndarray, heads: np.ndarray, features: TemplateFeatures,
                      rule: TemplateRule, *, normal: int, supra: int, max_lag: int = 0,
                      v_template: np.ndarray | None) -> np.ndarray:
    """Return the early beats called N or S that have the recording's V shape.

    A beat called N or S (codes `normal`, `supra` in `called`) whose previous RR over
    the local mean RR is below ``rule.v_gain_max_rr_ratio``, whose correlation with
    `v_template` is at least ``rule.v_gain_min_correlation`` and above its correlation
    with the template, and whose amplitude is within ``rule.max_amplitude_ratio`` of the
    V template's.

    Parameters
    ----------
    called : numpy.ndarray of int, shape (n,)
        Each beat's most probable class after the V/F step.
    heads, features, max_lag, v_template
        As for :func:`own_ventricular` (None: nothing is returned True).
    rule : TemplateRule
        Its ``v_gain_*`` fields (``inf``: nothing is returned True),
        ``max_amplitude_ratio`` and ``lag_min_rr_ratio``.
    normal, supra : int
        The codes of N and S.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    gained = np.zeros(len(called), dtype=bool)
    if v_template is None or not np.isfinite(rule.v_gain_min_correlation):
        return gained
    asked = np.flatnonzero(np.isin(called, (normal, supra))
                           & (features.rr_ratio < rule.v_gain_max_rr_ratio))
    correlation, amplitude = _v_measures(heads[asked], v_template,
                                         features.rr_ratio[asked], rule, max_lag)
    with np.errstate(divide="ignore"):
        close = ((amplitude <= rule.max_amplitude_ratio)
                 & (amplitude >= 1 / rule.max_amplitude_ratio))
    gained[asked] = ((correlation >= rule.v_gain_min_correlation)
                     & (correlation > features.correlation[asked]) & close)
    return gained


def move_unlike_supraventricular(proba: np.ndarray, features: TemplateFeatures,
                                 rule: TemplateRule, *, classes: tuple[str, ...]
                                 ) -> np.ndarray:
    """Make V each beat called S whose shape is unlike the recording's template.

    A supraventricular beat is conducted to the ventricles as the recording's normal
    beats are, so its complex has their shape; a beat called S whose correlation with
    the template is below :attr:`TemplateRule.s_to_v_max_correlation` has its S
    probability moved onto V (V becomes its most probable class).

    Parameters
    ----------
    proba : numpy.ndarray, shape (n, n_classes)
        Probabilities after the S step; not changed.
    features : TemplateFeatures
        The same beats measured against the template
        (:func:`~heartbeat.classifier.template.template_features`).
    rule : TemplateRule
        Its ``s_to_v_max_correlation`` (-1: off, a copy).
    classes : tuple of str
        The model's class names; without ``"S"`` or ``"V"``, a copy.

    Returns
    -------
    numpy.ndarray, shape (n, n_classes)
        A copy; without a template (``features.has_template`` False) nothing moves.
    """
    out = np.array(proba, dtype=np.float64, copy=True)
    if (not {"S", "V"} <= set(classes) or not len(out) or not features.has_template
            or rule.s_to_v_max_correlation <= -1.0):
        return out
    supra, ventricular = classes.index("S"), classes.index("V")
    rows = (out.argmax(axis=1) == supra) & (features.correlation
                                            < rule.s_to_v_max_correlation)
    move_class(out, rows, supra, ventricular)
    return out


def _v_measures(heads: np.ndarray, v_template: np.ndarray, rr_ratio: np.ndarray,
                rule: TemplateRule, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (correlation, amplitude ratio) of beats against the V template.

    A beat on time is slid as against the template
    (:func:`~heartbeat.classifier.template.compare_with_template`).
    """
    shifted = None if rule.lag_min_rr_ratio <= 0 else rr_ratio >= rule.lag_min_rr_ratio
    return shape_measures(heads, v_template, max_lag, shifted)
