"""Fixtures of the fuzz suite: one case folder and one worker per session.

``HEARTBEAT_FUZZ_REPORT=FILE`` writes the outcome counts of the session to FILE (JSON).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fuzz_harness import TALLY, Worker


@pytest.fixture(scope="session")
def fuzz_root(tmp_path_factory) -> Path:
    """A folder holding ``case/`` (the only folder a case may open) and a secret beside it."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "case").mkdir()
    (root / "secret.dat").write_bytes(bytes(range(256)) * 8)
    return root


@pytest.fixture(scope="session")
def worker(fuzz_root):
    w = Worker(fuzz_root / "case")
    yield w
    w.close()


@pytest.fixture(scope="session")
def case_dir(fuzz_root) -> Path:
    return fuzz_root / "case"


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("HEARTBEAT_FUZZ_REPORT")
    if out and TALLY:
        counts: dict[str, dict[str, int]] = {}
        for (entry, outcome), n in sorted(TALLY.items()):
            counts.setdefault(entry, {})[outcome] = n
        Path(out).write_text(json.dumps({"total": sum(TALLY.values()), "counts": counts},
                                        indent=1) + "\n")
