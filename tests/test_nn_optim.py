"""Optimisers, schedules, clipping, state round trip; the loss and its gradient."""

from __future__ import annotations

import numpy as np
import pytest

import heartbeat.nn as nn
from tests.nn_gradcheck import assert_close, numerical_grad


class TestAdam:
    def test_matches_reference_formula(self):
        rng = np.random.default_rng(0)
        p = [rng.standard_normal(5)]
        ref = p[0].copy()
        m = v = np.zeros(5)
        opt = nn.Adam(p, lr=0.01)
        for t in range(1, 4):
            g = rng.standard_normal(5)
            opt.step([g.copy()])
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            ref = ref - 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(p[0], ref, rtol=1e-6)

    def test_kachuee_schedule(self):
        opt = nn.Adam([np.zeros(1)], lr=1e-3, lr_decay=0.75, decay_every=10_000)
        assert opt.lr == 1e-3
        opt.t = 9_999
        assert opt.lr == 1e-3
        opt.t = 10_000
        assert opt.lr == pytest.approx(7.5e-4)
        opt.t = 25_000
        assert opt.lr == pytest.approx(1e-3 * 0.75**2)

    def test_state_roundtrip_gives_exact_resume(self):
        rng = np.random.default_rng(1)
        grads = [[rng.standard_normal((3, 2)), rng.standard_normal(2)] for _ in range(6)]
        p1 = [np.ones((3, 2)), np.ones(2)]
        o1 = nn.Adam(p1, lr=0.1, weight_decay=0.01, clip_norm=1.0)
        for g in grads:
            o1.step([a.copy() for a in g])
        p2 = [np.ones((3, 2)), np.ones(2)]
        o2 = nn.Adam(p2, lr=0.1, weight_decay=0.01, clip_norm=1.0)
        for g in grads[:3]:
            o2.step([a.copy() for a in g])
        state = {k: v.copy() for k, v in o2.state_dict().items()}
        p3 = [a.copy() for a in p2]
        o3 = nn.Adam(p3, lr=0.1, weight_decay=0.01, clip_norm=1.0)
        o3.load_state_dict(state)
        for g in grads[3:]:
            o3.step([a.copy() for a in g])
        for a, b in zip(p1, p3, strict=True):
            np.testing.assert_array_equal(a, b)
        assert set(state) == {"t", "m.0", "m.1", "v.0", "v.1"}

    def test_bad_state(self):
        opt = nn.Adam([np.zeros(3)])
        with pytest.raises(ValueError, match="keys differ"):
            opt.load_state_dict({"t": np.array(1)})
        with pytest.raises(ValueError, match="shape"):
            opt.load_state_dict({"t": np.array(1), "m.0": np.zeros(2), "v.0": np.zeros(3)})

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="lr=0"):
            nn.Adam([np.zeros(1)], lr=0)
        with pytest.raises(ValueError, match="beta1=1"):
            nn.Adam([np.zeros(1)], beta1=1)
        with pytest.raises(ValueError, match="2 gradients for 1"):
            nn.Adam([np.zeros(1)]).step([np.zeros(1), np.zeros(1)])


class TestSGD:
    def test_momentum_and_weight_decay(self):
        w, b = np.array([[1.0]]), np.array([1.0])
        opt = nn.SGD([w, b], lr=0.1, momentum=0.5, weight_decay=0.1)
        opt.step([np.array([[1.0]]), np.array([1.0])])
        # weight: g + 0.1 * w = 1.1; bias: no decay
        np.testing.assert_allclose([w[0, 0], b[0]], [1 - 0.11, 0.9])
        opt.step([np.array([[0.0]]), np.array([0.0])])
        np.testing.assert_allclose(b[0], 0.9 - 0.1 * 0.5)

    def test_state(self):
        opt = nn.SGD([np.zeros(2)], lr=0.1)
        opt.step([np.ones(2)])
        state = opt.state_dict()
        assert set(state) == {"t", "velocity.0"} and int(state["t"]) == 1


class TestClipGradNorm:
    def test_scales_to_max(self):
        g = [np.full(4, 3.0), np.full(9, 4.0)]
        norm = nn.clip_grad_norm(g, 2.0)
        assert norm == pytest.approx(np.sqrt(4 * 9 + 9 * 16))
        assert np.sqrt(sum((a**2).sum() for a in g)) == pytest.approx(2.0)

    def test_small_unchanged(self):
        g = [np.array([0.1])]
        nn.clip_grad_norm(g, 1.0)
        assert g[0][0] == 0.1


class TestSoftmaxCrossEntropy:
    @pytest.mark.parametrize("weights", [None, np.array([1.0, 3.0, 0.5])])
    def test_gradient(self, weights):
        rng = np.random.default_rng(0)
        logits = rng.standard_normal((6, 3))
        labels = np.array([0, 1, 2, 2, 1, 0])
        _loss, d = nn.softmax_cross_entropy(logits, labels, weights)

        def f():
            return nn.softmax_cross_entropy(logits, labels, weights)[0]

        idx = np.arange(logits.size)
        assert_close(d.reshape(-1), numerical_grad(f, logits, idx), "dlogits")

    def test_value_and_weighting(self):
        logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
        loss, _ = nn.softmax_cross_entropy(logits, np.array([0, 2]))
        assert loss == pytest.approx(-(np.log(0.7) + np.log(0.8)) / 2)
        loss, _ = nn.softmax_cross_entropy(logits, np.array([0, 2]), np.array([1.0, 0, 3.0]))
        assert loss == pytest.approx(-(np.log(0.7) + 3 * np.log(0.8)) / 4)

    def test_stable_for_large_logits(self):
        loss, d = nn.softmax_cross_entropy(np.array([[1e4, 0.0]], np.float32), np.array([1]))
        assert np.isfinite(loss) and loss == pytest.approx(1e4)
        assert d.dtype == np.float32

    def test_errors(self):
        with pytest.raises(ValueError, match="labels must lie"):
            nn.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
        with pytest.raises(ValueError, match="labels must be 2 integers"):
            nn.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
        with pytest.raises(ValueError, match="class_weights"):
            nn.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1]), np.array([1, -1, 1]))
        with pytest.raises(ValueError, match="2-D"):
            nn.softmax_cross_entropy(np.zeros(3), np.array([0]))
