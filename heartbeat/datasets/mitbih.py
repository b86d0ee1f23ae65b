"""MIT-BIH Arrhythmia Database: its records, the DS1/DS2 division, and labelled beats.

* :data:`RECORDS`, :data:`DS1` / :data:`DS2` (de Chazal 2004) and :data:`PACED`;
* the checks of a record list and of the folder that holds it, shared by every
  MIT-BIH builder (they name the download command when files are missing);
* the on-disk cache: a built set stored as ``.npz`` under a hash of its parameters;
* :func:`mitbih_beats`, which cuts every annotated (or detected) beat with the
  Kachuee 2018 pipeline and labels it with its AAMI EC57 class.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from heartbeat._validate import as_fs, as_int, as_positive
from heartbeat.aami import class_codes, is_beat
from heartbeat.context import _rr_features
from heartbeat.datasets.parallel import map_records
from heartbeat.datasets.sets import BeatSet, S, concatenate
from heartbeat.metrics import match_peaks

__all__ = ["DS1", "DS2", "PACED", "PEAK_SOURCES", "RECORDS", "mitbih_beats"]

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

PEAK_SOURCES: tuple[str, ...] = ("annotations", "detector")
"""Where :func:`mitbih_beats` takes its R peaks from."""

_DOWNLOAD_HINT = (
    "download MIT-BIH with `heartbeat download mitdb DIR` and name that folder "
    "(--data-dir DIR or HEARTBEAT_DATA on the command line, data_dir=DIR in Python)"
)


# --------------------------------------------------------------------------- record checks
def _check_records(records: object) -> tuple[str, ...]:
    """Return MIT-BIH record names as a tuple of str (all 48 for None), each once."""
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
            f"records {unknown} are not MIT-BIH records; the 48 records are "
            f"{' '.join(RECORDS)}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"records lists a record twice: {list(names)}")
    return names


def _check_data_dir(data_dir: object, records: tuple[str, ...]) -> Path:
    """Return `data_dir` as a Path after checking it holds each record's .hea and .atr."""
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
    from heartbeat.io import read_header

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
    """Name, size and mtime of each record file: a changed file changes the cache key."""
    out: list[list[object]] = []
    for r in records:
        for ext in ("hea", "dat", "atr"):
            p = data_dir / f"{r}.{ext}"
            if p.exists():
                st = p.stat()
                out.append([p.name, st.st_size, st.st_mtime_ns])
    return out


_DETECTOR_MODULES = ("heartbeat.detect", "heartbeat._detect_bands", "heartbeat._detect_kernels",
                     "heartbeat._detect_stages", "heartbeat._decide_kernels",
                     "heartbeat._merge_gate", "heartbeat._merge_kernels")
"""The modules whose code decides where the robust detector puts its peaks."""


def _detector_fingerprint(detector: str) -> str:
    """Return a hash of the detector's code and of :mod:`heartbeat.detect`'s constants.

    Taken as they stand at the call, so that a set cut at detected peaks is not reused
    after the detector changed (its name alone does not change with its constants).
    """
    import importlib
    import inspect

    from heartbeat import detect

    digest = hashlib.sha256(detector.encode())
    for name in _DETECTOR_MODULES:
        try:
            digest.update(inspect.getsource(importlib.import_module(name)).encode())
        except (OSError, TypeError):  # no source at hand (e.g. compiled files only)
            digest.update(name.encode())
    constants = {k: v for k, v in vars(detect).items()
                 if k.isupper() and isinstance(v, (bool, int, float, str, tuple, dict))}
    digest.update(json.dumps(constants, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def _cache_path(cache_dir: str | os.PathLike, kind: str, params: dict[str, Any]) -> Path:
    """``KIND-VERSION-HASH.npz`` in `cache_dir`, the hash over `params` and the version."""
    from heartbeat import __version__

    key = json.dumps({"kind": kind, "version": __version__, **params}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{kind}-{__version__}-{digest}.npz"


def _cached(cls: type[S], cache_dir: object, params: dict[str, Any],
            build: Callable[[], S]) -> S:
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


# --------------------------------------------------------------------------- beats
def _record_beats(
    name: str,
    *,
    data_dir: Path,
    peaks: str,
    channel: int,
    detector: str,
    tolerance_s: float,
    annotator: str = "atr",
) -> BeatSet:
    """Build the BeatSet of one record (runs in a worker).

    The record's own sampling frequency (its header's) is used; `annotator` is the
    extension of its beat annotation file.
    """
    from heartbeat.io import read_annotations, read_record
    from heartbeat.pipeline import segment

    rec = read_record(data_dir / name, channels=[channel])
    fs = float(rec.fs)
    signal = np.ascontiguousarray(rec.signal[:, 0], dtype=np.float64)
    ann = read_annotations(data_dir / name, extension=annotator)
    beat = is_beat(ann.symbol)
    # at the signal's rate (an annotation file may state another time resolution)
    ann_samples = ann.samples_at(rec.frame_fs)[beat]
    ann_codes = class_codes(np.asarray(ann.symbol)[beat])
    order = np.argsort(ann_samples, kind="stable")
    ann_samples, ann_codes = ann_samples[order], ann_codes[order]
    # two annotations on one sample cannot both be R peaks; keep the first
    keep = np.concatenate([[True], np.diff(ann_samples) > 0])
    n_duplicates = int(np.count_nonzero(~keep))
    ann_samples, ann_codes = ann_samples[keep], ann_codes[keep]

    # invalid samples (a lead off) are read around: no beat from a stretch holding one
    if peaks == "annotations":
        beats = segment(signal, fs, r_peaks=ann_samples, missing="unreadable")
        peak_samples = ann_samples
        peak_codes = ann_codes
        n_unmatched = 0
    else:
        beats = segment(signal, fs, detector=detector, missing="unreadable")
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
        record=np.full(n, name),
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
        (get them with :func:`heartbeat.datasets.download`).
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
        Where to process the records (see :func:`heartbeat.datasets.parallel.map_records`);
        the result is the same with any executor.
    cache_dir : path, optional
        Folder for a ``.npz`` copy of the result, named by a hash of the parameters,
        the record files' sizes and times, and the library version (with
        ``peaks="detector"``, also of the detector's code and constants); a later call
        with the same parameters loads it instead of rebuilding.
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
    heartbeat.datasets.mitbih_windows : ±2 s raw windows around the same annotations.
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
        "detector_code": _detector_fingerprint(detector) if peaks == "detector" else None,
        "tolerance_s": tolerance_s if peaks == "detector" else None,
        "files": _fingerprint(path, names),
    }

    build = functools.partial(
        _build_beats, path, names, peaks=peaks, channel=channel, detector=detector,
        tolerance_s=tolerance_s, fs=fs, executor=executor, quiet=quiet,
    )
    return _cached(BeatSet, cache_dir, params, build)


def _build_beats(
    path: Path, names: tuple[str, ...], *, peaks: str, channel: int, detector: str,
    tolerance_s: float, fs: float | None, executor: Executor | None, quiet: bool,
) -> BeatSet:
    """:func:`mitbih_beats` on checked arguments, without the cache."""
    _check_records_on_disk(path, names, channel, fs)  # fail early, before any work
    work = functools.partial(
        _record_beats, data_dir=path, peaks=peaks, channel=channel,
        detector=detector, tolerance_s=tolerance_s,
    )
    parts = map_records(work, names, executor=executor, quiet=quiet, desc="mitdb beats")
    return concatenate(parts)
