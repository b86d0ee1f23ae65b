"""Where the detector puts each R peak against the annotation's fiducial point, per lead.

    PYTHONPATH=. python benchmarks/fiducial_offsets.py

``heartbeat.segment`` cuts each beat from the detected R peak, while the beat sets the
models were trained on are cut at MIT-BIH's annotated fiducial points (placed on the
QRS as seen mostly in the upper signal).  On another lead the detector may take another
lobe of the QRS (the S wave of an rS complex, the R' of an rSR'), so the beats a user's
``classify()`` sees start earlier or later than those of training.  For each lead of
the 48 records: each detected peak within 150 ms of a reference beat, its offset from
the nearest one (ms, positive: later); per lead the median absolute offset and the
shares beyond 20 and 40 ms, and the lead-records with most beats beyond 40 ms.
Results in ``benchmarks/results/fiducial_offsets.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from _common import REPO, default_mitdb, nearest

import heartbeat
from heartbeat._atomic import atomic_open
from heartbeat.aami import is_beat

MATCH_MS = 150.0


def offsets_ms(peaks: np.ndarray, beats: np.ndarray, fs: float) -> np.ndarray:
    """Offset (ms) of each peak from its nearest reference beat, those within MATCH_MS."""
    d = (peaks - beats[nearest(beats, peaks)]) / fs * 1000.0
    return d[np.abs(d) <= MATCH_MS]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--out", type=Path,
                        default=REPO / "benchmarks" / "results" / "fiducial_offsets.json")
    args = parser.parse_args(argv)
    names = (args.data / "RECORDS").read_text().split()
    per_lead: dict[int, list] = {0: [], 1: []}
    rows = []
    for name in names:
        record = heartbeat.read_record(args.data / name)
        ann = heartbeat.read_annotations(args.data / name, "atr")
        beats = np.asarray(ann.sample)[is_beat(ann.symbol)]
        for lead in (0, 1):
            x = np.asarray(record.signal[:, lead], dtype=np.float64)
            d = offsets_ms(heartbeat.detect_r_peaks(x, record.fs), beats, record.fs)
            per_lead[lead].append(d)
            rows.append({"record": name, "lead": lead, "median_ms": float(np.median(d)),
                         "beyond_40": float(np.mean(np.abs(d) > 40))})
    summary = {}
    for lead, parts in per_lead.items():
        d = np.abs(np.concatenate(parts))
        summary[f"lead{lead}"] = {"beats": int(d.size), "median_abs_ms": float(np.median(d)),
                                  "beyond_20": float(np.mean(d > 20)),
                                  "beyond_40": float(np.mean(d > 40))}
        print(f"lead {lead}: {d.size} beats, median |offset| {np.median(d):.1f} ms, "
              f"beyond 20 ms {100 * np.mean(d > 20):.1f} %, beyond 40 ms "
              f"{100 * np.mean(d > 40):.1f} %")
    rows.sort(key=lambda r: -r["beyond_40"])
    for r in rows[:8]:
        print(f"{r['record']} lead {r['lead']}: {100 * r['beyond_40']:.1f} % beyond 40 ms, "
              f"median offset {r['median_ms']:+.1f} ms")
    with atomic_open(args.out) as fh:
        fh.write(json.dumps({"summary": summary, "rows": rows}, indent=1).encode())


if __name__ == "__main__":
    main()
