"""``TemplateRule`` refuses thresholds that cannot mean anything, naming the field."""

from __future__ import annotations

import dataclasses
import math

import pytest

from heartbeat.classifier.template import DEFAULT_RULE, TemplateRule


def test_the_default_is_the_dataclass_default():
    assert TemplateRule() == DEFAULT_RULE


@pytest.mark.parametrize(("field", "value", "error"), [
    ("window_s", 0.0, ValueError),
    ("window_s", math.inf, ValueError),
    ("min_correlation", 1.5, ValueError),
    ("s_min_correlation", math.nan, ValueError),
    ("max_amplitude_ratio", 0.5, ValueError),
    ("min_rr_ratio", -0.1, ValueError),
    ("max_lag_s", math.inf, ValueError),
    ("max_lag_s", math.nan, ValueError),
    ("lag_min_rr_ratio", -1.0, ValueError),
    ("fallback_min_rr_ratio", "0.9", TypeError),
    ("s_irregular_beats", 0, ValueError),
    ("s_irregular_beats", 2.0, TypeError),
    ("q_step", 1, TypeError),
    ("s_irregular_keep", "yes", TypeError),
])
def test_a_meaningless_threshold_is_refused(field, value, error):
    with pytest.raises(error, match=f"TemplateRule.{field}"):
        dataclasses.replace(DEFAULT_RULE, **{field: value})


@pytest.mark.parametrize("field", ["max_amplitude_ratio", "s_min_keep_ratio",
                                   "s_irregular_above", "s_max_sudden_ratio",
                                   "s_keep_sudden_ratio", "fallback_min_share"])
def test_inf_turns_a_check_off_where_documented(field):
    assert getattr(dataclasses.replace(DEFAULT_RULE, **{field: math.inf}), field) == math.inf
