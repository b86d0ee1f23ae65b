"""Tests for heartbeat._quality_kernels: the quality measures' loops and their NumPy twins."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from heartbeat import _jit, _quality_kernels, read_record
from heartbeat._quality_kernels import median_of_four as _median_of_four
from heartbeat.signal_quality_features import nan_median_rows

HAVE_NUMBA = _jit.numba_available()


def _moving_means(x, width):
    """The twin's moving mean, the plain-Python loop's and Numba's (when installed)."""
    fns = [_quality_kernels.moving_mean_twin, _quality_kernels.moving_mean_loop]
    if HAVE_NUMBA:
        fns.append(_quality_kernels.MOVING_MEAN.get("numba"))
    outs = []
    for fn in fns:
        out = np.full(x.size, np.nan)
        fn(x, width, out)
        outs.append(out)
    return outs


def _suppressed(order, n, refractory):
    """Kept indices of the twin, the plain-Python loop and Numba's loop."""
    fns = [_quality_kernels.suppress_twin, _quality_kernels.suppress_loop]
    if HAVE_NUMBA:
        fns.append(_quality_kernels.SUPPRESS.get("numba"))
    outs = []
    for fn in fns:
        kept = np.full(order.size, -7, dtype=np.int64)
        count = fn(order, n, refractory, kept)
        outs.append(kept[:count])
    return outs


def _greedy(order, refractory):
    """Reference: keep each index unless a kept one is within `refractory` (lists)."""
    kept = []
    for p in order:
        if all(abs(int(p) - q) > refractory for q in kept):
            kept.append(int(p))
    return kept


class TestMovingMean:
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 400), width=st.integers(1, 500),
           kind=st.sampled_from(["normal", "quantised", "walk", "zeros"]))
    @settings(max_examples=80, deadline=None)
    def test_loop_matches_numpy_twin_bit_for_bit(self, seed, n, width, kind):
        rng = np.random.default_rng(seed)
        x = {"normal": rng.normal(size=n), "quantised": np.round(rng.normal(size=n) * 3),
             "walk": np.cumsum(rng.normal(size=n)) + 500.0, "zeros": -np.zeros(n)}[kind]
        ref, *loops = _moving_means(x, width)
        for got in loops:  # windows longer than the signal included
            np.testing.assert_array_equal(got, ref)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(ref))  # -0.0 too

    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), width=st.integers(1, 400))
    @settings(max_examples=60, deadline=None)
    def test_in_place_gives_the_same_bits(self, seed, n, width):
        # signal_quality_features runs the second passes with out=x (less memory)
        x = np.cumsum(np.random.default_rng(seed).normal(size=n))
        ref, *_ = _moving_means(x, width)
        fns = [_quality_kernels.moving_mean_twin, _quality_kernels.moving_mean_loop]
        if HAVE_NUMBA:
            fns.append(_quality_kernels.MOVING_MEAN.get("numba"))
        for fn in fns:
            y = x.copy()
            fn(y, width, y)
            np.testing.assert_array_equal(y, ref)

    def test_is_the_centred_mean(self):
        x = np.arange(10.0)
        ref, *_ = _moving_means(x, 3)
        expected = [np.mean(x[max(0, i - 1): i + 2]) for i in range(10)]
        np.testing.assert_allclose(ref, expected, rtol=1e-15)

    def test_mitdb_lead(self, mitdb_dir):
        rec = read_record(mitdb_dir / "203")
        x = np.ascontiguousarray(rec.signal[: 60 * 360, 1])
        for width in (9, 43, 216):  # the quality measures' widths at 360 Hz
            ref, *loops = _moving_means(x, width)
            for got in loops:
                np.testing.assert_array_equal(got, ref)


