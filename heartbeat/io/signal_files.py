"""WFDB signal files on disk: where they may lie, how many frames they hold, reading frames.

Signal files are confined to the header's folder unless the caller opts out; only
regular files are opened; reads cost memory in proportion to the frames asked for.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

import numpy as np

from heartbeat._validate import MissingFileError
from heartbeat.io.formats import _FORMATS, _decode, _samples_in
from heartbeat.io.header import _Header, _Signal


def _check_confined(header: _Header, allow_outside: bool) -> None:
    """Refuse signal files named outside the header's folder unless `allow_outside`.

    The test is on the names as written (absolute paths and ``..`` steps), not on
    where symbolic links placed in the folder by its owner point.
    """
    if allow_outside:
        return
    for sig in header.signals:
        name = sig.file_name
        parts = Path(name).parts
        if os.path.isabs(name) or ".." in parts or ".." in name.split("\\"):
            raise ValueError(
                f"{str(header.path)!r} names signal file {name!r} outside the header's "
                "folder; read_record(..., allow_outside=True) reads it if you trust the "
                "header (WFDB's search-path behaviour)"
            )


def _frames_available(header: _Header, groups: list[list[int]]) -> list[int]:
    """Count the complete frames in each group's signal file."""
    sigs, hea = header.signals, header.path
    avail: list[int] = []
    for g in groups:
        first = sigs[g[0]]
        dat = hea.parent / first.file_name
        size = _regular_file_size(dat, hea)
        if size < first.byte_offset:
            raise ValueError(
                f"signal file {str(dat)!r} holds {size} bytes, fewer than its byte "
                f"offset {first.byte_offset} in {str(hea)!r}"
            )
        tspf = sum(sigs[i].spf for i in g)
        avail.append(_samples_in(first.fmt, size - first.byte_offset) // tspf)
    return avail


def _regular_file_size(dat: Path, hea: Path) -> int:
    """Return the size of signal file `dat` named in `hea`, refusing what is no file."""
    try:
        info = dat.stat()
    except FileNotFoundError:
        raise MissingFileError(
            f"signal file {str(dat)!r} named in {str(hea)!r} does not exist"
        ) from None
    except (OSError, ValueError) as exc:  # not a directory, name too long, ...
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ValueError(
            f"signal file {str(dat)!r} named in {str(hea)!r} cannot be read: {reason}"
        ) from None
    if not stat.S_ISREG(info.st_mode):  # a directory, FIFO or device would hang or fail
        raise ValueError(
            f"signal file {str(dat)!r} named in {str(hea)!r} is not a regular file"
        )
    return info.st_size


_CHUNK_FRAMES = 1 << 20  # frames decoded at a time when summing format 8 differences


def _read_group(folder: Path, sigs: list[_Signal], f0: int, f1: int) -> np.ndarray:
    """Raw samples of frames [f0, f1) of one signal file, (f1 - f0, total spf) int32.

    Format 8 first differences are integrated here: the differences before `f0`
    are summed chunk by chunk, so memory stays in proportion to ``f1 - f0``.
    """
    first = sigs[0]
    tspf = sum(s.spf for s in sigs)
    path = folder / first.file_name
    try:
        with open(path, "rb") as fh:
            frames = _read_frames(fh, path, first, tspf, f0, f1)
            if first.fmt != 8:
                return frames
            before = np.zeros(tspf, np.int64)  # each column's differences before f0
            for c0 in range(0, f0, _CHUNK_FRAMES):
                chunk = _read_frames(fh, path, first, tspf, c0, min(c0 + _CHUNK_FRAMES, f0))
                before += chunk.sum(axis=0, dtype=np.int64)
    except OSError as exc:
        raise ValueError(f"signal file {str(path)!r} cannot be read: {exc.strerror}") from None
    out = np.empty_like(frames)
    c = 0
    for s in sigs:
        d = frames[:, c : c + s.spf].astype(np.int64).ravel()
        v = np.cumsum(d) + (s.init_value + int(before[c : c + s.spf].sum()))
        out[:, c : c + s.spf] = v.reshape(-1, s.spf).astype(np.int32)
        c += s.spf
    return out


def _read_frames(fh: BinaryIO, path: Path, first: _Signal, tspf: int, f0: int, f1: int
                 ) -> np.ndarray:
    """Decode the stored samples of frames [f0, f1) from the open file `fh`."""
    spec = _FORMATS[first.fmt]
    s0, s1 = f0 * tspf, f1 * tspf
    b0 = s0 // spec.block_samples  # first block touched
    n_dec = s1 - b0 * spec.block_samples
    n_bytes = -(-n_dec // spec.block_samples) * spec.block_bytes
    fh.seek(first.byte_offset + b0 * spec.block_bytes)
    data = fh.read(n_bytes)
    if _samples_in(first.fmt, len(data)) < n_dec:  # the file shrank since it was sized
        raise ValueError(
            f"signal file {str(path)!r} is truncated: reading frames {f0} to {f1} "
            f"needs {n_bytes} bytes from offset {first.byte_offset + b0 * spec.block_bytes}, "
            f"got {len(data)}"
        )
    buf = np.frombuffer(data, np.uint8)
    samples = _decode(first.fmt, buf, n_dec)[s0 - b0 * spec.block_samples :]
    return samples.reshape(f1 - f0, tspf)
