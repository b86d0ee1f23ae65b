"""Tests for heartbeat.windows (STFT features): agreement with SciPy, invariants, checks.

SciPy is the reference here only; ``TestImport`` checks the module runs without it.
"Agrees within 1e-6 relative" means ``|ours - scipy| <= 1e-6 * (|scipy| + max|scipy|)``
element-wise (float64, plus 1e-13 absolute for exact zeros); float32 results are held
to 2e-5 of the largest value, the rounding level of two single-precision FFTs.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

from heartbeat import windows as F
from heartbeat.windows import (
    FrequencyNormalizer,
    _framing,
    get_window,
    log_power,
    spectrogram,
    stft,
)

FS = 360.0
N = 500


def assert_agrees(ours, ref, rel=1e-6):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape
    assert ours.dtype == ref.dtype
    scale = float(np.abs(ref).max()) if ref.size else 0.0
    # + 1e-13: where the exact result is 0 (a detrended 1-sample segment) both sides
    # hold rounding noise of a few ulps of the O(1) signals
    np.testing.assert_allclose(ours, ref, rtol=rel, atol=rel * scale + 1e-13)


def assert_angles_agree(ours, ref, tol=1e-9):
    """Angles are compared modulo 2 pi: the sign of an exact zero imaginary part is noise."""
    wrapped = np.angle(np.exp(1j * (np.asarray(ours) - np.asarray(ref))))
    assert np.abs(wrapped).max() < tol


def random_signals(shape, seed=0, dtype=np.float64):
    """Noise plus an offset and a ramp, so that detrending matters."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(-1.0, 2.0, shape[-1])
    return (rng.standard_normal(shape) + 0.7 + ramp).astype(dtype)


def user_window(nperseg):
    return np.random.default_rng(nperseg).uniform(0.2, 1.0, nperseg)


def _demean_last_axis(d):
    d -= d.mean(axis=-1, keepdims=True)  # works in place on purpose
    return d


def _detrend_copy(d):
    # SciPy hands the callable a writeable view of overlapping frames, so only a
    # detrend that returns a new array gives SciPy a correct reference result
    return ss.detrend(d, axis=-1, type="linear")


# (nperseg, noverlap, nfft): odd/even, no/full overlap, nfft > nperseg, length-1 and
# whole-signal segments; 600 * 551 bins > 2**18 exercises the np.fft.rfft path.
FRAMINGS = [
    (64, 48, None),
    (63, 10, None),
    (64, 0, None),
    (33, 32, 100),
    (1, 0, None),
    (2, 1, None),
    (128, 64, 256),
    (300, 17, 401),
    (N, 0, None),
]
WINDOW_NAMES = ["hann", "hamming", "boxcar", "blackman", ("tukey", 0.25), "array"]
DETRENDS = [False, "constant", "linear", _detrend_copy]


def _window(name, nperseg):
    return user_window(nperseg) if name == "array" else name


class TestGetWindow:
    @pytest.mark.parametrize("name", ["hann", "hamming", "boxcar", "blackman"])
    @pytest.mark.parametrize("nperseg", [1, 2, 3, 4, 5, 16, 63, 64, 65, 1440])
    def test_matches_scipy_periodic(self, name, nperseg):
        ours = get_window(name, nperseg)
        np.testing.assert_allclose(ours, ss.get_window(name, nperseg), rtol=0, atol=1e-15)
        assert ours.dtype == np.float64

    @pytest.mark.parametrize("alpha", [0.0, 0.1, 0.25, 0.5, 0.99, 1.0])
    @pytest.mark.parametrize("nperseg", [1, 2, 7, 64, 65])
    def test_tukey_matches_scipy(self, alpha, nperseg):
        ref = ss.get_window(("tukey", alpha), nperseg)
        np.testing.assert_allclose(get_window(("tukey", alpha), nperseg), ref, atol=1e-15)

    def test_default_hann_and_its_square_overlap_add_to_constants(self):
        win = get_window("hann", F.DEFAULT_NPERSEG)
        step = F.DEFAULT_NPERSEG - F.DEFAULT_NOVERLAP
        for power, constant in ((1, 2.0), (2, 1.5)):
            total = (win**power).reshape(-1, step).sum(axis=0)
            np.testing.assert_allclose(total, constant, rtol=1e-12)

    def test_periodic_not_symmetric(self):
        # np.hanning is the symmetric window; spectral analysis wants the periodic one
        assert not np.allclose(get_window("hann", 64), np.hanning(64))
        np.testing.assert_allclose(get_window("hann", 64), np.hanning(65)[:-1], atol=1e-15)

    @pytest.mark.parametrize(
        ("window", "nperseg", "exc", "match"),
        [
            ("hanning", 8, ValueError, "unknown window='hanning'"),
            ("kaiser", 8, ValueError, "unknown window"),
            (("gauss", 2.0), 8, ValueError, "only tuple window"),
            (("tukey", 1.5), 8, ValueError, "alpha=1.5"),
            (("tukey", "a"), 8, TypeError, "alpha must be a real"),
            (3, 8, TypeError, "window must be a name"),
            ("hann", 0, ValueError, "nperseg=0"),
            ("hann", 8.0, TypeError, "nperseg must be an integer"),
        ],
    )
    def test_rejects(self, window, nperseg, exc, match):
        with pytest.raises(exc, match=match):
            get_window(window, nperseg)


