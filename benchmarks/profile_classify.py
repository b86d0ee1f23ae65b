"""Where one ``classify`` call per record spends its CPU time, function by function.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/profile_classify.py

Lead 0 of each record of ``bench_classify.py`` is read first (not timed), one
``heartbeat.classify(signal, fs)`` on a 10 s excerpt loads the default model and the
kernels, then one pass of ``heartbeat.classify(signal, fs)`` over every record (the
default model named by nothing, default settings, as a user calls it) runs under
``cProfile`` on the process's CPU time.  Printed: the unprofiled CPU time of the same
pass (profiling adds Python overhead per call), then the functions with the largest
cumulative time inside the library (the steps), then those with the largest own time
(kernels by their loop's name, NumPy routines by theirs), each above ``--min-share``
per cent of the profiled total.  Run it in an export of an older tree (``git archive
OLD | tar -x -C DIR``, this file copied in) for a before/after table.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from _common import default_mitdb, pin_one_core

RECORDS = ("100", "103", "105", "119", "201", "208", "213", "222", "231", "233")


def _rows(profile: cProfile.Profile, key: str, total: float, min_share: float,
          library_only: bool) -> list[str]:
    """The lines of `profile` sorted by `key`, above `min_share` % of `total`."""
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(key).print_stats(200)
    column = 3 if key == "cumulative" else 1
    rows = []
    for line in out.getvalue().splitlines():
        parts = line.split(None, 5)
        if len(parts) != 6 or not parts[column].replace(".", "", 1).isdigit():
            continue
        seconds = float(parts[column])
        if 100 * seconds / total < min_share:
            break
        where = parts[5]
        if library_only and "heartbeat/" not in where:
            continue
        where = where.split("heartbeat/", 1)[-1] if "heartbeat/" in where else where
        rows.append(f"  {seconds:7.3f} s  {100 * seconds / total:5.1f} %  "
                    f"{parts[0]:>6s} calls  {where}")
    return rows


def main() -> None:
    import heartbeat

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=default_mitdb())
    ap.add_argument("--records", nargs="+", default=list(RECORDS))
    ap.add_argument("--min-share", type=float, default=2.0,
                    help="list functions above this per cent of the total")
    args = ap.parse_args()
    print(pin_one_core(), f"load {os.getloadavg()[0]:.2f}")
    leads = []
    for name in args.records:
        rec = heartbeat.read_record(args.data_dir / name)
        leads.append((np.ascontiguousarray(rec.signal[:, 0]), rec.fs))
    heartbeat.classify(leads[0][0][: int(10 * leads[0][1])], leads[0][1])  # load, compile
    start, n_beats = time.process_time(), 0
    for x, fs in leads:
        n_beats += len(heartbeat.classify(x, fs))
    plain = time.process_time() - start
    profile = cProfile.Profile(time.process_time)
    start = time.process_time()
    profile.enable()
    for x, fs in leads:
        heartbeat.classify(x, fs)
    profile.disable()
    total = time.process_time() - start
    print(f"classify, {len(leads)} records, {n_beats} beats: {plain:.3f} CPU-s unprofiled "
          f"({n_beats / plain:,.0f} beats per CPU-second), {total:.3f} CPU-s profiled")
    print(f"cumulative time, library functions above {args.min_share} %:")
    print("\n".join(_rows(profile, "cumulative", total, args.min_share, True)))
    print(f"own time, all functions above {args.min_share} %:")
    print("\n".join(_rows(profile, "tottime", total, args.min_share, False)))
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
