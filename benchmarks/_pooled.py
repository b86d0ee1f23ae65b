"""``cv_patients.py pooled``: rows from the kept held-out logits, no training.

The seed ensemble (the seeds' logits averaged, per fold), ``adapt="prior"`` (each held-out
record on its own) and the calibration fitted out of fold.  ``write``, ``print_summary``
and ``load_runs`` are cv_patients'; they are passed in.
"""

from __future__ import annotations

import json
from pathlib import Path

import _recipe
import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def prior_adapted(out: dict) -> np.ndarray:
    """Predicted codes after ``adapt="prior"``, each held-out record on its own.

    As :func:`heartbeat.classify` does it: softmax of the logits (temperature 1 here),
    then :func:`adapt_prior` with the training prior of a balanced run (uniform over
    the classes present in training) on each record's beats, then argmax.
    """
    from heartbeat.classifier.adapt import adapt_prior

    counts = out["train_class_counts"]
    prior = (counts > 0) / np.sum(counts > 0)
    proba = softmax(out["logits"].astype(np.float64))
    for record in np.unique(out["record"]):
        rows = out["record"] == record
        proba[rows] = adapt_prior(proba[rows], prior)
    return proba.argmax(axis=1)


def seed_spread(runs: list[dict]) -> dict:
    """Per lead and figure: the sd over seeds of one fold's runs, averaged over folds."""
    out: dict = {}
    for lead in ("ch0", "ch1"):
        for key, get in (("n_called_abnormal", lambda x: x["n_called_abnormal"]),
                         ("accuracy", lambda x: x["accuracy"]),
                         ("S_f1", lambda x: x["S"]["f1"]), ("V_f1", lambda x: x["V"]["f1"]),
                         ("V_ppv", lambda x: x["V"]["ppv"])):
            sds = [np.nanstd([get(_recipe.figures(np.asarray(r[lead]["confusion"])))
                              for r in runs if r["fold"] == f], ddof=1)
                   for f in sorted({r["fold"] for r in runs})]
            out[f"{lead} {key}"] = round(float(np.nanmean(sds)), 4)
    return out


def run(args, *, write, print_summary, load_runs, results: Path) -> None:
    """Rows from saved held-out outputs, no training: the seed ensemble and adapt="prior".

    ``ensemble``: per fold, the members' (seeds') logits averaged, then argmax; sd over
    folds (``ensemble_prior``: the same, then adapt="prior").  ``prior``: every run's
    predictions after per-record prior adaptation; sd over folds x seeds.  Also the
    calibration fitted out of fold: temperature and reject threshold of
    :mod:`heartbeat.classifier.calibration` on the lead-0 held-out logits of every
    fold pooled (seed 0, so one model per beat).
    """
    from heartbeat.classifier.calibration import _fit_calibration

    for text in args.recipe:
        base = f"{args.prefix}{text.replace('+', '_')}"
        runs = load_runs(args.logits_dir / base)
        if not runs:
            raise SystemExit(f"no saved runs in {args.logits_dir / base}: run folds first")
        seeds = sorted({s for s, _, _ in runs if not args.seeds or s in args.seeds})
        folds = sorted({f for _, f, _ in runs})
        done = [f for f in folds if all((s, f, c) in runs for s in seeds for c in (0, 1))]
        ens, ens_adapted, adapted = [], [], []
        for f in done:
            row, row_adapted = {"fold": f, "seeds": seeds}, {"fold": f, "seeds": seeds}
            for c in (0, 1):
                first = runs[seeds[0], f, c]
                mean = first | {"logits": np.mean([runs[s, f, c]["logits"] for s in seeds],
                                                  axis=0)}
                row[f"ch{c}"] = _recipe.figures(_recipe.confusion(
                    first["y"], mean["logits"].argmax(axis=1)))
                row_adapted[f"ch{c}"] = _recipe.figures(_recipe.confusion(
                    first["y"], prior_adapted(mean)))
            ens.append(row)
            ens_adapted.append(row_adapted)
            for s in seeds:
                adapted.append({"seed": s, "fold": f} | {
                    f"ch{c}": _recipe.figures(_recipe.confusion(
                        runs[s, f, c]["y"], prior_adapted(runs[s, f, c]))) for c in (0, 1)})
        base_result = json.loads((results / f"cv_{base}.json").read_text())
        spread = seed_spread([r for r in base_result["runs"]
                              if r["seed"] in seeds and r["fold"] in done])
        print(f"{text}: sd over seeds within a fold, mean over folds: {spread}")
        for tag, label, rows in (("ensemble", f"{text} ensemble of {len(seeds)} seeds "
                                  "(mean logits)", ens),
                                 ("ensemble_prior", f"{text} ensemble of {len(seeds)} seeds,"
                                  ' adapt="prior"', ens_adapted),
                                 ("prior", f'{text} adapt="prior"', adapted)):
            result = {"recipe": base_result["recipe"], "row": label, "seed_spread": spread,
                      "folds": base_result["folds"], "seeds": seeds,
                      "summary": _recipe.summarise(rows), "runs": rows,
                      "command": "python benchmarks/cv_patients.py pooled --recipe " + text}
            write(f"{base}_{tag}", result)
            print_summary(label, result["summary"])
        pooled = [runs[seeds[0], f, 0] for f in done]
        logits = np.concatenate([r["logits"] for r in pooled]).astype(np.float64)
        labels = np.concatenate([r["y"] for r in pooled])
        records = sorted(set(np.concatenate([r["record"] for r in pooled]).tolist()))
        cal = _fit_calibration(logits, labels, records).to_info()
        cal["fitted_on"] |= {"how": f"out of fold: held-out lead-0 logits of the {text} "
                             f"fold models (seed {seeds[0]}), every DS1 fold pooled",
                             "command": "python benchmarks/cv_patients.py pooled "
                             f"--recipe {text}"}
        write(f"{base}_calibration", cal)
        print(f"out-of-fold calibration ({text}): temperature {cal['temperature']:.3f}, "
              f"reject below {cal['reject_below']:.3f}")
