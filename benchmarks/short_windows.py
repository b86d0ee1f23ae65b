"""Score the R-peak detector on short recordings: windows of every MIT-BIH lead-record.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice -n 10 python benchmarks/short_windows.py
    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice -n 10 python benchmarks/short_windows.py --stream
    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice -n 10 python benchmarks/short_windows.py --folds
    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice python benchmarks/short_windows.py --folds init_floor
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/short_windows.py --records 231 --no-write
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/short_windows.py --rule init_quantile=0.5

A user's recording is often seconds long, and the detector then starts on whatever
rhythm it holds; the whole-record benchmark (``bench_detect.py``) lets it learn its
levels first.  Here ``heartbeat.detect_r_peaks`` runs on windows of WINDOWS_S (10 and
16 s) starting every STEP_S (5 minutes: 0:00, 5:00, ..., 25:00) of each lead of the 48
records (96 lead-records; each record is read once, one process), and separately on
the dense block windows of record 231 (16 and 10 s windows starting every 8 s inside
each stretch annotated ``(BII``, its 2:1 AV block, when the whole window lies inside).

Scoring: the reference is every beat annotation (``heartbeat.aami.is_beat``) inside the
window; detections and reference beats are matched one to one within 150 ms
(``heartbeat.metrics.match_peaks``) over the whole window, then only those lying
EDGE_S (0.5 s) or more inside either edge are counted: a reference beat there that is
unmatched is a FN, a detection there that is unmatched is a FP (a beat the window cuts
off, or its match across the margin, counts neither way).  Gross Se / +P sum the counts
per lead; the worst windows are those with the most FN + FP.

``--stream`` also runs ``heartbeat.Stream(fs, quality=False)`` on lead 0 of 231 fed in
100 ms chunks and counts its beats farther than 150 ms from every beat
``detect_r_peaks`` finds on the whole lead (the extra beats of a sliding 16 s buffer).

``--folds [SET]`` compares the rule variants of ``TRIAL_SETS[SET]`` (``init_quantile``,
the default: how the QRS level starts; ``init_floor``: the floor ratios started from the
first seconds when they beat as a rhythm) over the 4 record folds of
``tune_detector.py`` (seed 0): each fold's variant
is chosen on the other three folds, the one with the highest mean over lead 0 and lead
1 of min(gross Se, gross +P) on the short windows (grid and block), among those whose
whole-record FN + FP on each lead is no higher than the first variant's (the rule
before; ties go to the earlier) and, for ``init_floor``, among those that keep noise
quiet (``noise_beats``: the quiet check's noise hours whole, and cut into 10 and 16 s
windows each detected alone, give no more beats than the rule before or than
NOISE_ALLOWED); the held-out counts are summed.  It scores with the
tuning scorer (``_tuning.lead_peaks``: the decision rule rerun on stages computed once,
without the high band).  ``--rule NAME=VALUE`` runs the public detector with entries of
``heartbeat.detect.RULE`` set for the run.

Results go to ``benchmarks/results/short_windows.json`` and, for ``--folds``,
``short_windows_folds.json`` (``short_windows_folds_init_floor.json`` for that set;
unless ``--no-write`` or ``--rule``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import REPO, default_mitdb

from heartbeat import detect
from heartbeat import io as wfdb
from heartbeat.aami import is_beat
from heartbeat.detect import detect_r_peaks
from heartbeat.metrics import match_peaks

WINDOWS_S = (10.0, 16.0)
STEP_S = 300.0  # a window of each length starts every 5 minutes
EDGE_S = 0.5  # beats this close to a window's edge are not counted
TOLERANCE_S = 0.15
BLOCK_RECORD = "231"
BLOCK_RHYTHM = "(BII"  # 231's 2:1 AV block
BLOCK_STEP_S = 8.0  # dense windows inside the block start this far apart
NOISE_WINDOWS_S = (10.0, 16.0)  # the quiet check's noise hours cut into short windows
# a trial keeps noise quiet when it finds no more beats in each of noise_beats' columns
# than the rule before or than these (tune_detector.py: 10 an hour, spikes allowed)
NOISE_ALLOWED = np.array([10, 10 + 3600 * 360 // 7200 + 1, 0, 0])
OUT = REPO / "benchmarks" / "results" / "short_windows.json"
# --folds SET: the rule variants compared (the first is the rule before).  init_quantile:
# < 0 fills the QRS level's slots with the per-second maxima themselves; init_floor: the
# floor ratios start from the first seconds when they beat as a rhythm (0: never)
TRIAL_SETS = {
    "init_quantile": tuple({"init_quantile": q} for q in (-1.0, 0.25, 0.4, 0.5, 0.75)),
    "init_floor": ({"init_floor_s": 0.0}, *(
        {"init_floor_s": 8.0, "init_rhythm_tol": tol} for tol in (0.1, 0.15, 0.2))),
}
TRIALS = TRIAL_SETS["init_quantile"]


def window_counts(x: np.ndarray, fs: float, beats: np.ndarray, start: int, stop: int
                  ) -> tuple[int, int, int]:
    """TP, FN, FP of detect_r_peaks on ``x[start:stop]`` (module docstring: scoring)."""
    return window_score(detect_r_peaks(x[start:stop], fs) + start, fs, beats, start, stop)


def window_score(found: np.ndarray, fs: float, beats: np.ndarray, start: int, stop: int
                 ) -> tuple[int, int, int]:
    """TP, FN, FP of the detections `found` in ``[start, stop)`` (module docstring)."""
    ref = beats[(beats >= start) & (beats < stop)]
    det_i, ref_i = match_peaks(found, ref, TOLERANCE_S * fs)
    lo, hi = start + EDGE_S * fs, stop - EDGE_S * fs
    inside_ref = (ref >= lo) & (ref < hi)
    inside_det = (found >= lo) & (found < hi)
    matched_ref = np.zeros(ref.size, bool)
    matched_ref[ref_i] = True
    matched_det = np.zeros(found.size, bool)
    matched_det[det_i] = True
    tp = int((inside_ref & matched_ref).sum())
    return tp, int((inside_ref & ~matched_ref).sum()), int((inside_det & ~matched_det).sum())


def rhythm_spans(ann, rhythm: str, n_samples: int) -> list[tuple[int, int]]:
    """(start, stop) samples of each stretch annotated `rhythm` (to the next rhythm)."""
    aux = np.asarray(ann.aux_note)
    sample = np.asarray(ann.sample).astype(np.int64)
    marks = [(int(s), str(a)) for s, a in zip(sample, aux, strict=True)
             if str(a).startswith("(")]
    spans = []
    for i, (s, a) in enumerate(marks):
        if a == rhythm:
            spans.append((s, marks[i + 1][0] if i + 1 < len(marks) else n_samples))
    return spans


def block_windows(spans: list[tuple[int, int]], fs: float) -> list[tuple[int, int]]:
    """Dense (start, stop) windows of each length that lie wholly inside `spans`."""
    out = []
    for length_s in WINDOWS_S:
        n = round(length_s * fs)
        for s0, s1 in spans:
            out += [(a, a + n) for a in range(s0, s1 - n + 1, round(BLOCK_STEP_S * fs))]
    return out


def read_windows(mitdb: Path, name: str) -> tuple:
    """A record's signal, fs, beat annotations, grid windows and block windows."""
    record = wfdb.read_record(mitdb / name)
    ann = wfdb.read_annotations(mitdb / name, "atr")
    fs = float(record.fs)
    signal = np.asarray(record.signal, np.float64)
    beats = np.asarray(ann.sample).astype(np.int64)[is_beat(ann.symbol)]
    grid = [(round(a * fs), round((a + w) * fs)) for w in WINDOWS_S
            for a in np.arange(0.0, signal.shape[0] / fs - w, STEP_S)]
    spans = rhythm_spans(ann, BLOCK_RHYTHM, signal.shape[0]) if name == BLOCK_RECORD else []
    return signal, fs, beats, grid, block_windows(spans, fs)


