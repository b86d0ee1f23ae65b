"""Commands on one ECG: ``demo``, ``segment``, ``predict`` and ``plot``.

Each ``cmd_*`` function runs one command of :mod:`heartbeat.cli.parser` and returns
its exit status; heavy modules are imported inside, on first use.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from typing import TYPE_CHECKING

import numpy as np

from heartbeat.cli import files

if TYPE_CHECKING:  # pragma: no cover
    from heartbeat.io.inputs import EcgChannel

# a median heart rate outside this range points to a wrong --fs (or not an ECG)
MIN_RATE_BPM, MAX_RATE_BPM = 20, 300


def cmd_demo(args: argparse.Namespace) -> int:
    """Run ``heartbeat demo``: detect, score and classify the shipped excerpts."""
    from heartbeat.aami import is_beat
    from heartbeat.io.examples import ATTRIBUTION, EXAMPLES, load_example
    from heartbeat.metrics import detection_scores
    from heartbeat.pipeline import segment

    print("heartbeat demo: the MIT-BIH excerpts shipped with the package")
    print(f"data: {ATTRIBUTION}\n")
    # Compile (or load from Numba's cache) the detector's kernels outside the timing.
    warm = load_example(EXAMPLES[0])
    for detector in args.detectors:
        segment(warm.signal[: int(10 * warm.fs), 0], warm.fs, detector=detector)
    for name in EXAMPLES:
        ex = load_example(name)
        ecg = ex.signal[:, 0]
        reference = ex.annotations.sample[is_beat(ex.annotations.symbol)]
        print(
            f"record {name}: {len(ecg) / ex.fs:.0f} s at {ex.fs:g} Hz, lead "
            f"{ex.record.sig_names[0]}, {len(reference)} annotated beats"
        )
        for detector in args.detectors:
            start = time.perf_counter()
            beats = segment(ecg, ex.fs, detector=detector)
            elapsed = time.perf_counter() - start
            score = detection_scores(reference, beats.r_peaks, ex.fs)
            rr = np.diff(beats.r_peaks) / ex.fs
            rate = "n/a"
            if len(rr):
                bpm = 60 / np.median(rr)
                rate = f"{bpm:.0f} bpm"
                if not MIN_RATE_BPM <= bpm <= MAX_RATE_BPM:
                    rate += " (implausible: beats were missed)"
            print(
                f"  {detector:>11}: {len(beats):4d} beats, heart rate {rate}, "
                f"{elapsed * 1e3:.1f} ms; vs annotations (±150 ms): "
                f"Se {100 * score.se:.1f} %, +P {100 * score.ppv:.1f} % "
                f"(TP {score.tp}, FN {score.fn}, FP {score.fp})"
            )
        _demo_classes(ex, segment(ecg, ex.fs))
        print()
    return 0


def cmd_segment(args: argparse.Namespace) -> int:
    """Run ``heartbeat segment``: cut one ECG channel into beats saved as .npz or .csv."""
    from heartbeat._atomic import save_npz_atomic
    from heartbeat.pipeline import segment

    out = files.prepare_output(args.out)
    ecg = _load_ecg(args)
    signal, fs, names = _with_detection_leads(ecg, args)
    say_missing(signal, fs, args)
    beats = segment(signal, fs, detector=args.detector, lead=0, missing=args.missing)
    _check_plausible(beats.r_peaks, fs, len(signal), args.command)
    _say_unreadable(beats.unreadable, ecg.fs, args.command)
    if out.suffix.lower() == ".csv":
        files.write_beats_csv(out, beats)
    else:
        arrays = {f.name: np.asarray(getattr(beats, f.name))
                  for f in dataclasses.fields(beats)}
        # Beats.lead is a column of the stacked signal; the file names the input's channels
        arrays |= {"channel": np.asarray(ecg.lead),
                   "detect_on": np.asarray(names)}
        out = save_npz_atomic(out, **arrays)
    print(f"{len(beats)} beats ({beats.waveforms.shape[1]} samples each) written to {out}")
    return 0


def _say_unreadable(spans: np.ndarray, fs: float, command: str) -> None:
    """Say on stderr how much of the signal was too poor to read beats from."""
    if len(spans):
        total_s = float(np.sum(spans[:, 1] - spans[:, 0])) / fs
        print(f"heartbeat {command}: {len(spans)} unreadable stretch(es), {total_s:.1f} s "
              "in all (signal quality below threshold, or missing samples): no beats are "
              "labelled there",
              file=sys.stderr)


def say_missing(signal: np.ndarray, fs: float, args: argparse.Namespace) -> None:
    """Say on stderr how many samples are missing (NaN) and read around (``--missing``)."""
    if args.missing != "unreadable":
        return
    gaps = np.isnan(signal)
    if gaps.ndim == 2:
        gaps = gaps[:, 0]  # the channel the beats are cut from
    tell_missing(args.command, *missing_counts(gaps), fs, "NaN: invalid in the input")


def missing_counts(gaps: np.ndarray, open_before: bool = False) -> tuple[int, int]:
    """Return (missing samples, gaps that begin in `gaps`) of a bool mask of samples.

    `open_before`: the sample before the mask's first was missing too (a gap that goes
    on from an earlier block is not counted again).
    """
    starts = np.diff(gaps.astype(np.int8), prepend=np.int8(open_before)) == 1
    return int(gaps.sum()), int(starts.sum())


def tell_missing(command: str, n_samples: int, n_gaps: int, fs: float, what: str) -> None:
    """Say on stderr how many samples were missing and read around (nothing if none)."""
    if n_samples:
        print(f"heartbeat {command}: {n_samples} missing sample(s) ({what}) in {n_gaps} "
              f"gap(s), {n_samples / fs:.1f} s in all; read around (--missing error "
              "refuses them)", file=sys.stderr)


def _load_ecg(args: argparse.Namespace) -> EcgChannel:
    """Read the channel the command names and say on stderr which one it took."""
    from heartbeat.io.inputs import load_channel

    ecg = load_channel(args.input, fs=args.fs, channel=args.channel)
    print(f"heartbeat {args.command}: reading {ecg.description}", file=sys.stderr)
    return ecg


def _with_detection_leads(ecg: EcgChannel, args: argparse.Namespace
                          ) -> tuple[np.ndarray, float, list[str]]:
    """Return the signal to cut, its rate and the names of the channels the peaks come from.

    `ecg`, with ``--detect-on``'s channels as further columns (the R peaks are found on
    all; the beats are cut from column 0, `ecg`).
    """
    from heartbeat.io.inputs import load_channel

    if not args.detect_on:
        return ecg.signal, ecg.fs, [ecg.lead]
    others = [load_channel(args.input, fs=args.fs, channel=ch) for ch in args.detect_on]
    for other in others:
        if other.signal.shape != ecg.signal.shape or other.fs != ecg.fs:
            raise ValueError(f"--detect-on {other.lead}: {other.signal.size} samples at "
                             f"{other.fs:g} Hz, but --channel {ecg.lead} has "
                             f"{ecg.signal.size} at {ecg.fs:g} Hz; name channels of the "
                             "same recording")
    print(f"heartbeat {args.command}: R peaks from {ecg.lead} and "
          f"{', '.join(o.lead for o in others)}; beats cut from {ecg.lead}", file=sys.stderr)
    return (np.column_stack([ecg.signal, *(o.signal for o in others)]), ecg.fs,
            [ecg.lead, *(o.lead for o in others)])


def _check_plausible(r_peaks: np.ndarray, fs: float, n_samples: int, command: str) -> None:
    """Warn on stderr about results that point to a wrong input (no beats, odd rate)."""
    from heartbeat.pipeline.steps import WINDOW_S

    duration_s = n_samples / fs
    if len(r_peaks) == 0:
        why = (f"the signal lasts only {duration_s:.1f} s; beats are cut from "
               f"{WINDOW_S:g} s windows and need two R peaks in one to measure the heart "
               f"period: give {WINDOW_S:g} s or more"
               if duration_s < WINDOW_S else
               f"none found in {duration_s:.0f} s: check the channel (--channel) and the "
               f"sampling frequency (--fs {fs:g})")
        print(f"heartbeat {command}: 0 beats: {why}", file=sys.stderr)
    elif len(r_peaks) >= 2:
        rate_bpm = 60.0 * fs / float(np.median(np.diff(r_peaks)))
        if not MIN_RATE_BPM <= rate_bpm <= MAX_RATE_BPM:
            print(f"heartbeat {command}: warning: the median heart rate is {rate_bpm:.0f} "
                  f"bpm, outside {MIN_RATE_BPM}-{MAX_RATE_BPM} bpm; is the sampling "
                  f"frequency {fs:g} Hz right (--fs)?", file=sys.stderr)


def _demo_classes(ex, beats) -> None:
    """Print the classes found in an excerpt against its annotations (for demo)."""
    from heartbeat.aami import CLASSES, class_codes, is_beat
    from heartbeat.classifier import BeatClassifier
    from heartbeat.metrics import match_peaks

    clf = BeatClassifier.pretrained("mitbih-ds1")
    pred = clf.predict(beats)
    keep = is_beat(ex.annotations.symbol)
    ref_samples = ex.annotations.sample[keep]
    ref_codes = class_codes(ex.annotations.symbol[keep])
    det, ref = match_peaks(beats.r_peaks, ref_samples, 0.15 * ex.fs)
    found = np.bincount(pred, minlength=len(CLASSES))
    annotated = np.bincount(ref_codes, minlength=len(CLASSES))
    agree = pred[det] == ref_codes[ref]
    pairs = ", ".join(f"{c} {f}/{a}" for c, f, a in zip(CLASSES, found, annotated, strict=True)
                      if f or a)
    seen = "a training record" if ex.name in clf.info.get("records", []) else "unseen"
    print(f"  classes (model mitbih-ds1, {seen}), found/annotated: {pairs}; "
          f"label agreement {100 * agree.mean():.1f} % of {len(agree)} matched beats")


def cmd_predict(args: argparse.Namespace) -> int:
    """Run ``heartbeat predict``: classify every beat of one ECG as CSV or JSON.

    Unclassified beats keep their row: label ``?`` and a reason (``uncertain``,
    ``unreadable`` or ``noisy``; empty for a classified beat); ``quality`` is the signal quality
    of the beat's stretch in [0, 1]; ``adapted`` says that the beat lost its V and F
    probability to the template adaptation (``--adapt template``, the default).
    """
    import csv
    import io
    import json

    from heartbeat._atomic import atomic_open
    from heartbeat.classifier import classify

    if args.out:
        files.prepare_output(args.out)
    clf = files.load_model(args.model)
    ecg = _load_ecg(args)
    signal, fs, names = _with_detection_leads(ecg, args)
    noisy = {} if args.noisy_below is None else {"noisy_below": args.noisy_below}
    say_missing(signal, fs, args)
    result = classify(signal, fs, model=clf, detector=args.detector, reject=args.reject,
                      adapt=args.adapt, lead=0, missing=args.missing, **noisy)
    _check_plausible(result.r_peaks, fs, len(signal), args.command)
    _say_unreadable(result.beats.unreadable, fs, args.command)
    rr_s, rate_bpm = _rr_and_rate(result.r_peaks, fs)
    fmt = args.format
    if fmt is None:
        fmt = "json" if args.out and str(args.out).lower().endswith(".json") else "csv"
    if fmt == "json":
        doc = {
            "input": str(args.input), "fs": fs, "lead": ecg.lead,
            "detect_on": names,
            "model": args.model or "mitbih-all",
            "classes": list(result.classes), "counts": result.counts(),
            "beats": [
                {"sample": int(s), "time_s": round(float(t), 6), "label": str(lab),
                 "reason": str(why),
                 "quality": None if np.isnan(qual) else round(float(qual), 3),
                 "adapted": bool(adapted),
                 "probabilities": {c: round(float(p), 6) for c, p in
                                   zip(result.classes, row, strict=True)},
                 "rr_s": None if np.isnan(rr) else round(float(rr), 6),
                 "hr_bpm": None if np.isnan(hr) else round(float(hr), 3)}
                for s, t, lab, why, qual, adapted, row, rr, hr in zip(
                    result.r_peaks, result.time_s, result.labels, result.reasons,
                    result.quality, result.adapted, result.probabilities, rr_s,
                    rate_bpm, strict=True)
            ],
        }
        text = json.dumps(doc, indent=1) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["sample", "time_s", "label", "reason", "quality", "adapted",
                         *(f"p_{c}" for c in result.classes), "rr_s", "hr_bpm", "lead"])
        for s, t, lab, why, qual, adapted, row, rr, hr in zip(
                result.r_peaks, result.time_s, result.labels, result.reasons,
                result.quality, result.adapted, result.probabilities, rr_s, rate_bpm,
                strict=True):
            writer.writerow([int(s), f"{t:.4f}", lab, why,
                             "" if np.isnan(qual) else f"{qual:.3f}", int(adapted),
                             *(f"{p:.6f}" for p in row),
                             "" if np.isnan(rr) else f"{rr:.4f}",
                             "" if np.isnan(hr) else f"{hr:.1f}", ecg.lead])
        text = buf.getvalue()
    counts = ", ".join(f"{c} {k}" for c, k in result.counts().items())
    if args.out:
        with atomic_open(args.out) as fh:
            fh.write(text.encode("utf-8"))
        print(f"{len(result)} beats ({counts}) written to {args.out}")
    else:
        sys.stdout.write(text)
        print(f"{len(result)} beats ({counts})", file=sys.stderr)
    return 0


def _rr_and_rate(r_peaks: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """RR interval before each beat (s) and the instantaneous rate (bpm); NaN for the first."""
    rr_s = np.full(len(r_peaks), np.nan)
    rr_s[1:] = np.diff(np.asarray(r_peaks, dtype=np.float64)) / fs
    with np.errstate(divide="ignore"):
        return rr_s, 60.0 / rr_s


def cmd_plot(args: argparse.Namespace) -> int:
    """Run ``heartbeat plot PICTURE``: draw one picture (or the examples) as PNG."""
    from heartbeat import plot

    try:
        if args.plot_command == "example":
            files.prepare_folder(args.out_dir, "--out-dir")
            for path in plot.save_example_figures(args.out_dir, dpi=args.dpi):
                print(path)
            return 0
        files.prepare_output(args.out)  # every other picture has --out
        if args.plot_command == "record":
            fig, note = files.record_file_figure(
                args.input, fs=args.fs, channel=args.channel, start_s=args.start,
                duration_s=args.duration, annotator=args.annotator, detect=not args.no_peaks,
                predictions=args.predictions,
            )
        elif args.plot_command == "gallery":
            x, y, names = files.read_beats(args.input, predictions=args.predictions)
            fig = plot.plot_class_gallery(x, y, fs=args.fs, class_names=names)
            note = f"{len(y)} beats"
        elif args.plot_command == "confusion":
            report = files.read_confusion(args.input, args.classes)
            print(report)
            fig = plot.plot_confusion_matrix(report, normalize=args.normalize)
            note = ""
        else:  # curves
            fig = plot.plot_training_curves(files.read_history(args.input))
            note = ""
        out = plot.save_png(fig, args.out, dpi=args.dpi)
    except ImportError as exc:
        print(f"heartbeat plot: error: {exc}", file=sys.stderr)
        return 2
    print(f"{out} written" + (f" ({note})" if note else ""))
    return 0
