"""Size and build time of the HTML report page of each MIT-BIH record (30 min each).

    PYTHONPATH=. python benchmarks/bench_report.py
    PYTHONPATH=. python benchmarks/bench_report.py --records 100 208

Data: ``$HEARTBEAT_DATA/mitdb`` or ``../shared/data/mitdb`` beside the repository.
Per record (channel 0): ``classify`` with the shipped ``mitbih-all`` model (timed
apart), then :func:`heartbeat.report.report_html` (timed: trace resampling and
encoding, SVG, JSON).  Reports the page size, the part of it that is the stored trace
(125 Hz, 16 bits, base64) and the beat count; writes
``benchmarks/results/bench_report.csv``.  Goal: a 30-minute record's page under 5 MB.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import REPO, default_mitdb, pin_one_core

from heartbeat._atomic import atomic_open
from heartbeat.classifier import BeatClassifier, classify
from heartbeat.datasets import RECORDS
from heartbeat.io import read_record
from heartbeat.report import report_html
from heartbeat.report.trace import trace


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", nargs="+", default=list(RECORDS))
    parser.add_argument("--data-dir", default=str(default_mitdb()))
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, NumPy {np.__version__}; {pin_one_core()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    clf = BeatClassifier.pretrained("mitbih-all")
    rows = []
    for name in args.records:
        rec = read_record(f"{args.data_dir}/{name}", channels=[0])
        x, fs = np.ascontiguousarray(rec.signal[:, 0]), float(rec.fs)
        start = time.perf_counter()
        result = classify(x, fs, model=clf)
        t_classify = time.perf_counter() - start
        start = time.perf_counter()
        page = report_html(x, fs, result, title=name)
        t_page = time.perf_counter() - start
        size = len(page.encode("utf-8"))
        trace_bytes = len(trace(x, fs).data)
        rows.append([name, len(result), round(x.size / fs / 60, 2), size, trace_bytes,
                     round(t_classify, 3), round(t_page, 3)])
        print(f"{name}: {len(result):5d} beats, page {size / 1e6:.2f} MB (trace "
              f"{trace_bytes / 1e6:.2f} MB), classify {t_classify:.2f} s, page "
              f"{t_page:.2f} s", flush=True)
    sizes = np.array([r[3] for r in rows])
    print(f"pages: {sizes.min() / 1e6:.2f}-{sizes.max() / 1e6:.2f} MB (largest "
          f"{rows[int(sizes.argmax())][0]}); page build median "
          f"{np.median([r[6] for r in rows]):.2f} s; load average {os.getloadavg()[0]:.2f}")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["record", "beats", "minutes", "page_bytes", "trace_bytes",
                     "classify_s", "page_s"])
    writer.writerows(rows)
    out = REPO / "benchmarks" / "results" / "bench_report.csv"
    with atomic_open(out) as fh:
        fh.write(buf.getvalue().encode())
    print(f"written {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
