"""Winograd F(6, 5) against the library's F(4, 5): accuracy and speed (issue 13; not kept).

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. taskset -c 0 python benchmarks/bench_winograd6.py
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. taskset -c 0 python benchmarks/bench_winograd6.py \\
        --network --repeats 8

F(6, 5) computes 6 outputs of a kernel-5 convolution from 10 transform points (1.67
products per output against F(4, 5)'s 8 per 4 = 2); on the Kachuee network's levels
(187, 92, 44, 20, 8 samples) it needs 320, 160, 80, 40 and 20 points per channel pair
against 376, 184, 88, 40 and 16.  This script holds a complete F(6, 5) forward pass
(Numba transforms beside NumPy twins, BLAS products point-major in passes of about
512 tiles, as :mod:`heartbeat.nn.winograd`) and measures it; the library does not use
it, because it did not pay (docs/benchmarks.md, "Issue 13, session 8").

Three parts, each printed as a table:

1. **Accuracy** of candidate interpolation points on the network's own activations:
   the inputs of the default model's Winograd convolutions on lead 0 of ``--records``
   (default 100, 203, 208), each convolution computed in float32 by F(4, 5) and by
   F(6, 5) with the matrices of each point set, against a float64 direct convolution:
   the largest error over the largest output, per level.
2. **Speed per level**: one 32-to-32-channel forward pass (ReLU fused) on ``--beats``
   beats at each of the network's lengths, the library's F(4, 5) and this F(6, 5),
   alternately, best of ``--repeats`` in CPU seconds.
3. With ``--network``: the default model's ``predict_logits`` on the beats of the ten
   records of ``bench_classify.py``, F(4, 5) everywhere against F(6, 5) on the levels
   of at least ``--min-length`` outputs (evaluation only), alternately, CPU seconds.

The kernels are compiled before timing, and one product with K = 64 warms OpenBLAS
first (thin products run 2-3 times slower in a fresh process before it; see
docs/benchmarks.md, "Issue 13, session 7").
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from fractions import Fraction

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from _common import REPO, default_mitdb
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(REPO))

from heartbeat._jit import Kernel
from heartbeat.nn import kernels as K
from heartbeat.nn import winograd as W4

LEVELS = (187, 92, 44, 20, 8)
RECORDS = ("100", "103", "105", "119", "201", "208", "213", "222", "231", "233")
BASE = (0, 1, -1, 2, -2, 1 / 2, -1 / 2)  # F(4, 5)'s finite points
CANDIDATES = {"+-3/4": (3 / 4, -3 / 4), "+-3/2": (3 / 2, -3 / 2), "+-4": (4, -4),
              "+-1/4": (1 / 4, -1 / 4)}


# ---------------------------------------------------------------- the matrices
def toom_cook(finite: tuple[float, ...], tile: int, taps: int = 5
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``BT, AT, G`` of F(`tile`, `taps`) for the `finite` points and infinity.

    ``AT[i, p] = p ** i``, ``G[p, k] = p ** k / prod_{q != p}(p - q)`` (Lavin & Gray
    2016); ``BT`` is solved from ``sum_p AT[i, p] G[p, k] BT[p, j] = [j == i + k]`` and
    checked exactly in rational arithmetic.
    """
    pts = [Fraction(p) for p in finite]
    n = len(pts) + 1
    at = [[p ** i for p in pts] + [Fraction(int(i == tile - 1))] for i in range(tile)]
    g = []
    for j, p in enumerate(pts):
        den = Fraction(1)
        for q in pts[:j] + pts[j + 1 :]:
            den *= p - q
        g.append([p ** k / den for k in range(taps)])
    g.append([Fraction(int(k == taps - 1)) for k in range(taps)])
    system = np.array([[float(at[i][p] * g[p][k]) for p in range(n)]
                       for i in range(tile) for k in range(taps)])
    bt = [[Fraction(0)] * n for _ in range(n)]
    for j in range(n):
        rhs = np.array([float(j == i + k) for i in range(tile) for k in range(taps)])
        col = np.linalg.lstsq(system, rhs, rcond=None)[0]
        for p in range(n):
            bt[p][j] = Fraction(col[p]).limit_denominator(1 << 16)
    for i in range(tile):
        for k in range(taps):
            for j in range(n):
                exact = sum(at[i][p] * g[p][k] * bt[p][j] for p in range(n))
                assert exact == (j == i + k), "the transform is not exact"

    def as_array(rows):
        return np.array([[float(x) for x in row] for row in rows])
    return as_array(bt), as_array(at), as_array(g)


