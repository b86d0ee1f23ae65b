"""The public detector on MIT-BIH scored as PhysioNet's bxb scores it, per lead and both.

    PYTHONPATH=. python benchmarks/ec57_leads.py
    PYTHONPATH=. python benchmarks/ec57_leads.py --candidate floor_low_on_time=0.1

``heartbeat.detect_r_peaks`` on lead 0, lead 1 and both leads as ``(n_samples, 2)`` of
the 48 records, scored by :func:`heartbeat.metrics.ec57.score_database` (bxb's rules:
150 ms window, test beats inside a reference VF/flutter episode not counted) over the
whole record (``start_s=0``, as ``bench_detect.py`` scores; ``--start-s 300`` for bxb's
default).  Prints gross FN, FP and errors per input and the records where both leads
together make more errors than the better lead alone.  ``--candidate NAME=VALUE``
(repeatable) sets ``heartbeat.detect.RULE[NAME]`` for a second pass and prints both
passes and the records whose errors change (docs/benchmarks.md, "The low floor for a
beat on time, judged as bxb scores").  Writes nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _common import default_mitdb

from heartbeat import detect
from heartbeat.datasets import RECORDS
from heartbeat.io import read_record
from heartbeat.metrics.ec57 import score_database

INPUTS = ("0", "1", "both")


def detected(mitdb: Path, names: list[str]) -> dict[str, dict[str, np.ndarray]]:
    """Peaks of the public detector per input and record, under ``detect.RULE`` now."""
    out: dict[str, dict[str, np.ndarray]] = {k: {} for k in INPUTS}
    for name in names:
        rec = read_record(mitdb / name)
        signal, fs = np.asarray(rec.signal, dtype=np.float64), rec.fs
        for key in INPUTS:
            x = signal if key == "both" else np.ascontiguousarray(signal[:, int(key)])
            out[key][name] = np.asarray(detect.detect_r_peaks(x, fs))
    return out


def errors(mitdb: Path, peaks: dict, names: list[str], start_s: float) -> dict:
    """Per input: {record: (fn, fp)} as bxb counts them."""
    result = {}
    for key, by_record in peaks.items():
        scores = score_database(mitdb, test=by_record, records=names, start_s=start_s)
        result[key] = {r.record: (r.score.fn, r.score.fp) for r in scores.records}
    return result


def worse_with_both(counts: dict) -> list[str]:
    """Records where both leads make more errors (FN + FP) than the better lead alone."""
    return [name for name, (fn, fp) in counts["both"].items()
            if fn + fp > min(sum(counts["0"][name]), sum(counts["1"][name]))]


def report(label: str, counts: dict) -> None:
    for key in INPUTS:
        fn = sum(v[0] for v in counts[key].values())
        fp = sum(v[1] for v in counts[key].values())
        print(f"{label}: lead {key}: FN {fn}, FP {fp}, errors {fn + fp}")
    worse = worse_with_both(counts)
    print(f"{label}: {len(worse)} records worse with both leads than the better lead "
          f"alone: {' '.join(worse)}")


def parse_candidate(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        if name not in detect.RULE or not value:
            raise SystemExit(f"--candidate {item!r}: give NAME=VALUE with NAME one of "
                             f"{', '.join(detect.RULE)}")
        out[name] = float(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--records", nargs="+", default=list(RECORDS))
    parser.add_argument("--start-s", type=float, default=0.0,
                        help="start of the scored period (0: whole record; bxb: 300)")
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=VALUE",
                        help="a detect.RULE value for the second pass")
    args = parser.parse_args()
    candidate = parse_candidate(args.candidate)
    in_force = errors(args.data, detected(args.data, args.records), args.records,
                      args.start_s)
    report("in force", in_force)
    if not candidate:
        return
    saved = {k: detect.RULE[k] for k in candidate}
    detect.RULE.update(candidate)
    try:
        new = errors(args.data, detected(args.data, args.records), args.records,
                     args.start_s)
    finally:
        detect.RULE.update(saved)
    report("candidate " + " ".join(args.candidate), new)
    for key in INPUTS:
        moved = [f"{n} {sum(in_force[key][n])}->{sum(new[key][n])}"
                 for n in args.records if in_force[key][n] != new[key][n]]
        print(f"lead {key}, records whose FN/FP change: {', '.join(moved) or 'none'}")


if __name__ == "__main__":
    main()
