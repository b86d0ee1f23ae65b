"""Tests of heartbeat.training.augment: the augmenter's changes, seeding and noise banks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from heartbeat.training import Augmenter, noise_bank
from heartbeat.training.augment import _bursts, _valid_lengths

FS = 125.0


@pytest.fixture(scope="module")
def nstdb_noise_dir():
    """The NST noise records ma and bw (skips when absent)."""
    from conftest import data_root

    path = data_root() / "nstdb-noise"
    if not (path / "ma.hea").exists():
        pytest.skip(f"real data not found: {path / 'ma.hea'} is missing "
                    "(set HEARTBEAT_DATA to the folder holding nstdb-noise/)")
    return path
OFF = dict(p=1.0, scale=0.0, baseline=0.0, mains=0.0, noise=0.0, burst=0.0, time_scale=0.0)


def beats(n=8, valid=120, length=187, seed=0):
    """Beat-like rows: a positive bump then zero padding after `valid` samples."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, length), np.float32)
    x[:, :valid] = 0.2 + 0.6 * np.hanning(valid) + 0.01 * rng.random((n, valid))
    return x


def rng(seed=0):
    return np.random.default_rng(seed)


class TestAugmenter:
    def test_all_off_is_identity(self):
        x = beats()
        out = Augmenter(**OFF)(x, rng())
        assert np.array_equal(out, x) and out is not x and out.dtype == np.float32

    def test_input_unchanged_and_padding_stays_zero(self):
        x = beats()
        keep = x.copy()
        out = Augmenter(p=1.0, time_scale=0.0)(x, rng())
        assert np.array_equal(x, keep)
        assert (out[:, 120:] == 0).all()
        assert not np.allclose(out[:, :120], x[:, :120])

    def test_same_generator_same_result(self):
        x = beats()
        a = Augmenter(p=0.7)(x, rng(3))
        b = Augmenter(p=0.7)(x, rng(3))
        c = Augmenter(p=0.7)(x, rng(4))
        assert np.array_equal(a, b) and not np.array_equal(a, c)

    def test_amplitude_scaling_within_bounds(self):
        x = beats(n=200)
        out = Augmenter(**{**OFF, "scale": 0.25})(x, rng())
        ratio = out[:, :120] / x[:, :120]
        per_beat = ratio[:, 0]
        assert np.allclose(ratio, per_beat[:, None], rtol=1e-5)  # one factor per beat
        assert per_beat.min() >= 1 / 1.25 - 1e-6 and per_beat.max() <= 1.25 + 1e-6
        assert per_beat.min() < 0.9 and per_beat.max() > 1.1  # both ways drawn

    @pytest.mark.parametrize("kind", ["baseline", "mains", "noise", "burst"])
    def test_each_additive_change_bounded(self, kind):
        x = beats(n=300)
        size = 0.1
        out = Augmenter(**{**OFF, kind: size})(x, rng())
        added = out.astype(np.float64) - x
        assert (added[:, 120:] == 0).all()
        peak = np.abs(added).max(axis=1)
        assert peak.max() > 0
        if kind != "noise":  # noise is given as an RMS, the rest as a peak amplitude
            assert peak.max() <= size + 1e-6
        else:
            rms = np.sqrt((added[:, :120] ** 2).mean(axis=1))
            assert rms.max() < 2 * size and np.median(rms) > 0.01

    def test_mains_is_50_or_60_hz(self):
        x = np.ones((50, 187), np.float32)
        added = Augmenter(**{**OFF, "mains": 0.05})(x, rng()).astype(np.float64) - 1.0
        spectrum = np.abs(np.fft.rfft(added * np.hanning(187), n=4096, axis=1))
        freqs = np.fft.rfftfreq(4096, 1 / FS)
        peaks = freqs[spectrum.argmax(axis=1)]
        assert np.all((np.abs(peaks - 50) < 1.0) | (np.abs(peaks - 60) < 1.0))
        assert {50, 60} == {int(round(p / 10) * 10) for p in peaks}

    def test_probability_zero_leaves_beats(self):
        x = beats()
        out = Augmenter(p=0.0, time_scale=0.1)(x, rng())
        assert np.array_equal(out, x)

    def test_probability_picks_about_p_of_beats(self):
        x = np.full((1000, 187), 0.5, np.float32)  # no padding to hide a burst in
        out = Augmenter(**{**OFF, "p": 0.3, "burst": 0.2})(x, rng())
        changed = np.mean(np.abs(out - x).max(axis=1) > 0)
        assert 0.2 < changed < 0.4

    def test_time_scale_keeps_r_peak_and_moves_end(self):
        x = beats(n=100)
        out = Augmenter(**{**OFF, "time_scale": 0.1})(x, rng())
        assert np.allclose(out[:, 0], x[:, 0])  # the R peak sample stays
        ends = _valid_lengths(out)
        assert ends.min() >= round(120 * 0.9) - 1 and ends.max() <= round(120 * 1.1) + 1
        assert len(np.unique(ends)) > 5
        # a stretch is an interpolation: values stay within the beat's range
        assert out.max() <= x.max() + 1e-6 and out[:, :100].min() >= x[:, :100].min() - 1e-6

    def test_time_scale_capped_at_beat_length(self):
        x = np.full((20, 187), 0.5, np.float32)  # no padding: nothing to grow into
        out = Augmenter(**{**OFF, "time_scale": 0.2})(x, rng())
        assert out.shape == x.shape and np.isfinite(out).all()

    def test_invert(self):
        x = np.stack([beats(n=4), beats(n=4, seed=1) - 0.3], axis=1)  # (n, 2, L)
        out = Augmenter(**{**OFF, "invert": 1.0})(x, rng())
        assert np.allclose(out[:, 0, :120], 1.0 - x[:, 0, :120])
        assert (out[:, 0, 120:] == 0).all()
        assert np.allclose(out[:, 1], -x[:, 1])

    def test_channels_get_the_same_draw(self):
        x1 = beats(n=16)
        x = np.stack([x1, x1 - 0.5 * (x1 != 0)], axis=1)  # beat, beat minus a template
        out = Augmenter(p=1.0, time_scale=0.0)(x, rng())
        single = Augmenter(p=1.0, time_scale=0.0)(x1, rng())
        assert out.shape == x.shape
        assert np.allclose(out[:, 0], single, atol=1e-6)
        scale = (out[:, 0] - out[:, 1])[:, :120] / 0.5  # the template part was scaled too
        assert np.allclose(scale, scale[:, :1], atol=1e-5)

    @given(st.integers(1, 40), st.integers(0, 187), st.integers(0, 2**32 - 1))
    def test_shape_dtype_finite(self, n, valid, seed):
        x = beats(n=n, valid=valid) if valid else np.zeros((n, 187), np.float32)
        out = Augmenter(p=0.8, invert=0.2)(x, rng(seed))
        assert out.shape == x.shape and out.dtype == np.float32
        assert np.isfinite(out).all()
        assert (out[:, max(valid, round(valid * 1.08) + 1):] == 0).all()

    def test_recipe_is_json(self):
        import json

        a = Augmenter(muscle_bank=np.ones((3, 187)))
        assert json.loads(json.dumps(a.recipe()))["muscle_bank"] == 3
        assert "muscle_bank': 3" in repr(a)

    @pytest.mark.parametrize("kw, err, match", [
        ({"p": 1.5}, ValueError, r"p=1.5 must lie within \[0, 1\]"),
        ({"noise": -0.1}, ValueError, r"noise=-0.1 must lie within"),
        ({"time_scale": 0.6}, ValueError, r"time_scale=0.6 must lie within"),
        ({"scale": "big"}, TypeError, "scale must be a real number"),
        ({"fs": 0}, ValueError, "fs"),
        ({"muscle_bank": np.ones(10)}, ValueError, "muscle_bank must be a finite"),
        ({"wander_bank": np.full((2, 5), np.nan)}, ValueError, "wander_bank must be a finite"),
    ])
    def test_bad_options(self, kw, err, match):
        with pytest.raises(err, match=match):
            Augmenter(**kw)


