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
    from quality_auc import (
        DIRECTIONS,
        fit_logistic,
        fit_monotone,
        index_of,
        make_folds,
        monotone_clips,
    )
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


# candidate E's constants as they were merged and reverted (commit e85b7b3)
_E_WEIGHTS = np.array([-0.47659345659835456, 0.3572382170217746, -3.938767231362648,
                       0.37646386841658264, -1.3724679592829512, 0.02204968026870285,
                       -0.6542375933039364, 0.24982778009888124, 3.5548496241051715,
                       3.8568828259372174, 0.058540029146969326, 2.9036713835905483,
                       -0.08476834587732864, 1.7834289332687052])


class TestMonotone:
    def test_clips_of_e_at_its_vertices(self):
        low, high = monotone_clips(_E_WEIGHTS, np.full(7, -np.inf), np.full(7, np.inf))
        # template's term is lowest at a correlation of 0.18: clipped below there
        assert low[6] == pytest.approx(0.6542375933039364 / (2 * 1.7834289332687052))
        assert low[6] == pytest.approx(0.18, abs=0.005)
        # high_band's term rises with high-band power up to 10**0.13: flat below
        assert low[5] == pytest.approx(0.130, abs=0.001) and high[5] == np.inf
        # qrs_band has no direction; baseline's vertex lies below its range
        assert (low[4], high[4]) == (-np.inf, np.inf)
        assert np.all(high[[0, 1, 2, 3, 6]] == np.inf)

    def test_linear_term_the_wrong_way_is_held_flat(self):
        w = np.zeros(14)
        w[5] = 0.2  # high_band up, its square 0: must not count
        low, high = monotone_clips(w, np.full(7, -np.inf), np.full(7, np.inf))
        assert low[5] == high[5]
        low, high = monotone_clips(w, np.full(7, -3.0), np.full(7, 1.0))
        assert low[5] == high[5] == -3.0

    def test_fit_is_monotone_where_the_truth_is_not(self):
        rng = np.random.default_rng(4)
        n = 40000
        x = rng.uniform(-1, 1, (n, 7))
        # the truth dips in template (column 6) and rises with high_band (column 5)
        logit = 3 * x[:, 6] ** 2 - 1.0 * x[:, 6] + 1.5 * x[:, 5] + 2 * x[:, 0]
        y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
        intercept, weights, low, high = fit_monotone(x, y, np.ones(n))
        model = ("F", intercept, weights, low, high)
        grid = np.linspace(-1.5, 1.5, 301)
        for column, d in enumerate(DIRECTIONS):
            if d == 0:
                continue
            u = np.clip(grid, low[column], high[column])
            term = weights[column] * u + weights[7 + column] * u**2
            assert np.all(d * np.diff(term) >= -1e-12), column
        unclipped = fit_logistic(np.column_stack([x, x**2]), y, np.ones(n))[1]
        assert unclipped[6] < 0 < unclipped[13]  # E's fit dips, F's is clipped
        assert low[6] > -1.0
        rows = np.column_stack([np.full(5, 5.0), np.full(5, 0.5), np.full(5, 0.5),
                                np.full(5, 10.0), np.full(5, 0.5), np.full(5, 0.1),
                                np.linspace(-1, 1, 5)])
        index = index_of(model, rows, np.ones(5, dtype=bool))
        assert np.all(np.diff(index) >= 0)
