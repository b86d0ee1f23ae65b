"""Architectures, build, whole-model gradients, determinism and a real training run."""

from __future__ import annotations

import json

import numpy as np
import pytest

import heartbeat.nn as nn
from tests.nn_gradcheck import assert_close, numerical_grad, sample_idx


class TestBuild:
    def test_kachuee_parameter_count(self):
        model = nn.build("kachuee2018")
        # 192 + 5 * 10,304 + 2,080 + 1,056 + 165
        assert model.n_params == 55_013
        assert model.spec["input_channels"] == 1
        assert [a.shape for a in model.params()][:2] == [(32, 1, 5), (32,)]

    @pytest.mark.parametrize("name,count", [("cnn_mlp", 103_525), ("cnn4_dense4", 137_317),
                                            ("large_kernel", 117_221)])
    def test_documented_parameter_counts(self, name, count):
        assert nn.build(name).n_params == count

    def test_kachuee_lengths(self):
        model = nn.build("kachuee2018").eval()
        x = np.zeros((1, 1, 187), np.float32)
        lengths = []
        for layer in model.features.layers:
            x = layer.forward(x)
            if isinstance(layer, nn.MaxPool1d):
                lengths.append(x.shape[2])
        assert lengths == [92, 44, 20, 8, 2]
        assert x.shape == (1, 64)

    @pytest.mark.parametrize("name", list(nn.ARCHITECTURES))
    def test_every_architecture(self, name):
        model = nn.build(name, n_classes=3, seed=1)
        out = model.eval().forward(np.random.default_rng(0).standard_normal((2, 187)))
        assert out.shape == (2, 3) and out.dtype == np.float32
        spec = json.loads(json.dumps(model.spec))
        again = nn.build(spec, seed=1)
        assert again.spec == model.spec
        for a, b in zip(model.params(), again.params(), strict=True):
            np.testing.assert_array_equal(a, b)

    @pytest.mark.parametrize("name", list(nn.ARCHITECTURES))
    def test_two_input_channels(self, name):
        one, two = nn.build(name, seed=2), nn.build(name, seed=2, input_channels=2)
        assert two.spec["input_channels"] == 2 and one.spec["input_channels"] == 1
        first = next(c for c in two.spec["features"] if c["type"] == "conv1d")
        assert first["in_channels"] == 2
        # only the first convolution's weights grow: by out_channels * kernel_size
        assert two.n_params - one.n_params == first["out_channels"] * first["kernel_size"]
        x = np.random.default_rng(0).standard_normal((3, 2, 187))
        assert two.eval().forward(x).shape == (3, 5)
        with pytest.raises(ValueError, match=r"shape \(N, 2, 187\)"):
            two.forward(x[:, 0])
        assert nn.build(json.loads(json.dumps(two.spec))).spec == two.spec
        assert nn.ARCHITECTURES[name](input_channels=2) == two.spec

    def test_bad_input_channels(self):
        with pytest.raises(ValueError, match="input_channels=0"):
            nn.build("kachuee2018", input_channels=0)
        with pytest.raises(TypeError, match="input_channels"):
            nn.build("kachuee2018", input_channels=1.0)

    def test_float64(self):
        model = nn.build("kachuee2018", dtype=np.float64)
        assert all(p.dtype == np.float64 for p in model.params())
        assert model.forward(np.zeros((1, 187))).dtype == np.float64

    def test_errors(self):
        with pytest.raises(ValueError, match="unknown architecture 'vgg'"):
            nn.build("vgg")
        with pytest.raises(ValueError, match="n_classes=1"):
            nn.build("kachuee2018", n_classes=1)
        with pytest.raises(TypeError, match="n_classes"):
            nn.build("kachuee2018", n_classes=2.5)
        with pytest.raises(ValueError, match="too short"):
            nn.build("kachuee2018", input_length=40)
        spec = nn.build("kachuee2018").spec
        with pytest.raises(ValueError, match="conflicts"):
            nn.build(spec, n_classes=4)
        with pytest.raises(ValueError, match="spec keys"):
            nn.build({**spec, "colour": 1})
        with pytest.raises(ValueError, match="dtype"):
            nn.build("kachuee2018", dtype=np.int32)
        with pytest.raises(ValueError, match="shape"):
            nn.build("kachuee2018").forward(np.zeros((2, 180)))


