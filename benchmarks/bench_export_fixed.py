"""The fixed-point export against the float one on DS2: macro-F1, accuracy, weight size.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_export_fixed.py
    PYTHONPATH=. python benchmarks/bench_export_fixed.py --models mitbih-all --n-cal 500

Each model is exported with ``fixed_point=ds1_calibration(...)`` (activation scales
from ``--n-cal`` beats of each lead of the DS1 records: training-side beats only) and
the written file is imported.  Its float network (``logits_float``, bit-identical to
``BeatClassifier.predict_proba``'s) and its integer network (``logits``) classify the
same beats: every annotated N, S, V and F beat of the 22 DS2 records, lead 0 and lead
1, cut at the annotated R peaks with their record context and RR features, as
``benchmarks/cv_patients.py final`` scores them (no template adaptation, no reject
option: the network's argmax; with ``--n-normal``, a seeded sample of the N beats,
weighted, as ``cv_patients.py`` does with ``--n-sample``).  Reported per model and
lead: accuracy, macro-F1 over N, S, V, F, the share of beats with the same argmax,
and the weights' bytes (float32 and int8).  ``mitbih-all`` was trained on DS2 too:
its rows compare the two number formats, not the model's accuracy on unseen
patients.  Nothing here is chosen from DS2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _recipe
from _common import REPO, default_mitdb

from heartbeat import BeatClassifier
from heartbeat.datasets.mitbih import DS2
from heartbeat.export import export
from heartbeat.export_fixed import ds1_calibration


def network_logits(fn, x: np.ndarray, rr: np.ndarray, batch: int = 512) -> np.ndarray:
    """`fn`'s logits of all beats, `batch` at a time."""
    return np.concatenate([fn(x[i : i + batch], rr[i : i + batch])
                           for i in range(0, len(x), batch)])


def scores(y: np.ndarray, pred: np.ndarray, weight: np.ndarray) -> dict:
    """Accuracy and macro-F1 over N, S, V, F (with the per-class F1), beats weighted."""
    fig = _recipe.figures(_recipe.confusion(y, pred, weight))
    f1 = [fig[c]["f1"] for c in ("N", "S", "V", "F")]
    return {"accuracy": round(fig["accuracy"], 5), "macro_f1": round(float(np.mean(f1)), 5),
            "f1": [round(v, 4) for v in f1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mitdb", type=Path, default=default_mitdb())
    ap.add_argument("--models", nargs="*", default=["mitbih-ds1", "mitbih-all"])
    ap.add_argument("--n-cal", type=int, default=2000, help="calibration beats per lead")
    ap.add_argument("--n-normal", type=int,
                    help="classify only this many N beats per lead (seeded), each counting "
                    "n_N / n_normal times (an unbiased estimate; every S, V, F beat is kept)")
    ap.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("HEARTBEAT_CACHE", REPO / "scratch" / "cache")))
    ap.add_argument("--out", type=Path,
                    default=REPO / "benchmarks/results/bench_export_fixed.json")
    args = ap.parse_args()
    now = dt.datetime.now(dt.timezone.utc)
    print(f"# {now:%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, numpy {np.__version__}, load "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    ds2 = {}
    for lead in (0, 1):
        b = _recipe.beats(lead, args.cache)
        b = b[np.isin(b.record, DS2)]
        x, rr = _recipe.inputs(b)  # the record context from all of a record's beats
        keep = b.y < 4
        weight = np.ones(len(b))
        normal = np.flatnonzero(b.y == 0)
        if args.n_normal is not None and len(normal) > args.n_normal:
            rng = np.random.default_rng(np.random.SeedSequence([lead, 0x5C0]))
            keep[rng.choice(normal, size=len(normal) - args.n_normal, replace=False)] = False
            weight[:] = np.where(b.y == 0, len(normal) / args.n_normal, 1.0)
        ds2[lead] = (x[keep], rr[keep], b.y[keep].astype(np.int64), weight[keep])
    results = []
    for name in args.models:
        clf = BeatClassifier.pretrained(name, backend="numpy")
        calibration = ds1_calibration(args.mitdb, clf._context, n_per_lead=args.n_cal)
        with tempfile.TemporaryDirectory() as tmp:
            export(name, tmp, fixed_point=calibration)
            sys.path.insert(0, tmp)
            import heartbeat_model as hm
            sys.path.remove(tmp)
            sys.modules.pop("heartbeat_model")
            sizes = {"npz_bytes": (Path(tmp) / "heartbeat_model.npz").stat().st_size,
                     "float_weight_bytes": sum(v.nbytes for k, v in hm.W.items()
                                               if not k.startswith("fx/")),
                     "fixed_weight_bytes": sum(v.nbytes for k, v in hm.W.items()
                                               if k.startswith("fx/"))}
        for lead, (x, rr, y, weight) in ds2.items():
            t0 = time.process_time()
            z_float = network_logits(hm.logits_float, x, rr)
            t1 = time.process_time()
            z_fixed = network_logits(hm.logits, x, rr)
            t2 = time.process_time()
            row = {"model": name, "lead": lead, "beats": len(y),
                   "float": scores(y, z_float.argmax(1), weight),
                   "fixed": scores(y, z_fixed.argmax(1), weight),
                   "same_argmax": round(float((z_float.argmax(1) == z_fixed.argmax(1)).mean()),
                                        5),
                   "cpu_s_float": round(t1 - t0, 1), "cpu_s_fixed": round(t2 - t1, 1),
                   **sizes}
            row["macro_f1_loss"] = round(row["float"]["macro_f1"] - row["fixed"]["macro_f1"],
                                         5)
            results.append(row)
            print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/bench_export_fixed.py " + " ".join(sys.argv[1:])
    args.out.write_text(json.dumps({"command": command, "date": f"{now:%Y-%m-%d %H:%M}",
                                    "n_cal": args.n_cal, "n_normal": args.n_normal,
                                    "rows": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
