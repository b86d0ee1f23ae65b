"""The shipped models on ECG recordings from other databases (no beat labels).

    PYTHONPATH=. python benchmarks/other_databases.py [--out CSV]

MIT-BIH is where the models were trained and chosen; these recordings are not from it.
The WFDB sample corpus in ``$HEARTBEAT_DATA/wfdb-samples`` holds four real ECG
recordings from other PhysioNet databases:

* ``03700181`` -- MIMIC (ICU), lead MCL1 at 500 Hz (4 samples per frame), 10 min;
* ``v102s`` -- PhysioNet/CinC Challenge 2015 (ICU alarms), leads II and V at 250 Hz,
  5 min, ending in a ventricular-tachycardia alarm the challenge marks *false*; its
  few invalid (NaN) samples are filled by linear interpolation here, as a user would;
* ``s0010_re`` -- PTB Diagnostic ECG (a myocardial-infarction patient), 15 leads at
  1000 Hz, 38 s;
* ``test01_00s`` -- 4 ECG leads at 500 Hz, 8 s, of a 25-year-old man without diagnosis.

None has beat labels, so no accuracy can be computed.  What can be read without them:
each recording/lead's rhythm (heart rate, the spread of its RR intervals) beside the
share of beats each model calls S, V or F, Q or leaves unclassified, and the longest run
of consecutive V/F labels (three or more in a row is what a user reads as ventricular
tachycardia).  On a regular rhythm (RR intervals within a few per cent) an S label is
wrong by definition (S beats are premature), and a run of V beats at an unchanged rate is
an alarm that did not happen.  Each lead is classified on its own with
``heartbeat.classify`` as a user would, for the default model and ``mitbih-ds1``, with
the default ``adapt="template"`` and with ``adapt="none"``.  Nothing here chooses
anything: the figures are reported, not tuned on.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import re
from pathlib import Path

import numpy as np
from _common import data_root

import heartbeat

# (record, channels, expand_frames, what it is)
RECORDINGS = (
    ("03700181", ["MCL1"], True, "MIMIC, ICU"),
    ("v102s", ["II", "V"], False, "CinC 2015, ICU, false VT alarm"),
    ("s0010_re", None, False, "PTB Diagnostic"),
    ("test01_00s", None, False, "healthy volunteer"),
)
MODELS = ("mitbih-all", "mitbih-ds1")
ADAPT = ("template", "none")


def filled(x: np.ndarray) -> tuple[np.ndarray, int]:
    """`x` with NaN samples linearly interpolated, and how many there were."""
    bad = ~np.isfinite(x)
    if not bad.any():
        return x, 0
    x = x.copy()
    x[bad] = np.interp(np.flatnonzero(bad), np.flatnonzero(~bad), x[~bad])
    return x, int(bad.sum())


def longest_run(labels: np.ndarray, classes: str = "VF") -> int:
    """Length of the longest run of consecutive labels from `classes`."""
    runs = re.findall(f"[{classes}]+", "".join(labels.tolist()))
    return max((len(r) for r in runs), default=0)


def describe(out: heartbeat.ClassifiedBeats) -> dict:
    """Rhythm and label shares of one classified lead."""
    labels = out.labels
    rr = np.diff(out.beats.r_peaks) / out.beats.fs
    n = max(labels.size, 1)
    return {
        "beats": int(labels.size),
        "rate_per_min": round(60.0 / float(np.median(rr)), 1) if rr.size else "",
        "rr_cv_pct": round(100 * float(rr.std() / rr.mean()), 1) if rr.size else "",
        **{f"{c}_pct": round(100 * float((labels == c).sum()) / n, 1)
           for c in ("N", "S", "V", "F", "Q", "?")},
        "longest_VF_run": longest_run(labels),
    }


def rows_of(folder: Path, all_leads: bool = False):
    """One row per recording, lead, model and adaptation; with `all_leads`, for each
    recording of several leads also the rows of each lead classified with the R peaks
    of all its leads (``classify(signal, fs, lead=...)``)."""
    for name, channels, expand, what in RECORDINGS:
        rec = heartbeat.read_record(folder / name, channels=channels, expand_frames=expand)
        leads = [filled(np.asarray(rec.signal[:, k], dtype=float))
                 for k in range(rec.signal.shape[1])]
        every = np.column_stack([x for x, _ in leads])
        ways = ("own lead", "all leads") if all_leads and len(leads) > 1 else ("own lead",)
        for lead, lead_name in enumerate(rec.sig_names):
            x, n_nan = leads[lead]
            for detection, model, adapt in itertools.product(ways, MODELS, ADAPT):
                out = heartbeat.classify(x, rec.fs, model=model, adapt=adapt) \
                    if detection == "own lead" else \
                    heartbeat.classify(every, rec.fs, model=model, adapt=adapt, lead=lead)
                yield {
                    "record": name, "source": what, "lead": lead_name.strip(),
                    "fs": rec.fs, "seconds": round(x.size / rec.fs, 1), "nan_filled": n_nan,
                    "model": model, "adapt": adapt, "detection": detection, **describe(out),
                }


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=data_root() / "wfdb-samples",
                        help="the WFDB sample corpus folder")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as CSV")
    parser.add_argument("--all-leads", action="store_true",
                        help="also classify each lead of a recording of several with the R "
                        "peaks of all its leads")
    args = parser.parse_args()
    if not (args.data / "03700181.hea").is_file():
        raise SystemExit(f"no WFDB sample corpus in {args.data}; set HEARTBEAT_DATA")
    rows = list(rows_of(args.data, args.all_leads))
    keys = list(rows[0])
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row[k]) for k in keys), flush=True)
    if args.out:
        with open(args.out, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=keys)
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    run()