def score_records(mitdb: Path, names: list[str]) -> tuple[list[dict], list[dict]]:
    """Every grid window of every lead-record, and 231's block windows, as rows."""
    rows, block_rows = [], []
    for name in names:
        signal, fs, beats, grid, block = read_windows(mitdb, name)
        for lead in range(signal.shape[1]):
            x = np.ascontiguousarray(signal[:, lead])
            for kind, windows in (("grid", grid), ("block", block)):
                for a, b in windows:
                    tp, fn, fp = window_counts(x, fs, beats, a, b)
                    row = {"record": name, "lead": lead, "start_s": round(a / fs, 3),
                           "length_s": round((b - a) / fs, 3), "tp": tp, "fn": fn, "fp": fp}
                    (rows if kind == "grid" else block_rows).append(row)
    return rows, block_rows


def gross(rows: list[dict]) -> dict:
    """Summed counts with Se and +P in percent."""
    tp, fn, fp = (sum(r[k] for r in rows) for k in ("tp", "fn", "fp"))
    return {"windows": len(rows), "tp": tp, "fn": fn, "fp": fp,
            "se": 100.0 * tp / max(tp + fn, 1), "ppv": 100.0 * tp / max(tp + fp, 1)}


def stream_extra(mitdb: Path, name: str = BLOCK_RECORD, lead: int = 0) -> dict:
    """Stream beats of one lead farther than 150 ms from the whole-lead detection's."""
    from heartbeat import Stream

    record = wfdb.read_record(mitdb / name)
    fs = float(record.fs)
    x = np.ascontiguousarray(np.asarray(record.signal, np.float64)[:, lead])
    offline = detect_r_peaks(x, fs)
    stream = Stream(fs, quality=False)
    chunk = round(0.1 * fs)
    found = [stream.push(x[i : i + chunk]).sample for i in range(0, x.size, chunk)]
    found.append(stream.flush().sample)
    online = np.sort(np.concatenate(found)).astype(np.int64)
    near = np.searchsorted(offline, online)
    dist = np.full(online.size, np.inf)
    for side in (near - 1, near):
        ok = (side >= 0) & (side < offline.size)
        dist[ok] = np.minimum(dist[ok], np.abs(online[ok] - offline[side[ok]]))
    extra = int((dist > TOLERANCE_S * fs).sum())
    return {"record": name, "lead": lead, "stream_beats": int(online.size),
            "offline_beats": int(offline.size), "extra": extra}


