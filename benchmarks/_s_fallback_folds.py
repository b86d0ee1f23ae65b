"""The fallback template and sudden prematurity (``adapt="template"``) on the kept logits.

Used by ``cv_patients.py template-s-fallback``; the rule is docs/results.md section 5
("A fallback template and sudden prematurity").  Every threshold shipped today stays
(:data:`CURRENT`).  Change 1, the fallback template (:data:`FALLBACK`, fixed before
scoring, no grid), is scored as a whole: its rows must equal today's (it never triggers
in the DS1 folds).  Change 2, the S step's sudden-prematurity thresholds
(``TemplateRule.s_max_sudden_ratio``, ``s_keep_sudden_ratio``), is chosen for held-out
fold k on the other two folds, then applied to fold k.  No label is read by either step.
"""

from __future__ import annotations

import dataclasses
import itertools

import _recipe
import _s_step_folds as sf
import _template_folds as tf
import numpy as np

from heartbeat.classifier.template import (
    DEFAULT_RULE,
    TemplateRule,
    template_features,
)

N, S = 0, 1
V, F = tf.V, tf.F
INF = float("inf")
CURRENT = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_SHIFT, s_max_sudden_ratio=INF,
                              s_keep_sudden_ratio=INF,
                              fallback_min_share=INF)
"""The rule shipped today (the S step with its rhythm guard), both changes off."""
FALLBACK = dataclasses.replace(CURRENT, fallback_min_share=0.5, fallback_min_rr_ratio=0.9)
"""Change 1 as fixed before scoring."""
GRID = {"s_max_sudden_ratio": (INF, 0.95, 0.90, 0.85, 0.80),
        "s_keep_sudden_ratio": (INF, 1.00, 0.95, 0.90)}
MAX_V_F1_DROP = 0.01  # per lead, against today's rule
MAX_S_F1_DROP = 0.01  # per lead, against today's rule


def rules() -> list[TemplateRule]:
    """Every sudden-prematurity setting, in the order the tie-break prefers (off first)."""
    out = [dataclasses.replace(CURRENT, **dict(zip(GRID, values, strict=True)))
           for values in itertools.product(*GRID.values())]
    return sorted(out, key=lambda r: (-r.s_max_sudden_ratio, -r.s_keep_sudden_ratio))


def features(run: tf.Run, rule: TemplateRule) -> list:
    """(rows, features) per held-out record: the kept ones, or measured with the fallback
    and the rule's shift (from ``run.waveforms``, which ``cv_patients.scored_runs``
    keeps)."""
    window, max_lag = rule.samples(tf.FS_OUT)
    if not np.isfinite(rule.fallback_min_share) and max_lag == 0:
        return run.features[rule.window_s]
    # kept on the run itself: a cache keyed by id(run) handed a new run the features of
    # a collected one that had held the same id (a test failed now and then)
    cache = vars(run).setdefault("rule_features", {})
    key = (rule.window_s, rule.fallback_min_share, rule.fallback_min_rr_ratio, max_lag,
           rule.lag_min_rr_ratio)
    if key not in cache:
        cache[key] = [(rows, template_features(
            run.waveforms[rows], run.pred[rows] == N, run.rr[rows],
            window=window, rule=rule, max_lag=max_lag))
            for rows, _ in run.features[rule.window_s]]
    return cache[key]


def adapted(run: tf.Run, rule: TemplateRule) -> np.ndarray:
    """Predicted codes of `run` after the V/F step and the S step of `rule`, on the
    fallback template where the rule sets one."""
    return sf.adapted(run, rule, features(run, rule))


def confusion(run: tf.Run, rule: TemplateRule) -> np.ndarray:
    return _recipe.confusion(run.y, adapted(run, rule))


def choose(runs_by_lead: dict[int, list[tf.Run]]) -> tuple[TemplateRule, dict]:
    """The inner rule: the highest mean S F1 over the leads among the settings that, on
    each lead, call no more N beats abnormal than today's rule and have V F1 and S F1 at
    most 1 point below it (off first: a later setting must be strictly better)."""
    return choose_among(runs_by_lead, rules(), CURRENT)


