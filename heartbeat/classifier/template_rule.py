"""When a beat counts as its recording's dominant beat: the thresholds of ``adapt="template"``.

:class:`TemplateRule` holds every threshold of the template adaptation
(:mod:`heartbeat.classifier.template`), each chosen on patient folds within MIT-BIH DS1;
:data:`DEFAULT_RULE` is the rule :func:`heartbeat.classify` applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from heartbeat._validate import as_bool, as_int, as_real

__all__ = ["DEFAULT_RULE", "TemplateRule"]

_MAY_BE_INFINITE = frozenset({"max_amplitude_ratio", "s_min_keep_ratio", "s_irregular_above",
                              "s_max_sudden_ratio", "s_keep_sudden_ratio",
                              "fallback_min_share", "second_min_share",
                              "v_keep_min_correlation",
                              "v_gain_min_correlation", "s_on_time_ratio",
                              "neighbours_max_rr_ratio", "v_sure_confidence",
                              "v_sure_max_rr_ratio"})
"""The fields whose ``inf`` turns a check off."""
_CORRELATIONS = frozenset({"min_correlation", "s_min_correlation", "early_min_correlation",
                           "v_keep_min_correlation", "v_gain_min_correlation",
                           "s_to_v_max_correlation"})
"""The fields that are correlations: in [-1, 1] (or ``inf`` where it turns a step off)."""


@dataclass(frozen=True)
class TemplateRule:
    """When a beat counts as the recording's dominant beat, and so cannot be V or F.

    The defaults are the thresholds chosen on all three DS1 patient folds by the rules
    set before scoring (the V/F step: ``python benchmarks/cv_patients.py template``,
    ``benchmarks/results/cv_template_choice.json``; then the S step on it:
    ``cv_patients.py template-s``, ``cv_template_s_choice.json``; then the S step's
    rhythm guard: ``cv_patients.py template-s-gate``, ``cv_template_sgate_choice.json``;
    then the fallback template, adopted, and sudden prematurity, not adopted:
    ``cv_patients.py template-s-fallback``, ``cv_template_sfallback_choice.json``; then
    the shift of beats on time against the template, chosen on the beats cut at the
    detected R peaks: ``cv_patients.py template-lag --cut detector --shift on-time``,
    ``cv_template_lag_detcut_ontime_choice.json``; the early check of the V/F step,
    ``early_rr_ratio``, is off: ``cv_patients.py template-early`` did not adopt it; a
    beat of the recording's own V shape keeps V, ``v_keep_min_correlation``, chosen on
    the beats cut at the detected R peaks: ``cv_patients.py template-vkeep --prefix k4_es_
    --cut detector``, ``cv_template_vkeep_k4_es_detcut_choice.json``; an early beat of
    that shape made V, ``v_gain_min_correlation``, is off: ``template-vgain`` did not
    adopt it; a beat called S unlike the template made V, ``s_to_v_max_correlation``, is
    off: ``benchmarks/template_s_to_v.py`` did not adopt it; a second normal shape on
    time, ``second_min_share``, is off: ``benchmarks/template_second.py`` did not adopt
    it; a beat called S on time and outside a fast stretch made N, ``s_on_time_ratio``
    with ``s_on_time_local_min``, is on: ``benchmarks/template_on_time_s.py --prefix
    all_new_ --local-min 0.9``, the second rule, on folds trained anew; the first rule,
    without ``s_on_time_local_min``, was not adopted; a beat takes the class of its
    confident neighbours, ``neighbours_k`` and the other ``neighbours_*`` fields, is on:
    ``benchmarks/template_neighbours.py --prefix all_s68_``, on folds trained anew; the
    network's sure V beats keep V, ``v_sure_confidence``, is on:
    ``benchmarks/template_sure_v.py --prefix all_s911_``, on folds trained anew);
    :func:`heartbeat.classify` uses them with ``adapt="template"``.  The folds chose no
    timing check for V/F: a prematurity threshold never lowered the N beats called
    abnormal at equal V F1.  ``TemplateRule(s_max_rr_ratio=0.0,
    s_min_keep_ratio=float("inf"), s_irregular_above=float("inf"),
    s_on_time_ratio=float("inf"), neighbours_k=0)`` is the V/F step alone (with the
    network's sure V kept).

    Attributes
    ----------
    window_s : float
        Seconds after the R peak over which a beat is compared with the template.
    min_correlation : float
        Least Pearson correlation with the template over the window.
    max_amplitude_ratio : float
        A beat's peak-to-peak amplitude over the template's (or its inverse) may not
        pass this (``inf``: amplitude is not checked).
    min_rr_ratio : float
        Least previous RR over the local mean RR: a beat below it is premature and
        keeps its probabilities (0: timing is not checked).
    s_max_rr_ratio : float
        The S step (:func:`move_supraventricular`): a beat now called N that matches
        the template in shape and whose previous RR over the local mean RR is below
        this becomes S (0: no beat becomes S).
    s_min_correlation : float
        Least correlation with the template for the S step (the amplitude check is
        the V/F step's).
    s_min_post_ratio : float
        Least next RR over previous RR (a pause after it) for a beat to become S (0:
        not checked).
    s_min_keep_ratio : float
        A beat called S that matches in shape and whose previous RR over the local
        mean RR is at least this (it is not early) becomes N (``inf``: never).
    s_irregular_above : float
        The S step's guard: a beat whose :func:`rhythm_irregularity` is above this
        does not become S (``inf``: no guard).
    s_irregular_beats : int
        The guard's half window: the irregularity of a beat is measured over its own
        previous RR and that of `s_irregular_beats` beats before and after it.
    s_irregular_keep : bool
        With the guard on, a beat called S that matches in shape and whose rhythm is
        irregular becomes N.
    s_on_time_ratio : float
        After the S step, a beat called S whose previous RR over the local mean RR is
        at least this (it comes on time) and whose previous beat is not called S
        becomes N (:func:`~heartbeat.classifier.rhythm.on_time_supraventricular`;
        ``inf``: off).
    s_on_time_local_min : float
        With `s_on_time_ratio`, a beat becomes N only if its local mean RR over the
        recording's mean RR is at least this: not in a fast stretch, where a long run
        of supraventricular tachycardia makes its own beats on time (0: not checked).
    s_max_sudden_ratio : float
        A beat becomes S only if its previous RR over the previous RR of the beat
        before (:func:`~heartbeat.classifier.rhythm.sudden_ratio`) is below this
        (``inf``: not checked).
    s_keep_sudden_ratio : float
        A beat called S that matches in shape and whose ratio above is at least this
        (its interval did not shorten at once) becomes N (``inf``: never).  Neither
        sudden threshold was adopted; :class:`RunningTemplate` does not apply them.
    fallback_min_share : float
        Without a template of beats called N, the fallback template
        (:func:`~heartbeat.classifier.dominant.fallback_template`) is used if its
        cluster holds this share of the beats (``inf``: no fallback).
    fallback_min_rr_ratio : float
        Least previous RR over local mean RR of a beat in the fallback's cluster.
    second_min_share : float
        Where the template is that of beats called N, the beats called V or F that do
        not match it and come on time (`fallback_min_rr_ratio`) may form a **second
        normal shape** (:func:`~heartbeat.classifier.dominant.second_template`) if
        their cluster holds this share of the beats; a beat called V or F on time that
        matches it loses V and F as a beat matching the template does (``inf``: off).
    second_min_rr_ratio : float
        The second shape's rate guard: the median previous RR of its cluster must be at
        least this times that of the beats called N (a faster cluster is left alone:
        a ventricular rhythm, not a second sinus shape).
    q_step : bool
        Where the template is that of beats called N (not the fallback), a matching
        beat also loses its Q (paced or unclassifiable) probability.
    max_lag_s : float
        Largest shift in seconds, either way, by which a beat is slid against the
        template before its correlation is taken (the best shift counts;
        :func:`~heartbeat.classifier.dominant.shape_measures`): on a lead whose complex
        has two lobes of nearly equal size the detector's R peak may sit on either, and
        the beat is then cut tens of milliseconds from the template's beats (0: no
        shift).
    lag_min_rr_ratio : float
        Only a beat whose previous RR over the local mean RR is at least this (one
        on time) is shifted; a premature beat is compared unshifted (0: every beat).
    early_rr_ratio : float
        A beat whose previous RR over the local mean RR is below this (an early
        beat) loses V and F only if its correlation also reaches
        `early_min_correlation` (0: no beat is held to more).
    early_min_correlation : float
        Least correlation with the template of an early beat for the V/F step.
    v_keep_min_correlation : float
        A beat called V that matches the template keeps V and F if its correlation
        with the recording's **V template** (the median of its other beats called V,
        those that do not match the template; at least
        :data:`~heartbeat.classifier.ventricular.MIN_V_TEMPLATE_BEATS`) is at least this
        and higher than its correlation with the template: it has the shape of the
        recording's own ventricular beats (``inf``: off).
    v_gain_min_correlation : float
        After the V/F step, a beat called N or S that comes early (previous RR over
        the local mean RR below `v_gain_max_rr_ratio`), whose correlation with the V
        template is at least this and higher than with the template, and whose
        amplitude is within `max_amplitude_ratio` of the V template's, becomes V
        (``inf``: off).
    v_gain_max_rr_ratio : float
        Below this previous RR over local mean RR a beat is early enough for
        `v_gain_min_correlation`.
    s_to_v_max_correlation : float
        After the S step, a beat called S whose correlation with the template is
        below this becomes V (its S probability moved onto V): a supraventricular beat
        is conducted as the recording's normal beats are, so a beat of another shape
        is ventricular (:func:`~heartbeat.classifier.ventricular.move_unlike_supraventricular`;
        -1: off).
    neighbours_k : int
        Last, the recording's own confident beats vote
        (:func:`~heartbeat.classifier.neighbours.move_by_neighbours`): a beat called N
        (not itself a sure N) or S becomes V, and a beat called V of which the network
        was not sure becomes N, when at least `neighbours_agree` of its `neighbours_k`
        nearest references -- beats called N or V whose network probability of that
        class is at least `neighbours_confidence` -- are of that class; a beat becomes
        V only if it comes early (`neighbours_max_rr_ratio`) (0: off).
    neighbours_agree : int
        How many of the `neighbours_k` nearest references must agree.
    neighbours_confidence : float
        Least network probability of its class for a reference beat.
    neighbours_window_s : float
        Seconds after the R peak over which beats are compared (Euclidean distance).
    neighbours_max_rr_ratio : float
        A beat becomes V by its neighbours only if its previous RR over the local mean
        RR is below this (``inf``: any beat).
    v_sure_confidence : float
        A beat the network calls V with at least this probability keeps V and F in the
        V/F step whatever its shape
        (:func:`~heartbeat.classifier.ventricular.sure_ventricular`; ``inf``: off).
    v_sure_max_rr_ratio : float
        With `v_sure_confidence`, only a beat whose previous RR over the local mean RR
        is below this keeps V so (``inf``: any beat).

    Raises
    ------
    TypeError
        If a threshold is not a real number, ``s_irregular_beats``, ``neighbours_k`` or
        ``neighbours_agree`` not an integer or a flag not True/False.
    ValueError
        If a threshold is NaN, negative, infinite where ``inf`` means nothing (only
        ``max_amplitude_ratio``, ``s_min_keep_ratio``, ``s_irregular_above``, the two
        sudden ratios, ``fallback_min_share``, ``second_min_share``,
        ``s_on_time_ratio``, ``neighbours_max_rr_ratio``, the two
        ``v_*_min_correlation`` and the two ``v_sure_*`` fields take it), a
        correlation outside [-1, 1], ``max_amplitude_ratio`` below 1, ``window_s`` not
        above 0 (or ``neighbours_window_s``), ``s_irregular_beats`` or
        ``neighbours_agree`` below 1, ``neighbours_k`` below 0 or below
        ``neighbours_agree`` when on, ``neighbours_confidence`` or a finite
        ``v_sure_confidence`` outside [0, 1]; the
        message names the field.
    """

    window_s: float = 0.24
    min_correlation: float = 0.80
    max_amplitude_ratio: float = 2.0
    min_rr_ratio: float = 0.0
    s_max_rr_ratio: float = 0.85
    s_min_correlation: float = 0.80
    s_min_post_ratio: float = 0.0
    s_min_keep_ratio: float = 1.0
    s_irregular_above: float = 0.12
    s_irregular_beats: int = 16
    s_irregular_keep: bool = True
    s_on_time_ratio: float = 0.9
    s_on_time_local_min: float = 0.9
    s_max_sudden_ratio: float = float("inf")
    s_keep_sudden_ratio: float = float("inf")
    fallback_min_share: float = 0.5
    fallback_min_rr_ratio: float = 0.9
    second_min_share: float = math.inf
    second_min_rr_ratio: float = 0.8
    q_step: bool = False
    max_lag_s: float = 0.04
    lag_min_rr_ratio: float = 0.9
    early_rr_ratio: float = 0.0
    early_min_correlation: float = 1.0
    v_keep_min_correlation: float = 0.93
    v_gain_min_correlation: float = math.inf
    v_gain_max_rr_ratio: float = 0.9
    s_to_v_max_correlation: float = -1.0
    neighbours_k: int = 7
    neighbours_agree: int = 5
    neighbours_confidence: float = 0.9
    neighbours_window_s: float = 0.5
    neighbours_max_rr_ratio: float = 0.9
    v_sure_confidence: float = 0.997
    v_sure_max_rr_ratio: float = math.inf

    def __post_init__(self) -> None:
        for field in fields(self):
            name, value = f"TemplateRule.{field.name}", getattr(self, field.name)
            if field.name in ("s_irregular_keep", "q_step"):
                as_bool(value, name)
            elif field.name == "s_irregular_beats":
                as_int(value, name, minimum=1)
            elif field.name in ("neighbours_k", "neighbours_agree"):
                as_int(value, name, minimum=0 if field.name == "neighbours_k" else 1)
            elif field.name in _MAY_BE_INFINITE and value == math.inf:
                continue
            elif field.name in ("neighbours_confidence", "v_sure_confidence"):
                as_real(value, name, low=0.0, high=1.0)
            elif field.name in _CORRELATIONS:
                as_real(value, name, low=-1.0, high=1.0)
            else:
                as_real(value, name, low=1.0 if field.name == "max_amplitude_ratio" else 0.0)
        for name in ("window_s", "neighbours_window_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"TemplateRule.{name}={getattr(self, name)!r} must be > 0 "
                                 "seconds")
        if self.neighbours_k and self.neighbours_agree > self.neighbours_k:
            raise ValueError(f"TemplateRule.neighbours_agree={self.neighbours_agree!r} must "
                             f"be at most neighbours_k={self.neighbours_k!r}")

    def samples(self, fs_out: float) -> tuple[int, int]:
        """Return (window, largest shift) in samples at `fs_out` Hz."""
        return max(2, round(self.window_s * fs_out)), max(0, round(self.max_lag_s * fs_out))


DEFAULT_RULE = TemplateRule()
"""The rule :func:`heartbeat.classify` applies with ``adapt="template"``."""
