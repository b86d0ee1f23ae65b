"""Commands on databases: ``download``, ``train``, ``evaluate``, ``summary``.

``train`` and ``evaluate`` read MIT-BIH by record name or split (DS1/DS2), or any
folder of annotated WFDB records (the user's own, INCART, SVDB, ...): there the
records are those the folder holds, each at its header's sampling frequency.

Each ``cmd_*`` function runs one command of :mod:`heartbeat.cli.parser` and returns
its exit status; heavy modules are imported inside, on first use.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from heartbeat.cli import files

if TYPE_CHECKING:  # pragma: no cover
    from heartbeat.datasets import BeatSet, WindowSet


def cmd_download(args: argparse.Namespace) -> int:
    """Run ``heartbeat download``: fetch a PhysioNet database and verify it."""
    from heartbeat.io.physionet import CATALOGUE, download

    if args.list:
        for db in CATALOGUE.values():
            print(f"{db.name:<8}  {db.version}  {db.n_records:3d} records at {db.fs:g} Hz, "
                  f"beat annotations .{db.annotator}: {db.title}")
        return 0
    if args.database is None or args.dest is None:
        raise ValueError("pass DATABASE DEST (e.g. heartbeat download incartdb data/incart)"
                         "; --list shows the known databases")
    try:
        result = download(
            args.database, args.dest, base_url=args.base_url, server=args.server,
            records=args.records,
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


# Every option of ``heartbeat train``, with its default; a --config TOML file may set
# any of them (flat, or under a [train] table) and the command line overrides both.
_TRAIN_DEFAULTS: dict[str, object] = {
    "data_dir": "", "records": [], "split": "", "validation_records": [],
    "annotator": "atr", "channel": 0,
    "exclude_classes": [], "architecture": "kachuee2018", "use_rr": True, "log_rr": False,
    "context": 0, "epochs": 10, "batch_size": 64, "sampler": "balanced",
    "learning_rate": 1e-3, "early_stopping": 3,
    "validation_fraction": 0.1, "seed": 0, "peaks": "annotations", "cache_dir": "",
    "out": "", "history_out": "", "quiet": False, "threads": 1, "checkpoint_dir": "",
    "resume": False,
}


def _train_options(args: argparse.Namespace) -> dict:
    options = dict(_TRAIN_DEFAULTS)
    if args.config:
        options.update(files.read_config(args.config, _TRAIN_DEFAULTS, int_lists=("channel",)))
    for key in _TRAIN_DEFAULTS:
        value = getattr(args, key, None)
        if value is not None:  # given on the command line (--no-rr gives False)
            options[key] = value
    if not options["out"]:
        raise ValueError("pass --out model.npz or set out in --config")
    if options["split"] not in ("", "all", "ds1", "ds2"):
        raise ValueError(f"split={options['split']!r} must be all, ds1 or ds2")
    options["channel"] = _channels(options["channel"])
    _check_checkpoint_options(options)
    return options


def _channels(value: object) -> list[int]:
    """Return --channel as a list of distinct channel numbers (one int is one channel)."""
    channels = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if (not isinstance(channels, list) or not channels
            or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0
                       for c in channels)
            or len(set(channels)) != len(channels)):
        raise ValueError(f"channel={value!r} must be a channel number >= 0 or a list of "
                         "distinct ones (e.g. --channel 0 1: both MIT-BIH leads as views)")
    return channels


def _check_checkpoint_options(options: dict) -> None:
    """Check --checkpoint-dir and --resume before the (slow) beat extraction."""
    folder, resume = options["checkpoint_dir"], options["resume"]
    if not isinstance(resume, bool):
        raise ValueError(f"resume={resume!r} must be true or false")
    if not isinstance(folder, str):
        raise ValueError(f"checkpoint_dir={folder!r} must be a folder name")
    if resume and not folder:
        raise ValueError("--resume needs --checkpoint-dir DIR (the folder of the "
                         "interrupted run's checkpoint.npz)")
    if folder and Path(folder).exists() and not Path(folder).is_dir():
        raise ValueError(f"--checkpoint-dir {folder!r} exists and is not a folder")


def _is_mitbih(data_dir: str, annotator: str) -> bool:
    """Tell whether `data_dir` holds all 48 MIT-BIH records with `atr` annotations."""
    from pathlib import Path

    from heartbeat.datasets import RECORDS

    folder = Path(data_dir)
    return annotator == "atr" and all(
        (folder / f"{r}.hea").is_file() and (folder / f"{r}.atr").is_file() for r in RECORDS)


def _record_list(options: dict, default_split: str = "all") -> tuple[str, ...]:
    """Return the records to read: --records, else a MIT-BIH split, else all in the folder.

    Without --records and --split a MIT-BIH folder gives `default_split`; any other
    folder gives every record with a header and annotations
    (:func:`heartbeat.datasets.folder.find_records`).
    """
    from heartbeat import datasets
    from heartbeat.datasets.folder import find_records

    if options["records"]:
        return tuple(options["records"])
    split = options["split"]
    if not split:
        if not _is_mitbih(options["data_dir"], options["annotator"]):
            names = find_records(options["data_dir"], options["annotator"])
            if not names:
                raise ValueError(
                    f"--data-dir {options['data_dir']} holds no record with NAME.hea and "
                    f"NAME.{options['annotator']}; pass --annotator for another "
                    "annotation extension, or download one: heartbeat download --list")
            return names
        split = default_split
    return {"all": datasets.RECORDS, "ds1": datasets.DS1, "ds2": datasets.DS2}[split]


def _labelled_beats(options: dict, records: tuple[str, ...], channel: int) -> BeatSet:
    """Beats of `records`: the MIT-BIH builder for MIT-BIH names, else the any-folder one."""
    from heartbeat.datasets import RECORDS, mitbih_beats
    from heartbeat.datasets.folder import wfdb_beats

    common = {"peaks": options["peaks"], "channel": channel,
              "cache_dir": options["cache_dir"] or None, "quiet": options["quiet"]}
    if options["annotator"] == "atr" and set(records) <= set(RECORDS):
        return mitbih_beats(options["data_dir"], records, **common)
    return wfdb_beats(options["data_dir"], records, annotator=options["annotator"], **common)


def _training_views(options: dict, records: tuple[str, ...], held_out: tuple[str, ...]
                    ) -> tuple[BeatSet, BeatSet | None]:
    """Return (training beats, early-stopping beats or None) over every --channel.

    With several channels each is a view of the same annotated beats (the labels hold
    for every lead).  Their record names get the suffix ``:ch<c>`` so that a model
    with record context compares each beat only with beats of its own lead.
    """
    from heartbeat.datasets import concatenate

    train_views, validation_views = [], []
    several = len(options["channel"]) > 1
    for channel in options["channel"]:
        beats = _labelled_beats(options, records, channel)
        mask = np.isin(beats.record, held_out)
        if several:
            beats = dataclasses.replace(
                beats, record=np.char.add(beats.record.astype(str), f":ch{channel}"))
        train_views.append(beats[~mask])
        validation_views.append(beats[mask])
    validation = concatenate(validation_views) if held_out else None
    return concatenate(train_views), validation


def _portable(argv: Sequence[str]) -> list[str]:
    """Return the command line without this machine's paths.

    The data folder becomes DATA_DIR; the cache and checkpoint folders and
    ``--resume`` (which do not change the result) are left out.
    """
    out: list[str] = []
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if arg == "--resume":
            continue
        if name in ("--data-dir", "--cache-dir", "--checkpoint-dir"):
            skip = "=" not in arg and i + 1 < len(argv)
            if name == "--data-dir":
                out += ["--data-dir", "DATA_DIR"]
            continue
        out.append(arg)
    return out


def cmd_train(args: argparse.Namespace) -> int:
    """Run ``heartbeat train``: train a classifier on annotated records and save it."""
    from heartbeat.aami import CLASSES
    from heartbeat.classifier import BeatClassifier

    options = _train_options(args)
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
    out = files.prepare_output(options["out"])  # before hours of training, not after
    if options["history_out"]:
        files.prepare_output(options["history_out"], "--history-out")
    options["data_dir"] = files.mitdb_folder(options["data_dir"])
    records = _record_list(options)
    held_out = tuple(options["validation_records"])
    stray = sorted(set(held_out) - set(records))
    if stray:
        raise ValueError(f"validation_records {stray} are not among the training records")
    beats, validation = _training_views(options, records, held_out)
    if excluded:  # e.g. the 8 Q beats of DS1, which balanced batches would repeat endlessly
        beats = beats[~np.isin(beats.y, excluded)]
        if validation is not None:
            validation = validation[~np.isin(validation.y, excluded)]
    command = " ".join(["heartbeat", *_portable(args.argv or [])])
    kept = {k: v for k, v in options.items()
            if k not in ("data_dir", "cache_dir", "quiet", "history_out", "checkpoint_dir",
                         "resume")}
    start = time.perf_counter()
    clf.fit(beats, validation=validation, info={
        "command": command, "options": kept, "validation_records": list(held_out),
        "records": sorted(set(records) - set(held_out)),
        "peaks": options["peaks"],
    }, checkpoint_dir=options["checkpoint_dir"] or None, resume=options["resume"])
    elapsed = time.perf_counter() - start
    out = clf.save(out)
    if options["history_out"]:
        files.write_json(options["history_out"], clf.history_.to_dict())
        print(f"training history written to {options['history_out']}")
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


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Run ``heartbeat evaluate``: score a classifier on annotated records."""
    from heartbeat.metrics import classification_report

    data_dir = files.mitdb_folder(args.data_dir)
    clf = files.load_model(args.model)
    options = {"records": args.records or [], "split": args.split or "",
               "data_dir": data_dir, "annotator": args.annotator, "peaks": args.peaks,
               "channel": args.channel, "cache_dir": args.cache_dir, "quiet": args.quiet}
    records = _record_list(options, default_split="ds2")
    beats = _labelled_beats(options, records, args.channel)
    if not args.quiet:
        print(f"evaluate: classifying {len(beats)} beats of {len(records)} records",
              file=sys.stderr, flush=True)
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
    if args.confusion_out:
        files.write_json(args.confusion_out, {
            "model": args.model or "mitbih-all", "records": list(records),
            "peaks": args.peaks, "n_beats": len(beats),
            "class_names": list(report.class_names),
            "confusion": np.asarray(report.confusion).tolist(),
        })
        print(f"confusion matrix written to {args.confusion_out}")
    return 0




