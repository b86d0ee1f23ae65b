"""Labelled beats of any folder of annotated WFDB records: :func:`wfdb_beats`.

The MIT-BIH builder's machinery (one record per worker, the on-disk cache, the
annotation-to-AAMI mapping) applied to the user's own records, INCART, SVDB, the
European ST-T database, ...: record names are whatever the folder holds, and each
record is read at its own header's sampling frequency (the pipeline resamples every
beat to 125 Hz).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path

from heartbeat._validate import as_int, as_positive
from heartbeat.datasets.mitbih import (
    PEAK_SOURCES,
    _cached,
    _record_beats,
)
from heartbeat.datasets.parallel import map_records
from heartbeat.datasets.sets import BeatSet, concatenate

__all__ = ["find_records", "wfdb_beats"]


def find_records(folder: str | os.PathLike, annotator: str = "atr") -> tuple[str, ...]:
    """Names of the records in `folder` that have a header and `annotator` annotations.

    The folder's ``RECORDS`` file gives the order when present (PhysioNet ships one
    with every database); records it lists without the two files are left out.
    Otherwise every ``NAME.hea`` beside a ``NAME.<annotator>``, sorted by name.

    Parameters
    ----------
    folder : path
        Folder of WFDB records.
    annotator : str, default "atr"
        Extension of the beat annotation files.

    Returns
    -------
    tuple of str
        Record names (possibly empty).
    """
    path = Path(folder)
    listed = path / "RECORDS"
    if listed.is_file():
        names = [line.strip() for line in listed.read_text().splitlines() if line.strip()]
    else:
        names = sorted(p.stem for p in path.glob("*.hea"))
    return tuple(n for n in names
                 if (path / f"{n}.hea").is_file() and (path / f"{n}.{annotator}").is_file())


def _check_folder(folder: object, records: object, annotator: str) -> tuple[Path, tuple[str, ...]]:
    """Return the folder and the record names after checking both exist on disk."""
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be a folder path, got {type(folder).__name__}")
    path = Path(folder)
    if not path.is_dir():
        raise ValueError(f"folder={str(path)!r} is not a folder; pass the folder holding "
                         "the .hea, .dat and annotation files")
    if records is None:
        names = find_records(path, annotator)
        if not names:
            raise ValueError(
                f"folder={str(path)!r} holds no record with both NAME.hea and "
                f"NAME.{annotator}; pass annotator= for another annotation extension"
            )
        return path, names
    if isinstance(records, (str, os.PathLike)):
        records = [records]
    try:
        names = tuple(str(r) for r in records)  # type: ignore[union-attr]
    except TypeError:
        raise TypeError(f"records must be a list of record names, got {records!r}") from None
    if not names:
        raise ValueError("records is empty: pass record names, or None for every record")
    if len(set(names)) != len(names):
        raise ValueError(f"records lists a record twice: {list(names)}")
    for ext, what in (("hea", "header"), (annotator, "annotation file")):
        missing = [r for r in names if not (path / f"{r}.{ext}").is_file()]
        if missing:
            raise ValueError(f"folder={str(path)!r} lacks the {what} of record(s) "
                             f"{', '.join(missing[:6])} (NAME.{ext})")
    return path, names


def _check_channel(path: Path, names: tuple[str, ...], channel: int) -> None:
    """Raise ValueError if a record has no channel `channel`."""
    from heartbeat.io import read_header

    for name in names:
        head = read_header(path / name)
        if channel >= len(head.sig_names):
            raise ValueError(
                f"channel={channel} is out of range: record {name} has "
                f"{len(head.sig_names)} channel(s) ({', '.join(head.sig_names)})"
            )


def wfdb_beats(
    folder: str | os.PathLike,
    records: Sequence[str] | None = None,
    *,
    annotator: str = "atr",
    peaks: str = "annotations",
    channel: int = 0,
    detector: str = "robust",
    tolerance_s: float = 0.15,
    executor: Executor | None = None,
    cache_dir: str | os.PathLike | None = None,
    quiet: bool = False,
) -> BeatSet:
    """Labelled 187-sample beats of any folder of annotated WFDB records.

    Parameters
    ----------
    folder : path
        Folder with each record's ``NAME.hea``, its signal file(s) and
        ``NAME.<annotator>``.
    records : sequence of str, optional
        Record names; default every record of :func:`find_records`.
    annotator : str, default "atr"
        Extension of the reference beat annotation files.
    peaks, channel, detector, tolerance_s, executor, cache_dir, quiet
        As in :func:`heartbeat.datasets.mitbih_beats`.

    Returns
    -------
    BeatSet
        Beats in record order, labelled with the AAMI class of their annotation
        (N, S, V, F, Q = 0-4); ``sample`` is at each record's own rate.

    Raises
    ------
    TypeError
        If `folder`, `records`, `annotator` or `channel` has the wrong type.
    ValueError
        If the folder or a record's header or annotation file is missing, a record
        is listed twice, `channel` is out of range for a record, or `peaks` /
        `tolerance_s` is invalid.

    See Also
    --------
    heartbeat.datasets.mitbih_beats : the same for MIT-BIH, with its record checks.

    Notes
    -----
    Beat symbols are mapped to AAMI EC57 classes as for MIT-BIH
    (:func:`heartbeat.aami.class_codes`); non-beat annotations are ignored.  Records
    may have different sampling frequencies: each is read at its header's.  Invalid
    samples (a lead off) are read around: no beat is taken from a 2 s stretch that
    holds one (``segment(..., missing="unreadable")``).

    Examples
    --------
    >>> beats = wfdb_beats("data/incartdb")  # doctest: +SKIP
    >>> beats.class_counts()  # doctest: +SKIP
    """
    if not isinstance(annotator, str) or not annotator.isalnum():
        raise TypeError(f"annotator must be an annotation file extension such as 'atr', "
                        f"got {annotator!r}")
    channel = as_int(channel, "channel", minimum=0)
    if peaks not in PEAK_SOURCES:
        raise ValueError(f"peaks={peaks!r} must be one of {PEAK_SOURCES}")
    if not isinstance(detector, str):
        raise TypeError(f"detector must be a detector name, got {detector!r}")
    tolerance_s = as_positive(tolerance_s, "tolerance_s")
    path, names = _check_folder(folder, records, annotator)
    params = {
        "folder": str(path.resolve()), "records": list(names), "annotator": annotator,
        "peaks": peaks, "channel": channel,
        "detector": detector if peaks == "detector" else None,
        "tolerance_s": tolerance_s if peaks == "detector" else None,
        "files": _fingerprint(path, names, annotator),
    }

    def build() -> BeatSet:
        _check_channel(path, names, channel)  # fail early, before any work
        work = functools.partial(
            _record_beats, data_dir=path, peaks=peaks, channel=channel, detector=detector,
            tolerance_s=tolerance_s, annotator=annotator,
        )
        parts = map_records(work, names, executor=executor, quiet=quiet, desc="wfdb beats")
        return concatenate(parts)

    return _cached(BeatSet, cache_dir, {"builder": "wfdb_beats", **params}, build)


def _fingerprint(path: Path, names: tuple[str, ...], annotator: str) -> list[list[object]]:
    """Name, size and mtime of each record's files: a changed file changes the cache key."""
    out: list[list[object]] = []
    for name in names:
        for file in sorted(path.glob(f"{name}.*")):
            if file.suffix[1:] in ("hea", "dat", annotator):
                st = file.stat()
                out.append([file.name, st.st_size, st.st_mtime_ns])
    return out
