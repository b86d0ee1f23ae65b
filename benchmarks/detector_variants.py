"""Score variants of the R-peak detector's constants on the 96 clean MIT-BIH lead-records.

    PYTHONPATH=. python benchmarks/detector_variants.py '{}' '{"floor_min": 2.0}' \
        '{"LOWPASS_S": 0.015, "HIGHPASS_S": 0.1}'

Each argument is a trial as ``benchmarks/tune_detector.py`` writes one: rule constants
(``heartbeat.detect.RULE``) and upper-case module constants of ``heartbeat.detect``;
``{}`` is the detector as it is.  Prints, per trial, gross Se / +P (150 ms, one-to-one)
on lead 0 and lead 1 and the lead-records below 95 % on either (207 aside).  The figures
are in-sample: a look before a search, never a result to report as an estimate.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from _common import default_mitdb
from _tuning import lead_peaks, record_leads, score, split, stage_groups

EXEMPT = {"207"}  # ventricular flutter: its waves are not beats in the reference


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trials", nargs="+", type=json.loads, help="JSON objects")
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--records", nargs="+", help="a subset of records")
    args = parser.parse_args(argv)
    names = args.records or (args.data / "RECORDS").read_text().split()
    counts = {}  # (trial, record, lead) -> (tp, fn, fp)
    for stage, members in stage_groups(args.trials):
        for name in names:
            for lead in record_leads(args.data, name, None, stage):
                for t in members:
                    peaks = lead_peaks(lead, *split(args.trials[t]))[0]
                    counts[t, lead.record, lead.lead] = score(peaks, lead)
    for t, trial in enumerate(args.trials):
        parts = []
        for m in (0, 1):
            tp, fn, fp = np.sum([v for (u, _, mm), v in counts.items() if u == t and mm == m],
                                axis=0)
            parts.append(f"lead {m} {100 * tp / (tp + fn):.3f} / {100 * tp / (tp + fp):.3f}")
        low = sorted(f"{r}/{m}" for (u, r, m), (tp, fn, fp) in counts.items()
                     if u == t and r not in EXEMPT
                     and min(tp / max(1, tp + fn), tp / max(1, tp + fp)) < 0.95)
        print(f"{json.dumps(trial)}: {'; '.join(parts)}; {len(low)} below 95 % "
              f"({', '.join(low)})")


if __name__ == "__main__":
    main()
