"""The detector's high-band switch at other sampling rates, chosen over MIT-BIH record folds.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice -n 5 python benchmarks/tune_bands_rates.py look
    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice -n 5 python benchmarks/tune_bands_rates.py folds

``look``: the public :func:`heartbeat.detect_r_peaks` on both leads of every record
resampled (:func:`heartbeat.resample.resample`) to each of :data:`LOOK_RATES`, the
reference beats at ``round(sample * rate / 360)``, 150 ms matching from the start:
gross TP, FN, FP, Se and +P per lead and rate (``tune_bands_rates_look.json``).

``folds``: :mod:`heartbeat._detect_bands` switches a lead to the high band when the
standard beats' median quality is below ``TRY_BELOW`` and the high band's is ``GAIN``
times as high, constants chosen at 360 Hz (``tune_bands.py``).  The candidate adds a
second route, by count: below ``TRY_BELOW``, the high band is also taken when it finds
at least ``COUNT_SWITCH`` times as many beats with at least the same median quality
(0: no such route, the rule before).  Rows: the 96 lead-records clean at each of
:data:`RATES` (scored from the start) and ``tune_bands.py``'s noisy copies (360 Hz,
from 5:00).  Each row is detected once in each band, so a trial only chooses between
two stored results.  The objective of a trial is the mean over the rates of
:func:`tune_detector.objective` with that rate's clean rows as the clean rows and the
same noisy rows; trials must keep the two noise hours of ``tune_bands.noise_quiet`` as
quiet as the standard band at every rate (``--quiet-against shipped``: as the shipped
rule, the second run's test).  Chosen on 36 records per fold (the 4 record
folds of ``tune_detector.py``), scored on the other 12; the written rule for adopting
the choice is in docs/benchmarks.md ("The high band at other sampling rates").
Results in ``benchmarks/results/tune_bands_rates.json``.
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
from _common import REPO, default_mitdb
from _tuning import CLEAN, SNRS_DB, START_S, read_mitdb, tuning_noises
from tune_bands import GAIN, TRY_BELOW, both_bands, counts, noise_hours, row_of
from tune_detector import folds, objective, summary

from heartbeat import _detect_bands as bands
from heartbeat import detect_r_peaks
from heartbeat._atomic import atomic_open
from heartbeat.resample import resample

RATES = (128.0, 250.0, 360.0, 500.0)
LOOK_RATES = (128.0, 250.0, 360.0, 500.0, 1000.0)
COUNT_SWITCH = (0.0, 1.25, 1.5, 2.0)  # 0: no count route (the rule before)
SHIPPED = (bands.TRY_BELOW, bands.GAIN, 0.0)
MITDB_FS = 360.0
RESULTS = REPO / "benchmarks" / "results"


def at_rate(x: np.ndarray, beats: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """One lead resampled from 360 Hz to `rate`, and its reference beats there."""
    if rate == MITDB_FS:
        return x, beats
    return resample(x, MITDB_FS, rate), np.round(beats * rate / MITDB_FS).astype(np.int64)


def rate_name(rate: float) -> str:
    return CLEAN if rate == MITDB_FS else f"{CLEAN} {rate:g} Hz"


def look(mitdb: Path, names: list[str]) -> dict:
    """Gross (TP, FN, FP) of the public detector per lead and rate, and per record."""
    out: dict = {"rates": LOOK_RATES, "gross": {}, "rows": []}
    for name in names:
        signal, fs, beats, _ = read_mitdb(mitdb, name)
        assert fs == MITDB_FS
        for m, rate in itertools.product(range(2), LOOK_RATES):
            x, ref = at_rate(np.ascontiguousarray(signal[:, m]), beats, rate)
            row = counts(detect_r_peaks(x, rate), ref, 0, rate)
            out["rows"].append([name, m, rate, *row])
            key = f"lead{m} {rate:g}"
            out["gross"][key] = (np.add(out["gross"].get(key, 0), row)).tolist()
        print(name, flush=True)
    for key, (tp, fn, fp) in out["gross"].items():
        print(f"{key} Hz: TP {tp} FN {fn} FP {fp} Se {100 * tp / (tp + fn):.3f} "
              f"+P {100 * tp / (tp + fp):.3f}")
    return out


def table(mitdb: Path, names: list[str]) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """Rows (record, lead, condition): each band's median quality, counts and beats."""
    from heartbeat.noise import add_noise

    noises = tuning_noises(650000, MITDB_FS)
    meta, quality, tally, sizes = [], [], [], []
    for name in names:
        start = time.perf_counter()
        signal, fs, beats, normal = read_mitdb(mitdb, name)
        copies = []
        for m, rate in itertools.product(range(2), RATES):
            x, ref = at_rate(np.ascontiguousarray(signal[:, m]), beats, rate)
            copies.append((rate_name(rate), m, x, rate, ref, 0))
        for (noise_name, noise), snr in itertools.product(noises.items(), SNRS_DB):
            noisy = add_noise(signal, fs, noise, snr_db=snr, beats=normal).signal
            first = round(START_S * fs)
            copies += [(f"{noise_name} {snr}", m, noisy[:, m], fs, beats[beats >= first],
                        first) for m in range(2)]
        for condition, m, x, rate, ref, first in copies:
            meta.append((name, m, condition))
            row_of(x, rate, ref, first, quality, tally, sizes)
        print(f"{name}: {time.perf_counter() - start:.1f} s", flush=True)
    return (meta, np.array(quality), np.array(tally, dtype=np.int64),
            np.array(sizes, dtype=np.int64))


