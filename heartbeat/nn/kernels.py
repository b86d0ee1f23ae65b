"""Hot loops of the CNN engine: Numba kernels, each beside its plain-NumPy twin.

All kernels work on *channels-last* arrays, ``(N, L, C)``, C-contiguous: the inner
loop then runs over channels, which are contiguous in memory, and a convolution
becomes one BLAS matrix product over ``(N * L_out, K * C_in)`` patch rows.  Layers
keep the logical ``(N, C, L)`` shape of their inputs and outputs; they hand these
kernels the free transposed view ``x.transpose(0, 2, 1)``.

======================  ====================  =========================  =========================
operation               kernel                Numba (``"numba"``)        NumPy twin (``"numpy"``)
======================  ====================  =========================  =========================
patches (im2col)        ``IM2COL``            ``_im2col_nb``             ``_im2col_np``
direct, few taps        ``CONV_DIRECT``       ``_conv_direct_nb``        ``_conv_direct_np``
direct, 5 taps          ``CONV5_DIRECT``      ``_conv5_direct_nb``       ``_conv5_direct_np``
patch sums (col2im)     ``COL2IM``            ``_col2im_nb``             ``_col2im_np``
max-pool forward        ``MAXPOOL_FORWARD``   ``_maxpool_forward_nb``    ``_maxpool_forward_np``
max-pool, values        ``MAXPOOL_VALUES``    ``_maxpool_values_nb``     ``_maxpool_values_np``
max-pool backward       ``MAXPOOL_BACKWARD``  ``_maxpool_backward_nb``   ``_maxpool_backward_np``
======================  ====================  =========================  =========================

Each row is one :class:`heartbeat._jit.Kernel`; ``IM2COL.get(backend)`` returns the
compiled loop or the twin.

A convolution is patches + one matrix product (forward), the transposed products for
the weight gradient and the patch gradient, and patch sums for the input gradient
(:func:`conv1d_forward`, :func:`conv1d_backward`).  The matrix products go to NumPy's
BLAS (multithreaded, float32); in our trials that beat a direct Numba convolution loop
(register-blocked, parallel over the batch) for the 32-channel convolutions of the
Kachuee network.  Kernel-5 convolutions with stride 1 take the Winograd F(4, 5) path
of :mod:`heartbeat.nn.winograd` instead (2.5 times fewer multiply-adds); this module
serves every other convolution.

Numba is imported, and each kernel compiled (``njit(cache=True, nogil=True)``, no
signatures), on first use only (:mod:`heartbeat._jit`).  The kernels are serial and
release the GIL: several cores come from :meth:`heartbeat.nn.Model.set_threads`, which
runs shares of a batch on threads (``prange`` loops between BLAS calls made training
slower in our trials: OpenMP and OpenBLAS worker threads spun and competed for the
cores).  Loops run over 1-D slices with ``range`` indices where they can, which is what
lets LLVM vectorise them.  The twins are the fallback when Numba is missing and the
reference in the tests, where both agree to float32 rounding.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from heartbeat._jit import BACKENDS as BACKENDS  # re-exported: heartbeat.nn.kernels.BACKENDS
from heartbeat._jit import Kernel
from heartbeat._jit import resolve_backend as resolve_backend  # re-exported


# ---------------------------------------------------------------- patches (im2col)
def _im2col_nb(x, kernel_size, stride, dilation, pad_left, cols):  # pragma: no cover
    # x (N, L, C) -> cols (N, L_out, K, C); positions outside x read as zero
    n_batch, length, n_ch = x.shape
    l_out = cols.shape[1]
    for n in range(n_batch):
        for i in range(l_out):
            for k in range(kernel_size):
                j = i * stride + k * dilation - pad_left
                if 0 <= j < length:
                    for c in range(n_ch):
                        cols[n, i, k, c] = x[n, j, c]
                else:
                    for c in range(n_ch):
                        cols[n, i, k, c] = 0.0


def _conv_direct_nb(x, w_t, b, stride, dilation, pad_left, out):  # pragma: no cover
    # x (N, L, C_in), w_t (K * C_in, C_out) -> out (N, L_out, C_out) = b + the taps;
    # for few taps (the 1- or 2-channel first layer), where patches + BLAS cost more
    n_batch, length, c_in = x.shape
    kernel_size = w_t.shape[0] // c_in
    l_out, c_out = out.shape[1], out.shape[2]
    for n in range(n_batch):
        xn = x[n]
        for i in range(l_out):
            o = out[n, i]
            for c in range(c_out):
                o[c] = b[c]
            for k in range(kernel_size):
                j = i * stride + k * dilation - pad_left
                if 0 <= j < length:
                    for ci in range(c_in):
                        xv, wr = xn[j, ci], w_t[k * c_in + ci]
                        for c in range(c_out):
                            o[c] += xv * wr[c]


def _conv5_direct_nb(x, w_t, b, pad_left, out):  # pragma: no cover - compiled by Numba
    # _conv_direct_nb for 5 taps, stride 1: each input channel's 5 products are summed
    # in one expression, so an output row is written once per input channel instead of
    # once per tap (the first layer's cost in classify() fell by 44 %: docs/benchmarks.md,
    # "Issue 13, session 7"); each beat's samples are first copied into a zero-padded
    # buffer, so every row takes all 5 taps
    n_batch, length, c_in = x.shape
    l_out, c_out = out.shape[1], out.shape[2]
    xp = np.zeros((l_out + 4, c_in), dtype=x.dtype)
    for n in range(n_batch):
        xn = x[n]
        for j in range(l_out + 4):
            src = j - pad_left
            for ci in range(c_in):
                xp[j, ci] = xn[src, ci] if 0 <= src < length else 0.0
        for i in range(l_out):
            o = out[n, i]
            if c_in == 2:  # the 2-channel first layer (beat, context): the row once
                x0, x1, x2, x3, x4 = xp[i, 0], xp[i + 1, 0], xp[i + 2, 0], xp[i + 3, 0], \
                    xp[i + 4, 0]
                z0, z1, z2, z3, z4 = xp[i, 1], xp[i + 1, 1], xp[i + 2, 1], xp[i + 3, 1], \
                    xp[i + 4, 1]
                w0, w1, w2, w3, w4 = w_t[0], w_t[2], w_t[4], w_t[6], w_t[8]
                v0, v1, v2, v3, v4 = w_t[1], w_t[3], w_t[5], w_t[7], w_t[9]
                for c in range(c_out):  # the same float sums, in the same order
                    o[c] = (b[c] + x0 * w0[c] + x1 * w1[c] + x2 * w2[c] + x3 * w3[c]
                            + x4 * w4[c]) + (z0 * v0[c] + z1 * v1[c] + z2 * v2[c]
                                             + z3 * v3[c] + z4 * v4[c])
                continue
            for ci in range(c_in):
                x0, x1, x2, x3, x4 = (xp[i, ci], xp[i + 1, ci], xp[i + 2, ci],
                                      xp[i + 3, ci], xp[i + 4, ci])
                w0, w1, w2 = w_t[ci], w_t[c_in + ci], w_t[2 * c_in + ci]
                w3, w4 = w_t[3 * c_in + ci], w_t[4 * c_in + ci]
                if ci == 0:
                    for c in range(c_out):
                        o[c] = b[c] + x0 * w0[c] + x1 * w1[c] + x2 * w2[c] + x3 * w3[c] \
                            + x4 * w4[c]
                else:
                    for c in range(c_out):
                        o[c] += x0 * w0[c] + x1 * w1[c] + x2 * w2[c] + x3 * w3[c] \
                            + x4 * w4[c]


def _conv_direct_np(x, w_t, b, stride, dilation, pad_left, out):
    # the patch product of conv1d_forward, float32 sums and all (the exported file's)
    n_batch, _, c_in = x.shape
    kernel_size = w_t.shape[0] // c_in
    l_out = out.shape[1]
    cols = np.empty((n_batch, l_out, kernel_size, c_in), dtype=x.dtype)
    _im2col_np(x, kernel_size, stride, dilation, pad_left, cols)
    flat = out.reshape(n_batch * l_out, -1)
    np.matmul(cols.reshape(n_batch * l_out, -1), w_t, out=flat)
    flat += b


def _conv5_direct_np(x, w_t, b, pad_left, out):
    _conv_direct_np(x, w_t, b, 1, 1, pad_left, out)


def _padded(x: np.ndarray, pad_left: int, total: int) -> np.ndarray:
    """Zero-pad axis 1 of `x` (N, L, C) to `total` samples, `pad_left` of them before x."""
    n_batch, length, n_ch = x.shape
    xp = np.zeros((n_batch, max(total, pad_left + length), n_ch), dtype=x.dtype)
    xp[:, pad_left : pad_left + length] = x
    return xp


def _im2col_np(x, kernel_size, stride, dilation, pad_left, cols):
    l_out = cols.shape[1]
    span = dilation * (kernel_size - 1) + 1
    xp = _padded(x, pad_left, (l_out - 1) * stride + span)  # (N, Lp, C)
    win = sliding_window_view(xp, span, axis=1)  # (N, Lp - span + 1, C, span)
    win = win[:, : (l_out - 1) * stride + 1 : stride, :, ::dilation]  # (N, L_out, C, K)
    cols[...] = win.transpose(0, 1, 3, 2)


# ---------------------------------------------------------------- patch sums (col2im)
def _col2im_nb(dcols, stride, dilation, pad_left, dx):  # pragma: no cover
    # dcols (N, L_out, K, C) -> dx (N, L, C): each patch entry adds to its input sample
    n_batch, l_out, kernel_size, n_ch = dcols.shape
    length = dx.shape[1]
    for n in range(n_batch):
        for j in range(length):
            for c in range(n_ch):
                dx[n, j, c] = 0.0
        for i in range(l_out):
            for k in range(kernel_size):
                j = i * stride + k * dilation - pad_left
                if 0 <= j < length:
                    for c in range(n_ch):
                        dx[n, j, c] += dcols[n, i, k, c]


def _col2im_np(dcols, stride, dilation, pad_left, dx):
    n_batch, l_out, kernel_size, n_ch = dcols.shape
    length = dx.shape[1]
    span = dilation * (kernel_size - 1) + 1
    total = max(pad_left + length, (l_out - 1) * stride + span)
    dxp = np.zeros((n_batch, total, n_ch), dtype=dx.dtype)  # (N, Lp, C)
    for k in range(kernel_size):
        start = k * dilation
        dxp[:, start : start + (l_out - 1) * stride + 1 : stride] += dcols[:, :, k]
    dx[...] = dxp[:, pad_left : pad_left + length]


# ---------------------------------------------------------------- max-pool
def _maxpool_forward_nb(x, kernel_size, stride, relu, out, argmax):  # pragma: no cover
    # x (N, L, C) -> out, argmax (N, L_out, C); argmax holds the input index along L
    # (the first maximum); `relu` clamps the maxima at 0 (= max-pool of ReLU(x)).
    # Running maxima as in _maxpool_values_nb, each with the row it came from; the
    # later candidate wins only if strictly greater, which keeps the first maximum.
    n_batch, length, n_ch = x.shape
    l_out = out.shape[1]
    zero = x.dtype.type(0)
    vals = np.empty((2, length * n_ch), dtype=x.dtype)
    rows = np.empty((3, length * n_ch), dtype=np.int32)
    first = rows[2]  # row index of each element of x itself
    for j in range(length * n_ch):
        first[j] = j // n_ch
    for n in range(n_batch):
        src, src_row = x[n].ravel(), first
        width, which = 1, 0
        while 2 * width <= kernel_size:
            total = (length - 2 * width + 1) * n_ch
            off = width * n_ch
            a, b = src[:total], src[off : off + total]
            ra, rb = src_row[:total], src_row[off : off + total]
            dst, dst_row = vals[which], rows[which]
            for j in range(total):  # arithmetic, not branches: random data mispredicts
                later = np.int32(b[j] > a[j])
                dst[j] = b[j] if b[j] > a[j] else a[j]
                dst_row[j] = ra[j] + later * (rb[j] - ra[j])
            src, src_row, width, which = dst, dst_row, 2 * width, 1 - which
        shift = (kernel_size - width) * n_ch
        for i in range(l_out):
            base = i * stride * n_ch
            p, q = src[base : base + n_ch], src[base + shift : base + shift + n_ch]
            rp, rq = src_row[base : base + n_ch], src_row[base + shift : base + shift + n_ch]
            o, arg = out[n, i], argmax[n, i]
            for c in range(n_ch):
                later = np.int32(q[c] > p[c])
                v = q[c] if q[c] > p[c] else p[c]
                o[c] = (v if v > zero else zero) if relu else v
                arg[c] = rp[c] + later * (rq[c] - rp[c])


def _maxpool_values_nb(x, kernel_size, stride, relu, out):  # pragma: no cover - Numba
    # The maxima only (evaluation): running maxima over whole rows of the flattened
    # (L * C) beat, doubling the window (m_2w[j] = max(m_w[j], m_w[j + w])), then each
    # output row from two overlapping windows.  Every loop runs over 1-D slices with a range index,
    # which is what lets Numba vectorise it (7 times faster than window by window).
    n_batch, length, n_ch = x.shape
    l_out = out.shape[1]
    zero = x.dtype.type(0)
    bufs = np.empty((2, length * n_ch), dtype=x.dtype)
    for n in range(n_batch):
        src = x[n].ravel()
        width, which = 1, 0
        while 2 * width <= kernel_size:
            total = (length - 2 * width + 1) * n_ch
            a, b = src[:total], src[width * n_ch : width * n_ch + total]
            dst = bufs[which]
            for j in range(total):
                dst[j] = a[j] if a[j] > b[j] else b[j]
            src, width, which = dst, 2 * width, 1 - which
        shift = (kernel_size - width) * n_ch  # window = [j, j + width) + [j + shift, ...)
        for i in range(l_out):
            base = i * stride * n_ch
            p, q = src[base : base + n_ch], src[base + shift : base + shift + n_ch]
            o = out[n, i]
            for c in range(n_ch):
                v = p[c] if p[c] > q[c] else q[c]
                o[c] = (v if v > zero else zero) if relu else v


def _maxpool_forward_np(x, kernel_size, stride, relu, out, argmax):
    l_out = out.shape[1]
    win = sliding_window_view(x, kernel_size, axis=1)[:, : (l_out - 1) * stride + 1 : stride]
    k = win.argmax(axis=-1)  # (N, L_out, C), first maximum as in the Numba kernel
    out[...] = np.take_along_axis(win, k[..., None], axis=-1)[..., 0]
    if relu:
        np.maximum(out, 0, out=out)
    argmax[...] = k + (np.arange(l_out) * stride)[None, :, None]


def _maxpool_values_np(x, kernel_size, stride, relu, out):
    l_out = out.shape[1]
    win = sliding_window_view(x, kernel_size, axis=1)[:, : (l_out - 1) * stride + 1 : stride]
    out[...] = win.max(axis=-1)
    if relu:
        np.maximum(out, 0, out=out)


def _maxpool_backward_nb(dout, argmax, kernel_size, stride, dx):  # pragma: no cover
    # dout, argmax (N, L_out, C) -> dx (N, L, C); overlapping windows add up
    n_batch, l_out, n_ch = dout.shape
    length = dx.shape[1]
    for n in range(n_batch):
        for j in range(length):
            for c in range(n_ch):
                dx[n, j, c] = 0.0
        for i in range(l_out):
            for c in range(n_ch):
                dx[n, argmax[n, i, c], c] += dout[n, i, c]


def _maxpool_backward_np(dout, argmax, kernel_size, stride, dx):
    l_out = dout.shape[1]
    k = argmax - (np.arange(l_out, dtype=argmax.dtype) * stride)[None, :, None]
    dx[...] = 0.0
    for kk in range(kernel_size):
        dx[:, kk : kk + (l_out - 1) * stride + 1 : stride] += np.where(k == kk, dout, 0.0)


# ---------------------------------------------------------------- the kernel table
IM2COL = Kernel(numba_loop=_im2col_nb, numpy_twin=_im2col_np)
CONV_DIRECT = Kernel(numba_loop=_conv_direct_nb, numpy_twin=_conv_direct_np)
CONV5_DIRECT = Kernel(numba_loop=_conv5_direct_nb, numpy_twin=_conv5_direct_np)
COL2IM = Kernel(numba_loop=_col2im_nb, numpy_twin=_col2im_np)
MAXPOOL_FORWARD = Kernel(numba_loop=_maxpool_forward_nb, numpy_twin=_maxpool_forward_np)
MAXPOOL_VALUES = Kernel(numba_loop=_maxpool_values_nb, numpy_twin=_maxpool_values_np)
MAXPOOL_BACKWARD = Kernel(numba_loop=_maxpool_backward_nb, numpy_twin=_maxpool_backward_np)


def conv_out_length(length: int, kernel_size: int, stride: int, dilation: int, padding: str):
    """Return ``(L_out, pad_left)`` of a 1-D convolution.

    ``"valid"`` uses only whole windows; ``"same"`` pads so that ``L_out = ceil(L /
    stride)``, splitting the padding as TensorFlow does (the extra sample on the right).
    """
    span = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        return max(0, (length - span) // stride + 1), 0
    l_out = -(-length // stride)
    total = max(0, (l_out - 1) * stride + span - length)
    return l_out, total // 2


DIRECT_MAX_TAPS = 10  # K * C_in up to which evaluation skips the patches


def conv1d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    stride: int,
    dilation: int,
    padding: str,
    backend: str,
    keep: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Convolve channels-last `x` (N, L, C_in) with `w` (C_out, C_in, K) plus `b`.

    Returns the output (N, L_out, C_out) and the patches (N, L_out, K, C_in) that the
    backward pass needs, or None when not `keep` (evaluation): then a convolution with
    at most :data:`DIRECT_MAX_TAPS` taps (K * C_in) sums them directly, without
    patches (the 1- or 2-channel first layer: a product with an inner dimension of 5
    or 10 is a poor fit for BLAS).
    """
    n_batch, length, c_in = x.shape
    c_out, _, kernel_size = w.shape
    l_out, pad_left = conv_out_length(length, kernel_size, stride, dilation, padding)
    if not keep and kernel_size * c_in <= DIRECT_MAX_TAPS:
        out = np.empty((n_batch, l_out, c_out), dtype=x.dtype)
        w_t = np.ascontiguousarray(w.transpose(2, 1, 0).reshape(-1, c_out))  # (K*C_in, C_out)
        if kernel_size == 5 and stride == 1 and dilation == 1:
            CONV5_DIRECT.get(backend)(x, w_t, b, pad_left, out)
        else:
            CONV_DIRECT.get(backend)(x, w_t, b, stride, dilation, pad_left, out)
        return out, None
    cols = np.empty((n_batch, l_out, kernel_size, c_in), dtype=x.dtype)
    IM2COL.get(backend)(x, kernel_size, stride, dilation, pad_left, cols)
    w2 = w.transpose(2, 1, 0).reshape(kernel_size * c_in, c_out)  # (K * C_in, C_out)
    out = cols.reshape(n_batch * l_out, kernel_size * c_in) @ w2  # (N * L_out, C_out)
    out += b
    return out.reshape(n_batch, l_out, c_out), cols


