"""The epoch loop: batches, validation after every epoch, early stopping, checkpoints.

:func:`_fit` is the private entry point behind :func:`heartbeat.training.fit` and
:meth:`heartbeat.BeatClassifier.fit`: it trusts its inputs (checked arrays, a
:class:`~heartbeat.training.settings.FitSettings`, an optimiser built on the trained
parameters) and runs the epochs.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence

import numpy as np

from heartbeat import nn
from heartbeat.metrics import macro_f1
from heartbeat.nn.layers import Layer
from heartbeat.nn.model import Model
from heartbeat.nn.optim import Optimizer
from heartbeat.training.checkpoints import (
    _fingerprint,
    _model_arrays,
    _read_checkpoint,
    _write_checkpoint,
)
from heartbeat.training.history import History, _State
from heartbeat.training.progress import _Progress
from heartbeat.training.sampling import _augment_rng, _batches_per_epoch, _epoch_batches
from heartbeat.training.settings import FitSettings, TrainData
from heartbeat.training.transfer import _freeze_batchnorm, _split_trainable

_Layers = Sequence[tuple[str, Layer]]


def _default_optimizer(params: list[np.ndarray]) -> Optimizer:
    """Adam as Kachuee 2018: ``lr=1e-3``, times 0.75 every 10,000 iterations."""
    return nn.Adam(params, lr=1e-3, lr_decay=0.75, decay_every=10_000)


def _trained_params(trained: _Layers) -> list[np.ndarray]:
    """Return the parameter arrays the optimiser updates, in layer order."""
    return [v for _, layer in trained for v in layer.params.values()]


def _evaluate(model: Model, x: np.ndarray, y: np.ndarray, extra: np.ndarray | None,
              n_classes: int) -> tuple[float, float, float]:
    """Return the loss (unweighted), accuracy and macro-F1 in evaluation mode."""
    logits = model.predict_logits(x, extra, batch_size=512)
    loss, _ = nn.softmax_cross_entropy(logits, y)
    pred = logits.argmax(axis=1)
    return float(loss), float(np.mean(pred == y)), macro_f1(y, pred, n_classes)


def _train_epoch(model: Model, opt: Optimizer, trained: _Layers, data: TrainData,
                 batches: list[np.ndarray], cw: np.ndarray | None, state: _State,
                 progress: _Progress, settings: FitSettings) -> None:
    """One pass over `batches`; appends the epoch's training figures to the history."""
    augment = settings.augment
    rng = _augment_rng(settings.seed, state.epoch) if augment is not None else None
    n_classes = model.spec["n_classes"]
    epoch, epochs, n_batches = state.epoch, progress.epochs, progress.n_batches
    loss_sum, seen, n_right = 0.0, 0, 0
    truth, preds = [], []
    t0 = time.perf_counter()
    for b, idx in enumerate(batches, start=1):
        xb, yb = data.x[idx], data.y[idx]
        if augment is not None:
            xb = np.ascontiguousarray(augment(xb, rng), dtype=data.x.dtype)
        model.zero_grad()
        logits = model.forward(xb, None if data.extra is None else data.extra[idx])
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


def _validate_epoch(model: Model, val: TrainData, state: _State, keep_best: bool
                    ) -> tuple[tuple[float, float, float], str]:
    """Score the validation set, track the best epoch; return the scores and a note."""
    scores = _evaluate(model, *val, model.spec["n_classes"])
    s = state.series
    s["val_loss"].append(scores[0])
    s["val_accuracy"].append(scores[1])
    s["val_macro_f1"].append(scores[2])
    if scores[2] > state.best_f1:
        state.best_f1, state.best_epoch, state.wait = scores[2], state.epoch + 1, 0
        if keep_best:
            state.best_arrays = _model_arrays(model)
        return scores, "  *"
    state.wait += 1
    return scores, ""


