"""Choose ``classify(..., noisy_below=...)`` on patients the model has not seen.

    PYTHONPATH=. python benchmarks/cv_noisy.py
    PYTHONPATH=. python benchmarks/cv_noisy.py --logits-dir /path/to/cv_logits
    PYTHONPATH=. python benchmarks/cv_noisy.py --n-only

The rule of docs/results.md, "Uncertainty", "Abnormal labels in noisy stretches": a
beat labelled S, V or F in a stretch whose quality index is below ``noisy_below``
comes back ``"?"`` with reason ``"noisy"``.  From the DS1 folds' out-of-fold logits of
the ``ch0+ch1`` recipe (``cv_patients.py folds`` keeps them; 3 seeds x 3 folds x 2
leads, each seed's single model, the seeds' beats pooled), each beat is labelled as
``classify`` labels it: softmax of logits / T with the recipe's out-of-fold
calibration, ``adapt="template"`` with the shipped rule (each held-out record on its
own), the reject threshold.  Quality per beat: :func:`heartbeat.quality` of the whole
record's lead at the annotated R peak (no label used).

For held-out fold k, ``noisy_below`` is the largest grid value whose loss (reference
S, V, F beats the rule turns ``"?"``, over all reference S+V+F beats; mean of lead 0
and lead 1, the other two folds pooled) is at most 0.5 %; the shipped value by the
same rule on all folds.  Writes ``benchmarks/results/cv_noisy.json``.

``--n-only`` (reported, decides nothing): the shipped default model through
``heartbeat.classify`` on each lead of the N-only records of
``check_default_candidate.py`` (100, 103, 113, 117, 122), with the rule off and with
the default ``noisy_below``: each lead-record's share of beats labelled V or F, its
longest V/F run and its beats withheld as "noisy".
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _recipe
from _common import REPO, data_root
from _pooled import softmax
from cv_patients import CACHE, load_runs

from heartbeat.classifier.template import adapt_template
from heartbeat.io import read_record
from heartbeat.signal_quality import UNREADABLE_BELOW, quality

GRID = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
MAX_LOSS = 0.005  # of the reference S+V+F beats, mean of the two leads
CLASSES = _recipe.CLASSES
ABNORMAL = (1, 2, 3)  # S, V, F
FS_OUT = 125.0
RESULTS = REPO / "benchmarks" / "results"


def record_quality(names: list[str], lead: int) -> dict[str, object]:
    """Each record's :class:`~heartbeat.signal_quality.SignalQuality` on one lead."""
    out = {}
    for name in names:
        rec = read_record(data_root() / "mitdb" / name)
        out[name] = quality(rec.signal[:, lead], rec.fs)
    return out


def labelled(out: dict, held, calibration: dict) -> tuple[np.ndarray, np.ndarray]:
    """(argmax code after calibration and adaptation, top probability) of one run."""
    proba = softmax(out["logits"].astype(np.float64) / calibration["temperature"])
    for name in np.unique(out["record"]):
        rows = np.flatnonzero(out["record"] == name)
        proba[rows] = adapt_template(proba[rows], held.x[rows], held.rr[rows],
                                     classes=CLASSES, fs_out=FS_OUT)[0]
    return proba.argmax(axis=1), proba.max(axis=1)


def scored_beats(logits_dir: Path, calibration: dict) -> dict[tuple[int, int], dict]:
    """Per (fold, lead): truth, code, labelled-before flag and quality of every beat."""
    runs = load_runs(logits_dir)
    if not runs:
        raise SystemExit(f"no saved runs in {logits_dir}: run cv_patients.py folds first")
    names = sorted({str(r) for out in runs.values() for r in np.unique(out["record"])})
    beats = {}
    for lead in (0, 1):
        data = _recipe.beats(lead, CACHE)
        q_of = record_quality(names, lead)
        for (seed, fold, c), out in sorted(runs.items()):
            if c != lead:
                continue
            held = data[np.isin(data.record, np.unique(out["record"]))]
            held = held[held.y < 4]  # the order of the kept logits
            if not np.array_equal(held.y, out["y"]):
                raise SystemExit(f"seed {seed} fold {fold} lead {lead}: beats do not match")
            code, top = labelled(out, held, calibration)
            q = np.empty(len(held))
            for name in np.unique(held.record):
                rows = held.record == name
                q[rows] = q_of[str(name)].at(held.sample[rows])
            part = {"y": held.y.astype(np.int64), "code": code,
                    "labelled": (top >= calibration["reject_below"])
                    & ~(q < UNREADABLE_BELOW), "quality": q}
            prev = beats.get((fold, lead))
            beats[fold, lead] = part if prev is None else \
                {k: np.concatenate([prev[k], part[k]]) for k in part}
        print(f"lead {lead}: {len(names)} records scored", flush=True)
    return beats


