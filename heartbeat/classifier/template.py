"""Label-free adaptation to one recording: its dominant beat decides what cannot be V or F.

A network trained on other people may call a person's ordinary beat ventricular (V)
or fusion (F) because that person's normal morphology is unusual (an inverted T wave,
a lead it was not trained on).  The recording itself says otherwise: such a beat looks
like the recording's dominant beat and comes on time.  :func:`adapt_template`

1. estimates the dominant beat: the median of the beats the model calls N if there are
   enough of them; otherwise the median of the recording's dominant cluster of beats
   that are not premature, if it holds half the beats
   (:mod:`heartbeat.classifier.dominant`); otherwise nothing is changed;
2. measures for every beat, from the recording alone, its Pearson correlation with
   that template over the first ``window_s`` seconds after the R peak (for a beat on
   time, the best over shifts of up to ``max_lag_s``: on some leads the detector's R
   peak falls on either of two lobes of the same complex), its amplitude
   (peak to peak over the same window) over the template's, and its previous RR
   interval over the local mean RR (:func:`heartbeat.context.rr_features`);
3. takes away the V and F probability of each beat that matches the template closely
   (:class:`TemplateRule`) and is not premature, and renormalises the row (N, S and Q
   keep their ratios); with ``TemplateRule.v_keep_min_correlation`` a beat called V
   that is closer still to the recording's own V beats keeps them
   (:func:`~heartbeat.classifier.ventricular.own_ventricular`), and with
   ``v_gain_min_correlation`` an early beat of their shape becomes V
   (:func:`~heartbeat.classifier.ventricular.gain_ventricular`); a beat the network
   calls V with probability >= 0.997 keeps V whatever its shape, as the network sees
   the whole beat and its rhythm
   (:func:`~heartbeat.classifier.ventricular.sure_ventricular`);
4. judges S by the recording's own rhythm (the S step,
   :func:`move_supraventricular`): a beat now called N that matches the template in
   shape but comes early (previous RR below 0.85 x the local mean RR) becomes S, as a
   supraventricular beat has the normal shape and comes early; a beat called S that
   matches in shape and is not early (previous RR at least the local mean) becomes N;
   where the rhythm around a beat is irregular (atrial fibrillation, in which ordinary
   beats come early too: the median absolute successive RR difference over the mean
   RR of the 33 beats around it above 0.12, :mod:`heartbeat.classifier.rhythm`), no
   beat becomes S and a beat called S that matches in shape becomes N;
5. a beat still called S that comes on time (previous RR at least 0.9 x the local mean
   RR), whose beat before is not called S and which lies outside a fast stretch (local
   mean RR at least 0.9 x the recording's mean RR) becomes N, whatever its shape: every
   S beat is premature, and a run of supraventricular tachycardia keeps its S
   (:func:`~heartbeat.classifier.supraventricular.move_on_time_supraventricular`);
6. the recording's own confident beats vote (self-training,
   :func:`~heartbeat.classifier.neighbours.move_by_neighbours`): a beat called N (not a
   sure one) or S that comes early becomes V when 5 of its 7 nearest sure N or V beats
   (network probability >= 0.9; Euclidean distance over the first 0.5 s) are V, and a
   beat called V of which the network was not sure becomes N when 5 of 7 are N.

No label is used, and the cost is a median and a few products over an (n, window)
array, and for step 6 one matrix product of the unsure beats against at most 8,000
references.  The thresholds of :data:`DEFAULT_RULE` were chosen on patient folds within
MIT-BIH DS1 or within all 48 records (docs/results.md, section 5, "Template
adaptation", "S by the recording's own rhythm", "S step in irregular rhythm", "A
fallback template and sudden prematurity", "Beats on time slid against the template",
"A beat called S on time goes back to N, outside fast stretches", "A beat takes the
class of its confident neighbours" and "The network's sure V beats keep V").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heartbeat.classifier.dominant import fallback_template, second_template, shape_measures
from heartbeat.classifier.neighbours import move_by_neighbours
from heartbeat.classifier.rhythm import sudden_ratio
from heartbeat.classifier.supraventricular import (
    irregular_rhythm,
    move_class,
    move_on_time_supraventricular,
    move_supraventricular,
    supraventricular_moves,
)
from heartbeat.classifier.template_rule import DEFAULT_RULE, TemplateRule
from heartbeat.classifier.ventricular import (
    gain_ventricular,
    move_unlike_supraventricular,
    needs_v_template,
    own_ventricular,
    sure_ventricular,
    ventricular_template,
)

__all__ = ["DEFAULT_RULE", "TemplateFeatures", "TemplateRule",
           "adapt_template", "compare_with_template", "has_enough_normal",
           "irregular_rhythm", "matches", "move_class", "move_on_time_supraventricular",
           "move_supraventricular", "remove_abnormal",
           "second_shape", "supraventricular_moves", "template_features"]

MIN_TEMPLATE_BEATS = 10
"""Fewest beats called N that make a template."""
MIN_TEMPLATE_SHARE = 0.2
"""Smallest share of a recording's beats called N that makes a template."""


