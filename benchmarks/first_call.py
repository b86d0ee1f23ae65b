"""What a newcomer's first call compiles, and how long the decision rule runs warm.

    PYTHONPATH=. python benchmarks/first_call.py detect
    PYTHONPATH=. python benchmarks/first_call.py classify
    PYTHONPATH=. python benchmarks/first_call.py rule DIR

``detect`` and ``classify`` run in this new process with an empty kernel cache (a
temporary ``HEARTBEAT_CACHE_DIR``, set before heartbeat is imported), so every kernel
the call touches is compiled, as on a machine that never ran heartbeat: they call
``detect_r_peaks`` (or ``classify``) once on the first minute of MIT-BIH record 100
(``$HEARTBEAT_DATA/mitdb`` or ``../shared/data/mitdb``) and print the process's CPU time
of that call and Numba's own compile events, longest first: each compiled function's
seconds (its nested compilations included) and the kernel whose compilation asked for
it.  ``rule DIR`` times the detector's decision rule alone, warm (best of 7 per record,
``time.perf_counter``), on every ``.npy`` lead of DIR (``detect_process.py prepare``),
and prints the total.  Writes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def compile_events(what: str, top: int) -> None:
    """Print the first call's CPU time and its longest compilations."""
    os.environ["HEARTBEAT_CACHE_DIR"] = tempfile.mkdtemp(prefix="heartbeat-first-call-")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import default_mitdb
    from numba.core import event

    import heartbeat
    from heartbeat.io import read_record

    rec = read_record(default_mitdb() / "100")
    x = rec.signal[: int(60 * rec.fs), 0].astype(float)
    call = heartbeat.detect_r_peaks if what == "detect" else heartbeat.classify
    start = time.process_time()
    with event.install_recorder("numba:compile") as recorder:
        call(x, rec.fs)
    print(f"first {what} call: {time.process_time() - start:.2f} CPU-s")
    for seconds, name, root in _compilations(recorder.buffer)[:top]:
        print(f"{seconds:6.2f} s  {name}  (for {root})")


def _compilations(buffer: list) -> list[tuple[float, str, str]]:
    """(seconds, function, outermost kernel) of each compile event pair, longest first."""
    def name(ev) -> str:
        try:
            return ev.data["dispatcher"].py_func.__qualname__
        except (KeyError, TypeError, AttributeError):
            return "?"

    open_events, rows = [], []
    for stamp, ev in buffer:
        if ev.is_start:
            open_events.append((stamp, ev))
            continue
        started, _ = open_events.pop()
        root = name(open_events[0][1]) if open_events else "-"
        rows.append((stamp - started, name(ev), root))
    return sorted(rows, reverse=True)


def rule_time(folder: Path) -> None:
    """Print the decision rule's warm time over every ``.npy`` lead of `folder`."""
    import numpy as np

    from heartbeat import detect

    files = sorted(folder.glob("*.npy"))
    if not files:
        raise SystemExit(f"no .npy files in {folder}: run detect_process.py prepare first")
    total = 0.0
    for path in files:
        x = np.load(path, allow_pickle=False)
        stages = detect._lead_stages(x, 360.0, "numba")
        if stages is None:
            continue
        *_, slope_sq, sub, cand, energy, _ = stages
        times = []
        for _ in range(8):  # the first call of the process is not counted
            start = time.perf_counter()
            detect._decide(cand, energy, sub, slope_sq, 360.0, "numba")
            times.append(time.perf_counter() - start)
        total += min(times[1:])
    print(f"decision rule, warm, {len(files)} records of {folder}: {1000 * total:.1f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("detect", "classify", "rule"))
    parser.add_argument("folder", nargs="?", type=Path, help="for 'rule': the .npy leads")
    parser.add_argument("--top", type=int, default=15, help="compilations to print")
    args = parser.parse_args(argv)
    if args.what == "rule":
        if args.folder is None:
            parser.error("'rule' needs the folder of .npy leads")
        rule_time(args.folder)
    else:
        compile_events(args.what, args.top)


if __name__ == "__main__":
    main()
