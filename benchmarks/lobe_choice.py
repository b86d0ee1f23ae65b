"""Where the R peak would sit on lead 1 with a lobe choice other than the detector's.

    PYTHONPATH=. python benchmarks/lobe_choice.py --rule first   # or --rule majority

A look, not a change: the detector places each R peak on the largest deflection of the
band-passed signal within 100 ms (then the raw extremum of that sign within 30 ms), and on
lead 1 it moves between two lobes of nearly equal size (docs/results.md, "Other sampling
rates, and where the beat is cut").  Each detected peak of lead 1 of the 48 records is
moved to the lobe another rule picks, on the detector's own band-passed signal
(``heartbeat.detect._lead_stages``):

* ``first``: the first local maximum of the absolute band-passed signal reaching
  ``--frac`` of the window's largest;
* ``majority``: the largest lobe of the sign most peaks of the recording take, if it
  reaches ``--frac`` of the window's largest.

Printed per record and as means over the records: the median distance to the annotated
beat and the share beyond 40 ms, with the detector's lobe and with the rule's, and the
share of peaks that move more than 50 ms between 360 Hz and the signal resampled to
250 Hz.  Nothing is written.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import default_mitdb, nearest

from heartbeat import io as wfdb
from heartbeat.aami import is_beat
from heartbeat.detect import _lead_stages, detect_r_peaks
from heartbeat.resample import resample


def moved(x: np.ndarray, fs: float, peaks: np.ndarray, rule: str, frac: float) -> np.ndarray:
    """`peaks` moved to the lobe `rule` picks, refined to the raw extremum of its sign."""
    bp = _lead_stages(x, fs, "numba")[3]  # the detector's band-pass (polarity kept)
    size, half, refine = np.abs(bp), round(0.1 * fs), round(0.03 * fs)
    spans = [(max(1, p - half), min(x.size - 1, p + half)) for p in peaks]
    major = 1.0 if sum(np.sign(bp[lo + np.argmax(size[lo:hi])]) for lo, hi in spans
                       if hi - lo > 2) >= 0 else -1.0
    out = peaks.copy()
    for i, (lo, hi) in enumerate(spans):
        seg = size[lo:hi]
        if seg.size < 3:
            continue
        if rule == "first":
            tops = np.flatnonzero((seg[1:-1] >= seg[:-2]) & (seg[1:-1] >= seg[2:])
                                  & (seg[1:-1] >= frac * seg.max())) + 1
            k = lo + (tops[0] if tops.size else seg.argmax())
        else:
            same = np.where(np.sign(bp[lo:hi]) == major, seg, 0.0)
            k = lo + (same.argmax() if same.max() >= frac * seg.max() else seg.argmax())
        sign = np.sign(bp[k]) or 1.0
        a, b = max(0, k - refine), min(x.size, k + refine + 1)
        out[i] = a + np.argmax(sign * x[a:b])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rule", choices=("first", "majority"), default="first")
    parser.add_argument("--frac", type=float, default=0.5)
    args = parser.parse_args()
    rows = []
    for name in sorted(p.stem for p in default_mitdb().glob("*.hea")):
        rec = wfdb.read_record(default_mitdb() / name)
        fs = float(rec.fs)
        ann = wfdb.read_annotations(default_mitdb() / name, "atr")
        ref = np.asarray(ann.sample)[is_beat(ann.symbol)]
        x = np.ascontiguousarray(np.asarray(rec.signal, dtype=float)[:, 1])
        x250 = resample(x, fs, 250.0)
        found = {"detector": detect_r_peaks(x, fs)}
        found["rule"] = moved(x, fs, found["detector"], args.rule, args.frac)
        at250 = detect_r_peaks(x250, 250.0)
        back = {"detector": at250, "rule": moved(x250, 250.0, at250, args.rule, args.frac)}
        row = []
        for key in ("detector", "rule"):
            off = (found[key] - ref[nearest(ref, found[key])]) / fs * 1000
            off = off[np.abs(off) < 150]
            again = np.round(back[key] * fs / 250.0).astype(np.int64)
            jump = np.abs(again - found[key][nearest(found[key], again)]) / fs * 1000 > 50
            row += [float(np.median(off)), float(np.mean(np.abs(off) > 40)), float(jump.mean())]
        rows.append(row)
        print(f"{name}: median offset {row[0]:+.1f} -> {row[3]:+.1f} ms, beyond 40 ms "
              f"{100 * row[1]:.1f} -> {100 * row[4]:.1f} %, moved between 360 and 250 Hz "
              f"{100 * row[2]:.1f} -> {100 * row[5]:.1f} %", flush=True)
    mean = 100 * np.mean(rows, axis=0)
    print(f"mean over the records: beyond 40 ms {mean[1]:.2f} -> {mean[4]:.2f} %, moved "
          f"between rates {mean[2]:.2f} -> {mean[5]:.2f} %")


if __name__ == "__main__":
    main()
