"""Published-results reproduction: train the Kachuee 2018 CNN on beats rebuilt from MIT-BIH.

    PYTHONPATH=. python benchmarks/train_results.py intra    [--epochs 12]
    PYTHONPATH=. python benchmarks/train_results.py inter    [--epochs 12]
    PYTHONPATH=. python benchmarks/train_results.py transfer [--epochs 3]

``intra``: beats of all 48 records mixed, stratified 80/20 split (seed 0); 10 % of the
training part (seed 1) is the validation set for early stopping; after every epoch
the test accuracy is also recorded with the cumulative wall time (never used to
choose anything), which gives the time to reach a test accuracy (the ``speed``
figure).  ``inter``: DS1 -> DS2 (de Chazal 2004), the network with the 3 RR features
as extra inputs, balanced batches, validation = DS1 records held out by record.
``transfer``: the inter-patient model fine-tuned on a second task (normal vs
abnormal beats of a few DS2 records), training only the last k parameterised layers.

Each mode prints a Markdown table and writes ``benchmarks/results/train_<mode>.json``
and the trained model to ``scratch/models/`` (git-ignored).  The beat set is built
once and cached in ``scratch/cache``.  Runs use one BLAS thread unless
OPENBLAS_NUM_THREADS is set: on this shared 2-core machine that was several times
faster than the default threads.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

import heartbeat.nn as nn
from heartbeat import datasets
from heartbeat.context import with_context
from heartbeat.metrics import classification_report
from heartbeat.training import fit, parameterised_layers, with_n_classes

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
MODELS = REPO / "scratch" / "models"


def data_dir() -> Path:
    env = os.environ.get("HEARTBEAT_DATA")
    return (Path(env) if env else REPO.parent / "shared" / "data") / "mitdb"


LIMIT: list[int] = []  # --limit: a random subset, to smoke-test the script quickly


def all_beats(cache_dir: str) -> datasets.BeatSet:
    beats = datasets.mitbih_beats(data_dir(), cache_dir=cache_dir, quiet=True)
    if LIMIT:
        keep = np.random.default_rng(0).choice(len(beats), size=LIMIT[0], replace=False)
        beats = beats[np.sort(keep)]
    return beats


def machine() -> dict:
    return {"python": platform.python_version(), "numpy": np.__version__,
            "cpus": os.cpu_count(), "load_avg_start": os.getloadavg(),
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}


def write(mode: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"train_{mode}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1, default=float) + "\n")
    os.replace(tmp, path)
    return path


def report_dict(report, digits: int = 4) -> dict:
    return {"accuracy": round(report.accuracy, digits), "macro_f1": round(report.macro_f1, digits),
            "se": dict(zip(report.class_names, np.round(report.recall, digits).tolist(),
                           strict=True)),
            "ppv": dict(zip(report.class_names, np.round(report.precision, digits).tolist(),
                            strict=True)),
            "support": report.support.tolist(), "confusion": report.confusion.tolist()}


TEMPLATE: dict[str, np.ndarray] = {}  # --template: two-channel inputs of every beat


def beat_keys(data: datasets.BeatSet) -> np.ndarray:
    return data.record.astype(np.int64) * 10**9 + data.sample


def prepare_template(beats: datasets.BeatSet, k: int) -> None:
    """Second input channel: each beat minus the median of its record's 2k+1 nearest beats.

    The channel comes from :func:`heartbeat.context.with_context` (as in
    ``BeatClassifier(context=k)``); the median window is edge-padded at a record's ends.

    The median needs no labels (a deployed classifier has the same unlabelled beats of
    the recording it classifies); it shows the network what is usual for this patient.
    """
    x2 = with_context(beats.x, k, beats.record, times=beats.sample)
    keys = beat_keys(beats)
    order = np.argsort(keys)
    TEMPLATE.update(keys=keys[order], x=x2[order])


def inputs(model, data: datasets.BeatSet):
    """``(x, extra)`` of `data` for `model`: beats (with --template, two channels), RR."""
    extra = data.rr if model.spec["extra_inputs"] else None
    if not TEMPLATE:
        return data.x, extra
    return TEMPLATE["x"][np.searchsorted(TEMPLATE["keys"], beat_keys(data))], extra


def fit_data(model, train: datasets.BeatSet, val: datasets.BeatSet) -> dict:
    """Arguments of fit for `train` with `val` as its validation set."""
    if not TEMPLATE:
        return {"x": train, "validation": val}
    (x, extra), (xv, ev) = inputs(model, train), inputs(model, val)
    return {"x": x, "y": train.y, "extra": extra,
            "validation": (xv, val.y) if ev is None else (xv, val.y, ev)}


def build_model(args, n_classes: int):
    # --rr-log: the model takes the logarithms of the RR ratios (ratios become
    # differences: prev/local = log(prev/mean) - log(local/mean))
    return nn.build(args.architecture, n_classes, seed=args.seed,
                    extra_inputs=3 if args.rr else 0,
                    input_channels=2 if args.template else 1,
                    extra_transform="log" if args.rr and args.rr_log else None,
                    threads=args.threads)


def evaluate(model, data: datasets.BeatSet, names=("N", "S", "V", "F", "Q")):
    pred = model.predict_logits(*inputs(model, data)).argmax(axis=1)
    return classification_report(data.y, pred, names)


# --------------------------------------------------------------------------- intra
def run_intra(args) -> dict:
    t_start = time.perf_counter()
    beats = all_beats(args.cache_dir)
    if args.template:
        prepare_template(beats, args.template)
    train, test = datasets.train_test_split(beats, test_size=0.2, seed=0)
    fit_part, val = datasets.train_test_split(train, test_size=0.1, seed=1)
    model = build_model(args, 5)
    curve: list[dict] = []
    t0 = time.perf_counter()

    def on_epoch(epoch, m, history):
        acc = evaluate(m, test).accuracy
        curve.append({"epoch": epoch, "train_wall_s": round(history.total_time_s, 1),
                      "since_start_s": round(time.perf_counter() - t0, 1),
                      "test_accuracy": round(acc, 5),
                      "val_macro_f1": round(history.val_macro_f1[-1], 5)})
        print(f"  epoch {epoch}: test accuracy {100 * acc:.2f}% after "
              f"{history.total_time_s:.0f} s of training", file=sys.stderr)

    history = fit(model, **fit_data(model, fit_part, val), epochs=args.epochs,
                  batch_size=args.batch_size, sampler=args.sampler,
                  class_weights=args.class_weights,
                  early_stopping=args.patience, seed=args.seed,
                  checkpoint_dir=REPO / "scratch" / f"ckpt_{run_name(args)}",
                  resume=args.resume,
                  callback=on_epoch)
    report = evaluate(model, test)
    MODELS.mkdir(parents=True, exist_ok=True)
    nn.save(model, MODELS / f"{run_name(args)}.npz",
            info={"trained_on": "MIT-BIH 48 records, intra-patient 80/20 split seed 0",
                  "rr": bool(args.rr)})
    reach = next((c for c in curve if c["test_accuracy"] >= 0.985), None)
    result = {
        "mode": "intra", "machine": machine(), "rr": bool(args.rr),
        "n_train": len(fit_part), "n_val": len(val),
        "n_test": len(test), "settings": vars(args) | {"cache_dir": None},
        "history": history.to_dict(), "curve": curve, "test": report_dict(report),
        "time_to_98_5_s": None if reach is None else reach["since_start_s"],
        "wall_s": round(time.perf_counter() - t_start, 1),
    }
    print(report.to_markdown())
    print(f"\naccuracy {100 * report.accuracy:.2f} %, macro-F1 {report.macro_f1:.4f}, "
          f"best epoch {history.best_epoch} of {history.n_epochs}, wall {result['wall_s']} s")
    return result


# --------------------------------------------------------------------------- inter
def run_name(args, mode: str | None = None) -> str:
    """Name of a run's result, checkpoint and model files: mode plus its variants."""
    mode = mode or args.mode
    name = mode
    if args.rr != (mode != "intra"):
        name += "_rr" if args.rr else "_norr"
    if args.architecture != "kachuee2018":
        name += f"_{args.architecture}"
    if args.class_weights:
        name += "_cw"
    if args.rr_log:
        name += "_rrlog"
    if args.template:
        name += f"_template{args.template}"
    if args.tag:
        name += f"_{args.tag}"
    return name + (f"_limit{args.limit}" if args.limit else "")


