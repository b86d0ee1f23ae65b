"""Several leads classified together: each lead adapted on its own, probabilities combined.

    HEARTBEAT_CACHE=SCRATCH/cache PYTHONPATH=. python benchmarks/lead_fusion.py folds \\
        --prefix k4_es_ --logits-dir SCRATCH/cv_logits
    HEARTBEAT_CACHE=SCRATCH/cache PYTHONPATH=. python benchmarks/lead_fusion.py folds \\
        --prefix all_ --logits-dir SCRATCH13/cv_logits --confirm mean

The rule is docs/results.md section 5, "Several leads classified together".  The kept
held-out logits of one recipe's folds (``cv_patients.py folds``), cut at the annotated
R peaks, where both leads hold the same beats: per fold the 3 seeds' logits are
averaged, divided by the temperature of the model that recipe ships (:data:`TEMPERATURE`)
and turned into probabilities; each held-out record's beats are adapted on each lead by
today's ``adapt="template"`` (:func:`heartbeat.classifier.template.adapt_template`, the
lead's own templates) and the leads' adapted probabilities combined by each way of
:data:`COMBINE`.  The folds' confusion matrices are pooled;
printed and written (``benchmarks/results/lead_fusion_<prefix>.json``): lead 0 alone,
lead 1 alone and each combination, with the rule's conditions (2)-(4) and, without
``--confirm``, its choice (1).  No label is used by any step; DS2 is not read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import _recipe
import numpy as np
from _fold_proba import TEMPERATURE, adapted, fold_probabilities, percent_figures

from heartbeat._atomic import atomic_open

RESULTS = Path(__file__).resolve().parent / "results"
MAX_S_F1_DROP = 0.01
COMBINE: tuple[str, ...] = ("mean", "product")
"""The ways of combining: the leads' arithmetic mean, or their renormalised product."""


def combine_leads(proba: np.ndarray, how: str = "mean") -> np.ndarray:
    """Combine each beat's class probabilities over leads.

    Parameters
    ----------
    proba : numpy.ndarray, shape (n_beats, n_leads, n_classes)
        Each lead's probabilities of the same beats (rows summing to 1).
    how : {"mean", "product"}, default "mean"
        ``"mean"``: the arithmetic mean over the leads.  ``"product"``: the product
        over the leads, renormalised to sum to 1 (taken in logs, so many leads do not
        underflow); a class that one lead gives probability 0 stays at 0, and a beat
        whose product is 0 for every class takes the mean instead.

    Returns
    -------
    numpy.ndarray, shape (n_beats, n_classes)
        The combined probabilities; each row sums to 1.

    Examples
    --------
    >>> p = np.array([[[0.6, 0.4], [0.2, 0.8]]])  # one beat, two leads, two classes
    >>> combine_leads(p, "mean").round(3).tolist()
    [[0.4, 0.6]]
    >>> combine_leads(p, "product").round(3).tolist()
    [[0.273, 0.727]]
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 3:
        raise ValueError(f"proba must have shape (n_beats, n_leads, n_classes), got "
                         f"shape {proba.shape}")
    mean = proba.mean(axis=1)
    if how == "mean":
        return mean
    with np.errstate(divide="ignore"):
        log_sum = np.log(proba).sum(axis=1)
    top = log_sum.max(axis=1, keepdims=True)
    empty = ~np.isfinite(top[:, 0])  # every class 0 on some lead
    log_sum[empty] = 0.0
    top[empty] = 0.0
    product = np.exp(log_sum - top)
    product /= product.sum(axis=1, keepdims=True)
    product[empty] = mean[empty]
    return product


def pooled_rows(args) -> dict:
    """Per row (lead 0, lead 1, each combination): the folds' pooled confusion matrix."""
    rows = {name: np.zeros((5, 5)) for name in ("lead 0", "lead 1", *COMBINE)}
    for f, leads in fold_probabilities(args.logits_dir, args.prefix, args.recipe):
        held0 = leads[0][1]
        if not (np.array_equal(leads[1][1].y, held0.y)
                and np.array_equal(leads[1][1].record, held0.record)):
            raise SystemExit(f"fold {f}: the leads do not hold the same beats")
        y = held0.y.astype(np.int64)
        per_lead = [adapted(*leads[c]) for c in (0, 1)]
        for c in (0, 1):
            rows[f"lead {c}"] += _recipe.confusion(y, per_lead[c].argmax(axis=1))
        stacked = np.stack(per_lead, axis=1)
        for how in COMBINE:
            rows[how] += _recipe.confusion(y, combine_leads(stacked, how).argmax(axis=1))
        print(f"fold {f}: {len(y)} beats", flush=True)
    return rows


def conditions(figs: dict, how: str) -> dict:
    """The rule's conditions (2)-(4) for the combination `how` (figures in %)."""
    single = [figs["lead 0"], figs["lead 1"]]
    out = {"2_n_abnormal_not_above_better_lead":
           figs[how]["n_abnormal"] <= min(s["n_abnormal"] for s in single) + 1e-9,
           "3_v_f1_not_below_better_lead":
           figs[how]["V_f1"] >= max(s["V_f1"] for s in single) - 1e-9,
           "4_s_f1_within_1_point_of_lead_0":
           figs[how]["S_f1"] >= figs["lead 0"]["S_f1"] - 100 * MAX_S_F1_DROP - 1e-9}
    out["meets_2_to_4"] = all(out.values())
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("folds",))
    parser.add_argument("--prefix", choices=tuple(TEMPERATURE), required=True)
    parser.add_argument("--recipe", default="ch0+ch1")
    parser.add_argument("--logits-dir", type=Path, required=True)
    parser.add_argument("--confirm", choices=COMBINE, default=None,
                        help="condition (5): judge this combination only")
    args = parser.parse_args(argv)
    rows = pooled_rows(args)
    figs = {name: percent_figures(conf) for name, conf in rows.items()}
    judged = COMBINE if args.confirm is None else (args.confirm,)
    verdicts = {how: conditions(figs, how) for how in judged}
    passing = [how for how in judged if verdicts[how]["meets_2_to_4"]]
    chosen = min(passing, key=lambda h: (figs[h]["n_abnormal"], COMBINE.index(h)),
                 default=None)
    for name, fig in figs.items():
        print(f"{name:>8}: N called abnormal {fig['n_abnormal']:.3f} %, S Se/+P/F1 "
              f"{fig['S_se']:.1f}/{fig['S_ppv']:.1f}/{fig['S_f1']:.1f}, V Se/+P/F1 "
              f"{fig['V_se']:.1f}/{fig['V_ppv']:.1f}/{fig['V_f1']:.1f}, "
              f"accuracy {fig['accuracy']:.2f}")
    print(f"conditions: {verdicts}\nchosen: {chosen}")
    command = (f"python benchmarks/lead_fusion.py folds --prefix {args.prefix}"
               + ("" if args.confirm is None else f" --confirm {args.confirm}"))
    result = {"rows": figs, "confusion": {k: v.tolist() for k, v in rows.items()},
              "conditions": verdicts, "chosen": chosen,
              "temperature": TEMPERATURE[args.prefix], "command": command}
    path = RESULTS / f"lead_fusion_{args.prefix.rstrip('_')}" \
        f"{'' if args.confirm is None else '_confirm'}.json"
    with atomic_open(path) as fh:
        fh.write(json.dumps(result, indent=1).encode())
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
