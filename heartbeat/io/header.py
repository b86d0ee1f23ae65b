"""WFDB header files (header(5)): the line regexes, the parser and `Record`.

A header names the record, its sampling frequency and length, and one line per
signal (file, storage format, gain, ADC facts, checksum, description).  The parser
turns it into a private `_Header`; `Record` carries its fields to the user together
with the samples.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import os
import re
from pathlib import Path

import numpy as np

from heartbeat._validate import MissingFileError
from heartbeat.io.formats import _FORMATS, SUPPORTED_FORMATS

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


#: Bounds on a header's integer fields, far beyond any real record and small enough
#: that no arithmetic on them overflows and no allocation they imply is absurd.
_INT_BOUNDS: dict[str, tuple[int, int]] = {
    "number of signals": (0, 4096),
    "number of samples": (0, 2**40),  # 35 years at 1 kHz
    "samples per frame": (1, 1024),
    "skew": (0, 2**31 - 1),
    "byte offset": (0, 2**48),
    "baseline": (-(2**31), 2**31 - 1),
    "ADC resolution": (0, 64),
    "ADC zero": (-(2**31), 2**31 - 1),
    "initial value": (-(2**31), 2**31 - 1),
    "checksum": (-(2**63), 2**63 - 1),
    "block size": (0, 2**31 - 1),
}
#: Largest magnitude of a gain (ADC units per physical unit) and smallest nonzero
#: one: samples of up to 32 bits then convert to finite, nonzero physical values.
_GAIN_MAX = 1e30
_GAIN_MIN = 1e-30
_MAX_HEADER_BYTES = 16 << 20
_MAX_DIGITS = 40  # no header number needs more; Python refuses > 4300 itself


def _int(text: str, what: str, where: str) -> int:
    if len(text.lstrip("+-")) > _MAX_DIGITS:
        raise ValueError(f"{where}: {what} has {len(text)} characters, too long for a "
                         f"header number ({text[:20]!r}...)")
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{where}: {what} must be an integer, got {text!r}") from None
    low, high = _INT_BOUNDS.get(what, (-(2**63), 2**63 - 1))
    if not low <= value <= high:
        raise ValueError(f"{where}: {what} {value} is out of range (must lie within "
                         f"[{low}, {high}])")
    return value


def _float(text: str, what: str, where: str) -> float:
    if len(text) > 4 * _MAX_DIGITS:
        raise ValueError(f"{where}: {what} has {len(text)} characters, too long for a "
                         f"header number ({text[:20]!r}...)")
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
    file_name = _file_name(parts[0], where)
    m = _RX_FORMAT.match(parts[1])
    if m is None:
        raise ValueError(
            f"{where}: cannot read format field {parts[1]!r} (expected e.g. 212, 212x4, "
            "212:3 or 16+512)"
        )
    fmt = int(m["fmt"]) if len(m["fmt"]) <= _MAX_DIGITS else -1
    if fmt not in _FORMATS:
        raise ValueError(
            f"{where}: storage format {fmt} is not supported "
            f"(supported: {', '.join(map(str, SUPPORTED_FORMATS))})"
        )
    spf, skew, offset = 1, 0, 0
    for kind, value in re.findall(r"([x:+])(\d+)", m["mods"]):
        if kind == "x":
            spf = max(_int(value, "samples per frame", where) if value.strip("0") else 1, 1)
        elif kind == ":":
            skew = _int(value, "skew", where)
        else:
            offset = _int(value, "byte offset", where)
    gain, baseline, units = 0.0, None, "mV"
    if len(parts) > 2:
        g = _RX_GAIN.match(parts[2])
        if g is None:
            raise ValueError(
                f"{where}: cannot read gain field {parts[2]!r} "
                "(expected gain[(baseline)][/units], e.g. 200(1024)/mV)"
            )
        gain = _gain(g["gain"], where)
        if g["baseline"] is not None:
            baseline = _int(g["baseline"], "baseline", where)
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


def _gain(text: str, where: str) -> float:
    """Return a signal line's gain: 0 (uncalibrated) or a magnitude the samples survive."""
    gain = _float(text, "gain", where)
    if gain != 0 and not _GAIN_MIN <= abs(gain) <= _GAIN_MAX:
        raise ValueError(f"{where}: gain {text!r} is out of range: it must be 0 "
                         f"(uncalibrated) or of magnitude {_GAIN_MIN:g} to {_GAIN_MAX:g} ADC "
                         "units per physical unit")
    return gain


