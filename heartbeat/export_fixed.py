"""The exported network in integers: ``heartbeat export MODEL --out DIR --fixed-point MITDB``.

Post-training quantisation for microcontroller-class targets.  Every convolution and
dense layer runs on integers: weights int8 with one scale per output channel,
activations int16 (saturated to ``[-QMAX, QMAX]``) with one scale per tensor, bias
int32, a 32-bit accumulator, and a requantisation to the next tensor's scale by an
integer multiplier and a rounding right shift (``(acc * m + 2**(shift-1)) >> shift``,
one 64-bit product).  Only the input beats (and the log RR features) are quantised
from float, and the last layer's accumulators are scaled back to float logits for the
calibrated softmax.  The networks hold no batch normalisation, so there is nothing
to fold into the convolutions.

The activation scales are calibrated on beats given by the caller: the largest
magnitude of each tensor over them, times :data:`HEADROOM`.  :func:`ds1_calibration`
takes them from the DS1 records of an MIT-BIH folder only (never DS2, the test half).

At export every layer is checked: with inputs saturated to ``QMAX`` the accumulator's
largest possible magnitude, ``sum |w| * QMAX + |b|``, must stay below ``2**31``, so no
input can overflow it (a ValueError is raised otherwise and nothing is written).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from heartbeat._validate import as_array, as_beats
from heartbeat.nn.ensemble import Ensemble
from heartbeat.nn.model import Model

__all__ = ["FIXED_TEMPLATE", "HEADROOM", "QMAX", "calibrated_arrays", "ds1_calibration",
           "fixed_point_arrays"]

QMAX = 2**15 - 1  #: activations are int16, saturated to [-QMAX, QMAX]
WMAX = 2**7 - 1  #: weights are int8, in [-WMAX, WMAX]
HEADROOM = 2.0  #: each activation scale covers this times the calibration's largest value
ACC_LIMIT = 2**31  #: the accumulators are int32
MULTIPLIER_BITS = 15  #: requantisation multipliers lie in [2**14, 2**15]


def ds1_calibration(mitdb: str | os.PathLike, context: int, n_per_lead: int = 3000,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Network inputs of beats from the DS1 records of an MIT-BIH folder, both leads.

    Parameters
    ----------
    mitdb : str or path-like
        Folder with the MIT-BIH records (``NNN.hea``, ``.dat``, ``.atr``) of DS1.
    context : int
        The classifier's record-context width (0: none).
    n_per_lead : int, default 3000
        Beats drawn (seeded, without replacement) from each lead.
    seed : int, default 0
        Seed of the draw.

    Returns
    -------
    (ndarray, ndarray)
        Beats (n, channels, 187) as the network takes them and RR features (n, 3).
    """
    from heartbeat.context import with_context
    from heartbeat.datasets.mitbih import DS1, mitbih_beats

    rng = np.random.default_rng(seed)
    xs, rrs = [], []
    for channel in (0, 1):
        data = mitbih_beats(mitdb, DS1, channel=channel, quiet=True)
        x = with_context(data.x, context, data.record, times=data.sample) if context \
            else data.x[:, None]
        pick = rng.choice(len(data), size=min(n_per_lead, len(data)), replace=False)
        xs.append(np.asarray(x[pick], dtype=np.float32))
        rrs.append(np.asarray(data.rr[pick], dtype=np.float32))
    return np.concatenate(xs), np.concatenate(rrs)


def calibrated_arrays(net: Model | Ensemble, calibration: object, context: int
                      ) -> dict[str, np.ndarray]:
    """Check the calibration inputs and return the network's integer arrays.

    `calibration` is a pair (beats, rr) of network inputs or an MIT-BIH folder, whose
    DS1 records give them (:func:`ds1_calibration`).
    """
    if isinstance(calibration, (str, os.PathLike)):
        if not Path(calibration).is_dir():
            raise FileNotFoundError(f"fixed_point: folder {str(calibration)!r} does not "
                                    "exist; give the MIT-BIH folder whose DS1 records "
                                    "calibrate the activation scales")
        calibration = ds1_calibration(calibration, context)
    if not isinstance(calibration, tuple) or len(calibration) != 2:
        raise TypeError("fixed_point must be a pair (beats, rr) of calibration inputs or "
                        f"an MIT-BIH folder, got {type(calibration).__name__}")
    spec = net.spec
    x = as_beats(calibration[0], "fixed_point[0]", length=spec["input_length"],
                 channels=spec["input_channels"])
    if len(x) == 0:
        raise ValueError("fixed_point[0] holds no beats; give training-side beats to "
                         "calibrate the activation scales on")
    rr = None
    if spec["extra_inputs"]:
        rr = np.asarray(as_array(calibration[1], "fixed_point[1]"), dtype=np.float64)
        log = spec.get("extra_transform") == "log"
        if rr.shape != (len(x), spec["extra_inputs"]) or not np.isfinite(rr).all() \
                or (log and (rr <= 0).any()):
            raise ValueError(f"fixed_point[1] must be the beats' positive RR features, "
                             f"shape ({len(x)}, {spec['extra_inputs']}), got {rr.shape}")
    params = {name: np.asarray(a) for name, a in net.named_params().items()}
    return fixed_point_arrays(spec, params, x, rr)


