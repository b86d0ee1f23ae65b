"""Which of two refined peaks closer than the refractory time stays, chosen over record folds.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/refractory_pairs.py

The rule this runs is written in docs/benchmarks.md ("Refined peaks keep the
refractory time", the second rule).  Each lead (0 and 1) of the 48 MIT-BIH records is
detected alone by the public per-lead path (:func:`heartbeat._detect_bands.detect_lead`
with :func:`heartbeat.detect._detect_lead`: the band chosen, before any thinning); its
peaks are then thinned by :func:`heartbeat._detect_refractory.keep_refractory` under
each criterion of :data:`heartbeat._detect_refractory.CRITERIA` (``"none"`` keeps them
all) and scored against every beat annotation (150 ms, one to one, as
``bench_detect.py``).  Over the 4 record folds of ``tune_detector.py`` (seed 0), each
fold's criterion is the one with the fewest errors (FN + FP, both leads) on its 36
training records among those that lose at most :data:`SE_LOSS` of Se on either lead
there (``"none"`` always qualifies; ties go to the menu's order); its 12 records are
scored with it.  Printed and written to ``benchmarks/results/refractory_pairs.json``:
each fold's choice, the held-out sums against ``"none"``, and the choice on all 48.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import REPO, default_mitdb
from tune_detector import folds

from heartbeat import _detect_bands, _detect_refractory, detect
from heartbeat._atomic import atomic_open
from heartbeat.aami import is_beat
from heartbeat.datasets import RECORDS
from heartbeat.io import read_annotations, read_record
from heartbeat.metrics import detection_scores

LEADS = (0, 1)
SE_LOSS = 0.0002  # 0.02 point of Se


def record_counts(folder: Path, name: str) -> dict:
    """{criterion: [[tp, fn, fp] per lead]} for one record."""
    ann = read_annotations(folder / name)
    out: dict = {c: [] for c in _detect_refractory.CRITERIA}
    for lead in LEADS:
        rec = read_record(folder / name, channels=[lead])
        x, fs = np.ascontiguousarray(rec.signal[:, 0]), rec.fs
        beats = ann.samples_at(rec.frame_fs)[is_beat(ann.symbol)]
        peaks, quality = _detect_bands.detect_lead(x, fs, "numba", detect._detect_lead)
        gap = int(detect.RULE["refractory_s"] * fs + 0.5)
        n_lp, n_hp, _, _ = detect._windows(fs)
        for criterion in _detect_refractory.CRITERIA:
            kept = peaks
            if criterion != "none":
                measures = _detect_refractory.measures(x, peaks, quality, gap, criterion,
                                                       n_lp, n_hp)
                kept = peaks[_detect_refractory.keep_refractory(peaks, gap, measures)]
            s = detection_scores(beats, kept, fs)
            out[criterion].append([s.tp, s.fn, s.fp])
    return out


def totals(counts: dict, names: list[str], criterion: str) -> np.ndarray:
    """(lead, [tp, fn, fp]) summed over `names`."""
    return np.sum([counts[n][criterion] for n in names], axis=0)


def se(t: np.ndarray) -> np.ndarray:
    """Gross Se of each lead's [tp, fn, fp] row."""
    return t[:, 0] / (t[:, 0] + t[:, 1])


def choose(counts: dict, names: list[str]) -> str:
    """The criterion with the fewest errors on `names` among those within SE_LOSS."""
    base = se(totals(counts, names, "none"))
    best, best_errors = "none", None
    for criterion in _detect_refractory.CRITERIA:
        t = totals(counts, names, criterion)
        if np.any(base - se(t) > SE_LOSS):
            continue
        errors = int(t[:, 1:].sum())
        if best_errors is None or errors < best_errors:
            best, best_errors = criterion, errors
    return best


def describe(t: np.ndarray) -> dict:
    """Per lead: TP, FN, FP, Se and +P in %."""
    return {f"lead {lead}": {"tp": int(r[0]), "fn": int(r[1]), "fp": int(r[2]),
                             "se": round(100 * r[0] / (r[0] + r[1]), 3),
                             "ppv": round(100 * r[0] / (r[0] + r[2]), 3)}
            for lead, r in zip(LEADS, t, strict=True)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--out", type=Path,
                        default=REPO / "benchmarks" / "results" / "refractory_pairs.json")
    args = parser.parse_args(argv)
    names = list(RECORDS)
    counts = {name: record_counts(args.data, name) for name in names}
    result: dict = {"folds": []}
    held = {"chosen": np.zeros((len(LEADS), 3), int), "none": np.zeros((len(LEADS), 3), int)}
    for test in folds(names, 4, 0):
        train = [n for n in names if n not in test]
        criterion = choose(counts, train)
        held["chosen"] += totals(counts, test, criterion)
        held["none"] += totals(counts, test, "none")
        result["folds"].append({"test": test, "chosen": criterion})
        print(f"fold {' '.join(test)}: {criterion}")
    result["held_out"] = {k: describe(v) for k, v in held.items()}
    result["all_48"] = {"chosen": choose(counts, names),
                        **{c: describe(totals(counts, names, c))
                           for c in _detect_refractory.CRITERIA}}
    print(json.dumps({k: result[k] for k in ("held_out", "all_48")}, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(args.out) as fh:
        fh.write((json.dumps(result, indent=1) + "\n").encode())


if __name__ == "__main__":
    main()
