"""Transfer learning: which layers count, a new head for other classes, frozen layers.

:func:`parameterised_layers` lists the layers that ``trainable_layers`` counts,
:func:`with_n_classes` gives a trained model a fresh final layer for another number of
classes, ``init=`` copies a trained model's arrays (:func:`_copy_init`) and
:func:`_split_trainable` / :func:`_freeze_batchnorm` keep the first layers fixed.
"""

from __future__ import annotations

import json

from heartbeat._validate import as_int
from heartbeat.nn.layers import BatchNorm1d, Dense, Layer
from heartbeat.nn.model import Model

__all__ = ["parameterised_layers", "with_n_classes"]


def parameterised_layers(model: Model) -> list[tuple[str, Layer]]:
    """Return ``(name, layer)`` of the layers that own parameters, input to output.

    These are what ``trainable_layers`` counts: every :class:`~heartbeat.nn.Conv1d`,
    :class:`~heartbeat.nn.Dense` and :class:`~heartbeat.nn.BatchNorm1d` layer, in the
    order the input flows through them (feature stack depth-first, then the head);
    containers (residual blocks), activations, pooling, flatten and dropout do not
    count.  The Kachuee 2018 network has 14: the first convolution, the 2
    convolutions of each of the 5 residual blocks and the 3 dense layers.

    Parameters
    ----------
    model : Model
        Any :mod:`heartbeat.nn` model.

    Returns
    -------
    list of (str, Layer)
        Layer names as in :meth:`Model.named_params` (``"head.3"``) and the layers.

    Examples
    --------
    >>> import heartbeat.nn as nn
    >>> [name for name, _ in parameterised_layers(nn.build("kachuee2018"))][-3:]
    ['head.0', 'head.2', 'head.3']
    """
    return [(name, layer) for name, layer in model._named_layers if layer.params]


def _final_dense(model: Model) -> tuple[str, Layer]:
    """Return the name and layer of the model's last parameterised layer, a Dense one."""
    name, layer = parameterised_layers(model)[-1]
    if not isinstance(layer, Dense):
        raise ValueError(f"the last parameterised layer of {model!r} is not a Dense layer")
    return name, layer


def with_n_classes(model: Model, n_classes: int, *, seed: int = 0) -> Model:
    """Copy `model` with a freshly initialised final Dense layer for `n_classes` classes.

    Every other parameter and buffer is copied; the new model is in training mode.
    This is the starting point of transfer learning to a task with other classes.

    Parameters
    ----------
    model : Model
        A (trained) model whose last parameterised layer is Dense.
    n_classes : int
        Number of classes of the new task, >= 2.
    seed : int
        Seeds the new final layer (and the dropout masks).

    Returns
    -------
    Model

    Raises
    ------
    TypeError
        If `model` is not a Model or `n_classes` not an integer.
    ValueError
        If `n_classes` < 2 or the model does not end in a Dense layer.

    Examples
    --------
    >>> import heartbeat.nn as nn
    >>> two = with_n_classes(nn.build("kachuee2018"), 2)
    >>> two.spec["n_classes"], two.n_params
    (2, 54914)
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a heartbeat.nn.Model, got {type(model).__name__}")
    n_classes = as_int(n_classes, "n_classes", minimum=2)
    name, _ = _final_dense(model)
    spec = json.loads(json.dumps(model.spec))
    spec["n_classes"] = int(n_classes)
    last = next(i for i in range(len(spec["head"]) - 1, -1, -1)
                if spec["head"][i]["type"] == "dense")
    spec["head"][last]["out_features"] = int(n_classes)
    new = Model(spec, seed=seed, dtype=model.dtype, backend=model.backend)
    arrays = {**model.named_params(), **model.named_buffers()}
    keep = {**new.named_params(), **new.named_buffers()}
    new.set_arrays({k: (arrays[k] if not k.startswith(name + ".") else keep[k]) for k in keep})
    return new.train()


def _copy_init(model: Model, init: object) -> None:
    """Copy every array of `init` into `model` (``fit(init=)``); only the head may differ."""
    if not isinstance(init, Model):
        raise TypeError(f"init must be a heartbeat.nn.Model, got {type(init).__name__}")
    own = {**model.named_params(), **model.named_buffers()}
    src = {**init.named_params(), **init.named_buffers()}
    head_name, _ = _final_dense(model)
    arrays = {}
    for k, dst in own.items():
        s = src.get(k)
        if s is not None and s.shape == dst.shape:
            arrays[k] = s
        elif k.startswith(head_name + "."):
            arrays[k] = dst  # another number of classes: keep the fresh final layer
        else:
            got = None if s is None else s.shape
            raise ValueError(f"init does not match the model: array {k!r} has shape "
                             f"{got} in init and {dst.shape} in the model; only the final "
                             "Dense layer may differ")
    model.set_arrays(arrays)


def _split_trainable(model: Model, trainable_layers: int | None
                     ) -> tuple[list[tuple[str, Layer]], list[tuple[str, Layer]]]:
    """(frozen, trained) parameterised layers: the last `trainable_layers` train (None: all)."""
    layers = parameterised_layers(model)
    k = len(layers) if trainable_layers is None else trainable_layers
    return layers[: len(layers) - k], layers[len(layers) - k:]


def _freeze_batchnorm(frozen: list[tuple[str, Layer]]) -> None:
    """Let frozen batch-norm layers use their running statistics in training mode."""
    for _, layer in frozen:
        if isinstance(layer, BatchNorm1d):
            layer.training = False
