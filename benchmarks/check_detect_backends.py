"""Check that the NumPy-only detector finds the same R peaks as the Numba one, everywhere.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/check_detect_backends.py
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/check_detect_backends.py --records 100 208

For each MIT-BIH record (all 48 by default) and each lead alone, then both leads
together as ``(n_samples, 2)``, ``detect_r_peaks(x, fs, backend="numba")`` and
``backend="numpy"`` must return equal arrays.  ``tests/test_detect_stages.py`` holds
each kernel to its twin on random and excerpted signals; this runs the whole detector on
whole records, where rare branches (long pauses, noise, flutter) occur.  Prints one line
per record and a summary; exits with status 1 at the first difference, naming it.  The
NumPy path runs at about 1 Msample/s (its decision rule is a Python loop), so the 48
records take a few minutes of CPU.

A change meant to keep every peak (a speed-up) is checked against the tree before it:
``--save peaks.npz`` keeps this tree's peaks (one array per record and input), and
``--against peaks.npz``, run in the other tree (this script copied there), compares its
peaks with them too::

    git archive main | tar -x -C /tmp/before   # the tree before the change
    cd /tmp/before && cp "$OLDPWD/benchmarks/check_detect_backends.py" benchmarks/
    PYTHONPATH=. python benchmarks/check_detect_backends.py --save /tmp/before.npz
    cd "$OLDPWD" && PYTHONPATH=. python benchmarks/check_detect_backends.py \
        --against /tmp/before.npz
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import REPO, default_mitdb, pin_one_core

sys.path.insert(0, str(REPO))

from heartbeat.detect import detect_r_peaks
from heartbeat.io import read_record

RECORDS = (
    "100 101 102 103 104 105 106 107 108 109 111 112 113 114 115 116 117 118 119 121 122 "
    "123 124 200 201 202 203 205 207 208 209 210 212 213 214 215 217 219 220 221 222 223 "
    "228 230 231 232 233 234"
).split()


def main() -> int:
    """Compare the two backends on every record asked for; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(default_mitdb()))
    parser.add_argument("--records", nargs="+", default=RECORDS)
    parser.add_argument("--save", help="write the peaks to this .npz file")
    parser.add_argument("--against", help="an .npz of --save from another tree: the peaks "
                        "must equal its own")
    args = parser.parse_args()
    before = np.load(args.against) if args.against else None
    saved = {}
    print(pin_one_core())
    start = time.process_time()
    n_peaks = 0
    for name in args.records:
        record = read_record(os.path.join(args.data_dir, name))
        signal = np.asarray(record.signal, dtype=np.float64)
        counts = []
        for lead, x in (("0", signal[:, 0]), ("1", signal[:, 1]), ("both", signal)):
            fast = detect_r_peaks(x, record.fs, backend="numba")
            plain = detect_r_peaks(x, record.fs, backend="numpy")
            if not np.array_equal(fast, plain):
                print(f"record {name}, lead {lead}: the backends differ ({fast.size} vs "
                      f"{plain.size} peaks)")
                return 1
            key = f"{name}_{lead}"
            if before is not None and not np.array_equal(fast, before[key]):
                print(f"record {name}, lead {lead}: the peaks differ from {args.against} "
                      f"({fast.size} vs {before[key].size} peaks)")
                return 1
            saved[key] = fast
            counts.append(fast.size)
            n_peaks += fast.size
        print(f"{name}: identical (peaks: lead 0 {counts[0]}, lead 1 {counts[1]}, both "
              f"{counts[2]})", flush=True)
    against = f" and equal to {args.against}" if args.against else ""
    print(f"all {len(args.records)} records, 3 inputs each: identical{against}, {n_peaks} "
          f"peaks ({time.process_time() - start:.0f} CPU s)")
    if args.save:
        np.savez(args.save, **saved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