def figures(b: dict, noisy_below: float) -> dict:
    """The rule's effect on pooled beats: loss, N called abnormal, beats turned "?"."""
    abnormal_call = b["labelled"] & np.isin(b["code"], ABNORMAL)
    turned = abnormal_call & (b["quality"] < noisy_below)
    ref_abnormal = np.isin(b["y"], ABNORMAL)
    normal = b["y"] == 0
    return {"loss": float(np.sum(turned & ref_abnormal) / max(1, np.sum(ref_abnormal))),
            "n_called_abnormal_before": float(np.mean(abnormal_call[normal])),
            "n_called_abnormal_after": float(np.mean((abnormal_call & ~turned)[normal])),
            "turned_per_class": {CLASSES[k]: int(np.sum(turned & (b["y"] == k)))
                                 for k in range(4)},
            "n_beats": len(b["y"]), "n_ref_abnormal": int(np.sum(ref_abnormal))}


def pooled(beats: dict, folds: list[int], lead: int) -> dict:
    parts = [beats[f, lead] for f in folds]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def choose(beats: dict, folds: list[int]) -> tuple[float, dict]:
    """The largest grid value whose mean loss over the leads is at most MAX_LOSS."""
    chosen, rows = 0.0, {}
    for value in GRID:
        figs = {f"ch{c}": figures(pooled(beats, folds, c), value) for c in (0, 1)}
        mean_loss = float(np.mean([figs[k]["loss"] for k in figs]))
        rows[str(value)] = {"mean_loss": mean_loss} | figs
        if mean_loss <= MAX_LOSS and value > chosen:
            chosen = value
    return chosen, rows


def print_row(tag: str, value: float, figs: dict) -> None:
    for lead in ("ch0", "ch1"):
        f = figs[lead]
        print(f"  {tag} noisy_below={value} {lead}: loss {100 * f['loss']:.2f} % "
              f"(of {f['n_ref_abnormal']}), N called S/V/F "
              f"{100 * f['n_called_abnormal_before']:.2f} -> "
              f"{100 * f['n_called_abnormal_after']:.2f} %, turned ? {f['turned_per_class']}")


def n_only(mitdb: Path) -> None:
    """The shipped default on the N-only lead-records, rule off and on (not deciding)."""
    from check_default_candidate import lead_records, vf_figures

    import heartbeat
    from heartbeat.classifier.results import NOISY_BELOW

    print(f"lead-record: V/F % and longest V/F run, noisy_below 0 -> {NOISY_BELOW}; noisy")
    for name, lead, x, fs in lead_records(mitdb):
        off = heartbeat.classify(x, fs, noisy_below=0.0)
        on = heartbeat.classify(x, fs)
        (s0, r0), (s1, r1) = vf_figures(off.labels), vf_figures(on.labels)
        print(f"{name} lead {lead}: {s0:.2f} % (run {r0}) -> {s1:.2f} % (run {r1}); "
              f"{int((on.reasons == 'noisy').sum())} noisy of {len(on)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logits-dir", type=Path,
                        default=CACHE.parent / "cv_logits" / "es_ch0_ch1")
    parser.add_argument("--calibration", type=Path,
                        default=RESULTS / "cv_es_ch0_ch1_calibration.json")
    parser.add_argument("--n-only", action="store_true",
                        help="the shipped default on the N-only lead-records (report only)")
    args = parser.parse_args()
    if args.n_only:
        n_only(data_root() / "mitdb")
        return
    calibration = json.loads(args.calibration.read_text())
    beats = scored_beats(args.logits_dir, calibration)
    folds = sorted({f for f, _ in beats})
    per_fold = {}
    for k in folds:
        inner = [f for f in folds if f != k]
        value, grid_rows = choose(beats, inner)
        held = {f"ch{c}": figures(beats[k, c], value) for c in (0, 1)}
        per_fold[str(k)] = {"inner_folds": inner, "chosen": value, "held_out": held,
                            "inner_grid": grid_rows}
        print(f"fold {k}: chosen on folds {inner}: noisy_below = {value}")
        for v, row in grid_rows.items():
            print(f"  inner {v}: mean loss {100 * row['mean_loss']:.3f} %")
        print_row(f"held-out fold {k}", value, held)
    shipped, all_rows = choose(beats, folds)
    print(f"all folds: noisy_below = {shipped}")
    for v, row in all_rows.items():
        print(f"  all folds {v}: mean loss {100 * row['mean_loss']:.3f} %")
        print_row("all folds", float(v), row)
    result = {"per_fold": per_fold, "shipped": shipped, "all_folds_grid": all_rows,
              "grid": list(GRID), "max_loss": MAX_LOSS, "calibration": str(args.calibration),
              "logits_dir": str(args.logits_dir),
              "command": "PYTHONPATH=. python benchmarks/cv_noisy.py"}
    RESULTS.mkdir(exist_ok=True)
    tmp = RESULTS / "cv_noisy.json.tmp"
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(tmp, RESULTS / "cv_noisy.json")


if __name__ == "__main__":
    main()
