"""Tests of the fold protocol's helpers (cv_patients.py, _recipe.py, compare_runs.py)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import benchmark_modules

_pooled, _recipe, compare_runs, cv_patients = benchmark_modules(
    "_pooled", "_recipe", "compare_runs", "cv_patients")


def labelled(counts: dict[str, tuple[int, int, int, int]]) -> SimpleNamespace:
    """Records with given N, S, V, F counts, as the .record / .y of a BeatSet."""
    record, y = [], []
    for name, per_class in counts.items():
        for code, n in enumerate(per_class):
            record += [name] * n
            y += [code] * n
    return SimpleNamespace(record=np.array(record), y=np.array(y))


class TestFigures:
    def test_f1_of_a_class_never_predicted_is_zero_not_missing(self):
        y = np.array([0, 0, 0, 1, 2, 2])
        pred = np.array([0, 0, 2, 0, 2, 2])  # S never predicted
        fig = _recipe.figures(_recipe.confusion(y, pred))
        assert fig["S"]["f1"] == 0.0 and np.isnan(fig["S"]["ppv"])
        assert fig["V"]["f1"] == pytest.approx(2 * 2 / (2 + 3))  # 2TP / (2TP + FP + FN)
        assert fig["n_called_abnormal"] == pytest.approx(1 / 3)


class TestValidationRecords:
    def test_keeps_the_f_record_out_and_holds_s_and_v(self):
        data = labelled({"a": (500, 40, 0, 0), "b": (500, 0, 60, 0), "c": (400, 30, 50, 0),
                         "d": (450, 5, 70, 300), "e": (300, 35, 45, 1),
                         "f": (600, 20, 10, 0), "g": (350, 10, 40, 0), "h": (200, 25, 5, 0)})
        chosen = cv_patients.validation_records(data, 4)
        assert chosen and "d" not in chosen
        held = np.isin(data.record, chosen)
        assert (data.y[held] == 1).any() and (data.y[held] == 2).any()
        assert cv_patients.validation_records(data, 4) == chosen  # deterministic


class TestEarlierRuns:
    def test_a_batch_of_further_seeds_keeps_the_runs_already_written(self, tmp_path,
                                                                   monkeypatch):
        monkeypatch.setattr(cv_patients, "RESULTS", tmp_path)
        old = [{"seed": 0, "fold": 0}, {"seed": 0, "fold": 1}, {"seed": 2, "fold": 0}]
        (tmp_path / "cv_es_x.json").write_text(json.dumps({"runs": old}))
        mine = [{"seed": 2, "fold": 0, "new": True}]
        kept = cv_patients.earlier_runs("es_x", mine)
        assert kept == old[:2]
        assert cv_patients.earlier_runs("es_absent", mine) == []


class TestPriorAdapted:
    def test_each_record_is_adapted_on_its_own(self):
        # record r1 is all N; r2 holds many V: an unsure beat leans to its record's mix
        sure_n, sure_v, unsure = [4.0, 0, 0, 0, -9], [0, 0, 4.0, 0, -9], [1.0, 0, 1.0, 0, -9]
        logits = np.array([sure_n] * 20 + [unsure] + [sure_v] * 20 + [unsure])
        record = np.array(["r1"] * 21 + ["r2"] * 21)
        out = {"logits": logits, "record": record,
               "train_class_counts": np.array([9, 9, 9, 9, 0])}
        pred = _pooled.prior_adapted(out)
        assert pred[20] == 0 and pred[41] == 2


class TestCompareRuns:
    def test_a_changed_confusion_matrix_is_not_identical(self):
        conf = np.eye(5).tolist()
        run = {"validation_records": ["a"], "train_class_counts": [5, 1, 1, 1, 0],
               "epochs": 7, "best_epoch": 4,
               "ch0": {"confusion": conf, "n_called_abnormal": 0.0},
               "ch1": {"confusion": conf, "n_called_abnormal": 0.0}}
        moved = json.loads(json.dumps(run))
        moved["ch1"]["confusion"][0][2] = 1.0
        a = {(0, 0): run, (0, 1): run, (1, 0): run}
        b = {(0, 0): run, (0, 1): moved, (2, 0): run}
        rows = compare_runs.compare(a, b)
        assert [(r["seed"], r["fold"], r["identical"]) for r in rows] == [(0, 0, True),
                                                                          (0, 1, False)]
        assert all(r["same_setup"] for r in rows)
