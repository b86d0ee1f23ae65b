"""The MIT-BIH noise stress test: Se and +P of R-peak detectors per SNR.

    PYTHONPATH=. python benchmarks/nst.py                      # em model, all peers
    PYTHONPATH=. python benchmarks/nst.py --em-record nstdb/em # the real em record
    PYTHONPATH=. python benchmarks/nst.py --noise bw ma --no-peers
    PYTHONPATH=. python benchmarks/nst.py --describe           # the noises' statistics

Protocol (heartbeat.noise, following PhysioNet's ``nst``): MIT-BIH records 118 and
119, both channels, noise on from 5:00 for 2 minutes, off for 2, and so on, scaled to
24, 18, 12, 6, 0 and -6 dB (S = QRS peak-to-peak**2 / 8 from the first 300 normal
beats, N = the noise's trimmed mean 1 s RMS).  Each detector reads channel 0 of the
noisy record; its beats are compared with the reference annotations by bxb's rules
(heartbeat.metrics.ec57.bxb_compare: 150 ms, from 5:00 to the end, so the clean
5-minute lead-in is not scored) and the counts of both records are summed (gross).

Noises: ``em`` is heartbeat.noise.electrode_motion (seeded model, ``--seed``) unless
``--em-record`` gives the real NSTDB record; ``bw`` and ``ma`` are read from
$HEARTBEAT_DATA/nstdb-noise.  Peers when installed (``pip install sleepecg
neurokit2``): ``sleepecg.detect_heartbeats(x, fs)`` and
``neurokit2.ecg_peaks(neurokit2.ecg_clean(x, fs), fs)``.

Signal quality: heartbeat.quality on channel 0 of each noisy record; every 2 s segment
after 5:00 lying wholly in a noise-on or a noise-off stretch is labelled, and the
area under the ROC curve says how well low quality ranks noise-on segments
(1 = perfectly, 0.5 = chance).  Results print as Markdown and go to
``benchmarks/results/nst.csv``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
from _common import REPO, data_root, default_mitdb
from _roc import roc_auc, segment_labels

from heartbeat._atomic import atomic_open
from heartbeat.aami import class_codes
from heartbeat.detect import detect_r_peaks
from heartbeat.io import read_annotations, read_record
from heartbeat.metrics import DetectionScore
from heartbeat.metrics.ec57 import bxb_compare, reference_beats
from heartbeat.noise import NST_SNRS_DB, add_noise, electrode_motion, read_noise


def peer_detectors(enabled: bool) -> dict:
    """Name -> f(x, fs) for the installed peers."""
    peers = {}
    if not enabled:
        return peers
    try:
        import sleepecg

        peers[f"SleepECG {sleepecg.__version__}"] = sleepecg.detect_heartbeats
    except ImportError:
        print("SleepECG not installed", file=sys.stderr)
    try:
        import warnings

        import neurokit2 as nk

        def neurokit(x, fs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clean = nk.ecg_clean(x, sampling_rate=fs)
                return nk.ecg_peaks(clean, sampling_rate=fs)[1]["ECG_R_Peaks"]

        peers[f"NeuroKit2 {nk.__version__}"] = neurokit
    except ImportError:
        print("NeuroKit2 not installed", file=sys.stderr)
    return peers


def quality_auc_counts(x: np.ndarray, fs: float, noise_on: np.ndarray, start: int):
    """Quality of each 2 s segment after `start`, split by noise on / off."""
    from heartbeat import quality

    q = quality(x, fs)
    labels = segment_labels(q.starts, q.segment_samples, noise_on, start)
    return q.index[labels == 0], q.index[labels == 1]


def load_noises(names: list[str], em_record: str | None, n: int, fs: float, seed: int):
    noises = {}
    for name in names:
        if name == "em" and em_record is None:
            noises["em (model)"] = (electrode_motion(n, fs, seed=seed), fs)
        elif name == "em":
            noises["em (NSTDB)"] = read_noise(em_record)
        else:
            noises[name] = read_noise(data_root() / "nstdb-noise" / name)
    return noises


def describe(noises: dict) -> None:
    print("| noise | 1 s RMS (trimmed), ch 0 | kurtosis | <1 Hz | 1-5 Hz | 5-15 Hz | >15 Hz |")
    print("|---|---|---|---|---|---|---|")
    for name, (x, fs) in noises.items():
        from heartbeat.noise import noise_rms

        v = x[:, 0] - x[:, 0].mean()
        f = np.fft.rfftfreq(v.size, 1 / fs)
        p = np.abs(np.fft.rfft(v)) ** 2
        bands = [p[(f >= a) & (f < b)].sum() / p.sum()
                 for a, b in ((0, 1), (1, 5), (5, 15), (15, fs))]
        kurt = float((v**4).mean() / (v**2).mean() ** 2)
        print(f"| {name} | {noise_rms(x, fs)[0]:.3f} | {kurt:.1f} | "
              + " | ".join(f"{100 * b:.1f} %" for b in bands) + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mitdb", type=Path, default=default_mitdb())
    ap.add_argument("--records", nargs="+", default=["118", "119"])
    ap.add_argument("--noise", nargs="+", default=["em"], choices=["em", "bw", "ma"])
    ap.add_argument("--em-record", help="path of the real NSTDB em record (no extension)")
    ap.add_argument("--snrs", nargs="+", type=float, default=list(NST_SNRS_DB))
    ap.add_argument("--seed", type=int, default=0, help="seed of the em model (0)")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-quality", action="store_true")
    ap.add_argument("--describe", action="store_true", help="print the noises' statistics")
    ap.add_argument("--csv", type=Path, default=REPO / "benchmarks" / "results" / "nst.csv")
    args = ap.parse_args()

    clean = {}
    for name in args.records:
        rec = read_record(args.mitdb / name)
        ann = read_annotations(args.mitdb / name)
        codes = class_codes(ann.symbol)
        normal = ann.sample[(codes >= 0) & (codes != 2) & (codes != 3)]  # map1 NORMAL
        clean[name] = (rec, reference_beats(ann, rec.fs)[0], normal)
    n, fs = next(iter(clean.values()))[0].signal.shape[0], next(iter(clean.values()))[0].fs
    noises = load_noises(args.noise, args.em_record, n, fs, args.seed)
    if args.describe:
        describe(noises)
        return 0
    detectors = {"heartbeat": lambda x, fs: detect_r_peaks(x, fs),
                 **peer_detectors(not args.no_peers)}
    print(f"# NST: records {' '.join(args.records)}, {platform.node()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"python {platform.python_version()}")
    rows = []
    for noise_name, (noise, noise_fs) in noises.items():
        head = "| noise | SNR dB | " + " | ".join(f"{d} Se | {d} +P" for d in detectors)
        head += " |" if args.no_quality else " | quality AUC |"
        print("\n" + head)
        print("|" + "---|" * (2 + 2 * len(detectors) + (0 if args.no_quality else 1)))
        for snr in args.snrs:
            totals = {d: DetectionScore(0, 0, 0) for d in detectors}
            q_on, q_off = [], []
            for rec, beats, normal in clean.values():
                noisy = add_noise(rec.signal, rec.fs, noise, snr_db=snr, beats=normal,
                                  noise_fs=noise_fs)
                x = noisy.signal[:, 0]
                for d, detect in detectors.items():
                    peaks = np.asarray(detect(x, rec.fs), dtype=np.int64)
                    totals[d] += bxb_compare(beats, peaks, rec.fs, end=x.size)
                if not args.no_quality:
                    on, off = quality_auc_counts(x, rec.fs, noisy.noise_on,
                                                 round(300 * rec.fs))
                    q_on.append(on)
                    q_off.append(off)
            # low quality should mark noise: the "positive" class is noise-off
            auc = (roc_auc(np.concatenate(q_on), np.concatenate(q_off))
                   if not args.no_quality else float("nan"))
            cells = " | ".join(f"{100 * s.se:.2f} | {100 * s.ppv:.2f}" for s in totals.values())
            line = f"| {noise_name} | {snr:g} | {cells} |"
            print(line + ("" if args.no_quality else f" {auc:.3f} |"), flush=True)
            for d, s in totals.items():
                rows.append([noise_name, snr, d, s.tp, s.fn, s.fp, f"{100 * s.se:.3f}",
                             f"{100 * s.ppv:.3f}", f"{auc:.4f}"])
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(args.csv) as fh:
        text = [["noise", "snr_db", "detector", "tp", "fn", "fp", "se", "ppv", "quality_auc"]]
        buf = "\n".join(",".join(str(v) for v in r) for r in text + rows) + "\n"
        fh.write(buf.encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
