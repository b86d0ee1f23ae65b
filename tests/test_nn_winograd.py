"""Winograd F(4, 5) convolution: the transform matrices, the Numba kernels against their
NumPy twins, and the whole convolution against the patch (im2col) convolution."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import heartbeat.nn as nn
from heartbeat import _jit
from heartbeat.nn import kernels as K
from heartbeat.nn import winograd as W

BACKENDS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    not _jit.numba_available(), reason="numba is not installed"))]


def test_matrices_compute_a_4_output_correlation_exactly():
    rng = np.random.default_rng(0)
    for _ in range(20):
        tile, taps = rng.standard_normal(8), rng.standard_normal(5)
        got = W.AT @ ((W.G @ taps) * (W.BT @ tile))
        np.testing.assert_allclose(got, np.correlate(tile, taps, "valid"), rtol=0, atol=1e-13)


def test_transform_entries_are_exact_in_float32():
    for matrix in (W.BT, W.AT):
        assert np.array_equal(matrix.astype(np.float32).astype(np.float64), matrix)


@pytest.mark.parametrize("applies, args", [
    (True, (5, 1, 1, 8)), (True, (5, 1, 1, 64)), (False, (3, 1, 1, 32)),
    (False, (5, 2, 1, 32)), (False, (5, 1, 2, 32)), (False, (5, 1, 1, 1)),
])
def test_applies_only_to_stride_1_kernel_5_with_channels(applies, args):
    assert W.applies(*args) is applies


def _twin_pair(name):
    if not _jit.numba_available():  # pragma: no cover - numba is a dependency
        pytest.skip("numba is not installed")
    kernel = getattr(W, name.upper())
    return kernel.get("numba"), kernel.numpy_twin


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("l_out", [1, 4, 7, 187])
@pytest.mark.parametrize("relu", [False, True])
def test_numba_kernels_equal_their_numpy_twins(dtype, tol, l_out, relu):
    rng = np.random.default_rng(l_out)
    n, c = 3, 6
    tiles = -(-l_out // W.TILE)

    def scale(a):
        return a / max(1.0, float(np.abs(a).max()))

    # "same" (2 samples of zeros each side), "valid" (none), and a tile-sized input
    for pad_left, length in ((2, l_out), (0, l_out + 4), (0, 4 * tiles + 4)):
        x = rng.standard_normal((n, length, c)).astype(dtype)
        v_nb, v_np = (np.full((8, n * tiles, c), np.nan, dtype) for _ in range(2))
        for fn, v in zip(_twin_pair("input_transform"), (v_nb, v_np), strict=True):
            fn(x, pad_left, v)
        np.testing.assert_allclose(scale(v_nb), scale(v_np), rtol=0, atol=tol)

    mm = rng.standard_normal((8, n * tiles, c)).astype(dtype)  # point-major, as V
    b = rng.standard_normal(c).astype(dtype)
    no_skip = np.empty((0, 0, 0), dtype)
    skip = rng.standard_normal((n, l_out, c)).astype(dtype)
    for residual in (no_skip, skip):
        o_nb, o_np = (np.full((n, l_out, c), np.nan, dtype) for _ in range(2))
        for fn, out in zip(_twin_pair("output_transform"), (o_nb, o_np), strict=True):
            fn(mm, b, relu, residual, out)
        np.testing.assert_allclose(scale(o_nb), scale(o_np), rtol=0, atol=tol)
        if residual is skip:  # the fused sum is the sum taken after, bit for bit
            alone = np.full((n, l_out, c), np.nan, dtype)
            _twin_pair("output_transform")[0](mm, b, relu, no_skip, alone)
            assert np.array_equal(o_nb, alone + skip)

    dout = rng.standard_normal((n, l_out, c)).astype(dtype)
    gate = rng.standard_normal((n, l_out, c)).astype(dtype)
    results = []
    for fn in _twin_pair("output_grad"):
        dmm = np.full((n * tiles, 8, c), np.nan, dtype)
        fn(dout, gate, relu, dmm)
        results.append(dmm)
    np.testing.assert_allclose(scale(results[0]), scale(results[1]), rtol=0, atol=tol)
    # row 1 of A dy sums the tile's dy: conv1d_backward takes the bias gradient from it
    gated = np.where(gate > 0, dout, 0) if relu else dout
    np.testing.assert_allclose(results[0][:, 1].sum(axis=0), gated.sum(axis=(0, 1)),
                               rtol=0, atol=tol * 100 * max(1.0, np.abs(gated).sum()))

    # "same" (2 samples of padding each side) and "valid" (none) input lengths; the
    # backward kernels take the tile-major order (N * T, 8, C)
    dv = np.ascontiguousarray(mm.transpose(1, 0, 2))
    for pad_left, length in ((2, l_out), (0, l_out + 4)):
        dx_nb, dx_np = (np.full((n, length, c), np.nan, dtype) for _ in range(2))
        for fn, dx in zip(_twin_pair("input_grad"), (dx_nb, dx_np), strict=True):
            fn(dv, pad_left, dx)
        np.testing.assert_allclose(scale(dx_nb), scale(dx_np), rtol=0, atol=tol)


def _reference(x, w, b, padding, relu, dout, backend):
    out, cols = K.conv1d_forward(x, w, b, 1, 1, padding, backend)
    if relu:
        out = np.maximum(out, 0)
    grad = np.where(out > 0, dout, 0) if relu else dout
    dx, dw, db = K.conv1d_backward(np.ascontiguousarray(grad), cols, w, x.shape[1], 1, 1,
                                   padding, backend)
    return out, dx, dw, db


def _check_against_patches(n, length, c_in, c_out, padding, relu, dtype, backend, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, length, c_in)).astype(dtype)
    w = rng.standard_normal((c_out, c_in, 5)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype)
    out, cache = W.conv1d_forward(x, w, b, padding, relu, backend)
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx, dw, db = W.conv1d_backward(dout, out if relu else None, cache, backend)
    ref = _reference(x, w, b, padding, relu, dout, backend)
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for got, want in zip((out, dx, dw, db), ref, strict=True):
        assert got.shape == want.shape and got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=0, atol=rtol * max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("relu", [False, True])
def test_convolution_equals_the_patch_convolution(backend, dtype, padding, relu):
    # 187, 92, 44, 20, 8: the lengths of the Kachuee network; 5 and 6: one cut tile
    for length in (187, 92, 44, 20, 8, 6, 5):
        _check_against_patches(4, length, 32 if length > 20 else 8, 16, padding, relu,
                               dtype, backend, seed=length)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 3), length=st.integers(5, 40), c_in=st.integers(8, 12),
       c_out=st.integers(1, 9), padding=st.sampled_from(["same", "valid"]),
       relu=st.booleans(), seed=st.integers(0, 2**16))
def test_convolution_equals_the_patch_convolution_for_any_shape(n, length, c_in, c_out,
                                                                padding, relu, seed):
    _check_against_patches(n, length, c_in, c_out, padding, relu, np.float64, "numpy", seed)


def test_conv1d_layer_takes_winograd_only_where_it_applies():
    x = np.random.default_rng(0).standard_normal((2, 32, 30)).astype(np.float32)
    for kernel_size, expect in ((5, True), (3, False)):
        layer = nn.layers.Conv1d(32, 8, kernel_size, activation="relu")
        layer.init(np.random.default_rng(1), np.float32)
        layer.forward(x)
        assert isinstance(layer.cache[1], W.Cache) is expect


def test_no_dx_for_a_first_layer():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 9, 8)).astype(np.float32)
    w = rng.standard_normal((4, 8, 5)).astype(np.float32)
    out, cache = W.conv1d_forward(x, w, np.zeros(4, np.float32), "same", False, "numpy")
    dx, dw, db = W.conv1d_backward(np.ones_like(out), None, cache, "numpy", need_dx=False)
    assert dx is None and dw.shape == w.shape and db.shape == (4,)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_batch_in_several_chunks_gives_the_same_result(backend, monkeypatch):
    # 20 tiles per pass: 7 beats of length 20 (5 tiles) run as chunks of 4 and 3 beats
    monkeypatch.setattr(W, "ROWS_PER_CHUNK", 20)
    assert W._chunks(7, 5) == [(0, 4), (4, 7)]
    for relu in (False, True):
        _check_against_patches(7, 20, 8, 6, "same", relu, np.float64, backend, seed=3)


def test_workspace_arrays_are_reused_while_the_shape_stays():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 8, 5)).astype(np.float32)
    b = np.zeros(4, np.float32)
    workspace: dict = {}
    x = rng.standard_normal((2, 12, 8)).astype(np.float32)
    out1, _ = W.conv1d_forward(x, w, b, "same", True, "numpy", workspace)
    first = out1.copy()
    out2, _ = W.conv1d_forward(2 * x, w, b, "same", True, "numpy", workspace)
    assert out2 is out1 and np.allclose(out2, 2 * first, atol=1e-5)  # same array, new values
    out3, _ = W.conv1d_forward(x[:1], w, b, "same", True, "numpy", workspace)
    assert out3 is not out1 and np.allclose(out3, first[:1], atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_fused_skip_equals_the_sum_taken_after_bit_for_bit(backend, monkeypatch):
    # chunks of 2 and 1 beats (6 tiles of a 22-sample output), so each chunk reads its
    # own rows of the skip; the float32 sums are the ones of "out + skip"
    monkeypatch.setattr(W, "ROWS_PER_CHUNK", 12)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 22, 8)).astype(np.float32)
    w = rng.standard_normal((6, 8, 5)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    skip = rng.standard_normal((3, 22, 6)).astype(np.float32)
    for relu in (False, True):
        alone, _ = W.conv1d_forward(x, w, b, "same", relu, backend, keep=False)
        alone = alone.copy()
        fused, _ = W.conv1d_forward(x, w, b, "same", relu, backend, keep=False, skip=skip)
        assert np.array_equal(fused, alone + skip)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_residual_block_gives_the_same_values_and_gradients_with_the_fused_skip(backend):
    # the block's last conv (no ReLU) adds the skip in its Winograd pass: the output is
    # conv(ReLU(conv(x))) + x bit for bit, and the gradients are those of that sum
    rng = np.random.default_rng(2)
    first = nn.layers.Conv1d(8, 8, 5, activation="relu")
    last = nn.layers.Conv1d(8, 8, 5)
    block = nn.layers.Residual([first, last])
    for i, layer in enumerate((first, last)):
        layer.init(np.random.default_rng(i), np.float32)
        layer.backend = backend
    x = rng.standard_normal((3, 8, 30)).astype(np.float32)
    out = block.forward(x).copy()  # layers start in training mode
    dout = rng.standard_normal(out.shape).astype(np.float32)
    dx = block.backward(dout).copy()
    grads = [g.copy() for layer in (first, last) for g in layer.grads.values()]
    for layer in (first, last):
        layer.zero_grad()
    h = first.forward(x).copy()
    want = last.forward(h).copy() + x
    assert np.array_equal(out, want)
    want_dx = first.backward(last.backward(dout)) + dout
    np.testing.assert_allclose(dx, want_dx, rtol=0, atol=1e-6)
    for got, g in zip(grads, (g for layer in (first, last) for g in layer.grads.values()),
                      strict=True):
        np.testing.assert_allclose(got, g, rtol=0, atol=1e-6)
    for layer in (first, last):
        layer.training = False
    assert np.array_equal(block.forward(x), want)  # evaluation: no cache, same values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("l_out, pool, stride", [(5, 5, 2), (7, 5, 2), (187, 5, 2),
                                                 (44, 3, 3), (9, 2, 1)])
def test_the_pooled_output_transform_is_the_transform_then_the_pool(dtype, l_out, pool,
                                                                    stride):
    # OUTPUT_POOL = OUTPUT_TRANSFORM (no ReLU, + skip) then max-pool of the ReLU, bit for
    # bit on each backend; the two backends agree as the output transforms do
    rng = np.random.default_rng(l_out + pool)
    n, c = 3, 6
    tiles = -(-l_out // W.TILE)
    mm = rng.standard_normal((8, n * tiles, c)).astype(dtype)
    b = rng.standard_normal(c).astype(dtype)
    l_pool = (l_out - pool) // stride + 1
    results = []
    for residual in (np.empty((0, 0, 0), dtype), rng.standard_normal((n, l_out, c)).astype(dtype)):
        for fused, alone in zip(_twin_pair("output_pool"), _twin_pair("output_transform"),
                                strict=True):
            got = np.full((n, l_pool, c), np.nan, dtype)
            fused(mm, b, residual, pool, stride, l_out, got)
            full = np.full((n, l_out, c), np.nan, dtype)
            alone(mm, b, False, residual, full)
            want = np.empty_like(got)
            K._maxpool_values_np(full, pool, stride, True, want)
            assert np.array_equal(got, want)
            assert (got >= 0).all() and (got == 0).any() and (got > 0).any()
            results.append(got)
    tol = 2e-6 if dtype == np.float32 else 1e-14
    for nb, twin in (results[:2], results[2:]):
        np.testing.assert_allclose(nb, twin, rtol=0, atol=tol * max(1.0, np.abs(twin).max()))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_block_with_its_relu_and_max_pool_runs_fused_in_evaluation(backend, monkeypatch):
    # Residual -> ReLU -> MaxPool1d in evaluation: one Winograd pass writes the pooled
    # output (the workspace holds "pooled"); the values are the unfused ones bit for
    # bit, whatever the chunking; in training the steps run apart (the caches)
    monkeypatch.setattr(W, "ROWS_PER_CHUNK", 16)  # 4 beats of 4 tiles per pass
    rng = np.random.default_rng(7)
    first = nn.layers.Conv1d(8, 8, 5, activation="relu")
    last = nn.layers.Conv1d(8, 8, 5)
    seq = nn.layers.Sequential([nn.layers.Residual([first, last]), nn.layers.ReLU(),
                                nn.layers.MaxPool1d(5, 2)])
    for i, layer in enumerate((first, last)):
        layer.init(np.random.default_rng(i), np.float32)
    for layer in seq.walk():
        layer.backend, layer.training = backend, False
    x = rng.standard_normal((7, 8, 16)).astype(np.float32)
    got = seq.forward(x).copy()
    assert "pooled" in last.workspace and "out" not in last.workspace
    h = first.forward(x)
    block = last.forward(h).copy() + x
    want = seq.layers[2].forward(np.maximum(block, 0))
    assert got.shape == (7, 8, 6) and np.array_equal(got, want)
    for layer in seq.walk():
        layer.training = True
    last.workspace.clear()
    assert np.array_equal(seq.forward(x), want)
    assert "pooled" not in last.workspace and "out" in last.workspace
