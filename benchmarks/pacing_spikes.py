"""Do MIT-BIH's paced beats carry a pacemaker spike that other beats do not?

    PYTHONPATH=. python benchmarks/pacing_spikes.py [--records 102 104 107 217 100 ...]

A look, not a change.  The default model (trained with the Q class, whose MIT-BIH
beats are nearly all paced) calls most beats of some non-paced leads Q (PTB lead aVL:
docs/results.md, "Recordings from other databases"), and the Q step that would clear
them costs paced beats (section 5).  A paced beat is preceded by the pacemaker's
stimulus, a pulse of a few milliseconds that the recorder's filters leave as a spike;
a rule that allows Q only after such a spike would rest on the physiology, not on the
network.  Here, per record and lead at the record's own rate (360 Hz), each annotated
beat's spike score: the largest absolute second difference of the signal from 120 ms
before to 20 ms after the annotated R peak, over the beat's peak-to-peak amplitude from
120 ms before to 120 ms after it.  Printed: the 10th, 50th and 90th percentiles of the
score for paced beats (``/`` and ``f``) and for all other beats, and the share of each
above a few thresholds over all records.  Nothing is written.  Only MIT-BIH's four
paced records hold paced beats, all of them in the default model's training set.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import default_mitdb

from heartbeat.aami import is_beat
from heartbeat.datasets import RECORDS
from heartbeat.io import read_annotations, read_record

PACED = ("/", "f")
BEFORE_S, AFTER_S, SPAN_S = 0.12, 0.02, 0.12
THRESHOLDS = (0.1, 0.15, 0.2, 0.3)


def spike_scores(x: np.ndarray, fs: float, peaks: np.ndarray) -> np.ndarray:
    """Each beat's largest |second difference| near its onset over its peak-to-peak."""
    d2 = np.abs(np.diff(x, 2))
    before, after, span = (round(s * fs) for s in (BEFORE_S, AFTER_S, SPAN_S))
    out = np.empty(peaks.size)
    for i, p in enumerate(peaks):
        lo, hi = max(0, p - before), min(d2.size, p + after)
        ptp = np.ptp(x[max(0, p - span): min(x.size, p + span)])
        out[i] = d2[lo:hi].max() / ptp if hi > lo and ptp > 0 else 0.0
    return out


def record_scores(folder, name: str, lead: int) -> tuple[np.ndarray, np.ndarray]:
    """(spike scores, paced?) of every annotated beat of one record's lead."""
    rec = read_record(folder / name, channels=[lead])
    ann = read_annotations(folder / name)
    beat = is_beat(ann.symbol)
    peaks = ann.samples_at(rec.frame_fs)[beat]
    paced = np.isin(np.asarray(ann.symbol)[beat], PACED)
    return spike_scores(rec.signal[:, 0].astype(np.float64), float(rec.fs), peaks), paced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", nargs="+", default=list(RECORDS))
    args = parser.parse_args()
    folder = default_mitdb()
    for lead in (0, 1):
        pooled = {True: [], False: []}
        for name in args.records:
            score, paced = record_scores(folder, name, lead)
            for kind in (True, False):
                pooled[kind].append(score[paced == kind])
            if paced.any():
                print(f"{name} lead {lead}: paced {paced.sum()} beats, percentiles 10/50/90 "
                      f"{np.round(np.quantile(score[paced], [.1, .5, .9]), 3).tolist()}; "
                      f"other {np.count_nonzero(~paced)} "
                      f"{np.round(np.quantile(score[~paced], [.1, .5, .9]), 3).tolist()}"
                      if (~paced).any() else "")
        for kind, label in ((True, "paced beats"), (False, "other beats")):
            s = np.concatenate(pooled[kind])
            if s.size == 0:
                continue
            above = ", ".join(f"{100 * np.mean(s > t):.2f} % above {t}" for t in THRESHOLDS)
            print(f"lead {lead}, {label} of {len(args.records)} records ({s.size}): "
                  f"percentiles 10/50/90 {np.round(np.quantile(s, [.1, .5, .9]), 3).tolist()}; "
                  f"{above}")


if __name__ == "__main__":
    main()