def conv1d_backward(
    dout: np.ndarray,
    cols: np.ndarray,
    w: np.ndarray,
    length: int,
    stride: int,
    dilation: int,
    padding: str,
    backend: str,
    need_dx: bool = True,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv1d_forward`: ``dx`` (N, L, C_in), ``dw``, ``db``.

    `dout` is channels-last (N, L_out, C_out) and C-contiguous; `cols` are the
    forward patches.  ``dx`` is None when `need_dx` is False (first layer).
    """
    n_batch, l_out, c_out = dout.shape
    _, c_in, kernel_size = w.shape
    dout2 = dout.reshape(n_batch * l_out, c_out)  # (N * L_out, C_out)
    cols2 = cols.reshape(n_batch * l_out, kernel_size * c_in)  # (N * L_out, K * C_in)
    dw = (cols2.T @ dout2).reshape(kernel_size, c_in, c_out).transpose(2, 1, 0)
    db = dout2.sum(axis=0)
    if not need_dx:
        return None, dw, db
    w2 = w.transpose(2, 1, 0).reshape(kernel_size * c_in, c_out)
    dcols = (dout2 @ w2.T).reshape(n_batch, l_out, kernel_size, c_in)
    _, pad_left = conv_out_length(length, kernel_size, stride, dilation, padding)
    dx = np.empty((n_batch, length, c_in), dtype=dout.dtype)
    COL2IM.get(backend)(dcols, stride, dilation, pad_left, dx)
    return dx, dw, db


def maxpool1d_forward(
    x: np.ndarray, kernel_size: int, stride: int, backend: str, need_argmax: bool = True,
    relu: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Max-pool channels-last `x` (N, L, C) over whole windows; return out and argmax.

    The argmax (input index of each maximum, for the backward pass) is an empty
    array when `need_argmax` is False.  `relu` clamps the output at 0, which equals
    max-pooling ``ReLU(x)`` (the ReLU is monotonic), in one pass.
    """
    n_batch, length, n_ch = x.shape
    l_out = max(0, (length - kernel_size) // stride + 1)
    out = np.empty((n_batch, l_out, n_ch), dtype=x.dtype)
    argmax = np.empty((n_batch, l_out, n_ch) if need_argmax else (0, 0, 0), dtype=np.int32)
    if need_argmax:
        MAXPOOL_FORWARD.get(backend)(x, kernel_size, stride, relu, out, argmax)
    else:
        MAXPOOL_VALUES.get(backend)(x, kernel_size, stride, relu, out)
    return out, argmax


def maxpool1d_backward(
    dout: np.ndarray, argmax: np.ndarray, length: int, kernel_size: int, stride: int,
    backend: str,
) -> np.ndarray:
    """Route channels-last `dout` (N, L_out, C) back to the maxima; return dx (N, L, C)."""
    n_batch, _, n_ch = dout.shape
    dx = np.empty((n_batch, length, n_ch), dtype=dout.dtype)
    MAXPOOL_BACKWARD.get(backend)(dout, argmax, kernel_size, stride, dx)
    return dx
