"""Replay each lead's detections through the multi-lead vote, fast, and say what it adds.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. nice -n 10 python benchmarks/diagnose_merge.py \
        --cache /tmp/merge-cache

Each MIT-BIH record is detected once per lead (the detector as it stands, high band
included), and once more for each lead replaced by the NST ``ma`` noise (its channel
0, its first samples, scaled to the replaced lead's RMS, as ``bench_detect.py``'s
``0+ma``); with ``--cache`` these per-lead detections are kept in a folder (outside the
repo) and later runs replay only the vote, :func:`heartbeat.detect._merge`, in
seconds; each input's quality index per 2 s stretch (``_merge_gate.stretch_quality``, the
lead's own peaks handed in) is cached beside its detections.  Scored by 150 ms
one-to-one matching against all beat annotations:

- ``both``: both leads; ``0+ma``: lead 0 with lead 1 replaced by noise; ``ma+1``: the
  mirror (lead 1 with lead 0 replaced), against lead 1 alone;
- the records where both leads do worse (more FN + FP) than the better lead alone,
  and for each what the vote added, by failure mode (:func:`failure_modes`);
- with ``--folds``, the held-out figures over the 4 record folds of
  ``tune_detector.py`` (seed 0): each fold's variant is the best by :func:`ranking`
  on the other three folds (the noise directions within 0.1 of the kept lead, then
  the fewest records worse than the better lead, then the fewest FN + FP of both
  leads, ``0+ma`` and ``ma+1``).

``--backends`` replays the vote with the NumPy twin as well and checks that every
merged beat equals the Numba kernel's (exit status 1 at a difference).  The replay
takes the cached whole-record index in the stretches the detector's gate scores
(:func:`heartbeat._merge_gate.gated_stretches`) and 1 elsewhere; ``--check-gate``
reads the signals again and checks that the detector's own gate
(:func:`heartbeat._merge_gate.gate_quality`, those stretches scored on the signal
around them) merges every input as the whole-record index does, in both backends;
``--time-gate`` times both leads' detection with each (CPU time) and does nothing else.

``--variant NAME=VALUE ...`` sets module constants of :mod:`heartbeat.detect` (the
``MERGE_*`` constants) for a run; ``--grid`` compares the variants of :data:`GRID`
(``--grid-of veto``: of :data:`VETO_GRID`; ``present``: of :data:`PRESENT_GRID`;
``lone-low``: of :data:`LOW_LONE_GRID`), as ``--folds`` does.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import default_mitdb

from heartbeat import _detect_bands as _bands
from heartbeat import _merge_gate, detect
from heartbeat.aami import is_beat
from heartbeat.metrics import match_peaks

TOLERANCE_S = 0.15
INPUTS = ("0", "1", "ma>0", "ma>1")  # per-lead detections kept per record
# what is scored: name -> (lead detections merged, the single lead it is held against)
MERGED = {"both": (("0", "1"), None), "0+ma": (("0", "ma>1"), "0"),
          "ma+1": (("ma>0", "1"), "1")}
MODES = ("FN moved", "FN one lead", "FN dropped", "FP moved", "FP edge", "FP other lead",
         "FP other")  # failure_modes
# the variants --grid and --folds compare (each a dict of detect module constants):
# session 9's lone beats put back after the vote (MERGE_LONE_CLEAR 0: off; session 8's
# grid of MERGE_PRESENT was 0, 0.002, 0.01, 0.03, 0.1, 0.3 under `objective` alone)
GRID: list[dict] = [{"MERGE_LONE_CLEAR": 0.0}] + [
    {"MERGE_LONE_CLEAR": clear, "MERGE_LONE_TYPICAL": typical}
    for clear in (0.8, 0.9, 0.95) for typical in (0.8, 1.0)]
# session 9, later: the veto asks for a typical peak of the locally clearest lead
# (MERGE_VETO_TYPICAL x its local quality; 0: any peak, as before); ``--grid-of veto``
VETO_GRID: list[dict] = [{"MERGE_VETO_TYPICAL": typical} for typical in (0.0, 0.4, 0.6, 0.8)]
# session 8's grid of the quality gate's threshold, for a new index; ``--grid-of present``
PRESENT_GRID: list[dict] = [{"MERGE_PRESENT": present}
                            for present in (0.0, 0.002, 0.01, 0.03, 0.1, 0.3)]
# session 11: the lone beats' grid below its edge (0.8 / 0.8 was its lowest corner and
# the choice), the shipped setting first so that a tie keeps it; ``--grid-of lone-low``
LOW_LONE_GRID: list[dict] = [{"MERGE_LONE_CLEAR": 0.8, "MERGE_LONE_TYPICAL": 0.8}] + [
    {"MERGE_LONE_CLEAR": clear, "MERGE_LONE_TYPICAL": typical}
    for clear in (0.6, 0.7, 0.8) for typical in (0.6, 0.7, 0.8)
    if (clear, typical) != (0.8, 0.8)]
GRIDS = {"lone": GRID, "veto": VETO_GRID, "present": PRESENT_GRID, "lone-low": LOW_LONE_GRID}


def _ma_noise(mitdb: Path, n: int) -> np.ndarray:
    from heartbeat import io as wfdb

    noise = np.asarray(wfdb.read_record(mitdb.parent / "nstdb-noise" / "ma").signal,
                       dtype=np.float64)[:n, 0]
    return noise - noise.mean()


def input_signals(mitdb: Path, name: str) -> tuple[dict[str, np.ndarray], float]:
    """Each input lead of :data:`INPUTS` of one record (float64), and fs."""
    from heartbeat import io as wfdb

    record = wfdb.read_record(mitdb / name)
    signal = np.asarray(record.signal, dtype=np.float64)[:, :2]
    noise = _ma_noise(mitdb, signal.shape[0])
    out = {}
    for m in (0, 1):
        lead = np.ascontiguousarray(signal[:, m])
        centred = lead - lead.mean()
        out[str(m)] = lead
        out[f"ma>{m}"] = noise * np.sqrt(np.mean(centred**2) / np.mean(noise**2))
    return out, float(record.fs)


def check_gate(mitdb: Path, records: dict) -> bool:
    """Whether the detector's gate (:func:`heartbeat._merge_gate.gate_quality`, the
    index around disputed stretches only) merges every input, in both backends, as the
    whole-record index does; prints the index's CPU time both ways for both leads."""
    import time

    same, n_beats, cpu = True, 0, {"whole": 0.0, "gate": 0.0}
    for name, r in records.items():
        signals, fs = input_signals(mitdb, name)
        for kind, (pair, _) in MERGED.items():
            leads, found = [signals[k] for k in pair], [r[k] for k in pair]
            whole_sqi = np.stack([r[f"sqi {k}"] for k in pair], axis=1)
            whole = detect._merge(found, fs, "numba", r["n"], whole_sqi)
            start = time.process_time()
            sqi = _merge_gate.gate_quality(leads, found, fs, max(1, round(detect.MERGE_S * fs)),
                                           detect.MERGE_DISPUTE_PAD)
            if kind == "both":
                cpu["gate"] += time.process_time() - start
                start = time.process_time()
                _merge_gate.stretch_quality(leads, found, fs)
                cpu["whole"] += time.process_time() - start
            for backend in ("numba", "numpy"):
                if not np.array_equal(whole, detect._merge(found, fs, backend, r["n"], sqi)):
                    print(f"gate differs: record {name}, {kind}, {backend}")
                    same = False
            n_beats += whole.size
    print(f"gate: {len(records)} records x {len(MERGED)} inputs, {n_beats} beats, "
          f"{'identical' if same else 'NOT identical'} to the whole-record index in both "
          f"backends; both leads' index CPU time {cpu['whole']:.2f} s whole, "
          f"{cpu['gate']:.2f} s gated")
    return same


