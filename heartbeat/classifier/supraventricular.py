"""The S step of ``adapt="template"``: a beat's S label judged by the recording's rhythm.

:func:`heartbeat.classifier.template.adapt_template` first takes V and F from the beats
that match the recording's dominant beat; then a beat of the template's shape is judged
supraventricular (S) by its timing alone (:func:`move_supraventricular`): early, it
becomes S; not early, a beat called S becomes N; in an irregular rhythm (atrial
fibrillation, :func:`irregular_rhythm`) no beat becomes S.  With
``TemplateRule.s_on_time_ratio`` (off by default) a beat called S that comes on time
and does not continue a run of S becomes N, whatever its shape
(:func:`move_on_time_supraventricular`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from heartbeat.classifier.rhythm import on_time_supraventricular, rhythm_irregularity
from heartbeat.classifier.template_rule import TemplateRule

if TYPE_CHECKING:
    from heartbeat.classifier.template import TemplateFeatures

__all__ = ["irregular_rhythm", "move_class", "move_on_time_supraventricular",
           "move_supraventricular", "supraventricular_moves"]


def irregular_rhythm(rr: np.ndarray, rule: TemplateRule) -> np.ndarray | None:
    """Return the beats the S step's guard holds back (None when `rule` has no guard).

    `rr` is the recording's (n, 3) RR features in beat order; the window is centred
    (``rule.s_irregular_beats`` beats on each side, :func:`rhythm_irregularity`).
    """
    if not np.isfinite(rule.s_irregular_above):
        return None
    k = rule.s_irregular_beats
    irregularity = rhythm_irregularity(np.asarray(rr)[:, 0], k, k)
    return irregularity > rule.s_irregular_above


def supraventricular_moves(features: TemplateFeatures, called: np.ndarray,
                           rule: TemplateRule, *, normal: int, supra: int,
                           first_is_start: bool = False, irregular: np.ndarray | None = None,
                           sudden: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Which beats the S step of `rule` makes S, and which it makes N.

    Parameters
    ----------
    features : TemplateFeatures
        The beats measured against the recording's template.
    called : numpy.ndarray of int, shape (n,)
        Each beat's most probable class after the V/F step.
    rule : TemplateRule
        Its ``s_*`` thresholds.
    normal, supra : int
        The codes of N and S in `called`.
    first_is_start : bool, default False
        True if the first beat is the recording's first: it has no previous RR
        (:func:`~heartbeat.context.rr_features` gives it its next), so the step leaves
        it alone.
    irregular : numpy.ndarray of bool, shape (n,), optional
        The beats in irregular rhythm (:func:`irregular_rhythm`): none becomes S, and
        with ``rule.s_irregular_keep`` those called S that match in shape become N.
    sudden : numpy.ndarray, shape (n,), optional
        :func:`~heartbeat.classifier.rhythm.sudden_ratio` of the beats, for
        ``rule.s_max_sudden_ratio`` and ``s_keep_sudden_ratio`` (None: not checked).

    Returns
    -------
    to_supra, to_normal : numpy.ndarray of bool, shape (n,)
        Beats called N that match in shape, come early (previous RR over local mean
        below ``s_max_rr_ratio``), are followed by a pause (next RR over previous
        at least ``s_min_post_ratio``) and are not `irregular`; beats called S that
        match in shape and are not early (at least ``s_min_keep_ratio``), or are
        `irregular` when the rule says so.
    """
    ratio = features.amplitude_ratio
    with np.errstate(divide="ignore"):
        shape = ((features.correlation >= rule.s_min_correlation)
                 & (ratio <= rule.max_amplitude_ratio) & (ratio >= 1 / rule.max_amplitude_ratio))
    to_supra = (shape & (called == normal) & (features.rr_ratio < rule.s_max_rr_ratio)
                & (features.post_ratio >= rule.s_min_post_ratio))
    to_normal = shape & (called == supra) & (features.rr_ratio >= rule.s_min_keep_ratio)
    if sudden is not None:
        to_supra &= sudden < rule.s_max_sudden_ratio
        to_normal |= shape & (called == supra) & (sudden >= rule.s_keep_sudden_ratio)
    if irregular is not None:
        to_supra &= ~irregular
        if rule.s_irregular_keep:
            to_normal |= shape & (called == supra) & irregular
    if first_is_start and len(called):
        to_supra[0] = to_normal[0] = False
    return to_supra, to_normal


