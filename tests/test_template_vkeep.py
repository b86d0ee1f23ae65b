"""Tests of the V template: a beat of the recording's own ventricular shape keeps V."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from _adapting import on_and_off, streamed

from heartbeat.classifier.dominant import shape_measures
from heartbeat.classifier.running_template import RunningTemplate
from heartbeat.classifier.template import (
    DEFAULT_RULE,
    TemplateFeatures,
    TemplateRule,
    adapt_template,
    matches,
    template_features,
)
from heartbeat.classifier.ventricular import (
    MIN_V_TEMPLATE_BEATS,
    gain_ventricular,
    own_ventricular,
    ventricular_template,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

CLASSES = ("N", "S", "V", "F", "Q")
T = np.linspace(0, 1.5, 187)
NORMAL = np.exp(-((T - 0.02) / 0.03) ** 2) + 0.3 * np.exp(-((T - 0.3) / 0.06) ** 2)
ECTOPIC = np.exp(-((T - 0.08) / 0.05) ** 2)  # correlation 0.76 with NORMAL: no match
BETWEEN = ECTOPIC + 0.5 * NORMAL  # matches NORMAL (0.82), closer to ECTOPIC (0.96)
OFF = dataclasses.replace(DEFAULT_RULE, v_keep_min_correlation=math.inf)
CALLED_N, CALLED_V = [0.9, 0.04, 0.03, 0.02, 0.01], [0.1, 0.05, 0.8, 0.04, 0.01]


def recording(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """60 beats on time: N of one shape, six ectopic beats called V (10-15), a beat
    between the two shapes called V (30) and a normal-shaped beat called V (40)."""
    rng = np.random.default_rng(seed)
    waves = np.tile(NORMAL, (60, 1))
    waves[10:16] = ECTOPIC
    waves[30] = BETWEEN
    waves += 0.01 * rng.standard_normal(waves.shape)
    proba = np.tile(CALLED_N, (60, 1))
    proba[[*range(10, 16), 30, 40]] = CALLED_V
    return waves, proba, np.ones((60, 3))


class TestTheShapes:
    def test_the_beat_between_matches_the_template_and_is_closer_to_the_ectopic(self):
        waves, proba, rr = recording()
        window, lag = DEFAULT_RULE.samples(125.0)
        features = template_features(waves, proba.argmax(axis=1) == 0, rr, window=window,
                                     rule=DEFAULT_RULE, max_lag=lag)
        hit = matches(features, DEFAULT_RULE)
        assert hit[30] and hit[40] and not hit[10:16].any()
        to_ectopic = shape_measures(waves[[30]], ECTOPIC[:window], lag)[0][0]
        assert to_ectopic >= 0.93 and to_ectopic > features.correlation[30]


class TestAdapt:
    def test_the_beat_of_the_ectopic_shape_keeps_v_the_normal_one_loses_it(self):
        waves, proba, rr = recording()
        out, changed = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0)
        calls = out.argmax(axis=1)
        assert calls[30] == 2 and (calls[10:16] == 2).all() and calls[40] == 0
        np.testing.assert_array_equal(out[30], proba[30])
        assert changed[40] and not changed[30]

    def test_off_takes_v_from_every_matching_beat(self):
        waves, proba, rr = recording()
        out, _ = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0, rule=OFF)
        assert out[30].argmax() == 0 and out[40].argmax() == 0

    def test_too_few_ectopic_beats_make_no_v_template(self):
        waves, proba, rr = recording()
        proba[10 + MIN_V_TEMPLATE_BEATS - 1 : 16] = CALLED_N  # 4 left called V: too few
        out, _ = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0)
        assert out[30].argmax() == 0

    def test_the_stream_keeps_v_once_it_has_seen_the_ectopic_beats(self):
        waves, proba, rr = recording()
        window, lag = DEFAULT_RULE.samples(125.0)
        heads = waves[:, : window + lag]
        running = RunningTemplate(500)
        streamed = np.concatenate([running.adapt(proba[a : a + 20], heads[a : a + 20],
                                                 rr[a : a + 20], classes=CLASSES)
                                   for a in (0, 20, 40)])
        calls = streamed.argmax(axis=1)
        assert calls[30] == 2 and calls[40] == 0
        off = RunningTemplate(500)
        streamed = np.concatenate([off.adapt(proba[a : a + 20], heads[a : a + 20],
                                             rr[a : a + 20], classes=CLASSES, rule=OFF)
                                   for a in (0, 20, 40)])
        assert streamed[30].argmax() == 0


GAIN = dataclasses.replace(DEFAULT_RULE, v_gain_min_correlation=0.95)


def with_early_ones() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`recording` with three beats called N: an early one of the ectopic shape
    (50), one of that shape on time (52) and an early one of the normal shape (54)."""
    waves, proba, rr = recording()
    waves[[50, 52]] = ECTOPIC + 0.01 * np.random.default_rng(1).standard_normal((2, 187))
    rr[[50, 54], 0] = 0.7  # previous RR 70 % of the local mean
    return waves, proba, rr


class TestGain:
    def test_an_early_beat_of_the_ectopic_shape_becomes_v(self):
        out, changed, off = on_and_off(*with_early_ones(), GAIN)
        calls = out.argmax(axis=1)
        assert calls[50] == 2 and changed[50]
        np.testing.assert_allclose(out[50], [0.0, 0.0, 0.97, 0.02, 0.01])
        assert calls[52] == 0 and calls[54] != 2  # on time; the normal shape (made S)
        assert off[50].argmax() != 2  # the shipped rule: off

    def test_the_stream_gains_it_too(self):
        waves, proba, rr = with_early_ones()
        out = streamed(proba, waves, rr, GAIN)
        assert out[50].argmax() == 2 and out[52].argmax() == 0

    def test_without_a_v_template_nothing_changes(self):
        waves, proba, rr = with_early_ones()
        window, lag = GAIN.samples(125.0)
        feats = template_features(waves, proba.argmax(axis=1) == 0, rr, window=window,
                                  rule=GAIN, max_lag=lag)
        out = gain_ventricular(proba, waves[:, : window + lag], feats, GAIN,
                               classes=CLASSES, max_lag=lag, v_template=None)
        np.testing.assert_array_equal(out, proba)


