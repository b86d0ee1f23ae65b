"""Tests of the +jit recipe's beats (benchmarks/_jitter.py) and its name in the fold protocol."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import benchmark_modules

_jitter, _recipe, _template_recipes, cv_patients = benchmark_modules(
    "_jitter", "_recipe", "_template_recipes", "cv_patients")


class TestOffsets:
    def test_half_the_beats_move_by_1_to_40_ms_either_way(self):
        off = _jitter.offsets(200_000, 360.0, np.random.default_rng(0))
        moved = off[off != 0]
        assert moved.size / off.size == pytest.approx(_jitter.P, abs=0.01)
        assert np.abs(moved).min() == 1 and np.abs(moved).max() == 14  # 40 ms at 360 Hz
        counts = np.bincount(np.abs(moved))[1:]
        assert counts.min() > 0.9 * counts.mean()  # uniform over the sizes
        assert (moved > 0).mean() == pytest.approx(0.5, abs=0.01)

    def test_the_draw_is_reproducible(self):
        a = _jitter.offsets(50, 250.0, np.random.default_rng(3))
        np.testing.assert_array_equal(a, _jitter.offsets(50, 250.0, np.random.default_rng(3)))


@pytest.fixture(scope="module")
def annotated(mitdb_dir):
    """Lead 1 of records 100 and 207 cut at the annotated R peaks."""
    from heartbeat import datasets

    return datasets.mitbih_beats(mitdb_dir, records=["100", "207"], channel=1, quiet=True)


class TestRecordBeats:

    def test_without_moves_it_is_the_annotated_set(self, annotated, monkeypatch):
        monkeypatch.setattr(_jitter, "P", 0.0)
        for name in ("100", "207"):
            got = _jitter.record_beats(annotated, name, 1)
            want = annotated[annotated.record == name]
            np.testing.assert_array_equal(got.x, want.x)
            np.testing.assert_array_equal(got.rr, want.rr)
            np.testing.assert_array_equal(got.y, want.y)

    def test_moved_beats_keep_their_labels_and_order(self, annotated):
        got = _jitter.record_beats(annotated, "207", 1)
        want = annotated[annotated.record == "207"]
        assert len(got) == len(want)
        shift = got.sample - want.sample
        assert np.abs(shift).max() <= 14 and 0.4 < (shift != 0).mean() < 0.6
        assert np.all(np.diff(got.sample) > 0)
        np.testing.assert_array_equal(got.y, want.y)
        moved = shift != 0
        assert not np.array_equal(got.x[moved], want.x[moved])


class TestRecipeNames:
    @pytest.mark.parametrize("text, peaks", [("ch0+ch1", "annotations"),
                                             ("ch0+ch1+det", "detector"),
                                             ("ch0+ch1+jit", "jitter")])
    def test_the_cut_is_read_from_the_name_and_written_back(self, text, peaks):
        recipe = cv_patients.parse_recipe(text)
        assert recipe.peaks == peaks and recipe.name() == text

    @pytest.mark.parametrize("text", ["ch0+det+jit", "ch0+wobble", "aug"])
    def test_two_cuts_or_unknown_parts_are_refused(self, text):
        with pytest.raises(SystemExit):
            cv_patients.parse_recipe(text)

    def test_the_beats_of_an_unknown_cut_are_refused(self, tmp_path):
        with pytest.raises(ValueError, match="peaks must be one of"):
            _recipe.beats(0, tmp_path, peaks="nowhere")


class TestRules:
    def test_each_rule_names_its_files(self):
        from heartbeat.classifier.template import DEFAULT_RULE

        assert "shipped" not in _template_recipes.RULES  # the fold copy lacks its last step
        rule, suffix = _template_recipes.RULES["before-neighbours"]
        assert rule == dataclasses.replace(DEFAULT_RULE, neighbours_k=0,
                                           v_sure_confidence=float("inf"))
        assert rule.max_lag_s > 0 and suffix == "_shift_vkeep_ontime"  # session 17's files
        off = {"s_on_time_ratio": float("inf"), "s_on_time_local_min": 0.0, "neighbours_k": 0,
               "v_sure_confidence": float("inf")}
        on_time, suffix = _template_recipes.RULES["before-on-time"]
        assert on_time == dataclasses.replace(DEFAULT_RULE, **off)
        assert suffix == "_shift_vkeep"  # session 14's files, then named "shipped"
        between, suffix = _template_recipes.RULES["before-v-keep"]
        assert between == dataclasses.replace(DEFAULT_RULE, v_keep_min_correlation=float("inf"),
                                              **off)
        assert suffix == "_shift"  # session 13's files, then named "shipped"
        before, suffix = _template_recipes.RULES["before-shift"]
        assert before.max_lag_s == 0 and suffix == ""
