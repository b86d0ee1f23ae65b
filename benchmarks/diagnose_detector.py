"""Where and why the R-peak detector loses beats on MIT-BIH lead-records.

    PYTHONPATH=. python benchmarks/diagnose_detector.py --lead 1 101 103 106 200 203 208

For each record, on one lead, with the constants in force: TP, FN and FP (150 ms,
one-to-one, as ``benchmarks/tune_detector.py`` scores); the beat types of the missed
beats; where the false beats lie (within 150 ms of a beat that was matched to another
peak, 150-500 ms after a beat: its T wave, 150-350 ms before one: its P wave, or
elsewhere); FN and FP per 5 minutes; and why each missed beat's largest candidate
(envelope maximum within 150 ms) was not taken, read from a copy of
:func:`heartbeat._decide_kernels.decide_beats` that records, at each candidate it
decides on, the threshold, the full and the low floor and whether the low floor held
(a rhythm of sure QRS) and the T-wave test.  The copy is made from the kernel's source
at run time, so it follows the kernel; it stops with an error if the source no longer
has the lines it hooks into.
"""

from __future__ import annotations

import argparse
import inspect
from collections import Counter
from pathlib import Path

import numpy as np
from _common import default_mitdb
from _tuning import record_leads

from heartbeat import _decide_kernels as _dk
from heartbeat import _jit, detect
from heartbeat._detect_kernels import PARAM_NAMES
from heartbeat.io import read_annotations

# (line in decide_beats, what the traced copy adds after it)
HOOKS = (
    ("                      < rule[I_T_WAVE_SLOPE] * last_slope)\n",
     "            trace[j, 0] = thr\n"
     "            trace[j, 1] = scale * rule[I_FLOOR] * floor[j]\n"
     "            trace[j, 2] = scale * rule[I_FLOOR_LOW] * floor[j]\n"
     "            trace[j, 3] = prev_sure >= 0 and (p - prev_sure < rule[I_FLOOR_LOW_S] or ("
     "last_sure - prev_sure < rule[I_FLOOR_LOW_S] and p - last_sure < "
     "rule[I_FLOOR_LOW_KEEP_S]))\n"
     "            trace[j, 4] = t_like\n"
     "            trace[j, 5] = 1.0\n"),
)


def traced_kernel():
    """decide_beats with one more argument, ``trace`` (n, 6), filled per candidate.

    The copy runs in the kernel module's namespace (its constants and helpers); with
    Numba it is compiled, uncached, with the module's helpers compiled as the kernel's.
    """
    source = inspect.getsource(_dk.decide_beats)
    source = source.replace("    out: np.ndarray,\n) -> int:",
                            "    out: np.ndarray,\n    trace: np.ndarray,\n) -> int:")
    for line, extra in HOOKS:
        if line not in source:
            raise RuntimeError("decide_beats changed: update HOOKS in diagnose_detector.py")
        source = source.replace(line, line + extra)
    namespace = dict(vars(_dk))
    exec(compile(source, "<traced decide_beats>", "exec"), namespace)
    try:
        from numba import njit
    except ImportError:  # pragma: no cover
        return namespace["decide_beats"]
    return njit(_jit._with_compiled_helpers(namespace["decide_beats"],
                                            _dk.DECIDE_BEATS.helpers))