class TestStft:
    @pytest.mark.parametrize("framing", FRAMINGS, ids=str)
    @pytest.mark.parametrize("window", WINDOW_NAMES, ids=str)
    def test_matches_scipy_grid(self, framing, window):
        nperseg, noverlap, nfft = framing
        x = random_signals((2, 3, N), seed=nperseg)
        win = _window(window, nperseg)
        for detrend in DETRENDS:
            for onesided in (True, False):
                for scaling in ("spectrum", "psd"):
                    kw = dict(window=win, nperseg=nperseg, noverlap=noverlap, nfft=nfft,
                              detrend=detrend, return_onesided=onesided, scaling=scaling)
                    f, t, Z = stft(x, FS, **kw)
                    f_ref, t_ref, Z_ref = ss.stft(x, FS, **kw)
                    assert_agrees(Z, Z_ref)
                    np.testing.assert_allclose(f, f_ref, rtol=1e-12)
                    np.testing.assert_allclose(t, t_ref, rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("boundary", ["zeros", "even", "odd", "constant", None])
    @pytest.mark.parametrize("padded", [True, False])
    @pytest.mark.parametrize("framing", [(64, 48, None), (63, 20, 70), (5, 2, None)], ids=str)
    def test_matches_scipy_boundaries(self, boundary, padded, framing):
        nperseg, noverlap, nfft = framing
        x = random_signals((4, 301), seed=3)
        kw = dict(nperseg=nperseg, noverlap=noverlap, nfft=nfft, boundary=boundary,
                  padded=padded)
        _f, t, Z = stft(x, FS, **kw)
        _f_ref, t_ref, Z_ref = ss.stft(x, FS, **kw)
        assert_agrees(Z, Z_ref)
        np.testing.assert_allclose(t, t_ref, rtol=1e-12, atol=1e-12)

    def test_defaults_for_ecg_windows(self):
        x = random_signals((5, 1440))
        f, t, Z = stft(x, FS)
        assert Z.shape == (5, 33, 91)
        assert f[1] == pytest.approx(FS / 64)
        assert t[1] - t[0] == pytest.approx(16 / FS)
        ref = ss.stft(x, FS, window="hann", nperseg=64, noverlap=48)[2]
        assert_agrees(Z, ref)
        assert Z.flags.c_contiguous

    def test_float32_matches_scipy(self):
        x = random_signals((6, 1440), dtype=np.float32)
        for kw in (dict(nperseg=64, noverlap=48), dict(nperseg=600, noverlap=100, nfft=700)):
            Z = stft(x, FS, **kw).Z
            ref = ss.stft(x, FS, **kw)[2]
            assert Z.dtype == ref.dtype == np.complex64
            assert_agrees(Z, ref, rel=2e-5)

    def test_sinusoid_amplitude(self):
        # a sinusoid of amplitude A on a bin centre gives |Z| = A/2 with "spectrum" scaling
        x = 3.0 * np.cos(2 * np.pi * 45.0 * np.arange(1440) / FS + 0.3)
        f, _t, Z = stft(x, FS, boundary=None, padded=False)
        k = int(np.argmin(np.abs(f - 45.0)))
        np.testing.assert_allclose(np.abs(Z[k]), 1.5, rtol=1e-12)

    @settings(max_examples=25)
    @given(nperseg=st.integers(1, 40), length=st.integers(0, 100), data=st.data())
    def test_energy_identity_any_window(self, nperseg, length, data):
        # Two-sided, psd scaling, boundary zeros, any window and overlap:
        #   sum_{k,m} |Z[k,m]|^2 = nfft / (fs sum(w^2)) * sum_n c[n] x_ext[n]^2,
        # with x_ext the zero-extended, zero-padded signal and c[n] the overlap-added w^2.
        noverlap = data.draw(st.integers(0, nperseg - 1), label="noverlap")
        nfft = nperseg + data.draw(st.integers(0, 8), label="extra_nfft")
        window = data.draw(st.sampled_from(["hann", "hamming", "blackman", "array"]))
        x = random_signals((nperseg + length,), seed=length)
        win = get_window(window, nperseg) if window != "array" else user_window(nperseg)
        Z = stft(x, FS, window=win, nperseg=nperseg, noverlap=noverlap, nfft=nfft,
                 return_onesided=False, scaling="psd").Z
        step = nperseg - noverlap
        n_frames = Z.shape[-1]
        half = nperseg // 2
        x_ext = np.zeros(nperseg + (n_frames - 1) * step)
        x_ext[half : half + x.size] = x
        weight = np.zeros_like(x_ext)
        for m in range(n_frames):
            weight[m * step : m * step + nperseg] += win**2
        lhs = np.sum(np.abs(Z) ** 2)
        rhs = nfft / (FS * np.sum(win**2)) * np.sum(weight * x_ext**2)
        assert lhs == pytest.approx(rhs, rel=1e-10)

    @settings(max_examples=25)
    @given(half=st.integers(1, 32), extra_nfft=st.integers(0, 9), length=st.integers(0, 200),
           sqrt_hann=st.booleans())
    def test_parseval_under_cola(self, half, extra_nfft, length, sqrt_hann):
        # If w^2 overlap-adds to a constant (sqrt-Hann at 50 % overlap, or a boxcar with
        # no overlap) and step >= nperseg / 2 (so boundary="zeros" covers every sample):
        #   sum_n x[n]^2 / fs = df * dt * sum_m sum_k c_k |Z[k, m]|^2
        # with df = fs / nfft, dt = step / fs, c_k = 1 at 0 Hz and Nyquist, 2 otherwise.
        nperseg = 2 * half
        if sqrt_hann:
            win, noverlap = np.sqrt(get_window("hann", nperseg)), half
        else:
            win, noverlap = np.ones(nperseg), 0
        nfft = nperseg + extra_nfft
        x = random_signals((nperseg + length,), seed=length)
        f, _t, Z = stft(x, FS, window=win, noverlap=noverlap, nfft=nfft, scaling="psd")
        c = np.full(f.size, 2.0)
        c[0] = 1.0
        if nfft % 2 == 0:
            c[-1] = 1.0
        step = nperseg - noverlap
        energy = (FS / nfft) * (step / FS) * np.sum(c[:, None] * np.abs(Z) ** 2)
        assert energy == pytest.approx(np.sum(x**2) / FS, rel=1e-10)

    @settings(max_examples=20)
    @given(a=st.floats(-5, 5), b=st.floats(-5, 5), seed=st.integers(0, 2**16),
           detrend=st.sampled_from([False, "constant", "linear"]))
    def test_linearity(self, a, b, seed, detrend):
        x = random_signals((3, 400), seed=seed)
        y = random_signals((3, 400), seed=seed + 1)
        kw = dict(nperseg=50, noverlap=30, detrend=detrend)
        lhs = stft(a * x + b * y, FS, **kw).Z
        rhs = a * stft(x, FS, **kw).Z + b * stft(y, FS, **kw).Z
        np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-9)

    def test_batch_equals_loop(self):
        x = random_signals((2, 3, 700), seed=5)
        Z = stft(x, FS, detrend="linear").Z
        for i in range(2):
            for j in range(3):
                # equal up to rounding: BLAS tiles a matrix product differently by row count
                np.testing.assert_allclose(Z[i, j], stft(x[i, j], FS, detrend="linear").Z,
                                           rtol=1e-12, atol=1e-14)

    def test_block_boundaries_do_not_matter(self, monkeypatch):
        x = random_signals((13, 600), seed=2)
        whole = stft(x, FS).Z
        monkeypatch.setattr(_framing, "_BLOCK_VALUES", 1)  # one row per block
        np.testing.assert_allclose(stft(x, FS).Z, whole, rtol=1e-12, atol=1e-14)

    @pytest.mark.parametrize(
        ("dtype", "expected"),
        [(np.float32, np.complex64), (np.float16, np.complex64), (np.float64, np.complex128),
         (np.int16, np.complex64), (np.uint8, np.complex64), (np.int32, np.complex128),
         (np.int64, np.complex128)],
    )
    def test_dtype_rules(self, dtype, expected):
        x = (random_signals((2, 300)) * 40 + 100).astype(dtype)
        f, t, Z = stft(x, FS)
        assert Z.dtype == expected
        assert f.dtype == t.dtype == np.float64
        assert Z.dtype == ss.stft(x, FS, nperseg=64, noverlap=48)[2].dtype

    def test_readonly_input(self):
        x = random_signals((3, 400))
        copy = x.copy()
        x.setflags(write=False)
        Z = stft(x, FS, detrend=_demean_last_axis).Z  # an in-place detrend must not leak
        np.testing.assert_array_equal(x, copy)
        np.testing.assert_allclose(Z, stft(copy, FS, detrend="constant").Z, atol=1e-13)

    def test_non_contiguous_input(self):
        x = random_signals((800, 4)).T  # time axis strided
        np.testing.assert_array_equal(stft(x, FS).Z, stft(np.ascontiguousarray(x), FS).Z)

    def test_empty_batch(self):
        _f, t, Z = stft(np.zeros((0, 500)), FS)
        assert Z.shape == (0, 33, t.size)

    def test_nperseg_equal_to_signal_length(self):
        x = random_signals((100,))
        Z = stft(x, FS, nperseg=100, boundary=None, padded=False).Z
        assert Z.shape == (51, 1)
        assert_agrees(Z, ss.stft(x, FS, nperseg=100, boundary=None, padded=False)[2])

    def test_matmul_and_fft_paths_agree(self):
        x = random_signals((4, 400), seed=9)
        for detrend in (None, "constant", "linear"):
            for doubled in (False, True):
                for nperseg, nfft in ((64, 64), (63, 80), (1, 1), (2, 5)):
                    plans = [
                        _framing._make_plan(get_window("hamming", nperseg), nperseg=nperseg,
                                     noverlap=nperseg // 2, nfft=nfft, scale=0.3,
                                     doubled=doubled, detrend=detrend, dtype=np.float64,
                                     method=method)
                        for method in ("matmul", "fft")
                    ]
                    a, b = (_framing._framed_transform(x, p, onesided=True, mode="complex")
                            for p in plans)
                    assert_agrees(a, b, rel=1e-12)
                    plans = [dataclasses.replace(p, power=True) for p in plans]
                    plans[0] = _framing._make_plan(get_window("hamming", nperseg), nperseg=nperseg,
                                            noverlap=nperseg // 2, nfft=nfft, scale=0.3,
                                            doubled=doubled, detrend=detrend,
                                            dtype=np.float64, power=True, method="matmul")
                    a, b = (_framing._framed_transform(x, p, onesided=True, mode="psd")
                            for p in plans)
                    assert_agrees(a, b, rel=1e-12)
                    power = np.abs(_framing._framed_transform(x, plans[1], onesided=True,
                                                       mode="complex")) ** 2
                    assert_agrees(a, power, rel=1e-12)

    @pytest.mark.parametrize(
        ("x", "kwargs", "exc", "match"),
        [
            (np.array([1.0, np.nan] * 100), {}, ValueError, "x holds 100 NaN"),
            (np.array([1.0, np.inf] * 100), {}, ValueError, "NaN or infinite"),
            (np.ones(200, complex), {}, TypeError, "real numbers"),
            (np.ones(200, bool), {}, TypeError, "real numbers"),
            (np.array(["a"] * 200), {}, TypeError, "real numbers"),
            (np.array([object()] * 200), {}, TypeError, "real numbers"),
            ("abc", {}, TypeError, "x must be a numeric array"),
            (None, {}, TypeError, "x must be a numeric array"),
            (np.float64(1.0), {}, ValueError, "at least 1 dimension"),
            (np.zeros((3, 0)), {}, ValueError, "x is empty"),
            (np.ones(200), {"nperseg": 0}, ValueError, "nperseg=0 must be >= 1"),
            (np.ones(200), {"nperseg": 201}, ValueError, "nperseg=201 is longer"),
            (np.ones(200), {"nperseg": 64.0}, TypeError, "nperseg must be an integer"),
            (np.ones(200), {"nperseg": True}, TypeError, "nperseg must be an integer"),
            (np.ones(200), {"noverlap": 64}, ValueError, "noverlap=64 must be less"),
            (np.ones(200), {"noverlap": -1}, ValueError, "noverlap=-1 must be >= 0"),
            (np.ones(200), {"nfft": 63}, ValueError, "nfft=63 must be >= nperseg=64"),
            (np.ones(200), {"window": "hanning"}, ValueError, "unknown window"),
            (np.ones(200), {"window": None}, TypeError, "window must be"),
            (np.ones(200), {"window": np.ones(10), "nperseg": 12}, ValueError,
             "differs from the length"),
            (np.ones(200), {"window": np.ones((2, 5))}, ValueError, "1-D array"),
            (np.ones(200), {"window": [1.0, np.nan]}, ValueError, "window holds"),
            (np.ones(200), {"window": np.zeros(8)}, ValueError, "window sums to 0"),
            (np.ones(200), {"window": np.zeros(8), "scaling": "psd"}, ValueError,
             "all zeros"),
            (np.ones(200), {"window": np.ones(201)}, ValueError, "nperseg=201 is longer"),
            (np.ones(200), {"detrend": "quadratic"}, ValueError, "detrend='quadratic'"),
            (np.ones(200), {"detrend": 3}, TypeError, "detrend must be"),
            (np.ones(200), {"boundary": "reflect"}, ValueError, "boundary='reflect'"),
            (np.ones(200), {"scaling": "density"}, ValueError, "scaling='density'"),
            (np.ones(200), {"return_onesided": 1}, TypeError, "return_onesided must be"),
            (np.ones(200), {"padded": "yes"}, TypeError, "padded must be"),
        ],
    )
    def test_rejects(self, x, kwargs, exc, match):
        with pytest.raises(exc, match=match):
            stft(x, FS, **kwargs)

    def test_rejects_bad_detrend_callable(self):
        with pytest.raises(ValueError, match="detrend callable must return"):
            stft(np.ones(200), FS, detrend=lambda d: d[..., :-1])

    @pytest.mark.parametrize(("fs", "exc"), [(0, ValueError), (-360, ValueError),
                                             (float("nan"), ValueError), ("360", TypeError)])
    def test_rejects_bad_fs(self, fs, exc):
        with pytest.raises(exc, match="fs"):
            stft(np.ones(200), fs)