def trial_counts(mitdb: Path, names: list[str], trials: tuple = TRIALS
                 ) -> dict[str, dict[tuple, np.ndarray]]:
    """TP, FN, FP of each of `trials`: short windows and whole records, per lead-record.

    Returns ``{"short": {(record, lead): counts}, "whole": {...}}``, counts of shape
    (len(trials), 3).  The per-sample stages of each window and of each whole lead
    run once (``_tuning.lead_stages``); only the decision rule reruns per trial, on
    one lead as ``detect_r_peaks`` runs it without the high band of Note 10.
    """
    from _tuning import Lead, lead_peaks, lead_stages, score

    out: dict[str, dict[tuple, np.ndarray]] = {"short": {}, "whole": {}}
    for name in names:
        signal, fs, beats, grid, block = read_windows(mitdb, name)
        for m in range(signal.shape[1]):
            x = np.ascontiguousarray(signal[:, m])
            whole = Lead(name, m, "clean", fs, beats, 0, *lead_stages(x, fs))
            out["whole"][name, m] = np.array(
                [score(lead_peaks(whole, trial, {})[0], whole) for trial in trials])
            short = np.zeros((len(trials), 3), np.int64)
            for a, b in grid + block:
                part = Lead(name, m, "window", fs, beats, 0, *lead_stages(x[a:b], fs))
                for t, trial in enumerate(trials):
                    found = lead_peaks(part, trial, {})[0] + a
                    short[t] += window_score(found, fs, beats, a, b)
            out["short"][name, m] = short
        print(f"{name} done", flush=True)
    return out


def noise_beats(trials: tuple) -> np.ndarray:
    """Beats each trial finds in noise: (len(trials), 4), label-free, the same for all folds.

    Columns: tune_detector.py's quiet-check hours (``noise_leads``: random walk, then
    white noise with spikes), whole; then the sum over the NOISE_WINDOWS_S windows
    (back to back) of each hour, each window detected alone as a short recording.
    """
    from _tuning import Lead, lead_peaks, lead_stages
    from tune_detector import noise_leads

    out = np.zeros((len(trials), 4), np.int64)
    for i, (lead, _) in enumerate(noise_leads()):
        x = noise_signal(i)
        out[:, i] = [lead_peaks(lead, trial, {})[0].size for trial in trials]
        for w in NOISE_WINDOWS_S:
            n = round(w * lead.fs)
            for a in range(0, x.size - n + 1, n):
                part = Lead("noise", 0, "window", lead.fs, np.empty(0, np.int64), 0,
                            *lead_stages(x[a : a + n], lead.fs))
                out[:, 2 + i] += [lead_peaks(part, trial, {})[0].size for trial in trials]
    return out


def noise_signal(i: int, fs: float = 360.0) -> np.ndarray:
    """The `i`-th noise of tune_detector.noise_leads (rebuilt from its seed, the same bits)."""
    from tune_detector import NOISE_SEED

    rng = np.random.default_rng(NOISE_SEED)
    n = int(3600 * fs)
    walk = 0.01 * np.cumsum(rng.normal(size=n)) + 0.1 * rng.normal(size=n)
    spiky = rng.normal(size=n)
    n_spikes = n // 7200 + 1
    spiky[rng.integers(0, n, size=n_spikes)] = rng.normal(scale=50, size=n_spikes)
    return (walk, spiky)[i]


