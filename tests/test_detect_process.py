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
