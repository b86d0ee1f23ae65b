"""Fit the shipped models' temperature and reject threshold on held-out DS1 records.

    PYTHONPATH=. python benchmarks/calibrate_pretrained.py [--data-dir DIR] [--dry-run]
    PYTHONPATH=. python benchmarks/calibrate_pretrained.py \
        --out-of-fold benchmarks/results/cv_es_ch0_calibration.json [--dry-run]

``mitbih-ds1`` was trained on 17 DS1 records; records 106, 116, 124, 207 and 223
were held out from its weights (they only chose the early-stopping epoch).  Their
beats, lead MLII (channel 0), cut at the annotated R peaks, are the held-out set:
:meth:`heartbeat.BeatClassifier.calibrate` fits one temperature (minimum negative
log-likelihood) and the reject threshold on them.  DS2 is never read.

``mitbih-all`` has seen every MIT-BIH patient, so no held-out patient is left to fit
it on; it takes the numbers fitted for ``mitbih-ds1`` (same recipe, same network),
with ``fitted_on`` saying so.  Run this again after the shipped models are retrained.

With ``--out-of-fold FILE`` the numbers are not fitted on the five records but read
from ``cv_patients.py pooled``: the temperature and threshold fitted on the held-out
predictions of the recipe's fold models, every DS1 patient once (22 patients instead
of 5).  They belong to the recipe, not to one file: use them for models trained with
the recipe that the file names.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from heartbeat.classifier import BeatClassifier  # noqa: E402
from heartbeat.classifier.saved import _pretrained_path  # noqa: E402
from heartbeat.datasets import mitbih_beats  # noqa: E402

HELD_OUT = ("106", "116", "124", "207", "223")


def borrowed_calibration(calibration: dict) -> dict:
    """`calibration` of ``mitbih-ds1`` as ``mitbih-all`` stores it (it has no held-out patient)."""
    return {**calibration,
            "fitted_on": {**calibration["fitted_on"], "model": "mitbih-ds1",
                          "note": "mitbih-all saw every record; the numbers fitted for "
                                  "mitbih-ds1 on its held-out records are reused"}}


def ensemble_calibration(args) -> dict:
    """Temperature and reject threshold of the members' mean logits on HELD_OUT, lead 0."""
    from heartbeat.classifier.calibration import _fit_calibration

    members = [BeatClassifier.load(path) for path in args.members]
    if any(set(HELD_OUT) & set(m.info["records"]) for m in members):
        raise SystemExit("a member was trained on a held-out record: pick others")
    held_out = mitbih_beats(args.data_dir, HELD_OUT, channel=0, cache_dir=args.cache_dir,
                            quiet=True)
    logits = np.mean([m._predict_logits(held_out) for m in members], axis=0)
    labels = held_out.y.astype(np.int64)
    return _fit_calibration(logits, labels, list(HELD_OUT)).to_info() | {
        "members": [path.name for path in args.members], "combined": "mean of the logits"}


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(
        "HEARTBEAT_DATA_MITDB", str(REPO.parent / "shared" / "data" / "mitdb")))
    parser.add_argument("--cache-dir", help="folder to cache the beat set in")
    parser.add_argument("--out-of-fold", type=Path, metavar="FILE",
                        help="take the calibration fitted out of fold by "
                        "cv_patients.py pooled (cv_es_<recipe>_calibration.json)")
    parser.add_argument("--members", nargs="+", type=Path, metavar="FILE",
                        help="print the calibration of a seed ensemble of these mitbih-ds1 "
                        "member files (mean logits), fitted on the held-out records; "
                        "writes nothing")
    parser.add_argument("--dry-run", action="store_true", help="print, write nothing")
    args = parser.parse_args()
    if args.members:
        print(f"ensemble of {len(args.members)}: {ensemble_calibration(args)}")
        return
    ds1 = BeatClassifier.pretrained("mitbih-ds1")
    if args.out_of_fold is not None:
        calibration = json.loads(args.out_of_fold.read_text())
        if not {"temperature", "reject_below", "fitted_on"} <= set(calibration):
            raise SystemExit(f"{args.out_of_fold}: not a calibration written by "
                             "cv_patients.py pooled")
        ds1._info["calibration"] = calibration
    else:
        if set(HELD_OUT) & set(ds1.info["records"]):
            raise SystemExit("mitbih-ds1 was trained on a held-out record: pick others")
        held_out = mitbih_beats(args.data_dir, HELD_OUT, channel=0,
                                cache_dir=args.cache_dir, quiet=True)
        ds1.calibrate(held_out)
        calibration = ds1.info["calibration"]
    print(f"mitbih-ds1: {calibration}")
    everyone = BeatClassifier.pretrained("mitbih-all")
    everyone._info["calibration"] = borrowed_calibration(calibration)
    if args.dry_run:
        return
    for name, clf in (("mitbih-ds1", ds1), ("mitbih-all", everyone)):
        print(f"{clf.save(_pretrained_path(name))} written")


if __name__ == "__main__":
    run()