class TestSuppress:
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300),
           share=st.floats(0.0, 1.0), refractory=st.integers(0, 40))
    @settings(max_examples=80, deadline=None)
    def test_loop_matches_numpy_twin_and_greedy_rule(self, seed, n, share, refractory):
        rng = np.random.default_rng(seed)
        order = rng.permutation(n)[: round(share * n)].astype(np.int64)
        ref, *loops = _suppressed(order, n, refractory)
        assert ref.tolist() == _greedy(order, refractory)
        for got in loops:
            np.testing.assert_array_equal(got, ref)

    def test_edges_and_priority(self):
        order = np.array([5, 0, 9, 3, 7], dtype=np.int64)
        for got in _suppressed(order, 10, 2):
            assert got.tolist() == [5, 0, 9]  # 3 and 7 lie within 2 of 5


class TestMedianOfFour:
    @given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 20),
           ties=st.booleans())
    @settings(max_examples=60, deadline=None)
    def test_same_bits_as_numpy_median(self, seed, rows, ties):
        rng = np.random.default_rng(seed)
        stack = rng.normal(size=(4, rows, 7))
        if ties:
            stack = np.round(stack)  # many equal values
        np.testing.assert_array_equal(_median_of_four(stack), np.median(stack, axis=0))


def _counts(x, starts, ends, lowest, highest):
    """(zero steps, samples at a level) per segment from the twin, the loop and Numba."""
    fns = [_quality_kernels.segment_counts_twin, _quality_kernels.segment_counts_loop]
    if HAVE_NUMBA:
        fns.append(_quality_kernels.SEGMENT_COUNTS.get("numba"))
    outs = []
    for fn in fns:
        zero, level = np.full(starts.size, -7), np.full(starts.size, -7)
        fn(x, starts, ends, lowest, highest, zero, level)
        outs.append((zero, level))
    return outs


class TestSegmentCounts:
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), seg=st.integers(1, 50),
           infinite=st.booleans())
    @settings(max_examples=80, deadline=None)
    def test_loop_matches_numpy_twin(self, seed, n, seg, infinite):
        rng = np.random.default_rng(seed)
        x = np.clip(np.round(rng.normal(size=n) * 2), -3, 3)  # flat runs and clip levels
        starts = np.arange(0, n, seg, dtype=np.int64)
        ends = np.minimum(starts + seg, n)
        lowest, highest = (-np.inf, np.inf) if infinite else (-3.0, 3.0)
        (zero, level), *loops = _counts(x, starts, ends, lowest, highest)
        # the definition, segment by segment
        for k, (s, e) in enumerate(zip(starts, ends, strict=True)):
            assert zero[k] == np.count_nonzero(np.diff(x[s:e]) == 0)
            assert level[k] == np.count_nonzero((x[s:e] == lowest) | (x[s:e] == highest))
        for got_zero, got_level in loops:
            np.testing.assert_array_equal(got_zero, zero)
            np.testing.assert_array_equal(got_level, level)


class TestNanMedianRows:
    @given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 30), width=st.integers(1, 12),
           share=st.floats(0.0, 0.9), ties=st.booleans())
    @settings(max_examples=80, deadline=None)
    def test_same_bits_as_numpy_nanmedian(self, seed, rows, width, share, ties):
        rng = np.random.default_rng(seed)
        values = rng.normal(size=(rows, width))
        if ties:
            values = np.round(values)
        values[rng.random(values.shape) < share] = np.nan
        values[:, rng.integers(width)] = rng.normal(size=rows)  # a number in every row
        np.testing.assert_array_equal(nan_median_rows(values),
                                      np.nanmedian(values, axis=1))

    def test_rows_of_nan_only(self):
        values = np.array([[np.nan, np.nan], [1.0, np.nan]])
        np.testing.assert_array_equal(nan_median_rows(values), [np.nan, 1.0])


def _squared_slopes(band):
    """``np.gradient(band) ** 2`` from the twin, the plain-Python loop and Numba."""
    fns = [_quality_kernels.squared_slope_twin, _quality_kernels.squared_slope_loop]
    if HAVE_NUMBA:
        fns.append(_quality_kernels.SQUARED_SLOPE.get("numba"))
    outs = []
    for fn in fns:
        out = np.full(band.size, np.nan)
        fn(band, out)
        outs.append(out)
    return outs