class TestSpectrogram:
    @pytest.mark.parametrize("framing", FRAMINGS, ids=str)
    @pytest.mark.parametrize("window", WINDOW_NAMES, ids=str)
    def test_matches_scipy_grid(self, framing, window):
        nperseg, noverlap, nfft = framing
        x = random_signals((2, 3, N), seed=nperseg + 1)
        win = _window(window, nperseg)
        for detrend in DETRENDS:
            for onesided in (True, False):
                for scaling in ("density", "spectrum"):
                    kw = dict(window=win, nperseg=nperseg, noverlap=noverlap, nfft=nfft,
                              detrend=detrend, return_onesided=onesided, scaling=scaling)
                    f, t, S = spectrogram(x, FS, **kw)
                    f_ref, t_ref, S_ref = ss.spectrogram(x, FS, **kw)
                    assert_agrees(S, S_ref)
                    np.testing.assert_allclose(f, f_ref, rtol=1e-12)
                    np.testing.assert_allclose(t, t_ref, rtol=1e-12)

    @pytest.mark.parametrize("mode", ["psd", "complex", "magnitude", "angle", "phase"])
    @pytest.mark.parametrize("onesided", [True, False])
    @pytest.mark.parametrize("framing", [(64, 48, None), (33, 7, 40), (600, 100, 700)],
                             ids=str)
    def test_modes_match_scipy(self, mode, onesided, framing):
        nperseg, noverlap, nfft = framing
        x = random_signals((3, 1440), seed=11)
        kw = dict(window="hamming", nperseg=nperseg, noverlap=noverlap, nfft=nfft,
                  return_onesided=onesided, mode=mode)
        S = spectrogram(x, FS, **kw).Sxx
        S_ref = ss.spectrogram(x, FS, **kw)[2]
        if mode in ("angle", "phase"):
            assert S.shape == S_ref.shape and S.dtype == S_ref.dtype
            assert_angles_agree(S, S_ref)
        else:
            assert_agrees(S, S_ref)

    def test_defaults_for_ecg_windows(self):
        x = random_signals((4, 1440), seed=1)
        _f, t, S = spectrogram(x, FS)
        assert S.shape == (4, 33, 87)
        ref = ss.spectrogram(x, FS, window="hann", nperseg=64, noverlap=48)
        assert_agrees(S, ref[2])
        np.testing.assert_allclose(t, ref[1])
        assert S.flags.c_contiguous

    def test_float32_matches_scipy(self):
        x = random_signals((6, 1440), dtype=np.float32)
        for mode in ("psd", "magnitude"):
            S = spectrogram(x, FS, mode=mode).Sxx
            ref = ss.spectrogram(x, FS, window="hann", nperseg=64, noverlap=48, mode=mode)[2]
            assert S.dtype == ref.dtype == np.float32
            assert_agrees(S, ref, rel=2e-5)

    @settings(max_examples=25)
    @given(nperseg=st.integers(1, 64), extra_nfft=st.integers(0, 9),
           window=st.sampled_from(["hann", "hamming", "boxcar", "blackman"]),
           seed=st.integers(0, 2**16))
    def test_parseval_per_frame(self, nperseg, extra_nfft, window, seed):
        # one-sided density, no detrend: sum_k Sxx[k, m] * fs / nfft
        #   = sum_n w[n]^2 x_m[n]^2 / sum(w^2)  (the window-weighted mean square)
        nfft = nperseg + extra_nfft
        x = random_signals((2, 300), seed=seed)
        noverlap = nperseg // 3
        S = spectrogram(x, FS, window=window, nperseg=nperseg, noverlap=noverlap,
                        nfft=nfft, detrend=False).Sxx
        win = get_window(window, nperseg)
        step = nperseg - noverlap
        frames = np.stack([x[:, m * step : m * step + nperseg] for m in range(S.shape[-1])],
                          axis=1)
        expected = np.sum(win**2 * frames**2, axis=-1) / np.sum(win**2)
        np.testing.assert_allclose(S.sum(axis=-2) * FS / nfft, expected, rtol=1e-10)

    def test_sinusoid_power(self):
        x = 2.0 * np.sin(2 * np.pi * 45.0 * np.arange(1440) / FS)
        f, _t, S = spectrogram(x, FS, scaling="spectrum")
        np.testing.assert_allclose(S[f == 45.0], 2.0, rtol=1e-12)  # A^2 / 2, one-sided

    def test_batch_equals_loop(self):
        x = random_signals((5, 1440), seed=4, dtype=np.float32)
        S = spectrogram(x, FS).Sxx
        for i in range(5):
            # float32 rounding differs with the BLAS tiling of the row count
            assert_agrees(S[i], spectrogram(x[i], FS).Sxx, rel=1e-6)

    def test_readonly_input(self):
        x = random_signals((2, 1440))
        x.setflags(write=False)
        assert spectrogram(x, FS).Sxx.shape == (2, 33, 87)

    def test_empty_batch(self):
        assert spectrogram(np.zeros((0, 1440), np.float32), FS).Sxx.shape == (0, 33, 87)

    @pytest.mark.parametrize(
        ("kwargs", "exc", "match"),
        [
            ({"mode": "power"}, ValueError, "mode='power'"),
            ({"scaling": "psd"}, ValueError, "scaling='psd'"),
            ({"nperseg": 2000}, ValueError, "nperseg=2000 is longer"),
            ({"noverlap": 100}, ValueError, "noverlap=100 must be less than nperseg=64"),
            ({"window": "flattop"}, ValueError, "unknown window"),
        ],
    )
    def test_rejects(self, kwargs, exc, match):
        with pytest.raises(exc, match=match):
            spectrogram(np.ones(1440), FS, **kwargs)

    def test_real_mitbih_segments(self, mitdb_dir):
        for record in ("100", "208"):
            mv = read_mitdb_channel0(mitdb_dir, record, 14_400)
            windows = mv.reshape(10, 1440)  # ten consecutive 4 s windows
            for dtype, rel in ((np.float64, 1e-6), (np.float32, 2e-5)):
                x = windows.astype(dtype)
                kw = dict(window="hann", nperseg=64, noverlap=48)
                assert_agrees(spectrogram(x, FS).Sxx, ss.spectrogram(x, FS, **kw)[2], rel)
                assert_agrees(stft(x, FS).Z, ss.stft(x, FS, **kw)[2], rel)
            # ECG power sits well below 40 Hz: check the image shows it
            f, _, S = spectrogram(windows, FS)
            assert S[:, f < 40].sum() > 0.9 * S.sum()


