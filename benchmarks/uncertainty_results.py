"""Calibration, reject option and adaptation of the shipped ``mitbih-ds1`` on unseen patients.

    PYTHONPATH=. python benchmarks/uncertainty_results.py [--data-dir DIR] [--cache-dir DIR]
    PYTHONPATH=. python benchmarks/uncertainty_results.py --part sinus

The model is the shipped file as it is today (the ``ch0+ch1`` ensemble of three, its
temperature and reject threshold in ``info["calibration"]``); the printed header names
them, so a later model file gives a later table.

Part ``scores`` (beats cut at the annotated R peaks, as ``heartbeat evaluate``; N, S,
V, F beats, Q left out as everywhere in the inter-patient tables):

* the held-out DS1 records 106, 116, 124, 207, 223 (out of ``mitbih-ds1``'s weights,
  the records its temperature and threshold were fitted on), channels 0 and 1;
* DS2 (22 records never seen in training or calibration), channels 0 and 1.

Per block: the raw softmax (T = 1, no reject), calibrated with the reject option,
calibrated + reject after ``adapt="template"`` (what ``classify()`` does by default,
each record adapted on its own beats) and after ``adapt="prior"``: accuracy, S and V
Se / +P, N beats called V/F, ECE (15 bins, top label), beats rejected and the accuracy
of the rest.

Part ``sinus``: the DS2 records that are almost all N beats, each channel, as users
run it: ``heartbeat.classify(x, fs, model="mitbih-ds1")`` with the robust detector,
detected beats matched to the annotations within 150 ms, for the signal as recorded,
inverted (-x), scaled (x0.25), and with noise of the MIT-BIH Noise Stress Test Database
added: ``ma`` (muscle) and ``bw`` (baseline wander) at 6 dB SNR (noise RMS = signal RMS
/ 2, noise channel as signal channel, noise from its start).  The figure is the share
of annotated N beats labelled V or F, and of those withheld as ``?``: with the model's
argmax alone (``adapt="none"``, no reject option, no quality), with ``classify()``'s
defaults, and with ``adapt="prior"`` (other settings default).  Pooled rows close the
table.

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
from heartbeat.classifier import BeatClassifier, classify
from heartbeat.classifier.adapt import adapt_prior, training_prior
from heartbeat.classifier.template import adapt_template
from heartbeat.datasets import DS2, BeatSet, mitbih_beats
from heartbeat.io import read_annotations, read_record
from heartbeat.metrics import (
    classification_report,
    expected_calibration_error,
    match_peaks,
)
from heartbeat.nn import softmax

HELD_OUT = ("106", "116", "124", "207", "223")
SINUS = ("100", "103", "113", "117", "121", "123", "202", "212", "222", "231")
FS_BEATS = 125.0  # the beat sets' rate (Kachuee 2018)
SETTINGS = {"argmax": {"adapt": "none", "reject": False, "quality": False},
            "classify() defaults": {},
            "adapt=prior": {"adapt": "prior"}}


def _per_record(proba: np.ndarray, beats: BeatSet, how: str, clf: BeatClassifier
                ) -> np.ndarray:
    """Each record's probabilities adapted on its own beats (`how`: template or prior)."""
    prior = training_prior(clf.info, len(clf.classes_))
    out = proba.copy()
    for name in np.unique(beats.record):
        rows = beats.record == name
        if how == "prior":
            out[rows] = adapt_prior(proba[rows], prior)
        else:
            out[rows] = adapt_template(proba[rows], beats.x[rows], beats.rr[rows],
                                       classes=tuple(clf.classes_), fs_out=FS_BEATS)[0]
    return out


def _score_row(label: str, proba: np.ndarray, y: np.ndarray, threshold: float,
               clf_names: tuple[str, ...]) -> str:
    pred = proba.argmax(axis=1)
    r = classification_report(y, pred, clf_names)
    kept = proba.max(axis=1) >= threshold
    n_vf = np.isin(pred[y == 0], (2, 3)).mean()
    return (f"| {label} | {100 * r.accuracy:.1f} | {100 * r.recall[1]:.1f} / "
            f"{100 * r.precision[1]:.1f} | {100 * r.recall[2]:.1f} / "
            f"{100 * r.precision[2]:.1f} | {100 * n_vf:.2f} | "
            f"{expected_calibration_error(y, proba):.4f} | {(~kept).sum()} "
            f"({100 * (~kept).mean():.1f} %) | {100 * (pred == y)[kept].mean():.1f} |")


