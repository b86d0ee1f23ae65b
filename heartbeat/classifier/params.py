"""The parameters of :class:`~heartbeat.classifier.BeatClassifier`: defaults and checks."""

from __future__ import annotations

from typing import Any

from heartbeat._validate import as_bool, as_choice, as_int, as_real

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
    """Check constructor parameters: TypeError for a wrong type, ValueError for a wrong value."""
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
        if key in p:
            as_bool(p[key], key)
    if "context" in p and as_int(p["context"], "context") < 0:
        raise ValueError(f"context={p['context']!r} must be an integer >= 0 (beats on each "
                         "side of the record median; 0 = off)")
    for key in ("epochs", "batch_size", "threads"):
        if key in p and as_int(p[key], key) < 1:
            raise ValueError(f"{key}={p[key]!r} must be a positive integer")
    if "seed" in p:
        as_int(p["seed"], "seed", minimum=0)
    if "sampler" in p:
        as_choice(p["sampler"], "sampler", ("balanced", "shuffle"))
    if "learning_rate" in p and not 0 < as_real(p["learning_rate"], "learning_rate") < 1:
        raise ValueError(f"learning_rate={p['learning_rate']!r} must be a number in (0, 1)")
    es = p.get("early_stopping")
    if es is not None and as_int(es, "early_stopping") < 1:
        raise ValueError(f"early_stopping={es!r} must be None (off) or a patience in "
                         "epochs >= 1")
    if "validation_fraction" in p and \
            not 0 <= as_real(p["validation_fraction"], "validation_fraction") < 1:
        raise ValueError(f"validation_fraction={p['validation_fraction']!r} must be in [0, 1)")
    if "backend" in p:
        as_choice(p["backend"], "backend", BACKENDS)
