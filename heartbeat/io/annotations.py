"""WFDB annotation files (annotation(5)): `Annotations` and `read_annotations`.

A file is a stream of little-endian 16-bit words; each word holds a 6-bit code
(bits 10-15) and 10 bits of data (bits 0-9).  For an annotation (code 1-49) the data
is the time since the previous annotation; codes 59-63 are pseudo-annotations that
modify the annotation before them (or the time of the next one); the word 0 ends
the file.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from heartbeat._validate import as_fs as _as_fs
from heartbeat.io.header import _read_at_most, _record_paths

_CODE_SHIFT = 10
_DATA_MASK = 0x3FF
_SKIP = 59  # the next 4 bytes hold a signed 32-bit time step (high 16-bit word first)
_NUM = 60  # data = the annotator number `num` of this and later annotations
_SUB = 61  # data = the subtype of this annotation
_CHN = 62  # data = the channel `chan` of this and later annotations
_AUX = 63  # data (low 8 bits) = length of the aux string that follows (padded to even)
_ACMAX = 49  # largest annotation code with a standard mnemonic
_AHA_CODES = "EFNOPQRUV"  # AHA codes that ammap (ecgmap.h) maps to a real MIT code
#: Largest annotation file read (a day of beats takes about 300 kB).
_MAX_FILE_BYTES = 64 << 20
_NOTE = 22  # comment annotation; at time 0 it may carry a header line ("## ...")

# One decoded annotation: (sample, code, subtype, chan, num, aux text), the stored
# 10-bit fields of the WFDB library's WFDB_Annotation before they wrap to its C types.
_Row = tuple[int, int, int, int, int, str]

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
    message = f"extension must be an annotator name such as 'atr' (no dot), got {extension!r}"
    if not isinstance(extension, str):
        raise TypeError(message)
    if not extension or extension.startswith("."):
        raise ValueError(message)
    return _read_annotations(base, extension)


def _read_annotations(base: Path, extension: str) -> Annotations:
    """Read the annotation file ``base.extension`` (arguments checked by the caller)."""
    file = Path(f"{base}.{extension}")
    rows = list(_annotation_rows(_read_mit_file(file), str(file)))
    first, fs, table = _header_annotations(rows, str(file))
    return _annotations(rows[first:], table, fs, base.name, extension)


def _read_mit_file(file: Path) -> bytes:
    """Return the bytes of an MIT-format annotation file, refusing missing and AHA files."""
    where = str(file)
    data = _read_at_most(file, "annotation file", _MAX_FILE_BYTES)
    if len(data) > _MAX_FILE_BYTES:
        raise ValueError(f"annotation file {where!r} is larger than {_MAX_FILE_BYTES} bytes "
                         "(tens of millions of annotations); split the record first")
    if len(data) < 2:
        raise ValueError(f"annotation file {where!r} is empty or truncated ({len(data)} bytes)")
    if data[0] == 0 and chr(data[1]) in _AHA_CODES:
        # An AHA-format file starts with a null byte and an AHA code that maps to
        # a beat or event; an MIT-format file cannot (annopen and ammap in the
        # WFDB library use this test).
        raise ValueError(f"{where!r} looks like an AHA-format annotation file, not supported")
    return data


def _annotation_rows(data: bytes, where: str) -> Iterator[_Row]:
    """Yield one row ``(sample, code, subtype, chan, num, aux)`` per annotation.

    The pseudo-annotations (codes 59-63) are applied as the WFDB library's
    ``getann`` applies them (see `read_annotations`) and yield no row of their own.
    `where` names the file in errors.
    """
    words = np.frombuffer(data[: len(data) // 2 * 2], "<u2").tolist()
    n_words = len(words)

    def truncated(what: str, pos: int) -> ValueError:
        return ValueError(
            f"annotation file {where!r} is truncated: {what} at byte {2 * pos} "
            f"(the file has {len(data)} bytes and must end with a 0 word)"
        )

    def skip_at(pos: int) -> int:
        """Return the signed 32-bit time step of the SKIP word at `pos`."""
        if pos + 2 >= n_words:
            raise truncated("a SKIP lacks its 4-byte interval", pos)
        step = (words[pos + 1] << 16) | words[pos + 2]  # high 16-bit word first
        return step - (1 << 32) if step >= 1 << 31 else step

    time = chan = num = pos = 0
    # SKIPs before the first annotation move its time.
    while pos < n_words and words[pos] >> _CODE_SHIFT == _SKIP:
        time += skip_at(pos)
        pos += 3
    while True:
        if pos >= n_words:
            raise truncated("no end-of-file word (0)", pos)
        word = words[pos]
        if word == 0:
            return
        time += word & _DATA_MASK
        sample, code = time, word >> _CODE_SHIFT
        subtype, aux = 0, b""
        pos += 1
        while pos < n_words and words[pos] >> _CODE_SHIFT >= _SKIP:
            word = words[pos]
            kind, value = word >> _CODE_SHIFT, word & _DATA_MASK
            if kind == _SKIP:  # moves the time of the next annotation
                time += skip_at(pos)
                pos += 3
            elif kind == _AUX:  # length byte, then the text padded to an even length
                length = word & 0xFF
                start = 2 * pos + 2
                if start + length > len(data):
                    raise truncated(f"an aux string of {length} bytes is cut short", pos)
                aux = data[start : start + length]
                pos += 1 + (length + 1) // 2
            else:
                if kind == _SUB:
                    subtype = value
                elif kind == _CHN:
                    chan = value
                else:  # _NUM
                    num = value
                pos += 1
        text = aux.split(b"\0", 1)[0].decode("latin-1") if aux else ""
        yield sample, code, subtype, chan, num, text


def _header_annotations(rows: list[_Row], where: str
                        ) -> tuple[int, float | None, list[str]]:
    """Read the header annotations at the start of `rows` as ``get_ann_table`` does.

    Leading NOTEs at time 0 with subtype 0 are consumed (``rdann`` does not print
    them); their aux text may state the time resolution or redefine a code's
    mnemonic.  The annotation that ends them is pushed back, which the WFDB library
    silently loses when its code is 0 (a filler some writers put at time 0).

    Returns
    -------
    first : int
        Index of the first annotation to keep.
    fs : float or None
        The time resolution stated, in Hz.
    table : list of str
        The mnemonic of each code 0-49, with the file's redefinitions.
    """
    table = list(ANNOTATION_SYMBOLS)
    fs = None
    first = 0
    while first < len(rows) and _is_header_note(rows[first]):
        text = rows[first][5]
        if text.startswith("## time resolution:"):
            m = re.match(r"\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)", text[19:])
            value = float(m[1]) if m is not None and len(m[1]) <= 40 else 0.0
            if value > 0:
                fs = _time_resolution(value, m[1], where)
        elif not text.startswith("#"):
            m = re.match(r"[ \t]*(\d{1,9})[^ \t]*[ \t]+([^ \t]+)", text)
            if m is not None and 0 <= int(m[1]) <= _ACMAX:
                table[int(m[1])] = m[2]
        first += 1
    if first and first < len(rows) and rows[first][1] == 0:
        first += 1
    return first, fs, table


def _time_resolution(value: float, text: str, where: str) -> float:
    """Return a stated time resolution in Hz, refusing one no clock has."""
    if not 1e-3 <= value <= 1e9:
        raise ValueError(f"annotation file {where!r} states a time resolution of {text} Hz; "
                         "a readable file states 1e-3 to 1e9 Hz")
    return value


def _is_header_note(row: _Row) -> bool:
    sample, code, subtype, *_ = row
    return sample == 0 and code == _NOTE and subtype == 0


def _annotations(rows: list[_Row], table: list[str], fs: float | None, record: str,
                 extension: str) -> Annotations:
    """Build `Annotations` from decoded rows, with the mnemonics of `table`."""
    sample, code, subtype, chan, num, aux = zip(*rows, strict=True) if rows else ((),) * 6
    symbols = [table[c] if c <= _ACMAX else f"[{c}]" for c in code]
    return Annotations(
        record=record,
        extension=extension,
        sample=np.asarray(sample, np.int64),
        code=np.asarray(code, np.int16),
        symbol=np.asarray(symbols, dtype=str) if symbols else np.zeros(0, "<U1"),
        # WFDB_Annotation holds subtyp and num as signed char and chan as unsigned
        # char; the 10-bit stored values wrap as they do in C.
        subtype=np.asarray(subtype, np.int64).astype(np.uint8).view(np.int8),
        chan=np.asarray(chan, np.int64).astype(np.uint8),
        num=np.asarray(num, np.int64).astype(np.uint8).view(np.int8),
        aux_note=np.asarray(aux, dtype=str) if aux else np.zeros(0, "<U1"),
        fs=fs,
    )
