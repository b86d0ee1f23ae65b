"""The S step of ``adapt="template"`` on the kept out-of-fold logits, chosen nested.

Used by ``cv_patients.py template-s``.  The V/F step keeps its shipped thresholds
(:data:`VF_RULE`); the S step's (``TemplateRule.s_*``,
:func:`heartbeat.classifier.template.supraventricular_moves`) are chosen for held-out
fold k on the other two folds by the rule of docs/results.md section 5 ("S by the
recording's own rhythm"), then applied to fold k.  No label is read by the step: the
features are the held-out record's own beats against the template of the beats the
model calls N.
"""

from __future__ import annotations

import dataclasses
import itertools

import _recipe
import _template_folds as tf
import numpy as np

from heartbeat.classifier.rhythm import on_time_supraventricular, sudden_ratio
from heartbeat.classifier.template import TemplateRule, irregular_rhythm, supraventricular_moves
from heartbeat.classifier.ventricular import gains_ventricular

N, S = 0, 1
VF_RULE = TemplateRule(window_s=0.24, min_correlation=0.80, max_amplitude_ratio=2.0,
                       min_rr_ratio=0.0, s_max_rr_ratio=0.0, s_min_keep_ratio=float("inf"),
                       s_irregular_above=float("inf"), **tf.BEFORE_SHIFT)
"""The V/F step as shipped before the S step (chosen in the "Template adaptation" run)."""
GRID = {"s_max_rr_ratio": (0.0, 0.80, 0.85, 0.90),
        "s_min_correlation": (0.80, 0.90, 0.95),
        "s_min_post_ratio": (0.0, 1.1),
        "s_min_keep_ratio": (float("inf"), 1.0)}
MAX_N_ABNORMAL_RISE = 0.005  # mean over both leads, against the V/F step alone
MAX_V_F1_DROP = 0.01  # per lead, against the V/F step alone


def rules() -> list[TemplateRule]:
    """Every S setting on the shipped V/F step, in the order the tie-break prefers."""
    out = [dataclasses.replace(VF_RULE, **dict(zip(GRID, values, strict=True)))
           for values in itertools.product(*GRID.values())]
    return sorted(out, key=lambda r: (r.s_max_rr_ratio, -r.s_min_correlation,
                                      -r.s_min_post_ratio, -r.s_min_keep_ratio))


def adapted(run: tf.Run, rule: TemplateRule, parts: list | None = None) -> np.ndarray:
    """Predicted codes of `run` after the V/F step and then the S step of `rule` (with
    its rhythm guard and sudden-prematurity test where the rule sets them, the on-time S
    step and the S-to-V step when on); `parts`, the
    (rows, features) of each held-out record, are by default the kept ones."""
    if rule.neighbours_k > 0 or np.isfinite(rule.v_sure_confidence):
        raise ValueError("the fold scripts' copy of the template steps works on the logits' "
                         "argmax and has no neighbours step and no sure-V guard (both need "
                         "the calibrated probabilities): score a rule with them by "
                         "_fold_proba.adapted, which runs the package's adapt_template, or "
                         "set neighbours_k=0 and v_sure_confidence=inf "
                         "(_template_folds.BEFORE_NEIGHBOURS)")
    parts = run.features[rule.window_s] if parts is None else parts
    codes = run.adapted(rule, parts).copy()
    if np.isfinite(rule.v_gain_min_correlation):  # an early beat of the V shape: V
        window, max_lag = rule.samples(tf.FS_OUT)
        for rows, feats in parts:
            v_template = run.ventricular(rows, feats, rule)[1]
            gained = gains_ventricular(codes[rows], run.waveforms[rows, : window + max_lag],
                                       feats, rule, normal=N, supra=S, max_lag=max_lag,
                                       v_template=v_template)
            codes[rows[gained]] = tf.V
    for rows, feats in parts:
        to_supra, to_normal = supraventricular_moves(
            feats, codes[rows], rule, normal=N, supra=S, first_is_start=True,
            irregular=irregular_rhythm(run.rr[rows], rule),
            sudden=sudden_ratio(run.rr[rows, 0]))
        part = codes[rows]
        part[to_supra], part[to_normal] = S, N
        if np.isfinite(rule.s_on_time_ratio):  # a beat called S on time: N
            part[on_time_supraventricular(
                part, feats.rr_ratio, rule.s_on_time_ratio, supra=S, first_is_start=True,
                local_mean=run.rr[rows, 2], min_local=rule.s_on_time_local_min)] = N
        if feats.has_template:  # a beat called S unlike the template: V (off below -1)
            part[(part == S) & (feats.correlation < rule.s_to_v_max_correlation)] = tf.V
        codes[rows] = part
    return codes