class TestPredictLogits:
    def test_chunking_does_not_change_results(self):
        model = nn.build("kachuee2018", dtype=np.float64)
        x = np.random.default_rng(0).standard_normal((37, 187))
        full = model.predict_logits(x, batch_size=64)
        np.testing.assert_allclose(model.predict_logits(x, batch_size=5), full, rtol=1e-12)
        np.testing.assert_allclose(model.eval().forward(x), full, rtol=1e-12)

    def test_restores_mode_and_empty(self):
        model = nn.build("cnn_mlp", input_length=32)
        assert model.predict_logits(np.zeros((0, 32))).shape == (0, 5)
        assert model.training
        with pytest.raises(ValueError, match="batch_size=0"):
            model.predict_logits(np.zeros((2, 32)), batch_size=0)


class TestExtraInputs:
    def test_forward_backward(self):
        model = nn.build("kachuee2018", extra_inputs=3, dtype=np.float64)
        assert model.n_params == 55_013 + 3 * 32
        x = np.random.default_rng(0).standard_normal((2, 187))
        extra = np.random.default_rng(1).standard_normal((2, 3))
        out = model.forward(x, extra)
        model.backward(np.ones_like(out))
        assert model.dextra.shape == (2, 3)
        with pytest.raises(ValueError, match="needs extra"):
            model.forward(x)
        with pytest.raises(ValueError, match="extra must have shape"):
            model.forward(x, extra[:, :2])
        with pytest.raises(ValueError, match="extra_inputs=0"):
            nn.build("kachuee2018").forward(x, extra)


def _model_gradcheck(model, x, extra=None, seed=0, n_per_array=3):
    rng = np.random.default_rng(seed)
    out = model.forward(x, extra)
    r = rng.standard_normal(out.shape)

    def f():
        return float(np.sum(model.forward(x, extra) * r))

    model.zero_grad()
    model.forward(x, extra)
    dx = model.backward(r)
    grads = [g.copy() for g in model.grads()]
    idx = sample_idx(x.size, rng, 12)
    assert_close(dx.reshape(-1)[idx], numerical_grad(f, x, idx), "dx", rtol=1e-4)
    for (name, p), g in zip(model.named_params().items(), grads, strict=True):
        idx = sample_idx(p.size, rng, n_per_array)
        assert_close(g.reshape(-1)[idx], numerical_grad(f, p, idx), name, rtol=1e-4)


class TestModelGradients:
    @pytest.mark.parametrize("backend", ["numpy", "numba"])
    def test_kachuee(self, backend):
        model = nn.build("kachuee2018", dtype=np.float64, seed=2, backend=backend)
        x = np.random.default_rng(3).standard_normal((2, 1, 187))
        _model_gradcheck(model, x)

    @pytest.mark.parametrize("name", ["cnn_mlp", "cnn4_dense4", "large_kernel"])
    def test_other_architectures(self, name):
        model = nn.build(name, dtype=np.float64, seed=2, input_length=48, extra_inputs=2)
        for layer in model.head.walk():  # dropout off: a fixed function for the check
            if isinstance(layer, nn.Dropout):
                layer.p = 0.0
        x = np.random.default_rng(3).standard_normal((3, 1, 48))
        extra = np.random.default_rng(4).standard_normal((3, 2))
        _model_gradcheck(model, x, extra)


def _toy_data(n, seed, length=32):
    # three classes: a positive bump, a negative bump, or a sine; plus noise
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, length)
    y = rng.integers(0, 3, n)
    centre = rng.uniform(0.3, 0.7, n)[:, None]
    bump = np.exp(-((t - centre) ** 2) / 0.005)
    x = np.where((y == 0)[:, None], bump, 0) + np.where((y == 1)[:, None], -bump, 0)
    x = x + np.where((y == 2)[:, None], np.sin(12 * t)[None, :], 0)
    x = x + 0.3 * rng.standard_normal((n, length))
    return x.astype(np.float32), y


def _train(name, seed, steps=60, **kwargs):
    x, y = _toy_data(384, seed=10)
    model = nn.build(name, n_classes=3, seed=seed, input_length=32, **kwargs)
    opt = nn.Adam(model.params(), lr=3e-3)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        batch = rng.choice(len(x), 32, replace=False)
        model.zero_grad()
        loss, dlogits = nn.softmax_cross_entropy(model.forward(x[batch]), y[batch])
        model.backward(dlogits, input_grad=False)
        opt.step(model.grads())
        losses.append(loss)
    return model, losses


