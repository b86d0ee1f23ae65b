"""What the benchmark scripts share: where the data is, and running on one core."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def data_root() -> Path:
    """The real-data folder: $HEARTBEAT_DATA, else ../shared/data beside the repo."""
    env = os.environ.get("HEARTBEAT_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def default_mitdb() -> Path:
    """The MIT-BIH Arrhythmia Database folder under :func:`data_root`."""
    return data_root() / "mitdb"


def pin_one_core() -> str:
    """Pin this process to one CPU where the OS allows it; say what happened."""
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned (the OS does not allow it)"


def nearest(reference: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Index into sorted `reference` (at least 2 values) of each peak's nearest value."""
    right = np.clip(np.searchsorted(reference, peaks), 1, reference.size - 1)
    left = right - 1
    return np.where(np.abs(reference[left] - peaks) <= np.abs(reference[right] - peaks),
                    left, right)
