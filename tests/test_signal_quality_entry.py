"""``signal_quality.quality_on_peaks``: the package's internal entry (detect, segment)."""

from __future__ import annotations

import numpy as np
import pytest

from heartbeat import _jit
from heartbeat.detect import _detect
from heartbeat.signal_quality import quality, quality_on_peaks

BACKENDS = ["numpy", "numba"] if _jit.numba_available() else ["numpy"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_detectors_peaks_give_quality_bit_for_bit(mitdb_dir, backend):
    from heartbeat import io as wfdb

    # 105 lead 1 from 16:40 to 23:20: noisy stretches, some of them unreadable
    x = np.asarray(wfdb.read_record(mitdb_dir / "105").signal, dtype=np.float64)
    x = np.ascontiguousarray(x[360_000:504_000, 1])
    peaks = _detect(x, 360.0, "robust", backend)
    got = quality_on_peaks(x, 360.0, peaks, 720, 2160)
    want = quality(x, 360.0)
    np.testing.assert_array_equal(got.index, want.index)
    np.testing.assert_array_equal(got.measures, want.measures)
    assert (got.index < 0.002).any() and (got.index > 0.5).any()


def test_other_peaks_give_another_index():
    fs = 250.0
    t = np.arange(int(30 * fs)) / fs
    ecg = np.exp(-(((t % 0.8) - 0.4) ** 2) / (2 * 0.01**2))
    own = _detect(ecg, fs, "robust", "numpy")
    own = own[own + 100 < ecg.size]
    shifted = quality_on_peaks(ecg, fs, own + 100, 500, 1500)  # 0.4 s off every beat
    assert (shifted.index < quality_on_peaks(ecg, fs, own, 500, 1500).index).all()
