"""Time heartbeat.segment on all 48 MIT-BIH Arrhythmia records (channel 0).

    PYTHONPATH=. python benchmarks/bench_segment.py
    PYTHONPATH=. python benchmarks/bench_segment.py --records 100 208 --repeat 5

(``PYTHONPATH=.`` is not needed once heartbeat is installed, e.g. ``pip install -e .``.)

Data: ``$HEARTBEAT_DATA/mitdb`` or ``../shared/data/mitdb`` beside the repository.
Per record, three peak sources are timed, best of ``--repeat`` runs each, reading not
included:

* ``kachuee2018`` -- the paper's rule, ``segment(x, fs, detector="kachuee2018")``;
* ``annotations`` -- ``segment(x, fs, r_peaks=...)`` with the record's beat annotations
  (the path the labelled data sets use);
* ``robust`` -- ``segment(x, fs, detector="robust")`` when heartbeat.detect imports.

Runs on one core: the process is pinned to one CPU where the OS allows it, and BLAS /
OpenMP / Numba thread counts are set to 1 before NumPy loads (the resampler's matrix
products are slower, not faster, with threads on a busy machine).  Prints Msamples/s per
source and writes ``benchmarks/results/bench_segment.csv``.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import REPO, default_mitdb, pin_one_core

from heartbeat._atomic import atomic_open
from heartbeat.aami import is_beat
from heartbeat.pipeline import segment


def load(mitdb: Path, name: str) -> tuple[np.ndarray, float, np.ndarray]:
    from heartbeat.io import read_annotations, read_record

    record = read_record(mitdb / name, channels=[0])
    ann = read_annotations(mitdb / name, "atr")
    beats = np.unique(np.asarray(ann.sample)[is_beat(ann.symbol)])
    return np.ascontiguousarray(record.signal[:, 0]), float(record.fs), beats


def timed(func, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--records", nargs="*", help="record names (default: all 48)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--csv", type=Path, default=REPO / "benchmarks" / "results" /
                        "bench_segment.csv")
    args = parser.parse_args(argv)
    if not (args.data / "RECORDS").exists():
        print(f"no MIT-BIH data at {args.data} (set HEARTBEAT_DATA)", file=sys.stderr)
        return 2
    names = args.records or (args.data / "RECORDS").read_text().split()
    pinned = pin_one_core()
    try:
        import heartbeat.detect  # noqa: F401

        sources = ["kachuee2018", "annotations", "robust"]
    except ImportError as exc:
        print(f"robust detector skipped: {exc}")
        sources = ["kachuee2018", "annotations"]

    def run(source: str, x: np.ndarray, fs: float, ann: np.ndarray):
        if source == "annotations":
            return segment(x, fs, r_peaks=ann)
        return segment(x, fs, detector=source)

    # warm-up (page in code and, for "robust", compile any Numba kernel)
    x0, fs0, ann0 = load(args.data, names[0])
    for source in sources:
        run(source, x0, fs0, ann0)

    rows, total_s, total_beats = [], dict.fromkeys(sources, 0.0), dict.fromkeys(sources, 0)
    n_total = 0
    for name in names:
        x, fs, ann = load(args.data, name)
        n_total += x.size
        row = {"record": name, "n_samples": x.size, "fs": fs, "annotated": ann.size}
        for source in sources:
            seconds, beats = timed(functools.partial(run, source, x, fs, ann), args.repeat)
            total_s[source] += seconds
            total_beats[source] += len(beats)
            row[f"{source}_beats"] = len(beats)
            row[f"{source}_ms"] = round(1e3 * seconds, 3)
        rows.append(row)
        print(f"{name}: " + ", ".join(
            f"{s} {row[f'{s}_beats']} beats {row[f'{s}_ms']:.1f} ms" for s in sources))

    print(f"\n{len(names)} records, {n_total / 1e6:.2f} Msamples, channel 0, best of "
          f"{args.repeat}, {pinned}; Python {platform.python_version()}, "
          f"NumPy {np.__version__}, {platform.machine()}")
    for source in sources:
        print(f"{source:>12}: {total_s[source]:7.3f} s, {n_total / total_s[source] / 1e6:7.1f} "
              f"Msamples/s, {1e3 * total_s[source] / len(names):6.1f} ms per record, "
              f"{total_beats[source]} beats")

    args.csv.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    with atomic_open(args.csv) as fh:
        fh.write(text.getvalue().encode())
    print(f"per-record table: {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
