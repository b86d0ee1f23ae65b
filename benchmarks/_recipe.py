"""One training recipe for the beat classifier, shared by the fold protocol and the shipped models.

A recipe says which MIT-BIH leads are training views, where their beats are cut
(annotated or detected R peaks), whether batches are augmented and how long to train:
as the shipped models are (at most ``max_epochs`` epochs, early stopping with patience
``early_stopping`` on validation macro-F1, all N beats), or for a fixed number of
steps (``early_stopping=None``, the first fold protocol).  The
inputs are those of ``BeatClassifier(context=20, log_rr=True)``: each beat with its
record context (beat minus the median of its recording's 41 nearest beats) and the
three RR features, log-transformed by the model.  :func:`train` returns a model whose
file ``BeatClassifier.load`` reads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from _common import data_root

import heartbeat.nn as nn
from heartbeat import datasets
from heartbeat.context import with_context
from heartbeat.training import Augmenter, fit, noise_bank

CONTEXT = 20
CLASSES = ("N", "S", "V", "F", "Q")


@dataclass(frozen=True)
class Recipe:
    """What a training run varies; the rest is the Kachuee network with context + log RR."""

    channels: tuple[int, ...] = (0,)  # MIT-BIH leads used as training views
    augment: bool = False  # heartbeat.training.Augmenter with the NST ma/bw banks
    steps: int = 500  # without early stopping: optimiser steps (whole epochs, nearest)
    n_cap: int | None = None  # N beats drawn (seeded) from the training records; None: all
    early_stopping: int | None = 3  # patience in epochs (validation macro-F1), as shipped
    max_epochs: int = 12  # with early stopping, as the shipped mitbih-ds1
    batch_size: int = 64
    learning_rate: float = 1e-3
    exclude_q: bool = True  # DS1 holds 8 Q beats: balanced batches would repeat them
    peaks: str = "annotations"  # where training beats are cut: see :func:`beats`

    def name(self) -> str:
        leads = "+".join(f"ch{c}" for c in self.channels)
        return (f"{leads}{'+aug' if self.augment else ''}"
                f"{PEAK_TAGS[self.peaks]}")


PEAK_TAGS = {"annotations": "", "detector": "+det", "jitter": "+jit"}
"""Where a recipe's training beats are cut -> the tag its name carries."""


def beats(channel: int, cache_dir: str | Path, peaks: str = "annotations"
          ) -> datasets.BeatSet:
    """All 48 records' beats of one lead (cached), cut at the annotated R peaks; with
    ``peaks="detector"`` at the peaks ``classify()``'s detector finds on that lead
    (matched to the annotations within 150 ms for their labels; unmatched dropped); with
    ``peaks="jitter"`` at annotated peaks moved at random (``_jitter``)."""
    if peaks not in PEAK_TAGS:
        raise ValueError(f"peaks must be one of {tuple(PEAK_TAGS)}, got {peaks!r}")
    if peaks == "jitter":
        import _jitter

        return _jitter.jittered_beats(channel, cache_dir)
    return datasets.mitbih_beats(data_root() / "mitdb", channel=channel, peaks=peaks,
                                 cache_dir=cache_dir, quiet=True)


def inputs(data: datasets.BeatSet) -> tuple[np.ndarray, np.ndarray]:
    """(beats with record context (n, 2, 187), RR features (n, 3)) of one lead's set."""
    x = with_context(data.x, CONTEXT, data.record, times=data.sample)
    return np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(data.rr)


def augmenter() -> Augmenter:
    """The augmenter with real muscle and baseline noise (NST ``ma``/``bw``, both channels)."""
    from heartbeat.io import read_record

    banks = {}
    for name in ("ma", "bw"):
        rec = read_record(data_root() / "nstdb-noise" / name)
        banks[name] = np.concatenate([noise_bank(rec.signal[:, c], rec.fs)
                                      for c in range(rec.signal.shape[1])])
    return Augmenter(muscle_bank=banks["ma"], wander_bank=banks["bw"])


def _stack(recipe: Recipe, views: list[datasets.BeatSet], rng: np.random.Generator | None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, rr, y) of the views' beats (no Q if the recipe says so; N capped if rng)."""
    xs, rrs, ys = [], [], []
    for view in views:
        keep = view.y < 4 if recipe.exclude_q else np.ones(len(view), bool)
        normal = np.flatnonzero(view.y == 0)
        cap = len(normal) if recipe.n_cap is None or rng is None else \
            recipe.n_cap // len(views)
        if len(normal) > cap:  # a seeded subset of the N beats: shorter epochs
            keep[rng.choice(normal, size=len(normal) - cap, replace=False)] = False
        x, rr = inputs(view)  # context from all beats of the record, kept or not
        xs.append(x[keep])
        rrs.append(rr[keep])
        ys.append(view.y[keep].astype(np.int64))
    return np.concatenate(xs), np.concatenate(rrs), np.concatenate(ys)


