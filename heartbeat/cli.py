"""The ``heartbeat`` command line: ``heartbeat demo``, ``heartbeat segment`` and more.

Run ``heartbeat --help`` or ``heartbeat COMMAND --help`` for the options.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence

import numpy as np


def _cmd_demo(args: argparse.Namespace) -> int:
    from heartbeat.aami import is_beat
    from heartbeat.examples import ATTRIBUTION, EXAMPLES, load_example
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
        print()
    return 0


def _cmd_segment(args: argparse.Namespace) -> int:
    from heartbeat._atomic import save_npz_atomic
    from heartbeat.inputs import load_signal
    from heartbeat.pipeline import segment

    signal, fs = load_signal(args.input, fs=args.fs, channel=args.channel)
    beats = segment(signal, fs, detector=args.detector)
    arrays = {f.name: np.asarray(getattr(beats, f.name)) for f in dataclasses.fields(beats)}
    out = save_npz_atomic(args.out, **arrays)
    print(f"{len(beats)} beats ({beats.waveforms.shape[1]} samples each) written to {out}")
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    from heartbeat.download import download

    try:
        result = download(
            args.database, args.dest, base_url=args.base_url, records=args.records,
            retries=args.retries, timeout_s=args.timeout, quiet=args.quiet,
        )
    except ConnectionError as exc:
        print(f"heartbeat download: error: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(
            f"{len(result.downloaded) + len(result.skipped)} files verified in {result.dest}",
            file=sys.stderr,
        )
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    import json

    from heartbeat import plot

    try:
        if args.plot_command == "example":
            for path in plot.save_example_figures(args.out_dir, dpi=args.dpi):
                print(path)
            return 0
        if args.plot_command == "record":
            fig, note = plot._record_file_figure(
                args.input, fs=args.fs, channel=args.channel, start_s=args.start,
                duration_s=args.duration, annotator=args.annotator, detect=not args.no_peaks,
            )
        elif args.plot_command == "gallery":
            x, y, names = plot._read_beats(args.input)
            fig = plot.plot_class_gallery(x, y, fs=args.fs, class_names=names)
            note = f"{len(y)} beats"
        elif args.plot_command == "confusion":
            report = plot._read_confusion(args.input, args.classes)
            print(report)
            fig = plot.plot_confusion_matrix(report, normalize=args.normalize)
            note = ""
        else:  # curves
            try:
                with open(args.input, encoding="utf-8") as fh:
                    history = json.load(fh)
            except (OSError, json.JSONDecodeError) as exc:
                raise ValueError(f"cannot read a JSON history from {args.input}: {exc}") from None
            fig = plot.plot_training_curves(history)
            note = ""
        out = plot.save_png(fig, args.out, dpi=args.dpi)
    except ImportError as exc:
        print(f"heartbeat plot: error: {exc}", file=sys.stderr)
        return 2
    print(f"{out} written" + (f" ({note})" if note else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``heartbeat`` command."""
    parser = argparse.ArgumentParser(
        prog="heartbeat",
        description="Classified heartbeats from raw ECG (Kachuee et al. 2018 pipeline).",
    )
    from heartbeat import __version__

    parser.add_argument("--version", action="version", version=f"heartbeat {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="segment the shipped MIT-BIH excerpts and compare with the annotations",
        description="Segment the shipped MIT-BIH excerpts (records 100 and 208) and score "
        "the R peaks found against the cardiologists' annotations.",
    )
    demo.add_argument(
        "--detectors", nargs="+", default=["robust", "kachuee2018"], metavar="NAME",
        help="peak detectors to run (default: robust kachuee2018)",
    )
    demo.set_defaults(func=_cmd_demo)

    seg = sub.add_parser(
        "segment",
        help="cut an ECG into 187-sample beats and save them as .npz",
        description="Cut one ECG channel into fixed-length beats (125 Hz, 187 samples, "
        "Kachuee 2018) and save the Beats fields as arrays in an .npz file.",
    )
    seg.add_argument("input", help="WFDB record path (no extension), .npy file or one-column .csv")
    seg.add_argument("--out", required=True, help="output .npz file (written atomically)")
    seg.add_argument("--fs", type=float, help="sampling frequency in Hz (needed for .npy/.csv)")
    seg.add_argument("--channel", type=int, default=0, help="channel/column to use (default 0)")
    seg.add_argument(
        "--detector", default="robust",
        help="R-peak detector: robust (default) or kachuee2018 (the paper's rule)",
    )
    seg.set_defaults(func=_cmd_segment)

    dl = sub.add_parser(
        "download",
        help="download a PhysioNet database (MIT-BIH) and verify its checksums",
        description="Download a PhysioNet database with its SHA256SUMS: every file is "
        "verified, partial files resume, files already present are skipped.",
    )
    dl.add_argument("database", help="database name: mitdb (MIT-BIH Arrhythmia Database)")
    dl.add_argument("dest", help="folder to download into (created if missing)")
    dl.add_argument("--base-url", help="database folder URL (default: PhysioNet's)")
    dl.add_argument("--records", nargs="+", metavar="NAME", help="only these records")
    dl.add_argument("--retries", type=int, default=5, help="repeats per request (default 5)")
    dl.add_argument("--timeout", type=float, default=30.0, help="socket timeout, s (default 30)")
    dl.add_argument("--quiet", action="store_true", help="print no progress")
    dl.set_defaults(func=_cmd_download)

    plot = sub.add_parser(
        "plot",
        help="draw ECG, spectrogram, beat and result pictures as PNG (needs matplotlib)",
        description="Draw pictures as PNG files (needs the plot extra: "
        "pip install heartbeat[plot]).",
    )
    plot_sub = plot.add_subparsers(dest="plot_command", required=True, metavar="PICTURE")
    rec = plot_sub.add_parser(
        "record", help="a stretch of ECG with detected R peaks and reference labels",
        description="Draw a stretch of one ECG channel with the R peaks found by the robust "
        "detector; a WFDB record's annotations are written above the trace and colour "
        "the peaks by AAMI class.",
    )
    rec.add_argument("input", help="WFDB record path (no extension), .npy file or .csv")
    rec.add_argument("--start", type=float, default=0.0, help="start of the view, s (default 0)")
    rec.add_argument("--duration", type=float, default=10.0, help="length, s (default 10)")
    rec.add_argument("--fs", type=float, help="sampling frequency in Hz (needed for .npy/.csv)")
    rec.add_argument("--channel", type=int, default=0, help="channel/column to use (default 0)")
    rec.add_argument("--annotator", default="atr", help="annotation file extension (default atr)")
    rec.add_argument("--no-peaks", action="store_true", help="do not detect R peaks")
    ex = plot_sub.add_parser(
        "example", help="the pictures of the shipped MIT-BIH excerpts (records 100, 208)",
        description="Write 10 s views of records 100 and 208, a 1 s view of a ventricular "
        "beat and the spectrograms of a normal and a ventricular ±2 s window.",
    )
    ex.add_argument("--out-dir", required=True, help="folder for the PNG files (created)")
    gal = plot_sub.add_parser(
        "gallery", help="mean ± SD beat of each class",
        description="Draw the mean ± 1 SD beat of each class from an .npz holding x "
        "(beats) and y (class codes), e.g. a saved BeatSet, or a Kaggle-style .csv "
        "(samples then the label on each row).",
    )
    gal.add_argument("input", help=".npz with x and y (and optional classes), or .csv")
    gal.add_argument("--fs", type=float, default=125.0, help="beat sampling rate, Hz (125)")
    conf = plot_sub.add_parser(
        "confusion", help="a confusion matrix, with the per-class report printed",
        description="Draw a confusion matrix from an .npz holding confusion (or y_true "
        "and y_pred, and optional class_names) or a .csv of counts (rows true, "
        "columns predicted, optional header of class names); print the per-class report.",
    )
    conf.add_argument("input", help=".npz or .csv")
    conf.add_argument("--normalize", choices=["true", "pred", "all"],
                      help="show fractions of each true class, predicted class or all")
    conf.add_argument("--classes", nargs="+", metavar="NAME", help="class names (in order)")
    cur = plot_sub.add_parser(
        "curves", help="training curves from a JSON history",
        description="Draw loss, accuracy and macro-F1 per epoch from a JSON object of "
        "lists: train_loss, val_loss, train_accuracy, val_accuracy, train_macro_f1, "
        "val_macro_f1 (any subset).",
    )
    cur.add_argument("input", help="JSON file with the per-epoch history")
    for p in (rec, gal, conf, cur):
        p.add_argument("--out", required=True, help="output .png file (written atomically)")
    for p in (rec, ex, gal, conf, cur):
        p.add_argument("--dpi", type=float, default=150.0, help="resolution (default 150)")
    plot.set_defaults(func=_cmd_plot)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``heartbeat`` command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError) as exc:
        print(f"heartbeat {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
