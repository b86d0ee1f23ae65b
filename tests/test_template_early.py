"""An early beat held to a closer match before V and F are taken from it
(``TemplateRule.early_rr_ratio``, ``early_min_correlation``; docs/results.md section 5)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import benchmark_modules
from heartbeat.classifier.template import DEFAULT_RULE, TemplateFeatures, TemplateRule, matches

(_template_early,) = benchmark_modules("_template_early")


def features(correlation, rr_ratio) -> TemplateFeatures:
    n = len(correlation)
    return TemplateFeatures(np.asarray(correlation, float), np.ones(n),
                            np.asarray(rr_ratio, float), np.ones(n), has_template=True)


class TestMatches:
    def test_off_by_default(self):
        assert DEFAULT_RULE.early_rr_ratio == 0.0
        got = matches(features([0.81, 0.99, 0.5], [0.5, 0.5, 1.0]), DEFAULT_RULE)
        np.testing.assert_array_equal(got, [True, True, False])

    def test_an_early_beat_needs_the_closer_match_a_beat_on_time_does_not(self):
        rule = dataclasses.replace(DEFAULT_RULE, early_rr_ratio=0.85,
                                   early_min_correlation=0.95)
        got = matches(features([0.90, 0.96, 0.90, 0.90], [0.70, 0.70, 0.85, 1.10]), rule)
        np.testing.assert_array_equal(got, [False, True, True, True])

    @pytest.mark.parametrize("value", [1.5, -2.0, float("nan")])
    def test_a_correlation_outside_minus_1_to_1_is_refused(self, value):
        with pytest.raises(ValueError, match="early_min_correlation"):
            TemplateRule(early_min_correlation=value)

    def test_a_negative_ratio_is_refused(self):
        with pytest.raises(ValueError, match="early_rr_ratio"):
            TemplateRule(early_rr_ratio=-0.1)


class TestGrid:
    def test_the_shipped_rule_first_then_every_setting(self):
        rules = _template_early.rules()
        # the rule shipped when the early check was judged: today's without the V template
        # and the on-time S step
        shipped_then = dataclasses.replace(DEFAULT_RULE, v_keep_min_correlation=float("inf"),
                                           s_on_time_ratio=float("inf"), s_on_time_local_min=0.0,
                                           neighbours_k=0, v_sure_confidence=float("inf"))
        assert rules[0] == shipped_then == _template_early.SHIPPED and len(rules) == 1 + 3 * 4
        assert {(r.early_rr_ratio, r.early_min_correlation) for r in rules[1:]} == {
            (r, c) for r in (0.80, 0.85, 0.90) for c in (0.90, 0.93, 0.95, 0.97)}
        for r in rules[1:]:  # nothing else changes
            assert dataclasses.replace(r, early_rr_ratio=0.0, early_min_correlation=1.0) \
                == shipped_then


def summary(n_abnormal, v_f1, s_f1):
    return {lead: {"n_called_abnormal": (a, 0.0), "V_f1": (v, 0.0), "S_f1": (s, 0.0)}
            for lead, a, v, s in zip(("ch0", "ch1"), n_abnormal, v_f1, s_f1, strict=True)}


class TestVerdict:
    base = summary((0.010, 0.020), (0.80, 0.55), (0.45, 0.36))
    chosen = dataclasses.replace(DEFAULT_RULE, early_rr_ratio=0.85, early_min_correlation=0.9)

    def test_adopted_when_v_f1_rises_on_both_leads_within_the_bounds(self):
        cand = summary((0.011, 0.021), (0.82, 0.60), (0.445, 0.355))
        got = _template_early.verdict(self.base, cand, self.chosen, "detector")
        assert got["conditions_1_to_3"] and got["abnormal_rise_points"] == pytest.approx(0.1)

    @pytest.mark.parametrize("cand, rule", [
        (summary((0.012, 0.021), (0.82, 0.60), (0.45, 0.36)), None),  # 0.15 point more
        (summary((0.010, 0.020), (0.82, 0.55), (0.45, 0.36)), None),  # lead 1 V F1 equal
        (summary((0.010, 0.020), (0.82, 0.60), (0.43, 0.36)), None),  # S F1 -2 points
        (summary((0.010, 0.020), (0.82, 0.60), (0.45, 0.36)), DEFAULT_RULE),  # nothing chosen
    ])
    def test_refused_when_a_condition_fails(self, cand, rule):
        got = _template_early.verdict(self.base, cand, rule or self.chosen, "detector")
        assert not got["conditions_1_to_3"]

    def test_the_second_rule_bounds_each_lead_at_a_quarter_point(self):
        cand = summary((0.012, 0.022), (0.82, 0.60), (0.45, 0.36))  # +0.2 point each
        assert _template_early.verdict(self.base, cand, self.chosen, "detector",
                                       "second")["conditions_1_to_3"]
        cand = summary((0.010, 0.023), (0.82, 0.60), (0.45, 0.36))  # lead 1 +0.3
        assert not _template_early.verdict(self.base, cand, self.chosen, "detector",
                                           "second")["conditions_1_to_3"]
        assert _template_early.within_bound([0.0, 0.0015], "first")  # mean 0.075 point

    def test_at_the_annotated_cut_v_f1_may_stay_equal(self):
        cand = summary((0.010, 0.020), (0.80, 0.55), (0.40, 0.30))
        assert _template_early.verdict(self.base, cand, self.chosen, "annotations")[
            "condition_4"]
