"""Commands on one ECG: ``demo``, ``segment``, ``predict`` and ``plot``.

Each ``cmd_*`` function runs one command of :mod:`heartbeat.cli.parser` and returns
its exit status; heavy modules are imported inside, on first use.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import numpy as np

from heartbeat.cli import files


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
            rate = f"{60 / np.median(rr):.0f} bpm" if len(rr) else "n/a"
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
    """Run ``heartbeat segment``: cut one ECG channel into beats saved as .npz."""
    from heartbeat._atomic import save_npz_atomic
    from heartbeat.io.inputs import load_signal
    from heartbeat.pipeline import segment

    signal, fs = load_signal(args.input, fs=args.fs, channel=args.channel)
    beats = segment(signal, fs, detector=args.detector)
    arrays = {f.name: np.asarray(getattr(beats, f.name)) for f in dataclasses.fields(beats)}
    out = save_npz_atomic(args.out, **arrays)
    print(f"{len(beats)} beats ({beats.waveforms.shape[1]} samples each) written to {out}")
    return 0


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

    Unclassified beats keep their row: label ``?`` and a reason (``uncertain`` or
    ``unreadable``; empty for a classified beat).
    """
    import csv
    import io
    import json

    from heartbeat._atomic import atomic_open
    from heartbeat.classifier import classify
    from heartbeat.io.inputs import load_signal

    clf = files.load_model(args.model)
    signal, fs = load_signal(args.input, fs=args.fs, channel=args.channel)
    result = classify(signal, fs, model=clf, detector=args.detector, reject=args.reject,
                      adapt=args.adapt)
    fmt = args.format
    if fmt is None:
        fmt = "json" if args.out and str(args.out).lower().endswith(".json") else "csv"
    if fmt == "json":
        doc = {
            "input": str(args.input), "fs": fs, "model": args.model or "mitbih-all",
            "classes": list(result.classes), "counts": result.counts(),
            "beats": [
                {"sample": int(s), "time_s": round(float(t), 6), "label": str(lab),
                 "reason": str(why),
                 "probabilities": {c: round(float(p), 6) for c, p in
                                   zip(result.classes, row, strict=True)}}
                for s, t, lab, why, row in zip(result.r_peaks, result.time_s, result.labels,
                                               result.reasons, result.probabilities,
                                               strict=True)
            ],
        }
        text = json.dumps(doc, indent=1) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["sample", "time_s", "label", "reason",
                         *(f"p_{c}" for c in result.classes)])
        for s, t, lab, why, row in zip(result.r_peaks, result.time_s, result.labels,
                                       result.reasons, result.probabilities, strict=True):
            writer.writerow([int(s), f"{t:.4f}", lab, why, *(f"{p:.6f}" for p in row)])
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


def cmd_plot(args: argparse.Namespace) -> int:
    """Run ``heartbeat plot PICTURE``: draw one picture (or the examples) as PNG."""
    from heartbeat import plot

    try:
        if args.plot_command == "example":
            for path in plot.save_example_figures(args.out_dir, dpi=args.dpi):
                print(path)
            return 0
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