class TestSquaredSlope:
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 300),
           kind=st.sampled_from(["normal", "quantised", "walk"]))
    @settings(max_examples=60, deadline=None)
    def test_loop_matches_numpy_twin_bit_for_bit(self, seed, n, kind):
        rng = np.random.default_rng(seed)
        band = {"normal": rng.normal(size=n), "quantised": np.round(rng.normal(size=n) * 3),
                "walk": np.cumsum(rng.normal(size=n)) * 1e-3}[kind]
        ref, *loops = _squared_slopes(band)
        np.testing.assert_array_equal(ref, np.gradient(band) ** 2)
        for got in loops:
            np.testing.assert_array_equal(got, ref)

    def test_is_the_squared_slope(self):
        ref, *_ = _squared_slopes(np.array([0.0, 1.0, 4.0, 9.0]))
        np.testing.assert_array_equal(ref, [1.0, 4.0, 16.0, 25.0])

    def test_mitdb_band(self, mitdb_dir):
        from heartbeat.signal_quality_features import band_pass

        rec = read_record(mitdb_dir / "105")
        band = band_pass(np.ascontiguousarray(rec.signal[: 60 * 360, 0]), rec.fs)
        ref, *loops = _squared_slopes(band)
        for got in loops:
            np.testing.assert_array_equal(got, ref)


def _template_correlations(y, peaks, half):
    """Template correlation per beat from the twin, the plain-Python loop and Numba."""
    fns = [_quality_kernels.template_correlation_twin,
           _quality_kernels.template_correlation_loop]
    if HAVE_NUMBA:
        fns.append(_quality_kernels.TEMPLATE_CORRELATION.get("numba"))
    outs = []
    for fn in fns:
        out = np.full(peaks.size, np.nan)
        fn(y, peaks, half, out)
        outs.append(out)
    return outs


