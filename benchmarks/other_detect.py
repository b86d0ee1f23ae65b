"""R-peak detection on recordings from other databases: before and after the high band.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice -n 10 python benchmarks/other_detect.py

Two records of ``wfdb-samples/`` (see ``shared/data/README.md``):

* ``v102s`` (PhysioNet/CinC Challenge 2015, ICU, 250 Hz, 5 min), leads II and V.  It
  has no beat annotations.  The reference is the *consensus of two other detectors on
  lead V*: the beats where SleepECG's and NeuroKit2's detections on lead V agree
  within 150 ms (one to one), at SleepECG's index (on lead V NeuroKit2 sometimes
  marks a beat ~100 ms before its QRS; SleepECG marks the QRS).  heartbeat takes no part in
  it, so SleepECG's and NeuroKit2's own lead-V figures are flattered by it and
  heartbeat's are not.  The few NaN samples are interpolated linearly.
* ``03700181`` (MIMIC, MCL1 at 500 Hz after expanding its 4 samples per frame, 10 min):
  scored against ``03700181.gqrsh``, the QRS annotations of PhysioNet's ``gqrs``
  detector (a machine's, not a cardiologist's).

For each lead: heartbeat in the standard band only (``before``: the high band's
switch off, ``_detect_bands.TRY_BELOW = 0``), heartbeat as shipped (``after``),
SleepECG and NeuroKit2 (as ``benchmarks/bench_detect.py`` calls them), scored with
:func:`heartbeat.metrics.detection_scores` (150 ms, one to one).  ``cpu ms`` is the
process CPU time of one detection after a warm-up call (Numba compiled).  Per lead,
``high band`` says whether the shipped detector chose it (a property of the lead,
repeated on each detector's row), and a line before the table gives the median
quality (envelope over floor) of each band's beats.  Rows go to
``benchmarks/results/other_detect.csv``.

``--mitdb-cost`` instead measures what the high band costs on MIT-BIH: the process
CPU time of one pass over the 48 records (lead 0, lead 1, both leads), the switch off
and on alternating record by record, after a warm-up call.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import time
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import REPO, data_root
from bench_detect import peer_detectors

from heartbeat import _detect_bands as bands
from heartbeat import detect
from heartbeat._atomic import atomic_open
from heartbeat.io import read_annotations, read_record
from heartbeat.metrics import detection_scores, match_peaks


def interpolate_nan(x: np.ndarray) -> np.ndarray:
    """`x` with NaN samples replaced by linear interpolation (per column)."""
    x = np.array(x, dtype=np.float64)
    for column in x.reshape(x.shape[0], -1).T:
        bad = np.isnan(column)
        if bad.any():
            column[bad] = np.interp(np.flatnonzero(bad), np.flatnonzero(~bad), column[~bad])
    return x


def consensus(a: np.ndarray, b: np.ndarray, fs: float) -> np.ndarray:
    """The beats of `a` that one of `b` matches (one to one, within 150 ms)."""
    a, b = np.sort(np.asarray(a, np.int64)), np.sort(np.asarray(b, np.int64))
    return np.sort(a[match_peaks(a, b, 0.15 * fs)[0]])


@contextmanager
def standard_band_only():
    """Switch the high band off for a while (the detector as it was before it)."""
    saved = bands.TRY_BELOW
    bands.TRY_BELOW = 0.0
    try:
        yield
    finally:
        bands.TRY_BELOW = saved


def band_qualities(x: np.ndarray, fs: float) -> tuple[float, float]:
    """The median quality of the standard band's and of the high band's beats."""
    x = np.ascontiguousarray(x)
    standard = detect._detect_lead(x, fs, "numba")
    high = bands.detect_high(x, fs, "numba", detect._detect_lead)
    return bands.median_quality(standard), bands.median_quality(high)


def timed(detector, x: np.ndarray, fs: float) -> tuple[np.ndarray, float]:
    """The detections and the CPU ms of one call, after a warm-up call."""
    detector(x, fs)
    start = time.process_time()
    peaks = np.asarray(detector(x, fs), dtype=np.int64)
    return peaks, 1000 * (time.process_time() - start)


def before(x: np.ndarray, fs: float) -> np.ndarray:
    """The detector with the high band's switch off."""
    with standard_band_only():
        return detect.detect_r_peaks(x, fs)


