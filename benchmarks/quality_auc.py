"""Signal quality on the noise stress test over many records, in folds over records.

    PYTHONPATH=. nice -n 10 python benchmarks/quality_auc.py measure --cache DIR
    PYTHONPATH=. python benchmarks/quality_auc.py choose --cache DIR
    PYTHONPATH=. python benchmarks/quality_auc.py cost   # quality's share of segment()
    # lead 1: fitted on lead 0 as above, the held-out records scored on lead 1
    PYTHONPATH=. nice -n 10 python benchmarks/quality_auc.py measure --lead 1 --cache DIR1
    PYTHONPATH=. python benchmarks/quality_auc.py choose --cache DIR --score-cache DIR1
    # the rule over both leads (candidates A-E, docs/benchmarks.md, "the rule over
    # both leads"): lead 0's and lead 1's measures as above
    PYTHONPATH=. python benchmarks/quality_auc.py choose --cache DIR --lead1-cache DIR1
    # session 10: E replaced by F, E made monotone ("candidate F")
    PYTHONPATH=. python benchmarks/quality_auc.py choose --cache DIR --lead1-cache DIR1 \
        --candidates A B C D F

``measure`` (slow: about 20 s of CPU per record) writes, per MIT-BIH record, the
measures of :mod:`heartbeat.signal_quality_features` for every 2 s segment of
channel 0 (6 s context) with noise added by ``heartbeat.noise.add_noise`` (the NST
protocol: on from 5:00 for 2 minutes, off for 2, ...) for each noise (em model seed 0,
NSTDB bw, NSTDB ma), each SNR (12, 6, 0 dB) and each half of the noise record (the
first and the last 15 minutes, tiled to the record's length), with each segment's
label (noise on, noise off, or neither: before 5:00, or straddling a toggle).
Already measured records are kept (delete the folder to start over).

``choose`` applies the rule set down before scoring (docs/benchmarks.md, "Signal
quality: the protocol over records"): 4 folds of 12 records (118 and 119 in the
first); for each fold, the candidate with the higher mean AUC at 6 dB in an inner
cross-validation over the other three folds is fitted on those 36 records (noise's
first half) and scored on the held-out 12 (noise's second half).  It prints the
held-out AUC per noise and SNR (pooled over the 48 records, each scored by a model
that never saw it), the per-record AUC at 6 dB and the worst records, then the same
rule on all 48 records and the coefficients it ships, and checks that
``heartbeat.quality`` computes that index.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _common import data_root, default_mitdb
from _roc import roc_auc, segment_labels

from heartbeat.aami import class_codes
from heartbeat.detect import detect_r_peaks
from heartbeat.io import read_annotations, read_record
from heartbeat.noise import add_noise, electrode_motion, read_noise
from heartbeat.signal_quality_features import NAMES, measures

NOISES = ("em (model)", "bw", "ma")
SNRS = (12.0, 6.0, 0.0)
HALVES = ("first", "last")  # training noise, held-out noise
SEG_S, CTX_S = 2.0, 6.0
START_S = 300.0


def noise_halves(n: int, fs: float) -> dict:
    """Noise name -> (first half, last half) of the noise record, at `fs`."""
    from heartbeat.resample import resample

    out = {}
    for name in NOISES:
        if name == "em (model)":
            noise = electrode_motion(n, fs, seed=0)
        else:
            noise, noise_fs = read_noise(data_root() / "nstdb-noise" / name)
            if noise_fs != fs:
                noise = np.stack([resample(c, noise_fs, fs) for c in noise.T], axis=1)
        half = noise.shape[0] // 2
        out[name] = (noise[:half], noise[half:])
    return out


def measure_record(mitdb: Path, name: str, noises: dict, lead: int = 0) -> dict:
    """Measures and labels of every segment of record `name`'s `lead`, per condition."""
    rec = read_record(mitdb / name)
    ann = read_annotations(mitdb / name)
    codes = class_codes(ann.symbol)
    normal = ann.sample[(codes >= 0) & (codes != 2) & (codes != 3)]
    fs = rec.fs
    seg, ctx = round(SEG_S * fs), round(CTX_S * fs)
    values, valid, labels = [], [], []
    for noise_name in NOISES:
        for half in noises[noise_name]:
            for snr in SNRS:
                noisy = add_noise(rec.signal, fs, half, snr_db=snr, beats=normal)
                x = np.ascontiguousarray(noisy.signal[:, lead])
                peaks = detect_r_peaks(x, fs)
                scaled = np.ldexp(x, -int(np.frexp(np.abs(x).max())[1]))
                v, ok = measures(scaled, fs, seg, ctx, peaks)
                starts = np.arange(0, x.size, seg)
                values.append(v)
                valid.append(ok)
                labels.append(segment_labels(starts, seg, noisy.noise_on,
                                             round(START_S * fs)))
    shape = (len(NOISES), len(HALVES), len(SNRS))
    return {"values": np.stack(values).reshape(*shape, -1, len(NAMES)),
            "valid": np.stack(valid).reshape(*shape, -1),
            "labels": np.stack(labels).reshape(*shape, -1)}


