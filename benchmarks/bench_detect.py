"""Score and time R-peak detection on all 48 MIT-BIH Arrhythmia records.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_detect.py
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_detect.py --no-peers --records 105 108
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_detect.py --leads 1 --no-write
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_detect.py --cold-only --peers sleepecg

(``PYTHONPATH=.`` is not needed once heartbeat is installed, e.g. ``pip install -e .``.)

Reference: every beat annotation (N L R e j A a J S V E F f Q /) of each record's
``.atr`` file, first channel, 150 ms one-to-one matching (heartbeat.metrics.
detection_scores). Gross figures sum TP/FN/FP over the records. Columns:

* ``heartbeat`` -- heartbeat.detect_r_peaks (method="robust", backend="auto");
* ``kachuee2018`` -- the paper's literal peak rule, via
  ``heartbeat.segment(x, fs, detector="kachuee2018").r_peaks`` when heartbeat.pipeline
  provides it (skipped with a note otherwise);
* peers, gross figures only, when installed (``pip install sleepecg neurokit2``):
  ``sleepecg.detect_heartbeats(x, fs)`` and
  ``neurokit2.ecg_peaks(neurokit2.ecg_clean(x, fs), fs)``.

``--leads`` picks what is scored: ``0`` (the first channel, MLII in most records),
``1`` (the second, V1 in most), ``both`` (the two channels together, as
``(n_samples, 2)``) and ``0+ma`` (both, with the second channel replaced by the NST
muscle-artifact record ``ma``, its channel 0, scaled to the replaced lead's RMS: a lead
of pure noise beside a clean one); ``ma+1`` is the mirror (lead 0 replaced, held
against lead 1 alone), scored only when asked for; the default scores the first four.
The first in the list gives the per-record table.

Speed, on one core (the process is pinned to one CPU where the OS allows it, and
NUMBA_NUM_THREADS=1 is set before Numba loads):

* **cold single pass** (the headline): each record is read from disk once and detected
  once, the very first call of the process included (Numba then loads its compiled
  kernels from its on-disk cache, or compiles them on a first install); SleepECG runs
  once on the same signal right after.  Msamples/s = samples / detection time; the
  read time is reported beside it.
* **warm best of ``--repeat``**: the same records detected again, best wall time of
  each; labelled as such.
* **first call**: the cold time of the first record beside its warm time; the
  difference is Numba's start-up (``benchmarks/profile_detect.py`` breaks it down).
* **read + detect**: what a user's ``read_record`` and ``detect_r_peaks`` cost together.
* **peak extra memory**: ``tracemalloc``'s peak during one detection of the first
  record, over the signal's own size (NumPy reports its buffers to tracemalloc).

A second run times 1, 2, 4 and 8 hours of noise (random walk + white noise, 360 Hz) to
show linear time and how many peaks noise yields.

Results go to ``benchmarks/results/bench_detect.csv`` (per record) and to the
``## R-peak detection`` section of ``docs/benchmarks.md`` (other sections are kept).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import platform
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from _common import REPO, default_mitdb, pin_one_core

from heartbeat._atomic import atomic_open
from heartbeat.aami import is_beat
from heartbeat.detect import detect_r_peaks
from heartbeat.metrics import DetectionScore, detection_scores, sum_scores

SECTION = "## R-peak detection"


def load(mitdb: Path, name: str, lead: str = "0"):
    """One record's signal (`lead` "0", "1", "both", "0+ma" or "ma+1"), fs and beats."""
    from heartbeat import io as wfdb

    record = wfdb.read_record(mitdb / name)
    ann = wfdb.read_annotations(mitdb / name, "atr")
    beats = np.asarray(ann.sample)[is_beat(ann.symbol)]
    signal = np.asarray(record.signal, dtype=np.float64)
    if lead in ("0+ma", "ma+1"):  # one lead replaced by NST muscle noise of its RMS
        x = signal[:, :2].copy()
        noise = ma_noise(mitdb, x.shape[0])
        m = 1 if lead == "0+ma" else 0
        replaced = x[:, m] - x[:, m].mean()
        x[:, m] = noise * np.sqrt(np.mean(replaced**2) / np.mean(noise**2))
        return x, float(record.fs), beats
    x = signal[:, :2] if lead == "both" else np.ascontiguousarray(signal[:, int(lead)])
    return x, float(record.fs), beats


