"""The fold runs' kept held-out logits, at the annotated cut and where the detector cuts.

Used by ``cv_patients.py``.  Every fold model is scored on its held-out beats cut at the
annotated R peaks (``seedS_foldK_chC.npz`` in the recipe's folder) and, as
``classify()`` runs it, at the R peaks its detector finds on each lead (the same files in
the folder with the suffix ``_detcut``; figures under ``chC_detcut`` in the run's
record).  The held-out beats of the two cuts differ: at the detected peaks an annotated
beat no detection matches within 150 ms is not scored, nor is a detection that matches
no annotation.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
from pathlib import Path
from types import SimpleNamespace

import _recipe
import numpy as np

CUTS = {"annotations": "", "detector": "_detcut"}  # held-out cut -> suffix of its files


def save_logits(path: Path, out: dict, counts: np.ndarray) -> None:
    """One run's held-out logits, truths and records (scratch, for the pooled rows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, logits=out["logits"], y=out["y"], record=out["record"].astype("U8"),
             train_class_counts=counts)
    os.replace(tmp, path)


def load_runs(folder: Path) -> dict[tuple[int, int, int], dict]:
    """The saved held-out outputs of one recipe: (seed, fold, lead) -> arrays."""
    runs = {}
    for path in sorted(folder.glob("seed*_fold*_ch*.npz")):
        seed, fold, lead = (int(t) for t in re.findall(r"\d+", path.stem)[:3])
        with np.load(path, allow_pickle=False) as f:
            runs[seed, fold, lead] = {k: f[k] for k in f.files}
    return runs


def folder(logits_dir: Path, name: str, peaks: str) -> Path:
    """The folder of a recipe's held-out logits at one cut (`name`: prefix + recipe)."""
    if peaks not in CUTS:
        raise ValueError(f"peaks must be one of {tuple(CUTS)}, got {peaks!r}")
    return Path(logits_dir) / f"{name}{CUTS[peaks]}"


def score_detector_cut(model, run: dict, held_sets: dict, held: list[str], *,
                       logits_dir: Path, name: str, seed: int, fold: int,
                       counts: np.ndarray) -> None:
    """Score `model` on the held-out records' beats cut at the detected peaks, lead by
    lead (`held_sets`: lead -> that cut's BeatSet), into ``run["chC_detcut"]``, and keep
    the logits."""
    suffix = CUTS["detector"]
    for c, beats in held_sets.items():
        out = _recipe.held_out_logits(model, beats[np.isin(beats.record, held)])
        run[f"ch{c}{suffix}"] = _recipe.figures(
            _recipe.confusion(out["y"], out["logits"].argmax(axis=1)))
        save_logits(folder(logits_dir, name, "detector") / f"seed{seed}_fold{fold}_ch{c}.npz",
                    out, counts)


def summary_at(runs: list[dict], peaks: str) -> dict | None:
    """:func:`_recipe.summarise` of the runs scored at one cut (None if none was)."""
    suffix = CUTS[peaks]
    rows = [{lead: r[f"{lead}{suffix}"] for lead in ("ch0", "ch1")} for r in runs
            if f"ch0{suffix}" in r and f"ch1{suffix}" in r]
    return _recipe.summarise(rows) if rows else None


def choice_name(prefix: str, peaks: str) -> str:
    """The decision file of ``template-recipes``: ``cv_template_recipes_choice`` for the
    committed ``es_`` runs at the annotated cut, else named by prefix and cut."""
    tag = f"{prefix.rstrip('_')}{CUTS[peaks]}"
    return "cv_template_recipes_choice" if tag == "es" else f"cv_template_recipes_{tag}_choice"


def held_out(args, cache: Path) -> tuple[dict, list]:
    """The kept held-out logits beside their beats: (recipe, member, fold, lead) ->
    (logits, held-out BeatSet) for the members (seeds and "ensemble", the seeds' logits
    averaged), and the folds, at the cut ``args.cut`` (default: the annotated peaks)."""
    peaks = getattr(args, "cut", "annotations")
    leads = {c: _recipe.beats(c, cache, peaks=peaks) for c in (0, 1)}
    runs, folds = {}, None
    for text in args.recipe:
        saved = load_runs(folder(args.logits_dir, f"{args.prefix}{text.replace('+', '_')}",
                                 peaks))
        if not saved:
            raise SystemExit(f"{text}: no kept logits at the {peaks} cut")
        seeds = sorted({s for s, _, _ in saved if not args.seeds or s in args.seeds})
        folds = sorted({f for _, f, _ in saved})
        for (s, f, c), out in saved.items():
            if s not in seeds:
                continue
            held = leads[c][np.isin(leads[c].record, np.unique(out["record"]))]
            held = held[held.y < 4]  # the order of the kept logits (held_out_logits)
            if not np.array_equal(held.y, out["y"]):
                raise SystemExit(f"{text} seed {s} fold {f} lead {c}: beats do not match")
            runs[text, s, f, c] = (out["logits"], held)
        for f, c in itertools.product(folds, (0, 1)):
            mean = np.mean([runs[text, s, f, c][0] for s in seeds], axis=0)
            runs[text, "ensemble", f, c] = (mean, runs[text, seeds[0], f, c][1])
    return runs, folds


def scored_runs(args, cache: Path) -> tuple[dict, list, list]:
    """The kept held-out logits as ``_template_folds.Run`` per (recipe, member, fold, lead),
    the members (seeds and "ensemble", the seeds' logits averaged) and the folds, at the
    cut ``args.cut`` (default: the annotated peaks)."""
    import _template_folds as tf

    runs, folds = held_out(args, cache)
    scored = {key: tf.Run(logits, held.y.astype(np.int64), held.record, held.x, held.rr)
              for key, (logits, held) in runs.items()}
    members = sorted({m for _, m, _, _ in scored}, key=str)
    return scored, members, folds


def look_options(description: str) -> tuple[argparse.Namespace, Path]:
    """The command line of a look at the kept logits (``--recipe``, ``--prefix``,
    ``--logits-dir``) and the beat cache (``HEARTBEAT_CACHE``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--recipe", default="ch0+ch1")
    parser.add_argument("--prefix", default="detcut_es_")
    parser.add_argument("--logits-dir", type=Path, required=True)
    args = parser.parse_args()
    return args, Path(os.environ.get("HEARTBEAT_CACHE", "scratch/cache"))


def scored_at(args: argparse.Namespace, cache: Path, cut: str) -> tuple[dict, list, list]:
    """:func:`scored_runs` of ``args.recipe`` (one recipe, every seed) at `cut`."""
    runs = SimpleNamespace(recipe=[args.recipe], prefix=args.prefix, cut=cut,
                           logits_dir=args.logits_dir, seeds=None)
    return scored_runs(runs, cache)
