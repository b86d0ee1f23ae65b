"""Choose the R-peak detector's constants by cross-validation over MIT-BIH records.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice -n 10 python benchmarks/tune_detector.py

Both leads of all 48 MIT-BIH Arrhythmia records (96 lead-records) are scored against
every beat annotation (150 ms, one-to-one, as ``benchmarks/bench_detect.py`` does).
The records are dealt into 4 folds by a seeded shuffle; both leads of a record are
always in the same fold.  For each fold, the constants are chosen on the other three
folds and then scored on the held-out one; the held-out figures, summed over the four
folds, are the honest estimate.  The final constants are chosen on all 48 records and
their figures are reported beside (they are fitted to the records they are reported
on: not an estimate).

The objective on a set of records: the smallest of gross Se and +P over lead 0 and
lead 1 separately (each lead must pass on its own), minus a penalty for each
lead-record below 95 % on Se or +P (record 207, whose ventricular flutter waves the
reference does not count as beats, excepted).

The per-sample stages (band-pass, envelope, candidates) do not depend on the rule's
constants: they run once per lead-record and are kept in memory; each candidate's
refined R-peak index is computed once too (refinement is per candidate).  Only the
floor, the prescreen and :func:`heartbeat._detect_kernels.decide_beats` rerun per
trial.  The multi-lead vote (``MERGE_*``) is chosen the same way afterwards, on the
per-lead detections of the chosen rule.

Results go to ``benchmarks/results/tune_detector.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import REPO, default_mitdb

from heartbeat import _detect_kernels as _k
from heartbeat import detect
from heartbeat._atomic import atomic_open
from heartbeat.aami import is_beat

NOISE_SEED = 1  # bench_detect.py's noise run uses seed 0: an independent check
NOISE_MAX_PER_HOUR = 10  # a trial may find at most this many beats in an hour of noise
EXEMPT = {"207"}  # ventricular flutter: its waves are not beats in the reference
LOW = 0.95  # a lead-record below this on Se or +P is penalised
PENALTY = 0.002  # per such lead-record


@dataclass
class Lead:
    """One lead-record's stages, computed once."""

    record: str
    lead: int
    fs: float
    beats: np.ndarray  # reference beat samples
    cand: np.ndarray  # envelope maxima
    energy: np.ndarray  # the squared envelope at each candidate
    sub: np.ndarray  # the squared envelope on the floor's grid
    slope_sq: np.ndarray
    refined: np.ndarray  # each candidate's R-peak index


def lead_stages(x: np.ndarray, fs: float) -> tuple:
    """(cand, energy, sub, slope_sq, refined) of one lead: its per-sample stages, once."""
    x, shift, scale, bp, slope_sq, sub, cand, energy, loops = detect._lead_stages(x, fs, "numba")
    refined = _k.REFINE.get(loops)(
        x, shift, scale, bp, cand, max(1, round(detect.SEARCH_S * fs)),
        max(1, round(detect.REFINE_S * fs)),
    )
    return cand, energy, sub, slope_sq, refined


def load_leads(mitdb: Path, names: list[str]) -> list[Lead]:
    """Compute the per-sample stages of both leads of each record."""
    from heartbeat import io as wfdb

    out = []
    for name in names:
        record = wfdb.read_record(mitdb / name)
        ann = wfdb.read_annotations(mitdb / name, "atr")
        beats = np.asarray(ann.sample)[is_beat(ann.symbol)].astype(np.int64)
        fs = float(record.fs)
        signal = np.asarray(record.signal, dtype=np.float64)
        for m in range(2):
            x = np.ascontiguousarray(signal[:, m])
            out.append(Lead(name, m, fs, beats, *lead_stages(x, fs)))
    return out


def noise_leads(fs: float = 360.0, hours: float = 1.0) -> list[tuple[Lead, int]]:
    """Noise that must stay quiet, and how many beats each may yield.

    An hour of bench_detect.py's noise (0.01 random walk + 0.1 white) may yield
    NOISE_MAX_PER_HOUR beats; an hour of white noise with a lone spike every ~20 s (as
    in tests/test_detect.py) may yield its spikes and NOISE_MAX_PER_HOUR more.  The
    MIT-BIH records cannot see this: they hold few noise-only stretches.
    """
    rng = np.random.default_rng(NOISE_SEED)
    n = int(hours * 3600 * fs)
    walk = 0.01 * np.cumsum(rng.normal(size=n)) + 0.1 * rng.normal(size=n)
    spiky = rng.normal(size=n)
    n_spikes = n // 7200 + 1
    spiky[rng.integers(0, n, size=n_spikes)] = rng.normal(scale=50, size=n_spikes)
    out = []
    for noise, allowed in ((walk, 0), (spiky, n_spikes)):
        lead = Lead("noise", 0, fs, np.empty(0, np.int64), *lead_stages(noise, fs))
        out.append((lead, allowed + round(NOISE_MAX_PER_HOUR * hours)))
    return out


