"""A beat of the recording's own ventricular shape keeps V, on the kept logits.

Used by ``cv_patients.py template-vkeep``; the rule is docs/results.md section 5 ("A
beat of the recording's own ventricular shape keeps V").  The
``adapt="template"`` rule shipped before it (:data:`SHIPPED`) stays as it is apart from
``v_keep_min_correlation``, chosen from :data:`GRID` for held-out fold
k on the other folds and then applied to fold k; the default is the setting chosen on
all folds.  ``--confirm VALUE`` (condition 5 of the rule) scores the shipped rule
against that one setting on other folds, nothing chosen.  No label is read by the step.
"""

from __future__ import annotations

import dataclasses

import _s_fallback_folds as ff
import _s_step_folds as sf
import _template_folds as tf
import _template_recipes as tr
import numpy as np

from heartbeat.classifier.template import DEFAULT_RULE, TemplateRule

GRID = (0.99, 0.98, 0.97, 0.95, 0.93, 0.90)  # after "off", the least change first
MAX_RISE = 0.001  # N called abnormal, per lead: 0.1 point
MAX_S_F1_DROP = 0.01  # per lead
LEADS = ("ch0", "ch1")
SHIPPED = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_V_KEEP)
"""The rule shipped when this step was judged: today's with the step off."""


def with_keep(value: float) -> TemplateRule:
    """:data:`SHIPPED` with ``v_keep_min_correlation = value`` (inf: :data:`SHIPPED`)."""
    return dataclasses.replace(SHIPPED, v_keep_min_correlation=value)


def rules() -> list[TemplateRule]:
    """The shipped rule (the step off) first, then each setting of :data:`GRID`."""
    return [SHIPPED] + [with_keep(c) for c in GRID]


def choose(runs_by_lead: dict) -> tuple[TemplateRule, dict]:
    """The inner rule: the highest mean V F1 over the leads among the settings whose N
    called abnormal rises by at most 0.1 point on each lead over the shipped rule's and
    whose S F1 is at most 1 point lower on each lead (a later setting must be strictly
    higher)."""
    def admissible(fig, base):
        return all(fig[c][0] <= base[c][0] + MAX_RISE + 1e-12
                   and fig[c][2] >= base[c][2] - MAX_S_F1_DROP for c in fig)

    return sf.best_rule(runs_by_lead, rules(), SHIPPED, ff.confusion, 0.0, "shipped",
                        admissible=admissible,
                        score=lambda fig: float(np.mean([fig[c][1] for c in fig])))


def verdict(base: dict, candidate: dict, final_rule: TemplateRule | None, cut: str) -> dict:
    """The rule's conditions on the deciding rows (summaries of the folds' ensembles,
    shipped against the candidate): at the detected cut (1) a setting is chosen on all
    folds, (2) V F1 higher on lead 0 and not lower on lead 1, (3) N called abnormal up
    by at most 0.1 point and S F1 at most 1 point lower on each lead; at the annotated
    cut (4) the same bound on N called abnormal and V F1 not lower on either lead.
    With `final_rule` None (``--confirm``): condition 5 at this cut, V F1 not lower on
    either lead and N called abnormal up by at most 0.1 point on each."""
    rises = {c: candidate[c]["n_called_abnormal"][0] - base[c]["n_called_abnormal"][0]
             for c in LEADS}
    v_delta = {c: candidate[c]["V_f1"][0] - base[c]["V_f1"][0] for c in LEADS}
    s_kept = {c: bool(candidate[c]["S_f1"][0] >= base[c]["S_f1"][0] - MAX_S_F1_DROP)
              for c in LEADS}
    within = all(r <= MAX_RISE + 1e-12 for r in rises.values())
    v_kept = all(d >= 0 for d in v_delta.values())
    out = {"abnormal_rise_points": {c: 100 * r for c, r in rises.items()},
           "V_f1_change_points": {c: 100 * d for c, d in v_delta.items()},
           "S_f1_within_1_point": s_kept, "abnormal_within_bound": within}
    if final_rule is None:
        out["condition_5"] = bool(within and v_kept)
    elif cut == "annotations":
        out["condition_4"] = bool(within and v_kept)
    else:
        out["condition_1"] = bool(np.isfinite(final_rule.v_keep_min_correlation))
        out["conditions_1_to_3"] = bool(out["condition_1"] and v_delta["ch0"] > 0
                                         and v_delta["ch1"] >= 0 and within
                                         and all(s_kept.values()))
    return out


def grid_figures(ensembles: dict) -> dict:
    """Per setting: each lead's (N called abnormal, V F1, S F1) in %, the folds'
    ensembles pooled (what the choice on all folds reads)."""
    return {f"{r.v_keep_min_correlation:g}": {
        f"ch{c}": [round(100 * v, 2) for v in fig]
        for c, fig in sf.pooled_figures(ensembles, r, ff.confusion).items()}
        for r in rules()}


def run(args, scored: dict, members: list, folds: list, *, write, print_summary) -> None:
    """Choose the setting nested (or take ``--confirm``'s), score the rows, apply the
    rule's conditions; write the results."""
    cut = getattr(args, "cut", "annotations")
    confirm = getattr(args, "confirm", None)
    if confirm is None:
        chosen, final_rule, final_figs = sf.nested_choice(args.recipe, scored, folds, choose)
    else:
        chosen, final_rule, final_figs = dict.fromkeys(folds, with_keep(confirm)), None, None
    command = "python benchmarks/cv_patients.py template-vkeep" + (
        "" if args.prefix == "es_" else f" --prefix {args.prefix}") + (
        "" if cut == "annotations" else f" --cut {cut}") + (
        "" if confirm is None else f" --confirm {confirm:g}")
    suffix = "" if cut == "annotations" else "_detcut"
    verdicts, ensembles = tr.nested_against_shipped(
        args, scored, members, folds, shipped=SHIPPED, chosen=chosen, mode="vkeep",
        suffix=suffix, label="with the V template" + (
            "" if confirm is None else f" at {confirm:g}"), command=command,
        judge=lambda base, cand: verdict(base, cand, final_rule, cut),
        write=write, print_summary=print_summary, nested=confirm is None)
    grid = grid_figures(ensembles)
    print("all folds' ensembles pooled, per setting: " + str(grid))
    write(f"cv_template_vkeep_{args.prefix.rstrip('_')}{suffix}"
          f"{'_choice' if confirm is None else '_confirm'}",
          {"held_out_cut": cut, "grid": ["inf", *GRID],
           "per_fold": {str(k): r.v_keep_min_correlation for k, r in chosen.items()},
           "all_folds": None if final_rule is None else final_rule.v_keep_min_correlation,
           "all_folds_figures": final_figs, "all_folds_grid": grid,
           "verdicts": verdicts, "command": command})
