"""The R-peak detector on short recordings: windows of MIT-BIH records (issue 14).

A detector started on a window has only that window to learn its levels from; these
tests hold its peaks to those of the whole-record run, which has learnt them first, find
a run of small QRS from the window's start, and keep windows of noise quiet.
``benchmarks/short_windows.py`` scores every lead-record this way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from heartbeat import _jit
from heartbeat import detect as detect_module
from heartbeat.aami import is_beat
from heartbeat.detect import detect_r_peaks
from heartbeat.metrics import match_peaks

TOLERANCE_S = 0.15
EDGE_S = 0.5  # peaks this close to a window's edge are not compared
BLOCK_STARTS_S = (98.3, 113.0, 130.0)  # 16 s windows inside 231's first (BII stretch


def read(mitdb_dir: Path, name: str, lead: int = 0) -> tuple[np.ndarray, float, object]:
    """One lead of a record, its fs and its annotations."""
    wfdb = pytest.importorskip("heartbeat.io", reason="heartbeat.io is not available")
    record = wfdb.read_record(mitdb_dir / name)
    x = np.ascontiguousarray(np.asarray(record.signal, np.float64)[:, lead])
    return x, float(record.fs), wfdb.read_annotations(mitdb_dir / name, "atr")


def inner(peaks: np.ndarray, start: int, stop: int, fs: float) -> np.ndarray:
    """The peaks of [start, stop) that lie EDGE_S or more inside both edges."""
    margin = EDGE_S * fs
    return peaks[(peaks >= start + margin) & (peaks < stop - margin)]


def assert_same_beats(window_peaks: np.ndarray, whole_peaks: np.ndarray, start: int,
                      stop: int, fs: float) -> None:
    """Every inner peak of one run is matched one to one by a peak of the other."""
    for a, b in ((window_peaks, whole_peaks), (whole_peaks, window_peaks)):
        a_in = inner(a, start, stop, fs)
        b_near = b[(b >= start) & (b < stop)]
        matched = match_peaks(b_near, a_in, TOLERANCE_S * fs)[1]
        missing = np.setdiff1d(np.arange(a_in.size), matched)
        assert missing.size == 0, f"unmatched peaks at {a_in[missing] / fs} s"


def block_windows(ann: object, fs: float) -> list[tuple[int, int]]:
    """The 16 s windows of BLOCK_STARTS_S, checked to lie inside a (BII stretch."""
    aux = np.asarray(ann.aux_note)
    sample = np.asarray(ann.sample).astype(np.int64)
    marks = [(int(s), str(a)) for s, a in zip(sample, aux, strict=True)
             if str(a).startswith("(")]
    spans = [(s, marks[i + 1][0]) for i, (s, a) in enumerate(marks[:-1]) if a == "(BII"]
    windows = [(round(t * fs), round((t + 16.0) * fs)) for t in BLOCK_STARTS_S]
    for a, b in windows:
        assert any(s0 <= a and b <= s1 for s0, s1 in spans), "window outside the block"
    return windows


@pytest.mark.parametrize(("name", "lead"), [("100", 0), ("119", 0), ("208", 0),
                                            ("113", 1), ("232", 0)])
def test_short_windows_find_the_whole_record_peaks(mitdb_dir, name, lead):
    # sinus rhythm (100), bigeminy (119), frequent PVCs and fusion (208), lead
    # V1 (113: sinus arrhythmia), long pauses (232): 16 s windows every 5 minutes
    x, fs, _ = read(mitdb_dir, name, lead)
    whole = detect_r_peaks(x, fs)
    for start_s in range(0, 1800, 300):
        a, b = round(start_s * fs), round((start_s + 16.0) * fs)
        assert_same_beats(detect_r_peaks(x[a:b], fs) + a, whole, a, b, fs)


def blocked_p_waves(ann: object) -> np.ndarray:
    """Samples of the blocked P waves: comment annotations with aux MISSB."""
    return np.asarray(ann.sample).astype(np.int64)[np.asarray(ann.aux_note) == "MISSB"]


@pytest.mark.parametrize("backend", _jit.BACKENDS[1:] if _jit.numba_available()
                         else ("numpy",))
def test_started_in_a_2_to_1_block_with_the_upper_median(mitdb_dir, monkeypatch, backend):
    # the QRS level started at the upper median of the per-second maxima
    # (init_quantile 0.5) rather than each second's maximum: at 231's ventricular
    # rate of ~35/min 3 or 4 of the first 8 seconds hold no QRS, only a P or T wave
    x, fs, ann = read(mitdb_dir, "231")
    monkeypatch.setitem(detect_module.RULE, "init_quantile", 0.5)
    whole = detect_r_peaks(x, fs, backend=backend)
    p_waves = blocked_p_waves(ann)
    for a, b in block_windows(ann, fs):
        found = detect_r_peaks(x[a:b], fs, backend=backend) + a
        assert_same_beats(found, whole, a, b, fs)
        near = np.abs(found[:, None] - p_waves[None, :]).min(axis=1) < TOLERANCE_S * fs
        assert not near.any(), f"peaks on blocked P waves at {found[near] / fs} s"


@pytest.mark.xfail(strict=True, reason="issue 14, open: with the default init_quantile "
                   "(-1) a detector started inside 231's 2:1 block takes its blocked P "
                   "waves for beats (docs/benchmarks.md, 'short recordings')")
def test_started_in_a_2_to_1_block_with_the_default_rule(mitdb_dir):
    x, fs, ann = read(mitdb_dir, "231")
    p_waves = blocked_p_waves(ann)
    for a, b in block_windows(ann, fs):
        found = detect_r_peaks(x[a:b], fs) + a
        near = np.abs(found[:, None] - p_waves[None, :]).min(axis=1) < TOLERANCE_S * fs
        assert not near.any(), f"peaks on blocked P waves at {found[near] / fs} s"


# 209 at 10:00, lead 1: a supraventricular run whose QRS rise only 1.6-3.2 times over
# their floor, under the floor factor 3.5 that a detector starts with
RUN_209 = ("209", 1, 600.0, 16.0)


def run_209(mitdb_dir: Path) -> tuple[np.ndarray, float, np.ndarray, int, int]:
    """The window's samples, fs, the reference beats inside it, and its bounds."""
    name, lead, start_s, length_s = RUN_209
    x, fs, ann = read(mitdb_dir, name, lead)
    a, b = round(start_s * fs), round((start_s + length_s) * fs)
    beats = np.asarray(ann.sample).astype(np.int64)[is_beat(ann.symbol)]
    return x[a:b], fs, inner(beats, a, b, fs) - a, a, b


def found_share(peaks: np.ndarray, beats: np.ndarray, fs: float) -> float:
    """The share of `beats` matched one to one by `peaks` within TOLERANCE_S."""
    return match_peaks(peaks, beats, TOLERANCE_S * fs)[1].size / beats.size


@pytest.mark.parametrize("backend", _jit.BACKENDS[1:] if _jit.numba_available()
                         else ("numpy",))
def test_a_run_of_small_qrs_found_from_the_start(mitdb_dir, monkeypatch, backend):
    # the floor ratios start from the first seconds because those beat as a rhythm
    # (init_floor_s); the single lead's standard band, as the rule decides it
    x, fs, beats, _, _ = run_209(mitdb_dir)
    peaks = detect_module._detect_lead(x, fs, backend)[0]
    assert found_share(peaks, beats, fs) >= 0.8  # 34 of 40 (the rule before: 1)
    assert inner(peaks, 0, x.size, fs).size <= beats.size + 1
    monkeypatch.setitem(detect_module.RULE, "init_floor_s", 0.0)  # the rule before
    assert found_share(detect_module._detect_lead(x, fs, backend)[0], beats, fs) < 0.1


@pytest.mark.xfail(strict=True, reason="issue 14, open: the high band (Note 10) replaces "
                   "the standard band's beats of 209's run by its own single beat, whose "
                   "quality is higher (docs/benchmarks.md, 'short recordings'); the count "
                   "guard that keeps them did not hold on the record folds")
def test_a_run_of_small_qrs_found_by_the_public_detector(mitdb_dir):
    x, fs, beats, _, _ = run_209(mitdb_dir)
    assert found_share(detect_r_peaks(x, fs), beats, fs) >= 0.95


def test_a_count_guard_keeps_the_standard_band_of_the_run(mitdb_dir, monkeypatch):
    # _detect_bands.COUNT_RATIO (0 shipped): with 0.25, the all-48 choice of
    # tune_bands.py --count-guard (not adopted: the folds did not reward it), the high
    # band's single beat no longer replaces the standard band's 34 of 40
    x, fs, beats, _, _ = run_209(mitdb_dir)
    assert found_share(detect_r_peaks(x, fs), beats, fs) < 0.1  # the shipped detector
    monkeypatch.setattr(detect_module._bands, "COUNT_RATIO", 0.25)
    guarded = detect_r_peaks(x, fs)
    np.testing.assert_array_equal(guarded, detect_module._detect_lead(x, fs, "numpy")[0])
    assert found_share(guarded, beats, fs) >= 0.8


def test_noise_windows_stay_quiet(monkeypatch):
    # the random walk of benchmarks/tune_detector.py's quiet check, cut into 10 s
    # recordings: noise peaks come at random intervals, so no start takes them for a
    # rhythm and each window starts with the full floor factor (the floor ratios from
    # the first seconds without that test: 145 beats in 359 such windows)
    fs = 360.0
    rng = np.random.default_rng(7)
    n = round(600 * fs)
    walk = 0.01 * np.cumsum(rng.normal(size=n)) + 0.1 * rng.normal(size=n)
    m = round(10 * fs)
    windows = [walk[a : a + m] for a in range(0, n - m + 1, m)]
    now = sum(detect_r_peaks(w, fs).size for w in windows)
    monkeypatch.setitem(detect_module.RULE, "init_floor_s", 0.0)  # the rule before
    assert now <= sum(detect_r_peaks(w, fs).size for w in windows)
    # in 60 windows: 1 before the low floor for a beat on time (session 14), which takes
    # one noise peak more (the tuning's quiet check: at most 10 in an hour of this noise)
    assert now <= 2


def test_real_noise_windows_as_quiet_as_before(nstdb_noise_dir, monkeypatch):
    # NSTDB baseline wander and muscle noise in 10 s recordings: the start gives no
    # more beats than the rule before (which finds some in muscle noise)
    from heartbeat.noise import read_noise

    for name in ("bw", "ma"):
        signal, fs = read_noise(nstdb_noise_dir / name)
        x = np.ascontiguousarray(np.asarray(signal, np.float64)[: round(300 * fs), 0])
        m = round(10 * fs)
        windows = [x[a : a + m] for a in range(0, x.size - m + 1, m)]
        now = sum(detect_r_peaks(w, fs).size for w in windows)
        with monkeypatch.context() as patch:
            patch.setitem(detect_module.RULE, "init_floor_s", 0.0)
            before = sum(detect_r_peaks(w, fs).size for w in windows)
        assert now <= before, name