def confusion(run: tf.Run, rule: TemplateRule) -> np.ndarray:
    return _recipe.confusion(run.y, adapted(run, rule))


def lead_figures(conf: np.ndarray) -> tuple[float, float, float]:
    """(N called abnormal, V F1, S F1) of a confusion matrix."""
    fig = _recipe.figures(conf)
    return fig["n_called_abnormal"], fig["V"]["f1"], fig["S"]["f1"]


def pooled_figures(runs_by_lead: dict[int, list[tf.Run]], rule: TemplateRule,
                   confusion_of) -> dict:
    """(N called abnormal, V F1, S F1) per lead under `rule`, the confusion matrices
    (`confusion_of(run, rule)`) of each lead's runs summed."""
    return {c: lead_figures(sum(confusion_of(r, rule) for r in runs))
            for c, runs in runs_by_lead.items()}


def mean_s_f1(fig: dict) -> float:
    """The mean S F1 over the leads of :func:`pooled_figures`' `fig`."""
    return float(np.mean([fig[c][2] for c in fig]))


def best_rule(runs_by_lead: dict[int, list[tf.Run]], candidates: list[TemplateRule],
              base: TemplateRule, confusion_of, max_abnormal_rise: float,
              base_name: str, admissible=None, score=mean_s_f1) -> tuple[TemplateRule, dict]:
    """The highest `score` (default: mean S F1 over the leads) among `candidates` (least
    change first: a later rule must be strictly better) that are `admissible`; confusion
    matrices (`confusion_of(run, rule)`) pooled per lead.  By default a candidate is
    admissible when its mean N called abnormal is at most `max_abnormal_rise` above
    `base`'s and its V F1 at most 1 point lower per lead; `admissible(fig, base_fig)`
    replaces that test, each a dict lead -> (N called abnormal, V F1, S F1)."""
    def pooled(rule):
        return pooled_figures(runs_by_lead, rule, confusion_of)

    def mean_abnormal_and_v_f1(fig, base_fig):
        base_abnormal = np.mean([base_fig[c][0] for c in base_fig])
        return (np.mean([fig[c][0] for c in fig]) <= base_abnormal + max_abnormal_rise + 1e-12
                and all(fig[c][1] >= base_fig[c][1] - MAX_V_F1_DROP for c in fig))

    admissible = admissible or mean_abnormal_and_v_f1
    base_fig = pooled(base)
    best, best_key, best_fig = None, None, None
    for rule in candidates:
        fig = pooled(rule)
        if not admissible(fig, base_fig):
            continue
        key = round(score(fig), 9)
        if best_key is None or key > best_key:
            best, best_key, best_fig = rule, key, fig

    def named(fig):
        return {f"ch{c}": {"n_called_abnormal": v[0], "V_f1": v[1], "S_f1": v[2]}
                for c, v in fig.items()}
    return best, {base_name: named(base_fig), "chosen": named(best_fig)}


def choose(runs_by_lead: dict[int, list[tf.Run]]) -> tuple[TemplateRule, dict]:
    """The inner rule: highest mean S F1 over the leads, N called abnormal at most 0.5
    point higher (mean over leads) and V F1 at most 1 point lower (per lead) than the
    V/F step alone; confusion matrices pooled per lead over `runs_by_lead`."""
    return best_rule(runs_by_lead, rules(), VF_RULE, confusion, MAX_N_ABNORMAL_RISE,
                     "template")


def decide(template: dict, with_s: dict) -> dict:
    """The default rule on one recipe's single-model rows (summaries of 9 runs)."""
    def mean_of(summary, key):
        return float(np.mean([summary[lead][key][0] for lead in ("ch0", "ch1")]))

    s_f1 = {name: mean_of(s, "S_f1") for name, s in (("template", template), ("with_s", with_s))}
    abnormal = {name: mean_of(s, "n_called_abnormal")
                for name, s in (("template", template), ("with_s", with_s))}
    v_ok = {lead: with_s[lead]["V_f1"][0] >= template[lead]["V_f1"][0]
            - template[lead]["V_f1"][1] for lead in ("ch0", "ch1")}
    higher_s = s_f1["with_s"] > s_f1["template"]
    abnormal_ok = abnormal["with_s"] <= abnormal["template"] + MAX_N_ABNORMAL_RISE
    return {"s_f1_template": s_f1["template"], "s_f1_with_s": s_f1["with_s"],
            "n_called_abnormal_template": abnormal["template"],
            "n_called_abnormal_with_s": abnormal["with_s"],
            "higher_s_f1": bool(higher_s), "n_called_abnormal_within_half_point":
            bool(abnormal_ok), "v_f1_within_one_sd": v_ok,
            "passes": bool(higher_s and abnormal_ok and all(v_ok.values()))}