BT6, AT6, G6 = toom_cook(BASE + CANDIDATES["+-3/4"], 6)  # the timed F(6, 5)


# ---------------------------------------------------------------- F(6, 5) kernels
# The entries of B^T and A^T for the points 0, +-1, +-2, +-1/2, +-3/4 (checked
# against BT6 and AT6 at start-up: check_kernels)
ZERO, K1_2, K1_4, K1_8 = np.float32(0), np.float32(1 / 2), np.float32(1 / 4), np.float32(1 / 8)
K1_16, K1_32, K2, K4 = np.float32(1 / 16), np.float32(1 / 32), np.float32(2), np.float32(4)
K8, K16, K32, K3_4 = np.float32(8), np.float32(16), np.float32(32), np.float32(3 / 4)
K9_16, K27_64, K81_256 = np.float32(9 / 16), np.float32(27 / 64), np.float32(81 / 256)
K243_1024, K9_32, K9_64 = np.float32(243 / 1024), np.float32(9 / 32), np.float32(9 / 64)
K9_8, K9_4, K21_4 = np.float32(9 / 8), np.float32(9 / 4), np.float32(21 / 4)
K63_16, K77_16, K93_16 = np.float32(63 / 16), np.float32(77 / 16), np.float32(93 / 16)
K29_8, K29_16, K61_32 = np.float32(29 / 8), np.float32(29 / 16), np.float32(61 / 32)
K61_64, K89_16, K89_32 = np.float32(61 / 64), np.float32(89 / 16), np.float32(89 / 32)
K109_16, K109_32 = np.float32(109 / 16), np.float32(109 / 32)
K217_64, K253_64, K525_64 = np.float32(217 / 64), np.float32(253 / 64), np.float32(525 / 64)


# ---------------------------------------------------------------- input: V = B^T d
def _input_transform_nb(x, pad_left, v):  # pragma: no cover - compiled by Numba
    # x (N, L, C) -> v (10, N * T, C); tile t reads samples 6t - pad_left ... + 9 of x,
    # zeros outside it.  Rows p and p + 1 (points +p, -p) are even + odd and even - odd.
    n_batch, length, n_ch = x.shape
    n_tiles = v.shape[1] // n_batch
    edge = np.zeros((10, n_ch), dtype=x.dtype)
    for n in range(n_batch):
        for t in range(n_tiles):
            s = 6 * t - pad_left
            if s >= 0 and s + 10 <= length:
                d = x[n, s : s + 10]
            else:
                edge[:] = 0.0
                lo, hi = max(s, 0), min(s + 10, length)
                if hi > lo:
                    edge[lo - s : hi - s] = x[n, lo:hi]
                d = edge
            r = n * n_tiles + t
            o0, o1, o2, o3, o4 = v[0, r], v[1, r], v[2, r], v[3, r], v[4, r]
            o5, o6, o7, o8, o9 = v[5, r], v[6, r], v[7, r], v[8, r], v[9, r]
            # two loops over the channels, five rows each: with all ten rows in one,
            # LLVM left the loop scalar (five times slower)
            for c in range(n_ch):
                d0, d1, d2, d3, d4 = d[0, c], d[1, c], d[2, c], d[3, c], d[4, c]
                d5, d6, d7, d8, d9 = d[5, c], d[6, c], d[7, c], d[8, c], d[9, c]
                even1 = d8 - K9_16 * d2 + K217_64 * d4 - K77_16 * d6
                odd1 = d7 - K9_16 * d1 + K217_64 * d3 - K77_16 * d5
                even2 = d8 - K9_64 * d2 + K61_64 * d4 - K29_16 * d6
                odd2 = K2 * d7 - K9_32 * d1 + K61_32 * d3 - K29_8 * d5
                o0[c] = K9_16 * d0 - K253_64 * d2 + K525_64 * d4 - K93_16 * d6 + d8
                o1[c], o2[c] = even1 + odd1, even1 - odd1
                o3[c], o4[c] = even2 + odd2, even2 - odd2
            for c in range(n_ch):
                d1, d2, d3, d4, d5 = d[1, c], d[2, c], d[3, c], d[4, c], d[5, c]
                d6, d7, d8, d9 = d[6, c], d[7, c], d[8, c], d[9, c]
                even3 = d8 - K9_4 * d2 + K109_16 * d4 - K89_16 * d6
                odd3 = K1_2 * d7 - K9_8 * d1 + K109_32 * d3 - K89_32 * d5
                even4 = d8 - d2 + K21_4 * (d4 - d6)
                odd4 = K3_4 * (d7 - d1) + K63_16 * (d3 - d5)
                o5[c], o6[c] = even3 + odd3, even3 - odd3
                o7[c], o8[c] = even4 + odd4, even4 - odd4
                o9[c] = K9_16 * d1 - K253_64 * d3 + K525_64 * d5 - K93_16 * d7 + d9