class TestTemplateCorrelation:
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 600), beats=st.integers(2, 40),
           half=st.integers(1, 63), kind=st.sampled_from(["normal", "quantised", "repeated"]))
    @settings(max_examples=80, deadline=None)
    def test_loop_matches_numpy_twin_bit_for_bit(self, seed, n, beats, half, kind):
        rng = np.random.default_rng(seed)
        y = {"normal": rng.normal(size=n), "quantised": np.round(rng.normal(size=n)),
             "repeated": np.tile(rng.normal(size=7), n // 7 + 1)[:n]}[kind]
        peaks = np.sort(rng.integers(0, n, size=beats)).astype(np.int64)  # ends, repeats
        ref, *loops = _template_correlations(y, peaks, half)
        for got in loops:
            np.testing.assert_array_equal(got, ref)

    def test_a_repeated_beat_correlates_fully(self):
        y = np.tile(np.sin(np.linspace(0, 2 * np.pi, 50, endpoint=False)) ** 3, 20)
        peaks = np.arange(25, 1000, 50, dtype=np.int64)
        ref, *loops = _template_correlations(y, peaks, 10)
        np.testing.assert_allclose(ref, 1.0, rtol=1e-12)
        for got in loops:
            np.testing.assert_array_equal(got, ref)

    def test_blocks_join_seamlessly(self, monkeypatch):
        rng = np.random.default_rng(3)
        y = rng.standard_normal(40000)
        peaks = np.sort(rng.choice(np.arange(50, 39950), 300, replace=False)).astype(np.int64)
        whole, *_ = _template_correlations(y, peaks, 43)
        monkeypatch.setattr(_quality_kernels, "_BEATS_PER_BLOCK", 32)
        blocks, *_ = _template_correlations(y, peaks, 43)
        np.testing.assert_array_equal(blocks, whole)

    def test_mitdb_beats(self, mitdb_dir):
        from heartbeat.detect import detect_r_peaks
        from heartbeat.signal_quality_features import moving_mean

        rec = read_record(mitdb_dir / "208")
        x = np.ascontiguousarray(rec.signal[: 120 * 360, 1])
        y = x - moving_mean(x, 216)
        peaks = detect_r_peaks(x, rec.fs).astype(np.int64)
        ref, *loops = _template_correlations(y, peaks, 43)  # +-120 ms at 360 Hz
        for got in loops:
            np.testing.assert_array_equal(got, ref)


def _centred_windows(x, a, width):
    """(centred windows, moments) from the twin, the plain-Python loop and Numba."""
    fns = [_quality_kernels.centred_windows_twin, _quality_kernels.centred_windows_loop]
    if HAVE_NUMBA:
        fns.append(_quality_kernels.CENTRED_WINDOWS.get("numba"))
    outs = []
    for fn in fns:
        w, moments = np.full((a.size, width), np.nan), np.full((a.size, 2), np.nan)
        fn(x, a, width, w, moments, *_quality_kernels.pairwise_plan(width))
        outs.append((w, moments))
    return outs


class TestCentredWindows:
    @given(seed=st.integers(0, 2**32 - 1), width=st.integers(1, 700), rows=st.integers(1, 4),
           spread=st.floats(0.0, 6.0))
    @settings(max_examples=60, deadline=None)
    def test_loop_matches_numpy_twin_bit_for_bit(self, seed, width, rows, spread):
        # rows of 1-7, 8-128 and more values: every branch of NumPy's pairwise sum
        rng = np.random.default_rng(seed)
        n = width + 50
        x = rng.normal(size=n) * 10 ** rng.uniform(-spread, spread, size=n)
        a = np.sort(rng.integers(0, n - width + 1, size=rows)).astype(np.int64)
        (w, moments), *loops = _centred_windows(x, a, width)
        for got_w, got_moments in loops:
            np.testing.assert_array_equal(got_w, w)
            np.testing.assert_array_equal(got_moments, moments)

    def test_are_the_central_moments(self):
        x = np.arange(12.0)
        (w, moments), *_ = _centred_windows(x, np.array([0, 4], dtype=np.int64), 8)
        np.testing.assert_array_equal(w[0], np.arange(8.0) - 3.5)
        np.testing.assert_allclose(moments[1], [np.mean(w[1] ** 2), np.mean(w[1] ** 4)])

    def test_mitdb_contexts(self, mitdb_dir):
        # the 6 s contexts of 2 s segments at 360 Hz: rows of 2,160 values
        rec = read_record(mitdb_dir / "119")
        x = np.ascontiguousarray(rec.signal[: 120 * 360, 0])
        a = np.arange(0, x.size - 2160 + 1, 720, dtype=np.int64)
        (w, moments), *loops = _centred_windows(x, a, 2160)
        for got_w, got_moments in loops:
            np.testing.assert_array_equal(got_w, w)
            np.testing.assert_array_equal(got_moments, moments)


def _both(name, *args, outs):
    """Run the twin, the plain-Python loop and Numba's loop of kernel `name` on fresh
    copies of the output arrays `outs`; return (result, outputs) of each."""
    kernel = getattr(_quality_kernels, name.upper())
    fns = [getattr(_quality_kernels, f"{name}_twin"), getattr(_quality_kernels, f"{name}_loop")]
    if HAVE_NUMBA:
        fns.append(kernel.get("numba"))
    runs = []
    for fn in fns:
        copies = [o.copy() for o in outs]
        runs.append((fn(*args, *copies), copies))
    return runs


class TestSlopeCandidates:
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300), block=st.integers(1, 60),
           quantised=st.booleans())
    @settings(max_examples=60, deadline=None)
    def test_loop_matches_numpy_twin(self, seed, n, block, quantised):
        rng = np.random.default_rng(seed)
        energy = rng.random(n) ** 2
        if quantised:
            energy = np.round(energy * 4)  # plateaus: ties on both sides
        typical = rng.random(-(-n // block) + 1) * 2
        (count, (cand,)), *loops = _both("slope_candidates", energy, typical, block,
                                         outs=[np.full(max(n - 2, 0), -1, dtype=np.int64)])
        i = np.arange(1, n - 1)
        expected = i[(energy[i] > energy[i - 1]) & (energy[i] >= energy[i + 1])
                     & (energy[i] > 0.3 * typical[i // block])]
        np.testing.assert_array_equal(cand[:count], expected)
        for got_count, (got,) in loops:
            assert got_count == count
            np.testing.assert_array_equal(got[:got_count], cand[:count])


class TestQuietSquares:
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 400), beats=st.integers(0, 30),
           mask_half=st.integers(0, 40), seg=st.integers(1, 90))
    @settings(max_examples=60, deadline=None)
    def test_loop_matches_numpy_twin(self, seed, n, beats, mask_half, seg):
        rng = np.random.default_rng(seed)
        band = rng.normal(size=n)
        peaks = np.sort(rng.integers(0, n, size=beats)).astype(np.int64)  # repeats, ends
        starts = np.arange(0, n, seg, dtype=np.int64)
        outs = [np.full(n, np.nan), np.full(starts.size, -7, dtype=np.int64)]
        (_, (squares, count)), *loops = _both("quiet_squares", band, peaks, mask_half, starts,
                                              outs=outs)
        near = np.zeros(n, dtype=bool)
        for p in peaks:  # the definition: within mask_half of a peak
            near[max(0, p - mask_half): p + mask_half + 1] = True
        np.testing.assert_array_equal(squares, np.where(near, 0.0, band * band))
        np.testing.assert_array_equal(count, [np.count_nonzero(~near[s: s + seg]) for s in starts])
        for _, (got_squares, got_count) in loops:
            np.testing.assert_array_equal(got_squares, squares)
            np.testing.assert_array_equal(got_count, count)


class TestPairwisePlan:
    @given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5000))
    @settings(max_examples=60, deadline=None)
    def test_the_plan_adds_as_numpy_sums(self, seed, n):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=n) * 10.0 ** rng.uniform(-6, 6, size=n)  # rounding shows
        blocks, program = _quality_kernels.pairwise_plan(n)
        assert blocks[0, 0] == 0 and blocks[:, 1].sum() == n  # the blocks tile the row
        np.testing.assert_array_equal(blocks[1:, 0], np.cumsum(blocks[:, 1])[:-1])
        stack = []
        for op in program:
            if op >= 0:
                start, size = blocks[op]
                part = x[start:start + size]
                stack.append(part.sum() if size <= 128 else np.nan)  # one NumPy block each
            else:
                second = stack.pop()
                stack.append(stack.pop() + second)
        assert len(stack) == 1
        assert stack[0] == x.sum()


