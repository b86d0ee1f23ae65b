"""Window models: specs, whole-model float64 gradient checks, save/load, features."""

from __future__ import annotations

import json

import numpy as np
import pytest

import heartbeat.nn as nn
from heartbeat.windows import log_power, spectrogram
from heartbeat.windows.models import (
    WINDOW_ARCHITECTURES,
    bilstm_classifier,
    log_spectrograms,
    spectrogram_cnn,
)
from tests.nn_gradcheck import assert_close, numerical_grad, sample_idx


def _model_gradcheck(model, x, seed=0, n_per_array=6):
    rng = np.random.default_rng(seed)
    r = rng.standard_normal(model.forward(x).shape)

    def f():
        return float(np.sum(model.forward(x) * r))

    model.zero_grad()
    model.forward(x)
    dx = model.backward(r)
    grads = [g.copy() for g in model.grads()]
    idx = sample_idx(x.size, rng, 20)
    assert_close(dx.reshape(-1)[idx], numerical_grad(f, x, idx), "dx", rtol=1e-4)
    for (name, p), g in zip(model.named_params().items(), grads, strict=True):
        idx = sample_idx(p.size, rng, n_per_array)
        assert_close(g.reshape(-1)[idx], numerical_grad(f, p, idx), name, rtol=1e-4)


