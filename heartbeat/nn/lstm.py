"""Recurrent layers: a unidirectional :class:`LSTM` and a bidirectional :class:`BiLSTM`.

Both take sequences ``(N, C, T)`` -- batch, channels, time -- like every other layer of
the engine (for a spectrogram: channels = frequency bins, time = STFT frames), and
return either the whole hidden sequence ``(N, H, T)`` (``2H`` for BiLSTM), the last
hidden state ``(N, H)``, the time-mean of the hidden states ``(N, H)`` or the state at
the centre frame ``T // 2`` (``output="sequence" | "last" | "mean" | "center"``).

The recurrence is the standard LSTM (Hochreiter & Schmidhuber 1997, with a forget gate,
no peepholes), gates in the order input, forget, cell candidate, output::

    a_t = x_t @ w_x + h_{t-1} @ w_h + b          # (N, 4H)
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_g)
    c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t);   h_0 = c_0 = 0

The input projection ``x_t @ w_x + b`` of all time steps is one matrix product before
the loop; the loop over time is Python, each step one ``(N, H) @ (H, 4H)`` product
vectorised over the batch.  Backward is back-propagation through time, the mirror
image of the loop; weight gradients are again one product over all steps.

Importing this module registers ``"lstm"`` and ``"bilstm"`` with
:func:`heartbeat.nn.layer_from_config`, so specs and saved models may contain them.
"""

# Overrides of forward/backward/config/init inherit the docstrings of Layer.
# ruff: noqa: D102

from __future__ import annotations

from typing import Any

import numpy as np

from heartbeat.nn.base import Layer, _glorot
from heartbeat.nn.layers import LAYERS

OUTPUTS = ("sequence", "last", "mean", "center")


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # 0.5 * (1 + tanh(a / 2)): the same function, no overflow warning for large |a|
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _orthogonal(rng: np.random.Generator, n: int, dtype: np.dtype) -> np.ndarray:
    # QR of a Gaussian matrix with the signs fixed so the result is Haar-distributed
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.sign(np.diag(r))).astype(dtype)


# ================================================================ one direction
def lstm_forward(x_ntc: np.ndarray, w_x: np.ndarray, w_h: np.ndarray, b: np.ndarray,
                 keep: bool = True) -> tuple[np.ndarray, tuple | None]:
    """Run the LSTM recurrence forward in time.

    Parameters
    ----------
    x_ntc : ndarray, shape (N, T, C)
        Input sequence, time on axis 1.
    w_x : ndarray, shape (C, 4H)
        Input weights, gate blocks ``[i | f | g | o]``.
    w_h : ndarray, shape (H, 4H)
        Recurrent weights.
    b : ndarray, shape (4H,)
        Gate biases.
    keep : bool
        Return the activations :func:`lstm_backward` needs (else None).

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden state after each step.
    cache : tuple or None
        Saved activations.

    Examples
    --------
    >>> x = np.ones((2, 5, 3))
    >>> h, _ = lstm_forward(x, np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(8))
    >>> h.shape, float(h[0, 0, 0])  # all gates 0.5, g = 0: nothing is written
    ((2, 5, 2), 0.0)
    """
    n, t_len, _c = x_ntc.shape
    hid = w_h.shape[0]
    dtype = w_h.dtype
    xw = (x_ntc.reshape(n * t_len, -1) @ w_x).reshape(n, t_len, 4 * hid) + b  # (N, T, 4H)
    gates = np.empty((n, t_len, 4 * hid), dtype=dtype)  # activated i, f, g, o
    cell = np.empty((n, t_len, hid), dtype=dtype)
    tanh_c = np.empty((n, t_len, hid), dtype=dtype)
    h = np.empty((n, t_len, hid), dtype=dtype)
    h_prev = np.zeros((n, hid), dtype=dtype)
    c_prev = np.zeros((n, hid), dtype=dtype)
    for t in range(t_len):
        a = xw[:, t] + h_prev @ w_h  # (N, 4H)
        gt = gates[:, t]
        gt[:] = _sigmoid(a)
        gt[:, 2 * hid:3 * hid] = np.tanh(a[:, 2 * hid:3 * hid])
        i, f, g, o = (gt[:, k * hid:(k + 1) * hid] for k in range(4))
        c_prev = f * c_prev + i * g  # (N, H)
        cell[:, t] = c_prev
        tanh_c[:, t] = np.tanh(c_prev)
        h_prev = h[:, t] = o * tanh_c[:, t]
    cache = (x_ntc, w_x, w_h, gates, cell, tanh_c, h) if keep else None
    return h, cache


