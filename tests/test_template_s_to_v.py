"""Tests of the step that makes V a beat called S unlike the recording's template.

``TemplateRule.s_to_v_max_correlation`` (off by default: docs/results.md section 5, "A
beat called S unlike the recording's N beats becomes V", not adopted).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from _adapting import on_and_off, streamed

from heartbeat.classifier.template import (
    DEFAULT_RULE,
    TemplateFeatures,
    TemplateRule,
)
from heartbeat.classifier.ventricular import move_unlike_supraventricular

CLASSES = ("N", "S", "V", "F", "Q")
T = np.linspace(0, 1.5, 187)
NORMAL = np.exp(-((T - 0.02) / 0.03) ** 2) + 0.3 * np.exp(-((T - 0.3) / 0.06) ** 2)
WIDE = np.exp(-((T - 0.08) / 0.05) ** 2)  # correlation 0.76 with NORMAL
ON = dataclasses.replace(DEFAULT_RULE, s_to_v_max_correlation=0.8)
CALLED_N, CALLED_S = [0.9, 0.04, 0.03, 0.02, 0.01], [0.2, 0.6, 0.15, 0.04, 0.01]


def recording() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """60 beats: N of one shape; beat 20 called S of the normal shape, beat 40 called S
    of another shape; both early (previous RR 70 % of the local mean)."""
    rng = np.random.default_rng(0)
    waves = np.tile(NORMAL, (60, 1))
    waves[40] = WIDE
    waves += 0.01 * rng.standard_normal(waves.shape)
    proba = np.tile(CALLED_N, (60, 1))
    proba[[20, 40]] = CALLED_S
    rr = np.ones((60, 3))
    rr[[20, 40], 0] = 0.7
    return waves, proba, rr


def features(correlation, has_template: bool = True) -> TemplateFeatures:
    n = len(correlation)
    return TemplateFeatures(np.asarray(correlation, dtype=float), np.ones(n), np.ones(n),
                            np.ones(n), has_template=has_template)


class TestMoveUnlikeSupraventricular:
    def test_a_beat_called_s_below_the_threshold_becomes_v(self):
        proba = np.array([CALLED_S, CALLED_S, CALLED_N])
        out = move_unlike_supraventricular(proba, features([0.5, 0.9, 0.1]), ON,
                                           classes=CLASSES)
        np.testing.assert_allclose(out[0], [0.2, 0.0, 0.75, 0.04, 0.01])
        np.testing.assert_array_equal(out[1:], proba[1:])  # like the template; called N
        np.testing.assert_allclose(out.sum(axis=1), 1.0)

    def test_the_threshold_is_strict(self):
        out = move_unlike_supraventricular(np.array([CALLED_S]), features([0.8]), ON,
                                           classes=CLASSES)
        assert out[0].argmax() == 1

    @pytest.mark.parametrize("case", ["off", "no template", "no V class", "empty"])
    def test_nothing_moves(self, case):
        proba, feats, rule, classes = np.array([CALLED_S]), features([0.1]), ON, CLASSES
        if case == "off":
            rule = DEFAULT_RULE
        elif case == "no template":
            feats = features([0.0], has_template=False)
        elif case == "no V class":
            proba, classes = proba[:, :2] / proba[:, :2].sum(), ("N", "S")
        else:
            proba, feats = np.zeros((0, 5)), features([])
        out = move_unlike_supraventricular(proba, feats, rule, classes=classes)
        np.testing.assert_array_equal(out, proba)
        assert out is not proba


class TestInAdaptation:
    def test_off_by_default(self):
        assert DEFAULT_RULE.s_to_v_max_correlation == -1.0

    def test_the_early_beat_unlike_the_template_becomes_v(self):
        out, changed, off = on_and_off(*recording(), ON)
        calls = out.argmax(axis=1)
        assert calls[40] == 2 and changed[40]
        assert calls[20] == 1  # called S, of the normal shape: stays S
        assert off.argmax(axis=1)[40] == 1

    def test_the_stream_moves_it_too(self):
        waves, proba, rr = recording()
        out = streamed(proba, waves, rr, ON)
        assert out[40].argmax() == 2 and out[20].argmax() == 1

    @pytest.mark.parametrize("value", [-1.5, 1.01, float("nan"), float("inf")])
    def test_a_value_outside_minus_one_to_one_is_refused(self, value):
        with pytest.raises(ValueError, match="s_to_v_max_correlation"):
            TemplateRule(s_to_v_max_correlation=value)
