"""Read PhysioNet WFDB records and annotations with NumPy alone.

This is a small, strict reader for the files described in PhysioNet's WFDB
manual pages header(5), signal(5) and annotation(5).  It returns the same sample
values as PhysioNet's reference software (``rdsamp``, ``rdann`` from the WFDB
Software Package 10.7), and refuses to guess: a truncated or malformed file raises
``ValueError`` naming the file and what is wrong.

Supported
    Storage formats 8, 16, 24, 32, 61, 80, 160, 212, 310 and 311; several samples
    per frame (``212x4``); skew (``212:3``); byte offsets (``16+512``); several
    signal files per record; headers without a signal length (inferred from the
    file sizes); LF and CRLF line endings; checksum verification.
Not supported
    Multi-segment records (``name/3`` on the record line), FLAC formats 508/516/524,
    the null format 0, AHA-format annotation files, EDF files.  Each raises a
    ``ValueError`` saying so.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from heartbeat._validate import as_fs as _as_fs

__all__ = [
    "ANNOTATION_SYMBOLS",
    "DEFAULT_GAIN",
    "INVALID_SAMPLE",
    "SUPPORTED_FORMATS",
    "Annotations",
    "Record",
    "read_annotations",
    "read_header",
    "read_record",
]

#: Gain (ADC units per physical unit) used when a header gives 0 or no gain, i.e.
#: for an uncalibrated signal; WFDB_DEFGAIN in the WFDB library (wfdb.h).
DEFAULT_GAIN = 200.0
#: Value of an invalid sample in `Record.digital` (WFDB_INVALID_SAMPLE).
INVALID_SAMPLE = -(1 << 15)
#: Sampling frequency assumed when the record line gives none (WFDB_DEFFREQ).
DEFAULT_FS = 250.0
#: ADC resolution assumed when a signal line gives none and the format does not
#: imply one (WFDB_DEFRES).
DEFAULT_ADC_RES = 12


# ---------------------------------------------------------------------------
# Storage formats (signal(5)).  Every format is read as a stream of "blocks" of
# `block_bytes` bytes holding `block_samples` samples; `need[j]` is the number of
# bytes of a block that must be present for its j-th sample to be readable (the
# WFDB library reads the last, partial block sample by sample and stops at the
# first sample whose bytes are missing).


@dataclasses.dataclass(frozen=True)
class _Format:
    bits: int  # ADC resolution implied by the format
    block_bytes: int
    block_samples: int
    need: tuple[int, ...]  # bytes of a block needed for its first j+1 samples
    invalid: int | None  # value marking an invalid sample (None: format 8 has none)


_FORMATS: dict[int, _Format] = {
    8: _Format(8, 1, 1, (1,), None),
    16: _Format(16, 2, 1, (2,), -(1 << 15)),
    24: _Format(24, 3, 1, (3,), -(1 << 23)),
    32: _Format(32, 4, 1, (4,), -(1 << 31)),
    61: _Format(16, 2, 1, (2,), -(1 << 15)),
    80: _Format(8, 1, 1, (1,), -(1 << 7)),
    160: _Format(16, 2, 1, (2,), -(1 << 15)),
    212: _Format(12, 3, 2, (2, 3), -(1 << 11)),
    310: _Format(10, 4, 3, (2, 4, 4), -(1 << 9)),
    311: _Format(10, 4, 3, (2, 3, 4), -(1 << 9)),
}
#: The storage formats this reader decodes.
SUPPORTED_FORMATS: tuple[int, ...] = tuple(sorted(_FORMATS))


def _sign_extend(v: np.ndarray, bits: int) -> np.ndarray:
    """Interpret the low `bits` bits of non-negative int32 `v` as two's complement."""
    half = 1 << (bits - 1)
    return ((v ^ half) - half).astype(np.int32, copy=False)