def detectors() -> dict:
    out = {"heartbeat before (standard band)": before,
           "heartbeat after (high band switch)": detect.detect_r_peaks}
    out.update(peer_detectors()[0])
    return out


def leads(samples: Path) -> list[tuple[str, str, np.ndarray, float, np.ndarray | None]]:
    """(record, lead, signal, fs, reference or None for the v102s consensus)."""
    v102s = read_record(samples / "v102s", channels=["II", "V"])
    x = interpolate_nan(v102s.signal)
    mimic = read_record(samples / "03700181", channels=["MCL1"], expand_frames=True)
    gqrs = read_annotations(samples / "03700181", "gqrsh")
    y = interpolate_nan(mimic.signal)[:, 0]
    return [("v102s", "II", x[:, 0], float(v102s.fs), None),
            ("v102s", "V", x[:, 1], float(v102s.fs), None),
            ("03700181", "MCL1", y, float(mimic.fs), np.asarray(gqrs.sample, np.int64))]


def mitdb_cost(mitdb: Path) -> None:
    """Print the CPU seconds of a pass over MIT-BIH, the high band's switch off and on."""
    names = (mitdb / "RECORDS").read_text().split()
    signals = [np.asarray(read_record(mitdb / name).signal, np.float64) for name in names]
    detect.detect_r_peaks(signals[0], 360.0)  # compiled and warm
    print("| signal | standard band only, CPU s | with the high band's switch, CPU s | ratio |")
    print("|---|---:|---:|---:|")
    for label, pick in (("lead 0", lambda x: x[:, 0]), ("lead 1", lambda x: x[:, 1]),
                        ("both leads", lambda x: x)):
        spent = [0.0, 0.0]
        for x in signals:
            x = np.ascontiguousarray(pick(x))
            for k, run in enumerate((before, detect.detect_r_peaks)):
                start = time.process_time()
                run(x, 360.0)
                spent[k] += time.process_time() - start
        print(f"| {label} | {spent[0]:.2f} | {spent[1]:.2f} | {spent[1] / spent[0]:.3f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=data_root() / "wfdb-samples")
    parser.add_argument("--out", type=Path,
                        default=REPO / "benchmarks" / "results" / "other_detect.csv")
    parser.add_argument("--mitdb-cost", action="store_true",
                        help="measure the high band's CPU cost on MIT-BIH instead")
    args = parser.parse_args(argv)
    if args.mitdb_cost:
        mitdb_cost(data_root() / "mitdb")
        return
    found = {}
    rows = []
    runs = detectors()
    peers = [name for name in runs if not name.startswith("heartbeat")]
    for record, lead, x, fs, reference in leads(args.samples):
        for name, run in runs.items():
            found[record, lead, name] = timed(run, x, fs)
        if reference is None:
            if len(peers) < 2:
                raise SystemExit("the v102s reference needs SleepECG and NeuroKit2 "
                                 "(pip install sleepecg neurokit2)")
            if lead == "V":
                ref_v = consensus(found[record, "V", peers[0]][0],
                                  found[record, "V", peers[1]][0], fs)
        q_standard, q_high = band_qualities(x, fs)
        high = bands.prefer_high(q_standard, q_high)
        print(f"{record} {lead}: median quality of the beats, standard band "
              f"{q_standard:.2f}, high band {q_high:.2f}; high band taken: {high}")
        for name in runs:
            rows.append([record, lead, fs, name, high, found[record, lead, name]])
        if reference is not None:
            rows[-len(runs):] = [[*r, reference] for r in rows[-len(runs):]]
    table = []
    for record, lead, fs, name, high, (peaks, ms), *ref in rows:
        reference = ref[0] if ref else ref_v
        s = detection_scores(reference, peaks, fs)
        table.append([record, lead, name, high, reference.size, peaks.size, s.tp, s.fn,
                      s.fp, round(100 * s.se, 2), round(100 * s.ppv, 2), round(ms, 1)])
    header = ["record", "lead", "detector", "high band", "reference beats", "detected",
              "tp", "fn", "fp", "Se %", "+P %", "cpu ms"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in table:
        print("| " + " | ".join(str(v) for v in row) + " |")
    text = io.StringIO()
    csv.writer(text).writerows([header, *table])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(args.out) as fh:
        fh.write(text.getvalue().encode())


if __name__ == "__main__":
    main()
