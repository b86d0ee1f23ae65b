"""A beat called S unlike the recording's N beats becomes V, chosen on the kept logits.

    HEARTBEAT_CACHE=SCRATCH/cache PYTHONPATH=. python benchmarks/template_s_to_v.py \\
        --prefix k4_es_ --logits-dir SCRATCH/cv_logits --floor-low-on-time 0
    HEARTBEAT_CACHE=SCRATCH/cache PYTHONPATH=. python benchmarks/template_s_to_v.py \\
        --prefix all_ --logits-dir SCRATCH13/cv_logits --confirm VALUE \\
        --floor-low-on-time 0

The rule is docs/results.md section 5, "A beat called S unlike the recording's N beats
becomes V" (``TemplateRule.s_to_v_max_correlation``).  At both cuts (the beats cut at
the detected R peaks, then at the annotated ones), each fold's 3-seed ensemble
(:mod:`_fold_proba`) is adapted by ``adapt_template`` with today's rule and with each
setting of :data:`GRID`; for held-out fold k the setting is chosen on the other folds
pooled (:func:`choose`) and applied to fold k; the folds' confusion matrices are pooled
and compared with today's rule (the step off).  ``--confirm VALUE`` scores that one
setting against today's rule, nothing chosen (condition 5).  Results in
``benchmarks/results/template_s_to_v_<prefix>[_confirm].json``.  No label is read by
the step; DS2 is not read.  The kept logits at the detected cut were made before the
detector's on-time floor (session 14): ``--floor-low-on-time 0`` cuts the held-out beats
where that detector cut them (the beat cache's key holds the detector's constants since
session 15; the runs of that session used a cache folder of their own).
"""

from __future__ import annotations

import argparse
import dataclasses

import _recipe
import _template_folds as tf
import numpy as np
from _fold_proba import (
    CUTS,
    adapted,
    add_fold_arguments,
    fold_probabilities,
    percent_figures,
    use_detector_of,
    write_result,
)

from heartbeat.classifier.template import DEFAULT_RULE

BASE = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_ON_TIME)
"""The rule these runs compared against: the default before the on-time S step."""

OFF = -1.0
GRID = (OFF, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85)  # the least change first
MAX_S_SE_DROP = 2.0  # points, per lead


def confusions(args, cut: str, values: tuple[float, ...]) -> dict:
    """(value, fold, lead) -> confusion matrix of the held-out beats under that setting."""
    out = {}
    for f, leads in fold_probabilities(args.logits_dir, args.prefix, args.recipe, cut):
        for c, (proba, held) in leads.items():
            y = held.y.astype(np.int64)
            for value in values:
                rule = dataclasses.replace(BASE, s_to_v_max_correlation=value)
                out[value, f, c] = _recipe.confusion(y, adapted(proba, held, rule).argmax(axis=1))
        print(f"{cut} cut, fold {f} done", flush=True)
    return out


def pooled(conf: dict, value_of, folds) -> dict:
    """Per lead, the figures of the folds pooled, fold k under ``value_of(k)``."""
    return {c: percent_figures(sum(conf[value_of(k), k, c] for k in folds)) for c in (0, 1)}


def choose(conf: dict, folds) -> float:
    """The inner rule: the highest mean over the leads of V F1 + S F1 among the settings
    whose S Se is at most 2 points below off's on each lead (a later setting must be
    strictly higher)."""
    base = pooled(conf, lambda k: OFF, folds)
    best, best_score = OFF, None
    for value in GRID:
        fig = pooled(conf, lambda k, v=value: v, folds)
        if any(fig[c]["S_se"] < base[c]["S_se"] - MAX_S_SE_DROP - 1e-9 for c in fig):
            continue
        score = round(float(np.mean([fig[c]["V_f1"] + fig[c]["S_f1"] for c in fig])), 9)
        if best_score is None or score > best_score:
            best, best_score = value, score
    return best


def not_worse(base: dict, cand: dict) -> dict:
    """Per lead: V F1 and S F1 not lower, S Se at most 2 points lower."""
    return {f"ch{c}": bool(cand[c]["V_f1"] >= base[c]["V_f1"] - 1e-9
                           and cand[c]["S_f1"] >= base[c]["S_f1"] - 1e-9
                           and cand[c]["S_se"] >= base[c]["S_se"] - MAX_S_SE_DROP - 1e-9)
            for c in (0, 1)}


def nested(args) -> dict:
    """Conditions (1)-(4): the nested choice at both cuts, and the choice on all folds."""
    result = {}
    for cut in CUTS:
        conf = confusions(args, cut, GRID)
        folds = sorted({f for _, f, _ in conf})
        chosen = {k: choose(conf, [f for f in folds if f != k]) for k in folds}
        base = pooled(conf, lambda k: OFF, folds)
        cand = pooled(conf, chosen.get, folds)
        row = {"per_fold": chosen, "all_folds": choose(conf, folds), "off": base,
               "nested": cand, "not_worse": not_worse(base, cand),
               "grid_all_folds": {f"{v:g}": pooled(conf, lambda k, v=v: v, folds)
                                  for v in GRID}}
        if cut == "detector":
            row["1_chosen_on_every_fold"] = all(v != OFF for v in chosen.values())
            row["2_higher_on_lead_0"] = bool(cand[0]["V_f1"] > base[0]["V_f1"]
                                             and cand[0]["S_f1"] > base[0]["S_f1"])
            row["2_3_hold"] = bool(row["1_chosen_on_every_fold"] and row["2_higher_on_lead_0"]
                                   and all(row["not_worse"].values()))
        else:
            row["4_holds"] = all(row["not_worse"].values())
        result[cut] = row
        print(f"{cut} cut: chosen per fold {chosen}, on all folds {row['all_folds']:g}")
        for name, fig in (("off", base), ("nested", cand)):
            for c in (0, 1):
                print(f"  {name:>6} lead {c}: " + ", ".join(f"{k} {v:.2f}"
                                                         for k, v in fig[c].items()))
    return result


def confirm(args) -> dict:
    """Condition (5): one setting against today's rule at both cuts, nothing chosen."""
    result = {}
    for cut in CUTS:
        conf = confusions(args, cut, (OFF, args.confirm))
        folds = sorted({f for _, f, _ in conf})
        base = pooled(conf, lambda k: OFF, folds)
        cand = pooled(conf, lambda k: args.confirm, folds)
        result[cut] = {"off": base, "setting": cand, "not_worse": not_worse(base, cand)}
        for name, fig in (("off", base), (f"{args.confirm:g}", cand)):
            for c in (0, 1):
                print(f"  {cut} {name:>6} lead {c}: " + ", ".join(
                    f"{k} {v:.2f}" for k, v in fig[c].items()))
    result["5_holds"] = all(all(r["not_worse"].values()) for r in result.values())
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_fold_arguments(parser)
    parser.add_argument("--confirm", type=float, default=None, metavar="VALUE")
    args = parser.parse_args(argv)
    detector = use_detector_of(args)
    result = nested(args) if args.confirm is None else confirm(args)
    result["command"] = (f"python benchmarks/template_s_to_v.py --prefix {args.prefix}"
                         + ("" if args.confirm is None else f" --confirm {args.confirm:g}")
                         + detector)
    write_result(f"template_s_to_v_{args.prefix.rstrip('_')}"
                 f"{'' if args.confirm is None else '_confirm'}", result)


if __name__ == "__main__":
    main()
