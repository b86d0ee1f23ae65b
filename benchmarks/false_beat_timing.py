"""When do the detector's false beats come, counted from the true beat before them?

    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/false_beat_timing.py

A look, not a change.  `detect_r_peaks` on each lead of the 48 MIT-BIH records, its
peaks matched one to one to every beat annotation within 150 ms (as
``bench_detect.py`` scores); each false beat (a peak no annotation matches) is placed
by the time since the previous matched peak.  Printed per lead: the number of false
beats in each interval of :data:`EDGES` (seconds), so that a rule about T waves (150-
500 ms after a QRS) or P waves can be weighed against where the false beats are.
Nothing is written.
"""

from __future__ import annotations

import itertools

import numpy as np
from _common import default_mitdb

from heartbeat.aami import is_beat
from heartbeat.datasets import RECORDS
from heartbeat.detect import detect_r_peaks
from heartbeat.io import read_annotations, read_record
from heartbeat.metrics import match_peaks

EDGES = (0.0, 0.15, 0.25, 0.30, 0.36, 0.42, 0.48, 0.60, 1.0, np.inf)


def false_beat_delays(folder, name: str, lead: int) -> np.ndarray:
    """Seconds from the previous matched peak to each false beat of one lead-record
    (false beats before the first matched peak are left out)."""
    rec = read_record(folder / name, channels=[lead])
    ann = read_annotations(folder / name)
    beats = ann.samples_at(rec.frame_fs)[is_beat(ann.symbol)]
    peaks = np.asarray(detect_r_peaks(rec.signal[:, 0], rec.fs))
    matched, _ = match_peaks(peaks, beats, 0.15 * rec.fs)
    true = np.sort(peaks[matched])
    false = peaks[np.setdiff1d(np.arange(peaks.size), matched)]
    before = np.searchsorted(true, false) - 1
    keep = before >= 0
    return (false[keep] - true[before[keep]]) / rec.fs


def main() -> None:
    folder = default_mitdb()
    labels = [f"{a:g}-{b:g} s" for a, b in itertools.pairwise(EDGES)]
    for lead in (0, 1):
        delays = np.concatenate([false_beat_delays(folder, name, lead) for name in RECORDS])
        counts = np.histogram(delays, bins=EDGES)[0]
        cells = ", ".join(f"{label}: {int(n)}" for label, n in zip(labels, counts, strict=True))
        print(f"lead {lead}: {delays.size} false beats after a true one; {cells}")


if __name__ == "__main__":
    main()