def _file_name(text: str, where: str) -> str:
    """Return a signal line's file name, refusing names no file can have."""
    if "\0" in text or text in (".", "..") or text.endswith(("/", os.sep)) \
            or len(text) > 1024 or any(len(p) > 255 for p in re.split(r"[/\\]", text)):
        raise ValueError(f"{where}: signal file name {text[:60]!r} is not a file name")
    return text


def _parse_header(hea: Path) -> _Header:
    """Parse the header file `hea`; raise ValueError naming the file and line if malformed."""
    where = str(hea)
    comments, lines = _header_lines(hea)
    if not lines:
        raise ValueError(f"{where}: header holds no record line")
    number, record_line = lines[0]
    at = f"{where}, line {number}"
    m = _RX_RECORD.match(record_line.strip())
    if m is None or m["nsig"] is None:
        raise ValueError(
            f"{at}: cannot read record line {record_line.strip()!r} "
            "(expected 'name n_signals [fs [n_samples [time [date]]]]')"
        )
    if m["segments"] is not None:
        raise ValueError(
            f"{where}: {m['name']!r} is a multi-segment record; multi-segment records "
            "are out of scope for heartbeat.io (read each segment's record instead)"
        )
    nsig = _int(m["nsig"], "number of signals", at)
    fields = _record_fields(m, at)
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
    return _Header(path=hea, name=m["name"], signals=signals, comments=tuple(comments),
                   **fields)


def _read_at_most(path: Path, what: str, limit: int) -> bytes:
    """Return up to ``limit + 1`` bytes of `path` (so the caller sees an oversized file).

    A missing file is a :class:`MissingFileError` (FileNotFoundError and ValueError),
    a folder or an unreadable file a ValueError, each naming `what` and the path.
    """
    try:
        with open(path, "rb") as fh:
            return fh.read(limit + 1)
    except FileNotFoundError:
        raise MissingFileError(f"{what} {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"{what} {str(path)!r} is a directory") from None
    except OSError as exc:
        raise ValueError(f"{what} {str(path)!r} cannot be read: {exc.strerror}") from None


def _header_lines(hea: Path) -> tuple[list[str], list[tuple[int, str]]]:
    """Return the comments of `hea` and its other non-blank lines with their numbers."""
    raw = _read_at_most(hea, "header file", _MAX_HEADER_BYTES)
    if len(raw) > _MAX_HEADER_BYTES:
        raise ValueError(f"header file {str(hea)!r} is larger than {_MAX_HEADER_BYTES} "
                         "bytes: not a WFDB header")
    comments: list[str] = []
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(raw.decode("latin-1").split("\n"), 1):
        line = line.rstrip("\r")  # CRLF or LF
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            comments.append(stripped[1:].strip())
            continue
        lines.append((number, line))
    return comments, lines


def _record_fields(m: re.Match[str], at: str) -> dict[str, object]:
    """Return the `_Header` fields after the signal count, from a `_RX_RECORD` match."""
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
        if n_samples == 0:
            n_samples = None  # 0 means "not stated", as in the WFDB library
    base_time = _parse_time(m["base_time"], at) if m["base_time"] else None
    base_date = _parse_date(m["base_date"], at) if m["base_date"] else None
    return {
        "fs": fs,
        "counter_fs": counter_fs,
        "base_counter": base_counter,
        "n_samples": n_samples,
        "base_time": base_time,
        "base_date": base_date,
    }


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
    if "\0" in text:
        raise ValueError(f"{name}={text!r} holds a NUL character; no file has such a name")
    if text.endswith(".hea"):
        text = text[:-4]
    return Path(text)

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
