"""Tests for heartbeat._detect_stages: the detector's per-sample passes and their twins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heartbeat import _detect_stages, _jit
from heartbeat.detect import _windows, detect_r_peaks

HAVE_NUMBA = _jit.numba_available()


def band_pass_all(x, shift, scale, n_lp, n_hp, plain=True):
    """The twin's band-pass, then the plain-Python loop's and Numba's (when installed)."""
    outs = []
    for fn in (_detect_stages.band_pass,) + ((_detect_stages.band_pass_loop,) if plain else ()) + (
        (_detect_stages.BAND_PASS.get("numba"),) if HAVE_NUMBA else ()
    ):
        bp = np.full(x.size, np.nan)
        fn(x, shift, scale, n_lp, n_hp, bp, np.full(x.size, np.nan))
        outs.append(bp)
    return outs


def envelope_all(bp, k, n_env, step, capacity, plain=True):
    """(count, slope_sq, sub, cand, cand_energy) of the twin, the loop and Numba's loop."""
    outs = []
    for fn in (_detect_stages.envelope,) + ((_detect_stages.envelope_loop,) if plain else ()) + (
        (_detect_stages.ENVELOPE.get("numba"),) if HAVE_NUMBA else ()
    ):
        slope_sq = np.full(bp.size, np.nan)
        sub = np.full(-(-bp.size // step), np.nan)
        cand = np.full(capacity, -7, dtype=np.int64)
        energy = np.full(capacity, np.nan)
        count = fn(bp, k, n_env, step, slope_sq, sub, cand, energy)
        written = min(count, capacity)
        outs.append((count, slope_sq, sub, cand[:written], energy[:written]))
    return outs


class TestBandPass:
    @given(
        seed=st.integers(0, 2**32 - 1),
        m=st.integers(1, 300),
        n_lp=st.integers(1, 30),
        extra=st.integers(1, 40),
        shift=st.floats(-1e3, 1e3),
        exponent=st.integers(-12, 12),
        kind=st.sampled_from(["normal", "quantised", "walk"]),
    )
    @settings(max_examples=80)
    def test_loop_matches_numpy_twin(self, seed, m, n_lp, extra, shift, exponent, kind):
        rng = np.random.default_rng(seed)
        x = {"normal": rng.normal(size=m), "quantised": np.round(rng.normal(size=m) * 3),
             "walk": np.cumsum(rng.normal(size=m)) + 500.0}[kind]
        n_lp = max(3, n_lp | 1)
        n_hp = n_lp + 2 * extra  # odd and longer, as the detector makes it
        ref, *loops = band_pass_all(x, shift, 2.0**exponent, n_lp, n_hp)
        for got in loops:  # the same bits, windows longer than the signal included
            np.testing.assert_array_equal(got, ref)

    def test_record_like_signal_at_several_rates(self):
        rng = np.random.default_rng(3)
        x = np.cumsum(rng.normal(size=40_001)) + 1000.0
        for fs in (100.0, 250.0, 360.0, 1000.0):
            n_lp, n_hp, _, _ = _windows(fs)
            twin, *loops = band_pass_all(x, 1000.0, 2.0**-9, n_lp, n_hp, plain=not HAVE_NUMBA)
            for got in loops:
                np.testing.assert_array_equal(got, twin)


class TestEnvelope:
    @given(
        seed=st.integers(0, 2**32 - 1),
        m=st.integers(3, 300),
        k=st.integers(1, 20),
        n_env=st.integers(3, 60),
        step=st.integers(1, 9),
        capacity=st.integers(0, 40),
        quantised=st.booleans(),
    )
    @settings(max_examples=80)
    def test_loop_matches_numpy_twin(self, seed, m, k, n_env, step, capacity, quantised):
        rng = np.random.default_rng(seed)
        bp = rng.normal(size=m)
        if quantised:  # plateaus: equal neighbours, the maxima's ">" and ">=" matter
            bp = np.round(bp)
        ref, *loops = envelope_all(bp, k, n_env | 1, step, capacity)
        for got in loops:
            assert got[0] == ref[0]  # the full count, even when it exceeds the capacity
            for a, b in zip(got[1:], ref[1:], strict=True):
                np.testing.assert_array_equal(a, b)

    def test_record_like_signal_and_retry_capacity(self):
        rng = np.random.default_rng(4)
        bp = np.convolve(rng.normal(size=40_000), np.ones(9) / 9, mode="same")
        twin, *loops = envelope_all(bp, 3, 37, 4, 40_000, plain=not HAVE_NUMBA)
        assert twin[0] > 1000  # plenty of maxima: a real test of their positions
        for got in loops:
            assert got[0] == twin[0]
            for a, b in zip(got[1:], twin[1:], strict=True):
                np.testing.assert_array_equal(a, b)


class TestDetectionAcrossBackends:
    """The default backend and the NumPy-only one give the same peaks, edge cases too."""

    @pytest.mark.parametrize("name", ["100", "203"])
    @pytest.mark.parametrize("lead", [0, 1])
    def test_mitdb_excerpts_lengths_and_rates(self, mitdb_dir, name, lead):
        if not HAVE_NUMBA:
            pytest.skip("numba is not installed")
        wfdb = pytest.importorskip("heartbeat.io", reason="heartbeat.io is not available")
        x = np.asarray(wfdb.read_record(mitdb_dir / name).signal, dtype=np.float64)[:, lead]
        cases = [(x[:n], 360.0) for n in (3, 4, 5, 17, 101, 3601, 20_001)]
        cases += [(x[:20_000], fs) for fs in (40.0, 100.0, 128.0, 250.0, 1000.0)]
        cases += [(x[:20_000] * 1e300, 360.0), (x[:20_000] * 1e-310, 360.0)]
        for signal, fs in cases:
            np.testing.assert_array_equal(
                detect_r_peaks(signal, fs, backend="numba"),
                detect_r_peaks(signal, fs, backend="numpy"),
                err_msg=f"record {name} lead {lead}, {signal.size} samples at {fs} Hz",
            )

    def test_read_only_and_strided_input(self):
        rng = np.random.default_rng(8)
        t = np.arange(40_000) / 360.0
        x = np.exp(-(((t % 0.83) - 0.4) ** 2) / 2e-4) + 0.05 * rng.normal(size=t.size)
        ref = detect_r_peaks(x, 360.0, backend="numpy")
        frozen = x.copy()
        frozen.flags.writeable = False
        wide = np.repeat(x[:, None], 3, axis=1)  # a column of it is a strided view
        for signal in (frozen, wide[:, 1]):
            np.testing.assert_array_equal(detect_r_peaks(signal, 360.0), ref)
        assert not frozen.flags.writeable and np.array_equal(frozen, x)  # left as it was
