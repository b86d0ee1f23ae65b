"""Read an ECG from a file a user names on the command line: WFDB, ``.npy`` or CSV."""

from __future__ import annotations

import math
import os
import tokenize
from pathlib import Path

import numpy as np

from heartbeat._validate import as_fs, as_int, is_real_dtype
from heartbeat.io.signals import _read


def load_signal(
    path: str | os.PathLike, *, fs: float | None = None, channel: int = 0
) -> tuple[np.ndarray, float]:
    """Load one ECG channel and its sampling frequency.

    Parameters
    ----------
    path : str or path-like
        A WFDB record (the path without extension, or the ``.hea`` file), a ``.npy``
        file holding a 1-D array or an (n_samples, n_channels) array, or a text file
        (``.csv``/``.txt``) with one sample per line (several comma-separated columns
        are allowed; `channel` picks one; a non-numeric first line is taken as a header).
    fs : float, optional
        Sampling frequency in Hz. Required for ``.npy`` and CSV input; for a WFDB
        record it must match the header if given.
    channel : int, default 0
        Which channel (column) to read.

    Returns
    -------
    signal : numpy.ndarray
        1-D float64 samples (physical units for WFDB records).
    fs : float
        Sampling frequency in Hz.

    Raises
    ------
    TypeError
        If `channel` is not an integer or `fs` is not a number.
    ValueError
        If the file does not exist, has an unknown type, `fs` is missing or contradicts
        the header, or `channel` is out of range.
    """
    path = Path(path)
    channel = as_int(channel, "channel", minimum=0)
    wfdb_base = path.with_suffix("") if path.suffix == ".hea" else path
    if wfdb_base.with_name(wfdb_base.name + ".hea").exists():
        record = _read(wfdb_base, None, 0, None, False)
        if channel >= record.signal.shape[1]:
            raise ValueError(
                f"{channel=} is out of range: record {record.name} has "
                f"{record.signal.shape[1]} channels ({', '.join(record.sig_names)})"
            )
        if fs is not None and as_fs(fs) != record.fs:
            raise ValueError(f"{fs=} contradicts the header of {path} (fs={record.fs:g} Hz)")
        return record.signal[:, channel], float(record.fs)
    if not path.exists():
        raise ValueError(f"input {str(path)!r} not found (expected a WFDB record, .npy or .csv)")
    if path.suffix == ".npy":
        data = _load_npy(path)
    elif path.suffix in (".csv", ".txt"):
        data = _read_text_columns(path)
    else:
        raise ValueError(
            f"cannot read {str(path)!r}: use a WFDB record, a .npy file or a one-column .csv"
        )
    if fs is None:
        raise ValueError(f"{path.name} does not say its sampling frequency: pass fs (--fs)")
    if data.ndim == 2:
        if channel >= data.shape[1]:
            raise ValueError(
                f"{channel=} is out of range: {path.name} has {data.shape[1]} columns"
            )
        data = data[:, channel]
    elif data.ndim != 1:
        raise ValueError(f"{path.name} holds an array of shape {data.shape}; expected 1-D or 2-D")
    return data, as_fs(fs)


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


def _read_text_columns(path: Path) -> np.ndarray:
    try:
        with open(path) as fh:
            first = fh.readline()
    except ValueError as exc:  # not UTF-8 text
        raise ValueError(f"cannot read {path.name} as text: {exc}") from None
    try:
        [float(v) for v in first.split(",")]
        skip = 0
    except ValueError:
        skip = 1
    try:
        return np.loadtxt(path, delimiter=",", skiprows=skip, dtype=np.float64, ndmin=1)
    except ValueError as exc:
        raise ValueError(f"cannot parse {path.name} as numbers: {exc}") from None
