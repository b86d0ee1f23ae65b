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
gate), ``dU[p] = V[p]^T @ dM[p]`` gives ``dw = G^T dU``, and ``dV[p] = dM[p] @ U[p]^T``
gives ``dx = B dV``, summed where tiles overlap.  The products then hold 2.5 times fewer
multiply-adds than those of :func:`heartbeat.nn.kernels.conv1d_forward` (patches of 5
samples), which is where a training step of the Kachuee network spends its time.

The transforms are the hot loops here: Numba kernels that spell out the transform
matrices with shared sums (the ``_nb`` functions), each beside a NumPy twin that
applies the matrices themselves (``_np``); the tests hold them equal.  Every entry of
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

    v: np.ndarray  # (8, N * T, C_in) transformed input tiles
    u: np.ndarray  # (8, C_in, C_out) transformed kernel
    length: int  # input length L
    pad_left: int


# ---------------------------------------------------------------- input: V = B^T d
def _input_transform_nb(xp, v):  # pragma: no cover - compiled by Numba
    # xp (N, 4 T + 4, C) zero-padded input -> v (8, N * T, C); tile t reads xp[4t:4t+8]
    n_batch, _, n_ch = xp.shape
    n_tiles = v.shape[1] // n_batch
    for n in range(n_batch):
        for t in range(n_tiles):
            row = n * n_tiles + t
            s = 4 * t
            for c in range(n_ch):
                d0, d1, d2, d3 = xp[n, s, c], xp[n, s + 1, c], xp[n, s + 2, c], xp[n, s + 3, c]
                d4, d5, d6, d7 = xp[n, s + 4, c], xp[n, s + 5, c], xp[n, s + 6, c], xp[n, s + 7, c]
                even1, odd1 = d2 + d6 - K17_4 * d4, d1 + d5 - K17_4 * d3
                even2, odd2 = K1_4 * d2 - K5_4 * d4 + d6, K1_2 * d1 - K5_2 * d3 + K2 * d5
                even3, odd3 = K4 * d2 - K5 * d4 + d6, K2 * d1 - K5_2 * d3 + K1_2 * d5
                v[0, row, c] = d6 - d0 + K21_4 * (d2 - d4)
                v[1, row, c] = even1 + odd1
                v[2, row, c] = even1 - odd1
                v[3, row, c] = even2 + odd2
                v[4, row, c] = even2 - odd2
                v[5, row, c] = even3 + odd3
                v[6, row, c] = even3 - odd3
                v[7, row, c] = d7 - d1 + K21_4 * (d3 - d5)


def _input_transform_np(xp, v):
    n_batch = xp.shape[0]
    n_tiles = v.shape[1] // n_batch
    tiles = sliding_window_view(xp, POINTS, axis=1)[:, : TILE * n_tiles : TILE]  # (N, T, C, 8)
    v[...] = np.einsum("pj,ntcj->pntc", BT.astype(xp.dtype), tiles).reshape(v.shape)


# ---------------------------------------------------------------- input gradient: B dV
def _input_grad_nb(dv, dxp):  # pragma: no cover - compiled by Numba
    # dv (8, N * T, C) -> dxp (N, 4 T + 4, C); overlapping tiles add up
    n_batch, _, n_ch = dxp.shape
    n_tiles = dv.shape[1] // n_batch
    for n in range(n_batch):
        dxp[n] = 0.0
        for t in range(n_tiles):
            row = n * n_tiles + t
            s = 4 * t
            for c in range(n_ch):
                g0, g7 = dv[0, row, c], dv[7, row, c]
                s12, d12 = dv[1, row, c] + dv[2, row, c], dv[1, row, c] - dv[2, row, c]
                s34, d34 = dv[3, row, c] + dv[4, row, c], dv[3, row, c] - dv[4, row, c]
                s56, d56 = dv[5, row, c] + dv[6, row, c], dv[5, row, c] - dv[6, row, c]
                dxp[n, s, c] -= g0
                dxp[n, s + 1, c] += d12 + K1_2 * d34 + K2 * d56 - g7
                dxp[n, s + 2, c] += K21_4 * g0 + s12 + K1_4 * s34 + K4 * s56
                dxp[n, s + 3, c] += K21_4 * g7 - K17_4 * d12 - K5_2 * (d34 + d56)
                dxp[n, s + 4, c] -= K21_4 * g0 + K17_4 * s12 + K5_4 * s34 + K5 * s56
                dxp[n, s + 5, c] += d12 + K2 * d34 + K1_2 * d56 - K21_4 * g7
                dxp[n, s + 6, c] += g0 + s12 + s34 + s56
                dxp[n, s + 7, c] += g7