def _figures(counts: dict[tuple, np.ndarray], names: list[str], lead: int) -> np.ndarray:
    """(Se %, +P %, FN + FP) per trial, gross over `names`' lead `lead`."""
    tp, fn, fp = sum(counts[n, lead] for n in names).T.astype(float)
    return np.stack([100 * tp / np.maximum(tp + fn, 1), 100 * tp / np.maximum(tp + fp, 1),
                     fn + fp], axis=1)


def choose(counts: dict, names: list[str], quiet: np.ndarray | None = None) -> int:
    """The trial that maximises the objective on `names` (module docstring: folds).

    `quiet`: which trials keep noise quiet (all when None).
    """
    best, best_value = 0, -np.inf
    for t in range(len(counts["whole"][names[0], 0])):
        whole = [_figures(counts["whole"], names, m) for m in (0, 1)]
        if any(w[t, 2] > w[0, 2] for w in whole) or (quiet is not None and not quiet[t]):
            continue
        value = np.mean([_figures(counts["short"], names, m)[t, :2].min() for m in (0, 1)])
        if value > best_value:
            best, best_value = t, value
    return best


def fold_rows(counts: dict, names: list[str], k: int = 4, seed: int = 0,
              trials: tuple = TRIALS, quiet: np.ndarray | None = None) -> dict:
    """Each fold's choice on the other folds, and the held-out counts summed."""
    from tune_detector import folds

    held = {kind: {m: np.zeros(3, np.int64) for m in (0, 1)} for kind in counts}
    choices = []
    for f, test in enumerate(folds(names, k, seed)):
        t = choose(counts, [n for n in names if n not in test], quiet)
        choices.append({"fold": f + 1, "held_out": test, "trial": trials[t]})
        for kind, per in counts.items():
            for m in (0, 1):
                held[kind][m] += sum(per[n, m][t] for n in test)
    final = choose(counts, names, quiet)
    return {"choices": choices, "final": trials[final], "held_out": held,
            "before": {kind: {m: sum(per[n, m][0] for n in names) for m in (0, 1)}
                       for kind, per in counts.items()},
            "final_counts": {kind: {m: sum(per[n, m][final] for n in names) for m in (0, 1)}
                             for kind, per in counts.items()}}


def print_folds(result: dict) -> None:
    """The folds' choices and the before / held-out / final rows."""
    for c in result["choices"]:
        print(f"fold {c['fold']} ({' '.join(c['held_out'])}): {c['trial']}")
    print(f"final (all records): {result['final']}")
    for row in ("before", "held_out", "final_counts"):
        for kind in ("short", "whole"):
            cells = []
            for m in (0, 1):
                tp, fn, fp = (int(v) for v in result[row][kind][m])
                cells.append(f"lead {m} {100 * tp / max(tp + fn, 1):.3f} / "
                             f"{100 * tp / max(tp + fp, 1):.3f} ({fn} FN, {fp} FP)")
            print(f"{row:<13}{kind:<6}" + "; ".join(cells))