def run_measure(args) -> int:
    args.cache.mkdir(parents=True, exist_ok=True)
    names = args.records or sorted(p.stem for p in args.mitdb.glob("*.hea"))
    first = read_record(args.mitdb / names[0])
    noises = noise_halves(first.signal.shape[0], first.fs)
    for name in names:
        out = args.cache / f"{name}.npz"
        if out.exists():
            continue
        t = time.process_time()
        data = measure_record(args.mitdb, name, noises, args.lead)
        tmp = args.cache / f".{name}.tmp.npz"
        np.savez(tmp, names=np.array(NAMES), **data)
        tmp.replace(out)
        print(f"{name}: {time.process_time() - t:.1f} s CPU", flush=True)
    return 0


def read_cache(cache: Path, names: list[str]) -> dict:
    """Record -> its measured arrays (values, valid, labels)."""
    out = {}
    for name in names:
        with np.load(cache / f"{name}.npz") as f:
            if tuple(f["names"].tolist()) != NAMES:
                raise SystemExit(f"{cache / name}.npz holds other measures: measure again")
            out[name] = {k: f[k] for k in ("values", "valid", "labels")}
    return out


def make_folds(names: list[str]) -> list[list[str]]:
    """4 folds of 12: 118 and 119 in the first, the rest in a seeded permutation."""
    others = [n for n in names if n not in ("118", "119")]
    perm = np.random.default_rng(0).permutation(others).tolist()
    return [sorted(["118", "119", *perm[:10]]), sorted(perm[10:22]), sorted(perm[22:34]),
            sorted(perm[34:])]


CANDIDATES = ("A", "B", "C")
BOTH_LEADS_CANDIDATES = ("A", "B", "C", "D", "E")
FITTED_ON_BOTH_LEADS = ("D", "E", "F")
# F: per column of NAMES, +1 where a larger measure must never lower the index, -1
# where it must never raise it, 0 where the measure has no direction (qrs_band)
DIRECTIONS = (1, 1, 1, 1, 0, -1, 1)
MONOTONE_REFITS = 10


def inputs(values: np.ndarray, candidate: str) -> np.ndarray:
    """The logistic model's inputs (pre-registered transforms) of candidates B to E.

    B, D and F: the seven transformed measures (F clips and squares them in its
    fit); C: the first three; E: the seven and their squares.
    """
    from heartbeat.signal_quality import _inputs

    every = _inputs(values)
    if candidate == "C":
        return every[:, :3]
    if candidate == "E":
        return np.column_stack([every, every**2])
    return every


def index_a(values: np.ndarray) -> np.ndarray:
    """Candidate A, the index as shipped before: mean of three mapped measures."""
    return (np.clip((values[:, 0] - 3.0) / 9.0, 0, 1)
            + np.clip((values[:, 1] - 0.4) / 0.45, 0, 1) + values[:, 2]) / 3.0


