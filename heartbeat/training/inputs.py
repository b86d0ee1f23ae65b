"""Training inputs: beats, labels and extra inputs from arrays or a BeatSet, checked once.

:func:`_as_train_data` and :func:`_as_validation` turn what :func:`fit` was given into
:class:`~heartbeat.training.settings.TrainData` that fits the model (its beat length,
channels, number of classes and extra inputs); the loop trusts them.
"""

from __future__ import annotations

import numpy as np

from heartbeat._validate import as_array, as_beats, as_labels, check_finite, is_real_dtype
from heartbeat.nn.model import Model
from heartbeat.training.settings import TrainData


def _as_model_beats(x: object, name: str, model: Model) -> np.ndarray:
    """Return beats of the model's shape as a C-contiguous finite array of its dtype."""
    c, length = model.spec["input_channels"], model.spec["input_length"]
    arr = as_array(x, name, "an array of beats")
    fits = (arr.ndim == 2 and c == 1 and arr.shape[1] == length) or (
        arr.ndim == 3 and arr.shape[1:] == (c, length))
    if is_real_dtype(arr.dtype) and not fits:  # the model's shape, not segment()'s
        want = f"(n, {length})" if c == 1 else f"(n, {c}, {length})"
        raise ValueError(f"{name} must have shape {want} for this model, got {arr.shape}")
    arr = as_beats(arr, name, length=length, channels=c, dtype=model.dtype)
    if len(arr) == 0:
        raise ValueError(f"{name} is empty: give at least one beat")
    return arr


def _as_codes(y: object, name: str, n: int, n_classes: int) -> np.ndarray:
    """Return integer class codes ``0 .. n_classes - 1`` for the model's output layer."""
    arr = as_array(y, name, "a 1-D array of class codes")
    if arr.dtype.kind == "f":  # training takes codes, never scores or probabilities
        raise TypeError(f"{name} must hold integer class codes, got dtype {arr.dtype}")
    codes = as_labels(arr, name, n=n)
    if n and codes.max() >= n_classes:
        raise ValueError(f"{name} holds labels {int(codes.min())}..{int(codes.max())}, "
                         f"outside 0..{n_classes - 1} for a model with n_classes={n_classes}; "
                         "use with_n_classes() to change the number of classes")
    return codes


def _as_extra(extra: object, name: str, model: Model, n: int) -> np.ndarray | None:
    """Return the (n, k) extra inputs of a model with ``extra_inputs=k`` (None for 0)."""
    k = model.spec["extra_inputs"]
    if k == 0:
        if extra is not None:
            raise ValueError(f"{name} was given but the model has extra_inputs=0; build "
                             f"it with extra_inputs={np.shape(extra)[-1]}")
        return None
    if extra is None:
        raise ValueError(f"the model has extra_inputs={k}: give {name} with shape "
                         f"({n}, {k}) (e.g. BeatSet.rr)")
    arr = as_array(extra, name)
    if arr.shape != (n, k):
        raise ValueError(f"{name} must have shape ({n}, {k}), got {arr.shape}")
    if not is_real_dtype(arr.dtype):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=model.dtype)
    check_finite(arr, name, "RR features are NaN for sets that do not know them, such as "
                            "the Kaggle files")
    return arr


def _as_train_data(data: object, y: object, extra: object, model: Model,
                   prefix: str = "") -> TrainData:
    """Check beats (an array or a BeatSet), labels and extra inputs against `model`."""
    from heartbeat.datasets import BeatSet

    if isinstance(data, BeatSet):
        if y is not None:
            raise ValueError(f"{prefix}x is a BeatSet, which has its labels: pass y=None")
        y = data.y
        if extra is None and model.spec["extra_inputs"]:
            extra = data.rr
        data = data.x
    elif y is None:
        raise ValueError(f"{prefix}y is missing: give labels or pass a BeatSet as "
                         f"{prefix}x")
    x = _as_model_beats(data, f"{prefix}x", model)
    n = len(x)
    if np.shape(y)[:1] != (n,):
        raise ValueError(f"{prefix}x has {n} beats but {prefix}y has shape "
                         f"{np.shape(y)}: give one label per beat")
    labels = _as_codes(y, f"{prefix}y", n, model.spec["n_classes"])
    return TrainData(x, labels, _as_extra(extra, f"{prefix}extra", model, n))


def _as_validation(validation: object, model: Model) -> TrainData | None:
    """Check a validation BeatSet or tuple ``(x, y)`` / ``(x, y, extra)``; None passes."""
    from heartbeat.datasets import BeatSet

    if validation is None:
        return None
    if isinstance(validation, BeatSet):
        return _as_train_data(validation, None, None, model, "validation ")
    if isinstance(validation, (tuple, list)) and len(validation) in (2, 3):
        return _as_train_data(validation[0], validation[1],
                              validation[2] if len(validation) == 3 else None, model,
                              "validation ")
    raise TypeError("validation must be a BeatSet or a tuple (x_val, y_val) or "
                    f"(x_val, y_val, extra_val), got {type(validation).__name__}")
