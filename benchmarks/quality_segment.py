"""Signal quality in segment(): what the unreadable rule costs and removes.

    PYTHONPATH=. python benchmarks/quality_segment.py            # both parts
    PYTHONPATH=. python benchmarks/quality_segment.py --no-nst   # the clean records only
    PYTHONPATH=. python benchmarks/quality_segment.py --choose-only  # the threshold rule

Clean records: all 48 MIT-BIH records, each lead alone, as ``heartbeat.segment(x, fs)``
runs by default.  For each lead: the share of the reference beats (bxb's: every beat
annotation outside ventricular flutter, whole record) lying in a stretch that
``segment`` reports unreadable, and the detector's beats it withholds (how many of
those match a reference beat within 150 ms).  The script checks that ``segment``'s
beats are exactly the detector's peaks whose stretch scores at least the threshold.

Choosing the threshold by folds over records: 4 folds of 12 records (seeded
permutation); on the 36 records of the other folds, the largest threshold of the grid
0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.10, ..., 0.65 (0 if none does) that puts at
most 0.05 % of the lead-0 reference beats in unreadable stretches (half the 0.1 %
budget, as margin); the share it loses on the held-out fold is printed.  The shipped
threshold is the same rule on all 48 records.

Noise: records 118 and 119 with the noise stress test's noise on channel 0's
detector (``benchmarks/nst.py``'s protocol: em model seed 0, NSTDB bw and ma) at 6, 0
and -6 dB; bxb counts from 5:00 with and without the rule (``quality=False``): the
false detections it removes and the true beats it loses.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _common import data_root, default_mitdb

import heartbeat
from heartbeat.aami import class_codes
from heartbeat.io import read_annotations, read_record
from heartbeat.metrics import DetectionScore, match_peaks
from heartbeat.metrics.ec57 import bxb_compare, reference_beats
from heartbeat.noise import add_noise, electrode_motion, read_noise
from heartbeat.signal_quality import UNREADABLE_BELOW

# fine near 0, where the logistic index puts segments it is sure hold noise
GRID = np.concatenate([[0.001, 0.002, 0.005, 0.01, 0.02],
                       np.round(np.arange(0.05, 0.651, 0.05), 2)])
BUDGET = 0.0005  # share of lead-0 reference beats a threshold may put in unreadable stretches


def clean_records(mitdb) -> dict:
    """Per record and lead: quality at the reference beats, and segment's withholding."""
    names = sorted(p.stem for p in mitdb.glob("*.hea"))
    out = {}
    print("| record | lead | reference beats | in unreadable stretches | detections "
          "withheld | of them matching a reference beat | unreadable s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        rec = read_record(mitdb / name)
        ref = reference_beats(read_annotations(mitdb / name), rec.fs)[0]
        for lead in (0, 1):
            x = rec.signal[:, lead]
            q = heartbeat.quality(x, rec.fs)
            peaks = heartbeat.detect_r_peaks(x, rec.fs)
            beats = heartbeat.segment(x, rec.fs)
            kept = q.at(peaks) >= UNREADABLE_BELOW
            if not np.array_equal(beats.r_peaks, peaks[kept]):
                raise AssertionError(f"{name} lead {lead}: segment's beats differ from the rule")
            det, _ = match_peaks(peaks, ref, 0.15 * rec.fs)
            matched = np.zeros(peaks.size, dtype=bool)
            matched[det] = True
            ref_q = q.at(ref)
            spans = beats.unreadable
            out[name, lead] = ref_q
            print(f"| {name} | {lead} | {ref.size} | {np.sum(ref_q < UNREADABLE_BELOW)} | "
                  f"{np.sum(~kept)} | {np.sum(~kept & matched)} | "
                  f"{np.sum(spans[:, 1] - spans[:, 0]) / rec.fs:.0f} |", flush=True)
    return out


def quality_at_reference(mitdb) -> dict:
    """Per record and lead: the quality index at the reference beats (nothing else)."""
    out = {}
    for name in sorted(p.stem for p in mitdb.glob("*.hea")):
        rec = read_record(mitdb / name)
        ref = reference_beats(read_annotations(mitdb / name), rec.fs)[0]
        for lead in (0, 1):
            out[name, lead] = heartbeat.quality(rec.signal[:, lead], rec.fs).at(ref)
    return out


def lost(values: dict, names, lead: int, threshold: float) -> float:
    """Share of the reference beats of `names`' lead `lead` below `threshold`."""
    below = sum(int(np.sum(values[n, lead] < threshold)) for n in names)
    return below / sum(values[n, lead].size for n in names)


def choose_by_folds(values: dict) -> None:
    """The threshold rule on 4 folds over records, then on all of them."""
    names = sorted({n for n, _ in values})
    perm = np.random.default_rng(0).permutation(names)
    folds = [sorted(perm[i::4]) for i in range(4)]
    print("\n| fold (held out) | chosen on the other 36 | held-out lead 0 lost | "
          "held-out lead 1 lost |")
    print("|---|---:|---:|---:|")
    for fold in folds:
        rest = [n for n in names if n not in fold]
        th = max((t for t in GRID if lost(values, rest, 0, t) <= BUDGET), default=0.0)
        print(f"| {' '.join(fold)} | {th:g} | {100 * lost(values, fold, 0, th):.3f} % | "
              f"{100 * lost(values, fold, 1, th):.3f} % |")
    th = max((t for t in GRID if lost(values, names, 0, t) <= BUDGET), default=0.0)
    print(f"\nall 48 records: {th:g} (shipped: {UNREADABLE_BELOW}); reference beats in "
          f"unreadable stretches at {UNREADABLE_BELOW}: lead 0 "
          f"{100 * lost(values, names, 0, UNREADABLE_BELOW):.3f} %, lead 1 "
          f"{100 * lost(values, names, 1, UNREADABLE_BELOW):.3f} %")
    print("threshold: " + ", ".join(
        f"{t:g} -> {100 * lost(values, names, 0, t):.3f} / "
        f"{100 * lost(values, names, 1, t):.3f} %" for t in GRID))


def stress_test(mitdb) -> None:
    """False detections removed and true beats lost by the rule under NST noise."""
    clean = {}
    for name in ("118", "119"):
        rec = read_record(mitdb / name)
        ann = read_annotations(mitdb / name)
        codes = class_codes(ann.symbol)
        normal = ann.sample[(codes >= 0) & (codes != 2) & (codes != 3)]
        clean[name] = (rec, reference_beats(ann, rec.fs)[0], normal)
    n, fs = clean["118"][0].signal.shape[0], clean["118"][0].fs
    noises = {"em (model)": (electrode_motion(n, fs, seed=0), fs),
              **{k: read_noise(data_root() / "nstdb-noise" / k) for k in ("bw", "ma")}}
    print("\n| noise | SNR dB | Se / +P without the rule | with it | false detections "
          "removed | true beats lost | unreadable s (noise on / off) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for noise_name, (noise, noise_fs) in noises.items():
        for snr in (6.0, 0.0, -6.0):
            before = after = DetectionScore(0, 0, 0)
            on_s = off_s = 0.0
            for rec, ref, normal in clean.values():
                noisy = add_noise(rec.signal, rec.fs, noise, snr_db=snr, beats=normal,
                                  noise_fs=noise_fs)
                x = noisy.signal[:, 0]
                every = heartbeat.segment(x, rec.fs, quality=False)
                kept = heartbeat.segment(x, rec.fs)
                before += bxb_compare(ref, every.r_peaks, rec.fs, end=x.size)
                after += bxb_compare(ref, kept.r_peaks, rec.fs, end=x.size)
                for a, b in kept.unreadable.tolist():
                    on = int(np.count_nonzero(noisy.noise_on[a:b]))
                    on_s += on / rec.fs
                    off_s += (b - a - on) / rec.fs
            print(f"| {noise_name} | {snr:g} | {100 * before.se:.2f} / {100 * before.ppv:.2f} "
                  f"| {100 * after.se:.2f} / {100 * after.ppv:.2f} | "
                  f"{before.fp - after.fp} of {before.fp} | {before.tp - after.tp} of "
                  f"{before.tp} | {on_s:.0f} / {off_s:.0f} |", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mitdb", type=Path, default=default_mitdb())
    ap.add_argument("--no-nst", action="store_true", help="skip the noise stress test")
    ap.add_argument("--choose-only", action="store_true",
                    help="only the threshold rule (no per-record table, no stress test)")
    args = ap.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, threshold "
          f"{UNREADABLE_BELOW}")
    if args.choose_only:
        choose_by_folds(quality_at_reference(args.mitdb))
        return 0
    values = clean_records(args.mitdb)
    choose_by_folds(values)
    if not args.no_nst:
        stress_test(args.mitdb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
