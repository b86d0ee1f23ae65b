"""Tests for heartbeat/signal_quality_features.py: each measure on built and real signals."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import heartbeat
from heartbeat.signal_quality import UNREADABLE_BELOW
from heartbeat.signal_quality_features import (
    NAMES,
    measures,
    template_correlation,
    unusable,
    window_measures,
)

FS = 360.0
SEG, CTX = 720, 2160


def _column(name: str) -> int:
    return NAMES.index(name)


@pytest.fixture(scope="module")
def real_beat(mitdb_dir) -> np.ndarray:
    """One normal beat of MIT-BIH 100, lead 0 (0.8 s centred on its R peak)."""
    from heartbeat.io import read_annotations, read_record

    rec = read_record(mitdb_dir / "100", sampto=20 * 360)
    ann = read_annotations(mitdb_dir / "100")
    r = int(ann.sample[(ann.symbol == "N") & (ann.sample > 1000)][0])
    return rec.signal[r - 144: r + 144, 0].copy()


def _repeated(beat: np.ndarray, seconds: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """The beat repeated every 0.8 s: a clean periodic ECG, and its R peaks."""
    n = int(seconds * FS)
    reps = -(-n // beat.size)
    x = np.tile(beat - np.median(beat), reps)[:n]
    peaks = np.arange(144, n, beat.size, dtype=np.int64)
    return x, peaks


def _scaled(x: np.ndarray) -> np.ndarray:
    return x / np.abs(x).max()


class TestOnBuiltSignals:
    def test_repeated_real_beat_looks_clean(self, real_beat):
        x, peaks = _repeated(real_beat)
        values, valid = measures(_scaled(x), FS, SEG, CTX, peaks)
        assert valid.all() and values.shape == (15, len(NAMES))
        assert np.all(values[:, _column("template")] > 0.999)
        assert np.all(values[:, _column("kurtosis")] > 5)
        assert np.all(values[:, _column("agreement")] == 1.0)
        assert np.all(values[:, _column("qrs_to_noise")] > 10)
        assert np.all(values[:, _column("high_band")] < 0.2)  # white noise: about 6

    def test_white_noise_looks_like_noise(self):
        x = np.random.default_rng(0).standard_normal(int(30 * FS))
        base, kurt, qrs, high = window_measures(_scaled(x), np.arange(0, 8000, 720),
                                                CTX, FS)
        np.testing.assert_allclose(kurt, 3.0, atol=0.4)  # Gaussian
        # a flat spectrum: the bands' shares follow their widths (each window's
        # periodogram is noisy, their mean is not)
        np.testing.assert_allclose(qrs.mean(), 10 / 35, rtol=0.05)
        np.testing.assert_allclose(high.mean(), 60 / 10, rtol=0.05)
        assert np.all(high > 3)
        assert np.all(base > 0.95)  # almost nothing below 1 Hz
        peaks = np.arange(100, x.size, 288, dtype=np.int64)
        assert abs(np.mean(template_correlation(x, peaks, FS))) < 0.1

    def test_flat_and_clipped_stretches_are_unusable(self, real_beat):
        x, peaks = _repeated(real_beat)
        x[2000:4000] = x[2000]  # 5.6 s flat
        starts = np.arange(0, x.size, SEG)
        ends = np.minimum(starts + SEG, x.size)
        flat = unusable(x, starts, ends)
        assert flat[3:5].all() and not flat[:2].any() and not flat[6:].any()
        clipped = np.clip(x, None, np.quantile(x, 0.9))  # the top tenth cut flat
        assert unusable(clipped, starts, ends).all()
        values, valid = measures(_scaled(x), FS, SEG, CTX, peaks)
        assert not valid[3:5].any() and np.isnan(values[3:5]).all()

    def test_no_beat_in_the_context_cannot_be_scored(self, real_beat):
        x, peaks = _repeated(real_beat)
        values, valid = measures(_scaled(x), FS, SEG, CTX, peaks[peaks > 20 * FS])
        assert not valid[:5].any() and valid[-3:].all()
        assert np.isnan(values[:5]).all() and np.isfinite(values[-3:]).all()

    def test_measures_ignore_gain_and_polarity(self, real_beat):
        x, peaks = _repeated(real_beat)
        rng = np.random.default_rng(1)
        x = x + 0.05 * rng.standard_normal(x.size)
        ref, _ = measures(_scaled(x), FS, SEG, CTX, peaks)
        flipped, _ = measures(_scaled(-3.0 * x), FS, SEG, CTX, peaks)
        # the second detector's peaks move with the polarity; the spectral ones cannot
        for name in ("baseline", "kurtosis", "qrs_band", "high_band", "template"):
            np.testing.assert_allclose(flipped[:, _column(name)], ref[:, _column(name)],
                                       rtol=1e-9)

    def test_template_correlation_takes_the_twin_for_long_waveforms(self):
        # at 1 kHz a waveform has 241 samples: NumPy sums it in two blocks, the twin runs
        from heartbeat._quality_kernels import template_correlation_twin
        from heartbeat.signal_quality_features import moving_mean

        rng = np.random.default_rng(3)
        x = rng.standard_normal(40000)
        peaks = np.sort(rng.choice(np.arange(50, 39950), 300, replace=False))
        ref = np.empty(peaks.size)
        template_correlation_twin(x - moving_mean(x, 600), peaks, 120, ref)
        np.testing.assert_array_equal(template_correlation(x, peaks, 1000.0), ref)

    def test_high_band_is_empty_at_low_sampling_rates(self):
        x = np.random.default_rng(2).standard_normal(2000)
        _, _, _, high = window_measures(x, np.array([0, 500]), 750, 75.0)
        assert np.all(high == 0.0)


def _nst_stretch(mitdb_dir, nstdb_noise_dir, snr_db: float):
    """MIT-BIH 100 lead 0, first 7 minutes, NSTDB ma noise from 5:00 at `snr_db`."""
    from heartbeat.aami import class_codes
    from heartbeat.io import read_annotations, read_record
    from heartbeat.noise import add_noise, read_noise

    rec = read_record(mitdb_dir / "100", sampto=420 * 360)
    ann = read_annotations(mitdb_dir / "100")
    codes = class_codes(ann.symbol)
    normal = ann.sample[(codes == 0) & (ann.sample < rec.signal.shape[0])]
    noise, noise_fs = read_noise(nstdb_noise_dir / "ma")
    noisy = add_noise(rec.signal, rec.fs, noise, snr_db=snr_db, beats=normal,
                      noise_fs=noise_fs)
    return noisy.signal[:, 0], rec.fs


class TestOnRealRecords:
    def test_clean_stretch_high_and_noised_stretch_low(self, mitdb_dir, nstdb_noise_dir):
        x, fs = _nst_stretch(mitdb_dir, nstdb_noise_dir, -6.0)
        q = heartbeat.quality(x, fs)
        clean = q.starts + q.segment_samples <= 297 * fs
        noisy = q.starts >= 303 * fs
        m = q.measures
        assert np.quantile(q.index[clean], 0.05) > 0.9
        # most of the -6 dB stretch is unreadable (the model is 99.8 % sure of noise)
        assert np.mean(q.index[noisy] < UNREADABLE_BELOW) > 0.7
        for name, cleaner in (("kurtosis", np.greater), ("template", np.greater),
                              ("qrs_band", np.greater), ("high_band", np.less)):
            column = m[:, _column(name)]
            assert cleaner(np.nanmedian(column[clean]), np.nanmedian(column[noisy])), name

    def test_numpy_path_without_numba(self, mitdb_dir):
        # the same index when numba cannot be imported at all
        code = (
            "import sys, json; sys.modules['numba'] = None\n"
            "import numpy as np, heartbeat\n"
            "from heartbeat.io import read_record\n"
            f"rec = read_record({str(mitdb_dir / '203')!r}, sampto=90 * 360)\n"
            "q = heartbeat.quality(rec.signal[:, 0], rec.fs)\n"
            "assert 'numba' not in sys.modules or sys.modules['numba'] is None\n"
            "print(json.dumps(q.index.tolist()))\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        numpy_index = np.array(json.loads(out.stdout.strip().splitlines()[-1]))
        from heartbeat.io import read_record

        rec = read_record(mitdb_dir / "203", sampto=90 * 360)
        np.testing.assert_allclose(numpy_index, heartbeat.quality(rec.signal[:, 0],
                                                                  rec.fs).index, atol=1e-12)
        assert numpy_index.size == 45 and numpy_index.max() > 0


def test_window_measures_are_the_twins_with_a_last_block_of_one_window(monkeypatch):
    # 257 windows: blocks of 256 and 1; NumPy sums a lone window's bands in another order
    import heartbeat.signal_quality_features as features

    rng = np.random.default_rng(8)
    x = rng.standard_normal(300 * 180 + CTX)
    a = np.arange(0, 257 * 180, 180)
    kernels = window_measures(x, a, CTX, FS)
    monkeypatch.setattr(features, "_backend", lambda: "numpy")
    twins = window_measures(x, a, CTX, FS)
    for got, want in zip(kernels, twins, strict=True):
        np.testing.assert_array_equal(got, want)
