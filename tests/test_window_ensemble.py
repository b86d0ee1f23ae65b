"""benchmarks/window_ensemble.py: seed ensembles of window models from saved probabilities."""

from __future__ import annotations

import doctest
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from heartbeat._atomic import save_npz_atomic

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "window_ensemble.py"
_spec = importlib.util.spec_from_file_location("window_ensemble", _PATH)
we = importlib.util.module_from_spec(_spec)
sys.modules["window_ensemble"] = we  # dataclasses look their module up by name
_spec.loader.exec_module(we)


def _run(seed, val_p1, test_p1, val_y, test_y, name=None, **row):
    """A Run whose probability of class 1 is given (class 0 gets 1 - p)."""
    def proba(p1):
        p1 = np.asarray(p1, dtype=np.float64)
        return np.stack([1 - p1, p1], axis=1)

    ids = {}
    for part, y in (("val", val_y), ("test", test_y)):
        ids[f"{part}_y"] = np.asarray(y)
        ids[f"{part}_record"] = np.array(["100"] * len(y))
        ids[f"{part}_sample"] = np.arange(len(y)) * 300
    return we.Run(name=name or f"i{seed}",
                  row={"init_seed": seed, "best_epoch": 3, "epochs_run": 8, "train_s": 10.0,
                       "load_avg_start": 1.0, "load_avg": 2.0, **row},
                  val_proba=proba(val_p1), test_proba=proba(test_p1), ids=ids)


VAL_Y = [0, 0, 1, 1]
TEST_Y = [0, 0, 0, 1, 1]


def _three_runs():
    # Test: each run gets a different single window wrong; the mean gets all right.
    return [
        _run(0, [0.1, 0.2, 0.9, 0.4], [0.6, 0.1, 0.2, 0.9, 0.8], VAL_Y, TEST_Y),
        _run(1, [0.1, 0.2, 0.9, 0.8], [0.1, 0.1, 0.2, 0.3, 0.9], VAL_Y, TEST_Y),
        _run(2, [0.1, 0.6, 0.9, 0.8], [0.1, 0.1, 0.2, 0.9, 0.45], VAL_Y, TEST_Y),
    ]


def test_doctests():
    result = doctest.testmod(we)
    assert result.attempted >= 5 and result.failed == 0


class TestPredict:
    def test_tie_goes_to_normal(self):
        assert we.predict(np.array([[0.5, 0.5]])).tolist() == [0]

    def test_empty(self):
        assert we.predict(np.zeros((0, 2))).shape == (0,)


class TestEnsembleProba:
    def test_mean_of_members(self):
        a = np.array([[0.9, 0.1], [0.2, 0.8]])
        b = np.array([[0.5, 0.5], [0.6, 0.4]])
        np.testing.assert_allclose(we.ensemble_proba([a, b]), [[0.7, 0.3], [0.4, 0.6]])

    def test_single_member_is_itself(self):
        a = np.array([[0.9, 0.1]], dtype=np.float32)
        np.testing.assert_array_equal(we.ensemble_proba([a]), a.astype(np.float64))

    def test_readonly_inputs(self):
        a = np.array([[0.9, 0.1]])
        a.flags.writeable = False
        assert we.ensemble_proba([a, a]).tolist() == [[0.9, 0.1]]

    def test_empty_raises(self):
        with pytest.raises(ValueError, match="no probabilities"):
            we.ensemble_proba([])


class TestBinaryScores:
    def test_counts_and_rates(self):
        s = we.binary_scores(np.array([0, 0, 0, 1, 1]), np.array([0, 1, 0, 1, 0]))
        assert (s.tp, s.fn, s.tn, s.fp, s.n_correct) == (1, 1, 2, 1, 3)
        assert s.accuracy == pytest.approx(0.6)
        assert s.sensitivity == pytest.approx(0.5)
        assert s.specificity == pytest.approx(2 / 3)
        # F1 normal = 2*2/(2*2+1+1) = 2/3, abnormal = 2*1/(2*1+1+1) = 1/2
        assert s.macro_f1 == pytest.approx((2 / 3 + 1 / 2) / 2)

    def test_no_positives(self):
        s = we.binary_scores(np.array([0, 0]), np.array([0, 0]))
        assert (s.accuracy, s.sensitivity, s.specificity) == (1.0, 0.0, 1.0)


