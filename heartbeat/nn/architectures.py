"""The named architectures: functions that return a model spec (a JSON-ready dict).

A spec is ``{"format": 1, "name", "input_channels", "input_length", "n_classes",
"extra_inputs", "features": [layer configs], "head": [layer configs]}`` (see
:class:`heartbeat.nn.Model`).  :data:`ARCHITECTURES` maps each name that
:func:`heartbeat.nn.build` accepts to its function; :func:`conv_spec` and
:func:`mlp_head` are the building blocks they share.
"""

from __future__ import annotations

from collections.abc import Callable

from heartbeat._validate import as_positive_int

SPEC_FORMAT = 1

def _pool_len(length: int, kernel: int, stride: int) -> int:
    return (length - kernel) // stride + 1


def conv_spec(c_in: int, c_out: int, kernel_size: int, *, stride: int = 1,
              activation: str | None = None) -> dict:
    """Spec of a ``"same"``-padded, undilated Conv1d layer (ReLU fused if asked)."""
    spec = {"type": "conv1d", "in_channels": c_in, "out_channels": c_out,
            "kernel_size": kernel_size, "stride": stride, "padding": "same", "dilation": 1}
    if activation is not None:
        spec["activation"] = activation
    return spec


def mlp_head(in_features: int, n_classes: int, *, hidden: int = 64,
             dropout: float = 0.3) -> list[dict]:
    """Spec of Dense `hidden` + ReLU + dropout + Dense `n_classes`."""
    return [
        {"type": "dense", "in_features": in_features, "out_features": hidden},
        {"type": "relu"},
        {"type": "dropout", "p": dropout},
        {"type": "dense", "in_features": hidden, "out_features": n_classes},
    ]


def kachuee2018(n_classes: int = 5, input_length: int = 187, extra_inputs: int = 0,
                input_channels: int = 1) -> dict:
    """Spec of the residual CNN of Kachuee, Fazeli & Sarrafzadeh (ICHI 2018).

    conv(`input_channels` -> 32, k5, same); five residual blocks
    ``x -> ReLU(x + conv(ReLU(conv(x))))`` (32 channels, k5, same) each followed by
    max-pool (k5, stride 2), taking 187 samples to 92, 44, 20, 8, 2; flatten (64);
    Dense 32 + ReLU; Dense 32; Dense `n_classes`.
    55,013 parameters for 5 classes, 187 samples and 1 input channel (each more
    input channel adds 160).
    """
    features: list[dict] = [conv_spec(input_channels, 32, 5)]
    length = input_length
    for _ in range(5):
        features += [
            {"type": "residual",
             "layers": [conv_spec(32, 32, 5, activation="relu"), conv_spec(32, 32, 5)]},
            {"type": "relu"},
            {"type": "maxpool1d", "kernel_size": 5, "stride": 2},
        ]
        length = _pool_len(length, 5, 2)
    features.append({"type": "flatten"})
    head = [
        {"type": "dense", "in_features": 32 * length + extra_inputs, "out_features": 32},
        {"type": "relu"},
        {"type": "dense", "in_features": 32, "out_features": 32},
        {"type": "dense", "in_features": 32, "out_features": n_classes},
    ]
    return _spec("kachuee2018", n_classes, input_length, extra_inputs, features, head,
                 min_length=length, input_channels=input_channels)


def cnn_mlp(n_classes: int = 5, input_length: int = 187, extra_inputs: int = 0,
            input_channels: int = 1) -> dict:
    """Spec of a plain CNN with an MLP head.

    Three [conv (k7, k5, k3; 16, 32, 64 channels, same) + ReLU, max-pool 2] stages
    (the first reads `input_channels` channels), flatten, Dense 64 + ReLU, dropout
    0.3, Dense `n_classes` (103,525 parameters for 5 classes, 187 samples and one
    input channel).
    """
    features: list[dict] = []
    length, c_in = input_length, input_channels
    for c_out, k in ((16, 7), (32, 5), (64, 3)):
        features += [
            conv_spec(c_in, c_out, k, activation="relu"),
            {"type": "maxpool1d", "kernel_size": 2, "stride": 2},
        ]
        length, c_in = _pool_len(length, 2, 2), c_out
    features.append({"type": "flatten"})
    head = mlp_head(c_in * length + extra_inputs, n_classes)
    return _spec("cnn_mlp", n_classes, input_length, extra_inputs, features, head,
                 min_length=length, input_channels=input_channels)