def _input_grad_np(dv, dxp):
    n_batch, _, n_ch = dxp.shape
    n_tiles = dv.shape[1] // n_batch
    dtiles = np.einsum("pj,pntc->jntc", BT.astype(dv.dtype),
                       dv.reshape(POINTS, n_batch, n_tiles, n_ch))  # (8, N, T, C)
    dxp[...] = 0.0
    for j in range(POINTS):
        dxp[:, j : j + TILE * n_tiles : TILE] += dtiles[j]


# ---------------------------------------------------------------- output: y = A^T M
def _output_transform_nb(mm, b, relu, out):  # pragma: no cover - compiled by Numba
    # mm (8, N * T, C) -> out (N, L_out, C) = A^T mm + b (ReLU); the last tile is cut
    n_batch, l_out, n_ch = out.shape
    n_tiles = mm.shape[1] // n_batch
    tail = np.empty((4, n_ch), dtype=out.dtype)  # a cut tile is written here first
    for n in range(n_batch):
        for t in range(n_tiles):
            row = n * n_tiles + t
            n_rows = min(4, l_out - 4 * t)
            y, s = (out[n], 4 * t) if n_rows == 4 else (tail, 0)
            for c in range(n_ch):
                s12, d12 = mm[1, row, c] + mm[2, row, c], mm[1, row, c] - mm[2, row, c]
                s34, d34 = mm[3, row, c] + mm[4, row, c], mm[3, row, c] - mm[4, row, c]
                s56, d56 = mm[5, row, c] + mm[6, row, c], mm[5, row, c] - mm[6, row, c]
                y[s, c] = b[c] + mm[0, row, c] + s12 + s34 + s56
                y[s + 1, c] = b[c] + d12 + K2 * d34 + K1_2 * d56
                y[s + 2, c] = b[c] + s12 + K4 * s34 + K1_4 * s56
                y[s + 3, c] = b[c] + d12 + K8 * d34 + K1_8 * d56 + mm[7, row, c]
                if relu:
                    for a in range(s, s + 4):
                        y[a, c] = y[a, c] if y[a, c] > ZERO else ZERO
            if n_rows < 4:
                out[n, 4 * t : l_out] = tail[:n_rows]


def _output_transform_np(mm, b, relu, out):
    n_batch, l_out, n_ch = out.shape
    n_tiles = mm.shape[1] // n_batch
    y = np.einsum("ap,pntc->ntac", AT.astype(mm.dtype),
                  mm.reshape(POINTS, n_batch, n_tiles, n_ch))  # (N, T, 4, C)
    y = y.reshape(n_batch, TILE * n_tiles, n_ch)[:, :l_out] + b
    out[...] = np.maximum(y, 0) if relu else y


# ---------------------------------------------------------------- output gradient: A dy
def _output_grad_nb(dout, gate, relu, dmm, db):  # pragma: no cover - compiled by Numba
    # dout (N, L_out, C), ReLU gate = output > 0 -> dmm (8, N * T, C); db = sum of dy
    n_batch, l_out, n_ch = dout.shape
    n_tiles = dmm.shape[1] // n_batch
    g = np.zeros(4, dtype=dout.dtype)  # the cut last tile
    db[:] = 0.0
    for n in range(n_batch):
        for t in range(n_tiles):
            row = n * n_tiles + t
            s = 4 * t
            n_rows = min(4, l_out - s)
            for c in range(n_ch):
                if n_rows == 4:
                    g0, g1 = dout[n, s, c], dout[n, s + 1, c]
                    g2, g3 = dout[n, s + 2, c], dout[n, s + 3, c]
                    if relu:
                        g0 = g0 if gate[n, s, c] > ZERO else ZERO
                        g1 = g1 if gate[n, s + 1, c] > ZERO else ZERO
                        g2 = g2 if gate[n, s + 2, c] > ZERO else ZERO
                        g3 = g3 if gate[n, s + 3, c] > ZERO else ZERO
                else:  # the cut last tile: rows past L_out have no gradient
                    g[:] = 0.0
                    for a in range(n_rows):
                        if not relu or gate[n, s + a, c] > ZERO:
                            g[a] = dout[n, s + a, c]
                    g0, g1, g2, g3 = g[0], g[1], g[2], g[3]
                db[c] += g0 + g1 + g2 + g3
                e1, o1 = g0 + g2, g1 + g3
                e2, o2 = g0 + K4 * g2, K2 * g1 + K8 * g3
                e3, o3 = g0 + K1_4 * g2, K1_2 * g1 + K1_8 * g3
                dmm[0, row, c] = g0
                dmm[1, row, c] = e1 + o1
                dmm[2, row, c] = e1 - o1
                dmm[3, row, c] = e2 + o2
                dmm[4, row, c] = e2 - o2
                dmm[5, row, c] = e3 + o3
                dmm[6, row, c] = e3 - o3
                dmm[7, row, c] = g3


