"""``heartbeat score``: bxb-style beat-by-beat scoring of a detector on a WFDB folder.

The comparison itself is :func:`heartbeat.metrics.ec57.score_database`; this module
reads the ``--peaks-from`` input and prints the table.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

import numpy as np


def read_peaks_file(path: Path) -> dict[str, np.ndarray]:
    """Return record -> detected sample indices from an .npz or a .csv file.

    An ``.npz`` holds one integer array per record, named by the record; a ``.csv``
    has a header ``record,sample`` and one detection per row.  Raises ValueError
    naming the file when it holds neither.
    """
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                return {name: np.asarray(data[name]) for name in data.files}
        except (OSError, ValueError) as exc:
            raise ValueError(f"--peaks-from {path}: not a readable .npz ({exc})") from None
    if path.suffix != ".csv":
        raise ValueError(f"--peaks-from {path}: give an .npz (one array per record) or a "
                         ".csv with columns record,sample, or an annotator name")
    peaks: dict[str, list[int]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        rows = csv.reader(fh)
        head = [h.strip() for h in next(rows, [])]
        if head[:2] != ["record", "sample"]:
            raise ValueError(f"--peaks-from {path}: the first line must be 'record,sample', "
                             f"got {','.join(head)!r}")
        for line, row in enumerate(rows, start=2):
            try:
                peaks.setdefault(row[0].strip(), []).append(int(row[1]))
            except (IndexError, ValueError):
                raise ValueError(f"--peaks-from {path}, line {line}: expected "
                                 f"'record,sample', got {','.join(row)!r}") from None
    return {name: np.asarray(v, dtype=np.int64) for name, v in peaks.items()}


def cmd_score(args: argparse.Namespace) -> int:
    """Run ``heartbeat score``: print bxb's per-record table and the gross figures."""
    from heartbeat.metrics.ec57 import score_database

    test: object = None
    source = f"heartbeat.detect_r_peaks (robust), channel {args.channel}"
    if args.peaks_from is not None:
        path = Path(args.peaks_from)
        if path.is_file():
            test, source = read_peaks_file(path), f"peaks from {path}"
        elif re.fullmatch(r"[A-Za-z0-9_]+", args.peaks_from):
            test, source = args.peaks_from, f"annotator {args.peaks_from}"
        else:
            raise ValueError(f"--peaks-from {args.peaks_from}: no such file, and not an "
                             "annotator name (letters, digits, _)")
    start_s = 0.0 if args.include_first_5min else 300.0
    try:
        result = score_database(
            args.folder, test=test, reference=args.reference, records=args.records,
            channel=args.channel, window_s=args.window_ms / 1000.0, start_s=start_s,
        )
    except FileNotFoundError as exc:
        print(f"heartbeat score: error: {exc}", file=sys.stderr)
        return 2
    print(f"Beat-by-beat comparison (bxb rules): {source} vs annotator {args.reference}")
    print(f"match window {args.window_ms:g} ms; test period from "
          f"{'0:00' if args.include_first_5min else '5:00'} to the end of each record\n")
    print(result.table())
    filled = {r.record: r.n_missing for r in result.records if r.n_missing}
    if filled:
        print("\nInvalid samples (NaN) filled by straight lines before detection: "
              + ", ".join(f"{name} {n}" for name, n in filled.items())
              + " (beats annotated inside a gap count as missed)")
    gross = result.gross
    print(f"\nGross: Se {100 * gross.se:.2f} %, +P {100 * gross.ppv:.2f} % "
          f"(TP {gross.tp}, FN {gross.fn}, FP {gross.fp}); average over "
          f"{len(result.records)} records: Se {100 * result.average_se:.2f} %, "
          f"+P {100 * result.average_ppv:.2f} %")
    return 0
