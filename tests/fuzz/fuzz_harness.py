"""The fuzz suite's harness: a reusable worker process, the verdict, the mutations.

Every case runs in one worker process (``fuzz_worker.py``) reused across cases, under
an address-space limit (``resource.setrlimit``) and a timeout; a case that crashes
the worker or hangs is reported as such and the worker is started afresh.  The only
acceptable outcomes are success, or a ValueError, TypeError or FileNotFoundError
whose message names the file or the argument at fault.

The fixtures live here (test modules import them) rather than in a ``conftest.py``,
whose module name would shadow the suite's own ``conftest``.
``HEARTBEAT_FUZZ_REPORT=FILE`` writes the outcome counts of the session to FILE (JSON).
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("fuzz_worker.py")
REPO = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 3 << 30  # bytes of address space per worker (NumPy + Numba need ~1.5)
TIMEOUT_S = 60.0  # a case taking longer is a hang
ACCEPTED = ("ValueError", "TypeError", "FileNotFoundError")

#: Outcome counts per entry, over the whole session (written by conftest if asked).
TALLY: collections.Counter[tuple[str, str]] = collections.Counter()


class Worker:
    """One worker process, started on first use and again after a crash or hang."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: subprocess.Popen | None = None
        self.fresh = False  # the next answer includes the warm-up (imports, kernels)

    def _start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), str(self.root), str(MEMORY_LIMIT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, text=True, bufsize=1,
        )
        self.fresh = True

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdin.close()
            self.proc.stdout.close()
            self.proc = None

    def run(self, case: dict, timeout_s: float = TIMEOUT_S) -> dict:
        """Run `case`; return the worker's answer, or ``{"outcome": "hang" | "crash"}``."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        proc = self.proc
        try:
            proc.stdin.write(json.dumps(case) + "\n")
            proc.stdin.flush()
        except BrokenPipeError:
            self.close()
            return {"outcome": "crash", "message": "worker died before the case"}
        # the first case of a fresh worker waits for its warm-up (imports, kernels)
        limit = timeout_s + (180.0 if self.fresh else 0.0)
        self.fresh = False
        ready, _, _ = select.select([proc.stdout], [], [], limit)
        if not ready:
            self.close()
            return {"outcome": "hang", "message": f"no answer within {limit:.0f} s"}
        line = proc.stdout.readline()
        if not line:
            code = proc.wait()
            self.close()
            return {"outcome": "crash", "message": f"worker exited with status {code}"}
        return json.loads(line)


def verdict(answer: dict, names: list[str]) -> str | None:
    """Return why `answer` is unacceptable, or None; `names` are what a message may name.

    An error must be a ValueError, TypeError or FileNotFoundError (or a subclass)
    whose message contains one of `names` (file names or argument names); every
    outcome must have opened nothing outside the case's folder.
    """
    if answer.get("outside"):
        return f"opened files outside the case folder: {answer['outside']}"
    outcome = answer["outcome"]
    if outcome == "ok":
        return None
    if outcome != "error":
        return f"{outcome}: {answer.get('message')}"
    if answer["type"] == "_CliError":
        message = answer["message"]
        if message.startswith("heartbeat") and "error:" in message:
            if any(n in message for n in names):
                return None
        return f"CLI error not naming {names}: {message!r}"
    if not any(t in answer["mro"] for t in ACCEPTED):
        return f"{answer['type']}: {answer['message']}\n{answer.get('trace', '')}"
    if not any(n in answer["message"] for n in names):
        return f"{answer['type']} not naming any of {names}: {answer['message']!r}"
    return None


def judge(worker: Worker, case: dict, names: list[str]) -> None:
    """Run `case`, count its outcome and fail the test (AssertionError) if unacceptable."""
    answer = worker.run(case)
    entry = case["entry"]
    problem = verdict(answer, names)
    kind = answer["outcome"] if answer["outcome"] != "error" else answer["type"]
    TALLY[(entry, "unacceptable" if problem else kind)] += 1
    assert problem is None, f"{entry} {json.dumps(case)[:600]}\n-> {problem}"


def fresh(case: Path) -> Path:
    """Empty the case folder and return it."""
    for p in case.iterdir():
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
    return case


@pytest.fixture(scope="session")
def fuzz_root(tmp_path_factory) -> Path:
    """A folder holding ``case/`` (the only folder a case may open) and a secret beside it."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "case").mkdir()
    (root / "secret.dat").write_bytes(bytes(range(256)) * 8)
    return root