def chosen(quality: np.ndarray, sizes: np.ndarray, trial: tuple) -> np.ndarray:
    """Per row, 1 when the trial takes the high band, else 0."""
    try_below, gain, count_switch = trial
    unclear = quality[:, 0] < try_below
    by_quality = quality[:, 1] >= gain * quality[:, 0]
    by_count = ((count_switch > 0) & (quality[:, 1] >= quality[:, 0])
                & (sizes[:, 1] >= count_switch * sizes[:, 0]))
    return (unclear & (by_quality | by_count)).astype(int)


def trial_counts(tally, quality, sizes, trial) -> np.ndarray:
    return tally[np.arange(tally.shape[0]), chosen(quality, sizes, trial)]


def rate_summaries(meta: list, counts_: np.ndarray) -> dict[float, dict]:
    """Per rate, tune_detector's summary with that rate's clean rows as the clean rows."""
    condition = np.array([c for _, _, c in meta])
    noisy = ~np.char.startswith(condition.astype(str), CLEAN)
    out = {}
    for rate in RATES:
        rows = noisy | (condition == rate_name(rate))
        sub = [(r, m, CLEAN if c == rate_name(rate) else c)
               for (r, m, c), keep in zip(meta, rows, strict=True) if keep]
        out[rate] = summary(sub, counts_[rows])
    return out


def value(meta: list, counts_: np.ndarray) -> float:
    """The pre-registered objective: the mean over the rates of tune_detector.objective."""
    return float(np.mean([objective(s) for s in rate_summaries(meta, counts_).values()]))


def noise_quiet(trials: list[tuple], against: str = "standard") -> list[tuple]:
    """The trials under which the two noise hours give no more beats than the standard
    band alone (`against` "standard", the first run's test) or than the shipped rule
    ("shipped", the second), at every rate (the hours of tune_bands.noise_quiet,
    resampled)."""
    keep = set(trials)
    for x, rate in itertools.product(noise_hours(), RATES):
        y = x if rate == MITDB_FS else resample(x, MITDB_FS, rate)
        found = both_bands(y, rate)
        q = np.array([[bands.median_quality(f) for f in found]])
        size = np.array([[f[0].size for f in found]])
        print(f"noise at {rate:g} Hz: beats {size[0].tolist()}, quality {q[0].round(2)}")
        most = size[0, 0] if against == "standard" else size[0, chosen(q, size, SHIPPED)[0]]
        keep = {t for t in keep if size[0, chosen(q, size, t)[0]] <= most}
    return [t for t in trials if t in keep]


def gross(s: dict) -> dict:
    """Se and +P (%) of a summary's clean leads and noisy conditions."""
    def pct(g):
        return [round(100 * g["se"], 3), round(100 * g["ppv"], 3)]
    return {**{k: pct(s[k]) for k in ("lead0", "lead1")},
            **{c: pct(g) for c, g in s["noise"].items()}, "low": s["low"]}


def run_folds(mitdb: Path, names: list[str], against: str = "standard") -> dict:
    """The fold run of the module docstring; the shipped rule's figures beside it."""
    trials = noise_quiet(list(itertools.product(TRY_BELOW, GAIN, COUNT_SWITCH)), against)
    print(f"{len(trials)} trials keep noise quiet; the shipped rule among them: "
          f"{SHIPPED in trials}", flush=True)
    meta, quality, tally, sizes = table(mitdb, names)
    record = np.array([r for r, _, _ in meta])
    result: dict = {"trials": len(trials), "quiet_against": against, "folds": []}
    held, test_rows = [], []
    for test in folds(names, 4, 0):
        train = ~np.isin(record, test)
        sub = [meta[i] for i in np.flatnonzero(train)]
        values = [value(sub, trial_counts(tally, quality, sizes, t)[train]) for t in trials]
        best = trials[int(np.argmax(values))]
        result["folds"].append({"test": test, "chosen": best, "value": max(values)})
        held.append(trial_counts(tally, quality, sizes, best)[~train])
        test_rows += list(np.flatnonzero(~train))
        print("fold", test, "->", best, flush=True)
    test_meta = [meta[i] for i in test_rows]
    shipped = trial_counts(tally, quality, sizes, SHIPPED)[test_rows]
    held = np.concatenate(held)
    for key, c in (("held_out", held), ("shipped_same_rows", shipped)):
        result[key] = {"value": value(test_meta, c),
                       "per_rate": {f"{r:g}": gross(s)
                                    for r, s in rate_summaries(test_meta, c).items()}}
    values = [value(meta, trial_counts(tally, quality, sizes, t)) for t in trials]
    result["final"] = trials[int(np.argmax(values))]
    result["switched_final"] = [list(meta[i]) for i in np.flatnonzero(
        chosen(quality, sizes, result["final"]))]
    result["quality"] = [[*meta[i], *quality[i].round(3).tolist(), *sizes[i].tolist()]
                         for i in range(len(meta))]
    for key in ("held_out", "shipped_same_rows"):
        print(key, round(result[key]["value"], 5), json.dumps(result[key]["per_rate"]))
    print("final (all 48):", result["final"])
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("look", "folds"))
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--records", nargs="+", help="a subset of records (a trial run)")
    parser.add_argument("--quiet-against", choices=("standard", "shipped"), default="standard",
                        help="the noise hours' beats a trial may not pass (docstring)")
    parser.add_argument("--out", type=Path, help="results file (default: benchmarks/results)")
    args = parser.parse_args(argv)
    names = args.records or (args.data / "RECORDS").read_text().split()
    if args.mode == "look":
        result, suffix = look(args.data, names), "_look"
    else:
        result = run_folds(args.data, names, args.quiet_against)
        suffix = "" if args.quiet_against == "standard" else "_quiet_shipped"
    out = args.out or RESULTS / f"tune_bands_rates{suffix}.json"
    with atomic_open(out) as fh:
        fh.write(json.dumps(result, indent=1, default=str).encode())


if __name__ == "__main__":
    main()
