"""The published Kaggle "heartbeat" CSV files (Kachuee 2018's MIT-BIH and PTB sets).

Each row of a file is one 187-sample beat at 125 Hz followed by its label;
:func:`load_kaggle_mitbih` and :func:`load_kaggle_ptb` read them as a
:class:`~heartbeat.datasets.BeatSet` (no record, no RR features: the files do not
say where a beat came from).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from heartbeat.aami import CLASSES
from heartbeat.datasets.sets import BeatSet, _concat_rows

__all__ = [
    "BEAT_SAMPLES", "KAGGLE_COLUMNS", "KAGGLE_MITBIH_COUNTS", "PTB_CLASSES",
    "load_kaggle_mitbih", "load_kaggle_ptb",
]

KAGGLE_MITBIH_COUNTS: dict[str, int] = {"N": 90589, "S": 2779, "V": 7236, "F": 803, "Q": 8039}
"""Class counts of the published Kaggle "heartbeat" MIT-BIH set (train + test, 109,446)."""

PTB_CLASSES: tuple[str, ...] = ("normal", "abnormal")
"""Class names of the Kaggle PTB set's labels 0 and 1."""

BEAT_SAMPLES = 187  # Kachuee 2018 beat length at 125 Hz
KAGGLE_COLUMNS = BEAT_SAMPLES + 1


def _read_kaggle_csv(path: object, n_classes: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Read one Kaggle CSV file: 187 samples and a label per row, no header."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{name}={str(path)!r} is not a file")
    try:
        with warnings.catch_warnings():  # an empty file is reported below, not warned about
            warnings.filterwarnings("ignore", message="(?i).*input contained no data")
            table = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise ValueError(
            f"{path}: every row must hold {KAGGLE_COLUMNS} comma-separated numbers "
            f"({BEAT_SAMPLES} samples, then the label): {exc}"
        ) from None
    if table.size == 0:
        raise ValueError(f"{path} holds no rows")
    if table.shape[1] != KAGGLE_COLUMNS:
        raise ValueError(
            f"{path} has {table.shape[1]} columns, expected {KAGGLE_COLUMNS} "
            f"({BEAT_SAMPLES} samples, then the label)"
        )
    bad = ~np.isfinite(table)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{path} holds {int(bad.sum())} NaN or infinite value(s), first at row {row}, "
            f"column {col}"
        )
    labels = table[:, -1]
    wrong = (labels != np.round(labels)) | (labels < 0) | (labels >= n_classes)
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        raise ValueError(
            f"{path} row {row} has label {float(labels[row])!r}; labels must be whole numbers "
            f"0-{n_classes - 1}"
        )
    return table[:, :-1].astype(np.float32), labels.astype(np.int8)


def _kaggle_set(parts: list[tuple[np.ndarray, np.ndarray]], classes: tuple[str, ...]) -> BeatSet:
    """One BeatSet from the (x, y) of each file: no record, row numbers, NaN RR."""
    x = _concat_rows([p[0] for p in parts])
    y = _concat_rows([p[1] for p in parts])
    n = len(y)
    return BeatSet(
        x=x,
        y=y,
        record=np.full(n, "", dtype="<U1"),
        sample=np.concatenate([np.arange(len(p[1]), dtype=np.int64) for p in parts]),
        rr=np.full((n, 3), np.nan, dtype=np.float32),
        classes=classes,
    )


def load_kaggle_mitbih(path: str | os.PathLike) -> BeatSet:
    """Read a Kaggle "heartbeat" MIT-BIH file (``mitbih_train.csv`` / ``mitbih_test.csv``).

    Parameters
    ----------
    path : path
        CSV file without header; each row is 187 samples then the class (0-4, as
        N, S, V, F, Q; written as a float such as ``1.000000000000000000e+00``).

    Returns
    -------
    BeatSet
        ``x`` float32 (n, 187), ``y`` int8 0-4 with ``classes = ("N", "S", "V", "F",
        "Q")``; ``record`` is ``""`` and ``sample`` the row number (the file does
        not say where a beat came from); ``rr`` is NaN.

    Raises
    ------
    TypeError
        If `path` is not a path.
    ValueError
        If the file is missing or empty, a row does not have 188 columns, a value is
        NaN or infinite, or a label is not a whole number 0-4 (the message gives the
        row).

    Examples
    --------
    >>> beats = load_kaggle_mitbih("mitbih_test.csv")  # doctest: +SKIP
    >>> beats.x.shape[1], beats.classes  # doctest: +SKIP
    (187, ('N', 'S', 'V', 'F', 'Q'))
    """
    return _kaggle_set([_read_kaggle_csv(path, len(CLASSES), "path")], CLASSES)


def load_kaggle_ptb(*paths: str | os.PathLike) -> BeatSet:
    """Read Kaggle PTB files (``ptbdb_normal.csv``, ``ptbdb_abnormal.csv``) as one set.

    Parameters
    ----------
    *paths : path
        One or more CSV files without header; each row is 187 samples then the label
        0 (normal) or 1 (abnormal).  Rows are kept in the order of the files.

    Returns
    -------
    BeatSet
        Two classes, ``classes = ("normal", "abnormal")``; ``record`` is ``""``,
        ``sample`` the row number within its file, ``rr`` NaN.

    Raises
    ------
    TypeError
        If a path is not a path.
    ValueError
        If no path is given, or a file is missing, empty, has rows without 188
        columns, NaN values, or labels other than 0 and 1.

    Examples
    --------
    >>> ptb = load_kaggle_ptb("ptbdb_normal.csv", "ptbdb_abnormal.csv")  # doctest: +SKIP
    >>> ptb.classes, ptb.x.shape[1]  # doctest: +SKIP
    (('normal', 'abnormal'), 187)
    """
    if not paths:
        raise ValueError("pass at least one path, e.g. load_kaggle_ptb('ptbdb_normal.csv')")
    parts = [_read_kaggle_csv(p, len(PTB_CLASSES), f"paths[{i}]") for i, p in enumerate(paths)]
    return _kaggle_set(parts, PTB_CLASSES)