class TestBanks:
    def test_bank_segments_are_unit_rms_at_125_hz(self):
        x = np.random.default_rng(0).normal(size=360 * 20)
        bank = noise_bank(x, 360.0)
        assert bank.shape == (20 * 125 // 187, 187) and bank.dtype == np.float32
        assert np.allclose(bank.mean(axis=1), 0, atol=1e-5)
        assert np.allclose((bank.astype(np.float64) ** 2).mean(axis=1), 1, atol=1e-4)

    def test_flat_segments_dropped(self):
        x = np.concatenate([np.zeros(187 * 2), np.random.default_rng(1).normal(size=187)])
        assert noise_bank(x, 125.0).shape == (1, 187)

    def test_bank_used_for_noise(self):
        bank = np.tile(np.sin(np.arange(187) / 3.0), (4, 1)).astype(np.float32)
        bank /= np.sqrt((bank ** 2).mean())
        x = np.zeros((30, 187), np.float32) + 0.5
        added = Augmenter(**{**OFF, "noise": 0.1}, muscle_bank=bank)(x, rng()) - 0.5
        used = np.abs(added).max(axis=1) > 0
        corr = [np.corrcoef(a, bank[0])[0, 1] for a in added[used]]
        assert used.any() and np.allclose(corr, 1.0, atol=1e-4)

    def test_too_short(self):
        with pytest.raises(ValueError, match="fewer than one segment"):
            noise_bank(np.ones(100), 125.0)

    def test_bad_noise(self):
        with pytest.raises(ValueError, match="noise"):
            noise_bank(np.ones((10, 2)), 125.0)

    def test_real_nst_noise(self, nstdb_noise_dir):
        from heartbeat.io import read_record

        for name in ("ma", "bw"):
            rec = read_record(nstdb_noise_dir / name)
            bank = noise_bank(rec.signal[:, 0], rec.fs)
            assert bank.shape == (650_000 * 125 // 360 // 187, 187)
            assert np.isfinite(bank).all()
        # muscle noise is broadband, baseline wander is slow: compare the mean power
        # above 10 Hz
        ma = noise_bank(read_record(nstdb_noise_dir / "ma").signal[:, 0], 360.0)
        bw = noise_bank(read_record(nstdb_noise_dir / "bw").signal[:, 0], 360.0)
        freqs = np.fft.rfftfreq(187, 1 / FS)

        def high(b):
            return float((np.abs(np.fft.rfft(b, axis=1)) ** 2)[:, freqs > 10].sum(axis=1).mean())

        assert high(ma) > 3 * high(bw)


def test_bursts_are_single_bumps():
    t = np.arange(187) / FS
    b = _bursts(50, t, rng())
    assert np.abs(b).max() <= 1.0
    for row in b:
        nz = np.flatnonzero(row)
        if len(nz):
            assert np.all(np.diff(nz) == 1)  # one contiguous bump
            assert 0.1 * FS - 2 <= len(nz) <= 0.4 * FS + 2 or nz[0] == 0 or nz[-1] == 186