@pytest.fixture(scope="session")
def worker(fuzz_root):
    """The worker process of the session."""
    w = Worker(fuzz_root / "case")
    yield w
    w.close()


@pytest.fixture(scope="session")
def case_dir(fuzz_root) -> Path:
    """The case folder, emptied by `fresh` before each case."""
    return fuzz_root / "case"


@atexit.register
def _write_report() -> None:
    out = os.environ.get("HEARTBEAT_FUZZ_REPORT")
    if out and TALLY:
        counts: dict[str, dict[str, int]] = {}
        for (entry, outcome), n in sorted(TALLY.items()):
            counts.setdefault(entry, {})[outcome] = n
        Path(out).write_text(json.dumps({"total": sum(TALLY.values()), "counts": counts},
                                        indent=1) + "\n")


# ----------------------------------------------------------------------- mutations
def hostile_tokens(secret: Path) -> list[str]:
    """Words that broke (or could break) header parsers, and paths out of the folder."""
    return [
        "0", "-1", "1", "+", "-", "", "1e999", "-1e999", "5e-324", "1e-320", "nan", "inf",
        "9" * 400, "9" * 5000, "9223372036854775807", "18446744073709551616", "1e30",
        "0.0", "1e10", "1e-9", "0.01", ".", "..", "/", str(secret), "../" + secret.name,
        "../../../../etc/hostname", "a\0b", "x" * 300, "212x1000000000000",
        "16:99999999999", "8+99999999999", "212:3", "16+512", "212x4", "8", "16", "24",
        "32", "61", "80", "160", "212", "310", "311", "999", "200(1024)/mV", "200(",
        "0(0)/", "1e999(1)", "5e-324(0)/mV", "1/0", "360/0(", "360/1e999(1e999)",
        "r/2", "25:61:99", "31/02/2020", "\xff\xfe", "#", "\t", "~", "*",
    ]


def mutate_text(text: str, choices: list[tuple[int, int, str]]) -> str:
    """Apply token edits ``(op, position, token)`` to the text of a header."""
    lines = text.split("\n")
    for op, pos, token in choices:
        if not lines:
            lines = [token]
            continue
        i = pos % len(lines)
        words = re.split(r"(\s+)", lines[i])
        j = (pos // 7) % len(words)
        if op == 0:  # replace a word
            words[j] = token
        elif op == 1:  # insert a word
            words.insert(j, token + " ")
        elif op == 2:  # delete a word
            del words[j]
        elif op == 3:  # duplicate a line
            lines.insert(i, lines[i])
            continue
        elif op == 4:  # delete a line
            del lines[i]
            continue
        else:  # a new line of hostile words
            lines.insert(i, " ".join([token] * (1 + pos % 4)))
            continue
        lines[i] = "".join(words)
    return "\n".join(lines)


def mutate_bytes(data: bytes, choices: list[tuple[int, int, int]]) -> bytes:
    """Apply byte edits ``(op, position, value)``: flip, set, truncate, insert, cut."""
    out = bytearray(data)
    for op, pos, value in choices:
        if not out:
            out = bytearray([value & 0xFF])
            continue
        i = pos % len(out)
        if op == 0:
            out[i] ^= 1 << (value % 8)
        elif op == 1:
            out[i] = value & 0xFF
        elif op == 2:
            del out[i:]
        elif op == 3:
            out[i:i] = bytes([value & 0xFF]) * (1 + value % 16)
        else:
            del out[i: i + 1 + value % 64]
    return bytes(out)
