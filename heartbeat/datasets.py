"""Labelled heartbeat sets from the raw MIT-BIH records, splits, and the Kaggle CSV files.

* :func:`mitbih_beats` cuts every annotated (or detected) beat of MIT-BIH with the
  Kachuee 2018 pipeline (125 Hz, 1.2 T crop, zero-padded to 187 samples) and labels
  it with its AAMI EC57 class -> :class:`BeatSet`.
* :func:`mitbih_windows` takes ±2 s of raw signal at 360 Hz around every annotated
  beat, labelled normal / abnormal -> :class:`WindowSet`.
* :data:`DS1` / :data:`DS2` (de Chazal 2004), :func:`inter_patient_split` and the
  seeded :func:`train_test_split` divide either set.
* :func:`load_kaggle_mitbih` and :func:`load_kaggle_ptb` read the published Kaggle
  "heartbeat" CSV files.
* :func:`download` fetches MIT-BIH from PhysioNet, verified.

Every function that loops over records takes ``executor=`` (any
:class:`concurrent.futures.Executor`, e.g. a Dask ``Client.get_executor()``) and
``cache_dir=`` (built sets are stored as ``.npz`` keyed by their parameters).

``heartbeat summary DATA_DIR`` (or ``python -m heartbeat.datasets summary DATA_DIR``)
prints the class counts of the whole database.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sys
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, TypeVar

import numpy as np

from heartbeat._atomic import save_npz_atomic
from heartbeat._validate import as_fs, as_int, as_positive
from heartbeat.aami import CLASSES, class_codes, is_beat
from heartbeat.context import _rr_features, rr_features
from heartbeat.download import DownloadResult, download
from heartbeat.metrics import match_peaks
from heartbeat.parallel import map_records

__all__ = [
    "DS1",
    "DS2",
    "KAGGLE_MITBIH_COUNTS",
    "PACED",
    "PTB_CLASSES",
    "RECORDS",
    "WINDOW_CLASSES",
    "BeatSet",
    "DownloadResult",
    "Split",
    "WindowSet",
    "concatenate",
    "download",
    "inter_patient_split",
    "load_kaggle_mitbih",
    "load_kaggle_ptb",
    "mitbih_beats",
    "mitbih_windows",
    "rr_features",
    "train_test_split",
]

RECORDS: tuple[str, ...] = (
    "100", "101", "102", "103", "104", "105", "106", "107", "108", "109", "111", "112",
    "113", "114", "115", "116", "117", "118", "119", "121", "122", "123", "124", "200",
    "201", "202", "203", "205", "207", "208", "209", "210", "212", "213", "214", "215",
    "217", "219", "220", "221", "222", "223", "228", "230", "231", "232", "233", "234",
)  # fmt: skip
"""The 48 records of the MIT-BIH Arrhythmia Database."""

PACED: tuple[str, ...] = ("102", "104", "107", "217")
"""Records with paced beats, left out of DS1 and DS2."""

DS1: tuple[str, ...] = (
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122", "124",
    "201", "203", "205", "207", "208", "209", "215", "220", "223", "230",
)  # fmt: skip
"""De Chazal et al. 2004 inter-patient training records (22)."""

DS2: tuple[str, ...] = (
    "100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210", "212",
    "213", "214", "219", "221", "222", "228", "231", "232", "233", "234",
)  # fmt: skip
"""De Chazal et al. 2004 inter-patient test records (22)."""

KAGGLE_MITBIH_COUNTS: dict[str, int] = {"N": 90589, "S": 2779, "V": 7236, "F": 803, "Q": 8039}
"""Class counts of the published Kaggle "heartbeat" MIT-BIH set (train + test, 109,446)."""

WINDOW_CLASSES: tuple[str, ...] = ("normal", "abnormal")
"""Class names of :class:`WindowSet` labels 0 and 1."""

PTB_CLASSES: tuple[str, ...] = ("normal", "abnormal")
"""Class names of the Kaggle PTB set's labels 0 and 1."""

BEAT_SAMPLES = 187  # Kachuee 2018 beat length at 125 Hz
KAGGLE_COLUMNS = BEAT_SAMPLES + 1
PEAK_SOURCES = ("annotations", "detector")
_DOWNLOAD_HINT = (
    "download MIT-BIH with `heartbeat download mitdb DIR` (or "
    "heartbeat.datasets.download('mitdb', DIR)) and pass data_dir=DIR"
)

S = TypeVar("S", bound="_LabelledSet")


