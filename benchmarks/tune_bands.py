"""Choose the detector's high-band switch by cross-validation over MIT-BIH records.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice -n 10 python benchmarks/tune_bands.py

:mod:`heartbeat._detect_bands` detects a lead in the standard band and switches to
the high band when the standard beats' median quality is below ``TRY_BELOW`` and the
high band's is ``GAIN`` times as high.  This script chooses the two constants as
``benchmarks/tune_detector.py`` chooses the rule's: the same 96 lead-records, clean
and under the same noisy copies (em model, ``bw``, ``ma`` at 12 and 6 dB, scored from
5:00), the same 4 record folds (seed 0), the same objective
(:func:`tune_detector.objective`).  A trial must also keep the two hours of
``tune_detector.noise_leads``' noise as quiet as the standard band alone.

Each lead-record is detected once in each band (every trial is a choice between
the two stored results).  The held-out figures summed over the folds are the
estimate; the constants chosen on all 48 records are the ones to ship.  Results go to
``benchmarks/results/tune_bands.json``.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice -n 10 python benchmarks/tune_bands.py --count-guard

chooses the high band's count guard (``_detect_bands.COUNT_RATIO``: the high band must
also find that many times the standard band's beats) among COUNT_RATIOS over the same 4
record folds, on short windows (``short_windows.py``'s grid and block windows) with
whole records no worse, among the ratios that keep noise quiet and leave the high
band's own cases (the rows this script switches, and v102s) no worse (docs/benchmarks.md,
"The high band's count guard"; results in ``tune_bands_count_guard.json``).
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
from _tuning import CLEAN, SNRS_DB, START_S, count_matches, read_mitdb, tuning_noises
from tune_detector import NOISE_SEED, folds, objective, summary

from heartbeat import _detect_bands as bands
from heartbeat import detect
from heartbeat._atomic import atomic_open

TRY_BELOW = (0.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0)  # 0: never the high band
GAIN = (1.0, 1.1, 1.25, 1.5, 2.0, 2.5, 3.0)


def both_bands(x: np.ndarray, fs: float) -> tuple:
    """(standard, high): each band's (peaks, quality) on one lead."""
    x = np.ascontiguousarray(x)
    return (detect._detect_lead(x, fs, "numba"),
            bands.detect_high(x, fs, "numba", detect._detect_lead))


def counts(peaks: np.ndarray, beats: np.ndarray, start: int, fs: float) -> list[int]:
    """TP, FN, FP of the peaks from `start` on (150 ms, one to one)."""
    peaks = peaks[peaks >= start]
    tp = count_matches(peaks, beats, 0.15 * fs)
    return [tp, beats.size - tp, peaks.size - tp]


def table(mitdb: Path, names: list[str]) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """Rows (record, lead, condition), each band's median quality, each band's counts
    and each band's beats found on the whole lead."""
    from heartbeat.noise import add_noise

    noises = tuning_noises(650000, 360.0)
    meta, quality, tally, sizes = [], [], [], []
    for name in names:
        start = time.perf_counter()
        signal, fs, beats, normal = read_mitdb(mitdb, name)
        copies = [(CLEAN, signal, 0)]
        for (noise_name, noise), snr in itertools.product(noises.items(), SNRS_DB):
            noisy = add_noise(signal, fs, noise, snr_db=snr, beats=normal).signal
            copies.append((f"{noise_name} {snr}", noisy, round(START_S * fs)))
        for condition, x, first in copies:
            for m in range(x.shape[1]):
                meta.append((name, m, condition))
                row_of(x[:, m], fs, beats[beats >= first], first, quality, tally, sizes)
        print(f"{name}: {time.perf_counter() - start:.1f} s", flush=True)
    return (meta, np.array(quality), np.array(tally, dtype=np.int64),
            np.array(sizes, dtype=np.int64))


def row_of(x: np.ndarray, fs: float, beats: np.ndarray, first: int,
           quality: list, tally: list, sizes: list) -> None:
    """Detect one lead in both bands and append each band's median quality, counts
    against `beats` (from sample `first`) and number of beats to the three lists."""
    found = both_bands(x, fs)
    quality.append([bands.median_quality(f) for f in found])
    tally.append([counts(f[0], beats, first, fs) for f in found])
    sizes.append([f[0].size for f in found])



def chosen(quality: np.ndarray, trial: tuple[float, float]) -> np.ndarray:
    """Per row, 1 when the trial's switch takes the high band, else 0."""
    try_below, gain = trial
    return ((quality[:, 0] < try_below) & (quality[:, 1] >= gain * quality[:, 0])).astype(int)