def time_gate(mitdb: Path, names: list[str]) -> bool:
    """Both leads' ``detect._detect`` in CPU time with the gate around disputed stretches
    (as shipped) and with the whole-record index, alternating per record, warm."""
    import time

    from heartbeat import io as wfdb

    shipped = _merge_gate.gate_quality
    variants = {"gated": shipped, "whole": lambda leads, found, fs, *_:
                _merge_gate.stretch_quality(leads, found, fs)}
    cpu, samples, same = dict.fromkeys(variants, 0.0), 0, True
    for i, name in enumerate(names):
        record = wfdb.read_record(mitdb / name)
        x, fs = np.asarray(record.signal, dtype=np.float64)[:, :2], float(record.fs)
        if i == 0:
            detect._detect(x, fs, "robust", "numba")  # the kernels loaded before timing
        out = {}
        try:
            for kind in sorted(variants, reverse=i % 2 == 1):
                _merge_gate.gate_quality = variants[kind]
                start = time.process_time()
                out[kind] = detect._detect(x, fs, "robust", "numba")
                cpu[kind] += time.process_time() - start
        finally:
            _merge_gate.gate_quality = shipped
        same &= np.array_equal(out["gated"], out["whole"])
        samples += x.shape[0]
    print("both leads, CPU time: " + ", ".join(
        f"{kind} {t:.2f} s ({samples / t / 1e6:.1f} Msamples/s)" for kind, t in cpu.items())
        + ("; peaks identical" if same else "; peaks DIFFER"))
    return same


