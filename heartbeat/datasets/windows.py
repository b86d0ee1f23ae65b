"""±2 s of raw MIT-BIH signal around every annotated beat, labelled normal / abnormal.

:func:`mitbih_windows` builds a :class:`~heartbeat.datasets.WindowSet` for the
research track on raw windows; the record checks and the cache are those of
:mod:`heartbeat.datasets.mitbih`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path

import numpy as np

from heartbeat._validate import as_choice, as_fs, as_int, as_positive
from heartbeat.aami import class_codes, is_beat
from heartbeat.datasets.mitbih import (
    _cached,
    _check_data_dir,
    _check_records,
    _check_records_on_disk,
    _fingerprint,
)
from heartbeat.datasets.parallel import map_records
from heartbeat.datasets.sets import WindowSet

__all__ = ["mitbih_windows"]


def _beat_annotations(data_dir: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Sample indices and symbols of a record's beat annotations."""
    from heartbeat.io import read_annotations

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
    from heartbeat.io import read_record

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
        Record names; default all 48 (:data:`heartbeat.datasets.RECORDS`).
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
        Folder for a ``.npz`` copy keyed by the parameters (see
        :func:`heartbeat.datasets.mitbih_beats`).
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
        As for :func:`heartbeat.datasets.mitbih_beats`; also if the records' sampling
        frequencies differ, or `normal` / `dtype` / `half_width_s` is invalid.

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
    as_choice(normal, "normal", ("aami", "symbol"))
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

    build = functools.partial(
        _build_windows, path, names, channel=channel, fs=fs, half_width_s=half_width_s,
        normal=normal, dtype=dt, executor=executor, quiet=quiet,
    )
    return _cached(WindowSet, cache_dir, params, build)


def _build_windows(
    path: Path, names: tuple[str, ...], *, channel: int, fs: float | None,
    half_width_s: float, normal: str, dtype: np.dtype, executor: Executor | None, quiet: bool,
) -> WindowSet:
    """:func:`mitbih_windows` on checked arguments, without the cache."""
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
        "x": np.empty((total, 2 * half), dtype=dtype),
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
        dtype=dtype,
    )
    map_records(work, names, executor=executor, quiet=quiet, desc="mitdb windows", on_result=put)
    return WindowSet(**out, fs=float(record_fs), n_dropped=dropped[0])
