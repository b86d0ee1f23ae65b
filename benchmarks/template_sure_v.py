"""The network's sure V beats keep V in the V/F step (``v_sure_confidence``), on the kept logits.

    HEARTBEAT_CACHE=SCRATCH17/cache PYTHONPATH=. python \\
        benchmarks/template_sure_v.py --prefix all_s911_ --logits-dir SCRATCH18/cv_logits

The rule is docs/results.md section 5, "The network's sure V beats keep V": the
setting is fixed (network probability of V >= 0.997 after the shipped temperature, any
timing), nothing is chosen.  At both cuts each fold's 3-seed ensemble
(:mod:`_fold_proba`) is adapted by ``adapt_template`` with today's rule and with the
guard on; the folds' confusion matrices are pooled per lead and compared with
:func:`template_neighbours.judge` (the condition the neighbours step was judged by).
The lead-records whose N beats called abnormal, or true S beats called S, change by 5
or more are printed.  Results in ``benchmarks/results/template_sure_v_<prefix>.json``.
DS2 is not read.

``--look`` prints instead (writing nothing) the development look the setting came
from: V, N and S figures of the network alone, of the V/F step alone and of today's
rule, then of each setting of :data:`GRID`, per lead and cut.
"""

from __future__ import annotations

import argparse
import dataclasses
import math

import _template_folds as tf
from _fold_proba import (
    CUTS,
    NETWORK,
    add_fold_arguments,
    compare_rules,
    use_detector_of,
    write_result,
)
from template_neighbours import judge

from heartbeat.classifier.template import DEFAULT_RULE

SETTING = {"v_sure_confidence": 0.997, "v_sure_max_rr_ratio": math.inf}
GRID = [(c, e) for c in (0.95, 0.98, 0.99, 0.995) for e in (math.inf, 0.9)] + [
    (0.997, math.inf), (0.999, math.inf)]
"""(``v_sure_confidence``, ``v_sure_max_rr_ratio``) settings of the development look."""


def look(args) -> None:
    """Print the development look: where the V beats go, and each setting of :data:`GRID`."""
    inf, before = math.inf, dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_SURE_V)
    rules = {"network": NETWORK, "V/F step alone": dataclasses.replace(
        before, s_max_rr_ratio=0.0, s_min_keep_ratio=inf, s_irregular_above=inf,
        s_on_time_ratio=inf, neighbours_k=0), "today": before}  # "today": as when looked at
    rules.update({f"{c:g} / {e:g}": dataclasses.replace(
        before, v_sure_confidence=c, v_sure_max_rr_ratio=e) for c, e in GRID})
    for cut in CUTS:
        fig = compare_rules(args, cut, rules)[0]
        for c in (0, 1):
            for name in rules:
                f, base = fig[name, c], fig["today", c]
                n_rise = f["n_abnormal"] - base["n_abnormal"]
                print(f"{cut} lead {c} {name:>15}: V Se {f['V_se']:.1f} +P {f['V_ppv']:.1f} "
                      f"F1 {f['V_f1']:.2f} ({f['V_f1'] - base['V_f1']:+.2f}), N called "
                      f"abnormal {f['n_abnormal']:.2f} ({n_rise:+.2f}), S Se {f['S_se']:.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_fold_arguments(parser)
    parser.add_argument("--look", action="store_true",
                        help="print the development look instead (writes nothing)")
    args = parser.parse_args(argv)
    detector = use_detector_of(args)
    if args.look:
        return look(args)
    today = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_SURE_V)  # as when judged
    result = judge(args, today, dataclasses.replace(DEFAULT_RULE, **SETTING), "sure_v",
                   SETTING)
    result["command"] = f"python benchmarks/template_sure_v.py --prefix {args.prefix}" \
        + detector
    write_result(f"template_sure_v_{args.prefix.rstrip('_')}", result)


if __name__ == "__main__":
    main()