def noise_hours() -> tuple[np.ndarray, np.ndarray]:
    """tune_detector's hour of random-walk noise and of spiky white noise, at 360 Hz."""
    rng = np.random.default_rng(NOISE_SEED)
    n = 3600 * 360
    walk = 0.01 * np.cumsum(rng.normal(size=n)) + 0.1 * rng.normal(size=n)
    spiky = rng.normal(size=n)
    n_spikes = n // 7200 + 1
    spiky[rng.integers(0, n, size=n_spikes)] = rng.normal(scale=50, size=n_spikes)
    return walk, spiky


def noise_quiet(trials: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The trials under which tune_detector's hour of random-walk noise and of spiky white
    noise yield no more beats than the standard band alone."""
    found = [both_bands(x, 360.0) for x in noise_hours()]
    q = np.array([[bands.median_quality(f) for f in pair] for pair in found])
    sizes = np.array([[f[0].size for f in pair] for pair in found])
    print("noise: beats (standard, high) =", sizes.tolist(), "quality =", q.round(2).tolist())
    return [t for t in trials if all(
        sizes[i, c] <= sizes[i, 0] for i, c in enumerate(chosen(q, t)))]


def trial_counts(tally: np.ndarray, quality: np.ndarray, trial) -> np.ndarray:
    return tally[np.arange(tally.shape[0]), chosen(quality, trial)]


# --count-guard: the ratios compared (0, the first, is the rule before)
COUNT_RATIOS = (0.0, 0.25, 0.5, 0.75, 1.0)


def band_pair(x: np.ndarray, fs: float) -> tuple:
    """(standard, high) as the public detector computes them: high is None when the
    standard band is clear (no ratio can take the high band there)."""
    x = np.ascontiguousarray(x)
    standard = detect._detect_lead(x, fs, "numba")
    if x.size < 3 or bands.median_quality(standard) >= bands.TRY_BELOW:
        return standard, None
    return standard, bands.detect_high(x, fs, "numba", detect._detect_lead)


def guarded(pair: tuple, ratio: float) -> np.ndarray:
    """The peaks :func:`_detect_bands.detect_lead` keeps with COUNT_RATIO `ratio`."""
    standard, high = pair
    if high is None:
        return standard[0]
    saved, bands.COUNT_RATIO = bands.COUNT_RATIO, ratio
    try:
        take = bands.prefer_high(bands.median_quality(standard), bands.median_quality(high),
                                 standard[0].size, high[0].size)
    finally:
        bands.COUNT_RATIO = saved
    return high[0] if take else standard[0]


def guard_counts(mitdb: Path, names: list[str]) -> dict:
    """TP, FN, FP per ratio of short windows and whole leads: {kind: {(record, lead)}}."""
    from short_windows import read_windows, window_score

    out: dict = {"short": {}, "whole": {}}
    for name in names:
        signal, fs, beats, grid, block = read_windows(mitdb, name)
        for m in range(signal.shape[1]):
            x = np.ascontiguousarray(signal[:, m])
            whole = band_pair(x, fs)
            out["whole"][name, m] = np.array(
                [counts(guarded(whole, r), beats, 0, fs) for r in COUNT_RATIOS])
            short = np.zeros((len(COUNT_RATIOS), 3), np.int64)
            for a, b in grid + block:
                pair = band_pair(x[a:b], fs)
                short += [window_score(guarded(pair, r) + a, fs, beats, a, b)
                          for r in COUNT_RATIOS]
            out["short"][name, m] = short
        print(f"{name} done", flush=True)
    return out


def guard_noise() -> np.ndarray:
    """Beats per ratio (rows) in the quiet check's two noise hours, whole, then cut
    into short_windows.NOISE_WINDOWS_S windows (columns, as short_windows.noise_beats)."""
    from short_windows import NOISE_WINDOWS_S, noise_signal

    out = np.zeros((len(COUNT_RATIOS), 4), np.int64)
    for i in range(2):
        x = noise_signal(i)
        pair = band_pair(x, 360.0)
        out[:, i] = [guarded(pair, r).size for r in COUNT_RATIOS]
        for w in NOISE_WINDOWS_S:
            n = round(w * 360.0)
            for a in range(0, x.size - n + 1, n):
                pair = band_pair(x[a : a + n], 360.0)
                out[:, 2 + i] += [guarded(pair, r).size for r in COUNT_RATIOS]
    return out


def guard_own_cases(mitdb: Path) -> tuple[np.ndarray, np.ndarray]:
    """Per ratio: FN + FP summed over the rows the tuned switch takes to the high band
    (101 and 208, every condition of :func:`table`), and whether each v102s lead (II,
    V) chooses as with ratio 0."""
    from heartbeat.io import read_record

    meta, quality, tally, sizes = table(mitdb, ["101", "208"])
    high = chosen(quality, (bands.TRY_BELOW, bands.GAIN)).astype(bool)
    errors = []
    for r in COUNT_RATIOS:
        take = high & (sizes[:, 1] >= r * sizes[:, 0])
        rows = tally[np.arange(len(meta)), take.astype(int)]
        errors.append(int(rows[:, 1:].sum()))
    record = read_record(mitdb.parent / "wfdb-samples" / "v102s", channels=["II", "V"])
    x = np.array(record.signal, dtype=np.float64)
    same = []
    for column in x.T:
        bad = np.isnan(column)
        column[bad] = np.interp(np.flatnonzero(bad), np.flatnonzero(~bad), column[~bad])
        pair = band_pair(column, float(record.fs))
        peaks = [guarded(pair, r) for r in COUNT_RATIOS]
        same.append([np.array_equal(p, peaks[0]) for p in peaks])
    return np.array(errors), np.array(same).T


def run_count_guard(mitdb: Path, records: list[str] | None) -> None:
    """The fold run of the count guard (module docstring); prints and writes its JSON."""
    from short_windows import _plain, fold_rows, print_folds

    names = records or sorted(p.stem for p in mitdb.glob("*.hea"))
    noise = guard_noise()
    own_errors, v102s_same = guard_own_cases(mitdb)
    admissible = (np.all(noise <= noise[0], axis=1) & (own_errors <= own_errors[0])
                  & v102s_same.all(axis=1))
    for r, row, e, v, ok in zip(COUNT_RATIOS, noise, own_errors, v102s_same, admissible,
                                strict=True):
        print(f"ratio {r}: noise beats {row.tolist()}, 101/208 switched rows FN+FP {e}, "
              f"v102s (II, V) as before {v.tolist()}" + ("" if ok else " (not admissible)"))
    trials = tuple({"count_ratio": r} for r in COUNT_RATIOS)
    result = fold_rows(guard_counts(mitdb, names), names, trials=trials, quiet=admissible)
    result.update(noise_beats=noise, own_errors=own_errors, v102s_same=v102s_same,
                  admissible=admissible)
    print_folds(result)
    if records is None:
        with atomic_open(REPO / "benchmarks" / "results" / "tune_bands_count_guard.json") as fh:
            fh.write(json.dumps(result, indent=1, default=_plain).encode())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--records", nargs="+", help="a subset of records (a trial run)")
    parser.add_argument("--count-guard", action="store_true",
                        help="choose _detect_bands.COUNT_RATIO instead (module docstring)")
    parser.add_argument("--out", type=Path,
                        default=REPO / "benchmarks" / "results" / "tune_bands.json")
    args = parser.parse_args(argv)
    if args.count_guard:
        run_count_guard(args.data, args.records)
        return
    names = args.records or (args.data / "RECORDS").read_text().split()
    trials = noise_quiet(list(itertools.product(TRY_BELOW, GAIN)))
    print(f"{len(trials)} trials keep noise quiet", flush=True)
    meta, quality, tally, _ = table(args.data, names)
    record = np.array([r for r, _, _ in meta])
    never = summary(meta, trial_counts(tally, quality, (0.0, 1.0)))
    result = {"trials": trials, "folds": [], "never": never}
    held_out = []
    for f, test in enumerate(folds(names, 4, 0)):
        train = ~np.isin(record, test)
        values = [objective(summary([meta[i] for i in np.flatnonzero(train)],
                                    trial_counts(tally, quality, t)[train])) for t in trials]
        best = trials[int(np.argmax(values))]
        held_out.append(trial_counts(tally, quality, best)[~train])
        result["folds"].append({"test": test, "chosen": best})
        print(f"fold {f}: {best}", flush=True)
    test_meta = [meta[i] for f in result["folds"]
                 for i in np.flatnonzero(np.isin(record, f["test"]))]
    result["held_out"] = summary(test_meta, np.concatenate(held_out))
    values = [objective(summary(meta, trial_counts(tally, quality, t))) for t in trials]
    final = trials[int(np.argmax(values))]
    fitted = summary(meta, trial_counts(tally, quality, final))
    result["final"] = {"chosen": final, "fitted": fitted}
    result["switched"] = [list(meta[i]) for i in np.flatnonzero(chosen(quality, final))]
    result["quality"] = [[*meta[i], *quality[i].round(3).tolist()] for i in range(len(meta))]
    for key, s in (("never", never), ("held out", result["held_out"]),
                   ("final (fitted)", result["final"]["fitted"])):
        print(key, {k: (round(100 * s[k]["se"], 3), round(100 * s[k]["ppv"], 3))
                    for k in ("lead0", "lead1")},
              {c: (round(100 * g["se"], 3), round(100 * g["ppv"], 3))
               for c, g in s["noise"].items()}, flush=True)
    print("final:", final, "switched lead-records:", result["switched"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(args.out) as fh:
        fh.write(json.dumps(result, indent=1, default=str).encode())


if __name__ == "__main__":
    main()
