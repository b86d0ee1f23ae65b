"""The parameters of :class:`~heartbeat.classifier.BeatClassifier`: defaults and checks."""

from __future__ import annotations

from typing import Any

import numpy as np

_DEFAULTS: dict[str, Any] = {
    "architecture": "kachuee2018",
    "use_rr": True,
    "context": 0,
    "log_rr": False,
    "epochs": 10,
    "batch_size": 64,
    "sampler": "balanced",
    "learning_rate": 1e-3,
    "early_stopping": 3,
    "validation_fraction": 0.1,
    "seed": 0,
    "backend": "auto",
    "threads": 1,
    "quiet": True,
}


def _check_params(params: dict[str, Any]) -> None:
    from heartbeat.nn import ARCHITECTURES
    from heartbeat.nn.kernels import BACKENDS

    unknown = sorted(set(params) - set(_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; valid: {', '.join(_DEFAULTS)}")
    p = params
    if "architecture" in p and p["architecture"] not in ARCHITECTURES:
        raise ValueError(f"architecture={p['architecture']!r} is unknown; choose one of "
                         f"{', '.join(ARCHITECTURES)}")
    for key in ("use_rr", "log_rr", "quiet"):
        if key in p and not isinstance(p[key], (bool, np.bool_)):
            raise TypeError(f"{key} must be True or False, got {p[key]!r}")
    if "context" in p and (isinstance(p["context"], bool)
                            or not isinstance(p["context"], (int, np.integer))
                            or p["context"] < 0):
        raise ValueError(f"context={p['context']!r} must be an integer >= 0 (beats on each "
                         "side of the record median; 0 = off)")
    for key in ("epochs", "batch_size", "threads"):
        if key in p and (isinstance(p[key], bool) or not isinstance(p[key], (int, np.integer))
                         or p[key] < 1):
            raise ValueError(f"{key}={p[key]!r} must be a positive integer")
    if "seed" in p and (isinstance(p["seed"], bool) or not isinstance(p["seed"], (int, np.integer))
                        or p["seed"] < 0):
        raise ValueError(f"seed={p['seed']!r} must be an integer >= 0")
    if "sampler" in p and p["sampler"] not in ("balanced", "shuffle"):
        raise ValueError(f"sampler={p['sampler']!r} must be 'balanced' or 'shuffle'")
    if "learning_rate" in p:
        lr = p["learning_rate"]
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < 1:
            raise ValueError(f"learning_rate={lr!r} must be a number in (0, 1)")
    if "early_stopping" in p:
        es = p["early_stopping"]
        if es is not None and (isinstance(es, bool) or not isinstance(es, (int, np.integer))
                               or es < 1):
            raise ValueError(f"early_stopping={es!r} must be None (off) or a patience in "
                             "epochs >= 1")
    if "validation_fraction" in p:
        vf = p["validation_fraction"]
        if isinstance(vf, bool) or not isinstance(vf, (int, float)) or not 0 <= vf < 1:
            raise ValueError(f"validation_fraction={vf!r} must be in [0, 1)")
    if "backend" in p and p["backend"] not in BACKENDS:
        raise ValueError(f"backend={p['backend']!r} must be one of {', '.join(BACKENDS)}")
