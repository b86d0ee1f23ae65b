"""Does a detection's shape, against the recording's other detections, tell false beats?

    PYTHONPATH=. python benchmarks/lead1_shapes.py [--lead 1] [--k 5]

A look, not a change (issue 14: ``lead1_decisions.py`` found the decision rule's own
measures used up on lead 1 and named a candidate's shape against the recording's beats
as the measure still untried).  ``detect_r_peaks`` on one lead of the 48 MIT-BIH
records; each detection matched one to one to the beat annotations within 150 ms (as
``bench_detect.py`` scores).  For each detection: its window from 60 ms before to 100 ms
after the peak (mean removed); its **isolation**, the Euclidean distance to its `k`-th
nearest other detection of the record over the record's median of that distance; and
its **size**, the window's RMS over the record's median.  Printed: both measures'
quantiles for the true and the false beats, and how many of each a cut would remove.
Nothing is written.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import default_mitdb
from bench_detect import load

from heartbeat.datasets import RECORDS
from heartbeat.detect import detect_r_peaks
from heartbeat.metrics import match_peaks

QUANTILES = (10, 25, 50, 75, 90)


def measures(x: np.ndarray, fs: float, reference: np.ndarray, k: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(true?, isolation, size) of each detection on `x` whose window fits."""
    peaks = detect_r_peaks(x, fs)
    det, _ = match_peaks(peaks, reference, round(0.15 * fs))
    true = np.zeros(len(peaks), dtype=bool)
    true[det] = True
    before, after = round(0.06 * fs), round(0.10 * fs)
    fits = (peaks >= before) & (peaks + after < len(x))
    windows = x[peaks[fits][:, None] + np.arange(-before, after)[None, :]]
    windows = windows - windows.mean(axis=1, keepdims=True)
    sq = np.einsum("ij,ij->i", windows, windows)
    dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * windows @ windows.T, 0.0))
    np.fill_diagonal(dist, np.inf)
    kth = np.partition(dist, k - 1, axis=1)[:, k - 1]
    size = np.sqrt(sq)
    return true[fits], kth / np.median(kth), size / np.median(size)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lead", default="1", choices=("0", "1"))
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args(argv)
    parts = [measures(*load(default_mitdb(), name, args.lead), args.k) for name in RECORDS]
    true, isolation, size = (np.concatenate(p) for p in zip(*parts, strict=True))
    print(f"lead {args.lead}: {np.count_nonzero(true)} true and {np.count_nonzero(~true)} "
          f"false detections (k = {args.k}); quantiles {QUANTILES} %")
    for name, value in (("isolation", isolation), ("size", size)):
        print(f"  {name}: true {np.percentile(value[true], QUANTILES).round(2).tolist()}, "
              f"false {np.percentile(value[~true], QUANTILES).round(2).tolist()}")
    cuts = [(f"isolation > {c:g}", isolation > c) for c in (1.5, 2, 3, 4)]
    cuts += [(f"size < {s:g} and isolation > {c:g}", (size < s) & (isolation > c))
             for s in (0.3, 0.5) for c in (1.5, 2)]
    for label, cut in cuts:
        print(f"  {label}: removes {np.count_nonzero(true & cut)} true, "
              f"{np.count_nonzero(~true & cut)} false")


if __name__ == "__main__":
    main()
