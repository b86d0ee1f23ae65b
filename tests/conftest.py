"""Shared fixtures: real data location and the derandomised hypothesis profile."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]


def module_from_source(folder: Path, name: str, source: str) -> ModuleType:
    """`source` as a module file of its own in `folder`, imported (as a package's kernel
    module would be: Numba caches by the file)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def benchmark_modules(*names: str) -> list[ModuleType]:
    """Import modules of benchmarks/ (they pin BLAS threads for their own runs: the
    environment is put back, so the tests' processes do not inherit it)."""
    env = dict(os.environ)
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        return [importlib.import_module(name) for name in names]
    finally:
        sys.path.pop(0)
        os.environ.clear()
        os.environ.update(env)


def data_root() -> Path:
    """The real-data folder: $HEARTBEAT_DATA, else ../shared/data beside the repo."""
    env = os.environ.get("HEARTBEAT_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def _require(sub: str, probe: str) -> Path:
    path = data_root() / sub
    if not (path / probe).exists():
        pytest.skip(
            f"real data not found: {path / probe} is missing "
            "(set HEARTBEAT_DATA to the folder holding mitdb/ and wfdb-samples/)"
        )
    return path


@pytest.fixture(scope="session")
def mitdb_dir() -> Path:
    """All 48 MIT-BIH Arrhythmia records (skips when absent)."""
    return _require("mitdb", "100.hea")


@pytest.fixture(scope="session")
def wfdb_samples_dir() -> Path:
    """The WFDB format conformance corpus (skips when absent)."""
    return _require("wfdb-samples", "binformats.hea")


@pytest.fixture(scope="session")
def nstdb_noise_dir() -> Path:
    """The MIT-BIH NST Database's bw and ma noise records (skips when absent)."""
    return _require("nstdb-noise", "bw.hea")
