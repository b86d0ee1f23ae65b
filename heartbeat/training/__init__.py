"""Training loop for :mod:`heartbeat.nn` models: sampling, validation, early stopping.

:func:`fit` trains a model on beats with Adam as Kachuee et al. (2018) did (learning
rate 1e-3, multiplied by 0.75 every 10,000 iterations), draws class-balanced batches
by default, scores a validation set after every epoch (loss, accuracy, macro-F1),
stops early on the validation macro-F1 and keeps the best weights, writes a
checkpoint after every epoch and resumes an interrupted run to exactly the result of
an uninterrupted one.  It also fine-tunes: ``init=`` copies a trained model's weights
and ``trainable_layers=k`` trains only the last k parameterised layers.

>>> import numpy as np
>>> import heartbeat.nn as nn
>>> from heartbeat.train import fit
>>> rng = np.random.default_rng(0)
>>> x = rng.random((64, 187), dtype=np.float32)
>>> y = np.repeat(np.arange(2), 32)
>>> x[y == 1, 90:100] += 1.0  # class 1 has a bump
>>> model = nn.build("cnn_mlp", n_classes=2, seed=0)
>>> history = fit(model, x, y, epochs=3, batch_size=16, quiet=True)
>>> history.n_epochs, len(history.train_loss)
(3, 3)
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from heartbeat import nn
from heartbeat._atomic import atomic_open
from heartbeat.metrics import macro_f1
from heartbeat.nn.layers import BatchNorm1d, Dense, Layer
from heartbeat.nn.model import Model
from heartbeat.nn.optim import Optimizer

__all__ = ["CHECKPOINT_NAME", "SAMPLERS", "History", "fit", "parameterised_layers",
           "with_n_classes"]

SAMPLERS: tuple[str, ...] = ("balanced", "shuffle")
CHECKPOINT_NAME = "checkpoint.npz"
_CHECKPOINT_FORMAT = 1


# ================================================================ result
@dataclass(frozen=True)
class History:
    """Per-epoch figures of a :func:`fit` run (epoch 1 first).

    The field names are those :func:`heartbeat.plot.plot_training_curves` reads, so
    ``plot_training_curves(history)`` draws the curves.

    Attributes
    ----------
    train_loss, train_accuracy, train_macro_f1 : tuple of float
        Mean loss, accuracy and macro-F1 of the training batches of each epoch, as
        seen while training (training mode, weights changing during the epoch, on
        the batches the sampler drew: class-balanced by default).
    val_loss, val_accuracy, val_macro_f1 : tuple of float
        The same on the validation set after each epoch (evaluation mode, unweighted
        loss); empty tuples without a validation set.
    beats_per_s : tuple of float
        Training beats per second of each epoch (forward, backward and update).
    epoch_time_s : tuple of float
        Wall time of each epoch including validation and checkpoint, in seconds.
    best_epoch : int or None
        Epoch (1-based) with the highest validation macro-F1 (the first on ties);
        None without a validation set.
    stopped_early : bool
        True when early stopping ended the run before `epochs`.
    restored_best : bool
        True when the model holds the weights of `best_epoch` rather than those of
        the last epoch (early stopping restores them).
    """

    train_loss: tuple[float, ...] = ()
    train_accuracy: tuple[float, ...] = ()
    train_macro_f1: tuple[float, ...] = ()
    val_loss: tuple[float, ...] = ()
    val_accuracy: tuple[float, ...] = ()
    val_macro_f1: tuple[float, ...] = ()
    beats_per_s: tuple[float, ...] = ()
    epoch_time_s: tuple[float, ...] = ()
    best_epoch: int | None = None
    stopped_early: bool = False
    restored_best: bool = False

    @property
    def n_epochs(self) -> int:
        """Number of epochs trained."""
        return len(self.train_loss)

    @property
    def total_time_s(self) -> float:
        """Summed wall time of the epochs, in seconds."""
        return float(sum(self.epoch_time_s))

    def to_dict(self) -> dict[str, Any]:
        """Return the history as a JSON-ready dict of lists and scalars."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


_SERIES = ("train_loss", "train_accuracy", "train_macro_f1", "val_loss", "val_accuracy",
           "val_macro_f1", "beats_per_s", "epoch_time_s")


