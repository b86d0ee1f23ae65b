"""LSTM and BiLSTM: values against a step-by-step reference, float64 gradient checks,
initialisation, configs and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heartbeat.nn import layer_from_config
from heartbeat.nn.lstm import LSTM, BiLSTM, lstm_backward, lstm_forward
from tests.nn_gradcheck import check_layer

OUTPUTS = ["sequence", "last", "mean", "center"]


def _init(layer, seed=0, dtype=np.float64, jitter=0.3):
    layer.init(np.random.default_rng(seed), dtype)
    noise = np.random.default_rng(seed + 1)
    for k in layer.params:  # break the structure of the initial values (zero biases)
        layer.params[k] += (jitter * noise.standard_normal(layer.params[k].shape)).astype(
            dtype)
    return layer


def _x(*shape, seed=2):
    return np.random.default_rng(seed).standard_normal(shape)


def _reference(x, w_x, w_h, b):
    """One sample, one step at a time, scalar-style sigmoid: h (N, T, H)."""
    n, _c, t_len = x.shape
    hid = w_h.shape[0]
    out = np.zeros((n, t_len, hid))
    for s in range(n):
        h, cell = np.zeros(hid), np.zeros(hid)
        for t in range(t_len):
            a = x[s, :, t] @ w_x + h @ w_h + b
            i = 1 / (1 + np.exp(-a[:hid]))
            f = 1 / (1 + np.exp(-a[hid:2 * hid]))
            g = np.tanh(a[2 * hid:3 * hid])
            o = 1 / (1 + np.exp(-a[3 * hid:]))
            cell = f * cell + i * g
            h = o * np.tanh(cell)
            out[s, t] = h
    return out


class TestLstmForwardBackward:
    def test_matches_reference(self):
        layer = _init(LSTM(3, 4))
        x = _x(2, 3, 6)
        p = layer.params
        ref = _reference(x, p["w_x"], p["w_h"], p["b"])
        np.testing.assert_allclose(layer.forward(x), ref.transpose(0, 2, 1), rtol=1e-12,
                                   atol=1e-14)

    def test_functions_directly(self):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((2, 5, 3))
        w_x, w_h, b = rng.standard_normal((3, 8)), rng.standard_normal((2, 8)), np.zeros(8)
        h, cache = lstm_forward(x, w_x, w_h, b)
        assert h.shape == (2, 5, 2)
        dx, dw_x, dw_h, db = lstm_backward(np.ones_like(h), cache)
        assert (dx.shape, dw_x.shape, dw_h.shape, db.shape) == ((2, 5, 3), (3, 8), (2, 8),
                                                                (8,))
        assert lstm_backward(np.ones_like(h), cache, need_dx=False)[0] is None
        assert lstm_forward(x, w_x, w_h, b, keep=False)[1] is None

    def test_one_step(self):
        layer = _init(LSTM(2, 3, output="last"))
        x = _x(4, 2, 1)
        p = layer.params
        np.testing.assert_allclose(layer.forward(x), _reference(x, p["w_x"], p["w_h"],
                                                                p["b"])[:, -1], rtol=1e-12)


class TestLstmGradients:
    @pytest.mark.parametrize("reverse", [False, True])
    @pytest.mark.parametrize("output", OUTPUTS)
    def test_gradcheck(self, output, reverse):
        layer = _init(LSTM(3, 4, output=output, reverse=reverse))
        check_layer(layer, _x(2, 3, 5))

    def test_large_hidden_state_short_sequence(self):
        check_layer(_init(LSTM(2, 7, output="last")), _x(3, 2, 2))

    def test_need_dx_false_same_param_grads(self):
        layer = _init(LSTM(3, 4, output="mean"))
        x, dout = _x(2, 3, 5), _x(2, 4, seed=5)
        layer.zero_grad()
        layer.forward(x)
        assert layer.backward(dout) is not None
        full = {k: g.copy() for k, g in layer.grads.items()}
        layer.zero_grad()
        layer.need_dx = False
        layer.forward(x)
        assert layer.backward(dout) is None
        for k, g in layer.grads.items():
            np.testing.assert_allclose(g, full[k], rtol=1e-12)

    def test_gradients_accumulate(self):
        layer = _init(LSTM(2, 3))
        x, dout = _x(2, 2, 4), _x(2, 3, 4, seed=7)
        layer.zero_grad()
        layer.forward(x)
        layer.backward(dout)
        once = layer.grads["w_h"].copy()
        layer.forward(x)
        layer.backward(dout)
        np.testing.assert_allclose(layer.grads["w_h"], 2 * once, rtol=1e-12)


class TestLstmReverse:
    @pytest.mark.parametrize("output", ["sequence", "mean"])
    def test_reverse_is_forward_on_flipped_input(self, output):
        fwd = _init(LSTM(3, 4, output=output))
        rev = LSTM(3, 4, output=output, reverse=True)
        rev.params = fwd.params
        x = _x(2, 3, 6)
        expected = fwd.forward(x[:, :, ::-1].copy())
        if output == "sequence":
            expected = expected[:, :, ::-1]
        np.testing.assert_allclose(rev.forward(x), expected, rtol=1e-12)

    def test_reverse_last_has_read_the_first_frame(self):
        fwd = _init(LSTM(3, 4, output="last"))
        rev = LSTM(3, 4, output="last", reverse=True)
        rev.params = fwd.params
        x = _x(2, 3, 6)
        np.testing.assert_allclose(rev.forward(x), fwd.forward(x[:, :, ::-1].copy()))


class TestBiLstm:
    @pytest.mark.parametrize("output", OUTPUTS)
    def test_gradcheck(self, output):
        check_layer(_init(BiLSTM(3, 4, output=output)), _x(2, 3, 5))

    @pytest.mark.parametrize("output", OUTPUTS)
    def test_is_two_lstms(self, output):
        bi = _init(BiLSTM(3, 4, output=output))
        fwd, rev = LSTM(3, 4, output=output), LSTM(3, 4, output=output, reverse=True)
        fwd.params = {k[:-2]: v for k, v in bi.params.items() if k.endswith("_f")}
        rev.params = {k[:-2]: v for k, v in bi.params.items() if k.endswith("_b")}
        x = _x(3, 3, 7)
        expected = np.concatenate([fwd.forward(x), rev.forward(x)], axis=1)
        np.testing.assert_allclose(bi.forward(x), expected, rtol=1e-12)

    def test_shapes_and_float32(self):
        x = _x(5, 33, 87).astype(np.float32)
        for output, shape in (("sequence", (5, 16, 87)), ("last", (5, 16)),
                              ("mean", (5, 16))):
            layer = BiLSTM(33, 8, output=output)
            layer.init(np.random.default_rng(0), np.float32)
            out = layer.forward(x)
            assert out.shape == shape and out.dtype == np.float32
            dx = layer.backward(np.ones_like(out))
            assert dx.shape == x.shape and dx.dtype == np.float32
            assert all(g.dtype == np.float32 for g in layer.grads.values())

    def test_float32_close_to_float64(self):
        lo = _init(BiLSTM(4, 5, output="mean"), dtype=np.float32)
        hi = BiLSTM(4, 5, output="mean")
        hi.params = {k: v.astype(np.float64) for k, v in lo.params.items()}
        x = _x(3, 4, 20)
        np.testing.assert_allclose(lo.forward(x.astype(np.float32)), hi.forward(x),
                                   atol=1e-5)

    def test_eval_mode_keeps_no_activations(self):
        layer = _init(BiLSTM(3, 4))
        layer.training = False
        out_eval = layer.forward(_x(2, 3, 5))
        assert layer.cache == (None, None)
        layer.training = True
        np.testing.assert_array_equal(layer.forward(_x(2, 3, 5)), out_eval)

    def test_readonly_input(self):
        layer = _init(BiLSTM(3, 4, output="last"))
        x = _x(2, 3, 5)
        x.setflags(write=False)
        layer.forward(x)
        assert layer.backward(np.ones((2, 8))).shape == x.shape

    @settings(max_examples=25, deadline=None)
    @given(n=st.integers(1, 4), t_len=st.integers(1, 9),
           scale=st.floats(1e-3, 1e3), seed=st.integers(0, 2**16))
    def test_states_bounded_and_batch_independent(self, n, t_len, scale, seed):
        layer = _init(BiLSTM(3, 2), seed=seed % 7)
        x = scale * np.random.default_rng(seed).standard_normal((n, 3, t_len))
        out = layer.forward(x)
        assert np.all(np.abs(out) < 1)  # |h| = |o tanh(c)| < 1
        np.testing.assert_allclose(layer.forward(x[-1:]), out[-1:], rtol=1e-12,
                                   atol=1e-15)


class TestInit:
    def test_orthogonal_recurrent_blocks_and_forget_bias(self):
        layer = LSTM(5, 6)
        layer.init(np.random.default_rng(0), np.float64)
        w_h, b = layer.params["w_h"], layer.params["b"]
        for k in range(4):
            block = w_h[:, 6 * k:6 * (k + 1)]
            np.testing.assert_allclose(block.T @ block, np.eye(6), atol=1e-12)
        np.testing.assert_array_equal(b, np.r_[np.zeros(6), np.ones(6), np.zeros(12)])
        limit = np.sqrt(6 / (5 + 24))
        assert np.abs(layer.params["w_x"]).max() <= limit

    def test_seeded_and_directions_differ(self):
        a, b = BiLSTM(3, 4), BiLSTM(3, 4)
        a.init(np.random.default_rng(1), np.float32)
        b.init(np.random.default_rng(1), np.float32)
        for k in a.params:
            np.testing.assert_array_equal(a.params[k], b.params[k])
            assert a.params[k].dtype == np.float32
        assert not np.array_equal(a.params["w_h_f"], a.params["w_h_b"])
        assert set(a.params) == set(a.grads) == {
            "w_x_f", "w_h_f", "b_f", "w_x_b", "w_h_b", "b_b"}


class TestConfig:
    @pytest.mark.parametrize("layer", [LSTM(3, 4), LSTM(2, 5, output="last", reverse=True),
                                       BiLSTM(33, 16, output="mean")])
    def test_roundtrip(self, layer):
        cfg = json.loads(json.dumps(layer.config()))
        again = layer_from_config(cfg)
        assert type(again) is type(layer) and again.config() == layer.config()

    def test_bad_options(self):
        with pytest.raises(ValueError, match="bad options for layer 'bilstm'"):
            layer_from_config({"type": "bilstm", "input_size": 3, "hidden_size": 2,
                               "reverse": True})


class TestErrors:
    @pytest.mark.parametrize("cls", [LSTM, BiLSTM])
    def test_sizes_and_output(self, cls):
        with pytest.raises(ValueError, match="input_size=0 must be a positive integer"):
            cls(0, 4)
        with pytest.raises(ValueError, match=r"hidden_size=2\.5 must be a positive integer"):
            cls(3, 2.5)
        with pytest.raises(ValueError, match="hidden_size=True"):
            cls(3, True)
        with pytest.raises(ValueError, match="output='max' must be one of"):
            cls(3, 4, output="max")

    @pytest.mark.parametrize("cls", [LSTM, BiLSTM])
    def test_input_shape(self, cls):
        layer = _init(cls(3, 4))
        with pytest.raises(ValueError, match=r"expects \(N, 3, T\) input"):
            layer.forward(_x(2, 4, 5))
        with pytest.raises(ValueError, match=r"x.shape=\(2, 15\)"):
            layer.forward(_x(2, 15))
        with pytest.raises(ValueError, match="T >= 1"):
            layer.forward(np.zeros((2, 3, 0)))


def test_model_skips_the_input_gradient_of_a_first_bilstm_layer():
    import heartbeat.nn as nn
    from heartbeat.windows.models import bilstm_classifier

    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 9)).astype(np.float32)
    grads = []
    for input_grad in (True, False):
        model = nn.build(bilstm_classifier(input_length=9, input_channels=6, hidden_size=3))
        model.zero_grad()
        model.forward(x)
        dx = model.backward(np.ones((4, 2), np.float32) / 4, input_grad=input_grad)
        assert (dx is None) is (not input_grad)
        assert model.features.layers[0].need_dx is input_grad
        grads.append(model.grads())
    for a, b in zip(*grads, strict=True):
        np.testing.assert_array_equal(a, b)
