"""Training beats cut a little off the annotated R peak: the views of the ``+jit`` recipe.

At the detected cut (what ``classify()`` does) a beat's R peak may sit tens of
milliseconds from where the annotations put it, on the other lobe of a two-lobed complex
(docs/results.md, "Beats cut where the detector cuts them").  The ``+jit`` recipe trains
on beats cut with such offsets: each annotated beat of a lead is cut, with probability
:data:`P`, at the annotation moved by a whole number of samples drawn uniformly from
``[-MAX_S, +MAX_S]`` at the record's rate (zero excluded), else at the annotation.  The
RR features come from the moved peaks, as they come from the detected peaks in
``classify()``; the record context (beat minus the median of its 41 nearest beats) is
computed from the moved beats when the recipe's inputs are made.  The draw is fixed per
record and lead (the same set for every training seed), and cached.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
from _common import data_root

from heartbeat import datasets
from heartbeat.context import _rr_features
from heartbeat.datasets.sets import BeatSet, concatenate

MAX_S = 0.040  # the shift grid's edge of adapt="template" (TemplateRule.max_lag_s)
P = 0.5  # share of beats cut off the annotation


def offsets(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """`n` cut offsets in samples: 0 with probability 1 - P, else uniform in
    ``[-k, k]`` without 0, ``k = round(MAX_S * fs)``."""
    k = round(MAX_S * fs)
    size = rng.integers(1, k + 1, size=n)
    sign = np.where(rng.random(n) < 0.5, -1, 1)
    moved = rng.random(n) < P
    return np.where(moved, sign * size, 0).astype(np.int64)


def record_beats(annotated: BeatSet, name: str, channel: int) -> BeatSet:
    """One record's beats of `annotated` (cut at the annotations) cut again at moved
    peaks; a moved peak that would leave the signal or pass a neighbour stays put."""
    from heartbeat.io import read_record
    from heartbeat.pipeline import segment

    rec = read_record(data_root() / "mitdb" / name, channels=[channel])
    fs = float(rec.fs)
    signal = np.ascontiguousarray(rec.signal[:, 0], dtype=np.float64)
    own = annotated[annotated.record == name]
    rng = np.random.default_rng([zlib.crc32(name.encode()), channel, 0x717])
    moved = own.sample + offsets(len(own), fs, rng)
    inside = (moved >= 0) & (moved < len(signal))
    moved = np.where(inside, moved, own.sample)
    order_kept = np.concatenate([[True], np.diff(moved) > 0]) & \
        np.concatenate([np.diff(moved) > 0, [True]])
    moved = np.where(order_kept, moved, own.sample)
    if np.any(np.diff(moved) <= 0):  # a stayed-put peak next to a moved one: all stay
        moved = own.sample.copy()
    beats = segment(signal, fs, r_peaks=moved)
    cut = np.asarray(beats.r_peaks, dtype=np.int64)
    idx = np.searchsorted(moved, cut)
    rr = _rr_features(moved, fs)
    return BeatSet(x=np.ascontiguousarray(beats.waveforms, dtype=np.float32),
                   y=own.y[idx], record=own.record[idx], sample=moved[idx], rr=rr[idx],
                   n_unmatched=0, n_missed=len(own) - len(idx))


def jittered_beats(channel: int, cache_dir: str | Path) -> BeatSet:
    """All 48 records' beats of one lead cut at moved peaks (cached in `cache_dir`)."""
    path = Path(cache_dir) / f"jitter-ch{channel}-{MAX_S:g}-{P:g}.npz"
    if path.is_file():
        return BeatSet.load(path)
    annotated = datasets.mitbih_beats(data_root() / "mitdb", channel=channel,
                                      cache_dir=cache_dir, quiet=True)
    names = sorted(set(annotated.record.tolist()))
    result = concatenate([record_beats(annotated, name, channel) for name in names])
    path.parent.mkdir(parents=True, exist_ok=True)
    result.save(path)
    return result