def inter_model_name(args) -> str:
    return f"{run_name(args, 'inter')}.npz"


def run_inter(args) -> dict:
    t_start = time.perf_counter()
    beats = all_beats(args.cache_dir)
    if args.template:
        prepare_template(beats, args.template)
    ds1, ds2 = datasets.inter_patient_split(beats)
    # AAMI practice for DS1 -> DS2: four classes N, S, V, F; the few Q beats (8 in DS1,
    # 7 in DS2) are left out
    ds1, ds2 = ds1[ds1.y < 4], ds2[ds2.y < 4]
    # validation = DS1 records held out whole; seed 1 of the record split was chosen
    # (from DS1 class counts only) because it leaves S, V and F beats on both sides
    # (seed 0 puts record 208, 373 of DS1's 415 F beats, into validation)
    fit_part, val = datasets.train_test_split(ds1, test_size=0.2, seed=args.val_seed,
                                              by_record=True)
    model = build_model(args, 4)
    history = fit(model, **fit_data(model, fit_part, val), epochs=args.epochs,
                  batch_size=args.batch_size, sampler=args.sampler,
                  class_weights=args.class_weights,
                  early_stopping=args.patience, seed=args.seed,
                  checkpoint_dir=REPO / "scratch" / f"ckpt_{run_name(args)}",
                  resume=args.resume)
    report = evaluate(model, ds2, names=("N", "S", "V", "F"))
    MODELS.mkdir(parents=True, exist_ok=True)
    nn.save(model, MODELS / inter_model_name(args),
            info={"trained_on": "MIT-BIH DS1 (de Chazal 2004)", "rr": bool(args.rr)})
    result = {
        "mode": "inter", "machine": machine(), "rr": bool(args.rr),
        "train_records": sorted(set(fit_part.record.tolist())),
        "val_records": sorted(set(val.record.tolist())),
        "n_train": len(fit_part), "n_val": len(val), "n_test": len(ds2),
        "settings": vars(args) | {"cache_dir": None}, "history": history.to_dict(),
        "test": report_dict(report), "wall_s": round(time.perf_counter() - t_start, 1),
    }
    print(report.to_markdown())
    print(f"\nDS2 accuracy {100 * report.accuracy:.2f} %, macro-F1 {report.macro_f1:.4f}, "
          f"best epoch {history.best_epoch} of {history.n_epochs}, wall {result['wall_s']} s")
    return result


