"""Check that a change to the network engine moves classify() probabilities only in the last bits.

``dump OUT.npz`` writes ``heartbeat.classify``'s probabilities (default model, default
settings) on lead 0 of every MIT-BIH record; ``compare BEFORE.npz`` classifies again
with the code on the path and reports, per record, the largest absolute difference of
the probabilities and the beats whose most probable class changed.  It exits 1 if a
record's beats differ (count or R peaks) or an argmax changed.  Run ``dump`` in an
export of the old tree (``git archive OLD | tar -x -C DIR``), then ``compare`` in the
new one::

    cd DIR && PYTHONPATH=. python /path/to/classify_same.py dump /tmp/before.npz
    cd REPO && PYTHONPATH=. python benchmarks/classify_same.py compare /tmp/before.npz

``--records 100 208`` limits either step to some records, ``--leads 0 1`` takes both
leads (default lead 0; give the same leads to both steps).  The dump holds each lead's
labels and reasons too, and ``compare`` counts the beats whose label or reason changed
(a dump without them is compared on probabilities alone).  With
``NUMBA_DISABLE_JIT=1`` the network runs on the kernels' NumPy twins.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from _common import default_mitdb


def _records(mitdb: Path, names: list[str] | None) -> list[Path]:
    paths = sorted(hea.with_suffix("") for hea in mitdb.glob("*.hea"))
    if names:
        paths = [p for p in paths if p.name in set(names)]
    if not paths:
        raise SystemExit(f"no MIT-BIH records in {mitdb}: set HEARTBEAT_DATA or --data-dir")
    return paths


def _classify(path: Path, lead: int = 0) -> dict[str, np.ndarray]:
    """R peaks, probabilities, labels and reasons of ``classify`` on one lead of `path`."""
    import heartbeat

    rec = heartbeat.read_record(path)
    result = heartbeat.classify(np.ascontiguousarray(rec.signal[:, lead]), rec.fs)
    return {"peaks": result.beats.r_peaks, "proba": result.probabilities,
            "labels": result.labels.astype("U1"), "reasons": result.reasons.astype("U10")}


def _key(path: Path, lead: int) -> str:
    """The name of one lead in a dump (lead 0: the record's name, as older dumps)."""
    return path.name if lead == 0 else f"{path.name}_lead{lead}"


def dump(paths: list[Path], out: Path, leads: tuple[int, ...] = (0,)) -> int:
    """Write each record's R peaks, probabilities, labels and reasons to `out`."""
    arrays = {}
    for path in paths:
        for lead in leads:
            key = _key(path, lead)
            for name, values in _classify(path, lead).items():
                arrays[f"{key}_{name}"] = values
            print(f"{key}: {len(arrays[f'{key}_peaks'])} beats", flush=True)
    with open(out, "wb") as fh:
        np.savez(fh, **arrays)
    print(f"{out} written")
    return 0


def compare(paths: list[Path], before: Path, leads: tuple[int, ...] = (0,)) -> int:
    """Compare the code on the path with `before`; return 1 on any changed label."""
    old = np.load(before, allow_pickle=False)
    worst, changed, relabelled, beats, failed = 0.0, 0, 0, 0, False
    for path in paths:
        for lead in leads:
            key = _key(path, lead)
            if f"{key}_proba" not in old:
                print(f"{key}: not in {before}, skipped")
                continue
            new = _classify(path, lead)
            peaks, proba = new["peaks"], new["proba"]
            if not np.array_equal(peaks, old[f"{key}_peaks"]):
                print(f"{key}: the beats differ ({len(peaks)} against "
                      f"{len(old[f'{key}_peaks'])}): not a change of the network alone")
                failed = True
                continue
            was = old[f"{key}_proba"]
            diff = float(np.abs(proba - was).max()) if len(proba) else 0.0
            flips = int((proba.argmax(1) != was.argmax(1)).sum()) if len(proba) else 0
            moved = None  # not in the dump: not compared
            if f"{key}_labels" in old:  # label or reason (the reject option, quality)
                moved = int(((new["labels"] != old[f"{key}_labels"])
                             | (new["reasons"] != old[f"{key}_reasons"])).sum())
            worst, changed, beats = max(worst, diff), changed + flips, beats + len(proba)
            relabelled += moved or 0
            failed |= flips > 0 or bool(moved)
            print(f"{key}: {len(proba)} beats, max |dp| = {diff:.3g}, argmax changed on "
                  f"{flips}, label or reason on {'-' if moved is None else moved}",
                  flush=True)
    print(f"all: {beats} beats, max |dp| = {worst:.3g}, argmax changed on {changed}, "
          f"label or reason on {relabelled}")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["dump", "compare"])
    parser.add_argument("file", type=Path, help="the .npz to write (dump) or read (compare)")
    parser.add_argument("--data-dir", type=Path, default=default_mitdb())
    parser.add_argument("--records", nargs="+", default=None)
    parser.add_argument("--leads", nargs="+", type=int, default=[0],
                        help="leads to classify (default 0; MIT-BIH has 0 and 1)")
    args = parser.parse_args()
    paths = _records(args.data_dir, args.records)
    leads = tuple(args.leads)
    if args.step == "dump":
        return dump(paths, args.file, leads)
    return compare(paths, args.file, leads)


if __name__ == "__main__":
    sys.exit(main())
