"""A beat called S on time goes back to N (``TemplateRule.s_on_time_ratio``), on the kept logits.

    HEARTBEAT_CACHE=SCRATCH15/cache_prefloor PYTHONPATH=. python \\
        benchmarks/template_on_time_s.py --prefix k4_es_ --logits-dir SCRATCH/cv_logits \\
        --floor-low-on-time 0
    HEARTBEAT_CACHE=SCRATCH15/cache_prefloor PYTHONPATH=. python \\
        benchmarks/template_on_time_s.py --prefix all_ --logits-dir SCRATCH13/cv_logits \\
        --floor-low-on-time 0

The rule is docs/results.md section 5, "A beat called S on time goes back to N": the
setting is fixed (0.9), nothing is chosen.  At both cuts each fold's 3-seed ensemble
(:mod:`_fold_proba`) is adapted by ``adapt_template`` with today's rule and with the
step on; the folds' confusion matrices are pooled per lead and compared: N called
abnormal lower (``k4_es_``) or not higher (``all_``), S F1 and V F1 not lower, S Se at
most 1 point lower, on each lead.  The lead-records whose N beats called abnormal, or
true S beats called S, change by 5 or more are printed.  Results in
``benchmarks/results/template_on_time_s_<prefix>.json``.  DS2 is not read.
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

BASE = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_ON_TIME)
"""The rule these runs compared against: the default before the on-time S step."""

SETTING = {"s_on_time_ratio": 0.9}
MAX_S_SE_DROP = 1.0  # points, per lead


def rules(args) -> dict:
    """Today's rule and the rule with the step on (``--local-min``: the second rule)."""
    setting = {**SETTING, "s_on_time_local_min": args.local_min}
    return {"today": BASE, "on_time": dataclasses.replace(BASE, **setting)}


def holds(base: dict, cand: dict, *, strictly_fewer: bool) -> bool:
    """The rule's condition on one lead's pooled figures."""
    n_ok = (cand["n_abnormal"] < base["n_abnormal"] if strictly_fewer
            else cand["n_abnormal"] <= base["n_abnormal"] + 1e-9)
    return bool(n_ok and cand["S_f1"] >= base["S_f1"] - 1e-9
                and cand["V_f1"] >= base["V_f1"] - 1e-9
                and cand["S_se"] >= base["S_se"] - MAX_S_SE_DROP - 1e-9)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_fold_arguments(parser)
    parser.add_argument("--local-min", type=float, default=0.0, metavar="VALUE",
                        help="TemplateRule.s_on_time_local_min (the second rule: 0.9; "
                        "0 is the first rule)")
    args = parser.parse_args(argv)
    detector = use_detector_of(args)
    result = {"setting": {**SETTING, "s_on_time_local_min": args.local_min}}
    verdicts = []
    for cut in CUTS:
        fig, records = compare_rules(args, cut, rules(args))
        moved = moved_records(records)
        row = {k: {c: fig[k, c] for c in (0, 1)} for k in ("today", "on_time")}
        row["holds"] = {c: holds(fig["today", c], fig["on_time", c],
                                 strictly_fewer=args.prefix == "k4_es_" and not args.local_min)
                        for c in (0, 1)}
        row["records_moved"] = moved
        verdicts.extend(row["holds"].values())
        result[cut] = row
        print_comparison(cut, fig, ("today", "on_time"), moved)
    result["holds"] = bool(all(verdicts))
    print(f"condition holds: {result['holds']}")
    result["command"] = (f"python benchmarks/template_on_time_s.py --prefix {args.prefix}"
                         + (f" --local-min {args.local_min:g}" if args.local_min else "")
                         + detector)
    write_result(f"template_on_time_s_{args.prefix.rstrip('_')}"
                 + ("_local" if args.local_min else ""), result)


if __name__ == "__main__":
    main()
