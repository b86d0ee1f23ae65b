"""Streaming against offline: agreement, latency, accuracy and speed of heartbeat.Stream.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_stream.py
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_stream.py --records 100 --no-speed
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_stream.py --adapt none --no-speed
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_stream.py --warm-up --no-speed

Per record (first channel, the whole 30 min or the first ``--seconds``), the samples
are pushed in 100 ms chunks into ``heartbeat.Stream(fs, model, adapt=ADAPT)`` (``--adapt``,
default ``template`` as the stream's default) and the same signal goes through
``heartbeat.classify(x, fs, model=model)`` with its default ``adapt="template"``: the run
with ``--adapt none`` measures how far a stream that does not adapt is from it.
``--warm-up`` compares as the slow test of ``tests/test_stream.py`` does: the first
40 s (``--seconds``), neither side adapting nor measuring quality (``adapt="none"``,
``quality=False``), and prints the record where most peaks and most labels differ.
Columns of the CSV:

* ``offline``, ``stream``: beats found; ``same``: R peaks at identical samples;
  ``only_offline``, ``only_stream``: the others;
* ``label_agree``: share of the ``same`` beats given the same label;
* ``latency_max_s``, ``latency_p99_s``: signal time between an R peak and the end of
  the push that reported it;
* ``quality_mad``: mean absolute difference between the stream's quality and the
  offline ``Beats.quality`` over the ``same`` beats; ``quality_crossed``: those of
  them on the other side of ``UNREADABLE_BELOW``; ``unreadable_offline``,
  ``unreadable_stream``: beats each returns as ``"?"`` with reason ``"unreadable"``;
  ``unreadable_both``: ``same`` beats both mark so;
* ``acc_offline``, ``acc_stream``, ``n_ref``: for the DS1 records only (DS2 is
  reported once, elsewhere; the paced records are in neither), beats matched
  one-to-one to the reference annotations within 150 ms, with the share of matched
  beats whose AAMI class the model got right (``mf1_*``: macro F1 over the classes
  present).  The shipped mitbih-all model was trained on all 48 records: these are
  in-sample figures, shown for the difference between offline and streaming only.

Speed (one core; the process is pinned where the OS allows it): 200 leads (60 s of
record 100, ``--speed-seconds``, each lead started at another offset) pushed in 100 ms
chunks, the real-time factor per lead (signal seconds x leads / wall seconds; and over
CPU seconds, with and without the signal quality, for a shared machine); one lead pushed one
sample at a time (mean wall time per push); the time of one push of a whole record.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, default_mitdb, pin_one_core

import heartbeat
from heartbeat.aami import class_codes, is_beat
from heartbeat.datasets.mitbih import DS1, RECORDS
from heartbeat.metrics import macro_f1, match_peaks
from heartbeat.signal_quality import UNREADABLE_BELOW

CHUNK_S = 0.1


def stream_all(x: np.ndarray, fs: float, model: object, chunk: int, adapt: str = "template",
               quality: bool = True):
    """Push `x` in `chunk`-sample pieces; return all beats and latencies in samples."""
    s = heartbeat.Stream(fs, model, adapt=adapt, quality=quality)
    parts, lat = [], []
    for i in range(0, x.size, chunk):
        parts.append(s.push(x[i : i + chunk]))
        lat.append(min(i + chunk, x.size) - parts[-1].sample)
    parts.append(s.flush())
    lat.append(x.size - parts[-1].sample)
    fields = ("sample", "labels", "quality", "reasons")
    return {f: np.concatenate([getattr(p, f) for p in parts]) for f in fields}, \
        np.concatenate(lat)


def accuracy_row(peaks, labels, ann, fs, classes):
    """(share correct, macro F1, n matched) of `labels` against the annotated beats."""
    beat = is_beat(ann.symbol)
    ref, codes = ann.sample[beat], class_codes(ann.symbol[beat])
    det, idx = match_peaks(peaks, ref, 0.15 * fs)
    pred = np.searchsorted(np.array(classes), labels[det])
    true = codes[idx]
    return float(np.mean(pred == true)), float(macro_f1(true, pred)), len(det)


COLUMNS = ("record", "offline", "stream", "same", "only_offline", "only_stream",
           "label_agree", "latency_max_s", "latency_p99_s", "quality_mad",
           "quality_crossed", "unreadable_offline", "unreadable_stream", "unreadable_both",
           "acc_offline", "mf1_offline", "acc_stream", "mf1_stream", "n_ref")


def agreement(records, mitdb: Path, model: str, seconds: float | None,
              table: csv.DictWriter | None = None, adapt: str = "template",
              warm_up: bool = False) -> list[dict]:
    """Compare stream and offline per record; each row also goes to `table` at once.

    A run stopped early thus keeps the rows of the records it finished.  `warm_up`:
    both sides without adaptation and quality (the slow test's comparison).
    """
    rows = []
    clf = heartbeat.BeatClassifier.pretrained(model)
    for rec in records:
        r = heartbeat.read_record(mitdb / rec)
        x = np.asarray(r.signal[:, 0], dtype=np.float64)
        fs = float(r.fs)
        if seconds:
            x = x[: int(seconds * fs)]
        plain = {"adapt": "none", "quality": False} if warm_up else {}
        off = heartbeat.classify(x, fs, model=clf, **plain)  # default: adapt="template"
        st, lat = stream_all(x, fs, clf, round(CHUNK_S * fs), **(plain or {"adapt": adapt}))
        samp, lab = st["sample"], st["labels"]
        same = np.intersect1d(samp, off.r_peaks)
        io_, is_ = np.searchsorted(off.r_peaks, same), np.searchsorted(samp, same)
        q_off, q_st = off.quality[io_], st["quality"][is_]
        bad_off, bad_st = off.reasons == "unreadable", st["reasons"] == "unreadable"
        row = {
            "record": rec, "offline": len(off), "stream": len(samp), "same": len(same),
            "only_offline": len(np.setdiff1d(off.r_peaks, samp)),
            "only_stream": len(np.setdiff1d(samp, off.r_peaks)),
            "label_agree": float(np.mean(off.labels[io_] == lab[is_])) if len(same) else 1.0,
            "latency_max_s": float(lat.max() / fs), "latency_p99_s":
            float(np.percentile(lat, 99) / fs), "latencies": lat / fs,
            "quality_mad": float(np.abs(q_off - q_st).mean()) if len(same) else 0.0,
            "quality_crossed": int(np.sum((q_off < UNREADABLE_BELOW)
                                          != (q_st < UNREADABLE_BELOW))),
            "unreadable_offline": int(bad_off.sum()), "unreadable_stream": int(bad_st.sum()),
            "unreadable_both": int(np.sum(bad_off[io_] & bad_st[is_])),
            "quality_differences": np.abs(q_off - q_st),
        }
        if rec in DS1:
            ann = heartbeat.read_annotations(mitdb / rec)
            a_off = accuracy_row(off.r_peaks, off.labels, ann, fs, off.classes)
            a_st = accuracy_row(samp, lab, ann, fs, off.classes)
            row.update(acc_offline=a_off[0], mf1_offline=a_off[1], acc_stream=a_st[0],
                       mf1_stream=a_st[1], n_ref=a_off[2])
        rows.append(row)
        if table is not None:
            table.writerow({k: row.get(k, "") for k in COLUMNS})
        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in row.items() if not isinstance(v, np.ndarray)), flush=True)
    return rows


def speed(mitdb: Path, leads: int = 200, seconds: float = 60.0) -> dict:
    r = heartbeat.read_record(mitdb / "100")
    fs = float(r.fs)
    x = np.asarray(r.signal[:, 0], dtype=np.float64)
    n = int(seconds * fs)
    offsets = np.linspace(0, x.size - n - 1, leads).astype(int)
    block = np.stack([x[o : o + n] for o in offsets], axis=1)  # (n, leads)
    chunk = round(CHUNK_S * fs)
    warm = heartbeat.Stream(fs, leads=leads)
    warm.push(block[: 20 * chunk])  # compile and load outside the timing
    cpu = {}
    for quality in (False, True):  # the signal quality's share of the time
        s = heartbeat.Stream(fs, leads=leads, quality=quality)
        t0, c0 = time.perf_counter(), time.process_time()
        found = 0
        for i in range(0, n, chunk):
            found += len(s.push(block[i : i + chunk]))
        wall, cpu[quality] = time.perf_counter() - t0, time.process_time() - c0
    one = heartbeat.Stream(fs)
    m = int(20 * fs)
    t0 = time.perf_counter()
    for i in range(m):
        one.push(x[i : i + 1])
    per_push = (time.perf_counter() - t0) / m
    whole = heartbeat.Stream(fs)
    t0 = time.perf_counter()
    whole.push(x)
    whole.flush()
    t_whole = time.perf_counter() - t0
    return {"leads": leads, "seconds": seconds, "wall_s": wall, "beats": found,
            "rtf_per_lead": seconds * leads / wall,
            "rtf_per_lead_cpu": seconds * leads / cpu[True],
            "rtf_per_lead_cpu_no_quality": seconds * leads / cpu[False],
            "single_push_us": per_push * 1e6,
            "whole_record_s": t_whole, "whole_record_rtf": x.size / fs / t_whole}


def report_agreement(args: argparse.Namespace) -> None:
    """Run :func:`agreement`, write the CSV and print the totals."""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", buffering=1) as f:  # a row per finished record
        table = csv.DictWriter(f, fieldnames=COLUMNS)
        table.writeheader()
        rows = agreement(args.records, args.mitdb, args.model, args.seconds, table,
                         args.adapt, args.warm_up)
    lat = np.concatenate([r.pop("latencies") for r in rows])
    q_diff = np.concatenate([r.pop("quality_differences") for r in rows])
    tot = {k: sum(r[k] for r in rows) for k in ("offline", "stream", "same", "only_offline",
                                                "only_stream")}
    agree = sum(r["label_agree"] * r["same"] for r in rows) / max(1, tot["same"])
    against = ("classify(adapt='none', quality=False), the stream so too" if args.warm_up
               else f"classify's default, stream adapt={args.adapt}")
    print(f"records {len(rows)} model {args.model} against {against}: {tot}, "
          f"labels agree {agree:.4f}, "
          f"latency max {lat.max():.3f} s p99 {np.percentile(lat, 99):.3f} s "
          f"over {lat.size} beats")
    peaks = max(rows, key=lambda r: (r["only_offline"] + r["only_stream"]) / max(1, r["offline"]))
    labels = min(rows, key=lambda r: r["label_agree"])
    print(f"  most peaks differ in {peaks['record']}: "
          f"{peaks['only_offline'] + peaks['only_stream']} of {peaks['offline']}; most labels "
          f"differ in {labels['record']}: {1 - labels['label_agree']:.1%} of its shared beats")
    bad = {k: sum(r[k] for r in rows) for k in ("quality_crossed", "unreadable_offline",
                                                "unreadable_stream", "unreadable_both")}
    print(f"  quality, stream vs offline over {q_diff.size} shared beats: mean abs "
          f"difference {q_diff.mean():.4f}, 99th percentile {np.percentile(q_diff, 99):.4f}, "
          f"other side of {UNREADABLE_BELOW}: {bad['quality_crossed']} "
          f"({bad['quality_crossed'] / max(1, q_diff.size):.4%}); {bad}")
    scored = [r for r in rows if "acc_stream" in r]
    if scored:
        n = sum(r["n_ref"] for r in scored)
        for kind in ("offline", "stream"):
            acc = sum(r[f"acc_{kind}"] * r["n_ref"] for r in scored) / n
            print(f"  DS1 records {len(scored)}: {kind} accuracy {acc:.4f} "
                  f"(mean per-record macro F1 "
                  f"{np.mean([r[f'mf1_{kind}'] for r in scored]):.4f}, {n} matched beats)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mitdb", type=Path, default=default_mitdb())
    ap.add_argument("--records", nargs="*", default=list(RECORDS))
    ap.add_argument("--model", default="mitbih-all")
    ap.add_argument("--seconds", type=float, help="only the first SECONDS of each record")
    ap.add_argument("--adapt", choices=["template", "none"], default="template",
                    help="the stream's adaptation (classify keeps its default, template)")
    ap.add_argument("--warm-up", action="store_true",
                    help="the slow test's comparison: first 40 s, no adaptation, no quality")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--speed-seconds", type=float, default=60.0,
                    help="signal pushed into each of the 200 leads of the speed part")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/bench_stream.csv")
    args = ap.parse_args()
    if args.warm_up and args.seconds is None:
        args.seconds = 40.0
    now = dt.datetime.now(dt.timezone.utc)
    print(f"# {now:%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"{pin_one_core()}, python {platform.python_version()}, numpy {np.__version__}")
    if args.records:  # --records with no names: speed only
        report_agreement(args)
    if not args.no_speed:
        print("speed:", {k: round(v, 3) if isinstance(v, float) else v
                         for k, v in speed(args.mitdb, seconds=args.speed_seconds).items()})


if __name__ == "__main__":
    main()
