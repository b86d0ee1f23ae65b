"""Tests of benchmarks/detect_process.py: one detector over prepared records, as a process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import heartbeat
from conftest import REPO, benchmark_modules

SCRIPT = REPO / "benchmarks" / "detect_process.py"


def _beats(seconds: float = 20.0, fs: float = 360.0) -> np.ndarray:
    """A spike train at 72/min with a little noise: one easy lead."""
    t = np.arange(int(seconds * fs)) / fs
    x = 0.02 * np.random.default_rng(0).standard_normal(len(t))
    for centre in np.arange(0.5, seconds - 0.5, 60 / 72):
        x += np.exp(-((t - centre) / 0.012) ** 2)
    return x


def test_run_detects_each_file_once_in_a_process_of_its_own(tmp_path: Path):
    x = _beats()
    for name in ("100", "101"):
        np.save(tmp_path / f"{name}.npy", x)
    done = subprocess.run([sys.executable, str(SCRIPT), "run", str(tmp_path), "heartbeat"],
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    n = 2 * len(heartbeat.detect_r_peaks(x, 360.0))
    assert done.stdout.strip() == f"heartbeat: 2 records, {2 * len(x)} samples, {n} beats"


def test_run_without_files_says_to_prepare(tmp_path: Path):
    module, = benchmark_modules("detect_process")
    with pytest.raises(SystemExit, match="prepare"):
        module.run(tmp_path, "heartbeat")


def test_prepare_writes_the_lead_the_reader_reads(tmp_path: Path, mitdb_dir: Path,
                                                  monkeypatch):
    module, = benchmark_modules("detect_process")
    monkeypatch.setenv("HEARTBEAT_DATA", str(mitdb_dir.parent))
    module.prepare(tmp_path, 1, ["100", "208"])
    for name in ("100", "208"):
        want = heartbeat.io.read_record(mitdb_dir / name).signal[:, 1]
        np.testing.assert_array_equal(np.load(tmp_path / f"{name}.npy"), want)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["100.npy", "208.npy"]


def test_first_call_times_the_rule_and_pairs_the_compile_events(tmp_path: Path, capsys):
    first_call, = benchmark_modules("first_call")
    np.save(tmp_path / "a.npy", _beats())
    first_call.rule_time(tmp_path)
    assert capsys.readouterr().out.startswith("decision rule, warm, 1 records of ")

    class Event:  # the two fields of numba.core.event.Event that are read
        def __init__(self, is_start: bool, data=None):
            self.is_start, self.data = is_start, data

    buffer = [(0.0, Event(True)), (1.0, Event(True)), (3.0, Event(False)),
              (4.0, Event(False))]
    assert first_call._compilations(buffer) == [(4.0, "?", "-"), (2.0, "?", "?")]