def quiet_trials(trials: list[dict], noises: list[tuple[Lead, int]]) -> list[dict]:
    """The trials that find no more beats in each noise than it may yield."""
    return [t for t in trials
            if all(lead_peaks(lead, *split(t))[0].size <= allowed for lead, allowed in noises)]


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
        accepted, quality = detect._decide(
            lead.cand, lead.energy, lead.sub, lead.slope_sq, lead.fs, "numba"
        )
    peaks, first = np.unique(lead.refined[accepted], return_index=True)
    return peaks, quality[first]


def score(peaks: np.ndarray, lead: Lead) -> tuple[int, int, int]:
    """TP, FN, FP of `peaks` against the lead-record's reference."""
    tp = count_matches(peaks, lead.beats, 0.15 * lead.fs)
    return tp, lead.beats.size - tp, peaks.size - tp


def summary(rows: list[tuple[str, int, int, int, int]]) -> dict:
    """Gross Se/+P per lead and the lead-records below LOW, from (record, lead, tp, fn, fp)."""
    out = {}
    for m in (0, 1):
        tp, fn, fp = (sum(r[i] for r in rows if r[1] == m) for i in (2, 3, 4))
        out[f"lead{m}"] = {"tp": tp, "fn": fn, "fp": fp, "se": tp / max(1, tp + fn),
                           "ppv": tp / max(1, tp + fp)}
    out["rows"] = [list(r) for r in rows]
    out["low"] = sorted(
        f"{r[0]}/{r[1]}" for r in rows
        if r[0] not in EXEMPT and min(r[2] / max(1, r[2] + r[3]), r[2] / max(1, r[2] + r[4])) < LOW
    )
    return out


def objective(s: dict) -> float:
    """The smallest gross Se or +P of either lead, minus PENALTY per low lead-record."""
    worst = min(s[f"lead{m}"][k] for m in (0, 1) for k in ("se", "ppv"))
    return worst - PENALTY * len(s["low"])


def evaluate(leads: list[Lead], rule: dict, settings: dict) -> dict:
    rows = [(lead.record, lead.lead, *score(lead_peaks(lead, rule, settings)[0], lead))
            for lead in leads]
    return summary(rows)


def grid(space: list[list[dict]]) -> list[dict]:
    """Every combination of one choice from each group (a choice sets one or more names)."""
    trials = []
    for choice in itertools.product(*space):
        trial = {}
        for part in choice:
            trial.update(part)
        trials.append(trial)
    return trials


def split(trial: dict) -> tuple[dict, dict]:
    """A trial's RULE entries and its module-level settings (upper-case names)."""
    rule = {k: v for k, v in trial.items() if k in detect.RULE}
    return rule, {k: v for k, v in trial.items() if k not in rule}


def best_on(leads: list[Lead], trials: list[dict]) -> tuple[dict, dict]:
    best, best_s, best_value = None, None, -np.inf
    for trial in trials:
        s = evaluate(leads, *split(trial))
        value = objective(s)
        if value > best_value:
            best, best_s, best_value = trial, s, value
    return best, best_s


def folds(names: list[str], k: int, seed: int) -> list[list[str]]:
    order = np.random.default_rng(seed).permutation(len(names))
    return [sorted(names[i] for i in order[f::k]) for f in range(k)]


# The search space: groups of choices, one choice from each group per trial.  The
# adaptive floor (floor_adapt > 0) lets the floor factors shrink towards floor_min on a
# lead whose QRS barely rise above its interference; floor_adapt 0 is the fixed floor.
SPACE = [
    [{"floor": 2.0}, {"floor": 2.5}, {"floor": 3.0}, {"floor": 3.5}],
    [{"floor_adapt": 0.0, "floor_min": 9.0}, {"floor_adapt": 0.5, "floor_min": 2.0},
     {"floor_adapt": 0.5, "floor_min": 2.5}],
    [{"threshold": 0.25}, {"threshold": 0.3125}],
    [{"t_wave_slope": 0.5}, {"t_wave_slope": 0.7}],
    [{"FLOOR_QUANTILE": 0.4}, {"FLOOR_QUANTILE": 0.5}],
]


# The multi-lead vote's search space, tried on the per-lead detections of a rule.
MERGE_SPACE = [
    [{"MERGE_VOTE": 0.3}, {"MERGE_VOTE": 0.4}, {"MERGE_VOTE": 0.5}],
    [{"MERGE_VETO": 0.1}, {"MERGE_VETO": 0.15}],
    [{"MERGE_FIT_RR": 0.0}, {"MERGE_FIT_RR": 0.7}],
]


def noise_lead(mitdb: Path) -> Lead:
    """NST record ``ma`` (channel 0) as a lead: stands in for a lead of pure noise.

    The detector's scaling makes its detections on noise of any RMS the same up to
    borderline decisions, so one detection serves every record.
    """
    from heartbeat import io as wfdb

    noise = np.asarray(wfdb.read_record(mitdb.parent / "nstdb-noise" / "ma").signal)[:, 0]
    fs = 360.0
    return Lead("ma", 1, fs, np.empty(0, np.int64), *lead_stages(noise.astype(np.float64), fs))