class TestMeanSd:
    def test_sample_sd(self):
        assert we.mean_sd([0.98, 0.99]) == pytest.approx((0.985, np.sqrt(0.5) * 0.01))

    def test_single_value(self):
        assert we.mean_sd([0.5]) == (0.5, 0.0)

    def test_empty_raises(self):
        with pytest.raises(ValueError, match="no values"):
            we.mean_sd([])


class TestCheckAligned:
    def test_same_split_passes(self):
        we.check_aligned(_three_runs())

    def test_different_labels_raise(self):
        runs = _three_runs()
        runs.append(_run(3, [0.1] * 4, [0.1] * 5, VAL_Y, [1, 0, 0, 1, 1], name="other"))
        with pytest.raises(ValueError, match="other and i0 differ in test_y"):
            we.check_aligned(runs)

    def test_different_order_raises(self):
        runs = _three_runs()
        bad = _run(3, [0.1] * 4, [0.1] * 5, VAL_Y, TEST_Y, name="shuffled")
        bad.ids["val_sample"] = bad.ids["val_sample"][::-1].copy()
        with pytest.raises(ValueError, match="val_sample"):
            we.check_aligned([*runs, bad])

    def test_empty_raises(self):
        with pytest.raises(ValueError, match="no runs"):
            we.check_aligned([])

    def test_nan_raises(self):
        runs = _three_runs()
        runs.append(_run(3, [0.1] * 4, [0.1, np.nan, 0.1, 0.1, 0.1], VAL_Y, TEST_Y,
                         name="diverged"))
        with pytest.raises(ValueError, match="diverged has probabilities that are not"):
            we.check_aligned(runs)


class TestChooseByValidation:
    def test_highest_val_macro_f1(self):
        # val errors: seed 0 one (0.4 on an abnormal), seed 1 none, seed 2 one
        assert we.choose_by_validation(_three_runs()).init_seed == 1

    def test_tie_goes_to_lowest_seed(self):
        runs = _three_runs()
        tied = [runs[2], runs[0]]  # both one validation error, same macro-F1
        assert we.choose_by_validation(tied).init_seed == 0


class TestSummarize:
    def test_ensemble_beats_every_member(self):
        summary = we.summarize(list(reversed(_three_runs())))
        assert [r.init_seed for r in summary.runs] == [0, 1, 2]  # sorted by seed
        assert [s.n_correct for s in summary.test] == [4, 4, 4]
        assert summary.ensemble_test.n_correct == 5
        assert summary.ensemble_val.accuracy == 1.0
        assert summary.mean_sd("test", "accuracy") == pytest.approx((0.8, 0.0))
        assert summary.chosen.init_seed == 1

    def test_table_rows(self):
        rows = we.table_rows(we.summarize(_three_runs()))
        assert [r["run"] for r in rows] == [
            "init seed 0", "init seed 1", "init seed 2", "mean ± sd", "ensemble of 3",
            "chosen by validation: init seed 1"]
        assert rows[4]["test accuracy"] == "100.000 %"
        assert rows[3]["test accuracy"] == "80.000 ± 0.000 %"
        assert rows[5]["TP / FN / TN / FP"] == rows[1]["TP / FN / TN / FP"]
        table = we.markdown(rows)
        assert table.count("\n") == len(rows) + 1


def test_load_run_and_main_round_trip(tmp_path, capsys):
    """Files in the format of window_results.py --save-probs, through the command line."""
    paths = []
    for run in _three_runs():
        row = {**run.row, "model": "spectrogram_cnn", "split": "random", "hidden_size": ""}
        paths.append(save_npz_atomic(
            tmp_path / f"{run.name}.npz", val_proba=run.val_proba, test_proba=run.test_proba,
            **run.ids, val_aami=np.zeros(4, np.int8), test_aami=np.zeros(5, np.int8),
            row=np.array(json.dumps(row))))
    loaded = we.load_run(paths[1])
    assert loaded.init_seed == 1 and loaded.name == "i1"
    np.testing.assert_array_equal(loaded.ids["test_y"], TEST_Y)
    we.main([str(p) for p in paths] + ["--csv", str(tmp_path / "t.csv")])
    out = capsys.readouterr().out
    assert "spectrogram_cnn (split random): 3 runs, 4 validation and 5 test windows" in out
    assert "| ensemble of 3 |" in out
    assert (tmp_path / "t.csv").read_text().count("\n") == 7
