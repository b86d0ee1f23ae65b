"""The real ECG excerpts shipped inside the package (MIT-BIH records 100 and 208).

See ``heartbeat/data/README.md`` for their provenance and licence (ODC-By 1.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heartbeat.io.annotations import Annotations, _read_annotations
from heartbeat.io.header import Record
from heartbeat.io.signals import _read

# the shipped data stays at heartbeat/data, beside the package folders
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
EXAMPLES: tuple[str, ...] = ("100", "208")
ATTRIBUTION = (
    "MIT-BIH Arrhythmia Database (PhysioNet), ODC-By 1.0. Moody GB, Mark RG, IEEE Eng "
    "in Med and Biol 20(3):45-50 (2001); Goldberger AL et al., Circulation "
    "101(23):e215-e220 (2000)."
)


@dataclass(frozen=True)
class Example:
    """A shipped record with its reference annotations.

    Attributes
    ----------
    name : str
        Record name (``"100"`` or ``"208"``).
    record : Record
        The signals: 120 s, two channels at 360 Hz (channel 0 is MLII).
    annotations : Annotations
        The cardiologists' reference annotations (beats and rhythm).
    attribution : str
        The licence and citation to give with any use of the data.
    """

    name: str
    record: Record
    annotations: Annotations
    attribution: str = ATTRIBUTION

    @property
    def signal(self) -> np.ndarray:
        """Physical signal in mV, shape (n_samples, n_channels)."""
        return self.record.signal

    @property
    def fs(self) -> float:
        """Sampling frequency in Hz."""
        return self.record.fs


def example_path(name: str = "100") -> Path:
    """Return the WFDB record path (without extension) of a shipped example.

    Raises
    ------
    ValueError
        If `name` is not one of :data:`EXAMPLES`.
    """
    if name not in EXAMPLES:
        raise ValueError(f"unknown example {name=}; choose one of {', '.join(EXAMPLES)}")
    return DATA_DIR / name


def load_example(name: str = "100") -> Example:
    """Load a shipped real ECG excerpt with its reference annotations.

    Parameters
    ----------
    name : {"100", "208"}
        MIT-BIH record: ``"100"`` is mostly normal sinus rhythm, ``"208"`` has frequent
        premature ventricular contractions and fusion beats.

    Returns
    -------
    Example
        The first 120 s of the record (both channels, 360 Hz) and its annotations.

    Raises
    ------
    ValueError
        If `name` is not a shipped example.

    Examples
    --------
    >>> ex = load_example("208")
    >>> ex.fs, ex.signal.shape
    (360.0, (43200, 2))
    """
    path = example_path(name)
    return Example(name, _read(path, None, 0, None, False), _read_annotations(path, "atr"))