class TestBandPowers:
    @given(seed=st.integers(0, 2**32 - 1), rows=st.integers(2, 6), width=st.integers(8, 700),
           spread=st.floats(0.0, 6.0))
    @settings(max_examples=50, deadline=None)
    def test_loop_matches_numpy_twin_from_two_rows(self, seed, rows, width, spread):
        rng = np.random.default_rng(seed)
        magnitude = np.abs(np.fft.rfft(rng.normal(size=(rows, width))
                                       * 10 ** rng.uniform(-spread, spread, (rows, width)),
                                       axis=1))
        bins = magnitude.shape[1]
        lo = rng.integers(0, bins, size=5)
        hi = np.minimum(bins, lo + rng.integers(0, bins, size=5))
        lo[0] = hi[0] = 0  # an empty band
        (_, (out,)), *loops = _both("band_powers", magnitude, lo, hi,
                                    outs=[np.full((rows, 5), np.nan)])
        np.testing.assert_array_equal(out[:, 0], 0.0)
        np.testing.assert_allclose(out[:, 1], (magnitude[:, lo[1]:hi[1]] ** 2).sum(axis=1),
                                   rtol=1e-12)
        for _, (got,) in loops:
            np.testing.assert_array_equal(got, out)

    def test_a_single_row_is_summed_pairwise_by_numpy(self):
        # why window_measures gives a lone row to the twin: NumPy's order differs there
        rng = np.random.default_rng(4)
        magnitude = np.abs(rng.normal(size=(1, 1000)) * 10 ** rng.uniform(-6, 6, (1, 1000)))
        lo, hi = np.array([0]), np.array([1000])
        twin = np.empty((1, 1))
        _quality_kernels.band_powers_twin(magnitude, lo, hi, twin)
        assert twin[0, 0] == np.sum(magnitude[0] ** 2)