def read_mitdb_channel0(mitdb_dir, record, n_samples):
    """Channel 0 of a format-212 MIT-BIH record, in mV, decoded here independently.

    Format 212 packs two 12-bit two's-complement samples into 3 bytes: sample 0 is
    byte 0 plus the low nibble of byte 1 (as bits 8-11); sample 1 is byte 2 plus the
    high nibble of byte 1. The first decoded sample must equal the header's initial
    value, which checks the decoding.
    """
    fields = (mitdb_dir / f"{record}.hea").read_text().splitlines()[1].split()
    gain, adc_zero, initial = float(fields[2].split("(")[0].split("/")[0]), int(fields[4]), \
        int(fields[5])
    raw = np.fromfile(mitdb_dir / f"{record}.dat", dtype=np.uint8, count=3 * n_samples)
    b = raw.reshape(-1, 3).astype(np.int32)
    adc = b[:, 0] | ((b[:, 1] & 0x0F) << 8)
    adc = np.where(adc >= 2048, adc - 4096, adc)
    assert adc[0] == initial
    return (adc - adc_zero) / gain


class TestLogPower:
    def test_values_and_floor(self):
        out = log_power(np.array([1.0, 1e-3, 0.0, 1e-20]), floor_db=-100.0)
        np.testing.assert_allclose(out, [0.0, -30.0, -100.0, -100.0], atol=1e-12)

    def test_float32_preserved_and_floor_exact(self):
        out = log_power(np.zeros(4, np.float32), floor_db=-37.3)
        assert out.dtype == np.float32
        assert (out >= np.float32(-37.3)).all()

    def test_readonly_input(self):
        S = np.ones((4, 5))
        S.setflags(write=False)
        np.testing.assert_array_equal(log_power(S), np.zeros((4, 5)))

    def test_scalar_input(self):
        assert log_power(100.0) == pytest.approx(20.0)

    @pytest.mark.parametrize(
        ("S", "floor_db", "exc", "match"),
        [
            (np.array([1.0, -1e-3]), -120.0, ValueError, "negative values"),
            (np.array([1.0, np.inf]), -120.0, ValueError, "NaN or infinite"),
            (np.array([1.0 + 0j]), -120.0, TypeError, "must be real power"),
            (np.ones(2), float("-inf"), ValueError, "floor_db=-inf"),
            (np.ones(2), "low", TypeError, "floor_db must be"),
        ],
    )
    def test_rejects(self, S, floor_db, exc, match):
        with pytest.raises(exc, match=match):
            log_power(S, floor_db=floor_db)


