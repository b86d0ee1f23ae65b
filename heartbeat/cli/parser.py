"""The argument parser of the ``heartbeat`` command: one small function per command.

Each ``_add_*`` function adds one command and points it at the function that runs it
(``args.func``); the command modules import their heavy dependencies inside the
command, so building the parser (and ``heartbeat --help``) stays fast.
"""

from __future__ import annotations

import argparse
from typing import Any

from heartbeat.cli import ecg, mitbih, models, report, score
from heartbeat.cli import stream as stream_cmds

_Subparsers = Any  # argparse's _SubParsersAction, which has no public name


def _add_ecg_input(parser: argparse.ArgumentParser) -> None:
    """Add the arguments naming one ECG channel, as `inputs.load_signal` reads it."""
    parser.add_argument(
        "input", help="WFDB record path (no extension), .npy file, or .csv with one or "
        "more columns (an optional header line names them; a time column is skipped)"
    )
    parser.add_argument("--fs", type=float, help="sampling frequency in Hz (needed for .npy, "
                        "and for .csv without a time_s or time_ms column)")
    parser.add_argument("--channel", help="channel to use: its name (MLII, ecg_mV) or "
                        "number (0 = first); default the first that is not a time column")


def _add_missing(parser: argparse.ArgumentParser) -> None:
    """Add ``--missing``: what NaN samples (a WFDB record's invalid ones) mean."""
    parser.add_argument("--missing", choices=["unreadable", "error"], default="unreadable",
                        help="NaN samples (a WFDB record's invalid ones, a lead off): "
                        "unreadable (default) reads around them, the 2 s stretches that "
                        "hold them are unreadable and no beat is labelled there; error "
                        "refuses the input")