def print_report(rows: list[dict], block_rows: list[dict], worst: int) -> None:
    """Per-lead and per-length gross figures, the worst windows and 231's block."""
    print(f"{'set':<28}{'windows':>8}{'TP':>8}{'FN':>6}{'FP':>6}{'Se %':>9}{'+P %':>9}")
    for lead in sorted({r["lead"] for r in rows}):
        for length in (*WINDOWS_S, None):
            sel = [r for r in rows if r["lead"] == lead
                   and (length is None or r["length_s"] == length)]
            g = gross(sel)
            label = f"lead {lead} " + (f"{length:g} s" if length else "all")
            print(f"{label:<28}{g['windows']:>8}{g['tp']:>8}{g['fn']:>6}{g['fp']:>6}"
                  f"{g['se']:>9.3f}{g['ppv']:>9.3f}")
    for lead in sorted({r["lead"] for r in block_rows}):
        for length in WINDOWS_S:
            sel = [r for r in block_rows if r["length_s"] == length and r["lead"] == lead]
            g = gross(sel)
            label = f"{BLOCK_RECORD} block, lead {lead}, {length:g} s"
            print(f"{label:<28}{g['windows']:>8}{g['tp']:>8}{g['fn']:>6}{g['fp']:>6}"
                  f"{g['se']:>9.3f}{g['ppv']:>9.3f}")
        sel = [r for r in block_rows if r["lead"] == lead]
        print(f"{BLOCK_RECORD} block windows of lead {lead} with a FP: "
              f"{sum(1 for r in sel if r['fp'] > 0)} of {len(sel)}")
    for lead in sorted({r["lead"] for r in rows}):
        sel = sorted((r for r in rows if r["lead"] == lead),
                     key=lambda r: -(r["fn"] + r["fp"]))[:worst]
        print(f"worst windows, lead {lead}: " + ", ".join(
            f"{r['record']}@{r['start_s']:g}+{r['length_s']:g}s {r['fn']}FN/{r['fp']}FP"
            for r in sel if r["fn"] + r["fp"]))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    ap.add_argument("--mitdb", type=Path, default=default_mitdb())
    ap.add_argument("--records", nargs="*", help="record names (default: all 48)")
    ap.add_argument("--worst", type=int, default=10, help="worst windows listed per lead")
    ap.add_argument("--stream", action="store_true",
                    help=f"also count the Stream's extra beats on {BLOCK_RECORD} lead 0")
    ap.add_argument("--folds", nargs="?", const="init_quantile", choices=sorted(TRIAL_SETS),
                    help="choose among a set of TRIAL_SETS over the 4 record folds "
                         "(module docstring; default init_quantile)")
    ap.add_argument("--rule", nargs="*", default=[], metavar="NAME=VALUE",
                    help="set entries of heartbeat.detect.RULE for this run "
                         "(e.g. init_quantile=0.5); the results file is not written")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    rule = {k: float(v) for k, v in (item.split("=", 1) for item in args.rule)}
    unknown = set(rule) - set(detect.RULE)
    if unknown:
        ap.error(f"--rule: {sorted(unknown)} not in heartbeat.detect.RULE")
    if rule:
        from _tuning import constants

        with constants(rule, {}):
            run(args)
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    """The run that main's arguments ask for."""
    names = args.records or sorted(p.stem for p in args.mitdb.glob("*.hea"))
    if args.folds:
        trials = TRIAL_SETS[args.folds]
        quiet = None
        if args.folds != "init_quantile":  # its run (before the quiet check) is kept as run
            noise = noise_beats(trials)
            quiet = np.all(noise <= np.maximum(noise[0], NOISE_ALLOWED), axis=1)
            for trial, row, ok in zip(trials, noise, quiet, strict=True):
                print(f"noise beats {trial}: hours {row[:2].tolist()}, windows "
                      f"{row[2:].tolist()}" + ("" if ok else " (not quiet)"))
        result = fold_rows(trial_counts(args.mitdb, names, trials), names, trials=trials,
                           quiet=quiet)
        if quiet is not None:
            result["noise_beats"] = noise
            result["quiet"] = quiet
        print_folds(result)
        if not (args.no_write or args.rule):
            from heartbeat._atomic import atomic_open

            suffix = "" if args.folds == "init_quantile" else f"_{args.folds}"
            with atomic_open(OUT.with_name(f"short_windows_folds{suffix}.json")) as f:
                f.write(json.dumps(result, indent=1, default=_plain).encode())
        return
    t0 = time.process_time()
    rows, block_rows = score_records(args.mitdb, names)
    cpu = time.process_time() - t0
    print_report(rows, block_rows, args.worst)
    print(f"CPU time {cpu:.1f} s for {len(rows) + len(block_rows)} windows")
    result = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
              "machine": f"{platform.machine()}, Python {platform.python_version()}",
              "windows_s": list(WINDOWS_S), "step_s": STEP_S, "edge_s": EDGE_S,
              "by_lead": {str(m): gross([r for r in rows if r["lead"] == m])
                          for m in sorted({r["lead"] for r in rows})},
              "block_by_lead": {str(m): gross([r for r in block_rows if r["lead"] == m])
                                for m in sorted({r["lead"] for r in block_rows})},
              "windows_with_errors": [r for r in rows + block_rows if r["fn"] or r["fp"]]}
    if args.stream:
        result["stream"] = stream_extra(args.mitdb)
        print(f"Stream on {BLOCK_RECORD} lead 0: {result['stream']}")
    if not (args.no_write or args.rule):
        from heartbeat._atomic import atomic_open

        with atomic_open(OUT) as f:
            f.write(json.dumps(result, indent=1).encode())
        print(f"wrote {OUT.relative_to(REPO)}")


def _plain(value: object) -> object:
    """NumPy arrays and integers as JSON lists and numbers."""
    return value.tolist() if isinstance(value, np.ndarray) else int(value)


if __name__ == "__main__":
    main()
