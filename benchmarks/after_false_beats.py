"""How many N beats called abnormal at the detected cut sit next to a false detection.

    HEARTBEAT_CACHE=DIR PYTHONPATH=. python benchmarks/after_false_beats.py \\
        --logits-dir SCRATCH/cv_logits [--recipe ch0+ch1] [--prefix detcut_es_]

A look, not a change.  At the detected cut (what ``classify()`` does) the RR features
come from every detected peak, false ones included: a false detection (a T wave, a
P wave, noise) between two beats makes the next beat's previous RR short, and a short
previous RR is what the network and the S step of ``adapt="template"`` read as
premature.  From the kept held-out logits of the fold runs (``cv_patients.py folds``),
each fold's 3-seed ensemble after today's ``adapt="template"``
(``TemplateRule()``, as ``classify`` applies it), every annotated N beat the ensemble
calls S, V or F is counted by what lies around it among the detector's peaks on that
lead (the peaks ``segment`` cuts, as the held-out sets were built): a detection that
matches no beat annotation within 150 ms right before it, right after it, or neither.
Printed per lead and label; nothing is written.  Also printed: how tall the false
detections are, by the peak-to-peak amplitude of the first 0.24 s of the cut beat (the
template step's window) over the median of the record's detections matched to N beats,
against the same ratio of those N beats: how well a height alone would tell the two
apart.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _fold_logits
import _recipe
import _s_fallback_folds as ff
import _template_folds as tf
from _common import data_root

from heartbeat.classifier.template import DEFAULT_RULE
from heartbeat.io import read_record
from heartbeat.pipeline import segment

LABELS = {1: "S", 2: "V", 3: "F"}


WINDOW = 30  # samples at 125 Hz: the template step's 0.24 s


def detected_beats(record: str, lead: int) -> tuple[np.ndarray, np.ndarray]:
    """The peaks ``segment`` cuts on one lead of a MIT-BIH record (sorted) and each cut
    beat's peak-to-peak amplitude over the template step's window."""
    rec = read_record(data_root() / "mitdb" / record, channels=[lead])
    signal = np.ascontiguousarray(rec.signal[:, 0], dtype=np.float64)
    beats = segment(signal, float(rec.fs))
    head = np.asarray(beats.waveforms)[:, :WINDOW]
    return np.asarray(beats.r_peaks, dtype=np.int64), np.ptp(head, axis=1)


def neighbours(samples: np.ndarray, peaks: np.ndarray, matched: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """For beats at `samples` (each one of `peaks`): is the detection right before / right
    after it one that matches no annotation (not in `matched`)?"""
    i = np.searchsorted(peaks, samples)
    before = (i > 0) & ~np.isin(peaks[np.maximum(i - 1, 0)], matched)
    after = (i + 1 < peaks.size) & ~np.isin(peaks[np.minimum(i + 1, peaks.size - 1)],
                                             matched)
    return before, after


def count(scored: dict, recipe: str, folds: list, lead: int, cut: dict
          ) -> tuple[dict, dict]:
    """Per label: [N beats called it, after a false detection, before one]; under "all
    N" the same counts over every held-out N beat, whatever it is called.  And the
    heights (see the module's doc) of the false detections and of the N beats."""
    table = {name: [0, 0, 0] for name in (*LABELS.values(), "all N")}
    heights: dict[str, list] = {"false detections": [], "N beats": []}
    every = cut[lead]
    for fold in folds:
        run = scored[recipe, "ensemble", fold, lead]
        # the rule as it was when this look ran (the fold copy has no neighbours step)
        called = ff.adapted(run, dataclasses.replace(DEFAULT_RULE, **tf.BEFORE_NEIGHBOURS))
        held = every[np.isin(every.record, np.unique(run.record))]
        held = held[held.y < 4]  # the order of the kept logits
        for record in np.unique(run.record):
            rows = run.record == record
            peaks, ptp = detected_beats(str(record), lead)
            matched = every.sample[every.record == record]
            before, after = neighbours(held.sample[rows], peaks, matched)
            normal_peaks = np.isin(peaks, matched[every.y[every.record == record] == 0])
            scale = np.median(ptp[normal_peaks]) if normal_peaks.any() else np.nan
            heights["false detections"].append(ptp[~np.isin(peaks, matched)] / scale)
            heights["N beats"].append(ptp[normal_peaks] / scale)
            normal = run.y[rows] == 0
            for code, name in (*LABELS.items(), (None, "all N")):
                hit = normal & (called[rows] == code) if code else normal
                table[name][0] += int(hit.sum())
                table[name][1] += int((hit & before).sum())
                table[name][2] += int((hit & after).sum())
    return table, {k: np.concatenate(v) for k, v in heights.items()}


def main() -> None:
    args, cache = _fold_logits.look_options(__doc__.splitlines()[0])
    scored, _, folds = _fold_logits.scored_at(args, cache, "detector")
    cut = {c: _recipe.beats(c, cache, peaks="detector") for c in (0, 1)}
    for lead in (0, 1):
        n_normal = sum(int((scored[args.recipe, "ensemble", f, lead].y == 0).sum())
                       for f in folds)
        print(f"lead {lead}: {n_normal} N beats held out; called S, V, F (all, right "
              "after a false detection, right before one), and all N beats:")
        table, heights = count(scored, args.recipe, folds, lead, cut)
        for name, (n, before, after) in table.items():
            print(f"  {name}: {n} ({100 * n / n_normal:.2f} %), {before}, {after}")
        for name, h in heights.items():
            q = np.nanquantile(h, [0.1, 0.25, 0.5, 0.75, 0.9])
            below = ", ".join(f"{100 * np.mean(h < a):.1f} % below {a}" for a in (0.3, 0.5))
            print(f"  height of the {len(h)} {name}: percentiles 10, 25, 50, 75, 90: "
                  f"{np.round(q, 2).tolist()}; {below}")


if __name__ == "__main__":
    main()
