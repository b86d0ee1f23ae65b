"""Train and score the ±2 s window models (normal / abnormal) on MIT-BIH.

For one model (``spectrogram_cnn`` or ``bilstm_classifier``) and one split, this script

1. builds (or reads from ``--cache-dir``) every ±2 s window of the 48 records and
   splits them three ways (the test part is never used to choose anything):

   * ``random``: seeded, stratified 80/20 split of all windows (seed ``--seed``, 0)
     into training and test; then 10 % of the training part (stratified, seed
     ``--val-seed``, 1) is the validation set;
   * ``ds1ds2``: de Chazal's inter-patient DS1 -> DS2; the validation set is 20 % of
     the DS1 *records* held out whole (``train_test_split(ds1, 0.2, by_record=True,
     seed=--val-seed)``).  Seed 1 is the smallest seed whose validation records hold
     abnormal windows of each AAMI class S, V and F while the training records keep
     at least half of each (seed 0 moves record 208, 371 of DS1's 413 F windows, to
     validation); it was chosen from DS1 class counts only.

2. turns each window into a 33 x 87 log-power spectrogram, standardised per frequency
   bin with statistics of the training part only (not validation, not test),
3. trains with :func:`heartbeat.training.fit`: Adam (``--lr``, times ``--lr-decay`` every
   ``--decay-every`` steps, default no decay), softmax cross-entropy, ``--sampler``
   batches, validation macro-F1 after every epoch, early
   stopping after ``--patience`` epochs without a better one, restoring the weights
   of the best epoch; checkpoints go to ``--checkpoint-dir`` (``--resume`` continues),
4. scores the test part (abnormal = positive): accuracy, sensitivity, specificity,

and appends one row to ``benchmarks/results/window_results.csv`` (not with
``--limit``).  The model is saved with ``--save``; ``--save-probs`` writes the returned
model's softmax probabilities on the validation and test parts, with their labels and
window identities, for ``benchmarks/window_ensemble.py``.

Seeds: ``--seed`` seeds the random train/test split and, unless ``--init-seed`` is
given, also the weights, the dropout masks and the sampler (the behaviour of the
earlier rows).  ``--init-seed S`` seeds only the weights, dropout and sampler, so runs
with different ``S`` share one split and can be compared and averaged window by window.

BLAS runs on one thread (set below before NumPy is imported, unless the environment
already sets it): the LSTM's per-step products are small, and on the shared 2-core
machine two OpenBLAS threads made a BiLSTM forward + backward about 7x slower (0.58 s
-> 3.9 s per batch of 128 at load 8; ``--time-bilstm``, with and without
``OPENBLAS_NUM_THREADS=2``).

Run from the repository root, e.g.::

    python benchmarks/window_results.py --model spectrogram_cnn --split random \\
        --epochs 30 --patience 5
    python benchmarks/window_results.py --model bilstm_classifier --split random \\
        --limit 3000 --epochs 2 --no-csv     # smoke test on 3,000 windows
    python benchmarks/window_results.py --model spectrogram_cnn --split random \\
        --init-seed 3 --save-probs scratch/win-seeds/probs/cnn_i3.npz
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import heartbeat.nn as nn  # noqa: E402
from heartbeat._atomic import atomic_open, save_npz_atomic  # noqa: E402
from heartbeat.datasets import inter_patient_split, mitbih_windows, train_test_split  # noqa: E402
from heartbeat.metrics import confusion_matrix, macro_f1  # noqa: E402
from heartbeat.training import SAMPLERS, fit  # noqa: E402
from heartbeat.windows import FrequencyNormalizer  # noqa: E402
from heartbeat.windows.models import (  # noqa: E402
    bilstm_classifier,
    log_spectrograms,
    spectrogram_cnn,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "window_results.csv"
# protocol "fixed_epochs": rows written before validation existed (the columns after
# protocol are empty); they trained exactly `epochs` epochs with the script's own
# shuffled Adam loop.  "fit_early_stopping": `epochs` is the maximum, `epochs_run` the
# epochs trained and `best_epoch` the one whose weights were kept.  `seed` seeds the
# random split; `init_seed` the weights, dropout and sampler (empty in rows written
# before the column existed: there `seed` seeded those too).
FIELDS = ["model", "split", "epochs", "batch_size", "lr", "seed", "n_train", "n_test",
          "n_params", "accuracy", "sensitivity", "specificity", "tp", "fn", "tn", "fp",
          "train_s", "features_s", "load_avg",
          "protocol", "sampler", "hidden_size", "patience", "val_seed", "n_val",
          "epochs_run", "best_epoch", "val_macro_f1", "val_accuracy", "load_avg_start",
          "lr_decay", "decay_every", "init_seed"]


def split(windows, how, *, seed, val_seed):
    """Return (train, validation, test) WindowSets; see the module docstring."""
    if how == "random":
        train, test = train_test_split(windows, test_size=0.2, seed=seed)
        train, val = train_test_split(train, test_size=0.1, seed=val_seed)
    else:
        ds1, test = inter_patient_split(windows)
        train, val = train_test_split(ds1, test_size=0.2, seed=val_seed, by_record=True)
    return train, val, test


def features(parts, fs, block=4096):
    """Log-power spectrograms of every part, standardised with the first part's statistics."""
    specs = [log_spectrograms(x, fs) for x in parts]
    norm = FrequencyNormalizer.fit(specs[0])
    for s in specs:  # in place, block by block: no second full-size copy
        for i in range(0, len(s), block):
            s[i:i + block] = norm.transform(s[i:i + block])
    return specs


