"""Tests of heartbeat.classifier.calibration and metrics.expected_calibration_error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from heartbeat import nn
from heartbeat.classifier import BeatClassifier
from heartbeat.classifier.calibration import (
    Calibration,
    choose_reject_threshold,
    fit_temperature,
)
from heartbeat.datasets import DS2, BeatSet, mitbih_beats
from heartbeat.metrics import expected_calibration_error


def _nll(logits, labels, t):
    p = nn.softmax(logits / t)
    return -np.mean(np.log(p[np.arange(len(labels)), labels]))


def _draw(rng, logits):
    """Labels drawn from softmax(logits): these logits are calibrated by construction."""
    p = nn.softmax(logits)
    return (rng.random(len(p))[:, None] > np.cumsum(p, axis=1)).sum(axis=1)


class TestFitTemperature:
    def test_matches_scipy_minimiser(self):
        optimize = pytest.importorskip("scipy.optimize")
        rng = np.random.default_rng(0)
        logits = 3 * rng.standard_normal((500, 5))
        labels = rng.integers(0, 5, 500)
        ours = fit_temperature(logits, labels)
        ref = optimize.minimize_scalar(lambda lt: _nll(logits, labels, np.exp(lt)),
                                       bounds=(-3, 3), method="bounded",
                                       options={"xatol": 1e-8}).x
        assert ours == pytest.approx(np.exp(ref), rel=1e-3)

    def test_recovers_the_overconfidence_factor(self):
        rng = np.random.default_rng(1)
        true = 2 * rng.standard_normal((20_000, 4))
        labels = _draw(rng, true)
        assert fit_temperature(2.5 * true, labels) == pytest.approx(2.5, rel=0.05)
        assert fit_temperature(true, labels) == pytest.approx(1.0, rel=0.05)

    def test_bounded_when_labels_are_perfect(self):
        logits = np.array([[5.0, 0.0], [0.0, 5.0]])
        assert fit_temperature(logits, np.array([0, 1])) == pytest.approx(np.exp(-3), rel=1e-3)


class TestChooseRejectThreshold:
    def test_equals_brute_force(self):
        rng = np.random.default_rng(2)
        proba = nn.softmax(rng.standard_normal((300, 3)))
        labels = rng.integers(0, 3, 300)
        top, right = proba.max(axis=1), proba.argmax(axis=1) == labels

        def gain(t):
            keep = top >= t
            return int(right[keep].sum() - (~right[keep]).sum())

        best = max(gain(t) for t in [0.0, *top.tolist(), np.inf])  # inf: reject all
        assert gain(choose_reject_threshold(proba, labels)) == best

    def test_all_right_rejects_nothing(self):
        proba = np.array([[0.6, 0.4], [0.2, 0.8]])
        assert choose_reject_threshold(proba, np.array([0, 1])) == 0.0

    def test_all_wrong_rejects_everything(self):
        proba = np.array([[0.6, 0.4], [0.2, 0.8]])
        t = choose_reject_threshold(proba, np.array([1, 0]))
        assert (proba.max(axis=1) < t).all()


class TestExpectedCalibrationError:
    def test_hand_computed(self):
        proba = [[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7]]
        # bins: 0.9 -> 2 beats, 1 right: |0.5 - 0.9| * 2; 0.6 right: 0.4; 0.7 right: 0.3
        assert expected_calibration_error([0, 1, 0, 1], proba) == pytest.approx(1.5 / 4)

    def test_calibrated_model_scores_near_zero(self):
        rng = np.random.default_rng(3)
        logits = 2 * rng.standard_normal((20_000, 5))
        labels = _draw(rng, logits)
        assert expected_calibration_error(labels, nn.softmax(logits)) < 0.02
        assert expected_calibration_error(labels, nn.softmax(3 * logits)) > 0.1

    def test_one_bin_is_accuracy_gap(self):
        proba = np.array([[0.7, 0.3], [0.8, 0.2], [0.4, 0.6]])
        gap = abs(2 / 3 - np.mean([0.7, 0.8, 0.6]))
        assert expected_calibration_error([0, 1, 1], proba, n_bins=1) == pytest.approx(gap)

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match="2-D"):
            expected_calibration_error([0], [0.5, 0.5])
        with pytest.raises(ValueError, match="softmax"):
            expected_calibration_error([0], [[2.0, -1.0]])
        with pytest.raises(ValueError, match="y_true has 1 labels for 2"):
            expected_calibration_error([0], [[0.5, 0.5], [0.5, 0.5]])
        with pytest.raises(ValueError, match="outside"):
            expected_calibration_error([2], [[0.5, 0.5]])
        with pytest.raises(TypeError, match="n_bins"):
            expected_calibration_error([0], [[0.5, 0.5]], n_bins=1.5)


@pytest.fixture(scope="module")
def small_set() -> BeatSet:
    rng = np.random.default_rng(4)
    n = 60
    y = np.arange(n) % 5
    t = np.linspace(0, 1, 187)
    x = 0.5 + 0.1 * np.sin(2 * np.pi * (y[:, None] + 1) * t) \
        + 0.05 * rng.standard_normal((n, 187))
    return BeatSet(x=x.astype(np.float32), y=y.astype(np.int8),
                   record=np.repeat(["100", "101"], n // 2),
                   sample=np.tile(np.arange(30) * 300 + 50, 2).astype(np.int64),
                   rr=(1 + 0.1 * rng.standard_normal((n, 3))).astype(np.float32))


class TestCalibrateAndFiles:
    def test_calibrate_save_load(self, small_set, tmp_path):
        clf = BeatClassifier("cnn_mlp", epochs=1, batch_size=16, seed=3).fit(small_set)
        assert clf.calibration_ == Calibration()
        before = clf.predict_proba(small_set)
        clf.calibrate(small_set)
        cal = clf.calibration_
        assert cal.temperature != 1.0 and cal.fitted_on == {"records": ["100", "101"],
                                                           "n_beats": 60}
        after = clf.predict_proba(small_set)
        np.testing.assert_array_equal(after.argmax(axis=1), before.argmax(axis=1))
        logits = clf._predict_logits(small_set)
        np.testing.assert_allclose(after, nn.softmax(logits / cal.temperature))
        loaded = BeatClassifier.load(clf.save(tmp_path / "m.npz"))
        assert loaded.calibration_ == cal
        np.testing.assert_allclose(loaded.predict_proba(small_set), after, rtol=1e-6)

    def test_file_without_calibration_loads_uncalibrated(self, small_set, tmp_path):
        clf = BeatClassifier("cnn_mlp", epochs=1, batch_size=16).fit(small_set)
        clf.calibrate(small_set)
        path = clf.save(tmp_path / "m.npz")
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
        info = json.loads(str(arrays["info"]))
        del info["calibration"]
        arrays["info"] = np.array(json.dumps(info))
        np.savez(tmp_path / "old.npz", **arrays)
        old = BeatClassifier.load(tmp_path / "old.npz")
        assert old.calibration_ == Calibration(1.0, None, None)
        np.testing.assert_allclose(old.predict_proba(small_set),
                                   nn.softmax(old._predict_logits(small_set)), rtol=1e-6)
        assert (old.predict(small_set, reject=True) >= 0).all()

    def test_calibrate_needs_labels(self, small_set):
        clf = BeatClassifier("cnn_mlp", use_rr=False, epochs=1, batch_size=16).fit(small_set)
        with pytest.raises(ValueError, match="y is required"):
            clf.calibrate(small_set.x)
        with pytest.raises(ValueError, match="y has 2 labels for 60"):
            clf.calibrate(small_set.x, [0, 1])


class TestShippedCalibration:
    def test_fitted_on_held_out_ds1_records_only(self):
        for name in ("mitbih-ds1", "mitbih-all"):
            cal = BeatClassifier.pretrained(name).calibration_
            held_out = set(cal.fitted_on["records"])
            assert held_out == {"106", "116", "124", "207", "223"}
            assert not held_out & set(DS2)
            assert not held_out & set(BeatClassifier.pretrained("mitbih-ds1").info["records"])
            assert 1.0 < cal.temperature < 5.0 and 0.3 < cal.reject_below < 0.9

    def test_calibration_lowers_nll_and_ece_on_an_unseen_record(self, mitdb_dir, tmp_path):
        clf = BeatClassifier.pretrained("mitbih-ds1")
        beats = mitbih_beats(mitdb_dir, ["213"], quiet=True)  # DS2: evaluation, not fit
        logits, y = clf._predict_logits(beats), beats.y.astype(np.int64)
        t = clf.calibration_.temperature
        assert _nll(logits, y, t) < _nll(logits, y, 1.0)
        assert expected_calibration_error(y, nn.softmax(logits / t)) \
            < expected_calibration_error(y, nn.softmax(logits))
