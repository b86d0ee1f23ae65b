"""Recipes compared under the shipped ``adapt="template"`` rule (benchmarks/_template_recipes.py).

The rule written before scoring (docs/results.md section 5, "Augmentation with early
stopping") decides on the 3-seed ensemble with the shipped rule: N called abnormal
averaged over both leads must fall, V F1 and S F1 may fall by at most one sd per lead.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import benchmark_modules
from heartbeat.classifier.template import DEFAULT_RULE, adapt_template

_recipe, tf, tr = benchmark_modules("_recipe", "_template_folds", "_template_recipes")


def summary(abnormal=(0.03, 0.05), v_f1=(0.75, 0.65), s_f1=(0.40, 0.30), sd=0.05) -> dict:
    """A summary as ``_recipe.summarise`` writes it: (mean, sd) per lead and figure."""
    return {lead: {"n_called_abnormal": (abnormal[i], 0.01), "V_f1": (v_f1[i], sd),
                   "S_f1": (s_f1[i], sd)} for i, lead in enumerate(("ch0", "ch1"))}


class TestDecide:
    @pytest.mark.parametrize(("candidate", "passes"), [
        (summary(abnormal=(0.02, 0.05)), True),             # lower on lead 0 only
        (summary(abnormal=(0.01, 0.065)), True),            # the mean over leads is lower
        (summary(abnormal=(0.03, 0.05)), False),            # equal is not lower
        (summary(abnormal=(0.01, 0.08)), False),            # the mean over leads is higher
        (summary(abnormal=(0.02, 0.04), v_f1=(0.71, 0.65)), True),  # within one sd
        (summary(abnormal=(0.02, 0.04), v_f1=(0.75, 0.59)), False),  # lead 1 V F1 fell
        (summary(abnormal=(0.02, 0.04), s_f1=(0.34, 0.30)), False),  # lead 0 S F1 fell
        (summary(abnormal=(0.02, 0.04), s_f1=(0.40, 0.26)), True),   # within one sd
    ])
    def test_adopts_only_as_the_rule_says(self, candidate, passes):
        decision = tr.decide(summary(), candidate)
        assert decision["passes"] is passes
        assert decision["primary_baseline"] == pytest.approx(0.04)

    def test_the_guards_use_the_baselines_sd(self):
        wide, narrow = summary(sd=0.10), summary(sd=0.01)
        candidate = summary(abnormal=(0.02, 0.04), v_f1=(0.70, 0.60), sd=0.0)
        assert tr.decide(wide, candidate)["passes"]
        assert not tr.decide(narrow, candidate)["passes"]


def held_out() -> tuple:
    """Two synthetic records of one beat shape; a few beats of that shape called V and a
    few ventricular-like beats called V (the template step must spare only the latter)."""
    rng = np.random.default_rng(5)
    t = np.linspace(0, 1.5, 187)
    beat = np.exp(-((t - 0.02) / 0.03) ** 2) + 0.3 * np.exp(-((t - 0.3) / 0.06) ** 2)
    waves = beat + 0.01 * rng.standard_normal((160, 187))
    y = np.zeros(160, dtype=np.int64)
    y[[7, 30, 95, 120]] = 2
    waves[y == 2] = -np.exp(-((t - 0.1) / 0.08) ** 2)
    logits = rng.normal(0, 0.3, (160, 5))
    logits[np.arange(160), y] += 3.0
    logits[[3, 50, 100], 2] += 5.0  # N beats of the normal shape called V
    return logits, y, np.repeat(["a", "b"], 80), waves, np.ones((160, 3))


class TestConfusion:
    def test_none_is_the_argmax_and_the_shipped_rule_is_classifys(self):
        # the rule as shipped before the neighbours step, which the fold copy lacks
        before = dataclasses.replace(DEFAULT_RULE, neighbours_k=0, v_sure_confidence=float("inf"))
        logits, y, record, waves, rr = held_out()
        run = tf.Run(logits, y, record, waves, rr)
        np.testing.assert_array_equal(tr.confusion(run, None),
                                      _recipe.confusion(y, logits.argmax(axis=1)))
        proba = np.exp(logits - logits.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
        want = np.concatenate([adapt_template(proba[record == r], waves[record == r],
                                              rr[record == r], classes=_recipe.CLASSES,
                                              fs_out=tf.FS_OUT, rule=before)[0].argmax(axis=1)
                               for r in ("a", "b")])
        got = tr.confusion(run, before)
        with pytest.raises(ValueError, match="no neighbours step"):
            tr.confusion(run, DEFAULT_RULE)
        np.testing.assert_array_equal(got, _recipe.confusion(y, want))
        assert got[0, 2] == 0 and tr.confusion(run, None)[0, 2] == 3  # spared N beats
        assert got[2, 2] == 4  # the ventricular-like beats stay V


class TestPairs:
    def test_only_runs_with_both_leads_count(self):
        scored = {("r", 0, 0, 0): 1, ("r", 0, 0, 1): 1, ("r", 1, 0, 0): 1,
                  ("r", "ensemble", 0, 0): 1, ("r", "ensemble", 0, 1): 1,
                  ("q", 2, 1, 0): 1, ("q", 2, 1, 1): 1}
        assert tr.pairs(scored, "r") == [(0, 0)]
        assert tr.pairs(scored, "q") == [(2, 1)]


class TestMarkdown:
    def test_one_line_per_row_and_lead_in_percent(self):
        fig = {k: (0.123, 0.045) for k, _ in tr.COLUMNS} | {"F_ppv": (None, 0.0)}
        table = tr.markdown({"a": "row a"}, {"a": {"ch0": fig, "ch1": fig}})
        lines = table.splitlines()
        assert len(lines) == 4 and lines[2].startswith("| row a | ch0 | 12.3 ± 4.5 |")
        assert lines[3].endswith("| 12.3 ± 4.5 | -- |")


class TestDecidingRow:
    """``--deciding single`` judges the single networks (the default ships one network),
    ``ensemble`` (the default) the seed ensemble; the written choice says which."""

    @staticmethod
    def scored() -> tuple[dict, list, list]:
        logits, y, record, waves, rr = held_out()
        good = logits.copy()
        good[[3, 50, 100], 2] -= 5.0  # no N beat called V
        bad = logits.copy()
        bad[:40, 1] += 9.0  # many N beats called S: the template step keeps S
        members, folds = [0, 1, 2, "ensemble"], [0, 1, 2]
        scored = {}
        for text, single, ensemble in (("base", logits, logits), ("cand", good, bad)):
            for m in members:
                for f in folds:
                    for c in (0, 1):
                        run = tf.Run(ensemble if m == "ensemble" else single, y, record,
                                     waves, rr)
                        scored[text, m, f, c] = run
        return scored, members, folds

    @pytest.mark.parametrize("deciding", ["single", "ensemble"])
    def test_the_row_that_decides(self, deciding, monkeypatch):
        from types import SimpleNamespace

        scored, members, folds = self.scored()
        judged, written = [], {}
        monkeypatch.setattr(tr, "decide", lambda base, cand: judged.append(cand) or {
            "passes": True})
        args = SimpleNamespace(recipe=["base", "cand"], prefix="all_", cut="annotations",
                               rule="before-neighbours", deciding=deciding)
        tr.run(args, scored, members, folds, write=written.__setitem__,
               print_summary=lambda *a: None, seed_spread=lambda rows: {})
        # the candidate's single networks are right on every beat, its ensemble is not
        accuracy = judged[0]["ch0"]["accuracy"][0]
        assert (accuracy == 1.0) is (deciding == "single")
        choice = written["cv_template_recipes_all_choice_shift_vkeep_ontime"]
        assert choice["deciding_row"].startswith(
            "single networks" if deciding == "single" else "ensemble of 3 seeds")
        assert ("--deciding single" in choice["command"]) is (deciding == "single")