# --------------------------------------------------------------------------- sets
@dataclass(frozen=True, eq=False)
class _LabelledSet:
    """Fields and behaviour shared by :class:`BeatSet` and :class:`WindowSet`."""

    x: np.ndarray
    y: np.ndarray
    record: np.ndarray
    sample: np.ndarray

    _per_item: ClassVar[tuple[str, ...]] = ("x", "y", "record", "sample")
    _counts: ClassVar[tuple[str, ...]] = ()
    _kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        n = len(self.y)
        for name in self._per_item:
            value = getattr(self, name)
            if not isinstance(value, np.ndarray):
                raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
            if len(value) != n:
                raise ValueError(f"{name} has {len(value)} rows but y has {n}")
        if self.x.ndim != 2:
            raise ValueError(f"x must be 2-D (n, samples), got shape {self.x.shape}")
        if self.y.dtype != np.int8:
            raise TypeError(f"y must be int8 class codes, got dtype {self.y.dtype}")
        classes = self.classes  # type: ignore[attr-defined]
        if n and (self.y.min() < 0 or self.y.max() >= len(classes)):
            raise ValueError(f"y must hold class codes 0-{len(classes) - 1} ({classes})")

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self: S, index: object) -> S:
        """Select items by boolean mask, integer array, slice or single integer."""
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            index = np.array([index])
        elif not isinstance(index, slice):
            index = np.asarray(index)
            if index.dtype == bool:
                if index.shape != (len(self),):
                    raise IndexError(
                        f"boolean index has shape {index.shape}, expected ({len(self)},)"
                    )
            elif not np.issubdtype(index.dtype, np.integer):
                raise IndexError(f"index must be a bool mask or integers, got {index.dtype}")
        changes = {name: getattr(self, name)[index] for name in self._per_item}
        return dataclasses.replace(self, **changes)

    def class_counts(self) -> np.ndarray:
        """Return the number of items in each class, in the order of `classes` (int64)."""
        return np.bincount(self.y, minlength=len(self.classes))  # type: ignore[attr-defined]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the set to an uncompressed ``.npz`` file atomically; return its path.

        The file holds plain arrays only (strings as fixed-width unicode), so
        :meth:`load` reads it with ``allow_pickle=False``.
        """
        arrays: dict[str, np.ndarray] = {"kind": np.array(self._kind)}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "classes":
                value = np.array(value, dtype=str)
            arrays[f.name] = np.asarray(value)
        return save_npz_atomic(path, **arrays)

    @classmethod
    def load(cls: type[S], path: str | os.PathLike) -> S:
        """Read a set written by :meth:`save` (``allow_pickle=False``).

        Raises
        ------
        ValueError
            If the file is not a saved set of this type.
        """
        with np.load(path, allow_pickle=False) as data:
            if "kind" not in data or str(data["kind"]) != cls._kind:
                raise ValueError(f"{path} does not hold a saved {cls.__name__}")
            kwargs: dict[str, Any] = {}
            for f in dataclasses.fields(cls):
                value = data[f.name]
                if f.name == "classes":
                    value = tuple(str(c) for c in value)
                elif f.name in cls._counts:
                    value = int(value)
                elif value.ndim == 0:
                    value = value.item()
                kwargs[f.name] = value
        return cls(**kwargs)


@dataclass(frozen=True, eq=False)
class BeatSet(_LabelledSet):
    """Labelled 187-sample heartbeats (Kachuee 2018 format) with their RR features.

    Attributes
    ----------
    x : numpy.ndarray of float32, shape (n, 187)
        Beats at 125 Hz with values in [0, 1] (each 10 s window of the record is
        normalised), cropped at 1.2 T and zero-padded (Kachuee 2018, steps 1-7).
    y : numpy.ndarray of int8, shape (n,)
        Class codes: index into `classes` (AAMI N, S, V, F, Q = 0-4 for MIT-BIH).
    record : numpy.ndarray of str, shape (n,)
        Record each beat comes from (``""`` when unknown, as for the Kaggle files).
    sample : numpy.ndarray of int64, shape (n,)
        R-peak sample index at the record's own sampling frequency (row number in the
        file for the Kaggle sets).
    rr : numpy.ndarray of float32, shape (n, 3)
        Previous RR, next RR and local mean RR of each beat, each divided by the
        record's mean RR (see :func:`rr_features`); NaN when unknown (Kaggle files).
    classes : tuple of str
        Class names, in the order of the codes.
    n_unmatched : int
        Detections dropped while building because no beat annotation lay within the
        tolerance (``peaks="detector"``); summed by :func:`concatenate`.
    n_missed : int
        Annotated beats that got no beat in the set (no detection within the
        tolerance, or not cut by the pipeline); summed by :func:`concatenate`.

    Notes
    -----
    ``len(beats)`` is the number of beats; ``beats[mask]``, ``beats[indices]`` and
    ``beats[a:b]`` return a new :class:`BeatSet` (the build counts are kept as they
    are).  :meth:`save` / :meth:`load` store a set as ``.npz``.

    Examples
    --------
    >>> import numpy as np
    >>> beats = BeatSet(
    ...     x=np.zeros((3, 187), np.float32), y=np.array([0, 2, 0], np.int8),
    ...     record=np.array(["100", "100", "101"]), sample=np.array([10, 400, 77]),
    ...     rr=np.ones((3, 3), np.float32),
    ... )
    >>> len(beats), beats[beats.y == 2].sample.tolist(), beats.class_counts().tolist()
    (3, [400], [2, 0, 1, 0, 0])
    """

    rr: np.ndarray = dataclasses.field(default_factory=lambda: np.empty((0, 3), np.float32))
    classes: tuple[str, ...] = CLASSES
    n_unmatched: int = 0
    n_missed: int = 0

    _per_item: ClassVar[tuple[str, ...]] = ("x", "y", "record", "sample", "rr")
    _counts: ClassVar[tuple[str, ...]] = ("n_unmatched", "n_missed")
    _kind: ClassVar[str] = "BeatSet"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.rr.shape != (len(self), 3):
            raise ValueError(f"rr must have shape ({len(self)}, 3), got {self.rr.shape}")

    @property
    def has_rr(self) -> bool:
        """True when every beat has finite RR features (False for the Kaggle files)."""
        return bool(np.isfinite(self.rr).all())


@dataclass(frozen=True, eq=False)
class WindowSet(_LabelledSet):
    """Raw-signal windows centred on annotated beats, labelled normal (0) / abnormal (1).

    Attributes
    ----------
    x : numpy.ndarray, shape (n, D)
        Raw samples (physical units, mV) from ``half_width_s`` before to
        ``half_width_s`` after each beat annotation; ``D = 2 * round(half_width_s * fs)``
        (1,440 for ±2 s at 360 Hz).  float32 unless asked otherwise.
    y : numpy.ndarray of int8, shape (n,)
        0 = normal, 1 = abnormal (see :func:`mitbih_windows`).
    record : numpy.ndarray of str, shape (n,)
        Record of each window.
    sample : numpy.ndarray of int64, shape (n,)
        Sample index of the beat annotation (the window's centre) in its record.
    aami : numpy.ndarray of int8, shape (n,)
        AAMI class code 0-4 (N, S, V, F, Q) of the beat, for finer labels.
    fs : float
        Sampling frequency of `x` in Hz.
    classes : tuple of str
        ``("normal", "abnormal")``.
    n_dropped : int
        Beats left out because their window would cross the record's start or end;
        summed by :func:`concatenate`.

    Examples
    --------
    >>> import numpy as np
    >>> w = WindowSet(
    ...     x=np.zeros((2, 1440), np.float32), y=np.array([0, 1], np.int8),
    ...     record=np.array(["100", "100"]), sample=np.array([1000, 2000]),
    ...     aami=np.array([0, 2], np.int8), fs=360.0,
    ... )
    >>> w[1:].aami.tolist(), w.x.nbytes
    ([2], 11520)
    """

    aami: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0, np.int8))
    fs: float = 360.0
    classes: tuple[str, ...] = WINDOW_CLASSES
    n_dropped: int = 0

    _per_item: ClassVar[tuple[str, ...]] = ("x", "y", "record", "sample", "aami")
    _counts: ClassVar[tuple[str, ...]] = ("n_dropped",)
    _kind: ClassVar[str] = "WindowSet"


def concatenate(sets: Iterable[S]) -> S:
    """Join sets of one type (and the same classes) into one, in the order given.

    Parameters
    ----------
    sets : iterable of BeatSet or iterable of WindowSet
        At least one set.

    Returns
    -------
    BeatSet or WindowSet
        Items of all sets in order; the build counts (``n_unmatched``, ``n_missed``,
        ``n_dropped``) are summed.

    Raises
    ------
    ValueError
        If `sets` is empty, or the sets differ in type, classes, sample length or fs.

    Examples
    --------
    >>> import numpy as np
    >>> one = BeatSet(np.zeros((1, 187), np.float32), np.array([1], np.int8),
    ...               np.array(["100"]), np.array([5]), np.ones((1, 3), np.float32))
    >>> len(concatenate([one, one, one]))
    3
    """
    sets = list(sets)
    if not sets:
        raise ValueError("sets is empty: pass at least one BeatSet or WindowSet")
    first = sets[0]
    if not isinstance(first, _LabelledSet):
        raise TypeError(f"sets must hold BeatSet or WindowSet, got {type(first).__name__}")
    static = [
        f.name for f in dataclasses.fields(first)
        if f.name not in first._per_item and f.name not in first._counts
    ]
    for i, s in enumerate(sets[1:], 1):
        if type(s) is not type(first):
            raise ValueError(
                f"sets[{i}] is a {type(s).__name__}, sets[0] a {type(first).__name__}"
            )
        for name in static:
            if getattr(s, name) != getattr(first, name):
                raise ValueError(
                    f"sets[{i}].{name}={getattr(s, name)!r} differs from "
                    f"sets[0].{name}={getattr(first, name)!r}"
                )
        if s.x.shape[1:] != first.x.shape[1:]:
            raise ValueError(
                f"sets[{i}].x has items of shape {s.x.shape[1:]}, sets[0] {first.x.shape[1:]}"
            )
    changes: dict[str, Any] = {}
    for name in first._per_item:
        parts = [getattr(s, name) for s in sets]
        if name == "record":  # keep the narrowest unicode width that fits all
            width = max((p.dtype.itemsize // 4 for p in parts), default=1)
            parts = [p.astype(f"<U{max(width, 1)}") for p in parts]
        changes[name] = _concat_rows(parts)
    for name in first._counts:
        changes[name] = sum(getattr(s, name) for s in sets)
    return dataclasses.replace(first, **changes)


def _concat_rows(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate along axis 0 into one preallocated array (no second full copy)."""
    total = sum(len(p) for p in parts)
    out = np.empty((total, *parts[0].shape[1:]), dtype=np.result_type(*parts))
    start = 0
    for p in parts:
        out[start : start + len(p)] = p
        start += len(p)
    return out


# --------------------------------------------------------------------------- argument checks
def _check_records(records: object) -> tuple[str, ...]:
    if records is None:
        return RECORDS
    if isinstance(records, (str, int, np.integer)):
        records = [records]
    try:
        names = tuple(str(r) for r in records)  # type: ignore[union-attr]
    except TypeError:
        raise TypeError(
            f"records must be a list of record names such as ['100', '101'], got {records!r}"
        ) from None
    if not names:
        raise ValueError("records is empty: pass record names, or None for all 48")
    unknown = [r for r in names if r not in RECORDS]
    if unknown:
        raise ValueError(
            f"records {unknown} are not MIT-BIH records; choose from "
            f"heartbeat.datasets.RECORDS ({RECORDS[0]} ... {RECORDS[-1]})"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"records lists a record twice: {list(names)}")
    return names


def _check_data_dir(data_dir: object, records: tuple[str, ...]) -> Path:
    if not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(f"data_dir must be a folder path, got {type(data_dir).__name__}")
    path = Path(data_dir)
    if not path.is_dir():
        raise ValueError(f"data_dir={str(path)!r} is not a folder; {_DOWNLOAD_HINT}")
    missing = [r for r in records if not (path / f"{r}.hea").is_file()]
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise ValueError(
            f"data_dir={str(path)!r} lacks {len(missing)} record(s) ({shown}: no .hea file); "
            f"{_DOWNLOAD_HINT}"
        )
    no_atr = [r for r in records if not (path / f"{r}.atr").is_file()]
    if no_atr:
        raise ValueError(
            f"data_dir={str(path)!r} lacks the annotation file of record(s) "
            f"{', '.join(no_atr)} (NNN.atr); {_DOWNLOAD_HINT}"
        )
    return path


def _check_records_on_disk(
    data_dir: Path, records: tuple[str, ...], channel: int, fs: float | None
) -> tuple[float, dict[str, int]]:
    """Read each record's header: check channel and fs up front.

    Returns the records' sampling frequency and their lengths in samples.
    """
    from heartbeat.wfdb import read_header

    seen: dict[float, str] = {}
    lengths: dict[str, int] = {}
    for name in records:
        head = read_header(data_dir / name)
        lengths[name] = int(head.n_samples)
        n_channels = len(head.sig_names)
        if channel >= n_channels:
            raise ValueError(
                f"channel={channel} is out of range: record {name} has {n_channels} "
                f"channel(s) ({', '.join(head.sig_names)}); use 0-{n_channels - 1}"
            )
        if fs is not None and head.fs != fs:
            raise ValueError(
                f"record {name} is sampled at {head.fs:g} Hz, not fs={fs:g}; pass fs=None "
                "to accept the records' own rate"
            )
        seen.setdefault(float(head.fs), name)
    if fs is None and len(seen) > 1:
        pairs = ", ".join(f"{r} at {f:g} Hz" for f, r in seen.items())
        raise ValueError(f"the records' sampling frequencies differ ({pairs}); pass fs=")
    return next(iter(seen)), lengths


# --------------------------------------------------------------------------- caching
def _fingerprint(data_dir: Path, records: tuple[str, ...]) -> list[list[object]]:
    out: list[list[object]] = []
    for r in records:
        for ext in ("hea", "dat", "atr"):
            p = data_dir / f"{r}.{ext}"
            if p.exists():
                st = p.stat()
                out.append([p.name, st.st_size, st.st_mtime_ns])
    return out


def _cache_path(cache_dir: str | os.PathLike, kind: str, params: dict[str, Any]) -> Path:
    from heartbeat import __version__

    key = json.dumps({"kind": kind, "version": __version__, **params}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{kind}-{__version__}-{digest}.npz"


def _cached(cls: type[S], cache_dir: object, params: dict[str, Any], build) -> S:
    """Load the set built with `params` from `cache_dir`, or build and store it."""
    if cache_dir is None:
        return build()
    if not isinstance(cache_dir, (str, os.PathLike)):
        raise TypeError(f"cache_dir must be a folder path or None, got {cache_dir!r}")
    path = _cache_path(cache_dir, cls._kind, params)
    if path.is_file():
        try:
            return cls.load(path)
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
            pass  # unreadable or from an incompatible build: rebuild and overwrite
    result = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    result.save(path)
    return result


# --------------------------------------------------------------------------- MIT-BIH beats
def _record_beats(
    name: str,
    *,
    data_dir: Path,
    peaks: str,
    channel: int,
    detector: str,
    tolerance_s: float,
) -> BeatSet:
    """Build the BeatSet of one record (runs in a worker)."""
    from heartbeat.pipeline import segment
    from heartbeat.wfdb import read_annotations, read_record

    rec = read_record(data_dir / name, channels=[channel])
    fs = float(rec.fs)
    signal = np.ascontiguousarray(rec.signal[:, 0], dtype=np.float64)
    ann = read_annotations(data_dir / name, extension="atr")
    beat = is_beat(ann.symbol)
    ann_samples = np.asarray(ann.sample, dtype=np.int64)[beat]
    ann_codes = class_codes(np.asarray(ann.symbol)[beat])
    order = np.argsort(ann_samples, kind="stable")
    ann_samples, ann_codes = ann_samples[order], ann_codes[order]
    # two annotations on one sample cannot both be R peaks; keep the first
    keep = np.concatenate([[True], np.diff(ann_samples) > 0])
    n_duplicates = int(np.count_nonzero(~keep))
    ann_samples, ann_codes = ann_samples[keep], ann_codes[keep]

    if peaks == "annotations":
        beats = segment(signal, fs, r_peaks=ann_samples)
        peak_samples = ann_samples
        peak_codes = ann_codes
        n_unmatched = 0
    else:
        beats = segment(signal, fs, detector=detector)
        peak_samples = np.asarray(beats.r_peaks, dtype=np.int64)
        det_idx, ref_idx = match_peaks(peak_samples, ann_samples, tolerance_s * fs)
        peak_codes = np.full(len(peak_samples), -1, dtype=np.int8)
        peak_codes[det_idx] = ann_codes[ref_idx]
        n_unmatched = int(len(peak_samples) - len(det_idx))
    rr_all = _rr_features(peak_samples, fs)  # peaks sorted and unique here
    cut = np.asarray(beats.r_peaks, dtype=np.int64)
    idx = np.searchsorted(peak_samples, cut)
    if cut.size and (idx.max() >= len(peak_samples) or (peak_samples[idx] != cut).any()):
        raise RuntimeError(f"record {name}: segment() returned R peaks it was not given")
    labelled = peak_codes[idx] >= 0
    idx = idx[labelled]
    x = np.asarray(beats.waveforms, dtype=np.float32)[labelled]
    n = len(idx)
    return BeatSet(
        x=np.ascontiguousarray(x),
        y=peak_codes[idx].astype(np.int8),
        record=np.full(n, name, dtype="<U3"),
        sample=peak_samples[idx],
        rr=rr_all[idx],
        n_unmatched=n_unmatched,
        n_missed=len(ann_samples) + n_duplicates - n,
    )


def mitbih_beats(
    data_dir: str | os.PathLike,
    records: Sequence[str] | None = None,
    *,
    peaks: str = "annotations",
    channel: int = 0,
    detector: str = "robust",
    tolerance_s: float = 0.15,
    fs: float | None = None,
    executor: Executor | None = None,
    cache_dir: str | os.PathLike | None = None,
    quiet: bool = False,
) -> BeatSet:
    """Labelled 187-sample beats of MIT-BIH records, cut with the Kachuee 2018 pipeline.

    Parameters
    ----------
    data_dir : path
        Folder with the records' ``NNN.hea``, ``NNN.dat`` and ``NNN.atr`` files
        (get them with :func:`download`).
    records : sequence of str, optional
        Record names (see :data:`RECORDS`, :data:`DS1`, :data:`DS2`); default all 48.
    peaks : {"annotations", "detector"}, default "annotations"
        Where the R peaks come from.  ``"annotations"``: every beat annotation is an
        R peak (``segment(..., r_peaks=...)``) and keeps its label.  ``"detector"``:
        peaks found by ``segment(..., detector=detector)`` are matched one-to-one to
        the beat annotations within `tolerance_s`; matched peaks take the
        annotation's label, unmatched ones are dropped and counted (``n_unmatched``).
    channel : int, default 0
        Signal channel (0 is MLII except in records 102 and 104).
    detector : str, default "robust"
        Detector passed to :func:`heartbeat.segment` when ``peaks="detector"``.
    tolerance_s : float, default 0.15
        Matching tolerance in seconds for ``peaks="detector"``.
    fs : float, optional
        Required sampling frequency of the records in Hz (360 for MIT-BIH); a record
        with another rate is an error.  None accepts the records' own rate.
    executor : concurrent.futures.Executor, optional
        Where to process the records (see :func:`heartbeat.parallel.map_records`);
        the result is the same with any executor.
    cache_dir : path, optional
        Folder for a ``.npz`` copy of the result, named by a hash of the parameters,
        the record files' sizes and times, and the library version; a later call with
        the same parameters loads it instead of rebuilding.
    quiet : bool, default False
        No progress line on stderr.

    Returns
    -------
    BeatSet
        Beats of all records in record order and time order within a record, with
        labels (AAMI N, S, V, F, Q = 0-4) and RR features computed from the peak
        sequence used (all annotated beats, or all detections).

    Raises
    ------
    TypeError
        If `records`, `channel` or `data_dir` has the wrong type.
    ValueError
        If a record name is unknown or repeated, `data_dir` lacks a record or its
        ``.atr`` file (the message says how to download), `channel` is out of range,
        a record's sampling frequency is not `fs`, or `peaks` / `tolerance_s` is
        invalid.  Nothing is written to `cache_dir` unless the whole set was built.

    See Also
    --------
    mitbih_windows : ±2 s raw windows around the same annotations.
    heartbeat.segment : the pipeline that cuts the beats.

    Notes
    -----
    Beat annotations are the 15 MIT-BIH beat symbols (:data:`heartbeat.aami.BEAT_SYMBOLS`);
    rhythm, noise and comment annotations are ignored.  If two beat annotations fall
    on one sample, the first is kept and the other counted in ``n_missed``.

    Examples
    --------
    >>> beats = mitbih_beats("data/mitdb", ["100", "101"])  # doctest: +SKIP
    >>> beats.x.shape, beats.class_counts()  # doctest: +SKIP
    ((4138, 187), array([4099,   36,    1,    0,    2]))
    """
    names = _check_records(records)
    channel = as_int(channel, "channel", minimum=0)
    if peaks not in PEAK_SOURCES:
        raise ValueError(f"peaks={peaks!r} must be one of {PEAK_SOURCES}")
    if not isinstance(detector, str):
        raise TypeError(f"detector must be a detector name, got {detector!r}")
    tolerance_s = as_positive(tolerance_s, "tolerance_s")
    fs = None if fs is None else as_fs(fs)
    path = _check_data_dir(data_dir, names)
    params = {
        "data_dir": str(path.resolve()),
        "records": list(names),
        "peaks": peaks,
        "channel": channel,
        "detector": detector if peaks == "detector" else None,
        "tolerance_s": tolerance_s if peaks == "detector" else None,
        "files": _fingerprint(path, names),
    }

    def build() -> BeatSet:
        _check_records_on_disk(path, names, channel, fs)  # fail early, before any work
        work = functools.partial(
            _record_beats, data_dir=path, peaks=peaks, channel=channel,
            detector=detector, tolerance_s=tolerance_s,
        )
        parts = map_records(work, names, executor=executor, quiet=quiet, desc="mitdb beats")
        return concatenate(parts)

    return _cached(BeatSet, cache_dir, params, build)


# --------------------------------------------------------------------------- MIT-BIH windows
def _beat_annotations(data_dir: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Sample indices and symbols of a record's beat annotations."""
    from heartbeat.wfdb import read_annotations

    ann = read_annotations(data_dir / name, extension="atr")
    symbols = np.asarray(ann.symbol)
    beat = is_beat(symbols)
    return np.asarray(ann.sample, dtype=np.int64)[beat], symbols[beat]


def _inside(samples: np.ndarray, half: int, n: int) -> np.ndarray:
    """Mask of the beats whose window ``[s - half, s + half)`` lies within ``[0, n)``."""
    return (samples - half >= 0) & (samples + half <= n)


def _record_windows(
    name: str, *, data_dir: Path, channel: int, half: int, normal: str, dtype: np.dtype
) -> WindowSet:
    """Build the WindowSet of one record (runs in a worker)."""
    from heartbeat.wfdb import read_record

    rec = read_record(data_dir / name, channels=[channel])
    signal = rec.signal[:, 0].astype(dtype)
    samples, symbols = _beat_annotations(data_dir, name)
    inside = _inside(samples, half, len(signal))
    samples, symbols = samples[inside], symbols[inside]
    aami = class_codes(symbols)
    y = (aami != 0) if normal == "aami" else (symbols != "N")
    x = signal[samples[:, None] + np.arange(-half, half)]  # (n, 2 * half)
    return WindowSet(
        x=x,
        y=y.astype(np.int8),
        record=np.full(len(samples), name, dtype="<U3"),
        sample=samples,
        aami=aami,
        fs=float(rec.fs),
        n_dropped=int(np.count_nonzero(~inside)),
    )


def mitbih_windows(
    data_dir: str | os.PathLike,
    records: Sequence[str] | None = None,
    *,
    half_width_s: float = 2.0,
    channel: int = 0,
    normal: str = "aami",
    dtype: str | np.dtype = "float32",
    fs: float | None = None,
    executor: Executor | None = None,
    cache_dir: str | os.PathLike | None = None,
    quiet: bool = False,
) -> WindowSet:
    """Raw windows of ±`half_width_s` around every MIT-BIH beat annotation, labelled 0/1.

    Parameters
    ----------
    data_dir : path
        Folder with the records' ``.hea``, ``.dat`` and ``.atr`` files.
    records : sequence of str, optional
        Record names; default all 48 (:data:`RECORDS`).
    half_width_s : float, default 2.0
        Seconds kept on each side of the annotation: ``D = 2 * round(half_width_s *
        fs)`` samples per window (1,440 at 360 Hz).
    channel : int, default 0
        Signal channel.
    normal : {"aami", "symbol"}, default "aami"
        Which beats get label 0: ``"aami"`` -- the AAMI N class (symbols N, L, R, e,
        j); ``"symbol"`` -- only the MIT-BIH symbol ``N``.  Every other beat is 1.
    dtype : {"float32", "float16", "float64"}, default "float32"
        Sample type of `x`.  All of MIT-BIH at ±2 s is about 1e5 x 1440 values:
        576 MB as float32, 288 MB as float16 (whose 11-bit mantissa still resolves
        the 5 µV ADC step below ±5 mV), 1.15 GB as float64.
    fs : float, optional
        Required sampling frequency in Hz; None accepts the records' own rate, which
        must then be the same for all of them.
    executor : concurrent.futures.Executor, optional
        Where to process the records; the result is the same with any executor.
    cache_dir : path, optional
        Folder for a ``.npz`` copy keyed by the parameters (see :func:`mitbih_beats`).
    quiet : bool, default False
        No progress line on stderr.

    Returns
    -------
    WindowSet
        Windows in record order, time order within a record; ``n_dropped`` counts the
        beats whose window would cross the record's start or end.

    Raises
    ------
    TypeError
        If `records`, `channel` or `data_dir` has the wrong type.
    ValueError
        As for :func:`mitbih_beats`; also if the records' sampling frequencies differ,
        or `normal` / `dtype` / `half_width_s` is invalid.

    Notes
    -----
    The window of a beat at sample ``s`` is ``signal[s - H : s + H]`` with
    ``H = round(half_width_s * fs)``: the annotation sits at index ``H``.  The
    signal is the record's physical values (mV), not filtered or scaled.  The
    windows are counted first (from the headers and annotations) and each record's
    windows are copied into one preallocated array as they arrive, so the peak
    memory is about one set plus the records in flight.

    Examples
    --------
    >>> w = mitbih_windows("data/mitdb", ["100"])  # doctest: +SKIP
    >>> w.x.shape, w.class_counts(), w.n_dropped  # doctest: +SKIP
    ((2267, 1440), array([2233,   34]), 6)
    """
    names = _check_records(records)
    channel = as_int(channel, "channel", minimum=0)
    half_width_s = as_positive(half_width_s, "half_width_s")
    if normal not in ("aami", "symbol"):
        raise ValueError(f"normal={normal!r} must be 'aami' or 'symbol'")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype={dtype!r} must be float32, float16 or float64") from None
    if dt not in (np.float16, np.float32, np.float64):
        raise ValueError(f"dtype={dtype!r} must be float32, float16 or float64")
    fs = None if fs is None else as_fs(fs)
    path = _check_data_dir(data_dir, names)
    params = {
        "data_dir": str(path.resolve()),
        "records": list(names),
        "half_width_s": half_width_s,
        "channel": channel,
        "normal": normal,
        "dtype": dt.name,
        "files": _fingerprint(path, names),
    }

    def build() -> WindowSet:
        record_fs, lengths = _check_records_on_disk(path, names, channel, fs)
        half = round(half_width_s * record_fs)
        # count the windows first, so the set is filled in place as records arrive
        counts = [
            int(np.count_nonzero(_inside(_beat_annotations(path, n)[0], half, lengths[n])))
            for n in names
        ]
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        total = int(offsets[-1])
        out = {
            "x": np.empty((total, 2 * half), dtype=dt),
            "y": np.empty(total, dtype=np.int8),
            "record": np.empty(total, dtype="<U3"),
            "sample": np.empty(total, dtype=np.int64),
            "aami": np.empty(total, dtype=np.int8),
        }
        dropped = [0]

        def put(i: int, part: WindowSet) -> None:
            if len(part) != counts[i]:
                raise RuntimeError(
                    f"record {names[i]}: {len(part)} windows, its header promised {counts[i]}"
                )
            rows = slice(offsets[i], offsets[i + 1])
            for key, array in out.items():
                array[rows] = getattr(part, key)
            dropped[0] += part.n_dropped

        work = functools.partial(
            _record_windows, data_dir=path, channel=channel, half=half, normal=normal,
            dtype=dt,
        )
        map_records(
            work, names, executor=executor, quiet=quiet, desc="mitdb windows", on_result=put
        )
        return WindowSet(**out, fs=float(record_fs), n_dropped=dropped[0])

    return _cached(WindowSet, cache_dir, params, build)


# --------------------------------------------------------------------------- splits
class Split(NamedTuple):
    """A train / test pair of sets."""

    train: Any
    test: Any


def _check_set(data: object) -> _LabelledSet:
    if not isinstance(data, _LabelledSet):
        raise TypeError(f"data must be a BeatSet or WindowSet, got {type(data).__name__}")
    return data


def train_test_split(
    data: S,
    test_size: float = 0.2,
    seed: int = 0,
    by_record: bool = False,
    stratify: bool = True,
) -> Split:
    """Seeded random split of a set into train and test parts.

    Parameters
    ----------
    data : BeatSet or WindowSet
        The set to split.
    test_size : float, default 0.2
        Fraction of items for the test part, in (0, 1).
    seed : int, default 0
        Seed of the :class:`numpy.random.Generator`; the same seed gives the same split.
    by_record : bool, default False
        Keep whole records together: every record goes wholly to train or to test.
    stratify : bool, default True
        Keep the class proportions of both parts close to those of `data`.

    Returns
    -------
    Split
        ``(train, test)`` sets of the same type as `data`, items in their original order.

    Raises
    ------
    TypeError
        If `data` is not a BeatSet or WindowSet.
    ValueError
        If `test_size` is not in (0, 1), `data` is empty, or ``by_record=True`` and
        `data` holds fewer than two records.

    Notes
    -----
    Item split (``by_record=False``): with `stratify`, each class is shuffled and
    ``round(test_size * n_class)`` of its items go to test; without, ``round(test_size
    * n)`` items drawn from all.  Record split: records are visited in a seeded random
    order and each joins the part that brings the test part's counts closer to
    ``test_size`` times the totals -- per class with `stratify` (the summed absolute
    deviation), else in items; so the test fraction is close to, not exactly,
    `test_size`.  Both parts get at least one record.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0] * 8 + [1] * 2, np.int8)  # classes N and S
    >>> beats = BeatSet(np.zeros((10, 187), np.float32), y, np.array(["100"] * 10),
    ...                 np.arange(10), np.ones((10, 3), np.float32))
    >>> train, test = train_test_split(beats, test_size=0.5, seed=1)
    >>> test.class_counts().tolist(), len(train)
    ([4, 1, 0, 0, 0], 5)
    """
    data = _check_set(data)
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)) or not (
        0 < test_size < 1
    ):
        raise ValueError(f"test_size={test_size!r} must be a fraction in (0, 1)")
    if len(data) == 0:
        raise ValueError("data is empty: nothing to split")
    rng = np.random.default_rng(seed)
    n_classes = len(data.classes)  # type: ignore[attr-defined]
    is_test = np.zeros(len(data), dtype=bool)
    if not by_record:
        groups = [np.flatnonzero(data.y == c) for c in range(n_classes)] if stratify else [
            np.arange(len(data))
        ]
        for members in groups:
            chosen = rng.permutation(members)[: round(test_size * len(members))]
            is_test[chosen] = True
    else:
        names, inverse = np.unique(data.record, return_inverse=True)
        if len(names) < 2:
            raise ValueError(
                f"by_record=True needs at least two records, data has {list(names)}"
            )
        counts = np.zeros((len(names), n_classes), dtype=np.int64)
        np.add.at(counts, (inverse, data.y), 1)
        if not stratify:
            counts = counts.sum(axis=1, keepdims=True)
        target = test_size * counts.sum(axis=0)
        test_counts = np.zeros_like(target)
        in_test = np.zeros(len(names), dtype=bool)
        for r in rng.permutation(len(names)):
            if np.abs(test_counts + counts[r] - target).sum() < np.abs(test_counts - target).sum():
                in_test[r] = True
                test_counts = test_counts + counts[r]
        if in_test.all():  # both parts need a record
            in_test[np.argmin(counts.sum(axis=1))] = False
        if not in_test.any():
            in_test[np.argmin(counts.sum(axis=1))] = True
        is_test = in_test[inverse]
    return Split(data[~is_test], data[is_test])


def inter_patient_split(
    data: S, train: Sequence[str] = DS1, test: Sequence[str] = DS2
) -> Split:
    """Split a set by record: de Chazal et al. 2004's DS1 -> train, DS2 -> test.

    Parameters
    ----------
    data : BeatSet or WindowSet
        A set built from MIT-BIH records (it must know each item's record).
    train, test : sequence of str, default DS1, DS2
        Records of each part; they must not overlap.  Items of other records (the
        paced records 102, 104, 107, 217 with the defaults) are left out.

    Returns
    -------
    Split
        ``(train, test)`` sets of the same type as `data`.

    Raises
    ------
    TypeError
        If `data` is not a BeatSet or WindowSet.
    ValueError
        If `train` and `test` share records, or a part would be empty (e.g. a set
        read from the Kaggle files, which do not say the record).

    Examples
    --------
    >>> import numpy as np
    >>> beats = BeatSet(np.zeros((3, 187), np.float32), np.zeros(3, np.int8),
    ...                 np.array(["101", "100", "102"]), np.arange(3), np.ones((3, 3), np.float32))
    >>> [part.record.tolist() for part in inter_patient_split(beats)]
    [['101'], ['100']]
    """
    data = _check_set(data)
    train = [str(r) for r in train]
    test = [str(r) for r in test]
    shared = sorted(set(train) & set(test))
    if shared:
        raise ValueError(f"train and test share records {shared}")
    in_train = np.isin(data.record, train)
    in_test = np.isin(data.record, test)
    for name, mask in (("train", in_train), ("test", in_test)):
        if not mask.any():
            raise ValueError(
                f"no item of data comes from the {name} records; build the set with "
                "mitbih_beats / mitbih_windows over those records (the Kaggle files do "
                "not say which record a beat comes from)"
            )
    return Split(data[in_train], data[in_test])


# --------------------------------------------------------------------------- Kaggle files
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


if __name__ == "__main__":  # python -m heartbeat.datasets summary DIR: the CLI's command
    from heartbeat.cli import main

    sys.exit(main(sys.argv[1:]))
