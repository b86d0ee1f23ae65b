"""Read ECG from files: PhysioNet WFDB records and annotations with NumPy alone.

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

Beside the WFDB reader, `load_channel` reads one channel (by number or name, with
its name) from a WFDB record, a ``.npy`` or a CSV file, and `load_signal` its samples
and rate (`inputs`); `load_example` the excerpts shipped in
``heartbeat/data`` (`examples`), and `download` fetches a PhysioNet database with
its checksums verified (`physionet`; loaded on first use, with urllib).

Modules
    `header` (header lines, `Record`), `formats` (the storage formats and their
    decoders), `signals` (`read_record`, `read_header`), `annotations`
    (`Annotations`, `read_annotations`), `inputs`, `examples`, `physionet`.  The old
    module paths ``heartbeat.wfdb`` (this package), ``heartbeat.inputs``,
    ``heartbeat.examples`` and ``heartbeat.download`` (now `physionet`) still import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from heartbeat.io.annotations import ANNOTATION_SYMBOLS, Annotations, read_annotations
from heartbeat.io.examples import Example, load_example
from heartbeat.io.formats import SUPPORTED_FORMATS
from heartbeat.io.header import DEFAULT_ADC_RES as DEFAULT_ADC_RES  # public, not in __all__
from heartbeat.io.header import DEFAULT_FS as DEFAULT_FS  # public, not in __all__
from heartbeat.io.header import (
    DEFAULT_GAIN,
    INVALID_SAMPLE,
    Record,
)
from heartbeat.io.inputs import EcgChannel, load_channel, load_signal
from heartbeat.io.signals import read_header, read_record

if TYPE_CHECKING:  # pragma: no cover - loaded on first use by __getattr__ below
    from heartbeat.io.physionet import DownloadResult as DownloadResult
    from heartbeat.io.physionet import download as download

__all__ = [
    "ANNOTATION_SYMBOLS",
    "DEFAULT_GAIN",
    "INVALID_SAMPLE",
    "SUPPORTED_FORMATS",
    "Annotations",
    "DownloadResult",
    "EcgChannel",
    "Example",
    "Record",
    "download",
    "load_channel",
    "load_example",
    "load_signal",
    "read_annotations",
    "read_header",
    "read_record",
]


def __getattr__(name: str) -> Any:
    # the downloader brings urllib: loaded when first asked for, not by every reader
    if name in ("download", "DownloadResult"):
        from heartbeat.io import physionet

        return getattr(physionet, name)
    raise AttributeError(f"module 'heartbeat.io' has no attribute {name!r}")
