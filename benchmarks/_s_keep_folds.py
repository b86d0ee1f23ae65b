"""When the S step takes a beat called S back to N (``TemplateRule.s_min_keep_ratio``).

Used by ``cv_patients.py template-s-keep``; the rule is docs/results.md section 5 ("When a
beat called S of the template's shape goes back to N").  Every other threshold stays as
shipped (:data:`CURRENT`, the fallback template and the rhythm guard on).  The keep ratio
is chosen for held-out fold k on the other two folds by the inner rule of
``_s_fallback_folds`` (:func:`_s_fallback_folds.choose_among`), then applied to fold k.
No label is read by the step.
"""

from __future__ import annotations

import dataclasses

import _recipe
import _s_fallback_folds as ff
import _s_step_folds as sf
import _template_folds as tf
import numpy as np

from heartbeat.classifier.template import DEFAULT_RULE, TemplateRule

CURRENT = dataclasses.replace(DEFAULT_RULE, s_min_keep_ratio=1.0, **tf.BEFORE_SHIFT)
"""The rule shipped today: the S step with its rhythm guard and the fallback template."""
GRID = {"s_min_keep_ratio": (1.0, 0.95, 0.90, 0.85)}
"""0.85 is ``s_max_rr_ratio``: S is kept only if premature by the measure that makes S."""


def rules() -> list[TemplateRule]:
    """Every keep ratio, in the order the tie-break prefers (today's 1.0 first)."""
    return [dataclasses.replace(CURRENT, s_min_keep_ratio=k)
            for k in sorted(GRID["s_min_keep_ratio"], reverse=True)]


def choose(runs_by_lead: dict[int, list[tf.Run]]) -> tuple[TemplateRule, dict]:
    """The inner rule of ``_s_fallback_folds``: the highest mean S F1 over the leads
    among the settings that, on each lead, call no more N beats abnormal than today's
    rule and have V F1 and S F1 at most 1 point below it."""
    return ff.choose_among(runs_by_lead, rules(), CURRENT)


def decide(current: dict, nested: dict, final_rule: TemplateRule) -> dict:
    """The default rule on one recipe's single-model rows (summaries of 9 runs)."""
    leads = ("ch0", "ch1")
    s_f1 = [float(np.mean([s[lead]["S_f1"][0] for lead in leads])) for s in (current, nested)]
    abnormal_ok = {lead: nested[lead]["n_called_abnormal"][0]
                   <= current[lead]["n_called_abnormal"][0] + 1e-12 for lead in leads}
    v_ok = {lead: nested[lead]["V_f1"][0] >= current[lead]["V_f1"][0]
            - current[lead]["V_f1"][1] for lead in leads}
    changes = final_rule.s_min_keep_ratio != CURRENT.s_min_keep_ratio
    s_ok = s_f1[1] >= s_f1[0] - 1e-12
    return {"s_f1_current": s_f1[0], "s_f1_nested": s_f1[1], "s_f1_not_lower": bool(s_ok),
            "n_called_abnormal_not_higher": abnormal_ok, "v_f1_within_one_sd": v_ok,
            "all_folds_choice_differs": bool(changes),
            "passes": bool(changes and s_ok and all(abnormal_ok.values())
                           and all(v_ok.values()))}


def fixed_settings(scored: dict, recipes: list, members: list, folds: list) -> dict:
    """Each keep ratio on every held-out fold (single models, mean over the 9 runs):
    N called abnormal, S Se, +P and F1 per lead.  Reported, not deciding."""
    out = {}
    for text in recipes:
        tags = [(str(r.s_min_keep_ratio), lambda k, r=r: r) for r in rules()]
        rows = sf.fold_rows(scored, text, members, folds, tags, ff.confusion)
        out[text] = {}
        for tag, _ in tags:
            summary = _recipe.summarise(rows[tag, "single"], f_scores=True)
            out[text][tag] = {lead: {key: summary[lead][key][0] for key in
                                     ("n_called_abnormal", "S_se", "S_ppv", "S_f1")}
                              for lead in ("ch0", "ch1")}
            print(f"{text}, keep ratio {tag} on every fold (single): {out[text][tag]}")
    return out


def run(args, scored: dict, members: list, folds: list, *, write, print_summary) -> None:
    """Choose the keep ratio nested, score the rows, decide the default; write results."""
    chosen, final_rule, final_figs = sf.nested_choice(args.recipe, scored, folds, choose)
    command = "python benchmarks/cv_patients.py template-s-keep"
    tags = (("current", lambda k: CURRENT), ("keep", chosen.get))
    decisions = {}
    for text in args.recipe:
        rows = sf.fold_rows(scored, text, members, folds, tags, ff.confusion)
        summaries = {key: _recipe.summarise(r, f_scores=True) for key, r in rows.items()}
        decisions[text] = decide(summaries["current", "single"], summaries["keep", "single"],
                                 final_rule)
        sf.write_rows(write, print_summary,
                      f"cv_template_skeep_{args.prefix}{text.replace('+', '_')}", text, rows,
                      summaries, {
                          "current": ', adapt="template" (shipped, keep ratio 1.0)',
                          "keep": ', adapt="template" with the keep ratio chosen nested'},
                      command)
        print(f"{text}: default rule: {decisions[text]}")
    agree = len({r.s_min_keep_ratio for r in [*chosen.values(), final_rule]}) == 1
    write("cv_template_skeep_choice",
          {"per_fold": {str(k): tf.as_dict(r) for k, r in chosen.items()},
           "all_folds": tf.as_dict(final_rule), "all_folds_figures": final_figs,
           "nested_choices_agree": agree, "decisions": decisions,
           "n_called_s_per_record": ff.n_called_s(scored, args.recipe, folds, tags),
           "fixed_settings_single": fixed_settings(scored, args.recipe, members, folds),
           "default": all(d["passes"] for d in decisions.values()),
           "grid": {k: [str(x) for x in v] for k, v in GRID.items()},
           "command": command})
