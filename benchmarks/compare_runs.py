"""Compare two fold result files of ``cv_patients.py folds`` run by run: does a rerun reproduce?

    PYTHONPATH=. python benchmarks/compare_runs.py cv_es_ch0_ch1 cv_rerun_es_ch0_ch1

For each (seed, fold) in both files: the early-stopping records, the training class
counts, the epochs trained, the best epoch, and whether the held-out confusion matrices
of lead 0 and lead 1 are equal, with N called abnormal of each.  Names are files in
``benchmarks/results`` (without ``.json``) or paths.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO


def load(name: str) -> dict[tuple[int, int], dict]:
    """The runs of one result file by (seed, fold)."""
    path = Path(name) if name.endswith(".json") else \
        REPO / "benchmarks" / "results" / f"{name}.json"
    return {(r["seed"], r["fold"]): r for r in json.loads(path.read_text())["runs"]}


def compare(a: dict[tuple[int, int], dict], b: dict[tuple[int, int], dict]) -> list[dict]:
    """One row per (seed, fold) in both: what matches and what each run gave."""
    rows = []
    for key in sorted(set(a) & set(b)):
        x, y = a[key], b[key]
        rows.append({
            "seed": key[0], "fold": key[1],
            "same_setup": x["validation_records"] == y["validation_records"]
            and x["train_class_counts"] == y["train_class_counts"],
            "epochs": (x["epochs"], y["epochs"]), "best_epoch": (x["best_epoch"], y["best_epoch"]),
            "identical": all(np.array_equal(x[c]["confusion"], y[c]["confusion"])
                             for c in ("ch0", "ch1")),
            "n_called_abnormal": {c: (x[c]["n_called_abnormal"], y[c]["n_called_abnormal"])
                                  for c in ("ch0", "ch1")}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first")
    parser.add_argument("second")
    args = parser.parse_args()
    rows = compare(load(args.first), load(args.second))
    print("| seed | fold | same setup | epochs | best epoch | identical | "
          "N->abn lead 0 | N->abn lead 1 |\n|--:|--:|:--|:--|:--|:--|:--|:--|")
    for r in rows:
        abn = " | ".join(f"{100 * p:.2f} / {100 * q:.2f}"
                         for p, q in r["n_called_abnormal"].values())
        print(f"| {r['seed']} | {r['fold']} | {r['same_setup']} | {r['epochs'][0]} / "
              f"{r['epochs'][1]} | {r['best_epoch'][0]} / {r['best_epoch'][1]} | "
              f"{r['identical']} | {abn} |")
    print(f"\n{sum(r['identical'] for r in rows)} of {len(rows)} runs identical")


if __name__ == "__main__":
    main()