class TestTraining:
    def test_learns_separable_problem(self):
        model, losses = _train("cnn_mlp", seed=0, steps=80)
        assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
        x_test, y_test = _toy_data(300, seed=11)
        acc = np.mean(model.predict_logits(x_test).argmax(1) == y_test)
        assert acc > 0.9, acc

    def test_deterministic(self):
        m1, l1 = _train("cnn_mlp", seed=3, steps=5)
        m2, l2 = _train("cnn_mlp", seed=3, steps=5)
        assert l1 == l2
        for a, b in zip(m1.params(), m2.params(), strict=True):
            np.testing.assert_array_equal(a, b)
        _m3, l3 = _train("cnn_mlp", seed=4, steps=5)
        assert l3 != l1

    def test_train_eval_modes(self):
        model = nn.build("cnn_mlp", n_classes=3, input_length=32)
        x = _toy_data(8, seed=1)[0]
        a = model.train().forward(x)
        b = model.forward(x)
        assert not np.array_equal(a, b)  # dropout draws new masks
        model.eval()
        np.testing.assert_array_equal(model.forward(x), model.forward(x))
        assert not model.training

    def test_backends_agree(self):
        x = _toy_data(16, seed=2, length=187)[0]
        a = nn.build("kachuee2018", backend="numba")
        b = nn.build("kachuee2018", backend="numpy")
        np.testing.assert_allclose(a.forward(x), b.forward(x), rtol=1e-4, atol=1e-5)
        a.backward(np.ones((16, 5), np.float32))
        b.backward(np.ones((16, 5), np.float32))
        for ga, gb in zip(a.grads(), b.grads(), strict=True):
            np.testing.assert_allclose(ga, gb, rtol=1e-3, atol=1e-4)


def test_log_extra_transform_feeds_the_head_the_logarithms():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 187)).astype(np.float64)
    rr = rng.uniform(0.5, 2.0, (3, 3))
    logged = nn.build("kachuee2018", extra_inputs=3, extra_transform="log", dtype=np.float64)
    plain = nn.build("kachuee2018", extra_inputs=3, dtype=np.float64)
    assert logged.spec["extra_transform"] == "log" and "extra_transform" not in plain.spec
    np.testing.assert_allclose(logged.forward(x, rr), plain.forward(x, np.log(rr)))
    # d loss / d rr = d loss / d log(rr) / rr
    dout = rng.standard_normal((3, 5))
    logged.backward(dout, input_grad=False)
    plain.backward(dout, input_grad=False)
    np.testing.assert_allclose(logged.dextra, plain.dextra / rr)
    again = nn.build(json.loads(json.dumps(logged.spec)), dtype=np.float64)
    assert again.spec == logged.spec


def test_log_extra_transform_rejects_bad_use():
    with pytest.raises(ValueError, match="extra_inputs > 0"):
        nn.build("kachuee2018", extra_transform="log")
    with pytest.raises(ValueError, match="extra_transform"):
        nn.build("kachuee2018", extra_inputs=3, extra_transform="sqrt")
    model = nn.build("kachuee2018", extra_inputs=3, extra_transform="log")
    with pytest.raises(ValueError, match="must all be > 0"):
        model.forward(np.zeros((1, 187)), np.zeros((1, 3)))
    spec = dict(model.spec, extra_transform="exp")
    with pytest.raises(ValueError, match="extra_transform"):
        nn.build(spec)


# ---------------------------------------------------------------- threads
def _pass(model, x, y, extra=None, input_grad=True):
    model.zero_grad()
    logits = model.forward(x, extra)
    _, dlogits = nn.softmax_cross_entropy(logits, y)
    dx = model.backward(dlogits, input_grad=input_grad)
    return logits, dx, [g.copy() for g in model.grads()], model.dextra


