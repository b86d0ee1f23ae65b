"""How the detector accepted its true and false beats on one lead, and what tells them apart.

    PYTHONPATH=. python benchmarks/lead1_decisions.py [--lead 1] [RECORD ...]

A look, not a change.  ``detect_r_peaks(..., backend="numpy")`` on one lead of the
MIT-BIH records, with the decision rule's accept step
(``heartbeat._decide_kernels._accept_qrs``, run as plain Python by the NumPy twin)
wrapped to note, for every accepted candidate: whether it came by search-back, its
height over the median of the QRS level buffer, its height over its local floor, the
time since the previous beat over the mean RR, and its slope over the previous beat's.
The peaks are matched one to one to every beat annotation within 150 ms (as
``bench_detect.py`` scores).  Printed: true and false beats by how they were accepted;
each measure's quantiles for both; how many true and false beats each single cut would
remove; and the false beats that sit within 0.4 s of a missed beat (a beat found at the
wrong place: one false and one missed), by the offset.  Nothing is written.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import default_mitdb

import heartbeat._decide_kernels as decide
from heartbeat.aami import is_beat
from heartbeat.datasets import RECORDS
from heartbeat.detect import detect_r_peaks
from heartbeat.io import read_annotations, read_record
from heartbeat.metrics import match_peaks

MEASURES = ("height / QRS level", "height / floor", "RR / mean RR", "slope / previous slope")
CUTS = {"height / QRS level": (0.2, 0.3, 0.5), "height / floor": (2.0, 2.5, 3.0),
        "RR / mean RR": (0.4, 0.5, 0.6), "slope / previous slope": (0.3, 0.4, 0.5)}


def accepted_log(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """(peaks, one row per accepted candidate: position, searched, and the measures)."""
    log = []
    accept = decide._accept_qrs

    def noted(pos, height, floor, slope, slope_sq, k, searched, scale, rule, buffers, out,
              count, last, *rest):
        qrs_level = float(np.median(buffers[decide.QRS]))
        rr_mean = float(buffers[decide.RR].mean())
        result = accept(pos, height, floor, slope, slope_sq, k, searched, scale, rule,
                        buffers, out, count, last, *rest)
        slope_k = result[2]  # the accepted beat's slope
        previous = log[-1][-1] if log else np.nan
        log.append((pos[k], searched, height[k] / qrs_level, height[k] / floor[k],
                    (pos[k] - last) / rr_mean if last >= 0 else np.nan,
                    slope_k / previous, slope_k))
        return result

    decide._accept_qrs = noted
    try:
        peaks = np.asarray(detect_r_peaks(x, fs, backend="numpy"))
    finally:
        decide._accept_qrs = accept
    return peaks, np.array(log, dtype=np.float64).reshape(-1, 7)


def record_rows(folder, name: str, lead: int) -> tuple[np.ndarray, np.ndarray]:
    """(per accepted peak: true?, searched?, the 4 measures; offsets of misplaced beats)."""
    rec = read_record(folder / name, channels=[lead])
    ann = read_annotations(folder / name)
    beats = ann.samples_at(rec.frame_fs)[is_beat(ann.symbol)]
    peaks, log = accepted_log(rec.signal[:, 0], rec.fs)
    matched, matched_beats = match_peaks(peaks, beats, 0.15 * rec.fs)
    true = np.zeros(peaks.size, dtype=bool)
    true[matched] = True
    # each output peak is its candidate refined by at most ~130 ms: the nearest log entry
    at = np.clip(np.searchsorted(log[:, 0], peaks), 1, len(log) - 1)
    at -= np.abs(log[at - 1, 0] - peaks) <= np.abs(log[at, 0] - peaks)
    rows = np.column_stack([true, log[at, 1], log[at, 2:6]])
    false = peaks[~true]
    missed = np.setdiff1d(np.arange(beats.size), matched_beats)
    offsets = []
    for j in missed:
        d = false - beats[j]
        if d.size and np.abs(d).min() < 0.4 * rec.fs:
            offsets.append(d[np.abs(d).argmin()] / rec.fs)
    return rows, np.asarray(offsets)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", nargs="*", default=list(RECORDS))
    parser.add_argument("--lead", type=int, default=1)
    args = parser.parse_args(argv)
    folder = default_mitdb()
    parts = [record_rows(folder, name, args.lead) for name in args.records]
    rows = np.concatenate([p[0] for p in parts])
    offsets = np.concatenate([p[1] for p in parts])
    true, searched = rows[:, 0] == 1, rows[:, 1] == 1
    print(f"lead {args.lead}, {len(args.records)} records: {true.sum()} true and "
          f"{(~true).sum()} false beats; by search-back {int((searched & true).sum())} true, "
          f"{int((searched & ~true).sum())} false; directly {int((~searched & true).sum())} "
          f"true, {int((~searched & ~true).sum())} false")
    quantiles = (0.1, 0.25, 0.5, 0.75, 0.9)
    for i, name in enumerate(MEASURES):
        v = rows[:, 2 + i]
        q_true = np.round(np.nanquantile(v[true], quantiles), 2)
        q_false = np.round(np.nanquantile(v[~true], quantiles), 2)
        print(f"{name}: quantiles {quantiles} true {q_true} false {q_false}")
        for cut in CUTS[name]:
            below = v < cut
            print(f"  below {cut:g}: {int((below & true).sum())} true, "
                  f"{int((below & ~true).sum())} false")
    edges = (-0.4, -0.3, -0.2, -0.15, 0.15, 0.2, 0.3, 0.4)
    counts = np.histogram(offsets, bins=edges)[0]
    print(f"missed beats with a false one within 0.4 s: {offsets.size}; false minus "
          f"missed, seconds, per interval of {edges}: {counts.tolist()}")


if __name__ == "__main__":
    main()