def _decode(fmt: int, buf: np.ndarray, n: int) -> np.ndarray:
    """Decode the first `n` samples of a uint8 byte buffer in storage format `fmt`.

    `buf` must hold at least the bytes those samples need.  Format 8 returns the
    first differences; the caller integrates them per signal.
    """
    spec = _FORMATS[fmt]
    n_blocks = -(-n // spec.block_samples)
    nbytes = n_blocks * spec.block_bytes
    if buf.size < nbytes:  # zero-pad the last, partial block
        buf = np.concatenate([buf, np.zeros(nbytes - buf.size, np.uint8)])
    b = buf[:nbytes]
    if fmt == 8:  # int8 first differences
        out = b.view(np.int8).astype(np.int32)
    elif fmt == 16:  # int16, little-endian
        out = b.view("<i2").astype(np.int32)
    elif fmt == 61:  # int16, big-endian
        out = b.view(">i2").astype(np.int32)
    elif fmt == 80:  # uint8 offset binary: value + 128
        out = b.astype(np.int32) - 128
    elif fmt == 160:  # uint16 little-endian offset binary: value + 32768
        out = b.view("<u2").astype(np.int32) - 32768
    elif fmt == 32:  # int32, little-endian
        out = b.view("<i4").astype(np.int32)
    elif fmt == 24:  # int24, little-endian: b0 = bits 0-7, b1 = 8-15, b2 = 16-23
        t = b.reshape(-1, 3).astype(np.int32)
        out = _sign_extend(t[:, 0] | (t[:, 1] << 8) | (t[:, 2] << 16), 24)
    elif fmt == 212:
        # Two 12-bit samples in 3 bytes:
        #   byte 0 = s0 bits 0-7
        #   byte 1 = low nibble: s0 bits 8-11, high nibble: s1 bits 8-11
        #   byte 2 = s1 bits 0-7
        t = b.reshape(-1, 3)
        mid = t[:, 1].astype(np.int16)
        s = np.empty((t.shape[0], 2), np.int16)
        np.left_shift(mid & 0x0F, 8, out=s[:, 0])
        s[:, 0] |= t[:, 0]
        np.left_shift(mid & 0xF0, 4, out=s[:, 1])
        s[:, 1] |= t[:, 2]
        s ^= 0x800  # sign-extend from bit 11
        s -= 0x800
        out = s.ravel().astype(np.int32)
    elif fmt == 310:
        # Three 10-bit samples in two little-endian 16-bit words w0, w1:
        #   w0 bits 1-10 = s0, w1 bits 1-10 = s1 (bit 0 of each word unused)
        #   s2 = (w0 bits 11-15) | (w1 bits 11-15) << 5
        t = b.reshape(-1, 4).astype(np.int32)
        w0 = t[:, 0] | (t[:, 1] << 8)
        w1 = t[:, 2] | (t[:, 3] << 8)
        s = np.empty((t.shape[0], 3), np.int32)
        s[:, 0] = (w0 >> 1) & 0x3FF
        s[:, 1] = (w1 >> 1) & 0x3FF
        s[:, 2] = ((w0 >> 11) & 0x1F) | (((w1 >> 11) & 0x1F) << 5)
        out = _sign_extend(s.ravel(), 10)
    elif fmt == 311:
        # Three 10-bit samples in the low 30 bits of a little-endian 32-bit word w:
        #   s0 = w bits 0-9, s1 = w bits 10-19, s2 = w bits 20-29 (bits 30-31 unused)
        w = b.view("<u4").astype(np.int64)
        s = np.empty((w.shape[0], 3), np.int32)
        s[:, 0] = w & 0x3FF
        s[:, 1] = (w >> 10) & 0x3FF
        s[:, 2] = (w >> 20) & 0x3FF
        out = _sign_extend(s.ravel(), 10)
    else:  # pragma: no cover - formats are checked when the header is parsed
        raise ValueError(f"unsupported format {fmt}")
    return out[:n]


def _samples_in(fmt: int, nbytes: int) -> int:
    """Count the samples of format `fmt` readable from `nbytes` bytes."""
    spec = _FORMATS[fmt]
    full, rem = divmod(nbytes, spec.block_bytes)
    return full * spec.block_samples + sum(1 for k in spec.need if k <= rem)


# ---------------------------------------------------------------------------
# Header (header(5))

# record line: name[/segments] nsig [fs[/counter_fs[(base_counter)]] [n_samples
#              [base_time [base_date]]]]
_RX_RECORD = re.compile(
    r"^(?P<name>[^\s/]+)(?:/(?P<segments>\S*))?"
    r"(?:\s+(?P<nsig>\S+))?"
    r"(?:\s+(?P<fs>[^\s/]+)(?:/(?P<counter_fs>[^\s(]+)(?:\((?P<base_counter>[^)\s]*)\))?)?)?"
    r"(?:\s+(?P<n_samples>\S+))?"
    r"(?:\s+(?P<base_time>\S+))?"
    r"(?:\s+(?P<base_date>\S+))?\s*$"
)
# signal line: file fmt[xspf][:skew][+offset] [gain[(baseline)][/units] [adc_res
#              [adc_zero [init_value [checksum [block_size [description]]]]]]]
_RX_FORMAT = re.compile(r"^(?P<fmt>\d+)(?P<mods>(?:[x:+]\d+)*)$")
_RX_GAIN = re.compile(
    r"^(?P<gain>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"(?:\((?P<baseline>[-+]?\d+)\))?(?:/(?P<units>.*))?$"
)


@dataclasses.dataclass(frozen=True)
class _Signal:
    file_name: str
    fmt: int
    spf: int
    skew: int  # in samples, as written in the header
    byte_offset: int
    gain: float  # as written (0 = uncalibrated)
    baseline: int
    units: str
    adc_res: int
    adc_zero: int
    init_value: int
    checksum: int | None
    block_size: int
    description: str


@dataclasses.dataclass(frozen=True)
class _Header:
    path: Path  # the .hea file
    name: str
    fs: float
    counter_fs: float | None
    base_counter: float | None
    n_samples: int | None
    base_time: datetime.time | None
    base_date: datetime.date | None
    signals: tuple[_Signal, ...]
    comments: tuple[str, ...]


def _int(text: str, what: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{where}: {what} must be an integer, got {text!r}") from None


def _float(text: str, what: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {what} must be a number, got {text!r}") from None
    if not np.isfinite(value):
        raise ValueError(f"{where}: {what} must be finite, got {text!r}")
    return value


def _parse_time(text: str, where: str) -> datetime.time:
    m = re.fullmatch(r"(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?", text)
    if m is None:
        raise ValueError(f"{where}: base time must be HH:MM:SS[.sss], got {text!r}")
    h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
    us = int((m[4] or "0")[:6].ljust(6, "0"))
    try:
        return datetime.time(h, mi, s, us)
    except ValueError as exc:
        raise ValueError(f"{where}: base time {text!r} is not a time of day: {exc}") from None


def _parse_date(text: str, where: str) -> datetime.date:
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{1,4})", text)
    if m is None:
        raise ValueError(f"{where}: base date must be DD/MM/YYYY, got {text!r}")
    try:
        return datetime.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError as exc:
        raise ValueError(f"{where}: base date {text!r} is not a date: {exc}") from None


def _parse_signal(line: str, where: str) -> _Signal:
    # Fields are separated by blanks; the description is the rest of the line
    # after the blank that ends the block size, kept verbatim as the WFDB library
    # does (it may hold blanks, even trailing ones).
    tokens = list(re.finditer(r"\S+", line))[:8]
    parts = [t.group() for t in tokens]
    description = line[tokens[7].end() + 1 :] if len(tokens) == 8 else ""
    if len(parts) < 2:
        raise ValueError(f"{where}: signal line needs at least a file name and a format")
    file_name = parts[0]
    m = _RX_FORMAT.match(parts[1])
    if m is None:
        raise ValueError(
            f"{where}: cannot read format field {parts[1]!r} (expected e.g. 212, 212x4, "
            "212:3 or 16+512)"
        )
    fmt = int(m["fmt"])
    if fmt not in _FORMATS:
        raise ValueError(
            f"{where}: storage format {fmt} is not supported "
            f"(supported: {', '.join(map(str, SUPPORTED_FORMATS))})"
        )
    spf, skew, offset = 1, 0, 0
    for kind, value in re.findall(r"([x:+])(\d+)", m["mods"]):
        if kind == "x":
            spf = max(int(value), 1)
        elif kind == ":":
            skew = int(value)
        else:
            offset = int(value)
    gain, baseline, units = 0.0, None, "mV"
    if len(parts) > 2:
        g = _RX_GAIN.match(parts[2])
        if g is None:
            raise ValueError(
                f"{where}: cannot read gain field {parts[2]!r} "
                "(expected gain[(baseline)][/units], e.g. 200(1024)/mV)"
            )
        gain = float(g["gain"])
        if g["baseline"] is not None:
            baseline = int(g["baseline"])
        if g["units"]:
            units = g["units"]
    names = ("ADC resolution", "ADC zero", "initial value", "checksum", "block size")
    fields: list[int | None] = [None] * 5
    for i, text in enumerate(parts[3:8]):
        fields[i] = _int(text, names[i], where)
    adc_res = fields[0] if fields[0] is not None else DEFAULT_ADC_RES
    if fields[0] is None and fmt in (80, 160, 212, 310, 311):
        adc_res = _FORMATS[fmt].bits
    adc_zero = fields[1] if fields[1] is not None else 0
    init_value = fields[2] if fields[2] is not None else adc_zero
    return _Signal(
        file_name=file_name,
        fmt=fmt,
        spf=spf,
        skew=skew,
        byte_offset=offset,
        gain=gain,
        baseline=adc_zero if baseline is None else baseline,
        units=units,
        adc_res=adc_res,
        adc_zero=adc_zero,
        init_value=init_value,
        checksum=fields[3],
        block_size=fields[4] or 0,
        description=description,
    )


def _parse_header(hea: Path) -> _Header:
    try:
        raw = hea.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"header file {str(hea)!r} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"header file {str(hea)!r} is a directory") from None
    text = raw.decode("latin-1")
    where = str(hea)
    comments: list[str] = []
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")  # CRLF or LF
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            comments.append(stripped[1:].strip())
            continue
        lines.append((number, line))
    if not lines:
        raise ValueError(f"{where}: header holds no record line")
    number, record_line = lines[0]
    m = _RX_RECORD.match(record_line.strip())
    if m is None or m["nsig"] is None:
        raise ValueError(
            f"{where}, line {number}: cannot read record line {record_line.strip()!r} "
            "(expected 'name n_signals [fs [n_samples [time [date]]]]')"
        )
    if m["segments"] is not None:
        raise ValueError(
            f"{where}: {m['name']!r} is a multi-segment record; multi-segment records "
            "are out of scope for heartbeat.wfdb (read each segment's record instead)"
        )
    at = f"{where}, line {number}"
    nsig = _int(m["nsig"], "number of signals", at)
    if nsig < 0:
        raise ValueError(f"{at}: number of signals must be >= 0, got {nsig}")
    fs = DEFAULT_FS
    if m["fs"] is not None:
        fs = _float(m["fs"], "sampling frequency", at)
        if fs <= 0:
            raise ValueError(f"{at}: sampling frequency must be > 0, got {m['fs']!r}")
    counter_fs = _float(m["counter_fs"], "counter frequency", at) if m["counter_fs"] else None
    base_counter = (
        _float(m["base_counter"], "base counter", at) if m["base_counter"] else None
    )
    n_samples = None
    if m["n_samples"] is not None:
        n_samples = _int(m["n_samples"], "number of samples", at)
        if n_samples < 0:
            raise ValueError(f"{at}: number of samples must be >= 0, got {n_samples}")
        if n_samples == 0:
            n_samples = None  # 0 means "not stated", as in the WFDB library
    base_time = _parse_time(m["base_time"], at) if m["base_time"] else None
    base_date = _parse_date(m["base_date"], at) if m["base_date"] else None
    if len(lines) - 1 < nsig:
        raise ValueError(
            f"{where}: record line declares {nsig} signals but the header lists "
            f"{len(lines) - 1} signal lines"
        )
    signals = tuple(
        _parse_signal(line, f"{where}, line {num}") for num, line in lines[1 : 1 + nsig]
    )
    for a, b in itertools.pairwise(signals):
        if a.file_name == b.file_name and (a.fmt != b.fmt or a.block_size != b.block_size):
            raise ValueError(
                f"{where}: signals stored together in {a.file_name!r} must share one "
                f"format, got {a.fmt} and {b.fmt}"
            )
    return _Header(
        path=hea,
        name=m["name"],
        fs=fs,
        counter_fs=counter_fs,
        base_counter=base_counter,
        n_samples=n_samples,
        base_time=base_time,
        base_date=base_date,
        signals=signals,
        comments=tuple(comments),
    )


def _record_paths(path: object, name: str) -> Path:
    """Return the record path (without extension) from a str or PathLike."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{name} must be a str or os.PathLike naming a record without extension, "
            f"got {type(path).__name__}"
        )
    text = os.fspath(path)
    if not text:
        raise ValueError(f"{name}='' must name a record, e.g. 'mitdb/100'")
    if text.endswith(".hea"):
        text = text[:-4]
    return Path(text)


def read_header(path: str | os.PathLike[str]) -> Record:
    """Read only the header of a record: a `Record` with no samples.

    Parameters
    ----------
    path : str or os.PathLike
        The record path without extension (``"mitdb/100"``); a trailing ``.hea``
        is accepted too.

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
    return _read(_record_paths(path, "path"), None, 0, None, False, header_only=True)


# ---------------------------------------------------------------------------
# Records


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class Record:
    """One WFDB record (or a part of it) with its header fields.

    Attributes
    ----------
    name : str
        The record name from the header.
    fs : float
        Sampling frequency of the rows of `digital` and `signal`, in Hz.  Equals
        `frame_fs` unless the record was read with ``expand_frames=True``.
    n_samples : int
        Number of rows of `digital` and `signal` (from `read_header`: the
        record's length in frames, with 0 rows read).
    sig_names : tuple of str
        Signal descriptions (``'MLII'``), verbatim from the header.
    units : tuple of str
        Physical units of `signal` per channel (``'mV'`` when unstated).
    gains : tuple of float
        ADC units per physical unit used for `signal`.  Where the header gives a
        gain of 0 (or none), the signal is uncalibrated and the WFDB default
        `DEFAULT_GAIN` (200) is used, as the WFDB library does; `calibrated`
        says which.
    calibrated : tuple of bool
        False where the header gives a gain of 0 or none.
    baselines : tuple of int
        Digital value of 0 physical units per channel.
    fmt : tuple of int
        Storage format per channel (212, 16, ...).
    adc_res : tuple of int
        ADC resolution in bits per channel.
    adc_zeros : tuple of int
        Digital value at the middle of the ADC range per channel.
    init_values : tuple of int
        Value of the first sample per channel, as stated in the header.
    checksums : tuple of int or None
        16-bit checksums per channel as stated in the header (None: none given).
    samps_per_frame : tuple of int
        Samples per frame per channel (4 for ``212x4``).
    skew : tuple of int
        Skew per channel in samples, as stated in the header (``212:3`` -> 3).
    byte_offset : tuple of int
        Bytes skipped at the start of each channel's signal file (``16+512``).
    file_names : tuple of str
        Signal file per channel, relative to the header's folder.
    comments : tuple of str
        Header comment lines, without the leading ``#`` and blanks.
    base_time : datetime.time or None
        Time of day of the first sample, if the header gives one.
    base_date : datetime.date or None
        Date of the first sample, if the header gives one.
    frame_fs : float
        Frame rate stated in the header, in Hz.
    sampfrom : int
        First frame read (rows of `digital` start at this frame).
    expanded : bool
        True if read with ``expand_frames=True``.
    digital : numpy.ndarray
        int32 array, (n_samples, n_channels): the stored ADC values, with
        `INVALID_SAMPLE` (-32768) where a sample is invalid, as ``rdsamp`` prints.
    signal : numpy.ndarray
        float64 array, (n_samples, n_channels): ``(digital - baseline) / gain`` in
        `units`, NaN where a sample is invalid.
    """

    name: str
    fs: float
    n_samples: int
    sig_names: tuple[str, ...]
    units: tuple[str, ...]
    gains: tuple[float, ...]
    calibrated: tuple[bool, ...]
    baselines: tuple[int, ...]
    fmt: tuple[int, ...]
    adc_res: tuple[int, ...]
    adc_zeros: tuple[int, ...]
    init_values: tuple[int, ...]
    checksums: tuple[int | None, ...]
    samps_per_frame: tuple[int, ...]
    skew: tuple[int, ...]
    byte_offset: tuple[int, ...]
    file_names: tuple[str, ...]
    comments: tuple[str, ...]
    base_time: datetime.time | None
    base_date: datetime.date | None
    frame_fs: float
    sampfrom: int
    expanded: bool
    digital: np.ndarray
    signal: np.ndarray

    @property
    def n_channels(self) -> int:
        """Number of channels (columns of `digital` and `signal`)."""
        return len(self.sig_names)

    @property
    def duration_s(self) -> float:
        """Duration of the rows read, in seconds."""
        return self.n_samples / self.fs

    @property
    def valid(self) -> np.ndarray:
        """Boolean (n_samples, n_channels) array, False where a sample is invalid."""
        return ~np.isnan(self.signal)

    def channel(self, name: str) -> np.ndarray:
        """Return the physical signal of the first channel called `name` (1-D view).

        Raises
        ------
        ValueError
            If no channel has that name.
        """
        return self.signal[:, self._index(name)]

    def _index(self, name: str) -> int:
        try:
            return self.sig_names.index(name)
        except ValueError:
            raise ValueError(
                f"record {self.name!r} has no channel {name!r}; its channels are "
                f"{list(self.sig_names)}"
            ) from None

    def __repr__(self) -> str:
        return (
            f"Record(name={self.name!r}, fs={self.fs}, n_samples={self.n_samples}, "
            f"sig_names={self.sig_names}, units={self.units}, fmt={self.fmt})"
        )


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
            if c not in names:
                raise ValueError(
                    f"channels: no channel named {c!r}; the record has {list(names)}"
                )
            out.append(names.index(c))
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


def _check_index(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int (a frame number), got {value!r}")
    return int(value)


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
    base: Path,
    channels: object,
    sampfrom: object,
    sampto: object,
    expand_frames: bool,
    header_only: bool = False,
) -> Record:
    hea = Path(str(base) + ".hea")
    header = _parse_header(hea)
    sigs = header.signals
    groups = _groups(sigs)
    folder = hea.parent

    # Complete frames available in each signal file.
    avail: list[int] = []
    for g in groups:
        first = sigs[g[0]]
        dat = folder / first.file_name
        try:
            size = dat.stat().st_size
        except FileNotFoundError:
            raise ValueError(
                f"signal file {str(dat)!r} named in {str(hea)!r} does not exist"
            ) from None
        if size < first.byte_offset:
            raise ValueError(
                f"signal file {str(dat)!r} holds {size} bytes, fewer than its byte "
                f"offset {first.byte_offset} in {str(hea)!r}"
            )
        tspf = sum(sigs[i].spf for i in g)
        avail.append(_samples_in(first.fmt, size - first.byte_offset) // tspf)
    if header.n_samples is not None:
        n_frames = header.n_samples
        for g, n_avail in zip(groups, avail, strict=True):
            if n_avail < n_frames:
                first = sigs[g[0]]
                raise ValueError(
                    f"signal file {str(folder / first.file_name)!r} is truncated: it holds "
                    f"{n_avail} complete frames but {str(hea)!r} states {n_frames}"
                )
    else:
        n_frames = min(avail) if avail else 0

    names = tuple(s.description for s in sigs)
    chans = _check_channels(channels, names)
    if header_only:
        chans = list(range(len(sigs)))
        start, stop = 0, 0
    else:
        start = _check_index(sampfrom, "sampfrom")
        stop = n_frames if sampto is None else _check_index(sampto, "sampto")
        if not 0 <= start <= n_frames:
            raise ValueError(f"sampfrom={start} must be in [0, {n_frames}] (the record length)")
        if not 0 <= stop <= n_frames:
            raise ValueError(f"sampto={stop} must be in [0, {n_frames}] (the record length)")
        if stop < start:
            raise ValueError(f"sampto={stop} must be >= sampfrom={start}")
    whole = start == 0 and stop == n_frames and header.n_samples is not None
    max_spf = max((s.spf for s in sigs), default=1)
    rows_per_frame = max_spf if expand_frames else 1
    n_out = (stop - start) * rows_per_frame

    digital = np.empty((n_out, len(chans)), np.int32)
    invalid = np.zeros((n_out, len(chans)), bool)
    wanted = set(chans)
    for g, n_avail in zip(groups, avail, strict=True):
        if header_only or not wanted.intersection(g):
            continue
        sel = [i for i in g if i in wanted]
        max_skew = max(_frame_skew(sigs[i]) for i in sel)
        f1 = min(stop + max_skew, n_avail)
        if whole:
            f1 = max(f1, n_frames)
        f0 = 0 if whole else min(start, f1)
        frames = _read_group(folder, [sigs[i] for i in g], f0, f1)  # (f1 - f0, tspf)
        cols = np.cumsum([0] + [sigs[i].spf for i in g])
        for j, i in enumerate(g):
            if i not in wanted:
                continue
            sig = sigs[i]
            block = frames[:, cols[j] : cols[j + 1]]  # (f1 - f0, spf)
            if whole and sig.checksum is not None:
                _verify_checksum(block[:n_frames], sig, hea, i)
            value, bad = _deskew(block, sig, start - f0, stop - start)
            value, bad = _to_rows(value, bad, sig.spf, max_spf, expand_frames)
            for k, c in enumerate(chans):
                if c == i:
                    digital[:, k] = value
                    invalid[:, k] = bad

    picked = [sigs[c] for c in chans]
    any_invalid = bool(invalid.any())
    if any_invalid:
        np.putmask(digital, invalid, INVALID_SAMPLE)
    gains = tuple(s.gain if s.gain != 0 else DEFAULT_GAIN for s in picked)
    signal = digital.astype(np.float64)
    signal -= np.asarray([s.baseline for s in picked], np.float64)
    signal /= np.asarray(gains, np.float64)
    if any_invalid:
        np.putmask(signal, invalid, np.nan)
    return Record(
        name=header.name,
        fs=header.fs * rows_per_frame,
        n_samples=n_frames if header_only else n_out,
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
        sampfrom=start,
        expanded=bool(expand_frames),
        digital=digital,
        signal=signal,
    )


def _read_group(folder: Path, sigs: list[_Signal], f0: int, f1: int) -> np.ndarray:
    """Raw samples of frames [f0, f1) of one signal file, (f1 - f0, total spf) int32.

    Format 8 first differences are integrated here (from the file's start, so
    reads of format 8 always decode the file up to `f1`).
    """
    first = sigs[0]
    spec = _FORMATS[first.fmt]
    tspf = sum(s.spf for s in sigs)
    if first.fmt == 8:
        f_start = 0
    else:
        f_start = f0
    s0, s1 = f_start * tspf, f1 * tspf
    b0 = s0 // spec.block_samples  # first block touched
    n_dec = s1 - b0 * spec.block_samples
    n_bytes = -(-n_dec // spec.block_samples) * spec.block_bytes
    path = folder / first.file_name
    with open(path, "rb") as fh:
        fh.seek(first.byte_offset + b0 * spec.block_bytes)
        data = fh.read(n_bytes)
    if _samples_in(first.fmt, len(data)) < n_dec:  # the file shrank since it was sized
        raise ValueError(
            f"signal file {str(path)!r} is truncated: reading frames {f_start} to {f1} "
            f"needs {n_bytes} bytes from offset {first.byte_offset + b0 * spec.block_bytes}, "
            f"got {len(data)}"
        )
    buf = np.frombuffer(data, np.uint8)
    samples = _decode(first.fmt, buf, n_dec)[s0 - b0 * spec.block_samples :]
    frames = samples.reshape(f1 - f_start, tspf)
    if first.fmt == 8:
        out = np.empty_like(frames)
        c = 0
        for s in sigs:
            d = frames[:, c : c + s.spf].astype(np.int64).ravel()
            v = np.cumsum(d) + s.init_value
            out[:, c : c + s.spf] = v.reshape(-1, s.spf).astype(np.int32)
            c += s.spf
        return out[f0 - f_start :]
    return frames


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

    Returns
    -------
    Record
        The header fields and ``digital`` (int32) and ``signal`` (float64, physical
        units, NaN where invalid) arrays of shape (n_samples, n_channels).

    Raises
    ------
    TypeError
        If `path`, `channels`, `sampfrom` or `sampto` has the wrong type.
    ValueError
        If the header is missing or malformed; the record is multi-segment or uses
        an unsupported format; a signal file is missing or holds fewer frames than
        the header states; a checksum does not match; or `channels`, `sampfrom` or
        `sampto` is out of range.

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
    if not isinstance(expand_frames, (bool, np.bool_)):
        raise TypeError(f"expand_frames must be True or False, got {expand_frames!r}")
    return _read(base, channels, sampfrom, sampto, bool(expand_frames))


# ---------------------------------------------------------------------------
# Annotations (annotation(5)).  A file is a stream of little-endian 16-bit words;
# each word holds a 6-bit code (bits 10-15) and 10 bits of data (bits 0-9).  For
# an annotation (code 1-49) the data is the time since the previous annotation;
# codes 59-63 are pseudo-annotations that modify the annotation before them (or
# the time of the next one); the word 0 ends the file.

_CODE_SHIFT = 10
_DATA_MASK = 0x3FF
_SKIP = 59  # the next 4 bytes hold a signed 32-bit time step (high 16-bit word first)
_NUM = 60  # data = the annotator number `num` of this and later annotations
_SUB = 61  # data = the subtype of this annotation
_CHN = 62  # data = the channel `chan` of this and later annotations
_AUX = 63  # data (low 8 bits) = length of the aux string that follows (padded to even)
_ACMAX = 49  # largest annotation code with a standard mnemonic
_AHA_CODES = "EFNOPQRUV"  # AHA codes that ammap (ecgmap.h) maps to a real MIT code
_NOTE = 22  # comment annotation; at time 0 it may carry a header line ("## ...")

#: Standard mnemonic of each annotation code 0-49 (the WFDB library's ``annstr``);
#: codes without one print as ``[code]``.  Annotation files may redefine them.
ANNOTATION_SYMBOLS: tuple[str, ...] = (
    " ", "N", "L", "R", "a", "V", "F", "J", "A", "S",  # 0-9
    "E", "j", "/", "Q", "~", "[15]", "|", "[17]", "s", "T",  # 10-19
    "*", "D", '"', "=", "p", "B", "^", "t", "+", "u",  # 20-29
    "?", "!", "[", "]", "e", "n", "@", "x", "f", "(",  # 30-39
    ")", "r", "[42]", "[43]", "[44]", "[45]", "[46]", "[47]", "[48]", "[49]",  # 40-49
)  # fmt: skip


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class Annotations:
    """The annotations of one annotator for one record.

    Attributes
    ----------
    record : str
        The record name (the file name without extension).
    extension : str
        The annotator (file extension), e.g. ``"atr"``.
    sample : numpy.ndarray
        int64 sample number of each annotation.
    code : numpy.ndarray
        int16 annotation code (1 = ``N`` ...).
    symbol : numpy.ndarray
        str mnemonic of each code (``ANNOTATION_SYMBOLS``, or the file's own
        definitions if it carries a table of them).
    subtype, chan, num : numpy.ndarray
        Subtype (int8), channel (uint8) and annotator number (int8), as the WFDB
        library's ``WFDB_Annotation`` holds them.  `chan` and `num` persist from
        one annotation to the next until a CHN or NUM pseudo-annotation changes
        them; the subtype is 0 unless a SUB follows the annotation.  The stored
        fields are 10 bits wide; like the WFDB library, values that do not fit
        the C type wrap (a subtype of 255 reads as -1).
    aux_note : numpy.ndarray
        str auxiliary text of each annotation ('' when none), decoded as Latin-1
        and cut at the first NUL byte, as ``rdann`` prints it.
    fs : float or None
        The time resolution in Hz if the file states one in a ``## time
        resolution:`` header annotation, else None (samples are then at the
        record's own frequency).
    """

    record: str
    extension: str
    sample: np.ndarray
    code: np.ndarray
    symbol: np.ndarray
    subtype: np.ndarray
    chan: np.ndarray
    num: np.ndarray
    aux_note: np.ndarray
    fs: float | None

    def __len__(self) -> int:
        return int(self.sample.shape[0])

    def samples_at(self, fs: float) -> np.ndarray:
        """Return the sample numbers converted to a record sampled at `fs` Hz.

        Times are scaled by ``fs / self.fs`` and rounded to the nearest sample,
        halves up, as the WFDB library does.  Without a stated time resolution
        (``self.fs`` is None) the samples are already at the record's rate and
        are returned unchanged (a copy).

        Parameters
        ----------
        fs : float
            The record's frame rate in Hz (``Record.frame_fs``).

        Returns
        -------
        numpy.ndarray
            int64 sample numbers.
        """
        fs = _as_fs(fs)
        if self.fs is None or self.fs == fs:
            return self.sample.copy()
        return np.floor(self.sample * (fs / self.fs) + 0.5).astype(np.int64)

    def __repr__(self) -> str:
        return (
            f"Annotations(record={self.record!r}, extension={self.extension!r}, "
            f"n={len(self)}, fs={self.fs})"
        )


def read_annotations(path: str | os.PathLike[str], extension: str = "atr") -> Annotations:
    """Read a WFDB (MIT-format) annotation file.

    Parameters
    ----------
    path : str or os.PathLike
        The record path without extension (``"mitdb/100"``).
    extension : str, optional
        The annotator: the file read is ``path + "." + extension``.  Default
        ``"atr"`` (reference annotations).

    Returns
    -------
    Annotations
        One entry per annotation, in file order, with the values ``rdann`` prints.

    Raises
    ------
    TypeError
        If `path` or `extension` has the wrong type.
    ValueError
        If the file is missing, empty, truncated (it must end with the 0 word), or
        is an AHA-format file.

    Notes
    -----
    Pseudo-annotations are handled as the WFDB library's ``getann`` does: SKIP
    (code 59) adds its 32-bit value to the running time; NUM (60) and CHN (62) set
    `num` and `chan` of this and all later annotations; SUB (61) sets the subtype
    and AUX (63) the aux text of the annotation before it.

    Header annotations are read and dropped as ``rdann`` does: the leading NOTE
    annotations at time 0 with subtype 0.  Their aux text may state the time
    resolution (``## time resolution: 500`` gives `Annotations.fs`) or redefine
    a code's mnemonic (``code mnemonic [description]``).  If the annotation after
    them has code 0 (a filler some writers put at time 0), the WFDB library loses
    it, and so does this reader.

    Sample numbers are returned as stored.  ``rdann`` converts them from the
    file's time resolution to the record's frame rate when the file states one;
    `Annotations.samples_at` does the same conversion.

    Examples
    --------
    The reference annotations of the shipped excerpt of MIT-BIH record 100:

    >>> from pathlib import Path
    >>> import heartbeat
    >>> ann = read_annotations(Path(heartbeat.__file__).parent / "data" / "100", "atr")
    >>> ann
    Annotations(record='100', extension='atr', n=149, fs=None)
    >>> ann.sample[:3], ann.symbol[:3], ann.aux_note[:2]
    (array([ 18,  77, 370]), array(['+', 'N', 'N'], dtype='<U1'), array(['(N', ''], dtype='<U2'))
    """
    base = _record_paths(path, "path")
    if not isinstance(extension, str) or not extension or extension.startswith("."):
        raise (TypeError if not isinstance(extension, str) else ValueError)(
            f"extension must be an annotator name such as 'atr' (no dot), got {extension!r}"
        )
    file = Path(f"{base}.{extension}")
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"annotation file {str(file)!r} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"annotation file {str(file)!r} is a directory") from None
    where = str(file)
    if len(data) < 2:
        raise ValueError(f"annotation file {where!r} is empty or truncated ({len(data)} bytes)")
    if data[0] == 0 and chr(data[1]) in _AHA_CODES:
        # An AHA-format file starts with a null byte and an AHA code that maps to
        # a beat or event; an MIT-format file cannot (annopen and ammap in the
        # WFDB library use this test).
        raise ValueError(f"{where!r} looks like an AHA-format annotation file, not supported")
    words = np.frombuffer(data[: len(data) // 2 * 2], "<u2").tolist()
    n_words = len(words)

    samples: list[int] = []
    codes: list[int] = []
    subtypes: list[int] = []
    chans: list[int] = []
    nums: list[int] = []
    auxes: list[bytes] = []
    time = 0
    chan = num = 0
    pos = 0

    def truncated(what: str) -> ValueError:
        return ValueError(
            f"annotation file {where!r} is truncated: {what} at byte {2 * pos} "
            f"(the file has {len(data)} bytes and must end with a 0 word)"
        )

    def read_skip(p: int) -> int:
        if p + 2 >= n_words:
            raise truncated("a SKIP lacks its 4-byte interval")
        step = (words[p + 1] << 16) | words[p + 2]  # high 16-bit word first
        return step - (1 << 32) if step >= 1 << 31 else step

    # SKIPs before the first annotation move its time.
    while pos < n_words and words[pos] >> _CODE_SHIFT == _SKIP:
        time += read_skip(pos)
        pos += 3
    while True:
        if pos >= n_words:
            raise truncated("no end-of-file word (0)")
        word = words[pos]
        if word == 0:
            break
        time += word & _DATA_MASK
        samples.append(time)
        codes.append(word >> _CODE_SHIFT)
        subtype, aux = 0, b""
        pos += 1
        while pos < n_words and words[pos] >> _CODE_SHIFT >= _SKIP:
            word = words[pos]
            code, value = word >> _CODE_SHIFT, word & _DATA_MASK
            if code == _SKIP:
                time += read_skip(pos)
                pos += 3
                continue
            if code == _SUB:
                subtype = value
            elif code == _CHN:
                chan = value
            elif code == _NUM:
                num = value
            else:  # _AUX: length byte, then the text padded to an even length
                length = word & 0xFF
                start = 2 * pos + 2
                if start + length > len(data):
                    raise truncated(f"an aux string of {length} bytes is cut short")
                aux = data[start : start + length]
                pos += 1 + (length + 1) // 2
                continue
            pos += 1
        subtypes.append(subtype)
        chans.append(chan)
        nums.append(num)
        auxes.append(aux)

    aux_text = [a.split(b"\0", 1)[0].decode("latin-1") for a in auxes]
    sample = np.asarray(samples, np.int64)
    code = np.asarray(codes, np.int16)
    # WFDB_Annotation holds subtyp and num as signed char and chan as unsigned
    # char; the 10-bit stored values wrap as they do in C.
    subtype_arr = np.asarray(subtypes, np.int64).astype(np.uint8).view(np.int8)
    chan_arr = np.asarray(chans, np.int64).astype(np.uint8)
    num_arr = np.asarray(nums, np.int64).astype(np.uint8).view(np.int8)

    # Header annotations, as get_ann_table in annot.c reads them: leading NOTEs
    # at time 0 with subtype 0 are consumed (rdann does not print them); their aux
    # text may state the time resolution or redefine a code's mnemonic.  The
    # annotation that ends them is pushed back, which the WFDB library silently
    # loses when its code is 0 (a filler some writers put at time 0).
    table = list(ANNOTATION_SYMBOLS)
    fs = None
    first = 0
    while (
        first < len(samples)
        and samples[first] == 0
        and codes[first] == _NOTE
        and subtypes[first] == 0
    ):
        text = aux_text[first]
        if text.startswith("## time resolution:"):
            m = re.match(r"\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)", text[19:])
            if m is not None and float(m[1]) > 0:
                fs = float(m[1])
        elif not text.startswith("#"):
            m = re.match(r"[ \t]*(\d+)[^ \t]*[ \t]+([^ \t]+)", text)
            if m is not None and 0 <= int(m[1]) <= _ACMAX:
                table[int(m[1])] = m[2]
        first += 1
    if first and first < len(samples) and codes[first] == 0:
        first += 1
    keep = slice(first, None)
    symbols = [table[c] if c <= _ACMAX else f"[{c}]" for c in codes[keep]]
    aux_text = aux_text[keep]
    return Annotations(
        record=base.name,
        extension=extension,
        sample=sample[keep],
        code=code[keep],
        symbol=np.asarray(symbols, dtype=str) if symbols else np.zeros(0, "<U1"),
        subtype=subtype_arr[keep],
        chan=chan_arr[keep],
        num=num_arr[keep],
        aux_note=np.asarray(aux_text, dtype=str) if aux_text else np.zeros(0, "<U1"),
        fs=fs,
    )
