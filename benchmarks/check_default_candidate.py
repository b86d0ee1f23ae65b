"""Check a candidate default model (seed members of mitbih-all) against the shipped default.

    PYTHONPATH=. python benchmarks/check_default_candidate.py DIR

DIR holds ``mitbih-all-seed{0,1,2}.npz`` from ``benchmarks/train_candidate.py --recipe
ch0+ch1 --only mitbih-all --seed S``.  They are joined (mean logits, the ``mitbih-ds1``
ensemble's calibration) and, like the shipped ``mitbih-all``, run by
``heartbeat.classify`` on both leads of the N-only training records 100, 103, 113, 117
and 122.  The rule, set before the first run: the candidate may replace the default
only if on none of the ten lead-records it labels more than 0.5 points more beats V or
F than the shipped default.  Prints each lead-record and the verdict.  These records
are training records of both models: the check finds underfitting, not generalisation.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from _common import default_mitdb
from calibrate_pretrained import borrowed_calibration

import heartbeat
from heartbeat.classifier import BeatClassifier, join

RECORDS = ("100", "103", "113", "117", "122")
MARGIN = 0.5  # percentage points


def share_vf(x: np.ndarray, fs: float, model: BeatClassifier) -> float:
    """Percentage of the beats `classify` labels V or F."""
    return 100.0 * float(np.isin(heartbeat.classify(x, fs, model=model).labels,
                                 ["V", "F"]).mean())


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("members_dir", type=Path)
    parser.add_argument("--mitdb", type=Path, default=default_mitdb())
    args = parser.parse_args()
    shipped = BeatClassifier.pretrained("mitbih-all")
    candidate = join([args.members_dir / f"mitbih-all-seed{s}.npz" for s in range(3)])
    candidate._info["calibration"] = borrowed_calibration(
        BeatClassifier.pretrained("mitbih-ds1").info["calibration"])
    with tempfile.TemporaryDirectory() as tmp:  # load as a user would
        candidate = BeatClassifier.load(candidate.save(os.path.join(tmp, "e.npz")))
    passed = True
    for name in RECORDS:
        rec = heartbeat.read_record(args.mitdb / name)
        for lead in (0, 1):
            x = np.asarray(rec.signal[:, lead], dtype=float)
            old, new = share_vf(x, rec.fs, shipped), share_vf(x, rec.fs, candidate)
            ok = new <= old + MARGIN
            passed &= ok
            print(f"{name} lead {lead}: shipped {old:.1f} %, candidate {new:.1f} % V/F"
                  f"{'' if ok else '  <- worse'}", flush=True)
    print("replace the default" if passed else "keep the shipped default")


if __name__ == "__main__":
    sys.exit(run())