def cnn4_dense4(n_classes: int = 5, input_length: int = 187, extra_inputs: int = 0,
                input_channels: int = 1) -> dict:
    """Spec of a CNN with four convolution and four dense layers.

    Four [conv (k5, same) + batch-norm + ReLU, max-pool 2] stages with 32, 32, 64, 64
    channels (the first reads `input_channels` channels), flatten, Dense 128 + ReLU +
    dropout 0.3, Dense 64 + ReLU, Dense 32 + ReLU, Dense `n_classes` (137,317
    parameters for 5 classes, 187 samples and one input channel).
    """
    features: list[dict] = []
    length, c_in = input_length, input_channels
    for c_out in (32, 32, 64, 64):
        features += [
            conv_spec(c_in, c_out, 5),
            {"type": "batchnorm1d", "num_features": c_out, "momentum": 0.1, "eps": 1e-5},
            {"type": "relu"},
            {"type": "maxpool1d", "kernel_size": 2, "stride": 2},
        ]
        length, c_in = _pool_len(length, 2, 2), c_out
    features.append({"type": "flatten"})
    head = [
        {"type": "dense", "in_features": c_in * length + extra_inputs, "out_features": 128},
        {"type": "relu"},
        {"type": "dropout", "p": 0.3},
        {"type": "dense", "in_features": 128, "out_features": 64},
        {"type": "relu"},
        {"type": "dense", "in_features": 64, "out_features": 32},
        {"type": "relu"},
        {"type": "dense", "in_features": 32, "out_features": n_classes},
    ]
    return _spec("cnn4_dense4", n_classes, input_length, extra_inputs, features, head,
                 min_length=length, input_channels=input_channels)


def large_kernel(n_classes: int = 5, input_length: int = 187, extra_inputs: int = 0,
                 input_channels: int = 1) -> dict:
    """Spec of a large-kernel CNN with an upsampling front end.

    Nearest upsampling x2 (of every input channel), conv (`input_channels` -> 16, k31,
    stride 2, same) + ReLU (back to the input length, but each output sees 31
    half-samples), max-pool 2, conv (16 -> 32, k15) + ReLU, max-pool 2, conv (32 -> 64,
    k7) + ReLU, average-pool 2, flatten, Dense 64 + ReLU, dropout 0.3, Dense
    `n_classes` (117,221 parameters for 5 classes, 187 samples and one input channel).
    """
    features: list[dict] = [{"type": "upsample1d", "scale": 2}]
    length = -(-(2 * input_length) // 2)
    c_in = input_channels
    for c_out, k, stride, pool in ((16, 31, 2, "maxpool1d"), (32, 15, 1, "maxpool1d"),
                                   (64, 7, 1, "avgpool1d")):
        features += [
            conv_spec(c_in, c_out, k, stride=stride, activation="relu"),
            {"type": pool, "kernel_size": 2, "stride": 2},
        ]
        length, c_in = _pool_len(length, 2, 2), c_out
    features.append({"type": "flatten"})
    head = mlp_head(c_in * length + extra_inputs, n_classes)
    return _spec("large_kernel", n_classes, input_length, extra_inputs, features, head,
                 min_length=length, input_channels=input_channels)


def _spec(name, n_classes, input_length, extra_inputs, features, head, min_length,
          input_channels=1) -> dict:
    input_channels = as_positive_int(input_channels, f"{name}: input_channels")
    if min_length < 1:
        raise ValueError(f"{name}: input_length={input_length} is too short for the "
                         "architecture's pooling stages")
    return {"format": SPEC_FORMAT, "name": name, "input_channels": int(input_channels),
            "input_length": int(input_length), "n_classes": int(n_classes),
            "extra_inputs": int(extra_inputs), "features": features, "head": head}


EXTRA_TRANSFORMS: tuple[str, ...] = ("log",)
"""Transforms a spec may apply to its extra inputs (``spec["extra_transform"]``)."""

ARCHITECTURES: dict[str, Callable[..., dict]] = {
    "kachuee2018": kachuee2018,
    "cnn_mlp": cnn_mlp,
    "cnn4_dense4": cnn4_dense4,
    "large_kernel": large_kernel,
}
