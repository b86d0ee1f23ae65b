"""Choose training recipes on patients the model has not seen: k folds by record within DS1.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/cv_patients.py folds \\
        --recipe ch0 --recipe ch0+aug --recipe ch0+ch1 --recipe ch0+ch1+aug \\
        --folds 3 --steps 500 --seeds 0
    PYTHONPATH=. python benchmarks/cv_patients.py table
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/cv_patients.py final

``folds``: the 22 DS1 records are dealt into k folds (every beat of a record in one
fold; the deal balances the folds' S, V and F counts and is fixed, printed and stored).
For each recipe, seed and fold a model is trained on the other k-1 folds for a fixed
number of optimiser steps (the same for every recipe; 6,000 N beats drawn from the
training records, all their S, V and F beats), then scored on the held-out fold's
beats of lead 0 (MLII) and lead 1: per class Se, +P and F1 over N, S, V, F, and the
share of N beats called abnormal (3,000 N beats per fold and lead are classified and
weighted up; every S, V and F beat is).  Mean and sd over folds and seeds.  DS2 is
not read.

``table``: the fold summaries of every recipe run so far, as Markdown.

``final``: the shipped ``mitbih-ds1`` model, or with ``--model PATH`` a candidate
trained on DS1 by ``train_candidate.py``, is scored once on DS2, lead 0 and lead 1.

Results go to ``benchmarks/results/cv_<recipe>.json`` and ``cv_final.json``.
Recipes: ``ch0`` (lead 0 only, today's recipe), ``+aug`` (augmented batches,
:class:`heartbeat.training.Augmenter` with the NST ``ma``/``bw`` noise), ``ch0+ch1``
(both leads as training views; the annotations hold for both).
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

from heartbeat import datasets

RESULTS = REPO / "benchmarks" / "results"
# built beat sets (both leads, all 48 records) are cached here
CACHE = Path(os.environ.get("HEARTBEAT_CACHE", REPO / "scratch" / "cache"))


def parse_recipe(text: str, steps: int) -> _recipe.Recipe:
    parts = text.split("+")
    channels = tuple(int(p[2:]) for p in parts if p.startswith("ch"))
    unknown = [p for p in parts if not (p.startswith("ch") or p == "aug")]
    if unknown or not channels:
        raise SystemExit(f"recipe {text!r}: write leads and options as ch0+ch1+aug")
    return _recipe.Recipe(channels=channels, augment="aug" in parts, steps=steps)


def deal_folds(data: datasets.BeatSet, k: int) -> list[list[str]]:
    """Deal DS1's records into k folds, balancing S, V and F (largest records first).

    Each record, most S and V first, goes to the fold whose N, S and V shares (counts
    over the class totals) sum smallest after adding it; ties go to the fold with
    fewer records.  Deterministic.  F is not balanced: 373 of DS1's 415 F beats are
    in record 208, so no deal can put F on both sides.
    """
    names = sorted(set(data.record.tolist()))
    counts = np.array([np.bincount(data.y[data.record == r], minlength=5)[:4]
                       for r in names], dtype=float)  # (records, N S V F)
    share = counts[:, :3] / np.maximum(counts[:, :3].sum(axis=0), 1)  # N, S, V
    order = np.argsort(-share[:, 1:].sum(axis=1), kind="stable")
    load = np.zeros((k, 3))
    folds: list[list[str]] = [[] for _ in range(k)]
    for r in order:
        cost = (load + share[r]).sum(axis=1) + 1e-3 * np.array([len(f) for f in folds])
        j = int(np.argmin(cost))
        load[j] += share[r]
        folds[j].append(names[r])
    return [sorted(f) for f in folds]


def summarise(runs: list[dict]) -> dict:
    """Mean and sd over runs (folds x seeds) of each figure, per lead."""
    out: dict = {}
    for lead in ("ch0", "ch1"):
        rows = [r[lead] for r in runs]
        fig = {"accuracy": [x["accuracy"] for x in rows],
               "n_called_abnormal": [x["n_called_abnormal"] for x in rows]}
        for c in ("S", "V"):
            for m in ("se", "ppv", "f1"):
                fig[f"{c}_{m}"] = [x[c][m] for x in rows]
        out[lead] = {key: [round(float(np.nanmean(v)), 4),
                           round(float(np.nanstd(v, ddof=1)), 4) if len(v) > 1 else 0.0]
                     for key, v in fig.items()}
    return out


def run_folds(args) -> None:
    leads = {c: _recipe.beats(c, CACHE) for c in (0, 1)}
    ds1 = {c: b[np.isin(b.record, datasets.DS1)] for c, b in leads.items()}
    folds = deal_folds(ds1[0], args.folds)
    print("folds:", folds, flush=True)
    for text in args.recipe:
        recipe = parse_recipe(text, args.steps)
        runs = []
        t0 = time.perf_counter()
        for seed in args.seeds:
            for i, held in enumerate(folds):
                views = [s[~np.isin(s.record, held)] for c, s in ds1.items()
                         if c in recipe.channels]
                model, history, counts = _recipe.train(recipe, views, seed=seed)
                run = {"seed": seed, "fold": i, "held_out": held,
                       "epochs": history.n_epochs, "train_class_counts": counts.tolist()}
                for c, s in ds1.items():
                    run[f"ch{c}"] = _recipe.score(model, s[np.isin(s.record, held)],
                                                  n_sample=args.n_sample, seed=seed)
                runs.append(run)
                a, b = run["ch0"], run["ch1"]
                print(f"{recipe.name()} seed {seed} fold {i} ({history.n_epochs} epochs): "
                      f"ch0 S {a['S']['se']:.3f}/{a['S']['ppv']:.3f} V {a['V']['se']:.3f}/"
                      f"{a['V']['ppv']:.3f} N->abn {a['n_called_abnormal']:.4f}; ch1 V "
                      f"{b['V']['se']:.3f}/{b['V']['ppv']:.3f} N->abn "
                      f"{b['n_called_abnormal']:.4f} ({time.perf_counter() - t0:.0f} s)",
                      flush=True)
        result = {"recipe": _recipe.recipe_dict(recipe), "folds": folds, "seeds": args.seeds,
                  "n_sample": args.n_sample, "summary": summarise(runs), "runs": runs,
                  "wall_s": round(time.perf_counter() - t0, 1),
                  "load_avg_end": os.getloadavg(),
                  "command": "python benchmarks/cv_patients.py " + " ".join(sys.argv[1:])}
        write(f"cv_{recipe.name().replace('+', '_')}", result)
        print_summary(recipe.name(), result["summary"])


def print_summary(name: str, summary: dict) -> None:
    print(f"\n{name}: mean (sd) over folds and seeds")
    for key, fig in summary.items():
        cells = ", ".join(f"{k} {100 * m:.1f} ({100 * s:.1f})" for k, (m, s) in fig.items())
        print(f"  {key}: {cells}")


def run_table(args) -> None:
    """Print the fold summaries of every recipe scored so far as one Markdown table."""
    cols = [("accuracy", "acc"), ("n_called_abnormal", "N->abn"), ("S_se", "S Se"),
            ("S_ppv", "S +P"), ("S_f1", "S F1"), ("V_se", "V Se"), ("V_ppv", "V +P"),
            ("V_f1", "V F1")]
    print("| recipe | lead | " + " | ".join(c for _, c in cols) + " |")
    print("|:--|:--|" + "--:|" * len(cols))
    for path in sorted(RESULTS.glob("cv_ch*.json")):
        res = json.loads(path.read_text())
        for lead, fig in res["summary"].items():
            cells = " | ".join(f"{100 * fig[k][0]:.1f} ± {100 * fig[k][1]:.1f}" for k, _ in cols)
            print(f"| {res['recipe']['name']} | {lead} | {cells} |")


def run_final(args) -> None:
    from heartbeat import BeatClassifier

    clf = BeatClassifier.pretrained("mitbih-ds1") if args.model is None else \
        BeatClassifier.load(args.model)
    if sorted(set(clf.info.get("records", [])) - set(datasets.DS1)):
        raise SystemExit("final scores models trained on DS1 records only")
    model = clf.model_
    name = "mitbih-ds1" if args.model is None else Path(args.model).name
    out = {"model": name, "recipe": clf.info.get("recipe"),
           "command": "python benchmarks/cv_patients.py final"
           + ("" if args.model is None else f" --model {name}")}
    for c in (0, 1):
        b = _recipe.beats(c, CACHE)
        out[f"ch{c}"] = _recipe.score(model, b[np.isin(b.record, datasets.DS2)])
        s = out[f"ch{c}"]
        print(f"DS2 lead {c}: accuracy {100 * s['accuracy']:.2f} %, N called abnormal "
              f"{100 * s['n_called_abnormal']:.2f} %")
        for k in ("N", "S", "V", "F"):
            print(f"  {k}: Se {100 * s[k]['se']:.1f} +P {100 * s[k]['ppv']:.1f} "
                  f"F1 {s[k]['f1']:.3f} (n={s[k]['support']})")
    write("cv_final" if args.model is None else f"cv_final_{args.tag}", out)


def write(name: str, result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(tmp, path)
    print(f"wrote {path}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("folds", "table", "final"))
    parser.add_argument("--recipe", action="append", default=None)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=500,
                        help="optimiser steps per training run (whole epochs)")
    parser.add_argument("--n-sample", type=int, default=3000,
                        help="N beats classified per held-out fold and lead (the others "
                        "are weighted in; S, V, F beats are all classified)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--model", default=None,
                        help="final: a candidate model file (default: shipped mitbih-ds1)")
    parser.add_argument("--tag", default="candidate",
                        help="final --model: result file cv_final_TAG.json")
    args = parser.parse_args()
    if args.mode == "final":
        run_final(args)
    elif args.mode == "table":
        run_table(args)
    else:
        args.recipe = args.recipe or ["ch0"]
        run_folds(args)


if __name__ == "__main__":
    main()
