"""Train the two models shipped in ``heartbeat/data`` and score ``mitbih-ds1`` on DS2.

    PYTHONPATH=. python benchmarks/train_pretrained.py [--data-dir DIR] [--only NAME]
    PYTHONPATH=. python benchmarks/train_pretrained.py --seed 1 --out-dir SCRATCH/members

With ``--seed`` and ``--out-dir`` the same commands train another member of a seed
ensemble (the shipped files are seed 0) into a folder of your choice; DS2 is then
not evaluated (``cv_patients.py final --model M0 M1 M2`` scores the ensemble).

* ``mitbih-ds1``: the de Chazal DS1 records (22 records, paced ones excluded); records
  106, 116, 124, 207 and 223 are held out for early stopping, so the weights see 17
  records.  These are the validation records of ``train_results.py inter`` (its
  by-record split with seed 1, chosen from DS1 class counts only); an earlier choice,
  114, 124 and 207, peaked at epoch 1 and stopped training too early.  Its DS2 scores
  are those of unseen patients.  DS1's 8 Q beats are left out (``--exclude-classes Q``):
  balanced batches would otherwise fill a fifth of every batch with those 8 beats.
* ``mitbih-all``: all 48 records; a stratified 10 % of the beats is held out for early
  stopping.  For users' own data.

Each model is trained by the ``heartbeat train`` command printed before it runs (the
command is also stored in the model file: ``BeatClassifier.pretrained(name).info``).
Afterwards ``heartbeat evaluate mitbih-ds1 --split ds2`` runs and its per-class table
is written to ``benchmarks/results/pretrained_ds2.md``.  Beat sets are cached in
``scratch/cache``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from heartbeat.cli import main  # noqa: E402

COMMON = ["--architecture", "kachuee2018", "--rr", "--log-rr", "--context", "20",
          "--batch-size", "64", "--sampler", "balanced", "--learning-rate", "0.001"]
MODELS = {
    "mitbih-ds1": ["--split", "ds1", "--validation-records", "106", "116", "124", "207",
                   "223", "--exclude-classes", "Q",
                   "--epochs", "12", "--early-stopping", "3"],
    "mitbih-all": ["--split", "all", "--validation-fraction", "0.1",
                   "--epochs", "10", "--early-stopping", "3"],
}


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get(
        "HEARTBEAT_DATA_MITDB", str(REPO.parent / "shared" / "data" / "mitdb")))
    parser.add_argument("--only", choices=sorted(MODELS), help="train one model only")
    parser.add_argument("--cache-dir", default=str(REPO / "scratch" / "cache"))
    parser.add_argument("--seed", type=int, default=0, help="weights and batches (shipped: 0)")
    parser.add_argument("--out-dir", default="heartbeat/data",
                        help="where the model files go (default: the shipped ones)")
    args = parser.parse_args()
    shipped = args.out_dir == "heartbeat/data"
    Path(args.cache_dir).mkdir(parents=True, exist_ok=True)
    for name, options in MODELS.items():
        if args.only and name != args.only:
            continue
        argv = ["train", *COMMON, "--seed", str(args.seed), *options,
                "--data-dir", args.data_dir, "--cache-dir", args.cache_dir,
                "--out", f"{args.out_dir}/{name}.npz"]
        print("$ heartbeat " + " ".join(argv), flush=True)
        start = time.perf_counter()
        status = main(argv)
        print(f"{name}: exit {status}, {time.perf_counter() - start:.0f} s\n", flush=True)
        if status:
            sys.exit(status)
    if shipped and args.only in (None, "mitbih-ds1"):
        argv = ["evaluate", "mitbih-ds1", "--split", "ds2", "--data-dir", args.data_dir,
                "--cache-dir", args.cache_dir, "--quiet"]
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            main([*argv, "--markdown"])
        main(argv)
        out = REPO / "benchmarks" / "results" / "pretrained_ds2.md"
        out.write_text(f"$ heartbeat {' '.join(argv)} --markdown\n\n{buf.getvalue()}")
        print(f"written {out}")


if __name__ == "__main__":
    os.chdir(REPO)
    run()
