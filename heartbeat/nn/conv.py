"""Convolution, pooling and resampling layers: the fast path beside a plain reference.

:class:`Conv1d` runs on the kernels of :mod:`heartbeat.nn.kernels` (patches + one BLAS
product) or, for kernel 5 with stride 1, on the Winograd F(4, 5) path of
:mod:`heartbeat.nn.winograd`.  :func:`conv1d_reference` and
:func:`conv1d_reference_backward` are the textbook definition of the same convolution
and its gradients, a loop over the taps in plain NumPy: short enough to check by eye,
and the reference the tests hold the fast path to (values and gradients).

The fast path takes a few arguments beyond ``forward(x)`` / ``backward(dout)``; they
are listed, with who sets them and why, under "Side channels" in
:mod:`heartbeat.nn.layers`.
"""

# Overrides of forward/backward/config/init inherit the docstrings of Layer.
# ruff: noqa: D102

from __future__ import annotations

from typing import Any

import numpy as np

from heartbeat.nn import kernels as K
from heartbeat.nn import winograd
from heartbeat.nn.base import Layer, _glorot


# ============================================================== the reference
def conv1d_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1,
                     padding: str = "same", dilation: int = 1) -> np.ndarray:
    """Return the 1-D convolution of `x` by the definition, one tap at a time.

    ``out[n, o, i] = b[o] + sum_{c, k} w[o, c, k] * x[n, c, i * stride + k * dilation -
    pad_left]``, with samples outside `x` read as zero; `padding` and ``pad_left`` as in
    :func:`heartbeat.nn.kernels.conv_out_length`.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, L)
        Input sequences.
    w : ndarray, shape (C_out, C_in, K)
        Weights.
    b : ndarray, shape (C_out,)
        Bias.
    stride, dilation : int
        Step between outputs and between taps, in samples.
    padding : {"same", "valid"}
        As :class:`Conv1d`.

    Returns
    -------
    ndarray, shape (N, C_out, L_out)
        The output, in the result dtype of `x` and `w`.
    """
    n_batch, _, length = x.shape
    c_out, _, kernel_size = w.shape
    l_out, pad_left = K.conv_out_length(length, kernel_size, stride, dilation, padding)
    out = np.zeros((n_batch, c_out, l_out), dtype=np.result_type(x, w))  # (N, C_out, L_out)
    for i in range(l_out):
        for k in range(kernel_size):
            j = i * stride + k * dilation - pad_left
            if 0 <= j < length:
                out[:, :, i] += x[:, :, j] @ w[:, :, k].T  # (N, C_in) @ (C_in, C_out)
    return out + b[None, :, None]


