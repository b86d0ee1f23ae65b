"""Tests for heartbeat.quality (signal_quality.py): the index and ``SignalQuality.at``."""

from __future__ import annotations

import dataclasses
import doctest
import importlib

import numpy as np
import pytest

import heartbeat
from heartbeat.signal_quality import UNREADABLE_BELOW, SignalQuality
from heartbeat.signal_quality import quality as signal_quality

FS = 250.0


def _ecg(seconds: float = 30.0, fs: float = FS) -> np.ndarray:
    """Gaussian R waves every 0.8 s with small T waves: a clean synthetic ECG."""
    t = np.arange(int(seconds * fs)) / fs
    phase = t % 0.8
    return (np.exp(-((phase - 0.4) ** 2) / (2 * 0.01**2))
            + 0.2 * np.exp(-((phase - 0.65) ** 2) / (2 * 0.04**2)))


def test_docstring_examples():
    module = importlib.import_module("heartbeat.signal_quality")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


class TestSignalQuality:
    def test_clean_signal_scores_high(self):
        q = signal_quality(_ecg(), FS)
        assert q.index.shape == (15,) and q.starts.tolist() == list(range(0, 7500, 500))
        # a probability: clean MIT-BIH segments score a median 0.90 (module docstring)
        assert np.all(q.index > 0.95) and np.all(q.index < 1.0)
        assert np.all(q.qrs_to_noise > 12) and np.all(q.baseline > 0.85)

    def test_noise_lowers_the_index(self):
        rng = np.random.default_rng(0)
        x = _ecg()
        noisy = x + 0.5 * rng.standard_normal(x.size)
        wander = x + 2.0 * np.sin(2 * np.pi * 0.3 * np.arange(x.size) / FS)
        q_clean = signal_quality(x, FS).index
        assert signal_quality(noisy, FS).index.mean() < q_clean.mean() - 0.2
        assert signal_quality(wander, FS).index.mean() < q_clean.mean() - 0.1

    def test_flat_clipped_and_silent_segments_score_zero(self):
        x = _ecg()
        x[2000:3000] = 0.0  # 4 s flat
        q = signal_quality(x, FS)
        assert np.all(q.index[4:6] == 0.0) and q.index[0] > 0.95
        y = np.clip(_ecg() + 0.5 * np.sin(np.arange(7500) / 300), -0.2, 0.6)
        assert signal_quality(y, FS).index.max() == 0.0  # clipped throughout
        assert np.all(signal_quality(np.zeros(5000), FS).index == 0.0)

    def test_segment_length_and_short_signals(self):
        q = signal_quality(_ecg(7.0), FS, segment_s=1.0)
        assert q.segment_samples == 250 and q.starts.size == 7
        tiny = signal_quality([1.0, 2.0], FS)
        assert tiny.index.tolist() == [0.0] and tiny.n_samples == 2
        assert signal_quality(np.empty(0), FS).index.size == 0

    def test_result_is_frozen(self):
        q = signal_quality(_ecg(4.0), FS)
        with pytest.raises(dataclasses.FrozenInstanceError):
            q.fs = 1.0  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("args", "kwargs", "exc", "match"),
        [
            (("abc", FS), {}, TypeError, "signal"),
            ((np.zeros((10, 2)), FS), {}, ValueError, "1-D"),
            (([0.0, np.nan, 1.0], FS), {}, ValueError, "NaN"),
            ((np.zeros(10), 0.0), {}, ValueError, "fs"),
            ((np.zeros(10), FS), {"segment_s": 0}, ValueError, "segment_s"),
        ],
    )
    def test_bad_inputs(self, args, kwargs, exc, match):
        with pytest.raises(exc, match=match):
            signal_quality(*args, **kwargs)


class TestAt:
    def test_quality_of_the_segment_holding_each_sample(self):
        x = _ecg()
        x[2000:3000] = 0.0
        q = signal_quality(x, FS)
        values = q.at([0, 499, 500, 2100, 2999, 7499])
        assert values.tolist() == [q.index[0], q.index[0], q.index[1], 0.0, 0.0,
                                   q.index[14]]
        np.testing.assert_array_equal(q.at([2100]), [0.0])
        assert q.at(np.empty(0, dtype=int)).size == 0

    def test_errors(self):
        q = signal_quality(_ecg(4.0), FS)
        with pytest.raises(ValueError, match="samples"):
            q.at([1000])
        with pytest.raises(ValueError, match="samples"):
            q.at([-1])
        with pytest.raises(TypeError, match="samples"):
            q.at("0")


