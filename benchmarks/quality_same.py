"""Check that a change to the signal-quality code leaves its values as they were.

``dump OUT.npz`` writes ``heartbeat.quality``'s index and measures on both leads of
every MIT-BIH record; ``compare BEFORE.npz`` computes them again with the code on the
path and reports how many leads are bit-identical and the largest differences.  Run
``dump`` in an export of the old tree (``git archive OLD | tar -x -C DIR``), then
``compare`` in the new one::

    cd DIR && PYTHONPATH=. python /path/to/quality_same.py dump /tmp/before.npz
    cd REPO && PYTHONPATH=. python benchmarks/quality_same.py compare /tmp/before.npz

With ``NUMBA_DISABLE_JIT=1`` the measures run on the kernels' NumPy twins.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _common import default_mitdb


def _leads(mitdb: Path):
    """Yield (key, quality of the lead) for both leads of every record, with CPU time."""
    import heartbeat

    for hea in sorted(mitdb.glob("*.hea")):
        rec = heartbeat.read_record(hea.with_suffix(""))
        for lead in range(rec.signal.shape[1]):
            x = np.ascontiguousarray(rec.signal[:, lead])
            t = time.process_time()
            q = heartbeat.quality(x, rec.fs)
            yield f"{hea.stem}_{lead}", q, time.process_time() - t


def dump(mitdb: Path, out: Path) -> int:
    """Write the index and measures of every lead to `out`."""
    arrays, cpu = {}, 0.0
    for key, q, seconds in _leads(mitdb):
        arrays[f"{key}_index"], arrays[f"{key}_measures"] = q.index, q.measures
        cpu += seconds
    np.savez(out, **arrays)
    print(f"{len(arrays) // 2} leads written to {out}; quality() CPU {cpu:.2f} s")
    return 0


def compare(mitdb: Path, before: Path) -> int:
    """Compare every lead with `before`; exit status 1 when a lead differs."""
    old = np.load(before)
    n = same = 0
    worst_index = worst_measure = cpu = 0.0
    for key, q, seconds in _leads(mitdb):
        cpu += seconds
        index, values = old[f"{key}_index"], old[f"{key}_measures"]
        n += 1
        identical = (np.array_equal(q.index, index)
                     and np.array_equal(q.measures, values, equal_nan=True))
        same += identical
        if q.index.shape != index.shape or q.measures.shape != values.shape:
            print(f"{key}: {q.index.size} segments, before {index.size}")
            worst_index = worst_measure = np.inf
            continue
        worst_index = max(worst_index, float(np.max(np.abs(q.index - index), initial=0)))
        both_nan = np.isnan(q.measures) & np.isnan(values)
        gap = np.where(both_nan, 0.0, np.abs(q.measures - values))
        worst_measure = max(worst_measure, float(np.max(np.nan_to_num(gap, nan=np.inf),
                                                        initial=0)))
        if not identical:
            print(f"{key}: differs")
    print(f"{same} of {n} leads bit-identical (index and measures); largest |difference| "
          f"{worst_index:.3g} (index), {worst_measure:.3g} (measures); quality() CPU "
          f"{cpu:.2f} s")
    return 0 if same == n else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=("dump", "compare"))
    ap.add_argument("file", type=Path, help="the .npz to write (dump) or read (compare)")
    ap.add_argument("--mitdb", type=Path, default=default_mitdb())
    args = ap.parse_args()
    if args.command == "dump":
        return dump(args.mitdb, args.file)
    return compare(args.mitdb, args.file)


if __name__ == "__main__":
    sys.exit(main())