def _x(*shape, seed=1, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


class TestSpectrogramCnn:
    def test_default_spec(self):
        model = nn.build(spectrogram_cnn(), seed=0)
        assert model.n_params == 48_546
        assert model.spec["input_channels"] == 33 and model.spec["input_length"] == 87
        out = model.eval().forward(_x(3, 33, 87, dtype=np.float32))
        assert out.shape == (3, 2) and out.dtype == np.float32

    def test_keeps_time_position(self):
        # a pattern moved from the centre frame to the border changes the output
        model = nn.build(spectrogram_cnn(input_length=40, input_channels=4), seed=0,
                         dtype=np.float64).eval()
        a, b = np.zeros((1, 4, 40)), np.zeros((1, 4, 40))
        a[0, :, 20], b[0, :, 2] = 3.0, 3.0
        assert not np.allclose(model.forward(a), model.forward(b))

    @pytest.mark.parametrize("backend", ["numpy", "numba"])
    def test_gradients(self, backend):
        spec = spectrogram_cnn(3, input_length=12, input_channels=4)
        spec["head"][2]["p"] = 0.0  # deterministic dropout for finite differences
        model = nn.build(spec, seed=1, dtype=np.float64, backend=backend)
        _model_gradcheck(model, _x(2, 4, 12))

    def test_errors(self):
        with pytest.raises(ValueError, match="input_length=7 must be >= 8"):
            spectrogram_cnn(input_length=7)
        with pytest.raises(ValueError, match="n_classes=0 must be >= 1"):
            spectrogram_cnn(n_classes=0)
        with pytest.raises(TypeError, match="input_channels must be an integer, got '33'"):
            spectrogram_cnn(input_channels="33")
        model = nn.build(spectrogram_cnn(), seed=0)
        with pytest.raises(ValueError, match=r"x must have shape \(N, 33, 87\)"):
            model.forward(np.zeros((2, 87, 33), np.float32))


class TestBilstmClassifier:
    def test_default_spec(self):
        model = nn.build(bilstm_classifier(), seed=0)
        # 2 directions x 4 gates x 32 x (33 + 32 + 1) + 64 * 32 + 32 + 32 * 2 + 2
        assert model.n_params == 19_042
        assert model.features.layers[0].config() == {
            "type": "bilstm", "input_size": 33, "hidden_size": 32, "output": "center"}
        assert model.eval().forward(_x(2, 33, 87, dtype=np.float32)).shape == (2, 2)

    @pytest.mark.parametrize("pooling", ["center", "mean", "last"])
    def test_gradients(self, pooling):
        spec = bilstm_classifier(3, input_length=6, input_channels=4, hidden_size=3,
                                 pooling=pooling)
        model = nn.build(spec, seed=2, dtype=np.float64)
        _model_gradcheck(model, _x(2, 4, 6))

    def test_errors(self):
        with pytest.raises(ValueError, match="pooling='max' is not one of"):
            bilstm_classifier(pooling="max")
        with pytest.raises(ValueError, match="hidden_size=0 must be >= 1"):
            bilstm_classifier(hidden_size=0)

    def test_learns_where_the_energy_is(self):
        # class 1: high values in bin 0 at the centre frame; class 0: at the border
        rng = np.random.default_rng(0)
        n, y = 64, np.arange(64) % 2
        x = 0.1 * rng.standard_normal((n, 3, 9))
        x[y == 1, 0, 4] += 2.0
        x[y == 0, 0, 0] += 2.0
        model = nn.build(bilstm_classifier(2, input_length=9, input_channels=3,
                                           hidden_size=4), seed=0)
        opt = nn.Adam(model.params(), lr=0.03)
        losses = []
        for _ in range(40):
            model.zero_grad()
            loss, d = nn.softmax_cross_entropy(model.forward(x), y)
            model.backward(d, input_grad=False)
            opt.step(model.grads())
            losses.append(float(loss))
        assert losses[-1] < 0.2 * losses[0]
        assert (model.predict_logits(x).argmax(axis=1) == y).mean() == 1.0


class TestSaveLoad:
    @pytest.mark.parametrize("make", [spectrogram_cnn, bilstm_classifier])
    def test_roundtrip(self, make, tmp_path):
        model = nn.build(make(), seed=3)
        model.info = {"split": "random"}
        x = _x(4, 33, 87, dtype=np.float32)
        before = model.predict_logits(x)
        path = nn.save(model, tmp_path / "m")
        again = nn.load(path)
        assert again.spec == model.spec and again.info == {"split": "random"}
        assert json.loads(json.dumps(again.spec)) == model.spec
        for (ka, a), (kb, b) in zip(model.named_params().items(),
                                    again.named_params().items(), strict=True):
            assert ka == kb
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(again.predict_logits(x), before)

    def test_float64(self, tmp_path):
        model = nn.build(bilstm_classifier(hidden_size=4), seed=0, dtype=np.float64)
        again = nn.load(nn.save(model, tmp_path / "m.npz"))
        assert again.dtype == np.float64
        assert again.named_params().keys() == model.named_params().keys()
        assert "features.0.w_h_b" in again.named_params()


class TestRegistry:
    @pytest.mark.parametrize("name", list(WINDOW_ARCHITECTURES))
    def test_called_like_architectures(self, name):
        spec = WINDOW_ARCHITECTURES[name](n_classes=3, input_length=20, extra_inputs=2)
        model = nn.build(spec, seed=0).eval()
        out = model.forward(_x(2, 33, 20, dtype=np.float32), extra=np.ones((2, 2)))
        assert out.shape == (2, 3) and spec["name"] == name


class TestLogSpectrograms:
    def test_matches_features_and_blocks(self):
        x = _x(7, 1440, dtype=np.float32)
        expected = log_power(spectrogram(x, 360.0, nperseg=64, noverlap=48).Sxx)
        got = log_spectrograms(x, 360.0, block=3)
        assert got.shape == (7, 33, 87) and got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)

    def test_other_segments_and_float64(self):
        x = _x(2, 400)
        got = log_spectrograms(x, 100.0, nperseg=32, noverlap=16)
        assert got.shape == (2, 17, 24) and got.dtype == np.float64

    def test_readonly_and_empty(self):
        x = _x(2, 1440, dtype=np.float32)
        x.setflags(write=False)
        assert log_spectrograms(x, 360.0).shape == (2, 33, 87)
        assert log_spectrograms(np.zeros((0, 1440), np.float32), 360.0).shape == (0, 33, 87)

    def test_errors(self):
        with pytest.raises(ValueError, match=r"x must be 2-D.*x.shape=\(1440,\)"):
            log_spectrograms(np.zeros(1440), 360.0)
        with pytest.raises(ValueError, match="block=0 must be >= 1"):
            log_spectrograms(np.zeros((2, 1440)), 360.0, block=0)
