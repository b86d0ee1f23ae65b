"""Check a candidate default model against the shipped default on N-only training records.

    PYTHONPATH=. python benchmarks/check_default_candidate.py --single \\
        DIR/mitbih-all-seed0.npz [DIR/mitbih-all-seed1.npz ...] \\
        --calibration-from DIR/mitbih-ds1-seed0.npz [--ship] [--out FILE]
    PYTHONPATH=. python benchmarks/check_default_candidate.py DIR     # session 7's rule
    PYTHONPATH=. python benchmarks/check_default_candidate.py --v-keep 0.93
    PYTHONPATH=. python benchmarks/check_default_candidate.py --v-gain 0.9
    PYTHONPATH=. python benchmarks/check_default_candidate.py --s-to-v 0.8
    PYTHONPATH=. python benchmarks/check_default_candidate.py --second 0.3

Both forms run ``heartbeat.classify`` as a user does (default adaptation and reject
option) on each lead of the N-only records 100, 103, 113, 117 and 122 (ten
lead-records, training records of every model here: the check finds underfitting, not
generalisation), with the shipped ``mitbih-all`` and with the candidate.

``--single`` (docs/results.md section 5, "The default model: the rule, written before
training"): the first FILE is the candidate, one network from ``train_candidate.py
--recipe ch0+ch1 --only mitbih-all --seed 0 --steps 10000``; further FILEs (seeds 1,
2) are printed for the spread and decide nothing.  Each is calibrated as the shipped
default is: it has seen every patient, so it takes the temperature and reject
threshold fitted on the five held-out DS1 records (106, 116, 124, 207, 223; lead MLII)
for one ``mitbih-ds1`` network of the same recipe (``--calibration-from``).  The
candidate passes if no lead-record has a run of three or more beats labelled V or F
and none has more than 3 % of its beats labelled V or F.  Prints each lead-record's
V/F share and longest V/F run, old and new, and the decision; with ``--ship`` and a
pass, writes the calibrated candidate to ``heartbeat/data/mitbih-all.npz``.

``--v-keep VALUE`` (condition 6 of docs/results.md section 5, "A beat of the
recording's own ventricular shape keeps V"): the shipped default itself, with
``adapt=TemplateRule(v_keep_min_correlation=VALUE)`` against today's rule with that
step off, judged by the limits of ``--single``; writes nothing.  ``--v-gain VALUE`` the same for
``v_gain_min_correlation`` ("An early beat of the recording's own ventricular shape
becomes V"), ``--s-to-v VALUE`` for ``s_to_v_max_correlation`` ("A beat called S unlike
the recording's N beats becomes V"; off is -1), ``--second VALUE`` for
``second_min_share`` ("A second normal shape on time"; off is inf).

``DIR`` alone: the seed-ensemble rule of session 7 (the members
``mitbih-all-seed{0,1,2}.npz`` joined, the ``mitbih-ds1`` ensemble's calibration; no
lead-record more than 0.5 points more V/F than the shipped default).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
from _common import default_mitdb
from calibrate_pretrained import HELD_OUT, borrowed_calibration

import heartbeat
from heartbeat._atomic import atomic_open
from heartbeat.classifier import BeatClassifier, join
from heartbeat.classifier.saved import _pretrained_path
from heartbeat.classifier.template import DEFAULT_RULE
from heartbeat.datasets import mitbih_beats

RECORDS = ("100", "103", "113", "117", "122")
MARGIN = 0.5  # percentage points, session 7's ensemble rule
MAX_SHARE = 3.0  # per cent of a lead-record's beats labelled V or F
MAX_RUN = 2  # longest allowed run of consecutive V/F labels


def vf_figures(labels: np.ndarray) -> tuple[float, int]:
    """(percentage of the labels that are V or F, longest run of consecutive V/F labels)."""
    runs = re.findall("[VF]+", "".join(np.asarray(labels).tolist()))
    share = 100.0 * float(np.isin(labels, ["V", "F"]).mean()) if len(labels) else 0.0
    return share, max((len(r) for r in runs), default=0)


def lead_records(mitdb: Path):
    """Yield (name, lead, signal, fs) for each lead of the N-only records."""
    for name in RECORDS:
        rec = heartbeat.read_record(mitdb / name)
        for lead in (0, 1):
            yield name, lead, np.asarray(rec.signal[:, lead], dtype=float), rec.fs


def figures(model: BeatClassifier, mitdb: Path, adapt: object = "template"
            ) -> dict[tuple[str, int], tuple[float, int]]:
    """The rule's figures of `model` on every lead-record, as `classify` gives them."""
    return {(name, lead): vf_figures(heartbeat.classify(x, fs, model=model,
                                                        adapt=adapt).labels)
            for name, lead, x, fs in lead_records(mitdb)}