def merge_rows(per_record: dict, noise: tuple, settings: dict) -> list[tuple]:
    """(record, kind, tp, fn, fp) of both leads and of lead 0 + noise, under `settings`."""
    rows = []
    with constants({}, settings):
        for name, (lead0, found) in per_record.items():
            for kind, pair in (("both", found), ("0+ma", [found[0], noise])):
                peaks = detect._merge(pair, lead0.fs, "numba")
                rows.append((name, kind, *score(peaks, lead0)))
    return rows


def merge_summary(rows: list[tuple], single: dict) -> dict:
    """Gross figures of both leads and of lead 0 + noise; records worse than the better lead."""
    out = {}
    for kind in ("both", "0+ma"):
        tp, fn, fp = (sum(r[i] for r in rows if r[1] == kind) for i in (2, 3, 4))
        out[kind] = {"tp": tp, "fn": fn, "fp": fp, "se": tp / max(1, tp + fn),
                     "ppv": tp / max(1, tp + fp)}
    out["worse_than_better_lead"] = sorted(
        r[0] for r in rows
        if r[1] == "both" and r[3] + r[4] > min(sum(s[1:]) for s in single[r[0]])
    )
    out["rows"] = [list(r) for r in rows]
    return out


def best_merge(per_record: dict, noise: tuple) -> dict:
    """The MERGE_SPACE trial with the fewest FN + FP, both leads and lead 0 + noise."""
    best, best_errors = None, np.inf
    for trial in grid(MERGE_SPACE):
        errors = sum(r[3] + r[4] for r in merge_rows(per_record, noise, trial))
        if errors < best_errors:
            best, best_errors = trial, errors
    return best


def detections(leads: list[Lead], names: list[str], rule_trial: dict) -> tuple[dict, dict]:
    """Per record: (lead 0, [(peaks, quality) of each lead]) and each lead's (tp, fn, fp)."""
    per_record, single = {}, {}
    for lead in leads:
        if lead.record in names:
            found = lead_peaks(lead, *split(rule_trial))
            per_record.setdefault(lead.record, (lead, []))[1].append(found)
            single.setdefault(lead.record, []).append(score(found[0], lead))
    return per_record, single


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--rules-from", type=Path,
        help="reuse the rule choices (per fold and final) of an earlier run's JSON with the "
        "same folds and seed; only the multi-lead vote is searched",
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / "tune_detector.json"
    )
    args = parser.parse_args(argv)
    names = (args.data / "RECORDS").read_text().split()
    start = time.perf_counter()
    leads = load_leads(args.data, names)
    print(f"stages of {len(leads)} lead-records in {time.perf_counter() - start:.0f} s")
    trials = quiet_trials(grid(SPACE), noise_leads())
    print(f"{len(trials)} of {len(grid(SPACE))} trials keep noise quiet", flush=True)
    names_tuned = sorted({k for group in SPACE for choice in group for k in choice})
    current = {k: detect.RULE[k] if k in detect.RULE else getattr(detect, k) for k in names_tuned}
    result = {"space": SPACE, "current": current, "folds": [], "seed": args.seed,
              "quiet_trials": len(trials)}
    noise = noise_lead(args.data)
    held_rows, held_merge, held_single = [], [], {}
    earlier = json.loads(args.rules_from.read_text()) if args.rules_from else None
    for f, test in enumerate(folds(names, args.folds, args.seed)):
        train = [lead for lead in leads if lead.record not in test]
        if earlier is None:
            chosen, _ = best_on(train, trials)
        else:
            if earlier["folds"][f]["test"] != test:
                raise SystemExit(f"{args.rules_from} was dealt into other folds")
            chosen = earlier["folds"][f]["chosen"]
        held = [lead for lead in leads if lead.record in test]
        for lead in held:
            held_rows.append((lead.record, lead.lead, *score(
                lead_peaks(lead, *split(chosen))[0], lead)))
        train_names = [n for n in names if n not in test]
        per_train, _ = detections(leads, train_names, chosen)
        noise_found = lead_peaks(noise, *split(chosen))
        merge = best_merge(per_train, noise_found)
        per_test, single = detections(leads, test, chosen)
        held_merge += merge_rows(per_test, noise_found, merge)
        held_single.update(single)
        result["folds"].append({"test": test, "chosen": chosen, "merge": merge})
        print(f"fold {f}: {chosen} {merge}", flush=True)
    result["held_out"] = summary(held_rows)
    result["held_out_merge"] = merge_summary(held_merge, held_single)
    if earlier is None:
        final, final_s = best_on(leads, trials)
    else:
        final = earlier["final"]["chosen"]
        final_s = evaluate(leads, *split(final))
        result["rules_from"] = str(args.rules_from)
    per_all, single = detections(leads, names, final)
    noise_found = lead_peaks(noise, *split(final))
    final_merge = best_merge(per_all, noise_found)
    result["final"] = {"chosen": final, "all_96": final_s, "merge": final_merge,
                       "merge_all_48": merge_summary(
                           merge_rows(per_all, noise_found, final_merge), single)}
    result["before"] = evaluate(leads, *split(current))
    print(json.dumps(result, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(args.out) as fh:
        fh.write((json.dumps(result, indent=1) + "\n").encode())


if __name__ == "__main__":
    main()