def lstm_backward(dh: np.ndarray, cache: tuple, need_dx: bool = True
                  ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray]:
    """Back-propagate through time.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Gradient of the loss with respect to each hidden state ``h_t`` from outside
        the recurrence (zeros where an output was not used).
    cache : tuple
        From :func:`lstm_forward`.
    need_dx : bool
        Compute the input gradient (skip it for a first layer).

    Returns
    -------
    dx : ndarray, shape (N, T, C), or None
    dw_x : ndarray, shape (C, 4H)
    dw_h : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)
    """
    x_ntc, w_x, w_h, gates, cell, tanh_c, h = cache
    n, t_len, hid = h.shape
    da = np.empty_like(gates)  # pre-activation gradients (N, T, 4H)
    dh_next = np.zeros((n, hid), dtype=h.dtype)
    dc_next = np.zeros((n, hid), dtype=h.dtype)
    zeros = np.zeros((n, hid), dtype=h.dtype)
    for t in range(t_len - 1, -1, -1):
        gt = gates[:, t]
        i, f, g, o = (gt[:, k * hid:(k + 1) * hid] for k in range(4))
        c_prev = cell[:, t - 1] if t > 0 else zeros
        dht = dh[:, t] + dh_next  # (N, H)
        tc = tanh_c[:, t]
        dc = dc_next + dht * o * (1.0 - tc * tc)
        dat = da[:, t]
        dat[:, 0 * hid:1 * hid] = dc * g * i * (1.0 - i)
        dat[:, 1 * hid:2 * hid] = dc * c_prev * f * (1.0 - f)
        dat[:, 2 * hid:3 * hid] = dc * i * (1.0 - g * g)
        dat[:, 3 * hid:4 * hid] = dht * tc * o * (1.0 - o)
        dc_next = dc * f
        dh_next = dat @ w_h.T  # (N, H)
    da2 = da.reshape(n * t_len, 4 * hid)
    dw_x = x_ntc.reshape(n * t_len, -1).T @ da2  # (C, 4H)
    h_prev = np.concatenate([np.zeros((n, 1, hid), h.dtype), h[:, :-1]], axis=1)
    dw_h = h_prev.reshape(n * t_len, hid).T @ da2  # (H, 4H)
    db = da2.sum(axis=0)
    dx = (da2 @ w_x.T).reshape(n, t_len, -1) if need_dx else None  # (N, T, C)
    return dx, dw_x, dw_h, db


