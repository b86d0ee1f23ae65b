"""Classifier files: the checks a saved classifier passes on loading, the shipped models."""

from __future__ import annotations

import copy
import datetime
import os
import threading
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from heartbeat.classifier.inputs import BEAT_LENGTH, RR_FEATURES, _is_beatset
from heartbeat.classifier.params import _check_params

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from heartbeat.classifier.estimator import BeatClassifier
    from heartbeat.nn import Model
    from heartbeat.training import History

__all__ = ["PRETRAINED"]

CLASSIFIER_FORMAT = 1
PRETRAINED: tuple[str, ...] = ("mitbih-all", "mitbih-ds1")
"""Names of the models shipped in ``heartbeat/data``; the first is the default."""


def _check_saved(model: Model, path: str | os.PathLike) -> tuple[dict[str, Any], list[str]]:
    """Return the parameters and class names a loaded model file holds, checked.

    Raises ValueError naming the file when its classifier metadata is missing, from
    another format version, or disagrees with the network's spec.
    """
    info = model.info
    where = repr(str(path))
    version = info.get("classifier_format")
    if version != CLASSIFIER_FORMAT:
        raise ValueError(f"{where} has classifier format {version!r}; this version of "
                         f"heartbeat reads format {CLASSIFIER_FORMAT} (a model saved "
                         "by heartbeat.nn.save alone lacks the classifier metadata)")
    classes = info.get("classes")
    spec = model.spec
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes) \
            or len(classes) != spec["n_classes"] or len(set(classes)) != len(classes):
        raise ValueError(f"{where}: class names {classes!r} do not match the network's "
                         f"{spec['n_classes']} outputs")
    params = info.get("params")
    if not isinstance(params, dict):
        raise ValueError(f"{where}: missing the classifier parameters")
    try:
        _check_params(params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: bad classifier parameters: {exc}") from None
    channels = 2 if params.get("context", 0) else 1  # files before context: 0
    if spec["input_length"] != BEAT_LENGTH or spec["input_channels"] != channels:
        raise ValueError(f"{where}: the network reads ({spec['input_channels']}, "
                         f"{spec['input_length']}) inputs, not ({channels}, "
                         f"{BEAT_LENGTH}) beats (context={params.get('context', 0)})")
    if spec["extra_inputs"] != (RR_FEATURES if params.get("use_rr") else 0) \
            or _architectures(info, params) != _networks(spec):
        raise ValueError(f"{where}: the network spec ({spec['name']}, "
                         f"extra_inputs={spec['extra_inputs']}) does not match the "
                         f"saved parameters {params!r}")
    return params, classes


def _networks(spec: dict[str, Any]) -> list[str]:
    """Return the architecture of each network in a file (one, or each member's)."""
    members = spec.get("members") if spec["name"] == "ensemble" else [spec]
    return [m.get("name") for m in members]


def _architectures(info: dict[str, Any], params: dict[str, Any]) -> list[Any]:
    """Return the architecture each network was trained as (params', or each member's)."""
    if not isinstance(info.get("ensemble"), dict):
        return [params.get("architecture")]
    members = info["ensemble"].get("members")
    if not isinstance(members, list):
        return []
    return [m.get("params", {}).get("architecture") if isinstance(m, dict) else None
            for m in members]


# The shipped models read so far in this process, by (name, backend), filled on first use
# (importing heartbeat reads none); callers get copies, so fitting or changing one leaves
# the next BeatClassifier.pretrained() unchanged.
_PRETRAINED_LOADED: dict[tuple[str, str], BeatClassifier] = {}
_PRETRAINED_LOCK = threading.Lock()


def _pretrained(cls: type[BeatClassifier], name: str, backend: str) -> BeatClassifier:
    """Return a copy of the shipped model `name`, read from its file once per process."""
    path = _pretrained_path(name)  # checks the name
    with _PRETRAINED_LOCK:
        loaded = _PRETRAINED_LOADED.get((name, backend))
        if loaded is None or type(loaded) is not cls:
            loaded = _PRETRAINED_LOADED[name, backend] = cls.load(path, backend=backend)
        return copy.deepcopy(loaded)


def _pretrained_path(name: str) -> Path:
    """Return the path of the shipped model `name` (one of :data:`PRETRAINED`)."""
    name = PRETRAINED[0] if name is None else name
    if name not in PRETRAINED:
        raise ValueError(f"unknown pretrained model {name!r}; choose one of "
                         f"{', '.join(PRETRAINED)}")
    path = Path(str(resources.files("heartbeat") / "data" / f"{name}.npz"))
    if not path.exists():
        raise FileNotFoundError(f"the pretrained model file {path} is missing; "
                                "reinstall heartbeat with its package data")
    return path


def _fit_info(params: dict[str, Any], x: object, classes: tuple[str, ...],
              train_labels: np.ndarray, n_validation: int, history: History,
              info: dict[str, Any] | None) -> dict[str, Any]:
    """Return what a fitted classifier's file records about its training (``info``)."""
    from heartbeat import __version__

    records = sorted({str(r) for r in x.record.tolist()} - {""}) if _is_beatset(x) else []
    counts = np.bincount(train_labels, minlength=len(classes))
    return {
        "classifier_format": CLASSIFIER_FORMAT,
        "classes": list(classes),
        "params": {k: v for k, v in params.items() if k not in ("backend", "threads", "quiet")},
        "records": records,
        "n_train": len(train_labels),
        "n_validation": n_validation,
        "train_class_counts": {c: int(k) for c, k in zip(classes, counts, strict=True)},
        "epochs_run": int(history.n_epochs),
        "best_epoch": history.best_epoch,
        "val_macro_f1": [round(float(v), 4) for v in history.val_macro_f1],
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "heartbeat_version": __version__,
        **(info or {}),
    }


def _load(cls: type[BeatClassifier], path: str | os.PathLike, backend: str,
          threads: int) -> BeatClassifier:
    """Read a classifier file: the network, then the parameters and classes it records."""
    from heartbeat import nn

    model = nn.load(path, backend=backend)
    params, classes = _check_saved(model, path)
    clf = cls(**{**params, "backend": backend, "threads": threads})
    model.set_threads(int(threads))
    clf.model_, clf.classes_, clf.history_ = model, tuple(classes), None
    clf._info = model.info
    return clf
