"""Score and time R-peak detection on all 48 MIT-BIH Arrhythmia records.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_detect.py
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_detect.py --no-peers --records 105 108

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

Speed is detection only (reading and scoring are not timed): total samples / total
best-of-``--repeat`` wall time, on one core (the process is pinned to one CPU where the
OS allows it, and NUMBA_NUM_THREADS=1 is set before Numba loads). A second run times 1,
2, 4 and 8 hours of noise (random walk + white noise, 360 Hz) to show linear time and
how many peaks noise yields.

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


def load(mitdb: Path, name: str):
    from heartbeat import io as wfdb

    record = wfdb.read_record(mitdb / name)
    ann = wfdb.read_annotations(mitdb / name, "atr")
    beats = np.asarray(ann.sample)[is_beat(ann.symbol)]
    return np.ascontiguousarray(np.asarray(record.signal)[:, 0]), float(record.fs), beats


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


def peer_detectors():
    peers, notes = {}, []
    try:
        import sleepecg

        peers[f"SleepECG {sleepecg.__version__}"] = lambda x, fs: sleepecg.detect_heartbeats(x, fs)
    except ImportError:
        notes.append("SleepECG not installed")
    try:
        import neurokit2 as nk

        def neurokit(x, fs):
            return nk.ecg_peaks(nk.ecg_clean(x, sampling_rate=fs), sampling_rate=fs)[1][
                "ECG_R_Peaks"
            ]

        peers[f"NeuroKit2 {nk.__version__}"] = neurokit
    except ImportError:
        notes.append("NeuroKit2 not installed")
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    parser.add_argument("--records", nargs="*", help="record names (default: RECORDS)")
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best of)")
    parser.add_argument("--no-peers", action="store_true", help="skip SleepECG/NeuroKit2")
    parser.add_argument(
        "--numpy-records", type=int, default=3, help="records timed with backend='numpy'"
    )
    parser.add_argument("--no-noise", action="store_true", help="skip the noise run")
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
    pinned = pin_one_core()
    kachuee, kachuee_note = kachuee_detector()
    peers, peer_notes = ({}, ["peers skipped (--no-peers)"]) if args.no_peers else peer_detectors()

    detect_r_peaks(np.random.default_rng(0).normal(size=5000), 360.0)  # compile first
    ours, kach, peer_scores = [], [], {name: [] for name in peers}
    peer_time = dict.fromkeys(peers, 0.0)
    total_samples, our_time = 0, 0.0
    for name in names:
        x, fs, beats = load(args.data, name)
        peaks, seconds = timed(lambda x=x, fs=fs: detect_r_peaks(x, fs), args.repeat)
        total_samples += x.size
        our_time += seconds
        ours.append(detection_scores(beats, peaks, fs))
        if kachuee is not None:
            kach.append(detection_scores(beats, np.asarray(kachuee(x, fs)), fs))
        for peer, func in peers.items():
            p, s = timed(lambda x=x, fs=fs, func=func: func(x, fs), args.repeat)
            peer_time[peer] += s
            peer_scores[peer].append(detection_scores(beats, p, fs))
        line = f"{name}: {ours[-1]} Se {fmt_pct(ours[-1].se)} +P {fmt_pct(ours[-1].ppv)}"
        print(line, flush=True)

    # the NumPy-only backend (what runs without Numba): same detections, its own speed
    np_samples, np_time, np_same = 0, 0.0, True
    for name in names[: args.numpy_records]:
        x, fs, _ = load(args.data, name)
        peaks, seconds = timed(lambda x=x, fs=fs: detect_r_peaks(x, fs, backend="numpy"), 1)
        np_same &= bool(np.array_equal(peaks, detect_r_peaks(x, fs)))
        np_samples += x.size
        np_time += seconds

    gross = sum_scores(ours)
    speed = total_samples / our_time / 1e6
    print(f"gross: {gross} Se {fmt_pct(gross.se)} +P {fmt_pct(gross.ppv)}, {speed:.1f} Ms/s")
    noise = [] if args.no_noise else noise_run([1, 2, 4, 8], args.repeat)
    for hours, n, seconds, n_peaks in noise:
        print(f"noise {hours} h: {n} samples, {seconds:.2f} s, {n_peaks} peaks")

    # ---- CSV (per record)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    header = ["record", "tp", "fn", "fp", "se", "ppv"]
    if kach:
        header += ["kachuee_tp", "kachuee_fn", "kachuee_fp", "kachuee_se", "kachuee_ppv"]
    w.writerow(header)
    for i, name in enumerate(names):
        row = [name, ours[i].tp, ours[i].fn, ours[i].fp, f"{ours[i].se:.5f}", f"{ours[i].ppv:.5f}"]
        if kach:
            k = kach[i]
            row += [k.tp, k.fn, k.fp, f"{k.se:.5f}", f"{k.ppv:.5f}"]
        w.writerow(row)

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
        f"by `{cmd.strip()}` (results also in "
        f"`benchmarks/results/bench_detect.csv`)."
    )
    md.append("")
    md.append(
        f"{len(names)} MIT-BIH Arrhythmia records, first channel, all beat annotations "
        "(N L R e j A a J S V E F f Q /) as reference, 150 ms one-to-one matching "
        "(`heartbeat.metrics.detection_scores`); gross figures sum TP/FN/FP over the "
        "records. Speed times detection only, one core."
    )
    md.append("")
    md.append("| detector | TP | FN | FP | Se % | +P % | Msamples/s |")
    md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    md.append(f"| heartbeat `detect_r_peaks` | {score_row(gross, 3)} | {speed:.1f} |")
    if np_samples:
        md.append(
            f'| heartbeat, `backend="numpy"` (first {min(args.numpy_records, len(names))} '
            f"records; detections {'identical' if np_same else 'DIFFERENT'}) | - | - | - | - "
            f"| - | {np_samples / np_time / 1e6:.1f} |"
        )
    if kach:
        md.append(f"| Kachuee 2018 literal rule | {score_row(sum_scores(kach), 3)} | - |")
    for peer in peers:
        ps = total_samples / peer_time[peer] / 1e6
        md.append(f"| {peer} | {score_row(sum_scores(peer_scores[peer]), 3)} | {ps:.1f} |")
    md.append("")
    md.append(
        "The machine is shared with other jobs (see the load average above), so the "
        "speeds change from run to run with the load; the detections do not. Compare "
        "speeds within one run."
    )
    md.append("")
    worst = sorted(range(len(names)), key=lambda i: -(ours[i].fn + ours[i].fp))[:8]
    md.append("Where our detector errs most (FN + FP), with the record's known difficulty:")
    md.append("")
    for i in worst:
        why = KNOWN_HARD.get(names[i], "")
        md.append(f"- {names[i]}: {ours[i].fn} FN, {ours[i].fp} FP" + (f" ({why})" if why else ""))
    md.append("")
    notes = ([kachuee_note] if kachuee is None else []) + peer_notes
    for note in notes:
        md.append(f"Note: {note}.")
    if notes:
        md.append("")
    md.append("Per record:")
    md.append("")
    head = "| record | TP | FN | FP | Se % | +P % |"
    sep = "| --- | ---: | ---: | ---: | ---: | ---: |"
    if kach:
        head += " Kachuee TP | FN | FP | Se % | +P % |"
        sep += " ---: | ---: | ---: | ---: | ---: |"
    md += [head, sep]
    for i, name in enumerate(names):
        line = f"| {name} | {score_row(ours[i])} |"
        if kach:
            line += f" {score_row(kach[i])} |"
        md.append(line)
    md.append("")
    if noise:
        md.append(
            "Noise (0.01 x random walk + 0.1 x white noise, 360 Hz, seed 0): detection "
            "time grows linearly with length, and noise yields few peaks (a real ECG "
            "has about 4,000-6,000 beats per hour)."
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