def ma_noise(mitdb: Path, n: int) -> np.ndarray:
    """The first `n` samples of NST record ``ma`` (channel 0, mean removed)."""
    from heartbeat import io as wfdb

    path = mitdb.parent / "nstdb-noise" / "ma"
    if not path.with_suffix(".hea").exists():
        sys.exit(f"NST noise not found: {path}.hea (drop '0+ma' from --leads)")
    noise = np.asarray(wfdb.read_record(path).signal, dtype=np.float64)[:n, 0]
    return noise - noise.mean()


# CPU seconds of each cold pass, by lead and detector ("heartbeat" or a peer's name):
# beside the wall times, what a loaded machine inflates less
COLD_CPU: dict[str, dict[str, float]] = {}


def cold_pass(mitdb: Path, names, lead: str, peers):
    """Read each record once and detect once (first call of the process included)."""
    samples, read_s, detect_s, scores, per_record = 0, 0.0, 0.0, [], []
    cpu = COLD_CPU.setdefault(lead, dict.fromkeys(["heartbeat", *peers], 0.0))
    peer_s = dict.fromkeys(peers, 0.0)
    peer_scores = {peer: [] for peer in peers}
    for name in names:
        start = time.perf_counter()
        x, fs, beats = load(mitdb, name, lead)
        read_s += time.perf_counter() - start
        start, start_cpu = time.perf_counter(), time.process_time()
        peaks = detect_r_peaks(x, fs)
        per_record.append((time.perf_counter() - start, x.shape[0]))
        cpu["heartbeat"] += time.process_time() - start_cpu
        detect_s += per_record[-1][0]
        samples += x.shape[0]
        scores.append(detection_scores(beats, peaks, fs))
        if x.ndim == 1:
            for peer, func in peers.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                found = func(x, fs)
                peer_s[peer] += time.perf_counter() - start
                cpu[peer] += time.process_time() - start_cpu
                peer_scores[peer].append(detection_scores(beats, np.asarray(found), fs))
    return samples, read_s, detect_s, scores, (peer_s, peer_scores), per_record


def cold_cpu_line(lead: str, samples: int) -> str:
    """The cold pass of `lead` in CPU time: each detector's Msamples/s, ours over each peer's."""
    cpu = COLD_CPU[lead]
    parts = [f"heartbeat {samples / cpu['heartbeat'] / 1e6:.1f} Msamples/s"]
    parts += [f"{peer} {samples / seconds / 1e6:.1f} ({seconds / cpu['heartbeat']:.2f}x)"
              for peer, seconds in cpu.items() if peer != "heartbeat" and seconds > 0]
    return ", ".join(parts)


def warm_cpu_line(mitdb: Path, names, lead: str, repeat: int) -> str:
    """Detection of `lead` already warm: each record's best CPU time of `repeat` calls."""
    samples, seconds = 0, 0.0
    for name in names:
        x, fs, _ = load(mitdb, name, lead)
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()
            detect_r_peaks(x, fs)
            best = min(best, time.process_time() - start)
        samples += x.shape[0]
        seconds += best
    return (f"Warm, best of {repeat} in CPU time, lead {lead}: heartbeat "
            f"{samples / seconds / 1e6:.1f} Msamples/s ({1e3 * seconds / len(names):.1f} ms "
            f"per record)")


