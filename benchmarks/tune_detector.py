"""Choose the R-peak detector's constants by cross-validation over MIT-BIH records.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice -n 10 python benchmarks/tune_detector.py

Both leads of all 48 MIT-BIH Arrhythmia records (96 lead-records) are scored against
every beat annotation (150 ms, one-to-one, as ``benchmarks/bench_detect.py`` does),
and so are noisy copies of them: the noise stress test's protocol
(:func:`heartbeat.noise.add_noise`: noise on from 5:00 in alternating 2-minute
segments, both channels, SNR as ``nst`` defines it) at 12 and 6 dB with the NSTDB
``bw`` and ``ma`` records and the electrode-motion model, scored from 5:00 (6 noisy
copies of each lead-record, 672 lead-records in all).  The noise the copies get is not
the noise the standard test (``benchmarks/nst.py``) uses: ``bw`` and ``ma`` are read
from 2:00 on (TUNE_OFFSET_S), so the noise-on segments (5-7, 9-11, ... minutes) take
the stretches that are *off* in the standard test (7-9, 11-13, ...; the last one wraps
round to 0:54-2:00, also unused there), and the model is drawn with another seed.

The records are dealt into 4 folds by a seeded shuffle; both leads of a record, clean
and noisy, are always in the same fold.  For each fold, the constants are chosen on
the other three folds and then scored on the held-out one; the held-out figures,
summed over the four folds, are the honest estimate.  The final constants are chosen
on all 48 records and their figures are reported beside (fitted, not an estimate).
Records 118 and 119 (the standard stress test's records) are also run through the
standard test with the constants of the fold that held them out.

The objective on a set of records (fixed before the run that chose the constants):

* clean: the smallest of gross Se and +P over lead 0 and lead 1 separately, minus
  PENALTY for each lead-record below 95 % on Se or +P (record 207 excepted: the
  reference does not count its ventricular flutter waves as beats);
* noise: the mean over the 6 conditions (3 noises x 2 SNRs) of
  ``((1 - Se) + PPV_WEIGHT (1 - +P)) / (1 + PPV_WEIGHT)``, gross over both leads;
* objective = clean - NOISE_WEIGHT x noise.

The per-sample stages (band-pass, envelope, candidates, floor) do not depend on the
rule's constants: they run once per lead-record and per choice of the stages' own
constants in SPACE (the band-pass), and every trial is scored on that lead-record before
the next is computed (so memory holds one record's stages).  Only
:func:`heartbeat._detect_kernels.decide_beats` reruns per trial; the folds' choices
are then sums of the stored counts (the stages and the noisy copies:
``benchmarks/_tuning.py``).  The multi-lead vote (``MERGE_*``) is chosen the
same way afterwards, on the per-lead detections of the chosen rule.

Results go to ``benchmarks/results/tune_detector.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import REPO, data_root, default_mitdb
from _tuning import (
    CLEAN,
    SNRS_DB,
    Lead,
    constants,
    grid,
    lead_peaks,
    lead_stages,
    read_mitdb,
    record_leads,
    score,
    split,
    stage_groups,
    stage_settings,
    tuning_noises,
)

from heartbeat import detect
from heartbeat._atomic import atomic_open

NOISE_SEED = 1  # bench_detect.py's noise run uses seed 0: an independent check
NOISE_MAX_PER_HOUR = 10  # a trial may find at most this many beats in an hour of noise
EXEMPT = {"207"}  # ventricular flutter: its waves are not beats in the reference
LOW = 0.95  # a lead-record below this on Se or +P is penalised
PENALTY = 0.002  # per such lead-record
NOISE_WEIGHT = 0.5  # weight of the mean noisy error against the clean worst figure
PPV_WEIGHT = 2.0  # a false beat under noise counts twice a missed one


def noise_leads(fs: float = 360.0, hours: float = 1.0, stage: dict | None = None
                ) -> list[tuple[Lead, int]]:
    """Noise that must stay quiet, and how many beats each may yield.

    An hour of bench_detect.py's noise (0.01 random walk + 0.1 white) may yield
    NOISE_MAX_PER_HOUR beats; an hour of white noise with a lone spike every ~20 s (as
    in tests/test_detect.py) may yield its spikes and NOISE_MAX_PER_HOUR more.  The
    MIT-BIH records cannot see this: they hold few noise-only stretches.  `stage`:
    the stage constants to compute them with.
    """
    rng = np.random.default_rng(NOISE_SEED)
    n = int(hours * 3600 * fs)
    walk = 0.01 * np.cumsum(rng.normal(size=n)) + 0.1 * rng.normal(size=n)
    spiky = rng.normal(size=n)
    n_spikes = n // 7200 + 1
    spiky[rng.integers(0, n, size=n_spikes)] = rng.normal(scale=50, size=n_spikes)
    out = []
    for noise, allowed in ((walk, 0), (spiky, n_spikes)):
        stages = lead_stages(noise, fs, stage)
        lead = Lead("noise", 0, "noise", fs, np.empty(0, np.int64), 0, *stages)
        out.append((lead, allowed + round(NOISE_MAX_PER_HOUR * hours)))
    return out


def quiet_trials(trials: list[dict]) -> list[dict]:
    """The trials that find no more beats in each noise of noise_leads than it may yield."""
    quiet = set()
    for stage, members in stage_groups(trials):
        noises = noise_leads(stage=stage)
        quiet.update(t for t in members if all(
            lead_peaks(lead, *split(trials[t]))[0].size <= allowed for lead, allowed in noises))
    return [trial for t, trial in enumerate(trials) if t in quiet]


def _gross(counts: np.ndarray) -> dict:
    tp, fn, fp = (int(v) for v in counts.sum(axis=0))
    return {"tp": tp, "fn": fn, "fp": fp, "se": tp / max(1, tp + fn), "ppv": tp / max(1, tp + fp)}


def summary(meta: list[tuple[str, int, str]], counts: np.ndarray) -> dict:
    """Gross figures per clean lead and per noisy condition; clean lead-records below LOW.

    `meta` holds (record, lead, condition) per row of `counts` (tp, fn, fp).
    """
    meta_arr = np.array(meta, dtype=object).reshape(-1, 3)
    condition = meta_arr[:, 2].astype(str)
    lead = meta_arr[:, 1].astype(int)
    out = {}
    for m in (0, 1):
        out[f"lead{m}"] = _gross(counts[(condition == CLEAN) & (lead == m)])
    out["noise"] = {c: _gross(counts[condition == c])
                    for c in dict.fromkeys(condition.tolist()) if c != CLEAN}
    rows = [(r, m, c, *map(int, n)) for (r, m, c), n in zip(meta, counts, strict=True)]
    out["rows"] = [list(r) for r in rows if r[2] == CLEAN]
    out["noise_rows"] = [list(r) for r in rows if r[2] != CLEAN]
    out["low"] = sorted(
        f"{r[0]}/{r[1]}" for r in rows
        if r[2] == CLEAN and r[0] not in EXEMPT
        and min(r[3] / max(1, r[3] + r[4]), r[3] / max(1, r[3] + r[5])) < LOW
    )
    return out


def noise_error(s: dict) -> float:
    """Mean over the noisy conditions of ((1 - Se) + PPV_WEIGHT (1 - +P)) / (1 + PPV_WEIGHT)."""
    if not s["noise"]:
        return 0.0
    return float(np.mean([((1 - g["se"]) + PPV_WEIGHT * (1 - g["ppv"])) / (1 + PPV_WEIGHT)
                          for g in s["noise"].values()]))


def objective(s: dict) -> float:
    """Clean worst figure minus PENALTY per low lead-record, minus NOISE_WEIGHT x noise_error."""
    worst = min(s[f"lead{m}"][k] for m in (0, 1) for k in ("se", "ppv"))
    return worst - PENALTY * len(s["low"]) - NOISE_WEIGHT * noise_error(s)


def count_table(mitdb: Path, names: list[str], trials: list[dict], noisy: bool
                ) -> tuple[list[tuple[str, int, str]], np.ndarray]:
    """(record, lead, condition) of each lead-record and its (tp, fn, fp) under each trial.

    Returns the rows' descriptions and an int array of shape (trials, rows, 3).  One
    record's stages (under one stage setting) are in memory at a time.
    """
    noises = tuning_noises(650000, 360.0) if noisy else None
    meta, counts = [], []
    groups = stage_groups(trials)
    for name in names:
        start = time.perf_counter()
        table = None
        for stage, members in groups:
            leads = record_leads(mitdb, name, noises, stage)
            if table is None:
                meta += [(lead.record, lead.lead, lead.condition) for lead in leads]
                table = np.zeros((len(leads), len(trials), 3), dtype=np.int64)
            for row, lead in enumerate(leads):
                for t in members:
                    table[row, t] = score(lead_peaks(lead, *split(trials[t]))[0], lead)
        counts += list(table)
        print(f"{name}: {time.perf_counter() - start:.1f} s", flush=True)
    return meta, np.array(counts, dtype=np.int64).transpose(1, 0, 2)


def best_of(meta: list, counts: np.ndarray, trials: list[dict], rows: np.ndarray
            ) -> tuple[int, dict]:
    """The index of the trial with the highest objective on `rows`, and its summary."""
    sub_meta = [meta[i] for i in np.flatnonzero(rows)]
    best, best_s, best_value = -1, None, -np.inf
    for t in range(len(trials)):
        s = summary(sub_meta, counts[t][rows])
        value = objective(s)
        if value > best_value:
            best, best_s, best_value = t, s, value
    return best, best_s


def folds(names: list[str], k: int, seed: int) -> list[list[str]]:
    order = np.random.default_rng(seed).permutation(len(names))
    return [sorted(names[i] for i in order[f::k]) for f in range(k)]


# The search space: groups of choices, one choice from each group per trial.  The
# band-pass (LOWPASS_S, HIGHPASS_S) changes the per-sample stages, computed once per
# choice; floor_low_keep_s > 0 keeps the low floor after a rhythm of sure QRS.  The
# adaptive floor (0.5 down to 2.5) and qrs_quantile 0.25 stay as the last search chose.
SPACE = [
    [{"LOWPASS_S": 0.025, "HIGHPASS_S": 0.12}, {"LOWPASS_S": 0.018, "HIGHPASS_S": 0.1},
     {"LOWPASS_S": 0.015, "HIGHPASS_S": 0.1}, {"LOWPASS_S": 0.015, "HIGHPASS_S": 0.08}],
    [{"floor_low_keep_s": 0.0}, {"floor_low_keep_s": 8.0}],
    [{"floor": 3.5}, {"floor": 4.0}],
    [{"threshold": 0.25}, {"threshold": 0.3125}],
    [{"t_wave_slope": 0.5}, {"t_wave_slope": 0.7}],
]


# ``--space t-wave``: only how long after a QRS the T-wave test holds, every other
# constant as in force (issue 14, lead-1 false beats 360-480 ms after a beat).
T_WAVE_SPACE = [[{"t_wave_s": 0.36}, {"t_wave_s": 0.42}, {"t_wave_s": 0.48}]]
# ``--space t-wave-rr``: the test held for a share of the mean RR when that is longer
T_WAVE_RR_SPACE = [[{"t_wave_rr": 0.0}, {"t_wave_rr": 0.4}, {"t_wave_rr": 0.45},
                    {"t_wave_rr": 0.5}, {"t_wave_rr": 0.55}]]
# ``--space floor-on-time``: the low floor also for a beat, and a last QRS, on time
FLOOR_ON_TIME_SPACE = [[{"floor_low_on_time": v} for v in (0.0, 0.1, 0.15, 0.2, 0.25)]]
SPACES = {"searched": SPACE, "t-wave": T_WAVE_SPACE, "t-wave-rr": T_WAVE_RR_SPACE,
          "floor-on-time": FLOOR_ON_TIME_SPACE}


# The multi-lead vote's search space, tried on the per-lead detections of a rule.
MERGE_SPACE = [
    [{"MERGE_VOTE": 0.3}, {"MERGE_VOTE": 0.4}, {"MERGE_VOTE": 0.5}],
    [{"MERGE_VETO": 0.1}, {"MERGE_VETO": 0.15}],
    [{"MERGE_FIT_RR": 0.0}, {"MERGE_FIT_RR": 0.7}],
]


def noise_lead(mitdb: Path, stage: dict | None = None) -> Lead:
    """NST record ``ma`` (channel 0) as a lead: stands in for a lead of pure noise.

    The detector's scaling makes its detections on noise of any RMS the same up to
    borderline decisions, so one detection serves every record.  `stage`: the stage
    constants to compute it with.
    """
    from heartbeat import io as wfdb

    noise = np.asarray(wfdb.read_record(mitdb.parent / "nstdb-noise" / "ma").signal)[:, 0]
    fs = 360.0
    return Lead("ma", 1, "noise", fs, np.empty(0, np.int64), 0,
                *lead_stages(noise.astype(np.float64), fs, stage))


def merge_rows(per_record: dict, noise: tuple, settings: dict) -> list[tuple]:
    """(record, kind, tp, fn, fp) of both leads and of lead 0 + noise, under `settings`."""
    rows = []
    with constants({}, settings):
        for name, (lead0, found) in per_record.items():
            for kind, pair in (("both", found), ("0+ma", [found[0], noise])):
                peaks = detect._merge(pair, lead0.fs, "numba", lead0.slope_sq.size)
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


def detections(mitdb: Path, names: list[str], rules: list[dict]) -> list[tuple[dict, dict]]:
    """Per rule: per record (lead 0, [(peaks, quality) of each lead]) and each lead's counts."""
    out = [({}, {}) for _ in rules]
    for name in names:
        leads = {}
        for (per_record, single), rule in zip(out, rules, strict=True):
            key = tuple(sorted(stage_settings(rule).items()))
            if key not in leads:
                leads[key] = record_leads(mitdb, name, None, stage_settings(rule))
            for lead in leads[key]:
                found = lead_peaks(lead, *split(rule))
                per_record.setdefault(name, (lead, []))[1].append(found)
                single.setdefault(name, []).append(score(found[0], lead))
    return out


