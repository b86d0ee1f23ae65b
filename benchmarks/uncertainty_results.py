"""Calibration, reject option and adaptation of ``mitbih-ds1`` on unseen patients.

    PYTHONPATH=. python benchmarks/uncertainty_results.py [--data-dir DIR] [--cache-dir DIR]
    PYTHONPATH=. python benchmarks/uncertainty_results.py --part sinus

Part ``scores`` (beats cut at the annotated R peaks, as ``heartbeat evaluate``):

* the held-out DS1 records 106, 116, 124, 207, 223 (out of ``mitbih-ds1``'s weights,
  the records its temperature and threshold were fitted on), channels 0 and 1 -- the
  table the ``adapt`` default was chosen from;
* DS2 (22 records never seen in training or calibration), channels 0 and 1: ECE
  (15 bins, top label) before and after temperature scaling, beats rejected and
  accuracy on the rest, and every figure with ``adapt="prior"``.

Part ``sinus``: the DS2 records that are almost all N beats, each channel, as users
run it (``classify`` with the robust detector; detected beats matched to the
annotations within 150 ms), for the signal as recorded, inverted (-x), scaled
(x0.25), and with noise of the MIT-BIH Noise Stress Test Database added: ``ma`` (muscle) and ``bw``
(baseline wander) at 6 dB SNR (noise RMS = signal RMS / 2, noise channel as signal
channel, noise from its start).  The figure is the percentage of annotated N beats
called V or F (and, after the reject option, the percentage withheld as ``?``).

Writes ``benchmarks/results/uncertainty_<part>.md``.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from _common import REPO, data_root, default_mitdb

sys.path.insert(0, str(REPO))

from heartbeat.aami import class_codes, is_beat
from heartbeat.classifier import BeatClassifier
from heartbeat.classifier.adapt import adapt_prior, training_prior
from heartbeat.datasets import DS2, mitbih_beats
from heartbeat.io import read_annotations, read_record
from heartbeat.metrics import (
    classification_report,
    expected_calibration_error,
    match_peaks,
)
from heartbeat.nn import softmax
from heartbeat.pipeline import segment

HELD_OUT = ("106", "116", "124", "207", "223")
SINUS = ("100", "103", "113", "117", "121", "123", "202", "212", "222", "231")


def _per_record(proba: np.ndarray, record: np.ndarray, prior: np.ndarray) -> np.ndarray:
    out = proba.copy()
    for name in np.unique(record):
        rows = record == name
        out[rows] = adapt_prior(proba[rows], prior)
    return out


def _score_row(label: str, proba: np.ndarray, y: np.ndarray, threshold: float) -> str:
    pred = proba.argmax(axis=1)
    r = classification_report(y, pred)
    kept = proba.max(axis=1) >= threshold
    n_vf = np.isin(pred[y == 0], (2, 3)).mean()
    return (f"| {label} | {100 * r.accuracy:.1f} | {100 * r.recall[1]:.1f} / "
            f"{100 * r.precision[1]:.1f} | {100 * r.recall[2]:.1f} / "
            f"{100 * r.precision[2]:.1f} | {100 * n_vf:.2f} | "
            f"{expected_calibration_error(y, proba):.4f} | {(~kept).sum()} "
            f"({100 * (~kept).mean():.1f} %) | {100 * (pred == y)[kept].mean():.1f} |")


def scores(clf: BeatClassifier, data_dir: str, cache_dir: str | None) -> list[str]:
    cal = clf.calibration_
    prior = training_prior(clf.info, len(clf.classes_))
    lines = [f"temperature {cal.temperature:.4f}, reject below {cal.reject_below:.4f} "
             f"(fitted on {', '.join(cal.fitted_on['records'])}, channel 0)", "",
             "| records, channel, setting | accuracy % | S Se / +P % | V Se / +P % | "
             "N called V/F % | ECE | rejected | accuracy of the rest % |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for tag, records in (("held-out DS1", HELD_OUT), ("DS2", DS2)):
        for channel in (0, 1):
            beats = mitbih_beats(data_dir, list(records), channel=channel,
                                 cache_dir=cache_dir, quiet=True)
            logits = clf._predict_logits(beats)
            y = beats.y.astype(np.int64)
            raw = softmax(logits)
            calibrated = softmax(logits / cal.temperature)
            adapted = _per_record(calibrated, beats.record, prior)
            where = f"{tag}, ch {channel}"
            lines.append(_score_row(f"{where}, T = 1, no reject", raw, y, 0.0))
            lines.append(_score_row(f"{where}, calibrated + reject", calibrated, y,
                                    cal.reject_below))
            lines.append(_score_row(f"{where}, calibrated + reject + adapt=prior",
                                    adapted, y, cal.reject_below))
            print(lines[-3:], flush=True)
    return lines


def _variants(signal: np.ndarray, noise: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    rms = np.sqrt(np.mean((signal - signal.mean()) ** 2))
    out = {"as recorded": signal, "inverted": -signal, "x0.25": 0.25 * signal}
    for name, n in noise.items():
        n = np.resize(n - n.mean(), len(signal))
        out[f"+{name} 6 dB"] = signal + n * (rms / 2) / np.sqrt(np.mean(n ** 2))
    return out


def sinus(clf: BeatClassifier, data_dir: str) -> list[str]:
    cal = clf.calibration_
    prior = training_prior(clf.info, len(clf.classes_))
    nst = data_root() / "nstdb-noise"
    noise_records = {name: read_record(nst / name) for name in ("ma", "bw")} \
        if (nst / "ma.hea").exists() else {}
    lines = ["| record | ch | signal | annotated N (matched) | N called V/F %, argmax | "
             "after reject: V/F % / ? % | reject + adapt=prior: V/F % / ? % |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for name in SINUS:
        rec = read_record(os.path.join(data_dir, name))
        ann = read_annotations(os.path.join(data_dir, name), "atr")
        keep = is_beat(ann.symbol)
        ref, ref_codes = ann.sample[keep], class_codes(ann.symbol[keep])
        for channel in (0, 1):
            noise = {k: r.signal[:, channel] for k, r in noise_records.items()}
            for label, signal in _variants(rec.signal[:, channel], noise).items():
                beats = segment(signal, rec.fs)
                proba = clf._predict_proba(beats, checked=True)
                adapted = adapt_prior(proba, prior)
                det, idx = match_peaks(beats.r_peaks, ref, 0.15 * rec.fs)
                n_rows = det[ref_codes[idx] == 0]
                cells = []
                for p, threshold in ((proba, 0.0), (proba, cal.reject_below),
                                     (adapted, cal.reject_below)):
                    sure = p[n_rows].max(axis=1) >= threshold
                    vf = np.isin(p[n_rows].argmax(axis=1), (2, 3)) & sure
                    cells.append((100 * vf.mean(), 100 * (~sure).mean()))
                lines.append(f"| {name} | {channel} | {label} | {len(n_rows)} | "
                             f"{cells[0][0]:.2f} | {cells[1][0]:.2f} / {cells[1][1]:.1f} | "
                             f"{cells[2][0]:.2f} / {cells[2][1]:.1f} |")
                print(lines[-1], flush=True)
    return lines


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(default_mitdb()))
    parser.add_argument("--cache-dir", help="folder to cache beat sets in")
    parser.add_argument("--part", choices=("scores", "sinus"), nargs="+",
                        default=["scores", "sinus"])
    args = parser.parse_args()
    clf = BeatClassifier.pretrained("mitbih-ds1")
    for part in args.part:
        lines = scores(clf, args.data_dir, args.cache_dir) if part == "scores" \
            else sinus(clf, args.data_dir)
        out = REPO / "benchmarks" / "results" / f"uncertainty_{part}.md"
        out.write_text("\n".join(lines) + "\n")
        print(f"{out} written")


if __name__ == "__main__":
    run()
