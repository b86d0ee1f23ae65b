"""Tests of the quality protocol's helpers (benchmarks/_roc.py, benchmarks/quality_auc.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from heartbeat.signal_quality import _combine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
try:
    from _roc import roc_auc, segment_labels
    from quality_auc import fit_logistic, index_of, make_folds
finally:
    sys.path.pop(0)


class TestRocAuc:
    def test_hand_computed_cases(self):
        assert roc_auc(np.array([0.1, 0.2]), np.array([0.3, 0.4])) == 1.0
        assert roc_auc(np.array([0.3, 0.4]), np.array([0.1, 0.2])) == 0.0
        # pairs (neg, pos): (1, 1) tie = 0.5, (1, 2) = 1, (3, 1) = 0, (3, 2) = 0
        assert roc_auc(np.array([1.0, 3.0]), np.array([1.0, 2.0])) == pytest.approx(1.5 / 4)

    def test_equals_the_pairwise_count(self):
        rng = np.random.default_rng(0)
        neg = rng.integers(0, 5, 40).astype(float)
        pos = rng.integers(1, 6, 30).astype(float)
        pairs = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
        assert roc_auc(neg, pos) == pytest.approx(pairs.mean(), abs=1e-15)


class TestSegmentLabels:
    def test_on_off_and_straddling_segments(self):
        noise_on = np.zeros(40, dtype=bool)
        noise_on[10:25] = True
        labels = segment_labels(np.arange(0, 40, 5), 5, noise_on, start=5)
        # segment 0 is before `start`; 10-25 on; 25-40 off; the last one is whole
        assert labels.tolist() == [-1, 1, 0, 0, 0, 1, 1, 1]
        noise_on[22] = False
        assert segment_labels(np.arange(0, 40, 5), 5, noise_on, 0)[4] == -1
        assert segment_labels(np.array([35]), 10, noise_on, 0).tolist() == [-1]  # cut


class TestFolds:
    def test_four_disjoint_folds_with_118_and_119_together(self):
        names = [str(n) for n in range(100, 148)]
        names[18:20] = ["118", "119"]
        folds = make_folds(sorted(set(names)))
        assert [len(f) for f in folds] == [12, 12, 12, 12]
        assert {"118", "119"} <= set(folds[0])
        assert sorted(n for f in folds for n in f) == sorted(set(names))


class TestLogistic:
    def test_recovers_known_coefficients(self):
        rng = np.random.default_rng(1)
        x = rng.standard_normal((20000, 2)) * [1.0, 3.0] + [0.5, -1.0]
        p = 1 / (1 + np.exp(-(0.3 + x @ np.array([2.0, -0.5]))))
        y = (rng.random(20000) < p).astype(float)
        intercept, weights = fit_logistic(x, y, np.ones(20000), penalty=0.0)
        np.testing.assert_allclose(weights, [2.0, -0.5], atol=0.08)
        assert intercept == pytest.approx(0.3, abs=0.08)

    def test_shipped_model_is_the_library_index(self):
        from heartbeat.signal_quality import _INTERCEPT, _WEIGHTS

        rng = np.random.default_rng(2)
        values = np.column_stack([rng.uniform(1, 30, 50), rng.uniform(0, 1, 50),
                                  rng.uniform(0, 1, 50), rng.uniform(2, 20, 50),
                                  rng.uniform(0, 1, 50), rng.uniform(1e-3, 5, 50),
                                  rng.uniform(-1, 1, 50)])
        valid = np.ones(50, dtype=bool)
        valid[::7] = False
        ours = index_of(("B", _INTERCEPT, np.asarray(_WEIGHTS)), values, valid)
        assert np.all(ours[~valid] == 0.0)
        np.testing.assert_allclose(ours[valid], _combine(values[valid]), rtol=1e-12)