def record_detections(mitdb: Path, name: str, cache: Path | None) -> dict:
    """Beats, fs and each input's (peaks, quality) of one record, from `cache` if there."""
    path = cache / f"{name}.npz" if cache else None
    if path is not None and path.exists():
        with np.load(path, allow_pickle=False) as z:
            found = {k: (z[f"peaks {k}"], z[f"quality {k}"]) for k in INPUTS}
            sqi = {f"sqi {k}": z[f"sqi {k}"] for k in INPUTS}
            return {"beats": z["beats"], "fs": float(z["fs"]), "n": int(z["n"]), **found,
                    **sqi}
    from heartbeat import io as wfdb

    ann = wfdb.read_annotations(mitdb / name, "atr")
    beats = np.asarray(ann.sample, dtype=np.int64)[is_beat(ann.symbol)]
    signals, fs = input_signals(mitdb, name)
    out = {"beats": beats, "fs": fs, "n": signals["0"].size}
    for key, x in signals.items():
        out[key] = _bands.detect_lead(x, fs, "numba", detect._detect_lead)
        out[f"sqi {key}"] = _merge_gate.stretch_quality([x], [out[key]], fs)[:, 0]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"beats": beats, "fs": np.float64(fs), "n": np.int64(out["n"])}
        for k in INPUTS:
            arrays[f"peaks {k}"], arrays[f"quality {k}"] = out[k]
            arrays[f"sqi {k}"] = out[f"sqi {k}"]
        np.savez(path, **arrays)
    return out


@contextmanager
def constants(settings: dict):
    """Set module constants of heartbeat.detect for a while."""
    saved = {k: getattr(detect, k) for k in settings}
    try:
        for key, value in settings.items():
            setattr(detect, key, value)
        yield
    finally:
        for key, value in saved.items():
            setattr(detect, key, value)


def counts(peaks: np.ndarray, beats: np.ndarray, fs: float) -> tuple[int, int, int]:
    """TP, FN, FP of `peaks` against the reference `beats` (150 ms one to one)."""
    tp = match_peaks(peaks, beats, TOLERANCE_S * fs)[0].size
    return tp, beats.size - tp, peaks.size - tp


def gate(r: dict, pair: tuple[str, ...]) -> np.ndarray:
    """The gate's stretch quality as the detector takes it: the cached whole-record
    index in the stretches :func:`heartbeat._merge_gate.gated_stretches` picks, 1
    elsewhere (the detector scores those stretches on the signal around them; the
    merged beats are the same on all 48 records: ``--check-gate``)."""
    sqi = np.stack([r[f"sqi {k}"] for k in pair], axis=1)
    found = [r[k] for k in pair]
    need = _merge_gate.gated_stretches(found, r["n"], r["fs"],
                                       max(1, round(detect.MERGE_S * r["fs"])),
                                       detect.MERGE_DISPUTE_PAD)
    return np.where(need[:, None], sqi, 1.0)


def replay(records: dict, settings: dict, backend: str = "numba") -> dict:
    """Per record: each single lead's and each merged input's (peaks, (tp, fn, fp))."""
    out = {}
    with constants(settings):
        for name, r in records.items():
            row = {}
            for lead in ("0", "1"):
                row[lead] = (r[lead][0], counts(r[lead][0], r["beats"], r["fs"]))
            for kind, (pair, _) in MERGED.items():
                peaks = detect._merge([r[k] for k in pair], r["fs"], backend, r["n"],
                                      gate(r, pair))
                row[kind] = (peaks, counts(peaks, r["beats"], r["fs"]))
            out[name] = row
    return out


def errors(c: tuple[int, int, int]) -> int:
    return c[1] + c[2]


