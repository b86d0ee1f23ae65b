"""Numba kernels against their NumPy twins (float32 tolerance), random and edge shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heartbeat import _jit
from heartbeat.nn import kernels as K

# (N, L, C, K, stride, dilation, padding)
CONV_CASES = [
    (3, 187, 32, 5, 1, 1, "same"),
    (2, 1, 1, 5, 1, 1, "same"),  # length 1
    (2, 3, 2, 7, 1, 1, "same"),  # kernel longer than the input
    (2, 10, 3, 3, 2, 1, "same"),  # stride 2
    (2, 11, 3, 3, 3, 1, "valid"),
    (1, 13, 4, 3, 1, 3, "same"),  # dilation
    (2, 17, 2, 4, 2, 2, "valid"),
    (1, 6, 5, 2, 1, 1, "same"),  # even kernel
]


def _rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


class TestConvKernels:
    @pytest.mark.parametrize("case", CONV_CASES)
    def test_numba_matches_numpy(self, case):
        n, length, c_in, k, stride, dilation, padding = case
        x = _rand((n, length, c_in), 0)
        w = _rand((4, c_in, k), 1)
        b = _rand(4, 2)
        out_nb, cols_nb = K.conv1d_forward(x, w, b, stride, dilation, padding, "numba")
        out_np, cols_np = K.conv1d_forward(x, w, b, stride, dilation, padding, "numpy")
        np.testing.assert_array_equal(cols_nb, cols_np)
        np.testing.assert_allclose(out_nb, out_np, rtol=1e-5, atol=1e-5)
        dout = np.ascontiguousarray(_rand(out_np.shape, 3))
        dx_nb, dw_nb, db_nb = K.conv1d_backward(dout, cols_nb, w, length, stride, dilation,
                                                padding, "numba")
        dx_np, dw_np, db_np = K.conv1d_backward(dout, cols_np, w, length, stride, dilation,
                                                padding, "numpy")
        assert dx_nb.shape == x.shape
        np.testing.assert_allclose(dx_nb, dx_np, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(dw_nb, dw_np, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(db_nb, db_np, rtol=1e-5, atol=1e-5)

    @pytest.mark.parametrize("case", CONV_CASES)
    def test_input_gradient_is_adjoint(self, case):
        # <conv(x), dout> = <x, dx> for the bias-free convolution: col2im is im2col's adjoint
        n, length, c_in, k, stride, dilation, padding = case
        x = _rand((n, length, c_in), 4).astype(np.float64)
        w = _rand((3, c_in, k), 5).astype(np.float64)
        out, cols = K.conv1d_forward(x, w, np.zeros(3), stride, dilation, padding, "numpy")
        dout = _rand(out.shape, 6).astype(np.float64)
        dx, _, _ = K.conv1d_backward(dout, cols, w, length, stride, dilation, padding, "numba")
        np.testing.assert_allclose(np.vdot(out, dout), np.vdot(x, dx), rtol=1e-10)

    def test_float64_kernels(self):
        x = _rand((2, 9, 3), 7).astype(np.float64)
        c_nb = np.empty((2, 9, 3, 3))
        c_np = np.empty((2, 9, 3, 3))
        K.IM2COL.get("numba")(x, 3, 1, 1, 1, c_nb)
        K._im2col_np(x, 3, 1, 1, 1, c_np)
        np.testing.assert_array_equal(c_nb, c_np)


class TestDirectConvolution:
    @pytest.mark.parametrize("n,length,c_in,c_out,k,stride,dilation,padding", [
        (3, 187, 1, 32, 5, 1, 1, "same"), (3, 20, 2, 4, 3, 2, 2, "valid"),
        (2, 9, 1, 3, 7, 1, 1, "same"), (2, 30, 8, 5, 1, 3, 1, "same"),
        (1, 4, 1, 2, 5, 1, 1, "same"), (3, 187, 2, 32, 5, 1, 1, "same"),
        (2, 9, 2, 3, 5, 1, 1, "valid"), (2, 3, 2, 4, 5, 1, 1, "same"),
        (2, 12, 2, 3, 5, 2, 1, "same")])
    @pytest.mark.parametrize("backend", ["numba", "numpy"])
    def test_evaluation_without_patches_equals_the_patch_product(
            self, n, length, c_in, c_out, k, stride, dilation, padding, backend):
        x, w, b = _rand((n, length, c_in), 1), _rand((c_out, c_in, k), 2), _rand(c_out, 3)
        want, cols = K.conv1d_forward(x, w, b, stride, dilation, padding, backend)
        got, none = K.conv1d_forward(x, w, b, stride, dilation, padding, backend, keep=False)
        assert cols is not None and none is None
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        if backend == "numpy":  # the twin is the patch product itself, sums and all
            np.testing.assert_array_equal(got, want)

    @pytest.mark.parametrize("length, padding", [(187, "same"), (9, "valid"), (3, "same")])
    def test_five_tap_kernel_equals_its_twin(self, length, padding):
        # the 2-channel first layer's loop (5 products per channel in one sum)
        x, w, b = _rand((3, length, 2), 4), _rand((6, 2, 5), 5), _rand(6, 6)
        l_out, pad_left = K.conv_out_length(length, 5, 1, 1, padding)
        w_t = np.ascontiguousarray(w.transpose(2, 1, 0).reshape(-1, 6))
        out_nb, out_np = (np.full((3, l_out, 6), np.nan, np.float32) for _ in range(2))
        K.CONV5_DIRECT.get("numba")(x, w_t, b, pad_left, out_nb)
        K.CONV5_DIRECT.numpy_twin(x, w_t, b, pad_left, out_np)
        np.testing.assert_allclose(out_nb, out_np, rtol=1e-5, atol=1e-5)

    def test_many_taps_keep_the_patches(self):
        x, w, b = _rand((2, 10, 4), 1), _rand((3, 4, 3), 2), _rand(3, 3)  # 12 taps
        _, cols = K.conv1d_forward(x, w, b, 1, 1, "same", "numba", keep=False)
        assert cols is not None


class TestMaxPoolKernels:
    @pytest.mark.parametrize("n,length,c,k,stride", [(3, 187, 32, 5, 2), (2, 5, 3, 5, 2),
                                                     (1, 1, 1, 1, 1), (2, 9, 2, 2, 2),
                                                     (2, 10, 3, 3, 1), (1, 12, 2, 2, 5)])
    def test_numba_matches_numpy(self, n, length, c, k, stride):
        x = _rand((n, length, c), 8)
        out_nb, arg_nb = K.maxpool1d_forward(x, k, stride, "numba")
        out_np, arg_np = K.maxpool1d_forward(x, k, stride, "numpy")
        np.testing.assert_array_equal(out_nb, out_np)
        np.testing.assert_array_equal(arg_nb, arg_np)
        dout = _rand(out_np.shape, 9)
        dx_nb = K.maxpool1d_backward(dout, arg_nb, length, k, stride, "numba")
        dx_np = K.maxpool1d_backward(dout, arg_np, length, k, stride, "numpy")
        np.testing.assert_allclose(dx_nb, dx_np, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(dx_nb.sum(), dout.sum(), rtol=1e-4)

    @pytest.mark.parametrize("n,length,c,k,stride", [(3, 187, 32, 5, 2), (2, 5, 3, 5, 2),
                                                     (1, 1, 1, 1, 1), (2, 9, 2, 2, 2),
                                                     (2, 10, 3, 3, 1), (1, 12, 2, 2, 5),
                                                     (2, 30, 4, 7, 3), (1, 20, 3, 4, 4)])
    @pytest.mark.parametrize("backend", ["numba", "numpy"])
    @pytest.mark.parametrize("relu", [False, True])
    def test_values_only_and_relu_paths(self, n, length, c, k, stride, backend, relu):
        x = _rand((n, length, c), 8)
        ref, _ = K.maxpool1d_forward(x, k, stride, "numpy")
        if relu:
            ref = np.maximum(ref, 0)
        out, arg = K.maxpool1d_forward(x, k, stride, backend, need_argmax=False, relu=relu)
        np.testing.assert_array_equal(out, ref)
        assert arg.size == 0
        out, _ = K.maxpool1d_forward(x, k, stride, backend, relu=relu)
        np.testing.assert_array_equal(out, ref)

    def test_ties_pick_the_first(self):
        x = np.zeros((1, 6, 1), np.float32)
        for backend in ("numba", "numpy"):
            _, arg = K.maxpool1d_forward(x, 3, 2, backend)
            assert arg.ravel().tolist() == [0, 2]


class TestResolveBackend:
    def test_values(self):
        assert K.resolve_backend("numpy") == "numpy"
        assert K.resolve_backend("numba") == "numba"
        assert K.resolve_backend("auto") in ("numba", "numpy")

    def test_auto_without_jit(self, monkeypatch):
        monkeypatch.setenv("NUMBA_DISABLE_JIT", "1")
        assert K.resolve_backend("auto") == "numpy"

    def test_unknown(self):
        with pytest.raises(ValueError, match="backend='cuda' is not a backend"):
            K.resolve_backend("cuda")

    def test_missing_numba_is_an_error(self, monkeypatch):
        monkeypatch.setattr(_jit, "numba_available", lambda: False)
        assert K.resolve_backend("auto") == "numpy"
        with pytest.raises(ImportError, match="needs the numba package"):
            K.resolve_backend("numba")


class TestKernelInvariants:
    @given(n=st.integers(1, 3), length=st.integers(1, 24), c_in=st.integers(1, 4),
           k=st.integers(1, 6), stride=st.integers(1, 3), dilation=st.integers(1, 3),
           padding=st.sampled_from(["same", "valid"]), seed=st.integers(0, 2**16))
    @settings(max_examples=60, deadline=None)
    def test_twins_agree_on_any_shape(self, n, length, c_in, k, stride, dilation, padding,
                                      seed):
        l_out, _ = K.conv_out_length(length, k, stride, dilation, padding)
        if padding == "same":
            assert l_out == -(-length // stride)
        if l_out < 1:
            return
        x = _rand((n, length, c_in), seed)
        w = _rand((2, c_in, k), seed + 1)
        _, cols_nb = K.conv1d_forward(x, w, np.zeros(2, np.float32), stride, dilation,
                                           padding, "numba")
        out_np, cols_np = K.conv1d_forward(x, w, np.zeros(2, np.float32), stride, dilation,
                                           padding, "numpy")
        np.testing.assert_array_equal(cols_nb, cols_np)
        dout = _rand(out_np.shape, seed + 2)
        dx_nb, _, _ = K.conv1d_backward(dout, cols_nb, w, length, stride, dilation, padding,
                                        "numba")
        dx_np, _, _ = K.conv1d_backward(dout, cols_np, w, length, stride, dilation, padding,
                                        "numpy")
        np.testing.assert_allclose(dx_nb, dx_np, rtol=1e-5, atol=1e-5)
