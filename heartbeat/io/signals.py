"""WFDB signal files: `read_record` and `read_header`.

Signals that share a file are read together as one group of frames; skew is undone
by whole frames, checksums are verified on whole-record reads, and signals with
several samples per frame are averaged or expanded as ``rdsamp`` does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from heartbeat._validate import as_bool, as_int
from heartbeat.io.formats import _FORMATS
from heartbeat.io.header import (
    DEFAULT_GAIN,
    INVALID_SAMPLE,
    Record,
    _Header,
    _parse_header,
    _record_paths,
    _Signal,
)
from heartbeat.io.signal_files import _check_confined, _frames_available, _read_group


def _check_channels(channels: object, names: tuple[str, ...]) -> list[int]:
    n = len(names)
    if channels is None:
        return list(range(n))
    if isinstance(channels, (str, int, np.integer)) and not isinstance(channels, bool):
        channels = [channels]
    if not isinstance(channels, (Sequence, np.ndarray)):
        raise TypeError(
            f"channels must be None, an int, a channel name or a sequence of them, "
            f"got {type(channels).__name__}"
        )
    out = []
    for c in channels:
        if isinstance(c, str):
            out.append(_channel_by_name(c, names))
        elif isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)):
            if not 0 <= c < n:
                raise ValueError(
                    f"channels={channels!r}: channel {int(c)} is out of range; the record "
                    f"has {n} channels (0 to {n - 1})"
                )
            out.append(int(c))
        else:
            raise TypeError(
                f"channels must hold ints or channel names, got {type(c).__name__} {c!r}"
            )
    if not out:
        raise ValueError(f"channels={channels!r} selects no channel")
    return out


def _channel_by_name(name: str, names: tuple[str, ...]) -> int:
    """Index of the channel called `name`; header descriptions may end in spaces."""
    if name in names:
        return names.index(name)
    stripped = [i for i, n in enumerate(names) if n.strip() == name.strip()]
    if len(stripped) == 1:
        return stripped[0]
    raise ValueError(f"channels: no channel named {name!r}; the record has {list(names)}")


def _groups(signals: tuple[_Signal, ...]) -> list[list[int]]:
    """Group signal indices by shared signal file (consecutive runs, header order)."""
    groups: list[list[int]] = []
    for i, sig in enumerate(signals):
        if groups and signals[groups[-1][0]].file_name == sig.file_name:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _frame_skew(sig: _Signal) -> int:
    # The header states skew in samples; the WFDB library deskews by whole frames,
    # rounding skew / spf to the nearest frame (signal.c, readheader).
    return int(sig.skew / sig.spf + 0.5)


def _read(
    base: Path, channels: object, sampfrom: object, sampto: object, expand_frames: bool,
    allow_outside: bool = False,
) -> Record:
    """Read frames [sampfrom, sampto) of the `channels` of the record at `base`.

    The caller has checked `base`, `expand_frames` and `allow_outside`; `channels`,
    `sampfrom` and `sampto` are checked here, against the header.
    """
    header = _parse_header(Path(str(base) + ".hea"))
    _check_confined(header, allow_outside)
    groups = _groups(header.signals)
    avail = _frames_available(header, groups)
    n_frames = _record_length(header, groups, avail)
    chans = _check_channels(channels, tuple(s.description for s in header.signals))
    start, stop = _frame_range(sampfrom, sampto, n_frames)
    digital, invalid = _read_samples(
        header, groups, avail, chans, start, stop, n_frames, expand_frames
    )
    return _record(header, chans, digital, invalid, n_samples=len(digital), sampfrom=start,
                   expanded=expand_frames)


def _record_length(header: _Header, groups: list[list[int]], avail: list[int]) -> int:
    """Return the record's length in frames: as stated, else the shortest file's."""
    if header.n_samples is None:
        return min(avail) if avail else 0
    n_frames = header.n_samples
    for g, n_avail in zip(groups, avail, strict=True):
        if n_avail < n_frames:
            name = header.signals[g[0]].file_name
            raise ValueError(
                f"signal file {str(header.path.parent / name)!r} is truncated: it holds "
                f"{n_avail} complete frames but {str(header.path)!r} states {n_frames}"
            )
    return n_frames


def _frame_range(sampfrom: object, sampto: object, n_frames: int) -> tuple[int, int]:
    """Check `sampfrom` and `sampto` against a record of `n_frames` frames."""
    start = as_int(sampfrom, "sampfrom")
    stop = n_frames if sampto is None else as_int(sampto, "sampto")
    if not 0 <= start <= n_frames:
        raise ValueError(f"sampfrom={start} must be in [0, {n_frames}] (the record length)")
    if not 0 <= stop <= n_frames:
        raise ValueError(f"sampto={stop} must be in [0, {n_frames}] (the record length)")
    if stop < start:
        raise ValueError(f"sampto={stop} must be >= sampfrom={start}")
    return start, stop


def _read_samples(
    header: _Header,
    groups: list[list[int]],
    avail: list[int],
    chans: list[int],
    start: int,
    stop: int,
    n_frames: int,
    expand_frames: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Read, deskew and verify frames [start, stop) of signals `chans`, group by group.

    Returns the stored values (int32) and where they are invalid (bool), each of
    shape (rows, len(chans)).
    """
    sigs = header.signals
    whole = start == 0 and stop == n_frames and header.n_samples is not None
    max_spf = max((s.spf for s in sigs), default=1)
    n_out = (stop - start) * (max_spf if expand_frames else 1)
    digital = np.empty((n_out, len(chans)), np.int32)
    invalid = np.zeros((n_out, len(chans)), bool)
    wanted = set(chans)
    for g, n_avail in zip(groups, avail, strict=True):
        cols = np.cumsum([0] + [sigs[i].spf for i in g])  # frames: (rows, tspf)
        # one read per distinct skew, of the frames that skew needs: memory in
        # proportion to the window read, however large the skew
        for k in sorted({_frame_skew(sigs[i]) for i in g if i in wanted}):
            f1 = min(stop + k, n_avail)
            if whole:
                f1 = max(f1, n_frames)
            f0 = 0 if whole else min(start + k, f1)
            frames = _read_group(header.path.parent, [sigs[i] for i in g], f0, f1)
            for j, i in enumerate(g):
                sig = sigs[i]
                if i not in wanted or _frame_skew(sig) != k:
                    continue
                block = frames[:, cols[j] : cols[j + 1]]  # (f1 - f0, spf)
                if whole and sig.checksum is not None:
                    _verify_checksum(block[:n_frames], sig, header.path, i)
                value, bad = _deskew(block, sig, start - f0, stop - start)
                value, bad = _to_rows(value, bad, sig.spf, max_spf, expand_frames)
                for c_out, c in enumerate(chans):
                    if c == i:
                        digital[:, c_out] = value
                        invalid[:, c_out] = bad
    return digital, invalid


