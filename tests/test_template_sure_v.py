"""Tests of the V/F step's guard: a beat the network is sure is V keeps V."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from _adapting import CLASSES, streamed

from heartbeat.classifier.running_template import RunningTemplate
from heartbeat.classifier.template import DEFAULT_RULE, TemplateRule, adapt_template
from heartbeat.classifier.ventricular import sure_ventricular

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

T = np.linspace(0, 1.5, 187)
NORMAL = np.exp(-((T - 0.02) / 0.03) ** 2) + 0.3 * np.exp(-((T - 0.3) / 0.06) ** 2)
ON = DEFAULT_RULE
OFF = dataclasses.replace(DEFAULT_RULE, v_sure_confidence=math.inf)
EARLY_ONLY = dataclasses.replace(ON, v_sure_max_rr_ratio=0.9)
SURE_V = [0.0005, 0.0005, 0.998, 0.0005, 0.0005]
UNSURE_V = [0.1, 0.05, 0.8, 0.04, 0.01]


def recording(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """60 beats of one shape on time: beat 40 called V by a sure network, 41 by an unsure one."""
    rng = np.random.default_rng(seed)
    waves = np.tile(NORMAL, (60, 1)) + 0.01 * rng.standard_normal((60, 187))
    proba = np.tile([0.9, 0.04, 0.03, 0.02, 0.01], (60, 1))
    proba[40], proba[41] = SURE_V, UNSURE_V
    return waves, proba, np.ones((60, 3))


class TestSureVentricular:
    def test_the_threshold_and_the_timing(self):
        proba = np.array([SURE_V, UNSURE_V, SURE_V])
        rr_ratio = np.array([1.0, 1.0, 0.7])
        assert sure_ventricular(proba, rr_ratio, ON, classes=CLASSES).tolist() == [
            True, False, True]
        assert sure_ventricular(proba, rr_ratio, EARLY_ONLY, classes=CLASSES).tolist() == [
            False, False, True]

    def test_off_and_without_v(self):
        proba = np.array([SURE_V])
        assert not sure_ventricular(proba, np.ones(1), OFF, classes=CLASSES).any()
        assert not sure_ventricular(proba[:, :2], np.ones(1), ON, classes=("N", "S")).any()

    def test_the_default_rule_has_the_judged_setting(self):
        import template_sure_v

        assert {k: getattr(DEFAULT_RULE, k) for k in template_sure_v.SETTING} == \
            template_sure_v.SETTING


class TestAdapt:
    def test_a_sure_v_of_the_normal_shape_keeps_v_an_unsure_one_loses_it(self):
        waves, proba, rr = recording()
        out, changed = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0,
                                      rule=ON)
        assert out[40].argmax() == 2 and not changed[40]
        np.testing.assert_array_equal(out[40], proba[40])
        assert out[41].argmax() == 0 and changed[41]

    def test_off_or_on_time_with_the_timing_guard_the_template_takes_v(self):
        waves, proba, rr = recording()
        for rule in (OFF, EARLY_ONLY):
            out = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0,
                                 rule=rule)[0]
            assert out[40].argmax() == 0

    def test_the_stream_keeps_the_same_beats(self):
        waves, proba, rr = recording()
        offline = adapt_template(proba, waves, rr, classes=CLASSES, fs_out=125.0,
                                 rule=ON)[0]
        running = RunningTemplate(500)
        online = np.concatenate([running.adapt(proba[a:a + 20], waves[a:a + 20],
                                               rr[a:a + 20], classes=CLASSES, rule=ON)
                                 for a in range(0, 60, 20)])
        np.testing.assert_array_equal(online.argmax(axis=1), offline.argmax(axis=1))
        assert streamed(proba, waves, rr, ON)[40].argmax() == 2


class TestRule:
    @pytest.mark.parametrize("value", [1.5, -0.1, float("nan")])
    def test_a_confidence_outside_0_1_is_refused(self, value):
        with pytest.raises(ValueError, match="v_sure_confidence"):
            TemplateRule(v_sure_confidence=value)

    def test_inf_turns_it_off_and_a_string_is_refused(self):
        assert TemplateRule(v_sure_confidence=math.inf,
                            v_sure_max_rr_ratio=math.inf).v_sure_confidence == math.inf
        with pytest.raises(TypeError, match="v_sure_max_rr_ratio"):
            TemplateRule(v_sure_max_rr_ratio="0.9")
