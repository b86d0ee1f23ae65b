"""The files the commands read: configs, models, ECG records, beats, confusion matrices.

Readers for the command line only; each raises ValueError with the file's name when
a file is missing or does not hold what the command needs.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from heartbeat._validate import as_seconds
from heartbeat.aami import CLASSES

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from heartbeat.classifier import BeatClassifier
    from heartbeat.metrics import ClassificationReport


def prepare_output(path: str | os.PathLike, option: str = "--out") -> Path:
    """Make sure `path` can be written, before any long work; return it as a Path.

    A missing parent folder is created; a folder that cannot be written (or a path
    that names a folder) is a ValueError naming `option`, so no finished work is lost.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{option} {str(path)!r} is a folder; name a file in it")
    prepare_folder(path.parent, option)
    return path


def prepare_folder(path: str | os.PathLike, option: str) -> Path:
    """Create the folder `path` if missing and check it can be written; return it."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{option}: {str(path)!r} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError as exc:
        raise ValueError(f"{option}: cannot write in the folder {str(path)!r} "
                         f"({exc.strerror or exc})") from None
    return path


def mitdb_folder(data_dir: str | os.PathLike | None) -> Path:
    """Return the folder of the MIT-BIH records from ``--data-dir`` or ``HEARTBEAT_DATA``.

    Either may name the records' folder itself or a folder holding it as ``mitdb/``
    (the layout ``heartbeat download mitdb DIR/mitdb`` and the tests use).
    """
    given = data_dir or os.environ.get("HEARTBEAT_DATA")
    if not given:
        raise ValueError("name the MIT-BIH records with --data-dir DIR or the environment "
                         "variable HEARTBEAT_DATA (DIR or DIR/mitdb holding 100.hea ...); "
                         "get them with `heartbeat download mitdb DIR`")
    where = "--data-dir" if data_dir else "HEARTBEAT_DATA"
    path = Path(given).expanduser()
    if not path.is_dir():
        raise ValueError(f"{where} {str(path)!r} is not a folder; get the records with "
                         "`heartbeat download mitdb DIR`")
    if not (path / "100.hea").is_file() and (path / "mitdb").is_dir():
        return path / "mitdb"
    return path


def write_beats_csv(path: Path, beats) -> None:
    """Write segmented beats as CSV: one row per beat, R peak and time then the samples."""
    import csv
    import io

    from heartbeat._atomic import atomic_open

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    n = beats.waveforms.shape[1]
    writer.writerow(["sample", "time_s", "period_s", *(f"x{i}" for i in range(n))])
    for peak, period, wave in zip(beats.r_peaks, beats.period_s, beats.waveforms,
                                  strict=True):
        writer.writerow([int(peak), f"{peak / beats.fs:.4f}", f"{period:.4f}",
                         *(f"{v:.6g}" for v in wave)])
    with atomic_open(path) as fh:
        fh.write(buf.getvalue().encode("utf-8"))


def read_config(path: str, defaults: Mapping[str, object],
                int_lists: Collection[str] = ()) -> dict:
    """Return the options of a ``--config`` TOML file, checked against `defaults`.

    The options may be flat or under one ``[train]`` table; each must be a key of
    `defaults` and have the type of its default (an int is accepted for a float; the
    options named in `int_lists` also accept a list of ints).
    Raises ValueError naming the file when it cannot be read or an option is wrong.
    """
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
    unknown = sorted(set(data) - set(defaults))
    if unknown:
        raise ValueError(f"--config {path}: unknown option(s) {unknown}; valid: "
                         f"{', '.join(defaults)}")
    for key, value in data.items():
        want = type(defaults[key])
        if key in int_lists and isinstance(value, list):  # e.g. channel = [0, 1]
            ok = all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            if not ok:
                raise ValueError(f"--config {path}: {key} = {value!r} must be an integer "
                                 "or a list of integers")
            continue
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if want is list and ok:
            ok = all(isinstance(v, str) for v in value)
        if not ok:
            raise ValueError(f"--config {path}: {key} = {value!r} must be a "
                             f"{'list of strings' if want is list else want.__name__}")
    return data


def load_model(name_or_path: str | None) -> BeatClassifier:
    """Return a pretrained model by name (default mitbih-all) or one saved in a file."""
    from heartbeat.classifier import PRETRAINED, BeatClassifier

    if name_or_path is None or name_or_path in PRETRAINED:
        return BeatClassifier.pretrained(name_or_path)
    try:
        return BeatClassifier.load(name_or_path)
    except FileNotFoundError:
        raise ValueError(f"model {name_or_path!r} is neither a file nor a pretrained "
                         f"model ({', '.join(PRETRAINED)})") from None


def read_predictions(path: str | os.PathLike
                     ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """R-peak samples, predicted class names and the class list of ``heartbeat predict``.

    Reads its CSV (``sample,time_s,label,...,p_<class>...``) or JSON (``classes`` and
    ``beats``, each with ``sample`` and ``label``) output.  Beats left unclassified
    (label ``"?"``) add ``"?"`` to the classes.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"predictions file {str(path)!r} not found; write one with "
                         "`heartbeat predict INPUT --out predictions.csv`")
    where = f"{path.name} (expected the output of `heartbeat predict`)"
    try:
        if path.suffix.lower() == ".json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            classes = tuple(str(c) for c in doc["classes"])
            samples = [int(b["sample"]) for b in doc["beats"]]
            labels = [str(b["label"]) for b in doc["beats"]]
        else:
            rows = [line.split(",") for line in path.read_text().splitlines() if line]
            head = rows[0]
            if head[:3] != ["sample", "time_s", "label"]:
                raise ValueError(f"{where}: its header is {','.join(head)}")
            # the p_<class> columns name the classes; reason, rr_s, ... may stand beside
            classes = tuple(c.removeprefix("p_") for c in head if c.startswith("p_"))
            samples = [int(r[0]) for r in rows[1:]]
            labels = [r[2] for r in rows[1:]]
    except (KeyError, TypeError, IndexError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read {where}: {exc!r}") from None
    from heartbeat.classifier.results import UNCLASSIFIED

    if UNCLASSIFIED in labels:  # beats the reject option withheld form a group of their own
        classes = (*classes, UNCLASSIFIED)
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise ValueError(f"{where}: labels {unknown} are not among its classes {classes}")
    return np.asarray(samples, dtype=np.int64), np.asarray(labels, dtype=str), classes


def read_beats(path: str | os.PathLike, predictions: str | os.PathLike | None = None
               ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Beats and labels from a BeatSet ``.npz``, a Kaggle CSV or a segment file.

    A BeatSet file holds ``x`` and ``y``; a ``heartbeat segment`` file holds
    ``waveforms`` and ``r_peaks`` and no labels: its beats are one class ``beats``,
    or the classes `predictions` (``heartbeat predict``'s output for the same ECG)
    gives them, matched by R-peak sample.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"beats file {str(path)!r} not found")
    if path.suffix == ".npz" and "waveforms" in _npz_names(path):
        return _segment_beats(path, predictions)
    if predictions is not None:
        raise ValueError(f"--predictions labels the beats of a `heartbeat segment` file; "
                         f"{path.name} holds labels already")
    if path.suffix == ".csv":
        data = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
        if data.shape[1] < 3:
            raise ValueError(f"{path.name}: expected beat samples then a label per row")
        labels = data[:, -1]
        if (labels != np.round(labels)).any():
            raise ValueError(f"{path.name}: the last column must hold integer class codes")
        return data[:, :-1], labels.astype(np.int64), CLASSES
    if path.suffix != ".npz":
        raise ValueError(f"cannot read beats from {path.name}: use an .npz or a Kaggle .csv")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f"cannot read {path.name} as an .npz of arrays: {exc}") from None
    with archive as data:
        if "x" not in data or "y" not in data:
            raise ValueError(
                f"{path.name} must hold arrays 'x' (beats) and 'y' (labels); it has "
                f"{sorted(data.files)}"
            )
        names = tuple(str(c) for c in data["classes"]) if "classes" in data else CLASSES
        return data["x"], data["y"], names


def _npz_names(path: Path) -> list[str]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return list(data.files)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path.name} as .npz: {exc}") from None