def losing(rows: dict) -> list[str]:
    """Records where both leads make more FN + FP than the better lead alone."""
    return [name for name, row in rows.items()
            if errors(row["both"][1]) > min(errors(row["0"][1]), errors(row["1"][1]))]


def gross(rows: dict, kind: str) -> tuple[int, int, int, float, float]:
    tp, fn, fp = (sum(row[kind][1][i] for row in rows.values()) for i in range(3))
    return tp, fn, fp, 100.0 * tp / max(1, tp + fn), 100.0 * tp / max(1, tp + fp)


def failure_modes(r: dict, row: dict) -> dict[str, int]:
    """What the vote added to a record against its better lead alone, by failure mode.

    Missed beats (FN of both leads that the better lead alone found): ``moved`` when a
    merged beat lies within 250 ms (kept at another peak, outside the 150 ms window),
    ``one lead`` when the other lead has no peak within 150 ms (the better lead's vote
    alone fell short), ``dropped`` otherwise.  False beats (FP of both leads where the
    better lead alone has none): ``moved`` beside a moved beat, ``edge`` in the
    record's first or last second, ``other lead`` when the better lead has no peak
    within 150 ms (a false peak of the other lead kept), ``other`` otherwise.
    """
    fs, beats = r["fs"], r["beats"]
    tol = TOLERANCE_S * fs
    better = min(("0", "1"), key=lambda k: (errors(row[k][1]), k))
    other = "1" if better == "0" else "0"
    merged = row["both"][0]
    single = r[better][0]
    modes = dict.fromkeys(MODES, 0)
    det_m, ref_m = match_peaks(merged, beats, tol)
    det_s, ref_s = match_peaks(single, beats, tol)
    lost = np.setdiff1d(ref_s, ref_m)
    moved_fp = set()
    for i in lost:
        b = beats[i]
        near = np.flatnonzero(np.abs(merged - b) <= 0.25 * fs)
        free = np.setdiff1d(near, det_m)
        if free.size:
            modes["FN moved"] += 1
            moved_fp.update(free.tolist())
        elif np.min(np.abs(r[other][0] - b), initial=10**9) > tol:
            modes["FN one lead"] += 1
        else:
            modes["FN dropped"] += 1
    fp_single = np.setdiff1d(np.arange(single.size), det_s)
    for j in np.setdiff1d(np.arange(merged.size), det_m):
        p = merged[j]
        if np.min(np.abs(single[fp_single] - p), initial=10**9) <= tol:
            continue  # the better lead alone has this FP too
        if j in moved_fp:
            modes["FP moved"] += 1
        elif p < fs or p >= r["n"] - fs:
            modes["FP edge"] += 1
        elif np.min(np.abs(single - p), initial=10**9) > tol:
            modes["FP other lead"] += 1
        else:
            modes["FP other"] += 1
    return modes


def report(rows: dict, records: dict, title: str) -> None:
    print(f"== {title}")
    for kind in ("0", "1", *MERGED):
        tp, fn, fp, se, ppv = gross(rows, kind)
        print(f"{kind:5s} TP {tp} FN {fn} FP {fp} Se {se:.3f} +P {ppv:.3f}")
    lose = losing(rows)
    print(f"worse than the better lead alone: {len(lose)}: {', '.join(lose)}")
    print("| record | both FN + FP | better lead alone FN + FP | " + " | ".join(MODES) + " |")
    for name in lose:
        row = rows[name]
        better = min(("0", "1"), key=lambda k: (errors(row[k][1]), k))
        modes = failure_modes(records[name], row)
        b, s = row["both"][1], row[better][1]
        print(f"| {name} | {b[1]} + {b[2]} | {s[1]} + {s[2]} (lead {better}) | "
              + " | ".join(str(v) for v in modes.values()) + " |")


def fold_lists(names: list[str], k: int = 4, seed: int = 0) -> list[list[str]]:
    """tune_detector.py's folds: a seeded shuffle dealt into `k` folds."""
    order = np.random.default_rng(seed).permutation(len(names))
    return [sorted(names[i] for i in order[f::k]) for f in range(k)]


def objective(rows: dict) -> int:
    """FN + FP of both leads and of each lead replaced by noise."""
    return sum(errors(row[kind][1]) for row in rows.values() for kind in MERGED)


