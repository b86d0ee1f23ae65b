"""Does ``classify()`` say the same at other sampling rates?  MIT-BIH resampled, no labels.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. nice -n 5 python benchmarks/classify_rates.py

Each lead of each MIT-BIH record is classified as a user would (``heartbeat.classify``,
the default model or ``--model NAME``, default adaptation) at 360 Hz and resampled
(:func:`heartbeat.resample.resample`) to each of :data:`RATES`.  A beat found at a rate
is paired with the nearest 360 Hz beat within 50 ms; reported per lead and rate: the
share of paired beats given the same label (``?`` for a rejected beat counts as a
label), the share of 360 Hz beats left unpaired, and the share of beats labelled S, V
or F at each rate.  The annotations are not read: this measures how much the answer
depends on the sampling rate, not whether it is right.  Results in
``benchmarks/results/classify_rates.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from _common import REPO, default_mitdb, nearest

import heartbeat
from heartbeat._atomic import atomic_open
from heartbeat.resample import resample

RATES = (128.0, 250.0, 500.0)
PAIR_S = 0.05
ABNORMAL = ("S", "V", "F")


def paired(reference: np.ndarray, peaks: np.ndarray, tolerance: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """Index into `reference` of each peak's nearest beat, and whether it is close enough."""
    index = nearest(reference, peaks)
    return index, np.abs(reference[index] - peaks) <= tolerance


def compare(x: np.ndarray, fs: float, model: str | None) -> dict:
    """Counts for one lead: per rate, paired, agreeing, unpaired, abnormal and beats."""
    kwargs = {} if model is None else {"model": model}
    base = heartbeat.classify(x, fs, **kwargs)
    ref_peaks, ref_labels = base.beats.r_peaks, np.asarray(base.labels)
    out = {"360": {"beats": int(ref_labels.size),
                   "abnormal": int(np.isin(ref_labels, ABNORMAL).sum())}}
    for rate in RATES:
        got = heartbeat.classify(resample(x, fs, rate), rate, **kwargs)
        labels = np.asarray(got.labels)
        peaks = np.round(got.beats.r_peaks * fs / rate).astype(np.int64)
        index, close = paired(ref_peaks, peaks, PAIR_S * fs)
        out[f"{rate:g}"] = {
            "beats": int(labels.size), "paired": int(close.sum()),
            "agree": int((ref_labels[index[close]] == labels[close]).sum()),
            "unpaired_reference": int(ref_labels.size - np.unique(index[close]).size),
            "abnormal": int(np.isin(labels, ABNORMAL).sum()),
        }
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--records", nargs="+", help="a subset of records")
    parser.add_argument("--model", help="a model name for heartbeat.classify (default: its own)")
    parser.add_argument("--out", type=Path,
                        default=REPO / "benchmarks" / "results" / "classify_rates.json")
    args = parser.parse_args(argv)
    names = args.records or (args.data / "RECORDS").read_text().split()
    rows, total = {}, {}
    for name, lead in itertools.product(names, (0, 1)):
        record = heartbeat.read_record(args.data / name)
        x = np.ascontiguousarray(record.signal[:, lead], dtype=np.float64)
        rows[f"{name}/{lead}"] = counts = compare(x, float(record.fs), args.model)
        for rate, c in counts.items():
            t = total.setdefault(f"lead{lead} {rate}", {})
            for k, v in c.items():
                t[k] = t.get(k, 0) + v
        print(name, lead, {r: round(c["agree"] / max(1, c["paired"]), 4)
                           for r, c in counts.items() if "agree" in c}, flush=True)
    for key, t in total.items():
        line = f"{key} Hz: beats {t['beats']}, abnormal {100 * t['abnormal'] / t['beats']:.2f} %"
        if "agree" in t:
            line += (f", same label {100 * t['agree'] / t['paired']:.2f} % of "
                     f"{t['paired']} paired, 360 Hz beats unpaired "
                     f"{t['unpaired_reference']}")
        print(line)
    with atomic_open(args.out) as fh:
        fh.write(json.dumps({"model": args.model, "rates": RATES, "total": total,
                             "rows": rows}, indent=1).encode())


if __name__ == "__main__":
    main()
