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
        _demo_classes(ex, segment(ecg, ex.fs))
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


# ---------------------------------------------------------------- train / evaluate / predict
# Every option of ``heartbeat train``, with its default; a --config TOML file may set
# any of them (flat, or under a [train] table) and the command line overrides both.
_TRAIN_DEFAULTS: dict[str, object] = {
    "data_dir": "", "records": [], "split": "all", "validation_records": [],
    "exclude_classes": [], "architecture": "kachuee2018", "use_rr": True, "log_rr": False,
    "context": 0, "epochs": 10, "batch_size": 64, "sampler": "balanced",
    "learning_rate": 1e-3, "early_stopping": 3,
    "validation_fraction": 0.1, "seed": 0, "peaks": "annotations", "cache_dir": "",
    "out": "", "quiet": False, "threads": 1,
}


def _read_toml(path: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise ValueError(
                "--config needs Python 3.11+ (tomllib) or the tomli package on Python "
                "3.10 (pip install tomli); or pass the options on the command line"
            ) from None
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ValueError(f"cannot read --config {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"--config {path} is not valid TOML: {exc}") from None
    if set(data) == {"train"} and isinstance(data["train"], dict):
        data = data["train"]
    unknown = sorted(set(data) - set(_TRAIN_DEFAULTS))
    if unknown:
        raise ValueError(f"--config {path}: unknown option(s) {unknown}; valid: "
                         f"{', '.join(_TRAIN_DEFAULTS)}")
    for key, value in data.items():
        want = type(_TRAIN_DEFAULTS[key])
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if want is list and ok:
            ok = all(isinstance(v, str) for v in value)
        if not ok:
            raise ValueError(f"--config {path}: {key} = {value!r} must be a "
                             f"{'list of strings' if want is list else want.__name__}")
    return data


def _train_options(args: argparse.Namespace) -> dict:
    options = dict(_TRAIN_DEFAULTS)
    if args.config:
        options.update(_read_toml(args.config))
    for key in _TRAIN_DEFAULTS:
        value = getattr(args, key, None)
        if value is not None:  # given on the command line (--no-rr gives False)
            options[key] = value
    if not options["data_dir"]:
        raise ValueError("pass --data-dir DIR (a folder with the MIT-BIH records; get "
                         "them with `heartbeat download mitdb DIR`) or set data_dir in "
                         "--config")
    if not options["out"]:
        raise ValueError("pass --out model.npz or set out in --config")
    if options["split"] not in ("all", "ds1", "ds2"):
        raise ValueError(f"split={options['split']!r} must be all, ds1 or ds2")
    return options


def _record_list(options: dict) -> tuple[str, ...]:
    from heartbeat import datasets

    if options["records"]:
        return tuple(options["records"])
    return {"all": datasets.RECORDS, "ds1": datasets.DS1, "ds2": datasets.DS2}[
        options["split"]]


def _portable(argv: Sequence[str]) -> list[str]:
    """Return the command line without this machine's paths.

    The data folder becomes DATA_DIR; the cache folder (which does not change the
    result) is left out.
    """
    out: list[str] = []
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in ("--data-dir", "--cache-dir"):
            skip = "=" not in arg and i + 1 < len(argv)
            if name == "--data-dir":
                out += ["--data-dir", "DATA_DIR"]
            continue
        out.append(arg)
    return out


def _cmd_train(args: argparse.Namespace) -> int:
    from heartbeat.aami import CLASSES
    from heartbeat.classifier import BeatClassifier
    from heartbeat.datasets import mitbih_beats

    options = _train_options(args)
    records = _record_list(options)
    held_out = tuple(options["validation_records"])
    stray = sorted(set(held_out) - set(records))
    if stray:
        raise ValueError(f"validation_records {stray} are not among the training records")
    unknown = sorted(set(options["exclude_classes"]) - set(CLASSES))
    if unknown:
        raise ValueError(f"exclude_classes {unknown} are not AAMI classes; choose from "
                         f"{', '.join(CLASSES)}")
    excluded = [CLASSES.index(c) for c in options["exclude_classes"]]
    # parameters are checked before the (slow) beat extraction
    es = options["early_stopping"]
    clf = BeatClassifier(
        options["architecture"], use_rr=options["use_rr"], log_rr=options["log_rr"],
        context=options["context"],
        epochs=options["epochs"], batch_size=options["batch_size"], sampler=options["sampler"],
        learning_rate=float(options["learning_rate"]), early_stopping=es if es else None,
        validation_fraction=float(options["validation_fraction"]), seed=options["seed"],
        threads=options["threads"], quiet=options["quiet"],
    )
    beats = mitbih_beats(
        options["data_dir"], records, peaks=options["peaks"],
        cache_dir=options["cache_dir"] or None, quiet=options["quiet"],
    )
    validation = None
    if held_out:
        mask = np.isin(beats.record, held_out)
        beats, validation = beats[~mask], beats[mask]
    if excluded:  # e.g. the 8 Q beats of DS1, which balanced batches would repeat endlessly
        beats = beats[~np.isin(beats.y, excluded)]
        if validation is not None:
            validation = validation[~np.isin(validation.y, excluded)]
    command = " ".join(["heartbeat", *_portable(args.argv or [])])
    kept = {k: v for k, v in options.items() if k not in ("data_dir", "cache_dir", "quiet")}
    start = time.perf_counter()
    clf.fit(beats, validation=validation, info={
        "command": command, "options": kept, "validation_records": list(held_out),
        "peaks": options["peaks"],
    })
    elapsed = time.perf_counter() - start
    out = clf.save(options["out"])
    counts = clf.info["train_class_counts"]
    print(f"trained {options['architecture']} (use_rr={options['use_rr']}, "
          f"log_rr={options['log_rr']}, context={options['context']}) on "
          f"{clf.info['n_train']} beats ({clf.info['n_validation']} held out for early "
          f"stopping) of {len(records) - len(held_out)} records "
          f"({', '.join(f'{c} {k}' for c, k in counts.items())}) in {elapsed:.0f} s; "
          f"{clf.info.get('epochs_run')} epochs")
    if validation is not None:
        print(f"held-out records {' '.join(held_out)}: accuracy "
              f"{100 * clf.score(validation):.2f} %")
    print(f"model written to {out}")
    return 0


def _load_model(name_or_path: str | None):
    from heartbeat.classifier import PRETRAINED, BeatClassifier

    if name_or_path is None or name_or_path in PRETRAINED:
        return BeatClassifier.pretrained(name_or_path)
    try:
        return BeatClassifier.load(name_or_path)
    except FileNotFoundError:
        raise ValueError(f"model {name_or_path!r} is neither a file nor a pretrained "
                         f"model ({', '.join(PRETRAINED)})") from None


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from heartbeat.datasets import mitbih_beats
    from heartbeat.metrics import classification_report

    clf = _load_model(args.model)
    options = {"records": args.records or [], "split": args.split}
    records = _record_list(options)
    beats = mitbih_beats(args.data_dir, records, peaks=args.peaks,
                         cache_dir=args.cache_dir, quiet=args.quiet)
    pred = clf.predict(beats)
    report = classification_report(beats.y, pred, class_names=clf.classes_)
    trained = clf.info.get("records") or []
    overlap = sorted(set(trained) & set(records))
    print(f"model {args.model or 'mitbih-all'}: {clf.info.get('params', {}).get('architecture')}"
          f", trained on {len(trained)} records; evaluated on {len(records)} records "
          f"({len(beats)} beats, peaks from {args.peaks})")
    if overlap:
        print(f"note: {len(overlap)} of these records were used in training "
              f"({' '.join(overlap[:8])}{' ...' if len(overlap) > 8 else ''}); "
              "the scores are not those of unseen patients")
    print()
    print(report.to_markdown() if args.markdown else report)
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    import csv
    import io
    import json

    from heartbeat._atomic import atomic_open
    from heartbeat.classifier import classify
    from heartbeat.inputs import load_signal

    clf = _load_model(args.model)
    signal, fs = load_signal(args.input, fs=args.fs, channel=args.channel)
    result = classify(signal, fs, model=clf, detector=args.detector)
    fmt = args.format
    if fmt is None:
        fmt = "json" if args.out and str(args.out).lower().endswith(".json") else "csv"
    if fmt == "json":
        doc = {
            "input": str(args.input), "fs": fs, "model": args.model or "mitbih-all",
            "classes": list(result.classes), "counts": result.counts(),
            "beats": [
                {"sample": int(s), "time_s": round(float(t), 6), "label": str(lab),
                 "probabilities": {c: round(float(p), 6) for c, p in
                                   zip(result.classes, row, strict=True)}}
                for s, t, lab, row in zip(result.r_peaks, result.time_s, result.labels,
                                          result.probabilities, strict=True)
            ],
        }
        text = json.dumps(doc, indent=1) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["sample", "time_s", "label", *(f"p_{c}" for c in result.classes)])
        for s, t, lab, row in zip(result.r_peaks, result.time_s, result.labels,
                                  result.probabilities, strict=True):
            writer.writerow([int(s), f"{t:.4f}", lab, *(f"{p:.6f}" for p in row)])
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


def _add_ecg_input(parser: argparse.ArgumentParser) -> None:
    """Add the arguments naming one ECG channel, as `inputs.load_signal` reads it."""
    parser.add_argument(
        "input", help="WFDB record path (no extension), .npy file or one-column .csv"
    )
    parser.add_argument("--fs", type=float, help="sampling frequency in Hz (needed for .npy/.csv)")
    parser.add_argument("--channel", type=int, default=0, help="channel/column to use (default 0)")


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
        description="Segment the shipped MIT-BIH excerpts (records 100 and 208), score "
        "the R peaks found against the cardiologists' annotations, and classify the "
        "beats with the shipped mitbih-ds1 model (classes found vs annotated).",
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
    _add_ecg_input(seg)
    seg.add_argument("--out", required=True, help="output .npz file (written atomically)")
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
    _add_ecg_input(rec)
    rec.add_argument("--start", type=float, default=0.0, help="start of the view, s (default 0)")
    rec.add_argument("--duration", type=float, default=10.0, help="length, s (default 10)")
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

    tr = sub.add_parser(
        "train",
        help="train a beat classifier on MIT-BIH records and save it as .npz",
        description="Cut the beats of MIT-BIH records (Kachuee 2018 pipeline), train a "
        "BeatClassifier and save it as one .npz file.  Every option can also be set in "
        "a --config TOML file (same names with underscores, flat or under [train]); "
        "the command line overrides the file.",
    )
    tr.add_argument("--config", help="TOML file with training options")
    tr.add_argument("--data-dir", dest="data_dir", help="folder with the MIT-BIH records")
    tr.add_argument("--records", nargs="+", metavar="NAME", help="train on these records")
    tr.add_argument("--split", choices=["all", "ds1", "ds2"],
                    help="record set when --records is not given (default all)")
    tr.add_argument("--validation-records", dest="validation_records", nargs="+",
                    metavar="NAME", help="hold these records out for early stopping "
                    "(default: a stratified --validation-fraction of the beats)")
    tr.add_argument("--exclude-classes", dest="exclude_classes", nargs="+",
                    metavar="CLASS", help="leave out the beats of these AAMI classes "
                    "(e.g. Q: DS1 holds only 8)")
    tr.add_argument("--architecture",
                    choices=["kachuee2018", "cnn_mlp", "cnn4_dense4", "large_kernel"],
                    help="network (default kachuee2018)")
    tr.add_argument("--rr", dest="use_rr", action=argparse.BooleanOptionalAction,
                    default=None, help="use RR-interval features (default yes)")
    tr.add_argument("--log-rr", dest="log_rr", action=argparse.BooleanOptionalAction,
                    default=None, help="the network reads the logarithms of the RR "
                    "features (default no)")
    tr.add_argument("--context", type=int, metavar="K",
                    help="second input channel: each beat minus the median of the 2K+1 "
                    "nearest beats of its record (no labels used); 0 = off (default 0)")
    tr.add_argument("--epochs", type=int, help="maximum epochs (default 10)")
    tr.add_argument("--batch-size", dest="batch_size", type=int, help="default 64")
    tr.add_argument("--sampler", choices=["balanced", "shuffle"], help="default balanced")
    tr.add_argument("--learning-rate", dest="learning_rate", type=float,
                    help="Adam step size (default 0.001)")
    tr.add_argument("--early-stopping", dest="early_stopping", type=int, metavar="PATIENCE",
                    help="epochs without better validation macro-F1 before stopping; "
                    "0 = off (default 3)")
    tr.add_argument("--validation-fraction", dest="validation_fraction", type=float,
                    help="share of beats held out when no --validation-records (0.1)")
    tr.add_argument("--seed", type=int, help="random seed (default 0)")
    tr.add_argument("--threads", type=int, help="cores to split each batch over (default 1; "
                    "2 trains about 1.6x as fast on 2 cores)")
    tr.add_argument("--peaks", choices=["annotations", "detector"],
                    help="R peaks from the annotations (default) or the robust detector")
    tr.add_argument("--cache-dir", dest="cache_dir", help="folder to cache beat sets in")
    tr.add_argument("--out", help="output .npz model file (written atomically)")
    tr.add_argument("--quiet", action="store_true", default=None, help="no progress")
    tr.set_defaults(func=_cmd_train)

    ev = sub.add_parser(
        "evaluate",
        help="score a classifier on MIT-BIH records (AAMI Se/+P table, confusion matrix)",
        description="Classify the annotated beats of MIT-BIH records and print the AAMI "
        "per-class sensitivity (Se), positive predictivity (+P), specificity and F1, and "
        "the confusion matrix.",
    )
    ev.add_argument("model", help="model file (.npz) or pretrained name: mitbih-all, "
                    "mitbih-ds1")
    ev.add_argument("--data-dir", dest="data_dir", required=True,
                    help="folder with the MIT-BIH records")
    ev_records = ev.add_mutually_exclusive_group()
    ev_records.add_argument("--records", nargs="+", metavar="NAME", help="these records")
    ev_records.add_argument("--split", choices=["all", "ds1", "ds2"], default="ds2",
                            help="record set (default ds2)")
    ev.add_argument("--peaks", choices=["annotations", "detector"], default="annotations",
                    help="R peaks from the annotations (default) or the robust detector")
    ev.add_argument("--cache-dir", dest="cache_dir", help="folder to cache beat sets in")
    ev.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ev.add_argument("--quiet", action="store_true", help="no progress line")
    ev.set_defaults(func=_cmd_evaluate)

    pr = sub.add_parser(
        "predict",
        help="classify every beat of an ECG file (CSV or JSON out)",
        description="Find the beats of one ECG channel (WFDB record, .npy or CSV), "
        "classify each and write sample, time_s, label and class probabilities as CSV "
        "or JSON (to stdout without --out).",
    )
    _add_ecg_input(pr)
    pr.add_argument("--model", help="model file (.npz) or pretrained name (default "
                    "mitbih-all)")
    pr.add_argument("--detector", default="robust", help="R-peak detector (default robust)")
    pr.add_argument("--out", help="output file; .json gives JSON, anything else CSV")
    pr.add_argument("--format", choices=["csv", "json"], help="override the output format")
    pr.set_defaults(func=_cmd_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``heartbeat`` command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return args.func(args)
    except (ValueError, TypeError) as exc:
        print(f"heartbeat {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