def _segment_beats(path: Path, predictions: str | os.PathLike | None
                   ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Return the waveforms of a segment file, labelled by `predictions` when given."""
    with np.load(path, allow_pickle=False) as data:
        x, peaks = data["waveforms"], data["r_peaks"]
    if predictions is None:
        return x, np.zeros(len(x), dtype=np.int64), ("beats",)
    samples, labels, classes = read_predictions(predictions)
    idx = np.clip(np.searchsorted(samples, peaks), 0, max(len(samples) - 1, 0))
    found = (samples[idx] == peaks) if len(samples) else np.zeros(len(peaks), bool)
    if not found.any():
        raise ValueError(f"no R peak of {path.name} is in {Path(predictions).name}: "
                         "predict the same ECG with the same --detector")
    codes = np.array([classes.index(c) for c in labels[idx[found]]], dtype=np.int64)
    return x[found], codes, classes


def read_confusion(path: str | os.PathLike, class_names: Sequence[str] | None
                   ) -> ClassificationReport:
    """Read a ClassificationReport from .npz (confusion, or y_true and y_pred) or CSV."""
    from heartbeat.metrics import ClassificationReport, classification_report

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"confusion file {str(path)!r} not found")
    # ClassificationReport checks the names (str, unique, one per row)
    names = None if class_names is None else tuple(class_names)
    if path.suffix == ".json":
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            cm = np.asarray(doc["confusion"], dtype=np.int64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path.name} must be a JSON object with 'confusion' (rows "
                             f"true, columns predicted), as `heartbeat evaluate "
                             f"--confusion-out` writes: {exc!r}") from None
        if names is None and "class_names" in doc:
            names = tuple(str(c) for c in doc["class_names"])
    elif path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            if names is None and "class_names" in data:
                names = tuple(str(c) for c in data["class_names"])
            if "confusion" in data:
                cm = data["confusion"]
            elif "y_true" in data and "y_pred" in data:
                k = len(names) if names else None
                y_true, y_pred = data["y_true"], data["y_pred"]
                if names is None:
                    k = max(int(y_true.max()), int(y_pred.max())) + 1
                    names = CLASSES if k <= len(CLASSES) else tuple(map(str, range(k)))
                return classification_report(y_true, y_pred, class_names=names)
            else:
                raise ValueError(
                    f"{path.name} must hold 'confusion' or 'y_true' and 'y_pred'; it has "
                    f"{sorted(data.files)}"
                )
    elif path.suffix == ".csv":
        text = path.read_text().splitlines()
        rows = [line.split(",") for line in text if line.strip()]
        header = None
        try:
            float(rows[0][-1])
        except (ValueError, IndexError):
            header, rows = [c.strip() for c in rows[0]], rows[1:]
        try:
            cm = np.array([[int(c) for c in row] for row in rows], dtype=np.int64)
        except ValueError:
            raise ValueError(f"{path.name}: expected rows of integer counts") from None
        if names is None and header is not None:
            names = tuple(header[-cm.shape[0]:]) if cm.ndim == 2 else None
    else:
        raise ValueError(f"cannot read a confusion matrix from {path.name}: use .json, "
                         ".npz or .csv")
    cm = np.asarray(cm)
    if names is None:
        k = cm.shape[0] if cm.ndim == 2 else 0
        names = CLASSES if k == len(CLASSES) else tuple(str(i) for i in range(k))
    return ClassificationReport(cm, names)


def record_file_figure(
    path: str | os.PathLike, *, fs: float | None, channel: int | str | None, start_s: float,
    duration_s: float, annotator: str | None, detect: bool,
    predictions: str | os.PathLike | None = None,
) -> tuple[Figure, str]:
    """Figure of a stretch of an ECG file (the ``heartbeat plot record`` command).

    R peaks are detected on the view plus 10 s before it (the detector's thresholds
    settle on the first beats); for a WFDB record with an annotation file the
    reference symbols are drawn and the peaks coloured by the reference class.
    With `predictions` (``heartbeat predict``'s output for this ECG) the peaks and
    their colours are the predicted ones instead.  Returns the figure and a note.
    """
    from heartbeat.detect import detect_r_peaks
    from heartbeat.io.inputs import load_channel
    from heartbeat.pipeline import segment
    from heartbeat.plot import plot_record, reference_classes
    from heartbeat.signal_quality import SEGMENT_S

    ecg = load_channel(path, fs=fs, channel=channel)
    x, fs = ecg.signal, ecg.fs
    start_s = as_seconds(start_s, "start")
    duration_s = as_seconds(duration_s, "duration", positive=True)
    base = Path(path)
    base = base.with_suffix("") if base.suffix == ".hea" else base
    annotations = None
    notes = [f"lead {ecg.lead}"]
    if annotator:
        ann_file = base.with_name(f"{base.name}.{annotator}")
        if ann_file.is_file():
            from heartbeat.io import read_annotations

            ann = read_annotations(base, annotator)
            annotations = (ann.samples_at(fs), ann.symbol)
            notes.append(f"reference annotations from {ann_file.name}")
    peaks = labels = None
    class_names = CLASSES
    if predictions is not None:
        peaks, labels, class_names = read_predictions(predictions)
        in_view = (peaks >= start_s * fs) & (peaks < (start_s + duration_s) * fs)
        notes.append(f"{int(in_view.sum())} beats coloured by the predicted class from "
                     f"{Path(predictions).name}")
    elif detect:
        # from a start on the quality stretches' grid of the whole record (2 s), so the
        # stretches read around invalid samples are those predict reads around
        seg = max(1, round(SEGMENT_S * fs))
        i0 = max(0, math.floor((start_s - 10.0) * fs)) // seg * seg
        i1 = min(x.size, math.ceil((start_s + duration_s + 1.0) * fs))
        stretch = x[i0:i1]
        if i1 > i0:
            gaps = bool(np.isnan(stretch).any())
            # invalid samples are read around as predict reads them (no peak in the
            # 2 s stretches that hold one); every other detected peak is shown, as in
            # a view without invalid samples (no quality threshold)
            peaks = (segment(stretch, fs, missing="unreadable", quality=False).r_peaks
                     if gaps else detect_r_peaks(stretch, fs)) + i0
            in_view = (peaks >= start_s * fs) & (peaks < (start_s + duration_s) * fs)
            notes.append(f"{int(in_view.sum())} R peaks detected in the view"
                         + (" (none where samples are invalid)" if gaps else ""))
            if annotations is not None:
                labels = reference_classes(peaks, annotations[0], annotations[1], fs)
    title = f"{base.name}, {ecg.lead}: {start_s:g}-{start_s + duration_s:g} s"
    fig = plot_record(x, fs, r_peaks=peaks, labels=labels, annotations=annotations,
                      start_s=start_s, duration_s=duration_s, title=title,
                      class_names=class_names)
    return fig, "; ".join(notes)


def read_history(path: str | os.PathLike) -> dict:
    """Per-epoch training history from a JSON file (for ``heartbeat plot curves``)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read a JSON history from {path}: {exc}") from None


def write_json(path: str | os.PathLike, doc: object) -> Path:
    """Write `doc` as indented JSON to `path`, atomically; return the path."""
    from heartbeat._atomic import atomic_open

    with atomic_open(path) as fh:
        fh.write((json.dumps(doc, indent=1) + "\n").encode("utf-8"))
    return Path(path)
