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

``--records 100 208`` limits either step to some records.  With
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


def _classify(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """R peaks and probabilities of ``classify`` on lead 0 of the record at `path`."""
    import heartbeat

    rec = heartbeat.read_record(path)
    result = heartbeat.classify(np.ascontiguousarray(rec.signal[:, 0]), rec.fs)
    return result.beats.r_peaks, result.probabilities


def dump(paths: list[Path], out: Path) -> int:
    """Write each record's R peaks and probabilities to `out`."""
    arrays = {}
    for path in paths:
        peaks, proba = _classify(path)
        arrays[f"{path.name}_peaks"], arrays[f"{path.name}_proba"] = peaks, proba
        print(f"{path.name}: {len(peaks)} beats", flush=True)
    with open(out, "wb") as fh:
        np.savez(fh, **arrays)
    print(f"{out} written")
    return 0


def compare(paths: list[Path], before: Path) -> int:
    """Compare the code on the path with `before`; return 1 on any changed label."""
    old = np.load(before, allow_pickle=False)
    worst, changed, beats, failed = 0.0, 0, 0, False
    for path in paths:
        key = path.name
        if f"{key}_proba" not in old:
            print(f"{key}: not in {before}, skipped")
            continue
        peaks, proba = _classify(path)
        if not np.array_equal(peaks, old[f"{key}_peaks"]):
            print(f"{key}: the beats differ ({len(peaks)} against "
                  f"{len(old[f'{key}_peaks'])}): not a change of the network alone")
            failed = True
            continue
        diff = float(np.abs(proba - old[f"{key}_proba"]).max()) if len(proba) else 0.0
        flips = int((proba.argmax(1) != old[f"{key}_proba"].argmax(1)).sum())
        worst, changed, beats = max(worst, diff), changed + flips, beats + len(proba)
        failed |= flips > 0
        print(f"{key}: {len(proba)} beats, max |dp| = {diff:.3g}, argmax changed on {flips}",
              flush=True)
    print(f"all: {beats} beats, max |dp| = {worst:.3g}, argmax changed on {changed}")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["dump", "compare"])
    parser.add_argument("file", type=Path, help="the .npz to write (dump) or read (compare)")
    parser.add_argument("--data-dir", type=Path, default=default_mitdb())
    parser.add_argument("--records", nargs="+", default=None)
    args = parser.parse_args()
    paths = _records(args.data_dir, args.records)
    return dump(paths, args.file) if args.step == "dump" else compare(paths, args.file)


if __name__ == "__main__":
    sys.exit(main())
