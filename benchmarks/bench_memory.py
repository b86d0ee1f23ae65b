"""Peak extra memory of the public entries on a long recording, over the signal's size.

    PYTHONPATH=. python benchmarks/bench_memory.py [--records N]

Lead 0 of the first N MIT-BIH records (default 8: 4 hours at 360 Hz) joined into one
recording, as a Holter file would give it.  Each of ``detect_r_peaks``, ``quality``,
``segment`` and ``classify`` runs once (after a short warm-up, so no compilation is
counted) under ``tracemalloc``; its peak is printed in MB and as a multiple of the
signal's own size (float64).  NumPy reports its buffers to ``tracemalloc``; the compiled
kernels allocate through NumPy too, so the figures hold all large arrays.  Nothing is
written.
"""

from __future__ import annotations

import argparse
import os
import tracemalloc

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import default_mitdb

import heartbeat
from heartbeat.datasets import RECORDS


def peak_bytes(func) -> int:
    """Peak bytes ``tracemalloc`` sees while `func` runs."""
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=8, help="records joined (1-48)")
    args = parser.parse_args(argv)
    folder = default_mitdb()
    x = np.concatenate([heartbeat.read_record(folder / name, channels=[0]).signal[:, 0]
                        for name in RECORDS[: args.records]])
    fs = 360.0
    heartbeat.classify(x[: int(60 * fs)], fs)  # compile or load the kernels first
    size = x.nbytes
    print(f"{args.records} records, {x.size / fs / 3600:.1f} h, signal {size / 1e6:.0f} MB")
    entries = {"detect_r_peaks": lambda: heartbeat.detect_r_peaks(x, fs),
               "quality": lambda: heartbeat.quality(x, fs),
               "segment": lambda: heartbeat.segment(x, fs),
               "classify": lambda: heartbeat.classify(x, fs)}
    for name, func in entries.items():
        peak = peak_bytes(func)
        print(f"{name}: peak {peak / 1e6:.0f} MB, {peak / size:.1f} x the signal")


if __name__ == "__main__":
    main()