def _reduce(h: np.ndarray, output: str) -> np.ndarray:
    # h (N, T, H) -> the layer output in the engine's layout
    if output == "sequence":
        return h.transpose(0, 2, 1)  # (N, H, T)
    if output == "last":
        return h[:, -1]  # (N, H)
    if output == "center":
        return h[:, h.shape[1] // 2]  # (N, H)
    return h.mean(axis=1)  # (N, H)


def _expand(dout: np.ndarray, output: str, t_len: int) -> np.ndarray:
    # gradient of the layer output -> gradient per hidden state (N, T, H)
    if output == "sequence":
        return dout.transpose(0, 2, 1)
    dh = np.zeros((dout.shape[0], t_len, dout.shape[1]), dtype=dout.dtype)
    if output == "last":
        dh[:, -1] = dout
    elif output == "center":
        dh[:, t_len // 2] = dout
    else:
        dh[:] = (dout / t_len)[:, None, :]
    return dh


def _check_args(input_size: Any, hidden_size: Any, output: Any) -> tuple[int, int, str]:
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name}={v!r} must be a positive integer")
    if output not in OUTPUTS:
        raise ValueError(f"output={output!r} must be one of {', '.join(OUTPUTS)}")
    return int(input_size), int(hidden_size), str(output)


def _init_direction(rng: np.random.Generator, c: int, hid: int, dtype: np.dtype
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Keras defaults: Glorot-uniform input weights, orthogonal recurrent weights (one
    # H x H orthogonal block per gate), zero biases except the forget gate's 1
    w_x = _glorot(rng, (c, 4 * hid), c, 4 * hid, dtype)
    w_h = np.concatenate([_orthogonal(rng, hid, dtype) for _ in range(4)], axis=1)
    b = np.zeros(4 * hid, dtype=dtype)
    b[hid:2 * hid] = 1.0
    return w_x, w_h, b


def _check_input(x: np.ndarray, c: int, name: str) -> None:
    if x.ndim != 3 or x.shape[1] != c or x.shape[2] < 1:
        raise ValueError(f"{name} expects (N, {c}, T) input with T >= 1, got x.shape="
                         f"{x.shape}")


# ================================================================ layers
class LSTM(Layer):
    """Unidirectional LSTM over ``(N, C, T)`` sequences.

    Parameters
    ----------
    input_size : int
        Channels C of the input (frequency bins of a spectrogram).
    hidden_size : int
        Hidden units H.
    output : {"sequence", "last", "mean", "center"}, default "sequence"
        Return all hidden states ``(N, H, T)``, the final one ``(N, H)``, their mean
        over time ``(N, H)``, or the one at frame ``T // 2`` (in input time order).
    reverse : bool, default False
        Read the sequence from its end to its start; outputs stay in input time order
        (``"last"`` is then the state after reading ``x[..., 0]``).

    Notes
    -----
    Parameters: ``w_x`` (C, 4H), ``w_h`` (H, 4H), ``b`` (4H,), gate blocks ``[i | f | g
    | o]``.  :meth:`init` draws ``w_x`` Glorot-uniform, each gate's H x H block of
    ``w_h`` orthogonal, and sets the biases to zero except the forget gate's, which
    start at 1 (Jozefowicz et al. 2015; the Keras default) so the cell remembers by
    default early in training.

    Examples
    --------
    >>> layer = LSTM(3, 4, output="last")
    >>> layer.init(np.random.default_rng(0), np.float32)
    >>> layer.forward(np.zeros((2, 3, 7), np.float32)).shape
    (2, 4)
    """

    kind = "lstm"

    def __init__(self, input_size: int, hidden_size: int, output: str = "sequence",
                 reverse: bool = False) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.output = _check_args(input_size,
                                                                     hidden_size, output)
        self.reverse = bool(reverse)
        self.need_dx = True
        c, hid = self.input_size, self.hidden_size
        self._make_params(np.float32, w_x=(c, 4 * hid), w_h=(hid, 4 * hid), b=(4 * hid,))

    def config(self):
        return {"type": self.kind, "input_size": self.input_size,
                "hidden_size": self.hidden_size, "output": self.output,
                "reverse": self.reverse}

    def init(self, rng, dtype):
        w_x, w_h, b = _init_direction(rng, self.input_size, self.hidden_size, dtype)
        self.params.update(w_x=w_x, w_h=w_h, b=b)
        self.zero_grad()

    def forward(self, x):
        _check_input(x, self.input_size, "LSTM")
        x_ntc = x.transpose(0, 2, 1)  # (N, T, C)
        if self.reverse:
            x_ntc = x_ntc[:, ::-1]
        p = self.params
        h, cache = lstm_forward(np.ascontiguousarray(x_ntc, dtype=p["w_h"].dtype),
                                p["w_x"], p["w_h"], p["b"], keep=self.training)
        self.cache = cache
        if self.reverse:
            return _reduce(h[:, ::-1] if self.output != "last" else h, self.output)
        return _reduce(h, self.output)

    def backward(self, dout):
        t_len = self.cache[6].shape[1]
        if self.reverse and self.output != "last":
            dh = _expand(dout, self.output, t_len)[:, ::-1]
        else:
            dh = _expand(dout, self.output, t_len)
        dx, dw_x, dw_h, db = lstm_backward(dh, self.cache, self.need_dx)
        self.grads["w_x"] += dw_x
        self.grads["w_h"] += dw_h
        self.grads["b"] += db
        if dx is None:
            return None
        if self.reverse:
            dx = dx[:, ::-1]
        return dx.transpose(0, 2, 1)  # (N, C, T)


class BiLSTM(Layer):
    """Bidirectional LSTM: one LSTM reads forward in time, another backward.

    The two directions have separate parameters (suffix ``_f`` and ``_b``) and their
    outputs are concatenated on the channel axis, forward first.

    Parameters
    ----------
    input_size : int
        Channels C of the input (frequency bins of a spectrogram).
    hidden_size : int
        Hidden units H per direction.
    output : {"sequence", "last", "mean"}, default "sequence"
        ``"sequence"``: ``(N, 2H, T)``, at each step the forward state (which has read
        ``x[..., :t+1]``) beside the backward state (which has read ``x[..., t:]``).
        ``"last"``: ``(N, 2H)``, each direction's final state -- the forward one after
        the last frame, the backward one after the first -- so both have read the
        whole sequence.  ``"mean"``: ``(N, 2H)``, the time-mean of ``"sequence"``.
        ``"center"``: ``(N, 2H)``, ``"sequence"`` at frame ``T // 2``: the forward
        state has read up to the centre, the backward one from the end back to it --
        the summary of a window that is labelled by its centre beat.

    Notes
    -----
    Initialisation as :class:`LSTM`, forward direction first, from the same generator.

    Examples
    --------
    >>> layer = BiLSTM(33, 16, output="mean")
    >>> layer.init(np.random.default_rng(0), np.float32)
    >>> layer.forward(np.zeros((5, 33, 87), np.float32)).shape
    (5, 32)
    """

    kind = "bilstm"

    def __init__(self, input_size: int, hidden_size: int, output: str = "sequence") -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.output = _check_args(input_size,
                                                                     hidden_size, output)
        self.need_dx = True
        c, hid = self.input_size, self.hidden_size
        for d in ("f", "b"):
            self._make_params(np.float32, **{f"w_x_{d}": (c, 4 * hid),
                                             f"w_h_{d}": (hid, 4 * hid), f"b_{d}": (4 * hid,)})

    def config(self):
        return {"type": self.kind, "input_size": self.input_size,
                "hidden_size": self.hidden_size, "output": self.output}

    def init(self, rng, dtype):
        for d in ("f", "b"):
            w_x, w_h, b = _init_direction(rng, self.input_size, self.hidden_size, dtype)
            self.params.update({f"w_x_{d}": w_x, f"w_h_{d}": w_h, f"b_{d}": b})
        self.zero_grad()

    def forward(self, x):
        _check_input(x, self.input_size, "BiLSTM")
        p = self.params
        x_ntc = np.ascontiguousarray(x.transpose(0, 2, 1), dtype=p["w_h_f"].dtype)
        h_f, cache_f = lstm_forward(x_ntc, p["w_x_f"], p["w_h_f"], p["b_f"],
                                    keep=self.training)
        h_b, cache_b = lstm_forward(np.ascontiguousarray(x_ntc[:, ::-1]), p["w_x_b"],
                                    p["w_h_b"], p["b_b"], keep=self.training)
        self.cache = (cache_f, cache_b)
        if self.output == "last":  # each direction's final state
            return np.concatenate([h_f[:, -1], h_b[:, -1]], axis=1)  # (N, 2H)
        h = np.concatenate([h_f, h_b[:, ::-1]], axis=2)  # (N, T, 2H), input time order
        return _reduce(h, self.output)

    def backward(self, dout):
        cache_f, cache_b = self.cache
        hid, t_len = self.hidden_size, cache_f[6].shape[1]
        if self.output == "last":
            dh_f = _expand(dout[:, :hid], "last", t_len)
            dh_b = _expand(dout[:, hid:], "last", t_len)
        else:
            dh = _expand(dout, self.output, t_len)  # (N, T, 2H)
            dh_f, dh_b = dh[:, :, :hid], dh[:, ::-1, hid:]
        dx_f, *g_f = lstm_backward(dh_f, cache_f, self.need_dx)
        dx_b, *g_b = lstm_backward(dh_b, cache_b, self.need_dx)
        for d, grads in (("f", g_f), ("b", g_b)):
            for name, g in zip(("w_x", "w_h", "b"), grads, strict=True):
                self.grads[f"{name}_{d}"] += g
        if dx_f is None:
            return None
        return (dx_f + dx_b[:, ::-1]).transpose(0, 2, 1)  # (N, C, T)


for _cls in (LSTM, BiLSTM):
    LAYERS.setdefault(_cls.kind, _cls)