def _input_transform_np(x, pad_left, v):
    n_batch = x.shape[0]
    n_tiles = v.shape[1] // n_batch
    xp = K._padded(x, pad_left, 6 * n_tiles + 4)
    tiles = sliding_window_view(xp, 10, axis=1)[:, : 6 * n_tiles : 6]  # (N, T, C, 10)
    vt = np.einsum("pj,ntcj->ntpc", BT6.astype(x.dtype), tiles)  # (N, T, 10, C)
    v[...] = vt.reshape(n_batch * n_tiles, 10, -1).transpose(1, 0, 2)


# ---------------------------------------------------------------- output: y = A^T M
def _output_transform_nb(mm, b, relu, skip, out):  # pragma: no cover - compiled by Numba
    # mm (10, N * T, C) -> out (N, L_out, C) = A^T mm + b (ReLU), + skip when it has
    # rows; the last tile is cut
    n_batch, l_out, n_ch = out.shape
    n_tiles = mm.shape[1] // n_batch
    add_skip = skip.shape[0] > 0
    tail = np.empty((6, n_ch), dtype=out.dtype)  # a cut tile is written here first
    for n in range(n_batch):
        for t in range(n_tiles):
            r = n * n_tiles + t
            m0, m1, m2, m3, m4 = mm[0, r], mm[1, r], mm[2, r], mm[3, r], mm[4, r]
            m5, m6, m7, m8, m9 = mm[5, r], mm[6, r], mm[7, r], mm[8, r], mm[9, r]
            n_rows = min(6, l_out - 6 * t)
            y = out[n, 6 * t : 6 * t + 6] if n_rows == 6 else tail
            for c in range(n_ch):
                s1, d1 = m1[c] + m2[c], m1[c] - m2[c]  # points +-1
                s2, d2 = m3[c] + m4[c], m3[c] - m4[c]  # +-2
                s3, d3 = m5[c] + m6[c], m5[c] - m6[c]  # +-1/2
                s4, d4 = m7[c] + m8[c], m7[c] - m8[c]  # +-3/4
                y0 = b[c] + m0[c] + s1 + s2 + s3 + s4
                y1 = b[c] + d1 + K2 * d2 + K1_2 * d3 + K3_4 * d4
                y2 = b[c] + s1 + K4 * s2 + K1_4 * s3 + K9_16 * s4
                y3 = b[c] + d1 + K8 * d2 + K1_8 * d3 + K27_64 * d4
                y4 = b[c] + s1 + K16 * s2 + K1_16 * s3 + K81_256 * s4
                y5 = b[c] + d1 + K32 * d2 + K1_32 * d3 + K243_1024 * d4 + m9[c]
                if relu:
                    y0, y1, y2 = max(y0, ZERO), max(y1, ZERO), max(y2, ZERO)
                    y3, y4, y5 = max(y3, ZERO), max(y4, ZERO), max(y5, ZERO)
                y[0, c], y[1, c], y[2, c] = y0, y1, y2
                y[3, c], y[4, c], y[5, c] = y3, y4, y5
            if add_skip:
                for a in range(n_rows):
                    ya, sa = y[a], skip[n, 6 * t + a]
                    for c in range(n_ch):
                        ya[c] += sa[c]
            if n_rows < 6:
                out[n, 6 * t : l_out] = tail[:n_rows]


