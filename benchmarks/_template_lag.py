"""A beat slid against the template (``TemplateRule.max_lag_s``) on the kept logits.

Used by ``cv_patients.py template-lag``; the rule is docs/results.md section 5 ("A beat
slid against the template").  The shipped ``adapt="template"`` rule
(:data:`heartbeat.classifier.template.DEFAULT_RULE`) stays as it is apart from the
largest shift, chosen from :data:`GRID` for held-out fold k on the other two folds and
then applied to fold k; the default is the one chosen on all folds.  No label is read
by the step.
"""

from __future__ import annotations

import dataclasses
import functools

import _s_fallback_folds as ff
import _s_step_folds as sf
import _template_folds as tf
import _template_recipes as tr
import numpy as np

from heartbeat.classifier.template import DEFAULT_RULE, TemplateRule

UNSHIFTED = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_SHIFT)
"""The rule shipped when the shift was chosen: every other threshold as today, no shift."""
GRID = (0.0, 0.008, 0.016, 0.024, 0.032, 0.040)  # s: 0 to 5 samples at 125 Hz
MAX_F1_DROP = 0.01  # per lead, V F1 and S F1 against the shipped rule
MAX_ANNOTATED_RISE = 0.1  # points of N called abnormal at the annotated cut (condition 3)


ON_TIME = {"any": 0.0, "on-time": 0.9}
"""``--shift`` -> ``TemplateRule.lag_min_rr_ratio``: every beat may be shifted (the first
candidate), or only beats whose previous RR is at least 0.9 x the local mean (the
second; 0.9 is the fallback template's on-time threshold, not chosen here)."""


def rules(shift: str = "any") -> list[TemplateRule]:
    """The shipped rule with each largest shift, the smallest first (the tie-break)."""
    return [dataclasses.replace(UNSHIFTED, max_lag_s=lag,
                                lag_min_rr_ratio=ON_TIME[shift] if lag > 0 else 0.0)
            for lag in GRID]


def pooled(runs_by_lead: dict[int, list[tf.Run]], rule: TemplateRule) -> dict:
    """(N called abnormal, V F1, S F1) per lead, confusion matrices pooled over runs."""
    return sf.pooled_figures(runs_by_lead, rule, ff.confusion)


def choose(runs_by_lead: dict[int, list[tf.Run]], shift: str = "any"
           ) -> tuple[TemplateRule, dict]:
    """The inner rule: the lowest mean N called abnormal over the leads among the shifts
    whose V F1 and S F1 are, on each lead, at most 1 point below the shipped rule's (a
    longer shift must be strictly lower)."""
    def within_f1(fig, base):
        return not any(fig[c][1] < base[c][1] - MAX_F1_DROP
                       or fig[c][2] < base[c][2] - MAX_F1_DROP for c in fig)

    return sf.best_rule(runs_by_lead, rules(shift), UNSHIFTED, ff.confusion, 0.0, "shipped",
                        admissible=within_f1,
                        score=lambda fig: -float(np.mean([fig[c][0] for c in fig])))


def run(args, scored: dict, members: list, folds: list, *, write, print_summary) -> None:
    """Choose the shift nested, score the rows, decide the default; write the results."""
    cut, shift = getattr(args, "cut", "annotations"), getattr(args, "shift", "any")
    chosen, final_rule, final_figs = sf.nested_choice(
        args.recipe, scored, folds, functools.partial(choose, shift=shift))
    command = "python benchmarks/cv_patients.py template-lag" + (
        "" if args.prefix == "es_" else f" --prefix {args.prefix}") + (
        "" if cut == "annotations" else f" --cut {cut}") + (
        "" if shift == "any" else f" --shift {shift}")
    suffix = ("" if cut == "annotations" else "_detcut") + (
        "" if shift == "any" else "_" + shift.replace("-", ""))
    decisions, ensembles = tr.nested_against_shipped(
        args, scored, members, folds, shipped=UNSHIFTED, chosen=chosen, mode="lag",
        suffix=suffix, label="with the shift", command=command, judge=tr.decide,
        write=write, print_summary=print_summary)
    grid = all_folds_grid(ensembles, shift)
    print("all folds' ensembles pooled, per shift: " + str(grid))
    write(f"cv_template_lag{suffix}_choice",
          {"held_out_cut": cut, "grid_s": list(GRID),
           "per_fold": {str(k): r.max_lag_s for k, r in chosen.items()},
           "all_folds": final_rule.max_lag_s, "all_folds_figures": final_figs,
           "all_folds_grid": grid,
           "n_called_abnormal_per_record": per_record(ensembles, final_rule),
           "decisions": decisions} | _verdict(cut, final_rule, decisions)
          | {"command": command})


def all_folds_grid(ensembles: dict[int, list[tf.Run]], shift: str) -> dict:
    """Per shift (ms): each lead's (N called abnormal, V F1, S F1) in %, the folds'
    ensembles pooled (the figures the choice on all folds reads)."""
    return {f"{1000 * rule.max_lag_s:.0f}": {
        f"ch{c}": [round(100 * v, 2) for v in fig] for c, fig in pooled(ensembles, rule).items()}
        for rule in rules(shift)}


def per_record(ensembles: dict[int, list[tf.Run]], rule: TemplateRule) -> dict:
    """N beats called abnormal per held-out record and lead, without the shift and with
    `rule` (the folds' ensembles)."""
    out = {}
    for c, runs in ensembles.items():
        for run in runs:
            names = np.asarray(run.record).astype(str)
            before, after = ff.adapted(run, UNSHIFTED), ff.adapted(run, rule)
            for name in np.unique(names):
                normal = (names == name) & (run.y == 0)
                out[f"{name}/{c}"] = [int(np.count_nonzero(before[normal] != 0)),
                                      int(np.count_nonzero(after[normal] != 0))]
    return out


def _verdict(cut: str, final_rule: TemplateRule, decisions: dict) -> dict:
    """At the detected cut, whether conditions (1) and (2) of the rule hold; at the
    annotated cut, condition (3): the ensemble row's N called abnormal, averaged over the
    leads, at most 0.1 point above the shipped row's."""
    if cut != "annotations":
        return {"all_folds_above_0": final_rule.max_lag_s > 0,
                "conditions_1_and_2": bool(final_rule.max_lag_s > 0 and all(
                    d["passes"] for d in decisions.values()))}
    rise = {text: 100 * (d["primary_candidate"] - d["primary_baseline"])
            for text, d in decisions.items()}
    return {"abnormal_rise_points": rise,
            "condition_3": all(r <= MAX_ANNOTATED_RISE for r in rise.values())}
