"""Join the seed members of the chosen recipe into a shipped model and calibrate it.

    PYTHONPATH=. python benchmarks/train_candidate.py --recipe ch0+ch1 --only mitbih-ds1 \\
        --seed S --out-dir DIR                                  # S = 0, 1, 2
    PYTHONPATH=. python benchmarks/join_pretrained.py DIR/mitbih-ds1-seed{0,1,2}.npz
    PYTHONPATH=. python benchmarks/train_candidate.py --recipe ch0+ch1 --only mitbih-all \\
        --seed S --out-dir DIR                                  # S = 0, 1, 2
    PYTHONPATH=. python benchmarks/join_pretrained.py --name mitbih-all \\
        DIR/mitbih-all-seed{0,1,2}.npz

The recipe (both MIT-BIH leads as training views, a seed ensemble of 3, mean logits)
was chosen on patient folds within DS1 (``cv_patients.py``, docs/results.md section 5).
The members are joined with :func:`heartbeat.classifier.join`; the temperature and the
reject threshold of the mean logits are then fitted, as for the single model before,
on the five DS1 records that only chose the members' early-stopping epoch (106, 116,
124, 207, 223; lead MLII).  DS2 is never read.  ``mitbih-all`` (the default) has seen
every MIT-BIH patient, so none is left to calibrate it on: it takes the numbers fitted
for the ``mitbih-ds1`` ensemble (same recipe, same networks), with ``fitted_on`` saying
so (run the ``mitbih-ds1`` join first).  Writes ``heartbeat/data/<name>.npz``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from calibrate_pretrained import HELD_OUT, borrowed_calibration  # noqa: E402

from heartbeat.classifier import BeatClassifier, join  # noqa: E402
from heartbeat.classifier.saved import _pretrained_path  # noqa: E402
from heartbeat.datasets import mitbih_beats  # noqa: E402

COMMAND = ("python benchmarks/train_candidate.py --recipe ch0+ch1 --only {name} "
           "--seed S --out-dir DIR (S = 0, 1, 2; MIT-BIH from HEARTBEAT_DATA), then "
           "python benchmarks/join_pretrained.py --name {name} DIR/{name}-seed0.npz "
           "DIR/{name}-seed1.npz DIR/{name}-seed2.npz")


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("members", nargs="+", type=Path, help="the members' model files")
    parser.add_argument("--name", choices=("mitbih-ds1", "mitbih-all"), default="mitbih-ds1")
    parser.add_argument("--data-dir", default=os.environ.get(
        "HEARTBEAT_DATA_MITDB", str(REPO.parent / "shared" / "data" / "mitdb")))
    parser.add_argument("--cache-dir", help="folder to cache the held-out beat set in")
    parser.add_argument("--dry-run", action="store_true", help="print, write nothing")
    args = parser.parse_args()
    members = [BeatClassifier.load(path) for path in args.members]
    if args.name == "mitbih-ds1" and any(set(HELD_OUT) & set(m.info["records"])
                                         for m in members):
        raise SystemExit("a member was trained on a held-out record: pick others")
    first = members[0].info
    ensemble = join(members, info={
        "command": COMMAND.format(name=args.name),
        "recipe": {**first["recipe"], "ensemble_of": len(members)},
        "fold_scores": first["fold_scores"], "leads": first["leads"],
        "validation_records": first["validation_records"]})
    if args.name == "mitbih-ds1":
        held_out = mitbih_beats(args.data_dir, HELD_OUT, channel=0,
                                cache_dir=args.cache_dir, quiet=True)
        ensemble.calibrate(held_out)
    else:
        ds1 = BeatClassifier.pretrained("mitbih-ds1").info
        if "ensemble" not in ds1:
            raise SystemExit("join the mitbih-ds1 ensemble first: its calibration is reused")
        ensemble._info["calibration"] = borrowed_calibration(ds1["calibration"])
    print(f"{args.name} (ensemble of {len(members)}): {ensemble.info['calibration']}")
    if not args.dry_run:
        print(f"{ensemble.save(_pretrained_path(args.name))} written")

if __name__ == "__main__":
    run()