def peak_memory_ratio(x: np.ndarray, fs: float) -> float:
    """tracemalloc's peak during one detection of `x`, over the size of `x`."""
    import tracemalloc

    tracemalloc.start()
    detect_r_peaks(x, fs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / x.nbytes


def timed(func, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return np.asarray(out, dtype=np.int64), best


def kachuee_detector():
    """The paper's rule through heartbeat.segment, or (None, reason)."""
    try:
        from heartbeat.pipeline import segment
    except ImportError as exc:
        return None, f"heartbeat.pipeline is not available ({exc})"

    def run(x, fs):
        return segment(x, fs, detector="kachuee2018").r_peaks

    try:
        run(np.zeros(3600) + np.sin(np.arange(3600) / 20.0), 360.0)
    except Exception as exc:  # the pipeline may not offer the literal rule yet
        return None, f"heartbeat.segment(..., detector='kachuee2018') failed: {exc!r}"
    return run, ""


def peer_detectors(which=("sleepecg", "neurokit2")):
    """The peers named in `which` that are installed, and a note for each one missing."""
    peers, notes = {}, []
    try:
        if "sleepecg" not in which:
            raise ModuleNotFoundError  # not asked for: neither imported nor noted
        import sleepecg

        peers[f"SleepECG {sleepecg.__version__}"] = lambda x, fs: sleepecg.detect_heartbeats(x, fs)
    except ImportError:
        notes += ["SleepECG not installed"] if "sleepecg" in which else []
    try:
        if "neurokit2" not in which:
            raise ModuleNotFoundError
        import neurokit2 as nk

        def neurokit(x, fs):
            return nk.ecg_peaks(nk.ecg_clean(x, sampling_rate=fs), sampling_rate=fs)[1][
                "ECG_R_Peaks"
            ]

        peers[f"NeuroKit2 {nk.__version__}"] = neurokit
    except ImportError:
        notes += ["NeuroKit2 not installed"] if "neurokit2" in which else []
    return peers, notes


# What the MIT-BIH directory says about the records that are hard for detectors.
KNOWN_HARD = {
    "105": "very noisy",
    "108": "large P waves, sharp T waves, noise",
    "116": "beats shrink to almost nothing after a saturating artefact",
    "201": "aberrated APCs, noise",
    "203": "multiform PVCs, ventricular tachycardia, noise",
    "207": "ventricular flutter (its waves are not beats in the reference), BBB",
    "208": "frequent PVCs and fusion beats",
    "222": "atrial flutter/fibrillation, noise, low-amplitude beats",
    "228": "PVCs in bigeminy, noise",
    "232": "sinus pauses of up to 6 s",
}


def fmt_pct(x: float, digits: int = 2) -> str:
    return "n/a" if np.isnan(x) else f"{100 * x:.{digits}f}"


def score_row(s: DetectionScore, digits: int = 2) -> str:
    return f"{s.tp} | {s.fn} | {s.fp} | {fmt_pct(s.se, digits)} | {fmt_pct(s.ppv, digits)}"


def noise_run(hours_list, repeat, fs=360.0, seed=0):
    rows = []
    rng = np.random.default_rng(seed)
    n_max = int(max(hours_list) * 3600 * fs)
    noise = 0.01 * np.cumsum(rng.normal(size=n_max)) + 0.1 * rng.normal(size=n_max)
    detect_r_peaks(noise[:10000], fs)  # compile / load the cache outside the timing
    for hours in hours_list:
        x = noise[: int(hours * 3600 * fs)]
        peaks, seconds = timed(lambda x=x: detect_r_peaks(x, fs), repeat)
        rows.append((hours, x.size, seconds, peaks.size))
    return rows


def replace_section(path: Path, text: str) -> None:
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(lambda _: text, old) if pattern.search(old) else old.rstrip() + "\n\n" + text
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as f:
        f.write(new.encode())


def worst_lines(names, scores, n=5):
    """The `n` records with the lowest of Se and +P, with their known difficulty."""
    order = sorted(range(len(names)), key=lambda i: min(scores[i].se, scores[i].ppv))[:n]
    out = []
    for i in order:
        why = KNOWN_HARD.get(names[i], "")
        out.append(
            f"{names[i]} ({fmt_pct(scores[i].se)} / {fmt_pct(scores[i].ppv)}; "
            f"{scores[i].fn} FN, {scores[i].fp} FP{'; ' + why if why else ''})"
        )
    return "; ".join(out)


LEAD_NAMES = {"0": "lead 0 (MLII in most records)", "1": "lead 1 (V1 in most records)",
              "both": "both leads, `(n_samples, 2)`",
              "0+ma": "lead 0 + NST `ma` noise of lead 1's RMS, `(n_samples, 2)`",
              "ma+1": "NST `ma` noise of lead 0's RMS + lead 1, `(n_samples, 2)`"}


def multi_lead_lines(names, cold):
    """How both leads compare with the better lead alone, and the noise-replaced lead."""
    out = []
    if {"0", "1", "both"} <= set(cold):
        worse = []
        for i, name in enumerate(names):
            alone = [cold[lead][3][i] for lead in ("0", "1")]
            best = min(alone, key=lambda sc: sc.fn + sc.fp)
            both = cold["both"][3][i]
            if both.fn + both.fp > best.fn + best.fp:
                worse.append(f"{name} ({both.fn} FN + {both.fp} FP vs {best.fn} + {best.fp})")
        out.append(f"Both leads against the better lead alone (fewer FN + FP) of each record: "
                   f"worse on {len(worse)} of {len(names)} records"
                   f"{': ' + ', '.join(worse) if worse else ''}.")
    for kept, mixed, gone in (("0", "0+ma", "1"), ("1", "ma+1", "0")):
        if {kept, mixed} <= set(cold):
            alone, noisy = sum_scores(cold[kept][3]), sum_scores(cold[mixed][3])
            out.append(
                f"Lead {gone} replaced by noise: Se {fmt_pct(noisy.se, 3)} / +P "
                f"{fmt_pct(noisy.ppv, 3)} against lead {kept} alone {fmt_pct(alone.se, 3)} / "
                f"{fmt_pct(alone.ppv, 3)} (differences {100 * (noisy.se - alone.se):+.3f} / "
                f"{100 * (noisy.ppv - alone.ppv):+.3f} points; goal: within 0.1)."
            )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--records", nargs="*", help="record names (default: RECORDS)")
    parser.add_argument("--leads", nargs="*", default=["0", "1", "both", "0+ma"],
                        choices=["0", "1", "both", "0+ma", "ma+1"],
                        help="what to score (default: all but ma+1)")
    parser.add_argument("--repeat", type=int, default=3, help="warm timing repeats (best of)")
    parser.add_argument("--no-peers", action="store_true", help="skip SleepECG/NeuroKit2")
    parser.add_argument("--peers", nargs="+", default=["sleepecg", "neurokit2"],
                        choices=["sleepecg", "neurokit2"], help="which peers (default: both)")
    parser.add_argument(
        "--numpy-records", type=int, default=3, help="records timed with backend='numpy'"
    )
    parser.add_argument("--no-noise", action="store_true", help="skip the noise run")
    parser.add_argument("--cold-only", action="store_true",
                        help="stop after the cold single passes and their CPU-time lines, "
                             "and one line of the first lead warm (best of --repeat in CPU "
                             "time); nothing written. With --no-peers nothing has imported "
                             "Numba before heartbeat's first call, as in a user's process")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument(
        "--csv", type=Path, default=REPO / "benchmarks" / "results" / "bench_detect.csv"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    try:
        import heartbeat.io  # noqa: F401
    except ImportError as exc:
        sys.exit(f"bench_detect needs heartbeat.io to read the records: {exc}")
    if not (args.data / "RECORDS").exists():
        sys.exit(f"MIT-BIH not found: {args.data / 'RECORDS'} (set HEARTBEAT_DATA or --data)")
    names = args.records or (args.data / "RECORDS").read_text().split()
    leads = list(dict.fromkeys(args.leads))
    pinned = pin_one_core()
    peers, peer_notes = (({}, ["peers skipped (--no-peers)"]) if args.no_peers
                         else peer_detectors(args.peers))

    # ---- cold single passes: nothing has run before the first one
    cold = {}
    for lead in leads:
        cold[lead] = cold_pass(args.data, names, lead, peers)
        samples, read_s, detect_s, scores, _, _ = cold[lead]
        g = sum_scores(scores)
        print(f"lead {lead}: Se {fmt_pct(g.se)} +P {fmt_pct(g.ppv)}, cold "
              f"{samples / detect_s / 1e6:.1f} Ms/s (read {read_s:.1f} s); "
              f"{cold_cpu_line(lead, samples)}", flush=True)
    if args.cold_only:  # and the counts a rule change is judged on (docs/benchmarks.md)
        for lead in leads:
            g = sum_scores(cold[lead][3])
            print(f"lead {lead}: TP {g.tp}, FN {g.fn}, FP {g.fp} ({g.fn + g.fp} errors)")
        print("\n".join(multi_lead_lines(names, cold)))
        print(warm_cpu_line(args.data, names, leads[0], args.repeat), flush=True)
        return

    # ---- warm best-of-N on the first lead, ours and the peers'
    first = leads[0]
    kachuee, kachuee_note = (kachuee_detector() if first not in ("both", "0+ma", "ma+1")
                             else (None, ""))
    kach, warm_s, warm_samples, warm_first = [], 0.0, 0, None
    peer_warm = dict.fromkeys(peers, 0.0)
    for name in names:
        x, fs, beats = load(args.data, name, first)
        seconds = timed(lambda x=x, fs=fs: detect_r_peaks(x, fs), args.repeat)[1]
        warm_first = seconds if warm_first is None else warm_first
        warm_s += seconds
        warm_samples += x.shape[0]
        if kachuee is not None:
            kach.append(detection_scores(beats, np.asarray(kachuee(x, fs)), fs))
        if x.ndim == 1:
            for peer, func in peers.items():
                peer_warm[peer] += timed(lambda x=x, fs=fs, func=func: func(x, fs),
                                         args.repeat)[1]
    memory = peak_memory_ratio(load(args.data, names[0], first)[0], 360.0)

    # the NumPy-only backend (what runs without Numba): same detections, its own speed
    np_samples, np_time, np_same = 0, 0.0, True
    for name in names[: args.numpy_records]:
        x, fs, _ = load(args.data, name, first)
        peaks, seconds = timed(lambda x=x, fs=fs: detect_r_peaks(x, fs, backend="numpy"), 1)
        np_same &= bool(np.array_equal(peaks, detect_r_peaks(x, fs)))
        np_samples += x.shape[0]
        np_time += seconds

    noise = [] if args.no_noise else noise_run([1, 2, 4, 8], args.repeat)
    for hours, n, seconds, n_peaks in noise:
        print(f"noise {hours} h: {n} samples, {seconds:.2f} s, {n_peaks} peaks")

    # ---- CSV (per record and lead)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["lead", "record", "tp", "fn", "fp", "se", "ppv"])
    for lead in leads:
        for name, sc in zip(names, cold[lead][3], strict=True):
            w.writerow([lead, name, sc.tp, sc.fn, sc.fp, f"{sc.se:.5f}", f"{sc.ppv:.5f}"])

    # ---- Markdown section
    cmd = (
        "NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_detect.py"
        + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    )
    import numpy
    from numba import __version__ as numba_version

    md = [SECTION, ""]
    md.append(
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on "
        f"{platform.processor() or platform.machine()} ({os.cpu_count()} logical CPUs; "
        f"{pinned}), Python {platform.python_version()}, NumPy {numpy.__version__}, "
        f"Numba {numba_version}, load average {os.getloadavg()[0]:.1f} at the end, "
        f"by `{cmd.strip()}` (per record and lead in "
        f"`benchmarks/results/bench_detect.csv`)."
    )
    md.append("")
    md.append(
        f"{len(names)} MIT-BIH Arrhythmia records, all beat annotations "
        "(N L R e j A a J S V E F f Q /) as reference, 150 ms one-to-one matching "
        "(`heartbeat.metrics.detection_scores`); gross figures sum TP/FN/FP over the "
        "records. **Cold** = one pass, each record read from disk once and detected once, "
        "the process's first call included (the headline); **warm** = best of "
        f"{args.repeat} on the already-read signal. Speed is detection time only, one core."
    )
    md.append("")
    md.append("| signal | detector | TP | FN | FP | Se % | +P % | cold Msamples/s "
              "| warm Msamples/s |")
    md.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for lead in leads:
        samples, read_s, detect_s, scores, (peer_cold, peer_scores), _ = cold[lead]
        ours_cold = samples / detect_s / 1e6
        warm = f"{warm_samples / warm_s / 1e6:.1f}" if lead == first else "-"
        md.append(f"| {LEAD_NAMES[lead]} | heartbeat `detect_r_peaks` | "
                  f"{score_row(sum_scores(scores), 3)} | {ours_cold:.1f} | {warm} |")
        if lead == first and np_samples:
            md.append(
                f'| {LEAD_NAMES[lead]} | heartbeat, `backend="numpy"` (first '
                f"{min(args.numpy_records, len(names))} records; detections "
                f"{'identical' if np_same else 'DIFFERENT'}) | - | - | - | - | - | - | "
                f"{np_samples / np_time / 1e6:.1f} |"
            )
        if lead == first and kach:
            md.append(f"| {LEAD_NAMES[lead]} | Kachuee 2018 literal rule | "
                      f"{score_row(sum_scores(kach), 3)} | - | - |")
        if lead in ("both", "0+ma", "ma+1"):
            continue
        for peer in peers:
            pw = f"{warm_samples / peer_warm[peer] / 1e6:.1f}" if lead == first else "-"
            md.append(
                f"| {LEAD_NAMES[lead]} | {peer} | {score_row(sum_scores(peer_scores[peer]), 3)} | "
                f"{samples / peer_cold[peer] / 1e6:.1f} | {pw} |"
            )
    md.append("")
    samples, read_s, detect_s, _, (peer_cold, _), per_record = cold[first]
    first_s, first_n = per_record[0]
    for peer in peers:
        md.append(
            f"Cold single pass, {LEAD_NAMES[first]}: heartbeat / {peer} = "
            f"{peer_cold[peer] / detect_s:.2f}x in the same run."
        )
    md.append(
        f"Of heartbeat's cold {detect_s:.2f} s, the process's first call (record "
        f"{names[0]}) took {first_s:.2f} s against {warm_first:.3f} s warm: "
        f"{first_s - warm_first:.2f} s of Numba start-up (its CPU target set up, "
        "the kernels loaded from the per-user cache; on a newcomer's very first run they "
        "are compiled instead: see the next section). Without it the pass runs at "
        f"{(samples - first_n) / (detect_s - first_s) / 1e6:.1f} "
        "Msamples/s."
    )
    for lead in leads:
        md.append(f"Cold single pass in CPU time, {LEAD_NAMES[lead]}: "
                  f"{cold_cpu_line(lead, cold[lead][0])}.")
    ours = samples / detect_s / 1e6
    ratios = [peer_cold[p] / detect_s for p in peers if p.startswith("SleepECG")]
    md.append(
        f"Goal (issue 14, item 6): cold >= 1.5x SleepECG in the same run and >= 50 "
        f"Msamples/s on one core; here {ours:.1f} Msamples/s"
        + (f" and {ratios[0]:.2f}x" if ratios else " (SleepECG not run)")
        + (": met." if ours >= 50 and ratios and ratios[0] >= 1.5 else ": not met.")
    )
    md.append(
        f"Reading the {len(names)} records from disk took {read_s:.1f} s in the first "
        f"cold pass (not in the speeds): a user's `read_record` + `detect_r_peaks` "
        f"together ran at {samples / (read_s + detect_s) / 1e6:.1f} Msamples/s (of one "
        f"lead; the reader decodes both). Peak extra memory of one detection "
        f"(`tracemalloc`, record {names[0]}, {LEAD_NAMES[first]}): {memory:.1f} x the "
        "signal's size (every large array of the detector is allocated by NumPy, which "
        "reports to `tracemalloc`; the compiled passes add rings of a window's length)."
    )
    md.append("")
    md.append(
        "The machine is shared with other jobs (see the load average above), so the "
        "speeds change from run to run with the load; the detections do not. Compare "
        "speeds within one run."
    )
    md.extend(multi_lead_lines(names, cold))
    md.append("")
    for lead in leads:
        scores = cold[lead][3]
        low = [f"{n}" for n, sc in zip(names, scores, strict=True) if min(sc.se, sc.ppv) < 0.95]
        md.append(f"- {LEAD_NAMES[lead]}, lowest: {worst_lines(names, scores)}. "
                  f"Below 95 % on Se or +P: {', '.join(low) if low else 'none'}.")
    md.append("")
    notes = ([kachuee_note] if kachuee is None and kachuee_note else []) + peer_notes
    for note in notes:
        md.append(f"Note: {note}.")
    if notes:
        md.append("")
    md.append("Per record (Se % / +P %):")
    md.append("")
    md.append("| record | " + " | ".join(LEAD_NAMES[lead] for lead in leads) + " |")
    md.append("| --- |" + " ---: |" * len(leads))
    for i, name in enumerate(names):
        cells = [f"{fmt_pct(cold[lead][3][i].se)} / {fmt_pct(cold[lead][3][i].ppv)}"
                 for lead in leads]
        md.append(f"| {name} | " + " | ".join(cells) + " |")
    md.append("")
    if noise:
        md.append(
            "Noise (0.01 x random walk + 0.1 x white noise, 360 Hz, seed 0, warm best of "
            f"{args.repeat}): detection time grows linearly with length, and noise yields "
            "few peaks (a real ECG has about 4,000-6,000 beats per hour)."
        )
        md.append("")
        md.append("| hours | samples | seconds | Msamples/s | peaks | peaks per hour |")
        md.append("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for hours, n, seconds, n_peaks in noise:
            md.append(
                f"| {hours} | {n:,} | {seconds:.2f} | {n / seconds / 1e6:.1f} | {n_peaks} "
                f"| {n_peaks / hours:.0f} |"
            )
        md.append("")
    text = "\n".join(md) + "\n"
    print(text)
    if not args.no_write:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(args.csv) as f:
            f.write(buf.getvalue().encode())
        replace_section(args.docs, text)
        print(f"wrote {args.csv} and the '{SECTION}' section of {args.docs}")


if __name__ == "__main__":
    main()