def nested_choice(recipes, scored: dict, folds: list, choose_rule) -> tuple[dict, object, dict]:
    """Each fold's rule chosen on the other folds' ensemble runs, and the rule chosen on
    all folds; printed as they come."""
    def inner(fold_set):
        return choose_rule({c: [scored[t, "ensemble", f, c] for t in recipes
                                for f in fold_set] for c in (0, 1)})

    chosen = {}
    for k in folds:
        chosen[k], figs = inner([f for f in folds if f != k])
        print(f"fold {k}: chosen on folds {[f for f in folds if f != k]}: {chosen[k]} "
              f"{figs}", flush=True)
    final_rule, final_figs = inner(folds)
    print(f"all folds: {final_rule} {final_figs}")
    return chosen, final_rule, final_figs


def write_rows(write, print_summary, stem: str, text: str, rows: dict, summaries: dict,
               suffixes: dict, command: str) -> dict:
    """Write and print each (tag, kind) row of one recipe: result file
    ``{stem}_{tag}_{kind}``, label `text` (+ " ensemble of 3 seeds") + ``suffixes[tag]``;
    return the labels by (tag, kind)."""
    labels = {}
    for (tag, kind), summary in summaries.items():
        label = text + (" ensemble of 3 seeds" if kind == "ensemble" else "") + suffixes[tag]
        write(f"{stem}_{tag}_{kind}", {"row": label, "summary": summary,
                                       "runs": rows[tag, kind], "command": command})
        print_summary(label, summary)
        labels[tag, kind] = label
    return labels


def fold_rows(scored: dict, text: str, members: list, folds: list, tags,
              confusion_of) -> dict:
    """Per (tag, "single" or "ensemble"): one row per member and fold, each lead's
    figures under the rule `rule_of(fold)` of its tag (`tags`: (tag, rule_of) pairs)."""
    rows = {}
    for (tag, rule_of), kind in itertools.product(tags, ("single", "ensemble")):
        rows[tag, kind] = [
            {"member": m, "fold": f, "rule": tf.as_dict(rule_of(f))} | {
                f"ch{c}": _recipe.figures(confusion_of(scored[text, m, f, c], rule_of(f)))
                for c in (0, 1)}
            for m in members for f in folds
            if (m == "ensemble") == (kind == "ensemble")]
    return rows


def run(args, scored: dict, members: list, folds: list, *, write, print_summary) -> None:
    """Choose the S step nested, score the rows, decide the default; write the results.

    `scored` holds ``_template_folds.Run`` per (recipe, member, fold, lead)
    (``cv_patients.scored_runs``); `write` and `print_summary` are cv_patients'.
    """

    chosen, final_rule, final_figs = nested_choice(args.recipe, scored, folds, choose)
    decisions = {}
    command = "python benchmarks/cv_patients.py template-s"
    for text in args.recipe:
        tags = (("template", lambda k: VF_RULE), ("template_s", chosen.get))
        rows = fold_rows(scored, text, members, folds, tags, confusion)
        summaries = {key: _recipe.summarise(r, f_scores=True) for key, r in rows.items()}
        decisions[text] = decide(summaries["template", "single"],
                                 summaries["template_s", "single"])
        write_rows(write, print_summary, f"cv_template_s_{args.prefix}{text.replace('+', '_')}",
                   text, rows, summaries, {"template": ', adapt="template"',
                   "template_s": ', adapt="template" with the S step (nested)'}, command)
        print(f"{text}: default rule: {decisions[text]}")
    write("cv_template_s_choice",
          {"per_fold": {str(k): tf.as_dict(r) for k, r in chosen.items()},
           "all_folds": tf.as_dict(final_rule), "all_folds_figures": final_figs,
           "decisions": decisions,
           "default": all(d["passes"] for d in decisions.values()),
           "grid": {k: [str(x) for x in v] for k, v in GRID.items()},
           "command": command})