def choose_among(runs_by_lead: dict[int, list[tf.Run]], candidates: list[TemplateRule],
                 current: TemplateRule) -> tuple[TemplateRule, dict]:
    """:func:`choose` over `candidates` (in the order the tie-break prefers) against
    `current`; confusion matrices pooled per lead over `runs_by_lead`."""
    def per_lead_guards(fig, base):
        return not any(fig[c][0] > base[c][0] + 1e-12 or fig[c][1] < base[c][1] - MAX_V_F1_DROP
                       or fig[c][2] < base[c][2] - MAX_S_F1_DROP for c in fig)

    return sf.best_rule(runs_by_lead, candidates, current, confusion, 0.0, "current",
                        admissible=per_lead_guards)


def decide(current: dict, candidate: dict) -> dict:
    """The default rule on one recipe's single-model rows (summaries of 9 runs)."""
    leads = ("ch0", "ch1")
    s_f1 = [float(np.mean([s[lead]["S_f1"][0] for lead in leads]))
            for s in (current, candidate)]
    abnormal_ok = {lead: candidate[lead]["n_called_abnormal"][0]
                   <= current[lead]["n_called_abnormal"][0] + 1e-12 for lead in leads}
    v_ok = {lead: candidate[lead]["V_f1"][0] >= current[lead]["V_f1"][0]
            - current[lead]["V_f1"][1] for lead in leads}
    return {"s_f1_current": s_f1[0], "s_f1_candidate": s_f1[1],
            "higher_s_f1": s_f1[1] > s_f1[0], "n_called_abnormal_not_higher": abnormal_ok,
            "v_f1_within_one_sd": v_ok,
            "passes": bool(s_f1[1] > s_f1[0] and all(abnormal_ok.values())
                           and all(v_ok.values()))}


def n_called_s(scored: dict, recipes: list, folds: list, tags) -> dict:
    """N beats called S per held-out record (ensembles, lead 0 and 1), per tag."""
    out = {}
    for (tag, rule_of), text, c in itertools.product(tags, recipes, (0, 1)):
        counts = {}
        for f in folds:
            run = scored[text, "ensemble", f, c]
            pred = adapted(run, rule_of(f))
            names = np.asarray(run.record).astype(str)
            for name in np.unique(names):
                hit = (names == name) & (run.y == N)
                counts[name] = int(np.count_nonzero(pred[hit] == S))
        out[f"{tag} {text} ch{c}"] = counts
    return out


def run(args, scored: dict, members: list, folds: list, *, write, print_summary) -> None:
    """Score the fallback, choose sudden prematurity nested, decide; write the results."""
    chosen, final_rule, final_figs = sf.nested_choice(args.recipe, scored, folds, choose)
    command = "python benchmarks/cv_patients.py template-s-fallback"
    tags = (("current", lambda k: CURRENT), ("fallback", lambda k: FALLBACK),
            ("sudden", chosen.get))
    decisions, fallback_same = {}, {}
    for text in args.recipe:
        rows = sf.fold_rows(scored, text, members, folds, tags, confusion)
        fallback_same[text] = all(
            {k: v for k, v in a.items() if k != "rule"} == {k: v for k, v in b.items()
                                                            if k != "rule"}
            for kind in ("single", "ensemble")
            for a, b in zip(rows["current", kind], rows["fallback", kind], strict=True))
        summaries = {key: _recipe.summarise(r, f_scores=True) for key, r in rows.items()}
        decisions[text] = decide(summaries["current", "single"], summaries["sudden", "single"])
        sf.write_rows(write, print_summary,
                      f"cv_template_sfallback_{args.prefix}{text.replace('+', '_')}", text,
                      rows, summaries, {
                          "current": ', adapt="template" (shipped)',
                          "fallback": ', adapt="template" with the fallback template',
                          "sudden": ', adapt="template" with sudden prematurity (nested)'},
                      command)
        print(f"{text}: fallback rows identical to today's: {fallback_same[text]}; "
              f"sudden prematurity default rule: {decisions[text]}")
    counts = n_called_s(scored, args.recipe, folds, (tags[0], tags[2]))
    write("cv_template_sfallback_choice",
          {"per_fold": {str(k): tf.as_dict(r) for k, r in chosen.items()},
           "all_folds": tf.as_dict(final_rule), "all_folds_figures": final_figs,
           "fallback_rule": tf.as_dict(FALLBACK), "fallback_rows_identical": fallback_same,
           "fallback_adopted_by_folds": all(fallback_same.values()),
           "decisions": decisions, "n_called_s_per_record": counts,
           "default": all(d["passes"] for d in decisions.values()),
           "grid": {k: [str(x) for x in v] for k, v in GRID.items()},
           "command": command})