def fixed_point_arrays(spec: dict, params: dict[str, np.ndarray], x: np.ndarray,
                       rr: np.ndarray | None) -> dict[str, np.ndarray]:
    """Integer weights, biases, multipliers and scales of a network, keys ``fx/...``.

    Parameters
    ----------
    spec : dict
        The network's spec (an ensemble's members are quantised each on its own).
    params : dict
        Its float weights by name, as ``Model.named_params()``.
    x, rr : ndarray
        Calibration inputs: beats (n, channels, 187) and RR features (n, 3) or None.

    Returns
    -------
    dict
        Arrays to store beside the float weights.

    Raises
    ------
    ValueError
        If a layer's int32 accumulator could overflow.
    """
    ensemble = spec["name"] == "ensemble"
    members = spec["members"] if ensemble else [spec]
    out = {"fx/qmax": np.array(QMAX)}
    for i, member in enumerate(members):
        _Quantiser(params, f"{i}/" if ensemble else "", out).member(member, x, rr)
    return out


class _Quantiser:
    """Walks one network in float64 on the calibration beats, storing integer layers."""

    def __init__(self, params: dict[str, np.ndarray], prefix: str, out: dict) -> None:
        self.params, self.prefix, self.out = params, prefix, out

    def member(self, spec: dict, x: np.ndarray, rr: np.ndarray | None) -> None:
        p = self.prefix
        h = np.asarray(x, dtype=np.float64)
        s = _scale(h)
        self.out[f"fx/{p}input.scale"] = np.array(s)
        h, s = self.walk(h, s, spec["features"], f"{p}features", logits=False)
        if spec["extra_inputs"]:
            e = np.asarray(rr, dtype=np.float64)
            e = np.log(e) if spec.get("extra_transform") == "log" else e
            h = np.concatenate([h, e], axis=1)
            s_cat = _scale(h)
            self._multiplier(f"fx/{p}concat", np.array([s / s_cat]))
            self.out[f"fx/{p}extra.scale"] = np.array(s_cat)
            s = s_cat
        self.walk(h, s, spec["head"], f"{p}head", logits=True)

    def walk(self, h: np.ndarray, s: float, layers: list[dict], prefix: str,
             logits: bool) -> tuple[np.ndarray, float]:
        """Quantise `layers` whose input `h` has scale `s`; return the output and scale."""
        for i, layer in enumerate(layers):
            name = f"{prefix}.{i}"
            if layer["type"] == "residual":
                h, s = self.residual(h, s, layer, name)
                continue
            y = _float_layer(h, layer, self.params, name)
            if layer["type"] in ("conv1d", "dense"):
                last = logits and i == len(layers) - 1
                s_out = None if last else _scale(y)
                self.weights(name, s, s_out)
                s = s if s_out is None else s_out
            h = y
        return h, s

    def residual(self, h: np.ndarray, s: float, layer: dict, name: str
                 ) -> tuple[np.ndarray, float]:
        """Quantise a residual block; its last layer and the skip go to the sum's scale."""
        inner = layer["layers"]
        mids = [h]
        for j, sub in enumerate(inner):
            mids.append(_float_layer(mids[-1], sub, self.params, f"{name}.{j}"))
        total = mids[-1] + h
        s_sum = _scale(total)
        s_j = s
        for j, sub in enumerate(inner):
            if sub["type"] in ("conv1d", "dense"):
                s_next = s_sum if j == len(inner) - 1 else _scale(mids[j + 1])
                self.weights(f"{name}.{j}", s_j, s_next)
                s_j = s_next
        self._multiplier(f"fx/{name}.skip", np.array([s / s_sum]))
        return total, s_sum

    def weights(self, name: str, s_in: float, s_out: float | None) -> None:
        """Store int8 weights (per output channel), int32 bias and the requantisation.

        With `s_out` None (the logits) the accumulator's float scale is stored instead.
        """
        w, b = self.params[name + ".w"], self.params[name + ".b"]
        w_out = w.reshape(w.shape[0], -1) if w.ndim == 3 else w.T  # (out, inputs)
        s_w = np.abs(w_out).max(axis=1) / WMAX
        s_w[s_w == 0] = 1.0
        wq = np.rint(w_out / s_w[:, None]).astype(np.int8)
        bq = np.rint(b / (s_in * s_w)).astype(np.int64)
        bound = np.abs(wq.astype(np.int64)).sum(axis=1) * QMAX + np.abs(bq)
        if bound.max() >= ACC_LIMIT:
            raise ValueError(f"layer {name}: its int32 accumulator could reach "
                             f"{int(bound.max())} >= 2**31; the network cannot be "
                             f"exported in fixed point")
        self.out[f"fx/{name}.w"] = wq.reshape(w.shape) if w.ndim == 3 else wq.T.copy()
        self.out[f"fx/{name}.b"] = bq.astype(np.int32)
        if s_out is None:
            self.out[f"fx/{name}.out_scale"] = s_in * s_w
        else:
            self._multiplier(f"fx/{name}", s_in * s_w / s_out)

    def _multiplier(self, key: str, ratio: np.ndarray) -> None:
        """Store `ratio` as integers m and shift with ratio ~= m / 2**shift."""
        shift = (MULTIPLIER_BITS - 1 - np.floor(np.log2(ratio))).astype(np.int64)
        m = np.rint(ratio * 2.0 ** shift).astype(np.int64)
        if shift.min() < 1 or shift.max() > 46:
            raise ValueError(f"{key}: a requantisation ratio {ratio} is out of range")
        self.out[key + ".m"] = m.astype(np.int32)
        self.out[key + ".shift"] = shift.astype(np.int32)


