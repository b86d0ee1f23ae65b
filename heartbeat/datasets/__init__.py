"""Labelled heartbeat sets from the raw MIT-BIH records, splits, and the Kaggle CSV files.

* :func:`mitbih_beats` cuts every annotated (or detected) beat of MIT-BIH with the
  Kachuee 2018 pipeline (125 Hz, 1.2 T crop, zero-padded to 187 samples) and labels
  it with its AAMI EC57 class -> :class:`BeatSet`.
* :func:`mitbih_windows` takes ±2 s of raw signal at 360 Hz around every annotated
  beat, labelled normal / abnormal -> :class:`WindowSet`.
* :data:`DS1` / :data:`DS2` (de Chazal 2004), :func:`inter_patient_split` and the
  seeded :func:`train_test_split` divide either set.
* :func:`load_kaggle_mitbih` and :func:`load_kaggle_ptb` read the published Kaggle
  "heartbeat" CSV files.
* :func:`download` fetches MIT-BIH from PhysioNet, verified.

Every function that loops over records takes ``executor=`` (any
:class:`concurrent.futures.Executor`, e.g. a Dask ``Client.get_executor()``) and
``cache_dir=`` (built sets are stored as ``.npz`` keyed by their parameters).

``heartbeat summary DATA_DIR`` (or ``python -m heartbeat.datasets summary DATA_DIR``)
prints the class counts of the whole database.

The package, one module per purpose (names are imported on first use, so taking the
set classes does not load the builders):

==========  ===========================================================================
sets        :class:`BeatSet`, :class:`WindowSet`, :func:`concatenate`
mitbih      :data:`RECORDS`, :data:`DS1`, :data:`DS2`, :data:`PACED`, the record
            checks, the on-disk cache, :func:`mitbih_beats`
windows     :func:`mitbih_windows`
splits      :class:`Split`, :func:`train_test_split`, :func:`inter_patient_split`
folder      :func:`wfdb_beats` (any folder of annotated WFDB records), :func:`find_records`
kaggle      :func:`load_kaggle_mitbih`, :func:`load_kaggle_ptb`
parallel    :func:`~heartbeat.datasets.parallel.map_records` (serial or any executor)
==========  ===========================================================================

:func:`rr_features` lives in :mod:`heartbeat.context` (what surrounds a beat) and is
re-exported here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "DS1",
    "DS2",
    "KAGGLE_MITBIH_COUNTS",
    "PACED",
    "PTB_CLASSES",
    "RECORDS",
    "WINDOW_CLASSES",
    "BeatSet",
    "DownloadResult",
    "Split",
    "WindowSet",
    "concatenate",
    "download",
    "find_records",
    "inter_patient_split",
    "load_kaggle_mitbih",
    "load_kaggle_ptb",
    "mitbih_beats",
    "mitbih_windows",
    "rr_features",
    "train_test_split",
    "wfdb_beats",
]

# public name -> module that defines it
_EXPORTS = {
    "BeatSet": "heartbeat.datasets.sets",
    "WindowSet": "heartbeat.datasets.sets",
    "WINDOW_CLASSES": "heartbeat.datasets.sets",
    "concatenate": "heartbeat.datasets.sets",
    "RECORDS": "heartbeat.datasets.mitbih",
    "PACED": "heartbeat.datasets.mitbih",
    "DS1": "heartbeat.datasets.mitbih",
    "DS2": "heartbeat.datasets.mitbih",
    "PEAK_SOURCES": "heartbeat.datasets.mitbih",
    "mitbih_beats": "heartbeat.datasets.mitbih",
    "mitbih_windows": "heartbeat.datasets.windows",
    "wfdb_beats": "heartbeat.datasets.folder",
    "find_records": "heartbeat.datasets.folder",
    "Split": "heartbeat.datasets.splits",
    "train_test_split": "heartbeat.datasets.splits",
    "inter_patient_split": "heartbeat.datasets.splits",
    "KAGGLE_MITBIH_COUNTS": "heartbeat.datasets.kaggle",
    "PTB_CLASSES": "heartbeat.datasets.kaggle",
    "BEAT_SAMPLES": "heartbeat.datasets.kaggle",
    "KAGGLE_COLUMNS": "heartbeat.datasets.kaggle",
    "load_kaggle_mitbih": "heartbeat.datasets.kaggle",
    "load_kaggle_ptb": "heartbeat.datasets.kaggle",
    "rr_features": "heartbeat.context",
    "download": "heartbeat.io.physionet",
    "DownloadResult": "heartbeat.io.physionet",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'heartbeat.datasets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from heartbeat.context import rr_features as rr_features
    from heartbeat.datasets.folder import find_records as find_records
    from heartbeat.datasets.folder import wfdb_beats as wfdb_beats
    from heartbeat.datasets.kaggle import BEAT_SAMPLES as BEAT_SAMPLES
    from heartbeat.datasets.kaggle import KAGGLE_COLUMNS as KAGGLE_COLUMNS
    from heartbeat.datasets.kaggle import KAGGLE_MITBIH_COUNTS as KAGGLE_MITBIH_COUNTS
    from heartbeat.datasets.kaggle import PTB_CLASSES as PTB_CLASSES
    from heartbeat.datasets.kaggle import load_kaggle_mitbih as load_kaggle_mitbih
    from heartbeat.datasets.kaggle import load_kaggle_ptb as load_kaggle_ptb
    from heartbeat.datasets.mitbih import DS1 as DS1
    from heartbeat.datasets.mitbih import DS2 as DS2
    from heartbeat.datasets.mitbih import PACED as PACED
    from heartbeat.datasets.mitbih import PEAK_SOURCES as PEAK_SOURCES
    from heartbeat.datasets.mitbih import RECORDS as RECORDS
    from heartbeat.datasets.mitbih import mitbih_beats as mitbih_beats
    from heartbeat.datasets.sets import WINDOW_CLASSES as WINDOW_CLASSES
    from heartbeat.datasets.sets import BeatSet as BeatSet
    from heartbeat.datasets.sets import WindowSet as WindowSet
    from heartbeat.datasets.sets import concatenate as concatenate
    from heartbeat.datasets.splits import Split as Split
    from heartbeat.datasets.splits import inter_patient_split as inter_patient_split
    from heartbeat.datasets.splits import train_test_split as train_test_split
    from heartbeat.datasets.windows import mitbih_windows as mitbih_windows
    from heartbeat.io.physionet import DownloadResult as DownloadResult
    from heartbeat.io.physionet import download as download