# ================================================================ layers
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
        If `model` is not a Model.
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
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or \
            n_classes < 2:
        raise ValueError(f"n_classes={n_classes!r} must be an integer >= 2")
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


# ================================================================ validation
def _as_labels(y: object, name: str, n: int, n_classes: int) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype == bool or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class codes, got dtype {y.dtype}")
    if y.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) (one label per beat), got "
                         f"{y.shape}")
    if n and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} holds labels {int(y.min())}..{int(y.max())}, outside "
                         f"0..{n_classes - 1} for a model with n_classes={n_classes}; use "
                         f"with_n_classes() to change the number of classes")
    return y.astype(np.int64)


def _as_beats(x: object, name: str, model: Model) -> np.ndarray:
    spec = model.spec
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an array of beats: {exc}") from None
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)) \
            or x.dtype == bool:
        raise TypeError(f"{name} must hold numbers, got dtype {x.dtype}")
    c, length = spec["input_channels"], spec["input_length"]
    if x.ndim == 2 and c == 1:
        ok = x.shape[1] == length
    else:
        ok = x.ndim == 3 and x.shape[1:] == (c, length)
    if not ok:
        want = f"(n, {length})" if c == 1 else f"(n, {c}, {length})"
        raise ValueError(f"{name} must have shape {want} for this model, got {x.shape}")
    if len(x) == 0:
        raise ValueError(f"{name} is empty: give at least one beat")
    x = np.ascontiguousarray(x, dtype=model.dtype)
    if not np.isfinite(x).all():
        bad = int(np.flatnonzero(~np.isfinite(x).reshape(len(x), -1).all(axis=1))[0])
        raise ValueError(f"{name} holds NaN or infinite values (first in beat {bad}); "
                         "drop or repair those beats")
    return x


def _as_extra(extra: object, name: str, model: Model, n: int) -> np.ndarray | None:
    k = model.spec["extra_inputs"]
    if k == 0:
        if extra is not None:
            raise ValueError(f"{name} was given but the model has extra_inputs=0; build "
                             f"it with extra_inputs={np.shape(extra)[-1]}")
        return None
    if extra is None:
        raise ValueError(f"the model has extra_inputs={k}: give {name} with shape "
                         f"({n}, {k}) (e.g. BeatSet.rr)")
    extra = np.asarray(extra)
    if extra.shape != (n, k):
        raise ValueError(f"{name} must have shape ({n}, {k}), got {extra.shape}")
    if not np.issubdtype(extra.dtype, np.number) or extra.dtype == bool:
        raise TypeError(f"{name} must hold numbers, got dtype {extra.dtype}")
    extra = np.ascontiguousarray(extra, dtype=model.dtype)
    if not np.isfinite(extra).all():
        raise ValueError(f"{name} holds NaN or infinite values (RR features are NaN for "
                         "sets that do not know them, such as the Kaggle files)")
    return extra


