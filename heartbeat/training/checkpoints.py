"""Checkpoints: one ``checkpoint.npz`` per run, written after every epoch, read to resume.

The file holds the model arrays, the optimiser state, the dropout generators' states,
the history and early-stopping state, and a fingerprint of the run (architecture,
data, settings); a run resumes only from a checkpoint with the same fingerprint, and
then ends bit for bit where an uninterrupted run would.
"""

from __future__ import annotations

import json
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from heartbeat._atomic import atomic_open
from heartbeat.nn.model import Model
from heartbeat.nn.optim import Optimizer
from heartbeat.training.history import _State
from heartbeat.training.settings import FitSettings, TrainData

__all__ = ["CHECKPOINT_NAME"]

CHECKPOINT_NAME = "checkpoint.npz"
_CHECKPOINT_FORMAT = 1


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


_META_KEYS = ("format", "fingerprint", "epoch", "series", "best_f1", "best_epoch", "wait",
              "done", "stopped_early", "restored_best", "dropout_rng")
# what a damaged zip or .npy makes the standard library raise
_READ_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, OverflowError,
                NotImplementedError, SyntaxError, zipfile.BadZipFile, zlib.error,
                struct.error, tokenize.TokenError)


def _start_over(path: Path) -> str:
    return (f"delete {str(path)!r} (or pass resume=False, or another checkpoint_dir) "
            "to start the run afresh")


def _read_checkpoint(path: Path, model: Model, opt: Optimizer,
                     fingerprint: dict[str, Any]) -> _State:
    """Restore `model`, `opt` and the run state from the checkpoint at `path`.

    Raises ValueError naming the file and how to start over when it is damaged,
    truncated, from another format or another run.
    """
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
        meta = json.loads(str(data.pop("meta")))
    except (*_READ_ERRORS, RecursionError, TypeError, AttributeError) as exc:  # .npy: TypeError
        raise ValueError(f"checkpoint {str(path)!r} is unreadable (damaged or truncated: "
                         f"{type(exc).__name__}: {exc}); {_start_over(path)}") from None
    missing = [k for k in _META_KEYS if k not in meta] if isinstance(meta, dict) else ["all"]
    if missing:
        raise ValueError(f"checkpoint {str(path)!r} is unreadable: its metadata lacks "
                         f"{missing}; {_start_over(path)}")
    if meta["format"] != _CHECKPOINT_FORMAT:
        raise ValueError(f"checkpoint {str(path)!r} has format {meta['format']!r}, "
                         f"expected {_CHECKPOINT_FORMAT}; {_start_over(path)}")
    theirs = meta["fingerprint"] if isinstance(meta["fingerprint"], dict) else {}
    if theirs != fingerprint:
        diff = sorted(k for k in set(fingerprint) | set(theirs)
                      if fingerprint.get(k) != theirs.get(k))
        raise ValueError(f"checkpoint {str(path)!r} belongs to another run (differs in "
                         f"{diff}); resume with the same model, data and settings, or use "
                         "another checkpoint_dir")
    try:
        return _restore(data, meta, model, opt)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise ValueError(f"checkpoint {str(path)!r} is damaged ({exc}); "
                         f"{_start_over(path)}") from None


def _restore(data: dict[str, np.ndarray], meta: dict[str, Any], model: Model,
             opt: Optimizer) -> _State:
    """Copy a checkpoint's arrays into `model` and `opt` and return its run state."""
    for name, a in data.items():
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise ValueError(f"array {name!r} holds NaN or inf")
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


def _fingerprint(model: Model, opt: Optimizer, settings: FitSettings, train: TrainData,
                 val: TrainData | None, n_trainable: int) -> dict[str, Any]:
    """Return what a checkpoint must share with the run that resumes from it."""
    s = settings
    return {
        "spec": model.spec, "dtype": model.dtype.name, "seed": s.seed,
        "batch_size": s.batch_size, "sampler": s.sampler, "upsample": s.upsample,
        "n": len(train.x), "data_crc": _data_crc(*train),
        "val_crc": None if val is None else _data_crc(*val),
        "class_weights": None if s.class_weights is None else list(s.class_weights),
        "early_stopping": s.early_stopping, "trainable_layers": n_trainable,
        "optimizer": type(opt).__name__, "lr": opt.base_lr, "lr_decay": opt.lr_decay,
        "decay_every": opt.decay_every,
    } | ({} if s.augment is None else {"augment": repr(s.augment)})