def train(recipe: Recipe, views: list[datasets.BeatSet], *, seed: int,
          validation: list[datasets.BeatSet] | None = None, callback=None,
          quiet: bool = True):
    """Train a 5-output model on the training views; return (model, history, n per class).

    With ``recipe.early_stopping``, `validation` (the held-out records' beats, one
    set per training view) is scored after every epoch and the best epoch is kept.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xCA9]))
    x, rr, y = _stack(recipe, views, rng)
    model = nn.build("kachuee2018", len(CLASSES), seed=seed, extra_inputs=3,
                     input_channels=2, extra_transform="log", threads=1)
    if recipe.early_stopping is None:
        epochs = max(1, round(recipe.steps / -(-len(y) // recipe.batch_size)))
        val = None
    else:
        if not validation:
            raise ValueError("a recipe with early stopping needs validation beats")
        epochs = recipe.max_epochs
        val = _stack(recipe, validation, None)
        val = (val[0], val[2], val[1])  # fit's order: x, y, extra
    history = fit(model, x, y, extra=rr, epochs=epochs, batch_size=recipe.batch_size,
                  sampler="balanced", seed=seed, quiet=quiet, callback=callback,
                  validation=val, early_stopping=recipe.early_stopping,
                  augment=augmenter() if recipe.augment else None,
                  optimizer=lambda p: nn.Adam(p, lr=recipe.learning_rate, lr_decay=0.75,
                                              decay_every=10_000))
    return model, history, np.bincount(y, minlength=len(CLASSES))


def held_out_logits(model, data: datasets.BeatSet) -> dict[str, np.ndarray]:
    """Logits, true codes and records of every N, S, V, F beat of `data` (Q left out)."""
    x, rr = inputs(data)  # context from all the record's beats
    keep = data.y < 4
    return {"logits": model.predict_logits(x[keep], rr[keep], batch_size=256),
            "y": data.y[keep].astype(np.int64), "record": data.record[keep]}


def confusion(y: np.ndarray, pred: np.ndarray, weight: np.ndarray | None = None
              ) -> np.ndarray:
    """The 5 x 5 confusion matrix (rows: truth), optionally weighted."""
    conf = np.zeros((len(CLASSES), len(CLASSES)))
    np.add.at(conf, (y, pred), 1.0 if weight is None else weight)
    return conf


def score(model, data: datasets.BeatSet, *, n_sample: int | None = None,
          seed: int = 0) -> dict:
    """Per-class Se, +P, F1 over N, S, V, F (Q beats left out), and N called abnormal.

    With `n_sample`, only that many N beats (seeded) are classified, every other
    beat is; each sampled N beat then counts ``n_N / n_sample`` times in the
    confusion matrix, an unbiased estimate of the full one that costs far less.
    """
    x, rr = inputs(data)  # context from all the record's beats
    keep = data.y < 4
    weight = np.ones(len(data))
    normal = np.flatnonzero(data.y == 0)
    if n_sample is not None and len(normal) > n_sample:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5C0]))
        drop = rng.choice(normal, size=len(normal) - n_sample, replace=False)
        keep[drop] = False
        weight[:] = np.where(data.y == 0, len(normal) / n_sample, 1.0)
    y = data.y[keep].astype(np.int64)
    pred = model.predict_logits(x[keep], rr[keep], batch_size=256).argmax(axis=1)
    return figures(confusion(y, pred, weight[keep]))


def figures(conf: np.ndarray) -> dict:
    """Accuracy, N called abnormal, and Se, +P, F1 of N, S, V, F from a confusion matrix."""
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.diag(conf) / conf.sum(axis=1)
        ppv = np.diag(conf) / conf.sum(axis=0)  # nan for a class never predicted
        f1 = 2 * np.diag(conf) / (conf.sum(axis=1) + conf.sum(axis=0))  # 0 if never hit
    out = {"accuracy": float(np.trace(conf) / conf.sum()), "n": round(float(conf.sum())),
           "n_called_abnormal": float(1 - conf[0, 0] / conf[0].sum()),
           "confusion": np.round(conf, 1).tolist()}
    for i, c in enumerate(CLASSES[:4]):
        out[c] = {"se": float(se[i]), "ppv": float(ppv[i]), "f1": float(f1[i]),
                  "support": round(float(conf[i].sum()))}
    return out



def summarise(runs: list[dict], *, f_scores: bool = False) -> dict:
    """Mean and sd over runs (folds x seeds) of each figure, per lead.

    The figures are computed again from each run's confusion matrix (one definition for
    all files); with `f_scores` F Se and +P stand beside S and V.  A figure no run
    defines (e.g. +P of a class never predicted) has mean None.
    """
    classes = [("S", ("se", "ppv", "f1")), ("V", ("se", "ppv", "f1"))]
    if f_scores:
        classes.append(("F", ("se", "ppv")))
    out: dict = {}
    for lead in ("ch0", "ch1"):
        rows = [figures(np.asarray(r[lead]["confusion"])) for r in runs]
        table = {"accuracy": [x["accuracy"] for x in rows],
                 "n_called_abnormal": [x["n_called_abnormal"] for x in rows]}
        for c, metrics in classes:
            for m in metrics:
                table[f"{c}_{m}"] = [x[c][m] for x in rows]
        out[lead] = {}
        for key, v in table.items():
            v = np.asarray(v, dtype=float)
            finite = np.isfinite(v)
            out[lead][key] = [round(float(np.nanmean(v)), 4) if finite.any() else None,
                              round(float(np.nanstd(v, ddof=1)), 4)
                              if finite.sum() > 1 else 0.0]
    return out

def recipe_dict(recipe: Recipe) -> dict:
    return asdict(recipe) | {"name": recipe.name(), "context": CONTEXT, "log_rr": True,
                             "architecture": "kachuee2018", "sampler": "balanced"}
