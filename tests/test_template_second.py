"""Tests of the second normal shape on time (``TemplateRule.second_min_share``).

Off by default: docs/results.md section 5, "A second normal shape on time", not
adopted (at the detected cut it changed nothing on the folds).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from _adapting import on_and_off, streamed

from heartbeat.classifier.dominant import dominant_cluster, second_template
from heartbeat.classifier.template import DEFAULT_RULE, TemplateRule

T = np.linspace(0, 1.5, 187)
NARROW = np.exp(-((T - 0.02) / 0.03) ** 2) + 0.3 * np.exp(-((T - 0.3) / 0.06) ** 2)
WIDE = np.exp(-((T - 0.08) / 0.05) ** 2) - 0.4 * np.exp(-((T - 0.2) / 0.04) ** 2)
ON = dataclasses.replace(DEFAULT_RULE, second_min_share=0.3)
CALLED_N, CALLED_V = [0.9, 0.04, 0.03, 0.02, 0.01], [0.1, 0.05, 0.8, 0.04, 0.01]


def recording(n_wide: int = 40, *, wide_rr: float = 1.0, early: tuple[int, ...] = ()
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """100 beats on time: the first ``100 - n_wide`` narrow and called N, then `n_wide`
    wide ones called V at previous RR `wide_rr` (in units of the narrow beats');
    beats in `early` come at 70 % of the local mean RR."""
    rng = np.random.default_rng(1)
    waves = np.tile(NARROW, (100, 1))
    waves[100 - n_wide :] = WIDE
    waves += 0.01 * rng.standard_normal(waves.shape)
    proba = np.tile(CALLED_N, (100, 1))
    proba[100 - n_wide :] = CALLED_V
    rr = np.ones((100, 3))
    rr[100 - n_wide :, 0] = wide_rr
    rr[100 - n_wide :, 2] = wide_rr
    rr[list(early), 0] = 0.7 * rr[list(early), 2]
    return waves, proba, rr


class TestSecondTemplate:
    def test_is_the_median_of_the_wide_beats(self):
        waves, proba, rr = recording()
        pool = proba.argmax(axis=1) == 2
        second = second_template(waves[:, :30], rr[:, 0], rr[:, 0] / rr[:, 2], pool, ~pool,
                                 ON, min_beats=10)
        np.testing.assert_allclose(second, np.median(waves[60:, :30], axis=0))

    @pytest.mark.parametrize("case", ["off", "too few", "fast", "premature", "no N"])
    def test_none(self, case):
        n_wide, wide_rr, rule, early = 40, 1.0, ON, ()
        if case == "off":
            rule = DEFAULT_RULE
        elif case == "too few":
            n_wide = 25  # 25 % of the beats, below 30 %
        elif case == "fast":
            wide_rr = 0.7  # a ventricular rhythm at 1.4 x the sinus rate
        elif case == "premature":
            early = tuple(range(60, 100))
        waves, proba, rr = recording(n_wide, wide_rr=wide_rr, early=early)
        pool = proba.argmax(axis=1) == 2
        normal = np.zeros(100, bool) if case == "no N" else ~pool
        assert second_template(waves[:, :30], rr[:, 0], rr[:, 0] / rr[:, 2], pool, normal,
                               rule, min_beats=10) is None

    def test_the_share_is_of_n_beats(self):
        waves, proba, rr = recording()
        pool = proba.argmax(axis=1) == 2
        args = (waves[:, :30], rr[:, 0], rr[:, 0] / rr[:, 2], pool, ~pool, ON)
        assert second_template(*args, min_beats=10, n_beats=100) is not None
        assert second_template(*args, min_beats=10, n_beats=200) is None  # 20 %

    def test_cluster_keeps_only_matching_candidates(self):
        waves = np.r_[np.tile(NARROW, (12, 1)), WIDE[None]]
        cluster = dominant_cluster(waves[:, :30], np.ones(13, bool), ON, need=10)
        assert cluster[:12].all() and not cluster[12]
        assert dominant_cluster(waves[:, :30], np.ones(13, bool), ON, need=np.inf) is None


class TestInAdaptation:
    def test_the_wide_beats_on_time_become_n(self):
        waves, proba, rr = recording()
        out, changed, off = on_and_off(waves, proba, rr, ON)
        assert (off.argmax(axis=1)[60:] == 2).all()  # today: V
        assert (out.argmax(axis=1) == 0).all()
        np.testing.assert_array_equal(np.flatnonzero(changed), np.arange(60, 100))
        np.testing.assert_allclose(out.sum(axis=1), 1.0)

    def test_an_early_beat_of_that_shape_keeps_v(self):
        waves, proba, rr = recording(early=(70, 80))
        out = on_and_off(waves, proba, rr, ON)[0]
        assert (np.flatnonzero(out.argmax(axis=1) == 2) == [70, 80]).all()

    def test_a_fast_cluster_keeps_v(self):
        waves, proba, rr = recording(wide_rr=0.7)
        out, changed, off = on_and_off(waves, proba, rr, ON)
        np.testing.assert_array_equal(out, off)
        assert not changed[60:].any()

    def test_off_by_default(self):
        assert DEFAULT_RULE.second_min_share == np.inf
        waves, proba, rr = recording()
        out, _, off = on_and_off(waves, proba, rr, DEFAULT_RULE)
        np.testing.assert_array_equal(out, off)

    def test_stream_takes_the_wide_beats_once_they_are_a_share_of_the_past(self):
        waves, proba, rr = recording()
        out = streamed(proba, waves, rr, ON, chunk=10)
        labels = out.argmax(axis=1)
        assert (labels[:60] == 0).all()
        # the wide beats are 10 / 70, 20 / 80 ... of the past: from 30 % on they are N
        assert (labels[60:70] == 2).all() and (labels[80:] == 0).all()
        np.testing.assert_array_equal(out[80:], on_and_off(waves, proba, rr, ON)[0][80:])


class TestRule:
    def test_validates(self):
        assert TemplateRule(second_min_share=np.inf).second_min_share == np.inf
        with pytest.raises(ValueError, match="second_min_share"):
            TemplateRule(second_min_share=-0.1)
        with pytest.raises(ValueError, match="second_min_rr_ratio"):
            TemplateRule(second_min_rr_ratio=float("nan"))