def as_user_loads(model: BeatClassifier) -> BeatClassifier:
    """`model` saved and read back, as a user would load the file."""
    with tempfile.TemporaryDirectory() as tmp:
        return BeatClassifier.load(model.save(os.path.join(tmp, "candidate.npz")))


def held_out_calibration(ds1_member: Path, mitdb: Path) -> dict:
    """Temperature and reject threshold of one mitbih-ds1 network on HELD_OUT, as reused."""
    member = BeatClassifier.load(ds1_member)
    if set(HELD_OUT) & set(member.info["records"]):
        raise SystemExit(f"{ds1_member} was trained on a held-out record: pick another")
    held_out = mitbih_beats(mitdb, HELD_OUT, channel=0, quiet=True)
    fitted = member.calibrate(held_out).info["calibration"]
    fitted["fitted_on"] = {**fitted["fitted_on"], "model": ds1_member.name,
                           "note": "mitbih-all saw every record; the numbers fitted on "
                                   "the held-out records for one mitbih-ds1 network of "
                                   "the same recipe (ch0+ch1) are reused"}
    return fitted


def calibrated(path: Path, calibration: dict, passed_rule: dict | None = None
               ) -> BeatClassifier:
    """The single-network candidate at `path` with `calibration` and its rule in info."""
    clf = BeatClassifier.load(path)
    clf._info["calibration"] = calibration
    if passed_rule is not None:
        clf._info["default_rule"] = passed_rule
    return as_user_loads(clf)


def print_rows(old: dict, new: dict, label: str) -> bool:
    """Print each lead-record's figures, old and `label`; return whether the rule holds."""
    passed = True
    for (name, lead), (share, run) in new.items():
        ok = share <= MAX_SHARE and run <= MAX_RUN
        passed &= ok
        o_share, o_run = old[name, lead]
        print(f"{name} lead {lead}: shipped {o_share:4.1f} % V/F, longest run {o_run}; "
              f"{label} {share:4.1f} %, longest run {run}{'' if ok else '  <- fails'}",
              flush=True)
    return passed


def run_single(args) -> None:
    calibration = held_out_calibration(args.calibration_from, args.mitdb)
    print(f"calibration reused from {args.calibration_from.name}: "
          f"T = {calibration['temperature']:.4f}, reject below "
          f"{calibration['reject_below']:.4f}", flush=True)
    old = figures(BeatClassifier.pretrained("mitbih-all"), args.mitdb)
    verdicts = []
    for k, path in enumerate(args.single):
        label = "candidate" if k == 0 else f"spread {path.stem}"
        print(f"-- {path}" + ("" if k == 0 else " (reported, decides nothing)"))
        new = figures(calibrated(path, calibration), args.mitdb)
        verdicts.append(print_rows(old, new, label))
        if k == 0:
            rows = {f"{n} lead {lead}": {"vf_percent": round(s, 2), "longest_vf_run": r}
                    for (n, lead), (s, r) in new.items()}
    print("spread: " + ", ".join(f"{p.stem} {'passes' if v else 'fails'}"
                                 for p, v in zip(args.single, verdicts, strict=True)))
    print("replace the default" if verdicts[0] else "keep the shipped default")
    rule = {"records": list(RECORDS), "max_vf_percent": MAX_SHARE,
            "max_vf_run": MAX_RUN, "figures": rows, "passes": verdicts[0],
            "command": "python benchmarks/check_default_candidate.py --single "
                       f"DIR/{args.single[0].name} --calibration-from "
                       f"DIR/{args.calibration_from.name}"
                       + (" --ship" if args.ship else "")}
    if args.out is not None:
        with atomic_open(args.out) as f:
            f.write((json.dumps(rule, indent=1) + "\n").encode())
        print(f"{args.out} written")
    if args.ship and verdicts[0]:
        shipped = calibrated(args.single[0], calibration, rule)
        print(f"{shipped.save(_pretrained_path('mitbih-all'))} written")