@pytest.mark.parametrize("threads", [2, 3])
def test_threads_give_the_single_thread_results(threads):
    rng = np.random.default_rng(0)
    n = 3 * nn.threads.MIN_SHARD + 5  # shards of unequal size
    x = rng.standard_normal((n, 2, 130))
    extra = rng.uniform(0.5, 2.0, (n, 3))
    y = rng.integers(0, 4, n)
    kw = dict(n_classes=4, input_length=130, input_channels=2, extra_inputs=3,
              extra_transform="log", dtype=np.float64, seed=1)
    one = _pass(nn.build("kachuee2018", **kw), x, y, extra)
    model = nn.build("kachuee2018", threads=threads, **kw)
    many = _pass(model, x, y, extra)
    assert model._threads.shards is not None and len(model._threads.shards) == threads
    np.testing.assert_allclose(many[0], one[0], rtol=1e-12)
    np.testing.assert_allclose(many[1], one[1], rtol=1e-10, atol=1e-14)
    for a, b in zip(many[2], one[2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(many[3], one[3], rtol=1e-10, atol=1e-14)


def test_threads_share_the_weights_after_an_update():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 187))
    y = rng.integers(0, 5, 64)
    model = nn.build("kachuee2018", threads=2, dtype=np.float64)
    single = nn.build("kachuee2018", dtype=np.float64)
    for m in (model, single):
        opt = nn.SGD(m.params(), lr=0.1, momentum=0.9)
        for _ in range(2):
            _pass(m, x, y, input_grad=False)
            opt.step(m.grads())
    np.testing.assert_allclose(model.eval().forward(x), single.eval().forward(x), rtol=1e-9)
    assert model.predict_logits(x, batch_size=64).shape == (64, 5)


def test_small_batches_and_batch_norm_training_are_not_split():
    rng = np.random.default_rng(0)
    model = nn.build("kachuee2018", threads=2)
    model.forward(rng.standard_normal((2 * nn.threads.MIN_SHARD - 1, 187)))
    assert model._threads.shards is None
    bn = nn.build("cnn4_dense4", threads=2)
    x = rng.standard_normal((64, 187))
    bn.forward(x)
    assert bn._threads.shards is None  # batch statistics need the whole batch
    bn.eval().forward(x)
    assert bn._threads.shards is not None  # running statistics: any split will do


def test_dropout_with_threads_is_deterministic():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 187)), rng.integers(0, 5, 64)
    runs = [_pass(nn.build("cnn_mlp", threads=2, seed=3), x, y)[2] for _ in range(2)]
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_threads_errors():
    model = nn.build("kachuee2018")
    for bad in (0, -1):
        with pytest.raises(ValueError, match="threads"):
            model.set_threads(bad)
    for bad in (1.5, True, "2"):
        with pytest.raises(TypeError, match="threads"):
            model.set_threads(bad)
    model.set_threads(2)
    assert "threads=2" in repr(model)
    x = np.zeros((40, 187))
    logits = model.forward(x)
    with pytest.raises(ValueError, match="rows"):
        model.backward(np.zeros((39, 5)))
    with pytest.raises(ValueError, match="one row per beat"):
        model.forward(x, extra=np.zeros((3, 1)))
    assert logits.shape == (40, 5)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_threaded_model_works_in_a_forked_child():
    import multiprocessing

    model = nn.build("kachuee2018", threads=2)
    x = np.random.default_rng(0).standard_normal((40, 187)).astype(np.float32)
    want = model.predict_logits(x)  # the pool's threads exist in this process now
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:  # the child inherits the pool object, not its threads
        got = pool.apply_async(model.predict_logits, (x,)).get(timeout=120)
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("threads", [1, 2])
def test_concurrent_callers_of_one_model_get_their_own_results(threads):
    from concurrent.futures import ThreadPoolExecutor

    model = nn.build("kachuee2018", threads=threads)
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((96, 187)).astype(np.float32) for _ in range(4)]
    want = [model.predict_logits(x, batch_size=32) for x in xs]
    with ThreadPoolExecutor(4) as pool:  # layers reuse their arrays: calls must not mix
        got = list(pool.map(lambda x: model.predict_logits(x, batch_size=32), xs * 3))
    for g, w in zip(got, want * 3, strict=True):
        np.testing.assert_array_equal(g, w)


def test_a_model_pickles_and_copies():
    import copy
    import pickle

    model = nn.build("kachuee2018", threads=2)
    x = np.random.default_rng(0).standard_normal((40, 187)).astype(np.float32)
    want = model.predict_logits(x)
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        np.testing.assert_allclose(clone.predict_logits(x), want, rtol=1e-6)