def _output_transform_np(mm, b, relu, skip, out):
    n_batch, l_out, n_ch = out.shape
    n_tiles = mm.shape[1] // n_batch
    tiles = mm.transpose(1, 0, 2).reshape(n_batch, n_tiles, 10, n_ch)  # a copy
    y = np.einsum("ap,ntpc->ntac", AT6.astype(mm.dtype), tiles)  # (N, T, 6, C)
    y = y.reshape(n_batch, 6 * n_tiles, n_ch)[:, :l_out] + b
    out[...] = np.maximum(y, 0) if relu else y
    if skip.shape[0] > 0:
        out += skip


INPUT_TRANSFORM6 = Kernel(numba_loop=_input_transform_nb, numpy_twin=_input_transform_np)
OUTPUT_TRANSFORM6 = Kernel(numba_loop=_output_transform_nb, numpy_twin=_output_transform_np)


def check_kernels() -> None:
    """Stop unless the Numba kernels equal their twins (float64, random data)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 44, 5))
    v = [np.empty((10, 3 * 8, 5)) for _ in range(2)]
    out = [np.empty((3, 44, 5)) for _ in range(2)]
    for k in range(2):
        backend = ("numba", "numpy")[k]
        INPUT_TRANSFORM6.get(backend)(x, 2, v[k])
        OUTPUT_TRANSFORM6.get(backend)(v[k], np.ones(5), True, np.empty((0, 0, 0)), out[k])
    assert np.allclose(v[0], v[1], rtol=0, atol=1e-12), "input kernel != its twin"
    assert np.allclose(out[0], out[1], rtol=0, atol=1e-12), "output kernel != its twin"


def f6_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, padding: str, relu: bool,
               backend: str, workspace: dict | None = None,
               skip: np.ndarray | None = None) -> np.ndarray:
    """F(6, 5) convolution of channels-last `x` (N, L, C_in); as W4.conv1d_forward."""
    n_batch, length, c_in = x.shape
    c_out = w.shape[0]
    l_out, pad_left = K.conv_out_length(length, 5, 1, 1, padding)
    n_tiles = -(-l_out // 6)
    u = (w.astype(np.float64).reshape(-1, 5) @ G6.T).astype(w.dtype)  # rounded once
    u = np.ascontiguousarray(u.reshape(c_out, c_in, 10).transpose(2, 1, 0))
    out = W4._buffer(workspace, "out", (n_batch, l_out, c_out), x.dtype)
    chunks = W4._chunks(n_batch, n_tiles)
    chunk_rows = (chunks[0][1] - chunks[0][0]) * n_tiles
    v_chunk = W4._buffer(workspace, "v6", (10, chunk_rows, c_in), x.dtype)
    mm_chunk = W4._buffer(workspace, "mm6", (10, chunk_rows, c_out), x.dtype)
    input_transform = INPUT_TRANSFORM6.get(backend)
    output_transform = OUTPUT_TRANSFORM6.get(backend)
    no_skip = np.empty((0, 0, 0), dtype=x.dtype)
    for n0, n1 in chunks:
        v = v_chunk[:, : (n1 - n0) * n_tiles]
        mm = mm_chunk[:, : (n1 - n0) * n_tiles]
        input_transform(x[n0:n1], pad_left, v)
        np.matmul(v, u, out=mm)
        output_transform(mm, b, relu, no_skip if skip is None else skip[n0:n1], out[n0:n1])
    return out


# ---------------------------------------------------------------- measurements
def _cpu_best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def _direct64(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    n, length, c_in = x.shape  # "same" padding
    xp = np.zeros((n, length + 4, c_in))
    xp[:, 2 : 2 + length] = x
    out = np.zeros((n, length, w.shape[0])) + b
    for k in range(5):
        out += xp[:, k : k + length] @ w[:, :, k].T.astype(np.float64)
    return out


def _matrix_conv(x, w, b, bt, at, g, tile):
    # float32 Winograd with the given matrices, einsum sums ("same" padding)
    n, length, c_in = x.shape
    points = len(bt)
    n_tiles = -(-length // tile)
    xp = np.zeros((n, tile * n_tiles + points - tile, c_in), np.float32)
    xp[:, 2 : 2 + length] = x
    tiles = sliding_window_view(xp, points, axis=1)[:, : tile * n_tiles : tile]
    v = np.einsum("pj,ntcj->ntpc", bt.astype(np.float32), tiles)
    u = (w.astype(np.float64).reshape(-1, 5) @ g.T).astype(np.float32)
    u = u.reshape(w.shape[0], c_in, points).transpose(2, 1, 0)
    mm = np.matmul(v.transpose(2, 0, 1, 3).reshape(points, -1, c_in), u)  # (P, N * T, C_out)
    mm = mm.reshape(points, n, n_tiles, -1).transpose(1, 2, 0, 3)
    y = np.einsum("ap,ntpd->ntad", at.astype(np.float32), mm)
    return y.reshape(n, tile * n_tiles, -1)[:, :length] + b


def _activations(mitdb, records) -> dict[int, list]:
    """The inputs (x, w, b) of the default model's Winograd convolutions, by length."""
    import heartbeat

    seen: dict[int, list] = {}
    inner = W4.conv1d_forward

    def spy(x, w, b, padding, relu, backend, workspace=None, keep=True, skip=None):
        calls = seen.setdefault(x.shape[1], [])
        if len(calls) < 12:  # the first batches' calls
            calls.append((x[:128].copy(), w.copy(), b.copy()))
        return inner(x, w, b, padding, relu, backend, workspace, keep, skip)

    W4.conv1d_forward = spy
    try:
        for name in records:
            rec = heartbeat.read_record(mitdb / name)
            heartbeat.classify(rec.signal[:, 0], rec.fs)
    finally:
        W4.conv1d_forward = inner
    return seen