def noise_kept(rows: dict, within: float = 0.1) -> bool:
    """Whether ``0+ma`` and ``ma+1`` stay within `within` points of Se and +P of the
    lead they keep, alone."""
    return all(abs(gross(rows, mixed)[i] - gross(rows, alone)[i]) <= within
               for mixed, alone in (("0+ma", "0"), ("ma+1", "1")) for i in (3, 4))


def ranking(rows: dict) -> tuple[int, int, int]:
    """The folds' objective (session 9), best first: the noise directions within 0.1,
    then the fewest records worse with both leads than the better lead alone, then
    the fewest FN + FP of both leads, ``0+ma`` and ``ma+1`` together."""
    return (0 if noise_kept(rows) else 1, len(losing(rows)), objective(rows))


def held_out(records: dict, variants: list[dict]) -> tuple[dict, list[dict]]:
    """Each fold's rows under the variant chosen on the other folds; the choices."""
    names = sorted(records)
    rows_of = [replay(records, v) for v in variants]
    held, chosen = {}, []
    for test in fold_lists(names):
        train = [n for n in names if n not in test]
        scores = [ranking({n: rows[n] for n in train}) for rows in rows_of]
        best = min(range(len(scores)), key=scores.__getitem__)
        chosen.append(variants[best])
        held.update({n: rows_of[best][n] for n in test})
    return held, chosen


def same_backends(records: dict, settings: dict, rows: dict) -> bool:
    """Whether the NumPy twin merges every input as the Numba kernel did (`rows`)."""
    twin = replay(records, settings, backend="numpy")
    n_beats = 0
    for name, row in rows.items():
        for kind in MERGED:
            if not np.array_equal(row[kind][0], twin[name][kind][0]):
                print(f"backends differ: record {name}, {kind}")
                return False
            n_beats += row[kind][0].size
    print(f"backends identical: {len(rows)} records x {len(MERGED)} inputs, {n_beats} beats")
    return True


def parse_variant(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, value = item.split("=", 1)
        out[key] = float(value) if "." in value else int(value)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb())
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder (outside the repo) for the per-lead detections; empty "
                        "it when the per-lead detector changes")
    parser.add_argument("--records", nargs="*", default=None)
    parser.add_argument("--variant", nargs="*", default=[], help="NAME=VALUE constants")
    parser.add_argument("--grid", action="store_true", help="compare the GRID variants")
    parser.add_argument("--folds", action="store_true", help="held-out figures of GRID")
    parser.add_argument("--grid-of", choices=sorted(GRIDS), default="lone",
                        help="the variants --grid and --folds compare")
    parser.add_argument("--check-gate", action="store_true",
                        help="check the detector's gate against the whole-record index")
    parser.add_argument("--time-gate", action="store_true",
                        help="time both leads' detection with the gate and the whole index")
    parser.add_argument("--backends", action="store_true",
                        help="check the NumPy twin's merged beats against Numba's")
    args = parser.parse_args(argv)
    if not (args.data / "100.hea").exists():
        sys.exit(f"MIT-BIH not found in {args.data}")
    names = args.records or sorted(p.stem for p in args.data.glob("*.hea"))
    if args.time_gate:
        return 0 if time_gate(args.data, names) else 1
    records = {n: record_detections(args.data, n, args.cache) for n in names}
    settings = parse_variant(args.variant)
    rows = replay(records, settings)
    report(rows, records, f"variant {settings or 'as shipped'}")
    if args.backends and not same_backends(records, settings, rows):
        return 1
    if args.check_gate and not check_gate(args.data, records):
        return 1
    grid = GRIDS[args.grid_of]
    if args.grid:
        scores = []
        for v in grid:
            rows = replay(records, v)
            scores.append(ranking(rows))
            print(v, "objective", objective(rows), "losing", len(losing(rows)),
                  *(f"{k} {gross(rows, k)[1]}+{gross(rows, k)[2]}" for k in MERGED),
                  "ranking", scores[-1])
        print("all records choose:", grid[min(range(len(grid)), key=scores.__getitem__)])
    if args.folds:
        held, chosen = held_out(records, grid)
        print("chosen per fold:", chosen)
        report(held, records, "held-out folds")
        # the grid's first variant is the rule as before: no choice, so all 48 are held out
        print("ranking (noise directions off, records worse, FN + FP): held-out folds",
              ranking(held), "against", grid[0], ranking(replay(records, grid[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