def match(peaks: np.ndarray, beats: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """The beats without a peak and the peaks without a beat (one-to-one, nearest first)."""
    used = np.zeros(peaks.size, bool)
    missed = []
    lo = 0
    for i, r in enumerate(beats):
        while lo < peaks.size and peaks[lo] < r - tol:
            lo += 1
        best, j = -1, lo
        while j < peaks.size and peaks[j] <= r + tol:
            if not used[j] and (best < 0 or abs(peaks[j] - r) < abs(peaks[best] - r)):
                best = j
            j += 1
        if best < 0:
            missed.append(i)
        else:
            used[best] = True
    return np.array(missed, dtype=np.int64), np.flatnonzero(~used)


def why_missed(lead, trace, keep, beat: int) -> str:
    """Why the largest candidate within 150 ms of a missed beat was not taken."""
    pos = lead.refined[keep]
    near = np.flatnonzero(np.abs(pos - beat) <= 0.15 * lead.fs)
    if near.size == 0:
        return "no candidate above the envelope's median"
    b = near[np.argmax(lead.height[keep][near])]
    thr, full, low, low_holds, t_like, seen = trace[b]
    h = lead.height[keep][b]
    if not seen:
        return "not decided on (inside the refractory time of a QRS taken)"
    if t_like:
        return "taken for a T wave"
    under_floor = h <= full and not (low_holds and h > low)
    if h <= thr and under_floor:
        return "under the threshold and the floor"
    if h <= thr:
        return "under the threshold only"
    if under_floor:
        if low_holds:
            return "under the low floor (which held)"
        return ("under the full floor; over the low floor, which did not hold (no rhythm"
                " of sure QRS)" if h > low else "under the full and the low floor")
    return "passed, but a later candidate took its place (P-wave rule)"


def false_place(peak: int, beats: np.ndarray, fs: float) -> str:
    k = np.searchsorted(beats, peak)
    after = (peak - beats[k - 1]) / fs if k > 0 else np.inf
    before = (beats[k] - peak) / fs if k < beats.size else np.inf
    if min(after, before) <= 0.15:
        return "within 150 ms of a beat"
    if after < 0.5 and after <= before:
        return "T wave (150-500 ms after a beat)"
    if before < 0.35:
        return "P wave (150-350 ms before a beat)"
    return "elsewhere"


def diagnose(mitdb: Path, name: str, m: int, kernel) -> None:
    lead = next(x for x in record_leads(mitdb, name, None) if x.lead == m)
    ann = read_annotations(mitdb / name, "atr")
    beat_symbols = dict(zip(np.asarray(ann.sample).tolist(), map(str, ann.symbol), strict=True))
    signal_beats = lead.beats
    keep = np.flatnonzero(lead.height > detect.PRESCREEN * lead.floor)
    params = np.array([detect.RULE[k] for k in PARAM_NAMES], dtype=np.float64)
    out = np.empty(keep.size, dtype=np.int64)
    trace = np.zeros((keep.size, 6))
    count = kernel(lead.cand[keep], lead.height[keep], lead.floor[keep], lead.slope_sq,
                   lead.fs, params, out, trace)
    accepted = np.searchsorted(lead.cand[keep], out[:count])
    peaks = np.unique(lead.refined[keep][accepted])
    missed, false = match(peaks, signal_beats, 0.15 * lead.fs)
    fs = lead.fs
    print(f"== {name} lead {m}: {signal_beats.size} beats, TP {signal_beats.size - missed.size}"
          f", FN {missed.size}, FP {false.size}")
    types = Counter(beat_symbols[int(signal_beats[i])] for i in missed)
    print("  missed beat types:", dict(types.most_common()))
    print("  FN per 5 min:", np.bincount((signal_beats[missed] // (300 * fs)).astype(int),
                                         minlength=7).tolist())
    print("  FP per 5 min:", np.bincount((peaks[false] // (300 * fs)).astype(int),
                                         minlength=7).tolist())
    print("  false beats:", dict(Counter(false_place(peaks[j], signal_beats, fs)
                                         for j in false).most_common()))
    print("  missed, why:", dict(Counter(why_missed(lead, trace, keep, signal_beats[i])
                                         for i in missed).most_common()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", nargs="+")
    parser.add_argument("--lead", type=int, default=1)
    parser.add_argument("--data", type=Path, default=default_mitdb(), help="mitdb folder")
    args = parser.parse_args(argv)
    kernel = traced_kernel()
    for name in args.records:
        diagnose(args.data, name, args.lead, kernel)


if __name__ == "__main__":
    main()