def _output_grad_np(dout, gate, relu, dmm, db):
    n_batch, l_out, n_ch = dout.shape
    n_tiles = dmm.shape[1] // n_batch
    g = np.zeros((n_batch, TILE * n_tiles, n_ch), dtype=dout.dtype)
    g[:, :l_out] = np.where(gate > 0, dout, 0) if relu else dout
    db[...] = g.sum(axis=(0, 1))
    tiles = g.reshape(n_batch, n_tiles, TILE, n_ch)
    dmm[...] = np.einsum("ap,ntac->pntc", AT.astype(dout.dtype), tiles).reshape(dmm.shape)


# ---------------------------------------------------------------- convolution
def conv1d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, padding: str, relu: bool,
                   backend: str) -> tuple[np.ndarray, Cache]:
    """Convolve channels-last `x` (N, L, C_in) with `w` (C_out, C_in, 5), add `b`.

    Same arguments and output (N, L_out, C_out) as
    :func:`heartbeat.nn.kernels.conv1d_forward` with stride 1 and dilation 1, the ReLU
    fused when `relu`; the cache feeds :func:`conv1d_backward`.
    """
    n_batch, length, c_in = x.shape
    l_out, pad_left = K.conv_out_length(length, KERNEL_SIZE, 1, 1, padding)
    n_tiles = -(-l_out // TILE)
    xp = np.empty((n_batch, TILE * n_tiles + POINTS - TILE, c_in), dtype=x.dtype)
    xp[:, :pad_left] = 0  # zero only the padding: x fills the rest
    xp[:, pad_left : pad_left + length] = x
    xp[:, pad_left + length :] = 0
    v = np.empty((POINTS, n_batch * n_tiles, c_in), dtype=x.dtype)
    K.kernel("input_transform", backend, globals())(xp, v)
    # (8, C_in, C_out), C-contiguous: np.matmul only hands contiguous stacks to BLAS
    u = np.ascontiguousarray(np.einsum("pk,oik->pio", G.astype(w.dtype), w))
    mm = np.matmul(v, u)  # (8, N * T, C_out)
    out = np.empty((n_batch, l_out, w.shape[0]), dtype=x.dtype)
    K.kernel("output_transform", backend, globals())(mm, b, relu, out)
    return out, Cache(v, u, length, pad_left)


def conv1d_backward(dout: np.ndarray, out: np.ndarray | None, cache: Cache, backend: str,
                    need_dx: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv1d_forward`: ``dx`` (N, L, C_in), ``dw``, ``db``.

    `dout` is channels-last (N, L_out, C_out); `out` is the forward output when the
    ReLU was fused (its gate), else None.  ``dx`` is None when `need_dx` is False.
    """
    v, u, length, pad_left = cache
    n_batch, _, c_out = dout.shape
    dmm = np.empty((POINTS, v.shape[1], c_out), dtype=dout.dtype)
    db = np.empty(c_out, dtype=dout.dtype)
    relu = out is not None
    K.kernel("output_grad", backend, globals())(dout, out if relu else dout, relu, dmm, db)
    du = np.matmul(v.transpose(0, 2, 1), dmm)  # (8, C_in, C_out)
    dw = np.einsum("pk,pio->oik", G.astype(du.dtype), du)
    if not need_dx:
        return None, dw, db
    dv = np.matmul(dmm, u.transpose(0, 2, 1))  # (8, N * T, C_in)
    dxp = np.empty((n_batch, TILE * (v.shape[1] // n_batch) + POINTS - TILE, v.shape[2]),
                   dtype=dout.dtype)
    K.kernel("input_grad", backend, globals())(dv, dxp)
    return dxp[:, pad_left : pad_left + length], dw, db