@dataclass(frozen=True)
class TemplateFeatures:
    """What :func:`template_features` measures of each beat of one recording.

    Attributes
    ----------
    correlation : numpy.ndarray of float64, shape (n,)
        Pearson correlation with the template over the window (0 for a flat beat).
    amplitude_ratio : numpy.ndarray of float64, shape (n,)
        Peak-to-peak amplitude over the template's, over the window.
    rr_ratio : numpy.ndarray of float64, shape (n,)
        Previous RR over local mean RR.
    post_ratio : numpy.ndarray of float64, shape (n,)
        Next RR over previous RR (1 where the previous RR is 0).
    has_template : bool
        False when too few beats were called N to make a template; then every beat
        has correlation 0 and nothing matches.
    """

    correlation: np.ndarray
    amplitude_ratio: np.ndarray
    rr_ratio: np.ndarray
    post_ratio: np.ndarray
    has_template: bool


def template_features(waveforms: np.ndarray, called_normal: np.ndarray, rr: np.ndarray,
                      *, window: int, rule: TemplateRule | None = None,
                      max_lag: int = 0) -> TemplateFeatures:
    """Measure each beat of one recording against the median of its beats called N.

    Parameters
    ----------
    waveforms : numpy.ndarray, shape (n, length)
        The recording's beats, each starting at its R peak (``Beats.waveforms``).
    called_normal : numpy.ndarray of bool, shape (n,)
        The beats the model calls N: the template is their median.
    rr : numpy.ndarray, shape (n, 3)
        Previous, next and local mean RR of each beat
        (:func:`heartbeat.context.rr_features`).
    window : int
        Samples after the R peak that are compared (at least 2).
    rule : TemplateRule, optional
        Its ``fallback_*`` fields: the template when too few beats are called N; its
        ``lag_min_rr_ratio``: which beats are shifted (default: every beat).
    max_lag : int, default 0
        Largest shift in samples of a beat against the template
        (:attr:`TemplateRule.max_lag_s`); the template is made of unshifted beats.

    Returns
    -------
    TemplateFeatures
    """
    n = len(waveforms)
    longer = np.asarray(waveforms[:, : window + max_lag], dtype=np.float64)
    head = longer[:, :window]  # (n, window)
    on_time = 0.0 if rule is None else rule.lag_min_rr_ratio
    if has_enough_normal(int(np.count_nonzero(called_normal)), n):
        template = np.median(head[called_normal], axis=0)
        return compare_with_template(longer, template, rr, max_lag=max_lag,
                                     lag_min_rr_ratio=on_time)
    fallback = None if rule is None else fallback_template(
        head, _rr_ratios(rr)[0], rule, min_beats=MIN_TEMPLATE_BEATS)
    if fallback is None:
        return TemplateFeatures(np.zeros(n), np.ones(n), *_rr_ratios(rr), has_template=False)
    return compare_with_template(longer, fallback, rr, max_lag=max_lag,
                                 lag_min_rr_ratio=on_time)


def has_enough_normal(n_normal: int, n_beats: int) -> bool:
    """Return True if `n_normal` beats called N of `n_beats` are enough for a template."""
    return n_normal >= max(MIN_TEMPLATE_BEATS, MIN_TEMPLATE_SHARE * n_beats)


