"""Train candidate replacements of the shipped models with a recipe the DS1 folds chose.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/train_candidate.py \\
        --recipe ch0+aug [--only mitbih-ds1|mitbih-all] [--out-dir scratch/models]

Candidates are written to ``--out-dir`` (default ``scratch/models``, git-ignored), not
into ``heartbeat/data``: a candidate replaces a shipped model only by a deliberate
copy, after ``cv_patients.py final --model PATH`` (see docs/results.md, section 5).

The recipe (``benchmarks/_recipe.py``: leads used as training views, augmentation)
must be one that ``benchmarks/cv_patients.py folds`` scored; its fold summary and
that of today's recipe (``ch0``) are read from ``benchmarks/results/cv_*.json`` and
stored in the model file beside the recipe (``BeatClassifier.pretrained(name).info``).

* ``mitbih-ds1``: the 22 DS1 records (de Chazal 2004; no Q beats, as in the folds),
  to be scored on DS2 once with ``cv_patients.py final``.
* ``mitbih-all``: all 48 records (the Q class included, paced beats being Q), for
  users' own data.

Both train on all their N beats for the whole epochs nearest 3,200 steps: the budget
of today's models (``mitbih-ds1`` kept epoch 5 of 633 steps), not the folds' short
500 steps, which compared recipes at one equal budget.  No early stopping.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _recipe
from _common import REPO
from cv_patients import CACHE, parse_recipe

from heartbeat import datasets, nn
from heartbeat.classifier.saved import _fit_info

RESULTS = REPO / "benchmarks" / "results"
# mitbih-ds1 is early-stopped on the records the shipped one is (train_pretrained.py)
SHIPPED_VALIDATION = ("106", "116", "124", "207", "223")
MODELS = {
    "mitbih-ds1": {"records": datasets.DS1, "n_cap": None, "steps": 3200, "exclude_q": True,
                   "validation": SHIPPED_VALIDATION},
    "mitbih-all": {"records": datasets.RECORDS, "n_cap": None, "steps": 3200,
                   "exclude_q": False},
}


def fold_scores(recipe_name: str) -> dict:
    """The fold summary of a recipe (and of today's, ch0) from cv_patients.py's files."""
    out = {}
    for name in dict.fromkeys([recipe_name, "ch0"]):
        # the first protocol's files, else those of the runs scored at both cuts
        paths = [RESULTS / f"cv_{prefix}{name.replace('+', '_')}.json"
                 for prefix in ("es_", "detcut_es_")]
        path = next((p for p in paths if p.exists()), paths[0])
        if not path.exists():
            raise SystemExit(f"{path} is missing: run benchmarks/cv_patients.py folds "
                             f"--recipe {name} first")
        res = json.loads(path.read_text())
        out[name] = {"summary (mean, sd)": res["summary"], "folds": res["folds"],
                     "seeds": res["seeds"], "command": res["command"]}
    return out


def train_one(name: str, recipe_text: str, seed: int, out_dir: Path,
              early_stopping: bool = True, steps: int | None = None) -> Path:
    spec = {**MODELS[name], **({"steps": steps} if steps else {})}
    held = spec.get("validation", ()) if early_stopping else ()
    recipe = parse_recipe(recipe_text, steps=spec["steps"], n_cap=spec["n_cap"],
                          exclude_q=spec["exclude_q"],
                          early_stopping=3 if held else None)
    fit_records = [r for r in spec["records"] if r not in held]
    views, validation = [], []
    for c in recipe.channels:
        b = _recipe.beats(c, CACHE, peaks=recipe.peaks)
        views.append(b[np.isin(b.record, fit_records)])
        validation.append(b[np.isin(b.record, held)])
    t0 = time.perf_counter()
    model, history, counts = _recipe.train(recipe, views, seed=seed, quiet=False,
                                           validation=validation if held else None)
    params = {"architecture": "kachuee2018", "use_rr": True, "log_rr": True,
              "context": _recipe.CONTEXT, "epochs": int(history.n_epochs),
              "batch_size": recipe.batch_size, "sampler": "balanced",
              "learning_rate": recipe.learning_rate,
              "early_stopping": recipe.early_stopping, "validation_fraction": 0.0,
              "seed": seed}
    labels = np.repeat(np.arange(len(counts)), counts)
    info = _fit_info(params, views[0], _recipe.CLASSES, labels, 0, history, {
        "recipe": _recipe.recipe_dict(recipe),
        "fold_scores": fold_scores(recipe.name()),
        "leads": [f"channel {c}" for c in recipe.channels],
        "validation_records": list(held), "best_epoch": history.best_epoch,
        "command": "python benchmarks/train_candidate.py " + " ".join(
            a for a in sys.argv[1:] if not a.startswith("/")),
        "train_s": round(time.perf_counter() - t0, 1),
    })
    path = out_dir / f"{name}-seed{seed}.npz"
    nn.save(model, path, info=info)
    print(f"{name}: {history.n_epochs} epochs, {time.perf_counter() - t0:.0f} s, "
          f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB)", flush=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", required=True, help="e.g. ch0+ch1+aug")
    parser.add_argument("--only", choices=sorted(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", type=Path, default=REPO / "scratch" / "models")
    parser.add_argument("--no-early-stopping", action="store_true",
                        help="mitbih-ds1 for 3,200 steps like the first candidate, instead "
                        "of early stopping on the shipped model's validation records")
    parser.add_argument("--steps", type=int, help="optimiser steps when not early-stopped "
                        "(default 3,200: whole epochs nearest it)")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name in MODELS:
        if args.only in (None, name):
            train_one(name, args.recipe, args.seed, args.out_dir,
                      early_stopping=not args.no_early_stopping, steps=args.steps)


if __name__ == "__main__":
    main()
