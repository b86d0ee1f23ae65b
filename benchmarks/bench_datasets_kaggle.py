"""Compare the MIT-BIH beat annotations with the Kaggle "heartbeat" set's class counts.

Usage: PYTHONPATH=. python benchmarks/bench_datasets_kaggle.py [DATA_DIR]
(default ../shared/data/mitdb)

Prints, per AAMI class, the number of annotated beats in all 48 records, the classes
of each record's first and last annotated beat, the Kaggle counts, and whether
"all beats minus the last beat of each record" reproduces the Kaggle counts.  Writes
the per-record table to benchmarks/results/bench_datasets_kaggle.csv.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from heartbeat.aami import CLASSES, class_codes, is_beat
from heartbeat.datasets import KAGGLE_MITBIH_COUNTS, RECORDS
from heartbeat.io import read_annotations


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    data_dir = Path(argv[0]) if argv else root.parent / "shared" / "data" / "mitdb"
    total = np.zeros(len(CLASSES), dtype=np.int64)
    first = np.zeros_like(total)
    last = np.zeros_like(total)
    rows = []
    for name in RECORDS:
        ann = read_annotations(data_dir / name)
        codes = class_codes(np.asarray(ann.symbol)[is_beat(ann.symbol)])
        counts = np.bincount(codes, minlength=len(CLASSES))
        total += counts
        first[codes[0]] += 1
        last[codes[-1]] += 1
        rows.append([name, *counts.tolist(), CLASSES[codes[0]], CLASSES[codes[-1]]])
    kaggle = np.array([KAGGLE_MITBIH_COUNTS[c] for c in CLASSES])
    print(f"{'':26}" + "".join(f"{c:>8}" for c in CLASSES) + f"{'all':>9}")
    for label, counts in (
        ("annotated beats", total),
        ("first beat of a record", first),
        ("last beat of a record", last),
        ("annotated - last", total - last),
        ("Kaggle heartbeat set", kaggle),
        ("annotated - Kaggle", total - kaggle),
    ):
        print(f"{label:26}" + "".join(f"{v:8d}" for v in counts) + f"{counts.sum():9d}")
    same = np.array_equal(total - last, kaggle)
    print(f"annotated minus each record's last beat == Kaggle counts: {same}")
    out = root / "benchmarks" / "results" / "bench_datasets_kaggle.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["record", *CLASSES, "first", "last"])
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
