"""The S step's keep ratio (``TemplateRule.s_min_keep_ratio``) and its fold protocol.

``benchmarks/_s_keep_folds.py`` chooses the ratio on the DS1 patient folds
(docs/results.md section 5, "When a beat called S of the template's shape goes back to
N"); the rule written before scoring rests on one property of the S step tested here:
a lower keep ratio only adds S -> N moves, so it can neither call more N beats abnormal
nor move a beat called V.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import benchmark_modules
from heartbeat.classifier.template import (
    DEFAULT_RULE,
    TemplateFeatures,
    supraventricular_moves,
)

(kf,) = benchmark_modules("_s_keep_folds")

N, S, V = 0, 1, 2


def features(rng: np.random.Generator, n: int) -> TemplateFeatures:
    """Beats of assorted shape and timing around the thresholds."""
    return TemplateFeatures(correlation=rng.uniform(0.6, 1.0, n),
                            amplitude_ratio=rng.uniform(0.4, 2.5, n),
                            rr_ratio=rng.uniform(0.6, 1.3, n),
                            post_ratio=rng.uniform(0.8, 1.5, n), has_template=True)


class TestKeepRatio:
    @given(seed=st.integers(0, 2**32 - 1), low=st.sampled_from((0.95, 0.90, 0.85)))
    def test_a_lower_ratio_only_adds_moves_to_n(self, seed, low):
        rng = np.random.default_rng(seed)
        feats = features(rng, 200)
        called = rng.integers(0, 3, 200)
        irregular = rng.random(200) < 0.2
        moves = {k: supraventricular_moves(
            feats, called, dataclasses.replace(DEFAULT_RULE, s_min_keep_ratio=k),
            normal=N, supra=S, first_is_start=True, irregular=irregular) for k in (1.0, low)}
        (supra_today, normal_today), (supra_low, normal_low) = moves[1.0], moves[low]
        np.testing.assert_array_equal(supra_low, supra_today)
        assert np.all(normal_low >= normal_today)
        assert not np.any(normal_low & (called != S))

    def test_a_beat_called_s_between_the_ratios_goes_to_n_only_below_today(self):
        # previous RR 0.92 x the local mean: the S step would not make it S (0.85)
        feats = TemplateFeatures(correlation=np.array([0.99, 0.99]),
                                 amplitude_ratio=np.array([1.0, 1.0]),
                                 rr_ratio=np.array([1.0, 0.92]),
                                 post_ratio=np.array([1.0, 1.0]), has_template=True)
        called = np.array([N, S])
        for keep, expected in ((1.0, [False, False]), (0.90, [False, True])):
            rule = dataclasses.replace(DEFAULT_RULE, s_min_keep_ratio=keep)
            _, to_normal = supraventricular_moves(feats, called, rule, normal=N, supra=S)
            np.testing.assert_array_equal(to_normal, expected)


class TestFoldProtocol:
    def test_grid_is_the_preregistered_one_on_the_shipped_rule_today_first(self):
        ratios = [r.s_min_keep_ratio for r in kf.rules()]
        assert ratios == [1.0, 0.95, 0.90, 0.85]
        # the rule shipped when this was chosen: today's without the later shift, V
        # template and on-time S step
        shipped_then = dataclasses.replace(DEFAULT_RULE, max_lag_s=0.0, lag_min_rr_ratio=0.0,
                                           v_keep_min_correlation=float("inf"),
                                           s_on_time_ratio=float("inf"), s_on_time_local_min=0.0,
                                           neighbours_k=0, v_sure_confidence=float("inf"))
        assert kf.CURRENT == shipped_then
        for rule in kf.rules():
            assert dataclasses.replace(rule, s_min_keep_ratio=1.0) == shipped_then

    @staticmethod
    def summary(s_f1, abnormal, v_f1=0.75, v_sd=0.1):
        return {lead: {"S_f1": (s_f1, 0.0), "n_called_abnormal": (abnormal, 0.0),
                       "V_f1": (v_f1, v_sd)} for lead in ("ch0", "ch1")}

    @pytest.mark.parametrize(("keep", "s_f1", "abnormal", "passes"), [
        (0.95, 0.40, 0.02, True),    # figures hold and the choice differs
        (1.0, 0.45, 0.01, False),    # all folds chose today's value
        (0.95, 0.39, 0.01, False),   # S F1 fell
        (0.95, 0.40, 0.03, False),   # more N called abnormal
    ])
    def test_default_changes_only_as_the_rule_says(self, keep, s_f1, abnormal, passes):
        final = dataclasses.replace(DEFAULT_RULE, s_min_keep_ratio=keep)
        decision = kf.decide(self.summary(0.40, 0.02), self.summary(s_f1, abnormal), final)
        assert decision["passes"] is passes

    def test_v_f1_may_fall_by_at_most_one_sd(self):
        final = dataclasses.replace(DEFAULT_RULE, s_min_keep_ratio=0.9)
        today = self.summary(0.40, 0.02, v_f1=0.75, v_sd=0.05)
        assert kf.decide(today, self.summary(0.40, 0.02, v_f1=0.71), final)["passes"]
        assert not kf.decide(today, self.summary(0.40, 0.02, v_f1=0.69), final)["passes"]