def move_supraventricular(proba: np.ndarray, features: TemplateFeatures,
                          rule: TemplateRule, *, classes: tuple[str, ...],
                          first_is_start: bool = False, irregular: np.ndarray | None = None,
                          sudden: np.ndarray | None = None) -> np.ndarray:
    """Move N probability to S, or S to N, as :func:`supraventricular_moves` says (the S step).

    Parameters
    ----------
    proba : numpy.ndarray, shape (n, n_classes)
        Probabilities after the V/F step (:func:`remove_abnormal`); not changed.
    features : TemplateFeatures
        The same beats measured against the template.
    rule : TemplateRule
        Its ``s_*`` thresholds (``s_max_rr_ratio`` 0 and ``s_min_keep_ratio`` inf: a copy).
    classes : tuple of str
        The model's class names; without ``"N"`` or ``"S"`` nothing is changed.
    first_is_start : bool, default False
        True if the first row is the recording's first beat (left alone).
    irregular : numpy.ndarray of bool, shape (n,), optional
        The beats in irregular rhythm (:func:`irregular_rhythm`).
    sudden : numpy.ndarray, shape (n,), optional
        The beats' :func:`~heartbeat.classifier.rhythm.sudden_ratio`.

    Returns
    -------
    numpy.ndarray, shape (n, n_classes)
        A copy in which each beat made S holds its N probability in S (N becomes 0),
        and each beat made N its S probability in N: the row still sums to 1 and the
        moved class is the most probable.
    """
    out = np.array(proba, dtype=np.float64, copy=True)
    if "N" not in classes or "S" not in classes or len(out) == 0:
        return out
    normal, supra = classes.index("N"), classes.index("S")
    to_supra, to_normal = supraventricular_moves(features, out.argmax(axis=1), rule,
                                                 normal=normal, supra=supra,
                                                 first_is_start=first_is_start,
                                                 irregular=irregular, sudden=sudden)
    for rows, src, dst in ((to_supra, normal, supra), (to_normal, supra, normal)):
        move_class(out, rows, src, dst)
    return out


def move_on_time_supraventricular(proba: np.ndarray, rr_ratio: np.ndarray, rule: TemplateRule,
                                  *, classes: tuple[str, ...], first_is_start: bool = False,
                                  previous_is_s: bool = False,
                                  local_mean: np.ndarray | None = None) -> np.ndarray:
    """Make N each beat called S that comes on time and does not continue a run of S.

    :func:`~heartbeat.classifier.rhythm.on_time_supraventricular` with
    ``rule.s_on_time_ratio`` (``inf``: a copy) says which beats; their S probability
    moves onto N.  `proba` (n, n_classes) is not changed; `rr_ratio` is each beat's
    previous RR over its local mean RR; `first_is_start`, `previous_is_s` and
    `local_mean` (with ``rule.s_on_time_local_min``) as there.
    """
    out = np.array(proba, dtype=np.float64, copy=True)
    if not {"N", "S"} <= set(classes) or not len(out) or not np.isfinite(rule.s_on_time_ratio):
        return out
    supra = classes.index("S")
    rows = on_time_supraventricular(out.argmax(axis=1), rr_ratio, rule.s_on_time_ratio,
                                    supra=supra, first_is_start=first_is_start,
                                    previous_is_s=previous_is_s, local_mean=local_mean,
                                    min_local=rule.s_on_time_local_min)
    move_class(out, rows, supra, classes.index("N"))
    return out


def move_class(out: np.ndarray, rows: np.ndarray, src: int, dst: int) -> None:
    """Move the probability of class `src` onto class `dst` in the `rows` of `out`, in place."""
    out[rows, dst] += out[rows, src]
    out[rows, src] = 0.0