class TestFrequencyNormalizer:
    def test_fit_statistics(self):
        S = np.random.default_rng(0).normal(size=(20, 2, 6, 9)) * np.arange(1, 7)[:, None]
        norm = FrequencyNormalizer.fit(S)
        moved = np.moveaxis(S, -2, 0).reshape(6, -1)
        np.testing.assert_allclose(norm.mean, moved.mean(axis=1))
        np.testing.assert_allclose(norm.std, moved.std(axis=1))
        z = norm.transform(S)
        np.testing.assert_allclose(np.moveaxis(z, -2, 0).reshape(6, -1).mean(axis=1), 0,
                                   atol=1e-12)
        np.testing.assert_allclose(np.moveaxis(z, -2, 0).reshape(6, -1).std(axis=1), 1)

    def test_no_leakage_from_test_data(self):
        rng = np.random.default_rng(1)
        train = rng.normal(size=(50, 4, 7))
        test = rng.normal(5.0, 3.0, size=(10, 4, 7))
        norm = FrequencyNormalizer.fit(train)
        z = norm.transform(test)
        # the test set is scaled by the training statistics, not standardised by its own
        np.testing.assert_allclose(z, (test - norm.mean[:, None]) / norm.std[:, None])
        assert z.mean() > 1.0
        # and each example is transformed on its own: no batch statistics involved
        np.testing.assert_allclose(norm.transform(test[3]), z[3])
        assert FrequencyNormalizer.fit(train).mean.tolist() == norm.mean.tolist()

    def test_constant_bin_is_only_centred(self):
        S = np.random.default_rng(2).normal(size=(10, 3, 5))
        S[:, 1, :] = -120.0  # e.g. a bin floored by log_power everywhere
        norm = FrequencyNormalizer.fit(S)
        assert norm.std[1] == 1.0
        np.testing.assert_array_equal(norm.transform(S)[:, 1], 0.0)

    def test_float32_preserved(self):
        S = np.random.default_rng(3).normal(size=(10, 3, 5)).astype(np.float32)
        assert FrequencyNormalizer.fit(S).transform(S).dtype == np.float32

    def test_save_load_roundtrip(self, tmp_path):
        norm = FrequencyNormalizer.fit(np.random.default_rng(4).normal(size=(8, 5, 3)))
        path = norm.save(tmp_path / "norm")
        assert path.name == "norm.npz"
        with np.load(path, allow_pickle=False) as data:
            assert sorted(data.files) == ["mean", "std"]
        loaded = FrequencyNormalizer.load(path)
        np.testing.assert_array_equal(loaded.mean, norm.mean)
        np.testing.assert_array_equal(loaded.std, norm.std)

    def test_load_rejects_other_files(self, tmp_path):
        np.savez(tmp_path / "other.npz", mean=np.zeros(3))
        with pytest.raises(ValueError, match=r"missing \['std'\]"):
            FrequencyNormalizer.load(tmp_path / "other.npz")

    def test_frozen_and_readonly(self):
        norm = FrequencyNormalizer(mean=[0.0, 1.0], std=[1.0, 2.0])
        with pytest.raises(dataclasses.FrozenInstanceError):
            norm.mean = np.zeros(2)
        with pytest.raises(ValueError, match="read-only"):
            norm.mean[0] = 5.0

    @pytest.mark.parametrize(
        ("mean", "std", "exc", "match"),
        [
            ([0.0, 1.0], [1.0], ValueError, "one length"),
            ([0.0], [0.0], ValueError, "std must be > 0"),
            ([[0.0]], [[1.0]], ValueError, "1-D"),
            ([np.nan], [1.0], ValueError, "mean holds"),
            ([1j], [1.0], TypeError, "must be real"),
        ],
    )
    def test_rejects_bad_statistics(self, mean, std, exc, match):
        with pytest.raises(exc, match=match):
            FrequencyNormalizer(mean=mean, std=std)

    def test_rejects_bad_inputs(self):
        norm = FrequencyNormalizer.fit(np.ones((4, 3, 2)))
        with pytest.raises(ValueError, match="S has 5 frequency bins"):
            norm.transform(np.ones((2, 5, 2)))
        with pytest.raises(ValueError, match="at least 2-D"):
            FrequencyNormalizer.fit(np.ones(5))
        with pytest.raises(ValueError, match="no spectrograms"):
            FrequencyNormalizer.fit(np.ones((0, 3, 2)))
        with pytest.raises(TypeError, match="must be real"):
            FrequencyNormalizer.fit(np.ones((2, 3, 2), complex))
        with pytest.raises(ValueError, match="min_std="):
            FrequencyNormalizer.fit(np.ones((2, 3, 2)), min_std=0)


class TestImport:
    def test_module_works_without_scipy(self):
        code = textwrap.dedent(
            """
            import sys
            class NoScipy:
                def find_spec(self, name, path=None, target=None):
                    if name == "scipy" or name.startswith("scipy."):
                        raise ImportError("scipy blocked for this test")
            sys.meta_path.insert(0, NoScipy())
            import numpy as np
            from heartbeat import windows as features
            x = np.random.default_rng(0).standard_normal((4, 1440))
            S = features.spectrogram(x, 360.0).Sxx
            Z = features.stft(x, 360.0).Z
            assert S.shape == (4, 33, 87) and Z.shape == (4, 33, 91)
            assert not any(m == "scipy" or m.startswith("scipy.") for m in sys.modules)
            print("ok")
            """
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "ok"
