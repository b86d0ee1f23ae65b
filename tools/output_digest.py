"""Print one SHA-256 over what users get from heartbeat, to show a refactor changed nothing.

Hashes the probabilities and R peaks of ``classify`` with both shipped models on both
shipped examples, and ``detect_r_peaks`` peaks and ``segment`` waveforms on both leads
of eight MIT-BIH records (the first line).  The second line hashes ``classify``'s
probabilities, R peaks and reasons with the default model on both leads of the
whole records of :data:`CLASSIFY_RECORDS`, where the adaptation's steps act (the short
examples hold few beats they change).  Run it on two trees and compare the lines::

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
CLASSIFY_RECORDS = ("106", "123", "200", "212", "232")
"""Whole records classified for the second line: PVCs, sinus arrhythmia, bigeminy, a
bundle branch block that comes and goes, and runs of atrial ectopy."""


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
    if (data / "100.hea").exists():
        print(_classify_digest(data), f"classify, MIT-BIH {', '.join(CLASSIFY_RECORDS)} "
              "(both leads, whole records)")


def _classify_digest(data: Path) -> str:
    """Return the second line's digest: ``classify`` on both leads of whole records."""
    digest = hashlib.sha256()
    for name in CLASSIFY_RECORDS:
        record = heartbeat.read_record(data / name)
        for lead in (0, 1):
            result = heartbeat.classify(record.signal[:, lead], record.fs)
            digest.update(np.ascontiguousarray(result.probabilities).tobytes())
            digest.update(np.asarray(result.r_peaks).tobytes())
            digest.update("\n".join(result.reasons.tolist()).encode())
    return digest.hexdigest()


if __name__ == "__main__":
    main()