class TestPublicName:
    def test_heartbeat_quality_is_the_function(self):
        x = _ecg(10.0)
        q = heartbeat.quality(x, FS)
        assert isinstance(q, SignalQuality)
        np.testing.assert_array_equal(q.index, signal_quality(x, FS).index)
        assert heartbeat.SignalQuality is SignalQuality
        assert "quality" in dir(heartbeat)


class TestOnTheStressTest:
    def test_noise_on_segments_rank_below_noise_off_at_6_db(self, mitdb_dir):
        from heartbeat.aami import class_codes
        from heartbeat.io import read_annotations, read_record
        from heartbeat.noise import add_noise, electrode_motion

        rec = read_record(mitdb_dir / "118", sampto=780 * 360)
        ann = read_annotations(mitdb_dir / "118")
        codes = class_codes(ann.symbol)
        normal = ann.sample[(codes >= 0) & (codes != 2) & (codes != 3)]
        em = electrode_motion(rec.signal.shape[0], rec.fs, seed=0)
        noisy = add_noise(rec.signal, rec.fs, em, snr_db=6.0, beats=normal)
        q = heartbeat.quality(noisy.signal[:, 0], rec.fs)
        start = q.starts >= 300 * 360
        full = q.starts + q.segment_samples <= rec.signal.shape[0]
        on = np.array([noisy.noise_on[s:s + q.segment_samples].all() for s in q.starts])
        off = np.array([not noisy.noise_on[s:s + q.segment_samples].any() for s in q.starts])
        q_on, q_off = q.index[start & full & on], q.index[start & full & off]
        assert q_on.size > 50 and q_off.size > 50
        auc = np.mean(q_off[:, None] > q_on[None, :]) + 0.5 * np.mean(
            q_off[:, None] == q_on[None, :])
        assert auc > 0.9
        assert np.median(q.index[: int(300 / 2)]) > 0.9  # the clean first 5 minutes


# the direction each measure's definition fixes (docs/benchmarks.md, candidate F): +1
# where a larger value is cleaner, -1 where it is noisier; qrs_band has none
_DIRECTIONS = {"qrs_to_noise": 1, "baseline": 1, "agreement": 1, "kurtosis": 1,
               "high_band": -1, "template": 1}
_GRIDS = {"qrs_to_noise": np.geomspace(0.01, 1e4, 400), "baseline": np.linspace(0, 1, 400),
          "agreement": np.linspace(0, 1, 400), "kurtosis": np.geomspace(0.5, 1e4, 400),
          "high_band": np.geomspace(1e-8, 1e3, 400), "template": np.linspace(-1, 1, 400)}


# the index shipped (linear) weighs log10(high_band) +0.1975: it rises with the power
# above 40 Hz; candidate F, monotone, was not adopted (docs/benchmarks.md)
_RISES_WITH_NOISE = pytest.mark.xfail(strict=True, reason="rises with high-band power")


class TestMonotone:
    @pytest.mark.parametrize("name", [pytest.param(n, marks=_RISES_WITH_NOISE)
                                      if n == "high_band" else n for n in sorted(_DIRECTIONS)])
    def test_a_cleaner_measure_never_lowers_the_index(self, name):
        from heartbeat.signal_quality import _combine
        from heartbeat.signal_quality_features import NAMES

        rng = np.random.default_rng(5)
        rows = np.column_stack([rng.uniform(0.5, 50, 40), rng.uniform(0, 1, 40),
                                rng.uniform(0, 1, 40), rng.uniform(1.5, 40, 40),
                                rng.uniform(0, 1, 40), rng.uniform(1e-4, 3, 40),
                                rng.uniform(-1, 1, 40)])
        grid = _GRIDS[name]
        values = np.repeat(rows, grid.size, axis=0)
        values[:, NAMES.index(name)] = np.tile(grid, rows.shape[0])
        index = _combine(values).reshape(rows.shape[0], grid.size)
        assert np.all(_DIRECTIONS[name] * np.diff(index, axis=1) >= -1e-12)
        assert np.ptp(index) > 0.1  # the grid does move the index