def _add_detect_on(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--detect-on``: more channels of the input for the R peaks."""
    parser.add_argument("--detect-on", nargs="+", metavar="CHANNEL", default=[],
                        help="other channels of the same input (names or numbers) whose R "
                        "peaks are combined with --channel's, so that a noisy channel "
                        f"loses no beats; the beats are still {what} --channel")


def _add_demo(sub: _Subparsers) -> None:
    """Add ``heartbeat demo``."""
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
    demo.set_defaults(func=ecg.cmd_demo)


def _add_segment(sub: _Subparsers) -> None:
    """Add ``heartbeat segment``."""
    seg = sub.add_parser(
        "segment",
        help="cut an ECG into 187-sample beats and save them as .npz or .csv",
        description="Cut one ECG channel into fixed-length beats (125 Hz, 187 samples, "
        "Kachuee 2018) and save them: as CSV (one row per beat: sample, time_s, period_s, "
        "x0 ... x186) when --out ends in .csv, else every Beats field as arrays in .npz, with "
        "the channel's name (channel) and those the R peaks were found on (detect_on).",
    )
    _add_ecg_input(seg)
    seg.add_argument("--out", required=True, help="output .csv or .npz file (written "
                     "atomically; its folder is created)")
    seg.add_argument(
        "--detector", default="robust",
        help="R-peak detector: robust (default) or kachuee2018 (the paper's rule)",
    )
    _add_detect_on(seg, "cut from")
    _add_missing(seg)
    seg.set_defaults(func=ecg.cmd_segment)


def _add_download(sub: _Subparsers) -> None:
    """Add ``heartbeat download``."""
    dl = sub.add_parser(
        "download",
        help="download a PhysioNet database with beat annotations and verify it",
        description="Download a PhysioNet database with its SHA256SUMS: every file is "
        "verified, partial files resume, files already present are skipped.  Known "
        "names (see --list): mitdb, svdb, nstdb, ltdb, incartdb, edb, stdb, nsrdb.",
    )
    dl.add_argument("database", nargs="?", help="database name, e.g. mitdb or incartdb")
    dl.add_argument("dest", nargs="?", help="folder to download into (created if missing)")
    dl.add_argument("--list", action="store_true",
                    help="print the known databases with their versions and stop")
    dl.add_argument("--server", help="root of a PhysioNet mirror (default "
                    "https://physionet.org/; the folder files/NAME/VERSION/ is appended)")
    dl.add_argument("--base-url", help="database folder URL (overrides --server)")
    dl.add_argument("--records", nargs="+", metavar="NAME", help="only these records")
    dl.add_argument("--retries", type=int, default=5, help="repeats per request (default 5)")
    dl.add_argument("--timeout", type=float, default=30.0, help="socket timeout, s (default 30)")
    dl.add_argument("--quiet", action="store_true", help="print no progress")
    dl.set_defaults(func=mitbih.cmd_download)


def _add_plot(sub: _Subparsers) -> None:
    """Add ``heartbeat plot`` and its pictures."""
    plot = sub.add_parser(
        "plot",
        help="draw ECG, spectrogram, beat and result pictures as PNG (needs matplotlib)",
        description="Draw pictures as PNG files (needs the plot extra: "
        "pip install 'heartbeat-ecg[plot]').",
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
    rec.add_argument("--predictions", metavar="FILE", help="colour the beats by the class "
                     "`heartbeat predict` gave them (its .csv or .json for this ECG)")
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
    gal.add_argument("input", help=".npz with x and y (and optional classes), .csv, or "
                     "the .npz `heartbeat segment` writes")
    gal.add_argument("--predictions", metavar="FILE", help="for a segment file: group its "
                     "beats by the class in `heartbeat predict`'s .csv/.json of the same ECG")
    gal.add_argument("--fs", type=float, default=125.0, help="beat sampling rate, Hz (125)")
    conf = plot_sub.add_parser(
        "confusion", help="a confusion matrix, with the per-class report printed",
        description="Draw a confusion matrix from an .npz holding confusion (or y_true "
        "and y_pred, and optional class_names) or a .csv of counts (rows true, "
        "columns predicted, optional header of class names); print the per-class report.",
    )
    conf.add_argument("input", help=".json (from `heartbeat evaluate --confusion-out`), "
                      ".npz or .csv")
    conf.add_argument("--normalize", choices=["true", "pred", "all"],
                      help="show fractions of each true class, predicted class or all")
    conf.add_argument("--classes", nargs="+", metavar="NAME", help="class names (in order)")
    cur = plot_sub.add_parser(
        "curves", help="training curves from a JSON history",
        description="Draw loss, accuracy and macro-F1 per epoch from a JSON object of "
        "lists: train_loss, val_loss, train_accuracy, val_accuracy, train_macro_f1, "
        "val_macro_f1 (any subset).",
    )
    cur.add_argument("input", help="JSON file with the per-epoch history (from "
                     "`heartbeat train --history-out`)")
    for p in (rec, gal, conf, cur):
        p.add_argument("--out", required=True, help="output .png file (written atomically)")
    for p in (rec, ex, gal, conf, cur):
        p.add_argument("--dpi", type=float, default=150.0, help="resolution (default 150)")
    plot.set_defaults(func=ecg.cmd_plot)


def _add_train(sub: _Subparsers) -> None:
    """Add ``heartbeat train``."""
    tr = sub.add_parser(
        "train",
        help="train a beat classifier on MIT-BIH records and save it as .npz",
        description="Cut the beats of MIT-BIH records (Kachuee 2018 pipeline), train a "
        "BeatClassifier and save it as one .npz file.  Every option can also be set in "
        "a --config TOML file (same names with underscores, flat or under [train]); "
        "the command line overrides the file.",
    )
    tr.add_argument("--config", help="TOML file with training options")
    tr.add_argument("--data-dir", dest="data_dir", help="folder with the MIT-BIH records, "
                    "or any folder of annotated WFDB records (INCART, SVDB, your own), or a "
                    "folder holding the MIT-BIH records as mitdb/ (default $HEARTBEAT_DATA)")
    tr.add_argument("--records", nargs="+", metavar="NAME", help="train on these records")
    tr.add_argument("--split", choices=["all", "ds1", "ds2"],
                    help="MIT-BIH record set when --records is not given (default all; "
                    "another folder: every annotated record in it)")
    tr.add_argument("--annotator", help="extension of the beat annotation files "
                    "(default atr)")
    tr.add_argument("--channel", type=int, nargs="+", metavar="C",
                    help="signal channel of every record (default 0: MLII in MIT-BIH; "
                    "INCART's lead II is 1); several channels are each a training view of "
                    "the same beats: --channel 0 1 trains on both MIT-BIH leads")
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
    tr.add_argument("--history-out", dest="history_out", metavar="FILE",
                    help="also write the per-epoch history as JSON (for `heartbeat plot "
                    "curves`)")
    tr.add_argument("--checkpoint-dir", dest="checkpoint_dir", metavar="DIR",
                    help="write checkpoint.npz there after every epoch")
    tr.add_argument("--resume", action="store_true", default=None,
                    help="continue from the checkpoint in --checkpoint-dir (start afresh "
                    "when there is none); ends as an uninterrupted run would")
    tr.add_argument("--quiet", action="store_true", default=None, help="no progress")
    tr.set_defaults(func=mitbih.cmd_train)


def _add_evaluate(sub: _Subparsers) -> None:
    """Add ``heartbeat evaluate``."""
    ev = sub.add_parser(
        "evaluate",
        help="score a classifier on MIT-BIH records (AAMI Se/+P table, confusion matrix)",
        description="Classify the annotated beats of MIT-BIH records and print the AAMI "
        "per-class sensitivity (Se), positive predictivity (+P), specificity and F1, and "
        "the confusion matrix.",
    )
    ev.add_argument("model", help="model file (.npz) or pretrained name: mitbih-all, "
                    "mitbih-ds1")
    ev.add_argument("--data-dir", dest="data_dir",
                    help="folder with the MIT-BIH records (or holding them as mitdb/), or "
                    "any folder of annotated WFDB records (INCART, SVDB, your own); default "
                    "$HEARTBEAT_DATA")
    ev_records = ev.add_mutually_exclusive_group()
    ev_records.add_argument("--records", nargs="+", metavar="NAME", help="these records")
    ev_records.add_argument("--split", choices=["all", "ds1", "ds2"],
                            help="MIT-BIH record set (default ds2; another folder: every "
                            "annotated record in it)")
    ev.add_argument("--annotator", default="atr",
                    help="extension of the beat annotation files (default atr)")
    ev.add_argument("--channel", type=int, default=0, help="signal channel of every record "
                    "(default 0: MLII in MIT-BIH; INCART's lead II is 1)")
    ev.add_argument("--peaks", choices=["annotations", "detector"], default="annotations",
                    help="R peaks from the annotations (default) or the robust detector")
    ev.add_argument("--cache-dir", dest="cache_dir", help="folder to cache beat sets in")
    ev.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ev.add_argument("--confusion-out", dest="confusion_out", metavar="FILE",
                    help="also write the confusion matrix as JSON (for `heartbeat plot "
                    "confusion`)")
    ev.add_argument("--quiet", action="store_true", help="no progress line")
    ev.set_defaults(func=mitbih.cmd_evaluate)


def _add_predict(sub: _Subparsers) -> None:
    """Add ``heartbeat predict``."""
    pr = sub.add_parser(
        "predict",
        help="classify every beat of an ECG file (CSV or JSON out)",
        description="Find the beats of one ECG channel (WFDB record, .npy or CSV), "
        "classify each and write sample, time_s, label, reason, signal quality and class "
        "probabilities as CSV or JSON (to stdout without --out).  A beat the model is "
        "unsure of gets label '?' and reason 'uncertain' (see --no-reject); a beat in a "
        "stretch too noisy to read gets '?' and reason 'unreadable'; a beat called S, V "
        "or F in a noisy stretch (quality below classify's noisy_below) gets '?' and "
        "reason 'noisy'.",
    )
    _add_ecg_input(pr)
    pr.add_argument("--model", help="model file (.npz) or pretrained name (default "
                    "mitbih-all)")
    pr.add_argument("--detector", default="robust", help="R-peak detector (default robust)")
    pr.add_argument("--out", help="output file; .json gives JSON, anything else CSV")
    pr.add_argument("--format", choices=["csv", "json"], help="override the output format")
    pr.add_argument("--no-reject", dest="reject", action="store_false",
                    help="label every beat, however unsure (default: withhold beats "
                    "below the model's calibrated confidence threshold)")
    pr.add_argument("--adapt", choices=["template", "none", "prior"], default="template",
                    help="adapt to the recording without labels: template (default) takes "
                    "V/F away from beats that match its dominant beat; prior re-weights "
                    "by its class mix; none")
    pr.add_argument("--noisy-below", type=float, metavar="Q",
                    help="a beat called S, V or F in a stretch of signal quality below Q "
                    "gets '?' and reason 'noisy' (default: classify()'s noisy_below, "
                    "chosen on patient folds; 0: off)")
    _add_detect_on(pr, "cut from and classified on")
    _add_missing(pr)
    pr.set_defaults(func=ecg.cmd_predict)


def _add_summary(sub: _Subparsers) -> None:
    """Add ``heartbeat summary``."""
    cmd = sub.add_parser(
        "summary",
        help="class counts of the beat or window set rebuilt from MIT-BIH records",
        description="Build MIT-BIH sets and print their class counts (the beat set "
        "beside the counts of the Kaggle MIT-BIH set).",
    )
    cmd.add_argument("data_dir", nargs="?", help="folder with the MIT-BIH records, or "
                     "holding them as mitdb/ (default $HEARTBEAT_DATA)")
    cmd.add_argument("--records", nargs="+", metavar="NAME",
                     help="record names (default: all 48)")
    cmd.add_argument("--set", choices=("beats", "windows"), default="beats",
                     help="the 187-sample beat set (default) or the ±2 s window set")
    cmd.add_argument("--peaks", choices=("annotations", "detector"), default="annotations",
                     help="beat set: R peaks from the annotations (default) or a detector")
    cmd.add_argument("--detector", default="robust", metavar="NAME",
                     help="R-peak detector for --peaks detector (default robust)")
    cmd.add_argument("--workers", type=int, default=0, metavar="N",
                     help="processes (0: serial)")
    cmd.add_argument("--per-record", action="store_true", help="also count per record")
    cmd.set_defaults(func=mitbih.cmd_summary)


def _add_score(sub: _Subparsers) -> None:
    """Add ``heartbeat score``."""
    cmd = sub.add_parser(
        "score",
        help="score a beat detector against the annotations of a WFDB folder (bxb rules)",
        description="Compare detected beats with the reference beat annotations of every "
        "record of a WFDB folder by the rules of PhysioNet's bxb (ANSI/AAMI EC57): "
        "150 ms match window, first 5 minutes excluded; prints bxb's per-record line "
        "table and the gross and average Se and +P.",
    )
    cmd.add_argument("folder", help="folder of WFDB records with reference annotations")
    cmd.add_argument("--peaks-from", dest="peaks_from", metavar="FILE_OR_ANNOTATOR",
                     help="beats to score: an .npz (one array per record) or .csv "
                     "(record,sample) file, or a test annotator such as qrs (default: "
                     "run heartbeat's detector)")
    cmd.add_argument("--reference", default="atr", help="reference annotator (default atr)")
    cmd.add_argument("--records", nargs="+", metavar="NAME",
                     help="records to score (default: RECORDS, else every annotated one)")
    cmd.add_argument("--include-first-5min", dest="include_first_5min", action="store_true",
                     help="score from the start of each record (bxb -f 0)")
    cmd.add_argument("--window-ms", dest="window_ms", type=float, default=150.0,
                     help="match window in ms (default 150)")
    cmd.add_argument("--channel", type=int, default=0, help="channel the detector reads (0)")
    cmd.set_defaults(func=score.cmd_score)


def _add_report(sub: _Subparsers) -> None:
    """Add ``heartbeat report``."""
    rep = sub.add_parser(
        "report",
        help="classify an ECG and write one self-contained HTML page about it",
        description="Classify the beats of one ECG channel and write one HTML file that "
        "opens offline in any browser: the ECG (zoomable, beats coloured by class), "
        "counts per class, heart rate over time, the mean beat of each class, "
        "unreadable stretches, and the model and settings used.",
    )
    _add_ecg_input(rep)
    rep.add_argument("--out", required=True, help="output .html file (written atomically)")
    rep.add_argument("--model", help="model file (.npz) or pretrained name (default "
                     "mitbih-all)")
    rep.add_argument("--detector", default="robust", help="R-peak detector (default robust)")
    rep.add_argument("--title", help="page title (default: the input's file name)")
    _add_missing(rep)
    rep.set_defaults(func=report.cmd_report)


def _add_stream(sub: _Subparsers) -> None:
    """Add ``heartbeat stream``."""
    cmd = sub.add_parser(
        "stream",
        help="detect and classify beats in samples read from standard input, live",
        description="Read ECG samples from standard input (one number a line, or CSV "
        "rows with an optional header) and print one line per beat (CSV or JSON lines: "
        "sample, time, label, class probabilities, signal quality and why a beat is '?') "
        "as soon as it is found: at most 1.5 s of signal (plus one --block-s) after its "
        "R peak.",
    )
    cmd.add_argument("--fs", type=float, required=True, help="sampling frequency in Hz")
    cmd.add_argument("--channel", metavar="NAME",
                     help="CSV column: header name or index (default the first)")
    cmd.add_argument("--model", help="model file (.npz) or pretrained name (default "
                     "mitbih-all)")
    cmd.add_argument("--adapt", choices=["template", "none"], default="template",
                     help="template (default): a beat like the median of the last beats "
                     "called N cannot be V or F, as classify does; none: the model as is")
    cmd.add_argument("--format", choices=["csv", "json"], default="csv",
                     help="csv (default, with a header line) or json (one object a line)")
    cmd.add_argument("--block-s", type=float, default=0.1,
                     help="samples are passed on in blocks of this many seconds "
                     "(default 0.1)")
    _add_missing(cmd)  # "nan", or an empty CSV cell, is a missing sample
    cmd.set_defaults(func=stream_cmds.cmd_stream)


def _add_export(sub: _Subparsers) -> None:
    """Add ``heartbeat export``."""
    cmd = sub.add_parser(
        "export",
        help="write a model as one NumPy-only Python file plus its weights (.npz)",
        description="Write MODEL (a pretrained name or a saved .npz) as a single Python "
        "file that needs only NumPy (inference, RR features and record context, class "
        "names) and the weights beside it; nothing is written if the model file is "
        "damaged.  The file's classify(signal, fs) goes from a raw ECG to R peaks, "
        "labels and probabilities as heartbeat.classify does, with the library's own "
        "detector and segmentation copied into it as source.",
    )
    cmd.add_argument("model", help="pretrained name (mitbih-all, mitbih-ds1) or .npz file")
    cmd.add_argument("--out", required=True, help="output folder (created if missing)")
    cmd.add_argument("--fixed-point", metavar="MITDB",
                     help="also write the network in integers (int8 weights, int16 "
                     "activations, int32 accumulators) and run it in the file, its "
                     "activation scales calibrated on the DS1 records of this MIT-BIH "
                     "folder; the float network stays as logits_float")
    cmd.set_defaults(func=stream_cmds.cmd_export)


def _add_join(sub: _Subparsers) -> None:
    """Add ``heartbeat join``."""
    cmd = sub.add_parser(
        "join",
        help="join fitted classifiers (e.g. seeds of one recipe) into one ensemble file",
        description="Join MODEL files (or pretrained names) with the same classes and "
        "inputs into one model file whose logits are the mean of theirs; it loads, "
        "classifies, streams and exports as one model.  The ensemble is uncalibrated: "
        "calibrate it on held-out beats (BeatClassifier.calibrate).",
    )
    cmd.add_argument("members", nargs="+", metavar="MODEL",
                     help="two or more .npz model files or pretrained names")
    cmd.add_argument("--out", required=True, help="the ensemble's .npz file (written "
                     "atomically)")
    cmd.set_defaults(func=models.cmd_join)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``heartbeat`` command."""
    parser = argparse.ArgumentParser(
        prog="heartbeat",
        description="Classified heartbeats from raw ECG (Kachuee et al. 2018 pipeline).",
    )
    from heartbeat import __version__

    parser.add_argument("--version", action="version", version=f"heartbeat {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_demo, _add_segment, _add_download, _add_plot, _add_train, _add_evaluate,
                _add_predict, _add_summary, _add_score, _add_report, _add_stream,
                _add_export, _add_join):
        add(sub)
    return parser