def _unpack(data: object, y: object, extra: object, model: Model,
            prefix: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
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
    x = _as_beats(data, f"{prefix}x", model)
    n = len(x)
    if np.shape(y)[:1] != (n,):
        raise ValueError(f"{prefix}x has {n} beats but {prefix}y has shape "
                         f"{np.shape(y)}: give one label per beat")
    labels = _as_labels(y, f"{prefix}y", n, model.spec["n_classes"])
    return x, labels, _as_extra(extra, f"{prefix}extra", model, n)


def _check_int(value: object, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}={value!r} must be an integer >= {low}")
    return int(value)


# ================================================================ sampling
def _epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """Return the sampler's generator for `epoch` (0-based), a pure function of both."""
    return np.random.default_rng(np.random.SeedSequence([seed, epoch, 0x5EED]))


def _balanced_indices(y: np.ndarray, n_classes: int, n_batches: int, batch_size: int,
                      rng: np.random.Generator) -> np.ndarray:
    """(n_batches, batch_size) indices with every present class equally often per batch.

    Each class is walked in a fresh random order, repeated as often as needed (a class
    of m beats contributes each beat once before any beat twice); the remainder of
    ``batch_size / n_present`` goes to randomly chosen classes, and each batch is
    shuffled.
    """
    members = [np.flatnonzero(y == c) for c in range(n_classes)]
    present = [m for m in members if len(m)]
    k = len(present)
    counts = np.full((n_batches, k), batch_size // k, dtype=np.int64)
    rem = batch_size - k * (batch_size // k)
    for b in range(n_batches):
        counts[b, rng.choice(k, size=rem, replace=False)] += 1
    per_class = []
    for j, m in enumerate(present):
        need = int(counts[:, j].sum())
        reps = -(-need // len(m))
        stream = np.concatenate([m[:0], *(rng.permutation(m) for _ in range(reps))])[:need]
        per_class.append(np.split(stream, np.cumsum(counts[:, j])[:-1]))
    out = np.empty((n_batches, batch_size), dtype=np.int64)
    for b in range(n_batches):
        out[b] = rng.permutation(np.concatenate([per_class[j][b] for j in range(k)]))
    return out


def _shuffle_indices(y: np.ndarray, n_classes: int, upsample: int | None,
                     rng: np.random.Generator) -> np.ndarray:
    """One epoch's order: every beat once, minority classes topped up to `upsample`."""
    if upsample is None:
        return rng.permutation(len(y))
    pool = []
    for c in range(n_classes):
        m = np.flatnonzero(y == c)
        if len(m) == 0:
            continue
        pool.append(m)
        if len(m) < upsample:
            pool.append(rng.choice(m, size=upsample - len(m), replace=True))
    return rng.permutation(np.concatenate(pool))


# ================================================================ progress
def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    s = round(seconds)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _Progress:
    """One status line on a stream: redrawn in place on a TTY, one line per epoch else."""

    def __init__(self, stream: TextIO | None, epochs: int, n_batches: int) -> None:
        self.stream = stream
        self.epochs, self.n_batches = epochs, n_batches
        isatty = getattr(stream, "isatty", None)
        self.tty = bool(stream is not None and callable(isatty) and isatty())
        self.last = 0.0
        self.width = 0

    def _write(self, text: str, end: str) -> None:
        assert self.stream is not None
        if self.tty:
            pad = max(0, self.width - len(text))
            self.stream.write("\r" + text + " " * pad + end)
            self.width = 0 if end else len(text)
        else:
            self.stream.write(text + end)
        self.stream.flush()

    def batch(self, epoch: int, batch: int, loss: float, acc: float, rate: float,
              eta_s: float) -> None:
        if self.stream is None or not self.tty:
            return
        now = time.perf_counter()
        if now - self.last < 0.2 and batch < self.n_batches:
            return
        self.last = now
        self._write(f"epoch {epoch}/{self.epochs}  batch {batch}/{self.n_batches}  "
                    f"loss {loss:.4f}  acc {100 * acc:.1f}%  {rate:,.0f} beats/s  "
                    f"ETA {_clock(eta_s)}", "")

    def epoch(self, epoch: int, loss: float, acc: float, f1: float, rate: float,
              val: tuple[float, float, float] | None, epoch_s: float, eta_s: float,
              note: str) -> None:
        if self.stream is None:
            return
        text = (f"epoch {epoch}/{self.epochs}  batch {self.n_batches}/{self.n_batches}  "
                f"loss {loss:.4f}  acc {100 * acc:.1f}%  f1 {f1:.3f}")
        if val is not None:
            text += f"  val_loss {val[0]:.4f}  val_acc {100 * val[1]:.2f}%  val_f1 {val[2]:.4f}"
        text += f"  {rate:,.0f} beats/s  {epoch_s:.1f} s  ETA {_clock(eta_s)}{note}"
        self._write(text, "\n")


# ================================================================ checkpoints
def _data_crc(*arrays: np.ndarray | None) -> int:
    crc = 0
    for a in arrays:
        if a is not None:
            crc = zlib.crc32(np.ascontiguousarray(a).view(np.uint8).reshape(-1), crc)
    return crc


def _rng_states(model: Model) -> str:
    return json.dumps([layer.rng.bit_generator.state for _, layer in model._named_layers
                       if hasattr(layer, "rng")])


def _set_rng_states(model: Model, text: str) -> None:
    states = json.loads(text)
    layers = [layer for _, layer in model._named_layers if hasattr(layer, "rng")]
    for layer, state in zip(layers, states, strict=True):
        layer.rng.bit_generator.state = state


def _model_arrays(model: Model) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in {**model.named_params(), **model.named_buffers()}.items()}


@dataclass
class _State:
    """Everything a resumed run needs besides the model and optimiser arrays."""

    epoch: int = 0
    series: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in _SERIES})
    best_f1: float = -math.inf
    best_epoch: int | None = None
    best_arrays: dict[str, np.ndarray] | None = None
    wait: int = 0
    done: bool = False
    stopped_early: bool = False
    restored_best: bool = False


def _write_checkpoint(path: Path, model: Model, opt: Optimizer, state: _State,
                      fingerprint: dict[str, Any]) -> None:
    arrays: dict[str, np.ndarray] = {}
    arrays |= {f"model/{k}": v for k, v in _model_arrays(model).items()}
    arrays |= {f"opt/{k}": v for k, v in opt.state_dict().items()}
    if state.best_arrays is not None:
        arrays |= {f"best/{k}": v for k, v in state.best_arrays.items()}
    meta = {"format": _CHECKPOINT_FORMAT, "fingerprint": fingerprint, "epoch": state.epoch,
            "series": state.series, "best_f1": state.best_f1, "best_epoch": state.best_epoch,
            "wait": state.wait, "done": state.done, "stopped_early": state.stopped_early,
            "restored_best": state.restored_best, "dropout_rng": _rng_states(model)}
    arrays["meta"] = np.array(json.dumps(meta))
    with atomic_open(path) as fh:
        np.savez(fh, **arrays)


def _read_checkpoint(path: Path, model: Model, opt: Optimizer,
                     fingerprint: dict[str, Any]) -> _State:
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
        meta = json.loads(str(data.pop("meta")))
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise ValueError(f"checkpoint {str(path)!r} is unreadable ({exc}); delete it to "
                         "start afresh") from None
    if meta.get("format") != _CHECKPOINT_FORMAT:
        raise ValueError(f"checkpoint {str(path)!r} has format {meta.get('format')!r}, "
                         f"expected {_CHECKPOINT_FORMAT}")
    if meta["fingerprint"] != fingerprint:
        diff = sorted(k for k in set(fingerprint) | set(meta["fingerprint"])
                      if fingerprint.get(k) != meta["fingerprint"].get(k))
        raise ValueError(f"checkpoint {str(path)!r} belongs to another run (differs in "
                         f"{diff}); resume with the same model, data and settings, or use "
                         "another checkpoint_dir")
    model.set_arrays({k[6:]: v for k, v in data.items() if k.startswith("model/")})
    opt.load_state_dict({k[4:]: v for k, v in data.items() if k.startswith("opt/")})
    _set_rng_states(model, meta["dropout_rng"])
    best = {k[5:]: v for k, v in data.items() if k.startswith("best/")}
    return _State(epoch=int(meta["epoch"]), series={k: list(v) for k, v in
                                                    meta["series"].items()},
                  best_f1=float(meta["best_f1"]), best_epoch=meta["best_epoch"],
                  best_arrays=best or None, wait=int(meta["wait"]), done=bool(meta["done"]),
                  stopped_early=bool(meta["stopped_early"]),
                  restored_best=bool(meta["restored_best"]))


# ================================================================ fit
def _make_optimizer(optimizer: object, params: list[np.ndarray]) -> Optimizer:
    if optimizer is None:
        return nn.Adam(params, lr=1e-3, lr_decay=0.75, decay_every=10_000)
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


def _copy_init(model: Model, init: object) -> None:
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


def _evaluate(model: Model, x: np.ndarray, y: np.ndarray, extra: np.ndarray | None,
              n_classes: int) -> tuple[float, float, float]:
    logits = model.predict_logits(x, extra, batch_size=512)
    loss, _ = nn.softmax_cross_entropy(logits, y)
    pred = logits.argmax(axis=1)
    return float(loss), float(np.mean(pred == y)), macro_f1(y, pred, n_classes)


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

    Returns
    -------
    History
        Per-epoch loss, accuracy and macro-F1 (training and validation), beats/s,
        epoch times and the best epoch.

    Raises
    ------
    TypeError
        If `model` or `init` is not a Model, or labels or beats have a wrong dtype.
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
    epochs = _check_int(epochs, "epochs", 1)
    batch_size = _check_int(batch_size, "batch_size", 1)
    seed = _check_int(seed, "seed", 0)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} must be one of {', '.join(SAMPLERS)}")
    n_classes = model.spec["n_classes"]
    x_tr, y_tr, e_tr = _unpack(x, y, extra, model, "")
    n = len(x_tr)
    val = None
    if validation is not None:
        from heartbeat.datasets import BeatSet

        if isinstance(validation, BeatSet):
            val = _unpack(validation, None, None, model, "validation ")
        elif isinstance(validation, (tuple, list)) and len(validation) in (2, 3):
            val = _unpack(validation[0], validation[1],
                          validation[2] if len(validation) == 3 else None, model,
                          "validation ")
        else:
            raise TypeError("validation must be a BeatSet or a tuple (x_val, y_val) or "
                            f"(x_val, y_val, extra_val), got {type(validation).__name__}")
    if early_stopping is not None:
        early_stopping = _check_int(early_stopping, "early_stopping", 1)
        if val is None:
            raise ValueError("early_stopping needs a validation set: pass validation=")
    counts = np.bincount(y_tr, minlength=n_classes)
    up: int | None = None
    if upsample is not False and upsample is not None:
        if sampler != "shuffle":
            raise ValueError(f"upsample={upsample!r} works with sampler='shuffle' (the "
                             "balanced sampler already evens out the classes)")
        if upsample is True:
            up = int(counts.max())
        else:
            up = _check_int(upsample, "upsample", 1)
    if class_weights is None:
        cw = None
    elif isinstance(class_weights, str):
        if class_weights != "balanced":
            raise ValueError(f"class_weights={class_weights!r}: give weights or 'balanced'")
        cw = np.where(counts > 0, n / (np.count_nonzero(counts) * np.maximum(counts, 1)), 0.0)
    else:
        cw = np.asarray(class_weights, dtype=np.float64)
        if cw.shape != (n_classes,) or not np.isfinite(cw).all() or (cw < 0).any() or \
                not (cw > 0).any():
            raise ValueError(f"class_weights must be {n_classes} finite values >= 0, not "
                             f"all 0; got {class_weights!r}")
    if init is not None:
        _copy_init(model, init)
    layers = parameterised_layers(model)
    if trainable_layers is None:
        k_train = len(layers)
    else:
        k_train = _check_int(trainable_layers, "trainable_layers", 1)
        if k_train > len(layers):
            raise ValueError(f"trainable_layers={k_train} exceeds the {len(layers)} "
                             "parameterised layers of the model")
    frozen = layers[: len(layers) - k_train]
    trained = layers[len(layers) - k_train:]
    params = [v for _, layer in trained for v in layer.params.values()]
    opt = _make_optimizer(optimizer, params)
    ckpt = None
    if checkpoint_dir is not None:
        ckpt = Path(checkpoint_dir)
        ckpt.mkdir(parents=True, exist_ok=True)
        ckpt = ckpt / CHECKPOINT_NAME
    elif resume:
        raise ValueError("resume=True needs checkpoint_dir=")
    if up is None:
        up_n = n
    else:
        up_n = int(sum(max(int(c), up) for c in counts if c > 0))
    n_batches = -(-(n if sampler == "balanced" else up_n) // batch_size)
    fingerprint = {
        "spec": model.spec, "dtype": model.dtype.name, "seed": seed, "batch_size": batch_size,
        "sampler": sampler, "upsample": up, "n": n, "data_crc": _data_crc(x_tr, y_tr, e_tr),
        "val_crc": None if val is None else _data_crc(*val),
        "class_weights": None if cw is None else cw.tolist(), "early_stopping": early_stopping,
        "trainable_layers": k_train, "optimizer": type(opt).__name__,
        "lr": opt.base_lr, "lr_decay": opt.lr_decay, "decay_every": opt.decay_every,
    }
    state = _State()
    if resume and ckpt is not None and ckpt.exists():
        state = _read_checkpoint(ckpt, model, opt, fingerprint)
    stream = None if quiet else sys.stderr
    progress = _Progress(stream, epochs, n_batches)

    def history() -> History:
        s = state.series
        return History(**{k: tuple(float(v) for v in s[k]) for k in _SERIES},
                       best_epoch=state.best_epoch, stopped_early=state.stopped_early,
                       restored_best=state.restored_best)

    if state.done and (state.stopped_early or state.restored_best or state.epoch >= epochs):
        return history()
    state.done = False  # a finished run resumed with more epochs continues
    if val is None:
        for k in ("val_loss", "val_accuracy", "val_macro_f1"):
            state.series[k] = []
    try:
        while state.epoch < epochs:
            epoch = state.epoch  # 0-based
            t_epoch = time.perf_counter()
            rng = _epoch_rng(seed, epoch)
            if sampler == "balanced":
                order = _balanced_indices(y_tr, n_classes, n_batches, batch_size, rng)
                batches = list(order)
            else:
                idx = _shuffle_indices(y_tr, n_classes, up, rng)
                batches = [idx[i:i + batch_size] for i in range(0, len(idx), batch_size)]
            model.train()
            for _, layer in frozen:
                if isinstance(layer, BatchNorm1d):
                    layer.training = False
            loss_sum, seen, n_right = 0.0, 0, 0
            truth, preds = [], []
            t0 = time.perf_counter()
            for b, idx in enumerate(batches, start=1):
                xb, yb = x_tr[idx], y_tr[idx]
                model.zero_grad()
                logits = model.forward(xb, None if e_tr is None else e_tr[idx])
                loss, dlogits = nn.softmax_cross_entropy(logits, yb, cw)
                model.backward(dlogits, input_grad=False)
                opt.step([layer.grads[k] for _, layer in trained for k in layer.params])
                loss_sum += loss * len(idx)
                seen += len(idx)
                pred = logits.argmax(axis=1)
                n_right += int(np.count_nonzero(pred == yb))
                truth.append(yb)
                preds.append(pred)
                elapsed = time.perf_counter() - t0
                rate = seen / elapsed if elapsed > 0 else math.nan
                left = (n_batches - b) + (epochs - epoch - 1) * n_batches
                progress.batch(epoch + 1, b, loss_sum / seen, n_right / seen, rate,
                               left * elapsed / b)
            train_s = time.perf_counter() - t0
            s = state.series
            s["train_loss"].append(loss_sum / seen)
            s["train_accuracy"].append(n_right / seen)
            s["train_macro_f1"].append(macro_f1(np.concatenate(truth), np.concatenate(preds),
                                                n_classes))
            s["beats_per_s"].append(seen / train_s if train_s > 0 else math.nan)
            note = ""
            scores = None
            if val is not None:
                scores = _evaluate(model, *val, n_classes)
                s["val_loss"].append(scores[0])
                s["val_accuracy"].append(scores[1])
                s["val_macro_f1"].append(scores[2])
                if scores[2] > state.best_f1:
                    state.best_f1, state.best_epoch, state.wait = scores[2], epoch + 1, 0
                    if early_stopping is not None:
                        state.best_arrays = _model_arrays(model)
                    note = "  *"
                else:
                    state.wait += 1
            state.epoch = epoch + 1
            stop = early_stopping is not None and state.wait >= early_stopping
            if stop and state.epoch < epochs:
                state.stopped_early = True
                note += f"  (early stop: best epoch {state.best_epoch})"
            last = stop or state.epoch == epochs
            if last:
                if early_stopping is not None and state.best_arrays is not None and \
                        state.best_epoch != state.epoch:
                    model.set_arrays(state.best_arrays)
                    state.restored_best = True
                state.done = True
            epoch_s = time.perf_counter() - t_epoch
            s["epoch_time_s"].append(epoch_s)
            if ckpt is not None:
                _write_checkpoint(ckpt, model, opt, state, fingerprint)
            progress.epoch(state.epoch, s["train_loss"][-1], s["train_accuracy"][-1],
                           s["train_macro_f1"][-1], s["beats_per_s"][-1], scores, epoch_s,
                           (epochs - state.epoch) * epoch_s if not last else 0.0, note)
            if callback is not None:
                model.eval()
                callback(state.epoch, model, history())
            if last:
                break
    finally:
        if progress.tty and progress.width:
            stream.write("\n")  # type: ignore[union-attr]
        model.eval()
    return history()