def scores(clf: BeatClassifier, data_dir: str, cache_dir: str | None) -> list[str]:
    cal = clf.calibration_
    lines = [_header(clf), "",
             "| records, channel, setting | accuracy % | S Se / +P % | V Se / +P % | "
             "N called V/F % | ECE | rejected | accuracy of the rest % |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for tag, records in (("held-out DS1", HELD_OUT), ("DS2", DS2)):
        for channel in (0, 1):
            beats = mitbih_beats(data_dir, list(records), channel=channel,
                                 cache_dir=cache_dir, quiet=True)
            logits = clf._predict_logits(beats)  # the record context sees every beat
            keep = beats.y < 4  # N, S, V, F: Q left out, as in the DS2 goals table
            beats, logits = beats[keep], logits[keep]
            y = beats.y.astype(np.int64)
            calibrated = softmax(logits / cal.temperature)
            where = f"{tag}, ch {channel}"
            rows = [(f"{where}, T = 1, no reject", softmax(logits), 0.0),
                    (f"{where}, calibrated + reject", calibrated, cal.reject_below)]
            for how in ("template", "prior"):
                rows.append((f"{where}, calibrated + reject + adapt={how}",
                             _per_record(calibrated, beats, how, clf), cal.reject_below))
            for label, proba, threshold in rows:
                lines.append(_score_row(label, proba, y, threshold, tuple(clf.classes_)))
                print(lines[-1], flush=True)
    return lines


def _header(clf: BeatClassifier) -> str:
    cal = clf.calibration_
    members = (clf.info.get("ensemble") or {}).get("members", [])
    what = f"an ensemble of {len(members)}" if members else "one network"
    return (f"`mitbih-ds1` ({clf.info.get('recipe', {}).get('name')}, {what}): "
            f"temperature {cal.temperature:.4f}, reject below {cal.reject_below:.4f} "
            f"(fitted on {', '.join(cal.fitted_on['records'])}, channel 0)")


def _variants(signal: np.ndarray, noise: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    rms = np.sqrt(np.mean((signal - signal.mean()) ** 2))
    out = {"as recorded": signal, "inverted": -signal, "x0.25": 0.25 * signal}
    for name, n in noise.items():
        n = np.resize(n - n.mean(), len(signal))
        out[f"+{name} 6 dB"] = signal + n * (rms / 2) / np.sqrt(np.mean(n ** 2))
    return out


def _sinus_counts(clf: BeatClassifier, signal: np.ndarray, fs: float, ref: np.ndarray,
                  ref_codes: np.ndarray) -> tuple[int, list[tuple[int, int]]]:
    """Matched annotated N beats, and per setting how many are labelled V/F and "?"."""
    cells, n_normal = [], 0
    for options in SETTINGS.values():
        result = classify(signal, fs, model=clf, **options)
        det, idx = match_peaks(result.beats.r_peaks, ref, 0.15 * fs)
        labels = result.labels[det[ref_codes[idx] == 0]]
        n_normal = len(labels)
        cells.append((int(np.isin(labels, ("V", "F")).sum()), int((labels == "?").sum())))
    return n_normal, cells


def sinus(clf: BeatClassifier, data_dir: str) -> list[str]:
    nst = data_root() / "nstdb-noise"
    noise_records = {name: read_record(nst / name) for name in ("ma", "bw")} \
        if (nst / "ma.hea").exists() else {}
    head = " | ".join(f"{name}: V/F % / ? %" for name in SETTINGS)
    lines = [_header(clf), "", f"| record | ch | signal | annotated N (matched) | {head} |",
             "| --- | ---: | --- | ---: |" + " ---: |" * len(SETTINGS)]
    pooled: dict[tuple[int, str], np.ndarray] = {}
    worst: dict[tuple[int, str], tuple[float, str]] = {}
    for name in SINUS:
        rec = read_record(os.path.join(data_dir, name))
        ann = read_annotations(os.path.join(data_dir, name), "atr")
        keep = is_beat(ann.symbol)
        ref, ref_codes = ann.sample[keep], class_codes(ann.symbol[keep])
        for channel in (0, 1):
            noise = {k: r.signal[:, channel] for k, r in noise_records.items()}
            for label, signal in _variants(rec.signal[:, channel], noise).items():
                n, cells = _sinus_counts(clf, signal, rec.fs, ref, ref_codes)
                key = (channel, label)
                pooled[key] = pooled.get(key, 0) + np.array([n, *np.ravel(cells)])
                share = 100 * cells[1][0] / max(n, 1)
                if share >= worst.get(key, (-1.0, ""))[0]:
                    worst[key] = (share, name)
                text = " | ".join(f"{100 * vf / max(n, 1):.2f} / {100 * q / max(n, 1):.1f}"
                                  for vf, q in cells)
                lines.append(f"| {name} | {channel} | {label} | {n} | {text} |")
                print(lines[-1], flush=True)
    lines += ["", "Pooled over the records (worst record of `classify()`'s defaults, V/F %):",
              "", f"| ch | signal | annotated N (matched) | {head} | worst, defaults |",
              "| ---: | --- | ---: |" + " ---: |" * (len(SETTINGS) + 1)]
    for (channel, label), total in pooled.items():
        n, counts = total[0], total[1:].reshape(-1, 2)
        text = " | ".join(f"{100 * vf / n:.2f} / {100 * q / n:.1f}" for vf, q in counts)
        share, record = worst[(channel, label)]
        lines.append(f"| {channel} | {label} | {n} | {text} | {share:.2f} ({record}) |")
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