def _end_epoch(model: Model, state: _State, settings: FitSettings) -> tuple[bool, str]:
    """Count the epoch done and apply early stopping; return (last epoch?, note)."""
    patience, epochs = settings.early_stopping, settings.epochs
    state.epoch += 1
    note = ""
    stop = patience is not None and state.wait >= patience
    if stop and state.epoch < epochs:
        state.stopped_early = True
        note = f"  (early stop: best epoch {state.best_epoch})"
    last = stop or state.epoch == epochs
    if last:
        if patience is not None and state.best_arrays is not None and \
                state.best_epoch != state.epoch:
            model.set_arrays(state.best_arrays)
            state.restored_best = True
        state.done = True
    return last, note


def _fit(model: Model, x: np.ndarray, y: np.ndarray, *, extra: np.ndarray | None = None,
         validation: TrainData | None = None, settings: FitSettings | None = None,
         optimizer: Optimizer | None = None) -> History:
    """Train `model` in place; the private entry point, which trusts its inputs.

    `x`, `y` and `extra` are as :func:`heartbeat.training.inputs._as_train_data`
    returns them, `validation` likewise or None, and `optimizer` (default: Adam as
    Kachuee 2018) is built on exactly the trained parameters.  See
    :func:`heartbeat.training.fit` for what happens.
    """
    s = FitSettings() if settings is None else settings
    n_classes = model.spec["n_classes"]
    frozen, trained = _split_trainable(model, s.trainable_layers)
    opt = _default_optimizer(_trained_params(trained)) if optimizer is None else optimizer
    train = TrainData(x, y, extra)
    n_batches = _batches_per_epoch(np.bincount(y, minlength=n_classes), s.sampler,
                                   s.batch_size, s.upsample)
    cw = None if s.class_weights is None else np.asarray(s.class_weights, dtype=np.float64)
    fingerprint = _fingerprint(model, opt, s, train, validation, len(trained))
    state = _State()
    if s.resume and s.checkpoint is not None and s.checkpoint.exists():
        state = _read_checkpoint(s.checkpoint, model, opt, fingerprint)
    if state.done and (state.stopped_early or state.restored_best or state.epoch >= s.epochs):
        return state.history()
    state.done = False  # a finished run resumed with more epochs continues
    if validation is None:
        for k in ("val_loss", "val_accuracy", "val_macro_f1"):
            state.series[k] = []
    stream = None if s.quiet else sys.stderr
    progress = _Progress(stream, s.epochs, n_batches)
    try:
        while state.epoch < s.epochs:
            t_epoch = time.perf_counter()
            batches = _epoch_batches(y, n_classes, n_batches, sampler=s.sampler,
                                     batch_size=s.batch_size, upsample=s.upsample,
                                     seed=s.seed, epoch=state.epoch)
            model.train()
            _freeze_batchnorm(frozen)
            _train_epoch(model, opt, trained, train, batches, cw, state, progress, s)
            scores, note = None, ""
            if validation is not None:
                scores, note = _validate_epoch(model, validation, state,
                                               keep_best=s.early_stopping is not None)
            last, stop_note = _end_epoch(model, state, s)
            epoch_s = time.perf_counter() - t_epoch
            series = state.series
            series["epoch_time_s"].append(epoch_s)
            if s.checkpoint is not None:
                _write_checkpoint(s.checkpoint, model, opt, state, fingerprint)
            progress.epoch(state.epoch, series["train_loss"][-1],
                           series["train_accuracy"][-1], series["train_macro_f1"][-1],
                           series["beats_per_s"][-1], scores, epoch_s,
                           (s.epochs - state.epoch) * epoch_s if not last else 0.0,
                           note + stop_note)
            if s.callback is not None:
                model.eval()
                s.callback(state.epoch, model, state.history())
            if last:
                break
    finally:
        if progress.tty and progress.width:
            stream.write("\n")  # type: ignore[union-attr]
        model.eval()
    return state.history()