def _record(
    header: _Header,
    chans: list[int],
    digital: np.ndarray,
    invalid: np.ndarray,
    *,
    n_samples: int,
    sampfrom: int,
    expanded: bool,
) -> Record:
    """Return a `Record` of the header's signals `chans` with their stored values."""
    picked = [header.signals[c] for c in chans]
    any_invalid = bool(invalid.any())
    if any_invalid:
        np.putmask(digital, invalid, INVALID_SAMPLE)
    gains = tuple(s.gain if s.gain != 0 else DEFAULT_GAIN for s in picked)
    signal = digital.astype(np.float64)
    signal -= np.asarray([s.baseline for s in picked], np.float64)
    signal /= np.asarray(gains, np.float64)
    if any_invalid:
        np.putmask(signal, invalid, np.nan)
    rows_per_frame = max((s.spf for s in header.signals), default=1) if expanded else 1
    return Record(
        name=header.name,
        fs=header.fs * rows_per_frame,
        n_samples=n_samples,
        sig_names=tuple(s.description for s in picked),
        units=tuple(s.units for s in picked),
        gains=gains,
        calibrated=tuple(s.gain != 0 for s in picked),
        baselines=tuple(s.baseline for s in picked),
        fmt=tuple(s.fmt for s in picked),
        adc_res=tuple(s.adc_res for s in picked),
        adc_zeros=tuple(s.adc_zero for s in picked),
        init_values=tuple(s.init_value for s in picked),
        checksums=tuple(s.checksum for s in picked),
        samps_per_frame=tuple(s.spf for s in picked),
        skew=tuple(s.skew for s in picked),
        byte_offset=tuple(s.byte_offset for s in picked),
        file_names=tuple(s.file_name for s in picked),
        comments=header.comments,
        base_time=header.base_time,
        base_date=header.base_date,
        frame_fs=header.fs,
        sampfrom=sampfrom,
        expanded=bool(expanded),
        digital=digital,
        signal=signal,
    )


