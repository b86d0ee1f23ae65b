"""The public :func:`fit`: checks every argument once, then runs the training loop."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from heartbeat._validate import as_int, as_positive_int
from heartbeat.nn.model import Model
from heartbeat.nn.optim import Optimizer
from heartbeat.training.checkpoints import CHECKPOINT_NAME
from heartbeat.training.history import History
from heartbeat.training.inputs import _as_train_data, _as_validation
from heartbeat.training.loop import _default_optimizer, _fit, _trained_params
from heartbeat.training.sampling import SAMPLERS, _balanced_class_weights
from heartbeat.training.settings import FitSettings
from heartbeat.training.transfer import _copy_init, _split_trainable, parameterised_layers

__all__ = ["fit"]


def _as_optimizer(optimizer: object, params: list[np.ndarray]) -> Optimizer:
    """Return the optimiser of the trained `params`: the default, a given one or built."""
    if optimizer is None:
        return _default_optimizer(params)
    if isinstance(optimizer, Optimizer):
        if len(optimizer.params) != len(params) or any(
                a is not b for a, b in zip(optimizer.params, params, strict=False)):
            raise ValueError("optimizer must be built on exactly the trained parameters "
                             "(model.params(), or only the trainable ones with "
                             "trainable_layers); pass a factory such as "
                             "lambda params: nn.Adam(params, lr=1e-3) instead")
        return optimizer
    if callable(optimizer):
        opt = optimizer(params)
        if not isinstance(opt, Optimizer):
            raise TypeError(f"optimizer factory returned {type(opt).__name__}, not a "
                            "heartbeat.nn optimiser")
        return opt
    raise TypeError(f"optimizer must be None, a heartbeat.nn optimiser or a factory "
                    f"params -> optimiser, got {type(optimizer).__name__}")


def _as_upsample(upsample: object, sampler: str, counts: np.ndarray) -> int | None:
    """Return the per-class target of ``upsample=`` (True: the largest class), None: off."""
    if upsample is False or upsample is None:
        return None
    if sampler != "shuffle":
        raise ValueError(f"upsample={upsample!r} works with sampler='shuffle' (the "
                         "balanced sampler already evens out the classes)")
    if upsample is True:
        return int(counts.max())
    return as_positive_int(upsample, "upsample")


def _as_class_weights(class_weights: object, counts: np.ndarray) -> tuple[float, ...] | None:
    """Return the loss weight of each class (``"balanced"``: inverse counts), None: equal."""
    if class_weights is None:
        return None
    if isinstance(class_weights, str):
        if class_weights != "balanced":
            raise ValueError(f"class_weights={class_weights!r}: give weights or 'balanced'")
        return tuple(_balanced_class_weights(counts).tolist())
    n_classes = len(counts)
    cw = np.asarray(class_weights, dtype=np.float64)
    if cw.shape != (n_classes,) or not np.isfinite(cw).all() or (cw < 0).any() or \
            not (cw > 0).any():
        raise ValueError(f"class_weights must be {n_classes} finite values >= 0, not "
                         f"all 0; got {class_weights!r}")
    return tuple(cw.tolist())


def _checkpoint_path(checkpoint_dir: str | os.PathLike | None, resume: bool) -> Path | None:
    """Return the checkpoint file in `checkpoint_dir` (created), None without one."""
    if checkpoint_dir is None:
        if resume:
            raise ValueError("resume=True needs checkpoint_dir=")
        return None
    folder = Path(checkpoint_dir)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"checkpoint_dir={str(folder)!r} exists and is not a folder; name "
                         "a folder for the checkpoint (it is created when missing)")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / CHECKPOINT_NAME


def fit(
    model: Model,
    x: Any,
    y: Any = None,
    *,
    validation: Any = None,
    epochs: int = 10,
    batch_size: int = 128,
    sampler: str = "balanced",
    upsample: bool | int = False,
    optimizer: Optimizer | Callable[[list[np.ndarray]], Optimizer] | None = None,
    class_weights: Any = None,
    early_stopping: int | None = None,
    extra: Any = None,
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = False,
    seed: int = 0,
    quiet: bool = False,
    init: Model | None = None,
    trainable_layers: int | None = None,
    callback: Callable[[int, Model, History], None] | None = None,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
) -> History:
    """Train `model` in place on labelled beats and return the per-epoch history.

    Parameters
    ----------
    model : heartbeat.nn.Model
        The model to train (e.g. ``nn.build("kachuee2018")``); its weights change in
        place.  Its spec fixes the beat length, the number of classes and whether
        `extra` inputs are needed.
    x : ndarray, shape (n, L) or (n, C, L), or BeatSet
        Training beats.  A :class:`~heartbeat.datasets.BeatSet` brings its labels
        (`y` must then be None) and, for a model with ``extra_inputs=3``, its RR
        features as `extra`.
    y : array_like of int, shape (n,)
        Class codes ``0 .. n_classes - 1``.
    validation : BeatSet or tuple, optional
        ``(x_val, y_val)``, ``(x_val, y_val, extra_val)`` or a BeatSet, scored after
        every epoch.  Needed for `early_stopping`.
    epochs : int, default 10
        Number of epochs (maximum with early stopping).  An epoch draws
        ``ceil(n / batch_size)`` batches (with `upsample`, ``ceil(n_upsampled /
        batch_size)``).
    batch_size : int, default 128
        Beats per step.
    sampler : {"balanced", "shuffle"}, default "balanced"
        ``"balanced"``: every batch holds each class present in `y` equally often
        (each class cycles through its beats in a fresh random order, so rare beats
        repeat within an epoch and common ones are subsampled).  ``"shuffle"``: every
        beat once per epoch in random order.
    upsample : bool or int, default False
        With ``sampler="shuffle"``: top each class up to this many beats per epoch by
        drawing its beats again at random (True: up to the largest class).
    optimizer : optimiser or callable, optional
        A :mod:`heartbeat.nn` optimiser built on the trained parameters, or a factory
        ``params -> optimiser``.  Default: Adam as Kachuee 2018, ``lr=1e-3`` times 0.75
        every 10,000 iterations.
    class_weights : array_like of float, shape (n_classes,), or "balanced", optional
        Loss weight of each class (``"balanced"``: inversely proportional to the class
        counts of `y`).  Default: equal.
    early_stopping : int, optional
        Patience: stop after this many epochs without a higher validation macro-F1
        and restore the weights of the best epoch.
    extra : ndarray, shape (n, k), optional
        Extra per-beat inputs (e.g. RR features) for a model built with
        ``extra_inputs=k``.
    checkpoint_dir : path, optional
        Folder for ``checkpoint.npz``, written atomically after every epoch: model
        arrays, optimiser state, dropout-generator states, history, early-stopping
        state and the epoch.  A crash loses at most the epoch in progress.
    resume : bool, default False
        Continue from the checkpoint in `checkpoint_dir` (start afresh when there is
        none).  The run must have the same model architecture, data and settings
        (checked); the result is bit for bit that of an uninterrupted run.
    seed : int, default 0
        Seeds the sampler (epoch ``e`` draws from a generator seeded by ``(seed, e)``).
        Weights and dropout masks are seeded when the model is built.
    quiet : bool, default False
        Silence the progress line on stderr.
    init : Model, optional
        Copy all parameters and buffers from this model first (transfer learning).
        Only the final Dense layer may differ in shape (another number of classes);
        it then keeps `model`'s fresh initialisation.
    trainable_layers : int, optional
        Train only the last k parameterised layers (see :func:`parameterised_layers`
        for what counts as a layer); the others keep their arrays exactly, and frozen
        batch-norm layers use their running statistics.  Default: all.
    callback : callable, optional
        Called as ``callback(epoch, model, history)`` after each epoch (1-based) and
        its checkpoint, with the model in evaluation mode (e.g. to score a test set
        over time); its run time is not part of the history.  It must not change
        the model.
    augment : callable, optional
        Called as ``augment(x_batch, rng)`` on every training batch before the
        forward pass; it returns beats of the same shape (for example a
        :class:`~heartbeat.training.augment.Augmenter`, which imitates other
        recordings).  `rng` is a ``numpy.random.Generator`` seeded by ``(seed,
        epoch)``, so augmented runs are reproducible and resume exactly.  Validation
        beats are never augmented.

    Returns
    -------
    History
        Per-epoch loss, accuracy and macro-F1 (training and validation), beats/s,
        epoch times and the best epoch.

    Raises
    ------
    TypeError
        If `model` or `init` is not a Model, labels or beats have a wrong dtype, or an
        integer option (`epochs`, `batch_size`, `seed`, `early_stopping`, `upsample`,
        `trainable_layers`) is not an integer.
    ValueError
        If shapes disagree with the model or with each other, labels lie outside
        ``0 .. n_classes - 1``, beats or extra inputs hold NaN or inf, an option is
        out of range, or the checkpoint belongs to another run.

    Notes
    -----
    Determinism: given the model's initial state, the data, the options and `seed`,
    the result is reproducible on one machine and one BLAS thread count (the Numba
    kernels are serial; NumPy's matrix products are deterministic for a fixed thread
    count).  Training metrics are those of the batches as drawn (balanced by
    default), so they are not comparable with the validation figures.

    Examples
    --------
    >>> import numpy as np, heartbeat.nn as nn
    >>> rng = np.random.default_rng(1)
    >>> x = rng.random((60, 187), dtype=np.float32)
    >>> y = np.array([0] * 50 + [1] * 10)
    >>> x[y == 1, :20] += 2.0
    >>> model = nn.build("cnn_mlp", n_classes=2, seed=0)
    >>> h = fit(model, x, y, validation=(x, y), epochs=4, batch_size=20,
    ...         early_stopping=2, quiet=True)
    >>> h.best_epoch is not None, len(h.val_macro_f1) == h.n_epochs
    (True, True)
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a heartbeat.nn.Model, got {type(model).__name__}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    if augment is not None and not callable(augment):
        raise TypeError(f"augment must be callable as augment(x, rng), such as "
                        f"heartbeat.training.Augmenter(), got {type(augment).__name__}")
    epochs = as_positive_int(epochs, "epochs")
    batch_size = as_positive_int(batch_size, "batch_size")
    seed = as_int(seed, "seed", minimum=0)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} must be one of {', '.join(SAMPLERS)}")
    train = _as_train_data(x, y, extra, model)
    val = _as_validation(validation, model)
    if early_stopping is not None:
        early_stopping = as_positive_int(early_stopping, "early_stopping")
        if val is None:
            raise ValueError("early_stopping needs a validation set: pass validation=")
    counts = np.bincount(train.y, minlength=model.spec["n_classes"])
    up = _as_upsample(upsample, sampler, counts)
    cw = _as_class_weights(class_weights, counts)
    if init is not None:
        _copy_init(model, init)
    n_layers = len(parameterised_layers(model))
    if trainable_layers is not None:
        trainable_layers = as_positive_int(trainable_layers, "trainable_layers")
        if trainable_layers > n_layers:
            raise ValueError(f"trainable_layers={trainable_layers} exceeds the {n_layers} "
                             "parameterised layers of the model")
    _, trained = _split_trainable(model, trainable_layers)
    opt = _as_optimizer(optimizer, _trained_params(trained))
    settings = FitSettings(
        epochs=epochs, batch_size=batch_size, sampler=sampler, upsample=up,
        class_weights=cw, early_stopping=early_stopping, trainable_layers=trainable_layers,
        checkpoint=_checkpoint_path(checkpoint_dir, resume), resume=bool(resume), seed=seed,
        quiet=bool(quiet), callback=callback, augment=augment)
    return _fit(model, train.x, train.y, extra=train.extra, validation=val,
                settings=settings, optimizer=opt)
