"""Winograd F(4, 5): a kernel-5 convolution in 8 multiplications per 4 outputs, not 20.

For a tile of 8 input samples ``d`` and a 5-tap kernel ``g``, the 4 outputs of the
cross-correlation are ``y = A^T [(G g) * (B^T d)]`` (Lavin & Gray 2016, with the
interpolation points 0, ±1, ±2, ±1/2 and infinity).  With channels, the elementwise
product becomes, for each of the 8 transform points, one matrix product over the
channels::

    V[p] = B^T-transform of the input tiles      (8, N * T, C_in)
    U[p] = (G w)[p]                              (8, C_in, C_out)
    M[p] = V[p] @ U[p]                           8 BLAS products
    y    = A^T-transform of M, + bias, ReLU      (N, L_out, C_out)

The backward pass stays in the transform domain too: ``dM = A dy`` (after the ReLU
gate), ``dU[p] = V[:, p]^T @ dM[:, p]`` gives ``dw = G^T dU``, and
``dV[:, p] = dM[:, p] @ U[p]^T`` gives ``dx = B dV``, summed where tiles overlap.  The
products then hold 2.5 times fewer multiply-adds than those of
:func:`heartbeat.nn.kernels.conv1d_forward` (patches of 5 samples), which is where a
training step of the Kachuee network spends its time.

A convolution runs in passes of about :data:`ROWS_PER_CHUNK` tiles, so that a pass's
``V`` and ``M`` stay in cache from one kernel to the next; training keeps the layer
input, not ``V``, and the backward pass transforms it again pass by pass.

The transforms are the hot loops here: Numba kernels that spell out the transform
matrices with shared sums (the ``_nb`` functions), each beside a NumPy twin that
applies the matrices themselves (``_np``), registered as the kernels
``INPUT_TRANSFORM``, ``INPUT_GRAD``, ``OUTPUT_TRANSFORM``, ``OUTPUT_POOL`` (the
output transform with the max-pool after a residual block, for evaluation) and
``OUTPUT_GRAD`` of :mod:`heartbeat._jit`; the tests hold them equal.  Every entry of
``B^T`` and ``A^T`` is a binary fraction, exact in float32, so the kernels write them
as float32 constants and float64 inputs (gradient checks) stay float64 throughout.
In exact arithmetic the result equals the direct convolution; in float32 it differs
from it by a few units in the last place of the largest terms (tested).

Used by :class:`heartbeat.nn.layers.Conv1d` for kernel size 5, stride 1, dilation 1
and at least :data:`MIN_CHANNELS` input channels (see :func:`applies`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from heartbeat._jit import Kernel
from heartbeat.nn import kernels as K

TILE = 4  # outputs per tile
KERNEL_SIZE = 5
POINTS = 8  # TILE + KERNEL_SIZE - 1 transform points (= input samples per tile)
MIN_CHANNELS = 8  # below this the products are too thin to gain

# Interpolation points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity.
BT = np.array([
    [-1, 0, 21 / 4, 0, -21 / 4, 0, 1, 0],
    [0, 1, 1, -17 / 4, -17 / 4, 1, 1, 0],
    [0, -1, 1, 17 / 4, -17 / 4, -1, 1, 0],
    [0, 1 / 2, 1 / 4, -5 / 2, -5 / 4, 2, 1, 0],
    [0, -1 / 2, 1 / 4, 5 / 2, -5 / 4, -2, 1, 0],
    [0, 2, 4, -5 / 2, -5, 1 / 2, 1, 0],
    [0, -2, 4, 5 / 2, -5, -1 / 2, 1, 0],
    [0, -1, 0, 21 / 4, 0, -21 / 4, 0, 1],
])  # (8, 8): input tile -> transform points
AT = np.array([
    [1, 1, 1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 1 / 2, -1 / 2, 0],
    [0, 1, 1, 4, 4, 1 / 4, 1 / 4, 0],
    [0, 1, -1, 8, -8, 1 / 8, -1 / 8, 1],
])  # (4, 8): transform points -> output tile
_FINITE = np.array([0, 1, -1, 2, -2, 1 / 2, -1 / 2])
# G[p, k] = point_p ** k / prod_{q != p}(point_p - point_q); the last row is infinity's
G = np.vstack([
    _FINITE[:, None] ** np.arange(KERNEL_SIZE)
    / np.array([np.prod(p - np.delete(_FINITE, i)) for i, p in enumerate(_FINITE)])[:, None],
    np.eye(KERNEL_SIZE)[-1],
])  # (8, 5): kernel -> transform points


# The entries of B^T and A^T as float32 constants for the Numba kernels (Numba freezes
# module globals): float32 arithmetic on float32 data, exact values on float64 data.
ZERO, K1_8, K1_4, K1_2 = np.float32(0), np.float32(1 / 8), np.float32(1 / 4), np.float32(1 / 2)
K5_4, K2, K5_2, K4 = np.float32(5 / 4), np.float32(2), np.float32(5 / 2), np.float32(4)
K17_4, K5, K21_4, K8 = np.float32(17 / 4), np.float32(5), np.float32(21 / 4), np.float32(8)


def applies(kernel_size: int, stride: int, dilation: int, in_channels: int) -> bool:
    """Return True when a convolution with these settings runs through Winograd F(4, 5)."""
    return (kernel_size == KERNEL_SIZE and stride == 1 and dilation == 1
            and in_channels >= MIN_CHANNELS)


class Cache(NamedTuple):
    """What :func:`conv1d_backward` needs from :func:`conv1d_forward`."""

    x: np.ndarray  # (N, L, C_in) the input: its transform is recomputed chunk by chunk
    u: np.ndarray  # (8, C_in, C_out) transformed kernel
    pad_left: int


# The forward pass stores the transform domain point-major, (8, N * T, C): each point's
# plane is one contiguous matrix, which OpenBLAS multiplies faster than the strided
# planes of a tile-major (N * T, 8, C) array (benchmarks/bench_winograd_products.py),
# and the transforms take each point's row of a tile as its own 1-D slice, so writing
# 8 planes costs them nothing measurable.
# The backward kernels (A dy, B dV) keep the tile-major order: BLAS takes those planes
# as strided matrices.

# ---------------------------------------------------------------- input: V = B^T d
def _input_transform_nb(x, pad_left, v):  # pragma: no cover - compiled by Numba
    # x (N, L, C) -> v (8, N * T, C); tile t reads samples 4t - pad_left ... + 7 of x,
    # zeros outside it (the edge tiles go through a small zero-padded copy)
    n_batch, length, n_ch = x.shape
    n_tiles = v.shape[1] // n_batch
    edge = np.zeros((8, n_ch), dtype=x.dtype)
    for n in range(n_batch):
        for t in range(n_tiles):
            s = 4 * t - pad_left
            if s >= 0 and s + 8 <= length:
                d = x[n, s : s + 8]
            else:
                edge[:] = 0.0
                # element by element: a slice assignment makes Numba compile its
                # shape-mismatch message (string formatting), seconds of a first run
                for q in range(max(s, 0), min(s + 8, length)):
                    for c in range(n_ch):
                        edge[q - s, c] = x[n, q, c]
                d = edge
            r = n * n_tiles + t
            o0, o1, o2, o3 = v[0, r], v[1, r], v[2, r], v[3, r]
            o4, o5, o6, o7 = v[4, r], v[5, r], v[6, r], v[7, r]
            for c in range(n_ch):
                d0, d1, d2, d3 = d[0, c], d[1, c], d[2, c], d[3, c]
                d4, d5, d6, d7 = d[4, c], d[5, c], d[6, c], d[7, c]
                even1, odd1 = d2 + d6 - K17_4 * d4, d1 + d5 - K17_4 * d3
                even2, odd2 = K1_4 * d2 - K5_4 * d4 + d6, K1_2 * d1 - K5_2 * d3 + K2 * d5
                even3, odd3 = K4 * d2 - K5 * d4 + d6, K2 * d1 - K5_2 * d3 + K1_2 * d5
                o0[c] = d6 - d0 + K21_4 * (d2 - d4)
                o1[c] = even1 + odd1
                o2[c] = even1 - odd1
                o3[c] = even2 + odd2
                o4[c] = even2 - odd2
                o5[c] = even3 + odd3
                o6[c] = even3 - odd3
                o7[c] = d7 - d1 + K21_4 * (d3 - d5)


def _input_transform_np(x, pad_left, v):
    n_batch = x.shape[0]
    n_tiles = v.shape[1] // n_batch
    xp = K._padded(x, pad_left, TILE * n_tiles + POINTS - TILE)
    tiles = sliding_window_view(xp, POINTS, axis=1)[:, : TILE * n_tiles : TILE]  # (N, T, C, 8)
    # the einsum in tile-major order, then copied point-major: the same sums, bit for
    # bit, as the exported file's transform
    vt = np.einsum("pj,ntcj->ntpc", BT.astype(x.dtype), tiles)  # (N, T, 8, C)
    v[...] = vt.reshape(n_batch * n_tiles, POINTS, -1).transpose(1, 0, 2)


# ---------------------------------------------------------------- input gradient: B dV
def _input_grad_nb(dv, pad_left, dx):  # pragma: no cover - compiled by Numba
    # dv (N * T, 8, C) -> dx (N, L, C).  Tiles overlap by 4 samples: padded sample
    # 4 t + a (a < 4) sums row a of tile t's B dV and row a + 4 of tile t - 1's, so
    # each sample is written once, with no zeroing and no read-modify-write.
    n_batch, length, n_ch = dx.shape
    n_tiles = dv.shape[0] // n_batch
    lo = np.zeros((4, n_ch), dtype=dx.dtype)  # rows 0-3 of tile t
    hi = np.zeros((2, 4, n_ch), dtype=dx.dtype)  # rows 4-7 of tiles t - 1 and t
    for n in range(n_batch):
        hi[:] = 0.0
        for t in range(n_tiles + 1):
            new, old = hi[t % 2], hi[(t + 1) % 2]
            if t < n_tiles:
                g = dv[n * n_tiles + t]
                for c in range(n_ch):
                    g0, g7 = g[0, c], g[7, c]
                    s12, d12 = g[1, c] + g[2, c], g[1, c] - g[2, c]
                    s34, d34 = g[3, c] + g[4, c], g[3, c] - g[4, c]
                    s56, d56 = g[5, c] + g[6, c], g[5, c] - g[6, c]
                    lo[0, c] = -g0
                    lo[1, c] = d12 + K1_2 * d34 + K2 * d56 - g7
                    lo[2, c] = K21_4 * g0 + s12 + K1_4 * s34 + K4 * s56
                    lo[3, c] = K21_4 * g7 - K17_4 * d12 - K5_2 * (d34 + d56)
                    new[0, c] = -(K21_4 * g0 + K17_4 * s12 + K5_4 * s34 + K5 * s56)
                    new[1, c] = d12 + K2 * d34 + K1_2 * d56 - K21_4 * g7
                    new[2, c] = g0 + s12 + s34 + s56
                    new[3, c] = g7
            else:
                lo[:] = 0.0
            for a in range(4):
                j = 4 * t + a - pad_left
                if 0 <= j < length:
                    row = dx[n, j]
                    for c in range(n_ch):
                        row[c] = lo[a, c] + old[a, c]


def _input_grad_np(dv, pad_left, dx):
    n_batch, length, n_ch = dx.shape
    n_tiles = dv.shape[0] // n_batch
    dtiles = np.einsum("pj,ntpc->jntc", BT.astype(dv.dtype),
                       dv.reshape(n_batch, n_tiles, POINTS, n_ch))  # (8, N, T, C)
    dxp = np.zeros((n_batch, TILE * n_tiles + POINTS - TILE, n_ch), dtype=dv.dtype)
    for j in range(POINTS):
        dxp[:, j : j + TILE * n_tiles : TILE] += dtiles[j]
    dx[...] = dxp[:, pad_left : pad_left + length]


# ---------------------------------------------------------------- output: y = A^T M
def _tile_rows(mm, r, b, relu, y):  # pragma: no cover - inlined into the kernels
    # tile r of mm (8, N * T, C) -> its 4 output rows y (4, C) = A^T m + b (ReLU'd)
    m0, m1, m2, m3 = mm[0, r], mm[1, r], mm[2, r], mm[3, r]
    m4, m5, m6, m7 = mm[4, r], mm[5, r], mm[6, r], mm[7, r]
    for c in range(y.shape[1]):
        s12, d12 = m1[c] + m2[c], m1[c] - m2[c]
        s34, d34 = m3[c] + m4[c], m3[c] - m4[c]
        s56, d56 = m5[c] + m6[c], m5[c] - m6[c]
        y0 = b[c] + m0[c] + s12 + s34 + s56
        y1 = b[c] + d12 + K2 * d34 + K1_2 * d56
        y2 = b[c] + s12 + K4 * s34 + K1_4 * s56
        y3 = b[c] + d12 + K8 * d34 + K1_8 * d56 + m7[c]
        if relu:
            y0, y1 = max(y0, ZERO), max(y1, ZERO)
            y2, y3 = max(y2, ZERO), max(y3, ZERO)
        y[0, c], y[1, c], y[2, c], y[3, c] = y0, y1, y2, y3


def _add_rows(y, skip):  # pragma: no cover - inlined into the kernels
    # y[a] += skip[a] for the rows of skip (a tile's rows, the last tile's may be fewer)
    for a in range(skip.shape[0]):
        ya, sa = y[a], skip[a]
        for c in range(ya.shape[0]):
            ya[c] += sa[c]


def _output_transform_nb(mm, b, relu, skip, out):  # pragma: no cover - compiled by Numba
    # mm (8, N * T, C) -> out (N, L_out, C) = A^T mm + b (ReLU), + skip when it has
    # rows (the residual sum fused: one pass over the output, not two); the last tile
    # is cut
    n_batch, l_out, n_ch = out.shape
    n_tiles = mm.shape[1] // n_batch
    add_skip = skip.shape[0] > 0
    tail = np.empty((4, n_ch), dtype=out.dtype)  # a cut tile is written here first
    for n in range(n_batch):
        for t in range(n_tiles):
            n_rows = min(4, l_out - 4 * t)
            y = out[n, 4 * t : 4 * t + 4] if n_rows == 4 else tail
            _tile_rows(mm, n * n_tiles + t, b, relu, y)
            if add_skip:
                _add_rows(y, skip[n, 4 * t : 4 * t + n_rows])
            if n_rows < 4:  # element by element, as the input transform's edge tiles
                for q in range(n_rows):
                    for c in range(n_ch):
                        out[n, 4 * t + q, c] = tail[q, c]


def _output_transform_np(mm, b, relu, skip, out):
    n_batch, l_out, n_ch = out.shape
    n_tiles = mm.shape[1] // n_batch
    tiles = mm.transpose(1, 0, 2).reshape(n_batch, n_tiles, POINTS, n_ch)  # a copy
    y = np.einsum("ap,ntpc->ntac", AT.astype(mm.dtype), tiles)  # (N, T, 4, C)
    y = y.reshape(n_batch, TILE * n_tiles, n_ch)[:, :l_out] + b
    out[...] = np.maximum(y, 0) if relu else y
    if skip.shape[0] > 0:
        out += skip


# ------------------------------------------- output with the block's ReLU and max-pool
def _output_pool_nb(mm, b, skip, pool, stride, l_out, out):  # pragma: no cover - Numba
    # mm (8, N * T, C) -> out (N, L_pool, C) = ReLU(max-pool(A^T mm + b + skip)) over
    # windows of `pool` rows every `stride`: a residual block's last convolution (no
    # ReLU of its own), the ReLU after the block and its max-pool in one pass.  Each
    # beat's L_out rows go to a scratch that stays in cache instead of to memory and
    # back; they are the rows _output_transform_nb writes, bit for bit, and a maximum
    # is exact, so the result is that of the three steps one after another.
    n_batch, l_pool, n_ch = out.shape
    n_tiles = mm.shape[1] // n_batch
    add_skip = skip.shape[0] > 0
    y = np.empty((4 * n_tiles, n_ch), dtype=out.dtype)  # one beat's output rows
    maxima = np.empty((2, 4 * n_tiles * n_ch), dtype=out.dtype)
    for n in range(n_batch):
        for t in range(n_tiles):
            yt = y[4 * t : 4 * t + 4]  # a 2-D view: written row by row in one loop
            _tile_rows(mm, n * n_tiles + t, b, False, yt)
            if add_skip:  # while the tile is in registers' reach, as the plain kernel
                _add_rows(yt, skip[n, 4 * t : min(4 * t + 4, l_out)])
        # the pool as _maxpool_values_nb takes it: running maxima over the flattened
        # rows, doubling the window, each loop over 1-D slices (so that it vectorises)
        src, width, which = y.ravel(), 1, 0
        while 2 * width <= pool:
            total = (l_out - 2 * width + 1) * n_ch
            a, b2 = src[:total], src[width * n_ch : width * n_ch + total]
            dst = maxima[which]
            for j in range(total):
                dst[j] = a[j] if a[j] > b2[j] else b2[j]
            src, width, which = dst, 2 * width, 1 - which
        shift = (pool - width) * n_ch  # window = [j, j + width) + [j + shift, ...)
        for i in range(l_pool):
            base = i * stride * n_ch
            p, q = src[base : base + n_ch], src[base + shift : base + shift + n_ch]
            o = out[n, i]
            for c in range(n_ch):
                v = p[c] if p[c] > q[c] else q[c]
                o[c] = v if v > ZERO else ZERO


def _output_pool_np(mm, b, skip, pool, stride, l_out, out):
    # the two twins one after the other, as the layers run them unfused
    full = np.empty((out.shape[0], l_out, out.shape[2]), dtype=out.dtype)
    _output_transform_np(mm, b, False, skip, full)
    K._maxpool_values_np(full, pool, stride, True, out)


# ---------------------------------------------------------------- output gradient: A dy
def _output_grad_nb(dout, gate, relu, dmm):  # pragma: no cover - compiled by Numba
    # dout (N, L_out, C), ReLU gate = output > 0 -> dmm (N * T, 8, C)
    n_batch, l_out, n_ch = dout.shape
    n_tiles = dmm.shape[0] // n_batch
    g = np.zeros((4, n_ch), dtype=dout.dtype)  # the gated dy of one tile
    for n in range(n_batch):
        for t in range(n_tiles):
            s = 4 * t
            n_rows = min(4, l_out - s)
            if n_rows == 4 and not relu:
                gt = dout[n, s : s + 4]
            else:
                for a in range(n_rows):  # rows past L_out (a cut last tile) stay 0
                    dy, on, ga = dout[n, s + a], gate[n, s + a], g[a]
                    for c in range(n_ch):
                        ga[c] = dy[c] if not relu or on[c] > ZERO else ZERO
                for a in range(n_rows, 4):
                    g[a] = 0.0
                gt = g
            dm = dmm[n * n_tiles + t]
            for c in range(n_ch):
                g0, g1, g2, g3 = gt[0, c], gt[1, c], gt[2, c], gt[3, c]
                e1, o1 = g0 + g2, g1 + g3
                e2, o2 = g0 + K4 * g2, K2 * g1 + K8 * g3
                e3, o3 = g0 + K1_4 * g2, K1_2 * g1 + K1_8 * g3
                dm[0, c] = g0
                dm[1, c] = e1 + o1
                dm[2, c] = e1 - o1
                dm[3, c] = e2 + o2
                dm[4, c] = e2 - o2
                dm[5, c] = e3 + o3
                dm[6, c] = e3 - o3
                dm[7, c] = g3


def _output_grad_np(dout, gate, relu, dmm):
    n_batch, l_out, n_ch = dout.shape
    n_tiles = dmm.shape[0] // n_batch
    g = np.zeros((n_batch, TILE * n_tiles, n_ch), dtype=dout.dtype)
    g[:, :l_out] = np.where(gate > 0, dout, 0) if relu else dout
    tiles = g.reshape(n_batch, n_tiles, TILE, n_ch)
    dmm[...] = np.einsum("ap,ntac->ntpc", AT.astype(dout.dtype), tiles).reshape(dmm.shape)


# ---------------------------------------------------------------- the kernel table
INPUT_TRANSFORM = Kernel(numba_loop=_input_transform_nb, numpy_twin=_input_transform_np)
INPUT_GRAD = Kernel(numba_loop=_input_grad_nb, numpy_twin=_input_grad_np)
OUTPUT_TRANSFORM = Kernel(numba_loop=_output_transform_nb, numpy_twin=_output_transform_np,
                          helpers=(_tile_rows, _add_rows))
OUTPUT_POOL = Kernel(numba_loop=_output_pool_nb, numpy_twin=_output_pool_np,
                     helpers=(_tile_rows, _add_rows))
OUTPUT_GRAD = Kernel(numba_loop=_output_grad_nb, numpy_twin=_output_grad_np)


# ---------------------------------------------------------------- convolution
ROWS_PER_CHUNK = 512  # tiles per pass: a chunk's V and M stay in cache between kernels


def _chunks(n_batch: int, n_tiles: int) -> list[tuple[int, int]]:
    # Beats [n0, n1) per pass, about ROWS_PER_CHUNK tiles each.  On the whole batch at
    # once, BLAS read each strided plane of V from memory: 2x slower at 128 beats.
    step = max(1, ROWS_PER_CHUNK // n_tiles)
    return [(n0, min(n0 + step, n_batch)) for n0 in range(0, n_batch, step)]


def _buffer(workspace: dict | None, key: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    # An uninitialised array, kept in `workspace` and handed out again while the
    # shape and dtype stay the same: fresh multi-megabyte arrays cost page faults on
    # first touch that took as long as the transforms themselves.
    if workspace is None:
        return np.empty(shape, dtype=dtype)
    buf = workspace.get(key)
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        buf = workspace[key] = np.empty(shape, dtype=dtype)
    return buf


def _first_rows(buf: np.ndarray, rows: int) -> np.ndarray:
    # (P, rows, C) at the start of `buf` (P, R, C), C-contiguous, not buf[:, :rows]: the
    # kernels then always get one layout, and Numba compiles each once, not twice
    points, _, width = buf.shape
    return buf.reshape(-1)[: points * rows * width].reshape(points, rows, width)


def _kernel_transform(w: np.ndarray) -> np.ndarray:
    """``U = G w``: (C_out, C_in, 5) weights -> (8, C_in, C_out), C-contiguous.

    One matrix product (5 times faster than the einsum); contiguous because np.matmul
    hands only contiguous stacks to BLAS.
    """
    c_out, c_in, _ = w.shape
    u = w.reshape(-1, KERNEL_SIZE) @ G.T.astype(w.dtype)  # (C_out * C_in, 8)
    return np.ascontiguousarray(u.reshape(c_out, c_in, POINTS).transpose(2, 1, 0))


def conv1d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, padding: str, relu: bool,
                   backend: str, workspace: dict | None = None,
                   keep: bool = True, skip: np.ndarray | None = None,
                   pool: tuple[int, int] | None = None) -> tuple[np.ndarray, Cache | None]:
    """Convolve channels-last `x` (N, L, C_in) with `w` (C_out, C_in, 5), add `b`.

    Same arguments and output (N, L_out, C_out) as
    :func:`heartbeat.nn.kernels.conv1d_forward` with stride 1 and dilation 1, the ReLU
    fused when `relu`; the cache feeds :func:`conv1d_backward` (None unless `keep`).
    A `skip` (N, L_out, C_out), the input of a residual block, is added to the output
    (after the ReLU) in the same pass, with the same float32 sums as adding it after.
    The cache holds `x` itself, which must not change before the backward pass.  With
    a `workspace` dict (one per layer), the output lives in an array reused by the
    next call of the same shape: it is valid until then.  A `pool` ``(kernel_size,
    stride)`` returns ``ReLU(max-pool(output))`` instead, (N, L_pool, C_out), in the
    same pass (kernel ``OUTPUT_POOL``; evaluation only: no cache, and `relu` must be
    False, the ReLU being the pool's).
    """
    n_batch, length, c_in = x.shape
    c_out = w.shape[0]
    l_out, pad_left = K.conv_out_length(length, KERNEL_SIZE, 1, 1, padding)
    n_tiles = -(-l_out // TILE)
    u = _kernel_transform(w)
    if pool is None:
        out = _buffer(workspace, "out", (n_batch, l_out, c_out), x.dtype)
    else:
        l_pool = (l_out - pool[0]) // pool[1] + 1
        out = _buffer(workspace, "pooled", (n_batch, l_pool, c_out), x.dtype)
        output_pool = OUTPUT_POOL.get(backend)
    chunks = _chunks(n_batch, n_tiles)
    chunk_rows = (chunks[0][1] - chunks[0][0]) * n_tiles
    v_chunk = _buffer(workspace, "v", (POINTS, chunk_rows, c_in), x.dtype)
    mm_chunk = _buffer(workspace, "mm", (POINTS, chunk_rows, c_out), x.dtype)
    input_transform = INPUT_TRANSFORM.get(backend)
    output_transform = OUTPUT_TRANSFORM.get(backend)
    no_skip = np.empty((0, 0, 0), dtype=x.dtype)  # the kernels' "no skip"
    for n0, n1 in chunks:
        v = _first_rows(v_chunk, (n1 - n0) * n_tiles)
        mm = _first_rows(mm_chunk, (n1 - n0) * n_tiles)
        input_transform(x[n0:n1], pad_left, v)
        np.matmul(v, u, out=mm)
        residual = no_skip if skip is None else skip[n0:n1]
        if pool is None:
            output_transform(mm, b, relu, residual, out[n0:n1])
        else:
            output_pool(mm, b, residual, pool[0], pool[1], l_out, out[n0:n1])
    if pool is not None:
        return out, None
    return out, (Cache(x, u, pad_left) if keep else None)


def conv1d_backward(dout: np.ndarray, out: np.ndarray | None, cache: Cache, backend: str,
                    need_dx: bool = True, workspace: dict | None = None
                    ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv1d_forward`: ``dx`` (N, L, C_in), ``dw``, ``db``.

    `dout` is channels-last (N, L_out, C_out); `out` is the forward output when the
    ReLU was fused (its gate), else None.  ``dx`` is None when `need_dx` is False;
    with a `workspace` it is valid until the next call of the same shape.
    """
    x, u, pad_left = cache
    n_batch, length, c_in = x.shape
    c_out = dout.shape[2]
    n_tiles = -(-dout.shape[1] // TILE)
    chunks = _chunks(n_batch, n_tiles)
    chunk_rows = (chunks[0][1] - chunks[0][0]) * n_tiles
    v_chunk = _buffer(workspace, "v", (POINTS, chunk_rows, c_in), dout.dtype)
    dmm_chunk = _buffer(workspace, "dmm", (chunk_rows, POINTS, c_out), dout.dtype)
    dv_chunk = _buffer(workspace, "dv", (chunk_rows, POINTS, c_in), dout.dtype)
    dx = _buffer(workspace, "dx", (n_batch, length, c_in), dout.dtype) if need_dx else None
    du = np.zeros((POINTS, c_in, c_out), dtype=dout.dtype)
    db = np.zeros(c_out, dtype=dout.dtype)
    relu = out is not None
    gate = out if relu else dout
    input_transform = INPUT_TRANSFORM.get(backend)
    output_grad = OUTPUT_GRAD.get(backend)
    input_grad = INPUT_GRAD.get(backend)
    for n0, n1 in chunks:
        rows = (n1 - n0) * n_tiles
        v, dmm, dv = _first_rows(v_chunk, rows), dmm_chunk[:rows], dv_chunk[:rows]
        # V again, from the input: cheaper than keeping it (2x the input) in memory
        # and reading it back from there
        input_transform(x[n0:n1], pad_left, v)
        output_grad(dout[n0:n1], gate[n0:n1], relu, dmm)
        db += dmm[:, 1].sum(axis=0)  # row 1 of A dy is the tile's sum of dy
        dmm_p = dmm.transpose(1, 0, 2)  # (8, rows, C_out), strided planes
        du += np.matmul(v.transpose(0, 2, 1), dmm_p)  # (8, C_in, C_out)
        if need_dx:
            np.matmul(dmm_p, u.transpose(0, 2, 1), out=dv.transpose(1, 0, 2))
            input_grad(dv, pad_left, dx[n0:n1])
    # dw = G^T dU as one matrix product (5 times faster than the einsum)
    dw = (G.T.astype(du.dtype) @ du.reshape(POINTS, -1)).reshape(
        KERNEL_SIZE, c_in, c_out).transpose(2, 1, 0)
    return dx, dw, db
