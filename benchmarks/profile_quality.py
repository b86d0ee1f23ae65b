"""Where the signal-quality step of ``classify`` spends its CPU time, function by function.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/profile_quality.py

``segment()`` (and so ``classify()``) runs the quality index with the robust detector's
peaks handed in (``signal_quality._quality(x, fs, seg, ctx, peaks)``); this script does
the same on lead 0 of the records of ``bench_classify.py``, the peaks found first and
not timed, the kernels compiled on the first record, then profiles one pass over all
records with ``cProfile`` on the process's CPU time.  It prints the total and the
functions with the largest own time (kernels by their loop's name, NumPy routines by
theirs).  Run it in an export of an older tree (``git archive OLD | tar -x -C DIR``,
this file copied in) for a before/after table: it uses only names both have.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from pathlib import Path

import numpy as np
from _common import default_mitdb

RECORDS = ("100", "103", "105", "119", "201", "208", "213", "222", "231", "233")


def main() -> None:
    import heartbeat
    from heartbeat.detect import detect_r_peaks
    from heartbeat.signal_quality import CONTEXT_S, SEGMENT_S, _quality

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=default_mitdb())
    ap.add_argument("--records", nargs="+", default=list(RECORDS))
    ap.add_argument("--top", type=int, default=18, help="functions to list")
    args = ap.parse_args()
    leads = []
    for name in args.records:
        rec = heartbeat.read_record(args.data_dir / name)
        x = np.ascontiguousarray(rec.signal[:, 0])
        seg, ctx = round(SEGMENT_S * rec.fs), round(CONTEXT_S * rec.fs)
        leads.append((x, rec.fs, seg, ctx, detect_r_peaks(x, rec.fs)))
    _quality(*leads[0])  # compile (or load) the kernels
    profile = cProfile.Profile(time.process_time)
    start = time.process_time()
    profile.enable()
    for lead in leads:
        _quality(*lead)
    profile.disable()
    seconds = time.process_time() - start
    print(f"_quality with the peaks handed in, {len(leads)} records: {seconds:.3f} CPU-s "
          f"(profiled)")
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(args.top)
    for line in out.getvalue().splitlines():
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[1].replace(".", "", 1).isdigit():
            where = parts[5].rsplit("/", 1)[-1]
            print(f"  {float(parts[1]):7.3f} s  {100 * float(parts[1]) / seconds:5.1f} %  "
                  f"{parts[0]:>5s} calls  {where}")


if __name__ == "__main__":
    main()
