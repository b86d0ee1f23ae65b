"""A beat takes the class of its confident neighbours (``neighbours_k``), on the kept logits.

    HEARTBEAT_CACHE=SCRATCH17/cache PYTHONPATH=. python \\
        benchmarks/template_neighbours.py --prefix all_s68_ --logits-dir SCRATCH18/cv_logits

The rule is docs/results.md section 5, "A beat takes the class of its confident
neighbours": the setting is fixed (7 neighbours, 5 agreeing, references at network
probability >= 0.9, the first 0.5 s, V only for a beat before 0.9 x its local mean RR),
nothing is chosen.  At both cuts each fold's
3-seed ensemble (:mod:`_fold_proba`) is adapted by ``adapt_template`` with today's
rule and with the step on; the folds' confusion matrices are pooled per lead and
compared (:func:`holds`).  The lead-records whose N beats called abnormal, or true S
beats called S, change by 5 or more are printed.  Results in
``benchmarks/results/template_neighbours_<prefix>.json``.  DS2 is not read.
"""

from __future__ import annotations

import argparse
import dataclasses

import _template_folds as tf
from _fold_proba import (
    CUTS,
    add_fold_arguments,
    compare_rules,
    moved_records,
    print_comparison,
    use_detector_of,
    write_result,
)

from heartbeat.classifier.template import DEFAULT_RULE

SETTING = {"neighbours_k": 7, "neighbours_agree": 5, "neighbours_confidence": 0.9,
           "neighbours_window_s": 0.5, "neighbours_max_rr_ratio": 0.9}
MAX_N_RISE = 0.05  # points of N called abnormal, per lead and cut
MAX_S_SE_DROP = 0.5  # points, per lead and cut
MIN_MEAN_V_F1_GAIN = 0.5  # points, averaged over the two leads and the two cuts


def holds(base: dict, cand: dict) -> bool:
    """The rule's condition on one lead's pooled figures at one cut."""
    return bool(cand["V_f1"] >= base["V_f1"] - 1e-9
                and cand["n_abnormal"] <= base["n_abnormal"] + MAX_N_RISE + 1e-9
                and cand["S_se"] >= base["S_se"] - MAX_S_SE_DROP - 1e-9)


def judge(args, today, candidate, key: str, setting: dict) -> dict:
    """Compare `candidate` (named `key`) with `today` at both cuts by :func:`holds`.

    Returns the result (the figures per rule, lead and cut, each lead-cut's verdict, the
    records that moved, the V F1 gain averaged over the four lead-cuts and the whole
    verdict: every lead-cut holds and that gain is at least ``MIN_MEAN_V_F1_GAIN``).
    """
    rules = {"today": today, key: candidate}
    result, verdicts, v_f1_gain = {"setting": setting}, [], []
    for cut in CUTS:
        fig, records = compare_rules(args, cut, rules)
        moved = moved_records(records)
        row = {k: {c: fig[k, c] for c in (0, 1)} for k in rules}
        row["holds"] = {c: holds(fig["today", c], fig[key, c]) for c in (0, 1)}
        row["records_moved"] = moved
        verdicts.extend(row["holds"].values())
        v_f1_gain += [fig[key, c]["V_f1"] - fig["today", c]["V_f1"] for c in (0, 1)]
        result[cut] = row
        print_comparison(cut, fig, tuple(rules), moved)
    result["mean_v_f1_gain"] = round(sum(v_f1_gain) / len(v_f1_gain), 3)
    result["holds"] = bool(all(verdicts) and result["mean_v_f1_gain"] >= MIN_MEAN_V_F1_GAIN)
    print(f"mean V F1 gain {result['mean_v_f1_gain']:.3f} points; "
          f"condition holds: {result['holds']}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_fold_arguments(parser)
    args = parser.parse_args(argv)
    detector = use_detector_of(args)
    today = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_NEIGHBOURS)  # as when judged
    candidate = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_SURE_V, **SETTING)
    result = judge(args, today, candidate, "neighbours", SETTING)
    result["command"] = f"python benchmarks/template_neighbours.py --prefix {args.prefix}" \
        + detector
    write_result(f"template_neighbours_{args.prefix.rstrip('_')}", result)


if __name__ == "__main__":
    main()
