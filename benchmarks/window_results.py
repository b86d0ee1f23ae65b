"""Train and score the ±2 s window models (normal / abnormal) on MIT-BIH.

For one model (``spectrogram_cnn`` or ``bilstm_classifier``) and one split (``random``:
seeded, stratified 80/20 split of all windows; ``ds1ds2``: de Chazal's inter-patient
DS1 -> DS2), this script

1. builds (or reads from ``--cache-dir``) every ±2 s window of the 48 records,
2. turns each into a 33 x 87 log-power spectrogram, standardised per frequency bin with
   statistics of the training part only,
3. trains with Adam (plain cross-entropy, shuffled minibatches, a fixed number of
   epochs; the short loop below, no early stopping, no test-set peeking),
4. scores the test part (abnormal = positive): accuracy, sensitivity, specificity,

and appends one row to ``benchmarks/results/window_results.csv``.  The model is saved
with ``--save``.

BLAS runs on one thread (set below before NumPy is imported, unless the environment
already sets it): the LSTM's per-step products are small, and on the shared 2-core
machine two OpenBLAS threads made a BiLSTM forward + backward about 7x slower (0.58 s
-> 3.9 s per batch of 128 at load 8; ``--time-bilstm``, with and without
``OPENBLAS_NUM_THREADS=2``).

Run from the repository root, e.g.::

    python benchmarks/window_results.py --model spectrogram_cnn --split random --epochs 3
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import heartbeat.nn as nn  # noqa: E402
from heartbeat.datasets import inter_patient_split, mitbih_windows, train_test_split  # noqa: E402
from heartbeat.features import FrequencyNormalizer  # noqa: E402
from heartbeat.metrics import confusion_matrix  # noqa: E402
from heartbeat.nn.window_models import (  # noqa: E402
    bilstm_classifier,
    log_spectrograms,
    spectrogram_cnn,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "window_results.csv"
FIELDS = ["model", "split", "epochs", "batch_size", "lr", "seed", "n_train", "n_test",
          "n_params", "accuracy", "sensitivity", "specificity", "tp", "fn", "tn", "fp",
          "train_s", "features_s", "load_avg"]


def features(train_x, test_x, fs, block=4096):
    """Log-power spectrograms of both parts, standardised with train statistics."""
    s_train = log_spectrograms(train_x, fs)
    s_test = log_spectrograms(test_x, fs)
    norm = FrequencyNormalizer.fit(s_train)
    for s in (s_train, s_test):  # in place, block by block: no second full-size copy
        for i in range(0, len(s), block):
            s[i:i + block] = norm.transform(s[i:i + block])
    return s_train, s_test


def train(model, x, y, *, epochs, batch_size, lr, seed, log=print):
    """Shuffled-minibatch Adam on softmax cross-entropy; return the seconds taken."""
    rng = np.random.default_rng(seed)
    opt = nn.Adam(model.params(), lr=lr)
    model.train()
    t0 = time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        total, n_seen = 0.0, 0
        for start in range(0, len(x), batch_size):
            idx = np.sort(order[start:start + batch_size])
            model.zero_grad()
            loss, dlogits = nn.softmax_cross_entropy(model.forward(x[idx]), y[idx])
            model.backward(dlogits, input_grad=False)
            opt.step(model.grads())
            total += float(loss) * len(idx)
            n_seen += len(idx)
        log(f"epoch {epoch + 1}/{epochs}: mean loss {total / n_seen:.4f}, "
            f"{time.perf_counter() - t0:.0f} s")
    return time.perf_counter() - t0


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


def main(argv=None):
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=["spectrogram_cnn", "bilstm_classifier"])
    ap.add_argument("--split", choices=["random", "ds1ds2"])
    ap.add_argument("--time-bilstm", action="store_true",
                    help="only time a BiLSTM layer's forward + backward and exit")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hidden-size", type=int, default=32, help="BiLSTM units per direction")
    ap.add_argument("--data-dir", default=os.environ.get("HEARTBEAT_DATA",
                                                         "/work/shared/data") + "/mitdb")
    ap.add_argument("--cache-dir", default=str(ROOT / "scratch" / "win" / "cache"))
    ap.add_argument("--save", default=None, help="write the trained model (.npz) here")
    ap.add_argument("--no-csv", action="store_true", help="do not append to the CSV")
    args = ap.parse_args(argv)
    if args.time_bilstm:
        time_bilstm(hidden_size=args.hidden_size)
        return
    if args.model is None or args.split is None:
        ap.error("--model and --split are required (or --time-bilstm)")

    windows = mitbih_windows(args.data_dir, cache_dir=args.cache_dir, quiet=True)
    if args.split == "random":
        part = train_test_split(windows, test_size=0.2, seed=args.seed)
    else:
        part = inter_patient_split(windows)
    fs = windows.fs
    del windows
    print(f"{args.split}: {len(part.train)} train {part.train.class_counts().tolist()}, "
          f"{len(part.test)} test {part.test.class_counts().tolist()}", flush=True)

    t0 = time.perf_counter()
    s_train, s_test = features(part.train.x, part.test.x, fs)
    features_s = time.perf_counter() - t0
    y_train, y_test = part.train.y.astype(np.int64), part.test.y.astype(np.int64)
    del part
    n_freqs, n_frames = s_train.shape[1:]
    print(f"spectrograms {s_train.shape} + {s_test.shape} in {features_s:.0f} s", flush=True)

    if args.model == "spectrogram_cnn":
        spec = spectrogram_cnn(2, n_frames, input_channels=n_freqs)
    else:
        spec = bilstm_classifier(2, n_frames, input_channels=n_freqs,
                                 hidden_size=args.hidden_size)
    model = nn.build(spec, seed=args.seed)
    print(model, flush=True)
    train_s = train(model, s_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                    lr=args.lr, seed=args.seed,
                    log=lambda m: print(m, flush=True))
    y_pred = model.predict_logits(s_test).argmax(axis=1)
    row = {"model": args.model, "split": args.split, "epochs": args.epochs,
           "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
           "n_train": len(y_train), "n_test": len(y_test), "n_params": model.n_params,
           **scores(y_test, y_pred), "train_s": round(train_s, 1),
           "features_s": round(features_s, 1), "load_avg": round(os.getloadavg()[0], 2)}
    for k in ("accuracy", "sensitivity", "specificity"):
        row[k] = round(row[k], 4)
    print(row, flush=True)
    if args.save:
        model.info = {k: row[k] for k in ("split", "epochs", "seed", "accuracy")}
        print("saved", nn.save(model, args.save))
    if not args.no_csv:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        new = not RESULTS.exists()
        with open(RESULTS, "a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(row)


if __name__ == "__main__":
    main()
