"""What benchmarks/tune_detector.py scores: one lead-record's stages, clean or noisy, once.

The per-sample stages of the R-peak detector (band-pass, envelope, candidates, floor,
each candidate's refined index) do not depend on the decision rule's constants; a
:class:`Lead` holds them, and :func:`lead_peaks` reruns only the rule.  The noisy copies
follow the noise stress test's protocol with other stretches of the noise than the
standard test's (tune_detector.py's docstring).
"""

from __future__ import annotations

import itertools
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import data_root

from heartbeat import _detect_kernels as _k
from heartbeat import detect
from heartbeat.aami import class_codes, is_beat

NOISES = ("em", "bw", "ma")  # the stress test's noises (em: the model)
SNRS_DB = (12, 6)
TUNE_OFFSET_S = 120.0  # bw/ma read from 2:00: the standard test's off stretches
EM_TUNE_SEED = 1  # nst.py's em model uses seed 0
START_S = 300.0  # noisy copies are scored from 5:00, where the noise starts
CLEAN = "clean"
# module constants of heartbeat.detect read by the per-sample stages: a trial that sets
# one needs the stages computed anew (stage_settings); the others only rerun the rule
STAGE_NAMES = ("LOWPASS_S", "HIGHPASS_S", "SLOPE_S", "ENVELOPE_S", "FLOOR_BLOCK_S",
               "FLOOR_QUANTILE")


@dataclass
class Lead:
    """One lead-record's stages, computed once."""

    record: str
    lead: int
    condition: str  # "clean", or "<noise> <snr>" for a noisy copy
    fs: float
    beats: np.ndarray  # reference beat samples, those scored
    start: int  # peaks before this sample are not scored
    cand: np.ndarray  # envelope maxima
    height: np.ndarray  # the envelope at each candidate
    floor: np.ndarray  # the floor at each candidate
    slope_sq: np.ndarray
    refined: np.ndarray  # each candidate's R-peak index


def lead_stages(x: np.ndarray, fs: float, stage: dict | None = None) -> tuple:
    """(cand, height, floor, slope_sq, refined) of one lead: its per-sample stages, once.

    `stage` sets :data:`STAGE_NAMES` constants for the while (:func:`stage_settings`).
    """
    with constants({}, stage or {}):
        return _lead_stages(x, fs)


def _lead_stages(x: np.ndarray, fs: float) -> tuple:
    x, shift, scale, bp, slope_sq, sub, cand, energy, loops = detect._lead_stages(x, fs, "numba")
    refined = _k.REFINE.get(loops)(
        x, shift, scale, bp, cand, max(1, round(detect.SEARCH_S * fs)),
        max(1, round(detect.REFINE_S * fs)),
    )
    height, floor = detect._heights(cand, energy, sub, fs)
    return cand, height, floor, slope_sq, refined


def tuning_noises(n: int, fs: float) -> dict[str, np.ndarray]:
    """The noises of the noisy copies (module docstring: not the standard test's stretches)."""
    from heartbeat.noise import electrode_motion, read_noise

    noises = {}
    for name in NOISES:
        if name == "em":
            noises[name] = electrode_motion(n, fs, seed=EM_TUNE_SEED)
        else:
            noise, noise_fs = read_noise(data_root() / "nstdb-noise" / name)
            assert noise_fs == fs, "the NSTDB noise records are at MIT-BIH's 360 Hz"
            noises[name] = np.roll(noise, -round(TUNE_OFFSET_S * fs), axis=0)
    return noises


def read_mitdb(mitdb: Path, name: str) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """A record's signal, fs, beat annotations and nst's normal beats (map1 NORMAL)."""
    from heartbeat import io as wfdb

    record = wfdb.read_record(mitdb / name)
    ann = wfdb.read_annotations(mitdb / name, "atr")
    sample = np.asarray(ann.sample).astype(np.int64)
    codes = class_codes(ann.symbol)
    normal = sample[(codes >= 0) & (codes != 2) & (codes != 3)]
    beats = sample[is_beat(ann.symbol)]
    return np.asarray(record.signal, np.float64), float(record.fs), beats, normal