def _scale(h: np.ndarray) -> float:
    """Scale of a tensor: HEADROOM times its largest magnitude maps to QMAX."""
    return float(max(np.abs(h).max(), 1e-12) * HEADROOM / QMAX)


def _float_layer(h: np.ndarray, layer: dict, params: dict, name: str) -> np.ndarray:
    """One layer in float64, as the float network computes it."""
    kind = layer["type"]
    if kind == "conv1d":
        out = _conv_cols(h, layer) @ params[name + ".w"].reshape(
            params[name + ".w"].shape[0], -1).T.astype(np.float64)
        out = (out + params[name + ".b"]).transpose(0, 2, 1)
        return np.maximum(out, 0) if layer.get("activation") == "relu" else out
    if kind == "dense":
        return h @ params[name + ".w"].astype(np.float64) + params[name + ".b"]
    if kind == "relu":
        return np.maximum(h, 0)
    if kind == "flatten":
        return h.reshape(len(h), -1)
    if kind == "maxpool1d":
        k, stride = layer["kernel_size"], layer["stride"]
        win = np.lib.stride_tricks.sliding_window_view(h, k, axis=2)
        return win[:, :, ::stride].max(axis=-1)
    raise ValueError(f"layer type {kind!r} has no fixed-point form")


def _conv_cols(h: np.ndarray, layer: dict) -> np.ndarray:
    """im2col of h (n, C, L): (n, L_out, C * k), columns ordered as the weights (C, k)."""
    k, stride, dilation = layer["kernel_size"], layer["stride"], layer["dilation"]
    span = dilation * (k - 1) + 1
    n, c, length = h.shape
    if layer["padding"] == "valid":
        l_out, pad = (length - span) // stride + 1, 0
    else:
        l_out = -(-length // stride)
        pad = max(0, (l_out - 1) * stride + span - length) // 2
    xp = np.zeros((n, c, max((l_out - 1) * stride + span, pad + length)), h.dtype)
    xp[:, :, pad : pad + length] = h
    win = np.lib.stride_tricks.sliding_window_view(xp, span, axis=2)
    win = win[:, :, : (l_out - 1) * stride + 1 : stride, ::dilation]  # (n, C, L_out, k)
    return np.ascontiguousarray(win.transpose(0, 2, 1, 3)).reshape(n, l_out, c * k)


#: The integer forward pass written into the exported file after the float one (whose
#: ``W``, ``MEMBERS``, ``PREFIXES`` and ``maxpool1d`` it uses).  ``_conv_cols`` above
#: is copied in front of it (one source for both).
FIXED_TEMPLATE = '''

# ---------------------------------------------------------------- fixed point
# The same network in integers, for devices without a floating-point unit: weights
# int8 (one scale per output channel), activations int16 saturated to [-QMAX, QMAX]
# (one scale per tensor), bias int32, int32 accumulators, and between layers a
# requantisation by an integer multiplier and a rounding right shift.  At export every
# layer was checked: sum |w| * QMAX + |b| < 2**31, so no input overflows an accumulator.
# Only the input beats and the log RR features are quantised from float, and the last
# layer's accumulators are scaled back to float logits.  logits() below replaces the
# float one (kept as logits_float), so predict_proba and classify use this path.
QMAX = int(W["fx/qmax"])


def quantise(x, scale):
    """Float to int16 values: round(x / scale), saturated to [-QMAX, QMAX]."""
    return np.clip(np.rint(np.asarray(x, np.float64) / scale), -QMAX, QMAX).astype(np.int32)


def requantise(acc, key):
    """(acc * m + 2**(shift - 1)) >> shift per channel, saturated: one 64-bit product."""
    m, shift = W[key + ".m"].astype(np.int64), W[key + ".shift"].astype(np.int64)
    if acc.ndim == 3:  # (n, C, L): the channel axis is 1
        m, shift = m[:, None], shift[:, None]
    y = (acc.astype(np.int64) * m + (np.int64(1) << (shift - 1))) >> shift
    return np.clip(y, -QMAX, QMAX).astype(np.int32)


def int_matmul(a, b):
    """The integer product a @ b as an int32 multiply-accumulate loop gives it.

    NumPy's integer matmul is slow, so it runs in float64: every partial sum is an
    integer below 2**31 (checked at export), so float64 (53-bit mantissa) holds each
    exactly and the result is the integer one in any summation order.
    """
    return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)


def conv1d_fixed(q, layer, name):
    """Integer convolution of q (n, C_in, L) int16 values; int16 values (n, C_out, L_out)."""
    w = W["fx/" + name + ".w"]
    acc = int_matmul(_conv_cols(q, layer), w.reshape(w.shape[0], -1).T)
    acc = acc.transpose(0, 2, 1) + W["fx/" + name + ".b"][:, None]
    out = requantise(acc, "fx/" + name)
    return np.maximum(out, 0) if layer.get("activation") == "relu" else out


def dense_fixed(q, layer, name):
    """Integer dense layer; the last one returns float logits (its accumulator scaled)."""
    acc = int_matmul(q, W["fx/" + name + ".w"]) + W["fx/" + name + ".b"]
    if "fx/" + name + ".out_scale" in W:
        return acc * W["fx/" + name + ".out_scale"]
    return requantise(acc, "fx/" + name)


def residual_fixed(q, layer, name):
    """The body in integers plus the input, requantised to the sum's scale."""
    out = q
    for j, inner in enumerate(layer["layers"]):
        out = LAYER_FIXED[inner["type"]](out, inner, f"{name}.{j}")
    return np.clip(out + requantise(q, f"fx/{name}.skip"), -QMAX, QMAX)


LAYER_FIXED = {**LAYER, "conv1d": conv1d_fixed, "dense": dense_fixed,
               "residual": residual_fixed}


def forward_fixed(x, extra=None, member=0):
    """Logits (n, n_classes) of beats x (n, channels, 187) through the integer network."""
    spec, p = MEMBERS[member], PREFIXES[member]
    q = quantise(x, float(W[f"fx/{p}input.scale"]))
    for i, layer in enumerate(spec["features"]):
        q = LAYER_FIXED[layer["type"]](q, layer, f"{p}features.{i}")
    if spec["extra_inputs"]:
        e = np.asarray(extra, dtype=np.float64)
        e = np.log(e) if spec.get("extra_transform") == "log" else e
        q = np.concatenate([requantise(q, f"fx/{p}concat"),
                            quantise(e, float(W[f"fx/{p}extra.scale"]))], axis=1)
    for i, layer in enumerate(spec["head"]):
        q = LAYER_FIXED[layer["type"]](q, layer, f"{p}head.{i}")
    return q


logits_float = logits


def logits(x, extra=None):
    """The members' integer-network logits averaged (float64), as logits_float does."""
    total = forward_fixed(x, extra, 0)
    for member in range(1, len(MEMBERS)):
        total = total + forward_fixed(x, extra, member)
    return total / len(MEMBERS)
'''
