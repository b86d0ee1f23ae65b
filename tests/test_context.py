"""heartbeat.context: RR features; the record median of each beat against a plain loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heartbeat import context
from heartbeat.context import local_median, rr_features, with_context


def naive_local_median(x: np.ndarray, k: int, groups=None) -> np.ndarray:
    """Per beat: np.median of the 2k+1 beats around it in its group, ends repeated."""
    x = np.asarray(x)
    groups = np.zeros(len(x)) if groups is None else np.asarray(groups)
    out = np.empty(x.shape, np.result_type(x.dtype, np.float64) if x.dtype.kind in "iu"
                   else x.dtype)
    for g in set(groups.tolist()):
        rows = np.flatnonzero(groups == g)
        for pos, row in enumerate(rows):
            window = [rows[min(max(j, 0), len(rows) - 1)] for j in range(pos - k, pos + k + 1)]
            out[row] = np.median(x[window], axis=0)
    return out


def experiment_median(x: np.ndarray, k: int) -> np.ndarray:
    """The formula of benchmarks/train_results.py before it used this module."""
    padded = np.pad(x, ((k, k), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * k + 1, axis=0)
    return np.median(windows, axis=-1)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


class TestLocalMedian:
    @pytest.mark.parametrize("k", [1, 2, 5])
    def test_one_group_matches_loop(self, rng, k):
        x = rng.standard_normal((23, 9)).astype(np.float32)
        got = local_median(x, k)
        assert got.dtype == np.float32 and got.shape == x.shape
        np.testing.assert_array_equal(got, naive_local_median(x, k))

    def test_matches_experiment_exactly(self, rng):
        x = rng.random((60, 187), dtype=np.float32)
        np.testing.assert_array_equal(local_median(x, 20), experiment_median(x, 20))

    def test_interleaved_groups(self, rng):
        x = rng.standard_normal((40, 6))
        groups = rng.choice(np.array(["100", "208", "231"]), size=40)
        got = local_median(x, 3, groups)
        np.testing.assert_array_equal(got, naive_local_median(x, 3, groups))
        # each group alone gives the same rows
        for g in np.unique(groups):
            rows = groups == g
            np.testing.assert_array_equal(got[rows], local_median(x[rows], 3))

    def test_k_larger_than_group_and_single_beat_group(self, rng):
        x = rng.standard_normal((9, 4))
        groups = np.array([0, 1, 0, 1, 1, 2, 0, 1, 1])  # group 2 has one beat
        got = local_median(x, 10, groups)
        np.testing.assert_array_equal(got, naive_local_median(x, 10, groups))
        np.testing.assert_array_equal(got[5], x[5])  # its own median

    def test_chunks_do_not_change_results(self, rng, monkeypatch):
        x = rng.standard_normal((50, 8)).astype(np.float32)
        groups = np.repeat([3, 1], 25)
        whole = local_median(x, 4, groups)
        monkeypatch.setattr(context, "resolve_backend", lambda backend: "numpy")  # chunks
        monkeypatch.setattr(context, "_CHUNK_ELEMENTS", 8 * 9 * 3)  # 3 rows per chunk
        np.testing.assert_array_equal(local_median(x, 4, groups), whole)
        monkeypatch.setattr(context, "_CHUNK_ELEMENTS", 1)  # one row per chunk
        np.testing.assert_array_equal(local_median(x, 4, groups), whole)

    def test_integers_readonly_and_empty(self, rng):
        x = rng.integers(0, 10, (12, 5))
        x.flags.writeable = False
        got = local_median(x, 2)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, naive_local_median(x, 2))
        assert local_median(np.zeros((0, 187)), 20).shape == (0, 187)
        assert local_median(np.zeros((0, 187)), 20, groups=[]).shape == (0, 187)

    @settings(max_examples=25, deadline=None)
    @given(n=st.integers(1, 15), k=st.integers(1, 6), n_groups=st.integers(1, 4),
           seed=st.integers(0, 2**16))
    def test_random_groups_match_loop(self, n, k, n_groups, seed):
        r = np.random.default_rng(seed)
        x = r.standard_normal((n, 3))
        groups = r.integers(0, n_groups, n)
        np.testing.assert_array_equal(local_median(x, k, groups),
                                      naive_local_median(x, k, groups))

    @pytest.mark.parametrize("kwargs,error,match", [
        ({"k": 0}, ValueError, "k=0 must be >= 1"),
        ({"k": 2.0}, TypeError, "k must be an integer"),
        ({"k": True}, TypeError, "k must be an integer"),
        ({"groups": [0, 1]}, ValueError, "groups must be 1-D with one label per beat"),
        ({"groups": np.zeros((4, 1))}, ValueError, "groups must be 1-D"),
    ])
    def test_bad_arguments(self, kwargs, error, match):
        with pytest.raises(error, match=match):
            local_median(np.zeros((4, 3)), **kwargs)

    def test_bad_x(self):
        with pytest.raises(ValueError, match=r"x must be 2-D.*got shape \(4,\)"):
            local_median(np.zeros(4))
        with pytest.raises(TypeError, match="x must be a numeric array"):
            local_median(np.array([["a", "b"]]))
        with pytest.raises(TypeError, match="x must be a numeric array"):
            local_median(np.ones((2, 2), bool))
        x = np.zeros((4, 3))
        x[2, 1] = np.nan
        with pytest.raises(ValueError, match=r"NaN or infinite values in 1 beat\(s\)"):
            local_median(x)


class TestRunningMedianKernel:
    """The Numba sliding-window median against its NumPy twin (np.median), bit for bit."""

    @staticmethod
    def both(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        twin, loop = np.empty_like(x), np.empty_like(x)
        context.RUNNING_MEDIAN.numpy_twin(x, k, twin)
        context.RUNNING_MEDIAN.get("numba")(x, k, loop)
        return twin, loop

    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    @pytest.mark.parametrize("m,k", [(1, 1), (2, 3), (7, 3), (40, 1), (60, 20)])
    def test_matches_twin(self, rng, dtype, m, k):
        for x in (rng.standard_normal((m, 5)), rng.integers(0, 3, (m, 5))):  # ties too
            twin, loop = self.both(x.astype(dtype), k)
            assert loop.dtype == dtype
            np.testing.assert_array_equal(loop, twin)

    def test_real_beats(self, mitdb_dir):
        import heartbeat

        record = heartbeat.read_record(mitdb_dir / "208")
        beats = heartbeat.segment(record.signal[: 360 * 120, 0], record.fs)  # 2 minutes
        assert len(beats) > 150
        twin, loop = self.both(np.ascontiguousarray(beats.waveforms), 20)
        np.testing.assert_array_equal(loop, twin)
        assert not np.array_equal(loop[0], loop[-1])  # the window moves along the record


class TestWithContext:
    def test_channels_shape_dtype(self, rng):
        x = rng.standard_normal((30, 187))
        groups = np.repeat(["a", "b"], 15)
        two = with_context(x, 5, groups)
        assert two.shape == (30, 2, 187) and two.dtype == np.float32
        np.testing.assert_array_equal(two[:, 0], x.astype(np.float32))
        np.testing.assert_allclose(two[:, 1], x - naive_local_median(x, 5, groups),
                                   rtol=1e-6, atol=1e-6)

    def test_float32_matches_experiment_exactly(self, rng):
        x = rng.random((45, 187), dtype=np.float32)
        two = with_context(x, 20)
        np.testing.assert_array_equal(two[:, 1], x - experiment_median(x, 20))

    def test_empty_and_errors(self):
        assert with_context(np.zeros((0, 187))).shape == (0, 2, 187)
        with pytest.raises(ValueError, match="k=-1 must be >= 1"):
            with_context(np.zeros((3, 4)), -1)
        with pytest.raises(ValueError, match="groups must be 1-D"):
            with_context(np.zeros((3, 4)), 1, groups=["a"])


def test_times_put_each_recording_in_time_order():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((30, 4))
    groups = np.repeat(["a", "b", "c"], 10)
    times = np.tile(np.arange(10) * 100, 3)
    perm = rng.permutation(30)
    want = local_median(x, 2, groups)
    np.testing.assert_array_equal(local_median(x[perm], 2, groups[perm], times[perm]),
                                  want[perm])
    np.testing.assert_array_equal(with_context(x[perm], 2, groups[perm], times=times[perm]),
                                  with_context(x, 2, groups)[perm])
    single = local_median(x[:10][::-1], 2, times=times[:10][::-1])
    np.testing.assert_array_equal(single, local_median(x[:10], 2)[::-1])


def test_bad_times():
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match="times must be 1-D with one value per beat"):
        local_median(x, 1, times=[0, 1])
    with pytest.raises(TypeError, match="times must be numeric"):
        with_context(x, 1, times=["a", "b", "c"])


class TestRRFeatures:
    def test_known_values(self):
        rr = rr_features([0, 360, 720, 1260], fs=360.0, local_window_s=10.0)
        mean = (1 + 1 + 1.5) / 3
        np.testing.assert_allclose(rr[:, 0], np.array([1, 1, 1, 1.5]) / mean, rtol=1e-6)
        np.testing.assert_allclose(rr[:, 1], np.array([1, 1, 1.5, 1.5]) / mean, rtol=1e-6)
        np.testing.assert_allclose(rr[:, 2], 1.0, rtol=1e-6)
        assert rr.dtype == np.float32

    def test_local_mean_uses_only_nearby_intervals(self):
        # 20 beats 1 s apart, then 20 beats 0.5 s apart: a 2 s window sees one rhythm
        peaks = np.concatenate([np.arange(20) * 100, 1900 + np.arange(1, 21) * 50])
        rr = rr_features(peaks, fs=100.0, local_window_s=2.0)
        mean = np.diff(peaks).mean() / 100
        np.testing.assert_allclose(rr[5, 2], 1.0 / mean, rtol=1e-6)
        np.testing.assert_allclose(rr[-5, 2], 0.5 / mean, rtol=1e-6)

    def test_fewer_than_two_beats(self):
        assert rr_features([], fs=360.0).shape == (0, 3)
        assert rr_features([5], fs=360.0).tolist() == [[1.0, 1.0, 1.0]]

    def test_bad_input(self):
        with pytest.raises(ValueError, match="strictly increasing"):
            rr_features([10, 5], fs=360.0)
        with pytest.raises(ValueError, match="1-D"):
            rr_features([[1, 2]], fs=360.0)
        with pytest.raises(TypeError, match="dtype"):
            rr_features(["a"], fs=360.0)
        with pytest.raises(ValueError, match="local_window_s"):
            rr_features([1, 2], fs=360.0, local_window_s=0)
        with pytest.raises(ValueError, match="fs"):
            rr_features([1, 2], fs=-1.0)

    @given(
        st.lists(st.integers(1, 500), min_size=2, max_size=40),
        st.integers(1, 5),
    )
    def test_invariant_to_sampling_rate(self, gaps, k):
        peaks = np.cumsum(gaps)
        a = rr_features(peaks, fs=100.0)
        b = rr_features(peaks * k, fs=100.0 * k)
        np.testing.assert_allclose(a, b, rtol=1e-5)
        assert np.all(a > 0)
