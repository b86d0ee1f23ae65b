"""The kept held-out logits of a recipe's folds as calibrated probabilities, per record.

Used by ``lead_fusion.py`` and ``template_s_to_v.py``: per fold, the seeds' logits
averaged (the 3-seed ensemble), divided by the temperature of the model that recipe
ships (:data:`TEMPERATURE`) and turned into probabilities, beside the held-out beats
of the beat cache (``HEARTBEAT_CACHE``) they belong to, at one cut.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import _fold_logits
import _recipe
import numpy as np

from heartbeat._atomic import atomic_open
from heartbeat.classifier.template import TemplateRule, adapt_template

RESULTS = Path(__file__).resolve().parent / "results"
CUTS = ("detector", "annotations")
"""The cuts every fold script compares its rules at: where ``classify()`` cuts, then the
annotated R peaks."""

TEMPERATURE = {"k4_es_": 1.568035, "all_": 1.622087, "all_new_": 1.622087,
               "all_s68_": 1.622087, "all_s911_": 1.622087}
"""Prefix of the kept folds -> the shipped temperature of the model of that recipe
(``mitbih-ds1`` for the DS1 folds, ``mitbih-all`` for the folds within all 48: those of
session 13 and, ``all_new_``, the same folds trained anew with seeds 3-5 in session 17;
``all_s68_``: seeds 6-8, session 18; ``all_s911_``: seeds 9-11, trained in session 18,
first scored in session 19)."""


NETWORK = "network"
"""A rule of :func:`compare_rules` that scores the network's own probabilities."""


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


def add_fold_arguments(parser) -> None:
    """The options every script on the kept folds takes: which folds, and which detector."""
    parser.add_argument("--prefix", required=True, help="the kept folds: k4_es_ or all_")
    parser.add_argument("--recipe", default="ch0+ch1")
    parser.add_argument("--logits-dir", type=Path, required=True)
    parser.add_argument("--floor-low-on-time", type=float, default=None, metavar="VALUE",
                        help="the detector's RULE['floor_low_on_time'] for the beats cut "
                        "at the detected peaks: 0 is the detector the kept logits were "
                        "made with (before session 14)")


def use_detector_of(args) -> str:
    """Set the detector ``--floor-low-on-time`` names (if given); return the option's text."""
    if args.floor_low_on_time is None:
        return ""
    from heartbeat import detect

    detect.RULE["floor_low_on_time"] = args.floor_low_on_time
    return f" --floor-low-on-time {args.floor_low_on_time:g}"


def compare_rules(args, cut: str, rules: dict) -> tuple[dict, list[dict]]:
    """Each rule's pooled figures per lead at one cut, and its counts per lead-record.

    `rules` maps a name to a ``TemplateRule`` (or :data:`NETWORK`: no adaptation).
    Returns {(name, lead): figures} over the folds' held-out beats pooled, and one row
    per (fold, lead, record) with, per rule, the record's N beats called abnormal and
    its S beats called S.
    """
    conf, records = {}, []
    for f, leads in fold_probabilities(args.logits_dir, args.prefix, args.recipe, cut):
        for c, (proba, held) in leads.items():
            y = held.y.astype(np.int64)
            pred = {k: (proba if rule is NETWORK else adapted(proba, held, rule)).argmax(axis=1)
                    for k, rule in rules.items()}
            for k, p in pred.items():
                conf[k, c] = conf.get((k, c), 0) + _recipe.confusion(y, p)
            for name in np.unique(held.record):
                rows = held.record == name
                records.append({"fold": int(f), "lead": c, "record": str(name),
                                "n_beats": int(np.count_nonzero(rows & (y == 0))),
                                "n_called_abnormal": [int(np.count_nonzero(
                                    rows & (y == 0) & (p != 0))) for p in pred.values()],
                                "s_called_s": [int(np.count_nonzero(
                                    rows & (y == 1) & (p == 1))) for p in pred.values()]})
        print(f"{cut} cut, fold {f} done", flush=True)
    return {k: percent_figures(v) for k, v in conf.items()}, records


def print_comparison(cut: str, fig: dict, names: tuple[str, ...], moved: list[dict]) -> None:
    """Print :func:`compare_rules`' figures of the rules `names` and the records that moved."""
    for k in names:
        for c in (0, 1):
            print(f"  {cut} {k:>7} lead {c}: " + ", ".join(
                f"{m} {v:.2f}" for m, v in fig[k, c].items()))
    for m in moved:
        print(f"  {cut} moved: {m}")


def moved_records(records: list[dict], counts: tuple[str, ...] = ("n_called_abnormal",
                                                                   "s_called_s"),
                  extra: tuple[str, ...] = (), at_least: int = 5) -> list[dict]:
    """The rows of :func:`compare_rules`' `records` in which one of `counts` changes by
    `at_least` or more between the first two rules (fold, lead, record, `extra`, counts)."""
    keys = ("fold", "lead", "record", *extra, *counts)
    return [{k: r[k] for k in keys} for r in records
            if max(abs(r[k][1] - r[k][0]) for k in counts) >= at_least]


def write_result(name: str, result: dict) -> None:
    """Write a script's result to ``benchmarks/results/NAME.json`` (indented JSON,
    atomically) and say where."""
    path = RESULTS / f"{name}.json"
    with atomic_open(path) as fh:
        fh.write(json.dumps(result, indent=1, default=str).encode())
    print(f"wrote {path}")
