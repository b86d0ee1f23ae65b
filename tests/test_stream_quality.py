"""heartbeat.stream_quality: one stretch's index equals the offline _quality's, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import heartbeat
from heartbeat.detect import _detect
from heartbeat.noise import read_noise
from heartbeat.signal_quality import _quality
from heartbeat.stream_quality import stretch_index

FS = 360.0
# (segment, context) in samples: the stream's 2 s in 6 s, and contexts that make the
# segments' windows differ (and their FFTs run as blocks of distinct rows)
SHAPES = ((720, 2160), (720, 2000), (500, 1800))


def _windows(x: np.ndarray, count: int) -> list[np.ndarray]:
    """Stretches of `x` of the lengths a stream meets (its first seconds: shorter)."""
    lengths = (2160, 2160, 2000, 1500, 720, 100, 3000)
    return [x[k * 413 : k * 413 + lengths[k % len(lengths)]].copy() for k in range(count)]


def _assert_same(x: np.ndarray) -> int:
    """Compare every stretch of `x` for each shape; return how many were compared."""
    peaks = _detect(x, FS, "robust", "auto")
    compared = 0
    for seg, ctx in SHAPES:
        offline = _quality(x, FS, seg, ctx, peaks).index
        for row in range(offline.size):
            one = stretch_index(x, FS, seg, ctx, peaks, row)
            assert np.float64(one).tobytes() == offline[row].tobytes(), (seg, ctx, row)
            compared += 1
    return compared


@pytest.mark.parametrize("record", ["105", "203", "207"])
def test_equals_offline_on_records(mitdb_dir, record):
    # noisy (105), multiform ventricular (203), flutter and blocks (207)
    x = heartbeat.read_record(mitdb_dir / record).signal[:, 0].astype(np.float64)
    assert sum(_assert_same(w) for w in _windows(x, 40)) > 300


def test_keeps_the_rounding_of_a_block_of_windows(mitdb_dir):
    # a window of record 105 where a kurtosis from ``m2 ** 2`` on a NumPy scalar (not
    # the block's ``m2 * m2``) moved the index by one unit in the last place
    x = heartbeat.read_record(mitdb_dir / "105").signal[:, 0].astype(np.float64)
    assert _assert_same(x[190 * 413 : 190 * 413 + 2160]) == 11


def test_equals_offline_under_noise_flat_and_clipped(mitdb_dir, nstdb_noise_dir):
    x = heartbeat.read_record(mitdb_dir / "100").signal[:, 0].astype(np.float64)
    noise, _ = read_noise(nstdb_noise_dir / "ma")
    scores = []
    for k, w in enumerate(_windows(x, 28)):
        if k % 4 == 1:  # muscle noise as large as the ECG
            w = w + 2.0 * noise[: w.size, 0] / noise[: w.size, 0].std() * w.std()
        elif k % 4 == 2 and w.size > 1200:  # a flat run: unusable
            w[300:1200] = w[300]
        elif k % 4 == 3:  # clipped at both ends
            w = np.clip(w, np.quantile(w, 0.1), np.quantile(w, 0.9))
        _assert_same(w)
        scores.append(stretch_index(w, FS, 720, 2160, _detect(w, FS, "robust", "auto"), 0))
    assert min(scores) == 0.0 and max(scores) > 0.5  # the cases above reach both ends


def test_matches_on_the_numpy_backend(mitdb_dir, monkeypatch):
    monkeypatch.setenv("NUMBA_DISABLE_JIT", "1")
    x = heartbeat.read_record(mitdb_dir / "208").signal[:2160 * 3, 0].astype(np.float64)
    windows = (x[:2160], x[2160:4320], x[1000:3160])
    assert sum(_assert_same(w) for w in windows) == 3 * (3 + 3 + 5)  # segments per shape