def cmd_summary(args: argparse.Namespace) -> int:
    """Run ``heartbeat summary``: rebuild an MIT-BIH set and print its class counts."""
    from concurrent.futures import ProcessPoolExecutor

    from heartbeat.datasets import mitbih_beats, mitbih_windows

    data_dir = files.mitdb_folder(args.data_dir)
    executor = ProcessPoolExecutor(args.workers) if args.workers > 0 else None
    start = time.perf_counter()
    try:
        if args.set == "beats":
            data = mitbih_beats(data_dir, args.records, peaks=args.peaks,
                                detector=args.detector, executor=executor)
        else:
            data = mitbih_windows(data_dir, args.records, executor=executor)
    finally:
        if executor is not None:
            executor.shutdown()
    elapsed = time.perf_counter() - start
    print(
        f"{args.set}: {len(data)} items, x {data.x.shape} {data.x.dtype} "
        f"({data.x.nbytes / 1e6:.0f} MB), built in {elapsed:.1f} s "
        f"({'serial' if executor is None else f'{args.workers} processes'})"
    )
    if args.per_record:
        for name in np.unique(data.record):
            c = data[data.record == name].class_counts()
            print(f"  {name}: " + ", ".join(f"{k} {v}"
                                            for k, v in zip(data.classes, c, strict=True)))
    _print_class_counts(data)
    return 0


def _print_class_counts(data: BeatSet | WindowSet) -> None:
    """Print the class counts of a set; a beat set beside those of the Kaggle set."""
    from heartbeat.datasets import KAGGLE_MITBIH_COUNTS, BeatSet

    counts = data.class_counts()
    if isinstance(data, BeatSet):
        print(f"unmatched detections dropped: {data.n_unmatched}; annotated beats missed: "
              f"{data.n_missed}")
        total = sum(KAGGLE_MITBIH_COUNTS.values())
        print(f"{'class':>5} {'rebuilt':>8} {'kaggle':>8} {'diff':>7}")
        for name, n in zip(data.classes, counts, strict=True):
            k = KAGGLE_MITBIH_COUNTS[name]
            print(f"{name:>5} {n:8d} {k:8d} {n - k:+7d}")
        print(f"{'all':>5} {len(data):8d} {total:8d} {len(data) - total:+7d}")
    else:
        print(f"windows dropped at record ends: {data.n_dropped}")
        for name, n in zip(data.classes, counts, strict=True):
            print(f"{name:>9} {n:8d}")
