"""Read an ECG from a file a user names on the command line: WFDB, ``.npy`` or CSV.

:func:`load_channel` picks one channel by number or by name (a WFDB signal name such
as ``MLII``, a CSV header such as ``ecg_mV``) and says which one it took; a CSV time
column (named ``time``, ``t``, ``time_s``, ``time_ms``, ... or strictly increasing in
even steps) is never taken for the ECG, and a named one gives the sampling frequency.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import re
import tokenize
from pathlib import Path

import numpy as np

from heartbeat._validate import MissingFileError, as_fs, as_int, is_real_dtype
from heartbeat.io.signals import _read

# a column name that says "time"; group 1 is the unit when the name gives one
_TIME_NAME = re.compile(
    r"^\s*(?:t|time|times|timestamp|elapsed|seconds|sec|s|ms)"
    r"(?:\s*[_\-\s(\[]\s*(s|sec|seconds|ms|milliseconds)\s*[)\]]?)?\s*$",
    re.IGNORECASE,
)
_MS_UNITS = ("ms", "milliseconds")


@dataclasses.dataclass(frozen=True)
class EcgChannel:
    """One ECG channel read from a file, with where it came from.

    Attributes
    ----------
    signal : numpy.ndarray
        1-D float64 samples (physical units for WFDB records).
    fs : float
        Sampling frequency in Hz.
    lead : str
        The channel's name: the WFDB signal name, the CSV column header, or
        ``"column N"`` when the file names none.
    description : str
        One line for the user: the channel taken, among which, and where `fs` came from.
    """

    signal: np.ndarray
    fs: float
    lead: str
    description: str


def load_channel(
    path: str | os.PathLike, *, fs: float | None = None, channel: int | str | None = None
) -> EcgChannel:
    """Load one ECG channel, its sampling frequency and its name.

    Parameters
    ----------
    path : str or path-like
        A WFDB record (the path without extension, or the ``.hea`` file), a ``.npy``
        file holding a 1-D array or an (n_samples, n_channels) array, or a text file
        (``.csv``/``.txt``) of comma-separated columns, optionally under a header line
        of column names.
    fs : float, optional
        Sampling frequency in Hz. Required for ``.npy`` and for CSV without a named
        time column; for a WFDB record or a CSV time column it must agree if given.
    channel : int or str, optional
        The channel (column) to read: its number (0 is the first) or its name
        (``"MLII"``, ``"ecg_mV"``). Default: the first channel that is not a time
        column.

    Returns
    -------
    EcgChannel
        The samples, `fs`, the channel's name and a one-line description.

    Raises
    ------
    FileNotFoundError
        If the file or WFDB record does not exist (the error is also a ValueError).
    TypeError
        If `channel` is neither an integer nor a str, or `fs` is not a number.
    ValueError
        If the file has an unknown type or cannot be parsed, `fs` is missing or
        contradicts the file, or `channel` names no channel of the file.

    Examples
    --------
    >>> from heartbeat.io.examples import example_path
    >>> ecg = load_channel(example_path("100"), channel="V5")
    >>> ecg.fs, ecg.lead, ecg.signal.shape
    (360.0, 'V5', (43200,))
    """
    path = Path(path)
    if channel is not None and not isinstance(channel, str):
        channel = as_int(channel, "channel", minimum=0)
    wfdb_base = path.with_suffix("") if path.suffix == ".hea" else path
    if wfdb_base.with_name(wfdb_base.name + ".hea").exists():
        return _wfdb_channel(wfdb_base, fs, channel)
    if not path.exists():
        raise MissingFileError(
            f"input {str(path)!r} not found (expected a WFDB record, .npy or .csv)"
        )
    if path.suffix == ".npy":
        data = _load_npy(path)
        names: list[str] | None = None
    elif path.suffix in (".csv", ".txt"):
        data, names = _read_text_columns(path)
    else:
        raise ValueError(
            f"cannot read {str(path)!r}: use a WFDB record, a .npy file or a .csv file"
        )
    if data.size == 0:
        raise ValueError(f"{path.name} holds no samples")
    if data.ndim == 1:
        data = data[:, None]
    elif data.ndim != 2:
        raise ValueError(f"{path.name} holds an array of shape {data.shape}; expected 1-D or 2-D")
    return _table_channel(path, data, names, fs, channel)


def load_signal(
    path: str | os.PathLike, *, fs: float | None = None, channel: int | str | None = None
) -> tuple[np.ndarray, float]:
    """Load one ECG channel and its sampling frequency (:func:`load_channel`'s first two).

    Parameters
    ----------
    path : str or path-like
        A WFDB record, a ``.npy`` file or a CSV file (see :func:`load_channel`).
    fs : float, optional
        Sampling frequency in Hz, when the file does not give it.
    channel : int or str, optional
        The channel's number or name; default the first that is not a time column.

    Returns
    -------
    signal : numpy.ndarray
        1-D float64 samples (physical units for WFDB records).
    fs : float
        Sampling frequency in Hz.

    Raises
    ------
    FileNotFoundError, TypeError, ValueError
        As :func:`load_channel`.
    """
    ecg = load_channel(path, fs=fs, channel=channel)
    return ecg.signal, ecg.fs


def _load_npy(path: Path) -> np.ndarray:
    """Load a real-valued ``.npy`` array, its header checked against the file's size."""
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(fh)
            if math.prod(shape) * dtype.itemsize > path.stat().st_size:
                raise ValueError(f"its header declares shape {shape}, more than the file holds")
            if not is_real_dtype(dtype):
                raise ValueError(f"it holds {dtype} values, not real numbers")
            fh.seek(0)
            return np.load(fh, allow_pickle=False)
    except (ValueError, EOFError, OSError, OverflowError, SyntaxError, TypeError,
            tokenize.TokenError) as exc:  # a .npy header is parsed by Python's tokenizer
        raise ValueError(f"cannot read {path.name} as a .npy array: {exc}") from None


def _wfdb_channel(base: Path, fs: float | None, channel: int | str | None) -> EcgChannel:
    record = _read(base, None, 0, None, False)
    names = [str(n) for n in record.sig_names]
    index = _channel_index(channel, names, f"record {record.name}")
    if fs is not None and as_fs(fs) != record.fs:
        raise ValueError(f"{fs=} contradicts the header of {base} (fs={record.fs:g} Hz)")
    description = (f"lead {names[index]} (channel {index} of record {record.name}: "
                   f"{', '.join(names)}), {record.fs:g} Hz from the header")
    return EcgChannel(record.signal[:, index], float(record.fs), names[index], description)


def _table_channel(path: Path, data: np.ndarray, names: list[str] | None,
                   fs: float | None, channel: int | str | None) -> EcgChannel:
    """Pick one column of a .npy/CSV table, skipping and using its time column."""
    n_cols = data.shape[1]
    labels = names or [f"column {i}" for i in range(n_cols)]
    time_col = _time_column(data, names)
    if channel is None:
        others = [i for i in range(n_cols) if i != time_col]
        if not others:
            raise ValueError(f"{path.name} holds only a time column ({labels[time_col]}); "
                             "it needs an ECG column beside it")
        index = others[0]
    else:
        index = _channel_index(channel, labels, path.name)
    fs_note = "--fs"
    time_fs = _fs_from_time(data[:, time_col], names[time_col]) if (
        time_col is not None and names) else None
    if time_fs is not None:
        if fs is not None and abs(as_fs(fs) - time_fs) > 0.01 * time_fs:
            raise ValueError(f"{fs=} contradicts the time column {names[time_col]!r} of "
                             f"{path.name} ({time_fs:.6g} Hz): leave out --fs or correct it")
        if fs is None:
            fs, fs_note = time_fs, f"the time column {names[time_col]!r}"
    if fs is None:
        raise ValueError(f"{path.name} does not say its sampling frequency: pass fs (--fs)")
    fs = as_fs(fs)
    skipped = f"; time column {labels[time_col]!r} skipped" if (
        time_col is not None and time_col != index) else ""
    if names:
        which = f"column {names[index]!r} ({index} of {path.name}: {', '.join(names)})"
    elif n_cols == 1:
        which = f"the one channel of {path.name}"
    else:
        which = f"column {index} of {path.name} ({n_cols} columns, no header)"
    description = f"{which}{skipped}, {fs:g} Hz from {fs_note}"
    return EcgChannel(np.asarray(data[:, index], dtype=np.float64), fs, labels[index],
                      description)


def _channel_index(channel: int | str | None, names: list[str], where: str) -> int:
    """Return the index of `channel` (a number, a digit string or a name) among `names`."""
    if channel is None:
        return 0
    if isinstance(channel, str) and channel.strip().isdigit():
        channel = int(channel)
    if isinstance(channel, int):
        if channel >= len(names):
            raise ValueError(f"{channel=} is out of range: {where} has {len(names)} "
                             f"channel(s) ({', '.join(names)})")
        return channel
    matches = [i for i, n in enumerate(names) if n == channel]
    matches = matches or [i for i, n in enumerate(names) if n.lower() == channel.lower()]
    if not matches:
        raise ValueError(f"{channel=} is not a channel of {where}; choose one of "
                         f"{', '.join(names)} (or its number, 0 for the first)")
    return matches[0]


def _time_column(data: np.ndarray, names: list[str] | None) -> int | None:
    """Index of the time column: named like one, else strictly increasing in even steps."""
    if names:
        for i, name in enumerate(names):
            if _TIME_NAME.match(name):
                return i
    if data.shape[1] < 2 or data.shape[0] < 3:
        return None
    for i in range(data.shape[1]):
        steps = np.diff(data[:, i])
        if np.all(steps > 0) and np.ptp(steps) <= 0.01 * np.median(steps):
            return i
    return None


def _fs_from_time(times: np.ndarray, name: str) -> float | None:
    """Return the sampling frequency a named time column gives (s unless it says ms)."""
    steps = np.diff(times)
    if len(steps) < 1 or not np.all(steps > 0):
        return None
    # the mean step (not the median): times rounded to a few digits then still give fs
    m = _TIME_NAME.match(name)
    unit = ((m.group(1) if m else None) or name.strip()).lower()
    per_second = 1000.0 if unit in _MS_UNITS else 1.0
    return float(per_second * len(steps) / (times[-1] - times[0]))


def _blank_as_nan(cell: str) -> float:
    """One CSV cell as a number; an empty one is a missing sample (NaN)."""
    return float(cell) if cell.strip() else np.nan


def _read_text_columns(path: Path) -> tuple[np.ndarray, list[str] | None]:
    """Return the numbers of a CSV file as (n_rows, n_columns) and its header, if any."""
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
            rest = fh.read()  # the whole file must be text
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} is not a text file; expected comma-separated "
                         "numbers") from None
    try:
        [float(v) for v in first.split(",")]
        names = None
    except ValueError:
        names = [v.strip().strip('"').strip("'") for v in first.split(",")]
    if not (rest if names else first + rest).strip():
        raise ValueError(f"{path.name} holds no samples")
    read = functools.partial(np.loadtxt, path, delimiter=",", dtype=np.float64, ndmin=2,
                             skiprows=0 if names is None else 1, encoding="utf-8")
    try:
        data = read()
    except ValueError as exc:
        try:  # an empty cell is a missing sample (NaN), as a monitor's export leaves it
            data = read(converters=_blank_as_nan)
        except ValueError:
            raise ValueError(f"cannot parse {path.name} as numbers: {exc}") from None
    if names is not None and data.size and len(names) != data.shape[1]:
        raise ValueError(f"{path.name}: the header names {len(names)} columns "
                         f"({', '.join(names)}) but the rows hold {data.shape[1]}")
    return data, names