# --------------------------------------------------------------------------- transfer
TRANSFER_TRAIN = ("100", "105", "213", "221")  # DS2 records with N and V beats


def run_transfer(args) -> dict:
    t_start = time.perf_counter()
    base_path = MODELS / inter_model_name(args)
    if not base_path.exists():
        raise SystemExit(f"{base_path} is missing: run the 'inter' mode first")
    base = nn.load(base_path)
    beats = all_beats(args.cache_dir)
    if args.template:
        prepare_template(beats, args.template)
    _, ds2 = datasets.inter_patient_split(beats)
    binary = datasets.BeatSet(ds2.x, (ds2.y != 0).astype(np.int8), ds2.record, ds2.sample,
                              ds2.rr, classes=("normal", "abnormal"))
    in_train = np.isin(binary.record, TRANSFER_TRAIN)
    pool, rest = binary[in_train], binary[~in_train]
    rng = np.random.default_rng(0)
    train = pool[np.sort(rng.choice(len(pool), size=min(args.n_train, len(pool)),
                                    replace=False))]
    # a fixed random sample of the other DS2 records' beats keeps the 15 evaluations cheap
    test = rest[np.sort(rng.choice(len(rest), size=min(args.n_test, len(rest)),
                                   replace=False))]
    n_layers = len(parameterised_layers(base))
    rows = []
    ks = [*range(1, n_layers + 1), "scratch"]
    for k in ks:
        t0 = time.perf_counter()
        if k == "scratch":
            model = nn.build(base.spec["name"], n_classes=2, seed=1,
                             extra_inputs=base.spec["extra_inputs"])
            history = fit(model, train, epochs=args.epochs, batch_size=args.batch_size,
                          sampler="balanced", seed=0, quiet=True)
        else:
            model = with_n_classes(base, 2, seed=1)
            history = fit(model, train, epochs=args.epochs, batch_size=args.batch_size,
                          sampler="balanced", seed=0, quiet=True, trainable_layers=k)
        report = evaluate(model, test, names=("normal", "abnormal"))
        rows.append({"k": k, "accuracy": round(report.accuracy, 4),
                     "macro_f1": round(report.macro_f1, 4),
                     "se_abnormal": round(float(report.recall[1]), 4),
                     "ppv_abnormal": round(float(report.precision[1]), 4),
                     "trained_params": int(sum(p.size for _, layer in
                                               parameterised_layers(model)[-k:]
                                               for p in layer.params.values()))
                     if k != "scratch" else model.n_params,
                     "train_s": round(time.perf_counter() - t0, 1),
                     "final_train_loss": round(history.train_loss[-1], 4)})
        print(f"k={k}: accuracy {100 * report.accuracy:.2f} %, macro-F1 "
              f"{report.macro_f1:.4f} ({rows[-1]['train_s']} s)", file=sys.stderr)
    print("| trained layers k | trained params | accuracy | macro-F1 | Se abnormal | "
          "+P abnormal | train s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['k']} | {r['trained_params']:,} | {100 * r['accuracy']:.2f} % | "
              f"{r['macro_f1']:.4f} | {100 * r['se_abnormal']:.1f} % | "
              f"{100 * r['ppv_abnormal']:.1f} % | {r['train_s']} |")
    return {"mode": "transfer", "machine": machine(), "base": base_path.name,
            "train_records": TRANSFER_TRAIN, "n_train": len(train), "n_test": len(test),
            "test_records": sorted(set(test.record.tolist())),
            "test_abnormal_fraction": round(float(test.y.mean()), 4),
            "settings": vars(args) | {"cache_dir": None}, "rows": rows,
            "wall_s": round(time.perf_counter() - t_start, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("intra", "inter", "transfer"))
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--sampler", choices=("balanced", "shuffle"), default=None)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="cores the network splits each batch over (results change "
                        "by float rounding only; 2 trains about 1.6x as fast on 2 cores)")
    parser.add_argument("--rr", action=argparse.BooleanOptionalAction, default=None,
                        help="the 3 RR features as extra inputs (default: on for inter "
                        "and transfer, off for intra)")
    parser.add_argument("--architecture", default="kachuee2018",
                        help="a name of heartbeat.nn.ARCHITECTURES")
    parser.add_argument("--class-weights", choices=("balanced",), default=None,
                        help="loss weights inversely proportional to the class counts")
    parser.add_argument("--rr-log", action="store_true",
                        help="give the network the logarithms of the RR features")
    parser.add_argument("--template", type=int, default=0, metavar="K",
                        help="add a channel: beat minus the median of its record's 2K+1 "
                        "nearest beats (0: off)")
    parser.add_argument("--tag", default="",
                        help="suffix of the result and model file names (variants)")
    parser.add_argument("--val-seed", type=int, default=1,
                        help="inter: seed of the by-record validation split of DS1")
    parser.add_argument("--n-train", type=int, default=2000,
                        help="transfer: training beats of the second task")
    parser.add_argument("--n-test", type=int, default=8000,
                        help="transfer: test beats (random sample of the other DS2 records)")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run from its checkpoint")
    parser.add_argument("--cache-dir", default=str(REPO / "scratch" / "cache"))
    parser.add_argument("--limit", type=int, default=None,
                        help="use this many random beats only (smoke test; not a result)")
    args = parser.parse_args(argv)
    if args.limit:
        LIMIT.append(args.limit)
    defaults = {"intra": (12, "shuffle"), "inter": (12, "balanced"),
                "transfer": (3, "balanced")}[args.mode]
    args.epochs = args.epochs or defaults[0]
    args.sampler = args.sampler or defaults[1]
    if args.rr is None:
        args.rr = args.mode != "intra"
    run = {"intra": run_intra, "inter": run_inter, "transfer": run_transfer}[args.mode]
    result = run(args)
    name = run_name(args)
    if args.limit:
        print("--limit: smoke test, results not written")
    else:
        print(f"wrote {write(name, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
