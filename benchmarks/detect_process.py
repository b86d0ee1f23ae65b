"""One detector over MIT-BIH as a whole process: what a user's script costs, imports included.

    PYTHONPATH=. python benchmarks/detect_process.py prepare DIR [--lead 0] [--records ...]
    python benchmarks/detect_process.py run DIR heartbeat
    python benchmarks/detect_process.py run DIR sleepecg
    /usr/bin/time -v python benchmarks/detect_process.py run DIR heartbeat

``prepare`` reads one lead of the 48 records (``$HEARTBEAT_DATA/mitdb`` or
``../shared/data/mitdb``) with ``heartbeat.io.read_record`` and writes it to DIR as one
``.npy`` file per record (float64, 360 Hz), so that ``run`` reads the same samples
whichever detector it times without importing heartbeat's reader.  ``run`` then does
what a user's script does: starts, imports NumPy and one detector (heartbeat,
SleepECG or NeuroKit2: nothing else of heartbeat, nor SciPy unless the detector
imports it), loads each record once and detects it once, and prints the number of
beats.  Timed from outside as a whole process (``/usr/bin/time -v`` or any process
timer), two such runs compare the detectors as a user meets them: the interpreter's
start, each library's import and first-call set-up (Numba's for heartbeat) and the
detection itself, for both.  ``bench_detect.py`` times detection only, inside one
process that imported both libraries first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

FS = 360.0
DETECTORS = ("heartbeat", "sleepecg", "neurokit2")


def prepare(folder: Path, lead: int, records: list[str] | None = None) -> None:
    """Write one lead of the 48 records (or of `records`) to `folder`, one ``.npy`` each."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import default_mitdb

    from heartbeat.datasets import RECORDS
    from heartbeat.io import read_record

    folder.mkdir(parents=True, exist_ok=True)
    names = list(RECORDS) if records is None else records
    for name in names:
        rec = read_record(default_mitdb() / name)
        if rec.fs != FS:
            raise SystemExit(f"record {name}: {rec.fs} Hz, expected {FS:g}")
        np.save(folder / f"{name}.npy",
                np.ascontiguousarray(rec.signal[:, lead], dtype=np.float64))
    print(f"wrote {len(names)} records, lead {lead}, to {folder}")


def detector(name: str):
    """Return ``f(signal, fs) -> peaks`` of the named library (imported here, not before)."""
    if name == "heartbeat":
        import heartbeat

        return heartbeat.detect_r_peaks
    if name == "sleepecg":
        import sleepecg

        return sleepecg.detect_heartbeats
    import neurokit2

    return lambda x, fs: neurokit2.ecg_peaks(x, sampling_rate=fs)[1]["ECG_R_Peaks"]


def run(folder: Path, name: str) -> None:
    """Detect every record of `folder` once with `name`; print the number of beats."""
    files = sorted(folder.glob("*.npy"))
    if not files:
        raise SystemExit(f"no .npy files in {folder}: run 'prepare {folder}' first")
    detect = detector(name)
    n_beats = n_samples = 0
    for path in files:
        x = np.load(path, allow_pickle=False)
        n_beats += len(detect(x, FS))
        n_samples += len(x)
    print(f"{name}: {len(files)} records, {n_samples} samples, {n_beats} beats")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="write one lead of the 48 records as .npy files")
    p.add_argument("folder", type=Path)
    p.add_argument("--lead", type=int, choices=(0, 1), default=0)
    p.add_argument("--records", nargs="+", default=None, help="default: all 48")
    r = sub.add_parser("run", help="detect every record once with one detector")
    r.add_argument("folder", type=Path)
    r.add_argument("detector", choices=DETECTORS)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args.folder, args.lead, args.records)
    else:
        run(args.folder, args.detector)


if __name__ == "__main__":
    main()
