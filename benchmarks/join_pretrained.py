"""Join the seed members of the chosen recipe into the shipped ``mitbih-ds1`` and calibrate it.

    PYTHONPATH=. python benchmarks/train_candidate.py --recipe ch0+ch1 --only mitbih-ds1 \\
        --seed S --out-dir DIR                                  # S = 0, 1, 2
    PYTHONPATH=. python benchmarks/join_pretrained.py DIR/mitbih-ds1-seed{0,1,2}.npz

The recipe (both MIT-BIH leads as training views, a seed ensemble of 3, mean logits)
was chosen on patient folds within DS1 (``cv_patients.py``, docs/results.md section 5).
The members are joined with :func:`heartbeat.classifier.join`; the temperature and the
reject threshold of the mean logits are then fitted, as for the single model before,
on the five DS1 records that only chose the members' early-stopping epoch (106, 116,
124, 207, 223; lead MLII).  DS2 is never read.  Writes ``heartbeat/data/mitbih-ds1.npz``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from heartbeat.classifier import BeatClassifier, join  # noqa: E402
from heartbeat.classifier.saved import _pretrained_path  # noqa: E402
from heartbeat.datasets import mitbih_beats  # noqa: E402

HELD_OUT = ("106", "116", "124", "207", "223")
COMMAND = ("python benchmarks/train_candidate.py --recipe ch0+ch1 --only mitbih-ds1 "
           "--seed S --out-dir DIR (S = 0, 1, 2; MIT-BIH from HEARTBEAT_DATA), then "
           "python benchmarks/join_pretrained.py DIR/mitbih-ds1-seed0.npz "
           "DIR/mitbih-ds1-seed1.npz DIR/mitbih-ds1-seed2.npz")


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("members", nargs="+", type=Path, help="the members' model files")
    parser.add_argument("--data-dir", default=os.environ.get(
        "HEARTBEAT_DATA_MITDB", str(REPO.parent / "shared" / "data" / "mitdb")))
    parser.add_argument("--cache-dir", help="folder to cache the held-out beat set in")
    parser.add_argument("--dry-run", action="store_true", help="print, write nothing")
    args = parser.parse_args()
    members = [BeatClassifier.load(path) for path in args.members]
    if any(set(HELD_OUT) & set(m.info["records"]) for m in members):
        raise SystemExit("a member was trained on a held-out record: pick others")
    first = members[0].info
    ensemble = join(members, info={
        "command": COMMAND, "recipe": {**first["recipe"], "ensemble_of": len(members)},
        "fold_scores": first["fold_scores"], "leads": first["leads"],
        "validation_records": first["validation_records"]})
    held_out = mitbih_beats(args.data_dir, HELD_OUT, channel=0, cache_dir=args.cache_dir,
                            quiet=True)
    ensemble.calibrate(held_out)
    print(f"mitbih-ds1 (ensemble of {len(members)}): {ensemble.info['calibration']}")
    if not args.dry_run:
        print(f"{ensemble.save(_pretrained_path('mitbih-ds1'))} written")


if __name__ == "__main__":
    run()
