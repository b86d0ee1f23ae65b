"""The S step's rhythm guard (``adapt="template"``) on the kept out-of-fold logits.

Used by ``cv_patients.py template-s-gate``.  The V/F step and the S step keep their
shipped thresholds (:data:`CURRENT`); the guard's (``TemplateRule.s_irregular_*``,
:func:`heartbeat.classifier.template.irregular_rhythm`) are chosen for held-out fold k
on the other two folds by the rule of docs/results.md section 5 ("S step in irregular
rhythm"), then applied to fold k.  No label is read by the guard: each held-out
record's irregularity comes from its own RR intervals.
"""

from __future__ import annotations

import dataclasses
import itertools

import _recipe
import _s_step_folds as sf
import _template_folds as tf
import numpy as np

from heartbeat.classifier.template import TemplateRule

N, S = 0, 1
CURRENT = dataclasses.replace(sf.VF_RULE, s_max_rr_ratio=0.85, s_min_correlation=0.80,
                              s_min_post_ratio=0.0, s_min_keep_ratio=1.0)
"""The rule shipped before the guard (the S step chosen by ``template-s``), guard off."""
GRID = {"s_irregular_above": (0.06, 0.08, 0.10, 0.12, 0.15, 0.20),
        "s_irregular_beats": (4, 8, 16),
        "s_irregular_keep": (False, True)}
AF_RECORDS = ("201", "203")  # DS1's atrial fibrillation records (reported, not chosen on)


def rules() -> list[TemplateRule]:
    """Guard off, then every guard setting, in the order the tie-break prefers."""
    out = [dataclasses.replace(CURRENT, **dict(zip(GRID, values, strict=True)))
           for values in itertools.product(*GRID.values())]
    return [CURRENT, *sorted(out, key=lambda r: (-r.s_irregular_above, r.s_irregular_keep,
                                                 -r.s_irregular_beats))]


adapted = sf.adapted  # the S step with the rule's guard
confusion = sf.confusion


def choose(runs_by_lead: dict[int, list[tf.Run]]) -> tuple[TemplateRule, dict]:
    """The inner rule: highest mean S F1 over the leads, mean N called abnormal no more
    than the guard off and V F1 at most 1 point lower (per lead); confusion matrices
    pooled per lead over `runs_by_lead`."""
    return sf.best_rule(runs_by_lead, rules(), CURRENT, confusion, 0.0, "current")


def decide(current: dict, guarded: dict) -> dict:
    """The default rule on one recipe's single-model rows (summaries of 9 runs)."""
    def mean_of(summary, key):
        return float(np.mean([summary[lead][key][0] for lead in ("ch0", "ch1")]))

    s_f1 = {name: mean_of(s, "S_f1") for name, s in (("current", current), ("guard", guarded))}
    abnormal = {name: mean_of(s, "n_called_abnormal")
                for name, s in (("current", current), ("guard", guarded))}
    v_ok = {lead: guarded[lead]["V_f1"][0] >= current[lead]["V_f1"][0]
            - current[lead]["V_f1"][1] for lead in ("ch0", "ch1")}
    lower = abnormal["guard"] < abnormal["current"]
    s_ok = s_f1["guard"] >= s_f1["current"]
    return {"s_f1_current": s_f1["current"], "s_f1_guard": s_f1["guard"],
            "n_called_abnormal_current": abnormal["current"],
            "n_called_abnormal_guard": abnormal["guard"],
            "lower_n_called_abnormal": bool(lower), "s_f1_not_lower": bool(s_ok),
            "v_f1_within_one_sd": v_ok, "passes": bool(lower and s_ok and all(v_ok.values()))}


def af_n_called_s(scored: dict, recipes: list, folds: list, rule_of) -> dict:
    """N beats called S in 201 and 203, per recipe and lead, summed over the ensembles."""
    out = {}
    for text, c in itertools.product(recipes, (0, 1)):
        counts = dict.fromkeys(AF_RECORDS, 0)
        for f in folds:
            run = scored[text, "ensemble", f, c]
            pred = adapted(run, rule_of(f))
            for name in AF_RECORDS:
                hit = (np.asarray(run.record).astype(str) == name) & (run.y == N)
                counts[name] += int(np.count_nonzero(pred[hit] == S))
        out[f"{text} ch{c}"] = counts
    return out


def run(args, scored: dict, members: list, folds: list, *, write, print_summary) -> None:
    """Choose the guard nested, score the rows, decide the default; write the results."""

    chosen, final_rule, final_figs = sf.nested_choice(args.recipe, scored, folds, choose)
    decisions = {}
    command = "python benchmarks/cv_patients.py template-s-gate"
    tags = (("current", lambda k: CURRENT), ("guard", chosen.get))
    for text in args.recipe:
        rows = sf.fold_rows(scored, text, members, folds, tags, confusion)
        summaries = {key: _recipe.summarise(r, f_scores=True) for key, r in rows.items()}
        decisions[text] = decide(summaries["current", "single"], summaries["guard", "single"])
        sf.write_rows(write, print_summary,
                      f"cv_template_sgate_{args.prefix}{text.replace('+', '_')}", text, rows,
                      summaries, {"current": ', adapt="template" (S step, no guard)',
                                  "guard": ', adapt="template" with the rhythm guard (nested)'},
                      command)
        print(f"{text}: default rule: {decisions[text]}")
    af = {tag: af_n_called_s(scored, args.recipe, folds, rule_of) for tag, rule_of in tags}
    print(f"N called S in {AF_RECORDS} (ensembles, summed over folds): {af}")
    write("cv_template_sgate_choice",
          {"per_fold": {str(k): tf.as_dict(r) for k, r in chosen.items()},
           "all_folds": tf.as_dict(final_rule), "all_folds_figures": final_figs,
           "decisions": decisions, "af_records_n_called_s": af,
           "default": all(d["passes"] for d in decisions.values()),
           "grid": {k: [str(x) for x in v] for k, v in GRID.items()},
           "command": command})
