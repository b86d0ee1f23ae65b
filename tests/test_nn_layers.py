"""Forward values and float64 gradient checks of every layer in heartbeat.nn.layers."""

from __future__ import annotations

import numpy as np
import pytest

from heartbeat.nn import layers as L
from heartbeat.nn.conv import conv1d_reference, conv1d_reference_backward
from tests.nn_gradcheck import check_layer

BACKENDS = ["numpy", "numba"]


def _init(layer, seed=0, backend="numpy"):
    layer.init(np.random.default_rng(seed), np.float64)
    layer.backend = backend
    for k in layer.params:  # non-trivial parameters (biases start at zero)
        layer.params[k] += 0.1 * np.random.default_rng(seed + 1).standard_normal(
            layer.params[k].shape)
    return layer


def _x(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


class TestConv1d:
    @pytest.mark.parametrize("backend", BACKENDS)
    @pytest.mark.parametrize(
        "c_in,c_out,k,stride,padding,dilation,length",
        [(3, 4, 5, 1, "same", 1, 11), (2, 3, 3, 2, "same", 1, 10), (2, 3, 3, 2, "valid", 1, 11),
         (2, 2, 3, 1, "same", 2, 9), (1, 2, 5, 1, "same", 1, 1), (2, 2, 7, 1, "same", 1, 3),
         (3, 2, 2, 3, "valid", 2, 12), (2, 3, 4, 1, "same", 1, 8)],
    )
    def test_gradients_and_reference(self, backend, c_in, c_out, k, stride, padding,
                                     dilation, length):
        layer = _init(L.Conv1d(c_in, c_out, k, stride, padding, dilation), backend=backend)
        x = _x(2, c_in, length)
        out = layer.forward(x)
        ref = conv1d_reference(x, layer.params["w"], layer.params["b"], stride, padding,
                              dilation)
        np.testing.assert_allclose(out, ref, atol=1e-12)
        check_layer(layer, x)

    @pytest.mark.parametrize("backend", BACKENDS)
    @pytest.mark.parametrize(
        "c_in,c_out,k,stride,padding,dilation,length",
        [(3, 4, 5, 1, "same", 1, 11), (2, 3, 3, 2, "valid", 1, 11), (2, 2, 3, 1, "same", 2, 9),
         (8, 3, 5, 1, "same", 1, 13), (8, 4, 5, 1, "valid", 1, 10)],  # c_in 8: Winograd
    )
    def test_backward_equals_the_reference(self, backend, c_in, c_out, k, stride, padding,
                                           dilation, length):
        layer = _init(L.Conv1d(c_in, c_out, k, stride, padding, dilation), backend=backend)
        x = _x(2, c_in, length)
        out = layer.forward(x)
        dout = _x(*out.shape, seed=3)
        layer.zero_grad()
        dx = layer.backward(dout)
        ref_dx, ref_dw, ref_db = conv1d_reference_backward(dout, x, layer.params["w"], stride,
                                                           padding, dilation)
        np.testing.assert_allclose(dx, ref_dx, atol=1e-12)
        np.testing.assert_allclose(layer.grads["w"], ref_dw, atol=1e-12)
        np.testing.assert_allclose(layer.grads["b"], ref_db, atol=1e-12)

    def test_reference_backward_is_the_gradient_of_the_reference(self):
        rng = np.random.default_rng(4)
        x, w, b = rng.standard_normal((2, 3, 10)), rng.standard_normal((4, 3, 3)), np.zeros(4)
        dout = rng.standard_normal((2, 4, 5))
        dx, dw, _ = conv1d_reference_backward(dout, x, w, 2, "same", 1)
        # <out(x), dout> is linear in x and in w: its gradients are dx and dw
        loss = lambda x, w: np.vdot(conv1d_reference(x, w, b, 2, "same", 1), dout)  # noqa: E731
        eps = np.zeros_like(x)
        eps[1, 2, 4] = 1.0
        np.testing.assert_allclose(loss(x + eps, w) - loss(x, w), dx[1, 2, 4], atol=1e-12)
        eps = np.zeros_like(w)
        eps[3, 1, 2] = 1.0
        np.testing.assert_allclose(loss(x, w + eps) - loss(x, w), dw[3, 1, 2], atol=1e-12)

    @pytest.mark.parametrize("backend", BACKENDS)
    def test_fused_relu(self, backend):
        layer = _init(L.Conv1d(3, 4, 3, activation="relu"), backend=backend)
        x = _x(2, 3, 9)
        plain = conv1d_reference(x, layer.params["w"], layer.params["b"], 1, "same", 1)
        np.testing.assert_allclose(layer.forward(x), np.maximum(plain, 0), atol=1e-12)
        check_layer(layer, x)

    def test_same_padding_length(self):
        layer = _init(L.Conv1d(1, 1, 5, stride=2))
        assert layer.forward(_x(1, 1, 187)).shape == (1, 1, 94)

    def test_wrong_channels(self):
        with pytest.raises(ValueError, match="input channels"):
            _init(L.Conv1d(2, 1, 3)).forward(_x(1, 3, 5))

    def test_too_short_valid(self):
        with pytest.raises(ValueError, match="shorter than the kernel"):
            _init(L.Conv1d(1, 1, 5, padding="valid")).forward(_x(1, 1, 4))


class TestMaxPool1d:
    @pytest.mark.parametrize("backend", BACKENDS)
    @pytest.mark.parametrize("k,stride,length", [(5, 2, 187), (2, 2, 9), (3, 1, 7), (1, 1, 1)])
    def test_values_and_gradients(self, backend, k, stride, length):
        layer = L.MaxPool1d(k, stride)
        layer.backend = backend
        x = _x(2, 3, length)
        out = layer.forward(x)
        l_out = (length - k) // stride + 1
        ref = np.stack([x[:, :, i * stride: i * stride + k].max(-1) for i in range(l_out)], -1)
        np.testing.assert_array_equal(out, ref)
        check_layer(layer, x)

    def test_kachuee_lengths(self):
        layer = L.MaxPool1d(5, 2)
        lengths = [187]
        x = _x(1, 1, 187)
        for _ in range(5):
            x = layer.forward(x)
            lengths.append(x.shape[2])
        assert lengths == [187, 92, 44, 20, 8, 2]

    def test_too_short(self):
        with pytest.raises(ValueError, match="kernel_size"):
            L.MaxPool1d(5).forward(_x(1, 1, 4))


class TestReluMaxPoolFusion:
    @pytest.mark.parametrize("backend", ["numba", "numpy"])
    def test_fused_pair_equals_the_two_layers(self, backend):
        x = _x(3, 4, 23, seed=5) - 0.8  # some windows are all negative
        seq = L.Sequential([L.ReLU(), L.MaxPool1d(5, 2)])
        assert [relu for _, relu in seq._steps()] == [True]
        relu, pool = L.ReLU(), L.MaxPool1d(5, 2)
        for layer in (seq, relu, pool):
            layer.backend = backend
            for sub in layer.walk():
                sub.backend = backend
        out = seq.forward(x)
        ref = pool.forward(relu.forward(x))
        np.testing.assert_array_equal(out, ref)
        dout = _x(*out.shape, seed=6)
        np.testing.assert_allclose(seq.backward(dout), relu.backward(pool.backward(dout)),
                                   rtol=1e-6, atol=1e-6)

    def test_fused_gradients(self):
        seq = L.Sequential([L.ReLU(), L.MaxPool1d(3, 2)])
        check_layer(seq, _x(2, 3, 11, seed=7).astype(np.float64))

    def test_only_a_relu_right_before_a_max_pool_is_fused(self):
        seq = L.Sequential([L.MaxPool1d(2), L.ReLU(), L.ReLU(), L.MaxPool1d(2), L.ReLU()])
        assert [(type(la).__name__, r) for la, r in seq._steps()] == [
            ("MaxPool1d", False), ("ReLU", False), ("MaxPool1d", True), ("ReLU", False)]


class TestAvgPool1d:
    @pytest.mark.parametrize("k,stride,length", [(2, 2, 9), (3, 1, 7), (5, 2, 12)])
    def test_values_and_gradients(self, k, stride, length):
        layer = L.AvgPool1d(k, stride)
        x = _x(2, 3, length)
        out = layer.forward(x)
        assert out.shape[2] == (length - k) // stride + 1
        np.testing.assert_allclose(out[:, :, 1], x[:, :, stride: stride + k].mean(-1))
        check_layer(layer, x)


class TestUpsample1d:
    def test_values_and_gradients(self):
        layer = L.Upsample1d(3)
        x = _x(2, 2, 4)
        out = layer.forward(x)
        np.testing.assert_array_equal(out[:, :, 3:6], np.repeat(x[:, :, 1:2], 3, axis=2))
        check_layer(layer, x)


class TestDense:
    def test_values_and_gradients(self):
        layer = _init(L.Dense(6, 4))
        x = _x(3, 6)
        np.testing.assert_allclose(layer.forward(x),
                                   x @ layer.params["w"] + layer.params["b"])
        check_layer(layer, x)

    def test_wrong_shape(self):
        with pytest.raises(ValueError, match="Dense expects"):
            _init(L.Dense(6, 4)).forward(_x(3, 5))


class TestActivations:
    def test_relu(self):
        x = _x(3, 2, 5)
        layer = L.ReLU()
        np.testing.assert_array_equal(layer.forward(x), np.maximum(x, 0))
        check_layer(layer, x)

    def test_leaky_relu(self):
        x = _x(3, 7)
        layer = L.LeakyReLU(0.1)
        np.testing.assert_allclose(layer.forward(x), np.where(x > 0, x, 0.1 * x))
        check_layer(layer, x)


class TestDropout:
    def test_gradients_with_fixed_mask(self):
        layer = L.Dropout(0.4)
        x = _x(4, 3, 6)

        def reset():
            layer.rng = np.random.default_rng(7)

        check_layer(layer, x, reset=reset)

    def test_scaling_and_eval(self):
        layer = L.Dropout(0.5, rng=np.random.default_rng(0))
        x = np.ones((200, 50))
        out = layer.forward(x)
        assert set(np.unique(out)) <= {0.0, 2.0}
        assert abs(out.mean() - 1.0) < 0.05
        layer.training = False
        assert layer.forward(x) is x

    def test_same_seed_same_mask(self):
        a = L.Dropout(0.5, rng=np.random.default_rng(3)).forward(np.ones((4, 9)))
        b = L.Dropout(0.5, rng=np.random.default_rng(3)).forward(np.ones((4, 9)))
        np.testing.assert_array_equal(a, b)

    def test_bad_p(self):
        with pytest.raises(ValueError, match=r"p=1\.0"):
            L.Dropout(1.0)


class TestBatchNorm1d:
    @pytest.mark.parametrize("shape", [(4, 3, 5), (6, 3)])
    def test_gradients_train(self, shape):
        layer = _init(L.BatchNorm1d(3))
        check_layer(layer, _x(*shape))

    def test_train_normalises_eval_uses_running(self):
        layer = _init(L.BatchNorm1d(2))
        layer.params["gamma"][:] = 1
        layer.params["beta"][:] = 0
        x = 3 + 2 * _x(50, 2, 8)
        out = layer.forward(x)
        np.testing.assert_allclose(out.mean(axis=(0, 2)), 0, atol=1e-12)
        np.testing.assert_allclose(out.var(axis=(0, 2)), 1, atol=1e-4)
        for _ in range(200):
            layer.forward(x)
        np.testing.assert_allclose(layer.buffers["running_mean"], x.mean(axis=(0, 2)),
                                   rtol=1e-6)
        layer.training = False
        out_eval = layer.forward(x)
        np.testing.assert_allclose(out_eval, out, atol=1e-2)
        check_layer(layer, x[:3, :, :4].copy())  # eval mode is affine: gradients still check


class TestFlatten:
    def test_roundtrip_and_gradients(self):
        x = _x(2, 3, 4)
        layer = L.Flatten()
        np.testing.assert_array_equal(layer.forward(x), x.reshape(2, 12))
        check_layer(layer, x)


class TestResidual:
    @pytest.mark.parametrize("backend", BACKENDS)
    def test_gradients(self, backend):
        block = L.Residual([_init(L.Conv1d(3, 3, 5, activation="relu"), 1, backend),
                            _init(L.Conv1d(3, 3, 5), 2, backend)])
        x = _x(2, 3, 9)
        out = block.forward(x)
        inner = block.layers[1].forward(block.layers[0].forward(x))
        np.testing.assert_allclose(out, inner + x)
        # check the gradients of the contained parameters through the container
        rng = np.random.default_rng(0)
        r = rng.standard_normal(out.shape)
        for layer in block.layers:
            layer.zero_grad()
        dx = block.backward(r)
        from tests.nn_gradcheck import assert_close, numerical_grad

        def f():
            return float(np.sum(block.forward(x) * r))

        idx = np.arange(x.size)
        assert_close(dx.reshape(-1), numerical_grad(f, x, idx), "dx")
        for layer in block.layers:
            for name, p in layer.params.items():
                idx = np.arange(p.size)[:30]
                assert_close(layer.grads[name].reshape(-1)[idx],
                             numerical_grad(f, p, idx), name)

    def test_shape_mismatch(self):
        block = L.Residual([_init(L.Conv1d(3, 2, 3))])
        with pytest.raises(ValueError, match="skip"):
            block.forward(_x(1, 3, 5))


class TestLayerFromConfig:
    def test_roundtrip(self):
        layers = [L.Conv1d(2, 3, 5, stride=2, padding="valid", dilation=2, activation="relu"),
                  L.MaxPool1d(3, 2), L.AvgPool1d(2), L.Upsample1d(2), L.Dense(3, 4), L.ReLU(),
                  L.LeakyReLU(0.2), L.Dropout(0.25), L.BatchNorm1d(4), L.Flatten(),
                  L.Residual([L.ReLU()])]
        for layer in layers:
            assert L.layer_from_config(layer.config()).config() == layer.config()

    def test_unknown(self):
        with pytest.raises(ValueError, match="unknown layer type 'transformer'"):
            L.layer_from_config({"type": "transformer"})

    def test_bad_options(self):
        with pytest.raises(ValueError, match="bad options for layer 'dense'"):
            L.layer_from_config({"type": "dense", "in_features": 3})


class TestResidualSkipInConvolution:
    @pytest.mark.parametrize("backend", BACKENDS)
    @pytest.mark.parametrize("channels", [3, 8])  # patches, Winograd
    def test_skip_added_by_the_last_convolution(self, backend, channels):
        block = L.Residual([_init(L.Conv1d(channels, channels, 5, activation="relu"), 1,
                                  backend),
                            _init(L.Conv1d(channels, channels, 5), 2, backend)])
        x = _x(2, channels, 13)
        conv1, conv2 = block.layers
        want = conv2.forward(conv1.forward(x)) + x
        np.testing.assert_allclose(block.forward(x), want, rtol=1e-5, atol=1e-5)

    def test_a_last_convolution_with_relu_adds_the_skip_after_it(self):
        conv = _init(L.Conv1d(8, 8, 5, activation="relu"), 1)
        block = L.Residual([conv])
        x = _x(2, 8, 11)
        np.testing.assert_allclose(block.forward(x), conv.forward(x) + x, rtol=1e-6)

    def test_shape_mismatch(self):
        block = L.Residual([_init(L.Conv1d(8, 4, 5), 1)])
        with pytest.raises(ValueError, match="equal shapes"):
            block.forward(_x(2, 8, 11))
        np.testing.assert_array_equal(L.Residual([]).forward(np.ones((1, 2, 3))), 2.0)
