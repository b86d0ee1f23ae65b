"""Tests of the step that makes N a beat called S on time (``TemplateRule.s_on_time_ratio``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from _adapting import CLASSES, on_and_off, streamed

from heartbeat.classifier.rhythm import on_time_supraventricular
from heartbeat.classifier.template import DEFAULT_RULE, move_on_time_supraventricular

T = np.linspace(0, 1.5, 187)
NORMAL = np.exp(-((T - 0.02) / 0.03) ** 2) + 0.3 * np.exp(-((T - 0.3) / 0.06) ** 2)
ON = dataclasses.replace(DEFAULT_RULE, s_on_time_ratio=0.9, s_on_time_local_min=0.0)
OFF = dataclasses.replace(DEFAULT_RULE, s_on_time_ratio=float("inf"))
CALLED_N, CALLED_S = [0.9, 0.04, 0.03, 0.02, 0.01], [0.2, 0.6, 0.15, 0.04, 0.01]


def recording() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """80 beats of one shape called N, with S calls: beat 20 on time and alone, beat 40
    early, beats 60-64 a run whose later beats are on time against the local mean."""
    rng = np.random.default_rng(0)
    waves = np.tile(NORMAL, (80, 1)) + 0.01 * rng.standard_normal((80, 187))
    proba = np.tile(CALLED_N, (80, 1))
    proba[[20, 40, 60, 61, 62, 63, 64]] = CALLED_S
    rr = np.ones((80, 3))
    rr[[20], 0] = 0.95  # on time, below the S step's keep ratio
    rr[40, 0] = 0.7
    rr[60, 0] = 0.6
    # the run: the local mean shortened with it (on time by 0.9, below the S step's 1.0)
    rr[61:65, 0], rr[61:65, 2] = 0.57, 0.6
    return waves, proba, rr


class TestOnTimeSupraventricular:
    def test_the_first_beat_and_a_stream_s_before(self):
        called, ratio = np.array([1, 1, 0]), np.ones(3)
        assert on_time_supraventricular(called, ratio, 0.9, supra=1).tolist() == [
            True, False, False]
        assert not on_time_supraventricular(called, ratio, 0.9, supra=1,
                                            first_is_start=True).any()
        assert not on_time_supraventricular(called[:1], ratio[:1], 0.9, supra=1,
                                            previous_is_s=True).any()

    def test_not_in_a_fast_stretch(self):
        called, ratio = np.array([0, 1, 0, 1]), np.ones(4)
        local = np.array([1.0, 0.7, 1.0, 0.95])  # beat 1 in a stretch at 1.4 x the mean rate
        out = on_time_supraventricular(called, ratio, 0.9, supra=1, local_mean=local,
                                       min_local=0.9)
        assert out.tolist() == [False, False, False, True]
        assert on_time_supraventricular(called, ratio, 0.9, supra=1,
                                        local_mean=local).tolist() == [False, True, False, True]

    def test_off_and_empty(self):
        assert not on_time_supraventricular(np.array([1]), np.ones(1), np.inf, supra=1).any()
        assert on_time_supraventricular(np.zeros(0, int), np.zeros(0), 0.9, supra=1).size == 0

    def test_moves_s_onto_n(self):
        proba = np.array([CALLED_N, CALLED_S])
        out = move_on_time_supraventricular(proba, np.ones(2), ON, classes=CLASSES)
        np.testing.assert_allclose(out[1], [0.8, 0.0, 0.15, 0.04, 0.01])
        np.testing.assert_array_equal(out[0], proba[0])
        np.testing.assert_array_equal(
            move_on_time_supraventricular(proba, np.ones(2), OFF, classes=CLASSES),
            proba)


class TestInAdaptation:
    def test_the_lone_s_on_time_becomes_n_and_the_rest_stay(self):
        waves, proba, rr = recording()
        out = on_and_off(waves, proba, rr, ON)[0]
        off = on_and_off(waves, proba, rr, OFF)[0]
        assert off.argmax(axis=1)[20] == 1  # off: S (it matches, but 0.95 < 1.0 keep)
        labels = out.argmax(axis=1)
        assert labels[20] == 0
        assert (labels[[40, 60, 61, 62, 63, 64]] == 1).all()  # early, or in the run
        assert (labels[np.setdiff1d(np.arange(80), [20, 40, 60, 61, 62, 63, 64])] == 0).all()

    def test_in_a_fast_stretch_the_s_stays(self):
        waves, proba, rr = recording()
        rr[20] = [0.95 * 0.85, 0.85, 0.85]  # on time in a stretch at 1/0.85 x the mean rate
        local = dataclasses.replace(ON, s_on_time_local_min=0.9)
        assert on_and_off(waves, proba, rr, ON)[0].argmax(axis=1)[20] == 0
        assert on_and_off(waves, proba, rr, local)[0].argmax(axis=1)[20] == 1
        online = streamed(proba, waves, rr, local, chunk=7).argmax(axis=1)
        assert online[20] == 1

    def test_on_by_default_outside_fast_stretches(self):
        assert (DEFAULT_RULE.s_on_time_ratio, DEFAULT_RULE.s_on_time_local_min) == (0.9, 0.9)

    @pytest.mark.parametrize("chunk", [1, 7, 80])
    def test_stream_agrees_whatever_the_chunks(self, chunk):
        waves, proba, rr = recording()
        offline = on_and_off(waves, proba, rr, ON)[0].argmax(axis=1)
        online = streamed(proba, waves, rr, ON, chunk=chunk).argmax(axis=1)
        assert online[20] == 0 and (online[60:65] == 1).all()
        np.testing.assert_array_equal(online[20:], offline[20:])