class TestOwnVentricular:
    @staticmethod
    def features(correlation) -> TemplateFeatures:
        n = len(correlation)
        return TemplateFeatures(np.asarray(correlation, dtype=float), np.ones(n), np.ones(n),
                                np.ones(n), has_template=True)

    def test_higher_than_the_template_and_above_the_threshold(self):
        heads = np.vstack([np.tile(ECTOPIC[:35], (5, 1)), ECTOPIC[:35] * 1.1,
                           NORMAL[:35], ECTOPIC[:35] + 0.2 * NORMAL[:35]])
        called_v = np.ones(8, dtype=bool)
        hit = np.array([False] * 5 + [True] * 3)
        # beat 7 is near the ectopic shape, but nearer still to the template (0.999)
        assert 0.93 < shape_measures(heads[[7]], ECTOPIC[:30], 5)[0][0] < 0.999
        feats = self.features([0.0] * 5 + [0.85, 0.99, 0.999])
        keep = own_ventricular(heads, called_v, hit, feats, DEFAULT_RULE, max_lag=5,
                               v_template=ventricular_template(heads, called_v & ~hit, 30))
        np.testing.assert_array_equal(keep, [False] * 5 + [True, False, False])

    def test_off_or_no_template_keeps_nothing(self):
        heads = np.tile(ECTOPIC[:35], (6, 1))
        hit = np.array([False] * 4 + [True] * 2)
        feats = self.features([0.0] * 4 + [0.85, 0.85])
        called_v = np.ones(6, dtype=bool)
        assert ventricular_template(heads, called_v & ~hit, 30) is None  # 4: too few
        assert not own_ventricular(heads, called_v, hit, feats, DEFAULT_RULE,
                                   v_template=None).any()
        given = own_ventricular(heads, called_v, hit, feats, DEFAULT_RULE,
                                v_template=ECTOPIC[:30])
        np.testing.assert_array_equal(given, [False] * 4 + [True, True])
        assert not own_ventricular(heads, called_v, hit, feats, OFF,
                                   v_template=ECTOPIC[:30]).any()


class TestTheField:
    def test_shipped_value_and_off(self):
        assert DEFAULT_RULE.v_keep_min_correlation == 0.93
        assert DEFAULT_RULE.v_gain_max_rr_ratio == 0.9
        assert math.isinf(TemplateRule(v_keep_min_correlation=math.inf).v_keep_min_correlation)

    @pytest.mark.parametrize("value", [1.5, -2.0, -math.inf, float("nan")])
    def test_outside_minus_1_to_1_is_refused(self, value):
        with pytest.raises(ValueError, match="v_keep_min_correlation"):
            TemplateRule(v_keep_min_correlation=value)

    def test_not_a_number_is_a_type_error(self):
        with pytest.raises(TypeError, match="v_keep_min_correlation"):
            TemplateRule(v_keep_min_correlation="high")


class TestFoldProtocol:
    def test_the_grid_is_the_preregistered_one_on_the_rule_shipped_before(self):
        import _template_vkeep as vk

        off_then = dataclasses.replace(OFF, s_on_time_ratio=math.inf, s_on_time_local_min=0.0,
                                       neighbours_k=0,  # before the on-time S step
                                       v_sure_confidence=math.inf)
        assert vk.SHIPPED == off_then
        rules = vk.rules()
        assert [r.v_keep_min_correlation for r in rules] == [
            math.inf, 0.99, 0.98, 0.97, 0.95, 0.93, 0.90]
        for rule in rules:
            assert dataclasses.replace(rule, v_keep_min_correlation=math.inf) == off_then

    @staticmethod
    def summary(abnormal, v_f1, s_f1=(0.4, 0.3)):
        return {lead: {"n_called_abnormal": (a, 0.0), "V_f1": (v, 0.0), "S_f1": (s, 0.0)}
                for lead, a, v, s in zip(("ch0", "ch1"), abnormal, v_f1, s_f1, strict=True)}

    @pytest.mark.parametrize(("abnormal", "v_f1", "passes"), [
        ((0.0103, 0.0181), (0.82, 0.556), True),    # +0.03 / +0.01 point, V up / level
        ((0.0112, 0.0181), (0.82, 0.556), False),   # lead 0 up 0.12 point
        ((0.0103, 0.0181), (0.80, 0.556), False),   # lead 0 V F1 not higher
        ((0.0103, 0.0181), (0.82, 0.550), False),   # lead 1 V F1 lower
    ])
    def test_conditions_1_to_3(self, abnormal, v_f1, passes):
        import _template_vkeep as vk

        base = self.summary((0.0100, 0.0180), (0.80, 0.556))
        verdict = vk.verdict(base, self.summary(abnormal, v_f1), vk.with_value(0.93),
                             "detector")
        assert verdict["conditions_1_to_3"] is passes
        off = vk.verdict(base, self.summary(abnormal, v_f1), vk.SHIPPED, "detector")
        assert off["conditions_1_to_3"] is False  # condition 1: a setting must be chosen
        confirm = vk.verdict(base, self.summary(abnormal, v_f1), None, "annotations")
        assert confirm["condition_5"] is (passes or v_f1 == (0.80, 0.556))
