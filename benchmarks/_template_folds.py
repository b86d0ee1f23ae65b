"""``adapt="template"`` on the kept out-of-fold logits: thresholds chosen nested, rows scored.

Used by ``cv_patients.py template``.  Every held-out beat of DS1 is scored by models
that never saw its record; the template features come from the held-out record's
own beats (cut at the annotated R peaks, as the kept logits were) and the models'
own calls, never from labels.  For held-out fold k the rule's thresholds are chosen
on the other two folds (:func:`choose`, the rule of docs/results.md section 5), then
applied to fold k.
"""

from __future__ import annotations

import itertools

import _recipe
import numpy as np

from heartbeat.classifier.template import TemplateRule, matches, template_features
from heartbeat.classifier.ventricular import (
    needs_v_template,
    own_ventricular,
    ventricular_template,
)

CLASSES = _recipe.CLASSES
V, F = CLASSES.index("V"), CLASSES.index("F")
GRID = {"window_s": (0.24, 0.48),
        "min_correlation": (0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99),
        "max_amplitude_ratio": (1.25, 1.5, 2.0, float("inf")),
        "min_rr_ratio": (0.0, 0.80, 0.85, 0.90, 0.95)}
FS_OUT = 125.0
MAX_V_F1_DROP = 0.01  # inner choice: V F1 at most 1 point below no adaptation, per lead


BEFORE_SURE_V = {"v_sure_confidence": float("inf")}
"""The field that keeps a rule as it was before the network's sure V beats kept V
(docs/results.md section 5, "The network's sure V beats keep V", session 19): every
rule chosen or shipped before it is scored without it."""
BEFORE_NEIGHBOURS = {"neighbours_k": 0, **BEFORE_SURE_V}
"""The fields that keep a rule as it was before its confident neighbours voted
(docs/results.md section 5, "A beat takes the class of its confident neighbours",
session 18): every rule chosen or shipped before it is scored without the step."""
BEFORE_ON_TIME = {"s_on_time_ratio": float("inf"), "s_on_time_local_min": 0.0,
                  **BEFORE_NEIGHBOURS}
"""The fields that keep a rule as it was before a beat called S on time went back to N
(docs/results.md section 5, "A beat called S on time goes back to N, outside fast
stretches", session 17): every rule chosen or shipped before it is scored without it."""
BEFORE_SHIFT = {"max_lag_s": 0.0, "lag_min_rr_ratio": 0.0,
                "v_keep_min_correlation": float("inf"), "v_gain_min_correlation": float("inf"),
                **BEFORE_ON_TIME}
"""The fields that keep a rule as it was before the shift of beats on time was adopted
(docs/results.md section 5, "A beat slid against the template"; and before the V
template, below): the rules chosen before it are scored without it, so their recorded
results reproduce."""
BEFORE_V_KEEP = {"v_keep_min_correlation": float("inf"), "v_gain_min_correlation": float("inf"),
                 **BEFORE_ON_TIME}
"""The fields that keep a rule as it was before a beat of the recording's own V shape
kept V (docs/results.md section 5, "A beat of the recording's own ventricular shape
keeps V"): the rules chosen before it are scored without it."""


def rules() -> list[TemplateRule]:
    """Every V/F setting of the grid, in the order the tie-break prefers (strictest first).

    The S step (chosen after these, ``_s_step_folds.py``) is off in every one of them.
    """
    out = [TemplateRule(*values, s_max_rr_ratio=0.0, s_min_keep_ratio=float("inf"),
                        s_irregular_above=float("inf"), **BEFORE_SHIFT)
           for values in itertools.product(*GRID.values())]  # the S step off
    return sorted(out, key=lambda r: (-r.min_correlation, r.max_amplitude_ratio,
                                      -r.min_rr_ratio, r.window_s))


