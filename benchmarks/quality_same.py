"""Check that a change to the signal-quality code leaves its values as they were.

``dump OUT.npz`` writes ``heartbeat.quality``'s index and measures on both leads of
every MIT-BIH record; ``compare BEFORE.npz`` computes them again with the code on the
path and reports how many leads are bit-identical and the largest differences, and on
how many ``at()`` on the robust detector's peaks and the spans below
``UNREADABLE_BELOW`` (what ``segment`` and ``classify`` use) are those of the index
before.  Run
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
from functools import lru_cache
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


def _uses_agree(q, index: np.ndarray, x: np.ndarray, fs: float) -> bool:
    """True when `q` and the `index` before give the same ``at()`` on the robust
    detector's peaks of `x` and the same spans below ``UNREADABLE_BELOW``."""
    import heartbeat
    from heartbeat.signal_quality import UNREADABLE_BELOW, _spans

    peaks = heartbeat.detect_r_peaks(x, fs)
    spans = _spans(index < UNREADABLE_BELOW, q.starts, q.segment_samples, q.n_samples)
    return (np.array_equal(q.at(peaks), index[peaks // q.segment_samples])
            and np.array_equal(q.spans_below(UNREADABLE_BELOW), spans))


def compare(mitdb: Path, before: Path) -> int:
    """Compare every lead with `before`; exit status 1 when a lead differs."""
    old = np.load(before)
    n = same = same_uses = 0
    worst_index = worst_measure = cpu = 0.0
    for key, q, seconds in _leads(mitdb):
        cpu += seconds
        index, values = old[f"{key}_index"], old[f"{key}_measures"]
        n += 1
        identical = (np.array_equal(q.index, index)
                     and np.array_equal(q.measures, values, equal_nan=True))
        same += identical
        if q.index.shape == index.shape:
            rec = _record(mitdb, key)
            lead = np.ascontiguousarray(rec.signal[:, int(key.rsplit("_", 1)[1])])
            same_uses += _uses_agree(q, index, lead, rec.fs)
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
    print(f"{same_uses} of {n} leads with the same at() on the detector's peaks and the "
          f"same spans below UNREADABLE_BELOW")
    return 0 if same == n == same_uses else 1


@lru_cache(maxsize=1)
def _read(path: Path):
    """The record at `path`, read once for both its leads."""
    import heartbeat

    return heartbeat.read_record(path)


def _record(mitdb: Path, key: str):
    """The record of a lead's key (``"100_0"``)."""
    return _read(mitdb / key.rsplit("_", 1)[0])


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
