"""heartbeat: classified heartbeats from raw ECG with NumPy and Numba.

>>> import heartbeat
>>> record = heartbeat.load_example("100")
>>> beats = heartbeat.segment(record.signal[:, 0], record.fs)
>>> beats.waveforms.shape[1]
187

Submodules and names are imported on first use, so ``import heartbeat`` stays fast
and needs NumPy alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from heartbeat import _moved

__version__ = "0.1.0"

_moved.install()  # old module paths (heartbeat.wfdb, heartbeat.train, ...) still import

# public name -> module that defines it
_EXPORTS = {
    "segment": "pipeline",
    "Beats": "pipeline",
    "read_record": "io",
    "read_annotations": "io",
    "Record": "io",
    "Annotations": "io",
    "detect_r_peaks": "detect",
    "load_example": "io",
    "BeatClassifier": "classifier",
    "ClassifiedBeats": "classifier",
    "classify": "classifier",
    "quality": "signal_quality",
    "SignalQuality": "signal_quality",
    "Stream": "stream",
}
_SUBMODULES = {
    "io", "resample", "detect", "pipeline", "metrics", "context", "datasets", "nn",
    "training", "windows", "classifier", "stream", "export", "cli", "aami",
    "signal_quality", "noise",
    # 0.1 names, bound to their new homes by heartbeat._moved
    "wfdb", "examples", "features", "train",
}

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"heartbeat.{_EXPORTS[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"heartbeat.{name}")
    raise AttributeError(f"module 'heartbeat' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from heartbeat.classifier import BeatClassifier as BeatClassifier
    from heartbeat.classifier import ClassifiedBeats as ClassifiedBeats
    from heartbeat.classifier import classify as classify
    from heartbeat.detect import detect_r_peaks as detect_r_peaks
    from heartbeat.io import Annotations as Annotations
    from heartbeat.io import Record as Record
    from heartbeat.io import load_example as load_example
    from heartbeat.io import read_annotations as read_annotations
    from heartbeat.io import read_record as read_record
    from heartbeat.pipeline import Beats as Beats
    from heartbeat.pipeline import segment as segment
    from heartbeat.signal_quality import SignalQuality as SignalQuality
    from heartbeat.signal_quality import quality as quality
    from heartbeat.stream import Stream as Stream
