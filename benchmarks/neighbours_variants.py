"""Two variants of the neighbours step, looked at after its adoption (nothing chosen).

    HEARTBEAT_CACHE=SCRATCH17/cache PYTHONPATH=. python benchmarks/neighbours_variants.py \\
        --prefix all_s68_ --logits-dir SCRATCH18/cv_logits --models-dir SCRATCH18/models

On the kept folds (:mod:`_fold_proba`: each fold's 3-seed ensemble, the shipped
temperature), at both cuts, the folds pooled per lead: today's rule without the
neighbours step, with it (as shipped), and two variants of it:

* ``features``: the distance taken between the seeds' convolutional features of the
  beats (each network's ``features.forward`` of the beat and its record context,
  concatenated, standardised per recording) instead of the first 0.5 s of the beat;
  it needs each fold's networks (``cv_patients.py folds --models-dir``);
* ``on-time``: a beat called V becomes N by its neighbours only if it comes on time
  (previous RR at least 0.9 x the local mean RR), as a beat becomes V only if early.

Printed, nothing written.  The folds it was run on had already judged the step.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import _recipe
import _template_folds as tf
import numpy as np
from _fold_proba import add_fold_arguments, fold_probabilities, percent_figures

import heartbeat.nn as nn
from heartbeat.classifier import neighbours as nb
from heartbeat.classifier.template import DEFAULT_RULE, _rr_ratios, adapt_template
from heartbeat.pipeline import FS_OUT

SHIPPED = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_SURE_V)  # as when looked at
OFF = dataclasses.replace(SHIPPED, neighbours_k=0)
CUTS = ("detector", "annotations")


def features(models: list, held) -> np.ndarray:
    """The networks' convolutional features of the held-out beats, side by side."""
    x, _ = _recipe.inputs(held)
    return np.concatenate([np.concatenate([m.features.forward(x[i:i + 2048])
                                           for i in range(0, len(x), 2048)])
                           for m in models], axis=1).astype(np.float64)


def variants(proba: np.ndarray, held, rows: np.ndarray, space: np.ndarray | None) -> dict:
    """Codes of one record's beats under each rule."""
    p, w, rr = proba[rows], held.x[rows], held.rr[rows]
    base = adapt_template(p, w, rr, classes=_recipe.CLASSES, fs_out=FS_OUT, rule=OFF)[0]
    shipped = adapt_template(p, w, rr, classes=_recipe.CLASSES, fs_out=FS_OUT,
                             rule=SHIPPED)[0]
    ratio = _rr_ratios(rr)[0]
    out = {"without": base.argmax(axis=1), "shipped": shipped.argmax(axis=1)}
    on_time = shipped.copy()  # undo a V -> N move of an early beat
    undo = (base.argmax(axis=1) == 2) & (out["shipped"] == 0) \
        & (ratio < DEFAULT_RULE.neighbours_max_rr_ratio)
    on_time[undo] = base[undo]
    out["on-time"] = on_time.argmax(axis=1)
    if space is not None:
        e = space[rows]
        e = (e - e.mean(axis=0)) / (e.std(axis=0) + 1e-9)
        sure = nb.sure_beats(out["without"], p, DEFAULT_RULE, _recipe.CLASSES)
        refs = np.concatenate([np.flatnonzero(sure[1]), np.flatnonzero(sure[0])])
        is_v = np.r_[np.ones(np.count_nonzero(sure[1]), bool),
                     np.zeros(np.count_nonzero(sure[0]), bool)]
        voted = nb.vote(base, e, ratio, sure, e[refs], is_v, DEFAULT_RULE, _recipe.CLASSES)
        out["features"] = voted.argmax(axis=1)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_fold_arguments(parser)
    parser.add_argument("--models-dir", type=Path, default=None,
                        help="the folds' networks (SEEDS' folders all_seedS_ch0_ch1)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[6, 7, 8])
    args = parser.parse_args(argv)
    conf = {}
    for cut in CUTS:
        for f, leads in fold_probabilities(args.logits_dir, args.prefix, args.recipe, cut):
            models = None if args.models_dir is None else [
                nn.load(args.models_dir / f"all_seed{s}_ch0_ch1" / f"seed{s}_fold{f}.npz").eval()
                for s in args.seeds]
            for c, (proba, held) in leads.items():
                space = None if models is None else features(models, held)
                y = held.y.astype(np.int64)
                for name in np.unique(held.record):
                    rows = np.flatnonzero(held.record == name)
                    for k, codes in variants(proba, held, rows, space).items():
                        conf[cut, c, k] = conf.get((cut, c, k), 0) \
                            + _recipe.confusion(y[rows], codes)
    for (cut, c, k), m in conf.items():
        g = percent_figures(m)
        print(f"{cut} lead {c} {k:>8}: N called abnormal {g['n_abnormal']:.2f} %, V Se "
              f"{g['V_se']:.2f} +P {g['V_ppv']:.2f} F1 {g['V_f1']:.2f}, S Se {g['S_se']:.2f}")


if __name__ == "__main__":
    main()