def training_rows(leads: tuple, names: list[str], half: int, candidate: str):
    """Inputs, labels and weights of the labelled, scorable segments of `names`.

    `leads` holds one measured cache per lead (lead 0 first); candidates B and C are
    fitted on lead 0 only, D and E on every lead given, each (lead, noise, SNR,
    label) cell weighing the same in total.
    """
    used = leads if candidate in FITTED_ON_BOTH_LEADS else leads[:1]
    xs, ys, cells = [], [], []
    for lead, data in enumerate(used):
        for name in names:
            d = data[name]
            for i in range(len(NOISES)):
                for j in range(len(SNRS)):
                    lab, ok = d["labels"][i, half, j], d["valid"][i, half, j]
                    keep = (lab >= 0) & ok
                    xs.append(inputs(d["values"][i, half, j][keep], candidate))
                    ys.append(lab[keep].astype(float))
                    cells.append(((lead * len(NOISES) + i) * len(SNRS) + j) * 2
                                 + lab[keep])
    x, y, cell = np.concatenate(xs), np.concatenate(ys), np.concatenate(cells)
    counts = np.bincount(cell, minlength=2 * len(used) * len(NOISES) * len(SNRS))
    counts = np.maximum(counts, 1)
    w = 1.0 / counts[cell]
    return x, y, w / w.mean()


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, penalty: float = 1e-3
                 ) -> tuple[float, np.ndarray]:
    """Weighted L2 logistic regression by Newton's method; (intercept, weights) in raw units."""
    mean, std = x.mean(axis=0), x.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    z = np.column_stack([np.ones(len(x)), (x - mean) / std])
    beta = np.zeros(z.shape[1])
    ridge = np.full(z.shape[1], penalty)
    ridge[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        grad = z.T @ (w * (p - y)) / len(y) + ridge * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z / len(y) + np.diag(ridge)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    weights = beta[1:] / std
    return float(beta[0] - np.sum(weights * mean)), weights


def monotone_clips(weights: np.ndarray, low: np.ndarray, high: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Narrow each directed input's clip range to where its term goes its way.

    `weights` are a fit's on the clipped inputs and then their squares: input i's
    term is ``a u + b u**2``, and with direction d it must have ``d (a + 2 b u) >= 0``
    on the range kept; where no range is left the input is held at one value.
    """
    n = len(DIRECTIONS)
    low, high = low.copy(), high.copy()
    for i, d in enumerate(DIRECTIONS):
        a, b = weights[i], weights[n + i]
        if d == 0 or (b == 0 and d * a >= 0):
            continue
        if d * b > 0:
            low[i] = max(low[i], -a / (2 * b))
        elif d * b < 0:
            high[i] = min(high[i], -a / (2 * b))
        else:  # linear and the wrong way: flat
            hold = low[i] if np.isfinite(low[i]) else high[i] if np.isfinite(high[i]) else 0.0
            low[i] = high[i] = hold
        if low[i] > high[i]:  # the wrong way over the whole range: flat at the bound
            low[i] = high[i] = high[i] if d * b > 0 else low[i]
    return low, high


def fit_monotone(x: np.ndarray, y: np.ndarray, w: np.ndarray):
    """Candidate F: E's fit with each directed input clipped at its term's vertex.

    Rounds of fits (the first unclipped, E's), the clip points narrowed by each fit's
    vertices, until they stop moving or after :data:`MONOTONE_REFITS` refits; the
    last fit with the clip points its own vertices give is monotone either way.
    Returns (intercept, weights, low, high), `low`/`high` the clip points of `x`'s
    columns (infinite where not clipped).
    """
    low, high = np.full(x.shape[1], -np.inf), np.full(x.shape[1], np.inf)
    for _ in range(MONOTONE_REFITS + 1):
        u = np.clip(x, low, high)
        intercept, weights = fit_logistic(np.column_stack([u, u**2]), y, w)
        new_low, new_high = monotone_clips(weights, low, high)
        if np.array_equal(new_low, low) and np.array_equal(new_high, high):
            break
        low, high = new_low, new_high
    return intercept, weights, new_low, new_high


def index_of(model, values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The index of a candidate for every segment (0 where the segment cannot be scored)."""
    out = np.zeros(values.shape[0])
    if model[0] == "A":
        out[valid] = index_a(values[valid])
    elif model[0] == "library":  # heartbeat.quality's index as the package has it
        from heartbeat.signal_quality import _combine

        out[valid] = _combine(values[valid])
    elif model[0] == "F":
        _, intercept, weights, low, high = model
        u = np.clip(inputs(values[valid], "F"), low, high)
        out[valid] = 1.0 / (1.0 + np.exp(-(intercept + np.column_stack([u, u**2])
                                           @ weights)))
    else:
        _, intercept, weights = model
        out[valid] = 1.0 / (1.0 + np.exp(-(intercept + inputs(values[valid], model[0])
                                           @ weights)))
    return out


def fit(candidate: str, leads: tuple, names: list[str]):
    """Candidate `candidate` fitted on `names` (noise's first half) of `leads`."""
    if candidate == "A":
        return ("A",)
    if candidate == "F":
        return ("F", *fit_monotone(*training_rows(leads, names, 0, "F")))
    return (candidate, *fit_logistic(*training_rows(leads, names, 0, candidate)))


def scores(model, data: dict, names: list[str], half: int, snr: int, noise: int):
    """(noise-on, noise-off) index values of `names`' labelled segments."""
    on, off = [], []
    for name in names:
        d = data[name]
        q = index_of(model, d["values"][noise, half, snr], d["valid"][noise, half, snr])
        lab = d["labels"][noise, half, snr]
        on.append(q[lab == 0])
        off.append(q[lab == 1])
    return np.concatenate(on), np.concatenate(off)


def inner_auc(candidate: str, leads: tuple, folds: list[list[str]]) -> float:
    """Mean AUC at 6 dB over the inner folds, noises and leads (noise's first half)."""
    six = SNRS.index(6.0)
    aucs = []
    for k, fold in enumerate(folds):
        rest = [n for i, f in enumerate(folds) if i != k for n in f]
        model = fit(candidate, leads, rest)
        aucs += [roc_auc(*scores(model, data, fold, 0, six, i))
                 for data in leads for i in range(len(NOISES))]
    return float(np.mean(aucs))


def choose(leads: tuple, folds: list[list[str]], candidates: tuple[str, ...] = CANDIDATES
           ) -> tuple[str, dict]:
    """The pre-registered rule: the candidate with the best inner AUC (ties to the first)."""
    inner = {c: inner_auc(c, leads, folds) for c in candidates}
    best = max(inner.values())
    return next(c for c in candidates if inner[c] == best), inner


def run_choose(args) -> int:
    names = sorted(p.stem for p in args.mitdb.glob("*.hea"))
    data = read_cache(args.cache, names)
    leads = (data,)
    candidates = CANDIDATES
    if args.lead1_cache:
        leads = (data, read_cache(args.lead1_cache, names))
        candidates = BOTH_LEADS_CANDIDATES
    candidates = tuple(args.candidates or candidates)
    folds = make_folds(names)
    models = {}
    # beside the rule's choice: each of these fitted in every fold, and the library's
    compared = [c for c in ("B", "D", "F") if args.candidates and c in candidates]
    columns = {"before (A)": dict.fromkeys(names, ("A",)), "chosen": models,
               **{c: {} for c in compared}, "heartbeat.quality": dict.fromkeys(
                   names, ("library",))}
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| held-out fold | inner AUC at 6 dB: " + " | ".join(candidates) + " | chosen |")
    print("|---|" + "---:|" * len(candidates) + "---|")
    for k, fold in enumerate(folds):
        inner_folds = [f for i, f in enumerate(folds) if i != k]
        chosen, inner = choose(leads, inner_folds, candidates)
        model = fit(chosen, leads, [n for f in inner_folds for n in f])
        for c in compared:
            other = model if c == chosen else fit(c, leads,
                                                  [n for f in inner_folds for n in f])
            columns[c].update(dict.fromkeys(fold, other))
        for name in fold:
            models[name] = model
        print(f"| {' '.join(fold)} | " + " | ".join(f"{inner[c]:.4f}" for c in candidates)
              + f" | {chosen} |", flush=True)
    scored = [read_cache(args.score_cache, names)] if args.score_cache else list(leads)
    if args.score_cache:
        print(f"\nheld-out records scored on the measures in {args.score_cache}")
    for lead, data_of_lead in enumerate(scored):
        if len(scored) > 1:
            print(f"\n## lead {lead}")
        report_held_out(data_of_lead, names, columns if args.candidates
                        else {"before (A)": columns["before (A)"], "chosen": models})
    chosen, inner = choose(leads, folds, candidates)
    shipped = fit(chosen, leads, names)
    print("\nall 48 records: inner AUC " + ", ".join(f"{c} {inner[c]:.4f}" for c in candidates)
          + f"; chosen {chosen}")
    if chosen != "A":
        print(f"INTERCEPT = {shipped[1]!r}\nWEIGHTS = {tuple(shipped[2].tolist())!r}")
    if chosen == "F":
        print(f"CLIP_LOW = {tuple(shipped[3].tolist())!r}\n"
              f"CLIP_HIGH = {tuple(shipped[4].tolist())!r}")
    check_shipped(data, names, shipped)
    return 0


def report_held_out(data: dict, names: list[str], columns: dict) -> None:
    """Held-out AUC per noise and SNR (pooled) of each column, and per record (chosen).

    `columns` maps a label to each record's model; ``columns["chosen"]`` is the rule's.
    """
    print("\n| noise | SNR dB | " + " | ".join(f"held-out AUC, {c}" for c in columns)
          + " |")
    print("|---|---:|" + "---:|" * len(columns))
    for i, noise in enumerate(NOISES):
        for j, snr in enumerate(SNRS):
            row = []
            for models_of in columns.values():
                on, off = zip(*(scores(models_of[n], data, [n], 1, j, i) for n in names),
                              strict=True)
                row.append(roc_auc(np.concatenate(on), np.concatenate(off)))
            print(f"| {noise} | {snr:g} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    models = columns["chosen"]
    six = SNRS.index(6.0)
    print("\nper-record held-out AUC at 6 dB (em model / bw / ma), worst first by mean:")
    per = {n: [roc_auc(*scores(models[n], data, [n], 1, six, i)) for i in range(3)]
           for n in names}
    for n in sorted(names, key=lambda n: np.mean(per[n])):
        print(f"  {n}: " + " / ".join(f"{v:.3f}" for v in per[n]))


def check_shipped(data: dict, names: list[str], model) -> None:
    """Say whether heartbeat.signal_quality computes the index the rule chose."""
    from heartbeat.signal_quality import _combine

    worst = 0.0
    for name in names:
        d = data[name]
        values, valid = d["values"][:, 1].reshape(-1, len(NAMES)), d["valid"][:, 1].ravel()
        ours = index_of(model, values, valid)[valid]
        worst = max(worst, float(np.max(np.abs(_combine(values[valid]) - ours))))
    print(f"heartbeat.signal_quality's index vs the chosen model: largest difference "
          f"{worst:.2e}" + (" (the shipped constants)" if worst < 1e-6 else
                            " -- NOT the shipped constants"))


def run_cost(args) -> int:
    """CPU time of segment() with and without the quality index, best of 3 per record."""
    import heartbeat

    total_on = total_off = 0.0
    print("| record | lead | segment(x, fs) s | quality=False s | quality's share |")
    print("|---|---:|---:|---:|---:|")
    for name in ("100", "116", "203", "207"):
        rec = read_record(args.mitdb / name)
        for lead in (0, 1):
            x = np.ascontiguousarray(rec.signal[:, lead])
            heartbeat.segment(x[: round(60 * rec.fs)], rec.fs)  # compile the kernels
            times = {}
            for quality in (None, False):
                best = np.inf
                for _ in range(3):
                    t = time.process_time()
                    heartbeat.segment(x, rec.fs, quality=quality)
                    best = min(best, time.process_time() - t)
                times[quality] = best
            total_on += times[None]
            total_off += times[False]
            print(f"| {name} | {lead} | {times[None]:.3f} | {times[False]:.3f} | "
                  f"{100 * (1 - times[False] / times[None]):.0f} % |", flush=True)
    print(f"| all | | {total_on:.2f} | {total_off:.2f} | "
          f"{100 * (1 - total_off / total_on):.0f} % |")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    for command in ("measure", "choose", "cost"):
        p = sub.add_parser(command)
        if command != "cost":
            p.add_argument("--cache", type=Path, required=True,
                           help="folder of the per-record measures (outside the repository)")
        p.add_argument("--mitdb", type=Path, default=default_mitdb())
    sub.choices["measure"].add_argument("--records", nargs="+", help="default: all")
    sub.choices["measure"].add_argument("--lead", type=int, default=0, choices=(0, 1),
                                        help="the channel measured (0)")
    sub.choices["choose"].add_argument(
        "--lead1-cache", type=Path,
        help="lead 1's measures: the rule over both leads and candidates A-E")
    sub.choices["choose"].add_argument(
        "--candidates", nargs="+", choices=("A", "B", "C", "D", "E", "F"),
        help="the candidates of the rule, in tie order (default: A-C, or A-E with "
             "--lead1-cache); given, B, D and F are also reported fitted in each fold")
    sub.choices["choose"].add_argument(
        "--score-cache", type=Path,
        help="score the held-out records on these measures instead (e.g. lead 1's)")
    args = ap.parse_args()
    if args.command == "measure":
        return run_measure(args)
    if args.command == "cost":
        return run_cost(args)
    return run_choose(args)


if __name__ == "__main__":
    sys.exit(main())