def accuracy(mitdb, records) -> None:
    """Print part 1: the float32 error per level and point set on real activations."""
    seen = _activations(mitdb, records)
    sets = {"F(4, 5)": (W4.BT, W4.AT, W4.G, 4)}
    for name, extra in CANDIDATES.items():
        sets[f"F(6, 5) {name}"] = (*toom_cook(BASE + extra, 6), 6)
    print(f"1. largest |error| / largest |output| against float64, lead 0 of "
          f"{', '.join(records)} (the first 12 calls per level, 128 beats each)")
    print(f"{'points':>16} " + " ".join(f"{length:>8}" for length in LEVELS))
    for name, (bt, at, g, tile) in sets.items():
        row = []
        for length in LEVELS:
            worst = 0.0
            for x, w, b in seen[length]:
                want = _direct64(x, w, b)
                got = _matrix_conv(x, w, b, bt, at, g, tile)
                worst = max(worst, np.abs(got - want).max() / np.abs(want).max())
            row.append(worst)
        print(f"{name:>16} " + " ".join(f"{e:8.1e}" for e in row))


def speed_per_level(n_beats: int, repeats: int, backend: str) -> None:
    """Print part 2: one forward pass per level, F(4, 5) and F(6, 5), CPU ms."""
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((32, 32, 5)) / 12).astype(np.float32)
    b = (rng.standard_normal(32) / 10).astype(np.float32)
    print(f"2. one forward pass, {n_beats} beats, 32 -> 32 channels, ReLU, best of "
          f"{repeats}, CPU ms")
    print(f"{'length':>6} {'points F4':>9} {'points F6':>9} {'F(4,5)':>8} {'F(6,5)':>8} "
          f"{'F6/F4':>6}")
    for length in LEVELS:
        x = np.abs(rng.standard_normal((n_beats, length, 32))).astype(np.float32)
        ws4: dict = {}
        ws6: dict = {}

        def f4(x=x, ws4=ws4):
            return W4.conv1d_forward(x, w, b, "same", True, backend, ws4, keep=False)[0]

        def f6(x=x, ws6=ws6):
            return f6_forward(x, w, b, "same", True, backend, ws6)

        np.testing.assert_allclose(f6(), f4(), rtol=0, atol=1e-4)  # compiles both too
        t4 = t6 = float("inf")
        for _ in range(2):  # alternately, so that a change of load hits both
            t4 = min(t4, _cpu_best(f4, max(1, repeats // 2)))
            t6 = min(t6, _cpu_best(f6, max(1, repeats // 2)))
        print(f"{length:6d} {-(-length // 4) * 8:9d} {-(-length // 6) * 10:9d} "
              f"{1e3 * t4:8.2f} {1e3 * t6:8.2f} {t6 / t4:6.3f}")


def network(mitdb, repeats: int, min_length: int) -> None:
    """Print part 3: the default model's network on 10 records, F(4, 5) vs F(6, 5)."""
    import heartbeat
    from heartbeat.classifier.inputs import _beat_inputs

    clf = heartbeat.BeatClassifier.pretrained()
    inputs = []
    for name in RECORDS:
        rec = heartbeat.read_record(mitdb / name)
        beats = heartbeat.segment(rec.signal[:, 0], rec.fs)
        inputs.append(_beat_inputs(beats, clf._uses_rr, context=clf._context,
                                   checked=True))
    n_beats = sum(len(x) for x, _ in inputs)
    inner = W4.conv1d_forward

    def routed(x, w, b, padding, relu, backend, workspace=None, keep=True, skip=None):
        if not keep and K.conv_out_length(x.shape[1], 5, 1, 1, padding)[0] >= min_length:
            return f6_forward(x, w, b, padding, relu, backend, workspace, skip), None
        return inner(x, w, b, padding, relu, backend, workspace, keep, skip)

    runs: dict[str, list[float]] = {"F(4, 5)": [], f"F(6, 5) from {min_length}": []}
    for path in (inner, routed):  # compile and allocate
        W4.conv1d_forward = path
        clf.model_.predict_logits(*inputs[0])
    try:
        for _ in range(repeats):
            for times, path in zip(runs.values(), (inner, routed), strict=True):
                W4.conv1d_forward = path
                start = time.process_time()
                for x, rr in inputs:
                    clf.model_.predict_logits(x, rr)
                times.append(time.process_time() - start)
    finally:
        W4.conv1d_forward = inner
    print(f"3. the default model's network, {n_beats} beats of {len(RECORDS)} records, "
          "CPU s per pass, alternately")
    for label, times in runs.items():
        print(f"{label:>18}: " + " ".join(f"{t:.2f}" for t in times)
              + f"   median {np.median(times):.2f}   min {min(times):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(default_mitdb()))
    parser.add_argument("--records", nargs="+", default=["100", "203", "208"])
    parser.add_argument("--beats", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--backend", default="numba", choices=["numba", "numpy"])
    parser.add_argument("--network", action="store_true")
    parser.add_argument("--min-length", type=int, default=128)
    args = parser.parse_args()
    from pathlib import Path

    mitdb = Path(args.data_dir)
    np.ones((32, 64), np.float32) @ np.ones((64, 32), np.float32)  # warm OpenBLAS
    check_kernels()
    print(f"load {os.getloadavg()[0]:.1f}")
    accuracy(mitdb, args.records)
    speed_per_level(args.beats, args.repeats, args.backend)
    if args.network:
        network(mitdb, args.repeats, args.min_length)
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