def _noisy_118(mitdb_dir, noise: str = "em", snr_db: float = -6.0):
    """The first 7 minutes of MIT-BIH 118, NST noise on both leads from 5:00 to 7:00."""
    from heartbeat.aami import class_codes
    from heartbeat.io import read_annotations, read_record
    from heartbeat.noise import add_noise, electrode_motion

    rec = read_record(mitdb_dir / "118", sampto=420 * 360)
    ann = read_annotations(mitdb_dir / "118")
    n = rec.signal.shape[0]
    codes = class_codes(ann.symbol)
    normal = ann.sample[(codes >= 0) & (codes != 2) & (codes != 3) & (ann.sample < n)]
    noisy = add_noise(rec.signal, rec.fs, electrode_motion(n, rec.fs, seed=0),
                      snr_db=snr_db, beats=normal)
    from heartbeat.metrics.ec57 import reference_beats

    ref = reference_beats(ann, rec.fs)[0]
    return noisy.signal[:, 0], rec.fs, noisy.noise_on, ref[ref < n]


def _inside(samples: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Mask of the samples lying in one of the [start, stop) spans."""
    out = np.zeros(len(samples), dtype=bool)
    for a, b in spans.tolist():
        out |= (samples >= a) & (samples < b)
    return out


class TestSpansBelow:
    def test_runs_of_low_segments_are_joined(self):
        x = _ecg()
        x[2000:3000] = 0.0
        x[5000:5500] = 0.0
        q = signal_quality(x, FS)
        spans = q.spans_below(0.35)
        assert spans.dtype == np.int64 and spans.shape[1] == 2
        assert spans.tolist() == [[2000, 3000], [5000, 5500]]
        assert q.spans_below(0.0).shape == (0, 2)
        low = q.index < 1.0
        assert _inside(q.starts[low], q.spans_below(1.0)).all()
        assert not _inside(q.starts[~low], q.spans_below(1.0)).any()

    def test_last_span_stops_at_the_signal_end(self):
        x = _ecg(9.0)
        x[2000:] = 0.0
        q = signal_quality(x, FS, segment_s=2.0)
        assert q.spans_below(0.35)[-1].tolist()[1] == x.size

    @pytest.mark.parametrize(("value", "exc"), [(1.5, ValueError), (-0.1, ValueError),
                                                ("0.3", TypeError)])
    def test_bad_threshold(self, value, exc):
        with pytest.raises(exc, match="threshold"):
            signal_quality(_ecg(4.0), FS).spans_below(value)


class TestInSegment:
    def test_every_beat_carries_its_stretch_quality(self):
        x = _ecg()
        beats = heartbeat.segment(x, FS)
        q = signal_quality(x, FS)
        assert beats.quality.dtype == np.float64 and beats.quality.shape == (len(beats),)
        np.testing.assert_array_equal(beats.quality, q.at(beats.r_peaks))
        assert not beats.quality.flags.writeable and not beats.unreadable.flags.writeable
        assert beats.unreadable.shape == (0, 2)

    def test_a_dead_stretch_gives_no_beats_and_is_reported(self):
        x = _ecg(60.0)
        x[4000:6000] = 0.0  # 8 s of a lead that fell off
        rng = np.random.default_rng(1)
        x[7000:10000] = 3.0 * rng.standard_normal(3000)  # 12 s of loud noise
        every = heartbeat.segment(x, FS, quality=0.0)
        beats = heartbeat.segment(x, FS)
        assert len(every) == len(beats) + np.count_nonzero(_inside(every.r_peaks,
                                                                  beats.unreadable))
        assert not _inside(beats.r_peaks, beats.unreadable).any()
        covered = np.zeros(x.size, dtype=bool)
        for a, b in beats.unreadable.tolist():
            covered[a:b] = True
        # the dead stretch, and the noise where the 6 s context holds no clean beat
        assert covered[4000:6000].all() and covered[8500:9500].all()
        assert not covered[:3000].any()  # the clean start is readable
        assert np.all(beats.quality >= UNREADABLE_BELOW)

    def test_without_unreadable_stretches_nothing_changes(self):
        x = _ecg()
        on, off = heartbeat.segment(x, FS), heartbeat.segment(x, FS, quality=False)
        np.testing.assert_array_equal(on.r_peaks, off.r_peaks)
        np.testing.assert_array_equal(on.waveforms, off.waveforms)
        assert np.isnan(off.quality).all() and off.unreadable.shape == (0, 2)

    def test_given_peaks_are_kept_unless_asked(self):
        x = _ecg()
        x[2000:3000] = 0.0
        peaks = np.arange(100, 7400, 200)
        given = heartbeat.segment(x, FS, r_peaks=peaks)
        assert len(given) == peaks.size and np.isnan(given.quality).all()
        asked = heartbeat.segment(x, FS, r_peaks=peaks, quality=True)
        assert not _inside(asked.r_peaks, asked.unreadable).any()
        assert len(asked) < peaks.size and asked.unreadable.tolist() == [[2000, 3000]]

    @pytest.mark.parametrize(("value", "exc"), [(2.0, ValueError), ("high", TypeError)])
    def test_bad_quality(self, value, exc):
        with pytest.raises(exc, match="quality"):
            heartbeat.segment(_ecg(), FS, quality=value)

    def test_noise_stress_stretch_is_withheld_clean_part_kept(self, mitdb_dir):
        x, fs, noise_on, ref = _noisy_118(mitdb_dir)
        beats = heartbeat.segment(x, fs)
        every = heartbeat.segment(x, fs, quality=False)
        spans = beats.unreadable
        assert spans.shape[0] >= 1
        unreadable = np.zeros(x.size, dtype=bool)
        for a, b in spans.tolist():
            unreadable[a:b] = True
        # unreadable only where the noise is, and a good part of the -6 dB stretch
        assert not (unreadable & ~noise_on).any()
        assert unreadable[noise_on].mean() > 0.2
        # the detector finds peaks there; segment returns none of them
        assert _inside(every.r_peaks, spans).sum() > 10
        assert not _inside(beats.r_peaks, spans).any()
        # the clean 5 minutes keep every beat, waveforms unchanged
        clean = every.r_peaks < 300 * fs
        np.testing.assert_array_equal(beats.r_peaks[: clean.sum()], every.r_peaks[clean])
        np.testing.assert_array_equal(beats.waveforms[: clean.sum()], every.waveforms[clean])
        first = ref[ref < 300 * fs]
        near = np.abs(first[:, None] - beats.r_peaks[None, :]).min(axis=1)
        assert np.all(near <= 0.15 * fs)


class TestCleanRecordsKeepTheirBeats:
    @pytest.mark.parametrize("name", ["100", "105", "203"])
    def test_annotated_beats_outside_unreadable_stretches(self, mitdb_dir, name):
        from heartbeat.io import read_annotations, read_record
        from heartbeat.metrics.ec57 import reference_beats

        rec = read_record(mitdb_dir / name)
        ref = reference_beats(read_annotations(mitdb_dir / name), rec.fs)[0]
        beats = heartbeat.segment(rec.signal[:, 0], rec.fs)
        # at most two in a thousand (105, very noisy, loses 3 of 2,572 to one 2-s stretch
        # with the retuned detector; over all 48 records lead 0 loses far fewer)
        assert _inside(ref, beats.unreadable).mean() <= 0.002
        assert np.all(beats.quality >= UNREADABLE_BELOW)


class TestInClassify:
    def test_beats_of_unreadable_stretches_come_back_unclassified(self, mitdb_dir):
        from heartbeat.classifier import UNCLASSIFIED

        x, fs, _, _ = _noisy_118(mitdb_dir)
        result = heartbeat.classify(x, fs)
        beats = result.beats
        in_spans = _inside(beats.r_peaks, beats.unreadable)
        assert in_spans.sum() > 10  # kept, to be returned with their reason
        assert np.all(result.reasons[in_spans] == "unreadable")
        assert np.all(result.labels[in_spans] == UNCLASSIFIED)
        assert np.all(result.codes[in_spans] == -1)
        assert not np.any(result.reasons[~in_spans] == "unreadable")
        np.testing.assert_array_equal(result.quality, beats.quality)
        assert np.all(result.quality[in_spans] < UNREADABLE_BELOW)
        assert result.unreadable_s == tuple((a / fs, b / fs)
                                            for a, b in beats.unreadable.tolist())
        # without the quality rule: the same beats and probabilities, none unreadable
        plain = heartbeat.classify(x, fs, quality=False)
        np.testing.assert_array_equal(plain.r_peaks, result.r_peaks)
        np.testing.assert_array_equal(plain.probabilities, result.probabilities)
        assert "unreadable" not in plain.reasons.tolist() and plain.unreadable_s == ()
        assert np.isnan(plain.quality).all()

    def test_bad_quality(self):
        with pytest.raises(ValueError, match="quality"):
            heartbeat.classify(_ecg(), FS, quality=1.5)


def test_the_papers_rule_is_not_filtered_by_default(mitdb_dir):
    # detector="kachuee2018" reproduces the paper: no quality unless asked for
    from heartbeat.io import read_record

    rec = read_record(mitdb_dir / "207")
    x = rec.signal[: int(600 * rec.fs), 0]
    plain = heartbeat.segment(x, rec.fs, detector="kachuee2018")
    assert np.isnan(plain.quality).all() and len(plain.unreadable) == 0
    asked = heartbeat.segment(x, rec.fs, detector="kachuee2018", quality=True)
    assert np.isfinite(asked.quality).all()
