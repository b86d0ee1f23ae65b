"""The quality index's scale, as ``heartbeat/signal_quality.py``'s docstring states it.

    PYTHONPATH=. python benchmarks/quality_scale.py --cache DIR0

From the per-record measures ``quality_auc.py measure`` caches (lead 0 of the 48
MIT-BIH records): the index :mod:`heartbeat.signal_quality` computes now, on the clean
segments of the first 5 minutes (median and 10th percentile) and on the segments
wholly under noise at 0 dB, both halves of each noise record (median per noise).
Segments that cannot be scored count as 0, as ``heartbeat.quality`` gives them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from _common import default_mitdb
from quality_auc import NOISES, SEG_S, SNRS, START_S, read_cache

from heartbeat.signal_quality import _combine


def index(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The library's index of each segment (0 where it cannot be scored)."""
    out = np.zeros(valid.shape)
    out[valid] = _combine(values[valid])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--mitdb", type=Path, default=default_mitdb())
    args = ap.parse_args()
    names = sorted(p.stem for p in args.mitdb.glob("*.hea"))
    data = read_cache(args.cache, names)
    first = int(START_S / SEG_S)  # segments wholly before the noise starts
    clean = np.concatenate([index(d["values"][0, 0, 0, :first], d["valid"][0, 0, 0, :first])
                            for d in data.values()])
    print(f"clean, first 5 min of {len(names)} records: {clean.size} segments, median "
          f"{np.median(clean):.3f}, 10th percentile {np.quantile(clean, 0.1):.3f}")
    zero = SNRS.index(0.0)
    for i, noise in enumerate(NOISES):
        on = np.concatenate([index(d["values"][i, h, zero], d["valid"][i, h, zero])[
            d["labels"][i, h, zero] == 0] for d in data.values() for h in (0, 1)])
        print(f"noise on at 0 dB, {noise}: {on.size} segments, median {np.median(on):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