def scores(y_true, y_pred):
    """Accuracy, sensitivity and specificity with abnormal (1) as the positive class."""
    cm = confusion_matrix(y_true, y_pred, n_classes=2)  # rows true, columns predicted
    tn, fp, fn, tp = (int(v) for v in cm.ravel())
    return {"accuracy": (tp + tn) / int(cm.sum()), "sensitivity": tp / max(tp + fn, 1),
            "specificity": tn / max(tn + fp, 1), "tp": tp, "fn": fn, "tn": tn, "fp": fp}


def time_bilstm(sizes=(1, 16, 128), hidden_size=32, repeat=3):
    """Print the best-of-`repeat` time of a BiLSTM forward + backward per batch size."""
    layer = nn.lstm.BiLSTM(33, hidden_size, output="center")
    layer.init(np.random.default_rng(0), np.float32)
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    for n in sizes:
        x = np.random.default_rng(1).standard_normal((n, 33, 87)).astype(np.float32)
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            out = layer.forward(x)
            layer.backward(np.ones_like(out))
            best = min(best, time.perf_counter() - t0)
        print(f"BiLSTM(33, {hidden_size}) forward+backward, N={n}, T=87, "
              f"OPENBLAS_NUM_THREADS={threads}: {best * 1e3:.0f} ms per batch, "
              f"{best / n * 1e3:.2f} ms per window (load {os.getloadavg()[0]:.1f})")