def conv1d_reference_backward(dout: np.ndarray, x: np.ndarray, w: np.ndarray,
                              stride: int = 1, padding: str = "same", dilation: int = 1
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``dx, dw, db`` of :func:`conv1d_reference` for the output gradient `dout`.

    Each tap that added ``x[:, :, j] @ w[:, :, k].T`` to output sample ``i`` sends
    ``dout[:, :, i] @ w[:, :, k]`` back to input sample ``j`` and adds
    ``dout[:, :, i].T @ x[:, :, j]`` to ``dw[:, :, k]``.

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, L_out)
        Gradient of the loss with respect to the output.
    x, w, stride, padding, dilation
        As given to :func:`conv1d_reference`.

    Returns
    -------
    dx : ndarray, shape (N, C_in, L)
    dw : ndarray, shape (C_out, C_in, K)
    db : ndarray, shape (C_out,)
    """
    length = x.shape[2]
    kernel_size = w.shape[2]
    l_out, pad_left = K.conv_out_length(length, kernel_size, stride, dilation, padding)
    dx = np.zeros(x.shape, dtype=np.result_type(dout, w))  # (N, C_in, L)
    dw = np.zeros(w.shape, dtype=np.result_type(dout, x))  # (C_out, C_in, K)
    for i in range(l_out):
        for k in range(kernel_size):
            j = i * stride + k * dilation - pad_left
            if 0 <= j < length:
                dx[:, :, j] += dout[:, :, i] @ w[:, :, k]  # (N, C_out) @ (C_out, C_in)
                dw[:, :, k] += dout[:, :, i].T @ x[:, :, j]  # (C_out, N) @ (N, C_in)
    return dx, dw, dout.sum(axis=(0, 2))


# ============================================================== convolution
class Conv1d(Layer):
    """1-D convolution (cross-correlation, like PyTorch and Keras).

    Weight ``w`` is (C_out, C_in, K), bias ``b`` is (C_out,).  ``padding="same"`` gives
    ``L_out = ceil(L / stride)`` (extra padding on the right, as Keras); ``"valid"``
    uses whole windows only.  ``activation="relu"`` fuses a ReLU into the layer.
    """

    kind = "conv1d"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, padding: str = "same", dilation: int = 1,
                 activation: str | None = None) -> None:
        super().__init__()
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride = int(kernel_size), int(stride)
        self.padding, self.dilation = padding, int(dilation)
        self.activation = activation
        self.need_dx = True  # the model clears this for its first layer
        self.workspace: dict[str, np.ndarray] = {}  # arrays reused from call to call
        self._make_params(np.float32, w=(out_channels, in_channels, kernel_size),
                          b=(out_channels,))

    def config(self) -> dict[str, Any]:
        cfg = {"type": self.kind, "in_channels": self.in_channels,
               "out_channels": self.out_channels, "kernel_size": self.kernel_size,
               "stride": self.stride, "padding": self.padding, "dilation": self.dilation}
        if self.activation is not None:
            cfg["activation"] = self.activation
        return cfg

    def init(self, rng, dtype):
        fan_in = self.in_channels * self.kernel_size
        fan_out = self.out_channels * self.kernel_size
        self.params["w"] = _glorot(rng, self.params["w"].shape, fan_in, fan_out, dtype)
        self.params["b"] = np.zeros(self.out_channels, dtype=dtype)
        self.zero_grad()

    def fuses_pool(self) -> bool:
        """Return True if :meth:`forward` can take the max-pool after it (``pool=``)."""
        return (not self.training and self.activation is None
                and winograd.applies(self.kernel_size, self.stride, self.dilation,
                                     self.in_channels))

    def forward(self, x, skip=None, pool=None):
        """Return the output for `x`; `skip` (the output's shape) is added to it.

        With `pool`, a :class:`MaxPool1d` (only where :meth:`fuses_pool`), the output
        is ``pool.forward(output, relu=True)``, computed in the same pass.
        """
        _n, c, length = x.shape  # (N, C_in, L)
        if c != self.in_channels:
            raise ValueError(f"Conv1d expects {self.in_channels} input channels, got x.shape="
                             f"{x.shape}")
        l_out, _ = K.conv_out_length(length, self.kernel_size, self.stride, self.dilation,
                                     self.padding)
        if l_out < 1:
            raise ValueError(f"Conv1d: input length {length} is shorter than the kernel span")
        want = (x.shape[0], self.out_channels, l_out)
        if skip is not None and skip.shape != want:
            raise ValueError(f"Residual: body maps to {want}, the skip connection is "
                             f"{skip.shape}; it needs equal shapes")
        x_nlc = np.ascontiguousarray(x.transpose(0, 2, 1))  # (N, L, C_in), free if NLC
        if pool is not None:
            pool._check_length(l_out)
            out, _ = winograd.conv1d_forward(
                x_nlc, self.params["w"], self.params["b"], self.padding, False,
                self.backend, self.workspace, keep=False,
                skip=None if skip is None else skip.transpose(0, 2, 1),
                pool=(pool.kernel_size, pool.stride))
            return out.transpose(0, 2, 1)  # (N, C_out, L_pool), channels-last memory
        relu = self.activation == "relu"
        fused_skip = skip is not None and not relu  # with a ReLU the gate needs out alone
        if winograd.applies(self.kernel_size, self.stride, self.dilation, c):
            out, cols = winograd.conv1d_forward(
                x_nlc, self.params["w"], self.params["b"], self.padding, relu, self.backend,
                self.workspace, keep=self.training,
                skip=skip.transpose(0, 2, 1) if fused_skip else None)
        else:
            fused_skip = False
            out, cols = K.conv1d_forward(x_nlc, self.params["w"], self.params["b"],
                                         self.stride, self.dilation, self.padding,
                                         self.backend, keep=self.training)
            if relu:
                np.maximum(out, 0, out=out)  # (N, L_out, C_out)
        if self.training:
            self.cache = (length, cols, out if relu else None)
        out = out.transpose(0, 2, 1)  # (N, C_out, L_out), channels-last memory
        if skip is None or fused_skip:  # fused: the Winograd pass added it
            return out
        if relu:  # the output is the ReLU gate of the backward pass: keep it
            return out + skip
        out += skip  # into this layer's own output array: no new one
        return out

    def backward(self, dout):
        length, cols, out = self.cache
        dout_nlc = dout.transpose(0, 2, 1)  # (N, L_out, C_out)
        if isinstance(cols, winograd.Cache):
            dx, dw, db = winograd.conv1d_backward(dout_nlc, out, cols, self.backend,
                                                  self.need_dx, self.workspace)
        else:
            dx, dw, db = self._im2col_backward(dout_nlc, length, cols, out)
        self.grads["w"] += dw
        self.grads["b"] += db
        if dx is None:
            return None
        return dx.transpose(0, 2, 1)  # (N, C_in, L)

    def _im2col_backward(self, dout_nlc, length, cols, out):
        if out is not None:
            dout_nlc = dout_nlc * (out > 0)  # ReLU gate, C-contiguous
        else:
            dout_nlc = np.ascontiguousarray(dout_nlc)
        return K.conv1d_backward(dout_nlc, cols, self.params["w"], length, self.stride,
                                 self.dilation, self.padding, self.backend,
                                 need_dx=self.need_dx)


# ============================================================== pooling, resampling
class _Pool1d(Layer):
    """Pooling over whole windows (``"valid"``): ``L_out = (L - K) // stride + 1``."""

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        super().__init__()
        self.kernel_size = int(kernel_size)
        self.stride = int(stride) if stride is not None else self.kernel_size

    def config(self):
        return {"type": self.kind, "kernel_size": self.kernel_size, "stride": self.stride}

    def _check_length(self, length: int) -> None:
        if length < self.kernel_size:
            raise ValueError(f"{type(self).__name__}: input length {length} < kernel_size "
                             f"{self.kernel_size}")


class MaxPool1d(_Pool1d):
    """Max-pool over whole windows (``"valid"``): ``L_out = (L - K) // stride + 1``.

    ``forward(x, relu=True)`` pools ``ReLU(x)`` in one pass (the maxima clamped at 0,
    the gradient gated by them): :class:`Sequential` uses it for a ReLU followed by a
    max-pool.
    """

    kind = "maxpool1d"

    def forward(self, x, relu=False):
        _n, _c, length = x.shape  # (N, C, L)
        self._check_length(length)
        x_nlc = np.ascontiguousarray(x.transpose(0, 2, 1))  # (N, L, C)
        out, argmax = K.maxpool1d_forward(x_nlc, self.kernel_size, self.stride, self.backend,
                                          need_argmax=self.training, relu=relu)
        if self.training:
            self.cache = (length, argmax, out if relu else None)
        return out.transpose(0, 2, 1)  # (N, C, L_out)

    def backward(self, dout):
        length, argmax, relu_out = self.cache
        dout_nlc = dout.transpose(0, 2, 1)  # (N, L_out, C)
        if relu_out is not None:  # ReLU gate: a window whose maximum was <= 0 gets none
            dout_nlc = dout_nlc * (relu_out > 0)
        dx = K.maxpool1d_backward(np.ascontiguousarray(dout_nlc), argmax, length,
                                  self.kernel_size, self.stride, self.backend)
        return dx.transpose(0, 2, 1)  # (N, C, L)


class AvgPool1d(_Pool1d):
    """Average-pool over whole windows: ``L_out = (L - K) // stride + 1``."""

    kind = "avgpool1d"

    def forward(self, x):
        length = x.shape[2]  # (N, C, L)
        self._check_length(length)
        l_out = (length - self.kernel_size) // self.stride + 1
        win = np.lib.stride_tricks.sliding_window_view(x, self.kernel_size, axis=2)
        out = win[:, :, : (l_out - 1) * self.stride + 1 : self.stride].mean(axis=-1)
        self.cache = length
        return out  # (N, C, L_out)

    def backward(self, dout):
        length = self.cache
        n, c, l_out = dout.shape
        dx = np.zeros((n, c, length), dtype=dout.dtype)  # (N, C, L)
        share = dout / self.kernel_size
        for k in range(self.kernel_size):
            dx[:, :, k : k + (l_out - 1) * self.stride + 1 : self.stride] += share
        return dx


class Upsample1d(Layer):
    """Nearest-neighbour upsampling: every sample repeated `scale` times."""

    kind = "upsample1d"

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = int(scale)

    def config(self):
        return {"type": self.kind, "scale": self.scale}

    def forward(self, x):
        return np.repeat(x, self.scale, axis=2)  # (N, C, L * scale)

    def backward(self, dout):
        n, c, length = dout.shape
        return dout.reshape(n, c, length // self.scale, self.scale).sum(axis=-1)  # (N, C, L)
