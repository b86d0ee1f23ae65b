"""The signal entries refuse absurd sampling frequencies and inputs at once.

Each case is one line of an independent campaign against ``segment``, ``classify``,
``detect_r_peaks`` and ``resample``: before the checks it ended in MemoryError inside
a compiled loop, OverflowError, a 10 s wait, or a mask silently ignored.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import heartbeat
from heartbeat._validate import FS_MAX, FS_MIN, MAX_SAMPLES, as_fs, as_signal
from heartbeat.resample import resample

ENTRIES = {
    "segment": lambda x, fs: heartbeat.segment(x, fs),
    "classify": lambda x, fs: heartbeat.classify(x, fs),
    "detect_r_peaks": lambda x, fs: heartbeat.detect_r_peaks(x, fs),
    "resample": lambda x, fs: resample(x, fs, 125.0),
}


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize(("fs", "side"), [(1e10, "high"), (1e100, "high"), (20000.5, "high"),
                                          (5e-324, "low"), (1e-9, "low"), (0.01, "low"),
                                          (0.49, "low")])
def test_fs_outside_the_supported_range_is_refused_at_once(entry, fs, side):
    with pytest.raises(ValueError, match=rf"^{re.escape(f'fs={fs!r}')} is too {side}: "
                                         r"heartbeat supports sampling frequencies from "
                                         r"0\.5 to 20000 Hz"):
        ENTRIES[entry](np.zeros(1000), fs)


def test_range_ends_are_accepted():
    assert (as_fs(FS_MIN), as_fs(FS_MAX)) == (0.5, 20000.0)
    x = np.sin(np.arange(2000) / 10.0)
    assert heartbeat.detect_r_peaks(x, FS_MIN).dtype == np.int64
    assert heartbeat.detect_r_peaks(x, FS_MAX).dtype == np.int64


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_masked_signal_is_refused_not_unmasked(entry):
    x = np.ma.masked_array(np.zeros(3600), mask=np.arange(3600) % 2 == 0)
    with pytest.raises(TypeError, match=r"is a masked array, whose mask would be ignored"):
        ENTRIES[entry](x, 360.0)


def test_length_bound_is_checked_before_any_copy():
    huge = np.broadcast_to(np.float64(0.0), (MAX_SAMPLES + 1,))  # no memory behind it
    with pytest.raises(ValueError, match=r"signal has 2147483648 samples, more than the"):
        as_signal(huge, "signal")
