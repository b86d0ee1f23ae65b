"""The exported file's classify() against the library's, on whole MIT-BIH records.

    PYTHONPATH=. python benchmarks/bench_export.py
    PYTHONPATH=. python benchmarks/bench_export.py --records 208 232 --seconds 300

The model is exported (``heartbeat.export``) into a temporary folder and its
``classify(signal, fs)`` runs in a separate Python started with ``-I -S`` that can
import NumPy and nothing else (no heartbeat, Numba or SciPy), on the first channel
of each record.  The library's ``heartbeat.classify(signal, fs, model=...)`` runs on
the same samples with the model loaded with ``backend="numpy"``.  Per record: beats
of each, R peaks at the identical sample, labels equal ("?" included), reasons equal
("uncertain", "unreadable"), largest probability difference (0: bit-identical),
signal quality per beat equal, and the wall time of each side (the
exported file runs the detector's NumPy twins: its decision rule as plain Python).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, default_mitdb

import heartbeat
from heartbeat.datasets.mitbih import RECORDS
from heartbeat.export import export, numpy_only_path

CHILD = """
import json, sys, time
sys.path[:0] = [".", sys.argv[1]]
import numpy as np
import heartbeat_model as hm
assert not [m for m in sys.modules if m.split(".")[0] in ("heartbeat", "numba", "scipy")]
for name in sys.argv[2:]:
    with np.load(name + ".npz") as f:
        x, fs = f["x"], float(f["fs"])
    t0 = time.perf_counter()
    r = hm.classify(x, fs)
    wall = time.perf_counter() - t0
    np.savez(name + ".out.npz", r_peaks=r.r_peaks, labels=r.labels, proba=r.probabilities,
             reasons=r.reasons, quality=r.quality)
    print(json.dumps({"record": name, "wall_s": wall}), flush=True)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mitdb", type=Path, default=default_mitdb())
    ap.add_argument("--records", nargs="*", default=list(RECORDS))
    ap.add_argument("--model", default="mitbih-all")
    ap.add_argument("--seconds", type=float, help="only the first SECONDS of each record")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/bench_export.csv")
    args = ap.parse_args()
    now = dt.datetime.now(dt.timezone.utc)
    print(f"# {now:%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, numpy {np.__version__}", flush=True)
    clf = heartbeat.BeatClassifier.pretrained(args.model, backend="numpy")
    heartbeat.classify(np.sin(np.arange(3600) / 9.0), 360.0, model=clf)  # compile, load
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        export(args.model, folder)
        signals = {}
        for rec in args.records:
            r = heartbeat.read_record(args.mitdb / rec)
            x = np.asarray(r.signal[:, 0], dtype=np.float64)
            if args.seconds:
                x = x[: int(args.seconds * r.fs)]
            signals[rec] = (x, float(r.fs))
            np.savez(folder / f"{rec}.npz", x=x, fs=r.fs)
        child = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", CHILD, str(numpy_only_path(folder / "np")),
             *args.records], cwd=folder, stdout=subprocess.PIPE, text=True)
        for line in child.stdout:
            done = json.loads(line)
            rec = done["record"]
            x, fs = signals[rec]
            t0 = time.perf_counter()
            want = heartbeat.classify(x, fs, model=clf)
            wall = time.perf_counter() - t0
            with np.load(folder / f"{rec}.out.npz") as f:
                got = {k: f[k] for k in f.files}
            peaks = got["r_peaks"]
            same = peaks.shape == want.r_peaks.shape and bool((peaks == want.r_peaks).all())
            row = {"record": rec, "library": len(want), "exported": len(peaks),
                   "same_peaks": same,
                   "same_labels": same and bool((got["labels"] == want.labels).all()),
                   "same_reasons": same and bool((got["reasons"] == want.reasons).all()),
                   "max_proba_diff": float(np.abs(got["proba"] - want.probabilities).max())
                   if same and len(peaks) else 0.0,
                   "same_quality": same and bool(np.array_equal(got["quality"], want.quality,
                                                                equal_nan=True)),
                   "rejected": int((want.labels == "?").sum()),
                   "unreadable": int((want.reasons == "unreadable").sum()),
                   "library_s": round(wall, 3), "exported_s": round(done["wall_s"], 3)}
            rows.append(row)
            print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        if child.wait() != 0:
            raise SystemExit("the exported file failed")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    n = sum(r["library"] for r in rows)
    print(f"records {len(rows)}: beats {n} (library) / {sum(r['exported'] for r in rows)} "
          f"(exported), records with identical peaks {sum(r['same_peaks'] for r in rows)}, "
          f"identical labels {sum(r['same_labels'] for r in rows)}, reasons "
          f"{sum(r['same_reasons'] for r in rows)}, quality "
          f"{sum(r['same_quality'] for r in rows)}, largest probability "
          f"difference {max(r['max_proba_diff'] for r in rows):.3g}, beats withheld "
          f"{sum(r['rejected'] for r in rows)} ({sum(r['unreadable'] for r in rows)} "
          f"unreadable); wall s library "
          f"{sum(r['library_s'] for r in rows):.1f}, exported "
          f"{sum(r['exported_s'] for r in rows):.1f}")


if __name__ == "__main__":
    main()