def standard_nst(mitdb: Path, records: dict[str, dict]) -> dict:
    """The standard stress test (nst.py's noise, 12 and 6 dB, channel 0, bxb from 5:00).

    `records` maps a record to the trial it is run with; gross figures over them.
    """
    from heartbeat import io as wfdb
    from heartbeat.metrics import DetectionScore
    from heartbeat.metrics.ec57 import bxb_compare, reference_beats
    from heartbeat.noise import add_noise, electrode_motion, read_noise

    noises = {"em (model)": electrode_motion(650000, 360.0, seed=0)}
    for name in ("bw", "ma"):
        noises[name] = read_noise(data_root() / "nstdb-noise" / name)[0]
    out = {}
    for (noise_name, noise), snr in itertools.product(noises.items(), SNRS_DB):
        total = DetectionScore(0, 0, 0)
        for name, trial in records.items():
            signal, fs, _, normal = read_mitdb(mitdb, name)
            ref = reference_beats(wfdb.read_annotations(mitdb / name, "atr"), fs)[0]
            x = add_noise(signal, fs, noise, snr_db=snr, beats=normal).signal[:, 0]
            lead = Lead(name, 0, "", fs, ref, 0, *lead_stages(np.ascontiguousarray(x), fs,
                                                             stage_settings(trial)))
            total += bxb_compare(ref, lead_peaks(lead, *split(trial))[0], fs, end=x.size)
        out[f"{noise_name} {snr}"] = {"tp": total.tp, "fn": total.fn, "fp": total.fp,
                                      "se": total.se, "ppv": total.ppv}
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--records", nargs="+", help="a subset of records (a trial run)")
    parser.add_argument("--no-noise", action="store_true",
                        help="clean records only (the objective's noise term is 0)")
    parser.add_argument(
        "--counts", type=Path,
        help="an .npz file keeping every trial's counts: read if it exists (same records, "
        "space and code), else written; the choices can then be redone without the search",
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / "tune_detector.json"
    )
    parser.add_argument("--space", choices=sorted(SPACES), default="searched",
                        help="the search space: the constants searched last (SPACE), "
                        "or one rule constant (T_WAVE_SPACE, T_WAVE_RR_SPACE, "
                        "FLOOR_ON_TIME_SPACE)")
    parser.add_argument(
        "--table", action="store_true",
        help="with --counts: print every trial's in-sample figures on all the records "
        "(objective, clean leads, noisy +P) and stop; a look, not an estimate",
    )
    args = parser.parse_args(argv)
    names = args.records or (args.data / "RECORDS").read_text().split()
    space = SPACES[args.space]
    names_tuned = sorted({k for group in space for choice in group for k in choice})
    current = {k: detect.RULE[k] if k in detect.RULE else getattr(detect, k) for k in names_tuned}
    quiet = quiet_trials(grid(space))
    n_quiet = len(quiet)
    print(f"{n_quiet} of {len(grid(space))} trials keep noise quiet", flush=True)
    # the constants in force are scored for the "before" row, chosen only if quiet
    trials = quiet + ([] if current in quiet else [current])
    if args.counts and args.counts.exists():
        saved = np.load(args.counts, allow_pickle=False)
        meta = [(r, int(m), c) for r, m, c in saved["meta"].tolist()]
        counts = saved["counts"]
    else:
        meta, counts = count_table(args.data, names, trials, not args.no_noise)
        if args.counts:
            with atomic_open(args.counts) as fh:
                np.savez(fh, meta=np.array(meta, dtype=str), counts=counts)
    counts, before = counts[:n_quiet], counts[trials.index(current)]
    trials = trials[:n_quiet]
    if args.table:
        print_table(meta, counts, trials)
        return
    record = np.array([m[0] for m in meta])
    result = {"space": space, "current": current, "folds": [], "seed": args.seed,
              "quiet_trials": n_quiet, "noise_weight": NOISE_WEIGHT, "ppv_weight": PPV_WEIGHT}
    held = np.zeros_like(counts[0])
    chosen_per_record = {}
    for f, test in enumerate(folds(names, args.folds, args.seed)):
        in_test = np.isin(record, test)
        t, _ = best_of(meta, counts, trials, ~in_test)
        held[in_test] = counts[t][in_test]
        chosen_per_record.update(dict.fromkeys(test, trials[t]))
        result["folds"].append({"test": test, "chosen": trials[t]})
        print(f"fold {f}: {trials[t]}", flush=True)
    result["held_out"] = summary(meta, held)
    t_final, final_s = best_of(meta, counts, trials, np.ones(len(meta), bool))
    final = trials[t_final]
    result["final"] = {"chosen": final, "all": final_s}
    result["before"] = summary(meta, before)
    result["objective"] = {"held_out": objective(result["held_out"]),
                           "before": objective(result["before"])}
    print(f"objective: held-out folds {result['objective']['held_out']:.6f}, "
          f"before {result['objective']['before']:.6f}", flush=True)
    nst_records = [n for n in ("118", "119") if n in names]
    result["nst_118_119"] = {
        "held_out": standard_nst(args.data, {n: chosen_per_record[n] for n in nst_records}),
        "final": standard_nst(args.data, dict.fromkeys(nst_records, final)),
        "before": standard_nst(args.data, dict.fromkeys(nst_records, current)),
    }
    merge_vote(args.data, names, folds(names, args.folds, args.seed), result)
    print(json.dumps({k: v for k, v in result.items() if k != "before"}, indent=1)[:20000])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(args.out) as fh:
        fh.write((json.dumps(result, indent=1) + "\n").encode())