class Run:
    """One model's held-out outputs on one fold and lead, with every rule's matches.

    ``pred`` is the argmax of the logits, ``alt`` the argmax with V and F taken away
    (what a matching beat becomes), ``hits[window_s]`` the features per window, each
    held-out record measured on its own.
    """

    def __init__(self, logits: np.ndarray, y: np.ndarray, record: np.ndarray,
                 waveforms: np.ndarray, rr: np.ndarray) -> None:
        self.y = y
        self.record, self.rr = record, rr  # the guard of the S step reads the RR
        self.waveforms = waveforms  # the fallback and the V template measure them again
        self.pred = logits.argmax(axis=1)
        masked = logits.astype(np.float64, copy=True)
        masked[:, [V, F]] = -np.inf
        self.alt = masked.argmax(axis=1)
        self.features = {}
        for window_s in GRID["window_s"]:
            parts = []
            for name in np.unique(record):
                rows = np.flatnonzero(record == name)
                parts.append((rows, template_features(
                    waveforms[rows], self.pred[rows] == 0, rr[rows],
                    window=round(window_s * FS_OUT))))
            self.features[window_s] = parts

    def adapted(self, rule: TemplateRule | None, parts: list | None = None) -> np.ndarray:
        """Predicted codes after `rule`'s V/F step (None: no adaptation); `parts`, the
        (rows, features) of each held-out record, are by default the kept ones."""
        if rule is None:
            return self.pred
        hit = np.zeros(len(self.y), dtype=bool)
        for rows, feats in self.features[rule.window_s] if parts is None else parts:
            hit[rows] = self.ventricular(rows, feats, rule)[0]
        return np.where(hit & np.isin(self.pred, (V, F)), self.alt, self.pred)

    def ventricular(self, rows: np.ndarray, feats, rule: TemplateRule
                    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(the V/F step's matches, the V template's beats kept V; the V template) of
        one held-out record, as ``adapt_template`` finds them from the model's calls."""
        hit = matches(feats, rule)
        if not needs_v_template(rule):
            return hit, None
        window, max_lag = rule.samples(FS_OUT)
        heads = self.waveforms[rows, : window + max_lag]
        called_v = self.pred[rows] == V
        v_template = ventricular_template(heads, called_v & ~hit, window)
        return hit & ~own_ventricular(heads, called_v, hit, feats, rule, max_lag=max_lag,
                                      v_template=v_template), v_template

    def confusion(self, rule: TemplateRule | None) -> np.ndarray:
        return _recipe.confusion(self.y, self.adapted(rule))


def as_dict(rule: TemplateRule | None) -> dict | None:
    """A rule as JSON can hold it (an infinite amplitude ratio as the string "inf")."""
    if rule is None:
        return None
    return {k: "inf" if v == float("inf") else v for k, v in vars(rule).items()}


def lead_figures(conf: np.ndarray) -> tuple[float, float]:
    """(N called abnormal, V F1) of a confusion matrix."""
    fig = _recipe.figures(conf)
    return fig["n_called_abnormal"], fig["V"]["f1"]


def choose(runs_by_lead: dict[int, list[Run]]) -> tuple[TemplateRule, dict]:
    """The inner rule: lowest mean N called abnormal with V F1 at most 1 point lower.

    `runs_by_lead` holds, per lead, the runs whose confusion matrices are pooled (the
    ensembles of both recipes on the inner folds).  Returns the rule and its figures.
    """
    def pooled(rule):
        return {c: lead_figures(sum(r.confusion(rule) for r in runs))
                for c, runs in runs_by_lead.items()}

    base = pooled(None)
    best, best_key, best_fig = None, None, None
    for rule in rules():  # strictest first: a later rule must be strictly better
        fig = pooled(rule)
        if any(fig[c][1] < base[c][1] - MAX_V_F1_DROP for c in fig):
            continue
        key = round(float(np.mean([fig[c][0] for c in fig])), 9)
        if best_key is None or key < best_key:
            best, best_key, best_fig = rule, key, fig
    summary = {"none": {f"ch{c}": {"n_called_abnormal": base[c][0], "V_f1": base[c][1]}
                        for c in base},
               "chosen": None if best is None else
               {f"ch{c}": {"n_called_abnormal": best_fig[c][0], "V_f1": best_fig[c][1]}
                for c in best_fig}}
    return best, summary


def decide(none: dict, template: dict) -> dict:
    """The default rule of docs/results.md section 5 on one recipe's single-model rows."""
    primary = {name: float(np.mean([s[lead]["n_called_abnormal"][0]
                                    for lead in ("ch0", "ch1")]))
               for name, s in (("none", none), ("template", template))}
    v_ok = {lead: template[lead]["V_f1"][0] >= none[lead]["V_f1"][0] - none[lead]["V_f1"][1]
            for lead in ("ch0", "ch1")}
    s_ok = template["ch0"]["S_se"][0] >= none["ch0"]["S_se"][0] - 0.02
    return {"primary_none": primary["none"], "primary_template": primary["template"],
            "lower_primary": primary["template"] < primary["none"],
            "v_f1_within_one_sd": v_ok, "s_se_lead0_within_2_points": bool(s_ok),
            "passes": bool(primary["template"] < primary["none"] and all(v_ok.values())
                           and s_ok)}