def append_row(row, path=RESULTS):
    """Append `row` to the CSV; rewrite an older header first, keeping its rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    if path.exists():
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames != FIELDS:
                rows = [r if r.get("protocol") else {**r, "protocol": "fixed_epochs"}
                        for r in reader]
    if rows or not path.exists():  # a new header: the whole file anew, atomically
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, fieldnames=FIELDS, restval="")
        writer.writeheader()
        writer.writerows(rows)
        with atomic_open(path) as fh:
            fh.write(text.getvalue().encode())
    with open(path, "a", newline="") as fh:  # one line, appended
        csv.DictWriter(fh, fieldnames=FIELDS, restval="").writerow(row)


def main(argv=None):
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=["spectrogram_cnn", "bilstm_classifier"])
    ap.add_argument("--split", choices=["random", "ds1ds2"])
    ap.add_argument("--time-bilstm", action="store_true",
                    help="only time a BiLSTM layer's forward + backward and exit")
    ap.add_argument("--epochs", type=int, default=30, help="maximum number of epochs")
    ap.add_argument("--patience", type=int, default=5,
                    help="early stopping: epochs without a better validation macro-F1")
    ap.add_argument("--sampler", choices=SAMPLERS, default="shuffle",
                    help="shuffle: every window once per epoch; balanced: half of every "
                         "batch abnormal")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-decay", type=float, default=1.0,
                    help="multiply the learning rate by this every --decay-every steps")
    ap.add_argument("--decay-every", type=int, default=10_000, help="steps per decay")
    ap.add_argument("--seed", type=int, default=0,
                    help="seeds the random train/test split, and the weights, dropout and "
                         "sampler unless --init-seed is given")
    ap.add_argument("--init-seed", type=int, default=None,
                    help="seeds only the weights, dropout and sampler (default: --seed)")
    ap.add_argument("--val-seed", type=int, default=1, help="seeds the validation split")
    ap.add_argument("--hidden-size", type=int, default=32, help="BiLSTM units per direction")
    ap.add_argument("--limit", type=int, default=None,
                    help="smoke test: use this many randomly chosen windows (no CSV row)")
    ap.add_argument("--data-dir", default=os.environ.get(
        "HEARTBEAT_DATA", str(ROOT.parent / "shared" / "data")) + "/mitdb")
    ap.add_argument("--cache-dir", default=str(ROOT / "scratch" / "win" / "cache"))
    ap.add_argument("--checkpoint-dir", default=None,
                    help="fit's checkpoint folder (default scratch/win-fit/ckpt/<run>)")
    ap.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    ap.add_argument("--save", default=None, help="write the trained model (.npz) here")
    ap.add_argument("--save-probs", default=None,
                    help="write validation and test softmax probabilities, labels and "
                         "window identities of the returned model (.npz) here")
    ap.add_argument("--no-csv", action="store_true", help="do not append to the CSV")
    args = ap.parse_args(argv)
    if args.time_bilstm:
        time_bilstm(hidden_size=args.hidden_size)
        return
    if args.model is None or args.split is None:
        ap.error("--model and --split are required (or --time-bilstm)")
    load_start = os.getloadavg()[0]
    init_seed = args.seed if args.init_seed is None else args.init_seed

    windows = mitbih_windows(args.data_dir, cache_dir=args.cache_dir, quiet=True)
    if args.limit:
        keep = np.random.default_rng(0).choice(len(windows), size=args.limit, replace=False)
        windows = windows[np.sort(keep)]
    train, val, test = split(windows, args.split, seed=args.seed, val_seed=args.val_seed)
    fs = windows.fs
    del windows
    for name, part in (("train", train), ("validation", val), ("test", test)):
        print(f"{args.split} {name}: {len(part)} windows {part.class_counts().tolist()}"
              + (f", records {sorted(set(part.record.tolist()))}"
                 if args.split == "ds1ds2" and name == "validation" else ""), flush=True)

    t0 = time.perf_counter()
    s_train, s_val, s_test = features([train.x, val.x, test.x], fs)
    features_s = time.perf_counter() - t0
    y_train, y_val, y_test = (p.y.astype(np.int64) for p in (train, val, test))
    ids = {f"{name}_{k}": getattr(part, k) for name, part in (("val", val), ("test", test))
           for k in ("record", "sample", "aami")}
    del train, val, test
    n_freqs, n_frames = s_train.shape[1:]
    print(f"spectrograms {s_train.shape} + {s_val.shape} + {s_test.shape} in "
          f"{features_s:.0f} s", flush=True)

    if args.model == "spectrogram_cnn":
        spec = spectrogram_cnn(2, n_frames, input_channels=n_freqs)
        run = f"{args.model}_{args.split}_{args.sampler}_s{args.seed}"
    else:
        spec = bilstm_classifier(2, n_frames, input_channels=n_freqs,
                                 hidden_size=args.hidden_size)
        run = f"{args.model}_h{args.hidden_size}_{args.split}_{args.sampler}_s{args.seed}"
    if args.init_seed is not None:
        run += f"_i{args.init_seed}"
    if args.lr_decay != 1.0:
        run += f"_decay{args.lr_decay}x{args.decay_every}"
    run += f"_limit{args.limit}" if args.limit else ""
    model = nn.build(spec, seed=init_seed)
    print(model, flush=True)
    ckpt = args.checkpoint_dir or ROOT / "scratch" / "win-fit" / "ckpt" / run
    t0 = time.perf_counter()
    history = fit(model, s_train, y_train, validation=(s_val, y_val), epochs=args.epochs,
                  batch_size=args.batch_size, sampler=args.sampler,
                  optimizer=lambda params: nn.Adam(params, lr=args.lr,
                                                   lr_decay=args.lr_decay,
                                                   decay_every=args.decay_every),
                  early_stopping=args.patience, seed=init_seed, checkpoint_dir=ckpt,
                  resume=args.resume, quiet=False)
    train_s = time.perf_counter() - t0
    best = history.best_epoch
    print(f"best epoch {best} of {history.n_epochs} (validation macro-F1 "
          f"{history.val_macro_f1[best - 1]:.4f}); weights of epoch {best} restored: "
          f"{history.restored_best or best == history.n_epochs}", flush=True)
    val_logits = model.predict_logits(s_val)
    val_check = macro_f1(y_val, val_logits.argmax(axis=1), 2)
    print(f"validation macro-F1 of the returned model: {val_check:.4f}", flush=True)
    test_logits = model.predict_logits(s_test)
    y_pred = test_logits.argmax(axis=1)
    row = {"model": args.model, "split": args.split, "epochs": args.epochs,
           "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
           "n_train": len(y_train), "n_test": len(y_test), "n_params": model.n_params,
           **scores(y_test, y_pred), "train_s": round(train_s, 1),
           "features_s": round(features_s, 1), "load_avg": round(os.getloadavg()[0], 2),
           "protocol": "fit_early_stopping", "sampler": args.sampler,
           "hidden_size": args.hidden_size if args.model == "bilstm_classifier" else "",
           "patience": args.patience, "val_seed": args.val_seed, "n_val": len(y_val),
           "epochs_run": history.n_epochs, "best_epoch": best,
           "val_macro_f1": round(history.val_macro_f1[best - 1], 4),
           "val_accuracy": round(history.val_accuracy[best - 1], 4),
           "load_avg_start": round(load_start, 2), "lr_decay": args.lr_decay,
           "decay_every": args.decay_every, "init_seed": init_seed}
    for k in ("accuracy", "sensitivity", "specificity"):
        row[k] = round(row[k], 4)
    print(row, flush=True)
    if args.save:
        model.info = {k: row[k] for k in ("split", "best_epoch", "seed", "accuracy")}
        print("saved", nn.save(model, args.save))
    if args.save_probs:
        Path(args.save_probs).parent.mkdir(parents=True, exist_ok=True)
        path = save_npz_atomic(
            args.save_probs, val_proba=nn.softmax(val_logits.astype(np.float64)),
            val_y=y_val, test_proba=nn.softmax(test_logits.astype(np.float64)),
            test_y=y_test, **ids, row=np.array(json.dumps(row)))
        print("saved probabilities", path, flush=True)
    if not args.no_csv and not args.limit:
        append_row(row)


if __name__ == "__main__":
    main()