def print_table(meta: list, counts: np.ndarray, trials: list[dict]) -> None:
    """Each trial's objective and figures on every row of `counts`, best first."""
    rows = [(objective(s), trial, s)
            for trial, s in ((t, summary(meta, c)) for t, c in zip(trials, counts, strict=True))]
    for value, trial, s in sorted(rows, key=lambda r: -r[0]):
        clean = " ".join(
            f"lead {m} {100 * s[f'lead{m}']['se']:.3f}/{100 * s[f'lead{m}']['ppv']:.3f}"
            for m in (0, 1))
        noisy = " ".join(f"{c} {100 * g['ppv']:.2f}" for c, g in s["noise"].items())
        print(f"{value:.5f} {json.dumps(trial)} | {clean} | below 95 %: {len(s['low'])} | "
              f"noisy +P: {noisy} | noise error {noise_error(s):.4f}")


def merge_vote(mitdb: Path, names: list[str], dealt: list[list[str]], result: dict) -> None:
    """Choose the vote per fold (on its training records) and on all; add to `result`."""
    rules = [f["chosen"] for f in result["folds"]] + [result["final"]["chosen"]]
    found = detections(mitdb, names, rules)
    held_merge, held_single = [], {}
    for f, test in enumerate(dealt):
        per_record, single = found[f]
        noise_found = lead_peaks(noise_lead(mitdb, stage_settings(rules[f])), *split(rules[f]))
        train = {n: v for n, v in per_record.items() if n not in test}
        merge = best_merge(train, noise_found)
        held_merge += merge_rows({n: per_record[n] for n in test}, noise_found, merge)
        held_single.update({n: single[n] for n in test})
        result["folds"][f]["merge"] = merge
    result["held_out_merge"] = merge_summary(held_merge, held_single)
    per_all, single = found[-1]
    noise_found = lead_peaks(noise_lead(mitdb, stage_settings(rules[-1])), *split(rules[-1]))
    final_merge = best_merge(per_all, noise_found)
    result["final"]["merge"] = final_merge
    result["final"]["merge_all_48"] = merge_summary(
        merge_rows(per_all, noise_found, final_merge), single)


if __name__ == "__main__":
    main()