def record_leads(mitdb: Path, name: str, noises: dict | None, stage: dict | None = None
                 ) -> list[Lead]:
    """Both leads of a record, clean and (with `noises`) each noisy copy.

    `stage`: the stage constants to compute them with (:func:`stage_settings`).
    """
    from heartbeat.noise import add_noise

    signal, fs, beats, normal = read_mitdb(mitdb, name)
    copies = [(CLEAN, signal, 0)]
    for (noise_name, noise), snr in itertools.product((noises or {}).items(), SNRS_DB):
        noisy = add_noise(signal, fs, noise, snr_db=snr, beats=normal).signal
        copies.append((f"{noise_name} {snr}", noisy, round(START_S * fs)))
    out = []
    for condition, x, start in copies:
        for m in range(x.shape[1]):
            stages = lead_stages(np.ascontiguousarray(x[:, m]), fs, stage)
            out.append(Lead(name, m, condition, fs, beats[beats >= start], start, *stages))
    return out


def count_matches(detected: np.ndarray, reference: np.ndarray, tolerance: float) -> int:
    """Matched pairs by the rule of heartbeat.metrics.match_peaks (sorted inputs)."""
    return _count_matches(detected, reference, tolerance)


def _count_matches_py(detected, reference, tolerance):
    n_det = detected.shape[0]
    used = np.zeros(n_det, dtype=np.bool_)
    lo = 0
    tp = 0
    for r in reference:
        while lo < n_det and detected[lo] < r - tolerance:
            lo += 1
        best = -1
        j = lo
        while j < n_det and detected[j] <= r + tolerance:
            if not used[j] and (best < 0 or abs(detected[j] - r) < abs(detected[best] - r)):
                best = j
            j += 1
        if best >= 0:
            used[best] = True
            tp += 1
    return tp


try:
    from numba import njit

    _count_matches = njit(cache=True)(_count_matches_py)
except ImportError:  # pragma: no cover
    _count_matches = _count_matches_py


@contextmanager
def constants(rule: dict, settings: dict):
    """Set detect.RULE entries and module constants of heartbeat.detect for a while."""
    saved = dict(detect.RULE), {k: getattr(detect, k) for k in settings}
    try:
        detect.RULE.update(rule)
        for key, value in settings.items():
            setattr(detect, key, value)
        yield
    finally:
        detect.RULE.clear()
        detect.RULE.update(saved[0])
        for key, value in saved[1].items():
            setattr(detect, key, value)


def lead_peaks(lead: Lead, rule: dict, settings: dict) -> tuple[np.ndarray, np.ndarray]:
    """The peaks and qualities of one lead-record under `rule` and `settings`."""
    with constants(rule, settings):
        accepted, quality = detect._decide_heights(
            lead.cand, lead.height, lead.floor, lead.slope_sq, lead.fs, "numba"
        )
    peaks, first = np.unique(lead.refined[accepted], return_index=True)
    return peaks, quality[first]


def score(peaks: np.ndarray, lead: Lead) -> tuple[int, int, int]:
    """TP, FN, FP of `peaks` (those from lead.start on) against the lead-record's reference."""
    peaks = peaks[peaks >= lead.start]
    tp = count_matches(peaks, lead.beats, 0.15 * lead.fs)
    return tp, lead.beats.size - tp, peaks.size - tp


def grid(space: list[list[dict]]) -> list[dict]:
    """Every combination of one choice from each group (a choice sets one or more names)."""
    trials = []
    for choice in itertools.product(*space):
        trial = {}
        for part in choice:
            trial.update(part)
        trials.append(trial)
    return trials


def stage_settings(trial: dict) -> dict:
    """The trial's settings that change the per-sample stages (:data:`STAGE_NAMES`)."""
    return {k: trial[k] for k in STAGE_NAMES if k in trial}


def stage_groups(trials: list[dict]) -> list[tuple[dict, list[int]]]:
    """The trials' distinct stage settings, each with the indices of its trials."""
    groups: dict[tuple, tuple[dict, list[int]]] = {}
    for t, trial in enumerate(trials):
        stage = stage_settings(trial)
        groups.setdefault(tuple(sorted(stage.items())), (stage, []))[1].append(t)
    return list(groups.values())


def split(trial: dict) -> tuple[dict, dict]:
    """A trial's RULE entries and its module-level settings (upper-case names)."""
    rule = {k: v for k, v in trial.items() if k in detect.RULE}
    return rule, {k: v for k, v in trial.items() if k not in rule}