STEPS = {"v_keep": ("v_keep_min_correlation", float("inf")),
         "v_gain": ("v_gain_min_correlation", float("inf")),
         "s_to_v": ("s_to_v_max_correlation", -1.0),
         "second": ("second_min_share", float("inf"))}
"""Option -> (the adaptation step's ``TemplateRule`` field, the value that turns it off)."""


def run_step(args) -> None:
    """The shipped default with one adaptation step at a value, against that step off."""
    shipped = BeatClassifier.pretrained("mitbih-all")
    option = next(o for o in STEPS if getattr(args, o) is not None)
    field, off_value = STEPS[option]
    value = getattr(args, option)
    off = dataclasses.replace(DEFAULT_RULE, **{field: off_value})  # as when judged
    rule = dataclasses.replace(DEFAULT_RULE, **{field: value})
    passed = print_rows(figures(shipped, args.mitdb, off), figures(shipped, args.mitdb, rule),
                        f"{field}={value:g}")
    print("within the limits" if passed else "outside the limits")


def run_ensemble(args) -> None:
    shipped = BeatClassifier.pretrained("mitbih-all")
    candidate = join([args.members_dir / f"mitbih-all-seed{s}.npz" for s in range(3)])
    candidate._info["calibration"] = borrowed_calibration(
        BeatClassifier.pretrained("mitbih-ds1").info["calibration"])
    old, new = figures(shipped, args.mitdb), figures(as_user_loads(candidate), args.mitdb)
    passed = True
    for key, (share, _) in new.items():
        ok = share <= old[key][0] + MARGIN
        passed &= ok
        print(f"{key[0]} lead {key[1]}: shipped {old[key][0]:.1f} %, candidate "
              f"{share:.1f} % V/F{'' if ok else '  <- worse'}", flush=True)
    print("replace the default" if passed else "keep the shipped default")


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("members_dir", type=Path, nargs="?",
                        help="session 7's form: a folder of mitbih-all-seed{0,1,2}.npz")
    parser.add_argument("--single", type=Path, nargs="+", metavar="FILE",
                        help="the candidate network, then networks reported for the spread")
    parser.add_argument("--calibration-from", type=Path, metavar="FILE",
                        help="the mitbih-ds1 network of the same recipe whose held-out "
                        "calibration the candidate reuses")
    parser.add_argument("--ship", action="store_true",
                        help="write the candidate to heartbeat/data/mitbih-all.npz if it passes")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="--single: also write the candidate's figures and the "
                        "verdict as JSON")
    v_step = parser.add_mutually_exclusive_group()
    v_step.add_argument("--v-keep", type=float, metavar="VALUE",
                        help="the shipped default with this v_keep_min_correlation "
                        "(against that step off), judged by the --single limits")
    v_step.add_argument("--v-gain", type=float, metavar="VALUE",
                        help="the same with this v_gain_min_correlation")
    v_step.add_argument("--s-to-v", type=float, metavar="VALUE",
                        help="the same with this s_to_v_max_correlation")
    v_step.add_argument("--second", type=float, metavar="VALUE",
                        help="the same with this second_min_share")
    parser.add_argument("--mitdb", type=Path, default=default_mitdb())
    args = parser.parse_args()
    if any(getattr(args, o) is not None for o in STEPS):
        return run_step(args)
    if (args.single is None) == (args.members_dir is None):
        parser.error("give either DIR, --single FILE ..., --v-keep, --v-gain, --s-to-v "
                     "or --second VALUE")
    if args.single is not None and args.calibration_from is None:
        parser.error("--single needs --calibration-from FILE")
    (run_single if args.single else run_ensemble)(args)


if __name__ == "__main__":
    sys.exit(run())
