"""Fold runs scored where ``classify()`` cuts the beats (benchmarks/_fold_logits.py, the
``+det`` recipes of cv_patients.py and _recipe.py).

The rule written before scoring (docs/results.md section 5, "Beats cut where the detector
cuts them") decides on the held-out beats cut at the detected R peaks; these tests check
that the recipe, the beat sets, the kept logits and the decision file follow the cut.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import benchmark_modules
from heartbeat import datasets
from heartbeat.datasets import BeatSet

_fold_logits, _recipe, cv_patients = benchmark_modules(
    "_fold_logits", "_recipe", "cv_patients")


class TestRecipeCut:
    @pytest.mark.parametrize(("text", "peaks"), [
        ("ch0+ch1", "annotations"), ("ch0+ch1+det", "detector"),
        ("ch0+ch1+aug+det", "detector"), ("ch1+aug", "annotations")])
    def test_det_cuts_at_the_detector_and_the_name_says_so(self, text, peaks):
        recipe = cv_patients.parse_recipe(text)
        assert recipe.peaks == peaks
        assert recipe.name() == text
        assert _recipe.recipe_dict(recipe)["peaks"] == peaks

    def test_an_unknown_option_is_refused(self):
        with pytest.raises(SystemExit, match="ch0\\+ch1\\+dett"):
            cv_patients.parse_recipe("ch0+ch1+dett")

    def test_beats_refuses_an_unknown_cut(self, tmp_path):
        with pytest.raises(ValueError, match="peaks"):
            _recipe.beats(0, tmp_path, peaks="detected")


class TestBeatsCache:
    def test_the_two_cuts_are_cached_apart(self, mitdb_dir, tmp_path, monkeypatch):
        # one record instead of 48: the cache key is what is tested
        monkeypatch.setattr(_recipe, "data_root", lambda: mitdb_dir.parent)
        monkeypatch.setattr(datasets, "mitbih_beats",
                            functools.partial(datasets.mitbih_beats, records=["105"]))
        annotated = _recipe.beats(1, tmp_path)
        detected = _recipe.beats(1, tmp_path, peaks="detector")
        assert len(list(tmp_path.glob("*.npz"))) == 2
        assert len(detected) != len(annotated) or \
            not np.array_equal(detected.sample, annotated.sample)
        again = _recipe.beats(1, tmp_path, peaks="detector")  # loaded from the cache
        np.testing.assert_array_equal(again.sample, detected.sample)


def beat_set(records: list[str], n: int, seed: int) -> BeatSet:
    """`n` synthetic beats per record, classes N, S, V, F, Q cycling."""
    rng = np.random.default_rng(seed)
    m = n * len(records)
    return BeatSet(x=rng.random((m, 187)).astype(np.float32),
                   y=(np.arange(m) % 5).astype(np.int8),
                   record=np.repeat(records, n),
                   sample=np.tile(np.arange(n) * 300 + 10, len(records)),
                   rr=np.ones((m, 3), np.float32))


class Model:
    """Predicts the class its first RR feature names (a stand-in for a trained model)."""

    def predict_logits(self, x, rr, batch_size=256):
        out = np.zeros((len(x), 5), np.float32)
        out[np.arange(len(x)), rr[:, 0].astype(int)] = 1.0
        return out


class TestScoreDetectorCut:
    def test_scores_and_keeps_the_held_out_beats_of_the_detector_cut(self, tmp_path):
        detected = {c: beat_set(["a", "b", "c"], 10, seed=c) for c in (0, 1)}
        detected[0].rr[:, 0] = 0.0  # lead 0: every beat called N
        detected[1].rr[:, 0] = 2.0  # lead 1: every beat called V
        run: dict = {}
        _fold_logits.score_detector_cut(
            Model(), run, detected, ["b", "c"], logits_dir=tmp_path, name="p_r",
            seed=1, fold=2, counts=np.array([5, 4, 3, 2, 0]))
        assert set(run) == {"ch0_detcut", "ch1_detcut"}
        assert run["ch0_detcut"]["n"] == 16  # records b and c, Q left out
        assert run["ch0_detcut"]["n_called_abnormal"] == 0.0
        assert run["ch1_detcut"]["n_called_abnormal"] == 1.0
        assert not (tmp_path / "p_r").exists()  # the annotated cut's folder is not touched
        kept = _fold_logits.load_runs(tmp_path / "p_r_detcut")
        assert sorted(kept) == [(1, 2, 0), (1, 2, 1)]
        assert set(kept[1, 2, 1]["record"]) == {"b", "c"}
        np.testing.assert_array_equal(kept[1, 2, 0]["train_class_counts"], [5, 4, 3, 2, 0])


class TestSummaryAt:
    def test_each_cut_is_summarised_from_its_own_figures(self):
        def fig(n_called):  # N row: n_called of 10 N beats called V
            conf = np.zeros((5, 5))
            conf[0, 0], conf[0, 2], conf[2, 2] = 10 - n_called, n_called, 5
            return {"confusion": conf.tolist()}

        runs = [{"ch0": fig(0), "ch1": fig(0), "ch0_detcut": fig(2), "ch1_detcut": fig(4)},
                {"ch0": fig(0), "ch1": fig(0)}]  # an earlier run without the second cut
        det = _fold_logits.summary_at(runs, "detector")
        assert det["ch0"]["n_called_abnormal"][0] == pytest.approx(0.2)
        assert det["ch1"]["n_called_abnormal"][0] == pytest.approx(0.4)
        ann = _fold_logits.summary_at(runs, "annotations")
        assert ann["ch1"]["n_called_abnormal"][0] == 0.0
        assert _fold_logits.summary_at(runs[1:], "detector") is None


class TestNames:
    def test_the_committed_decision_file_keeps_its_name_and_others_do_not_touch_it(self):
        assert _fold_logits.choice_name("es_", "annotations") == "cv_template_recipes_choice"
        names = {_fold_logits.choice_name(p, c) for p in ("es_", "detcut_es_")
                 for c in ("annotations", "detector")}
        assert len(names) == 4

    def test_folders_by_cut(self, tmp_path):
        assert _fold_logits.folder(tmp_path, "es_ch0", "annotations") == tmp_path / "es_ch0"
        assert _fold_logits.folder(tmp_path, "es_ch0", "detector").name == "es_ch0_detcut"
        with pytest.raises(ValueError, match="peaks"):
            _fold_logits.folder(tmp_path, "es_ch0", "both")


class TestScoredRuns:
    def test_reads_the_cut_asked_for_and_checks_the_beats(self, tmp_path, monkeypatch):
        sets = {"annotations": beat_set(["a", "b"], 10, 0),
                "detector": beat_set(["a", "b"], 8, 1)}  # fewer beats: another cut
        monkeypatch.setattr(_recipe, "beats", lambda c, cache, peaks="annotations":
                            sets[peaks])
        for peaks, data in sets.items():
            for seed in (0, 1):
                out = _recipe.held_out_logits(Model(), data[data.record == "b"])
                _fold_logits.save_logits(
                    _fold_logits.folder(tmp_path, "es_r", peaks) / f"seed{seed}_fold0_ch0.npz",
                    out, np.ones(5))
                _fold_logits.save_logits(
                    _fold_logits.folder(tmp_path, "es_r", peaks) / f"seed{seed}_fold0_ch1.npz",
                    out, np.ones(5))
        for peaks, data in sets.items():
            args = SimpleNamespace(recipe=["r"], prefix="es_", logits_dir=tmp_path,
                                   seeds=None, cut=peaks)
            scored, members, folds = _fold_logits.scored_runs(args, tmp_path)
            assert members == [0, 1, "ensemble"] and folds == [0]
            held = data[(data.record == "b") & (data.y < 4)]
            np.testing.assert_array_equal(scored["r", "ensemble", 0, 1].y, held.y)
        args.cut = "annotations"
        sets["annotations"] = sets["detector"]  # beats that do not match the kept logits
        with pytest.raises(SystemExit, match="do not match"):
            _fold_logits.scored_runs(args, tmp_path)

