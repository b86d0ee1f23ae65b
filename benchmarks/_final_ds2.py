"""``cv_patients.py final``: the shipped ``mitbih-ds1`` (or candidates) scored on DS2, once.

DS2 is read here and nowhere else in the fold protocol.  ``write`` is cv_patients'; it
is passed in, with the beat-set cache.
"""

from __future__ import annotations

from pathlib import Path

import _recipe
import numpy as np

from heartbeat import datasets


class _MeanLogits:
    """Members whose logits are averaged: a seed ensemble, scored as one model."""

    def __init__(self, models: list) -> None:
        self.models = models

    def predict_logits(self, x, extra, batch_size: int = 256) -> np.ndarray:
        return np.mean([m.predict_logits(x, extra, batch_size=batch_size)
                        for m in self.models], axis=0)


def run(args, *, write, cache: Path) -> None:
    from heartbeat import BeatClassifier

    paths = args.model or [None]
    clfs = [BeatClassifier.pretrained("mitbih-ds1") if path is None else
            BeatClassifier.load(path) for path in paths]
    for clf in clfs:
        if sorted(set(clf.info.get("records", [])) - set(datasets.DS1)):
            raise SystemExit("final scores models trained on DS1 records only")
    model = clfs[0].model_ if len(clfs) == 1 else _MeanLogits([c.model_ for c in clfs])
    names = ["mitbih-ds1" if path is None else Path(path).name for path in paths]
    out = {"model": names if len(names) > 1 else names[0],
           "recipe": clfs[0].info.get("recipe"),
           "combined": "mean of the members' logits" if len(clfs) > 1 else None,
           "command": "python benchmarks/cv_patients.py final"
           + ("" if args.model is None else " --model " + " ".join(names))}
    if args.adapt == "template":
        out["command"] += " --adapt template"
    if args.cut != "annotations":
        out["command"] += f" --cut {args.cut}"
        out["cut"] = ("the detected R peaks (classify()'s detector on that lead), each "
                      "matched to an annotated beat within 150 ms for its label; "
                      "unmatched detections and missed beats are not scored")
    for c in (0, 1):
        b = _recipe.beats(c, cache, peaks=args.cut)
        ds2 = b[np.isin(b.record, datasets.DS2)]
        if args.adapt == "template":
            figs, out[f"ch{c}_shares"] = _final_template(
                model, ds2, clfs[0].calibration_.probabilities)
            out[f"ch{c}"] = figs.pop("template")
            out |= {f"ch{c}_{tag}": fig for tag, fig in figs.items()}
        else:
            out[f"ch{c}"] = _recipe.score(model, ds2)
        s = out[f"ch{c}"]
        print(f"DS2 lead {c}: accuracy {100 * s['accuracy']:.2f} %, N called abnormal "
              f"{100 * s['n_called_abnormal']:.2f} %")
        for k in ("N", "S", "V", "F"):
            print(f"  {k}: Se {100 * s[k]['se']:.1f} +P {100 * s[k]['ppv']:.1f} "
                  f"F1 {s[k]['f1']:.3f} (n={s[k]['support']})")
        for tag, what in (("before_shift", "the shift"), ("before_neighbours", "the neighbours")):
            if f"ch{c}_{tag}" not in out:
                continue
            b = out[f"ch{c}_{tag}"]
            print(f"  the rule before {what}: accuracy {100 * b['accuracy']:.2f} %, N called "
                  f"abnormal {100 * b['n_called_abnormal']:.2f} %, V Se/+P "
                  f"{100 * b['V']['se']:.1f}/{100 * b['V']['ppv']:.1f}, S Se/+P "
                  f"{100 * b['S']['se']:.1f}/{100 * b['S']['ppv']:.1f}")
    name = "cv_final" if args.model is None else f"cv_final_{args.tag}"
    write(name + ("_template" if args.adapt == "template" else "")
          + ("_detcut" if args.cut == "detector" else ""), out)


def _final_template(model, data: datasets.BeatSet, probabilities) -> tuple[dict, dict]:
    """DS2 figures with adapt="template" (the shipped rule, as ``classify()`` applies it:
    the fallback template and the shift of beats on time included), with the shipped
    rule before the shift was adopted, before the neighbours step and before the sure-V
    guard, without
    adaptation, with its V/F step alone (the rule before the S step) and with the S step
    without its rhythm guard, from one pass.  The shipped rule is applied by the
    package's ``adapt_template`` itself (``_fold_proba.adapted``; so is the rule before
    the sure-V guard), on the probabilities
    ``classify()`` gives (`probabilities`: the first model's calibration, its
    temperature); the other rows by the fold scripts' copies of its steps, on the
    logits' argmax.

    Each DS2 record is adapted on its own N, S, V, F beats (cut at the annotated R
    peaks, as everywhere here, or with ``--cut detector`` at the detected ones).  Also,
    per record, the shares of its beats called V or F and called S, and of its N beats
    called abnormal, for each of those.
    """
    import dataclasses

    import _fold_proba as fp
    import _s_fallback_folds as ff
    import _s_gate_folds as gf
    import _s_step_folds as sf
    import _template_folds as tf

    from heartbeat.classifier.template import DEFAULT_RULE

    x, rr = _recipe.inputs(data)
    keep = data.y < 4
    y = data.y[keep].astype(np.int64)
    logits = model.predict_logits(x[keep], rr[keep], batch_size=256)
    run = tf.Run(logits, y, data.record[keep], data.x[keep], data.rr[keep])
    proba, shipped_beats = probabilities(logits.astype(np.float64)), data[keep]
    before_shift = dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_SHIFT)  # V template off too
    preds = {"none": run.pred, "vf_step": run.adapted(sf.VF_RULE),
             "s_step": gf.adapted(run, gf.CURRENT),  # the S step without the guard
             "before_shift": ff.adapted(run, before_shift),
             "before_neighbours": ff.adapted(
                 run, dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_NEIGHBOURS)),
             "before_sure_v": fp.adapted(proba, shipped_beats, dataclasses.replace(
                 DEFAULT_RULE, **tf.BEFORE_SURE_V)).argmax(axis=1),
             "template": fp.adapted(proba, shipped_beats).argmax(axis=1)}
    shares = {}
    for record in np.unique(data.record[keep]):
        rows = data.record[keep] == record
        shares[str(record)] = {
            f"{kind}_{tag}": round(float(np.isin(pred[rows], codes).mean()), 4)
            for tag, pred in preds.items() for kind, codes in (("vf", (2, 3)), ("s", (1,)))}
        normal = rows & (y == 0)
        shares[str(record)] |= {f"n_abnormal_{tag}": round(float((pred[normal] != 0).mean()), 4)
                                for tag, pred in preds.items() if normal.any()}
    same = fp.adapted(proba, shipped_beats, dataclasses.replace(
        DEFAULT_RULE, **tf.BEFORE_NEIGHBOURS)).argmax(axis=1)
    print(f"  check: the package's rule without the neighbours step gives the fold "
          f"scripts' before-neighbours call on {np.mean(same == preds['before_neighbours']):.2%}"
          " of the beats")
    figs = {tag: _recipe.figures(_recipe.confusion(y, pred)) for tag, pred in preds.items()}
    return figs, shares
