"""The fuzz suite's worker process: runs one case at a time under a memory limit.

Started by ``fuzz_harness.Worker`` as ``python fuzz_worker.py ROOT LIMIT_BYTES``; reads
one JSON case per line on stdin and answers one JSON line on stdout:

``{"outcome": "ok" | "error" | "wrong", "type": ..., "mro": [...], "message": ...,
"outside": [...]}``

``error`` is an exception the public entry raised (its class and message, for the
harness to judge), ``wrong`` an output that breaks the entry's promise (non-finite
physical values, peaks outside the signal, probabilities that do not sum to 1).
``outside`` lists files the case opened outside ROOT and the installed software
(seen by an audit hook), which must stay empty.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import traceback
from pathlib import Path

import numpy as np


def _limit_memory(limit: int) -> None:
    # address space: a MemoryError instead of the machine swapping or the OOM killer
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class _OpenAudit:
    """Record files opened outside the allowed folders while a case runs."""

    def __init__(self, allowed: list[str]) -> None:
        self.allowed = [os.path.realpath(a) for a in allowed]
        self.active = False
        self.outside: list[str] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if not self.active or event != "open" or not args:
            return
        path = args[0]
        if isinstance(path, int) or path is None:
            return
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        full = os.path.realpath(os.path.abspath(str(path)))
        if not any(full == a or full.startswith(a + os.sep) for a in self.allowed):
            self.outside.append(full)


def _signal(spec: dict) -> object:
    """Build the signal a case describes (any dtype, shape, mask, or a non-array)."""
    kind = spec.get("kind", "array")
    if kind == "raw":
        return spec["value"]
    data = np.asarray(spec["values"], dtype=np.float64)
    if spec.get("repeat"):
        data = np.tile(data, int(spec["repeat"]))
    arr = data.astype(spec.get("dtype", "float64"))
    if spec.get("shape"):
        arr = arr.reshape(spec["shape"])
    if spec.get("masked"):
        arr = np.ma.masked_array(arr, mask=np.arange(arr.size).reshape(arr.shape) % 3 == 0)
    if spec.get("readonly") and isinstance(arr, np.ndarray):
        arr.flags.writeable = False
    return arr


def _check_record(rec) -> str | None:
    if rec.digital.dtype != np.int32 or rec.signal.dtype != np.float64:
        return "dtypes"
    if rec.digital.shape != rec.signal.shape or rec.digital.shape[0] != rec.n_samples:
        return f"shapes {rec.digital.shape} {rec.signal.shape} n={rec.n_samples}"
    if np.isinf(rec.signal).any():
        return "infinite physical values"
    if not (np.isfinite(rec.fs) and rec.fs > 0):
        return f"fs={rec.fs}"
    return None


def _check_peaks(peaks: np.ndarray, n: int) -> str | None:
    if peaks.dtype != np.int64 or peaks.ndim != 1:
        return f"peaks dtype {peaks.dtype} ndim {peaks.ndim}"
    if peaks.size and (peaks[0] < 0 or peaks[-1] >= n or np.any(np.diff(peaks) <= 0)):
        return "peaks outside the signal or unsorted"
    return None


def _run(case: dict, root: Path) -> str | None:
    """Run one case; return a description of a wrong output, or None."""
    import heartbeat
    from heartbeat import nn
    from heartbeat.classifier import BeatClassifier
    from heartbeat.io import read_annotations, read_header, read_record

    entry, a = case["entry"], case.get("args", {})
    if entry == "read_record":
        return _check_record(read_record(a["path"], **a.get("kwargs", {})))
    if entry == "read_header":
        read_header(a["path"])
        return None
    if entry == "read_annotations":
        ann = read_annotations(a["path"], a.get("extension", "atr"))
        if ann.fs is not None and not (np.isfinite(ann.fs) and ann.fs > 0):
            return f"annotation fs={ann.fs}"
        return None
    if entry == "detect_r_peaks":
        x = _signal(a["signal"])
        peaks = heartbeat.detect_r_peaks(x, a["fs"])
        return _check_peaks(peaks, np.size(x))
    if entry == "segment":
        x = _signal(a["signal"])
        beats = heartbeat.segment(x, a["fs"])
        if not np.isfinite(beats.waveforms).all() or beats.waveforms.shape[1:] != (187,):
            return "beats not finite or misshaped"
        return _check_peaks(beats.r_peaks, np.size(x))
    if entry == "classify":
        x = _signal(a["signal"])
        out = heartbeat.classify(x, a["fs"])
        p = np.asarray(out.probabilities)
        if p.size and (not np.isfinite(p).all() or np.abs(p.sum(axis=1) - 1).max() > 1e-4):
            return "probabilities not finite or not summing to 1"
        return None
    if entry == "nn_load":
        model = nn.load(a["path"])
        beat = np.zeros((2, model.spec["input_channels"], model.spec["input_length"]),
                        model.dtype)
        extra = np.ones((2, model.spec["extra_inputs"]), model.dtype) \
            if model.spec["extra_inputs"] else None
        if not np.isfinite(model.predict_logits(beat, extra)).all():
            return "non-finite logits"
        return None
    if entry == "classifier_load":
        clf = BeatClassifier.load(a["path"])
        beats = heartbeat.segment(np.asarray(a["probe"]), 360.0)
        if len(beats):
            p = clf.predict_proba(beats)
            if not np.isfinite(p).all():
                return "non-finite probabilities"
        return None
    if entry == "cli":
        from heartbeat.cli import main

        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(a["argv"])
            except SystemExit as exc:  # argparse usage errors
                code = exc.code
        if code not in (0, 2):
            return f"exit status {code}"
        if code == 2:
            raise _CliError(err.getvalue().strip().splitlines()[-1] if err.getvalue() else "")
        return None
    raise KeyError(f"unknown entry {entry!r}")


class _CliError(Exception):
    """The command's exit status 2 and last line of stderr, reported as an error."""


def main() -> None:
    root = Path(sys.argv[1]).resolve()
    _limit_memory(int(sys.argv[2]))
    import heartbeat

    # compile or load the kernels once, before the memory of cases is judged
    t = np.arange(3600) / 360.0
    heartbeat.classify(np.exp(-(((t % 0.8) - 0.4) ** 2) / 2e-4), 360.0)
    allowed = [str(root), sys.prefix, sys.base_prefix, str(Path(heartbeat.__file__).parent),
               "/dev/null", "/proc", "/sys"]
    allowed += [p for p in sys.path if p and os.path.isdir(p)]
    allowed += [os.environ[k] for k in ("NUMBA_CACHE_DIR", "HEARTBEAT_CACHE_DIR", "MPLCONFIGDIR")
                if os.environ.get(k)]
    audit = _OpenAudit(allowed)
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers goes to the harness
    for line in sys.stdin:
        case = json.loads(line)
        audit.outside = []
        audit.active = True
        try:
            wrong = _run(case, root)
            answer = {"outcome": "wrong", "message": wrong} if wrong else {"outcome": "ok"}
        except Exception as exc:  # judged by the harness, not here
            answer = {"outcome": "error", "type": type(exc).__name__,
                      "mro": [c.__name__ for c in type(exc).__mro__],
                      "message": str(exc)[:2000],
                      "trace": "".join(traceback.format_exception(exc))[-3000:]}
        finally:
            audit.active = False
        answer["outside"] = sorted(set(audit.outside))[:10]
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
