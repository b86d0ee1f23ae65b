"""Print one SHA-256 over what users get from heartbeat, to show a refactor changed nothing.

Hashes the probabilities and R peaks of ``classify`` with both shipped models on both
shipped examples, and ``detect_r_peaks`` peaks and ``segment`` waveforms on both leads
of eight MIT-BIH records.  Run it on two trees and compare the lines::

    git archive <old commit> | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python tools/output_digest.py
    PYTHONPATH=. python tools/output_digest.py

The MIT-BIH part reads ``$HEARTBEAT_DATA/mitdb`` (default ``../shared/data/mitdb``).
BLAS runs on one thread: with two, float32 products are summed in another order and
the probabilities differ in their last bits, which would change the digest.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before NumPy loads its BLAS

import numpy as np  # noqa: E402

import heartbeat  # noqa: E402

RECORDS = ("100", "101", "105", "108", "203", "207", "208", "232")


def main() -> None:
    """Print the digest (and what it covered)."""
    digest = hashlib.sha256()
    for name in ("100", "208"):
        example = heartbeat.load_example(name)
        for model in ("mitbih-all", "mitbih-ds1"):
            result = heartbeat.classify(example.signal[:, 0], example.fs, model=model)
            digest.update(np.ascontiguousarray(result.probabilities).tobytes())
            digest.update(np.asarray(result.r_peaks).tobytes())
    root = Path(__file__).resolve().parents[1]
    data = Path(os.environ.get("HEARTBEAT_DATA", root.parent / "shared" / "data")) / "mitdb"
    covered = "shipped examples"
    if (data / "100.hea").exists():
        for name in RECORDS:
            record = heartbeat.read_record(data / name)
            for lead in (0, 1):
                x = record.signal[:, lead]
                digest.update(heartbeat.detect_r_peaks(x, record.fs).tobytes())
                digest.update(heartbeat.segment(x, record.fs).waveforms.tobytes())
        covered += f" + MIT-BIH {', '.join(RECORDS)} (both leads)"
    print(digest.hexdigest(), covered)


if __name__ == "__main__":
    main()
