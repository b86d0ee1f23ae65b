"""The ``heartbeat report`` command: one self-contained HTML page of a recording."""

from __future__ import annotations

import argparse
from pathlib import Path

from heartbeat.cli import files
from heartbeat.cli.ecg import say_missing


def cmd_report(args: argparse.Namespace) -> int:
    """Run ``heartbeat report``: classify one ECG and write its HTML report."""
    from heartbeat import __version__
    from heartbeat.classifier import classify
    from heartbeat.io.inputs import load_signal
    from heartbeat.report import write_report

    if not str(args.out).lower().endswith((".html", ".htm")):
        raise ValueError(f"--out {args.out} must end in .html (the report is one HTML page)")
    clf = files.load_model(args.model)
    signal, fs = load_signal(args.input, fs=args.fs, channel=args.channel)
    say_missing(signal, fs, args)
    result = classify(signal, fs, model=clf, detector=args.detector, missing=args.missing)
    info = clf.info
    settings = {
        "input": Path(args.input).name, "channel": args.channel,
        "sampling frequency (Hz)": fs, "R-peak detector": args.detector,
        "model": args.model or "mitbih-all",
        "architecture": info.get("params", {}).get("architecture", "?"),
        "classes": ", ".join(clf.classes_),
        "trained on": f"{len(info.get('records') or [])} records, "
                      f"{info.get('n_train', '?')} beats",
        "training command": info.get("command", "?"),
        "pipeline": "Kachuee 2018 beats: 125 Hz, 1.2 x median RR, 187 samples",
        "heartbeat version": __version__,
    }
    out = write_report(args.out, signal, fs, result, title=args.title or Path(args.input).name,
                       settings=settings)
    size = out.stat().st_size
    counts = ", ".join(f"{c} {k}" for c, k in result.counts().items())
    print(f"{out} written ({size / 1e6:.2f} MB; {len(result)} beats: {counts})")
    return 0
