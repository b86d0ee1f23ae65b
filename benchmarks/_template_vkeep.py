"""The V template's two steps of ``adapt="template"``, chosen on the kept logits.

Used by ``cv_patients.py template-vkeep`` (a beat of the recording's own ventricular
shape keeps V: ``TemplateRule.v_keep_min_correlation``) and ``template-vgain`` (an early
beat of that shape becomes V: ``v_gain_min_correlation``); the rules are docs/results.md
section 5, the subsections of those names.  The ``adapt="template"`` rule shipped
before the step (:data:`STEPS`) stays as it is apart from the step's field, chosen from
:data:`GRID` for held-out fold k on the other folds and then applied to fold k; the
default is the setting chosen on all folds.  ``--confirm VALUE`` (condition 5 of the
rules) scores the shipped rule against that one setting on other folds, nothing
chosen.  No label is read by either step.
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
"""The rule shipped when the first step was judged: today's with both steps off."""
STEPS = {"vkeep": ("v_keep_min_correlation", SHIPPED, "with the V template"),
         "vgain": ("v_gain_min_correlation",
                   dataclasses.replace(DEFAULT_RULE, v_gain_min_correlation=float("inf")),
                   "with early beats of the V shape made V")}
"""Step -> (its field, the rule shipped when it was judged, the rows' label)."""


def with_value(value: float, step: str = "vkeep") -> TemplateRule:
    """The rule shipped before `step` with the step's field set to `value` (inf: off)."""
    field, base, _ = STEPS[step]
    return dataclasses.replace(base, **{field: value})


def rules(step: str = "vkeep") -> list[TemplateRule]:
    """The shipped rule (the step off) first, then each setting of :data:`GRID`."""
    return [STEPS[step][1]] + [with_value(c, step) for c in GRID]


def choose(runs_by_lead: dict, step: str = "vkeep") -> tuple[TemplateRule, dict]:
    """The inner rule: the highest mean V F1 over the leads among the settings whose N
    called abnormal rises by at most 0.1 point on each lead over the shipped rule's and
    whose S F1 is at most 1 point lower on each lead (a later setting must be strictly
    higher)."""
    def admissible(fig, base):
        return all(fig[c][0] <= base[c][0] + MAX_RISE + 1e-12
                   and fig[c][2] >= base[c][2] - MAX_S_F1_DROP for c in fig)

    return sf.best_rule(runs_by_lead, rules(step), STEPS[step][1], ff.confusion, 0.0,
                        "shipped",
                        admissible=admissible,
                        score=lambda fig: float(np.mean([fig[c][1] for c in fig])))


def verdict(base: dict, candidate: dict, final_rule: TemplateRule | None, cut: str,
            step: str = "vkeep") -> dict:
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
        out["condition_1"] = bool(np.isfinite(getattr(final_rule, STEPS[step][0])))
        out["conditions_1_to_3"] = bool(out["condition_1"] and v_delta["ch0"] > 0
                                         and v_delta["ch1"] >= 0 and within
                                         and all(s_kept.values()))
    return out


def grid_figures(ensembles: dict, step: str = "vkeep") -> dict:
    """Per setting: each lead's (N called abnormal, V F1, S F1) in %, the folds'
    ensembles pooled (what the choice on all folds reads)."""
    field = STEPS[step][0]
    return {f"{getattr(r, field):g}": {
        f"ch{c}": [round(100 * v, 2) for v in fig]
        for c, fig in sf.pooled_figures(ensembles, r, ff.confusion).items()}
        for r in rules(step)}


def run(args, scored: dict, members: list, folds: list, *, write, print_summary) -> None:
    """Choose the setting nested (or take ``--confirm``'s), score the rows, apply the
    rule's conditions; write the results.  The step is the mode's (``template-vkeep``,
    ``template-vgain``)."""
    step = args.mode.removeprefix("template-")
    field, shipped, label = STEPS[step]
    cut = getattr(args, "cut", "annotations")
    confirm = getattr(args, "confirm", None)
    if confirm is None:
        chosen, final_rule, final_figs = sf.nested_choice(
            args.recipe, scored, folds, lambda runs: choose(runs, step))
    else:
        chosen = dict.fromkeys(folds, with_value(confirm, step))
        final_rule, final_figs = None, None
    command = f"python benchmarks/cv_patients.py {args.mode}" + (
        "" if args.prefix == "es_" else f" --prefix {args.prefix}") + (
        "" if cut == "annotations" else f" --cut {cut}") + (
        "" if confirm is None else f" --confirm {confirm:g}")
    suffix = "" if cut == "annotations" else "_detcut"
    verdicts, ensembles = tr.nested_against_shipped(
        args, scored, members, folds, shipped=shipped, chosen=chosen, mode=step,
        suffix=suffix, label=label + ("" if confirm is None else f" at {confirm:g}"),
        command=command, judge=lambda base, cand: verdict(base, cand, final_rule, cut, step),
        write=write, print_summary=print_summary, nested=confirm is None)
    grid = grid_figures(ensembles, step)
    print("all folds' ensembles pooled, per setting: " + str(grid))
    write(f"cv_template_{step}_{args.prefix.rstrip('_')}{suffix}"
          f"{'_choice' if confirm is None else '_confirm'}",
          {"held_out_cut": cut, "grid": ["inf", *GRID],
           "per_fold": {str(k): getattr(r, field) for k, r in chosen.items()},
           "all_folds": None if final_rule is None else getattr(final_rule, field),
           "all_folds_figures": final_figs, "all_folds_grid": grid,
           "verdicts": verdicts, "command": command})
