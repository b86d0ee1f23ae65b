"""Time the WFDB reader (heartbeat.io) on the 48 MIT-BIH records (format 212, 650,000 x 2).

    PYTHONPATH=. python benchmarks/bench_wfdb.py [--data DIR] [--repeat 5]

For each record: best-of-``--repeat`` wall time of ``read_record`` (whole record,
both channels, checksums verified) and of ``read_annotations(..., "atr")``, on one
process.  Results go to ``benchmarks/results/bench_wfdb.csv``; a summary is printed.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

from heartbeat.io import read_annotations, read_record

REPO = Path(__file__).resolve().parents[1]


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    default = Path(os.environ.get("HEARTBEAT_DATA", REPO.parent / "shared" / "data")) / "mitdb"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default, help="folder with NNN.hea/.dat")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    records = (args.data / "RECORDS").read_text().split()
    rows = []
    for name in records:
        base = args.data / name
        rec = read_record(base)  # warm the page cache
        t_rec = best_of(lambda b=base: read_record(b), args.repeat)
        t_ann = best_of(lambda b=base: read_annotations(b, "atr"), args.repeat)
        rows.append({"record": name, "n_samples": rec.n_samples, "n_channels": rec.n_channels,
                     "read_record_ms": round(t_rec * 1e3, 2),
                     "read_annotations_ms": round(t_ann * 1e3, 2)})
    out = REPO / "benchmarks" / "results" / "bench_wfdb.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out)
    rec_ms = sorted(r["read_record_ms"] for r in rows)
    ann_ms = sorted(r["read_annotations_ms"] for r in rows)
    total = sum(r["n_samples"] * r["n_channels"] for r in rows)
    print(f"{len(rows)} records, {total:,} samples")
    print(f"read_record: median {rec_ms[len(rec_ms) // 2]:.1f} ms, max {rec_ms[-1]:.1f} ms, "
          f"{total / (sum(rec_ms) / 1e3) / 1e6:.0f} Msamples/s")
    print(f"read_annotations: median {ann_ms[len(ann_ms) // 2]:.2f} ms, max {ann_ms[-1]:.2f} ms")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
