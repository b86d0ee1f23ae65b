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
from types import SimpleNamespace

import _fold_logits
import _recipe
import numpy as np

from heartbeat.classifier.template import TemplateRule, adapt_template

TEMPERATURE = {"k4_es_": 1.568035, "all_": 1.622087, "all_new_": 1.622087}
"""Prefix of the kept folds -> the shipped temperature of the model of that recipe
(``mitbih-ds1`` for the DS1 folds, ``mitbih-all`` for the folds within all 48: those of
session 13 and, ``all_new_``, the same folds trained anew with seeds 3-5 in session 17)."""


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fold_probabilities(logits_dir: Path, prefix: str, recipe: str = "ch0+ch1",
                       cut: str = "annotations") -> Iterator[tuple[int, dict]]:
    """Yield (fold, {lead: (probabilities, held-out BeatSet)}) for each kept fold."""
    cache = Path(os.environ.get("HEARTBEAT_CACHE", "scratch/cache"))
    runs, folds = _fold_logits.held_out(
        SimpleNamespace(recipe=[recipe], prefix=prefix, cut=cut, logits_dir=logits_dir,
                        seeds=None), cache)
    for f in folds:
        yield f, {c: (softmax(runs[recipe, "ensemble", f, c][0] / TEMPERATURE[prefix]),
                      runs[recipe, "ensemble", f, c][1]) for c in (0, 1)}


def percent_figures(conf: np.ndarray) -> dict:
    """N called abnormal, accuracy and S, V, F Se / +P / F1 of a confusion matrix, in %."""
    fig = _recipe.figures(conf)
    out = {"n_abnormal": 100 * fig["n_called_abnormal"], "accuracy": 100 * fig["accuracy"]}
    for c in ("S", "V", "F"):
        for m in ("se", "ppv", "f1"):
            out[f"{c}_{m}"] = 100 * fig[c][m]
    return {k: round(v, 3) for k, v in out.items()}


def adapted(proba: np.ndarray, held, rule: TemplateRule | None = None) -> np.ndarray:
    """``adapt_template`` of each held-out record's beats on their own (`rule`: default)."""
    from heartbeat.pipeline import FS_OUT

    out = np.empty_like(proba)
    for name in np.unique(held.record):
        rows = np.flatnonzero(held.record == name)
        out[rows] = adapt_template(proba[rows], held.x[rows], held.rr[rows],
                                   classes=_recipe.CLASSES, fs_out=FS_OUT, rule=rule)[0]
    return out
