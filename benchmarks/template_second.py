"""A second normal shape on time (``TemplateRule.second_min_share``), judged on the kept logits.

    HEARTBEAT_CACHE=SCRATCH15/cache_prefloor PYTHONPATH=. python \\
        benchmarks/template_second.py --prefix k4_es_ --logits-dir SCRATCH/cv_logits \\
        --floor-low-on-time 0
    HEARTBEAT_CACHE=SCRATCH15/cache_prefloor PYTHONPATH=. python \\
        benchmarks/template_second.py --prefix all_ --logits-dir SCRATCH13/cv_logits \\
        --floor-low-on-time 0

The rule is docs/results.md section 5, "A second normal shape on time": the setting is
fixed (``second_min_share`` 0.3, ``second_min_rr_ratio`` 0.8), nothing is chosen.  At
both cuts (the beats cut at the detected R peaks, then at the annotated ones), each
fold's 3-seed ensemble (:mod:`_fold_proba`) is adapted by ``adapt_template`` with
today's rule and with the step on; the folds' confusion matrices are pooled per lead
and compared (N called abnormal not higher, V F1 and S F1 not lower on each lead; with
``--prefix all_`` also lead 1's N called abnormal lower).  The lead-records whose N
beats called abnormal change by 5 or more are printed.  Results in
``benchmarks/results/template_second_<prefix>.json``.  No label is read by the step;
DS2 is not read.  ``--floor-low-on-time 0`` cuts the held-out beats where the detector
of the kept logits cut them (before session 14's on-time floor).
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

SETTING = {"second_min_share": 0.3, "second_min_rr_ratio": 0.8}


def not_worse(base: dict, cand: dict) -> bool:
    """N called abnormal not higher, V F1 and S F1 not lower."""
    return bool(cand["n_abnormal"] <= base["n_abnormal"] + 1e-9
                and cand["V_f1"] >= base["V_f1"] - 1e-9
                and cand["S_f1"] >= base["S_f1"] - 1e-9)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_fold_arguments(parser)
    args = parser.parse_args(argv)
    detector = use_detector_of(args)
    rules = {"today": BASE, "second": dataclasses.replace(BASE, **SETTING)}
    result = {"setting": SETTING}
    holds = []
    for cut in CUTS:
        fig, records = compare_rules(args, cut, rules)
        moved = moved_records(records, ("n_called_abnormal",), extra=("n_beats",))
        row = {"today": {c: fig["today", c] for c in (0, 1)},
               "second": {c: fig["second", c] for c in (0, 1)}, "records_moved": moved}
        row["not_worse"] = {c: not_worse(fig["today", c], fig["second", c]) for c in (0, 1)}
        holds.extend(row["not_worse"].values())
        if args.prefix == "all_":
            row["lead_1_lower"] = bool(fig["second", 1]["n_abnormal"]
                                       < fig["today", 1]["n_abnormal"])
            holds.append(row["lead_1_lower"])
        result[cut] = row
        print_comparison(cut, fig, ("today", "second"), moved)
    result["holds"] = bool(all(holds))
    print(f"condition holds: {result['holds']}")
    result["command"] = f"python benchmarks/template_second.py --prefix {args.prefix}{detector}"
    write_result(f"template_second_{args.prefix.rstrip('_')}", result)


if __name__ == "__main__":
    main()
