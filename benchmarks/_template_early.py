"""An early beat held to a closer match before V and F are taken from it, on the kept logits.

Used by ``cv_patients.py template-early``; the rule is docs/results.md section 5 ("An
early beat held to a closer match").  The ``adapt="template"`` rule shipped
then (:data:`SHIPPED`: today's without the V template) stays as it is apart from
``early_rr_ratio`` and ``early_min_correlation``, chosen from :data:`GRID` for held-out
fold k on the other two folds and then applied to fold k; the default is the setting
chosen on all folds.  No label is read by the step.
"""

from __future__ import annotations

import dataclasses
import itertools

import _s_fallback_folds as ff
import _s_step_folds as sf
import _template_folds as tf
import _template_recipes as tr
import numpy as np

from heartbeat.classifier.template import DEFAULT_RULE, TemplateRule

SHIPPED = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_V_KEEP)
"""The rule shipped when the early check was judged (before the V template)."""
RR_GRID = (0.80, 0.85, 0.90)  # previous RR over the local mean: below it a beat is early
CORRELATION_GRID = (0.90, 0.93, 0.95, 0.97)
MAX_S_F1_DROP = 0.01  # per lead
BOUNDS = {"first": ("mean", 0.001), "second": ("each", 0.0025)}
"""``--early-rule`` -> how far N called abnormal may rise: the first rule allowed 0.1
point averaged over the leads; the second (new folds) 0.25 point on each lead."""


def rules() -> list[TemplateRule]:
    """The shipped rule (no early check) first, then each setting of the grid, the least
    change first (the tie-break)."""
    return [SHIPPED] + [
        dataclasses.replace(SHIPPED, early_rr_ratio=r, early_min_correlation=c)
        for r, c in itertools.product(RR_GRID, CORRELATION_GRID)]


def within_bound(rises: list[float], bound: str) -> bool:
    """Whether the rises of N called abnormal per lead keep `bound` (a key of BOUNDS)."""
    kind, size = BOUNDS[bound]
    worst = float(np.mean(rises)) if kind == "mean" else max(rises)
    return worst <= size + 1e-12


def choose(runs_by_lead: dict[int, list[tf.Run]], bound: str = "first"
           ) -> tuple[TemplateRule, dict]:
    """The inner rule: the highest mean V F1 over the leads among the settings whose N
    called abnormal rises within `bound` over the shipped rule's (first: 0.1 point
    averaged over the leads; second: 0.25 point on each lead) and whose S F1 is, on
    each lead, at most 1 point below it (a later setting must be strictly higher)."""
    def admissible(fig, base):
        return (within_bound([fig[c][0] - base[c][0] for c in fig], bound)
                and all(fig[c][2] >= base[c][2] - MAX_S_F1_DROP for c in fig))

    return sf.best_rule(runs_by_lead, rules(), SHIPPED, ff.confusion, 0.0, "shipped",
                        admissible=admissible,
                        score=lambda fig: float(np.mean([fig[c][1] for c in fig])))


def verdict(base: dict, candidate: dict, final_rule: TemplateRule, cut: str,
            bound: str = "first") -> dict:
    """The conditions of the rule on the deciding rows (summaries of the folds'
    ensembles, shipped against nested): at the detected cut (1) a setting is chosen on
    all folds, (2) V F1 is higher on both leads, (3) N called abnormal rises within
    `bound` and S F1 is at most 1 point lower on each lead; at the annotated cut (4) the
    same bound on N called abnormal and V F1 not lower."""
    leads = ("ch0", "ch1")
    rises = [candidate[c]["n_called_abnormal"][0] - base[c]["n_called_abnormal"][0]
             for c in leads]
    rise = float(np.mean(rises))
    v_up = {c: bool(candidate[c]["V_f1"][0] > base[c]["V_f1"][0]) for c in leads}
    v_kept = {c: bool(candidate[c]["V_f1"][0] >= base[c]["V_f1"][0]) for c in leads}
    s_kept = {c: bool(candidate[c]["S_f1"][0] >= base[c]["S_f1"][0] - MAX_S_F1_DROP)
              for c in leads}
    within = within_bound(rises, bound)
    out = {"abnormal_rise_points": 100 * rise,
           "abnormal_rise_points_per_lead": [100 * r for r in rises],
           "V_f1_higher": v_up, "V_f1_not_lower": v_kept, "S_f1_within_1_point": s_kept,
           "abnormal_within_bound": within}
    if cut == "annotations":
        out["condition_4"] = within and all(v_kept.values())
    else:
        out["condition_1"] = final_rule.early_rr_ratio > 0
        out["conditions_1_to_3"] = bool(out["condition_1"] and all(v_up.values())
                                         and within and all(s_kept.values()))
    return out


def grid_figures(ensembles: dict[int, list[tf.Run]]) -> dict:
    """Per setting: each lead's (N called abnormal, V F1, S F1) in %, the folds' ensembles
    pooled (what the choice on all folds reads)."""
    return {f"{r.early_rr_ratio:.2f}/{r.early_min_correlation:.2f}": {
        f"ch{c}": [round(100 * v, 2) for v in fig]
        for c, fig in sf.pooled_figures(ensembles, r, ff.confusion).items()}
        for r in rules()}


def run(args, scored: dict, members: list, folds: list, *, write, print_summary) -> None:
    """Choose the setting nested, score the rows, apply the rule; write the results."""
    cut = getattr(args, "cut", "annotations")
    bound = getattr(args, "early_rule", "first")
    chosen, final_rule, final_figs = sf.nested_choice(
        args.recipe, scored, folds, lambda runs: choose(runs, bound))
    command = "python benchmarks/cv_patients.py template-early" + (
        "" if args.prefix == "es_" else f" --prefix {args.prefix}") + (
        "" if cut == "annotations" else f" --cut {cut}") + (
        "" if bound == "first" else f" --early-rule {bound}")
    suffix = ("" if cut == "annotations" else "_detcut") + (
        "" if bound == "first" else f"_{bound}")
    verdicts, ensembles = tr.nested_against_shipped(
        args, scored, members, folds, shipped=SHIPPED, chosen=chosen, mode="early",
        suffix=suffix, label="with the early check", command=command,
        judge=lambda base, cand: verdict(base, cand, final_rule, cut, bound),
        write=write, print_summary=print_summary)
    grid = grid_figures(ensembles)
    print("all folds' ensembles pooled, per setting: " + str(grid))
    folds_tag = "" if args.prefix in ("es_", "detcut_es_") else "_" + args.prefix.rstrip("_")
    write(f"cv_template_early{folds_tag}{suffix}_choice",
          {"held_out_cut": cut, "rr_grid": list(RR_GRID),
           "correlation_grid": list(CORRELATION_GRID),
           "per_fold": {str(k): [r.early_rr_ratio, r.early_min_correlation]
                        for k, r in chosen.items()},
           "all_folds": [final_rule.early_rr_ratio, final_rule.early_min_correlation],
           "all_folds_figures": final_figs, "all_folds_grid": grid,
           "verdicts": verdicts, "command": command})
