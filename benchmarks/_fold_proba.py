"""The kept held-out logits of a recipe's folds as calibrated probabilities, per record.

Used by ``lead_fusion.py`` and ``template_s_to_v.py``: per fold, the seeds' logits
averaged (the 3-seed ensemble), divided by the temperature of the model that recipe
ships (:data:`TEMPERATURE`) and turned into probabilities, beside the held-out beats
of the beat cache (``HEARTBEAT_CACHE``) they belong to, at one cut.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import _fold_logits
import _recipe
import numpy as np

from heartbeat.classifier.template import TemplateRule, adapt_template

TEMPERATURE = {"k4_es_": 1.568035, "all_": 1.622087}
"""Prefix of the kept folds -> the shipped temperature of the model of that recipe
(``mitbih-ds1`` for the DS1 folds, ``mitbih-all`` for the folds within all 48)."""


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fold_probabilities(logits_dir: Path, prefix: str, recipe: str = "ch0+ch1",
                       cut: str = "annotations") -> Iterator[tuple[int, dict]]:
    """Yield (fold, {lead: (probabilities, held-out BeatSet)}) for each kept fold."""
    saved = _fold_logits.load_runs(_fold_logits.folder(
        logits_dir, f"{prefix}{recipe.replace('+', '_')}", cut))
    if not saved:
        raise SystemExit(f"no kept logits under {logits_dir} for {prefix}{recipe} ({cut})")
    cache = Path(os.environ.get("HEARTBEAT_CACHE", "scratch/cache"))
    leads = {c: _recipe.beats(c, cache, peaks=cut) for c in (0, 1)}
    seeds = sorted({s for s, _, _ in saved})
    for f in sorted({f for _, f, _ in saved}):
        out = {}
        for c in (0, 1):
            first = saved[seeds[0], f, c]
            held = leads[c][np.isin(leads[c].record, np.unique(first["record"]))]
            held = held[held.y < 4]  # the order of the kept logits
            if not np.array_equal(held.y, first["y"]):
                raise SystemExit(f"fold {f} lead {c}: beats do not match the cache")
            logits = np.mean([saved[s, f, c]["logits"] for s in seeds], axis=0)
            out[c] = (softmax(logits / TEMPERATURE[prefix]), held)
        yield f, out


def adapted(proba: np.ndarray, held, rule: TemplateRule | None = None) -> np.ndarray:
    """``adapt_template`` of each held-out record's beats on their own (`rule`: default)."""
    from heartbeat.pipeline import FS_OUT

    out = np.empty_like(proba)
    for name in np.unique(held.record):
        rows = np.flatnonzero(held.record == name)
        out[rows] = adapt_template(proba[rows], held.x[rows], held.rr[rows],
                                   classes=_recipe.CLASSES, fs_out=FS_OUT, rule=rule)[0]
    return out