def _verify_checksum(block: np.ndarray, sig: _Signal, hea: Path, index: int) -> None:
    # The WFDB checksum is the 16-bit sum of all stored samples of the signal over
    # the record's length (in file order, before deskewing or frame averaging).
    total = int(block.sum(dtype=np.int64)) & 0xFFFF
    if total != sig.checksum & 0xFFFF:
        raise ValueError(
            f"checksum mismatch in signal file {sig.file_name!r}, channel {index} "
            f"({sig.description!r}) of {str(hea)!r}: the samples sum to {total} "
            f"(mod 65536) but the header says {sig.checksum & 0xFFFF}; the file is corrupt "
            "or does not belong to this header"
        )


def _deskew(
    block: np.ndarray, sig: _Signal, first_row: int, n_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows [first_row, first_row + n_rows) of a deskewed (frames, spf) block.

    Row t holds the signal's frame t + skew; frames past the file's end are
    invalid (rdsamp stops reading there instead).
    """
    k = _frame_skew(sig)
    lo = first_row + k
    avail = max(0, min(n_rows, block.shape[0] - lo))
    marker = _FORMATS[sig.fmt].invalid
    if avail == n_rows:  # the usual case: a view, no copy
        value = block[lo : lo + n_rows]
        bad = value == marker if marker is not None else np.zeros(value.shape, bool)
        return value, bad
    value = np.zeros((n_rows, sig.spf), np.int32)
    value[:avail] = block[lo : lo + avail]
    bad = np.ones((n_rows, sig.spf), bool)
    bad[:avail] = value[:avail] == marker if marker is not None else False
    return value, bad


def _to_rows(
    value: np.ndarray, bad: np.ndarray, spf: int, max_spf: int, expand: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Turn (frames, spf) samples into one column, averaging or expanding frames."""
    if expand:
        # rdsamp -H (WFDB_HIGHRES): max_spf rows per frame; a signal with fewer
        # samples per frame repeats sample floor(k * spf / max_spf) at row k.
        idx = (np.arange(max_spf) * spf) // max_spf
        return value[:, idx].ravel(), bad[:, idx].ravel()
    if spf == 1:
        return value[:, 0], bad[:, 0]
    # rdsamp's default (WFDB_LOWRES): the mean of the frame's samples, rounded to
    # the nearest integer with halves rounded up (signal.c, meansamp); invalid if
    # any sample of the frame is invalid.
    total = value.sum(axis=1, dtype=np.int64)
    mean = ((total + spf // 2) // spf).astype(np.int32)
    return mean, bad.any(axis=1)


def read_record(
    path: str | os.PathLike[str],
    channels: int | str | Sequence[int | str] | None = None,
    sampfrom: int = 0,
    sampto: int | None = None,
    *,
    expand_frames: bool = False,
    allow_outside: bool = False,
) -> Record:
    """Read the samples and header of a WFDB record.

    Parameters
    ----------
    path : str or os.PathLike
        The record path without extension (``"data/mitdb/100"`` reads
        ``100.hea`` and the signal files it names, from the same folder).  A
        trailing ``.hea`` is accepted.
    channels : int, str or sequence of int or str, optional
        Channels to read, by index or by name (``["MLII"]``), in the order given.
        Default: all.
    sampfrom, sampto : int, optional
        Read frames ``sampfrom <= t < sampto`` (default: the whole record).  They
        count frames at the header's frame rate, also when `expand_frames` is True.
    expand_frames : bool, optional
        How to return signals with several samples per frame (``212x4``).  False
        (default, as ``rdsamp``): one row per frame, each such signal averaged over
        its frame (rounded half up).  True (as ``rdsamp -H``): ``max(spf)`` rows per
        frame at ``fs = frame_fs * max(spf)``; a signal with fewer samples per frame
        repeats each of its samples (zero-order hold).  Records with one sample per
        frame are the same either way.
    allow_outside : bool, optional
        False (default): signal files must lie in the header's folder (or below it);
        a header naming one by absolute path or through ``..`` is refused, so a
        downloaded record cannot make the reader open other files.  True: such
        names are read as written (WFDB's search-path behaviour), for headers you
        trust.

    Returns
    -------
    Record
        The header fields and ``digital`` (int32) and ``signal`` (float64, physical
        units, NaN where invalid) arrays of shape (n_samples, n_channels).

    Raises
    ------
    TypeError
        If `path`, `channels`, `sampfrom` or `sampto` has the wrong type.
    FileNotFoundError
        If the header or a signal file is missing (the error is also a ValueError).
    ValueError
        If the header is malformed; the record is multi-segment or uses
        an unsupported format; a signal file holds fewer frames than
        the header states; a checksum does not match; or `channels`, `sampfrom` or
        `sampto` is out of range; a header names a signal file outside its folder
        (see `allow_outside`) or a signal file that is not a regular file.

    Notes
    -----
    * **Checksums** are verified for every channel read when the whole record is
      read (``sampfrom=0`` and ``sampto`` at the end) and the header states a
      length and checksums.  Partial reads cannot be checked.
    * **Skew**: row ``t`` of a skewed signal holds its stored frame ``t + skew``.
      Rows past the end of the stored data are invalid (NaN); ``rdsamp`` instead
      stops at the first such row, so a skewed record read here has the length
      its header states, and the rows before match ``rdsamp`` exactly.
    * **Headers without a length**: the length is the number of complete frames
      in the shortest signal file (a trailing partial frame is ignored, as the
      WFDB library does); checksums are then not verified (nor by the library).
    * **Longer files**: samples stored past the stated length are not returned,
      except that a skewed signal may use them to fill its last rows.
    * **Uncalibrated signals** (gain 0 or none) are converted with gain
      `DEFAULT_GAIN` = 200, as the WFDB library does; ``calibrated`` is False.
    * **Invalid samples**: a stored value equal to the format's marker (-32768
      for formats 16, 61 and 160, -2048 for 212, -512 for 310 and 311, -128 for
      80, -2**23 for 24, -2**31 for 32; format 8 has none) is invalid: NaN in
      ``signal`` and `INVALID_SAMPLE` (-32768) in ``digital``, as ``rdsamp``
      prints it.  A frame average is invalid if any of its samples is.  Use
      ``signal`` (or `Record.valid`) to find invalid samples: in 24- and 32-bit
      formats -32768 can also be a valid value (the WFDB library cannot tell them
      apart; this reader can).
    * **Format 8** stores first differences, so any read decodes the file from
      its start.  ``rdsamp -f`` on a format 8 signal restarts the sum at the
      initial value, shifting every value by a constant; this reader returns the
      values of a whole-record read instead.
    * Block sizes (for tape-like devices) are ignored.

    Examples
    --------
    The first 10 s of channel MLII of the shipped excerpt of MIT-BIH record 100:

    >>> from pathlib import Path
    >>> import heartbeat
    >>> path = Path(heartbeat.__file__).parent / "data" / "100"
    >>> rec = read_record(path, channels=["MLII"], sampto=3600)
    >>> rec
    Record(name='100', fs=360.0, n_samples=3600, sig_names=('MLII',), units=('mV',), fmt=(212,))
    >>> rec.digital[:3, 0], rec.signal[:3, 0]
    (array([995, 995, 995], dtype=int32), array([-0.145, -0.145, -0.145]))
    >>> rec.channel("MLII").shape
    (3600,)
    """
    base = _record_paths(path, "path")
    return _read(base, channels, sampfrom, sampto, as_bool(expand_frames, "expand_frames"),
                 as_bool(allow_outside, "allow_outside"))


def read_header(path: str | os.PathLike[str], *, allow_outside: bool = False) -> Record:
    """Read only the header of a record: a `Record` with no samples.

    Parameters
    ----------
    path : str or os.PathLike
        The record path without extension (``"mitdb/100"``); a trailing ``.hea``
        is accepted too.
    allow_outside : bool, optional
        As for `read_record`: whether signal files named outside the header's folder
        may be looked at (their sizes give the length of a header that states none).

    Returns
    -------
    Record
        Every header field; ``digital`` and ``signal`` have 0 rows, and
        ``n_samples`` is the length the header states (or the length inferred
        from the signal files when the header states none).

    Raises
    ------
    ValueError
        If the header is missing or malformed, or a signal file is missing.

    Examples
    --------
    The shipped 120 s excerpt of MIT-BIH record 100:

    >>> from pathlib import Path
    >>> import heartbeat
    >>> path = Path(heartbeat.__file__).parent / "data" / "100"
    >>> header = read_header(path)
    >>> header.sig_names, header.fs, header.n_samples
    (('MLII', 'V5'), 360.0, 43200)
    """
    header = _parse_header(Path(str(_record_paths(path, "path")) + ".hea"))
    _check_confined(header, as_bool(allow_outside, "allow_outside"))
    groups = _groups(header.signals)
    n_frames = _record_length(header, groups, _frames_available(header, groups))
    n = len(header.signals)
    no_rows = np.empty((0, n), np.int32)
    return _record(header, list(range(n)), no_rows, np.zeros((0, n), bool),
                   n_samples=n_frames, sampfrom=0, expanded=False)
