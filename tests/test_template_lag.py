"""A beat slid against the template (``TemplateRule.max_lag_s``) in ``adapt="template"``.

On a lead whose complex has two lobes of nearly equal size the detector's R peak may sit
on either, so some beats are cut a few samples from where the template's beats were
cut; with a shift allowed they still match (docs/results.md section 5, "A beat slid
against the template").
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from heartbeat.classifier.dominant import shape_measures
from heartbeat.classifier.running_template import RunningTemplate
from heartbeat.classifier.template import DEFAULT_RULE, adapt_template, template_features

CLASSES = ("N", "S", "V", "F", "Q")
K = np.arange(-8, 200, dtype=np.float64)  # samples at 125 Hz around the R peak


def complex_at(offset: int) -> np.ndarray:
    """A beat with two lobes of nearly equal size, cut `offset` samples after its R peak."""
    wave = (np.exp(-(K / 2.0) ** 2) - 0.9 * np.exp(-((K - 5) / 2.0) ** 2)
            + 0.3 * np.exp(-((K - 37) / 7.0) ** 2))
    return wave[8 + offset: 8 + offset + 187]


def recording(offsets: list[int], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([complex_at(o) for o in offsets]) + 0.005 * rng.standard_normal(
        (len(offsets), 187))


def brute_force(head: np.ndarray, template: np.ndarray, max_lag: int) -> np.ndarray:
    """The best Pearson correlation over shifts, one beat and one shift at a time."""
    w = len(template)
    best = np.full(len(head), -np.inf)
    for i, beat in enumerate(head):
        for lag in range(-max_lag, max_lag + 1):
            if lag >= 0:  # the beat cut early: its samples lag..lag+w are the template's
                a, b = beat[lag: lag + w], template
            else:
                a, b = beat[: w + lag], template[-lag:]
            best[i] = max(best[i], np.corrcoef(a, b)[0, 1])
    return best


class TestShapeMeasures:
    def test_equals_the_best_correlation_over_shifts_one_at_a_time(self):
        rng = np.random.default_rng(1)
        head = rng.standard_normal((12, 40))
        template = rng.standard_normal(30)
        for max_lag in (0, 1, 3, 5):
            got, amplitude = shape_measures(head, template, max_lag)
            np.testing.assert_allclose(got, brute_force(head, template, max_lag), atol=1e-12)
            np.testing.assert_allclose(amplitude, np.ptp(head[:, :30], axis=1) / np.ptp(template))

    def test_beats_not_allowed_to_shift_keep_their_unshifted_correlation(self):
        rng = np.random.default_rng(3)
        head, template = rng.standard_normal((10, 40)), rng.standard_normal(30)
        shifted = np.arange(10) % 2 == 0
        got = shape_measures(head, template, 5, shifted)[0]
        np.testing.assert_array_equal(got[shifted], shape_measures(head, template, 5)[0][shifted])
        np.testing.assert_array_equal(got[~shifted], shape_measures(head, template)[0][~shifted])

    def test_a_head_too_short_for_every_shift_uses_the_shifts_it_has(self):
        rng = np.random.default_rng(2)
        head, template = rng.standard_normal((5, 32)), rng.standard_normal(30)
        np.testing.assert_array_equal(shape_measures(head, template, 5)[0],
                                      shape_measures(head, template, 2)[0])


def test_the_default_shifts_beats_on_time_by_up_to_40_ms():
    assert (DEFAULT_RULE.max_lag_s, DEFAULT_RULE.lag_min_rr_ratio) == (0.04, 0.9)
    assert DEFAULT_RULE.samples(125.0) == (30, 5)


class TestAdaptWithShift:
    offsets = [0] * 40 + [4] * 10 + [0] * 10  # 10 beats cut on the second lobe (32 ms)

    def called_v(self) -> np.ndarray:
        proba = np.tile([0.9, 0.04, 0.03, 0.02, 0.01], (60, 1))
        proba[40:50] = [0.2, 0.05, 0.7, 0.03, 0.02]  # the model calls the late-cut beats V
        return proba

    def test_beats_cut_on_the_other_lobe_match_only_with_a_shift(self):
        waves, rr, proba = recording(self.offsets), np.ones((60, 3)), self.called_v()
        plain = template_features(waves, proba.argmax(axis=1) == 0, rr, window=30)
        shifted = template_features(waves, proba.argmax(axis=1) == 0, rr, window=30,
                                    max_lag=5)
        assert (plain.correlation[40:50] < DEFAULT_RULE.min_correlation).all()
        assert (shifted.correlation[40:50] > 0.99).all()
        unshifted = dataclasses.replace(DEFAULT_RULE, max_lag_s=0.0)
        for rule, calls in ((unshifted, 2), (DEFAULT_RULE, 0)):
            out, _ = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0, rule=rule)
            assert (out.argmax(axis=1)[40:50] == calls).all()

    def test_a_ventricular_shape_keeps_v_under_the_longest_shift(self):
        t = np.arange(187) / 125.0
        waves = recording([0] * 60)
        waves[45] = -np.exp(-((t - 0.1) / 0.08) ** 2)  # broad and negative
        proba = np.tile([0.9, 0.04, 0.03, 0.02, 0.01], (60, 1))
        proba[45] = [0.1, 0.05, 0.8, 0.03, 0.02]
        rule = dataclasses.replace(DEFAULT_RULE, max_lag_s=0.04)
        out, _ = adapt_template(proba, waves, np.ones((60, 3)), classes=CLASSES,
                                fs_out=125.0, rule=rule)
        assert out[45].argmax() == 2

    def test_only_beats_on_time_are_shifted_when_the_rule_says_so(self):
        waves, rr, proba = recording(self.offsets), np.ones((60, 3)), self.called_v()
        rr[40:45, 0] = 0.7  # five of the late-cut beats come early
        rule = dataclasses.replace(DEFAULT_RULE, max_lag_s=0.04, lag_min_rr_ratio=0.9)
        out, _ = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0, rule=rule)
        np.testing.assert_array_equal(out.argmax(axis=1)[40:50], [2] * 5 + [0] * 5)
        features = template_features(waves, proba.argmax(axis=1) == 0, rr, window=30,
                                     rule=rule, max_lag=5)
        plain = template_features(waves, proba.argmax(axis=1) == 0, rr, window=30)
        np.testing.assert_array_equal(features.correlation[40:45], plain.correlation[40:45])

    def test_the_running_template_shifts_as_the_whole_recording_does(self):
        waves, rr, proba = recording(self.offsets), np.ones((60, 3)), self.called_v()
        rr[44, 0] = 0.7  # an early one stays V in both
        rule = dataclasses.replace(DEFAULT_RULE, max_lag_s=0.04, lag_min_rr_ratio=0.9)
        window, max_lag = rule.samples(125.0)
        assert (window, max_lag) == (30, 5)
        running = RunningTemplate(500)
        streamed = np.concatenate([
            running.adapt(proba[a: a + 20], waves[a: a + 20, : window + max_lag],
                          rr[a: a + 20], classes=CLASSES, rule=rule) for a in (0, 20, 40)])
        whole, _ = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0, rule=rule)
        np.testing.assert_array_equal(streamed.argmax(axis=1), whole.argmax(axis=1))
        assert (np.delete(streamed.argmax(axis=1)[40:50], 4) == 0).all()
        assert streamed[44].argmax() == 2


class TestFoldChoice:
    """``benchmarks/_template_lag.choose``: the lowest N called abnormal, shortest first."""

    @staticmethod
    def run(offsets: list[int], seed: int):
        from conftest import benchmark_modules

        tf, = benchmark_modules("_template_folds")
        n = len(offsets)
        waves = recording(offsets, seed)
        y = np.zeros(n, dtype=np.int64)
        logits = np.random.default_rng(seed).normal(0, 0.3, (n, 5))
        logits[:, 0] += 3.0
        late = np.flatnonzero(np.asarray(offsets) > 0)
        logits[late, 2] += 5.0  # N beats cut on the other lobe, called V
        run = tf.Run(logits, y, np.repeat(["a"], n), waves, np.ones((n, 3)))
        return run

    def test_a_shift_is_chosen_only_where_it_lowers_n_called_abnormal(self):
        from conftest import benchmark_modules

        lag, = benchmark_modules("_template_lag")
        shifted = {c: [self.run([0] * 50 + [3] * 8 + [0] * 20, seed=c)] for c in (0, 1)}
        rule, figures = lag.choose(shifted)
        assert rule.max_lag_s == 0.024  # 3 samples: the shortest shift that clears them
        assert figures["chosen"]["ch0"]["n_called_abnormal"] == 0.0
        aligned = {c: [self.run([0] * 60, seed=c)] for c in (0, 1)}
        assert lag.choose(aligned)[0].max_lag_s == 0.0  # nothing to gain: no shift

    def test_the_grid_and_the_per_record_counts_written_beside_the_choice(self):
        from conftest import benchmark_modules

        lag, = benchmark_modules("_template_lag")
        shifted = {c: [self.run([0] * 50 + [3] * 8 + [0] * 20, seed=c)] for c in (0, 1)}
        grid = lag.all_folds_grid(shifted, "on-time")
        assert list(grid) == ["0", "8", "16", "24", "32", "40"]
        assert grid["0"]["ch0"][0] == pytest.approx(100 * 8 / 78, abs=0.01)  # 8 N called V
        assert grid["24"]["ch0"][0] == 0.0
        rule = dataclasses.replace(DEFAULT_RULE, max_lag_s=0.024, lag_min_rr_ratio=0.9,
                                   neighbours_k=0,  # as when the shift was chosen
                                   v_sure_confidence=float("inf"))
        assert lag.per_record(shifted, rule) == {"a/0": [8, 0], "a/1": [8, 0]}
