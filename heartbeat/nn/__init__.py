"""A small 1-D CNN engine on NumPy with Numba kernels.

It trains and classifies beats without a deep-learning framework.

>>> import numpy as np
>>> import heartbeat.nn as nn
>>> model = nn.build("kachuee2018", n_classes=5, seed=0)
>>> model.n_params
55013
>>> opt = nn.Adam(model.params(), lr=1e-3, lr_decay=0.75, decay_every=10_000)
>>> x, y = np.zeros((4, 187), np.float32), np.array([0, 1, 2, 3])
>>> model.zero_grad()
>>> loss, dlogits = nn.softmax_cross_entropy(model.forward(x), y)
>>> _ = model.backward(dlogits, input_grad=False)
>>> opt.step(model.grads())

Modules: :mod:`.layers` (forward/backward), :mod:`.kernels` (Numba kernels and NumPy
twins), :mod:`.losses`, :mod:`.optim`, :mod:`.architectures` (the named specs), :mod:`.model`
(the container, spec checks, build), :mod:`.ensemble` (models whose logits are
averaged), :mod:`.threads` (how passes run: one at a time, split over threads, BLAS on
one thread meanwhile), :mod:`.io` (save/load).
"""

from heartbeat.nn import lstm  # noqa: F401  (registers the "lstm" and "bilstm" layers)
from heartbeat.nn.architectures import ARCHITECTURES
from heartbeat.nn.ensemble import Ensemble
from heartbeat.nn.io import load, save
from heartbeat.nn.layers import (
    AvgPool1d,
    BatchNorm1d,
    Conv1d,
    Dense,
    Dropout,
    Flatten,
    Layer,
    LeakyReLU,
    MaxPool1d,
    ReLU,
    Residual,
    Sequential,
    Upsample1d,
    layer_from_config,
)
from heartbeat.nn.losses import softmax, softmax_cross_entropy
from heartbeat.nn.model import Model, build
from heartbeat.nn.optim import SGD, Adam, clip_grad_norm

__all__ = [
    "ARCHITECTURES", "SGD", "Adam", "AvgPool1d", "BatchNorm1d", "Conv1d", "Dense", "Dropout",
    "Ensemble", "Flatten", "Layer", "LeakyReLU", "MaxPool1d", "Model", "ReLU", "Residual",
    "Sequential", "Upsample1d", "build", "clip_grad_norm", "layer_from_config", "load",
    "save", "softmax", "softmax_cross_entropy",
]