def _rr_ratios(rr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(previous RR over local mean RR, next RR over previous RR) of each beat."""
    n = len(rr)
    rr = np.asarray(rr, dtype=np.float64)
    return (np.divide(rr[:, 0], rr[:, 2], out=np.ones(n), where=rr[:, 2] > 0),
            np.divide(rr[:, 1], rr[:, 0], out=np.ones(n), where=rr[:, 0] > 0))


def compare_with_template(waveforms: np.ndarray, template: np.ndarray, rr: np.ndarray, *,
                          max_lag: int = 0, lag_min_rr_ratio: float = 0.0) -> TemplateFeatures:
    """Measure each beat against a given `template` (the step after its median).

    Parameters
    ----------
    waveforms : numpy.ndarray, shape (n, length)
        Beats starting at their R peak; the first ``len(template)`` samples count.
    template : numpy.ndarray, shape (window,)
        The dominant beat over the window (a median of beats called N).
    rr : numpy.ndarray, shape (n, 3)
        Previous, next and local mean RR of each beat.
    max_lag : int, default 0
        Largest shift in samples of a beat against the template (:func:`shape_measures`).
    lag_min_rr_ratio : float, default 0.0
        Only beats whose previous RR over the local mean RR is at least this are
        shifted (:attr:`TemplateRule.lag_min_rr_ratio`).

    Returns
    -------
    TemplateFeatures
        With ``has_template`` True.
    """
    rr_ratio, post_ratio = _rr_ratios(rr)
    shifted = rr_ratio >= lag_min_rr_ratio if lag_min_rr_ratio > 0 else None
    correlation, amplitude = shape_measures(waveforms, template, max_lag, shifted)
    return TemplateFeatures(correlation, amplitude, rr_ratio, post_ratio, has_template=True)


def matches(features: TemplateFeatures, rule: TemplateRule) -> np.ndarray:
    """Return True for each beat that `rule` counts as the recording's dominant beat.

    This is the V/F step's match: an early beat must also reach
    ``rule.early_min_correlation``.
    """
    ratio = features.amplitude_ratio
    with np.errstate(divide="ignore"):
        close = (ratio <= rule.max_amplitude_ratio) & (ratio >= 1 / rule.max_amplitude_ratio)
    on_time = features.rr_ratio >= rule.early_rr_ratio
    return ((features.correlation >= rule.min_correlation) & close
            & (features.rr_ratio >= rule.min_rr_ratio)
            & (on_time | (features.correlation >= rule.early_min_correlation)))


def adapt_template(proba: np.ndarray, waveforms: np.ndarray, rr: np.ndarray, *,
                   classes: tuple[str, ...], fs_out: float,
                   rule: TemplateRule | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Take V and F from the beats matching the recording's dominant beat; then judge S.

    Parameters
    ----------
    proba : numpy.ndarray, shape (n, n_classes)
        The model's probabilities of one recording's beats, in time order.
    waveforms : numpy.ndarray, shape (n, length)
        The beats (``Beats.waveforms``: each starts at its R peak), at `fs_out`.
    rr : numpy.ndarray, shape (n, 3)
        Previous, next and local mean RR of each beat
        (:func:`heartbeat.context.rr_features` of the recording's R peaks).
    classes : tuple of str
        The model's class names; without ``"N"`` nothing is changed.
    fs_out : float
        Sampling frequency of `waveforms` in Hz.
    rule : TemplateRule, optional
        When a beat matches; default :data:`DEFAULT_RULE`, read at call time (the
        rule ``Stream`` also reads).

    Returns
    -------
    proba : numpy.ndarray, shape (n, n_classes)
        A copy of `proba` in which every matching beat has V and F probability 0 and
        its other classes rescaled to sum to 1 (rows whose other classes are all 0
        become N); then the S step of `rule` (:func:`move_supraventricular`).
    changed : numpy.ndarray of bool, shape (n,)
        True for each beat whose most probable class the adaptation changed (a beat
        called V or F that matches; with the S step of `rule`, a beat made S or N).

    Examples
    --------
    Twenty identical beats on time, the model unsure of one of them (it says V):

    >>> beat = np.sin(np.linspace(0, 3, 187))
    >>> proba = np.tile([0.9, 0.05, 0.03, 0.01, 0.01], (20, 1))
    >>> proba[7] = [0.3, 0.1, 0.5, 0.05, 0.05]
    >>> out, changed = adapt_template(proba, np.tile(beat, (20, 1)), np.ones((20, 3)),
    ...                               classes=("N", "S", "V", "F", "Q"), fs_out=125.0)
    >>> out[7].round(3).tolist(), np.flatnonzero(changed).tolist()
    ([0.667, 0.222, 0.0, 0.0, 0.111], [7])
    """
    rule = DEFAULT_RULE if rule is None else rule
    out = np.array(proba, dtype=np.float64, copy=True)
    changed = np.zeros(len(out), dtype=bool)
    if "N" not in classes or len(out) == 0:
        return out, changed
    abnormal = [classes.index(c) for c in ("V", "F") if c in classes]
    if not abnormal:
        return out, changed
    window, max_lag = rule.samples(fs_out)
    before = out.argmax(axis=1)
    called_normal = before == classes.index("N")
    features = template_features(waveforms, called_normal, rr, window=window, rule=rule,
                                 max_lag=max_lag)
    of_normal = has_enough_normal(int(np.count_nonzero(called_normal)), len(out))
    hit = matches(features, rule)
    heads = waveforms[:, : window + max_lag]
    called_v = before == classes.index("V") if "V" in classes else np.zeros(len(out), bool)
    v_template = (ventricular_template(heads, called_v & ~hit, window)
                  if needs_v_template(rule) else None)
    hit &= ~own_ventricular(heads, called_v, hit, features, rule, max_lag=max_lag,
                            v_template=v_template)
    hit &= ~sure_ventricular(proba, features.rr_ratio, rule, classes=classes)
    if of_normal:
        pool = np.isin(before, abnormal) & ~hit
        hit |= second_shape(heads, pool, called_normal, rr, features.rr_ratio, rule,
                            window=window, max_lag=max_lag)
    out = remove_abnormal(out, hit, classes=classes, drop=_dropped(rule, of_normal))[0]
    out = gain_ventricular(out, heads, features, rule, classes=classes, max_lag=max_lag,
                           v_template=v_template)
    irregular = irregular_rhythm(rr, rule)
    out = move_supraventricular(out, features, rule, classes=classes, first_is_start=True,
                                irregular=irregular, sudden=sudden_ratio(np.asarray(rr)[:, 0]))
    out = move_on_time_supraventricular(out, features.rr_ratio, rule, classes=classes,
                                        first_is_start=True,
                                        local_mean=np.asarray(rr)[:, 2])
    out = move_unlike_supraventricular(out, features, rule, classes=classes)
    out = move_by_neighbours(out, proba, waveforms, features.rr_ratio, rule, classes=classes,
                             fs_out=fs_out)
    return out, out.argmax(axis=1) != before


def second_shape(heads: np.ndarray, pool: np.ndarray, called_normal: np.ndarray,
                 rr: np.ndarray, rr_ratio: np.ndarray, rule: TemplateRule, *, window: int,
                 max_lag: int = 0, second: np.ndarray | None = None) -> np.ndarray:
    """Return the beats of `pool` on time that match the recording's second normal shape.

    Parameters
    ----------
    heads : numpy.ndarray, shape (n, length)
        The beats' first samples after the R peak (``window + max_lag`` of them).
    pool : numpy.ndarray of bool, shape (n,)
        The beats called V or F that do not match the template.
    called_normal : numpy.ndarray of bool, shape (n,)
        The beats called N.
    rr : numpy.ndarray, shape (n, 3)
        The beats' RR features.
    rr_ratio : numpy.ndarray, shape (n,)
        Previous RR over local mean RR.
    rule : TemplateRule
        ``second_min_share`` (``inf``: none returned), ``second_min_rr_ratio``,
        ``fallback_min_rr_ratio`` (on time) and the V/F step's match (:func:`matches`).
    window : int
        Samples after the R peak that are compared.
    max_lag : int, default 0
        Largest shift of a beat on time against the second template.
    second : numpy.ndarray, shape (window,), optional
        The second template, if known (:class:`RunningTemplate` measures it over the
        past); by default :func:`~heartbeat.classifier.dominant.second_template` of
        these beats.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    none = np.zeros(len(pool), dtype=bool)
    if not np.isfinite(rule.second_min_share):
        return none
    if second is None:
        second = second_template(heads[:, :window], np.asarray(rr)[:, 0], rr_ratio, pool,
                                 called_normal, rule, min_beats=MIN_TEMPLATE_BEATS)
    if second is None:
        return none
    features = compare_with_template(heads, second, rr, max_lag=max_lag,
                                     lag_min_rr_ratio=rule.lag_min_rr_ratio)
    return pool & matches(features, rule) & (features.rr_ratio >= rule.fallback_min_rr_ratio)


def _dropped(rule: TemplateRule, of_normal: bool) -> tuple[str, ...]:
    """Return the classes a matching beat loses.

    V and F; and Q by `rule.q_step` when the template is of beats called N (`of_normal`).
    """
    return ("V", "F", "Q") if rule.q_step and of_normal else ("V", "F")


def remove_abnormal(proba: np.ndarray, hit: np.ndarray, *, classes: tuple[str, ...],
                    drop: tuple[str, ...] = ("V", "F")) -> tuple[np.ndarray, np.ndarray]:
    """Take the V and F probability from the beats `hit` marks (the last step of adaptation).

    Parameters
    ----------
    proba : numpy.ndarray, shape (n, n_classes)
        Probabilities; not changed.
    hit : numpy.ndarray of bool, shape (n,)
        The beats that match the template (:func:`matches`).
    classes : tuple of str
        The model's class names.
    drop : tuple of str, default ("V", "F")
        The classes whose probability is taken (:attr:`TemplateRule.q_step` adds Q).

    Returns
    -------
    proba, changed : numpy.ndarray
        As :func:`adapt_template` returns them.
    """
    out = np.array(proba, dtype=np.float64, copy=True)
    abnormal = [classes.index(c) for c in drop if c in classes]
    if "N" not in classes or not abnormal or len(out) == 0:
        return out, np.zeros(len(out), dtype=bool)
    before = out.argmax(axis=1)
    out[np.ix_(hit, abnormal)] = 0.0
    rest = out[hit].sum(axis=1)
    out[hit] /= np.where(rest > 0, rest, 1.0)[:, None]
    out[np.flatnonzero(hit)[rest <= 0], classes.index("N")] = 1.0
    changed = np.isin(before, abnormal) & ~np.isin(out.argmax(axis=1), abnormal)
    return out, changed
